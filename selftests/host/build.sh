#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh KERNEL: every module builds for KERNEL (stock or debug; the
# debug kernel itself is built first if it is not cached) with W=1 and no
# warning.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh
kernel=$1

tap_plan 1
start=$(date +%s)
if dir=$(userspace-tools/vm/build-modules "$kernel"); then
	tap_diag "$(find "$dir" -name '*.ko' | wc -l) modules in $(( $(date +%s) - start )) s"
	tap_ok "modules build for $kernel with W=1, no warnings"
else
	tap_fail "modules build for $kernel with W=1, no warnings"
fi
tap_done
