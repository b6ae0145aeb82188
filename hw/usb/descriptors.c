// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-usbcam-emu: the camera's descriptors.
 *
 * One configuration, two interfaces tied by an interface association:
 * VideoControl (a camera input terminal, a processing unit with
 * brightness, contrast and saturation, a streaming output terminal) and
 * VideoStreaming (YUYV and MJPEG, three frame sizes each at 30, 15 and 10
 * frames per second, one bulk IN endpoint).  The layout is UVC 1.1's;
 * only the class codes differ between the two identities: video class
 * 0x0e for uvcvideo, vendor class 0xff for vlife-usbcam.
 *
 * Each descriptor is written byte by byte, little-endian, in the order of
 * its fields in the specification.
 */
#include <string.h>
#include <linux/usb/ch9.h>
#include <linux/usb/video.h>

#include "emu.h"

const struct emu_frame emu_frames[EMU_FRAMES] = {
	{ EMU_FORMAT_YUYV, 1, { 640, 480 }, { 333333, 666666, 1000000 } },
	{ EMU_FORMAT_YUYV, 2, { 320, 240 }, { 333333, 666666, 1000000 } },
	{ EMU_FORMAT_YUYV, 3, { 160, 120 }, { 333333, 666666, 1000000 } },
	{ EMU_FORMAT_MJPEG, 1, { 640, 480 }, { 333333, 666666, 1000000 } },
	{ EMU_FORMAT_MJPEG, 2, { 320, 240 }, { 333333, 666666, 1000000 } },
	{ EMU_FORMAT_MJPEG, 3, { 160, 120 }, { 333333, 666666, 1000000 } },
};

unsigned int emu_default_interval;

static const __u8 emu_guid_yuy2[16] = {
	'Y', 'U', 'Y', '2', 0x00, 0x00, 0x10, 0x00,
	0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
};

/* A descriptor being written: bytes past @size are counted, not stored. */
struct emu_buf {
	__u8 *p;
	size_t len;
	size_t size;
};

static void put8(struct emu_buf *b, unsigned int v)
{
	if (b->len < b->size)
		b->p[b->len] = v;
	b->len++;
}

static void put16(struct emu_buf *b, unsigned int v)
{
	put8(b, v & 0xff);
	put8(b, v >> 8);
}

static void put32(struct emu_buf *b, __u32 v)
{
	put16(b, v & 0xffff);
	put16(b, v >> 16);
}

/* Write @v at offset @at, for total lengths known only at the end. */
static void patch16(struct emu_buf *b, size_t at, unsigned int v)
{
	if (at + 1 < b->size) {
		b->p[at] = v & 0xff;
		b->p[at + 1] = v >> 8;
	}
}

static __u8 emu_class(enum emu_identity identity)
{
	return identity == EMU_IDENTITY_UVC ? USB_CLASS_VIDEO :
					      USB_CLASS_VENDOR_SPEC;
}

static void emu_put_iad(struct emu_buf *b, enum emu_identity identity)
{
	put8(b, 8);
	put8(b, USB_DT_INTERFACE_ASSOCIATION);
	put8(b, EMU_VC_INTERFACE);	/* bFirstInterface */
	put8(b, 2);			/* bInterfaceCount */
	put8(b, emu_class(identity));
	put8(b, UVC_SC_VIDEO_INTERFACE_COLLECTION);
	put8(b, 0);
	put8(b, 2);			/* iFunction: the product string */
}

static void emu_put_interface(struct emu_buf *b, enum emu_identity identity,
			      unsigned int number, unsigned int endpoints,
			      unsigned int subclass)
{
	put8(b, USB_DT_INTERFACE_SIZE);
	put8(b, USB_DT_INTERFACE);
	put8(b, number);
	put8(b, 0);			/* bAlternateSetting */
	put8(b, endpoints);
	put8(b, emu_class(identity));
	put8(b, subclass);
	put8(b, 0);			/* bInterfaceProtocol: UVC 1.1 */
	put8(b, 0);			/* iInterface */
}

/* VideoControl: header, camera terminal, processing unit, output. */
static void emu_put_vc(struct emu_buf *b)
{
	size_t start = b->len;
	unsigned int bits;

	put8(b, 13);
	put8(b, USB_DT_CS_INTERFACE);
	put8(b, UVC_VC_HEADER);
	put16(b, EMU_UVC_VERSION);
	put16(b, 0);			/* wTotalLength, patched below */
	put32(b, EMU_CLOCK_HZ);
	put8(b, 1);			/* bInCollection */
	put8(b, EMU_VS_INTERFACE);

	put8(b, 15);
	put8(b, USB_DT_CS_INTERFACE);
	put8(b, UVC_VC_INPUT_TERMINAL);
	put8(b, EMU_IT_ID);
	put16(b, UVC_ITT_CAMERA);
	put8(b, 0);			/* bAssocTerminal */
	put8(b, 0);			/* iTerminal */
	put16(b, 0);			/* focal lengths: not given */
	put16(b, 0);
	put16(b, 0);
	put8(b, 0);			/* bControlSize: no controls */

	bits = 1 << 0 | 1 << 1 | 1 << 3; /* brightness, contrast, saturation */
	put8(b, 11);
	put8(b, USB_DT_CS_INTERFACE);
	put8(b, UVC_VC_PROCESSING_UNIT);
	put8(b, EMU_PU_ID);
	put8(b, EMU_IT_ID);		/* bSourceID */
	put16(b, 0);			/* wMaxMultiplier */
	put8(b, 1);			/* bControlSize */
	put8(b, bits);
	put8(b, 0);			/* iProcessing */
	put8(b, 0);			/* bmVideoStandards */

	put8(b, 9);
	put8(b, USB_DT_CS_INTERFACE);
	put8(b, UVC_VC_OUTPUT_TERMINAL);
	put8(b, EMU_OT_ID);
	put16(b, UVC_TT_STREAMING);
	put8(b, 0);			/* bAssocTerminal */
	put8(b, EMU_PU_ID);		/* bSourceID */
	put8(b, 0);			/* iTerminal */

	patch16(b, start + 5, b->len - start);
}

static void emu_put_frames(struct emu_buf *b, unsigned int format,
			   unsigned int subtype)
{
	const struct emu_frame *f;
	__u32 bits;
	unsigned int i;

	for (f = emu_frames; f < emu_frames + EMU_FRAMES; f++) {
		if (f->format != format)
			continue;
		bits = f->size.width * f->size.height * 16;
		put8(b, 26 + 4 * EMU_INTERVALS);
		put8(b, USB_DT_CS_INTERFACE);
		put8(b, subtype);
		put8(b, f->index);
		put8(b, 0);		/* bmCapabilities */
		put16(b, f->size.width);
		put16(b, f->size.height);
		put32(b, bits * 10);	/* dwMinBitRate */
		put32(b, bits * 30);	/* dwMaxBitRate */
		put32(b, emu_frame_max(f));
		put32(b, f->intervals[emu_default_interval]); /* default */
		put8(b, EMU_INTERVALS);		/* discrete intervals */
		for (i = 0; i < EMU_INTERVALS; i++)
			put32(b, f->intervals[i]);
	}
}

static void emu_put_color(struct emu_buf *b)
{
	put8(b, 6);
	put8(b, USB_DT_CS_INTERFACE);
	put8(b, UVC_VS_COLORFORMAT);
	put8(b, 1);			/* BT.709 primaries (sRGB) */
	put8(b, 1);			/* BT.709 transfer */
	put8(b, 4);			/* SMPTE 170M (BT.601) matrix */
}

static unsigned int emu_count_frames(unsigned int format)
{
	unsigned int i, n = 0;

	for (i = 0; i < EMU_FRAMES; i++)
		n += emu_frames[i].format == format;
	return n;
}

static void emu_put_yuyv(struct emu_buf *b)
{
	unsigned int i;

	put8(b, 27);
	put8(b, USB_DT_CS_INTERFACE);
	put8(b, UVC_VS_FORMAT_UNCOMPRESSED);
	put8(b, EMU_FORMAT_YUYV);
	put8(b, emu_count_frames(EMU_FORMAT_YUYV));
	for (i = 0; i < sizeof(emu_guid_yuy2); i++)
		put8(b, emu_guid_yuy2[i]);
	put8(b, 16);			/* bBitsPerPixel */
	put8(b, EMU_DEFAULT_FRAME);
	put8(b, 0);			/* aspect ratio: not given */
	put8(b, 0);
	put8(b, 0);			/* bmInterlaceFlags */
	put8(b, 0);			/* bCopyProtect */
	emu_put_frames(b, EMU_FORMAT_YUYV, UVC_VS_FRAME_UNCOMPRESSED);
	emu_put_color(b);
}

static void emu_put_mjpeg(struct emu_buf *b)
{
	put8(b, 11);
	put8(b, USB_DT_CS_INTERFACE);
	put8(b, UVC_VS_FORMAT_MJPEG);
	put8(b, EMU_FORMAT_MJPEG);
	put8(b, emu_count_frames(EMU_FORMAT_MJPEG));
	put8(b, 1);			/* bmFlags: fixed-size samples */
	put8(b, EMU_DEFAULT_FRAME);
	put8(b, 0);
	put8(b, 0);
	put8(b, 0);
	put8(b, 0);
	emu_put_frames(b, EMU_FORMAT_MJPEG, UVC_VS_FRAME_MJPEG);
	emu_put_color(b);
}

/* VideoStreaming: input header, then each format with its frames. */
static void emu_put_vs(struct emu_buf *b)
{
	size_t start = b->len;

	put8(b, 13);
	put8(b, USB_DT_CS_INTERFACE);
	put8(b, UVC_VS_INPUT_HEADER);
	put8(b, EMU_FORMATS);
	put16(b, 0);			/* wTotalLength, patched below */
	put8(b, EMU_EP_IN);
	put8(b, 0);			/* bmInfo: no dynamic format change */
	put8(b, EMU_OT_ID);		/* bTerminalLink */
	put8(b, 0);			/* bStillCaptureMethod: none */
	put8(b, 0);			/* bTriggerSupport */
	put8(b, 0);			/* bTriggerUsage */
	put8(b, 0);			/* bControlSize: no bmaControls */
	emu_put_yuyv(b);
	emu_put_mjpeg(b);
	patch16(b, start + 4, b->len - start);
}

static void emu_put_endpoint(struct emu_buf *b, unsigned int maxpacket)
{
	put8(b, USB_DT_ENDPOINT_SIZE);
	put8(b, USB_DT_ENDPOINT);
	put8(b, EMU_EP_IN);
	put8(b, USB_ENDPOINT_XFER_BULK);
	put16(b, maxpacket);
	put8(b, 0);			/* bInterval */
}

static size_t emu_put_config(__u8 *p, size_t size,
			     enum emu_identity identity, unsigned int maxpacket)
{
	struct emu_buf b = { .p = p, .size = size };

	put8(&b, USB_DT_CONFIG_SIZE);
	put8(&b, USB_DT_CONFIG);
	put16(&b, 0);			/* wTotalLength, patched below */
	put8(&b, 2);			/* bNumInterfaces */
	put8(&b, EMU_CONFIG_VALUE);
	put8(&b, 0);			/* iConfiguration */
	put8(&b, USB_CONFIG_ATT_ONE);	/* bus powered */
	put8(&b, 250);			/* 500 mA */
	emu_put_iad(&b, identity);
	emu_put_interface(&b, identity, EMU_VC_INTERFACE, 0,
			  UVC_SC_VIDEOCONTROL);
	emu_put_vc(&b);
	emu_put_interface(&b, identity, EMU_VS_INTERFACE, 1,
			  UVC_SC_VIDEOSTREAMING);
	emu_put_vs(&b);
	emu_put_endpoint(&b, maxpacket);
	patch16(&b, 2, b.len);
	return b.len;
}

static void emu_put_device(__u8 *p)
{
	struct emu_buf b = { .p = p, .size = USB_DT_DEVICE_SIZE };

	put8(&b, USB_DT_DEVICE_SIZE);
	put8(&b, USB_DT_DEVICE);
	put16(&b, 0x0200);		/* USB 2.0 */
	put8(&b, USB_CLASS_MISC);	/* interface association */
	put8(&b, 0x02);
	put8(&b, 0x01);
	put8(&b, 64);			/* ep0 max packet */
	put16(&b, EMU_VENDOR_ID);
	put16(&b, EMU_PRODUCT_ID);
	put16(&b, 0x0100);		/* bcdDevice */
	put8(&b, 1);			/* iManufacturer */
	put8(&b, 2);			/* iProduct */
	put8(&b, 3);			/* iSerialNumber */
	put8(&b, 1);			/* bNumConfigurations */
}

/**
 * emu_desc_build() - every descriptor of one identity
 * @d: filled in
 * @identity: vendor or UVC class codes
 *
 * The device is attached at high speed: one configuration, 512-byte bulk
 * packets.
 */
void emu_desc_build(struct emu_desc *d, enum emu_identity identity)
{
	memset(d, 0, sizeof(*d));
	emu_put_device(d->device);
	d->config_len = emu_put_config(d->config, sizeof(d->config),
				       identity, EMU_MAXPACKET);
}

static const char *const emu_strings[] = {
	NULL,				/* 0: the language list */
	"vlife",
	"vlife USB camera",
	"0001",
};

/**
 * emu_desc_string() - a string descriptor
 * @identity: the product name says which identity this is
 * @index: string index (0: supported languages)
 * @buf: where to write the descriptor
 * @size: room in @buf
 *
 * Return: its length, or -1 if there is no such string.
 */
int emu_desc_string(enum emu_identity identity, unsigned int index,
		    __u8 *buf, size_t size)
{
	struct emu_buf b = { .p = buf, .size = size };
	const char *s;
	char product[64];

	if (index >= ARRAY_SIZE(emu_strings))
		return -1;
	put8(&b, 0);			/* bLength, patched below */
	put8(&b, USB_DT_STRING);
	if (!index) {
		put16(&b, 0x0409);	/* English (US) */
	} else {
		s = emu_strings[index];
		if (index == 2) {
			strcpy(product, s);
			strcat(product, identity == EMU_IDENTITY_UVC ?
				" (UVC)" : " (vendor)");
			s = product;
		}
		for (; *s; s++)		/* UTF-16LE, ASCII only */
			put16(&b, (__u8)*s);
	}
	if (b.len > size || b.len > 255)
		return -1;
	buf[0] = b.len;
	return b.len;
}
