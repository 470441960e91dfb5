#!/usr/bin/env bats
# Real programs, not written for the test: each round-trips and goes on
# working after thaw, or is refused before any image byte with a reason
# and goes on working.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

# cycle CT [CMD...]: checkpoint CT to $IMG, kill, restore into a new
# container through CMD (default: a plain cat), thaw.  Sets CT to the new
# one.
cycle() {
	local pid=$STARTED_PID ct2
	local -a shift_cmd=("${@:2}")

	IMG=$BATS_TEST_TMPDIR/img.$RANDOM
	crfs_checkpoint "$1" "$IMG" || { ct_file "$1" error >&2; return 1; }
	ct_write "$1" state kill
	wait_empty "$1"
	wait_pid_gone "$pid"
	ct2=$(crfs_mkct dst)
	if ((${#shift_cmd[@]})); then
		"${shift_cmd[@]}" <"$IMG" >"$CRFS_MNT/$ct2/image"
	else
		crfs_restore "$ct2" "$IMG"
	fi
	run -0 ct_file "$ct2" procs
	assert_output "$pid"
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	CT=$ct2
}

# goes_on FILE: FILE gets new lines.
goes_on() {
	local n

	n=$(log_lines "$1")
	wait_for "$(basename "$1") to grow past $n lines" 10 log_grows "$1" "$n"
}

# refused_running CT REGEXP: the checkpoint of the frozen CT is refused
# with a reason matching REGEXP, no image byte comes out, and after thaw
# the program still runs.
refused_running() {
	local ct=$1 re=$2

	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run -0 bash -c "cat '$CRFS_MNT/$ct/image' 2>/dev/null | wc -c"
	assert_output "0"
	run -0 ct_file "$ct" error
	assert_output --regexp "$re"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	crfs_alive "$STARTED_PID" || fail "pid $STARTED_PID died after the refusal"
}

@test "python3: a counting loop goes on after restore" {
	command -v python3 >/dev/null || skip "no python3"
	out=$BATS_TEST_TMPDIR/py.out
	ct=$(crfs_mkct py)
	start_in "$ct" python3 -c "
import time
i = 0
with open('$out', 'a') as f:
    while True:
        i += 1
        print(i, file=f, flush=True)
        time.sleep(0.05)"
	wait_for "python3 to count" 10 log_grows "$out" 2
	cycle "$ct"
	goes_on "$out"
	# No line lost, none repeated: 1 .. N in order.
	run -0 awk '$1 != NR { print "line " NR ": " $0; exit 1 }' "$out"
}

@test "python3: a setitimer heartbeat keeps ticking after restore" {
	command -v python3 >/dev/null || skip "no python3"
	out=$BATS_TEST_TMPDIR/beat.out
	ct=$(crfs_mkct beat)
	# SIGALRM every 50 ms (ITIMER_REAL); nothing else wakes it up.
	start_in "$ct" python3 -c "
import signal
out = open('$out', 'a', buffering=1)
n = 0
def beat(sig, frame):
    global n
    n += 1
    out.write('beat %d\\n' % n)
signal.signal(signal.SIGALRM, beat)
signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
while True:
    signal.pause()"
	wait_for "the heartbeat" 10 log_grows "$out" 2
	cycle "$ct"
	# Not one beat (a SIGALRM pending at the checkpoint) but ten more.
	n=$(log_lines "$out")
	wait_for "ten more beats" 10 log_grows "$out" $((n + 10))
	# Beats 1 .. N in order: none lost, none twice.
	run -0 awk '$2 != NR { print "line " NR ": " $0; exit 1 }' "$out"
}

@test "openssl speed: a benchmark timed by alarm() finishes and reports after restore" {
	# scripts/deps.sh test installs it; a VM image may not have it.
	command -v openssl >/dev/null || skip "no openssl (scripts/deps.sh test installs it)"
	local ct pid out
	ct=$(crfs_mkct ossl)
	# One algorithm, one block size, 3 s: alarm(3) ends the count.
	start_in "$ct" openssl speed -seconds 3 -bytes 64 sha256
	pid=$STARTED_PID
	out=${STARTED_ERR%.err}.out
	wait_for "openssl to start counting" 10 grep -q sha256 "$STARTED_ERR"
	sleep 1
	cycle "$ct"
	# 2 s or so left: it must end, and say what it counted.
	wait_for "openssl speed to report after the restore" 20 \
		grep -q '^sha256 .*k$' "$out"
	run -0 cat "$out"
	assert_output --partial "The 'numbers' are in 1000s of bytes per second processed."
	wait_for "openssl to exit" 10 crfs_gone "$pid"
}

@test "perl: a select() loop goes on after restore" {
	command -v perl >/dev/null || skip "no perl"
	out=$BATS_TEST_TMPDIR/perl.out
	ct=$(crfs_mkct perl)
	start_in "$ct" perl -e '
open(my $f, ">>", $ARGV[0]) or die; select((select($f), $| = 1)[0]);
my $i = 0; while (1) { print $f ++$i, "\n"; select(undef, undef, undef, 0.05) }' "$out"
	wait_for "perl to count" 10 log_grows "$out" 2
	cycle "$ct"
	goes_on "$out"
	run -0 awk '$1 != NR { print "line " NR ": " $0; exit 1 }' "$out"
}

# bats test_tags=image
@test "zdtm-reserve: a 64 GiB PROT_NONE reservation round-trips" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-reserve
	STARTED_PID=$ZDTM_PID
	cycle "$CT"
	zdtm_finish
}

@test "a session leader (setsid) leads its session again after restore" {
	ct=$(crfs_mkct sid)
	start_in "$ct" setsid sleep 1000
	wait_in "$ct" "$STARTED_PID"
	wait_for "setsid to exec sleep" 10 \
		grep -q '^Name:.sleep' "/proc/$STARTED_PID/status"
	run -0 ps -o sid= -p "$STARTED_PID"
	assert_output --regexp "^ *$STARTED_PID\$"
	cycle "$ct"
	run -0 ps -o sid=,pgid= -p "$STARTED_PID"
	assert_output --regexp "^ *$STARTED_PID +$STARTED_PID\$"
}

# bats test_tags=image
@test "a restored process is not in the restorer's session or process group" {
	require_image
	[[ -n ${CRFS_FUSE_PID:-} ]] || skip "needs the crfs-fuse daemon of this file"
	ct=$(crfs_mkct grp)
	start_in "$ct" sleep 1000
	wait_in "$ct" "$STARTED_PID"
	cycle "$ct"
	daemon=$(ps -o sid=,pgid= -p "$CRFS_FUSE_PID")
	run -0 ps -o sid=,pgid= -p "$STARTED_PID"
	refute_output "$daemon"
	assert_output --regexp "^ *$STARTED_PID +$STARTED_PID\$"
}

@test "an image piped through gzip, gunzip and cat restores" {
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-counter
	STARTED_PID=$ZDTM_PID
	cycle "$CT" sh -c 'gzip -1 | gunzip | cat | cat'
	goes_on "$ZDTM_DIR/log"
	zdtm_finish
}

# bats test_tags=image
@test "tail -f (inotify) comes back and keeps following" {
	require_image
	f=$BATS_TEST_TMPDIR/followed
	echo one >"$f"
	ct=$(crfs_mkct tail)
	start_in "$ct" tail -f "$f"
	wait_in "$ct" "$STARTED_PID"
	wait_for "tail to print the file" 10 grep -qx one "$(crfs_tmp)"/tail.*.out
	# It waits in poll() on its inotify descriptor (no timeout).
	run -0 bash -c "ls -l /proc/$STARTED_PID/fd | grep -c inotify"
	cycle "$ct"
	echo two >>"$f"
	wait_for "tail to print the new line" 10 grep -qx two "$(crfs_tmp)"/tail.*.out
	run -0 cat "$(crfs_tmp)"/tail.*.err
	assert_output ""
	kill "$STARTED_PID"
}

# bats test_tags=image
@test "a process whose cwd was removed is refused with a reason and runs on" {
	require_image
	d=$BATS_TEST_TMPDIR/gone
	mkdir "$d"
	ct=$(crfs_mkct cwd)
	(cd "$d" && start_in "$ct" sleep 1000; echo "$STARTED_PID" >"$BATS_TEST_TMPDIR/pid")
	STARTED_PID=$(cat "$BATS_TEST_TMPDIR/pid")
	wait_in "$ct" "$STARTED_PID"
	rmdir "$d"
	refused_running "$ct" "pid $STARTED_PID: cwd .*deleted"
}

# bats test_tags=image
@test "a restore while the image's pid is alive fails, naming it, and leaves nothing" {
	require_image
	ct=$(crfs_mkct live)
	start_in "$ct" sleep 1000
	wait_in "$ct" "$STARTED_PID"
	img=$BATS_TEST_TMPDIR/live.img
	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state thaw
	ct2=$(crfs_mkct dst)
	run ! crfs_restore "$ct2" "$img"
	run -0 ct_file "$ct2" error
	assert_output --regexp "pid $STARTED_PID is in use"
	run -0 ct_file "$ct2" state
	assert_output "empty"
	crfs_alive "$STARTED_PID" || fail "the live process was hurt"
}

# sqlite_cycle MODE BEGIN: a python3 sqlite3 writer holds a write
# transaction (BEGIN IMMEDIATE or EXCLUSIVE) on a database in journal
# mode MODE across a checkpoint, kill and restore: a second writer then
# gets "database is locked" (the file locks came back); after the first
# commits, its row is there and the second writer gets in.
sqlite_cycle() {
	local mode=$1 begin=$2 db=$BATS_TEST_TMPDIR/t.db
	local ready=$BATS_TEST_TMPDIR/ready py=$BATS_TEST_TMPDIR/writer.py

	command -v python3 >/dev/null || skip "no python3"
	python3 -c 'import sqlite3' 2>/dev/null || skip "no python3 sqlite3"
	python3 - "$db" "$mode" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA journal_mode=" + sys.argv[2])
c.execute("CREATE TABLE t (v TEXT)")
c.close()
PY
	cat >"$py" <<'PY'
import os, signal, sqlite3, sys
db, ready, begin = sys.argv[1:4]
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
c = sqlite3.connect(db, timeout=0, isolation_level=None)
c.execute(begin)
c.execute("INSERT INTO t VALUES ('first')")
with open(ready + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(ready + ".tmp", ready)
signal.sigwait([signal.SIGTERM])
c.execute("COMMIT")
c.close()
PY
	ct=$(crfs_mkct sqlite)
	start_in "$ct" python3 "$py" "$db" "$ready" "$begin"
	wait_for "the writer to hold its transaction" 20 test -e "$ready"
	cycle "$ct"
	# The second writer may not get in while the first holds it.
	run python3 - "$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
try:
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT INTO t VALUES ('second')")
    c.execute("COMMIT")
    print("the second writer got in")
except sqlite3.OperationalError as e:
    print(e)
PY
	assert_output "database is locked"
	kill -TERM "$STARTED_PID"
	wait_pid_gone "$STARTED_PID"
	run -0 python3 - "$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)
c.execute("INSERT INTO t VALUES ('second')")
print(" ".join(r[0] for r in c.execute("SELECT v FROM t ORDER BY rowid")))
print(c.execute("PRAGMA integrity_check").fetchone()[0])
PY
	assert_output "$(printf 'first second\nok')"
}

# bats test_tags=image
@test "python3 sqlite3: a write transaction (rollback journal) keeps its locks" {
	require_image
	sqlite_cycle delete "BEGIN EXCLUSIVE"
}

# bats test_tags=image
@test "python3 sqlite3: a write transaction (WAL) keeps its locks" {
	require_image
	sqlite_cycle wal "BEGIN IMMEDIATE"
}
