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
# the race swaps, a symbolic link to the secret (NAME.evil).  Starts the
# program in CT; sets ZDTM_DIR, ZDTM_PID.
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
# swapper exchanges each pair of names (relative to $PUB).  Every restore fails naming a file
# of $PUB and leaves its container empty, or succeeds without the secret
# anywhere, and the process, thawed, passes its own check.
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
			assert_output --partial "$PUB/"
			assert_output --regexp "(symbolic link|is another file|has changed)"
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

@test "zdtm-userfiles: an unprivileged process's files round-trip" {
	require_image
	userfiles_race
}

@test "a mapped file swapped for a link to a root-only file: never mapped" {
	require_image
	userfiles_race z/map.dat z/map.dat.evil
}

@test "an open file swapped for a link to a root-only file: never opened" {
	require_image
	userfiles_race z/fd.dat z/fd.dat.evil
}

@test "the executable swapped for a link to a root-only file: never used" {
	require_image
	userfiles_race prog prog.evil
}
