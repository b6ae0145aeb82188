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
#   make install         build and install the modules (not the canary)
#                        into $(INSTALL_MOD_PATH)/lib/modules/<release>/
#                        $(INSTALL_MOD_DIR), then depmod; DESTDIR works
#                        as INSTALL_MOD_PATH (packaging)

# Debian's 6.1 headers, not the host's running kernel: the newest installed.
KDIR ?= $(lastword $(sort $(wildcard /usr/src/linux-headers-6.1.*-amd64)))

# The canary is a test VM's deliberately buggy module: VLIFE_CANARY=
# leaves it out (make install and dkms.conf do).
VLIFE_CANARY ?= m

VLIFE_CONFIG := CONFIG_VLIFE=y CONFIG_VLIFE_CORE=m \
		CONFIG_VLIFE_TESTDRV=m CONFIG_VLIFE_CANARY=$(VLIFE_CANARY)

VLIFE_CONFIG += CONFIG_VLIFE_SENSOR=m CONFIG_VLIFE_BRIDGE=m \
		CONFIG_VLIFE_HW_BOARD=m

VLIFE_CONFIG += CONFIG_VLIFE_USBCAM=m

# The KUnit suite only where the target kernel has KUnit (the debug kernel).
VLIFE_CONFIG += $(if $(shell grep -s '^CONFIG_KUNIT=y' $(KDIR)/.config),\
		  CONFIG_VLIFE_KUNIT_TEST=m)

LINT_FILES = $(shell find core drivers hw include selftests -name '*.[ch]' ! -name '*.mod.c' 2>/dev/null)

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no Debian 6.1 headers: ./vlife setup"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(VLIFE_CONFIG) modules

# Kbuild's modules_install puts the modules under INSTALL_MOD_DIR
# ("updates" takes precedence over the kernel's own modules for depmod).
# It signs them only if the tree has the signing key (Debian's headers do
# not), and its depmod needs a System.map (Debian's headers have none):
# depmod runs here instead, on $(INSTALL_MOD_PATH).
INSTALL_MOD_PATH ?= $(DESTDIR)
INSTALL_MOD_DIR ?= updates/vlife
# The release string uname -r shows (Debian's kernel.release file says
# 6.1.N).
KDIR_RELEASE = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' \
		 $(KDIR)/include/generated/utsrelease.h)

install:
	$(MAKE) VLIFE_CANARY= modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(VLIFE_CONFIG) CONFIG_VLIFE_CANARY= \
		$(if $(wildcard $(KDIR)/certs/signing_key.pem),,\
		     CONFIG_MODULE_SIG_ALL=) \
		INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	depmod -b $(or $(INSTALL_MOD_PATH),/) $(KDIR_RELEASE)

clean:
	@test -z "$(KDIR)" || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build

lint:
	@userspace-tools/lint $(LINT_FILES)

check:
	./vlife test

demo:
	./vlife demo

.PHONY: all modules install clean lint check demo

# make bench: vlife against vivid and uvcvideo, one guest boot per kernel
# (VLIFE_KERNELS, default stock only); not part of check.  Results and
# plots in build/bench/ (userspace-tools/bench/run-bench).
bench:
	userspace-tools/bench/run-bench

.PHONY: bench
