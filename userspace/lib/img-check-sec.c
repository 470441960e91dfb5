// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The rules of img-check.c for a process's security state: its
 * capability sets and securebits (CREDS), its seccomp filters (SECCOMP).
 * A filter must be a program the kernel takes again (the checks of
 * seccomp_check_filter() and the shape bpf_check_classic() asks for), and
 * one whose outcome the restore can bring back: no user notification,
 * whose listener is outside the image.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "rec.h"

/* The securebits PR_SET_SECUREBITS takes (linux/securebits.h, 6.14+). */
#define CR_SECUREBITS_ALL	0xfffU
/* struct sock_filter: code, jt, jf, k in 8 bytes. */
#define CR_BPF_MEMWORDS		16
#define CR_SECCOMP_DATA_SIZE	64	/* sizeof(struct seccomp_data) */
#define CR_SECCOMP_PENALTY	4	/* instructions counted per filter */

#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF	0x7fc00000U
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG	(1UL << 1)
#endif

/* The opcodes seccomp_check_filter() lets through. */
static const uint16_t cr_bpf_ok[] = {
	BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_W | BPF_LEN,
	BPF_LDX | BPF_W | BPF_LEN,
	BPF_RET | BPF_K, BPF_RET | BPF_A,
	BPF_ALU | BPF_ADD | BPF_K, BPF_ALU | BPF_ADD | BPF_X,
	BPF_ALU | BPF_SUB | BPF_K, BPF_ALU | BPF_SUB | BPF_X,
	BPF_ALU | BPF_MUL | BPF_K, BPF_ALU | BPF_MUL | BPF_X,
	BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_DIV | BPF_X,
	BPF_ALU | BPF_AND | BPF_K, BPF_ALU | BPF_AND | BPF_X,
	BPF_ALU | BPF_OR | BPF_K, BPF_ALU | BPF_OR | BPF_X,
	BPF_ALU | BPF_XOR | BPF_K, BPF_ALU | BPF_XOR | BPF_X,
	BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_LSH | BPF_X,
	BPF_ALU | BPF_RSH | BPF_K, BPF_ALU | BPF_RSH | BPF_X,
	BPF_ALU | BPF_NEG,
	BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM, BPF_MISC | BPF_TAX,
	BPF_MISC | BPF_TXA, BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM,
	BPF_ST, BPF_STX,
	BPF_JMP | BPF_JA, BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JEQ | BPF_X,
	BPF_JMP | BPF_JGE | BPF_K, BPF_JMP | BPF_JGE | BPF_X,
	BPF_JMP | BPF_JGT | BPF_K, BPF_JMP | BPF_JGT | BPF_X,
	BPF_JMP | BPF_JSET | BPF_K, BPF_JMP | BPF_JSET | BPF_X,
};

/* Is @code one seccomp takes? */
static bool cr_bpf_code_ok(uint16_t code)
{
	for (size_t i = 0; i < sizeof(cr_bpf_ok) / sizeof(cr_bpf_ok[0]); i++)
		if (cr_bpf_ok[i] == code)
			return true;
	return false;
}

/*
 * Why instruction @pc of the @n of @f is wrong, or NULL; *@notif set
 * when it can end in a user notification (or in an action computed at
 * run time, which could be one).
 */
static const char *cr_bpf_why(const struct sock_filter *f, uint32_t pc,
			      uint32_t n, bool *notif)
{
	uint16_t code = f[pc].code;
	uint32_t k = f[pc].k;

	if (!cr_bpf_code_ok(code))
		return "an instruction seccomp does not take";
	switch (BPF_CLASS(code)) {
	case BPF_LD:
	case BPF_LDX:
		if (BPF_MODE(code) == BPF_ABS &&
		    (k >= CR_SECCOMP_DATA_SIZE || k & 3))
			return "a load outside struct seccomp_data";
		if (BPF_MODE(code) == BPF_MEM && k >= CR_BPF_MEMWORDS)
			return "a scratch memory word beyond 16";
		break;
	case BPF_ST:
	case BPF_STX:
		if (k >= CR_BPF_MEMWORDS)
			return "a scratch memory word beyond 16";
		break;
	case BPF_ALU:
		if (BPF_SRC(code) == BPF_K && !k &&
		    BPF_OP(code) == BPF_DIV)
			return "a division by zero";
		break;
	case BPF_JMP:
		if (BPF_OP(code) == BPF_JA ? k >= n - pc - 1 :
		    f[pc].jt >= n - pc - 1 || f[pc].jf >= n - pc - 1)
			return "a jump beyond the program";
		break;
	case BPF_RET:
		if (BPF_RVAL(code) == BPF_A ||
		    (k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF)
			*notif = true;
		break;
	}
	return NULL;
}

/* The thread of the task being checked whose filter @f is. */
static const struct cr_thread *cr_seccomp_thread(const struct cr_chk *c,
						 const struct cr_seccomp *f)
{
	for (uint32_t i = 0; c->task && i < c->task->nr_threads; i++)
		if (c->task->threads[i].t.tid == f->s.tid)
			return &c->task->threads[i];
	return NULL;
}

/* SECCOMP: a program the kernel takes, whose outcome comes back. */
int cr_seccomp_check(const struct cr_chk *c, const void *obj,
		     struct cr_err *e)
{
	const struct cr_seccomp *f = obj;
	const struct sock_filter *prog = (const void *)f->insns;
	const struct cr_thread *th = cr_seccomp_thread(c, f);
	uint32_t n = f->s.nr_insns, total = 0;
	const char *why = NULL;
	bool notif = false;

	if (!th)
		return cr_fail(e, EBADMSG, "thread %u: seccomp filter %u of "
			       "no thread", f->s.tid, f->s.index);
	if (th->t.flags & CRFS_THREAD_F_SECCOMP_STRICT)
		return cr_fail(e, EBADMSG, "thread %u: seccomp filters in "
			       "strict mode", f->s.tid);
	/* A restore installs filters in the leader, before its threads. */
	if (c->task->nr_threads > 1 || c->task->t.nr_threads > 1)
		return cr_fail(e, EOPNOTSUPP, "thread %u: seccomp filters in "
			       "a multi-threaded process: not restored",
			       f->s.tid);
	if (f->s.flags & ~(uint32_t)SECCOMP_FILTER_FLAG_LOG)
		return cr_fail(e, EBADMSG, "thread %u: seccomp filter %u: "
			       "flags 0x%x (only SECCOMP_FILTER_FLAG_LOG is "
			       "kept)", f->s.tid, f->s.index, f->s.flags);
	if (f->s.index == 0) {
		for (uint32_t i = 0; i < th->nr_seccomp; i++)
			total += th->seccomp[i].s.nr_insns + CR_SECCOMP_PENALTY;
		if (total > CRFS_MAX_SECCOMP_INSNS)
			return cr_fail(e, EBADMSG, "thread %u: %u seccomp "
				       "filters of %u instructions in all, "
				       "more than the kernel takes (%u)",
				       f->s.tid, th->nr_seccomp, total,
				       CRFS_MAX_SECCOMP_INSNS);
	}
	for (uint32_t pc = 0; !why && pc < n; pc++) {
		why = cr_bpf_why(prog, pc, n, &notif);
		if (why)
			return cr_fail(e, EBADMSG, "thread %u: seccomp filter "
				       "%u: instruction %u: %s", f->s.tid,
				       f->s.index, pc, why);
	}
	if (BPF_CLASS(prog[n - 1].code) != BPF_RET)
		return cr_fail(e, EBADMSG, "thread %u: seccomp filter %u "
			       "does not end with a return", f->s.tid,
			       f->s.index);
	if (notif)
		return cr_fail(e, EOPNOTSUPP, "thread %u: seccomp filter %u "
			       "may return SECCOMP_RET_USER_NOTIF (or an "
			       "action computed at run time): its listener "
			       "is outside the image, user notification "
			       "cannot be restored", f->s.tid, f->s.index);
	return 0;
}

/**
 * cr_creds_caps_why() - why the capability sets and securebits of @c
 * cannot be a process's, or NULL
 *
 * The kernel keeps effective within permitted and ambient within
 * permitted and inheritable; securebits are the ones PR_SET_SECUREBITS
 * takes.
 */
const char *cr_creds_caps_why(const struct crfs_creds *c)
{
	if (c->cap_eff & ~c->cap_prm)
		return "effective capabilities outside the permitted set";
	if (c->cap_amb & ~(c->cap_prm & c->cap_inh))
		return "ambient capabilities outside permitted and inheritable";
	if (c->securebits & ~CR_SECUREBITS_ALL)
		return "unknown securebits";
	return NULL;
}
