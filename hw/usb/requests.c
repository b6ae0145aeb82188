// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-usbcam-emu: control requests on endpoint 0.
 *
 * Standard requests (USB 2.0 9.4): descriptors, configuration, interface,
 * status, features.  SET_INTERFACE(alternate setting 0) on VideoStreaming
 * and CLEAR_FEATURE(ENDPOINT_HALT) on the bulk endpoint stop the stream
 * (the second is what uvcvideo sends a bulk camera).  The vendor identity
 * also takes a vendor request, EMU_REQ_STREAM_OFF to the VideoStreaming
 * interface, which stops the stream without touching the host's endpoint
 * (vlife-usbcam sends it before killing its URBs).
 *
 * UVC class requests (UVC 1.1 section 4): wIndex is (entity << 8 |
 * interface), wValue is (control selector << 8).  The VideoControl
 * interface answers VC_REQUEST_ERROR_CODE_CONTROL and the processing
 * unit's three controls; the VideoStreaming interface answers video probe
 * and commit, and a commit starts the stream.  Anything else is refused
 * with a STALL, and sets the request error code a host can read
 * afterwards (UVC 4.2.1.2).
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
		.selector = UVC_PU_BRIGHTNESS_CONTROL, .is_signed = true,
		.min = -64, .max = 64, .res = 1,
	},
	[EMU_CTRL_CONTRAST] = {
		.selector = UVC_PU_CONTRAST_CONTROL,
		.min = 0, .max = 200, .res = 1, .def = 100,
	},
	[EMU_CTRL_SATURATION] = {
		.selector = UVC_PU_SATURATION_CONTROL,
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

static __u32 get_le32(const __u8 *p)
{
	return get_le16(p) | (__u32)get_le16(p + 2) << 16;
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

static void emu_params_set(struct emu_params *p, const struct emu_frame *f,
			   __u32 interval)
{
	p->format = f->format;
	p->frame = f->index;
	p->interval = interval;
	p->max_frame = emu_frame_max(f);
	p->max_payload = EMU_PAYLOAD_MAX;
}

static void emu_params_default(struct emu_params *p)
{
	const struct emu_frame *f;

	f = emu_frame_find(EMU_FORMAT_YUYV, EMU_DEFAULT_FRAME);
	emu_params_set(p, f, f->intervals[emu_default_interval]);
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

/* The supported interval nearest @want; 0 asks for the default. */
static __u32 emu_nearest_interval(const struct emu_frame *f, __u32 want)
{
	__u32 best = f->intervals[0], d, bestd = ~0U;
	unsigned int i;

	for (i = 0; want && i < EMU_INTERVALS; i++) {
		d = want > f->intervals[i] ? want - f->intervals[i] :
					     f->intervals[i] - want;
		if (d < bestd) {
			bestd = d;
			best = f->intervals[i];
		}
	}
	return best;
}

/*
 * Probe/commit as the host asks, adjusted to what the camera can do: an
 * unknown format or frame becomes the default, the interval the nearest.
 */
static void emu_params_negotiate(struct emu_params *p, const __u8 *raw)
{
	const struct emu_frame *f = emu_frame_find(raw[2], raw[3]);

	if (!f)
		f = emu_frame_find(raw[2], EMU_DEFAULT_FRAME);
	if (!f)
		f = emu_frame_find(EMU_FORMAT_YUYV, EMU_DEFAULT_FRAME);
	emu_params_set(p, f, emu_nearest_interval(f, get_le32(&raw[4])));
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
	const struct emu_frame *f;
	struct emu_params p;

	if (selector != UVC_VS_PROBE_CONTROL &&
	    selector != UVC_VS_COMMIT_CONTROL) {
		e->error_code = EMU_ERR_INVALID_CONTROL;
		return -1;
	}
	p = selector == UVC_VS_PROBE_CONTROL ? e->probe : e->commit;
	f = emu_frame_find(p.format, p.frame);
	switch (s->request) {
	case UVC_GET_CUR:
		break;
	case UVC_GET_DEF:
		emu_params_default(&p);
		break;
	case UVC_GET_MIN:		/* the shortest interval */
		p.interval = f->intervals[0];
		break;
	case UVC_GET_MAX:
		p.interval = f->intervals[EMU_INTERVALS - 1];
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

/* A class GET_* to an interface: the answer's length, or -1 to stall. */
static int emu_class_get(struct emu *e, const struct emu_setup *s, __u8 *buf)
{
	unsigned int ifnum = s->index & 0xff, entity = s->index >> 8;

	if (s->request != UVC_GET_CUR || ifnum != EMU_VC_INTERFACE ||
	    entity || s->value >> 8 != UVC_VC_REQUEST_ERROR_CODE_CONTROL)
		e->error_code = EMU_ERR_NONE;
	if (ifnum == EMU_VC_INTERFACE)
		return emu_vc_get(e, s, buf);
	if (ifnum == EMU_VS_INTERFACE && !entity)
		return emu_vs_get(e, s, buf);
	e->error_code = EMU_ERR_INVALID_UNIT;
	return -1;
}

static int emu_ctrl_set(struct emu *e, const struct emu_setup *s,
			const __u8 *data, size_t len)
{
	struct emu_ctrl *c = emu_find_ctrl(e, s->value >> 8);
	int v;

	if (!c || (s->index >> 8) != EMU_PU_ID) {
		e->error_code = c ? EMU_ERR_INVALID_UNIT :
				    EMU_ERR_INVALID_CONTROL;
		return -1;
	}
	if (len != 2) {
		e->error_code = EMU_ERR_INVALID_REQUEST;
		return -1;
	}
	v = get_le16(data);
	if (c->is_signed)
		v = (__s16)v;
	if (v < c->min || v > c->max || (v - c->min) % c->res) {
		e->error_code = EMU_ERR_OUT_OF_RANGE;
		return -1;
	}
	c->cur = v;
	return 0;
}

static int emu_vs_set(struct emu *e, const struct emu_setup *s,
		      const __u8 *data, size_t len)
{
	unsigned int selector = s->value >> 8;

	if (len < 26 || (s->index >> 8)) {
		e->error_code = EMU_ERR_INVALID_REQUEST;
		return -1;
	}
	if (selector == UVC_VS_PROBE_CONTROL) {
		emu_params_negotiate(&e->probe, data);
		return 0;
	}
	if (selector == UVC_VS_COMMIT_CONTROL) {
		emu_params_negotiate(&e->commit, data);
		e->probe = e->commit;
		emu_stream_start(e);
		return 0;
	}
	e->error_code = EMU_ERR_INVALID_CONTROL;
	return -1;
}

/* A class SET_CUR to an interface: 0, or -1 to stall. */
static int emu_class_set(struct emu *e, const struct emu_setup *s,
			 const __u8 *data, size_t len)
{
	e->error_code = EMU_ERR_NONE;
	if (s->request != UVC_SET_CUR) {
		e->error_code = EMU_ERR_INVALID_REQUEST;
		return -1;
	}
	if ((s->index & 0xff) == EMU_VC_INTERFACE)
		return emu_ctrl_set(e, s, data, len);
	if ((s->index & 0xff) == EMU_VS_INTERFACE)
		return emu_vs_set(e, s, data, len);
	e->error_code = EMU_ERR_INVALID_UNIT;
	return -1;
}

static int emu_get_descriptor(struct emu *e, const struct emu_setup *s,
			      __u8 *buf)
{
	switch (s->value >> 8) {
	case USB_DT_DEVICE:
		memcpy(buf, e->desc.device, sizeof(e->desc.device));
		return sizeof(e->desc.device);
	case USB_DT_CONFIG:
		if (s->value & 0xff)
			return -1;
		memcpy(buf, e->desc.config, e->desc.config_len);
		return e->desc.config_len;
	case USB_DT_STRING:
		return emu_desc_string(e->identity, s->value & 0xff, buf, 255);
	}
	return -1;
}

static bool emu_is_vs_off(const struct emu_setup *s)
{
	if (s->request == USB_REQ_SET_INTERFACE)
		return s->type == USB_RECIP_INTERFACE && !s->value &&
		       s->index == EMU_VS_INTERFACE;
	return s->request == USB_REQ_CLEAR_FEATURE &&
	       s->type == USB_RECIP_ENDPOINT &&
	       s->value == USB_ENDPOINT_HALT && s->index == EMU_EP_IN;
}

/* Standard requests: the answer's length (0 for OUT), or -1 to stall. */
static int emu_standard(struct emu *e, const struct emu_setup *s, __u8 *buf)
{
	if (emu_is_vs_off(s)) {
		emu_stream_stop(e);
		return 0;
	}
	switch (s->request) {
	case USB_REQ_GET_DESCRIPTOR:
		return s->type == USB_DIR_IN ? emu_get_descriptor(e, s, buf) :
					       -1;
	case USB_REQ_SET_CONFIGURATION:
		if (s->type || s->value > EMU_CONFIG_VALUE)
			return -1;
		emu_stream_stop(e);
		e->config = s->value;
		return 0;
	case USB_REQ_GET_CONFIGURATION:
		buf[0] = e->config;
		return 1;
	case USB_REQ_SET_INTERFACE:	/* alternate setting 0 of VC */
		return s->index == EMU_VC_INTERFACE && !s->value ? 0 : -1;
	case USB_REQ_GET_INTERFACE:
		buf[0] = 0;
		return 1;
	case USB_REQ_GET_STATUS:	/* bus powered, nothing halted */
		buf[0] = 0;
		buf[1] = 0;
		return 2;
	case USB_REQ_CLEAR_FEATURE:
		return s->type == USB_RECIP_ENDPOINT ? 0 : -1;
	}
	return -1;
}

/* Vendor requests: the vendor identity's stream-off. */
static int emu_vendor(struct emu *e, const struct emu_setup *s)
{
	if (e->identity != EMU_IDENTITY_VENDOR ||
	    s->type != (USB_TYPE_VENDOR | USB_RECIP_INTERFACE) ||
	    s->request != EMU_REQ_STREAM_OFF || s->value || s->length ||
	    s->index != EMU_VS_INTERFACE)
		return -1;
	emu_stream_stop(e);
	return 0;
}

/**
 * emu_setup_parse() - decode a SETUP packet
 * @p: its 8 bytes, as on the bus
 * @s: the request
 */
void emu_setup_parse(const __u8 *p, struct emu_setup *s)
{
	s->type = p[0];
	s->request = p[1];
	s->value = get_le16(p + 2);
	s->index = get_le16(p + 4);
	s->length = get_le16(p + 6);
}

/**
 * emu_control_pulls_plug() - whether this request is where the camera is
 *	pulled out (--unplug-on-commit: the first video commit)
 * @e: the emulator
 * @s: the request's SETUP packet
 *
 * Decided on the SETUP alone, so a transport can leave the request
 * unanswered before its data stage.  Sets @e->unplug_now, once.
 *
 * Return: true if the transport must unplug instead of answering.
 */
bool emu_control_pulls_plug(struct emu *e, const struct emu_setup *s)
{
	if (!e->faults.unplug_on_commit ||
	    s->type != (USB_TYPE_CLASS | USB_RECIP_INTERFACE) ||
	    s->request != UVC_SET_CUR ||
	    (s->index & 0xff) != EMU_VS_INTERFACE ||
	    (s->value >> 8) != UVC_VS_COMMIT_CONTROL)
		return false;
	e->faults.unplug_on_commit = false;	/* once */
	e->unplug_now = true;	/* the cable, mid-request */
	return true;
}

/**
 * emu_control() - one control transfer on endpoint 0
 * @e: the emulator
 * @s: its SETUP packet
 * @out: the OUT data stage (host to device)
 * @out_len: bytes in @out
 * @in: where the IN data stage goes: room for 64 KiB
 *
 * A request that pulls the plug (emu_control_pulls_plug()) does nothing
 * and sets @e->unplug_now: the transport unplugs instead of answering.
 *
 * Return: for IN requests the answer's length (the caller cuts it to
 * wLength), for OUT requests 0; -1 to STALL.
 */
int emu_control(struct emu *e, const struct emu_setup *s, const __u8 *out,
		size_t out_len, __u8 *in)
{
	bool dir_in = s->type & USB_DIR_IN;

	if (emu_control_pulls_plug(e, s))
		return 0;
	switch (s->type & USB_TYPE_MASK) {
	case USB_TYPE_STANDARD:
		return emu_standard(e, s, in);
	case USB_TYPE_CLASS:
		if ((s->type & USB_RECIP_MASK) != USB_RECIP_INTERFACE)
			return -1;
		if (dir_in)
			return emu_class_get(e, s, in);
		return emu_class_set(e, s, out, out_len);
	case USB_TYPE_VENDOR:
		return emu_vendor(e, s);
	}
	return -1;
}
