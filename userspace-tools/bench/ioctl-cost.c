// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl-cost - time cheap V4L2 ioctls on one node, or on two side by side.
 *
 *   ioctl-cost [-p PEER] /dev/videoN [calls per batch [batches [IOCTL]]]
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
 * -p PEER: the same on the node PEER, each batch of the node followed by
 * one of the peer (in alternating order), and the line is "<name> <ns>
 * <peer ns> <ratio>", the ratio of the two medians: both are taken over
 * the same seconds, so the drift of a shared machine's load cancels out
 * of it (medians of runs minutes apart do not cancel it).  Not the median
 * of the batch ratios: a QBUF+DQBUF batch is a few calls, and one
 * interrupt decides its ratio.
 *
 * IOCTL: that one only (to profile it).  An ioctl a node does not offer
 * prints "<name> n/a <reason>".  Used to compare a vlife node (every call
 * through the unplug gate) with vivid in the same VM run; only ratios
 * between nodes mean anything.
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

/* A node measured: the node, or the peer (-p). */
struct node {
	int fd;
	int nbufs;			/* QBUF+DQBUF: buffers streaming */
	const char *why;		/* not measured: why */
	double ns[MAX_BATCHES];		/* ns per call, each batch */
};

static const char *only;
static struct node nodes[2];
static int nnodes = 1;

static double now_ns(void)
{
	return now_ms() * 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[MAX_BATCHES];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/*
 * The line of one ioctl: "n/a" with the first reason, the node's median,
 * and with a peer its median and the ratio of the medians.
 */
static void report(const char *name, int batches)
{
	double a, p;
	int k;

	for (k = 0; k < nnodes; k++)
		if (nodes[k].why) {
			printf("%s n/a %s%s\n", name, k ? "peer: " : "",
			       nodes[k].why);
			return;
		}
	a = median(nodes[0].ns, batches);
	printf("%s %.0f", name, a);
	if (nnodes == 2) {
		p = median(nodes[1].ns, batches);
		printf(" %.0f %.2f", p, a / p);
	}
	printf("\n");
}

/* One batch of @n calls on @nd. */
static void batch(struct node *nd, unsigned long req, void *arg, long n,
		  int b)
{
	double start = now_ns();
	long i;

	for (i = 0; i < n; i++)
		ioctl(nd->fd, req, arg);
	nd->ns[b] = (now_ns() - start) / n;
}

/* @arg0 for the node, @arg1 for the peer: each its own copy. */
static void bench(const char *name, unsigned long req, void *arg0,
		  void *arg1, long n, int batches)
{
	void *arg[2] = { arg0, arg1 };
	int b, j, k;

	if (only && strcmp(only, name))
		return;
	for (k = 0; k < nnodes; k++)
		nodes[k].why = ioctl(nodes[k].fd, req, arg[k]) ?
			strerror(errno) : NULL;
	for (k = 0; k < nnodes; k++)
		if (nodes[k].why)
			batches = 0;
	/* batch b: the node first if b is even, the peer first if odd */
	for (b = 0; b < batches; b++)
		for (j = 0; j < nnodes; j++) {
			k = b % 2 ? nnodes - 1 - j : j;
			batch(&nodes[k], req, arg[k], n, b);
		}
	report(name, batches);
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

/* @nd streaming into its buffers, or @nd->why set. */
static void stream_on(struct node *nd)
{
	struct v4l2_requestbuffers rb = {
		.count = MAX_BUFS,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	int i;

	nd->why = NULL;
	if (ioctl(nd->fd, VIDIOC_REQBUFS, &rb)) {
		/* Large dma-contig buffers may not be there: fewer. */
		rb.count = 2;
		if (ioctl(nd->fd, VIDIOC_REQBUFS, &rb)) {
			nd->why = "REQBUFS failed";
			return;
		}
	}
	nd->nbufs = rb.count > MAX_BUFS ? MAX_BUFS : rb.count;
	for (i = 0; i < nd->nbufs; i++)
		if (qbuf(nd->fd, VIDIOC_QBUF, i))
			nd->why = "QBUF failed";
	if (!nd->why && ioctl(nd->fd, VIDIOC_STREAMON, &type))
		nd->why = "STREAMON failed";
}

static void stream_off(struct node *nd)
{
	struct v4l2_requestbuffers rb = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	ioctl(nd->fd, VIDIOC_STREAMOFF, &type);
	ioctl(nd->fd, VIDIOC_REQBUFS, &rb);
}

/* One batch: every buffer, once filled, dequeued and queued again. */
static void qbuf_batch(struct node *nd, int b)
{
	double start;
	int i;

	if (wait_filled(nd->fd, nd->nbufs)) {
		nd->why = "no filled buffers";
		return;
	}
	start = now_ns();
	for (i = 0; i < nd->nbufs; i++)
		if (qbuf(nd->fd, VIDIOC_DQBUF, i))
			nd->why = "DQBUF failed";
	for (i = 0; i < nd->nbufs; i++)
		if (qbuf(nd->fd, VIDIOC_QBUF, i))
			nd->why = "QBUF failed";
	nd->ns[b] = (now_ns() - start) / nd->nbufs;
}

static void bench_qbuf(int batches)
{
	int b, j, k;

	if (only && strcmp(only, "QBUF+DQBUF"))
		return;
	for (k = 0; k < nnodes; k++)
		stream_on(&nodes[k]);
	for (b = 0; b < batches; b++)
		for (j = 0; j < nnodes; j++) {
			k = b % 2 ? nnodes - 1 - j : j;
			if (!nodes[k].why)
				qbuf_batch(&nodes[k], b);
		}
	report("QBUF+DQBUF", batches);
	for (k = 0; k < nnodes; k++)
		stream_off(&nodes[k]);
}

int main(int argc, char **argv)
{
	struct v4l2_capability cap[2];
	struct v4l2_format fmt[2] = {
		{ .type = V4L2_BUF_TYPE_VIDEO_CAPTURE },
		{ .type = V4L2_BUF_TYPE_VIDEO_CAPTURE },
	};
	struct v4l2_control ctrl[2] = { { 0 } };
	const char *path[2] = { NULL, NULL };
	long n;
	int batches, k;

	if (argc > 2 && !strcmp(argv[1], "-p")) {
		path[1] = argv[2];
		nnodes = 2;
		argv += 2;
		argc -= 2;
	}
	path[0] = argv[1];
	n = argc > 2 ? atol(argv[2]) : 5000;
	batches = argc > 3 ? atoi(argv[3]) : 9;
	only = argc > 4 ? argv[4] : NULL;
	if (argc < 2 || n < 1 || batches < 1 || batches > MAX_BATCHES) {
		fprintf(stderr, "usage: %s [-p PEER] /dev/videoN %s\n",
			argv[0], "[calls [batches (1-64) [IOCTL]]]");
		return 2;
	}
	for (k = 0; k < nnodes; k++) {
		/* Non-blocking: a DQBUF that would wait is a failure. */
		nodes[k].fd = open(path[k], O_RDWR | O_NONBLOCK);
		if (nodes[k].fd < 0) {
			perror(path[k]);
			return 1;
		}
	}
	bench("QUERYCAP", VIDIOC_QUERYCAP, &cap[0], &cap[1], n, batches);
	bench("G_FMT", VIDIOC_G_FMT, &fmt[0], &fmt[1], n, batches);
	for (k = 0; k < nnodes; k++)
		ctrl[k].id = pick_ctrl(nodes[k].fd);
	if (ctrl[0].id && (nnodes == 1 || ctrl[1].id))
		bench("G_CTRL", VIDIOC_G_CTRL, &ctrl[0], &ctrl[1], n,
		      batches);
	else if (!only || !strcmp(only, "G_CTRL"))
		printf("G_CTRL n/a %sno readable control\n",
		       ctrl[0].id ? "peer: " : "");
	bench_qbuf(batches);
	for (k = 0; k < nnodes; k++)
		close(nodes[k].fd);
	return 0;
}
