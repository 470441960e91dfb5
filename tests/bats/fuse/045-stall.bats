#!/usr/bin/env bats
# FUSE only: a checkpoint asks nothing of the filesystems of the files a
# process holds.  A user's FUSE server whose getattr blocks (stallfs)
# cannot hang it, nor the daemon's other requests.

load ../helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }

setup() {
	SF=$BATS_TEST_TMPDIR/sf
	FLAG=$BATS_TEST_TMPDIR/stall
	SFPID=
	STALLFS=${CRFS_TOOLS:-$CRFS_BIN/../tests/tools}/stallfs
	# The sanitizer build has no tools of its own: the plain build's.
	[[ -x $STALLFS ]] || STALLFS=$CRFS_REPO/build/tests/tools/stallfs
}

teardown() {
	rm -f "$FLAG"
	crfs_teardown
	if [[ -n $SFPID ]]; then
		fusermount3 -u "$SF" 2>/dev/null || umount -l "$SF" 2>/dev/null
		kill "$SFPID" 2>/dev/null
	fi
	true
}

# holds PID FD PATH: PID's descriptor FD is PATH.
holds() {
	[[ $(readlink "/proc/$1/fd/$2" 2>/dev/null) == "$3" ]]
}

# bats test_tags=image
@test "a file on a FUSE server whose getattr blocks does not hang a checkpoint" {
	require_image
	local ct pid rc

	mkdir -p "$SF"
	(crfs_close_fds; exec "$STALLFS" "$FLAG" "$SF" -f) \
		</dev/null >"$BATS_TEST_TMPDIR/stallfs.log" 2>&1 3>&- &
	SFPID=$!
	wait_for "stallfs to mount" 10 crfs_is_mounted "$SF"
	run -0 cat "$SF/f"
	assert_output "hello"
	ct=$(crfs_mkct stall)
	start_in "$ct" /bin/sh -c 'exec 3<"$1"; exec sleep 600' sh "$SF/f"
	pid=$STARTED_PID
	wait_for "sleep holding $SF/f" 10 holds "$pid" 3 "$SF/f"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	touch "$FLAG"
	# stat() would ask the server, and wait as long as the flag is
	# there; only the open as the process's user (res-access.c) must ask
	# it: that one is given up after 10 s, its helper not waited for.
	rc=0
	timeout 30 cat "$CRFS_MNT/$ct/image" >"$BATS_TEST_TMPDIR/img" || rc=$?
	(( rc != 124 )) || fail "the checkpoint hangs"
	if (( rc )); then
		run -0 timeout 5 cat "$CRFS_MNT/$ct/error"
		assert_output --regexp "pid $pid: cannot tell which files it could open itself: an open took more than 10000 ms"
	fi
	run -0 timeout 5 cat "$CRFS_MNT/$ct/state"
	assert_output "frozen"
	run -0 timeout 10 sh -c "echo kill >'$CRFS_MNT/$ct/state'"
	rm -f "$FLAG"
	wait_empty "$ct"
}

# bats test_tags=image
@test "a kill calls off a checkpoint whose open as the process's user waits on a stalled FUSE server" {
	require_image
	local ct pid catpid t0 t1

	mkdir -p "$SF"
	(crfs_close_fds; exec "$STALLFS" "$FLAG" "$SF" -f) \
		</dev/null >"$BATS_TEST_TMPDIR/stallfs.log" 2>&1 3>&- &
	SFPID=$!
	wait_for "stallfs to mount" 10 crfs_is_mounted "$SF"
	ct=$(crfs_mkct stallkill)
	start_in "$ct" /bin/sh -c 'exec 3<"$1"; exec sleep 600' sh "$SF/f"
	pid=$STARTED_PID
	wait_for "sleep holding $SF/f" 10 holds "$pid" 3 "$SF/f"
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	touch "$FLAG"
	(crfs_close_fds; exec timeout 30 cat "$CRFS_MNT/$ct/image") \
		>"$BATS_TEST_TMPDIR/img" 2>/dev/null 3>&- &
	catpid=$!
	sleep 0.5
	kill -0 "$catpid" 2>/dev/null || fail "the checkpoint did not wait on the stalled open"
	t0=$(date +%s%N)
	run -0 timeout 10 sh -c "echo kill >'$CRFS_MNT/$ct/state'"
	run ! wait "$catpid"
	t1=$(date +%s%N)
	echo "# kill to the reader's end: $(( (t1 - t0) / 1000000 )) ms" >&3
	# The probe's wait is 10 s; a call-off is seen within one slice.
	(( t1 - t0 < 3000000000 )) || fail "the checkpoint ran on after the kill: $(( (t1 - t0) / 1000000 )) ms"
	rm -f "$FLAG"
	wait_empty "$ct"
}
