#!/usr/bin/env bats
# FUSE only: whatever a checkpoint accepts, this restorer can restore.  A
# daemon whose own limits are lowered (prlimit; nobody here may raise
# them: root lacks CAP_SYS_RESOURCE) refuses at checkpoint what it could
# not restore, naming it, and refuses such an image at restore before
# anything runs.

load ../helpers/common

setup() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		skip "crfs-fuse daemon limits; CRFS_ROOT is set (not the FUSE prototype)"
	fi
	CRFS_MNT=$BATS_TEST_TMPDIR/mnt
	CRFS_FUSE_PID=
	LOW_MNT=$BATS_TEST_TMPDIR/low
	LOW_PID=
}

teardown() {
	# The containers, in whichever mount the test made them (CRFS_MNT).
	crfs_teardown
	[[ -z $CRFS_FUSE_PID ]] ||
		crfs_umount_fuse "$BATS_TEST_TMPDIR/mnt" "$CRFS_FUSE_PID"
	[[ -z $LOW_PID ]] || crfs_umount_fuse "$LOW_MNT" "$LOW_PID"
}

# low_daemon PRLIMIT-OPTION: one more crfs-fuse on $LOW_MNT whose own
# limit is lowered (started through $CRFS_FUSE_WRAP, if set); sets LOW_PID.
low_daemon() {
	local save_pid=$CRFS_FUSE_PID save_log=${CRFS_FUSE_LOG:-}

	crfs_mount_fuse "$LOW_MNT"
	LOW_PID=$CRFS_FUSE_PID
	CRFS_FUSE_PID=$save_pid CRFS_FUSE_LOG=$save_log
	prlimit --pid "$LOW_PID" "$1"
}

# refused_at_checkpoint CT REGEXP: no image byte, the reason matches,
# the container stays frozen and goes on after thaw.
refused_at_checkpoint() {
	ct_write "$1" state freeze
	wait_frozen "$1"
	run -0 bash -c "cat '$CRFS_MNT/$1/image' 2>/dev/null | wc -c"
	assert_output "0"
	run -0 ct_file "$1" error
	assert_output --regexp "$2"
	run -0 ct_file "$1" state
	assert_output "frozen"
	ct_write "$1" state thaw
	wait_thawed "$1"
	zdtm_finish
}

@test "a hard limit above the restorer's own is refused at checkpoint, naming it" {
	low_daemon --locks=1000:1000
	CRFS_MNT=$LOW_MNT
	ct=$(crfs_mkct hi)
	zdtm_start "$ct" zdtm-counter
	refused_at_checkpoint "$ct" \
		"pid $ZDTM_PID: RLIMIT_LOCKS: hard limit unlimited is above the restorer's 1000: a restore could not set it \(raising a hard limit needs CAP_SYS_RESOURCE\)"
}

@test "an image with a hard limit above the restorer's own is refused at restore, before anything runs" {
	crfs_mount_fuse "$CRFS_MNT"
	img=$BATS_TEST_TMPDIR/ct.img
	ct=$(crfs_mkct src)
	zdtm_start "$ct" zdtm-counter
	pid=$ZDTM_PID
	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_pid_gone "$pid"

	low_daemon --locks=1000:1000
	ct2=$LOW_MNT/dst
	mkdir "$ct2"
	run ! bash -c "cat '$img' >'$ct2/image'"
	run -0 cat "$ct2/error"
	assert_output --regexp "pid $pid: RLIMIT_LOCKS: hard limit unlimited is above the restorer's 1000"
	run -0 cat "$ct2/state"
	assert_output "empty"
	run -0 cat "$ct2/procs"
	assert_output ""
	crfs_gone "$pid" || fail "pid $pid exists after the refused restore"
	rmdir "$ct2"
}

@test "a descriptor above the restorer's RLIMIT_NOFILE is refused at checkpoint, naming it" {
	low_daemon --nofile=1000:1000
	CRFS_MNT=$LOW_MNT
	ct=$(crfs_mkct fd)
	# Its own limit fits the restorer's; its descriptor 5000 does not.
	export ZDTM_FD=5000 ZDTM_NOFILE=512
	zdtm_start "$ct" zdtm-rlimits
	refused_at_checkpoint "$ct" \
		"pid $ZDTM_PID: fd 5000: $ZDTM_DIR/high.dat: a restore here cannot open descriptor 5000 \(the restorer's RLIMIT_NOFILE hard limit is 1000\)"
}

# The restorer locks what was locked while the process is still its own:
# without CAP_IPC_LOCK its soft RLIMIT_MEMLOCK bounds that (the hard one
# is kept: a lower one is refused for itself).
NOLOCK_WRAP="setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock --"

@test "locked memory a restorer without CAP_IPC_LOCK could not lock is refused at checkpoint, naming it" {
	CRFS_FUSE_WRAP=$NOLOCK_WRAP low_daemon --memlock=16384:
	CRFS_MNT=$LOW_MNT
	ct=$(crfs_mkct lock)
	# zdtm-vmflags locks 8 pages (mlock, mlock2 MLOCK_ONFAULT).
	zdtm_start "$ct" zdtm-vmflags
	refused_at_checkpoint "$ct" \
		"pid $ZDTM_PID: 32768 bytes of locked memory \(mlock\): the restorer has no CAP_IPC_LOCK and its RLIMIT_MEMLOCK allows 16384"
}

@test "an image with more locked memory than a restorer without CAP_IPC_LOCK may lock is refused at restore, before anything runs" {
	crfs_mount_fuse "$CRFS_MNT"
	img=$BATS_TEST_TMPDIR/ct.img
	ct=$(crfs_mkct src)
	zdtm_start "$ct" zdtm-vmflags
	pid=$ZDTM_PID
	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_pid_gone "$pid"

	CRFS_FUSE_WRAP=$NOLOCK_WRAP low_daemon --memlock=16384:
	ct2=$LOW_MNT/dst
	mkdir "$ct2"
	run ! bash -c "cat '$img' >'$ct2/image'"
	run -0 cat "$ct2/error"
	assert_output --regexp "pid $pid: 32768 bytes of locked memory \(mlock\): the restorer has no CAP_IPC_LOCK and its RLIMIT_MEMLOCK allows 16384"
	run -0 cat "$ct2/state"
	assert_output "empty"
	run -0 cat "$ct2/procs"
	assert_output ""
	crfs_gone "$pid" || fail "pid $pid exists after the refused restore"
	rmdir "$ct2"
}
