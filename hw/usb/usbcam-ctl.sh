#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# usbcam-ctl.sh - plug the emulated vlife USB camera into this machine
# (through vhci_hcd, the USB/IP virtual host controller, or raw-gadget on
# dummy_hcd) and pull it out again.  Root only; for test guests, not for
# a desktop.
#
#   usbcam-ctl.sh up [emulator options]   load the transport's modules,
#                                         start the emulator, wait for
#                                         the host to enumerate the camera
#   usbcam-ctl.sh down                    stop the emulator (unplugs)
#   usbcam-ctl.sh unplug | replug         pull out / plug back in
#   usbcam-ctl.sh wait-plugged | wait-gone
#   usbcam-ctl.sh device                  the USB device's sysfs name
#   usbcam-ctl.sh has-raw-gadget          whether this kernel has
#                                         raw-gadget and dummy_hcd
#   usbcam-ctl.sh load                    load the transport's modules
#
# Environment: VLIFE_USBCAM_EMU (the emulator binary; default
# build/hw-usb/vlife-usbcam-emu of this tree), VLIFE_USBCAM_RUN (pid and
# log directory, default /tmp/usbcam), VLIFE_USBCAM_WAIT (seconds,
# default 20), VLIFE_USBCAM_TRANSPORT (usbip, the default, or raw-gadget;
# a --transport option to up wins).
top=$(cd "$(dirname "$0")/../.." && pwd)
emu=${VLIFE_USBCAM_EMU:-$top/build/hw-usb/vlife-usbcam-emu}
run=${VLIFE_USBCAM_RUN:-/tmp/usbcam}
wait_s=${VLIFE_USBCAM_WAIT:-20}
vid=1209
pid=0001

die() {
	echo "usbcam-ctl: $*" >&2
	exit 1
}

# The sysfs name (e.g. 1-1) of this emulator's camera, if enumerated: the
# product name ends with the identity, so two emulators can run at once
# (each with its own VLIFE_USBCAM_RUN).  Shell built-ins only: the waits
# below call it ten times a second, and a fork costs tens of milliseconds
# on the debug kernel.
device() {
	want=vendor
	[ -r "$run/identity" ] && read -r want <"$run/identity"
	for d in /sys/bus/usb/devices/*; do
		v='' p='' name=''
		if [ -r "$d/product" ]; then
			read -r v <"$d/idVendor"
			read -r p <"$d/idProduct"
			read -r name <"$d/product"
		fi
		case $v:$p:$name in
		$vid:$pid:*"($want)")
			echo "${d##*/}"
			return 0
			;;
		esac
	done 2>/dev/null
	return 1
}

# wait_for plugged|gone: poll for up to $wait_s seconds.
wait_for() {
	n=$((wait_s * 20))
	while [ $n -gt 0 ]; do
		if device >/dev/null; then
			[ "$1" = plugged ] && return 0
		else
			[ "$1" = gone ] && return 0
		fi
		sleep 0.05
		n=$((n - 1))
	done
	die "camera not $1 after $wait_s s"
}

emu_pid() {
	_p=
	[ -r "$run/emu.pid" ] && read -r _p <"$run/emu.pid"
	echo "$_p"
}

has_raw_gadget() {
	modprobe -n -q raw_gadget && modprobe -n -q dummy_hcd
}

# load [TRANSPORT]: its kernel modules (dummy_hcd with two UDCs, so that two
# emulators can run at once).
load() {
	case ${1:-${VLIFE_USBCAM_TRANSPORT:-usbip}} in
	usbip) modprobe vhci-hcd || die "no vhci-hcd" ;;
	raw-gadget)
		if [ ! -d /sys/module/dummy_hcd ]; then
			modprobe dummy_hcd num=2 || die "no dummy_hcd"
		fi
		modprobe raw_gadget || die "no raw_gadget"
		;;
	*) die "transport ${1:-$VLIFE_USBCAM_TRANSPORT}: usbip or raw-gadget" ;;
	esac
}

up() {
	[ -x "$emu" ] || die "$emu missing (make -C hw/usb)"
	transport=${VLIFE_USBCAM_TRANSPORT:-usbip}
	case " $* " in
	*" --transport "*) ;;
	*) set -- --transport "$transport" "$@" ;;
	esac
	_prev=
	for _a in "$@"; do
		[ "$_prev" = --transport ] && transport=$_a
		_prev=$_a
	done
	load "$transport"
	mkdir -p "$run"
	[ -z "$(emu_pid)" ] || down
	case " $* " in
	*" --identity uvc "*) echo UVC >"$run/identity" ;;
	*) echo vendor >"$run/identity" ;;
	esac
	"$emu" "$@" >>"$run/emu.log" 2>&1 &
	echo $! >"$run/emu.pid"
	wait_for plugged
	device
}

down() {
	p=$(emu_pid)
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null
	n=100
	while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -0 "$p" 2>/dev/null && die "emulator $p did not exit"
	rm -f "$run/emu.pid"
}

signal() {
	p=$(emu_pid)
	[ -n "$p" ] || die "emulator not running"
	kill "-$1" "$p"
}

cmd=$1
[ $# -gt 0 ] && shift
case $cmd in
up) up "$@" ;;
down) down ;;
unplug) signal USR1 && wait_for gone ;;
replug) signal USR2 && wait_for plugged && device ;;
wait-plugged) wait_for plugged && device ;;
wait-gone) wait_for gone ;;
device) device ;;
has-raw-gadget) has_raw_gadget ;;
load) load ;;
*) sed -n '4,26p' "$0" >&2; exit 2 ;;
esac
