// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-usbcam-emu: the bulk IN endpoint.
 *
 * Between a video commit and the next stream-off, a timer ticks at the
 * committed frame interval.  Each tick makes a frame and cuts it into
 * payloads of at most dwMaxPayloadTransferSize bytes, each starting with
 * a 12-byte header (UVC 1.1 2.4.3.3): bHeaderLength, bmHeaderInfo (EOH,
 * SCR, PTS, EOF on a frame's last payload, FID toggling from frame to
 * frame), the frame's PTS and the payload's SCR, in dwClockFrequency
 * units.  If the host has not read the previous frame yet, the tick
 * drops its frame instead (the counter still moves on).
 *
 * The payloads go out as 512-byte packets.  A payload ends with a short
 * packet, or with a zero-length one when its length is a multiple of 512
 * but below the maximum: that is how the host finds payload boundaries.
 * A host URB takes packets until it is full or a short packet arrives,
 * so a URB may end inside a payload or carry the end of one payload and
 * the start of the next, exactly as on a real bus.
 *
 * That is how the USB/IP transport sees the bus (emu_stream_urb()).  A
 * gadget transport (raw-gadget) instead takes whole payloads, each with
 * whether a zero-length packet ends it (emu_stream_take()), and lets the
 * UDC cut them into packets; @e->kick tells it when a frame is ready, or
 * the stream stopped and its payload in flight is stale.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/usb/video.h>

#include "emu.h"

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

/* The frame's length as sent: cut short or run over on request. */
static size_t emu_frame_len(struct emu *e, size_t len)
{
	struct emu_stream *st = &e->stream;
	unsigned long n = st->counter;

	if (e->faults.short_frame && !(n % e->faults.short_frame))
		return len / 2;
	if (e->faults.overrun && !(n % e->faults.overrun)) {
		memset(st->frame + len, 0x55,
		       st->params.max_frame + EMU_OVERRUN_EXTRA - len);
		return st->params.max_frame + EMU_OVERRUN_EXTRA;
	}
	return len;
}

/* Cut the frame into payloads, headers included, ready to send. */
static void emu_payloads(struct emu *e, size_t len)
{
	struct emu_stream *st = &e->stream;
	size_t chunk = st->params.max_payload - EMU_HEADER_LEN, off, n;
	__u32 pts = emu_clock_ticks(emu_now_ns());
	struct emu_chunk *c;
	__u8 *p = st->tx;

	st->nchunks = 0;
	for (off = 0; off < len && st->nchunks < EMU_MAX_CHUNKS; off += n) {
		n = len - off < chunk ? len - off : chunk;
		c = &st->chunks[st->nchunks++];
		c->off = p - st->tx;
		c->len = EMU_HEADER_LEN + n;
		c->zlp = c->len < st->params.max_payload &&
			 !(c->len % EMU_MAXPACKET);
		emu_header(p, st->fid | (off + n == len ? UVC_STREAM_EOF : 0),
			   pts);
		memcpy(p + EMU_HEADER_LEN, st->frame + off, n);
		if (e->faults.malformed &&
		    !(++st->payloads % e->faults.malformed))
			p[0] = 1;	/* shorter than any valid header */
		p += c->len;
	}
	st->fid ^= UVC_STREAM_FID;
	st->cur = 0;
	st->cur_off = 0;
}

static size_t emu_make_frame(struct emu *e)
{
	struct emu_stream *st = &e->stream;
	const struct emu_size *size =
		&emu_frame_find(st->params.format, st->params.frame)->size;
	int ctrl[EMU_CTRLS];
	unsigned int i;

	for (i = 0; i < EMU_CTRLS; i++)
		ctrl[i] = e->ctrls[i].cur;
	if (st->params.format == EMU_FORMAT_MJPEG)
		return emu_frame_mjpeg(st->frame, st->params.max_frame,
				       st->scratch, size, ctrl, st->counter);
	return emu_frame_yuyv(st->frame, size, ctrl, st->counter);
}

/*
 * Give packets to the waiting URBs: a URB completes when full or on a
 * short packet (a zero-length one included).
 */
static void emu_feed(struct emu *e)
{
	struct emu_stream *st = &e->stream;
	struct emu_urb *urb;
	struct emu_chunk *c;
	size_t n, room;
	bool end;

	while ((urb = st->urbs) && st->cur < st->nchunks) {
		c = &st->chunks[st->cur];
		n = c->len - st->cur_off;
		n = n < EMU_MAXPACKET ? n : EMU_MAXPACKET;
		room = urb->length - urb->actual;
		if (n > room)
			n = room;	/* no URB is that odd a size here */
		memcpy(urb->buf + urb->actual, st->tx + c->off + st->cur_off,
		       n);
		urb->actual += n;
		st->cur_off += n;
		end = n < EMU_MAXPACKET;	/* a short packet */
		if (st->cur_off == c->len && (end || !c->zlp)) {
			st->cur++;	/* else the ZLP is the next packet */
			st->cur_off = 0;
		}
		if (end || urb->actual == urb->length) {
			st->urbs = urb->next;
			emu_urb_complete(e, urb, 0);
		}
	}
	if (st->cur == st->nchunks)
		st->nchunks = 0;
}

/**
 * emu_stream_tick() - the frame timer expired
 * @e: the emulator
 */
void emu_stream_tick(struct emu *e)
{
	struct emu_stream *st = &e->stream;
	__u64 ticks;

	if (read(st->timer, &ticks, sizeof(ticks)) != sizeof(ticks) || !st->on)
		return;
	st->counter += ticks;
	st->dropped += ticks - 1;	/* ticks we were too busy to see */
	if (st->nchunks) {		/* the host is still reading */
		st->dropped++;
		return;
	}
	emu_payloads(e, emu_frame_len(e, emu_make_frame(e)));
	st->frames++;
	emu_feed(e);
	if (e->kick)
		e->kick(e);
}

/**
 * emu_stream_take() - the next payload of the frame being sent, whole
 * @e: the emulator
 * @buf: where it goes: room for EMU_PAYLOAD_MAX bytes
 * @zlp: set if a zero-length packet must end it
 *
 * The payload counts as sent: once the frame's last one is taken, the
 * next tick makes a new frame.
 *
 * Return: its length, 0 if there is none.
 */
size_t emu_stream_take(struct emu *e, __u8 *buf, bool *zlp)
{
	struct emu_stream *st = &e->stream;
	struct emu_chunk *c;

	if (!st->on || st->cur >= st->nchunks)
		return 0;
	c = &st->chunks[st->cur++];
	memcpy(buf, st->tx + c->off, c->len);
	*zlp = c->zlp;
	if (st->cur == st->nchunks)
		st->nchunks = 0;
	return c->len;
}

/**
 * emu_stream_urb() - the host submitted a bulk IN URB
 * @e: the emulator
 * @urb: it, with room for its length; owned by the stream from now on
 */
void emu_stream_urb(struct emu *e, struct emu_urb *urb)
{
	struct emu_urb **p = &e->stream.urbs;

	while (*p)
		p = &(*p)->next;
	urb->next = NULL;
	*p = urb;
	emu_feed(e);
}

/**
 * emu_stream_unlink() - the host cancels a URB
 * @e: the emulator
 * @seqnum: the URB's USB/IP sequence number
 *
 * Return: true if it was still waiting (now freed), false if it already
 * completed.
 */
bool emu_stream_unlink(struct emu *e, __u32 seqnum)
{
	struct emu_urb **p, *urb;

	for (p = &e->stream.urbs; (urb = *p); p = &urb->next) {
		if (urb->seqnum == seqnum) {
			*p = urb->next;
			free(urb);
			return true;
		}
	}
	return false;
}

/**
 * emu_stream_flush_urbs() - forget every URB (the link is gone)
 * @e: the emulator
 */
void emu_stream_flush_urbs(struct emu *e)
{
	struct emu_urb *urb;

	while ((urb = e->stream.urbs)) {
		e->stream.urbs = urb->next;
		free(urb);
	}
}

static void emu_timer_set(struct emu *e, long long period_ns)
{
	struct itimerspec it = {
		.it_value = { .tv_nsec = period_ns ? 1 : 0 },
		.it_interval = {
			.tv_sec = period_ns / EMU_NSEC,
			.tv_nsec = period_ns % EMU_NSEC,
		},
	};

	timerfd_settime(e->stream.timer, 0, &it, NULL);
}

/**
 * emu_stream_start() - (re)start streaming with the committed parameters
 * @e: the emulator
 *
 * The first frame goes out at once; a frame in progress is dropped.
 */
void emu_stream_start(struct emu *e)
{
	struct emu_stream *st = &e->stream;
	const struct emu_params *p = &e->commit;
	const struct emu_size *s = &emu_frame_find(p->format, p->frame)->size;

	emu_stream_stop(e);
	st->params = *p;
	st->on = true;
	st->frames = 0;
	st->dropped = 0;
	emu_timer_set(e, p->interval * 100LL);
	emu_log("stream: %s %ux%u, %u fps, payloads of %u",
		p->format == EMU_FORMAT_MJPEG ? "MJPEG" : "YUYV", s->width,
		s->height, 10000000 / p->interval, p->max_payload);
}

/**
 * emu_stream_stop() - stop streaming; a payload not yet read is dropped
 * @e: the emulator
 *
 * URBs stay queued: the host cancels them when it wants them back.
 */
void emu_stream_stop(struct emu *e)
{
	struct emu_stream *st = &e->stream;

	st->nchunks = 0;
	if (!st->on)
		return;
	st->on = false;
	st->gen++;
	if (e->kick)
		e->kick(e);
	emu_timer_set(e, 0);
	emu_log("stream: stopped after %lu frames, %lu dropped (counter %u)",
		st->frames, st->dropped, st->counter);
}

/**
 * emu_stream_init() - buffers and the frame timer
 * @e: the emulator
 *
 * Return: 0, or -1 with errno set.
 */
int emu_stream_init(struct emu *e)
{
	struct emu_stream *st = &e->stream;
	size_t frame = EMU_MAX_FRAME + EMU_OVERRUN_EXTRA;

	st->frame = malloc(frame);
	st->scratch = malloc(EMU_SCRATCH_SIZE);
	st->tx = malloc(frame + EMU_MAX_CHUNKS * EMU_HEADER_LEN);
	st->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (!st->frame || !st->scratch || !st->tx) {
		errno = ENOMEM;
		return -1;
	}
	return st->timer < 0 ? -1 : 0;
}

/**
 * emu_stream_exit() - free what emu_stream_init() allocated
 * @e: the emulator
 */
void emu_stream_exit(struct emu *e)
{
	struct emu_stream *st = &e->stream;

	emu_stream_stop(e);
	emu_stream_flush_urbs(e);
	close(st->timer);
	free(st->frame);
	free(st->scratch);
	free(st->tx);
}
