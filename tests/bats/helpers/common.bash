# shellcheck shell=bash
#
# Common helpers of the crfs conformance suite.  Every .bats file does
#
#	load helpers/common		(or ../helpers/common)
#	setup_file()	{ crfs_setup_file; }
#	teardown_file()	{ crfs_teardown_file; }
#	teardown()	{ crfs_teardown; }
#
# Environment:
#   CRFS_BIN   crfs-fuse, crctl, crfs-image     (default <repo>/build/bin)
#   CRFS_ZDTM  the zdtm programs                (default <repo>/build/tests/zdtm)
#   CRFS_ROOT  an already mounted crfs (the kernel filesystem); unset: each
#              file mounts its own crfs-fuse on $BATS_FILE_TMPDIR/mnt
#   CRFS_NO_IMAGE  set: the crfs under test cannot checkpoint/restore at
#              all; tests that need it skip (require_image).  The VM leaves
#              the tests tagged image out instead (what the kernel crfs
#              refuses yet, tests/vm/run-kernel-suite.sh)
#
# Every wait polls a condition with a deadline; none sleeps blindly.

bats_require_minimum_version 1.5.0

CRFS_BATS_LIB=${CRFS_BATS_LIB:-/usr/lib/bats}
load "$CRFS_BATS_LIB/bats-support/load"
load "$CRFS_BATS_LIB/bats-assert/load"

CRFS_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
CRFS_BIN=${CRFS_BIN:-$CRFS_REPO/build/bin}
CRFS_ZDTM=${CRFS_ZDTM:-$CRFS_REPO/build/tests/zdtm}
export CRFS_REPO CRFS_BIN CRFS_ZDTM

# The directory for this test's files, or this file's in setup_file.
crfs_tmp() {
	echo "${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}"
}

# Close every descriptor above 2 of this shell (call in a subshell, then exec).
crfs_close_fds() {
	local fd

	for fd in "/proc/$BASHPID/fd/"*; do
		fd=${fd##*/}
		if ((fd > 2)); then
			eval "exec $fd>&-" 2>/dev/null || true
		fi
	done
}

# wait_for DESC SECONDS CMD...: poll CMD every 50 ms until it succeeds.
wait_for() {
	local desc=$1 secs=$2 deadline now
	shift 2

	deadline=$(( ${EPOCHREALTIME/./} + secs * 1000000 ))
	while ! "$@"; do
		now=${EPOCHREALTIME/./}
		if ((now > deadline)); then
			echo "timed out after ${secs}s waiting for $desc" >&2
			return 1
		fi
		sleep 0.05
	done
}

crfs_is_mounted() {
	awk -v m="$1" '$5 == m { for (i = 6; i <= NF; i++) if ($i == "-") {
		if ($(i + 1) ~ /^fuse/) found = 1; break } }
		END { exit !found }' /proc/self/mountinfo
}

crfs_alive() {
	[[ -e /proc/$1 ]] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

crfs_gone() {
	[[ ! -e /proc/$1 ]]
}

# crfs_mount_fuse DIR: start `crfs-fuse -f DIR` in the background, wait for
# the mount; sets CRFS_FUSE_PID.  The daemon gets no stray descriptor.
crfs_mount_fuse() {
	local mnt=$1 log

	log="$(crfs_tmp)/crfs-fuse.$$.$RANDOM.log"
	mkdir -p "$mnt"
	# CRFS_FUSE_WRAP: a command to start it through (setpriv ... --).
	# shellcheck disable=SC2086
	(crfs_close_fds; exec ${CRFS_FUSE_WRAP:-} "$CRFS_BIN/crfs-fuse" -f "$mnt") \
		</dev/null >"$log" 2>&1 3>&- &
	CRFS_FUSE_PID=$!
	disown "$CRFS_FUSE_PID" 2>/dev/null || true
	CRFS_FUSE_LOG=$log
	local deadline=$(( ${EPOCHREALTIME/./} + 10000000 ))
	while ! crfs_is_mounted "$mnt"; do
		if ! crfs_alive "$CRFS_FUSE_PID"; then
			echo "crfs-fuse exited before mounting $mnt:" >&2
			cat "$log" >&2
			return 1
		fi
		if (( ${EPOCHREALTIME/./} > deadline )); then
			echo "crfs-fuse did not mount $mnt in 10s" >&2
			cat "$log" >&2
			return 1
		fi
		sleep 0.05
	done
}

# crfs_umount_fuse DIR PID: stop exactly that daemon and unmount.  A
# daemon must exit at SIGTERM: that path lets its containers go and, in the
# sanitizer build, checks for leaks; one that has to be killed fails.
crfs_umount_fuse() {
	local mnt=$1 pid=$2 ret=0

	if [[ -n $pid ]] && crfs_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		if ! wait_for "crfs-fuse $pid to exit" 10 crfs_gone "$pid"; then
			echo "crfs-fuse $pid did not exit at SIGTERM: killed" >&2
			ret=1
			kill -KILL "$pid" 2>/dev/null || true
			wait_for "crfs-fuse $pid to die" 5 crfs_gone "$pid" || true
		fi
	fi
	if crfs_is_mounted "$mnt"; then
		fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -uz "$mnt"
	fi
	! crfs_is_mounted "$mnt" && return "$ret"
}

# crfs_has_image: can the crfs under test checkpoint and restore?
crfs_has_image() {
	[[ -z ${CRFS_NO_IMAGE:-} ]]
}

# require_image: skip this test when the crfs under test cannot checkpoint
# or restore yet (bats cannot skip in setup_file: there, test
# crfs_has_image before making an image).  A test that begins with it is
# tagged "# bats test_tags=image" on the line before its @test, so that
# the VM leaves it out (bats --filter-tags '!image') rather than pay a
# bats process per skip under TCG; tests/vm/image-tags.sh checks the two
# agree.
require_image() {
	crfs_has_image ||
		skip "image: CRFS_NO_IMAGE: this crfs cannot checkpoint or restore"
}

crfs_setup_file() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		export CRFS_MNT=$CRFS_ROOT
		return 0
	fi
	export CRFS_MNT=$BATS_FILE_TMPDIR/mnt
	crfs_mount_fuse "$CRFS_MNT"
	export CRFS_FUSE_PID CRFS_FUSE_LOG
}

crfs_teardown_file() {
	local d

	[[ -n ${CRFS_ROOT:-} ]] && return 0
	[[ -n ${CRFS_FUSE_PID:-} ]] || return 0
	crfs_cleanup_list "$BATS_FILE_TMPDIR"
	for d in "$CRFS_MNT"/*/; do
		[[ -f $d/state ]] && crfs_rmct "$(basename "$d")"
	done
	crfs_umount_fuse "$CRFS_MNT" "$CRFS_FUSE_PID"
}

# crfs_mkct NAME: make a container with a name unique in this run; print it.
crfs_mkct() {
	local list k name

	list="$(crfs_tmp)/.crfs-cts"
	k=$( (wc -l <"$list") 2>/dev/null || echo 0)
	name="$1-${BATS_SUITE_TEST_NUMBER:-0}.$k-$$"

	mkdir "$CRFS_MNT/$name" || return 1
	echo "$name" >>"$list"
	echo "$name"
}

crfs_populated_0() {
	grep -qx 'populated 0' "$CRFS_MNT/$1/events"
}

# crfs_rmct CT: kill whatever is in it, wait until it is empty, rmdir.
crfs_rmct() {
	local ct=$1

	[[ -d $CRFS_MNT/$ct ]] || return 0
	echo kill >"$CRFS_MNT/$ct/state" 2>/dev/null || true
	wait_for "$ct to empty" 15 crfs_populated_0 "$ct" || return 1
	wait_for "rmdir $ct" 10 rmdir "$CRFS_MNT/$ct" 2>/dev/null
}

# Kill the containers and the processes listed in DIR (a test's or the file's).
crfs_cleanup_list() {
	local dir=$1 ct pid ret=0

	if [[ -f $dir/.crfs-cts ]]; then
		while read -r ct; do
			crfs_rmct "$ct" || ret=1
		done <"$dir/.crfs-cts"
		rm -f "$dir/.crfs-cts"
	fi
	if [[ -f $dir/.crfs-pids ]]; then
		while read -r pid; do
			crfs_is_ours "$pid" && kill -KILL "$pid" 2>/dev/null
		done <"$dir/.crfs-pids"
		rm -f "$dir/.crfs-pids"
	fi
	return $ret
}

# Is PID still one of the programs this suite started?
crfs_is_ours() {
	local exe

	exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
	[[ $exe == "$CRFS_ZDTM"/* || $exe == "$CRFS_BIN"/* || $exe == */sleep ]]
}

crfs_teardown() {
	crfs_cleanup_list "$BATS_TEST_TMPDIR"
}

# wait_frozen CT [SECONDS]: until events says frozen 1.
wait_frozen() {
	wait_for "$1 to be frozen" "${2:-10}" \
		grep -qx 'frozen 1' "$CRFS_MNT/$1/events"
}

# wait_thawed CT [SECONDS]: until events says frozen 0.
wait_thawed() {
	wait_for "$1 to be thawed" "${2:-10}" \
		grep -qx 'frozen 0' "$CRFS_MNT/$1/events"
}

# wait_pid_gone PID [SECONDS]: until PID is reaped (a zombie still holds it).
wait_pid_gone() {
	wait_for "pid $1 to be gone" "${2:-15}" crfs_gone "$1"
}

# wait_empty CT [SECONDS]: until no process is left in CT.
wait_empty() {
	wait_for "$1 to be empty" "${2:-15}" crfs_populated_0 "$1"
}

# ct_file CT FILE: print a control file.
ct_file() {
	cat "$CRFS_MNT/$1/$2"
}

# ct_write CT FILE WORD: write WORD and a newline, as `echo WORD > FILE`.
ct_write() {
	echo "$3" >"$CRFS_MNT/$1/$2"
}

# start_in CT CMD...: start CMD inside CT through `crctl run`; no pipes, no
# stray descriptors.  Sets STARTED_PID (crctl execs CMD in place) and
# STARTED_ERR (its stderr file).  With CRFS_ORPHAN=1 the program is
# orphaned at once: its reaper is then PID 1, which reaps late, so its pid
# stays taken by a zombie for a while.
start_in() {
	local ct=$1 tmp name
	shift
	tmp=$(crfs_tmp)
	name=$(basename "$1").$RANDOM

	if [[ ${CRFS_ORPHAN:-0} == 1 ]]; then
		(
			crfs_close_fds
			"$CRFS_BIN/crctl" -r "$CRFS_MNT" run --host-pid "$ct" -- "$@" \
				</dev/null >"$tmp/$name.out" 2>"$tmp/$name.err" &
			echo $! >"$tmp/$name.pid"
		) </dev/null >/dev/null 2>&1 3>&-
		STARTED_PID=$(cat "$tmp/$name.pid")
	else
		(crfs_close_fds; exec "$CRFS_BIN/crctl" -r "$CRFS_MNT" run --host-pid "$ct" -- "$@") \
			</dev/null >"$tmp/$name.out" 2>"$tmp/$name.err" 3>&- &
		STARTED_PID=$!
		disown "$STARTED_PID" 2>/dev/null || true
	fi
	STARTED_ERR=$tmp/$name.err
	echo "$STARTED_PID" >>"$tmp/.crfs-pids"
}

crfs_in_procs() {
	grep -qx "$2" "$CRFS_MNT/$1/procs"
}

# wait_in CT PID: until PID shows in CT's procs.
wait_in() {
	wait_for "pid $2 in $1" 10 crfs_in_procs "$1" "$2"
}

# --- zdtm programs ---

zdtm_seen_start() {
	[[ -e $1/ready || -e $1/result || -e $1/skip ]]
}

# zdtm_start CT PROG: run PROG in CT, wait until it is ready.  Sets ZDTM_DIR
# and ZDTM_PID.  A program that finds its kernel feature missing skips.
zdtm_start() {
	local ct=$1 prog=$2

	ZDTM_DIR=$(crfs_tmp)/$prog.$RANDOM
	mkdir -p "$ZDTM_DIR"
	start_in "$ct" "$CRFS_ZDTM/$prog" "$ZDTM_DIR"
	ZDTM_PID=$STARTED_PID
	if ! wait_for "$prog to be ready" 30 zdtm_seen_start "$ZDTM_DIR"; then
		cat "$STARTED_ERR" >&2
		return 1
	fi
	if [[ -e $ZDTM_DIR/skip ]]; then
		skip "$prog: $(cat "$ZDTM_DIR/skip")"
	fi
	if [[ ! -e $ZDTM_DIR/ready ]]; then
		echo "$prog failed before it was ready: $(cat "$ZDTM_DIR/result")" >&2
		return 1
	fi
}

# zdtm_frozen NAME PROG: PROG running in a new container NAME-..., frozen.
# Sets CT, PID, DIR.
zdtm_frozen() {
	CT=$(crfs_mkct "$1") || return 1
	zdtm_start "$CT" "$2" || return 1
	PID=$ZDTM_PID
	DIR=$ZDTM_DIR
	ct_write "$CT" state freeze
	wait_frozen "$CT"
}

# ns_start CT PROG: PROG as pid 1 of a new pid namespace in CT of
# $CRFS_MNT (crctl run without --host-pid), started and ready.  Sets
# ZDTM_DIR, ZDTM_PID (its pid here) and CRCTL_PID (its parent, outside).
ns_start() {
	local ct=$1 prog=$2

	ZDTM_DIR=$(crfs_tmp)/$prog.$RANDOM
	mkdir -p "$ZDTM_DIR"
	(crfs_close_fds; exec "$CRFS_BIN/crctl" -r "$CRFS_MNT" run "$ct" -- \
		"$CRFS_ZDTM/$prog" "$ZDTM_DIR") </dev/null >"$ZDTM_DIR.out" \
		2>"$ZDTM_DIR.err" 3>&- &
	CRCTL_PID=$!
	echo "$CRCTL_PID" >>"$(crfs_tmp)/.crfs-pids"
	wait_for "$prog to be ready" 30 test -e "$ZDTM_DIR/ready" || {
		cat "$ZDTM_DIR.err" "$ZDTM_DIR/result" >&2
		return 1
	}
	ZDTM_PID=$(cat "/proc/$CRCTL_PID/task/$CRCTL_PID/children")
	ZDTM_PID=${ZDTM_PID%% *}
}

# ns_pid1 CT: the pid here of CT's pid 1 (NSpid ends with 1), checked to
# lead a pid namespace other than ours.
ns_pid1() {
	local p

	for p in $(cat "$CRFS_MNT/$1/procs"); do
		if grep -qP '^NSpid:.*\t1$' "/proc/$p/status"; then
			[[ $(readlink "/proc/$p/ns/pid") != $(readlink /proc/self/ns/pid) ]] || return 1
			echo "$p"
			return 0
		fi
	done
	return 1
}

# zdtm_finish [DIR PID]: SIGTERM the program, expect PASS in its result.
zdtm_finish() {
	local dir=${1:-$ZDTM_DIR} pid=${2:-$ZDTM_PID}

	kill -TERM "$pid"
	wait_for "$(basename "$dir") to write its result" 30 \
		test -e "$dir/result" || return 1
	run -0 cat "$dir/result"
	assert_output "PASS"
}

# usr1_thaw_finish STATEFILE DIR PID CALL: SIGUSR1 to PID while its
# container is still frozen, then thaw through STATEFILE: the handler runs
# and CALL returns (the program's DIR/woken appears), then PASS.
usr1_thaw_finish() {
	kill -USR1 "$3"
	echo thaw >"$1"
	if ! wait_for "$4 to return" 10 test -e "$2/woken"; then
		cat "$2/result" >&2 2>/dev/null
		return 1
	fi
	zdtm_finish "$2" "$3"
}

# --- checkpoint and restore through the raw files ---

# crfs_checkpoint CT FILE: freeze, wait for frozen, read the image.
crfs_checkpoint() {
	ct_write "$1" state freeze
	wait_frozen "$1"
	cat "$CRFS_MNT/$1/image" >"$2" || { cat "$CRFS_MNT/$1/error" >&2; return 1; }
}

# crfs_restore CT FILE
crfs_restore() {
	cat "$2" >"$CRFS_MNT/$1/image"
}

# --- image surgery (python: byte offsets, crc32c) ---

CRFS_IMG_PY='
import struct, sys

# Record types of include/uapi/linux/crfs.h (image format 3).
REC_FILE, REC_SHMEM, REC_MM, REC_VMA, REC_FDTABLE, REC_FD, REC_LOCK, \
    REC_FS, REC_SIGHAND, REC_TASK, REC_CREDS, REC_SIGPENDING, REC_THREAD, \
    REC_SECCOMP, REC_TIMER, REC_FILE_DATA, REC_PAGES, REC_END = range(1, 19)

def crc32c(data, crc=0):
    global TABLE
    if "TABLE" not in globals():
        TABLE = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            TABLE.append(c)
    crc ^= 0xffffffff
    for b in data:
        crc = TABLE[(crc ^ b) & 0xff] ^ (crc >> 8)
    return crc ^ 0xffffffff

def hdr_size(img):
    return struct.unpack_from("<I", img, 12)[0]

def hdr_crc_ok(img):
    h = bytearray(img[:hdr_size(img)])
    want = struct.unpack_from("<I", h, len(h) - 4)[0]
    h[-4:] = b"\0\0\0\0"
    return crc32c(bytes(h)) == want

def set_hdr_crc(img):
    n = hdr_size(img)
    img[n - 4:n] = b"\0\0\0\0"
    img[n - 4:n] = struct.pack("<I", crc32c(bytes(img[:n])))

def records(img):
    """(offset, type, len) of every record."""
    off, out = hdr_size(img), []
    while off + 16 <= len(img):
        t, c, n = struct.unpack_from("<IIQ", img, off)
        out.append((off, t, n))
        off += 16 + n
    return out
'

# img_py CODE ARGS...: run CODE after the helpers above.
img_py() {
	local code=$1
	shift
	python3 -c "$CRFS_IMG_PY
$code" "$@"
}

# img_hdr_size FILE
img_hdr_size() {
	img_py 'print(hdr_size(open(sys.argv[1], "rb").read()))' "$1"
}

# img_equal_but_time A B: equal except the header time_ns, image id and crc.
img_equal_but_time() {
	img_py '
a = bytearray(open(sys.argv[1], "rb").read())
b = bytearray(open(sys.argv[2], "rb").read())
for x in (a, b):
    n = hdr_size(x)
    x[48:72] = bytes(24)
    x[n - 4:n] = bytes(4)
if len(a) != len(b):
    sys.exit("sizes differ: %d and %d" % (len(a), len(b)))
for i in range(len(a)):
    if a[i] != b[i]:
        sys.exit("first difference at byte %d" % i)
' "$1" "$2"
}

# img_flip IN OUT OFFSET: one byte corrupted.
img_flip() {
	img_py '
img = bytearray(open(sys.argv[1], "rb").read())
img[int(sys.argv[3])] ^= 0x5a
open(sys.argv[2], "wb").write(img)
' "$@"
}

# img_set_u32 IN OUT OFFSET VALUE: a header field changed, header crc right.
img_set_u32() {
	img_py '
img = bytearray(open(sys.argv[1], "rb").read())
if not hdr_crc_ok(img):
    sys.exit("the header crc is not crc32c as expected: cannot redo it")
struct.pack_into("<I", img, int(sys.argv[3]), int(sys.argv[4], 0))
set_hdr_crc(img)
open(sys.argv[2], "wb").write(img)
' "$@"
}

# img_set_version IN OUT VERSION: another format version (offset 8).
img_set_version() {
	img_set_u32 "$1" "$2" 8 "$3"
}

# img_offset FILE WHAT: a byte offset inside: first-record, pages, end.
img_offset() {
	img_py '
img = open(sys.argv[1], "rb").read()
recs = records(img)
what = sys.argv[2]
if what == "first-record":
    print(recs[0][0] + 16 + min(4, recs[0][2] - 1))
elif what == "pages":
    p = [r for r in recs if r[1] == REC_PAGES]
    off, t, n = p[len(p) // 2]
    print(off + 16 + n // 2)
elif what == "end":
    off, t, n = recs[-1]
    if t != REC_END:
        sys.exit("the last record is not END")
    print(off + 16)
' "$@"
}

# --- crfs_make_image FILE: a good image of zdtm-counter (for setup_file).
# Writes FILE.pid (the process's pid) and FILE.dir (its zdtm directory).
crfs_make_image() {
	local img=$1 ct

	ct=$(crfs_mkct img) || return 1
	zdtm_start "$ct" zdtm-counter || return 1
	crfs_checkpoint "$ct" "$img" || return 1
	echo "$ZDTM_PID" >"$img.pid"
	echo "$ZDTM_DIR" >"$img.dir"
	ct_write "$ct" state kill
	wait_pid_gone "$ZDTM_PID" || return 1
	crfs_rmct "$ct"
}

# refute_listed DIR NAME: NAME is not in the listing of DIR.
refute_listed() {
	local name

	while read -r name; do
		[[ $name != "$2" ]] || fail "$2 is still listed in $1"
	done < <(ls -1 "$1")
}

# start_bg CMD...: start CMD outside any container, no stray descriptors.
# Sets STARTED_PID; the process is killed by crfs_teardown.
start_bg() {
	local tmp name
	tmp=$(crfs_tmp)
	name=$(basename "$1").$RANDOM

	(crfs_close_fds; exec "$@") </dev/null >"$tmp/$name.out" \
		2>"$tmp/$name.err" 3>&- &
	STARTED_PID=$!
	disown "$STARTED_PID" 2>/dev/null || true
	echo "$STARTED_PID" >>"$tmp/.crfs-pids"
}

# log_lines FILE: how many lines FILE has.
log_lines() {
	wc -l <"$1"
}

# log_grows FILE N: FILE has more than N lines.
log_grows() {
	(( $(wc -l <"$1") > $2 ))
}

# --- transfers held open half way (a close would end them) ---

# slow_reader IMAGE OUT N: read N bytes of IMAGE into OUT in the
# background, holding it open (a close would end the transfer), until
# OUT.go exists; then read the rest.  Sets READER (its pid); OUT.ready
# appears after the N bytes, OUT.rc at the end holds 0 or the errno text.
slow_reader() {
	(crfs_close_fds; exec python3 -c '
import os, sys, time
img, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    fd = os.open(img, os.O_RDONLY)
    with open(out, "wb") as f:
        while n > 0:
            b = os.read(fd, min(n, 65536))
            if not b:
                break
            f.write(b)
            n -= len(b)
        open(out + ".ready", "w").close()
        while not os.path.exists(out + ".go"):
            time.sleep(0.02)
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            f.write(b)
    os.close(fd)
    rc = "0"
except OSError as e:
    rc = e.strerror
open(out + ".rc", "w").write(rc + "\n")
' "$@") </dev/null >/dev/null 2>&1 3>&- &
	READER=$!
	wait_for "the reader to start" 30 test -e "$2.ready"
}

# reader_go OUT: let the slow reader go on; wait for its end; print its rc.
reader_go() {
	touch "$1.go"
	wait_for "the reader to end" 30 test -e "$1.rc"
	cat "$1.rc"
}

# slow_writer IMAGE CTDIR N: write the first N bytes of IMAGE into
# CTDIR/image in the background, holding it open, until IMAGE.go exists
# (IMAGE.ready appears after the N bytes); then write the rest.  Sets
# WRITER; IMAGE.rc at the end holds 0 or the errno text of the failure.
slow_writer() {
	rm -f "$1.ready" "$1.go" "$1.rc"
	(crfs_close_fds; exec python3 -c '
import os, sys, time
img, ct, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = memoryview(open(img, "rb").read())
try:
    fd = os.open(ct + "/image", os.O_WRONLY)
    off = 0
    while off < n:
        off += os.write(fd, data[off:min(n, off + (1 << 20))])
    open(img + ".ready", "w").close()
    while not os.path.exists(img + ".go"):
        time.sleep(0.02)
    while off < len(data):
        off += os.write(fd, data[off:off + (1 << 20)])
    os.close(fd)
    rc = "0"
except OSError as e:
    rc = e.strerror
open(img + ".rc", "w").write(rc + "\n")
' "$@") </dev/null >/dev/null 2>&1 3>&- &
	WRITER=$!
	wait_for "the writer to start" 30 test -e "$1.ready"
}
