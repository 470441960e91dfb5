#!/usr/bin/env bats
# state: freeze, thaw, kill; bad words; events and its poll() wake-up.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() {
	[[ -z ${FLAG:-} ]] || rm -f "$FLAG"
	crfs_teardown
	stall_end
}

# A container running zdtm-counter: sets CT, PID, LOG.
start_counter() {
	CT=$(crfs_mkct ct)
	zdtm_start "$CT" zdtm-counter
	PID=$ZDTM_PID
	LOG=$ZDTM_DIR/log
}

@test "a container with a process is running" {
	start_counter
	run -0 ct_file "$CT" state
	assert_output "running"
	run -0 ct_file "$CT" events
	assert_output "$(printf 'populated 1\nfrozen 0')"
}

@test "freeze stops the process; events says frozen 1; state says frozen" {
	start_counter
	ct_write "$CT" state freeze
	run -0 ct_file "$CT" state
	assert_output --regexp '^(freezing|frozen)$'
	wait_frozen "$CT"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	n=$(log_lines "$LOG")
	# Absence of progress can only be watched for a while.
	sleep 0.5
	run -0 log_lines "$LOG"
	assert_output "$n"
}

@test "thaw lets the process go on from where it was" {
	start_counter
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	n=$(log_lines "$LOG")
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	run -0 ct_file "$CT" state
	assert_output "running"
	wait_for "the counter to go on" 10 log_grows "$LOG" "$n"
	zdtm_finish
}

@test "freeze twice and thaw twice are harmless" {
	start_counter
	ct_write "$CT" state freeze
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	ct_write "$CT" state thaw
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	run -0 ct_file "$CT" state
	assert_output "running"
	zdtm_finish
}

@test "kill ends every process; the container becomes empty" {
	start_counter
	ct_write "$CT" state kill
	wait_empty "$CT"
	wait_pid_gone "$PID"
	run -0 ct_file "$CT" state
	assert_output "empty"
	run -0 ct_file "$CT" procs
	assert_output ""
	run -0 ct_file "$CT" events
	assert_output "$(printf 'populated 0\nfrozen 0')"
}

@test "kill works on a frozen container" {
	start_counter
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	ct_write "$CT" state kill
	wait_empty "$CT"
	wait_pid_gone "$PID"
	run -0 ct_file "$CT" state
	assert_output "empty"
}

@test "a frozen container killed is empty and thawed: its next process runs" {
	start_counter
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
	run -0 ct_file "$CT" events
	assert_output "$(printf 'populated 0\nfrozen 0')"
	zdtm_start "$CT" zdtm-counter
	run -0 ct_file "$CT" state
	assert_output "running"
	wait_for "the new counter to count" 10 log_grows "$ZDTM_DIR/log" 1
	zdtm_finish
}

@test "other words fail with EINVAL and the error names the word" {
	start_counter
	for word in FREEZE frozen stop "freeze now" 1 running; do
		run -1 ct_write "$CT" state "$word"
		assert_output --partial "Invalid argument"
		run -0 ct_file "$CT" error
		assert_output --partial "$word"
	done
	run -1 ct_write "$CT" state ""
	assert_output --partial "Invalid argument"
	run -0 ct_file "$CT" error
	assert_output "state: bad word '': expected freeze, thaw or kill (EINVAL)"
	run -0 ct_file "$CT" state
	assert_output "running"
}

@test "the words are accepted without a newline too" {
	start_counter
	printf freeze >"$CRFS_MNT/$CT/state"
	wait_frozen "$CT"
	printf thaw >"$CRFS_MNT/$CT/state"
	wait_thawed "$CT"
}

# write_bytes FORMAT: one write() of printf's output to CT/state (the
# printf of bash writes line by line).
write_bytes() {
	# shellcheck disable=SC2059
	env printf "$1" >"$CRFS_MNT/$CT/state"
}

@test "a word with anything around it but one final newline is EINVAL" {
	start_counter
	for fmt in 'freeze\n\n' 'freeze\r\n' ' freeze' 'freeze ' '\tfreeze' \
		   'freeze\t' '\nfreeze' '+freeze' 'freeze\nthaw' 'freeze thaw' \
		   'freeze\0'; do
		run -1 write_bytes "$fmt"
		assert_output --partial "Invalid argument"
		run -0 ct_file "$CT" error
		assert_output --regexp "^state: .* \(EINVAL\)\$"
		assert_equal "${#lines[@]}" 1
		run -0 ct_file "$CT" state
		assert_output "running"
	done
	run -1 write_bytes 'freeze\n\n'
	run -0 ct_file "$CT" error
	assert_output "state: bad word 'freeze\\n': expected freeze, thaw or kill (EINVAL)"
	run -1 write_bytes 'thaw\r\n'
	run -0 ct_file "$CT" error
	assert_output "state: bad word 'thaw\\r': expected freeze, thaw or kill (EINVAL)"
}

@test "a new operation clears the reason of the last failure" {
	start_counter
	run -1 ct_write "$CT" state stop
	run -0 ct_file "$CT" error
	assert_output "state: bad word 'stop': expected freeze, thaw or kill (EINVAL)"
	ct_write "$CT" state freeze
	run -0 ct_file "$CT" error
	assert_output ""
	wait_frozen "$CT"
	run -1 ct_write "$CT" state stop
	ct_write "$CT" state thaw
	run -0 ct_file "$CT" error
	assert_output ""
	wait_thawed "$CT"
}

@test "poll() on events wakes up when the container freezes" {
	start_counter
	run -0 timeout 20 python3 -c '
import os, select, sys, threading, time

events, state = sys.argv[1], sys.argv[2]
fd = os.open(events, os.O_RDONLY)
text = os.pread(fd, 4096, 0).decode()
if "frozen 0" not in text:
    sys.exit("events does not say frozen 0 at first: %r" % text)
p = select.poll()
p.register(fd, select.POLLPRI)
if p.poll(0):
    sys.exit("poll() says changed before anything changed")

def freeze():
    with open(state, "w") as f:
        f.write("freeze\n")

t0 = time.monotonic()
threading.Timer(0.3, freeze).start()
wakeups = 0
while True:
    left = 5 - (time.monotonic() - t0)
    if left <= 0:
        sys.exit("no frozen 1 after 5 s (%d wake-ups), last %r" % (wakeups, text))
    r = p.poll(int(left * 1000))
    if not r:
        sys.exit("poll() did not wake up in 5 s; last %r" % text)
    wakeups += 1
    if time.monotonic() - t0 < 0.25:
        sys.exit("poll() returned before the change")
    if not r[0][1] & (select.POLLPRI | select.POLLERR):
        sys.exit("poll() woke with revents %#x, no POLLPRI/POLLERR" % r[0][1])
    text = os.pread(fd, 4096, 0).decode()
    if "frozen 1" in text:
        break
    if wakeups > 20:
        sys.exit("poll() keeps waking without frozen 1: %r" % text)
print("woke %d time(s), frozen 1" % wakeups)
' "$CRFS_MNT/$CT/events" "$CRFS_MNT/$CT/state"
	assert_output --partial "frozen 1"
	run -0 ct_file "$CT" state
	assert_output "frozen"
}

# A user's FUSE server whose getattr blocks while FLAG exists (stallfs):
# a process of the container that stat()s its file waits in the kernel,
# where the freezer cannot stop it.  Sets SF, FLAG, SFPID; stat(1) runs in
# CT as STARTED_PID, waiting on the server once this returns.
stall_in() {
	local stallfs=${CRFS_TOOLS:-$CRFS_BIN/../tests/tools}/stallfs

	# The sanitizer build has no tools of its own: the plain build's.
	[[ -x $stallfs ]] || stallfs=$CRFS_REPO/build/tests/tools/stallfs
	SF=$BATS_TEST_TMPDIR/sf
	FLAG=$BATS_TEST_TMPDIR/stall
	mkdir -p "$SF"
	(crfs_close_fds; exec "$stallfs" "$FLAG" "$SF" -f) \
		</dev/null >"$BATS_TEST_TMPDIR/stallfs.log" 2>&1 3>&- &
	SFPID=$!
	wait_for "stallfs to mount" 10 crfs_is_mounted "$SF"
	touch "$FLAG"
	start_in "$1" stat "$SF/f"
	wait_for "pid $STARTED_PID to wait on stallfs" 10 in_stat "$STARTED_PID"
	sleep 0.2	# its only wait is the server's answer: it is there
}

# in_stat PID: PID is stat(1), asleep.
in_stat() {
	[[ $(cat "/proc/$1/comm" 2>/dev/null) == stat ]] &&
		[[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == S ]]
}

stall_end() {
	if [[ -n ${SFPID:-} ]]; then
		fusermount3 -u "$SF" 2>/dev/null || umount -l "$SF" 2>/dev/null
		kill "$SFPID" 2>/dev/null
		SFPID=
	fi
	true
}

@test "freeze returns at once while a process cannot stop yet: state says freezing until it does" {
	CT=$(crfs_mkct stall)
	stall_in "$CT"
	run -0 timeout 3 sh -c "echo freeze >'$CRFS_MNT/$CT/state'"
	run -0 ct_file "$CT" state
	assert_output "freezing"
	run -0 ct_file "$CT" events
	assert_output "$(printf 'populated 1\nfrozen 0')"
	rm -f "$FLAG"
	wait_frozen "$CT"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	# it stopped on its way out of the kernel: stat(1) did not end
	run -0 cat "/proc/$STARTED_PID/comm"
	assert_output "stat"
	ct_write "$CT" state kill
}

@test "a checkpoint of a container still freezing after 5 s is EBUSY, naming the thread the freezer waits for" {
	CT=$(crfs_mkct stall)
	stall_in "$CT"
	ct_write "$CT" state freeze
	run ! timeout 20 cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output --regexp "^checkpoint: $CT: not frozen after 5000 ms \(state freezing\): pid $STARTED_PID \(stat\) in [^ ]+, state D, has not stopped \(EBUSY\)\$"
	run -0 ct_file "$CT" state
	assert_output "freezing"
	rm -f "$FLAG"
	wait_frozen "$CT"
	ct_write "$CT" state kill
}

@test "a process of the container freezes it: its write returns at once and it stops right after" {
	local mark=$BATS_TEST_TMPDIR/after

	CT=$(crfs_mkct self)
	start_in "$CT" /bin/sh -c 'echo freeze >"$1/state" && echo ok >"$2"; exec sleep 600' \
		sh "$CRFS_MNT/$CT" "$mark"
	wait_frozen "$CT" 3
	run -0 ct_file "$CT" error
	assert_output ""
	sleep 0.3
	[[ ! -e $mark ]] || fail "the process ran on after its freeze"
	ct_write "$CT" state thaw
	wait_for "the write to have returned 0" 10 test -s "$mark"
	ct_write "$CT" state kill
}
