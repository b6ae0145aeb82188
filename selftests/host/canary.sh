#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# canary.sh KERNEL: load the deliberately buggy vlife-canary module and
# check that the pipeline fails the run and names each bug: a WARNING on
# both kernels; on the debug kernel also a KASAN use-after-free, a
# kmemleak leak, a lockdep lock-order inversion and a refcount underflow.
# This is what makes "the kernel log is clean" mean something.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh
kernel=$1
out=build/vm/canary-$kernel

expect=("WARNING: " "vlife-canary: deliberate warning")
bugs=warn
if [ "$kernel" = debug ]; then
	expect+=("KASAN: use-after-free" "unreferenced object"
		"possible circular locking dependency" "refcount_t: underflow")
	# The leak first: made later, after the lockdep, WARN and refcount
	# reports, kmemleak still found its pointer somewhere (3 runs of 3).
	# lockdep before KASAN: a KASAN report turns lockdep off.
	bugs=leak,lockdep,warn,refcount,uaf
fi
tap_plan $(( ${#expect[@]} + 1 ))

mods=$(userspace-tools/vm/build-modules "$kernel") || exit 1
report=$(userspace-tools/vm/run-vm -k "$kernel" -o "$out" -t 600 \
	-e "VLIFE_MODULES=$mods" -- sh -c \
	". selftests/lib/modules.sh; vlife_insmod selftests/canary/vlife-canary bugs=$bugs" 2>&1)
rc=$?
echo "$report" | grep -E '^(run-vm|scan-log):' | sed 's/^/# /'
if [ "$rc" = 1 ]; then
	tap_ok "$kernel: run-vm fails when the kernel reports a bug"
else
	tap_fail "$kernel: run-vm fails when the kernel reports a bug (exit $rc)"
fi
for e in "${expect[@]}"; do
	if grep -qF -- "$e" <<<"$report"; then
		tap_ok "$kernel: report shown: '$e'"
	else
		tap_fail "$kernel: report shown: '$e'"
	fi
done
tap_done
