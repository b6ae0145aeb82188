// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-usbcam-emu: the raw-gadget transport (--transport raw-gadget): the
 * camera as a gadget on a dummy_hcd UDC, through /dev/raw-gadget
 * (CONFIG_USB_RAW_GADGET, Documentation/usb/raw-gadget.rst; Debian's
 * kernel has neither).  dummy_hcd's host side enumerates it as any USB
 * device.  Unlike vhci_hcd, dummy_hcd fails an URB whose allocation fails
 * with that error, so the host's drivers can be failed allocation by
 * allocation through it; and a plug-in or unplug takes a hub event, not a
 * USB/IP link set-up or tear-down.
 *
 * Plugging in: open /dev/raw-gadget, USB_RAW_IOCTL_INIT (UDC driver
 * dummy_udc, the first dummy_udc.N bound to no gadget, high speed) and
 * USB_RAW_IOCTL_RUN: the UDC pulls up and the host enumerates the camera.
 * Unplugging (SIGUSR1): the threads below end, the file is closed,
 * raw-gadget unregisters the gadget and the host sees the device go, as
 * a pulled cable does.
 *
 * Raw-gadget hands userspace every control request that dummy_hcd does
 * not answer itself (SET_ADDRESS; GET_STATUS, SET_FEATURE, CLEAR_FEATURE
 * of the device and endpoints: so uvcvideo's stream-off, a CLEAR_FEATURE
 * (ENDPOINT_HALT), never reaches the camera, whose stream runs on, frames
 * dropped, until the next commit or SET_INTERFACE).  The 6.1 semantics
 * (drivers/usb/gadget/legacy/raw_gadget.c) this file relies on:
 *  - USB_RAW_IOCTL_EVENT_FETCH blocks for the next event: CONNECT once
 *    bound to the UDC, CONTROL with a SETUP packet.  6.1 has no reset or
 *    disconnect event.
 *  - An IN request with data is answered by EP0_WRITE, with the ZERO flag
 *    if shorter than wLength and a multiple of 64 bytes (else dummy_hcd
 *    waits for more); every other request, zero-length or OUT, by
 *    EP0_READ of wLength bytes, which also acks it; a refusal by
 *    EP0_STALL.  One request at a time: raw-gadget stalls a SETUP that
 *    comes while one is pending.
 *  - dummy_hcd completes the host's OUT control transfer as soon as the
 *    gadget has taken its data.  An OUT request with data (SET_CUR) is
 *    thus acted on after the host saw it succeed, and can no longer be
 *    refused (on USB/IP the camera stalls a SET_CUR it rejects).  A
 *    zero-length one (SET_CONFIGURATION, SET_INTERFACE, the vendor
 *    stream-off) is acted on before its ack, as on USB/IP.  The commit
 *    that pulls the plug (--unplug-on-commit) is known from its SETUP:
 *    its data is never read, so it never completes.
 *  - EP_ENABLE of the bulk IN endpoint's descriptor, on SET_CONFIGURATION
 *    (1) before its ack, gives the handle EP_WRITE takes; the endpoint
 *    stays enabled until unplug (configuration 0 stops the stream).
 *    USB_RAW_IOCTL_CONFIGURE then marks the gadget configured.
 *  - EP_WRITE queues one request and blocks until the host has read all
 *    of it; with USB_RAW_IO_FLAGS_ZERO a zero-length packet ends it.  One
 *    payload per write: dummy_hcd cuts it into 512-byte packets for the
 *    host's URBs, a short or zero-length packet completing a URB.
 *  - Every wait in these ioctls is interruptible: a signal makes them
 *    dequeue their request (its data is lost) and return EINTR.  Closing
 *    the file ends none of them (each holds the file), so the threads are
 *    interrupted and joined before it is closed.
 *
 * Threads and locking.  Three threads while plugged in:
 *  - main: poll() on the signalfd, the frame timer and an eventfd the ep0
 *    thread raises when a request pulls the plug; plugs, unplugs, ticks;
 *  - ep0: fetches events, answers control requests (raw_ep0_main());
 *  - bulk: writes payloads to the bulk IN endpoint (raw_bulk_main()).
 * One mutex, raw.lock, guards the camera (struct emu: requests, stream)
 * and struct emu_raw.  The rule: it is held for every call into
 * requests.c and stream.c, and never across a raw-gadget ioctl that can
 * block (EVENT_FETCH, EP0_READ, EP0_WRITE, EP_WRITE).  The ep0 thread
 * decodes a request and calls emu_control() under the mutex, then answers
 * without it; the bulk thread copies the next payload under it
 * (emu_stream_take()) and writes it without it.  So a transfer waiting on
 * the host never holds up a frame tick or a control request.  The bulk
 * thread sleeps on raw.more (with the mutex) until a frame is ready.
 * Blocked ioctls are woken by RAW_WAKE_SIG, whose handler does nothing,
 * sent to one thread: to the bulk thread when the stream stops while it
 * writes an older stream's payload (raw_kick(), and again at each turn of
 * the main loop until the write returns: a signal that lands just before
 * the ioctl is entered wakes nothing); to both at unplug, until both have
 * ended.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/usb/ch9.h>
#include <linux/usb/raw_gadget.h>

#include "emu.h"

#define RAW_DEV		"/dev/raw-gadget"
#define RAW_UDC_DRIVER	"dummy_udc"
#define RAW_UDC_MAX	8		/* dummy_hcd's num= UDCs tried */
#define RAW_EP0_MAX	64		/* bMaxPacketSize0 */
#define RAW_HOLD_MAX	32		/* raw_open_run()'s held files */
#define RAW_WAKE_SIG	(SIGRTMIN + 1)
#define RAW_REKICK_MS	20

/**
 * struct emu_raw - the raw-gadget transport, guarded by @lock
 * @lock: the emulator's mutex: see the top of this file
 * @more: signalled when the bulk thread may have work, or must end
 * @fd: /dev/raw-gadget, open while plugged in; -1 unplugged
 * @udc: the UDC we are bound to
 * @ep_in: EP_ENABLE's handle of the bulk IN endpoint; -1 not enabled
 * @stopping: unplugging: the threads end
 * @ep0: the ep0 thread, running while @ep0_running
 * @bulk: the bulk thread, running while @bulk_running
 * @ep0_running: cleared by the ep0 thread as it ends
 * @bulk_running: cleared by the bulk thread as it ends
 * @ep0_made: @ep0 was created (to be joined)
 * @bulk_made: @bulk was created (to be joined)
 * @writing: the bulk thread is in EP_WRITE (or about to be)
 * @writing_gen: the stream generation of that payload
 * @evfd: eventfd: the ep0 thread asks the main loop to unplug
 */
struct emu_raw {
	pthread_mutex_t lock;
	pthread_cond_t more;
	int fd;
	char udc[32];
	int ep_in;
	bool stopping;
	pthread_t ep0;
	pthread_t bulk;
	bool ep0_running;
	bool bulk_running;
	bool ep0_made;
	bool bulk_made;
	bool writing;
	unsigned int writing_gen;
	int evfd;
};

static struct emu_raw raw = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.more = PTHREAD_COND_INITIALIZER,
	.fd = -1,
	.ep_in = -1,
	.evfd = -1,
};

/* The event EVENT_FETCH fills: a SETUP packet at most. */
struct raw_event {
	struct usb_raw_event ev;
	__u8 setup[8];
};

/* An EP0 transfer: wLength is at most 64 KiB. */
struct raw_ep0_io {
	struct usb_raw_ep_io io;
	__u8 data[65536];
};

/* A bulk write: one payload. */
struct raw_bulk_io {
	struct usb_raw_ep_io io;
	__u8 data[EMU_PAYLOAD_MAX];
};

static void raw_wake_handler(int sig)
{
	(void)sig;		/* only there to interrupt an ioctl */
}

static void raw_lock(void)
{
	pthread_mutex_lock(&raw.lock);
}

static void raw_unlock(void)
{
	pthread_mutex_unlock(&raw.lock);
}

static bool raw_stopping(void)
{
	bool stopping;

	raw_lock();
	stopping = raw.stopping;
	raw_unlock();
	return stopping;
}

/* Whether the bulk thread writes a payload of a stopped stream. */
static bool raw_stale_write(struct emu *e)
{
	return raw.writing && raw.writing_gen != e->stream.gen;
}

/* @e->kick, with raw.lock held: a frame is ready, or the stream stopped. */
static void raw_kick(struct emu *e)
{
	pthread_cond_broadcast(&raw.more);
	if (raw.bulk_running && raw_stale_write(e))
		pthread_kill(raw.bulk, RAW_WAKE_SIG);
}

/* ---- the bulk thread ---- */

/* Under raw.lock: the next payload to write, 0 when it is time to end. */
static size_t raw_bulk_next(struct emu *e, struct raw_bulk_io *w)
{
	size_t len = 0;
	bool zlp;

	while (!raw.stopping &&
	       (raw.ep_in < 0 || !(len = emu_stream_take(e, w->data, &zlp))))
		pthread_cond_wait(&raw.more, &raw.lock);
	if (raw.stopping)
		return 0;
	w->io.ep = raw.ep_in;
	w->io.flags = zlp ? USB_RAW_IO_FLAGS_ZERO : 0;
	w->io.length = len;
	raw.writing = true;
	raw.writing_gen = e->stream.gen;
	return len;
}

static void *raw_bulk_main(void *arg)
{
	static struct raw_bulk_io w;
	struct emu *e = arg;
	unsigned long failed = 0;
	int ret;

	raw_lock();
	while (raw_bulk_next(e, &w)) {
		raw_unlock();
		ret = ioctl(raw.fd, USB_RAW_IOCTL_EP_WRITE, &w);
		raw_lock();
		raw.writing = false;
		/* EINTR: a stale payload dropped, or unplugging */
		if (ret < 0 && errno != EINTR && !failed++)
			emu_log("bulk: EP_WRITE: %s", strerror(errno));
	}
	if (failed)
		emu_log("bulk: %lu payloads failed", failed);
	raw.bulk_running = false;
	raw_unlock();
	return NULL;
}

/* ---- the ep0 thread ---- */

/* Under raw.lock: SET_CONFIGURATION(1) enables the bulk IN endpoint. */
static void raw_configure(struct emu *e)
{
	/* struct usb_endpoint_descriptor: 9 bytes, the last two unused */
	__u8 d[USB_DT_ENDPOINT_AUDIO_SIZE] = {
		USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, EMU_EP_IN,
		USB_ENDPOINT_XFER_BULK,
		EMU_MAXPACKET & 0xff, EMU_MAXPACKET >> 8,
	};
	int ret;

	if (!e->config || raw.ep_in >= 0)
		return;
	ret = ioctl(raw.fd, USB_RAW_IOCTL_EP_ENABLE, d);
	if (ret < 0) {
		emu_log("ep0: EP_ENABLE: %s", strerror(errno));
		return;
	}
	raw.ep_in = ret;
	if (ioctl(raw.fd, USB_RAW_IOCTL_CONFIGURE, 0) < 0)
		emu_log("ep0: CONFIGURE: %s", strerror(errno));
	pthread_cond_broadcast(&raw.more);
}

/*
 * An EP0 transfer: EP0_WRITE of @len bytes of @io, EP0_READ of @len into
 * it, or EP0_STALL.  Return: bytes moved, or -1 (errno set).
 */
static int raw_ep0_io(unsigned long req, struct raw_ep0_io *io, size_t len,
		      bool zero)
{
	if (req == USB_RAW_IOCTL_EP0_STALL)
		return ioctl(raw.fd, req, 0);
	io->io.ep = 0;
	io->io.flags = zero ? USB_RAW_IO_FLAGS_ZERO : 0;
	io->io.length = len;
	return ioctl(raw.fd, req, io);
}

/* OUT with data: read it (that acks it), then act on it. */
static int raw_ep0_out(struct emu *e, const struct emu_setup *s,
		       struct raw_ep0_io *io, __u8 *in)
{
	int n, ret;

	n = raw_ep0_io(USB_RAW_IOCTL_EP0_READ, io, s->length, false);
	if (n < 0)
		return -1;
	raw_lock();
	ret = emu_control(e, s, io->data, n, in);
	raw_unlock();
	emu_dbg(e, "ep0: %02x %02x %04x %04x %u: %d", s->type, s->request,
		s->value, s->index, s->length, ret);
	if (ret < 0)
		emu_log("ep0: %02x %02x %04x %04x refused after its data stage",
			s->type, s->request, s->value, s->index);
	return 0;
}

/* One control request: 0, or -1 if an EP0 transfer failed (errno). */
static int raw_ep0_request(struct emu *e, const __u8 *setup)
{
	static struct raw_ep0_io io;
	static __u8 in[65536];
	struct emu_setup s;
	bool dir_in;
	int ret;

	emu_setup_parse(setup, &s);
	dir_in = (s.type & USB_DIR_IN) && s.length;
	raw_lock();
	if (emu_control_pulls_plug(e, &s)) {
		raw_unlock();
		emu_dbg(e, "ep0: the commit pulls the plug");
		eventfd_write(raw.evfd, 1);	/* unanswered */
		return 0;
	}
	if (!dir_in && s.length) {
		raw_unlock();
		return raw_ep0_out(e, &s, &io, in);
	}
	ret = emu_control(e, &s, NULL, 0, in);
	if (ret >= 0 && s.type == USB_DIR_OUT &&
	    s.request == USB_REQ_SET_CONFIGURATION)
		raw_configure(e);
	raw_unlock();
	emu_dbg(e, "ep0: %02x %02x %04x %04x %u: %d", s.type, s.request,
		s.value, s.index, s.length, ret);
	if (ret < 0)
		return raw_ep0_io(USB_RAW_IOCTL_EP0_STALL, &io, 0, false);
	if (!dir_in)
		return raw_ep0_io(USB_RAW_IOCTL_EP0_READ, &io, 0, false);
	if (ret > s.length)
		ret = s.length;
	memcpy(io.data, in, ret);
	return raw_ep0_io(USB_RAW_IOCTL_EP0_WRITE, &io, ret,
			  ret < s.length && !(ret % RAW_EP0_MAX));
}

static void *raw_ep0_main(void *arg)
{
	struct emu *e = arg;
	struct raw_event ev;
	int ret;

	while (!raw_stopping()) {
		ev.ev.type = USB_RAW_EVENT_INVALID;
		ev.ev.length = sizeof(ev.setup);
		ret = ioctl(raw.fd, USB_RAW_IOCTL_EVENT_FETCH, &ev);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			emu_log("ep0: EVENT_FETCH: %s", strerror(errno));
			break;
		}
		if (ev.ev.type == USB_RAW_EVENT_CONNECT)
			emu_dbg(e, "ep0: bound to %s", raw.udc);
		if (ev.ev.type != USB_RAW_EVENT_CONTROL)
			continue;
		/*
		 * A transfer the host gave up on (timeout, unplug) fails
		 * with its error; EINTR: unplugging.
		 */
		if (raw_ep0_request(e, ev.setup) < 0 && errno != EINTR)
			emu_dbg(e, "ep0: transfer: %s", strerror(errno));
	}
	raw_lock();
	raw.ep0_running = false;
	raw_unlock();
	return NULL;
}

/* ---- plug and unplug, under raw.lock ---- */

/* The name of a free UDC (bound to no gadget driver) in raw.udc. */
static int raw_free_udc(void)
{
	char path[sizeof(raw.udc) + 32], fn[64];
	unsigned int n;
	ssize_t len;
	int fd;

	for (n = 0; n < RAW_UDC_MAX; n++) {
		snprintf(raw.udc, sizeof(raw.udc), RAW_UDC_DRIVER ".%u", n);
		snprintf(path, sizeof(path), "/sys/class/udc/%s/function",
			 raw.udc);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, fn, sizeof(fn));
		close(fd);
		if (len == 0 || (len == 1 && fn[0] == '\n'))
			return 0;
	}
	errno = ENODEV;
	return -1;
}

/*
 * The state of gadget driver raw-gadget.@id: RAW_ID_FREE (no such
 * driver), RAW_ID_BOUND (a running gadget: its id is taken), or
 * RAW_ID_LINGERS (unregistered, but its sysfs directory is still there:
 * with CONFIG_DEBUG_KOBJECT_RELEASE its release comes seconds later, and
 * registering the same name before then fails with EEXIST).
 */
enum { RAW_ID_FREE, RAW_ID_BOUND, RAW_ID_LINGERS };

static int raw_id_state(unsigned int id)
{
	char path[64];
	struct dirent *d;
	int state;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/gadget/drivers/raw-gadget.%u",
		 id);
	dir = opendir(path);
	if (!dir)
		return RAW_ID_FREE;
	state = RAW_ID_LINGERS;
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, "gadget.", 7))
			state = RAW_ID_BOUND;	/* the link to its gadget */
	closedir(dir);
	return state;
}

/* A raw-gadget file, initialised for raw.udc: the fd, or -1. */
static int raw_open_init(void)
{
	struct usb_raw_init init = { .speed = USB_SPEED_HIGH };
	int fd;

	strcpy((char *)init.driver_name, RAW_UDC_DRIVER);
	strcpy((char *)init.device_name, raw.udc);
	fd = open(RAW_DEV, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && ioctl(fd, USB_RAW_IOCTL_INIT, &init)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Run a gadget on raw.udc: the fd, or -1.  Raw-gadget names its driver
 * raw-gadget.N, N the lowest id free at USB_RAW_IOCTL_INIT, freed at
 * close: the id of a gadget just unplugged comes back at once while its
 * name may still linger (raw_id_state()).  Files initialised in turn take
 * the free ids in increasing order; those whose name lingers are held
 * open until one with a clean name runs.
 */
static int raw_open_run(void)
{
	int hold[RAW_HOLD_MAX], nhold = 0, fd = -1, f, st, i;
	unsigned int id;

	for (id = 0; fd < 0 && nhold < RAW_HOLD_MAX && id < 4096; id++) {
		st = raw_id_state(id);
		if (st == RAW_ID_BOUND)
			continue;	/* taken: INIT skips it */
		f = raw_open_init();
		if (f < 0)
			break;
		if (st == RAW_ID_FREE && !ioctl(f, USB_RAW_IOCTL_RUN, 0))
			fd = f;
		else
			hold[nhold++] = f;
	}
	for (i = 0; i < nhold; i++)
		close(hold[i]);
	return fd;
}

static int raw_plug(struct emu *e)
{
	if (raw.fd >= 0)
		return 0;
	if (!raw_free_udc())
		raw.fd = raw_open_run();
	if (raw.fd < 0) {
		emu_log("%s on a free %s.N: %s (raw_gadget, dummy_hcd loaded?)",
			RAW_DEV, RAW_UDC_DRIVER, strerror(errno));
		return -1;
	}
	raw.ep_in = -1;
	raw.stopping = false;
	raw.writing = false;
	e->config = 0;
	raw.ep0_made = !pthread_create(&raw.ep0, NULL, raw_ep0_main, e);
	raw.bulk_made = !pthread_create(&raw.bulk, NULL, raw_bulk_main, e);
	raw.ep0_running = raw.ep0_made;
	raw.bulk_running = raw.bulk_made;
	if (!raw.ep0_made || !raw.bulk_made)
		emu_log("pthread_create failed");
	emu_log("plugged in (raw-gadget on %s, %s identity)", raw.udc,
		e->identity == EMU_IDENTITY_UVC ? "uvc" : "vendor");
	return 0;
}

/* End both threads: wake their ioctls until they are gone. */
static void raw_threads_end(void)
{
	raw.stopping = true;
	pthread_cond_broadcast(&raw.more);
	while (raw.ep0_running || raw.bulk_running) {
		if (raw.ep0_running)
			pthread_kill(raw.ep0, RAW_WAKE_SIG);
		if (raw.bulk_running)
			pthread_kill(raw.bulk, RAW_WAKE_SIG);
		raw_unlock();
		usleep(2000);
		raw_lock();
	}
	/* each cleared its flag as its last act under the lock */
	if (raw.ep0_made)
		pthread_join(raw.ep0, NULL);
	if (raw.bulk_made)
		pthread_join(raw.bulk, NULL);
	raw.ep0_made = false;
	raw.bulk_made = false;
}

static void raw_unplug(struct emu *e, const char *why)
{
	if (raw.fd < 0)
		return;
	emu_stream_stop(e);
	raw_threads_end();
	close(raw.fd);		/* raw-gadget unregisters: disconnect */
	raw.fd = -1;
	raw.ep_in = -1;
	e->config = 0;
	e->unplug_now = false;
	emu_log("unplugged (%s)", why);
}

/* ---- the main loop ---- */

/* One signal, under raw.lock: false when it is time to exit. */
static bool raw_signal(struct emu *e, int sigfd)
{
	int sig = emu_signal_read(sigfd);

	switch (sig) {
	case 0:
		return true;
	case SIGUSR1:
		raw_unplug(e, "SIGUSR1");
		return true;
	case SIGUSR2:
		raw_plug(e);
		return true;
	}
	emu_log("signal %d: exiting", sig);
	return false;
}

/* The wake signal interrupts, never restarts, and is not blocked. */
static int raw_setup(struct emu *e)
{
	struct sigaction sa = { .sa_handler = raw_wake_handler };
	sigset_t set;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	sigaddset(&set, RAW_WAKE_SIG);
	if (sigaction(RAW_WAKE_SIG, &sa, NULL) ||
	    pthread_sigmask(SIG_UNBLOCK, &set, NULL))
		return -1;
	raw.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (raw.evfd < 0)
		return -1;
	e->kick = raw_kick;
	return 0;
}

static void raw_loop(struct emu *e, int sigfd)
{
	struct pollfd p[3] = {
		{ .fd = sigfd, .events = POLLIN },
		{ .fd = e->stream.timer, .events = POLLIN },
		{ .fd = raw.evfd, .events = POLLIN },
	};
	eventfd_t v;
	unsigned int i;
	int n;

	for (;;) {
		n = raw_stale_write(e) ? RAW_REKICK_MS : -1;
		raw_unlock();
		n = poll(p, ARRAY_SIZE(p), n);
		raw_lock();
		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; n <= 0 && i < ARRAY_SIZE(p); i++)
			p[i].revents = 0;
		if ((p[0].revents & POLLIN) && !raw_signal(e, sigfd))
			break;
		if (p[1].revents & POLLIN)
			emu_stream_tick(e);
		if ((p[2].revents & POLLIN) && !eventfd_read(raw.evfd, &v) &&
		    e->unplug_now)
			raw_unplug(e, "--unplug-on-commit");
		if (raw.bulk_running && raw_stale_write(e))
			pthread_kill(raw.bulk, RAW_WAKE_SIG);
	}
}

/**
 * emu_raw_run() - the raw-gadget transport
 * @e: the emulator, initialised
 * @sigfd: the signalfd for SIGUSR1, SIGUSR2 and the exit signals
 * @unplugged: start unplugged
 *
 * Return: the exit status: 0, or 1 if the set-up or the first plug-in
 * failed.
 */
int emu_raw_run(struct emu *e, int sigfd, bool unplugged)
{
	int ret = 1;

	if (raw_setup(e)) {
		emu_log("raw-gadget set-up: %s", strerror(errno));
		return 1;
	}
	raw_lock();
	if (unplugged || !raw_plug(e)) {
		raw_loop(e, sigfd);
		raw_unplug(e, "exit");
		ret = 0;
	}
	raw_unlock();
	close(raw.evfd);
	return ret;
}
