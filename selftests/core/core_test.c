// SPDX-License-Identifier: GPL-2.0
/*
 * core_test - the vlife core on its test driver, vlife-testdrv: media and
 * subdev files held across unbind, an ioctl in flight during unbind,
 * references by kind in the core's debugfs, module pinning by files and
 * mappings, no leak over a bind cycle, and the bound on the size of the
 * buffers VIDIOC_CREATE_BUFS allocates.
 *
 * What the driver-agnostic contract test (selftests/contract) checks on
 * the video node is not repeated here.  Run as root with vlife-core and
 * vlife-testdrv loaded and debugfs mounted: the test driver registers its
 * own platform device, vlife-testdrv.0.  Every test leaves the device
 * bound and ioctl_delay_ms at 0; every wait is bounded.  The module is
 * never unloaded: delete_module() is only tried once the module is seen
 * to be pinned, so a missing pin fails a test without pulling the driver
 * from under the tests that follow.
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
#include <linux/media.h>
#include <linux/media-bus-format.h>
#include <linux/v4l2-subdev.h>
#include <linux/videodev2.h>

#include "vlife_test.h"

#define TD_VIDEO	"vlife-testdrv"
#define TD_SUBDEV	"vlife-testdrv-proc"
#define TD_MODEL	"vlife test device"
#define TD_DEVICE	"vlife-testdrv.0"
#define TD_MODULE	"vlife_testdrv"
#define TD_DRIVER	"/sys/bus/platform/drivers/vlife-testdrv"
#define TD_PARAMS	"/sys/module/vlife_testdrv/parameters"
#define TD_DELAY	TD_PARAMS "/ioctl_delay_ms"
#define TD_WIDTH	320
#define TD_HEIGHT	240
#define TD_CODE		MEDIA_BUS_FMT_YUYV8_2X8
#define DBG_LIVE	"/sys/kernel/debug/vlife/live"
#define DBG_INSTANCES	"/sys/kernel/debug/vlife/instances"

#define DELAY_MS	1500	/* ioctl_delay_ms for the in-flight call */
#define INSIDE_MS	300	/* time for that call to get inside */
#define UNBIND_MIN_MS	1000	/* an unbind that waited for it */
/*
 * Bound on the time from the last reference to the instance being freed.
 * Immediate on Debian's kernel; CONFIG_DEBUG_KOBJECT_RELEASE delays each
 * kobject release by 1 to 4 s, and a node's cdev and device go in turn.
 */
#define GONE_MS		10000
#define POLL_MAX_MS	1000	/* bound on a poll() that should not wait */
#define JOIN_MS		5000	/* bound on the in-flight call's return */
#define NBUFS		2

/* One line of debugfs "instances". */
struct inst {
	int refs, driver, v4l2, media, files, subdev, other, in_flight;
	int unplugged;
};

/* An ioctl made by another thread. */
struct call {
	pthread_t th;
	int fd;
	unsigned long req;
	void *arg;
	bool running;		/* created, not joined */
	int started;
	int done;
	int ret;
	int err;
	double t_start;
	double t_done;
};

/* What a test holds, released by the fixture's teardown. */
struct td {
	bool ready;		/* set-up found the device and debugfs */
	bool delay_set;		/* ioctl_delay_ms to be reset */
	char video[NODE_PATH];
	char subdev[NODE_PATH];
	char media[NODE_PATH];
	int fd;			/* the file the test is about */
	void *map[NBUFS];
	size_t len[NBUFS];
	int stale;		/* unplugged instances before the test */
	struct call *call;
};

FIXTURE(core)
{
	struct td td;
};

static int read_int(const char *path, int *val)
{
	char buf[64];
	int ret = read_line(path, buf, sizeof(buf));
	char *end;

	if (ret)
		return ret;
	*val = strtol(buf, &end, 10);
	return end == buf ? -EINVAL : 0;
}

/* The three nodes, waited for: NULL, or the name of the one missing. */
static const char *wait_nodes(struct td *td)
{
	double end = now_ms() + NODE_WAIT_MS;
	const char *missing;

	do {
		missing = NULL;
		if (find_v4l("video", TD_VIDEO, td->video, NODE_PATH))
			missing = "video node " TD_VIDEO;
		else if (find_v4l("v4l-subdev", TD_SUBDEV, td->subdev,
				  NODE_PATH))
			missing = "subdev node " TD_SUBDEV;
		else if (find_media(TD_MODEL, td->media, NODE_PATH))
			missing = "media device \"" TD_MODEL "\"";
		if (!missing)
			return NULL;
		sleep_ms(20);
	} while (now_ms() < end);
	return missing;
}

/* The integer after " @key=" in @line: 0, or -1 if there is none. */
static int field(const char *line, const char *key, int *val)
{
	char k[32], *end;
	const char *p;

	snprintf(k, sizeof(k), " %s=", key);
	p = strstr(line, k);
	if (!p)
		return -1;
	p += strlen(k);
	*val = strtol(p, &end, 10);
	return end == p ? -1 : 0;
}

/* Parse a line of debugfs "instances" if it is TD_DEVICE's. */
static bool parse_inst(const char *line, struct inst *i)
{
	size_t n = strlen(TD_DEVICE);

	if (strncmp(line, TD_DEVICE, n) || line[n] != ' ')
		return false;
	return !(field(line, "refs", &i->refs) |
		 field(line, "driver", &i->driver) |
		 field(line, "v4l2", &i->v4l2) |
		 field(line, "media", &i->media) |
		 field(line, "files", &i->files) |
		 field(line, "subdev", &i->subdev) |
		 field(line, "other", &i->other) |
		 field(line, "in_flight", &i->in_flight) |
		 field(line, "unplugged", &i->unplugged));
}

/*
 * Lines of TD_DEVICE in debugfs "instances" whose unplugged flag is
 * @unplugged; the last (newest) one is stored in @in.  -errno if the file
 * cannot be read.
 */
static int count_inst(int unplugged, struct inst *in)
{
	char line[512];
	struct inst i;
	int n = 0;
	FILE *f;

	f = fopen(DBG_INSTANCES, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!parse_inst(line, &i) || i.unplugged != unplugged)
			continue;
		n++;
		if (in)
			*in = i;
	}
	fclose(f);
	return n;
}

/* Wait until count_inst(@unplugged) is @want; the last count. */
static int wait_count(int unplugged, int want, int ms, double *waited)
{
	double t0 = now_ms();
	int n;

	for (;;) {
		n = count_inst(unplugged, NULL);
		if (n == want || now_ms() - t0 > ms)
			break;
		sleep_ms(20);
	}
	*waited = now_ms() - t0;
	return n;
}

/* Wait until debugfs "live" reads @want; the last value read. */
static int wait_live(int want, int ms, double *waited)
{
	double t0 = now_ms();
	int n;

	for (;;) {
		if (read_int(DBG_LIVE, &n))
			n = -1;
		if (n == want || now_ms() - t0 > ms)
			break;
		sleep_ms(20);
	}
	*waited = now_ms() - t0;
	return n;
}

/* The newest instance of the device with @unplugged, logged. */
static void get_inst(struct __test_metadata *_metadata, int unplugged,
		     struct inst *in, const char *when)
{
	int n = count_inst(unplugged, in);

	ASSERT_LT(0, n) TH_LOG("%s: no %s instance of %s in %s", when,
			       unplugged ? "unplugged" : "live", TD_DEVICE,
			       DBG_INSTANCES);
	TH_LOG("%s: refs=%d driver=%d v4l2=%d media=%d files=%d",
	       when, in->refs, in->driver, in->v4l2, in->media, in->files);
	TH_LOG("%s:   subdev=%d other=%d in_flight=%d unplugged=%d (%d lines)",
	       when, in->subdev, in->other, in->in_flight, in->unplugged, n);
	EXPECT_EQ(in->refs, in->driver + in->v4l2 + in->media + in->files +
		  in->subdev + in->other)
		TH_LOG("%s: references not all counted by kind", when);
}

/* After the last reference, the unplugged instance must be freed. */
static void expect_gone(struct __test_metadata *_metadata,
			struct td *td, const char *after)
{
	double ms;
	int n = wait_count(1, td->stale, GONE_MS, &ms);

	TH_LOG("unplugged instances after %s: %d (%d before the test), %.1f ms",
	       after, n, td->stale, ms);
	EXPECT_EQ(td->stale, n)
		TH_LOG("instance not freed %d ms after %s", GONE_MS, after);
}

static void open_node(struct __test_metadata *_metadata,
		      struct td *td, const char *path)
{
	int err;

	td->fd = open(path, O_RDWR);
	err = td->fd < 0 ? errno : 0;
	ASSERT_LE(0, td->fd) TH_LOG("open %s: %s", path, strerror(err));
}

static void close_node(struct __test_metadata *_metadata,
		       struct td *td, const char *what)
{
	int ret = close(td->fd);
	int err = ret ? errno : 0;

	td->fd = -1;
	TH_LOG("close %s: %d (%s)", what, ret, strerror(err));
	EXPECT_EQ(0, ret);
}

/* Unbind the test device; its duration in ms. */
static double td_unbind(struct __test_metadata *_metadata)
{
	struct unbind_time ut;

	do_unbind(_metadata, TD_DRIVER, TD_DEVICE, &ut);
	return ut.end - ut.start;
}

/* The ioctl must fail with @e1 or @e2. */
static void check_errno(struct __test_metadata *_metadata, int fd,
			unsigned long req, void *arg, const char *name,
			int e1, int e2)
{
	int ret = ioctl(fd, req, arg);
	int err = ret ? errno : 0;

	TH_LOG("%s after unbind: ret %d, errno %d (%s)", name, ret, err,
	       strerror(err));
	EXPECT_EQ(-1, ret);
	EXPECT_TRUE(err == e1 || err == e2);
}

/* poll() on a file of the unbound device: EPOLLERR | EPOLLHUP at once. */
static void check_poll_gone(struct __test_metadata *_metadata, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLPRI };
	double t0 = now_ms(), dt;
	int ret;

	ret = poll(&p, 1, POLL_MAX_MS);
	dt = now_ms() - t0;
	TH_LOG("poll after unbind: ret %d, revents 0x%x%s, %.1f ms", ret,
	       p.revents, p.revents & POLLPRI ? " (POLLPRI set)" : "", dt);
	EXPECT_EQ(1, ret);
	EXPECT_EQ(POLLERR | POLLHUP, p.revents & (POLLERR | POLLHUP));
	EXPECT_GT(AT_ONCE_MS, dt);
}

/* The removed node cannot be opened again. */
static void check_open_fails(struct __test_metadata *_metadata,
			     const char *path)
{
	int fd = open(path, O_RDWR);
	int err = fd < 0 ? errno : 0;

	TH_LOG("open %s after unbind: fd %d, errno %d (%s)", path, fd, err,
	       strerror(err));
	if (fd >= 0)
		close(fd);
	EXPECT_TRUE(err == ENOENT || err == ENODEV || err == ENXIO);
}

/* REQBUFS NBUFS MMAP buffers on the test's file and map them all. */
static void map_bufs(struct __test_metadata *_metadata,
		     struct td *td)
{
	struct v4l2_requestbuffers rb = {
		.count = NBUFS, .type = CAP_TYPE, .memory = V4L2_MEMORY_MMAP,
	};
	unsigned int i;

	ASSERT_EQ(0, xioctl(td->fd, VIDIOC_REQBUFS, &rb));
	ASSERT_EQ(NBUFS, rb.count);
	for (i = 0; i < NBUFS; i++) {
		map_buf(_metadata, td->fd, i, &td->map[i], &td->len[i]);
		TH_LOG("buffer %u mapped, %zu bytes", i, td->len[i]);
	}
}

static void unmap_buf(struct __test_metadata *_metadata,
		      struct td *td, unsigned int i)
{
	int ret = munmap(td->map[i], td->len[i]);

	td->map[i] = NULL;
	TH_LOG("munmap buffer %u: %d", i, ret);
	EXPECT_EQ(0, ret);
}

static void *call_fn(void *arg)
{
	struct call *c = arg;

	c->t_start = now_ms();
	__atomic_store_n(&c->started, 1, __ATOMIC_SEQ_CST);
	c->ret = ioctl(c->fd, c->req, c->arg);
	c->err = c->ret ? errno : 0;
	c->t_done = now_ms();
	__atomic_store_n(&c->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Start ioctl(@req, @arg) on the test's file in another thread. */
static void start_call(struct __test_metadata *_metadata,
		       struct td *td, unsigned long req, void *arg)
{
	struct call *c = calloc(1, sizeof(*c));
	double end = now_ms() + JOIN_MS;

	ASSERT_NE(NULL, c);
	c->fd = td->fd;
	c->req = req;
	c->arg = arg;
	td->call = c;
	ASSERT_EQ(0, pthread_create(&c->th, NULL, call_fn, c));
	c->running = true;
	while (!__atomic_load_n(&c->started, __ATOMIC_SEQ_CST) &&
	       now_ms() < end)
		sleep_ms(10);
	ASSERT_TRUE(__atomic_load_n(&c->started, __ATOMIC_SEQ_CST));
}

/* Join the call's thread within @ms: 0 or the pthread error. */
static int join_call(struct call *c, int ms)
{
	struct timespec dl;
	int ret;

	if (!c->running)
		return 0;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += ms / 1000;
	ret = pthread_timedjoin_np(c->th, NULL, &dl);
	if (!ret)
		c->running = false;
	return ret;
}

static void set_delay(struct __test_metadata *_metadata,
		      struct td *td, int ms)
{
	char s[16];
	int ret;

	snprintf(s, sizeof(s), "%d", ms);
	ret = write_str(TD_DELAY, s);
	ASSERT_EQ(0, ret) TH_LOG("write %s: %s", TD_DELAY, strerror(-ret));
	td->delay_set = ms != 0;
	TH_LOG("ioctl_delay_ms = %d", ms);
}

/*
 * With @what held by userspace, delete_module() must be refused.  It is
 * only tried if the module is pinned, so that the test never unloads it.
 */
static void check_rmmod_refused(struct __test_metadata *_metadata,
				int base, const char *what)
{
	int n = module_refcnt(TD_MODULE);
	int ret, err;

	TH_LOG("%s refcnt with %s: %d (%d with nothing open)", TD_MODULE,
	       what, n, base);
	ASSERT_LT(base, n)
		TH_LOG("%s does not pin %s: rmmod would unload it (not tried)",
		       what, TD_MODULE);
	ret = syscall(__NR_delete_module, TD_MODULE, O_NONBLOCK);
	err = ret ? errno : 0;
	TH_LOG("delete_module(%s, O_NONBLOCK) with %s: ret %d, errno %d (%s)",
	       TD_MODULE, what, ret, err, strerror(err));
	ASSERT_EQ(-1, ret) TH_LOG("%s was unloaded", TD_MODULE);
	/* The kernel says EWOULDBLOCK for "in use"; rmmod(8) says EBUSY. */
	EXPECT_TRUE(err == EBUSY || err == EWOULDBLOCK);
}

/* The module's count is back to @base once userspace lets go. */
static void expect_unpinned(struct __test_metadata *_metadata, int base)
{
	int n = module_refcnt(TD_MODULE);

	TH_LOG("%s refcnt after letting go: %d", TD_MODULE, n);
	EXPECT_EQ(base, n);
}

/*
 * rmmod is refused while a file of @path, @what, is open; @req (if not 0)
 * still succeeds on it after the refusal; once it is closed the module is
 * no longer pinned.
 */
static void rmmod_with_fd(struct __test_metadata *_metadata, struct td *td,
			  const char *path, const char *what,
			  unsigned long req, void *arg)
{
	int base = module_refcnt(TD_MODULE);
	char held[32];

	snprintf(held, sizeof(held), "a %s", what);
	open_node(_metadata, td, path);
	check_rmmod_refused(_metadata, base, held);
	if (req)
		EXPECT_EQ(0, xioctl(td->fd, req, arg));
	close_node(_metadata, td, what);
	expect_unpinned(_metadata, base);
}

/* QUERYCAP on a new file of the video node: the device still works. */
static void check_video_works(struct __test_metadata *_metadata,
			      struct td *td)
{
	struct v4l2_capability cap;
	int fd = open(td->video, O_RDWR);
	int err = fd < 0 ? errno : 0;

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", td->video, strerror(err));
	err = xioctl(fd, VIDIOC_QUERYCAP, &cap);
	close(fd);
	TH_LOG("QUERYCAP on a new file of %s: %s", td->video,
	       strerror(err));
	EXPECT_EQ(0, err);
}

FIXTURE_SETUP(core)
{
	struct td *td = &self->td;
	const char *missing;
	double ms;
	int ret;

	td->fd = -1;
	if (access(DBG_LIVE, R_OK) || access(DBG_INSTANCES, R_OK))
		SKIP(return, "no %s: debugfs or vlife-core missing",
		     DBG_INSTANCES);
	if (access(TD_DRIVER, F_OK))
		SKIP(return, "no %s: vlife-testdrv not loaded", TD_DRIVER);
	if (!dev_bound(TD_DRIVER, TD_DEVICE)) {
		ret = drv_write(TD_DRIVER, TD_DEVICE, "bind");
		ASSERT_EQ(0, ret) TH_LOG("bind: %s", strerror(-ret));
	}
	missing = wait_nodes(td);
	if (missing)
		SKIP(return, "no %s", missing);
	/* Let instances from earlier tests finish their delayed release. */
	td->stale = wait_count(1, 0, GONE_MS, &ms);
	ASSERT_LE(0, td->stale);
	if (ms > 100 || td->stale)
		TH_LOG("%d unplugged instance(s) listed after %.1f ms",
		       td->stale, ms);
	TH_LOG("video %s, subdev %s, media %s", td->video, td->subdev,
	       td->media);
	td->ready = true;
}

FIXTURE_TEARDOWN(core)
{
	struct td *td = &self->td;
	const char *missing;
	unsigned int i;
	int ret;

	if (td->call && join_call(td->call, JOIN_MS + DELAY_MS)) {
		TH_LOG("ioctl thread still in the call at teardown");
		_metadata->passed = 0;
		td->call = NULL;	/* leaked: the thread may use it */
	}
	free(td->call);
	for (i = 0; i < NBUFS; i++)
		if (td->map[i])
			munmap(td->map[i], td->len[i]);
	if (td->fd >= 0)
		close(td->fd);
	if (td->delay_set && write_str(TD_DELAY, "0"))
		TH_LOG("could not reset %s", TD_DELAY);
	if (!td->ready)
		return;
	ret = dev_bound(TD_DRIVER, TD_DEVICE) ? 0 :
	      drv_write(TD_DRIVER, TD_DEVICE, "bind");
	missing = ret ? "bound device" : wait_nodes(td);
	if (missing) {
		TH_LOG("teardown could not rebind %s: no %s", TD_DEVICE,
		       missing);
		_metadata->passed = 0;
	}
}

/* 1. A media device file across unbind: EIO, close(), then freed. */
TEST_F_TIMEOUT(core, media_fd_across_unbind, 60)
{
	struct td *td = &self->td;
	struct media_device_info info = { 0 };
	struct media_v2_topology topo = { 0 };
	struct inst in;

	if (!td->ready)
		return;
	open_node(_metadata, td, td->media);
	ASSERT_EQ(0, xioctl(td->fd, MEDIA_IOC_DEVICE_INFO, &info));
	TH_LOG("%s: model \"%s\", driver %s, bus_info %s", td->media,
	       info.model, info.driver, info.bus_info);
	ASSERT_EQ(0, xioctl(td->fd, MEDIA_IOC_G_TOPOLOGY, &topo));
	TH_LOG("topology: %u entities, %u interfaces, %u pads, %u links",
	       topo.num_entities, topo.num_interfaces, topo.num_pads,
	       topo.num_links);
	td_unbind(_metadata);
	check_errno(_metadata, td->fd, MEDIA_IOC_DEVICE_INFO, &info,
		    "MEDIA_IOC_DEVICE_INFO", EIO, ENODEV);
	memset(&topo, 0, sizeof(topo));
	check_errno(_metadata, td->fd, MEDIA_IOC_G_TOPOLOGY, &topo,
		    "MEDIA_IOC_G_TOPOLOGY", EIO, ENODEV);
	get_inst(_metadata, 1, &in, "media fd open after unbind");
	EXPECT_EQ(1, in.media);
	EXPECT_EQ(0, in.driver);
	check_open_fails(_metadata, td->media);
	close_node(_metadata, td, "media fd after unbind");
	expect_gone(_metadata, td, "closing the media fd");
}

/* 2. A subdev file across unbind: ENODEV, poll() at once, close(). */
TEST_F_TIMEOUT(core, subdev_fd_across_unbind, 60)
{
	struct td *td = &self->td;
	struct v4l2_subdev_format sf = {
		.which = V4L2_SUBDEV_FORMAT_ACTIVE, .pad = 1,
	};
	struct inst in;

	if (!td->ready)
		return;
	open_node(_metadata, td, td->subdev);
	ASSERT_EQ(0, xioctl(td->fd, VIDIOC_SUBDEV_G_FMT, &sf));
	TH_LOG("%s pad 1: %ux%u, code 0x%04x", td->subdev,
	       sf.format.width, sf.format.height, sf.format.code);
	EXPECT_EQ(TD_WIDTH, sf.format.width);
	EXPECT_EQ(TD_HEIGHT, sf.format.height);
	EXPECT_EQ(TD_CODE, sf.format.code);
	td_unbind(_metadata);
	memset(&sf, 0, sizeof(sf));
	sf.which = V4L2_SUBDEV_FORMAT_ACTIVE;
	sf.pad = 1;
	check_errno(_metadata, td->fd, VIDIOC_SUBDEV_G_FMT, &sf,
		    "VIDIOC_SUBDEV_G_FMT", ENODEV, ENODEV);
	check_poll_gone(_metadata, td->fd);
	get_inst(_metadata, 1, &in, "subdev fd open after unbind");
	EXPECT_EQ(1, in.v4l2);
	EXPECT_EQ(1, in.subdev);
	check_open_fails(_metadata, td->subdev);
	close_node(_metadata, td, "subdev fd after unbind");
	expect_gone(_metadata, td, "closing the subdev fd");
}

/*
 * 2b. A thread blocked in VIDIOC_DQEVENT on the subdev node is woken by
 * the unplug and gets ENODEV: the V4L2 core's own wait would sleep on.
 */
TEST_F_TIMEOUT(core, subdev_dqevent_blocked_unbind, 60)
{
	struct td *td = &self->td;
	struct v4l2_event_subscription sub = {
		.type = V4L2_EVENT_CTRL, .id = V4L2_CID_CONTRAST,
	};
	static struct v4l2_event ev;	/* written by the thread */
	struct unbind_time ut;
	struct call *c;

	if (!td->ready)
		return;
	open_node(_metadata, td, td->subdev);
	ASSERT_EQ(0, xioctl(td->fd, VIDIOC_SUBSCRIBE_EVENT, &sub));
	start_call(_metadata, td, VIDIOC_DQEVENT, &ev);
	c = td->call;
	sleep_ms(INSIDE_MS);
	ASSERT_EQ(0, __atomic_load_n(&c->done, __ATOMIC_SEQ_CST))
		TH_LOG("DQEVENT returned with no event: ret %d, errno %d (%s)",
		       c->ret, c->err, strerror(c->err));
	do_unbind(_metadata, TD_DRIVER, TD_DEVICE, &ut);
	ASSERT_EQ(0, join_call(c, JOIN_MS))
		TH_LOG("DQEVENT still blocked %d ms after unbind", JOIN_MS);
	TH_LOG("unbind %.1f ms; DQEVENT: ret %d, errno %d (%s), %.1f ms after",
	       ut.end - ut.start, c->ret, c->err, strerror(c->err),
	       c->t_done - ut.start);
	EXPECT_EQ(-1, c->ret);
	EXPECT_EQ(ENODEV, c->err);
	EXPECT_GT(POLL_MAX_MS, c->t_done - ut.start)
		TH_LOG("the waiter was not woken at once");
	close_node(_metadata, td, "subdev fd after unbind");
	expect_gone(_metadata, td, "closing the subdev fd");
}

/* 3. Unbind waits for an ioctl in flight; later calls get ENODEV. */
TEST_F_TIMEOUT(core, ioctl_in_flight_unbind, 60)
{
	struct td *td = &self->td;
	struct v4l2_capability cap;
	struct inst in;
	struct call *c;
	double ms;

	if (!td->ready)
		return;
	if (access(TD_DELAY, W_OK))
		SKIP(return, "no writable %s", TD_DELAY);
	open_node(_metadata, td, td->video);
	set_delay(_metadata, td, DELAY_MS);
	start_call(_metadata, td, VIDIOC_LOG_STATUS, NULL);
	c = td->call;
	sleep_ms(INSIDE_MS);
	ASSERT_EQ(0, __atomic_load_n(&c->done, __ATOMIC_SEQ_CST))
		TH_LOG("LOG_STATUS returned early: ret %d, errno %d (%s)",
		       c->ret, c->err, strerror(c->err));
	get_inst(_metadata, 0, &in, "LOG_STATUS in flight");
	EXPECT_EQ(1, in.in_flight);
	ms = td_unbind(_metadata);
	ASSERT_EQ(0, join_call(c, JOIN_MS))
		TH_LOG("LOG_STATUS still in the call %d ms after unbind",
		       JOIN_MS);
	TH_LOG("LOG_STATUS returned %d, errno %d (%s) after %.1f ms",
	       c->ret, c->err, c->ret ? strerror(c->err) : "completed",
	       c->t_done - c->t_start);
	EXPECT_TRUE(c->ret == 0 || c->err == ENODEV);
	EXPECT_LE(UNBIND_MIN_MS, ms)
		TH_LOG("unbind did not wait for the call in flight");
	set_delay(_metadata, td, 0);
	check_errno(_metadata, td->fd, VIDIOC_QUERYCAP, &cap,
		    "VIDIOC_QUERYCAP", ENODEV, ENODEV);
	check_errno(_metadata, td->fd, VIDIOC_LOG_STATUS, NULL,
		    "VIDIOC_LOG_STATUS", ENODEV, ENODEV);
	get_inst(_metadata, 1, &in, "after the call returned");
	EXPECT_EQ(0, in.in_flight);
}

/*
 * 4. References counted by kind; the last munmap frees.  A mapping holds
 * its file (vm_file), so the file's reference is dropped at the last
 * munmap, not at close().
 */
TEST_F_TIMEOUT(core, refs_by_kind, 60)
{
	struct td *td = &self->td;
	struct inst in;
	unsigned int i;
	size_t off;
	int sig;

	if (!td->ready)
		return;
	open_node(_metadata, td, td->video);
	get_inst(_metadata, 0, &in, "video fd open");
	EXPECT_EQ(1, in.files);
	map_bufs(_metadata, td);
	get_inst(_metadata, 0, &in, "buffers mapped");
	EXPECT_EQ(1, in.files);
	close_node(_metadata, td, "video fd, buffers mapped");
	get_inst(_metadata, 0, &in, "video fd closed, file held by mappings");
	EXPECT_EQ(1, in.files);
	td_unbind(_metadata);
	get_inst(_metadata, 1, &in, "unbound, buffers mapped");
	EXPECT_EQ(0, in.driver);
	EXPECT_EQ(1, in.files);
	for (i = 0; i < NBUFS; i++) {
		sig = touch_pages(td->map[i], td->len[i], true, &off);
		TH_LOG("read+write buffer %u after unbind: %s", i,
		       sig ? strsignal(sig) : "ok");
		EXPECT_EQ(0, sig);
	}
	unmap_buf(_metadata, td, 0);
	get_inst(_metadata, 1, &in, "one buffer still mapped");
	EXPECT_EQ(1, in.files);
	unmap_buf(_metadata, td, 1);
	expect_gone(_metadata, td, "the last munmap");
}

/* 5. rmmod is refused while a video file is open. */
TEST_F_TIMEOUT(core, rmmod_video_fd, 60)
{
	struct td *td = &self->td;
	struct v4l2_capability cap = { 0 };

	if (!td->ready)
		return;
	rmmod_with_fd(_metadata, td, td->video, "video fd", VIDIOC_QUERYCAP,
		      &cap);
	TH_LOG("QUERYCAP after the refused rmmod: driver %s", cap.driver);
}

/* rmmod is refused while a buffer is mapped, with no file open. */
TEST_F_TIMEOUT(core, rmmod_mapping_no_fd, 60)
{
	struct td *td = &self->td;
	int base = module_refcnt(TD_MODULE);

	if (!td->ready)
		return;
	open_node(_metadata, td, td->video);
	map_bufs(_metadata, td);
	close_node(_metadata, td, "video fd, buffers mapped");
	check_rmmod_refused(_metadata, base, "mappings and no fd");
	check_video_works(_metadata, td);
	unmap_buf(_metadata, td, 0);
	unmap_buf(_metadata, td, 1);
	expect_unpinned(_metadata, base);
}

/*
 * rmmod is refused while a media device file is open: its last close may
 * be the vlife device's last reference, which runs the driver's release
 * code.
 */
TEST_F_TIMEOUT(core, rmmod_media_fd, 60)
{
	struct td *td = &self->td;
	struct media_device_info info = { 0 };

	if (!td->ready)
		return;
	rmmod_with_fd(_metadata, td, td->media, "media fd",
		      MEDIA_IOC_DEVICE_INFO, &info);
}

/* rmmod is refused while a subdev file is open. */
TEST_F_TIMEOUT(core, rmmod_subdev_fd, 60)
{
	struct td *td = &self->td;

	if (!td->ready)
		return;
	rmmod_with_fd(_metadata, td, td->subdev, "subdev fd", 0, NULL);
}

/* 6. Nothing open: unbind frees the instance, rebind makes a new one. */
TEST_F_TIMEOUT(core, no_leak_bind_cycle, 60)
{
	struct td *td = &self->td;
	const char *missing;
	int before, n, ret;
	double ms;

	if (!td->ready)
		return;
	ASSERT_EQ(0, read_int(DBG_LIVE, &before));
	TH_LOG("live before unbind: %d", before);
	td_unbind(_metadata);
	n = wait_live(before - 1, GONE_MS, &ms);
	TH_LOG("live after unbind: %d, %.1f ms", n, ms);
	EXPECT_EQ(before - 1, n);
	EXPECT_EQ(td->stale, count_inst(1, NULL));
	ret = drv_write(TD_DRIVER, TD_DEVICE, "bind");
	ASSERT_EQ(0, ret) TH_LOG("bind: %s", strerror(-ret));
	missing = wait_nodes(td);
	ASSERT_EQ(NULL, missing) TH_LOG("no %s after bind", missing);
	n = wait_live(before, GONE_MS, &ms);
	TH_LOG("live after rebind: %d, %.1f ms", n, ms);
	EXPECT_EQ(before, n);
	EXPECT_EQ(1, count_inst(0, NULL));
}

/*
 * 7. VIDIOC_CREATE_BUFS takes a buffer larger than the format needs
 * (v4l2-compliance asks twice its size) but not one no frame could use:
 * each buffer is allocated in full, vmalloc()ed buffers are charged to no
 * one, and with a few of 1 GB the OOM killer ends other processes.  One
 * 256 MB buffer shows the bound without putting the guest at risk.
 */
TEST_F_TIMEOUT(core, create_bufs_size_bounded, 60)
{
	static const struct {
		unsigned int mul;	/* sizeimage times this, or */
		unsigned int size;	/* this size */
		int err;		/* the errno wanted */
	} cases[] = {
		{ 2, 0, 0 },
		{ 0, 256 << 20, EINVAL },
		{ 0, 0xffffffff, EINVAL },
	};
	struct td *td = &self->td;
	struct v4l2_requestbuffers rb = {
		.type = CAP_TYPE, .memory = V4L2_MEMORY_MMAP,
	};
	struct v4l2_create_buffers cb;
	unsigned int i, size;
	int ret, err;
	double t0;

	if (!td->ready)
		return;
	open_node(_metadata, td, td->video);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(&cb, 0, sizeof(cb));
		cb.count = 1;
		cb.memory = V4L2_MEMORY_MMAP;
		cb.format.type = CAP_TYPE;
		ASSERT_EQ(0, xioctl(td->fd, VIDIOC_G_FMT, &cb.format));
		size = cases[i].size;
		if (cases[i].mul)
			size = cb.format.fmt.pix.sizeimage * cases[i].mul;
		cb.format.fmt.pix.sizeimage = size;
		t0 = now_ms();
		ret = ioctl(td->fd, VIDIOC_CREATE_BUFS, &cb);
		err = ret ? errno : 0;
		TH_LOG("CREATE_BUFS of 1 buffer of %u bytes: %s, %.1f ms",
		       size, err ? strerror(err) : "created", now_ms() - t0);
		EXPECT_EQ(cases[i].err, err);
		ASSERT_EQ(0, xioctl(td->fd, VIDIOC_REQBUFS, &rb));
	}
	close_node(_metadata, td, "video fd");
}

TEST_HARNESS_MAIN
