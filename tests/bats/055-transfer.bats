#!/usr/bin/env bats
# image: the result of a restore comes with the write that completes the
# image; a kill, the writer's death or a fault ends a transfer at once and
# leaves the container as it was (checkpoint) or empty (restore).

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }

# An image of zdtm-counter, the counter killed: sets CT, PID, DIR, IMG.
counter_image() {
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-counter
	PID=$ZDTM_PID
	DIR=$ZDTM_DIR
	IMG=$BATS_TEST_TMPDIR/ct.img
	crfs_checkpoint "$CT" "$IMG"
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
}

# An image of zdtm-manymaps with $1 mappings, the program killed: sets
# CT, PID, DIR, IMG (on /dev/shm when it is there: it is large).
manymaps_image() {
	local shm=/dev/shm

	[[ -d $shm && -w $shm ]] || shm=$BATS_TEST_TMPDIR
	CT=$(crfs_mkct many)
	ZDTM_MAPS=$1 zdtm_start "$CT" zdtm-manymaps
	PID=$ZDTM_PID
	DIR=$ZDTM_DIR
	IMG=$(mktemp "$shm/crfs-test.XXXXXX")
	echo "$IMG" >>"$BATS_TEST_TMPDIR/.big-files"
	crfs_checkpoint "$CT" "$IMG"
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
}

teardown() {
	# A slow reader or writer a failed test left waiting for its go.
	local p
	for p in ${READER:-} ${WRITER:-}; do
		kill -KILL "$p" 2>/dev/null || true
	done
	crfs_teardown
	# A test that lowered vm.max_map_count left the old value here.
	if [[ -f $BATS_TEST_TMPDIR/max_map_count ]]; then
		cat "$BATS_TEST_TMPDIR/max_map_count" >/proc/sys/vm/max_map_count
	fi
	if [[ -f $BATS_TEST_TMPDIR/.big-files ]]; then
		# the image and the files its slow reader or writer made beside it
		while read -r p; do
			rm -f "$p" "$p.ready" "$p.go" "$p.rc"
		done <"$BATS_TEST_TMPDIR/.big-files"
	fi
}

# set_end_count IN OUT DELTA: the trailer's record count off by DELTA,
# its crc made right again: only the trailer check can tell.
set_end_count() {
	img_py '
img = bytearray(open(sys.argv[1], "rb").read())
off, t, n = records(img)[-1]
if t != REC_END:
    sys.exit("the last record is not END")
cnt = struct.unpack_from("<Q", img, off + 16)[0]
struct.pack_into("<Q", img, off + 16, cnt + int(sys.argv[3]))
img[off + 4:off + 8] = bytes(4)
struct.pack_into("<I", img, off + 4, crc32c(bytes(img[off:off + 16 + n])))
open(sys.argv[2], "wb").write(img)
' "$@"
}

# write_held IMAGE CT: write IMAGE into CT/image in 1 MiB writes and,
# with the file still open, print each failed write's errno, then CT/state.
write_held() {
	timeout 120 python3 -c '
import os, sys
data, ct = open(sys.argv[1], "rb").read(), sys.argv[2]
fd = os.open(ct + "/image", os.O_WRONLY)
off = 0
while off < len(data):
    try:
        off += os.write(fd, data[off:off + (1 << 20)])
    except OSError as e:
        last = off + (1 << 20) >= len(data)
        print("write at %d%s: %s" % (off, " (the last)" if last else "",
                                     e.strerror))
        break
print(open(ct + "/state").read().strip())
sys.stdout.flush()
try:
    os.close(fd)
except OSError:
    pass
' "$1" "$CRFS_MNT/$2"
}

# ms_since T0: milliseconds since T0 (from ${EPOCHREALTIME/./}).
ms_since() {
	echo $(( (${EPOCHREALTIME/./} - $1) / 1000 ))
}

state_is() {
	grep -qx "$2" "$CRFS_MNT/$1/state"
}

@test "a restore that fails at the trailer fails the write that carried it" {
	counter_image
	set_end_count "$IMG" "$BATS_TEST_TMPDIR/bad.img" 1
	ct2=$(crfs_mkct dst)
	# Before any close(): the write is where writers look for errors.
	run -0 write_held "$BATS_TEST_TMPDIR/bad.img" "$ct2"
	assert_line --index 0 --regexp "^write at [0-9]+ \(the last\): Bad message$"
	assert_line --index 1 "empty"
	run -0 ct_file "$ct2" error
	assert_output --partial "trailer"
	# cat says so too, and the same image with the trailer right restores.
	run ! timeout 60 bash -c 'cat "$1" >"$2"' _ "$BATS_TEST_TMPDIR/bad.img" \
		"$CRFS_MNT/$ct2/image"
	assert_output --partial "Bad message"
	crfs_restore "$ct2" "$IMG"
	run -0 ct_file "$ct2" procs
	assert_output "$PID"
	ct_write "$ct2" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "the write that completes the image returns once the restore is done" {
	counter_image
	ct2=$(crfs_mkct dst)
	run -0 write_held "$IMG" "$ct2"
	assert_output "frozen"
	run -0 ct_file "$ct2" procs
	assert_output "$PID"
	ct_write "$ct2" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "data after the image's trailer fails the restore and leaves nothing" {
	counter_image
	cp "$IMG" "$BATS_TEST_TMPDIR/long.img"
	printf 'x' >>"$BATS_TEST_TMPDIR/long.img"
	ct2=$(crfs_mkct dst)
	run ! crfs_restore "$ct2" "$BATS_TEST_TMPDIR/long.img"
	run -0 ct_file "$ct2" error
	assert_output --partial "trailing data"
	run -0 ct_file "$ct2" state
	assert_output "empty"
	crfs_restore "$ct2" "$IMG"
	ct_write "$ct2" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "kill during a restore ends it at once and leaves nothing" {
	manymaps_image 30000
	ct2=$(crfs_mkct dst)
	(crfs_close_fds; exec cat "$IMG") >"$CRFS_MNT/$ct2/image" \
		2>"$BATS_TEST_TMPDIR/cat.err" 3>&- &
	writer=$!
	wait_in "$ct2" "$PID"
	t0=${EPOCHREALTIME/./}
	ct_write "$ct2" state kill
	ms=$(ms_since "$t0")
	echo "# kill of a restore of 30000 mappings took $ms ms" >&3
	(( ms < 1000 ))
	run -0 ct_file "$ct2" state
	assert_output "empty"
	run -0 ct_file "$ct2" procs
	assert_output ""
	run -0 ct_file "$ct2" error
	assert_output --partial "killed during the restore"
	# the writer's write() failed: cat says so and exits 1 (reaped by
	# this shell at once, or a zombie until waited for)
	if ! wait_for "the writer to exit" 30 pid_exited "$writer"; then
		fail "the writer $writer is stuck: $(cat "/proc/$writer/stat" "/proc/$writer/syscall" "/proc/$writer/wchan" 2>&1; ls -l /proc/$writer/fd 2>&1; cat "$BATS_TEST_TMPDIR/cat.err")"
	fi
	rc=0
	wait "$writer" || rc=$?
	[[ $rc == 1 ]] || fail "the writer's status is $rc: $(cat "$BATS_TEST_TMPDIR/cat.err")"
	# Nothing left: the image restores again, whole.
	wait_pid_gone "$PID"
	ct3=$(crfs_mkct again)
	crfs_restore "$ct3" "$IMG"
	ct_write "$ct3" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "the writer's death ends a restore at once and leaves nothing" {
	manymaps_image 30000
	ct2=$(crfs_mkct dst)
	(crfs_close_fds; exec cat "$IMG") >"$CRFS_MNT/$ct2/image" 3>&- &
	writer=$!
	wait_in "$ct2" "$PID"
	t0=${EPOCHREALTIME/./}
	kill -KILL "$writer"
	wait "$writer" || true
	wait_for "the restore to end" 5 state_is "$ct2" empty
	ms=$(ms_since "$t0")
	echo "# the end of a restore after its writer's death took $ms ms" >&3
	(( ms < 1000 ))
	run -0 ct_file "$ct2" procs
	assert_output ""
	run -0 ct_file "$ct2" error
	assert_output --regexp "(writer|truncated)"
	rmdir "$CRFS_MNT/$ct2"
	wait_pid_gone "$PID"
	ct3=$(crfs_mkct again)
	crfs_restore "$ct3" "$IMG"
	ct_write "$ct3" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "a checkpoint whose output fills up leaves the container frozen and whole" {
	zdtm_frozen src zdtm-mem
	# /dev/full: every write fails with ENOSPC.
	run ! bash -c 'cat "$1" >/dev/full' _ "$CRFS_MNT/$CT/image"
	wait_for "the checkpoint to end" 10 state_is "$CT" frozen
	run -0 ct_file "$CT" events
	assert_output "$(printf 'populated 1\nfrozen 1')"
	cat "$CRFS_MNT/$CT/image" >"$BATS_TEST_TMPDIR/ct.img"
	run -0 "$CRFS_BIN/crfs-image" verify "$BATS_TEST_TMPDIR/ct.img"
	ct_write "$CT" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "a second reader of a checkpoint under way is refused; the first goes on" {
	zdtm_frozen src zdtm-mem
	out=$BATS_TEST_TMPDIR/part
	slow_reader "$CRFS_MNT/$CT/image" "$out" 65536
	run ! cat "$CRFS_MNT/$CT/image"
	assert_output --partial "busy"
	run ! rmdir "$CRFS_MNT/$CT"
	run -0 reader_go "$out"
	assert_output "0"
	run -0 "$CRFS_BIN/crfs-image" verify "$out"
	wait_for "the checkpoint to end" 10 state_is "$CT" frozen
	ct_write "$CT" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "the process killed during its checkpoint: the reader gets an error" {
	zdtm_frozen src zdtm-mem
	out=$BATS_TEST_TMPDIR/part
	slow_reader "$CRFS_MNT/$CT/image" "$out" 65536
	kill -KILL "$PID"
	run -0 reader_go "$out"
	assert_output "Input/output error"
	wait_pid_gone "$PID"
	wait_empty "$CT"
	run -0 ct_file "$CT" error
	assert_output --partial "checkpoint"
	run -0 ct_file "$CT" state
	assert_output "empty"
}

@test "kill during a checkpoint: the reader gets an error, the container empties" {
	zdtm_frozen src zdtm-mem
	out=$BATS_TEST_TMPDIR/part
	slow_reader "$CRFS_MNT/$CT/image" "$out" 65536
	t0=${EPOCHREALTIME/./}
	ct_write "$CT" state kill
	ms=$(ms_since "$t0")
	echo "# kill of a checkpoint under way took $ms ms" >&3
	(( ms < 1000 ))
	run -0 reader_go "$out"
	assert_output "Input/output error"
	run -0 ct_file "$CT" state
	assert_output "empty"
	run -0 ct_file "$CT" error
	assert_output --partial "killed during the checkpoint"
	wait_pid_gone "$PID"
}

@test "an image with more mappings than vm.max_map_count is refused before anything exists" {
	[[ -w /proc/sys/vm/max_map_count ]] ||
		skip "vm.max_map_count is not writable here"
	manymaps_image 30000
	old=$(cat /proc/sys/vm/max_map_count)
	echo "$old" >"$BATS_TEST_TMPDIR/max_map_count"
	echo 20000 >/proc/sys/vm/max_map_count
	ct2=$(crfs_mkct dst)
	run ! crfs_restore "$ct2" "$IMG"
	echo "$old" >/proc/sys/vm/max_map_count
	rm "$BATS_TEST_TMPDIR/max_map_count"
	run -0 ct_file "$ct2" error
	assert_output --regexp "pid $PID: the image has [0-9]+ mappings, vm.max_map_count allows 20000"
	run -0 ct_file "$ct2" state
	assert_output "empty"
}

@test "readers that close right after a short read: the daemon stays up" {
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-counter
	PID=$ZDTM_PID
	DIR=$ZDTM_DIR
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	# Each close races the handler that answered the read (it still
	# consumes what it sent): 200 rounds.
	run -0 timeout 300 python3 -c '
import os, sys
for i in range(200):
    fd = os.open(sys.argv[1] + "/image", os.O_RDONLY)
    os.read(fd, 100)
    os.close(fd)
    state = open(sys.argv[1] + "/state").read().strip()
    if state not in ("frozen", "checkpointing"):
        sys.exit("round %d: state %s" % (i, state))
print("ok")
' "$CRFS_MNT/$CT"
	assert_output "ok"
	wait_for "the last checkpoint to end" 10 state_is "$CT" frozen
	ct_write "$CT" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "kill while a checkpoint's open is under way: no crash, the container empties" {
	CT=$(crfs_mkct many)
	ZDTM_MAPS=30000 zdtm_start "$CT" zdtm-manymaps
	PID=$ZDTM_PID
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	# The open reads 30000 mappings from /proc before it returns.
	(crfs_close_fds; exec cat "$CRFS_MNT/$CT/image") >/dev/null \
		2>"$BATS_TEST_TMPDIR/cat.err" 3>&- &
	reader=$!
	wait_for "the checkpoint to start" 30 state_is "$CT" checkpointing
	ct_write "$CT" state kill
	run -0 ct_file "$CT" state
	assert_output "empty"
	run ! wait "$reader"
	wait_pid_gone "$PID"
	# The daemon is fine, and the container empty and thawed: a new
	# process runs in it and checkpoints.
	zdtm_start "$CT" zdtm-counter
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/ct.img"
	run -0 "$CRFS_BIN/crfs-image" verify "$BATS_TEST_TMPDIR/ct.img"
	ct_write "$CT" state thaw
	zdtm_finish
}

# pid_exited PID: PID is gone, or a zombie (/proc/PID/stat).
pid_exited() {
	local st

	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ -z $st || $st == Z ]]
}

# sigq_over PID N: more than N signals queued for PID's user (SigQ).
sigq_over() {
	local q

	q=$(awk '/^SigQ:/ { split($2, a, "/"); print a[1] }' "/proc/$1/status" 2>/dev/null)
	[[ -n $q ]] && ((q > $2))
}

# bats test_tags=image
@test "the writer's death ends a restore queueing 90000 pending signals at once" {
	# The kernel queues them in the process, before the write that ends
	# the image returns: its writer is gone before it can be killed.
	require_image
	# 90000 queued signals need RLIMIT_SIGPENDING above them (a small
	# machine's default is lower: the test kernel's VM has 2 GiB)
	local lim
	lim=$(ulimit -i)
	if [[ $lim != unlimited ]] && ((lim < 92000)); then
		ulimit -i 92000 || skip "RLIMIT_SIGPENDING is $lim and cannot be raised here"
	fi
	CT=$(crfs_mkct rt)
	ZDTM_RT=90000 zdtm_start "$CT" zdtm-rtqueue
	PID=$ZDTM_PID
	DIR=$ZDTM_DIR
	IMG=$BATS_TEST_TMPDIR/rt.img
	crfs_checkpoint "$CT" "$IMG"
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
	ct2=$(crfs_mkct dst)
	(crfs_close_fds; exec cat "$IMG") >"$CRFS_MNT/$ct2/image" 3>&- &
	writer=$!
	# The process exists: its memory, then 90000 injected signals follow;
	# the writer is killed once the queueing is under way (SigQ counts
	# them: root's signals queued, the restore's first among them).
	wait_in "$ct2" "$PID"
	wait_for "signals to be queued" 30 sigq_over "$PID" 1000
	t0=${EPOCHREALTIME/./}
	kill -KILL "$writer"
	wait "$writer" || true
	wait_for "the restore to end" 5 state_is "$ct2" empty
	ms=$(ms_since "$t0")
	echo "# the end of a restore queueing signals after its writer's death took $ms ms" >&3
	(( ms < 1000 ))
	run -0 ct_file "$ct2" procs
	assert_output ""
	wait_pid_gone "$PID"
}

@test "kill during a checkpoint whose reader holds the file frees the container at once" {
	zdtm_frozen src zdtm-mem
	out=$BATS_TEST_TMPDIR/part
	# The reader read 1 MiB and waits, the file open, in no request.
	slow_reader "$CRFS_MNT/$CT/image" "$out" 1048576
	ct_write "$CT" state kill
	run -0 ct_file "$CT" state
	assert_output "empty"
	wait_pid_gone "$PID"
	# Not busy: thaw, a new process, a new checkpoint, all while the
	# first reader still holds its descriptor.
	ct_write "$CT" state thaw
	zdtm_start "$CT" zdtm-counter
	crfs_checkpoint "$CT" "$BATS_TEST_TMPDIR/ct.img"
	run -0 "$CRFS_BIN/crfs-image" verify "$BATS_TEST_TMPDIR/ct.img"
	ct_write "$CT" state thaw
	zdtm_finish
	wait_empty "$CT"
	rmdir "$CRFS_MNT/$CT"
	# The first reader gets an error; its close harms nothing.
	run -0 reader_go "$out"
	assert_output "Input/output error"
}

@test "kill during a restore whose writer holds the file: a new restore goes in at once" {
	counter_image
	ct2=$(crfs_mkct dst)
	size=$(stat -c %s "$IMG")
	slow_writer "$IMG" "$CRFS_MNT/$ct2" $((size / 2))
	ct_write "$ct2" state kill
	run -0 ct_file "$ct2" state
	assert_output "empty"
	wait_pid_gone "$PID"
	# The writer still holds its descriptor: the container takes a new
	# restore all the same.
	crfs_restore "$ct2" "$IMG"
	run -0 ct_file "$ct2" procs
	assert_output "$PID"
	# The first writer's next write fails; its close leaves the new
	# restore alone.
	touch "$IMG.go"
	wait_for "the writer to end" 30 test -e "$IMG.rc"
	run -0 cat "$IMG.rc"
	assert_output "Operation canceled"
	run -0 ct_file "$ct2" state
	assert_output "frozen"
	ct_write "$ct2" state thaw
	zdtm_finish "$DIR" "$PID"
}

# bats test_tags=image
@test "a second process writing the image after the first closed it: EBADF, and why" {
	require_image
	counter_image
	ct2=$(crfs_mkct dst)
	# head's close (a flush) ends the restore there: FUSE cannot tell the
	# last close of a shared descriptor.
	run ! timeout 60 bash -c '{ head -c 5000 "$1"; tail -c +5001 "$1"; } >"$2"' \
		_ "$IMG" "$CRFS_MNT/$ct2/image"
	assert_output --partial "Bad file descriptor"
	run -0 ct_file "$ct2" error
	assert_output --regexp "^restore: the image file was closed \(by pid [0-9]+\) after 5000 bytes: the transfer ended there; write the image from one process \(EBADF\)$"
	run -0 ct_file "$ct2" state
	assert_output "empty"
	# From one process, it restores.
	wait_pid_gone "$PID"
	crfs_restore "$ct2" "$IMG"
	ct_write "$ct2" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "bytes after the image in a later write fail that write; the restore stands" {
	counter_image
	printf 'junk' >"$BATS_TEST_TMPDIR/junk"
	ct2=$(crfs_mkct dst)
	run ! timeout 60 bash -c 'cat "$1" "$2" >"$3"' _ "$IMG" \
		"$BATS_TEST_TMPDIR/junk" "$CRFS_MNT/$ct2/image"
	assert_output --partial "Bad message"
	run -0 ct_file "$ct2" error
	assert_output "restore: $ct2: 4 bytes written after the image's trailer were ignored: the restore is done and stands (EBADMSG)"
	run -0 ct_file "$ct2" state
	assert_output "frozen"
	run -0 ct_file "$ct2" procs
	assert_output "$PID"
	ct_write "$ct2" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "image opened with access mode 3 (neither read nor write) is EINVAL" {
	ct=$(crfs_mkct ct)
	run -1 python3 -c '
import os, sys
try:
    os.close(os.open(sys.argv[1], 3))
except OSError as e:
    print(e.strerror)
    sys.exit(1)
' "$CRFS_MNT/$ct/image"
	assert_output "Invalid argument"
	run -0 ct_file "$ct" error
	assert_output "restore: open image for reading (checkpoint) or writing (restore): access mode 3 does neither (EINVAL)"
	run -0 ct_file "$ct" state
	assert_output "empty"
}

# error_has CT TEXT: does CT/error hold TEXT?
error_has() {
	grep -qF -- "$2" "$CRFS_MNT/$1/error"
}

@test "an empty image (: > image) is told only in error; the open and close succeed" {
	ct=$(crfs_mkct ct)
	# No byte moved: close() cannot carry the result (a shell's dup2()
	# and close() of the same file must stay harmless).
	: >"$CRFS_MNT/$ct/image"
	wait_for "the empty restore to end" 10 error_has "$ct" \
		"restore: image is empty (ENODATA)"
	run -0 ct_file "$ct" state
	assert_output "empty"
}
