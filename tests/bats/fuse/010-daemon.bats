#!/usr/bin/env bats
# FUSE only: the daemon's life.  A frozen container must not stay frozen
# when the daemon that could thaw it goes away.

load ../helpers/common

setup() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		skip "crfs-fuse daemon tests; CRFS_ROOT is set (not the FUSE prototype)"
	fi
	CRFS_MNT=$BATS_TEST_TMPDIR/mnt
	CRFS_FUSE_PID=
}

teardown() {
	crfs_teardown
	if [[ -n ${CRFS_MNT:-} ]]; then
		crfs_umount_fuse "$CRFS_MNT" "$CRFS_FUSE_PID"
	fi
}

# A frozen counter in a fresh mount: sets CT, PID, LOG.
frozen_counter() {
	crfs_mount_fuse "$CRFS_MNT"
	CT=$(crfs_mkct ct)
	zdtm_start "$CT" zdtm-counter
	PID=$ZDTM_PID
	LOG=$ZDTM_DIR/log
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	N=$(log_lines "$LOG")
}

@test "without -f, crfs-fuse daemonizes and serves the mount" {
	mkdir -p "$CRFS_MNT"
	run -0 timeout 10 bash -c "exec 3>&-; exec '$CRFS_BIN/crfs-fuse' '$CRFS_MNT' </dev/null >/dev/null 2>&1"
	wait_for "the mount" 10 crfs_is_mounted "$CRFS_MNT"
	CRFS_FUSE_PID=$(pgrep -f -x -- ".*crfs-fuse $CRFS_MNT" | head -1)
	[[ -n $CRFS_FUSE_PID ]] || fail "no crfs-fuse process serves $CRFS_MNT"
	ct=$(crfs_mkct ct)
	run -0 ct_file "$ct" state
	assert_output "empty"
	rmdir "$CRFS_MNT/$ct"
	fusermount3 -u "$CRFS_MNT"
	wait_pid_gone "$CRFS_FUSE_PID" 10
}

@test "SIGKILL of the daemon thaws a frozen container" {
	frozen_counter
	kill -KILL "$CRFS_FUSE_PID"
	wait_pid_gone "$CRFS_FUSE_PID"
	wait_for "the counter to be thawed" 15 log_grows "$LOG" "$N"
	zdtm_finish
}

@test "unmounting thaws a frozen container" {
	frozen_counter
	fusermount3 -u "$CRFS_MNT"
	wait_for "the counter to be thawed" 15 log_grows "$LOG" "$N"
	wait_pid_gone "$CRFS_FUSE_PID" 10
	zdtm_finish
}

@test "SIGTERM of the daemon unmounts and thaws a frozen container" {
	frozen_counter
	kill -TERM "$CRFS_FUSE_PID"
	wait_pid_gone "$CRFS_FUSE_PID" 10
	wait_for "the mount to go" 10 bash -c "! awk -v m='$CRFS_MNT' '\$5 == m' /proc/self/mountinfo | grep -q ."
	wait_for "the counter to be thawed" 15 log_grows "$LOG" "$N"
	zdtm_finish
}

@test "SIGKILL of the daemon during a checkpoint read thaws the container" {
	frozen_counter
	exec 5<"$CRFS_MNT/$CT/image"
	head -c 4096 <&5 >/dev/null
	kill -KILL "$CRFS_FUSE_PID"
	exec 5<&-
	wait_pid_gone "$CRFS_FUSE_PID"
	wait_for "the counter to be thawed" 15 log_grows "$LOG" "$N"
	zdtm_finish
}
