#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Per-ioctl cost of a gated vlife node against vivid, in this VM run.  A
# measurement, not an assertion: the numbers are printed as diagnostics
# and the single case only checks that both nodes were measured.
cd "$(dirname "$0")/.." || exit 1
. lib/tap.sh
# shellcheck source=selftests/lib/peers.sh
. lib/peers.sh
. lib/modules.sh
. lib/nodes.sh
bin=../build/bench/ioctl-cost
n=${VLIFE_BENCH_ITERATIONS:-20000}

tap_plan 1
modprobe vivid n_devs=1 node_types=0x1
vlife_insmod core/vlife-core
vlife_insmod selftests/testdrv/vlife-testdrv
vivid=$($bin "$(v4l_node video vivid-000-vid-cap)" "$n")
vlife=$($bin "$(v4l_node video vlife-testdrv)" "$n")
rmmod vlife-testdrv vlife-core  # vivid stays: peer-vivid-compliance.sh
if [ -n "$vivid" ] && [ -n "$vlife" ]; then
	echo "$vivid" | while read -r name ns; do
		v=$(echo "$vlife" | awk -v n="$name" '$1 == n { print $2 }')
		tap_diag "$name: vlife $v ns, vivid $ns ns, ratio $(awk -v a="$v" -v b="$ns" 'BEGIN { printf "%.2f", a / b }') ($n calls)"
	done
	tap_ok "per-ioctl cost measured against vivid"
else
	tap_fail "per-ioctl cost measured against vivid"
fi
tap_done
