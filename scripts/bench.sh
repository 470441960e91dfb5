#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: checkpoint/restore speed of crfs and of CRIU side by side,
# against this machine's own limits, every figure measured in this run.
#
# Mounts crfs-fuse on a private directory and runs tests/bench/crfs-bench,
# which checkpoints and restores the same memory program through crctl,
# through echo and cat on the mount's files, and with CRIU, alternating,
# its images in /dev/shm.  The program is one process at each of the
# sizes (shape "proc"), then a tree of processes ("tree") and a process
# of many threads ("threads"), each restored copy checking every process,
# thread and page.  While crfs refuses a tree or threads (it says why in
# the container's error file, the container left intact) the report says
# "crfs (crctl): tree: not measured: REASON", measures CRIU all the same,
# and that is no failure.  Shape "redis" is a real program:
# scripts/bench-redis.sh checkpoints and restores a redis-server holding
# 1 GiB of values with crfs and with CRIU, checking each restored one
# answers with its data, and prints the medians and their ratio.  Shape
# "kernel" (scripts/bench-kernel.sh) boots the test kernel under qemu and
# times the kernel crfs against crfs-fuse on one process there.  tests/bench/fuse-floor is mounted on a second
# directory: a daemon answering every read from memory, the floor of a
# checkpoint's read through FUSE.  Then unmounts and removes every file
# it made, and kills what it started (only that), whatever happens.
#
# CRIU is looked for in $CRFS_PEERS/criu/criu (default: the shared/peers
# folder beside the repository, then /work/shared/peers); when found, its
# install-deps.sh installs the Debian libraries it loads (apt-get, as
# root) and runs `criu check`.  When not found or not usable the bench
# says so and measures crfs alone.
#
# Environment:
#   BUILD              build directory (default build)
#   BENCH_SHAPES       what is measured, comma separated (default
#                      proc,tree,threads,redis,kernel): proc = one process at each
#                      of BENCH_SIZES; tree = BENCH_TREE; threads =
#                      BENCH_THREADS; redis = a redis-server of
#                      BENCH_REDIS_MIB MiB (scripts/bench-redis.sh; BENCH_RUNS
#                      runs, at least 3); BENCH_SHAPES=redis: that alone;
#                      kernel = the kernel crfs against crfs-fuse in the
#                      test kernel under qemu (scripts/bench-kernel.sh:
#                      BENCH_KERNEL_SIZES, default 64,256; BENCH_KERNEL_RUNS,
#                      default 3; it builds the kernel first)
#   BENCH_REDIS_MIB    MiB of values in the redis (default 1024)
#   BENCH_SIZES        MiB sizes, comma separated (default 8,64,256,1024)
#   BENCH_TREE         PROCSxMIB: a root and its PROCS - 1 children, MIB MiB
#                      each (default 100x1); crfs's freeze of it is timed too
#   BENCH_THREADS      THREADSxMIB: one process of THREADS threads sharing MIB
#                      MiB (default 32x64)
#   BENCH_RUNS         runs per size and per shape (default 5, at most 15)
#   BENCH_COLD_MIB     size of the cold cycles right after the mount
#                      (default 64; 0: none)
#   BENCH_CHUNK        chunk of the limits' reads and writes (default 1 MiB)
#   BENCH_SETTLE_MS    pause before each measured block (default 0)
#   BENCH_NO_RECYCLE   1: no recycling of memory before each step (-R)
#   BENCH_LIMITS_ONLY  1: no crfs mount: the limits (and CRIU) only
#   BENCH_CRIU         0: do not run CRIU even if found
#   BENCH_TIMEOUT      seconds for the whole measurement (default 1800);
#                      past them everything is stopped, exit status 3
#   BENCH_PERF         a file name: record crfs-fuse with perf record -g into it
#   BENCH_FUSE_OPTS    options for crfs-fuse, split at blanks (e.g.
#                      "-o no_splice_write": image reads copied, not spliced)
#   CRFS_PEERS         the peers folder (criu/criu, criu/install-deps.sh)
#
# Exit status: 0 when everything ran and each process crfs restored was
# intact, whether or not the targets were met or CRIU ran, and whether
# or not crfs refused a shape; non-zero when something broke (a wrong
# restore, a refusal that harmed the container).
set -u

BUILD=${BUILD:-build}
SIZES=${BENCH_SIZES:-8,64,256,1024}
SHAPES=${BENCH_SHAPES:-proc,tree,threads,redis,kernel}
# redis: scripts/bench-redis.sh; kernel: scripts/bench-kernel.sh; the
# other shapes: crfs-bench
redis=0
kernel=0
case ",$SHAPES," in *,redis,*) redis=1 ;; esac
case ",$SHAPES," in *,kernel,*) kernel=1 ;; esac
SHAPES=$(echo ",$SHAPES," | sed 's/,redis,/,/g; s/,kernel,/,/g; s/^,*//; s/,*$//')
RUNS=${BENCH_RUNS:-5}
TIMEOUT=${BENCH_TIMEOUT:-1800}
FUSE=$BUILD/bin/crfs-fuse
CRCTL=$BUILD/bin/crctl
DRIVER=$BUILD/tests/bench/crfs-bench
MEMPROG=$BUILD/tests/bench/crfs-bench-mem
FLOOR=$BUILD/tests/bench/fuse-floor
repo=$(cd "$(dirname "$0")/.." && pwd)

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
memprog_exe=$(realpath "$MEMPROG")

work=$(mktemp -d /tmp/crfs-bench.XXXXXX) || die "cannot make a work directory"
shm=$(mktemp -d /dev/shm/crfs-bench.XXXXXX) || die "cannot make a directory in /dev/shm"
mnt=$work/mnt
floor_mnt=$work/floor
fuse_pid=
floor_pid=
perf_pid=
driver_pid=

# Is $1 (default $mnt) a mount point?  (mountinfo, not stat: a hung
# daemon hangs stat)
mounted() {
	awk -v m="${1:-$mnt}" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo
}

# Stop process $1 (ours): SIGTERM, up to $2 tenths of a second, SIGKILL.
stop_pid() {
	local pid=$1 n=${2:-20}

	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq "$n"); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
}

# Unmount $2 and stop its daemon $1: politely, then with SIGKILL.
# shellcheck disable=SC2317
stop_daemon() {
	local pid=$1 m=$2

	if mounted "$m"; then
		timeout 10 fusermount3 -u "$m" 2>/dev/null ||
			umount -l "$m" 2>/dev/null
	fi
	stop_pid "$pid"
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

# Kill the memory programs crfs-bench started (it logs their pids in
# $work/pids) if any is left: only a pid that still runs our program.
# shellcheck disable=SC2317
kill_memprogs() {
	local p

	[ -s "$work/pids" ] || return 0
	while read -r p; do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$memprog_exe" ] &&
			kill -9 "$p" 2>/dev/null
	done <"$work/pids"
}

# Stop the driver, kill what is left in the containers and of ours,
# unmount, stop the daemons, clean up.
# shellcheck disable=SC2317,SC2016
cleanup() {
	trap - EXIT INT TERM
	stop_pid "$driver_pid" 50
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
	kill_memprogs
	rm -rf "$shm"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# CRIU: found, installed, checked?  Sets $criu (empty: no CRIU figures).
criu=
find_criu() {
	local dir cand=() tried=() log=$work/criu-install.log

	if [ "${BENCH_CRIU:-1}" = 0 ]; then
		echo "CRIU: BENCH_CRIU=0: not run, no CRIU figures"
		return
	fi
	cand=("${CRFS_PEERS:-$repo/../shared/peers}")
	[ -z "${CRFS_PEERS:-}" ] && cand+=(/work/shared/peers)
	for dir in "${cand[@]}"; do
		tried+=("$dir/criu/criu")
		[ -x "$dir/criu/criu" ] || continue
		dir=$(cd "$dir" && pwd)
		if [ "$(id -u)" != 0 ]; then
			echo "CRIU: $dir/criu/criu: not root, cannot install its libraries or run it, no CRIU figures"
			return
		fi
		if ! timeout 900 "$dir/criu/install-deps.sh" </dev/null >"$log" 2>&1; then
			echo "CRIU: $dir/criu/install-deps.sh failed, no CRIU figures; it said:"
			tail -n 8 "$log" | sed 's/^/  /'
			return
		fi
		criu=$dir/criu/criu
		echo "CRIU: $criu ($("$criu" --version 2>/dev/null | head -n 1);" \
		     "criu check: $(grep -m1 '^Looks good' "$log"))"
		return
	done
	echo "CRIU: not found at ${tried[*]}, no CRIU figures"
}
find_criu

args=(-x "$MEMPROG" -s "$SIZES" -r "$RUNS" -d "$shm" -w "$work"
      -k "${BENCH_COLD_MIB:-64}" -S "${BENCH_SETTLE_MS:-0}"
      ${BENCH_CHUNK:+-B "$BENCH_CHUNK"} -T "$SHAPES"
      -Y "${BENCH_TREE:-100x1}" -Z "${BENCH_THREADS:-32x64}")
[ "${BENCH_NO_RECYCLE:-0}" = 1 ] && args+=(-R)
[ -n "$criu" ] && args+=(-c "$criu")

# The FUSE read floor, a limit of the sizes: one file as large as the
# largest size.
floor_mib=0
IFS=, read -ra sizes <<<"$SIZES"
for s in "${sizes[@]}"; do
	[ "$s" -gt "$floor_mib" ] 2>/dev/null && floor_mib=$s
done
case ",$SHAPES," in
,,) floor_mib=0 ;;	# redis alone: no driver
*,proc,*) ;;
*) floor_mib=0 ;;	# no single process: no sizes, no limits
esac
if [ ! -x "$FLOOR" ]; then
	echo "bench: $FLOOR: not built: no FUSE read floor" >&2
elif [ "$floor_mib" -gt 0 ]; then
	start_daemon floor_pid "$FLOOR" -f -o size="$floor_mib" "$floor_mnt"
	args+=(-F "$floor_mnt/data" -P "$floor_pid")
fi

if [ "${BENCH_LIMITS_ONLY:-0}" != 1 ]; then
	[ -x "$FUSE" ] || die "$FUSE: not built; BENCH_LIMITS_ONLY=1 measures the limits alone"
	[ -x "$CRCTL" ] || die "$CRCTL: not built"
	# mounted last, right before the driver: its first cycle is the cold one
	# shellcheck disable=SC2086	# split on purpose
	start_daemon fuse_pid "$FUSE" ${BENCH_FUSE_OPTS:-} -f "$mnt"
	[ -n "${BENCH_FUSE_OPTS:-}" ] &&
		echo "crfs-fuse: started with $BENCH_FUSE_OPTS (BENCH_FUSE_OPTS)"
	if [ -n "${BENCH_PERF:-}" ]; then
		eval 'perf record -q -g -o "$BENCH_PERF" -p "$fuse_pid"' \
			'>"$work/perf.log" 2>&1' "$closers &"
		perf_pid=$!
	fi
	args+=(-m "$mnt" -p "$fuse_pid" -X "$CRCTL")
fi

# The driver in the background, bounded by $TIMEOUT: past it the daemons
# go first (a process waiting on a FUSE request the daemon took cannot be
# killed until the connection dies), then the driver.  Then the redis
# shape the same way, in what is left of $TIMEOUT.
rc=0
start=$SECONDS
# run_bounded CMD...: CMD in the background as the driver, bounded by
# what is left of $TIMEOUT; its exit status in $rc.
run_bounded() {
	eval '"$@"' "$closers &"
	driver_pid=$!
	while kill -0 "$driver_pid" 2>/dev/null; do
		if [ $((SECONDS - start)) -ge "$TIMEOUT" ]; then
			echo "bench: no end after $TIMEOUT s (BENCH_TIMEOUT): stopping everything" >&2
			[ -n "$fuse_pid" ] && kill -9 "$fuse_pid" 2>/dev/null
			[ -n "$floor_pid" ] && kill -9 "$floor_pid" 2>/dev/null
			stop_pid "$driver_pid" 50
			wait "$driver_pid" 2>/dev/null
			driver_pid=
			exit 3
		fi
		sleep 1
	done
	wait "$driver_pid"
	rc=$?
	driver_pid=
}
[ -n "$SHAPES" ] && run_bounded "$DRIVER" "${args[@]}"
if [ "$rc" -eq 0 ] && [ "$redis" = 1 ]; then
	if [ "${BENCH_LIMITS_ONLY:-0}" = 1 ]; then
		echo "redis: BENCH_LIMITS_ONLY=1: not measured"
	else
		run_bounded "$repo/scripts/bench-redis.sh" "$mnt" "$CRCTL" \
			"$criu" "$shm" "$work"
	fi
fi
if [ "$rc" -eq 0 ] && [ "$kernel" = 1 ]; then
	if [ "${BENCH_LIMITS_ONLY:-0}" = 1 ]; then
		echo "kernel: BENCH_LIMITS_ONLY=1: not measured"
	else
		run_bounded "$repo/scripts/bench-kernel.sh"
	fi
fi
for prog in crfs-fuse fuse-floor; do
	[ -s "$work/$prog.log" ] || continue
	echo "bench: $prog said:" >&2
	tail -n 20 "$work/$prog.log" >&2
done
echo "bench: took $((SECONDS - start)) s" >&2
if [ "$rc" -ne 0 ]; then
	echo "bench: something broke (exit status $rc of crfs-bench or bench-redis.sh)" >&2
	exit "$rc"
fi
exit 0
