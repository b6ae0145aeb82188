#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The userspace test programs, the benchmark, the USB camera emulator,
# vlife-unplug-compliance and vlife-capture build on the host, with no
# warning.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh

tap_plan 1
if out=$(make -s -C selftests all 2>&1 &&
	  make -s -C userspace-tools/bench 2>&1 &&
	  make -s -C hw/usb 2>&1 &&
	  make -s -C userspace-tools/unplug-compliance 2>&1 &&
	  make -s -C userspace-tools/capture 2>&1) &&
   ! grep -q 'warning:' <<<"$out"; then
	tap_ok "test programs, emulator, unplug-compliance and capture tool build (-Wall -Wextra, no warnings)"
else
	echo "$out" | sed 's/^/# /'
	tap_fail "test programs, emulator, unplug-compliance and capture tool build (-Wall -Wextra, no warnings)"
fi
tap_done
