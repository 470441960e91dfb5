#!/usr/bin/env bats
# A real program with pipes: a bash pipeline `producer | filter | sink`
# is checkpointed while it works, with data in its pipes, killed and
# restored: the sink's output is the whole sequence, in order, no line
# lost or written twice.

load ../helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

N=200000

# The pipeline: seq writes as fast as the pipes take it, awk numbers the
# lines it passes on, the sink (bash) writes them out slowly, so that the
# pipes are full when the checkpoint comes.
PIPELINE='seq 1 '$N' | awk "{ print NR \" \" \$1; fflush() }" |
	{ while read -r a b; do echo "$a $b" >&3
	  (( a % 400 )) || sleep 0.02; done; echo done >&3; } 3>"$1"'

# sink_lines FILE MIN: FILE has at least MIN lines.
sink_lines() {
	[[ -e $1 ]] && (( $(wc -l <"$1") >= $2 ))
}

# bats test_tags=image
@test "a bash pipeline checkpointed with data in its pipes, killed and restored, loses and repeats no line" {
	require_image
	local ct ct2 out img procs

	out=$BATS_TEST_TMPDIR/sink.out
	img=$BATS_TEST_TMPDIR/pipeline.img
	ct=$(crfs_mkct pipeline)
	start_in "$ct" /bin/bash -c "$PIPELINE" bash "$out"
	wait_for "the sink to write" 30 sink_lines "$out" 2000
	# The processes once frozen: the sink forks a sleep now and then.
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	procs=$(sort -n "$CRFS_MNT/$ct/procs")
	crfs_checkpoint "$ct" "$img"
	# The pipes held data: the image carries some.
	run -0 "$CRFS_BIN/crfs-image" json "$img"
	[[ $output =~ \"data_len\":\ ?[1-9] ]] ||
		fail "no pipe of the image holds data"
	ct_write "$ct" state kill
	wait_empty "$ct"
	for p in $procs; do wait_pid_gone "$p" 20; done
	ct2=$(crfs_mkct restored)
	crfs_restore "$ct2" "$img"
	run -0 sort -n "$CRFS_MNT/$ct2/procs"
	assert_output "$procs"
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	wait_for "the sink to finish" 120 grep -qx done "$out"
	wait_empty "$ct2" 30
	# Every line once, in order: line i is "i i".
	run -0 awk -v n="$N" '
		$0 == "done" { done = NR; next }
		$1 != NR || $2 != NR { print "line " NR ": " $0; bad = 1; exit }
		END { if (!bad && (NR != n + 1 || done != n + 1))
			print NR " lines, done at " done }' "$out"
	assert_output ""
}
