// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-usbcam-emu: the device side of the vlife USB camera, on gadgetfs.
 *
 *   vlife-usbcam-emu [--identity vendor|uvc] [--malformed N] [--short N]
 *                    [--overrun N] [--gadgetfs DIR] [--unplugged] [-v]
 *
 * It plugs the camera into the first free UDC (dummy_hcd's dummy_udc in
 * the tests) through a mounted gadgetfs (default /dev/gadget): writing
 * the descriptors to the UDC's file registers the gadget, and the host
 * enumerates it.  Then it answers control requests on ep0 and streams on
 * the bulk endpoint (stream.c) once the host commits.
 *
 *   SIGUSR1         unplug: close the UDC file, which unregisters the
 *                   gadget from the UDC (the same path as unbinding a
 *                   configfs gadget's UDC); the host sees a disconnect
 *   SIGUSR2         replug
 *   SIGTERM, SIGINT unplug and exit 0
 *
 * Why gadgetfs and not FunctionFS: the UVC identity needs class-specific
 * interface descriptors (type 0x24) in the configuration descriptor, and
 * FunctionFS refuses them (Linux 6.1 f_fs.c, ffs_do_single_desc(): only
 * HID and CCID class descriptors are accepted); FunctionFS also replaces
 * a class request's wIndex with the function's interface number, losing
 * the UVC entity ID in its high byte.  gadgetfs takes the configuration
 * as written and passes requests through unchanged.  Debian's kernel has
 * no raw-gadget.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/usb/ch9.h>
#include <linux/usb/gadgetfs.h>

#include "emu.h"

/**
 * emu_stamp() - the time, for log lines
 *
 * Return: seconds since boot with milliseconds, in a per-thread buffer.
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

static void emu_setup_parse(const void *raw, struct emu_setup *s)
{
	const __u8 *p = raw;

	s->type = p[0];
	s->request = p[1];
	s->value = p[2] | p[3] << 8;
	s->index = p[4] | p[5] << 8;
	s->length = p[6] | p[7] << 8;
}

/*
 * ep0's data and status stages, the gadgetfs way: write() sends an IN
 * data stage, read() of 0 bytes acknowledges an OUT request without
 * data, and I/O "in the wrong direction" stalls.  EIDRM means the host
 * has already moved on to another request.
 */
static void emu_ep0_send(struct emu *e, const void *buf, size_t len)
{
	if (write(e->ep0, buf, len) < 0)
		emu_dbg(e, "ep0: send: %s", strerror(errno));
}

static void emu_ep0_ack(struct emu *e)
{
	__u8 dummy;

	if (read(e->ep0, &dummy, 0) < 0)
		emu_dbg(e, "ep0: ack: %s", strerror(errno));
}

static void emu_ep0_stall(struct emu *e, const struct emu_setup *s)
{
	__u8 dummy = 0;
	ssize_t ret;

	emu_dbg(e, "ep0: stall %02x %02x %04x %04x %u", s->type, s->request,
		s->value, s->index, s->length);
	if (s->type & USB_DIR_IN)
		ret = read(e->ep0, &dummy, 0);
	else
		ret = write(e->ep0, &dummy, 0);
	if (ret >= 0 || errno != EL2HLT)
		emu_dbg(e, "ep0: stall: %zd %s", ret, strerror(errno));
}

/* Close the bulk endpoint, after the stream has let go of it. */
static void emu_deconfigure(struct emu *e)
{
	emu_stream_stop(e);
	if (e->ep_in >= 0)
		close(e->ep_in);
	e->ep_in = -1;
}

/* SET_CONFIGURATION: enable the bulk endpoint, for both speeds. */
static void emu_configure(struct emu *e, unsigned int value)
{
	__u8 buf[4 + 2 * USB_DT_ENDPOINT_SIZE] = { 1 };	/* tag 1 */
	char path[PATH_MAX];

	emu_deconfigure(e);
	if (value != EMU_CONFIG_VALUE)
		return;
	snprintf(path, sizeof(path), "%s/%s", e->dir, EMU_EP_FILE);
	e->ep_in = open(path, O_RDWR);
	if (e->ep_in < 0) {
		emu_log("%s: %s", path, strerror(errno));
		return;
	}
	memcpy(buf + 4, e->desc.ep_fs, USB_DT_ENDPOINT_SIZE);
	memcpy(buf + 4 + USB_DT_ENDPOINT_SIZE, e->desc.ep_hs,
	       USB_DT_ENDPOINT_SIZE);
	if (write(e->ep_in, buf, sizeof(buf)) != sizeof(buf)) {
		emu_log("%s: configure: %s", path, strerror(errno));
		close(e->ep_in);
		e->ep_in = -1;
		return;
	}
	emu_log("configured");
}

static void emu_get_descriptor(struct emu *e, const struct emu_setup *s)
{
	__u8 buf[256];
	int n = -1;

	if (s->type == USB_DIR_IN && s->value >> 8 == USB_DT_STRING)
		n = emu_desc_string(e->identity, s->value & 0xff, buf,
				    sizeof(buf));
	if (n < 0) {
		emu_ep0_stall(e, s);
		return;
	}
	emu_ep0_send(e, buf, n < s->length ? n : s->length);
}

/* Standard requests that gadgetfs leaves to userspace. */
static void emu_standard(struct emu *e, const struct emu_setup *s)
{
	__u8 zero = 0;

	switch (s->request) {
	case USB_REQ_SET_CONFIGURATION:
		emu_configure(e, s->value);
		emu_ep0_ack(e);		/* may not be stalled */
		return;
	case USB_REQ_SET_INTERFACE:
		if (s->type != USB_RECIP_INTERFACE || s->value)
			break;
		/* alternate setting 0 of VideoStreaming: stream off */
		if (s->index == EMU_VS_INTERFACE)
			emu_stream_stop(e);
		emu_ep0_ack(e);
		return;
	case USB_REQ_GET_INTERFACE:
		if (s->type != (USB_DIR_IN | USB_RECIP_INTERFACE))
			break;
		emu_ep0_send(e, &zero, 1);
		return;
	case USB_REQ_GET_DESCRIPTOR:
		emu_get_descriptor(e, s);
		return;
	}
	emu_ep0_stall(e, s);
}

/* Class requests to an interface (requests.c says what they mean). */
static void emu_class(struct emu *e, const struct emu_setup *s)
{
	__u8 buf[256];
	ssize_t n;

	if ((s->type & USB_RECIP_MASK) != USB_RECIP_INTERFACE) {
		emu_ep0_stall(e, s);
		return;
	}
	if (s->type & USB_DIR_IN) {
		n = emu_request_get(e, s, buf, sizeof(buf));
		if (n < 0)
			emu_ep0_stall(e, s);
		else
			emu_ep0_send(e, buf, n < s->length ? n : s->length);
		return;
	}
	if (!s->length) {
		emu_ep0_stall(e, s);
		return;
	}
	/* The data stage is already in: read it, it cannot be stalled. */
	n = read(e->ep0, buf, s->length < sizeof(buf) ? s->length :
						       sizeof(buf));
	if (n < 0) {
		emu_dbg(e, "ep0: data stage: %s", strerror(errno));
		return;
	}
	if (emu_request_set(e, s, buf, n) == EMU_SET_COMMIT &&
	    e->ep_in >= 0)
		emu_stream_start(e, e->ep_in, &e->commit);
}

static void emu_setup(struct emu *e, const struct usb_ctrlrequest *ctrl)
{
	struct emu_setup s;

	emu_setup_parse(ctrl, &s);
	emu_dbg(e, "ep0: setup %02x %02x %04x %04x %u", s.type, s.request,
		s.value, s.index, s.length);
	switch (s.type & USB_TYPE_MASK) {
	case USB_TYPE_STANDARD:
		emu_standard(e, &s);
		break;
	case USB_TYPE_CLASS:
		emu_class(e, &s);
		break;
	default:
		emu_ep0_stall(e, &s);
	}
}

static void emu_event(struct emu *e, const struct usb_gadgetfs_event *ev)
{
	switch (ev->type) {
	case GADGETFS_CONNECT:
		e->maxpacket = ev->u.speed == USB_SPEED_HIGH ? 512 : 64;
		emu_log("connected, %s speed",
			ev->u.speed == USB_SPEED_HIGH ? "high" : "full");
		break;
	case GADGETFS_DISCONNECT:
		emu_log("disconnected");
		emu_deconfigure(e);
		break;
	case GADGETFS_SETUP:
		emu_setup(e, &ev->u.setup);
		break;
	case GADGETFS_SUSPEND:
	case GADGETFS_NOP:
		break;
	}
}

static void emu_ep0_events(struct emu *e)
{
	struct usb_gadgetfs_event ev[4];
	ssize_t n;
	int i;

	n = read(e->ep0, ev, sizeof(ev));
	if (n < 0) {
		if (errno != EINTR && errno != EAGAIN && errno != EIDRM)
			emu_log("ep0: events: %s", strerror(errno));
		return;
	}
	for (i = 0; i < n / (ssize_t)sizeof(ev[0]); i++)
		emu_event(e, &ev[i]);
}

/* The UDC's file: the one gadgetfs file that is not an endpoint. */
static int emu_udc_path(struct emu *e, char *path, size_t size)
{
	struct dirent *de;
	DIR *d = opendir(e->dir);
	int ret = -1;

	if (!d)
		return -1;
	while (ret && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !strncmp(de->d_name, "ep", 2))
			continue;
		snprintf(path, size, "%s/%s", e->dir, de->d_name);
		ret = 0;
	}
	closedir(d);
	return ret;
}

/* Plug in: register the gadget with the descriptors of our identity. */
static int emu_plug(struct emu *e)
{
	const struct emu_desc *d = &e->desc;
	__u8 buf[4 + sizeof(d->config_fs) + sizeof(d->config_hs) +
		 sizeof(d->device)] = { 0 };	/* tag 0 */
	size_t len = 4;
	char path[PATH_MAX];

	if (e->ep0 >= 0)
		return 0;
	if (emu_udc_path(e, path, sizeof(path))) {
		emu_log("no UDC file in %s (gadgetfs mounted?)", e->dir);
		return -1;
	}
	memcpy(buf + len, d->config_fs, d->config_len);
	len += d->config_len;
	memcpy(buf + len, d->config_hs, d->config_len);
	len += d->config_len;
	memcpy(buf + len, d->device, sizeof(d->device));
	len += sizeof(d->device);
	e->ep0 = open(path, O_RDWR);
	if (e->ep0 < 0 || write(e->ep0, buf, len) != (ssize_t)len) {
		emu_log("%s: %s", path, strerror(errno));
		if (e->ep0 >= 0)
			close(e->ep0);
		e->ep0 = -1;
		return -1;
	}
	emu_log("plugged in (%s, %s identity)", path,
		e->identity == EMU_IDENTITY_UVC ? "uvc" : "vendor");
	return 0;
}

/* Unplug: closing the UDC file unregisters the gadget. */
static void emu_unplug(struct emu *e)
{
	if (e->ep0 < 0)
		return;
	emu_deconfigure(e);
	close(e->ep0);
	e->ep0 = -1;
	emu_log("unplugged");
}

/* One signal: false when it is time to exit. */
static bool emu_signal(struct emu *e, int sigfd)
{
	struct signalfd_siginfo si;

	if (read(sigfd, &si, sizeof(si)) != sizeof(si))
		return true;
	switch (si.ssi_signo) {
	case SIGUSR1:
		emu_unplug(e);
		return true;
	case SIGUSR2:
		emu_plug(e);
		return true;
	}
	emu_log("signal %u: exiting", si.ssi_signo);
	return false;
}

static void emu_loop(struct emu *e, int sigfd)
{
	struct pollfd p[2];

	for (;;) {
		p[0].fd = sigfd;
		p[0].events = POLLIN;
		p[1].fd = e->ep0;		/* ignored while unplugged */
		p[1].events = POLLIN;
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if ((p[0].revents & POLLIN) && !emu_signal(e, sigfd))
			break;
		if (e->ep0 >= 0 && (p[1].revents & (POLLIN | POLLHUP)))
			emu_ep0_events(e);
	}
}

static void emu_usage(void)
{
	fprintf(stderr,
		"usage: vlife-usbcam-emu [--identity vendor|uvc] [--malformed N]\n"
		"       [--short N] [--overrun N] [--gadgetfs DIR] [--unplugged] [-v]\n");
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

static void emu_args(struct emu *e, int argc, char **argv, bool *unplugged)
{
	static const struct option opts[] = {
		{ "identity", required_argument, NULL, 'i' },
		{ "malformed", required_argument, NULL, 'm' },
		{ "short", required_argument, NULL, 's' },
		{ "overrun", required_argument, NULL, 'o' },
		{ "gadgetfs", required_argument, NULL, 'g' },
		{ "unplugged", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ }
	};
	int c;

	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
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
		case 'g':
			e->dir = optarg;
			break;
		case 'u':
			*unplugged = true;
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

/* Signals are read from a signalfd; the stream thread gets only its kick. */
static int emu_signals(void)
{
	sigset_t set;

	sigfillset(&set);
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigdelset(&set, SIGFPE);
	sigdelset(&set, SIGILL);
	sigdelset(&set, SIGABRT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

int main(int argc, char **argv)
{
	static struct emu emu = {
		.dir = "/dev/gadget",
		.ep0 = -1,
		.ep_in = -1,
		.maxpacket = 512,
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cond = PTHREAD_COND_INITIALIZER,
	};
	struct emu *e = &emu;
	bool unplugged = false;
	int sigfd;

	emu_args(e, argc, argv, &unplugged);
	setvbuf(stderr, NULL, _IOLBF, 0);
	emu_desc_build(&e->desc, e->identity);
	emu_requests_init(e);
	sigfd = emu_signals();
	if (sigfd < 0 || emu_stream_init(e)) {
		perror("vlife-usbcam-emu");
		return 1;
	}
	if (!unplugged && emu_plug(e)) {
		emu_stream_exit(e);
		return 1;
	}
	emu_loop(e, sigfd);
	emu_unplug(e);
	emu_stream_exit(e);
	return 0;
}
