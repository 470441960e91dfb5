#!/usr/bin/env bats
#
# The kernel's mountable view of namespaces (CONFIG_NSFS_MOUNT):
# `mount -t nsfs nsfs DIR`.  Runs in the test VM, as root of the init
# namespaces:  scripts/vm-run.sh -c 'bats --tap tests/bats/kernel-ns'

load ../helpers/common
load ../helpers/ns

setup_file() {
	grep -qw nsfs /proc/filesystems ||
		skip "no mountable nsfs in this kernel (CONFIG_NSFS_MOUNT)"
	export NSV=$BATS_FILE_TMPDIR/ns
	mkdir -p "$NSV"
	mount -t nsfs nsfs "$NSV"
}

teardown_file() {
	if [[ -n ${NSV:-} ]] && mountpoint -q "$NSV"; then
		umount "$NSV"
	fi
}

teardown() {
	ns_teardown
}

@test "mount -t nsfs lists the types; its mountinfo root is /" {
	run -0 ls "$NSV"
	assert_output "$(printf '%s\n' cgroup ipc mnt net pid time user uts)"
	run -0 findmnt -n -o FSTYPE,FSROOT "$NSV"
	assert_output "nsfs   /"
}

@test "our own namespaces are listed; handle opens to the namespace" {
	local t id

	for t in net mnt uts ipc pid user cgroup time; do
		id=$(ns_inum /proc/self/ns/$t)
		[[ -d $NSV/$t/$id ]] || fail "$t namespace $id is not listed"
		[[ $(ns_inum "$NSV/$t/$id/handle") == "$id" ]] ||
			fail "$t/$id/handle opens to another namespace"
		run -0 readlink "$NSV/$t/$id/handle"
		assert_output "$t:[$id]"
	done
	run -0 cat "$NSV/net/$(ns_inum /proc/self/ns/net)/events"
	assert_output "live 1"
}

@test "owner and parent: the init user namespace has neither" {
	local id user

	id=$(ns_inum /proc/self/ns/net)
	user=$(ns_inum /proc/self/ns/user)
	run -0 readlink "$NSV/net/$id/owner"
	assert_output "../../user/$user"
	[[ $(ns_inum "$NSV/net/$id/owner/handle") == "$user" ]]
	[[ ! -e $NSV/net/$id/parent ]] || fail "a net namespace has a parent"
	run -0 ls "$NSV/user/$user"
	assert_output "$(printf '%s\n' events handle)"
}

@test "a new pid and a new user namespace link to their parents" {
	local pidns userns

	start_bg unshare --pid --fork sleep 1000
	ns_wait_new "$STARTED_PID" pid_for_children pid
	pidns=$NS_ID
	run -0 readlink "$NSV/pid/$pidns/parent"
	assert_output "../$(ns_inum /proc/self/ns/pid)"

	start_bg unshare --user sleep 1000
	ns_wait_new "$STARTED_PID" user user
	userns=$NS_ID
	run -0 readlink "$NSV/user/$userns/parent"
	assert_output "../$(ns_inum /proc/self/ns/user)"
	run -0 readlink "$NSV/user/$userns/owner"
	assert_output "../../user/$(ns_inum /proc/self/ns/user)"
}

@test "a namespace made with unshare --net appears and can be entered" {
	start_bg unshare --net sleep 1000
	ns_wait_new "$STARTED_PID" net net
	run -0 nsenter --net="$NSV/net/$NS_ID/handle" ip -o link show
	assert_output --regexp '^1: lo:'
	assert_equal "${#lines[@]}" 1
}

@test "ip link set DEV netns HANDLE moves a veth into the namespace" {
	start_bg unshare --net sleep 1000
	ns_wait_new "$STARTED_PID" net net
	VETH=crv0-$$
	ip link add "$VETH" type veth peer name "crv1-$$"
	run -0 ip link set "crv1-$$" netns "$NSV/net/$NS_ID/handle"
	run -0 nsenter --net="$NSV/net/$NS_ID/handle" ip -o link show "crv1-$$"
	run -1 ip link show "crv1-$$"
}

@test "a namespace pinned by unshare --net=FILE is listed and enterable" {
	local pin=$BATS_TEST_TMPDIR/pin.net id

	touch "$pin"
	run -0 unshare --net="$pin" true
	id=$(ns_inum "$pin")
	ns_listed net "$id" || fail "net/$id is not listed"
	run -0 nsenter --net="$NSV/net/$id/handle" ip -o link show
	assert_output --regexp '^1: lo:'
	umount "$pin"
	wait_for "net/$id to go" 15 ns_unlisted net "$id"
}

@test "bind-mounting handle keeps the namespace alive with no process in it" {
	local pin=$BATS_TEST_TMPDIR/pin.handle id pid

	start_bg unshare --net sleep 1000
	pid=$STARTED_PID
	ns_wait_new "$pid" net net
	id=$NS_ID
	touch "$pin"
	mount --bind "$NSV/net/$id/handle" "$pin"
	kill -KILL "$pid"
	wait_pid_gone "$pid"
	ns_listed net "$id" || fail "the pinned net/$id died"
	run -0 nsenter --net="$pin" ip -o link show
	assert_output --regexp '^1: lo:'
	run -0 nsenter --net="$NSV/net/$id/handle" true
}

@test "events wakes poll when the last process of a namespace dies" {
	local out=$BATS_TEST_TMPDIR/poll.out pid

	start_bg unshare --uts sleep 1000
	pid=$STARTED_PID
	ns_wait_new "$pid" uts uts
	ns_poll_start "$NSV/uts/$NS_ID/events" "$out"
	sleep 0.5
	run -0 cat "$out"
	assert_output "armed live 1"
	kill -KILL "$pid"
	wait_for "the poller to wake" 15 grep -q '^woke' "$out"
	run -0 tail -n1 "$out"
	assert_output "woke live 0"
	ns_unlisted uts "$NS_ID" || fail "a dead namespace is still listed"
}

@test "events wakes poll with no process to watch: the pin is unmounted" {
	local pin=$BATS_TEST_TMPDIR/pin.net out=$BATS_TEST_TMPDIR/poll.out id

	touch "$pin"
	run -0 unshare --net="$pin" true
	id=$(ns_inum "$pin")
	ns_poll_start "$NSV/net/$id/events" "$out"
	sleep 0.5
	run -0 cat "$out"
	assert_output "armed live 1"
	umount "$pin"
	wait_for "the poller to wake" 20 grep -q '^woke' "$out"
	run -0 tail -n1 "$out"
	assert_output "woke live 0"
}
