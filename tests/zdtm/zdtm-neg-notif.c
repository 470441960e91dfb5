// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-notif: a seccomp filter that returns SECCOMP_RET_USER_NOTIF
 * for getpgid() (no listener: the call fails with ENOSYS).  A restore
 * cannot bring back who would listen: the checkpoint must refuse it.
 */
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpgid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(insns) / sizeof(insns[0]), insns };

	zdtm_init(argc, argv);
	zdtm_check(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog),
		   "seccomp");
	zdtm_ready();
	zdtm_wait();
	if (syscall(SYS_getpgid, 0) != -1 || errno != ENOSYS)
		zdtm_fail("getpgid is not answered ENOSYS");
	zdtm_pass();
}
