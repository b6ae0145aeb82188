// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl-cost - time cheap V4L2 ioctls on one node.
 *
 *   ioctl-cost /dev/videoN [calls per batch [batches [IOCTL]]]
 *
 * Prints one line per ioctl: "<name> <ns per call>", the median over the
 * batches (default 9 batches of 5000 calls):
 *
 *   QUERYCAP, G_FMT  on the capture queue;
 *   G_CTRL           of V4L2_CID_BRIGHTNESS, or of the node's first
 *                    integer, boolean or menu control;
 *   QBUF+DQBUF       one cycle on a buffer the driver has already filled:
 *                    the node streams into its mmap buffers; once every
 *                    buffer is done (VIDIOC_QUERYBUF), all are dequeued
 *                    and queued again back to back, timed; the batch's
 *                    time over its buffers is one cycle.
 *
 * IOCTL: that one only (to profile it).  An ioctl the node does not offer
 * prints "<name> n/a <reason>".  Used to
 * compare a vlife node (every call through the unplug gate) with vivid in
 * the same VM run; only ratios between nodes mean anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "vlife-util.h"

#define MAX_BATCHES	64
#define MAX_BUFS	8

static const char *only;

static double now_ns(void)
{
	return now_ms() * 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int bench(int fd, const char *name, unsigned long req, void *arg,
		 long n, int batches)
{
	double ns[MAX_BATCHES], start;
	long i;
	int b;

	if (only && strcmp(only, name))
		return 0;
	if (ioctl(fd, req, arg)) {
		printf("%s n/a %s\n", name, strerror(errno));
		return 0;
	}
	for (b = 0; b < batches; b++) {
		start = now_ns();
		for (i = 0; i < n; i++)
			ioctl(fd, req, arg);
		ns[b] = (now_ns() - start) / n;
	}
	printf("%s %.0f\n", name, median(ns, batches));
	return 0;
}

/* The control G_CTRL reads: brightness, or the first plain one. */
static __u32 pick_ctrl(int fd)
{
	struct v4l2_query_ext_ctrl q = { .id = V4L2_CID_BRIGHTNESS };

	if (!ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q) &&
	    !(q.flags & V4L2_CTRL_FLAG_WRITE_ONLY))
		return q.id;
	memset(&q, 0, sizeof(q));
	q.id = V4L2_CTRL_FLAG_NEXT_CTRL;
	while (!ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q)) {
		if ((q.type == V4L2_CTRL_TYPE_INTEGER ||
		     q.type == V4L2_CTRL_TYPE_BOOLEAN ||
		     q.type == V4L2_CTRL_TYPE_MENU) &&
		    !(q.flags & (V4L2_CTRL_FLAG_WRITE_ONLY |
				 V4L2_CTRL_FLAG_DISABLED)))
			return q.id;
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	return 0;
}

/* Wait until the driver has filled every one of the @n buffers. */
static int wait_filled(int fd, int n)
{
	struct v4l2_buffer b;
	int i, done, tries;

	for (tries = 0; tries < 2000; tries++) {
		for (i = 0, done = 0; i < n; i++) {
			memset(&b, 0, sizeof(b));
			b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
			b.memory = V4L2_MEMORY_MMAP;
			b.index = i;
			if (ioctl(fd, VIDIOC_QUERYBUF, &b))
				return -1;
			done += !!(b.flags & V4L2_BUF_FLAG_DONE);
		}
		if (done == n)
			return 0;
		usleep(5000);
	}
	errno = ETIMEDOUT;
	return -1;
}

static int qbuf(int fd, unsigned long req, int index)
{
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
		.index = index,
	};

	return ioctl(fd, req, &b);
}

static void bench_qbuf(int fd, int batches)
{
	struct v4l2_requestbuffers rb = {
		.count = MAX_BUFS,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	double ns[MAX_BATCHES], start;
	const char *why = NULL;
	int b, i, n;

	if (only && strcmp(only, "QBUF+DQBUF"))
		return;
	if (ioctl(fd, VIDIOC_REQBUFS, &rb)) {
		/* Large dma-contig buffers may not be there: fewer. */
		rb.count = 2;
		if (ioctl(fd, VIDIOC_REQBUFS, &rb)) {
			printf("QBUF+DQBUF n/a REQBUFS: %s\n", strerror(errno));
			return;
		}
	}
	n = rb.count > MAX_BUFS ? MAX_BUFS : rb.count;
	for (i = 0; i < n; i++)
		if (qbuf(fd, VIDIOC_QBUF, i))
			why = "QBUF";
	if (!why && ioctl(fd, VIDIOC_STREAMON, &type))
		why = "STREAMON";
	for (b = 0; !why && b < batches; b++) {
		if (wait_filled(fd, n)) {
			why = "waiting for filled buffers";
			break;
		}
		start = now_ns();
		for (i = 0; i < n; i++)
			if (qbuf(fd, VIDIOC_DQBUF, i))
				why = "DQBUF";
		for (i = 0; i < n; i++)
			if (qbuf(fd, VIDIOC_QBUF, i))
				why = "QBUF";
		ns[b] = (now_ns() - start) / n;
	}
	if (why)
		printf("QBUF+DQBUF n/a %s: %s\n", why, strerror(errno));
	else
		printf("QBUF+DQBUF %.0f\n", median(ns, batches));
	ioctl(fd, VIDIOC_STREAMOFF, &type);
	rb.count = 0;
	ioctl(fd, VIDIOC_REQBUFS, &rb);
}

int main(int argc, char **argv)
{
	struct v4l2_capability cap;
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_control ctrl = { 0 };
	long n = argc > 2 ? atol(argv[2]) : 5000;
	int batches = argc > 3 ? atoi(argv[3]) : 9;
	int fd;

	only = argc > 4 ? argv[4] : NULL;
	if (argc < 2 || n < 1 || batches < 1 || batches > MAX_BATCHES) {
		fprintf(stderr,
			"usage: %s /dev/videoN [calls [batches (1-%d) [IOCTL]]]\n",
			argv[0], MAX_BATCHES);
		return 2;
	}
	/* Non-blocking: a DQBUF that would wait is a failed measurement. */
	fd = open(argv[1], O_RDWR | O_NONBLOCK);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	bench(fd, "QUERYCAP", VIDIOC_QUERYCAP, &cap, n, batches);
	bench(fd, "G_FMT", VIDIOC_G_FMT, &fmt, n, batches);
	ctrl.id = pick_ctrl(fd);
	if (ctrl.id)
		bench(fd, "G_CTRL", VIDIOC_G_CTRL, &ctrl, n, batches);
	else if (!only || !strcmp(only, "G_CTRL"))
		printf("G_CTRL n/a no readable control\n");
	bench_qbuf(fd, batches);
	close(fd);
	return 0;
}
