#!/usr/bin/env bats
# FUSE only: containers still running when their daemon went (killed, or
# unmounted) are adopted by the next daemon started on the same cgroup
# parent: same names, same processes, same freeze state, then controlled
# through the new mount.  The emptied leftover cgroups go.
#
# The daemons here make their subtrees in a cgroup of this test's own
# (-o cgroup=), where no other crfs-fuse on the machine sweeps.

load ../helpers/common

setup() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		skip "crfs-fuse daemon tests; CRFS_ROOT is set (not the FUSE prototype)"
	fi
	CG=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") {
		if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
		/proc/self/mountinfo)
	[[ -n $CG ]] || fail "no cgroup2 mount"
	PARENT=$CG/adopt-$$-$BATS_TEST_NUMBER
	mkdir "$PARENT"
	MNTS=()
	PIDS=()
}

teardown() {
	local i

	crfs_teardown
	for i in "${!MNTS[@]}"; do
		crfs_umount_fuse "${MNTS[$i]}" "${PIDS[$i]}"
	done
	[[ -n ${PARENT:-} && -d $PARENT ]] &&
		find "$PARENT" -depth -type d -exec rmdir {} + 2>/dev/null
	true
}

# daemon NAME: start crfs-fuse -o cgroup=$PARENT on $BATS_TEST_TMPDIR/NAME,
# make it the mount under test (CRFS_MNT); sets DPID.
daemon() {
	local mnt=$BATS_TEST_TMPDIR/$1 log=$BATS_TEST_TMPDIR/$1.log deadline

	mkdir -p "$mnt"
	(crfs_close_fds; exec "$CRFS_BIN/crfs-fuse" -f -o cgroup="$PARENT" "$mnt") \
		</dev/null >"$log" 2>&1 3>&- &
	DPID=$!
	disown "$DPID" 2>/dev/null || true
	MNTS+=("$mnt")
	PIDS+=("$DPID")
	deadline=$(( ${EPOCHREALTIME/./} + 10000000 ))
	until crfs_is_mounted "$mnt"; do
		if ! crfs_alive "$DPID" || (( ${EPOCHREALTIME/./} > deadline )); then
			cat "$log" >&2
			return 1
		fi
		sleep 0.05
	done
	CRFS_MNT=$mnt
	CRFS_FUSE_PID=$DPID
	CRFS_FUSE_LOG=$log
}

# guardian_of PID: the daemon's guardian (its only child).
guardian_of() {
	cat /proc/"$1"/task/*/children | tr ' ' '\n' | grep -m1 .
}

# killed DPID: kill -KILL a daemon, wait for it and its guardian (which
# thaws), unmount its dead mount.
killed() {
	local guard

	guard=$(guardian_of "$1")
	kill -KILL "$1"
	wait_pid_gone "$1"
	[[ -z $guard ]] || wait_pid_gone "$guard"
	fusermount3 -u "$CRFS_MNT"
}

dead() {
	! crfs_alive "$1"
}

not_mounted() {
	! crfs_is_mounted "$1"
}

# sleeper CT: a sleep 1000 moved into CT; sets PID.
sleeper() {
	start_bg sleep 1000
	PID=$STARTED_PID
	ct_write "$1" procs "$PID"
}

# A frozen counter in a new container: sets CT, ZPID, LOG, N.
frozen_counter() {
	CT=$(crfs_mkct frozen)
	zdtm_start "$CT" zdtm-counter
	ZPID=$ZDTM_PID
	LOG=$ZDTM_DIR/log
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	N=$(log_lines "$LOG")
}

@test "a new daemon adopts what a killed daemon left: names, processes, state" {
	daemon a
	old=$PARENT/crfs-$DPID
	ct=$(crfs_mkct run)
	sleeper "$ct"
	frozen_counter
	killed "$DPID"
	# Documented: the guardian of a killed daemon thaws its containers.
	wait_for "the counter to be thawed" 15 log_grows "$LOG" "$N"
	daemon b
	run -0 ls "$CRFS_MNT"
	assert_line "$ct"
	assert_line "$CT"
	run -0 ct_file "$ct" procs
	assert_output "$PID"
	run -0 ct_file "$CT" procs
	assert_output "$ZPID"
	run -0 ct_file "$CT" state
	assert_output "running"
	[[ ! -e $old ]] || fail "the leftover $old is still there"
	# Controlled through the new mount.
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state kill
	wait_empty "$ct"
	wait_pid_gone "$PID"
	rmdir "$CRFS_MNT/$ct"
	zdtm_finish
}

@test "a container left frozen (daemon and guardian killed) is adopted frozen" {
	daemon a
	old=$PARENT/crfs-$DPID
	frozen_counter
	guard=$(guardian_of "$DPID")
	[[ -n $guard ]] || fail "no guardian of $DPID"
	kill -KILL "$guard"
	# The daemon does not reap it: a zombie until the daemon goes too.
	wait_for "the guardian to die" 10 dead "$guard"
	killed "$DPID"
	run -0 cat "$old/$CT/cgroup.freeze"
	assert_output "1"
	daemon b
	run -0 ct_file "$CT" state
	assert_output "frozen"
	run -0 ct_file "$CT" events
	assert_output "$(printf 'populated 1\nfrozen 1')"
	run -0 ct_file "$CT" procs
	assert_output "$ZPID"
	sleep 0.5
	run -0 log_lines "$LOG"
	assert_output "$N"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	wait_for "the counter to go on" 10 log_grows "$LOG" "$N"
	[[ ! -e $old ]] || fail "the leftover $old is still there"
	zdtm_finish
}

@test "after SIGTERM (unmount) a new daemon adopts the running containers" {
	daemon a
	old=$PARENT/crfs-$DPID
	ct=$(crfs_mkct term)
	sleeper "$ct"
	kill -TERM "$DPID"
	wait_pid_gone "$DPID" 10
	wait_for "the mount to go" 10 not_mounted "$CRFS_MNT"
	[[ -d $old/$ct ]] || fail "$old/$ct did not stay with its process"
	daemon b
	run -0 ct_file "$ct" procs
	assert_output "$PID"
	run -0 ct_file "$ct" state
	assert_output "running"
	[[ ! -e $old ]] || fail "the leftover $old is still there"
}

@test "a name taken by an earlier leftover is adopted as NAME~2" {
	local name=same-$$ pids=() d

	for d in a1 a2; do
		daemon "$d"
		mkdir "$CRFS_MNT/$name"
		sleeper "$name"
		pids+=("$DPID:$PID")
	done
	for d in "${pids[@]}"; do
		kill -TERM "${d%%:*}"
		wait_pid_gone "${d%%:*}" 10
	done
	# Leftovers are taken in version order of crfs-PID.
	first=$(printf '%s\n' "${pids[@]}" | sort -n | head -1)
	second=$(printf '%s\n' "${pids[@]}" | sort -n | tail -1)
	daemon b
	echo "$name" >>"$BATS_TEST_TMPDIR/.crfs-cts"
	echo "$name~2" >>"$BATS_TEST_TMPDIR/.crfs-cts"
	run -0 ct_file "$name" procs
	assert_output "${first#*:}"
	run -0 ct_file "$name~2" procs
	assert_output "${second#*:}"
}

@test "a crfs-* cgroup no crfs-fuse made is not adopted" {
	fake=$PARENT/crfs-fake
	mkdir -p "$fake/x"
	start_bg sleep 1000
	PID=$STARTED_PID
	echo "$PID" >"$fake/x/cgroup.procs"
	daemon b
	refute_listed "$CRFS_MNT" x
	run -0 cat "$fake/x/cgroup.procs"
	assert_output "$PID"
	kill -KILL "$PID"
	wait_pid_gone "$PID"
	wait_for "rmdir $fake/x" 10 rmdir "$fake/x"
	rmdir "$fake" 2>/dev/null || true
}
