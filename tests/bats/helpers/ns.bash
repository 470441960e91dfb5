# Helpers of the namespace view tests: the kernel's mount -t nsfs
# (tests/bats/kernel-ns) and crfs-fuse's ns/ mirror (tests/bats/fuse).
# The view is at $NSV.  NS_LIST_WAIT: how long a new namespace may take to
# be listed (0: at once, as the kernel does; crfs-fuse rescans /proc).

NS_LIST_WAIT=${NS_LIST_WAIT:-0}

# ns_teardown: undo what a test pinned or moved.
ns_teardown() {
	local m

	for m in "$BATS_TEST_TMPDIR"/pin.*; do
		[[ -e $m ]] && umount "$m" 2>/dev/null
	done
	if [[ -n ${VETH:-} ]]; then
		ip link del "$VETH" 2>/dev/null || true
	fi
	crfs_teardown
}

# ns_inum PATH: the inode number of the namespace PATH opens to.
ns_inum() {
	stat -L -c %i "$1"
}

# ns_differs PID FILE TYPE: /proc/PID/ns/FILE is not our TYPE namespace.
ns_differs() {
	local id

	id=$(ns_inum "/proc/$1/ns/$2" 2>/dev/null) || return 1
	[[ $id != "$(ns_inum "/proc/self/ns/$3")" ]]
}

# ns_wait_new PID FILE TYPE: wait until PID unshared it; sets NS_ID.
ns_wait_new() {
	wait_for "pid $1 to unshare $2" 10 ns_differs "$1" "$2" "$3" || return 1
	NS_ID=$(ns_inum "/proc/$1/ns/$2")
	if ((NS_LIST_WAIT)); then
		wait_for "$3/$NS_ID to be listed" "$NS_LIST_WAIT" \
			ns_listed "$3" "$NS_ID"
	else
		ns_listed "$3" "$NS_ID" || fail "$3/$NS_ID is not listed at once"
	fi
}

ns_listed() {
	[[ -d $NSV/$1/$2 ]]
}

ns_unlisted() {
	[[ ! -e $NSV/$1/$2 ]]
}

# The poller: open events, say "armed <content>", poll for PRI or IN,
# then say "woke <content>", or "timeout".
NS_POLL_PY='
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print("armed", os.pread(fd, 64, 0).decode().strip(), flush=True)
p = select.poll()
p.register(fd, select.POLLPRI | select.POLLIN)
if not p.poll(int(sys.argv[2]) * 1000):
    print("timeout", flush=True)
    sys.exit(1)
print("woke", os.pread(fd, 64, 0).decode().strip(), flush=True)
'

# ns_poll_start EVENTS OUT: start the poller in the background, wait armed.
ns_poll_start() {
	(crfs_close_fds; exec python3 -c "$NS_POLL_PY" "$1" 30) \
		</dev/null >"$2" 2>&1 3>&- &
	disown $! 2>/dev/null || true
	wait_for "the poller to open $1" 10 grep -q '^armed' "$2"
}
