// SPDX-License-Identifier: GPL-2.0
/*
 * vlife managed actions: resources released on a vlife device's final
 * reference, in reverse order.
 */

#include <media/vlife.h>

#include <linux/slab.h>
#include <linux/string.h>

#include "vlife-priv.h"

/**
 * DOC: managed resources
 *
 * Resources registered here are tied to the lifetime of a &struct
 * vlife_device, which can outlive the hardware it was probed for: they are
 * released on its final vlife_dev_put(), after the driver's release hook,
 * in reverse order of registration.  Use them for everything a file
 * handle can reach (control handlers, locks, buffers, the media graph);
 * keep devm_* for hardware (registers, interrupts, clocks).
 *
 * Memory from vlifem_kzalloc() and friends is an action of its own whose
 * data lives in the same allocation.
 */

struct vlife_action {
	struct list_head list;
	vlife_action_t action;
	void *data;
	const char *name;
	size_t size;
	u8 payload[] __aligned(ARCH_KMALLOC_MINALIGN);
};

static struct vlife_action *vlife_action_alloc(size_t size, gfp_t gfp)
{
	struct vlife_action *a;

	a = kmalloc(struct_size(a, payload, size), gfp);
	if (a) {
		INIT_LIST_HEAD(&a->list);
		a->size = size;
	}
	return a;
}

static void vlife_action_add(struct vlife_device *vl, struct vlife_action *a)
{
	unsigned long flags;

	spin_lock_irqsave(&vl->managed_lock, flags);
	list_add(&a->list, &vl->managed);
	spin_unlock_irqrestore(&vl->managed_lock, flags);
}

/* Called once, from the final put: nobody else can see @vl any more. */
void vlife_managed_release(struct vlife_device *vl)
{
	struct vlife_action *a, *tmp;

	list_for_each_entry_safe(a, tmp, &vl->managed, list) {
		list_del(&a->list);
		if (a->action)
			a->action(vl, a->data);
		kfree(a);
	}
}

int __vlifem_add_action(struct vlife_device *vl, vlife_action_t action,
			void *data, const char *name)
{
	struct vlife_action *a = vlife_action_alloc(0, GFP_KERNEL);

	if (!a)
		return -ENOMEM;
	a->action = action;
	a->data = data;
	a->name = name;
	vlife_action_add(vl, a);
	return 0;
}
EXPORT_SYMBOL_GPL(__vlifem_add_action);

int __vlifem_add_action_or_reset(struct vlife_device *vl,
				 vlife_action_t action, void *data,
				 const char *name)
{
	int ret = __vlifem_add_action(vl, action, data, name);

	if (ret)
		action(vl, data);
	return ret;
}
EXPORT_SYMBOL_GPL(__vlifem_add_action_or_reset);

static struct vlife_action *vlife_action_take(struct vlife_device *vl,
					      vlife_action_t action,
					      const void *data)
{
	struct vlife_action *a, *found = NULL;
	unsigned long flags;

	spin_lock_irqsave(&vl->managed_lock, flags);
	list_for_each_entry(a, &vl->managed, list) {
		if (a->action == action && a->data == data) {
			list_del(&a->list);
			found = a;
			break;
		}
	}
	spin_unlock_irqrestore(&vl->managed_lock, flags);
	return found;
}

/**
 * vlifem_release_action() - run a managed action now instead of later
 * @vl: the vlife device
 * @action: the registered function
 * @data: the registered argument
 *
 * Warns if no such action is registered.
 */
void vlifem_release_action(struct vlife_device *vl, vlife_action_t action,
			   void *data)
{
	struct vlife_action *a = vlife_action_take(vl, action, data);

	if (WARN_ON(!a))
		return;
	action(vl, data);
	kfree(a);
}
EXPORT_SYMBOL_GPL(vlifem_release_action);

/**
 * vlifem_kmalloc() - memory freed on the final reference
 * @vl: the vlife device
 * @size: bytes
 * @gfp: allocation flags
 *
 * Return: the memory, or NULL.
 */
void *vlifem_kmalloc(struct vlife_device *vl, size_t size, gfp_t gfp)
{
	struct vlife_action *a = vlife_action_alloc(size, gfp);

	if (!a)
		return NULL;
	a->action = NULL;
	a->data = a->payload;
	a->name = "kmalloc";
	vlife_action_add(vl, a);
	return a->payload;
}
EXPORT_SYMBOL_GPL(vlifem_kmalloc);

/**
 * vlifem_kzalloc() - zeroed memory freed on the final reference
 * @vl: the vlife device
 * @size: bytes
 * @gfp: allocation flags
 *
 * Return: the memory, or NULL.
 */
void *vlifem_kzalloc(struct vlife_device *vl, size_t size, gfp_t gfp)
{
	return vlifem_kmalloc(vl, size, gfp | __GFP_ZERO);
}
EXPORT_SYMBOL_GPL(vlifem_kzalloc);

/**
 * vlifem_kcalloc() - a zeroed array freed on the final reference
 * @vl: the vlife device
 * @n: number of elements
 * @size: bytes per element
 * @gfp: allocation flags
 *
 * Return: the memory, or NULL (also on overflow).
 */
void *vlifem_kcalloc(struct vlife_device *vl, size_t n, size_t size,
		     gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return vlifem_kzalloc(vl, bytes, gfp);
}
EXPORT_SYMBOL_GPL(vlifem_kcalloc);

/**
 * vlifem_kstrdup() - a string copy freed on the final reference
 * @vl: the vlife device
 * @s: the string, may be NULL
 * @gfp: allocation flags
 *
 * Return: the copy, or NULL.
 */
char *vlifem_kstrdup(struct vlife_device *vl, const char *s, gfp_t gfp)
{
	size_t len;
	char *p;

	if (!s)
		return NULL;
	len = strlen(s) + 1;
	p = vlifem_kmalloc(vl, len, gfp);
	if (p)
		memcpy(p, s, len);
	return p;
}
EXPORT_SYMBOL_GPL(vlifem_kstrdup);

/**
 * vlifem_kfree() - free managed memory before the final reference
 * @vl: the vlife device
 * @data: memory from vlifem_kmalloc() and friends, or NULL
 */
void vlifem_kfree(struct vlife_device *vl, const void *data)
{
	struct vlife_action *a;

	if (!data)
		return;
	a = vlife_action_take(vl, NULL, data);
	if (WARN_ON(!a))
		return;
	kfree(a);
}
EXPORT_SYMBOL_GPL(vlifem_kfree);

static void vlife_mutex_destroy(struct vlife_device *vl, void *lock)
{
	mutex_destroy(lock);
}

/**
 * __vlifem_mutex_fini() - destroy a mutex on the final reference
 * @vl: the vlife device
 * @m: an initialised mutex, in memory that lives as long as @vl
 *
 * The backend of vlifem_mutex_init().
 *
 * Return: 0, or -ENOMEM (the mutex is then destroyed at once).
 */
int __vlifem_mutex_fini(struct vlife_device *vl, struct mutex *m)
{
	return vlifem_add_action_or_reset(vl, vlife_mutex_destroy, m);
}
EXPORT_SYMBOL_GPL(__vlifem_mutex_fini);
