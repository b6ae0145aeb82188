# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Guest helpers shared by the benchmark (userspace-tools/bench/guest-bench)
# and the peer reports of the test command (selftests/guest/peer-*.sh).
# Sourced after selftests/lib/nodes.sh and modules.sh, with $bench_dir set
# to this folder; $bench_bin: the built programs (make -C
# userspace-tools/bench puts them in build/bench/).
bench_top=$(cd "${bench_dir:?}/../.." && pwd)
bench_bin=${bench_bin:-$bench_top/build/bench}

# ratio A B: A / B with two decimals ("n/a" if either is missing).
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b
		else printf "n/a" }'
}

# ioctl_cost DEV [CALLS [BATCHES]]: ioctl-cost's lines for DEV.
ioctl_cost() {
	"$bench_bin/ioctl-cost" "$@"
}

# ioctl_compare A B: two ioctl_cost outputs side by side, one line per
# ioctl of B: "name a_ns b_ns ratio" (a or b "n/a" if not measured).
ioctl_compare() {
	echo "$2" | while read -r _name _ns _rest; do
		_a=$(echo "$1" | awk -v n="$_name" '$1 == n { print $2 }')
		echo "$_name ${_a:-n/a} $_ns $(ratio "$_a" "$_ns")"
	done
}

# stream_cost DEV COUNT LOG: stream-cost.py's line (see there).
stream_cost() {
	python3 "$bench_dir/stream-cost.py" "$@"
}

# sensor_node: the first vlife sensor's subdev node and entity name, in
# $sensor and $sensor_name.
sensor_node() {
	for _d in /sys/class/video4linux/v4l-subdev*; do
		case $(cat "$_d/name" 2>/dev/null) in
		vlife-sensor*)
			sensor=/dev/${_d##*/}
			sensor_name=$(cat "$_d/name")
			return 0
			;;
		esac
	done
	return 1
}

# core_up: vlife-core loaded, if it is not yet.
core_up() {
	[ -d /sys/module/vlife_core ] || vlife_insmod core/vlife-core
}

# camera_up [BOARD PARAMETERS]: load the core, the board and the camera
# pair; waits for the nodes: $video, $media, $sensor, $sensor_name.
camera_up() {
	core_up && vlife_insmod hw/vlife-board "$@" &&
		vlife_insmod drivers/i2c/vlife-sensor &&
		vlife_insmod drivers/platform/vlife-bridge || return 1
	for _t in $(seq 50); do
		video=$(v4l_node video vlife-bridge) &&
			media=$(media_node "vlife camera bridge") &&
			sensor_node && return 0
		sleep 0.2
	done
	return 1
}

# camera_down: unload the camera pair, the board and the core.
camera_down() {
	for _m in vlife_bridge vlife_sensor vlife_board vlife_core; do
		[ -d /sys/module/$_m ] || continue
		rmmod $_m 2>/dev/null || { sleep 2; rmmod $_m; }
	done
}

# camera_format CODE FOURCC WIDTH HEIGHT VBLANK: the whole pipeline in one
# format, the sensor's vertical blanking (the frame rate) set.
camera_format() {
	media-ctl -d "$media" \
		-V "'$sensor_name':0 [fmt:$1/$3x$4 field:none]" &&
		media-ctl -d "$media" \
			-V "'vlife-bridge-csi2':0 [fmt:$1/$3x$4 field:none]" &&
		v4l2-ctl -d "$video" \
			--set-fmt-video "width=$3,height=$4,pixelformat=$2" &&
		v4l2-ctl -d "$sensor" --set-ctrl "vertical_blanking=$5"
}

# sensor_fps WIDTH HEIGHT: the frame rate the sensor's controls give at
# that size, for the log.
sensor_fps() {
	v4l2-ctl -d "$sensor" --get-ctrl pixel_rate,horizontal_blanking \
		--get-ctrl vertical_blanking | awk -F': ' -v w="$1" -v ht="$2" '
		{ v[$1] = $2 }
		END {
			h = w + v["horizontal_blanking"]
			l = ht + v["vertical_blanking"]
			printf "%.1f MHz / (%d x %d) = %.2f fps",
				v["pixel_rate"] / 1e6, h, l,
				v["pixel_rate"] / h / l
		}'
}

# vivid_hdmi DEV WIDTH HEIGHT FPS: vivid's HDMI input 0 (vivid loaded with
# input_types=0x3) at the CTA-861 timings of that size and rate, YUYV.
vivid_hdmi() {
	_i=$(v4l2-ctl -d "$1" --list-dv-timings | awk -v w="$2" -v h="$3" \
		-v r="($4.00 frames per second)" '
		/Index:/ { i = $2; a = 0; b = 0 }
		$0 ~ "Active width: " w "$" { a = 1 }
		$0 ~ "Active height: " h "$" { b = 1 }
		index($0, r) && a && b { print i; exit }')
	[ -n "$_i" ] &&
		v4l2-ctl -d "$1" -i 0 >/dev/null &&
		v4l2-ctl -d "$1" --set-dv-bt-timings "index=$_i" \
			>/dev/null &&
		v4l2-ctl -d "$1" -v "width=$2,height=$3,pixelformat=YUYV"
}

# node_device NODE: "DRIVER_DIR DEVICE", the driver and the device the
# node /dev/NAME hangs from (what a sysfs unbind names).
node_device() {
	_s=/sys/class/video4linux/${1##*/}/device
	_dd=$(readlink -f "$_s/driver") && _dv=$(readlink -f "$_s") &&
		echo "$_dd ${_dv##*/}"
}
