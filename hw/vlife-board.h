/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vlife-board: the emulated camera board behind the vlife sample drivers.
 *
 * Private header of the hw/ files.  The drivers never include it: they
 * reach this hardware only through real buses (I2C, a regmap from the
 * parent device, an interrupt, DMA memory), as they would on silicon.
 */
#ifndef _VLIFE_BOARD_H
#define _VLIFE_BOARD_H

#include <linux/hrtimer.h>
#include <linux/i2c.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/property.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct clk_hw;
struct irq_domain;
struct platform_device;
struct regmap;

/* Bridge register block: 32-bit registers, byte offsets */
#define VLIFE_BRIDGE_ID			0x000
#define VLIFE_BRIDGE_ID_VALUE		0x56424731	/* "VBG1" */
#define VLIFE_BRIDGE_CTRL		0x004
#define VLIFE_BRIDGE_CTRL_ENABLE	BIT(0)
#define VLIFE_BRIDGE_IRQ_STATUS		0x008
#define VLIFE_BRIDGE_IRQ_ENABLE		0x00c
#define VLIFE_BRIDGE_IRQ_FRAME_START	BIT(0)
#define VLIFE_BRIDGE_IRQ_FRAME_END	BIT(1)
#define VLIFE_BRIDGE_IRQ_DROPPED	BIT(2)
#define VLIFE_BRIDGE_IRQ_ALL		GENMASK(2, 0)
#define VLIFE_BRIDGE_WIDTH		0x010
#define VLIFE_BRIDGE_HEIGHT		0x014
#define VLIFE_BRIDGE_STRIDE		0x018
#define VLIFE_BRIDGE_FORMAT		0x01c
#define VLIFE_BRIDGE_ADDR_LO		0x020
#define VLIFE_BRIDGE_ADDR_HI		0x024
#define VLIFE_BRIDGE_FRAME_COUNT	0x028
#define VLIFE_BRIDGE_STATUS		0x02c
#define VLIFE_BRIDGE_STATUS_STREAMING	BIT(0)
#define VLIFE_BRIDGE_MAX_REG		VLIFE_BRIDGE_STATUS

/* Pixel formats, as in the bridge's FORMAT register */
#define VLIFE_FMT_RAW8			0
#define VLIFE_FMT_RAW10			1
#define VLIFE_FMT_INVALID		0xff

/* The sensor: I2C address, 16-bit register addresses, big-endian values */
#define VLIFE_SENSOR_ADDR		0x10
#define VLIFE_SENSOR_CHIP_ID_VALUE	0x5649	/* "VI" */
#define VLIFE_SENSOR_PIXEL_RATE		148500000
#define VLIFE_SENSOR_XCLK_RATE		24000000
#define VLIFE_SENSOR_NATIVE_WIDTH	1920
#define VLIFE_SENSOR_NATIVE_HEIGHT	1080
#define VLIFE_SENSOR_LINK_FREQ		456000000ULL

/**
 * enum vlife_sensor_reg - the sensor's registers, in register map order
 * @VLIFE_SREG_CHIP_ID: 0x0000, 16 bit, read-only
 * @VLIFE_SREG_MODE_SELECT: 0x0100, 8 bit, bit 0 streams
 * @VLIFE_SREG_SW_RESET: 0x0103, 8 bit, write-only, 1 resets all registers
 * @VLIFE_SREG_ANALOG_GAIN: 0x0157, 8 bit, gain = 256 / (256 - x)
 * @VLIFE_SREG_DIGITAL_GAIN: 0x0158, 16 bit, 4.8 fixed point
 * @VLIFE_SREG_EXPOSURE: 0x015a, 16 bit, lines
 * @VLIFE_SREG_FRAME_LENGTH: 0x0160, 16 bit, lines per frame
 * @VLIFE_SREG_LINE_LENGTH: 0x0162, 16 bit, pixel clocks per line
 * @VLIFE_SREG_X_OUTPUT_SIZE: 0x016c, 16 bit
 * @VLIFE_SREG_Y_OUTPUT_SIZE: 0x016e, 16 bit
 * @VLIFE_SREG_ORIENTATION: 0x0172, 8 bit, bit 0 hflip, bit 1 vflip
 * @VLIFE_SREG_DATA_FORMAT: 0x018c, 16 bit, 0x0a0a RAW10, 0x0808 RAW8
 * @VLIFE_SREG_TEST_PATTERN: 0x0600, 16 bit, see &enum vlife_pattern
 * @VLIFE_SREG_COUNT: number of registers
 */
enum vlife_sensor_reg {
	VLIFE_SREG_CHIP_ID,
	VLIFE_SREG_MODE_SELECT,
	VLIFE_SREG_SW_RESET,
	VLIFE_SREG_ANALOG_GAIN,
	VLIFE_SREG_DIGITAL_GAIN,
	VLIFE_SREG_EXPOSURE,
	VLIFE_SREG_FRAME_LENGTH,
	VLIFE_SREG_LINE_LENGTH,
	VLIFE_SREG_X_OUTPUT_SIZE,
	VLIFE_SREG_Y_OUTPUT_SIZE,
	VLIFE_SREG_ORIENTATION,
	VLIFE_SREG_DATA_FORMAT,
	VLIFE_SREG_TEST_PATTERN,
	VLIFE_SREG_COUNT,
};

/**
 * enum vlife_pattern - values of the sensor's TEST_PATTERN register
 * @VLIFE_PATTERN_OFF: the "scene": a grey gradient lit by exposure x gain
 * @VLIFE_PATTERN_SOLID: one colour over the whole frame
 * @VLIFE_PATTERN_BARS: eight vertical colour bars
 * @VLIFE_PATTERN_FADE: the colour bars fading to grey towards the bottom
 * @VLIFE_PATTERN_PN9: the PN9 pseudo-random sequence, pixel by pixel
 * @VLIFE_PATTERN_COUNT: number of patterns
 */
enum vlife_pattern {
	VLIFE_PATTERN_OFF,
	VLIFE_PATTERN_SOLID,
	VLIFE_PATTERN_BARS,
	VLIFE_PATTERN_FADE,
	VLIFE_PATTERN_PN9,
	VLIFE_PATTERN_COUNT,
};

/**
 * struct vlife_bridge_regs - the bridge's register state
 * @ctrl: CTRL
 * @irq_status: IRQ_STATUS
 * @irq_enable: IRQ_ENABLE
 * @width: WIDTH
 * @height: HEIGHT
 * @stride: STRIDE
 * @format: FORMAT
 * @addr_lo: ADDR_LO
 * @addr_hi: ADDR_HI
 * @frame_count: FRAME_COUNT
 * @generation: bumped on every change of CTRL.ENABLE; a frame in flight
 *	whose generation is stale stops writing at once
 */
struct vlife_bridge_regs {
	u32 ctrl;
	u32 irq_status;
	u32 irq_enable;
	u32 width;
	u32 height;
	u32 stride;
	u32 format;
	u32 addr_lo;
	u32 addr_hi;
	u32 frame_count;
	u32 generation;
};

/**
 * struct vlife_board_irq - the board's interrupt controller
 * @domain: one hardware interrupt, the bridge's
 * @fwnode: the domain's name
 * @virq: the Linux interrupt number of the bridge's interrupt
 * @work: delivers the interrupt in hard interrupt context
 * @line: the line level, IRQ_STATUS & IRQ_ENABLE != 0 (written under
 *	&vlife_board.lock, read locklessly by the chip callbacks)
 * @masked: the kernel masked the interrupt
 * @retriggers: re-deliveries at unmask since the last acknowledge, to
 *	stop an interrupt storm from a driver that never acknowledges
 */
struct vlife_board_irq {
	struct irq_domain *domain;
	struct fwnode_handle *fwnode;
	unsigned int virq;
	struct irq_work work;
	bool line;
	bool masked;
	unsigned int retriggers;
};

/**
 * struct vlife_frame_engine - the sensor's frame clock and the bridge DMA
 * @timer: frame clock, one expiry per frame period while streaming
 * @work: writes one frame in process context
 * @period_ns: current frame period, from FRAME_LENGTH x LINE_LENGTH
 * @streaming: MODE_SELECT bit 0 as last written (the I2C adapter's bus
 *	lock serialises its writers)
 * @link_up: frames are flowing, the bridge's STATUS.SENSOR_STREAMING
 *	(under &vlife_board.lock)
 * @scratch: one line of 10-bit values being rendered
 * @line: two lines as stored in memory, one per Bayer row parity, reused
 *	while the next line of that parity has the same content
 * @line_key: what each of @line holds
 * @pn9: the PN9 sequence, 10-bit values
 * @pn9_packed: the PN9 sequence as stored in memory, twice over; [0]
 *	forwards, [1] backwards (for horizontal flip)
 * @pn9_format: the format of @pn9_packed
 *
 * Everything but @timer and @streaming belongs to @work.
 */
struct vlife_frame_engine {
	struct hrtimer timer;
	struct work_struct work;
	u64 period_ns;
	bool streaming;
	bool link_up;
	u16 *scratch;
	u8 *line[2];
	u32 line_key[2];
	u16 *pn9;
	u8 *pn9_packed[2];
	u32 pn9_format;
};

/**
 * struct vlife_board_nodes - the firmware graph of one board
 * @board: parent of the two device nodes (anonymous: unique in sysfs)
 * @bridge: the bridge device's node, "vlife-bridge"
 * @bridge_port: its port@0
 * @bridge_ep: its endpoint@0
 * @sensor: the sensor device's node, "vlife-sensor"
 * @sensor_port: its port@0
 * @sensor_ep: its endpoint@0
 * @bridge_remote: reference from @bridge_ep to @sensor_ep
 * @sensor_remote: reference from @sensor_ep to @bridge_ep
 * @bridge_props: properties of @bridge_ep
 * @sensor_props: properties of @sensor_ep
 * @group: the nodes, parents first, NULL-terminated
 * @retired: on the list of unregistered sets waiting to be freed
 */
struct vlife_board_nodes {
	struct software_node board;
	struct software_node bridge;
	struct software_node bridge_port;
	struct software_node bridge_ep;
	struct software_node sensor;
	struct software_node sensor_port;
	struct software_node sensor_ep;
	struct software_node_ref_args bridge_remote[1];
	struct software_node_ref_args sensor_remote[1];
	struct property_entry bridge_props[4];
	struct property_entry sensor_props[5];
	const struct software_node *group[8];
	struct list_head retired;
};

/**
 * struct vlife_board - one emulated board
 * @dev: the board's platform device
 * @id: board number
 * @lock: protects @regs, @sreg, @sensor_ptr, @irq.line and
 *	@frame.link_up, and orders each line the frame engine writes with
 *	CTRL writes; taken from hard interrupt context (the bridge's regmap
 *	is fast_io)
 * @regs: the bridge's registers
 * @sreg: the sensor's registers
 * @sensor_ptr: the sensor's register address pointer (auto-increment)
 * @nodes: the firmware graph
 * @regmap: the bridge's register block, found by the bridge driver with
 *	dev_get_regmap(dev->parent, NULL)
 * @irq: interrupt controller
 * @frame: frame engine
 * @xclk: the sensor's 24 MHz clock
 * @bridge: the bridge's platform device
 * @adap: the I2C adapter the sensor sits on
 * @sensor: the sensor's I2C client
 *
 * Allocated with devm_kzalloc() on the board device: this is hardware,
 * no file handle reaches it.  Every object that uses it is torn down by
 * devres before it is freed, in the reverse order of creation.
 */
struct vlife_board {
	struct device *dev;
	int id;
	spinlock_t lock; /* see kerneldoc */
	struct vlife_bridge_regs regs;
	u16 sreg[VLIFE_SREG_COUNT];
	u16 sensor_ptr;
	struct vlife_board_nodes *nodes;
	struct regmap *regmap;
	struct vlife_board_irq irq;
	struct vlife_frame_engine frame;
	struct clk_hw *xclk;
	struct platform_device *bridge;
	struct i2c_adapter adap;
	struct i2c_client *sensor;
};

/* hw/nodes.c */
int vlife_nodes_create(struct vlife_board *b);
void vlife_nodes_exit(void);

/* hw/regs.c */
int vlife_regs_create(struct vlife_board *b);

/* hw/irq.c */
int vlife_irq_create(struct vlife_board *b);
void vlife_irq_update(struct vlife_board *b, u32 raised);

/* hw/frame.c */
int vlife_frame_create(struct vlife_board *b);
void vlife_frame_stream(struct vlife_board *b, bool on);
bool vlife_frame_link_up(struct vlife_board *b);

/* hw/i2c-sensor.c */
void vlife_sensor_reset(struct vlife_board *b);
int vlife_sensor_create(struct vlife_board *b);

#endif /* _VLIFE_BOARD_H */
