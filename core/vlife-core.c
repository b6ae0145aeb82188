// SPDX-License-Identifier: GPL-2.0
/*
 * vlife core module: owns the "vlife" debugfs directory through which
 * tests read the core's state.
 */

#include <media/vlife.h>

#include <linux/debugfs.h>
#include <linux/module.h>

/*
 * DOC: vlife core module
 *
 * The core module owns one object of its own: the debugfs directory
 * "vlife", created at module load and removed, with everything below it,
 * at module unload.  Every other object the core manages belongs to a
 * driver instance and is freed on that instance's last reference.
 */

static struct dentry *vlife_debugfs;

struct dentry *vlife_debugfs_root(void)
{
	return vlife_debugfs;
}
EXPORT_SYMBOL_GPL(vlife_debugfs_root);

static int __init vlife_core_init(void)
{
	vlife_debugfs = debugfs_create_dir("vlife", NULL);
	return 0;
}

static void __exit vlife_core_exit(void)
{
	debugfs_remove_recursive(vlife_debugfs);
}

module_init(vlife_core_init);
module_exit(vlife_core_exit);

MODULE_DESCRIPTION("vlife managed-lifetime V4L2 core");
MODULE_LICENSE("GPL");
