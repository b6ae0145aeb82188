// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the vlife core: reference counting, managed release and
 * the unplug gate, on a vlife device with no V4L2 node.
 *
 * The allocation-failure cases use the task's fail-nth fault injection, so
 * they need CONFIG_FAILSLAB and /sys/kernel/debug/failslab/ignore-gfp-wait
 * set to N (the selftests do it).
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/kthread.h>
#include <linux/platform_device.h>
#include <linux/sched.h>
#include <media/vlife.h>

#define VLIFE_KUNIT_ACTIONS	4

struct vlife_kunit_dev {
	int before;
	struct vlife_device vl;
	int after;
};

/* What the device recorded, kept outside it: it is freed on release. */
struct vlife_kunit_log {
	int order[VLIFE_KUNIT_ACTIONS + 1];
	int n;
	int releases;
};

struct vlife_kunit_ctx {
	struct platform_device *pdev;
	struct device *parent;
	struct vlife_kunit_dev *dev;
	struct vlife_kunit_log log;
};

struct vlife_kunit_action {
	struct vlife_kunit_log *log;
	int id;
};

static struct vlife_kunit_log *vlife_kunit_current_log;

static void vlife_kunit_release(struct vlife_device *vl)
{
	struct vlife_kunit_log *log = vlife_kunit_current_log;

	log->releases++;
	log->order[log->n++] = 0;
}

static const struct vlife_device_ops vlife_kunit_ops = {
	.release = vlife_kunit_release,
};

static void vlife_kunit_record(struct vlife_device *vl, void *data)
{
	struct vlife_kunit_action *a = data;

	a->log->order[a->log->n++] = a->id;
}

static int vlife_kunit_init(struct kunit *test)
{
	struct vlife_kunit_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	test->priv = ctx;
	/* A fresh name each time: DEBUG_KOBJECT_RELEASE delays the last. */
	ctx->pdev = platform_device_register_simple("vlife-kunit",
						    PLATFORM_DEVID_AUTO,
						    NULL, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->pdev));
	ctx->parent = &ctx->pdev->dev;
	vlife_kunit_current_log = &ctx->log;
	ctx->dev = vlife_dev_alloc(ctx->parent, &vlife_kunit_ops,
				   struct vlife_kunit_dev, vl);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ctx->dev));
	return 0;
}

/* Removing the parent drops the driver's reference (devres). */
static void vlife_kunit_unbind(struct vlife_kunit_ctx *ctx)
{
	if (ctx->parent) {
		platform_device_unregister(ctx->pdev);
		ctx->parent = NULL;
	}
}

static void vlife_kunit_exit(struct kunit *test)
{
	struct vlife_kunit_ctx *ctx = test->priv;

	if (ctx && !IS_ERR_OR_NULL(ctx->pdev))
		vlife_kunit_unbind(ctx);
}

static void vlife_kunit_alloc_embeds(struct kunit *test)
{
	struct vlife_kunit_ctx *ctx = test->priv;

	KUNIT_EXPECT_EQ(test, ctx->dev->before, 0);
	KUNIT_EXPECT_EQ(test, ctx->dev->after, 0);
	KUNIT_EXPECT_PTR_EQ(test, ctx->dev->vl.container, (void *)ctx->dev);
	KUNIT_EXPECT_EQ(test, kref_read(&ctx->dev->vl.ref), 1);
	KUNIT_EXPECT_STREQ(test, ctx->dev->vl.name, dev_name(ctx->parent));
}

static void vlife_kunit_release_lifo(struct kunit *test)
{
	struct vlife_kunit_ctx *ctx = test->priv;
	struct vlife_kunit_action a[VLIFE_KUNIT_ACTIONS];
	int i;

	for (i = 0; i < VLIFE_KUNIT_ACTIONS; i++) {
		a[i].log = &ctx->log;
		a[i].id = i + 1;
		KUNIT_ASSERT_EQ(test, vlifem_add_action(&ctx->dev->vl,
							vlife_kunit_record,
							&a[i]), 0);
	}
	vlife_kunit_unbind(ctx);
	/* The driver's release hook first, then the actions, last first. */
	KUNIT_ASSERT_EQ(test, ctx->log.n, VLIFE_KUNIT_ACTIONS + 1);
	KUNIT_EXPECT_EQ(test, ctx->log.order[0], 0);
	for (i = 0; i < VLIFE_KUNIT_ACTIONS; i++)
		KUNIT_EXPECT_EQ(test, ctx->log.order[i + 1],
				VLIFE_KUNIT_ACTIONS - i);
}

static void vlife_kunit_last_ref_releases_once(struct kunit *test)
{
	struct vlife_kunit_ctx *ctx = test->priv;
	struct vlife_device *vl = &ctx->dev->vl;

	vlife_dev_get(vl, VLIFE_REF_FILE);
	vlife_dev_get(vl, VLIFE_REF_OTHER);
	KUNIT_EXPECT_EQ(test, atomic_read(&vl->refs[VLIFE_REF_FILE]), 1);
	vlife_kunit_unbind(ctx);
	KUNIT_EXPECT_EQ(test, ctx->log.releases, 0);
	KUNIT_EXPECT_TRUE(test, vlife_dev_is_unplugged(vl));
	KUNIT_EXPECT_EQ(test, atomic_read(&vl->refs[VLIFE_REF_DRIVER]), 0);
	vlife_dev_put(vl, VLIFE_REF_OTHER);
	KUNIT_EXPECT_EQ(test, ctx->log.releases, 0);
	vlife_dev_put(vl, VLIFE_REF_FILE);
	KUNIT_EXPECT_EQ(test, ctx->log.releases, 1);
}

static void vlife_kunit_release_action_now(struct kunit *test)
{
	struct vlife_kunit_ctx *ctx = test->priv;
	struct vlife_kunit_action a = { .log = &ctx->log, .id = 7 };

	KUNIT_ASSERT_EQ(test, vlifem_add_action(&ctx->dev->vl,
						vlife_kunit_record, &a), 0);
	vlifem_release_action(&ctx->dev->vl, vlife_kunit_record, &a);
	KUNIT_EXPECT_EQ(test, ctx->log.n, 1);
	vlife_kunit_unbind(ctx);
	/* Not run a second time on release: only the release hook follows. */
	KUNIT_EXPECT_EQ(test, ctx->log.n, 2);
	KUNIT_EXPECT_EQ(test, ctx->log.order[1], 0);
}

static void vlife_kunit_managed_memory(struct kunit *test)
{
	struct vlife_kunit_ctx *ctx = test->priv;
	struct vlife_device *vl = &ctx->dev->vl;
	char *s;
	u32 *z;

	z = vlifem_kzalloc(vl, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, z);
	KUNIT_EXPECT_EQ(test, z[15], 0);
	s = vlifem_kstrdup(vl, "vlife", GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_STREQ(test, s, "vlife");
	vlifem_kfree(vl, s);
	KUNIT_EXPECT_NULL(test, vlifem_kcalloc(vl, SIZE_MAX / 2, 4,
					       GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, vlifem_kstrdup(vl, NULL, GFP_KERNEL));
}

/* Make the next slab allocation of this task fail (fail-nth). */
static void vlife_kunit_fail_next_alloc(void)
{
	WRITE_ONCE(current->fail_nth, 1);
}

static void vlife_kunit_or_reset_runs_on_failure(struct kunit *test)
{
	struct vlife_kunit_ctx *ctx = test->priv;
	struct vlife_kunit_action a = { .log = &ctx->log, .id = 3 };
	int ret;

	vlife_kunit_fail_next_alloc();
	ret = vlifem_add_action_or_reset(&ctx->dev->vl, vlife_kunit_record,
					 &a);
	WRITE_ONCE(current->fail_nth, 0);
	KUNIT_ASSERT_EQ_MSG(test, ret, -ENOMEM,
			    "no injected failure: failslab ignore-gfp-wait?");
	KUNIT_EXPECT_EQ(test, ctx->log.n, 1);
	KUNIT_EXPECT_EQ(test, ctx->log.order[0], 3);
	vlife_kunit_unbind(ctx);
	KUNIT_EXPECT_EQ(test, ctx->log.n, 2);
}

static void vlife_kunit_alloc_failure(struct kunit *test)
{
	struct vlife_kunit_ctx *ctx = test->priv;
	void *p;

	vlife_kunit_fail_next_alloc();
	p = vlifem_kzalloc(&ctx->dev->vl, 16, GFP_KERNEL);
	WRITE_ONCE(current->fail_nth, 0);
	KUNIT_EXPECT_NULL(test, p);

	vlife_kunit_fail_next_alloc();
	p = vlife_dev_alloc(ctx->parent, NULL, struct vlife_kunit_dev, vl);
	WRITE_ONCE(current->fail_nth, 0);
	KUNIT_EXPECT_PTR_EQ(test, p, ERR_PTR(-ENOMEM));
}

static void vlife_kunit_enter_after_unplug(struct kunit *test)
{
	struct vlife_kunit_ctx *ctx = test->priv;
	struct vlife_device *vl = &ctx->dev->vl;
	int idx;

	KUNIT_ASSERT_TRUE(test, vlife_dev_enter(vl, &idx));
	KUNIT_EXPECT_EQ(test, atomic_read(&vl->in_flight), 1);
	vlife_dev_exit(vl, idx);
	KUNIT_EXPECT_EQ(test, atomic_read(&vl->in_flight), 0);
	vlife_dev_unplug(vl);
	KUNIT_EXPECT_FALSE(test, vlife_dev_enter(vl, &idx));
	KUNIT_EXPECT_EQ(test, atomic_read(&vl->in_flight), 0);
	/* Idempotent: devres unplugs again at unbind. */
	vlife_dev_unplug(vl);
}

struct vlife_kunit_section {
	struct vlife_device *vl;
	struct completion inside;
	bool left;
};

static int vlife_kunit_section_thread(void *data)
{
	struct vlife_kunit_section *s = data;
	int idx;

	if (vlife_dev_enter(s->vl, &idx)) {
		complete(&s->inside);
		msleep(300);
		WRITE_ONCE(s->left, true);
		vlife_dev_exit(s->vl, idx);
	} else {
		complete(&s->inside);
	}
	return 0;
}

static void vlife_kunit_unplug_waits(struct kunit *test)
{
	struct vlife_kunit_ctx *ctx = test->priv;
	struct vlife_kunit_section s = { .vl = &ctx->dev->vl };
	struct task_struct *t;
	ktime_t start;
	s64 waited;

	init_completion(&s.inside);
	t = kthread_run(vlife_kunit_section_thread, &s, "vlife-kunit");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&s.inside);
	start = ktime_get();
	vlife_dev_unplug(&ctx->dev->vl);
	waited = ktime_ms_delta(ktime_get(), start);
	kunit_info(test, "unplug waited %lld ms for the section", waited);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(s.left));
	KUNIT_EXPECT_GE(test, waited, 100);
}

static struct kunit_case vlife_kunit_cases[] = {
	KUNIT_CASE(vlife_kunit_alloc_embeds),
	KUNIT_CASE(vlife_kunit_release_lifo),
	KUNIT_CASE(vlife_kunit_last_ref_releases_once),
	KUNIT_CASE(vlife_kunit_release_action_now),
	KUNIT_CASE(vlife_kunit_managed_memory),
	KUNIT_CASE(vlife_kunit_or_reset_runs_on_failure),
	KUNIT_CASE(vlife_kunit_alloc_failure),
	KUNIT_CASE(vlife_kunit_enter_after_unplug),
	KUNIT_CASE(vlife_kunit_unplug_waits),
	{}
};

static struct kunit_suite vlife_kunit_suite = {
	.name = "vlife-core",
	.init = vlife_kunit_init,
	.exit = vlife_kunit_exit,
	.test_cases = vlife_kunit_cases,
};

kunit_test_suite(vlife_kunit_suite);

MODULE_DESCRIPTION("KUnit tests for the vlife core");
MODULE_LICENSE("GPL");
