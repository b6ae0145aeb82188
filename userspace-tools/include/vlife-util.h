/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vlife-util.h - the small helpers every vlife userspace program shares:
 * the monotonic clock, an ioctl() that returns the errno, sysfs files
 * (read a line, write a string, bind and unbind a device), video4linux
 * and media nodes found by their sysfs names, a module's reference count
 * and a page-by-page touch of a mapping that survives SIGBUS.
 *
 * libc and the kernel's UAPI headers only; every helper is static inline,
 * so a program includes this file and links nothing more.  Used by the
 * kselftests (selftests/lib/vlife_test.h, selftests/stress/stress.h,
 * selftests/core), vlife-unplug-compliance, vlife-capture and the
 * benchmarks; their Makefiles put userspace-tools/include on the include
 * path.  Define _GNU_SOURCE (or not) before including it, as the program
 * needs: nothing here depends on it.
 *
 * Conventions: a function that can fail returns 0 or a negative errno,
 * except xioctl(), which returns 0 or the (positive) errno as V4L2 code
 * compares it with EINVAL, ENODEV...  A device is named by its driver's
 * sysfs directory @drv (for example /sys/bus/platform/drivers/vivid) and
 * its name there @dev (vivid.0).
 */
#ifndef VLIFE_UTIL_H
#define VLIFE_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/**
 * now_ms() - CLOCK_MONOTONIC in milliseconds
 *
 * Return: the time, with sub-microsecond resolution in the fraction (a
 * double keeps nanoseconds for days of uptime): now_ms() * 1e6 is
 * nanoseconds.
 */
static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/**
 * sleep_ms() - sleep
 * @ms: how long, in milliseconds
 */
static inline void sleep_ms(int ms)
{
	usleep(ms * 1000);
}

/**
 * xioctl() - ioctl(), made again while a signal interrupts it
 * @fd: the file
 * @req: the request
 * @arg: its argument
 *
 * For the calls a program makes to get somewhere (set-up, streaming), not
 * for the calls a test checks: those use ioctl() itself, to see EINTR too.
 *
 * Return: 0, or the errno of the failed call (positive); errno is left set.
 */
static inline int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? errno : 0;
}

/**
 * read_line() - the first line of a file, without its newline
 * @path: the file (a sysfs attribute)
 * @buf: where it goes
 * @size: the size of @buf; a longer line is cut
 *
 * Return: 0, or -errno (-EIO for an empty file).
 */
static inline int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, size, f))
		ret = -EIO;
	else
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
	return ret;
}

/**
 * write_str() - write a string to a file in one write()
 * @path: the file (a sysfs attribute: bind, unbind, a parameter)
 * @s: what to write, without a newline
 *
 * A sysfs store's error (EBUSY, ENODEV...) is what the write returns.
 *
 * Return: 0, or -errno.
 */
static inline int write_str(const char *path, const char *s)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/**
 * dev_bound() - whether a device is bound to a driver
 * @drv: the driver's sysfs directory
 * @dev: the device's name
 *
 * Return: true if @drv/@dev exists.
 */
static inline bool dev_bound(const char *drv, const char *dev)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", drv, dev);
	return access(p, F_OK) == 0;
}

/**
 * drv_write() - write a device's name to one of its driver's files
 * @drv: the driver's sysfs directory
 * @dev: the device's name
 * @file: "bind" or "unbind"; the write returns once probe or remove ran
 *
 * Return: 0, or -errno.
 */
static inline int drv_write(const char *drv, const char *dev,
			    const char *file)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", drv, file);
	return write_str(p, dev);
}

/**
 * find_node() - the /dev node of a sysfs device entry that matches
 * @dir: a sysfs directory of device entries (/sys/class/video4linux)
 * @prefix: the entries looked at: those whose name starts with it
 * @match: whether the entry @name of @dir is the one sought, given @arg
 * @arg: passed to @match
 * @path: where /dev/@name goes
 * @size: the size of @path
 *
 * Return: 0 if an entry matched and its /dev node exists, else -ENOENT.
 */
static inline int find_node(const char *dir, const char *prefix,
			    bool (*match)(const char *dir, const char *name,
					  const void *arg),
			    const void *arg, char *path, size_t size)
{
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -ENOENT;
	while (ret && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) ||
		    !match(dir, de->d_name, arg))
			continue;
		snprintf(path, size, "/dev/%s", de->d_name);
		ret = access(path, F_OK) ? -ENOENT : 0;
	}
	closedir(d);
	return ret;
}

/* A sysfs attribute and the value find_node() looks for in it. */
struct attr_value {
	const char *attr;
	const char *value;
};

/* find_node()'s match: @dir/@name/@arg->attr reads @arg->value. */
static inline bool attr_is(const char *dir, const char *name, const void *arg)
{
	const struct attr_value *av = arg;
	char p[PATH_MAX], s[256];

	snprintf(p, sizeof(p), "%s/%s/%s", dir, name, av->attr);
	return !read_line(p, s, sizeof(s)) && !strcmp(s, av->value);
}

/**
 * find_v4l() - a video4linux node by the name its driver gave it
 * @prefix: the kind: "video", "v4l-subdev"
 * @name: its sysfs name (/sys/class/video4linux/X/name)
 * @path: where its /dev path goes
 * @size: the size of @path
 *
 * Return: 0 if it exists in /dev, else -ENOENT.
 */
static inline int find_v4l(const char *prefix, const char *name, char *path,
			   size_t size)
{
	const struct attr_value av = { "name", name };

	return find_node("/sys/class/video4linux", prefix, attr_is, &av, path,
			 size);
}

/**
 * find_media() - a media device by its model
 * @model: the model (MEDIA_IOC_DEVICE_INFO's, also in sysfs)
 * @path: where its /dev path goes
 * @size: the size of @path
 *
 * Return: 0 if it exists in /dev, else -ENOENT.
 */
static inline int find_media(const char *model, char *path, size_t size)
{
	const struct attr_value av = { "model", model };

	return find_node("/sys/bus/media/devices", "media", attr_is, &av, path,
			 size);
}

/**
 * module_refcnt() - a loaded module's reference count
 * @mod: its name, with underscores (vlife_testdrv)
 *
 * Return: /sys/module/@mod/refcnt, or -1 if it cannot be read.
 */
static inline int module_refcnt(const char *mod)
{
	char p[PATH_MAX], s[32];

	snprintf(p, sizeof(p), "/sys/module/%s/refcnt", mod);
	return read_line(p, s, sizeof(s)) ? -1 : atoi(s);
}

/* touch_pages()'s way out of a faulting access, and where it was. */
static sigjmp_buf touch_env;
static size_t touch_off;

static inline void touch_handler(int sig)
{
	siglongjmp(touch_env, sig);
}

/**
 * touch_pages() - read, and write, each page of a mapping
 * @p: the mapping
 * @len: its length
 * @wr: write each page too (its first byte, changed)
 * @off: set to the offset reached: of the fault if there was one
 *
 * A SIGBUS or SIGSEGV is caught (the handlers in place before are put
 * back after), so a test can say that a mapping faulted, and where,
 * instead of dying.  One thread at a time.
 *
 * Return: 0, or the signal the access raised.
 */
static inline int touch_pages(unsigned char *p, size_t len, bool wr,
			      size_t *off)
{
	struct sigaction sa = { .sa_handler = touch_handler };
	struct sigaction obus, osegv;
	size_t pg = sysconf(_SC_PAGESIZE), i;
	unsigned char v;
	int sig;

	__atomic_store_n(&touch_off, 0, __ATOMIC_SEQ_CST);
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	sig = sigsetjmp(touch_env, 1);
	if (!sig) {
		for (i = 0; i < len; i += pg) {
			__atomic_store_n(&touch_off, i, __ATOMIC_SEQ_CST);
			v = __atomic_load_n(p + i, __ATOMIC_SEQ_CST);
			if (wr)
				__atomic_store_n(p + i, v ^ 0x5a,
						 __ATOMIC_SEQ_CST);
		}
	}
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	*off = __atomic_load_n(&touch_off, __ATOMIC_SEQ_CST);
	return sig;
}

#endif /* VLIFE_UTIL_H */
