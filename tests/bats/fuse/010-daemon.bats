#!/usr/bin/env bats
# FUSE only: the daemon's life.  A frozen container must not stay frozen
# when the daemon that could thaw it goes away.

load ../helpers/common

setup() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		skip "crfs-fuse daemon tests; CRFS_ROOT is set (not the FUSE prototype)"
	fi
	CRFS_MNT=$BATS_TEST_TMPDIR/mnt
	CRFS_FUSE_PID=
	MORE_MNTS=()
	MORE_PIDS=()
}

teardown() {
	local i

	crfs_teardown
	if [[ -n ${CRFS_MNT:-} ]]; then
		crfs_umount_fuse "$CRFS_MNT" "$CRFS_FUSE_PID"
	fi
	for i in "${!MORE_MNTS[@]}"; do
		crfs_umount_fuse "${MORE_MNTS[$i]}" "${MORE_PIDS[$i]}"
	done
}

# The cgroup2 mount point, from mountinfo.
cgroup2_root() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") {
		if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
		/proc/self/mountinfo
}

# another_daemon DIR: one more crfs-fuse, stopped by teardown; sets PID.
another_daemon() {
	local save_pid=$CRFS_FUSE_PID save_log=$CRFS_FUSE_LOG

	crfs_mount_fuse "$1" || return 1
	PID=$CRFS_FUSE_PID
	MORE_MNTS+=("$1")
	MORE_PIDS+=("$PID")
	CRFS_FUSE_PID=$save_pid CRFS_FUSE_LOG=$save_log
}

# A frozen counter in a fresh mount: sets CT, PID, LOG.
frozen_counter() {
	crfs_mount_fuse "$CRFS_MNT"
	CT=$(crfs_mkct ct)
	zdtm_start "$CT" zdtm-counter
	PID=$ZDTM_PID
	LOG=$ZDTM_DIR/log
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	N=$(log_lines "$LOG")
}

@test "without -f, crfs-fuse daemonizes and serves the mount" {
	mkdir -p "$CRFS_MNT"
	run -0 timeout 10 bash -c "exec 3>&-; exec '$CRFS_BIN/crfs-fuse' '$CRFS_MNT' </dev/null >/dev/null 2>&1"
	wait_for "the mount" 10 crfs_is_mounted "$CRFS_MNT"
	CRFS_FUSE_PID=$(pgrep -f -x -- ".*crfs-fuse $CRFS_MNT" | head -1)
	[[ -n $CRFS_FUSE_PID ]] || fail "no crfs-fuse process serves $CRFS_MNT"
	ct=$(crfs_mkct ct)
	run -0 ct_file "$ct" state
	assert_output "empty"
	rmdir "$CRFS_MNT/$ct"
	fusermount3 -u "$CRFS_MNT"
	wait_pid_gone "$CRFS_FUSE_PID" 10
}

@test "SIGKILL of the daemon thaws a frozen container" {
	frozen_counter
	kill -KILL "$CRFS_FUSE_PID"
	wait_pid_gone "$CRFS_FUSE_PID"
	wait_for "the counter to be thawed" 15 log_grows "$LOG" "$N"
	zdtm_finish
}

@test "unmounting thaws a frozen container" {
	frozen_counter
	fusermount3 -u "$CRFS_MNT"
	wait_for "the counter to be thawed" 15 log_grows "$LOG" "$N"
	wait_pid_gone "$CRFS_FUSE_PID" 10
	zdtm_finish
}

@test "SIGTERM of the daemon unmounts and thaws a frozen container" {
	frozen_counter
	kill -TERM "$CRFS_FUSE_PID"
	wait_pid_gone "$CRFS_FUSE_PID" 10
	wait_for "the mount to go" 10 bash -c "! awk -v m='$CRFS_MNT' '\$5 == m' /proc/self/mountinfo | grep -q ."
	wait_for "the counter to be thawed" 15 log_grows "$LOG" "$N"
	zdtm_finish
}

@test "SIGKILL of the daemon during a checkpoint read thaws the container" {
	frozen_counter
	exec 5<"$CRFS_MNT/$CT/image"
	head -c 4096 <&5 >/dev/null
	kill -KILL "$CRFS_FUSE_PID"
	exec 5<&-
	wait_pid_gone "$CRFS_FUSE_PID"
	wait_for "the counter to be thawed" 15 log_grows "$LOG" "$N"
	zdtm_finish
}

# subtree_free DIR: DIR is gone, or no process holds its lock (flock).
subtree_free() {
	[[ ! -d $1 ]] || flock -n "$1" true
}

@test "a new daemon removes what a killed daemon left empty, not a live daemon's" {
	local cg old live
	cg=$(cgroup2_root)
	[[ -n $cg ]] || fail "no cgroup2 mount"
	another_daemon "$BATS_TEST_TMPDIR/live"
	live=$cg/crfs-$PID
	mkdir "$BATS_TEST_TMPDIR/live/kept"
	frozen_counter
	old=$cg/crfs-$CRFS_FUSE_PID
	[[ -d $old/$CT ]] || fail "$old/$CT is not there"
	kill -KILL "$CRFS_FUSE_PID"
	wait_pid_gone "$CRFS_FUSE_PID"
	wait_for "the counter to be thawed" 15 log_grows "$LOG" "$N"
	zdtm_finish
	wait_pid_gone "$ZDTM_PID"
	# The killed daemon's guardian holds its subtree (flock) while at
	# work; a new daemon leaves a held subtree alone.
	wait_for "the guardian to let $old go" 15 subtree_free "$old"
	# The guardian may have removed it already: make the leftover ourselves.
	mkdir -p "$old/$CT"
	another_daemon "$BATS_TEST_TMPDIR/new"
	[[ ! -d $old ]] || fail "$old is still there"
	[[ -d $live/kept ]] || fail "the live daemon lost $live/kept"
	[[ -d $cg/crfs-$PID ]] || fail "the new daemon has no subtree"
	rmdir "$BATS_TEST_TMPDIR/live/kept"
}

@test "--help lists each option once" {
	run -0 "$CRFS_BIN/crfs-fuse" --help
	assert_line --partial "-o cgroup=DIR"
	for opt in -h -V -d -f -s '-o cgroup=DIR' '-o allow_other' '-o max_threads'; do
		n=$(grep -cE -- "^ +${opt}( |$)" <<<"$output" || true)
		[[ $n == 1 ]] || fail "'$opt' is listed $n times"
	done
}

@test "-V prints crfs-fuse's version and the FUSE library's" {
	run -0 "$CRFS_BIN/crfs-fuse" -V
	assert_line --regexp '^crfs-fuse version [^ ]+$'
	assert_line --regexp '^FUSE library version [0-9]+\.[0-9]+'
}
