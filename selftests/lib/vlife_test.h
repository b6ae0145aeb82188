/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vlife_test.h - helpers shared by the vlife kselftests (selftests/contract
 * and selftests/core): time, sysfs bind and unbind of a device, lookup of
 * a video4linux node by its sysfs name, and ioctl and page-touch wrappers.
 *
 * A device is named by its driver's sysfs directory @drv (for example
 * /sys/bus/platform/drivers/vivid) and its name there @dev (vivid.0).
 * Include it after defining _GNU_SOURCE, in place of kselftest_harness.h.
 */
#ifndef VLIFE_TEST_H
#define VLIFE_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "kselftest_harness.h"

#define AT_ONCE_MS	100	/* "returns at once" */
#define NODE_WAIT_MS	10000	/* for nodes to appear after bind */
#define NODE_PATH	(sizeof("/dev/") + 256)
#define CAP_TYPE	V4L2_BUF_TYPE_VIDEO_CAPTURE

/* When the last unbind started and returned (ms, CLOCK_MONOTONIC). */
struct unbind_time {
	double start;
	double end;
};

/* CLOCK_MONOTONIC in ms. */
static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Sleep @ms milliseconds. */
static inline void sleep_ms(int ms)
{
	usleep(ms * 1000);
}

/* Line-buffered output so the harness's and the tests' lines interleave. */
static void __attribute__((constructor)) vlife_test_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* ioctl() that returns 0 or errno. */
static inline int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? errno : 0;
}

/* First line of @path, without its newline: 0 or -errno. */
static inline int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, size, f))
		ret = -EIO;
	else
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
	return ret;
}

/* Write @s to the file @path: 0 or -errno. */
static inline int write_str(const char *path, const char *s)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Whether the device @dev is bound to the driver @drv. */
static inline bool dev_bound(const char *drv, const char *dev)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", drv, dev);
	return access(p, F_OK) == 0;
}

/* Write @dev to the driver's @file ("bind", "unbind"): 0 or -errno. */
static inline int drv_write(const char *drv, const char *dev,
			    const char *file)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", drv, file);
	return write_str(p, dev);
}

/*
 * /dev node of the video4linux node @prefix* (video, v4l-subdev) whose
 * sysfs name is @name, if it exists in /dev: 0 or -ENOENT.
 */
static inline int find_v4l(const char *prefix, const char *name, char *path,
			   size_t size)
{
	char p[PATH_MAX], s[256];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	d = opendir("/sys/class/video4linux");
	if (!d)
		return -ENOENT;
	while (ret && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(p, sizeof(p), "/sys/class/video4linux/%s/name",
			 de->d_name);
		if (read_line(p, s, sizeof(s)) || strcmp(s, name))
			continue;
		snprintf(path, size, "/dev/%s", de->d_name);
		ret = access(path, F_OK) ? -ENOENT : 0;
	}
	closedir(d);
	return ret;
}

/* QUERYBUF MMAP buffer @i of @fd and mmap() it: @mem and @len set. */
static inline void map_buf(struct __test_metadata *_metadata, int fd,
			   unsigned int i, void **mem, size_t *len)
{
	struct v4l2_buffer b = {
		.index = i, .type = CAP_TYPE, .memory = V4L2_MEMORY_MMAP,
	};
	int err;

	ASSERT_EQ(0, xioctl(fd, VIDIOC_QUERYBUF, &b));
	*mem = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    b.m.offset);
	err = *mem == MAP_FAILED ? errno : 0;
	ASSERT_NE(MAP_FAILED, *mem) {
		*mem = NULL;
		TH_LOG("mmap buffer %u: %s", i, strerror(err));
	}
	*len = b.length;
}

/* Unbind @dev from @drv, asserting it worked; its start and end in @ut. */
static inline void do_unbind(struct __test_metadata *_metadata,
			     const char *drv, const char *dev,
			     struct unbind_time *ut)
{
	int ret;

	ut->start = now_ms();
	ret = drv_write(drv, dev, "unbind");
	ut->end = now_ms();
	ASSERT_EQ(0, ret) TH_LOG("unbind: %s", strerror(-ret));
	TH_LOG("unbind took %.1f ms", ut->end - ut->start);
}

/* Touching mapped memory must not fault: SIGBUS/SIGSEGV caught here. */
static sigjmp_buf touch_env;
static int touch_sig;
static size_t touch_off;

/* Signal handler of touch_pages(): back out of the faulting access. */
static inline void touch_handler(int sig)
{
	__atomic_store_n(&touch_sig, sig, __ATOMIC_SEQ_CST);
	siglongjmp(touch_env, 1);
}

/*
 * Read (and write if @wr) each page of @p: 0 or the signal it raised, at
 * the offset stored in @off.
 */
static inline int touch_pages(unsigned char *p, size_t len, bool wr,
			      size_t *off)
{
	struct sigaction sa = { .sa_handler = touch_handler };
	struct sigaction obus, osegv;
	size_t pg = sysconf(_SC_PAGESIZE);
	unsigned char v;
	size_t i;

	__atomic_store_n(&touch_sig, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&touch_off, 0, __ATOMIC_SEQ_CST);
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	if (!sigsetjmp(touch_env, 1)) {
		for (i = 0; i < len; i += pg) {
			__atomic_store_n(&touch_off, i, __ATOMIC_SEQ_CST);
			v = __atomic_load_n(p + i, __ATOMIC_SEQ_CST);
			if (wr)
				__atomic_store_n(p + i, v ^ 0x5a,
						 __ATOMIC_SEQ_CST);
		}
	}
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	*off = __atomic_load_n(&touch_off, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&touch_sig, __ATOMIC_SEQ_CST);
}

#endif /* VLIFE_TEST_H */
