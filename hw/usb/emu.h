/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vlife-usbcam-emu - the vlife USB camera, emulated in userspace on gadgetfs
 * over dummy_hcd.  What its parts share: the camera's fixed properties, the
 * emulator state, and each part's entry points:
 *
 *   descriptors.c  device, configuration and string descriptors
 *   requests.c     UVC class requests: controls, video probe and commit
 *   frames.c       YUYV test pattern and MJPEG frames (jpeg.c encodes)
 *   stream.c       the streaming thread: payload headers, faults, pacing
 *   gadget.c       gadgetfs: plug, unplug, ep0 events, main()
 *
 * Descriptors and requests are handled as the byte layouts of the USB and
 * UVC specifications (offsets, little-endian fields), not through C
 * structures: that is how they travel on the bus.
 */
#ifndef VLIFE_USBCAM_EMU_H
#define VLIFE_USBCAM_EMU_H

#include <linux/types.h>
#include <pthread.h>
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
#define EMU_EP_IN		0x81	/* dummy_udc's first bulk IN endpoint */
#define EMU_EP_FILE		"ep1in-bulk"
#define EMU_UVC_VERSION		0x0110	/* UVC 1.1 */
#define EMU_CLOCK_HZ		48000000
#define EMU_PROBE_LEN		34	/* UVC 1.1 probe and commit controls */
#define EMU_HEADER_LEN		12	/* payload header with PTS and SCR */
#define EMU_PAYLOAD_MAX		32768	/* dwMaxPayloadTransferSize */

/*
 * gadgetfs answers no IN control transfer longer than 256 bytes (Linux 6.1
 * legacy/inode.c, RBUF_SIZE), the configuration descriptor included: so
 * four frame descriptors of one interval each, 253 bytes in all.
 */
#define EMU_FORMATS		2
#define EMU_FORMAT_YUYV		1	/* 640x480, 320x240, 160x120 */
#define EMU_FORMAT_MJPEG	2	/* 640x480 */
#define EMU_FRAMES		4	/* frame descriptors, all formats */
#define EMU_DEFAULT_FRAME	2	/* of YUYV: 320x240 */
#define EMU_MAX_WIDTH		640
#define EMU_MAX_HEIGHT		480
/* A YUYV frame, then a plane of 8x8-block means for each of Y, Cb, Cr */
#define EMU_SCRATCH_SIZE	(EMU_MAX_WIDTH * EMU_MAX_HEIGHT * 2 + \
				 3 * EMU_MAX_WIDTH * EMU_MAX_HEIGHT / 64)

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

/* A frame descriptor: format and frame index, size, its one interval */
struct emu_frame {
	unsigned int format;
	unsigned int index;
	struct emu_size size;
	__u32 interval;		/* 100 ns units */
};

extern const struct emu_frame emu_frames[EMU_FRAMES];

/* Processing unit controls, as the device implements them */
enum emu_ctrl_id {
	EMU_CTRL_BRIGHTNESS,
	EMU_CTRL_CONTRAST,
	EMU_CTRL_SATURATION,
	EMU_CTRLS,
};

struct emu_ctrl {
	__u8 selector;		/* UVC_PU_*_CONTROL */
	__u8 bit;		/* in the processing unit's bmControls */
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

/* Deliberate stream faults, every Nth payload or frame (0: never) */
struct emu_faults {
	unsigned int malformed;	/* payload header with bHeaderLength 1 */
	unsigned int short_frame; /* frame cut to half its size */
	unsigned int overrun;	/* frame longer than dwMaxVideoFrameSize */
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
	__u8 config_fs[512];
	__u8 config_hs[512];
	size_t config_len;
	__u8 ep_fs[7];
	__u8 ep_hs[7];
};

/*
 * The streaming thread's state.  The main thread (ep0) starts and stops
 * it; each start or stop bumps @gen, and the thread leaves a run as soon
 * as @gen changes.  A stop returns only once the thread is parked, so the
 * endpoint file may then be closed.
 */
struct emu_stream {
	pthread_t thread;
	int fd;			/* the bulk IN endpoint file, while running */
	bool run;
	bool quit;
	unsigned int gen;
	unsigned int parked;	/* the thread is idle, having seen this gen */
	struct emu_params params;
	__u32 counter;		/* frames made since the emulator started */
	unsigned long payloads;	/* payloads sent, for the fault counters */
	unsigned long frames;	/* frames sent in this run */
	__u8 fid;
	__u8 *frame;		/* one frame, as sent */
	__u8 *scratch;		/* what an MJPEG frame is made from */
	__u8 *payload;		/* one payload, header included */
};

struct emu {
	enum emu_identity identity;
	struct emu_faults faults;
	bool verbose;
	const char *dir;	/* where gadgetfs is mounted */
	struct emu_desc desc;
	int ep0;		/* the UDC's gadgetfs file; -1: unplugged */
	int ep_in;		/* EMU_EP_FILE; -1: not configured */
	unsigned int maxpacket;	/* of the bulk endpoint, at this speed */

	pthread_mutex_t lock;	/* protects what follows and @stream */
	pthread_cond_t cond;
	struct emu_ctrl ctrls[EMU_CTRLS];
	struct emu_params probe;
	struct emu_params commit;
	__u8 error_code;	/* VC_REQUEST_ERROR_CODE_CONTROL */
	struct emu_stream stream;
};

/* Outcome of a SET_CUR */
enum emu_set_result {
	EMU_SET_DONE,
	EMU_SET_COMMIT,		/* video commit: (re)start streaming */
	EMU_SET_STALL,
};

const char *emu_stamp(void);

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
int emu_request_get(struct emu *e, const struct emu_setup *s, __u8 *buf,
		    size_t size);
enum emu_set_result emu_request_set(struct emu *e, const struct emu_setup *s,
				    const __u8 *data, size_t len);
const struct emu_frame *emu_frame_find(unsigned int format,
				       unsigned int index);
__u32 emu_frame_max(const struct emu_frame *f);

size_t emu_frame_yuyv(__u8 *buf, const struct emu_size *size,
		      const int ctrl[EMU_CTRLS], __u32 counter);
size_t emu_frame_mjpeg(__u8 *buf, size_t max, __u8 *yuyv,
		       const struct emu_size *size, const int ctrl[EMU_CTRLS],
		       __u32 counter);
size_t emu_jpeg_encode(__u8 *out, size_t max, unsigned int width,
		       unsigned int height, const __u8 *planes[3],
		       __u32 counter);

int emu_stream_init(struct emu *e);
void emu_stream_start(struct emu *e, int fd, const struct emu_params *p);
void emu_stream_stop(struct emu *e);
void emu_stream_exit(struct emu *e);

#endif /* VLIFE_USBCAM_EMU_H */
