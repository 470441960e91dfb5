#!/usr/bin/env bats
# The kernel crfs restores (Documentation/crfs/kernel.rst, step 3): the
# kernel's image of one process and its threads written into an empty
# container's image comes back frozen, with its pid, memory, files and
# offsets, signal state and registers (the zdtm-shaped programs' own
# checks after thaw); refusals before any process is made, and failures
# after, leave the container empty with the reason in error.

load ../helpers/common
load kernel

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
setup() { require_kernel; }
teardown() {
	# the image file held open by a test's descriptor 5
	exec 5>&- 2>/dev/null || true
	# the stalled FUSE server of a test: answering, then gone
	rm -f "$BATS_TEST_TMPDIR/stall"
	if crfs_is_mounted "$BATS_TEST_TMPDIR/sf" 2>/dev/null; then
		fusermount3 -u "$BATS_TEST_TMPDIR/sf" 2>/dev/null ||
			umount -l "$BATS_TEST_TMPDIR/sf" 2>/dev/null || true
	fi
	crfs_teardown
}

# kimage_of CT NAME: CT's process $PID (CT frozen) checkpointed by the
# kernel into $IMG ($BATS_TEST_TMPDIR/NAME.img), then killed and gone.
kimage_of() {
	IMG=$BATS_TEST_TMPDIR/$2.img
	cat "$CRFS_MNT/$1/image" >"$IMG" || { cat "$CRFS_MNT/$1/error" >&2; false; }
	ct_write "$1" state kill
	wait_pid_gone "$PID"
}

# kimage NAME PROG: PROG in a new container, checkpointed by the kernel into
# $IMG, then killed and gone.  Sets PID, DIR, IMG.
kimage() {
	zdtm_frozen "$1" "$2"
	kimage_of "$CT" "$1"
}

# krestore CT: write $IMG into CT's image; it must come back frozen as $PID.
krestore() {
	cat "$IMG" >"$CRFS_MNT/$1/image" || { cat "$CRFS_MNT/$1/error" >&2; false; }
	run -0 ct_file "$1" error
	assert_output ""
	run -0 ct_file "$1" state
	assert_output "frozen"
	run -0 ct_file "$1" procs
	assert_output "$PID"
	all_in_freezer "$1"
}

# forge_hdr IN OUT FIELD-OFFSET VALUE: IN with a 32-bit header field set
# and the header's crc32c made again.
forge_hdr() {
	"$BATS_TEST_DIRNAME/forge.py" hdr "$@"
}

# gone_and_empty CT: CT holds nothing, and $PID is no process any more.
gone_and_empty() {
	wait_pid_gone "$PID"
	run -0 ct_file "$1" procs
	assert_output ""
	run -0 ct_file "$1" state
	assert_output "empty"
}

@test "restore: the kernel restores its own image of zdtm-pause; pause() returns EINTR after the handler" {
	kimage pause zdtm-pause
	ct=$(crfs_mkct pause-r)
	krestore "$ct"
	usr1_thaw_finish "$CRFS_MNT/$ct/state" "$DIR" "$PID" "pause()"
}

@test "restore: zdtm-regs: general, vector, x87 registers and flags come back (rip, rsp, rax too)" {
	kimage regs zdtm-regs
	ct=$(crfs_mkct regs-r)
	krestore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-mem: anonymous, read-only, PROT_NONE and private file memory, holes and heap" {
	kimage mem zdtm-mem
	ct=$(crfs_mkct mem-r)
	krestore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-files: descriptors, offsets, flags, cwd and umask" {
	kimage files zdtm-files
	ct=$(crfs_mkct files-r)
	krestore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-sigsuspend: restored inside sigsuspend(), its mask after the handler is the one from before the call" {
	kimage sigsusp zdtm-sigsuspend
	ct=$(crfs_mkct sigsusp-r)
	krestore "$ct"
	usr1_thaw_finish "$CRFS_MNT/$ct/state" "$DIR" "$PID" "sigsuspend()"
}

@test "restore: zdtm-pipe1: pipes with both ends, an end alone, resized and non-blocking come back with their data" {
	kimage pipe1 zdtm-pipe1
	run -0 "$CRFS_BIN/crfs-image" verify "$IMG"
	ct=$(crfs_mkct pipe1-r)
	krestore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: a pipe's two ends that do not name each other are refused before any process is made" {
	kimage pipe1b zdtm-pipe1
	# the first PIPE's peer_id (first in its state after the path) set to
	# its own id (record 1: FILE, kind 6: PIPE)
	"$BATS_TEST_DIRNAME/forge.py" rec "$IMG" "$IMG.bad" 1 6 ext "<I" id
	ct=$(crfs_mkct pipe1b-r)
	run -1 bash -c 'cat "$1" >"$2"' _ "$IMG.bad" "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "^restore: file [0-9]+: pipe:\[[0-9]+\]: its peer_id names no other pipe of the image \(EINVAL\)$"
	gone_and_empty "$ct"
}

@test "restore: zdtm-signals: actions, mask, alternate stack and queued signals (with their values, in order) come back" {
	kimage sigs zdtm-signals
	run -0 "$CRFS_BIN/crfs-image" show "$IMG"
	assert_output --partial "signo=10"
	ct=$(crfs_mkct sigs-r)
	krestore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-rtqueue: 2000 queued real-time signals come back in order" {
	# the VM's RLIMIT_SIGPENDING is below the 20000 of the host's test
	ZDTM_RT=2000 kimage rtq zdtm-rtqueue
	ct=$(crfs_mkct rtq-r)
	krestore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-itimers: ITIMER_REAL keeps ticking, ITIMER_VIRTUAL and ITIMER_PROF keep their periods and what they had left" {
	kimage itim zdtm-itimers
	ct=$(crfs_mkct itim-r)
	krestore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-posix-timers: its 8 timers come back with their ids, clocks, notifications, signals and values, what they had left and their periods; the ticking one ticks" {
	kimage ptm zdtm-posix-timers
	ct=$(crfs_mkct ptm-r)
	krestore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-timer-pending: the signal pending of a periodic timer comes back as the timer's own: one signal after any wait, not two" {
	kimage tpend zdtm-timer-pending
	ct=$(crfs_mkct tpend-r)
	krestore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-timer-overrun: the expiries a periodic timer counted while its signal was pending come back in that signal's si_overrun" {
	kimage tover zdtm-timer-overrun
	ct=$(crfs_mkct tover-r)
	krestore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-threads-timers: each thread's SIGEV_THREAD_ID timer comes back aimed at its thread and ticks there" {
	kimage thtm zdtm-threads-timers
	ct=$(crfs_mkct thtm-r)
	krestore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

# kimage_forged NAME PROG TYPE WHERE FMT VALUE: PROG's kernel image ($IMG,
# kimage) with a field of its first record of TYPE forged (forge.py rec),
# written into a new container $KCT: the write fails, $output is the error.
kimage_forged() {
	kimage "$1" "$2"
	"$BATS_TEST_DIRNAME/forge.py" rec "$IMG" "$IMG.bad" "$3" - "$4" "$5" "$6"
	KCT=$(crfs_mkct "$1-r")
	run -1 bash -c 'cat "$1" >"$2"' _ "$IMG.bad" "$CRFS_MNT/$KCT/image"
	run -0 ct_file "$KCT" error
}

@test "restore: a POSIX timer on an alarm clock is refused before any process is made, naming pid and timer" {
	# the first TIMER record (15): its clock (at 8) set to CLOCK_REALTIME_ALARM
	kimage_forged tmbad zdtm-posix-timers 15 8 "<i" 8
	assert_output --regexp "^restore: pid $PID: timer [0-9]+: a clock other than CLOCK_REALTIME, _MONOTONIC, _BOOTTIME, _TAI or its own CPU clocks \(EOPNOTSUPP\)$"
	gone_and_empty "$KCT"
}

@test "restore: an interval timer longer than setitimer() takes is refused before any process is made" {
	# the TASK record (10): its itimer[0].value_ns (at 352 in struct
	# crfs_task) set to 2^63 ns
	kimage_forged itbad zdtm-itimers 10 352 "<Q" 0x8000000000000000
	assert_output --regexp "^restore: pid $PID: .*a bad interval timer"
	gone_and_empty "$KCT"
}

@test "restore: zdtm-counter goes on counting from where it was" {
	kimage counter zdtm-counter
	ct=$(crfs_mkct counter-r)
	krestore "$ct"
	ct_write "$ct" state thaw
	sleep 0.5
	zdtm_finish "$DIR" "$PID"
}

@test "restore: one image restored twice, the first killed and gone" {
	kimage twice zdtm-pause
	ct=$(crfs_mkct twice-a)
	krestore "$ct"
	ct_write "$ct" state kill
	wait_pid_gone "$PID"
	ct2=$(crfs_mkct twice-b)
	krestore "$ct2"
	usr1_thaw_finish "$CRFS_MNT/$ct2/state" "$DIR" "$PID" "pause()"
}

@test "restore: into a container that has processes is EBUSY" {
	kimage busy zdtm-pause
	ct=$(crfs_mkct busy-r)
	start_in "$ct" sleep 1000
	wait_in "$ct" "$STARTED_PID"
	run -1 bash -c "cat '$IMG' >'$CRFS_MNT/$ct/image'"
	run -0 ct_file "$ct" error
	assert_output "restore: $ct: not empty (state running) (EBUSY)"
}

@test "restore: an image that announces more processes than it holds is refused before any process is made" {
	kimage two zdtm-pause
	forge_hdr "$IMG" "$IMG.2" 44 2
	ct=$(crfs_mkct two-r)
	run -1 bash -c "cat '$IMG.2' >'$CRFS_MNT/$ct/image'"
	assert_output --partial "Invalid argument"
	run -0 ct_file "$ct" error
	assert_output --partial "restore: image: 1 of 2 processes"
	gone_and_empty "$ct"
}

# ktree NAME PROG: PROG's tree frozen in a new container, checkpointed by
# the kernel into $IMG, then killed, every process gone.  Sets PID, DIR,
# IMG, PIDS (sorted, one a line) and IDS (tree_ids of them, frozen).
ktree() {
	zdtm_frozen "$1" "$2"
	PIDS=$(ct_file "$CT" procs | sort -n)
	# shellcheck disable=SC2086
	IDS=$(tree_ids "$PID" $PIDS)
	kimage_of "$CT" "$1"
	local p
	for p in $PIDS; do
		wait_pid_gone "$p"
	done
}

# tree_ids ROOT PID...: "pid ppid pgid sid" of each process as /proc says,
# the root's parent "-", the root's group "R" and session "S" wherever
# they appear: before a checkpoint they are outside the container (the
# test's), after a restore the root's own.
tree_ids() {
	python3 - "$@" <<'PY'
import sys
root, pids = sys.argv[1], sys.argv[2:]
ids = {}
for p in pids:
    with open("/proc/%s/stat" % p) as f:
        st = f.read().rsplit(")", 1)[1].split()
    ids[p] = (st[1], st[2], st[3])
rpg, rsid = ids[root][1], ids[root][2]
for p in pids:
    ppid, pgid, sid = ids[p]
    print(p, "-" if p == root else ppid, "R" if pgid == rpg else pgid,
          "S" if sid == rsid else sid)
PY
}

# ktree_restore CT: $IMG written into CT: frozen, every process of $PIDS
# back in it, with the parent, group and session of $IDS, in the freezer.
ktree_restore() {
	cat "$IMG" >"$CRFS_MNT/$1/image" || { cat "$CRFS_MNT/$1/error" >&2; false; }
	run -0 ct_file "$1" error
	assert_output ""
	run -0 ct_file "$1" state
	assert_output "frozen"
	run -0 bash -c "sort -n '$CRFS_MNT/$1/procs'"
	assert_output "$PIDS"
	# shellcheck disable=SC2086
	run -0 tree_ids "$PID" $PIDS
	assert_output "$IDS"
	all_in_freezer "$1"
}

@test "restore: zdtm-tree: its 9 processes come back with their pids, parents, groups and sessions, the group whose leader exited too; each passes its checks" {
	ktree tree zdtm-tree
	[ "$(wc -l <<<"$PIDS")" -eq 9 ]
	ct=$(crfs_mkct tree-r)
	ktree_restore "$ct"
	# the group whose leader exited: no process has its pid (the one
	# made to lead it during the restore is gone, reaped)
	g=$(awk '$3 != "R" { print $3 }' <<<"$IDS" | sort -u | grep -vxF -f <(echo "$PIDS"))
	[ -n "$g" ]
	[ ! -e "/proc/$g" ]
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-tree restored twice side by side is refused for the second (its pids are taken), the first untouched" {
	ktree tree2 zdtm-tree
	ct=$(crfs_mkct tree2-a)
	ktree_restore "$ct"
	ct2=$(crfs_mkct tree2-b)
	run -1 bash -c "cat '$IMG' >'$CRFS_MNT/$ct2/image'"
	run -0 ct_file "$ct2" error
	assert_output "restore: pid $PID is in use by another process (zdtm-tree) (EBUSY)"
	run -0 ct_file "$ct2" state
	assert_output "empty"
	run -0 bash -c "sort -n '$CRFS_MNT/$ct/procs'"
	assert_output "$PIDS"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-tree-threads: each process's threads come back with their tids, in their waits; each passes its checks" {
	ktree treethr zdtm-tree-threads
	[ "$(wc -l <<<"$PIDS")" -eq 2 ]
	local p tids=
	for p in $PIDS; do
		tids+="$p: $(image_tids "$IMG" "$p" | tr ' ' '\n' | sort -n | tr '\n' ' ')"$'\n'
	done
	ct=$(crfs_mkct treethr-r)
	ktree_restore "$ct"
	local now=
	for p in $PIDS; do
		now+="$p: $(ls "/proc/$p/task" | sort -n | tr '\n' ' ')"$'\n'
	done
	[ "$now" = "$tids" ]
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-thread-fork: the child comes back as the child of the thread that made it, not of the main thread" {
	ktree tfork zdtm-thread-fork
	kid=$(grep -vx "$PID" <<<"$PIDS")
	maker=$("$CRFS_BIN/crfs-image" json "$IMG" | python3 -c 'import json, sys
t = [t for t in json.load(sys.stdin)["tasks"] if t["pid"] == int(sys.argv[1])][0]
print(t["parent_tid"])' "$kid")
	[ "$maker" != 0 ] && [ "$maker" != "$PID" ]
	ct=$(crfs_mkct tfork-r)
	ktree_restore "$ct"
	run -0 cat "/proc/$PID/task/$maker/children"
	assert_output "$kid "
	run -0 cat "/proc/$PID/task/$PID/children"
	assert_output ""
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-tree-file: a file description a parent and its child share comes back as one: one offset" {
	ktree tfile zdtm-tree-file
	ct=$(crfs_mkct tfile-r)
	ktree_restore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-tree-pipe: a pipe between parent and child is one pipe again, with its data; the child's end is the child's alone (end of file after it exits)" {
	ktree tpipe zdtm-tree-pipe
	ct=$(crfs_mkct tpipe-r)
	ktree_restore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-pipe: pipes within a process and between processes, an end left, resized and non-blocking, come back with their data" {
	export ZDTM_PIPE_NO_REOPEN=1	# the kernel refuses H, an end opened again
	ktree pipe zdtm-pipe
	ct=$(crfs_mkct pipe-r)
	ktree_restore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-tree-subreaper: an orphan goes to its restored subreaper ancestor, not to init" {
	ktree tsub zdtm-tree-subreaper
	ct=$(crfs_mkct tsub-r)
	ktree_restore "$ct"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: zdtm-tree in a pid namespace of its own (crctl run): the kernel's image restored twice at once beside the running original, each in a new pid namespace with the same pids, parents, groups and sessions" {
	local ct2 ct3 r2 r3 p2 p3 ids
	CT=$(crfs_mkct nstree)
	ns_start "$CT" zdtm-tree
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	ids=$(ns_ids "$CT")
	[ "$(wc -l <<<"$ids")" -eq 9 ]
	IMG=$BATS_TEST_TMPDIR/nstree.img
	cat "$CRFS_MNT/$CT/image" >"$IMG" || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	run -0 "$CRFS_BIN/crfs-image" verify "$IMG"
	run -0 "$CRFS_BIN/crfs-image" show "$IMG"
	assert_output --partial "pid namespace"
	# the original runs on: every pid it has here stays taken
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	ct2=$(crfs_mkct nstree-a)
	ct3=$(crfs_mkct nstree-b)
	cat "$IMG" >"$CRFS_MNT/$ct2/image" &
	r2=$!
	cat "$IMG" >"$CRFS_MNT/$ct3/image" &
	r3=$!
	wait "$r2" || fail "the first restore failed: $(ct_file "$ct2" error)"
	wait "$r3" || fail "the second restore failed: $(ct_file "$ct3" error)"
	for ct in "$ct2" "$ct3"; do
		run -0 ct_file "$ct" state
		assert_output "frozen"
		run -0 ns_ids "$ct"
		assert_output "$ids"
		all_in_freezer "$ct"
	done
	p2=$(ns_pid1 "$ct2") || fail "$ct2: no pid 1 of a new pid namespace"
	p3=$(ns_pid1 "$ct3") || fail "$ct3: no pid 1 of a new pid namespace"
	[[ $(readlink "/proc/$p2/ns/pid") != $(readlink "/proc/$p3/ns/pid") ]] ||
		fail "both restores are in one pid namespace"
	[[ $(readlink "/proc/$p2/ns/pid") != $(readlink "/proc/$ZDTM_PID/ns/pid") ]]
	ct_write "$ct2" state thaw
	ct_write "$ct3" state thaw
	wait_thawed "$ct2"
	wait_thawed "$ct3"
	for p in "$ZDTM_PID" "$p2" "$p3"; do
		zdtm_finish "$ZDTM_DIR" "$p"
		rm -f "$ZDTM_DIR/result"
	done
}

@test "restore: an image of a pid namespace of its own whose root is not pid 1 is refused before any process is made" {
	kimage nsnot1 zdtm-pause
	# PIDNS (bit 1) set beside XSTATE in the header's features
	forge_hdr "$IMG" "$IMG.ns" 24 3
	ct=$(crfs_mkct nsnot1-r)
	run -1 bash -c "cat '$IMG.ns' >'$CRFS_MNT/$ct/image'"
	run -0 ct_file "$ct" error
	assert_output "restore: pid $PID: the first process (the root) of a pid namespace of its own is not pid 1 (EINVAL)"
	gone_and_empty "$ct"
}

@test "restore: a child whose pid is taken fails the restore naming it; the processes made are gone, the container empty" {
	ktree kidbusy zdtm-thread-fork
	kid=$(grep -vx "$PID" <<<"$PIDS")
	take_pid "$kid"
	ct=$(crfs_mkct kidbusy-r)
	run -1 bash -c "cat '$IMG' >'$CRFS_MNT/$ct/image'"
	assert_output --partial "Device or resource busy"
	run -0 ct_file "$ct" error
	assert_output "restore: pid $kid is in use by another process (sleep) (EBUSY)"
	gone_and_empty "$ct"
	run ls "/proc/$PID"
	[ "$status" -ne 0 ]
	# the sleep on the child's pid is ours, untouched
	run -0 cat "/proc/$kid/comm"
	assert_output "sleep"
}

# take_pid PID: a sleep of our own on PID (free), or fail.
take_pid() {
	local busy
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		# no fork between the write and the sleep's
		echo $(($1 - 1)) >/proc/sys/kernel/ns_last_pid
		(crfs_close_fds; exec sleep 1000) </dev/null >/dev/null 2>&1 &
		busy=$!
		echo "$busy" >>"$(crfs_tmp)/.crfs-pids"
		[ "$busy" = "$1" ] && return 0
		kill "$busy"
	done
	return 1
}

# image_tids IMG PID: the tids of PID's THREAD records in IMG, in order.
image_tids() {
	"$CRFS_BIN/crfs-image" json "$1" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
task = [t for t in doc["tasks"] if t["pid"] == int(sys.argv[1])][0]
print(" ".join(str(th["tid"]) for th in task["threads"]))' "$2"
}

@test "restore: zdtm-threads: its 33 threads come back with their tids; registers, TLS, masks, pending signals, alternate stacks, names, nice, SCHED_RR, affinity, rseq pass each thread's checks" {
	kimage mthr zdtm-threads
	tids=$(image_tids "$IMG" "$PID")
	[ "$(wc -w <<<"$tids")" -eq 33 ]
	ct=$(crfs_mkct mthr-r)
	krestore "$ct"
	run -0 bash -c "ls /proc/$PID/task | sort -n | tr '\n' ' '"
	assert_output "$(tr ' ' '\n' <<<"$tids" | sort -n | tr '\n' ' ')"
	run -0 cat "/proc/$PID/task/$PID/comm"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "restore: a signal pending on a thread that blocks it, which the process ignores, comes back pending: queued under the image's actions, not the writer's" {
	local d=$BATS_TEST_TMPDIR/ign
	mkdir -p "$d"
	CT=$(crfs_mkct ign)
	start_in "$CT" python3 -c '
import os, signal, sys, threading, time
d = sys.argv[1]
signal.signal(signal.SIGUSR2, signal.SIG_IGN)
up = threading.Event()
def thread():
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
    up.set()
    while not os.path.exists(d + "/check"):
        time.sleep(0.05)
    ok = signal.SIGUSR2 in signal.sigpending()
    open(d + "/result", "w").write("PASS" if ok else "FAIL: SIGUSR2 not pending")
t = threading.Thread(target=thread)
t.start()
up.wait()
signal.pthread_kill(t.ident, signal.SIGUSR2)
open(d + "/ready", "w").close()
t.join()' "$d"
	PID=$STARTED_PID
	wait_for "the program to be ready" 30 test -e "$d/ready"
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	kimage_of "$CT" ign
	ct=$(crfs_mkct ign-r)
	krestore "$ct"
	ct_write "$ct" state thaw
	touch "$d/check"
	wait_for "the thread's check" 30 test -s "$d/result"
	run -0 cat "$d/result"
	assert_output "PASS"
}

@test "restore: a thread whose tid is taken fails the restore naming pid and thread; the threads made before and the leader are gone, the container empty" {
	kimage tidbusy zdtm-threads
	last=$(image_tids "$IMG" "$PID" | awk '{ print $NF }')
	[ "$last" != "$PID" ]
	# a process of our own on the last thread's tid
	take_pid "$last"
	ct=$(crfs_mkct tidbusy-r)
	run -1 bash -c "cat '$IMG' >'$CRFS_MNT/$ct/image'"
	assert_output --partial "Device or resource busy"
	run -0 ct_file "$ct" error
	assert_output "restore: pid $PID: thread $last: the tid is in use by another process (sleep) (EBUSY)"
	gone_and_empty "$ct"
	run ls "/proc/$PID"
	[ "$status" -ne 0 ]
}

@test "restore: a corrupted record is refused with its number, nothing made" {
	kimage crc zdtm-pause
	cp "$IMG" "$IMG.bad"
	# a byte of the first record's payload
	printf '\xff' | dd of="$IMG.bad" bs=1 seek=250 conv=notrunc status=none
	ct=$(crfs_mkct crc-r)
	run -1 bash -c "cat '$IMG.bad' >'$CRFS_MNT/$ct/image'"
	run -0 ct_file "$ct" error
	assert_output --regexp "^restore: record 0 \(type [0-9]+\): bad crc \(EINVAL\)$"
	gone_and_empty "$ct"
}

# Page data goes straight into the process, its crc checked at the end of
# its record: a bad byte there fails the restore with the process made,
# which is killed.
@test "restore: a corrupted byte of page data is refused at the end of its record: the process made is killed, nothing left" {
	kimage pcrc zdtm-pause
	cp "$IMG" "$IMG.bad"
	size=$(stat -c %s "$IMG")
	# the END trailer is shorter than a page: the last page before it is
	# the last PAGES record's
	off=$((size / 4096 * 4096 - 100))
	byte=$(od -An -tu1 -j "$off" -N1 "$IMG" | tr -d ' ')
	printf "\\$(printf %03o $(((byte + 1) % 256)))" |
		dd of="$IMG.bad" bs=1 seek="$off" conv=notrunc status=none
	run cmp -s "$IMG" "$IMG.bad"
	assert_failure
	ct=$(crfs_mkct pcrc-r)
	run -1 bash -c "cat '$IMG.bad' >'$CRFS_MNT/$ct/image'"
	run -0 ct_file "$ct" error
	assert_output --regexp "^restore: record [0-9]+ \(type 17\): bad crc \(EINVAL\)$"
	gone_and_empty "$ct"
	# and the whole image restores after that
	krestore "$ct"
	ct_write "$ct" state kill
}

@test "restore: a truncated image leaves nothing at close, saying so" {
	kimage trunc zdtm-pause
	size=$(stat -c %s "$IMG")
	head -c $((size - 64)) "$IMG" >"$IMG.cut"
	ct=$(crfs_mkct trunc-r)
	cat "$IMG.cut" >"$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "^restore: pid $PID: the image ended before END \(truncated\) \(EINVAL\)$"
	gone_and_empty "$ct"
	# the container takes a whole image after that
	krestore "$ct"
	ct_write "$ct" state kill
}

@test "restore: a file changed since the checkpoint fails in the middle: nothing left running, the reason names pid, fd and file" {
	kimage changed zdtm-files
	# one of its files grows after the checkpoint
	f=$DIR/ro.dat
	echo more >>"$f"
	ct=$(crfs_mkct changed-r)
	run -1 bash -c "cat '$IMG' >'$CRFS_MNT/$ct/image'"
	assert_output --partial "Stale file handle"
	run -0 ct_file "$ct" error
	assert_output --regexp "^restore: pid $PID: (fd [0-9]+|mapping [0-9a-f-]+): $f: changed since the checkpoint \(size or mtime\) \(ESTALE\)$"
	gone_and_empty "$ct"
}

@test "restore: one at a time: while image is open for writing, a second restore and a checkpoint are EBUSY" {
	ct=$(crfs_mkct one)
	exec 5>"$CRFS_MNT/$ct/image"
	run -1 bash -c "echo x >'$CRFS_MNT/$ct/image'"
	assert_output --partial "Device or resource busy"
	run -0 ct_file "$ct" error
	assert_output "restore: $ct: another restore is under way (EBUSY)"
	exec 5>&-
	run -0 ct_file "$ct" error
	assert_output "restore: image is empty (ENODATA)"
	# the container takes a restore again
	kimage again zdtm-pause
	krestore "$ct"
	ct_write "$ct" state kill
	wait_pid_gone "$PID"
}

@test "restore: bytes written after a completed restore fail, and leave the restored process running" {
	kimage after zdtm-pause
	ct=$(crfs_mkct after-r)
	exec 5>"$CRFS_MNT/$ct/image"
	cat "$IMG" >&5
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	run -1 bash -c 'printf x >&5'
	assert_output --partial "Bad message"
	exec 5>&-
	run -0 ct_file "$ct" error
	assert_output "restore: $ct: 1 byte written after the image's trailer was ignored: the restore is done and stands (EBADMSG)"
	# neither killed nor thawed-then-killed: it still runs, and finishes
	run -0 ct_file "$ct" procs
	assert_output "$PID"
	run -0 ct_file "$ct" state
	assert_output "running"
	kill -USR1 "$PID"
	wait_for "pause() to return" 10 test -e "$DIR/woken"
	zdtm_finish "$DIR" "$PID"
}

@test "restore: a process at nice 5 comes back at nice 5 (its I/O priority is its nice's)" {
	ct=$(crfs_mkct nice)
	DIR=$(crfs_tmp)/nice.$RANDOM
	mkdir -p "$DIR"
	start_in "$ct" nice -n 5 "$CRFS_ZDTM/zdtm-pause" "$DIR"
	PID=$STARTED_PID
	wait_for "zdtm-pause to be ready" 30 test -e "$DIR/ready"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	kimage_of "$ct" nice
	ct2=$(crfs_mkct nice-r)
	krestore "$ct2"
	run -0 ps -o ni= -p "$PID"
	assert_output --regexp "^ *5$"
	kill -USR1 "$PID"
	ct_write "$ct2" state thaw
	wait_for "pause() to return" 10 test -e "$DIR/woken"
	zdtm_finish "$DIR" "$PID"
}

@test "restore: a writer at SCHED_BATCH is refused before any process: the process would inherit it" {
	kimage batch zdtm-pause
	ct=$(crfs_mkct batch-r)
	run -1 chrt -b 0 bash -c "cat '$IMG' >'$CRFS_MNT/$ct/image'"
	assert_output --partial "Operation not supported"
	run -0 ct_file "$ct" error
	assert_output "restore: pid $PID: the writer's scheduling policy is not SCHED_OTHER, which the process would inherit (EOPNOTSUPP)"
	gone_and_empty "$ct"
}

@test "restore: a writer with READ_IMPLIES_EXEC gives the process's read-only mappings no PROT_EXEC" {
	kimage rie zdtm-pause
	ct=$(crfs_mkct rie-r)
	# not setarch -X: a 64-bit exec drops READ_IMPLIES_EXEC (x86's
	# set_personality_64bit()); the writer sets it and writes itself
	python3 - "$IMG" "$CRFS_MNT/$ct/image" <<-'EOF'
	import ctypes, os, sys
	libc = ctypes.CDLL(None, use_errno=True)
	if libc.personality(0x0400000) < 0:	# READ_IMPLIES_EXEC
	    sys.exit("personality: errno %d" % ctypes.get_errno())
	data = open(sys.argv[1], 'rb').read()
	fd = os.open(sys.argv[2], os.O_WRONLY)
	off = 0
	while off < len(data):
	    off += os.write(fd, data[off:])
	os.close(fd)
	EOF
	run -0 ct_file "$ct" error
	assert_output ""
	# zdtm-pause's read-only file segments (r--p) stay so ([vvar] is one
	# whatever the personality: a special mapping)
	run -0 bash -c "grep ' r--p ' /proc/$PID/maps | grep -vc '\[vvar\]'"
	refute_output "0"
	ct_write "$ct" state kill
	wait_pid_gone "$PID"
}

@test "restore: thaw while the process is being restored is EBUSY; the restore then completes frozen" {
	kimage midthaw zdtm-pause
	ct=$(crfs_mkct midthaw-r)
	size=$(stat -c %s "$IMG")
	exec 5>"$CRFS_MNT/$ct/image"
	# all but the last record (END): the process is made and waits
	head -c $((size - 40)) "$IMG" >&5
	run -0 ct_file "$ct" procs
	assert_output "$PID"
	run -1 ct_write "$ct" state thaw
	run -0 ct_file "$ct" error
	assert_output "thaw: $ct: a restore is under way (EBUSY)"
	tail -c 40 "$IMG" >&5
	exec 5>&-
	run -0 ct_file "$ct" state
	assert_output "frozen"
	kill -USR1 "$PID"
	ct_write "$ct" state thaw
	wait_for "pause() to return" 10 test -e "$DIR/woken"
	zdtm_finish "$DIR" "$PID"
}

@test "restore: a file's path through a symbolic link is refused (ELOOP), even to the same file; nothing left" {
	kimage symlink zdtm-files
	f=$DIR/ro.dat
	mv "$f" "$DIR/ro.real"
	ln -s ro.real "$f"
	ct=$(crfs_mkct symlink-r)
	run -1 bash -c "cat '$IMG' >'$CRFS_MNT/$ct/image'"
	assert_output --partial "Too many levels of symbolic links"
	run -0 ct_file "$ct" error
	assert_output --regexp "^restore: pid $PID: (fd [0-9]+|mapping [0-9a-f-]+): $f: cannot open it \(ELOOP\)$"
	gone_and_empty "$ct"
}

@test "restore: a FIFO put in a file's place is refused at once, not waited on" {
	kimage fifo zdtm-files
	f=$DIR/ro.dat
	rm -f "$f"
	mkfifo "$f"
	ct=$(crfs_mkct fifo-r)
	run -1 timeout 20 bash -c "cat '$IMG' >'$CRFS_MNT/$ct/image'"
	assert_output --partial "Stale file handle"
	run -0 ct_file "$ct" error
	assert_output --regexp "^restore: pid $PID: (fd [0-9]+|mapping [0-9a-f-]+): $f: another file now \(device, inode or type\) \(ESTALE\)$"
	gone_and_empty "$ct"
}

# holds PID FD PATH: PID's descriptor FD is PATH.
holds() {
	[[ $(readlink "/proc/$1/fd/$2" 2>/dev/null) == "$3" ]]
}

# Without the restore's refcount the writer's release freed it while the
# process still waited on the FUSE server, which it then wrote into once
# answered: silent here, a KASAN report on the debug kernel.
@test "restore: its writer killed while the process waits on a stalled FUSE server; the process goes once answered" {
	local sf=$BATS_TEST_TMPDIR/sf flag=$BATS_TEST_TMPDIR/stall sfpid ct ct2 rc
	local stallfs=${CRFS_TOOLS:-$CRFS_BIN/../tests/tools}/stallfs

	mkdir -p "$sf"
	(crfs_close_fds; exec "$stallfs" "$flag" "$sf" -f) \
		</dev/null >"$BATS_TEST_TMPDIR/stallfs.log" 2>&1 3>&- &
	sfpid=$!
	wait_for "stallfs to mount" 10 crfs_is_mounted "$sf"
	ct=$(crfs_mkct stallw)
	start_in "$ct" /bin/sh -c 'exec 3<"$1"; exec sleep 600' sh "$sf/f"
	PID=$STARTED_PID
	wait_for "sleep holding $sf/f" 10 holds "$PID" 3 "$sf/f"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	IMG=$BATS_TEST_TMPDIR/stallw.img
	cat "$CRFS_MNT/$ct/image" >"$IMG" || { cat "$CRFS_MNT/$ct/error" >&2; false; }
	ct_write "$ct" state kill
	wait_pid_gone "$PID"
	touch "$flag"
	sleep 2		# past the entry and attribute timeouts: ask the server
	ct2=$(crfs_mkct stallw-r)
	rc=0
	timeout -s KILL 5 bash -c "cat '$IMG' >'$CRFS_MNT/$ct2/image'" || rc=$?
	(( rc == 137 )) || fail "the writer ended with $rc, not killed"
	# the process still waits on the server, without signal; then answered
	sleep 12
	rm -f "$flag"
	wait_pid_gone "$PID"
	wait_empty "$ct2"
	fusermount3 -u "$sf" 2>/dev/null || umount -l "$sf"
	kill "$sfpid" 2>/dev/null || true
	# the kernel is fine: another restore of another image still works
	kimage stallw2 zdtm-pause
	ct3=$(crfs_mkct stallw2-r)
	krestore "$ct3"
	ct_write "$ct3" state kill
}

@test "restore: a writer under setarch -R does not hand its unrandomized layout (no PF_RANDOMIZE) to the process" {
	local flags

	run -0 cat /proc/sys/kernel/randomize_va_space
	refute_output "0"
	kimage aslr zdtm-pause
	ct=$(crfs_mkct aslr-r)
	setarch "$(uname -m)" -R bash -c "cat '$IMG' >'$CRFS_MNT/$ct/image'"
	run -0 ct_file "$ct" error
	assert_output ""
	# /proc/PID/stat field 9, the task's flags: PF_RANDOMIZE 0x400000
	flags=$(sed 's/.*) //' "/proc/$PID/stat" | cut -d' ' -f7)
	(( flags & 0x400000 )) || fail "pid $PID: no PF_RANDOMIZE (flags $flags)"
	ct_write "$ct" state kill
	wait_pid_gone "$PID"
}

SPLICE=$BATS_TEST_DIRNAME/splice.py

@test "splice: a checkpoint spliced out of image (copied into the pipe) holds read()'s bytes; spliced into an empty container, zdtm-mem comes back and passes" {
	zdtm_frozen smem zdtm-mem
	IMG=$BATS_TEST_TMPDIR/splice.img
	"$SPLICE" out "$CRFS_MNT/$CT/image" "$IMG" || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	run -0 ct_file "$CT" error
	assert_output ""
	cat "$CRFS_MNT/$CT/image" >"$IMG.read"
	run -0 "$CRFS_BIN/crfs-image" verify "$IMG"
	# the same records and page data: only the header's id and time differ
	[ "$(stat -c %s "$IMG")" -gt 262144 ]
	cmp <(tail -c +225 "$IMG") <(tail -c +225 "$IMG.read")
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
	ct=$(crfs_mkct smem-r)
	"$SPLICE" in "$IMG" "$CRFS_MNT/$ct/image" || { cat "$CRFS_MNT/$ct/error" >&2; false; }
	run -0 ct_file "$ct" error
	assert_output ""
	run -0 ct_file "$ct" state
	assert_output "frozen"
	run -0 ct_file "$ct" procs
	assert_output "$PID"
	ct_write "$ct" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "splice: what splice() put in pipes is a copy: the container thaws and its memory changes while the pipes hold the checkpoint, which then restores as it was" {
	zdtm_frozen spark zdtm-pause
	IMG=$BATS_TEST_TMPDIR/park.img
	run -0 "$SPLICE" park "$CRFS_MNT/$CT" "$IMG" "$PID"
	assert_line "thaw: 0"
	assert_line --regexp "^poked: [0-9a-f]+$"
	assert_line --regexp "^read: [0-9]{5,} bytes$"
	# every record's crc, the page data's included, as checkpointed
	run -0 "$CRFS_BIN/crfs-image" verify "$IMG"
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
	ct=$(crfs_mkct spark-r)
	krestore "$ct"
	usr1_thaw_finish "$CRFS_MNT/$ct/state" "$DIR" "$PID" "pause()"
}
