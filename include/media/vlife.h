/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vlife - managed-lifetime core for V4L2 drivers
 *
 * Only the module's debugfs root exists so far; the refcounted device,
 * managed actions and the unplug gate build on it.
 */
#ifndef _MEDIA_VLIFE_H
#define _MEDIA_VLIFE_H

struct dentry;

/**
 * vlife_debugfs_root() - the core's debugfs directory
 *
 * Return: the "vlife" directory in debugfs, owned by the core module and
 * removed when it unloads; an error pointer if debugfs is unavailable.
 */
struct dentry *vlife_debugfs_root(void);

#endif /* _MEDIA_VLIFE_H */
