#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# VLIFE_BUG=devm|nogate testdrv-stress.sh: the race stress
# (selftests/stress/race_stress.c --blocking, as stress/robust-driver.sh
# runs it: one file per video node waits in DQBUF and DQEVENT) on the
# core's test driver with a classic lifetime mistake put back (see
# selftests/host/bug-switch.sh, which expects it caught):
#   devm    the state freed at unbind: files held across the unbind by the
#           stress threads read freed memory (KASAN, debug kernel)
#   nogate  the V4L2 core's plain file operations, no unplug gate: a
#           DQEVENT waiting across the unbind is never woken (the hang
#           check, VLIFE_HANG_MS, 10 s here, fails)
# Bounded: VLIFE_BUG_CYCLES cycles (default 200) or VLIFE_BUG_SECONDS
# (default 20).  Without VLIFE_BUG it is clean.
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/lib/tap.sh
. lib/tap.sh
# shellcheck source=selftests/lib/modules.sh
. lib/modules.sh
# shellcheck source=selftests/lib/nodes.sh
. lib/nodes.sh
# shellcheck source=selftests/lib/checks.sh
. lib/checks.sh
# shellcheck source=selftests/stress/robust.sh
. stress/robust.sh

logs=/tmp/vlife-robust/bug
mkdir -p $logs
seed=${VLIFE_SEED:-$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')}
echo "TAP version 13"
if ! rb_up testdrv "bug=${VLIFE_BUG:-none}" >$logs/up.log 2>&1; then
	sed 's/^/# /' $logs/up.log
	tap_fail "testdrv bug=${VLIFE_BUG:-none}: up for the race stress"
	echo "1..$tap_n"
	exit 1
fi
tap_ok "testdrv bug=${VLIFE_BUG:-none}: up for the race stress"
VLIFE_HANG_MS=${VLIFE_HANG_MS:-10000} VLIFE_SEED=$seed \
	rb_run race_stress testdrv $logs/stress.log --blocking \
	--cycles "${VLIFE_BUG_CYCLES:-200}" --seconds "${VLIFE_BUG_SECONDS:-20}"
tap_check "testdrv: unloads after the stress" rb_down testdrv
rb_live_zero testdrv
echo "1..$tap_n"
tap_done && [ $rb_failed = 0 ]
