// SPDX-License-Identifier: GPL-2.0
/*
 * unplug_test - the vlife unplug contract (DESIGN.md section 1) checked on
 * one V4L2 video node, whatever driver provides it: the kselftest front
 * end of the scenarios in userspace-tools/unplug-compliance/scenarios.c,
 * which vlife-unplug-compliance runs too (one implementation).
 *
 * The node is found by its sysfs name (a video node of index 0), the
 * device is unbound and rebound through its driver's sysfs files:
 *
 *   VLIFE_VIDEO_NAME        /sys/class/video4linux/videoN/name of the node
 *   VLIFE_DRIVER_DIR        e.g. /sys/bus/platform/drivers/vivid
 *   VLIFE_DEVICE            e.g. vivid.0
 *   VLIFE_UNBIND_MAX_MS     limit for one unbind (default 5000)
 *   VLIFE_FRAME_TIMEOUT_MS  wait for one frame (default 5000)
 *
 * Every test leaves the device bound and fails on a kernel report (BUG,
 * KASAN, WARNING, lockdep...) in /dev/kmsg during its run.  Every
 * blocking wait is bounded, so a driver that breaks the contract fails a
 * test instead of hanging it.  The harness runs each test in a child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "scenarios.h"

FIXTURE(unplug)
{
	struct uc_target t;
};

static int env_int(const char *var, int def)
{
	const char *s = getenv(var);

	return s && *s ? atoi(s) : def;
}

FIXTURE_SETUP(unplug)
{
	const char *name = getenv("VLIFE_VIDEO_NAME");
	const char *drv = getenv("VLIFE_DRIVER_DIR");
	const char *dev = getenv("VLIFE_DEVICE");
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&self->t, 0, sizeof(self->t));
	if (!name || !drv || !dev)
		SKIP(return,
		     "set VLIFE_VIDEO_NAME, VLIFE_DRIVER_DIR, VLIFE_DEVICE");
	ret = uc_target_by_name(&self->t, UC_VIDEO, name, drv, dev);
	ASSERT_EQ(0, ret) TH_LOG("%s/%s: %s", drv, dev, strerror(-ret));
	self->t.unbind_max_ms = env_int("VLIFE_UNBIND_MAX_MS", 5000);
	self->t.frame_ms = env_int("VLIFE_FRAME_TIMEOUT_MS", 5000);
	/* only the limit is asserted here: the target is a warning */
	self->t.unbind_warn_ms = self->t.unbind_max_ms;
	uc_target_defaults(&self->t);
	ret = uc_ensure_bound(&self->t);
	ASSERT_EQ(0, ret) TH_LOG("%s/%s not bound, no node %s: %s", drv,
				 dev, name, strerror(-ret));
	TH_LOG("%s: device %s, driver %s, module %s", self->t.path,
	       self->t.devname, self->t.driver, self->t.module);
}

FIXTURE_TEARDOWN(unplug)
{
}

/* A kernel report, as TAP diagnostics. */
static void print_report(const char *r)
{
	int n;

	fprintf(stderr, "# kernel log:\n");
	for (; *r; r += n + (r[n] == '\n')) {
		n = strcspn(r, "\n");
		fprintf(stderr, "#   %.*s\n", n, r);
	}
}

/* Run the scenario named as the test; its lines are printed as it goes. */
static void run(struct __test_metadata *_metadata, struct uc_target *t)
{
	const char *name = _metadata->name;
	const struct uc_scenario *s = uc_find_scenario(name);
	struct uc_ctx *c;
	int kmsg;

	if (!t->name[0])	/* skipped at set-up */
		return;
	c = calloc(1, sizeof(*c));
	kmsg = uc_kmsg_open();
	ASSERT_NE(NULL, s);
	ASSERT_NE(NULL, c);
	uc_ctx_init(c, t);
	c->echo = "# ";
	uc_run(s, c);
	if (uc_kmsg_scan(kmsg, c->report, sizeof(c->report))) {
		print_report(c->report);
		uc_set(c, UC_FAIL, "kernel report: %.*s",
		       (int)strcspn(c->report, "\n"), c->report);
	}
	if (kmsg >= 0)
		close(kmsg);
	if (c->result == UC_NOTSUP)
		SKIP(return, "%s", c->reason);
	EXPECT_NE(UC_FAIL, c->result) TH_LOG("%s: %s", name, c->reason);
	free(c);
}

/* One test per scenario, named after it, in the tool's order. */
TEST_F_TIMEOUT(unplug, s1_unbind_idle_rebind, 90)
{
	run(_metadata, &self->t);
}

TEST_F_TIMEOUT(unplug, s2_idle_fd_enodev, 90)
{
	run(_metadata, &self->t);
}

TEST_F_TIMEOUT(unplug, s3_streaming_mmap_enodev, 90)
{
	run(_metadata, &self->t);
}

TEST_F_TIMEOUT(unplug, s3_streaming_userptr_enodev, 90)
{
	run(_metadata, &self->t);
}

TEST_F_TIMEOUT(unplug, s4_blocked_dqbuf, 90)
{
	run(_metadata, &self->t);
}

TEST_F_TIMEOUT(unplug, s4_blocked_poll, 90)
{
	run(_metadata, &self->t);
}

TEST_F_TIMEOUT(unplug, s4_blocked_read, 90)
{
	run(_metadata, &self->t);
}

TEST_F_TIMEOUT(unplug, s4_blocked_dqevent, 90)
{
	run(_metadata, &self->t);
}

TEST_F_TIMEOUT(unplug, s5_mmap_touch_after_unbind, 90)
{
	run(_metadata, &self->t);
}

TEST_F_TIMEOUT(unplug, s6_dmabuf_after_unbind, 90)
{
	run(_metadata, &self->t);
}

TEST_F_TIMEOUT(unplug, s7_rebind_with_old_fd, 90)
{
	run(_metadata, &self->t);
}

TEST_F_TIMEOUT(unplug, s8_unbind_latency_1fd, 90)
{
	run(_metadata, &self->t);
}

TEST_F_TIMEOUT(unplug, s8_unbind_latency_16fd, 90)
{
	run(_metadata, &self->t);
}

TEST_F_TIMEOUT(unplug, s9_rmmod_while_open, 90)
{
	run(_metadata, &self->t);
}

TEST_HARNESS_MAIN
