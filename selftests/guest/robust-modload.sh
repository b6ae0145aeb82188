#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Module-load bursts, as udev makes them when devices appear at once: for
# each vlife driver, parallel loads of its module (sizes below) while its
# device is being bound (the test driver binds its own device as it loads;
# the board's devices appear as vlife-board loads beside the burst; the USB
# camera is plugged in during the burst): exactly one load succeeds, the
# others fail cleanly with "File exists" (EEXIST), within the time bound,
# and one device comes up.  Then parallel rmmod while a file of the driver
# is open: every one is refused (EBUSY), the node still answers; once
# closed, parallel rmmod again: exactly one succeeds, the rest fail
# cleanly (the module is gone, or going).  No vlife device left; a leak
# is found by the run's kmemleak scan (userspace-tools/vm/guest-run).
#
# The loads are insmod of the module file (the project's modules are not
# installed under /lib/modules, so modprobe cannot find them; modprobe
# resolves the dependencies, loaded first here, then makes the same
# finit_module() call, which is where the kernel merges the requests).
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/lib/tap.sh
. lib/tap.sh
# shellcheck source=selftests/lib/modules.sh
. lib/modules.sh
# shellcheck source=selftests/lib/nodes.sh
. lib/nodes.sh
# shellcheck source=selftests/lib/checks.sh
. lib/checks.sh
# shellcheck source=selftests/stress/robust.sh
. stress/robust.sh

logs=/tmp/vlife-robust/modload
# Sized for the test command's budget (see robust-stress.sh): 8 loads of
# the test driver, 4 of the others (their duplicate loads cost 0.5-2 s of
# CPU each under TCG: each is laid out and relocated before the kernel
# sees the name is taken; 32 parallel loads of the test driver alone took
# 20-42 s on Debian's kernel), 8 rmmod (each a process started from the
# shared tree); half of each on the debug kernel (274 s for these sizes);
# 32 of each with VLIFE_ROBUST_LONG=1, or VLIFE_ROBUST_BURST=N for the
# other drivers' loads.
n_td=8
n_other=4
n_rm=8
[ "$rb_kernel" = debug ] && n_td=4 n_other=2 n_rm=4
[ "${VLIFE_ROBUST_LONG:-0}" = 1 ] && n_td=32 n_other=32 n_rm=32
n_other=${VLIFE_ROBUST_BURST:-$n_other}
rm -rf $logs
mkdir -p $logs

# burst NAME CMD...: run CMD $n times in parallel, bounded by 120 s each;
# sets ok (exit 0 count), and writes every failure's message to
# $logs/NAME.err, one line each.
burst() {
	_name=$1
	shift
	_i=0
	while [ $_i -lt "$n" ]; do
		( timeout 120 "$@" >"$logs/$_name.$_i" 2>&1
		  echo $? >"$logs/$_name.$_i.rc" ) &
		_i=$((_i + 1))
	done
	wait
	ok=0
	: >"$logs/$_name.err"
	_i=0
	while [ $_i -lt "$n" ]; do
		if [ "$(cat "$logs/$_name.$_i.rc")" = 0 ]; then
			ok=$((ok + 1))
		else
			echo "exit $(cat "$logs/$_name.$_i.rc"):" \
				"$(tr '\n' ' ' <"$logs/$_name.$_i")" \
				>>"$logs/$_name.err"
		fi
		_i=$((_i + 1))
	done
}

# only MSG NAME: every failure in $logs/NAME.err says MSG (a pattern).
only() {
	! grep -qv -e "$1" "$logs/$2.err"
}

# the driver's last module, as /sys/module names it
last_mod() {
	basename "$(rb_modules "$1" | tr ' ' '\n' | tail -n 1)" | tr - _
}

# main_node DRIVER: the /dev path of the driver's video node.
main_node() {
	case $1 in
	testdrv) v4l_node video vlife-testdrv ;;
	board) v4l_node video vlife-bridge ;;
	usbcam) v4l_node video vlife-usbcam ;;
	esac
}

echo "TAP version 13"
vlife_insmod core/vlife-core || { tap_fail "vlife-core loads"; exit 1; }
# the dependencies of every module first: modprobe's part
for drv in testdrv board usbcam; do
	for m in $(rb_modules $drv); do
		for dep in $(modinfo -F depends "$(vlife_ko "$m")" | tr ',' ' ')
		do
			[ -d "/sys/module/$(echo "$dep" | tr - _)" ] ||
				modprobe "$dep"
		done
	done
done
modprobe vhci-hcd

for drv in testdrv board usbcam; do
	rb_mark
	n=$n_other
	[ $drv = testdrv ] && n=$n_td
	mod=$(last_mod $drv)
	# from the guest's tmpfs: 32 readers of the shared tree over 9p
	# take most of a minute
	ko=$logs/$mod.ko
	cp "$(vlife_ko "$(rb_modules $drv | tr ' ' '\n' | tail -n 1)")" "$ko"
	cp "$(vlife_ko drivers/i2c/vlife-sensor)" $logs/vlife_sensor.ko
	t0=$(now_ms)
	case $drv in
	board)
		# the board's devices appear while the drivers' bursts run
		vlife_insmod hw/vlife-board &
		burst sensor insmod $logs/vlife_sensor.ko &
		burst "$drv" insmod "$ko"
		wait
		sok=$(grep -c . $logs/sensor.err)
		tap_diag "board: vlife-sensor burst: $((n - sok)) of $n loads" \
			"succeeded"
		if [ $((n - sok)) = 1 ] && only 'File exists' sensor; then
			tap_ok "board: $n parallel loads of vlife-sensor: one loads, the others get EEXIST"
		else
			sed 's/^/# /' $logs/sensor.err | sort | uniq -c
			tap_fail "board: $n parallel loads of vlife-sensor: one loads, the others get EEXIST"
		fi
		;;
	usbcam)
		"$rb_ctl" up >/dev/null 2>>$logs/ctl.log &
		burst "$drv" insmod "$ko"
		wait
		;;
	*)
		burst "$drv" insmod "$ko"
		;;
	esac
	ms=$(($(now_ms) - t0))
	tap_diag "$drv: $ok of $n loads of $mod succeeded, in $ms ms;" \
		"the others: $(sort $logs/$drv.err | uniq -c | tr -s ' \n' '  ')"
	rb_record "$drv" "parallel loads" "$n"
	rb_record "$drv" "load burst ms" $ms
	if [ $ok = 1 ] && only 'File exists' "$drv"; then
		tap_ok "$drv: $n parallel loads of $mod: one loads, the others get EEXIST"
	else
		tap_fail "$drv: $n parallel loads of $mod: one loads, the others get EEXIST"
	fi
	if wait_for 60 rb_nodes_up $drv; then
		tap_ok "$drv: the device comes up once"
	else
		tap_fail "$drv: the device comes up once"
		continue
	fi
	tap_diag "$drv: live vlife devices: $(cat /sys/kernel/debug/vlife/live)"

	node=$(main_node $drv)
	[ "$n" -gt $n_rm ] && n=$n_rm
	exec 3<>"$node"
	burst "rmmod-open-$drv" rmmod "$mod"
	tap_diag "$drv: with $node open, $ok of $n rmmod succeeded;" \
		"$(sort "$logs/rmmod-open-$drv.err" | uniq -c | head -n 3 |
		   tr -s ' \n' '  ')"
	if [ $ok = 0 ] && only 'in use' "rmmod-open-$drv" &&
	   v4l2-ctl -d "$node" --info >/dev/null 2>&1; then
		tap_ok "$drv: $n parallel rmmod while a file is open: each refused (EBUSY), the node still answers"
	else
		tap_fail "$drv: $n parallel rmmod while a file is open: each refused (EBUSY), the node still answers"
	fi
	exec 3>&-
	[ $drv = usbcam ] && "$rb_ctl" down >/dev/null 2>&1
	burst "rmmod-$drv" rmmod "$mod"
	tap_diag "$drv: closed: $ok of $n rmmod succeeded; the others:" \
		"$(sort "$logs/rmmod-$drv.err" | uniq -c | head -n 3 |
		   tr -s ' \n' '  ')"
	sed 's/^/# /' "$logs/rmmod-$drv.err" | sort | uniq -c
	# The others fail (exit 1, never a crash or a timeout) as kmod finds
	# the module gone, or going: the kernel's EBUSY for a module being
	# unloaded, its sysfs directory vanishing under kmod, or no word.
	if [ $ok = 1 ] && [ ! -d "/sys/module/$mod" ] &&
	   only '^exit 1:' "rmmod-$drv"; then
		tap_ok "$drv: $n parallel rmmod once closed: one unloads"
	else
		tap_fail "$drv: $n parallel rmmod once closed: one unloads"
	fi
	rb_down $drv
	rb_live_zero "$drv"
	tap_diag "$drv: $(( ($(now_ms) - t0) / 1000 )) s for its bursts"
	rb_verdict "$drv" modload
done
tap_check "vlife-core unloads" rmmod vlife_core
echo "1..$tap_n"
tap_done
