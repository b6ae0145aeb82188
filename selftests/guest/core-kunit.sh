#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The core's KUnit suite (core/vlife-kunit.c), on kernels with KUnit (the
# debug kernel): each KUnit case becomes one TAP case here.
cd "$(dirname "$0")/.." || exit 1
. lib/tap.sh
. lib/modules.sh

ko=$(vlife_ko core/vlife-kunit)
if [ ! -f "$ko" ]; then
	tap_plan 1
	tap_skip "vlife KUnit suite" "kernel $(uname -r) has no KUnit"
	exit 0
fi
# The allocation-failure cases inject failures with fail-nth, which
# failslab ignores for sleeping allocations unless told otherwise.
echo N >/sys/kernel/debug/failslab/ignore-gfp-wait
vlife_insmod core/vlife-core || exit 1
vlife_insmod core/vlife-kunit || exit 1
results=/tmp/vlife-kunit.results
cp /sys/kernel/debug/kunit/vlife-core/results $results ||
	{ echo "not ok 1 no KUnit results in debugfs"; exit 1; }
sed 's/^/# /' $results
n=$(grep -cE '^[[:space:]]+(not )?ok [0-9]+ ' $results)
tap_plan "$n"
grep -E '^[[:space:]]+(not )?ok [0-9]+ ' $results |
	sed -E 's/^[[:space:]]+((not )?ok) [0-9]+ (- )?/\1 0 kunit: /' |
	awk '{ sub(/ 0 /, " " NR " "); print }'
rmmod vlife-kunit vlife-core
echo Y >/sys/kernel/debug/failslab/ignore-gfp-wait
! grep -qE '^[[:space:]]+not ok ' $results
