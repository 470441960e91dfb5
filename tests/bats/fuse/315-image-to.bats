#!/usr/bin/env bats
# FUSE only: the ioctl CRFS_IOC_IMAGE_TO on a checkpoint's image file,
# with which crfs-fuse writes the image itself to the caller's descriptor
# (crctl checkpoint -o FILE).  A control file is untrusted input: every
# descriptor it does not write to (none, not open for writing, a pipe, a
# file of a FUSE mount, its own) is refused before the first byte, and
# the checkpoint is then read whole as usual; the wrong file, command or
# direction is ENOTTY.

load ../helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

setup() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		skip "crfs-fuse's ioctl; CRFS_ROOT is set (not the FUSE prototype)"
	fi
}

# A container of zdtm-mem, frozen: its name in $CT.
start_frozen() {
	CT=$(crfs_mkct ioc)
	zdtm_start "$CT" zdtm-mem
	ct_write "$CT" state freeze
	wait_frozen "$CT"
}

# hold_inode FILE: another process holds FILE's inode lock (tests/tools/
# inodehold.c): every write() to it waits, crfs-fuse's too; STARTED_PID.
hold_inode() {
	local p=${CRFS_TOOLS:-$CRFS_BIN/../tests/tools}/inodehold

	[[ -x $p ]] || p=$CRFS_REPO/build/tests/tools/inodehold
	start_bg "$p" "$1" "$1.held"
	wait_for "the inode lock held" 10 test -e "$1.held" ||
		kill -KILL "$STARTED_PID"
}

# ioc(FD, ARG[, CMD]) in python3: the ioctl CRFS_IOC_IMAGE_TO
# (_IOW(0xCF, 1, int)) on FD with *arg ARG: the errno's name when it
# fails, "ret 0", or "ret ENAME" for a positive result.
IOC_PY='import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
IOC = (1 << 30) | (4 << 16) | (0xCF << 8) | 1

def ioc(fd, arg, cmd=IOC):
    a = ctypes.c_int(arg)
    r = libc.ioctl(fd, ctypes.c_ulong(cmd), ctypes.byref(a))
    if r < 0:
        return errno.errorcode[ctypes.get_errno()]
    return "ret " + errno.errorcode.get(r, str(r))
'

# The caller: one line for each attempt on CT/image, then it reads the
# rest of the image into $2.
IOCTL_PY=$IOC_PY'
ct, rest, tmp, mnt = sys.argv[1:5]

def attempt(fd, arg, cmd=IOC):
    print(ioc(fd, arg, cmd))

img = os.open(ct + "/image", os.O_RDONLY)
attempt(img, 999)                                   # no such descriptor
ro = os.open(tmp + "/ro", os.O_RDONLY | os.O_CREAT, 0o600)
attempt(img, ro)                                    # not open for writing
r, w = os.pipe()
attempt(img, w)                                     # a pipe
st = os.open(ct + "/state", os.O_WRONLY)
attempt(img, st)                                    # a file of this FUSE mount
attempt(img, img)                                   # the image (read-only)
mfd = os.memfd_create("ioc")
attempt(img, mfd)                                   # a memfd (no mount of ours)
pth = os.open(tmp + "/ro", os.O_PATH)
attempt(img, pth)                                   # O_PATH: not open for writing
pc = os.open("/proc/self/comm", os.O_WRONLY)
attempt(img, pc)                                    # a /proc file
out = os.open(rest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
attempt(img, out, IOC + 1)                          # another command
attempt(st, out)                                    # another file
d = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY)
attempt(d, out)                                     # a directory
while True:
    b = os.read(img, 1 << 20)
    if not b:
        break
    os.write(out, b)
os.close(img)
'

# bats test_tags=image
@test "CRFS_IOC_IMAGE_TO refuses every descriptor it does not write, before the first byte; the image is then read whole" {
	require_image
	local ct tmp

	tmp=$BATS_TEST_TMPDIR
	start_frozen
	ct=$CT
	run -0 python3 -c "$IOCTL_PY" "$CRFS_MNT/$ct" "$tmp/rest" "$tmp" "$CRFS_MNT"
	assert_output "$(printf '%s\n' EBADF EBADF ENOTSUP ENOTSUP EBADF ENOTSUP EBADF ENOTSUP ENOTTY ENOTTY ENOTTY)"
	run -0 "$CRFS_BIN/crfs-image" verify "$tmp/rest"
	# the container is unharmed and its image restores
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state kill
	wait_empty "$ct"
	wait_pid_gone "$ZDTM_PID" 20
	crfs_restore "$ct" "$tmp/rest"
	ct_write "$ct" state thaw
	zdtm_finish
}

# bats test_tags=image
@test "CRFS_IOC_IMAGE_TO on a restore's image is ENOTTY and the restore goes on" {
	require_image
	local ct ct2 tmp

	tmp=$BATS_TEST_TMPDIR
	start_frozen
	ct=$CT
	crfs_checkpoint "$ct" "$tmp/img"
	ct_write "$ct" state kill
	wait_empty "$ct"
	wait_pid_gone "$ZDTM_PID" 20
	ct2=$(crfs_mkct ioc2)
	run -0 python3 -c "$IOC_PY"'
img = os.open(sys.argv[1], os.O_WRONLY)
out = os.open(sys.argv[3], os.O_WRONLY | os.O_CREAT, 0o600)
print(ioc(img, out))
src = open(sys.argv[2], "rb")
while True:
    b = src.read(1 << 20)
    if not b:
        break
    os.write(img, b)
os.close(img)
' "$CRFS_MNT/$ct2/image" "$tmp/img" "$tmp/other"
	assert_output "ENOTTY"
	ct_write "$ct2" state thaw
	zdtm_finish
}

# bats test_tags=image
@test "CRFS_IOC_IMAGE_TO writes the image at the descriptor's offset and returns 0; a full filesystem gives its errno as the result" {
	require_image
	local ct tmp small

	tmp=$BATS_TEST_TMPDIR
	start_frozen
	ct=$CT
	small=$tmp/small
	mkdir "$small"
	mount -t tmpfs -o size=64k,mode=0700 crfs-ioc-test "$small"
	run python3 -c "$IOC_PY"'
img = os.open(sys.argv[1], os.O_RDONLY)
out = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT, 0o600)
print("full:", ioc(img, out))
os.close(img)
img = os.open(sys.argv[1], os.O_RDONLY)
out = os.open(sys.argv[3], os.O_WRONLY | os.O_CREAT, 0o600)
os.write(out, b"12345678")
print(ioc(img, out), os.lseek(out, 0, os.SEEK_CUR) == os.fstat(out).st_size)
os.close(img)
' "$CRFS_MNT/$ct/image" "$small/img" "$tmp/img"
	umount "$small"
	assert_success
	assert_output "$(printf 'full: ret ENOSPC\nret 0 True')"
	tail -c +9 "$tmp/img" >"$tmp/img2"
	run -0 "$CRFS_BIN/crfs-image" verify "$tmp/img2"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	zdtm_finish
}

# bats test_tags=image
@test "CRFS_IOC_IMAGE_TO whose write to the caller's file stalls: a kill of the container still returns, and the ioctl then fails EIO" {
	require_image
	local ct tmp hold caller ok=0

	tmp=$BATS_TEST_TMPDIR
	start_frozen
	ct=$CT
	# another process holds the output file's inode lock: every write()
	# to it waits, the daemon's too, as long as that process wishes
	hold_inode "$tmp/out"
	hold=$STARTED_PID
	start_bg python3 -c "$IOC_PY"'
img = os.open(sys.argv[1], os.O_RDONLY)
out = os.open(sys.argv[2], os.O_WRONLY)
print(ioc(img, out), flush=True)
' "$CRFS_MNT/$ct/image" "$tmp/out"
	caller=$STARTED_PID
	wait_for "the caller in its ioctl" 10 grep -q '^16 ' "/proc/$caller/syscall" ||
		kill -KILL "$hold"
	sleep 1
	(crfs_close_fds; echo kill >"$CRFS_MNT/$ct/state"; echo $? >"$tmp/kill.rc") \
		</dev/null >/dev/null 2>&1 3>&- &
	wait_for "the kill to return" 10 test -s "$tmp/kill.rc" && ok=1
	kill -KILL "$hold"
	((ok)) || fail "echo kill > state hung while crfs-fuse's write to the caller's file stalled"
	run -0 cat "$tmp/kill.rc"
	assert_output "0"
	wait_empty "$ct"
	wait_pid_gone "$ZDTM_PID" 20
	# the holder gone, the write ends and the checkpoint, called off, fails
	wait_pid_gone "$caller" 20
	run -0 cat "$(crfs_tmp)"/python3.*.out
	assert_output "EIO"
	run -0 ct_file "$ct" error
	assert_output --partial "killed during the checkpoint"
}

# bats test_tags=image
@test "CRFS_IOC_IMAGE_TO is refused to a caller with a file size limit: crfs-fuse would write past it" {
	require_image
	local ct tmp

	tmp=$BATS_TEST_TMPDIR
	start_frozen
	ct=$CT
	run -0 python3 -c "$IOC_PY"'
import resource, signal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (65536, resource.RLIM_INFINITY))
img = os.open(sys.argv[1], os.O_RDONLY)
out = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT, 0o600)
print(ioc(img, out), os.fstat(out).st_size <= 65536)
os.close(img)
' "$CRFS_MNT/$ct/image" "$tmp/img"
	assert_output "ENOTSUP True"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	zdtm_finish
}

# bats test_tags=image
@test "crctl checkpoint -o FILE stopped and continued (job control) during CRFS_IOC_IMAGE_TO goes on: an interrupted ioctl is called again" {
	require_image
	local ct tmp pid i

	tmp=$BATS_TEST_TMPDIR
	start_frozen
	ct=$CT
	(crfs_close_fds; exec "$CRFS_BIN/crctl" -r "$CRFS_MNT" checkpoint "$ct" \
		-o "$tmp/img" --leave-frozen) </dev/null >"$tmp/crctl.out" \
		2>"$tmp/crctl.err" 3>&- &
	pid=$!
	# a stop signal interrupts the FUSE request; the ioctl answers EINTR
	for ((i = 0; i < 400; i++)); do
		kill -STOP "$pid" 2>/dev/null || break
		kill -CONT "$pid" 2>/dev/null || break
		sleep 0.005
	done
	wait "$pid" || fail "crctl failed: $(cat "$tmp/crctl.err")"
	run -0 "$CRFS_BIN/crfs-image" verify "$tmp/img"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state kill
	wait_empty "$ct"
	wait_pid_gone "$ZDTM_PID" 20
	crfs_restore "$ct" "$tmp/img"
	ct_write "$ct" state thaw
	zdtm_finish
}

# bats test_tags=image
@test "CRFS_IOC_IMAGE_TO after a copy of the image's descriptor was closed is EBADF, and error says who closed it" {
	require_image
	local ct tmp pid

	tmp=$BATS_TEST_TMPDIR
	start_frozen
	ct=$CT
	run -0 python3 -c "$IOC_PY"'
img = os.open(sys.argv[1], os.O_RDONLY)
os.read(img, 64)
os.close(os.dup(img))                   # its flush ends the transfer
out = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT, 0o600)
print(ioc(img, out), os.getpid())
os.close(img)
' "$CRFS_MNT/$ct/image" "$tmp/img"
	[[ $output == "EBADF "* ]] || fail "the ioctl said: $output"
	pid=${output#EBADF }
	run -0 ct_file "$ct" error
	assert_output --partial "the image file was closed (by pid $pid)"
	ct_write "$ct" state thaw
	zdtm_finish
}

# bats test_tags=image
@test "a read() of image waiting behind a stalled CRFS_IOC_IMAGE_TO can be interrupted: it does not hold a daemon thread for as long as the stall" {
	require_image
	local ct tmp hold caller ok=0

	tmp=$BATS_TEST_TMPDIR
	start_frozen
	ct=$CT
	hold_inode "$tmp/out"
	hold=$STARTED_PID
	# the parent's ioctl stalls in crfs-fuse's write; the child reads the
	# same image, is interrupted after 1 s, and says so
	start_bg python3 -c "$IOC_PY"'
import signal, time
img = os.open(sys.argv[1], os.O_RDONLY)
out = os.open(sys.argv[2], os.O_WRONLY)
if os.fork() == 0:
    time.sleep(1)
    def alarm(sig, frame):
        raise InterruptedError
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(1)
    try:
        os.read(img, 4096)
        print("read", flush=True)
    except InterruptedError:
        print("interrupted", flush=True)
    os._exit(0)
print(ioc(img, out), flush=True)
os.wait()
' "$CRFS_MNT/$ct/image" "$tmp/out"
	caller=$STARTED_PID
	wait_for "the child's read to be interrupted" 10 \
		grep -q interrupted "$(crfs_tmp)"/python3.*.out && ok=1
	kill -KILL "$hold"
	((ok)) || fail "the read waited for the stalled write: $(cat "$(crfs_tmp)"/python3.*.out)"
	wait_pid_gone "$caller" 20
	ct_write "$ct" state thaw
	zdtm_finish
}
