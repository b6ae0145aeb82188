#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The robustness suite (selftests/stress/robust-driver.sh: module-load
# bursts, race stress, ioctl fuzzer, fault injection, all on one bring-up)
# on the camera board (vlife-board with the I2C sensor and the platform
# bridge; pulled out by the bridge's platform unbind and the sensor's I2C
# unbind).
cd "$(dirname "$0")/.." || exit 1
rb_driver=board
# shellcheck source=selftests/stress/robust-driver.sh
. stress/robust-driver.sh
