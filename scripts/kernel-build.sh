#!/bin/bash
# Build the crfs test kernel: Debian's linux-source-6.12 + kernel/patches/*.patch
# + the project's in-kernel sources, configured as tinyconfig + kernel/config/*.config.
# The in-kernel sources are the folders (or files) of OVERLAYS, include/uapi/linux too:
# the image format header (and every other uapi header of the project) is the
# same file in the kernel tree as in userspace's build, <linux/crfs.h>.
#
#   BUILD=dir scripts/kernel-build.sh      (make kernel)
#
# Layout under $BUILD/kernel:
#   src/        unpacked source tree (once; patched once; overlaid every run)
#   obj/        out-of-tree objects (make O=obj), so incremental builds are make's own
#   bzImage     the result, copied from obj/arch/x86/boot/bzImage
#   release     its `uname -r`
#   stamps/     what was unpacked, patched, overlaid and configured
#
# Environment: KERNEL_CONFIG_EXTRA="a.config b.config" merges more fragments after
# kernel/config/crfs.config (kernel/config/debug.config: KASAN, lockdep and
# atomic-sleep checks, make test-kernel-debug); CRFS_KDIR builds in another
# directory than $BUILD/kernel (make test-kernel-debug: $BUILD/kernel-debug).
set -eu
set -o pipefail
# Variables and -j of an enclosing make (make kernel CFLAGS=...) are not the kernel's.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
# CRFS_KDIR: another kernel directory (make test-kernel-debug's)
KDIR=${CRFS_KDIR:-$BUILD/kernel}
case $KDIR in /*) ;; *) KDIR=$top/$KDIR ;; esac
SRC=$KDIR/src
OBJ=$KDIR/obj
STAMPS=$KDIR/stamps
PKG=linux-source-6.12
TARBALL=/usr/src/$PKG.tar.xz
FRAGMENTS="$top/kernel/config/crfs.config ${KERNEL_CONFIG_EXTRA:-}"
OVERLAYS="fs/crfs fs/nsfs kernel/cgroup include/uapi/linux"
JOBS=$(nproc)
KMAKE="nice -n 10 make -C $SRC O=$OBJ ARCH=x86_64 -j$JOBS"

t0=$(date +%s)
say() { echo "kernel: $*"; }
die() { echo "kernel: $*" >&2; exit 1; }

# sha256 of a list of files' names and contents (empty list: a fixed value).
hash_files() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || continue
		printf '%s\n' "$(basename "$f")"
		cat "$f"
	done | sha256sum | cut -d' ' -f1
}

# 1. The source package, installed by name when missing.
if [ ! -r "$TARBALL" ]; then
	say "installing $PKG"
	[ "$(id -u)" = 0 ] || die "$TARBALL missing and not root: apt-get install $PKG"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq "$PKG" ||
		{ apt-get update -qq && apt-get install -y -qq "$PKG"; } ||
		die "cannot install $PKG"
fi
mkdir -p "$STAMPS"

# 2. Unpack once.  A new tarball (package upgrade) or a changed patch set unpacks
# afresh and drops the objects, since timestamps can no longer be trusted.
tar_id=$(stat -c '%s %Y' "$TARBALL")
patches=()
for p in "$top"/kernel/patches/*.patch; do
	[ -e "$p" ] && patches+=("$p")
done
patch_id=$(hash_files "${patches[@]+"${patches[@]}"}")
if [ "$(cat "$STAMPS/unpacked" 2>/dev/null)" != "$tar_id" ] ||
   { [ -s "$STAMPS/patched-list" ] &&
     [ "$(cat "$STAMPS/patched" 2>/dev/null)" != "$patch_id" ]; }; then
	say "unpacking $TARBALL into $SRC"
	rm -rf "$SRC" "$OBJ" "$KDIR/pristine"
	rm -f "$STAMPS"/*
	mkdir -p "$SRC"
	tar -xJf "$TARBALL" -C "$SRC" --strip-components=1
	echo "$tar_id" >"$STAMPS/unpacked"
fi

# 3. Patches, in name order, once per patch set.
if [ "$(cat "$STAMPS/patched" 2>/dev/null)" != "$patch_id" ]; then
	: >"$STAMPS/patched-list"
	for p in "${patches[@]+"${patches[@]}"}"; do
		say "applying $(basename "$p")"
		basename "$p" >>"$STAMPS/patched-list"
		patch -d "$SRC" -p1 --forward --batch --quiet <"$p" ||
			die "$(basename "$p") does not apply (the next run unpacks afresh)"
	done
	echo "$patch_id" >"$STAMPS/patched"
fi

# 4. Overlay the project's kernel sources: *.c *.h Kconfig Makefile under each
# overlay folder or file.  A file is copied only when its content differs, so make
# rebuilds just what changed.  An upstream file we replace is saved first in
# pristine/ and put back when the project drops its version.
manifest=$STAMPS/overlay
new_manifest=$STAMPS/overlay.new
: >"$new_manifest"
for d in $OVERLAYS; do
	[ -e "$top/$d" ] || continue
	(cd "$top" && find "$d" -type f \( -name '*.c' -o -name '*.h' \
		-o -name Kconfig -o -name Makefile \)) >>"$new_manifest"
done
sort -o "$new_manifest" "$new_manifest"
while read -r f; do
	if [ -e "$SRC/$f" ] && ! grep -qxF "$f" "$manifest" 2>/dev/null &&
	   [ ! -e "$KDIR/pristine/$f" ]; then
		mkdir -p "$(dirname "$KDIR/pristine/$f")"
		cp -p "$SRC/$f" "$KDIR/pristine/$f"
	fi
	if ! cmp -s "$top/$f" "$SRC/$f"; then
		mkdir -p "$(dirname "$SRC/$f")"
		cp "$top/$f" "$SRC/$f"
		say "overlay $f"
	fi
done <"$new_manifest"
if [ -e "$manifest" ]; then
	comm -23 "$manifest" "$new_manifest" | while read -r f; do
		if [ -e "$KDIR/pristine/$f" ]; then
			cp "$KDIR/pristine/$f" "$SRC/$f" && touch "$SRC/$f"
			rm -f "$KDIR/pristine/$f"
			say "restored upstream $f"
		else
			rm -f "$SRC/$f"
			say "removed $f"
		fi
	done
fi
mv "$new_manifest" "$manifest"

# 5. Configure: tinyconfig, merge the fragments, olddefconfig.  Only when a
# fragment or the patch set changed (make itself re-syncs on Kconfig edits).
for f in $FRAGMENTS; do
	[ -r "$f" ] || die "config fragment $f missing"
done
# shellcheck disable=SC2086
config_id=$(hash_files $FRAGMENTS)-$patch_id
if [ ! -e "$OBJ/.config" ] || [ "$(cat "$STAMPS/configured" 2>/dev/null)" != "$config_id" ]; then
	say "configuring (tinyconfig + $(for f in $FRAGMENTS; do basename "$f"; done | paste -sd' '))"
	mkdir -p "$OBJ"
	rm -f "$STAMPS/configured"
	$KMAKE -s tinyconfig >"$KDIR/config.log" 2>&1 || { cat "$KDIR/config.log"; die "tinyconfig failed"; }
	# shellcheck disable=SC2086
	(cd "$OBJ" && ARCH=x86_64 "$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" \
		"$OBJ/.config" $FRAGMENTS) >>"$KDIR/config.log" 2>&1 ||
		{ cat "$KDIR/config.log"; die "merge_config failed"; }
	$KMAKE -s olddefconfig >>"$KDIR/config.log" 2>&1 || { cat "$KDIR/config.log"; die "olddefconfig failed"; }
	# Every option a fragment asks for must survive: a dropped one is a
	# missing dependency, and a silent one would be a confusing test failure.
	bad=0
	# shellcheck disable=SC2086
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF "$line" "$OBJ/.config" && continue
			echo "kernel: fragment wants $line, .config has: $(grep -E "^(# )?${line%%=*}[= ]" "$OBJ/.config" || echo nothing)" >&2
			bad=1 ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			grep -q "^$opt=" "$OBJ/.config" || continue
			echo "kernel: fragment disables $opt, .config has: $(grep "^$opt=" "$OBJ/.config")" >&2
			bad=1 ;;
		esac
	done < <(cat $FRAGMENTS)
	[ $bad = 0 ] || die "configuration does not match the fragments (see above)"
	echo "$config_id" >"$STAMPS/configured"
fi

# 6. Build.
say "building bzImage (-j$JOBS, nice 10)"
if ! $KMAKE bzImage >"$KDIR/build.log" 2>&1; then
	grep -E 'error|Error' "$KDIR/build.log" | head -40 >&2
	die "build failed, log: $KDIR/build.log"
fi
grep -E 'warning:' "$KDIR/build.log" >&2 || true
cp "$OBJ/arch/x86/boot/bzImage" "$KDIR/bzImage.new"
mv "$KDIR/bzImage.new" "$KDIR/bzImage"
$KMAKE -s kernelrelease >"$KDIR/release"
t=$(( $(date +%s) - t0 ))
say "$KDIR/bzImage $(cat "$KDIR/release"), $(( $(stat -c %s "$KDIR/bzImage") / 1024 )) KiB, in $((t / 60))m$((t % 60))s"
