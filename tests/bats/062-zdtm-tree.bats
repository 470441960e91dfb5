#!/usr/bin/env bats
# zdtm trees: a container of several processes is checkpointed, killed and
# restored with the same pids, parents, process groups and sessions, its
# zombies and the descriptions and memory its processes share.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

# tree_pids_gone DIR: every pid DIR/pids names (zombies too) is free again.
tree_pids_gone() {
	local p

	for p in $(cat "$1/pids" 2>/dev/null); do
		wait_pid_gone "$p" 20 || return 1
	done
}

# tree_cycle CT PROG [same]: checkpoint CT, kill it, wait until every pid
# of the tree is free, restore into a new container (with "same": into CT
# again), check its processes, thaw.  Sets CT to the container restored.
tree_cycle() {
	local procs ct2

	procs=$(sort -n "$CRFS_MNT/$1/procs")
	IMG=$BATS_TEST_TMPDIR/$2.$RANDOM.img
	crfs_checkpoint "$1" "$IMG"
	ct_write "$1" state kill
	wait_empty "$1"
	wait_pid_gone "$ZDTM_PID"
	tree_pids_gone "$ZDTM_DIR"
	if [[ ${3:-} == same ]]; then
		ct2=$1
	else
		ct2=$(crfs_mkct dst)
	fi
	crfs_restore "$ct2" "$IMG"
	run -0 ct_file "$ct2" state
	assert_output "frozen"
	run -0 sort -n "$CRFS_MNT/$ct2/procs"
	assert_output "$procs"
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	CT=$ct2
}

# tree_run PROG: the whole cycle, then PASS.
tree_run() {
	CT=$(crfs_mkct src)
	zdtm_start "$CT" "$1"
	tree_cycle "$CT" "$1"
	zdtm_finish
}

@test "zdtm-tree: three levels keep their pids, parents, process groups and sessions" {
	tree_run zdtm-tree
}

@test "zdtm-tree restored into the container it was killed in: every process inside it, frozen, none outside" {
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-tree
	# Linux kills a child cloned into a cgroup whose cgroup.kill count
	# is not its parent's: after the kill the root is moved in instead,
	# and must be before it makes its children, which inherit its cgroup
	tree_cycle "$CT" zdtm-tree same
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-tree-zombie: zombies come back with their exit code or signal, for their parents to reap" {
	require_image
	tree_run zdtm-tree-zombie
}

# bats test_tags=image
@test "zdtm-tree-share: parent, child and grandchild keep one description (one offset) and one shared anonymous object" {
	require_image
	tree_run zdtm-tree-share
}

# bats test_tags=image
@test "zdtm-tree-fdt: a descriptor table shared by three processes (CLONE_FILES) and a cwd and umask by two (CLONE_FS) stay shared" {
	require_image
	tree_run zdtm-tree-fdt
}

# bats test_tags=image
@test "zdtm-tree-memfd: a memfd the root holds and its child does not comes back with its contents" {
	require_image
	tree_run zdtm-tree-memfd
}

# ns_finish DIR PID: finish one copy of the program, its result taken away
# for the next one (the copies share DIR).
ns_finish() {
	zdtm_finish "$1" "$2"
	rm -f "$1/result"
}

@test "crctl run: the command is pid 1 of a new pid namespace, in the container; crctl outside passes SIGTERM on" {
	CT=$(crfs_mkct src)
	ns_start "$CT" zdtm-counter
	run -0 cat "$ZDTM_DIR/ready"
	assert_output "1"
	run -0 ct_file "$CT" procs
	assert_output "$ZDTM_PID"
	run -0 ns_pid1 "$CT"
	assert_output "$ZDTM_PID"
	kill -TERM "$CRCTL_PID"
	wait_for "the counter to write its result" 30 test -e "$ZDTM_DIR/result"
	run -0 cat "$ZDTM_DIR/result"
	assert_output "PASS"
	wait_pid_gone "$CRCTL_PID"
}

@test "zdtm-tree in a pid namespace of its own: restored twice at once beside the running original, each in a new namespace with the same pids" {
	local ct2 ct3 n r2 r3
	CT=$(crfs_mkct src)
	ns_start "$CT" zdtm-tree
	n=$(wc -l <"$CRFS_MNT/$CT/procs")
	IMG=$BATS_TEST_TMPDIR/tree-ns.img
	crfs_checkpoint "$CT" "$IMG"
	run -0 "$CRFS_BIN/crfs-image" show "$IMG"
	assert_output --partial "pid namespace"
	# The original runs on: every pid it has here stays taken.
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	ct2=$(crfs_mkct dst)
	ct3=$(crfs_mkct dst)
	crfs_restore "$ct2" "$IMG" &
	r2=$!
	crfs_restore "$ct3" "$IMG" &
	r3=$!
	wait "$r2" || fail "the first restore failed: $(ct_file "$ct2" error)"
	wait "$r3" || fail "the second restore failed: $(ct_file "$ct3" error)"
	for ct in "$ct2" "$ct3"; do
		run -0 ct_file "$ct" state
		assert_output "frozen"
		run -0 wc -l <"$CRFS_MNT/$ct/procs"
		assert_output "$n"
	done
	p2=$(ns_pid1 "$ct2") || fail "$ct2: no pid 1 of a new pid namespace"
	p3=$(ns_pid1 "$ct3") || fail "$ct3: no pid 1 of a new pid namespace"
	[[ $(readlink "/proc/$p2/ns/pid") != $(readlink "/proc/$p3/ns/pid") ]] ||
		fail "both restores are in one pid namespace"
	ct_write "$ct2" state thaw
	ct_write "$ct3" state thaw
	wait_thawed "$ct2"
	wait_thawed "$ct3"
	ns_finish "$ZDTM_DIR" "$ZDTM_PID"
	ns_finish "$ZDTM_DIR" "$p2"
	ns_finish "$ZDTM_DIR" "$p3"
}

# bats test_tags=image
@test "zdtm-tree-locks: a flock and an OFD lock of a description parent and child share, and each one's POSIX lock, are held after the restore" {
	require_image
	tree_run zdtm-tree-locks
	# One record a lock: the description's own two once, not once a process.
	run -0 bash -c "'$CRFS_BIN/crfs-image' json '$IMG' | python3 -c 'import json, sys; print(sorted(l[\"kind\"] for l in json.load(sys.stdin)[\"locks\"]))'"
	assert_output "['flock', 'ofd', 'posix', 'posix']"
}

@test "a tree in the host's pid namespace whose pids are taken: the restore fails naming the pid and its holder, the container left empty" {
	local ct2 ct3 held
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-tree
	IMG=$BATS_TEST_TMPDIR/tree-host.img
	crfs_checkpoint "$CT" "$IMG"
	# The original runs on: its pids are taken, the root's first.
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	ct2=$(crfs_mkct dst)
	run ! crfs_restore "$ct2" "$IMG"
	run -0 ct_file "$ct2" error
	assert_output --regexp "^restore: pid $ZDTM_PID is in use by another process \\(zdtm-tree\\)"
	run -0 ct_file "$ct2" procs
	assert_output ""
	# The root gone, its children live on: one of theirs is named.
	kill -KILL "$ZDTM_PID"
	wait_pid_gone "$ZDTM_PID"
	ct3=$(crfs_mkct dst)
	run ! crfs_restore "$ct3" "$IMG"
	run -0 ct_file "$ct3" error
	assert_output --regexp "^restore: pid [0-9]+ is in use by another process \\(zdtm-tree\\)"
	held=$(sed -E 's/^restore: pid ([0-9]+) .*/\1/' <<<"$output")
	[[ $held != "$ZDTM_PID" ]] || fail "the root's pid is named, not a child's"
	run -0 grep -qx "$held" "$CRFS_MNT/$CT/procs"
	run -0 ct_file "$ct3" procs
	assert_output ""
}

@test "zdtm-tree-threads: processes of a tree with threads of their own come back with every thread and tid" {
	tree_run zdtm-tree-threads
}

@test "zdtm-thread-fork: a child made by a thread other than the main one keeps that thread as its parent (task/TID/children)" {
	tree_run zdtm-thread-fork
}

@test "zdtm-tree-file: a file description a parent and its child share keeps one offset" {
	tree_run zdtm-tree-file
}

@test "zdtm-tree-subreaper: an orphan of the tree goes to its subreaper ancestor after the restore, not to init" {
	tree_run zdtm-tree-subreaper
}

@test "zdtm-tree-pipe: a pipe between a parent and its child comes back with its data; the child's end is the child's alone (end of file after it exits)" {
	tree_run zdtm-tree-pipe
}

# bats test_tags=image
@test "zdtm-thread-child: children of threads other than the main one keep their parent thread (parent-death signal, __WNOTHREAD, task/TID/children)" {
	require_image
	tree_run zdtm-thread-child
}

# ns_run PROG: PROG as pid 1 of a pid namespace of its own, checkpointed,
# killed, restored into a new namespace, then PASS.
ns_run() {
	local ct2 n p1
	CT=$(crfs_mkct src)
	ns_start "$CT" "$1"
	n=$(wc -l <"$CRFS_MNT/$CT/procs")
	IMG=$BATS_TEST_TMPDIR/$1-ns.img
	crfs_checkpoint "$CT" "$IMG"
	ct_write "$CT" state kill
	wait_empty "$CT"
	wait_pid_gone "$CRCTL_PID"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$IMG"
	run -0 wc -l <"$CRFS_MNT/$ct2/procs"
	assert_output "$n"
	p1=$(ns_pid1 "$ct2") || fail "$ct2: no pid 1 of a new pid namespace"
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	zdtm_finish "$ZDTM_DIR" "$p1"
}

@test "zdtm-tree-threads in a pid namespace of its own: every thread back with its tid there" {
	ns_run zdtm-tree-threads
}

# bats test_tags=image
@test "zdtm-thread-child in a pid namespace of its own: each child's parent thread by its tid there" {
	require_image
	ns_run zdtm-thread-child
}

# bats test_tags=image
@test "zdtm-unix-peercred in a pid namespace of its own: SO_PEERCRED names the pids there (the checkpoint compares them with its processes' before their view)" {
	require_image
	ns_run zdtm-unix-peercred
	run -0 "$CRFS_BIN/crfs-image" show "$IMG"
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=5 state=connected [^[:cntrl:]]*cred_pid=1 cred_uid=1234 cred_gid=2345"
}

# bats test_tags=image
@test "zdtm-unix-tree in a pid namespace of its own: socket pairs across processes come back" {
	require_image
	ns_run zdtm-unix-tree
}

# bats test_tags=image
@test "zdtm-tree-zombie in a pid namespace of its own: zombies, groups and signals as there" {
	require_image
	ns_run zdtm-tree-zombie
}

# bats test_tags=image
@test "zdtm-procstate in a pid namespace of its own: signal owners named by the pids there come back" {
	require_image
	ns_run zdtm-procstate
}

# bats test_tags=image
@test "zdtm-pipe: pipes within a process, between processes, with one end left, resized and non-blocking come back with their data" {
	require_image
	tree_run zdtm-pipe
}

# bats test_tags=image
@test "zdtm-pipe: checkpointed and thawed, the original's pipes keep their data (read, not taken)" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-pipe
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/1.img"
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/2.img"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-tcp: a TCP connection between two processes comes back with the bytes queued both ways" {
	require_image
	tree_run zdtm-tcp
}

# tcp_left PORT: the sockets of 127.0.0.1:PORT that outlived their process.
tcp_left() {
	ss -Htan "( sport = :$1 or dport = :$1 )" | grep -v LISTEN || true
}

# bats test_tags=image
@test "zdtm-tcp: an idle connection killed after its checkpoint goes quietly (no FIN: nothing left in TIME-WAIT), and comes back" {
	require_image
	CT=$(crfs_mkct src)
	ZDTM_TCP_IDLE=1 zdtm_start "$CT" zdtm-tcp
	port=$(cat "$ZDTM_DIR/port")
	run -0 tcp_left "$port"
	[[ -n $output ]] || fail "no connection on port $port"
	IMG=$BATS_TEST_TMPDIR/tcp.img
	crfs_checkpoint "$CT" "$IMG"
	ct_write "$CT" state kill
	wait_empty "$CT"
	run -0 tcp_left "$port"
	assert_output ""
	tree_pids_gone "$ZDTM_DIR"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$IMG"
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	CT=$ct2
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-tcp: checkpointed and thawed, the connection runs on with nothing lost" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-tcp
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/tcp.img"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-unix-tree: unix socket pairs split between processes, shared by two, or held by a child alone come back with their queues" {
	require_image
	tree_run zdtm-unix-tree
}

# bats test_tags=image
@test "zdtm-unix-tree: checkpointed and thawed, the original's socket queues are read, not taken" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-unix-tree
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/1.img"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-unix-peercred: SO_PEERCRED of socket pairs, a listener and its connections comes back (pid, euid, egid)" {
	require_image
	tree_run zdtm-unix-peercred
	run -0 "$CRFS_BIN/crfs-image" show "$IMG"
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=5 state=connected [^[:cntrl:]]*cred_pid=[0-9]+ cred_uid=1234 cred_gid=2345"
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=1 state=listening [^[:cntrl:]]*cred_pid=[0-9]+ cred_uid=1111 cred_gid=2222"
	assert_output --regexp "kind=unix [^[:cntrl:]]*flags=0x10 [^[:cntrl:]]*cred_pid=[0-9]+ cred_uid=3333 cred_gid=4444"
	assert_output --regexp "kind=unix [^[:cntrl:]]*type=2 state=connected [^[:cntrl:]]*cred_pid=[0-9]+ cred_uid=5555 cred_gid=6666"
}

# bats test_tags=image
@test "zdtm-unix-async: a socket with O_ASYNC owned by the parent and shared with a child watching its pair with epoll comes back, SIGIO too" {
	require_image
	tree_run zdtm-unix-async
}

# bats test_tags=image
@test "zdtm-unix-accept-tree: connections of a listening unix socket held across processes come back, waiting ones in their order" {
	require_image
	tree_run zdtm-unix-accept-tree
}

# bats test_tags=image
@test "zdtm-unix-xconn: connections accepted from clients of three other processes (euid 0 and 4242) come back, SO_PEERCRED naming each client, data both ways, shutdown, one handed to a child, one client shared with a child" {
	require_image
	tree_run zdtm-unix-xconn
	run -0 "$CRFS_BIN/crfs-image" verify "$IMG"
	run -0 "$CRFS_BIN/crfs-image" show "$IMG"
	assert_output --regexp "kind=unix [^[:cntrl:]]*flags=0x10 [^[:cntrl:]]*cred_pid=[0-9]+ cred_uid=4242 cred_gid=4343"
}

# bats test_tags=image
@test "zdtm-unix-xconn in a pid namespace of its own: the accepted ends name the clients' pids there" {
	require_image
	ns_run zdtm-unix-xconn
}

# bats test_tags=image
@test "zdtm-unix-xconn-many: 2000 connections accepted from another process's connect(), behind 3000 descriptors: each names its client after a restore, and the image verifies in seconds" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-unix-xconn-many
	tree_cycle "$CT" zdtm-unix-xconn-many
	# Each rule once per connection, not once per pair of them (5 s and
	# more before, quadratic; a checkpoint froze the container for 14 s).
	run -0 timeout 3 "$CRFS_BIN/crfs-image" verify "$IMG"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-unix-xconn: checkpointed and thawed, the connections carry their data, not taken" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-unix-xconn
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/1.img"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-unix-accept-tree: checkpointed and thawed, the connections still wait and the queues are read, not taken" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-unix-accept-tree
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/1.img"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-pty: a pseudo-terminal pair, its session and foreground group, /dev/tty, null, zero, full, urandom come back" {
	require_image
	tree_run zdtm-pty
	# crfs-image shows each side's state.
	run -0 "$CRFS_BIN/crfs-image" show "$IMG"
	assert_output --regexp "kind=tty .* path=/dev/p[a-z/]*tmx tty=master index=[0-9]+ .* lflag=0x[0-9a-f]+ .* cc=07:[0-9a-f:]+ rows=33 cols=111 xpixel=0 ypixel=0 pkt=1 excl=0 locked=0 sid=[0-9]+ pgrp=[0-9]+"
	assert_output --regexp "kind=tty .* path=/dev/pts/[0-9]+ tty=slave .* rows=33 cols=111 .* pkt=0 excl=1 locked=0"
	assert_output --regexp "kind=chr .* rdev=0x500 path=/dev/tty"
}

# bats test_tags=image
@test "zdtm-pty: a restore whose /dev/pts/N is in use on the machine fails naming its holder, and leaves nothing" {
	require_image
	local img=$BATS_TEST_TMPDIR/pty.img pts holder ct2

	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-pty
	pts=$(cat "$ZDTM_DIR/pts")
	crfs_checkpoint "$CT" "$img"
	ct_write "$CT" state kill
	wait_empty "$CT"
	wait_pid_gone "$ZDTM_PID"
	tree_pids_gone "$ZDTM_DIR"
	# Someone takes the index: pairs until it comes, that one kept.
	start_bg /usr/bin/python3 -c 'import os, sys, time
want, keep = sys.argv[1], []
while True:
    m, s = os.openpty()
    if os.ttyname(s) == want:
        break
    keep += [m, s]
    if len(keep) > 2000:
        sys.exit("no " + want)
for fd in keep:
    os.close(fd)
open(sys.argv[2] + ".tmp", "w").write("taken")
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(600)' "$pts" "$BATS_TEST_TMPDIR/taken"
	holder=$STARTED_PID
	wait_for "$pts to be taken" 20 test -e "$BATS_TEST_TMPDIR/taken"
	ct2=$(crfs_mkct dst)
	run ! crfs_restore "$ct2" "$img"
	run -0 ct_file "$ct2" error
	assert_output --partial "$pts: cannot make the pseudo-terminal again: the index is in use on this machine (pid $holder (python3) has it open)"
	run -0 ct_file "$ct2" procs
	assert_output ""
	kill "$holder"
}

# bats test_tags=image
@test "zdtm-pty-queue: data queued both ways, canonical with echo and ONLCR and raw, come back byte for byte, once" {
	require_image
	tree_run zdtm-pty-queue
	run -0 "$CRFS_BIN/crfs-image" show "$IMG"
	assert_output --regexp "tty=master .* in_len=29 out_len=40"
	assert_output --regexp "tty=master .* in_len=11 out_len=6"
}

# bats test_tags=image
@test "zdtm-pty-queue: a checkpoint reads the queues and puts them back: thawed, nothing is consumed or doubled, termios unchanged" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-pty-queue
	# Twice: the second reads what the first put back.
	for i in 1 2; do
		crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/$i.img"
		run -0 "$CRFS_BIN/crfs-image" show "$BATS_TEST_TMPDIR/$i.img"
		assert_output --regexp "tty=master .* in_len=29 out_len=40"
		assert_output --regexp "tty=master .* in_len=11 out_len=6"
	done
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-pty-hup: a session whose terminal's slave is closed keeps the pair, and hangs up when the master closes (CRIU's tty00)" {
	require_image
	tree_run zdtm-pty-hup
}
