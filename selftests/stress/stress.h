/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stress.h - what the race stress test and the ioctl fuzzer share: the
 * device under test (its nodes, found by name, and the ways to pull it
 * out and put it back), a seeded random generator, the errno check and
 * the unbind/rebind cycle.  The clock, sysfs and node lookup helpers are
 * userspace-tools/include/vlife-util.h's.
 *
 * A target is given on the command line:
 *
 *   --label NAME           name in the output (the driver)
 *   --video NAME           a video node, by its sysfs name
 *   --subdev NAME          a subdev node, by its sysfs name (repeatable)
 *   --media MODEL          a media device, by its model
 *   --unbind DRVDIR:DEV    pull out by a sysfs unbind of DEV from the
 *                          driver DRVDIR, put back by a bind (repeatable:
 *                          each cycle picks one at random)
 *   --unplug CMD --replug CMD   or by running these shell commands
 *   --weight N             how often the way just given is picked,
 *                          against the others' (default 1 each): a slow
 *                          way (a USB unplug) can be made rarer
 *   --seed N               or VLIFE_SEED=N: replay a run
 *
 * Every wait is bounded; a node missing after a put-back is waited for
 * NODE_WAIT_MS (VLIFE_NODE_WAIT_MS).
 */
#ifndef VLIFE_STRESS_H
#define VLIFE_STRESS_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kselftest.h"
#include "vlife-util.h"

#define ST_MAX_NODES	8
#define ST_MAX_PULLS	4
#define ST_NAME		256

/* The kind of a node: what can be asked of it. */
enum st_kind { ST_VIDEO, ST_SUBDEV, ST_MEDIA };

/* A node of the target, by the name sysfs gives it. */
struct st_node {
	enum st_kind kind;
	char name[ST_NAME];
};

/* One way to pull the device out and put it back. */
struct st_pull {
	char drv[PATH_MAX];	/* sysfs driver directory, or "" */
	char dev[ST_NAME];	/* the device's name there */
	const char *unplug;	/* or shell commands */
	const char *replug;
	unsigned int weight;	/* picked weight times in (sum of weights) */
};

/* The device under test. */
struct st_target {
	const char *label;
	struct st_node node[ST_MAX_NODES];
	int nodes;
	struct st_pull pull[ST_MAX_PULLS];
	int pulls;
	unsigned long long seed;
	int node_wait_ms;
};

/* xorshift64*: small, fast, and the same sequence for the same seed. */
static inline unsigned long long st_rand(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* A random number below @n (n > 0). */
static inline unsigned int st_below(unsigned long long *s, unsigned int n)
{
	return (st_rand(s) >> 32) % n;
}

/* The generator of stream @i of a run seeded with @seed: never zero. */
static inline unsigned long long st_stream(unsigned long long seed,
					   unsigned int i)
{
	unsigned long long s = seed * 0x9e3779b97f4a7c15ULL +
			       i * 0xbf58476d1ce4e5b9ULL;

	return s ? s : 1;
}

/* The highest errno userspace may see (EHWPOISON), and the count. */
#define ST_ERRNOS	134

/*
 * Whether @err is an errno an ioctl may give userspace: a small positive
 * number, never one of the kernel's internal codes (ERESTARTSYS 512 and
 * up: ENOIOCTLCMD, EPROBE_DEFER...), never "no such system call" (38).
 */
static inline bool st_errno_valid(int err)
{
	return err > 0 && err < ST_ERRNOS && err != 38;
}

/*
 * " EINVAL=3 ENODEV=1..." for the nonzero counts @c[errno] into @buf, or
 * "" if there are none.
 */
static inline void st_errno_counts(char *buf, size_t size,
				   const unsigned long *c)
{
	size_t n = 0;
	int i;

	buf[0] = 0;
	for (i = 1; i < ST_ERRNOS && n < size; i++)
		if (c[i])
			n += snprintf(buf + n, size - n, " %s=%lu",
				      strerrorname_np(i), c[i]);
}

/* The /dev path of node @n now: 0 or -ENOENT. */
static inline int st_node_path(const struct st_node *n, char *path,
			       size_t size)
{
	switch (n->kind) {
	case ST_VIDEO:
		return find_v4l("video", n->name, path, size);
	case ST_SUBDEV:
		return find_v4l("v4l-subdev", n->name, path, size);
	default:
		return find_media(n->name, path, size);
	}
}

/* Open node @n (O_RDWR | @flags): the fd, or -errno. */
static inline int st_open(const struct st_node *n, int flags)
{
	char path[PATH_MAX];
	int fd, ret;

	ret = st_node_path(n, path, sizeof(path));
	if (ret)
		return ret;
	fd = open(path, O_RDWR | flags);
	return fd < 0 ? -errno : fd;
}

/* Whether every node of @t is there; waits up to @ms for them. */
static inline bool st_wait_nodes(const struct st_target *t, int ms)
{
	double end = now_ms() + ms;
	char path[PATH_MAX];
	int i;

	for (;;) {
		for (i = 0; i < t->nodes; i++)
			if (st_node_path(&t->node[i], path, sizeof(path)))
				break;
		if (i == t->nodes)
			return true;
		if (now_ms() > end)
			return false;
		sleep_ms(20);
	}
}

/* The way to pull out for the random number @r, by the ways' weights. */
static inline int st_pick_pull(const struct st_target *t, unsigned int r)
{
	unsigned int total = 0;
	int i;

	for (i = 0; i < t->pulls; i++)
		total += t->pull[i].weight;
	r %= total;
	for (i = 0; r >= t->pull[i].weight; i++)
		r -= t->pull[i].weight;
	return i;
}

/* Pull the device out by way @p: 0 or -errno, with what failed in @why. */
static inline int st_pull_out(const struct st_pull *p, char *why, size_t n)
{
	int ret;

	if (p->unplug) {
		ret = system(p->unplug);
		snprintf(why, n, "'%s' exit %d", p->unplug, ret);
		return ret ? -EIO : 0;
	}
	ret = drv_write(p->drv, p->dev, "unbind");
	snprintf(why, n, "unbind %s: %s", p->dev, strerror(-ret));
	return ret;
}

/* Put it back: 0 or -errno, with what failed in @why. */
static inline int st_put_back(const struct st_pull *p, char *why, size_t n)
{
	int ret;

	if (p->replug) {
		ret = system(p->replug);
		snprintf(why, n, "'%s' exit %d", p->replug, ret);
		return ret ? -EIO : 0;
	}
	ret = drv_write(p->drv, p->dev, "bind");
	snprintf(why, n, "bind %s: %s", p->dev, strerror(-ret));
	return ret;
}

/*
 * Parse the target option @opt with its argument @arg into @t: 1 if it was
 * one (both used), 0 if not, -1 if it is malformed.
 */
static inline int st_parse(struct st_target *t, const char *opt,
			   const char *arg)
{
	struct st_pull *p = &t->pull[t->pulls];
	const char *colon;

	if (!arg)
		return 0;
	if (!strcmp(opt, "--label")) {
		t->label = arg;
	} else if (!strcmp(opt, "--video") || !strcmp(opt, "--subdev") ||
		   !strcmp(opt, "--media")) {
		if (t->nodes == ST_MAX_NODES)
			return -1;
		t->node[t->nodes].kind = opt[2] == 'v' ? ST_VIDEO :
					 opt[2] == 's' ? ST_SUBDEV : ST_MEDIA;
		snprintf(t->node[t->nodes++].name, ST_NAME, "%s", arg);
	} else if (!strcmp(opt, "--unbind")) {
		colon = strrchr(arg, ':');
		/* a USB interface's name has colons: split at the last "/" */
		colon = strrchr(arg, '/') ? strchr(strrchr(arg, '/'), ':') :
					    colon;
		if (!colon || t->pulls == ST_MAX_PULLS)
			return -1;
		snprintf(p->drv, sizeof(p->drv), "%.*s", (int)(colon - arg),
			 arg);
		snprintf(p->dev, sizeof(p->dev), "%s", colon + 1);
		p->weight = 1;
		t->pulls++;
	} else if (!strcmp(opt, "--unplug")) {
		if (t->pulls == ST_MAX_PULLS)
			return -1;
		p->unplug = arg;
	} else if (!strcmp(opt, "--replug")) {
		if (!p->unplug)
			return -1;
		p->replug = arg;
		p->weight = 1;
		t->pulls++;
	} else if (!strcmp(opt, "--weight")) {
		if (!t->pulls || atoi(arg) < 1)
			return -1;
		t->pull[t->pulls - 1].weight = atoi(arg);
	} else if (!strcmp(opt, "--seed")) {
		t->seed = strtoull(arg, NULL, 0);
	} else {
		return 0;
	}
	return 1;
}

/* Defaults before parsing: a seed from VLIFE_SEED, or from the clock. */
static inline void st_init(struct st_target *t)
{
	const char *s = getenv("VLIFE_SEED");
	const char *w = getenv("VLIFE_NODE_WAIT_MS");

	memset(t, 0, sizeof(*t));
	t->label = "device";
	t->seed = s && *s ? strtoull(s, NULL, 0) :
		  (unsigned long long)time(NULL) ^
		  ((unsigned long long)getpid() << 32);
	t->node_wait_ms = w && *w ? atoi(w) : 20000;
}

#endif /* VLIFE_STRESS_H */
