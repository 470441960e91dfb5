#!/usr/bin/env bats
# What must fail, fails cleanly: bad images are refused and leave nothing
# running; unsupported resources are refused and the container is intact.

load helpers/common

setup_file() {
	crfs_setup_file
	GOOD=$BATS_FILE_TMPDIR/good.img
	if crfs_has_image; then
		crfs_make_image "$GOOD"
	fi
	export GOOD
}
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

# restore_fails IMAGE REGEXP: the restore fails, error matches REGEXP,
# nothing is left running, the container is empty.
restore_fails() {
	local img=$1 re=$2 pid ct

	pid=$(cat "$GOOD.pid")
	ct=$(crfs_mkct bad)
	run ! crfs_restore "$ct" "$img"
	wait_for "the restore to end" 15 \
		grep -qvx restoring "$CRFS_MNT/$ct/state"
	run -0 ct_file "$ct" error
	refute_output ""
	assert_output --regexp "$re"
	run -0 ct_file "$ct" state
	assert_output "empty"
	run -0 ct_file "$ct" procs
	assert_output ""
	wait_pid_gone "$pid" 5 || fail "pid $pid is alive after a failed restore"
	# The container is usable afterwards.
	rmdir "$CRFS_MNT/$ct"
}

@test "control: the good image restores" {
	require_image
	ct=$(crfs_mkct good)
	crfs_restore "$ct" "$GOOD"
	run -0 ct_file "$ct" procs
	assert_output "$(cat "$GOOD.pid")"
	ct_write "$ct" state kill
	wait_pid_gone "$(cat "$GOOD.pid")"
}

@test "an image truncated inside the header is refused" {
	require_image
	head -c 100 "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
	restore_fails "$BATS_TEST_TMPDIR/t.img" "(truncat|incomplete|short)"
}

@test "an image of one byte is refused" {
	require_image
	head -c 1 "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
	restore_fails "$BATS_TEST_TMPDIR/t.img" "(truncat|incomplete|short)"
}

@test "an image truncated inside the first record is refused" {
	require_image
	n=$(( $(img_hdr_size "$GOOD") + 20 ))
	head -c "$n" "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
	restore_fails "$BATS_TEST_TMPDIR/t.img" "(truncat|incomplete|short)"
}

@test "an image truncated in the middle of the page data is refused" {
	require_image
	n=$(img_offset "$GOOD" pages)
	head -c "$n" "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
	restore_fails "$BATS_TEST_TMPDIR/t.img" "(truncat|incomplete|short)"
}

@test "an image without its END record is refused" {
	require_image
	n=$(( $(img_offset "$GOOD" end) - 16 ))
	head -c "$n" "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
	restore_fails "$BATS_TEST_TMPDIR/t.img" "(truncat|incomplete|short)"
}

@test "an image missing its last byte is refused" {
	require_image
	n=$(( $(stat -c %s "$GOOD") - 1 ))
	head -c "$n" "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
	restore_fails "$BATS_TEST_TMPDIR/t.img" "(truncat|incomplete|short)"
}

@test "an image with a byte changed in the header is refused" {
	require_image
	img_flip "$GOOD" "$BATS_TEST_TMPDIR/c.img" 60
	restore_fails "$BATS_TEST_TMPDIR/c.img" "(crc|checksum|corrupt)"
}

@test "an image with a byte changed in the first record is refused" {
	require_image
	img_flip "$GOOD" "$BATS_TEST_TMPDIR/c.img" "$(img_offset "$GOOD" first-record)"
	restore_fails "$BATS_TEST_TMPDIR/c.img" "(crc|checksum|corrupt)"
}

@test "an image with a byte changed in the page data is refused" {
	require_image
	img_flip "$GOOD" "$BATS_TEST_TMPDIR/c.img" "$(img_offset "$GOOD" pages)"
	restore_fails "$BATS_TEST_TMPDIR/c.img" "(crc|checksum|corrupt)"
}

@test "an image with a byte changed in the END record is refused" {
	require_image
	img_flip "$GOOD" "$BATS_TEST_TMPDIR/c.img" "$(img_offset "$GOOD" end)"
	restore_fails "$BATS_TEST_TMPDIR/c.img" "(crc|checksum|corrupt)"
}

@test "an image of another format version is refused, naming the version" {
	require_image
	img_set_version "$GOOD" "$BATS_TEST_TMPDIR/v.img" 1
	restore_fails "$BATS_TEST_TMPDIR/v.img" "version"
}

@test "an image of another architecture is refused, naming it" {
	require_image
	# struct crfs_image_hdr.arch is at offset 16: AUDIT_ARCH_AARCH64.
	img_set_u32 "$GOOD" "$BATS_TEST_TMPDIR/a.img" 16 0xc00000b7
	restore_fails "$BATS_TEST_TMPDIR/a.img" "(arch|architecture)"
}

@test "an image with another page size is refused, naming it" {
	require_image
	# struct crfs_image_hdr.page_size is at offset 20.
	img_set_u32 "$GOOD" "$BATS_TEST_TMPDIR/p.img" 20 65536
	restore_fails "$BATS_TEST_TMPDIR/p.img" "page"
}

@test "a file that is not an image is refused" {
	require_image
	head -c 65536 /dev/urandom >"$BATS_TEST_TMPDIR/r.img"
	restore_fails "$BATS_TEST_TMPDIR/r.img" "(magic|not a crfs image|not an image)"
}

@test "control: the good image still restores after all that" {
	require_image
	ct=$(crfs_mkct good)
	crfs_restore "$ct" "$GOOD"
	run -0 ct_file "$ct" procs
	assert_output "$(cat "$GOOD.pid")"
	ct_write "$ct" state thaw
	zdtm_finish "$(cat "$GOOD.dir")" "$(cat "$GOOD.pid")"
}

# refused PROG REGEXP: PROG's checkpoint is refused; error names a pid of
# the container and matches REGEXP; the container stays frozen and, thawed,
# the program goes on and passes its own check.
refused() {
	local prog=$1 re=$2 ct pid named=

	ct=$(crfs_mkct neg)
	zdtm_start "$ct" "$prog"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "$re"
	for pid in $(ct_file "$ct" procs); do
		for tid in "/proc/$pid/task/"*; do
			[[ $output == *"${tid##*/}"* ]] && named=${tid##*/}
		done
	done
	[[ -n $named ]] ||
		fail "the error does not name a pid or tid of the container: $output"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	run -0 ct_file "$ct" events
	assert_output "$(printf 'populated 1\nfrozen 1')"
	run -0 ct_file "$ct" procs
	assert_line "$ZDTM_PID"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	run -0 ct_file "$ct" state
	assert_output "running"
	zdtm_finish
}

@test "a socket is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-socket "[Ss]ocket"
}

@test "a pipe is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-pipe "([Pp]ipe|FIFO|fifo)"
}

@test "a second thread is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-thread "[Tt]hread"
}

@test "a child process is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-child "([Cc]hild|process)"
}

@test "a zombie child (not in cgroup.procs) is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-zombie "child process [0-9]+ \\(a zombie"
}

@test "an alternate stack a restore would refuse is refused at checkpoint" {
	require_image
	refused zdtm-neg-altstack "alternate signal stack"
}

@test "a SIGSTOP pending in a frozen process is refused, the container is unharmed" {
	require_image
	local ct
	ct=$(crfs_mkct neg)
	zdtm_start "$ct" zdtm-counter
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	kill -STOP "$ZDTM_PID"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "pid $ZDTM_PID: .*signal 19.*SIGKILL and SIGSTOP cannot be queued"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	kill -CONT "$ZDTM_PID"
	zdtm_finish
}

@test "an io_uring is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-uring "(io_uring|uring)"
}

@test "a mapping of a deleted file is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-delmap "deleted"
}

@test "a process stopped by SIGSTOP is refused, the container is unharmed" {
	require_image
	local ct

	ct=$(crfs_mkct stopped)
	zdtm_start "$ct" zdtm-counter
	kill -STOP "$ZDTM_PID"
	wait_for "pid $ZDTM_PID to stop" 10 \
		grep -q '^State:.*T' "/proc/$ZDTM_PID/status"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "pid $ZDTM_PID: stopped \\(job control\\)"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	kill -CONT "$ZDTM_PID"
	zdtm_finish
}

@test "a lease is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-lease "pid [0-9]+: fd [0-9]+: .*/leased: LEASE .*lease \\(F_SETLEASE\\) is not restored"
}

@test "a flock on a description only a mapping keeps is refused" {
	require_image
	refused zdtm-neg-maplock "pid [0-9]+: a FLOCK WRITE lock on inode .* none of its descriptors has"
}

@test "a lock on a device is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-devlock "pid [0-9]+: fd [0-9]+: /dev/null: a flock lock: locks are restored on regular files and directories only"
}
