#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The summary of the robustness scripts (robust-*.sh, run before this one
# in name order): per driver and kernel, the counts each reached (unbind
# cycles under the race stress, calls, fuzzed calls, faults injected,
# parallel loads) and each script's result for the driver, from what they
# recorded in /tmp/vlife-robust/counts, and on the debug kernel whether
# each reached the issue's 1,000 unbind cycles and 100,000 fuzzed calls.
# One case: every driver has its counts and no script failed for it.
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/lib/tap.sh
. lib/tap.sh

counts=/tmp/vlife-robust/counts
echo "TAP version 13"
if [ ! -s $counts ]; then
	tap_skip "robustness summary" "no robust-*.sh ran before"
	echo "1..$tap_n"
	exit 0
fi
tap_diag "robustness summary (kernel driver: what = count):"
awk '{
	k = $1 " " $2; what = ""
	for (i = 3; i < NF; i++) what = what (i > 3 ? " " : "") $i
	if (!(k in seen)) { seen[k] = 1; order[n++] = k }
	line[k] = line[k] sprintf("\n#     %-22s %s", what, $NF)
} END {
	for (i = 0; i < n; i++) printf "#   %s:%s\n", order[i], line[order[i]]
}' $counts
# The issue's counts for the debug kernel, against what each driver
# reached in its time bounds: shown, not a case (the bounds are time, and
# machines differ).
awk '$1 == "debug" {
	what = $3 " " $4 " " $5
	if (what == "stress unbind cycles") { c[$2] = $NF; d[$2] = 1 }
	if ($3 == "fuzz" && $4 == "calls") { f[$2] = $NF; d[$2] = 1 }
} END {
	for (k in d)
		printf "# debug %s: %s of the 1,000 unbind cycles, %s of the 100,000 fuzzed calls: %s\n",
			k, c[k] + 0, f[k] + 0,
			(c[k] >= 1000 && f[k] >= 100000 ? "reached" : "NOT reached")
}' $counts | sort
missing=
for d in testdrv board usbcam; do
	grep -q " $d " $counts || missing="$missing $d"
done
failed=$(awk '$NF == "FAIL" { print $2 ": " $3 }' $counts | sort -u |
	 tr '\n' ' ')
tap_diag "drivers without counts:${missing:- none}; failed: ${failed:-none}"
if [ -z "$missing" ] && [ -z "$failed" ]; then
	tap_ok "robustness summary: every driver covered, every part passed"
else
	tap_fail "robustness summary: every driver covered, every part passed"
fi
echo "1..$tap_n"
tap_done
