// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-canary: a deliberately buggy module that proves the test pipeline
 * sees kernel reports.  Loading it with bugs=warn,uaf,leak makes the
 * kernel print a WARNING, a KASAN use-after-free report and, after a
 * kmemleak scan, an "unreferenced object"; lockdep and refcount add a
 * lock-order inversion and a refcount underflow.  The test command must
 * then fail.  Never load it outside a test VM.
 */

#include <linux/bug.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *bugs = "";
module_param(bugs, charp, 0444);
MODULE_PARM_DESC(bugs, "comma-separated bugs to commit: warn,uaf,leak,lockdep,refcount");

static void vlife_canary_uaf(void)
{
	char *p = kmalloc(32, GFP_KERNEL);

	if (!p)
		return;
	kfree(p);
	/* Hidden from the compiler, so the bad write is not optimised out. */
	OPTIMIZER_HIDE_VAR(p);
	WRITE_ONCE(*p, 1);
}

static noinline void vlife_canary_leak(void)
{
	/* Only the pointer is lost: the object stays allocated forever. */
	void *p = kmalloc(64, GFP_KERNEL);

	OPTIMIZER_HIDE_VAR(p);
}

/*
 * Overwrite the stack below the caller: the allocator's frames left the
 * leaked pointer there, and kmemleak scans stacks (also the cached stack
 * of an exited task), so it would find it and report nothing.
 */
static noinline void vlife_canary_scrub_stack(int depth)
{
	char buf[512];

	memzero_explicit(buf, sizeof(buf));
	if (depth > 0)
		vlife_canary_scrub_stack(depth - 1);
	OPTIMIZER_HIDE_VAR(depth);
}

/*
 * Eight objects, each lost on its own: kmemleak must report at least one.
 * A single one can be missed: its pointer may outlive the scrub in a
 * place kmemleak scans (an interrupt's saved registers, say).
 */
#define VLIFE_CANARY_LEAKS 8

static void vlife_canary_leak_unreachable(void)
{
	int i;

	for (i = 0; i < VLIFE_CANARY_LEAKS; i++) {
		vlife_canary_leak();
		vlife_canary_scrub_stack(16);
	}
	pr_info("vlife-canary: leaked %d objects of 64 bytes\n",
		VLIFE_CANARY_LEAKS);
}

static DEFINE_MUTEX(vlife_canary_a);
static DEFINE_MUTEX(vlife_canary_b);

/* A then B, later B then A: lockdep reports the inversion, no deadlock. */
static void vlife_canary_lock_inversion(void)
{
	mutex_lock(&vlife_canary_a);
	mutex_lock(&vlife_canary_b);
	mutex_unlock(&vlife_canary_b);
	mutex_unlock(&vlife_canary_a);

	mutex_lock(&vlife_canary_b);
	mutex_lock(&vlife_canary_a);
	mutex_unlock(&vlife_canary_a);
	mutex_unlock(&vlife_canary_b);
}

static void vlife_canary_refcount_underflow(void)
{
	refcount_t ref = REFCOUNT_INIT(1);

	/* 1 -> 0 is fine, the second decrement underflows. */
	if (refcount_dec_and_test(&ref) && refcount_dec_and_test(&ref))
		pr_info("vlife-canary: refcount went below zero\n");
}

static int __init vlife_canary_init(void)
{
	char *list = kstrdup(bugs, GFP_KERNEL);
	char *cur = list, *bug;

	if (!list)
		return -ENOMEM;
	while ((bug = strsep(&cur, ",")) != NULL) {
		if (!strcmp(bug, "warn"))
			WARN(1, "vlife-canary: deliberate warning\n");
		else if (!strcmp(bug, "uaf"))
			vlife_canary_uaf();
		else if (!strcmp(bug, "leak"))
			vlife_canary_leak_unreachable();
		else if (!strcmp(bug, "lockdep"))
			vlife_canary_lock_inversion();
		else if (!strcmp(bug, "refcount"))
			vlife_canary_refcount_underflow();
	}
	kfree(list);
	return 0;
}

static void __exit vlife_canary_exit(void)
{
}

module_init(vlife_canary_init);
module_exit(vlife_canary_exit);

MODULE_DESCRIPTION("vlife test pipeline canary: deliberate kernel bugs");
MODULE_LICENSE("GPL");
