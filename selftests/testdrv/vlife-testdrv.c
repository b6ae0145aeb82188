// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-testdrv: the vlife core's test driver.
 *
 * A platform driver with one video capture node fed by a timer, a media
 * device and one subdev node, all owned by the vlife core.  It is the
 * target of the core's selftests, in the style of the kernel's lib/test_*
 * modules: it registers its own platform device at load.
 *
 * Test knobs (module parameters):
 * - ioctl_delay_ms: VIDIOC_LOG_STATUS sleeps this long, to hold an ioctl
 *   in flight across an unbind;
 * - bug: put back a classic lifetime mistake, so the selftests can be seen
 *   to catch it: "devm" frees the state at unbind (what devm_kzalloc()
 *   with video_device_release_empty() does), "nogate" registers the node
 *   with the V4L2 core's plain file operations and tears it down by hand,
 *   without the unplug gate.
 */

#include <linux/delay.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>
#include <media/v4l2-subdev.h>
#include <media/videobuf2-v4l2.h>
#include <media/videobuf2-vmalloc.h>
#include <media/vlife.h>

#define TESTDRV_NAME		"vlife-testdrv"
#define TESTDRV_WIDTH		320
#define TESTDRV_HEIGHT		240
#define TESTDRV_FPS		30
#define TESTDRV_MBUS_CODE	MEDIA_BUS_FMT_YUYV8_2X8

static unsigned int ioctl_delay_ms;
module_param(ioctl_delay_ms, uint, 0644);
MODULE_PARM_DESC(ioctl_delay_ms, "VIDIOC_LOG_STATUS sleeps this long (ms)");

static char *bug = "";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug, "put back a lifetime bug: devm or nogate");

/**
 * struct testdrv - one test device, owned by its vlife device
 * @vl: the vlife device; frees this structure on its last reference
 * @vdev: the capture node
 * @queue: its vb2 queue
 * @lock: serialises ioctls and queue operations
 * @hdl: controls of the capture node
 * @sd: the processing subdev, with its own node
 * @sd_hdl: controls of the subdev, which sends control events
 * @sd_pads: its sink and source pads
 * @vid_pad: the capture node's sink pad
 * @qlock: protects @bufs against the frame timer
 * @bufs: buffers queued by userspace, waiting for a frame
 * @timer: the "hardware": completes one buffer per frame period
 * @sequence: frames delivered, written into every byte of a frame
 */
struct testdrv {
	struct vlife_device vl;
	struct video_device vdev;
	struct vb2_queue queue;
	struct mutex lock; /* ioctls and queue */
	struct v4l2_ctrl_handler hdl;
	struct v4l2_subdev sd;
	struct v4l2_ctrl_handler sd_hdl;
	struct media_pad sd_pads[2];
	struct media_pad vid_pad;
	spinlock_t qlock; /* @bufs vs. the timer */
	struct list_head bufs;
	struct timer_list timer;
	u32 sequence;
};

struct testdrv_buffer {
	struct vb2_v4l2_buffer vb;
	struct list_head list;
};

static struct testdrv_buffer *to_testdrv_buffer(struct vb2_buffer *vb)
{
	return container_of(to_vb2_v4l2_buffer(vb), struct testdrv_buffer, vb);
}

static const struct v4l2_pix_format testdrv_fmt = {
	.width = TESTDRV_WIDTH,
	.height = TESTDRV_HEIGHT,
	.pixelformat = V4L2_PIX_FMT_YUYV,
	.field = V4L2_FIELD_NONE,
	.bytesperline = TESTDRV_WIDTH * 2,
	.sizeimage = TESTDRV_WIDTH * 2 * TESTDRV_HEIGHT,
	.colorspace = V4L2_COLORSPACE_SRGB,
};

/*
 * The frame timer stands for the hardware's interrupt: it runs inside the
 * unplug gate, and stops re-arming itself once the device is gone.  A
 * period with no buffer queued delivers nothing and counts nothing: the
 * sequence has no gaps, however late a loaded test machine requeues
 * (v4l2-compliance warns about gaps).
 */
static void testdrv_frame(struct timer_list *timer)
{
	struct testdrv *t = from_timer(t, timer, timer);
	struct testdrv_buffer *buf;
	unsigned long flags;
	int idx;

	if (!vlife_dev_enter(&t->vl, &idx))
		return;
	spin_lock_irqsave(&t->qlock, flags);
	buf = list_first_entry_or_null(&t->bufs, struct testdrv_buffer, list);
	if (buf)
		list_del(&buf->list);
	spin_unlock_irqrestore(&t->qlock, flags);
	if (buf) {
		memset(vb2_plane_vaddr(&buf->vb.vb2_buf, 0), t->sequence & 0xff,
		       testdrv_fmt.sizeimage);
		buf->vb.sequence = t->sequence++;
		buf->vb.field = V4L2_FIELD_NONE;
		buf->vb.vb2_buf.timestamp = ktime_get_ns();
		vb2_buffer_done(&buf->vb.vb2_buf, VB2_BUF_STATE_DONE);
	}
	mod_timer(&t->timer, jiffies + HZ / TESTDRV_FPS);
	vlife_dev_exit(&t->vl, idx);
}

static int testdrv_queue_setup(struct vb2_queue *q, unsigned int *nbuffers,
			       unsigned int *nplanes, unsigned int sizes[],
			       struct device *alloc_devs[])
{
	/* One format, one size: it is also the largest. */
	return vlife_queue_setup(nplanes, sizes, testdrv_fmt.sizeimage,
				 testdrv_fmt.sizeimage);
}

static int testdrv_buf_prepare(struct vb2_buffer *vb)
{
	if (vb2_plane_size(vb, 0) < testdrv_fmt.sizeimage)
		return -EINVAL;
	vb2_set_plane_payload(vb, 0, testdrv_fmt.sizeimage);
	return 0;
}

static void testdrv_buf_queue(struct vb2_buffer *vb)
{
	struct testdrv *t = vb2_get_drv_priv(vb->vb2_queue);
	struct testdrv_buffer *buf = to_testdrv_buffer(vb);
	unsigned long flags;

	spin_lock_irqsave(&t->qlock, flags);
	list_add_tail(&buf->list, &t->bufs);
	spin_unlock_irqrestore(&t->qlock, flags);
}

static void testdrv_return_buffers(struct testdrv *t,
				   enum vb2_buffer_state state)
{
	struct testdrv_buffer *buf, *tmp;
	unsigned long flags;

	spin_lock_irqsave(&t->qlock, flags);
	list_for_each_entry_safe(buf, tmp, &t->bufs, list) {
		list_del(&buf->list);
		vb2_buffer_done(&buf->vb.vb2_buf, state);
	}
	spin_unlock_irqrestore(&t->qlock, flags);
}

static int testdrv_start_streaming(struct vb2_queue *q, unsigned int count)
{
	struct testdrv *t = vb2_get_drv_priv(q);

	t->sequence = 0;
	mod_timer(&t->timer, jiffies + HZ / TESTDRV_FPS);
	return 0;
}

/* Also called by the unplug, with the hardware still there. */
static void testdrv_stop_streaming(struct vb2_queue *q)
{
	struct testdrv *t = vb2_get_drv_priv(q);

	del_timer_sync(&t->timer);
	testdrv_return_buffers(t, VB2_BUF_STATE_ERROR);
}

static const struct vb2_ops testdrv_qops = {
	.queue_setup = testdrv_queue_setup,
	.buf_prepare = testdrv_buf_prepare,
	.buf_queue = testdrv_buf_queue,
	.start_streaming = testdrv_start_streaming,
	.stop_streaming = testdrv_stop_streaming,
	.wait_prepare = vb2_ops_wait_prepare,
	.wait_finish = vb2_ops_wait_finish,
};

static int testdrv_querycap(struct file *file, void *priv,
			    struct v4l2_capability *cap)
{
	strscpy(cap->driver, TESTDRV_NAME, sizeof(cap->driver));
	strscpy(cap->card, "vlife test device", sizeof(cap->card));
	return 0;
}

static int testdrv_enum_fmt(struct file *file, void *priv,
			    struct v4l2_fmtdesc *f)
{
	if (f->index || (f->mbus_code && f->mbus_code != TESTDRV_MBUS_CODE))
		return -EINVAL;
	f->pixelformat = testdrv_fmt.pixelformat;
	return 0;
}

static int testdrv_fmt_vid_cap(struct file *file, void *priv,
			       struct v4l2_format *f)
{
	f->fmt.pix = testdrv_fmt;
	return 0;
}

static int testdrv_s_fmt_vid_cap(struct file *file, void *priv,
				 struct v4l2_format *f)
{
	struct testdrv *t = video_drvdata(file);

	if (vb2_is_busy(&t->queue))
		return -EBUSY;
	return testdrv_fmt_vid_cap(file, priv, f);
}

static int testdrv_enum_framesizes(struct file *file, void *priv,
				   struct v4l2_frmsizeenum *fs)
{
	if (fs->index || fs->pixel_format != testdrv_fmt.pixelformat)
		return -EINVAL;
	fs->type = V4L2_FRMSIZE_TYPE_DISCRETE;
	fs->discrete.width = TESTDRV_WIDTH;
	fs->discrete.height = TESTDRV_HEIGHT;
	return 0;
}

static int testdrv_enum_input(struct file *file, void *priv,
			      struct v4l2_input *inp)
{
	if (inp->index)
		return -EINVAL;
	inp->type = V4L2_INPUT_TYPE_CAMERA;
	strscpy(inp->name, "Timer", sizeof(inp->name));
	return 0;
}

static int testdrv_g_input(struct file *file, void *priv, unsigned int *i)
{
	*i = 0;
	return 0;
}

static int testdrv_s_input(struct file *file, void *priv, unsigned int i)
{
	return i ? -EINVAL : 0;
}

/* The in-flight knob: a harmless ioctl that can be made to take long. */
static int testdrv_log_status(struct file *file, void *priv)
{
	msleep(READ_ONCE(ioctl_delay_ms));
	return v4l2_ctrl_log_status(file, priv);
}

static const struct v4l2_ioctl_ops testdrv_ioctl_ops = {
	.vidioc_querycap = testdrv_querycap,
	.vidioc_enum_fmt_vid_cap = testdrv_enum_fmt,
	.vidioc_g_fmt_vid_cap = testdrv_fmt_vid_cap,
	.vidioc_try_fmt_vid_cap = testdrv_fmt_vid_cap,
	.vidioc_s_fmt_vid_cap = testdrv_s_fmt_vid_cap,
	.vidioc_enum_framesizes = testdrv_enum_framesizes,
	.vidioc_enum_input = testdrv_enum_input,
	.vidioc_g_input = testdrv_g_input,
	.vidioc_s_input = testdrv_s_input,
	.vidioc_reqbufs = vb2_ioctl_reqbufs,
	.vidioc_create_bufs = vb2_ioctl_create_bufs,
	.vidioc_prepare_buf = vb2_ioctl_prepare_buf,
	.vidioc_querybuf = vb2_ioctl_querybuf,
	.vidioc_qbuf = vb2_ioctl_qbuf,
	.vidioc_dqbuf = vb2_ioctl_dqbuf,
	.vidioc_expbuf = vb2_ioctl_expbuf,
	.vidioc_streamon = vb2_ioctl_streamon,
	.vidioc_streamoff = vb2_ioctl_streamoff,
	.vidioc_log_status = testdrv_log_status,
	.vidioc_subscribe_event = v4l2_ctrl_subscribe_event,
	.vidioc_unsubscribe_event = v4l2_event_unsubscribe,
};

/* bug=nogate: the V4L2 core's helpers with no gate around them. */
static const struct v4l2_file_operations testdrv_ungated_fops = {
	.owner = THIS_MODULE,
	.open = v4l2_fh_open,
	.release = vb2_fop_release,
	.unlocked_ioctl = video_ioctl2,
	.read = vb2_fop_read,
	.poll = vb2_fop_poll,
	.mmap = vb2_fop_mmap,
};

static int testdrv_s_ctrl(struct v4l2_ctrl *ctrl)
{
	return 0;
}

static const struct v4l2_ctrl_ops testdrv_ctrl_ops = {
	.s_ctrl = testdrv_s_ctrl,
};

static int testdrv_init_cfg(struct v4l2_subdev *sd,
			    struct v4l2_subdev_state *state)
{
	struct v4l2_mbus_framefmt *fmt;
	unsigned int pad;

	for (pad = 0; pad < 2; pad++) {
		fmt = v4l2_subdev_get_pad_format(sd, state, pad);
		fmt->width = TESTDRV_WIDTH;
		fmt->height = TESTDRV_HEIGHT;
		fmt->code = TESTDRV_MBUS_CODE;
		fmt->field = V4L2_FIELD_NONE;
		fmt->colorspace = V4L2_COLORSPACE_SRGB;
	}
	return 0;
}

static int testdrv_enum_mbus_code(struct v4l2_subdev *sd,
				  struct v4l2_subdev_state *state,
				  struct v4l2_subdev_mbus_code_enum *code)
{
	if (code->index)
		return -EINVAL;
	code->code = TESTDRV_MBUS_CODE;
	return 0;
}

static int testdrv_enum_frame_size(struct v4l2_subdev *sd,
				   struct v4l2_subdev_state *state,
				   struct v4l2_subdev_frame_size_enum *fse)
{
	if (fse->index || fse->code != TESTDRV_MBUS_CODE)
		return -EINVAL;
	fse->min_width = TESTDRV_WIDTH;
	fse->max_width = TESTDRV_WIDTH;
	fse->min_height = TESTDRV_HEIGHT;
	fse->max_height = TESTDRV_HEIGHT;
	return 0;
}

/* One fixed format on both pads: set_fmt answers with it. */
static const struct v4l2_subdev_pad_ops testdrv_pad_ops = {
	.init_cfg = testdrv_init_cfg,
	.enum_mbus_code = testdrv_enum_mbus_code,
	.enum_frame_size = testdrv_enum_frame_size,
	.get_fmt = v4l2_subdev_get_fmt,
	.set_fmt = v4l2_subdev_get_fmt,
};

/* Control events on the subdev node, so DQEVENT can block there. */
static const struct v4l2_subdev_core_ops testdrv_sd_core_ops = {
	.subscribe_event = v4l2_ctrl_subdev_subscribe_event,
	.unsubscribe_event = v4l2_event_subdev_unsubscribe,
};

static const struct v4l2_subdev_ops testdrv_sd_ops = {
	.core = &testdrv_sd_core_ops,
	.pad = &testdrv_pad_ops,
};

static void testdrv_ctrls_free(struct vlife_device *vl, void *data)
{
	v4l2_ctrl_handler_free(data);
}

static void testdrv_subdev_free(struct vlife_device *vl, void *data)
{
	v4l2_subdev_cleanup(data);
}

/* Software objects, all released by the vlife device's last reference. */
static int testdrv_init_objects(struct testdrv *t)
{
	struct vb2_queue *q = &t->queue;
	int ret;

	spin_lock_init(&t->qlock);
	INIT_LIST_HEAD(&t->bufs);
	timer_setup(&t->timer, testdrv_frame, 0);
	ret = vlifem_mutex_init(&t->vl, &t->lock);
	if (ret)
		return ret;

	v4l2_ctrl_handler_init(&t->hdl, 1);
	v4l2_ctrl_new_std(&t->hdl, &testdrv_ctrl_ops, V4L2_CID_BRIGHTNESS,
			  0, 255, 1, 128);
	ret = vlifem_add_action_or_reset(&t->vl, testdrv_ctrls_free, &t->hdl);
	if (ret)
		return ret;
	if (t->hdl.error)
		return t->hdl.error;

	q->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	q->io_modes = VB2_MMAP | VB2_USERPTR | VB2_DMABUF | VB2_READ;
	q->drv_priv = t;
	q->buf_struct_size = sizeof(struct testdrv_buffer);
	q->ops = &testdrv_qops;
	q->mem_ops = &vb2_vmalloc_memops;
	q->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
	q->lock = &t->lock;
	q->dev = t->vl.parent;
	return vb2_queue_init(q);
}

static int testdrv_init_subdev(struct testdrv *t)
{
	struct v4l2_subdev *sd = &t->sd;
	int ret;

	v4l2_ctrl_handler_init(&t->sd_hdl, 1);
	v4l2_ctrl_new_std(&t->sd_hdl, &testdrv_ctrl_ops, V4L2_CID_CONTRAST,
			  0, 255, 1, 128);
	ret = vlifem_add_action_or_reset(&t->vl, testdrv_ctrls_free,
					 &t->sd_hdl);
	if (ret)
		return ret;
	if (t->sd_hdl.error)
		return t->sd_hdl.error;

	v4l2_subdev_init(sd, &testdrv_sd_ops);
	sd->owner = THIS_MODULE;
	sd->ctrl_handler = &t->sd_hdl;
	sd->flags |= V4L2_SUBDEV_FL_HAS_DEVNODE | V4L2_SUBDEV_FL_HAS_EVENTS;
	sd->entity.function = MEDIA_ENT_F_PROC_VIDEO_PIXEL_FORMATTER;
	strscpy(sd->name, TESTDRV_NAME "-proc", sizeof(sd->name));
	t->sd_pads[0].flags = MEDIA_PAD_FL_SINK;
	t->sd_pads[1].flags = MEDIA_PAD_FL_SOURCE;
	ret = media_entity_pads_init(&sd->entity, 2, t->sd_pads);
	if (ret)
		return ret;
	ret = v4l2_subdev_init_finalize(sd);
	if (ret)
		return ret;
	return vlifem_add_action_or_reset(&t->vl, testdrv_subdev_free, sd);
}

static int testdrv_init_video(struct testdrv *t)
{
	struct video_device *vdev = &t->vdev;

	strscpy(vdev->name, TESTDRV_NAME, sizeof(vdev->name));
	vdev->fops = &vlife_video_fops;
	vdev->ioctl_ops = &testdrv_ioctl_ops;
	vdev->lock = &t->lock;
	vdev->queue = &t->queue;
	vdev->ctrl_handler = &t->hdl;
	vdev->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING |
			    V4L2_CAP_READWRITE;
	vdev->entity.function = MEDIA_ENT_F_IO_V4L;
	t->vid_pad.flags = MEDIA_PAD_FL_SINK;
	video_set_drvdata(vdev, t);
	return media_entity_pads_init(&vdev->entity, 1, &t->vid_pad);
}

/* The nogate bug: a node the core does not know, with no gate. */
static int testdrv_register_ungated(struct testdrv *t)
{
	t->vdev.fops = &testdrv_ungated_fops;
	t->vdev.v4l2_dev = &t->vl.v4l2_dev;
	t->vdev.release = video_device_release_empty;
	return video_register_device(&t->vdev, VFL_TYPE_VIDEO, -1);
}

static int testdrv_register(struct testdrv *t)
{
	int ret;

	ret = vlife_v4l2_register(&t->vl);
	if (ret)
		return ret;
	ret = vlife_subdev_register(&t->vl, &t->sd);
	if (ret)
		return ret;
	if (!strcmp(bug, "nogate"))
		ret = testdrv_register_ungated(t);
	else
		ret = vlife_video_register(&t->vl, &t->vdev, VFL_TYPE_VIDEO);
	if (ret)
		return ret;
	ret = media_create_pad_link(&t->sd.entity, 1, &t->vdev.entity, 0,
				    MEDIA_LNK_FL_ENABLED |
				    MEDIA_LNK_FL_IMMUTABLE);
	if (ret)
		return ret;
	ret = vlife_subdev_nodes_register(&t->vl);
	if (ret)
		return ret;
	return vlife_media_register(&t->vl);
}

/* bug=devm: the state is freed at unbind, as devm_kzalloc() memory is. */
static void testdrv_bug_devm_free(void *data)
{
	struct testdrv **state = data;

	kfree(*state);
}

/*
 * bug=devm: free the state right after devres dropped the vlife reference,
 * open files or not.  Registered before vlife_dev_alloc(), so it runs
 * after it; the extra reference keeps the core from freeing it again.
 */
static int testdrv_bug_devm_prepare(struct device *dev,
				    struct testdrv ***state)
{
	*state = devm_kzalloc(dev, sizeof(**state), GFP_KERNEL);
	if (!*state)
		return -ENOMEM;
	return devm_add_action_or_reset(dev, testdrv_bug_devm_free, *state);
}

/*
 * Probe: there is no hardware to claim, so software objects first, then
 * registration last.  Any failure unwinds through the vlife device: devres
 * drops the driver's reference, which unplugs and releases what exists.
 */
static int testdrv_probe(struct platform_device *pdev)
{
	struct testdrv **bug_state = NULL;
	struct testdrv *t;
	int ret;

	if (!strcmp(bug, "devm")) {
		ret = testdrv_bug_devm_prepare(&pdev->dev, &bug_state);
		if (ret)
			return ret;
	}
	t = vlife_dev_alloc(&pdev->dev, NULL, struct testdrv, vl);
	if (IS_ERR(t))
		return PTR_ERR(t);
	platform_set_drvdata(pdev, t);
	if (bug_state) {
		*bug_state = t;
		vlife_dev_get(&t->vl, VLIFE_REF_OTHER);
	}

	ret = vlife_media_init(&t->vl, "vlife test device", NULL);
	if (ret)
		return ret;
	ret = testdrv_init_objects(t);
	if (ret)
		return ret;
	ret = testdrv_init_subdev(t);
	if (ret)
		return ret;
	ret = testdrv_init_video(t);
	if (ret)
		return ret;
	return testdrv_register(t);
}

/* The nogate bug's teardown: what drivers without a core do by hand. */
static void testdrv_remove_ungated(struct testdrv *t)
{
	mutex_lock(&t->lock);
	vb2_queue_release(&t->queue);
	mutex_unlock(&t->lock);
	video_unregister_device(&t->vdev);
}

static int testdrv_remove(struct platform_device *pdev)
{
	struct testdrv *t = platform_get_drvdata(pdev);

	if (!strcmp(bug, "nogate"))
		testdrv_remove_ungated(t);
	/* Streams stopped, nodes gone: no file operation reaches us now. */
	vlife_dev_unplug(&t->vl);
	return 0;
}

static struct platform_driver testdrv_driver = {
	.probe = testdrv_probe,
	.remove = testdrv_remove,
	.driver = {
		.name = TESTDRV_NAME,
	},
};

static struct platform_device *testdrv_pdev;

static int __init testdrv_init(void)
{
	int ret;

	ret = platform_driver_register(&testdrv_driver);
	if (ret)
		return ret;
	testdrv_pdev = platform_device_register_simple(TESTDRV_NAME, 0,
						       NULL, 0);
	if (IS_ERR(testdrv_pdev)) {
		platform_driver_unregister(&testdrv_driver);
		return PTR_ERR(testdrv_pdev);
	}
	return 0;
}

static void __exit testdrv_exit(void)
{
	platform_device_unregister(testdrv_pdev);
	platform_driver_unregister(&testdrv_driver);
}

module_init(testdrv_init);
module_exit(testdrv_exit);

MODULE_DESCRIPTION("vlife core test driver");
MODULE_LICENSE("GPL");
