/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vlife-bridge: state and registers shared by the bridge's files.
 *
 * vlife-bridge-core.c  the platform driver: probe, remove, the v4l2-async
 *                      notifier that binds the sensor, ownership overview
 * vlife-bridge-video.c the DMA engine, its interrupt, the vb2 queue and
 *                      the video capture node
 * vlife-bridge-csi2.c  the CSI-2 receiver subdev and the format tables
 */
#ifndef _VLIFE_BRIDGE_H
#define _VLIFE_BRIDGE_H

#include <linux/interrupt.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <media/v4l2-async.h>
#include <media/v4l2-dev.h>
#include <media/v4l2-subdev.h>
#include <media/videobuf2-v4l2.h>
#include <media/vlife.h>

struct regmap;

#define VBRIDGE_NAME		"vlife-bridge"
#define VBRIDGE_CSI2_NAME	"vlife-bridge-csi2"
#define VBRIDGE_MODEL		"vlife camera bridge"

/* Register block, 32-bit registers behind the parent's regmap */
#define VBRIDGE_ID		0x000
#define VBRIDGE_ID_VALUE	0x56424731	/* "VBG1" */
#define VBRIDGE_CTRL		0x004
#define VBRIDGE_CTRL_ENABLE	BIT(0)
#define VBRIDGE_IRQ_STATUS	0x008		/* write 1 to clear */
#define VBRIDGE_IRQ_ENABLE	0x00c
#define VBRIDGE_IRQ_FRAME_START	BIT(0)
#define VBRIDGE_IRQ_FRAME_END	BIT(1)
#define VBRIDGE_IRQ_DROPPED	BIT(2)		/* with FRAME_END: no buffer */
#define VBRIDGE_IRQ_END		(VBRIDGE_IRQ_FRAME_END | VBRIDGE_IRQ_DROPPED)
#define VBRIDGE_IRQ_ALL		(VBRIDGE_IRQ_FRAME_START | VBRIDGE_IRQ_END)
#define VBRIDGE_WIDTH		0x010
#define VBRIDGE_HEIGHT		0x014
#define VBRIDGE_STRIDE		0x018
#define VBRIDGE_FORMAT		0x01c
#define VBRIDGE_FORMAT_RAW8	0
#define VBRIDGE_FORMAT_RAW10	1		/* 16-bit little-endian words */
#define VBRIDGE_ADDR_LO		0x020		/* latched at frame start */
#define VBRIDGE_ADDR_HI		0x024
#define VBRIDGE_FRAME_COUNT	0x028		/* frames since ENABLE */

/* Receiver pads */
#define VBRIDGE_PAD_SINK	0
#define VBRIDGE_PAD_SOURCE	1
#define VBRIDGE_NUM_PADS	2

#define VBRIDGE_MAX_LANES	2

/**
 * struct vbridge_format - a format the receiver and the DMA engine handle
 * @fourcc: the pixel format in memory
 * @code: the media bus code on the CSI-2 link
 * @bpp: bytes per pixel in memory
 * @hw_format: the FORMAT register value
 */
struct vbridge_format {
	u32 fourcc;
	u32 code;
	u8 bpp;
	u8 hw_format;
};

/**
 * struct vbridge_buffer - a capture buffer
 * @vb: the vb2 buffer, owned by vb2
 * @list: link in &vbridge.queued
 */
struct vbridge_buffer {
	struct vb2_v4l2_buffer vb;
	struct list_head list;
};

/**
 * struct vbridge - one bridge, owned by its vlife device
 * @vl: the vlife device; frees this structure on its last reference
 * @regmap: the register block, the parent's; used only while the device
 *	is bound (inside the unplug gate, or from .remove())
 * @irq: the frame interrupt, a devm_ resource of the platform device
 * @lanes: CSI-2 data lanes, from the firmware endpoint (a real receiver
 *	programs its D-PHY with it; this one only checks it)
 * @lock: serialises the video node's ioctls and vb2 queue operations, and
 *	protects @sensor, @pipe_started and @sensor_streaming
 * @vdev: the capture node
 * @vdev_pad: its sink pad
 * @queue: its vb2 queue
 * @fmt: the capture format
 * @vfmt: the &struct vbridge_format of @fmt
 * @pipe: the media pipeline while streaming
 * @csi2: the CSI-2 receiver subdev
 * @csi2_pads: its sink and source pads
 * @notifier: finds the sensor through the firmware graph
 * @sensor: the bound sensor's subdev, borrowed; NULL when there is none
 * @pipe_started: the media pipeline is started
 * @sensor_streaming: the sensor's s_stream(1) succeeded
 * @slock: protects the buffer state below against the interrupt handler
 * @queued: buffers queued by userspace, not yet given to the hardware
 * @next: the buffer in ADDR_{LO,HI}, for the next frame start to latch
 * @active: the buffer the hardware latched and is writing
 * @running: the DMA engine runs; the interrupt handler touches buffers
 *	only while it is set
 * @in_frame: a frame start was handled and its frame end not yet
 *	(interrupt handler only)
 * @frame_ts: monotonic time of the last frame start (interrupt handler)
 * @dropped: frames dropped since stream on, for the log
 */
struct vbridge {
	struct vlife_device vl;
	struct regmap *regmap;
	int irq;
	unsigned int lanes;

	struct mutex lock; /* ioctls, queue, sensor pointer */
	struct video_device vdev;
	struct media_pad vdev_pad;
	struct vb2_queue queue;
	struct v4l2_pix_format fmt;
	const struct vbridge_format *vfmt;
	struct media_pipeline pipe;

	struct v4l2_subdev csi2;
	struct media_pad csi2_pads[VBRIDGE_NUM_PADS];
	struct v4l2_async_notifier notifier;
	struct v4l2_subdev *sensor;
	bool pipe_started;
	bool sensor_streaming;

	spinlock_t slock; /* buffers vs. the interrupt handler */
	struct list_head queued;
	struct vbridge_buffer *next;
	struct vbridge_buffer *active;
	bool running;
	bool in_frame;
	u64 frame_ts;
	u32 dropped;
};

/* vlife-bridge-csi2.c */
#define VBRIDGE_NUM_FORMATS	2
#define VBRIDGE_NUM_SIZES	2
extern const struct vbridge_format vbridge_formats[VBRIDGE_NUM_FORMATS];
extern const struct v4l2_frmsize_discrete vbridge_sizes[VBRIDGE_NUM_SIZES];

const struct vbridge_format *vbridge_find_code(u32 code);
const struct vbridge_format *vbridge_find_fourcc(u32 fourcc);
int vbridge_csi2_init(struct vbridge *b);

/* vlife-bridge-video.c */
int vbridge_hw_off(struct vbridge *b);
irqreturn_t vbridge_irq(int irq, void *data);
void vbridge_stream_abort(struct vbridge *b);
int vbridge_video_init(struct vbridge *b);

#endif /* _VLIFE_BRIDGE_H */
