#!/usr/bin/env bats
# FUSE only: the daemon goes away in the middle of a transfer.  A
# checkpoint's processes live on as they were; a restore leaves nothing.
# And transfers that end badly leak nothing in the daemon.

load ../helpers/common

setup() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		skip "crfs-fuse daemon tests; CRFS_ROOT is set (not the FUSE prototype)"
	fi
	CRFS_MNT=$BATS_TEST_TMPDIR/mnt
	crfs_mount_fuse "$CRFS_MNT"
}

teardown() {
	local p
	for p in ${READER:-} ${WRITER:-}; do
		kill -KILL "$p" 2>/dev/null || true
	done
	crfs_teardown
	crfs_umount_fuse "$CRFS_MNT" "$CRFS_FUSE_PID"
	if [[ -n ${NS_DAEMON:-} ]]; then
		crfs_umount_fuse "$NS_MNT" "$NS_DAEMON"
		wait_for "the pid namespace to end" 10 crfs_gone "$NS_UNSHARE" ||
			kill -KILL "$NS_UNSHARE"
	fi
	if [[ -f $BATS_TEST_TMPDIR/.big-files ]]; then
		# the image and the files its slow reader or writer made beside it
		while read -r p; do
			rm -f "$p" "$p.ready" "$p.go" "$p.rc"
		done <"$BATS_TEST_TMPDIR/.big-files"
	fi
}

# A frozen zdtm-mem (64 MiB: its image does not fit the ring): CT, PID, DIR.
frozen_mem() {
	zdtm_frozen ct zdtm-mem
}

# An image of zdtm-mem, the program killed: sets PID, DIR, IMG.
mem_image() {
	local shm=/dev/shm

	[[ -d $shm && -w $shm ]] || shm=$BATS_TEST_TMPDIR
	frozen_mem
	IMG=$(mktemp "$shm/crfs-test.XXXXXX")
	echo "$IMG" >>"$BATS_TEST_TMPDIR/.big-files"
	cat "$CRFS_MNT/$CT/image" >"$IMG"
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
}

# The daemon's open descriptors, with what they are; not the pipes that
# libfuse keeps per worker thread for splice (their number follows the load).
daemon_fds() {
	local fd what

	for fd in "/proc/$CRFS_FUSE_PID/fd/"*; do
		what=$(readlink "$fd")
		[[ $what == pipe:* ]] || echo "${fd##*/} $what"
	done
}

# The image rings the daemon has mapped (each is mapped twice).
daemon_rings() {
	echo $(( $(grep -c 'memfd:crfs-ring' "/proc/$CRFS_FUSE_PID/maps") / 2 ))
}

# remount_with OPTS: this test's daemon again, with -o OPTS.
remount_with() {
	local deadline

	crfs_umount_fuse "$CRFS_MNT" "$CRFS_FUSE_PID"
	(crfs_close_fds; exec "$CRFS_BIN/crfs-fuse" -f -o "$1" "$CRFS_MNT") \
		</dev/null >"$CRFS_FUSE_LOG" 2>&1 3>&- &
	CRFS_FUSE_PID=$!
	deadline=$(( ${EPOCHREALTIME/./} + 10000000 ))
	until crfs_is_mounted "$CRFS_MNT"; do
		if ! crfs_alive "$CRFS_FUSE_PID" || (( ${EPOCHREALTIME/./} > deadline )); then
			cat "$CRFS_FUSE_LOG" >&2
			return 1
		fi
		sleep 0.05
	done
}

@test "-o max_write above 1 MiB is held to 1 MiB: transfers work, the daemon stays" {
	remount_with max_write=8388608
	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-counter
	PID=$ZDTM_PID
	DIR=$ZDTM_DIR
	img=$BATS_TEST_TMPDIR/ct.img
	crfs_checkpoint "$CT" "$img"
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
	# Writes as large as the kernel sends.
	ct2=$(crfs_mkct dst)
	run -0 timeout 60 dd if="$img" of="$CRFS_MNT/$ct2/image" bs=8M status=none
	run -0 ct_file "$ct2" procs
	assert_output "$PID"
	crfs_alive "$CRFS_FUSE_PID" || fail "crfs-fuse died: $(cat "$CRFS_FUSE_LOG")"
	ct_write "$ct2" state thaw
	zdtm_finish "$DIR" "$PID"
}

@test "a checkpoint killed while its reader holds the file gives its ring back at once" {
	frozen_mem
	out=$BATS_TEST_TMPDIR/part
	slow_reader "$CRFS_MNT/$CT/image" "$out" 1048576
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
	# Another transfer meanwhile takes the ring the first gave back: one
	# ring in all, not two.
	ct2=$(crfs_mkct other)
	zdtm_start "$ct2" zdtm-counter
	crfs_checkpoint "$ct2" "$BATS_TEST_TMPDIR/ct.img"
	run -0 daemon_rings
	assert_output "1"
	run -0 reader_go "$out"
	assert_output "Input/output error"
	run -0 daemon_rings
	assert_output "1"
	ct_write "$ct2" state thaw
	zdtm_finish
}

# The first child of PID.
first_child() {
	local kids

	kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || return 1
	[[ -n $kids ]] && echo "${kids%% *}"
}

# mount_in_pidns: a daemon in a pid (and mount) namespace of its own, whose
# callers here are pid 0 to FUSE.  Sets NS_UNSHARE, NS_INIT (the
# namespace's first process, bash), NS_DAEMON (host pids), NS_MNT (the
# mount point inside), NS_ROOT (the mount seen from here).
mount_in_pidns() {
	NS_MNT=$BATS_TEST_TMPDIR/nsmnt
	mkdir -p "$NS_MNT"
	(crfs_close_fds; exec unshare --pid --fork --mount --mount-proc \
		bash -c '"$1" -f "$2" & wait' _ "$CRFS_BIN/crfs-fuse" "$NS_MNT") \
		</dev/null >"$BATS_TEST_TMPDIR/ns-daemon.log" 2>&1 3>&- &
	NS_UNSHARE=$!
	wait_for "the namespace's init" 10 first_child "$NS_UNSHARE"
	NS_INIT=$(first_child "$NS_UNSHARE")
	wait_for "the namespace's daemon" 10 first_child "$NS_INIT"
	NS_DAEMON=$(first_child "$NS_INIT")
	NS_ROOT=/proc/$NS_INIT/root$NS_MNT
	wait_for "the mount in the namespace" 10 \
		grep -q " $NS_MNT .* - fuse" "/proc/$NS_INIT/mountinfo"
}

# in_pidns CMD...: run CMD in the namespace of mount_in_pidns.
in_pidns() {
	nsenter -t "$NS_INIT" --pid --mount -- "$@"
}

@test "interrupts of a writer outside the daemon's pid namespace do not call the restore off" {
	mount_in_pidns
	mkdir "$NS_ROOT/src" "$NS_ROOT/dst"
	dir=$BATS_TEST_TMPDIR/manymaps
	mkdir -p "$dir"
	(crfs_close_fds; ZDTM_MAPS=30000 exec nsenter -t "$NS_INIT" --pid --mount -- \
		"$CRFS_BIN/crctl" -r "$NS_MNT" run --host-pid src -- "$CRFS_ZDTM/zdtm-manymaps" "$dir") \
		</dev/null >/dev/null 2>&1 3>&- &
	wait_for "zdtm-manymaps to be ready" 30 test -e "$dir/ready"
	echo freeze >"$NS_ROOT/src/state"
	wait_for "src to be frozen" 10 grep -qx 'frozen 1' "$NS_ROOT/src/events"
	img=$BATS_TEST_TMPDIR/ct.img
	cat "$NS_ROOT/src/image" >"$img"
	echo kill >"$NS_ROOT/src/state"
	wait_for "zdtm-manymaps to be gone" 10 grep -qx 'populated 0' "$NS_ROOT/src/events"
	# The write of the trailer waits while 30000 mappings come back; a
	# signal every 10 ms interrupts it (FUSE_INTERRUPT), from a writer
	# FUSE calls pid 0.  Not dying: the verdict is waited for.
	run -0 timeout 60 python3 -c '
import os, signal, sys
signal.signal(signal.SIGALRM, lambda s, f: None)
data = open(sys.argv[1], "rb").read()
fd = os.open(sys.argv[2], os.O_WRONLY)
signal.setitimer(signal.ITIMER_REAL, 0.01, 0.01)
off = 0
try:
    while off < len(data):
        off += os.write(fd, data[off:off + (1 << 20)])
    os.close(fd)
    res = "restored"
except OSError as e:
    res = e.strerror
signal.setitimer(signal.ITIMER_REAL, 0)
print(res)
' "$img" "$NS_ROOT/dst/image"
	assert_output "restored"
	run -0 cat "$NS_ROOT/dst/state"
	assert_output "frozen"
	run -0 cat "$NS_ROOT/dst/error"
	assert_output ""
	echo kill >"$NS_ROOT/dst/state"
}

@test "SIGKILL of the daemon in the middle of a checkpoint: the process lives on" {
	frozen_mem
	out=$BATS_TEST_TMPDIR/part
	slow_reader "$CRFS_MNT/$CT/image" "$out" 1048576
	kill -KILL "$CRFS_FUSE_PID"
	wait_pid_gone "$CRFS_FUSE_PID"
	run -0 reader_go "$out"
	refute_output "0"
	# The guardian thawed it; its memory is what it was.
	wait_for "zdtm-mem to be thawed" 15 \
		grep -q '^State:.*[SR]' "/proc/$PID/status"
	zdtm_finish "$DIR" "$PID"
}

@test "SIGKILL of the daemon in the middle of a restore leaves nothing" {
	mem_image
	ct2=$(crfs_mkct dst)
	slow_writer "$IMG" "$CRFS_MNT/$ct2" 8388608
	wait_in "$ct2" "$PID"
	kill -KILL "$CRFS_FUSE_PID"
	wait_pid_gone "$CRFS_FUSE_PID"
	touch "$IMG.go"
	wait_for "the writer to end" 30 test -e "$IMG.rc"
	run -0 cat "$IMG.rc"
	refute_output "0"
	# The half-restored process died with its tracer.
	wait_pid_gone "$PID"
}

@test "SIGTERM of the daemon in the middle of a checkpoint: the process lives on" {
	frozen_mem
	out=$BATS_TEST_TMPDIR/part
	slow_reader "$CRFS_MNT/$CT/image" "$out" 1048576
	kill -TERM "$CRFS_FUSE_PID"
	wait_pid_gone "$CRFS_FUSE_PID"
	run -0 reader_go "$out"
	refute_output "0"
	wait_for "zdtm-mem to be thawed" 15 \
		grep -q '^State:.*[SR]' "/proc/$PID/status"
	zdtm_finish "$DIR" "$PID"
}

@test "SIGTERM of the daemon in the middle of a restore leaves nothing" {
	mem_image
	ct2=$(crfs_mkct dst)
	slow_writer "$IMG" "$CRFS_MNT/$ct2" 8388608
	wait_in "$ct2" "$PID"
	kill -TERM "$CRFS_FUSE_PID"
	wait_pid_gone "$CRFS_FUSE_PID"
	touch "$IMG.go"
	wait_for "the writer to end" 30 test -e "$IMG.rc"
	run -0 cat "$IMG.rc"
	refute_output "0"
	wait_pid_gone "$PID"
}

@test "transfers that end badly leave no descriptor behind" {
	mem_image
	# Warm up: the kept ring and the worker threads are there.
	ct2=$(crfs_mkct warm)
	crfs_restore "$ct2" "$IMG"
	ct_write "$ct2" state kill
	wait_pid_gone "$PID"
	before=$(daemon_fds)
	for round in 1 2 3; do
		# A restore whose writer dies half way.
		ct2=$(crfs_mkct w$round)
		slow_writer "$IMG" "$CRFS_MNT/$ct2" 8388608
		kill -KILL "$WRITER"
		wait_for "the restore to end" 10 grep -qx empty "$CRFS_MNT/$ct2/state"
		# A restore killed half way.
		ct3=$(crfs_mkct k$round)
		slow_writer "$IMG" "$CRFS_MNT/$ct3" 8388608
		ct_write "$ct3" state kill
		touch "$IMG.go"
		wait_for "the writer to end" 30 test -e "$IMG.rc"
		wait_pid_gone "$PID"
		# A checkpoint whose reader stops half way.
		ct4=$(crfs_mkct r$round)
		zdtm_start "$ct4" zdtm-counter
		ct_write "$ct4" state freeze
		wait_frozen "$ct4"
		head -c 100000 "$CRFS_MNT/$ct4/image" >/dev/null
		wait_for "the checkpoint to end" 10 grep -qx frozen "$CRFS_MNT/$ct4/state"
		ct_write "$ct4" state kill
		wait_pid_gone "$ZDTM_PID"
	done
	run -0 daemon_fds
	assert_output "$before"
}
