#!/usr/bin/env bats
# FUSE only: the daemon goes away in the middle of a transfer.  A
# checkpoint's processes live on as they were; a restore leaves nothing.
# And transfers that end badly leak nothing in the daemon.

load ../helpers/common

setup() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		skip "crfs-fuse daemon tests; CRFS_ROOT is set (not the FUSE prototype)"
	fi
	CRFS_MNT=$BATS_TEST_TMPDIR/mnt
	crfs_mount_fuse "$CRFS_MNT"
}

teardown() {
	crfs_teardown
	crfs_umount_fuse "$CRFS_MNT" "$CRFS_FUSE_PID"
	if [[ -f $BATS_TEST_TMPDIR/.big-files ]]; then
		xargs rm -f <"$BATS_TEST_TMPDIR/.big-files"
	fi
}

# A frozen zdtm-mem (64 MiB: its image does not fit the ring): CT, PID, DIR.
frozen_mem() {
	zdtm_frozen ct zdtm-mem
}

# An image of zdtm-mem, the program killed: sets PID, DIR, IMG.
mem_image() {
	local shm=/dev/shm

	[[ -d $shm && -w $shm ]] || shm=$BATS_TEST_TMPDIR
	frozen_mem
	IMG=$(mktemp "$shm/crfs-test.XXXXXX")
	echo "$IMG" >>"$BATS_TEST_TMPDIR/.big-files"
	cat "$CRFS_MNT/$CT/image" >"$IMG"
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
}

# The daemon's open descriptors, with what they are; not the pipes that
# libfuse keeps per worker thread for splice (their number follows the load).
daemon_fds() {
	local fd what

	for fd in "/proc/$CRFS_FUSE_PID/fd/"*; do
		what=$(readlink "$fd")
		[[ $what == pipe:* ]] || echo "${fd##*/} $what"
	done
}

@test "SIGKILL of the daemon in the middle of a checkpoint: the process lives on" {
	frozen_mem
	out=$BATS_TEST_TMPDIR/part
	slow_reader "$CRFS_MNT/$CT/image" "$out" 1048576
	kill -KILL "$CRFS_FUSE_PID"
	wait_pid_gone "$CRFS_FUSE_PID"
	run -0 reader_go "$out"
	refute_output "0"
	# The guardian thawed it; its memory is what it was.
	wait_for "zdtm-mem to be thawed" 15 \
		grep -q '^State:.*[SR]' "/proc/$PID/status"
	zdtm_finish "$DIR" "$PID"
}

@test "SIGKILL of the daemon in the middle of a restore leaves nothing" {
	mem_image
	ct2=$(crfs_mkct dst)
	slow_writer "$IMG" "$CRFS_MNT/$ct2" 8388608
	wait_in "$ct2" "$PID"
	kill -KILL "$CRFS_FUSE_PID"
	wait_pid_gone "$CRFS_FUSE_PID"
	touch "$IMG.go"
	wait_for "the writer to end" 30 test -e "$IMG.rc"
	run -0 cat "$IMG.rc"
	refute_output "0"
	# The half-restored process died with its tracer.
	wait_pid_gone "$PID"
}

@test "SIGTERM of the daemon in the middle of a checkpoint: the process lives on" {
	frozen_mem
	out=$BATS_TEST_TMPDIR/part
	slow_reader "$CRFS_MNT/$CT/image" "$out" 1048576
	kill -TERM "$CRFS_FUSE_PID"
	wait_pid_gone "$CRFS_FUSE_PID"
	run -0 reader_go "$out"
	refute_output "0"
	wait_for "zdtm-mem to be thawed" 15 \
		grep -q '^State:.*[SR]' "/proc/$PID/status"
	zdtm_finish "$DIR" "$PID"
}

@test "SIGTERM of the daemon in the middle of a restore leaves nothing" {
	mem_image
	ct2=$(crfs_mkct dst)
	slow_writer "$IMG" "$CRFS_MNT/$ct2" 8388608
	wait_in "$ct2" "$PID"
	kill -TERM "$CRFS_FUSE_PID"
	wait_pid_gone "$CRFS_FUSE_PID"
	touch "$IMG.go"
	wait_for "the writer to end" 30 test -e "$IMG.rc"
	run -0 cat "$IMG.rc"
	refute_output "0"
	wait_pid_gone "$PID"
}

@test "transfers that end badly leave no descriptor behind" {
	mem_image
	# Warm up: the kept ring and the worker threads are there.
	ct2=$(crfs_mkct warm)
	crfs_restore "$ct2" "$IMG"
	ct_write "$ct2" state kill
	wait_pid_gone "$PID"
	before=$(daemon_fds)
	for round in 1 2 3; do
		# A restore whose writer dies half way.
		ct2=$(crfs_mkct w$round)
		slow_writer "$IMG" "$CRFS_MNT/$ct2" 8388608
		kill -KILL "$WRITER"
		wait_for "the restore to end" 10 grep -qx empty "$CRFS_MNT/$ct2/state"
		# A restore killed half way.
		ct3=$(crfs_mkct k$round)
		slow_writer "$IMG" "$CRFS_MNT/$ct3" 8388608
		ct_write "$ct3" state kill
		touch "$IMG.go"
		wait_for "the writer to end" 30 test -e "$IMG.rc"
		wait_pid_gone "$PID"
		# A checkpoint whose reader stops half way.
		ct4=$(crfs_mkct r$round)
		zdtm_start "$ct4" zdtm-counter
		ct_write "$ct4" state freeze
		wait_frozen "$ct4"
		head -c 100000 "$CRFS_MNT/$ct4/image" >/dev/null
		wait_for "the checkpoint to end" 10 grep -qx frozen "$CRFS_MNT/$ct4/state"
		ct_write "$ct4" state kill
		wait_pid_gone "$ZDTM_PID"
	done
	run -0 daemon_fds
	assert_output "$before"
}
