#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The core module loads, publishes its debugfs directory, unloads and
# loads again: the pipeline's first proof that our code runs in the guest.
cd "$(dirname "$0")/.." || exit 1
. lib/tap.sh
. lib/modules.sh

tap_plan 4
tap_check "vlife-core loads" vlife_insmod core/vlife-core
tap_check "debugfs has /sys/kernel/debug/vlife" test -d /sys/kernel/debug/vlife
tap_check "vlife-core unloads" rmmod vlife-core
if vlife_insmod core/vlife-core && rmmod vlife-core &&
   [ ! -e /sys/kernel/debug/vlife ]; then
	tap_ok "vlife-core reloads and unloads, debugfs removed"
else
	tap_fail "vlife-core reloads and unloads, debugfs removed"
fi
tap_done
