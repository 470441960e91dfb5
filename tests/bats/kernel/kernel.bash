# shellcheck shell=bash
#
# Helpers of the kernel-only tests: load after ../helpers/common.

# Is DIR a mount of the kernel crfs?
crfs_is_kernel_mount() {
	awk -v m="$1" '$5 == m { for (i = 6; i <= NF; i++) if ($i == "-") {
		if ($(i + 1) == "crfs") found = 1; break } }
		END { exit !found }' /proc/self/mountinfo
}

# require_kernel: skip unless $CRFS_MNT is the kernel filesystem.
require_kernel() {
	crfs_is_kernel_mount "$CRFS_MNT" ||
		skip "kernel-only test: $CRFS_MNT is not a kernel crfs mount (set CRFS_ROOT)"
}

# The cgroup2 mount point.
cgroup2_root() {
	awk '{ for (i = 6; i <= NF; i++) if ($i == "-") {
		if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo
}

# pid_cgroup PID: the cgroup directory of PID.
pid_cgroup() {
	echo "$(cgroup2_root)$(sed -n 's/^0:://p' "/proc/$1/cgroup")"
}

# nprocs CT: how many processes CT lists.
nprocs() {
	wc -l <"$CRFS_MNT/$1/procs"
}

# has_nprocs CT N
has_nprocs() {
	(($(nprocs "$1") == $2))
}

# all_in_freezer CT: every process of CT waits in the cgroup freezer
# (do_freezer_trap(), which the compiler may inline into get_signal()).
all_in_freezer() {
	local pid w

	for pid in $(cat "$CRFS_MNT/$1/procs"); do
		w=$(cat "/proc/$pid/wchan" 2>/dev/null) || continue
		[[ $w == do_freezer_trap || $w == get_signal ]] || {
			echo "pid $pid waits in '$w', not in the freezer" >&2
			return 1
		}
	done
}

# fuse_mount DIR: crfs-fuse on DIR, its cgroup subtree in a cgroup of its
# own (FUSE_CG), away from the kernel crfs's crfs-N (a starting crfs-fuse
# prunes the crfs-* subtrees of its cgroup directory).  Sets FUSE_PID.
fuse_mount() {
	local mnt=$1 log=$BATS_TEST_TMPDIR/crfs-fuse.log i

	FUSE_CG=$(cgroup2_root)/kck-fuse.$$.$RANDOM
	mkdir "$FUSE_CG" "$mnt"
	(crfs_close_fds; exec "$CRFS_BIN/crfs-fuse" -f -o "cgroup=$FUSE_CG" "$mnt") \
		</dev/null >"$log" 2>&1 3>&- &
	FUSE_PID=$!
	disown "$FUSE_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		crfs_is_mounted "$mnt" && return 0
		crfs_alive "$FUSE_PID" || break
		sleep 0.1
	done
	cat "$log" >&2
	return 1
}

# fuse_umount: kill every container of $FUSE_MNT, unmount it, remove
# $FUSE_CG (a teardown's).
fuse_umount() {
	local d

	[[ -n ${FUSE_MNT:-} ]] || return 0
	for d in "$FUSE_MNT"/*/; do
		[[ -f $d/state ]] && echo kill >"$d/state" 2>/dev/null
	done
	crfs_umount_fuse "$FUSE_MNT" "$FUSE_PID" || true
	rmdir "$FUSE_CG" 2>/dev/null || true
}

# ns_ids CT: "pid ppid pgid sid" of each process of CT as its own pid
# namespace sees them ("-": a parent outside it), sorted, pid 1's group
# and session "R" and "S" wherever they appear (outside the namespace,
# 0, before a checkpoint; after a restore pid 1's own, as in the host's
# namespace): what a restore in a new one must give back.
ns_ids() {
	python3 - "$CRFS_MNT/$1/procs" <<'PY'
import sys
def status(p):
    d = {}
    for line in open("/proc/%s/status" % p):
        k, _, v = line.partition(":")
        d[k] = v.split()
    return d
pids = open(sys.argv[1]).read().split()
inner = {p: status(p) for p in pids}
rows = []
for p, st in inner.items():
    pp = st["PPid"][0]
    ppid = inner[pp]["NSpid"][-1] if pp in inner else "-"
    rows.append((int(st["NSpid"][-1]), ppid, st["NSpgid"][-1], st["NSsid"][-1]))
rows.sort()
rpg, rsid = rows[0][2], rows[0][3]
for pid, ppid, pg, sid in rows:
    print(pid, ppid, "R" if pg == rpg else pg, "S" if sid == rsid else sid)
PY
}
