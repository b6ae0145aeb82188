#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# VLIFE_BUG=free|unlink|put usb-bug.sh: load vlife-usbcam with that bug
# switch and run the one scenario that trips it, for the expected-failure
# check of selftests/host/bug-switch.sh on the debug kernel (KASAN must
# report a use-after-free).  On Debian's kernel "unlink" and "put" pass
# unnoticed, and "free" hangs its close() on a spinlock in freed memory
# until the VM's timeout.  Skipped when VLIFE_BUG is not set, so the
# ordinary guest run is clean.  (bug-switch.sh runs selftests/bugs/
# DRIVER.sh: this file belongs there as selftests/bugs/usbcam.sh.)
#
#   free    an fd held across an unplug, then close(): the V4L2 core's
#           release reads the node, which was in the freed state
#   unlink  STREAMON/STREAMOFF: the completion handlers of the unlinked
#           URBs run on their freed state
#   put     unplug while streaming, then the reader is killed: its close()
#           stops the stream, and SET_INTERFACE reaches the freed
#           usb_device
#
# Build first on the host: make -C hw/usb
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/lib/tap.sh
. lib/tap.sh
# shellcheck source=selftests/lib/modules.sh
. lib/modules.sh

ctl=$(cd .. && pwd)/hw/usb/usbcam-ctl.sh
bug=${VLIFE_BUG:-}
export VLIFE_USBCAM_RUN=/tmp/usb-bug

tap_plan 1
case $bug in
free | unlink | put) ;;
*)
	tap_skip "vlife-usbcam bug switch" "VLIFE_BUG not set"
	exit 0
	;;
esac

node() {
	_n=200
	while [ $_n -gt 0 ]; do
		for _d in /sys/class/video4linux/video*; do
			[ "$(cat "$_d/name" 2>/dev/null)" = vlife-usbcam ] &&
				echo "/dev/${_d##*/}" && return 0
		done
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

if ! vlife_insmod core/vlife-core ||
   ! vlife_insmod drivers/usb/vlife-usbcam "bug=$bug" ||
   ! "$ctl" up >/dev/null || ! dev=$(node); then
	tap_fail "bug=$bug: camera bound"
	exit 1
fi
tap_diag "bug=$bug: camera at $dev"

case $bug in
free)
	exec 3<"$dev"
	"$ctl" unplug
	exec 3<&-
	;;
unlink)
	n=0
	while [ $n -lt 3 ]; do
		timeout 30 v4l2-ctl -d "$dev" --stream-mmap --stream-count=5 \
			>/dev/null 2>&1
		n=$((n + 1))
	done
	sleep 1
	;;
put)
	v4l2-ctl -d "$dev" --stream-mmap --stream-count=100000 \
		>/dev/null 2>&1 &
	reader=$!
	sleep 2
	"$ctl" unplug
	sleep 3		# DEBUG_KOBJECT_RELEASE delays the device's free
	kill -KILL $reader
	wait $reader
	sleep 1
	;;
esac
"$ctl" down >/dev/null 2>&1
tap_ok "bug=$bug: scenario ran (the kernel log tells whether it was caught)"
