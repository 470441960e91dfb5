#!/usr/bin/env bats
# SysV IPC in the container's own IPC namespace (crctl run makes one):
# shared memory, semaphores and message queues come back with their ids,
# keys, owners and contents; what cannot come back is refused by name.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

# ipc_cycle CT PROG: checkpoint CT to $IMG, kill, restore into a new
# container, thaw.  Sets CT to the new container.
ipc_cycle() {
	local pid=$ZDTM_PID ct2

	IMG=$BATS_TEST_TMPDIR/$2.$RANDOM.img
	crfs_checkpoint "$1" "$IMG"
	ct_write "$1" state kill
	wait_empty "$1"
	wait_pid_gone "$pid"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$IMG"
	run -0 ct_file "$ct2" procs
	assert_output "$pid"
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	CT=$ct2
}

@test "crctl run: the container has an IPC namespace of its own; --host-ipc keeps the caller's" {
	local ct own

	ct=$(crfs_mkct ipcns)
	own=$(readlink /proc/self/ns/ipc)
	run -0 timeout 10 "$CRFS_BIN/crctl" -r "$CRFS_MNT" run "$ct" -- readlink /proc/self/ns/ipc
	refute_output "$own"
	assert_output --regexp '^ipc:\[[0-9]+\]$'
	run -0 timeout 10 "$CRFS_BIN/crctl" -r "$CRFS_MNT" run --host-ipc "$ct" -- readlink /proc/self/ns/ipc
	assert_output "$own"
}

@test "zdtm-ipc: shm segments (attached, split, read-only, unattached, removed), a semaphore set and a message queue come back" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-ipc
	ipc_cycle "$CT" zdtm-ipc
	zdtm_finish
}
