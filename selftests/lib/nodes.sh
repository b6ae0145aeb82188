# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Finding device nodes by the names their drivers gave them.

# v4l_node PREFIX NAME: the /dev path of the first video4linux node (video,
# v4l-subdev...) whose name matches the shell pattern NAME (e.g.
# 'vlife-sensor*'); fails if there is none.
v4l_node() {
	for _d in /sys/class/video4linux/"$1"*; do
		# shellcheck disable=SC2254 # NAME is a pattern
		case $(cat "$_d/name" 2>/dev/null) in
		$2)
			echo "/dev/${_d##*/}"
			return 0
			;;
		esac
	done
	return 1
}

# cap_node DRIVER: the /dev path of the capture node (index 0) of a device
# bound to DRIVER (a uvcvideo camera also has a metadata node, index 1, of
# the same name).
cap_node() {
	for _d in /sys/class/video4linux/video*; do
		[ "$(cat "$_d/index" 2>/dev/null)" = 0 ] || continue
		_drv=$(readlink "$_d/device/driver" 2>/dev/null)
		if [ "${_drv##*/}" = "$1" ]; then
			echo "/dev/${_d##*/}"
			return 0
		fi
	done
	return 1
}

# media_node MODEL: the /dev path of the media device with that model.
media_node() {
	for _d in /sys/bus/media/devices/media*; do
		if [ "$(cat "$_d/model" 2>/dev/null)" = "$1" ]; then
			echo "/dev/${_d##*/}"
			return 0
		fi
	done
	return 1
}
