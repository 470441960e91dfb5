#!/usr/bin/env bats
# zdtm trees: a container of several processes is checkpointed, killed and
# restored with the same pids, parents, process groups and sessions, its
# zombies and the descriptions and memory its processes share.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

# tree_pids_gone DIR: every pid DIR/pids names (zombies too) is free again.
tree_pids_gone() {
	local p

	for p in $(cat "$1/pids" 2>/dev/null); do
		wait_pid_gone "$p" 20 || return 1
	done
}

# tree_cycle CT PROG: checkpoint CT, kill it, wait until every pid of the
# tree is free, restore into a new container, check its processes, thaw.
# Sets CT to the new container.
tree_cycle() {
	local procs ct2

	procs=$(sort -n "$CRFS_MNT/$1/procs")
	IMG=$BATS_TEST_TMPDIR/$2.$RANDOM.img
	crfs_checkpoint "$1" "$IMG"
	ct_write "$1" state kill
	wait_empty "$1"
	wait_pid_gone "$ZDTM_PID"
	tree_pids_gone "$ZDTM_DIR"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$IMG"
	run -0 ct_file "$ct2" state
	assert_output "frozen"
	run -0 sort -n "$CRFS_MNT/$ct2/procs"
	assert_output "$procs"
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	CT=$ct2
}

# tree_run PROG: the whole cycle, then PASS.
tree_run() {
	CT=$(crfs_mkct src)
	zdtm_start "$CT" "$1"
	tree_cycle "$CT" "$1"
	zdtm_finish
}

@test "zdtm-tree: three levels keep their pids, parents, process groups and sessions" {
	require_image
	tree_run zdtm-tree
}

@test "zdtm-tree-zombie: zombies come back with their exit code or signal, for their parents to reap" {
	require_image
	tree_run zdtm-tree-zombie
}

@test "zdtm-tree-share: parent, child and grandchild keep one description (one offset) and one shared anonymous object" {
	require_image
	tree_run zdtm-tree-share
}
