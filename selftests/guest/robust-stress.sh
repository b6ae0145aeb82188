#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Race stress on every vlife driver (selftests/stress/race_stress.c): on
# each node, files used by several threads at once (ioctls, mmap, poll,
# open and close at random) while the device is pulled out and put back
# over and over: the test driver by its platform unbind; the camera board
# by the bridge's platform unbind and the sensor's I2C unbind; the USB
# camera by its interface's unbind and by unplug and replug of the
# emulated device.  Every call must end in success or a valid errno, no
# call may hang, every cycle must work; then the driver unloads and no
# vlife device is left.
#
# Sized per kernel (VLIFE_KERNEL): cycles and seconds per driver below;
# VLIFE_ROBUST_LONG=1 runs race_stress --long (a soak, 20 times longer).
# VLIFE_SEED replays a run (the seed is printed).  The program's TAP lines
# are passed through and counted with this script's; the plan comes last.
#
# Build first on the host: make -C selftests
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/lib/tap.sh
. lib/tap.sh
# shellcheck source=selftests/lib/modules.sh
. lib/modules.sh
# shellcheck source=selftests/lib/nodes.sh
. lib/nodes.sh
# shellcheck source=selftests/lib/checks.sh
. lib/checks.sh
# shellcheck source=selftests/stress/robust.sh
. stress/robust.sh

logs=/tmp/vlife-robust/stress
mkdir -p $logs
# Cycles and seconds per driver, whichever comes first, sized for the
# test command's budget (all robust-*.sh: 3 min on Debian's kernel, 8 on
# the debug kernel): on Debian's kernel a test driver cycle takes about
# 0.15 s under this load, a board cycle 0.7 s, a USB one 5 s (unplug and
# replug through USB/IP); the debug kernel is 5-10 times slower.
if [ "$rb_kernel" = debug ]; then
	set -- "testdrv 1000 12" "board 1000 15" "usbcam 1000 20"
else
	set -- "testdrv 1000 8" "board 1000 10" "usbcam 1000 12"
fi
long=
[ "${VLIFE_ROBUST_LONG:-0}" = 1 ] && long=--long
seed=${VLIFE_SEED:-$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')}

echo "TAP version 13"
tap_diag "race stress, kernel $rb_kernel, seed $seed (VLIFE_SEED replays)"
for spec in "$@"; do
	rb_mark
	# shellcheck disable=SC2086 # a "driver cycles seconds" triple
	set -- $spec
	drv=$1
	rb_up_for "$drv" "race stress" || continue
	VLIFE_SEED=$seed rb_run race_stress "$drv" "$logs/$drv.log" \
		--cycles "$2" --seconds "$3" $long
	line=$(grep '^# stress: ' "$logs/$drv.log")
	n=$(echo "$line" | sed -n 's/.*: \([0-9]*\) cycles.*/\1/p')
	c=$(echo "$line" | sed -n 's/.*), \([0-9]*\) calls.*/\1/p')
	rb_record "$drv" "stress unbind cycles" "${n:-0}"
	rb_record "$drv" "stress calls" "${c:-0}"
	tap_check "$drv: unloads after the stress" rb_down "$drv"
	rb_live_zero "$drv"
	rb_verdict "$drv" stress
done
tap_check "vlife-core unloads" rmmod vlife_core
echo "1..$tap_n"
tap_done && [ $rb_failed = 0 ]
