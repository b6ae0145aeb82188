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
#  - each streams 600 frames (10 s at 60 fps) into 4 mmap buffers with
#    v4l2-ctl, which only dequeues and requeues;
#  - fps from the first and last buffer timestamps; missing and repeated
#    frames from the sequence numbers; CPU per frame from the whole
#    guest's /proc/stat (the emulated hardware included: vlife-board's
#    frame engine for vlife, vivid's generator thread for vivid) and from
#    getrusage() of the capture process.
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

frames=${VLIFE_FPS_FRAMES:-600}
logs=/tmp/peer-camera-fps
rm -rf $logs
mkdir -p $logs

# measure NAME DEV: stream $frames frames from DEV; prints one line
#   frames fps distinct_fps missing repeated guest_us_per_frame
#   process_us_per_frame wall_ms
# (missing: sequence numbers skipped; repeated: a frame whose sequence is
# not above the one before, which vivid does when its thread catches up)
# and keeps v4l2-ctl's output in $logs/NAME.log.  Fails without frames.
measure() {
	python3 - "$2" "$frames" "$logs/$1.log" <<'EOF'
import re, resource, subprocess, sys, time

dev, count, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def busy():
    # user nice system irq softirq steal, in clock ticks, all CPUs
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]


def cpu(r):
    return r.ru_utime + r.ru_stime


ticks = 100.0  # USER_HZ
r0, j0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), busy(), \
    time.monotonic()
p = subprocess.run(["v4l2-ctl", "-d", dev, "--verbose", "--stream-mmap=4",
                    "--stream-count=%d" % count],
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   text=True, timeout=count / 10 + 60)
r1, j1, t1 = resource.getrusage(resource.RUSAGE_CHILDREN), busy(), \
    time.monotonic()
open(log, "w").write(p.stdout)
seq, ts = [], []
for m in re.finditer(r"seq: *(\d+) .*? ts: *([0-9.]+)", p.stdout):
    seq.append(int(m.group(1)))
    ts.append(float(m.group(2)))
n = len(seq)
if p.returncode or n < 2 or "returned -1" in p.stdout:
    sys.exit(1)
fps = (n - 1) / (ts[-1] - ts[0])
missing = sum(max(b - a - 1, 0) for a, b in zip(seq, seq[1:]))
repeated = sum(b <= a for a, b in zip(seq, seq[1:]))
guest = (j1 - j0) / ticks / n * 1e6
proc = (cpu(r1) - cpu(r0)) / n * 1e6
distinct = (n - 1 - repeated) / (ts[-1] - ts[0])
print("%d %.2f %.2f %d %d %.0f %.0f %.0f" % (n, fps, distinct, missing,
                                             repeated, guest, proc,
                                             (t1 - t0) * 1000))
EOF
}

# ratio A B: A / B with two decimals.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'
}

# report WHO LINE: the numbers of one measure line, as a diagnostic.
report() {
	# shellcheck disable=SC2086 # the line's fields
	set -- "$1" $2
	tap_diag "$1: $2 frames, $3 fps ($4 of distinct frames)," \
		"sequence: $5 missing, $6 repeated; CPU per frame $7 us" \
		"(whole guest), $8 us (capture process); $9 ms wall"
}

# sensor_node: the sensor's subdev node and entity name.
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

# vlife_1080p60 CODE FOURCC: the pipeline at 1920x1080 in one format, the
# sensor at 60 fps.
vlife_1080p60() {
	media-ctl -d "$media" \
		-V "'$sensor_name':0 [fmt:$1/1920x1080 field:none]" &&
		media-ctl -d "$media" \
			-V "'vlife-bridge-csi2':0 [fmt:$1/1920x1080 field:none]" &&
		v4l2-ctl -d "$video" \
			--set-fmt-video "width=1920,height=1080,pixelformat=$2" &&
		v4l2-ctl -d "$sensor" --set-ctrl vertical_blanking=45
}

# sensor_fps: the frame rate the sensor's controls give, for the log.
sensor_fps() {
	v4l2-ctl -d "$sensor" --get-ctrl pixel_rate,horizontal_blanking \
		--get-ctrl vertical_blanking | awk -F': ' '
		{ v[$1] = $2 }
		END {
			h = 1920 + v["horizontal_blanking"]
			l = 1080 + v["vertical_blanking"]
			printf "%.1f MHz / (%d x %d) = %.2f fps",
				v["pixel_rate"] / 1e6, h, l,
				v["pixel_rate"] / h / l
		}'
}

# vivid_1080p60: vivid's HDMI input 0 at CTA-861 1920x1080p60, YUYV.
vivid_1080p60() {
	_i=$(v4l2-ctl -d "$vivid" --list-dv-timings | awk '
		/Index:/ { i = $2; w = 0; h = 0 }
		/Active width: 1920$/ { w = 1 }
		/Active height: 1080$/ { h = 1 }
		/\(60\.00 frames per second\)/ && w && h { print i; exit }')
	[ -n "$_i" ] &&
		v4l2-ctl -d "$vivid" -i 0 >/dev/null &&
		v4l2-ctl -d "$vivid" --set-dv-bt-timings "index=$_i" \
			>/dev/null &&
		v4l2-ctl -d "$vivid" \
			-v width=1920,height=1080,pixelformat=YUYV
}

unload_vlife() {
	for _m in vlife_bridge vlife_sensor vlife_board vlife_core; do
		rmmod $_m 2>/dev/null || { sleep 2; rmmod $_m; }
	done
}

tap_plan 1

# vlife: the camera pair, alone in the guest.
vlife_insmod core/vlife-core && vlife_insmod hw/vlife-board &&
	vlife_insmod drivers/i2c/vlife-sensor &&
	vlife_insmod drivers/platform/vlife-bridge
for _t in $(seq 50); do
	video=$(v4l_node video vlife-bridge) &&
		media=$(media_node "vlife camera bridge") && sensor_node &&
		break
	sleep 0.2
done
fmt=RG10
if vlife_1080p60 SRGGB10_1X10 RG10 >$logs/setup.log 2>&1; then
	tap_diag "vlife sensor timing: $(sensor_fps)"
	vlife=$(measure vlife "$video")
	if [ -z "$vlife" ] &&
	   grep -q 'Cannot allocate memory' $logs/vlife.log; then
		tap_diag "vlife: RAW10 buffers failed with ENOMEM, RAW8 instead"
		fmt=RGGB
		vlife_1080p60 SRGGB8_1X8 RGGB >>$logs/setup.log 2>&1 &&
			vlife=$(measure vlife "$video")
	fi
else
	sed 's/^/# /' $logs/setup.log
fi
[ -n "$vlife" ] || tail -n 5 $logs/vlife.log 2>/dev/null | sed 's/^/# /'
unload_vlife

# vivid: reloaded with an HDMI input (an earlier test may have loaded it
# with other inputs; later ones load their own).
rmmod vivid 2>/dev/null
modprobe vivid n_devs=1 node_types=0x1 input_types=0x3 num_inputs=1
vivid=$(v4l_node video vivid-000-vid-cap)
if [ -n "$vivid" ] && vivid_1080p60 >$logs/vivid-setup.log 2>&1; then
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
