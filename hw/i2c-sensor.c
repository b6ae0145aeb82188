// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-board: the I2C adapter and the sensor's register file behind it.
 *
 * master_xfer plays the sensor at address 0x10 the way CCI (I2C) sensors
 * answer: a write message is a 16-bit big-endian register address then
 * data bytes, written to consecutive addresses; a read message returns
 * bytes from the current address, auto-incrementing.  A message to any
 * other address is not acknowledged (-ENXIO), and so is everything while
 * the sensor's clock is off; a write too short to hold an address fails
 * with -EIO.  Multi-byte registers are big-endian.
 */

#include <linux/clk-provider.h>
#include <linux/clkdev.h>
#include <linux/device.h>
#include <linux/i2c.h>
#include <linux/module.h>

#include <asm/unaligned.h>

#include "vlife-board.h"

#define VLIFE_SREG_RO		BIT(0)
#define VLIFE_SREG_WO		BIT(1)

/**
 * struct vlife_sreg_desc - one register of the sensor
 * @addr: first byte's address
 * @width: 1 or 2 bytes
 * @flags: VLIFE_SREG_RO, VLIFE_SREG_WO
 * @def: value after reset
 */
struct vlife_sreg_desc {
	u16 addr;
	u8 width;
	u8 flags;
	u16 def;
};

/* Indexed by enum vlife_sensor_reg. */
static const struct vlife_sreg_desc vlife_sregs[VLIFE_SREG_COUNT] = {
	[VLIFE_SREG_CHIP_ID] = { 0x0000, 2, VLIFE_SREG_RO,
				 VLIFE_SENSOR_CHIP_ID_VALUE },
	[VLIFE_SREG_MODE_SELECT] = { 0x0100, 1, 0, 0 },
	[VLIFE_SREG_SW_RESET] = { 0x0103, 1, VLIFE_SREG_WO, 0 },
	[VLIFE_SREG_ANALOG_GAIN] = { 0x0157, 1, 0, 0 },
	[VLIFE_SREG_DIGITAL_GAIN] = { 0x0158, 2, 0, 0x0100 },
	[VLIFE_SREG_EXPOSURE] = { 0x015a, 2, 0, 1000 },
	[VLIFE_SREG_FRAME_LENGTH] = { 0x0160, 2, 0, 2250 },
	[VLIFE_SREG_LINE_LENGTH] = { 0x0162, 2, 0, 2200 },
	[VLIFE_SREG_X_OUTPUT_SIZE] = { 0x016c, 2, 0, 1920 },
	[VLIFE_SREG_Y_OUTPUT_SIZE] = { 0x016e, 2, 0, 1080 },
	[VLIFE_SREG_ORIENTATION] = { 0x0172, 1, 0, 0 },
	[VLIFE_SREG_DATA_FORMAT] = { 0x018c, 2, 0, 0x0a0a },
	[VLIFE_SREG_TEST_PATTERN] = { 0x0600, 2, 0, 0 },
};

/**
 * vlife_sensor_reset() - put every sensor register back to its default
 * @b: the board, with @b->lock held
 */
void vlife_sensor_reset(struct vlife_board *b)
{
	unsigned int i;

	for (i = 0; i < VLIFE_SREG_COUNT; i++)
		b->sreg[i] = vlife_sregs[i].def;
}

/* The register holding byte @addr and the byte's shift in it, or -1. */
static int vlife_sensor_find(u16 addr, unsigned int *shift)
{
	unsigned int i;

	for (i = 0; i < VLIFE_SREG_COUNT; i++) {
		const struct vlife_sreg_desc *d = &vlife_sregs[i];

		if (addr >= d->addr && addr < d->addr + d->width) {
			*shift = 8 * (d->addr + d->width - 1 - addr);
			return i;
		}
	}
	return -1;
}

static u8 vlife_sensor_read_byte(struct vlife_board *b, u16 addr)
{
	unsigned int shift;
	int reg = vlife_sensor_find(addr, &shift);

	if (reg < 0 || vlife_sregs[reg].flags & VLIFE_SREG_WO)
		return 0;
	return b->sreg[reg] >> shift;
}

/* Unknown and read-only bytes ignore writes, as on most sensors. */
static void vlife_sensor_write_byte(struct vlife_board *b, u16 addr, u8 val)
{
	unsigned int shift;
	int reg = vlife_sensor_find(addr, &shift);

	if (reg < 0 || vlife_sregs[reg].flags & VLIFE_SREG_RO)
		return;
	if (reg == VLIFE_SREG_SW_RESET) {
		if (val & 1)
			vlife_sensor_reset(b);
		return;
	}
	b->sreg[reg] = (b->sreg[reg] & ~(0xff << shift)) | val << shift;
}

static void vlife_sensor_read(struct vlife_board *b, struct i2c_msg *msg)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&b->lock, flags);
	for (i = 0; i < msg->len; i++)
		msg->buf[i] = vlife_sensor_read_byte(b, b->sensor_ptr++);
	spin_unlock_irqrestore(&b->lock, flags);
}

/* Returns whether the sensor streams after the message. */
static bool vlife_sensor_write(struct vlife_board *b, struct i2c_msg *msg)
{
	unsigned long flags;
	unsigned int i;
	bool streaming;

	spin_lock_irqsave(&b->lock, flags);
	b->sensor_ptr = get_unaligned_be16(msg->buf);
	for (i = 2; i < msg->len; i++)
		vlife_sensor_write_byte(b, b->sensor_ptr++, msg->buf[i]);
	streaming = b->sreg[VLIFE_SREG_MODE_SELECT] & 1;
	spin_unlock_irqrestore(&b->lock, flags);
	return streaming;
}

static int vlife_sensor_msg(struct vlife_board *b, struct i2c_msg *msg)
{
	if (msg->addr != VLIFE_SENSOR_ADDR || msg->flags & I2C_M_TEN)
		return -ENXIO;
	/* No clock, no I2C: the sensor's logic is not running. */
	if (!clk_hw_is_enabled(b->xclk))
		return -ENXIO;
	if (msg->flags & I2C_M_RECV_LEN)
		return -EOPNOTSUPP;
	if (msg->flags & I2C_M_RD) {
		vlife_sensor_read(b, msg);
		return 0;
	}
	if (!msg->len)		/* SMBus quick write: an address probe */
		return 0;
	if (msg->len < 2)
		return -EIO;
	vlife_frame_stream(b, vlife_sensor_write(b, msg));
	return 0;
}

static int vlife_i2c_xfer(struct i2c_adapter *adap, struct i2c_msg *msgs,
			  int num)
{
	struct vlife_board *b = i2c_get_adapdata(adap);
	int i, ret;

	for (i = 0; i < num; i++) {
		ret = vlife_sensor_msg(b, &msgs[i]);
		if (ret)
			return ret;
	}
	return num;
}

static u32 vlife_i2c_func(struct i2c_adapter *adap)
{
	return I2C_FUNC_I2C | I2C_FUNC_SMBUS_QUICK | I2C_FUNC_SMBUS_READ_BYTE;
}

static const struct i2c_algorithm vlife_i2c_algo = {
	.master_xfer = vlife_i2c_xfer,
	.functionality = vlife_i2c_func,
};

static void vlife_i2c_del_adapter(void *data)
{
	i2c_del_adapter(data);
}

static int vlife_i2c_add_adapter(struct vlife_board *b)
{
	struct i2c_adapter *adap = &b->adap;
	int ret;

	adap->owner = THIS_MODULE;
	adap->algo = &vlife_i2c_algo;
	adap->dev.parent = b->dev;
	snprintf(adap->name, sizeof(adap->name), "vlife-i2c.%d", b->id);
	i2c_set_adapdata(adap, b);
	ret = i2c_add_adapter(adap);
	if (ret)
		return ret;
	return devm_add_action_or_reset(b->dev, vlife_i2c_del_adapter, adap);
}

static void vlife_i2c_remove_sensor(void *data)
{
	i2c_unregister_device(data);
}

static int vlife_i2c_add_sensor(struct vlife_board *b)
{
	struct i2c_board_info info = {
		I2C_BOARD_INFO("vlife-sensor", VLIFE_SENSOR_ADDR),
		.swnode = &b->nodes->sensor,
	};

	b->sensor = i2c_new_client_device(&b->adap, &info);
	if (IS_ERR(b->sensor))
		return PTR_ERR(b->sensor);
	return devm_add_action_or_reset(b->dev, vlife_i2c_remove_sensor,
					b->sensor);
}

/**
 * vlife_sensor_create() - the I2C adapter, the clock lookup, the sensor
 * @b: the board, with its clock registered
 *
 * The clock lookup needs the client's name ("<bus>-0010"), so it comes
 * after the adapter and before the client: the sensor driver may probe
 * as soon as the client exists.  Devres removes the client, then the
 * lookup, then the adapter.
 *
 * Return: 0 or a negative errno.
 */
int vlife_sensor_create(struct vlife_board *b)
{
	char name[16];
	int ret;

	ret = vlife_i2c_add_adapter(b);
	if (ret)
		return ret;
	snprintf(name, sizeof(name), "%d-%04x", i2c_adapter_id(&b->adap),
		 VLIFE_SENSOR_ADDR);
	ret = devm_clk_hw_register_clkdev(b->dev, b->xclk, NULL, name);
	if (ret)
		return ret;
	return vlife_i2c_add_sensor(b);
}
