#!/usr/bin/env bats
# The reverse cross-restore (issue 11): an image crfs-fuse made of a
# process in the same machine, written into an empty container of the
# kernel crfs, comes back frozen with its pid and passes the program's own
# checks after thaw.  (050 tests the other way: the kernel's image
# restored by crfs-fuse.)

load ../helpers/common
load kernel

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
setup() { require_kernel; }
teardown() {
	fuse_umount
	crfs_teardown
}

# fimage NAME PROG: PROG in a new container of crfs-fuse (on FUSE_MNT),
# checkpointed by crfs-fuse into $IMG, then killed, each of its processes
# gone.  Sets PID, DIR, IMG, PIDS (sorted, one a line).
fimage() {
	local kmnt=$CRFS_MNT

	FUSE_MNT=$BATS_TEST_TMPDIR/fuse
	[[ -n ${FUSE_PID:-} ]] || fuse_mount "$FUSE_MNT"
	CRFS_MNT=$FUSE_MNT
	zdtm_frozen "$1" "$2" || { CRFS_MNT=$kmnt; return 1; }
	IMG=$BATS_TEST_TMPDIR/$1.img
	PIDS=$(ct_file "$CT" procs | sort -n)
	if ! cat "$CRFS_MNT/$CT/image" >"$IMG"; then
		cat "$CRFS_MNT/$CT/error" >&2
		CRFS_MNT=$kmnt
		return 1
	fi
	ct_write "$CT" state kill
	CRFS_MNT=$kmnt
	local p
	for p in $PIDS; do
		wait_pid_gone "$p"
	done
}

# krestore PROG: the image of PROG by crfs-fuse written into a new
# container of the kernel: it must come back frozen with its pids.  Sets CT.
krestore() {
	fimage "x${1#zdtm-}" "$1"
	CT=$(crfs_mkct "k${1#zdtm-}")
	cat "$IMG" >"$CRFS_MNT/$CT/image" || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	run -0 ct_file "$CT" state
	assert_output "frozen"
	run -0 bash -c "sort -n '$CRFS_MNT/$CT/procs'"
	assert_output "$PIDS"
}

# krestore_check PROG: restored by the kernel (krestore), thawed, its own
# checks passed.
krestore_check() {
	krestore "$1"
	ct_write "$CT" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "reverse cross-restore: the kernel restores crfs-fuse's image of zdtm-pause; pause() returns after the handler" {
	krestore zdtm-pause
	usr1_thaw_finish "$CRFS_MNT/$CT/state" "$DIR" "$PID" "pause()"
}

@test "reverse cross-restore: zdtm-regs from crfs-fuse's image, restored by the kernel" {
	krestore_check zdtm-regs
}

@test "reverse cross-restore: zdtm-mem from crfs-fuse's image, restored by the kernel" {
	krestore_check zdtm-mem
}

@test "reverse cross-restore: zdtm-files from crfs-fuse's image, restored by the kernel" {
	krestore_check zdtm-files
}

@test "reverse cross-restore: zdtm-sigsuspend from crfs-fuse's image: the mask from before sigsuspend() comes back after the handler" {
	krestore zdtm-sigsuspend
	usr1_thaw_finish "$CRFS_MNT/$CT/state" "$DIR" "$PID" "sigsuspend()"
}

@test "reverse cross-restore: zdtm-counter from crfs-fuse's image, restored by the kernel" {
	krestore_check zdtm-counter
}

@test "reverse cross-restore: zdtm-pipe1 from crfs-fuse's image: the pipes come back with their data, ends and flags" {
	krestore_check zdtm-pipe1
}

@test "reverse cross-restore: zdtm-signals from crfs-fuse's image: queued signals with their values, mask, actions" {
	krestore_check zdtm-signals
}

@test "reverse cross-restore: zdtm-itimers from crfs-fuse's image: the three interval timers" {
	krestore_check zdtm-itimers
}

# make bench's kernel shape (scripts/bench-kernel.sh) runs this script in
# the VM: one cycle of each engine at 8 MiB, each restored copy intact.
@test "tests/vm/bench-kernel.sh: one cycle of the kernel and of crfs-fuse at 8 MiB, both restored intact, medians and ratios printed" {
	run -0 timeout 300 "$CRFS_REPO/tests/vm/bench-kernel.sh" 8 1
	assert_output --regexp "kernel +8 MiB run 1: checkpoint +[0-9.]+ ms  restore +[0-9.]+ ms"
	assert_output --regexp "fuse +8 MiB run 1: checkpoint +[0-9.]+ ms  restore +[0-9.]+ ms"
	assert_output --regexp "8 MiB checkpoint +median of 1: kernel +[0-9.]+ ms, crfs-fuse +[0-9.]+ ms, FUSE/kernel [0-9.]+"
	assert_output --regexp "8 MiB restore +median of 1: kernel +[0-9.]+ ms, crfs-fuse +[0-9.]+ ms, FUSE/kernel [0-9.]+"
}

@test "reverse cross-restore: zdtm-posix-timers from crfs-fuse's image: ids, clocks, notifications, values, periods" {
	krestore_check zdtm-posix-timers
}

@test "reverse cross-restore: zdtm-timer-pending from crfs-fuse's image: the timer's pending signal, once" {
	krestore_check zdtm-timer-pending
}

@test "reverse cross-restore: zdtm-threads from crfs-fuse's image: 33 threads with their tids and each one's own state" {
	krestore_check zdtm-threads
}

@test "reverse cross-restore: zdtm-tree from crfs-fuse's image: 9 processes with their pids, parents, groups and sessions" {
	krestore_check zdtm-tree
}

@test "reverse cross-restore: zdtm-tree-threads from crfs-fuse's image: each process's threads with their tids" {
	krestore_check zdtm-tree-threads
}

@test "reverse cross-restore: zdtm-thread-fork from crfs-fuse's image: the child's parent is the thread that made it" {
	krestore_check zdtm-thread-fork
}

@test "reverse cross-restore: zdtm-tree-file from crfs-fuse's image: the description parent and child share, one offset" {
	krestore_check zdtm-tree-file
}

@test "reverse cross-restore: zdtm-tree-subreaper from crfs-fuse's image: an orphan goes to its subreaper ancestor" {
	krestore_check zdtm-tree-subreaper
}

@test "reverse cross-restore: zdtm-groups from crfs-fuse's image: 4000 supplementary groups, restored by the kernel" {
	krestore_check zdtm-groups
}

@test "reverse cross-restore: zdtm-threads-creds from crfs-fuse's image: every thread with the process's ids, groups, empty capabilities" {
	krestore_check zdtm-threads-creds
}

@test "reverse cross-restore: zdtm-tree-pipe from crfs-fuse's image: a pipe between parent and child, its data, the child's end its own" {
	krestore_check zdtm-tree-pipe
}

@test "reverse cross-restore: zdtm-pipe from crfs-fuse's image: pipes within a process and between processes, with their data" {
	export ZDTM_PIPE_NO_REOPEN=1	# the kernel refuses H, an end opened again
	krestore_check zdtm-pipe
}

# fimage_ns NAME PROG: PROG as pid 1 of a pid namespace of its own (crctl
# run) in a new container of crfs-fuse, checkpointed by crfs-fuse into
# $IMG, then killed, its processes gone.  Sets ZDTM_DIR, IDS (ns_ids).
fimage_ns() {
	local kmnt=$CRFS_MNT pids p

	FUSE_MNT=$BATS_TEST_TMPDIR/fuse
	[[ -n ${FUSE_PID:-} ]] || fuse_mount "$FUSE_MNT"
	CRFS_MNT=$FUSE_MNT
	CT=$(crfs_mkct "$1") && ns_start "$CT" "$2" &&
		ct_write "$CT" state freeze && wait_frozen "$CT" || { CRFS_MNT=$kmnt; return 1; }
	IDS=$(ns_ids "$CT")
	pids=$(cat "$CRFS_MNT/$CT/procs")
	IMG=$BATS_TEST_TMPDIR/$1.img
	if ! cat "$CRFS_MNT/$CT/image" >"$IMG"; then
		cat "$CRFS_MNT/$CT/error" >&2
		CRFS_MNT=$kmnt
		return 1
	fi
	ct_write "$CT" state kill
	CRFS_MNT=$kmnt
	for p in $pids; do
		wait_pid_gone "$p"
	done
}

@test "reverse cross-restore: zdtm-tree in a pid namespace of its own (crctl run) from crfs-fuse's image: a new pid namespace, the same pids, parents, groups and sessions" {
	fimage_ns xnstree zdtm-tree
	run -0 "$CRFS_BIN/crfs-image" show "$IMG"
	assert_output --partial "pid namespace"
	CT=$(crfs_mkct knstree)
	cat "$IMG" >"$CRFS_MNT/$CT/image" || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	run -0 ct_file "$CT" state
	assert_output "frozen"
	run -0 ns_ids "$CT"
	assert_output "$IDS"
	p1=$(ns_pid1 "$CT")
	ct_write "$CT" state thaw
	zdtm_finish "$ZDTM_DIR" "$p1"
}
