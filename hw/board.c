// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-board: an emulated camera board for the vlife sample drivers.
 *
 * Loading the module creates `boards` platform devices "vlife-board.N";
 * the board driver bound to each one builds what a SoC and its device
 * tree would provide:
 *
 *	vlife-board.N			the board: owns everything below
 *	  regmap "bridge"		the bridge's register block
 *	  irq domain vlife-board-N	one interrupt, for the bridge
 *	  clock vlife-board.N-xclk	24 MHz, the sensor's external clock
 *	  vlife-bridge.N		platform device: IRQ resource, 32-bit
 *					DMA mask, firmware node "vlife-bridge"
 *	  i2c adapter "vlife-i2c.N"	the sensor's register file
 *	    <bus>-0010			i2c client "vlife-sensor", firmware
 *					node "vlife-sensor"
 *
 * The two firmware nodes carry the endpoint graph that links the sensor
 * to the bridge (hw/nodes.c).  The sensor streams into the bridge's DMA
 * engine (hw/frame.c), which raises the bridge's interrupt (hw/irq.c).
 *
 * Everything is devres-managed on the board device and goes in reverse
 * order: the sensor client, its clock lookup, the adapter, the bridge
 * device, the frame engine, the clock, the interrupt controller, the
 * registers, the graph.
 * Unloading the module, or unbinding a board, is a hot unplug of the
 * whole board.
 */

#include <linux/clk-provider.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "vlife-board.h"

#define VLIFE_BOARD_NAME	"vlife-board"
#define VLIFE_BOARD_MAX		32

static unsigned int boards = 1;
module_param(boards, uint, 0444);
MODULE_PARM_DESC(boards, "number of boards to create (1-32)");

static void vlife_board_remove_bridge(void *data)
{
	platform_device_unregister(data);
}

/* The bridge: a child device with the interrupt and the firmware node. */
static int vlife_board_add_bridge(struct vlife_board *b)
{
	struct resource res = DEFINE_RES_IRQ(b->irq.virq);
	struct platform_device_info info = {
		.parent = b->dev,
		.fwnode = software_node_fwnode(&b->nodes->bridge),
		.name = "vlife-bridge",
		.id = b->id,
		.res = &res,
		.num_res = 1,
		.dma_mask = DMA_BIT_MASK(32),
	};

	b->bridge = platform_device_register_full(&info);
	if (IS_ERR(b->bridge))
		return PTR_ERR(b->bridge);
	return devm_add_action_or_reset(b->dev, vlife_board_remove_bridge,
					b->bridge);
}

static void vlife_board_remove_clock(void *data)
{
	clk_hw_unregister_fixed_rate(data);
}

/*
 * The sensor's clock.  Registered without a device, so that it has no
 * owner module: a clock consumer pins its provider's module, and the
 * sensor would then keep this module from unloading, when unloading it
 * is how the board is pulled.  Devres unregisters it after the sensor.
 */
static int vlife_board_add_clock(struct vlife_board *b)
{
	char name[32];

	snprintf(name, sizeof(name), "%s-xclk", dev_name(b->dev));
	b->xclk = clk_hw_register_fixed_rate(NULL, name, NULL, 0,
					     VLIFE_SENSOR_XCLK_RATE);
	if (IS_ERR(b->xclk))
		return PTR_ERR(b->xclk);
	return devm_add_action_or_reset(b->dev, vlife_board_remove_clock,
					b->xclk);
}

static int vlife_board_probe(struct platform_device *pdev)
{
	struct vlife_board *b;
	int ret;

	b = devm_kzalloc(&pdev->dev, sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->dev = &pdev->dev;
	b->id = pdev->id;
	spin_lock_init(&b->lock);
	vlife_sensor_reset(b);
	platform_set_drvdata(pdev, b);

	ret = vlife_nodes_create(b);
	if (ret)
		return ret;
	ret = vlife_regs_create(b);
	if (ret)
		return ret;
	ret = vlife_irq_create(b);
	if (ret)
		return ret;
	/* Before the frame engine, which reads it until it is stopped. */
	ret = vlife_board_add_clock(b);
	if (ret)
		return ret;
	ret = vlife_frame_create(b);
	if (ret)
		return ret;
	ret = vlife_board_add_bridge(b);
	if (ret)
		return ret;
	return vlife_sensor_create(b);
}

static struct platform_driver vlife_board_driver = {
	.probe = vlife_board_probe,
	.driver = {
		.name = VLIFE_BOARD_NAME,
	},
};

static struct platform_device *vlife_board_pdevs[VLIFE_BOARD_MAX];

static void vlife_board_unregister(void)
{
	int i;

	for (i = VLIFE_BOARD_MAX - 1; i >= 0; i--)
		platform_device_unregister(vlife_board_pdevs[i]);
}

static int __init vlife_board_init(void)
{
	unsigned int i;
	int ret;

	if (!boards || boards > VLIFE_BOARD_MAX)
		return -EINVAL;
	ret = platform_driver_register(&vlife_board_driver);
	if (ret)
		return ret;
	for (i = 0; i < boards; i++) {
		vlife_board_pdevs[i] =
			platform_device_register_simple(VLIFE_BOARD_NAME, i,
							NULL, 0);
		if (IS_ERR(vlife_board_pdevs[i])) {
			ret = PTR_ERR(vlife_board_pdevs[i]);
			vlife_board_pdevs[i] = NULL;
			vlife_board_unregister();
			platform_driver_unregister(&vlife_board_driver);
			vlife_nodes_exit();
			return ret;
		}
	}
	return 0;
}

static void __exit vlife_board_exit(void)
{
	vlife_board_unregister();
	platform_driver_unregister(&vlife_board_driver);
	vlife_nodes_exit();
}

module_init(vlife_board_init);
module_exit(vlife_board_exit);

MODULE_DESCRIPTION("vlife emulated camera board: sensor, bridge, DMA, IRQ");
MODULE_LICENSE("GPL");
