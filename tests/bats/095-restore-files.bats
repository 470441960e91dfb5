#!/usr/bin/env bats
# The files of a restore: every file the restore opens is the image's own
# (checked on the descriptor, never through a symbolic link the image did
# not have), whatever races it; what a checkpoint accepts restores; what
# it refuses says what to do.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }

teardown() {
	if [[ -n ${SWAPPER_PID:-} ]]; then
		kill -TERM "$SWAPPER_PID" 2>/dev/null || true
		wait_for "the swapper to stop" 10 crfs_gone "$SWAPPER_PID" || true
	fi
	crfs_teardown
	[[ -z ${PUB:-} ]] || rm -rf "$PUB"
}

SWAPPER=${CRFS_TOOLS:-$CRFS_BIN/../tests/tools}/swapper
[[ -x $SWAPPER ]] || SWAPPER=$CRFS_REPO/build/tests/tools/swapper
NOBODY=65534
# Restores raced by the swapper, per test.
RACE_ROUNDS=${CRFS_RACE_ROUNDS:-40}

# --- zdtm-userfiles, run as nobody from a directory it can reach ---

# userfiles_start CT: a world-readable $PUB holding a copy of the program
# (prog), nobody's directory z, a root-only secret and, beside each file
# the race swaps, a symbolic link to the secret (NAME.evil), and a decoy
# for map.dat (another file of nobody's, same size).  Starts the program
# in CT; sets ZDTM_DIR, ZDTM_PID.
userfiles_start() {
	local ct=$1

	PUB=$(mktemp -d /tmp/crfs-userfiles.XXXXXX)
	chmod 0755 "$PUB"
	cp "$CRFS_ZDTM/zdtm-userfiles" "$PUB/prog"
	mkdir "$PUB/z"
	chown "$NOBODY:$NOBODY" "$PUB/z"
	printf 'SECRET-%.0s' {1..1024} >"$PUB/secret"
	chmod 0600 "$PUB/secret"
	ln -s "$PUB/secret" "$PUB/prog.evil"
	ZDTM_DIR=$PUB/z
	start_in "$ct" "$PUB/prog" "$ZDTM_DIR"
	ZDTM_PID=$STARTED_PID
	if ! wait_for "zdtm-userfiles to be ready" 30 zdtm_seen_start "$ZDTM_DIR" ||
	   [[ ! -e $ZDTM_DIR/ready ]]; then
		cat "$STARTED_ERR" "$ZDTM_DIR/result" >&2 2>/dev/null
		return 1
	fi
	ln -s "$PUB/secret" "$ZDTM_DIR/map.dat.evil"
	ln -s "$PUB/secret" "$ZDTM_DIR/fd.dat.evil"
	# A file of the same size and owner, but another one.
	printf 'DECOY---%.0s' {1..1024} >"$ZDTM_DIR/map.dat.decoy"
	chown "$NOBODY:$NOBODY" "$ZDTM_DIR/map.dat.decoy"
	read -r MAP_ADDR USER_FD <"$ZDTM_DIR/info"
	SECRET_INO=$(stat -c %i "$PUB/secret")
	MAP_INO=$(stat -c %i "$ZDTM_DIR/map.dat")
	FD_INO=$(stat -c %i "$ZDTM_DIR/fd.dat")
	EXE_INO=$(stat -c %i "$PUB/prog")
}

# mem_at PID ADDR LEN: LEN bytes of PID's memory at hex ADDR.
mem_at() {
	dd if="/proc/$1/mem" iflag=skip_bytes,count_bytes skip=$((16#$2)) \
		count="$3" status=none
}

# no_secret PID: nothing of PID is the secret: mappings, descriptors, exe,
# and the mapping shows map.dat's first bytes.
no_secret() {
	local pid=$1 f

	run -0 awk -v ino="$SECRET_INO" '$5 == ino' "/proc/$pid/maps"
	[[ -z $output ]] || fail "pid $pid maps the secret: $output"
	run -0 awk -v a="$MAP_ADDR" '$1 ~ "^0*" a "-" { print $5 }' "/proc/$pid/maps"
	assert_output "$MAP_INO"
	for f in "/proc/$pid/fd/"*; do
		[[ $(stat -L -c %i "$f") != "$SECRET_INO" ]] ||
			fail "$f is the secret"
	done
	run -0 stat -L -c %i "/proc/$pid/fd/$USER_FD"
	assert_output "$FD_INO"
	run -0 stat -L -c %i "/proc/$pid/exe"
	assert_output "$EXE_INO"
	run -0 mem_at "$pid" "$MAP_ADDR" 8
	assert_output "MAP-DAT:"
}

# race_restores IMG PID PAIRS...: restore IMG RACE_ROUNDS times while the
# swapper exchanges each pair of names (relative to $PUB).  Every restore
# fails naming the first of them and leaves its container empty, or
# succeeds without the secret anywhere, and the process, thawed, passes
# its own check.
race_restores() {
	local img=$1 pid=$2 race_round ct ok=0 refused=0 name
	local -a pairs=()
	shift 2

	for name; do
		pairs+=("$PUB/$name")
	done
	start_bg "$SWAPPER" "$PUB/swapper.ready" "${pairs[@]}"
	SWAPPER_PID=$STARTED_PID
	wait_for "the swapper to start" 10 test -e "$PUB/swapper.ready"
	# Not i: bats' run sets a global i.
	for ((race_round = 0; race_round < RACE_ROUNDS; race_round++)); do
		ct=$(crfs_mkct race)
		if crfs_restore "$ct" "$img" 2>/dev/null; then
			ok=$((ok + 1))
			run -0 ct_file "$ct" procs
			assert_output "$pid"
			no_secret "$pid"
			rm -f "$ZDTM_DIR/result"
			ct_write "$ct" state thaw
			zdtm_finish "$ZDTM_DIR" "$pid"
		else
			refused=$((refused + 1))
			wait_for "the restore to end" 15 \
				grep -qvx restoring "$CRFS_MNT/$ct/state"
			run -0 ct_file "$ct" error
			assert_output --regexp "$PUB/$1(: Too many levels of symbolic links \(a symbolic link| is another file now| has changed)"
			run -0 ct_file "$ct" procs
			assert_output ""
		fi
		wait_pid_gone "$pid"
		crfs_rmct "$ct"
	done
	kill -TERM "$SWAPPER_PID"
	wait_for "the swapper to stop" 10 crfs_gone "$SWAPPER_PID"
	SWAPPER_PID=
	echo "# $ok restores succeeded, $refused were refused" >&3
}

# userfiles_race [PAIRS...]: checkpoint zdtm-userfiles, race restores of
# it against the swapper (if PAIRS are given), then restore once unraced:
# it must pass.
userfiles_race() {
	local ct pid img

	ct=$(crfs_mkct src)
	userfiles_start "$ct"
	pid=$ZDTM_PID
	img=$BATS_TEST_TMPDIR/userfiles.img
	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_pid_gone "$pid"
	if (($#)); then
		race_restores "$img" "$pid" "$@"
	fi
	ct=$(crfs_mkct calm)
	crfs_restore "$ct" "$img"
	no_secret "$pid"
	rm -f "$ZDTM_DIR/result"
	ct_write "$ct" state thaw
	zdtm_finish "$ZDTM_DIR" "$pid"
}

# bats test_tags=image
@test "zdtm-userfiles: an unprivileged process's files round-trip" {
	require_image
	userfiles_race
}

# bats test_tags=image
@test "a mapped file swapped for a link to a root-only file: never mapped" {
	require_image
	userfiles_race z/map.dat z/map.dat.evil
}

# bats test_tags=image
@test "a mapped file swapped for another file of the same size: never mapped" {
	require_image
	userfiles_race z/map.dat z/map.dat.decoy
}

# bats test_tags=image
@test "an open file swapped for a link to a root-only file: never opened" {
	require_image
	userfiles_race z/fd.dat z/fd.dat.evil
}

# bats test_tags=image
@test "the executable swapped for a link to a root-only file: never used" {
	require_image
	userfiles_race prog prog.evil
}

# --- whose credentials a file is opened with ---

# revoke_start CT: a world-readable $PUB holding a root file root.txt
# (0644), and `sleep` in CT as nobody, holding it open at fd 5, from $PUB.
revoke_start() {
	PUB=$(mktemp -d /tmp/crfs-revoke.XXXXXX)
	chmod 0755 "$PUB"
	echo "root's, readable by all" >"$PUB/root.txt"
	chmod 0644 "$PUB/root.txt"
	start_in "$1" setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups -- \
		bash -c "cd '$PUB' && exec 5<'$PUB/root.txt' && exec sleep 1000"
	wait_for "bash to exec sleep with root.txt at fd 5" 10 \
		sleep_has_fd5 "$STARTED_PID" "$PUB/root.txt"
}

# sleep_has_fd5 PID PATH: PID runs sleep, PATH open at descriptor 5.
sleep_has_fd5() {
	grep -q '^Name:.sleep' "/proc/$1/status" 2>/dev/null &&
		[[ $(readlink "/proc/$1/fd/5" 2>/dev/null) == "$2" ]]
}

# bats test_tags=image
@test "a file the process opened itself, made root-only since the checkpoint: the restore is refused" {
	require_image
	local ct ct2 pid img

	ct=$(crfs_mkct src)
	revoke_start "$ct"
	pid=$STARTED_PID
	img=$BATS_TEST_TMPDIR/revoke.img
	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_pid_gone "$pid"
	chmod 0600 "$PUB/root.txt"
	ct2=$(crfs_mkct dst)
	run ! crfs_restore "$ct2" "$img"
	wait_for "the restore to end" 15 \
		grep -qvx restoring "$CRFS_MNT/$ct2/state"
	run -0 ct_file "$ct2" error
	assert_output --regexp "pid $pid: fd 5: $PUB/root.txt: Permission denied \(the process could open it with its own credentials at the checkpoint and cannot now"
	run -0 ct_file "$ct2" procs
	assert_output ""
	crfs_rmct "$ct2"
	# The same image restores once the permission is back.
	chmod 0644 "$PUB/root.txt"
	ct2=$(crfs_mkct again)
	crfs_restore "$ct2" "$img"
	run -0 readlink "/proc/$pid/fd/5"
	assert_output "$PUB/root.txt"
	run -0 grep '^Uid:' "/proc/$pid/status"
	assert_output --regexp "^Uid:\s+$NOBODY\s+$NOBODY\s+$NOBODY\s+$NOBODY\$"
}

# bats test_tags=image
@test "a file swapped for a FIFO with no writer: the restore fails at once, not after a wait" {
	require_image
	local ct ct2 pid img

	ct=$(crfs_mkct src)
	revoke_start "$ct"
	pid=$STARTED_PID
	img=$BATS_TEST_TMPDIR/fifo.img
	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_pid_gone "$pid"
	# An open() of a FIFO for reading waits for a writer: none comes.
	mv "$PUB/root.txt" "$PUB/root.txt.real"
	mkfifo -m 0644 "$PUB/root.txt"
	ct2=$(crfs_mkct dst)
	run ! timeout 5 bash -c 'cat "$1" >"$2"' _ "$img" "$CRFS_MNT/$ct2/image"
	(( status != 124 )) || fail "the restore waited on the FIFO"
	wait_for "the restore to end" 15 \
		grep -qvx restoring "$CRFS_MNT/$ct2/state"
	run -0 ct_file "$ct2" error
	assert_output --regexp "pid $pid: fd 5: $PUB/root.txt is another file now"
	run -0 ct_file "$ct2" procs
	assert_output ""
	crfs_rmct "$ct2"
	rm "$PUB/root.txt"
	mv "$PUB/root.txt.real" "$PUB/root.txt"
	ct2=$(crfs_mkct again)
	crfs_restore "$ct2" "$img"
	run -0 readlink "/proc/$pid/fd/5"
	assert_output "$PUB/root.txt"
	# Its status flags are the image's: O_NONBLOCK was only for the open.
	run -0 grep '^flags:' "/proc/$pid/fdinfo/5"
	assert_output --regexp "^flags:\s+0100000\$"
}

# bats test_tags=image
@test "a read-only file mapped where a read-write one was: it comes back read-only (map_files caches the first mode)" {
	require_image
	local ct ct2 pid img dir

	PUB=$(mktemp -d /tmp/crfs-mapcache.XXXXXX)
	chmod 0755 "$PUB"
	dir=$PUB/z
	mkdir "$dir"
	chown "$NOBODY:$NOBODY" "$dir"
	printf 'RW-FILE-%.0s' {1..512} >"$dir/rw"
	chown "$NOBODY:$NOBODY" "$dir/rw"
	printf 'ROOTS---%.0s' {1..512} >"$dir/ro"
	chmod 0644 "$dir/ro"
	cp "$CRFS_ZDTM/zdtm-mapcache" "$PUB/prog"
	ct=$(crfs_mkct src)
	start_in "$ct" setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups -- \
		"$PUB/prog" "$dir"
	pid=$STARTED_PID
	wait_for "the first mapping" 10 test -e "$dir/first"
	# A checkpoint looks at map_files: the kernel caches the rw mode.
	crfs_checkpoint "$ct" /dev/null
	ct_write "$ct" state thaw
	kill -USR1 "$pid"
	wait_for "the read-only file mapped in its place" 10 zdtm_seen_start "$dir"
	[[ ! -e $dir/result ]] || fail "$(cat "$dir/result")"
	img=$BATS_TEST_TMPDIR/mapcache.img
	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_pid_gone "$pid"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$img"
	ct_write "$ct2" state thaw
	zdtm_finish "$dir" "$pid"
	run -0 cat "$dir/ro"
	[[ $output == ROOTS---* ]] || fail "the root file was written: ${output:0:16}"
}

@test "a directory opened without O_DIRECTORY comes back without it, one with it with it" {
	local ct ct2 pid img

	PUB=$(mktemp -d /tmp/crfs-dirflags.XXXXXX)
	ct=$(crfs_mkct src)
	start_in "$ct" python3 -c '
import os, sys, time
a = os.open(sys.argv[1], os.O_RDONLY)
b = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
os.dup2(a, 5)
os.dup2(b, 6)
open(sys.argv[1] + "/ready", "w").close()
time.sleep(1000)' "$PUB"
	pid=$STARTED_PID
	wait_for "the directories open" 10 test -e "$PUB/ready"
	img=$BATS_TEST_TMPDIR/dirflags.img
	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_pid_gone "$pid"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$img"
	run -0 grep '^flags:' "/proc/$pid/fdinfo/5"
	assert_output --regexp "^flags:\s+0100000\$"
	run -0 grep '^flags:' "/proc/$pid/fdinfo/6"
	assert_output --regexp "^flags:\s+0300000\$"
}

# bats test_tags=image
@test "a root-only file opened as root before dropping to nobody: recorded as privileged, restored" {
	require_image
	local ct pid img

	ct=$(crfs_mkct src)
	userfiles_start "$ct"
	pid=$ZDTM_PID
	img=$BATS_TEST_TMPDIR/priv.img
	crfs_checkpoint "$ct" "$img"
	"$CRFS_BIN/crfs-image" json "$img" >"$BATS_TEST_TMPDIR/priv.json"
	# root.log: only through privilege; its own fd.dat and the program
	# (root's, 0755): with its own credentials.
	run -0 python3 - "$BATS_TEST_TMPDIR/priv.json" "$ZDTM_DIR" "$PUB" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
d, pub = sys.argv[2], sys.argv[3]
def cflags(path):
    f = [f for f in doc["files"] if f["path"] == path]
    if not f:
        sys.exit("no file " + path)
    return int(str(f[0].get("cflags", "0")), 0)
for path, want in ((d + "/root.log", 1), (d + "/fd.dat", 0),
                   (pub + "/prog", 0), ("/dev/null", 0)):
    if cflags(path) != want:
        sys.exit("%s: cflags %d, expected %d" % (path, cflags(path), want))
PY
	ct_write "$ct" state kill
	wait_pid_gone "$pid"
	ct=$(crfs_mkct dst)
	crfs_restore "$ct" "$img"
	no_secret "$pid"
	rm -f "$ZDTM_DIR/result"
	ct_write "$ct" state thaw
	zdtm_finish "$ZDTM_DIR" "$pid"
}

@test "the image records each file's identity as the restore checks it" {
	local ct img

	ct=$(crfs_mkct id)
	zdtm_start "$ct" zdtm-counter
	img=$BATS_TEST_TMPDIR/id.img
	crfs_checkpoint "$ct" "$img"
	"$CRFS_BIN/crfs-image" json "$img" >"$BATS_TEST_TMPDIR/id.json"
	run -0 python3 - "$BATS_TEST_TMPDIR/id.json" "$CRFS_ZDTM/zdtm-counter" \
		"$ZDTM_DIR/log" "/proc/$ZDTM_PID/cwd" <<'PY'
import json, os, sys
doc = json.load(open(sys.argv[1]))
t = doc["tasks"][0]
files = {f["id"]: f for f in doc["files"]}
mm = [m for m in doc["mms"] if m["id"] == t["mm"]][0]
fs = [f for f in doc["fs"] if f["id"] == t["fs"]][0]
fdt = [f for f in doc["fdtables"] if f["id"] == t["fdtable"]][0]
exe, log, cwd = (os.stat(p) for p in sys.argv[2:5])
def same(what, got, want):
    if got != want:
        sys.exit("%s: the image has %r, the file %r" % (what, got, want))
x = files[mm["exe_file"]]
same("exe ino", x["ino"], exe.st_ino)
same("exe dev", int(x["dev"], 16), exe.st_dev)
same("exe size", x["size"], exe.st_size)
same("exe mtime", x["mtime_ns"], exe.st_mtime_ns)
same("cwd ino", files[fs["cwd_file"]]["ino"], cwd.st_ino)
fds = [files[d["file"]] for d in fdt["fds"]]
fd = [f for f in fds if f["path"] == sys.argv[3]][0]
same("log size", fd["size"], log.st_size)
same("log mtime", fd["mtime_ns"], log.st_mtime_ns)
null = [f for f in fds if f["path"] == "/dev/null"][0]
same("/dev/null rdev", int(null["rdev"], 16), os.stat("/dev/null").st_rdev)
vma = [v for v in mm["vmas"] if v.get("file") and
       files[v["file"]]["path"] == sys.argv[2]][0]
same("mapped exe mtime", files[vma["file"]]["mtime_ns"], exe.st_mtime_ns)
PY
	ct_write "$ct" state thaw
	zdtm_finish
}

# --- what a checkpoint accepts restores ---

@test "zdtm-rlimits: limits lowered below a descriptor and below the data in use restore exactly" {
	local ct ct2 pid img

	ct=$(crfs_mkct src)
	zdtm_start "$ct" zdtm-rlimits
	pid=$ZDTM_PID
	img=$BATS_TEST_TMPDIR/rlimits.img
	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_pid_gone "$pid"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$img"
	run -0 ct_file "$ct2" procs
	assert_output "$pid"
	run -0 grep -E '^Max (open files|data size)' "/proc/$pid/limits"
	assert_line --regexp '^Max open files +64 +64 '
	assert_line --regexp '^Max data size +1048576 +1048576 '
	ct_write "$ct2" state thaw
	zdtm_finish
}

# --- refusals that say what to do ---

# refused_with CT REGEXP: the checkpoint of CT is refused before any byte,
# the reason matches REGEXP, and CT stays frozen, then thaws unharmed.
refused_with() {
	local ct=$1

	ct_write "$ct" state freeze
	wait_frozen "$ct"
	run -0 bash -c "cat '$CRFS_MNT/$ct/image' 2>/dev/null | wc -c"
	assert_output "0"
	run -0 ct_file "$ct" error
	assert_output --regexp "$2"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	wait_thawed "$ct"
}

# bats test_tags=image
@test "a terminal outside the container is refused, saying to start the program with </dev/null >log 2>&1 or use shell_job" {
	require_image
	local ct dir

	ct=$(crfs_mkct tty)
	dir=$BATS_TEST_TMPDIR/tty
	mkdir -p "$dir"
	# script(1) gives the program a new terminal as stdin, stdout, stderr.
	(crfs_close_fds; exec script -qfec \
		"exec '$CRFS_BIN/crctl' -r '$CRFS_MNT' run --host-pid '$ct' -- '$CRFS_ZDTM/zdtm-counter' '$dir'" \
		/dev/null) </dev/null >/dev/null 2>&1 3>&- &
	echo $! >>"$BATS_TEST_TMPDIR/.crfs-pids"
	wait_for "zdtm-counter to be ready" 30 test -e "$dir/ready"
	pid=$(cat "$dir/ready")
	refused_with "$ct" \
		"pid $pid: fd 0: /dev/pts/[0-9]+: a terminal whose master is not in the container \\(the terminal of the shell that started it\\?\\) is not supported: start it with </dev/null >log 2>&1 .*, or echo 1 > shell_job of the container"
	zdtm_finish "$dir" "$pid"
}

# bats test_tags=image
@test "a pipe to a process outside the container is refused, naming it and what to do" {
	require_image
	local ct dir reader

	ct=$(crfs_mkct pipe)
	dir=$BATS_TEST_TMPDIR/pipe
	mkdir -p "$dir"
	# The program's stdout is a pipe to a sleep outside the container.
	(crfs_close_fds
	 exec "$CRFS_BIN/crctl" -r "$CRFS_MNT" run --host-pid "$ct" -- \
		"$CRFS_ZDTM/zdtm-counter" "$dir") </dev/null 2>/dev/null 3>&- |
		sleep 600 &
	reader=$!
	echo "$reader" >>"$BATS_TEST_TMPDIR/.crfs-pids"
	wait_for "zdtm-counter to be ready" 30 test -e "$dir/ready"
	pid=$(cat "$dir/ready")
	refused_with "$ct" \
		"pid $pid: fd 1: pipe:\[[0-9]+\] \(pipe inode [0-9]+\): its other end held also by pid $reader \(sleep\), outside the container: start it with </dev/null >log 2>&1, or close the descriptor"
	zdtm_finish "$dir" "$pid"
	kill "$reader"
}

# bats test_tags=image
@test "an executable that lost its execute permission is refused at checkpoint" {
	require_image
	local ct dir

	ct=$(crfs_mkct noexec)
	dir=$BATS_TEST_TMPDIR/noexec
	mkdir -p "$dir"
	cp "$CRFS_ZDTM/zdtm-counter" "$dir/prog"
	start_in "$ct" "$dir/prog" "$dir"
	wait_for "the program to be ready" 30 test -e "$dir/ready"
	pid=$(cat "$dir/ready")
	chmod 0644 "$dir/prog"
	refused_with "$ct" \
		"pid $pid: executable $dir/prog: no execute permission now \(mode 0644\)"
	zdtm_finish "$dir" "$pid"
}

# bats test_tags=image
@test "an inotify watch of a file made root-only since the checkpoint: the restore is refused" {
	require_image
	local ct ct2 pid img

	ct=$(crfs_mkct src)
	PUB=$(mktemp -d /tmp/crfs-revoke.XXXXXX)
	chmod 0755 "$PUB"
	echo "root's, readable by all" >"$PUB/root.txt"
	chmod 0644 "$PUB/root.txt"
	mkdir "$PUB/z"
	chown "$NOBODY:$NOBODY" "$PUB/z"
	start_in "$ct" setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups -- \
		/usr/bin/python3 -c 'import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(0)
if fd < 0 or libc.inotify_add_watch(fd, sys.argv[1].encode(), 2) < 0:
    sys.exit(1)
open(sys.argv[2], "w").close()
time.sleep(1000)' "$PUB/root.txt" "$PUB/z/watching"
	pid=$STARTED_PID
	wait_for "python to watch root.txt" 10 test -e "$PUB/z/watching"
	img=$BATS_TEST_TMPDIR/inotify.img
	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_pid_gone "$pid"
	chmod 0600 "$PUB/root.txt"
	ct2=$(crfs_mkct dst)
	run ! crfs_restore "$ct2" "$img"
	wait_for "the restore to end" 15 \
		grep -qvx restoring "$CRFS_MNT/$ct2/state"
	run -0 ct_file "$ct2" error
	assert_output --regexp "pid $pid: .*Permission denied"
	run -0 ct_file "$ct2" procs
	assert_output ""
	crfs_rmct "$ct2"
	# The same image restores once the permission is back.
	chmod 0644 "$PUB/root.txt"
	ct2=$(crfs_mkct again)
	crfs_restore "$ct2" "$img"
	run -0 grep '^Uid:' "/proc/$pid/status"
	assert_output --regexp "^Uid:\s+$NOBODY\s+$NOBODY\s+$NOBODY\s+$NOBODY\$"
}

# bats test_tags=image
@test "an inotify watch of a deleted file, held by a process of nobody: restored on the copy, with its own credentials" {
	require_image
	local ct ct2 pid img fd

	ct=$(crfs_mkct src)
	PUB=$(mktemp -d /tmp/crfs-revoke.XXXXXX)
	chmod 0755 "$PUB"
	mkdir "$PUB/z"
	chown "$NOBODY:$NOBODY" "$PUB/z"
	start_in "$ct" setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups -- \
		/usr/bin/python3 -c 'import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
f = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
os.write(f, b"data")
fd = libc.inotify_init1(0)
if fd < 0 or libc.inotify_add_watch(fd, sys.argv[1].encode(), 2) < 0:
    sys.exit(1)
os.unlink(sys.argv[1])
open(sys.argv[2], "w").close()
time.sleep(1000)' "$PUB/z/gone" "$PUB/z/watching"
	pid=$STARTED_PID
	wait_for "python to watch its deleted file" 10 test -e "$PUB/z/watching"
	img=$BATS_TEST_TMPDIR/inotify-gone.img
	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_pid_gone "$pid"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$img"
	run -0 grep '^Uid:' "/proc/$pid/status"
	assert_output --regexp "^Uid:\s+$NOBODY\s+$NOBODY\s+$NOBODY\s+$NOBODY\$"
	# The watch is on the copy: the inode of the deleted file it holds.
	for fd in /proc/$pid/fd/*; do
		[[ $(readlink "$fd") == anon_inode:inotify ]] && break
	done
	run -0 cat "/proc/$pid/fdinfo/${fd##*/}"
	assert_output --regexp "inotify wd:1 ino:[0-9a-f]+ sdev:[0-9a-f]+ mask:2 "
	local f ino=
	for f in /proc/$pid/fd/*; do
		[[ $(readlink "$f") == *"(deleted)" ]] &&
			ino=$(printf '%x' "$(stat -L -c %i "$f")")
	done
	[[ -n $ino ]] || fail "the restored process holds no deleted file"
	assert_output --partial "ino:$ino "
	ct_write "$ct2" state kill
	wait_pid_gone "$pid"
	rm -rf "$PUB"
}
