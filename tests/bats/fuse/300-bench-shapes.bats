#!/usr/bin/env bats
# FUSE only: the container shapes of `make bench` (issue 9), tiny: a tree
# of 4 processes and a process of 4 threads, through scripts/bench.sh and
# crfs-bench as `make bench` runs them.  Each engine either restores every
# process, thread and page intact (the bench checks) or, for crfs, refuses
# with a reason that the report prints; CRIU, when the peers folder has
# it, is measured on both in the same run.  A tree of one process and one
# thread go through the same code and crfs can take them today: the path
# of crfs's figures, ready for real trees and threads.  And the memory program that
# checks the restored copies tells a wrong page, a lost child.

load ../helpers/common

setup() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		skip "make bench mounts crfs-fuse itself; CRFS_ROOT is set (not the FUSE prototype)"
	fi
	BENCH_PROGS=
	# the build of $CRFS_BIN; the sanitizer build (BUILD/asan) has no
	# bench programs: those of BUILD
	for d in "$(dirname "$CRFS_BIN")/tests/bench" \
		 "$(dirname "$(dirname "$CRFS_BIN")")/tests/bench" \
		 "$CRFS_REPO/build/tests/bench"; do
		if [[ -x $d/crfs-bench && -x $d/crfs-bench-mem ]]; then
			BENCH_PROGS=$d
			break
		fi
	done
	[[ -n $BENCH_PROGS ]] || fail "crfs-bench is not built (make all)"
	MEM_PIDS=()
}

# The memory programs a test started: their whole process groups.
teardown() {
	local p

	for p in "${MEM_PIDS[@]}"; do
		kill -9 -- "-$p" 2>/dev/null || true
	done
}

# A BUILD for scripts/bench.sh: crfs-fuse and crctl of $CRFS_BIN (the
# sanitizer build's too), the bench programs of the build that has them.
bench_build() {
	BUILD_DIR=$BATS_TEST_TMPDIR/build
	mkdir -p "$BUILD_DIR/tests"
	ln -s "$CRFS_BIN" "$BUILD_DIR/bin"
	ln -s "$BENCH_PROGS" "$BUILD_DIR/tests/bench"
}

@test "make bench shapes: a 4-process tree and 4 threads, each measured intact or refused with a reason" {
	local shape e label
	local -A re=([crctl]='crfs \(crctl\)' [cat]='crfs \(echo/cat\)')

	bench_build
	run -0 timeout 120 env BUILD="$BUILD_DIR" BENCH_SHAPES=tree,threads \
		BENCH_TREE=4x1 BENCH_THREADS=4x4 BENCH_RUNS=1 BENCH_TIMEOUT=100 \
		"$CRFS_REPO/scripts/bench.sh" </dev/null 3>&-
	refute_output --partial "something broke"
	assert_output --partial "bench: shape_tree_procs=4 shape_tree_mib_each=1"
	assert_output --partial "bench: shape_threads_threads=4 shape_threads_mib=4"
	for shape in tree threads; do
		for e in crctl cat; do
			label="crfs (crctl)"
			[[ $e == cat ]] && label="crfs (echo/cat)"
			if [[ $output == *"bench: ${e}_rtrip_${shape}_median_s="* ]]; then
				assert_output --partial "bench: ${e}_ckpt_${shape}_median_s="
				refute_output --partial "$label: $shape: not measured"
			else
				# refused: the reason names the pid and the errno
				assert_output --regexp "  ${re[$e]}: $shape: not measured: pid [0-9]+: .+ \(E[A-Z]+\)"
				assert_output --partial "bench: ${e}_${shape}_refused=1"
			fi
		done
		# the freeze of the container, crfs's own figure
		assert_output --regexp "bench: cat_freeze_${shape}_median_s=0\.[0-9]+ "
		if [[ $output == *"CRIU: "*"(Version: "* ]]; then
			assert_output --partial "bench: criu_rtrip_${shape}_median_s="
			assert_output --partial "bench: image_criu_${shape}_bytes="
		fi
	done
	refute_output --partial "not run again"
}

@test "make bench shapes, crfs's path: a tree of one process and one thread, measured by crfs and CRIU" {
	local shape e st

	bench_build
	run -0 timeout 120 env BUILD="$BUILD_DIR" BENCH_SHAPES=tree,threads \
		BENCH_TREE=1x1 BENCH_THREADS=1x2 BENCH_RUNS=1 BENCH_TIMEOUT=100 \
		"$CRFS_REPO/scripts/bench.sh" </dev/null 3>&-
	refute_output --partial "something broke"
	refute_output --partial "not measured"
	for shape in tree threads; do
		for e in crctl cat; do
			for st in ckpt kill restore rtrip; do
				assert_output --regexp "bench: ${e}_${st}_${shape}_median_s=0\.[0-9]+ "
			done
			assert_output --regexp "bench: image_${e}_${shape}_bytes=[0-9]+"
		done
		assert_output --regexp "bench: cat_freeze_${shape}_median_s=0\.[0-9]+ "
		if [[ $shape == tree ]]; then
			# the cgroup freezer alone on the crctl cycle's tree, beside it
			assert_output --regexp "bench: cgroup_freeze_tree_median_s=0\.[0-9]+ "
			assert_output --regexp "\(the cgroup freezer alone [0-9.]+ ms: crfs adds -?[0-9.]+ ms\)"
		fi
		if [[ $output == *"CRIU: "*"(Version: "* ]]; then
			assert_output --regexp "bench: ratio_criu_crctl_ckpt_${shape}=[0-9.]+ ratio_criu_crctl_restore_${shape}=[0-9.]+ ratio_criu_crctl_rtrip_${shape}=[0-9.]+"
			assert_output --regexp "bench: ratio_criu_cat_ckpt_${shape}=[0-9.]+ ratio_criu_cat_restore_${shape}=[0-9.]+ ratio_criu_cat_rtrip_${shape}=[0-9.]+"
		fi
	done
}

# start_mem ARGS...: the memory program, detached as the bench starts it;
# waits for READY; sets MEM_DIR and MEM_READY (its pids).
start_mem() {
	MEM_DIR=$BATS_TEST_TMPDIR
	(
		crfs_close_fds
		exec setsid "$BENCH_PROGS/crfs-bench-mem" "$@" "$MEM_DIR/ready" \
			"$MEM_DIR/result" </dev/null >/dev/null 2>&1
	) 3>&- &
	disown $! 2>/dev/null || true
	wait_for "crfs-bench-mem ready" 20 test -s "$MEM_DIR/ready"
	mapfile -t MEM_READY <"$MEM_DIR/ready"
	MEM_PIDS+=("${MEM_READY[0]}")
}

# ask_mem: SIGUSR1 to the root, its verdict in $output.
ask_mem() {
	rm -f "$MEM_DIR/result"
	kill -USR1 "${MEM_READY[0]}"
	wait_for "a verdict" 20 test -s "$MEM_DIR/result"
	output=$(<"$MEM_DIR/result")
}

# poke PID IDX: overwrite word 1 of page 3 of the pattern of process IDX of
# a tree (0: the root, a single or threaded process), found in PID's memory
# by its first page (the seed of crfs-bench-mem/pattern.c).
poke() {
	python3 - "$1" "$2" <<-'EOF'
	import struct, sys
	M = (1 << 64) - 1
	def seed(page):
	    x = (page + 0x9e3779b97f4a7c15) & M
	    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & M
	    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & M
	    return x ^ (x >> 31)
	pid, idx = int(sys.argv[1]), int(sys.argv[2])
	salt = idx << 40
	want = struct.pack("<QQ", seed(0 ^ salt), (seed(0 ^ salt) + 1) & M)
	with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "r+b", 0) as mem:
	    for line in maps:
	        f = line.split()
	        if f[1] != "rw-p" or len(f) > 5:
	            continue
	        lo, hi = (int(v, 16) for v in f[0].split("-"))
	        mem.seek(lo)
	        data = mem.read(hi - lo)
	        at = data.find(want)
	        while at >= 0 and at % 4096:
	            at = data.find(want, at + 1)
	        if at >= 0:
	            mem.seek(lo + at + 3 * 4096 + 8)
	            mem.write(b"\1" * 8)
	            sys.exit(0)
	sys.exit(f"pid {pid}: the pattern of process {idx} not found")
	EOF
}

@test "crfs-bench-mem -p: every process checks itself; a wrong page, a lost child say FAIL" {
	start_mem -p 3 3
	[[ ${#MEM_READY[@]} -eq 3 ]] || fail "ready holds ${#MEM_READY[*]} pids"
	ask_mem
	assert_output "PASS 3 procs 2304 pages pid ${MEM_READY[0]}"
	poke "${MEM_READY[2]}" 2
	ask_mem
	assert_output --regexp "^FAIL proc 2 pid ${MEM_READY[2]}: page 3 word 1: "
	kill -9 "${MEM_READY[1]}"
	ask_mem
	assert_output "FAIL proc 1 pid ${MEM_READY[1]}: exited"
}

@test "crfs-bench-mem -t: every thread checks itself and its share; a wrong page says FAIL" {
	start_mem -t 3 3
	run -0 ls "/proc/${MEM_READY[0]}/task"
	[[ ${#lines[@]} -eq 3 ]] || fail "${#lines[@]} threads, not 3"
	ask_mem
	assert_output "PASS 3 threads 768 pages pid ${MEM_READY[0]}"
	poke "${MEM_READY[0]}" 0
	ask_mem
	assert_output --regexp "^FAIL thread 0 tid ${MEM_READY[0]}: page 3 word 1: "
}
