#!/bin/bash
# crfs demo: a counting process is checkpointed through a file, killed,
# restored into a new container, and goes on counting where it stopped.
#
#   BUILD=build scripts/demo.sh        (what `make demo` runs)
#
# Exits non-zero if the restored counter does not continue from its count.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
[[ $build == /* ]] || build=$repo/$build
bin=$build/bin
counter=$build/tests/zdtm/zdtm-counter

for f in "$bin/crfs-fuse" "$bin/crctl" "$bin/crfs-image" "$counter"; do
	[[ -x $f ]] || { echo "demo: $f is missing: run make first" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/crfs-demo.XXXXXX)
mnt=$tmp/crfs
work=$tmp/counter
log=$work/log
fuse_pid=
pid=

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
show() { printf '$ %s\n' "$*"; }
die() { echo "demo: FAILED: $*" >&2; exit 1; }

# wait_until SECONDS CMD...: poll CMD every 50 ms.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < end)) || return 1
		sleep 0.05
	done
}

mounted() { awk -v m="$mnt" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo; }
frozen() { grep -qx 'frozen 1' "$mnt/$1/events"; }
gone() { [[ ! -e /proc/$1 ]]; }
lines() { wc -l <"$log"; }
more_than() { (($(lines) > $1)); }

cleanup() {
	local ct

	set +e
	for ct in "$mnt"/*/; do
		[[ -f $ct/state ]] || continue	# a container, not ns/
		echo kill >"$ct/state" 2>/dev/null
		wait_until 10 grep -qx 'populated 0' "$ct/events"
		rmdir "$ct" 2>/dev/null
	done
	if [[ -n $fuse_pid ]] && kill -0 "$fuse_pid" 2>/dev/null; then
		kill -TERM "$fuse_pid"
		wait_until 10 gone "$fuse_pid" || kill -KILL "$fuse_pid"
	fi
	mounted && { fusermount3 -u "$mnt" || fusermount3 -uz "$mnt"; }
	rm -rf "$tmp"
}
trap cleanup EXIT

# Start with no stray descriptors (shells leak some).
clean_exec() {
	local fd
	for fd in "/proc/$BASHPID/fd/"*; do
		fd=${fd##*/}
		((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
	done
	exec "$@"
}

say "mount crfs"
mkdir -p "$mnt" "$work"
show "crfs-fuse $mnt"
(clean_exec "$bin/crfs-fuse" -f "$mnt") </dev/null >"$tmp/crfs-fuse.log" 2>&1 &
fuse_pid=$!
disown "$fuse_pid"
wait_until 10 mounted || { cat "$tmp/crfs-fuse.log" >&2; die "crfs-fuse did not mount"; }

say "start a counter in container ct1 (one line every 100 ms)"
show "crctl run ct1 -- zdtm-counter $work"
(clean_exec "$bin/crctl" -r "$mnt" run ct1 -- "$counter" "$work") \
	</dev/null >"$tmp/counter.out" 2>&1 &
pid=$!
disown "$pid"
wait_until 10 test -e "$work/ready" || die "the counter did not start"
wait_until 10 more_than 4 || die "the counter does not count"
show "tail -3 $log"
tail -3 "$log"
"$bin/crctl" -r "$mnt" ps

say "checkpoint ct1 through its files"
show "echo freeze > $mnt/ct1/state"
echo freeze >"$mnt/ct1/state"
wait_until 10 frozen ct1 || die "ct1 did not freeze"
show "cat $mnt/ct1/events"
cat "$mnt/ct1/events"
show "cat $mnt/ct1/image > ct1.img"
cat "$mnt/ct1/image" >"$tmp/ct1.img"
last=$(lines)
echo "image: $(stat -c %s "$tmp/ct1.img") bytes; the counter stopped at $(tail -1 "$log")"
show "crfs-image show ct1.img"
"$bin/crfs-image" show "$tmp/ct1.img" |
	grep -E '^ *(version|arch|kernel|tasks|task [0-9]+|exe|mappings|fds|pages|totals):? '

say "kill it"
show "echo kill > $mnt/ct1/state"
echo kill >"$mnt/ct1/state"
wait_until 15 gone "$pid" || die "pid $pid did not go away"
echo "pid $pid is gone; ct1 is $(cat "$mnt/ct1/state")"
rmdir "$mnt/ct1"

say "restore it into a new container ct2"
show "mkdir $mnt/ct2; cat ct1.img > $mnt/ct2/image"
mkdir "$mnt/ct2"
cat "$tmp/ct1.img" >"$mnt/ct2/image" ||
	die "restore failed: $(cat "$mnt/ct2/error")"
echo "ct2 is $(cat "$mnt/ct2/state"), pid $(cat "$mnt/ct2/procs")"
[[ $(cat "$mnt/ct2/procs") == "$pid" ]] || die "the restored pid is not $pid"

say "thaw it: it goes on from count $last"
show "echo thaw > $mnt/ct2/state"
echo thaw >"$mnt/ct2/state"
wait_until 10 more_than $((last + 3)) || die "the restored counter does not count"
show "tail -5 $log"
tail -5 "$log"

next=$(sed -n "$((last + 1))p" "$log")
[[ $next == "count $((last + 1))" ]] ||
	die "after count $last came '$next', not count $((last + 1))"
kill -TERM "$pid"
wait_until 10 test -e "$work/result" || die "the counter did not finish"
result=$(cat "$work/result")
[[ $result == PASS ]] || die "the counter's own check: $result"

say "OK: restored at count $((last + 1)), the same pid $pid, log checked: $result"
