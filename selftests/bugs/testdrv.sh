#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# VLIFE_BUG=devm|nogate testdrv.sh: the core's test driver with a classic
# lifetime mistake put back, under the unplug contract test (see
# selftests/host/bug-switch.sh, which expects the mistake to be caught):
#   devm    the state freed at unbind, as devm_kzalloc() memory is: an fd
#           used after unbind reads freed memory (KASAN, debug kernel)
#   nogate  the V4L2 core's plain file operations, no unplug gate: a
#           blocked DQBUF gets EINVAL, a blocked DQEVENT is never woken
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=selftests/lib/modules.sh
. lib/modules.sh

tests=
[ "$VLIFE_BUG" = devm ] && tests="-t s2_idle_fd_enodev"
vlife_insmod core/vlife-core &&
	vlife_insmod selftests/testdrv/vlife-testdrv "bug=$VLIFE_BUG" || exit 1
# shellcheck disable=SC2086 # $tests is a list of options
VLIFE_VIDEO_NAME=vlife-testdrv \
	VLIFE_DRIVER_DIR=/sys/bus/platform/drivers/vlife-testdrv \
	VLIFE_DEVICE=vlife-testdrv.0 ../build/selftests/unplug_test $tests
