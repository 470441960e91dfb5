#!/usr/bin/env bats
#
# A container's ns/: one link per namespace type to the namespaces of the
# container's first process.  Both the FUSE prototype and the kernel crfs.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

# ns_inum PATH: the inode number of the namespace PATH opens to.
ns_inum() {
	stat -L -c %i "$1"
}

@test "a container's ns/ links to its first process's namespaces" {
	local ct t

	ct=$(crfs_mkct ns)
	run -0 ls "$CRFS_MNT/$ct/ns"
	assert_output "$(printf '%s\n' cgroup ipc mnt net pid time user uts)"
	[[ ! -e $CRFS_MNT/$ct/ns/net ]] || fail "an empty container has a net link"
	start_in "$ct" sleep 1000
	wait_in "$ct" "$STARTED_PID"
	for t in net mnt uts; do
		run -0 readlink "$CRFS_MNT/$ct/ns/$t"
		assert_output "/proc/$STARTED_PID/ns/$t"
		[[ $(ns_inum "$CRFS_MNT/$ct/ns/$t") == "$(ns_inum "/proc/$STARTED_PID/ns/$t")" ]]
	done
}
