// SPDX-License-Identifier: GPL-2.0
/*
 * unbind-latency - how long a driver's unbind takes with many open files.
 *
 *   unbind-latency /dev/videoN FDS /sys/bus/.../drivers/DRIVER DEVICE
 *
 * Opens FDS files on the node.  Half of them (at least one) wait in the
 * driver: the first streams (four mmap buffers, a thread dequeuing and
 * queuing them again, so it sleeps in DQBUF between frames), the others
 * are non-owners sleeping in poll() for POLLPRI (a control event; a node
 * allows one streaming owner), one thread each.  The rest are idle.  Then
 * DEVICE is written to DRIVER/unbind and two times are printed.  A waiter
 * that is back stays parked (in a read() of a pipe) until the
 * measurement is over: its thread's exit is not the driver's cost.
 *
 *   fds N waiters W write_us T1 waiters_us T2 close_us T3 early E stuck S
 *   streaming X start_s T0
 *
 * T1: the unbind write returned; T2: the last waiter came back (its ioctl
 * failed or its poll() returned), both from the start of the write; T3:
 * closing every file afterwards.  E: waiters that came back before the
 * unbind (their measurement is void), S: waiters still sleeping 20 s after
 * it; X: 1 if the first file streamed.  If the node cannot stream, the
 * first file polls like the others.  T0: the start of the write in
 * seconds of CLOCK_MONOTONIC, to find it in a profile (perf record -k
 * mono).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "vlife-util.h"

#define NBUFS	4

struct waiter {
	pthread_t thread;
	int fd;
	int streaming;
	int done;		/* __atomic: set by the thread at its end */
	double end;
};

static int unbinding;	/* __atomic: the unbind has started */
static int parked[2];	/* a pipe: a waiter that is back reads from it */

static double now_us(void)
{
	return now_ms() * 1e3;
}

static int buf_ioctl(int fd, unsigned long req, int index)
{
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
		.index = index,
	};
	int ret = ioctl(fd, req, &b);

	return ret ? ret : (int)b.index;
}

/* The streaming owner: four buffers queued, then STREAMON. */
static int start_streaming(int fd)
{
	struct v4l2_requestbuffers rb = {
		.count = NBUFS,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	unsigned int i;

	if (ioctl(fd, VIDIOC_REQBUFS, &rb) || rb.count < 1)
		return -1;
	for (i = 0; i < rb.count; i++)
		if (buf_ioctl(fd, VIDIOC_QBUF, i) < 0)
			return -1;
	return ioctl(fd, VIDIOC_STREAMON, &type);
}

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	struct pollfd p = { .fd = w->fd, .events = POLLPRI };
	int i;

	if (w->streaming) {
		while ((i = buf_ioctl(w->fd, VIDIOC_DQBUF, 0)) >= 0 &&
		       buf_ioctl(w->fd, VIDIOC_QBUF, i) >= 0)
			;
	} else {
		/* A control event would end the wait early: poll again. */
		while (poll(&p, 1, 60000) > 0 && p.revents == POLLPRI &&
		       !__atomic_load_n(&unbinding, __ATOMIC_ACQUIRE))
			;
	}
	w->end = now_us();
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	/*
	 * Parked until the measurement is over: a thread's exit (glibc
	 * returning its stack with madvise(), a TLB flush on every CPU)
	 * would compete with the unbind for the CPUs, and be measured.
	 */
	while (read(parked[0], &i, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void subscribe(int fd)
{
	struct v4l2_event_subscription sub = {
		.type = V4L2_EVENT_CTRL,
		.id = V4L2_CID_BRIGHTNESS,
	};

	/* Not every node has the control: poll() waits all the same. */
	ioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub);
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	pthread_attr_t attr;
	struct waiter *w;
	double t0, t1, last, tc;
	int nfds, nw, i, ufd, early = 0, stuck = 0, *fds;
	char path[512];

	nfds = argc == 5 ? atoi(argv[2]) : 0;
	if (nfds < 1) {
		fprintf(stderr,
			"usage: %s /dev/videoN FDS DRIVER_DIR DEVICE\n",
			argv[0]);
		return 2;
	}
	nw = nfds / 2 > 1 ? nfds / 2 : 1;
	rl.rlim_cur = nfds + 64;
	rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		perror("setrlimit");
	snprintf(path, sizeof(path), "%s/unbind", argv[3]);
	ufd = open(path, O_WRONLY);
	fds = calloc(nfds, sizeof(*fds));
	w = calloc(nw, sizeof(*w));
	if (ufd < 0 || !fds || !w || pipe(parked)) {
		perror(path);
		return 1;
	}
	for (i = 0; i < nfds; i++) {
		fds[i] = open(argv[1], O_RDWR);
		if (fds[i] < 0) {
			fprintf(stderr, "open %d: %s\n", i, strerror(errno));
			return 1;
		}
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < nw; i++) {
		w[i].fd = fds[i];
		if (!i && !start_streaming(fds[0]))
			w[i].streaming = 1;
		else
			subscribe(fds[i]);
		if (pthread_create(&w[i].thread, &attr, waiter_fn, &w[i])) {
			perror("pthread_create");
			return 1;
		}
	}
	/* Let every waiter go to sleep, and the stream run. */
	usleep(500000 + nw * 1000);
	for (i = 0; i < nw; i++)
		early += __atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE);

	t0 = now_us();
	__atomic_store_n(&unbinding, 1, __ATOMIC_RELEASE);
	if (write(ufd, argv[4], strlen(argv[4])) < 0)
		fprintf(stderr, "unbind %s: %s\n", argv[4], strerror(errno));
	t1 = now_us();
	last = t0;
	for (i = 0; i < nw; i++) {
		while (!__atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE) &&
		       now_us() - t0 < 20e6)
			usleep(1000);
		if (!__atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE)) {
			stuck++;
			continue;
		}
		if (w[i].end > last)
			last = w[i].end;
	}
	tc = now_us();
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	tc = now_us() - tc;
	close(parked[1]);		/* the waiters exit */
	printf("fds %d waiters %d write_us %.0f waiters_us %.0f", nfds, nw,
	       t1 - t0, last - t0);
	printf(" close_us %.0f early %d stuck %d streaming %d", tc, early,
	       stuck, w[0].streaming);
	printf(" start_s %.6f\n", t0 / 1e6);
	/* A stuck thread is reported, not waited for: exit takes it. */
	return stuck ? 1 : 0;
}
