#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Per-ioctl cost of a gated vlife node against vivid, in this VM run
# (userspace-tools/bench/ioctl-cost: QUERYCAP, G_FMT, G_CTRL, QBUF+DQBUF,
# median of batches).  A measurement, not an assertion: the numbers are
# printed as diagnostics and the single case only checks that both nodes
# were measured.
cd "$(dirname "$0")/.." || exit 1
. lib/tap.sh
# shellcheck source=selftests/lib/peers.sh
. lib/peers.sh
. lib/modules.sh
. lib/nodes.sh
bench_dir=../userspace-tools/bench
# shellcheck source=userspace-tools/bench/lib.sh
. $bench_dir/lib.sh
n=${VLIFE_BENCH_ITERATIONS:-5000}

tap_plan 1
modprobe vivid n_devs=1 node_types=0x1
vlife_insmod core/vlife-core
vlife_insmod selftests/testdrv/vlife-testdrv
vivid=$(ioctl_cost "$(v4l_node video vivid-000-vid-cap)" "$n")
vlife=$(ioctl_cost "$(v4l_node video vlife-testdrv)" "$n")
rmmod vlife-testdrv vlife-core  # vivid stays: peer-vivid-compliance.sh
if [ -n "$vivid" ] && [ -n "$vlife" ]; then
	ioctl_compare "$vlife" "$vivid" | while read -r name v p r; do
		tap_diag "$name: vlife $v ns, vivid $p ns, ratio $r" \
			"(median of 9 batches of $n calls)"
	done
	tap_ok "per-ioctl cost measured against vivid"
else
	tap_fail "per-ioctl cost measured against vivid"
fi
tap_done
