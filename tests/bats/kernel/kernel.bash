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
