#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The camera pair in the guest: vlife-board (the emulated hardware),
# vlife-sensor (I2C) and vlife-bridge (platform, CSI-2 receiver + DMA).
#
#  - the four modules load and the media graph is whole: sensor ->
#    receiver -> video node, every node found;
#  - v4l2-compliance: -s on the video node, -u on both subdev nodes, -m on
#    the media device, no failure and no warning;
#  - frames stream right after probe, with no media-ctl set-up: the frame
#    counter the hardware writes in line 0 goes up with the sequence; the
#    sensor's test pattern control, set through the sensor's subdev node,
#    changes the pixels; hflip and vflip mirror the fading colour bars
#    pixel for pixel as the datasheet says;
#  - the unplug contract test (selftests/contract) on the bridge; the
#    bridge rebound while the sensor's node is held open;
#  - the sensor is unbound while the bridge streams: the waiting DQBUF
#    returns an error at once, a sensor control held open fails with
#    ENODEV, the video node still answers QUERYCAP, STREAMON fails
#    cleanly; rebinding the sensor restores streaming;
#  - the whole board is removed (rmmod vlife-board) while the video,
#    media and both subdev nodes are open and streaming: the stream ends
#    with an error, every call on the four fds fails with ENODEV or EIO,
#    the mapped buffers stay readable, close works and, once closed, no
#    vlife device is left;
#  - everything unloads.
#
# Bounded: about a minute on Debian's kernel, a few on the debug kernel
# (VLIFE_KERNEL=debug: waits are longer, frame rates are not asserted).
#
# Each case prints what it measured.  The contract test prints its own
# "ok N" lines, passed through and counted as in core-testdrv.sh; the
# plan line comes last.  Every command is bounded in time.
#
# Build first on the host: make -C selftests/contract
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/lib/tap.sh
. lib/tap.sh
# shellcheck source=selftests/lib/modules.sh
. lib/modules.sh
# shellcheck source=selftests/lib/nodes.sh
. lib/nodes.sh
# shellcheck source=selftests/lib/checks.sh
. lib/checks.sh

bins=$(cd .. && pwd)/build/selftests
logs=/tmp/camera-pipeline
VLIFE_COMPLIANCE_TIMEOUT=${VLIFE_COMPLIANCE_TIMEOUT:-120}
VLIFE_KSFT_TIMEOUT=${VLIFE_KSFT_TIMEOUT:-300}
model="vlife camera bridge"
rm -rf $logs
mkdir -p $logs
# The debug kernel (KASAN, lockdep) under TCG is several times slower:
# frame rates are measured there but not asserted, and waits are longer.
# The rate streams last 2-3 s on Debian's kernel, 1 s on the debug kernel.
# v4l2-compliance -s streams at 15 fps on both kernels (VBLANK 3420): its
# tests warn at the first sequence gap (a frame the bridge dropped because
# no buffer was queued), and at 30 fps a slow moment under TCG -- KASAN,
# or a loaded host -- makes one (seen on Debian's kernel too).
if [ "${VLIFE_KERNEL:-stock}" = stock ]; then
	slow=1
	check_rate=1
	n1080=90
	n720=120
else
	slow=5
	check_rate=0
	n1080=30
	n720=60
fi
compliance_vblank=3420
start_s=$(date +%s)

# section NAME: a heading in the output, with the time spent so far.
section() {
	tap_diag "--- $* (at $(($(date +%s) - start_s)) s)"
}

# find_nodes: set $video $csi2 $sensor $media; fails if one is missing.
find_nodes() {
	video=$(v4l_node video vlife-bridge)
	csi2=$(v4l_node v4l-subdev vlife-bridge-csi2)
	sensor=$(v4l_node v4l-subdev 'vlife-sensor*')
	media=$(media_node "$model")
	[ -n "$video" ] && [ -n "$csi2" ] && [ -n "$sensor" ] && [ -n "$media" ]
}

# capture NAME COUNT: stream COUNT frames from $video with mmap buffers
# into $logs/NAME.raw; the log, with one "seq:" line per frame, in
# $logs/NAME.log.  Fails if v4l2-ctl reports an ioctl error.
capture() {
	timeout 60 v4l2-ctl -d "$video" --verbose --stream-mmap=4 \
		--stream-count="$2" --stream-to="$logs/$1.raw" \
		>"$logs/$1.log" 2>&1 &&
		! grep -q 'returned -1' "$logs/$1.log"
}

# stream NAME COUNT: stream COUNT frames, kept in memory only; the log in
# $logs/NAME.log.  Fails if v4l2-ctl reports an ioctl error.
stream() {
	timeout 60 v4l2-ctl -d "$video" --verbose --stream-mmap=4 \
		--stream-count="$2" >"$logs/$1.log" 2>&1 &&
		! grep -q 'returned -1' "$logs/$1.log"
}

# rate NAME: "N frames, sequence A..B (D dropped), F fps" for a stream;
# sets $rate_fps (integer part) and $rate_ok (sequence strictly rising).
rate() {
	_n=0
	_prev=-1
	rate_ok=1
	for _s in $(seqs "$1"); do
		[ "$_s" -gt "$_prev" ] || rate_ok=0
		[ $_n = 0 ] && _first=$_s
		_prev=$_s
		_n=$((_n + 1))
	done
	_fps=$(sed -n 's/.* fps: *\([0-9.]*\).*/\1/p' "$logs/$1.log" | tail -n 1)
	rate_fps=${_fps%.*}
	[ $_n -gt 0 ] || rate_ok=0
	echo "$_n frames, sequence ${_first:-?}..$_prev" \
	     "($((_prev - ${_first:-0} + 1 - _n)) dropped), ${_fps:-no} fps"
}

# seqs NAME: the sequence numbers of the frames captured as NAME.
seqs() {
	sed -n 's/.*seq: *\([0-9]*\).*/\1/p' "$logs/$1.log"
}

# stamp NAME INDEX: the frame counter the hardware wrote in the first 4
# pixels of line 0 of frame INDEX (RAW10: the low byte of each word).
stamp() {
	od -An -tu1 -v -j $(($2 * size)) -N 8 "$logs/$1.raw" |
		awk '{ print $1 + $3 * 256 + $5 * 65536 + $7 * 16777216 }'
}

# pixels NAME INDEX LINE N: the first N 16-bit pixels of LINE of frame INDEX.
pixels() {
	od -An -tu2 -v -j $(($2 * size + $3 * stride)) -N $(($4 * 2)) \
		"$logs/$1.raw" | xargs
}

# menu_index CTRL TEXT: the index of the menu item of CTRL on the sensor
# node whose name contains TEXT.
menu_index() {
	v4l2-ctl -d "$sensor" --list-ctrls-menus 2>/dev/null |
		awk -v c="$1" -v t="$2" '
			$1 == c { in_menu = 1; next }
			in_menu && /^[ \t]+[0-9]+: / {
				if (index($0, t)) { sub(":", "", $1); print $1; exit }
				next
			}
			{ in_menu = 0 }'
}

# $logs/v4l2.py: what the Python parts below share, raw V4L2 calls on
# x86_64 (struct v4l2_buffer is 88 bytes there) and an mmap stream.
cat >$logs/v4l2.py <<'EOF'
import errno, fcntl, mmap, os, select, struct

QUERYCAP, REQBUFS, QUERYBUF = 0x80685600, 0xc0145608, 0xc0585609
QBUF, DQBUF, STREAMON, STREAMOFF = 0xc058560f, 0xc0585611, 0x40045612, \
    0x40045613
G_CTRL, S_CTRL, SUBDEV_G_FMT = 0xc008561b, 0xc008561c, 0xc0585604
MEDIA_DEVICE_INFO = 0xc1007c00
CID_HFLIP, CID_VFLIP, CID_TEST_PATTERN = 0x00980914, 0x00980915, 0x009f0903
BUF = "<5I4x16s16s2IQ2Ii4x"
CAPTURE = MMAP = ACTIVE = 1


def buf(index=0):
    return struct.pack(BUF, index, CAPTURE, 0, 0, 0, b"", b"", 0, MMAP, 0,
                       0, 0, 0)


def call(fd, req, arg):
    """The errno name of an ioctl, or "ok"."""
    try:
        fcntl.ioctl(fd, req, arg)
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]


def s_ctrl(fd, cid, value):
    fcntl.ioctl(fd, S_CTRL, struct.pack("Ii", cid, value))


class Stream:
    """Capture from a video node into @count mmap buffers."""

    def __init__(self, fd, count=4):
        self.fd = fd
        count = struct.unpack("5I", fcntl.ioctl(
            fd, REQBUFS, struct.pack("5I", count, CAPTURE, MMAP, 0, 0)))[0]
        self.maps = []
        for i in range(count):
            q = struct.unpack(BUF, fcntl.ioctl(fd, QUERYBUF, buf(i)))
            self.maps.append(mmap.mmap(fd, q[10], offset=q[9] & 0xffffffff))
            fcntl.ioctl(fd, QBUF, buf(i))
        self.poller = select.poll()
        self.poller.register(fd, select.POLLIN)
        fcntl.ioctl(fd, STREAMON, struct.pack("I", CAPTURE))

    def dequeue(self, timeout_ms):
        """(index, sequence, timestamp), or None if nothing came."""
        if not self.poller.poll(timeout_ms):
            return None
        q = struct.unpack(BUF, fcntl.ioctl(self.fd, DQBUF, buf()))
        sec, usec = struct.unpack("qq", q[5])
        return q[0], q[7], sec + usec / 1e6

    def queue(self, index):
        fcntl.ioctl(self.fd, QBUF, buf(index))

    def close(self):
        for m in self.maps:
            m.close()
EOF

# flips LIMIT: one stream at the default format (1080p RAW10) with the
# fading colour bars; for each flip combination, set through the sensor's
# node while streaming, a frame that started after the change (the
# second whose start timestamp is later: the first may have latched the
# registers just before) must be, on four whole lines, what the
# datasheet says (hw/frame.c): output pixel (x, y) shows bar sx * 8 / W
# and band sy * 16 / H, sx and sy being x and y mirrored by the flips,
# through the unchanged RGGB filter (the readout shifts by one pixel when
# flipped).  The formula in integers, as C computes it.  One line per
# combination; LIMIT seconds for each frame.
flips() {
	python3 - "$logs" "$video" "$sensor" "$stride" "$1" "${fade:-3}" <<'EOF'
import os, struct, sys, time

sys.path.insert(0, sys.argv[1])
from v4l2 import *  # noqa: F401,F403

video, sensor = sys.argv[2:4]
stride, limit, fade = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
W, H, GREY, BANDS = 1920, 1080, 512, 16
LINES = (1, 2, H // 2, H - 1)
BARS = ((1023, 1023, 1023), (1023, 1023, 0), (0, 1023, 1023), (0, 1023, 0),
        (1023, 0, 1023), (1023, 0, 0), (0, 0, 1023), (0, 0, 0))


def expected(x, y, hflip, vflip):
    sx = W - 1 - x if hflip else x
    sy = H - 1 - y if vflip else y
    v = BARS[sx * 8 // W][(x & 1) + (y & 1)]
    d = (GREY - v) * (sy * BANDS // H)
    return v + (d // (BANDS - 1) if d >= 0 else -(-d // (BANDS - 1)))


def frame_after(stream, t):
    """Four lines of the second frame that started after @t."""
    after = 0
    while True:
        d = stream.dequeue(limit * 1000)
        if d is None:
            raise TimeoutError("no frame in %d s" % limit)
        index, seq, ts = d
        if ts > t:
            after += 1
        lines = None
        if after == 2:
            m = stream.maps[index]
            lines = [struct.unpack_from("<%dH" % W, m, y * stride)
                     for y in LINES]
        stream.queue(index)
        if lines:
            return seq, lines


sfd = os.open(sensor, os.O_RDWR)
s_ctrl(sfd, CID_TEST_PATTERN, fade)
stream = Stream(os.open(video, os.O_RDWR))
bad = 0
for hflip, vflip in ((0, 0), (1, 0), (0, 1), (1, 1)):
    s_ctrl(sfd, CID_HFLIP, hflip)
    s_ctrl(sfd, CID_VFLIP, vflip)
    seq, lines = frame_after(stream, time.monotonic())
    diff = [(x, y, line[x], expected(x, y, hflip, vflip))
            for y, line in zip(LINES, lines) for x in range(W)
            if line[x] != expected(x, y, hflip, vflip)]
    bad += len(diff)
    print("hflip %d vflip %d, frame %d: lines %s; %s" % (
        hflip, vflip, seq, ", ".join("%d: %s..%s" % (y, list(line[:2]),
                                                      list(line[-2:]))
                                     for y, line in zip(LINES, lines)),
        "%d pixels differ, first (x, y, got, want) %s" % (len(diff), diff[0])
        if diff else "all %d pixels as expected" % (len(LINES) * W)))
s_ctrl(sfd, CID_HFLIP, 0)
s_ctrl(sfd, CID_VFLIP, 0)
s_ctrl(sfd, CID_TEST_PATTERN, 0)
sys.exit(1 if bad else 0)
EOF
}

# check_frames NAME: the counter in each frame equals its sequence and
# goes up; prints what it saw.
check_frames() {
	_i=0
	_prev=-1
	_bad=0
	_list=
	for _s in $(seqs "$1"); do
		_c=$(stamp "$1" $_i)
		_list="$_list $_s/$_c"
		[ "$_c" = "$_s" ] && [ "$_c" -gt "$_prev" ] || _bad=1
		_prev=$_c
		_i=$((_i + 1))
	done
	tap_diag "$1: $_i frames, sequence/counter:$_list"
	[ $_i -gt 0 ] && [ $_bad = 0 ]
}

# holds PID NODE: process PID has NODE open as its standard input.
holds() {
	[ "$(readlink "/proc/$1/fd/0" 2>/dev/null)" = "$2" ]
}

# rebind_bridge SECONDS: unbind the bridge, wait, bind it again and wait
# for its nodes; sets t0 to the time of the bind.
rebind_bridge() {
	echo vlife-bridge.0 >/sys/bus/platform/drivers/vlife-bridge/unbind
	sleep "$1"
	echo vlife-bridge.0 >/sys/bus/platform/drivers/vlife-bridge/bind
	t0=$(now_ms)
	wait_for $((10 * slow)) find_nodes
	find_nodes
}

# renode: after a missing node, rebind the bridge once more with nothing
# open and the old nodes released, so that the next cases can run.
renode() {
	rebind_bridge $((2 * slow))
	tap_diag "bridge rebound again to go on: video ${video:-missing}, sensor ${sensor:-missing}, media ${media:-missing}"
}

# set_pipeline CODE FOURCC WIDTH HEIGHT: the whole pipeline in one format.
set_pipeline() {
	media-ctl -d "$media" \
		-V "'$sensor_name':0 [fmt:$1/$3x$4 field:none]" &&
		media-ctl -d "$media" \
			-V "'vlife-bridge-csi2':0 [fmt:$1/$3x$4 field:none]" &&
		v4l2-ctl -d "$video" \
			--set-fmt-video "width=$3,height=$4,pixelformat=$2"
}

echo "TAP version 13"

# 1. Modules and graph

section "1. Modules and graph"
for m in hw/vlife-board drivers/i2c/vlife-sensor drivers/platform/vlife-bridge; do
	[ -f "$(vlife_ko $m)" ] && continue
	tap_skip "camera pipeline" "$m.ko not built"
	echo "1..$tap_n"
	exit 0
done
if ! out=$(vlife_insmod core/vlife-core 2>&1 &&
	   vlife_insmod hw/vlife-board 2>&1 &&
	   vlife_insmod drivers/i2c/vlife-sensor 2>&1 &&
	   vlife_insmod drivers/platform/vlife-bridge 2>&1); then
	echo "$out" | sed 's/^/# /'
	tap_fail "vlife-core, vlife-board, vlife-sensor, vlife-bridge load"
	echo "1..$tap_n"
	exit 1
fi
tap_ok "vlife-core, vlife-board, vlife-sensor, vlife-bridge load"

t0=$(now_ms)
wait_for 10 find_nodes
find_nodes
tap_diag "after $(($(now_ms) - t0)) ms: video ${video:-missing}, receiver ${csi2:-missing}, sensor ${sensor:-missing}, media ${media:-missing}"
if [ -z "$video" ] || [ -z "$csi2" ] || [ -z "$sensor" ] || [ -z "$media" ]; then
	tap_fail "camera nodes found"
	dmesg | tail -n 20 | sed 's/^/# /'
	echo "1..$tap_n"
	exit 1
fi
tap_ok "camera nodes found"
sensor_name=$(cat "/sys/class/video4linux/${sensor#/dev/}/name")
client=${sensor_name#vlife-sensor }
tap_diag "sensor entity \"$sensor_name\", i2c client $client"

# media-ctl -p: the sensor's link to the receiver's sink, the receiver's
# source to the video node, both enabled and immutable.
media-ctl -d "$media" -p >$logs/graph.txt 2>&1
links=$(grep -c '\[ENABLED,IMMUTABLE\]' $logs/graph.txt)
if grep -q "\"$sensor_name\":0 \[ENABLED,IMMUTABLE\]" $logs/graph.txt &&
   grep -q '"vlife-bridge-csi2":0 \[ENABLED,IMMUTABLE\]' $logs/graph.txt &&
   grep -q '"vlife-bridge-csi2":1 \[ENABLED,IMMUTABLE\]' $logs/graph.txt &&
   grep -q '"vlife-bridge":0 \[ENABLED,IMMUTABLE\]' $logs/graph.txt; then
	tap_diag "media-ctl -p: $links enabled immutable link ends"
	tap_ok "media graph: sensor -> receiver -> video node"
else
	sed 's/^/# /' $logs/graph.txt
	tap_fail "media graph: sensor -> receiver -> video node"
fi

# 2. Compliance

section "2. Compliance"
# -s at RAW8: its MMAP tests add a buffer of twice the frame size, which
# dma-contig cannot allocate at RAW10 (8.3 MB contiguous; Debian's kernel
# has no CMA, the page allocator's largest block is 4 MiB).
if set_pipeline SRGGB8_1X8 RGGB 1920 1080 &&
   v4l2-ctl -d "$sensor" \
	--set-ctrl "vertical_blanking=$compliance_vblank"; then
	compliance "v4l2-compliance -s on the video node (1080p RAW8)" \
		-s -d "$video"
else
	tap_fail "v4l2-compliance -s on the video node (1080p RAW8)"
fi
tap_check "pipeline back to the default format" \
	set_pipeline SRGGB10_1X10 RG10 1920 1080
compliance "v4l2-compliance -u on the receiver's subdev node" -u "$csi2"
compliance "v4l2-compliance -u on the sensor's subdev node" -u "$sensor"
compliance "v4l2-compliance -m on the media device" -m "$media"

# 3. Frames, straight after probe

section "3. Frames, straight after probe"
size=$(v4l2-ctl -d "$video" --get-fmt-video |
	sed -n 's/.*Size Image *: *//p')
stride=$(v4l2-ctl -d "$video" --get-fmt-video |
	 sed -n 's/.*Bytes per Line *: *//p')
fmt=$(v4l2-ctl -d "$video" --get-fmt-video | sed -n "s/.*Pixel Format *: *'\(....\)'.*/\1/p")
tap_diag "default format $fmt, $stride bytes a line, $size bytes a frame"

# Frame rates: 1080p30 at the default format with no set-up, then the
# sensor's 720p60 mode.  The sequence must rise on both kernels.  Wall
# clock rates depend on the machine's load, so no absolute rate is
# asserted: on Debian's kernel the 720p60 stream must run at least 1.5
# times as fast as the 1080p30 one measured just before (2.0 nominal; a
# mode programmed at the wrong rate gives 1.0).
if stream fps1080 $n1080; then
	rate fps1080 >$logs/fps1080.sum
	tap_diag "1920x1080 RG10: $(cat $logs/fps1080.sum)"
	fps1080=${rate_fps:-0}
	if [ "$rate_ok" = 1 ]; then
		tap_ok "stream 1080p30 at the default format, no set-up"
	else
		tap_fail "stream 1080p30 at the default format, no set-up"
	fi
else
	tail -n 5 $logs/fps1080.log | sed 's/^/# /'
	tap_fail "stream 1080p30 at the default format, no set-up"
fi
if set_pipeline SRGGB10_1X10 RG10 1280 720 && stream fps720 $n720; then
	rate fps720 >$logs/fps720.sum
	tap_diag "1280x720 RG10: $(cat $logs/fps720.sum)"
	tap_diag "720p60 / 1080p30 rate: ${rate_fps:-0} / ${fps1080:-0} fps"
	if [ "$rate_ok" = 1 ] &&
	   { [ $check_rate = 0 ] ||
	     [ $((${rate_fps:-0} * 10)) -ge $((${fps1080:-0} * 15)) ]; }; then
		tap_ok "stream 720p60 after media-ctl set-up, faster than 1080p30"
	else
		tap_fail "stream 720p60 after media-ctl set-up, faster than 1080p30"
	fi
else
	tail -n 5 $logs/fps720.log 2>/dev/null | sed 's/^/# /'
	tap_fail "stream 720p60 after media-ctl set-up, faster than 1080p30"
fi
set_pipeline SRGGB10_1X10 RG10 1920 1080 >/dev/null

if capture counter 6 && check_frames counter; then
	tap_ok "frame counter in line 0 equals the sequence and goes up"
else
	tail -n 5 $logs/counter.log | sed 's/^/# /'
	tap_fail "frame counter in line 0 equals the sequence and goes up"
fi

# The test pattern, set on the sensor's own node (the bridge has none).
solid=$(menu_index test_pattern Solid)
bars=$(menu_index test_pattern Bars)
tap_diag "test_pattern menu: solid colour $solid, colour bars $bars"
scene=$(pixels counter 0 2 4)
ok=1
v4l2-ctl -d "$sensor" --set-ctrl "test_pattern=${solid:-1}" || ok=0
capture solid 3 || ok=0
got=$(pixels solid 2 2 4)
v4l2-ctl -d "$sensor" --set-ctrl "test_pattern=${bars:-2}" || ok=0
capture bars 3 || ok=0
bar=$(pixels bars 2 2 4)
v4l2-ctl -d "$sensor" --set-ctrl test_pattern=0 || ok=0
tap_diag "line 2, first 4 pixels: scene [$scene], solid [$got], bars [$bar]"
# RGGB: line 2 is R G R G; solid colour is R 1023, G 512 (RAW10).
if [ $ok = 1 ] && [ "$got" = "1023 512 1023 512" ] &&
   [ "$bar" != "$got" ] && [ "$bar" != "$scene" ]; then
	tap_ok "sensor test_pattern through its subdev node changes the pixels"
else
	tap_fail "sensor test_pattern through its subdev node changes the pixels"
fi

# Flips, on the colour bars fading to grey, frame by frame (flips()).
fade=$(menu_index test_pattern Fade)
if flips $((5 * slow)) >$logs/flips.out 2>&1; then
	sed 's/^/# /' $logs/flips.out
	tap_ok "hflip and vflip mirror the fading bars as the datasheet says"
else
	sed 's/^/# /' $logs/flips.out
	tap_fail "hflip and vflip mirror the fading bars as the datasheet says"
fi

# 4. The unplug contract, on the bridge

section "4. The unplug contract, on the bridge"
kselftest unplug_test VLIFE_VIDEO_NAME=vlife-bridge \
	VLIFE_DRIVER_DIR=/sys/bus/platform/drivers/vlife-bridge \
	VLIFE_DEVICE=vlife-bridge.0
# Every test rebinds the bridge; the sensor's node comes back with it.
t0=$(now_ms)
wait_for $((10 * slow)) find_nodes
find_nodes
tap_diag "after $(($(now_ms) - t0)) ms: video ${video:-missing}, receiver ${csi2:-missing}, sensor ${sensor:-missing}, media ${media:-missing}"
if [ -n "$video" ] && [ -n "$csi2" ] && [ -n "$sensor" ] && [ -n "$media" ]; then
	tap_ok "every node back after the unplug contract test"
else
	tap_fail "every node back after the unplug contract test"
	renode
fi

# The bridge goes and comes back while the sensor's node is held open:
# the new bridge gives the sensor a new node.
if [ -n "$sensor" ]; then
	# A process that only holds the node open; the bridge goes once it
	# has it (its open runs in the background, it could lose the race).
	old_sensor=$sensor
	# shellcheck disable=SC2217
	sleep 600 <"$sensor" &
	holder=$!
	wait_for $((5 * slow)) holds $holder "$sensor"
	held=no
	holds $holder "$sensor" && held=yes
	rebind_bridge 0
	tap_diag "bridge rebound with the sensor node $old_sensor held open: $held; after $(($(now_ms) - t0)) ms: video ${video:-missing}, sensor ${sensor:-missing}, media ${media:-missing}"
	kill $holder
	wait $holder 2>/dev/null
	if [ $held = yes ] && [ -n "$sensor" ]; then
		tap_ok "bridge rebind with the sensor's node held open: sensor node back"
	else
		tap_fail "bridge rebind with the sensor's node held open: sensor node back"
		renode
	fi
else
	tap_skip "bridge rebind with the sensor's node held open" "no sensor node"
fi

# 5. The sensor goes away while the bridge streams

section "5. The sensor goes away while the bridge streams"
# ctrl_after_unbind: hold the sensor's node open across the unbind, then
# VIDIOC_G_CTRL(V4L2_CID_TEST_PATTERN) on it; prints the errno name.
python3 - "$sensor" >$logs/held-ctrl.out 2>&1 <<'EOF' &
import errno, fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
ctl = struct.pack("Ii", 0x009f0903, 0)       # V4L2_CID_TEST_PATTERN
fcntl.ioctl(fd, 0xc008561b, ctl)             # VIDIOC_G_CTRL, while bound
print("open", flush=True)
while os.path.exists(sys.argv[1]):
    time.sleep(0.05)
try:
    fcntl.ioctl(fd, 0xc008561b, ctl)
    print("G_CTRL after unbind: ok")
except OSError as e:
    print("G_CTRL after unbind:", errno.errorcode[e.errno])
os.close(fd)
print("closed")
EOF
held=$!

timeout 60 v4l2-ctl -d "$video" --stream-mmap=4 --stream-count=100000 \
	>$logs/unbind-stream.log 2>&1 &
streamer=$!
wait_for 10 grep -q '<' $logs/unbind-stream.log
wait_for 5 grep -q open $logs/held-ctrl.out
t0=$(now_ms)
echo "$client" >/sys/bus/i2c/drivers/vlife-sensor/unbind
t1=$(now_ms)
wait_for $((5 * slow)) sh -c "! kill -0 $streamer"
t2=$(now_ms)
alive=0
kill -0 $streamer 2>/dev/null && alive=1
kill $streamer 2>/dev/null
wait $streamer
# The waiting DQBUF fails, or the QBUF of a frame done just before.
err=$(grep -o 'VIDIOC_[A-Z]*: failed: .*\|VIDIOC_[A-Z]* returned -1 .*\|[a-z_]*: [dq]*buf error' \
	$logs/unbind-stream.log | head -n 1)
frames=$(tr -cd '<' <$logs/unbind-stream.log | wc -c)
tap_diag "sensor unbind took $((t1 - t0)) ms; streamer had $frames frames, exited $((t2 - t1)) ms after it: ${err:-no ioctl error}"
if [ $alive = 0 ] && [ "$frames" -gt 0 ] && [ -n "$err" ] &&
   [ $((t2 - t1)) -lt $((2000 * slow)) ]; then
	tap_ok "sensor unbind while streaming: DQBUF fails at once"
else
	tail -n 5 $logs/unbind-stream.log | sed 's/^/# /'
	tap_fail "sensor unbind while streaming: DQBUF fails at once"
fi

wait_for 5 grep -q closed $logs/held-ctrl.out
kill $held 2>/dev/null
wait $held
tap_diag "sensor node held open: $(grep G_CTRL $logs/held-ctrl.out)"
if grep -q 'G_CTRL after unbind: ENODEV' $logs/held-ctrl.out; then
	tap_ok "a sensor control on a node held open fails with ENODEV"
else
	sed 's/^/# /' $logs/held-ctrl.out
	tap_fail "a sensor control on a node held open fails with ENODEV"
fi

if out=$(timeout 10 v4l2-ctl -d "$video" --info 2>&1); then
	tap_diag "$(echo "$out" | grep -m1 'Driver name')"
	tap_ok "video node answers QUERYCAP without a sensor"
else
	echo "$out" | sed 's/^/# /'
	tap_fail "video node answers QUERYCAP without a sensor"
fi

t0=$(now_ms)
timeout 20 v4l2-ctl -d "$video" --stream-mmap=4 --stream-count=1 \
	>$logs/no-sensor.log 2>&1
rc=$?
err=$(grep -o 'VIDIOC_STREAMON returned -1 ([^)]*)' $logs/no-sensor.log)
tap_diag "STREAMON without a sensor: v4l2-ctl exit $rc after $(($(now_ms) - t0)) ms: ${err:-no error}"
if [ $rc != 124 ] && [ -n "$err" ]; then
	tap_ok "STREAMON without a sensor fails cleanly"
else
	tail -n 5 $logs/no-sensor.log | sed 's/^/# /'
	tap_fail "STREAMON without a sensor fails cleanly"
fi

t0=$(now_ms)
echo "$client" >/sys/bus/i2c/drivers/vlife-sensor/bind
wait_for $((10 * slow)) find_nodes
tap_diag "sensor rebound, nodes back after $(($(now_ms) - t0)) ms: sensor ${sensor:-missing}"
if capture rebind 5 && check_frames rebind; then
	tap_ok "sensor rebind restores streaming"
else
	tail -n 5 $logs/rebind.log | sed 's/^/# /'
	tap_fail "sensor rebind restores streaming"
fi

# 6. The whole board goes while everything is open and streaming

section "6. The whole board goes while everything is open and streaming"
# pull_board LIMIT: one process opens the video node, the media device and
# both subdev nodes, streams from the video node with 4 mmap buffers,
# and after 3 frames has "rmmod vlife_board" run beside its DQBUF loop;
# then it calls into every fd, reads a mapped buffer, unmaps and closes.
# One line per step; LIMIT seconds for each wait.
pull_board() {
	python3 - "$logs" "$video" "$media" "$csi2" "$sensor" "$1" <<'EOF'
import errno, os, select, struct, subprocess, sys, threading, time

sys.path.insert(0, sys.argv[1])
from v4l2 import *  # noqa: F401,F403

paths = dict(zip(("video", "media", "csi2", "sensor"), sys.argv[2:6]))
limit = float(sys.argv[6])
fds = {k: os.open(p, os.O_RDWR) for k, p in paths.items()}
v = fds["video"]
stream = Stream(v)
print("streaming: %d buffers, 4 fds open" % len(stream.maps), flush=True)

rm = {}


def remove():
    t = time.monotonic()
    p = subprocess.run(["rmmod", "vlife_board"], capture_output=True,
                       text=True)
    rm.update(rc=p.returncode, err=p.stderr.strip(),
              ms=(time.monotonic() - t) * 1000)


frames, end, t_rm, th = 0, "no error", None, None
t0 = time.monotonic()
while time.monotonic() < (t_rm or t0) + limit:
    try:
        d = stream.dequeue(100)
        if d is None:
            continue
        frames += 1
        stream.queue(d[0])
    except OSError as e:
        end = errno.errorcode[e.errno]
        break
    if frames == 3 and not th:
        t_rm = time.monotonic()
        th = threading.Thread(target=remove)
        th.start()
t_end = time.monotonic()
if th:
    th.join(limit)
print("stream: %d frames, then %s, %.0f ms after rmmod began" %
      (frames, end, (t_end - (t_rm or t_end)) * 1000))
print("rmmod vlife_board: exit %s in %.0f ms %s" %
      (rm.get("rc"), rm.get("ms", 0), rm.get("err", "")), flush=True)

fmt = struct.pack("2I80x", ACTIVE, 0)
print("after: video QUERYCAP", call(v, QUERYCAP, bytes(104)))
print("after: video DQBUF", call(v, DQBUF, buf()))
print("after: video QBUF", call(v, QBUF, buf()))
print("after: video STREAMOFF", call(v, STREAMOFF, struct.pack("I", 1)))
print("after: media DEVICE_INFO",
      call(fds["media"], MEDIA_DEVICE_INFO, bytes(256)))
print("after: receiver SUBDEV_G_FMT", call(fds["csi2"], SUBDEV_G_FMT, fmt))
print("after: sensor SUBDEV_G_FMT", call(fds["sensor"], SUBDEV_G_FMT, fmt))
print("after: sensor G_CTRL", call(fds["sensor"], G_CTRL,
                                    struct.pack("Ii", CID_TEST_PATTERN, 0)))
p = select.poll()
p.register(v, select.POLLIN)
ev = p.poll(0)
err_hup = select.POLLERR | select.POLLHUP
print("poll: video", "POLLERR|POLLHUP" if ev and
      ev[0][1] & err_hup == err_hup else "events %s" % ev, flush=True)
print("mmap: first stamp byte %d, readable" % stream.maps[0][0], flush=True)
stream.close()
for fd in fds.values():
    os.close(fd)
print("closed: all")
EOF
}

# A bridge that lost its board mid-stream: the stream ends (EIO when the
# sensor's unbind stops it, ENODEV once the bridge is gone), every call
# on the four fds fails with ENODEV or EIO, the mapped buffers stay
# readable, munmap and close work, and once closed nothing is left.
pull_board $((10 * slow)) >$logs/pull.out 2>&1
sed 's/^/# /' $logs/pull.out
if grep -q 'stream: [1-9][0-9]* frames, then E\(IO\|NODEV\)' $logs/pull.out &&
   grep -q 'rmmod vlife_board: exit 0 ' $logs/pull.out; then
	tap_ok "board removed while all four nodes are open and streaming: the stream ends with an error"
else
	tap_fail "board removed while all four nodes are open and streaming: the stream ends with an error"
fi
after=$(grep -c '^after: .* E\(NODEV\|IO\)$' $logs/pull.out)
if [ "$after" = 8 ] && grep -q 'poll: video POLLERR|POLLHUP' $logs/pull.out
then
	tap_ok "every call on the video, media and subdev fds then fails with ENODEV/EIO"
else
	tap_fail "every call on the video, media and subdev fds then fails with ENODEV/EIO"
fi
if grep -q 'mmap: .*readable' $logs/pull.out &&
   grep -q 'closed: all' $logs/pull.out; then
	tap_ok "mapped buffers readable after the board is gone; munmap and close work"
else
	tap_fail "mapped buffers readable after the board is gone; munmap and close work"
fi
wait_for $((2 * slow)) grep -qx 0 /sys/kernel/debug/vlife/live
live=$(cat /sys/kernel/debug/vlife/live 2>/dev/null)
tap_diag "live vlife devices after closing: ${live:-unreadable}"
if [ "$live" = 0 ]; then
	tap_ok "no vlife device left once the fds are closed"
else
	sed 's/^/# /' /sys/kernel/debug/vlife/instances 2>/dev/null
	tap_fail "no vlife device left once the fds are closed"
fi

# 7. Unload

section "7. Unload"
# A subdev node holds its driver's module until the node is released,
# which the debug kernel delays by seconds (DEBUG_KOBJECT_RELEASE).
unload() {
	for _m in vlife_bridge vlife_sensor vlife_board; do
		[ -d /sys/module/$_m ] || continue
		wait_for $((2 * slow)) rmmod $_m || rmmod $_m || return 1
	done
}
tap_check "rmmod vlife-bridge vlife-sensor (and vlife-board if still there)" unload
tap_check "rmmod vlife-core" rmmod vlife_core
echo "1..$tap_n"
tap_done && [ $progs_rc = 0 ]
