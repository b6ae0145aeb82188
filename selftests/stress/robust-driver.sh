# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The robustness suite on one vlife driver, $rb_driver (testdrv, board or
# usbcam): sourced from selftests/ by guest/robust-drv-DRIVER.sh.  The
# driver is brought up once and every part runs on that one bring-up (on
# the debug kernel a bring-up costs tens of seconds), in this order:
#
#   load     module-load burst, as udev makes them when devices appear at
#            once: parallel loads of the driver's module while its device
#            is being bound (the test driver binds its own device as it
#            loads; the board's devices appear as vlife-board loads beside
#            the burst, with a burst of vlife-sensor too; the USB camera is
#            plugged in during the burst): exactly one load succeeds, the
#            others fail cleanly with "File exists" (EEXIST), and one
#            device comes up.  Then parallel rmmod while a file of the
#            driver is open: every one is refused (EBUSY), the node still
#            answers.
#   faults   fault injection, where the kernel has it (the debug kernel:
#            CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, /proc/thread-self/
#            fail-nth): for the driver's probe (a sysfs bind written by the
#            injecting thread: the test driver; the sensor, with the bridge
#            bound, so the graph completes in its probe; the bridge, with
#            the sensor bound; the USB camera's interface), and for open,
#            REQBUFS and STREAMON on its video node, the n-th allocation
#            fails, for n = 1, 2, ... until the operation completes without
#            reaching the n-th (stress/fail_nth.py): every allocation site
#            on its path has failed once.  Each attempt must leave the
#            device unbound (or the file usable); then the device binds
#            and streams.  Right after the load, so that it starts from
#            the state a probe leaves (the stress and the fuzzer change
#            formats: a board whose sensor and bridge formats no longer
#            match fails STREAMON with EPIPE before most of its
#            allocations).
#   stress   race stress (stress/race_stress.c): on each node, files used
#            by several threads at once (ioctls, mmap, poll, open and close
#            at random; the first file of each video node opened blocking,
#            so DQBUF and DQEVENT wait and each pull-out must wake them)
#            while the device is pulled out and put back over and over:
#            the test driver by its platform unbind; the board by the
#            bridge's platform unbind and the sensor's I2C unbind; the USB
#            camera by its interface's unbind and by unplug and replug of
#            the emulated device.  Every call ends in success or a valid
#            errno, none hangs, every cycle works.
#   fuzz     the ioctl fuzzer (stress/ioctl_fuzz.c): random and boundary
#            arguments for every V4L2, subdev and media ioctl on each node,
#            bad pointers and bad DMABUF fds, random mmap(), interleaved
#            with unbind and rebind (calls continue on the files the unbind
#            left).  Every call returns success or a valid errno.
#   unload   once nothing is open, parallel rmmod: exactly one succeeds,
#            the rest fail cleanly (the module is gone, or going).
#
# Then no vlife device is left, vlife-core unloads, and (run-vm) the run's
# kmemleak scan finds nothing and its kernel log stays clean.  The counts
# reached and each part's result go to the summary (robust-summary.sh).
#
# VLIFE_ROBUST_PARTS (default "modload faults stress fuzz") chooses the
# parts; without modload (load and unload) the driver is loaded and
# unloaded plainly.  VLIFE_ROBUST_LONG=1 makes a soak of it (race_stress
# and ioctl_fuzz --long: 20 times longer; 150 s per faulted operation; 32
# parallel loads).  VLIFE_SEED replays the stress and the fuzzer (the seed
# is printed).  The programs' TAP lines are passed through and counted with
# this script's; the plan comes last.
#
# Build first on the host: make -C selftests

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

# shellcheck disable=SC2154 # set by the guest script that sources this
drv=$rb_driver
logs=/tmp/vlife-robust/$drv
rm -rf "$logs"
mkdir -p "$logs"
parts=${VLIFE_ROBUST_PARTS:-modload faults stress fuzz}
long=
[ "${VLIFE_ROBUST_LONG:-0}" = 1 ] && long=--long
seed=${VLIFE_SEED:-$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')}

# Sizes, for the test command's budget: each part is bounded in time as
# well as in count, whichever comes first.  On Debian's kernel a test
# driver cycle takes about 0.15 s under this load, a board cycle 0.7 s, a
# USB one 5 s (unplug and replug through USB/IP); the debug kernel is 5-10
# times slower, but its USB camera is on raw-gadget (stress/robust.sh),
# where a cycle (interface unbind and bind, or unplug and replug) takes
# about 4 s under this load.
#   stress: cycles, seconds
#   fuzz: calls, seconds, unbind every N calls
#   modload: parallel loads (the test driver's, the others'), parallel
#     rmmod; their duplicate loads cost 0.5-2 s of CPU each under TCG
#     (each is laid out and relocated before the kernel sees the name is
#     taken), half of each on the debug kernel; 32 of each with
#     VLIFE_ROBUST_LONG=1, or VLIFE_ROBUST_BURST=N for the other drivers'
#     loads.
#   faults: VLIFE_FAULT_MAX (default 3000) attempts and VLIFE_FAULT_SECONDS
#     (default 12; 150 with VLIFE_ROBUST_LONG=1) per operation, ten times
#     that (VLIFE_FAULT_PROBE_SECONDS) per probe; an operation that
#     reaches the bound records how far it got.
# On the debug kernel the issue's counts (1,000 unbind cycles under load,
# 100,000 fuzzed calls per driver) are the goal, bounded by the test
# command's time: 300 s give the test driver its 1,000 cycles (about 0.3 s
# each); the board's take 0.55 s (817 in 450 s with the machine to
# itself, 0.78 s on a shared one), so it has 600 s.  The USB camera's
# interface unbind cycle costs about what the test driver's does, but an
# unplug and replug 2.5-4 s: there it is pulled out by an unplug once in
# 20 stress cycles on average (VLIFE_USB_UNBIND_WEIGHT overrides the 19
# interface unbinds to one unplug; the fuzzer's few cycles stay half and
# half), so a cycle takes 0.41-0.63 s (1,000 in 410 s, 54 of them
# unplugs; 293 in 183 s on a machine shared with another VM): it has
# 720 s.
# VLIFE_STRESS_SECONDS and VLIFE_FUZZ_SECONDS override the time bounds on
# either kernel.
if [ "$rb_kernel" = debug ]; then
	case $drv in
	testdrv) stress="1000 300" fuzz="100000 30 5000" ;;
	board) stress="1000 600" fuzz="100000 30 5000" ;;
	usbcam) stress="1000 720" fuzz="100000 60 20000"
		usb_stress_weight=${VLIFE_USB_UNBIND_WEIGHT:-19} ;;
	esac
	n_load=2 n_rm=4
	[ "$drv" = testdrv ] && n_load=4
else
	case $drv in
	testdrv) stress="1000 8" fuzz="100000 6 5000" ;;
	board) stress="1000 10" fuzz="100000 6 5000" ;;
	usbcam) stress="1000 12" fuzz="100000 8 20000" ;;
	esac
	n_load=4 n_rm=8
	[ "$drv" = testdrv ] && n_load=8
fi
[ -n "$long" ] && n_load=32 n_rm=32
# rb_run bounds each program at VLIFE_ROBUST_TIMEOUT seconds (900): a soak
# runs 20 times the parts' time bounds (up to 720 s here)
[ -n "$long" ] && VLIFE_ROBUST_TIMEOUT=${VLIFE_ROBUST_TIMEOUT:-15000}
# stress is "cycles seconds", fuzz "calls seconds every": swap the seconds
[ -n "${VLIFE_STRESS_SECONDS:-}" ] &&
	stress="${stress%% *} $VLIFE_STRESS_SECONDS"
[ -n "${VLIFE_FUZZ_SECONDS:-}" ] &&
	fuzz="${fuzz%% *} $VLIFE_FUZZ_SECONDS ${fuzz##* }"
[ "$drv" = testdrv ] || n_load=${VLIFE_ROBUST_BURST:-$n_load}
fault_max=${VLIFE_FAULT_MAX:-3000}
fault_secs=12
[ -n "$long" ] && fault_secs=150
fault_secs=${VLIFE_FAULT_SECONDS:-$fault_secs}
# a probe has more allocation sites than an ioctl: its own bound
fault_probe_secs=${VLIFE_FAULT_PROBE_SECONDS:-$((fault_secs * 10))}

# has_part PART: whether PART is to run.
has_part() {
	case " $parts " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# timed_start / timed_end PART: the part's wall time, shown and recorded.
timed_start() {
	part_t0=$(now_ms)
}

timed_end() {
	_s=$(( ($(now_ms) - part_t0 + 500) / 1000 ))
	tap_diag "$drv: $1 took $_s s"
	rb_record "$drv" "$1 s" "$_s"
}

# ready PART: a case only if the driver's nodes are not all there before
# PART (a part before it left the device out); then PART does not run.
ready() {
	wait_for 60 rb_nodes_up "$drv" && return 0
	tap_fail "$drv: nodes there for the $1"
	return 1
}

# main_node: the /dev path of the driver's video node.
main_node() {
	case $drv in
	testdrv) v4l_node video vlife-testdrv ;;
	board) v4l_node video vlife-bridge ;;
	usbcam) v4l_node video vlife-usbcam ;;
	esac
}

# ---- modload: the load burst (the bring-up) and the unload burst ----

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
	basename "$(rb_modules "$drv" | tr ' ' '\n' | tail -n 1)" | tr - _
}

# load_burst: the modules loaded by the burst (vlife-core and every
# module's dependencies first: modprobe's part).  The loads are insmod of
# the module file (the project's modules are not installed under
# /lib/modules, so modprobe cannot find them; modprobe resolves the
# dependencies, loaded first here, then makes the same finit_module()
# call, which is where the kernel merges the requests), from a copy in
# the guest's tmpfs (32 readers of the shared tree over 9p take most of a
# minute).  Fails if the device did not come up.
load_burst() {
	vlife_insmod core/vlife-core 2>/dev/null ||
		[ -d /sys/module/vlife_core ] || {
		tap_fail "vlife-core loads"
		return 1
	}
	for _m in $(rb_modules "$drv"); do
		for _dep in $(modinfo -F depends "$(vlife_ko "$_m")" |
			      tr ',' ' '); do
			[ -d "/sys/module/$(echo "$_dep" | tr - _)" ] ||
				modprobe "$_dep"
		done
	done
	[ "$drv" = usbcam ] && "$rb_ctl" load
	n=$n_load
	mod=$(last_mod)
	ko=$logs/$mod.ko
	cp "$(vlife_ko "$(rb_modules "$drv" | tr ' ' '\n' | tail -n 1)")" \
		"$ko"
	t0=$(now_ms)
	case $drv in
	board)
		cp "$(vlife_ko drivers/i2c/vlife-sensor)" \
			"$logs/vlife_sensor.ko"
		# the board's devices appear while the drivers' bursts run
		vlife_insmod hw/vlife-board &
		burst sensor insmod "$logs/vlife_sensor.ko" &
		burst "$drv" insmod "$ko"
		wait
		_sok=$(grep -c . "$logs/sensor.err")
		tap_diag "board: vlife-sensor burst: $((n - _sok)) of $n" \
			"loads succeeded"
		if [ $((n - _sok)) = 1 ] && only 'File exists' sensor; then
			tap_ok "board: $n parallel loads of vlife-sensor: one loads, the others get EEXIST"
		else
			sed 's/^/# /' "$logs/sensor.err" | sort | uniq -c
			tap_fail "board: $n parallel loads of vlife-sensor: one loads, the others get EEXIST"
		fi
		;;
	usbcam)
		"$rb_ctl" up >/dev/null 2>>"$logs/ctl.log" &
		burst "$drv" insmod "$ko"
		wait
		;;
	*)
		burst "$drv" insmod "$ko"
		;;
	esac
	_ms=$(($(now_ms) - t0))
	tap_diag "$drv: $ok of $n loads of $mod succeeded, in $_ms ms;" \
		"the others: $(sort "$logs/$drv.err" | uniq -c |
			       tr -s ' \n' '  ')"
	rb_record "$drv" "parallel loads" "$n"
	rb_record "$drv" "load burst ms" $_ms
	if [ $ok = 1 ] && only 'File exists' "$drv"; then
		tap_ok "$drv: $n parallel loads of $mod: one loads, the others get EEXIST"
	else
		tap_fail "$drv: $n parallel loads of $mod: one loads, the others get EEXIST"
	fi
	if wait_for 60 rb_nodes_up "$drv"; then
		tap_ok "$drv: the device comes up once"
	else
		tap_fail "$drv: the device comes up once"
		return 1
	fi
	tap_diag "$drv: live vlife devices: $(cat /sys/kernel/debug/vlife/live)"
}

# rmmod_open: parallel rmmod while a file is open.
rmmod_open() {
	_node=$(main_node)
	n=$n_load
	[ "$n" -gt $n_rm ] && n=$n_rm
	exec 3<>"$_node"
	burst "rmmod-open" rmmod "$mod"
	tap_diag "$drv: with $_node open, $ok of $n rmmod succeeded;" \
		"$(sort "$logs/rmmod-open.err" | uniq -c | head -n 3 |
		   tr -s ' \n' '  ')"
	if [ $ok = 0 ] && only 'in use' "rmmod-open" &&
	   v4l2-ctl -d "$_node" --info >/dev/null 2>&1; then
		tap_ok "$drv: $n parallel rmmod while a file is open: each refused (EBUSY), the node still answers"
	else
		tap_fail "$drv: $n parallel rmmod while a file is open: each refused (EBUSY), the node still answers"
	fi
	exec 3>&-
}

# unload_burst: parallel rmmod once nothing is open.
unload_burst() {
	mod=$(last_mod)
	n=$n_load
	[ "$n" -gt $n_rm ] && n=$n_rm
	[ "$drv" = usbcam ] && "$rb_ctl" down >/dev/null 2>&1
	burst "rmmod" rmmod "$mod"
	tap_diag "$drv: closed: $ok of $n rmmod succeeded; the others:" \
		"$(sort "$logs/rmmod.err" | uniq -c | head -n 3 |
		   tr -s ' \n' '  ')"
	sed 's/^/# /' "$logs/rmmod.err" | sort | uniq -c
	# The others fail (exit 1, never a crash or a timeout) as kmod finds
	# the module gone, or going: the kernel's EBUSY for a module being
	# unloaded, its sysfs directory vanishing under kmod, or no word.
	if [ $ok = 1 ] && [ ! -d "/sys/module/$mod" ] &&
	   only '^exit 1:' "rmmod"; then
		tap_ok "$drv: $n parallel rmmod once closed: one unloads"
	else
		tap_fail "$drv: $n parallel rmmod once closed: one unloads"
	fi
}

# ---- stress and fuzz ----

stress_part() {
	# shellcheck disable=SC2086 # "cycles seconds"
	set -- $stress
	rb_usb_unbind_weight=${usb_stress_weight:-1}
	VLIFE_SEED=$seed rb_run race_stress "$drv" "$logs/stress.log" \
		--blocking --hold "$rb_stress_hold" --cycles "$1" \
		--seconds "$2" $long
	rb_usb_unbind_weight=1
	_line=$(grep '^# stress: ' "$logs/stress.log")
	_n=$(echo "$_line" | sed -n 's/.*: \([0-9]*\) cycles.*/\1/p')
	_c=$(echo "$_line" | sed -n 's/.*), \([0-9]*\) calls.*/\1/p')
	rb_record "$drv" "stress unbind cycles" "${_n:-0}"
	rb_record "$drv" "stress calls" "${_c:-0}"
}

fuzz_part() {
	# shellcheck disable=SC2086 # "calls seconds every"
	set -- $fuzz
	VLIFE_SEED=$seed rb_run ioctl_fuzz "$drv" "$logs/fuzz.log" \
		--calls "$1" --seconds "$2" --every "$3" $long
	_line=$(grep '^# fuzz: ' "$logs/fuzz.log" | tr '\n' ' ')
	rb_record "$drv" "fuzz calls" \
		"$(echo "$_line" | sed -n 's/.*: \([0-9]*\) calls.*/\1/p')"
	rb_record "$drv" "fuzz unbind cycles" \
		"$(echo "$_line" |
		   sed -n 's/.*: \([0-9]*\) unbind cycles.*/\1/p')"
}

# ---- faults ----

dbg=/sys/kernel/debug

# Probes that make subdev nodes (the test driver's, and the bridge's when
# the sensor completes its graph) oopsed here in Debian's 6.1 V4L2 core
# (KASAN null-ptr-deref in media_add_link: it links a subdev to a node
# interface it failed to allocate) until the vlife core made those nodes
# itself; VLIFE_FAULT_SUBDEV_PROBE=0 skips them.
# The USB camera's probe and STREAMON send control requests through the
# emulator's host controller.  USB/IP's, vhci_hcd, loses an URB whose
# GFP_ATOMIC allocation fails (vhci_tx_urb() returns without giving it
# back): usb_kill_urb() then waits forever in the probe (found by this
# script: hung task in usbcam_query).  dummy_hcd, under the raw-gadget
# transport, fails such an URB cleanly: there they are failed by default
# (VLIFE_FAULT_USB_IO=1), over USB/IP not (VLIFE_FAULT_USB_IO=0).
subdev_probe=${VLIFE_FAULT_SUBDEV_PROBE:-1}
usb_io=0
[ "$VLIFE_USBCAM_TRANSPORT" = raw-gadget ] && usb_io=1
usb_io=${VLIFE_FAULT_USB_IO:-$usb_io}

# inject LABEL ARGS...: one fail_nth.py run as a case; the counts recorded.
inject() {
	_label=$1
	shift
	_log="$logs/faults-$(echo "$_label" | tr -c 'a-z0-9\n' -).log"
	timeout -k 5 $((fault_secs + 120)) python3 stress/fail_nth.py \
		"$_label" "$fault_max" "$fault_secs" "$@" >"$_log" 2>&1
	_rc=$?
	cat "$_log"
	_line=$(grep '^# fail-nth: ' "$_log")
	_n=$(echo "$_line" | sed -n 's/.*: \([0-9]*\) faults injected.*/\1/p')
	rb_record "${_label%% *}" "faults ${_label#* }" "${_n:-0}"
	if [ $_rc = 0 ] && [ -n "$_n" ]; then
		tap_ok "$_label: $_n allocations failed in turn, each attempt left a usable state"
	else
		tap_fail "$_label: $_n allocations failed in turn, each attempt left a usable state (exit $_rc)"
	fi
}

# unbound_inject DRIVER LABEL DRVDIR DEV: unbind DEV, fail its probe, and
# check it is bound at the end.
unbound_inject() {
	if [ "$1" != usbcam ] && [ "$subdev_probe" != 1 ]; then
		tap_skip "$1 probe ($2): allocations failed in turn" \
			"VLIFE_FAULT_SUBDEV_PROBE=0"
		return 0
	fi
	if [ "$1" = usbcam ] && [ "$usb_io" != 1 ]; then
		tap_skip "$1 probe ($2): allocations failed in turn" \
			"over $VLIFE_USBCAM_TRANSPORT: vhci_hcd loses an URB whose allocation fails (VLIFE_FAULT_USB_IO=1 runs it)"
		return 0
	fi
	echo "$4" >"$3/unbind"
	_secs=$fault_secs
	fault_secs=$fault_probe_secs
	inject "$1 probe ($2)" bind "$3" "$4"
	fault_secs=$_secs
	[ -e "$3/$4" ] || echo "$4" >"$3/bind" 2>/dev/null
	if wait_for 60 rb_nodes_up "$1"; then
		tap_ok "$1: bound again after the faults ($2)"
	elif [ "$2" = "sensor, I2C" ] && [ -e "$3/$4" ] && rb_rebind_bridge &&
		wait_for 60 rb_nodes_up "$1"; then
		tap_ok "$1: bound again after the faults ($2; the bridge rebound)"
	else
		tap_fail "$1: bound again after the faults ($2)"
	fi
}

# When the bridge's .complete fails inside the sensor's probe, Debian's
# 6.1 v4l2-async has already taken the sensor's match off the notifier's
# waiting list and does not put it back (v4l2_async_register_subdev(),
# err_unbind): the sensor, bound again, waits for a bridge that no longer
# waits for it, until the bridge is bound again.  Upstream's, not vlife's.
rb_rebind_bridge() {
	tap_diag "sensor bound, graph not complete: binding the bridge again (v4l2-async of 6.1 drops a match whose .complete failed)"
	_b=/sys/bus/platform/drivers/vlife-bridge
	echo vlife-bridge.0 >$_b/unbind && echo vlife-bridge.0 >$_b/bind
}

# node_inject DRIVER NODE: open, REQBUFS and STREAMON.
node_inject() {
	for _op in open reqbufs streamon; do
		if [ "$1" = usbcam ] && [ $_op = streamon ] && [ "$usb_io" != 1 ]
		then
			tap_skip "$1 $_op: allocations failed in turn" \
				"over $VLIFE_USBCAM_TRANSPORT: vhci_hcd loses an URB whose allocation fails (VLIFE_FAULT_USB_IO=1 runs it)"
			continue
		fi
		inject "$1 $_op" "$_op" "$2"
	done
}

faults_part() {
	# every allocation counts, sleeping ones and single pages too; quietly
	for _f in failslab fail_page_alloc; do
		[ -d $dbg/$_f ] || continue
		echo N >$dbg/$_f/ignore-gfp-wait
		echo 0 >$dbg/$_f/verbose
	done
	[ -d $dbg/fail_page_alloc ] && echo 0 >$dbg/fail_page_alloc/min-order
	case $drv in
	testdrv)
		unbound_inject testdrv platform \
			/sys/bus/platform/drivers/vlife-testdrv vlife-testdrv.0
		;;
	board)
		unbound_inject board "sensor, I2C" \
			/sys/bus/i2c/drivers/vlife-sensor "$(rb_sensor_client)"
		unbound_inject board "bridge, platform" \
			/sys/bus/platform/drivers/vlife-bridge vlife-bridge.0
		;;
	usbcam)
		unbound_inject usbcam "USB interface" \
			/sys/bus/usb/drivers/vlife-usbcam "$(rb_usb_dev):1.0"
		;;
	esac
	node_inject "$drv" "$(main_node)"
	if timeout 60 v4l2-ctl -d "$(main_node)" --stream-mmap \
		--stream-count=3 >"$logs/stream.log" 2>&1; then
		tap_ok "$drv: streams after the faults"
	else
		tail -n 3 "$logs/stream.log" | sed 's/^/# /'
		tap_fail "$drv: streams after the faults"
	fi
}

# ---- the run ----

echo "TAP version 13"
tap_diag "robustness suite on $drv, kernel $rb_kernel, parts: $parts;" \
	"seed $seed (VLIFE_SEED replays)"
[ "$drv" = usbcam ] &&
	tap_diag "usbcam: transport $VLIFE_USBCAM_TRANSPORT, USB I/O faults:" \
		"$([ "$usb_io" = 1 ] && echo on || echo off)"
# a run before this one may have left the driver loaded
rb_down "$drv" >/dev/null 2>&1
up=
timed_start
rb_mark
if has_part modload; then
	load_burst && up=1 && rmmod_open
	modload_failed=$((tap_failed - rb_mark_failed))
	timed_end "load bursts"
fi
if [ -z "$up" ]; then
	# plainly, so that the other parts still run
	timed_start
	rb_up_for "$drv" "robustness suite" && up=1
	timed_end "bring-up"
fi
if [ -n "$up" ]; then
	if has_part faults; then
		if [ ! -e /proc/thread-self/fail-nth ] ||
		   [ ! -d $dbg/failslab ]; then
			tap_skip "$drv: fault injection" \
				"no fail-nth or failslab in this kernel"
		elif ready "fault injection"; then
			timed_start
			rb_mark
			faults_part
			rb_verdict "$drv" faults
			timed_end faults
		fi
	fi
	if has_part stress && ready "race stress"; then
		timed_start
		rb_mark
		stress_part
		rb_verdict "$drv" stress
		timed_end stress
	fi
	if has_part fuzz && ready "fuzzer"; then
		timed_start
		rb_mark
		fuzz_part
		rb_verdict "$drv" fuzz
		timed_end fuzz
	fi
fi
timed_start
if has_part modload; then
	rb_mark
	[ -n "$up" ] && unload_burst
	rb_down "$drv"
	rb_live_zero "$drv"
	rb_verdict "$drv" modload "$modload_failed"
	timed_end "unload burst"
else
	tap_check "$drv: unloads" rb_down "$drv"
	rb_live_zero "$drv"
	timed_end "unload"
fi
tap_check "vlife-core unloads" rmmod vlife_core
echo "1..$tap_n"
tap_done && [ $rb_failed = 0 ]
