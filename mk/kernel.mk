# The kernel side: the crfs test kernel and the VM that tests it.
# Included by the top Makefile; uses its BUILD.
#
#   make kernel     linux-source-6.12 (Debian) + kernel/patches/*.patch + the
#                   project's fs/crfs, fs/nsfs and kernel/cgroup sources,
#                   tinyconfig + kernel/config/crfs.config -> $(BUILD)/kernel/bzImage.
#                   Incremental: seconds when nothing changed.
#   make vm-test    boot it under qemu (TCG) and run tests/vm-smoke; prints TAP.
#                   VM_ARGS passes options and a command to scripts/vm-run.sh,
#                   e.g. VM_ARGS='-c "bats --tap tests/bats"'.

BUILD		?= build
VM_ARGS		?=

.PHONY: kernel vm-test
kernel:
	@BUILD=$(BUILD) scripts/kernel-build.sh

vm-test: kernel
	@BUILD=$(BUILD) scripts/vm-run.sh $(VM_ARGS)
