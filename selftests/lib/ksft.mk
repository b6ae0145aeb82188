# SPDX-License-Identifier: GPL-2.0
#
# What the vlife kselftest Makefiles share: each sets TEST_GEN_PROGS and
# includes this file.  The programs are built on the host with lib.mk and
# kselftest_harness.h from the extracted linux-source-6.1 tree (neither is
# copied here), with this directory (vlife_test.h) and userspace-tools/
# include (vlife-util.h) on the include path, into build/selftests/; the
# guest runs them from the shared project tree.
#
#   make -C selftests/DIR [OUT=dir] [KSRC=linux-source-tree]
#   make -C selftests/DIR run_tests
#   make -C selftests/DIR install INSTALL_PATH=dir

vlife_lib := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
top := $(abspath $(vlife_lib)/../..)
vlife_inc := $(top)/userspace-tools/include

OUT ?= $(top)/build/selftests/
KSRC ?= $(shell bash -c '. $(top)/userspace-tools/vm/kernels.sh && \
	vlife_kernel_source')
ksft := $(KSRC)/tools/testing/selftests

ifeq ($(wildcard $(ksft)/lib.mk),)
$(error no kselftest lib.mk under KSRC=$(KSRC))
endif

OUTPUT := $(abspath $(OUT))
CFLAGS += -Wall -Wextra -O2 -pthread -isystem $(ksft) -I$(vlife_lib) \
	-I$(vlife_inc)
LDLIBS += -pthread
LOCAL_HDRS += $(vlife_lib)/vlife_test.h $(vlife_inc)/vlife-util.h

include $(ksft)/lib.mk

$(TEST_GEN_PROGS): | $(OUTPUT)
$(OUTPUT):
	mkdir -p $@
