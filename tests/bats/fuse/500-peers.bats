#!/usr/bin/env bats
# FUSE only: a socket whose peer is outside the container, and the
# container's peers file (Documentation/crfs/checkpoint.rst): refused by
# default naming both ends; "close" restores it as an end whose peer has
# gone; "keep" keeps a TCP connection alive behind a network lock (an
# nftables table crfs_lock_ID, its comment naming the container's cgroup)
# from the checkpoint to the restore.
#
# The outside ends are programs/peers.py drivers, each holding ONE
# connection and told what to send through files.  The nftables tables a
# test's checkpoints make are found by their containers, and removed in
# teardown even when the test fails.

load ../helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }

PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
PEERS=$BATS_TEST_DIRNAME/programs/peers.py

DRIVERS=()
DRIVER_PIDS=()
RCLI_PIDS=()
CTS=()

setup() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		skip "the peers file is crfs-fuse's; CRFS_ROOT is set"
	fi
	require_image
}

teardown() {
	local d pid t

	for d in "${DRIVERS[@]}"; do
		touch "$d/quit"
	done
	# Our drivers only, by pid (crfs_is_ours knows no python).
	for pid in "${DRIVER_PIDS[@]}"; do
		grep -qF "$PEERS" "/proc/$pid/cmdline" 2>/dev/null &&
			kill -KILL "$pid" 2>/dev/null
	done
	for pid in "${RCLI_PIDS[@]}"; do
		grep -qF redis-cli "/proc/$pid/cmdline" 2>/dev/null &&
			kill -KILL "$pid" 2>/dev/null
	done
	crfs_teardown
	for d in "${CTS[@]}"; do
		for t in $(lock_tables "$d"); do
			nft delete table inet "$t" 2>/dev/null || true
		done
	done
}

# mkct NAME: crfs_mkct, remembered for the lock tables' cleanup.
mkct() {
	CT=$(crfs_mkct "$1") || return 1
	CTS+=("$CT")
}

# lock_tables CT: the network lock tables (crfs_lock_ID) of CT: their
# comment names its cgroup.
lock_tables() {
	local t

	for t in $(nft list tables 2>/dev/null |
		   awk '$1 == "table" && $2 == "inet" && $3 ~ /^crfs_lock_/ { print $3 }'); do
		nft list table inet "$t" 2>/dev/null |
			grep -qF "/$1\"" && echo "$t"
	done
}

has_lock() { [[ -n $(lock_tables "$1") ]]; }
no_lock() { [[ -z $(lock_tables "$1") ]]; }

free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

listening() { [[ -n $(ss -Hltn "sport = :$1") ]]; }

# driver MODE ARG...: peers.py outside the container, its DIR last; sets
# DDIR, DPID.
driver() {
	DDIR=$BATS_TEST_TMPDIR/drv.${#DRIVERS[@]}
	mkdir -p "$DDIR"
	start_bg "$PY" "$PEERS" "$@" "$DDIR"
	DPID=$STARTED_PID
	DRIVERS+=("$DDIR")
	DRIVER_PIDS+=("$DPID")
}

driver_ready() {
	wait_for "the driver to connect" 20 test -e "$DDIR/ready" ||
		{ cat "$STARTED_ERR" >&2; return 1; }
}

# send N LINE: give LINE to the driver of DDIR to send.
send() {
	printf '%s\n' "$2" >"$DDIR/.say.$1" && mv "$DDIR/.say.$1" "$DDIR/say.$1"
}

# heard N: what the driver of DDIR heard back for line N.
heard() {
	wait_for "the driver to hear back" 40 test -e "$DDIR/heard.$1" || return 1
	cat "$DDIR/heard.$1"
}

# say N LINE: LINE through the driver of DDIR; what it heard back.
say() {
	send "$1" "$2" && heard "$1"
}

# checkpoint_kill CT IMG: checkpoint CT into IMG, kill it, wait for PID to go.
checkpoint_kill() {
	crfs_checkpoint "$1" "$2"
	ct_write "$1" state kill
	wait_empty "$1"
	wait_pid_gone "$3"
}

# restore_thaw NAME IMG: restore IMG into a new container NAME; sets CT.
restore_thaw() {
	mkct "$1"
	crfs_restore "$CT" "$2" || { cat "$CRFS_MNT/$CT/error" >&2; return 1; }
	ct_write "$CT" state thaw
	wait_thawed "$CT"
}

@test "peers reads refuse by default, takes refuse, close or keep, refuses other words" {
	mkct opt
	run -0 ct_file "$CT" peers
	assert_output refuse
	for w in close keep refuse keep; do
		ct_write "$CT" peers "$w"
		run -0 ct_file "$CT" peers
		assert_output "$w"
	done
	run ! ct_write "$CT" peers yes
	run -0 ct_file "$CT" error
	assert_output --partial "peers: bad value 'yes': expected refuse, close or keep"
	run ! ct_write "$CT" peers ""
	run ! ct_write "$CT" peers "keep close"
	run -0 ct_file "$CT" peers
	assert_output keep
}

@test "refuse (default): a TCP connection to a client outside is refused naming both ends" {
	local port pid

	port=$(free_port)
	mkct refuse
	start_in "$CT" "$PY" "$PEERS" echo-listen "$port"
	pid=$STARTED_PID
	wait_for "the server to listen" 20 listening "$port"
	driver drive-connect "$port"
	driver_ready
	run -0 say 1 one
	assert_output "got echo one"
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run ! cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output --regexp "pid $pid: fd [0-9]+: socket:\\[[0-9]+\\]: a TCP connection from 127.0.0.1 port $port to 127.0.0.1 port [0-9]+ \\(held by pid $DPID \\(python3\\), outside the container\\), which no process of the container holds: a peer outside the container \\(echo keep > peers"
	refute has_lock "$CT"
	ct_write "$CT" state thaw
	run -0 say 2 two
	assert_output "got echo two"
}

@test "keep: an outside client keeps its TCP connection across the server's checkpoint, kill and restore" {
	local port pid img=$BATS_TEST_TMPDIR/keep.img src

	port=$(free_port)
	mkct keep
	src=$CT
	ct_write "$CT" peers keep
	start_in "$CT" "$PY" "$PEERS" echo-listen "$port"
	pid=$STARTED_PID
	wait_for "the server to listen" 20 listening "$port"
	driver drive-connect "$port"
	driver_ready
	run -0 say 1 one
	assert_output "got echo one"

	crfs_checkpoint "$src" "$img"
	has_lock "$src"
	ct_write "$src" state kill
	wait_empty "$src"
	wait_pid_gone "$pid"
	# Killed: the lock stays for the restore.
	has_lock "$src"
	# A line sent now: no socket has the connection, but the lock drops
	# the segment (no reset); the client sends it again until answered.
	send 2 during
	sleep 1
	[[ ! -e $DDIR/heard.2 ]]
	[[ -n $(ss -Htn state established "dport = :$port") ]]

	restore_thaw keep2 "$img"
	run -0 ct_file "$CT" procs
	assert_output "$pid"
	# Restored and out of repair mode: the lock is gone.
	run has_lock "$src"
	assert_failure
	# The same client socket: the line sent while locked is answered.
	run -0 heard 2
	assert_output "got echo during"
	run -0 say 3 three
	assert_output "got echo three"
}

@test "keep: a client in the container keeps its TCP connection to a server outside" {
	local port pid img=$BATS_TEST_TMPDIR/keep.img src

	port=$(free_port)
	driver drive-listen "$port"
	wait_for "the outside server to listen" 20 listening "$port"
	mkct keepc
	src=$CT
	ct_write "$CT" peers keep
	start_in "$CT" "$PY" "$PEERS" echo-connect "$port"
	pid=$STARTED_PID
	driver_ready
	run -0 say 1 one
	assert_output "got echo one"

	checkpoint_kill "$src" "$img" "$pid"
	has_lock "$src"
	send 2 during
	sleep 1
	[[ ! -e $DDIR/heard.2 ]]
	restore_thaw keepc2 "$img"
	run has_lock "$src"
	assert_failure
	run -0 heard 2
	assert_output "got echo during"
	run -0 say 3 three
	assert_output "got echo three"
}

@test "keep: thawed instead of killed, the lock goes at once and the connection works" {
	local port pid img=$BATS_TEST_TMPDIR/keep.img

	port=$(free_port)
	mkct thaw
	ct_write "$CT" peers keep
	start_in "$CT" "$PY" "$PEERS" echo-listen "$port"
	pid=$STARTED_PID
	wait_for "the server to listen" 20 listening "$port"
	driver drive-connect "$port"
	driver_ready
	run -0 say 1 one
	assert_output "got echo one"
	crfs_checkpoint "$CT" "$img"
	has_lock "$CT"
	ct_write "$CT" state thaw
	wait_thawed "$CT"
	run has_lock "$CT"
	assert_failure
	run -0 say 2 two
	assert_output "got echo two"
}

@test "keep: a checkpoint that fails after the lock was taken removes it" {
	local port pid

	port=$(free_port)
	mkct fail
	ct_write "$CT" peers keep
	start_in "$CT" "$PY" "$PEERS" echo-listen "$port"
	pid=$STARTED_PID
	wait_for "the server to listen" 20 listening "$port"
	driver drive-connect "$port"
	driver_ready
	run -0 say 1 one
	assert_output "got echo one"
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	# A reader that stops after a few bytes: the checkpoint fails.
	run -0 head -c 100 "$CRFS_MNT/$CT/image"
	wait_for "the lock to go" 10 no_lock "$CT"
	ct_write "$CT" state thaw
	run -0 say 2 two
	assert_output "got echo two"
}

# keep_server NAME: a container NAME (peers keep) running an echo server
# with one outside client connected; sets CT, PID, PORT, DDIR.
keep_server() {
	PORT=$(free_port)
	mkct "$1"
	ct_write "$CT" peers keep
	start_in "$CT" "$PY" "$PEERS" echo-listen "$PORT"
	PID=$STARTED_PID
	wait_for "the server to listen" 20 listening "$PORT"
	driver drive-connect "$PORT"
	driver_ready
	run -0 say 1 one
	assert_output "got echo one"
}

# hold_image CT IMG GO: read CT's image into IMG through one descriptor
# and close it, keeping a copy of it open until the file GO exists.
hold_image() {
	start_bg "$PY" "$BATS_TEST_DIRNAME/programs/holdimg.py" \
		"$CRFS_MNT/$1/image" "$2" "$3"
	wait_for "the image read" 20 test -e "$2.done"
}

@test "keep: two checkpoints in a row share the lock in force; the first image restores" {
	local img1=$BATS_TEST_TMPDIR/k1.img img2=$BATS_TEST_TMPDIR/k2.img src t1

	keep_server dbl
	src=$CT
	crfs_checkpoint "$src" "$img1"
	t1=$(lock_tables "$src")
	[[ $t1 == crfs_lock_[0-9a-f]* ]]
	cat "$CRFS_MNT/$src/image" >"$img2"
	# The same table, the only one: both images name it.
	run -0 lock_tables "$src"
	assert_output "$t1"
	ct_write "$src" state kill
	wait_empty "$src"
	wait_pid_gone "$PID"
	restore_thaw dbl2 "$img1"
	run has_lock "$src"
	assert_failure
	run -0 say 2 two
	assert_output "got echo two"
}

@test "keep: an image whose lock is gone (a close checkpoint, a thaw) is refused naming the connection" {
	local img1=$BATS_TEST_TMPDIR/k1.img img2=$BATS_TEST_TMPDIR/k2.img src

	keep_server gone
	src=$CT
	crfs_checkpoint "$src" "$img1"
	has_lock "$src"
	# A checkpoint with peers close next: the lock goes, the kill ends
	# the connection (FIN): image 1's connection is no more.
	ct_write "$src" peers close
	cat "$CRFS_MNT/$src/image" >"$img2"
	run has_lock "$src"
	assert_failure
	ct_write "$src" state kill
	wait_empty "$src"
	wait_pid_gone "$PID"
	run -0 say 2 two
	assert_output eof
	mkct gone2
	run ! crfs_restore "$CT" "$img1"
	run -0 ct_file "$CT" error
	assert_output --regexp "pid [0-9]+: fd [0-9]+: .*$PORT.*: its network lock is gone: the peer may have moved on \(nftables table inet crfs_lock_[0-9a-f]{8}"
	run -0 ct_file "$CT" procs
	assert_output ""

	# Thawed after a keep checkpoint: that image is refused too.
	keep_server gone3
	src=$CT
	crfs_checkpoint "$src" "$img1"
	ct_write "$src" state thaw
	wait_thawed "$src"
	ct_write "$src" state kill
	wait_empty "$src"
	wait_pid_gone "$PID"
	mkct gone4
	run ! crfs_restore "$CT" "$img1"
	run -0 ct_file "$CT" error
	assert_output --partial "its network lock is gone"
}

@test "keep: a late close of checkpoint 1's copy leaves checkpoint 2's lock, which image 2 restores" {
	local img1=$BATS_TEST_TMPDIR/k1.img img2=$BATS_TEST_TMPDIR/k2.img src go=$BATS_TEST_TMPDIR/go t2

	keep_server late
	src=$CT
	ct_write "$src" state freeze
	wait_frozen "$src"
	hold_image "$src" "$img1" "$go"
	cat "$CRFS_MNT/$src/image" >"$img2"
	t2=$(lock_tables "$src")
	[[ -n $t2 ]]
	touch "$go"
	wait_for "the copy closed" 20 test -e "$img1.closed"
	run -0 lock_tables "$src"
	assert_output "$t2"
	ct_write "$src" state kill
	wait_empty "$src"
	wait_pid_gone "$PID"
	restore_thaw late2 "$img2"
	run has_lock "$src"
	assert_failure
	run -0 say 2 two
	assert_output "got echo two"
}

@test "keep: a late close of a checkpoint's copy after a thaw: a later kill still ends the connection" {
	local img1=$BATS_TEST_TMPDIR/k1.img src go=$BATS_TEST_TMPDIR/go

	keep_server lthaw
	src=$CT
	ct_write "$src" state freeze
	wait_frozen "$src"
	hold_image "$src" "$img1" "$go"
	ct_write "$src" state thaw
	wait_thawed "$src"
	run -0 say 2 two
	assert_output "got echo two"
	touch "$go"
	wait_for "the copy closed" 20 test -e "$img1.closed"
	# No checkpoint since the thaw: the kill closes the connection.
	ct_write "$src" state kill
	wait_empty "$src"
	wait_pid_gone "$PID"
	run -0 say 3 three
	assert_output eof
	run has_lock "$src"
	assert_failure
}

@test "keep: among 400 other nftables tables the restore removes its lock" {
	local img=$BATS_TEST_TMPDIR/k.img src i s= u=

	for ((i = 0; i < 400; i++)); do
		s+="add table inet crfs_pad$$_$(printf %04d $i)"$'\n'
		u+="delete table inet crfs_pad$$_$(printf %04d $i)"$'\n'
	done
	printf '%s' "$s" | nft -f -
	keep_server pad
	src=$CT
	checkpoint_kill "$src" "$img" "$PID"
	(( $(nft list tables | wc -c) > 8192 ))
	restore_thaw pad2 "$img" || { printf '%s' "$u" | nft -f -; return 1; }
	printf '%s' "$u" | nft -f -
	run has_lock "$src"
	assert_failure
	run -0 say 2 two
	assert_output "got echo two"
}

@test "keep: the daemon stops (SIGTERM) after a checkpoint: the container runs on, its lock goes" {
	local img=$BATS_TEST_TMPDIR/k.img src

	keep_server term
	src=$CT
	crfs_checkpoint "$src" "$img"
	has_lock "$src"
	crfs_umount_fuse "$CRFS_MNT" "$CRFS_FUSE_PID"
	# Thawed at shutdown: running again, no lock left to hang it.
	run has_lock "$src"
	assert_failure
	run -0 say 2 two
	assert_output "got echo two"
	crfs_mount_fuse "$CRFS_MNT"
	export CRFS_FUSE_PID CRFS_FUSE_LOG
	# Its image names a lock that is gone: refused.
	mkct term2
	run ! crfs_restore "$CT" "$img"
	run -0 ct_file "$CT" error
	assert_output --partial "its network lock is gone"
}

@test "close: the outside client sees EOF at the kill; the restored server serves a new connection" {
	local port pid img=$BATS_TEST_TMPDIR/close.img src first

	port=$(free_port)
	mkct close
	src=$CT
	ct_write "$CT" peers close
	start_in "$CT" "$PY" "$PEERS" echo-listen "$port"
	pid=$STARTED_PID
	wait_for "the server to listen" 20 listening "$port"
	driver drive-connect "$port"
	first=$DDIR
	driver_ready
	run -0 say 1 one
	assert_output "got echo one"

	crfs_checkpoint "$src" "$img"
	run has_lock "$src"
	assert_failure
	ct_write "$src" state kill
	wait_empty "$src"
	wait_pid_gone "$pid"
	# Killed: the connection ended as a close ends it (a FIN): EOF.
	run -0 say 2 two
	assert_output "eof"

	restore_thaw close2 "$img"
	run -0 ct_file "$CT" procs
	assert_output "$pid"
	driver drive-connect "$port"
	driver_ready
	run -0 say 1 again
	assert_output "got echo again"
	[[ $first != "$DDIR" ]]
}

redis_pong() { [[ $(redis-cli -s "$1" PING 2>/dev/null) == PONG ]]; }

# probe_close KIND ADDR: a probe in the container connected to a
# serve-once outside, checkpointed with peers close while the server's
# "hello" waits unread, killed, restored: what it saw, in $LOG.
probe_close() {
	local img=$BATS_TEST_TMPDIR/probe.img pid go=$BATS_TEST_TMPDIR/go

	LOG=$BATS_TEST_TMPDIR/probe.log
	driver serve-once "$1" "$2"
	wait_for "the outside server to listen" 20 test -e "$DDIR/listening"
	mkct probe
	ct_write "$CT" peers close
	start_in "$CT" "$PY" "$PEERS" probe "$1" "$2" "$LOG" "$go"
	pid=$STARTED_PID
	wait_for "the server to send" 20 test -e "$DDIR/sent" ||
		{ cat "$STARTED_ERR" >&2; return 1; }
	checkpoint_kill "$CT" "$BATS_TEST_TMPDIR/probe.img" "$pid"
	restore_thaw probe2 "$img"
	touch "$go"
	wait_for "the probe to close its socket" 20 grep -qx closed "$LOG" ||
		{ cat "$LOG" >&2; return 1; }
	wait_pid_gone "$pid"
}

@test "close: a unix stream socket connected outside reads its queued data, then EOF; a write fails EPIPE" {
	probe_close unix "$BATS_TEST_TMPDIR/outside.sock"
	run -0 cat "$LOG"
	assert_output "connected
data hello
eof
send EPIPE
poll POLLIN|POLLOUT|POLLHUP
closed"
}

@test "close: a TCP connection to a server outside comes back shut down: EOF, EPIPE, the program closes it" {
	probe_close tcp "$(free_port)"
	run -0 cat "$LOG"
	assert_output "connected
eof
send EPIPE
poll POLLIN|POLLOUT|POLLHUP
closed"
}

@test "close: a unix datagram socket connected to a named socket outside is connected again by its path" {
	local sock=$BATS_TEST_TMPDIR/log.sock cdir=$BATS_TEST_TMPDIR/cl
	local img=$BATS_TEST_TMPDIR/dgram.img pid src srv

	mkdir -p "$cdir"
	driver dgram-server "$sock"
	srv=$DDIR
	wait_for "the outside socket" 20 test -e "$srv/listening"
	mkct dgram
	src=$CT
	start_in "$CT" "$PY" "$PEERS" dgram-client "$sock" "$cdir"
	pid=$STARTED_PID
	wait_for "the first datagram" 20 test -e "$srv/got.1" ||
		{ cat "$STARTED_ERR" >&2; false; }
	run -0 cat "$srv/got.1"
	assert_output one

	# Default: refused, naming the process outside.
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run ! cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output --regexp "pid $pid: fd [0-9]+: socket:\\[[0-9]+\\]: its peer socket:\\[[0-9]+\\] is held by pid $DPID \\(python3\\), outside the container \\(echo close > peers of the container: connected again to its name at restore\\)"

	ct_write "$CT" peers close
	checkpoint_kill "$src" "$img" "$pid"

	# Nothing bound at the path: the restore fails, naming it.
	touch "$srv/quit"
	wait_pid_gone "$DPID"
	rm -f "$sock"
	mkct dgram2
	run ! crfs_restore "$CT" "$img"
	run -0 ct_file "$CT" error
	assert_output --partial "cannot connect it to $sock again: No such file or directory"

	# A new socket bound there (a restarted syslog): connected to it.
	driver dgram-server "$sock"
	srv=$DDIR
	wait_for "the outside socket" 20 test -e "$srv/listening"
	restore_thaw dgram3 "$img"
	run -0 ct_file "$CT" procs
	assert_output "$pid"
	echo two >"$cdir/.send.2" && mv "$cdir/.send.2" "$cdir/send.2"
	wait_for "the datagram after the restore" 20 test -e "$srv/got.1"
	run -0 cat "$srv/got.1"
	assert_output two
}

# redis-server in CT on unix socket SOCK; sets RPID.
redis_in() {
	start_in "$1" /usr/bin/redis-server --port 0 --unixsocket "$2" \
		--unixsocketperm 700 --save '' --appendonly no \
		--daemonize no --dir "$BATS_TEST_TMPDIR"
	RPID=$STARTED_PID
	wait_for "redis to answer" 20 redis_pong "$2" ||
		{ cat "$STARTED_ERR" >&2; return 1; }
}

@test "redis: refused by default naming the outside redis client; with peers close restored with its keys" {
	command -v redis-server >/dev/null || fail "redis-server missing: scripts/deps.sh test"
	local sock=$BATS_TEST_TMPDIR/redis.sock img=$BATS_TEST_TMPDIR/redis.img src

	mkct redis
	src=$CT
	redis_in "$CT" "$sock"
	run -0 redis-cli -s "$sock" SET k1 v1
	run -0 redis-cli -s "$sock" SET k2 "$$"
	driver drive-unix "$sock"
	driver_ready
	run -0 say 1 PING
	assert_output "got +PONG"
	# A redis-cli outside holding its connection, a command a line.
	coproc RCLI { crfs_close_fds; exec redis-cli -s "$sock" 2>&1; }
	RCLI_PIDS+=("$RCLI_PID")
	rcli "GET k1"
	[[ $RCLI_LINE == v1 ]]

	# Default: refused, naming a client outside (its pid).
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run ! cat "$CRFS_MNT/$CT/image"
	run -0 ct_file "$CT" error
	assert_output --regexp "pid $RPID: fd [0-9]+: socket:\\[[0-9]+\\]: its peer socket:\\[[0-9]+\\] is held by pid ($DPID \\(python3\\)|$RCLI_PID \\(redis-cli\\)), outside the container \\(echo close > peers"
	ct_write "$CT" state thaw

	ct_write "$CT" peers close
	checkpoint_kill "$src" "$img" "$RPID"
	restore_thaw redis2 "$img"
	run -0 ct_file "$CT" procs
	assert_output "$RPID"
	run -0 redis-cli -s "$sock" GET k1
	assert_output v1
	run -0 redis-cli -s "$sock" GET k2
	assert_output "$$"
	# The held client: its server end went with the kill; a send fails.
	run -0 say 2 "GET k1"
	assert_output "error EPIPE"
	# redis-cli: its next command fails (EPIPE), the one after reconnects.
	rcli "GET k1"
	[[ $RCLI_LINE == "Error: Broken pipe" ]]
	rcli "GET k2"
	[[ $RCLI_LINE == "$$" ]]
	run -0 redis-cli -s "$sock" DBSIZE
	assert_output 2
}

# rcli CMD: CMD to the held redis-cli; its answer's first line in RCLI_LINE.
rcli() {
	echo "$1" >&"${RCLI[1]}"
	RCLI_LINE=
	IFS= read -t 20 -r RCLI_LINE <&"${RCLI[0]}"
}
