# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# What the robustness scripts (selftests/guest/robust-*.sh) share: bring
# each vlife driver up and down, describe it to the stress programs, check
# that nothing is left once it is unloaded, and record the counts reached
# for the summary (robust-summary.sh).  Source after lib/tap.sh,
# lib/modules.sh, lib/nodes.sh and lib/checks.sh (now_ms, wait_for), from
# selftests/.
#
# Drivers: testdrv (the core's test driver, a platform device), board
# (vlife-board with the I2C sensor and the platform bridge), usbcam (the
# USB camera on the hw/usb emulator).

rb_top=$(cd .. && pwd)
rb_bins=$rb_top/build/selftests
rb_ctl=$rb_top/hw/usb/usbcam-ctl.sh
rb_counts=/tmp/vlife-robust/counts
rb_failed=0
rb_kernel=${VLIFE_KERNEL:-stock}
mkdir -p /tmp/vlife-robust
export VLIFE_USBCAM_RUN=/tmp/vlife-robust/emu
[ "$rb_kernel" = debug ] && export VLIFE_USBCAM_WAIT=60
# The USB camera's transport: raw-gadget on dummy_hcd where the kernel has
# both (the debug kernel: a replug is a hub event, and dummy_hcd fails an
# URB whose allocation fails cleanly, so the USB I/O of a probe can be
# fault-injected), else USB/IP (Debian's kernel).  VLIFE_USBCAM_TRANSPORT
# chooses.
if [ -z "${VLIFE_USBCAM_TRANSPORT:-}" ]; then
	VLIFE_USBCAM_TRANSPORT=usbip
	"$rb_ctl" has-raw-gadget && VLIFE_USBCAM_TRANSPORT=raw-gadget
fi
export VLIFE_USBCAM_TRANSPORT
# How many interface unbinds of the USB camera to one unplug, on average,
# in the stress and the fuzzer (an unplug and replug costs several
# interface unbind cycles); the scripts may change it before rb_target.
rb_usb_unbind_weight=1
# How many sensor unbinds to one bridge unbind on the board, likewise.
rb_sensor_unbind_weight=1
# race_stress --blocking --hold: on the debug kernel, a stream that a
# pull-out hit is stopped 6 s after it, once the kernel (which frees a
# released object up to 4 s late) has freed what was pulled out; KASAN
# then sees a stop that still walks it.  Elsewhere nothing would see it:
# no hold, more streams.
rb_stress_hold=0
[ "$rb_kernel" = debug ] && rb_stress_hold=6000

# rb_record DRIVER WHAT N: one count for the summary.
rb_record() {
	echo "$rb_kernel $1 $2 $3" >>$rb_counts
}

# rb_sensor_client: the I2C client name of the board's sensor.
rb_sensor_client() {
	for _d in /sys/bus/i2c/drivers/vlife-sensor/*-*; do
		[ -e "$_d" ] && echo "${_d##*/}" && return 0
	done
	return 1
}

# rb_usb_dev: the USB device of the emulated camera (e.g. 1-1).
rb_usb_dev() {
	"$rb_ctl" device 2>/dev/null
}

# rb_modules DRIVER: the driver's modules, in load order.
rb_modules() {
	case $1 in
	testdrv) echo selftests/testdrv/vlife-testdrv ;;
	board) echo hw/vlife-board drivers/i2c/vlife-sensor \
		    drivers/platform/vlife-bridge ;;
	usbcam) echo drivers/usb/vlife-usbcam ;;
	esac
}

# rb_nodes_up DRIVER: whether all of the driver's nodes are there.
rb_nodes_up() {
	case $1 in
	testdrv)
		v4l_node video vlife-testdrv && media_node "vlife test device"
		;;
	board)
		_c=$(rb_sensor_client) && v4l_node video vlife-bridge &&
			v4l_node v4l-subdev "vlife-sensor $_c" &&
			media_node "vlife camera bridge"
		;;
	usbcam)
		v4l_node video vlife-usbcam
		;;
	esac
}

# rb_up DRIVER [PARAM=VALUE...]: load the core and the driver (parameters
# for its last module), plug the USB camera in, wait for the nodes.
rb_up() {
	_drv=$1
	shift
	vlife_insmod core/vlife-core 2>/dev/null ||
		[ -d /sys/module/vlife_core ] || return 1
	for _m in $(rb_modules "$_drv"); do
		[ -d "/sys/module/$(basename "$_m" | tr - _)" ] && continue
		if [ "$_m" = "$(rb_modules "$_drv" | tr ' ' '\n' | tail -n 1)" ]
		then
			vlife_insmod "$_m" "$@" || return 1
		else
			vlife_insmod "$_m" || return 1
		fi
	done
	if [ "$_drv" = usbcam ] && ! rb_usb_dev >/dev/null; then
		"$rb_ctl" up >/dev/null 2>>/tmp/vlife-robust/ctl.log || return 1
	fi
	wait_for 60 rb_nodes_up "$_drv"
}

# rb_up_for DRIVER WHAT: rb_up for the part WHAT of the suite; if it
# fails, its log ($logs/up-DRIVER.log) is shown, a failed case reported
# and the driver unloaded.
rb_up_for() {
	rb_up "$1" >"$logs/up-$1.log" 2>&1 && return 0
	sed 's/^/# /' "$logs/up-$1.log"
	tap_fail "$1: up for the $2"
	rb_down "$1"
	return 1
}

# rb_down DRIVER: unplug, unload the driver's modules (not the core).
rb_down() {
	[ "$1" = usbcam ] && "$rb_ctl" down >/dev/null 2>&1
	for _m in $(rb_modules "$1" | tr ' ' '\n' | tac); do
		_n=$(basename "$_m" | tr - _)
		[ -d "/sys/module/$_n" ] || continue
		rmmod "$_n" || return 1
	done
}

# rb_target DRIVER: the options that describe DRIVER to race_stress and
# ioctl_fuzz (nodes, and the ways to pull it out), one per line.
rb_target() {
	echo --label
	echo "$1"
	case $1 in
	testdrv)
		printf '%s\n' --video vlife-testdrv \
			--subdev vlife-testdrv-proc \
			--media "vlife test device" \
			--unbind /sys/bus/platform/drivers/vlife-testdrv:vlife-testdrv.0
		;;
	board)
		_c=$(rb_sensor_client)
		printf '%s\n' --video vlife-bridge \
			--subdev vlife-bridge-csi2 \
			--subdev "vlife-sensor $_c" \
			--media "vlife camera bridge" \
			--unbind /sys/bus/platform/drivers/vlife-bridge:vlife-bridge.0 \
			--unbind "/sys/bus/i2c/drivers/vlife-sensor:$_c" \
			--weight "$rb_sensor_unbind_weight"
		;;
	usbcam)
		printf '%s\n' --video vlife-usbcam \
			--unbind "/sys/bus/usb/drivers/vlife-usbcam:$(rb_usb_dev):1.0" \
			--weight "$rb_usb_unbind_weight" \
			--unplug "$rb_ctl unplug >/dev/null" \
			--replug "$rb_ctl replug >/dev/null"
		;;
	esac
}

# rb_run PROG DRIVER LOG [OPTIONS...]: run PROG on DRIVER with OPTIONS,
# its TAP passed through (counted with the caller's cases) and kept in
# LOG; bounded by VLIFE_ROBUST_TIMEOUT seconds (default 900).  Fails, and
# sets rb_failed, if PROG failed or did not finish.
rb_run() {
	_prog=$rb_bins/$1
	_drv=$2
	_log=$3
	shift 3
	if [ ! -x "$_prog" ]; then
		tap_fail "$_prog exists (build it on the host)"
		return 1
	fi
	# the target's options have blanks: pass them one per line
	_ifs=$IFS
	IFS='
'
	# shellcheck disable=SC2046 # one option per line, by design
	set -- $(rb_target "$_drv") "$@"
	IFS=$_ifs
	{
		timeout -k 5 "${VLIFE_ROBUST_TIMEOUT:-900}" "$_prog" "$@" 2>&1
		echo $? >"$_log.rc"
	} | tee "$_log"
	_rc=$(cat "$_log.rc")
	grep -q '^# Totals: ' "$_log" ||
		tap_fail "${_prog##*/} on $_drv ran to its end (exit $_rc)"
	[ "$_rc" = 0 ] || rb_failed=1
	[ "$_rc" = 0 ]
}

# rb_live_zero DRIVER: a case: once DRIVER is unloaded, the core's debugfs
# counts no live vlife device.
rb_live_zero() {
	_live=$(cat /sys/kernel/debug/vlife/live 2>/dev/null)
	tap_diag "$1: live vlife devices after unloading: ${_live:-unreadable}"
	if [ "$_live" = 0 ]; then
		tap_ok "$1: no vlife device left after unloading"
	else
		sed 's/^/# /' /sys/kernel/debug/vlife/instances 2>/dev/null
		tap_fail "$1: no vlife device left after unloading"
	fi
}

# rb_mark: start of a driver's cases; rb_verdict DRIVER PART [N]: record
# whether any of them failed since (or a program run by rb_run), or N
# cases before (a part in two pieces).
rb_mark() {
	rb_mark_failed=$tap_failed
	rb_mark_prog=$rb_failed
}

rb_verdict() {
	if [ $((tap_failed - rb_mark_failed + ${3:-0})) = 0 ] &&
	   [ "$rb_failed" = "$rb_mark_prog" ]; then
		rb_record "$1" "$2 result" ok
	else
		rb_record "$1" "$2 result" FAIL
	fi
	rb_mark
}
