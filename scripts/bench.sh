#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: checkpoint/restore speed against this machine's own limits.
#
# Mounts crfs-fuse on a private directory, runs tests/bench/crfs-bench
# through the mount (the user's path: control files and the image file),
# then unmounts and removes every file it made, whatever happens.
#
# Environment:
#   BUILD              build directory (default build)
#   BENCH_SIZES        MiB sizes, comma separated (default 64,1024)
#   BENCH_RUNS         runs per size (default 3)
#   BENCH_BUFSIZE      copy buffer of the image reader/writer (default: what
#                      cat uses, the larger st_blksize of the two files and
#                      at least 128 KiB; crfs image files say 1 MiB)
#   BENCH_SETTLE_MS    pause before each measured block (default 0)
#   BENCH_COLD         1: no recycling of memory before each step (-C)
#   BENCH_LIMITS_ONLY  1: measure the machine's limits only, no mount
#   BENCH_PERF         a file name: record crfs-fuse with perf record -g into it
#
# Exit status: 0 when everything ran and each restored process was intact,
# whether or not the speed targets were met; non-zero when something broke.
set -u

BUILD=${BUILD:-build}
SIZES=${BENCH_SIZES:-64,1024}
RUNS=${BENCH_RUNS:-3}
BUFSIZE=${BENCH_BUFSIZE:-}
FUSE=$BUILD/bin/crfs-fuse
DRIVER=$BUILD/tests/bench/crfs-bench
MEMPROG=$BUILD/tests/bench/crfs-bench-mem

# Descriptors the caller leaked into us (fd 10, 251, ...) would end up in
# the daemon and in the processes we checkpoint: every command we start
# gets them closed ($closers; bash keeps its own script fd 255 close-on-exec).
closers=
for fd in "/proc/$$/fd"/*; do
	fd=${fd##*/}
	[ "$fd" -gt 2 ] && [ "$fd" -ne 255 ] && closers="$closers $fd>&-"
done

die() {
	echo "bench: $*" >&2
	exit 1
}

for f in "$DRIVER" "$MEMPROG"; do
	[ -x "$f" ] || die "$f: not built (run make BUILD=$BUILD all)"
done

work=$(mktemp -d /tmp/crfs-bench.XXXXXX) || die "cannot make a work directory"
shm=$(mktemp -d /dev/shm/crfs-bench.XXXXXX) || die "cannot make a directory in /dev/shm"
mnt=$work/mnt
fuse_pid=
perf_pid=

# Is $mnt a mount point?  (mountinfo, not stat: a hung daemon hangs stat)
mounted() {
	awk -v m="$mnt" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo
}

# Kill what is left in the containers, unmount, stop the daemon, clean up.
# shellcheck disable=SC2317,SC2016
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid" 2>/dev/null
		timeout 30 tail --pid="$perf_pid" -f /dev/null
	fi
	if mounted; then
		for st in "$mnt"/*/state; do
			[ -e "$st" ] || continue
			timeout 5 sh -c 'echo kill > "$1"' sh "$st" 2>/dev/null
		done
		timeout 10 fusermount3 -u "$mnt" 2>/dev/null ||
			umount -l "$mnt" 2>/dev/null
	fi
	if [ -n "$fuse_pid" ] && kill -0 "$fuse_pid" 2>/dev/null; then
		kill "$fuse_pid" 2>/dev/null
		for _ in $(seq 20); do
			kill -0 "$fuse_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$fuse_pid" 2>/dev/null
	fi
	mounted && umount -l "$mnt" 2>/dev/null
	rm -rf "$shm"
	rmdir "$mnt" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

args=(-x "$MEMPROG" -s "$SIZES" -r "$RUNS" -d "$shm" -w "$work"
      -S "${BENCH_SETTLE_MS:-0}" ${BUFSIZE:+-B "$BUFSIZE"})
[ "${BENCH_COLD:-0}" = 1 ] && args+=(-C)

if [ "${BENCH_LIMITS_ONLY:-0}" != 1 ]; then
	[ -x "$FUSE" ] || die "$FUSE: not built; BENCH_LIMITS_ONLY=1 measures the limits alone"
	mkdir "$mnt" || die "cannot make $mnt"
	eval '"$FUSE" -f "$mnt" </dev/null >"$work/fuse.log" 2>&1' "$closers &"
	fuse_pid=$!
	for _ in $(seq 100); do
		mounted && break
		kill -0 "$fuse_pid" 2>/dev/null || break
		sleep 0.05
	done
	if ! mounted; then
		cat "$work/fuse.log" >&2
		die "crfs-fuse did not mount $mnt within 5 s"
	fi
	if [ -n "${BENCH_PERF:-}" ]; then
		eval 'perf record -q -g -o "$BENCH_PERF" -p "$fuse_pid"' \
			'>"$work/perf.log" 2>&1' "$closers &"
		perf_pid=$!
	fi
	args+=(-m "$mnt" -p "$fuse_pid")
fi

eval 'timeout -k 10 1200 "$DRIVER" "${args[@]}"' "$closers"
rc=$?
if [ -s "$work/fuse.log" ]; then
	echo "bench: crfs-fuse said:" >&2
	tail -n 20 "$work/fuse.log" >&2
fi
if [ "$rc" -ne 0 ]; then
	echo "bench: something broke (crfs-bench exit status $rc)" >&2
	exit "$rc"
fi
exit 0
