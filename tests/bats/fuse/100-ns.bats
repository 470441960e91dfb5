#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031
#
# The namespace view of crfs-fuse: ns/TYPE/INUM/{handle,owner,parent,events}.
# Namespaces are found by scanning /proc and mountinfo,
# at most every 250 ms, so every appearance and death is waited for.
# The kernel view (mount -t nsfs) has its own tests in kernel-ns/.

load ../helpers/common
load ../helpers/ns

setup() {
	[[ -z ${CRFS_ROOT:-} ]] ||
		skip "the ns/ mirror of crfs-fuse; CRFS_ROOT is set (the kernel has mount -t nsfs: tests/bats/kernel-ns)"
}

setup_file() {
	crfs_setup_file
	export NSV=$CRFS_MNT/ns NS_LIST_WAIT=10
}

teardown_file() {
	crfs_teardown_file
}

teardown() {
	ns_teardown
}

@test "ns/ lists the namespace types and cannot be made a container" {
	run -0 ls "$NSV"
	assert_output "$(printf '%s\n' cgroup ipc mnt net pid time user uts)"
	run -1 mkdir "$CRFS_MNT/ns/x"
	run -1 mkdir "$CRFS_MNT/ns"
}

@test "our own namespaces are listed; handle opens to the namespace" {
	local t id

	for t in net mnt uts ipc pid user cgroup; do
		id=$(ns_inum /proc/self/ns/$t)
		[[ -d $NSV/$t/$id ]] || fail "$t namespace $id is not listed"
		[[ $(ns_inum "$NSV/$t/$id/handle") == "$id" ]] ||
			fail "$t/$id/handle opens to another namespace"
	done
	run -0 cat "$NSV/net/$(ns_inum /proc/self/ns/net)/events"
	assert_output "live 1"
}

@test "owner links to the user namespace, parent only where there is one" {
	local id user

	id=$(ns_inum /proc/self/ns/net)
	user=$(ns_inum /proc/self/ns/user)
	run -0 readlink "$NSV/net/$id/owner"
	assert_output "../../user/$user"
	[[ $(ns_inum "$NSV/net/$id/owner/handle") == "$user" ]]
	[[ ! -e $NSV/net/$id/parent ]] || fail "a net namespace has no parent"
}

@test "a pid namespace made with unshare has the parent link" {
	local id parent

	start_bg unshare --pid --fork sleep 1000
	ns_wait_new "$STARTED_PID" pid_for_children pid
	id=$NS_ID
	parent=$(ns_inum /proc/self/ns/pid)
	run -0 readlink "$NSV/pid/$id/parent"
	assert_output "../$parent"
}

@test "a namespace made with unshare --net appears and can be entered" {
	local id

	start_bg unshare --net sleep 1000
	ns_wait_new "$STARTED_PID" net net
	id=$NS_ID
	run -0 nsenter --net="$NSV/net/$id/handle" ip -o link show
	assert_output --regexp '^1: lo:'
	assert_equal "${#lines[@]}" 1
}

@test "ip link set DEV netns HANDLE moves a veth into the namespace" {
	local id

	start_bg unshare --net sleep 1000
	ns_wait_new "$STARTED_PID" net net
	id=$NS_ID
	VETH=crv0-$$
	ip link add "$VETH" type veth peer name "crv1-$$" || skip "no veth: $?"
	run -0 ip link set "crv1-$$" netns "$NSV/net/$id/handle"
	run -0 nsenter --net="$NSV/net/$id/handle" ip -o link show "crv1-$$"
	run -1 ip link show "crv1-$$"
}

@test "a namespace pinned by a bind mount outlives its processes" {
	local pin=$BATS_TEST_TMPDIR/pin.net id

	touch "$pin"
	run -0 unshare --net="$pin" true
	id=$(ns_inum "$pin")
	wait_for "net/$id to be listed" 10 ns_listed net "$id"
	run -0 readlink "$NSV/net/$id/handle"
	assert_output "$pin"
	run -0 nsenter --net="$NSV/net/$id/handle" ip -o link show
	assert_output --regexp '^1: lo:'
	run -0 cat "$NSV/net/$id/events"
	assert_output "live 1"
	umount "$pin"
	wait_for "net/$id to go" 10 ns_unlisted net "$id"
}

@test "events of a namespace wakes poll when its last process dies" {
	local id out=$BATS_TEST_TMPDIR/poll.out pid

	start_bg unshare --net sleep 1000
	pid=$STARTED_PID
	ns_wait_new "$pid" net net
	id=$NS_ID
	ns_poll_start "$NSV/net/$id/events" "$out"
	run -0 cat "$out"
	assert_output "armed live 1"
	sleep 0.5
	grep -q '^woke' "$out" && fail "poll woke while the namespace lives"
	kill -KILL "$pid"
	wait_for "the poller to wake" 15 grep -q '^woke' "$out"
	run -0 tail -n1 "$out"
	assert_output "woke live 0"
	wait_for "net/$id to go" 10 ns_unlisted net "$id"
}
