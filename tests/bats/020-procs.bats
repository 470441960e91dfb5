#!/usr/bin/env bats
# procs: read the pids, write a pid to move a process in.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

@test "writing a pid moves the process into the container" {
	ct=$(crfs_mkct ct)
	start_bg sleep 1000
	pid=$STARTED_PID
	ct_write "$ct" procs "$pid"
	run -0 ct_file "$ct" procs
	assert_output "$pid"
	run -0 cat "/proc/$pid/cgroup"
	assert_line --regexp "^0::/.*/$ct\$"
	run -0 ct_file "$ct" state
	assert_output "running"
	run -0 ct_file "$ct" events
	assert_output "$(printf 'populated 1\nfrozen 0')"
}

@test "children forked after the move are in the container too" {
	ct=$(crfs_mkct ct)
	d=$BATS_TEST_TMPDIR
	start_bg bash -c "while [ ! -e '$d/go' ]; do sleep 0.05; done
		sleep 1000 & echo \$! >'$d/child.tmp'; mv '$d/child.tmp' '$d/child'; wait"
	pid=$STARTED_PID
	ct_write "$ct" procs "$pid"
	touch "$d/go"
	wait_for "the child pid" 10 test -e "$d/child"
	child=$(cat "$d/child")
	echo "$child" >>"$d/.crfs-pids"
	run -0 bash -c "ct_file() { cat '$CRFS_MNT/$ct/procs'; }; ct_file | sort -n"
	assert_output "$(printf '%s\n' "$pid" "$child" | sort -n)"
}

@test "a process moves from one container to another" {
	ct1=$(crfs_mkct a)
	ct2=$(crfs_mkct b)
	start_bg sleep 1000
	pid=$STARTED_PID
	ct_write "$ct1" procs "$pid"
	ct_write "$ct2" procs "$pid"
	run -0 ct_file "$ct1" procs
	assert_output ""
	run -0 ct_file "$ct2" procs
	assert_output "$pid"
}

@test "an unknown pid fails with ESRCH and the error names it" {
	ct=$(crfs_mkct ct)
	# pid_max itself is never a pid.
	bad=$(cat /proc/sys/kernel/pid_max)
	run -1 ct_write "$ct" procs "$bad"
	assert_output --partial "No such process"
	run -0 ct_file "$ct" error
	assert_output "procs: $bad: no such process (ESRCH)"
	run -0 ct_file "$ct" procs
	assert_output ""
}

@test "a word that is not a number fails with EINVAL and the error names it" {
	ct=$(crfs_mkct ct)
	for word in abc 12abc -5 0 1.5; do
		run -1 ct_write "$ct" procs "$word"
		assert_output --partial "Invalid argument"
		run -0 ct_file "$ct" error
		assert_output --partial "$word"
	done
	run -1 ct_write "$ct" procs ""
	assert_output --partial "Invalid argument"
	run -0 ct_file "$ct" error
	assert_output "procs: no pid written (EINVAL)"
	run -0 ct_file "$ct" procs
	assert_output ""
}

# write_bytes CT FILE FORMAT ARGS...: one write() of printf's output (the
# printf of bash writes line by line).
write_bytes() {
	local ct=$1 file=$2
	shift 2
	# shellcheck disable=SC2059
	env printf "$@" >"$CRFS_MNT/$ct/$file"
}

@test "a write takes one pid and at most one final newline, nothing else" {
	ct=$(crfs_mkct ct)
	start_bg sleep 1000
	pid=$STARTED_PID
	start_bg sleep 1000
	pid2=$STARTED_PID
	for fmt in '+%s' ' %s' '%s ' '\t%s' '%s\n\n' '%s\r\n' '\n%s' \
		   "%s $pid2" "%s\\n$pid2" '-%s' '%s\0'; do
		run -1 write_bytes "$ct" procs "$fmt" "$pid"
		assert_output --partial "Invalid argument"
		run -0 ct_file "$ct" procs
		assert_output ""
		run -0 ct_file "$ct" error
		assert_output --regexp "^procs: .* \(EINVAL\)\$"
		assert_equal "${#lines[@]}" 1
	done
	run -0 ct_file "$ct" error
	assert_output "procs: a NUL byte written (EINVAL)"
	write_bytes "$ct" procs '%s' "$pid"
	run -0 ct_file "$ct" procs
	assert_output "$pid"
	write_bytes "$ct" procs '00%s\n' "$pid2"
	run -0 bash -c "sort -n '$CRFS_MNT/$ct/procs'"
	assert_output "$(printf '%s\n' "$pid" "$pid2" | sort -n)"
}

@test "a control character in a bad pid is escaped: the error stays one line" {
	ct=$(crfs_mkct ct)
	run -1 write_bytes "$ct" procs 'x\ny\n'
	run -0 ct_file "$ct" error
	assert_output "procs: 'x\\ny': not a pid (EINVAL)"
}

@test "a new write clears the reason of the last failure" {
	ct=$(crfs_mkct ct)
	start_bg sleep 1000
	pid=$STARTED_PID
	run -1 ct_write "$ct" procs abc
	run -0 ct_file "$ct" error
	assert_output "procs: 'abc': not a pid (EINVAL)"
	ct_write "$ct" procs "$pid"
	run -0 ct_file "$ct" error
	assert_output ""
	run -1 ct_write "$ct" procs abc
	# Another operation (a write to state) clears it too.
	ct_write "$ct" state thaw
	run -0 ct_file "$ct" error
	assert_output ""
}

@test "a process that exits leaves procs" {
	ct=$(crfs_mkct ct)
	start_bg sleep 1000
	pid=$STARTED_PID
	ct_write "$ct" procs "$pid"
	kill -KILL "$pid"
	wait_empty "$ct"
	run -0 ct_file "$ct" procs
	assert_output ""
	run -0 ct_file "$ct" state
	assert_output "empty"
}
