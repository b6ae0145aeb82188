#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# VLIFE_BUG=devm sensor.sh: vlife-sensor with a classic lifetime mistake
# put back (see selftests/host/bug-switch.sh, which expects it caught):
#   devm   the state freed at unbind, as devm_kzalloc() memory is: the
#          sensor's subdev node, held open across the unbind, reads freed
#          memory when it is closed (KASAN, debug kernel; its ioctls fail
#          in the V4L2 core already, the node being unregistered)
# The scenario: the camera pair loaded, the sensor's node opened and a
# control read through it, the sensor unbound, the control read again
# (ENODEV), the node closed.  Without VLIFE_BUG it is clean.
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/lib/tap.sh
. lib/tap.sh
# shellcheck source=selftests/lib/modules.sh
. lib/modules.sh
# shellcheck source=selftests/lib/nodes.sh
. lib/nodes.sh
# shellcheck source=selftests/lib/checks.sh
. lib/checks.sh

tap_plan 4
if vlife_insmod core/vlife-core && vlife_insmod hw/vlife-board &&
   vlife_insmod drivers/i2c/vlife-sensor "bug=$VLIFE_BUG" &&
   vlife_insmod drivers/platform/vlife-bridge; then
	tap_ok "camera pair loaded, vlife-sensor bug=$VLIFE_BUG"
else
	tap_fail "camera pair loaded, vlife-sensor bug=$VLIFE_BUG"
	exit 1
fi

wait_for 20 v4l_node v4l-subdev 'vlife-sensor*'
sensor=$(v4l_node v4l-subdev 'vlife-sensor*')
client=$(basename "$(readlink -f /sys/bus/i2c/drivers/vlife-sensor/*-0010)")
tap_diag "sensor node ${sensor:-missing}, i2c client ${client:-missing}"

# The node held open across the unbind; G_CTRL(TEST_PATTERN) before and
# after it, then close.  One line per step.
timeout 120 python3 - "$sensor" "$client" >/tmp/sensor-bug.out 2>&1 <<'PY'
import errno, fcntl, os, struct, sys

G_CTRL = 0xc008561b                     # VIDIOC_G_CTRL
ctl = struct.pack("Ii", 0x009f0903, 0)  # V4L2_CID_TEST_PATTERN


def g_ctrl(fd, when):
    try:
        fcntl.ioctl(fd, G_CTRL, ctl)
        print("G_CTRL %s: ok" % when, flush=True)
    except OSError as e:
        print("G_CTRL %s: %s" % (when, errno.errorcode[e.errno]),
              flush=True)


fd = os.open(sys.argv[1], os.O_RDWR)
g_ctrl(fd, "bound")
with open("/sys/bus/i2c/drivers/vlife-sensor/unbind", "w") as f:
    f.write(sys.argv[2])
print("unbound", flush=True)
g_ctrl(fd, "after unbind")
os.close(fd)
print("closed", flush=True)
PY
sed 's/^/# /' /tmp/sensor-bug.out
tap_check "G_CTRL through the sensor's node while bound" \
	grep -q 'G_CTRL bound: ok' /tmp/sensor-bug.out
tap_check "G_CTRL on the node held open across the unbind: ENODEV" \
	grep -q 'G_CTRL after unbind: ENODEV' /tmp/sensor-bug.out
tap_check "close of the node after the unbind" \
	grep -q closed /tmp/sensor-bug.out
tap_done
