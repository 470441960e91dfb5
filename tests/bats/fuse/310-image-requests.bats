#!/usr/bin/env bats
# FUSE only: how crctl reads and writes CT/image.  Each of its reads and
# writes must reach the daemon as one request of 1 MiB, not two: a copy
# buffer off a page boundary spans one page more than a request holds, and
# the kernel splits every read and write in two (twice the requests, the
# wake-ups and the replies of a checkpoint or a restore).  Counted in the
# daemon's debug log (-d).

load ../helpers/common

setup() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		skip "counts crfs-fuse's requests; CRFS_ROOT is set (not the FUSE prototype)"
	fi
	MEM_PROG=
	for d in "$(dirname "$CRFS_BIN")/tests/bench" \
		 "$(dirname "$(dirname "$CRFS_BIN")")/tests/bench" \
		 "$CRFS_REPO/build/tests/bench"; do
		if [[ -x $d/crfs-bench-mem ]]; then
			MEM_PROG=$d/crfs-bench-mem
			break
		fi
	done
	[[ -n $MEM_PROG ]] || fail "crfs-bench-mem is not built (make all)"
	# crfs-fuse -d: every request and its reply in the daemon's log
	WRAP=$BATS_TEST_TMPDIR/debug-wrap
	printf '#!/bin/sh\nprog=$1\nshift\nexec "$prog" -d "$@"\n' >"$WRAP"
	chmod +x "$WRAP"
	CRFS_MNT=$BATS_TEST_TMPDIR/mnt
	CRFS_FUSE_WRAP="${CRFS_FUSE_WRAP:-} $WRAP" crfs_mount_fuse "$CRFS_MNT"
}

teardown() {
	crfs_teardown
	crfs_umount_fuse "$CRFS_MNT" "$CRFS_FUSE_PID"
}

# "REQUESTS FULL": the READ requests of pid $1 on the node it read most
# (CT/image), and how many of them were answered with a whole MiB.
image_reads() {
	awk -v pid="$1" '
		/opcode: READ \(15\)/ && $NF == pid {
			id = $2; sub(/,/, "", id); node[id] = $7; n[$7]++
		}
		/success, outsize:/ {
			id = $2; sub(/,/, "", id)
			if ((id in node) && $NF == 1048576 + 16) full[node[id]]++
		}
		END {
			for (k in n) if (n[k] > n[m]) m = k
			print n[m] + 0, full[m] + 0
		}' "$CRFS_FUSE_LOG"
}

@test "crctl checkpoint to a pipe: one FUSE request of 1 MiB per read of the image" {
	local ct tmp pid size reads full most

	require_image
	ct=$(crfs_mkct reads)
	tmp=$BATS_TEST_TMPDIR
	start_in "$ct" "$MEM_PROG" 8 "$tmp/ready" "$tmp/result"
	wait_for "crfs-bench-mem ready" 20 test -s "$tmp/ready"

	# A pipe: crctl reads the image (crfs-fuse writes only regular files)
	mkfifo "$tmp/fifo"
	cat "$tmp/fifo" >"$tmp/img" &
	"$CRFS_BIN/crctl" -r "$CRFS_MNT" checkpoint "$ct" -o "$tmp/fifo" \
		--leave-frozen 3>&- &
	pid=$!
	wait "$pid" || { tail -n 30 "$CRFS_FUSE_LOG"; false; }
	wait
	run -0 "$CRFS_BIN/crfs-image" verify "$tmp/img"

	size=$(stat -c %s "$tmp/img")
	read -r reads full < <(image_reads "$pid")
	# whole MiBs, the tail, the read that finds the end
	most=$(( size / 1048576 + 2 ))
	echo "image of $size bytes: $reads READ requests (at most $most), $full of 1 MiB"
	(( full >= 1 ))
	(( reads >= size / 1048576 && reads <= most ))
}

# The IOCTL requests of pid $1, and its READ requests on the node of the
# IOCTLs (CT/image).
image_ioctls() {
	awk -v pid="$1" '
		/opcode: IOCTL \(39\)/ && $NF == pid { i++; node = $7 }
		/opcode: READ \(15\)/ && $NF == pid { n[$7]++ }
		END { print i + 0, n[node] + 0 }' "$CRFS_FUSE_LOG"
}

@test "crctl checkpoint to a regular file: crfs-fuse writes it itself (one ioctl, no read), at the file's offset" {
	local ct tmp pid ioctls reads

	require_image
	ct=$(crfs_mkct ioctl)
	tmp=$BATS_TEST_TMPDIR
	start_in "$ct" "$MEM_PROG" 8 "$tmp/ready" "$tmp/result"
	wait_for "crfs-bench-mem ready" 20 test -s "$tmp/ready"

	# stdout a regular file opened for appending after 5 bytes of its own
	printf 'head\n' >"$tmp/img"
	"$CRFS_BIN/crctl" -r "$CRFS_MNT" checkpoint "$ct" -o - \
		--leave-frozen 3>&- >>"$tmp/img" &
	pid=$!
	wait "$pid" || { tail -n 30 "$CRFS_FUSE_LOG"; false; }
	read -r ioctls reads < <(image_ioctls "$pid")
	echo "IOCTL requests: $ioctls, READ requests: $reads"
	(( ioctls == 1 && reads == 0 ))
	run -0 head -c 5 "$tmp/img"
	assert_output "head"
	tail -c +6 "$tmp/img" >"$tmp/img2"
	run -0 "$CRFS_BIN/crfs-image" verify "$tmp/img2"

	# and it restores: the process checks its memory
	ct_write "$ct" state kill
	wait_empty "$ct"
	"$CRFS_BIN/crctl" -r "$CRFS_MNT" restore "$ct" -i "$tmp/img2" --thaw 3>&-
	kill -USR1 "$(head -n 1 "$tmp/ready")"
	wait_for "the restored process's check" 20 test -s "$tmp/result"
	run -0 cat "$tmp/result"
	assert_output --partial "PASS"
}

# "REQUESTS FULL": the WRITE requests of pid $1 on the node it wrote most
# (CT/image), and how many of them carried a whole MiB.
image_writes() {
	awk -v pid="$1" '
		/opcode: WRITE \(16\)/ && $NF == pid {
			n[$7]++
			if ($9 == (1048576 + 80) ",") full[$7]++
		}
		END {
			for (k in n) if (n[k] > n[m]) m = k
			print n[m] + 0, full[m] + 0
		}' "$CRFS_FUSE_LOG"
}

@test "crctl restore: one FUSE request of 1 MiB per write of the image" {
	local ct ct2 tmp pid size writes full most

	require_image
	ct=$(crfs_mkct writes)
	tmp=$BATS_TEST_TMPDIR
	start_in "$ct" "$MEM_PROG" 8 "$tmp/ready" "$tmp/result"
	wait_for "crfs-bench-mem ready" 20 test -s "$tmp/ready"
	run -0 "$CRFS_BIN/crctl" -r "$CRFS_MNT" checkpoint "$ct" -o "$tmp/img" --kill

	ct2=$(crfs_mkct writes2)
	"$CRFS_BIN/crctl" -r "$CRFS_MNT" restore "$ct2" -i "$tmp/img" 3>&- &
	pid=$!
	wait "$pid" || { tail -n 30 "$CRFS_FUSE_LOG"; false; }

	size=$(stat -c %s "$tmp/img")
	read -r writes full < <(image_writes "$pid")
	# whole MiBs and the tail
	most=$(( size / 1048576 + 1 ))
	echo "image of $size bytes: $writes WRITE requests (at most $most), $full of 1 MiB"
	(( full >= 1 ))
	(( writes >= size / 1048576 && writes <= most ))
}
