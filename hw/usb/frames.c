// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-usbcam-emu: frame contents.
 *
 * Eight vertical colour bars (white, yellow, cyan, green, magenta, red,
 * blue, black; BT.601 limited range), seen through the processing unit:
 * brightness adds to luma, contrast scales it around mid-grey, saturation
 * scales chroma.  The frame counter, a 32-bit little-endian number that
 * goes up by one for every frame made, is in bytes 0-3 of a YUYV frame
 * and in a comment segment of an MJPEG frame (EMU_MJPEG_COUNTER_OFFSET),
 * so that tests can read it back.
 */
#include <string.h>

#include "emu.h"

#define EMU_BARS	8

/* Y, U, V of each bar at default controls */
static const __u8 emu_bars[EMU_BARS][3] = {
	{ 235, 128, 128 }, { 210, 16, 146 }, { 170, 166, 16 },
	{ 145, 54, 34 }, { 106, 202, 222 }, { 81, 90, 240 },
	{ 41, 240, 110 }, { 16, 128, 128 },
};

static __u8 emu_clamp(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : v;
}

/* One bar's Y, U, V after the processing unit. */
static void emu_bar_yuv(unsigned int bar, const int ctrl[EMU_CTRLS],
			__u8 out[3])
{
	const __u8 *c = emu_bars[bar];
	int y = (c[0] - 128) * ctrl[EMU_CTRL_CONTRAST] / 100 + 128;

	out[0] = emu_clamp(y + ctrl[EMU_CTRL_BRIGHTNESS]);
	out[1] = emu_clamp((c[1] - 128) * ctrl[EMU_CTRL_SATURATION] / 100 +
			   128);
	out[2] = emu_clamp((c[2] - 128) * ctrl[EMU_CTRL_SATURATION] / 100 +
			   128);
}

static void emu_put_counter(__u8 *p, __u32 counter)
{
	p[0] = counter & 0xff;
	p[1] = (counter >> 8) & 0xff;
	p[2] = (counter >> 16) & 0xff;
	p[3] = counter >> 24;
}

/**
 * emu_frame_yuyv() - a YUYV frame
 * @buf: room for width * height * 2 bytes
 * @size: the frame size
 * @ctrl: current value of each processing unit control
 * @counter: frame counter, written into bytes 0-3
 *
 * Return: the frame's length in bytes.
 */
size_t emu_frame_yuyv(__u8 *buf, const struct emu_size *size,
		      const int ctrl[EMU_CTRLS], __u32 counter)
{
	size_t line = size->width * 2;
	unsigned int x, y, bar;
	__u8 yuv[3];

	for (x = 0; x < size->width; x += 2) {
		bar = x * EMU_BARS / size->width;
		emu_bar_yuv(bar, ctrl, yuv);
		buf[x * 2] = yuv[0];
		buf[x * 2 + 1] = yuv[1];
		buf[x * 2 + 2] = yuv[0];
		buf[x * 2 + 3] = yuv[2];
	}
	for (y = 1; y < size->height; y++)
		memcpy(buf + y * line, buf, line);
	emu_put_counter(buf, counter);
	return line * size->height;
}

/*
 * Mean Y, Cb and Cr of each 8-pixel column of a YUYV line: the bars are
 * vertical, so every 8x8 block of a column is the same.
 */
static void emu_block_means(const __u8 *line, unsigned int width,
			    __u8 *y, __u8 *cb, __u8 *cr)
{
	unsigned int bx, i, sy, su, sv;
	const __u8 *p;

	for (bx = 0; bx < width / 8; bx++) {
		p = line + bx * 16;
		sy = 0;
		su = 0;
		sv = 0;
		for (i = 0; i < 4; i++) {
			sy += p[i * 4] + p[i * 4 + 2];
			su += p[i * 4 + 1];
			sv += p[i * 4 + 3];
		}
		y[bx] = (sy + 4) / 8;
		cb[bx] = (su + 2) / 4;
		cr[bx] = (sv + 2) / 4;
	}
}

/**
 * emu_frame_mjpeg() - an MJPEG frame: a baseline JPEG of the YUYV frame
 * @buf: where the JPEG goes
 * @max: room in @buf
 * @yuyv: scratch room: EMU_SCRATCH_SIZE bytes
 * @size: the frame size (multiples of 8)
 * @ctrl: current value of each processing unit control
 * @counter: frame counter, in the JPEG's comment segment
 *
 * Return: the JPEG's length, 0 if @max is too small.
 */
size_t emu_frame_mjpeg(__u8 *buf, size_t max, __u8 *yuyv,
		       const struct emu_size *size, const int ctrl[EMU_CTRLS],
		       __u32 counter)
{
	size_t line = size->width * 2;
	unsigned int bw = size->width / 8, bh = size->height / 8, by;
	__u8 means[3][EMU_MAX_WIDTH / 8];
	const __u8 *planes[3];
	__u8 *blocks;
	size_t n;

	emu_frame_yuyv(yuyv, size, ctrl, counter);
	emu_block_means(yuyv + line, size->width, means[0], means[1],
			means[2]);
	/* Block planes, one byte a block, after the YUYV frame's rows. */
	blocks = yuyv + line * size->height;
	for (n = 0; n < 3; n++) {
		for (by = 0; by < bh; by++)
			memcpy(blocks + (n * bh + by) * bw, means[n], bw);
		planes[n] = blocks + n * bh * bw;
	}
	return emu_jpeg_encode(buf, max, size->width, size->height, planes,
			       counter);
}
