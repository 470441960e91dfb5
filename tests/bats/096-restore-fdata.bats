#!/usr/bin/env bats
# Files whose contents are in the image: memfds and deleted (O_TMPFILE)
# files come back with their data, unlinked, where they were; what cannot
# come back so is refused with its reason.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

# cycle_to CT IMG: checkpoint CT to IMG, kill it, wait for its pid to go.
cycle_to() {
	local pid
	pid=$(ct_file "$1" procs)
	if ! crfs_checkpoint "$1" "$2"; then
		ct_file "$1" error >&2
		return 1
	fi
	ct_write "$1" state kill
	wait_empty "$1"
	wait_pid_gone "$pid"
}

# bats test_tags=image
@test "python3: a tempfile.TemporaryFile (O_TMPFILE) keeps its data across a restore" {
	require_image
	command -v python3 >/dev/null || skip "no python3"
	local ct dir img pid

	dir=$BATS_TEST_TMPDIR/py
	mkdir -p "$dir/tmp"
	ct=$(crfs_mkct src)
	TMPDIR=$dir/tmp start_in "$ct" python3 -c "
import os, sys, tempfile, time
d = sys.argv[1]
f = tempfile.TemporaryFile()
want = b''.join(b'line %d of the temporary file\n' % i for i in range(20000))
f.write(want)
f.flush()
f.seek(12345)
open(d + '/ready.tmp', 'w').write('%d\n' % os.getpid())
os.rename(d + '/ready.tmp', d + '/ready')
while not os.path.exists(d + '/go'):
    time.sleep(0.02)
rest = f.read()
f.seek(0)
ok = f.read() == want and rest == want[12345:]
open(d + '/result', 'w').write('PASS\n' if ok else 'FAIL: data differ\n')
" "$dir"
	wait_for "python3 to write its temporary file" 30 test -e "$dir/ready"
	pid=$(cat "$dir/ready")
	# The file is an O_TMPFILE: linked nowhere in $dir/tmp.
	run -0 bash -c "ls -l /proc/$pid/fd | grep -c '$dir/tmp/#[0-9]* (deleted)'"
	assert_output 1
	img=$BATS_TEST_TMPDIR/py.img
	cycle_to "$ct" "$img"
	ct=$(crfs_mkct dst)
	crfs_restore "$ct" "$img"
	run -0 bash -c "ls -l /proc/$pid/fd | grep -c '$dir/tmp/#[0-9]* (deleted)'"
	assert_output 1
	run -0 ls -A "$dir/tmp"
	assert_output ""
	ct_write "$ct" state thaw
	touch "$dir/go"
	wait_for "python3 to check its data" 30 test -e "$dir/result"
	run -0 cat "$dir/result"
	assert_output "PASS"
}

# deleted_start CT DIR: sleep in CT holding DIR/sub/f (deleted) at fd 5.
deleted_start() {
	mkdir -p "$2/sub"
	echo "the deleted file's data" >"$2/sub/f"
	start_in "$1" bash -c "exec 5<'$2/sub/f' && rm '$2/sub/f' && exec sleep 1000"
	wait_for "sleep to hold the deleted file" 10 sleep_holds_deleted \
		"$STARTED_PID" "$2/sub/f (deleted)"
}

# sleep_holds_deleted PID LINK: PID runs sleep, LINK at descriptor 5.
sleep_holds_deleted() {
	grep -q '^Name:.sleep' "/proc/$1/status" 2>/dev/null &&
		[[ $(readlink "/proc/$1/fd/5" 2>/dev/null) == "$2" ]]
}

# bats test_tags=image
@test "a deleted file whose directory is gone: the restore is refused, naming it" {
	require_image
	local ct dir img pid

	dir=$BATS_TEST_TMPDIR/gone
	ct=$(crfs_mkct src)
	deleted_start "$ct" "$dir"
	pid=$STARTED_PID
	img=$BATS_TEST_TMPDIR/gone.img
	cycle_to "$ct" "$img"
	rmdir "$dir/sub"
	ct=$(crfs_mkct dst)
	run ! crfs_restore "$ct" "$img"
	wait_for "the restore to end" 15 \
		grep -qvx restoring "$CRFS_MNT/$ct/state"
	run -0 ct_file "$ct" error
	assert_output "restore: pid $pid: deleted file $dir/sub/f: its directory $dir/sub: No such file or directory (it is gone): cannot make the file again where it was (ENOENT)"
	run -0 ct_file "$ct" procs
	assert_output ""
	# Back where it was, it restores, its data with it.
	mkdir "$dir/sub"
	crfs_rmct "$ct"
	ct=$(crfs_mkct again)
	crfs_restore "$ct" "$img"
	run -0 readlink "/proc/$pid/fd/5"
	assert_output --regexp "^$dir/sub/#[0-9]+ \(deleted\)\$"
	run -0 cat "/proc/$pid/fd/5"
	assert_output "the deleted file's data"
}

# bats test_tags=image
@test "a file deleted at one path but linked at another is refused at checkpoint" {
	require_image
	local ct dir pid

	dir=$BATS_TEST_TMPDIR/linked
	mkdir -p "$dir"
	echo data >"$dir/f"
	ln "$dir/f" "$dir/g"
	ct=$(crfs_mkct src)
	start_in "$ct" bash -c "exec 5<'$dir/f' && rm '$dir/f' && exec sleep 1000"
	pid=$STARTED_PID
	wait_for "sleep to hold the deleted file" 10 sleep_holds_deleted \
		"$pid" "$dir/f (deleted)"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run -0 bash -c "cat '$CRFS_MNT/$ct/image' 2>/dev/null | wc -c"
	assert_output "0"
	run -0 ct_file "$ct" error
	assert_output --partial "pid $pid: fd 5: $dir/f (deleted): a file deleted at this path but linked at another"
}

# bats test_tags=image
@test "a deleted file also open outside the container is refused at checkpoint, naming the holder" {
	require_image
	local ct dir pid holder

	dir=$BATS_TEST_TMPDIR/outside
	ct=$(crfs_mkct src)
	deleted_start "$ct" "$dir"
	pid=$STARTED_PID
	# A process outside the container opens the same deleted file.
	(crfs_close_fds; exec 7<"/proc/$pid/fd/5"; exec sleep 600) \
		</dev/null >/dev/null 2>&1 3>&- &
	holder=$!
	echo "$holder" >>"$BATS_TEST_TMPDIR/.crfs-pids"
	wait_for "the holder to open it" 10 test -e "/proc/$holder/fd/7"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run -0 bash -c "cat '$CRFS_MNT/$ct/image' 2>/dev/null | wc -c"
	assert_output "0"
	run -0 ct_file "$ct" error
	assert_output --partial "pid $pid: $dir/sub/f: also open or mapped in pid $holder (sleep), outside the container: its contents would be restored apart from it"
	kill "$holder"
}
