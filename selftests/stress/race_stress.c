// SPDX-License-Identifier: GPL-2.0
/*
 * race_stress - ioctls, polls, mappings and opens from many threads while
 * the device is pulled out and put back again and again.
 *
 *   race_stress TARGET [--fds N] [--threads N] [--cycles N] [--seconds S]
 *               [--calls N] [--long] [--blocking [--hold MS]]
 *
 * TARGET is described in stress.h (nodes by name, how to pull the device
 * out).  --fds files are open on each node (reopened at random), each
 * with --threads threads doing a random mix: QUERYCAP, G/S/TRY_FMT,
 * REQBUFS, QUERYBUF and mmap/munmap, QBUF/DQBUF, STREAMON/OFF, EXPBUF,
 * control get/set, event subscribe/dequeue, poll, close and open on a
 * video node; the pad format, mbus code and control ioctls on a subdev;
 * the device info, topology, entity and link ioctls on a media device.
 * One more thread pulls the device out and puts it back, --cycles times
 * (each time by one of the target's ways, at random, by their weights).
 *
 * Every call must succeed or fail with an errno that userspace may see:
 * not EFAULT or EBADF (the arguments are valid, the fd is held), not a
 * kernel-internal code; no call may last longer than VLIFE_HANG_MS
 * (default 60000).  Each unbind and bind must succeed, and the nodes must
 * come back.  The run stops at --cycles cycles, --calls calls or
 * --seconds, whichever comes first; --long multiplies all three by 20.
 *
 * With --blocking, the first file of each video node is opened without
 * O_NONBLOCK: its DQBUF and DQEVENT wait, and an unplug must wake them
 * (the unplug contract), or the hang check fails; one more pull-out at
 * the end wakes the calls still waiting.  The "# blocking:" line counts
 * the DQBUF and DQEVENT calls that waited (over WAITED_MS), and the
 * longest wait.
 *
 * With --blocking, the first thread of that file also streams, as a
 * capture program does: REQBUFS, QBUF of every buffer, STREAMON, then
 * poll, DQBUF and QBUF for a few frames, STREAMOFF, and again; it opens
 * the node again when a pull-out killed its file.  So the pull-outs find
 * the device streaming much of the time, and the drivers' "gone while
 * streaming" paths run under the load.  The random calls alone seldom
 * stream: the queue belongs to whichever file allocated buffers first,
 * and the formats they set at random seldom make a valid pipeline.  So:
 * - the other files never allocate buffers (their REQBUFS asks for 0:
 *   EBUSY while the streaming file owns the queue), and the other
 *   threads of the streaming file neither stop its stream (STREAMOFF:
 *   they STREAMON), take its frames (DQBUF: they QBUF) nor reopen it at
 *   random;
 * - the format of every subdev pad (active) and of the video node is
 *   taken at the start (the device then streams: the suite checks it
 *   first), and put back before each STREAMON, under a lock that the
 *   calls that change formats or links take shared, so that STREAMON
 *   finds them as put back.  The lock is dropped once STREAMON returned:
 *   from then on the drivers must refuse the changes (EBUSY); a stream
 *   that ran to its end finds the formats still as put back, or is
 *   counted ("with formats changed under them").
 * A stream that gives no frame for STALL_MS (at most half the hang
 * bound) is stopped and counted as stalled: a driver that loses its
 * source without failing the queue stalls.  With --hold MS, a stream
 * that a pull-out hit and whose file is still there (a bridge whose
 * sensor was unbound) is stopped only MS after the pull-out, so that its
 * stop comes after what was pulled out is freed (the debug kernel frees
 * a released object up to 4 s late) and shows whether the stream still
 * held on to it; without, streams come more often.
 * The "# streams:" line gives the streams started, frames dequeued,
 * stalls, streams kept on, the streams not started (by errno), and the
 * "# pull-outs while streaming:" line the pull-outs that found a stream
 * on (each way's count).
 *
 * The seed is printed; VLIFE_SEED=N (or --seed N) replays each thread's
 * sequence of calls (the interleaving is the scheduler's).  Output is
 * TAP: one case for the calls, one for the cycles, one for hangs; the
 * "# stress:" line has the counts.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/media.h>
#include <linux/v4l2-subdev.h>
#include <linux/videodev2.h>

#include "stress.h"

#define MAX_FDS		8
#define MAX_THREADS	8
#define MAX_MAPS	8
#define NBUFS		4
#define CAP		V4L2_BUF_TYPE_VIDEO_CAPTURE
#define WRITER_FIRST	PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP
#define WAITED_MS	100	/* a DQBUF/DQEVENT that lasted longer waited */
#define STALL_MS	5000	/* a stream without a frame this long stalled */
#define SNAP_PADS	4	/* pads per subdev whose formats are kept */

/* The operations, for the counts. */
enum st_op {
	OP_QUERYCAP, OP_G_FMT, OP_S_FMT, OP_TRY_FMT, OP_ENUM_FMT, OP_REQBUFS,
	OP_QUERYBUF, OP_MMAP, OP_MUNMAP, OP_QBUF, OP_DQBUF, OP_STREAMON,
	OP_STREAMOFF, OP_EXPBUF, OP_G_CTRL, OP_S_CTRL, OP_QUERYCTRL,
	OP_SUB_EVENT, OP_DQEVENT, OP_UNSUB_EVENT, OP_POLL, OP_REOPEN,
	OP_SD_QUERYCAP, OP_SD_G_FMT, OP_SD_S_FMT, OP_SD_ENUM_CODE,
	OP_MC_INFO, OP_MC_TOPOLOGY, OP_MC_ENUM_ENT, OP_MC_ENUM_LINKS,
	OP_MC_SETUP_LINK, OP_COUNT
};

static const char *const op_name[OP_COUNT] = {
	"QUERYCAP", "G_FMT", "S_FMT", "TRY_FMT", "ENUM_FMT", "REQBUFS",
	"QUERYBUF", "mmap", "munmap", "QBUF", "DQBUF", "STREAMON", "STREAMOFF",
	"EXPBUF", "G_CTRL", "S_CTRL", "QUERYCTRL", "SUBSCRIBE_EVENT",
	"DQEVENT", "UNSUBSCRIBE_EVENT", "poll", "open",
	"SUBDEV_QUERYCAP", "SUBDEV_G_FMT", "SUBDEV_S_FMT",
	"SUBDEV_ENUM_MBUS_CODE", "MEDIA_DEVICE_INFO", "MEDIA_G_TOPOLOGY",
	"MEDIA_ENUM_ENTITIES", "MEDIA_ENUM_LINKS", "MEDIA_SETUP_LINK",
};

/* One open file, shared by its threads; reopened under the write lock. */
struct slot {
	pthread_rwlock_t lock;
	pthread_mutex_t maps_lock;
	const struct st_node *node;
	int fd;			/* -1 while the node is missing */
	int flags;		/* O_NONBLOCK, or 0 (--blocking) */
	void *map[MAX_MAPS];	/* mappings, kept across reopen */
	size_t len[MAX_MAPS];
	bool streamed;		/* one of its threads streams (--blocking) */
};

/* One worker thread. */
struct worker {
	pthread_t th;
	struct slot *slot;
	unsigned long long rng;
	double call_start;	/* 0 when not in a call */
	enum st_op call_op;
	double longest;		/* the longest call on a blocking file, ms */
	bool streamer;		/* streams (--blocking: the first thread) */
	int bufs_fd;		/* the file it allocated buffers on */
	unsigned int bufs;	/* how many, 0: REQBUFS again */
	bool dead;		/* its file is dead: open the node again */
};

/* The formats of the pipeline when the run starts, put back to stream. */
struct snap {
	struct v4l2_format vfmt[ST_MAX_NODES];	/* per video node */
	bool have_vfmt[ST_MAX_NODES];
	struct v4l2_subdev_format pad[ST_MAX_NODES][SNAP_PADS];
	int pads[ST_MAX_NODES];		/* per subdev node, from pad 0 */
};

static struct st_target tgt;
static struct slot slots[ST_MAX_NODES * MAX_FDS];
static struct worker workers[ST_MAX_NODES * MAX_FDS * MAX_THREADS];
static int nslots, nworkers;
static bool stop;
static int hang_ms = 60000;

/* Counts, updated atomically. */
static unsigned long calls[OP_COUNT], bad_calls, opens_failed;
static unsigned long errnos[ST_ERRNOS], cycles_done, pulls_done[ST_MAX_PULLS];
static unsigned long cycle_failures, hangs, max_calls, waits;
static unsigned long streams, frames, stalls, streamon_err[ST_ERRNOS];
static unsigned long pulls_streaming[ST_MAX_PULLS], fmt_changed_streaming;
static unsigned long stream_gen;	/* odd while a stream is on */
static unsigned long pulls_started, streams_held, hold_ms;
static bool blocking;		/* --blocking */
static int stall_ms = STALL_MS;
static struct snap snap;
/* shared by the calls that change formats or links, the streamer's own */
static pthread_rwlock_t fmt_lock;

static void count(unsigned long *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static unsigned long total_calls(void)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < OP_COUNT; i++)
		n += __atomic_load_n(&calls[i], __ATOMIC_RELAXED);
	return n;
}

/*
 * Record the result of one call: 0 or an errno.  EFAULT and EBADF are
 * wrong here (valid arguments, an fd held open), and so is anything that
 * is not an errno userspace may see.
 */
static void result(struct worker *w, enum st_op op, int err)
{
	double ms = now_ms() - w->call_start;

	count(&calls[op]);
	w->call_start = 0;
	/*
	 * A DQBUF or DQEVENT that waited on a blocking file: woken by a
	 * frame, an event, a STREAMOFF from another thread or the pull-out.
	 */
	if (!w->slot->flags && (op == OP_DQBUF || op == OP_DQEVENT) &&
	    ms > WAITED_MS) {
		count(&waits);
		if (ms > w->longest)
			w->longest = ms;
	}
	if (!err)
		return;
	if (st_errno_valid(err))
		count(&errnos[err]);
	if (!st_errno_valid(err) || err == EFAULT || err == EBADF) {
		if (__atomic_add_fetch(&bad_calls, 1, __ATOMIC_RELAXED) <= 10)
			ksft_print_msg("%s on %s: errno %d (%s)\n",
				       op_name[op], w->slot->node->name, err,
				       strerror(err));
	}
}

/* ioctl() on @fd: 0 or errno, timed for the hang check. */
static int call_fd(struct worker *w, int fd, enum st_op op, unsigned long req,
		   void *arg)
{
	int ret;

	w->call_op = op;
	w->call_start = now_ms();
	ret = ioctl(fd, req, arg) ? errno : 0;
	result(w, op, ret);
	return ret;
}

/* ioctl() on the worker's file. */
static int call(struct worker *w, enum st_op op, unsigned long req, void *arg)
{
	return call_fd(w, w->slot->fd, op, req, arg);
}

/* Whether a stream is on now: stream_gen, odd while one is. */
static unsigned long stream_now(void)
{
	return __atomic_load_n(&stream_gen, __ATOMIC_ACQUIRE);
}

/* Formats worth setting: those the sample drivers know and some not. */
static const unsigned int fourccs[] = {
	V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_MJPEG, V4L2_PIX_FMT_SRGGB10,
	V4L2_PIX_FMT_SBGGR10, V4L2_PIX_FMT_RGB24, 0,
};

static void v_fmt(struct worker *w, enum st_op op, unsigned long req)
{
	struct v4l2_format f = { .type = CAP };

	if (op != OP_G_FMT) {
		f.fmt.pix.pixelformat = fourccs[st_below(&w->rng, 6)];
		f.fmt.pix.width = 16 + st_below(&w->rng, 2000);
		f.fmt.pix.height = 16 + st_below(&w->rng, 1200);
	}
	if (op == OP_S_FMT)
		pthread_rwlock_rdlock(&fmt_lock);
	call(w, op, req, &f);
	if (op == OP_S_FMT)
		pthread_rwlock_unlock(&fmt_lock);
}

/*
 * With --blocking only the streaming file allocates buffers: the others
 * ask to free the queue (EBUSY while that file holds it), as a second
 * program beside a capture program does.
 */
static void v_reqbufs(struct worker *w)
{
	struct v4l2_requestbuffers rb = {
		.count = st_below(&w->rng, NBUFS + 1), .type = CAP,
		.memory = V4L2_MEMORY_MMAP,
	};

	if (blocking && !w->slot->streamed)
		rb.count = 0;
	call(w, OP_REQBUFS, VIDIOC_REQBUFS, &rb);
}

/* Touch each page of a mapping: reads must work even after unbind. */
static void touch(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 4096)
		(void)__atomic_load_n(p + i, __ATOMIC_RELAXED);
}

static void v_mmap(struct worker *w)
{
	struct v4l2_buffer b = {
		.index = st_below(&w->rng, NBUFS), .type = CAP,
		.memory = V4L2_MEMORY_MMAP,
	};
	struct slot *s = w->slot;
	void *p;
	int i;

	if (call(w, OP_QUERYBUF, VIDIOC_QUERYBUF, &b))
		return;
	w->call_op = OP_MMAP;
	w->call_start = now_ms();
	p = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd,
		 b.m.offset);
	result(w, OP_MMAP, p == MAP_FAILED ? errno : 0);
	if (p == MAP_FAILED)
		return;
	touch(p, b.length);
	pthread_mutex_lock(&s->maps_lock);
	for (i = 0; i < MAX_MAPS && s->map[i]; i++)
		;
	if (i < MAX_MAPS) {
		s->map[i] = p;
		s->len[i] = b.length;
		p = NULL;
	}
	pthread_mutex_unlock(&s->maps_lock);
	if (p)
		munmap(p, b.length);
}

static void v_munmap(struct worker *w)
{
	struct slot *s = w->slot;
	int i = st_below(&w->rng, MAX_MAPS);
	size_t len = 0;
	void *p;

	pthread_mutex_lock(&s->maps_lock);
	p = s->map[i];
	if (p) {
		len = s->len[i];
		s->map[i] = NULL;
	}
	pthread_mutex_unlock(&s->maps_lock);
	if (!p)
		return;
	touch(p, len);
	w->call_op = OP_MUNMAP;
	w->call_start = now_ms();
	result(w, OP_MUNMAP, munmap(p, len) ? errno : 0);
}

static void v_buf(struct worker *w, enum st_op op, unsigned long req)
{
	struct v4l2_buffer b = {
		.index = st_below(&w->rng, NBUFS), .type = CAP,
		.memory = V4L2_MEMORY_MMAP,
	};

	call(w, op, req, &b);
}

static void v_stream(struct worker *w, enum st_op op, unsigned long req)
{
	int type = CAP;

	call(w, op, req, &type);
}

static void v_expbuf(struct worker *w)
{
	struct v4l2_exportbuffer e = {
		.type = CAP, .index = st_below(&w->rng, NBUFS),
		.flags = O_CLOEXEC,
	};

	if (!call(w, OP_EXPBUF, VIDIOC_EXPBUF, &e))
		close(e.fd);
}

/* Controls the drivers have, and one no driver has. */
static const unsigned int cids[] = {
	V4L2_CID_BRIGHTNESS, V4L2_CID_CONTRAST, V4L2_CID_HFLIP,
	V4L2_CID_VFLIP, V4L2_CID_TEST_PATTERN, V4L2_CID_EXPOSURE,
	V4L2_CID_SATURATION, V4L2_CID_GAIN,
};

static unsigned int rand_cid(struct worker *w)
{
	return cids[st_below(&w->rng, ARRAY_SIZE(cids))];
}

static void ctrl(struct worker *w, enum st_op op, unsigned long req)
{
	struct v4l2_control c = { .id = rand_cid(w) };
	struct v4l2_queryctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };

	if (op == OP_QUERYCTRL) {
		if (st_below(&w->rng, 2))
			q.id = rand_cid(w);
		call(w, op, req, &q);
		return;
	}
	c.value = st_below(&w->rng, 4);
	call(w, op, req, &c);
}

static void event(struct worker *w, enum st_op op)
{
	static const unsigned int types[] = {
		V4L2_EVENT_CTRL, V4L2_EVENT_EOS, V4L2_EVENT_SOURCE_CHANGE,
		V4L2_EVENT_FRAME_SYNC,
	};
	struct v4l2_event_subscription sub = {
		.type = types[st_below(&w->rng, 4)], .id = rand_cid(w),
	};
	struct v4l2_event ev;

	if (op == OP_DQEVENT)
		call(w, op, VIDIOC_DQEVENT, &ev);
	else
		call(w, op, op == OP_SUB_EVENT ? VIDIOC_SUBSCRIBE_EVENT :
			    VIDIOC_UNSUBSCRIBE_EVENT, &sub);
}

static void do_poll(struct worker *w)
{
	struct pollfd p = {
		.fd = w->slot->fd, .events = POLLIN | POLLPRI | POLLOUT,
	};
	int ret;

	w->call_op = OP_POLL;
	w->call_start = now_ms();
	ret = poll(&p, 1, st_below(&w->rng, 20));
	/* a dead file may say POLLERR or POLLHUP; POLLNVAL is a closed fd */
	result(w, OP_POLL, ret < 0 ? errno : p.revents & POLLNVAL ? EBADF : 0);
}

/* Close the slot's file (its mappings stay) and open the node again. */
static void reopen(struct worker *w)
{
	struct slot *s = w->slot;
	int fd;

	pthread_rwlock_wrlock(&s->lock);
	if (s->fd >= 0)
		close(s->fd);
	w->call_op = OP_REOPEN;
	w->call_start = now_ms();
	fd = st_open(s->node, s->flags);
	count(&calls[OP_REOPEN]);
	w->call_start = 0;
	/* the node may be gone (ENOENT) or going (ENODEV, ENXIO) */
	if (fd < 0) {
		count(&opens_failed);
		if (fd != -ENOENT && fd != -ENODEV && fd != -ENXIO)
			result(w, OP_REOPEN, -fd);
	}
	s->fd = fd < 0 ? -1 : fd;
	pthread_rwlock_unlock(&s->lock);
}

static void video_op(struct worker *w)
{
	switch (st_below(&w->rng, 21)) {
	case 0:
		{;
		struct v4l2_capability cap;

		call(w, OP_QUERYCAP, VIDIOC_QUERYCAP, &cap);
		break;
	}
	case 1:
		v_fmt(w, OP_G_FMT, VIDIOC_G_FMT);
		break;
	case 2:
		v_fmt(w, OP_S_FMT, VIDIOC_S_FMT);
		break;
	case 3:
		v_fmt(w, OP_TRY_FMT, VIDIOC_TRY_FMT);
		break;
	case 4:
		{;
		struct v4l2_fmtdesc d = {
			.index = st_below(&w->rng, 4), .type = CAP,
		};

		call(w, OP_ENUM_FMT, VIDIOC_ENUM_FMT, &d);
		break;
	}
	case 5:
		v_reqbufs(w);
		break;
	case 6:
		v_mmap(w);
		break;
	case 7:
		v_munmap(w);
		break;
	case 8:
	case 9:
		v_buf(w, OP_QBUF, VIDIOC_QBUF);
		break;
	case 10:
	case 11:
		/* the streamer's frames are its own to take */
		if (w->slot->streamed)
			v_buf(w, OP_QBUF, VIDIOC_QBUF);
		else
			v_buf(w, OP_DQBUF, VIDIOC_DQBUF);
		break;
	case 12:
		v_stream(w, OP_STREAMON, VIDIOC_STREAMON);
		break;
	case 13:
		/* the streamer's stream is its own to stop */
		v_stream(w, w->slot->streamed ? OP_STREAMON : OP_STREAMOFF,
			 w->slot->streamed ? VIDIOC_STREAMON :
					     VIDIOC_STREAMOFF);
		break;
	case 14:
		v_expbuf(w);
		break;
	case 15:
		ctrl(w, OP_G_CTRL, VIDIOC_G_CTRL);
		break;
	case 16:
		ctrl(w, OP_S_CTRL, VIDIOC_S_CTRL);
		break;
	case 17:
		ctrl(w, OP_QUERYCTRL, VIDIOC_QUERYCTRL);
		break;
	case 18:
		event(w, OP_SUB_EVENT + st_below(&w->rng, 3));
		break;
	default:
		do_poll(w);
		break;
	}
}

static void subdev_op(struct worker *w)
{
	struct v4l2_subdev_format f = {
		.which = st_below(&w->rng, 2) ? V4L2_SUBDEV_FORMAT_ACTIVE :
						V4L2_SUBDEV_FORMAT_TRY,
		.pad = st_below(&w->rng, 3),
	};
	struct v4l2_subdev_mbus_code_enum c = {
		.which = f.which, .pad = f.pad, .index = st_below(&w->rng, 4),
	};
	struct v4l2_subdev_capability cap;

	switch (st_below(&w->rng, 11)) {
	case 0:
		call(w, OP_SD_QUERYCAP, VIDIOC_SUBDEV_QUERYCAP, &cap);
		break;
	case 1:
		call(w, OP_SD_G_FMT, VIDIOC_SUBDEV_G_FMT, &f);
		break;
	case 2:
		pthread_rwlock_rdlock(&fmt_lock);
		if (!call(w, OP_SD_G_FMT, VIDIOC_SUBDEV_G_FMT, &f)) {
			f.format.width = 16 + st_below(&w->rng, 2000);
			f.format.height = 16 + st_below(&w->rng, 1200);
			call(w, OP_SD_S_FMT, VIDIOC_SUBDEV_S_FMT, &f);
		}
		pthread_rwlock_unlock(&fmt_lock);
		break;
	case 3:
		call(w, OP_SD_ENUM_CODE, VIDIOC_SUBDEV_ENUM_MBUS_CODE, &c);
		break;
	case 4:
		ctrl(w, OP_G_CTRL, VIDIOC_G_CTRL);
		break;
	case 5:
		ctrl(w, OP_S_CTRL, VIDIOC_S_CTRL);
		break;
	case 6:
		ctrl(w, OP_QUERYCTRL, VIDIOC_QUERYCTRL);
		break;
	case 7:
	case 8:
		event(w, OP_SUB_EVENT + st_below(&w->rng, 3));
		break;
	default:
		do_poll(w);
		break;
	}
}

static void media_op(struct worker *w)
{
	struct media_v2_entity ents[16];
	struct media_v2_interface ifs[16];
	struct media_v2_pad pads[32];
	struct media_v2_link links[32];
	struct media_v2_topology topo = {
		.num_entities = 16, .ptr_entities = (uintptr_t)ents,
		.num_interfaces = 16, .ptr_interfaces = (uintptr_t)ifs,
		.num_pads = 32, .ptr_pads = (uintptr_t)pads,
		.num_links = 32, .ptr_links = (uintptr_t)links,
	};
	struct media_entity_desc ed = {
		.id = st_below(&w->rng, 2) ? MEDIA_ENT_ID_FLAG_NEXT :
					     st_below(&w->rng, 8),
	};
	struct media_pad_desc pd[8];
	struct media_link_desc ld[8], l;
	struct media_links_enum le = {
		.entity = 1 + st_below(&w->rng, 8), .pads = pd, .links = ld,
	};
	struct media_device_info info;

	switch (st_below(&w->rng, 6)) {
	case 0:
		call(w, OP_MC_INFO, MEDIA_IOC_DEVICE_INFO, &info);
		break;
	case 1:
		call(w, OP_MC_TOPOLOGY, MEDIA_IOC_G_TOPOLOGY, &topo);
		break;
	case 2:
		call(w, OP_MC_ENUM_ENT, MEDIA_IOC_ENUM_ENTITIES, &ed);
		break;
	case 3:
		/* arrays big enough for the entities the drivers have */
		if (call(w, OP_MC_ENUM_LINKS, MEDIA_IOC_ENUM_LINKS, &le) ||
		    !le.links[0].source.entity)
			break;
		l = le.links[0];
		pthread_rwlock_rdlock(&fmt_lock);
		call(w, OP_MC_SETUP_LINK, MEDIA_IOC_SETUP_LINK, &l);
		pthread_rwlock_unlock(&fmt_lock);
		break;
	default:
		do_poll(w);
		break;
	}
}

/* ---- the streamer (--blocking) ---- */

/* The formats of the pipeline now: what the streamer puts back. */
static void take_snapshot(void)
{
	struct v4l2_subdev_format *f;
	struct v4l2_pix_format *pix;
	char buf[512];
	int i, p, fd, n;

	for (i = 0; i < tgt.nodes; i++) {
		if (tgt.node[i].kind == ST_MEDIA)
			continue;
		fd = st_open(&tgt.node[i], O_NONBLOCK);
		if (fd < 0)
			continue;
		n = 0;
		buf[0] = 0;
		if (tgt.node[i].kind == ST_VIDEO) {
			snap.vfmt[i].type = CAP;
			snap.have_vfmt[i] = !ioctl(fd, VIDIOC_G_FMT,
						   &snap.vfmt[i]);
			pix = &snap.vfmt[i].fmt.pix;
			if (snap.have_vfmt[i])
				snprintf(buf, sizeof(buf), " %ux%u %.4s",
					 pix->width, pix->height,
					 (char *)&pix->pixelformat);
		}
		for (p = 0; tgt.node[i].kind == ST_SUBDEV && p < SNAP_PADS;
		     p++) {
			f = &snap.pad[i][p];
			f->which = V4L2_SUBDEV_FORMAT_ACTIVE;
			f->pad = p;
			if (ioctl(fd, VIDIOC_SUBDEV_G_FMT, f))
				break;
			n += snprintf(buf + n, sizeof(buf) - n,
				      " pad %d %ux%u 0x%04x", p,
				      f->format.width, f->format.height,
				      f->format.code);
			snap.pads[i] = p + 1;
		}
		close(fd);
		ksft_print_msg("streamer puts back: %s:%s\n",
			       tgt.node[i].name, buf[0] ? buf : " nothing");
	}
}

/*
 * Put the subdevs' pad formats back as they were at the start, on the
 * files @fds of the target's subdev nodes (-1: not open); @fmt_lock held
 * exclusively.
 */
static void restore_pads(struct worker *w, const int *fds)
{
	struct v4l2_subdev_format cur, f;
	int i, p;

	for (i = 0; i < tgt.nodes; i++) {
		for (p = 0; fds[i] >= 0 && p < snap.pads[i]; p++) {
			cur = (struct v4l2_subdev_format){
				.which = V4L2_SUBDEV_FORMAT_ACTIVE, .pad = p,
			};
			if (call_fd(w, fds[i], OP_SD_G_FMT,
				    VIDIOC_SUBDEV_G_FMT, &cur))
				break;
			if (!memcmp(&cur.format, &snap.pad[i][p].format,
				    sizeof(cur.format)))
				continue;
			f = snap.pad[i][p];
			call_fd(w, fds[i], OP_SD_S_FMT, VIDIOC_SUBDEV_S_FMT,
				&f);
		}
	}
}

/* Whether two video formats have the same size and pixel format. */
static bool pix_same(const struct v4l2_format *a, const struct v4l2_format *b)
{
	return a->fmt.pix.width == b->fmt.pix.width &&
	       a->fmt.pix.height == b->fmt.pix.height &&
	       a->fmt.pix.pixelformat == b->fmt.pix.pixelformat;
}

/*
 * Put the video node's format back, on the streamer's file, which has no
 * buffers then (S_FMT is refused while a file has): @fmt_lock held.
 */
static void restore_vfmt(struct worker *w)
{
	int i = w->slot->node - tgt.node;
	struct v4l2_format cur = { .type = CAP }, f = snap.vfmt[i];
	struct v4l2_requestbuffers rb = {
		.count = 0, .type = CAP, .memory = V4L2_MEMORY_MMAP,
	};

	if (!snap.have_vfmt[i] || ioctl(w->slot->fd, VIDIOC_G_FMT, &cur) ||
	    pix_same(&cur, &f))
		return;
	call(w, OP_REQBUFS, VIDIOC_REQBUFS, &rb);
	call(w, OP_S_FMT, VIDIOC_S_FMT, &f);
}

/*
 * Whether the formats of the pipeline (as the streamer put them back)
 * changed while the stream ran: the drivers should have refused it.
 */
static bool formats_changed(struct worker *w)
{
	int i = w->slot->node - tgt.node;
	struct v4l2_format cur = { .type = CAP };
	struct v4l2_subdev_format f;
	bool changed = false;
	int fd, p;

	if (snap.have_vfmt[i] && !ioctl(w->slot->fd, VIDIOC_G_FMT, &cur) &&
	    !pix_same(&cur, &snap.vfmt[i]))
		changed = true;
	for (i = 0; i < tgt.nodes && !changed; i++) {
		fd = snap.pads[i] ? st_open(&tgt.node[i], O_NONBLOCK) : -1;
		for (p = 0; fd >= 0 && p < snap.pads[i]; p++) {
			f = (struct v4l2_subdev_format){
				.which = V4L2_SUBDEV_FORMAT_ACTIVE, .pad = p,
			};
			if (!ioctl(fd, VIDIOC_SUBDEV_G_FMT, &f) &&
			    memcmp(&f.format, &snap.pad[i][p].format,
				   sizeof(f.format)))
				changed = true;
		}
		if (fd >= 0)
			close(fd);
	}
	return changed;
}

/*
 * REQBUFS failed with EBUSY on the streaming file: another thread on it
 * started a stream or mapped buffers.  Stop the one, unmap the others.
 */
static void unbusy(struct worker *w)
{
	struct slot *s = w->slot;
	int type = CAP;
	int i;

	call(w, OP_STREAMOFF, VIDIOC_STREAMOFF, &type);
	pthread_mutex_lock(&s->maps_lock);
	for (i = 0; i < MAX_MAPS; i++)
		if (s->map[i]) {
			munmap(s->map[i], s->len[i]);
			s->map[i] = NULL;
		}
	pthread_mutex_unlock(&s->maps_lock);
}

/*
 * The set-up before STREAMON: formats put back (the subdevs' on the files
 * @fds), buffers allocated (kept from one stream to the next: allocating
 * is the slow part) and queued.  @fmt_lock held exclusively.  Returns 0,
 * or the errno that stopped it.
 */
static int stream_setup(struct worker *w, const int *fds)
{
	struct v4l2_requestbuffers rb = {
		.count = NBUFS, .type = CAP, .memory = V4L2_MEMORY_MMAP,
	};
	struct v4l2_buffer b;
	unsigned int k;
	int e;

	restore_pads(w, fds);
	if (w->bufs_fd != w->slot->fd)
		w->bufs = 0;
	if (!w->bufs) {
		restore_vfmt(w);
		e = call(w, OP_REQBUFS, VIDIOC_REQBUFS, &rb);
		if (e == EBUSY)
			unbusy(w);
		if (e || !rb.count)
			return e ? e : ENOMEM;
		w->bufs = rb.count;
		w->bufs_fd = w->slot->fd;
	}
	/* EINVAL: queued already (a failed STREAMON leaves them queued) */
	for (k = 0; k < w->bufs; k++) {
		b = (struct v4l2_buffer){
			.index = k, .type = CAP, .memory = V4L2_MEMORY_MMAP,
		};
		e = call(w, OP_QBUF, VIDIOC_QBUF, &b);
		if (e == ENODEV)
			return e;
	}
	return 0;
}

/*
 * One stream, as a capture program runs it: set-up, STREAMON, then poll,
 * DQBUF and QBUF for a few frames, STREAMOFF.  On a STREAMON that failed
 * for the format (EPIPE, EINVAL) the buffers are freed, so that the next
 * set-up may put the video node's format back.
 */
static void stream_op(struct worker *w)
{
	struct slot *s = w->slot;
	struct v4l2_requestbuffers rb = {
		.count = 0, .type = CAP, .memory = V4L2_MEMORY_MMAP,
	};
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct v4l2_buffer b;
	int fds[ST_MAX_NODES];
	unsigned long pulls0;
	unsigned int k, n;
	int type = CAP;
	double held;
	int e, r, i;

	/* opened first: the lock is held for the ioctls only */
	for (i = 0; i < tgt.nodes; i++)
		fds[i] = snap.pads[i] ? st_open(&tgt.node[i], O_NONBLOCK) : -1;
	pthread_rwlock_wrlock(&fmt_lock);
	e = stream_setup(w, fds);
	if (!e) {
		e = call(w, OP_STREAMON, VIDIOC_STREAMON, &type);
		if (!e)
			__atomic_add_fetch(&stream_gen, 1, __ATOMIC_RELEASE);
	}
	pthread_rwlock_unlock(&fmt_lock);
	for (i = 0; i < tgt.nodes; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (e) {
		if (st_errno_valid(e))
			count(&streamon_err[e]);
		w->dead = e == ENODEV;
		if (e == EPIPE || e == EINVAL) {
			call(w, OP_REQBUFS, VIDIOC_REQBUFS, &rb);
			w->bufs = 0;
		}
		sleep_ms(5);
		return;
	}
	count(&streams);
	n = 4 + st_below(&w->rng, 60);
	pulls0 = __atomic_load_n(&pulls_started, __ATOMIC_ACQUIRE);
	held = 0;
	for (k = 0; (k < n || now_ms() < held) &&
	     !__atomic_load_n(&stop, __ATOMIC_RELAXED); k++) {
		/* a pull-out hit this stream: --hold */
		if (!held && __atomic_load_n(&pulls_started,
					     __ATOMIC_ACQUIRE) != pulls0)
			held = now_ms() + hold_ms;
		if (held && k == n)
			count(&streams_held);
		w->call_op = OP_POLL;
		w->call_start = now_ms();
		r = poll(&pfd, 1, stall_ms);
		result(w, OP_POLL, r < 0 ? errno : 0);
		if (!r) {
			count(&stalls);
			break;
		}
		b = (struct v4l2_buffer){
			.type = CAP, .memory = V4L2_MEMORY_MMAP,
		};
		e = call(w, OP_DQBUF, VIDIOC_DQBUF, &b);
		if (e)
			break;
		count(&frames);
		/* EINVAL: another thread of the file queued it first */
		e = call(w, OP_QBUF, VIDIOC_QBUF, &b);
		if (e && e != EINVAL)
			break;
	}
	/* a stream that ran to its end: are its formats as put back? */
	if (k == n && formats_changed(w))
		count(&fmt_changed_streaming);
	/* ended (the file not gone) after a pull-out: stopped as above */
	if (!held && __atomic_load_n(&pulls_started, __ATOMIC_ACQUIRE) !=
		     pulls0)
		held = now_ms() + hold_ms;
	while (e != ENODEV && now_ms() < held &&
	       !__atomic_load_n(&stop, __ATOMIC_RELAXED))
		sleep_ms(50);
	call(w, OP_STREAMOFF, VIDIOC_STREAMOFF, &type);
	__atomic_add_fetch(&stream_gen, 1, __ATOMIC_RELEASE);
	/* a dead file; or, now and then, a new one */
	w->dead = e == ENODEV || !st_below(&w->rng, 20);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct slot *s = w->slot;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		if (max_calls && total_calls() >= max_calls)
			break;
		/* a streamed file is reopened by its streamer only */
		if ((!st_below(&w->rng, 200) && !s->streamed) || s->fd < 0 ||
		    w->dead) {
			w->dead = false;
			reopen(w);
			if (s->fd < 0)
				sleep_ms(10);
			continue;
		}
		pthread_rwlock_rdlock(&s->lock);
		if (s->fd >= 0) {
			if (w->streamer)
				stream_op(w);
			else if (s->node->kind == ST_VIDEO)
				video_op(w);
			else if (s->node->kind == ST_SUBDEV)
				subdev_op(w);
			else
				media_op(w);
		}
		pthread_rwlock_unlock(&s->lock);
	}
	return NULL;
}

/* Pull out and put back, @cycles times; each step must work. */
static void cycler(unsigned long cycles, double end, unsigned long long *rng)
{
	char why[PATH_MAX + 64];
	const struct st_pull *p;
	int i;

	while (cycles_done < cycles && now_ms() < end) {
		if (max_calls && total_calls() >= max_calls)
			break;
		i = st_pick_pull(&tgt, st_rand(rng) >> 32);
		p = &tgt.pull[i];
		sleep_ms(st_below(rng, 30));
		if (stream_now() & 1)
			pulls_streaming[i]++;
		__atomic_add_fetch(&pulls_started, 1, __ATOMIC_RELEASE);
		if (st_pull_out(p, why, sizeof(why))) {
			ksft_print_msg("cycle %lu: %s\n", cycles_done, why);
			cycle_failures++;
			break;
		}
		sleep_ms(st_below(rng, 20));
		if (st_put_back(p, why, sizeof(why))) {
			ksft_print_msg("cycle %lu: %s\n", cycles_done, why);
			cycle_failures++;
			break;
		}
		if (!st_wait_nodes(&tgt, tgt.node_wait_ms)) {
			ksft_print_msg("cycle %lu: nodes not back in %d ms\n",
				       cycles_done, tgt.node_wait_ms);
			cycle_failures++;
			break;
		}
		pulls_done[i]++;
		cycles_done++;
	}
}

/* Any call that has lasted longer than hang_ms. */
static bool hung(void)
{
	double now = now_ms(), t;
	bool found = false;
	int i;

	for (i = 0; i < nworkers; i++) {
		t = workers[i].call_start;
		if (t && now - t > hang_ms) {
			ksft_print_msg("%s on %s: in the call for %.0f ms\n",
				       op_name[workers[i].call_op],
				       workers[i].slot->node->name, now - t);
			found = true;
		}
	}
	return found;
}

static void *cycler_main(void *arg)
{
	double *end = arg;
	unsigned long long rng = st_stream(tgt.seed, 1000);

	cycler((unsigned long)end[1], end[0], &rng);
	return NULL;
}

static void print_counts(double ms)
{
	double longest = 0;
	char buf[1024];
	int i, n = 0;

	ksft_print_msg("stress: %s: %lu cycles (", tgt.label, cycles_done);
	for (i = 0; i < tgt.pulls; i++)
		printf("%s%s %s %lu", i ? ", " : "",
		       tgt.pull[i].unplug ? "unplug" : "unbind",
		       tgt.pull[i].unplug ? "" : tgt.pull[i].dev,
		       pulls_done[i]);
	printf("), %lu calls, %lu opens failed, %.1f s, seed %llu\n",
	       total_calls(), opens_failed, ms / 1000,
	       tgt.seed);
	buf[0] = 0;
	for (i = 0; i < OP_COUNT; i++)
		if (calls[i])
			n += snprintf(buf + n, sizeof(buf) - n, " %s=%lu",
				      op_name[i], calls[i]);
	ksft_print_msg("calls:%s\n", buf);
	st_errno_counts(buf, sizeof(buf), errnos);
	ksft_print_msg("errnos:%s\n", buf[0] ? buf : " none");
	if (!blocking)
		return;
	for (i = 0; i < nworkers; i++)
		if (workers[i].longest > longest)
			longest = workers[i].longest;
	ksft_print_msg("blocking: %lu DQBUF/DQEVENT waited > %d ms, max %.0f\n",
		       waits, WAITED_MS, longest);
	st_errno_counts(buf, sizeof(buf), streamon_err);
	ksft_print_msg("streams: %lu started, %lu frames, %lu stalled",
		       streams, frames, stalls);
	printf(" (no frame in %d ms)", stall_ms);
	printf(", %lu with formats changed under them", fmt_changed_streaming);
	printf(", %lu kept on past their frames after a pull-out (%d ms);",
	       streams_held, (int)hold_ms);
	printf(" not started (set-up or STREAMON):%s\n",
	       buf[0] ? buf : " never");
	ksft_print_msg("pull-outs while streaming: ");
	for (i = 0, n = 0; i < tgt.pulls; i++)
		n += pulls_streaming[i];
	printf("%d (", n);
	for (i = 0; i < tgt.pulls; i++)
		printf("%s%s %s %lu", i ? ", " : "",
		       tgt.pull[i].unplug ? "unplug" : "unbind",
		       tgt.pull[i].unplug ? "" : tgt.pull[i].dev,
		       pulls_streaming[i]);
	printf(") of %lu\n", cycles_done);
}

/* The sizes of the run, from the command line. */
static unsigned long fds = 2, threads = 2, cycles = 20, seconds = 60;

/* A numeric option: 1 if @opt is one (its value @arg), 0 if not. */
static int num_opt(const char *opt, const char *arg)
{
	static const struct {
		const char *name;
		unsigned long *val;
	} opts[] = {
		{ "--fds", &fds }, { "--threads", &threads },
		{ "--cycles", &cycles }, { "--seconds", &seconds },
		{ "--calls", &max_calls }, { "--hold", &hold_ms },
	};
	unsigned int i;

	for (i = 0; arg && i < ARRAY_SIZE(opts); i++)
		if (!strcmp(opt, opts[i].name)) {
			*opts[i].val = strtoul(arg, NULL, 0);
			return 1;
		}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "%s\n%s\n%s\n",
		"race_stress --video NAME|--subdev NAME|--media MODEL...",
		"  --unbind DRVDIR:DEV|--unplug CMD --replug CMD [--label L]",
		"  [--fds N] [--threads N] [--cycles N] [--calls N] [--seconds S] [--long] [--blocking [--hold MS]] [--seed N]");
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	unsigned long soak = 1;
	unsigned long j, k;
	int i, r;
	pthread_rwlockattr_t ra;
	double t0, end[2];
	pthread_t cyc;
	const char *h = getenv("VLIFE_HANG_MS");

	setvbuf(stdout, NULL, _IOLBF, 0);
	st_init(&tgt);
	for (i = 1; i < argc; i++) {
		r = st_parse(&tgt, argv[i], argv[i + 1]);
		if (!r && !strcmp(argv[i], "--long"))
			soak = 20;
		else if (!r && !strcmp(argv[i], "--blocking"))
			blocking = true;
		else if (!r)
			r = num_opt(argv[i], argv[i + 1]);
		if (r < 0 || (!r && strcmp(argv[i], "--long") &&
			      strcmp(argv[i], "--blocking")))
			usage();
		i += r;
	}
	seconds *= soak;
	cycles *= soak;
	max_calls *= soak;
	if (h && *h)
		hang_ms = atoi(h);
	if (!tgt.nodes || !tgt.pulls || fds < 1 || fds > MAX_FDS ||
	    threads < 1 || threads > MAX_THREADS)
		usage();

	ksft_print_header();
	ksft_set_plan(3);
	ksft_print_msg("race_stress %s: seed %llu (VLIFE_SEED=%llu replays)\n",
		       tgt.label, tgt.seed, tgt.seed);
	ksft_print_msg("%lu fds x %lu threads per node\n", fds, threads);
	ksft_print_msg("up to %lu cycles, %lu calls (0: no limit), %lu s\n",
		       cycles, max_calls, seconds);
	if (!st_wait_nodes(&tgt, tgt.node_wait_ms))
		ksft_exit_fail_msg("%s: nodes missing\n", tgt.label);
	if (hang_ms / 2 < stall_ms)
		stall_ms = hang_ms / 2;
	if (blocking)
		take_snapshot();

	/* a reopen must not wait behind a stream of readers */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, WRITER_FIRST);
	pthread_rwlock_init(&fmt_lock, &ra);
	for (i = 0; i < tgt.nodes; i++)
		for (j = 0; j < fds; j++) {
			struct slot *s = &slots[nslots++];

			pthread_rwlock_init(&s->lock, &ra);
			pthread_mutex_init(&s->maps_lock, NULL);
			s->node = &tgt.node[i];
			s->fd = -1;
			s->flags = blocking && !j && s->node->kind == ST_VIDEO ?
				   0 : O_NONBLOCK;
			s->streamed = !s->flags;
			for (k = 0; k < threads; k++) {
				struct worker *w = &workers[nworkers];

				w->slot = s;
				w->streamer = s->streamed && !k;
				w->bufs_fd = -1;
				w->rng = st_stream(tgt.seed, nworkers++);
			}
		}
	t0 = now_ms();
	end[0] = t0 + seconds * 1000.0;
	end[1] = cycles;
	for (i = 0; i < nworkers; i++)
		pthread_create(&workers[i].th, NULL, worker_main, &workers[i]);
	pthread_create(&cyc, NULL, cycler_main, end);

	/* the cycler ends the run; watch for hung calls meanwhile */
	while (pthread_tryjoin_np(cyc, NULL)) {
		if (hung()) {
			hangs++;
			break;
		}
		sleep_ms(200);
	}
	if (hangs) {
		print_counts(now_ms() - t0);
		ksft_test_result_fail("%s: no call hangs\n", tgt.label);
		ksft_exit_fail_msg("hung: not waiting for the threads\n");
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	/* the calls still waiting on a blocking file: an unplug wakes them */
	if (blocking && !cycle_failures) {
		char why[PATH_MAX + 64];

		if (st_pull_out(&tgt.pull[0], why, sizeof(why)) ||
		    st_put_back(&tgt.pull[0], why, sizeof(why))) {
			ksft_print_msg("last pull-out: %s\n", why);
			cycle_failures++;
		}
	}
	for (i = 0; i < nworkers; i++) {
		while (pthread_tryjoin_np(workers[i].th, NULL)) {
			if (hung()) {
				print_counts(now_ms() - t0);
				ksft_test_result_fail("%s: no call hangs\n",
						      tgt.label);
				ksft_exit_fail_msg("hung at the end\n");
			}
			sleep_ms(50);
		}
	}
	/* put the device back if the cycler stopped halfway */
	if (cycle_failures) {
		char why[PATH_MAX + 64];

		for (i = 0; i < tgt.pulls; i++)
			st_put_back(&tgt.pull[i], why, sizeof(why));
	}
	for (i = 0; i < nslots; i++) {
		if (slots[i].fd >= 0)
			close(slots[i].fd);
		for (k = 0; k < MAX_MAPS; k++)
			if (slots[i].map[k])
				munmap(slots[i].map[k], slots[i].len[k]);
	}
	print_counts(now_ms() - t0);
	ksft_test_result(!bad_calls,
			 "%s: %lu calls, each ok or a valid errno\n",
			 tgt.label, total_calls());
	ksft_test_result(!cycle_failures && cycles_done > 0,
			 "%s: %lu pull-out/put-back cycles, each worked\n",
			 tgt.label, cycles_done);
	ksft_test_result_pass("%s: no call hangs\n", tgt.label);
	ksft_finished();
}
