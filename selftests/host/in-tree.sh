#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# in-tree.sh: vlife merged into a kernel tree builds there, through its
# own Kconfig.  The core, the sample drivers, the hardware model and the
# test modules are copied into a copy of the extracted linux-source-6.1
# tree as drivers/media/vlife/, hooked into drivers/media/Kconfig and
# drivers/media/Makefile; Debian's configuration with every vlife option
# switched on goes through olddefconfig, and every option must survive it
# (its dependencies met); then "make drivers/media/vlife/" and the modules
# it lists build there with W=1 and no compiler warning, and every symbol
# they import is exported by Debian's kernel or by vlife itself.
#
# Cached under ${VLIFE_CACHE:-~/.cache/vlife}/intree-<source version>/:
# src/, a hard-linked copy of the extracted source (made once), and
# build/, the O= tree after modules_prepare.  Nothing is written through
# the hard links: the two changed files are replaced, never edited, and
# every object goes to the O= tree; the last case checks that the
# extracted source was not modified.
#
# The KUnit suite needs KUNIT and FAILSLAB, which Debian's kernel does not
# have: they are switched on too, and vlife-kunit.ko is left out of the
# symbol check (its kunit_* imports come from a kernel Debian does not
# ship).  Debug information is switched off: with BTF a module's final
# link needs vmlinux, which is not built here.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=selftests/lib/tap.sh
. selftests/lib/tap.sh
# shellcheck source=userspace-tools/vm/kernels.sh
. userspace-tools/vm/kernels.sh

# What is copied: everything Kbuild reaches (hw/usb/ is userspace).
parts=(Kbuild Kconfig core include drivers hw selftests/testdrv
       selftests/canary)
# Kbuild/Kconfig symbols switched on; CONFIG_VLIFE is a menu (bool).
opts=(VLIFE_CORE VLIFE_KUNIT_TEST VLIFE_SENSOR VLIFE_BRIDGE VLIFE_USBCAM
      VLIFE_HW_BOARD VLIFE_TESTDRV VLIFE_CANARY)

tap_plan 5
if ! pristine=$(vlife_kernel_source) || ! stock=$(vlife_stock_release); then
	tap_fail "linux-source-6.1 extracted and a Debian 6.1 kernel installed"
	exit 1
fi
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
cache=${VLIFE_CACHE:-$HOME/.cache/vlife}
base=$cache/intree-$ver
src=$base/src
out=$base/build
dst=$src/drivers/media/vlife
log=$base/build.log
mkdir -p "$base" "$out"
exec 9>"$base/.lock"
flock 9
stamp=$base/.started
touch "$stamp"
: >"$log"

# step NAME CMD...: run CMD into the log, say how long it took.
step() {
	local name=$1 start=$SECONDS
	shift
	echo "=== $name" >>"$log"
	if "$@" >>"$log" 2>&1; then
		tap_diag "$name: $((SECONDS - start)) s"
		return 0
	fi
	tail -n 30 "$log" | sed 's/^/# /'
	return 1
}

# The merge: the source copy (hard links, once), our files, the two hooks.
merge() {
	if [ ! -f "$src/.vlife-linked" ]; then
		rm -rf "$src"
		cp -al "$pristine" "$src" || return 1
		touch "$src/.vlife-linked"
	fi
	rm -rf "$dst"
	mkdir -p "$dst"
	rsync -aR --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*' --exclude='*.a' \
		--exclude=modules.order --exclude=Module.symvers \
		--exclude=hw/usb/ "${parts[@]}" "$dst/" || return 1
	# Replaced, not edited in place: they are hard links to the cache.
	grep -q '^endif # MEDIA_SUPPORT' "$pristine/drivers/media/Kconfig" ||
		return 1
	sed '/^endif # MEDIA_SUPPORT/i source "drivers/media/vlife/Kconfig"\n' \
		"$pristine/drivers/media/Kconfig" >"$base/Kconfig.new" &&
	mv -f "$base/Kconfig.new" "$src/drivers/media/Kconfig" &&
	{ cat "$pristine/drivers/media/Makefile" &&
	  echo "obj-\$(CONFIG_VLIFE) += vlife/"; } >"$base/Makefile.new" &&
	mv -f "$base/Makefile.new" "$src/drivers/media/Makefile"
}

# Debian's configuration with every vlife option on; each must survive.
configure() {
	local o args=(--enable VLIFE --module KUNIT --enable FAULT_INJECTION
		      --enable FAILSLAB --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT
		      --enable DEBUG_INFO_NONE)

	for o in "${opts[@]}"; do
		args+=(--module "$o")
	done
	cp "/boot/config-$stock" "$out/.config" &&
	"$src/scripts/config" --file "$out/.config" "${args[@]}" &&
	make -C "$src" O="$out" olddefconfig </dev/null
}

config_survived() {
	local o bad=0

	grep -qx CONFIG_VLIFE=y "$out/.config" || {
		echo "CONFIG_VLIFE: $(grep '^CONFIG_VLIFE=' "$out/.config" || echo unset)"
		bad=1
	}
	for o in "${opts[@]}"; do
		grep -qx "CONFIG_$o=m" "$out/.config" && continue
		echo "wanted CONFIG_$o=m, got $(grep "^CONFIG_$o=" "$out/.config" || echo unset)"
		bad=1
	done
	return $bad
}

# The modules Kbuild lists: drivers/media/vlife/DIR/NAME.ko.
expected_modules() {
	local kb d

	(cd "$dst" && find . -name Kbuild | sort) | while read -r kb; do
		d=${kb%/Kbuild}
		d=${d#.}
		# shellcheck disable=SC2016 # a literal $(CONFIG_...)
		sed -n 's/^obj-\$(CONFIG_VLIFE[A-Z_]*) += \([a-z0-9_-]*\)\.o$/\1/p' \
			"$dst/$kb" | while read -r m; do
			echo "drivers/media/vlife${d}/$m.ko"
		done
	done
}

# Every symbol the modules import (nm -u; modpost cannot check them
# without vmlinux.o) is exported by Debian's kernel or by a vlife module.
imports_resolve() {
	local symvers=/usr/src/linux-headers-$stock/Module.symvers n=0 bad=0 s
	local ours=$out/modules-only.symvers

	while read -r s; do
		n=$((n + 1))
		grep -q "	$s	" "$symvers" "$ours" && continue
		echo "$s: exported neither by $stock nor by vlife"
		bad=1
	done < <(cd "$out" && for k in "${kos[@]}"; do
			[ "${k##*/}" = vlife-kunit.ko ] || nm -u "$k"
		 done | awk '{ print $2 }' | grep -v '^__this_module$' |
		 sort -u)
	if [ "$bad" = 0 ]; then
		echo "$n symbols imported, all exported by $stock or vlife"
	else
		echo "$n symbols imported, not all exported"
	fi
	[ "$n" -gt 0 ] && return $bad
}

t0=$SECONDS
if step "merge into $src" merge; then
	tap_ok "vlife merged into linux-source-$ver as drivers/media/vlife"
else
	tap_fail "vlife merged into linux-source-$ver as drivers/media/vlife"
	exit 1
fi

if step olddefconfig configure && out_c=$(config_survived); then
	grep -E '^CONFIG_VLIFE' "$out/.config" | tr '\n' ' ' | sed 's/^/# /'
	echo
	tap_ok "every vlife option survives olddefconfig from Debian's config"
else
	echo "${out_c:-}" | sed 's/^/# /'
	tap_fail "every vlife option survives olddefconfig from Debian's config"
	exit 1
fi

if step modules_prepare make -C "$src" O="$out" -j"$(nproc)" \
	modules_prepare; then
	tap_ok "modules_prepare"
else
	tap_fail "modules_prepare"
	exit 1
fi

mapfile -t kos < <(expected_modules)
tap_diag "Kbuild lists ${#kos[@]} modules: ${kos[*]##*/}"
rm -rf "$out/drivers/media/vlife"
if step "make drivers/media/vlife/" make -C "$src" O="$out" -j"$(nproc)" \
	W=1 drivers/media/vlife/ &&
   step modules make -C "$src" O="$out" W=1 "${kos[@]}" &&
   ! sed -n '/^=== make drivers/,$p' "$log" | grep -E 'warning:|error:' |
	grep -v '/scripts/genksyms/' | sed 's/^/# /' | grep . &&
   missing=$(cd "$out" && for k in "${kos[@]}"; do
		[ -f "$k" ] || echo "$k"; done) && [ -z "$missing" ] &&
   msg=$(imports_resolve); then
	tap_diag "$msg"
	tap_ok "${#kos[@]} modules build in the tree with W=1, no warning"
else
	[ -n "${missing:-}" ] && tap_diag "not built: $missing"
	[ -n "${msg:-}" ] && echo "$msg" | sed 's/^/# /'
	tap_fail "${#kos[@]} modules build in the tree with W=1, no warning"
fi

changed=$(find "$pristine" -newer "$stamp" -print -quit)
if [ -z "$changed" ]; then
	tap_ok "the extracted source is unchanged"
else
	tap_diag "modified: $changed"
	tap_fail "the extracted source is unchanged"
fi
tap_diag "in-tree build in $((SECONDS - t0)) s (log: $log)"
tap_done
