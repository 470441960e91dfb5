// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-procstate: per-process state that /proc shows little of: a name
 * with a newline in it (PR_SET_NAME), the I/O priority, coredump_filter,
 * membarrier() registrations, the signal owner (F_SETOWN, F_SETOWN_EX),
 * signal (F_SETSIG) and O_ASYNC of descriptions.  Each must come back as
 * it was.  NR_MANY more descriptions of /dev/null, more than one batch
 * of injected calls asks at a checkpoint, two of them far in the list
 * with an owner and a signal.
 */
#include <sys/prctl.h>
#include <linux/membarrier.h>

#include "zdtm.h"

#ifndef MEMBARRIER_CMD_GET_REGISTRATIONS
#define MEMBARRIER_CMD_GET_REGISTRATIONS	(1 << 9)
#endif
/* IOPRIO_CLASS_BE, level 7 */
#define IOPRIO_WANT	(2 << 13 | 7)
#define MB_WANT		(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | \
			 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED | \
			 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ)

#define NR_MANY		400

static char out[4096];
static int fa, fb, fr, many[NR_MANY];
static int bad;

#define NOTE(...) do {							\
	size_t l = strlen(out);						\
	snprintf(out + l, sizeof(out) - l, __VA_ARGS__);		\
} while (0)

/* Read /proc/self/@name whole into @b. */
static void rd(const char *name, char *b, size_t len)
{
	char p[64];
	int fd, n;

	snprintf(p, sizeof(p), "/proc/self/%s", name);
	fd = open(p, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, b, len - 1);
	b[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

/* Make the state. */
static void build(void)
{
	char p[4096];
	int fd;

	zdtm_check(prctl(PR_SET_NAME, "ab\ncd"), "PR_SET_NAME");
	zdtm_check(syscall(SYS_ioprio_set, 1, 0, IOPRIO_WANT), "ioprio_set");
	fd = open("/proc/self/coredump_filter", O_WRONLY);
	zdtm_check(fd < 0 || write(fd, "0x7f", 4) != 4, "coredump_filter");
	close(fd);
	for (int cmd = 1; cmd <= MB_WANT; cmd <<= 1)
		if (MB_WANT & cmd)
			zdtm_check(syscall(SYS_membarrier, cmd, 0, 0),
				   "membarrier register");
	zdtm_path(p, sizeof(p), "owned-a");
	fa = open(p, O_RDWR | O_CREAT, 0644);
	zdtm_path(p, sizeof(p), "owned-b");
	fb = open(p, O_RDWR | O_CREAT, 0644);
	zdtm_check(fa < 0 || fb < 0, "create");
	zdtm_check(fcntl(fa, F_SETOWN, getpid()), "F_SETOWN");
	zdtm_check(fcntl(fa, F_SETSIG, SIGUSR2), "F_SETSIG");
	/* O_ASYNC sticks only to files with a fasync method */
	fr = open("/dev/urandom", O_RDONLY);
	zdtm_check(fr < 0, "open /dev/urandom");
	zdtm_check(fcntl(fr, F_SETFL, fcntl(fr, F_GETFL) | O_ASYNC), "O_ASYNC");
	zdtm_check(fcntl(fb, F_SETOWN_EX, &(struct f_owner_ex){ F_OWNER_TID,
		   gettid() }), "F_SETOWN_EX");
	for (int i = 0; i < NR_MANY; i++) {
		many[i] = open("/dev/null", O_RDONLY);
		zdtm_check(many[i] < 0, "open /dev/null");
	}
	zdtm_check(fcntl(many[NR_MANY - 1], F_SETSIG, SIGUSR1), "F_SETSIG");
	zdtm_check(fcntl(many[NR_MANY / 2 + 7], F_SETOWN, getpid()),
		   "F_SETOWN");
}

/* Check the state, noting what differs. */
static void verify(void)
{
	char b[64];
	struct f_owner_ex o = { 0 };
	long r;

	rd("comm", b, sizeof(b));
	if (strcmp(b, "ab\ncd\n")) {
		bad++;
		NOTE("comm '%s', want 'ab\\ncd'\n", b);
	}
	r = syscall(SYS_ioprio_get, 1, 0);
	if (r != IOPRIO_WANT) {
		bad++;
		NOTE("ioprio %#lx, want %#x\n", r, IOPRIO_WANT);
	}
	rd("coredump_filter", b, sizeof(b));
	if (strtol(b, NULL, 16) != 0x7f) {
		bad++;
		NOTE("coredump_filter %s, want 0x7f\n", b);
	}
	r = syscall(SYS_membarrier, MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0);
	if (r != MB_WANT) {
		bad++;
		NOTE("membarrier registrations %#lx, want %#x\n", r, MB_WANT);
	}
	r = fcntl(fa, F_GETOWN);
	if (r != getpid()) {
		bad++;
		NOTE("F_GETOWN %ld, want %d\n", r, getpid());
	}
	r = fcntl(fa, F_GETSIG);
	if (r != SIGUSR2) {
		bad++;
		NOTE("F_GETSIG %ld, want %d\n", r, SIGUSR2);
	}
	if (!(fcntl(fr, F_GETFL) & O_ASYNC)) {
		bad++;
		NOTE("O_ASYNC is gone\n");
	}
	if (fcntl(fb, F_GETOWN_EX, &o) || o.type != F_OWNER_TID ||
	    o.pid != gettid()) {
		bad++;
		NOTE("F_GETOWN_EX type %d pid %d, want thread %d\n", o.type,
		     o.pid, gettid());
	}
	r = fcntl(fb, F_GETSIG);
	if (r) {
		bad++;
		NOTE("F_GETSIG of the second %ld, want 0\n", r);
	}
	for (int i = 0; i < NR_MANY; i++) {
		long sig = fcntl(many[i], F_GETSIG);
		long own = fcntl(many[i], F_GETOWN);
		long want_sig = i == NR_MANY - 1 ? SIGUSR1 : 0;
		long want_own = i == NR_MANY / 2 + 7 ? getpid() : 0;

		if (sig != want_sig || own != want_own) {
			bad++;
			NOTE("fd %d: F_GETSIG %ld F_GETOWN %ld, want %ld %ld\n",
			     many[i], sig, own, want_sig, want_own);
		}
	}
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0)) {
		bad++;
		NOTE("membarrier private expedited: %s\n", strerror(errno));
	}
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	build();
	verify();
	if (bad)
		zdtm_fail("before the checkpoint: %s", out);
	zdtm_ready();
	zdtm_wait();
	verify();
	if (bad)
		zdtm_fail("%d wrong after restore:\n%s", bad, out);
	zdtm_pass();
}
