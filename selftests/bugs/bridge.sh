#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# VLIFE_BUG=nounbind bridge.sh: vlife-bridge with a classic lifetime
# mistake put back (see selftests/host/bug-switch.sh, which expects it
# caught):
#   nounbind  the notifier's .unbind neither stops the stream nor forgets
#             the sensor: the stream stalls when the sensor goes, and
#             stopping it once the sensor's state is freed calls into the
#             freed subdev and walks its freed pads (KASAN, debug kernel)
# The scenario: the camera pair streams, the sensor is unbound, its state
# is released (the core's debugfs no longer lists it), then the stream is
# stopped (the capture process killed if it still waits) and started
# again.  Without VLIFE_BUG it is clean: the stream stops with an error
# at the unbind, and STREAMON fails cleanly without a sensor.
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/lib/tap.sh
. lib/tap.sh
# shellcheck source=selftests/lib/modules.sh
. lib/modules.sh
# shellcheck source=selftests/lib/nodes.sh
. lib/nodes.sh
# shellcheck source=selftests/lib/checks.sh
. lib/checks.sh

slow=1
[ "${VLIFE_KERNEL:-stock}" = stock ] || slow=5
logs=/tmp/bridge-bug
mkdir -p $logs

sensor_gone() {
	! grep -q "^$client " /sys/kernel/debug/vlife/instances
}

# gone PID: the process has exited (a zombie has).
gone() {
	[ ! -e "/proc/$1" ] || grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat"
}

# bounded SECONDS CMD...: CMD in the background, waited for SECONDS at
# most.  In a bug run a process may be stuck in the kernel for good (an
# oops while it held a lock): it is left behind, status 124, so that the
# run still ends.
bounded() {
	_s=$1
	shift
	"$@" &
	_p=$!
	wait_for "$_s" gone $_p || return 124
	wait $_p
}

tap_plan 5
if vlife_insmod core/vlife-core && vlife_insmod hw/vlife-board &&
   vlife_insmod drivers/i2c/vlife-sensor &&
   vlife_insmod drivers/platform/vlife-bridge "bug=$VLIFE_BUG"; then
	tap_ok "camera pair loaded, vlife-bridge bug=$VLIFE_BUG"
else
	tap_fail "camera pair loaded, vlife-bridge bug=$VLIFE_BUG"
	exit 1
fi
wait_for $((10 * slow)) media_node "vlife camera bridge"
video=$(v4l_node video vlife-bridge)
client=$(basename "$(readlink -f /sys/bus/i2c/drivers/vlife-sensor/*-0010)")
tap_diag "video node ${video:-missing}, sensor i2c client ${client:-missing}"

timeout 300 v4l2-ctl -d "$video" --stream-mmap=4 --stream-count=100000 \
	>$logs/stream.log 2>&1 &
streamer=$!
wait_for $((10 * slow)) grep -q '<' $logs/stream.log
t0=$(now_ms)
echo "$client" >/sys/bus/i2c/drivers/vlife-sensor/unbind
stopped=0
wait_for $((3 * slow)) gone $streamer && stopped=1
err=$(grep -o 'VIDIOC_[A-Z]*: failed: .*\|[a-z_]*: [dq]*buf error' \
	$logs/stream.log | head -n 1)
tap_diag "$(tr -cd '<' <$logs/stream.log | wc -c) frames, then the sensor" \
	"unbind; $([ $stopped = 1 ] && echo "the stream ended: ${err:-no error}" ||
		   echo "the stream still waits after $(($(now_ms) - t0)) ms")"
if [ $stopped = 1 ] && [ -n "$err" ]; then
	tap_ok "the stream stops with an error when the sensor goes"
else
	tap_fail "the stream stops with an error when the sensor goes"
fi

# The sensor's state goes with its last reference (its node's, released
# late by the debug kernel's DEBUG_KOBJECT_RELEASE).
tap_check "the sensor's vlife device is released" \
	wait_for $((4 * slow)) sensor_gone

# Stop the stream now if the bridge did not: the capture process's close
# runs the bridge's stop_streaming.
kill $streamer 2>/dev/null
if wait_for $((4 * slow)) gone $streamer; then
	wait $streamer
	tap_diag "capture process ended (exit $?)"
else
	tap_diag "capture process stuck in its close()"
fi
bounded $((6 * slow)) v4l2-ctl -d "$video" --stream-mmap=4 \
	--stream-count=1 >$logs/restart.log 2>&1
rc=$?
err=$(grep -o 'VIDIOC_STREAMON returned -1 ([^)]*)' $logs/restart.log)
tap_diag "STREAMON without a sensor: exit $rc, ${err:-no error}"
tap_check "STREAMON without a sensor fails cleanly" test -n "$err"
if bounded $((2 * slow)) v4l2-ctl -d "$video" --info >$logs/info.log 2>&1
then
	tap_diag "$(grep -m1 'Driver name' $logs/info.log)"
	tap_ok "the video node answers QUERYCAP"
else
	tail -n 3 $logs/info.log | sed 's/^/# /'
	tap_fail "the video node answers QUERYCAP"
fi
tap_done
