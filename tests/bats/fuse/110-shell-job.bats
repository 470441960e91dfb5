#!/usr/bin/env bats
# FUSE only: a program started from a terminal (a shell job: its standard
# descriptors on a pseudo-terminal held outside the container) is refused
# by default, naming what to do; with the container's shell_job file at 1
# it is checkpointed, and restored onto the terminal of whoever writes
# the image, where it goes on reading and printing.
#
# The users' terminals are helpers/term.py: each holds a pseudo-terminal
# master and runs a command in a session of its own on the slave, as a
# terminal emulator runs a shell.

load ../helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() {
	local d

	for d in "${TERMS[@]}"; do
		touch "$d/quit"
	done
	crfs_teardown
}

TERMS=()

# term NAME CMD...: a terminal running CMD; sets TERM_DIR and TERM_PID.
term() {
	TERM_DIR=$BATS_TEST_TMPDIR/$1
	mkdir -p "$TERM_DIR"
	shift
	start_bg /usr/bin/python3 "$BATS_TEST_DIRNAME/../helpers/term.py" \
		"$TERM_DIR" "$@"
	TERM_PID=$STARTED_PID
	TERMS+=("$TERM_DIR")
}

# say DIR N LINE WANT: type LINE on terminal DIR, wait until it prints WANT.
say() {
	printf '%s\n%s\n' "$3" "$4" >"$1/.say.$2" && mv "$1/.say.$2" "$1/say.$2"
	wait_for "the terminal to print '$4'" 20 \
		test -e "$1/heard.$2" -o -e "$1/failed.$2" || return 1
	[[ -e $1/heard.$2 ]] ||
		fail "the terminal printed '$(cat "$1/failed.$2")', not '$4'"
}

# A shell reading its terminal: each line back as "got LINE".
ECHOER='while read -r l; do echo "got $l"; done'

# start_job CT: the echoer in CT, started from the shell of a terminal (a
# child of the session's leader, as a shell runs a job); sets PID.
start_job() {
	term user /bin/sh -c '"$@"; exit $?' sh \
		"$CRFS_BIN/crctl" -r "$CRFS_MNT" run --host-pid "$1" -- \
		/bin/bash -c "$ECHOER"
	USER_DIR=$TERM_DIR
	say "$USER_DIR" 1 one "got one"
	PID=$(cat "$CRFS_MNT/$1/procs")
}

# bats test_tags=image
@test "a program started from a terminal is refused by default, with a hint" {
	require_image
	CT=$(crfs_mkct src)
	start_job "$CT"
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run ! cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output --regexp "pid $PID: fd 0: /dev/pts/[0-9]+: a terminal whose master is not in the container \\(the terminal of the shell that started it\\?\\) is not supported: start it with </dev/null >log 2>&1.*or echo 1 > shell_job of the container"
}

@test "shell_job reads 0 by default, takes 0 or 1, refuses other words" {
	CT=$(crfs_mkct src)
	run -0 ct_file "$CT" shell_job
	assert_output 0
	ct_write "$CT" shell_job 1
	run -0 ct_file "$CT" shell_job
	assert_output 1
	run ! ct_write "$CT" shell_job yes
	run -0 ct_file "$CT" error
	assert_output --partial "shell_job: bad value 'yes': expected 0 or 1"
	run -0 ct_file "$CT" shell_job
	assert_output 1
}

# bats test_tags=image
@test "a shell job comes back on the restorer's terminal with shell_job" {
	require_image
	local img=$BATS_TEST_TMPDIR/job.img ct2

	CT=$(crfs_mkct src)
	start_job "$CT"
	ct_write "$CT" shell_job 1
	crfs_checkpoint "$CT" "$img"
	ct_write "$CT" state kill
	wait_empty "$CT"
	wait_pid_gone "$PID"
	touch "$USER_DIR/quit"

	# Without shell_job where it is restored: refused, saying what to do.
	ct2=$(crfs_mkct dst)
	run ! crfs_restore "$ct2" "$img"
	run -0 ct_file "$ct2" error
	assert_output --partial "the image has a terminal outside its container (a shell job): echo 1 > shell_job of the container restored into"

	# The restorer writes the image from its terminal: the job's now.
	ct2=$(crfs_mkct dst)
	ct_write "$ct2" shell_job 1
	term restorer /bin/sh -c 'cat "$0" >"$1"' "$img" "$CRFS_MNT/$ct2/image"
	wait_for "the restore to end" 60 test -e "$TERM_DIR/exit"
	run -0 cat "$TERM_DIR/exit"
	assert_output 0
	run -0 ct_file "$ct2" procs
	assert_output "$PID"
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	say "$TERM_DIR" 1 two "got two"
	say "$TERM_DIR" 2 three "got three"
	CT=$ct2
}

# bats test_tags=image
@test "crctl checkpoint and restore --shell-job: the job comes back on crctl's terminal" {
	require_image
	local img=$BATS_TEST_TMPDIR/job.img ct2

	CT=$(crfs_mkct src)
	start_job "$CT"
	run -0 "$CRFS_BIN/crctl" -r "$CRFS_MNT" checkpoint --shell-job -o "$img" --kill "$CT"
	wait_empty "$CT"
	wait_pid_gone "$PID"
	touch "$USER_DIR/quit"
	ct2=dst-$BATS_SUITE_TEST_NUMBER-$$
	echo "$ct2" >>"$(crfs_tmp)/.crfs-cts"
	term restorer "$CRFS_BIN/crctl" -r "$CRFS_MNT" restore --shell-job \
		-i "$img" --thaw "$ct2"
	wait_for "the restore to end" 60 test -e "$TERM_DIR/exit"
	run -0 cat "$TERM_DIR/exit"
	assert_output 0
	run -0 ct_file "$ct2" shell_job
	assert_output 1
	run -0 ct_file "$ct2" procs
	assert_output "$PID"
	say "$TERM_DIR" 1 four "got four"
	CT=$ct2
}
