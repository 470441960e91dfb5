#!/usr/bin/env bats
# FUSE only: `make install` and `make uninstall`, with PREFIX and DESTDIR,
# as packagers and users call them.  The tree is built into the BUILD that
# holds $CRFS_BIN (make builds what is missing); everything is installed
# under this test's own directory.

load ../helpers/common

setup() {
	if [[ -n ${CRFS_ROOT:-} ]]; then
		skip "make install of crfs-fuse; CRFS_ROOT is set (not the FUSE prototype)"
	fi
	DEST=$BATS_TEST_TMPDIR/dest
	CRFS_MNT=
	CRFS_FUSE_PID=
}

# The containers a test made, then the daemon it started from the
# installed binary, if any.
teardown() {
	crfs_teardown
	if [[ -n ${CRFS_MNT:-} ]]; then
		crfs_umount_fuse "$CRFS_MNT" "$CRFS_FUSE_PID"
	fi
}

# imake ARGS...: make in the repository, with the BUILD of $CRFS_BIN; the
# variables of an enclosing make (make test) are not ours.
imake() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -s -C "$CRFS_REPO" BUILD="$(dirname "$CRFS_BIN")" "$@" \
		</dev/null 3>&-
}

@test "make install DESTDIR PREFIX=/usr: the programs and the documentation" {
	run -0 imake install DESTDIR="$DEST" PREFIX=/usr
	for p in crfs-fuse crctl crfs-image; do
		[[ -x $DEST/usr/bin/$p && -f $DEST/usr/bin/$p ]] ||
			fail "$p is not installed in $DEST/usr/bin"
		run -0 stat -c %a "$DEST/usr/bin/$p"
		assert_output "755"
		cmp "$CRFS_BIN/$p" "$DEST/usr/bin/$p" || fail "$p is not the one built"
	done
	run -0 stat -c %a "$DEST/usr/share/doc/crfs/README.md"
	assert_output "644"
	[[ -f $DEST/usr/share/doc/crfs/Documentation/filesystems/crfs.rst ]] ||
		fail "crfs.rst is not installed"
	run -0 "$DEST/usr/bin/crctl" --help
	assert_line --partial "checkpoint CT -o FILE"
	run -0 "$DEST/usr/bin/crfs-fuse" --help
	assert_line --partial "Usage:"
}

@test "make install: PREFIX is /usr/local by default" {
	run -0 imake install DESTDIR="$DEST"
	[[ -x $DEST/usr/local/bin/crctl ]] || fail "no $DEST/usr/local/bin/crctl"
	[[ -f $DEST/usr/local/share/doc/crfs/README.md ]] ||
		fail "no $DEST/usr/local/share/doc/crfs/README.md"
}

@test "the installed programs work: crfs-fuse mounts, crctl lists" {
	run -0 imake install DESTDIR="$DEST" PREFIX=/opt/crfs
	CRFS_BIN=$DEST/opt/crfs/bin
	CRFS_MNT=$BATS_TEST_TMPDIR/mnt
	crfs_mount_fuse "$CRFS_MNT"
	mkdir "$CRFS_MNT/installed"
	echo installed >>"$BATS_TEST_TMPDIR/.crfs-cts"
	run -0 "$CRFS_BIN/crctl" -r "$CRFS_MNT" ps
	assert_line --regexp "^installed +empty *\$"
}

@test "make uninstall removes what make install put there" {
	run -0 imake install DESTDIR="$DEST" PREFIX=/usr
	touch "$DEST/usr/bin/someone-elses"
	run -0 imake uninstall DESTDIR="$DEST" PREFIX=/usr
	run -0 find "$DEST" -type f
	assert_output "$DEST/usr/bin/someone-elses"
	[[ ! -e $DEST/usr/share/doc/crfs ]] || fail "the documentation is left"
}
