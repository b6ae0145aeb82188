#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bug-switch.sh KERNEL BUG: an expected-failure check.  Load the core's
# test driver with bug=BUG (a classic lifetime mistake put back), run the
# unplug contract test against it, and pass only if the mistake is caught:
#   devm    state freed at unbind: KASAN reports a use-after-free
#           (debug kernel only)
#   nogate  no unplug gate: the contract test fails (blocked DQBUF gets
#           EINVAL, a blocked DQEVENT is never woken)
# The guest's own TAP lines are shown as diagnostics: here they are
# expected to fail.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh
kernel=$1 bug=$2
out=build/vm/bug-$bug-$kernel
tests=
[ "$bug" = devm ] && tests="-t s2_idle_fd_enodev"

tap_plan 2
mods=$(userspace-tools/vm/build-modules "$kernel") || exit 1
report=$(userspace-tools/vm/run-vm -k "$kernel" -o "$out" -t 900 \
	-e "VLIFE_MODULES=$mods" -e VLIFE_KMEMLEAK=0 -- sh -c "
	. selftests/lib/modules.sh
	vlife_insmod core/vlife-core &&
	vlife_insmod selftests/testdrv/vlife-testdrv bug=$bug &&
	VLIFE_VIDEO_NAME=vlife-testdrv \
	VLIFE_DRIVER_DIR=/sys/bus/platform/drivers/vlife-testdrv \
	VLIFE_DEVICE=vlife-testdrv.0 build/selftests/unplug_test $tests" 2>&1)
rc=$?
echo "$report" | sed 's/^/# /'
failed=$(grep -cE '^not ok [0-9]+ ' <<<"$report")

case "$bug" in
devm)
	if grep -q 'KASAN: [a-z-]*use-after-free' <<<"$report"; then
		tap_ok "bug=devm: KASAN reports the use-after-free"
	else
		tap_fail "bug=devm: KASAN reports the use-after-free"
	fi
	if [ "$rc" != 0 ]; then
		tap_ok "bug=devm: the run fails (run-vm exit $rc)"
	else
		tap_fail "bug=devm: the run fails"
	fi
	;;
nogate)
	if [ "$failed" -gt 0 ]; then
		tap_ok "bug=nogate: the contract test fails ($failed cases)"
	else
		tap_fail "bug=nogate: the contract test fails"
	fi
	for t in s4_blocked_dqbuf s4_blocked_dqevent; do
		grep -qE "^not ok [0-9]+ unplug\.$t" <<<"$report" &&
			tap_diag "caught by $t"
	done
	if grep -qE '^not ok [0-9]+ unplug\.s4_blocked_dq(buf|event)' <<<"$report"; then
		tap_ok "bug=nogate: a blocked DQBUF or DQEVENT breaks the contract"
	else
		tap_fail "bug=nogate: a blocked DQBUF or DQEVENT breaks the contract"
	fi
	;;
esac
tap_done
