#!/usr/bin/env bats
# crctl: the command line, a client of the same files.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

crctl() {
	"$CRFS_BIN/crctl" -r "$CRFS_MNT" "$@"
}

start_counter() {
	CT=$(crfs_mkct ct)
	zdtm_start "$CT" zdtm-counter
	PID=$ZDTM_PID
	DIR=$ZDTM_DIR
}

@test "run execs the command in place inside the container" {
	CT=$(crfs_mkct ct)
	start_in "$CT" sleep 1000
	pid=$STARTED_PID
	wait_in "$CT" "$pid"
	wait_for "crctl to exec sleep" 10 \
		bash -c "[[ \$(readlink /proc/$pid/exe) == */sleep ]]"
	run -0 ct_file "$CT" procs
	assert_output "$pid"
}

@test "run closes stray descriptors" {
	CT=$(crfs_mkct ct)
	exec 7>"$BATS_TEST_TMPDIR/stray" 9<"$BATS_TEST_TMPDIR/stray"
	"$CRFS_BIN/crctl" -r "$CRFS_MNT" run "$CT" -- sleep 1000 \
		</dev/null >/dev/null 2>&1 3>&- &
	pid=$!
	echo "$pid" >>"$BATS_TEST_TMPDIR/.crfs-pids"
	exec 7>&- 9<&-
	wait_for "crctl to exec sleep" 10 \
		bash -c "[[ \$(readlink /proc/$pid/exe) == */sleep ]]"
	run -0 ls "/proc/$pid/fd"
	assert_output "$(printf '0\n1\n2')"
}

@test "run makes a missing container" {
	name=made-$BATS_SUITE_TEST_NUMBER-$$
	echo "$name" >>"$BATS_TEST_TMPDIR/.crfs-cts"
	start_in "$name" sleep 1000
	wait_in "$name" "$STARTED_PID"
}

@test "freeze --wait, thaw and kill" {
	start_counter
	run -0 crctl freeze --wait "$CT"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	run -0 crctl thaw "$CT"
	wait_thawed "$CT"
	run -0 ct_file "$CT" state
	assert_output "running"
	run -0 crctl kill "$CT"
	wait_empty "$CT"
	wait_pid_gone "$PID"
}

@test "ps lists containers with their state and pids" {
	start_counter
	idle=$(crfs_mkct idle)
	run -0 crctl ps
	assert_line --regexp "^$CT +running +$PID\$"
	assert_line --regexp "^$idle +empty *\$"
	# Only containers: no line for the ns/ view or anything without a state.
	refute_line --partial "?"
}

@test "checkpoint leaves the container frozen by default, and with --leave-frozen" {
	require_image
	start_counter
	run -0 crctl checkpoint "$CT" -o "$BATS_TEST_TMPDIR/a.img"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	run -0 crctl checkpoint "$CT" -o "$BATS_TEST_TMPDIR/b.img" --leave-frozen
	run -0 ct_file "$CT" state
	assert_output "frozen"
	run -0 img_equal_but_time "$BATS_TEST_TMPDIR/a.img" "$BATS_TEST_TMPDIR/b.img"
	run -0 "$CRFS_BIN/crfs-image" verify "$BATS_TEST_TMPDIR/a.img"
}

@test "checkpoint --thaw lets the process go on" {
	require_image
	start_counter
	run -0 crctl checkpoint "$CT" -o "$BATS_TEST_TMPDIR/a.img" --thaw
	wait_thawed "$CT"
	run -0 ct_file "$CT" state
	assert_output "running"
	n=$(log_lines "$DIR/log")
	wait_for "the counter to go on" 10 log_grows "$DIR/log" "$n"
	zdtm_finish
}

@test "checkpoint --kill, restore --thaw: the counter goes on" {
	require_image
	start_counter
	img=$BATS_TEST_TMPDIR/ct.img
	run -0 crctl checkpoint "$CT" -o "$img" --kill
	n=$(log_lines "$DIR/log")
	wait_empty "$CT"
	wait_pid_gone "$PID"
	ct2=$(crfs_mkct dst)
	run -0 crctl restore "$ct2" -i "$img" --thaw
	run -0 ct_file "$ct2" procs
	assert_output "$PID"
	wait_for "the counter to go on" 10 log_grows "$DIR/log" "$n"
	run -0 sed -n "$((n + 1))p" "$DIR/log"
	assert_output "count $((n + 1))"
	zdtm_finish
}

@test "checkpoint to stdout and restore from stdin, through a pipe" {
	require_image
	start_counter
	img=$BATS_TEST_TMPDIR/ct.img
	crctl checkpoint "$CT" -o - --kill >"$img"
	wait_pid_gone "$PID"
	ct2=$(crfs_mkct dst)
	run -0 bash -c "cat '$img' | '$CRFS_BIN/crctl' -r '$CRFS_MNT' restore '$ct2' -i -"
	run -0 ct_file "$ct2" state
	assert_output "frozen"
	run -0 crctl thaw "$ct2"
	zdtm_finish
}

@test "restore makes a missing container" {
	require_image
	start_counter
	img=$BATS_TEST_TMPDIR/ct.img
	run -0 crctl checkpoint "$CT" -o "$img" --kill
	wait_pid_gone "$PID"
	name=made-$BATS_SUITE_TEST_NUMBER-$$
	echo "$name" >>"$BATS_TEST_TMPDIR/.crfs-cts"
	run -0 crctl restore "$name" -i "$img" --thaw
	run -0 ct_file "$name" procs
	assert_output "$PID"
	zdtm_finish
}

@test "a refused checkpoint prints the reason and leaves the process running" {
	require_image
	CT=$(crfs_mkct ct)
	zdtm_start "$CT" zdtm-neg-socket
	run -1 crctl checkpoint "$CT" -o "$BATS_TEST_TMPDIR/x.img"
	assert_output --regexp "^crctl: $CT: .*[Ss]ocket"
	run -0 ct_file "$CT" state
	assert_output "running"
	zdtm_finish
}

@test "a refused restore prints the reason" {
	head -c 1000 /dev/urandom >"$BATS_TEST_TMPDIR/junk.img"
	ct=$(crfs_mkct dst)
	run -1 crctl restore "$ct" -i "$BATS_TEST_TMPDIR/junk.img"
	assert_output --regexp "^crctl: $ct: "
	run -0 ct_file "$ct" state
	assert_output "empty"
}

@test "errors name the container; bad usage fails" {
	run -1 crctl freeze "no-such-$$"
	assert_output --partial "crctl: no-such-$$"
	run -1 crctl thaw "no-such-$$"
	assert_output --partial "no-such-$$"
	run -1 crctl checkpoint
	run -1 crctl frobnicate x
	run -1 crctl checkpoint "no-such-$$"
	assert_output --partial "-o"
	run -0 crctl --help
	assert_output --partial "checkpoint"
}
