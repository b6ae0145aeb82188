// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-bridge: a sample CSI-2 receiver and DMA capture bridge.
 *
 * The shape of a SoC camera interface: a platform device whose registers
 * sit behind a regmap provided by its parent (as an MFD child's do), one
 * interrupt per frame start and frame end, a CSI-2 receiver subdev with a
 * sink and a source pad, a video capture node writing frames to memory
 * with vb2 dma-contig, and a v4l2-async notifier that finds the sensor
 * through the firmware graph.  The hardware is emulated by vlife-board.
 *
 * Who owns what (copy this part):
 *
 * - The hardware (regmap, interrupt, DMA mask) belongs to the platform
 *   device and goes at unbind: devm_* and the parent's regmap.
 * - Everything userspace can reach (the V4L2 and media devices, the video
 *   node and its vb2 queue, the receiver subdev and its node, the locks)
 *   lives in &struct vbridge, allocated with vlife_dev_alloc(): it is
 *   freed on the last reference, which may be a close() or munmap() long
 *   after .remove().  Nothing in it is devm_ allocated.
 * - The sensor's subdev belongs to the sensor driver.  The bridge only
 *   borrows a pointer to it, from the notifier's .bound to its .unbind,
 *   and drops it under the same lock as the ioctls take, so that no call
 *   reaches the sensor once it is gone.
 * - Controls stay on the sensor's own subdev node (an MC-centric driver,
 *   V4L2_CAP_IO_MC): the bridge has no control handler of its own.
 *
 * This file is the platform driver and the v4l2-async notifier; the DMA
 * engine and video node are in vlife-bridge-video.c, the receiver subdev
 * in vlife-bridge-csi2.c.
 *
 * Test knob (module parameter), so the selftests can be seen to catch the
 * classic mistake (selftests/bugs/bridge.sh):
 * - bug=nounbind: the notifier's .unbind neither stops the stream nor
 *   forgets the sensor, as in a bridge that does not expect its sensor to
 *   go.  The stream stalls; stopping it later calls into the sensor's
 *   freed subdev and walks its freed pads (KASAN, on the debug kernel).
 */

#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/regmap.h>
#include <linux/string.h>
#include <media/v4l2-fwnode.h>

#include "vlife-bridge.h"

static char *bug = "";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug, "put back a lifetime bug: nounbind");

static struct vbridge *notifier_to_vbridge(struct v4l2_async_notifier *n)
{
	return container_of(n, struct vbridge, notifier);
}

/* ------------------------------------------------------------------------
 * The sensor, found through the firmware graph by v4l2-async.
 */

/* Link the sensor's source pad facing our endpoint to the receiver. */
static int vbridge_notify_bound(struct v4l2_async_notifier *notifier,
				struct v4l2_subdev *sd,
				struct v4l2_async_subdev *asd)
{
	struct vbridge *b = notifier_to_vbridge(notifier);
	struct media_device *mdev = &b->vl.mdev;
	int pad, ret;

	pad = media_entity_get_fwnode_pad(&sd->entity, asd->match.fwnode,
					  MEDIA_PAD_FL_SOURCE);
	if (pad < 0) {
		dev_err(b->vl.parent, "%s has no source pad\n", sd->name);
		return pad;
	}
	/* After a sensor rebind the graph is visible to userspace. */
	mutex_lock(&mdev->graph_mutex);
	ret = media_create_pad_link(&sd->entity, pad, &b->csi2.entity,
				    VBRIDGE_PAD_SINK, MEDIA_LNK_FL_ENABLED |
				    MEDIA_LNK_FL_IMMUTABLE);
	mutex_unlock(&mdev->graph_mutex);
	if (ret)
		return ret;

	mutex_lock(&b->lock);
	b->sensor = sd;
	mutex_unlock(&b->lock);
	dev_dbg(b->vl.parent, "bound %s\n", sd->name);
	return 0;
}

/*
 * All subdevs are bound: create their nodes, then the media device.
 * v4l2-async calls it again each time the sensor comes back, when only
 * the new sensor node is missing.
 */
static int vbridge_notify_complete(struct v4l2_async_notifier *notifier)
{
	struct vbridge *b = notifier_to_vbridge(notifier);
	int ret;

	ret = vlife_subdev_nodes_register(&b->vl);
	if (ret)
		return ret;
	if (b->vl.media_registered)
		return 0;
	return vlife_media_register(&b->vl);
}

/*
 * The sensor is going away (its .remove(), or ours through
 * v4l2_async_nf_unregister()).  If it feeds a stream, stop the DMA engine,
 * the sensor and the pipeline, and fail the queue: a waiting DQBUF returns
 * -EIO at once, STREAMOFF then works and STREAMON fails until a sensor is
 * back.  Then forget the sensor, under the ioctls' lock, so that no call
 * reaches it afterwards.  The links to its entity go with its entity.
 *
 * This stops the stream even if our own unplug has begun and closed the
 * gate: the pipeline holds the sensor's pads, which may be freed as soon
 * as this returns, so it cannot wait for our queue teardown.  The hardware
 * is still there: v4l2-async calls this under its list lock, which our
 * .remove() needs (v4l2_async_nf_unregister()) before it switches the
 * hardware off.
 */
static void vbridge_notify_unbind(struct v4l2_async_notifier *notifier,
				  struct v4l2_subdev *sd,
				  struct v4l2_async_subdev *asd)
{
	struct vbridge *b = notifier_to_vbridge(notifier);

	if (!strcmp(bug, "nounbind")) {
		dev_dbg(b->vl.parent, "bug=nounbind: %s kept\n", sd->name);
		return;
	}
	mutex_lock(&b->lock);
	vbridge_stream_abort(b);
	b->sensor = NULL;
	mutex_unlock(&b->lock);
	dev_dbg(b->vl.parent, "unbound %s\n", sd->name);
}

static const struct v4l2_async_notifier_operations vbridge_notify_ops = {
	.bound = vbridge_notify_bound,
	.complete = vbridge_notify_complete,
	.unbind = vbridge_notify_unbind,
};

/* ------------------------------------------------------------------------
 * Probe and remove.
 */

/* Hardware: the parent's regmap, the block's ID, the IRQ, DMA. */
static int vbridge_probe_hw(struct platform_device *pdev,
			    struct regmap **regmap, int *irq)
{
	struct device *dev = &pdev->dev;
	unsigned int id;
	int ret;

	*regmap = dev_get_regmap(dev->parent, NULL);
	if (!*regmap)
		return dev_err_probe(dev, -EPROBE_DEFER, "no parent regmap\n");
	ret = regmap_read(*regmap, VBRIDGE_ID, &id);
	if (ret)
		return dev_err_probe(dev, ret, "cannot read ID\n");
	if (id != VBRIDGE_ID_VALUE)
		return dev_err_probe(dev, -ENODEV, "unknown ID 0x%08x\n", id);
	*irq = platform_get_irq(pdev, 0);
	if (*irq < 0)
		return *irq;
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
	if (ret)
		return dev_err_probe(dev, ret, "no 32-bit DMA\n");
	return 0;
}

/* The endpoint facing the sensor: one CSI-2 D-PHY link, 1 or 2 lanes. */
static int vbridge_parse_endpoint(struct vbridge *b)
{
	struct v4l2_fwnode_endpoint vep = { .bus_type = V4L2_MBUS_CSI2_DPHY };
	struct device *dev = b->vl.parent;
	struct fwnode_handle *ep;
	int ret;

	ep = fwnode_graph_get_endpoint_by_id(dev_fwnode(dev), 0, 0,
					     FWNODE_GRAPH_ENDPOINT_NEXT);
	if (!ep)
		return dev_err_probe(dev, -ENODEV, "no endpoint on port 0\n");
	ret = v4l2_fwnode_endpoint_parse(ep, &vep);
	fwnode_handle_put(ep);
	if (ret)
		return dev_err_probe(dev, ret, "bad endpoint\n");
	b->lanes = vep.bus.mipi_csi2.num_data_lanes;
	if (!b->lanes || b->lanes > VBRIDGE_MAX_LANES)
		return dev_err_probe(dev, -EINVAL, "%u data lanes\n", b->lanes);
	return 0;
}

/*
 * Software objects, in memory the vlife device owns and releases on its
 * last reference (the buffer state needs no release; the mutex and the
 * receiver's state are managed actions).
 *
 * No control handler: the sensor's controls stay on the sensor's subdev
 * node, and v4l2_dev.ctrl_handler stays NULL.  Merging them into a bridge
 * handler (v4l2_ctrl_add_handler(), as video-centric drivers do) would
 * leave the bridge's handler pointing at the sensor's controls after the
 * sensor unbinds and frees them: the next VIDIOC_G_CTRL on the video node
 * would be a use-after-free.
 */
static int vbridge_init_objects(struct vbridge *b)
{
	int ret;

	spin_lock_init(&b->slock);
	INIT_LIST_HEAD(&b->queued);
	ret = vlifem_mutex_init(&b->vl, &b->lock);
	if (ret)
		return ret;
	ret = vlife_media_init(&b->vl, VBRIDGE_MODEL, NULL);
	if (ret)
		return ret;
	ret = vbridge_csi2_init(b);
	if (ret)
		return ret;
	return vbridge_video_init(b);
}

/*
 * Our own objects, registered with the core (vlife_dev_unplug()
 * unregisters them).  The media device comes in the notifier's .complete,
 * when the graph is whole.
 */
static int vbridge_register(struct vbridge *b)
{
	int ret;

	ret = vlife_v4l2_register(&b->vl);
	if (ret)
		return ret;
	ret = vlife_subdev_register(&b->vl, &b->csi2);
	if (ret)
		return ret;
	ret = vlife_video_register(&b->vl, &b->vdev, VFL_TYPE_VIDEO);
	if (ret)
		return ret;
	return media_create_pad_link(&b->csi2.entity, VBRIDGE_PAD_SOURCE,
				     &b->vdev.entity, 0,
				     MEDIA_LNK_FL_ENABLED |
				     MEDIA_LNK_FL_IMMUTABLE);
}

/*
 * Last step of probe: wait for the sensor at the other end of our
 * endpoint.  If it is already there, .bound and .complete run from here.
 * The notifier is unregistered and cleaned up by .remove().
 */
static int vbridge_async_register(struct vbridge *b)
{
	struct device *dev = b->vl.parent;
	struct v4l2_async_subdev *asd;
	struct fwnode_handle *ep;
	int ret;

	v4l2_async_nf_init(&b->notifier);
	b->notifier.ops = &vbridge_notify_ops;
	ep = fwnode_graph_get_endpoint_by_id(dev_fwnode(dev), 0, 0,
					     FWNODE_GRAPH_ENDPOINT_NEXT);
	if (!ep)
		return -ENODEV;
	asd = v4l2_async_nf_add_fwnode_remote(&b->notifier, ep,
					      struct v4l2_async_subdev);
	fwnode_handle_put(ep);
	if (IS_ERR(asd)) {
		ret = PTR_ERR(asd);
		goto err_cleanup;
	}
	ret = v4l2_async_nf_register(&b->vl.v4l2_dev, &b->notifier);
	if (ret)
		goto err_cleanup;
	return 0;

err_cleanup:
	v4l2_async_nf_cleanup(&b->notifier);
	return ret;
}

/*
 * Probe: hardware first (devm_), then the vlife-owned software objects,
 * then registration, the notifier last.  A failure anywhere unwinds
 * through the vlife device: devres drops the driver's reference, which
 * unplugs and releases what exists.  The interrupt is requested after the
 * state it uses exists and is released before it (devres runs in reverse).
 */
static int vbridge_probe(struct platform_device *pdev)
{
	struct regmap *regmap;
	struct vbridge *b;
	int irq, ret;

	ret = vbridge_probe_hw(pdev, &regmap, &irq);
	if (ret)
		return ret;
	b = vlife_dev_alloc(&pdev->dev, NULL, struct vbridge, vl);
	if (IS_ERR(b))
		return PTR_ERR(b);
	b->regmap = regmap;
	b->irq = irq;
	platform_set_drvdata(pdev, b);
	ret = vbridge_parse_endpoint(b);
	if (ret)
		return ret;
	ret = vbridge_init_objects(b);
	if (ret)
		return ret;

	ret = vbridge_hw_off(b);
	if (ret)
		return ret;
	ret = devm_request_irq(&pdev->dev, irq, vbridge_irq, 0,
			       dev_name(&pdev->dev), b);
	if (ret)
		return ret;

	ret = vbridge_register(b);
	if (ret)
		return ret;
	return vbridge_async_register(b);
}

/*
 * Remove: close the gate first (it stops the stream and unregisters every
 * node, the sensor's included), then let the sensor go back to waiting
 * for a bridge, then switch the hardware off.  The state lives on until
 * the last file is closed; the interrupt is freed by devres after this.
 */
static int vbridge_remove(struct platform_device *pdev)
{
	struct vbridge *b = platform_get_drvdata(pdev);

	vlife_dev_unplug(&b->vl);
	v4l2_async_nf_unregister(&b->notifier);
	v4l2_async_nf_cleanup(&b->notifier);
	if (vbridge_hw_off(b))
		dev_err(&pdev->dev, "cannot switch the hardware off\n");
	return 0;
}

static struct platform_driver vbridge_driver = {
	.probe = vbridge_probe,
	.remove = vbridge_remove,
	.driver = {
		.name = VBRIDGE_NAME,
	},
};
module_platform_driver(vbridge_driver);

MODULE_DESCRIPTION("vlife sample CSI-2 receiver and DMA capture bridge");
MODULE_LICENSE("GPL");
MODULE_ALIAS("platform:" VBRIDGE_NAME);
