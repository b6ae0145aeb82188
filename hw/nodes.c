// SPDX-License-Identifier: GPL-2.0
/*
 * vlife-board: the firmware graph that links the sensor to the bridge.
 *
 * What a device tree would say, as software nodes:
 *
 *	<anonymous board node> {
 *		vlife-bridge {
 *			port@0 { endpoint@0 {
 *				bus-type = <4>;		// CSI-2 D-PHY
 *				data-lanes = <1 2>;
 *				remote-endpoint = <&sensor_ep>;
 *			}; };
 *		};
 *		vlife-sensor {
 *			port@0 { sensor_ep: endpoint@0 {
 *				bus-type = <4>;
 *				data-lanes = <1 2>;
 *				link-frequencies = /bits/ 64 <456000000>;
 *				remote-endpoint = <&bridge_ep>;
 *			}; };
 *		};
 *	};
 *
 * The board node has no name, so the kernel calls it "node<N>" with an N
 * that stays unique until its kobject is released: a board created again
 * while the previous one's kobjects wait for a delayed release (as under
 * CONFIG_DEBUG_KOBJECT_RELEASE) does not clash with it in sysfs.
 */

#include <linux/device.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/property.h>
#include <linux/slab.h>

#include "vlife-board.h"

/*
 * The firmware "bus-type" value of CSI-2 D-PHY (MEDIA_BUS_TYPE_CSI2_DPHY
 * of later kernels' dt-bindings/media/video-interfaces.h; 6.1 keeps the
 * enum private to v4l2-fwnode.c).
 */
#define VLIFE_NODES_BUS_TYPE_CSI2_DPHY	4

static const u32 vlife_nodes_lanes[] = { 1, 2 };
static const u64 vlife_nodes_link_freqs[] = { VLIFE_SENSOR_LINK_FREQ };

static void vlife_nodes_endpoint(struct property_entry *props,
				 struct software_node_ref_args *remote,
				 const struct software_node *peer)
{
	remote->node = peer;
	remote->nargs = 0;
	props[0] = PROPERTY_ENTRY_U32("bus-type",
				      VLIFE_NODES_BUS_TYPE_CSI2_DPHY);
	props[1] = PROPERTY_ENTRY_U32_ARRAY("data-lanes", vlife_nodes_lanes);
	props[2] = PROPERTY_ENTRY_REF_ARRAY_LEN("remote-endpoint", remote, 1);
}

static void vlife_nodes_device(struct software_node *dev,
			       struct software_node *port,
			       struct software_node *ep,
			       const struct software_node *board,
			       const char *name)
{
	dev->name = name;
	dev->parent = board;
	port->name = "port@0";
	port->parent = dev;
	ep->name = "endpoint@0";
	ep->parent = port;
}

static void vlife_nodes_init(struct vlife_board_nodes *n)
{
	vlife_nodes_device(&n->bridge, &n->bridge_port, &n->bridge_ep,
			   &n->board, "vlife-bridge");
	vlife_nodes_device(&n->sensor, &n->sensor_port, &n->sensor_ep,
			   &n->board, "vlife-sensor");

	vlife_nodes_endpoint(n->bridge_props, n->bridge_remote, &n->sensor_ep);
	n->bridge_ep.properties = n->bridge_props;
	vlife_nodes_endpoint(n->sensor_props, n->sensor_remote, &n->bridge_ep);
	n->sensor_props[3] = PROPERTY_ENTRY_U64_ARRAY("link-frequencies",
						      vlife_nodes_link_freqs);
	n->sensor_ep.properties = n->sensor_props;

	n->group[0] = &n->board;
	n->group[1] = &n->bridge;
	n->group[2] = &n->bridge_port;
	n->group[3] = &n->bridge_ep;
	n->group[4] = &n->sensor;
	n->group[5] = &n->sensor_port;
	n->group[6] = &n->sensor_ep;
}

/*
 * Node memory outlives the nodes' registration.  The kernel's list of
 * software nodes points at it until each node's kobject is released,
 * which may come late: CONFIG_DEBUG_KOBJECT_RELEASE delays every release
 * by seconds, and a child's release comes before its parent's.  The
 * kernel only compares those pointers, but memory reused for a new
 * board's nodes would look registered already (-EEXIST).  So retired sets
 * wait on this list until the kernel has forgotten all their nodes; at
 * unload they are freed regardless, and a new set that lands on a stale
 * address is kept aside and another one allocated.
 */
static LIST_HEAD(vlife_nodes_retired);
static DEFINE_MUTEX(vlife_nodes_lock);

static bool vlife_nodes_forgotten(const struct vlife_board_nodes *n)
{
	int i;

	for (i = 0; n->group[i]; i++)
		if (software_node_fwnode(n->group[i]))
			return false;
	return true;
}

/* Free the retired sets whose nodes are gone, or all of them. */
static void vlife_nodes_reap(bool all)
{
	struct vlife_board_nodes *n, *tmp;

	mutex_lock(&vlife_nodes_lock);
	list_for_each_entry_safe(n, tmp, &vlife_nodes_retired, retired) {
		if (all || vlife_nodes_forgotten(n)) {
			list_del(&n->retired);
			kfree(n);
		}
	}
	mutex_unlock(&vlife_nodes_lock);
}

static void vlife_nodes_retire(struct vlife_board_nodes *n)
{
	mutex_lock(&vlife_nodes_lock);
	list_add_tail(&n->retired, &vlife_nodes_retired);
	mutex_unlock(&vlife_nodes_lock);
}

static void vlife_nodes_destroy(void *data)
{
	struct vlife_board_nodes *n = data;

	software_node_unregister_node_group(n->group);
	vlife_nodes_retire(n);
}

/* A registered set, at an address no stale node points at. */
static struct vlife_board_nodes *vlife_nodes_register(void)
{
	struct vlife_board_nodes *n;
	int i, ret = -EEXIST;

	for (i = 0; i < 4 && ret == -EEXIST; i++) {
		n = kzalloc(sizeof(*n), GFP_KERNEL);
		if (!n)
			return ERR_PTR(-ENOMEM);
		vlife_nodes_init(n);
		ret = software_node_register_node_group(n->group);
		if (ret == -EEXIST)
			vlife_nodes_retire(n);
		else if (ret)
			kfree(n);
	}
	return ret ? ERR_PTR(ret) : n;
}

/**
 * vlife_nodes_create() - register the board's firmware graph
 * @b: the board
 *
 * Unregistered by devres after every device that uses the nodes is gone;
 * the memory is freed once the kernel has released the nodes.
 *
 * Return: 0 or a negative errno.
 */
int vlife_nodes_create(struct vlife_board *b)
{
	struct vlife_board_nodes *n;

	vlife_nodes_reap(false);
	n = vlife_nodes_register();
	if (IS_ERR(n))
		return PTR_ERR(n);
	b->nodes = n;
	return devm_add_action_or_reset(b->dev, vlife_nodes_destroy, n);
}

/**
 * vlife_nodes_exit() - free the node memory of every board, at unload
 *
 * Nodes the kernel has not released yet are freed too: it compares their
 * address, it does not read them.
 */
void vlife_nodes_exit(void)
{
	vlife_nodes_reap(true);
}
