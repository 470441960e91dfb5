#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-fds.sh: the checkpoint of a container of many processes with many
# descriptors (tests/bench/crfs-bench-fds), timed: the cost of finding the
# descriptions processes share and of collecting their locks.  Mounts
# crfs-fuse on a private directory, starts the tree in a container,
# checkpoints it RUNS times (frozen, each image read to /dev/null; the
# container is left as it was) and prints each time and the median, then
# kills what it started and unmounts.  Not a test: a measurement.
#
# Environment: BUILD (default build), PROCS (300), FDS (64), SAME (16:
# descriptors of each process on files every process opens for itself),
# RUNS (5), PERF (a file: perf record -g of crfs-fuse during the runs),
# KCMP (1: count crfs-fuse's kcmp() calls, and others', per checkpoint,
# with perf stat).
set -u
BUILD=${BUILD:-build}
PROCS=${PROCS:-300} FDS=${FDS:-64} SAME=${SAME:-16} RUNS=${RUNS:-5}
dir=$(mktemp -d /tmp/crfs-bench-fds.XXXXXX) || exit 1
mnt=$dir/mnt work=$dir/work
mkdir -p "$mnt" "$work"
fuse_pid= prog_pid= perf_pid=

cleanup() {
	[ -n "$prog_pid" ] && echo kill > "$mnt/ct/state" 2>/dev/null
	[ -n "$perf_pid" ] && kill -INT "$perf_pid" 2>/dev/null && wait "$perf_pid"
	sleep 0.5
	rmdir "$mnt/ct" 2>/dev/null
	fusermount3 -u "$mnt" 2>/dev/null
	[ -n "$fuse_pid" ] && wait "$fuse_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

ulimit -n $((FDS + 64))
"$BUILD/bin/crfs-fuse" -f "$mnt" </dev/null >"$dir/fuse.log" 2>&1 10>&- 251>&- &
fuse_pid=$!
for _ in $(seq 100); do mountpoint -q "$mnt" && break; sleep 0.05; done
mkdir "$mnt/ct" || exit 1
"$BUILD/tests/bench/crfs-bench-fds" "$PROCS" "$FDS" "$SAME" "$work" \
	</dev/null >/dev/null 2>&1 10>&- 251>&- &
prog_pid=$!
disown "$prog_pid"
echo "$prog_pid" > "$mnt/ct/procs" || exit 1
touch "$work/go"
for _ in $(seq 600); do [ -e "$work/ready" ] && break; sleep 0.1; done
[ -e "$work/ready" ] || { echo "bench-fds: the tree is not ready" >&2; exit 1; }
echo freeze > "$mnt/ct/state"
for _ in $(seq 100); do grep -qx 'frozen 1' "$mnt/ct/events" && break; sleep 0.05; done
if [ "${KCMP:-0}" = 1 ]; then
	perf stat -x, -e syscalls:sys_enter_kcmp,syscalls:sys_enter_openat,syscalls:sys_enter_readlinkat,syscalls:sys_enter_read \
		-p "$fuse_pid" -o "$dir/stat" >/dev/null 2>&1 &
	perf_pid=$!
	sleep 0.5
elif [ -n "${PERF:-}" ]; then
	perf record -g -o "$PERF" -p "$fuse_pid" >/dev/null 2>&1 &
	perf_pid=$!
	sleep 0.5
fi
times=()
for i in $(seq "$RUNS"); do
	t0=$(date +%s%N)
	if ! cat "$mnt/ct/image" > /dev/null; then
		echo "bench-fds: checkpoint failed: $(cat "$mnt/ct/error")" >&2
		exit 1
	fi
	t1=$(date +%s%N)
	times+=($(( (t1 - t0) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "bench-fds: $PROCS processes x $FDS fds ($SAME alike): checkpoint ms: ${times[*]}; median ${sorted[$((RUNS / 2))]}"
if [ "${KCMP:-0}" = 1 ]; then
	kill -INT "$perf_pid" 2>/dev/null
	wait "$perf_pid" 2>/dev/null
	perf_pid=
	awk -F, -v runs="$RUNS" '$3 ~ /syscalls/ { sub("syscalls:sys_enter_", "", $3);
		printf "bench-fds: %s calls per checkpoint: %d\n", $3, $1 / runs }' "$dir/stat"
fi
