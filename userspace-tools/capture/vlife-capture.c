// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-capture - stream from a V4L2 capture node and save frames as PNG,
 * PPM or, for MJPEG, JPEG; report the frame rate and the dropped frames,
 * and say clearly how a stream ended when the device went away.
 *
 * The node is opened through libv4l2.  Buffers are mmap()ed (default) or,
 * with --dmabuf, shared as DMA-BUFs: see dmabuf_setup().  The man page is
 * usage() below (vlife-capture --help).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>
#include <libv4l2.h>
#include <png.h>

#include "vlife-util.h"

#define EXIT_USAGE	2	/* bad command line */
#define EXIT_GONE	3	/* the device went away: ENODEV */
#define EXIT_IO		4	/* the driver ended the stream: EIO */
#define EXIT_TIMEOUT	5	/* no frame within --timeout */
#define EXIT_SAVE	6	/* a frame could not be written */
#define MAX_BUFFERS	32

/**
 * struct buffer - one capture buffer, as this program sees it
 * @start: its mapping (v4l2_mmap() or mmap() of the DMA-BUF)
 * @length: the mapping's length
 * @dmabuf: the exported DMA-BUF's fd with --dmabuf, else -1
 */
struct buffer {
	void *start;
	size_t length;
	int dmabuf;
};

/**
 * struct capture - the options and the state of a capture
 * @node: the device node's path
 * @fd: its file descriptor, from v4l2_open()
 * @width: width asked for with -f, 0 to keep the driver's
 * @height: height asked for with -f
 * @fourcc: pixel format asked for with --fourcc, 0 to keep the driver's
 * @count: frames to capture, 0 for no limit
 * @nbufs: buffers to ask for
 * @use_dmabuf: share the buffers as DMA-BUFs
 * @timeout_ms: longest wait for a frame
 * @unbind_after: unbind the device after this many frames, 0 never
 * @unbind_dev: the sysfs directory of the device to unbind
 * @unbind_pid: the process writing the unbind file, 0 if none
 * @out: output file name, maybe with a printf conversion for the sequence
 * @save: frames to save
 * @skip: frames to skip before the first one saved
 * @quiet: no per-frame lines
 * @fmt: the format in use
 * @memory: V4L2_MEMORY_MMAP or V4L2_MEMORY_DMABUF
 * @bufs: the buffers
 * @n: how many there are
 * @streaming: STREAMON succeeded
 * @frames: frames dequeued without the error flag
 * @errors: buffers dequeued with the error flag
 * @dropped: frames missing from the sequence numbers
 * @last_seq: the last sequence number seen
 * @first_ts: timestamp of the first frame, in seconds
 * @last_ts: timestamp of the last frame, in seconds
 * @saved: frames saved so far
 * @kept: copies of the frames to save, written after the stream
 * @kept_seq: their sequence numbers
 * @kept_len: their payload lengths
 */
struct capture {
	const char *node;
	int fd;
	unsigned int width;
	unsigned int height;
	__u32 fourcc;
	unsigned int count;
	unsigned int nbufs;
	int use_dmabuf;
	int timeout_ms;
	unsigned int unbind_after;
	char unbind_dev[512];
	pid_t unbind_pid;
	const char *out;
	unsigned int save;
	unsigned int skip;
	int quiet;
	struct v4l2_format fmt;
	enum v4l2_memory memory;
	struct buffer bufs[MAX_BUFFERS];
	unsigned int n;
	int streaming;
	unsigned int frames;
	unsigned int errors;
	unsigned int dropped;
	__u32 last_seq;
	double first_ts;
	double last_ts;
	unsigned int saved;
	unsigned char **kept;
	__u32 *kept_seq;
	size_t *kept_len;
};

/* set by SIGINT, SIGTERM; read after poll() returns */
static sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fputs("NAME\n"
"    vlife-capture - capture frames from a V4L2 video node\n"
"\n"
"SYNOPSIS\n"
"    vlife-capture [-d NODE] [-f WxH] [--fourcc CODE] [-n COUNT] [-b N]\n"
"                  [--dmabuf] [-o FILE] [--save N] [--skip N] [-t MS]\n"
"                  [--unbind-after N [--unbind-device SYSFSDIR]] [-q]\n"
"\n"
"DESCRIPTION\n"
"    Opens NODE through libv4l2, sets the format, streams COUNT frames\n"
"    and saves some of them.  Prints one line per frame (sequence,\n"
"    timestamp, bytes), then the frame rate (from the buffer timestamps),\n"
"    the frames dropped (gaps in the sequence numbers) and the buffers\n"
"    the driver marked as errors.  Frames to save are copied aside while\n"
"    streaming and written at the end, so saving does not slow the\n"
"    stream down; they are written even if the device went away.\n"
"\n"
"    Formats converted for PNG and PPM: YUYV, UYVY, RGB24, BGR24, GREY,\n"
"    8-bit Bayer (RGGB, BGGR, GRBG, GBRG) and 10-, 12- and 16-bit Bayer\n"
"    in 16-bit words, demosaiced by 2x2 blocks (half resolution in\n"
"    colour, full size).  MJPEG and JPEG frames are written as they are,\n"
"    to FILE with its extension changed to .jpg.\n"
"\n"
"OPTIONS\n"
"    -d, --device NODE    the video node (default /dev/video0)\n"
"    -f, --size WxH       ask for this frame size\n"
"    -F, --fourcc CODE    ask for this pixel format, e.g. YUYV, RG10\n"
"    -n, --count N        frames to capture; 0: until the device stops\n"
"                         (or SIGINT) (default 30)\n"
"    -b, --buffers N      buffers to request (default 4)\n"
"    -D, --dmabuf         share the buffers as DMA-BUFs: the driver's own\n"
"                         buffers are exported (VIDIOC_EXPBUF) and\n"
"                         released, then the same memory is imported back\n"
"                         as V4L2_MEMORY_DMABUF and frames are read\n"
"                         through mmap() of the DMA-BUF fds, bracketed by\n"
"                         DMA_BUF_IOCTL_SYNC.  Uses ioctl(2) for the\n"
"                         buffer calls (libv4l2 knows only mmap), so\n"
"                         the format must be one the driver makes\n"
"    -o, --output FILE    save frames here; .png (libpng), .ppm, or\n"
"                         .jpg; a printf conversion such as %%04u in FILE\n"
"                         takes the frame's sequence number\n"
"    -s, --save N         frames to save (default 1)\n"
"    -S, --skip N         frames to skip before the first saved\n"
"    -t, --timeout MS     longest wait for a frame (default 5000)\n"
"    -u, --unbind-after N after N frames, unbind the device from its\n"
"                         driver through sysfs (a child process writes\n"
"                         the device's name to DRIVER/unbind) and go on\n"
"                         streaming until the driver ends the stream:\n"
"                         a demonstration of unplug while streaming\n"
"    -U, --unbind-device SYSFSDIR\n"
"                         the device to unbind (default: the node's\n"
"                         parent, /sys/class/video4linux/NODE/device)\n"
"    -q, --quiet          no line per frame\n"
"    -h, --help           this text\n"
"\n"
"EXIT STATUS\n"
"    0  the frames were captured (and saved)\n"
"    1  another error (the message names the call and its errno)\n"
"    2  a wrong command line\n"
"    3  the device went away (ENODEV) at any point: open, set-up,\n"
"       streaming or clean-up\n"
"    4  the driver ended the stream with EIO (the device stopped, e.g.\n"
"       a sensor behind a bridge was unbound, or a hardware error)\n"
"    5  no frame arrived within the timeout\n"
"    6  a frame could not be written\n"
"    Whatever the end, buffers are unmapped and the node is closed; the\n"
"    last line is a summary: \"result: frames=N fps=F dropped=N\n"
"    errors=N end=WHY exit=N\".\n", f);
}

static const char *fourcc_str(__u32 f)
{
	static char s[5];

	s[0] = f & 0x7f;
	s[1] = (f >> 8) & 0x7f;
	s[2] = (f >> 16) & 0x7f;
	s[3] = (f >> 24) & 0x7f;
	s[4] = 0;
	return s;
}

/* the exit status for a failed call's errno */
static int errno_status(int err)
{
	switch (err) {
	case ENODEV:
	case ENXIO:
		return EXIT_GONE;
	case EIO:
		return EXIT_IO;
	default:
		return EXIT_FAILURE;
	}
}

/* report a failed call: what it was, its errno, what that means here */
static int call_error(struct capture *c, const char *what, int err)
{
	const char *why = "";

	if (err == ENODEV || err == ENXIO)
		why = ": the device is gone (unbound or unplugged)";
	else if (err == EIO)
		why = ": the driver ended the stream (device stopped)";
	fprintf(stderr, "vlife-capture: %s: %s failed after %u frames: %s%s\n",
		c->node, what, c->frames, strerror(err), why);
	return errno_status(err);
}

/* libv4l2's ioctl, made again while a signal interrupts it: 0 or -1 */
static int lib_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = v4l2_ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r;
}

/*
 * The buffer calls go through libv4l2, except with --dmabuf: libv4l2
 * knows only MMAP buffers (the node is then opened with its conversion
 * off, so libv4l2 passes every other call through unchanged).
 */
static int buf_ioctl(struct capture *c, unsigned long req, void *arg)
{
	if (c->use_dmabuf)
		return xioctl(c->fd, req, arg) ? -1 : 0;
	return lib_ioctl(c->fd, req, arg);
}

static int set_format(struct capture *c)
{
	struct v4l2_format *f = &c->fmt;
	__u32 want;

	memset(f, 0, sizeof(*f));
	f->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (lib_ioctl(c->fd, VIDIOC_G_FMT, f) < 0)
		return call_error(c, "VIDIOC_G_FMT", errno);
	if (!c->width && !c->fourcc)
		return 0;
	if (c->width) {
		f->fmt.pix.width = c->width;
		f->fmt.pix.height = c->height;
	}
	want = c->fourcc ? c->fourcc : f->fmt.pix.pixelformat;
	f->fmt.pix.pixelformat = want;
	f->fmt.pix.field = V4L2_FIELD_ANY;
	f->fmt.pix.bytesperline = 0;
	f->fmt.pix.sizeimage = 0;
	if (lib_ioctl(c->fd, VIDIOC_S_FMT, f) < 0)
		return call_error(c, "VIDIOC_S_FMT", errno);
	if (f->fmt.pix.pixelformat != want) {
		fprintf(stderr, "vlife-capture: %s: format %s not supported",
			c->node, fourcc_str(want));
		fprintf(stderr, " (the driver chose %s)\n",
			fourcc_str(f->fmt.pix.pixelformat));
		return EXIT_FAILURE;
	}
	if (c->width && (f->fmt.pix.width != c->width ||
			 f->fmt.pix.height != c->height))
		fprintf(stderr, "vlife-capture: %s: %ux%u asked, %ux%u given\n",
			c->node, c->width, c->height, f->fmt.pix.width,
			f->fmt.pix.height);
	return 0;
}

static int request(struct capture *c, unsigned int count)
{
	struct v4l2_requestbuffers req;

	memset(&req, 0, sizeof(req));
	req.count = count;
	req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	req.memory = c->memory;
	if (buf_ioctl(c, VIDIOC_REQBUFS, &req) < 0)
		return -1;
	return req.count;
}

static int mmap_setup(struct capture *c)
{
	struct v4l2_buffer b;
	int n;

	c->memory = V4L2_MEMORY_MMAP;
	n = request(c, c->nbufs);
	if (n < 0)
		return call_error(c, "VIDIOC_REQBUFS", errno);
	if (n < 1 || n > MAX_BUFFERS) {
		fprintf(stderr, "vlife-capture: %s: %d buffers\n", c->node, n);
		return EXIT_FAILURE;
	}
	for (c->n = 0; c->n < (unsigned int)n; c->n++) {
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = c->n;
		if (lib_ioctl(c->fd, VIDIOC_QUERYBUF, &b) < 0)
			return call_error(c, "VIDIOC_QUERYBUF", errno);
		c->bufs[c->n].dmabuf = -1;
		c->bufs[c->n].length = b.length;
		c->bufs[c->n].start = v4l2_mmap(NULL, b.length,
						PROT_READ | PROT_WRITE,
						MAP_SHARED, c->fd, b.m.offset);
		if (c->bufs[c->n].start == MAP_FAILED) {
			c->bufs[c->n].start = NULL;
			return call_error(c, "mmap", errno);
		}
	}
	return 0;
}

/*
 * DMA-BUF on one node: a capture node both exports and imports, so the
 * buffers the driver allocates as MMAP are exported with VIDIOC_EXPBUF,
 * the MMAP buffers are released (REQBUFS 0: the memory lives on, held by
 * the DMA-BUFs), and the same DMA-BUFs are queued as V4L2_MEMORY_DMABUF:
 * the driver's import path (attach, map, unmap, detach) is exercised, and
 * the memory suits the driver (contiguous where it needs contiguous).
 * Frames are read through mmap() of the DMA-BUF fds.
 */
static int dmabuf_setup(struct capture *c)
{
	struct v4l2_exportbuffer e;
	struct v4l2_buffer b;
	unsigned int i;
	int n;

	c->memory = V4L2_MEMORY_MMAP;
	n = request(c, c->nbufs);
	if (n < 0)
		return call_error(c, "VIDIOC_REQBUFS (MMAP, to export)", errno);
	if (n < 1 || n > MAX_BUFFERS) {
		fprintf(stderr, "vlife-capture: %s: %d buffers\n", c->node, n);
		return EXIT_FAILURE;
	}
	for (c->n = 0; c->n < (unsigned int)n; c->n++) {
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = c->n;
		if (buf_ioctl(c, VIDIOC_QUERYBUF, &b) < 0)
			return call_error(c, "VIDIOC_QUERYBUF", errno);
		memset(&e, 0, sizeof(e));
		e.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		e.index = c->n;
		e.flags = O_RDWR | O_CLOEXEC;
		if (xioctl(c->fd, VIDIOC_EXPBUF, &e))
			return call_error(c, "VIDIOC_EXPBUF", errno);
		c->bufs[c->n].dmabuf = e.fd;
		c->bufs[c->n].length = b.length;
	}
	if (request(c, 0) < 0)
		return call_error(c, "VIDIOC_REQBUFS 0 (release MMAP)", errno);
	c->memory = V4L2_MEMORY_DMABUF;
	n = request(c, c->n);
	if (n < 0)
		return call_error(c, "VIDIOC_REQBUFS (DMABUF)", errno);
	if ((unsigned int)n < c->n)
		c->n = n;
	for (i = 0; i < c->n; i++) {
		c->bufs[i].start = mmap(NULL, c->bufs[i].length, PROT_READ,
					MAP_SHARED, c->bufs[i].dmabuf, 0);
		if (c->bufs[i].start == MAP_FAILED) {
			c->bufs[i].start = NULL;
			return call_error(c, "mmap of a DMA-BUF", errno);
		}
	}
	return 0;
}

static int queue(struct capture *c, unsigned int i)
{
	struct v4l2_buffer b;

	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = c->memory;
	b.index = i;
	if (c->memory == V4L2_MEMORY_DMABUF) {
		b.m.fd = c->bufs[i].dmabuf;
		b.length = c->bufs[i].length;
	}
	return buf_ioctl(c, VIDIOC_QBUF, &b);
}

static void dmabuf_sync(struct capture *c, unsigned int i, __u64 flags)
{
	struct dma_buf_sync s = { .flags = flags | DMA_BUF_SYNC_READ };

	if (c->memory == V4L2_MEMORY_DMABUF)
		xioctl(c->bufs[i].dmabuf, DMA_BUF_IOCTL_SYNC, &s);
}

/* the sysfs directory of the node's device, into c->unbind_dev */
static int find_device(struct capture *c)
{
	const char *name = strrchr(c->node, '/');
	char path[512];
	char *real;

	if (c->unbind_dev[0])
		return 0;
	snprintf(path, sizeof(path), "/sys/class/video4linux/%s/device",
		 name ? name + 1 : c->node);
	real = realpath(path, NULL);
	if (!real) {
		fprintf(stderr, "vlife-capture: %s: %s\n", path,
			strerror(errno));
		return EXIT_USAGE;
	}
	snprintf(c->unbind_dev, sizeof(c->unbind_dev), "%s", real);
	free(real);
	return 0;
}

/*
 * Start the unbind: a child writes the device's name to its driver's
 * unbind file (the write returns when the driver's remove has run) and
 * exits with 0 or the errno; this process goes on dequeuing meanwhile.
 */
static void start_unbind(struct capture *c)
{
	char path[600];
	const char *name = strrchr(c->unbind_dev, '/');

	name = name ? name + 1 : c->unbind_dev;
	snprintf(path, sizeof(path), "%s/driver/unbind", c->unbind_dev);
	printf("unbind: writing %s to %s after %u frames\n", name, path,
	       c->frames);
	fflush(stdout);
	c->unbind_pid = fork();
	if (c->unbind_pid < 0) {
		perror("vlife-capture: fork");
		c->unbind_pid = 0;
		return;
	}
	if (c->unbind_pid)
		return;
	_exit(-write_str(path, name));
}

static void finish_unbind(struct capture *c)
{
	double t0 = now_ms();
	int st;

	if (!c->unbind_pid)
		return;
	if (waitpid(c->unbind_pid, &st, 0) < 0) {
		perror("vlife-capture: waitpid");
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		printf("unbind: done (waited %.0f ms more for it)\n",
		       now_ms() - t0);
	else
		printf("unbind: failed: %s\n", WIFEXITED(st) ?
		       strerror(WEXITSTATUS(st)) : "killed");
}

/* keep a copy of frame @i, @len bytes, to write at the end */
static void keep(struct capture *c, unsigned int i, size_t len, __u32 seq)
{
	unsigned char *p = malloc(len ? len : 1);

	if (!p) {
		fprintf(stderr, "vlife-capture: no memory for a frame\n");
		return;
	}
	dmabuf_sync(c, i, DMA_BUF_SYNC_START);
	memcpy(p, c->bufs[i].start, len);
	dmabuf_sync(c, i, DMA_BUF_SYNC_END);
	c->kept[c->saved] = p;
	c->kept_seq[c->saved] = seq;
	c->kept_len[c->saved] = len;
	c->saved++;
}

/* the stream's loop: 0 when COUNT frames came, else an exit status */
static int stream(struct capture *c)
{
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	struct v4l2_buffer b;
	unsigned int i;
	double ts;
	size_t len;
	int r;

	for (i = 0; i < c->n; i++)
		if (queue(c, i) < 0)
			return call_error(c, "VIDIOC_QBUF", errno);
	if (buf_ioctl(c, VIDIOC_STREAMON, &type) < 0)
		return call_error(c, "VIDIOC_STREAMON", errno);
	c->streaming = 1;
	while (!stop && (!c->count || c->frames < c->count)) {
		r = poll(&pfd, 1, c->timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return call_error(c, "poll", errno);
		if (r == 0) {
			fprintf(stderr,
				"vlife-capture: %s: no frame in %d ms after %u frames\n",
				c->node, c->timeout_ms, c->frames);
			return EXIT_TIMEOUT;
		}
		/* POLLERR too: DQBUF tells why */
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = c->memory;
		if (buf_ioctl(c, VIDIOC_DQBUF, &b) < 0) {
			if (errno == EAGAIN)
				continue;
			return call_error(c, "VIDIOC_DQBUF", errno);
		}
		if (b.flags & V4L2_BUF_FLAG_ERROR) {
			c->errors++;
			if (!c->quiet)
				printf("frame seq %u: error flag\n",
				       b.sequence);
		} else {
			ts = b.timestamp.tv_sec + b.timestamp.tv_usec / 1e6;
			if (c->frames && b.sequence > c->last_seq + 1)
				c->dropped += b.sequence - c->last_seq - 1;
			if (!c->frames)
				c->first_ts = ts;
			c->last_ts = ts;
			c->last_seq = b.sequence;
			c->frames++;
			len = c->bufs[b.index].length;
			if (b.bytesused && b.bytesused < len)
				len = b.bytesused;
			if (!c->quiet)
				printf("frame seq %u ts %.6f bytes %zu\n",
				       b.sequence, ts, len);
			if (c->out && c->frames > c->skip &&
			    c->saved < c->save)
				keep(c, b.index, len, b.sequence);
			if (c->unbind_after && c->frames == c->unbind_after)
				start_unbind(c);
		}
		if (queue(c, b.index) < 0)
			return call_error(c, "VIDIOC_QBUF", errno);
	}
	return 0;
}

/* STREAMOFF, unmap, close; says how each went when the device is gone */
static void cleanup(struct capture *c, int status)
{
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	const char *off = "not streaming";
	unsigned int i;

	if (c->streaming)
		off = buf_ioctl(c, VIDIOC_STREAMOFF, &type) < 0 ?
		      strerror(errno) : "ok";
	for (i = 0; i < c->n; i++) {
		if (c->bufs[i].start && c->memory == V4L2_MEMORY_DMABUF)
			munmap(c->bufs[i].start, c->bufs[i].length);
		else if (c->bufs[i].start)
			v4l2_munmap(c->bufs[i].start, c->bufs[i].length);
		if (c->bufs[i].dmabuf >= 0)
			close(c->bufs[i].dmabuf);
	}
	if (status)
		printf("clean-up: STREAMOFF: %s; %u buffers unmapped; ", off,
		       c->n);
	if (v4l2_close(c->fd) < 0) {
		if (status)
			printf("close: %s\n", strerror(errno));
	} else if (status) {
		printf("close: ok\n");
	}
}

static inline unsigned char clamp8(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : v;
}

static void yuv_to_rgb(int y, int u, int v, unsigned char *p)
{
	/* BT.601, limited range */
	y = (y - 16) * 298;
	u -= 128;
	v -= 128;
	p[0] = clamp8((y + 409 * v + 128) >> 8);
	p[1] = clamp8((y - 100 * u - 208 * v + 128) >> 8);
	p[2] = clamp8((y + 516 * u + 128) >> 8);
}

/* Bayer order: the colour (0 R, 1 G, 2 B) of pixel (x, y) */
static int bayer_colour(__u32 order, unsigned int x, unsigned int y)
{
	static const char *const orders[] = { "RGGB", "BGGR", "GRBG",
					      "GBRG" };
	char c = orders[order][(y & 1) * 2 + (x & 1)];

	return c == 'R' ? 0 : c == 'G' ? 1 : 2;
}

/*
 * The Bayer order and sample size of a format: 0 RGGB, 1 BGGR, 2 GRBG,
 * 3 GBRG; *shift to bring a sample to 8 bits, -1 if not Bayer.
 */
static int bayer_format(__u32 f, int *bytes, int *shift)
{
	static const __u32 fmts[][4] = {
		{ V4L2_PIX_FMT_SRGGB8, V4L2_PIX_FMT_SBGGR8,
		  V4L2_PIX_FMT_SGRBG8, V4L2_PIX_FMT_SGBRG8 },
		{ V4L2_PIX_FMT_SRGGB10, V4L2_PIX_FMT_SBGGR10,
		  V4L2_PIX_FMT_SGRBG10, V4L2_PIX_FMT_SGBRG10 },
		{ V4L2_PIX_FMT_SRGGB12, V4L2_PIX_FMT_SBGGR12,
		  V4L2_PIX_FMT_SGRBG12, V4L2_PIX_FMT_SGBRG12 },
		{ V4L2_PIX_FMT_SRGGB16, V4L2_PIX_FMT_SBGGR16,
		  V4L2_PIX_FMT_SGRBG16, V4L2_PIX_FMT_SGBRG16 },
	};
	static const int shifts[] = { 0, 2, 4, 8 };
	int i, j;

	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++)
			if (fmts[i][j] == f) {
				*bytes = i ? 2 : 1;
				*shift = shifts[i];
				return j;
			}
	return -1;
}

static unsigned int sample(const unsigned char *line, unsigned int x,
			   int bytes, int shift)
{
	if (bytes == 1)
		return line[x];
	return (line[2 * x] | line[2 * x + 1] << 8) >> shift;
}

/*
 * Demosaic by 2x2 blocks: each block's R, mean G and B paint its four
 * pixels.
 */
static void bayer_to_rgb(const unsigned char *src, unsigned int w,
			 unsigned int h, unsigned int stride, int order,
			 int bytes, int shift, unsigned char *rgb)
{
	unsigned int x, y, dx, dy, v[3], n;
	const unsigned char *line;
	unsigned char *p;

	for (y = 0; y < h; y += 2) {
		for (x = 0; x < w; x += 2) {
			v[0] = 0;
			v[1] = 0;
			v[2] = 0;
			n = 0;
			for (dy = 0; dy < 2 && y + dy < h; dy++) {
				line = src + (y + dy) * stride;
				for (dx = 0; dx < 2 && x + dx < w; dx++) {
					int col = bayer_colour(order, x + dx,
							       y + dy);

					v[col] += sample(line, x + dx, bytes,
							 shift);
					n += col == 1;
				}
			}
			v[1] = n ? v[1] / n : 0;
			for (dy = 0; dy < 2 && y + dy < h; dy++)
				for (dx = 0; dx < 2 && x + dx < w; dx++) {
					p = rgb + ((y + dy) * w + x + dx) * 3;
					p[0] = clamp8(v[0]);
					p[1] = clamp8(v[1]);
					p[2] = clamp8(v[2]);
				}
		}
	}
}

/* a frame as 8-bit RGB, malloc()ed; NULL if the format is not known */
static unsigned char *to_rgb(const struct v4l2_pix_format *pix,
			     const unsigned char *src, size_t len)
{
	unsigned int w = pix->width, h = pix->height, x, y;
	unsigned int stride = pix->bytesperline;
	const unsigned char *s;
	unsigned char *rgb, *p;
	int order, bytes = 1, shift = 0;

	order = bayer_format(pix->pixelformat, &bytes, &shift);
	if (!stride)
		stride = w * (order >= 0 ? bytes : 2);
	if ((size_t)stride * h > len)
		h = len / stride;
	rgb = calloc((size_t)w * (h ? h : 1), 3);
	if (!rgb)
		return NULL;
	if (order >= 0) {
		bayer_to_rgb(src, w, h, stride, order, bytes, shift, rgb);
		return rgb;
	}
	for (y = 0; y < h; y++) {
		s = src + (size_t)y * stride;
		p = rgb + (size_t)y * w * 3;
		for (x = 0; x < w; x++, p += 3) {
			switch (pix->pixelformat) {
			case V4L2_PIX_FMT_YUYV:
				yuv_to_rgb(s[2 * x], s[(x & ~1) * 2 + 1],
					   s[(x & ~1) * 2 + 3], p);
				break;
			case V4L2_PIX_FMT_UYVY:
				yuv_to_rgb(s[2 * x + 1], s[(x & ~1) * 2],
					   s[(x & ~1) * 2 + 2], p);
				break;
			case V4L2_PIX_FMT_RGB24:
				memcpy(p, s + 3 * x, 3);
				break;
			case V4L2_PIX_FMT_BGR24:
				p[0] = s[3 * x + 2];
				p[1] = s[3 * x + 1];
				p[2] = s[3 * x];
				break;
			case V4L2_PIX_FMT_GREY:
				memset(p, s[x], 3);
				break;
			default:
				free(rgb);
				return NULL;
			}
		}
	}
	return rgb;
}

static int write_png(FILE *f, const unsigned char *rgb, unsigned int w,
		     unsigned int h)
{
	png_structp png;
	png_infop info;
	unsigned int y;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL,
				      NULL);
	if (!png)
		return -1;
	info = png_create_info_struct(png);
	if (!info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -1;
	}
	png_init_io(png, f);
	png_set_compression_level(png, 1);
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < h; y++)
		png_write_row(png, rgb + (size_t)y * w * 3);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcasecmp(s + n - m, suffix);
}

/* write the kept frame @k; 0 or EXIT_SAVE */
static int save_frame(struct capture *c, unsigned int k)
{
	const struct v4l2_pix_format *pix = &c->fmt.fmt.pix;
	int jpeg = pix->pixelformat == V4L2_PIX_FMT_MJPEG ||
		   pix->pixelformat == V4L2_PIX_FMT_JPEG;
	unsigned char *rgb = NULL;
	char name[512], *dot;
	int ok = -1;
	FILE *f;

	/* the name is the user's format, given the sequence number */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(name, sizeof(name) - 4, c->out, c->kept_seq[k]);
#pragma GCC diagnostic pop
	if (jpeg && !has_suffix(name, ".jpg")) {
		dot = strrchr(name, '.');
		strcpy(dot && !strchr(dot, '/') ? dot : name + strlen(name),
		       ".jpg");
	}
	if (!jpeg) {
		rgb = to_rgb(pix, c->kept[k], c->kept_len[k]);
		if (!rgb) {
			fprintf(stderr, "vlife-capture: cannot convert %s\n",
				fourcc_str(pix->pixelformat));
			return EXIT_SAVE;
		}
	}
	f = fopen(name, "wb");
	if (f) {
		if (jpeg)
			ok = fwrite(c->kept[k], 1, c->kept_len[k], f) ==
			     c->kept_len[k] ? 0 : -1;
		else if (has_suffix(name, ".ppm"))
			ok = fprintf(f, "P6\n%u %u\n255\n", pix->width,
				     pix->height) > 0 &&
			     fwrite(rgb, 3 * pix->width, pix->height, f) ==
			     pix->height ? 0 : -1;
		else
			ok = write_png(f, rgb, pix->width, pix->height);
		if (fclose(f) != 0)
			ok = -1;
	}
	free(rgb);
	if (ok) {
		fprintf(stderr, "vlife-capture: cannot write %s: %s\n", name,
			strerror(errno));
		return EXIT_SAVE;
	}
	printf("saved frame seq %u as %s\n", c->kept_seq[k], name);
	return 0;
}

static int parse_uint(const char *s, unsigned int *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 0);
	if (errno || end == s || *end || n > 1000000000UL)
		return -1;
	*v = n;
	return 0;
}

static int parse_args(struct capture *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 'f' },
		{ "fourcc", required_argument, NULL, 'F' },
		{ "count", required_argument, NULL, 'n' },
		{ "buffers", required_argument, NULL, 'b' },
		{ "dmabuf", no_argument, NULL, 'D' },
		{ "output", required_argument, NULL, 'o' },
		{ "save", required_argument, NULL, 's' },
		{ "skip", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "unbind-after", required_argument, NULL, 'u' },
		{ "unbind-device", required_argument, NULL, 'U' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	unsigned int t;
	int o;

	while ((o = getopt_long(argc, argv, "d:f:F:n:b:Do:s:S:t:u:U:qh",
				opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			c->node = optarg;
			break;
		case 'f':
			if (sscanf(optarg, "%ux%u", &c->width,
				   &c->height) != 2 || !c->width ||
			    !c->height)
				return -1;
			break;
		case 'F':
			if (strlen(optarg) < 1 || strlen(optarg) > 4)
				return -1;
			c->fourcc = v4l2_fourcc(optarg[0],
						optarg[1] ? optarg[1] : ' ',
						optarg[1] && optarg[2] ?
						optarg[2] : ' ',
						optarg[1] && optarg[2] &&
						optarg[3] ? optarg[3] : ' ');
			break;
		case 'n':
			if (parse_uint(optarg, &c->count))
				return -1;
			break;
		case 'b':
			if (parse_uint(optarg, &c->nbufs) || !c->nbufs ||
			    c->nbufs > MAX_BUFFERS)
				return -1;
			break;
		case 'D':
			c->use_dmabuf = 1;
			break;
		case 'o':
			c->out = optarg;
			break;
		case 's':
			if (parse_uint(optarg, &c->save))
				return -1;
			break;
		case 'S':
			if (parse_uint(optarg, &c->skip))
				return -1;
			break;
		case 't':
			if (parse_uint(optarg, &t) || !t)
				return -1;
			c->timeout_ms = t;
			break;
		case 'u':
			if (parse_uint(optarg, &c->unbind_after) ||
			    !c->unbind_after)
				return -1;
			break;
		case 'U':
			snprintf(c->unbind_dev, sizeof(c->unbind_dev), "%s",
				 optarg);
			break;
		case 'q':
			c->quiet = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

static const char *end_name(int status)
{
	switch (status) {
	case 0:
		return stop ? "interrupted" : "complete";
	case EXIT_GONE:
		return "ENODEV";
	case EXIT_IO:
		return "EIO";
	case EXIT_TIMEOUT:
		return "timeout";
	case EXIT_SAVE:
		return "save-failed";
	default:
		return "error";
	}
}

int main(int argc, char **argv)
{
	struct capture c = {
		.node = "/dev/video0",
		.count = 30,
		.nbufs = 4,
		.timeout_ms = 5000,
		.save = 1,
	};
	const struct v4l2_pix_format *pix = &c.fmt.fmt.pix;
	struct sigaction sa = { .sa_handler = on_signal };
	struct v4l2_capability cap;
	unsigned int k;
	double t0, fps;
	int status, s;

	if (parse_args(&c, argc, argv)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (c.unbind_after && find_device(&c))
		return EXIT_USAGE;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	c.kept = calloc(c.save + 1, sizeof(*c.kept));
	c.kept_seq = calloc(c.save + 1, sizeof(*c.kept_seq));
	c.kept_len = calloc(c.save + 1, sizeof(*c.kept_len));
	if (!c.kept || !c.kept_seq || !c.kept_len)
		return EXIT_FAILURE;

	if (c.use_dmabuf) {
		c.fd = open(c.node, O_RDWR | O_NONBLOCK);
		if (c.fd >= 0 &&
		    v4l2_fd_open(c.fd, V4L2_DISABLE_CONVERSION) < 0)
			c.fd = -1;
	} else {
		c.fd = v4l2_open(c.node, O_RDWR | O_NONBLOCK);
	}
	if (c.fd < 0) {
		status = call_error(&c, "open", errno);
		printf("result: frames=0 fps=0 dropped=0 errors=0");
		printf(" end=%s exit=%d\n", end_name(status), status);
		return status;
	}
	memset(&cap, 0, sizeof(cap));
	status = lib_ioctl(c.fd, VIDIOC_QUERYCAP, &cap) < 0 ?
		 call_error(&c, "VIDIOC_QUERYCAP", errno) : 0;
	if (!status)
		status = set_format(&c);
	if (!status) {
		printf("%s: %s (%s), %ux%u %s, %u bytes, %s buffers\n", c.node,
		       cap.card, cap.driver, pix->width, pix->height,
		       fourcc_str(pix->pixelformat), pix->sizeimage,
		       c.use_dmabuf ? "DMA-BUF (exported, re-imported)" :
		       "mmap");
		status = c.use_dmabuf ? dmabuf_setup(&c) : mmap_setup(&c);
	}
	t0 = now_ms() / 1e3;
	if (!status)
		status = stream(&c);
	t0 = now_ms() / 1e3 - t0;
	finish_unbind(&c);
	cleanup(&c, status);

	fps = c.frames > 1 && c.last_ts > c.first_ts ?
	      (c.frames - 1) / (c.last_ts - c.first_ts) : 0;
	printf("%u frames in %.2f s, %.1f fps, %u dropped, %u error buffers\n",
	       c.frames, t0, fps, c.dropped, c.errors);
	for (k = 0; k < c.saved; k++) {
		s = save_frame(&c, k);
		if (s && !status)
			status = s;
		free(c.kept[k]);
	}
	printf("result: frames=%u fps=%.1f dropped=%u errors=%u", c.frames,
	       fps, c.dropped, c.errors);
	printf(" end=%s exit=%d\n", end_name(status), status);
	free(c.kept);
	free(c.kept_seq);
	free(c.kept_len);
	return status;
}
