# The kernel side: the crfs test kernel and the VM that tests it.
# Included by the top Makefile; uses its BUILD.
#
#   make kernel     linux-source-6.12 (Debian) + kernel/patches/*.patch + the
#                   project's fs/crfs, fs/nsfs and kernel/cgroup sources and
#                   its uapi headers (include/uapi/linux/*.h: the image format),
#                   tinyconfig + kernel/config/crfs.config -> $(BUILD)/kernel/bzImage.
#                   Incremental: seconds when nothing changed.
#   make vm-test    boot it under qemu (TCG) and run the suites inside it
#                   (tests/vm/run-kernel-suite.sh: smoke, conformance against
#                   the kernel crfs, kernel-only, nsfs); prints TAP.
#                   VM_ARGS passes options and a command to scripts/vm-run.sh,
#                   e.g. VM_ARGS='-c "bats --tap tests/vm-smoke"'.
#   make test-kernel-debug
#                   the same kernel with kernel/config/debug.config (KASAN,
#                   lockdep, atomic-sleep checks) in $(BUILD)/kernel-debug,
#                   then the whole kernel suite in the VM with no report
#                   allowed (a KASAN, BUG or WARNING line fails it).  Not in
#                   make test: it takes one to two hours under TCG.

BUILD		?= build
VM_ARGS		?= -t 3600 -c tests/vm/run-kernel-suite.sh

# The Debian packages each target needs (groups of scripts/deps.sh); the VM
# runs the test suites from the host's root, so it needs theirs too.
DEPS_kernel	:= build kernel
DEPS_vm_test	:= build fuse test kernel vm

KDIR_DEBUG	:= $(abspath $(BUILD))/kernel-debug
VM_DEBUG_ARGS	?= -t 7200 -c tests/vm/run-kernel-suite.sh

.PHONY: kernel vm-test test-kernel-debug
kernel:
	@scripts/deps.sh $(DEPS_kernel)
	@BUILD=$(BUILD) scripts/kernel-build.sh

vm-test:
	@scripts/deps.sh $(DEPS_vm_test)
	@$(MAKE) --no-print-directory kernel all
	@BUILD=$(BUILD) scripts/vm-run.sh $(VM_ARGS)

test-kernel-debug:
	@scripts/deps.sh $(DEPS_vm_test)
	@$(MAKE) --no-print-directory all
	@CRFS_KDIR=$(KDIR_DEBUG) KERNEL_CONFIG_EXTRA=$(CURDIR)/kernel/config/debug.config \
		BUILD=$(BUILD) scripts/kernel-build.sh
	@CRFS_KDIR=$(KDIR_DEBUG) BUILD=$(BUILD) scripts/vm-run.sh $(VM_DEBUG_ARGS)
