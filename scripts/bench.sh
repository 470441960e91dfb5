#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: checkpoint/restore speed against this machine's own limits.
#
# Mounts crfs-fuse on a private directory, runs tests/bench/crfs-bench
# through the mount (the user's path: control files and the image file),
# then unmounts and removes every file it made, whatever happens.
# tests/bench/fuse-floor is mounted on a second one: a daemon answering
# every read from memory, whose file crfs-bench reads for the floor of a
# checkpoint's read through FUSE (the "FUSE read" limit).
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
FLOOR=$BUILD/tests/bench/fuse-floor

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
floor_mnt=$work/floor
fuse_pid=
floor_pid=
perf_pid=

# Is $1 (default $mnt) a mount point?  (mountinfo, not stat: a hung
# daemon hangs stat)
mounted() {
	awk -v m="${1:-$mnt}" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo
}

# Unmount $2 and stop its daemon $1: politely, then with SIGKILL.
# shellcheck disable=SC2317
stop_daemon() {
	local pid=$1 m=$2

	if mounted "$m"; then
		timeout 10 fusermount3 -u "$m" 2>/dev/null ||
			umount -l "$m" 2>/dev/null
	fi
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null
		for _ in $(seq 20); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	fi
	mounted "$m" && umount -l "$m" 2>/dev/null
	rmdir "$m" 2>/dev/null
}

# start_daemon PIDVAR CMD...: start CMD (a FUSE daemon staying in front,
# its mount point last) in the background, its pid in $PIDVAR at once and
# its output in $work/<program>.log; give it 5 s to mount, or die.
start_daemon() {
	local var=$1 m=${*: -1} log

	shift
	log=$work/${1##*/}.log
	mkdir "$m" || die "cannot make $m"
	eval '"$@" </dev/null >"$log" 2>&1' "$closers &"
	printf -v "$var" %s "$!"
	for _ in $(seq 100); do
		mounted "$m" && return
		kill -0 "${!var}" 2>/dev/null || break
		sleep 0.05
	done
	cat "$log" >&2
	die "${1##*/} did not mount $m within 5 s"
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
	fi
	stop_daemon "$fuse_pid" "$mnt"
	stop_daemon "$floor_pid" "$floor_mnt"
	rm -rf "$shm"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

args=(-x "$MEMPROG" -s "$SIZES" -r "$RUNS" -d "$shm" -w "$work"
      -S "${BENCH_SETTLE_MS:-0}" ${BUFSIZE:+-B "$BUFSIZE"})
[ "${BENCH_COLD:-0}" = 1 ] && args+=(-C)

# The FUSE read floor, a limit: one file as large as the largest size.
floor_mib=0
IFS=, read -ra sizes <<<"$SIZES"
for s in "${sizes[@]}"; do
	[ "$s" -gt "$floor_mib" ] 2>/dev/null && floor_mib=$s
done
if [ ! -x "$FLOOR" ]; then
	echo "bench: $FLOOR: not built: no FUSE read floor" >&2
elif [ "$floor_mib" -gt 0 ]; then
	start_daemon floor_pid "$FLOOR" -f -o size="$floor_mib" "$floor_mnt"
	args+=(-F "$floor_mnt/data" -P "$floor_pid")
fi

if [ "${BENCH_LIMITS_ONLY:-0}" != 1 ]; then
	[ -x "$FUSE" ] || die "$FUSE: not built; BENCH_LIMITS_ONLY=1 measures the limits alone"
	start_daemon fuse_pid "$FUSE" -f "$mnt"
	if [ -n "${BENCH_PERF:-}" ]; then
		eval 'perf record -q -g -o "$BENCH_PERF" -p "$fuse_pid"' \
			'>"$work/perf.log" 2>&1' "$closers &"
		perf_pid=$!
	fi
	args+=(-m "$mnt" -p "$fuse_pid")
fi

eval 'timeout -k 10 1200 "$DRIVER" "${args[@]}"' "$closers"
rc=$?
for prog in crfs-fuse fuse-floor; do
	[ -s "$work/$prog.log" ] || continue
	echo "bench: $prog said:" >&2
	tail -n 20 "$work/$prog.log" >&2
done
if [ "$rc" -ne 0 ]; then
	echo "bench: something broke (crfs-bench exit status $rc)" >&2
	exit "$rc"
fi
exit 0
