#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The robustness suite (selftests/stress/robust-driver.sh: module-load
# bursts, race stress, ioctl fuzzer, fault injection, all on one bring-up)
# on the core's test driver (a platform device; pulled out by its platform
# unbind).
cd "$(dirname "$0")/.." || exit 1
rb_driver=testdrv
# shellcheck source=selftests/stress/robust-driver.sh
. stress/robust-driver.sh
