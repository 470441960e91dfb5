#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031
#
# The namespace view of crfs-fuse: ns/TYPE/INUM/{handle,owner,parent,events}.
# Namespaces are found by scanning /proc and mountinfo,
# at most every 250 ms, so every appearance and death is waited for.
# The kernel view (mount -t nsfs) has its own tests in kernel-ns/.

load ../helpers/common

setup() {
	[[ -z ${CRFS_ROOT:-} ]] ||
		skip "the ns/ mirror of crfs-fuse; CRFS_ROOT is set (the kernel has mount -t nsfs: tests/bats/kernel-ns)"
}

setup_file() {
	crfs_setup_file
	export NSV=$CRFS_MNT/ns
}

teardown_file() {
	crfs_teardown_file
}

teardown() {
	local m

	for m in "$BATS_TEST_TMPDIR"/pin.*; do
		[[ -e $m ]] && umount "$m" 2>/dev/null
	done
	if [[ -n ${VETH:-} ]]; then
		ip link del "$VETH" 2>/dev/null || true
	fi
	crfs_teardown
}

# ns_inum PATH: the inode number of the namespace PATH opens to.
ns_inum() {
	stat -L -c %i "$1"
}

# ns_differs PID FILE TYPE: /proc/PID/ns/FILE is not our TYPE namespace.
ns_differs() {
	local id

	id=$(ns_inum "/proc/$1/ns/$2" 2>/dev/null) || return 1
	[[ $id != "$(ns_inum "/proc/self/ns/$3")" ]]
}

# ns_wait_new PID FILE TYPE: wait until PID unshared it; sets NS_ID.
ns_wait_new() {
	wait_for "pid $1 to unshare $2" 10 ns_differs "$1" "$2" "$3" || return 1
	NS_ID=$(ns_inum "/proc/$1/ns/$2")
	wait_for "$3/$NS_ID to be listed" 10 ns_listed "$3" "$NS_ID"
}

ns_listed() {
	[[ -d $NSV/$1/$2 ]]
}

ns_unlisted() {
	[[ ! -e $NSV/$1/$2 ]]
}

# The poller: open events, say "armed <content>", poll for PRI or IN,
# then say "woke <content>", or "timeout".
NS_POLL_PY='
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print("armed", os.pread(fd, 64, 0).decode().strip(), flush=True)
p = select.poll()
p.register(fd, select.POLLPRI | select.POLLIN)
if not p.poll(int(sys.argv[2]) * 1000):
    print("timeout", flush=True)
    sys.exit(1)
print("woke", os.pread(fd, 64, 0).decode().strip(), flush=True)
'

# ns_poll_start EVENTS OUT: start the poller in the background, wait armed.
ns_poll_start() {
	(crfs_close_fds; exec python3 -c "$NS_POLL_PY" "$1" 20) \
		</dev/null >"$2" 2>&1 3>&- &
	disown $! 2>/dev/null || true
	wait_for "the poller to open $1" 10 grep -q '^armed' "$2"
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
