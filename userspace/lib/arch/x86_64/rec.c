// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The x86-64 records of a thread (rows of rec.c): X86_REGS, its
 * struct user_regs_struct, and X86_XSTATE, its XSAVE area.  They follow
 * the thread's THREAD record (and its pending signals), in this order.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

/* struct user_regs_struct of x86-64, in order. */
static const char *const cr_reg_names[CRFS_X86_64_NR_REGS] = {
	"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
	"rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags",
	"rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
};

#define CR_REG_RIP	16
#define CR_REG_RSP	19
/* xstate_bv: the first word of the XSAVE header, after the legacy area. */
#define CR_XSTATE_BV	512

void cr_arch_thread_free(struct cr_arch_thread *a)
{
	free(a->xstate);
	a->xstate = NULL;
}

const char *cr_arch_thread_missing(const struct cr_arch_thread *a,
				   uint64_t features)
{
	if (!a->have_regs)
		return "x86_regs";
	if ((features & CRFS_FEAT_XSTATE) && !a->xstate)
		return "x86_xstate";
	return NULL;
}

/* The thread whose arch record @tid is, or NULL with @e set. */
static struct cr_thread *cr_arch_thread_of(struct cr_rd *rd, uint32_t tid,
					   struct cr_err *e)
{
	if (!rd->thread) {
		cr_rd_fail(rd, e, "not in the records of a thread");
		return NULL;
	}
	if (tid != rd->thread->t.tid) {
		cr_rd_fail(rd, e, "thread %u in the records of thread %u", tid,
			   rd->thread->t.tid);
		return NULL;
	}
	return rd->thread;
}

int cr_x86_regs_read(struct cr_rd *rd, const void *p, uint64_t len,
		     struct cr_err *e)
{
	struct crfs_x86_regs r;
	struct cr_thread *th;

	(void)len;
	memcpy(&r, p, sizeof(r));
	th = cr_arch_thread_of(rd, r.tid, e);
	if (!th)
		return -e->err;
	if (r.__pad)
		return cr_rd_fail(rd, e, "padding not zero");
	if (th->arch.have_regs)
		return cr_rd_fail(rd, e, "a second x86_regs of thread %u",
				  r.tid);
	th->arch.regs = r;
	th->arch.have_regs = true;
	return 0;
}

int cr_x86_regs_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	const struct cr_thread *th = obj;
	struct crfs_x86_regs r = th->arch.regs;

	r.tid = th->t.tid;
	r.__pad = 0;
	return cr_rec_put(img, CRFS_REC_X86_REGS, e, 1,
			  &(struct iovec){ &r, sizeof(r) });
}

void cr_x86_regs_print(struct cr_emit *o, const void *obj)
{
	const struct cr_thread *th = obj;
	const __u64 *r = th->arch.regs.r;

	o->ops->open(o, "regs", false);
	for (int i = 0; i < CRFS_X86_64_NR_REGS; i++)
		if (o->detail || i == CR_REG_RIP || i == CR_REG_RSP)
			o->ops->hex(o, cr_reg_names[i], r[i]);
	o->ops->close(o, false);
}

/* The registers and XSAVE area the kernel would load (check.c). */
int cr_x86_regs_check(const struct cr_chk *c, const void *obj,
		      struct cr_err *e)
{
	const struct cr_thread *th = obj;

	return cr_arch_check_regs(th->t.tid, &th->arch.regs, th->arch.xstate,
				  th->arch.xstate_size, c->h->xfeatures, e);
}

int cr_x86_xstate_read(struct cr_rd *rd, const void *p, uint64_t len,
		       struct cr_err *e)
{
	static const char zero[8];
	const char *x = (const char *)p + sizeof(struct crfs_x86_xstate);
	struct crfs_x86_xstate xs;
	struct cr_thread *th;

	memcpy(&xs, p, sizeof(xs));
	th = cr_arch_thread_of(rd, xs.tid, e);
	if (!th)
		return -e->err;
	if (!(rd->h->features & CRFS_FEAT_XSTATE))
		return cr_rd_fail(rd, e, "an XSAVE area in an image without "
				  "the XSTATE feature");
	if (xs.size != rd->h->xstate_size)
		return cr_rd_fail(rd, e, "XSTATE of thread %u is %u bytes, the "
				  "header says %u", xs.tid, xs.size,
				  rd->h->xstate_size);
	if (len != sizeof(xs) + cr_pad8(xs.size) ||
	    memcmp(x + xs.size, zero, len - sizeof(xs) - xs.size))
		return cr_rd_fail(rd, e, "length %" PRIu64 " does not hold %u "
				  "bytes padded with zeros", len, xs.size);
	if (th->arch.xstate)
		return cr_rd_fail(rd, e, "a second x86_xstate of thread %u",
				  xs.tid);
	th->arch.xstate = malloc(xs.size ? xs.size : 1);
	if (!th->arch.xstate)
		return cr_fail(e, ENOMEM, "%s: out of memory", rd->where);
	memcpy(th->arch.xstate, x, xs.size);
	th->arch.xstate_size = xs.size;
	return 0;
}

int cr_x86_xstate_write(struct cr_img *img, const void *obj, struct cr_err *e)
{
	const struct cr_thread *th = obj;
	struct crfs_x86_xstate xs = { th->t.tid, th->arch.xstate_size };
	struct iovec v[2] = {
		{ &xs, sizeof(xs) },
		{ th->arch.xstate, th->arch.xstate_size },
	};

	return cr_rec_put(img, CRFS_REC_X86_XSTATE, e, 2, v);
}

void cr_x86_xstate_print(struct cr_emit *o, const void *obj)
{
	const struct cr_thread *th = obj;
	uint64_t bv;

	o->ops->open(o, "xstate", false);
	o->ops->u64(o, "size", th->arch.xstate_size);
	if (th->arch.xstate_size >= CR_XSTATE_BV + sizeof(bv)) {
		memcpy(&bv, (const char *)th->arch.xstate + CR_XSTATE_BV,
		       sizeof(bv));
		o->ops->hex(o, "xstate_bv", bv);
	}
	o->ops->close(o, false);
}

/* Checked with the registers (cr_x86_regs_check()). */
int cr_x86_xstate_check(const struct cr_chk *c, const void *obj,
			struct cr_err *e)
{
	(void)c;
	(void)obj;
	(void)e;
	return 0;
}
