#!/bin/sh
# Install the Debian packages crfs needs, when missing.  Run as root.
set -e
# userspace: build, FUSE, tests
PKGS="build-essential pkg-config libfuse3-dev fuse3 libmount-dev bats bats-assert
bats-support procps psmisc python3 iproute2 util-linux"
# the test kernel and its VM (make kernel, make vm-test)
PKGS="$PKGS linux-source-6.12 flex bison bc libelf-dev libssl-dev cpio xz-utils
rsync kmod qemu-system-x86"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $missing
