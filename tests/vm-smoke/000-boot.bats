#!/usr/bin/env bats
# Smoke checks of the crfs test kernel, run inside the VM by scripts/vm-run.sh:
# it is the kernel we built and it has what the crfs tests rely on.

bats_require_minimum_version 1.5.0
load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

# The cgroup2 mount point, from mountinfo.
cgroup2_root() {
	awk '$(NF - 2) == "cgroup2" { print $5; exit }' /proc/self/mountinfo
}

# CPU ticks (user + system) a process has used.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

setup() {
	[ -n "${CRFS_VM:-}" ] || skip "runs inside the VM (scripts/vm-run.sh)"
}

teardown() {
	[ -n "${busy:-}" ] && kill -9 "$busy" 2>/dev/null
	[ -n "${cg:-}" ] && [ -d "$cg" ] && { echo 0 >"$cg/cgroup.freeze"; rmdir "$cg"; }
	true
}

@test "the running kernel is the one built in \$BUILD/kernel (or \$CRFS_KDIR)" {
	local kdir=${CRFS_KDIR:-$BUILD/kernel}

	run -0 cat "$kdir/release"
	assert_output "$(uname -r)"
	# The build's own version string (build number and date) tells this
	# build from an older one of the same release.
	run -0 sed -n 's/^#define UTS_VERSION "\(.*\)"$/\1/p' \
		"$kdir/obj/include/generated/utsversion.h"
	assert_output "$(uname -v)"
}

@test "cgroup.freeze stops a busy process and thaw lets it go on" {
	root=$(cgroup2_root)
	[ -n "$root" ] || fail "no cgroup2 mount in /proc/self/mountinfo"
	cg=$root/vm-smoke-$$
	mkdir "$cg"
	(exec 3>&- 4>&-; while :; do :; done) &
	busy=$!
	echo "$busy" >"$cg/cgroup.procs"
	echo 1 >"$cg/cgroup.freeze"
	for _ in $(seq 100); do
		grep -qx 'frozen 1' "$cg/cgroup.events" && break
		sleep 0.05
	done
	run -0 grep -x 'frozen 1' "$cg/cgroup.events"
	before=$(cpu_ticks "$busy")
	sleep 0.5
	[ "$(cpu_ticks "$busy")" = "$before" ] || fail "frozen process used cpu time"
	echo 0 >"$cg/cgroup.freeze"
	sleep 0.5
	[ "$(cpu_ticks "$busy")" -gt "$before" ] || fail "thawed process did not run"
	run -0 grep -x 'frozen 0' "$cg/cgroup.events"
}

@test "/dev/fuse is the FUSE device and opens" {
	run -0 stat -c '%F %t:%T' /dev/fuse
	assert_output "character special file a:e5"
	run -0 grep -w fuse /proc/filesystems
	exec 5<>/dev/fuse || fail "cannot open /dev/fuse"
	exec 5>&-
}

@test "unshare -n gives a network namespace with its own veth pair" {
	run -0 unshare -n sh -c \
		'ip link add v0 type veth peer name v1 && ip -o link show | cut -d: -f2 | cut -d@ -f1'
	assert_output "$(printf ' %s\n' lo v1 v0)"
	run ip link show v0
	assert_failure
}

@test "user, pid, mount, uts and ipc namespaces nest" {
	run -0 unshare -Urpfmui --mount-proc sh -c \
		'hostname inner && echo "$$ $(id -u) $(hostname) $(cat /proc/1/comm)"'
	assert_output "1 0 inner sh"
	run -0 hostname
	refute_output inner
}
