#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh KERNEL: boot KERNEL with the modules built for it, run every guest
# test (selftests/run-guest), then check the kernel log: any KASAN, lockdep,
# WARN, kmemleak... report is a failure of its own.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh
kernel=$1
out=build/vm/tests-$kernel

mods=$(userspace-tools/vm/build-modules "$kernel") || {
	tap_plan 1
	tap_fail "$kernel: modules build"
	exit 1
}
# The guest suite's bound (VLIFE_VM_TIMEOUT overrides): the debug kernel's
# took 1,767 s in one CI run and has grown since (its USB camera stress
# to 1,000 cycles alone adds about 660 s); a machine shared with other
# work took 1.9 times as long as CI.
bound=3600
[ "$kernel" = debug ] && bound=4500
userspace-tools/vm/run-vm -k "$kernel" -o "$out" --no-scan \
	-t "${VLIFE_VM_TIMEOUT:-$bound}" -e "VLIFE_MODULES=$mods" -- \
	selftests/run-guest
rc=$?
echo "# run-vm exit $rc"

logs=("$out/console.log")
[ -f "$out/kmemleak" ] && logs+=("$out/kmemleak")
if [ "$rc" = 124 ] || [ "$rc" = 125 ]; then
	tap_fail "$kernel: guest finished (run-vm exit $rc)"
fi
tap_check "$kernel: kernel log clean (KASAN, lockdep, WARN, kmemleak...)" \
	userspace-tools/vm/scan-log "${logs[@]}"
[ "$rc" = 0 ] && tap_done
