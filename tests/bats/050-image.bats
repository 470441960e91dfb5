#!/usr/bin/env bats
# image: checkpoint and restore through the raw file.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

# A container running zdtm-counter: sets CT, PID, DIR, LOG.
start_counter() {
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-counter
	PID=$ZDTM_PID
	DIR=$ZDTM_DIR
	LOG=$DIR/log
}

freeze_counter() {
	ct_write "$CT" state freeze
	wait_frozen "$CT"
}

# restored_ok CT PID: frozen, holding exactly PID.
restored_ok() {
	run -0 ct_file "$1" state
	assert_output "frozen"
	run -0 ct_file "$1" events
	assert_output "$(printf 'populated 1\nfrozen 1')"
	run -0 ct_file "$1" procs
	assert_output "$2"
}

@test "checkpoint, kill, restore, thaw: the process goes on with the same pid" {
	start_counter
	img=$BATS_TEST_TMPDIR/ct.img
	crfs_checkpoint "$CT" "$img"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	n=$(log_lines "$LOG")
	ct_write "$CT" state kill
	wait_empty "$CT"
	wait_pid_gone "$PID"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$img"
	restored_ok "$ct2" "$PID"
	run -0 log_lines "$LOG"
	assert_output "$n"
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	run -0 ct_file "$ct2" state
	assert_output "running"
	wait_for "the counter to go on" 10 log_grows "$LOG" "$n"
	run -0 sed -n "$((n + 1))p" "$LOG"
	assert_output "count $((n + 1))"
	zdtm_finish "$DIR" "$PID"
}

@test "two reads of a frozen container give equal images (but the time)" {
	start_counter
	freeze_counter
	cat "$CRFS_MNT/$CT/image" >"$BATS_TEST_TMPDIR/a.img"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	cat "$CRFS_MNT/$CT/image" >"$BATS_TEST_TMPDIR/b.img"
	run -0 img_equal_but_time "$BATS_TEST_TMPDIR/a.img" "$BATS_TEST_TMPDIR/b.img"
	ct_write "$CT" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "the image of a running container is EBUSY" {
	start_counter
	run -1 cat "$CRFS_MNT/$CT/image"
	assert_output --partial "Device or resource busy"
	run -0 ct_file "$CT" state
	assert_output "running"
	zdtm_finish "$DIR" "$PID"
}

@test "the image of an empty container is EBUSY" {
	ct=$(crfs_mkct empty)
	run -1 cat "$CRFS_MNT/$ct/image"
	assert_output --partial "Device or resource busy"
}

@test "the image file has mode 0600" {
	start_counter
	run -0 stat -c %a "$CRFS_MNT/$CT/image"
	assert_output "600"
}

@test "the image is not seekable; an open left unread harms nothing" {
	start_counter
	freeze_counter
	run -0 timeout 30 python3 -c '
import errno, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
for what, call in (("lseek", lambda: os.lseek(fd, 4096, os.SEEK_SET)),
                   ("pread", lambda: os.pread(fd, 16, 4096))):
    try:
        call()
    except OSError as e:
        if e.errno != errno.ESPIPE:
            sys.exit("%s: %s, want ESPIPE" % (what, e))
    else:
        sys.exit("%s on the image worked" % what)
os.close(fd)
print("ESPIPE")
' "$CRFS_MNT/$CT/image"
	assert_output "ESPIPE"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	ct_write "$CT" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "a read stopped half way leaves the container frozen; a full read works after" {
	start_counter
	freeze_counter
	run -0 bash -c "head -c 10000 '$CRFS_MNT/$CT/image' | wc -c"
	assert_output "10000"
	wait_for "the aborted checkpoint to end" 10 \
		grep -qx frozen "$CRFS_MNT/$CT/state"
	run -0 ct_file "$CT" events
	assert_output "$(printf 'populated 1\nfrozen 1')"
	cat "$CRFS_MNT/$CT/image" >"$BATS_TEST_TMPDIR/ct.img"
	run -0 img_offset "$BATS_TEST_TMPDIR/ct.img" end
	ct_write "$CT" state thaw
	zdtm_finish "$DIR" "$PID"
}

# One process holds the image open; another close() would end the transfer.
@test "state says checkpointing while the image is read, frozen after" {
	start_counter
	freeze_counter
	run -0 timeout 30 python3 -c '
import os, sys
fd = os.open(sys.argv[1] + "/image", os.O_RDONLY)
os.read(fd, 100)
print(open(sys.argv[1] + "/state").read().strip())
os.close(fd)
' "$CRFS_MNT/$CT"
	assert_output "checkpointing"
	wait_for "the checkpoint to end" 10 grep -qx frozen "$CRFS_MNT/$CT/state"
	ct_write "$CT" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "state says restoring while the image is written, frozen after" {
	start_counter
	img=$BATS_TEST_TMPDIR/ct.img
	crfs_checkpoint "$CT" "$img"
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
	ct2=$(crfs_mkct dst)
	run -0 timeout 30 python3 -c '
import os, sys
data = open(sys.argv[2], "rb").read()
fd = os.open(sys.argv[1] + "/image", os.O_WRONLY)
os.write(fd, data[:4096])
print(open(sys.argv[1] + "/state").read().strip())
view = memoryview(data)[4096:]
while view:
    view = view[os.write(fd, view):]
os.close(fd)
' "$CRFS_MNT/$ct2" "$img"
	assert_output "restoring"
	run -0 ct_file "$ct2" state
	assert_output "frozen"
	run -0 ct_file "$ct2" procs
	assert_output "$PID"
	ct_write "$ct2" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "an image can be restored through a pipe" {
	start_counter
	img=$BATS_TEST_TMPDIR/ct.img
	crfs_checkpoint "$CT" "$img"
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
	ct2=$(crfs_mkct dst)
	cat "$img" | cat >"$CRFS_MNT/$ct2/image"
	restored_ok "$ct2" "$PID"
	ct_write "$ct2" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "a checkpoint can be piped straight into a restore" {
	start_counter
	freeze_counter
	ct2=$(crfs_mkct dst)
	# The pid is still taken: this restore must fail, and say so.
	run ! bash -c "cat '$CRFS_MNT/$CT/image' | cat >'$CRFS_MNT/$ct2/image'"
	run -0 ct_file "$ct2" error
	assert_output --partial "$PID"
	run -0 ct_file "$ct2" state
	assert_output "empty"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	ct_write "$CT" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "a restore right after the kill waits for the pid to be free" {
	CT=$(crfs_mkct src)
	DIR=$BATS_TEST_TMPDIR/counter
	mkdir "$DIR"
	# Orphaned: PID 1 reaps it, late, so its pid stays a zombie a while.
	CRFS_ORPHAN=1 start_in "$CT" "$CRFS_ZDTM/zdtm-counter" "$DIR"
	PID=$STARTED_PID
	wait_for "zdtm-counter to be ready" 30 test -e "$DIR/ready"
	img=$BATS_TEST_TMPDIR/ct.img
	crfs_checkpoint "$CT" "$img"
	ct_write "$CT" state kill
	wait_empty "$CT"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$img"
	restored_ok "$ct2" "$PID"
	ct_write "$ct2" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "a restore into a container that has a process fails and harms nothing" {
	start_counter
	img=$BATS_TEST_TMPDIR/ct.img
	crfs_checkpoint "$CT" "$img"
	ct_write "$CT" state thaw
	ct2=$(crfs_mkct busy)
	start_bg sleep 1000
	other=$STARTED_PID
	ct_write "$ct2" procs "$other"
	run ! crfs_restore "$ct2" "$img"
	run -0 ct_file "$ct2" error
	refute_output ""
	run -0 ct_file "$ct2" procs
	assert_output "$other"
	zdtm_finish "$DIR" "$PID"
}

@test "the same image restores twice, one after the other" {
	start_counter
	img=$BATS_TEST_TMPDIR/ct.img
	crfs_checkpoint "$CT" "$img"
	n=$(log_lines "$LOG")
	bytes=$(stat -c %s "$LOG")
	mtime=$(stat -c %.9Y "$LOG")
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
	for round in 1 2; do
		ct2=$(crfs_mkct "r$round")
		crfs_restore "$ct2" "$img"
		restored_ok "$ct2" "$PID"
		ct_write "$ct2" state thaw
		wait_for "the counter to go on" 10 log_grows "$LOG" "$n"
		run -0 sed -n "$((n + 1))p" "$LOG"
		assert_output "count $((n + 1))"
		ct_write "$ct2" state kill
		wait_pid_gone "$PID"
		# Back to the log as it was at the checkpoint: same inode, size
		# and mtime (the restore checks all three).
		truncate -s "$bytes" "$LOG"
		touch -m -d "@$mtime" "$LOG"
	done
}
