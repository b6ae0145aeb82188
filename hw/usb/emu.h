/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vlife-usbcam-emu - the vlife USB camera, emulated in userspace behind
 * the kernel's USB/IP virtual host controller (vhci_hcd) or, where the
 * kernel has it, raw-gadget on dummy_hcd.  What its parts share: the
 * camera's fixed properties, the emulator state, and each part's entry
 * points:
 *
 *   descriptors.c  device, configuration and string descriptors
 *   requests.c     control requests: standard ones, UVC controls, video
 *                  probe and commit
 *   frames.c       YUYV test pattern and MJPEG frames (jpeg.c encodes)
 *   stream.c       the bulk IN endpoint: payload headers, faults, pacing,
 *                  filling the host's URBs packet by packet
 *   main.c         options, signals, main(): runs one transport
 *   usbip.c        transport: the USB/IP connection (plug, unplug, URBs)
 *   rawgadget.c    transport: /dev/raw-gadget on dummy_hcd (ep0 events,
 *                  bulk writes)
 *
 * Descriptors and requests are handled as the byte layouts of the USB and
 * UVC specifications (offsets, little-endian fields), not through C
 * structures: that is how they travel on the bus.  The camera's parts
 * take no lock: the USB/IP transport is one thread around poll(); the
 * raw-gadget one calls into them only with its one mutex held.
 */
#ifndef VLIFE_USBCAM_EMU_H
#define VLIFE_USBCAM_EMU_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* pid.codes test IDs: never on a shipped device, so no driver claims them */
#define EMU_VENDOR_ID		0x1209
#define EMU_PRODUCT_ID		0x0001

#define EMU_CONFIG_VALUE	1
#define EMU_VC_INTERFACE	0	/* VideoControl */
#define EMU_VS_INTERFACE	1	/* VideoStreaming */
#define EMU_IT_ID		1	/* camera input terminal */
#define EMU_PU_ID		2	/* processing unit: the controls */
#define EMU_OT_ID		3	/* streaming output terminal */
#define EMU_EP_IN		0x81	/* the bulk IN endpoint */
#define EMU_MAXPACKET		512	/* high speed bulk */
#define EMU_UVC_VERSION		0x0110	/* UVC 1.1 */
#define EMU_CLOCK_HZ		48000000
#define EMU_PROBE_LEN		34	/* UVC 1.1 probe and commit controls */
#define EMU_HEADER_LEN		12	/* payload header with PTS and SCR */
#define EMU_PAYLOAD_MAX		32768	/* dwMaxPayloadTransferSize */
#define EMU_REQ_STREAM_OFF	0x01	/* vendor request to VideoStreaming */

#define EMU_FORMATS		2
#define EMU_FORMAT_YUYV		1
#define EMU_FORMAT_MJPEG	2
#define EMU_FRAMES		6	/* frame descriptors, all formats */
#define EMU_INTERVALS		3	/* per frame */
#define EMU_DEFAULT_FRAME	2	/* 320x240, in either format */
#define EMU_MAX_WIDTH		640
#define EMU_MAX_HEIGHT		480
#define EMU_MAX_FRAME		(EMU_MAX_WIDTH * EMU_MAX_HEIGHT * 2)
#define EMU_OVERRUN_EXTRA	4096	/* what an overrun frame adds */
/* A YUYV frame, then a plane of 8x8-block means for each of Y, Cb, Cr */
#define EMU_SCRATCH_SIZE	(EMU_MAX_FRAME + \
				 3 * EMU_MAX_WIDTH * EMU_MAX_HEIGHT / 64)
#define EMU_MAX_CHUNKS		64	/* payloads in one frame */

/* Where the frame counter is: YUYV bytes 0-3; an MJPEG comment segment */
#define EMU_MJPEG_COUNTER_OFFSET 10

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

enum emu_identity {
	EMU_IDENTITY_VENDOR,	/* class 0xff: only vlife-usbcam binds */
	EMU_IDENTITY_UVC,	/* class 0x0e: the kernel's uvcvideo binds */
};

struct emu_size {
	unsigned int width;
	unsigned int height;
};

/* A frame descriptor: format and frame index, size, intervals */
struct emu_frame {
	unsigned int format;
	unsigned int index;
	struct emu_size size;
	__u32 intervals[EMU_INTERVALS];	/* 100 ns units, shortest first */
};

extern const struct emu_frame emu_frames[EMU_FRAMES];
/* Which of each frame's intervals is its default (--default-fps). */
extern unsigned int emu_default_interval;

/* Processing unit controls, as the device implements them */
enum emu_ctrl_id {
	EMU_CTRL_BRIGHTNESS,
	EMU_CTRL_CONTRAST,
	EMU_CTRL_SATURATION,
	EMU_CTRLS,
};

struct emu_ctrl {
	__u8 selector;		/* UVC_PU_*_CONTROL */
	bool is_signed;
	int min;
	int max;
	int res;
	int def;
	int cur;
};

/* Stream parameters, as negotiated by video probe and commit */
struct emu_params {
	unsigned int format;	/* bFormatIndex, 1-based */
	unsigned int frame;	/* bFrameIndex, 1-based */
	__u32 interval;		/* dwFrameInterval, 100 ns units */
	__u32 max_frame;	/* dwMaxVideoFrameSize */
	__u32 max_payload;	/* dwMaxPayloadTransferSize */
};

/* Deliberate faults: every Nth payload or frame (0: never), or once */
struct emu_faults {
	unsigned int malformed;	/* payload header with bHeaderLength 1 */
	unsigned int short_frame; /* frame ends after half its data */
	unsigned int overrun;	/* frame longer than dwMaxVideoFrameSize */
	bool unplug_on_commit;	/* a video commit pulls the plug instead */
};

/* A control request, decoded from its 8-byte SETUP packet */
struct emu_setup {
	__u8 type;
	__u8 request;
	__u16 value;
	__u16 index;
	__u16 length;
};

struct emu_desc {
	__u8 device[18];
	__u8 config[1024];
	size_t config_len;
};

/* A bulk IN URB of the host's, waiting for data */
struct emu_urb {
	__u32 seqnum;
	__u32 length;
	__u32 actual;
	struct emu_urb *next;
	__u8 buf[];
};

/* One payload in the frame being sent */
struct emu_chunk {
	size_t off;		/* in &emu_stream.tx */
	size_t len;
	bool zlp;		/* a zero-length packet ends it */
};

/*
 * The streaming side.  Between a video commit and the next SET_INTERFACE
 * or unplug a timer ticks at the frame interval; a tick makes a frame and
 * cuts it into payloads unless the last frame is still being read (then
 * the frame is dropped, as a sensor's would be).  The host's URBs are
 * filled packet by packet: a URB completes when it is full or a short
 * packet arrives, as on a real bus.
 */
struct emu_stream {
	bool on;
	int timer;		/* timerfd, armed while @on */
	struct emu_params params;
	__u32 counter;		/* frame ticks since the emulator started */
	__u8 fid;
	unsigned long payloads;	/* payloads made, for the fault counters */
	unsigned long frames;	/* frames sent in this run */
	unsigned long dropped;	/* frames skipped: the host was not reading */
	__u8 *frame;		/* one frame, as sent */
	__u8 *scratch;		/* what an MJPEG frame is made from */
	__u8 *tx;		/* the frame's payloads, headers included */
	struct emu_chunk chunks[EMU_MAX_CHUNKS];
	unsigned int nchunks;
	unsigned int cur;	/* chunk being sent */
	size_t cur_off;		/* bytes of it sent */
	struct emu_urb *urbs;	/* waiting for data, oldest first */
	unsigned int gen;	/* stops so far: older payloads are stale */
};

struct emu {
	enum emu_identity identity;
	struct emu_faults faults;
	bool verbose;
	struct emu_desc desc;
	int sock;		/* our end of the USB/IP link; -1: unplugged */
	int port;		/* the vhci_hcd port we are attached to */
	unsigned int config;	/* bConfigurationValue set by the host */
	struct emu_ctrl ctrls[EMU_CTRLS];
	struct emu_params probe;
	struct emu_params commit;
	__u8 error_code;	/* VC_REQUEST_ERROR_CODE_CONTROL */
	bool unplug_now;	/* set by a request: unplug, do not answer */
	struct emu_stream stream;
	/*
	 * Called by the stream when a frame's payloads are ready and when
	 * it stops (raw-gadget's bulk writer waits for both); NULL when the
	 * transport feeds URBs (emu_urb_complete()).
	 */
	void (*kick)(struct emu *e);
};

/* A transport's main loop: the exit status. */
typedef int (*emu_run_fn)(struct emu *e, int sigfd, bool unplugged);

const char *emu_stamp(void);
int emu_signal_read(int sigfd);
int emu_usbip_run(struct emu *e, int sigfd, bool unplugged);
int emu_raw_run(struct emu *e, int sigfd, bool unplugged);

/* A line on stderr, with a timestamp; emu_dbg() only with -v. */
#define emu_log(fmt, ...)						\
	fprintf(stderr, "usbcam-emu %s: " fmt "\n", emu_stamp(),	\
		##__VA_ARGS__)
#define emu_dbg(e, fmt, ...)						\
	do {								\
		if ((e)->verbose)					\
			emu_log(fmt, ##__VA_ARGS__);			\
	} while (0)

void emu_desc_build(struct emu_desc *d, enum emu_identity identity);
int emu_desc_string(enum emu_identity identity, unsigned int index,
		    __u8 *buf, size_t size);

void emu_requests_init(struct emu *e);
void emu_setup_parse(const __u8 *p, struct emu_setup *s);
bool emu_control_pulls_plug(struct emu *e, const struct emu_setup *s);
int emu_control(struct emu *e, const struct emu_setup *s, const __u8 *out,
		size_t out_len, __u8 *in);
const struct emu_frame *emu_frame_find(unsigned int format,
				       unsigned int index);
__u32 emu_frame_max(const struct emu_frame *f);

size_t emu_frame_yuyv(__u8 *buf, const struct emu_size *size,
		      const int ctrl[EMU_CTRLS], __u32 counter);
size_t emu_frame_mjpeg(__u8 *buf, size_t max, __u8 *scratch,
		       const struct emu_size *size, const int ctrl[EMU_CTRLS],
		       __u32 counter);
size_t emu_jpeg_encode(__u8 *out, size_t max, unsigned int width,
		       unsigned int height, const __u8 *planes[3],
		       __u32 counter);

int emu_stream_init(struct emu *e);
void emu_stream_start(struct emu *e);
void emu_stream_stop(struct emu *e);
void emu_stream_tick(struct emu *e);
void emu_stream_urb(struct emu *e, struct emu_urb *urb);
bool emu_stream_unlink(struct emu *e, __u32 seqnum);
void emu_stream_flush_urbs(struct emu *e);
size_t emu_stream_take(struct emu *e, __u8 *buf, bool *zlp);
void emu_stream_exit(struct emu *e);

void emu_urb_complete(struct emu *e, struct emu_urb *urb, int status);

#endif /* VLIFE_USBCAM_EMU_H */
