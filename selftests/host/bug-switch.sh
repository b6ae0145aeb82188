#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bug-switch.sh KERNEL DRIVER BUG EXPECT [CASES]: an expected-failure
# check.  Boot KERNEL, run the guest scenario selftests/bugs/DRIVER.sh with
# VLIFE_BUG=BUG (the driver loaded with that classic lifetime mistake put
# back), and pass only if the mistake is caught.  DRIVER "stress-D" runs
# the race stress on driver D instead (selftests/bugs/stress.sh with
# VLIFE_BUG_DRIVER=D).  Expected:
#   kasan     KASAN reports a use-after-free and the run fails (the debug
#             kernel)
#   contract  the scenario's tests fail; with CASES (an extended regular
#             expression), one of the failing tests' names matches it
# The guest's own TAP lines are shown as diagnostics: here they are
# expected to fail.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh
kernel=$1 driver=$2 bug=$3 expect=$4 cases=${5:-}
name="$driver bug=$bug"
out=build/vm/bug-$driver-$bug-$kernel
script=selftests/bugs/$driver.sh
timeout=900
case $driver in
# The race stress runs 20 s (100 s of VM time on the debug kernel).  After
# an oops its guest can hang until killed (once in 7 stock runs of testdrv
# nogate): bounded tighter, so that costs the test command 5 min, not 15.
stress-*) script=selftests/bugs/stress.sh timeout=300 ;;
esac

tap_plan 2
mods=$(userspace-tools/vm/build-modules "$kernel") || exit 1
report=$(userspace-tools/vm/run-vm -k "$kernel" -o "$out" -t "$timeout" \
	-e "VLIFE_MODULES=$mods" -e "VLIFE_BUG=$bug" -e VLIFE_KMEMLEAK=0 \
	-e "VLIFE_BUG_DRIVER=${driver#stress-}" -- "$script" 2>&1)
rc=$?
echo "$report" | sed 's/^/# /'
failed=$(grep -cE '^not ok [0-9]+ ' <<<"$report")

case "$expect" in
kasan)
	if grep -q 'KASAN: [a-z-]*use-after-free' <<<"$report"; then
		tap_ok "$name: KASAN reports the use-after-free"
	else
		tap_fail "$name: KASAN reports the use-after-free"
	fi
	if [ "$rc" != 0 ]; then
		tap_ok "$name: the run fails (run-vm exit $rc)"
	else
		tap_fail "$name: the run fails"
	fi
	;;
contract)
	if [ "$failed" -gt 0 ]; then
		tap_ok "$name: the scenario's tests fail ($failed cases)"
	else
		tap_fail "$name: the scenario's tests fail"
	fi
	if [ -z "$cases" ]; then
		tap_skip "$name: the expected tests fail" "no test named"
	elif grep -qE "^not ok [0-9]+ .*($cases)" <<<"$report"; then
		grep -E "^not ok [0-9]+ .*($cases)" <<<"$report" |
			sed 's/^/# caught by: /'
		tap_ok "$name: a test named by /$cases/ fails"
	else
		tap_fail "$name: a test named by /$cases/ fails"
	fi
	;;
*)
	tap_fail "$name: unknown expectation '$expect'"
	;;
esac
tap_done
