#!/usr/bin/env bats
# rmdir: only an empty container goes away.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

@test "rmdir of a container with a process fails with EBUSY and harms nothing" {
	ct=$(crfs_mkct ct)
	start_bg sleep 1000
	pid=$STARTED_PID
	ct_write "$ct" procs "$pid"
	run -1 rmdir "$CRFS_MNT/$ct"
	assert_output --partial "Device or resource busy"
	run -0 ct_file "$ct" error
	assert_output --regexp "^rmdir: $ct has .*process.*: kill them first \(EBUSY\)\$"
	run -0 ct_file "$ct" procs
	assert_output "$pid"
	crfs_alive "$pid" || fail "pid $pid died"
	run -0 ct_file "$ct" state
	assert_output "running"
}

@test "rmdir of a frozen container with a process fails with EBUSY" {
	ct=$(crfs_mkct ct)
	start_bg sleep 1000
	pid=$STARTED_PID
	ct_write "$ct" procs "$pid"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run -1 rmdir "$CRFS_MNT/$ct"
	assert_output --partial "Device or resource busy"
	run -0 ct_file "$ct" state
	assert_output "frozen"
}

@test "after kill, the container can be removed" {
	ct=$(crfs_mkct ct)
	start_bg sleep 1000
	pid=$STARTED_PID
	ct_write "$ct" procs "$pid"
	run -1 rmdir "$CRFS_MNT/$ct"
	ct_write "$ct" state kill
	# The kill is a new operation: the reason of the failed rmdir is gone.
	run -0 ct_file "$ct" error
	assert_output ""
	wait_empty "$ct"
	wait_for "rmdir $ct" 10 rmdir "$CRFS_MNT/$ct"
	run ! test -e "$CRFS_MNT/$ct"
	refute_listed "$CRFS_MNT" "$ct"
	crfs_alive "$pid" && fail "pid $pid survived the kill"
	true
}

@test "rmdir of a missing container fails with ENOENT" {
	run -1 rmdir "$CRFS_MNT/no-such-ct-$$"
	assert_output --partial "No such file or directory"
}

@test "rmdir of a frozen empty container works" {
	ct=$(crfs_mkct ct)
	ct_write "$ct" state freeze
	rmdir "$CRFS_MNT/$ct"
	run ! test -e "$CRFS_MNT/$ct"
}
