#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run the image-reader fuzzer (tests/fuzz/README) and say how it went.
#
#   tests/fuzz/run-fuzz.sh [-t SECONDS] [-j JOBS] [--grow]
#
# Without --grow (`make test`): builds the harness, runs it SECONDS (60)
# on a copy of tests/fuzz/corpus, so the repository is not touched, and
# prints one TAP test: executions, exec/s, and any finding (crash, leak,
# timeout, out of memory), whose input is kept and named.
# With --grow (`make fuzz`): runs SECONDS (0: until interrupted) with
# JOBS processes, then merges the inputs that add coverage into
# tests/fuzz/corpus (libFuzzer -merge=1).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
fuzz=$BUILD/fuzz/fuzz-image corpus=$top/tests/fuzz/corpus
secs=60 jobs=1 grow=0
# Inputs: seeds are ~25 KiB; a record is at most ~1 MiB.
opts=(-max_len=131072 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

while [ $# -gt 0 ]; do
	case $1 in
	-t) secs=$2; shift ;;
	-j) jobs=$2; shift ;;
	--grow) grow=1 ;;
	*) echo "usage: $0 [-t SECONDS] [-j JOBS] [--grow]" >&2; exit 2 ;;
	esac
	shift
done

echo "1..1"
if ! make --no-print-directory -C "$top" BUILD="$BUILD" fuzz-bin \
	>"$BUILD/fuzz-build.log" 2>&1; then
	echo "not ok 1 - fuzz: the harness builds (see $BUILD/fuzz-build.log)"
	tail -n 20 "$BUILD/fuzz-build.log" | sed 's/^/# /'
	exit 1
fi
mkdir -p "$BUILD/fuzz"
work=$(mktemp -d "$BUILD/fuzz/run.XXXXXX")
mkdir "$work/corpus" "$work/artifacts"
cp "$corpus"/* "$work/corpus/"
log=$work/fuzz.log

# Ctrl-C stops the fuzzer (it prints its stats), not this script.
trap 'echo "# interrupted"' INT
t0=$(date +%s)
if [ "$jobs" -gt 1 ]; then
	# Each job logs to fuzz-N.log in the current directory.
	(cd "$work" && "$fuzz" "${opts[@]}" -max_total_time="$secs" -jobs="$jobs" \
		-interrupted_exit_code=0 \
		-workers="$jobs" -artifact_prefix="$work/artifacts/" \
		"$work/corpus" >"$log" 2>&1)
	rc=$?
	cat "$work"/fuzz-*.log >>"$log" 2>/dev/null
else
	"$fuzz" "${opts[@]}" -max_total_time="$secs" -interrupted_exit_code=0 \
		-artifact_prefix="$work/artifacts/" "$work/corpus" >"$log" 2>&1
	rc=$?
fi
t1=$(date +%s)

runs=$(grep -h 'stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
rate=$(( runs / ( t1 > t0 ? t1 - t0 : 1 ) ))
found=$(find "$work/artifacts" -regextype egrep \
	-regex '.*/(crash|leak|timeout|oom)-.*' -printf '%f\n' | head -1)
inputs=$(find "$work/corpus" -type f | wc -l)
what="$runs executions in $((t1 - t0)) s ($rate exec/s), corpus $inputs inputs"
if [ $rc -ne 0 ] || [ -n "$found" ]; then
	echo "not ok 1 - fuzz: image reader: a finding after $what: ${found:-exit $rc}"
	grep -E 'ERROR|SUMMARY|runtime error|disagree|verify:|restore:' "$log" |
		head -n 20 | sed 's/^/# /'
	echo "# input and log kept in $work"
	exit 1
fi
echo "ok 1 - fuzz: image reader: $what, no finding"
if [ $grow = 1 ]; then
	mkdir "$work/merged"
	if "$fuzz" -merge=1 -use_counters=0 -max_len=131072 "$work/merged" "$corpus" \
		"$work/corpus" >>"$log" 2>&1; then
		rm -rf "$corpus"
		cp -r "$work/merged" "$corpus"
		echo "# corpus: $(find "$corpus" -type f | wc -l) inputs," \
		     "$(du -sk "$corpus" | cut -f1) KiB"
	else
		echo "# merging into $corpus failed: see $log"
		exit 1
	fi
fi
rm -rf "$work"
