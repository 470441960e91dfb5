#!/usr/bin/env bats
# The kernel crfs checkpoints (Documentation/crfs/kernel.rst, steps 1-2):
# the checkpoint lock held from open() of image to its release, refusals
# at open() naming pid, object and reason, and the image of one process
# with its threads, which crfs-image verify accepts and crfs-fuse restores
# in the same machine.

load ../helpers/common
load kernel

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
setup() { require_kernel; }
teardown() {
	# the image file held open by a test's descriptor 5
	exec 5<&- 2>/dev/null || true
	fuse_umount
	crfs_teardown
}

# frozen_ct NAME PROG: PROG in a new container, frozen.  Sets CT, PID, DIR.
frozen_ct() {
	zdtm_frozen "$1" "$2"
}

@test "checkpoint: a process with a FIFO is refused at open, naming pid, fd and why; it stays frozen and thaws after" {
	frozen_ct refp zdtm-fifo
	run -1 cat "$CRFS_MNT/$CT/image"
	assert_output --partial "Operation not supported"
	run -0 ct_file "$CT" error
	assert_output --regexp "^checkpoint: pid $PID: fd [0-9]+: $DIR/[^:]+: a FIFO: kernel: not yet \(EOPNOTSUPP\)$"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	run -0 ct_file "$CT" events
	assert_output "$(printf 'populated 1\nfrozen 1')"
	all_in_freezer "$CT"
	# the lock is gone with the failed open: thaw works
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	run -0 ct_file "$CT" state
	assert_output "running"
	zdtm_finish "$DIR" "$PID"
}

@test "checkpoint: a process returning EINTR from pselect6() with its mask still to put back is refused at open, naming pid and why; thawed it goes on" {
	frozen_ct sigeintr zdtm-neg-sigmask-eintr
	run -1 cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output --regexp "^checkpoint: pid $PID: signals: a system call returns \(-4\) to its saved mask \(pselect6, epoll_pwait\): kernel: not yet \(EOPNOTSUPP\)$"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish "$DIR" "$PID"
}

# tree_tasks JSON PID...: the image's TASK records (JSON from crfs-image
# json) are the processes PID..., as /proc tells them: the root first, then
# breadth first, each one's children by pid; each with its parent, the
# thread of it that made it, its group and session; no two share an
# address space, fd table, fs or signal actions.  Prints how many.
tree_tasks() {
	python3 - "$@" <<'PY'
import json, os, sys
doc = json.load(open(sys.argv[1]))
pids = sorted(int(p) for p in sys.argv[2:])
def stat(pid):
    s = open("/proc/%d/stat" % pid).read()
    f = s[s.rindex(")") + 2:].split()
    return int(f[1]), int(f[2]), int(f[3])	# ppid, pgrp, session
st = {p: stat(p) for p in pids}
maker = {}
for p in pids:
    for tid in os.listdir("/proc/%d/task" % p):
        for c in open("/proc/%d/task/%s/children" % (p, tid)).read().split():
            maker[int(c)] = 0 if int(tid) == p else int(tid)
roots = [p for p in pids if st[p][0] not in st]
if len(roots) != 1:
    sys.exit("roots %s" % roots)
order, i = [roots[0]], 0
while i < len(order):
    order += [p for p in pids if st[p][0] == order[i] and p != roots[0]]
    i += 1
tasks = doc["tasks"]
got = [t["pid"] for t in tasks]
if got != order:
    sys.exit("tasks %s in the image, %s wanted" % (got, order))
for t in tasks:
    p = t["pid"]
    ppid = 0 if p == roots[0] else st[p][0]
    want = (ppid, maker.get(p, 0) if ppid else 0, st[p][1], st[p][2])
    have = (t["ppid"], t.get("parent_tid", 0), t["pgid"], t["sid"])
    if have != want:
        sys.exit("pid %d: (ppid, parent_tid, pgid, sid) %s, /proc %s" % (p, have, want))
for k in ("mm", "fdtable", "fs", "sighand"):
    ids = [t[k] for t in tasks]
    if len(set(ids)) != len(ids):
        sys.exit("%s ids shared: %s" % (k, ids))
if doc["header"]["nr_tasks"] != len(tasks):
    sys.exit("nr_tasks %d, %d TASK records" % (doc["header"]["nr_tasks"], len(tasks)))
print(len(tasks))
PY
}

# tree_image NAME PROG: PROG frozen in a new container, its image read into
# $BATS_TEST_TMPDIR/ct.img and checked by crfs-image verify and tree_tasks
# against the frozen processes.  Sets CT, PID, DIR, PIDS, NR (processes).
tree_image() {
	local img=$BATS_TEST_TMPDIR/ct.img

	frozen_ct "$1" "$2"
	PIDS=$(ct_file "$CT" procs | sort -n | tr '\n' ' ')
	cat "$CRFS_MNT/$CT/image" >"$img" || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	run -0 "$CRFS_BIN/crfs-image" verify "$img"
	"$CRFS_BIN/crfs-image" json "$img" >"$BATS_TEST_TMPDIR/ct.json"
	# shellcheck disable=SC2086
	run -0 tree_tasks "$BATS_TEST_TMPDIR/ct.json" $PIDS
	NR=$output
}

@test "checkpoint: zdtm-tree: a TASK record for each of its 9 processes, parents first, each with its parent, group and session as /proc tells them; thawed, every process passes its checks" {
	tree_image tree zdtm-tree
	[ "$NR" = 9 ]
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish "$DIR" "$PID"
}

@test "checkpoint: zdtm-tree-threads: a tree whose processes have threads: each process's THREAD records, its threads as /proc lists them" {
	tree_image treethr zdtm-tree-threads
	[ "$NR" = 2 ]
	for p in $PIDS; do
		run -0 thread_tids "$BATS_TEST_TMPDIR/ct.json" "$p"
	done
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish "$DIR" "$PID"
}

@test "checkpoint: zdtm-thread-fork: a child made by a thread has that thread as parent_tid, as task/TID/children tells it" {
	tree_image tfork zdtm-thread-fork
	[ "$NR" = 2 ]
	run -0 python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))["tasks"]
sys.exit(0 if t[1].get("parent_tid", 0) not in (0, t[0]["pid"]) else "parent_tid %s" % t[1].get("parent_tid"))' "$BATS_TEST_TMPDIR/ct.json"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish "$DIR" "$PID"
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-thread-fork: the child's parent is the thread that made it" {
	fuse_restores_check zdtm-thread-fork
}

@test "checkpoint: zdtm-pipe checkpointed and thawed: pipes within a process and between processes keep their data (read, not taken)" {
	export ZDTM_PIPE_NO_REOPEN=1	# the kernel refuses H, an end opened again
	frozen_ct tpipe zdtm-pipe
	cat "$CRFS_MNT/$CT/image" >"$BATS_TEST_TMPDIR/ct.img" || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	run -0 "$CRFS_BIN/crfs-image" verify "$BATS_TEST_TMPDIR/ct.img"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish "$DIR" "$PID"
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-pipe: pipes between processes, an end left, resized, non-blocking, with their data" {
	export ZDTM_PIPE_NO_REOPEN=1	# the kernel refuses H, an end opened again
	fuse_restores_check zdtm-pipe
}

@test "checkpoint: a zombie child is refused at open, naming parent and child; thawed they go on" {
	frozen_ct tzomb zdtm-tree-zombie
	run -1 cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output --regexp "^checkpoint: pid [0-9]+: child process [0-9]+: a zombie: kernel: not yet \(EOPNOTSUPP\)$"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish "$DIR" "$PID"
}

@test "checkpoint: a process group whose pid is a process of the container that has left it is refused at open, naming it" {
	CT=$(crfs_mkct leftgrp)
	out=$BATS_TEST_TMPDIR/a
	# the root leads a group; A leads one, makes B in it, then joins the root's
	start_in "$CT" python3 -c 'import os, sys, time
os.setpgid(0, 0)
r, w = os.pipe()
a = os.fork()
if a == 0:
    os.setpgid(0, 0)
    if os.fork() == 0:
        os.close(r); os.close(w); time.sleep(1000); os._exit(0)
    os.setpgid(0, os.getppid())
    os.close(r); os.write(w, b"u"); os.close(w)
    time.sleep(1000); os._exit(0)
os.close(w); os.read(r, 1); os.close(r)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % a)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(1000)' "$out"
	wait_for "the tree to be up" 20 test -s "$out"
	a=$(cat "$out")
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run -1 cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output --regexp "^checkpoint: pid [0-9]+: its process group $a: its pid is a process outside the container, or one that left it \(EOPNOTSUPP\)$"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	ct_write "$CT" state kill
}

@test "checkpoint: a child outside the container is refused at open, naming parent and child" {
	frozen_ct tout zdtm-tree-threads
	child=$(ct_file "$CT" procs | grep -vx "$PID")
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	ct2=$(crfs_mkct out)
	ct_write "$ct2" procs "$child"
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run -1 cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output "checkpoint: pid $PID: child process $child is outside the container (EOPNOTSUPP)"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish "$DIR" "$PID"
}

# thread_tids JSON PID: the image's threads of PID (JSON from crfs-image
# json) are the process's own as /proc lists them, the leader first.
thread_tids() {
	python3 - "$1" "$2" <<'PY'
import json, os, sys
doc = json.load(open(sys.argv[1]))
pid = int(sys.argv[2])
task = [t for t in doc["tasks"] if t["pid"] == pid]
if len(task) != 1:
    sys.exit("no task %d in the image" % pid)
tids = [th["tid"] for th in task[0]["threads"]]
want = sorted(int(x) for x in os.listdir("/proc/%d/task" % pid))
if not tids or tids[0] != pid or sorted(tids) != want:
    sys.exit("threads %s in the image, %s in /proc" % (tids, want))
if task[0]["nr_threads"] != len(tids):
    sys.exit("nr_threads %d, %d THREAD records" % (task[0]["nr_threads"], len(tids)))
print(len(tids))
PY
}

@test "checkpoint: zdtm-threads: a THREAD record for each of its 33 threads, the leader first; thawed, every thread passes its own checks" {
	frozen_ct thr zdtm-threads
	cat "$CRFS_MNT/$CT/image" >"$BATS_TEST_TMPDIR/ct.img" || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	run -0 "$CRFS_BIN/crfs-image" verify "$BATS_TEST_TMPDIR/ct.img"
	"$CRFS_BIN/crfs-image" json "$BATS_TEST_TMPDIR/ct.img" >"$BATS_TEST_TMPDIR/ct.json"
	run -0 thread_tids "$BATS_TEST_TMPDIR/ct.json" "$PID"
	assert_output "33"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish "$DIR" "$PID"
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-tree: every process with its pid, parent, group and session" {
	fuse_restores_check zdtm-tree
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-tree-file: the description parent and child share, one offset" {
	fuse_restores_check zdtm-tree-file
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-tree-threads: each process's threads with their tids" {
	fuse_restores_check zdtm-tree-threads
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-threads: each thread's registers, TLS, mask, pending signal, alternate stack, name, nice, affinity, rseq" {
	fuse_restores_check zdtm-threads
}

@test "checkpoint: a thread with credentials of its own is refused at open, naming pid and thread; thawed it goes on" {
	frozen_ct thrcred zdtm-neg-thread
	run -1 cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output --regexp "^checkpoint: pid $PID: thread [0-9]+: credentials: other than its leader's: kernel: not yet \(EOPNOTSUPP\)$"
	refute_output --regexp "thread $PID:"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish "$DIR" "$PID"
}

@test "checkpoint: a thread in namespaces of its own is refused at open, naming pid, thread and namespace" {
	frozen_ct thrns zdtm-neg-thread-ns
	run -1 cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output --regexp "^checkpoint: pid $PID: thread [0-9]+: its ipc namespace \([0-9]+\) is not its process's \([0-9]+\): a restore makes every thread in the process's \(EOPNOTSUPP\)$"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish "$DIR" "$PID"
}

@test "checkpoint: image of a running or empty container is EBUSY, not frozen" {
	ct=$(crfs_mkct busy)
	run -1 cat "$CRFS_MNT/$ct/image"
	assert_output --partial "Device or resource busy"
	run -0 ct_file "$ct" error
	assert_output "checkpoint: $ct: not frozen (state empty) (EBUSY)"
	start_in "$ct" sleep 1000
	wait_in "$ct" "$STARTED_PID"
	run -1 cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output "checkpoint: $ct: not frozen (state running) (EBUSY)"
}

@test "checkpoint lock: while image is open for reading, thaw and moves in or out are EBUSY; after close they work" {
	frozen_ct lock zdtm-pause
	cg=$(pid_cgroup "$PID")
	parent=$(dirname "$cg")
	start_bg sleep 1000
	other=$STARTED_PID
	exec 5<"$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" state
	assert_output "checkpointing"
	# no thaw, through crfs or the cgroup
	run -1 ct_write "$CT" state thaw
	assert_output --partial "Device or resource busy"
	run -0 ct_file "$CT" error
	assert_output "thaw: $CT is checkpointing (EBUSY)"
	run -1 bash -c "echo 0 >'$cg/cgroup.freeze'"
	assert_output --partial "Device or resource busy"
	# nothing moves in, through crfs or cgroup.procs
	run -1 ct_write "$CT" procs "$other"
	assert_output --partial "Device or resource busy"
	run -1 bash -c "echo $other >'$cg/cgroup.procs'"
	assert_output --partial "Device or resource busy"
	# nothing moves out, to another container or cgroup
	ct2=$(crfs_mkct out)
	run -1 ct_write "$ct2" procs "$PID"
	assert_output --partial "Device or resource busy"
	run -1 bash -c "echo $PID >'$parent/cgroup.procs'"
	assert_output --partial "Device or resource busy"
	# one transfer at a time
	run -1 cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output "checkpoint: $CT: already open (checkpointing) (EBUSY)"
	run -0 ct_file "$CT" procs
	assert_output "$PID"
	exec 5<&-
	run -0 ct_file "$CT" state
	assert_output "frozen"
	ct_write "$CT" procs "$other"
	run -0 bash -c "sort -n '$CRFS_MNT/$CT/procs'"
	assert_output "$(printf '%s\n' "$PID" "$other" | sort -n)"
	ct_write "$ct2" procs "$other"
	usr1_thaw_finish "$CRFS_MNT/$CT/state" "$DIR" "$PID" "pause()"
}

@test "checkpoint: the image of a single-threaded process is one crfs-image verify accepts" {
	frozen_ct img zdtm-pause
	img=$BATS_TEST_TMPDIR/ct.img
	cat "$CRFS_MNT/$CT/image" >"$img" || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	run -0 ct_file "$CT" error
	assert_output ""
	run -0 "$CRFS_BIN/crfs-image" verify "$img"
	v=$(awk '$2 == "CRFS_IMAGE_VERSION" { print $3 }' "$BATS_TEST_DIRNAME/../../../include/uapi/linux/crfs.h")
	assert_output --regexp "valid crfs image, version $v, 1 task, "
	run -0 "$CRFS_BIN/crfs-image" show "$img"
	assert_output --partial "pid=$PID ppid=0"
	assert_output --partial "comm=zdtm-pause"
	assert_output --partial "path=$CRFS_ZDTM/zdtm-pause"
	# a second open reads an image of the same process
	cat "$CRFS_MNT/$CT/image" >"$img.2"
	run -0 "$CRFS_BIN/crfs-image" verify "$img.2"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	usr1_thaw_finish "$CRFS_MNT/$CT/state" "$DIR" "$PID" "pause()"
}

@test "checkpoint: a kill during the checkpoint fails the next read with EIO and lets the container go at once" {
	frozen_ct killed zdtm-pause
	start_bg sleep 1000
	exec 5<"$CRFS_MNT/$CT/image"
	ct_write "$CT" state kill
	run -0 ct_file "$CT" error
	assert_output "checkpoint: $CT was killed during the checkpoint (ECANCELED)"
	run -0 ct_file "$CT" state
	assert_output "empty"
	# the image still open, a process moves in and runs
	ct_write "$CT" procs "$STARTED_PID"
	run -0 ct_file "$CT" state
	assert_output "running"
	run -1 bash -c 'cat >/dev/null' <&5
	assert_output --partial "Input/output error"
	exec 5<&-
	run -0 ct_file "$CT" state
	assert_output "running"
}

# fuse_restored PROG: PROG checkpointed by the kernel, killed, its image
# restored by crfs-fuse in the same machine: frozen, with its pids.  Sets
# FUSE_MNT, DIR, PID; the restored container is $FUSE_MNT/dst.
fuse_restored() {
	local img=$BATS_TEST_TMPDIR/ct.img

	local pids p

	frozen_ct "x${1#zdtm-}" "$1"
	pids=$(ct_file "$CT" procs | sort -n)
	cat "$CRFS_MNT/$CT/image" >"$img" || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	ct_write "$CT" state kill
	for p in $pids; do
		wait_pid_gone "$p"
	done
	FUSE_MNT=$BATS_TEST_TMPDIR/fuse
	fuse_mount "$FUSE_MNT"
	mkdir "$FUSE_MNT/dst"
	cat "$img" >"$FUSE_MNT/dst/image" || { cat "$FUSE_MNT/dst/error" >&2; false; }
	run -0 cat "$FUSE_MNT/dst/state"
	assert_output "frozen"
	run -0 bash -c "sort -n '$FUSE_MNT/dst/procs'"
	assert_output "$pids"
}

# fuse_restores PROG CALL: restored by crfs-fuse (fuse_restored), sent
# SIGUSR1, thawed: CALL returns after the handler, the program passes.
fuse_restores() {
	fuse_restored "$1"
	usr1_thaw_finish "$FUSE_MNT/dst/state" "$DIR" "$PID" "$2"
}

# fuse_restores_check PROG: restored by crfs-fuse (fuse_restored), thawed:
# the program passes its own checks.
fuse_restores_check() {
	fuse_restored "$1"
	echo thaw >"$FUSE_MNT/dst/state"
	zdtm_finish "$DIR" "$PID"
}

@test "checkpoint: zdtm-pipe1 checkpointed and thawed keeps the data of its pipes (read, not taken)" {
	frozen_ct pipes zdtm-pipe1
	cat "$CRFS_MNT/$CT/image" >"$BATS_TEST_TMPDIR/ct.img" || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	run -0 "$CRFS_BIN/crfs-image" verify "$BATS_TEST_TMPDIR/ct.img"
	run -0 "$CRFS_BIN/crfs-image" show "$BATS_TEST_TMPDIR/ct.img"
	assert_output --partial "pipe:["
	ct_write "$CT" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "checkpoint: a pipe whose other end a process outside holds is refused at open, naming pid, fd and why" {
	python3 -c 'import os, time
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    nul = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(nul, fd)
    os.closerange(3, w)
    os.closerange(w + 1, 1024)
    time.sleep(1000)
    os._exit(0)
os.close(w)
print(pid, flush=True)
time.sleep(1000)' </dev/null >"$BATS_TEST_TMPDIR/pid" 2>/dev/null 3>&- &
	echo "$!" >>"$(crfs_tmp)/.crfs-pids"
	wait_for "the child's pid" 10 test -s "$BATS_TEST_TMPDIR/pid"
	child=$(cat "$BATS_TEST_TMPDIR/pid")
	echo "$child" >>"$(crfs_tmp)/.crfs-pids"
	CT=$(crfs_mkct outside)
	ct_write "$CT" procs "$child"
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run -1 cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output --regexp "^checkpoint: pid $child: fd [0-9]+: a pipe a process outside the container holds an end of: kernel: not yet \(EOPNOTSUPP\)$"
	run -0 ct_file "$CT" state
	assert_output "frozen"
}

@test "checkpoint: a pipe end whose description a process outside shares is refused at open, naming pid, fd and why" {
	python3 -c 'import os, time
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    nul = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(nul, fd)
    for fd in range(3, 1024):
        if fd not in (r, w):
            try:
                os.close(fd)
            except OSError:
                pass
    time.sleep(1000)
    os._exit(0)
os.close(r)
print(pid, flush=True)
time.sleep(1000)' </dev/null >"$BATS_TEST_TMPDIR/pid" 2>/dev/null 3>&- &
	echo "$!" >>"$(crfs_tmp)/.crfs-pids"
	wait_for "the child's pid" 10 test -s "$BATS_TEST_TMPDIR/pid"
	child=$(cat "$BATS_TEST_TMPDIR/pid")
	echo "$child" >>"$(crfs_tmp)/.crfs-pids"
	CT=$(crfs_mkct shared)
	ct_write "$CT" procs "$child"
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run -1 cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output --regexp "^checkpoint: pid $child: fd [0-9]+: an end of a pipe shared with a process outside the container \(or in flight\): kernel: not yet \(EOPNOTSUPP\)$"
	run -0 ct_file "$CT" state
	assert_output "frozen"
}

@test "checkpoint: a pipe whose end a later process's thread holds in an fd table of its own is refused naming that thread, not a process outside" {
	python3 -c 'import ctypes, os, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
r, w = os.pipe()
kid = os.fork()
if kid == 0:
    os.close(r)
    def own():
        if libc.unshare(0x400) != 0:
            os._exit(3)
        open(sys.argv[1] + ".own", "w").close()
        time.sleep(1000)
    threading.Thread(target=own, daemon=True).start()
    time.sleep(1000)
    os._exit(0)
os.close(w)
print(os.getpid(), kid, flush=True)
time.sleep(1000)' "$BATS_TEST_TMPDIR/kid" </dev/null >"$BATS_TEST_TMPDIR/pids" 2>/dev/null 3>&- &
	echo "$!" >>"$(crfs_tmp)/.crfs-pids"
	wait_for "the pids" 10 test -s "$BATS_TEST_TMPDIR/pids"
	read -r root kid <"$BATS_TEST_TMPDIR/pids"
	echo "$kid" >>"$(crfs_tmp)/.crfs-pids"
	wait_for "the thread's own fd table" 10 test -e "$BATS_TEST_TMPDIR/kid.own"
	CT=$(crfs_mkct ownfdt)
	ct_write "$CT" procs "$root"
	ct_write "$CT" procs "$kid"
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run -1 cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output --regexp "^checkpoint: pid $kid: thread [0-9]+: an fd table of its own \(unshare\(CLONE_FILES\)\): kernel: not yet \(EOPNOTSUPP\)$"
	run -0 ct_file "$CT" state
	assert_output "frozen"
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-caps: a uid-1000 process's capability sets, securebits and no_new_privs" {
	fuse_restores_check zdtm-caps
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-groups: 4000 supplementary groups" {
	fuse_restores_check zdtm-groups
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-pipe1: its pipes come back with their data" {
	fuse_restores_check zdtm-pipe1
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-signals: queued signals with their values, mask, actions" {
	fuse_restores_check zdtm-signals
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-itimers: the three interval timers" {
	fuse_restores_check zdtm-itimers
}

@test "checkpoint: zdtm-signals and zdtm-itimers checkpointed and thawed keep their queued signals and timers" {
	frozen_ct sigs zdtm-signals
	cat "$CRFS_MNT/$CT/image" >/dev/null || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	ct_write "$CT" state thaw
	zdtm_finish "$DIR" "$PID"
	frozen_ct itim zdtm-itimers
	cat "$CRFS_MNT/$CT/image" >/dev/null || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	ct_write "$CT" state thaw
	zdtm_finish "$DIR" "$PID"
}

# timers_match JSON PID: PID's TIMER records in JSON, ids ascending, say
# what /proc/PID/timers says of each timer (id, signal and value,
# notification, clock); prints how many.
timers_match() {
	python3 - "$1" "$2" <<-'PY'
	import json, re, sys
	doc = json.load(open(sys.argv[1]))
	pid = int(sys.argv[2])
	task = [t for t in doc["tasks"] if t["pid"] == pid][0]
	recs = task.get("timers", [])
	ids = [t["id"] for t in recs]
	if ids != sorted(ids) or len(set(ids)) != len(ids):
	    sys.exit("ids not ascending: %s" % ids)
	proc = {}
	pat = r"^ID: (\d+)\nsignal: (\d+)/([0-9a-f]+)\nnotify: (\w+)/(\w+)\.\d+\nClockID: (-?\d+)$"
	for m in re.finditer(pat, open("/proc/%d/timers" % pid).read(), re.M):
	    proc[int(m.group(1))] = (int(m.group(2)), int(m.group(3), 16),
	                             m.group(4) + "/" + m.group(5), int(m.group(6)))
	kinds = {0: "signal/pid", 1: "none/pid", 4: "signal/tid"}
	for t in recs:
	    val = int(t["sigval"], 0) if isinstance(t["sigval"], str) else t["sigval"]
	    want = (t["signo"], val, kinds[t["notify"]], t["clock"])
	    if proc.get(t["id"]) != want:
	        sys.exit("timer %d: image %s, /proc %s" % (t["id"], want, proc.get(t["id"])))
	if sorted(proc) != ids:
	    sys.exit("/proc has %s, the image %s" % (sorted(proc), ids))
	print(len(ids))
	PY
}

@test "checkpoint: zdtm-posix-timers: a TIMER record for each of its 8 timers, ids ascending, as /proc/PID/timers tells them; thawed, it passes its checks" {
	frozen_ct ptimer zdtm-posix-timers
	cat "$CRFS_MNT/$CT/image" >"$BATS_TEST_TMPDIR/ct.img" || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	run -0 "$CRFS_BIN/crfs-image" verify "$BATS_TEST_TMPDIR/ct.img"
	"$CRFS_BIN/crfs-image" json "$BATS_TEST_TMPDIR/ct.img" >"$BATS_TEST_TMPDIR/ct.json"
	run -0 timers_match "$BATS_TEST_TMPDIR/ct.json" "$PID"
	assert_output "8"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish "$DIR" "$PID"
}

@test "checkpoint: a signal queued with si_code SI_TIMER by no timer (rt_sigqueueinfo) is refused at open, naming pid, signal and why; thawed it goes on" {
	local d=$BATS_TEST_TMPDIR/fake
	mkdir -p "$d"
	CT=$(crfs_mkct fake)
	start_in "$CT" python3 -c '
import ctypes, os, signal, struct, sys, time
d = sys.argv[1]
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
# siginfo_t: si_signo, si_errno, si_code = SI_TIMER (-2), then zeroes
info = ctypes.create_string_buffer(struct.pack("<iii", signal.SIGUSR2, 0, -2), 128)
libc = ctypes.CDLL(None, use_errno=True)
if libc.syscall(129, os.getpid(), signal.SIGUSR2, info) != 0:
    sys.exit("rt_sigqueueinfo: errno %d" % ctypes.get_errno())
open(d + "/ready", "w").close()
while not os.path.exists(d + "/check"):
    time.sleep(0.05)
ok = signal.SIGUSR2 in signal.sigpending()
open(d + "/result", "w").write("PASS" if ok else "FAIL: SIGUSR2 not pending")' "$d"
	PID=$STARTED_PID
	wait_for "the program to be ready" 30 test -e "$d/ready"
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run -1 cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output "checkpoint: pid $PID: signals: signal 12: SI_TIMER, not queued by a live timer (deleted, or rt_sigqueueinfo()): kernel: not yet (EOPNOTSUPP)"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	touch "$d/check"
	wait_for "the program's check" 30 test -s "$d/result"
	run -0 cat "$d/result"
	assert_output "PASS"
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-posix-timers: ids, clocks, notifications, values, periods" {
	fuse_restores_check zdtm-posix-timers
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-timer-pending: the timer's pending signal, once" {
	fuse_restores_check zdtm-timer-pending
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-pause in the same machine" {
	fuse_restores zdtm-pause "pause()"
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-sigsuspend: the mask from before sigsuspend() comes back after the handler" {
	fuse_restores zdtm-sigsuspend "sigsuspend()"
}

@test "crfs-fuse started beside the kernel crfs leaves the kernel's subtree alone: its frozen container stays frozen, mkdir still works" {
	local log=$BATS_TEST_TMPDIR/crfs-fuse.log i

	frozen_ct beside zdtm-pause
	FUSE_MNT=$BATS_TEST_TMPDIR/fuse
	mkdir "$FUSE_MNT"
	# no -o cgroup: it looks at the crfs-* subtrees beside its own
	(crfs_close_fds; exec "$CRFS_BIN/crfs-fuse" -f "$FUSE_MNT") \
		</dev/null >"$log" 2>&1 3>&- &
	FUSE_PID=$!
	disown "$FUSE_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		crfs_is_mounted "$FUSE_MNT" && break
		sleep 0.1
	done
	crfs_is_mounted "$FUSE_MNT" || { cat "$log" >&2; false; }
	run -0 ct_file "$CT" state
	assert_output "frozen"
	all_in_freezer "$CT"
	mkdir "$CRFS_MNT/beside2"
	rmdir "$CRFS_MNT/beside2"
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
}

@test "cross-restore: crfs-fuse restores the kernel's image of zdtm-tree in a pid namespace of its own (crctl run): a new pid namespace, the same pids" {
	local pids p ids p1
	CT=$(crfs_mkct xnsk)
	ns_start "$CT" zdtm-tree
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	ids=$(ns_ids "$CT")
	pids=$(cat "$CRFS_MNT/$CT/procs")
	cat "$CRFS_MNT/$CT/image" >"$BATS_TEST_TMPDIR/ct.img" || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	ct_write "$CT" state kill
	for p in $pids; do
		wait_pid_gone "$p"
	done
	FUSE_MNT=$BATS_TEST_TMPDIR/fuse
	fuse_mount "$FUSE_MNT"
	mkdir "$FUSE_MNT/dst"
	cat "$BATS_TEST_TMPDIR/ct.img" >"$FUSE_MNT/dst/image" || { cat "$FUSE_MNT/dst/error" >&2; false; }
	run -0 cat "$FUSE_MNT/dst/state"
	assert_output "frozen"
	CRFS_MNT=$FUSE_MNT run -0 ns_ids dst
	assert_output "$ids"
	p1=$(CRFS_MNT=$FUSE_MNT ns_pid1 dst)
	echo thaw >"$FUSE_MNT/dst/state"
	zdtm_finish "$ZDTM_DIR" "$p1"
}

@test "checkpoint: a pid namespace of its own holding a process outside the container is refused at open, naming its pid there; thawed it goes on" {
	local kid ct2
	CT=$(crfs_mkct nsout)
	ns_start "$CT" zdtm-tree-pipe
	kid=$(cat "/proc/$ZDTM_PID/task/$ZDTM_PID/children")
	kid=${kid%% *}
	# the root's child, in the namespace, moved into another container
	ct2=$(crfs_mkct nsout-b)
	ct_write "$ct2" procs "$kid"
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run -1 cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output "checkpoint: $CT: its pid namespace holds pid 2, a process outside the container (EOPNOTSUPP)"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish "$ZDTM_DIR" "$ZDTM_PID"
}

@test "checkpoint: processes of two pid namespaces in one container (unshare --pid --fork inside) are refused at open; thawed they go on" {
	local kid
	CT=$(crfs_mkct ns2)
	start_in "$CT" unshare --pid --fork sleep 1000
	wait_in "$CT" "$STARTED_PID"
	wait_for "the sleep in its pid namespace" 10 grep -q "[0-9]" "/proc/$STARTED_PID/task/$STARTED_PID/children"
	kid=$(cat "/proc/$STARTED_PID/task/$STARTED_PID/children")
	kid=${kid%% *}
	echo "$kid" >>"$(crfs_tmp)/.crfs-pids"
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run -1 cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output "checkpoint: $CT: processes of two pid namespaces: kernel: not yet (EOPNOTSUPP)"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	crfs_alive "$kid"
}
