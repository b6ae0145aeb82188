// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl-cost - time cheap V4L2 ioctls on one node.
 *
 *   ioctl-cost /dev/videoN [iterations]
 *
 * Prints one line per ioctl: "<name> <ns per call>".  Used to compare a
 * vlife node (every call through the unplug gate) with vivid in the same
 * VM run; only ratios between nodes mean anything.
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

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int bench(int fd, const char *name, unsigned long req, void *arg,
		 long n)
{
	double start;
	long i;

	if (ioctl(fd, req, arg)) {
		fprintf(stderr, "%s: %s\n", name, strerror(errno));
		return 1;
	}
	start = now_ns();
	for (i = 0; i < n; i++)
		ioctl(fd, req, arg);
	printf("%s %.0f\n", name, (now_ns() - start) / n);
	return 0;
}

int main(int argc, char **argv)
{
	struct v4l2_capability cap;
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	long n = argc > 2 ? atol(argv[2]) : 20000;
	int fd, ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s /dev/videoN [iterations]\n",
			argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	ret |= bench(fd, "QUERYCAP", VIDIOC_QUERYCAP, &cap, n);
	ret |= bench(fd, "G_FMT", VIDIOC_G_FMT, &fmt, n);
	close(fd);
	return ret;
}
