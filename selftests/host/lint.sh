#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The style gate passes on the tree, and fails on a file known to break it
# (so a silent gate cannot pass for a clean tree).
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/tap.sh

tap_plan 2
tap_check "make lint: checkpatch --strict and kernel-doc silent" make -s lint
bad=$(mktemp --suffix=.c)
cp selftests/host/testdata/bad-style.c.txt "$bad"
if out=$(userspace-tools/lint "$bad" 2>&1); then
	echo "$out" | sed 's/^/# /'
	tap_fail "lint flags a badly styled file"
else
	tap_diag "$(echo "$out" | grep -cE '^(WARNING|ERROR|CHECK)|warning:') findings in bad-style.c"
	tap_ok "lint flags a badly styled file"
fi
rm -f "$bad"
tap_done
