#!/usr/bin/env bats
# SysV IPC in the container's own IPC namespace (crctl run makes one):
# shared memory, semaphores and message queues come back with their ids,
# keys, owners and contents; what cannot come back is refused by name.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

# ipc_cycle CT PROG: checkpoint CT to $IMG, kill, restore into a new
# container, thaw.  Sets CT to the new container.
ipc_cycle() {
	local pid=$ZDTM_PID ct2

	IMG=$BATS_TEST_TMPDIR/$2.$RANDOM.img
	crfs_checkpoint "$1" "$IMG"
	ct_write "$1" state kill
	wait_empty "$1"
	wait_pid_gone "$pid"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$IMG" || { cat "$CRFS_MNT/$ct2/error" >&2; return 1; }
	run -0 ct_file "$ct2" procs
	assert_output "$pid"
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	CT=$ct2
}

@test "crctl run: the container has an IPC namespace of its own; --host-ipc keeps the caller's" {
	local ct own

	ct=$(crfs_mkct ipcns)
	own=$(readlink /proc/self/ns/ipc)
	run -0 timeout 10 "$CRFS_BIN/crctl" -r "$CRFS_MNT" run "$ct" -- readlink /proc/self/ns/ipc
	refute_output "$own"
	assert_output --regexp '^ipc:\[[0-9]+\]$'
	run -0 timeout 10 "$CRFS_BIN/crctl" -r "$CRFS_MNT" run --host-ipc "$ct" -- readlink /proc/self/ns/ipc
	assert_output "$own"
}

# bats test_tags=image
@test "zdtm-ipc: shm segments (attached, split, read-only, unattached, removed), a semaphore set and a message queue come back" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-ipc
	ipc_cycle "$CT" zdtm-ipc
	zdtm_finish
}

# ipc_refused REGEXP: the checkpoint of the program started last is
# refused, its error matching REGEXP; the container stays frozen and,
# thawed, the program goes on and passes its own check.
ipc_refused() {
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run ! cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output --regexp "$1"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}

@test "zdtm-ipc: an IPC namespace with no object keeps its sysctls" {
	CT=$(crfs_mkct src)
	ZDTM_IPC_SYSCTLS=1 zdtm_start "$CT" zdtm-ipc
	ipc_cycle "$CT" zdtm-ipc
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-ipc survives two generations: a restored namespace is checkpointed again" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-ipc
	ipc_cycle "$CT" zdtm-ipc
	ipc_cycle "$CT" zdtm-ipc
	zdtm_finish
}

# bats test_tags=image
@test "a container with its own IPC namespace restores in one of its own, not the host's" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-ipc
	ipc_cycle "$CT" zdtm-ipc
	# (The old namespace is gone: its number may come again.)
	run -0 readlink "/proc/$ZDTM_PID/ns/ipc"
	refute_output "$(readlink /proc/self/ns/ipc)"
	# Not the host's: the segment of key 0x1c0ffee is not here.
	run -0 ipcs -m
	refute_output --partial 0x01c0ffee
	zdtm_finish
}

# same_ipc_ns PID1 PID2: both are in one IPC namespace.
same_ipc_ns() {
	[[ $(readlink "/proc/$1/ns/ipc") == "$(readlink "/proc/$2/ns/ipc")" ]]
}

# bats test_tags=image
@test "a SEM_UNDO list (semadj) is refused, naming the process" {
	require_image
	CT=$(crfs_mkct neg)
	ZDTM_IPC=undo zdtm_start "$CT" zdtm-neg-ipc
	ipc_refused "^checkpoint: pid $ZDTM_PID: it has a SEM_UNDO list \\(semop\\(\\) with SEM_UNDO, or threads, which share one\\) and its IPC namespace has semaphore sets: .+ \\(EOPNOTSUPP\\)$"
}

# bats test_tags=image
@test "SysV shared memory of the host's IPC namespace is refused, naming the mapping" {
	require_image
	CT=$(crfs_mkct neg)
	ZDTM_IPC=host ZDTM_HOST_NS=/proc/$BASHPID/ns/ipc zdtm_start "$CT" zdtm-neg-ipc
	ipc_refused "^checkpoint: pid $ZDTM_PID: mapping [0-9a-f]+-[0-9a-f]+ /SYSV00000000 \\(deleted\\): SysV shared memory of crfs's own IPC namespace \\(the host's\\) is not checkpointed"
}

# bats test_tags=image
@test "an IPC namespace also used by a process outside the container is refused, naming it" {
	require_image
	local out
	CT=$(crfs_mkct neg)
	zdtm_start "$CT" zdtm-counter
	(crfs_close_fds; exec nsenter --ipc="/proc/$ZDTM_PID/ns/ipc" sleep 300) \
		</dev/null >/dev/null 2>&1 3>&- &
	out=$!
	echo "$out" >>"$(crfs_tmp)/.crfs-pids"
	wait_for "sleep $out in the IPC namespace" 10 same_ipc_ns "$out" "$ZDTM_PID"
	ipc_refused "^checkpoint: pid $ZDTM_PID: its IPC namespace \\([0-9]+\\) is also pid $out's \\(sleep\\), outside the container: .+ \\(EOPNOTSUPP\\)$"
	kill "$out"
}

# bats test_tags=image
@test "a segment attached by a process outside the container is refused, naming it" {
	require_image
	local out
	CT=$(crfs_mkct neg)
	ZDTM_IPC=shm zdtm_start "$CT" zdtm-neg-ipc
	# A process outside attaches segment 77 in the container's namespace,
	# then goes back to its own: the namespace is the container's alone.
	(crfs_close_fds; exec python3 -c '
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
own = os.open("/proc/self/ns/ipc", os.O_RDONLY)
its = os.open("/proc/%s/ns/ipc" % sys.argv[1], os.O_RDONLY)
if libc.setns(its, 0x08000000):
    sys.exit(1)
if libc.shmat(77, None, 0) in (None, ctypes.c_void_p(-1).value):
    sys.exit(1)
if libc.setns(own, 0x08000000):
    sys.exit(1)
open(sys.argv[2], "w").close()
time.sleep(300)' "$ZDTM_PID" "$ZDTM_DIR/outside") </dev/null >/dev/null 2>&1 3>&- &
	out=$!
	echo "$out" >>"$(crfs_tmp)/.crfs-pids"
	wait_for "pid $out to attach segment 77" 10 test -e "$ZDTM_DIR/outside"
	ipc_refused "^checkpoint: shm 77: attached 2 times, 1 of them in the container: attached by a process outside it \\(EOPNOTSUPP\\)$"
	kill "$out"
}

# bats test_tags=image
@test "a queue whose msg_qbytes was lowered below what it holds comes back with its messages and its limit" {
	require_image
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-msq-qbytes
	ipc_cycle "$CT" zdtm-msq-qbytes
	zdtm_finish
}

# bats test_tags=image
@test "a queue changed by a process outside while the checkpoint copies it is refused, never a crash" {
	require_image
	local out racer=${CRFS_TOOLS:-$CRFS_BIN/../tests/tools}/msqracer

	[[ -x $racer ]] || racer=$CRFS_REPO/build/tests/tools/msqracer
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-msq-race
	(crfs_close_fds; exec nsenter --ipc="/proc/$ZDTM_PID/ns/ipc" "$racer" 7e9 60) \
		</dev/null >/dev/null 2>&1 3>&- &
	out=$!
	echo "$out" >>"$(crfs_tmp)/.crfs-pids"
	wait_for "msqracer in the IPC namespace" 10 same_ipc_ns "$out" "$ZDTM_PID"
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	for _ in $(seq 1 40); do
		run ! timeout 30 cat "$CRFS_MNT/$CT/image"
		crfs_is_mounted "$CRFS_MNT" || fail "crfs-fuse is gone"
		run -0 ct_file "$CT" error
		assert_output --regexp "pid $ZDTM_PID: its IPC namespace .* is also pid $out's|msq [0-9]+: changed while the checkpoint copied it|more than one image record holds"
	done
	kill "$out"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	zdtm_finish
}
