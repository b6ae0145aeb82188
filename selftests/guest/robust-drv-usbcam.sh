#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The robustness suite (selftests/stress/robust-driver.sh: module-load
# bursts, race stress, ioctl fuzzer, fault injection, all on one bring-up)
# on the USB camera on the hw/usb emulator (pulled out by its interface's
# unbind, and by unplug and replug of the emulated device).
cd "$(dirname "$0")/.." || exit 1
rb_driver=usbcam
# shellcheck source=selftests/stress/robust-driver.sh
. stress/robust-driver.sh
