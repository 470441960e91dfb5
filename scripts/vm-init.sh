#!/bin/bash
# PID 1 of the crfs test VM: scripts/vm-run.sh boots the kernel with
# init=<this file> on the host root, shared read-only over 9p.
#
# Mounts the pseudo filesystems and writable tmpfs where programs write, mounts
# the results share (9p tag "results") on $RESULTS, runs $RESULTS/cmd with bash
# from the repository top, stores its stdout in $RESULTS/output, its stderr in
# $RESULTS/stderr and its exit status in $RESULTS/status, then reboots, which
# ends qemu (-no-reboot).  Without a command file it runs an interactive shell
# on the console.
#
# As PID 1, bash reaps every orphan as soon as it dies: it waits with
# waitpid(-1) for the command it runs.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=${TERM:-linux}
RESULTS=/run/vm-results
top=$(cd "$(dirname "$0")/.." && pwd)

log() { echo "vm-init: $*" >/dev/console; }

# Guest seconds since boot, without a process (each exec costs ~0.1 s in TCG).
uptime_s() {
	local up _
	read -r up _ </proc/uptime
	echo "$up"
}

# Reboot now: qemu -no-reboot turns that into an exit.  systemd's reboot
# needs no manager with -ff; perl's syscall and sysrq are the fallbacks.
vm_reboot() {
	sync
	umount "$RESULTS" 2>/dev/null
	reboot -ff 2>/dev/null
	perl -e 'syscall(169, 0xfee1dead, 672274793, 0x01234567)' 2>/dev/null
	echo b >/proc/sysrq-trigger
	sleep 3600
}

# mnt TYPE DIR [OPTIONS]: mount, creating DIR; say so on failure.
mnt() {
	[ -d "$2" ] || mkdir -p "$2"
	mount -t "$1" ${3:+-o "$3"} "$1" "$2" || log "cannot mount $1 on $2"
}

mnt proc /proc nosuid,nodev,noexec
mnt sysfs /sys nosuid,nodev,noexec
mnt devtmpfs /dev mode=0755,nosuid
exec </dev/console >/dev/console 2>&1
log "started at $(uptime_s)s, kernel $(</proc/sys/kernel/osrelease)"

mnt devpts /dev/pts nosuid,noexec,mode=0620,ptmxmode=0666
mnt tmpfs /dev/shm nosuid,nodev,mode=1777
mnt mqueue /dev/mqueue nosuid,nodev,noexec
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr

# cgroup v2 with its controllers on for children, as on a systemd host.
mnt cgroup2 /sys/fs/cgroup nsdelegate
for c in $(</sys/fs/cgroup/cgroup.controllers); do
	echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || log "cannot enable $c"
done

# The host root is read-only: tmpfs wherever programs expect to write.  The
# host paths in $crfs_expose (kernel command line, colon-separated: the repo
# and $BUILD) stay visible when under one of them, through a bind mount of the
# bare root taken first.
mkdir -p /dev/.host && mount --bind / /dev/.host
for d in /tmp /var/tmp; do
	mnt tmpfs "$d" mode=1777,nosuid,nodev
done
for d in /run /root /mnt /var/log /var/cache /var/lib; do
	mnt tmpfs "$d" mode=0755,nosuid,nodev
done
IFS=: read -ra expose <<<"${crfs_expose:-}"
for p in "${expose[@]}"; do
	if [ -d "/dev/.host$p" ] && [ ! "$p" -ef "/dev/.host$p" ]; then
		mkdir -p "$p"
		mount --bind "/dev/.host$p" "$p" || log "cannot expose $p"
	fi
done
umount /dev/.host && rmdir /dev/.host
mkdir -p /run/lock /run/mount /run/netns /run/user
chmod 1777 /run/lock

echo crfs-vm >/proc/sys/kernel/hostname
ip link set lo up 2>/dev/null || log "cannot bring lo up"

mkdir -p "$RESULTS"
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results "$RESULTS" 2>/dev/null ||
   [ ! -r "$RESULTS/cmd" ]; then
	log "no $RESULTS/cmd: interactive shell, exit to reboot"
	cd "$top" && setsid -c bash -l
	vm_reboot
fi

t0=$(uptime_s)
log "running $RESULTS/cmd in $top at ${t0}s"
(cd "$top" && exec bash "$RESULTS/cmd" </dev/null >"$RESULTS/output" 2>"$RESULTS/stderr")
status=$?
echo "$status" >"$RESULTS/status"
log "command exited with $status after $(awk -v a="$t0" -v b="$(uptime_s)" \
	'BEGIN { printf "%.1f", b - a }')s"
vm_reboot
