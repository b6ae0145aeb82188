// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-usbcam-emu: a minimal baseline JPEG encoder (ITU-T T.81).
 *
 * It encodes images whose 8x8 blocks are each of one colour, which is all
 * the test pattern needs: the DCT of a flat block has only its DC
 * coefficient, so each block is a DC difference and an end-of-block code.
 * The output is a complete baseline JFIF-less JPEG, as UVC MJPEG payloads
 * are: SOI, a comment segment holding the frame counter, one quantisation
 * table, SOF0 with three 1x1-sampled components (YCbCr 4:4:4), Huffman
 * tables (Annex K.3's DC table, an AC table holding only end-of-block),
 * SOS, the entropy-coded data with 0xff bytes stuffed, EOI.
 */
#include <string.h>

#include "emu.h"

/* DC quantiser 8: a flat block of value v has DC 8 * (v - 128) */
#define JPEG_DC_QUANT	8
#define JPEG_AC_QUANT	16

/* Annex K.3: DC luminance code lengths (count per length 1..16), values */
static const __u8 jpeg_dc_bits[16] = { 0, 1, 5, 1, 1, 1, 1, 1, 1 };
static const __u8 jpeg_dc_vals[12] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
/* AC: one symbol, 0x00 (end of block), a 1-bit code */
static const __u8 jpeg_ac_bits[16] = { 1 };
static const __u8 jpeg_ac_vals[1] = { 0x00 };

struct jpeg_out {
	__u8 *p;
	size_t len;
	size_t max;
	__u32 acc;		/* bits not yet written, right-aligned */
	unsigned int nbits;
};

struct jpeg_code {
	__u16 code;
	__u8 len;
};

static void jpeg_byte(struct jpeg_out *o, unsigned int v)
{
	if (o->len < o->max)
		o->p[o->len] = v;
	o->len++;
}

static void jpeg_word(struct jpeg_out *o, unsigned int v)
{
	jpeg_byte(o, v >> 8);
	jpeg_byte(o, v & 0xff);
}

/* Entropy-coded bits, most significant first, 0xff followed by 0x00. */
static void jpeg_bits(struct jpeg_out *o, unsigned int code, unsigned int len)
{
	unsigned int byte;

	o->acc = o->acc << len | (code & ((1U << len) - 1));
	o->nbits += len;
	while (o->nbits >= 8) {
		byte = (o->acc >> (o->nbits - 8)) & 0xff;
		jpeg_byte(o, byte);
		if (byte == 0xff)
			jpeg_byte(o, 0);
		o->nbits -= 8;
	}
	o->acc &= (1U << o->nbits) - 1;
}

/* The canonical Huffman codes of a table given as T.81 BITS and HUFFVAL. */
static void jpeg_codes(const __u8 bits[16], const __u8 *vals,
		       struct jpeg_code *codes)
{
	unsigned int len, i, k = 0, code = 0;

	for (len = 1; len <= 16; len++) {
		for (i = 0; i < bits[len - 1]; i++, k++) {
			codes[vals[k]].code = code++;
			codes[vals[k]].len = len;
		}
		code <<= 1;
	}
}

static void jpeg_dht(struct jpeg_out *o, unsigned int class_id,
		     const __u8 bits[16], const __u8 *vals)
{
	unsigned int i, n = 0;

	for (i = 0; i < 16; i++)
		n += bits[i];
	jpeg_word(o, 0xffc4);
	jpeg_word(o, 2 + 1 + 16 + n);
	jpeg_byte(o, class_id);
	for (i = 0; i < 16; i++)
		jpeg_byte(o, bits[i]);
	for (i = 0; i < n; i++)
		jpeg_byte(o, vals[i]);
}

static void jpeg_headers(struct jpeg_out *o, unsigned int width,
			 unsigned int height, __u32 counter)
{
	unsigned int i;

	jpeg_word(o, 0xffd8);			/* SOI */
	jpeg_word(o, 0xfffe);			/* COM: "vlfc", counter */
	jpeg_word(o, 2 + 8);
	jpeg_byte(o, 'v');
	jpeg_byte(o, 'l');
	jpeg_byte(o, 'f');
	jpeg_byte(o, 'c');
	for (i = 0; i < 4; i++)
		jpeg_byte(o, (counter >> (8 * i)) & 0xff);
	jpeg_word(o, 0xffdb);			/* DQT, table 0, 8-bit */
	jpeg_word(o, 2 + 1 + 64);
	jpeg_byte(o, 0x00);
	jpeg_byte(o, JPEG_DC_QUANT);
	for (i = 1; i < 64; i++)
		jpeg_byte(o, JPEG_AC_QUANT);
	jpeg_word(o, 0xffc0);			/* SOF0 */
	jpeg_word(o, 8 + 3 * 3);
	jpeg_byte(o, 8);
	jpeg_word(o, height);
	jpeg_word(o, width);
	jpeg_byte(o, 3);
	for (i = 1; i <= 3; i++) {
		jpeg_byte(o, i);		/* component id */
		jpeg_byte(o, 0x11);		/* 1x1 sampling */
		jpeg_byte(o, 0);		/* quantisation table 0 */
	}
	jpeg_dht(o, 0x00, jpeg_dc_bits, jpeg_dc_vals);
	jpeg_dht(o, 0x10, jpeg_ac_bits, jpeg_ac_vals);
	jpeg_word(o, 0xffda);			/* SOS */
	jpeg_word(o, 6 + 2 * 3);
	jpeg_byte(o, 3);
	for (i = 1; i <= 3; i++) {
		jpeg_byte(o, i);
		jpeg_byte(o, 0x00);		/* DC table 0, AC table 0 */
	}
	jpeg_byte(o, 0);			/* spectral selection 0..63 */
	jpeg_byte(o, 63);
	jpeg_byte(o, 0);
}

/* One flat block: the DC difference (category, then bits), then EOB. */
static void jpeg_block(struct jpeg_out *o, const struct jpeg_code *dc,
		       const struct jpeg_code *ac, int diff)
{
	unsigned int mag = diff < 0 ? -diff : diff, cat = 0;

	while (mag >> cat)
		cat++;
	jpeg_bits(o, dc[cat].code, dc[cat].len);
	if (cat)
		jpeg_bits(o, diff < 0 ? diff - 1 : diff, cat);
	jpeg_bits(o, ac[0].code, ac[0].len);
}

/**
 * emu_jpeg_encode() - encode an image of flat 8x8 blocks
 * @out: where the JPEG goes
 * @max: room in @out
 * @width: image width, a multiple of 8
 * @height: image height, a multiple of 8
 * @planes: Y, Cb and Cr, one byte for each block, row by row
 * @counter: the frame counter, in the comment segment
 *
 * Return: the JPEG's length, or 0 if it does not fit in @max.
 */
size_t emu_jpeg_encode(__u8 *out, size_t max, unsigned int width,
		       unsigned int height, const __u8 *planes[3],
		       __u32 counter)
{
	struct jpeg_out o = { .p = out, .max = max };
	struct jpeg_code dc[12], ac[1];
	unsigned int blocks = (width / 8) * (height / 8), b, c;
	int pred[3] = { 0, 0, 0 }, v;

	jpeg_codes(jpeg_dc_bits, jpeg_dc_vals, dc);
	jpeg_codes(jpeg_ac_bits, jpeg_ac_vals, ac);
	jpeg_headers(&o, width, height, counter);
	for (b = 0; b < blocks; b++) {
		for (c = 0; c < 3; c++) {
			/* quantised DC: 8 * (v - 128) / JPEG_DC_QUANT */
			v = planes[c][b] - 128;
			jpeg_block(&o, dc, ac, v - pred[c]);
			pred[c] = v;
		}
	}
	if (o.nbits)				/* pad with 1-bits */
		jpeg_bits(&o, 0xff, 8 - o.nbits);
	jpeg_word(&o, 0xffd9);			/* EOI */
	return o.len <= max ? o.len : 0;
}
