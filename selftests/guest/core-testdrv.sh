#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The core on its test driver, in the guest: vlife-core and vlife-testdrv
# load; v4l2-compliance passes on the video, subdev and media nodes with
# no failure and no warning; the unplug contract test (selftests/contract)
# and the core's own test (selftests/core) run on the test driver; both
# modules unload and no vlife device is left.
#
# The two kselftest programs print their own "ok N" / "not ok N" lines at
# column 0: they are passed through as they are and counted with this
# script's cases, whose numbers are its own.  This script adds a case for
# a program only if it is missing or did not finish (no "# Totals:" line),
# so no result is counted twice.  The plan line, for this script's cases,
# comes last.
#
# Build first on the host: make -C selftests/contract; make -C selftests/core
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/lib/tap.sh
. lib/tap.sh
# shellcheck source=selftests/lib/modules.sh
. lib/modules.sh
# shellcheck source=selftests/lib/nodes.sh
. lib/nodes.sh
# shellcheck source=selftests/lib/checks.sh
. lib/checks.sh

bins=$(cd .. && pwd)/build/selftests
logs=/tmp/core-testdrv
mkdir -p $logs

echo "TAP version 13"
if ! out=$(vlife_insmod core/vlife-core 2>&1 &&
	   vlife_insmod selftests/testdrv/vlife-testdrv 2>&1); then
	echo "$out" | sed 's/^/# /'
	tap_fail "vlife-core and vlife-testdrv load"
	echo "1..$tap_n"
	exit 1
fi
tap_ok "vlife-core and vlife-testdrv load"

video=$(v4l_node video vlife-testdrv)
subdev=$(v4l_node v4l-subdev vlife-testdrv-proc)
media=$(media_node "vlife test device")
tap_diag "video ${video:-missing}, subdev ${subdev:-missing}, media ${media:-missing}"
if [ -n "$video" ] && [ -n "$subdev" ] && [ -n "$media" ]; then
	tap_ok "vlife-testdrv nodes found"
	compliance "v4l2-compliance -s on the video node" -s -d "$video"
	compliance "v4l2-compliance on the subdev node" -u "$subdev"
	compliance "v4l2-compliance on the media device" -m "$media"
else
	tap_fail "vlife-testdrv nodes found"
fi

kselftest unplug_test VLIFE_VIDEO_NAME=vlife-testdrv \
	VLIFE_DRIVER_DIR=/sys/bus/platform/drivers/vlife-testdrv \
	VLIFE_DEVICE=vlife-testdrv.0
kselftest core_test

tap_check "rmmod vlife-testdrv" rmmod vlife_testdrv
live=$(cat /sys/kernel/debug/vlife/live 2>/dev/null)
tap_diag "live vlife devices after unloading vlife-testdrv: ${live:-unreadable}"
if [ "$live" = 0 ]; then
	tap_ok "no vlife device left after unloading vlife-testdrv"
else
	sed 's/^/# /' /sys/kernel/debug/vlife/instances 2>/dev/null
	tap_fail "no vlife device left after unloading vlife-testdrv"
fi
tap_check "rmmod vlife-core" rmmod vlife_core
echo "1..$tap_n"
tap_done && [ $progs_rc = 0 ]
