#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The unplug contract test against vivid, as a peer report: vivid breaks
# parts of the contract, and its results are printed, not asserted.
cd "$(dirname "$0")/.." || exit 1
. lib/tap.sh
# shellcheck source=selftests/lib/peers.sh
. lib/peers.sh

tap_plan 1
report=$(contract/run-peer-vivid.sh 2>&1)
echo "$report" | grep -E '^# (vivid|not ok|ok) ' || echo "$report" | tail -n 5
if echo "$report" | grep -q '^# vivid unplug contract (peer report): pass:'; then
	tap_ok "peer report: unplug contract on vivid"
else
	tap_fail "peer report: unplug contract on vivid"
fi
tap_done
