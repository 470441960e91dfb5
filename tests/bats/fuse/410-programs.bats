#!/usr/bin/env bats
# FUSE only: real programs checkpointed while they work, killed, restored,
# and checked with their own kind of client.  The clients here are
# outside the container, so the servers' checkpoints come between
# requests, with only the listening socket open (a connection to a peer
# outside is refused unless the container's peers file says otherwise:
# Documentation/crfs/checkpoint.rst, tests in 500-peers.bats; servers
# under load from clients in the container are in 420-servers.bats).

load ../helpers/common

setup_file() {
	crfs_setup_file
}

teardown_file() {
	crfs_teardown_file
}

setup() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		skip "real programs on crfs-fuse; CRFS_ROOT is set (not the FUSE prototype)"
	fi
	require_image
}

teardown() {
	crfs_teardown
}

# Debian's python (the one `make test` installs), not one of the caller's.
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

# free_port: a TCP port of 127.0.0.1 nobody listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# fetch URL: the body, or fail.
fetch() {
	python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"
}

@test "python http.server: restored listening on its port, it serves files written after the restore" {
	local port dir img ct ct2 pid

	port=$(free_port)
	dir=$BATS_TEST_TMPDIR/www
	img=$BATS_TEST_TMPDIR/web.img
	mkdir -p "$dir"
	echo "before $$" >"$dir/a.txt"
	ct=$(crfs_mkct web)
	start_in "$ct" "$PY" -m http.server "$port" --bind 127.0.0.1 --directory "$dir"
	pid=$STARTED_PID
	wait_for "http.server to answer" 20 fetch "http://127.0.0.1:$port/a.txt" ||
		{ cat "$STARTED_ERR" >&2; false; }
	run -0 fetch "http://127.0.0.1:$port/a.txt"
	assert_output "before $$"

	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_empty "$ct"
	run ! fetch "http://127.0.0.1:$port/a.txt"

	ct2=$(crfs_mkct web2)
	crfs_restore "$ct2" "$img" || { cat "$CRFS_MNT/$ct2/error" >&2; false; }
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	run -0 cat "$CRFS_MNT/$ct2/procs"
	assert_output "$pid"
	run -0 fetch "http://127.0.0.1:$port/a.txt"
	assert_output "before $$"
	echo "after $$" >"$dir/b.txt"
	run -0 fetch "http://127.0.0.1:$port/b.txt"
	assert_output "after $$"
}

@test "sqlite in WAL mode: a reader process keeps its snapshot across the restore, then sees the writer's rows" {
	local dir img ct ct2 pid

	dir=$BATS_TEST_TMPDIR/sq
	img=$BATS_TEST_TMPDIR/sq.img
	mkdir -p "$dir"
	ct=$(crfs_mkct sqlite)
	start_in "$ct" "$PY" "$BATS_TEST_DIRNAME/programs/sqlite-wal.py" "$dir"
	pid=$STARTED_PID
	wait_for "the sqlite program to be ready" 20 test -e "$dir/ready" ||
		{ cat "$STARTED_ERR" >&2; false; }
	run -0 cat "$CRFS_MNT/$ct/procs"
	[[ ${#lines[@]} == 2 ]] || fail "not a writer and a reader: $output"

	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_empty "$ct"

	ct2=$(crfs_mkct sqlite2)
	crfs_restore "$ct2" "$img" || { cat "$CRFS_MNT/$ct2/error" >&2; false; }
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	kill -USR1 "$pid"
	wait_for "the sqlite program to finish" 20 test -e "$dir/result" ||
		{ cat "$STARTED_ERR" >&2; false; }
	# snapshot 3, still 3, after its commit 4, then the writer's 5th row;
	# the WAL checkpoint stopped at the reader's snapshot (its lock held)
	run -0 cat "$dir/result"
	assert_output "3 3 4 5 5 held 1"
}

@test "node: an HTTP server with a timer, restored, answers on its port and its timer ticks on" {
	local port dir img ct ct2 pid t1 t2

	port=$(free_port)
	dir=$BATS_TEST_TMPDIR/node
	img=$BATS_TEST_TMPDIR/node.img
	mkdir -p "$dir"
	ct=$(crfs_mkct node)
	start_in "$ct" node "$BATS_TEST_DIRNAME/programs/node-server.js" "$port" "$dir/ready"
	pid=$STARTED_PID
	wait_for "node to listen" 30 test -e "$dir/ready" ||
		{ cat "$STARTED_ERR" >&2; false; }
	run -0 fetch "http://127.0.0.1:$port/"

	crfs_checkpoint "$ct" "$img"
	ct_write "$ct" state kill
	wait_empty "$ct"
	run ! fetch "http://127.0.0.1:$port/"

	ct2=$(crfs_mkct node2)
	crfs_restore "$ct2" "$img" || { cat "$CRFS_MNT/$ct2/error" >&2; false; }
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	run -0 cat "$CRFS_MNT/$ct2/procs"
	assert_line "$pid"
	t1=$(fetch "http://127.0.0.1:$port/")
	sleep 0.5
	t2=$(fetch "http://127.0.0.1:$port/")
	((t2 > t1)) || fail "the timer stopped: $t1 ticks, then $t2"
}

# words FILE MIB: MIB MiB of lines of words, compressible as text is.
words() {
	"$PY" - "$1" "$2" <<'PYEOF'
import random, sys
r = random.Random(7)
words = ["".join(r.choice("abcdefghij") for _ in range(r.randint(2, 9)))
         for _ in range(5000)]
with open(sys.argv[1], "w") as f:
    n = 0
    while n < int(sys.argv[2]) << 20:
        line = " ".join(r.choice(words) for _ in range(12)) + "\n"
        f.write(line)
        n += len(line)
PYEOF
}

@test "xz -T1: checkpointed while it compresses, killed, restored, its output decompresses to its input" {
	local dir img ct ct2 size

	dir=$BATS_TEST_TMPDIR/xz
	img=$BATS_TEST_TMPDIR/xz.img
	mkdir -p "$dir"
	words "$dir/in" 16
	ct=$(crfs_mkct xz)
	start_in "$ct" sh -c 'exec xz -T1 -6 -c "$1" >"$2"' sh "$dir/in" "$dir/out.xz"
	wait_for "xz to write" 30 test -s "$dir/out.xz"
	crfs_checkpoint "$ct" "$img"
	size=$(stat -c %s "$dir/out.xz")
	ct_write "$ct" state kill
	wait_empty "$ct"

	ct2=$(crfs_mkct xz2)
	crfs_restore "$ct2" "$img" || { cat "$CRFS_MNT/$ct2/error" >&2; false; }
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	wait_for "xz to finish" 300 crfs_populated_0 "$ct2"
	(($(stat -c %s "$dir/out.xz") > size)) || fail "xz wrote nothing after its restore"
	xz -dc "$dir/out.xz" | cmp - "$dir/in"
}
