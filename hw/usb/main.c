// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-usbcam-emu: the device side of the vlife USB camera, in userspace.
 *
 *   vlife-usbcam-emu [--transport usbip|raw-gadget] [--identity vendor|uvc]
 *                    [--malformed N] [--short N] [--overrun N]
 *                    [--unplug-on-commit] [--unplugged]
 *                    [--default-fps 30|15|10] [-v]
 *
 * --transport: how the camera reaches the host: usbip (the default) is
 * the kernel's USB/IP virtual host controller, vhci_hcd (usbip.c);
 * raw-gadget is /dev/raw-gadget on a dummy_hcd UDC (rawgadget.c), which
 * Debian's kernel does not build.  --malformed N: every Nth payload has a
 * bad header; --short N: every Nth frame ends after half its data;
 * --overrun N: every Nth frame runs 4 KiB past dwMaxVideoFrameSize;
 * --unplug-on-commit: the first video commit unplugs the camera,
 * unanswered; --unplugged: start unplugged; --default-fps: the frame rate
 * every frame starts at (30 without it).
 *
 * Either transport answers the same signals:
 *
 *   SIGUSR1          unplug, as a pulled cable does
 *   SIGUSR2          plug in again
 *   SIGTERM, SIGINT  unplug and exit 0
 *
 * This file: the options, the signals, main().  The camera itself
 * (descriptors, requests, frames, stream) knows nothing of the transport.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"

/**
 * emu_stamp() - the time, for log lines
 *
 * Return: seconds since boot with milliseconds, in a static buffer.
 */
const char *emu_stamp(void)
{
	static __thread char buf[32];
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, sizeof(buf), "%ld.%03ld", (long)ts.tv_sec,
		 ts.tv_nsec / 1000000);
	return buf;
}

/**
 * emu_signal_read() - one signal from the signalfd
 * @sigfd: the signalfd of emu_signals()
 *
 * Return: the signal number, or 0 if there was none to read.
 */
int emu_signal_read(int sigfd)
{
	struct signalfd_siginfo si;

	if (read(sigfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	return si.ssi_signo;
}

static void emu_usage(void)
{
	fprintf(stderr,
		"usage: vlife-usbcam-emu [--transport usbip|raw-gadget]\n"
		"       [--identity vendor|uvc] [--malformed N] [--short N]\n"
		"       [--overrun N] [--unplug-on-commit] [--unplugged]\n"
		"       [--default-fps 30|15|10] [-v]\n");
	exit(2);
}

static unsigned int emu_arg_uint(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end || v > UINT_MAX)
		emu_usage();
	return v;
}

/* The index of the interval of N frames per second, in every frame. */
static unsigned int emu_arg_fps(const char *s)
{
	unsigned int fps = emu_arg_uint(s), i;

	for (i = 0; fps && i < EMU_INTERVALS; i++)
		if (emu_frames[0].intervals[i] == 10000000 / fps)
			return i;
	emu_usage();
	return 0;
}

/* --transport: the transport's run function. */
static emu_run_fn emu_arg_transport(const char *s)
{
	if (!strcmp(s, "usbip"))
		return emu_usbip_run;
	if (!strcmp(s, "raw-gadget"))
		return emu_raw_run;
	emu_usage();
	return NULL;
}

static void emu_args(struct emu *e, int argc, char **argv, bool *unplugged,
		     emu_run_fn *run)
{
	static const struct option opts[] = {
		{ "transport", required_argument, NULL, 't' },
		{ "identity", required_argument, NULL, 'i' },
		{ "malformed", required_argument, NULL, 'm' },
		{ "short", required_argument, NULL, 's' },
		{ "overrun", required_argument, NULL, 'o' },
		{ "unplug-on-commit", no_argument, NULL, 'c' },
		{ "unplugged", no_argument, NULL, 'u' },
		{ "default-fps", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ }
	};
	int c;

	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			*run = emu_arg_transport(optarg);
			break;
		case 'i':
			if (!strcmp(optarg, "uvc"))
				e->identity = EMU_IDENTITY_UVC;
			else if (strcmp(optarg, "vendor"))
				emu_usage();
			break;
		case 'm':
			e->faults.malformed = emu_arg_uint(optarg);
			break;
		case 's':
			e->faults.short_frame = emu_arg_uint(optarg);
			break;
		case 'o':
			e->faults.overrun = emu_arg_uint(optarg);
			break;
		case 'c':
			e->faults.unplug_on_commit = true;
			break;
		case 'u':
			*unplugged = true;
			break;
		case 'f':
			emu_default_interval = emu_arg_fps(optarg);
			break;
		case 'v':
			e->verbose = true;
			break;
		default:
			emu_usage();
		}
	}
	if (optind != argc)
		emu_usage();
}

/* Signals that act are read from a signalfd; SIGPIPE is an EPIPE. */
static int emu_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

int main(int argc, char **argv)
{
	static struct emu emu = { .sock = -1, .port = -1 };
	emu_run_fn run = emu_usbip_run;
	struct emu *e = &emu;
	bool unplugged = false;
	int sigfd, ret;

	emu_args(e, argc, argv, &unplugged, &run);
	setvbuf(stderr, NULL, _IOLBF, 0);
	emu_desc_build(&e->desc, e->identity);
	emu_requests_init(e);
	sigfd = emu_signals();
	if (sigfd < 0 || emu_stream_init(e)) {
		perror("vlife-usbcam-emu");
		return 1;
	}
	ret = run(e, sigfd, unplugged);
	emu_stream_exit(e);
	return ret;
}
