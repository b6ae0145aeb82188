// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-bridge DMA engine and video capture node.
 *
 * The hardware latches ADDR_{LO,HI} at each frame start and clears it.
 * The FRAME_START handler programs the next buffer (ping-pong), the
 * FRAME_END handler completes the buffer latched at that frame's start,
 * with the frame count as sequence.  A frame with no buffer is DROPPED and
 * shows as a gap in the sequence.
 *
 * The node, its vb2 queue and the buffer state live in the bridge's vlife
 * device; the node's file operations are the core's, inside the unplug
 * gate.  The registers are used only while the device is bound.
 */

#include <linux/dma-mapping.h>
#include <linux/regmap.h>
#include <media/v4l2-common.h>
#include <media/v4l2-ioctl.h>
#include <media/videobuf2-dma-contig.h>

#include "vlife-bridge.h"

static struct vbridge_buffer *to_vbridge_buffer(struct vb2_buffer *vb)
{
	return container_of(to_vb2_v4l2_buffer(vb), struct vbridge_buffer, vb);
}

/* ------------------------------------------------------------------------
 * Hardware: register writes, start, stop.  The callers hold the unplug
 * gate or run from .remove(), while the parent's regmap is there.
 */

/* One error check per block of writes: later writes are skipped. */
static void vbridge_write(struct vbridge *b, unsigned int reg, u32 val,
			  int *err)
{
	if (!*err)
		*err = regmap_write(b->regmap, reg, val);
}

static void vbridge_write_addr(struct vbridge *b, struct vbridge_buffer *buf,
			       int *err)
{
	dma_addr_t addr = 0;

	if (buf)
		addr = vb2_dma_contig_plane_dma_addr(&buf->vb.vb2_buf, 0);
	vbridge_write(b, VBRIDGE_ADDR_LO, lower_32_bits(addr), err);
	vbridge_write(b, VBRIDGE_ADDR_HI, upper_32_bits(addr), err);
}

/**
 * vbridge_hw_off() - switch the DMA engine and its interrupts off
 * @b: the bridge, bound (the parent's regmap is there)
 *
 * The state after reset: disabled, no interrupt enabled or pending.
 *
 * Return: 0 or the regmap's error.
 */
int vbridge_hw_off(struct vbridge *b)
{
	int err = 0;

	vbridge_write(b, VBRIDGE_CTRL, 0, &err);
	vbridge_write(b, VBRIDGE_IRQ_ENABLE, 0, &err);
	vbridge_write(b, VBRIDGE_IRQ_STATUS, VBRIDGE_IRQ_ALL, &err);
	return err;
}

/*
 * Program the frame geometry and the first buffer, then enable.  The
 * first queued buffer becomes @next: the first frame start latches it.
 */
static int vbridge_hw_start(struct vbridge *b)
{
	struct vbridge_buffer *first;
	int err = 0;

	spin_lock_irq(&b->slock);
	first = list_first_entry_or_null(&b->queued, struct vbridge_buffer,
					 list);
	if (first)
		list_del(&first->list);
	b->next = first;
	b->active = NULL;
	b->in_frame = false;
	b->dropped = 0;
	b->running = true;
	spin_unlock_irq(&b->slock);

	vbridge_write(b, VBRIDGE_WIDTH, b->fmt.width, &err);
	vbridge_write(b, VBRIDGE_HEIGHT, b->fmt.height, &err);
	vbridge_write(b, VBRIDGE_STRIDE, b->fmt.bytesperline, &err);
	vbridge_write(b, VBRIDGE_FORMAT, b->vfmt->hw_format, &err);
	vbridge_write_addr(b, first, &err);
	vbridge_write(b, VBRIDGE_IRQ_STATUS, VBRIDGE_IRQ_ALL, &err);
	vbridge_write(b, VBRIDGE_IRQ_ENABLE, VBRIDGE_IRQ_ALL, &err);
	vbridge_write(b, VBRIDGE_CTRL, VBRIDGE_CTRL_ENABLE, &err);
	return err;
}

/* Give every buffer the driver holds back to vb2, in @state. */
static void vbridge_return_buffers(struct vbridge *b,
				   enum vb2_buffer_state state)
{
	struct vbridge_buffer *buf, *tmp;
	LIST_HEAD(bufs);

	spin_lock_irq(&b->slock);
	if (b->active)
		list_add_tail(&b->active->list, &bufs);
	if (b->next)
		list_add_tail(&b->next->list, &bufs);
	b->active = NULL;
	b->next = NULL;
	list_splice_tail_init(&b->queued, &bufs);
	spin_unlock_irq(&b->slock);

	list_for_each_entry_safe(buf, tmp, &bufs, list) {
		list_del(&buf->list);
		vb2_buffer_done(&buf->vb.vb2_buf, state);
	}
}

/*
 * Stop the DMA engine.  Clearing ENABLE stops the memory writes before the
 * register write returns; synchronize_irq() then waits for an interrupt
 * handler that may still be completing a buffer on another CPU, and
 * @running keeps a late one away from the buffers.
 */
static void vbridge_hw_stop(struct vbridge *b)
{
	spin_lock_irq(&b->slock);
	b->running = false;
	spin_unlock_irq(&b->slock);
	if (vbridge_hw_off(b))
		dev_err(b->vl.parent, "cannot stop the DMA engine\n");
	synchronize_irq(b->irq);
	dev_dbg(b->vl.parent, "stopped, %u frames dropped\n", b->dropped);
}

/* ------------------------------------------------------------------------
 * Interrupt: frame start and frame end.
 */

/* The frame that starts latched @next: it becomes @active. */
static void vbridge_frame_start(struct vbridge *b)
{
	struct vbridge_buffer *next;
	int err = 0;

	spin_lock(&b->slock);
	if (!b->running) {
		spin_unlock(&b->slock);
		return;
	}
	/*
	 * A buffer still active missed its frame end (events that merged):
	 * its content is unknown, so it goes back to the queue, never to
	 * userspace as a frame, and is not lost either.
	 */
	if (b->active) {
		list_add(&b->active->list, &b->queued);
		b->dropped++;
	}
	b->active = b->next;
	next = list_first_entry_or_null(&b->queued, struct vbridge_buffer,
					list);
	if (next)
		list_del(&next->list);
	b->next = next;
	spin_unlock(&b->slock);

	b->frame_ts = ktime_get_ns();
	b->in_frame = true;
	/* No buffer: ADDR stays cleared and the next frame is dropped. */
	if (next)
		vbridge_write_addr(b, next, &err);
	if (err)
		dev_err_ratelimited(b->vl.parent, "cannot program DMA\n");
}

/*
 * The frame ended: complete the latched buffer, with the frame count as
 * sequence (FRAME_COUNT is bumped before FRAME_END).  A dropped frame
 * wrote nothing: its buffer, if one was latched, goes back to the head of
 * the queue for the next frame.
 */
static void vbridge_frame_end(struct vbridge *b, u32 status)
{
	struct vbridge_buffer *buf;
	unsigned int count = 0;

	b->in_frame = false;
	if (regmap_read(b->regmap, VBRIDGE_FRAME_COUNT, &count))
		dev_err_ratelimited(b->vl.parent, "cannot read FRAME_COUNT\n");

	spin_lock(&b->slock);
	if (!b->running) {
		spin_unlock(&b->slock);
		return;
	}
	buf = b->active;
	b->active = NULL;
	if (buf && (status & VBRIDGE_IRQ_DROPPED)) {
		list_add(&buf->list, &b->queued);
		buf = NULL;
	}
	if (!buf)
		b->dropped++;
	spin_unlock(&b->slock);
	if (!buf)
		return;

	buf->vb.sequence = count - 1;
	buf->vb.field = V4L2_FIELD_NONE;
	buf->vb.vb2_buf.timestamp = b->frame_ts;
	vb2_set_plane_payload(&buf->vb.vb2_buf, 0, b->fmt.sizeimage);
	vb2_buffer_done(&buf->vb.vb2_buf, VB2_BUF_STATE_DONE);
}

/**
 * vbridge_irq() - the frame interrupt's handler
 * @irq: the interrupt
 * @data: the bridge
 *
 * A hard handler: the parent's regmap is MMIO-like (fast_io, a spinlock)
 * and each step is short, so every frame start is handled before the
 * next frame can start, and the next buffer is programmed in time.  (A
 * bridge whose registers sit behind a bus that sleeps needs a threaded
 * handler; events then merge in IRQ_STATUS when the thread runs late.)
 *
 * It runs inside the unplug gate: once .remove() has started, it leaves
 * the hardware alone.  A frame end pending together with a frame start
 * belongs to the frame already started if there is one, else to the
 * frame that starts.
 *
 * Return: %IRQ_HANDLED, or %IRQ_NONE if nothing was pending.
 */
irqreturn_t vbridge_irq(int irq, void *data)
{
	struct vbridge *b = data;
	unsigned int status;
	int idx;

	if (!vlife_dev_enter(&b->vl, &idx))
		return IRQ_NONE;
	if (regmap_read(b->regmap, VBRIDGE_IRQ_STATUS, &status) ||
	    !(status & VBRIDGE_IRQ_ALL)) {
		vlife_dev_exit(&b->vl, idx);
		return IRQ_NONE;
	}
	regmap_write(b->regmap, VBRIDGE_IRQ_STATUS, status);

	if ((status & VBRIDGE_IRQ_END) && b->in_frame) {
		vbridge_frame_end(b, status);
		status &= ~VBRIDGE_IRQ_END;
	}
	if (status & VBRIDGE_IRQ_FRAME_START)
		vbridge_frame_start(b);
	if (status & VBRIDGE_IRQ_END)
		vbridge_frame_end(b, status);

	vlife_dev_exit(&b->vl, idx);
	return IRQ_HANDLED;
}

/* ------------------------------------------------------------------------
 * Streaming: pipeline, sensor and DMA, all under @lock.
 */

/*
 * Undo whatever of a stream start was done; @lock held.  Called by
 * stop_streaming, by a failed start and by the notifier's .unbind: the
 * flags make it safe to call again.  The DMA stops first, so the buffers
 * are safe to return whatever the sensor does.
 */
static void vbridge_stream_stop(struct vbridge *b)
{
	int ret;

	vbridge_hw_stop(b);
	if (b->sensor_streaming) {
		ret = v4l2_subdev_call(b->sensor, video, s_stream, 0);
		if (ret)
			dev_dbg(b->vl.parent, "sensor s_stream(0): %d\n", ret);
		b->sensor_streaming = false;
	}
	if (b->pipe_started) {
		video_device_pipeline_stop(&b->vdev);
		b->pipe_started = false;
	}
}

/*
 * The receiver is set up before the sensor sends: pipeline (the links'
 * formats are validated here: -EPIPE on a mismatch, -ENOLINK without a
 * sensor), then the DMA engine, then the sensor.
 */
static int vbridge_stream_start(struct vbridge *b)
{
	int ret;

	if (!b->sensor)
		return -ENOLINK;
	ret = video_device_pipeline_start(&b->vdev, &b->pipe);
	if (ret)
		return ret;
	b->pipe_started = true;
	ret = vbridge_hw_start(b);
	if (ret)
		return ret;
	ret = v4l2_subdev_call(b->sensor, video, s_stream, 1);
	if (ret)
		return ret;
	b->sensor_streaming = true;
	return 0;
}

/* The largest frame of any format, at any size, the bridge delivers. */
static unsigned int vbridge_max_sizeimage(void)
{
	unsigned int i, bpp = 0, pixels = 0;

	for (i = 0; i < ARRAY_SIZE(vbridge_formats); i++)
		bpp = max_t(unsigned int, bpp, vbridge_formats[i].bpp);
	for (i = 0; i < ARRAY_SIZE(vbridge_sizes); i++)
		pixels = max(pixels, vbridge_sizes[i].width *
				     vbridge_sizes[i].height);
	return pixels * bpp;
}

static int vbridge_queue_setup(struct vb2_queue *q, unsigned int *nbuffers,
			       unsigned int *nplanes, unsigned int sizes[],
			       struct device *alloc_devs[])
{
	struct vbridge *b = vb2_get_drv_priv(q);

	return vlife_queue_setup(nplanes, sizes, b->fmt.sizeimage,
				 vbridge_max_sizeimage());
}

static int vbridge_buf_prepare(struct vb2_buffer *vb)
{
	struct vbridge *b = vb2_get_drv_priv(vb->vb2_queue);

	if (vb2_plane_size(vb, 0) < b->fmt.sizeimage)
		return -EINVAL;
	vb2_set_plane_payload(vb, 0, b->fmt.sizeimage);
	return 0;
}

/* Only the frame start handler programs the hardware's buffer address. */
static void vbridge_buf_queue(struct vb2_buffer *vb)
{
	struct vbridge *b = vb2_get_drv_priv(vb->vb2_queue);
	struct vbridge_buffer *buf = to_vbridge_buffer(vb);

	spin_lock_irq(&b->slock);
	list_add_tail(&buf->list, &b->queued);
	spin_unlock_irq(&b->slock);
}

/*
 * From STREAMON, or the QBUF that brings the queue to min_buffers_needed:
 * an ioctl, so inside the core's unplug gate, with @lock held by vb2.
 */
static int vbridge_start_streaming(struct vb2_queue *q, unsigned int count)
{
	struct vbridge *b = vb2_get_drv_priv(q);
	int ret;

	ret = vbridge_stream_start(b);
	if (ret) {
		vbridge_stream_stop(b);
		vbridge_return_buffers(b, VB2_BUF_STATE_QUEUED);
	}
	return ret;
}

/*
 * From STREAMOFF or close() inside the gate, or from vlife_dev_unplug()
 * in .remove() after the gate has closed.  It must stop the DMA engine
 * either way (the hardware is still there in .remove(), and the buffers
 * are freed right after), so it does not test the gate itself.
 */
static void vbridge_stop_streaming(struct vb2_queue *q)
{
	struct vbridge *b = vb2_get_drv_priv(q);

	vbridge_stream_stop(b);
	vbridge_return_buffers(b, VB2_BUF_STATE_ERROR);
}

/**
 * vbridge_stream_abort() - stop a stream whose sensor is going away
 * @b: the bridge, with @b->lock held
 *
 * Stops the DMA engine, the sensor and the media pipeline now, returns
 * the buffers with %VB2_BUF_STATE_ERROR and marks the queue in error, so
 * that a DQBUF waiting for a frame returns -EIO at once.  STREAMOFF then
 * works as usual (stop_streaming finds nothing left to stop).
 */
void vbridge_stream_abort(struct vbridge *b)
{
	lockdep_assert_held(&b->lock);
	if (!vb2_is_streaming(&b->queue))
		return;
	vbridge_stream_stop(b);
	vbridge_return_buffers(b, VB2_BUF_STATE_ERROR);
	vb2_queue_error(&b->queue);
}

static const struct vb2_ops vbridge_qops = {
	.queue_setup = vbridge_queue_setup,
	.buf_prepare = vbridge_buf_prepare,
	.buf_queue = vbridge_buf_queue,
	.start_streaming = vbridge_start_streaming,
	.stop_streaming = vbridge_stop_streaming,
	.wait_prepare = vb2_ops_wait_prepare,
	.wait_finish = vb2_ops_wait_finish,
};

/* ------------------------------------------------------------------------
 * Video node: formats in memory.  The node is MC-centric: its format is
 * set on its own and checked against the receiver's at STREAMON.
 */

static void vbridge_try_fmt(struct v4l2_pix_format *pix,
			    const struct vbridge_format **vfmtp)
{
	const struct vbridge_format *vfmt;
	const struct v4l2_frmsize_discrete *size;

	vfmt = vbridge_find_fourcc(pix->pixelformat);
	if (!vfmt)
		vfmt = &vbridge_formats[0];
	size = v4l2_find_nearest_size(vbridge_sizes,
				      ARRAY_SIZE(vbridge_sizes), width,
				      height, pix->width, pix->height);
	memset(pix, 0, sizeof(*pix));
	pix->pixelformat = vfmt->fourcc;
	pix->width = size->width;
	pix->height = size->height;
	pix->field = V4L2_FIELD_NONE;
	pix->bytesperline = size->width * vfmt->bpp;
	pix->sizeimage = pix->bytesperline * size->height;
	pix->colorspace = V4L2_COLORSPACE_RAW;
	pix->xfer_func = V4L2_XFER_FUNC_NONE;
	pix->ycbcr_enc = V4L2_YCBCR_ENC_601;
	pix->quantization = V4L2_QUANTIZATION_FULL_RANGE;
	if (vfmtp)
		*vfmtp = vfmt;
}

static int vbridge_querycap(struct file *file, void *priv,
			    struct v4l2_capability *cap)
{
	strscpy(cap->driver, VBRIDGE_NAME, sizeof(cap->driver));
	strscpy(cap->card, VBRIDGE_MODEL, sizeof(cap->card));
	return 0;
}

/* MC-centric: with a media bus code, only the formats that carry it. */
static int vbridge_enum_fmt(struct file *file, void *priv,
			    struct v4l2_fmtdesc *f)
{
	const struct vbridge_format *vfmt;

	if (f->mbus_code) {
		vfmt = vbridge_find_code(f->mbus_code);
		if (!vfmt || f->index)
			return -EINVAL;
	} else {
		if (f->index >= ARRAY_SIZE(vbridge_formats))
			return -EINVAL;
		vfmt = &vbridge_formats[f->index];
	}
	f->pixelformat = vfmt->fourcc;
	return 0;
}

static int vbridge_g_fmt(struct file *file, void *priv,
			 struct v4l2_format *f)
{
	struct vbridge *b = video_drvdata(file);

	f->fmt.pix = b->fmt;
	return 0;
}

static int vbridge_try_fmt_vid_cap(struct file *file, void *priv,
				   struct v4l2_format *f)
{
	vbridge_try_fmt(&f->fmt.pix, NULL);
	return 0;
}

static int vbridge_s_fmt(struct file *file, void *priv,
			 struct v4l2_format *f)
{
	struct vbridge *b = video_drvdata(file);

	if (vb2_is_busy(&b->queue))
		return -EBUSY;
	vbridge_try_fmt(&f->fmt.pix, &b->vfmt);
	b->fmt = f->fmt.pix;
	return 0;
}

static int vbridge_enum_framesizes(struct file *file, void *priv,
				   struct v4l2_frmsizeenum *fs)
{
	if (!vbridge_find_fourcc(fs->pixel_format) ||
	    fs->index >= ARRAY_SIZE(vbridge_sizes))
		return -EINVAL;
	fs->type = V4L2_FRMSIZE_TYPE_DISCRETE;
	fs->discrete = vbridge_sizes[fs->index];
	return 0;
}

static const struct v4l2_ioctl_ops vbridge_ioctl_ops = {
	.vidioc_querycap = vbridge_querycap,
	.vidioc_enum_fmt_vid_cap = vbridge_enum_fmt,
	.vidioc_g_fmt_vid_cap = vbridge_g_fmt,
	.vidioc_try_fmt_vid_cap = vbridge_try_fmt_vid_cap,
	.vidioc_s_fmt_vid_cap = vbridge_s_fmt,
	.vidioc_enum_framesizes = vbridge_enum_framesizes,
	.vidioc_reqbufs = vb2_ioctl_reqbufs,
	.vidioc_create_bufs = vb2_ioctl_create_bufs,
	.vidioc_prepare_buf = vb2_ioctl_prepare_buf,
	.vidioc_querybuf = vb2_ioctl_querybuf,
	.vidioc_qbuf = vb2_ioctl_qbuf,
	.vidioc_dqbuf = vb2_ioctl_dqbuf,
	.vidioc_expbuf = vb2_ioctl_expbuf,
	.vidioc_streamon = vb2_ioctl_streamon,
	.vidioc_streamoff = vb2_ioctl_streamoff,
};

/*
 * The receiver -> video node link: the receiver's source format must be
 * what the DMA engine is set to write.  Called by the media pipeline
 * start, under the graph mutex.
 */
static int vbridge_video_link_validate(struct media_link *link)
{
	struct video_device *vdev =
		media_entity_to_video_device(link->sink->entity);
	struct vbridge *b = container_of(vdev, struct vbridge, vdev);
	struct v4l2_subdev_state *state;
	struct v4l2_mbus_framefmt *fmt;
	int ret = 0;

	state = v4l2_subdev_lock_and_get_active_state(&b->csi2);
	fmt = v4l2_subdev_get_pad_format(&b->csi2, state, VBRIDGE_PAD_SOURCE);
	if (fmt->width != b->fmt.width || fmt->height != b->fmt.height ||
	    fmt->code != b->vfmt->code) {
		dev_dbg(b->vl.parent,
			"link: %ux%u 0x%04x to %ux%u %p4cc: mismatch\n",
			fmt->width, fmt->height, fmt->code, b->fmt.width,
			b->fmt.height, &b->fmt.pixelformat);
		ret = -EPIPE;
	}
	v4l2_subdev_unlock_state(state);
	return ret;
}

static const struct media_entity_operations vbridge_video_entity_ops = {
	.link_validate = vbridge_video_link_validate,
};

static int vbridge_init_queue(struct vbridge *b)
{
	struct vb2_queue *q = &b->queue;

	q->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	q->io_modes = VB2_MMAP | VB2_DMABUF;
	q->drv_priv = b;
	q->buf_struct_size = sizeof(struct vbridge_buffer);
	q->ops = &vbridge_qops;
	q->mem_ops = &vb2_dma_contig_memops;
	q->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC |
			     V4L2_BUF_FLAG_TSTAMP_SRC_SOE;
	q->lock = &b->lock;
	q->dev = b->vl.parent;
	/*
	 * One buffer being written, one programmed for the next frame, one
	 * with userspace: with fewer, every frame userspace holds a little
	 * long is dropped.
	 */
	q->min_buffers_needed = 3;
	/*
	 * CREATE_BUFS lets userspace ask for any buffer size.  One larger
	 * than the page allocator's biggest block (4 MiB without CMA) must
	 * fail with -ENOMEM, not with a kernel warning anyone can trigger.
	 */
	q->gfp_flags = __GFP_NOWARN;
	return vb2_queue_init(q);
}

/**
 * vbridge_video_init() - set up the vb2 queue and the capture node
 * @b: the bridge
 *
 * Both are embedded in @b, owned by its vlife device: the core releases
 * the queue at unplug and the node on its last reference.  The default
 * format is the sensor's and the receiver's default, so the node streams
 * without any media-ctl set-up.
 *
 * Return: 0 or a negative errno.
 */
int vbridge_video_init(struct vbridge *b)
{
	struct video_device *vdev = &b->vdev;
	int ret;

	b->fmt.pixelformat = vbridge_formats[0].fourcc;
	b->fmt.width = vbridge_sizes[0].width;
	b->fmt.height = vbridge_sizes[0].height;
	vbridge_try_fmt(&b->fmt, &b->vfmt);
	ret = vbridge_init_queue(b);
	if (ret)
		return ret;

	strscpy(vdev->name, VBRIDGE_NAME, sizeof(vdev->name));
	vdev->fops = &vlife_video_fops;
	vdev->ioctl_ops = &vbridge_ioctl_ops;
	vdev->lock = &b->lock;
	vdev->queue = &b->queue;
	vdev->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING |
			    V4L2_CAP_IO_MC;
	vdev->entity.function = MEDIA_ENT_F_IO_V4L;
	vdev->entity.ops = &vbridge_video_entity_ops;
	b->vdev_pad.flags = MEDIA_PAD_FL_SINK | MEDIA_PAD_FL_MUST_CONNECT;
	video_set_drvdata(vdev, b);
	return media_entity_pads_init(&vdev->entity, 1, &b->vdev_pad);
}
