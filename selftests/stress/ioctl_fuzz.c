// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_fuzz - random and boundary arguments for every V4L2, subdev and
 * media ioctl, on every node of a device, interleaved with its unbind.
 *
 *   ioctl_fuzz TARGET [--calls N] [--seconds S] [--every N] [--dead N]
 *              [--long]
 *
 * TARGET is described in stress.h.  Each call picks a node, an ioctl of
 * its kind (now and then a random number in the V4L2 or media range),
 * and an argument: a structure of random words biased to boundaries (0,
 * 1, small indices, -1, INT_MAX, huge sizes), with its type and memory
 * fields often valid, placed against an unmapped guard page; or no
 * structure at all: NULL, a kernel address, a non-canonical one, the
 * guard page, a structure cut by it, an unaligned one.  Pointers inside
 * structures (control arrays, payloads, planes, user pointers, topology
 * and link arrays, EDID, overlay clips) get the same treatment, pointing
 * into scratch memory of their own; DMABUF fds are -1, huge, closed, not
 * a dmabuf, or the node itself.  Now and then an mmap() of random offset
 * and length.  Every --every calls the device is pulled out, --dead calls
 * are made on the files it left, and it is put back and the nodes opened
 * again.
 *
 * Every call must return success or an errno userspace may see (EFAULT
 * included), within VLIFE_HANG_MS (default 60000).  The run stops at
 * --calls calls or --seconds, whichever first; --long multiplies both by
 * 20.  The seed is printed, and VLIFE_SEED=N (or --seed N) replays the
 * same calls; the first bad calls are printed with their arguments.
 * Output is TAP, the counts in the "# fuzz:" line.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/media.h>
#include <linux/v4l2-subdev.h>
#include <linux/videodev2.h>

#include "stress.h"

#define ARG_MAX		16384	/* the largest _IOC_SIZE */
#define PAGE		4096
#define SCRATCH		(1024 * 1024)
#define KERNEL_PTR	0xffffffff81000000ULL
#define DIRECT_PTR	0xffff888000000000ULL
#define NONCANON_PTR	0x8000000000000000ULL

/* What to do to the fields of a structure an ioctl takes. */
enum fix {
	FIX_NONE, FIX_TYPE, FIX_FMT, FIX_BUF, FIX_EXT_CTRLS, FIX_FBUF,
	FIX_EDID, FIX_SD_EDID, FIX_LINKS, FIX_TOPOLOGY, FIX_EXPBUF,
	FIX_REQBUFS, FIX_CREATE, FIX_EVENT, FIX_FD_OUT,
};

/* An ioctl to fuzz, and the node kinds that take it. */
struct fz_ioctl {
	const char *name;
	unsigned long cmd;
	enum fix fix;
	unsigned int kinds;	/* 1 << enum st_kind */
};

/* 1 << enum st_kind */
#define V	0x1
#define S	0x2
#define M	0x4
#define IO(c, f, k)	{ #c, c, f, k }

static const struct fz_ioctl ioctls[] = {
	IO(VIDIOC_QUERYCAP, FIX_NONE, V), IO(VIDIOC_ENUM_FMT, FIX_TYPE, V),
	IO(VIDIOC_G_FMT, FIX_FMT, V), IO(VIDIOC_S_FMT, FIX_FMT, V),
	IO(VIDIOC_TRY_FMT, FIX_FMT, V), IO(VIDIOC_REQBUFS, FIX_REQBUFS, V),
	IO(VIDIOC_QUERYBUF, FIX_BUF, V), IO(VIDIOC_G_FBUF, FIX_FBUF, V),
	IO(VIDIOC_S_FBUF, FIX_FBUF, V), IO(VIDIOC_OVERLAY, FIX_NONE, V),
	IO(VIDIOC_QBUF, FIX_BUF, V), IO(VIDIOC_EXPBUF, FIX_EXPBUF, V),
	IO(VIDIOC_DQBUF, FIX_BUF, V), IO(VIDIOC_STREAMON, FIX_TYPE, V),
	IO(VIDIOC_STREAMOFF, FIX_TYPE, V), IO(VIDIOC_G_PARM, FIX_TYPE, V),
	IO(VIDIOC_S_PARM, FIX_TYPE, V), IO(VIDIOC_G_STD, FIX_NONE, V),
	IO(VIDIOC_S_STD, FIX_NONE, V), IO(VIDIOC_ENUMSTD, FIX_NONE, V),
	IO(VIDIOC_ENUMINPUT, FIX_NONE, V),
	IO(VIDIOC_G_CTRL, FIX_NONE, V | S), IO(VIDIOC_S_CTRL, FIX_NONE, V | S),
	IO(VIDIOC_G_TUNER, FIX_NONE, V), IO(VIDIOC_S_TUNER, FIX_NONE, V),
	IO(VIDIOC_G_AUDIO, FIX_NONE, V), IO(VIDIOC_S_AUDIO, FIX_NONE, V),
	IO(VIDIOC_QUERYCTRL, FIX_NONE, V | S),
	IO(VIDIOC_QUERYMENU, FIX_NONE, V | S),
	IO(VIDIOC_G_INPUT, FIX_NONE, V), IO(VIDIOC_S_INPUT, FIX_NONE, V),
	IO(VIDIOC_G_EDID, FIX_EDID, V), IO(VIDIOC_S_EDID, FIX_EDID, V),
	IO(VIDIOC_G_OUTPUT, FIX_NONE, V), IO(VIDIOC_S_OUTPUT, FIX_NONE, V),
	IO(VIDIOC_ENUMOUTPUT, FIX_NONE, V), IO(VIDIOC_G_AUDOUT, FIX_NONE, V),
	IO(VIDIOC_S_AUDOUT, FIX_NONE, V), IO(VIDIOC_G_MODULATOR, FIX_NONE, V),
	IO(VIDIOC_S_MODULATOR, FIX_NONE, V),
	IO(VIDIOC_G_FREQUENCY, FIX_NONE, V),
	IO(VIDIOC_S_FREQUENCY, FIX_NONE, V), IO(VIDIOC_CROPCAP, FIX_TYPE, V),
	IO(VIDIOC_G_CROP, FIX_TYPE, V), IO(VIDIOC_S_CROP, FIX_TYPE, V),
	IO(VIDIOC_G_JPEGCOMP, FIX_NONE, V), IO(VIDIOC_S_JPEGCOMP, FIX_NONE, V),
	IO(VIDIOC_QUERYSTD, FIX_NONE, V), IO(VIDIOC_ENUMAUDIO, FIX_NONE, V),
	IO(VIDIOC_ENUMAUDOUT, FIX_NONE, V), IO(VIDIOC_G_PRIORITY, FIX_NONE, V),
	IO(VIDIOC_S_PRIORITY, FIX_NONE, V),
	IO(VIDIOC_G_SLICED_VBI_CAP, FIX_TYPE, V),
	IO(VIDIOC_LOG_STATUS, FIX_NONE, V | S),
	IO(VIDIOC_G_EXT_CTRLS, FIX_EXT_CTRLS, V | S),
	IO(VIDIOC_S_EXT_CTRLS, FIX_EXT_CTRLS, V | S),
	IO(VIDIOC_TRY_EXT_CTRLS, FIX_EXT_CTRLS, V | S),
	IO(VIDIOC_ENUM_FRAMESIZES, FIX_NONE, V),
	IO(VIDIOC_ENUM_FRAMEINTERVALS, FIX_NONE, V),
	IO(VIDIOC_G_ENC_INDEX, FIX_NONE, V),
	IO(VIDIOC_ENCODER_CMD, FIX_NONE, V),
	IO(VIDIOC_TRY_ENCODER_CMD, FIX_NONE, V),
	IO(VIDIOC_DBG_S_REGISTER, FIX_NONE, V | S),
	IO(VIDIOC_DBG_G_REGISTER, FIX_NONE, V | S),
	IO(VIDIOC_S_HW_FREQ_SEEK, FIX_NONE, V),
	IO(VIDIOC_S_DV_TIMINGS, FIX_NONE, V),
	IO(VIDIOC_G_DV_TIMINGS, FIX_NONE, V),
	IO(VIDIOC_DQEVENT, FIX_NONE, V | S),
	IO(VIDIOC_SUBSCRIBE_EVENT, FIX_EVENT, V | S),
	IO(VIDIOC_UNSUBSCRIBE_EVENT, FIX_EVENT, V | S),
	IO(VIDIOC_CREATE_BUFS, FIX_CREATE, V),
	IO(VIDIOC_PREPARE_BUF, FIX_BUF, V),
	IO(VIDIOC_G_SELECTION, FIX_TYPE, V),
	IO(VIDIOC_S_SELECTION, FIX_TYPE, V),
	IO(VIDIOC_DECODER_CMD, FIX_NONE, V),
	IO(VIDIOC_TRY_DECODER_CMD, FIX_NONE, V),
	IO(VIDIOC_ENUM_DV_TIMINGS, FIX_NONE, V),
	IO(VIDIOC_QUERY_DV_TIMINGS, FIX_NONE, V),
	IO(VIDIOC_DV_TIMINGS_CAP, FIX_NONE, V),
	IO(VIDIOC_ENUM_FREQ_BANDS, FIX_NONE, V),
	IO(VIDIOC_DBG_G_CHIP_INFO, FIX_NONE, V | S),
	IO(VIDIOC_QUERY_EXT_CTRL, FIX_NONE, V | S),
	IO(VIDIOC_SUBDEV_QUERYCAP, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_G_FMT, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_S_FMT, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_G_FRAME_INTERVAL, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_S_FRAME_INTERVAL, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_ENUM_MBUS_CODE, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_ENUM_FRAME_SIZE, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_ENUM_FRAME_INTERVAL, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_G_CROP, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_S_CROP, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_G_SELECTION, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_S_SELECTION, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_G_STD, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_S_STD, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_ENUMSTD, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_G_EDID, FIX_SD_EDID, S),
	IO(VIDIOC_SUBDEV_S_EDID, FIX_SD_EDID, S),
	IO(VIDIOC_SUBDEV_QUERYSTD, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_S_DV_TIMINGS, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_G_DV_TIMINGS, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_ENUM_DV_TIMINGS, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_QUERY_DV_TIMINGS, FIX_NONE, S),
	IO(VIDIOC_SUBDEV_DV_TIMINGS_CAP, FIX_NONE, S),
	IO(MEDIA_IOC_DEVICE_INFO, FIX_NONE, M),
	IO(MEDIA_IOC_ENUM_ENTITIES, FIX_NONE, M),
	IO(MEDIA_IOC_ENUM_LINKS, FIX_LINKS, M),
	IO(MEDIA_IOC_SETUP_LINK, FIX_NONE, M),
	IO(MEDIA_IOC_G_TOPOLOGY, FIX_TOPOLOGY, M),
	IO(MEDIA_IOC_REQUEST_ALLOC, FIX_FD_OUT, M),
};

/* How an argument pointer is made, for the report of a bad call. */
enum ptr_kind {
	P_GOOD, P_NULL, P_KERNEL, P_DIRECT, P_NONCANON, P_GUARD, P_CUT,
	P_UNALIGNED, P_RANDOM, P_KINDS
};

static const char *const ptr_name[P_KINDS] = {
	"good", "NULL", "kernel", "direct-map", "non-canonical", "guard",
	"cut by guard", "unaligned", "random",
};

static struct st_target tgt;
static unsigned long long rng;
/* Scratch memory: argument pages with a guard page after each. */
static unsigned char *arg_area, *inner_area, *user_area;
static int fds[ST_MAX_NODES];
static int not_dmabuf = -1, closed_fd = -1;
static double call_start;
static int hang_ms = 60000;
static unsigned long ncalls, nbad, ndead, nmmap, nrandom, ncycles;
static unsigned long errnos[ST_ERRNOS], by_kind[ST_MAX_NODES];
static bool pulled_out;

static unsigned int below(unsigned int n)
{
	return st_below(&rng, n);
}

/* A 32-bit value biased to the boundaries. */
static unsigned int word(void)
{
	static const unsigned int edge[] = {
		0, 1, 2, 3, 0xffffffff, 0x7fffffff, 0x80000000, 0xffff,
		0x10000, 0xfffffffe, 4096, 1920, 1080, 32, 64, 256,
	};

	switch (below(5)) {
	case 0:
	case 1:
		return below(8);
	case 2:
		return edge[below(ARRAY_SIZE(edge))];
	default:
		return st_rand(&rng) >> 32;
	}
}

/* A user pointer for inside a structure: into @area mostly, or bad. */
static unsigned long long inner_ptr(unsigned char *area, size_t len)
{
	switch (below(10)) {
	case 0:
		return 0;
	case 1:
		return KERNEL_PTR;
	case 2:
		return NONCANON_PTR;
	case 3:
		return (unsigned long long)(uintptr_t)(area + SCRATCH);
	case 4:
		return (unsigned long long)(uintptr_t)(area + SCRATCH - 3);
	default:
		return (uintptr_t)(area + below(SCRATCH - len) / 8 * 8);
	}
}

/* A DMABUF fd that is not one. */
static int bad_fd(void)
{
	static const int fixed[] = { -1, 0x7fffffff, 1023, 0 };

	switch (below(4)) {
	case 0:
		return not_dmabuf;
	case 1:
		return closed_fd;
	case 2:
		return fds[below(tgt.nodes)];
	default:
		return fixed[below(ARRAY_SIZE(fixed))];
	}
}

/* A buffer type: capture mostly, any other, or nonsense. */
static unsigned int buf_type(void)
{
	switch (below(4)) {
	case 0:
	case 1:
		return V4L2_BUF_TYPE_VIDEO_CAPTURE;
	case 2:
		return 1 + below(14);
	default:
		return word();
	}
}

static void fix_ext_ctrls(struct v4l2_ext_controls *c)
{
	struct v4l2_ext_control *e;
	unsigned int i, n;

	c->controls = (void *)(uintptr_t)inner_ptr(inner_area, 8 * sizeof(*e));
	if (below(2))
		c->count = below(8);
	if (below(2))
		c->which = below(2) ? V4L2_CTRL_WHICH_CUR_VAL :
				      V4L2_CTRL_WHICH_DEF_VAL;
	e = c->controls;
	n = c->count < 8 ? c->count : 8;
	if ((unsigned char *)e < inner_area ||
	    (unsigned char *)e + n * sizeof(*e) > inner_area + SCRATCH)
		return;
	/* the array itself, with ids that exist and payload pointers */
	for (i = 0; i < n; i++) {
		e[i].id = below(2) ? V4L2_CID_BRIGHTNESS + below(40) : word();
		e[i].size = word();
		e[i].ptr = (void *)(uintptr_t)inner_ptr(user_area, 64);
	}
}

static void fix_buf(struct v4l2_buffer *b)
{
	b->type = buf_type();
	b->memory = below(4) ? 1 + below(4) : word();
	if (below(2))
		b->index = below(8);
	switch (b->memory) {
	case V4L2_MEMORY_USERPTR:
		b->m.userptr = inner_ptr(user_area, 0);
		b->length = below(2) ? word() : below(SCRATCH);
		break;
	case V4L2_MEMORY_DMABUF:
		b->m.fd = bad_fd();
		break;
	default:
		b->m.userptr = below(2) ? word() : inner_ptr(inner_area, 0);
		break;
	}
	if (V4L2_TYPE_IS_MULTIPLANAR(b->type))
		b->m.planes = (void *)(uintptr_t)
			inner_ptr(inner_area, VIDEO_MAX_PLANES *
				  sizeof(struct v4l2_plane));
}

static void fix_fmt(struct v4l2_format *f)
{
	f->type = buf_type();
	/* overlay formats carry pointers: clips and bitmap */
	f->fmt.win.clips = (void *)(uintptr_t)inner_ptr(inner_area, 4096);
	f->fmt.win.bitmap = (void *)(uintptr_t)inner_ptr(inner_area, 4096);
}

/* Valid-looking or boundary fields, and safe inner pointers. */
static void fix(enum fix fx, void *arg)
{
	union {
		struct v4l2_edid *edid;
		struct v4l2_subdev_edid *sd_edid;
		struct media_links_enum *links;
		struct media_v2_topology *topo;
		struct v4l2_framebuffer *fbuf;
		struct v4l2_exportbuffer *exp;
		struct v4l2_requestbuffers *req;
		struct v4l2_create_buffers *create;
		struct v4l2_event_subscription *sub;
		unsigned int *type;
		void *p;
	} a = { .p = arg };
	unsigned int *type = arg;

	switch (fx) {
	case FIX_TYPE:
		if (below(4))
			*type = buf_type();
		break;
	case FIX_FMT:
		fix_fmt(arg);
		break;
	case FIX_BUF:
		fix_buf(arg);
		break;
	case FIX_EXT_CTRLS:
		fix_ext_ctrls(arg);
		break;
	case FIX_FBUF:
		a.fbuf->base = (void *)(uintptr_t)inner_ptr(inner_area, 0);
		break;
	case FIX_EDID:
		a.edid->edid = (void *)(uintptr_t)inner_ptr(inner_area, 32768);
		break;
	case FIX_SD_EDID:
		a.sd_edid->edid = (void *)(uintptr_t)inner_ptr(inner_area,
							       32768);
		break;
	case FIX_LINKS:
		a.links->pads = (void *)(uintptr_t)inner_ptr(inner_area, 65536);
		a.links->links = (void *)(uintptr_t)inner_ptr(inner_area,
							      65536);
		if (below(2))
			a.links->entity = below(8);
		break;
	case FIX_TOPOLOGY:
		a.topo->ptr_entities = inner_ptr(inner_area, 65536);
		a.topo->ptr_interfaces = inner_ptr(inner_area, 65536);
		a.topo->ptr_pads = inner_ptr(inner_area, 65536);
		a.topo->ptr_links = inner_ptr(inner_area, 65536);
		break;
	case FIX_EXPBUF:
		if (below(2))
			a.exp->type = buf_type();
		if (below(2))
			a.exp->index = below(8);
		break;
	case FIX_REQBUFS:
		if (below(2))
			a.req->type = buf_type();
		if (below(2))
			a.req->memory = 1 + below(4);
		break;
	case FIX_CREATE:
		if (below(2))
			a.create->memory = 1 + below(4);
		fix_fmt(&a.create->format);
		break;
	case FIX_EVENT:
		if (below(2))
			a.sub->type = below(8);
		break;
	default:
		break;
	}
}

/*
 * CREATE_BUFS allocates count times the size asked for, up to 32 times
 * 4 GB.  vlife's drivers refuse more than twice their largest frame
 * (vlife_queue_setup(), checked by core_test's create_bufs_size_bounded),
 * but upstream's, the peers this also runs on, take any size at least the
 * format's: the OOM killer, not the driver, would end the run.  Keep it
 * to 16 buffers of at most 4 MB each.
 */
static void bound_create(struct v4l2_create_buffers *c)
{
	unsigned int i;

	c->count %= 17;
	c->format.fmt.pix.sizeimage %= 4 << 20;
	for (i = 0; i < VIDEO_MAX_PLANES; i++)
		c->format.fmt.pix_mp.plane_fmt[i].sizeimage %= 4 << 20;
}

/* An argument for @cmd of @fi (NULL for a random command). */
static void *make_arg(const struct fz_ioctl *fi, unsigned long cmd,
		      enum ptr_kind *kind)
{
	size_t size = _IOC_SIZE(cmd), i;
	unsigned char *good = arg_area + ARG_MAX - size;

	for (i = 0; i + 4 <= size; i += 4) {
		unsigned int w = word();

		memcpy(good + i, &w, 4);
	}
	if (fi && below(8))
		fix(fi->fix, good);
	if (fi && fi->fix == FIX_CREATE)
		bound_create((struct v4l2_create_buffers *)good);
	*kind = below(10) < 6 ? P_GOOD : below(P_KINDS);
	switch (*kind) {
	case P_NULL:
		return NULL;
	case P_KERNEL:
		return (void *)(uintptr_t)KERNEL_PTR;
	case P_DIRECT:
		return (void *)(uintptr_t)DIRECT_PTR;
	case P_NONCANON:
		return (void *)(uintptr_t)NONCANON_PTR;
	case P_GUARD:
		return arg_area + ARG_MAX;
	case P_CUT:
		return good + size / 2 + 1;
	case P_UNALIGNED:
		memmove(good - 1, good, size);
		return good - 1;
	case P_RANDOM:
		return (void *)(uintptr_t)(st_rand(&rng) | (1ULL << 63));
	default:
		return good;
	}
}

/* Close what a successful call handed us: an exported or request fd. */
static void close_out_fd(const struct fz_ioctl *fi, void *arg, int ret,
			 enum ptr_kind kind)
{
	int fd = -1;

	if (ret || !fi || (kind != P_GOOD && kind != P_UNALIGNED))
		return;
	if (fi->fix == FIX_EXPBUF)
		memcpy(&fd, (unsigned char *)arg +
		       offsetof(struct v4l2_exportbuffer, fd), sizeof(fd));
	else if (fi->fix == FIX_FD_OUT)
		memcpy(&fd, arg, sizeof(fd));
	if (fd > 2)
		close(fd);
}

static void report_bad(const char *name, unsigned long cmd, int node,
		       enum ptr_kind kind, const void *arg, int ret, int err)
{
	const unsigned char *p = arg;
	char hex[3 * 32 + 1] = "";
	size_t i, n = _IOC_SIZE(cmd) < 32 ? _IOC_SIZE(cmd) : 32;

	if (++nbad > 10)
		return;
	if (kind == P_GOOD || kind == P_UNALIGNED)
		for (i = 0; i < n; i++)
			sprintf(hex + 3 * i, " %02x", p[i]);
	ksft_print_msg("call %lu: %s (0x%lx) on %s: returned %d, %s %d\n",
		       ncalls, name, cmd, tgt.node[node].name, ret, "errno",
		       err);
	ksft_print_msg("  %s argument%s\n", ptr_name[kind], hex);
}

/* One fuzzed ioctl on node @node. */
static void fuzz_ioctl(int node)
{
	enum st_kind k = tgt.node[node].kind;
	const struct fz_ioctl *fi = NULL;
	char name[32];
	unsigned long cmd;
	enum ptr_kind kind;
	void *arg;
	int ret, err;

	if (!below(50)) {
		/* a random command of the node's ioctl type */
		cmd = _IOC(below(4), k == ST_MEDIA ? '|' : 'V', below(256),
			   below(ARG_MAX));
		snprintf(name, sizeof(name), "random");
		nrandom++;
	} else {
		do {
			fi = &ioctls[below(ARRAY_SIZE(ioctls))];
		} while (!(fi->kinds & (1 << k)));
		cmd = fi->cmd;
		snprintf(name, sizeof(name), "%s", fi->name);
	}
	arg = make_arg(fi, cmd, &kind);
	call_start = now_ms();
	ret = ioctl(fds[node], cmd, arg);
	err = ret < 0 ? errno : 0;
	call_start = 0;
	ncalls++;
	by_kind[node]++;
	if (pulled_out)
		ndead++;
	if (err && st_errno_valid(err))
		errnos[err]++;
	if ((ret < 0 && !st_errno_valid(err)) || ret > 0)
		report_bad(name, cmd, node, kind, arg, ret, err);
	close_out_fd(fi, arg, ret, kind);
}

/* mmap() of a random offset and length on node @node. */
static void fuzz_mmap(int node)
{
	static const int prot[] = {
		PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE, PROT_EXEC,
	};
	size_t len = below(3) ? (1 + below(1024)) * PAGE : word();
	off_t off = below(2) ? (off_t)below(64) * PAGE : (off_t)word();
	void *p;

	nmmap++;
	ncalls++;
	by_kind[node]++;
	call_start = now_ms();
	p = mmap(NULL, len, prot[below(4)],
		 below(4) ? MAP_SHARED : MAP_PRIVATE, fds[node], off);
	call_start = 0;
	if (p == MAP_FAILED) {
		if (st_errno_valid(errno))
			errnos[errno]++;
		else
			report_bad("mmap", 0, node, P_GOOD, NULL, -1, errno);
		return;
	}
	munmap(p, len);
}

static void fuzz_one(void)
{
	int node = below(tgt.nodes);

	if (fds[node] < 0)
		return;
	if (tgt.node[node].kind == ST_VIDEO && !below(100))
		fuzz_mmap(node);
	else
		fuzz_ioctl(node);
}

static bool open_all(void)
{
	int i;

	for (i = 0; i < tgt.nodes; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = st_open(&tgt.node[i], O_NONBLOCK);
		if (fds[i] < 0) {
			ksft_print_msg("open %s: %s\n", tgt.node[i].name,
				       strerror(-fds[i]));
			return false;
		}
	}
	return true;
}

/* Pull out, fuzz the files left behind, put back, reopen: ok? */
static bool cycle(unsigned long dead)
{
	const struct st_pull *p = &tgt.pull[st_pick_pull(&tgt, below(~0u))];
	char why[PATH_MAX + 64];
	unsigned long i;

	if (st_pull_out(p, why, sizeof(why))) {
		ksft_print_msg("%s\n", why);
		return false;
	}
	pulled_out = true;
	for (i = 0; i < dead; i++)
		fuzz_one();
	pulled_out = false;
	if (st_put_back(p, why, sizeof(why))) {
		ksft_print_msg("%s\n", why);
		return false;
	}
	if (!st_wait_nodes(&tgt, tgt.node_wait_ms)) {
		ksft_print_msg("nodes not back in %d ms\n", tgt.node_wait_ms);
		return false;
	}
	ncycles++;
	return open_all();
}

static void *watchdog(void *unused)
{
	double t;

	for (;;) {
		sleep_ms(500);
		t = call_start;
		if (t && now_ms() - t > hang_ms) {
			ksft_print_msg("call %lu has lasted %.0f ms: hung\n",
				       ncalls, now_ms() - t);
			ksft_test_result_fail("%s: no call hangs\n", tgt.label);
			ksft_exit_fail_msg("seed %llu\n", tgt.seed);
		}
	}
	return unused;
}

/* The sizes of the run, from the command line. */
static unsigned long max_calls = 20000, seconds = 120, every = 2000;
static unsigned long dead = 200;

static int num_opt(const char *opt, const char *arg)
{
	static const struct {
		const char *name;
		unsigned long *val;
	} opts[] = {
		{ "--calls", &max_calls }, { "--seconds", &seconds },
		{ "--every", &every }, { "--dead", &dead },
	};
	unsigned int i;

	for (i = 0; arg && i < ARRAY_SIZE(opts); i++)
		if (!strcmp(opt, opts[i].name)) {
			*opts[i].val = strtoul(arg, NULL, 0);
			return 1;
		}
	return 0;
}

static void *scratch(size_t len)
{
	unsigned char *p = mmap(NULL, len + PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	mprotect(p + len, PAGE, PROT_NONE);
	return p;
}

static void print_counts(double ms)
{
	char buf[1024];
	int i, n = 0;

	ksft_print_msg("fuzz: %s: %lu calls (%lu %s, %lu mmap, %lu %s), %s\n",
		       tgt.label, ncalls, ndead, "on pulled-out files", nmmap,
		       nrandom, "random commands", "then:");
	ksft_print_msg("fuzz: %s: %lu unbind cycles, %.1f s, seed %llu\n",
		       tgt.label, ncycles, ms / 1000, tgt.seed);
	for (i = 0; i < tgt.nodes; i++)
		n += snprintf(buf + n, sizeof(buf) - n, " %s=%lu",
			      tgt.node[i].name, by_kind[i]);
	ksft_print_msg("calls per node:%s\n", buf);
	st_errno_counts(buf, sizeof(buf), errnos);
	ksft_print_msg("errnos:%s\n", buf[0] ? buf : " none");
}

int main(int argc, char **argv)
{
	const char *h = getenv("VLIFE_HANG_MS");
	unsigned long soak = 1, since = 0;
	bool cycles_ok = true;
	double t0, end;
	pthread_t wd;
	int i, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	st_init(&tgt);
	for (i = 1; i < argc; i++) {
		r = st_parse(&tgt, argv[i], argv[i + 1]);
		if (!r && !strcmp(argv[i], "--long"))
			soak = 20;
		else if (!r)
			r = num_opt(argv[i], argv[i + 1]);
		if (r < 0 || (!r && strcmp(argv[i], "--long")))
			ksft_exit_fail_msg("bad option %s (see the source)\n",
					   argv[i]);
		i += r;
	}
	max_calls *= soak;
	seconds *= soak;
	if (h && *h)
		hang_ms = atoi(h);
	if (!tgt.nodes || !tgt.pulls || !every)
		ksft_exit_fail_msg("no nodes, or no way to pull out\n");
	rng = st_stream(tgt.seed, 0);

	ksft_print_header();
	ksft_set_plan(2);
	ksft_print_msg("ioctl_fuzz %s: seed %llu (VLIFE_SEED=%llu replays)\n",
		       tgt.label, tgt.seed, tgt.seed);
	ksft_print_msg("up to %lu calls, %lu s; unbind every %lu calls\n",
		       max_calls, seconds, every);
	ksft_print_msg("%lu calls on the files each unbind leaves\n", dead);
	arg_area = scratch(ARG_MAX);
	inner_area = scratch(SCRATCH);
	user_area = scratch(SCRATCH);
	not_dmabuf = open("/dev/null", O_RDWR);
	closed_fd = open("/dev/null", O_RDWR);
	close(closed_fd);
	for (i = 0; i < tgt.nodes; i++)
		fds[i] = -1;
	if (!st_wait_nodes(&tgt, tgt.node_wait_ms) || !open_all())
		ksft_exit_fail_msg("%s: nodes missing\n", tgt.label);
	pthread_create(&wd, NULL, watchdog, NULL);

	t0 = now_ms();
	end = t0 + seconds * 1000.0;
	while (ncalls < max_calls && now_ms() < end && cycles_ok) {
		fuzz_one();
		if (++since >= every) {
			since = 0;
			cycles_ok = cycle(dead);
		}
	}
	if (!cycles_ok) {
		char why[PATH_MAX + 64];

		for (i = 0; i < tgt.pulls; i++)
			st_put_back(&tgt.pull[i], why, sizeof(why));
	}
	for (i = 0; i < tgt.nodes; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	print_counts(now_ms() - t0);
	ksft_test_result(!nbad, "%s: %lu fuzzed calls, %s\n", tgt.label,
			 ncalls, "each ok or a valid errno");
	ksft_test_result(cycles_ok, "%s: %lu unbind cycles between them\n",
			 tgt.label, ncycles);
	ksft_finished();
}
