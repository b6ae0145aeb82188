// SPDX-License-Identifier: GPL-2.0
/*
 * vlife core module: load and unload.
 */

#include <linux/module.h>

#include "vlife-priv.h"

/* Called after a module's exit, before its memory is freed. */
static int vlife_module_notify(struct notifier_block *nb, unsigned long state,
			       void *data)
{
	if (state == MODULE_STATE_GOING)
		vlife_module_going(data);
	return NOTIFY_DONE;
}

static struct notifier_block vlife_module_nb = {
	.notifier_call = vlife_module_notify,
};

static int __init vlife_core_init(void)
{
	int ret = vlife_subdev_init();

	if (ret)
		return ret;
	ret = vlife_debugfs_init();
	if (ret)
		return ret;
	ret = register_module_notifier(&vlife_module_nb);
	if (ret)
		vlife_debugfs_exit();
	return ret;
}

static void __exit vlife_core_exit(void)
{
	unregister_module_notifier(&vlife_module_nb);
	vlife_debugfs_exit();
}

module_init(vlife_core_init);
module_exit(vlife_core_exit);

MODULE_DESCRIPTION("vlife managed-lifetime V4L2 core");
MODULE_LICENSE("GPL");
