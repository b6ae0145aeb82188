# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Checks shared by the guest tests: bounded waits, a v4l2-compliance run as
# one TAP case, and a kselftest program whose own TAP lines are passed
# through.  Source
# after lib/tap.sh and set:
#   logs       a directory for the programs' full output
#   bins       the directory of the kselftest programs (build/selftests)
# Optional: VLIFE_COMPLIANCE_TIMEOUT (s, default 300), VLIFE_KSFT_TIMEOUT
# (s, default 600).  kselftest() sets progs_rc=1 when a program fails.

progs_rc=0

# now_ms: wall clock in milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# wait_for SECONDS CMD...: retry CMD (its output discarded) every 0.1 s
# until it succeeds; fails after SECONDS.
wait_for() {
	_end=$(($(now_ms) + $1 * 1000))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(now_ms)" -lt $_end ] || return 1
		sleep 0.1
	done
}

# compliance NAME ARG...: one case; v4l2-compliance ARG... must end with a
# totals line saying "Failed: 0, Warnings: 0".  The failures and warnings
# are printed as diagnostics.
compliance() {
	_name=$1
	shift
	_log=$logs/compliance-$tap_n.log
	_t0=$(now_ms)
	timeout "${VLIFE_COMPLIANCE_TIMEOUT:-300}" v4l2-compliance "$@" \
		>"$_log" 2>&1
	_rc=$?
	_tot=$(grep -E 'Total for .*: [0-9]+, Succeeded: [0-9]+, Failed: [0-9]+, Warnings: [0-9]+' \
		"$_log" | tail -n 1)
	tap_diag "v4l2-compliance $*: exit $_rc in $(($(now_ms) - _t0)) ms"
	tap_diag "${_tot:-no totals line}"
	case $_tot in
	*"Failed: 0, Warnings: 0")
		tap_ok "$_name"
		return
		;;
	esac
	grep -B3 FAIL "$_log" | sed 's/^/# /'
	grep -B1 'warn:' "$_log" | sed 's/^/# /'
	[ -n "$_tot" ] || tail -n 20 "$_log" | sed 's/^/# /'
	tap_fail "$_name"
}

# kselftest PROG [VAR=VALUE...]: run $bins/PROG with the environment given,
# its TAP as is (its "ok N" lines are counted with the caller's cases).  A
# case of the caller's is added only if the program is missing or did not
# reach its "# Totals:" line, so no result is counted twice.
kselftest() {
	_bin=$bins/$1
	_log=$logs/$1.log
	shift
	if [ ! -x "$_bin" ]; then
		tap_fail "$_bin exists (build it on the host)"
		progs_rc=1
		return
	fi
	{
		timeout "${VLIFE_KSFT_TIMEOUT:-600}" env "$@" "$_bin" 2>&1
		echo $? >"$_log.rc"
	} | tee "$_log"
	_rc=$(cat "$_log.rc" 2>/dev/null || echo '?')
	tap_diag "${_bin##*/}: exit $_rc"
	[ "$_rc" = 0 ] || progs_rc=1
	grep -q '^# Totals: ' "$_log" ||
		tap_fail "${_bin##*/} ran to its end (exit $_rc)"
}
