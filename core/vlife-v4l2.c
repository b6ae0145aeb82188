// SPDX-License-Identifier: GPL-2.0
/*
 * vlife V4L2 integration: the V4L2 device, video nodes, their file
 * operations and vb2 queue teardown at unplug.
 */

#include <media/vlife.h>

#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-dev.h>
#include <media/v4l2-event.h>
#include <media/v4l2-fh.h>
#include <media/v4l2-ioctl.h>
#include <media/v4l2-subdev.h>
#include <media/videobuf2-v4l2.h>

#include "vlife-priv.h"

/**
 * DOC: video nodes
 *
 * A driver embeds its &struct video_device (and &struct vb2_queue, and
 * control handler) in the structure it allocated with vlife_dev_alloc(),
 * sets &video_device.fops to &vlife_video_fops and registers it with
 * vlife_video_register().  The V4L2 core then keeps the node's memory
 * reachable while any file is open, and each node holds a reference on
 * the &struct v4l2_device, which holds one on the vlife device: so the
 * embedded node is freed with the rest of the driver's state, on the last
 * reference, and its &video_device.release has nothing to free.
 *
 * &vlife_video_fops passes every call through the unplug gate and uses
 * the vb2 and V4L2 helpers inside it: drivers provide ioctl ops and vb2
 * ops only.
 */

/* One registered video node, for the teardown at unplug. */
struct vlife_node {
	struct list_head list;
	struct video_device *vdev;
};

static struct vlife_device *vlife_from_file(struct file *file)
{
	return vlife_from_v4l2(video_devdata(file)->v4l2_dev);
}

/* The V4L2 device's last reference: its nodes are all released. */
static void vlife_v4l2_release(struct v4l2_device *v4l2_dev)
{
	vlife_dev_put(vlife_from_v4l2(v4l2_dev), VLIFE_REF_V4L2);
}

/**
 * vlife_v4l2_register() - register the embedded V4L2 device
 * @vl: the vlife device
 *
 * Call vlife_media_init() first if the driver has a media device.  The
 * V4L2 device is unregistered by vlife_dev_unplug().
 *
 * Return: 0 or a negative errno.
 */
int vlife_v4l2_register(struct vlife_device *vl)
{
	int ret;

	if (vl->has_media)
		vl->v4l2_dev.mdev = &vl->mdev;
	ret = v4l2_device_register(vl->parent, &vl->v4l2_dev);
	if (ret)
		return ret;
	vlife_dev_get(vl, VLIFE_REF_V4L2);
	vl->v4l2_dev.release = vlife_v4l2_release;
	vl->v4l2_registered = true;
	return 0;
}
EXPORT_SYMBOL_GPL(vlife_v4l2_register);

/*
 * The node is embedded in the vlife device's memory, which outlives this
 * call: the V4L2 core drops the node's reference on the V4L2 device right
 * after it.
 */
static void vlife_video_release(struct video_device *vdev)
{
}

/**
 * vlife_node_in_graph() - whether a node just registered is in the graph
 * @vdev: the node, registered by video_register_device()
 *
 * The V4L2 core (6.1) returns 0 from video_register_device() when it
 * failed to add the node to the media graph (an allocation failed), with
 * &video_device.intf_devnode NULL, or freed when creating the interface
 * link failed; the node's release would then follow that pointer, and a
 * link to the node's entity hits the media core's BUG_ON() (both found by
 * fault injection on probe).  Such a node is taken out of the graph's
 * teardown (its release skips it for memory-to-memory nodes, which have
 * none) and the caller fails; vlife_dev_unplug() unregisters the node.
 * (So the core makes subdev nodes itself: the V4L2 core links them to
 * the missing interface before returning; see vlife_subdev_node_link().)
 *
 * Return: true if it is in the graph, or there is no graph.
 */
bool vlife_node_in_graph(struct video_device *vdev)
{
	bool in;

	if (!vdev->v4l2_dev->mdev || vdev->vfl_dir == VFL_DIR_M2M)
		return true;
	/* the entity goes when the interface or its link fails */
	if (vdev->entity.function != MEDIA_ENT_F_UNKNOWN)
		in = vdev->entity.graph_obj.mdev;
	else
		in = vdev->intf_devnode;
	if (!in) {
		vdev->intf_devnode = NULL;
		vdev->vfl_dir = VFL_DIR_M2M;
	}
	return in;
}

/**
 * vlife_node_register_failed() - clean up after video_register_device()
 *	failed
 * @vdev: the node it failed to register
 *
 * When device_register() fails, the V4L2 core (6.1) returns without the
 * put_device() the driver core asks for, and the node's name, allocated
 * just before, leaks (kmemleak, found by failing each probe allocation in
 * turn).  Nothing refers to the name then; free it.
 */
void vlife_node_register_failed(struct video_device *vdev)
{
	kfree_const(vdev->dev.kobj.name);
	vdev->dev.kobj.name = NULL;
}

/**
 * vlife_video_register() - register a video node owned by a vlife device
 * @vl: the vlife device, with its V4L2 device registered
 * @vdev: the node, embedded in the driver's vlife-allocated state, with
 *	&video_device.fops set to &vlife_video_fops
 * @type: the node type
 *
 * The node is unregistered by vlife_dev_unplug().
 *
 * Return: 0 or a negative errno.
 */
int vlife_video_register(struct vlife_device *vl, struct video_device *vdev,
			 enum vfl_devnode_type type)
{
	struct vlife_node *node;
	int ret;

	if (WARN_ON(vdev->fops != &vlife_video_fops || !vl->v4l2_registered))
		return -EINVAL;
	node = vlifem_kzalloc(vl, sizeof(*node), GFP_KERNEL);
	if (!node)
		return -ENOMEM;
	vdev->v4l2_dev = &vl->v4l2_dev;
	vdev->release = vlife_video_release;
	ret = video_register_device(vdev, type, -1);
	if (ret) {
		vlife_node_register_failed(vdev);
		vlifem_kfree(vl, node);
		return ret;
	}
	node->vdev = vdev;
	list_add_tail(&node->list, &vl->nodes);
	return vlife_node_in_graph(vdev) ? 0 : -ENOMEM;
}
EXPORT_SYMBOL_GPL(vlife_video_register);

/*
 * Step 2 of the unplug: make every waiter leave the V4L2 core, on the
 * video nodes and on the nodes of every subdev of the V4L2 device.  A
 * subdev on the list has a registered node, if any: it is removed from
 * the list, under the lock, before its node is unregistered.
 */
void vlife_v4l2_wake_all(struct vlife_device *vl)
{
	struct vlife_node *node;
	struct v4l2_subdev *sd;

	list_for_each_entry(node, &vl->nodes, list) {
		if (node->vdev->queue)
			vb2_queue_error(node->vdev->queue);
		v4l2_event_wake_all(node->vdev);
	}
	if (!vl->v4l2_registered)
		return;
	spin_lock(&vl->v4l2_dev.lock);
	list_for_each_entry(sd, &vl->v4l2_dev.subdevs, list)
		if (sd->devnode)
			v4l2_event_wake_all(sd->devnode);
	spin_unlock(&vl->v4l2_dev.lock);
}

static void vlife_queue_teardown(struct video_device *vdev)
{
	struct vb2_queue *q = vdev->queue;
	struct mutex *lock = q->lock ? q->lock : vdev->lock;

	mutex_lock(lock);
	vb2_queue_release(q);
	mutex_unlock(lock);
}

/* Step 4: quiesce and unregister; no file operation is inside any more. */
void vlife_v4l2_unplug(struct vlife_device *vl)
{
	struct vlife_node *node;

	/* Streams stop while the graph is whole: stop_streaming may need it. */
	list_for_each_entry_reverse(node, &vl->nodes, list)
		if (node->vdev->queue)
			vlife_queue_teardown(node->vdev);
	vlife_media_unregister(vl);
	list_for_each_entry_reverse(node, &vl->nodes, list)
		video_unregister_device(node->vdev);
	if (vl->v4l2_registered) {
		v4l2_device_unregister(&vl->v4l2_dev);
		/* Subdev nodes still open are stale now: let them go. */
		vlife_subdev_forget_stale_nodes();
		v4l2_device_put(&vl->v4l2_dev);
	}
}

static int vlife_video_open(struct file *file)
{
	struct vlife_device *vl = vlife_from_file(file);
	int idx, ret;

	if (!vlife_dev_enter(vl, &idx))
		return -ENODEV;
	ret = vlife_dev_get_user(vl, VLIFE_REF_FILE);
	if (!ret) {
		ret = v4l2_fh_open(file);
		if (ret)
			vlife_dev_put_user(vl, VLIFE_REF_FILE);
	}
	vlife_dev_exit(vl, idx);
	return ret;
}

/*
 * close() always works.  Inside the gate if the device is still there:
 * releasing the queue's owner stops streaming, which touches the hardware.
 * After unplug the queue is already torn down and this touches only memory.
 */
static int vlife_video_close(struct file *file)
{
	struct video_device *vdev = video_devdata(file);
	struct vlife_device *vl = vlife_from_file(file);
	bool present;
	int idx;

	present = vlife_dev_enter(vl, &idx);
	if (vdev->queue)
		vb2_fop_release(file);
	else
		v4l2_fh_release(file);
	if (present)
		vlife_dev_exit(vl, idx);
	vlife_dev_put_user(vl, VLIFE_REF_FILE);
	return 0;
}

/*
 * A blocking VIDIOC_DQEVENT waits here, outside the gate, so that the
 * unplug can wake it: the V4L2 core's own wait only ends on an event.
 * Dequeueing touches only the file's own memory.
 */
long vlife_fh_dqevent(struct file *file, unsigned long arg,
		      bool (*gone)(struct file *file))
{
	struct v4l2_fh *fh = file->private_data;
	struct v4l2_event ev;
	long ret;

	do {
		ret = wait_event_interruptible(fh->wait,
					       v4l2_event_pending(fh) ||
					       gone(file));
		if (ret)
			return ret;
		if (gone(file))
			return -ENODEV;
		ret = v4l2_event_dequeue(fh, &ev, true);
	} while (ret == -ENOENT);

	if (!ret && copy_to_user((void __user *)arg, &ev, sizeof(ev)))
		ret = -EFAULT;
	return ret;
}

/* What poll() reports once the device is gone. */
__poll_t vlife_fh_poll_gone(struct file *file)
{
	__poll_t gone = EPOLLERR | EPOLLHUP;

	if (v4l2_event_pending(file->private_data))
		gone |= EPOLLPRI;
	return gone;
}

static bool vlife_video_gone(struct file *file)
{
	return vlife_dev_is_unplugged(vlife_from_file(file));
}

/* Errors of calls that raced with the unplug all read "device gone". */
static long vlife_video_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct vlife_device *vl = vlife_from_file(file);
	int idx;
	long ret;

	if (cmd == VIDIOC_DQEVENT && !(file->f_flags & O_NONBLOCK))
		return vlife_fh_dqevent(file, arg, vlife_video_gone);
	if (!vlife_dev_enter(vl, &idx))
		return -ENODEV;
	ret = video_ioctl2(file, cmd, arg);
	vlife_dev_exit(vl, idx);
	if (ret < 0 && vlife_dev_is_unplugged(vl))
		ret = -ENODEV;
	return ret;
}

static ssize_t vlife_video_read(struct file *file, char __user *buf,
				size_t count, loff_t *ppos)
{
	struct vlife_device *vl = vlife_from_file(file);
	ssize_t ret = -EINVAL;
	int idx;

	if (!vlife_dev_enter(vl, &idx))
		return -ENODEV;
	if (video_devdata(file)->queue)
		ret = vb2_fop_read(file, buf, count, ppos);
	vlife_dev_exit(vl, idx);
	if (ret < 0 && vlife_dev_is_unplugged(vl))
		ret = -ENODEV;
	return ret;
}

static __poll_t vlife_video_poll(struct file *file,
				 struct poll_table_struct *wait)
{
	struct vlife_device *vl = vlife_from_file(file);
	__poll_t res;
	int idx;

	if (!vlife_dev_enter(vl, &idx))
		return vlife_fh_poll_gone(file);
	if (video_devdata(file)->queue)
		res = vb2_fop_poll(file, wait);
	else
		res = v4l2_ctrl_poll(file, wait);
	vlife_dev_exit(vl, idx);
	return vlife_dev_is_unplugged(vl) ? vlife_fh_poll_gone(file) : res;
}

static int vlife_video_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vlife_device *vl = vlife_from_file(file);
	int idx, ret = -EINVAL;

	if (!vlife_dev_enter(vl, &idx))
		return -ENODEV;
	if (video_devdata(file)->queue)
		ret = vb2_fop_mmap(file, vma);
	vlife_dev_exit(vl, idx);
	return ret;
}

/**
 * vlife_queue_setup() - &vb2_ops.queue_setup for a single-plane format
 * @nplanes: vb2's: 0 for VIDIOC_REQBUFS, the planes VIDIOC_CREATE_BUFS
 *	asks for
 * @sizes: vb2's: set to @size for REQBUFS, the sizes CREATE_BUFS asks for
 * @size: the current format's &v4l2_pix_format.sizeimage
 * @max_size: the largest sizeimage of any format the device can deliver
 *
 * CREATE_BUFS may ask for buffers larger than the current format needs,
 * for a format to switch to or for spare room (v4l2-compliance asks twice
 * the size), but not larger than twice @max_size.  Each buffer is
 * allocated in full, VIDEO_MAX_FRAME of them: unbounded, any user of the
 * node could take all memory, and vmalloc()ed buffers are charged to no
 * process, so the OOM killer would end others first.  Call it from the
 * driver's queue_setup, which adds what else it needs (*nbuffers).
 *
 * Return: 0, or -EINVAL for more than one plane or a size below @size or
 * above twice @max_size.
 */
int vlife_queue_setup(unsigned int *nplanes, unsigned int sizes[],
		      unsigned int size, unsigned int max_size)
{
	if (!*nplanes) {
		*nplanes = 1;
		sizes[0] = size;
		return 0;
	}
	if (*nplanes != 1 || sizes[0] < size ||
	    sizes[0] > 2ULL * max(size, max_size))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_GPL(vlife_queue_setup);

/* Every vlife video node's file operations, each through the gate. */
const struct v4l2_file_operations vlife_video_fops = {
	.owner = THIS_MODULE,
	.open = vlife_video_open,
	.release = vlife_video_close,
	.unlocked_ioctl = vlife_video_ioctl,
	.read = vlife_video_read,
	.poll = vlife_video_poll,
	.mmap = vlife_video_mmap,
};
EXPORT_SYMBOL_GPL(vlife_video_fops);
