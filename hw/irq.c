// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-board: the board's interrupt controller.
 *
 * One level-triggered line, high while IRQ_STATUS & IRQ_ENABLE of the
 * bridge is not zero.  Built like kernel/irq/irq_sim.c (which Debian's
 * kernel does not enable): an irq_domain with a small irq_chip, and an
 * irq_work that calls the handler in hard interrupt context, as a real
 * interrupt controller would.  handle_level_irq() masks the line while
 * the handler (or a oneshot thread) runs; unmasking a line that is still
 * high delivers it again.
 */

#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>

#include "vlife-board.h"

/* A driver that never acknowledges gets this many re-deliveries. */
#define VLIFE_IRQ_MAX_RETRIGGERS	1000

static struct vlife_board *vlife_irq_board(struct irq_data *d)
{
	return irq_data_get_irq_chip_data(d);
}

static void vlife_irq_mask(struct irq_data *d)
{
	WRITE_ONCE(vlife_irq_board(d)->irq.masked, true);
}

/* Level semantics: a line still high fires again once unmasked. */
static void vlife_irq_unmask(struct irq_data *d)
{
	struct vlife_board *b = vlife_irq_board(d);

	WRITE_ONCE(b->irq.masked, false);
	if (!READ_ONCE(b->irq.line))
		return;
	if (++b->irq.retriggers == VLIFE_IRQ_MAX_RETRIGGERS)
		dev_warn(b->dev, "interrupt storm: IRQ_STATUS never cleared\n");
	if (b->irq.retriggers < VLIFE_IRQ_MAX_RETRIGGERS)
		irq_work_queue(&b->irq.work);
}

static int vlife_irq_set_type(struct irq_data *d, unsigned int type)
{
	return type == IRQ_TYPE_LEVEL_HIGH ? 0 : -EINVAL;
}

static struct irq_chip vlife_irq_chip = {
	.name = "vlife-board",
	.irq_mask = vlife_irq_mask,
	.irq_unmask = vlife_irq_unmask,
	.irq_set_type = vlife_irq_set_type,
	.flags = IRQCHIP_SKIP_SET_WAKE,
};

/* Hard interrupt context, like the CPU taking the interrupt. */
static void vlife_irq_deliver(struct irq_work *work)
{
	struct vlife_board *b = container_of(work, struct vlife_board,
					     irq.work);

	if (READ_ONCE(b->irq.line) && !READ_ONCE(b->irq.masked))
		generic_handle_domain_irq(b->irq.domain, 0);
}

/**
 * vlife_irq_update() - recompute the line after a register change
 * @b: the board, with @b->lock held
 * @raised: IRQ_STATUS or IRQ_ENABLE bits that were just set
 *
 * An event that is both pending and enabled is delivered (unless masked:
 * then it waits for the unmask).
 */
void vlife_irq_update(struct vlife_board *b, u32 raised)
{
	u32 active = b->regs.irq_status & b->regs.irq_enable;

	lockdep_assert_held(&b->lock);
	WRITE_ONCE(b->irq.line, active != 0);
	if (active & raised)
		irq_work_queue(&b->irq.work);
}

static int vlife_irq_map(struct irq_domain *domain, unsigned int virq,
			 irq_hw_number_t hwirq)
{
	irq_set_chip_and_handler(virq, &vlife_irq_chip, handle_level_irq);
	irq_set_chip_data(virq, domain->host_data);
	irq_modify_status(virq, IRQ_NOREQUEST | IRQ_NOAUTOEN,
			  IRQ_NOPROBE | IRQ_LEVEL);
	return 0;
}

static const struct irq_domain_ops vlife_irq_domain_ops = {
	.map = vlife_irq_map,
	.xlate = irq_domain_xlate_onecell,
};

/* Runs after the bridge device, the only user of the interrupt, is gone. */
static void vlife_irq_destroy(void *data)
{
	struct vlife_board *b = data;

	irq_work_sync(&b->irq.work);
	irq_dispose_mapping(b->irq.virq);
	irq_domain_remove(b->irq.domain);
	irq_domain_free_fwnode(b->irq.fwnode);
}

/**
 * vlife_irq_create() - the interrupt controller and the bridge's interrupt
 * @b: the board
 *
 * Torn down by devres.
 *
 * Return: 0 or a negative errno.
 */
int vlife_irq_create(struct vlife_board *b)
{
	struct vlife_board_irq *irq = &b->irq;

	irq->work = IRQ_WORK_INIT_HARD(vlife_irq_deliver);
	irq->masked = true;
	irq->fwnode = irq_domain_alloc_named_id_fwnode("vlife-board", b->id);
	if (!irq->fwnode)
		return -ENOMEM;
	irq->domain = irq_domain_create_linear(irq->fwnode, 1,
					       &vlife_irq_domain_ops, b);
	if (!irq->domain) {
		irq_domain_free_fwnode(irq->fwnode);
		return -ENOMEM;
	}
	irq->virq = irq_create_mapping(irq->domain, 0);
	if (!irq->virq) {
		irq_domain_remove(irq->domain);
		irq_domain_free_fwnode(irq->fwnode);
		return -ENOMEM;
	}
	return devm_add_action_or_reset(b->dev, vlife_irq_destroy, b);
}
