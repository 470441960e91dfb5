#!/usr/bin/env bats
# The kernel crfs: freezing a tree of processes, forks while freezing,
# killing a frozen container.

load ../helpers/common
load kernel

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
setup() { require_kernel; }
teardown() { crfs_teardown; }

# start_tree CT: 100 processes in CT, 1 + 9 + 90 sleeping leaves.
start_tree() {
	start_in "$1" bash -c '
		for i in 1 2 3 4 5 6 7 8 9; do
			bash -c "for j in 1 2 3 4 5 6 7 8 9 10; do sleep 1000 & done; wait" &
		done
		wait'
	wait_for "100 processes in $1" 120 has_nprocs "$1" 100
}

@test "a tree of 100 processes freezes and thaws as one" {
	ct=$(crfs_mkct tree)
	start_tree "$ct"
	zdtm_start "$ct" zdtm-counter
	ct_write "$ct" state freeze
	wait_frozen "$ct" 60
	run -0 ct_file "$ct" state
	assert_output "frozen"
	run -0 nprocs "$ct"
	assert_output "101"
	all_in_freezer "$ct"
	n=$(log_lines "$ZDTM_DIR/log")
	sleep 0.5
	run -0 log_lines "$ZDTM_DIR/log"
	assert_output "$n"
	ct_write "$ct" state thaw
	wait_thawed "$ct" 60
	run -0 ct_file "$ct" state
	assert_output "running"
	wait_for "the counter to go on" 20 log_grows "$ZDTM_DIR/log" "$n"
	zdtm_finish
}

@test "kill empties a frozen tree before it returns, and thaws it" {
	ct=$(crfs_mkct tree)
	start_tree "$ct"
	ct_write "$ct" state freeze
	wait_frozen "$ct" 60
	ct_write "$ct" state kill
	run -0 ct_file "$ct" state
	assert_output "empty"
	run -0 ct_file "$ct" events
	assert_output "$(printf 'populated 0\nfrozen 0')"
	run -0 ct_file "$ct" procs
	assert_output ""
}

@test "processes forked while the container freezes end up frozen too" {
	ct=$(crfs_mkct fork)
	start_in "$ct" bash -c 'while :; do sleep 2 & sleep 0.01; done'
	wait_for "the forker to fork" 20 bash -c "(( \$(wc -l <'$CRFS_MNT/$ct/procs') > 5 ))"
	for round in 1 2 3; do
		ct_write "$ct" state freeze
		wait_frozen "$ct" 60
		before=$(sort -n "$CRFS_MNT/$ct/procs")
		all_in_freezer "$ct"
		sleep 0.3
		run -0 bash -c "sort -n '$CRFS_MNT/$ct/procs'"
		assert_output "$before"
		run -0 ct_file "$ct" events
		assert_output "$(printf 'populated 1\nfrozen 1')"
		ct_write "$ct" state thaw
		wait_thawed "$ct" 60
	done
	ct_write "$ct" state kill
	run -0 ct_file "$ct" state
	assert_output "empty"
}

@test "a process moved into a frozen container freezes" {
	ct=$(crfs_mkct frozen)
	ct_write "$ct" state freeze
	start_bg sleep 1000
	pid=$STARTED_PID
	ct_write "$ct" procs "$pid"
	wait_frozen "$ct"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	all_in_freezer "$ct"
}
