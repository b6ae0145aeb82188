// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-board: the bridge's register block.
 *
 * On a SoC the bridge's registers would be MMIO; here they are a regmap
 * owned by the board device, with reg_read/reg_write callbacks in place
 * of a bus.  The bridge driver, a child of the board, finds it with
 * dev_get_regmap(dev->parent, NULL) as an MFD child would.  The regmap
 * is fast_io (a spinlock), so the bridge may use it from its hard
 * interrupt handler.
 */

#include <linux/device.h>
#include <linux/regmap.h>

#include "vlife-board.h"

static u32 vlife_regs_status(struct vlife_board *b)
{
	return vlife_frame_link_up(b) ? VLIFE_BRIDGE_STATUS_STREAMING : 0;
}

static int vlife_regs_read(void *context, unsigned int reg, unsigned int *val)
{
	struct vlife_board *b = context;
	struct vlife_bridge_regs *r = &b->regs;
	unsigned long flags;

	spin_lock_irqsave(&b->lock, flags);
	switch (reg) {
	case VLIFE_BRIDGE_ID:
		*val = VLIFE_BRIDGE_ID_VALUE;
		break;
	case VLIFE_BRIDGE_CTRL:
		*val = r->ctrl;
		break;
	case VLIFE_BRIDGE_IRQ_STATUS:
		*val = r->irq_status;
		break;
	case VLIFE_BRIDGE_IRQ_ENABLE:
		*val = r->irq_enable;
		break;
	case VLIFE_BRIDGE_WIDTH:
		*val = r->width;
		break;
	case VLIFE_BRIDGE_HEIGHT:
		*val = r->height;
		break;
	case VLIFE_BRIDGE_STRIDE:
		*val = r->stride;
		break;
	case VLIFE_BRIDGE_FORMAT:
		*val = r->format;
		break;
	case VLIFE_BRIDGE_ADDR_LO:
		*val = r->addr_lo;
		break;
	case VLIFE_BRIDGE_ADDR_HI:
		*val = r->addr_hi;
		break;
	case VLIFE_BRIDGE_FRAME_COUNT:
		*val = r->frame_count;
		break;
	case VLIFE_BRIDGE_STATUS:
		*val = vlife_regs_status(b);
		break;
	}
	spin_unlock_irqrestore(&b->lock, flags);
	return 0;
}

/*
 * CTRL.ENABLE: the frame engine writes memory one line at a time under
 * b->lock and checks the generation before each line, so once this write
 * returns no further byte reaches memory.
 */
static void vlife_regs_write_ctrl(struct vlife_board *b, u32 val)
{
	struct vlife_bridge_regs *r = &b->regs;

	val &= VLIFE_BRIDGE_CTRL_ENABLE;
	if (val == r->ctrl)
		return;
	r->ctrl = val;
	r->generation++;
	if (val)
		r->frame_count = 0;
}

static void vlife_regs_write_locked(struct vlife_board *b, unsigned int reg,
				    u32 val)
{
	struct vlife_bridge_regs *r = &b->regs;

	switch (reg) {
	case VLIFE_BRIDGE_CTRL:
		vlife_regs_write_ctrl(b, val);
		break;
	case VLIFE_BRIDGE_IRQ_STATUS:
		r->irq_status &= ~val;
		b->irq.retriggers = 0;
		vlife_irq_update(b, 0);
		break;
	case VLIFE_BRIDGE_IRQ_ENABLE:
		val &= VLIFE_BRIDGE_IRQ_ALL;
		r->irq_enable = val;
		vlife_irq_update(b, val);
		break;
	case VLIFE_BRIDGE_WIDTH:
		r->width = val;
		break;
	case VLIFE_BRIDGE_HEIGHT:
		r->height = val;
		break;
	case VLIFE_BRIDGE_STRIDE:
		r->stride = val;
		break;
	case VLIFE_BRIDGE_FORMAT:
		r->format = val & 1;
		break;
	case VLIFE_BRIDGE_ADDR_LO:
		r->addr_lo = val;
		break;
	case VLIFE_BRIDGE_ADDR_HI:
		r->addr_hi = val;
		break;
	}
}

static int vlife_regs_write(void *context, unsigned int reg, unsigned int val)
{
	struct vlife_board *b = context;
	unsigned long flags;

	spin_lock_irqsave(&b->lock, flags);
	vlife_regs_write_locked(b, reg, val);
	spin_unlock_irqrestore(&b->lock, flags);
	return 0;
}

static bool vlife_regs_writeable(struct device *dev, unsigned int reg)
{
	return reg != VLIFE_BRIDGE_ID && reg != VLIFE_BRIDGE_FRAME_COUNT &&
	       reg != VLIFE_BRIDGE_STATUS;
}

static const struct regmap_config vlife_regs_config = {
	.name = "bridge",
	.reg_bits = 32,
	.val_bits = 32,
	.reg_stride = 4,
	.max_register = VLIFE_BRIDGE_MAX_REG,
	.writeable_reg = vlife_regs_writeable,
	.reg_read = vlife_regs_read,
	.reg_write = vlife_regs_write,
	.fast_io = true,
	.cache_type = REGCACHE_NONE,
};

/**
 * vlife_regs_create() - the bridge's register block, as a regmap
 * @b: the board
 *
 * The regmap is devres-managed on the board device, so it outlives the
 * bridge device (a child, removed first).
 *
 * Return: 0 or a negative errno.
 */
int vlife_regs_create(struct vlife_board *b)
{
	b->regmap = devm_regmap_init(b->dev, NULL, b, &vlife_regs_config);
	return PTR_ERR_OR_ZERO(b->regmap);
}
