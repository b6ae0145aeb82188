#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vlife-unplug-compliance (userspace-tools/unplug-compliance) in the guest,
# against every vlife node, then against the kernel's own drivers:
#
#  - the core's test driver: its video, media and subdev nodes;
#  - the camera board: the bridge's video and media nodes, its CSI-2
#    receiver's subdev node and the I2C sensor's subdev node;
#  - the USB camera (vlife-usbcam on the hw/usb emulator): its video node
#    through sysfs unbind, and a few scenarios through the emulator's
#    unplug and replug (a USB disconnect, not an unbind);
#  each must end with every scenario OK (or OK (Not Supported)): no FAIL,
#  no WARN;
#  - peers, a report only: vivid (video and media nodes), uvcvideo on the
#    emulator's UVC identity, and vimc (only in the debug kernel: Debian
#    does not build it); a peer's case passes if the tool finished within
#    its bound with a totals line, whatever the driver's results.  Peers
#    run on Debian's kernel (lib/peers.sh's rule: KASAN would fail the
#    run's log check on the peers' own bugs), except vimc, which exists
#    only in the debug kernel and is run there (VLIFE_UC_VIMC=0 to skip).
#  - a table of every run's results, scenario by scenario.
#
# On the debug kernel the video nodes, whose scenarios unplug_test already
# runs through core-testdrv.sh, camera-pipeline.sh and usb-camera.sh, get
# a reduced set; media and subdev nodes get every scenario.
#
# Build first on the host: make -C userspace-tools/unplug-compliance;
# make -C hw/usb
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/lib/tap.sh
. lib/tap.sh
# shellcheck source=selftests/lib/modules.sh
. lib/modules.sh
# shellcheck source=selftests/lib/nodes.sh
. lib/nodes.sh
# shellcheck source=selftests/lib/checks.sh
. lib/checks.sh

top=$(cd .. && pwd)
tool=$top/build/unplug-compliance/vlife-unplug-compliance
ctl=$top/hw/usb/usbcam-ctl.sh
logs=/tmp/unplug-compliance
rm -rf $logs
mkdir -p $logs
export VLIFE_USBCAM_RUN=$logs/emu
if [ "${VLIFE_KERNEL:-stock}" = stock ]; then
	bound=300
	opts=
	video_set=
	peers=1
	vimc=0
else
	bound=900
	opts="--frame-timeout 15000 --unbind-warn 3000 --node-wait 30000"
	video_set="-s s2_idle_fd_enodev -s s4_blocked_dqbuf -s s7_rebind_with_old_fd -s s9_rmmod_while_open"
	peers=0
	vimc=${VLIFE_UC_VIMC:-1}
fi
export VLIFE_USBCAM_WAIT=60
runs=
start_s=$(date +%s)

# uc LABEL ARG...: run the tool, its output in $logs/LABEL.log, its JSON
# in $logs/LABEL.json, "SCENARIO RESULT" lines in $logs/LABEL.res; sets
# rc and totals.
uc() {
	_l=$1
	shift
	_t0=$(now_ms)
	# shellcheck disable=SC2086 # $opts is a list of options
	timeout -k 10 $bound "$tool" -v $opts --json "$logs/$_l.json" "$@" \
		>"$logs/$_l.log" 2>&1
	rc=$?
	totals=$(grep '^Total for unplug-compliance' "$logs/$_l.log")
	sed -n 's/^	test \([a-z0-9_]*\): \(.*\)$/\1 \2/p' "$logs/$_l.log" |
		sed 's/OK (Not Supported)/N\/S/; s/ FAIL (not run.*/ hung/' \
		>"$logs/$_l.res"
	runs="$runs $_l"
	tap_diag "$_l: $tool $* : exit $rc in $(($(now_ms) - _t0)) ms"
	tap_diag "$_l: ${totals:-no totals line}"
}

# details LABEL: the failures, warnings and kernel reports of a run.
details() {
	grep -E '^		(fail|warn):|^	test .*: (FAIL|WARN)|kernel log' \
		"$logs/$1.log" | sed 's/^/# /'
	[ -n "$totals" ] || tail -n 20 "$logs/$1.log" | sed 's/^/# /'
}

# vlife LABEL ARG...: a vlife node: every scenario OK, no warning.
vlife() {
	uc "$@"
	case $totals in
	*"Failed: 0, Warnings: 0, "*)
		[ "$rc" = 0 ] && tap_ok "unplug-compliance on $1: all OK" &&
			return
		;;
	esac
	details "$1"
	tap_fail "unplug-compliance on $1: all OK"
}

# peer LABEL ARG...: a peer node: reported; the tool must finish.
peer() {
	uc "$@"
	details "$1"
	if [ -n "$totals" ] && { [ "$rc" = 0 ] || [ "$rc" = 1 ]; }; then
		tap_ok "peer report: unplug-compliance on $1 finished"
	else
		tap_fail "peer report: unplug-compliance on $1 finished (exit $rc)"
	fi
}

# unload MODULE...: rmmod, retried while a released node still holds it.
unload() {
	_t0=$(now_ms)
	for _m in "$@"; do
		[ -d "/sys/module/$_m" ] || continue
		wait_for 20 rmmod "$_m" || return 1
	done
	echo "unloaded in $(($(now_ms) - _t0)) ms"
}

echo "TAP version 13"
if [ ! -x "$tool" ]; then
	tap_fail "$tool exists (make -C userspace-tools/unplug-compliance)"
	echo "1..$tap_n"
	exit 1
fi
tap_check "vlife-core loads" vlife_insmod core/vlife-core

# 1. The core's test driver

tap_diag "--- test driver (at $(($(date +%s) - start_s)) s)"
if vlife_insmod selftests/testdrv/vlife-testdrv >$logs/insmod.log 2>&1 &&
   video=$(v4l_node video vlife-testdrv) &&
   v4l_node v4l-subdev vlife-testdrv-proc >/dev/null &&
   media_node "vlife test device" >/dev/null; then
	# Each node is looked up right before its run: a rebind may give
	# a node a new number (the debug kernel releases minors late).
	# shellcheck disable=SC2086
	vlife testdrv-video -d "$video" $video_set
	vlife testdrv-media -m "$(media_node "vlife test device")"
	wait_for 30 v4l_node v4l-subdev vlife-testdrv-proc
	vlife testdrv-subdev -u "$(v4l_node v4l-subdev vlife-testdrv-proc)"
else
	sed 's/^/# /' $logs/insmod.log
	tap_fail "vlife-testdrv loads, its nodes found"
fi
tap_check "rmmod vlife-testdrv" unload vlife_testdrv

# 2. The camera board: bridge and sensor

tap_diag "--- camera board (at $(($(date +%s) - start_s)) s)"
model="vlife camera bridge"
if vlife_insmod hw/vlife-board >$logs/insmod.log 2>&1 &&
   vlife_insmod drivers/i2c/vlife-sensor >>$logs/insmod.log 2>&1 &&
   vlife_insmod drivers/platform/vlife-bridge >>$logs/insmod.log 2>&1 &&
   wait_for 30 v4l_node v4l-subdev 'vlife-sensor*' &&
   wait_for 30 v4l_node video vlife-bridge; then
	# shellcheck disable=SC2086
	vlife bridge-video -d "$(v4l_node video vlife-bridge)" $video_set
	vlife bridge-media -m "$(media_node "$model")"
	vlife bridge-csi2 -u "$(v4l_node v4l-subdev vlife-bridge-csi2)"
	wait_for 30 v4l_node v4l-subdev 'vlife-sensor*'
	vlife sensor -u "$(v4l_node v4l-subdev 'vlife-sensor*')"
else
	sed 's/^/# /' $logs/insmod.log
	tap_fail "the camera board loads, its nodes found"
fi
tap_check "rmmod vlife-bridge vlife-sensor vlife-board" \
	unload vlife_bridge vlife_sensor vlife_board

# 3. The USB camera

tap_diag "--- USB camera (at $(($(date +%s) - start_s)) s)"
if ! modprobe -n -q vhci-hcd; then
	tap_skip "USB camera" "this kernel has no vhci-hcd"
elif vlife_insmod drivers/usb/vlife-usbcam >$logs/insmod.log 2>&1 &&
     "$ctl" up >>$logs/insmod.log 2>&1 &&
     wait_for 60 cap_node vlife-usbcam; then
	# shellcheck disable=SC2086
	vlife usbcam -d "$(cap_node vlife-usbcam)" $video_set
	wait_for 60 cap_node vlife-usbcam
	vlife usbcam-unplug -d "$(cap_node vlife-usbcam)" \
		--unplug "$ctl unplug >/dev/null" \
		--replug "$ctl replug >/dev/null" --unbind-max 15000 \
		--unbind-warn 10000 \
		-s s2_idle_fd_enodev -s s4_blocked_dqbuf \
		-s s7_rebind_with_old_fd
	"$ctl" down >/dev/null 2>&1
else
	sed 's/^/# /' $logs/insmod.log
	tap_fail "vlife-usbcam loads and binds to the emulated camera"
	"$ctl" down >/dev/null 2>&1
fi
tap_check "rmmod vlife-usbcam" unload vlife_usbcam

# 4. Peers

tap_diag "--- peers (at $(($(date +%s) - start_s)) s)"
if [ $peers = 1 ]; then
	# vivid stays loaded: see peer-vivid-compliance.sh
	[ -d /sys/module/vivid ] || modprobe vivid n_devs=1 node_types=0x1
	if node=$(v4l_node video vivid-000-vid-cap); then
		peer vivid-video -d "$node"
		_m=$(media_node vivid) && peer vivid-media -m "$_m"
	else
		tap_skip "peer report: vivid" "no vivid node"
	fi
	if modprobe uvcvideo 2>/dev/null &&
	   VLIFE_USBCAM_RUN=$logs/emu-uvc "$ctl" up --identity uvc \
		>$logs/uvc-up.log 2>&1 &&
	   wait_for 60 cap_node uvcvideo; then
		peer uvcvideo -d "$(cap_node uvcvideo)"
	else
		sed 's/^/# /' $logs/uvc-up.log
		tap_skip "peer report: uvcvideo" "no uvcvideo node"
	fi
	VLIFE_USBCAM_RUN=$logs/emu-uvc "$ctl" down >/dev/null 2>&1
	rmmod uvcvideo 2>/dev/null
fi
rmmod vhci_hcd usbip_core 2>/dev/null
if [ "$vimc" = 1 ] && modprobe vimc 2>/dev/null &&
   wait_for 30 v4l_node video "Raw Capture 0"; then
	peer vimc-video -d "$(v4l_node video "Raw Capture 0")"
	peer vimc-media -m "$(media_node "VIMC MDEV")"
	peer vimc-sensor -u "$(v4l_node v4l-subdev "Sensor A")"
	# vimc stays loaded, as vivid does: its platform device is static
elif [ "$vimc" = 1 ]; then
	tap_skip "peer report: vimc" "no vimc in this kernel"
fi

# 5. The table

tap_diag "--- results by scenario (at $(($(date +%s) - start_s)) s)"
"$tool" --list | awk '/^s/ { print $1 }' >$logs/scenarios
{
	printf '%-28s' scenario
	for r in $runs; do printf ' %-14s' "$r"; done
	echo
	while read -r s; do
		printf '%-28s' "$s"
		for r in $runs; do
			v=$(awk -v s="$s" '$1 == s { $1 = ""; print substr($0, 2) }' \
				"$logs/$r.res")
			printf ' %-14s' "${v:--}"
		done
		echo
	done <$logs/scenarios
} | tee $logs/table.txt | sed 's/^/# /'
tap_diag "(N/S: OK (Not Supported); -: not run on that node; logs and JSON in $logs)"

tap_check "rmmod vlife-core" unload vlife_core
tap_diag "unplug-compliance: $(($(date +%s) - start_s)) s"
echo "1..$tap_n"
tap_done
