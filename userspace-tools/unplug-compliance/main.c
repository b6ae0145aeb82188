// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-unplug-compliance - checks a V4L2 video, media or subdev node of
 * any driver against the unplug contract (DESIGN.md section 1), in the
 * style of v4l2-compliance.  The scenarios are in scenarios.c; this file
 * is the front end: options, one watchdog child process per scenario,
 * the kernel log scan between scenarios, the report and the JSON file.
 *
 * The parent process never touches the device: a scenario, and the bind
 * that restores the device after it, run in a child that is killed when
 * its time is up.  A child the kernel does not let die (stuck in an
 * uninterruptible call) ends the run: the remaining scenarios are
 * reported as not run, and the tool still exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenarios.h"
#include "vlife-util.h"

#define PROG "vlife-unplug-compliance"

/* Options and the run's state. */
static struct {
	struct uc_target t;
	const char *json;
	const char *only[64];
	int nonly;
	int timeout_s;
	unsigned int seed;
	bool verbose;
	bool list;
} opt = {
	.timeout_s = 60,
};

static const char help[] =
"NAME\n"
"    " PROG " - check a V4L2 node against the unplug contract\n"
"\n"
"SYNOPSIS\n"
"    " PROG " (-d /dev/videoN | -m /dev/mediaN | -u /dev/v4l-subdevN)\n"
"        [--unplug CMD --replug CMD] [--setup CMD] [--json FILE]\n"
"        [--seed N] [-s SCENARIO]... [--timeout S] [-v] [--list]\n"
"\n"
"DESCRIPTION\n"
"    Unbinds the node's device from its driver (or runs an unplug\n"
"    command) with the node idle, open, streaming, with threads blocked\n"
"    in it, with buffers mapped and exported, with old files held across\n"
"    a rebind, and tries to unload the driver while the node is open.\n"
"    After each unbind it checks what the contract demands of every call\n"
"    (see docs/unplug-compliance.rst): ioctls fail with ENODEV (EIO on a\n"
"    media node), poll() returns POLLERR|POLLHUP at once, blocked calls\n"
"    are woken at once with ENODEV, mappings and DMABUFs stay valid\n"
"    memory, close() works, the old node cannot be opened, a rebind\n"
"    gives a working node, unbind returns in bounded time and rmmod is\n"
"    refused (or is clean).  The kernel log (/dev/kmsg) is read after\n"
"    each scenario: a BUG, KASAN, KFENCE, WARNING, lockdep, refcount,\n"
"    UBSAN, ODEBUG, list corruption, hung task or Oops report fails the\n"
"    scenario that produced it.\n"
"\n"
"    Each scenario runs in a child process under a watchdog; the device\n"
"    is bound again after each.  Must run as root.  The driver is left\n"
"    loaded and bound (unless it let itself be unloaded while open).\n"
"\n"
"OPTIONS\n"
"    -d, --device DEV      a video node\n"
"    -m, --media DEV       a media node (its device: the parent of\n"
"                          /sys/bus/media/devices/mediaN)\n"
"    -u, --subdev DEV      a subdev node\n"
"    --unplug CMD          unplug with this shell command instead of the\n"
"                          driver's sysfs unbind (USB emulation, a hub\n"
"                          port); the unbind time lasts until the node\n"
"                          is gone\n"
"    --replug CMD          plug back in with this command instead of bind\n"
"    --setup CMD           run after every bind, e.g. a media-ctl\n"
"                          pipeline set-up the node needs to stream\n"
"    --json FILE           write the results as JSON\n"
"    --seed N              shuffle the scenarios (rmmod stays last) and\n"
"                          pause a random 0-99 ms before each unbind,\n"
"                          from seed N; 0 (default): listed order\n"
"    -s, --scenario NAME   run only this scenario (repeatable)\n"
"    --timeout S           watchdog per scenario, seconds (default 60)\n"
"    --frame-timeout MS    wait for one frame (default 5000)\n"
"    --wake-max MS         a blocked call must be woken within (1000)\n"
"    --unbind-max MS       an unbind slower than this fails (5000)\n"
"    --unbind-warn MS      slower than this warns (1000)\n"
"    --node-wait MS        wait for the node after a bind (10000)\n"
"    -v, --verbose         print every scenario's measurements, not\n"
"                          only those of failures and warnings\n"
"    --list                list the scenarios and exit\n"
"    -h, --help            this text\n"
"\n"
"OUTPUT\n"
"    One line per scenario, \"test NAME: OK\", \"OK (Not Supported)\",\n"
"    \"WARN\" or \"FAIL\", after its details (\"fail:\", \"warn:\" and\n"
"    measurement lines), then a totals line:\n"
"        Total for unplug-compliance DEV: N, Succeeded: N, Failed: N,\n"
"        Warnings: N, Not Supported: N\n"
"    The JSON file has, per scenario, its result and reason, the unbind,\n"
"    rebind and wake-up latencies (ms), each call made after the unbind\n"
"    with its return value and errno, and any kernel report.\n"
"\n"
"EXIT STATUS\n"
"    0 if no scenario failed, 1 if one did, 2 on a usage error, 3 if a\n"
"    scenario hung in the kernel and the run was cut short.\n"
"\n"
"EXAMPLES\n"
"    " PROG " -d /dev/video0 --json /tmp/video0.json\n"
"    " PROG " -m /dev/media0 -s s2_idle_fd_enodev -v\n"
"    " PROG " -d /dev/video2 --unplug 'usbcam-ctl.sh unplug' \\\n"
"        --replug 'usbcam-ctl.sh replug'\n"
"\n"
"SEE ALSO\n"
"    v4l2-compliance(1), docs/unplug-compliance.rst, docs/lifetime.rst\n";

/* Set when the device could not be bound again: nothing more can run. */
static bool lost;

/* Results kept for the totals and the JSON file. */
struct result {
	const struct uc_scenario *s;
	enum uc_result r;
	double ms;
	bool run;
	struct uc_ctx *c;	/* NULL if not run */
};

static void usage_error(const char *msg)
{
	fprintf(stderr, "%s: %s (try --help)\n", PROG, msg);
	exit(2);
}

static void set_node(enum uc_kind kind, const char *path)
{
	static const char *p;

	if (p)
		usage_error("give one node");
	p = path;
	opt.t.kind = kind;
	snprintf(opt.t.path, sizeof(opt.t.path), "%s", path);
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "device", 1, NULL, 'd' }, { "media", 1, NULL, 'm' },
		{ "subdev", 1, NULL, 'u' }, { "unplug", 1, NULL, 'U' },
		{ "replug", 1, NULL, 'R' }, { "setup", 1, NULL, 'S' },
		{ "json", 1, NULL, 'j' }, { "seed", 1, NULL, 'e' },
		{ "scenario", 1, NULL, 's' }, { "timeout", 1, NULL, 't' },
		{ "frame-timeout", 1, NULL, 'F' }, { "wake-max", 1, NULL, 'W' },
		{ "unbind-max", 1, NULL, 'X' }, { "unbind-warn", 1, NULL, 'Y' },
		{ "node-wait", 1, NULL, 'N' }, { "verbose", 0, NULL, 'v' },
		{ "list", 0, NULL, 'l' }, { "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "d:m:u:s:vh", lo, NULL)) != -1) {
		switch (o) {
		case 'd':
			set_node(UC_VIDEO, optarg);
			break;
		case 'm':
			set_node(UC_MEDIA, optarg);
			break;
		case 'u':
			set_node(UC_SUBDEV, optarg);
			break;
		case 'U':
			opt.t.unplug_cmd = optarg;
			break;
		case 'R':
			opt.t.replug_cmd = optarg;
			break;
		case 'S':
			opt.t.setup_cmd = optarg;
			break;
		case 'j':
			opt.json = optarg;
			break;
		case 'e':
			opt.seed = strtoul(optarg, NULL, 0);
			break;
		case 't':
			opt.timeout_s = atoi(optarg);
			break;
		case 'F':
			opt.t.frame_ms = atoi(optarg);
			break;
		case 'W':
			opt.t.wake_max_ms = atoi(optarg);
			break;
		case 'X':
			opt.t.unbind_max_ms = atoi(optarg);
			break;
		case 'Y':
			opt.t.unbind_warn_ms = atoi(optarg);
			break;
		case 'N':
			opt.t.node_wait_ms = atoi(optarg);
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'l':
			opt.list = true;
			break;
		case 'h':
			fputs(help, stdout);
			exit(0);
		case 's':
			if (!uc_find_scenario(optarg))
				usage_error("no such scenario (--list)");
			if (opt.nonly < 64)
				opt.only[opt.nonly++] = optarg;
			break;
		default:
			usage_error("bad option");
		}
	}
	if (optind < argc)
		usage_error("unexpected argument");
	if (!opt.t.unplug_cmd != !opt.t.replug_cmd)
		usage_error("--unplug and --replug go together");
}

/*
 * Wait for child @pid until @deadline_ms, then kill it and wait 5 s more:
 * 0 if it exited by itself, 1 if it was killed, -1 if it would not die.
 */
static int wait_child(pid_t pid, double deadline_ms)
{
	double end;
	int status;

	while (now_ms() < deadline_ms) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return 0;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	end = now_ms() + 5000;
	while (now_ms() < end) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return 1;
		usleep(10000);
	}
	return -1;
}

/*
 * Bind the device again after a scenario that could not (killed, or a
 * thread of its still blocked), in a child, bounded.
 */
static int restore_binding(struct uc_target *t)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(uc_ensure_bound(t) ? 1 : 0);
	if (pid < 0)
		return -1;
	if (wait_child(pid, now_ms() + opt.timeout_s * 1000.0))
		return -1;
	return uc_find_node(t);
}

/* Print @text's lines indented, as v4l2-compliance prints its details. */
static void print_indented(const char *text)
{
	const char *p = text, *nl;

	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		printf("\t\t%.*s\n", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

/*
 * Run one scenario in a watchdog child; the context lives in memory
 * shared with it.  Returns -1 if the child would not die.
 */
static int run_one(struct result *res, int kmsg, unsigned int n)
{
	struct uc_ctx *c;
	double t0 = now_ms();
	pid_t pid;
	int w;

	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	uc_ctx_init(c, &opt.t);
	c->t.seed = opt.seed + n;
	res->c = c;
	res->run = true;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		uc_run(res->s, c);
		_exit(0);
	}
	w = pid < 0 ? 0 : wait_child(pid, t0 + opt.timeout_s * 1000.0);
	if (pid < 0)
		uc_set(c, UC_FAIL, "fork: %s", strerror(errno));
	else if (w)
		uc_set(c, UC_FAIL, "watchdog: not finished after %d s, %s",
		       opt.timeout_s, w > 0 ? "killed" :
		       "and cannot be killed (stuck in the kernel)");
	if (w >= 0 && !c->t.gone && uc_find_node(&c->t) &&
	    restore_binding(&c->t)) {
		uc_set(c, UC_FAIL, "could not bind the device again");
		lost = true;
	}
	res->ms = now_ms() - t0;
	if (uc_kmsg_scan(kmsg, c->report, sizeof(c->report))) {
		uc_set(c, UC_FAIL, "kernel report: %.*s",
		       (int)strcspn(c->report, "\n"), c->report);
	}
	res->r = c->result;
	opt.t.gone = c->t.gone;
	/* a replug may have given the node a new name */
	snprintf(opt.t.path, sizeof(opt.t.path), "%s", c->t.path);
	snprintf(opt.t.node, sizeof(opt.t.node), "%s", c->t.node);
	if (opt.verbose || c->result == UC_FAIL || c->result == UC_WARN)
		print_indented(c->log);
	if (c->report[0]) {
		printf("\t\tkernel log:\n");
		print_indented(c->report);
	}
	printf("\ttest %s: %s\n", res->s->name, uc_result_name(c->result));
	return w < 0 ? -1 : 0;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, const char *key, double v)
{
	fprintf(f, ", \"%s\": ", key);
	if (v < 0)
		fputs("null", f);
	else
		fprintf(f, "%.1f", v);
}

static void json_scenario(FILE *f, const struct result *res)
{
	const struct uc_ctx *c = res->c;
	int i;

	fputs("    { \"name\": ", f);
	json_str(f, res->s->name);
	fputs(", \"result\": ", f);
	json_str(f, res->run ? uc_result_name(res->r) : "not run");
	if (!c) {
		fputs(" }", f);
		return;
	}
	fputs(", \"reason\": ", f);
	json_str(f, c->reason);
	json_num(f, "ms", res->ms);
	json_num(f, "unbind_ms", c->unbind_ms);
	json_num(f, "rebind_ms", c->rebind_ms);
	json_num(f, "wake_ms", c->wake_ms);
	fputs(",\n      \"calls\": [", f);
	for (i = 0; i < c->ncalls; i++) {
		fprintf(f, "%s\n        { \"call\": ", i ? "," : "");
		json_str(f, c->calls[i].what);
		fprintf(f, ", \"ret\": %ld, \"errno\": %d, \"error\": ",
			c->calls[i].ret, c->calls[i].err);
		json_str(f, uc_errname(c->calls[i].err));
		fputs(" }", f);
	}
	fputs(" ],\n      \"kernel_report\": ", f);
	json_str(f, c->report);
	fputs(" }", f);
}

static void write_json(const struct result *res, unsigned int n,
		       const int *tot)
{
	FILE *f = fopen(opt.json, "w");
	unsigned int i;

	if (!f) {
		perror(opt.json);
		return;
	}
	fputs("{\n  \"tool\": \"" PROG "\",\n  \"node\": ", f);
	json_str(f, opt.t.path);
	fprintf(f, ",\n  \"kind\": \"%s\",\n  \"name\": ",
		uc_kind_name(opt.t.kind));
	json_str(f, opt.t.name);
	fputs(",\n  \"device\": ", f);
	json_str(f, opt.t.devname);
	fputs(",\n  \"driver\": ", f);
	json_str(f, opt.t.driver);
	fputs(",\n  \"module\": ", f);
	json_str(f, opt.t.module);
	fprintf(f, ",\n  \"seed\": %u,\n  \"scenarios\": [\n", opt.seed);
	for (i = 0; i < n; i++) {
		json_scenario(f, &res[i]);
		fputs(i + 1 < n ? ",\n" : "\n", f);
	}
	fprintf(f, "  ],\n  \"totals\": { \"tests\": %d, ", tot[0]);
	fprintf(f, "\"succeeded\": %d, \"failed\": %d, ", tot[1], tot[2]);
	fprintf(f, "\"warnings\": %d, \"not_supported\": %d }\n}\n", tot[3],
		tot[4]);
	fclose(f);
}

/* Whether @s is selected by -s (all are without it). */
static bool selected(const struct uc_scenario *s)
{
	int i;

	if (!opt.nonly)
		return true;
	for (i = 0; i < opt.nonly; i++)
		if (!strcmp(opt.only[i], s->name))
			return true;
	return false;
}

/* The scenarios to run, in order: shuffled by --seed, rmmod last. */
static unsigned int plan(struct result *res)
{
	unsigned int i, j, n = 0, last;
	struct result tmp;

	for (i = 0; i < uc_nscenarios; i++) {
		if (!selected(&uc_scenarios[i]) ||
		    !(uc_scenarios[i].kinds & opt.t.kind))
			continue;
		memset(&res[n], 0, sizeof(res[n]));
		res[n++].s = &uc_scenarios[i];
	}
	last = n && strstr(res[n - 1].s->name, "rmmod") ? n - 1 : n;
	for (i = last; opt.seed && i > 1; i--) {
		j = rand_r(&opt.seed) % i;
		tmp = res[i - 1];
		res[i - 1] = res[j];
		res[j] = tmp;
	}
	return n;
}

static void list_scenarios(void)
{
	unsigned int i;
	const struct uc_scenario *s;

	for (i = 0; i < uc_nscenarios; i++) {
		s = &uc_scenarios[i];
		printf("%-28s %s%s%s  %s\n    contract: %s\n", s->name,
		       s->kinds & UC_VIDEO ? "v" : "-",
		       s->kinds & UC_MEDIA ? "m" : "-",
		       s->kinds & UC_SUBDEV ? "u" : "-", s->title, s->rule);
	}
}

static void header(void)
{
	printf("%s: %s node %s \"%s\"\n", PROG, uc_kind_name(opt.t.kind),
	       opt.t.path, opt.t.name);
	printf("\tdevice %s, driver %s, module %s\n", opt.t.devname,
	       opt.t.driver, opt.t.module[0] ? opt.t.module : "(built in)");
	printf("\tunplug by %s, seed %u, watchdog %d s a scenario\n\n",
	       opt.t.unplug_cmd ? opt.t.unplug_cmd : "sysfs unbind",
	       opt.seed, opt.timeout_s);
	printf("Unplug contract tests (DESIGN.md section 1):\n");
}

int main(int argc, char **argv)
{
	struct result res[64];
	char err[PATH_MAX + 64];
	int tot[5] = { 0 }, kmsg, stuck = 0;
	unsigned int i, n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse(argc, argv);
	if (opt.list) {
		list_scenarios();
		return 0;
	}
	if (!opt.t.kind)
		usage_error("give a node: -d, -m or -u");
	uc_target_defaults(&opt.t);
	if (uc_target_init(&opt.t, opt.t.kind, opt.t.path, err,
			   sizeof(err))) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return 2;
	}
	opt.t.jitter_ms = opt.seed ? 100 : 0;
	kmsg = uc_kmsg_open();
	if (kmsg < 0)
		fprintf(stderr, "%s: /dev/kmsg: %s: kernel reports not seen\n",
			PROG, strerror(errno));
	header();
	n = plan(res);
	for (i = 0; i < n; i++) {
		if (stuck || lost) {
			printf("\ttest %s: FAIL (not run: %s)\n",
			       res[i].s->name, stuck ? "a scenario hung" :
			       "the device is not bound");
			res[i].r = UC_FAIL;
			continue;
		}
		if (run_one(&res[i], kmsg, i))
			stuck = 1;
	}
	for (i = 0; i < n; i++) {
		tot[0]++;
		tot[res[i].r == UC_OK ? 1 : res[i].r == UC_FAIL ? 2 :
		    res[i].r == UC_WARN ? 3 : 4]++;
	}
	/* v4l2-compliance counts a warning as a success too */
	tot[1] += tot[3] + tot[4];
	printf("\nTotal for unplug-compliance %s: %d, Succeeded: %d, ",
	       opt.t.path, tot[0], tot[1]);
	printf("Failed: %d, Warnings: %d, Not Supported: %d\n", tot[2], tot[3],
	       tot[4]);
	if (opt.json)
		write_json(res, n, tot);
	return stuck ? 3 : tot[2] ? 1 : 0;
}
