#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel log scanner fails on every saved report in testdata/ and
# passes on a clean boot log; kmemleak-upstream takes out the known leaks
# of the kernel itself, and only those.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh
data=userspace-tools/vm/testdata
scan=userspace-tools/vm/scan-log

reports=("$data"/report-*.log)
tap_plan $(( ${#reports[@]} + 3 ))
for f in "${reports[@]}"; do
	name=${f##*/report-}
	if "$scan" "$f" >/dev/null; then
		tap_fail "scan-log flags ${name%.log}"
	else
		tap_ok "scan-log flags ${name%.log}"
	fi
done
tap_check "scan-log passes a clean boot log" "$scan" "$data"/clean-boot.log

# upstream_then_scan FILE: scan-log's verdict on FILE once
# kmemleak-upstream has taken the kernel's known leaks out of a copy.
upstream_then_scan() {
	local tmp
	tmp=$(mktemp -d)
	cp "$1" "$tmp/kmemleak"
	userspace-tools/vm/kmemleak-upstream "$tmp/kmemleak" >/dev/null &&
		"$scan" "$tmp/kmemleak" >/dev/null
	local rc=$?
	rm -rf "$tmp"
	return $rc
}
tap_check "kmemleak-upstream takes out media_devnode_register's own leak" \
	upstream_then_scan "$data"/kmemleak-upstream-only.log
if upstream_then_scan "$data"/kmemleak-upstream-mixed.log; then
	tap_fail "kmemleak-upstream keeps every other leak"
else
	tap_ok "kmemleak-upstream keeps every other leak"
fi
tap_done
