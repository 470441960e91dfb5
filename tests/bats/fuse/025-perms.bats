#!/usr/bin/env bats
# FUSE only: who may do what on an allow_other mount.  Everyone may read
# the small files; only root writes state and procs, opens image, makes
# and removes containers.  A real unprivileged uid (65534) tries.

load ../helpers/common

NOBODY=65534

setup_file() {
	local log deadline

	[[ -n ${CRFS_ROOT:-} ]] && return 0
	# The user must reach the mount point: not under bats' private tmpdir.
	CRFS_MNT=$(mktemp -d /tmp/crfs-perms.XXXXXX)
	chmod 755 "$CRFS_MNT"
	log=$BATS_FILE_TMPDIR/crfs-fuse.log
	(crfs_close_fds; exec "$CRFS_BIN/crfs-fuse" -f -o allow_other "$CRFS_MNT") \
		</dev/null >"$log" 2>&1 3>&- &
	CRFS_FUSE_PID=$!
	CRFS_FUSE_LOG=$log
	export CRFS_MNT CRFS_FUSE_PID CRFS_FUSE_LOG
	deadline=$(( ${EPOCHREALTIME/./} + 10000000 ))
	until crfs_is_mounted "$CRFS_MNT"; do
		if ! crfs_alive "$CRFS_FUSE_PID" || (( ${EPOCHREALTIME/./} > deadline )); then
			cat "$log" >&2
			return 1
		fi
		sleep 0.05
	done
}

teardown_file() {
	[[ -n ${CRFS_ROOT:-} ]] && return 0
	crfs_teardown_file
	rmdir "$CRFS_MNT"
}

setup() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		skip "crfs-fuse daemon tests; CRFS_ROOT is set (not the FUSE prototype)"
	fi
}

teardown() { crfs_teardown; }

# as_nobody CMD: run the shell command CMD as uid and gid 65534, no groups.
as_nobody() {
	setpriv --reuid "$NOBODY" --regid "$NOBODY" --clear-groups \
		bash -c "$1" </dev/null 3>&-
}

# A container with a sleeping process: sets CT and PID.
busy_ct() {
	CT=$(crfs_mkct perm)
	start_bg sleep 1000
	PID=$STARTED_PID
	ct_write "$CT" procs "$PID"
}

@test "the files belong to the daemon's user; image and error are 0600" {
	busy_ct
	run -0 stat -c '%u %g %a %n' "$CRFS_MNT/$CT/image" "$CRFS_MNT/$CT/error" \
		"$CRFS_MNT/$CT/state" "$CRFS_MNT/$CT"
	assert_output "$(printf '0 0 600 %s\n0 0 600 %s\n0 0 644 %s\n0 0 755 %s' \
		"$CRFS_MNT/$CT/image" "$CRFS_MNT/$CT/error" "$CRFS_MNT/$CT/state" \
		"$CRFS_MNT/$CT")"
}

@test "an unprivileged user reads state, procs and events" {
	busy_ct
	run -0 as_nobody "cat '$CRFS_MNT/$CT/state' '$CRFS_MNT/$CT/procs' '$CRFS_MNT/$CT/events'"
	assert_output "$(printf 'running\n%s\npopulated 1\nfrozen 0' "$PID")"
	run -0 as_nobody "ls '$CRFS_MNT'"
	assert_line "$CT"
}

@test "an unprivileged user cannot read error: it names other users' files" {
	busy_ct
	# A failure, so that error has something to say.
	run ! ct_write "$CT" procs 999999999
	run -0 ct_file "$CT" error
	assert_output --partial "procs:"
	run -1 as_nobody "cat '$CRFS_MNT/$CT/error'"
	assert_output --partial "Permission denied"
}

@test "an unprivileged user cannot write state" {
	busy_ct
	for word in freeze kill; do
		run -1 as_nobody "echo $word >'$CRFS_MNT/$CT/state'"
		assert_output --partial "Permission denied"
	done
	run -0 ct_file "$CT" state
	assert_output "running"
	crfs_alive "$PID" || fail "pid $PID was killed"
}

@test "an unprivileged user cannot move a process, not even its own" {
	busy_ct
	run -1 as_nobody "echo \$\$ >'$CRFS_MNT/$CT/procs'"
	assert_output --partial "Permission denied"
	run -1 as_nobody "exec 3<>'$CRFS_MNT/$CT/procs'"
	assert_output --partial "Permission denied"
	run -0 ct_file "$CT" procs
	assert_output "$PID"
}

@test "an unprivileged user cannot open image, to read or to write" {
	busy_ct
	ct_write "$CT" state freeze
	wait_frozen "$CT"
	run -1 as_nobody "cat '$CRFS_MNT/$CT/image' >/dev/null"
	assert_output --partial "Permission denied"
	run -1 as_nobody "echo x >'$CRFS_MNT/$CT/image'"
	assert_output --partial "Permission denied"
	run -0 ct_file "$CT" state
	assert_output "frozen"
	ct_write "$CT" state thaw
}

@test "an unprivileged user cannot make or remove a container" {
	busy_ct
	empty=$(crfs_mkct empty)
	run -1 as_nobody "mkdir '$CRFS_MNT/nobody-$$'"
	assert_output --partial "Permission denied"
	run ! test -e "$CRFS_MNT/nobody-$$"
	run -1 as_nobody "rmdir '$CRFS_MNT/$empty'"
	assert_output --partial "Permission denied"
	[[ -d $CRFS_MNT/$empty ]] || fail "$empty was removed"
}

# bats test_tags=image
@test "CRFS_IOC_IMAGE_TO by a user root handed image to, into a set-group-ID file of a group the user is not in, is refused: crfs-fuse's write would keep the bit" {
	require_image
	local ct pub

	ct=$(crfs_mkct perm)
	zdtm_start "$ct" zdtm-mem
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	pub=$(mktemp -d /tmp/crfs-sgid.XXXXXX)
	chmod 0755 "$pub"
	: >"$pub/sgid"
	chgrp daemon "$pub/sgid"
	chmod 02777 "$pub/sgid"
	# root opens image and becomes a user (nobody) not in the group, which
	# may write the file, but whose own writes drop its set-group-ID bit
	run python3 -c 'import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
IOC = (1 << 30) | (4 << 16) | (0xCF << 8) | 1
img = os.open(sys.argv[1], os.O_RDONLY)
os.setgroups([])
os.setgid(65534)
os.setuid(65534)
out = ctypes.c_int(os.open(sys.argv[2], os.O_WRONLY))
r = libc.ioctl(img, ctypes.c_ulong(IOC), ctypes.byref(out))
print(errno.errorcode[ctypes.get_errno()] if r < 0 else "ret %d" % r,
      oct(os.fstat(out.value).st_mode & 0o7777))
' "$CRFS_MNT/$ct/image" "$pub/sgid"
	rm -rf "$pub"
	assert_success
	assert_output "ENOTSUP 0o2777"
	run -0 ct_file "$ct" state
	assert_output "frozen"
	ct_write "$ct" state thaw
	zdtm_finish
}
