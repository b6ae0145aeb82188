// SPDX-License-Identifier: GPL-2.0
/*
 * vlife core module: load and unload.
 */

#include <linux/module.h>

#include "vlife-priv.h"

static int __init vlife_core_init(void)
{
	return vlife_debugfs_init();
}

static void __exit vlife_core_exit(void)
{
	vlife_debugfs_exit();
}

module_init(vlife_core_init);
module_exit(vlife_core_exit);

MODULE_DESCRIPTION("vlife managed-lifetime V4L2 core");
MODULE_LICENSE("GPL");
