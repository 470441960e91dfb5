// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * x86-64: what PTRACE_SETREGS and PTRACE_SETREGSET(NT_X86_XSTATE) refuse
 * on their own, checked on the image before a process exists (img-check.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "arch.h"

/* The XSAVE area: legacy region, then the header (xstate_bv, xcomp_bv). */
#define CR_FXSAVE_SIZE		512
#define CR_XSAVE_HDR_SIZE	64
#define CR_MXCSR_OFF		24
/* x87, SSE and AVX state: the kernel checks MXCSR when one is in use. */
#define CR_XFEATURE_MXCSR	0x7ULL

#define CR_REG(name)	(offsetof(struct user_regs_struct, name) / 8)

/* The segment registers, as the kernel's set_segment_reg() checks them. */
static const struct {
	const char	*name;
	unsigned int	idx;
	bool		nonzero;	/* cs and ss cannot be null */
} cr_segs[] = {
	{ "cs", CR_REG(cs), true }, { "ss", CR_REG(ss), true },
	{ "ds", CR_REG(ds), false }, { "es", CR_REG(es), false },
	{ "fs", CR_REG(fs), false }, { "gs", CR_REG(gs), false },
};

/* The XSAVE header (or the FXSAVE area alone), as copy_uabi_to_xstate(). */
static int cr_check_xsave(uint32_t pid, const unsigned char *x, uint32_t size,
			  uint64_t xfeatures, struct cr_err *e)
{
	uint64_t bv = CR_XFEATURE_MXCSR, comp;
	uint32_t mxcsr;

	if (size < CR_FXSAVE_SIZE || (xfeatures && size < CR_FXSAVE_SIZE +
				      CR_XSAVE_HDR_SIZE))
		return cr_fail(e, EBADMSG, "pid %u: XSTATE of %u bytes is too "
			       "small", pid, size);
	if (xfeatures) {
		memcpy(&bv, x + CR_FXSAVE_SIZE, sizeof(bv));
		memcpy(&comp, x + CR_FXSAVE_SIZE + 8, sizeof(comp));
		if (bv & ~xfeatures)
			return cr_fail(e, EBADMSG, "pid %u: XSTATE holds "
				       "features 0x%" PRIx64 ", the image's "
				       "xfeatures are 0x%" PRIx64, pid, bv,
				       xfeatures);
		if (comp)
			return cr_fail(e, EBADMSG, "pid %u: XSTATE is in the "
				       "compacted format (xcomp_bv 0x%" PRIx64
				       ")", pid, comp);
		for (int i = 16; i < CR_XSAVE_HDR_SIZE; i++)
			if (x[CR_FXSAVE_SIZE + i])
				return cr_fail(e, EBADMSG, "pid %u: XSTATE "
					       "header: reserved byte %d is "
					       "not zero", pid, i);
	}
	memcpy(&mxcsr, x + CR_MXCSR_OFF, sizeof(mxcsr));
	if ((bv & CR_XFEATURE_MXCSR) && (mxcsr >> 16))
		return cr_fail(e, EBADMSG, "pid %u: XSTATE: MXCSR 0x%x sets "
			       "reserved bits", pid, mxcsr);
	return 0;
}

int cr_arch_check_regs(uint32_t pid, const struct crfs_x86_regs *regs,
		       const void *xstate, uint32_t xstate_size,
		       uint64_t xfeatures, struct cr_err *e)
{
	const __u64 *r = regs->r;

	for (size_t i = 0; i < sizeof(cr_segs) / sizeof(cr_segs[0]); i++) {
		uint64_t v = r[cr_segs[i].idx];

		if (v > 0xffff || (v && (v & 3) != 3) ||
		    (!v && cr_segs[i].nonzero))
			return cr_fail(e, EBADMSG, "pid %u: register %s is "
				       "0x%" PRIx64 ", not a user selector",
				       pid, cr_segs[i].name, v);
	}
	if (r[CR_REG(fs_base)] >= CR_TASK_SIZE ||
	    r[CR_REG(gs_base)] >= CR_TASK_SIZE)
		return cr_fail(e, EBADMSG, "pid %u: fs_base 0x%" PRIx64
			       " or gs_base 0x%" PRIx64 " is not a user "
			       "address", pid, (uint64_t)r[CR_REG(fs_base)],
			       (uint64_t)r[CR_REG(gs_base)]);
	return cr_check_xsave(pid, xstate, xstate_size, xfeatures, e);
}
