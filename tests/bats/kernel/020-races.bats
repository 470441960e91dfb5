#!/usr/bin/env bats
# The kernel crfs: concurrent writers, rmdir against everything else.

load ../helpers/common
load kernel

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
setup() { require_kernel; }
teardown() { crfs_teardown; }

# writers N FILE WORD...: N shells write the WORDs to FILE in turn, 20
# times; fail if any write failed.
writers() {
	local n=$1 file=$2 k pids=() ret=0
	shift 2

	for ((k = 0; k < n; k++)); do
		(
			for i in $(seq 20); do
				for w in "$@"; do
					echo "$w" >"$file" || exit 1
				done
			done
		) &
		pids+=($!)
	done
	for k in "${pids[@]}"; do
		wait "$k" || ret=1
	done
	return $ret
}

@test "concurrent freeze and thaw writers leave a consistent container" {
	ct=$(crfs_mkct race)
	zdtm_start "$ct" zdtm-counter
	writers 4 "$CRFS_MNT/$ct/state" freeze thaw
	ct_write "$ct" state thaw
	wait_thawed "$ct" 30
	run -0 ct_file "$ct" state
	assert_output "running"
	ct_write "$ct" state freeze
	wait_frozen "$ct" 30
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	zdtm_finish
}

@test "kill wins over concurrent freeze and thaw writers" {
	ct=$(crfs_mkct race)
	start_in "$ct" bash -c 'for i in 1 2 3 4 5; do sleep 1000 & done; wait'
	wait_for "6 processes" 30 has_nprocs "$ct" 6
	writers 2 "$CRFS_MNT/$ct/state" freeze thaw &
	bg=$!
	sleep 0.2
	ct_write "$ct" state kill
	wait "$bg"
	run -0 ct_file "$ct" state
	assert_output "empty"
}

@test "concurrent procs writers (one pid a write) move each process exactly once" {
	a=$(crfs_mkct a)
	b=$(crfs_mkct b)
	pids=()
	for i in 1 2 3 4 5 6; do
		start_bg sleep 1000
		pids+=("$STARTED_PID")
	done
	writers 3 "$CRFS_MNT/$a/procs" "${pids[@]}" &
	wa=$!
	writers 3 "$CRFS_MNT/$b/procs" "${pids[@]}" &
	wb=$!
	wait "$wa"
	wait "$wb"
	run -0 bash -c "cat '$CRFS_MNT/$a/procs' '$CRFS_MNT/$b/procs' | sort -n"
	assert_output "$(printf '%s\n' "${pids[@]}" | sort -n)"
}

@test "two rmdirs of one container: one removes it, the other gets ENOENT" {
	for round in $(seq 10); do
		ct=$(crfs_mkct rm)
		rmdir "$CRFS_MNT/$ct" 2>"$BATS_TEST_TMPDIR/e1" &
		p1=$!
		rmdir "$CRFS_MNT/$ct" 2>"$BATS_TEST_TMPDIR/e2" &
		p2=$!
		ok=0
		wait "$p1" && ok=$((ok + 1))
		wait "$p2" && ok=$((ok + 1))
		((ok == 1)) || fail "round $round: $ok rmdirs succeeded"
		run -0 cat "$BATS_TEST_TMPDIR/e1" "$BATS_TEST_TMPDIR/e2"
		assert_output --partial "No such file or directory"
		run ! test -e "$CRFS_MNT/$ct"
	done
}

@test "rmdir against a procs write: either the process is in, or the container is gone" {
	for round in $(seq 10); do
		ct=$(crfs_mkct rm)
		start_bg sleep 1000
		pid=$STARTED_PID
		(echo "$pid" >"$CRFS_MNT/$ct/procs") 2>/dev/null &
		w=$!
		rmdir "$CRFS_MNT/$ct" 2>/dev/null &
		r=$!
		wait "$w" && wrote=1 || wrote=0
		wait "$r" && removed=1 || removed=0
		if ((removed)); then
			run ! test -e "$CRFS_MNT/$ct"
			run -0 cat "/proc/$pid/cgroup"
			refute_output --partial "/$ct"
		else
			((wrote)) || fail "round $round: neither the write nor the rmdir worked"
			run -0 ct_file "$ct" procs
			assert_output "$pid"
			run -0 ct_file "$ct" error
			assert_output --partial "has processes"
		fi
	done
}

@test "the open files of a removed container read, and refuse commands" {
	ct=$(crfs_mkct gone)
	run -0 timeout 20 python3 -c '
import errno, os, sys
d = sys.argv[1]
state = os.open(d + "/state", os.O_RDWR)
procs = os.open(d + "/procs", os.O_RDWR)
os.rmdir(d)
print(os.pread(state, 100, 0).decode().strip())
for fd, word in ((state, b"freeze"), (procs, str(os.getpid()).encode())):
    try:
        os.write(fd, word)
    except OSError as e:
        if e.errno != errno.ENOENT:
            sys.exit("%r: %s, want ENOENT" % (word, e))
    else:
        sys.exit("%r was accepted by a removed container" % word)
print("ENOENT")
' "$CRFS_MNT/$ct"
	assert_output "$(printf 'empty\nENOENT')"
	run ! test -e "$CRFS_MNT/$ct"
}

@test "mkdir and rmdir in a loop against readers of the same name" {
	name=loop-$BATS_SUITE_TEST_NUMBER-$$
	echo "$name" >>"$BATS_TEST_TMPDIR/.crfs-cts"
	(
		end=$((SECONDS + 3))
		while ((SECONDS < end)); do
			cat "$CRFS_MNT/$name/state" "$CRFS_MNT/$name/events" \
				"$CRFS_MNT/$name/procs" >/dev/null 2>&1 || true
			echo freeze 2>/dev/null >"$CRFS_MNT/$name/state" || true
		done
	) &
	reader=$!
	for i in $(seq 30); do
		mkdir "$CRFS_MNT/$name"
		rmdir "$CRFS_MNT/$name"
	done
	wait "$reader"
	run ! test -e "$CRFS_MNT/$name"
}
