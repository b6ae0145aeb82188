// SPDX-License-Identifier: GPL-2.0
/*
 * vlife unplug gate: an SRCU read section around everything that may touch
 * the hardware, closed for good by vlife_dev_unplug().
 */

#include <media/vlife.h>

#include <linux/srcu.h>

#include "vlife-priv.h"

/**
 * DOC: the unplug gate
 *
 * Every file operation the core supplies runs inside
 * vlife_dev_enter()/vlife_dev_exit(), and so must every other path that
 * reaches the hardware: interrupt threads, work items, timers, subdev
 * operations.  vlife_dev_unplug(), called first thing in the driver's
 * .remove(), closes the gate:
 *
 * 1. it marks the device unplugged, so no new section can start;
 * 2. it wakes every waiter (DQBUF, read, poll, DQEVENT, on video and
 *    subdev nodes) so that sections blocked in the V4L2 core leave;
 * 3. it waits for the sections still running (synchronize_srcu());
 * 4. it unregisters the subdevs it offered to a bridge (whose notifier
 *    .unbind runs then), stops streaming on every queue (the driver's
 *    stop_streaming runs, returning its buffers with
 *    %VB2_BUF_STATE_ERROR), frees the queues' buffers (mapped memory stays
 *    until munmap()), unregisters the media device (which takes every
 *    entity and interface out of the graph under the graph mutex, so a
 *    concurrent MEDIA_IOC_G_TOPOLOGY never walks a half-removed node),
 *    then every node and the V4L2 device.
 *
 * Each instance has its own SRCU domain: a DQBUF blocked in one device's
 * gate never delays the unplug of another.
 *
 * When it returns, no file operation can reach the driver's hardware
 * paths again; the driver may then release its hardware.  Calls made
 * after it fail with -ENODEV, poll() reports EPOLLERR | EPOLLHUP, and
 * close() always succeeds.
 */

/**
 * vlife_dev_enter() - enter a section that may touch the hardware
 * @vl: the vlife device
 * @idx: cookie for vlife_dev_exit()
 *
 * Return: true if the device is still plugged in: call vlife_dev_exit()
 * when done.  False if it is gone: do not touch the hardware, do not call
 * vlife_dev_exit().
 */
bool vlife_dev_enter(struct vlife_device *vl, int *idx)
{
	*idx = srcu_read_lock(&vl->srcu);
	if (READ_ONCE(vl->unplugged)) {
		srcu_read_unlock(&vl->srcu, *idx);
		return false;
	}
	atomic_inc(&vl->in_flight);
	return true;
}
EXPORT_SYMBOL_GPL(vlife_dev_enter);

/**
 * vlife_dev_exit() - leave a section entered with vlife_dev_enter()
 * @vl: the vlife device
 * @idx: the cookie vlife_dev_enter() returned
 */
void vlife_dev_exit(struct vlife_device *vl, int idx)
{
	atomic_dec(&vl->in_flight);
	srcu_read_unlock(&vl->srcu, idx);
}
EXPORT_SYMBOL_GPL(vlife_dev_exit);

/**
 * vlife_dev_is_unplugged() - has vlife_dev_unplug() started?
 * @vl: the vlife device
 *
 * A hint for error paths; only vlife_dev_enter() is a guarantee.
 *
 * Return: true once the device is unplugged.
 */
bool vlife_dev_is_unplugged(struct vlife_device *vl)
{
	return READ_ONCE(vl->unplugged);
}
EXPORT_SYMBOL_GPL(vlife_dev_is_unplugged);

/**
 * vlife_dev_unplug() - close the gate and unregister every node
 * @vl: the vlife device
 *
 * Call it first in .remove() (or a USB disconnect), while the hardware is
 * still there: stopping the streams runs the driver's stop_streaming.
 * Idempotent; the devres release of the driver's reference calls it too,
 * for probe failures.  Returns in bounded time whatever userspace holds.
 */
void vlife_dev_unplug(struct vlife_device *vl)
{
	if (READ_ONCE(vl->unplugged))
		return;
	WRITE_ONCE(vl->unplugged, true);
	vlife_v4l2_wake_all(vl);
	vlife_subdev_wake_all(vl);
	synchronize_srcu(&vl->srcu);
	vlife_subdev_unplug(vl);
	vlife_v4l2_unplug(vl);
}
EXPORT_SYMBOL_GPL(vlife_dev_unplug);
