// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-seccomp: three seccomp filters, attached without no_new_privs (as
 * root): the oldest makes getpgid() fail with EAGAIN, the next (with
 * SECCOMP_FILTER_FLAG_LOG) with EINVAL, which wins as the newer of two
 * equal actions; the newest makes munmap(), mprotect(), prctl() and
 * capset() fail with EPERM: the calls a checkpoint and a restore inject
 * themselves.  Between them a filter of BIG instructions that allows all
 * (larger than the restore's scratch area).  After the restore the
 * filters act the same, in the same order.
 */
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "zdtm.h"

#define NR_OFF		offsetof(struct seccomp_data, nr)
#define BIG		3000
#define DENY(nr, err)							\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),		\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err))

/* Attach @n instructions of @insns with @flags. */
static void attach(struct sock_filter *insns, unsigned short n,
		   unsigned int flags)
{
	struct sock_fprog prog = { n, insns };

	zdtm_check(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog),
		   "seccomp");
}

/* What the filters make of the calls; 0 when all is as attached. */
static const char *check(void)
{
	static char why[256];
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return "mmap failed";
	errno = 0;
	if (syscall(SYS_getpgid, 0) != -1 || errno != EINVAL) {
		snprintf(why, sizeof(why), "getpgid: errno %d, want EINVAL "
			 "(the newer filter first)", errno);
		return why;
	}
	if (munmap(p, 4096) != -1 || errno != EPERM)
		return "munmap is not denied";
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != -1 || errno != EPERM)
		return "prctl is not denied";
	if (getppid() <= 0)
		return "getppid is denied";
	return NULL;
}

int main(int argc, char **argv)
{
	struct sock_filter old[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
		DENY(SYS_getpgid, EAGAIN),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter mid[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
		DENY(SYS_getpgid, EINVAL),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter deny[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
		DENY(SYS_munmap, EPERM),
		DENY(SYS_mprotect, EPERM),
		DENY(SYS_prctl, EPERM),
		DENY(SYS_capset, EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	static struct sock_filter big[BIG];
	const char *why;

	zdtm_init(argc, argv);
	big[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF);
	for (int i = 1; i < BIG - 1; i++)
		big[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      0xfff00000U + i, 0, 0);
	big[BIG - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						    SECCOMP_RET_ALLOW);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0))
		zdtm_fail("no_new_privs is set already");
	attach(old, sizeof(old) / sizeof(old[0]), 0);
	attach(mid, sizeof(mid) / sizeof(mid[0]), SECCOMP_FILTER_FLAG_LOG);
	attach(big, BIG, 0);
	attach(deny, sizeof(deny) / sizeof(deny[0]), 0);
	why = check();
	if (why)
		zdtm_fail("before the checkpoint: %s", why);
	zdtm_ready();
	zdtm_wait();
	why = check();
	if (why)
		zdtm_fail("%s", why);
	zdtm_pass();
}
