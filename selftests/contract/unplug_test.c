// SPDX-License-Identifier: GPL-2.0
/*
 * unplug_test - the vlife unplug contract (DESIGN.md section 1) checked on
 * one V4L2 video capture node, whatever driver provides it.
 *
 * The node is found by its sysfs name, the device is unbound and rebound
 * through its driver's sysfs files:
 *
 *   VLIFE_VIDEO_NAME        /sys/class/video4linux/videoN/name of the node
 *   VLIFE_DRIVER_DIR        e.g. /sys/bus/platform/drivers/vivid
 *   VLIFE_DEVICE            e.g. vivid.0
 *   VLIFE_UNBIND_MAX_MS     limit for one unbind (default 5000)
 *   VLIFE_FRAME_TIMEOUT_MS  wait for one frame (default 5000)
 *
 * Every test leaves the device bound.  Every blocking wait is bounded, so
 * a driver that breaks the contract fails a test instead of hanging it.
 * Only single-planar capture nodes with streaming I/O are covered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "vlife_test.h"

#define MAX_BUFS	4
#define MAX_FDS		16
#define WAKE_MAX_MS	1000	/* a blocked waiter must be woken by then */
#define BLOCK_CHECK_MS	300	/* how long a waiter must stay blocked */
#define WAIT_BOUND_MS	20000	/* bound on waits that should never last */

static const char *env_name, *env_drv, *env_dev;
static int unbind_max_ms, frame_ms;

/* A buffer queue on one open file. */
struct vq {
	int fd;
	unsigned int memory;
	unsigned int count;
	void *mem[MAX_BUFS];	/* mmap()ed or user memory, or NULL */
	size_t len[MAX_BUFS];
};

FIXTURE(unplug)
{
	bool ready;		/* set-up found the device */
	char path[NODE_PATH];		/* /dev/videoN when the test started */
	struct v4l2_capability cap;
	struct v4l2_format fmt;
	struct vq q;		/* the fd the scenario is about */
	struct vq q2;		/* a file opened after rebind */
	int extra[MAX_FDS];
	int dmabuf;
	struct unbind_time ut;
};

static int env_int(const char *var, int def)
{
	const char *s = getenv(var);

	return s && *s ? atoi(s) : def;
}

/* The device under test, from the environment. */
static void __attribute__((constructor)) unplug_init(void)
{
	env_name = getenv("VLIFE_VIDEO_NAME");
	env_drv = getenv("VLIFE_DRIVER_DIR");
	env_dev = getenv("VLIFE_DEVICE");
	unbind_max_ms = env_int("VLIFE_UNBIND_MAX_MS", 5000);
	frame_ms = env_int("VLIFE_FRAME_TIMEOUT_MS", 5000);
}

/* Wait for the node in sysfs and in /dev: 0 or -ENOENT. */
static int wait_node(char *path, size_t size)
{
	double end = now_ms() + NODE_WAIT_MS;

	do {
		if (!find_v4l("video", env_name, path, size))
			return 0;
		sleep_ms(20);
	} while (now_ms() < end);
	return -ENOENT;
}

/* Bind the device if it is not: 0 or -errno.  No assertion (teardown). */
static int ensure_bound(char *path, size_t size)
{
	int ret;

	if (!dev_bound(env_drv, env_dev)) {
		ret = drv_write(env_drv, env_dev, "bind");
		if (ret)
			return ret;
	}
	return wait_node(path, size);
}

static void vq_init(struct vq *q)
{
	memset(q, 0, sizeof(*q));
	q->fd = -1;
}

static void vq_release(struct vq *q)
{
	unsigned int i;

	for (i = 0; i < MAX_BUFS; i++) {
		if (!q->mem[i])
			continue;
		if (q->memory == V4L2_MEMORY_MMAP)
			munmap(q->mem[i], q->len[i]);
		else
			free(q->mem[i]);
	}
	if (q->fd >= 0)
		close(q->fd);
	vq_init(q);
}

static void vq_open(struct __test_metadata *_metadata, struct vq *q,
		    const char *path)
{
	int err;

	q->fd = open(path, O_RDWR);
	err = q->fd < 0 ? errno : 0;
	ASSERT_LE(0, q->fd) TH_LOG("open %s: %s", path, strerror(err));
}

/* REQBUFS @count MMAP buffers, mmap() them if @map. */
static void vq_mmap_bufs(struct __test_metadata *_metadata, struct vq *q,
			 unsigned int count, bool map)
{
	struct v4l2_requestbuffers rb = {
		.count = count, .type = CAP_TYPE, .memory = V4L2_MEMORY_MMAP,
	};
	unsigned int i;

	q->memory = V4L2_MEMORY_MMAP;
	ASSERT_EQ(0, xioctl(q->fd, VIDIOC_REQBUFS, &rb));
	ASSERT_LT(0U, rb.count);
	q->count = rb.count < MAX_BUFS ? rb.count : MAX_BUFS;
	for (i = 0; map && i < q->count; i++)
		map_buf(_metadata, q->fd, i, &q->mem[i], &q->len[i]);
	TH_LOG("%u MMAP buffers%s", q->count, map ? ", mapped" : "");
}

static void vq_qbuf(struct __test_metadata *_metadata, struct vq *q,
		    unsigned int i)
{
	struct v4l2_buffer b = {
		.index = i, .type = CAP_TYPE, .memory = q->memory,
	};

	if (q->memory == V4L2_MEMORY_USERPTR) {
		b.m.userptr = (unsigned long)q->mem[i];
		b.length = q->len[i];
	}
	ASSERT_EQ(0, xioctl(q->fd, VIDIOC_QBUF, &b));
}

static void vq_streamon(struct __test_metadata *_metadata, struct vq *q)
{
	int type = CAP_TYPE;

	ASSERT_EQ(0, xioctl(q->fd, VIDIOC_STREAMON, &type));
}

/* Queue every buffer and start streaming. */
static void vq_start(struct __test_metadata *_metadata, struct vq *q)
{
	unsigned int i;

	for (i = 0; i < q->count; i++)
		vq_qbuf(_metadata, q, i);
	vq_streamon(_metadata, q);
}

/* Dequeue @n frames (poll() bounded by frame_ms), requeueing each. */
static void vq_frames(struct __test_metadata *_metadata, struct vq *q,
		      unsigned int n)
{
	struct pollfd p = { .fd = q->fd, .events = POLLIN };
	struct v4l2_buffer b;
	unsigned int i;
	double t0;
	int ret;

	for (i = 0; i < n; i++) {
		t0 = now_ms();
		ret = poll(&p, 1, frame_ms);
		ASSERT_EQ(1, ret) TH_LOG("no frame within %d ms", frame_ms);
		ASSERT_TRUE(p.revents & POLLIN)
			TH_LOG("poll revents 0x%x", p.revents);
		memset(&b, 0, sizeof(b));
		b.type = CAP_TYPE;
		b.memory = q->memory;
		ASSERT_EQ(0, xioctl(q->fd, VIDIOC_DQBUF, &b));
		TH_LOG("frame %u: buffer %u, sequence %u, %u bytes, %.1f ms",
		       i, b.index, b.sequence, b.bytesused, now_ms() - t0);
		ASSERT_EQ(0, xioctl(q->fd, VIDIOC_QBUF, &b));
	}
}

/* The usual streaming set-up: MMAP buffers, all queued, @n frames. */
static void vq_stream_mmap(struct __test_metadata *_metadata, struct vq *q,
			   bool map, unsigned int n)
{
	vq_mmap_bufs(_metadata, q, MAX_BUFS, map);
	vq_start(_metadata, q);
	vq_frames(_metadata, q, n);
}

static void do_rebind(struct __test_metadata *_metadata, char *path,
		      size_t size)
{
	double t0 = now_ms();
	int ret;

	ret = drv_write(env_drv, env_dev, "bind");
	ASSERT_EQ(0, ret) TH_LOG("bind: %s", strerror(-ret));
	ret = wait_node(path, size);
	ASSERT_EQ(0, ret) TH_LOG("no node named %s after bind", env_name);
	TH_LOG("rebind: %s back as %s after %.1f ms", env_name, path,
	       now_ms() - t0);
}

/* An ioctl on a file of an unbound device must fail with ENODEV. */
static void check_enodev(struct __test_metadata *_metadata, int fd,
			 unsigned long req, void *arg, const char *name)
{
	int ret = ioctl(fd, req, arg);
	int err = ret ? errno : 0;

	TH_LOG("%s: ret %d, errno %d (%s)", name, ret, err, strerror(err));
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(ENODEV, err);
}

FIXTURE_SETUP(unplug)
{
	int ret;

	vq_init(&self->q);
	vq_init(&self->q2);
	memset(self->extra, -1, sizeof(self->extra));
	self->dmabuf = -1;
	if (!env_name || !env_drv || !env_dev)
		SKIP(return,
		     "set VLIFE_VIDEO_NAME, VLIFE_DRIVER_DIR, VLIFE_DEVICE");
	ret = ensure_bound(self->path, sizeof(self->path));
	ASSERT_EQ(0, ret) TH_LOG("%s/%s not bound, no node %s: %s", env_drv,
				 env_dev, env_name, strerror(-ret));
	vq_open(_metadata, &self->q, self->path);
	ASSERT_EQ(0, xioctl(self->q.fd, VIDIOC_QUERYCAP, &self->cap));
	if (!(self->cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) ||
	    !(self->cap.device_caps & V4L2_CAP_STREAMING))
		SKIP(return, "%s: not a single-planar streaming capture node",
		     self->path);
	self->fmt.type = CAP_TYPE;
	ASSERT_EQ(0, xioctl(self->q.fd, VIDIOC_G_FMT, &self->fmt));
	TH_LOG("%s: %s (%s), %ux%u %.4s, %u bytes a frame", self->path,
	       self->cap.card, self->cap.driver, self->fmt.fmt.pix.width,
	       self->fmt.fmt.pix.height,
	       (char *)&self->fmt.fmt.pix.pixelformat,
	       self->fmt.fmt.pix.sizeimage);
	self->ready = true;
}

FIXTURE_TEARDOWN(unplug)
{
	char path[NODE_PATH];
	int i, ret;

	vq_release(&self->q);
	vq_release(&self->q2);
	for (i = 0; i < MAX_FDS; i++)
		if (self->extra[i] >= 0)
			close(self->extra[i]);
	if (self->dmabuf >= 0)
		close(self->dmabuf);
	if (!env_name || !env_drv || !env_dev)
		return;
	ret = ensure_bound(path, sizeof(path));
	if (ret) {
		TH_LOG("teardown could not rebind %s: %s", env_dev,
		       strerror(-ret));
		_metadata->passed = 0;
	}
}

/* 1. Unbind with nothing open, rebind, stream again. */
TEST_F_TIMEOUT(unplug, s1_unbind_idle_rebind_stream, 60)
{
	char path[NODE_PATH];

	if (!self->ready)
		return;
	vq_release(&self->q);
	do_unbind(_metadata, env_drv, env_dev, &self->ut);
	do_rebind(_metadata, path, sizeof(path));
	vq_open(_metadata, &self->q2, path);
	vq_stream_mmap(_metadata, &self->q2, true, 3);
}

/* 2. An idle open file across unbind: ENODEV, poll() at once, close(). */
TEST_F_TIMEOUT(unplug, s2_idle_fd_enodev, 60)
{
	struct v4l2_requestbuffers rb = {
		.count = 2, .type = CAP_TYPE, .memory = V4L2_MEMORY_MMAP,
	};
	struct pollfd p = { .events = POLLIN | POLLPRI };
	struct v4l2_capability cap;
	struct v4l2_format fmt = { .type = CAP_TYPE };
	char buf[64];
	double t0, dt;
	int ret, fd, err;

	if (!self->ready)
		return;
	do_unbind(_metadata, env_drv, env_dev, &self->ut);
	check_enodev(_metadata, self->q.fd, VIDIOC_QUERYCAP, &cap,
		     "QUERYCAP after unbind");
	check_enodev(_metadata, self->q.fd, VIDIOC_G_FMT, &fmt,
		     "G_FMT after unbind");
	check_enodev(_metadata, self->q.fd, VIDIOC_REQBUFS, &rb,
		     "REQBUFS after unbind");
	if (self->cap.device_caps & V4L2_CAP_READWRITE) {
		ret = read(self->q.fd, buf, sizeof(buf));
		err = ret < 0 ? errno : 0;
		TH_LOG("read after unbind: ret %d, errno %d (%s)", ret, err,
		       strerror(err));
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(ENODEV, err);
	}
	p.fd = self->q.fd;
	t0 = now_ms();
	ret = poll(&p, 1, WAKE_MAX_MS);
	dt = now_ms() - t0;
	TH_LOG("poll after unbind: ret %d, revents 0x%x, %.1f ms", ret,
	       p.revents, dt);
	EXPECT_EQ(1, ret);
	EXPECT_EQ(POLLERR | POLLHUP, p.revents & (POLLERR | POLLHUP));
	EXPECT_GT(AT_ONCE_MS, dt);
	ret = close(self->q.fd);
	self->q.fd = -1;
	TH_LOG("close after unbind: %d", ret);
	EXPECT_EQ(0, ret);
	fd = open(self->path, O_RDWR);
	ret = fd < 0 ? errno : 0;
	TH_LOG("open %s after unbind: fd %d, errno %d (%s)", self->path, fd,
	       ret, strerror(ret));
	if (fd >= 0)
		close(fd);
	EXPECT_TRUE(ret == ENOENT || ret == ENODEV || ret == ENXIO);
}

/* 3. Unbind while streaming MMAP: DQBUF, QBUF, STREAMOFF fail, close(). */
TEST_F_TIMEOUT(unplug, s3_streaming_mmap_enodev, 60)
{
	struct v4l2_buffer b = { .type = CAP_TYPE, .memory = V4L2_MEMORY_MMAP };
	int type = CAP_TYPE;
	int ret;

	if (!self->ready)
		return;
	vq_stream_mmap(_metadata, &self->q, true, 2);
	do_unbind(_metadata, env_drv, env_dev, &self->ut);
	check_enodev(_metadata, self->q.fd, VIDIOC_DQBUF, &b,
		     "DQBUF after unbind");
	memset(&b, 0, sizeof(b));
	b.type = CAP_TYPE;
	b.memory = V4L2_MEMORY_MMAP;
	check_enodev(_metadata, self->q.fd, VIDIOC_QBUF, &b,
		     "QBUF after unbind");
	check_enodev(_metadata, self->q.fd, VIDIOC_STREAMOFF, &type,
		     "STREAMOFF after unbind");
	ret = close(self->q.fd);
	self->q.fd = -1;
	TH_LOG("close after unbind (buffers still mapped): %d", ret);
	EXPECT_EQ(0, ret);
}

/* 4. A thread blocked in a call when the device is unbound. */
enum wait_kind { W_DQBUF, W_POLL, W_READ, W_DQEVENT };
static const char * const wait_names[] = {
	"DQBUF", "poll()", "read()", "DQEVENT",
};

struct waiter {
	enum wait_kind kind;
	int fd;
	size_t size;		/* for read() */
	int tid;
	int started;
	int done;
	unsigned int frames;	/* read() calls that returned data */
	long ret;
	int err;
	short revents;
	double t_done;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	struct pollfd p = { .fd = w->fd, .events = POLLPRI };
	struct v4l2_buffer b = { .type = CAP_TYPE, .memory = V4L2_MEMORY_MMAP };
	struct v4l2_event ev;
	double end = now_ms() + WAIT_BOUND_MS;
	char *buf;

	w->tid = syscall(SYS_gettid);
	__atomic_store_n(&w->started, 1, __ATOMIC_SEQ_CST);
	switch (w->kind) {
	case W_DQBUF:
		w->ret = ioctl(w->fd, VIDIOC_DQBUF, &b);
		break;
	case W_DQEVENT:
		w->ret = ioctl(w->fd, VIDIOC_DQEVENT, &ev);
		break;
	case W_POLL:
		w->ret = poll(&p, 1, WAIT_BOUND_MS);
		w->revents = p.revents;
		break;
	case W_READ:
		buf = malloc(w->size);
		do {
			w->ret = buf ? read(w->fd, buf, w->size) : -1;
			if (w->ret > 0)
				__atomic_add_fetch(&w->frames, 1,
						   __ATOMIC_SEQ_CST);
		} while (w->ret >= 0 && now_ms() < end);
		free(buf);
		break;
	}
	w->err = w->ret < 0 ? errno : 0;
	w->t_done = now_ms();
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Scheduler state and wait channel of a thread, for the log. */
static void thread_state(int tid, char *state, char *wchan, size_t size)
{
	char p[64], line[512], *s;
	FILE *f;

	*state = '?';
	snprintf(wchan, size, "?");
	snprintf(p, sizeof(p), "/proc/self/task/%d/stat", tid);
	f = fopen(p, "r");
	if (f) {
		if (fgets(line, sizeof(line), f)) {
			s = strrchr(line, ')');
			if (s && s[1] && s[2])
				*state = s[2];
		}
		fclose(f);
	}
	snprintf(p, sizeof(p), "/proc/self/task/%d/wchan", tid);
	f = fopen(p, "r");
	if (f) {
		if (!fgets(wchan, size, f))
			snprintf(wchan, size, "?");
		fclose(f);
	}
}

/*
 * Start a waiter thread on @fd, check it blocks (or, for read(), that it
 * gets frames of @size bytes), unbind, and check it comes back within
 * WAKE_MAX_MS with the contract's answer.
 */
static void blocked_unbind(struct __test_metadata *_metadata, int fd,
			   size_t size, enum wait_kind kind)
{
	struct unbind_time ut;
	const char *name = wait_names[kind];
	struct waiter *w = calloc(1, sizeof(*w));
	struct timespec dl;
	char state, wchan[64];
	pthread_t th;
	double end;
	int ret;

	ASSERT_NE(NULL, w);
	w->kind = kind;
	w->fd = fd;
	w->size = size;
	ASSERT_EQ(0, pthread_create(&th, NULL, waiter_fn, w));
	end = now_ms() + frame_ms;
	while (!__atomic_load_n(&w->started, __ATOMIC_SEQ_CST) &&
	       now_ms() < end)
		sleep_ms(10);
	if (kind == W_READ) {
		end = now_ms() + 2 * frame_ms;
		while (!__atomic_load_n(&w->frames, __ATOMIC_SEQ_CST) &&
		       !__atomic_load_n(&w->done, __ATOMIC_SEQ_CST) &&
		       now_ms() < end)
			sleep_ms(10);
		ASSERT_LT(0U, __atomic_load_n(&w->frames, __ATOMIC_SEQ_CST))
			TH_LOG("read() loop got no frame: ret %ld, errno %d",
			       w->ret, w->err);
	} else {
		sleep_ms(BLOCK_CHECK_MS);
	}
	thread_state(w->tid, &state, wchan, sizeof(wchan));
	TH_LOG("%s thread before unbind: %s, state %c, wchan %s", name,
	       __atomic_load_n(&w->done, __ATOMIC_SEQ_CST) ?
	       "returned" : "in the call", state, wchan);
	ASSERT_EQ(0, __atomic_load_n(&w->done, __ATOMIC_SEQ_CST))
		TH_LOG("%s returned before unbind: ret %ld, errno %d (%s)",
		       name, w->ret, w->err, strerror(w->err));
	do_unbind(_metadata, env_drv, env_dev, &ut);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += WAKE_MAX_MS / 1000;
	ret = pthread_timedjoin_np(th, NULL, &dl);
	if (ret) {
		thread_state(w->tid, &state, wchan, sizeof(wchan));
		TH_LOG("%s thread still blocked %d ms after unbind:",
		       name, WAKE_MAX_MS);
		TH_LOG("  state %c, wchan %s", state, wchan);
		/* w leaks: the thread may still write to it */
		pthread_detach(th);
	}
	ASSERT_EQ(0, ret);
	TH_LOG("%s woken %.1f ms after unbind began (%+.1f ms from its end)",
	       name, w->t_done - ut.start, w->t_done - ut.end);
	TH_LOG("%s returned %ld, errno %d (%s), revents 0x%x, %u frames read",
	       name, w->ret, w->err, strerror(w->err), w->revents, w->frames);
	if (kind == W_POLL) {
		EXPECT_EQ(1, w->ret);
		EXPECT_EQ(POLLERR | POLLHUP,
			  w->revents & (POLLERR | POLLHUP));
	} else {
		EXPECT_EQ(-1, w->ret);
		EXPECT_EQ(ENODEV, w->err);
	}
	free(w);
}

/* A thread in DQBUF on a streaming queue with no buffer queued. */
TEST_F_TIMEOUT(unplug, s4_blocked_dqbuf, 60)
{
	if (!self->ready)
		return;
	vq_mmap_bufs(_metadata, &self->q, MAX_BUFS, false);
	vq_streamon(_metadata, &self->q);
	blocked_unbind(_metadata, self->q.fd, self->fmt.fmt.pix.sizeimage,
		       W_DQBUF);
}

/* A thread in poll(POLLPRI), no event pending. */
TEST_F_TIMEOUT(unplug, s4_blocked_poll, 60)
{
	if (!self->ready)
		return;
	blocked_unbind(_metadata, self->q.fd, self->fmt.fmt.pix.sizeimage,
		       W_POLL);
}

/* A thread reading frames with read() in a loop. */
TEST_F_TIMEOUT(unplug, s4_blocked_read, 60)
{
	if (!self->ready)
		return;
	if (!(self->cap.device_caps & V4L2_CAP_READWRITE))
		SKIP(return, "%s has no V4L2_CAP_READWRITE", self->path);
	blocked_unbind(_metadata, self->q.fd, self->fmt.fmt.pix.sizeimage,
		       W_READ);
}

/* First ordinary control: brightness if there is one. */
static __u32 find_control(int fd)
{
	struct v4l2_queryctrl qc = { .id = V4L2_CID_BRIGHTNESS };

	if (!ioctl(fd, VIDIOC_QUERYCTRL, &qc) &&
	    !(qc.flags & V4L2_CTRL_FLAG_DISABLED))
		return qc.id;
	memset(&qc, 0, sizeof(qc));
	qc.id = V4L2_CTRL_FLAG_NEXT_CTRL;
	while (!ioctl(fd, VIDIOC_QUERYCTRL, &qc)) {
		if (qc.type != V4L2_CTRL_TYPE_CTRL_CLASS &&
		    !(qc.flags & V4L2_CTRL_FLAG_DISABLED))
			return qc.id;
		qc.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	return 0;
}

/* A thread in DQEVENT, subscribed to a control that does not change. */
TEST_F_TIMEOUT(unplug, s4_blocked_dqevent, 60)
{
	struct v4l2_event_subscription sub = { .type = V4L2_EVENT_CTRL };
	int err;

	if (!self->ready)
		return;
	sub.id = find_control(self->q.fd);
	if (!sub.id)
		SKIP(return, "%s has no control", self->path);
	err = xioctl(self->q.fd, VIDIOC_SUBSCRIBE_EVENT, &sub);
	if (err == ENOTTY || err == EINVAL)
		SKIP(return, "SUBSCRIBE_EVENT: %s", strerror(err));
	ASSERT_EQ(0, err);
	TH_LOG("subscribed to V4L2_EVENT_CTRL on control 0x%08x", sub.id);
	blocked_unbind(_metadata, self->q.fd, self->fmt.fmt.pix.sizeimage,
		       W_DQEVENT);
}

/* 5. Touch every page of mapped buffers after unbind. */
static void check_touch(struct __test_metadata *_metadata, void *p,
			size_t len, bool wr, const char *what)
{
	size_t off;
	int sig = touch_pages(p, len, wr, &off);

	TH_LOG("%s %s %zu bytes after unbind: %s", wr ? "read+write" : "read",
	       what, len, sig ? strsignal(sig) : "ok");
	EXPECT_EQ(0, sig) TH_LOG("signal at offset %zu", off);
}

TEST_F_TIMEOUT(unplug, s5_mmap_touch_after_unbind, 60)
{
	unsigned int i;
	int ret;

	if (!self->ready)
		return;
	vq_stream_mmap(_metadata, &self->q, true, 2);
	do_unbind(_metadata, env_drv, env_dev, &self->ut);
	for (i = 0; i < self->q.count; i++)
		check_touch(_metadata, self->q.mem[i], self->q.len[i], true,
			    "mmap buffer");
	for (i = 0; i < self->q.count; i++) {
		ret = munmap(self->q.mem[i], self->q.len[i]);
		self->q.mem[i] = NULL;
		EXPECT_EQ(0, ret) TH_LOG("munmap buffer %u failed", i);
	}
	ret = close(self->q.fd);
	self->q.fd = -1;
	TH_LOG("munmap and close after unbind: close %d", ret);
	EXPECT_EQ(0, ret);
}

/* 6. An exported DMABUF outlives the device and the video fd. */
TEST_F_TIMEOUT(unplug, s6_dmabuf_after_unbind, 60)
{
	struct v4l2_exportbuffer eb = {
		.type = CAP_TYPE, .index = 0, .flags = O_RDWR | O_CLOEXEC,
	};
	struct v4l2_buffer b = {
		.type = CAP_TYPE, .memory = V4L2_MEMORY_MMAP, .index = 0,
	};
	void *p;
	int ret;

	if (!self->ready)
		return;
	vq_mmap_bufs(_metadata, &self->q, MAX_BUFS, false);
	ret = xioctl(self->q.fd, VIDIOC_EXPBUF, &eb);
	if (ret == ENOTTY || ret == EINVAL)
		SKIP(return, "EXPBUF: %s", strerror(ret));
	ASSERT_EQ(0, ret);
	self->dmabuf = eb.fd;
	ASSERT_EQ(0, xioctl(self->q.fd, VIDIOC_QUERYBUF, &b));
	TH_LOG("buffer 0 exported as dmabuf fd %d, %u bytes", eb.fd,
	       b.length);
	vq_start(_metadata, &self->q);
	vq_frames(_metadata, &self->q, 2);
	do_unbind(_metadata, env_drv, env_dev, &self->ut);
	ret = close(self->q.fd);
	self->q.fd = -1;
	TH_LOG("close video fd after unbind: %d", ret);
	EXPECT_EQ(0, ret);
	p = mmap(NULL, b.length, PROT_READ, MAP_SHARED, self->dmabuf, 0);
	ret = p == MAP_FAILED ? errno : 0;
	TH_LOG("mmap dmabuf after unbind and close: %s",
	       ret ? strerror(ret) : "ok");
	ASSERT_NE(MAP_FAILED, p);
	check_touch(_metadata, p, b.length, false, "dmabuf");
	EXPECT_EQ(0, munmap(p, b.length));
	ret = close(self->dmabuf);
	self->dmabuf = -1;
	TH_LOG("close dmabuf: %d", ret);
	EXPECT_EQ(0, ret);
}

/* 7. Rebind with an old file open: it keeps failing, the new node works. */
TEST_F_TIMEOUT(unplug, s7_rebind_with_old_fd, 60)
{
	struct v4l2_capability cap;
	struct v4l2_format fmt = { .type = CAP_TYPE };
	struct v4l2_buffer b = { .type = CAP_TYPE, .memory = V4L2_MEMORY_MMAP };
	char path[NODE_PATH];
	int ret;

	if (!self->ready)
		return;
	vq_stream_mmap(_metadata, &self->q, true, 1);
	do_unbind(_metadata, env_drv, env_dev, &self->ut);
	do_rebind(_metadata, path, sizeof(path));
	check_enodev(_metadata, self->q.fd, VIDIOC_QUERYCAP, &cap,
		     "old fd QUERYCAP after rebind");
	check_enodev(_metadata, self->q.fd, VIDIOC_G_FMT, &fmt,
		     "old fd G_FMT after rebind");
	vq_open(_metadata, &self->q2, path);
	vq_stream_mmap(_metadata, &self->q2, true, 3);
	check_enodev(_metadata, self->q.fd, VIDIOC_DQBUF, &b,
		     "old fd DQBUF while the new node streams");
	ret = close(self->q.fd);
	self->q.fd = -1;
	EXPECT_EQ(0, ret);
	vq_frames(_metadata, &self->q2, 1);
}

/* 8. Time the unbind with @n files open, one of them streaming. */
static void unbind_latency(struct __test_metadata *_metadata,
			   struct vq *q, const char *path, int *extra, int n)
{
	struct unbind_time ut;
	double ms;
	int i;

	vq_stream_mmap(_metadata, q, true, 1);
	for (i = 0; i < n - 1; i++) {
		extra[i] = open(path, O_RDWR);
		ASSERT_LE(0, extra[i]);
	}
	do_unbind(_metadata, env_drv, env_dev, &ut);
	ms = ut.end - ut.start;
	TH_LOG("unbind with %d fd(s) open, 1 streaming: %.1f ms (limit %d)",
	       n, ms, unbind_max_ms);
	EXPECT_GT(unbind_max_ms, ms);
}

TEST_F_TIMEOUT(unplug, s8_unbind_latency_1fd, 60)
{
	if (!self->ready)
		return;
	unbind_latency(_metadata, &self->q, self->path, self->extra, 1);
}

TEST_F_TIMEOUT(unplug, s8_unbind_latency_16fd, 60)
{
	if (!self->ready)
		return;
	unbind_latency(_metadata, &self->q, self->path, self->extra,
		       MAX_FDS);
}

/* 9. USERPTR streaming across unbind: ENODEV, user memory still ours. */
TEST_F_TIMEOUT(unplug, s9_userptr_unbind, 60)
{
	struct v4l2_requestbuffers rb = {
		.count = MAX_BUFS, .type = CAP_TYPE,
		.memory = V4L2_MEMORY_USERPTR,
	};
	struct v4l2_buffer b = {
		.type = CAP_TYPE, .memory = V4L2_MEMORY_USERPTR,
	};
	size_t pg = sysconf(_SC_PAGESIZE);
	size_t len = (self->fmt.fmt.pix.sizeimage + pg - 1) / pg * pg;
	unsigned int i;
	int err;

	if (!self->ready)
		return;
	err = xioctl(self->q.fd, VIDIOC_REQBUFS, &rb);
	if (err == EINVAL || err == ENOTTY)
		SKIP(return, "REQBUFS USERPTR: %s", strerror(err));
	ASSERT_EQ(0, err);
	self->q.memory = V4L2_MEMORY_USERPTR;
	self->q.count = rb.count < MAX_BUFS ? rb.count : MAX_BUFS;
	for (i = 0; i < self->q.count; i++) {
		ASSERT_EQ(0, posix_memalign(&self->q.mem[i], pg, len));
		self->q.len[i] = len;
		memset(self->q.mem[i], 0, len);
	}
	TH_LOG("%u USERPTR buffers of %zu bytes", self->q.count, len);
	vq_start(_metadata, &self->q);
	vq_frames(_metadata, &self->q, 2);
	do_unbind(_metadata, env_drv, env_dev, &self->ut);
	check_enodev(_metadata, self->q.fd, VIDIOC_DQBUF, &b,
		     "DQBUF after unbind");
	b.index = 0;
	b.m.userptr = (unsigned long)self->q.mem[0];
	b.length = len;
	check_enodev(_metadata, self->q.fd, VIDIOC_QBUF, &b,
		     "QBUF after unbind");
	for (i = 0; i < self->q.count; i++)
		check_touch(_metadata, self->q.mem[i], len, true,
			    "user buffer");
	EXPECT_EQ(0, close(self->q.fd));
	self->q.fd = -1;
}

TEST_HARNESS_MAIN
