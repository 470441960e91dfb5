#!/usr/bin/env bats
load /work/wt-threads/tests/bats/helpers/common
setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }
@test "time" {
	for prog in zdtm-counter zdtm-threads; do
	CT=$(crfs_mkct src)
	zdtm_start "$CT" $prog
	pid=$ZDTM_PID
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	t0=$(date +%s%N)
	cat "$CRFS_MNT/$CT/image" > $BATS_TEST_TMPDIR/img
	t1=$(date +%s%N)
	ct_write "$CT" state kill
	wait_empty "$CT"
	wait_pid_gone "$pid"
	ct2=$(crfs_mkct dst)
	t2=$(date +%s%N)
	cat $BATS_TEST_TMPDIR/img > "$CRFS_MNT/$ct2/image"
	t3=$(date +%s%N)
	echo "$prog: dump $(( (t1-t0)/1000 )) us restore $(( (t3-t2)/1000 )) us size $(stat -c %s $BATS_TEST_TMPDIR/img)" >&3
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	ZDTM_DIR=$ZDTM_DIR zdtm_finish
	done
}
