#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel log scanner fails on every saved report in testdata/ and
# passes on a clean boot log.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh
data=userspace-tools/vm/testdata
scan=userspace-tools/vm/scan-log

reports=("$data"/report-*.log)
tap_plan $(( ${#reports[@]} + 1 ))
for f in "${reports[@]}"; do
	name=${f##*/report-}
	if "$scan" "$f" >/dev/null; then
		tap_fail "scan-log flags ${name%.log}"
	else
		tap_ok "scan-log flags ${name%.log}"
	fi
done
tap_check "scan-log passes a clean boot log" "$scan" "$data"/clean-boot.log
tap_done
