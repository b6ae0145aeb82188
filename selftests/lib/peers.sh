# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Peer reports (the kernel's own drivers measured beside ours) run on
# Debian's kernel only: they assert nothing about vlife, and under KASAN
# a peer's own bugs would fail the run's log check.  Sourced after
# lib/tap.sh; on the debug kernel the script ends here with one skip.
if [ "${VLIFE_KERNEL:-stock}" != stock ]; then
	tap_plan 1
	tap_skip "peer report ${0##*/}" "peers are measured on Debian's kernel"
	exit 0
fi
