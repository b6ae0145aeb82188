// SPDX-License-Identifier: GPL-2.0
/*
 * vlife buffer mappings: each mmap() of a vb2 buffer holds a reference.
 */

#include <media/vlife.h>

#include <linux/mm.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <media/videobuf2-memops.h>

#include "vlife-priv.h"

/**
 * DOC: buffer mappings
 *
 * vb2 keeps mapped buffer memory alive by itself, until munmap().  What it
 * does not keep is the code that frees it: once every file is closed the
 * driver module, and with it the vb2 memory allocator, could be unloaded
 * while a mapping still points at their vm_operations.  So each mapping
 * made through &vlife_video_fops takes a userspace reference on the vlife
 * device (which pins the driver module, and through it the allocator) and
 * drops it when the last VMA of that mapping is closed.  VMAs split from
 * or copied from the mapping share the reference.
 */

/*
 * Takes the place of the vb2 handler in vm_private_data: it starts with a
 * copy of it, so vb2_common_vm_ops work on it unchanged.
 */
struct vlife_vma {
	struct vb2_vmarea_handler vb2;
	struct vlife_device *vl;
	refcount_t vmas;
};

static void vlife_vma_open(struct vm_area_struct *vma)
{
	struct vlife_vma *vv = vma->vm_private_data;

	refcount_inc(&vv->vmas);
	vb2_common_vm_ops.open(vma);
}

static void vlife_vma_close(struct vm_area_struct *vma)
{
	struct vlife_vma *vv = vma->vm_private_data;

	vb2_common_vm_ops.close(vma);
	if (refcount_dec_and_test(&vv->vmas)) {
		vlife_dev_put_user(vv->vl, VLIFE_REF_MMAP);
		kfree(vv);
	}
}

static const struct vm_operations_struct vlife_vm_ops = {
	.open = vlife_vma_open,
	.close = vlife_vma_close,
};

/* Wrap the vb2 mapping @vma just created so that it holds a reference. */
int vlife_vma_track(struct vlife_device *vl, struct vm_area_struct *vma)
{
	struct vb2_vmarea_handler *h = vma->vm_private_data;
	struct vlife_vma *vv;
	int ret;

	/* Every vb2 allocator that maps buffers uses the common ops. */
	if (WARN_ON_ONCE(vma->vm_ops != &vb2_common_vm_ops))
		return -EINVAL;
	vv = kzalloc(sizeof(*vv), GFP_KERNEL);
	if (!vv)
		return -ENOMEM;
	ret = vlife_dev_get_user(vl, VLIFE_REF_MMAP);
	if (ret) {
		kfree(vv);
		return ret;
	}
	vv->vb2 = *h;
	vv->vl = vl;
	refcount_set(&vv->vmas, 1);
	vma->vm_private_data = &vv->vb2;
	vma->vm_ops = &vlife_vm_ops;
	return 0;
}
