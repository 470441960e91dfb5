#!/usr/bin/env bats
# The kernel crfs: each mount has its own cgroup subtree; unmounting thaws
# every container, removes the empty ones and leaves the others, thawed,
# in the cgroup tree.

load ../helpers/common
load kernel

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
setup() { require_kernel; }

# A mount of our own, unmounted by teardown if a test left it.
teardown() {
	if [[ -n ${MNT:-} ]] && crfs_is_kernel_mount "$MNT"; then
		umount "$MNT" || umount -l "$MNT"
	fi
	crfs_teardown
	# The cgroups a test left on purpose, deepest first.
	if [[ -f $BATS_TEST_TMPDIR/.cgroups ]]; then
		tac "$BATS_TEST_TMPDIR/.cgroups" | while read -r cg; do
			[[ -d $cg ]] || continue
			echo 1 >"$cg/cgroup.kill" 2>/dev/null
			wait_for "$cg to be empty" 10 \
				grep -qx 'populated 0' "$cg/cgroup.events" || true
			rmdir "$cg"
		done
	fi
}

mount_own() {
	MNT=$BATS_TEST_TMPDIR/m${1:-}
	mkdir -p "$MNT"
	mount -t crfs crfs "$MNT"
}

@test "umount thaws every container, removes the empty ones, leaves the others" {
	mount_own
	mkdir "$MNT/idle" "$MNT/busy"
	echo freeze >"$MNT/idle/state"
	start_bg sleep 1000
	pid=$STARTED_PID
	echo "$pid" >"$MNT/busy/procs"
	echo freeze >"$MNT/busy/state"
	wait_for "busy to freeze" 10 grep -qx 'frozen 1' "$MNT/busy/events"
	cg=$(pid_cgroup "$pid")
	sub=$(dirname "$cg")
	printf '%s\n' "$sub" "$cg" >"$BATS_TEST_TMPDIR/.cgroups"
	[[ $(basename "$sub") == crfs-* ]] || fail "$cg is not under a crfs-N subtree"
	[[ -d $sub/idle ]] || fail "no cgroup $sub/idle"
	run -0 cat "$cg/cgroup.freeze"
	assert_output "1"

	umount "$MNT"
	[[ ! -d $sub/idle ]] || fail "$sub/idle is left after umount"
	run -0 cat "$cg/cgroup.freeze"
	assert_output "0"
	wait_for "$cg to thaw" 10 grep -qx 'frozen 0' "$cg/cgroup.events"
	crfs_alive "$pid" || fail "pid $pid died"
	run -0 cat "/proc/$pid/cgroup"
	assert_output "0::${cg#"$(cgroup2_root)"}"
}

@test "each mount makes its own subtree, removed at umount when it is empty" {
	mount_own 1
	m1=$MNT
	mount_own 2
	m2=$MNT
	mkdir "$m1/one-$$" "$m2/two-$$"
	subs=()
	for name in "one-$$" "two-$$"; do
		cg=$(find "$(cgroup2_root)" -maxdepth 2 -type d -name "$name")
		[[ -n $cg && $(basename "$(dirname "$cg")") == crfs-* ]] ||
			fail "no cgroup crfs-N/$name: '$cg'"
		subs+=("$(dirname "$cg")")
	done
	[[ ${subs[0]} != "${subs[1]}" ]] || fail "the two mounts share ${subs[0]}"
	umount "$m1"
	umount "$m2"
	MNT=
	for s in "${subs[@]}"; do
		[[ ! -d $s ]] || fail "$s is left after umount"
	done
}

@test "umount with an open control file is EBUSY and harms nothing" {
	mount_own
	mkdir "$MNT/ct"
	exec 5<"$MNT/ct/state"
	run ! umount "$MNT"
	assert_output --partial "busy"
	exec 5<&-
	run -0 cat "$MNT/ct/state"
	assert_output "empty"
	umount "$MNT"
}

@test "a mount starts empty" {
	mount_own
	run -0 ls -A "$MNT"
	assert_output ""
	run -0 stat -f -c %t "$MNT"
	assert_output "63726673"
}
