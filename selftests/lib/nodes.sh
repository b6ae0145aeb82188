# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Finding device nodes by the names their drivers gave them.

# v4l_node PREFIX NAME: the /dev path of the video4linux node (video,
# v4l-subdev...) named NAME; fails if there is none.
v4l_node() {
	for _d in /sys/class/video4linux/"$1"*; do
		if [ "$(cat "$_d/name" 2>/dev/null)" = "$2" ]; then
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
