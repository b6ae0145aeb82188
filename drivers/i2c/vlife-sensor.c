// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-sensor: a sample raw Bayer camera sensor driver.
 *
 * A template for I2C sensor drivers that survive being unbound while a
 * bridge streams from them and userspace holds their subdev node open.
 * The sensor (emulated by vlife-board) is a 1920x1080 RGGB CMOS sensor on
 * a 2-lane CSI-2 link, controlled over I2C with 16-bit register addresses.
 *
 * Layout, as drivers/media/i2c/imx219.c: registers, modes, state, register
 * access, controls, pad and video operations, power, probe and remove.
 *
 * Lifetime (see docs/lifetime.rst):
 * - the state is owned by a &struct vlife_device: a bridge's subdev node
 *   may hold it open after unbind, so it is freed on the last reference,
 *   not by devres; the control handler and the subdev's active state go
 *   with it, as managed actions;
 * - devres holds only what belongs to the binding: the clock, the regmap
 *   and the firmware endpoint;
 * - every register access outside probe and remove (s_stream, s_ctrl) is
 *   inside the vlife gate, so a bridge or a file that calls in after
 *   unbind never reaches the bus;
 * - .remove() unplugs first (the bridge is told the sensor is gone), then
 *   powers the sensor down.
 *
 * Test knob (module parameter), so the selftests can be seen to catch the
 * classic mistake (selftests/bugs/sensor.sh):
 * - bug=devm: the state is freed at unbind, as devm_kzalloc() memory is,
 *   while the bridge's node of this subdev may still be open; its
 *   close() reads freed memory (KASAN, on the debug kernel).
 */

#include <linux/clk.h>
#include <linux/delay.h>
#include <linux/i2c.h>
#include <linux/module.h>
#include <linux/pm_runtime.h>
#include <linux/regmap.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <asm/unaligned.h>

#include <media/v4l2-ctrls.h>
#include <media/v4l2-event.h>
#include <media/v4l2-fwnode.h>
#include <media/v4l2-subdev.h>
#include <media/vlife.h>

/*
 * Register addresses carry their width in bits 16-17, as the CCI_REG8()
 * and CCI_REG16() macros of later kernels do.
 */
#define VSEN_REG8(addr)			((1 << 16) | (addr))
#define VSEN_REG16(addr)		((2 << 16) | (addr))
#define VSEN_REG_ADDR(reg)		((reg) & 0xffff)
#define VSEN_REG_WIDTH(reg)		((reg) >> 16)

/* Identification */
#define VSEN_REG_CHIP_ID		VSEN_REG16(0x0000)
#define VSEN_CHIP_ID			0x5649

/* Streaming and reset */
#define VSEN_REG_MODE_SELECT		VSEN_REG8(0x0100)
#define VSEN_MODE_STANDBY		0x00
#define VSEN_MODE_STREAMING		0x01
#define VSEN_REG_SW_RESET		VSEN_REG8(0x0103)

/* Gains: analogue gain = 256 / (256 - x), digital gain 4.8 fixed point */
#define VSEN_REG_ANALOG_GAIN		VSEN_REG8(0x0157)
#define VSEN_ANA_GAIN_MIN		0
#define VSEN_ANA_GAIN_MAX		232
#define VSEN_ANA_GAIN_DEFAULT		0
#define VSEN_REG_DIGITAL_GAIN		VSEN_REG16(0x0158)
#define VSEN_DGTL_GAIN_MIN		0x0100
#define VSEN_DGTL_GAIN_MAX		0x0fff
#define VSEN_DGTL_GAIN_DEFAULT		0x0100

/* Exposure, in lines, at most 4 lines less than the frame */
#define VSEN_REG_EXPOSURE		VSEN_REG16(0x015a)
#define VSEN_EXPOSURE_MIN		4
#define VSEN_EXPOSURE_MARGIN		4
#define VSEN_EXPOSURE_DEFAULT		1000

/* Timing: frame length in lines, line length in pixel clocks */
#define VSEN_REG_FRAME_LENGTH		VSEN_REG16(0x0160)
#define VSEN_FRAME_LENGTH_MAX		0xffff
#define VSEN_VBLANK_MIN			4
#define VSEN_REG_LINE_LENGTH		VSEN_REG16(0x0162)

/* Output size and format */
#define VSEN_REG_X_OUTPUT_SIZE		VSEN_REG16(0x016c)
#define VSEN_REG_Y_OUTPUT_SIZE		VSEN_REG16(0x016e)
#define VSEN_REG_ORIENTATION		VSEN_REG8(0x0172)
#define VSEN_REG_DATA_FORMAT		VSEN_REG16(0x018c)
#define VSEN_DATA_FORMAT_RAW8		0x0808
#define VSEN_DATA_FORMAT_RAW10		0x0a0a

/* Test pattern: the menu index is the register value */
#define VSEN_REG_TEST_PATTERN		VSEN_REG16(0x0600)

/* The pixel array, all of it active */
#define VSEN_NATIVE_WIDTH		1920
#define VSEN_NATIVE_HEIGHT		1080

/* Clocks and link */
#define VSEN_XCLK_FREQ			24000000
#define VSEN_PIXEL_RATE			148500000
#define VSEN_LINK_FREQ			456000000
#define VSEN_NUM_DATA_LANES		2

/* Start-up time after the clock starts, and the runtime PM idle delay */
#define VSEN_POWER_ON_DELAY_US		500
#define VSEN_AUTOSUSPEND_DELAY_MS	1000

static char *bug = "";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug, "put back a lifetime bug: devm");

/**
 * struct vsen_mode - one output mode
 * @width: output width
 * @height: output height
 * @line_length: LINE_LENGTH, pixel clocks per line (fixed per mode)
 * @frame_length: FRAME_LENGTH at mode change, lines per frame
 * @crop: the part of the pixel array read out (scaled to the output)
 */
struct vsen_mode {
	u32 width;
	u32 height;
	u32 line_length;
	u32 frame_length;
	struct v4l2_rect crop;
};

/*
 * Both modes read the whole array; 720p is scaled down by the sensor.
 * The frame rate is VSEN_PIXEL_RATE / (line_length x frame_length): the
 * line length is fixed per mode (HBLANK is read-only), VBLANK sets the
 * frame length.  1080p can reach 60 fps (VBLANK 45, the CEA-861 timing)
 * but starts at 30: every stream that does not ask for more (the test
 * suite's compliance and unplug runs, a plain v4l2-ctl) then moves half
 * the data, which matters on the slow machines these run on, and a
 * sensor's full-resolution default is usually its comfortable rate too.
 */
static const struct vsen_mode vsen_modes[] = {
	{	/* 30 fps; 60 with VBLANK 45 */
		.width = 1920,
		.height = 1080,
		.line_length = 2200,
		.frame_length = 2250,
		.crop = { 0, 0, VSEN_NATIVE_WIDTH, VSEN_NATIVE_HEIGHT },
	},
	{	/* 60 fps; up to 124 with VBLANK 4 */
		.width = 1280,
		.height = 720,
		.line_length = 1650,
		.frame_length = 1500,
		.crop = { 0, 0, VSEN_NATIVE_WIDTH, VSEN_NATIVE_HEIGHT },
	},
};

/*
 * Bus formats, the default first.  The sensor shifts its readout by one
 * pixel when flipped, so the Bayer order stays RGGB.
 */
static const u32 vsen_codes[] = {
	MEDIA_BUS_FMT_SRGGB10_1X10,
	MEDIA_BUS_FMT_SRGGB8_1X8,
};

static const char * const vsen_test_pattern_menu[] = {
	"Disabled",
	"Solid Color",
	"Color Bars",
	"Color Bars Fade to Gray",
	"PN9",
};

/**
 * struct vsen - the sensor's state, owned by its vlife device
 * @vl: the vlife device; frees this structure on its last reference,
 *	which a bridge's open subdev node may hold long after unbind
 * @sd: the subdev, registered with vlife_subdev_async_register()
 * @pad: its source pad
 * @dev: the I2C client's device; hardware, valid until unplug
 * @regmap: register access over I2C (devres: hardware)
 * @xclk: the 24 MHz external clock (devres: hardware)
 * @lock: serialises controls, the subdev's active state and streaming
 * @hdl: controls; freed by a managed action
 * @link_freqs: the link frequency menu, from the firmware
 * @exposure: exposure control, its range follows the frame length
 * @vblank: vertical blanking control
 * @hblank: horizontal blanking control (read-only, follows the mode)
 * @hflip: horizontal flip, in a cluster with @vflip (one register)
 * @vflip: vertical flip
 * @streaming: s_stream(1) succeeded and holds a runtime PM reference
 */
struct vsen {
	struct vlife_device vl;
	struct v4l2_subdev sd;
	struct media_pad pad;
	struct device *dev;
	struct regmap *regmap;
	struct clk *xclk;
	struct mutex lock; /* see kerneldoc */
	struct v4l2_ctrl_handler hdl;
	s64 link_freqs[1];
	struct v4l2_ctrl *exposure;
	struct v4l2_ctrl *vblank;
	struct v4l2_ctrl *hblank;
	struct v4l2_ctrl *hflip;
	struct v4l2_ctrl *vflip;
	bool streaming;
};

static struct vsen *to_vsen(struct v4l2_subdev *sd)
{
	return container_of(sd, struct vsen, sd);
}

/* ------------------------------------------------------------------------
 * Register access
 */

/*
 * Read one register.  With @err, nothing happens if *@err is set already,
 * and a failure is stored there: a sequence of accesses needs one check.
 */
static int vsen_read(struct vsen *s, u32 reg, u32 *val, int *err)
{
	unsigned int width = VSEN_REG_WIDTH(reg);
	u8 buf[2];
	int ret;

	if (err && *err)
		return *err;
	ret = regmap_bulk_read(s->regmap, VSEN_REG_ADDR(reg), buf, width);
	if (ret)
		dev_err(s->dev, "read of 0x%04x failed: %d\n",
			VSEN_REG_ADDR(reg), ret);
	else
		*val = width == 2 ? get_unaligned_be16(buf) : buf[0];
	if (err)
		*err = ret;
	return ret;
}

/* Write one register, big-endian, chaining errors as vsen_read() does. */
static int vsen_write(struct vsen *s, u32 reg, u32 val, int *err)
{
	unsigned int width = VSEN_REG_WIDTH(reg);
	u8 buf[2];
	int ret;

	if (err && *err)
		return *err;
	if (width == 2)
		put_unaligned_be16(val, buf);
	else
		buf[0] = val;
	ret = regmap_bulk_write(s->regmap, VSEN_REG_ADDR(reg), buf, width);
	if (ret)
		dev_err(s->dev, "write of 0x%04x failed: %d\n",
			VSEN_REG_ADDR(reg), ret);
	if (err)
		*err = ret;
	return ret;
}

/* 16-bit register addresses, 8-bit registers, auto-increment. */
static const struct regmap_config vsen_regmap_config = {
	.reg_bits = 16,
	.val_bits = 8,
	.cache_type = REGCACHE_NONE,
};

/* ------------------------------------------------------------------------
 * Modes and formats
 */

static const struct vsen_mode *vsen_find_mode(u32 width, u32 height)
{
	return v4l2_find_nearest_size(vsen_modes, ARRAY_SIZE(vsen_modes),
				      width, height, width, height);
}

static u32 vsen_valid_code(u32 code)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vsen_codes); i++)
		if (vsen_codes[i] == code)
			return code;
	return vsen_codes[0];
}

static void vsen_fill_format(struct v4l2_mbus_framefmt *fmt,
			     const struct vsen_mode *mode, u32 code)
{
	fmt->width = mode->width;
	fmt->height = mode->height;
	fmt->code = code;
	fmt->field = V4L2_FIELD_NONE;
	fmt->colorspace = V4L2_COLORSPACE_RAW;
	fmt->ycbcr_enc = V4L2_MAP_YCBCR_ENC_DEFAULT(fmt->colorspace);
	fmt->quantization = V4L2_MAP_QUANTIZATION_DEFAULT(true,
							  fmt->colorspace,
							  fmt->ycbcr_enc);
	fmt->xfer_func = V4L2_MAP_XFER_FUNC_DEFAULT(fmt->colorspace);
}

/* The mode of the active format; the caller holds the state lock. */
static const struct vsen_mode *vsen_active_mode(struct vsen *s)
{
	struct v4l2_subdev_state *state;
	struct v4l2_mbus_framefmt *fmt;

	state = v4l2_subdev_get_locked_active_state(&s->sd);
	fmt = v4l2_subdev_get_pad_format(&s->sd, state, 0);
	return vsen_find_mode(fmt->width, fmt->height);
}

/* ------------------------------------------------------------------------
 * Controls
 */

/* A longer frame allows a longer exposure. */
static int vsen_update_exposure_range(struct vsen *s, u32 frame_length)
{
	u32 max = frame_length - VSEN_EXPOSURE_MARGIN;

	return __v4l2_ctrl_modify_range(s->exposure, VSEN_EXPOSURE_MIN, max,
					1, min(max, VSEN_EXPOSURE_DEFAULT));
}

static int vsen_write_ctrl(struct vsen *s, struct v4l2_ctrl *ctrl,
			   const struct vsen_mode *mode)
{
	switch (ctrl->id) {
	case V4L2_CID_EXPOSURE:
		return vsen_write(s, VSEN_REG_EXPOSURE, ctrl->val, NULL);
	case V4L2_CID_ANALOGUE_GAIN:
		return vsen_write(s, VSEN_REG_ANALOG_GAIN, ctrl->val, NULL);
	case V4L2_CID_DIGITAL_GAIN:
		return vsen_write(s, VSEN_REG_DIGITAL_GAIN, ctrl->val, NULL);
	case V4L2_CID_TEST_PATTERN:
		return vsen_write(s, VSEN_REG_TEST_PATTERN, ctrl->val, NULL);
	case V4L2_CID_HFLIP:
		/* The cluster's master: both flips, one register. */
		return vsen_write(s, VSEN_REG_ORIENTATION,
				  s->hflip->val | s->vflip->val << 1, NULL);
	case V4L2_CID_VBLANK:
		return vsen_write(s, VSEN_REG_FRAME_LENGTH,
				  mode->height + ctrl->val, NULL);
	default:
		return 0;	/* read-only controls */
	}
}

/*
 * Called with the control lock held, which is also the lock of the
 * subdev's active state.  Values reach the sensor only while it is powered
 * (streaming): s_stream() writes every control at stream on.
 */
static int vsen_s_ctrl(struct v4l2_ctrl *ctrl)
{
	struct vsen *s = container_of(ctrl->handler, struct vsen, hdl);
	const struct vsen_mode *mode = vsen_active_mode(s);
	int idx, ret = 0;

	if (ctrl->id == V4L2_CID_VBLANK) {
		ret = vsen_update_exposure_range(s, mode->height + ctrl->val);
		if (ret)
			return ret;
	}

	/* Hardware from here: not once the sensor is unplugged. */
	if (!vlife_dev_enter(&s->vl, &idx))
		return -ENODEV;
	if (pm_runtime_get_if_in_use(s->dev) > 0) {
		ret = vsen_write_ctrl(s, ctrl, mode);
		pm_runtime_mark_last_busy(s->dev);
		pm_runtime_put_autosuspend(s->dev);
	}
	vlife_dev_exit(&s->vl, idx);
	return ret;
}

static const struct v4l2_ctrl_ops vsen_ctrl_ops = {
	.s_ctrl = vsen_s_ctrl,
};

/* Link frequency and pixel rate: what the hardware is, read-only. */
static void vsen_init_link_ctrls(struct vsen *s)
{
	struct v4l2_ctrl *ctrl;

	ctrl = v4l2_ctrl_new_int_menu(&s->hdl, &vsen_ctrl_ops,
				      V4L2_CID_LINK_FREQ,
				      ARRAY_SIZE(s->link_freqs) - 1, 0,
				      s->link_freqs);
	if (ctrl)
		ctrl->flags |= V4L2_CTRL_FLAG_READ_ONLY;
	v4l2_ctrl_new_std(&s->hdl, &vsen_ctrl_ops, V4L2_CID_PIXEL_RATE,
			  VSEN_PIXEL_RATE, VSEN_PIXEL_RATE, 1,
			  VSEN_PIXEL_RATE);
}

/* Blanking and exposure, for the default mode; set_fmt updates them. */
static void vsen_init_timing_ctrls(struct vsen *s)
{
	const struct vsen_mode *mode = &vsen_modes[0];
	u32 hblank = mode->line_length - mode->width;
	u32 exposure_max = mode->frame_length - VSEN_EXPOSURE_MARGIN;

	s->vblank = v4l2_ctrl_new_std(&s->hdl, &vsen_ctrl_ops,
				      V4L2_CID_VBLANK, VSEN_VBLANK_MIN,
				      VSEN_FRAME_LENGTH_MAX - mode->height, 1,
				      mode->frame_length - mode->height);
	s->hblank = v4l2_ctrl_new_std(&s->hdl, &vsen_ctrl_ops,
				      V4L2_CID_HBLANK, hblank, hblank, 1,
				      hblank);
	if (s->hblank)
		s->hblank->flags |= V4L2_CTRL_FLAG_READ_ONLY;
	s->exposure = v4l2_ctrl_new_std(&s->hdl, &vsen_ctrl_ops,
					V4L2_CID_EXPOSURE, VSEN_EXPOSURE_MIN,
					exposure_max, 1,
					min(exposure_max,
					    VSEN_EXPOSURE_DEFAULT));
}

/* What the image looks like: gains, pattern, flips. */
static void vsen_init_image_ctrls(struct vsen *s)
{
	v4l2_ctrl_new_std(&s->hdl, &vsen_ctrl_ops, V4L2_CID_ANALOGUE_GAIN,
			  VSEN_ANA_GAIN_MIN, VSEN_ANA_GAIN_MAX, 1,
			  VSEN_ANA_GAIN_DEFAULT);
	v4l2_ctrl_new_std(&s->hdl, &vsen_ctrl_ops, V4L2_CID_DIGITAL_GAIN,
			  VSEN_DGTL_GAIN_MIN, VSEN_DGTL_GAIN_MAX, 1,
			  VSEN_DGTL_GAIN_DEFAULT);
	v4l2_ctrl_new_std_menu_items(&s->hdl, &vsen_ctrl_ops,
				     V4L2_CID_TEST_PATTERN,
				     ARRAY_SIZE(vsen_test_pattern_menu) - 1,
				     0, 0, vsen_test_pattern_menu);
	/* Flips keep the Bayer order: they may change while streaming. */
	s->hflip = v4l2_ctrl_new_std(&s->hdl, &vsen_ctrl_ops, V4L2_CID_HFLIP,
				     0, 1, 1, 0);
	s->vflip = v4l2_ctrl_new_std(&s->hdl, &vsen_ctrl_ops, V4L2_CID_VFLIP,
				     0, 1, 1, 0);
	if (s->hflip && s->vflip)
		v4l2_ctrl_cluster(2, &s->hflip);
}

/* Managed action: the handler lives as long as the state. */
static void vsen_free_ctrls(struct vlife_device *vl, void *data)
{
	v4l2_ctrl_handler_free(data);
}

static int vsen_init_ctrls(struct vsen *s)
{
	struct v4l2_fwnode_device_properties props;
	int ret;

	v4l2_ctrl_handler_init(&s->hdl, 12);
	ret = vlifem_add_action_or_reset(&s->vl, vsen_free_ctrls, &s->hdl);
	if (ret)
		return ret;
	s->hdl.lock = &s->lock;
	vsen_init_link_ctrls(s);
	vsen_init_timing_ctrls(s);
	vsen_init_image_ctrls(s);

	/* Orientation and rotation, if the firmware describes them */
	ret = v4l2_fwnode_device_parse(s->dev, &props);
	if (ret)
		return ret;
	v4l2_ctrl_new_fwnode_properties(&s->hdl, &vsen_ctrl_ops, &props);
	if (s->hdl.error)
		return dev_err_probe(s->dev, s->hdl.error,
				     "control init failed\n");
	s->sd.ctrl_handler = &s->hdl;
	return 0;
}

/* ------------------------------------------------------------------------
 * Pad operations, on the subdev's state (locked by the caller)
 */

static int vsen_init_cfg(struct v4l2_subdev *sd,
			 struct v4l2_subdev_state *state)
{
	const struct vsen_mode *mode = &vsen_modes[0];

	vsen_fill_format(v4l2_subdev_get_pad_format(sd, state, 0), mode,
			 vsen_codes[0]);
	*v4l2_subdev_get_pad_crop(sd, state, 0) = mode->crop;
	return 0;
}

static int vsen_enum_mbus_code(struct v4l2_subdev *sd,
			       struct v4l2_subdev_state *state,
			       struct v4l2_subdev_mbus_code_enum *code)
{
	if (code->index >= ARRAY_SIZE(vsen_codes))
		return -EINVAL;
	code->code = vsen_codes[code->index];
	return 0;
}

static int vsen_enum_frame_size(struct v4l2_subdev *sd,
				struct v4l2_subdev_state *state,
				struct v4l2_subdev_frame_size_enum *fse)
{
	if (fse->index >= ARRAY_SIZE(vsen_modes) ||
	    vsen_valid_code(fse->code) != fse->code)
		return -EINVAL;
	fse->min_width = vsen_modes[fse->index].width;
	fse->max_width = fse->min_width;
	fse->min_height = vsen_modes[fse->index].height;
	fse->max_height = fse->min_height;
	return 0;
}

/* A new active mode: blanking limits and defaults follow it. */
static int vsen_update_timing(struct vsen *s, const struct vsen_mode *mode)
{
	u32 hblank = mode->line_length - mode->width;
	int ret;

	ret = __v4l2_ctrl_modify_range(s->hblank, hblank, hblank, 1, hblank);
	if (ret)
		return ret;
	ret = __v4l2_ctrl_modify_range(s->vblank, VSEN_VBLANK_MIN,
				       VSEN_FRAME_LENGTH_MAX - mode->height, 1,
				       mode->frame_length - mode->height);
	if (ret)
		return ret;
	/* The frame rate goes back to the mode's default. */
	ret = __v4l2_ctrl_s_ctrl(s->vblank, mode->frame_length - mode->height);
	if (ret)
		return ret;
	return vsen_update_exposure_range(s, mode->height + s->vblank->val);
}

static int vsen_set_fmt(struct v4l2_subdev *sd,
			struct v4l2_subdev_state *state,
			struct v4l2_subdev_format *fmt)
{
	struct vsen *s = to_vsen(sd);
	const struct vsen_mode *mode;

	if (fmt->which == V4L2_SUBDEV_FORMAT_ACTIVE && s->streaming)
		return -EBUSY;
	mode = vsen_find_mode(fmt->format.width, fmt->format.height);
	vsen_fill_format(&fmt->format, mode,
			 vsen_valid_code(fmt->format.code));
	*v4l2_subdev_get_pad_format(sd, state, fmt->pad) = fmt->format;
	*v4l2_subdev_get_pad_crop(sd, state, fmt->pad) = mode->crop;
	if (fmt->which == V4L2_SUBDEV_FORMAT_ACTIVE)
		return vsen_update_timing(s, mode);
	return 0;
}

static int vsen_get_selection(struct v4l2_subdev *sd,
			      struct v4l2_subdev_state *state,
			      struct v4l2_subdev_selection *sel)
{
	switch (sel->target) {
	case V4L2_SEL_TGT_CROP:
		sel->r = *v4l2_subdev_get_pad_crop(sd, state, sel->pad);
		return 0;
	case V4L2_SEL_TGT_NATIVE_SIZE:
	case V4L2_SEL_TGT_CROP_DEFAULT:
	case V4L2_SEL_TGT_CROP_BOUNDS:
		sel->r.left = 0;
		sel->r.top = 0;
		sel->r.width = VSEN_NATIVE_WIDTH;
		sel->r.height = VSEN_NATIVE_HEIGHT;
		return 0;
	default:
		return -EINVAL;
	}
}

/* ------------------------------------------------------------------------
 * Streaming
 */

/* Mode and format registers; the controls follow. */
static int vsen_write_mode(struct vsen *s, struct v4l2_subdev_state *state)
{
	struct v4l2_mbus_framefmt *fmt;
	const struct vsen_mode *mode;
	int ret = 0;

	fmt = v4l2_subdev_get_pad_format(&s->sd, state, 0);
	mode = vsen_find_mode(fmt->width, fmt->height);
	vsen_write(s, VSEN_REG_X_OUTPUT_SIZE, mode->width, &ret);
	vsen_write(s, VSEN_REG_Y_OUTPUT_SIZE, mode->height, &ret);
	vsen_write(s, VSEN_REG_LINE_LENGTH, mode->line_length, &ret);
	vsen_write(s, VSEN_REG_DATA_FORMAT,
		   fmt->code == MEDIA_BUS_FMT_SRGGB8_1X8 ?
		   VSEN_DATA_FORMAT_RAW8 : VSEN_DATA_FORMAT_RAW10, &ret);
	return ret;
}

/* Power up, program everything, stream.  Inside the gate. */
static int vsen_start_streaming(struct vsen *s,
				struct v4l2_subdev_state *state)
{
	int ret;

	ret = pm_runtime_resume_and_get(s->dev);
	if (ret < 0)
		return ret;
	ret = vsen_write_mode(s, state);
	if (!ret)
		ret = __v4l2_ctrl_handler_setup(&s->hdl);
	if (!ret)
		ret = vsen_write(s, VSEN_REG_MODE_SELECT, VSEN_MODE_STREAMING,
				 NULL);
	if (ret)
		pm_runtime_put_autosuspend(s->dev);
	return ret;
}

/*
 * Stop the sensor if it is still there, and drop the runtime PM reference
 * of stream on in any case: that is bookkeeping, not hardware.
 */
static void vsen_stop_streaming(struct vsen *s)
{
	int idx;

	if (vlife_dev_enter(&s->vl, &idx)) {
		vsen_write(s, VSEN_REG_MODE_SELECT, VSEN_MODE_STANDBY, NULL);
		vlife_dev_exit(&s->vl, idx);
	}
	pm_runtime_mark_last_busy(s->dev);
	pm_runtime_put_autosuspend(s->dev);
}

/*
 * Called by the bridge.  After unplug the bridge may still stop the
 * stream (from its notifier's unbind): that works, without touching the
 * sensor; starting fails with -ENODEV.
 */
static int vsen_s_stream(struct v4l2_subdev *sd, int enable)
{
	struct vsen *s = to_vsen(sd);
	struct v4l2_subdev_state *state;
	int idx, ret = 0;

	state = v4l2_subdev_lock_and_get_active_state(sd);
	if (s->streaming == !!enable)
		goto unlock;
	if (!enable) {
		vsen_stop_streaming(s);
		s->streaming = false;
		goto unlock;
	}
	if (!vlife_dev_enter(&s->vl, &idx)) {
		ret = -ENODEV;
		goto unlock;
	}
	ret = vsen_start_streaming(s, state);
	vlife_dev_exit(&s->vl, idx);
	s->streaming = !ret;
unlock:
	v4l2_subdev_unlock_state(state);
	return ret;
}

static const struct v4l2_subdev_core_ops vsen_core_ops = {
	.subscribe_event = v4l2_ctrl_subdev_subscribe_event,
	.unsubscribe_event = v4l2_event_subdev_unsubscribe,
};

static const struct v4l2_subdev_video_ops vsen_video_ops = {
	.s_stream = vsen_s_stream,
};

static const struct v4l2_subdev_pad_ops vsen_pad_ops = {
	.init_cfg = vsen_init_cfg,
	.enum_mbus_code = vsen_enum_mbus_code,
	.enum_frame_size = vsen_enum_frame_size,
	.get_fmt = v4l2_subdev_get_fmt,
	.set_fmt = vsen_set_fmt,
	.get_selection = vsen_get_selection,
};

static const struct v4l2_subdev_ops vsen_subdev_ops = {
	.core = &vsen_core_ops,
	.video = &vsen_video_ops,
	.pad = &vsen_pad_ops,
};

static const struct media_entity_operations vsen_entity_ops = {
	.link_validate = v4l2_subdev_link_validate,
};

/* Managed action: the active state lives as long as the state. */
static void vsen_cleanup_subdev(struct vlife_device *vl, void *data)
{
	v4l2_subdev_cleanup(data);
}

static int vsen_init_subdev(struct vsen *s)
{
	struct v4l2_subdev *sd = &s->sd;
	int ret;

	sd->flags |= V4L2_SUBDEV_FL_HAS_DEVNODE | V4L2_SUBDEV_FL_HAS_EVENTS;
	sd->entity.function = MEDIA_ENT_F_CAM_SENSOR;
	sd->entity.ops = &vsen_entity_ops;
	s->pad.flags = MEDIA_PAD_FL_SOURCE;
	ret = media_entity_pads_init(&sd->entity, 1, &s->pad);
	if (ret)
		return ret;
	/* One lock for the controls and the state: s_ctrl reads the mode. */
	sd->state_lock = &s->lock;
	ret = v4l2_subdev_init_finalize(sd);
	if (ret)
		return ret;
	return vlifem_add_action_or_reset(&s->vl, vsen_cleanup_subdev, sd);
}

/* ------------------------------------------------------------------------
 * Power
 */

static int vsen_power_on(struct device *dev)
{
	struct vsen *s = to_vsen(dev_get_drvdata(dev));
	int ret;

	ret = clk_prepare_enable(s->xclk);
	if (ret) {
		dev_err(dev, "failed to enable the clock: %d\n", ret);
		return ret;
	}
	usleep_range(VSEN_POWER_ON_DELAY_US, 2 * VSEN_POWER_ON_DELAY_US);
	/* Known state: nothing survives from before the power cycle. */
	ret = vsen_write(s, VSEN_REG_SW_RESET, 1, NULL);
	if (ret)
		clk_disable_unprepare(s->xclk);
	return ret;
}

static int vsen_power_off(struct device *dev)
{
	struct vsen *s = to_vsen(dev_get_drvdata(dev));

	clk_disable_unprepare(s->xclk);
	return 0;
}

/* ------------------------------------------------------------------------
 * Probe and remove
 */

/*
 * Devres: the endpoint belongs to the binding, like the hardware.  It is
 * put after .remove() took the subdev off v4l2-async, the only user of
 * sd->fwnode; holding it longer (an open subdev node can keep the state
 * for ever) would pin the firmware nodes of a board that is gone.
 */
static void vsen_put_endpoint(void *data)
{
	struct vsen *s = data;

	fwnode_handle_put(s->sd.fwnode);
	s->sd.fwnode = NULL;
}

/*
 * The subdev is matched by its endpoint, the node a bridge's notifier
 * finds at the far end of its own endpoint (v4l2-async would otherwise
 * fall back on the device node, and say so).
 */
static int vsen_get_endpoint(struct vsen *s)
{
	s->sd.fwnode = fwnode_graph_get_next_endpoint(dev_fwnode(s->dev),
						      NULL);
	if (!s->sd.fwnode)
		return dev_err_probe(s->dev, -EINVAL, "no endpoint\n");
	return devm_add_action_or_reset(s->dev, vsen_put_endpoint, s);
}

/* The CSI-2 link the firmware describes must be the one we support. */
static int vsen_check_endpoint(struct vsen *s)
{
	struct v4l2_fwnode_endpoint ep = { .bus_type = V4L2_MBUS_CSI2_DPHY };
	int ret;

	ret = vsen_get_endpoint(s);
	if (ret)
		return ret;
	ret = v4l2_fwnode_endpoint_alloc_parse(s->sd.fwnode, &ep);
	if (ret)
		return dev_err_probe(s->dev, ret, "bad endpoint\n");

	if (ep.bus.mipi_csi2.num_data_lanes != VSEN_NUM_DATA_LANES)
		ret = dev_err_probe(s->dev, -EINVAL, "%u data lanes, not %u\n",
				    ep.bus.mipi_csi2.num_data_lanes,
				    VSEN_NUM_DATA_LANES);
	else if (ep.nr_of_link_frequencies != 1 ||
		 ep.link_frequencies[0] != VSEN_LINK_FREQ)
		ret = dev_err_probe(s->dev, -EINVAL,
				    "link-frequencies must be <%u>\n",
				    VSEN_LINK_FREQ);
	else
		s->link_freqs[0] = ep.link_frequencies[0];
	v4l2_fwnode_endpoint_free(&ep);
	return ret;
}

/* Hardware resources, all devres: they go when the driver unbinds. */
static int vsen_get_resources(struct vsen *s, struct i2c_client *client)
{
	unsigned long rate;

	s->xclk = devm_clk_get(s->dev, NULL);
	if (IS_ERR(s->xclk))
		return dev_err_probe(s->dev, PTR_ERR(s->xclk), "no clock\n");
	rate = clk_get_rate(s->xclk);
	if (rate != VSEN_XCLK_FREQ)
		return dev_err_probe(s->dev, -EINVAL, "clock at %lu Hz\n",
				     rate);
	s->regmap = devm_regmap_init_i2c(client, &vsen_regmap_config);
	return PTR_ERR_OR_ZERO(s->regmap);
}

static int vsen_identify(struct vsen *s)
{
	u32 id = 0;
	int ret;

	ret = vsen_read(s, VSEN_REG_CHIP_ID, &id, NULL);
	if (ret)
		return dev_err_probe(s->dev, ret, "no sensor answers\n");
	if (id != VSEN_CHIP_ID)
		return dev_err_probe(s->dev, -ENODEV,
				     "chip id 0x%04x, not 0x%04x\n", id,
				     VSEN_CHIP_ID);
	dev_info(s->dev, "chip id 0x%04x\n", id);
	return 0;
}

/* The sensor is on; runtime PM takes over and may turn it off. */
static void vsen_pm_enable(struct device *dev)
{
	pm_runtime_set_active(dev);
	pm_runtime_get_noresume(dev);
	pm_runtime_enable(dev);
	pm_runtime_set_autosuspend_delay(dev, VSEN_AUTOSUSPEND_DELAY_MS);
	pm_runtime_use_autosuspend(dev);
}

/* Runtime PM off, the sensor off, whatever state it was left in. */
static void vsen_pm_disable(struct device *dev)
{
	pm_runtime_disable(dev);
	if (!pm_runtime_status_suspended(dev))
		vsen_power_off(dev);
	pm_runtime_set_suspended(dev);
	pm_runtime_dont_use_autosuspend(dev);
}

/* Software objects: everything here is freed with the state. */
static int vsen_init_objects(struct vsen *s)
{
	int ret;

	ret = vlifem_mutex_init(&s->vl, &s->lock);
	if (ret)
		return ret;
	ret = vsen_init_ctrls(s);
	if (ret)
		return ret;
	return vsen_init_subdev(s);
}

/* bug=devm: the state is freed at unbind, as devm_kzalloc() memory is. */
static void vsen_bug_devm_free(void *data)
{
	struct vsen **state = data;

	kfree(*state);
}

/*
 * bug=devm: a devres action that frees the state at unbind, open files or
 * not.  Registered before vlife_dev_alloc(), so it runs after devres has
 * dropped the driver's reference; the reference vsen_probe() adds keeps
 * the core from freeing the state a second time.
 */
static int vsen_bug_devm(struct device *dev, struct vsen ***state)
{
	*state = devm_kzalloc(dev, sizeof(**state), GFP_KERNEL);
	if (!*state)
		return -ENOMEM;
	return devm_add_action_or_reset(dev, vsen_bug_devm_free, *state);
}

/*
 * Probe: hardware (endpoint, clock, regmap, chip id), then software
 * objects, then registration last.  A failure before registration needs
 * no unwinding of the state: devres drops the vlife device's driver
 * reference, whose release frees the controls and the subdev state.
 */
static int vsen_probe(struct i2c_client *client)
{
	struct device *dev = &client->dev;
	struct vsen **bug_state = NULL;
	struct vsen *s;
	int ret;

	if (!strcmp(bug, "devm")) {
		ret = vsen_bug_devm(dev, &bug_state);
		if (ret)
			return ret;
	}
	s = vlife_dev_alloc(dev, NULL, struct vsen, vl);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (bug_state) {
		*bug_state = s;
		vlife_dev_get(&s->vl, VLIFE_REF_OTHER);
	}
	s->dev = dev;
	v4l2_i2c_subdev_init(&s->sd, client, &vsen_subdev_ops);

	ret = vsen_check_endpoint(s);
	if (ret)
		return ret;
	ret = vsen_get_resources(s, client);
	if (ret)
		return ret;
	ret = vsen_power_on(dev);
	if (ret)
		return ret;
	ret = vsen_identify(s);
	if (ret)
		goto err_power_off;
	ret = vsen_init_objects(s);
	if (ret)
		goto err_power_off;

	vsen_pm_enable(dev);
	ret = vlife_subdev_async_register(&s->vl, &s->sd);
	if (ret) {
		dev_err_probe(dev, ret, "async registration failed\n");
		goto err_pm;
	}
	pm_runtime_mark_last_busy(dev);
	pm_runtime_put_autosuspend(dev);
	return 0;

err_pm:
	pm_runtime_put_noidle(dev);
	vsen_pm_disable(dev);
	return ret;
err_power_off:
	vsen_power_off(dev);
	return ret;
}

/*
 * Unplug first: no file or bridge call reaches the sensor afterwards, and
 * the bridge lets go of the subdev.  A stream the bridge did not stop
 * still holds its runtime PM reference: drop it, then power off.  The
 * state stays until the last subdev file is closed.
 */
static void vsen_remove(struct i2c_client *client)
{
	struct vsen *s = to_vsen(i2c_get_clientdata(client));

	vlife_dev_unplug(&s->vl);
	mutex_lock(&s->lock);
	if (s->streaming) {
		s->streaming = false;
		pm_runtime_put_noidle(s->dev);
	}
	mutex_unlock(&s->lock);
	vsen_pm_disable(s->dev);
}

static const struct dev_pm_ops vsen_pm_ops = {
	SET_RUNTIME_PM_OPS(vsen_power_off, vsen_power_on, NULL)
};

static const struct i2c_device_id vsen_id[] = {
	{ "vlife-sensor" },
	{ }
};
MODULE_DEVICE_TABLE(i2c, vsen_id);

static struct i2c_driver vsen_driver = {
	.driver = {
		.name = "vlife-sensor",
		.pm = &vsen_pm_ops,
	},
	.probe_new = vsen_probe,
	.remove = vsen_remove,
	.id_table = vsen_id,
};
module_i2c_driver(vsen_driver);

MODULE_DESCRIPTION("vlife sample camera sensor (I2C, raw Bayer, CSI-2)");
MODULE_LICENSE("GPL");
