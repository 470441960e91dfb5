#!/bin/bash
# Run every test suite and print one closing line: "N passed, N failed, N skipped".
#
# Suites: C unit tests (TAP), the image-reader fuzzer (tests/fuzz), the bats
# conformance suite against the FUSE prototype (tests/bats, tests/bats/fuse),
# CRIU's zdtm static tests through it when the peers folder has them
# (tests/zdtm-peers; else it says so and counts nothing),
# then the same three against the sanitizer build (make asan: ASan, LSan,
# UBSan; unit-asan, bats-asan, bats-fuse-asan), then the kernel.  Each suite
# runs under a timeout so that a hung FUSE mount cannot hang the run.  The
# test kernel builds in the background from the start, at the lowest
# priority (nice 19: the suites keep the CPU they ask for), and the VM stage
# waits for it.  Exit status 0 only when nothing failed and something ran.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
ASAN_BUILD=${ASAN_BUILD:-$BUILD/asan}
case $ASAN_BUILD in /*) ;; *) ASAN_BUILD=$top/$ASAN_BUILD ;; esac
export BUILD
export CRFS_BIN=${CRFS_BIN:-$BUILD/bin}
export CRFS_ZDTM=${CRFS_ZDTM:-$BUILD/tests/zdtm}
logdir=$BUILD/test-logs
mkdir -p "$logdir"

pass=0 fail=0 skip=0
# Every failure line, repeated just above the closing line (CI shows a tail).
failed=$logdir/failed.txt
: >"$failed"

# Count a TAP stream read from a file; print failures.
count_tap() {
	local name=$1 log=$2 p f s
	p=$(grep -cE '^ok [0-9]+' "$log" | head -1)
	s=$(grep -cE '^ok [0-9]+ .*# ?skip' "$log" | head -1)
	f=$(grep -cE '^not ok [0-9]+' "$log" | head -1)
	p=$((p - s))
	# A suite that planned N tests but reported fewer lost some: count them failed.
	local plan
	plan=$(grep -m1 -oE '^1\.\.[0-9]+' "$log" | cut -d. -f3)
	if [ -n "$plan" ] && [ $((p + s + f)) -lt "$plan" ]; then
		echo "  $name: planned $plan tests, saw $((p + s + f))" | tee -a "$failed"
		f=$((plan - p - s))
	elif [ -z "$plan" ] && [ $((p + s + f)) -eq 0 ]; then
		echo "  $name: no test output" | tee -a "$failed"
		f=1
	fi
	grep -E '^not ok' "$log" | sed "s|^|  $name: |" | tee -a "$failed"
	printf '%-28s %4d passed, %d failed, %d skipped\n' "$name" "$p" "$f" "$s"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

# run_suite NAME TIMEOUT CMD...: run a TAP-producing command, keep its log.
run_suite() {
	local name=$1 limit=$2 log=$logdir/${1//\//-}.tap rc
	shift 2
	timeout --kill-after=10 "$limit" "$@" </dev/null >"$log" 2>&1 3>&-
	rc=$?
	[ $rc -eq 124 ] && echo "not ok 999 $name timed out after $limit" >>"$log"
	count_tap "$name" "$log"
}

# san_suite NAME TIMEOUT CMD...: run_suite under the sanitizers.  Every
# report (ASan, LSan at exit, UBSan) of any process of the suite is a file
# of its own directory, whether a test noticed or not; each counts as a
# failed test, named, with its first lines.
san_suite() {
	local name=$1 dir=$logdir/sanitizer/${1//\//-} f n=0
	rm -rf "$dir"
	mkdir -p "$dir"
	# LSan at each exit; stacks unwound in full, through libfuse too (it has
	# no frame pointers); locals checked after return; string arguments
	# checked whole.
	local asan="log_path=$dir/report:detect_leaks=1:fast_unwind_on_malloc=0"
	asan+=":detect_stack_use_after_return=1:strict_string_checks=1"
	ASAN_OPTIONS=$asan \
	UBSAN_OPTIONS="log_path=$dir/report:print_stacktrace=1:report_error_type=1:halt_on_error=1" \
		run_suite "$@"
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		echo "  $name: not ok - sanitizer report $f:" | tee -a "$failed"
		head -n 12 "$f" | sed 's/^/      /'
		n=$((n + 1))
	done
	if [ "$n" -gt 0 ]; then
		printf '%-28s %4d sanitizer reports (failed)\n' "$name" "$n"
		fail=$((fail + n))
	fi
}

# The kernel build, in the background from now on, in a process group of
# its own (setsid): killed with the run if the run ends early, reniced to 0
# and waited for (an hour at most) before the VM stage.
klog=$logdir/kernel-build.log
setsid -w nice -n 19 "$top/scripts/kernel-build.sh" </dev/null >"$klog" 2>&1 3>&- &
kpid=$!
kt0=$(date +%s)
trap 'kill -- -"$kpid" 2>/dev/null' EXIT

echo "== unit tests"
for t in "$BUILD"/tests/unit/*; do
	[ -x "$t" ] || continue
	run_suite "unit/$(basename "$t")" 120 "$t"
done

# --- fuzz: the image reader under libFuzzer, ~60 s from the repository's
# corpus (tests/fuzz/README); one test, failed by any finding.
echo "== fuzz: the image reader (libFuzzer, 60 s)"
run_suite fuzz 600 "$top/tests/fuzz/run-fuzz.sh" -t 60
sed -n 's/^ok 1 - fuzz: /  fuzz: /p' "$logdir/fuzz.tap"
# --- end fuzz ---

if [ "$(id -u)" != 0 ] || [ ! -c /dev/fuse ]; then
	echo "crfs tests need root and /dev/fuse" | tee -a "$failed" >&2
	fail=$((fail + 1))
else
	echo "== bats: conformance suite (FUSE prototype)"
	run_suite bats 1800 bats --tap "$top/tests/bats"
	if [ -d "$top/tests/bats/fuse" ]; then
		echo "== bats: FUSE-only tests"
		run_suite bats-fuse 600 bats --tap "$top/tests/bats/fuse"
	fi
fi

# --- zdtm: CRIU's zdtm static tests, from the peers folder, through
# crfs-fuse (tests/zdtm-peers/run-zdtm.sh: one test per zdtm test and
# folder; pass.list must pass, known-wrong.list counts skipped).  Bounded by
# its own limits (60 s a C/R cycle, 900 s a folder) and this timeout.
if zdtm_peers=$("$top/tests/zdtm-peers/run-zdtm.sh" --find); then
	echo "== zdtm: CRIU's zdtm static tests through crfs-fuse ($zdtm_peers/zdtm)"
	t0=$(date +%s)
	run_suite zdtm 2100 "$top/tests/zdtm-peers/run-zdtm.sh"
	sed -n "s/^# \(static[^:]*: [0-9]* passed\)/  zdtm: \1/p" "$logdir/zdtm.tap"
	echo "zdtm: $(($(date +%s) - t0)) s"
else
	echo "zdtm: ../shared/peers/zdtm not found: the CRIU zdtm suite did not run"
fi
# --- end zdtm ---

# The sanitizer build: the same suites, CRFS_BIN at its binaries (the zdtm
# programs, what gets checkpointed, stay the plain ones).
echo "== sanitizers: ASan, LSan, UBSan build ($ASAN_BUILD)"
t0=$(date +%s)
if [ ! -x "$ASAN_BUILD/bin/crfs-fuse" ]; then
	echo "  no sanitizer build in $ASAN_BUILD (make asan)" | tee -a "$failed"
	fail=$((fail + 1))
else
	for t in "$ASAN_BUILD"/tests/unit/*; do
		[ -x "$t" ] || continue
		san_suite "unit-asan/$(basename "$t")" 300 "$t"
	done
	if [ "$(id -u)" = 0 ] && [ -c /dev/fuse ]; then
		plain_bin=$CRFS_BIN
		export CRFS_BIN=$ASAN_BUILD/bin
		san_suite bats-asan 2400 bats --tap "$top/tests/bats"
		if [ -d "$top/tests/bats/fuse" ]; then
			san_suite bats-fuse-asan 900 bats --tap "$top/tests/bats/fuse"
		fi
		CRFS_BIN=$plain_bin
	fi
fi
echo "sanitizer suites: $(($(date +%s) - t0)) s"

# The kernel side: build the test kernel, then run the suites in a VM.
echo "== kernel build (begun in the background at the start)"
t0=$(date +%s)
renice -n 0 -g "$kpid" >/dev/null 2>&1
while kill -0 "$kpid" 2>/dev/null && [ $(($(date +%s) - t0)) -lt 3600 ]; do
	sleep 2
done
if kill -0 "$kpid" 2>/dev/null; then
	kill -- -"$kpid"
	echo "kernel build: killed after 3600 s of waiting" >>"$klog"
fi
wait "$kpid"
krc=$?
if [ "$krc" = 0 ]; then
	echo "ok 1 - the test kernel builds ($(($(date +%s) - kt0)) s from the start)" >"$logdir/kernel.tap"
else
	echo "not ok 1 - the test kernel builds (status $krc, see $klog)" >"$logdir/kernel.tap"
	tail -n 20 "$klog"
fi
echo "1..1" >>"$logdir/kernel.tap"
count_tap kernel "$logdir/kernel.tap"
echo "kernel build: waited $(($(date +%s) - t0)) s for it here, $(($(date +%s) - kt0)) s since it began"

if [ "$krc" = 0 ] && [ -r "$BUILD/kernel/bzImage" ]; then
	echo "== VM: suites inside the test kernel"
	t0=$(date +%s)
	run_suite vm 3700 "$top/scripts/vm-run.sh" -t 3600 -c tests/vm/run-kernel-suite.sh
	echo "VM run: $(($(date +%s) - t0)) s (console: $BUILD/kernel/console.log)"
fi

echo "logs: $logdir"
if [ -s "$failed" ]; then
	echo "failures (also above, in their suites):"
	cut -c1-200 "$failed"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
