#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# packaging.sh: the install targets do what distributions and kselftest
# runs rely on.
#
# - "make install INSTALL_MOD_PATH=dir" against Debian's 6.1 headers puts
#   the modules under dir/lib/modules/<release>/updates/vlife/ and depmod
#   lists them, the canary not among them;
# - dkms.conf names exactly those modules, at the paths Kbuild builds them;
# - "make -C selftests install INSTALL_PATH=dir" gives a run_kselftest.sh
#   that lists both vlife collections, once each after a second install.
#
# The build runs in a copy of the tree (build/packaging/src), as
# build-modules does, so the work tree's objects are not touched.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
# shellcheck source=selftests/lib/tap.sh
. selftests/lib/tap.sh
# shellcheck source=userspace-tools/vm/kernels.sh
. userspace-tools/vm/kernels.sh

tap_plan 3
out=$top/build/packaging
rm -rf "$out/root" "$out/ks"
mkdir -p "$out"
stock=$(vlife_stock_release) || exit 1
kdir=/usr/src/linux-headers-$stock

rsync -a --delete --exclude /build --exclude /.git "$top/" "$out/src/"
start=$SECONDS
if make -C "$out/src" KDIR="$kdir" INSTALL_MOD_PATH="$out/root" install \
	>"$out/install.log" 2>&1; then
	mods=$out/root/lib/modules/$stock
	installed=$(cd "$mods" && find updates -name '*.ko' | sort)
	tap_diag "installed in $((SECONDS - start)) s: $(echo "$installed" |
		sed 's|.*/||' | tr '\n' ' ')"
	deps=$(cut -d: -f1 "$mods/modules.dep" | sort)
	if [ -n "$installed" ] && [ "$installed" = "$deps" ] &&
	   ! grep -q canary <<<"$installed"; then
		tap_ok "make install: modules under updates/vlife, depmod lists them"
	else
		tap_diag "modules.dep: $(echo "$deps" | tr '\n' ' ')"
		tap_fail "make install: modules under updates/vlife, depmod lists them"
	fi
else
	tail -n 20 "$out/install.log" | sed 's/^/# /'
	tap_fail "make install: modules under updates/vlife, depmod lists them"
	installed=
fi

# dkms.conf: BUILT_MODULE_LOCATION[i] + BUILT_MODULE_NAME[i] per module.
dkms=$(sed -n 's/^BUILT_MODULE_\(NAME\|LOCATION\)\[\([0-9]*\)\]="\(.*\)"$/\2 \1 \3/p' \
	dkms.conf | sort -n -k1,1 -k2,2 |
	awk '$2 == "LOCATION" { loc[$1] = $3 } $2 == "NAME" { name[$1] = $3 }
	     END { for (i in name) print "updates/vlife/" loc[i] name[i] ".ko" }' |
	sed 's|//|/|' | sort)
if [ -n "$dkms" ] && [ "$dkms" = "$installed" ]; then
	tap_ok "dkms.conf names the modules make install installs"
else
	tap_diag "dkms.conf: $(echo "$dkms" | tr '\n' ' ')"
	tap_fail "dkms.conf names the modules make install installs"
fi

ks=$out/ks
if make -s -C selftests install INSTALL_PATH="$ks" >"$out/ks.log" 2>&1 &&
   make -s -C selftests install INSTALL_PATH="$ks" >>"$out/ks.log" 2>&1 &&
   list=$("$ks/run_kselftest.sh" -l) &&
   [ "$list" = "$(printf 'vlife/contract:unplug_test\nvlife/core:core_test')" ]
then
	tap_diag "run_kselftest.sh -l: $(echo "$list" | tr '\n' ' ')"
	tap_ok "kselftest install: run_kselftest.sh lists both collections"
else
	tail -n 20 "$out/ks.log" | sed 's/^/# /'
	tap_diag "run_kselftest.sh -l: $(echo "${list:-}" | tr '\n' ' ')"
	tap_fail "kselftest install: run_kselftest.sh lists both collections"
fi
tap_done
