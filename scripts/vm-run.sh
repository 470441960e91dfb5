#!/bin/bash
# Boot the crfs test kernel under qemu (TCG) and run one command in it.
#
#   scripts/vm-run.sh [options] [--] [COMMAND [ARG...]]
#
#   -c TEXT      run TEXT with bash instead of COMMAND
#   -f FILE      run the bash script FILE instead of COMMAND
#   -k BZIMAGE   kernel to boot              (default $KDIR/bzImage, KDIR being
#                $CRFS_KDIR or $BUILD/kernel; results and console go there too)
#   -t SECONDS   limit for the whole run     (default 900, or $VM_TIMEOUT)
#   -m SIZE      guest memory                (default 2G)
#   -s CPUS      guest cpus                  (default 2)
#   -i           interactive: a shell on this terminal, nothing checked
#   -v           copy the console to stderr while it runs
#
# The default command is the smoke suite, `bats --tap tests/vm-smoke`.  It runs
# from the repository top, in the guest, on the host root shared read-only
# (tmpfs on /tmp, /run, /root, ...), with BUILD, CRFS_VM=1, CRFS_VM_RESULTS and
# every CRFS_* variable of this environment exported.  $BUILD/kernel/results is
# shared writable: the guest writes the command's output, stderr and status
# there.  The console is kept in $BUILD/kernel/console.log.
#
# Prints the command's output (TAP), then "# vm:" lines about the run on stderr.
# When the run timed out, left no status, or the console shows a kernel oops,
# BUG, WARNING or panic, one more "not ok" line names the trouble.  Exit status:
# 0 when the command succeeded and the kernel stayed clean, 1 otherwise, 2 when
# there is nothing to boot.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
# CRFS_KDIR: another kernel directory (make test-kernel-debug's)
KDIR=${CRFS_KDIR:-$BUILD/kernel}
case $KDIR in /*) ;; *) KDIR=$top/$KDIR ;; esac
RES=$KDIR/results
CONSOLE=$KDIR/console.log
kernel=$KDIR/bzImage
limit=${VM_TIMEOUT:-900}
mem=2G
cpus=2
interactive=0
verbose=0
script=

usage() {
	sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"
	exit "$1"
}

while getopts "c:f:k:t:m:s:ivh" opt; do
	case $opt in
	c) script=$OPTARG ;;
	f) script=$(cat "$OPTARG") || exit 2 ;;
	k) kernel=$OPTARG ;;
	t) limit=$OPTARG ;;
	m) mem=$OPTARG ;;
	s) cpus=$OPTARG ;;
	i) interactive=1 ;;
	v) verbose=1 ;;
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done
shift $((OPTIND - 1))

if [ ! -r "$kernel" ]; then
	echo "vm-run: $kernel: no kernel, run make kernel BUILD=$BUILD" >&2
	exit 2
fi
mkdir -p "$KDIR"
exec 9>"$KDIR/vm.lock"
if ! flock -n 9; then
	echo "vm-run: another run uses $KDIR" >&2
	exit 2
fi

# The command file the guest's init runs.
rm -rf "$RES"
mkdir -p "$RES"
if [ $interactive = 0 ]; then
	{
		echo "# written by scripts/vm-run.sh"
		printf 'export BUILD=%q CRFS_VM=1 CRFS_VM_RESULTS=/run/vm-results\n' "$BUILD"
		while IFS='=' read -r name _; do
			printf 'export %s=%q\n' "$name" "${!name}"
		done < <(env | grep -E '^CRFS_[A-Za-z0-9_]*=' | grep -v '^CRFS_VM')
		if [ -n "$script" ]; then
			printf '%s\n' "$script"
		elif [ $# -gt 0 ]; then
			printf 'exec'
			printf ' %q' "$@"
			echo
		else
			echo 'exec bats --tap tests/vm-smoke'
		fi
	} >"$RES/cmd"
fi

# The host root read-only with a page cache (nothing writes it while the
# guest runs), the results share writable and uncached.  TCG, since KVM hangs
# on this host; -cpu max gives the guest XSAVE and AVX like the host (qemu64
# has no XSAVE) and costs nothing.
append="console=ttyS0 root=/dev/root rootfstype=9p ro"
append+=" rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose"
append+=" init=$top/scripts/vm-init.sh panic=-1 crfs_expose=$top:$BUILD"
# shellcheck disable=SC2054 # qemu options are comma lists
qemu=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m "$mem" -smp "$cpus"
	-nodefaults -no-reboot -display none
	-kernel "$kernel" -append "$append"
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
	-fsdev local,id=results,path="$RES",security_model=none,multidevs=remap
	-device virtio-9p-pci,fsdev=results,mount_tag=results
	-device virtio-rng-pci)

if [ $interactive = 1 ]; then
	exec "${qemu[@]}" -chardev stdio,id=con,mux=on,signal=off,logfile="$CONSOLE" \
		-serial chardev:con -mon chardev=con 9>&-
fi

t0=$(date +%s.%N)
: >"$CONSOLE"
timeout --kill-after=10 "$limit" "${qemu[@]}" -serial file:"$CONSOLE" -monitor none \
	</dev/null >"$KDIR/qemu.log" 2>&1 9>&- &
qpid=$!
if [ $verbose = 1 ]; then
	tail -n +1 -f --pid=$qpid "$CONSOLE" >&2 9>&- &
fi
wait $qpid
rc=$?
t1=$(date +%s.%N)

# What went wrong, if anything, in the order a reader would look.
problems=()
case $rc in
0) ;;
124 | 137) problems+=("timed out after ${limit}s") ;;
*) problems+=("qemu exited with $rc: $(tail -n 3 "$KDIR/qemu.log" | tr '\n' ' ')") ;;
esac
# A user process's fault ("traps: COMM[PID] general protection fault ...",
# as a probe of int $0x80 without IA32 emulation makes) is not the kernel's.
oops=$(grep -v '^vm-init: ' "$CONSOLE" |
	grep -v -E '^\[ *[0-9.]+\] traps: [^ ]+\[[0-9]+\] ' | grep -m1 -E \
	'Kernel panic|kernel BUG at|BUG: |Oops|WARNING: |general protection fault|Call Trace:|INFO: task .* blocked for more|detected stall|UBSAN:|KASAN:|list_(add|del) corruption')
[ -n "$oops" ] && problems+=("kernel trouble on the console: $oops")
status=$(cat "$RES/status" 2>/dev/null)
[ -z "$status" ] && problems+=("no status in $RES: the command did not finish")

[ -r "$RES/output" ] && cat "$RES/output"
if [ ${#problems[@]} -gt 0 ]; then
	# Number the extra failures after the last test seen or planned.
	n=$(grep -oE '^(not )?ok [0-9]+|^1\.\.[0-9]+' "$RES/output" 2>/dev/null |
		grep -oE '[0-9]+$' | sort -n | tail -n 1)
	n=${n:-0}
	for p in "${problems[@]}"; do
		n=$((n + 1))
		echo "not ok $n vm: $p"
	done
fi

{
	if [ -s "$RES/stderr" ]; then
		echo "# vm: stderr of the command:"
		sed 's/^/#   /' "$RES/stderr"
	fi
	init=$(grep -m1 -oE 'vm-init: started at [0-9.]+s' "$CONSOLE" | grep -oE '[0-9.]+s$')
	ran=$(grep -m1 -oE 'command exited with [0-9]+ after [0-9.]+s' "$CONSOLE" |
		grep -oE '[0-9.]+s$')
	echo "# vm: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s in qemu" \
		"(init started at ${init:-?} of guest time, command ran ${ran:-?}), status ${status:-none}," \
		"console: $CONSOLE"
} >&2

[ ${#problems[@]} -eq 0 ] && [ "$status" = 0 ]
