#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The USB camera driver (drivers/usb/vlife-usbcam.c) on the emulated camera
# (hw/usb/: a userspace USB/IP device behind vhci_hcd; with
# VLIFE_USBCAM_TRANSPORT=raw-gadget, a raw-gadget device on dummy_hcd), in
# the guest:
#
#  - the emulator plugs the camera in and vlife-usbcam binds to it;
#  - v4l2-compliance -s on its node: no failure, no warning.  The camera
#    starts at 15 fps (--default-fps), as the bridge's compliance run
#    does: at 30 fps a guest starved by TCG (seen with four VMs on two
#    CPUs) misses a requeue, the camera drops a frame and compliance
#    warns about the sequence gap;
#  - streaming: the frame counter in the pixels advances, in YUYV at three
#    frame sizes; an MJPEG frame is a JPEG with the counter in a comment;
#    brightness changes the pixels;
#  - the unplug contract test (selftests/contract), through the USB
#    driver's sysfs unbind and bind;
#  - unplug while streaming, and while a reader is blocked in DQBUF: the
#    reader gets ENODEV at once, the camera streams again once back;
#  - unplug in the middle of a STREAMON's video commit: STREAMON fails
#    (over USB/IP after the control transfer's timeout, over raw-gadget
#    at the disconnect), nothing hangs;
#  - VLIFE_USBCAM_CYCLES (default 50, 3 on the debug kernel) unplug and
#    replug cycles while a capture loop keeps reopening the node;
#  - malformed payload headers, short frames, overlong frames: error
#    buffers, good frames in between, no buffer overrun.
#
# Then the same emulator in its UVC identity under the kernel's uvcvideo:
# compliance, the contract test, fps and CPU per frame against
# vlife-usbcam (both cameras plugged in, captures taken in turn), unplug
# while streaming, while blocked, during commit: recorded as "# uvcvideo:"
# lines, not asserted.  Last, both modules unload and no vlife device is
# left.
#
# Each case prints what it measured.  Build first on the host:
# make -C hw/usb; make -C selftests/contract
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/lib/tap.sh
. lib/tap.sh
# shellcheck source=selftests/lib/modules.sh
. lib/modules.sh
# shellcheck source=selftests/lib/nodes.sh
. lib/nodes.sh
# shellcheck source=selftests/lib/checks.sh
. lib/checks.sh

top=$(cd .. && pwd)
ctl=$top/hw/usb/usbcam-ctl.sh
bins=$top/build/selftests
logs=/tmp/usb-camera
ctimeout=${VLIFE_COMPLIANCE_TIMEOUT:-300}
export VLIFE_USBCAM_RUN=$logs/emu
mkdir -p "$logs"
# The debug kernel (KASAN, lockdep) under TCG is several times slower:
# 3 replug cycles instead of 50 (each takes ~4 s on Debian's kernel, far
# longer there), longer waits, and no uvcvideo peer (only reported,
# and the slowest part) unless VLIFE_USBCAM_PEER=1.
if [ "${VLIFE_KERNEL:-stock}" = stock ]; then
	cycles=${VLIFE_USBCAM_CYCLES:-50}
	peer=${VLIFE_USBCAM_PEER:-1}
	wait_s=20
else
	cycles=${VLIFE_USBCAM_CYCLES:-3}
	peer=${VLIFE_USBCAM_PEER:-0}
	wait_s=60
fi
export VLIFE_USBCAM_WAIT=$wait_s

emu_pid() {
	cat "$VLIFE_USBCAM_RUN/emu.pid" 2>/dev/null
}

# wait_node DRIVER [SECONDS]: cap_node, waiting for it to appear.
wait_node() {
	_n=$((${2:-$wait_s} * 10))
	while [ $_n -gt 0 ]; do
		cap_node "$1" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# wait_exit PID SECONDS: wait for PID to exit; fails if it does not.
wait_exit() {
	_n=$(($2 * 20))
	while kill -0 "$1" 2>/dev/null; do
		[ $_n -gt 0 ] || return 1
		sleep 0.05
		_n=$((_n - 1))
	done
	return 0
}

# plug_in [EMULATOR OPTIONS]: a fresh emulator, and the camera's USB name.
plug_in() {
	"$ctl" down >/dev/null 2>&1
	"$ctl" up "$@" 2>>"$logs/ctl.log"
}

# capture DEV COUNT FILE [v4l2-ctl options]: COUNT frames into FILE.
capture() {
	_dev=$1
	_count=$2
	_file=$3
	shift 3
	timeout 60 v4l2-ctl -d "$_dev" "$@" --stream-mmap \
		--stream-count="$_count" --stream-to="$_file" \
		>"$logs/capture.log" 2>&1
}

# counters FILE FRAMESIZE COUNT: the 32-bit counter of each YUYV frame.
counters() {
	_i=0
	while [ $_i -lt "$3" ]; do
		od -An -tu4 -N4 -j $((_i * $2)) "$1"
		_i=$((_i + 1))
	done | tr -s ' \n' '  '
}

# check_counters LIST: strictly increasing; sets first, last, gaps.
check_counters() {
	first=
	last=
	gaps=0
	for _c in $1; do
		if [ -n "$last" ]; then
			[ "$_c" -gt "$last" ] || return 1
			gaps=$((gaps + _c - last - 1))
		else
			first=$_c
		fi
		last=$_c
	done
	[ -n "$last" ]
}

# busy_jiffies: CPU time spent, all CPUs (user, nice, system, irq, softirq).
busy_jiffies() {
	awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# perf DEV COUNT: capture COUNT YUYV 640x480 frames; sets fps (x100) and
# cpu_us (CPU time of the whole guest, emulator included, per frame).
perf() {
	v4l2-ctl -d "$1" -v width=640,height=480,pixelformat=YUYV \
		>/dev/null 2>&1
	_j0=$(busy_jiffies)
	_t0=$(now_ms)
	capture "$1" "$2" /dev/null || return 1
	_t1=$(now_ms)
	_j1=$(busy_jiffies)
	fps=$(($2 * 100000 / (_t1 - _t0 + 1)))
	cpu_us=$(((_j1 - _j0) * 10000 / $2))
}

# median A B C
median() {
	printf '%s\n' "$@" | sort -n | sed -n 2p
}

# x100 N: N/100 with two decimals.
x100() {
	printf '%d.%02d' $(($1 / 100)) $(($1 % 100))
}

# compliance_totals DEV: v4l2-compliance -s; sets ctotal (its totals line).
compliance_totals() {
	timeout "$ctimeout" v4l2-compliance -s -d "$1" \
		>"$logs/compliance.log" 2>&1
	ctotal=$(grep -E 'Total for .*: [0-9]+, Succeeded' \
		 "$logs/compliance.log" | tail -n 1)
}

# contract DRIVER DEVICE NAME: the unplug contract test; sets totals.
contract() {
	totals=
	if [ ! -x "$bins/unplug_test" ]; then
		totals="$bins/unplug_test missing (build it on the host)"
		return 1
	fi
	VLIFE_VIDEO_NAME=$3 VLIFE_DRIVER_DIR=/sys/bus/usb/drivers/$1 \
		VLIFE_DEVICE=$2 timeout 300 "$bins/unplug_test" \
		>"$logs/contract-$1.log" 2>&1
	totals=$(grep '^# Totals: ' "$logs/contract-$1.log")
}

# unplug_streaming DRIVER: unplug (SIGUSR1) under a streaming v4l2-ctl;
# sets exit_ms (reader's exit after the unplug) and msg (its last error).
unplug_streaming() {
	_dev=$(cap_node "$1") || return 1
	v4l2-ctl -d "$_dev" --stream-mmap --stream-count=100000 \
		>"$logs/stream-$1.log" 2>&1 &
	_pid=$!
	sleep 2
	_t0=$(now_ms)
	kill -USR1 "$(emu_pid)"
	wait_exit $_pid 10 || { kill $_pid; return 1; }
	exit_ms=$(($(now_ms) - _t0))
	msg=$(grep -i 'fail\|error' "$logs/stream-$1.log" | tail -n 1)
	"$ctl" wait-gone >/dev/null 2>&1
}

# unplug_blocked DRIVER: stop the emulator so a reader blocks in DQBUF,
# then kill it (the link drops); sets wchan, exit_ms, msg.
unplug_blocked() {
	_dev=$(cap_node "$1") || return 1
	v4l2-ctl -d "$_dev" --stream-mmap --stream-count=100000 \
		>"$logs/blocked-$1.log" 2>&1 &
	_pid=$!
	sleep 2
	_emu=$(emu_pid)
	kill -STOP "$_emu"
	sleep 1
	wchan=$(cat "/proc/$_pid/wchan" 2>/dev/null)
	_t0=$(now_ms)
	kill -KILL "$_emu"
	wait_exit $_pid 10 || { kill $_pid; return 1; }
	exit_ms=$(($(now_ms) - _t0))
	msg=$(grep -i 'fail\|error' "$logs/blocked-$1.log" | tail -n 1)
	rm -f "$VLIFE_USBCAM_RUN/emu.pid"
	"$ctl" wait-gone >/dev/null 2>&1
}

# unplug_commit DRIVER [EMULATOR OPTIONS]: the camera is pulled out as it
# gets the video commit of a STREAMON; sets exit_ms (the reader's exit)
# and msg.
unplug_commit() {
	_drv=$1
	shift
	usb=$(plug_in --unplug-on-commit "$@")
	_dev=$(wait_node "$_drv") || return 1
	_t0=$(now_ms)
	timeout 30 v4l2-ctl -d "$_dev" --stream-mmap --stream-count=3 \
		>"$logs/commit-$_drv.log" 2>&1
	exit_ms=$(($(now_ms) - _t0))
	msg=$(grep -i 'fail\|error\|returned' "$logs/commit-$_drv.log" |
	      tail -n 1)
	"$ctl" wait-gone >/dev/null 2>&1
}

# stream_ok DEV: three frames in the current format.
stream_ok() {
	capture "$1" 3 /dev/null &&
		[ "$(grep -o '<' "$logs/capture.log" | wc -l)" -ge 3 ]
}

case_bind() {
	_t0=$(now_ms)
	usb=$(plug_in --default-fps 15) && node=$(wait_node vlife-usbcam) &&
		[ -e "/sys/bus/usb/drivers/vlife-usbcam/$usb:1.0" ] &&
		[ -e "/sys/bus/usb/drivers/vlife-usbcam/$usb:1.1" ]
	_rc=$?
	tap_diag "camera $usb, node ${node:-missing}, bound to both" \
		"interfaces in $(($(now_ms) - _t0)) ms"
	[ $_rc = 0 ] && tap_ok "emulator plugged in, vlife-usbcam bound" &&
		return 0
	cat "$logs/ctl.log" "$VLIFE_USBCAM_RUN/emu.log" 2>/dev/null |
		tail -n 20 | sed 's/^/# /'
	tap_fail "emulator plugged in, vlife-usbcam bound"
	return 1
}

case_compliance() {
	compliance_totals "$node"
	tap_diag "v4l2-compliance -s: ${ctotal:-no totals line}"
	case $ctotal in
	*"Failed: 0, Warnings: 0")
		tap_ok "v4l2-compliance -s on vlife-usbcam"
		return
		;;
	esac
	grep -B3 -e FAIL -e 'fail:' -e 'warn:' "$logs/compliance.log" |
		sed 's/^/# /'
	tap_fail "v4l2-compliance -s on vlife-usbcam"
}

# case_yuyv W H COUNT
case_yuyv() {
	_size=$(($1 * $2 * 2))
	v4l2-ctl -d "$node" -v "width=$1,height=$2,pixelformat=YUYV"
	_t0=$(now_ms)
	capture "$node" "$3" "$logs/yuyv.raw"
	_ms=$(($(now_ms) - _t0))
	_len=$(stat -c %s "$logs/yuyv.raw" 2>/dev/null || echo 0)
	_list=$(counters "$logs/yuyv.raw" $_size "$3")
	if [ "$_len" = $((_size * $3)) ] && check_counters "$_list"; then
		tap_diag "YUYV $1x$2: $3 frames in $_ms ms, counter" \
			"$first..$last, $gaps skipped by the camera"
		tap_ok "YUYV $1x$2 streams, frame counter advances"
	else
		tap_diag "YUYV $1x$2: $_len bytes, counters $_list"
		tail -n 3 "$logs/capture.log" | sed 's/^/# /'
		tap_fail "YUYV $1x$2 streams, frame counter advances"
	fi
}

case_mjpeg() {
	_f=$logs/frame.jpg
	v4l2-ctl -d "$node" -v width=640,height=480,pixelformat=MJPG
	capture "$node" 2 "$logs/mjpeg.raw" && capture "$node" 1 "$_f"
	_len=$(stat -c %s "$_f" 2>/dev/null || echo 0)
	_soi=$(od -An -tx1 -N2 "$_f" | tr -d ' ')
	_com=$(od -An -c -j6 -N4 "$_f" | tr -d ' ')
	_eoi=$(tail -c 2 "$_f" | od -An -tx1 | tr -d ' ')
	_cnt=$(od -An -tu4 -j10 -N4 "$_f" | tr -d ' ')
	tap_diag "MJPEG 640x480: $_len bytes, SOI $_soi, comment $_com," \
		"counter $_cnt, EOI $_eoi"
	if [ "$_soi$_com$_eoi" = ffd8vlfcffd9 ] && [ "${_cnt:-0}" -gt 0 ]; then
		tap_ok "MJPEG frames are JPEGs with the frame counter"
	else
		tap_fail "MJPEG frames are JPEGs with the frame counter"
	fi
	v4l2-ctl -d "$node" -v width=320,height=240,pixelformat=YUYV
}

# White bar, first pixels: luma 235 at brightness 0.
case_brightness() {
	v4l2-ctl -d "$node" -c brightness=-50
	capture "$node" 1 "$logs/dark.raw"
	_dark=$(od -An -tu1 -j16 -N1 "$logs/dark.raw" | tr -d ' ')
	v4l2-ctl -d "$node" -c brightness=0
	capture "$node" 1 "$logs/light.raw"
	_light=$(od -An -tu1 -j16 -N1 "$logs/light.raw" | tr -d ' ')
	tap_diag "luma of the white bar: $_dark at brightness -50," \
		"$_light at 0"
	if [ "$_dark" = 185 ] && [ "$_light" = 235 ]; then
		tap_ok "brightness control changes the pixels"
	else
		tap_fail "brightness control changes the pixels"
	fi
}

case_contract() {
	contract vlife-usbcam "$usb:1.0" vlife-usbcam
	_rc=$?
	sed 's/^/# /' "$logs/contract-vlife-usbcam.log" |
		grep -v '^# .*frame [0-9]*: buffer'
	tap_diag "unplug_test on vlife-usbcam: exit $_rc, ${totals:-no totals}"
	case $totals in
	*" fail:0 "*" error:0")
		[ $_rc = 0 ] &&
			tap_ok "unplug contract test on vlife-usbcam" && return
		;;
	esac
	tap_fail "unplug contract test on vlife-usbcam"
}

case_unplug_streaming() {
	if unplug_streaming vlife-usbcam &&
	   echo "$msg" | grep -q 'No such device'; then
		tap_diag "reader left $exit_ms ms after the unplug: $msg"
		tap_ok "unplug while streaming: the reader gets ENODEV"
	else
		tap_diag "reader: ${msg:-still running}"
		tap_fail "unplug while streaming: the reader gets ENODEV"
	fi
	case_replug "unplug while streaming"
}

case_unplug_blocked() {
	if unplug_blocked vlife-usbcam &&
	   echo "$msg" | grep -q 'No such device'; then
		tap_diag "reader blocked in ${wchan:-?}, left $exit_ms ms after" \
			"the emulator was killed: $msg"
		tap_ok "unplug while blocked in DQBUF: the reader gets ENODEV"
	else
		tap_diag "reader (in ${wchan:-?}): ${msg:-still running}"
		tap_fail "unplug while blocked in DQBUF: the reader gets ENODEV"
	fi
	usb=$(plug_in)
	if _dev=$(wait_node vlife-usbcam) && stream_ok "$_dev"; then
		tap_ok "a new emulator plugged in after the kill streams"
	else
		tap_fail "a new emulator plugged in after the kill streams"
	fi
}

# case_replug WHAT: plug back in, the node returns and streams.
case_replug() {
	_t0=$(now_ms)
	usb=$("$ctl" replug 2>>"$logs/ctl.log")
	if node=$(wait_node vlife-usbcam) && stream_ok "$node"; then
		tap_diag "back as $usb, $node, after $(($(now_ms) - _t0)) ms"
		tap_ok "replug after $1: streams again"
	else
		tap_fail "replug after $1: streams again"
	fi
}

case_unplug_commit() {
	if unplug_commit vlife-usbcam && echo "$msg" | grep -q STREAMON; then
		tap_diag "STREAMON failed after $exit_ms ms (the commit's" \
			"control transfer times out over USB/IP, fails at the" \
			"disconnect over raw-gadget): $msg"
		tap_ok "unplug during video commit: STREAMON fails, no hang"
	else
		tap_diag "reader: ${msg:-no error}, after ${exit_ms:-?} ms"
		tap_fail "unplug during video commit: STREAMON fails, no hang"
	fi
	case_replug "unplug during video commit"
}

# A capture loop reopens the node all along the unplug/replug cycles.
case_cycles() {
	rm -f "$logs/stop"
	(
		while [ ! -e "$logs/stop" ]; do
			if _d=$(cap_node vlife-usbcam) &&
			   timeout 20 v4l2-ctl -d "$_d" --stream-mmap \
				--stream-count=3 >/dev/null 2>&1; then
				echo ok
			else
				echo failed
				sleep 0.1
			fi
		done >"$logs/loop.log"
	) &
	_loop=$!
	_t0=$(now_ms)
	_i=0
	while [ $_i -lt "$cycles" ]; do
		"$ctl" unplug >/dev/null 2>>"$logs/ctl.log" || break
		"$ctl" replug >/dev/null 2>>"$logs/ctl.log" || break
		wait_node vlife-usbcam >/dev/null || break
		sleep 0.3
		_i=$((_i + 1))
	done
	_ms=$(($(now_ms) - _t0))
	touch "$logs/stop"
	wait_exit $_loop 30
	node=$(wait_node vlife-usbcam)
	tap_diag "$_i of $cycles cycles in $_ms ms ($((_ms / (_i + 1))) ms" \
		"each); capture loop: $(grep -c ok "$logs/loop.log") runs" \
		"streamed, $(grep -c failed "$logs/loop.log") failed"
	if [ $_i = "$cycles" ] && stream_ok "$node"; then
		tap_ok "$cycles unplug/replug cycles under a capture loop"
	else
		tap_fail "$cycles unplug/replug cycles under a capture loop"
	fi
}

# case_fault OPTION: error buffers, good frames, bytesused in bounds.
# v4l2-ctl counts good frames only: it dequeues until it has 20.
case_fault() {
	usb=$(plug_in "$@")
	node=$(wait_node vlife-usbcam)
	capture "$node" 20 /dev/null --verbose
	_dq=$(grep -c 'cap dqbuf' "$logs/capture.log")
	_err=$(grep -c '(error' "$logs/capture.log")
	_max=$(sed -n 's/.*bytesused: \([0-9]*\).*/\1/p' "$logs/capture.log" |
	       sort -n | tail -n 1)
	v4l2-ctl -d "$node" --log-status >/dev/null 2>&1
	_st=$(dmesg | grep 'vlife-usbcam.*frames [0-9]' | tail -n 1 |
	      sed 's/.*: frames/frames/')
	tap_diag "$*: $_dq buffers, $_err errors, largest ${_max:-0}" \
		"bytes; driver: $_st"
	if [ $((_dq - _err)) = 20 ] && [ "$_err" -gt 0 ] &&
	   [ "${_max:-0}" -le 153600 ]; then
		tap_ok "emulator $*: error buffers, frames keep coming"
	else
		tail -n 5 "$logs/capture.log" | sed 's/^/# /'
		tap_fail "emulator $*: error buffers, frames keep coming"
	fi
}

case_unload() {
	"$ctl" down >/dev/null 2>&1
	tap_check "rmmod vlife-usbcam" rmmod vlife_usbcam
	live=$(cat /sys/kernel/debug/vlife/live 2>/dev/null)
	tap_diag "live vlife devices after unloading vlife-usbcam:" \
		"${live:-unreadable}"
	if [ "$live" = 0 ]; then
		tap_ok "no vlife device left after unloading vlife-usbcam"
	else
		sed 's/^/# /' /sys/kernel/debug/vlife/instances 2>/dev/null
		tap_fail "no vlife device left after unloading vlife-usbcam"
	fi
	tap_check "rmmod vlife-core" rmmod vlife_core
}

# Both cameras plugged in side by side, three captures of 20 frames each,
# taken in turn so that both drivers see the same load.
peer_perf() {
	_of=
	_oc=
	_uf=
	_uc=
	for _r in 1 2 3; do
		perf "$node" 20 && _of="$_of $fps" && _oc="$_oc $cpu_us"
		perf "$unode" 20 && _uf="$_uf $fps" && _uc="$_uc $cpu_us"
	done
	v4l2-ctl -d "$node" --log-status >/dev/null 2>&1
	# shellcheck disable=SC2086 # word splitting wanted
	set -- "$(median $_of)" "$(median $_oc)" "$(median $_uf)" \
		"$(median $_uc)"
	if [ -z "$1" ] || [ -z "$3" ]; then
		tap_diag "uvcvideo: fps runs failed: vlife-usbcam '$_of'," \
			"uvcvideo '$_uf'"
		return
	fi
	tap_diag "uvcvideo: YUYV 640x480, median of 3 x 20 frames:" \
		"$(x100 "$3") fps, $4 us CPU per frame; vlife-usbcam" \
		"$(x100 "$1") fps, $2 us (whole guest, emulators included)"
	tap_diag "uvcvideo: ratio vlife-usbcam/uvcvideo: fps" \
		"$(x100 $(($1 * 100 / $3))), CPU per frame" \
		"$(x100 $(($2 * 100 / ($4 + 1))))"
	tap_diag "uvcvideo:   fps runs (x100): vlife-usbcam$_of, uvcvideo$_uf"
	tap_diag "uvcvideo:   uvcvideo's stream statistics:" \
		"$(cat /sys/kernel/debug/usb/uvcvideo/*/stats 2>/dev/null |
		   grep -E '^(frames|packets|empty|errors|invalid):' |
		   tr -s ' \n' '  ')"
	tap_diag "uvcvideo:   vlife-usbcam's:" \
		"$(dmesg | grep 'vlife-usbcam.*frames [0-9]' | tail -n 1 |
		   sed 's/.*: frames/frames/')"
}

# The contract test finds its node by name, and uvcvideo gives its
# metadata node the capture node's name: with vlife-usbcam's node at
# video0, uvcvideo's are video1 and video2, and sysfs lists video1 first.
peer_contract() {
	contract uvcvideo "$usb:1.0" \
		"$(cat "/sys/class/video4linux/${unode#/dev/}/name")"
	tap_diag "uvcvideo: unplug_test on" \
		"$(sed -n 's/.*:\(\/dev\/video[0-9]*\): .*/\1/p' \
		   "$logs/contract-uvcvideo.log" | head -n 1):" \
		"${totals:-no totals line}"
	grep -E '^not ok|Expected' "$logs/contract-uvcvideo.log" |
		sed 's/^/# uvcvideo:   /'
	grep -q 'not a single-planar streaming' "$logs/contract-uvcvideo.log" &&
		tap_diag "uvcvideo:   the test found the metadata node"
	# A fresh device: uvcvideo may not come back from the unbinds.
	"$ctl" unplug >/dev/null 2>>"$logs/ctl.log"
	usb=$("$ctl" replug 2>>"$logs/ctl.log")
	if unode=$(wait_node uvcvideo); then
		tap_diag "uvcvideo: replugged as $usb for what follows"
	else
		tap_diag "uvcvideo: no node after a replug ($usb)"
		return 1
	fi
}

# The peer: uvcvideo on the emulator's UVC identity, recorded only.
peer_uvcvideo() {
	modprobe uvcvideo || { tap_diag "uvcvideo: not available"; return; }
	node=$(VLIFE_USBCAM_RUN=$logs/emu plug_in >/dev/null &&
	       wait_node vlife-usbcam)
	export VLIFE_USBCAM_RUN=$logs/emu-uvc
	_t0=$(now_ms)
	usb=$(plug_in --identity uvc)
	if ! unode=$(wait_node uvcvideo); then
		tap_diag "uvcvideo: no capture node after plugging in ($usb)"
		return
	fi
	tap_diag "uvcvideo: $unode bound in $(($(now_ms) - _t0)) ms," \
		"name '$(cat "/sys/class/video4linux/${unode#/dev/}/name")'"
	[ -n "$node" ] && peer_perf
	v4l2-ctl -d "$unode" -v width=320,height=240,pixelformat=YUYV
	compliance_totals "$unode"
	tap_diag "uvcvideo: v4l2-compliance -s: ${ctotal:-no totals line}"
	grep -o -e 'fail:.*' -e 'warn:.*' "$logs/compliance.log" | sort |
		uniq -c | sed 's/^/# uvcvideo:   /'
	peer_contract || return
	if unplug_streaming uvcvideo; then
		tap_diag "uvcvideo: unplug while streaming: reader left after" \
			"$exit_ms ms: $msg"
	else
		tap_diag "uvcvideo: unplug while streaming: reader did not leave"
	fi
	usb=$("$ctl" replug 2>>"$logs/ctl.log")
	if unode=$(wait_node uvcvideo) && stream_ok "$unode"; then
		tap_diag "uvcvideo: replugged as $usb: streams again"
	else
		tap_diag "uvcvideo: replugged as $usb: no stream"
	fi
	if unplug_blocked uvcvideo; then
		tap_diag "uvcvideo: unplug while blocked in ${wchan:-?}: reader" \
			"left after $exit_ms ms: $msg"
	else
		tap_diag "uvcvideo: unplug while blocked in DQBUF: reader did" \
			"not leave"
	fi
	if unplug_commit uvcvideo --identity uvc; then
		tap_diag "uvcvideo: unplug during video commit: v4l2-ctl left" \
			"after $exit_ms ms: ${msg:-no error}"
	else
		tap_diag "uvcvideo: unplug during video commit: no node"
	fi
}

t0=$(now_ms)
echo "TAP version 13"
if ! out=$(vlife_insmod core/vlife-core 2>&1 &&
	   vlife_insmod drivers/usb/vlife-usbcam 2>&1); then
	echo "$out" | sed 's/^/# /'
	tap_fail "vlife-core and vlife-usbcam load"
	echo "1..$tap_n"
	exit 1
fi
tap_ok "vlife-core and vlife-usbcam load"

if [ "${VLIFE_USBCAM_TRANSPORT:-usbip}" = raw-gadget ]; then
	"$ctl" has-raw-gadget
else
	modprobe -n -q vhci-hcd
fi || {
	tap_skip "USB camera on its emulator" \
		"this kernel has no ${VLIFE_USBCAM_TRANSPORT:-usbip} transport (vhci-hcd, or raw_gadget and dummy_hcd)"
	case_unload
	echo "1..$tap_n"
	tap_done
	exit
}
tap_diag "transport: ${VLIFE_USBCAM_TRANSPORT:-usbip}"
if case_bind; then
	case_compliance
	case_yuyv 320 240 20
	case_yuyv 640 480 5
	case_yuyv 160 120 10
	case_mjpeg
	case_brightness
	case_contract
	case_unplug_streaming
	case_unplug_blocked
	case_unplug_commit
	case_cycles
	case_fault --malformed 7
	case_fault --short 4
	case_fault --overrun 3
fi
if [ "$peer" = 1 ]; then
	peer_uvcvideo
	"$ctl" down >/dev/null 2>&1
	rmmod uvcvideo 2>/dev/null
	tap_ok "uvcvideo peer run recorded"
else
	tap_skip "uvcvideo peer run" "VLIFE_USBCAM_PEER=0 (debug kernel)"
fi
export VLIFE_USBCAM_RUN=$logs/emu
case_unload
# raw_gadget and dummy_hcd stay: unloading dummy_hcd after a raw-gadget
# run left kmemleak reports of its gadget devices (name and private data
# from usb_add_gadget(), 6.1's UDC core; not analysed further)
rmmod vhci_hcd usbip_core 2>/dev/null
tap_diag "usb-camera: $((($(now_ms) - t0) / 1000)) s"
echo "1..$tap_n"
tap_done
