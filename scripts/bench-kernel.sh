#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, shape "kernel": the kernel crfs against crfs-fuse on the same
# process in the same run, inside the test kernel under qemu (TCG: the
# times are an emulated machine's, only their ratios mean something).
# Builds the test kernel (make kernel: incremental, a few minutes the
# first time), boots it (scripts/vm-run.sh) and runs tests/vm/bench-kernel.sh
# there: crfs-bench-mem of each size checkpointed with cat from image and
# restored with cat into image, each engine in turn, each restored copy
# checking every page.  Prints its lines and the medians with their ratio
# FUSE/kernel (above 1: the kernel is faster).
#
#   scripts/bench-kernel.sh
#
# Environment: BUILD; BENCH_KERNEL_SIZES (MiB, default 64,256);
# BENCH_KERNEL_RUNS (default 3); BENCH_KERNEL_TIMEOUT (seconds for the VM,
# default 1200).
#
# Exit status 0 when the figures were measured (whatever they say) or the
# kernel could not be built here (then it says "not measured" and why);
# 1 when a cycle failed or a restored process was wrong.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
sizes=${BENCH_KERNEL_SIZES:-64,256}
runs=${BENCH_KERNEL_RUNS:-3}
limit=${BENCH_KERNEL_TIMEOUT:-1200}
log=$(mktemp /tmp/crfs-bench-kernel.XXXXXX)
trap 'rm -f "$log"' EXIT

echo "== kernel crfs against crfs-fuse, in the test kernel under qemu"
t0=$SECONDS
if ! make -C "$top" --no-print-directory BUILD="$BUILD" kernel >"$log" 2>&1; then
	echo "kernel: not measured: make kernel failed:"
	tail -n 5 "$log" | sed 's/^/  /'
	exit 0
fi
echo "kernel: built in $((SECONDS - t0)) s"
cd "$top" || exit 1
BUILD=$BUILD scripts/vm-run.sh -t "$limit" -- tests/vm/bench-kernel.sh "$sizes" "$runs" 2>"$log"
rc=$?
grep -v '^# vm: stderr' "$log" | sed -n 's/^#   bench-kernel: /kernel: /p; /^# vm:/p; /^not ok/p'
exit "$rc"
