#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The ioctl fuzzer (selftests/stress/ioctl_fuzz.c) on every vlife driver:
# random and boundary arguments for every V4L2, subdev and media ioctl on
# each of the driver's nodes, bad pointers and bad DMABUF fds, random
# mmap(), interleaved with unbind and rebind (calls go on on the files the
# unbind left).  Every call must return success or a valid errno, none
# may hang; then the driver unloads and no vlife device is left.
#
# Sized per kernel (VLIFE_KERNEL): calls, seconds and the unbind period
# per driver below; VLIFE_ROBUST_LONG=1 runs ioctl_fuzz --long (20 times
# more).  VLIFE_SEED replays a run (the seed is printed).  The program's
# TAP lines are passed through and counted with this script's; the plan
# comes last.
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

logs=/tmp/vlife-robust/fuzz
mkdir -p $logs
# driver, calls, seconds, unbind every N calls; sized for the test
# command's budget (see robust-stress.sh)
if [ "$rb_kernel" = debug ]; then
	set -- "testdrv 100000 8 5000" "board 100000 8 5000" \
		"usbcam 100000 12 20000"
else
	set -- "testdrv 100000 6 5000" "board 100000 6 5000" \
		"usbcam 100000 8 20000"
fi
long=
[ "${VLIFE_ROBUST_LONG:-0}" = 1 ] && long=--long
seed=${VLIFE_SEED:-$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')}

echo "TAP version 13"
tap_diag "ioctl fuzzer, kernel $rb_kernel, seed $seed (VLIFE_SEED replays)"
for spec in "$@"; do
	rb_mark
	# shellcheck disable=SC2086 # a "driver calls seconds every" list
	set -- $spec
	drv=$1
	rb_up_for "$drv" "fuzzer" || continue
	VLIFE_SEED=$seed rb_run ioctl_fuzz "$drv" "$logs/$drv.log" \
		--calls "$2" --seconds "$3" --every "$4" $long
	line=$(grep '^# fuzz: ' "$logs/$drv.log" | tr '\n' ' ')
	rb_record "$drv" "fuzz calls" \
		"$(echo "$line" | sed -n 's/.*: \([0-9]*\) calls.*/\1/p')"
	rb_record "$drv" "fuzz unbind cycles" \
		"$(echo "$line" | sed -n 's/.*: \([0-9]*\) unbind cycles.*/\1/p')"
	tap_check "$drv: unloads after the fuzzer" rb_down "$drv"
	rb_live_zero "$drv"
	rb_verdict "$drv" fuzz
done
tap_check "vlife-core unloads" rmmod vlife_core
echo "1..$tap_n"
tap_done && [ $rb_failed = 0 ]
