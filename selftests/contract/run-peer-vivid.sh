#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-peer-vivid.sh - the unplug contract test (unplug_test) on vivid, in
# the guest.  A peer report: vivid is not our driver and breaks parts of
# the contract, so its results are printed with a summary line and the
# script always exits 0.
#
# Build first on the host: make -C selftests/contract
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${VLIFE_UNPLUG_TEST:-$top/build/selftests/unplug_test}
log=/tmp/unplug-vivid.log
rcfile=/tmp/unplug-vivid.rc

summary() {
	echo "# vivid unplug contract (peer report): $*"
	exit 0
}

[ -x "$bin" ] || summary "not run: no $bin (make -C selftests/contract)"
modprobe vivid n_devs=1 node_types=0x1 || summary "not run: modprobe vivid"

export VLIFE_VIDEO_NAME=vivid-000-vid-cap
export VLIFE_DRIVER_DIR=/sys/bus/platform/drivers/vivid
export VLIFE_DEVICE=vivid.0

{
	"$bin" 2>&1
	echo $? >$rcfile
} | tee $log | sed 's/^/# /'
rc=$(cat $rcfile 2>/dev/null || echo '?')

failed=$(sed -n 's/^not ok [0-9]* \(unplug\.\)\{0,1\}//p' $log | tr '\n' ' ')
totals=$(sed -n 's/^# Totals: //p' $log)
# vivid stays loaded: see selftests/guest/peer-vivid-compliance.sh
summary "${totals:-no totals line}, exit $rc${failed:+, failed: $failed}"
