// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-board: the sensor's frame clock and the bridge's DMA engine.
 *
 * While the sensor streams (MODE_SELECT bit 0, with its clock running),
 * an hrtimer ticks once per frame period, FRAME_LENGTH x LINE_LENGTH
 * pixel clocks at 148.5 MHz, and queues the frame work.  The work, in
 * process context, does what the bridge's receiver and DMA would:
 *
 * 1. frame start: take the sensor's registers as they are now (changes
 *    take effect at the next frame); if CTRL.ENABLE, latch ADDR_{LO,HI}
 *    as this frame's target and clear them, raise FRAME_START;
 * 2. write the frame line by line into the target, memremap()ed (DMA
 *    addresses are physical addresses on this platform), never past
 *    STRIDE x HEIGHT; the frame's number goes in the first 4 pixels;
 * 3. frame end: bump FRAME_COUNT, raise FRAME_END, with DROPPED when
 *    there was no target or the bridge's WIDTH/HEIGHT/FORMAT do not match
 *    what the sensor sends.
 *
 * Each line is written under the board's lock after checking that
 * CTRL.ENABLE has not changed since frame start, so clearing ENABLE
 * stops the writes before the register write returns.
 *
 * The image, in 10-bit values (RAW8 keeps the top 8 bits), on the RGGB
 * colour filter (flips shift the readout by one pixel: still RGGB):
 * - pattern off: a grey scene, brighter to the right (0..768) and towards
 *   the bottom (0..255, in 16 bands), times exposure / 2000 lines times
 *   analogue and digital gain, clipped at 1023;
 * - solid colour: R 1023, G 512, B 0;
 * - colour bars: eight vertical bars, white, yellow, cyan, green,
 *   magenta, red, blue, black, left to right;
 * - fade to grey: the bars, fading to grey (512) from top to bottom in 16
 *   bands;
 * - PN9: the 9-bit LFSR x^9 + x^5 + 1 seeded with all ones, one state
 *   (shifted left by one) per pixel in raster order, across lines.
 * Flips mirror the scene.  Then the frame's number, the value FRAME_COUNT
 * had at its start (0 for the first frame after ENABLE; dropped frames
 * count), little-endian, one byte in each of the first 4 pixels of line 0.
 */

#include <linux/clk-provider.h>
#include <linux/device.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "vlife-board.h"

#define VLIFE_FRAME_BANDS		16
#define VLIFE_FRAME_MIN_PERIOD_NS	NSEC_PER_MSEC
#define VLIFE_FRAME_GREY		512
#define VLIFE_FRAME_MAX			1023
#define VLIFE_PN9_LEN			511
#define VLIFE_NO_KEY			U32_MAX

/**
 * struct vlife_frame - one frame in flight, as latched at frame start
 * @width: sensor output width
 * @height: sensor output height
 * @format: sensor output format, VLIFE_FMT_*
 * @bpp: bytes per pixel in memory
 * @pattern: TEST_PATTERN
 * @hflip: ORIENTATION bit 0
 * @vflip: ORIENTATION bit 1
 * @scale: brightness of the scene, 16.16 fixed point
 * @period_ns: frame period from FRAME_LENGTH and LINE_LENGTH
 * @enabled: CTRL.ENABLE at frame start: the bridge receives this frame
 * @generation: the bridge's ENABLE generation at frame start
 * @count: FRAME_COUNT at frame start
 * @addr: DMA target, 0 for none
 * @stride: bytes per line in memory
 * @match: the bridge's WIDTH, HEIGHT, FORMAT and STRIDE fit the sensor
 * @dst: @addr, mapped
 */
struct vlife_frame {
	u32 width;
	u32 height;
	u32 format;
	u32 bpp;
	u32 pattern;
	bool hflip;
	bool vflip;
	u64 scale;
	u64 period_ns;
	bool enabled;
	u32 generation;
	u32 count;
	phys_addr_t addr;
	u32 stride;
	bool match;
	void *dst;
};

/* R, G, B of the eight bars, 10 bits */
static const u16 vlife_bars[8][3] = {
	{ 1023, 1023, 1023 }, { 1023, 1023, 0 }, { 0, 1023, 1023 },
	{ 0, 1023, 0 }, { 1023, 0, 1023 }, { 1023, 0, 0 },
	{ 0, 0, 1023 }, { 0, 0, 0 },
};

static const u16 vlife_solid[3] = { 1023, 512, 0 };

/* Colour channel (0 R, 1 G, 2 B) of output pixel (x, y) on RGGB. */
static unsigned int vlife_cfa(u32 x, u32 y)
{
	return (x & 1) + (y & 1);
}

static u64 vlife_frame_period(const u16 *sreg)
{
	u64 clocks = (u64)sreg[VLIFE_SREG_FRAME_LENGTH] *
		     sreg[VLIFE_SREG_LINE_LENGTH];
	return max_t(u64, div_u64(clocks * NSEC_PER_SEC,
				   VLIFE_SENSOR_PIXEL_RATE),
		     VLIFE_FRAME_MIN_PERIOD_NS);
}

static u32 vlife_frame_format(u16 data_format)
{
	switch (data_format) {
	case 0x0808:
		return VLIFE_FMT_RAW8;
	case 0x0a0a:
		return VLIFE_FMT_RAW10;
	default:
		return VLIFE_FMT_INVALID;
	}
}

/* Exposure x analogue gain x digital gain, 16.16, 1.0 = 2000 lines. */
static u64 vlife_frame_scale(const u16 *sreg)
{
	u32 exposure = clamp_t(u32, sreg[VLIFE_SREG_EXPOSURE], 4,
			       max(sreg[VLIFE_SREG_FRAME_LENGTH], 8) - 4);
	u32 again = min_t(u32, sreg[VLIFE_SREG_ANALOG_GAIN], 232);
	u32 dgain = clamp_t(u32, sreg[VLIFE_SREG_DIGITAL_GAIN], 0x100, 0xfff);

	return div_u64((u64)exposure * dgain << 16, (256 - again) * 2000);
}

/* The sensor's side of frame start, with b->lock held. */
static void vlife_frame_sensor(struct vlife_board *b, struct vlife_frame *f)
{
	const u16 *sreg = b->sreg;

	f->width = clamp_t(u32, sreg[VLIFE_SREG_X_OUTPUT_SIZE], 2,
			   VLIFE_SENSOR_NATIVE_WIDTH);
	f->height = clamp_t(u32, sreg[VLIFE_SREG_Y_OUTPUT_SIZE], 2,
			    VLIFE_SENSOR_NATIVE_HEIGHT);
	f->format = vlife_frame_format(sreg[VLIFE_SREG_DATA_FORMAT]);
	f->bpp = f->format == VLIFE_FMT_RAW8 ? 1 : 2;
	f->pattern = sreg[VLIFE_SREG_TEST_PATTERN];
	f->hflip = sreg[VLIFE_SREG_ORIENTATION] & BIT(0);
	f->vflip = sreg[VLIFE_SREG_ORIENTATION] & BIT(1);
	f->scale = vlife_frame_scale(sreg);
	f->period_ns = vlife_frame_period(sreg);
}

/* The bridge's side of frame start, with b->lock held. */
static void vlife_frame_latch(struct vlife_board *b, struct vlife_frame *f)
{
	struct vlife_bridge_regs *r = &b->regs;

	f->enabled = r->ctrl & VLIFE_BRIDGE_CTRL_ENABLE;
	if (!f->enabled)
		return;
	f->generation = r->generation;
	f->count = r->frame_count;
	f->addr = (phys_addr_t)r->addr_hi << 32 | r->addr_lo;
	r->addr_lo = 0;
	r->addr_hi = 0;
	f->stride = r->stride;
	f->match = r->width == f->width && r->height == f->height &&
		   r->format == f->format && r->stride >= f->width * f->bpp;
	r->irq_status |= VLIFE_BRIDGE_IRQ_FRAME_START;
	vlife_irq_update(b, VLIFE_BRIDGE_IRQ_FRAME_START);
}

/* Frame start.  Returns whether the bridge takes this frame. */
static bool vlife_frame_begin(struct vlife_board *b, struct vlife_frame *f)
{
	bool clock = clk_hw_is_enabled(b->xclk);
	unsigned long flags;
	bool streaming;

	spin_lock_irqsave(&b->lock, flags);
	streaming = clock && b->sreg[VLIFE_SREG_MODE_SELECT] & 1;
	b->frame.link_up = streaming;
	if (streaming) {
		vlife_frame_sensor(b, f);
		vlife_frame_latch(b, f);
	}
	spin_unlock_irqrestore(&b->lock, flags);
	if (streaming)
		WRITE_ONCE(b->frame.period_ns, f->period_ns);
	return streaming && f->enabled;
}

static void vlife_frame_end(struct vlife_board *b, const struct vlife_frame *f)
{
	struct vlife_bridge_regs *r = &b->regs;
	u32 raised = VLIFE_BRIDGE_IRQ_FRAME_END;
	unsigned long flags;

	if (!f->dst)
		raised |= VLIFE_BRIDGE_IRQ_DROPPED;
	/* The frame's writes reach memory before its interrupt. */
	wmb();
	spin_lock_irqsave(&b->lock, flags);
	if (r->generation == f->generation) {
		r->frame_count++;
		r->irq_status |= raised;
		vlife_irq_update(b, raised);
	}
	spin_unlock_irqrestore(&b->lock, flags);
}

static void *vlife_frame_map(struct vlife_board *b, const struct vlife_frame *f)
{
	size_t size = (size_t)f->stride * f->height;

	if (!f->addr || !f->match)
		return NULL;
	if (f->addr + size < f->addr ||
	    region_intersects(f->addr, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_INTERSECTS) {
		dev_err_ratelimited(b->dev, "DMA to %pa+%zu is not RAM\n",
				    &f->addr, size);
		return NULL;
	}
	return memremap(f->addr, size, MEMREMAP_WB);
}

/* Which lines look alike: equal keys on the same row parity. */
static u32 vlife_frame_key(const struct vlife_frame *f, u32 sy)
{
	switch (f->pattern) {
	case VLIFE_PATTERN_SOLID:
	case VLIFE_PATTERN_BARS:
		return 0;
	case VLIFE_PATTERN_PN9:
		return sy;
	default:
		return sy * VLIFE_FRAME_BANDS / f->height;
	}
}

static u16 vlife_frame_pixel(const struct vlife_frame *f, u32 sx, u32 band,
			     unsigned int c)
{
	u32 bar = sx * 8 / f->width, v;

	switch (f->pattern) {
	case VLIFE_PATTERN_SOLID:
		return vlife_solid[c];
	case VLIFE_PATTERN_BARS:
		return vlife_bars[bar][c];
	case VLIFE_PATTERN_FADE:
		v = vlife_bars[bar][c];
		return v + ((int)VLIFE_FRAME_GREY - (int)v) * (int)band /
			   (VLIFE_FRAME_BANDS - 1);
	default:
		v = sx * 768 / f->width + band * 255 / (VLIFE_FRAME_BANDS - 1);
		return min_t(u64, (u64)v * f->scale >> 16, VLIFE_FRAME_MAX);
	}
}

/* Store 10-bit values as the bridge writes them to memory. */
static void vlife_frame_pack(const struct vlife_frame *f, u8 *dst,
			     const u16 *src, u32 n)
{
	__le16 *dst16 = (__le16 *)dst;
	u32 i;

	for (i = 0; i < n; i++) {
		if (f->format == VLIFE_FMT_RAW8)
			dst[i] = src[i] >> 2;
		else
			dst16[i] = cpu_to_le16(src[i]);
	}
}

/* PN9 line: runs of the doubled sequence, all starting at one offset. */
static void vlife_frame_pn9(struct vlife_frame_engine *fe,
			    const struct vlife_frame *f, u32 sy, u8 *dst)
{
	u32 pos = (sy * f->width + (f->hflip ? f->width - 1 : 0)) %
		  VLIFE_PN9_LEN;
	const u8 *seq = fe->pn9_packed[f->hflip];
	u32 x, n;

	if (f->hflip)
		pos = VLIFE_PN9_LEN - 1 - pos;
	for (x = 0; x < f->width; x += n) {
		n = min_t(u32, f->width - x, VLIFE_PN9_LEN);
		memcpy(dst + x * f->bpp, seq + pos * f->bpp, n * f->bpp);
	}
}

static void vlife_frame_render(struct vlife_frame_engine *fe,
			       const struct vlife_frame *f, u32 y, u32 sy,
			       u8 *dst)
{
	u32 band = sy * VLIFE_FRAME_BANDS / f->height;
	u32 x, sx;

	if (f->pattern == VLIFE_PATTERN_PN9) {
		vlife_frame_pn9(fe, f, sy, dst);
		return;
	}
	for (x = 0; x < f->width; x++) {
		sx = f->hflip ? f->width - 1 - x : x;
		fe->scratch[x] = vlife_frame_pixel(f, sx, band,
						   vlife_cfa(x, y));
	}
	vlife_frame_pack(f, dst, fe->scratch, f->width);
}

/* Line @y of the frame, from the cache when an alike line is there. */
static const u8 *vlife_frame_line(struct vlife_frame_engine *fe,
				  const struct vlife_frame *f, u32 y)
{
	u32 sy = f->vflip ? f->height - 1 - y : y;
	u32 key = vlife_frame_key(f, sy);
	unsigned int slot = y & 1;

	if (fe->line_key[slot] != key) {
		vlife_frame_render(fe, f, y, sy, fe->line[slot]);
		fe->line_key[slot] = key;
	}
	return fe->line[slot];
}

/*
 * The frame number in the first 4 pixels of line 0: one byte each, in
 * the pixel's byte for RAW8, in the low byte of its word for RAW10.
 */
static void vlife_frame_stamp(const struct vlife_frame *f)
{
	u8 *dst = f->dst;
	u32 i;

	for (i = 0; i < min_t(u32, 4, f->width); i++) {
		dst[i * f->bpp] = f->count >> (8 * i);
		if (f->bpp == 2)
			dst[i * 2 + 1] = 0;
	}
}

/*
 * One line to memory, unless ENABLE changed since frame start.  Written
 * as a DMA engine writes, around the CPU caches: memcpy_flushcache() uses
 * non-temporal stores, eight bytes at a time, where memcpy() is a byte
 * loop (rep movsb) that QEMU's TCG runs at a quarter of the speed, too
 * slow for 1080p60.  vlife_frame_end() fences them before the interrupt.
 */
static bool vlife_frame_put(struct vlife_board *b, const struct vlife_frame *f,
			    u32 y, const u8 *line)
{
	unsigned long flags;
	bool live;

	spin_lock_irqsave(&b->lock, flags);
	live = b->regs.generation == f->generation;
	if (live) {
		memcpy_flushcache(f->dst + (size_t)y * f->stride, line,
				  f->width * f->bpp);
		if (!y)
			vlife_frame_stamp(f);
	}
	spin_unlock_irqrestore(&b->lock, flags);
	return live;
}

static void vlife_frame_pn9_pack(struct vlife_frame_engine *fe,
				 const struct vlife_frame *f)
{
	u16 seq[VLIFE_PN9_LEN];
	int dir, i;

	if (fe->pn9_format == f->format)
		return;
	for (dir = 0; dir < 2; dir++) {
		for (i = 0; i < VLIFE_PN9_LEN; i++)
			seq[i] = fe->pn9[dir ? VLIFE_PN9_LEN - 1 - i : i];
		vlife_frame_pack(f, fe->pn9_packed[dir], seq, VLIFE_PN9_LEN);
		memcpy(fe->pn9_packed[dir] + VLIFE_PN9_LEN * f->bpp,
		       fe->pn9_packed[dir], VLIFE_PN9_LEN * f->bpp);
	}
	fe->pn9_format = f->format;
}

static void vlife_frame_fill(struct vlife_board *b, const struct vlife_frame *f)
{
	struct vlife_frame_engine *fe = &b->frame;
	u32 y;

	fe->line_key[0] = VLIFE_NO_KEY;
	fe->line_key[1] = VLIFE_NO_KEY;
	if (f->pattern == VLIFE_PATTERN_PN9)
		vlife_frame_pn9_pack(fe, f);
	for (y = 0; y < f->height; y++)
		if (!vlife_frame_put(b, f, y, vlife_frame_line(fe, f, y)))
			return;
}

static void vlife_frame_work(struct work_struct *work)
{
	struct vlife_board *b = container_of(work, struct vlife_board,
					     frame.work);
	struct vlife_frame f = { };

	if (!vlife_frame_begin(b, &f))
		return;
	f.dst = vlife_frame_map(b, &f);
	if (f.dst) {
		vlife_frame_fill(b, &f);
		memunmap(f.dst);
	}
	vlife_frame_end(b, &f);
}

static enum hrtimer_restart vlife_frame_tick(struct hrtimer *timer)
{
	struct vlife_board *b = container_of(timer, struct vlife_board,
					     frame.timer);

	queue_work(system_highpri_wq, &b->frame.work);
	hrtimer_forward_now(timer, ns_to_ktime(READ_ONCE(b->frame.period_ns)));
	return HRTIMER_RESTART;
}

/**
 * vlife_frame_stream() - the sensor's MODE_SELECT was written
 * @b: the board
 * @on: the streaming bit after the write
 *
 * Called from the I2C adapter, whose bus lock serialises the calls.  The
 * first frame starts one frame period after stream on; at stream off the
 * frame in progress, if any, completes.
 */
void vlife_frame_stream(struct vlife_board *b, bool on)
{
	struct vlife_frame_engine *fe = &b->frame;
	unsigned long flags;
	u64 period;

	if (on == fe->streaming)
		return;
	fe->streaming = on;
	if (!on) {
		hrtimer_cancel(&fe->timer);
		spin_lock_irqsave(&b->lock, flags);
		fe->link_up = false;
		spin_unlock_irqrestore(&b->lock, flags);
		return;
	}
	spin_lock_irqsave(&b->lock, flags);
	period = vlife_frame_period(b->sreg);
	spin_unlock_irqrestore(&b->lock, flags);
	WRITE_ONCE(fe->period_ns, period);
	hrtimer_start(&fe->timer, ns_to_ktime(period), HRTIMER_MODE_REL);
}

/**
 * vlife_frame_link_up() - whether frames reach the bridge
 * @b: the board, with @b->lock held
 *
 * Return: true while the sensor streams with its clock running.
 */
bool vlife_frame_link_up(struct vlife_board *b)
{
	lockdep_assert_held(&b->lock);
	return b->frame.link_up;
}

static void vlife_frame_pn9_init(u16 *seq)
{
	u32 state = 0x1ff, bit;
	int i;

	for (i = 0; i < VLIFE_PN9_LEN; i++) {
		seq[i] = state << 1;
		bit = (state >> 8 ^ state >> 4) & 1;
		state = (state << 1 | bit) & 0x1ff;
	}
}

/* Runs once the I2C adapter is gone: nothing can start streaming. */
static void vlife_frame_destroy(void *data)
{
	struct vlife_frame_engine *fe = data;

	hrtimer_cancel(&fe->timer);
	cancel_work_sync(&fe->work);
}

static int vlife_frame_alloc(struct vlife_board *b)
{
	struct vlife_frame_engine *fe = &b->frame;
	size_t line = VLIFE_SENSOR_NATIVE_WIDTH * sizeof(u16);
	int i;

	fe->scratch = devm_kmalloc(b->dev, line, GFP_KERNEL);
	fe->pn9 = devm_kcalloc(b->dev, VLIFE_PN9_LEN, sizeof(u16), GFP_KERNEL);
	if (!fe->scratch || !fe->pn9)
		return -ENOMEM;
	for (i = 0; i < 2; i++) {
		fe->line[i] = devm_kmalloc(b->dev, line, GFP_KERNEL);
		fe->pn9_packed[i] = devm_kcalloc(b->dev, 2 * VLIFE_PN9_LEN,
						 sizeof(u16), GFP_KERNEL);
		if (!fe->line[i] || !fe->pn9_packed[i])
			return -ENOMEM;
	}
	return 0;
}

/**
 * vlife_frame_create() - the frame engine, idle until the sensor streams
 * @b: the board, with its interrupt controller and the sensor's clock
 *
 * Stopped by devres before the clock and the interrupt controller go.
 *
 * Return: 0 or a negative errno.
 */
int vlife_frame_create(struct vlife_board *b)
{
	struct vlife_frame_engine *fe = &b->frame;
	int ret;

	ret = vlife_frame_alloc(b);
	if (ret)
		return ret;
	vlife_frame_pn9_init(fe->pn9);
	fe->pn9_format = VLIFE_FMT_INVALID;
	INIT_WORK(&fe->work, vlife_frame_work);
	hrtimer_init(&fe->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	fe->timer.function = vlife_frame_tick;
	return devm_add_action_or_reset(b->dev, vlife_frame_destroy, fe);
}
