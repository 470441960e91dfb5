#!/bin/bash
# CRIU's zdtm static tests through crfs-fuse, as TAP: one test per zdtm test
# and folder, plus one per folder that the daemon served it to the end.
#
#   tests/zdtm-peers/run-zdtm.sh            run the suite (root, /dev/fuse)
#   tests/zdtm-peers/run-zdtm.sh --find     print the peers folder, or fail
#
# The suite and its runner are not ours: they are the peers folder's
# zdtm/run.sh (see its README.md), found as make bench finds CRIU:
# $CRFS_PEERS, else ../shared/peers beside the repository, else
# /work/shared/peers.  Each folder (static: zdtm's own tests, which keep
# their directory open as fd 3; static-nodirfd: the same without it) runs on
# a crfs-fuse mount of its own with the hook zdtm/cr-crfs.sh.
#
# Verdicts, from run.sh's `PASS|FAIL|SKIP NAME CATEGORY REASON` lines:
#   - a test of known-wrong.list: skipped, "known wrong restore, issue 8",
#     whatever it did (never counted as passed);
#   - a test of pass.list must PASS; anything else fails it;
#   - any other test passes on PASS, is skipped on SKIP or on an honest
#     refusal ("C/R failed, test left running and unharmed"), and fails on
#     anything else: a wrong restore, a test killed and not restored, a
#     hang, a success with no test running.
# A result run.sh marks "[environment: /dev/null was replaced ...]" tells
# nothing about crfs: such a test, unless it passed, runs once more alone.
#
# Bounds: HOOK_TIMEOUT (ZDTM_HOOK_TIMEOUT, 60 s) per C/R cycle, and
# ZDTM_FOLDER_TIMEOUT (900 s) per folder.  Past it run.sh and everything it
# started are killed: the test then running fails as a hang, tests not
# reached are skipped (those of pass.list fail).  Whatever this run started
# is killed at the end, found by a token in its environment and its working
# directory, never by name; each mount is unmounted, even on failure.
#
# Environment: CRFS_BIN (crfs-fuse; default <repo>/build/bin), CRFS_PEERS,
# ZDTM_FOLDERS ("static static-nodirfd"), ZDTM_ONLY (names: a subset),
# ZDTM_WORK (where tests run and failed tests' images stay; default
# $BUILD/test-logs/zdtm, emptied first), AS_ROOT (passed to run.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
CRFS_BIN=${CRFS_BIN:-$BUILD/bin}
FOLDERS=${ZDTM_FOLDERS:-static static-nodirfd}
HOOK_TIMEOUT=${ZDTM_HOOK_TIMEOUT:-60}
FOLDER_TIMEOUT=${ZDTM_FOLDER_TIMEOUT:-900}
PASS_LIST=$here/pass.list
WRONG_LIST=$here/known-wrong.list

# find_peers: print the peers folder that has zdtm/run.sh.
find_peers() {
	local d cand=("${CRFS_PEERS:-$top/../shared/peers}")

	[ -z "${CRFS_PEERS:-}" ] && cand+=(/work/shared/peers)
	for d in "${cand[@]}"; do
		[ -x "$d/zdtm/run.sh" ] && (cd "$d" && pwd) && return 0
	done
	return 1
}

if [ "${1:-}" = --find ]; then
	find_peers
	exit
fi

peers=$(find_peers) || {
	echo "1..0 # skip zdtm: ../shared/peers/zdtm not found: the CRIU zdtm suite did not run"
	exit 0
}
zdtm=$peers/zdtm

bail() { echo "Bail out! zdtm: $*"; exit 1; }
[ "$(id -u)" = 0 ] || bail "needs root"
[ -c /dev/fuse ] || bail "needs /dev/fuse"
[ -x "$CRFS_BIN/crfs-fuse" ] || bail "$CRFS_BIN/crfs-fuse: not built"

work=${ZDTM_WORK:-$BUILD/test-logs/zdtm}
rm -rf --one-file-system "$work"
mkdir -p "$work" || bail "cannot make $work"
work=$(cd "$work" && pwd -P)
mnt=$(mktemp -d "${TMPDIR:-/tmp}/crfs-zdtm-mnt.XXXXXX") || bail "no mount point"
# Every process this run starts inherits it: the sweep finds them by it.
CRFS_ZDTM_RUN=$$.$RANDOM.$(date +%s%N)
export CRFS_ZDTM_RUN

fuse_pid=''
run_pid=''
n=0 nfailed=0

# The tests of run.sh's list (ZDTM_ONLY: those of them), in its order.
list_tests() {
	local name _
	while read -r name _; do
		case ${name:-} in ''|\#*) continue ;; esac
		[ -n "${ZDTM_ONLY:-}" ] && case " $ZDTM_ONLY " in *" $name "*) ;; *) continue ;; esac
		echo "$name"
	done <"$zdtm/list"
}

# in_list FILE FOLDER NAME: FILE has a line `FOLDER NAME` or `* NAME`.
in_list() {
	[ -r "$1" ] && awk -v f="$2" -v n="$3" '
		/^[[:space:]]*(#|$)/ { next }
		($1 == f || $1 == "*") && $2 == n { found = 1 }
		END { exit !found }' "$1"
}

mounted() {
	awk -v m="$1" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo
}

alive() {
	[ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -q '^State:.*[ZX]' "/proc/$1/status" 2>/dev/null
}

# wait_gone PID SECONDS
wait_gone() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		alive "$1" || return 0
		sleep 0.05
	done
	return 1
}

# tree PID: it and its descendants.
tree() {
	local c
	echo "$1"
	for c in $(cat "/proc/$1/task/"*/children 2>/dev/null); do tree "$c"; done
}

# ours: pids carrying this run's token, or working under its directory.
ours() {
	local p cwd
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
		[ "$p" = "$fuse_pid" ] && continue
		if { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null |
		   grep -qxF "CRFS_ZDTM_RUN=$CRFS_ZDTM_RUN"; then
			echo "$p"
			continue
		fi
		cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
		case $cwd in "$work"/*) echo "$p" ;; esac
	done
}

# sweep: kill what is left of run.sh, its hooks and its tests.
sweep() {
	local p pids
	if [ -n "$run_pid" ]; then
		pids=$(tree "$run_pid")
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null
		wait "$run_pid" 2>/dev/null
		run_pid=
	fi
	for _ in 1 2 3; do
		pids=$(ours)
		[ -n "$pids" ] || return 0
		for p in $pids; do kill -KILL "$p" 2>/dev/null; done
		sleep 0.2
	done
	echo "# zdtm: still running after SIGKILL: $(ours | tr '\n' ' ')"
}

# close_fds: close every descriptor above 2 (call in a subshell, then exec).
close_fds() {
	local fd
	for fd in "/proc/$BASHPID/fd/"*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	done
	return 0
}

# mount_fuse LOG: crfs-fuse on $mnt, without stray descriptors.
mount_fuse() {
	local i
	( close_fds
	  exec "$CRFS_BIN/crfs-fuse" -f "$mnt" ) </dev/null >"$1" 2>&1 &
	fuse_pid=$!
	for ((i = 0; i < 200; i++)); do
		mounted "$mnt" && return 0
		alive "$fuse_pid" || break
		sleep 0.05
	done
	return 1
}

# umount_fuse [SECONDS]: stop our daemon and unmount; 1: SIGTERM did not
# stop it within SECONDS (10), SIGKILL did.
umount_fuse() {
	local ret=0
	if [ -n "$fuse_pid" ]; then
		kill -TERM "$fuse_pid" 2>/dev/null
		if ! wait_gone "$fuse_pid" "${1:-10}"; then
			kill -KILL "$fuse_pid" 2>/dev/null
			ret=1
		fi
		wait "$fuse_pid" 2>/dev/null
		fuse_pid=
	fi
	if mounted "$mnt"; then
		fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -uz "$mnt" 2>/dev/null ||
			umount -l "$mnt" 2>/dev/null
	fi
	return $ret
}

cleanup() {
	trap - EXIT INT TERM
	sweep
	umount_fuse 3
	mounted "$mnt" || rmdir "$mnt" 2>/dev/null
}
trap cleanup EXIT
trap 'echo "# zdtm: interrupted"; exit 1' INT TERM

# tap KIND DESC [REASON]: one TAP line; KIND is passed, refused, skipped,
# wrong (known wrong) or failed, and counted in tally[KIND].
declare -A tally
tap() {
	local desc=${2//#/} why=${3:-}
	why=${why//#/}
	n=$((n + 1))
	tally[$1]=$(( ${tally[$1]:-0} + 1 ))
	[ "$1" = failed ] && nfailed=$((nfailed + 1))
	case $1 in
	passed)	echo "ok $n - $desc" ;;
	failed)	echo "not ok $n - $desc" ;;
	*)	echo "ok $n - $desc # skip $why" ;;
	esac
}

# judge FOLDER NAME STATUS CATEGORY REASON: one TAP line from run.sh's result.
judge() {
	local folder=$1 name=$2 st=$3 cat=$4 why=$5 must=
	local desc="$folder/$name ($cat)"

	if in_list "$WRONG_LIST" "$folder" "$name"; then
		tap wrong "$desc" "known wrong restore, issue 8 (this run: $st ${why:0:200})"
		return
	fi
	in_list "$PASS_LIST" "$folder" "$name" && must=1
	case $st in
	PASS)	tap passed "$desc${why:+: $why}" ;;
	SKIP)	if [ -n "$must" ]; then
			tap failed "$desc: must pass (pass.list), run.sh skipped it: $why"
		else
			tap skipped "$desc" "$why"
		fi ;;
	*)	case $why in
		"C/R failed, test left running and unharmed (PASS)"*)
			if [ -n "$must" ]; then
				tap failed "$desc: must pass (pass.list): $why"
			else
				tap refused "$desc" "refused honestly: ${why#C/R failed, }"
			fi ;;
		*)	tap failed "$desc: $why" ;;
		esac ;;
	esac
}

# run_folder FOLDER OUT [ONLY]: run.sh on one folder, bounded; 0: it ended.
run_folder() {
	local folder=$1 out=$2 start
	( close_fds
	  export WORK=$work/$folder HOOK_TIMEOUT CRFS_MNT=$mnt
	  only=${3:-${ZDTM_ONLY:-}}
	  [ -n "$only" ] && export ONLY=$only
	  exec "$zdtm/run.sh" "$zdtm/$folder" "$zdtm/cr-crfs.sh" ) </dev/null >"$out" 2>&1 &
	run_pid=$!
	start=$SECONDS
	while alive "$run_pid"; do
		if [ $((SECONDS - start)) -ge "$FOLDER_TIMEOUT" ]; then
			sweep
			return 1
		fi
		sleep 1
	done
	wait "$run_pid" 2>/dev/null
	run_pid=
	sweep
	return 0
}

mapfile -t tests < <(list_tests)
read -ra folders <<<"$FOLDERS"
echo "1..$(( (${#tests[@]} + 1) * ${#folders[@]} ))"
echo "# zdtm: $zdtm, crfs-fuse: $CRFS_BIN/crfs-fuse, work: $work"
for folder in "${folders[@]}"; do
	out=$work/$folder.run
	[ -x "$zdtm/$folder/sleeping00" ] || bail "$zdtm/$folder: no zdtm tests"
	t0=$SECONDS
	if ! mount_fuse "$work/$folder.crfs-fuse.log"; then
		umount_fuse
		bail "crfs-fuse did not mount $mnt: $(tail -n 3 "$work/$folder.crfs-fuse.log" | tr '\n' ' ')"
	fi
	ended=1
	run_folder "$folder" "$out" || ended=0
	# Retry, alone, what the environment may have spoiled.
	for name in $(awk '$1 != "PASS" && /\[environment: \/dev\/null was replaced/ { print $2 }' "$out"); do
		[ $ended = 1 ] || break
		echo "# zdtm: $folder/$name: /dev/null was replaced during it: once more"
		run_folder "$folder" "$out.$name" "$name" || ended=0
		line=$(grep -E "^(PASS|FAIL|SKIP) $name " "$out.$name")
		[ -n "$line" ] && sed -i "s|^[A-Z]* $name .*|# first: &|" "$out" && echo "$line" >>"$out"
	done
	if ! alive "$fuse_pid" || ! mounted "$mnt"; then
		daemon="crfs-fuse is gone: $(tail -n 3 "$work/$folder.crfs-fuse.log" | tr '\n' ' ')"
		umount_fuse
	elif ! umount_fuse; then
		daemon="crfs-fuse did not exit within 10 s of SIGTERM: killed"
	else
		daemon=ok
	fi

	tally=()
	reached=1
	for name in "${tests[@]}"; do
		line=$(grep -E "^(PASS|FAIL|SKIP) $name " "$out" | tail -n 1)
		if [ -n "$line" ]; then
			read -r st _ cat why <<<"$line"
			judge "$folder" "$name" "$st" "$cat" "$why"
		elif [ $reached = 1 ] && [ $ended = 0 ]; then
			reached=0
			tap failed "$folder/$name: no result within the folder's ${FOLDER_TIMEOUT}s (hang; ZDTM_FOLDER_TIMEOUT)"
		elif [ $ended = 0 ] && in_list "$PASS_LIST" "$folder" "$name"; then
			tap failed "$folder/$name: must pass (pass.list), not reached within the folder's ${FOLDER_TIMEOUT}s"
		elif [ $ended = 0 ]; then
			tap skipped "$folder/$name" "not reached within the folder's ${FOLDER_TIMEOUT}s"
		else
			tap failed "$folder/$name: no result from run.sh (see $out)"
		fi
	done
	echo "# $folder: ${tally[passed]:-0} passed, ${tally[refused]:-0} refused honestly," \
	     "${tally[skipped]:-0} skipped, ${tally[wrong]:-0} known wrong (issue 8)," \
	     "${tally[failed]:-0} failed, in $((SECONDS - t0)) s" \
	     "(run.sh: $(grep -E '^[0-9]+ passed' "$out" | head -n 1))"
	if [ "$daemon" = ok ]; then
		tap passed "$folder: crfs-fuse served the whole folder and stopped at SIGTERM"
	else
		tap failed "$folder: $daemon"
	fi
done
[ "$nfailed" = 0 ]
