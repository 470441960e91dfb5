#!/usr/bin/env bats
# FUSE only: many requests at once on one open control file (libfuse runs
# them on several threads) must neither crash nor confuse the daemon.
# tests/tools/hammer opens a file once and uses that descriptor from many
# threads; every answer is checked, then the daemon must still be alive
# and the mount still answer.

load ../helpers/common

setup_file() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		return 0
	fi
	crfs_setup_file
}
teardown_file() { crfs_teardown_file; }

setup() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		skip "crfs-fuse daemon tests; CRFS_ROOT is set (not the FUSE prototype)"
	fi
	# CRFS_TOOLS, else next to CRFS_BIN's build, else the default build.
	HAMMER=${CRFS_TOOLS:-$CRFS_BIN/../tests/tools}/hammer
	[[ -x $HAMMER ]] || HAMMER=$CRFS_REPO/build/tests/tools/hammer
	[[ -x $HAMMER ]] || fail "$HAMMER is not built (make all)"
}

teardown() { crfs_teardown; }

# A container with a sleeping process: sets CT and PID.
busy_ct() {
	CT=$(crfs_mkct hammer)
	start_bg sleep 1000
	PID=$STARTED_PID
	ct_write "$CT" procs "$PID"
}

# The daemon lives and the mount answers.
daemon_fine() {
	crfs_alive "$CRFS_FUSE_PID" || fail "crfs-fuse $CRFS_FUSE_PID died: $(tail -5 "$CRFS_FUSE_LOG")"
	run -0 ct_file "$CT" procs
	assert_output "$PID"
	run -0 ls "$CRFS_MNT"
	assert_line "$CT"
}

# hammer_file FILE ARGS...: hammer CT/FILE for 2 s with 8 readers.
hammer_file() {
	local f=$1
	shift
	run -0 timeout 60 "$HAMMER" -t 8 -s 2 "$@" "$CRFS_MNT/$CT/$f"
	assert_output --regexp ': ok$'
}

@test "pread() of one open state file from 8 threads" {
	busy_ct
	hammer_file state -p -f -c
	daemon_fine
}

@test "pread() of one open procs file from 8 threads" {
	busy_ct
	hammer_file procs -p -f -c
	daemon_fine
}

@test "pread() of one open events file from 8 threads, with poll()" {
	busy_ct
	hammer_file events -p -f -c
	daemon_fine
}

@test "pread() of one open error file from 8 threads while another file fails" {
	busy_ct
	# Bad words keep the error file changing under the readers.
	timeout 60 "$HAMMER" -t 1 -s 3 -k state -w bogus -w freeze -w thaw \
		"$CRFS_MNT/$CT/state" >"$BATS_TEST_TMPDIR/writer.out" 2>&1 &
	writer=$!
	hammer_file error -p -f -c
	wait "$writer" || fail "the writer failed: $(cat "$BATS_TEST_TMPDIR/writer.out")"
	daemon_fine
}

@test "reads, poll(), writes and flushes at once on one open state file" {
	busy_ct
	hammer_file state -p -f -w freeze -w thaw -w bogus
	daemon_fine
	ct_write "$CT" state thaw
	wait_thawed "$CT"
}
