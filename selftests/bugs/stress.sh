#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# VLIFE_BUG_DRIVER=DRIVER VLIFE_BUG=BUG stress.sh: the race stress of the
# robustness suite (selftests/stress/race_stress.c --blocking, as
# stress/robust-driver.sh runs it: several threads per file, the first
# file of each video node waiting in DQBUF and DQEVENT, while the device
# is pulled out and put back) on one driver with one of its classic
# lifetime mistakes put back.  selftests/host/bug-switch.sh runs it for
# DRIVER "stress-DRIVER" and expects the mistake caught.  DRIVER is the
# module that takes the bug= parameter:
#   testdrv  the core's test driver (platform unbind):
#            devm    its state freed at unbind: KASAN (debug kernel)
#            nogate  no unplug gate: a DQEVENT waiting across the unbind
#                    is never woken (the hang check fails)
#   sensor   vlife-sensor on the board (bridge and sensor unbinds):
#            devm    its state freed at unbind: the files of its subdev
#                    node held across the unbind read it (KASAN)
#   bridge   vlife-bridge on the board (the sensor unbound 9 times as
#            often as the bridge):
#            nounbind  a stream the sensor's unbind does not stop, whose
#                    stop then walks the freed sensor (KASAN).  The
#                    stress's streamer stops a stream that a pull-out hit
#                    only 6 s later on the debug kernel, once it has freed
#                    what was pulled out (it frees a released object 1-4
#                    s late: rb_stress_hold); a bridge unbind before that
#                    stops the stream too early, hence few of them.  They still come (one
#                    cycle in 10), and wake the blocking DQEVENTs on the
#                    bridge's node, which nothing else wakes (the hang
#                    bound is 30 s here).
#   usbcam   the USB camera (interface unbind, unplug and replug):
#            free    its state freed at unbind: a close() after it (KASAN)
#            unlink  URBs unlinked without waiting, their completions run
#                    on freed memory (KASAN)
#            put     the usb_device put and the node removed at unplug,
#                    the stream left running: a DQBUF waiting across it is
#                    never woken (the hang check), and the last close()
#                    stops the stream on the freed usb_device (KASAN)
# The run stops at the first kernel report in the log (a case fails; the
# driver is then left loaded, its state being unsafe to touch), at a hang,
# or at VLIFE_BUG_CYCLES pull-outs (default 200) or VLIFE_BUG_SECONDS
# (default 20), whichever comes first.  VLIFE_HANG_MS (default 10000;
# 30000 for the USB camera on the debug kernel, and for the bridge) is
# the hang check's bound.  Without VLIFE_BUG it is clean: the same run
# passes, the driver unloads and no vlife device is left.
#
# Build first on the host: make -C selftests; make -C hw/usb
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

bdrv=${VLIFE_BUG_DRIVER:-testdrv}
bug=${VLIFE_BUG:-none}
logs=/tmp/vlife-robust/bug
mkdir -p $logs
seed=${VLIFE_SEED:-$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')}
scan=$rb_top/userspace-tools/vm/scan-log
echo "TAP version 13"

# The device (rb_up's DRIVER) and where bug= goes: rb_up gives its
# parameters to the device's last module; the sensor is loaded first.
case $bdrv in
testdrv | usbcam | bridge)
	drv=$bdrv
	[ "$bdrv" = bridge ] && drv=board
	up() { rb_up "$drv" "bug=$bug"; }
	;;
sensor)
	drv=board
	up() {
		{ vlife_insmod core/vlife-core ||
			[ -d /sys/module/vlife_core ]; } &&
			vlife_insmod hw/vlife-board &&
			vlife_insmod drivers/i2c/vlife-sensor "bug=$bug" &&
			rb_up board
	}
	;;
*)
	tap_fail "unknown VLIFE_BUG_DRIVER '$bdrv'"
	echo "1..$tap_n"
	exit 1
	;;
esac

# reported: the kernel log holds a report (KASAN, WARN, lockdep...), as
# run-vm's scan-log finds them; its excerpt in $logs/scan.txt.
reported() {
	dmesg >$logs/dmesg.txt
	! "$scan" $logs/dmesg.txt >$logs/scan.txt 2>&1
}

# uptime: seconds since boot, for the diagnostics.
uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

tap_diag "$bdrv bug=$bug: race stress on $drv, seed $seed" \
	"(VLIFE_SEED replays)"
if ! up >$logs/up.log 2>&1; then
	sed 's/^/# /' $logs/up.log
	tap_fail "$bdrv bug=$bug: $drv up for the race stress"
	echo "1..$tap_n"
	exit 1
fi
tap_ok "$bdrv bug=$bug: $drv up for the race stress"

# The stress, as rb_run runs it, watched for kernel reports.
[ "$bdrv" = bridge ] && rb_sensor_unbind_weight=9
_ifs=$IFS
IFS='
'
# shellcheck disable=SC2046 # one option per line, by design
set -- $(rb_target "$drv") --blocking --hold "$rb_stress_hold" \
	--cycles "${VLIFE_BUG_CYCLES:-200}" --seconds "${VLIFE_BUG_SECONDS:-20}"
IFS=$_ifs
: >$logs/stress.log
# A USB pull-out through USB/IP on the debug kernel takes 5-10 s, and a
# waiter waits for it: 10166 ms seen without a bug.
hang=10000
[ "$rb_kernel" = debug ] && [ "$drv" = usbcam ] && hang=30000
[ "$bdrv" = bridge ] && hang=30000
VLIFE_HANG_MS=${VLIFE_HANG_MS:-$hang} VLIFE_SEED=$seed \
	timeout -k 5 "${VLIFE_ROBUST_TIMEOUT:-300}" \
	"$rb_bins/race_stress" "$@" >$logs/stress.log 2>&1 &
pid=$!
tail -f --pid=$pid $logs/stress.log &
# The first report line (scan-log's main patterns) stops the stress at
# once; it is not waited for: its threads may be stuck in the kernel for
# good.
re=$("$scan" --regex)
dmesg -w | grep -m 1 -E "$re" >$logs/first-report &
watcher=$!
tap_diag "race stress started at $(uptime_s) s"
while kill -0 $pid 2>/dev/null && [ ! -s $logs/first-report ]; do
	sleep 1
done
rc=killed
if [ -s $logs/first-report ]; then
	kill $pid 2>/dev/null
	tap_diag "stopped at $(uptime_s) s on: $(cat $logs/first-report)"
else
	wait $pid
	rc=$?
fi
kill $watcher 2>/dev/null
tap_diag "race_stress exit $rc at $(uptime_s) s"
# scan-log's excerpts cost tens of seconds on the debug kernel after an
# oops: the report lines only, when the watcher saw one
report=
if [ -s $logs/first-report ]; then
	report=1
	dmesg | grep -E "$re" | head -n 20 >$logs/scan.txt
elif reported; then
	report=1
fi
if [ -n "$report" ]; then
	sed 's/^/# /' $logs/scan.txt | head -n 40
	tap_fail "$bdrv bug=$bug: kernel log clean under the race stress"
	echo "1..$tap_n"
	exit 1
fi
tap_ok "$bdrv bug=$bug: kernel log clean under the race stress"
if [ $rc != 0 ]; then
	grep -q '^not ok ' $logs/stress.log ||
		tap_fail "$bdrv bug=$bug: race_stress ran to its end (exit $rc)"
	# a call may still hang in the driver: do not unload under it
	echo "1..$tap_n"
	exit 1
fi
tap_check "$drv: unloads after the stress" rb_down "$drv"
rb_live_zero "$drv"
echo "1..$tap_n"
tap_done
