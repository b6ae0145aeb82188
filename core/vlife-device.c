// SPDX-License-Identifier: GPL-2.0
/*
 * vlife device: the refcounted object behind every node of one driver
 * instance.
 */

#include <media/vlife.h>

#include <linux/device.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "vlife-priv.h"

/**
 * DOC: who owns what
 *
 * A driver embeds &struct vlife_device in its own state structure and
 * allocates both with vlife_dev_alloc().  From then on that memory belongs
 * to the vlife device, not to the driver: it is freed when the last
 * reference is dropped, which may be long after the hardware is gone.
 *
 * References are held by:
 *
 * - the bound driver, from allocation until devres runs at unbind (or at a
 *   failed probe); the devres action also unplugs the device if the
 *   driver's .remove() did not;
 * - the embedded &struct v4l2_device, from vlife_v4l2_register() until its
 *   last video node has been released by the V4L2 core;
 * - every open file of a video node, from open() to its release.  A
 *   mapping of a vb2 buffer holds its file (vm_file), so the file, and its
 *   reference, live until the last munmap() as well as the last close();
 * - the media node, from registration until its last file is closed.
 *
 * Userspace references (files, and through them mappings) also pin the
 * driver's module, so that the release code is still there when the last
 * one goes: rmmod is refused while userspace holds the device.
 *
 * On the final reference the driver's &vlife_device_ops.release runs,
 * then every managed action in reverse order of registration, then the
 * driver's structure is freed.  Hardware resources stay with devm_*: they
 * go at unbind, and the unplug gate (vlife_dev_enter()) keeps file
 * operations away from them afterwards.
 */

static void vlife_dev_release(struct kref *ref)
{
	struct vlife_device *vl = container_of(ref, struct vlife_device, ref);

	if (vl->ops && vl->ops->release)
		vl->ops->release(vl);
	vlife_managed_release(vl);
	cleanup_srcu_struct(&vl->srcu);
	/* Last: module unload waits for this (see vlife_module_going()). */
	vlife_debugfs_forget(vl);
	kfree(vl->container);
}

/* devres action: the driver's reference ends when the device is unbound. */
static void vlife_dev_devm_release(void *data)
{
	struct vlife_device *vl = data;

	vlife_dev_unplug(vl);
	vlife_dev_put(vl, VLIFE_REF_DRIVER);
}

void *__vlife_dev_alloc(struct device *parent,
			const struct vlife_device_ops *ops, size_t size,
			size_t offset, struct module *owner)
{
	struct vlife_device *vl;
	void *container;
	int ret;

	container = kzalloc(size, GFP_KERNEL);
	if (!container)
		return ERR_PTR(-ENOMEM);

	vl = container + offset;
	ret = init_srcu_struct(&vl->srcu);
	if (ret) {
		kfree(container);
		return ERR_PTR(ret);
	}
	kref_init(&vl->ref);
	atomic_set(&vl->refs[VLIFE_REF_DRIVER], 1);
	vl->container = container;
	vl->parent = parent;
	vl->owner = owner;
	vl->ops = ops;
	strscpy(vl->name, dev_name(parent), sizeof(vl->name));
	spin_lock_init(&vl->managed_lock);
	INIT_LIST_HEAD(&vl->managed);
	INIT_LIST_HEAD(&vl->nodes);
	vlife_debugfs_track(vl);

	ret = devm_add_action_or_reset(parent, vlife_dev_devm_release, vl);
	if (ret)
		return ERR_PTR(ret);
	return container;
}
EXPORT_SYMBOL_GPL(__vlife_dev_alloc);

/**
 * vlife_dev_get() - take a reference
 * @vl: the vlife device
 * @kind: who holds it, for the debugfs counters
 */
void vlife_dev_get(struct vlife_device *vl, enum vlife_ref_kind kind)
{
	atomic_inc(&vl->refs[kind]);
	kref_get(&vl->ref);
}
EXPORT_SYMBOL_GPL(vlife_dev_get);

/**
 * vlife_dev_put() - drop a reference; the last one frees the device
 * @vl: the vlife device
 * @kind: the kind given to vlife_dev_get()
 *
 * May sleep: the final put runs the managed actions.
 */
void vlife_dev_put(struct vlife_device *vl, enum vlife_ref_kind kind)
{
	might_sleep();
	atomic_dec(&vl->refs[kind]);
	kref_put(&vl->ref, vlife_dev_release);
}
EXPORT_SYMBOL_GPL(vlife_dev_put);

/**
 * vlife_dev_get_user() - take a reference on behalf of userspace
 * @vl: the vlife device
 * @kind: %VLIFE_REF_FILE
 *
 * Also pins the driver's module, so its release code outlives the
 * reference.
 *
 * Return: 0, or -ENODEV if the module is going away.
 */
int vlife_dev_get_user(struct vlife_device *vl, enum vlife_ref_kind kind)
{
	if (!try_module_get(vl->owner))
		return -ENODEV;
	vlife_dev_get(vl, kind);
	return 0;
}
EXPORT_SYMBOL_GPL(vlife_dev_get_user);

/**
 * vlife_dev_put_user() - drop a reference taken by vlife_dev_get_user()
 * @vl: the vlife device, possibly freed on return
 * @kind: the kind given to vlife_dev_get_user()
 */
void vlife_dev_put_user(struct vlife_device *vl, enum vlife_ref_kind kind)
{
	struct module *owner = vl->owner;

	vlife_dev_put(vl, kind);
	module_put(owner);
}
EXPORT_SYMBOL_GPL(vlife_dev_put_user);
