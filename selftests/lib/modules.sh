# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Loading the project's modules in the guest.  VLIFE_MODULES is the tree
# that build-modules built for the running kernel.

# vlife_ko NAME: path of module NAME (e.g. core/vlife-core) for this kernel.
vlife_ko() {
	echo "${VLIFE_MODULES:?VLIFE_MODULES is not set}/$1.ko"
}

# vlife_insmod NAME [PARAM=VALUE...]: load the kernel modules NAME depends
# on with modprobe, then NAME itself from the build tree.
vlife_insmod() {
	_ko=$(vlife_ko "$1")
	shift
	for _dep in $(modinfo -F depends "$_ko" | tr ',' ' '); do
		[ -d "/sys/module/$(echo "$_dep" | tr - _)" ] && continue
		modprobe "$_dep" || return 1
	done
	insmod "$_ko" "$@"
}
