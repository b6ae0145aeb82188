// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-usbcam-emu: the USB/IP transport (--transport usbip, the
 * default): the camera behind the kernel's USB/IP virtual host controller
 * (vhci_hcd).  One thread around poll(): no locking.
 *
 * Plugging in: a connected pair of stream sockets, one end handed to
 * vhci_hcd through /sys/devices/platform/vhci_hcd.0/attach ("port fd
 * devid speed"); the hub then sees a high-speed device on that root port
 * and enumerates it.  From then on vhci_hcd sends every URB the host
 * submits as USBIP_CMD_SUBMIT (a 48-byte big-endian header, then any OUT
 * data) and every cancellation as USBIP_CMD_UNLINK; the emulator answers
 * USBIP_RET_SUBMIT (status, actual length, IN data) and USBIP_RET_UNLINK
 * (Documentation/usb/usbip_protocol.rst).  A control transfer is answered
 * at once, so the host sees each request complete only after the camera
 * acted on it; a bulk IN URB waits for stream data (stream.c).
 *
 * Unplugging (SIGUSR1) closes our end: vhci_hcd sees the link drop and
 * disconnects the device, as a pulled cable does.  Writing the port to
 * vhci_hcd.0/detach unplugs it from the host side.
 *
 * Why USB/IP and not a gadget on dummy_hcd: FunctionFS refuses the class-
 * specific interface descriptors (type 0x24) a UVC configuration needs
 * (Linux 6.1 f_fs.c, ffs_do_single_desc()) and replaces the wIndex of a
 * class request with the function's interface number, losing the UVC
 * entity ID.  gadgetfs answers no IN control transfer longer than 256
 * bytes (legacy/inode.c, RBUF_SIZE), which the configuration descriptor
 * is; and it completes an OUT control transfer with data before userspace
 * has read its SETUP, then drops that SETUP if the host's next request
 * comes first: a SET_CUR followed by GET_CUR loses the SET_CUR.  Debian's
 * kernel has no raw-gadget (the other transport, rawgadget.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/usb/ch9.h>

#include "emu.h"

#define VHCI_ATTACH	"/sys/devices/platform/vhci_hcd.0/attach"
#define VHCI_HS_PORTS	15	/* CONFIG_USBIP_VHCI_HC_PORTS */
#define EMU_DEVID	0x00010001	/* bus 1, device 1, "on the server" */

/* USB/IP (Documentation/usb/usbip_protocol.rst), all fields big-endian */
#define USBIP_CMD_SUBMIT	1
#define USBIP_CMD_UNLINK	2
#define USBIP_RET_SUBMIT	3
#define USBIP_RET_UNLINK	4
#define USBIP_DIR_OUT		0
#define USBIP_DIR_IN		1
#define USBIP_HDR_LEN		48
#define USBIP_COMMAND		0
#define USBIP_SEQNUM		4
#define USBIP_DIRECTION		12
#define USBIP_EP		16
#define USBIP_STATUS		20	/* RET_*: status */
#define USBIP_UNLINK_SEQNUM	20	/* CMD_UNLINK: the URB to cancel */
#define USBIP_LENGTH		24	/* CMD_SUBMIT: transfer length */
#define USBIP_ACTUAL		24	/* RET_SUBMIT: actual length */
#define USBIP_SETUP		40	/* CMD_SUBMIT: the SETUP packet */
#define USBIP_MAX_LENGTH	0x100000

static bool emu_link_broken;	/* a write to the link failed */

static __u32 get_be32(const __u8 *p)
{
	__u32 v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

static void put_be32(__u8 *p, __u32 v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

/* 0, or -1 at end of file or on an error. */
static int emu_read_full(int fd, void *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf = (__u8 *)buf + n;
		len -= n;
	}
	return 0;
}

static void emu_send(struct emu *e, const __u8 *hdr, const void *data,
		     size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)hdr, .iov_len = USBIP_HDR_LEN },
		{ .iov_base = (void *)data, .iov_len = len },
	};
	size_t left = USBIP_HDR_LEN + len;
	ssize_t n;
	int i = 0;

	while (left && !emu_link_broken) {
		n = writev(e->sock, iov + i, 2 - i);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			emu_link_broken = true;
			break;
		}
		left -= n;
		while (i < 2 && (size_t)n >= iov[i].iov_len)
			n -= iov[i++].iov_len;
		if (i < 2) {
			iov[i].iov_base = (__u8 *)iov[i].iov_base + n;
			iov[i].iov_len -= n;
		}
	}
}

/* RET_SUBMIT: @actual bytes transferred, of which @len are IN data. */
static void emu_ret_submit(struct emu *e, __u32 seqnum, int status,
			   __u32 actual, const void *data, size_t len)
{
	__u8 h[USBIP_HDR_LEN] = { 0 };

	put_be32(h + USBIP_COMMAND, USBIP_RET_SUBMIT);
	put_be32(h + USBIP_SEQNUM, seqnum);
	put_be32(h + USBIP_STATUS, status);
	put_be32(h + USBIP_ACTUAL, actual);
	emu_send(e, h, data, len);
}

/**
 * emu_urb_complete() - give a bulk IN URB back to the host
 * @e: the emulator
 * @urb: the URB, freed here
 * @status: 0 or a negative errno
 */
void emu_urb_complete(struct emu *e, struct emu_urb *urb, int status)
{
	emu_ret_submit(e, urb->seqnum, status, urb->actual, urb->buf,
		       urb->actual);
	free(urb);
}

/* A control transfer: answered at once, a STALL as -EPIPE. */
static int emu_submit_control(struct emu *e, __u32 seqnum, bool dir_in,
			      const __u8 *setup, __u32 len)
{
	static __u8 out[65536], in[65536];
	struct emu_setup s;
	int ret;
	__u32 n;

	emu_setup_parse(setup, &s);
	if (len > sizeof(out) || (!dir_in && emu_read_full(e->sock, out, len)))
		return -1;
	ret = emu_control(e, &s, out, dir_in ? 0 : len, in);
	emu_dbg(e, "ep0: %02x %02x %04x %04x %u: %d", s.type, s.request,
		s.value, s.index, s.length, ret);
	if (e->unplug_now)
		return 0;		/* no answer: the loop unplugs */
	if (ret < 0) {
		emu_ret_submit(e, seqnum, -EPIPE, 0, NULL, 0);
		return 0;
	}
	n = dir_in ? (__u32)ret : len;
	if (n > len)
		n = len;
	emu_ret_submit(e, seqnum, 0, n, in, dir_in ? n : 0);
	return 0;
}

/* Any other endpoint: nothing there but the bulk IN one. */
static int emu_submit_data(struct emu *e, __u32 seqnum, bool dir_in,
			   unsigned int ep, __u32 len)
{
	static __u8 sink[4096];
	struct emu_urb *urb;
	__u32 n;

	if (dir_in && ep == (EMU_EP_IN & USB_ENDPOINT_NUMBER_MASK) &&
	    e->config) {
		urb = malloc(sizeof(*urb) + len);
		if (!urb)
			return -1;
		urb->seqnum = seqnum;
		urb->length = len;
		urb->actual = 0;
		emu_stream_urb(e, urb);
		return 0;
	}
	for (; !dir_in && len; len -= n) {	/* OUT data: read, dropped */
		n = len < sizeof(sink) ? len : sizeof(sink);
		if (emu_read_full(e->sock, sink, n))
			return -1;
	}
	emu_ret_submit(e, seqnum, -EPIPE, 0, NULL, 0);
	return 0;
}

static int emu_unlink(struct emu *e, const __u8 *h)
{
	__u8 r[USBIP_HDR_LEN] = { 0 };
	bool pending = emu_stream_unlink(e, get_be32(h + USBIP_UNLINK_SEQNUM));

	put_be32(r + USBIP_COMMAND, USBIP_RET_UNLINK);
	put_be32(r + USBIP_SEQNUM, get_be32(h + USBIP_SEQNUM));
	put_be32(r + USBIP_STATUS, pending ? -ECONNRESET : 0);
	emu_send(e, r, NULL, 0);
	return 0;
}

/* One command from vhci_hcd: 0, or -1 if the link is gone or garbled. */
static int emu_link_read(struct emu *e)
{
	__u8 h[USBIP_HDR_LEN];
	__u32 seqnum, len;
	bool dir_in;

	if (emu_read_full(e->sock, h, sizeof(h)))
		return -1;
	seqnum = get_be32(h + USBIP_SEQNUM);
	dir_in = get_be32(h + USBIP_DIRECTION) == USBIP_DIR_IN;
	len = get_be32(h + USBIP_LENGTH);
	switch (get_be32(h + USBIP_COMMAND)) {
	case USBIP_CMD_SUBMIT:
		if (len > USBIP_MAX_LENGTH)
			return -1;
		if (!get_be32(h + USBIP_EP))
			return emu_submit_control(e, seqnum, dir_in,
						  h + USBIP_SETUP, len);
		return emu_submit_data(e, seqnum, dir_in,
				       get_be32(h + USBIP_EP), len);
	case USBIP_CMD_UNLINK:
		return emu_unlink(e, h);
	}
	return -1;
}

/* Attach one end of a socket pair to a free high-speed vhci_hcd port. */
static int emu_attach(struct emu *e, int fd)
{
	char buf[64];
	int port, sys, tries, ret = -1;

	for (tries = 0; ret && tries < 20; tries++) {
		for (port = 0; ret && port < VHCI_HS_PORTS; port++) {
			snprintf(buf, sizeof(buf), "%d %d %u %d", port, fd,
				 EMU_DEVID, USB_SPEED_HIGH);
			sys = open(VHCI_ATTACH, O_WRONLY);
			if (sys < 0)
				return -1;
			if (write(sys, buf, strlen(buf)) > 0) {
				e->port = port;
				ret = 0;
			}
			close(sys);
		}
		if (ret)
			usleep(100000);	/* ports still being released */
	}
	return ret;
}

/* Plug in: attach, then the host enumerates the camera. */
static int emu_plug(struct emu *e)
{
	int sv[2];

	if (e->sock >= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		emu_log("socketpair: %s", strerror(errno));
		return -1;
	}
	if (emu_attach(e, sv[1])) {
		emu_log("%s: %s (vhci-hcd loaded?)", VHCI_ATTACH,
			strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);		/* vhci_hcd holds its own reference */
	e->sock = sv[0];
	emu_link_broken = false;
	emu_log("plugged in (vhci_hcd port %d, %s identity)", e->port,
		e->identity == EMU_IDENTITY_UVC ? "uvc" : "vendor");
	return 0;
}

/* Unplug: the link goes down, vhci_hcd disconnects the device. */
static void emu_unplug(struct emu *e, const char *why)
{
	if (e->sock < 0)
		return;
	emu_stream_stop(e);
	emu_stream_flush_urbs(e);
	close(e->sock);
	e->sock = -1;
	e->config = 0;
	emu_log("unplugged (%s)", why);
}

/* One signal: false when it is time to exit. */
static bool emu_signal(struct emu *e, int sigfd)
{
	int sig = emu_signal_read(sigfd);

	switch (sig) {
	case 0:
		return true;
	case SIGUSR1:
		emu_unplug(e, "SIGUSR1");
		return true;
	case SIGUSR2:
		emu_plug(e);
		return true;
	}
	emu_log("signal %d: exiting", sig);
	return false;
}

static void emu_loop(struct emu *e, int sigfd)
{
	struct pollfd p[3];

	for (;;) {
		p[0].fd = sigfd;
		p[0].events = POLLIN;
		p[1].fd = e->sock;		/* ignored while unplugged */
		p[1].events = POLLIN;
		p[2].fd = e->stream.timer;
		p[2].events = POLLIN;
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if ((p[0].revents & POLLIN) && !emu_signal(e, sigfd))
			break;
		if (e->sock >= 0 && p[1].revents && emu_link_read(e))
			emu_unplug(e, "link closed by the host");
		if (p[2].revents & POLLIN)
			emu_stream_tick(e);
		if (emu_link_broken)
			emu_unplug(e, "link broken");
		if (e->unplug_now) {
			e->unplug_now = false;
			emu_unplug(e, "--unplug-on-commit");
		}
	}
}

/**
 * emu_usbip_run() - the USB/IP transport
 * @e: the emulator, initialised
 * @sigfd: the signalfd for SIGUSR1, SIGUSR2 and the exit signals
 * @unplugged: start unplugged
 *
 * Return: the exit status: 0, or 1 if the first plug-in failed.
 */
int emu_usbip_run(struct emu *e, int sigfd, bool unplugged)
{
	if (!unplugged && emu_plug(e))
		return 1;
	emu_loop(e, sigfd);
	emu_unplug(e, "exit");
	return 0;
}
