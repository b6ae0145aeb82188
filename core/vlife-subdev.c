// SPDX-License-Identifier: GPL-2.0
/*
 * vlife subdev integration: subdevs owned by a vlife device, and gated
 * device nodes for them.
 */

#include <media/vlife.h>

#include <linux/delay.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <media/v4l2-async.h>
#include <media/v4l2-dev.h>
#include <media/v4l2-event.h>
#include <media/v4l2-fh.h>
#include <media/v4l2-subdev.h>

#include "vlife-priv.h"

/**
 * DOC: subdevs
 *
 * A subdev's memory belongs to the driver that owns it, but its device
 * node belongs to the V4L2 device it is registered with: a sensor's node
 * is created by the bridge, and may be held open after the sensor is
 * unbound.  The V4L2 core frees nothing of the subdev then, yet its node
 * release writes to the subdev and its file operations call the driver.
 *
 * So a driver that owns a subdev declares it with vlife_subdev_register()
 * (its own V4L2 device) or vlife_subdev_async_register() (a sensor, bound
 * later by a bridge), and the bridge has the core create the nodes with
 * vlife_subdev_nodes_register().  The core makes each node itself, as
 * v4l2_device_register_subdev_nodes() would, but with these file
 * operations from the start, and it fails cleanly where the V4L2 core
 * (6.1) would follow a media interface it failed to allocate.  Each node:
 *
 * - holds a reference on the owner's vlife device from creation until the
 *   node's release, so the subdev outlives every file of its node;
 * - passes every file operation through the owner's gate and the V4L2
 *   device's gate, so no call reaches either driver once it is unplugged;
 * - is woken by either unplug: a blocked VIDIOC_DQEVENT returns -ENODEV.
 *
 * vlife_dev_unplug() of the owner unregisters an async subdev (the bridge's
 * notifier .unbind runs then), after the owner's gate is closed.
 */

/*
 * A subdev owned by a vlife device, on the core's list from registration
 * until its owner is unplugged and every node made for it is released.
 * @node is its registered node, if any; @nodes counts the nodes not yet
 * released, including those of bridges it was bound to before.
 */
struct vlife_subdev {
	struct list_head list;
	struct v4l2_subdev *sd;
	struct vlife_device *vl;
	struct video_device *node;
	unsigned int nodes;
	bool async;
	bool gone;
};

/* Every vlife subdev; also serialises sd->devnode teardown. */
static LIST_HEAD(vlife_subdevs);
static DEFINE_SPINLOCK(vlife_subdevs_lock);

/*
 * A node the core made for a vlife subdev, freed by its release.
 * @registration: it is the node of a registration of the subdev, whose
 * module reference and release the V4L2 core leaves to the node's
 * release; false for a node whose creation failed half-way.
 */
struct vlife_subdev_node {
	struct video_device vdev;
	bool registration;
};

/*
 * The V4L2 core's subdev file operations, which it does not export: read
 * at load from a node the V4L2 core makes for a subdev of our own
 * (vlife_subdev_init()), and called by ours.
 */
static const struct v4l2_file_operations *vlife_v4l2_subdev_fops;
static const struct v4l2_file_operations vlife_subdev_fops;

static struct vlife_subdev *vlife_subdev_add(struct vlife_device *vl,
					     struct v4l2_subdev *sd, bool async)
{
	struct vlife_subdev *vsd;

	vsd = kzalloc(sizeof(*vsd), GFP_KERNEL);
	if (!vsd)
		return NULL;
	vsd->sd = sd;
	vsd->vl = vl;
	vsd->async = async;
	spin_lock(&vlife_subdevs_lock);
	list_add_tail(&vsd->list, &vlife_subdevs);
	spin_unlock(&vlife_subdevs_lock);
	return vsd;
}

static void vlife_subdev_del(struct vlife_subdev *vsd)
{
	spin_lock(&vlife_subdevs_lock);
	list_del(&vsd->list);
	spin_unlock(&vlife_subdevs_lock);
	kfree(vsd);
}

/**
 * vlife_subdev_register() - register a driver's own subdev
 * @vl: the vlife device that owns @sd and whose V4L2 device is registered
 * @sd: the subdev, in @vl's memory, initialised (v4l2_subdev_init())
 *
 * The subdev is unregistered by vlife_dev_unplug().
 *
 * Return: 0 or a negative errno.
 */
int vlife_subdev_register(struct vlife_device *vl, struct v4l2_subdev *sd)
{
	struct vlife_subdev *vsd;
	int ret;

	vsd = vlife_subdev_add(vl, sd, false);
	if (!vsd)
		return -ENOMEM;
	ret = v4l2_device_register_subdev(&vl->v4l2_dev, sd);
	if (ret)
		vlife_subdev_del(vsd);
	return ret;
}
EXPORT_SYMBOL_GPL(vlife_subdev_register);

/**
 * vlife_subdev_async_register() - offer a sensor's subdev to a bridge
 * @vl: the vlife device that owns @sd (the sensor's)
 * @sd: the subdev, in @vl's memory, with its fwnode set
 *
 * Registers @sd with v4l2-async as a sensor (lens and flash references
 * included).  vlife_dev_unplug() of @vl unregisters it, after closing
 * the gate: call that first in .remove().
 *
 * Return: 0 or a negative errno.
 */
int vlife_subdev_async_register(struct vlife_device *vl,
				struct v4l2_subdev *sd)
{
	struct vlife_subdev *vsd;
	int ret;

	vsd = vlife_subdev_add(vl, sd, true);
	if (!vsd)
		return -ENOMEM;
	ret = v4l2_async_register_subdev_sensor(sd);
	if (ret)
		vlife_subdev_del(vsd);
	return ret;
}
EXPORT_SYMBOL_GPL(vlife_subdev_async_register);

/* The record of @sd; the caller holds vlife_subdevs_lock. */
static struct vlife_subdev *vlife_subdev_find(struct v4l2_subdev *sd)
{
	struct vlife_subdev *vsd;

	list_for_each_entry(vsd, &vlife_subdevs, list)
		if (vsd->sd == sd)
			return vsd;
	return NULL;
}

/*
 * The owner of a node's subdev.  Alive while the node is: the node holds
 * a reference on it until vlife_subdev_node_release().
 */
static struct vlife_device *vlife_subdev_owner(struct file *file)
{
	struct v4l2_subdev *sd = vdev_to_v4l2_subdev(video_devdata(file));
	struct vlife_subdev *vsd;

	spin_lock(&vlife_subdevs_lock);
	vsd = vlife_subdev_find(sd);
	spin_unlock(&vlife_subdevs_lock);
	return vsd->vl;
}

/*
 * The node's last user is gone.  As the V4L2 core's own subdev node
 * release does, but the owner's reference is dropped after the last
 * write to the subdev, and before the owner's module is let go: the final
 * put runs the owner's release code.
 */
static void vlife_subdev_node_release(struct video_device *vdev)
{
	struct vlife_subdev_node *node =
		container_of(vdev, struct vlife_subdev_node, vdev);
	struct v4l2_subdev *sd = video_get_drvdata(vdev);
	struct module *module = NULL;
	struct vlife_subdev *vsd, *gone = NULL;
	struct vlife_device *owner;

	if (node->registration) {
		if (!sd->owner_v4l2_dev)
			module = sd->owner;
		if (sd->internal_ops && sd->internal_ops->release)
			sd->internal_ops->release(sd);
	}
	spin_lock(&vlife_subdevs_lock);
	if (sd->devnode == vdev)
		sd->devnode = NULL;
	vsd = vlife_subdev_find(sd);
	owner = vsd->vl;
	if (vsd->node == vdev)
		vsd->node = NULL;
	if (!--vsd->nodes && vsd->gone) {
		list_del(&vsd->list);
		gone = vsd;
	}
	spin_unlock(&vlife_subdevs_lock);
	kfree(gone);
	kfree(node);
	vlife_dev_put(owner, VLIFE_REF_SUBDEV);
	module_put(module);
}

/*
 * Put a node that is registered but not complete out of use: it is not
 * the subdev's node, and its release leaves the registration's module
 * reference and the subdev's release to v4l2_device_unregister_subdev().
 */
static void vlife_subdev_node_abort(struct vlife_subdev *vsd,
				    struct vlife_subdev_node *node)
{
	spin_lock(&vlife_subdevs_lock);
	node->registration = false;
	if (vsd->sd->devnode == &node->vdev)
		vsd->sd->devnode = NULL;
	if (vsd->node == &node->vdev)
		vsd->node = NULL;
	spin_unlock(&vlife_subdevs_lock);
	video_unregister_device(&node->vdev);
}

/* Link the node's interface to the subdev's entity, if there is a graph. */
static int vlife_subdev_node_link(struct v4l2_subdev *sd,
				  struct video_device *vdev)
{
	if (!vdev->v4l2_dev->mdev)
		return 0;
	/* the V4L2 core (6.1) returns 0 without an interface on failure */
	if (!vlife_node_in_graph(vdev))
		return -ENOMEM;
	sd->entity.info.dev.major = VIDEO_MAJOR;
	sd->entity.info.dev.minor = vdev->minor;
	if (!media_create_intf_link(&sd->entity, &vdev->intf_devnode->intf,
				    MEDIA_LNK_FL_ENABLED |
				    MEDIA_LNK_FL_IMMUTABLE))
		return -ENOMEM;
	return 0;
}

/*
 * Make the node of a vlife subdev registered with @vl's V4L2 device.  The
 * node holds the subdev's owner from now until its release, and is the
 * subdev's node (sd->devnode) once it is in the graph.
 */
static int vlife_subdev_node_create(struct vlife_device *vl,
				    struct vlife_subdev *vsd)
{
	struct v4l2_subdev *sd = vsd->sd;
	struct vlife_subdev_node *node;
	struct video_device *vdev;
	int ret;

	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		return -ENOMEM;
	vdev = &node->vdev;
	video_set_drvdata(vdev, sd);
	strscpy(vdev->name, sd->name, sizeof(vdev->name));
	vdev->dev_parent = sd->dev;
	vdev->v4l2_dev = &vl->v4l2_dev;
	vdev->fops = &vlife_subdev_fops;
	vdev->release = vlife_subdev_node_release;
	vdev->ctrl_handler = sd->ctrl_handler;
	node->registration = true;

	vlife_dev_get(vsd->vl, VLIFE_REF_SUBDEV);
	spin_lock(&vlife_subdevs_lock);
	vsd->nodes++;
	spin_unlock(&vlife_subdevs_lock);
	ret = __video_register_device(vdev, VFL_TYPE_SUBDEV, -1, 1, sd->owner);
	if (ret) {
		/* never registered: the release will not run */
		vlife_node_register_failed(vdev);
		spin_lock(&vlife_subdevs_lock);
		vsd->nodes--;
		spin_unlock(&vlife_subdevs_lock);
		vlife_dev_put(vsd->vl, VLIFE_REF_SUBDEV);
		kfree(node);
		return ret;
	}
	spin_lock(&vlife_subdevs_lock);
	sd->devnode = vdev;
	vsd->node = vdev;
	spin_unlock(&vlife_subdevs_lock);
	ret = vlife_subdev_node_link(sd, vdev);
	if (ret)
		vlife_subdev_node_abort(vsd, node);
	return ret;
}

/*
 * Forget the nodes that are unregistered but still open.  The V4L2 core
 * clears sd->devnode only when a node is released, and until then it
 * neither makes the subdev a new node (a bridge bound again) nor lets go
 * of the module reference of a new registration when it is unregistered
 * again.  Each node keeps the subdev through its own reference.
 */
void vlife_subdev_forget_stale_nodes(void)
{
	struct vlife_subdev *vsd;

	spin_lock(&vlife_subdevs_lock);
	list_for_each_entry(vsd, &vlife_subdevs, list) {
		if (!vsd->node || video_is_registered(vsd->node))
			continue;
		if (vsd->sd->devnode == vsd->node)
			vsd->sd->devnode = NULL;
		vsd->node = NULL;
	}
	spin_unlock(&vlife_subdevs_lock);
}

/*
 * At load: learn the V4L2 core's subdev file operations from a node it
 * makes for a subdev of ours, with no media graph (so nothing can fail
 * half-way), unregistered at once.  Whoever opened it in between keeps it,
 * and this module, until closing it: the subdev and its V4L2 device are
 * this module's memory.
 */
static struct v4l2_device vlife_fops_v4l2_dev = { .name = "vlife-core" };
static struct v4l2_subdev vlife_fops_sd;
static const struct v4l2_subdev_ops vlife_fops_sd_ops;

/*
 * The module's references now: what vlife_subdev_init() waits to come
 * back to.  (Loading holds one while init runs; a dependent module cannot
 * take one before init returns.)
 */
static int vlife_subdev_init_refs(void)
{
#if defined(MODULE) && IS_ENABLED(CONFIG_MODULE_UNLOAD)
	return module_refcount(THIS_MODULE);
#else
	return 0;
#endif
}

/*
 * The node's release drops the module reference its subdev took
 * (sd->owner) after its last touch of this module's memory.  Wait until
 * the module's references are back to @refs, so that it unloads as soon
 * as it has loaded: with CONFIG_DEBUG_KOBJECT_RELEASE the release comes
 * 1-4 s after the node is unregistered, and "insmod; rmmod" failed with
 * EBUSY.  Only a process that opened the node in its instant (root: udev
 * has not yet set the node's mode) delays it until closing it.  If the
 * load succeeds (@loaded), a fatal signal ends the wait and leaves the
 * module pinned until then, which is safe; a failed load frees the module
 * at once, so it waits regardless.
 */
static void vlife_subdev_init_wait_release(int refs, bool loaded)
{
	while (vlife_subdev_init_refs() > refs &&
	       !(loaded && fatal_signal_pending(current)))
		msleep(20);
}

int vlife_subdev_init(void)
{
	struct v4l2_subdev *sd = &vlife_fops_sd;
	int refs = vlife_subdev_init_refs();
	int ret;

	ret = v4l2_device_register(NULL, &vlife_fops_v4l2_dev);
	if (ret)
		return ret;
	v4l2_subdev_init(sd, &vlife_fops_sd_ops);
	strscpy(sd->name, "vlife-core", sizeof(sd->name));
	sd->flags |= V4L2_SUBDEV_FL_HAS_DEVNODE;
	sd->owner = THIS_MODULE;
	ret = v4l2_device_register_subdev(&vlife_fops_v4l2_dev, sd);
	if (!ret) {
		ret = v4l2_device_register_subdev_nodes(&vlife_fops_v4l2_dev);
		if (!ret)
			vlife_v4l2_subdev_fops = sd->devnode->fops;
	}
	v4l2_device_unregister(&vlife_fops_v4l2_dev);
	vlife_subdev_init_wait_release(refs, !ret);
	return ret;
}

/* The record of a subdev of @vl's V4L2 device that needs a vlife node. */
static struct vlife_subdev *vlife_subdev_next_nodeless(struct vlife_device *vl,
						       bool *plain)
{
	struct vlife_subdev *vsd = NULL;
	struct v4l2_subdev *sd;

	spin_lock(&vl->v4l2_dev.lock);
	list_for_each_entry(sd, &vl->v4l2_dev.subdevs, list) {
		if (!(sd->flags & V4L2_SUBDEV_FL_HAS_DEVNODE) || sd->devnode)
			continue;
		spin_lock(&vlife_subdevs_lock);
		vsd = vlife_subdev_find(sd);
		spin_unlock(&vlife_subdevs_lock);
		if (vsd)
			break;
		*plain = true;
	}
	spin_unlock(&vl->v4l2_dev.lock);
	return vsd;
}

/**
 * vlife_subdev_nodes_register() - create the nodes of a V4L2 device's
 *	subdevs
 * @vl: the vlife device whose V4L2 device the subdevs are registered with
 *
 * Use it instead of v4l2_device_register_subdev_nodes(), for example in
 * an async notifier's .complete.  The nodes of subdevs registered with
 * vlife_subdev_register() or vlife_subdev_async_register() are made by
 * the core: they hold their owner and pass its gate.  Others get the V4L2
 * core's plain nodes.  On failure, the nodes already created stay:
 * vlife_dev_unplug() removes them with the V4L2 device.
 *
 * Return: 0 or a negative errno.
 */
int vlife_subdev_nodes_register(struct vlife_device *vl)
{
	struct vlife_subdev *vsd;
	bool plain = false;
	int ret;

	vlife_subdev_forget_stale_nodes();
	while ((vsd = vlife_subdev_next_nodeless(vl, &plain))) {
		ret = vlife_subdev_node_create(vl, vsd);
		if (ret)
			return ret;
	}
	return plain ? v4l2_device_register_subdev_nodes(&vl->v4l2_dev) : 0;
}
EXPORT_SYMBOL_GPL(vlife_subdev_nodes_register);

/* Unplug step 2: wake the waiters on the nodes of @vl's own subdevs. */
void vlife_subdev_wake_all(struct vlife_device *vl)
{
	struct vlife_subdev *vsd;

	spin_lock(&vlife_subdevs_lock);
	list_for_each_entry(vsd, &vlife_subdevs, list)
		if (vsd->vl == vl && vsd->node)
			v4l2_event_wake_all(vsd->node);
	spin_unlock(&vlife_subdevs_lock);
}

/* One async subdev of @vl still offered to a bridge, taken off offer. */
static struct vlife_subdev *vlife_subdev_take_async(struct vlife_device *vl)
{
	struct vlife_subdev *vsd;

	spin_lock(&vlife_subdevs_lock);
	list_for_each_entry(vsd, &vlife_subdevs, list) {
		if (vsd->vl == vl && vsd->async) {
			vsd->async = false;
			spin_unlock(&vlife_subdevs_lock);
			return vsd;
		}
	}
	spin_unlock(&vlife_subdevs_lock);
	return NULL;
}

/*
 * Unplug step 4: an async subdev of @vl leaves its bridge (whose notifier
 * .unbind runs now, unregistering its node); the records go now, or with
 * their node's release.
 */
void vlife_subdev_unplug(struct vlife_device *vl)
{
	struct vlife_subdev *vsd, *tmp;
	LIST_HEAD(gone);

	while ((vsd = vlife_subdev_take_async(vl))) {
		if (vsd->sd->devnode)
			vlife_media_detach_node(vsd->sd->devnode);
		v4l2_async_unregister_subdev(vsd->sd);
	}

	spin_lock(&vlife_subdevs_lock);
	list_for_each_entry_safe(vsd, tmp, &vlife_subdevs, list) {
		if (vsd->vl != vl)
			continue;
		vsd->gone = true;
		if (!vsd->nodes)
			list_move(&vsd->list, &gone);
	}
	spin_unlock(&vlife_subdevs_lock);
	list_for_each_entry_safe(vsd, tmp, &gone, list)
		kfree(vsd);
}

/*
 * The file operations of a vlife subdev node: the V4L2 core's own, each
 * inside the gates of the subdev's owner and of the V4L2 device.
 */
struct vlife_subdev_gate {
	struct vlife_device *owner;
	struct vlife_device *v4l2;
	int idx[2];
};

static bool vlife_subdev_enter(struct file *file, struct vlife_subdev_gate *g)
{
	g->owner = vlife_subdev_owner(file);
	g->v4l2 = vlife_from_v4l2(video_devdata(file)->v4l2_dev);
	if (!vlife_dev_enter(g->owner, &g->idx[0]))
		return false;
	if (g->v4l2 == g->owner || vlife_dev_enter(g->v4l2, &g->idx[1]))
		return true;
	vlife_dev_exit(g->owner, g->idx[0]);
	return false;
}

static void vlife_subdev_exit(struct vlife_subdev_gate *g)
{
	if (g->v4l2 != g->owner)
		vlife_dev_exit(g->v4l2, g->idx[1]);
	vlife_dev_exit(g->owner, g->idx[0]);
}

static bool vlife_subdev_gone(struct file *file)
{
	struct vlife_device *owner = vlife_subdev_owner(file);
	struct vlife_device *v4l2 =
		vlife_from_v4l2(video_devdata(file)->v4l2_dev);

	return vlife_dev_is_unplugged(owner) || vlife_dev_is_unplugged(v4l2);
}

static int vlife_subdev_open(struct file *file)
{
	struct vlife_subdev_gate g;
	int ret;

	if (!vlife_subdev_enter(file, &g))
		return -ENODEV;
	ret = vlife_v4l2_subdev_fops->open(file);
	vlife_subdev_exit(&g);
	return ret;
}

/* close() always works; inside the gates only while they are open. */
static int vlife_subdev_close(struct file *file)
{
	struct vlife_subdev_gate g;
	bool present;

	present = vlife_subdev_enter(file, &g);
	vlife_v4l2_subdev_fops->release(file);
	if (present)
		vlife_subdev_exit(&g);
	return 0;
}

static long vlife_subdev_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	struct vlife_subdev_gate g;
	long ret;

	if (cmd == VIDIOC_DQEVENT && !(file->f_flags & O_NONBLOCK) &&
	    (vdev_to_v4l2_subdev(video_devdata(file))->flags &
	     V4L2_SUBDEV_FL_HAS_EVENTS))
		return vlife_fh_dqevent(file, arg, vlife_subdev_gone);
	if (!vlife_subdev_enter(file, &g))
		return -ENODEV;
	ret = vlife_v4l2_subdev_fops->unlocked_ioctl(file, cmd, arg);
	vlife_subdev_exit(&g);
	if (ret < 0 && vlife_subdev_gone(file))
		ret = -ENODEV;
	return ret;
}

static __poll_t vlife_subdev_poll(struct file *file,
				  struct poll_table_struct *wait)
{
	struct vlife_subdev_gate g;
	__poll_t res;

	if (!vlife_subdev_enter(file, &g))
		return vlife_fh_poll_gone(file);
	res = vlife_v4l2_subdev_fops->poll(file, wait);
	vlife_subdev_exit(&g);
	return vlife_subdev_gone(file) ? vlife_fh_poll_gone(file) : res;
}

/* The file operations of every node vlife_subdev_node_create() makes. */
static const struct v4l2_file_operations vlife_subdev_fops = {
	.owner = THIS_MODULE,
	.open = vlife_subdev_open,
	.release = vlife_subdev_close,
	.unlocked_ioctl = vlife_subdev_ioctl,
	.poll = vlife_subdev_poll,
};
