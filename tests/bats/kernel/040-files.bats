#!/usr/bin/env bats
# The kernel crfs: bad words, oversized writes, names, the image file and
# the backing cgroup.

load ../helpers/common
load kernel

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
setup() { require_kernel; }
teardown() { crfs_teardown; }

# repeat N STRING
repeat() {
	local i out=

	for ((i = 0; i < $1; i++)); do
		out+=$2
	done
	printf '%s' "$out"
}

@test "a write of more than 64 bytes is E2BIG and the error says so" {
	ct=$(crfs_mkct big)
	for f in state procs; do
		run -1 bash -c "printf '%s' '$(repeat 65 x)' >'$CRFS_MNT/$ct/$f'"
		assert_output --partial "Argument list too long"
		run -0 ct_file "$ct" error
		assert_output "$f: a write of 65 bytes: a command is at most 64 (E2BIG)"
	done
	run -0 ct_file "$ct" state
	assert_output "empty"
}

@test "a command of exactly 64 bytes is taken" {
	ct=$(crfs_mkct big)
	start_bg sleep 1000
	pid=$STARTED_PID
	printf "%063d\n" "$pid" >"$CRFS_MNT/$ct/procs"
	run -0 ct_file "$ct" procs
	assert_output "$pid"
	printf "%63s\n" freeze >"$CRFS_MNT/$ct/state" && fail "leading blanks are not a word"
	run -0 ct_file "$ct" state
	assert_output "running"
}

@test "bad words and bad pids are EINVAL, naming what was wrong" {
	ct=$(crfs_mkct bad)
	for word in "freeze thaw" "$(printf 'freeze\tthaw')" Freeze " freeze" kil; do
		run -1 ct_write "$ct" state "$word"
		assert_output --partial "Invalid argument"
		run -0 ct_file "$ct" error
		assert_output --partial "state: bad word '"
	done
	for pid in 0x10 010a +- -1 2147483648 ' '; do
		run -1 ct_write "$ct" procs "$pid"
		assert_output --partial "Invalid argument"
	done
	# kthreadd is a kernel thread: it does not move
	run -1 ct_write "$ct" procs 2
	assert_output --partial "Invalid argument"
	run -0 ct_file "$ct" error
	assert_output --partial "procs: 2:"
}

@test "one pid a write: two pids are EINVAL and move neither" {
	ct=$(crfs_mkct many)
	start_bg sleep 1000
	p1=$STARTED_PID
	start_bg sleep 1000
	p2=$STARTED_PID
	run -1 ct_write "$ct" procs "$p1 $p2"
	run -0 ct_file "$ct" procs
	assert_output ""
	run -0 ct_file "$ct" error
	assert_output "procs: '$p1 $p2': not a pid (EINVAL)"
	ct_write "$ct" procs "$p2"
	ct_write "$ct" procs "$p1"
	run -0 bash -c "sort -n '$CRFS_MNT/$ct/procs'"
	assert_output "$(printf '%s\n' "$p1" "$p2" | sort -n)"
}

@test "image: a checkpoint of an empty container is EBUSY, a restore of no image fails at close, the reason in error" {
	ct=$(crfs_mkct img)
	run -1 cat "$CRFS_MNT/$ct/image"
	assert_output --partial "Device or resource busy"
	run -0 ct_file "$ct" error
	assert_output "checkpoint: $ct: not frozen (state empty) (EBUSY)"
	echo x >"$CRFS_MNT/$ct/image"
	run -0 ct_file "$ct" error
	assert_output "restore: $ct: the image ended before END (truncated) (EINVAL)"
	run -0 ct_file "$ct" state
	assert_output "empty"
	run -0 stat -c %a "$CRFS_MNT/$ct/image"
	assert_output "600"
}

@test "names: no spaces or control characters, at most 64 bytes" {
	run -1 mkdir "$CRFS_MNT/a b"
	assert_output --partial "Invalid argument"
	run -1 mkdir "$CRFS_MNT/$(printf 'a\tb')"
	assert_output --partial "Invalid argument"
	run -1 mkdir "$CRFS_MNT/$(repeat 65 n)"
	assert_output --partial "File name too long"
	suffix=-$BATS_SUITE_TEST_NUMBER-$$
	name=$(repeat $((64 - ${#suffix})) n)$suffix
	echo "$name" >>"$BATS_TEST_TMPDIR/.crfs-cts"
	mkdir "$CRFS_MNT/$name"
	run -0 ct_file "$name" state
	assert_output "empty"
}

@test "the files of a container are fixed: EPERM for the rest" {
	ct=$(crfs_mkct fixed)
	run -1 mkdir "$CRFS_MNT/$ct/sub"
	assert_output --partial "Operation not permitted"
	run -1 touch "$CRFS_MNT/$ct/new"
	assert_output --partial "Operation not permitted"
	run -1 touch "$CRFS_MNT/new-$$"
	assert_output --partial "Operation not permitted"
	run -1 rm -f "$CRFS_MNT/$ct/state"
	assert_output --partial "Operation not permitted"
	run -1 mv "$CRFS_MNT/$ct/state" "$CRFS_MNT/$ct/state2"
	assert_output --partial "Operation not permitted"
	run -1 rmdir "$CRFS_MNT/$ct/state"
	assert_output --partial "Not a directory"
}

@test "the backing cgroup is made by mkdir, follows the files, goes with rmdir" {
	ct=$(crfs_mkct cg)
	start_bg sleep 1000
	pid=$STARTED_PID
	ct_write "$ct" procs "$pid"
	cg=$(pid_cgroup "$pid")
	[[ $(basename "$cg") == "$ct" ]] || fail "pid $pid is in $cg"
	run -0 cat "$cg/cgroup.procs"
	assert_output "$pid"
	ct_write "$ct" state freeze
	run -0 cat "$cg/cgroup.freeze"
	assert_output "1"
	wait_frozen "$ct"
	run -0 cat "$cg/cgroup.events"
	assert_output "$(printf 'populated 1\nfrozen 1')"
	# cgroup.freeze written by someone else shows in state and events
	echo 0 >"$cg/cgroup.freeze"
	wait_thawed "$ct"
	run -0 ct_file "$ct" state
	assert_output "running"
	ct_write "$ct" state kill
	rmdir "$CRFS_MNT/$ct"
	[[ ! -d $cg ]] || fail "$cg is left after rmdir"
}

@test "poll() on state wakes up when the container freezes" {
	ct=$(crfs_mkct poll)
	start_bg sleep 1000
	ct_write "$ct" procs "$STARTED_PID"
	run -0 timeout 20 python3 -c '
import os, select, sys, threading
state = sys.argv[1]
fd = os.open(state, os.O_RDONLY)
os.pread(fd, 100, 0)
p = select.poll()
p.register(fd, select.POLLPRI)
if p.poll(0):
    sys.exit("poll() says changed before anything changed")
threading.Timer(0.2, lambda: open(state, "w").write("freeze\n")).start()
for _ in range(20):
    if not p.poll(5000):
        sys.exit("poll() did not wake up")
    text = os.pread(fd, 100, 0).decode().strip()
    if text == "frozen":
        print(text)
        break
' "$CRFS_MNT/$ct/state"
	assert_output "frozen"
}

@test "an inotify watch on events fires when the container freezes" {
	ct=$(crfs_mkct inotify)
	start_bg sleep 1000
	ct_write "$ct" procs "$STARTED_PID"
	run -0 timeout 30 python3 -c '
import ctypes, os, select, struct, sys, time
IN_MODIFY, IN_NONBLOCK, IN_CLOEXEC = 0x2, 0o4000, 0o2000000
events, state = sys.argv[1], sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
if fd < 0:
    sys.exit("inotify_init1: " + os.strerror(ctypes.get_errno()))
if libc.inotify_add_watch(fd, events.encode(), IN_MODIFY) < 0:
    sys.exit("inotify_add_watch: " + os.strerror(ctypes.get_errno()))

def modified(timeout):
    """Wait up to timeout seconds for IN_MODIFY events; drain them."""
    if not select.select([fd], [], [], timeout)[0]:
        return False
    buf = os.read(fd, 4096)
    off, mask = 0, 0
    while off < len(buf):
        _, m, _, n = struct.unpack_from("iIII", buf, off)
        mask |= m
        off += 16 + n
    return bool(mask & IN_MODIFY)

if modified(1):
    sys.exit("IN_MODIFY on events while nothing changed")
with open(state, "w") as f:
    f.write("freeze\n")
deadline = time.monotonic() + 10
while True:
    left = deadline - time.monotonic()
    if left <= 0 or not modified(left):
        sys.exit("no IN_MODIFY on events within 10 s of freeze")
    if "frozen 1" in open(events).read():
        print("frozen 1")
        break
' "$CRFS_MNT/$ct/events" "$CRFS_MNT/$ct/state"
	assert_output "frozen 1"
}
