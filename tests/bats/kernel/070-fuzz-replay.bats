#!/usr/bin/env bats
# The kernel's image reader against the fuzz corpus (issue 11): every input
# of tests/fuzz/corpus (the userspace fuzzer's, format 5: real images of
# the zdtm programs, shrunk and mutated) written into the image file of a
# fresh empty container of the kernel crfs, as fuzz-image.c reads it (mode
# byte off; mode 1: checksums and trailer counts redone; the header's
# machine fields, the XSAVE area and the vdso made this kernel's, so that
# it reads on: fuzz-replay.py).  Each write either fails with an errno and
# the reason in error, or ends truncated with the reason in error, or
# restores: then the processes are killed.  Every container is removed
# after, no restored process is left, a refused restore leaves the writer
# no child, and the kernel log has no oops, BUG, WARNING, KASAN, list
# corruption or hung task.  A second replay must not grow the kernel's
# unreclaimable memory (this kernel has no kmemleak, nor
# /proc/slabinfo: /proc/meminfo is compared, caches dropped).
#
# All 523 inputs are replayed each time: one replay takes 30-60 s in the
# VM (TCG), the file about 3 min.  None restores whole: the deepest are
# refused once their process is made (pages outside its mappings, bytes
# that are no record, ...), most for what the kernel does not restore yet
# (several processes, pipes, sockets, ...).  The files the images name
# under /tmp are made, empty, in the writer's private tmpfs; those of the
# host (/work/main/build/..., libc, /dev/null) are opened read-only or
# as the image says, never created or truncated.
#
# Containment: the images name files of the host that made them (/dev/null,
# libc, /work/main/build/tests/zdtm/..., /tmp/crfs-seeds.*/...).  The kernel
# restore opens files without O_CREAT or O_TRUNC (CRFS_RST_OPEN_FLAGS), in
# the writer's mount namespace, and a restored process is killed before it
# is ever thawed.  On top of that the writer runs in a mount namespace of
# its own with a new tmpfs on /tmp, its working directory, where only the
# files the images name under /tmp are made: no /tmp path of an image
# reaches a file of this test or of anyone else; the VM's root is the
# host's, read-only over 9p.

load ../helpers/common
load kernel

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
setup() {
	require_kernel
	here_hdr
}
teardown() { crfs_teardown; }

CORPUS=$BATS_TEST_DIRNAME/../../fuzz/corpus
REPLAY=$BATS_TEST_DIRNAME/fuzz-replay.py
# one replay of the whole corpus, in seconds (15-40 s measured in TCG)
REPLAY_LIMIT=${CRFS_FUZZ_REPLAY_LIMIT:-420}
# growth of unreclaimable kernel memory allowed over a whole replay: 1 KiB
# an input (measured: -116 to +140 KiB a replay)
LEAK_KB=${CRFS_FUZZ_LEAK_KB:-512}

# here_hdr: $HDR, an image of this kernel (zdtm-pause), for its header's
# machine fields.  Made once per file.
here_hdr() {
	HDR=$BATS_FILE_TMPDIR/here.img
	[[ -s $HDR ]] && return 0
	zdtm_frozen here zdtm-pause
	cat "$CRFS_MNT/$CT/image" >"$HDR.new" || { cat "$CRFS_MNT/$CT/error" >&2; false; }
	ct_write "$CT" state kill
	wait_pid_gone "$PID"
	mv "$HDR.new" "$HDR"
}

# corpus_files: the corpus's inputs, sorted (a deterministic order).
corpus_files() {
	find "$CORPUS" -maxdepth 1 -type f | LC_ALL=C sort
}

# kmsg_lines: how many lines the kernel log has.
kmsg_lines() {
	dmesg | wc -l
}

# kmsg_clean SKIP: no trouble in the kernel log after its first SKIP lines.
kmsg_clean() {
	local bad

	bad=$(dmesg | tail -n +"$(($1 + 1))" | grep -E \
		'BUG|Oops|WARNING|KASAN|UBSAN|general protection|list_(add|del) corruption|blocked for more than|hung task|Kernel panic|Call Trace') || true
	if [[ -n $bad ]]; then
		echo "kernel log: $bad" >&2
		return 1
	fi
}

# replay TAG FILE...: replay the corpus inputs FILE... in a mount namespace
# of the writer's own (a new tmpfs on /tmp, its cwd), within REPLAY_LIMIT
# seconds.  The script, the corpus directory and $HDR are opened before
# that tmpfs hides /tmp (a clone of the repository may live there) and
# passed as fds 5, 6 and 4: the inputs are read as /dev/fd/6/NAME.  The log
# (one line per input, then SUMMARY and ANOMALY lines) is $BATS_TEST_TMPDIR/TAG.log.
replay() {
	local tag=$1 rc=0 f args=()
	shift
	case $CRFS_MNT/ in /tmp/*)
		echo "$CRFS_MNT is under /tmp, which the replay hides" >&2
		return 1 ;;
	esac
	for f in "$@"; do
		[[ $f -ef $CORPUS/${f##*/} ]] || { echo "$f: not in $CORPUS" >&2; return 1; }
		args+=("/dev/fd/6/${f##*/}")
	done
	LOG=$BATS_TEST_TMPDIR/$tag.log
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout -k 10 "$REPLAY_LIMIT" unshare --mount --propagation private -- \
		bash -c 'mount -t tmpfs -o mode=0700 fuzz-replay /tmp && cd /tmp &&
			FUZZ_REPLAY_SCRATCH=/tmp exec python3 /dev/fd/5 "$@"' replay "$CRFS_MNT" /dev/fd/4 "$tag" "${args[@]}" \
		</dev/null >"$LOG" 2>&1 3>&- 4<"$HDR" 5<"$REPLAY" 6<"$CORPUS" || rc=$?
	grep -E '^(SUMMARY|ANOMALY)' "$LOG" | sed 's/^/# /' >&3
	# in the VM, the whole log for the host too
	[[ -d ${CRFS_VM_RESULTS:-} ]] && cp "$LOG" "$CRFS_VM_RESULTS/fuzz-replay-$tag.log"
	if ((rc)); then
		echo "replay $tag: exit status $rc" >&2
		tail -n 20 "$LOG" >&2
		return 1
	fi
	grep -q "^SUMMARY $tag: $# inputs" "$LOG"
}

# nothing_left TAG: no container of the replay TAG is left.
nothing_left() {
	local left

	left=$(find "$CRFS_MNT" -maxdepth 1 -name "$1-*")
	[[ -z $left ]] || { echo "left behind: $left" >&2; return 1; }
}

# kmem_kb: unreclaimable kernel memory in KiB, caches dropped first:
# SUnreclaim + KernelStack + PageTables + VmallocUsed (+ Percpu).
kmem_kb() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
	echo 3 >/proc/sys/vm/drop_caches
	awk '$1 ~ /^(SUnreclaim|KernelStack|PageTables|VmallocUsed|Percpu):$/ { s += $2 }
		END { print s }' /proc/meminfo
}

@test "fuzz replay: every corpus input into a fresh container: refused or truncated with a reason, or restored and killed; all removed, kernel log clean" {
	local k0 files

	mapfile -t files < <(corpus_files)
	((${#files[@]} > 500)) || { echo "corpus: only ${#files[@]} inputs" >&2; false; }
	k0=$(kmsg_lines)
	((k0 > 0)) || { echo "dmesg: no kernel log to check" >&2; false; }
	replay fz1 "${files[@]}"
	touch "$BATS_FILE_TMPDIR/warm"
	nothing_left fz1
	kmsg_clean "$k0"
	echo "# restored (then killed): $(awk '$2 == "restored" { printf "%s ", $1 }' "$LOG")" >&3
	echo "# refused for the process's files, memory, pages or making: $(grep -cE 'error=restore: pid [0-9]+: (the executable|address space|vdso|mapping|fd [0-9]+:|pages at|signal|cannot make)' "$LOG")" >&3
	# the replay got past the checksums to the rules of the records: the
	# reasons of 100 or more name the process
	(($(grep -cE ' refused .*error=restore: pid [0-9]+: ' "$LOG") >= 100))
}

@test "fuzz replay: a second replay of the corpus leaks no kernel memory" {
	local k0 m0 m1 files

	mapfile -t files < <(corpus_files)
	k0=$(kmsg_lines)
	# the first replay of this file warms the caches (the previous test's,
	# or this one when run alone)
	[[ -e $BATS_FILE_TMPDIR/warm ]] || replay fz2w "${files[@]}"
	m0=$(kmem_kb)
	replay fz2 "${files[@]}"
	m1=$(kmem_kb)
	echo "# unreclaimable kernel memory: $m0 KiB, after replay 2: $m1 KiB ($((m1 - m0)))" >&3
	nothing_left fz2
	kmsg_clean "$k0"
	# a leak of 1 KiB or more an input shows
	if ((m1 - m0 > LEAK_KB)); then
		echo "kernel memory grew by $((m1 - m0)) KiB over one replay" >&2
		false
	fi
}

# Regression: a corpus input whose restore is refused after its process
# is made (at its first PAGES record the process is made; the bytes after
# it are no record).  The killed process was
# left a zombie child of the writer, holding the image's pid: the same
# image again from the same writer was refused "the pid is in use" (EEXIST;
# now it would be waited for as a dying process's, then "is in use").
@test "fuzz replay: 1c61272c, refused once its process is made, twice from one writer: no child left, the same reason again" {
	local f=$CORPUS/1c61272c686d411a1690e000849b7a6a0ef315de k0

	k0=$(kmsg_lines)
	replay rg1 "$f" "$f"
	nothing_left rg1
	kmsg_clean "$k0"
	run -0 awk '/^1c61272c/ { sub(/^.* error=/, ""); print }' "$LOG"
	[[ ${#lines[@]} -eq 2 && ${lines[0]} == "${lines[1]}" ]]
	[[ ${lines[0]} == "restore: "* && ${lines[0]} != *EEXIST* && ${lines[0]} != *"is in use"* ]]
}
