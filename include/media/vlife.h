/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vlife - managed-lifetime core for V4L2 drivers
 *
 * See core/vlife-device.c for the ownership rules.
 */
#ifndef _MEDIA_VLIFE_H
#define _MEDIA_VLIFE_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <media/media-device.h>
#include <media/v4l2-device.h>

struct dentry;
struct module;
struct video_device;

/**
 * enum vlife_ref_kind - who holds a reference to a &struct vlife_device
 * @VLIFE_REF_DRIVER: the bound driver, from allocation until devres runs
 * @VLIFE_REF_V4L2: the &struct v4l2_device, until its last node is gone
 * @VLIFE_REF_MEDIA: the media device node, until its last file is closed
 * @VLIFE_REF_FILE: one open file of a video node
 * @VLIFE_REF_SUBDEV: a subdev node made by vlife_subdev_nodes_register(),
 *	until the node is released (its last file closed)
 * @VLIFE_REF_OTHER: anything else (vlife_dev_get() by a driver)
 * @VLIFE_REF_KINDS: number of kinds
 *
 * The kinds only feed the debugfs counters; every reference is the same
 * kref.
 */
enum vlife_ref_kind {
	VLIFE_REF_DRIVER,
	VLIFE_REF_V4L2,
	VLIFE_REF_MEDIA,
	VLIFE_REF_FILE,
	VLIFE_REF_SUBDEV,
	VLIFE_REF_OTHER,
	VLIFE_REF_KINDS,
};

struct vlife_device;

/**
 * struct vlife_device_ops - driver hooks of a &struct vlife_device
 * @release: called on the final reference, before the managed actions;
 *	the hardware is long gone, only software state may be touched
 */
struct vlife_device_ops {
	void (*release)(struct vlife_device *vl);
};

/**
 * struct vlife_device - one driver instance whose state userspace can reach
 * @ref: the reference count; the instance is freed when it drops to zero
 * @v4l2_dev: the V4L2 device, embedded; holds one reference while
 *	registered and until its last video node is released
 * @mdev: the media device, embedded; used only after vlife_media_init()
 * @parent: the hardware device; valid only until vlife_dev_unplug()
 * @owner: the driver module; each userspace reference pins it
 * @ops: the driver's hooks, may be NULL
 * @name: instance name for logs and debugfs (the parent's device name)
 * @unplugged: set once by vlife_dev_unplug(), read under the SRCU gate
 * @srcu: the unplug gate; one per instance, so that a call blocked in one
 *	device (a DQBUF waiting for a frame) never delays another's unplug
 * @v4l2_registered: vlife_v4l2_register() succeeded
 * @has_media: vlife_media_init() was called
 * @media_registered: vlife_media_register() succeeded
 * @managed_lock: protects @managed
 * @managed: managed actions, run in reverse order on release
 * @nodes: video nodes registered with vlife_video_register()
 * @refs: references by &enum vlife_ref_kind, for debugfs
 * @in_flight: calls currently inside the gate, for debugfs
 * @container: start of the driver's structure that embeds this one
 * @entry: link in the core's list of live instances
 *
 * Allocate with vlife_dev_alloc(), embedded in the driver's own state.
 * Everything a file handle can reach lives here or is released by a
 * managed action; devm_* is kept for hardware resources.
 */
struct vlife_device {
	struct kref ref;
	struct v4l2_device v4l2_dev;
	struct media_device mdev;
	struct device *parent;
	struct module *owner;
	const struct vlife_device_ops *ops;
	char name[32];
	bool unplugged;
	struct srcu_struct srcu;
	bool v4l2_registered;
	bool has_media;
	bool media_registered;
	spinlock_t managed_lock; /* protects @managed */
	struct list_head managed;
	struct list_head nodes;
	atomic_t refs[VLIFE_REF_KINDS];
	atomic_t in_flight;
	void *container;
	struct list_head entry;
};

void *__vlife_dev_alloc(struct device *parent,
			const struct vlife_device_ops *ops, size_t size,
			size_t offset, struct module *owner);

/**
 * vlife_dev_alloc() - allocate a driver structure embedding a vlife device
 * @parent: the hardware device being probed
 * @ops: driver hooks, may be NULL
 * @type: the driver's state structure
 * @member: name of the &struct vlife_device member in @type
 *
 * The structure is zeroed and owned by the returned vlife device.  The
 * driver's own reference is dropped by devres when @parent is unbound;
 * the memory is freed on the last reference, which may come much later
 * from a close() or munmap().
 *
 * Return: pointer to @type, or an ERR_PTR().
 */
#define vlife_dev_alloc(parent, ops, type, member)			\
	((type *)__vlife_dev_alloc(parent, ops, sizeof(type),		\
				   offsetof(type, member), THIS_MODULE))

void vlife_dev_get(struct vlife_device *vl, enum vlife_ref_kind kind);
void vlife_dev_put(struct vlife_device *vl, enum vlife_ref_kind kind);
int vlife_dev_get_user(struct vlife_device *vl, enum vlife_ref_kind kind);
void vlife_dev_put_user(struct vlife_device *vl, enum vlife_ref_kind kind);

/* Managed actions, released on the final reference (core/vlife-managed.c) */

typedef void (*vlife_action_t)(struct vlife_device *vl, void *data);

int __must_check __vlifem_add_action(struct vlife_device *vl,
				     vlife_action_t action, void *data,
				     const char *name);

/**
 * vlifem_add_action() - run @action on the final reference
 * @vl: the vlife device
 * @action: function to call with @vl and @data
 * @data: its argument
 *
 * Return: 0, or -ENOMEM (the action was not registered).
 */
#define vlifem_add_action(vl, action, data) \
	__vlifem_add_action(vl, action, data, #action)

int __must_check __vlifem_add_action_or_reset(struct vlife_device *vl,
					      vlife_action_t action,
					      void *data, const char *name);

/**
 * vlifem_add_action_or_reset() - like vlifem_add_action(), or act now
 * @vl: the vlife device
 * @action: function to call with @vl and @data
 * @data: its argument
 *
 * If registration fails, @action runs at once.
 *
 * Return: 0, or -ENOMEM (after running @action).
 */
#define vlifem_add_action_or_reset(vl, action, data) \
	__vlifem_add_action_or_reset(vl, action, data, #action)

void vlifem_release_action(struct vlife_device *vl, vlife_action_t action,
			   void *data);
void *vlifem_kmalloc(struct vlife_device *vl, size_t size, gfp_t gfp);
void *vlifem_kzalloc(struct vlife_device *vl, size_t size, gfp_t gfp);
void *vlifem_kcalloc(struct vlife_device *vl, size_t n, size_t size,
		     gfp_t gfp);
char *vlifem_kstrdup(struct vlife_device *vl, const char *s, gfp_t gfp);
void vlifem_kfree(struct vlife_device *vl, const void *data);
int __must_check __vlifem_mutex_fini(struct vlife_device *vl, struct mutex *m);

/**
 * vlifem_mutex_init() - a mutex destroyed on the final reference
 * @vl: the vlife device
 * @lock: the mutex, in memory that lives as long as @vl
 *
 * A macro, so that lockdep gives each call site its own lock class.
 *
 * Return: 0, or -ENOMEM (the mutex is then destroyed again).
 */
#define vlifem_mutex_init(vl, lock) ({					\
	struct mutex *__vlife_lock = (lock);				\
									\
	mutex_init(__vlife_lock);					\
	__vlifem_mutex_fini(vl, __vlife_lock);				\
})

/* The unplug gate (core/vlife-gate.c) */

bool vlife_dev_enter(struct vlife_device *vl, int *idx);
void vlife_dev_exit(struct vlife_device *vl, int idx);
bool vlife_dev_is_unplugged(struct vlife_device *vl);
void vlife_dev_unplug(struct vlife_device *vl);

/* V4L2 and media integration (core/vlife-v4l2.c, core/vlife-media.c) */

int vlife_v4l2_register(struct vlife_device *vl);
int vlife_video_register(struct vlife_device *vl, struct video_device *vdev,
			 enum vfl_devnode_type type);
int __must_check vlife_media_init(struct vlife_device *vl, const char *model,
				  const char *bus_info);
int vlife_media_register(struct vlife_device *vl);
int vlife_queue_setup(unsigned int *nplanes, unsigned int sizes[],
		      unsigned int size, unsigned int max_size);

extern const struct v4l2_file_operations vlife_video_fops;

/* Subdevs (core/vlife-subdev.c) */

struct v4l2_subdev;

int vlife_subdev_register(struct vlife_device *vl, struct v4l2_subdev *sd);
int vlife_subdev_async_register(struct vlife_device *vl,
				struct v4l2_subdev *sd);
int vlife_subdev_nodes_register(struct vlife_device *vl);

/**
 * vlife_from_v4l2() - the vlife device embedding a V4L2 device
 * @v4l2_dev: a V4L2 device registered with vlife_v4l2_register()
 *
 * Return: the enclosing &struct vlife_device.
 */
static inline struct vlife_device *vlife_from_v4l2(struct v4l2_device *v4l2_dev)
{
	return container_of(v4l2_dev, struct vlife_device, v4l2_dev);
}

/* Introspection (core/vlife-debugfs.c) */

struct dentry *vlife_debugfs_root(void);

#endif /* _MEDIA_VLIFE_H */
