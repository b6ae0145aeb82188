// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-usbcam-emu: UVC class requests (UVC 1.1 section 4).
 *
 * wIndex is (entity << 8 | interface), wValue is (control selector << 8).
 * The VideoControl interface answers VC_REQUEST_ERROR_CODE_CONTROL and
 * the processing unit's three controls; the VideoStreaming interface
 * answers video probe and commit.  Anything else is refused: a GET with
 * a STALL, and every refusal sets the request error code a host can read
 * afterwards (UVC 4.2.1.2).  gadgetfs cannot stall an OUT request that
 * carries data (its data stage is read before userspace sees it), so a
 * SET_CUR with a bad value is acknowledged, ignored, and leaves the error
 * code set.
 */
#include <string.h>
#include <linux/usb/ch9.h>
#include <linux/usb/video.h>

#include "emu.h"

/* Request error codes (UVC 1.1 table 4-7) */
#define EMU_ERR_NONE		0x00
#define EMU_ERR_OUT_OF_RANGE	0x04
#define EMU_ERR_INVALID_UNIT	0x05
#define EMU_ERR_INVALID_CONTROL	0x06
#define EMU_ERR_INVALID_REQUEST	0x07

static const struct emu_ctrl emu_ctrl_defaults[EMU_CTRLS] = {
	[EMU_CTRL_BRIGHTNESS] = {
		.selector = UVC_PU_BRIGHTNESS_CONTROL, .bit = 0,
		.is_signed = true, .min = -64, .max = 64, .res = 1,
	},
	[EMU_CTRL_CONTRAST] = {
		.selector = UVC_PU_CONTRAST_CONTROL, .bit = 1,
		.min = 0, .max = 200, .res = 1, .def = 100,
	},
	[EMU_CTRL_SATURATION] = {
		.selector = UVC_PU_SATURATION_CONTROL, .bit = 3,
		.min = 0, .max = 200, .res = 1, .def = 100,
	},
};

static void put_le16(__u8 *p, unsigned int v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

static void put_le32(__u8 *p, __u32 v)
{
	put_le16(p, v & 0xffff);
	put_le16(p + 2, v >> 16);
}

static unsigned int get_le16(const __u8 *p)
{
	return p[0] | p[1] << 8;
}

/**
 * emu_frame_find() - a frame descriptor by format and frame index
 * @format: 1-based format index
 * @index: 1-based frame index within the format
 *
 * Return: the frame, or NULL if there is no such frame.
 */
const struct emu_frame *emu_frame_find(unsigned int format,
				       unsigned int index)
{
	unsigned int i;

	for (i = 0; i < EMU_FRAMES; i++)
		if (emu_frames[i].format == format &&
		    emu_frames[i].index == index)
			return &emu_frames[i];
	return NULL;
}

/**
 * emu_frame_max() - dwMaxVideoFrameBufferSize of a frame
 * @f: the frame
 *
 * Return: YUYV's exact size; MJPEG gets the same bound.
 */
__u32 emu_frame_max(const struct emu_frame *f)
{
	return f->size.width * f->size.height * 2;
}

static void emu_params_set(struct emu_params *p, const struct emu_frame *f)
{
	p->format = f->format;
	p->frame = f->index;
	p->interval = f->interval;
	p->max_frame = emu_frame_max(f);
	p->max_payload = EMU_PAYLOAD_MAX;
}

static void emu_params_default(struct emu_params *p)
{
	emu_params_set(p, emu_frame_find(EMU_FORMAT_YUYV, EMU_DEFAULT_FRAME));
}

/**
 * emu_requests_init() - controls and stream parameters at their defaults
 * @e: the emulator
 */
void emu_requests_init(struct emu *e)
{
	unsigned int i;

	memcpy(e->ctrls, emu_ctrl_defaults, sizeof(e->ctrls));
	for (i = 0; i < EMU_CTRLS; i++)
		e->ctrls[i].cur = e->ctrls[i].def;
	emu_params_default(&e->probe);
	e->commit = e->probe;
	e->error_code = EMU_ERR_NONE;
}

/*
 * Probe/commit as the host asks, adjusted to what the camera can do: an
 * unknown format or frame becomes the default, and each frame has one
 * interval.
 */
static void emu_params_negotiate(struct emu_params *p, const __u8 *raw)
{
	const struct emu_frame *f = emu_frame_find(raw[2], raw[3]);

	if (!f)
		f = emu_frame_find(raw[2], 1);
	if (!f)
		f = emu_frame_find(EMU_FORMAT_YUYV, EMU_DEFAULT_FRAME);
	emu_params_set(p, f);
}

/* The 34-byte probe/commit block (UVC 1.1 table 4-47). */
static void emu_params_pack(const struct emu_params *p, __u8 *raw)
{
	memset(raw, 0, EMU_PROBE_LEN);
	put_le16(&raw[0], 1);			/* bmHint: frame interval */
	raw[2] = p->format;
	raw[3] = p->frame;
	put_le32(&raw[4], p->interval);
	put_le32(&raw[18], p->max_frame);
	put_le32(&raw[22], p->max_payload);
	put_le32(&raw[26], EMU_CLOCK_HZ);
	raw[30] = 0x03;				/* bmFramingInfo: FID, EOF */
}

static struct emu_ctrl *emu_find_ctrl(struct emu *e, unsigned int selector)
{
	unsigned int i;

	for (i = 0; i < EMU_CTRLS; i++)
		if (e->ctrls[i].selector == selector)
			return &e->ctrls[i];
	return NULL;
}

static int emu_ctrl_get(struct emu *e, const struct emu_setup *s, __u8 *buf)
{
	struct emu_ctrl *c = emu_find_ctrl(e, s->value >> 8);

	if (!c) {
		e->error_code = EMU_ERR_INVALID_CONTROL;
		return -1;
	}
	switch (s->request) {
	case UVC_GET_CUR:
		put_le16(buf, c->cur);
		return 2;
	case UVC_GET_MIN:
		put_le16(buf, c->min);
		return 2;
	case UVC_GET_MAX:
		put_le16(buf, c->max);
		return 2;
	case UVC_GET_RES:
		put_le16(buf, c->res);
		return 2;
	case UVC_GET_DEF:
		put_le16(buf, c->def);
		return 2;
	case UVC_GET_LEN:
		put_le16(buf, 2);
		return 2;
	case UVC_GET_INFO:
		buf[0] = UVC_CONTROL_CAP_GET | UVC_CONTROL_CAP_SET;
		return 1;
	}
	e->error_code = EMU_ERR_INVALID_REQUEST;
	return -1;
}

static int emu_vc_get(struct emu *e, const struct emu_setup *s, __u8 *buf)
{
	unsigned int entity = s->index >> 8;

	if (entity == EMU_PU_ID)
		return emu_ctrl_get(e, s, buf);
	if (entity == 0 && s->value >> 8 == UVC_VC_REQUEST_ERROR_CODE_CONTROL) {
		if (s->request == UVC_GET_CUR) {
			buf[0] = e->error_code;
			return 1;
		}
		if (s->request == UVC_GET_INFO) {
			buf[0] = UVC_CONTROL_CAP_GET;
			return 1;
		}
	}
	e->error_code = entity == 0 || entity == EMU_IT_ID ?
			EMU_ERR_INVALID_CONTROL : EMU_ERR_INVALID_UNIT;
	return -1;
}

static int emu_vs_get(struct emu *e, const struct emu_setup *s, __u8 *buf)
{
	unsigned int selector = s->value >> 8;
	struct emu_params p;

	if (selector != UVC_VS_PROBE_CONTROL &&
	    selector != UVC_VS_COMMIT_CONTROL) {
		e->error_code = EMU_ERR_INVALID_CONTROL;
		return -1;
	}
	p = selector == UVC_VS_PROBE_CONTROL ? e->probe : e->commit;
	switch (s->request) {
	case UVC_GET_CUR:
		break;
	case UVC_GET_DEF:
		emu_params_default(&p);
		break;
	case UVC_GET_MIN:
	case UVC_GET_MAX:		/* one interval a frame: min == max */
		break;
	case UVC_GET_LEN:
		put_le16(buf, EMU_PROBE_LEN);
		return 2;
	case UVC_GET_INFO:
		buf[0] = UVC_CONTROL_CAP_GET | UVC_CONTROL_CAP_SET;
		return 1;
	default:
		e->error_code = EMU_ERR_INVALID_REQUEST;
		return -1;
	}
	emu_params_pack(&p, buf);
	return EMU_PROBE_LEN;
}

/**
 * emu_request_get() - answer a class GET_* request to an interface
 * @e: the emulator
 * @s: the request
 * @buf: the answer
 * @size: room in @buf (at least EMU_PROBE_LEN)
 *
 * Return: the answer's length, or -1 to STALL.
 */
int emu_request_get(struct emu *e, const struct emu_setup *s, __u8 *buf,
		    size_t size)
{
	int ret = -1;

	if (size < EMU_PROBE_LEN)
		return -1;
	pthread_mutex_lock(&e->lock);
	if (s->request != UVC_GET_CUR ||
	    s->value >> 8 != UVC_VC_REQUEST_ERROR_CODE_CONTROL ||
	    (s->index & 0xff) != EMU_VC_INTERFACE)
		e->error_code = EMU_ERR_NONE;
	if ((s->index & 0xff) == EMU_VC_INTERFACE)
		ret = emu_vc_get(e, s, buf);
	else if ((s->index & 0xff) == EMU_VS_INTERFACE && !(s->index >> 8))
		ret = emu_vs_get(e, s, buf);
	else
		e->error_code = EMU_ERR_INVALID_UNIT;
	pthread_mutex_unlock(&e->lock);
	return ret;
}

static enum emu_set_result emu_ctrl_set(struct emu *e,
					const struct emu_setup *s,
					const __u8 *data, size_t len)
{
	struct emu_ctrl *c = emu_find_ctrl(e, s->value >> 8);
	int v;

	if (!c || (s->index >> 8) != EMU_PU_ID) {
		e->error_code = c ? EMU_ERR_INVALID_UNIT :
				    EMU_ERR_INVALID_CONTROL;
		return EMU_SET_STALL;
	}
	if (len != 2) {
		e->error_code = EMU_ERR_INVALID_REQUEST;
		return EMU_SET_STALL;
	}
	v = get_le16(data);
	if (c->is_signed)
		v = (__s16)v;
	if (v < c->min || v > c->max || (v - c->min) % c->res) {
		e->error_code = EMU_ERR_OUT_OF_RANGE;
		return EMU_SET_STALL;
	}
	c->cur = v;
	return EMU_SET_DONE;
}

static enum emu_set_result emu_vs_set(struct emu *e,
				      const struct emu_setup *s,
				      const __u8 *data, size_t len)
{
	unsigned int selector = s->value >> 8;

	if (len < 26 || (s->index >> 8)) {
		e->error_code = EMU_ERR_INVALID_REQUEST;
		return EMU_SET_STALL;
	}
	if (selector == UVC_VS_PROBE_CONTROL) {
		emu_params_negotiate(&e->probe, data);
		return EMU_SET_DONE;
	}
	if (selector == UVC_VS_COMMIT_CONTROL) {
		emu_params_negotiate(&e->commit, data);
		e->probe = e->commit;
		return EMU_SET_COMMIT;
	}
	e->error_code = EMU_ERR_INVALID_CONTROL;
	return EMU_SET_STALL;
}

/**
 * emu_request_set() - act on a class SET_CUR to an interface
 * @e: the emulator
 * @s: the request
 * @data: its data stage
 * @len: bytes in @data
 *
 * Return: what the request did; %EMU_SET_STALL when it was refused.
 */
enum emu_set_result emu_request_set(struct emu *e, const struct emu_setup *s,
				    const __u8 *data, size_t len)
{
	enum emu_set_result ret = EMU_SET_STALL;

	pthread_mutex_lock(&e->lock);
	e->error_code = EMU_ERR_NONE;
	if (s->request != UVC_SET_CUR)
		e->error_code = EMU_ERR_INVALID_REQUEST;
	else if ((s->index & 0xff) == EMU_VC_INTERFACE)
		ret = emu_ctrl_set(e, s, data, len);
	else if ((s->index & 0xff) == EMU_VS_INTERFACE)
		ret = emu_vs_set(e, s, data, len);
	else
		e->error_code = EMU_ERR_INVALID_UNIT;
	pthread_mutex_unlock(&e->lock);
	return ret;
}
