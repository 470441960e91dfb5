#!/usr/bin/env bats
# zdtm: each program builds its state, is checkpointed, killed, restored,
# thawed, and then checks its own state.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

# zdtm_cycle CT PROG: checkpoint CT to $IMG, kill, restore into a new
# container, thaw.  Sets CT to the new container.
zdtm_cycle() {
	local pid=$ZDTM_PID ct2

	IMG=$BATS_TEST_TMPDIR/$2.$RANDOM.img
	crfs_checkpoint "$1" "$IMG"
	ct_write "$1" state kill
	wait_empty "$1"
	wait_pid_gone "$pid"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$IMG"
	run -0 ct_file "$ct2" state
	assert_output "frozen"
	run -0 ct_file "$ct2" procs
	assert_output "$pid"
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	CT=$ct2
}

# zdtm_run PROG: the whole cycle, then PASS.
zdtm_run() {
	CT=$(crfs_mkct src)
	zdtm_start "$CT" "$1"
	zdtm_cycle "$CT" "$1"
	zdtm_finish
}

@test "zdtm-counter" {
	zdtm_run zdtm-counter
}

@test "zdtm-mem" {
	zdtm_run zdtm-mem
	# About 25 MiB of 67 were ever written: holes must not be in the image.
	size=$(stat -c %s "$IMG")
	((size < 40 * 1024 * 1024)) ||
		fail "the image is $size bytes: never-touched pages were dumped"
}

@test "zdtm-regs" {
	zdtm_run zdtm-regs
}

@test "zdtm-signals" {
	zdtm_run zdtm-signals
}

@test "zdtm-files" {
	zdtm_run zdtm-files
}

@test "zdtm-pipe1: one process's pipes (both ends, an end alone, resized, non-blocking) come back with their data" {
	zdtm_run zdtm-pipe1
}

# bats test_tags=image
@test "zdtm-shmap" {
	require_image
	zdtm_run zdtm-shmap
}

# bats test_tags=image
@test "zdtm-shmzap: shared anonymous pages zapped by MADV_DONTNEED or written by another opener come back" {
	require_image
	zdtm_run zdtm-shmzap
}

# bats test_tags=image
@test "zdtm-vmflags: every mapping comes back with its VmFlags (madvise, mlock, nr, ac) and its name" {
	require_image
	zdtm_run zdtm-vmflags
}

# bats test_tags=image
@test "zdtm-mdwe: a process that refuses writable executable memory comes back refusing it" {
	require_image
	zdtm_run zdtm-mdwe
}

@test "zdtm-threads: 32 threads come back with their registers, TLS, masks, names, alternate stacks, nice values, CPUs, rseq areas and pending signals, blocked in futex, nanosleep and sigwaitinfo" {
	zdtm_run zdtm-threads
}

@test "zdtm-threads: checkpointed twice and thawed, the original's 32 threads run on as they were" {
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-threads
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/1.img"
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/2.img"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}

@test "zdtm-threads-creds: every thread comes back with the process's gids, groups, empty capability sets and no_new_privs, not the restorer's" {
	zdtm_run zdtm-threads-creds
}

@test "zdtm-threads-timers: each of 8 threads keeps its own POSIX timer (SIGEV_THREAD_ID)" {
	zdtm_run zdtm-threads-timers
}

@test "zdtm-counter survives two generations of checkpoint and restore" {
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-counter
	zdtm_cycle "$CT" zdtm-counter
	n=$(log_lines "$ZDTM_DIR/log")
	wait_for "the counter to go on" 10 log_grows "$ZDTM_DIR/log" "$n"
	zdtm_cycle "$CT" zdtm-counter
	zdtm_finish
}

@test "zdtm-regs survives two generations of checkpoint and restore" {
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-regs
	zdtm_cycle "$CT" zdtm-regs
	zdtm_cycle "$CT" zdtm-regs
	zdtm_finish
}

# usr1_after_restore PROG CALL: PROG checkpointed, killed, restored into
# a new container, sent SIGUSR1 while frozen, thawed: CALL returns after
# the handler and the program passes its checks.
usr1_after_restore() {
	local ct ct2 img=$BATS_TEST_TMPDIR/ct.img

	ct=$(crfs_mkct src)
	zdtm_start "$ct" "$1"
	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_pid_gone "$ZDTM_PID"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$img"
	usr1_thaw_finish "$CRFS_MNT/$ct2/state" "$ZDTM_DIR" "$ZDTM_PID" "$2"
}

@test "zdtm-pause: a signal handled after the restore interrupts pause() as the kernel would" {
	usr1_after_restore zdtm-pause "pause()"
}

@test "zdtm-sigsuspend: restored inside sigsuspend(), its mask after the handler is the one from before the call" {
	usr1_after_restore zdtm-sigsuspend "sigsuspend()"
}

@test "zdtm-personality: READ_IMPLIES_EXEC makes no mapping executable at restore" {
	zdtm_run zdtm-personality
}

@test "zdtm-groups: 4000 supplementary groups come back" {
	zdtm_run zdtm-groups
}

# bats test_tags=image
@test "zdtm-rtqueue: 20000 pending real-time signals come back, in order" {
	require_image
	zdtm_run zdtm-rtqueue
}

@test "zdtm-itimers: the three interval timers come back with their periods and what they had left" {
	zdtm_run zdtm-itimers
}

@test "zdtm-posix-timers: POSIX timers come back with their ids, clocks, signals and times" {
	zdtm_run zdtm-posix-timers
}

@test "zdtm-timer-pending: a timer's pending signal comes back as the timer's own, one, not two" {
	zdtm_run zdtm-timer-pending
}

@test "zdtm-sched: SCHED_BATCH with reset-on-fork, nice 10 and the clear_child_tid address come back" {
	zdtm_run zdtm-sched
}

@test "zdtm-sched-rr: SCHED_RR priority 7 with nice -3 comes back" {
	zdtm_run zdtm-sched-rr
}

@test "zdtm-affinity: a process bound to one CPU comes back bound to it" {
	zdtm_run zdtm-affinity
}

# stat_state PID: the state letter of /proc/PID/stat.
stat_state() {
	local stat

	stat=$(cat "/proc/$1/stat") || return 1
	stat=${stat##*) }
	echo "${stat%% *}"
}

# is_stopped PID: stopped by a signal (T).
is_stopped() {
	[[ $(stat_state "$1") == T ]]
}

# bats test_tags=image
@test "a process stopped by a signal comes back stopped, and SIGCONT makes it run on" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-counter
	kill -STOP "$ZDTM_PID"
	wait_for "pid $ZDTM_PID to stop" 10 is_stopped "$ZDTM_PID"
	n=$(log_lines "$ZDTM_DIR/log")
	zdtm_cycle "$CT" zdtm-counter
	# Stopped in the freezer already: 'T' as soon as it is thawed.
	run -0 stat_state "$ZDTM_PID"
	assert_output "T"
	sleep 1
	run -0 stat_state "$ZDTM_PID"
	assert_output "T"
	[[ $(log_lines "$ZDTM_DIR/log") == "$n" ]] ||
		fail "the stopped process counted on after the restore"
	kill -CONT "$ZDTM_PID"
	wait_for "the counter to go on after SIGCONT" 10 \
		log_grows "$ZDTM_DIR/log" "$n"
	zdtm_finish
}

@test "zdtm-caps: capability sets, securebits and no_new_privs of a uid-1000 process come back" {
	zdtm_run zdtm-caps
}

@test "zdtm-nocaps: a root process without capabilities comes back without any" {
	zdtm_run zdtm-nocaps
}

# bats test_tags=image
@test "zdtm-seccomp: filters come back in their order, with their flags, and still deny" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-seccomp
	zdtm_cycle "$CT" zdtm-seccomp
	run -0 grep -E '^Seccomp(_filters)?:' "/proc/$ZDTM_PID/status"
	assert_line --regexp '^Seccomp:[[:space:]]+2$'
	assert_line --regexp '^Seccomp_filters:[[:space:]]+4$'
	zdtm_finish
}

# seccomp_strict_done DIR: the strict process wrote its verdict.
seccomp_strict_done() { grep -q . "$1/result" 2>/dev/null; }

# bats test_tags=image
@test "zdtm-seccomp-strict: a process in seccomp strict mode comes back in it" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-seccomp-strict
	zdtm_cycle "$CT" zdtm-seccomp-strict
	run -0 grep '^Seccomp:' "/proc/$ZDTM_PID/status"
	assert_output --regexp '^Seccomp:[[:space:]]+1$'
	kill -TERM "$ZDTM_PID"
	wait_for "zdtm-seccomp-strict to write its result" 30 \
		seccomp_strict_done "$ZDTM_DIR"
	run -0 cat "$ZDTM_DIR/result"
	assert_output "PASS"
}

# bats test_tags=image
@test "zdtm-prctl: subreaper, parent-death signal, timer slack, oom_score_adj and THP come back" {
	require_image
	zdtm_run zdtm-prctl
}

# bats test_tags=image
@test "zdtm-memfd: memfds, their contents, holes, seals, descriptions and shared mappings" {
	require_image
	zdtm_run zdtm-memfd
	# 68 KiB of data in a 4 MiB memfd: the holes are not in the image.
	size=$(stat -c %s "$IMG")
	((size < 2 * 1024 * 1024)) ||
		fail "the image is $size bytes: the memfd's holes were dumped"
}

# bats test_tags=image
@test "zdtm-unlinked: O_TMPFILE and deleted files, their contents, holes, descriptions and mappings" {
	require_image
	zdtm_run zdtm-unlinked
}

# bats test_tags=image
@test "zdtm-delmap: a shared mapping of a deleted file, no descriptor left" {
	require_image
	zdtm_run zdtm-delmap
}

# lock_probe DIR: from outside the container, the restored locks block.
lock_probe() {
	python3 - "$1" "$2" <<'PY'
import errno, fcntl, os, struct, sys
d, pid = sys.argv[1], int(sys.argv[2])
fd = os.open(d + "/posix", os.O_RDWR)
fl = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 0, 1, 0))
t, _, start, ln, p = struct.unpack("hhqqi4x", fl)
assert (t, start, ln, p) == (fcntl.F_WRLCK, 0, 10, pid), (t, start, ln, p)
fd = os.open(d + "/flock-ex", os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    sys.exit("flock-ex: a shared flock got in")
except OSError as e:
    assert e.errno == errno.EWOULDBLOCK
PY
}

# bats test_tags=image
@test "zdtm-locks: POSIX, OFD and flock locks come back, the process's own" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-locks
	zdtm_cycle "$CT" zdtm-locks
	run -0 lock_probe "$ZDTM_DIR" "$ZDTM_PID"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-locks: a lock taken meanwhile fails the restore, naming its holder" {
	require_image
	local pid held=$BATS_TEST_TMPDIR/held ct2 holder
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-locks
	pid=$ZDTM_PID
	IMG=$BATS_TEST_TMPDIR/locks.img
	crfs_checkpoint "$CT" "$IMG"
	ct_write "$CT" state kill
	wait_empty "$CT"
	wait_pid_gone "$pid"
	# Someone outside takes byte 5 of "posix", within the write lock 0-9.
	start_bg python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 5)
open(sys.argv[2], "w").close()
time.sleep(120)' "$ZDTM_DIR/posix" "$held"
	holder=$STARTED_PID
	wait_for "the holder to lock" 10 test -e "$held"
	ct2=$(crfs_mkct dst)
	run ! crfs_restore "$ct2" "$IMG"
	wait_for "the restore to end" 15 \
		grep -qvx restoring "$CRFS_MNT/$ct2/state"
	run -0 ct_file "$ct2" error
	assert_output --regexp "pid $pid: fd 3: .*/posix: cannot take its POSIX write lock on bytes 0-9 again: pid $holder \\(python3\\) holds a POSIX WRITE lock on it"
	run -0 ct_file "$ct2" state
	assert_output "empty"
	wait_pid_gone "$pid" 5 || fail "pid $pid is alive after a failed restore"
	# The holder gone, the same image restores and the locks are back.
	kill "$holder"
	wait_pid_gone "$holder"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$IMG"
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	zdtm_finish
}

# waits_for_lock PID: /proc/locks has PID waiting ("->") for a POSIX lock.
waits_for_lock() {
	grep -Eq "^[0-9]+: -> POSIX +ADVISORY +WRITE $1 " /proc/locks
}

# bats test_tags=image
@test "zdtm-lockwait: a wait for a lock held outside is restarted, then gets it" {
	require_image
	local held=$BATS_TEST_TMPDIR/held holder
	CT=$(crfs_mkct src)
	ZDTM_DIR=$(crfs_tmp)/zdtm-lockwait.$RANDOM
	mkdir -p "$ZDTM_DIR"
	start_bg python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)
open(sys.argv[2], "w").close()
time.sleep(120)' "$ZDTM_DIR/wait" "$held"
	holder=$STARTED_PID
	wait_for "the holder to lock" 10 test -e "$held"
	start_in "$CT" "$CRFS_ZDTM/zdtm-lockwait" "$ZDTM_DIR"
	ZDTM_PID=$STARTED_PID
	wait_for "zdtm-lockwait to wait for the lock" 20 waits_for_lock "$ZDTM_PID"
	zdtm_cycle "$CT" zdtm-lockwait
	wait_for "the restored process to wait again" 20 waits_for_lock "$ZDTM_PID"
	kill "$holder"
	wait_pid_gone "$holder"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-procstate: a name with a newline, I/O priority, coredump_filter, membarrier registrations, signal owners, F_SETSIG and O_ASYNC come back" {
	require_image
	zdtm_run zdtm-procstate
}

# bats test_tags=image
@test "zdtm-evfd: eventfd, signalfd, timerfd and epoll come back with their state and behave as before" {
	require_image
	zdtm_run zdtm-evfd
}

# bats test_tags=image
@test "zdtm-epoll-closed: epoll targets whose descriptor was closed come back keyed by their old numbers" {
	require_image
	zdtm_run zdtm-epoll-closed
	run -0 "$CRFS_BIN/crfs-image" show "$IMG"
	assert_output --partial "via_fd="
}

# bats test_tags=image
@test "zdtm-epoll-closed: thawed after a checkpoint, its epoll is as it was" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-epoll-closed
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/1.img"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-inotify: inotify watches come back with their wds and masks and report events" {
	require_image
	zdtm_run zdtm-inotify
}

# bats test_tags=image
@test "zdtm-inotify-gone: a watch of a deleted file comes back on its copy, with no event made by the restore" {
	require_image
	zdtm_run zdtm-inotify-gone
	run -0 "$CRFS_BIN/crfs-image" show "$IMG"
	assert_output --regexp "path=[^[:space:]]*/gone[^[:space:]]*deleted\\) via=[0-9]+"
}

# bats test_tags=image
@test "zdtm-inotify-gone: thawed after a checkpoint, no event was made and its watches report" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-inotify-gone
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/1.img"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-inet: TCP listeners and UDP sockets come back bound, with their options, and work" {
	require_image
	zdtm_run zdtm-inet
}

# bats test_tags=image
@test "zdtm-futex-hash: a process whose thread has gone keeps its private futex hash" {
	require_image
	zdtm_run zdtm-futex-hash
}

# bats test_tags=image
@test "zdtm-unix: unix socket pairs come back with their queued data, boundaries, options and shutdown state" {
	require_image
	zdtm_run zdtm-unix
	run -0 "$CRFS_BIN/crfs-image" show "$IMG"
	assert_output --regexp "kind=unix [^[:cntrl:]]*path=socket:\\[[0-9]+\\] type=2 state=connected [^[:cntrl:]]*queued=63108"
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=1 state=connected [^[:cntrl:]]*sndbuf=131072 [^[:cntrl:]]*peek_off=2 rcvtimeo_ns=1500000000 [^[:cntrl:]]*queued=100000"
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=5 state=connected [^[:cntrl:]]*shutdown=0x2 "
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=5 state=connected [^[:cntrl:]]*shutdown=0x1 [^[:cntrl:]]*queued=4009"
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=1 state=unconnected "
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=1 state=connected [^[:cntrl:]]*peer_id=0 shutdown=0x3 [^[:cntrl:]]*flags=0x3 [^[:cntrl:]]*queued=1000"
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=5 state=connected [^[:cntrl:]]*peer_id=0 shutdown=0x3 [^[:cntrl:]]*flags=0x1 [^[:cntrl:]]*queued=703"
}

# bats test_tags=image
@test "zdtm-unix-named: bound and listening unix sockets come back with their names, their socket file's mode, and take connections" {
	require_image
	zdtm_run zdtm-unix-named
	run -0 "$CRFS_BIN/crfs-image" show "$IMG"
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=1 state=listening [^[:cntrl:]]*name=/[^[:cntrl:]]*/listen.sock [^[:cntrl:]]*name_mode=0140640 [^[:cntrl:]]*backlog=7 "
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=2 state=unconnected [^[:cntrl:]]*name=@crfs-zdtm-dgram-[^[:cntrl:]]*queued=1007"
}

# bats test_tags=image
@test "zdtm-unix-named: checkpointed and thawed, its names stay and its datagrams are read, not taken" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-unix-named
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/1.img"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-unix: checkpointed and thawed, nothing queued on its sockets was consumed" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-unix
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/1.img"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-unix-accept: accepted connections and those waiting in a backlog come back, with their data, names and order" {
	require_image
	zdtm_run zdtm-unix-accept
	run -0 "$CRFS_BIN/crfs-image" show "$IMG"
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=1 state=connected [^[:cntrl:]]*flags=0x10 [^[:cntrl:]]*name=/[^[:cntrl:]]*/acc.sock [^[:cntrl:]]*name_uid=4242 name_gid=4343 listen_ino=[0-9]+ listen_id=[0-9]+ seq=0 queued=3000"
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=1 state=connected [^[:cntrl:]]*flags=0x11 [^[:cntrl:]]*seq=0 queued=96"
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=1 state=connected [^[:cntrl:]]*flags=0x20 [^[:cntrl:]]*seq=3 queued=0"
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=5 state=connected [^[:cntrl:]]*flags=0x20 [^[:cntrl:]]*seq=1 queued=0"
}

# bats test_tags=image
@test "zdtm-unix-accept: checkpointed and thawed, the connections still wait and no data was consumed" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-unix-accept
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/1.img"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-fifo: FIFOs opened O_RDWR, O_RDONLY and O_WRONLY come back with their data" {
	require_image
	zdtm_run zdtm-fifo
}

# bats test_tags=image
@test "zdtm-fifo: checkpointed and thawed, the original's FIFOs keep their data" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-fifo
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/1.img"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-unix-named: another file at a socket's path after the checkpoint fails the restore, naming it; the file stays" {
	require_image
	local pid ct2

	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-unix-named
	pid=$ZDTM_PID
	IMG=$BATS_TEST_TMPDIR/named.img
	crfs_checkpoint "$CT" "$IMG"
	ct_write "$CT" state kill
	wait_empty "$CT"
	wait_pid_gone "$pid"
	rm "$ZDTM_DIR/listen.sock"
	echo keep >"$ZDTM_DIR/listen.sock"
	ct2=$(crfs_mkct dst)
	run ! crfs_restore "$ct2" "$IMG"
	wait_for "the restore to end" 15 \
		grep -qvx restoring "$CRFS_MNT/$ct2/state"
	run -0 ct_file "$ct2" error
	assert_output --regexp "pid $pid: fd 5: socket:\\[[0-9]+\\]: cannot bind it to $ZDTM_DIR/listen.sock again: File exists \\(another file is there now"
	run -0 cat "$ZDTM_DIR/listen.sock"
	assert_output "keep"
}
