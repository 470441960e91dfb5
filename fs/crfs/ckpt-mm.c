// SPDX-License-Identifier: GPL-2.0
/*
 * The address space of the checkpoint: the MM record (layout, auxv,
 * flags), a VMA record per mapping in address order (the VMA iterator,
 * then the gate area, [vsyscall]), and the runs of pages whose data goes
 * into the image, found by a page-table walk (walk_page_range()) as
 * /proc/PID/pagemap classifies them: anonymous pages (a private anonymous
 * mapping's, or the copies a private file mapping made), present and not
 * the zero page, or swapped out.  What a file mapping still shares with
 * its file comes back from the file.
 *
 * Kinds so far: private anonymous memory, heap, stack, private file
 * mappings, vdso, vvar.  Shared mappings, device and special mappings,
 * named anonymous memory, userfaultfd, sealed and shadow stack mappings
 * are refused.
 */
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagewalk.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "crfs.h"
#include "ckpt.h"

/* The largest mapping walked: its bitmap of pages is 4 MiB at most. */
#define CRFS_CKPT_VMA_MAX	(16ULL << 30)

/* vm_flags kept as CRFS_VMA_F_* and CRFS_VMA_A_*. */
static const struct {
	unsigned long	vm;
	u32		flag;
	bool		advice;
} crfs_ckpt_vm_flags[] = {
	{ VM_GROWSDOWN,		CRFS_VMA_F_GROWSDOWN },
	{ VM_LOCKED,		CRFS_VMA_F_LOCKED },
	{ VM_LOCKONFAULT,	CRFS_VMA_F_LOCKONFAULT },
	{ VM_NORESERVE,		CRFS_VMA_F_NORESERVE },
	{ VM_ACCOUNT,		CRFS_VMA_F_ACCOUNT },
	{ VM_DONTCOPY,		CRFS_VMA_A_DONTFORK,	true },
	{ VM_DONTDUMP,		CRFS_VMA_A_DONTDUMP,	true },
	{ VM_WIPEONFORK,	CRFS_VMA_A_WIPEONFORK,	true },
	{ VM_HUGEPAGE,		CRFS_VMA_A_HUGEPAGE,	true },
	{ VM_NOHUGEPAGE,	CRFS_VMA_A_NOHUGEPAGE,	true },
	{ VM_MERGEABLE,		CRFS_VMA_A_MERGEABLE,	true },
	{ VM_SEQ_READ,		CRFS_VMA_A_SEQ_READ,	true },
	{ VM_RAND_READ,		CRFS_VMA_A_RAND_READ,	true },
	{ VM_DONTEXPAND,	CRFS_VMA_A_DONTEXPAND,	true },
};

/* vm_flags of an ordinary mapping that the kernel cannot keep yet, and why. */
static const struct {
	unsigned long	vm;
	const char	*why;
} crfs_ckpt_vm_refused[] = {
	{ VM_SHARED,			"a shared mapping" },
	{ VM_IO | VM_PFNMAP | VM_MIXEDMAP, "a device mapping" },
	{ VM_SYNC,			"synchronous page faults (MAP_SYNC)" },
	{ VM_SHADOW_STACK,		"a shadow stack" },
	{ VM_UFFD_MISSING | VM_UFFD_WP,	"registered with userfaultfd" },
#ifdef VM_SEALED
	{ VM_SEALED,			"sealed (mseal)" },
#endif
#ifdef VM_DROPPABLE
	{ VM_DROPPABLE,			"droppable (MAP_DROPPABLE)" },
#endif
#ifdef CONFIG_ARCH_HAS_PKEYS
	{ VM_PKEY_BIT0 | VM_PKEY_BIT1 | VM_PKEY_BIT2 | VM_PKEY_BIT3,
	  "memory protection keys (pkey_mprotect) are not supported" },
#endif
};

/* The special mappings a restore makes again, by name. */
static const struct {
	const char	*name;
	u32		kind;
} crfs_ckpt_vm_special[] = {
	{ "[vdso]",		CRFS_VMA_VDSO },
	{ "[vvar]",		CRFS_VMA_VVAR },
	{ "[vvar_vclock]",	CRFS_VMA_VVAR },
};

/* The walk of one mapping: a bit per page whose data goes in the image. */
struct crfs_ckpt_walk {
	unsigned long	start;
	unsigned long	*bits;
};

/* Under the page table lock: note anonymous and swapped pages. */
static int crfs_ckpt_pte(pte_t *ptep, unsigned long addr, unsigned long next,
			 struct mm_walk *walk)
{
	struct crfs_ckpt_walk *w = walk->private;
	pte_t pte = ptep_get(ptep);
	struct page *page;

	if (pte_none(pte))
		return 0;
	if (pte_present(pte)) {
		page = vm_normal_page(walk->vma, addr, pte);
		if (!page || !PageAnon(page))
			return 0;	/* the zero page, or the file's */
	}
	__set_bit((addr - w->start) >> PAGE_SHIFT, w->bits);
	return 0;
}

static const struct mm_walk_ops crfs_ckpt_walk_ops = {
	.pte_entry	= crfs_ckpt_pte,
	.walk_lock	= PGWALK_RDLOCK,
};

/* Append page @addr to the runs, merging it with the run before. */
static int crfs_ckpt_run_add(struct crfs_ckpt *c, unsigned long addr)
{
	struct crfs_run *r = c->nr_runs ? &c->runs[c->nr_runs - 1] : NULL;
	struct crfs_run *n;

	if (r && r->proc == c->cur_proc &&
	    r->addr + ((unsigned long)r->nr << PAGE_SHIFT) == addr &&
	    r->nr < CRFS_PAGES_PER_REC) {
		r->nr++;
		return 0;
	}
	if (!(c->nr_runs & (c->nr_runs - 1)) || !c->runs) {
		n = kvrealloc(c->runs, max(2 * c->nr_runs, 16U) * sizeof(*n),
			      GFP_KERNEL);
		if (!n)
			return -ENOMEM;
		c->runs = n;
	}
	c->runs[c->nr_runs++] = (struct crfs_run){ addr, 1, c->cur_proc };
	return 0;
}

/* The runs of pages of @vma; the mm locked for reading. */
static int crfs_ckpt_vma_pages(struct crfs_ckpt *c, struct vm_area_struct *vma)
{
	unsigned long nr = vma_pages(vma), i;
	struct crfs_ckpt_walk w = { .start = vma->vm_start };
	int ret;

	w.bits = kvcalloc(BITS_TO_LONGS(nr), sizeof(long), GFP_KERNEL);
	if (!w.bits)
		return -ENOMEM;
	ret = walk_page_range(c->mm, vma->vm_start, vma->vm_end,
			      &crfs_ckpt_walk_ops, &w);
	for_each_set_bit(i, w.bits, nr) {
		if (ret)
			break;
		ret = crfs_ckpt_run_add(c, vma->vm_start + (i << PAGE_SHIFT));
	}
	kvfree(w.bits);
	return ret;
}

/* Refuse @vma for @why, naming it as maps does. */
static int crfs_ckpt_vma_refuse(struct crfs_ckpt *c, struct vm_area_struct *vma,
				const char *why)
{
	return crfs_ckpt_refuse(c, -EOPNOTSUPP,
				"pid %d: mapping %lx-%lx%s: %s: kernel: not yet",
				c->pid, vma->vm_start, vma->vm_end,
				vma->vm_file ? " (a file)" : "", why);
}

/* The kind of @vma, its object; 0 and a refusal when it has none yet. */
static int crfs_ckpt_vma_kind(struct crfs_ckpt *c, struct vm_area_struct *vma,
			      struct crfs_vma *v)
{
	struct mm_struct *mm = c->mm;
	const char *name = NULL;
	unsigned int i;

	if (vma->vm_ops && vma->vm_ops->name)
		name = vma->vm_ops->name(vma);
	if (name) {
		for (i = 0; i < ARRAY_SIZE(crfs_ckpt_vm_special); i++)
			if (!strcmp(name, crfs_ckpt_vm_special[i].name)) {
				v->kind = crfs_ckpt_vm_special[i].kind;
				return 0;
			}
		return crfs_ckpt_vma_refuse(c, vma, "a special mapping");
	}
	for (i = 0; i < ARRAY_SIZE(crfs_ckpt_vm_refused); i++)
		if (vma->vm_flags & crfs_ckpt_vm_refused[i].vm)
			return crfs_ckpt_vma_refuse(c, vma,
						    crfs_ckpt_vm_refused[i].why);
	if (anon_vma_name(vma))
		return crfs_ckpt_vma_refuse(c, vma, "named anonymous memory");
	if (vma->vm_file) {
		v->kind = CRFS_VMA_FILE;
		v->pgoff = (u64)vma->vm_pgoff << PAGE_SHIFT;
		return crfs_ckpt_file(c, vma->vm_file, true, "a mapped file",
				      &v->file_id);
	}
	if (vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk)
		v->kind = CRFS_VMA_HEAP;
	else if (vma->vm_start <= mm->start_stack &&
		 vma->vm_end >= mm->start_stack)
		v->kind = CRFS_VMA_STACK;
	else
		v->kind = CRFS_VMA_ANON;
	return 0;
}

/* The VMA record of @vma (kind @kind when not 0), and its runs of pages. */
static int crfs_ckpt_vma(struct crfs_ckpt *c, struct vm_area_struct *vma,
			 u32 kind)
{
	struct crfs_vma v = { .mm_id = c->mm_id, .start = vma->vm_start,
			      .end = vma->vm_end, .kind = kind };
	unsigned int i;
	int ret;

	if (!kind) {
		ret = crfs_ckpt_vma_kind(c, vma, &v);
		if (ret)
			return ret;
	}
	v.prot = (vma->vm_flags & VM_READ ? PROT_READ : 0) |
		 (vma->vm_flags & VM_WRITE ? PROT_WRITE : 0) |
		 (vma->vm_flags & VM_EXEC ? PROT_EXEC : 0);
	for (i = 0; i < ARRAY_SIZE(crfs_ckpt_vm_flags); i++) {
		if (!(vma->vm_flags & crfs_ckpt_vm_flags[i].vm))
			continue;
		if (crfs_ckpt_vm_flags[i].advice)
			v.advice |= crfs_ckpt_vm_flags[i].flag;
		else
			v.flags |= crfs_ckpt_vm_flags[i].flag;
	}
	if (v.kind == CRFS_VMA_VDSO || v.kind == CRFS_VMA_VVAR ||
	    v.kind == CRFS_VMA_VSYSCALL)
		v.flags = 0;	/* the kernel's: made again as they are */
	ret = crfs_rec_put(c, CRFS_PART_MM, CRFS_REC_VMA, &v, sizeof(v),
			   NULL, 0);
	if (ret || v.kind == CRFS_VMA_VDSO || v.kind == CRFS_VMA_VVAR ||
	    v.kind == CRFS_VMA_VSYSCALL)
		return ret;
	if (v.end - v.start > CRFS_CKPT_VMA_MAX)
		return crfs_ckpt_vma_refuse(c, vma, "larger than 16 GiB");
	return crfs_ckpt_vma_pages(c, vma);
}

/* MM flags the kernel cannot keep yet, or NULL; the rest in @m. */
static const char *crfs_ckpt_mm_flags(struct mm_struct *mm, struct crfs_mm *m)
{
	if (test_bit(MMF_HAS_MDWE, &mm->flags))
		return "memory-deny-write-execute (PR_SET_MDWE)";
	if (test_bit(MMF_VM_MERGE_ANY, &mm->flags))
		return "merging of all its memory (PR_SET_MEMORY_MERGE)";
#ifdef CONFIG_MEMBARRIER
	if (atomic_read(&mm->membarrier_state))
		return "membarrier registrations";
#endif
	if (test_bit(MMF_DISABLE_THP, &mm->flags))
		m->flags |= CRFS_MM_F_THP_DISABLE;
	m->coredump_filter = (mm->flags & MMF_DUMP_FILTER_MASK) >>
			     MMF_DUMP_FILTER_SHIFT;
	return NULL;
}

/* The MM record's layout fields and auxv (up to its AT_NULL pair). */
static void crfs_ckpt_mm_layout(struct mm_struct *mm, struct crfs_mm *m)
{
	unsigned int n = 0;

	m->start_code = mm->start_code;
	m->end_code = mm->end_code;
	m->start_data = mm->start_data;
	m->end_data = mm->end_data;
	m->start_brk = mm->start_brk;
	m->brk = mm->brk;
	m->start_stack = mm->start_stack;
	m->arg_start = mm->arg_start;
	m->arg_end = mm->arg_end;
	m->env_start = mm->env_start;
	m->env_end = mm->env_end;
	BUILD_BUG_ON(AT_VECTOR_SIZE > CRFS_AUXV_WORDS);
	while (n + 2 < AT_VECTOR_SIZE && mm->saved_auxv[n])
		n += 2;
	n += 2;
	memcpy(m->auxv, mm->saved_auxv, n * sizeof(m->auxv[0]));
	m->auxv[n - 2] = 0;
	m->auxv[n - 1] = 0;
	m->auxv_words = n;
}

/**
 * crfs_ckpt_mm - the MM record, its VMAs, their FILEs and runs of pages
 * @c: the checkpoint; c->mm is the address space of the process, whose
 *	reference c->procs[c->cur_proc].mm holds
 *
 * Return: 0, or a refusal with the reason in the error file.
 */
int crfs_ckpt_mm(struct crfs_ckpt *c)
{
	struct crfs_mm m = { 0 };
	struct vm_area_struct *vma;
	struct file *exe;
	const char *why;
	int ret;

	c->mm = get_task_mm(c->task);
	c->procs[c->cur_proc].mm = c->mm;
	if (!c->mm)
		return crfs_ckpt_refuse(c, -ESRCH, "pid %d: no address space",
					c->pid);
	if (atomic_read(&c->mm->mm_users) > c->nr_threads + 1)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP,
					"pid %d: address space: shared with another process (CLONE_VM): kernel: not yet",
					c->pid);
	exe = get_mm_exe_file(c->mm);
	if (!exe)
		return crfs_ckpt_refuse(c, -EOPNOTSUPP, "pid %d: no executable",
					c->pid);
	ret = crfs_ckpt_file(c, exe, true, "the executable", &m.exe_file_id);
	fput(exe);
	if (ret)
		return ret;
	if (mmap_read_lock_killable(c->mm))
		return -EINTR;
	why = crfs_ckpt_mm_flags(c->mm, &m);
	if (why) {
		ret = crfs_ckpt_refuse(c, -EOPNOTSUPP,
				       "pid %d: address space: %s: kernel: not yet",
				       c->pid, why);
		goto out_unlock;
	}
	crfs_ckpt_mm_layout(c->mm, &m);
	m.id = ++c->next_id;
	c->mm_id = m.id;
	c->procs[c->cur_proc].mm_id = m.id;
	m.nr_vmas = c->mm->map_count + !!get_gate_vma(c->mm);
	ret = crfs_rec_put(c, CRFS_PART_MM, CRFS_REC_MM, &m, sizeof(m), NULL, 0);
	if (!ret) {
		VMA_ITERATOR(vmi, c->mm, 0);

		for_each_vma(vmi, vma) {
			ret = crfs_ckpt_vma(c, vma, 0);
			if (ret)
				break;
		}
	}
	vma = get_gate_vma(c->mm);
	if (!ret && vma)
		ret = crfs_ckpt_vma(c, vma, CRFS_VMA_VSYSCALL);
out_unlock:
	mmap_read_unlock(c->mm);
	return ret;
}
