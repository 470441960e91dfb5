#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Make the fuzz corpus from real images (tests/fuzz/README):
#
#   tests/fuzz/make-seeds.sh [-k]      (as root; after `make all fuzz-bin`)
#
# Mounts crfs-fuse on a temporary directory, checkpoints each zdtm program
# that can be checkpointed, shrinks each image to a few pages
# (shrink-image.py), checks the result with `crfs-image verify`, writes
# it as two seeds (mode byte 0: checksums as they are; 1: redone after
# each mutation) and minimizes them with libFuzzer -merge=1 into
# tests/fuzz/corpus, which it replaces (-k: keeps what is there too).
# Rerun it whenever the image format changes.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
bin=$BUILD/bin zdtm=$BUILD/tests/zdtm fuzz=$BUILD/fuzz/fuzz-image
corpus=$top/tests/fuzz/corpus
progs="zdtm-counter zdtm-files zdtm-regs zdtm-signals zdtm-mem zdtm-shmap
zdtm-reserve zdtm-mdwe zdtm-rlimits zdtm-sharedfd zdtm-mapmode zdtm-opendir
zdtm-memfd zdtm-unlinked zdtm-locks zdtm-itimers zdtm-posix-timers zdtm-caps
zdtm-seccomp zdtm-prctl zdtm-vmflags zdtm-shmzap zdtm-sched zdtm-affinity
zdtm-procstate zdtm-threads zdtm-threads-timers zdtm-timer-pending
zdtm-tree zdtm-tree-share zdtm-tree-zombie zdtm-tree-locks zdtm-ipc
zdtm-evfd zdtm-inotify zdtm-inet zdtm-tcp zdtm-futex-hash zdtm-pipe zdtm-fifo
zdtm-unix zdtm-unix-named zdtm-unix-tree zdtm-pty zdtm-tree-fdt
zdtm-epoll-closed zdtm-inotify-gone zdtm-unix-accept zdtm-unix-accept-tree
zdtm-unix-async zdtm-thread-child zdtm-pty-queue zdtm-unix-peercred
pidns:zdtm-tree pidns:zdtm-tree-threads"
keep=0
[ "${1:-}" = -k ] && keep=1

for f in "$bin/crfs-fuse" "$bin/crctl" "$bin/crfs-image" "$fuzz"; do
	[ -x "$f" ] || { echo "make-seeds: $f missing: make all fuzz-bin" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/crfs-seeds.XXXXXX")
mnt=$work/mnt fuse_pid=
mkdir -p "$mnt" "$work/seeds"

# Run "$@" with no descriptor but 0-2 (shells may pass stray ones).
closed() {
	local fd
	for fd in "/proc/$BASHPID/fd/"*; do
		fd=${fd##*/}
		((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
	done
	exec "$@"
}

# wait_for SECONDS CMD...: poll CMD until it succeeds.
wait_for() {
	local n=$(($1 * 20))
	shift
	while ! "$@" 2>/dev/null; do
		((n-- > 0)) || return 1
		sleep 0.05
	done
}

cleanup() {
	local d
	for d in "$mnt"/*/; do
		[ -f "$d/state" ] || continue
		echo kill >"$d/state" 2>/dev/null
		wait_for 10 grep -qx 'populated 0' "$d/events"
		rmdir "$d" 2>/dev/null
	done
	if [ -n "$fuse_pid" ]; then
		kill -TERM "$fuse_pid" 2>/dev/null
		wait_for 10 test ! -d "/proc/$fuse_pid"
	fi
	mountpoint -q "$mnt" && fusermount3 -u "$mnt"
	rm -rf "$work"
}
trap cleanup EXIT

(closed "$bin/crfs-fuse" -f "$mnt") </dev/null >"$work/fuse.log" 2>&1 &
fuse_pid=$!
wait_for 10 mountpoint -q "$mnt" || { cat "$work/fuse.log" >&2; exit 1; }

# pidns:PROG: PROG as pid 1 of a pid namespace of its own (crctl run's
# default); the others keep the host's (--host-pid).
for entry in $progs; do
	prog=${entry#pidns:} pidns=--host-pid
	[ "$prog" != "$entry" ] && pidns=
	ct=seed-${entry/:/-}-$$ dir=$work/${entry/:/-}
	mkdir "$mnt/$ct" "$dir"
	# shellcheck disable=SC2086
	(closed "$bin/crctl" -r "$mnt" run $pidns "$ct" -- "$zdtm/$prog" "$dir") \
		</dev/null >"$dir.out" 2>&1 &
	disown $!
	if ! wait_for 30 test -e "$dir/ready" -o -e "$dir/skip" -o \
	     -e "$dir/result" || [ ! -e "$dir/ready" ]; then
		echo "make-seeds: $entry: not ready, skipped" >&2
	else
		echo freeze >"$mnt/$ct/state"
		wait_for 10 grep -qx 'frozen 1' "$mnt/$ct/events"
		name=${entry/:/-}
		cat "$mnt/$ct/image" >"$work/$name.img"
		python3 "$top/tests/fuzz/shrink-image.py" "$work/$name.img" \
			"$work/$name.small" 2
		"$bin/crfs-image" verify "$work/$name.small" >/dev/null
		printf '\0' | cat - "$work/$name.small" >"$work/seeds/$name.0"
		printf '\1' | cat - "$work/$name.small" >"$work/seeds/$name.1"
		echo "make-seeds: $name: $(stat -c %s "$work/$name.img") bytes," \
		     "seed $(stat -c %s "$work/$name.small")"
	fi
	echo kill >"$mnt/$ct/state"
	wait_for 15 grep -qx 'populated 0' "$mnt/$ct/events"
	rmdir "$mnt/$ct"
done

mkdir "$work/corpus"
dirs="$work/seeds"
[ $keep = 1 ] && [ -d "$corpus" ] && dirs="$dirs $corpus"
# shellcheck disable=SC2086
"$fuzz" -merge=1 -use_counters=0 -max_len=131072 "$work/corpus" $dirs 2>"$work/merge.log" ||
	{ tail -20 "$work/merge.log" >&2; exit 1; }
rm -rf "$corpus"
cp -r "$work/corpus" "$corpus"
echo "make-seeds: corpus: $(find "$corpus" -type f | wc -l) inputs," \
     "$(du -sk "$corpus" | cut -f1) KiB in $corpus"
