// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-bridge CSI-2 receiver: a subdev with a sink pad facing the sensor
 * and a source pad facing the DMA engine; the source carries the sink's
 * format.  Its memory and its active state belong to the bridge's vlife
 * device; its node is created by the core (vlife_subdev_nodes_register())
 * and passes the bridge's unplug gate.
 */

#include <linux/kernel.h>
#include <linux/string.h>
#include <media/v4l2-common.h>
#include <media/v4l2-subdev.h>

#include "vlife-bridge.h"

/* The first entry and size are the defaults, as the sensor's are. */
const struct vbridge_format vbridge_formats[VBRIDGE_NUM_FORMATS] = {
	{
		.fourcc = V4L2_PIX_FMT_SRGGB10,
		.code = MEDIA_BUS_FMT_SRGGB10_1X10,
		.bpp = 2,
		.hw_format = VBRIDGE_FORMAT_RAW10,
	}, {
		.fourcc = V4L2_PIX_FMT_SRGGB8,
		.code = MEDIA_BUS_FMT_SRGGB8_1X8,
		.bpp = 1,
		.hw_format = VBRIDGE_FORMAT_RAW8,
	},
};

const struct v4l2_frmsize_discrete vbridge_sizes[VBRIDGE_NUM_SIZES] = {
	{ 1920, 1080 },
	{ 1280, 720 },
};

/**
 * vbridge_find_code() - the format carried by a media bus code
 * @code: a MEDIA_BUS_FMT_* code
 *
 * Return: the table entry, or NULL if the bridge does not handle @code.
 */
const struct vbridge_format *vbridge_find_code(u32 code)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vbridge_formats); i++)
		if (vbridge_formats[i].code == code)
			return &vbridge_formats[i];
	return NULL;
}

/**
 * vbridge_find_fourcc() - the format of a pixel format in memory
 * @fourcc: a V4L2_PIX_FMT_* code
 *
 * Return: the table entry, or NULL if the bridge does not write @fourcc.
 */
const struct vbridge_format *vbridge_find_fourcc(u32 fourcc)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vbridge_formats); i++)
		if (vbridge_formats[i].fourcc == fourcc)
			return &vbridge_formats[i];
	return NULL;
}

static void vbridge_csi2_fill(struct v4l2_mbus_framefmt *fmt, u32 code,
			      u32 width, u32 height)
{
	const struct v4l2_frmsize_discrete *size;

	if (!vbridge_find_code(code))
		code = vbridge_formats[0].code;
	size = v4l2_find_nearest_size(vbridge_sizes,
				      ARRAY_SIZE(vbridge_sizes), width,
				      height, width, height);
	memset(fmt, 0, sizeof(*fmt));
	fmt->code = code;
	fmt->width = size->width;
	fmt->height = size->height;
	fmt->field = V4L2_FIELD_NONE;
	fmt->colorspace = V4L2_COLORSPACE_RAW;
	fmt->xfer_func = V4L2_XFER_FUNC_NONE;
	fmt->ycbcr_enc = V4L2_YCBCR_ENC_601;
	fmt->quantization = V4L2_QUANTIZATION_FULL_RANGE;
}

static int vbridge_csi2_init_cfg(struct v4l2_subdev *sd,
				 struct v4l2_subdev_state *state)
{
	const struct v4l2_frmsize_discrete *size = &vbridge_sizes[0];
	unsigned int pad;

	for (pad = 0; pad < VBRIDGE_NUM_PADS; pad++)
		vbridge_csi2_fill(v4l2_subdev_get_pad_format(sd, state, pad),
				  vbridge_formats[0].code, size->width,
				  size->height);
	return 0;
}

static int vbridge_csi2_enum_mbus_code(struct v4l2_subdev *sd,
				       struct v4l2_subdev_state *state,
				       struct v4l2_subdev_mbus_code_enum *code)
{
	struct v4l2_mbus_framefmt *fmt;

	if (code->pad == VBRIDGE_PAD_SINK) {
		if (code->index >= ARRAY_SIZE(vbridge_formats))
			return -EINVAL;
		code->code = vbridge_formats[code->index].code;
		return 0;
	}
	if (code->index)
		return -EINVAL;
	fmt = v4l2_subdev_get_pad_format(sd, state, VBRIDGE_PAD_SOURCE);
	code->code = fmt->code;
	return 0;
}

static int vbridge_csi2_enum_frame_size(struct v4l2_subdev *sd,
					struct v4l2_subdev_state *state,
					struct v4l2_subdev_frame_size_enum *fse)
{
	struct v4l2_mbus_framefmt *fmt;

	if (fse->pad == VBRIDGE_PAD_SINK) {
		if (!vbridge_find_code(fse->code) ||
		    fse->index >= ARRAY_SIZE(vbridge_sizes))
			return -EINVAL;
		fse->min_width = vbridge_sizes[fse->index].width;
		fse->min_height = vbridge_sizes[fse->index].height;
	} else {
		fmt = v4l2_subdev_get_pad_format(sd, state, VBRIDGE_PAD_SOURCE);
		if (fse->index || fse->code != fmt->code)
			return -EINVAL;
		fse->min_width = fmt->width;
		fse->min_height = fmt->height;
	}
	fse->max_width = fse->min_width;
	fse->max_height = fse->min_height;
	return 0;
}

/* The sink takes the nearest supported format; the source follows it. */
static int vbridge_csi2_set_fmt(struct v4l2_subdev *sd,
				struct v4l2_subdev_state *state,
				struct v4l2_subdev_format *format)
{
	struct vbridge *b = v4l2_get_subdevdata(sd);
	struct v4l2_mbus_framefmt *sink;

	if (format->pad == VBRIDGE_PAD_SOURCE)
		return v4l2_subdev_get_fmt(sd, state, format);
	if (format->which == V4L2_SUBDEV_FORMAT_ACTIVE &&
	    media_pad_pipeline(&b->csi2_pads[VBRIDGE_PAD_SINK]))
		return -EBUSY;

	sink = v4l2_subdev_get_pad_format(sd, state, VBRIDGE_PAD_SINK);
	vbridge_csi2_fill(sink, format->format.code, format->format.width,
			  format->format.height);
	format->format = *sink;
	*v4l2_subdev_get_pad_format(sd, state, VBRIDGE_PAD_SOURCE) = *sink;
	return 0;
}

static const struct v4l2_subdev_pad_ops vbridge_csi2_pad_ops = {
	.init_cfg = vbridge_csi2_init_cfg,
	.enum_mbus_code = vbridge_csi2_enum_mbus_code,
	.enum_frame_size = vbridge_csi2_enum_frame_size,
	.get_fmt = v4l2_subdev_get_fmt,
	.set_fmt = vbridge_csi2_set_fmt,
};

static const struct v4l2_subdev_ops vbridge_csi2_ops = {
	.pad = &vbridge_csi2_pad_ops,
};

/* The sensor -> receiver link is checked with the subdev default. */
static const struct media_entity_operations vbridge_csi2_entity_ops = {
	.link_validate = v4l2_subdev_link_validate,
};

static void vbridge_csi2_free(struct vlife_device *vl, void *data)
{
	v4l2_subdev_cleanup(data);
}

/**
 * vbridge_csi2_init() - set up the CSI-2 receiver subdev
 * @b: the bridge, whose vlife device owns the subdev
 *
 * The subdev is embedded in @b; its active state is freed by a managed
 * action on the last reference, after its node (which may be held open)
 * is gone.  Registration comes later, with vlife_subdev_register().
 *
 * Return: 0 or a negative errno.
 */
int vbridge_csi2_init(struct vbridge *b)
{
	struct v4l2_subdev *sd = &b->csi2;
	int ret;

	v4l2_subdev_init(sd, &vbridge_csi2_ops);
	v4l2_set_subdevdata(sd, b);
	sd->owner = THIS_MODULE;
	sd->dev = b->vl.parent;
	sd->fwnode = dev_fwnode(b->vl.parent);
	sd->flags |= V4L2_SUBDEV_FL_HAS_DEVNODE;
	sd->entity.function = MEDIA_ENT_F_VID_IF_BRIDGE;
	sd->entity.ops = &vbridge_csi2_entity_ops;
	strscpy(sd->name, VBRIDGE_CSI2_NAME, sizeof(sd->name));
	b->csi2_pads[VBRIDGE_PAD_SINK].flags = MEDIA_PAD_FL_SINK |
					       MEDIA_PAD_FL_MUST_CONNECT;
	b->csi2_pads[VBRIDGE_PAD_SOURCE].flags = MEDIA_PAD_FL_SOURCE;
	ret = media_entity_pads_init(&sd->entity, VBRIDGE_NUM_PADS,
				     b->csi2_pads);
	if (ret)
		return ret;
	ret = v4l2_subdev_init_finalize(sd);
	if (ret)
		return ret;
	return vlifem_add_action_or_reset(&b->vl, vbridge_csi2_free, sd);
}
