#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The redis shape of make bench (scripts/bench.sh runs it): a redis-server
# holding REDIS_MIB MiB of values checkpointed (and killed) and restored by
# crfs (crctl) and by CRIU, alternating, RUNS times each, every figure
# measured in this run; the medians and the ratio CRIU/crfs printed.
#
#   scripts/bench-redis.sh MNT CRCTL CRIU SHMDIR WORKDIR
#
# MNT: a mounted crfs-fuse; CRCTL: crctl; CRIU: criu, or "" (crfs alone);
# SHMDIR: where the images go (/dev/shm); WORKDIR: logs.  Each run starts
# a new redis-server (--save '' --appendonly no, on a free loopback port,
# --enable-debug-command yes), fills it with DEBUG POPULATE (N keys of
# 1 KiB, N = REDIS_MIB * 1024) and a marker key of this run, the same way
# for both engines (started here, detached, without a terminal; for crfs
# then moved into a new container by writing its pid to procs), then
# times:
#
#   crfs   crctl checkpoint CT -o SHMDIR/redis.img --kill,
#          crctl restore CT2 -i SHMDIR/redis.img --thaw
#   CRIU   criu dump -t PID -D SHMDIR/criu, criu restore -d -D SHMDIR/criu
#
# Every restored redis must answer PING, DBSIZE N + 1, the marker and
# sampled keys (their length and first bytes): one that does not is a
# wrong restore, exit status 1.  A refusal of crfs is reported with its
# reason ("not measured"), no failure; a CRIU failure likewise.
#
# Environment: BENCH_RUNS (default 3, at least 3: medians, not best),
# BENCH_REDIS_MIB (default 1024).
set -u

MNT=$1 CRCTL=$2 CRIU=$3 SHM=$4 WORK=$5
RUNS=${BENCH_RUNS:-3}
MIB=${BENCH_REDIS_MIB:-1024}
[ "$RUNS" -ge 3 ] 2>/dev/null || RUNS=3
VALSIZE=1024
NKEYS=$((MIB * 1024))
# seconds one command may take: a checkpoint or restore, a fill
CMD_TIMEOUT=$((60 + MIB / 8))
pids=()
cts=()

die() {
	echo "bench-redis: $*" >&2
	exit 1
}

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
	die "redis-server or redis-cli missing (scripts/deps.sh bench)"
fi

# free_port: a TCP port of 127.0.0.1 nobody listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# rcli PORT ARGS...: redis-cli, bounded in time.
rcli() {
	local port=$1
	shift
	timeout 60 redis-cli -h 127.0.0.1 -p "$port" "$@" </dev/null
}

# Is $1 a redis-server we started (or its restored copy)?
ours() {
	[ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f "$(command -v redis-server)")" ]
}

# Kill what is left of ours: containers, redis servers.
# shellcheck disable=SC2317
cleanup() {
	local p c

	trap - EXIT INT TERM
	for c in "${cts[@]}"; do
		[ -d "$MNT/$c" ] || continue
		timeout 10 "$CRCTL" -r "$MNT" kill "$c" >/dev/null 2>&1
		for _ in $(seq 100); do
			grep -qx 'populated 0' "$MNT/$c/events" 2>/dev/null && break
			sleep 0.1
		done
		rmdir "$MNT/$c" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		ours "$p" && kill -9 "$p" 2>/dev/null
	done
	rm -rf "$SHM/redis.img" "$SHM/criu"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# reaped PID: wait until our child PID (killed) is reaped, its pid free.
reaped() {
	for _ in $(seq 200); do
		[ -e "/proc/$1" ] || return 0
		sleep 0.05
	done
	return 1
}

now() {
	echo "${EPOCHREALTIME/./}"
}

# start_redis: a filled redis-server, detached; sets PID, PORT, MARK.
start_redis() {
	local n

	PORT=$(free_port)
	MARK="run-$RANDOM$RANDOM"
	setsid redis-server --port "$PORT" --bind 127.0.0.1 --save '' \
		--appendonly no --daemonize no --enable-debug-command yes \
		--dir "$WORK" --logfile "$WORK/redis-$PORT.log" \
		</dev/null >/dev/null 2>&1 &
	PID=$!
	# ours to reap still, without a job's "Killed" notice (reaped())
	disown "$PID"
	pids+=("$PID")
	for n in $(seq 200); do
		[ "$(rcli "$PORT" PING 2>/dev/null)" = PONG ] && break
		[ "$n" = 200 ] && die "redis-server did not answer on $PORT"
		sleep 0.05
	done
	[ "$(timeout "$CMD_TIMEOUT" redis-cli -h 127.0.0.1 -p "$PORT" \
	     DEBUG POPULATE "$NKEYS" key "$VALSIZE" </dev/null)" = OK ] ||
		die "DEBUG POPULATE failed"
	[ "$(rcli "$PORT" SET marker "$MARK")" = OK ] || die "SET marker failed"
}

# check_redis WHO: the restored redis answers with the right data.
check_redis() {
	local who=$1 k got

	got=$(rcli "$PORT" PING 2>&1)
	[ "$got" = PONG ] || { echo "$who: restored redis: PING: $got"; return 1; }
	got=$(rcli "$PORT" DBSIZE)
	[ "$got" = $((NKEYS + 1)) ] ||
		{ echo "$who: restored redis: DBSIZE $got, not $((NKEYS + 1))"; return 1; }
	got=$(rcli "$PORT" GET marker)
	[ "$got" = "$MARK" ] ||
		{ echo "$who: restored redis: marker $got, not $MARK"; return 1; }
	for k in 0 1 $((NKEYS / 3)) $((NKEYS / 2)) $((NKEYS - 1)); do
		got=$(rcli "$PORT" STRLEN "key:$k")
		[ "$got" = "$VALSIZE" ] ||
			{ echo "$who: key:$k: length $got, not $VALSIZE"; return 1; }
		got=$(rcli "$PORT" GETRANGE "key:$k" 0 $((${#k} + 5)))
		[ "$got" = "value:$k" ] ||
			{ echo "$who: key:$k: starts with '$got', not value:$k"; return 1; }
	done
	got=$(rcli "$PORT" SET after ok)
	[ "$got" = OK ] || { echo "$who: restored redis: SET: $got"; return 1; }
}

# ms T0 T1: milliseconds between two now()s.
ms() {
	echo $((($2 - $1) / 1000))
}

bad=0
crfs_ck=() crfs_rs=() criu_ck=() criu_rs=()
crfs_why=''
criu_why=''

# One crfs cycle; appends to crfs_ck, crfs_rs; sets crfs_why on refusal.
run_crfs() {
	local ct=redis-bench-$$-$1 ct2=redis-bench-$$-$1r t0 t1 t1b t2 err

	start_redis
	mkdir "$MNT/$ct" || die "mkdir $MNT/$ct"
	cts+=("$ct")
	echo "$PID" >"$MNT/$ct/procs" || die "cannot move $PID into $ct"
	t0=$(now)
	if ! err=$(timeout "$CMD_TIMEOUT" "$CRCTL" -r "$MNT" checkpoint "$ct" \
		   -o "$SHM/redis.img" --kill 2>&1); then
		crfs_why=${err:-crctl checkpoint failed}
		kill -9 "$PID" 2>/dev/null
		reaped "$PID"
		return
	fi
	t1=$(now)
	reaped "$PID" || die "pid $PID not reaped"	# free for the restore
	rmdir "$MNT/$ct"
	cts+=("$ct2")
	t1b=$(now)
	if ! err=$(timeout "$CMD_TIMEOUT" "$CRCTL" -r "$MNT" restore "$ct2" \
		   -i "$SHM/redis.img" --thaw 2>&1); then
		echo "crfs: restore failed: $err"
		bad=1
		return
	fi
	t2=$(now)
	crfs_img=$(stat -c %s "$SHM/redis.img")
	check_redis crfs || bad=1
	crfs_ck+=("$(ms "$t0" "$t1")")
	crfs_rs+=("$(ms "$t1b" "$t2")")
	timeout 10 "$CRCTL" -r "$MNT" kill "$ct2" >/dev/null 2>&1
	for _ in $(seq 100); do
		grep -qx 'populated 0' "$MNT/$ct2/events" 2>/dev/null && break
		sleep 0.1
	done
	rmdir "$MNT/$ct2" 2>/dev/null
	rm -f "$SHM/redis.img"
}

# One CRIU cycle; appends to criu_ck, criu_rs; sets criu_why on failure.
run_criu() {
	local t0 t1 t1b t2 dir=$SHM/criu

	start_redis
	rm -rf "$dir"
	mkdir -p "$dir"
	t0=$(now)
	if ! timeout "$CMD_TIMEOUT" "$CRIU" dump -t "$PID" -D "$dir" \
	     -o "$WORK/criu-redis-dump.log" </dev/null >/dev/null 2>&1; then
		criu_why="criu dump failed: $(grep -m3 Error "$dir/criu-redis-dump.log" "$WORK/criu-redis-dump.log" 2>/dev/null | tr '\n' ' ')"
		kill -9 "$PID" 2>/dev/null
		reaped "$PID"
		return
	fi
	t1=$(now)
	reaped "$PID" || die "pid $PID not reaped"	# free for the restore
	t1b=$(now)
	if ! timeout "$CMD_TIMEOUT" "$CRIU" restore -d -D "$dir" \
	     -o "$WORK/criu-redis-restore.log" </dev/null >/dev/null 2>&1; then
		criu_why="criu restore failed: $(grep -m3 Error "$dir/criu-redis-restore.log" "$WORK/criu-redis-restore.log" 2>/dev/null | tr '\n' ' ')"
		return
	fi
	t2=$(now)
	criu_img=$(du -sb "$dir" | cut -f1)
	if check_redis CRIU; then
		criu_ck+=("$(ms "$t0" "$t1")")
		criu_rs+=("$(ms "$t1b" "$t2")")
	else
		criu_why="CRIU's restore answered wrong"
	fi
	# the restored copy: pid $PID again, not our child
	ours "$PID" && kill -9 "$PID"
	for _ in $(seq 100); do
		ours "$PID" || break
		grep -q '^State:.*Z' "/proc/$PID/status" 2>/dev/null && break
		sleep 0.05
	done
	rm -rf "$dir"
}

# median V...: the middle value (the lower middle of an even count).
median() {
	printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"
}

# ratio A B: A / B with two decimals.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
}

echo
echo "== redis: $MIB MiB of values ($NKEYS keys of $VALSIZE bytes, DEBUG POPULATE), $RUNS runs each =="
echo "   crfs: crctl checkpoint CT -o IMG --kill; crctl restore CT2 -i IMG --thaw"
[ -n "$CRIU" ] && echo "   CRIU: criu dump -t PID -D DIR; criu restore -d -D DIR"
echo "   each restored redis checked: PING, DBSIZE, a marker of the run, 5 sampled keys, a SET"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
crfs_img=0 criu_img=0
for r in $(seq "$RUNS"); do
	[ -z "$crfs_why" ] && run_crfs "$r"
	[ -n "$CRIU" ] && [ -z "$criu_why" ] && run_criu
	[ "$bad" = 0 ] || break
done

if [ -n "$crfs_why" ]; then
	echo "crfs (crctl): redis: not measured: $crfs_why"
elif [ "${#crfs_ck[@]}" -gt 0 ]; then
	echo "crfs (crctl): checkpoint ms: ${crfs_ck[*]} (median $(median "${crfs_ck[@]}"))," \
	     "restore ms: ${crfs_rs[*]} (median $(median "${crfs_rs[@]}")), image $((crfs_img >> 20)) MiB"
fi
if [ -z "$CRIU" ]; then
	echo "CRIU: not run (see above): no ratio"
elif [ -n "$criu_why" ]; then
	echo "CRIU: redis: $criu_why"
elif [ "${#criu_ck[@]}" -gt 0 ]; then
	echo "CRIU:         checkpoint ms: ${criu_ck[*]} (median $(median "${criu_ck[@]}"))," \
	     "restore ms: ${criu_rs[*]} (median $(median "${criu_rs[@]}")), images $((criu_img >> 20)) MiB"
fi
if [ -z "$crfs_why" ] && [ -n "$CRIU" ] && [ -z "$criu_why" ] &&
   [ "${#crfs_ck[@]}" -gt 0 ] && [ "${#criu_ck[@]}" -gt 0 ]; then
	cc=$(median "${crfs_ck[@]}") cr=$(median "${crfs_rs[@]}")
	kc=$(median "${criu_ck[@]}") kr=$(median "${criu_rs[@]}")
	echo "CRIU/crfs (medians; above 1: crfs ahead): checkpoint $(ratio "$kc" "$cc")," \
	     "restore $(ratio "$kr" "$cr"), round trip $(ratio $((kc + kr)) $((cc + cr)))"
fi
echo "   load average $load0 before, $(cut -d' ' -f1-3 /proc/loadavg) after, on $(nproc) cpus" \
     "(the machine is shared: wall times of a loaded machine vary)"
if [ "$bad" != 0 ]; then
	echo "bench-redis: a restored redis answered wrong" >&2
	exit 1
fi
exit 0
