#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# VLIFE_BUG=free|unlink|put usbcam.sh: vlife-usbcam with a classic USB
# lifetime mistake put back, and the one scenario that trips it (see
# selftests/host/bug-switch.sh, which expects KASAN to report the
# use-after-free on the debug kernel).  On Debian's kernel "unlink" and
# "put" pass unnoticed, and "free" hangs its close() on a spinlock in freed
# memory until the VM's timeout.  Without VLIFE_BUG the three scenarios
# run in turn on the correct driver, and the log stays clean.
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
# shellcheck source=selftests/lib/nodes.sh
. lib/nodes.sh
# shellcheck source=selftests/lib/checks.sh
. lib/checks.sh

ctl=$(cd .. && pwd)/hw/usb/usbcam-ctl.sh
bug=${VLIFE_BUG:-}
export VLIFE_USBCAM_RUN=/tmp/usbcam-bug

case $bug in
free | unlink | put)
	cases=$bug param=bug=$bug
	;;
"")
	cases="unlink free put" param=
	;;
*)
	tap_plan 1
	tap_fail "vlife-usbcam: unknown bug '$bug'"
	exit 1
	;;
esac
# shellcheck disable=SC2086 # one word or none
tap_plan $(($(echo $cases | wc -w) + 1))

# released USB: the debug kernel (DEBUG_KOBJECT_RELEASE) logged the
# release of USB device USB's kobject; elsewhere the free is at once.
released() {
	[ "${VLIFE_KERNEL:-stock}" != debug ] ||
		dmesg | grep -q "kobject: '$1' (.*kobject_release"
}

# scenario NAME: the steps that trip bug=NAME, on the plugged camera.
scenario() {
	case $1 in
	free)
		exec 3<"$dev"
		"$ctl" unplug
		exec 3<&-
		;;
	unlink)
		for _i in 1 2 3; do
			timeout 30 v4l2-ctl -d "$dev" --stream-mmap \
				--stream-count=5 >/dev/null 2>&1
		done
		sleep 1
		;;
	put)
		v4l2-ctl -d "$dev" --stream-mmap --stream-count=100000 \
			>/dev/null 2>&1 &
		_reader=$!
		sleep 2
		_usb=$("$ctl" device)
		"$ctl" unplug
		# The usb_device must be freed before the close: the debug
		# kernel's DEBUG_KOBJECT_RELEASE frees it 1 to 4 s after its
		# last put, which it logs.
		wait_for 60 released "$_usb"
		sleep 5
		kill -KILL $_reader
		wait $_reader
		sleep 1
		;;
	esac
}

# shellcheck disable=SC2086 # no parameter or one
if vlife_insmod core/vlife-core &&
   vlife_insmod drivers/usb/vlife-usbcam $param &&
   "$ctl" up >/dev/null; then
	tap_ok "vlife-usbcam ${param:-(no bug)} loaded, camera plugged in"
else
	tap_fail "vlife-usbcam ${param:-(no bug)} loaded, camera plugged in"
	exit 1
fi
for c in $cases; do
	"$ctl" device >/dev/null || "$ctl" replug >/dev/null
	if wait_for 20 cap_node vlife-usbcam &&
	   dev=$(cap_node vlife-usbcam); then
		scenario "$c"
		tap_ok "$c: scenario ran on $dev (the kernel log tells the rest)"
	else
		tap_fail "$c: the camera's node appeared"
	fi
done
"$ctl" down >/dev/null 2>&1
[ -n "$bug" ] || rmmod vlife-usbcam vlife-core
tap_done
