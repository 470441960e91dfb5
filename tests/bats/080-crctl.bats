#!/usr/bin/env bats
# crctl: the command line, a client of the same files.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() {
	if [[ -n ${SMALL_FS:-} ]] && mountpoint -q "$SMALL_FS"; then
		umount "$SMALL_FS"
	fi
	crfs_teardown
}

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
	"$CRFS_BIN/crctl" -r "$CRFS_MNT" run --host-pid "$CT" -- sleep 1000 \
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
	CT=$(crfs_mkct ct)
	zdtm_start "$CT" zdtm-neg-socket
	run -1 crctl checkpoint "$CT" -o "$BATS_TEST_TMPDIR/x.img"
	assert_output --regexp "^crctl: $CT: .*[Ss]ocket"
	run -0 ct_file "$CT" state
	assert_output "running"
	zdtm_finish
}

@test "a refused restore prints the reason and leaves an existing container" {
	head -c 1000 /dev/urandom >"$BATS_TEST_TMPDIR/junk.img"
	ct=$(crfs_mkct dst)
	run -1 crctl restore "$ct" -i "$BATS_TEST_TMPDIR/junk.img"
	assert_output --regexp "^crctl: $ct: cannot restore: "
	run -0 ct_file "$ct" state
	assert_output "empty"
}

# still_counting: the counter is alive, CT is running and the log grows.
still_counting() {
	crfs_alive "$PID" || fail "pid $PID is gone"
	run -0 ct_file "$CT" state
	assert_output "running"
	local n
	n=$(log_lines "$DIR/log")
	wait_for "the counter to go on" 10 log_grows "$DIR/log" "$n"
}

@test "checkpoint to a path that cannot be made leaves the container running" {
	start_counter
	out=$BATS_TEST_TMPDIR/no/such/dir/ct.img
	run -1 crctl checkpoint "$CT" -o "$out" --kill
	assert_output "crctl: $CT: cannot checkpoint: $out: No such file or directory"
	still_counting
	zdtm_finish
}

@test "checkpoint onto a full filesystem: running again, no partial file left" {
	start_counter
	SMALL_FS=$BATS_TEST_TMPDIR/small
	mkdir "$SMALL_FS"
	mount -t tmpfs -o size=64k,mode=0700 crctl-test "$SMALL_FS"
	run -1 crctl checkpoint "$CT" -o "$SMALL_FS/ct.img" --kill
	assert_output "crctl: $CT: cannot checkpoint: $SMALL_FS/ct.img: No space left on device"
	run -0 ls -A "$SMALL_FS"
	assert_output ""
	still_counting
	zdtm_finish
}

@test "checkpoint to /dev/full: a running container runs again, a frozen one stays frozen" {
	start_counter
	run -1 crctl checkpoint "$CT" -o /dev/full --kill
	assert_output "crctl: $CT: cannot checkpoint: /dev/full: No space left on device"
	still_counting
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run -1 crctl checkpoint "$CT" -o /dev/full --thaw
	assert_output "crctl: $CT: cannot checkpoint: /dev/full: No space left on device"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	crfs_alive "$PID"
	run -0 crctl thaw "$CT"
	wait_thawed "$CT"
	still_counting
	zdtm_finish
}

@test "checkpoint to stdout whose reader is gone: EPIPE, a message, running again" {
	start_counter
	errf=$BATS_TEST_TMPDIR/crctl.err
	# The image (over 100 KiB) is larger than a pipe holds: crctl is still
	# writing when head has its 100 bytes and goes.
	run -0 bash -c '"$0" -r "$1" checkpoint "$2" -o - --kill 2>"$3" |
		head -c 100 >/dev/null; echo "${PIPESTATUS[0]}"' \
		"$CRFS_BIN/crctl" "$CRFS_MNT" "$CT" "$errf"
	assert_output "1"
	run -0 cat "$errf"
	assert_output "crctl: $CT: cannot checkpoint: stdout: Broken pipe"
	still_counting
	zdtm_finish
}

@test "checkpoint writes the image mode 0600, and makes an existing file 0600" {
	start_counter
	new=$BATS_TEST_TMPDIR/new.img old=$BATS_TEST_TMPDIR/old.img
	run -0 bash -c 'umask 0; "$0" -r "$1" checkpoint "$2" -o "$3" --thaw' \
		"$CRFS_BIN/crctl" "$CRFS_MNT" "$CT" "$new"
	run -0 stat -c %a "$new"
	assert_output "600"
	echo "an older, longer file that the image replaces whole" >"$old"
	chmod 0644 "$old"
	wait_thawed "$CT"
	run -0 crctl checkpoint "$CT" -o "$old" --thaw
	run -0 stat -c %a "$old"
	assert_output "600"
	run -0 "$CRFS_BIN/crfs-image" verify "$old"
	zdtm_finish
}

# bats test_tags=image
@test "a failed restore prints the container's reason even for ENOENT, and removes what it made" {
	require_image
	start_counter
	img=$BATS_TEST_TMPDIR/ct.img
	run -0 crctl checkpoint "$CT" -o "$img" --kill
	wait_pid_gone "$PID"
	mv "$DIR/log" "$DIR/log.moved"	# the restore cannot reopen it: ENOENT
	name=made-$BATS_SUITE_TEST_NUMBER-$$
	echo "$name" >>"$BATS_TEST_TMPDIR/.crfs-cts"
	run -1 crctl restore "$name" -i "$img" --thaw
	assert_output --regexp "^crctl: $name: cannot restore: pid $PID: fd [0-9]+: $DIR/log: No such file or directory \(ENOENT\)\$"
	[[ ! -e $CRFS_MNT/$name ]] || fail "crctl left $name behind"
	# what the failed restore made is killed: gone once reaped (PID 1 is late)
	wait_pid_gone "$PID"
}

@test "a failed restore into an existing container leaves it there" {
	start_counter
	img=$BATS_TEST_TMPDIR/ct.img
	run -0 crctl checkpoint "$CT" -o "$img" --kill
	wait_pid_gone "$PID"
	mv "$DIR/log" "$DIR/log.moved"
	ct2=$(crfs_mkct dst)
	run -1 crctl restore "$ct2" -i "$img"
	assert_output --regexp "^crctl: $ct2: cannot restore: pid $PID: fd [0-9]+: "
	run -0 ct_file "$ct2" state
	assert_output "empty"
}

@test "restore of an empty file fails and removes the container it made" {
	: >"$BATS_TEST_TMPDIR/empty.img"
	name=made-$BATS_SUITE_TEST_NUMBER-$$
	echo "$name" >>"$BATS_TEST_TMPDIR/.crfs-cts"
	run -1 crctl restore "$name" -i "$BATS_TEST_TMPDIR/empty.img"
	assert_output "crctl: $name: cannot restore: $BATS_TEST_TMPDIR/empty.img: the image is empty"
	[[ ! -e $CRFS_MNT/$name ]] || fail "crctl left $name behind"
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
