#!/usr/bin/env bats
# FUSE only: real servers checkpointed while they work, killed, restored
# into a new container, thawed, and checked with their own clients:
# redis-server (keys, some with a TTL), memcached (threads, epoll, its
# internal pipes), nginx with a master and two workers under load from a
# client inside the container (its connections restored with TCP_REPAIR)
# and from a client outside it (the container's peers file at keep: the
# connections kept behind the network lock), and tmux with a shell in a
# pane.  Each listens on a free loopback port;
# each test kills only the processes of its containers.

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
	local t

	crfs_teardown
	# nginx's files: its workers (www-data) cannot see the test's tmpdir
	[[ -z ${WWW:-} ]] || rm -rf "$WWW"
	# a network lock this test's checkpoint left (none should be)
	for t in $(crfs_nft_tables); do
		grep -qxF "$t" <<<"${NFT_BEFORE:-}" ||
			nft delete table inet "$t" 2>/dev/null || true
	done
}

# crfs_nft_tables: the inet tables crfs's network locks make, by name.
crfs_nft_tables() {
	nft list tables 2>/dev/null |
		awk '$1 == "table" && $2 == "inet" && $3 ~ /^crfs_/ { print $3 }'
}

# Debian's python (the one `make test` installs), not one of the caller's.
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

# free_port: a TCP port of 127.0.0.1 nobody listens on now.
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ct_restore_thawed CT IMG NAME: kill CT, restore IMG into a new container
# NAME-..., thaw it; prints the new container's name.
ct_move() {
	local ct=$1 img=$2 ct2

	crfs_checkpoint "$ct" "$img" || return 1
	ct_write "$ct" state kill
	wait_empty "$ct" || return 1
	ct2=$(crfs_mkct "$3") || return 1
	crfs_restore "$ct2" "$img" || { cat "$CRFS_MNT/$ct2/error" >&2; return 1; }
	ct_write "$ct2" state thaw
	wait_thawed "$ct2" || return 1
	echo "$ct2"
}

# rcli PORT ARGS...: redis-cli against 127.0.0.1:PORT, bounded in time.
rcli() {
	local port=$1
	shift
	timeout 10 redis-cli -h 127.0.0.1 -p "$port" "$@"
}

redis_up() {
	[[ $(rcli "$1" PING 2>/dev/null) == PONG ]]
}

redis_gone_key() {
	[[ $(rcli "$1" EXISTS "$2") == 0 ]]
}

@test "redis-server: keys and their TTLs survive the restore, new SETs work" {
	local port dir img ct ct2 pid i k ttl

	port=$(free_port)
	dir=$BATS_TEST_TMPDIR/redis
	img=$BATS_TEST_TMPDIR/redis.img
	mkdir -p "$dir"
	ct=$(crfs_mkct redis)
	start_in "$ct" redis-server --port "$port" --bind 127.0.0.1 --save '' \
		--appendonly no --daemonize no --dir "$dir" --logfile "$dir/log"
	pid=$STARTED_PID
	wait_for "redis to answer" 20 redis_up "$port" ||
		{ cat "$STARTED_ERR" "$dir/log" >&2; false; }
	for ((i = 0; i < 500; i++)); do
		echo "SET key:$i value-$i-$$"
	done | rcli "$port" >/dev/null
	rcli "$port" SET long "lives $$" EX 1000 >/dev/null
	# expires 4 s after it was set: after the restore
	rcli "$port" SET short "dies $$" PX 4000 >/dev/null
	rcli "$port" RPUSH list a b c >/dev/null
	run -0 rcli "$port" DBSIZE
	assert_output 503
	run -0 rcli "$port" GET short
	assert_output "dies $$"

	ct2=$(ct_move "$ct" "$img" redis2)
	run -0 cat "$CRFS_MNT/$ct2/procs"
	assert_line "$pid"
	run -0 rcli "$port" DBSIZE
	assert_output 503
	for k in 0 1 250 499; do
		run -0 rcli "$port" GET "key:$k"
		assert_output "value-$k-$$"
	done
	run -0 rcli "$port" LRANGE list 0 -1
	assert_output $'a\nb\nc'
	run -0 rcli "$port" GET long
	assert_output "lives $$"
	ttl=$(rcli "$port" TTL long)
	((ttl > 900 && ttl <= 1000)) || fail "TTL of long: $ttl"
	# the short key's TTL still counts: it goes on time
	wait_for "the short key to expire" 15 redis_gone_key "$port" short
	run -0 rcli "$port" SET new "after $$"
	assert_output OK
	run -0 rcli "$port" GET new
	assert_output "after $$"
	run -0 rcli "$port" INCR counter
	assert_output 1
}

# mc PORT: send stdin to memcached at 127.0.0.1:PORT (text protocol), print
# its answers until it has answered every command (a final "quit").
mc() {
	timeout 10 "$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.stdin.buffer.read() + b"quit\r\n")
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode().replace("\r\n", "\n"))' "$1"
}

mc_up() {
	[[ $(printf 'version\r\n' | mc "$1" 2>/dev/null) == VERSION* ]]
}

@test "memcached: four threads, restored, give back the keys set before and take new ones" {
	local port img ct ct2 pid i n want

	port=$(free_port)
	img=$BATS_TEST_TMPDIR/mc.img
	ct=$(crfs_mkct memcached)
	start_in "$ct" memcached -u root -l 127.0.0.1 -p "$port" -U 0 -t 4 -m 64
	pid=$STARTED_PID
	wait_for "memcached to answer" 20 mc_up "$port" ||
		{ cat "$STARTED_ERR" >&2; false; }
	for ((i = 0; i < 300; i++)); do
		printf 'set key%d %d 0 %d\r\n%s\r\n' "$i" "$i" "${#i}" "$i"
	done | mc "$port" >"$BATS_TEST_TMPDIR/set.out"
	run -0 grep -c '^STORED$' "$BATS_TEST_TMPDIR/set.out"
	assert_output 300
	printf 'set big 7 0 100000\r\n%s\r\n' "$(head -c 50000 /dev/zero | tr '\0' x)$(head -c 50000 /dev/zero | tr '\0' y)" |
		mc "$port" >/dev/null
	run -0 ls "/proc/$pid/task"
	((${#lines[@]} > 4)) || fail "memcached runs ${#lines[@]} threads"

	ct2=$(ct_move "$ct" "$img" memcached2)
	run -0 cat "$CRFS_MNT/$ct2/procs"
	assert_line "$pid"
	run -0 mc "$port" < <(printf 'get key0 key1 key150 key299\r\n')
	want=$(printf 'VALUE key0 0 1\n0\nVALUE key1 1 1\n1\nVALUE key150 150 3\n150\nVALUE key299 299 3\n299\nEND')
	assert_output "$want"
	run -0 mc "$port" < <(printf 'get big\r\n')
	[[ ${lines[0]} == "VALUE big 7 100000" ]] || fail "big: ${lines[0]}"
	[[ ${lines[1]} == "$(head -c 50000 /dev/zero | tr '\0' x)$(head -c 50000 /dev/zero | tr '\0' y)" ]] ||
		fail "big came back wrong"
	# new keys, on several connections (each on one of the threads)
	# (bats's run changes i: n counts)
	for n in 2 3 4 5 6 7 8 9; do
		run -0 mc "$port" < <(printf 'set new%d 0 0 5\r\nafter\r\nincr key1 1\r\n' "$n")
		assert_output $'STORED\n'"$n"
	done
	run -0 mc "$port" < <(printf 'get new9\r\nstats\r\n')
	assert_line --index 1 after
	assert_line --regexp '^STAT curr_items 309'
}

# nginx_conf DIR PORT WWW: a configuration of a master and two workers (as
# www-data), every file it writes under DIR, serving WWW on
# 127.0.0.1:PORT; keep-alive connections are kept as long as the test runs.
nginx_conf() {
	local dir=$1 port=$2 www=$3 t

	mkdir -p "$dir/tmp"
	cat >"$dir/nginx.conf" <<-NGINX
	worker_processes 2;
	daemon off;
	master_process on;
	pid $dir/nginx.pid;
	error_log $dir/error.log;
	user www-data;
	events { worker_connections 64; }
	http {
		access_log off;
		keepalive_requests 100000000;
		keepalive_timeout 600s;
	NGINX
	for t in client_body proxy fastcgi uwsgi scgi; do
		echo "	${t}_temp_path $dir/tmp/$t;" >>"$dir/nginx.conf"
	done
	cat >>"$dir/nginx.conf" <<-NGINX
		server {
			listen 127.0.0.1:$port;
			root $www;
		}
	}
	NGINX
}

# load_ok DIR N: the load client has had at least N good answers.
load_ok() {
	local ok

	[[ -e $1/progress ]] || return 1
	read -r _ ok _ <"$1/progress"
	((ok >= $2))
}

# fetch URL: the body, or fail.
fetch() {
	"$PY" -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"
}

@test "nginx, a master and two workers, under load from a client in the container: no request fails across the restore" {
	local port dir img ct ct2 master procs n ok fails conns

	port=$(free_port)
	dir=$BATS_TEST_TMPDIR/nginx
	img=$BATS_TEST_TMPDIR/nginx.img
	WWW=$(mktemp -d /tmp/crfs-nginx-www.XXXXXX)
	chmod 755 "$WWW"
	nginx_conf "$dir" "$port" "$WWW"
	echo "small $$" >"$WWW/a.txt"
	seq 1 4000 >"$WWW/b.txt"		# 18 kB
	seq 100000 117000 >"$WWW/c.txt"	# 119 kB
	ct=$(crfs_mkct nginx)
	# one root: a shell starts nginx and becomes the load client, which
	# makes four keep-alive connections
	start_in "$ct" /bin/sh -c 'nginx -p "$1" -c "$1/nginx.conf" -e "$1/error.log" &
		shift; exec "$@"' sh "$dir" \
		"$PY" "$BATS_TEST_DIRNAME/programs/http-load.py" "$port" "$dir" \
		"$WWW" 4 a.txt b.txt c.txt
	wait_for "the load to run" 20 load_ok "$dir" 500 ||
		{ cat "$STARTED_ERR" "$dir/error.log" >&2; false; }
	master=$(cat "$dir/nginx.pid")
	run -0 ps -o comm= --ppid "$master"
	assert_output $'nginx\nnginx'
	procs=$(sort -n "$CRFS_MNT/$ct/procs")
	# the master, two workers, the client
	n=$(wc -l <<<"$procs")
	((n == 4)) || fail "$n processes in the container: $procs"
	run -0 ss -Htn state established "( sport = :$port )"
	((${#lines[@]} == 4)) || fail "not four connections: $output"

	ct2=$(ct_move "$ct" "$img" nginx2)
	run -0 sort -n "$CRFS_MNT/$ct2/procs"
	assert_output "$procs"
	read -r _ ok _ <"$dir/progress"
	wait_for "the load to go on" 30 load_ok "$dir" $((ok + 2000)) ||
		{ cat "$dir/progress" "$dir/fail.log" >&2; false; }
	# new requests from outside, new connections
	run -0 fetch "http://127.0.0.1:$port/a.txt"
	assert_output "small $$"
	run -0 fetch "http://127.0.0.1:$port/c.txt"
	assert_output "$(cat "$WWW/c.txt")"
	touch "$dir/stop"
	wait_for "the load client to stop" 90 test -e "$dir/done"
	read -r _ ok _ fails _ conns <"$dir/done"
	[[ ! -s $dir/fail.log ]] || fail "failed requests: $(head -n 20 "$dir/fail.log")"
	((fails == 0)) || fail "$fails failed requests"
	# the four connections carried the load across the restore
	((conns == 4)) || fail "$conns connections made, not 4"
	((ok > 2500)) || fail "only $ok good answers"
}

# tm SOCK ARGS...: a tmux client of the server at SOCK, bounded in time.
tm() {
	local sock=$1
	shift
	timeout 10 tmux -S "$sock" "$@" </dev/null
}

# pane_has SOCK TEXT: the pane shows a line TEXT.
pane_has() {
	tm "$1" capture-pane -p -t crfs | grep -qx -- "$2"
}

# tm_quiet SOCK: no client is connected to the server (a checkpoint
# refuses a unix connection to a process outside).
tm_quiet() {
	[[ -z $(tm "$1" list-clients) ]] && (($(ss -Hxp | grep -c "$1") <= 1))
}

@test "nginx under load from a client outside, peers keep: its connections are kept across the restore, no request fails" {
	local port dir img ct ct2 master procs ok fails conns

	port=$(free_port)
	dir=$BATS_TEST_TMPDIR/nginx
	img=$BATS_TEST_TMPDIR/nginx.img
	WWW=$(mktemp -d /tmp/crfs-nginx-www.XXXXXX)
	chmod 755 "$WWW"
	nginx_conf "$dir" "$port" "$WWW"
	echo "small $$" >"$WWW/a.txt"
	seq 1 4000 >"$WWW/b.txt"
	seq 100000 117000 >"$WWW/c.txt"
	NFT_BEFORE=$(crfs_nft_tables)
	ct=$(crfs_mkct nginxk)
	ct_write "$ct" peers keep
	start_in "$ct" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
	wait_for "nginx to answer" 20 fetch "http://127.0.0.1:$port/a.txt" ||
		{ cat "$STARTED_ERR" "$dir/error.log" >&2; false; }
	master=$(cat "$dir/nginx.pid")
	run -0 ps -o comm= --ppid "$master"
	assert_output $'nginx\nnginx'
	procs=$(sort -n "$CRFS_MNT/$ct/procs")
	# the load client outside the container: four keep-alive connections
	start_bg "$PY" "$BATS_TEST_DIRNAME/programs/http-load.py" "$port" \
		"$dir" "$WWW" 4 a.txt b.txt c.txt
	wait_for "the load to run" 20 load_ok "$dir" 500 ||
		{ cat "$STARTED_ERR" >&2; false; }
	run -0 ss -Htn state established "( sport = :$port )"
	((${#lines[@]} == 4)) || fail "not four connections: $output"

	ct2=$(ct_move "$ct" "$img" nginxk2)
	run -0 sort -n "$CRFS_MNT/$ct2/procs"
	assert_output "$procs"
	read -r _ ok _ <"$dir/progress"
	wait_for "the load to go on" 30 load_ok "$dir" $((ok + 2000)) ||
		{ cat "$dir/progress" "$dir/fail.log" >&2; false; }
	# the restore took its network lock away
	run -0 crfs_nft_tables
	assert_output "$NFT_BEFORE"
	touch "$dir/stop"
	wait_for "the load client to stop" 90 test -e "$dir/done"
	read -r _ ok _ fails _ conns <"$dir/done"
	[[ ! -s $dir/fail.log ]] || fail "failed requests: $(head -n 20 "$dir/fail.log")"
	((fails == 0)) || fail "$fails failed requests"
	# the client's four connections carried the load across the restore
	((conns == 4)) || fail "$conns connections made, not 4"
}

@test "tmux with a shell in a pane: restored, the pane shows what the shell wrote before, and the shell goes on" {
	local dir sock img ct ct2 server shell

	dir=$BATS_TEST_TMPDIR/tmux
	sock=$dir/sock
	img=$BATS_TEST_TMPDIR/tmux.img
	mkdir -p "$dir"
	ct=$(crfs_mkct tmux)
	# the server in front (-D), the container's process; sessions are
	# made by clients outside, which come and go
	start_in "$ct" tmux -D -S "$sock" -f /dev/null
	server=$STARTED_PID
	wait_for "the tmux server to listen" 20 test -S "$sock" ||
		{ cat "$STARTED_ERR" >&2; false; }
	tm "$sock" new-session -d -s crfs -x 100 -y 30 /bin/bash --norc --noprofile
	shell=$(tm "$sock" display-message -p -t crfs '#{pane_pid}')
	run -0 cat "$CRFS_MNT/$ct/procs"
	assert_output "$server"$'\n'"$shell"
	tm "$sock" send-keys -t crfs 'echo before-$((6 * 7))' Enter
	wait_for "the shell to answer" 10 pane_has "$sock" before-42
	wait_for "the clients to go" 10 tm_quiet "$sock"

	ct2=$(ct_move "$ct" "$img" tmux2)
	run -0 cat "$CRFS_MNT/$ct2/procs"
	assert_output "$server"$'\n'"$shell"
	tm "$sock" send-keys -t crfs 'echo after-$$' Enter
	wait_for "the shell to answer after the restore" 10 \
		pane_has "$sock" "after-$shell" ||
		{ tm "$sock" capture-pane -p -t crfs >&2; false; }
	run -0 tm "$sock" capture-pane -p -t crfs
	assert_line before-42
	assert_line "after-$shell"
	# the terminal's foreground group: ^C stops a command the shell runs
	tm "$sock" send-keys -t crfs 'sleep 1000; echo slept' Enter
	wait_for "sleep to run" 10 pgrep -P "$shell" -x sleep
	tm "$sock" send-keys -t crfs C-c
	wait_for "sleep to end" 10 eval '! pgrep -P "$shell" -x sleep'
	tm "$sock" send-keys -t crfs 'echo end-$((3 * 3))' Enter
	wait_for "the shell to come back" 10 pane_has "$sock" end-9 ||
		{ tm "$sock" capture-pane -p -t crfs >&2; false; }
	run -0 tm "$sock" capture-pane -p -t crfs
	refute_line slept
}
