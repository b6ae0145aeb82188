// SPDX-License-Identifier: GPL-2.0
/*
 * The unplug contract (DESIGN.md section 1, the table in docs/lifetime.rst)
 * as scenarios, run on one video, media or subdev node
 * of any driver.  See scenarios.h for the interface and
 * docs/unplug-compliance.rst for what each scenario checks and why.
 *
 * A scenario keeps what it opened in the file's state (st), which
 * uc_run() releases after it, whatever happened: every scenario may
 * simply return at its first failed precondition.  Every wait is bounded
 * by the target's limits.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/media.h>
#include <linux/v4l2-subdev.h>
#include <linux/videodev2.h>

#include "scenarios.h"
#include "vlife-util.h"

#define MAX_BUFS	4
#define MAX_FDS		16
#define AT_ONCE_MS	100	/* "returns at once" */
#define BLOCK_CHECK_MS	300	/* how long a waiter must stay blocked */
#define WAIT_BOUND_MS	20000	/* bound on waits that should never last */
#define CAP_TYPE	V4L2_BUF_TYPE_VIDEO_CAPTURE

/* A buffer queue on one open file of a video node. */
struct vq {
	int fd;
	unsigned int memory;
	unsigned int count;
	void *mem[MAX_BUFS];	/* mmap()ed or user memory, or NULL */
	size_t len[MAX_BUFS];
};

/* What the running scenario holds; uc_run() releases it after. */
static struct {
	struct vq q;		/* the file the scenario is about */
	struct vq q2;		/* a file opened after a rebind */
	int extra[MAX_FDS];
	int dmabuf;
	bool stuck;		/* a waiter thread was never woken */
	void *dmamap;
	size_t dmalen;
	struct v4l2_capability cap;
	struct v4l2_format fmt;
} st;

/* Last component of the symlink @link's target, in @out: 0 or -errno. */
static int link_base(const char *link, char *out, size_t size)
{
	char p[PATH_MAX];

	if (!realpath(link, p))
		return -errno;
	snprintf(out, size, "%s", strrchr(p, '/') + 1);
	return 0;
}

/* Log, verdicts and recorded calls */

const char *uc_result_name(enum uc_result r)
{
	static const char * const names[] = {
		[UC_OK] = "OK", [UC_NOTSUP] = "OK (Not Supported)",
		[UC_WARN] = "WARN", [UC_FAIL] = "FAIL",
	};

	return names[r];
}

const char *uc_kind_name(enum uc_kind k)
{
	return k == UC_VIDEO ? "video" : k == UC_MEDIA ? "media" : "subdev";
}

/* errno's symbolic name for the errors the contract talks about. */
const char *uc_errname(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ 0, "0" }, { ENODEV, "ENODEV" }, { EIO, "EIO" },
		{ EINVAL, "EINVAL" }, { ENXIO, "ENXIO" }, { ENOENT, "ENOENT" },
		{ EBUSY, "EBUSY" }, { EAGAIN, "EAGAIN" }, { EPIPE, "EPIPE" },
		{ ENOTTY, "ENOTTY" }, { EFAULT, "EFAULT" }, { EPERM, "EPERM" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { EINTR, "EINTR" },
		{ ENOMEM, "ENOMEM" }, { ENOSPC, "ENOSPC" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	return "E?";
}

void uc_log(struct uc_ctx *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (c->echo)
		fprintf(stderr, "%s%s\n", c->echo, line);
	n = snprintf(c->log + c->log_len, sizeof(c->log) - c->log_len,
		     "%s\n", line);
	if (n > 0 && c->log_len + n < sizeof(c->log))
		c->log_len += n;
}

/* The verdict only gets worse; @fmt (the reason) is kept for the first. */
void uc_set(struct uc_ctx *c, enum uc_result r, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	uc_log(c, "%s: %s", r == UC_FAIL ? "fail" : r == UC_WARN ? "warn" :
	       "info", why);
	if (r <= c->result)
		return;
	c->result = r;
	snprintf(c->reason, sizeof(c->reason), "%s", why);
}

/* A precondition: false (and FAIL) if @ok is false. */
static __printf(3, 4) bool need(struct uc_ctx *c, bool ok, const char *fmt,
				   ...);
static bool need(struct uc_ctx *c, bool ok, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (ok)
		return true;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	uc_set(c, UC_FAIL, "%s", why);
	return false;
}

/* Record a call made after the unbind. */
static void record(struct uc_ctx *c, const char *what, long ret, int err)
{
	struct uc_call *k;

	uc_log(c, "%s after unbind: ret %ld, errno %d (%s)", what, ret, err,
	       uc_errname(err));
	if (c->ncalls >= UC_MAX_CALLS)
		return;
	k = &c->calls[c->ncalls++];
	snprintf(k->what, sizeof(k->what), "%s", what);
	k->ret = ret;
	k->err = err;
}

/*
 * An ioctl on a file whose device is gone: it must fail with ENODEV (or
 * EIO on a media node, which the media core answers itself).
 */
static void check_gone(struct uc_ctx *c, int fd, unsigned long req,
		       void *arg, const char *what)
{
	long ret = ioctl(fd, req, arg);
	int err = ret ? errno : 0;

	record(c, what, ret, err);
	if (ret == -1 && (err == ENODEV ||
			  (c->t.kind == UC_MEDIA && err == EIO)))
		return;
	uc_set(c, UC_FAIL, "%s after unbind: ret %ld, %s, not ENODEV", what,
	       ret, uc_errname(err));
}

/* close() after unbind must succeed. */
static void check_close(struct uc_ctx *c, int *fd, const char *what)
{
	int ret = close(*fd);
	int err = ret ? errno : 0;

	*fd = -1;
	record(c, what, ret, err);
	if (ret)
		uc_set(c, UC_FAIL, "%s: %s", what, strerror(err));
}

/* Nodes in sysfs, bind and unbind */

static bool is_media(const struct uc_target *t)
{
	return t->kind == UC_MEDIA;
}

/* sysfs directory of the node @node of @t's kind. */
static void node_dir(const struct uc_target *t, const char *node, char *p,
		     size_t size)
{
	snprintf(p, size, is_media(t) ? "/sys/bus/media/devices/%s" :
		 "/sys/class/video4linux/%s", node);
}

/*
 * The node's device: its "device" link (video4linux), or the directory
 * its own sysfs directory is in (a media devnode has no link): 0 or -1.
 */
static int node_device(const char *dir, char *out)
{
	char p[PATH_MAX + 16];

	snprintf(p, sizeof(p), "%s/device", dir);
	if (realpath(p, out))
		return 0;
	if (!realpath(dir, out))
		return -1;
	*strrchr(out, '/') = 0;
	return 0;
}

/* Whether the sysfs node @node is @t's node (same name, index, device). */
static bool node_matches(const struct uc_target *t, const char *node)
{
	char d[PATH_MAX], p[PATH_MAX + 16], s[256];
	int idx;

	node_dir(t, node, d, sizeof(d));
	snprintf(p, sizeof(p), "%s/%s", d, is_media(t) ? "model" : "name");
	if (read_line(p, s, sizeof(s)) || strcmp(s, t->name))
		return false;
	if (t->kind == UC_VIDEO) {
		snprintf(p, sizeof(p), "%s/index", d);
		idx = read_line(p, s, sizeof(s)) ? 0 : atoi(s);
		if (idx != t->index)
			return false;
	}
	if (t->replug_cmd)	/* a replugged device is a new device */
		return true;
	return !node_device(d, p) && !strcmp(p, t->devpath);
}

/* find_node()'s match: @name is @arg's (a struct uc_target) node. */
static bool target_node(const char *dir, const char *name, const void *arg)
{
	(void)dir;	/* node_matches() knows it from the target */
	return node_matches(arg, name);
}

/* Find @t's node in sysfs and /dev, update path and node: 0 or -ENOENT. */
int uc_find_node(struct uc_target *t)
{
	const char *dir = is_media(t) ? "/sys/bus/media/devices" :
		"/sys/class/video4linux";
	const char *prefix = t->kind == UC_VIDEO ? "video" :
		t->kind == UC_MEDIA ? "media" : "v4l-subdev";
	char path[sizeof("/dev") + sizeof(t->node)];

	if (find_node(dir, prefix, target_node, t, path, sizeof(path)))
		return -ENOENT;
	snprintf(t->node, sizeof(t->node), "%s", path + strlen("/dev/"));
	snprintf(t->path, sizeof(t->path), "%s", path);
	return 0;
}

/* Wait for the node to be back: 0 or -ENOENT. */
static int wait_node(struct uc_target *t)
{
	double end = now_ms() + t->node_wait_ms;

	do {
		if (!uc_find_node(t))
			return 0;
		sleep_ms(20);
	} while (now_ms() < end);
	return -ENOENT;
}

/* Whether the node's sysfs directory is still there. */
static bool node_present(const struct uc_target *t)
{
	char d[PATH_MAX];

	node_dir(t, t->node, d, sizeof(d));
	return access(d, F_OK) == 0;
}

static int run_cmd(const char *cmd)
{
	int ret = system(cmd);

	return ret == 0 ? 0 : -EIO;
}

/* Write the device's name to its driver's @file ("bind"): 0 or -errno. */
static int t_write(const struct uc_target *t, const char *file)
{
	return drv_write(t->drvdir, t->devname, file);
}

static bool t_bound(const struct uc_target *t)
{
	return dev_bound(t->drvdir, t->devname);
}

/* Run the set-up command after a bind (a media-ctl pipeline set-up). */
static int setup(struct uc_target *t)
{
	return t->setup_cmd ? run_cmd(t->setup_cmd) : 0;
}

/*
 * Bind the device if its node is missing: 0 or -errno.  A device bound
 * without its node (uvcvideo when an old file kept its streaming
 * interface claimed) is unbound and bound again.
 */
int uc_ensure_bound(struct uc_target *t)
{
	int ret;

	if (t->gone)
		return -ENODEV;
	if (!uc_find_node(t))
		return 0;
	if (t->replug_cmd)
		ret = run_cmd(t->replug_cmd);
	else
		ret = t_bound(t) ? 0 : t_write(t, "bind");
	if (ret)
		return ret;
	ret = wait_node(t);
	if (ret && !t->replug_cmd && t_bound(t) &&
	    !t_write(t, "unbind") && !t_write(t, "bind"))
		ret = wait_node(t);
	return ret ? ret : setup(t);
}

/* A random pause before an unbind, if --seed asked for it. */
static void jitter(struct uc_target *t)
{
	int ms;

	if (t->jitter_ms <= 0)
		return;
	ms = rand_r(&t->seed) % t->jitter_ms;
	sleep_ms(ms);
}

/*
 * Unbind (or unplug) the device; its latency measured and checked: true
 * if it went.  An unplug command's latency lasts until the node is gone.
 */
static bool unplug(struct uc_ctx *c)
{
	struct uc_target *t = &c->t;
	double t0, ms;
	int ret;

	jitter(t);
	t0 = now_ms();
	if (t->unplug_cmd) {
		ret = run_cmd(t->unplug_cmd);
		while (!ret && node_present(t) &&
		       now_ms() - t0 < t->unbind_max_ms)
			sleep_ms(5);
	} else {
		ret = t_write(t, "unbind");
	}
	ms = now_ms() - t0;
	c->unbind_ms = ms;
	uc_log(c, "unbind took %.1f ms", ms);
	if (!need(c, !ret, "%s: %s", t->unplug_cmd ? "unplug command" :
		  "unbind", strerror(-ret)))
		return false;
	if (!need(c, ms < t->unbind_max_ms, "unbind took %.0f ms (limit %d)",
		  ms, t->unbind_max_ms))
		return false;
	if (!need(c, !node_present(t), "node %s still there after unbind",
		  t->node))
		return false;
	if (ms > t->unbind_warn_ms)
		uc_set(c, UC_WARN, "unbind took %.0f ms (target %d ms)", ms,
		       t->unbind_warn_ms);
	return true;
}

/* Bind (or replug) the device and wait for its node: true if back. */
static bool replug(struct uc_ctx *c)
{
	struct uc_target *t = &c->t;
	double t0 = now_ms();
	int ret;

	ret = t->replug_cmd ? run_cmd(t->replug_cmd) : t_write(t, "bind");
	if (!need(c, !ret, "%s: %s", t->replug_cmd ? "replug command" :
		  "bind", strerror(-ret)))
		return false;
	ret = wait_node(t);
	if (!need(c, !ret, "no node named %s within %d ms of the bind",
		  t->name, t->node_wait_ms))
		return false;
	c->rebind_ms = now_ms() - t0;
	uc_log(c, "rebind: %s back as %s after %.1f ms", t->name, t->path,
	       c->rebind_ms);
	return need(c, !setup(t), "set-up command failed after the bind");
}

/* The driver's module, from its sysfs directory: "" if built in. */
static void find_module(struct uc_target *t)
{
	char p[PATH_MAX + 16];

	snprintf(t->driver, sizeof(t->driver), "%s",
		 strrchr(t->drvdir, '/') + 1);
	snprintf(p, sizeof(p), "%s/module", t->drvdir);
	if (link_base(p, t->module, sizeof(t->module)))
		t->module[0] = 0;
}

/*
 * Fill @t from the node's sysfs @name (a video node: index 0), its
 * driver's directory @drvdir and the device's name @devname there; the
 * device need not be bound (uc_ensure_bound() binds it): 0 or -errno.
 */
int uc_target_by_name(struct uc_target *t, enum uc_kind kind,
		      const char *name, const char *drvdir,
		      const char *devname)
{
	char p[PATH_MAX * 2 + 300];

	t->kind = kind;
	t->index = 0;
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->devname, sizeof(t->devname), "%s", devname);
	if (!realpath(drvdir, t->drvdir))
		return -errno;
	/* /sys/bus/BUS/drivers/DRV -> /sys/bus/BUS/devices/DEV */
	snprintf(p, sizeof(p), "%s/../../devices/%s", t->drvdir, devname);
	if (!realpath(p, t->devpath))
		return -errno;
	find_module(t);
	return 0;
}

/* The limits' defaults, for those left at 0. */
void uc_target_defaults(struct uc_target *t)
{
	if (!t->frame_ms)
		t->frame_ms = 5000;
	if (!t->wake_max_ms)
		t->wake_max_ms = 1000;
	if (!t->unbind_max_ms)
		t->unbind_max_ms = 5000;
	if (!t->unbind_warn_ms)
		t->unbind_warn_ms = 1000;
	if (!t->node_wait_ms)
		t->node_wait_ms = 10000;
}

/* Fill @t from its /dev node @path: 0, or -errno with a message in @err. */
int uc_target_init(struct uc_target *t, enum uc_kind kind, const char *path,
		   char *err, size_t size)
{
	char d[PATH_MAX], p[PATH_MAX + 16], s[256];
	struct stat sb;

	t->kind = kind;
	if (stat(path, &sb) || !S_ISCHR(sb.st_mode)) {
		snprintf(err, size, "%s: not a character device", path);
		return -ENOENT;
	}
	snprintf(p, sizeof(p), "/sys/dev/char/%u:%u", major(sb.st_rdev),
		 minor(sb.st_rdev));
	if (link_base(p, t->node, sizeof(t->node))) {
		snprintf(err, size, "%s: not in /sys/dev/char", path);
		return -ENOENT;
	}
	snprintf(t->path, sizeof(t->path), "/dev/%s", t->node);
	node_dir(t, t->node, d, sizeof(d));
	snprintf(p, sizeof(p), "%s/%s", d, kind == UC_MEDIA ? "model" : "name");
	if (access(d, F_OK) || read_line(p, t->name, sizeof(t->name))) {
		snprintf(err, size, "%s: not a %s node", path,
			 uc_kind_name(kind));
		return -ENOENT;
	}
	snprintf(p, sizeof(p), "%s/index", d);
	t->index = kind == UC_VIDEO && !read_line(p, s, sizeof(s)) ?
		atoi(s) : 0;
	if (node_device(d, t->devpath)) {
		snprintf(err, size, "%s: no device in sysfs", path);
		return -ENOENT;
	}
	snprintf(t->devname, sizeof(t->devname), "%s",
		 strrchr(t->devpath, '/') + 1);
	snprintf(p, sizeof(p), "%s/driver", t->devpath);
	if (!realpath(p, t->drvdir)) {
		snprintf(err, size, "%s: device %s has no driver", path,
			 t->devname);
		return -ENOENT;
	}
	find_module(t);
	return 0;
}

/* Video buffer queues */

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

static bool open_node(struct uc_ctx *c, int *fd, const char *path)
{
	*fd = open(path, O_RDWR | O_CLOEXEC);
	return need(c, *fd >= 0, "open %s: %s", path, strerror(errno));
}

/* Open the video node into st.q and learn its capabilities and format. */
static bool video_open(struct uc_ctx *c)
{
	if (!open_node(c, &st.q.fd, c->t.path))
		return false;
	if (!need(c, !xioctl(st.q.fd, VIDIOC_QUERYCAP, &st.cap),
		  "QUERYCAP: %s", strerror(errno)))
		return false;
	st.fmt.type = CAP_TYPE;
	if (xioctl(st.q.fd, VIDIOC_G_FMT, &st.fmt))
		memset(&st.fmt, 0, sizeof(st.fmt));
	uc_log(c, "%s: %s (%s), %ux%u %.4s, %u bytes a frame", c->t.path,
	       st.cap.card, st.cap.driver, st.fmt.fmt.pix.width,
	       st.fmt.fmt.pix.height, (char *)&st.fmt.fmt.pix.pixelformat,
	       st.fmt.fmt.pix.sizeimage);
	return true;
}

static bool can_stream(void)
{
	return (st.cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) &&
		(st.cap.device_caps & V4L2_CAP_STREAMING);
}

/* Open the node; Not Supported unless it is a streaming capture node. */
static bool video_open_streaming(struct uc_ctx *c)
{
	if (!video_open(c))
		return false;
	if (can_stream())
		return true;
	uc_set(c, UC_NOTSUP, "%s is not a single-planar streaming capture node",
	       c->t.path);
	return false;
}

/* QUERYBUF MMAP buffer @i and mmap() it. */
static bool map_buf(struct uc_ctx *c, struct vq *q, unsigned int i)
{
	struct v4l2_buffer b = {
		.index = i, .type = CAP_TYPE, .memory = V4L2_MEMORY_MMAP,
	};
	void *p;

	if (!need(c, !xioctl(q->fd, VIDIOC_QUERYBUF, &b), "QUERYBUF %u: %s",
		  i, strerror(errno)))
		return false;
	p = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, q->fd,
		 b.m.offset);
	if (!need(c, p != MAP_FAILED, "mmap buffer %u: %s", i,
		  strerror(errno)))
		return false;
	q->mem[i] = p;
	q->len[i] = b.length;
	return true;
}

/* REQBUFS MMAP buffers, mmap() them if @map. */
static bool vq_mmap_bufs(struct uc_ctx *c, struct vq *q, bool map)
{
	struct v4l2_requestbuffers rb = {
		.count = MAX_BUFS, .type = CAP_TYPE,
		.memory = V4L2_MEMORY_MMAP,
	};
	unsigned int i;

	q->memory = V4L2_MEMORY_MMAP;
	if (!need(c, !xioctl(q->fd, VIDIOC_REQBUFS, &rb) && rb.count,
		  "REQBUFS MMAP: %s", strerror(errno)))
		return false;
	q->count = rb.count < MAX_BUFS ? rb.count : MAX_BUFS;
	for (i = 0; map && i < q->count; i++)
		if (!map_buf(c, q, i))
			return false;
	uc_log(c, "%u MMAP buffers%s", q->count, map ? ", mapped" : "");
	return true;
}

static bool vq_qbuf(struct uc_ctx *c, struct vq *q, unsigned int i)
{
	struct v4l2_buffer b = {
		.index = i, .type = CAP_TYPE, .memory = q->memory,
	};

	if (q->memory == V4L2_MEMORY_USERPTR) {
		b.m.userptr = (unsigned long)q->mem[i];
		b.length = q->len[i];
	}
	return need(c, !xioctl(q->fd, VIDIOC_QBUF, &b), "QBUF %u: %s", i,
		    strerror(errno));
}

static bool vq_streamon(struct uc_ctx *c, struct vq *q)
{
	int type = CAP_TYPE;

	return need(c, !xioctl(q->fd, VIDIOC_STREAMON, &type),
		    "STREAMON: %s", strerror(errno));
}

/* Queue every buffer and start streaming. */
static bool vq_start(struct uc_ctx *c, struct vq *q)
{
	unsigned int i;

	for (i = 0; i < q->count; i++)
		if (!vq_qbuf(c, q, i))
			return false;
	return vq_streamon(c, q);
}

/* Dequeue @n frames (poll() bounded by frame_ms), requeueing each. */
static bool vq_frames(struct uc_ctx *c, struct vq *q, unsigned int n)
{
	struct pollfd p = { .fd = q->fd, .events = POLLIN };
	struct v4l2_buffer b;
	unsigned int i;
	double t0;

	for (i = 0; i < n; i++) {
		t0 = now_ms();
		if (!need(c, poll(&p, 1, c->t.frame_ms) == 1 &&
			  (p.revents & POLLIN), "no frame within %d ms",
			  c->t.frame_ms))
			return false;
		memset(&b, 0, sizeof(b));
		b.type = CAP_TYPE;
		b.memory = q->memory;
		if (!need(c, !xioctl(q->fd, VIDIOC_DQBUF, &b), "DQBUF: %s",
			  strerror(errno)))
			return false;
		uc_log(c, "frame %u: buffer %u, sequence %u, %u bytes, %.1f ms",
		       i, b.index, b.sequence, b.bytesused, now_ms() - t0);
		if (!need(c, !xioctl(q->fd, VIDIOC_QBUF, &b), "QBUF: %s",
			  strerror(errno)))
			return false;
	}
	return true;
}

/* MMAP buffers, all queued, @n frames. */
static bool vq_stream_mmap(struct uc_ctx *c, struct vq *q, bool map,
			   unsigned int n)
{
	return vq_mmap_bufs(c, q, map) && vq_start(c, q) && vq_frames(c, q, n);
}

/* Kind-specific calls */

/* A new file on the node works: QUERYCAP, DEVICE_INFO, SUBDEV_QUERYCAP. */
static bool node_works(struct uc_ctx *c, int fd)
{
	struct v4l2_capability cap;
	struct media_device_info mi;
	struct v4l2_subdev_capability sc;
	int err;

	if (c->t.kind == UC_VIDEO)
		err = xioctl(fd, VIDIOC_QUERYCAP, &cap);
	else if (c->t.kind == UC_MEDIA)
		err = xioctl(fd, MEDIA_IOC_DEVICE_INFO, &mi);
	else
		err = xioctl(fd, VIDIOC_SUBDEV_QUERYCAP, &sc);
	return need(c, !err, "the new node does not answer: %s",
		    strerror(err));
}

/* The calls an idle file of each kind must see fail after unbind. */
static void check_calls_gone(struct uc_ctx *c, int fd, const char *who)
{
	struct v4l2_requestbuffers rb = {
		.count = 2, .type = CAP_TYPE, .memory = V4L2_MEMORY_MMAP,
	};
	struct v4l2_format fmt = { .type = CAP_TYPE };
	struct v4l2_capability cap;
	struct media_device_info mi;
	struct media_v2_topology topo;
	struct v4l2_subdev_capability sc;
	struct v4l2_subdev_format sf = {
		.which = V4L2_SUBDEV_FORMAT_ACTIVE,
	};
	struct v4l2_queryctrl qc = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };
	char what[48];

#define GONE(req, arg, name) do {					\
		snprintf(what, sizeof(what), "%s" name, who);		\
		check_gone(c, fd, req, arg, what);			\
	} while (0)
	memset(&topo, 0, sizeof(topo));
	switch (c->t.kind) {
	case UC_VIDEO:
		GONE(VIDIOC_QUERYCAP, &cap, "VIDIOC_QUERYCAP");
		GONE(VIDIOC_G_FMT, &fmt, "VIDIOC_G_FMT");
		GONE(VIDIOC_REQBUFS, &rb, "VIDIOC_REQBUFS");
		break;
	case UC_MEDIA:
		GONE(MEDIA_IOC_DEVICE_INFO, &mi, "MEDIA_IOC_DEVICE_INFO");
		GONE(MEDIA_IOC_G_TOPOLOGY, &topo, "MEDIA_IOC_G_TOPOLOGY");
		break;
	case UC_SUBDEV:
		GONE(VIDIOC_SUBDEV_QUERYCAP, &sc, "VIDIOC_SUBDEV_QUERYCAP");
		GONE(VIDIOC_SUBDEV_G_FMT, &sf, "VIDIOC_SUBDEV_G_FMT");
		GONE(VIDIOC_QUERYCTRL, &qc, "VIDIOC_QUERYCTRL");
		break;
	}
#undef GONE
}

/* poll() on a file of a removed device: ERR|HUP, at once. */
static void check_poll_gone(struct uc_ctx *c, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLPRI };
	double t0 = now_ms(), dt;
	int ret, err;

	ret = poll(&p, 1, c->t.wake_max_ms);
	err = ret < 0 ? errno : 0;
	dt = now_ms() - t0;
	record(c, "poll()", ret, err);
	uc_log(c, "poll after unbind: revents 0x%x, %.1f ms", p.revents, dt);
	if (ret != 1 || (p.revents & (POLLERR | POLLHUP)) !=
	    (POLLERR | POLLHUP))
		uc_set(c, UC_FAIL, "poll after unbind: ret %d, revents 0x%x",
		       ret, p.revents);
	else if (dt >= AT_ONCE_MS)
		uc_set(c, UC_FAIL, "poll after unbind took %.0f ms", dt);
}

/* open() of the removed node must fail. */
static void check_open_gone(struct uc_ctx *c, const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	int err = fd < 0 ? errno : 0;

	record(c, "open()", fd < 0 ? -1 : 0, err);
	if (fd >= 0)
		close(fd);
	if (err != ENOENT && err != ENODEV && err != ENXIO)
		uc_set(c, UC_FAIL, "open %s after unbind: %s", path,
		       fd >= 0 ? "succeeded" : strerror(err));
}

/* 1. Unbind with nothing open, rebind, use the node again. */
static void s_unbind_idle(struct uc_ctx *c)
{
	int fd = -1;

	if (!unplug(c) || !replug(c))
		return;
	if (c->t.kind != UC_VIDEO) {
		if (open_node(c, &fd, c->t.path))
			node_works(c, fd);
		if (fd >= 0)
			close(fd);
		return;
	}
	if (video_open(c) && can_stream())
		vq_stream_mmap(c, &st.q, true, 3);
}

/* 2. An idle open file across unbind. */
static void s_idle_fd(struct uc_ctx *c)
{
	char path[PATH_MAX], buf[64];
	int fd, ret, err;

	snprintf(path, sizeof(path), "%s", c->t.path);
	if (c->t.kind == UC_VIDEO ? !video_open(c) :
	    !open_node(c, &st.q.fd, path))
		return;
	fd = st.q.fd;
	if (!unplug(c))
		return;
	check_calls_gone(c, fd, "");
	if (c->t.kind == UC_VIDEO &&
	    (st.cap.device_caps & V4L2_CAP_READWRITE)) {
		ret = read(fd, buf, sizeof(buf));
		err = ret < 0 ? errno : 0;
		record(c, "read()", ret, err);
		if (ret != -1 || err != ENODEV)
			uc_set(c, UC_FAIL, "read after unbind: ret %d, %s",
			       ret, uc_errname(err));
	}
	check_poll_gone(c, fd);
	check_close(c, &st.q.fd, "close()");
	check_open_gone(c, path);
}

/* 3. Unbind while streaming MMAP buffers. */
static void s_streaming_mmap(struct uc_ctx *c)
{
	struct v4l2_buffer b = { .type = CAP_TYPE, .memory = V4L2_MEMORY_MMAP };
	int type = CAP_TYPE;

	if (!video_open_streaming(c) || !vq_stream_mmap(c, &st.q, true, 2) ||
	    !unplug(c))
		return;
	check_gone(c, st.q.fd, VIDIOC_DQBUF, &b, "VIDIOC_DQBUF");
	memset(&b, 0, sizeof(b));
	b.type = CAP_TYPE;
	b.memory = V4L2_MEMORY_MMAP;
	check_gone(c, st.q.fd, VIDIOC_QBUF, &b, "VIDIOC_QBUF");
	check_gone(c, st.q.fd, VIDIOC_STREAMOFF, &type, "VIDIOC_STREAMOFF");
	check_close(c, &st.q.fd, "close() with buffers mapped");
}

static void check_touch(struct uc_ctx *c, void *p, size_t len, bool wr,
			const char *what)
{
	size_t off;
	int sig = touch_pages(p, len, wr, &off);

	uc_log(c, "%s %s %zu bytes after unbind: %s",
	       wr ? "read+write" : "read", what, len,
	       sig ? strsignal(sig) : "ok");
	if (sig)
		uc_set(c, UC_FAIL, "%s: %s at offset %zu after unbind", what,
		       strsignal(sig), off);
}

/* 3. Unbind while streaming USERPTR buffers. */
static void s_streaming_userptr(struct uc_ctx *c)
{
	struct v4l2_requestbuffers rb = {
		.count = MAX_BUFS, .type = CAP_TYPE,
		.memory = V4L2_MEMORY_USERPTR,
	};
	struct v4l2_buffer b = {
		.type = CAP_TYPE, .memory = V4L2_MEMORY_USERPTR,
	};
	size_t pg = sysconf(_SC_PAGESIZE), len;
	unsigned int i;
	int err;

	if (!video_open_streaming(c))
		return;
	len = (st.fmt.fmt.pix.sizeimage + pg - 1) / pg * pg;
	err = xioctl(st.q.fd, VIDIOC_REQBUFS, &rb);
	if (err == EINVAL || err == ENOTTY) {
		uc_set(c, UC_NOTSUP, "REQBUFS USERPTR: %s", strerror(err));
		return;
	}
	if (!need(c, !err && rb.count, "REQBUFS USERPTR: %s", strerror(err)))
		return;
	st.q.memory = V4L2_MEMORY_USERPTR;
	st.q.count = rb.count < MAX_BUFS ? rb.count : MAX_BUFS;
	for (i = 0; i < st.q.count; i++) {
		if (!need(c, !posix_memalign(&st.q.mem[i], pg, len),
			  "no memory"))
			return;
		st.q.len[i] = len;
		memset(st.q.mem[i], 0, len);
	}
	uc_log(c, "%u USERPTR buffers of %zu bytes", st.q.count, len);
	if (!vq_start(c, &st.q) || !vq_frames(c, &st.q, 2) || !unplug(c))
		return;
	check_gone(c, st.q.fd, VIDIOC_DQBUF, &b, "VIDIOC_DQBUF");
	b.index = 0;
	b.m.userptr = (unsigned long)st.q.mem[0];
	b.length = len;
	check_gone(c, st.q.fd, VIDIOC_QBUF, &b, "VIDIOC_QBUF");
	for (i = 0; i < st.q.count; i++)
		check_touch(c, st.q.mem[i], len, true, "user buffer");
	check_close(c, &st.q.fd, "close()");
}

/* 4. A thread blocked in a call when the device is unbound. */
enum wait_kind { W_DQBUF, W_POLL, W_READ, W_DQEVENT };
static const char * const wait_names[] = {
	"VIDIOC_DQBUF (blocked)", "poll() (blocked)", "read() (blocked)",
	"VIDIOC_DQEVENT (blocked)",
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

static bool flag(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

/* Wait until the waiter is in its call (read(): has read a frame). */
static bool waiter_blocked(struct uc_ctx *c, struct waiter *w)
{
	double end = now_ms() + c->t.frame_ms;
	char state, wchan[64];

	while (!flag(&w->started) && now_ms() < end)
		sleep_ms(10);
	if (w->kind == W_READ) {
		end = now_ms() + 2 * c->t.frame_ms;
		while (!__atomic_load_n(&w->frames, __ATOMIC_SEQ_CST) &&
		       !flag(&w->done) && now_ms() < end)
			sleep_ms(10);
		if (!need(c, w->frames, "read() loop got no frame: ret %ld, %s",
			  w->ret, uc_errname(w->err)))
			return false;
	} else {
		sleep_ms(BLOCK_CHECK_MS);
	}
	thread_state(w->tid, &state, wchan, sizeof(wchan));
	uc_log(c, "%s thread before unbind: %s, state %c, wchan %s",
	       wait_names[w->kind], flag(&w->done) ? "returned" :
	       "in the call", state, wchan);
	return need(c, !flag(&w->done), "%s returned before unbind: %ld, %s",
		    wait_names[w->kind], w->ret, uc_errname(w->err));
}

/* The woken waiter's answer against the contract. */
static void check_waiter(struct uc_ctx *c, struct waiter *w, double t0)
{
	c->wake_ms = w->t_done - t0;
	uc_log(c, "%s woken %.1f ms after unbind began, %u frames read",
	       wait_names[w->kind], c->wake_ms, w->frames);
	record(c, wait_names[w->kind], w->ret, w->err);
	if (w->kind == W_POLL) {
		uc_log(c, "revents 0x%x", w->revents);
		if (w->ret != 1 || (w->revents & (POLLERR | POLLHUP)) !=
		    (POLLERR | POLLHUP))
			uc_set(c, UC_FAIL, "blocked poll(): %ld, revents 0x%x",
			       w->ret, w->revents);
	} else if (w->ret != -1 || w->err != ENODEV) {
		uc_set(c, UC_FAIL, "%s woken with ret %ld, %s, not ENODEV",
		       wait_names[w->kind], w->ret, uc_errname(w->err));
	}
}

/*
 * Start a waiter thread on @fd, check it blocks, unbind, and check it
 * comes back within wake_max_ms with the contract's answer.  A waiter
 * never woken is left behind (its memory too): the process ends it.
 */
static void blocked_unbind(struct uc_ctx *c, int fd, enum wait_kind kind)
{
	struct waiter *w = calloc(1, sizeof(*w));
	char state, wchan[64];
	struct timespec dl;
	pthread_t th;
	double t0;

	if (!need(c, w, "no memory"))
		return;
	w->kind = kind;
	w->fd = fd;
	w->size = st.fmt.fmt.pix.sizeimage ? st.fmt.fmt.pix.sizeimage : 4096;
	if (!need(c, !pthread_create(&th, NULL, waiter_fn, w),
		  "pthread_create failed"))
		return;
	if (!waiter_blocked(c, w)) {
		pthread_detach(th);
		return;
	}
	t0 = now_ms();
	if (!unplug(c)) {
		pthread_detach(th);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += c->t.wake_max_ms / 1000;
	dl.tv_nsec += (c->t.wake_max_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	if (pthread_timedjoin_np(th, NULL, &dl)) {
		thread_state(w->tid, &state, wchan, sizeof(wchan));
		record(c, wait_names[kind], -1, ETIMEDOUT);
		st.stuck = true;
		uc_set(c, UC_FAIL, "%s still blocked after %d ms (%c, %s)",
		       wait_names[kind], c->t.wake_max_ms, state, wchan);
		pthread_detach(th);
		return;
	}
	check_waiter(c, w, t0);
	free(w);
}

static void s_blocked_dqbuf(struct uc_ctx *c)
{
	if (video_open_streaming(c) && vq_mmap_bufs(c, &st.q, false) &&
	    vq_streamon(c, &st.q))
		blocked_unbind(c, st.q.fd, W_DQBUF);
}

/* Open the node: a video node for its format, any other plainly. */
static bool open_any(struct uc_ctx *c)
{
	return c->t.kind == UC_VIDEO ? video_open(c) :
		open_node(c, &st.q.fd, c->t.path);
}

static void s_blocked_poll(struct uc_ctx *c)
{
	struct pollfd p = { .events = POLLPRI };

	if (!open_any(c))
		return;
	p.fd = st.q.fd;
	if (poll(&p, 1, 0) != 0) {
		uc_set(c, UC_NOTSUP, "poll(POLLPRI) returns at once: 0x%x",
		       p.revents);
		return;
	}
	blocked_unbind(c, st.q.fd, W_POLL);
}

static void s_blocked_read(struct uc_ctx *c)
{
	if (!video_open(c))
		return;
	if (!(st.cap.device_caps & V4L2_CAP_READWRITE)) {
		uc_set(c, UC_NOTSUP, "no V4L2_CAP_READWRITE");
		return;
	}
	blocked_unbind(c, st.q.fd, W_READ);
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
static void s_blocked_dqevent(struct uc_ctx *c)
{
	struct v4l2_event_subscription sub = { .type = V4L2_EVENT_CTRL };
	int err;

	if (!open_any(c))
		return;
	sub.id = find_control(st.q.fd);
	if (!sub.id) {
		uc_set(c, UC_NOTSUP, "no control to subscribe to");
		return;
	}
	err = xioctl(st.q.fd, VIDIOC_SUBSCRIBE_EVENT, &sub);
	if (err == ENOTTY || err == EINVAL) {
		uc_set(c, UC_NOTSUP, "SUBSCRIBE_EVENT: %s", strerror(err));
		return;
	}
	if (!need(c, !err, "SUBSCRIBE_EVENT: %s", strerror(err)))
		return;
	uc_log(c, "subscribed to V4L2_EVENT_CTRL on control 0x%08x", sub.id);
	blocked_unbind(c, st.q.fd, W_DQEVENT);
}

/* 5. Touch every page of mapped buffers after unbind, then munmap. */
static void s_mmap_touch(struct uc_ctx *c)
{
	unsigned int i;
	int ret;

	if (!video_open_streaming(c) || !vq_stream_mmap(c, &st.q, true, 2) ||
	    !unplug(c))
		return;
	for (i = 0; i < st.q.count; i++)
		check_touch(c, st.q.mem[i], st.q.len[i], true, "mmap buffer");
	for (i = 0; i < st.q.count; i++) {
		ret = munmap(st.q.mem[i], st.q.len[i]);
		st.q.mem[i] = NULL;
		record(c, "munmap()", ret, ret ? errno : 0);
		if (ret)
			uc_set(c, UC_FAIL, "munmap buffer %u failed", i);
	}
	check_close(c, &st.q.fd, "close()");
}

/* 6. An exported DMABUF outlives the device and the video fd. */
static void s_dmabuf(struct uc_ctx *c)
{
	struct v4l2_exportbuffer eb = {
		.type = CAP_TYPE, .index = 0, .flags = O_RDWR | O_CLOEXEC,
	};
	struct v4l2_buffer b = {
		.type = CAP_TYPE, .memory = V4L2_MEMORY_MMAP, .index = 0,
	};
	int err;

	if (!video_open_streaming(c) || !vq_mmap_bufs(c, &st.q, false))
		return;
	err = xioctl(st.q.fd, VIDIOC_EXPBUF, &eb);
	if (err == ENOTTY || err == EINVAL) {
		uc_set(c, UC_NOTSUP, "EXPBUF: %s", strerror(err));
		return;
	}
	if (!need(c, !err, "EXPBUF: %s", strerror(err)) ||
	    !need(c, !xioctl(st.q.fd, VIDIOC_QUERYBUF, &b), "QUERYBUF: %s",
		  strerror(errno)))
		return;
	st.dmabuf = eb.fd;
	uc_log(c, "buffer 0 exported as dmabuf fd %d, %u bytes", eb.fd,
	       b.length);
	if (!vq_start(c, &st.q) || !vq_frames(c, &st.q, 2) || !unplug(c))
		return;
	check_close(c, &st.q.fd, "close() of the video fd");
	st.dmamap = mmap(NULL, b.length, PROT_READ, MAP_SHARED, st.dmabuf, 0);
	err = st.dmamap == MAP_FAILED ? errno : 0;
	record(c, "mmap() of the dmabuf", err ? -1 : 0, err);
	if (err) {
		st.dmamap = NULL;
		uc_set(c, UC_FAIL, "mmap dmabuf after unbind: %s",
		       strerror(err));
		return;
	}
	st.dmalen = b.length;
	check_touch(c, st.dmamap, b.length, false, "dmabuf");
	munmap(st.dmamap, st.dmalen);
	st.dmamap = NULL;
	check_close(c, &st.dmabuf, "close() of the dmabuf");
}

/* 7. Rebind with an old file open: it keeps failing, the new node works. */
static void s_rebind_old_fd(struct uc_ctx *c)
{
	struct v4l2_buffer b = { .type = CAP_TYPE, .memory = V4L2_MEMORY_MMAP };
	bool stream;

	if (!open_any(c))
		return;
	stream = c->t.kind == UC_VIDEO && can_stream();
	if (stream && !vq_stream_mmap(c, &st.q, true, 1))
		return;
	if (!unplug(c) || !replug(c))
		return;
	check_calls_gone(c, st.q.fd, "old fd ");
	if (!open_node(c, &st.q2.fd, c->t.path) || !node_works(c, st.q2.fd))
		return;
	if (stream) {
		if (!vq_stream_mmap(c, &st.q2, true, 3))
			return;
		check_gone(c, st.q.fd, VIDIOC_DQBUF, &b,
			   "old fd VIDIOC_DQBUF while the new node streams");
	}
	check_close(c, &st.q.fd, "old fd close()");
	if (stream)
		vq_frames(c, &st.q2, 1);
}

/* 8. Time the unbind with @n files open (one streaming on video). */
static void unbind_latency(struct uc_ctx *c, int n)
{
	int i;

	if (!open_any(c))
		return;
	if (c->t.kind == UC_VIDEO && can_stream() &&
	    !vq_stream_mmap(c, &st.q, true, 1))
		return;
	for (i = 0; i < n - 1; i++)
		if (!open_node(c, &st.extra[i], c->t.path))
			return;
	if (unplug(c))
		uc_log(c, "unbind with %d fd(s) open: %.1f ms (limit %d)", n,
		       c->unbind_ms, c->t.unbind_max_ms);
}

static void s_latency_1fd(struct uc_ctx *c)
{
	unbind_latency(c, 1);
}

static void s_latency_16fd(struct uc_ctx *c)
{
	unbind_latency(c, MAX_FDS);
}

/* 9. rmmod while open: refused, or clean. */
static bool module_has_holders(const char *mod)
{
	char p[PATH_MAX];
	struct dirent *de;
	bool any = false;
	DIR *d;

	snprintf(p, sizeof(p), "/sys/module/%s/holders", mod);
	d = opendir(p);
	if (!d)
		return false;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			any = true;
	closedir(d);
	return any;
}

/* delete_module() without waiting: true if the module went away. */
static bool try_rmmod(struct uc_ctx *c, const char *when)
{
	char what[48];
	long ret;
	int err;

	ret = syscall(SYS_delete_module, c->t.module, O_NONBLOCK);
	err = ret ? errno : 0;
	snprintf(what, sizeof(what), "delete_module() %s", when);
	record(c, what, ret, err);
	if (ret && (err == EBUSY || err == EAGAIN))
		return false;
	if (ret) {
		uc_set(c, UC_FAIL, "delete_module(%s) %s: %s", c->t.module,
		       when, strerror(err));
		return false;
	}
	c->t.gone = true;
	uc_set(c, UC_WARN, "module %s unloaded %s (no crash; not reloaded)",
	       c->t.module, when);
	return true;
}

static void s_rmmod(struct uc_ctx *c)
{
	struct v4l2_capability cap;
	int before;

	if (!c->t.module[0] || module_refcnt(c->t.module) < 0) {
		uc_set(c, UC_NOTSUP, "driver %s is built in", c->t.driver);
		return;
	}
	if (module_has_holders(c->t.module)) {
		uc_set(c, UC_NOTSUP, "other modules use %s", c->t.module);
		return;
	}
	before = module_refcnt(c->t.module);
	if (!open_any(c))
		return;
	if (c->t.kind == UC_VIDEO && can_stream() &&
	    !vq_stream_mmap(c, &st.q, true, 1))
		return;
	uc_log(c, "module %s: refcnt %d, %d with the node open", c->t.module,
	       before, module_refcnt(c->t.module));
	if (try_rmmod(c, "while open")) {
		check_gone(c, st.q.fd, VIDIOC_QUERYCAP, &cap,
			   "VIDIOC_QUERYCAP after rmmod");
		check_close(c, &st.q.fd, "close() after rmmod");
		return;
	}
	if (!unplug(c))
		return;
	if (try_rmmod(c, "after unbind, fd open"))
		check_close(c, &st.q.fd, "close() after rmmod");
}

/* The scenario table: the order in which a full run goes through them. */
const struct uc_scenario uc_scenarios[] = {
	{ "s1_unbind_idle_rebind", "unbind idle, rebind, use again",
	  UC_VIDEO | UC_MEDIA | UC_SUBDEV,
	  "rebind works; the new node streams",
	  s_unbind_idle },
	{ "s2_idle_fd_enodev", "idle fd across unbind",
	  UC_VIDEO | UC_MEDIA | UC_SUBDEV,
	  "ioctl/read ENODEV (media: EIO), poll ERR|HUP at once, close works, open fails",
	  s_idle_fd },
	{ "s3_streaming_mmap_enodev", "unbind while streaming (MMAP)",
	  UC_VIDEO, "streaming stopped; DQBUF/QBUF/STREAMOFF ENODEV",
	  s_streaming_mmap },
	{ "s3_streaming_userptr_enodev", "unbind while streaming (USERPTR)",
	  UC_VIDEO, "streaming stopped; user memory stays the user's",
	  s_streaming_userptr },
	{ "s4_blocked_dqbuf", "thread blocked in DQBUF at unbind",
	  UC_VIDEO, "woken at once with ENODEV", s_blocked_dqbuf },
	{ "s4_blocked_poll", "thread blocked in poll() at unbind",
	  UC_VIDEO | UC_SUBDEV, "woken at once with POLLERR|POLLHUP",
	  s_blocked_poll },
	{ "s4_blocked_read", "thread blocked in read() at unbind",
	  UC_VIDEO, "woken at once with ENODEV", s_blocked_read },
	{ "s4_blocked_dqevent", "thread blocked in DQEVENT at unbind",
	  UC_VIDEO | UC_SUBDEV, "woken at once with ENODEV",
	  s_blocked_dqevent },
	{ "s5_mmap_touch_after_unbind", "mmap touched after unbind",
	  UC_VIDEO, "mapping stays valid memory until munmap",
	  s_mmap_touch },
	{ "s6_dmabuf_after_unbind", "exported DMABUF after unbind",
	  UC_VIDEO, "dmabuf valid until closed", s_dmabuf },
	{ "s7_rebind_with_old_fd", "old fd across rebind",
	  UC_VIDEO | UC_MEDIA | UC_SUBDEV,
	  "old fd keeps failing; the new node works", s_rebind_old_fd },
	{ "s8_unbind_latency_1fd", "unbind latency, 1 fd open",
	  UC_VIDEO | UC_MEDIA | UC_SUBDEV, ".remove() in bounded time",
	  s_latency_1fd },
	{ "s8_unbind_latency_16fd", "unbind latency, 16 fds open",
	  UC_VIDEO | UC_MEDIA | UC_SUBDEV, ".remove() in bounded time",
	  s_latency_16fd },
	{ "s9_rmmod_while_open", "rmmod while open",
	  UC_VIDEO | UC_MEDIA | UC_SUBDEV,
	  "refused (EBUSY/EAGAIN) or clean, never a crash", s_rmmod },
};

const unsigned int uc_nscenarios = sizeof(uc_scenarios) /
	sizeof(uc_scenarios[0]);

const struct uc_scenario *uc_find_scenario(const char *name)
{
	unsigned int i;

	for (i = 0; i < uc_nscenarios; i++)
		if (!strcmp(uc_scenarios[i].name, name))
			return &uc_scenarios[i];
	return NULL;
}

void uc_ctx_init(struct uc_ctx *c, const struct uc_target *t)
{
	memset(c, 0, sizeof(*c));
	c->t = *t;
	c->unbind_ms = -1;
	c->rebind_ms = -1;
	c->wake_ms = -1;
}

static void release_all(void)
{
	int i;

	vq_release(&st.q);
	vq_release(&st.q2);
	for (i = 0; i < MAX_FDS; i++)
		if (st.extra[i] >= 0)
			close(st.extra[i]);
	if (st.dmamap)
		munmap(st.dmamap, st.dmalen);
	if (st.dmabuf >= 0)
		close(st.dmabuf);
}

/*
 * Run scenario @s on @c's target: bind the device if it is not, run, then
 * release what the scenario holds and bind the device again.
 */
void uc_run(const struct uc_scenario *s, struct uc_ctx *c)
{
	int i, ret;

	memset(&st, 0, sizeof(st));
	vq_init(&st.q);
	vq_init(&st.q2);
	for (i = 0; i < MAX_FDS; i++)
		st.extra[i] = -1;
	st.dmabuf = -1;
	if (c->t.gone) {
		uc_set(c, UC_NOTSUP, "module %s was unloaded", c->t.module);
		return;
	}
	if (!(s->kinds & c->t.kind)) {
		uc_set(c, UC_NOTSUP, "not a scenario for a %s node",
		       uc_kind_name(c->t.kind));
		return;
	}
	ret = uc_ensure_bound(&c->t);
	if (!need(c, !ret, "%s not bound, no node %s: %s", c->t.devname,
		  c->t.name, strerror(-ret)))
		return;
	s->run(c);
	release_all();
	if (c->t.gone)
		return;
	if (st.stuck) {
		/* its file may keep the device from binding (uvcvideo) */
		uc_log(c, "not bound again here: a thread is still blocked");
		return;
	}
	ret = uc_ensure_bound(&c->t);
	need(c, !ret, "could not bind %s again: %s", c->t.devname,
	     strerror(-ret));
}

/* Kernel log */

/* /dev/kmsg, positioned at its end: an fd, or -1. */
int uc_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static bool kernel_report(const char *msg)
{
	static const char * const pat[] = {
		"BUG:", "KASAN", "KFENCE", "WARNING:", "Oops", "lockdep",
		"possible circular locking", "possible recursive locking",
		"inconsistent lock state", "refcount_t:", "general protection",
		"kernel BUG", "UBSAN", "list_add corruption",
		"list_del corruption", "ODEBUG", "blocked for more than",
		"Unable to handle kernel",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pat); i++)
		if (strstr(msg, pat[i]))
			return true;
	return false;
}

/*
 * Read the kernel log records written since the last call; copy a report
 * (its first line and up to 20 after it) into @out: bytes copied.
 */
size_t uc_kmsg_scan(int fd, char *out, size_t size)
{
	char rec[8192], *msg;
	size_t len = 0;
	int after = 0, n;
	ssize_t r;

	if (size)
		out[0] = 0;
	if (fd < 0)
		return 0;
	for (;;) {
		r = read(fd, rec, sizeof(rec) - 1);
		if (r < 0 && errno == EPIPE)
			continue;
		if (r <= 0)
			break;
		rec[r] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = 0;
		if (kernel_report(msg) && !after)
			after = 21;
		if (!after)
			continue;
		after--;
		n = snprintf(out + len, size - len, "%s\n", msg);
		if (n > 0 && len + n < size)
			len += n;
	}
	return len;
}
