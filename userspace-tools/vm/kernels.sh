# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Where the two target kernels live.  Sourced by run-vm and the top-level
# vlife script.
#
# vlife_stock_release: the newest Debian 6.1 amd64 kernel installed in /boot
# (the host's running kernel is not the target).
vlife_stock_release() {
	local v
	v=$(ls /boot/vmlinuz-6.1.*-amd64 2>/dev/null | sed 's|.*/vmlinuz-||' |
		sort -V | tail -n 1)
	[ -n "$v" ] || { echo "no Debian 6.1 kernel in /boot" >&2; return 1; }
	echo "$v"
}

# vlife_kernel_select stock|debug: sets
#   KIMAGE      the bzImage to boot
#   KRELEASE    its release string
#   KMODDIR     its /lib/modules/<release> directory on the host
#   KDIR        the tree to build out-of-tree modules against
#   KBUILTIN9P  1 if virtio and 9p are built in (no initramfs modules)
vlife_kernel_select() {
	local here dir
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	case "$1" in
	stock)
		KRELEASE=$(vlife_stock_release) || return 1
		KIMAGE=/boot/vmlinuz-$KRELEASE
		KMODDIR=/lib/modules/$KRELEASE
		KDIR=/usr/src/linux-headers-$KRELEASE
		KBUILTIN9P=0
		;;
	debug)
		dir=$("$here/build-debug-kernel") || return 1
		KRELEASE=$(cat "$dir/release")
		KIMAGE=$dir/build/arch/x86/boot/bzImage
		KMODDIR=$dir/root/lib/modules/$KRELEASE
		KDIR=$dir/build
		KBUILTIN9P=1
		;;
	*)
		echo "unknown kernel '$1' (stock or debug)" >&2
		return 1
		;;
	esac
}

# vlife_kernel_source: the extracted linux-source-6.1 tree (checkpatch,
# kernel-doc, kselftest headers, the debug kernel), extracted once into the
# cache, keyed by the source package's version.
vlife_kernel_source() {
	local cache=${VLIFE_CACHE:-$HOME/.cache/vlife}
	local tarball=/usr/src/linux-source-6.1.tar.xz
	local ver dir
	[ -f "$tarball" ] || { echo "missing $tarball (./vlife setup)" >&2; return 1; }
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	dir=$cache/src-$ver
	mkdir -p "$cache"
	(
		flock 9
		if [ ! -f "$dir/linux-source-6.1/.vlife-extracted" ]; then
			echo "extracting $tarball" >&2
			rm -rf "$dir"
			mkdir -p "$dir"
			tar -C "$dir" -xf "$tarball"
			touch "$dir/linux-source-6.1/.vlife-extracted"
		fi
	) 9>"$cache/.extract.lock"
	echo "$dir/linux-source-6.1"
}
