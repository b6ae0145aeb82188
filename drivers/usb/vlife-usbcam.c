// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-usbcam: a UVC-style USB camera driver on the vlife core.
 *
 * The camera (hw/usb/, a userspace emulator behind the USB/IP host
 * controller vhci_hcd) is laid out like a UVC 1.1 camera, with
 * vendor-specific interface classes: a VideoControl interface whose
 * class-specific descriptors name a processing unit with brightness,
 * contrast and saturation, and a VideoStreaming interface with YUYV and
 * MJPEG formats, their frame sizes and intervals, and one bulk IN
 * endpoint.  The driver
 *
 * - parses those descriptors at probe, claims the streaming interface and
 *   reads each control's range from the device (GET_MIN/MAX/RES/DEF);
 * - negotiates the stream with video probe and commit at STREAMON and
 *   keeps USBCAM_NUM_URBS bulk URBs in flight, each as large as one
 *   payload (dwMaxPayloadTransferSize): a payload ends with a full URB or
 *   a short packet;
 * - assembles frames from payloads (a header: length, FID, EOF, ERR, PTS,
 *   SCR; then data) into vb2 buffers (vmalloc).  A bad header, the error
 *   bit, a transfer error, a frame that is short or too long mark the
 *   buffer VB2_BUF_STATE_ERROR; nothing is ever written past its end;
 * - maps V4L2 controls to SET_CUR requests to the processing unit;
 * - tells the camera to stop sending, and to drop a payload left unread,
 *   with a vendor request to the streaming interface (USBCAM_REQ_STREAM_OFF)
 *   before it kills the URBs, as gspca drivers stop their sensors first,
 *   and before negotiating, so that a stream starts on a frame boundary.
 *   (uvcvideo kills its URBs, then sends a bulk UVC camera
 *   CLEAR_FEATURE(ENDPOINT_HALT); that request resets the host endpoint,
 *   which must then be idle.)
 *
 * Who owns what (for people copying this driver):
 *
 * - struct usbcam, with the video node, vb2 queue, controls and mutex,
 *   comes from vlife_dev_alloc() and belongs to the vlife device: it is
 *   freed on the last reference (a close() or munmap() that may come long
 *   after the camera was unplugged).  Managed actions free the control
 *   handler and destroy the mutex then.
 * - The hardware belongs to the bound driver: the usb_device reference
 *   and the claimed streaming interface are taken in probe and given back
 *   in disconnect, after vlife_dev_unplug() has stopped the stream, woken
 *   every waiter, closed the gate and removed the node.  Nothing touches
 *   the usb_device after disconnect returns: calls from userspace fail at
 *   the gate, and the bus and card names were copied at probe.
 * - The URBs and their buffers exist only while streaming: allocated by
 *   start_streaming, killed and freed by stop_streaming, which the core
 *   runs at unplug at the latest.
 * - The URB completion handler runs inside the unplug gate: once the
 *   device is unplugged it leaves the buffers alone and does not
 *   resubmit.  Control transfers go through the gate too (usbcam_query()),
 *   but for the stream-off of stop_streaming, which the core also calls
 *   from vlife_dev_unplug() in disconnect: the gate is closed then, the
 *   usb_device still ours (a request to a device already pulled out fails
 *   at once).
 *
 * Bug switches (module parameter bug=): each puts back a classic mistake
 * that the selftests catch on a KASAN kernel.
 * - "free": the state is freed when the interface is unbound (kzalloc in
 *   probe and kfree in disconnect, or devm_kzalloc()): a close() after an
 *   unplug reads freed memory;
 * - "unlink": stop_streaming stops the URBs with usb_unlink_urb(), which
 *   does not wait, and frees their state at once: each completion handler
 *   runs afterwards on freed memory;
 * - "put": disconnect drops the usb_device reference and removes the node
 *   itself, leaving the stream running (the node is not the core's, so
 *   the core cannot stop it): the stream stops at the last close(), which
 *   sends the stream-off request to a usb_device that is gone.
 */

#include <linux/gcd.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/usb.h>
#include <linux/usb/video.h>
#include <asm/unaligned.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>
#include <media/videobuf2-v4l2.h>
#include <media/videobuf2-vmalloc.h>
#include <media/vlife.h>

#define USBCAM_NAME		"vlife-usbcam"
#define USBCAM_VENDOR_ID	0x1209	/* the emulator's (pid.codes test) */
#define USBCAM_PRODUCT_ID	0x0001

#define USBCAM_NUM_URBS		4
#define USBCAM_MAX_PAYLOAD	(128 * 1024)
#define USBCAM_MAX_FRAME_SIZE	(32 * 1024 * 1024)
#define USBCAM_MAX_FORMATS	4
#define USBCAM_MAX_FRAMES	8
#define USBCAM_MAX_INTERVALS	8
/*
 * A control transfer in flight when the camera is pulled out completes
 * only at its timeout (the USB core flushes endpoint 0 after disconnect,
 * and disconnect waits for the ioctl that sent it): keep it short.
 */
#define USBCAM_CTRL_TIMEOUT_MS	1000
#define USBCAM_HEADER_MAX	12	/* bHeaderLength with PTS and SCR */
#define USBCAM_REQ_STREAM_OFF	0x01	/* vendor request, no data */
#define USBCAM_INTERVAL_HZ	10000000	/* intervals are in 100 ns */

/*
 * Byte offsets in descriptors (USB 2.0 chapter 9, UVC 1.1 chapter 3) and
 * in the probe and commit controls (UVC 1.1 table 4-47).  Descriptors are
 * read as the bytes they are on the bus: little-endian, unaligned.
 */
#define USBCAM_DESC_LEN		0
#define USBCAM_DESC_TYPE	1
#define USBCAM_DESC_SUBTYPE	2
#define USBCAM_IF_NUMBER	2	/* of a standard interface descriptor */
#define USBCAM_VC_HDR_UVC	3	/* bcdUVC */
#define USBCAM_VC_HDR_NUM_IF	11	/* bInCollection */
#define USBCAM_VC_HDR_IF	12	/* baInterfaceNr[] */
#define USBCAM_VC_ID		3	/* bTerminalID, bUnitID */
#define USBCAM_VC_TERM_TYPE	4	/* wTerminalType */
#define USBCAM_VC_OT_SOURCE	7
#define USBCAM_VC_PU_CTRL_SIZE	7
#define USBCAM_VC_PU_CTRLS	8
#define USBCAM_VS_HDR_EP	6	/* bEndpointAddress */
#define USBCAM_VS_FMT_INDEX	3
#define USBCAM_VS_FMT_GUID	5	/* uncompressed */
#define USBCAM_VS_FMT_DEF_YUV	22	/* uncompressed: bDefaultFrameIndex */
#define USBCAM_VS_FMT_DEF_MJPEG	6	/* MJPEG: bDefaultFrameIndex */
#define USBCAM_VS_FRM_INDEX	3
#define USBCAM_VS_FRM_WIDTH	5
#define USBCAM_VS_FRM_HEIGHT	7
#define USBCAM_VS_FRM_MAX_SIZE	17
#define USBCAM_VS_FRM_DEF_IVAL	21
#define USBCAM_VS_FRM_IVAL_TYPE	25
#define USBCAM_VS_FRM_IVALS	26
#define USBCAM_PROBE_HINT	0
#define USBCAM_PROBE_FORMAT	2
#define USBCAM_PROBE_FRAME	3
#define USBCAM_PROBE_INTERVAL	4
#define USBCAM_PROBE_MAX_FRAME	18
#define USBCAM_PROBE_MAX_PAYLOAD 22
#define USBCAM_PROBE_LEN_10	26	/* UVC 1.0 */
#define USBCAM_PROBE_LEN_11	34	/* UVC 1.1 */

static char *bug = "";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug, "put back a classic USB mistake: free, unlink or put");

static const u8 usbcam_guid_yuy2[16] = {
	'Y', 'U', 'Y', '2', 0x00, 0x00, 0x10, 0x00,
	0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
};

/**
 * struct usbcam_frame - a frame descriptor: one size of one format
 * @index: bFrameIndex
 * @width: width in pixels
 * @height: height in lines
 * @max_size: the largest frame in bytes (a YUYV frame's exact size)
 * @def_interval: dwDefaultFrameInterval, one of @intervals
 * @nintervals: entries in @intervals
 * @intervals: the frame intervals the camera offers, in 100 ns units
 */
struct usbcam_frame {
	u8 index;
	u16 width;
	u16 height;
	u32 max_size;
	u32 def_interval;
	unsigned int nintervals;
	u32 intervals[USBCAM_MAX_INTERVALS];
};

/**
 * struct usbcam_format - a format descriptor and its frames
 * @index: bFormatIndex
 * @fourcc: the V4L2 pixel format
 * @def_frame: bDefaultFrameIndex
 * @nframes: entries in @frames
 * @frames: its frame descriptors
 */
struct usbcam_format {
	u8 index;
	u32 fourcc;
	u8 def_frame;
	unsigned int nframes;
	struct usbcam_frame frames[USBCAM_MAX_FRAMES];
};

/**
 * struct usbcam_ctrl_map - a V4L2 control on a processing unit control
 * @id: V4L2_CID_*
 * @selector: UVC_PU_*_CONTROL
 * @bit: its bit in the processing unit's bmControls
 * @is_signed: the control's 16-bit value is signed
 */
struct usbcam_ctrl_map {
	u32 id;
	u8 selector;
	u8 bit;
	bool is_signed;
};

static const struct usbcam_ctrl_map usbcam_ctrl_maps[] = {
	{ V4L2_CID_BRIGHTNESS, UVC_PU_BRIGHTNESS_CONTROL, 0, true },
	{ V4L2_CID_CONTRAST, UVC_PU_CONTRAST_CONTROL, 1, false },
	{ V4L2_CID_SATURATION, UVC_PU_SATURATION_CONTROL, 3, false },
};

struct usbcam;

/**
 * struct usbcam_urb - one bulk URB in flight, and whose it is
 * @cam: the camera
 * @urb: the URB; its buffer goes with it (URB_FREE_BUFFER)
 */
struct usbcam_urb {
	struct usbcam *cam;
	struct urb *urb;
};

/**
 * struct usbcam_buffer - a vb2 buffer of the capture queue
 * @vb: the vb2 buffer
 * @list: entry in &usbcam.bufs while queued
 */
struct usbcam_buffer {
	struct vb2_v4l2_buffer vb;
	struct list_head list;
};

/**
 * struct usbcam_stats - what the stream did, for VIDIOC_LOG_STATUS
 * @frames: frames completed
 * @error_frames: of which marked as errors
 * @dropped: frames with no buffer queued
 * @bad_headers: payloads with an invalid header
 * @urb_errors: URBs completed with a transfer error
 * @last_pts: PTS of the last payload that had one
 * @last_stc: SCR source clock of the last payload that had one
 */
struct usbcam_stats {
	u32 frames;
	u32 error_frames;
	u32 dropped;
	u32 bad_headers;
	u32 urb_errors;
	u32 last_pts;
	u32 last_stc;
};

/**
 * struct usbcam - one camera, owned by its vlife device
 * @vl: the vlife device; frees this structure on its last reference
 * @udev: the USB device, referenced from probe to disconnect
 * @ctrl_intf: the VideoControl interface this driver was probed for
 * @stream_intf: the VideoStreaming interface, claimed from probe to
 *	disconnect
 * @ctrl_ifnum: @ctrl_intf's number
 * @stream_ifnum: @stream_intf's number
 * @pu_id: the processing unit's ID (0: none)
 * @pu_controls: its bmControls
 * @uvc_version: bcdUVC of the VideoControl header
 * @pipe: the bulk IN pipe
 * @formats: the format descriptors, copied at probe
 * @nformats: entries in @formats
 * @card: product name, copied at probe
 * @bus_info: USB path, copied at probe
 * @vdev: the capture node
 * @queue: its vb2 queue
 * @lock: serialises ioctls and queue operations
 * @hdl: the controls
 * @fmt: current format, under @lock
 * @frame: current frame size, under @lock
 * @interval: current frame interval (100 ns), under @lock
 * @pix: current V4L2 format, under @lock
 * @payload_size: dwMaxPayloadTransferSize of the running stream
 * @urbs: the URBs, from start_streaming to stop_streaming
 * @qlock: protects @bufs against the completion handler
 * @bufs: buffers queued by userspace, waiting for a frame
 * @cur: the buffer being filled (completion handler only, see below)
 * @bytes: bytes in @cur so far
 * @last_fid: FID bit of the last valid payload, -1 before the first
 * @in_frame: a frame has begun and has not ended
 * @frame_error: the frame in progress is damaged
 * @sequence: frame number since STREAMON
 * @counting: a frame has had a buffer since STREAMON; frames are counted
 *	from that one (those before, while start_streaming holds the
 *	buffers back, are not the application's)
 * @stats: stream statistics
 *
 * The frame assembly fields (@cur to @counting) belong to the URB
 * completion handler: the host controller completes one endpoint's URBs
 * one at a time, and stop_streaming touches them only after killing the
 * URBs.
 */
struct usbcam {
	struct vlife_device vl;

	struct usb_device *udev;
	struct usb_interface *ctrl_intf;
	struct usb_interface *stream_intf;
	u8 ctrl_ifnum;
	u8 stream_ifnum;
	u8 pu_id;
	u32 pu_controls;
	u16 uvc_version;
	unsigned int pipe;

	struct usbcam_format formats[USBCAM_MAX_FORMATS];
	unsigned int nformats;
	char card[32];
	char bus_info[32];

	struct video_device vdev;
	struct vb2_queue queue;
	struct mutex lock; /* ioctls and queue */
	struct v4l2_ctrl_handler hdl;
	const struct usbcam_format *fmt;
	const struct usbcam_frame *frame;
	u32 interval;
	struct v4l2_pix_format pix;

	u32 payload_size;
	struct usbcam_urb *urbs[USBCAM_NUM_URBS];
	spinlock_t qlock; /* @bufs vs. the completion handler */
	struct list_head bufs;
	struct usbcam_buffer *cur;
	u32 bytes;
	int last_fid;
	bool in_frame;
	bool frame_error;
	u32 sequence;
	bool counting;
	struct usbcam_stats stats;
};

static struct usb_driver usbcam_driver;

static bool usbcam_bug(const char *name)
{
	return !strcmp(bug, name);
}

static struct usbcam_buffer *to_usbcam_buffer(struct vb2_buffer *vb)
{
	return container_of(to_vb2_v4l2_buffer(vb), struct usbcam_buffer, vb);
}

/* ------------------------------------------------------------------------
 * Requests to the camera
 */

/*
 * A UVC class request to an entity (@unit, 0 for the interface itself)
 * of interface @ifnum, through the unplug gate.  Requests with bit 7 set
 * (GET_*) read @size bytes into @data, SET_CUR writes them; @data may be
 * on the stack (the USB core copies it).
 */
static int usbcam_query(struct usbcam *cam, u8 request, u8 unit, u8 ifnum,
			u8 selector, void *data, u16 size)
{
	u8 type = USB_TYPE_CLASS | USB_RECIP_INTERFACE;
	u16 value = selector << 8, index = unit << 8 | ifnum;
	int idx, ret;

	if (!vlife_dev_enter(&cam->vl, &idx))
		return -ENODEV;
	if (request & USB_DIR_IN)
		ret = usb_control_msg_recv(cam->udev, 0, request,
					   type | USB_DIR_IN, value, index,
					   data, size, USBCAM_CTRL_TIMEOUT_MS,
					   GFP_KERNEL);
	else
		ret = usb_control_msg_send(cam->udev, 0, request,
					   type | USB_DIR_OUT, value, index,
					   data, size, USBCAM_CTRL_TIMEOUT_MS,
					   GFP_KERNEL);
	vlife_dev_exit(&cam->vl, idx);
	return ret;
}

/*
 * Stream off (the camera's vendor request): the camera stops sending and
 * drops a payload the host has not read.  Unlike SET_INTERFACE or
 * CLEAR_FEATURE(ENDPOINT_HALT), it leaves the host's endpoint alone, so it
 * may be sent while URBs are queued.  No gate: see stop_streaming.
 */
static int usbcam_stream_off(struct usbcam *cam)
{
	return usb_control_msg_send(cam->udev, 0, USBCAM_REQ_STREAM_OFF,
				    USB_TYPE_VENDOR | USB_RECIP_INTERFACE |
				    USB_DIR_OUT, 0, cam->stream_ifnum, NULL, 0,
				    USBCAM_CTRL_TIMEOUT_MS, GFP_KERNEL);
}

/* What the camera answered to video probe, checked against what we asked. */
static int usbcam_check_probe(struct usbcam *cam, const u8 *probe)
{
	u32 max_frame = get_unaligned_le32(&probe[USBCAM_PROBE_MAX_FRAME]);
	u32 payload = get_unaligned_le32(&probe[USBCAM_PROBE_MAX_PAYLOAD]);
	u32 interval = get_unaligned_le32(&probe[USBCAM_PROBE_INTERVAL]);

	if (probe[USBCAM_PROBE_FORMAT] != cam->fmt->index ||
	    probe[USBCAM_PROBE_FRAME] != cam->frame->index) {
		dev_warn(&cam->ctrl_intf->dev, "probe: format %u/%u, not %u/%u\n",
			 probe[USBCAM_PROBE_FORMAT], probe[USBCAM_PROBE_FRAME],
			 cam->fmt->index, cam->frame->index);
		return -EIO;
	}
	if (max_frame > cam->pix.sizeimage || payload <= USBCAM_HEADER_MAX ||
	    payload > USBCAM_MAX_PAYLOAD) {
		dev_warn(&cam->ctrl_intf->dev,
			 "probe: frames of %u bytes, payloads of %u\n",
			 max_frame, payload);
		return -EIO;
	}
	cam->payload_size = payload;
	if (interval)
		cam->interval = interval;
	return 0;
}

/* Video probe (SET_CUR, GET_CUR), then commit what the camera agreed to. */
static int usbcam_commit(struct usbcam *cam)
{
	u16 len = cam->uvc_version >= 0x0110 ? USBCAM_PROBE_LEN_11 :
					       USBCAM_PROBE_LEN_10;
	u8 probe[USBCAM_PROBE_LEN_11] = { };
	int ret;

	put_unaligned_le16(1, &probe[USBCAM_PROBE_HINT]); /* keep interval */
	probe[USBCAM_PROBE_FORMAT] = cam->fmt->index;
	probe[USBCAM_PROBE_FRAME] = cam->frame->index;
	put_unaligned_le32(cam->interval, &probe[USBCAM_PROBE_INTERVAL]);
	ret = usbcam_query(cam, UVC_SET_CUR, 0, cam->stream_ifnum,
			   UVC_VS_PROBE_CONTROL, probe, len);
	if (ret)
		return ret;
	ret = usbcam_query(cam, UVC_GET_CUR, 0, cam->stream_ifnum,
			   UVC_VS_PROBE_CONTROL, probe, len);
	if (ret)
		return ret;
	ret = usbcam_check_probe(cam, probe);
	if (ret)
		return ret;
	return usbcam_query(cam, UVC_SET_CUR, 0, cam->stream_ifnum,
			    UVC_VS_COMMIT_CONTROL, probe, len);
}

/* ------------------------------------------------------------------------
 * Frame assembly, in the URB completion handler
 */

static struct usbcam_buffer *usbcam_next_buffer(struct usbcam *cam)
{
	struct usbcam_buffer *buf;
	unsigned long flags;

	spin_lock_irqsave(&cam->qlock, flags);
	buf = list_first_entry_or_null(&cam->bufs, struct usbcam_buffer, list);
	if (buf)
		list_del(&buf->list);
	spin_unlock_irqrestore(&cam->qlock, flags);
	return buf;
}

/* A whole frame: YUYV of the exact size, MJPEG from SOI to EOI. */
static bool usbcam_frame_valid(struct usbcam *cam, struct usbcam_buffer *buf)
{
	const u8 *p = vb2_plane_vaddr(&buf->vb.vb2_buf, 0);
	u32 n = cam->bytes;

	if (cam->pix.pixelformat != V4L2_PIX_FMT_MJPEG)
		return n == cam->pix.sizeimage;
	return n >= 4 && p[0] == 0xff && p[1] == 0xd8 &&
	       p[n - 2] == 0xff && p[n - 1] == 0xd9;
}

static void usbcam_frame_end(struct usbcam *cam)
{
	struct usbcam_buffer *buf = cam->cur;
	enum vb2_buffer_state state = VB2_BUF_STATE_DONE;

	cam->in_frame = false;
	cam->cur = NULL;
	if (!buf)
		return;
	if (cam->frame_error || !usbcam_frame_valid(cam, buf)) {
		state = VB2_BUF_STATE_ERROR;
		cam->stats.error_frames++;
	}
	cam->stats.frames++;
	vb2_set_plane_payload(&buf->vb.vb2_buf, 0, cam->bytes);
	buf->vb.sequence = cam->sequence;
	buf->vb.field = V4L2_FIELD_NONE;
	vb2_buffer_done(&buf->vb.vb2_buf, state);
}

/* A payload with a new FID: the previous frame, if unfinished, is bad. */
static void usbcam_frame_begin(struct usbcam *cam, int fid)
{
	if (cam->in_frame) {
		cam->frame_error = true;	/* no EOF: payloads lost */
		usbcam_frame_end(cam);
	}
	if (cam->last_fid >= 0 && cam->counting)
		cam->sequence++;
	cam->last_fid = fid;
	cam->in_frame = true;
	cam->frame_error = false;
	cam->bytes = 0;
	cam->cur = usbcam_next_buffer(cam);
	if (cam->cur) {
		cam->cur->vb.vb2_buf.timestamp = ktime_get_ns();
		cam->counting = true;
	} else {
		cam->stats.dropped++;
	}
}

/* Payload data: copied while it fits, the frame is bad past the end. */
static void usbcam_frame_append(struct usbcam *cam, const u8 *data, u32 len)
{
	struct usbcam_buffer *buf = cam->cur;
	unsigned long size;

	if (!buf)
		return;
	size = vb2_plane_size(&buf->vb.vb2_buf, 0);
	if (len > size - cam->bytes) {
		cam->frame_error = true;
		len = size - cam->bytes;
	}
	memcpy(vb2_plane_vaddr(&buf->vb.vb2_buf, 0) + cam->bytes, data, len);
	cam->bytes += len;
}

/*
 * The payload header's length (UVC 1.1 2.4.3.3), or -EINVAL: at least
 * the two fixed bytes and the PTS and SCR fields its flags announce, no
 * longer than the payload.  uvcvideo checks only the bounds.
 */
static int usbcam_header_len(const u8 *data, u32 len)
{
	u8 min;

	if (len < 2)
		return -EINVAL;
	min = 2 + (data[1] & UVC_STREAM_PTS ? 4 : 0) +
	      (data[1] & UVC_STREAM_SCR ? 6 : 0);
	if (data[0] < min || data[0] > len)
		return -EINVAL;
	return data[0];
}

/* PTS and SCR: kept for LOG_STATUS; buffers get the host's timestamp. */
static void usbcam_header_times(struct usbcam *cam, const u8 *h)
{
	const u8 *p = h + 2;

	if (h[1] & UVC_STREAM_PTS) {
		cam->stats.last_pts = get_unaligned_le32(p);
		p += 4;
	}
	if (h[1] & UVC_STREAM_SCR)
		cam->stats.last_stc = get_unaligned_le32(p);
}

/* One payload, the content of one URB. */
static void usbcam_decode(struct usbcam *cam, const u8 *data, u32 len)
{
	int hlen;
	u8 info;

	if (!len)
		return;		/* the zero-length packet that ends a payload */
	hlen = usbcam_header_len(data, len);
	if (hlen < 0) {
		cam->stats.bad_headers++;
		if (cam->in_frame)
			cam->frame_error = true;
		return;
	}
	info = data[1];
	if ((info & UVC_STREAM_FID) != cam->last_fid)
		usbcam_frame_begin(cam, info & UVC_STREAM_FID);
	if (!cam->in_frame)
		return;		/* after EOF, until the FID toggles */
	usbcam_header_times(cam, data);
	if (info & UVC_STREAM_ERR)
		cam->frame_error = true;
	usbcam_frame_append(cam, data + hlen, len - hlen);
	if (info & UVC_STREAM_EOF)
		usbcam_frame_end(cam);
}

/*
 * URB completion, in interrupt or softirq context.  Inside the unplug
 * gate: after vlife_dev_unplug() it neither touches a buffer nor
 * resubmits, and the core's stop_streaming collects what is left.
 */
static void usbcam_complete(struct urb *urb)
{
	struct usbcam_urb *uurb = urb->context;
	struct usbcam *cam = uurb->cam;
	int idx, ret;

	switch (urb->status) {
	case -ENOENT:		/* killed */
	case -ECONNRESET:	/* unlinked */
	case -ESHUTDOWN:	/* the host controller or device is gone */
	case -ENODEV:
		return;
	}
	if (!vlife_dev_enter(&cam->vl, &idx))
		return;
	if (urb->status == -EPIPE) {	/* halted: resubmitting would spin */
		dev_warn_ratelimited(&cam->ctrl_intf->dev, "endpoint halted\n");
		goto out;
	}
	if (urb->status) {		/* transfer error: frame damaged */
		cam->stats.urb_errors++;
		if (cam->in_frame)
			cam->frame_error = true;
	} else {
		usbcam_decode(cam, urb->transfer_buffer, urb->actual_length);
	}
	ret = usb_submit_urb(urb, GFP_ATOMIC);
	if (ret && ret != -EPERM)	/* -EPERM: being killed */
		dev_dbg(&cam->ctrl_intf->dev, "resubmit: %d\n", ret);
out:
	vlife_dev_exit(&cam->vl, idx);
}

/* ------------------------------------------------------------------------
 * URBs: from start_streaming to stop_streaming
 */

static void usbcam_free_urbs(struct usbcam *cam)
{
	unsigned int i;

	for (i = 0; i < USBCAM_NUM_URBS; i++) {
		if (!cam->urbs[i])
			continue;
		usb_free_urb(cam->urbs[i]->urb);
		kfree(cam->urbs[i]);
		cam->urbs[i] = NULL;
	}
}

/* Once this returns, no completion handler runs (but see bug=unlink). */
static void usbcam_kill_urbs(struct usbcam *cam)
{
	unsigned int i;

	for (i = 0; i < USBCAM_NUM_URBS; i++) {
		if (!cam->urbs[i])
			continue;
		if (usbcam_bug("unlink"))
			usb_unlink_urb(cam->urbs[i]->urb);
		else
			usb_kill_urb(cam->urbs[i]->urb);
	}
}

static int usbcam_alloc_urb(struct usbcam *cam, unsigned int i)
{
	struct usbcam_urb *uurb;
	void *buf;

	uurb = kzalloc(sizeof(*uurb), GFP_KERNEL);
	if (!uurb)
		return -ENOMEM;
	cam->urbs[i] = uurb;
	uurb->cam = cam;
	uurb->urb = usb_alloc_urb(0, GFP_KERNEL);
	if (!uurb->urb)
		return -ENOMEM;
	buf = kmalloc(cam->payload_size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	usb_fill_bulk_urb(uurb->urb, cam->udev, cam->pipe, buf,
			  cam->payload_size, usbcam_complete, uurb);
	uurb->urb->transfer_flags |= URB_FREE_BUFFER;
	return 0;
}

/* Called from STREAMON, inside the gate of the ioctl. */
static int usbcam_start_urbs(struct usbcam *cam)
{
	unsigned int i;
	int ret;

	for (i = 0; i < USBCAM_NUM_URBS; i++) {
		ret = usbcam_alloc_urb(cam, i);
		if (ret)
			return ret;
	}
	for (i = 0; i < USBCAM_NUM_URBS; i++) {
		ret = usb_submit_urb(cam->urbs[i]->urb, GFP_KERNEL);
		if (ret)
			return ret;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * vb2 queue
 */

/* The largest frame of any format and size: their sizeimage is max_size. */
static unsigned int usbcam_max_sizeimage(const struct usbcam *cam)
{
	unsigned int i, j, size = 0;

	for (i = 0; i < cam->nformats; i++)
		for (j = 0; j < cam->formats[i].nframes; j++)
			size = max(size, cam->formats[i].frames[j].max_size);
	return size;
}

static int usbcam_queue_setup(struct vb2_queue *q, unsigned int *nbuffers,
			      unsigned int *nplanes, unsigned int sizes[],
			      struct device *alloc_devs[])
{
	struct usbcam *cam = vb2_get_drv_priv(q);

	return vlife_queue_setup(nplanes, sizes, cam->pix.sizeimage,
				 usbcam_max_sizeimage(cam));
}

static int usbcam_buf_prepare(struct vb2_buffer *vb)
{
	struct usbcam *cam = vb2_get_drv_priv(vb->vb2_queue);

	if (vb2_plane_size(vb, 0) < cam->pix.sizeimage)
		return -EINVAL;
	return 0;
}

static void usbcam_buf_queue(struct vb2_buffer *vb)
{
	struct usbcam *cam = vb2_get_drv_priv(vb->vb2_queue);
	struct usbcam_buffer *buf = to_usbcam_buffer(vb);
	unsigned long flags;

	spin_lock_irqsave(&cam->qlock, flags);
	list_add_tail(&buf->list, &cam->bufs);
	spin_unlock_irqrestore(&cam->qlock, flags);
}

/* Every buffer the driver holds, the one being filled included. */
static void usbcam_return_buffers(struct usbcam *cam,
				  enum vb2_buffer_state state)
{
	struct usbcam_buffer *buf, *tmp;
	unsigned long flags;

	if (cam->cur) {
		vb2_buffer_done(&cam->cur->vb.vb2_buf, state);
		cam->cur = NULL;
	}
	spin_lock_irqsave(&cam->qlock, flags);
	list_for_each_entry_safe(buf, tmp, &cam->bufs, list) {
		list_del(&buf->list);
		vb2_buffer_done(&buf->vb.vb2_buf, state);
	}
	spin_unlock_irqrestore(&cam->qlock, flags);
}

/*
 * Negotiate (the camera was told to stop when the last stream ended, or
 * never started one), then start the URBs.  STREAMON and read() run this
 * inside the gate of their file operation.
 *
 * The queued buffers are held back until every URB is in flight: the
 * first URBs may complete a frame while a later one fails to submit, and
 * a start_streaming that fails must give every buffer back as QUEUED,
 * none done (vb2 WARNs otherwise; found by failing STREAMON's allocations
 * one by one).  Meanwhile the completion handler finds no buffer and
 * drops the frame, uncounted: the first frame with a buffer is frame 0.
 */
static int usbcam_start_streaming(struct vb2_queue *q, unsigned int count)
{
	struct usbcam *cam = vb2_get_drv_priv(q);
	unsigned long flags;
	LIST_HEAD(held);
	int ret;

	cam->sequence = 0;
	cam->counting = false;
	cam->last_fid = -1;
	cam->in_frame = false;
	cam->cur = NULL;
	spin_lock_irqsave(&cam->qlock, flags);
	list_splice_init(&cam->bufs, &held);
	spin_unlock_irqrestore(&cam->qlock, flags);
	ret = usbcam_commit(cam);
	if (!ret)
		ret = usbcam_start_urbs(cam);
	if (ret) {
		usbcam_kill_urbs(cam);
		usbcam_free_urbs(cam);
	}
	spin_lock_irqsave(&cam->qlock, flags);
	list_splice(&held, &cam->bufs);
	spin_unlock_irqrestore(&cam->qlock, flags);
	if (ret)
		usbcam_return_buffers(cam, VB2_BUF_STATE_QUEUED);
	return ret;
}

/*
 * STREAMOFF, the last close(), or the core at unplug (gate closed, the
 * usb_device still ours until disconnect returns).  The camera stops
 * first, so that no URB is killed while its data arrives; the URBs go
 * before the buffers, so that no completion handler touches a buffer
 * given back.
 */
static void usbcam_stop_streaming(struct vb2_queue *q)
{
	struct usbcam *cam = vb2_get_drv_priv(q);

	usbcam_stream_off(cam);		/* fails if pulled out: fine */
	usbcam_kill_urbs(cam);
	usbcam_free_urbs(cam);
	usbcam_return_buffers(cam, VB2_BUF_STATE_ERROR);
}

static const struct vb2_ops usbcam_qops = {
	.queue_setup = usbcam_queue_setup,
	.buf_prepare = usbcam_buf_prepare,
	.buf_queue = usbcam_buf_queue,
	.start_streaming = usbcam_start_streaming,
	.stop_streaming = usbcam_stop_streaming,
	.wait_prepare = vb2_ops_wait_prepare,
	.wait_finish = vb2_ops_wait_finish,
};

/* ------------------------------------------------------------------------
 * Formats and ioctls
 */

static const struct usbcam_format *usbcam_find_format(struct usbcam *cam,
						      u32 fourcc)
{
	unsigned int i;

	for (i = 0; i < cam->nformats; i++)
		if (cam->formats[i].fourcc == fourcc)
			return &cam->formats[i];
	return NULL;
}

/* The frame closest in size to @width x @height. */
static const struct usbcam_frame *
usbcam_nearest_frame(const struct usbcam_format *fmt, u32 width, u32 height)
{
	const struct usbcam_frame *f, *best = &fmt->frames[0];
	u32 d, bestd = U32_MAX;

	for (f = fmt->frames; f < fmt->frames + fmt->nframes; f++) {
		d = abs((int)f->width - (int)width) +
		    abs((int)f->height - (int)height);
		if (d < bestd) {
			bestd = d;
			best = f;
		}
	}
	return best;
}

static void usbcam_fill_pix(struct v4l2_pix_format *pix,
			    const struct usbcam_format *fmt,
			    const struct usbcam_frame *frame)
{
	memset(pix, 0, sizeof(*pix));
	pix->pixelformat = fmt->fourcc;
	pix->width = frame->width;
	pix->height = frame->height;
	pix->field = V4L2_FIELD_NONE;
	if (fmt->fourcc == V4L2_PIX_FMT_YUYV) {
		pix->bytesperline = frame->width * 2;
		pix->sizeimage = frame->width * frame->height * 2;
	} else {
		pix->sizeimage = frame->max_size;
	}
	pix->colorspace = V4L2_COLORSPACE_SRGB;
}

/* Select a format and frame; the interval goes back to the default. */
static void usbcam_set_format(struct usbcam *cam,
			      const struct usbcam_format *fmt,
			      const struct usbcam_frame *frame)
{
	cam->fmt = fmt;
	cam->frame = frame;
	cam->interval = frame->def_interval;
	usbcam_fill_pix(&cam->pix, fmt, frame);
}

static int usbcam_querycap(struct file *file, void *priv,
			   struct v4l2_capability *cap)
{
	struct usbcam *cam = video_drvdata(file);

	strscpy(cap->driver, USBCAM_NAME, sizeof(cap->driver));
	strscpy(cap->card, cam->card, sizeof(cap->card));
	strscpy(cap->bus_info, cam->bus_info, sizeof(cap->bus_info));
	return 0;
}

static int usbcam_enum_fmt(struct file *file, void *priv,
			   struct v4l2_fmtdesc *f)
{
	struct usbcam *cam = video_drvdata(file);

	if (f->index >= cam->nformats)
		return -EINVAL;
	f->pixelformat = cam->formats[f->index].fourcc;
	return 0;
}

static int usbcam_g_fmt(struct file *file, void *priv, struct v4l2_format *f)
{
	struct usbcam *cam = video_drvdata(file);

	f->fmt.pix = cam->pix;
	return 0;
}

static int usbcam_try_fmt(struct file *file, void *priv,
			  struct v4l2_format *f)
{
	struct usbcam *cam = video_drvdata(file);
	struct v4l2_pix_format *pix = &f->fmt.pix;
	const struct usbcam_format *fmt;

	fmt = usbcam_find_format(cam, pix->pixelformat);
	if (!fmt)
		fmt = &cam->formats[0];
	usbcam_fill_pix(pix, fmt,
			usbcam_nearest_frame(fmt, pix->width, pix->height));
	return 0;
}

static int usbcam_s_fmt(struct file *file, void *priv, struct v4l2_format *f)
{
	struct usbcam *cam = video_drvdata(file);
	const struct usbcam_format *fmt;

	if (vb2_is_busy(&cam->queue))
		return -EBUSY;
	usbcam_try_fmt(file, priv, f);
	fmt = usbcam_find_format(cam, f->fmt.pix.pixelformat);
	usbcam_set_format(cam, fmt,
			  usbcam_nearest_frame(fmt, f->fmt.pix.width,
					       f->fmt.pix.height));
	return 0;
}

static int usbcam_enum_framesizes(struct file *file, void *priv,
				  struct v4l2_frmsizeenum *fs)
{
	struct usbcam *cam = video_drvdata(file);
	const struct usbcam_format *fmt;

	fmt = usbcam_find_format(cam, fs->pixel_format);
	if (!fmt || fs->index >= fmt->nframes)
		return -EINVAL;
	fs->type = V4L2_FRMSIZE_TYPE_DISCRETE;
	fs->discrete.width = fmt->frames[fs->index].width;
	fs->discrete.height = fmt->frames[fs->index].height;
	return 0;
}

static void usbcam_to_fract(u32 interval, struct v4l2_fract *f)
{
	unsigned long d = gcd(interval, USBCAM_INTERVAL_HZ);

	f->numerator = interval / d;
	f->denominator = USBCAM_INTERVAL_HZ / d;
}

static int usbcam_enum_frameintervals(struct file *file, void *priv,
				      struct v4l2_frmivalenum *fi)
{
	struct usbcam *cam = video_drvdata(file);
	const struct usbcam_format *fmt;
	const struct usbcam_frame *frame;

	fmt = usbcam_find_format(cam, fi->pixel_format);
	if (!fmt)
		return -EINVAL;
	frame = usbcam_nearest_frame(fmt, fi->width, fi->height);
	if (frame->width != fi->width || frame->height != fi->height ||
	    fi->index >= frame->nintervals)
		return -EINVAL;
	fi->type = V4L2_FRMIVAL_TYPE_DISCRETE;
	usbcam_to_fract(frame->intervals[fi->index], &fi->discrete);
	return 0;
}

static int usbcam_g_parm(struct file *file, void *priv,
			 struct v4l2_streamparm *p)
{
	struct usbcam *cam = video_drvdata(file);

	if (p->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
		return -EINVAL;
	memset(&p->parm.capture, 0, sizeof(p->parm.capture));
	p->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
	p->parm.capture.readbuffers = 2;
	usbcam_to_fract(cam->interval, &p->parm.capture.timeperframe);
	return 0;
}

/* The nearest interval the current frame offers; applied at STREAMON. */
static int usbcam_s_parm(struct file *file, void *priv,
			 struct v4l2_streamparm *p)
{
	struct usbcam *cam = video_drvdata(file);
	struct v4l2_fract *t = &p->parm.capture.timeperframe;
	const struct usbcam_frame *frame = cam->frame;
	u32 want = frame->def_interval, d, bestd = U32_MAX;
	unsigned int i;

	if (p->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
		return -EINVAL;
	if (vb2_is_streaming(&cam->queue))
		return -EBUSY;
	if (t->numerator && t->denominator)
		want = min_t(u64, U32_MAX,
			     div_u64((u64)t->numerator * USBCAM_INTERVAL_HZ,
				     t->denominator));
	for (i = 0; i < frame->nintervals; i++) {
		d = abs((s64)frame->intervals[i] - want);
		if (d < bestd) {
			bestd = d;
			cam->interval = frame->intervals[i];
		}
	}
	return usbcam_g_parm(file, priv, p);
}

static int usbcam_enum_input(struct file *file, void *priv,
			     struct v4l2_input *inp)
{
	if (inp->index)
		return -EINVAL;
	inp->type = V4L2_INPUT_TYPE_CAMERA;
	strscpy(inp->name, "Camera", sizeof(inp->name));
	return 0;
}

static int usbcam_g_input(struct file *file, void *priv, unsigned int *i)
{
	*i = 0;
	return 0;
}

static int usbcam_s_input(struct file *file, void *priv, unsigned int i)
{
	return i ? -EINVAL : 0;
}

static int usbcam_log_status(struct file *file, void *priv)
{
	struct usbcam *cam = video_drvdata(file);
	struct usbcam_stats *s = &cam->stats;

	v4l2_info(&cam->vl.v4l2_dev,
		  "frames %u, errors %u, dropped %u, bad headers %u, URB errors %u, PTS %u, STC %u\n",
		  s->frames, s->error_frames, s->dropped, s->bad_headers,
		  s->urb_errors, s->last_pts, s->last_stc);
	return v4l2_ctrl_log_status(file, priv);
}

static const struct v4l2_ioctl_ops usbcam_ioctl_ops = {
	.vidioc_querycap = usbcam_querycap,
	.vidioc_enum_fmt_vid_cap = usbcam_enum_fmt,
	.vidioc_g_fmt_vid_cap = usbcam_g_fmt,
	.vidioc_try_fmt_vid_cap = usbcam_try_fmt,
	.vidioc_s_fmt_vid_cap = usbcam_s_fmt,
	.vidioc_enum_framesizes = usbcam_enum_framesizes,
	.vidioc_enum_frameintervals = usbcam_enum_frameintervals,
	.vidioc_g_parm = usbcam_g_parm,
	.vidioc_s_parm = usbcam_s_parm,
	.vidioc_enum_input = usbcam_enum_input,
	.vidioc_g_input = usbcam_g_input,
	.vidioc_s_input = usbcam_s_input,
	.vidioc_reqbufs = vb2_ioctl_reqbufs,
	.vidioc_create_bufs = vb2_ioctl_create_bufs,
	.vidioc_prepare_buf = vb2_ioctl_prepare_buf,
	.vidioc_querybuf = vb2_ioctl_querybuf,
	.vidioc_qbuf = vb2_ioctl_qbuf,
	.vidioc_dqbuf = vb2_ioctl_dqbuf,
	.vidioc_expbuf = vb2_ioctl_expbuf,
	.vidioc_streamon = vb2_ioctl_streamon,
	.vidioc_streamoff = vb2_ioctl_streamoff,
	.vidioc_log_status = usbcam_log_status,
	.vidioc_subscribe_event = v4l2_ctrl_subscribe_event,
	.vidioc_unsubscribe_event = v4l2_event_unsubscribe,
};

/* bug=put: the V4L2 core's helpers, with no gate and no unplug. */
static const struct v4l2_file_operations usbcam_ungated_fops = {
	.owner = THIS_MODULE,
	.open = v4l2_fh_open,
	.release = vb2_fop_release,
	.unlocked_ioctl = video_ioctl2,
	.read = vb2_fop_read,
	.poll = vb2_fop_poll,
	.mmap = vb2_fop_mmap,
};

/* ------------------------------------------------------------------------
 * Controls
 */

/* Called from an ioctl (inside the gate) or at probe. */
static int usbcam_s_ctrl(struct v4l2_ctrl *ctrl)
{
	struct usbcam *cam = container_of(ctrl->handler, struct usbcam, hdl);
	const struct usbcam_ctrl_map *map = ctrl->priv;
	__le16 v = cpu_to_le16(ctrl->val);

	return usbcam_query(cam, UVC_SET_CUR, cam->pu_id, cam->ctrl_ifnum,
			    map->selector, &v, sizeof(v));
}

static const struct v4l2_ctrl_ops usbcam_ctrl_ops = {
	.s_ctrl = usbcam_s_ctrl,
};

/* A control with the range the camera reports; skipped if it will not. */
static void usbcam_add_ctrl(struct usbcam *cam,
			    const struct usbcam_ctrl_map *map)
{
	static const u8 queries[] = {
		UVC_GET_MIN, UVC_GET_MAX, UVC_GET_RES, UVC_GET_DEF,
	};
	struct v4l2_ctrl *ctrl;
	s32 v[ARRAY_SIZE(queries)];
	unsigned int i;
	__le16 raw;
	int ret;

	for (i = 0; i < ARRAY_SIZE(queries); i++) {
		ret = usbcam_query(cam, queries[i], cam->pu_id,
				   cam->ctrl_ifnum, map->selector, &raw,
				   sizeof(raw));
		if (ret) {
			dev_warn(&cam->ctrl_intf->dev,
				 "control %u: query %#x: %d\n", map->selector,
				 queries[i], ret);
			return;
		}
		v[i] = map->is_signed ? (s16)le16_to_cpu(raw) :
					le16_to_cpu(raw);
	}
	if (v[0] > v[1] || v[2] <= 0 || v[3] < v[0] || v[3] > v[1]) {
		dev_warn(&cam->ctrl_intf->dev, "control %u: bad range\n",
			 map->selector);
		return;
	}
	ctrl = v4l2_ctrl_new_std(&cam->hdl, &usbcam_ctrl_ops, map->id, v[0],
				 v[1], v[2], v[3]);
	if (ctrl)
		ctrl->priv = (void *)map;
}

static void usbcam_ctrls_free(struct vlife_device *vl, void *data)
{
	v4l2_ctrl_handler_free(data);
}

/* The processing unit's controls, set to their defaults on the camera. */
static int usbcam_init_ctrls(struct usbcam *cam)
{
	unsigned int i;
	int ret;

	v4l2_ctrl_handler_init(&cam->hdl, ARRAY_SIZE(usbcam_ctrl_maps));
	ret = vlifem_add_action_or_reset(&cam->vl, usbcam_ctrls_free,
					 &cam->hdl);
	if (ret)
		return ret;
	for (i = 0; cam->pu_id && i < ARRAY_SIZE(usbcam_ctrl_maps); i++)
		if (cam->pu_controls & BIT(usbcam_ctrl_maps[i].bit))
			usbcam_add_ctrl(cam, &usbcam_ctrl_maps[i]);
	if (cam->hdl.error)
		return cam->hdl.error;
	return v4l2_ctrl_handler_setup(&cam->hdl);
}

/* ------------------------------------------------------------------------
 * Descriptors
 */

/*
 * Each class-specific interface descriptor in @buf, handed to @parse;
 * -EINVAL if a length runs past the end.
 */
static int usbcam_walk(struct usbcam *cam, const u8 *buf, int len,
		       int (*parse)(struct usbcam *cam, const u8 *d))
{
	int ret;

	while (len >= 3) {
		if (buf[USBCAM_DESC_LEN] < 3 || buf[USBCAM_DESC_LEN] > len)
			return -EINVAL;
		if (buf[USBCAM_DESC_TYPE] == USB_DT_CS_INTERFACE) {
			ret = parse(cam, buf);
			if (ret)
				return ret;
		}
		len -= buf[USBCAM_DESC_LEN];
		buf += buf[USBCAM_DESC_LEN];
	}
	return 0;
}

/* VideoControl: the header, the processing unit. */
static int usbcam_parse_vc(struct usbcam *cam, const u8 *d)
{
	u8 len = d[USBCAM_DESC_LEN];
	unsigned int i;

	switch (d[USBCAM_DESC_SUBTYPE]) {
	case UVC_VC_HEADER:
		if (len < USBCAM_VC_HDR_IF + 1 || !d[USBCAM_VC_HDR_NUM_IF] ||
		    len < USBCAM_VC_HDR_IF + d[USBCAM_VC_HDR_NUM_IF])
			return -EINVAL;
		cam->uvc_version = get_unaligned_le16(&d[USBCAM_VC_HDR_UVC]);
		cam->stream_ifnum = d[USBCAM_VC_HDR_IF];	/* the first */
		break;
	case UVC_VC_PROCESSING_UNIT:
		if (len < USBCAM_VC_PU_CTRLS ||
		    len < USBCAM_VC_PU_CTRLS + d[USBCAM_VC_PU_CTRL_SIZE])
			return -EINVAL;
		cam->pu_id = d[USBCAM_VC_ID];
		cam->pu_controls = 0;
		for (i = 0; i < min_t(u8, d[USBCAM_VC_PU_CTRL_SIZE], 4); i++)
			cam->pu_controls |= (u32)d[USBCAM_VC_PU_CTRLS + i] <<
					    (8 * i);
		break;
	}
	return 0;
}

static int usbcam_parse_format(struct usbcam *cam, const u8 *d)
{
	struct usbcam_format *fmt = &cam->formats[cam->nformats];
	u8 len = d[USBCAM_DESC_LEN];

	if (cam->nformats == USBCAM_MAX_FORMATS)
		return 0;
	if (d[USBCAM_DESC_SUBTYPE] == UVC_VS_FORMAT_UNCOMPRESSED) {
		if (len < 27)
			return -EINVAL;
		if (memcmp(&d[USBCAM_VS_FMT_GUID], usbcam_guid_yuy2, 16))
			return 0;	/* not YUYV: ignored, with its frames */
		fmt->fourcc = V4L2_PIX_FMT_YUYV;
		fmt->def_frame = d[USBCAM_VS_FMT_DEF_YUV];
	} else {
		if (len < 11)
			return -EINVAL;
		fmt->fourcc = V4L2_PIX_FMT_MJPEG;
		fmt->def_frame = d[USBCAM_VS_FMT_DEF_MJPEG];
	}
	fmt->index = d[USBCAM_VS_FMT_INDEX];
	fmt->nframes = 0;
	cam->nformats++;
	return 0;
}

/*
 * Discrete intervals; a continuous range offers its default only.  The
 * default must be one of them, or the first is.
 */
static void usbcam_parse_intervals(struct usbcam_frame *f, const u8 *d)
{
	unsigned int n = d[USBCAM_VS_FRM_IVAL_TYPE], i;
	u32 v;

	f->def_interval = get_unaligned_le32(&d[USBCAM_VS_FRM_DEF_IVAL]);
	f->nintervals = 0;
	for (i = 0; i < n && f->nintervals < USBCAM_MAX_INTERVALS; i++) {
		v = get_unaligned_le32(&d[USBCAM_VS_FRM_IVALS + 4 * i]);
		if (v)
			f->intervals[f->nintervals++] = v;
	}
	if (!f->nintervals)
		f->intervals[f->nintervals++] = f->def_interval ? :
						USBCAM_INTERVAL_HZ / 30;
	for (i = 0; i < f->nintervals; i++)
		if (f->intervals[i] == f->def_interval)
			return;
	f->def_interval = f->intervals[0];
}

/* A frame of the format just parsed (if that one was kept). */
static int usbcam_parse_frame(struct usbcam *cam, const u8 *d, u8 subtype)
{
	u8 len = d[USBCAM_DESC_LEN], n = 0;
	struct usbcam_format *fmt;
	struct usbcam_frame *f;

	if (!cam->nformats)
		return 0;
	fmt = &cam->formats[cam->nformats - 1];
	if (fmt->fourcc != (subtype == UVC_VS_FRAME_UNCOMPRESSED ?
			    V4L2_PIX_FMT_YUYV : V4L2_PIX_FMT_MJPEG))
		return 0;	/* a frame of an ignored format */
	if (len > USBCAM_VS_FRM_IVAL_TYPE)
		n = d[USBCAM_VS_FRM_IVAL_TYPE];
	if (len < USBCAM_VS_FRM_IVALS + 4 * (n ? n : 3))
		return -EINVAL;
	if (fmt->nframes == USBCAM_MAX_FRAMES)
		return 0;
	f = &fmt->frames[fmt->nframes];
	f->index = d[USBCAM_VS_FRM_INDEX];
	f->width = get_unaligned_le16(&d[USBCAM_VS_FRM_WIDTH]);
	f->height = get_unaligned_le16(&d[USBCAM_VS_FRM_HEIGHT]);
	f->max_size = get_unaligned_le32(&d[USBCAM_VS_FRM_MAX_SIZE]);
	if (fmt->fourcc == V4L2_PIX_FMT_YUYV || !f->max_size)
		f->max_size = f->width * f->height * 2;
	if (!f->width || !f->height || f->width > 8192 || f->height > 8192 ||
	    f->max_size > USBCAM_MAX_FRAME_SIZE)
		return 0;
	usbcam_parse_intervals(f, d);
	fmt->nframes++;
	return 0;
}

/* VideoStreaming: the input header, formats, their frames. */
static int usbcam_parse_vs(struct usbcam *cam, const u8 *d)
{
	u8 subtype = d[USBCAM_DESC_SUBTYPE];

	switch (subtype) {
	case UVC_VS_INPUT_HEADER:
		if (d[USBCAM_DESC_LEN] < 13 ||
		    !(d[USBCAM_VS_HDR_EP] & USB_DIR_IN))
			return -EINVAL;
		cam->pipe = usb_rcvbulkpipe(cam->udev, d[USBCAM_VS_HDR_EP] &
					    USB_ENDPOINT_NUMBER_MASK);
		return 0;
	case UVC_VS_FORMAT_UNCOMPRESSED:
	case UVC_VS_FORMAT_MJPEG:
		return usbcam_parse_format(cam, d);
	case UVC_VS_FRAME_UNCOMPRESSED:
	case UVC_VS_FRAME_MJPEG:
		return usbcam_parse_frame(cam, d, subtype);
	}
	return 0;
}

/* Byte 2 of the interface descriptor (USB 2.0 table 9-12). */
static u8 usbcam_ifnum(struct usb_interface *intf)
{
	return ((const u8 *)&intf->cur_altsetting->desc)[USBCAM_IF_NUMBER];
}

/* The streaming interface's bulk IN endpoint, as its header names it. */
static int usbcam_find_endpoint(struct usbcam *cam)
{
	struct usb_host_interface *alt = &cam->stream_intf->altsetting[0];
	struct usb_endpoint_descriptor *ep;

	if (usb_find_bulk_in_endpoint(alt, &ep) ||
	    usb_rcvbulkpipe(cam->udev, usb_endpoint_num(ep)) != cam->pipe) {
		dev_err(&cam->ctrl_intf->dev, "no bulk IN endpoint\n");
		return -ENODEV;
	}
	return 0;
}

static int usbcam_parse(struct usbcam *cam)
{
	struct usb_host_interface *alt = cam->ctrl_intf->cur_altsetting;
	int ret;

	cam->ctrl_ifnum = usbcam_ifnum(cam->ctrl_intf);
	ret = usbcam_walk(cam, alt->extra, alt->extralen, usbcam_parse_vc);
	if (ret || !cam->uvc_version)
		return dev_err_probe(&cam->ctrl_intf->dev, -EINVAL,
				     "bad VideoControl descriptors\n");
	cam->stream_intf = usb_ifnum_to_if(cam->udev, cam->stream_ifnum);
	if (!cam->stream_intf)
		return -ENODEV;
	alt = &cam->stream_intf->altsetting[0];
	ret = usbcam_walk(cam, alt->extra, alt->extralen, usbcam_parse_vs);
	if (ret || !cam->nformats || !cam->formats[0].nframes)
		return dev_err_probe(&cam->ctrl_intf->dev, -EINVAL,
				     "bad VideoStreaming descriptors\n");
	return usbcam_find_endpoint(cam);
}

/* ------------------------------------------------------------------------
 * Probe and disconnect
 */

/* Hardware: the streaming interface and a reference to the device. */
static int usbcam_claim(struct usbcam *cam)
{
	int ret;

	ret = usb_driver_claim_interface(&usbcam_driver, cam->stream_intf,
					 cam);
	if (ret)
		return ret;
	usb_get_dev(cam->udev);
	usb_make_path(cam->udev, cam->bus_info, sizeof(cam->bus_info));
	strscpy(cam->card, cam->udev->product ? : "vlife USB camera",
		sizeof(cam->card));
	return 0;
}

/* Probe's error path: give the hardware back, before devres unplugs. */
static void usbcam_unclaim(struct usbcam *cam)
{
	usb_set_intfdata(cam->stream_intf, NULL);	/* no disconnect */
	usb_driver_release_interface(&usbcam_driver, cam->stream_intf);
	usb_put_dev(cam->udev);
}

/* The first format, at its default frame size. */
static void usbcam_default_format(struct usbcam *cam)
{
	const struct usbcam_format *fmt = &cam->formats[0];
	const struct usbcam_frame *frame = &fmt->frames[0];
	unsigned int i;

	for (i = 0; i < fmt->nframes; i++)
		if (fmt->frames[i].index == fmt->def_frame)
			frame = &fmt->frames[i];
	usbcam_set_format(cam, fmt, frame);
}

static int usbcam_init_queue(struct usbcam *cam)
{
	struct vb2_queue *q = &cam->queue;

	spin_lock_init(&cam->qlock);
	INIT_LIST_HEAD(&cam->bufs);
	usbcam_default_format(cam);
	q->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	q->io_modes = VB2_MMAP | VB2_USERPTR | VB2_DMABUF | VB2_READ;
	q->drv_priv = cam;
	q->buf_struct_size = sizeof(struct usbcam_buffer);
	q->ops = &usbcam_qops;
	q->mem_ops = &vb2_vmalloc_memops;
	q->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC |
			     V4L2_BUF_FLAG_TSTAMP_SRC_SOE;
	q->lock = &cam->lock;
	q->dev = cam->vl.parent;
	/*
	 * Three buffers at least: one being filled, one waiting, one with
	 * the reader.  With two, any stall of the reader drops a frame.
	 */
	q->min_buffers_needed = 3;
	return vb2_queue_init(q);
}

static void usbcam_init_video(struct usbcam *cam)
{
	struct video_device *vdev = &cam->vdev;

	strscpy(vdev->name, USBCAM_NAME, sizeof(vdev->name));
	vdev->fops = &vlife_video_fops;
	vdev->ioctl_ops = &usbcam_ioctl_ops;
	vdev->lock = &cam->lock;
	vdev->queue = &cam->queue;
	vdev->ctrl_handler = &cam->hdl;
	vdev->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING |
			    V4L2_CAP_READWRITE;
	video_set_drvdata(vdev, cam);
}

static int usbcam_register(struct usbcam *cam)
{
	int ret;

	ret = vlife_v4l2_register(&cam->vl);
	if (ret)
		return ret;
	if (usbcam_bug("put")) {	/* a node the core does not know */
		cam->vdev.fops = &usbcam_ungated_fops;
		cam->vdev.v4l2_dev = &cam->vl.v4l2_dev;
		cam->vdev.release = video_device_release_empty;
		return video_register_device(&cam->vdev, VFL_TYPE_VIDEO, -1);
	}
	return vlife_video_register(&cam->vl, &cam->vdev, VFL_TYPE_VIDEO);
}

static void usbcam_bug_free(void *data)
{
	struct usbcam **state = data;

	kfree(*state);
}

/*
 * bug=free: free the state right after devres dropped the driver's vlife
 * reference, files open or not (registered before vlife_dev_alloc(), so
 * it runs after it; an extra reference keeps the core from freeing twice).
 */
static struct usbcam **usbcam_bug_free_prepare(struct device *dev)
{
	struct usbcam **state;

	state = devm_kzalloc(dev, sizeof(*state), GFP_KERNEL);
	if (!state || devm_add_action_or_reset(dev, usbcam_bug_free, state))
		return NULL;
	return state;
}

/*
 * Probe: hardware (descriptors, the streaming interface, the device
 * reference, the controls' ranges), then software objects, registration
 * last.  A failure after the claim gives the hardware back here; devres
 * then drops the vlife reference, which releases the software objects.
 */
static int usbcam_probe(struct usb_interface *intf,
			const struct usb_device_id *id)
{
	struct usbcam **bug_state = NULL;
	struct usbcam *cam;
	int ret;

	if (usbcam_bug("free")) {
		bug_state = usbcam_bug_free_prepare(&intf->dev);
		if (!bug_state)
			return -ENOMEM;
	}
	cam = vlife_dev_alloc(&intf->dev, NULL, struct usbcam, vl);
	if (IS_ERR(cam))
		return PTR_ERR(cam);
	if (bug_state) {
		*bug_state = cam;
		vlife_dev_get(&cam->vl, VLIFE_REF_OTHER);
	}
	usb_set_intfdata(intf, cam);
	cam->udev = interface_to_usbdev(intf);
	cam->ctrl_intf = intf;
	ret = usbcam_parse(cam);
	if (ret)
		return ret;
	ret = vlifem_mutex_init(&cam->vl, &cam->lock);
	if (ret)
		return ret;
	ret = usbcam_claim(cam);
	if (ret)
		return ret;
	ret = usbcam_init_ctrls(cam);
	if (!ret)
		ret = usbcam_init_queue(cam);
	if (!ret) {
		usbcam_init_video(cam);
		ret = usbcam_register(cam);
	}
	if (ret)
		usbcam_unclaim(cam);
	return ret;
}

/* bug=put: what drivers without a core do, in the wrong order. */
static void usbcam_disconnect_bug_put(struct usbcam *cam)
{
	usb_put_dev(cam->udev);		/* the stream is still running */
	video_unregister_device(&cam->vdev);
	vlife_dev_unplug(&cam->vl);
}

/*
 * Disconnect, for either interface (the other one is released here, and
 * its own disconnect finds no driver data).  The order is the point:
 * stream stopped, waiters woken, node gone, URBs dead -- all inside
 * vlife_dev_unplug() -- and only then the device reference dropped.
 * When @intf is the streaming interface, releasing the control interface
 * drops the driver's vlife reference: @cam may be freed there.
 */
static void usbcam_disconnect(struct usb_interface *intf)
{
	struct usbcam *cam = usb_get_intfdata(intf);
	struct usb_interface *other;
	struct usb_device *udev;

	if (!cam)
		return;
	usb_set_intfdata(cam->ctrl_intf, NULL);
	usb_set_intfdata(cam->stream_intf, NULL);
	other = intf == cam->ctrl_intf ? cam->stream_intf : cam->ctrl_intf;
	udev = cam->udev;
	if (usbcam_bug("put")) {
		usbcam_disconnect_bug_put(cam);
	} else {
		vlife_dev_unplug(&cam->vl);
		cam->udev = NULL;
		usb_put_dev(udev);
	}
	usb_driver_release_interface(&usbcam_driver, other);
}

static const struct usb_device_id usbcam_ids[] = {
	{ USB_DEVICE_AND_INTERFACE_INFO(USBCAM_VENDOR_ID, USBCAM_PRODUCT_ID,
					USB_CLASS_VENDOR_SPEC,
					UVC_SC_VIDEOCONTROL, 0) },
	{ }
};
MODULE_DEVICE_TABLE(usb, usbcam_ids);

static struct usb_driver usbcam_driver = {
	.name = USBCAM_NAME,
	.probe = usbcam_probe,
	.disconnect = usbcam_disconnect,
	.id_table = usbcam_ids,
};

module_usb_driver(usbcam_driver);

MODULE_DESCRIPTION("vlife sample USB camera driver (UVC style, bulk)");
MODULE_LICENSE("GPL");
