#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Real V4L2 applications on the sample drivers, in the guest: v4l2-ctl
# (--stream-mmap --stream-to), GStreamer (gst-launch-1.0 v4l2src ...
# filesink), ffmpeg (-f v4l2) and libcamera's cam, against
#
#  - the camera pair on the emulated board (vlife-sensor + vlife-bridge):
#    1920x1080 RAW10 (RG10), and RAW8 (RGGB) with the sensor and the
#    receiver set to 8 bits;
#  - vlife-usbcam on the emulated USB camera: 320x240 YUYV and MJPEG;
#  - the core's test driver (vlife-testdrv): 320x240 YUYV.
#
# Each client captures a few frames where it supports the format, and the
# output must be exactly that many frames long (raw formats) or that many
# JPEG images (MJPEG).  A client that does not support a format is a SKIP
# that says why, found out at run time, never a pass.  libcamera's cam
# runs where libcamera made a camera of the driver's media device; its
# debug log says whether it enumerated that media device and whether a
# pipeline handler matched it, and the skip says which failed.
#
# Then a client streams while its device is unbound from its driver: it
# must be streaming at the unbind and exit within 10 s (no hang), the
# unbound device's vlife instance must be gone, and the kernel lines
# logged meanwhile must hold no WARNING, BUG, KASAN, lockdep or refcount
# report; the device is bound again after.  v4l2-ctl does this on every
# driver, GStreamer with the bridge's sensor unbound under it, ffmpeg on
# the USB camera (both on the test driver on the debug kernel): these two
# take seconds to start under TCG, and the CI time is counted.  ffmpeg's
# MJPEG capture is left out for the same reason (v4l2-ctl and GStreamer
# capture MJPEG).
#
# On the debug kernel (VLIFE_KERNEL=debug) only the test driver's cases
# run (the others are one skip with that reason), to bound the CI time;
# the drivers' own tests unbind them there.
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

top=$(cd .. && pwd)
logs=/tmp/clients
rm -rf $logs
mkdir -p $logs
export VLIFE_USBCAM_RUN=$logs/emu
if [ "${VLIFE_KERNEL:-stock}" = stock ]; then
	full=1
	limit=60
	gone_s=5
else
	full=0
	limit=300
	# kobject releases are delayed by up to a second each there
	# (CONFIG_DEBUG_KOBJECT_RELEASE): a freed instance takes seconds
	gone_s=30
	export VLIFE_USBCAM_WAIT=60
fi
frames=5
start_s=$(date +%s)

section() { tap_diag "--- $* (at $(($(date +%s) - start_s)) s)"; }

live() { cat /sys/kernel/debug/vlife/live 2>/dev/null; }
live_is() { [ "$(live)" = "$1" ]; }

# size FILE: its size in bytes, 0 if missing.
size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# run NAME CMD...: run a client, bounded; output in $logs/NAME.log.
run() {
	_name=$1
	shift
	_t0=$(now_ms)
	timeout $limit "$@" >"$logs/$_name.log" 2>&1
	_rc=$?
	tap_diag "$_name: exit $_rc in $(($(now_ms) - _t0)) ms"
	return $_rc
}

# check_size NAME FILE EXPECTED: one case, FILE must be EXPECTED bytes.
check_size() {
	_got=$(size "$2")
	tap_diag "$1: $_got bytes, expected $3 ($frames frames)"
	if [ "$_got" = "$3" ]; then
		tap_ok "$1"
	else
		tail -n 5 "$logs/$1.log" | sed 's/^/# /'
		tap_fail "$1"
	fi
	rm -f "$2"
}

# check_jpegs NAME FILE: one case, FILE must hold $frames JPEG images
# (start-of-image markers at the start of each, FF D8 FF).
check_jpegs() {
	_n=$(od -An -v -tx1 -w1 "$2" 2>/dev/null | tr -d ' \n' |
	     grep -o 'ffd8ffe0\|ffd8ffdb\|ffd8fffe\|ffd8ffc0' | wc -l)
	tap_diag "$1: $(size "$2") bytes, $_n JPEG images, expected $frames"
	if [ "$_n" -ge "$frames" ] && [ "$(size "$2")" -gt 0 ]; then
		tap_ok "$1"
	else
		tail -n 5 "$logs/$1.log" | sed 's/^/# /'
		tap_fail "$1"
	fi
	rm -f "$2"
}

# v4l2ctl NAME NODE BYTES: v4l2-ctl streams $frames frames to a file.
v4l2ctl() {
	run "$1" v4l2-ctl -d "$2" --stream-mmap --stream-count=$frames \
		--stream-to="$logs/out"
	check_size "$1" "$logs/out" "$3"
}

# gst NAME NODE CAPS BYTES|jpeg: gst-launch-1.0 v4l2src, $frames frames.
gst() {
	run "$1" gst-launch-1.0 -q v4l2src device="$2" num-buffers=$frames \
		! "$3" ! filesink location="$logs/out"
	if [ "$4" = jpeg ]; then
		check_jpegs "$1" "$logs/out"
	else
		check_size "$1" "$logs/out" "$4"
	fi
}

# ffm NAME NODE INPUT-FORMAT WxH BYTES|jpeg: ffmpeg -f v4l2, $frames frames,
# copied as they came.
ffm() {
	run "$1" ffmpeg -hide_banner -nostdin -loglevel error -f v4l2 \
		-input_format "$3" -video_size "$4" -i "$2" \
		-frames:v $frames -fps_mode passthrough -c:v copy \
		-f "$([ "$5" = jpeg ] && echo mjpeg || echo rawvideo)" \
		-y "$logs/out"
	if [ "$5" = jpeg ]; then
		check_jpegs "$1" "$logs/out"
	else
		check_size "$1" "$logs/out" "$5"
	fi
}

# ffm_has NODE NAME: ffmpeg's v4l2 input lists pixel format NAME on NODE.
ffm_has() {
	ffmpeg -hide_banner -nostdin -f v4l2 -list_formats all -i "$1" \
		2>&1 | grep -q " $2 "
}

# version PACKAGE: the Debian package's version.
version() {
	dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo '(unknown)'
}

# unbind_case NAME FINDER DEVICE DRIVER-DIR FUNC ARGS...: FUNC NODE ARGS
# streams without end into $logs/stream from NODE, the node FINDER
# prints; once data has come (the stream is under way), DEVICE is
# unbound.  The client must have been streaming then, and must exit
# within 10 s (no hang); the device's vlife instance must be gone (within
# $gone_s s) and the kernel log clean.  DEVICE is bound again after, and
# FINDER waited for.
unbind_case() {
	_name=$1
	_finder=$2
	_dev=$3
	_drv=$4
	shift 4
	_func=$1
	shift
	_before=$(live)
	_mark=$(dmesg | wc -l)
	rm -f $logs/stream
	"$_func" "$($_finder)" "$@" >"$logs/$_name.log" 2>&1 &
	_pid=$!
	_t=$(now_ms)
	_streaming=0
	wait_for $limit test -s $logs/stream && sleep 0.5 &&
		kill -0 $_pid 2>/dev/null && _streaming=1
	tap_diag "$_name: streaming: $_streaming, first data after" \
		 "$(($(now_ms) - _t)) ms, $(size $logs/stream) bytes"
	_t0=$(now_ms)
	echo "$_dev" >"$_drv/unbind"
	_t1=$(now_ms)
	_exited=0
	wait_for 10 sh -c "! kill -0 $_pid" && _exited=1
	_t2=$(now_ms)
	if [ $_exited = 1 ]; then
		wait $_pid
		_rc=$?
	else
		kill -KILL $_pid
		wait $_pid
		_rc=hung
	fi
	_gone=0
	wait_for $gone_s live_is $((_before - 1)) && _gone=1
	dmesg | tail -n +$((_mark + 1)) >"$logs/$_name.klog"
	_clean=1
	grep -Eq 'WARNING:|BUG:|KASAN|KFENCE|refcount_t|lockdep|possible circular|list_(add|del) corruption|INFO: task|Oops' \
		"$logs/$_name.klog" && _clean=0
	_msg=$(grep -Ei 'error|fail|no such|i/o' "$logs/$_name.log" |
	       tail -n 1 | tr -d '<' | cut -c 1-150)
	tap_diag "$_name: unbind took $((_t1 - _t0)) ms; client exit $_rc" \
		 "$((_t2 - _t1)) ms after it; vlife live $_before ->" \
		 "$(live); kernel log clean: $_clean"
	tap_diag "$_name: client's last error: ${_msg:-none printed}"
	rm -f $logs/stream
	if [ $_streaming = 1 ] && [ $_exited = 1 ] && [ $_gone = 1 ] &&
	   [ $_clean = 1 ]; then
		tap_ok "$_name"
	else
		tail -n 5 "$logs/$_name.log" | sed 's/^/# /'
		sed 's/^/# /' "$logs/$_name.klog" | tail -n 20
		tap_fail "$_name"
	fi
	echo "$_dev" >"$_drv/bind"
	wait_for 10 "$_finder"
}

# The three clients streaming without end into $logs/stream.
v4l2ctl_forever() {
	v4l2-ctl -d "$1" --stream-mmap --stream-count=1000000 \
		--stream-to=$logs/stream
}
gst_forever() {
	gst-launch-1.0 v4l2src device="$1" ! "$2" ! \
		filesink location=$logs/stream
}
ffm_forever() {
	ffmpeg -hide_banner -nostdin -loglevel error -f v4l2 \
		-input_format "$2" -video_size "$3" -i "$1" -c:v copy \
		-f rawvideo $logs/stream
}

# udev_db_add, udev_db_del: libcamera enumerates devices through libudev,
# which lists only the devices udevd has initialised (those with an entry
# in /run/udev/data); the test guest runs no udevd, so the entries udevd
# would have written for the V4L2 and media nodes are written around each
# cam run (empty: libcamera needs no property from them), and removed.
udev_db_add() {
	mkdir -p /run/udev/data
	udev_made=
	for _d in /sys/class/video4linux/* /sys/bus/media/devices/*; do
		[ -e "$_d/dev" ] || continue
		_f=/run/udev/data/c$(cat "$_d/dev")
		[ -e "$_f" ] && continue
		: >"$_f"
		udev_made="$udev_made $_f"
	done
}
udev_db_del() {
	# shellcheck disable=SC2086 # paths without blanks
	[ -z "$udev_made" ] || rm -f $udev_made
}

# cam_list: libcamera's cam lists the cameras, once, with every sample
# driver loaded, its debug log kept in $logs/cam.log for cam_case.
cam_list() {
	udev_db_add
	LIBCAMERA_LOG_LEVELS='*:DEBUG' run "cam -l" cam -l
	udev_db_del
	sed 's/\x1b\[[0-9;]*m//g' "$logs/cam -l.log" >$logs/cam.log
	grep '^[0-9]*: ' $logs/cam.log | sed 's/^/# cam camera /'
	grep -E 'Added device|Successful match|Can not|Failed' $logs/cam.log |
		sed 's/^.*[0-9] /# libcamera: /'
	cam_handlers=$(sed -n "s/.*Found registered pipeline handler '\\([^']*\\)'.*/\\1/p" \
		       $logs/cam.log | sort -u | xargs | sed 's/ /, /g')
}

# cam_case NAME DRIVER: the camera libcamera made of the media device of
# DRIVER (its driver name) captures $frames frames into files, which must
# not be empty.  A skip when libcamera enumerated no media device of
# DRIVER, or no pipeline handler matched it (both from its debug log).
cam_case() {
	_v="libcamera $(version libcamera-tools)"
	if ! grep -q "Added device .*: $2\$" $logs/cam.log; then
		tap_skip "$1" "$_v enumerated no media device of $2 (it finds cameras through media devices only; $2 registers none)"
		return
	fi
	if ! grep -q "Successful match for media device \"$2\"" $logs/cam.log
	then
		tap_skip "$1" "$_v enumerates the media device of $2, but none of its pipeline handlers ($cam_handlers) matches it: they claim media devices by driver name (the simple handler: a fixed list of SoC receivers such as imx7-csi, sun6i-csi, qcom-camss; UVC: uvcvideo; Vimc: vimc)"
		return
	fi
	_id=$(grep '^[0-9]*: ' $logs/cam.log | head -n 1 |
	      sed 's/^\([0-9]*\):.*/\1/')
	mkdir -p $logs/cam
	udev_db_add
	run "$1" cam -c "${_id:-1}" --capture=$frames \
		--file="$logs/cam/frame-#.bin"
	udev_db_del
	_n=$(find $logs/cam -name 'frame-*.bin' -size +0 | wc -l)
	tap_diag "$1: $_n frame files"
	if [ "$_n" -ge $frames ]; then
		tap_ok "$1"
	else
		tail -n 5 "$logs/$1.log" | sed 's/^/# /'
		tap_fail "$1"
	fi
	rm -rf $logs/cam
}

# GStreamer scans every plugin it finds at its first start (seconds
# under TCG): it is given only the two it needs, and a registry in /tmp.
gst_dir=/usr/lib/x86_64-linux-gnu/gstreamer-1.0
mkdir -p $logs/gst-plugins
ln -sf $gst_dir/libgstcoreelements.so $gst_dir/libgstvideo4linux2.so \
	$logs/gst-plugins/
export GST_PLUGIN_SYSTEM_PATH_1_0=$logs/gst-plugins
export GST_REGISTRY_1_0=$logs/gst-registry.bin

bnode() { v4l_node video vlife-bridge; }
cnode() { v4l_node v4l-subdev vlife-bridge-csi2; }
snode() { v4l_node v4l-subdev 'vlife-sensor*'; }
tnode() { v4l_node video vlife-testdrv; }
unode() { cap_node vlife-usbcam; }

# bridge_fmt CODE: the sensor and both receiver pads at 1920x1080 CODE
# (the video node's format follows from what each client sets).
bridge_fmt() {
	v4l2-ctl -d "$(snode)" \
		--set-subdev-fmt pad=0,width=1920,height=1080,code="$1" &&
	v4l2-ctl -d "$(cnode)" \
		--set-subdev-fmt pad=0,width=1920,height=1080,code="$1" &&
	v4l2-ctl -d "$(cnode)" \
		--set-subdev-fmt pad=1,width=1920,height=1080,code="$1"
} >/dev/null 2>&1

echo "TAP version 13"
section "load the drivers$([ $full = 1 ] &&
	echo ", plug in the USB camera")"
t_load=$(now_ms)
if ! out=$(vlife_insmod core/vlife-core 2>&1 &&
	   vlife_insmod selftests/testdrv/vlife-testdrv 2>&1 &&
	   { [ $full = 0 ] ||
	     { vlife_insmod hw/vlife-board 2>&1 &&
	       vlife_insmod drivers/i2c/vlife-sensor 2>&1 &&
	       vlife_insmod drivers/platform/vlife-bridge 2>&1 &&
	       vlife_insmod drivers/usb/vlife-usbcam 2>&1 &&
	       echo "modules loaded in $(($(now_ms) - t_load)) ms" &&
	       "$top/hw/usb/usbcam-ctl.sh" up 2>&1 &&
	       wait_for 10 unode && wait_for 10 bnode &&
	       wait_for 10 snode && wait_for 10 cnode; }; } &&
	   wait_for 10 tnode); then
	echo "$out" | sed 's/^/# /'
	tap_fail "the sample drivers load"
	echo "1..$tap_n"
	exit 1
fi
echo "$out" | grep 'loaded in' | sed 's/^/# /'
tap_diag "every node there $(($(now_ms) - t_load)) ms after the first insmod"
tap_ok "the sample drivers load$([ $full = 1 ] && echo ", camera plugged in")"
[ $full = 1 ] && usb=$("$top/hw/usb/usbcam-ctl.sh" device)
cam_list

section "the test driver"
node=$(tnode)
tdrv=/sys/bus/platform/drivers/vlife-testdrv
tap_diag "vlife-testdrv: $node"
yuyv=$((320 * 240 * 2 * frames))
v4l2ctl "v4l2-ctl: vlife-testdrv YUYV" "$node" $yuyv
gst "gstreamer: vlife-testdrv YUYV" "$node" \
	video/x-raw,format=YUY2,width=320,height=240 $yuyv
ffm "ffmpeg: vlife-testdrv YUYV" "$node" yuyv422 320x240 $yuyv
cam_case "libcamera cam: vlife-testdrv" vlife-testdrv
unbind_case "v4l2-ctl: vlife-testdrv unbound while streaming" tnode \
	vlife-testdrv.0 $tdrv v4l2ctl_forever
# GStreamer and ffmpeg are unbound under on the board and the USB camera
# on Debian's kernel, here on the debug kernel (which runs only these).
if [ $full = 0 ]; then
	unbind_case "gstreamer: vlife-testdrv unbound while streaming" tnode \
		vlife-testdrv.0 $tdrv gst_forever video/x-raw,format=YUY2
	unbind_case "ffmpeg: vlife-testdrv unbound while streaming" tnode \
		vlife-testdrv.0 $tdrv ffm_forever yuyv422 320x240
fi
rmmod vlife_testdrv

if [ $full = 0 ]; then
	tap_skip "clients on the camera board and the USB camera" \
		"Debian's kernel only (the debug kernel runs the test driver's cases)"
	rmmod vlife_core
	section "done"
	echo "1..$tap_n"
	tap_done
	exit
fi

section "the camera pair on the emulated board"
node=$(bnode)
bdrv=/sys/bus/platform/drivers/vlife-bridge
tap_diag "vlife-bridge: $node, sensor $(snode), receiver $(cnode)"
raw10=$((1920 * 1080 * 2 * frames))
raw8=$((1920 * 1080 * frames))
v4l2ctl "v4l2-ctl: vlife-bridge RG10" "$node" $raw10
gst-inspect-1.0 v4l2src >$logs/v4l2src.txt 2>&1
if grep -q rggb10 $logs/v4l2src.txt; then
	gst "gstreamer: vlife-bridge RG10" "$node" \
		video/x-bayer,format=rggb10le,width=1920,height=1080 $raw10
else
	tap_skip "gstreamer: vlife-bridge RG10" \
		"v4l2src $(version gstreamer1.0-plugins-good) has no 10-bit Bayer caps (video/x-bayer: $(
		  grep -A1 x-bayer $logs/v4l2src.txt |
		  sed -n 's/.*format: //p' | head -n 1))"
fi
ffmpeg -hide_banner -nostdin -f v4l2 -list_formats all -i "$node" \
	>"$logs/ffmpeg-formats.log" 2>&1
sed -n 's/.*\] *\(Raw\|Compressed\) *:/# ffmpeg lists:/p' \
	"$logs/ffmpeg-formats.log"
if grep '10-bit Bayer' "$logs/ffmpeg-formats.log" | grep -q Unsupported; then
	tap_skip "ffmpeg: vlife-bridge RG10" \
		"ffmpeg $(version ffmpeg)'s v4l2 input has no pixel format for 10-bit Bayer: it lists RG10 as Unsupported"
else
	ffm "ffmpeg: vlife-bridge RG10" "$node" bayer_rggb16le 1920x1080 \
		$raw10
fi
bridge_fmt 0x3014
v4l2-ctl -d "$node" -v pixelformat=RGGB >/dev/null 2>&1
v4l2ctl "v4l2-ctl: vlife-bridge RGGB (8-bit)" "$node" $raw8
gst "gstreamer: vlife-bridge RGGB (8-bit)" "$node" \
	video/x-bayer,format=rggb,width=1920,height=1080 $raw8
ffm "ffmpeg: vlife-bridge RGGB (8-bit)" "$node" bayer_rggb8 1920x1080 $raw8
cam_case "libcamera cam: vlife-sensor + vlife-bridge" vlife-bridge
unbind_case "v4l2-ctl: vlife-bridge unbound while streaming" bnode \
	vlife-bridge.0 $bdrv v4l2ctl_forever
# The sensor unbound under a streaming bridge: the bridge must end the
# stream (selftests/bugs/bridge.sh's nounbind bug makes it stall: this
# case then fails on the client's hang).  The bridge came back at RAW10,
# GStreamer streams RAW8.
gst_on_bridge() { gst_forever "$(bnode)" "$2"; }
wait_for 10 cnode && bridge_fmt 0x3014
sclient=$(basename "$(readlink -f \
	"/sys/class/video4linux/$(basename "$(snode)")/device")")
unbind_case "gstreamer: vlife-sensor unbound under the streaming bridge" \
	snode "$sclient" /sys/bus/i2c/drivers/vlife-sensor gst_on_bridge \
	video/x-bayer,format=rggb
rmmod vlife_bridge vlife_sensor vlife_board

section "the USB camera on its emulator"
node=$(unode)
intf=$usb:1.0
udrv=/sys/bus/usb/drivers/vlife-usbcam
tap_diag "vlife-usbcam: $node on USB $usb"
v4l2-ctl -d "$node" -v width=320,height=240,pixelformat=YUYV >/dev/null 2>&1
v4l2ctl "v4l2-ctl: vlife-usbcam YUYV" "$node" $yuyv
gst "gstreamer: vlife-usbcam YUYV" "$node" \
	video/x-raw,format=YUY2,width=320,height=240 $yuyv
ffm "ffmpeg: vlife-usbcam YUYV" "$node" yuyv422 320x240 $yuyv
v4l2-ctl -d "$node" -v width=320,height=240,pixelformat=MJPG >/dev/null 2>&1
run "v4l2-ctl: vlife-usbcam MJPEG" v4l2-ctl -d "$node" --stream-mmap \
	--stream-count=$frames --stream-to="$logs/out"
check_jpegs "v4l2-ctl: vlife-usbcam MJPEG" "$logs/out"
gst "gstreamer: vlife-usbcam MJPEG" "$node" \
	image/jpeg,width=320,height=240 jpeg
cam_case "libcamera cam: vlife-usbcam" vlife-usbcam
unbind_case "v4l2-ctl: vlife-usbcam unbound while streaming" unode \
	"$intf" $udrv v4l2ctl_forever
unbind_case "ffmpeg: vlife-usbcam unbound while streaming" unode \
	"$intf" $udrv ffm_forever yuyv422 320x240
"$top/hw/usb/usbcam-ctl.sh" down
rmmod vlife_usbcam vlife_core
section "done"
echo "1..$tap_n"
tap_done
