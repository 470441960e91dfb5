#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In the test kernel's VM (scripts/bench-kernel.sh boots it; make bench):
# the kernel crfs against crfs-fuse on the same process in the same run.
# crfs-bench-mem (one process, MIB MiB of private anonymous memory with a
# pattern) is started in a container of each, frozen, checkpointed with
# `cat image > FILE`, killed, restored with `cat FILE > image` into a new
# container, thawed and told to check every page (SIGUSR1: PASS or FAIL
# in its result file).  The two engines alternate, the one that goes
# first changing every run; images on a tmpfs.  Under TCG the times are
# an emulated machine's: only their ratios mean something.
#
#   tests/vm/bench-kernel.sh [SIZES [RUNS]]    (default 64,256 and 3)
#
# Prints one line per cycle, then per size and step the median of each
# engine and their ratio FUSE/kernel (above 1: the kernel is faster).
# Exit status 0 when every cycle ran and every restored process passed
# its check, 1 otherwise.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
BIN=${CRFS_BIN:-$BUILD/bin}
MEM=$BUILD/tests/bench/crfs-bench-mem
SIZES=${1:-64,256}
RUNS=${2:-3}
work=/run/crfs-kbench.$$
kmnt=$work/kernel
fmnt=$work/fuse
fuse_pid=
fuse_cg=
started=()

say() { echo "bench-kernel: $*" >&2; }

cgroup2_root() {
	awk '{ for (i = 6; i <= NF; i++) if ($i == "-") {
		if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo
}

cleanup() {
	local d p

	for d in "$kmnt"/*/ "$fmnt"/*/; do
		[[ -f $d/state ]] && echo kill >"$d/state" 2>/dev/null
	done
	for p in "${started[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	sleep 0.2
	for d in "$kmnt"/*/ "$fmnt"/*/; do
		[[ -d $d ]] && rmdir "$d" 2>/dev/null
	done
	if [[ -n $fuse_pid ]]; then
		kill -TERM "$fuse_pid" 2>/dev/null
		wait "$fuse_pid" 2>/dev/null
	fi
	mountpoint -q "$fmnt" && { fusermount3 -u "$fmnt" 2>/dev/null || umount -l "$fmnt"; }
	mountpoint -q "$kmnt" && umount "$kmnt"
	[[ -n $fuse_cg ]] && rmdir "$fuse_cg" 2>/dev/null
	mountpoint -q "$work" && umount "$work"
	rmdir "$work" 2>/dev/null
}
trap cleanup EXIT

# now_us: microseconds (bash's own clock: no fork around what is timed)
now_us() {
	local t=${EPOCHREALTIME/./}

	echo "${t#0}"
}

# wait_until SECONDS CMD...: poll CMD every 20 ms.
wait_until() {
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		((SECONDS < end)) || return 1
		sleep 0.02
	done
}

state_is() { [[ $(cat "$1/state" 2>/dev/null) == "$2" ]]; }
empty() { grep -qx 'populated 0' "$1/events" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# cycle ENGINE MNT MIB: one checkpoint and restore; prints
# "ENGINE MIB ckpt_us restore_us", or says why not and fails.
cycle() {
	local eng=$1 mnt=$2 mib=$3 ct=b$RANDOM ct2 pid t0 t1 t2 t3 img=$work/img/$eng.img
	local dir=$work/run/$eng.$RANDOM

	ct2=$ct.r
	mkdir -p "$dir" && mkdir "$mnt/$ct" || return 1
	("$BIN/crctl" -r "$mnt" run --host-pid "$ct" -- "$MEM" "$mib" "$dir/ready" "$dir/result" \
		</dev/null >"$dir/out" 2>&1) &
	pid=$!
	started+=("$pid")
	wait_until 120 test -s "$dir/ready" || { say "$eng: $MEM did not start"; return 1; }
	echo freeze >"$mnt/$ct/state"
	wait_until 30 state_is "$mnt/$ct" frozen || { say "$eng: $ct did not freeze"; return 1; }
	t0=$(now_us)
	cat "$mnt/$ct/image" >"$img" || { say "$eng: checkpoint: $(cat "$mnt/$ct/error")"; return 1; }
	t1=$(now_us)
	echo kill >"$mnt/$ct/state"
	wait "$pid" 2>/dev/null
	wait_until 30 empty "$mnt/$ct" || { say "$eng: $ct did not empty"; return 1; }
	rmdir "$mnt/$ct"
	mkdir "$mnt/$ct2" || return 1
	t2=$(now_us)
	cat "$img" >"$mnt/$ct2/image" || { say "$eng: restore: $(cat "$mnt/$ct2/error")"; return 1; }
	t3=$(now_us)
	rm -f "$img" "$dir/result"
	state_is "$mnt/$ct2" frozen || { say "$eng: restored, not frozen"; return 1; }
	echo thaw >"$mnt/$ct2/state" || { say "$eng: thaw: $(cat "$mnt/$ct2/error")"; return 1; }
	kill -USR1 "$pid"
	if ! wait_until 120 test -s "$dir/result"; then
		say "$eng: the restored process $pid did not check ($(grep -s '^State' "/proc/$pid/status"), in $(cat "/proc/$pid/wchan" 2>/dev/null); $mnt/$ct2: $(cat "$mnt/$ct2/state" 2>/dev/null))"
		grep -s '^Sig\|^ShdPnd' "/proc/$pid/status" >&2
		read -r nr a1 _ <"/proc/$pid/syscall" &&
			echo "in system call $nr, its first argument $a1 points to: $(dd if="/proc/$pid/mem" bs=1 skip=$((a1)) count=8 status=none | od -An -tx8)" >&2
		kill -USR1 "$pid"
		wait_until 10 test -s "$dir/result"
		say "a second SIGUSR1: result '$(cat "$dir/result" 2>/dev/null)'"
		return 1
	fi
	if ! grep -q '^PASS' "$dir/result"; then
		say "$eng: the restored process: $(cat "$dir/result")"
		return 1
	fi
	echo kill >"$mnt/$ct2/state"
	wait_until 30 empty "$mnt/$ct2" || { say "$eng: $ct2 did not empty"; return 1; }
	rmdir "$mnt/$ct2"
	rm -rf "$dir"
	echo "$eng $mib $((t1 - t0)) $((t3 - t2))"
}

# median of the arguments
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

grep -qw crfs /proc/filesystems || { say "this kernel has no crfs"; exit 1; }
[[ -x $MEM && -x $BIN/crfs-fuse && -x $BIN/crctl ]] || { say "not built: $MEM, $BIN"; exit 1; }
mkdir -p "$work" && mount -t tmpfs -o mode=0700 kbench "$work" || exit 1
mkdir -p "$kmnt" "$fmnt" "$work/img" "$work/run"
mount -t crfs crfs "$kmnt" || { say "cannot mount the kernel crfs"; exit 1; }
# crfs-fuse's containers in a cgroup of their own, away from the kernel's
fuse_cg=$(cgroup2_root)/kbench-fuse.$$
mkdir "$fuse_cg" || exit 1
"$BIN/crfs-fuse" -f -o "cgroup=$fuse_cg" "$fmnt" </dev/null >"$work/fuse.log" 2>&1 &
fuse_pid=$!
wait_until 10 mountpoint -q "$fmnt" || { say "crfs-fuse did not mount: $(cat "$work/fuse.log")"; exit 1; }

echo "# kernel crfs against crfs-fuse in one VM run (TCG): $(uname -r), $(nproc) CPUs, sizes $SIZES MiB, $RUNS runs"
results=()
rc=0
IFS=, read -ra sizes <<<"$SIZES"
for mib in "${sizes[@]}"; do
	for ((r = 0; r < RUNS; r++)); do
		if ((r % 2)); then order=(fuse kernel); else order=(kernel fuse); fi
		for eng in "${order[@]}"; do
			mnt=$kmnt
			[[ $eng == fuse ]] && mnt=$fmnt
			line=$(cycle "$eng" "$mnt" "$mib") || { rc=1; break 3; }
			read -r _ _ c t <<<"$line"
			awk -v e="$eng" -v m="$mib" -v r="$((r + 1))" -v c="$c" -v t="$t" 'BEGIN {
				printf "%-6s %4s MiB run %d: checkpoint %7.1f ms  restore %7.1f ms\n",
					e, m, r, c / 1000, t / 1000 }'
			results+=("$line")
		done
	done
done
((rc)) && { say "a cycle failed: no figures"; exit 1; }
declare -A said
for mib in "${sizes[@]}"; do
	[[ -n ${said[$mib]:-} ]] && continue	# a size given twice: one summary
	said[$mib]=1
	for step in checkpoint restore; do
		col=3
		[[ $step == restore ]] && col=4
		k=$(median $(printf '%s\n' "${results[@]}" | awk -v m="$mib" -v c="$col" '$1 == "kernel" && $2 == m { print $c }'))
		f=$(median $(printf '%s\n' "${results[@]}" | awk -v m="$mib" -v c="$col" '$1 == "fuse" && $2 == m { print $c }'))
		n=$(printf '%s\n' "${results[@]}" | awk -v m="$mib" '$1 == "kernel" && $2 == m' | wc -l)
		awk -v m="$mib" -v s="$step" -v n="$n" -v k="$k" -v f="$f" 'BEGIN {
			printf "%4s MiB %-10s median of %d: kernel %8.1f ms, crfs-fuse %8.1f ms, FUSE/kernel %.2f\n",
				m, s, n, k / 1000, f / 1000, f / k }'
	done
done
exit 0
