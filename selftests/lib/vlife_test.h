/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vlife_test.h - what the vlife kselftests built on kselftest_harness.h
 * (selftests/contract and selftests/core) add to the helpers of every vlife
 * program (userspace-tools/include/vlife-util.h, included here): line-
 * buffered output, and mapping a buffer and unbinding a device as asserted
 * steps of a test.
 *
 * A device is named by its driver's sysfs directory @drv (for example
 * /sys/bus/platform/drivers/vivid) and its name there @dev (vivid.0).
 * Include it after defining _GNU_SOURCE, in place of kselftest_harness.h.
 */
#ifndef VLIFE_TEST_H
#define VLIFE_TEST_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/videodev2.h>

#include "kselftest_harness.h"
#include "vlife-util.h"

#define AT_ONCE_MS	100	/* "returns at once" */
#define NODE_WAIT_MS	10000	/* for nodes to appear after bind */
#define NODE_PATH	(sizeof("/dev/") + 256)
#define CAP_TYPE	V4L2_BUF_TYPE_VIDEO_CAPTURE

/* When the last unbind started and returned (ms, CLOCK_MONOTONIC). */
struct unbind_time {
	double start;
	double end;
};

/* Line-buffered output so the harness's and the tests' lines interleave. */
static void __attribute__((constructor)) vlife_test_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
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

#endif /* VLIFE_TEST_H */
