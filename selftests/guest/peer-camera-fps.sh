#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 1080p60 streaming, the camera pair against vivid's HDMI input, in one VM
# run: frames delivered per second, sequence gaps (dropped frames) and
# CPU time per frame, then the ratios vlife / vivid.  A measurement, not
# an assertion: the numbers are diagnostics, the single case only checks
# that both drivers were measured.
#
#  - vlife: vlife-board's sensor at 1920x1080 with VBLANK 45 (148.5 MHz /
#    (2200 x 1125) = 60 fps), RAW10 (SRGGB10, 4147200 bytes a frame, the
#    default format) through vlife-bridge's dma-contig queue; RAW8 if the
#    RAW10 buffers cannot be allocated (no CMA on Debian's kernel: each
#    buffer is one 4 MiB block from the page allocator);
#  - vivid: input 0 an HDMI receiver (input_types=0x3), CTA-861 1080p60
#    timings, YUYV (the same 4147200 bytes a frame);
#  - each streams 600 frames (10 s at 60 fps) with
#    userspace-tools/bench/stream-cost.py (v4l2-ctl into 4 mmap buffers):
#    fps, missing and repeated frames, CPU per frame of the whole guest
#    (the emulated hardware included: vlife-board's frame engine for
#    vlife, vivid's generator thread for vivid) and of the capture
#    process.  `make bench` measures the same and more.
#
# Peer reports run on Debian's kernel only (lib/peers.sh).
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/lib/tap.sh
. lib/tap.sh
# shellcheck source=selftests/lib/peers.sh
. lib/peers.sh
# shellcheck source=selftests/lib/modules.sh
. lib/modules.sh
# shellcheck source=selftests/lib/nodes.sh
. lib/nodes.sh
bench_dir=../userspace-tools/bench
# shellcheck source=userspace-tools/bench/lib.sh
. $bench_dir/lib.sh

frames=${VLIFE_FPS_FRAMES:-600}
logs=/tmp/peer-camera-fps
rm -rf $logs
mkdir -p $logs

# measure NAME DEV: stream $frames frames from DEV (stream_cost's line),
# v4l2-ctl's output in $logs/NAME.log.
measure() {
	stream_cost "$2" "$frames" "$logs/$1.log"
}

# report WHO LINE: the numbers of one measure line, as a diagnostic.
report() {
	# shellcheck disable=SC2086 # the line's fields
	set -- "$1" $2
	tap_diag "$1: $2 frames, $3 fps ($4 of distinct frames)," \
		"sequence: $5 missing, $6 repeated; CPU per frame $7 us" \
		"(whole guest), $8 us (capture process); $9 ms wall"
}

tap_plan 1

# vlife: the camera pair, alone in the guest.
camera_up
fmt=RG10
if camera_format SRGGB10_1X10 RG10 1920 1080 45 >$logs/setup.log 2>&1; then
	tap_diag "vlife sensor timing: $(sensor_fps 1920 1080)"
	vlife=$(measure vlife "$video")
	if [ -z "$vlife" ] &&
	   grep -q 'Cannot allocate memory' $logs/vlife.log; then
		tap_diag "vlife: RAW10 buffers failed with ENOMEM, RAW8 instead"
		fmt=RGGB
		camera_format SRGGB8_1X8 RGGB 1920 1080 45 \
			>>$logs/setup.log 2>&1 &&
			vlife=$(measure vlife "$video")
	fi
else
	sed 's/^/# /' $logs/setup.log
fi
[ -n "$vlife" ] || tail -n 5 $logs/vlife.log 2>/dev/null | sed 's/^/# /'
camera_down

# vivid: reloaded with an HDMI input (an earlier test may have loaded it
# with other inputs; later ones load their own).
rmmod vivid 2>/dev/null
modprobe vivid n_devs=1 node_types=0x1 input_types=0x3 num_inputs=1
vivid=$(v4l_node video vivid-000-vid-cap)
if [ -n "$vivid" ] &&
   vivid_hdmi "$vivid" 1920 1080 60 >$logs/vivid-setup.log 2>&1; then
	vivid_out=$(measure vivid "$vivid")
else
	sed 's/^/# /' $logs/vivid-setup.log
fi
[ -n "$vivid_out" ] || tail -n 5 $logs/vivid.log 2>/dev/null | sed 's/^/# /'
rmmod vivid

if [ -n "$vlife" ] && [ -n "$vivid_out" ]; then
	report "vlife-bridge 1920x1080 $fmt at 60 fps" "$vlife"
	report "vivid HDMI 1920x1080 YUYV at 60 fps" "$vivid_out"
	# shellcheck disable=SC2086 # the lines' fields
	set -- $vlife $vivid_out
	tap_diag "ratio vlife/vivid: fps of distinct frames" \
		"$(ratio "$3" "${11}"), CPU per frame $(ratio "$6" "${14}")" \
		"(whole guest), $(ratio "$7" "${15}") (capture process)"
	tap_ok "1080p60 fps and CPU per frame measured against vivid's HDMI input"
else
	tap_fail "1080p60 fps and CPU per frame measured against vivid's HDMI input"
fi
tap_done
