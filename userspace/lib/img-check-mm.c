// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What an image's memory must be (img-check.c has the whole list of
 * rules): address spaces and their layout fields, mappings sorted, inside
 * user space and of flags and advice a restore can give again, SHMEM
 * objects, and page data (PAGES) only inside the mappings and objects
 * that get it, each page once.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "img-walk.h"

#define CR_VMA_PROTS		(PROT_READ | PROT_WRITE | PROT_EXEC)
#define CR_VMA_FLAGS		(CRFS_VMA_F_SHARED | CRFS_VMA_F_GROWSDOWN | \
				 CRFS_VMA_F_LOCKED | CRFS_VMA_F_NORESERVE | \
				 CRFS_VMA_F_ACCOUNT | CRFS_VMA_F_LOCKONFAULT | \
				 CRFS_VMA_F_DROPPABLE | CRFS_VMA_F_MAYBE_GUARD | \
				 CRFS_VMA_F_SHM_RDONLY)

/* What MAP_DROPPABLE gives a mapping, which it cannot lose. */
#define CR_VMA_DROPPABLE_ADVICE	(CRFS_VMA_A_WIPEONFORK | CRFS_VMA_A_DONTDUMP)
#define CR_VMA_ADVICE		((CRFS_VMA_A_DONTEXPAND << 1) - 1)
#define CR_MM_FLAGS		(CRFS_MM_F_THP_DISABLE | CRFS_MM_F_MDWE | \
				 CRFS_MM_F_MDWE_NOINHERIT | \
				 CRFS_MM_F_THP_EXCEPT_ADVISED | \
				 CRFS_MM_F_KSM_ANY | CRFS_MM_F_MEMBARRIER_GLOBAL | \
				 CRFS_MM_F_MEMBARRIER | \
				 CRFS_MM_F_MEMBARRIER_SYNC_CORE | \
				 CRFS_MM_F_MEMBARRIER_RSEQ)

#define CR_AT_NULL		0

bool cr_img_vma_filled(const struct crfs_vma *v)
{
	switch (v->kind) {
	case CRFS_VMA_ANON:
	case CRFS_VMA_HEAP:
	case CRFS_VMA_STACK:
		return true;
	case CRFS_VMA_FILE:
		return !(v->flags & CRFS_VMA_F_SHARED);
	}
	return false;
}

/* Does [addr, addr + len) lie inside one mapping of @mm? */
bool cr_img_in_vma(const struct cr_mm *mm, uint64_t addr, uint64_t len)
{
	uint32_t i = cr_model_vma_find(mm, addr);

	return i < mm->nr_vmas && mm->vmas[i].v.start <= addr &&
	       len <= mm->vmas[i].v.end - addr;
}

/* SHMEM: a size of whole pages. */
int cr_shmem_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct crfs_shmem *s = &((const struct cr_shmem *)obj)->s;

	if (!s->size || s->size % c->h->page_size || s->size > CR_TASK_SIZE)
		return cr_fail(e, EBADMSG, "shmem %u: size %" PRIu64 " is not "
			       "a number of pages", s->id, (uint64_t)s->size);
	return 0;
}

/* MM: the PR_SET_MM_MAP rules, auxv up to AT_NULL, the executable. */
int cr_mm_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_mm *mmo = obj;
	const struct crfs_mm *mm = &mmo->m;
	const uint64_t f[] = { mm->start_code, mm->end_code, mm->start_data,
			       mm->end_data, mm->start_brk, mm->brk,
			       mm->start_stack, mm->arg_start, mm->arg_end,
			       mm->env_start, mm->env_end };
	uint32_t n = mm->auxv_words, pid = mmo->pid;

	((struct cr_chk *)c)->mm = mmo;
	((struct cr_chk *)c)->prev_vma = NULL;
	if (!pid)
		return cr_fail(e, EBADMSG, "mm %u is used by no process",
			       mm->id);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i] >= CR_TASK_SIZE)
			return cr_fail(e, EBADMSG, "pid %u: mm field %zu: "
				       "0x%" PRIx64 " is not a user address",
				       pid, i, f[i]);
	if (mm->start_code >= mm->end_code || mm->start_data > mm->end_data ||
	    mm->start_brk > mm->brk || mm->arg_start > mm->arg_end ||
	    mm->env_start > mm->env_end)
		return cr_fail(e, EBADMSG, "pid %u: mm: code, data, brk, "
			       "arguments or environment end before they "
			       "start", pid);
	if (n < 2 || n % 2 || mm->auxv[n - 2] != CR_AT_NULL)
		return cr_fail(e, EBADMSG, "pid %u: auxv of %u words does not "
			       "end with AT_NULL", pid, n);
	for (uint32_t i = 0; i + 2 < n; i += 2)
		if (mm->auxv[i] == CR_AT_NULL)
			return cr_fail(e, EBADMSG, "pid %u: auxv: AT_NULL at "
				       "word %u of %u", pid, i, n);
	for (uint32_t i = n; i < CRFS_AUXV_WORDS; i++)
		if (mm->auxv[i])
			return cr_fail(e, EBADMSG, "pid %u: auxv: unused word "
				       "%u is not zero", pid, i);
	if (mm->flags & ~CR_MM_FLAGS ||
	    (mm->flags & CRFS_MM_F_THP_EXCEPT_ADVISED &&
	     !(mm->flags & CRFS_MM_F_THP_DISABLE)) ||
	    (mm->flags & CRFS_MM_F_MDWE_NOINHERIT &&
	     !(mm->flags & CRFS_MM_F_MDWE)))
		return cr_fail(e, EBADMSG, "pid %u: mm flags 0x%x", pid,
			       mm->flags);
	if (mm->coredump_filter & ~CRFS_COREDUMP_FILTER_MASK)
		return cr_fail(e, EBADMSG, "pid %u: coredump_filter 0x%x has "
			       "bits above 0x%x", pid, mm->coredump_filter,
			       CRFS_COREDUMP_FILTER_MASK);
	if (!mmo->exe || mmo->exe->f.kind != CRFS_FILE_REG)
		return cr_fail(e, EBADMSG, "pid %u: the executable (file %u) "
			       "is not a regular file", pid, mm->exe_file_id);
	return 0;
}

/* Why the object of mapping @v is wrong for its kind, or NULL. */
static const char *cr_vma_object(const struct cr_vma *vi, uint64_t ps)
{
	const struct crfs_vma *v = &vi->v;
	uint64_t len = v->end - v->start;

	switch (v->kind) {
	case CRFS_VMA_FILE:
		if (!vi->file)
			return "a file mapping without a file";
		if ((vi->file->f.kind != CRFS_FILE_REG &&
		     !cr_file_kept(&vi->file->f)) || vi->shmem || v->ipc_id)
			return "a mapping of what is no regular file";
		break;
	case CRFS_VMA_SHMEM:
		if (!vi->shmem || vi->file || v->ipc_id)
			return "a shared memory mapping without its object";
		if (!(v->flags & CRFS_VMA_F_SHARED))
			return "a private mapping of shared memory";
		if (v->pgoff > vi->shmem->s.size ||
		    len > vi->shmem->s.size - v->pgoff)
			return "beyond the end of its object";
		break;
	case CRFS_VMA_SYSV:
		if (!vi->ipc || vi->ipc->i.kind != CRFS_IPC_SHM || vi->file ||
		    vi->shmem)
			return "a SysV attachment without its segment";
		if (!(v->flags & CRFS_VMA_F_SHARED))
			return "a private SysV attachment";
		if ((v->flags & CRFS_VMA_F_SHM_RDONLY) && (v->prot & PROT_WRITE))
			return "attached read-only, but writable";
		if (v->pgoff > cr_ipc_shm_span(vi->ipc, ps) ||
		    len > cr_ipc_shm_span(vi->ipc, ps) - v->pgoff)
			return "beyond the end of its segment";
		break;
	default:
		if (vi->file || vi->shmem || v->ipc_id)
			return "a file or object on a mapping of neither";
		if (v->flags & CRFS_VMA_F_SHM_RDONLY)
			return "SHM_RDONLY on a mapping that is no SysV attachment";
		if (v->flags & CRFS_VMA_F_SHARED)
			return "shared, of a kind that is not";
		if (vi->name && v->kind != CRFS_VMA_ANON)
			return "a name on a mapping that is not anonymous";
		return NULL;
	}
	if (v->pgoff & (ps - 1))
		return "file offset not page-aligned";
	if (v->pgoff > INT64_MAX || len > INT64_MAX - v->pgoff)
		return "file offset beyond what mmap() takes";
	return NULL;
}

/*
 * Why the VmFlags of a mapping made by mmap() could not come out as @v
 * has them, or NULL.  The charge ("ac") is what mmap() and mprotect()
 * give a private mapping once writable, unless MAP_NORESERVE.
 */
static const char *cr_vma_vmflags(const struct crfs_vma *v)
{
	bool priv = !(v->flags & CRFS_VMA_F_SHARED);
	bool acct = v->flags & CRFS_VMA_F_ACCOUNT;

	if (v->kind == CRFS_VMA_VDSO || v->kind == CRFS_VMA_VVAR ||
	    v->kind == CRFS_VMA_VSYSCALL)
		return NULL;	/* the kernel's: not made by mmap() */
	if ((v->flags & CRFS_VMA_F_LOCKONFAULT) &&
	    !(v->flags & CRFS_VMA_F_LOCKED))
		return "locked on fault but not locked";
	if (acct && !priv)
		return "a shared mapping charged to the commit limit";
	if (acct && (v->flags & CRFS_VMA_F_NORESERVE))
		return "charged to the commit limit and MAP_NORESERVE";
	if (priv && (v->prot & PROT_WRITE) && !acct &&
	    !(v->flags & CRFS_VMA_F_NORESERVE))
		return "writable and private but not charged to the commit limit";
	if ((v->flags & CRFS_VMA_F_DROPPABLE) &&
	    (v->kind != CRFS_VMA_ANON || !priv ||
	     !(v->flags & CRFS_VMA_F_NORESERVE) ||
	     (v->advice & CR_VMA_DROPPABLE_ADVICE) != CR_VMA_DROPPABLE_ADVICE))
		return "droppable, but not as MAP_DROPPABLE makes a mapping";
	if (v->advice & CRFS_VMA_A_DONTEXPAND)
		return "cannot be expanded, which only the kernel's mappings are";
	if ((v->advice & CRFS_VMA_A_WIPEONFORK) &&
	    (!priv || v->kind == CRFS_VMA_FILE))
		return "wiped on fork, which only private anonymous memory is";
	return NULL;
}

/* VMA: one mapping, and its place after the one before. */
int cr_vma_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_vma *vi = obj, *prev = c->prev_vma;
	const struct crfs_vma *v = &vi->v;
	uint64_t ps = c->h->page_size, start = v->start, end = v->end;
	const char *why = NULL;

	((struct cr_chk *)c)->prev_vma = vi;
	if (v->kind < CRFS_VMA_ANON || v->kind > CRFS_VMA_SYSV)
		why = "unknown kind";
	else if (start >= end)
		why = "ends before it starts";
	else if ((start | end) & (ps - 1))
		why = "not page-aligned";
	else if (end > CR_TASK_SIZE && v->kind != CRFS_VMA_VSYSCALL)
		why = "beyond the user address space";
	else if (prev && prev->v.end > start)
		why = "overlaps or is below the mapping before it";
	else if (v->prot & ~CR_VMA_PROTS)
		why = "unknown protection bits";
	else if (v->flags & ~CR_VMA_FLAGS)
		why = "unknown flags";
	else if (v->advice & ~CR_VMA_ADVICE)
		why = "unknown advice bits";
	else if ((v->flags & CRFS_VMA_F_GROWSDOWN) &&
		 ((v->kind != CRFS_VMA_ANON && v->kind != CRFS_VMA_STACK) ||
		  (v->flags & CRFS_VMA_F_SHARED)))
		why = "only private anonymous memory grows down";
	else if (!(why = cr_vma_object(vi, ps)))
		why = cr_vma_vmflags(v);
	if (!why)
		return 0;
	return cr_fail(e, EBADMSG, "pid %u: mapping 0x%" PRIx64 "-0x%" PRIx64
		       " (kind %u): %s", c->mm->pid, start, end, v->kind, why);
}

/* What owns pages of kind @owner, in words. */
static const char *cr_owner_name(uint32_t owner)
{
	return owner == CRFS_PAGES_MM ? "mm" : owner == CRFS_PAGES_SHMEM ?
	       "shmem" : "an owner of unknown kind";
}

/* The owner of the pages @p names, starting its group; or fail. */
static int cr_pages_owner(struct cr_img_walk *w, const struct crfs_pages *p,
			  struct cr_err *e)
{
	void *obj = NULL;
	uint8_t *done;

	if (p->owner == CRFS_PAGES_MM)
		obj = cr_model_mm(&w->m, p->id);
	else if (p->owner == CRFS_PAGES_SHMEM)
		obj = cr_model_shmem(&w->m, p->id);
	if (!obj)
		return cr_rd_fail(&w->rd, e, "pages of %s %u, which is not in "
				  "the image", cr_owner_name(p->owner), p->id);
	if (obj == w->owner_obj)
		return 0;
	if (w->owner_obj) {
		done = w->owner == CRFS_PAGES_MM ?
		       &w->paged_mm[(struct cr_mm *)w->owner_obj - w->m.mms] :
		       &w->paged_shmem[(struct cr_shmem *)w->owner_obj -
				       w->m.shmems];
		*done = 1;
	}
	done = p->owner == CRFS_PAGES_MM ?
	       &w->paged_mm[(struct cr_mm *)obj - w->m.mms] :
	       &w->paged_shmem[(struct cr_shmem *)obj - w->m.shmems];
	if (*done || p->owner < w->owner)
		return cr_rd_fail(&w->rd, e, "pages of %s %u apart from the "
				  "others, or after those of a memory object",
				  cr_owner_name(p->owner), p->id);
	w->owner = p->owner;
	w->owner_obj = obj;
	w->next = 0;
	w->cur = 0;
	return 0;
}

/* Why [addr, end) of @mm is not in mappings that get data, or NULL. */
static const char *cr_pages_mm(struct cr_img_walk *w, const struct cr_mm *mm,
			       uint64_t addr, uint64_t end)
{
	uint32_t i = w->cur;

	if (end > CR_TASK_SIZE)
		return "beyond the user address space";
	while (addr < end) {
		/* Records ascend: the mapping index only moves forward. */
		while (i < mm->nr_vmas && mm->vmas[i].v.end <= addr)
			i++;
		if (i == mm->nr_vmas || mm->vmas[i].v.start > addr)
			return "outside every mapping of the image";
		if (!cr_img_vma_filled(&mm->vmas[i].v))
			return "in a mapping restored without data";
		if (addr == w->pages.addr)
			w->pages.vma = i;
		addr = mm->vmas[i].v.end;
	}
	w->cur = i;
	return NULL;
}

/* Why [off, end) of @s is not in the ranges its mappings reach, or NULL. */
static const char *cr_pages_shmem(struct cr_img_walk *w,
				  const struct cr_shmem *s, uint64_t off,
				  uint64_t end)
{
	uint32_t i = w->cur;

	if (end > s->s.size)
		return "beyond the end of its object";
	while (off < end) {
		while (i < s->nr_win && s->win[i].end <= off)
			i++;
		if (i == s->nr_win || s->win[i].start > off)
			return "outside the ranges its mappings reach";
		if (off == w->pages.addr)
			w->pages.win = i;
		off = s->win[i].end;
	}
	w->cur = i;
	return NULL;
}

int cr_img_check_pages(struct cr_img_walk *w, const void *payload,
		       struct cr_err *e)
{
	uint64_t ps = w->hdr.page_size, end;
	const char *why = NULL;
	struct crfs_pages p;
	int ret;

	cr_img_pages_get(payload, &p);
	ret = cr_pages_owner(w, &p, e);
	if (ret)
		return ret;
	/* The codec checked: 1 to CR_PAGES_PER_REC pages, page-aligned. */
	end = p.addr + p.nr_pages * ps;
	memset(&w->pages, 0, sizeof(w->pages));
	w->pages.addr = p.addr;
	if (end < p.addr)
		why = "the range wraps around";
	else if (p.addr < w->next)
		why = "below the end of the page data before it";
	else if (p.owner == CRFS_PAGES_MM)
		why = cr_pages_mm(w, w->owner_obj, p.addr, end);
	else
		why = cr_pages_shmem(w, w->owner_obj, p.addr, end);
	if (why && p.owner == CRFS_PAGES_MM)
		return cr_fail(e, EBADMSG, "pid %u: page data for 0x%" PRIx64
			       "-0x%" PRIx64 ": %s",
			       ((struct cr_mm *)w->owner_obj)->pid,
			       (uint64_t)p.addr, end, why);
	if (why)
		return cr_fail(e, EBADMSG, "shmem %u: page data for 0x%" PRIx64
			       "-0x%" PRIx64 ": %s", p.id, (uint64_t)p.addr,
			       end, why);
	w->pages.owner = p.owner;
	w->pages.nr_pages = p.nr_pages;
	w->pages.data = cr_img_pages_data((void *)payload);
	if (p.owner == CRFS_PAGES_MM)
		w->pages.mm = w->owner_obj;
	else
		w->pages.shmem = w->owner_obj;
	w->next = end;
	return 0;
}
