// SPDX-License-Identifier: GPL-2.0
/*
 * vlife media controller integration: the media device embedded in the
 * vlife device.
 */

#include <media/vlife.h>

#include <linux/string.h>
#include <media/media-devnode.h>

#include "vlife-priv.h"

/**
 * DOC: media device
 *
 * The &struct media_device is embedded in &struct vlife_device, so it
 * lives until the final reference: video nodes released after the unplug
 * still unregister their entities from it.  The media node holds a
 * reference from registration until its last file is closed, so a media
 * ioctl that raced with the unplug never sees freed memory.
 * Its ioctls pass the unplug gate, as every other file operation does:
 * the media core checks that the node is registered before an ioctl, but
 * nothing keeps the unregistration from running while the ioctl does (it
 * clears the node's media_dev pointer the ioctl reads).  Once unplugged,
 * a media ioctl fails with -ENODEV, and with -EIO from the media core once
 * vlife_dev_unplug() has unregistered the node; media_device_cleanup()
 * runs as a managed action.  Whatever a media ioctl reads must be in the
 * media device itself: the driver's name is copied there at init, as the
 * parent's driver is gone after the unplug.
 */

/* The media core's own file operations, wrapped below (not exported). */
static const struct media_file_operations *vlife_media_core_fops;

/* @call (the media core's ioctl or compat_ioctl) inside the gate. */
static long vlife_media_gated(struct file *filp, unsigned int cmd,
			      unsigned long arg,
			      long (*call)(struct file *, unsigned int,
					   unsigned long))
{
	struct media_devnode *devnode = media_devnode_data(filp);
	struct vlife_device *vl = dev_get_drvdata(&devnode->dev);
	long ret;
	int idx;

	if (!vlife_dev_enter(vl, &idx))
		return -ENODEV;
	ret = call(filp, cmd, arg);
	vlife_dev_exit(vl, idx);
	return ret;
}

static long vlife_media_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	return vlife_media_gated(filp, cmd, arg, vlife_media_core_fops->ioctl);
}

#ifdef CONFIG_COMPAT
static long vlife_media_compat_ioctl(struct file *filp, unsigned int cmd,
				     unsigned long arg)
{
	return vlife_media_gated(filp, cmd, arg,
				 vlife_media_core_fops->compat_ioctl);
}
#endif

static int vlife_media_open(struct file *filp)
{
	return vlife_media_core_fops->open ?
		vlife_media_core_fops->open(filp) : 0;
}

static int vlife_media_release(struct file *filp)
{
	return vlife_media_core_fops->release ?
		vlife_media_core_fops->release(filp) : 0;
}

static const struct media_file_operations vlife_media_fops = {
	.owner = THIS_MODULE,
	.open = vlife_media_open,
	.ioctl = vlife_media_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl = vlife_media_compat_ioctl,
#endif
	.release = vlife_media_release,
};

/* The media node's device is released: its last file is closed. */
static void vlife_media_devnode_release(struct media_devnode *devnode)
{
	vlife_dev_put(dev_get_drvdata(&devnode->dev), VLIFE_REF_MEDIA);
}

static void vlife_media_cleanup(struct vlife_device *vl, void *data)
{
	media_device_cleanup(&vl->mdev);
}

/**
 * vlife_media_init() - initialise the embedded media device
 * @vl: the vlife device
 * @model: the device model shown by MEDIA_IOC_DEVICE_INFO
 * @bus_info: the bus location, or NULL to let the media core derive it
 *
 * Call before vlife_v4l2_register(), which links the two.
 *
 * Return: 0, or -ENOMEM (the media device is then cleaned up again).
 */
int vlife_media_init(struct vlife_device *vl, const char *model,
		     const char *bus_info)
{
	vl->mdev.dev = vl->parent;
	/*
	 * Without a driver name, MEDIA_IOC_DEVICE_INFO reads the parent's
	 * driver, which is NULL once unbound: a call that passed the media
	 * core's "registered" check just before the unplug would follow it.
	 * Copy the name now, while the driver is bound (we are in probe).
	 */
	strscpy(vl->mdev.driver_name, dev_driver_string(vl->parent),
		sizeof(vl->mdev.driver_name));
	strscpy(vl->mdev.model, model, sizeof(vl->mdev.model));
	if (bus_info)
		strscpy(vl->mdev.bus_info, bus_info,
			sizeof(vl->mdev.bus_info));
	media_device_init(&vl->mdev);
	vl->has_media = true;
	return vlifem_add_action_or_reset(vl, vlife_media_cleanup, NULL);
}
EXPORT_SYMBOL_GPL(vlife_media_init);

/**
 * vlife_media_register() - register the media device node
 * @vl: the vlife device, after vlife_media_init() and every entity
 *
 * Register it last in probe: the graph is complete once it is visible.
 * It is unregistered by vlife_dev_unplug().
 *
 * Return: 0 or a negative errno.
 */
int vlife_media_register(struct vlife_device *vl)
{
	int ret;

	if (WARN_ON(!vl->has_media))
		return -EINVAL;
	/* The node's files pin the driver module, not the core. */
	ret = __media_device_register(&vl->mdev, vl->owner);
	if (ret)
		return ret;
	/* The media core leaves the node's drvdata and release hook to us. */
	vlife_dev_get(vl, VLIFE_REF_MEDIA);
	dev_set_drvdata(&vl->mdev.devnode->dev, vl);
	vl->mdev.devnode->release = vlife_media_devnode_release;
	/*
	 * The node's ioctls through the gate.  The media core reads fops at
	 * each call, so files already open switch too; an ioctl that began
	 * before this line runs during probe, when nothing can unplug.
	 */
	if (!vlife_media_core_fops)
		vlife_media_core_fops = vl->mdev.devnode->fops;
	vl->mdev.devnode->fops = &vlife_media_fops;
	vl->media_registered = true;
	return 0;
}
EXPORT_SYMBOL_GPL(vlife_media_register);

/* Unplug step 4, streams stopped: the graph empties under its mutex. */
void vlife_media_unregister(struct vlife_device *vl)
{
	if (vl->media_registered)
		media_device_unregister(&vl->mdev);
}

/*
 * Take the interface of @vdev (a node in another device's media graph: an
 * async subdev's node, made by its bridge) out of that graph under the
 * graph mutex, before the node is unregistered.  The media core's own
 * removal, media_devnode_remove(), unlinks the interface from the graph's
 * list without that mutex, while MEDIA_IOC_G_TOPOLOGY walks the list
 * under it: the walk can follow a poisoned pointer (seen as a general
 * protection fault in media_device_get_topology() while the race stress
 * unbound a device).  Emptied here, the media core's later unlink works on
 * an entry that points to itself.  The graph's own unregistration does
 * the same, with the mutex, for the nodes of the device it belongs to.
 */
void vlife_media_detach_node(struct video_device *vdev)
{
	struct media_intf_devnode *devnode = vdev->intf_devnode;
	struct media_device *mdev;

	if (!devnode)
		return;
	mdev = devnode->intf.graph_obj.mdev;
	if (!mdev)
		return;
	mutex_lock(&mdev->graph_mutex);
	/* The graph's unregistration may have taken it out meanwhile. */
	if (devnode->intf.graph_obj.mdev == mdev) {
		__media_remove_intf_links(&devnode->intf);
		list_del_init(&devnode->intf.graph_obj.list);
		mdev->topology_version++;
	}
	mutex_unlock(&mdev->graph_mutex);
}
