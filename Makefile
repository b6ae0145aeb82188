# SPDX-License-Identifier: GPL-2.0
#
# Thin wrapper around Kbuild (Documentation/kbuild/modules.rst).
#
#   make                 build every module against Debian's 6.1 headers
#   make KDIR=<tree>     build against another tree (the debug kernel)
#   make W=1             extra warnings, as the test command builds
#   make lint            checkpatch --strict and kernel-doc, must be silent
#   make check           the README's test command (./vlife test)
#   make demo            the README's demo command (./vlife demo)

# Debian's 6.1 headers, not the host's running kernel: the newest installed.
KDIR ?= $(lastword $(sort $(wildcard /usr/src/linux-headers-6.1.*-amd64)))

VLIFE_CONFIG := CONFIG_VLIFE=y CONFIG_VLIFE_CORE=m \
		CONFIG_VLIFE_TESTDRV=m CONFIG_VLIFE_CANARY=m

VLIFE_CONFIG += CONFIG_VLIFE_SENSOR=m CONFIG_VLIFE_BRIDGE=m \
		CONFIG_VLIFE_HW_BOARD=m

# TEMPORARY while the USB camera is being written: built once its source
# is in the tree.  To be made unconditional when it has landed.
VLIFE_CONFIG += $(if $(wildcard drivers/usb/vlife-usbcam.c),CONFIG_VLIFE_USBCAM=m)

# The KUnit suite only where the target kernel has KUnit (the debug kernel).
VLIFE_CONFIG += $(if $(shell grep -s '^CONFIG_KUNIT=y' $(KDIR)/.config),\
		  CONFIG_VLIFE_KUNIT_TEST=m)

LINT_FILES = $(shell find core drivers hw include selftests -name '*.[ch]' ! -name '*.mod.c' 2>/dev/null)

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no Debian 6.1 headers: ./vlife setup"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(VLIFE_CONFIG) modules

clean:
	@test -z "$(KDIR)" || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build

lint:
	@userspace-tools/lint $(LINT_FILES)

check:
	./vlife test

demo:
	./vlife demo

.PHONY: all modules clean lint check demo

# make bench: vlife against vivid and uvcvideo, one guest boot per kernel
# (VLIFE_KERNELS, default stock only); not part of check.  Results and
# plots in build/bench/ (userspace-tools/bench/run-bench).
bench:
	userspace-tools/bench/run-bench

.PHONY: bench
