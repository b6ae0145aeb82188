// SPDX-License-Identifier: GPL-2.0
/*
 * vlife introspection: live instances and their references, in debugfs.
 */

#include <media/vlife.h>

#include <linux/debugfs.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "vlife-priv.h"

/**
 * DOC: debugfs
 *
 * /sys/kernel/debug/vlife/ belongs to the core module, from load to unload:
 *
 * - ``live``: the number of vlife devices not yet freed.  Zero once every
 *   driver is unbound and userspace has let go: anything else is a leak.
 * - ``instances``: one line per live device: name, total references,
 *   references by kind, calls inside the gate, and whether it is
 *   unplugged (a device that is unplugged but still listed is waiting for
 *   userspace to close or unmap).
 */

static struct dentry *vlife_debugfs;
static LIST_HEAD(vlife_instances);
/* A spinlock: vlife_owner_has_instances() runs as a wait condition. */
static DEFINE_SPINLOCK(vlife_instances_lock);
static DECLARE_WAIT_QUEUE_HEAD(vlife_instances_wq);

static const char *const vlife_ref_names[VLIFE_REF_KINDS] = {
	[VLIFE_REF_DRIVER] = "driver",
	[VLIFE_REF_V4L2] = "v4l2",
	[VLIFE_REF_MEDIA] = "media",
	[VLIFE_REF_FILE] = "files",
	[VLIFE_REF_SUBDEV] = "subdev",
	[VLIFE_REF_OTHER] = "other",
};

void vlife_debugfs_track(struct vlife_device *vl)
{
	spin_lock(&vlife_instances_lock);
	list_add_tail(&vl->entry, &vlife_instances);
	spin_unlock(&vlife_instances_lock);
}

void vlife_debugfs_forget(struct vlife_device *vl)
{
	spin_lock(&vlife_instances_lock);
	list_del(&vl->entry);
	spin_unlock(&vlife_instances_lock);
	wake_up_all(&vlife_instances_wq);
}

static bool vlife_owner_has_instances(struct module *owner)
{
	struct vlife_device *vl;
	bool found = false;

	spin_lock(&vlife_instances_lock);
	list_for_each_entry(vl, &vlife_instances, entry)
		found |= vl->owner == owner;
	spin_unlock(&vlife_instances_lock);
	return found;
}

/*
 * A driver module is being unloaded: its exit has unbound every device,
 * and userspace references pin the module, so what is left are releases
 * the kernel itself delays (a kobject release, for one).  They run the
 * driver's release code: wait for them before the module's memory goes.
 */
void vlife_module_going(struct module *owner)
{
	if (!wait_event_timeout(vlife_instances_wq,
				!vlife_owner_has_instances(owner), 60 * HZ))
		pr_err("vlife: %s unloaded with live devices\n", owner->name);
}

static int vlife_live_show(struct seq_file *s, void *unused)
{
	unsigned int n = 0;
	struct list_head *p;

	spin_lock(&vlife_instances_lock);
	list_for_each(p, &vlife_instances)
		n++;
	spin_unlock(&vlife_instances_lock);
	seq_printf(s, "%u\n", n);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vlife_live);

static int vlife_instances_show(struct seq_file *s, void *unused)
{
	struct vlife_device *vl;
	int k;

	spin_lock(&vlife_instances_lock);
	list_for_each_entry(vl, &vlife_instances, entry) {
		seq_printf(s, "%s refs=%u", vl->name, kref_read(&vl->ref));
		for (k = 0; k < VLIFE_REF_KINDS; k++)
			seq_printf(s, " %s=%d", vlife_ref_names[k],
				   atomic_read(&vl->refs[k]));
		seq_printf(s, " in_flight=%d unplugged=%d\n",
			   atomic_read(&vl->in_flight),
			   READ_ONCE(vl->unplugged));
	}
	spin_unlock(&vlife_instances_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vlife_instances);

/**
 * vlife_debugfs_root() - the core's debugfs directory
 *
 * Drivers may add their own files below it; they are removed with it at
 * the core's unload, after every driver is gone.
 *
 * Return: the "vlife" directory, or an error pointer if debugfs is off.
 */
struct dentry *vlife_debugfs_root(void)
{
	return vlife_debugfs;
}
EXPORT_SYMBOL_GPL(vlife_debugfs_root);

int vlife_debugfs_init(void)
{
	vlife_debugfs = debugfs_create_dir("vlife", NULL);
	debugfs_create_file("live", 0444, vlife_debugfs, NULL,
			    &vlife_live_fops);
	debugfs_create_file("instances", 0444, vlife_debugfs, NULL,
			    &vlife_instances_fops);
	return 0;
}

void vlife_debugfs_exit(void)
{
	debugfs_remove_recursive(vlife_debugfs);
}
