#!/usr/bin/env bats
# The mount root and the files of a container.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

@test "the root is a mounted directory" {
	run -0 stat -c %F "$CRFS_MNT"
	assert_output "directory"
	if [[ -z ${CRFS_ROOT:-} ]]; then
		crfs_is_mounted "$CRFS_MNT" ||
			fail "$CRFS_MNT is not a fuse mount in /proc/self/mountinfo"
	fi
}

@test "mkdir makes a container with exactly its control files" {
	ct=$(crfs_mkct ct)
	run -0 ls "$CRFS_MNT"
	assert_line "$ct"
	local want=(error events image ns procs state)

	# shell_job and peers go with image support, which only crfs-fuse has yet.
	[[ -n ${CRFS_ROOT:-} ]] || want+=(shell_job peers)
	run -0 bash -c "ls '$CRFS_MNT/$ct' | sort"
	assert_output "$(printf '%s\n' "${want[@]}" | sort)"
	run -0 stat -c %F "$CRFS_MNT/$ct"
	assert_output "directory"
}

@test "a new container is empty" {
	ct=$(crfs_mkct ct)
	run -0 ct_file "$ct" state
	assert_output "empty"
	run -0 ct_file "$ct" events
	assert_output "$(printf 'populated 0\nfrozen 0')"
	run -0 ct_file "$ct" procs
	assert_output ""
	run -0 ct_file "$ct" error
	assert_output ""
}

@test "image and error have mode 0600, the others are regular files" {
	ct=$(crfs_mkct ct)
	run -0 stat -c %a "$CRFS_MNT/$ct/image"
	assert_output "600"
	# error names other users' files (pid N: fd N: PATH): root's only.
	run -0 stat -c %a "$CRFS_MNT/$ct/error"
	assert_output "600"
	for f in procs state events error image; do
		run -0 stat -c %F "$CRFS_MNT/$ct/$f"
		assert_output --regexp "regular (empty )?file"
	done
}

@test "files cannot be created in the root or in a container" {
	ct=$(crfs_mkct ct)
	run ! touch "$CRFS_MNT/file"
	run ! touch "$CRFS_MNT/$ct/file"
	run ! mkdir "$CRFS_MNT/$ct/sub"
	refute_listed "$CRFS_MNT/$ct" file
	refute_listed "$CRFS_MNT/$ct" sub
}

@test "mkdir of an existing name fails with EEXIST" {
	ct=$(crfs_mkct ct)
	run -1 mkdir "$CRFS_MNT/$ct"
	assert_output --partial "File exists"
}

@test "an empty container is removed by rmdir" {
	ct=$(crfs_mkct ct)
	rmdir "$CRFS_MNT/$ct"
	run ! test -e "$CRFS_MNT/$ct"
	refute_listed "$CRFS_MNT" "$ct"
}

@test "a removed name can be made again, fresh" {
	ct=$(crfs_mkct ct)
	echo freeze >"$CRFS_MNT/$ct/state"
	rmdir "$CRFS_MNT/$ct"
	mkdir "$CRFS_MNT/$ct"
	run -0 ct_file "$ct" events
	assert_output "$(printf 'populated 0\nfrozen 0')"
}
