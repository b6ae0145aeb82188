#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The emulated board and the sensor driver, without the bridge: the board
# creates its devices, the sensor binds to its I2C client and reads the
# chip ID, runtime PM turns it off when idle, it survives unbind/rebind
# through sysfs, unloading the board with the sensor bound is a clean hot
# unplug, and no vlife device is left at the end.
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/lib/tap.sh
. lib/tap.sh
# shellcheck source=selftests/lib/modules.sh
. lib/modules.sh
# shellcheck source=selftests/lib/checks.sh
. lib/checks.sh

drv=/sys/bus/i2c/drivers/vlife-sensor
live=/sys/kernel/debug/vlife/live

# The I2C client of board 0's sensor, e.g. 0-0010.
sensor_client() {
	for _a in /sys/bus/i2c/devices/i2c-*; do
		[ "$(cat "$_a/name" 2>/dev/null)" = vlife-i2c.0 ] || continue
		echo "${_a##*/i2c-}-0010"
		return 0
	done
	return 1
}

# mark NAME: a line in the kernel log to count from (the log is a ring:
# counting over all of it goes wrong once earlier tests have filled it).
mark() {
	echo "board-sensor: mark $1" >/dev/kmsg
}

# chip_ids NAME: times the sensor driver reported the chip ID in the
# kernel log since mark NAME.
chip_ids() {
	dmesg | sed -n "/board-sensor: mark $1\$/,\$p" |
		grep -c "vlife-sensor $client: chip id 0x5649"
}

bound() {
	[ -e "$drv/$client" ]
}

unbound() {
	[ ! -e "/sys/bus/i2c/devices/$client/driver" ]
}

suspended() {
	grep -qx suspended "/sys/bus/i2c/devices/$client/power/runtime_status"
}

no_live() {
	grep -qx 0 $live
}

topology() {
	[ -e /sys/bus/platform/devices/vlife-board.0 ] &&
		[ -e /sys/bus/platform/devices/vlife-bridge.0 ] &&
		[ "$(cat "/sys/bus/i2c/devices/$client/name")" = vlife-sensor ]
}

rebind() {
	echo "$client" >$drv/unbind && wait_for 5 unbound &&
		echo "$client" >$drv/bind && wait_for 5 bound
}

tap_plan 13
tap_check "vlife-core loads" vlife_insmod core/vlife-core
tap_check "vlife-board loads" vlife_insmod hw/vlife-board
client=$(sensor_client)
tap_diag "sensor client: ${client:-none}"
tap_check "board 0 has its bridge device and sensor client" topology

mark load
tap_check "vlife-sensor loads" vlife_insmod drivers/i2c/vlife-sensor
tap_check "the sensor binds and reads chip ID 0x5649" \
	test "$(chip_ids load)" = 1 -a -e "$drv/$client"
tap_check "runtime PM suspends the idle sensor" wait_for 5 suspended

mark rebind
if rebind && rebind && rebind && [ "$(chip_ids rebind)" = 3 ]; then
	tap_ok "unbind and rebind through sysfs, three times"
else
	tap_fail "unbind and rebind through sysfs, three times"
fi
tap_check "no vlife device left after unbind" sh -c \
	"echo $client >$drv/unbind && grep -qx 0 $live"
echo "$client" >$drv/bind
tap_check "bound again after that" wait_for 5 bound

# Unloading the board with the sensor bound pulls the sensor's hardware.
tap_check "vlife-board unloads with the sensor bound" rmmod vlife_board
tap_check "vlife-sensor unloads" rmmod vlife_sensor
if wait_for 5 no_live; then
	tap_ok "no vlife device left"
else
	sed 's/^/# /' /sys/kernel/debug/vlife/instances 2>/dev/null
	tap_fail "no vlife device left"
fi
tap_check "vlife-core unloads" rmmod vlife_core
tap_done
