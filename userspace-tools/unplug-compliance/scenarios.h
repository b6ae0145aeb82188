/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unplug contract (DESIGN.md section 1) as a library of scenarios, run
 * on one video, media or subdev node of any driver.
 *
 * One implementation, two front ends: vlife-unplug-compliance (main.c,
 * a watchdog process per scenario, v4l2-compliance style output, JSON)
 * and the kselftest selftests/contract/unplug_test.c (one TEST_F per
 * scenario).  Only libc and the kernel UAPI headers are used.
 *
 * A scenario runs in the calling process, leaves the device bound and
 * closes everything it opened (uc_run()); but when a thread it blocked is
 * never woken, the device is left for the caller to bind once the
 * process has ended (its file, held by the thread, may prevent it).
 * Every wait is bounded, but a call the kernel never returns from cannot
 * be: run scenarios in a child process (as both front ends do) so that a
 * bad driver costs one scenario, not the run.
 */
#ifndef UC_SCENARIOS_H
#define UC_SCENARIOS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define UC_MAX_CALLS	48
#define UC_LOG_SIZE	12288
#define UC_REPORT_SIZE	4096

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
/* the kernel's __printf(); format spelt through a macro for checkpatch */
#define UC_FORMAT	format
#define __printf(a, b)	__attribute__((UC_FORMAT(printf, a, b)))

/* The kind of device node under test. */
enum uc_kind {
	UC_VIDEO = 1,
	UC_MEDIA = 2,
	UC_SUBDEV = 4,
};

/* A scenario's outcome, in v4l2-compliance's words. */
enum uc_result {
	UC_OK,
	UC_NOTSUP,	/* "OK (Not Supported)" */
	UC_WARN,
	UC_FAIL,
};

/**
 * struct uc_target - the node under test and how to unplug its device
 * @kind: video, media or subdev node
 * @path: /dev node at the start (it may change after a rebind)
 * @node: its sysfs name: videoN, v4l-subdevN, mediaN
 * @name: /sys/class/video4linux/NODE/name, or the media device's model
 * @index: the video node's index (a driver may give several nodes a name)
 * @devpath: sysfs path of the node's device (realpath)
 * @devname: its name on its bus, written to the driver's bind and unbind
 * @drvdir: its driver's directory, /sys/bus/BUS/drivers/DRIVER
 * @driver: the driver's name
 * @module: the driver's module, "" if it is built in
 * @unplug_cmd: shell command that unplugs the device, or NULL for unbind
 * @replug_cmd: shell command that plugs it back, or NULL for bind
 * @setup_cmd: shell command run after each bind (media-ctl), or NULL
 * @unbind_max_ms: an unbind (or unplug) slower than this fails
 * @unbind_warn_ms: slower than this warns (DESIGN.md: < 1 s under TCG)
 * @frame_ms: bound on the wait for one frame
 * @wake_max_ms: a blocked waiter must be woken this soon after unbind
 * @node_wait_ms: bound on the wait for the node after a bind
 * @jitter_ms: up to this long a random pause before each unbind
 * @seed: state of the random generator behind @jitter_ms
 * @gone: set when the module was unloaded: nothing more can run
 */
struct uc_target {
	enum uc_kind kind;
	char path[PATH_MAX];
	char node[256];
	char name[256];
	int index;
	char devpath[PATH_MAX];
	char devname[256];
	char drvdir[PATH_MAX];
	char driver[128];
	char module[128];
	const char *unplug_cmd;
	const char *replug_cmd;
	const char *setup_cmd;
	int unbind_max_ms;
	int unbind_warn_ms;
	int frame_ms;
	int wake_max_ms;
	int node_wait_ms;
	int jitter_ms;
	unsigned int seed;
	bool gone;
};

/**
 * struct uc_call - one call made after the unbind, and its answer
 * @what: the call, e.g. "VIDIOC_QUERYCAP" or "poll()"
 * @ret: its return value
 * @err: errno, 0 if it succeeded
 */
struct uc_call {
	char what[48];
	long ret;
	int err;
};

/**
 * struct uc_ctx - one scenario run: what it measured and its verdict
 * @t: the target (copied: the context may live in memory shared with a
 *     watchdog process)
 * @result: the verdict so far; only ever gets worse
 * @reason: the first failure or warning, one line
 * @unbind_ms: the last unbind's latency, -1 if none
 * @rebind_ms: the last rebind's latency (until the node is back), or -1
 * @wake_ms: a blocked waiter's wake-up after the unbind began, or -1
 * @ncalls: entries in @calls
 * @calls: the calls made after the unbind
 * @log: the scenario's own lines, for the report
 * @log_len: bytes used in @log
 * @report: kernel log lines (BUG, KASAN, WARNING...) seen during the run
 * @echo: print each log line to stderr as well, with this prefix
 */
struct uc_ctx {
	struct uc_target t;
	enum uc_result result;
	char reason[256];
	double unbind_ms;
	double rebind_ms;
	double wake_ms;
	int ncalls;
	struct uc_call calls[UC_MAX_CALLS];
	char log[UC_LOG_SIZE];
	size_t log_len;
	char report[UC_REPORT_SIZE];
	const char *echo;
};

/**
 * struct uc_scenario - one contract scenario
 * @name: short name, also the kselftest test's name
 * @title: one line for the report
 * @kinds: the node kinds it applies to (enum uc_kind bits)
 * @rule: the contract row it checks and the kernel rule behind it
 * @run: the scenario; it may return early on a failed precondition
 */
struct uc_scenario {
	const char *name;
	const char *title;
	unsigned int kinds;
	const char *rule;
	void (*run)(struct uc_ctx *c);
};

extern const struct uc_scenario uc_scenarios[];
extern const unsigned int uc_nscenarios;

int uc_target_init(struct uc_target *t, enum uc_kind kind, const char *path,
		   char *err, size_t size);
int uc_target_by_name(struct uc_target *t, enum uc_kind kind,
		      const char *name, const char *drvdir,
		      const char *devname);
void uc_target_defaults(struct uc_target *t);
int uc_find_node(struct uc_target *t);
int uc_ensure_bound(struct uc_target *t);
const struct uc_scenario *uc_find_scenario(const char *name);
void uc_ctx_init(struct uc_ctx *c, const struct uc_target *t);
void uc_run(const struct uc_scenario *s, struct uc_ctx *c);
__printf(2, 3) void uc_log(struct uc_ctx *c, const char *fmt, ...);
__printf(3, 4)
void uc_set(struct uc_ctx *c, enum uc_result r, const char *fmt, ...);
const char *uc_result_name(enum uc_result r);
const char *uc_kind_name(enum uc_kind k);
const char *uc_errname(int err);

int uc_kmsg_open(void);
size_t uc_kmsg_scan(int fd, char *out, size_t size);

#endif /* UC_SCENARIOS_H */
