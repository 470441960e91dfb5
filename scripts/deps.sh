#!/bin/sh
# Install the Debian packages that a make target needs, when missing.
#
#   scripts/deps.sh GROUP...        as root; e.g. scripts/deps.sh build fuse
#
# Groups (each make target names its own, see the Makefile):
#   build   compile crfs-fuse, crctl, crfs-image and the tests   make, demo, test
#   fuse    mount and unmount crfs-fuse (fusermount3)             demo, test, bench
#   test    what the suites run: bats, python3, ip, ps,           test, vm-test
#           openssl (a real program timed by alarm()), the real
#           programs of tests/bats/fuse (redis, memcached, nginx,
#           tmux, node, xz); clang
#           and its fuzzer runtime for the fuzz targets; the
#           libraries of the peers' criu binary, which the zdtm
#           runner asks which kernel features a test needs
#   kernel  build the test kernel from linux-source-6.12          kernel, test
#   vm      boot it under qemu                                    vm-test, test
#   bench   redis (the redis shape), linux-perf when BENCH_PERF   bench
#           is set
#
# Recommended packages are not installed: `make demo` on a bare Debian 12
# brings a compiler, libc and the FUSE and libmount headers, and nothing else.
# apt-get waits up to 10 minutes for another apt or dpkg to finish.
set -e

# group_pkgs GROUP: the packages of one group.
group_pkgs() {
	case $1 in
	build)	echo gcc make libc6-dev pkg-config libfuse3-dev libmount-dev ;;
	fuse)	echo fuse3 ;;
	test)	echo bats bats-assert bats-support procps python3 iproute2 openssl nodejs xz-utils \
		     util-linux redis-server redis-tools memcached nginx-light tmux clang libclang-rt-14-dev \
		     libbsd0 libselinux1 libgnutls30 libnftables1 \
		     libprotobuf-c1 libnl-3-200 libnet1 libuuid1 nftables redis-server ;;
	kernel)	echo build-essential linux-source-6.12 flex bison bc libelf-dev \
		     libssl-dev cpio xz-utils rsync kmod ;;
	vm)	echo qemu-system-x86 ;;
	bench)	echo redis-server redis-tools
		[ -z "${BENCH_PERF:-}" ] || echo linux-perf ;;
	*)	echo "deps: unknown group '$1' (build fuse test kernel vm bench)" >&2
		return 1 ;;
	esac
}

[ $# -gt 0 ] || { echo "usage: scripts/deps.sh GROUP..." >&2; exit 2; }
pkgs=
for g in "$@"; do
	pkgs="$pkgs $(group_pkgs "$g")" || exit 2
done

missing=
for p in $pkgs; do
	case " $missing " in *" $p "*) continue ;; esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing:$missing; as root: apt-get install --no-install-recommends$missing" >&2
	exit 1
fi
echo "deps ($*): installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt_get() {
	apt-get -o DPkg::Lock::Timeout=600 "$@"
}
# apt-get update takes the lists lock, which DPkg::Lock::Timeout does not
# cover: while another apt holds it, try again every 5 s for 10 minutes.
apt_update() {
	tries=0
	while ! err=$(apt_get update -qq 2>&1 >/dev/null); do
		case $err in
		*"Could not get lock"*) [ $((tries += 1)) -lt 120 ] && sleep 5 && continue ;;
		esac
		echo "$err" >&2
		return 1
	done
	[ -z "$err" ] || echo "$err" >&2
}
apt_update
# shellcheck disable=SC2086
apt_get install -y -qq --no-install-recommends $missing
