# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# TAP 13 helpers for the shell tests, in the style of kselftest's ktap
# output: "ok N name", "not ok N name", "ok N name # SKIP why", and
# "# " diagnostics.  Source it, call tap_plan, then one result per case.

tap_n=0
tap_failed=0

tap_plan() {
	echo "TAP version 13"
	echo "1..$1"
}

tap_diag() {
	echo "# $*"
}

tap_ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n $*"
}

tap_fail() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n $*"
}

tap_skip() { # name why
	tap_n=$((tap_n + 1))
	echo "ok $tap_n $1 # SKIP $2"
}

# tap_check NAME CMD...: one case that passes when CMD succeeds; CMD's
# output is shown as diagnostics.
tap_check() {
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		[ -n "$_out" ] && echo "$_out" | sed 's/^/# /'
		tap_ok "$_name"
	else
		echo "$_out" | sed 's/^/# /'
		tap_fail "$_name"
	fi
}

# tap_done: exit status for the test program.
tap_done() {
	[ "$tap_failed" = 0 ]
}
