#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# v4l2-compliance runs in the guest against vivid, the peer every vlife
# node is compared with, and its summary line is parsed.  vivid's own
# failures are reported, not asserted: it is not our driver.
cd "$(dirname "$0")/.." || exit 1
. lib/tap.sh
# shellcheck source=selftests/lib/peers.sh
. lib/peers.sh
. lib/nodes.sh

tap_plan 2
tap_check "modprobe vivid" modprobe vivid n_devs=1 node_types=0x1
video=$(v4l_node video vivid-000-vid-cap)
log=/tmp/vivid-compliance.log
v4l2-compliance -d "${video:-/dev/video0}" >$log 2>&1
summary=$(grep -E '^Total for .*: [0-9]+, Succeeded: [0-9]+, Failed: [0-9]+, Warnings: [0-9]+' $log)
if [ -n "$summary" ]; then
	set -- $(echo "$summary" | sed 's/.*: \([0-9]*\), Succeeded: \([0-9]*\), Failed: \([0-9]*\), Warnings: \([0-9]*\)/\1 \2 \3 \4/')
	tap_diag "vivid: $1 tests, $2 succeeded, $3 failed, $4 warnings"
	tap_ok "v4l2-compliance summary on vivid parsed ($2/$1 succeeded)"
else
	tail -n 20 $log | sed 's/^/# /'
	tap_fail "v4l2-compliance summary on vivid parsed"
fi
# vivid stays loaded: its platform device is a static object in the
# module, and under DEBUG_KOBJECT_RELEASE its delayed release runs after
# rmmod freed it (ODEBUG "free active object", then an oops): a vivid bug.
tap_done
