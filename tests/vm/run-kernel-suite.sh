#!/bin/bash
# The conformance suite and the kernel-only tests against the kernel crfs.
# Runs inside the test VM, from the repository top:
#
#   BUILD=dir scripts/vm-run.sh -c 'tests/vm/run-kernel-suite.sh [BATS-PATH...]'
#
# Mounts crfs on /crfs (on a directory of a tmpfs when there is no /crfs),
# exports CRFS_ROOT (the kernel checkpoints and restores trees of
# processes with threads, memory, plain files and pipes, signals, timers,
# credentials, in a pid namespace of their own or not; the conformance
# tests tagged image use what it refuses yet, or tell it in other words
# than crfs-fuse: they are left out, see below; tests/bats/kernel/050,
# 060 and 065 test the kernel's image), runs `bats --tap --timing` (each test's time, to keep the VM suites
# lean) over tests/vm-smoke, tests/bats, tests/bats/kernel and
# tests/bats/kernel-ns (or the BATS-PATHs given) and prints TAP.  The
# programs come from $CRFS_BIN and $CRFS_ZDTM, else from $BUILD/bin and
# $BUILD/tests/zdtm when they are there.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

if [[ -z ${CRFS_BIN:-} && -n ${BUILD:-} && -x $BUILD/bin/crctl ]]; then
	export CRFS_BIN=$BUILD/bin
fi
if [[ -z ${CRFS_ZDTM:-} && -n ${BUILD:-} && -d $BUILD/tests/zdtm ]]; then
	export CRFS_ZDTM=$BUILD/tests/zdtm
fi

if ! grep -qw crfs /proc/filesystems; then
	echo "Bail out! this kernel has no crfs (CONFIG_CRFS)"
	exit 1
fi
mnt=/crfs
if [[ ! -d $mnt ]]; then
	mkdir -p /run/crfs-top &&
		mount -t tmpfs -o mode=0755 tmpfs /run/crfs-top &&
		mkdir /run/crfs-top/crfs || exit 1
	mnt=/run/crfs-top/crfs
fi
if ! mount -t crfs crfs "$mnt"; then
	echo "Bail out! cannot mount crfs on $mnt"
	exit 1
fi
export CRFS_ROOT=$mnt

if [[ $# -eq 0 ]]; then
	set -- tests/vm-smoke tests/bats tests/bats/kernel tests/bats/kernel-ns
fi
# The tests that begin with require_image need what the kernel refuses
# yet (or test crfs-fuse's words for it): they are left out by their tag,
# counted, and the tags checked against the bodies (a skip each would cost
# bats's processes under TCG: 311 of them once took 731 s of 1974 s).  (A --filter-tags of
# the caller's own is an alternative to this one, as bats combines them.)
paths=()
for a in "$@"; do [[ -e $a ]] && paths+=("$a"); done
if ! nimg=$(tests/vm/image-tags.sh "${paths[@]}"); then
	echo "Bail out! tests/vm/image-tags.sh: image tags and require_image disagree, or it failed"
	umount "$mnt"
	exit 1
fi
echo "# $nimg tests need what the kernel does not checkpoint or restore yet (tagged image): not run"
bats --tap --timing --filter-tags '!image' "$@"
rc=$?
umount "$mnt" || rc=1
exit $rc
