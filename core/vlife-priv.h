/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vlife core internals, shared between the core's files only.
 */
#ifndef _VLIFE_PRIV_H
#define _VLIFE_PRIV_H

#include <linux/poll.h>
#include <linux/types.h>

struct file;
struct module;
struct video_device;
struct vlife_device;

void vlife_managed_release(struct vlife_device *vl);
void vlife_v4l2_wake_all(struct vlife_device *vl);
void vlife_v4l2_unplug(struct vlife_device *vl);
void vlife_media_unregister(struct vlife_device *vl);
void vlife_media_detach_node(struct video_device *vdev);
void vlife_subdev_wake_all(struct vlife_device *vl);
void vlife_subdev_unplug(struct vlife_device *vl);
void vlife_subdev_forget_stale_nodes(void);
int vlife_subdev_init(void);
bool vlife_node_in_graph(struct video_device *vdev);
void vlife_node_register_failed(struct video_device *vdev);
long vlife_fh_dqevent(struct file *file, unsigned long arg,
		      bool (*gone)(struct file *file));
__poll_t vlife_fh_poll_gone(struct file *file);
void vlife_debugfs_track(struct vlife_device *vl);
void vlife_debugfs_forget(struct vlife_device *vl);
void vlife_module_going(struct module *owner);
int vlife_debugfs_init(void);
void vlife_debugfs_exit(void);

#endif /* _VLIFE_PRIV_H */
