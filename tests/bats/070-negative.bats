#!/usr/bin/env bats
# What must fail, fails cleanly: bad images are refused and leave nothing
# running; unsupported resources are refused and the container is intact.

load helpers/common

setup_file() {
	crfs_setup_file
	GOOD=$BATS_FILE_TMPDIR/good.img
	if crfs_has_image; then
		crfs_make_image "$GOOD"
	fi
	export GOOD
}
teardown_file() { crfs_teardown_file; }
teardown() {
	crfs_teardown
	# What a test started outside crfs's reach: a tracer, a cgroup.
	[[ -n ${TRACER:-} ]] && kill -KILL "$TRACER" 2>/dev/null
	if [[ -n ${OUT_CG:-} && -d $OUT_CG ]]; then
		local pid
		for pid in $(cat "$OUT_CG/cgroup.procs"); do
			kill -KILL "$pid" 2>/dev/null
		done
		wait_for "$OUT_CG to empty" 10 \
			grep -q 'populated 0' "$OUT_CG/cgroup.events"
		rmdir "$OUT_CG"
	fi
	return 0
}

# cgroup2_root: where cgroup v2 is mounted (the line of mountinfo whose
# file system, after the " - ", is cgroup2).
cgroup2_root() {
	awk '{ for (i = 7; i < NF; i++) if ($i == "-") {
		if ($(i + 1) == "cgroup2") print $5; break } }' \
		/proc/self/mountinfo | head -n 1
}

# restore_fails IMAGE REGEXP: the restore fails, error matches REGEXP,
# nothing is left running, the container is empty.
restore_fails() {
	local img=$1 re=$2 pid ct

	pid=$(cat "$GOOD.pid")
	ct=$(crfs_mkct bad)
	run ! crfs_restore "$ct" "$img"
	wait_for "the restore to end" 15 \
		grep -qvx restoring "$CRFS_MNT/$ct/state"
	run -0 ct_file "$ct" error
	refute_output ""
	assert_output --regexp "$re"
	run -0 ct_file "$ct" state
	assert_output "empty"
	run -0 ct_file "$ct" procs
	assert_output ""
	wait_pid_gone "$pid" 5 || fail "pid $pid is alive after a failed restore"
	# The container is usable afterwards.
	rmdir "$CRFS_MNT/$ct"
}

@test "control: the good image restores" {
	ct=$(crfs_mkct good)
	crfs_restore "$ct" "$GOOD"
	run -0 ct_file "$ct" procs
	assert_output "$(cat "$GOOD.pid")"
	ct_write "$ct" state kill
	wait_pid_gone "$(cat "$GOOD.pid")"
}

# bats test_tags=image
@test "an image truncated inside the header is refused" {
	require_image
	head -c 100 "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
	restore_fails "$BATS_TEST_TMPDIR/t.img" "(truncat|incomplete|short)"
}

# bats test_tags=image
@test "an image of one byte is refused" {
	require_image
	head -c 1 "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
	restore_fails "$BATS_TEST_TMPDIR/t.img" "(truncat|incomplete|short)"
}

# bats test_tags=image
@test "an image truncated inside the first record is refused" {
	require_image
	n=$(( $(img_hdr_size "$GOOD") + 20 ))
	head -c "$n" "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
	restore_fails "$BATS_TEST_TMPDIR/t.img" "(truncat|incomplete|short)"
}

# bats test_tags=image
@test "an image truncated in the middle of the page data is refused" {
	require_image
	n=$(img_offset "$GOOD" pages)
	head -c "$n" "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
	restore_fails "$BATS_TEST_TMPDIR/t.img" "(truncat|incomplete|short)"
}

# bats test_tags=image
@test "an image without its END record is refused" {
	require_image
	n=$(( $(img_offset "$GOOD" end) - 16 ))
	head -c "$n" "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
	restore_fails "$BATS_TEST_TMPDIR/t.img" "(truncat|incomplete|short)"
}

# bats test_tags=image
@test "an image missing its last byte is refused" {
	require_image
	n=$(( $(stat -c %s "$GOOD") - 1 ))
	head -c "$n" "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
	restore_fails "$BATS_TEST_TMPDIR/t.img" "(truncat|incomplete|short)"
}

@test "an image with a byte changed in the header is refused" {
	img_flip "$GOOD" "$BATS_TEST_TMPDIR/c.img" 60
	restore_fails "$BATS_TEST_TMPDIR/c.img" "(crc|checksum|corrupt)"
}

@test "an image with a byte changed in the first record is refused" {
	img_flip "$GOOD" "$BATS_TEST_TMPDIR/c.img" "$(img_offset "$GOOD" first-record)"
	restore_fails "$BATS_TEST_TMPDIR/c.img" "(crc|checksum|corrupt)"
}

@test "an image with a byte changed in the page data is refused" {
	img_flip "$GOOD" "$BATS_TEST_TMPDIR/c.img" "$(img_offset "$GOOD" pages)"
	restore_fails "$BATS_TEST_TMPDIR/c.img" "(crc|checksum|corrupt)"
}

@test "an image with a byte changed in the END record is refused" {
	img_flip "$GOOD" "$BATS_TEST_TMPDIR/c.img" "$(img_offset "$GOOD" end)"
	restore_fails "$BATS_TEST_TMPDIR/c.img" "(crc|checksum|corrupt)"
}

@test "an image of another format version is refused, naming the version" {
	img_set_version "$GOOD" "$BATS_TEST_TMPDIR/v.img" 1
	restore_fails "$BATS_TEST_TMPDIR/v.img" "version"
}

@test "an image of another architecture is refused, naming it" {
	# struct crfs_image_hdr.arch is at offset 16: AUDIT_ARCH_AARCH64.
	img_set_u32 "$GOOD" "$BATS_TEST_TMPDIR/a.img" 16 0xc00000b7
	restore_fails "$BATS_TEST_TMPDIR/a.img" "(arch|architecture)"
}

@test "an image with another page size is refused, naming it" {
	# struct crfs_image_hdr.page_size is at offset 20.
	img_set_u32 "$GOOD" "$BATS_TEST_TMPDIR/p.img" 20 65536
	restore_fails "$BATS_TEST_TMPDIR/p.img" "page"
}

@test "a file that is not an image is refused" {
	head -c 65536 /dev/urandom >"$BATS_TEST_TMPDIR/r.img"
	restore_fails "$BATS_TEST_TMPDIR/r.img" "(magic|not a crfs image|not an image)"
}

@test "control: the good image still restores after all that" {
	ct=$(crfs_mkct good)
	crfs_restore "$ct" "$GOOD"
	run -0 ct_file "$ct" procs
	assert_output "$(cat "$GOOD.pid")"
	ct_write "$ct" state thaw
	zdtm_finish "$(cat "$GOOD.dir")" "$(cat "$GOOD.pid")"
}

# refused PROG REGEXP: PROG's checkpoint is refused; error names a pid of
# the container and matches REGEXP; the container stays frozen and, thawed,
# the program goes on and passes its own check.
refused() {
	local prog=$1 re=$2 ct pid named=

	ct=$(crfs_mkct neg)
	zdtm_start "$ct" "$prog"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "$re"
	for pid in $(ct_file "$ct" procs); do
		for tid in "/proc/$pid/task/"*; do
			[[ $output == *"${tid##*/}"* ]] && named=${tid##*/}
		done
	done
	[[ -n $named ]] ||
		fail "the error does not name a pid or tid of the container: $output"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	run -0 ct_file "$ct" events
	assert_output "$(printf 'populated 1\nfrozen 1')"
	run -0 ct_file "$ct" procs
	assert_line "$ZDTM_PID"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	run -0 ct_file "$ct" state
	assert_output "running"
	zdtm_finish
}

# bats test_tags=image
@test "a socket is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-socket "pid [0-9]+: fd [0-9]+: socket:\\[[0-9]+\\]: netlink sockets are not supported"
}

# bats test_tags=image
@test "a socket two processes of the container hold is refused without calling either outside" {
	require_image
	ZDTM_NEG_SHARED=1 refused zdtm-neg-socket "pid [0-9]+: fd [0-9]+: socket:\\[[0-9]+\\]: netlink sockets are not supported( \\(EOPNOTSUPP\\))?$"
}

# unix_refused MODE REGEXP: zdtm-neg-unix holds the socket MODE says; its
# checkpoint is refused with REGEXP, and thawed it goes on.
unix_refused() {
	ZDTM_UNIX=$1 refused zdtm-neg-unix "pid [0-9]+: fd [0-9]+: socket:\\[[0-9]+\\]: $2"
}

# bats test_tags=image
@test "a unix socket with a descriptor in flight (SCM_RIGHTS) is refused; thawed, the descriptor is still there" {
	require_image
	unix_refused inflight "descriptors in flight \\(SCM_RIGHTS sent and not yet received\\) are not supported"
}

# bats test_tags=image
@test "a unix connection waiting in a backlog whose client wrote to it is refused; thawed, its data is read" {
	require_image
	unix_refused wrote "a connection waiting in the backlog of a listening socket \\(not accepted yet\\) that has sent data is not supported yet"
}

# bats test_tags=image
@test "a unix connection waiting in a backlog whose client was closed is refused; thawed, it is accepted at its end" {
	require_image
	unix_refused gone "a connection waiting in its backlog \\(socket:\\[0\\]\\) is held by no process of the container"
}

# bats test_tags=image
@test "a unix connection accepted from a client bound to a name of its own is refused; thawed, it carries data" {
	require_image
	unix_refused bound "a connected unix socket with a name, bound before it connected, or accepted from a listening socket that is closed or outside the container: not supported yet"
}

# bats test_tags=image
@test "a unix connection accepted from a listening socket since closed is refused; thawed, it carries data" {
	require_image
	unix_refused lclosed "a connected unix socket with a name, bound before it connected, or accepted from a listening socket that is closed or outside the container: not supported yet"
}

# bats test_tags=image
@test "a unix connection waiting for a listener of a later process is refused; thawed, it writes" {
	require_image
	unix_refused early "a connection of listening socket:\\[[0-9]+\\]: it \\(or its peer\\) is held by a process before the first one holding its listening socket"
}

# bats test_tags=image
@test "a unix socket pair whose maker has exited is refused (SO_PEERCRED names it); thawed, the pair talks" {
	require_image
	unix_refused dead "SO_PEERCRED of it names pid [0-9]+ \\(as crfs sees it\\), which has exited: a restore cannot make it in that process's name"
}

# bats test_tags=image
@test "a unix socket pair made with other supplementary groups than its process has now is refused (SO_PEERGROUPS); thawed, the pair talks" {
	require_image
	unix_refused groups "SO_PEERGROUPS names 1 supplementary groups, not those of pid [0-9]+, which makes it again \\([0-9]+; a restore gives its own\\)"
}

# bats test_tags=image
@test "a unix connection a child accepted from its parent's connect() is refused (the connecting process comes before the listener's); thawed, it still talks" {
	require_image
	local ct child
	ct=$(crfs_mkct neg)
	ZDTM_UNIX=xconn zdtm_start "$ct" zdtm-neg-unix
	child=$(cat "$ZDTM_DIR/child")
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "pid $child: fd [0-9]+: socket:\\[[0-9]+\\]: a connection of listening socket:\\[[0-9]+\\]: accepted from a connect\\(\\) of a process before the first one holding its listening socket \\(a restore connect\\(\\)s again in that process, after the listener is made\\): not supported yet"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	zdtm_finish
}

# bats test_tags=image
@test "a connection waiting in a backlog connect()ed as root by a process now of euid 4242 is refused; thawed, accept() names root" {
	require_image
	local ct
	ct=$(crfs_mkct neg)
	ZDTM_UNIX=idwait zdtm_start "$ct" zdtm-neg-unix
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "pid [0-9]+: fd [0-9]+: socket:\\[[0-9]+\\]: a connection of listening socket:\\[[0-9]+\\]: a connection waiting in its backlog whose socket was made under other ids than the euid and egid of the process holding it"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	zdtm_finish
}

# bats test_tags=image
@test "a connection waiting in a backlog that a child connect()ed as euid 4242 is refused (SO_PEERCRED unknown before accept()); thawed, accept() names the child" {
	require_image
	local ct child
	ct=$(crfs_mkct neg)
	ZDTM_UNIX=xwait zdtm_start "$ct" zdtm-neg-unix
	child=$(cat "$ZDTM_DIR/child")
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "pid $child: fd [0-9]+: socket:\\[[0-9]+\\]: a connection of listening socket:\\[[0-9]+\\]: a connection waiting in its backlog held by another process than the first one holding the listener: the process that connect\\(\\)ed it, which its SO_PEERCRED after accept\\(\\) names, is not known before accept\\(\\)"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	zdtm_finish
}

# bats test_tags=image
@test "a unix connection accepted from a child's connect(), with a connection waiting in the same backlog, is refused; thawed, both are there" {
	require_image
	local ct child
	ct=$(crfs_mkct neg)
	ZDTM_UNIX=xmix zdtm_start "$ct" zdtm-neg-unix
	child=$(cat "$ZDTM_DIR/child")
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "fd [0-9]+: socket:\\[[0-9]+\\]: a connection of listening socket:\\[[0-9]+\\]: accepted from a connect\\(\\) of another process than the first one holding its listening socket, which has connections waiting in its backlog: a restore makes those first, and accept\\(\\) would take them before it: not supported yet"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	zdtm_finish
}

# bats test_tags=image
@test "a unix socket bound to a path whose file was removed is refused; thawed, it keeps its name" {
	require_image
	unix_refused unlinked "the path a unix socket is bound to no longer leads to its socket file"
}

# bats test_tags=image
@test "a datagram from a sender with a name queued on a bound unix socket is refused; thawed, it is still there" {
	require_image
	unix_refused sender "a datagram from a sender with a name, queued on an unconnected socket, is not supported yet"
}

# bats test_tags=image
@test "a datagram socket connected to a name, not connected back, is refused; thawed, it still sends" {
	require_image
	unix_refused oneway "a datagram socket marked connected without a peer \\(another socket connect\\(\\)ed to it"
}

# bats test_tags=image
@test "a datagram socket whose peer is closed is refused; thawed, it cannot send" {
	require_image
	unix_refused closed "a datagram socket marked connected without a peer \\(another socket connect\\(\\)ed to it, or its peer is closed\\)"
}

# bats test_tags=image
@test "a unix socket whose peer a process outside holds is refused, naming both ends" {
	require_image
	local ct root child
	root=$(cgroup2_root)
	[[ -n $root ]] || fail "no cgroup2 mount in /proc/self/mountinfo"
	OUT_CG=$root/crfs-test-outside.$$.$RANDOM
	mkdir "$OUT_CG"
	ct=$(crfs_mkct neg)
	ZDTM_UNIX=outside ZDTM_OUT_CG=$OUT_CG zdtm_start "$ct" zdtm-neg-unix
	child=$(cat "$ZDTM_DIR/child")
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "pid $ZDTM_PID: fd [0-9]+: socket:\\[[0-9]+\\]: its peer socket:\\[[0-9]+\\] is held by pid $child \\(zdtm-neg-unix\\), outside the container"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	zdtm_finish
}

# bats test_tags=image
@test "a pipe whose other end a process outside holds is refused, naming it; the container and the data are unharmed" {
	require_image
	local ct tmp writer

	ct=$(crfs_mkct neg)
	tmp=$(crfs_tmp)
	ZDTM_DIR=$tmp/zdtm-neg-pipe.$RANDOM
	mkdir -p "$ZDTM_DIR"
	# The writer, outside: puts "data" in the pipe and keeps its end.
	(
		crfs_close_fds
		{ printf data; echo "$BASHPID" >"$ZDTM_DIR/writer"; exec sleep 600; } |
			exec "$CRFS_BIN/crctl" -r "$CRFS_MNT" run --host-pid "$ct" -- \
				"$CRFS_ZDTM/zdtm-neg-pipe" "$ZDTM_DIR"
	) </dev/null >"$tmp/neg-pipe.out" 2>"$tmp/neg-pipe.err" 3>&- &
	wait_for "zdtm-neg-pipe to be ready" 30 zdtm_seen_start "$ZDTM_DIR"
	[[ -e $ZDTM_DIR/ready ]] || fail "not ready: $(cat "$tmp/neg-pipe.err")"
	ZDTM_PID=$(cat "$ZDTM_DIR/ready")
	writer=$(cat "$ZDTM_DIR/writer")
	TRACER=$writer
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "pid $ZDTM_PID: fd 0: pipe:\[[0-9]+\] \(pipe inode [0-9]+\): its other end held also by pid $writer \(sleep\), outside the container"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	zdtm_finish
}

# bats test_tags=image
@test "data in a pipe in packet mode are refused, the container and the packets are unharmed" {
	require_image
	refused zdtm-neg-pipe-packet "pid [0-9]+: fd [0-9]+: pipe:\[[0-9]+\] \(pipe inode [0-9]+\): data in a pipe in packet mode \(O_DIRECT\) is not supported"
}

# bats test_tags=image
@test "a POSIX message queue is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-mqueue "pid [0-9]+: fd [0-9]+: /crfs-zdtm-[0-9]+: POSIX message queues are not supported"
}

@test "a thread with credentials of its own is refused, the container is unharmed" {
	refused zdtm-neg-thread "thread [0-9]+: credentials"
}

@test "a thread whose TSC reads fault is refused, naming the thread" {
	refused zdtm-neg-thread-tsc "thread [0-9]+: .*TSC"
}

# bats test_tags=image
@test "a child moved outside the container is refused, naming it and where it is" {
	require_image
	local ct root child
	root=$(cgroup2_root)
	[[ -n $root ]] || fail "no cgroup2 mount in /proc/self/mountinfo"
	OUT_CG=$root/crfs-test-outside.$$.$RANDOM
	mkdir "$OUT_CG"
	ct=$(crfs_mkct neg)
	zdtm_start "$ct" zdtm-neg-child
	wait_for "the child of $ZDTM_PID" 10 \
		grep -q '[0-9]' "/proc/$ZDTM_PID/task/$ZDTM_PID/children"
	child=$(cat "/proc/$ZDTM_PID/task/$ZDTM_PID/children")
	child=${child%% *}
	# As `echo PID > procs` of another cgroup leaves it.
	echo "$child" >"$OUT_CG/cgroup.procs"
	run -0 ct_file "$ct" procs
	assert_output "$ZDTM_PID"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "pid $ZDTM_PID: child process $child is outside the container: a process of the container depends on it"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	zdtm_finish
}

# share_refused MODE REGEXP: zdtm-neg-share shares MODE with its child
# that left for a cgroup outside; the checkpoint refuses it (REGEXP, where
# CHILD is the child's pid), the program runs on, still sharing.
share_refused() {
	local mode=$1 re=$2 ct root child

	root=$(cgroup2_root)
	[[ -n $root ]] || fail "no cgroup2 mount in /proc/self/mountinfo"
	OUT_CG=$root/crfs-test-outside.$$.$RANDOM
	mkdir "$OUT_CG"
	ct=$(crfs_mkct neg)
	ZDTM_SHARE=$mode ZDTM_OUT_CG=$OUT_CG zdtm_start "$ct" zdtm-neg-share
	child=$(cat "$ZDTM_DIR/child")
	run -0 ct_file "$ct" procs
	assert_output "$ZDTM_PID"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "^checkpoint: pid $ZDTM_PID: ${re//CHILD/$child} \\(zdtm-neg-share\\), outside the container: a restore would part them: .+ \\(EOPNOTSUPP\\)$"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	zdtm_finish
}

@test "an address space shared with a process outside (CLONE_VM) is refused, naming it" {
	share_refused vm "process: its address space \\(clone\\(CLONE_VM\\) without CLONE_THREAD\\) is shared with pid CHILD"
}

@test "a descriptor table shared with a process outside (CLONE_FILES) is refused, naming it" {
	share_refused files "process: its descriptor table \\(clone\\(CLONE_FILES\\)\\) is shared with pid CHILD"
}

@test "a cwd, root and umask shared with a process outside (CLONE_FS) is refused, naming it" {
	share_refused fs "process: its cwd, root and umask \\(clone\\(CLONE_FS\\)\\) is shared with pid CHILD"
}

# bats test_tags=image
@test "shared anonymous memory mapped by a process outside is refused, naming it" {
	require_image
	share_refused shm "mapping [0-9a-f]+-[0-9a-f]+ \\(shared anonymous\\): its memory \\(mapped there too\\) is shared with pid CHILD"
}

@test "a file's open description (one offset) shared with a process outside is refused, naming it" {
	share_refused fd "fd [0-9]+: /.*/log: its open file description \\(one offset\\) is shared with fd [0-9]+ of pid CHILD"
}

# bats test_tags=image
@test "a second process whose parent is outside is refused, naming both roots" {
	require_image
	local ct first dir lo hi
	ct=$(crfs_mkct neg)
	zdtm_start "$ct" zdtm-counter
	first=$ZDTM_PID
	dir=$(crfs_tmp)/second.$RANDOM
	mkdir -p "$dir"
	start_in "$ct" "$CRFS_ZDTM/zdtm-pause" "$dir"
	SECOND=$STARTED_PID
	wait_in "$ct" "$SECOND"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	lo=$((first < SECOND ? first : SECOND))
	hi=$((first < SECOND ? SECOND : first))
	assert_output --regexp "^checkpoint: pid $hi: its parent [0-9]+ is outside the container, as pid $lo's \\([0-9]+\\) is: a container has one root process \\(EOPNOTSUPP\\)$"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	kill -KILL "$SECOND"
	zdtm_finish
}

# bats test_tags=image
@test "an address space shared by two processes of the container (CLONE_VM) is refused, naming both" {
	require_image
	ZDTM_SHARE=vm refused zdtm-neg-tree-share "^checkpoint: pid [0-9]+ and pid [0-9]+ share their address space \\(clone\\(CLONE_VM\\), vfork\\(\\)\\): processes sharing it are not supported yet \\(EOPNOTSUPP\\)$"
}

# bats test_tags=image
@test "a descriptor table shared by two processes whose parent does not share it (CLONE_FILES, orphaned) is refused, naming the three" {
	require_image
	ZDTM_SHARE=files-orphan refused zdtm-neg-tree-share "^checkpoint: pid [0-9]+: shares its descriptor table with pid [0-9]+, not with its parent [0-9]+: a restore can make it shared only by clone\\(CLONE_FILES\\) from its parent \\(EOPNOTSUPP\\)$"
}

# bats test_tags=image
@test "a process traced from outside is refused, naming its tracer, and runs on" {
	require_image
	local ct
	ct=$(crfs_mkct neg)
	zdtm_start "$ct" zdtm-counter
	# PTRACE_SEIZE: traced, not stopped; the tracer sleeps until killed.
	start_bg python3 -c '
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
if libc.ptrace(0x4206, int(sys.argv[1]), None, None):
    sys.exit("ptrace: errno %d" % ctypes.get_errno())
open(sys.argv[2], "w").close()
time.sleep(120)
' "$ZDTM_PID" "$BATS_TEST_TMPDIR/traced"
	TRACER=$STARTED_PID
	wait_for "the tracer to seize $ZDTM_PID" 10 test -e "$BATS_TEST_TMPDIR/traced"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "pid $ZDTM_PID: traced by pid $TRACER"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	kill -KILL "$TRACER"
	TRACER=
	zdtm_finish
}

# bats test_tags=image
@test "an alternate stack a restore would refuse is refused at checkpoint" {
	require_image
	refused zdtm-neg-altstack "alternate signal stack"
}

@test "a SIGSTOP pending in a frozen process is refused, the container is unharmed" {
	local ct
	ct=$(crfs_mkct neg)
	zdtm_start "$ct" zdtm-counter
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	kill -STOP "$ZDTM_PID"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "pid $ZDTM_PID: .*signal 19.*SIGKILL and SIGSTOP cannot be queued"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	kill -CONT "$ZDTM_PID"
	zdtm_finish
}

@test "an io_uring is refused, the container is unharmed" {
	refused zdtm-neg-uring "(io_uring|uring)"
}

@test "an LDT (modify_ldt) is refused, the container is unharmed" {
	"$CRFS_ZDTM/zdtm-neg-ldt" --probe ||
		skip "this kernel has no modify_ldt() (CONFIG_MODIFY_LDT_SYSCALL)"
	refused zdtm-neg-ldt "pid [0-9]+: has an LDT \\(modify_ldt\\(\\)\\): not restored"
}

@test "a GDT TLS entry (set_thread_area) is refused, the container is unharmed" {
	"$CRFS_ZDTM/zdtm-neg-tls" --probe ||
		skip "this kernel has no IA32 emulation (int \$0x80)"
	refused zdtm-neg-tls "tid [0-9]+: GDT TLS entry 1[234] \\(set_thread_area\\(\\), base 0x12345000, limit 0xfff\\): not restored"
}

# bats test_tags=image
@test "a dnotify (F_NOTIFY) is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-dnotify "pid [0-9]+: fd [0-9]+: .*/watched: a directory with a signal owner: it may have a dnotify \\(F_NOTIFY\\)"
}

# bats test_tags=image
@test "a signal owner (F_SETOWN) outside the process is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-fown "pid [0-9]+: fd [0-9]+: .*/owned: its signal owner \\(F_SETOWN\\) is process [0-9]+, neither the process nor one of the container holding it: not restored"
}

# bats test_tags=image
@test "a guard region (MADV_GUARD_INSTALL) is refused, the container is unharmed" {
	require_image
	# Guard regions are Linux 6.13, their pagemap bit and scan 6.15.
	[[ $(printf '6.15\n%s\n' "$(uname -r)" | sort -V | head -n 1) == 6.15 ]] ||
		skip "guard regions in pagemap need Linux 6.15 (this is $(uname -r))"
	refused zdtm-neg-guard "mapping [0-9a-f]+-[0-9a-f]+ \(anonymous\): guard regions \(MADV_GUARD_INSTALL\) are not supported"
}

# pwait_refused SIG WHO OTHER: zdtm-pwait-pending frozen, SIG sent: the
# checkpoint is refused, naming the thread whose epoll_pwait() lets SIG in
# (WHO: leader or thread); thawed, that thread handles it.  Then the
# container is checkpointed, killed and restored, and OTHER, sent while it
# is still frozen, is handled by the other thread once thawed.
pwait_refused() {
	local sig=$1 who=$2 other=$3 ct ct2 tid n img=$BATS_TEST_TMPDIR/ct.img

	ct=$(crfs_mkct neg)
	zdtm_start "$ct" zdtm-pwait-pending
	tid=$ZDTM_PID
	if [[ $who == thread ]]; then
		tid=$(ls "/proc/$ZDTM_PID/task" | grep -vx "$ZDTM_PID")
	fi
	n=$(kill -l "$sig")
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	kill -"$sig" "$ZDTM_PID"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "pid $ZDTM_PID: thread $tid: signals: signal $n is pending, which the mask of the call it returns EINTR from \(epoll_pwait\) admits and its own blocks: restored, it would stay blocked"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	wait_for "the $who to handle $sig" 10 test -e "$ZDTM_DIR/woken$(( n == 10 ? 1 : 2 ))"
	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_pid_gone "$ZDTM_PID"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$img"
	kill -"$other" "$ZDTM_PID"
	ct_write "$ct2" state thaw
	n=$(kill -l "$other")
	if ! wait_for "$other to be handled after the restore" 10 \
		test -e "$ZDTM_DIR/woken$(( n == 10 ? 1 : 2 ))"; then
		cat "$ZDTM_DIR/result" >&2 2>/dev/null
		return 1
	fi
	zdtm_finish
}

# bats test_tags=image
@test "a signal pending that the leader's epoll_pwait() lets in, its own mask not, is refused; thawed, it is handled; restored, the other thread's call returns EINTR and handles the next" {
	require_image
	pwait_refused USR2 leader USR1
}

# bats test_tags=image
@test "a signal pending that a thread's epoll_pwait() lets in, its own mask not, is refused naming the thread; thawed, it is handled; restored, the leader's call returns EINTR and handles the next" {
	require_image
	pwait_refused USR1 thread USR2
}

# bats test_tags=image
@test "a checkpoint leaves a process stopped by SIGSTOP stopped, the container unharmed" {
	require_image
	local ct

	ct=$(crfs_mkct stopped)
	zdtm_start "$ct" zdtm-counter
	kill -STOP "$ZDTM_PID"
	wait_for "pid $ZDTM_PID to stop" 10 \
		grep -q '^State:.*T' "/proc/$ZDTM_PID/status"
	crfs_checkpoint "$ct" "$BATS_TEST_TMPDIR/stopped.img"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	n=$(log_lines "$ZDTM_DIR/log")
	sleep 0.5
	run -0 grep '^State:' "/proc/$ZDTM_PID/status"
	assert_output --regexp "T \\(stopped\\)"
	[[ $(log_lines "$ZDTM_DIR/log") == "$n" ]] ||
		fail "the checkpoint let the stopped process run"
	kill -CONT "$ZDTM_PID"
	wait_for "the counter to go on" 10 log_grows "$ZDTM_DIR/log" "$n"
	zdtm_finish
}

# bats test_tags=image
@test "a seccomp filter that may ask for user notification is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-notif "user notification"
}

# img_rec_or IN OUT KIND OFFSET BITS FMT: OR BITS into the field (struct
# format FMT: Q for a u64, I for a u32) at OFFSET of the payload of the
# first record of KIND (REC_CREDS, REC_MM, ...), its crc redone.
img_rec_or() {
	img_py '
img = bytearray(open(sys.argv[1], "rb").read())
kind, fmt = globals()[sys.argv[3]], "<" + sys.argv[6]
for off, t, n in records(img):
    if t != kind:
        continue
    at = off + 16 + int(sys.argv[4])
    v = struct.unpack_from(fmt, img, at)[0] | int(sys.argv[5], 0)
    struct.pack_into(fmt, img, at, v)
    img[off + 4:off + 8] = bytes(4)
    crc = crc32c(bytes(img[off:off + 16 + n]))
    struct.pack_into("<I", img, off + 4, crc)
    break
else:
    sys.exit("no such record")
open(sys.argv[2], "wb").write(img)
' "$@"
}

# bats test_tags=image
@test "an image with capabilities the restorer does not have is refused before anything exists" {
	require_image
	# cap_bnd (payload offset 72) and cap_prm (56) with bit 62, which no
	# kernel has: never this restorer's to give.
	img_rec_or "$GOOD" "$BATS_TEST_TMPDIR/b.img" REC_CREDS 72 0x4000000000000000 Q
	restore_fails "$BATS_TEST_TMPDIR/b.img" \
		"pid [0-9]+: its bounding capabilities 0x4000000000000000 are not this restorer's to give"
	img_rec_or "$GOOD" "$BATS_TEST_TMPDIR/p.img" REC_CREDS 56 0x4000000000000000 Q
	restore_fails "$BATS_TEST_TMPDIR/p.img" \
		"pid [0-9]+: its permitted capabilities 0x4000000000000000 are not this restorer's to give"
}

# bats test_tags=image
@test "an image whose memory KSM merges whole is refused without CAP_SYS_RESOURCE" {
	require_image
	# PR_SET_MEMORY_MERGE takes CAP_SYS_RESOURCE: a restorer without it
	# cannot give it back (crfs_mm.flags, payload offset 12, bit 4).
	capsh --has-p=cap_sys_resource 2>/dev/null &&
		skip "this restorer has CAP_SYS_RESOURCE: it would restore it"
	img_rec_or "$GOOD" "$BATS_TEST_TMPDIR/k.img" REC_MM 12 0x10 I
	restore_fails "$BATS_TEST_TMPDIR/k.img" \
		"pid [0-9]+: KSM merges all its memory \\(PR_SET_MEMORY_MERGE\\): setting it again needs CAP_SYS_RESOURCE"
}

# bats test_tags=image
@test "a lease is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-lease "pid [0-9]+: fd [0-9]+: .*/leased: LEASE .*lease \\(F_SETLEASE\\) is not restored"
}

# bats test_tags=image
@test "a flock on a description only a mapping keeps is refused" {
	require_image
	refused zdtm-neg-maplock "pid [0-9]+: a FLOCK WRITE lock on inode .* none of its descriptors has"
}

# bats test_tags=image
@test "a flock() on a mapping's description, alike one on a descriptor's, is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-maplock2 "pid [0-9]+: a FLOCK READ lock on inode .* none of its descriptors has"
}

# bats test_tags=image
@test "an OFD lock on a description only a mapping keeps is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-maplock3 "pid [0-9]+: an OFD WRITE lock on inode [0-9]+:[0-9]+:[0-9]+ that it maps, and that none of the container's descriptors has"
}

# The holder of an OFD lock outside: on a file of DIR (another filesystem)
# with inode number INO, made by creating files until one has it.
OFD_HOLDER_PY='import fcntl, os, struct, sys, time
d, ino, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for k in range(100000):
    p = "%s/f%d" % (d, k)
    fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o600)
    if os.fstat(fd).st_ino == ino:
        break
    os.close(fd)
    os.unlink(p)
else:
    sys.exit("no file with inode %d" % ino)
fcntl.fcntl(fd, 37, struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 0, 10, 0))
open(ready, "w").close()
time.sleep(3600)
'

@test "an OFD lock outside on a file of another filesystem, with the inode number of a file the container maps, is not taken for its own" {
	local ct tmp ino holder rc=0 err=

	tmp=$BATS_TEST_TMPDIR
	mkdir "$tmp/a" "$tmp/b"
	mount -t tmpfs -o size=1m,mode=0700 crfs-ofd-a "$tmp/a"
	mount -t tmpfs -o size=16m,mode=0755 crfs-ofd-b "$tmp/b"
	mkdir "$tmp/b/z"
	ct=$(crfs_mkct neg)
	start_in "$ct" "$CRFS_ZDTM/zdtm-mem" "$tmp/b/z"
	ZDTM_PID=$STARTED_PID
	ZDTM_DIR=$tmp/b/z
	wait_for "zdtm-mem to be ready" 30 test -e "$tmp/b/z/ready" || rc=1
	ino=$(stat -c %i "$tmp/b/z/mem.file")
	(crfs_close_fds; exec python3 -c "$OFD_HOLDER_PY" "$tmp/a" "$ino" "$tmp/locked") \
		</dev/null >/dev/null 2>"$tmp/holder.err" 3>&- &
	holder=$!
	wait_for "the OFD lock" 10 test -e "$tmp/locked" || rc=1
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	if ((rc == 0)) && ! cat "$CRFS_MNT/$ct/image" >"$tmp/img"; then
		rc=2
		err=$(ct_file "$ct" error)
	fi
	kill "$holder"
	wait "$holder" 2>/dev/null || true
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	zdtm_finish
	wait_pid_gone "$ZDTM_PID" 20
	umount "$tmp/a" "$tmp/b"
	((rc != 1)) || fail "not set up: $(cat "$tmp/holder.err")"
	((rc == 0)) || fail "refused: $err"
}

# bats test_tags=image
@test "a lock on a device is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-devlock "pid [0-9]+: fd [0-9]+: /dev/null: a flock lock: locks are restored on regular files, memfds and directories only"
}

# ns_refused CT UNSHARE-ARGS... KIND: zdtm-counter started through
# unshare(1) with UNSHARE-ARGS is refused for its KIND namespace, the
# container stays frozen, and thawed it goes on and passes its check.
ns_refused() {
	local ct=$1 kind=${!#} dir pid
	local -a args=("${@:2:$#-2}")

	dir=$BATS_TEST_TMPDIR/ns-$kind
	mkdir -p "$dir"
	start_in "$ct" unshare "${args[@]}" -- "$CRFS_ZDTM/zdtm-counter" "$dir"
	wait_for "zdtm-counter to be ready" 30 test -e "$dir/ready"
	pid=$(cat "$dir/ready")
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "pid $pid: its $kind namespace \([0-9]+\) is not crfs's \([0-9]+\): namespaces are not checkpointed yet"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	zdtm_finish "$dir" "$pid"
}

@test "a process in a user namespace of its own is refused, not restored in crfs's with the host's capabilities" {
	ns_refused "$(crfs_mkct userns)" -U -r user
}

@test "a process in a network namespace of its own is refused, the container is unharmed" {
	ns_refused "$(crfs_mkct netns)" -n net
}

# fd5_is PID PATH: PID has PATH open at descriptor 5.
fd5_is() {
	[[ $(readlink "/proc/$1/fd/5" 2>/dev/null) == "$2" ]]
}

# bats test_tags=image
@test "a descriptor of a /proc file is refused at checkpoint, not at restore" {
	require_image
	local ct pid

	ct=$(crfs_mkct procfd)
	start_in "$ct" bash -c 'exec 5</proc/self/status && exec sleep 1000'
	pid=$STARTED_PID
	wait_for "sleep with /proc/$pid/status at fd 5" 10 \
		fd5_is "$pid" "/proc/$pid/status"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "pid $pid: fd 5: /proc/$pid/status: files of /proc are not supported"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
}

@test "TSC reads made to fault (PR_SET_TSC) are refused, the container is unharmed" {
	ZDTM_NEG_MISC=tsc refused zdtm-neg-misc "pid [0-9]+: TSC reads fault .*not the default"
}

@test "an early machine-check kill policy is refused, the container is unharmed" {
	ZDTM_NEG_MISC=mce refused zdtm-neg-misc "pid [0-9]+: machine-check kill policy .*not the default"
}

# bats test_tags=image
@test "a private futex hash of its own size is refused, the container is unharmed" {
	require_image
	ZDTM_NEG_MISC=futex refused zdtm-neg-misc "pid [0-9]+: private futex hash .*is 0x4"
}

@test "syscall user dispatch is refused, the container is unharmed" {
	ZDTM_NEG_MISC=sud refused zdtm-neg-misc "pid [0-9]+: syscall user dispatch is on"
}

@test "SCHED_DEADLINE is refused, the container is unharmed" {
	ZDTM_NEG_MISC=deadline refused zdtm-neg-misc "pid [0-9]+: thread [0-9]+: scheduling policy SCHED_DEADLINE"
}

# bats test_tags=image
@test "an image bound to a CPU this machine does not have online is refused before anything exists" {
	require_image
	# cpus_allowed[15] (THREAD payload offset 216), bit 63: CPU 1023.
	img_rec_or "$GOOD" "$BATS_TEST_TMPDIR/c.img" REC_THREAD 216 0x8000000000000000 Q
	restore_fails "$BATS_TEST_TMPDIR/c.img" \
		"pid [0-9]+: thread [0-9]+: its CPU affinity has CPU 1023, which is not online here"
}

# bats test_tags=image
@test "an epoll target whose descriptor was closed and only a child holds is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-epoll "pid [0-9]+: fd [0-9]+: anon_inode:\\[eventpoll\\]: an epoll target whose descriptor was closed and whose description no other descriptor of the process holds"
}

# bats test_tags=image
@test "an inotify instance holding events not read is refused, the container is unharmed" {
	require_image
	refused zdtm-neg-inotify "pid [0-9]+: fd [0-9]+: anon_inode:inotify: an inotify instance holding events not read"
}

# bats test_tags=image
@test "an inotify watch of a memfd is refused, nothing queued, the container is unharmed" {
	require_image
	ZDTM_NEG_INOTIFY=memfd refused zdtm-neg-inotify "pid [0-9]+: fd [0-9]+: memfd:zdtm-neg.*: a memfd watched by inotify is not supported"
}

# bats test_tags=image
@test "an inotify watch of a deleted file for IN_OPEN is refused, nothing queued, the container is unharmed" {
	require_image
	ZDTM_NEG_INOTIFY=open refused zdtm-neg-inotify "pid [0-9]+: fd [0-9]+: .*/gone: a deleted file watched by inotify for IN_OPEN, IN_ACCESS or IN_CLOSE_NOWRITE is not supported"
}

# bats test_tags=image
@test "a deleted file whose directory is watched by inotify for IN_OPEN is refused, nothing queued, the container is unharmed" {
	require_image
	ZDTM_NEG_INOTIFY=dir refused zdtm-neg-inotify "pid [0-9]+: fd [0-9]+: .*/w/gone: a deleted file whose directory inotify watches for IN_OPEN, IN_ACCESS or IN_CLOSE_NOWRITE is not supported"
}

@test "a thread with a SEM_UNDO list of its own (no CLONE_SYSVSEM) is refused, naming it" {
	refused zdtm-neg-thread-semundo "pid [0-9]+: thread [0-9]+: its SEM_UNDO list is not its process's"
}

@test "a thread in namespaces of its own (unshare in a thread) is refused, naming it" {
	refused zdtm-neg-thread-ns "pid [0-9]+: thread [0-9]+: its ipc namespace \\([0-9]+\\) is not its process's"
}

@test "a process whose main thread has exited (pthread_exit in main) is refused, saying so" {
	refused zdtm-neg-leaderexit "pid [0-9]+: its main thread has exited \\(a zombie leader"
}

# bats test_tags=image
@test "a process group led by a process outside the container is refused, naming the leader" {
	require_image
	refused zdtm-neg-pgid-out "pid [0-9]+: its process group [0-9]+ is led by pid [0-9]+ \\(.*\\), outside the container"
}

# bats test_tags=image
@test "a session of the container whose controlling terminal is outside it is refused, not dropped" {
	require_image
	local holder

	# The terminal's master, held outside the container.
	(crfs_close_fds; exec /usr/bin/python3 -c 'import os, sys, time
m, s = os.openpty()
open(sys.argv[1] + ".tmp", "w").write(os.ttyname(s))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
os.close(s)
time.sleep(600)' "$BATS_TEST_TMPDIR/pts") </dev/null >/dev/null 2>&1 3>&- &
	holder=$!
	echo "$holder" >>"$(crfs_tmp)/.crfs-pids"
	wait_for "a pseudo-terminal" 10 test -s "$BATS_TEST_TMPDIR/pts"
	ZDTM_PTS=$(cat "$BATS_TEST_TMPDIR/pts") \
		refused zdtm-neg-ctty "pid [0-9]+: its session [0-9]+ has a controlling terminal \\(/dev/pts/[0-9]+\\) that is no pseudo-terminal of the container \\(the terminal of the shell that started it\\?\\): not supported: start it with </dev/null"
	kill "$holder"
}

# bats test_tags=image
@test "TCP and UDP sockets crfs cannot bring back exactly are refused, each named, nothing consumed" {
	require_image
	local c
	declare -A why=(
		[closing]="TCP sockets (closing|whose peer has closed)"
		[waiting]="a listening socket with connections waiting"
		[queued]="data queued to be read"
		[shutdown]="a socket shut down"
		[error]="a socket error is pending"
		[mcast]="multicast group memberships"
		[ipopts]="IP options \(IP_OPTIONS\)"
		[filter]="a socket filter"
		[async]="O_ASYNC on a socket"
	)
	for c in "${!why[@]}"; do
		ZDTM_INET_CASE=$c refused zdtm-neg-inet "pid [0-9]+: fd [0-9]+: socket:\[[0-9]+\]: ${why[$c]}"
	done
}

# outside_listener FILE: a TCP listener on 127.0.0.1 outside the container,
# which accepts one connection and holds it; its port into FILE.
outside_listener() {
	(crfs_close_fds; exec python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
c, _ = s.accept()
time.sleep(120)' "$1") </dev/null >/dev/null 2>&1 3>&- &
	OUTSIDE_PID=$!
	echo "$OUTSIDE_PID" >>"$(crfs_tmp)/.crfs-pids"
	wait_for "the listener outside" 10 test -s "$1"
}

# bats test_tags=image
@test "a TCP connection to a peer outside the container is refused, naming the peer, and runs on after thaw" {
	require_image
	outside_listener "$BATS_TEST_TMPDIR/port"
	ZDTM_INET_CASE=outside ZDTM_INET_PORT=$(cat "$BATS_TEST_TMPDIR/port") \
		refused zdtm-neg-inet "pid [0-9]+: fd [0-9]+: socket:\[[0-9]+\]: a TCP connection from 127\.0\.0\.1 port [0-9]+ to 127\.0\.0\.1 port $(cat "$BATS_TEST_TMPDIR/port") \(held by pid $OUTSIDE_PID \(python3\), outside the container\), which no process of the container holds: a peer outside the container \(echo keep > peers"
	kill "$OUTSIDE_PID"
}

# bats test_tags=image
@test "a pseudo-terminal in packet mode with input not read on its slave is refused, the input stays" {
	require_image
	ZDTM_PTY=pktq refused zdtm-neg-pty "pid [0-9]+: fd 10: /dev/p[a-z/]*tmx: pseudo-terminal [0-9]+: a pair in packet mode \\(TIOCPKT\\) with data or a status change not read yet is not supported"
}

# bats test_tags=image
@test "a pseudo-terminal with a line ended by ^D not read is refused, the line read and put back as it was" {
	require_image
	ZDTM_PTY=eof refused zdtm-neg-pty "pid [0-9]+: fd 10: /dev/p[a-z/]*tmx: pseudo-terminal [0-9]+: data queued with a line ended by VEOF \\(\\^D\\) is not supported: checkpoint once it is read"
}

# bats test_tags=image
@test "a pseudo-terminal whose output is stopped (^S) is refused, it stays stopped" {
	require_image
	ZDTM_PTY=stopped refused zdtm-neg-pty "pid [0-9]+: fd 10: /dev/p[a-z/]*tmx: pseudo-terminal [0-9]+: a pair whose output is stopped \\(\\^S, tcflow\\(\\)\\) or full, with a writer blocked on it, is not supported"
}

# bats test_tags=image
@test "a pseudo-terminal master whose slave no process has, and no session's terminal, is refused" {
	require_image
	ZDTM_PTY=noslave refused zdtm-neg-pty "pid [0-9]+: fd 10: /dev/p[a-z/]*tmx: pseudo-terminal [0-9]+: its slave /dev/pts/[0-9]+ is open in no process of the container \\(closed, or held outside\\) and the pair is no session's terminal: not supported"
}

# bats test_tags=image
@test "/dev/tty of a terminal that is no longer the process's is refused" {
	require_image
	ZDTM_PTY=devtty refused zdtm-neg-pty "pid [0-9]+: fd 12: /dev/tty of /dev/pts/[0-9]+, which is not its controlling terminal \\(/dev/pts/[0-9]+\\) any more: not supported"
}

# bats test_tags=image
@test "a pseudo-terminal in another line discipline is refused" {
	require_image
	ZDTM_PTY=ldisc refused zdtm-neg-pty "pid [0-9]+: fd 11: /dev/pts/[0-9]+: a terminal with a line discipline other than N_TTY is not supported"
}

@test "a pseudo-terminal of another devpts instance is refused" {
	local dir=$BATS_TEST_TMPDIR/pts

	mkdir -p "$dir"
	mount -t devpts -o newinstance,ptmxmode=0666 devpts "$dir" ||
		skip "cannot mount a devpts instance here"
	ZDTM_PTMX=$dir/ptmx ZDTM_PTY=devpts refused zdtm-neg-pty "pid [0-9]+: fd 13: $dir/ptmx: a pseudo-terminal outside this machine's /dev/pts \\(another devpts, or another path\\) is not supported" ||
		{ umount -l "$dir"; return 1; }
	umount -l "$dir"
}

# bats test_tags=image
@test "a pseudo-terminal of the container whose slave a process outside has open is refused, naming it" {
	require_image
	local ct holder

	ct=$(crfs_mkct neg)
	ZDTM_PTY=outside zdtm_start "$ct" zdtm-neg-pty
	start_bg /usr/bin/python3 -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
open(sys.argv[2] + ".tmp", "w").write("open")
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(600)' "$(cat "$ZDTM_DIR/pts")" "$BATS_TEST_TMPDIR/held"
	holder=$STARTED_PID
	wait_for "the slave to be held outside" 20 test -e "$BATS_TEST_TMPDIR/held"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run ! cat "$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output --regexp "$(cat "$ZDTM_DIR/pts"): a pseudo-terminal of the container is also open in pid $holder \\(python3\\), outside it \\(fd [0-9]+\\): a restore would part them: not supported"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
	kill "$holder"
	zdtm_finish
}

# bats test_tags=image
@test "a refused pseudo-terminal with input beyond its line discipline (flip buffer) loses nothing" {
	require_image
	ZDTM_PTY=flip refused zdtm-pty-thaw "pid [0-9]+: fd [0-9]+: /dev/p[a-z/]*tmx: pseudo-terminal [0-9]+: .*more than 3584 bytes"
}

# bats test_tags=image
@test "a pseudo-terminal with O_ASYNC is refused naming pid and fd before its queue is read: no signal raised" {
	require_image
	ZDTM_PTY=async refused zdtm-pty-thaw "pid [0-9]+: fd [0-9]+: /dev/p[a-z/]*tmx: O_ASYNC on a terminal is not supported"
}

# bats test_tags=image
@test "a refused packet-mode pair with a literal ^S in its line keeps its output running" {
	require_image
	ZDTM_PTY=pkt refused zdtm-pty-thaw "pid [0-9]+: fd [0-9]+: /dev/p[a-z/]*tmx: pseudo-terminal [0-9]+: data queued with a pair in packet mode \\(TIOCPKT\\) with a line not ended yet"
}

# bats test_tags=image
@test "O_ASYNC with F_SETSIG on a description held at different numbers is refused (si_fd), and signals as before after thaw" {
	require_image
	refused zdtm-fown-sifd "pid [0-9]+: fd [0-9]+: socket:\\[[0-9]+\\]: O_ASYNC with a signal \\(F_SETSIG 10\\) on a description held at other numbers too \\(pid [0-9]+: fd [0-9]+\\)"
}

# bats test_tags=image
@test "a signal owner set by a caller of other uids than the owner's is refused, naming both" {
	require_image
	refused zdtm-fown-uids "pid [0-9]+: fd [0-9]+: socket:\\[[0-9]+\\]: its signal owner \\(F_SETOWN\\), pid [0-9]+ \\(uid 0, euid 0\\), was set by a caller with uid 65534, euid 65534"
}

# bats test_tags=image
@test "a session's terminal whose master alone is held, with input to its slave, is refused, the input stays" {
	require_image
	ZDTM_PTY=sess refused zdtm-pty-thaw "pid [0-9]+: fd [0-9]+: /dev/p[a-z/]*tmx: pseudo-terminal [0-9]+: data queued with input to a slave no process of the container has open \\(the pair is a session's terminal only: a restore has no slave to put it into\\) is not supported"
}
