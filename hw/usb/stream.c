// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-usbcam-emu: the streaming thread.
 *
 * Between a video commit and the next SET_INTERFACE, disconnect or unplug
 * it sends frames on the bulk IN endpoint at the committed frame
 * interval, each cut into payloads of at most dwMaxPayloadTransferSize
 * bytes, each payload starting with a 12-byte header (UVC 1.1 2.4.3.3):
 * bHeaderLength, bmHeaderInfo (EOH, SCR, PTS, EOF on a frame's last
 * payload, FID toggling from frame to frame), the frame's PTS and the
 * payload's SCR, in dwClockFrequency units.  A payload shorter than the
 * maximum ends with a short packet, or a zero-length one when its length
 * is a multiple of the packet size: the host finds payload boundaries
 * that way.  A frame waits while the host does not read (bulk flow
 * control); late frames are skipped, not queued.
 *
 * The main thread stops a run by bumping the generation and signalling
 * the thread (SIGURG, no SA_RESTART) until it parks: a write() blocked on
 * the endpoint then returns EINTR, gadgetfs having dequeued its request.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/usb/video.h>

#include "emu.h"

#define EMU_SIG_KICK	SIGURG
#define EMU_NSEC	1000000000LL

static long long emu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * EMU_NSEC + ts.tv_nsec;
}

static __u32 emu_clock_ticks(long long ns)
{
	return (__u32)(ns / (EMU_NSEC / EMU_CLOCK_HZ));
}

static bool emu_stream_current(struct emu_stream *st, unsigned int gen)
{
	return __atomic_load_n(&st->gen, __ATOMIC_ACQUIRE) == gen;
}

static void emu_kick_handler(int sig)
{
	(void)sig;
}

/* 0, or -errno: EINTR when the run was stopped. */
static int emu_write(struct emu_stream *st, const __u8 *buf, size_t len)
{
	ssize_t n = write(st->fd, buf, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static void emu_le32(__u8 *p, __u32 v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static void emu_header(__u8 *h, __u8 info, __u32 pts)
{
	long long now = emu_now_ns();
	unsigned int sof = (now / 1000000) & 0x7ff;	/* 1 ms frames */

	h[0] = EMU_HEADER_LEN;
	h[1] = UVC_STREAM_EOH | UVC_STREAM_SCR | UVC_STREAM_PTS | info;
	emu_le32(&h[2], pts);			/* dwPresentationTime */
	emu_le32(&h[6], emu_clock_ticks(now));	/* SCR: source clock, */
	h[10] = sof & 0xff;			/* then the SOF number */
	h[11] = sof >> 8;
}

/* Send one payload: @len data bytes after the header. */
static int emu_payload(struct emu *e, const __u8 *data, size_t len,
		       __u8 info, __u32 pts)
{
	struct emu_stream *st = &e->stream;
	size_t total = EMU_HEADER_LEN + len;
	int ret;

	emu_header(st->payload, info | st->fid, pts);
	memcpy(st->payload + EMU_HEADER_LEN, data, len);
	st->payloads++;
	if (e->faults.malformed && !(st->payloads % e->faults.malformed))
		st->payload[0] = 1;	/* shorter than any valid header */
	ret = emu_write(st, st->payload, total);
	if (ret || total == st->params.max_payload ||
	    total % e->maxpacket)
		return ret;
	return emu_write(st, st->payload, 0);	/* zero-length packet */
}

/* The frame's bytes as sent: cut short or run over on request. */
static size_t emu_frame_len(struct emu *e, size_t len)
{
	struct emu_stream *st = &e->stream;
	unsigned long n = st->counter;

	if (e->faults.short_frame && !(n % e->faults.short_frame))
		return len / 2;
	if (e->faults.overrun && !(n % e->faults.overrun)) {
		memset(st->frame + len, 0x55,
		       st->params.max_frame + 4096 - len);
		return st->params.max_frame + 4096;
	}
	return len;
}

static int emu_send_frame(struct emu *e, size_t len, unsigned int gen)
{
	struct emu_stream *st = &e->stream;
	size_t chunk = st->params.max_payload - EMU_HEADER_LEN, off, n;
	__u32 pts = emu_clock_ticks(emu_now_ns());
	int ret;

	len = emu_frame_len(e, len);
	for (off = 0; off < len; off += n) {
		if (!emu_stream_current(st, gen))
			return -EINTR;
		n = len - off < chunk ? len - off : chunk;
		ret = emu_payload(e, st->frame + off, n,
				  off + n == len ? UVC_STREAM_EOF : 0, pts);
		if (ret)
			return ret;
	}
	st->fid ^= UVC_STREAM_FID;
	return 0;
}

static size_t emu_make_frame(struct emu *e)
{
	struct emu_stream *st = &e->stream;
	const struct emu_size *size =
		&emu_frame_find(st->params.format, st->params.frame)->size;
	int ctrl[EMU_CTRLS];
	unsigned int i;

	pthread_mutex_lock(&e->lock);
	for (i = 0; i < EMU_CTRLS; i++)
		ctrl[i] = e->ctrls[i].cur;
	pthread_mutex_unlock(&e->lock);
	if (st->params.format == EMU_FORMAT_MJPEG)
		return emu_frame_mjpeg(st->frame, st->params.max_frame,
				       st->scratch, size, ctrl, st->counter);
	return emu_frame_yuyv(st->frame, size, ctrl, st->counter);
}

static void emu_sleep_until(long long t)
{
	struct timespec ts = {
		.tv_sec = t / EMU_NSEC,
		.tv_nsec = t % EMU_NSEC,
	};

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* One run, from a commit until @gen changes or the endpoint fails. */
static void emu_stream_run(struct emu *e, unsigned int gen)
{
	struct emu_stream *st = &e->stream;
	long long period = st->params.interval * 100LL, next = emu_now_ns();
	int ret = 0;

	st->frames = 0;
	while (emu_stream_current(st, gen)) {
		emu_sleep_until(next);
		if (!emu_stream_current(st, gen))
			break;
		ret = emu_send_frame(e, emu_make_frame(e), gen);
		st->counter++;
		if (ret)
			break;
		st->frames++;
		next += period;
		if (next < emu_now_ns())
			next = emu_now_ns();
	}
	if (ret && ret != -EINTR)
		emu_log("stream: endpoint write: %s", strerror(-ret));
	emu_log("stream: stopped after %lu frames (counter %u)",
		st->frames, st->counter);
}

static void *emu_stream_main(void *arg)
{
	struct emu *e = arg;
	struct emu_stream *st = &e->stream;
	unsigned int gen;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, EMU_SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	pthread_mutex_lock(&e->lock);
	while (!st->quit) {
		if (!st->run) {
			st->parked = st->gen;
			pthread_cond_broadcast(&e->cond);
			pthread_cond_wait(&e->cond, &e->lock);
			continue;
		}
		gen = st->gen;
		pthread_mutex_unlock(&e->lock);
		emu_stream_run(e, gen);
		pthread_mutex_lock(&e->lock);
		if (st->gen == gen)	/* ended by an error: wait to be told */
			st->run = false;
	}
	st->parked = st->gen;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

/**
 * emu_stream_init() - start the (parked) streaming thread
 * @e: the emulator
 *
 * Call with every signal but the kick blocked: the thread inherits that.
 *
 * Return: 0, or -1 with errno set.
 */
int emu_stream_init(struct emu *e)
{
	struct emu_stream *st = &e->stream;
	struct sigaction sa = { .sa_handler = emu_kick_handler };
	int ret;

	st->frame = malloc(EMU_MAX_WIDTH * EMU_MAX_HEIGHT * 2 + 4096);
	st->scratch = malloc(EMU_SCRATCH_SIZE);
	st->payload = malloc(EMU_PAYLOAD_MAX);
	if (!st->frame || !st->scratch || !st->payload) {
		errno = ENOMEM;
		return -1;
	}
	st->fd = -1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(EMU_SIG_KICK, &sa, NULL))
		return -1;
	ret = pthread_create(&st->thread, NULL, emu_stream_main, e);
	if (ret) {
		errno = ret;
		return -1;
	}
	return 0;
}

/* Bump the generation and wait until the thread has parked. */
static void emu_stream_park(struct emu *e, bool quit)
{
	struct emu_stream *st = &e->stream;
	struct timespec ts;

	pthread_mutex_lock(&e->lock);
	st->run = false;
	st->quit = quit;
	__atomic_add_fetch(&st->gen, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&e->cond);
	while (st->parked != st->gen) {
		pthread_kill(st->thread, EMU_SIG_KICK);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000;
		if (ts.tv_nsec >= EMU_NSEC) {
			ts.tv_sec++;
			ts.tv_nsec -= EMU_NSEC;
		}
		pthread_cond_timedwait(&e->cond, &e->lock, &ts);
	}
	st->fd = -1;
	pthread_mutex_unlock(&e->lock);
}

/**
 * emu_stream_stop() - stop streaming; returns once nothing is in flight
 * @e: the emulator
 *
 * A payload the host has not read yet is dropped.
 */
void emu_stream_stop(struct emu *e)
{
	emu_stream_park(e, false);
}

/**
 * emu_stream_start() - (re)start streaming from a new frame
 * @e: the emulator
 * @fd: the configured bulk IN endpoint
 * @p: committed stream parameters
 */
void emu_stream_start(struct emu *e, int fd, const struct emu_params *p)
{
	struct emu_stream *st = &e->stream;
	const struct emu_size *s = &emu_frame_find(p->format, p->frame)->size;

	emu_stream_park(e, false);
	pthread_mutex_lock(&e->lock);
	st->fd = fd;
	st->params = *p;
	st->run = true;
	__atomic_add_fetch(&st->gen, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	emu_log("stream: %s %ux%u, interval %u x 100 ns, payloads of %u",
		p->format == EMU_FORMAT_MJPEG ? "MJPEG" : "YUYV", s->width,
		s->height, p->interval, p->max_payload);
}

/**
 * emu_stream_exit() - stop the thread for good
 * @e: the emulator
 */
void emu_stream_exit(struct emu *e)
{
	struct emu_stream *st = &e->stream;

	emu_stream_park(e, true);
	pthread_join(st->thread, NULL);
	free(st->frame);
	free(st->scratch);
	free(st->payload);
}
