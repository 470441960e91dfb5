// SPDX-License-Identifier: GPL-2.0
/*
 * The address space of a restore: the MM and VMA records checked, a new
 * address space built by the process itself in its entry function
 * (mm_alloc(), exec_mmap() as execve() switches to it, the vdso where it
 * was, each mapping by vm_mmap() with its file, the layout fields and
 * auxv as PR_SET_MM_MAP sets them), and the page data the writer copies
 * into it (access_remote_vm(), FOLL_FORCE as ptrace writes).
 *
 * Kinds so far: private anonymous memory, heap, stack, private file
 * mappings, vdso and vvar of this kernel.  Shared, locked, named and SysV
 * mappings are refused.
 */
#include <linux/binfmts.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/personality.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>
#include <asm/vdso.h>

#include "crfs.h"
#include "ckpt.h"
#include "rst.h"

/* VMA flags and advice the kernel restores; the advice by madvise(). */
#define CRFS_RST_VMA_FLAGS	(CRFS_VMA_F_GROWSDOWN | CRFS_VMA_F_NORESERVE | \
				 CRFS_VMA_F_ACCOUNT)
static const struct {
	u32	advice;
	int	madv;
} crfs_rst_madv[] = {
	{ CRFS_VMA_A_DONTFORK,		MADV_DONTFORK },
	{ CRFS_VMA_A_DONTDUMP,		MADV_DONTDUMP },
	{ CRFS_VMA_A_WIPEONFORK,	MADV_WIPEONFORK },
	{ CRFS_VMA_A_HUGEPAGE,		MADV_HUGEPAGE },
	{ CRFS_VMA_A_NOHUGEPAGE,	MADV_NOHUGEPAGE },
	{ CRFS_VMA_A_MERGEABLE,		MADV_MERGEABLE },
	{ CRFS_VMA_A_SEQ_READ,		MADV_SEQUENTIAL },
	{ CRFS_VMA_A_RAND_READ,		MADV_RANDOM },
};

/* Is @v one of the kernel's own mappings, made again as they are? */
static bool crfs_rst_vma_special(const struct crfs_vma *v)
{
	return v->kind == CRFS_VMA_VDSO || v->kind == CRFS_VMA_VVAR ||
	       v->kind == CRFS_VMA_VSYSCALL;
}

/**
 * crfs_rst_check_vma - a VMA record the kernel restores, or a refusal
 * @r: the restore
 * @v: the mapping
 *
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_check_vma(struct crfs_rst *r, const struct crfs_vma *v)
{
	struct crfs_rst_file *rf;
	const char *why = NULL;
	u32 advice = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(crfs_rst_madv); i++)
		advice |= crfs_rst_madv[i].advice;
	if (v->start >= v->end || v->start % PAGE_SIZE || v->end % PAGE_SIZE ||
	    (v->kind != CRFS_VMA_VSYSCALL && v->end > TASK_SIZE_MAX) ||
	    v->prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return crfs_rst_refuse(r, -EINVAL, "mapping %llx-%llx: bad bounds or protection",
				       v->start, v->end);
	if (v->kind == CRFS_VMA_SHMEM || v->kind == CRFS_VMA_SYSV)
		why = "shared memory";
	else if (!v->kind || v->kind > CRFS_VMA_SYSV)
		return crfs_rst_refuse(r, -EINVAL, "mapping %llx-%llx: unknown kind %u",
				       v->start, v->end, v->kind);
	else if (crfs_rst_vma_special(v))
		return 0;
	else if (v->flags & CRFS_VMA_F_SHARED)
		why = "a shared mapping";
	else if (v->flags & ~CRFS_RST_VMA_FLAGS)
		why = "locked, droppable or guarded memory";
	else if (v->advice & ~advice)
		why = "advice other than madvise() gives";
	if (why)
		return crfs_rst_refuse(r, -EOPNOTSUPP,
				       "address space %u: mapping %llx-%llx: %s: kernel: not yet",
				       v->mm_id, v->start, v->end, why);
	if (v->kind != CRFS_VMA_FILE)
		return 0;
	rf = crfs_rst_file_by_id(r, v->file_id);
	if (!rf || rf->f.kind != CRFS_FILE_REG || v->pgoff % PAGE_SIZE)
		return crfs_rst_refuse(r, -EINVAL,
				       "mapping %llx-%llx: file %u: no regular file, or a bad offset",
				       v->start, v->end, v->file_id);
	return 0;
}

/* The VMA of kind @kind, or NULL. */
static const struct crfs_vma *crfs_rst_vma_kind(struct crfs_rst_proc *p, u32 kind)
{
	unsigned int i;

	for (i = 0; i < p->nr_vmas; i++)
		if (p->vmas[i].kind == kind)
			return &p->vmas[i];
	return NULL;
}

/**
 * crfs_rst_check_mm - the address space as a whole, before the process is made
 * @p: the process of the restore
 *
 * The vdso and vvar must be this kernel's (their sizes), the layout fields
 * what PR_SET_MM_MAP accepts, the mappings no more than vm.max_map_count
 * allows (past it the last would fail, after the others were made).
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_check_mm(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	const struct crfs_vma *vdso = crfs_rst_vma_kind(p, CRFS_VMA_VDSO);
	const struct crfs_vma *vvar = crfs_rst_vma_kind(p, CRFS_VMA_VVAR);
	const struct vdso_image *img = &vdso_image_64;
	const struct crfs_mm *m = p->mm;
	struct crfs_rst_file *exe = crfs_rst_file_by_id(r, m->exe_file_id);
	u64 top = TASK_SIZE_MAX;

	if (!exe || exe->f.kind != CRFS_FILE_REG)
		return crfs_rst_refuse(r, -EINVAL, "pid %u: executable: no regular file",
				       p->task.pid);
	if (p->nr_vmas > READ_ONCE(sysctl_max_map_count))
		return crfs_rst_refuse(r, -ENOMEM,
				       "pid %u: the image has %u mappings, vm.max_map_count allows %d",
				       p->task.pid, p->nr_vmas, READ_ONCE(sysctl_max_map_count));
	if (!vdso != !vvar || (vdso && (vvar->end != vdso->start ||
					vvar->end - vvar->start != -img->sym_vvar_start ||
					vdso->end - vdso->start != img->size)))
		return crfs_rst_refuse(r, -EOPNOTSUPP,
				       "pid %u: vdso: not this kernel's (its size or place)",
				       p->task.pid);
	if (m->flags & ~CRFS_MM_F_THP_DISABLE)
		return crfs_rst_refuse(r, -EOPNOTSUPP,
				       "pid %u: address space: flags %#x (MDWE, KSM, membarrier): kernel: not yet",
				       p->task.pid, m->flags);
	if (m->coredump_filter & ~CRFS_COREDUMP_FILTER_MASK ||
	    m->start_code > m->end_code || m->start_data > m->end_data ||
	    m->start_brk > m->brk || m->arg_start > m->arg_end ||
	    m->env_start > m->env_end || m->end_code >= top || m->end_data >= top ||
	    m->brk >= top || m->start_stack >= top || m->arg_end >= top ||
	    m->env_end >= top || m->auxv_words < 2 ||
	    m->auxv[m->auxv_words - 2] != AT_NULL)
		return crfs_rst_refuse(r, -EINVAL, "pid %u: address space: bad layout or auxv",
				       p->task.pid);
	return 0;
}

/* The layout fields, auxv and flags, as prctl(PR_SET_MM_MAP) sets them. */
static void crfs_rst_mm_layout(struct crfs_rst_proc *p, struct mm_struct *mm)
{
	const struct crfs_mm *m = p->mm;
	unsigned int i;

	mmap_read_lock(mm);
	spin_lock(&mm->arg_lock);
	mm->start_code = m->start_code;
	mm->end_code = m->end_code;
	mm->start_data = m->start_data;
	mm->end_data = m->end_data;
	mm->start_brk = m->start_brk;
	mm->brk = m->brk;
	mm->start_stack = m->start_stack;
	mm->arg_start = m->arg_start;
	mm->arg_end = m->arg_end;
	mm->env_start = m->env_start;
	mm->env_end = m->env_end;
	spin_unlock(&mm->arg_lock);
	memset(mm->saved_auxv, 0, sizeof(mm->saved_auxv));
	memcpy(mm->saved_auxv, m->auxv,
	       min_t(size_t, sizeof(mm->saved_auxv), m->auxv_words * sizeof(u64)));
	mmap_read_unlock(mm);
	for (i = 0; i < MMF_DUMP_FILTER_BITS; i++) {
		if (m->coredump_filter & (1U << i))
			set_bit(i + MMF_DUMP_FILTER_SHIFT, &mm->flags);
		else
			clear_bit(i + MMF_DUMP_FILTER_SHIFT, &mm->flags);
	}
	/* mm_alloc() copied its maker's (a parent restored before it) */
	if (m->flags & CRFS_MM_F_THP_DISABLE)
		set_bit(MMF_DISABLE_THP, &mm->flags);
	else
		clear_bit(MMF_DISABLE_THP, &mm->flags);
}

/* One mapping, in the process's new address space. */
static int crfs_rst_map(struct crfs_rst_proc *p, const struct crfs_vma *v)
{
	struct crfs_rst *r = p->r;
	unsigned long flags = MAP_PRIVATE | MAP_FIXED_NOREPLACE, addr;
	unsigned long len = v->end - v->start;
	struct file *file = NULL;
	unsigned int i;
	char what[48];
	int ret;

	if (v->flags & CRFS_VMA_F_GROWSDOWN)
		flags |= MAP_GROWSDOWN;
	if (v->flags & CRFS_VMA_F_NORESERVE)
		flags |= MAP_NORESERVE;
	if (v->kind == CRFS_VMA_FILE) {
		snprintf(what, sizeof(what), "mapping %llx-%llx", v->start, v->end);
		file = crfs_rst_open_file(p, crfs_rst_file_by_id(r, v->file_id), what);
		if (IS_ERR(file))
			return PTR_ERR(file);
	} else {
		flags |= MAP_ANONYMOUS;
	}
	addr = vm_mmap(file, v->start, len, v->prot, flags, v->pgoff);
	if (IS_ERR_VALUE(addr) || addr != v->start)
		return crfs_rst_child_fail(r, IS_ERR_VALUE(addr) ? (long)addr : -EEXIST,
					   "pid %u: mapping %llx-%llx: cannot map it",
					   p->task.pid, v->start, v->end);
	for (i = 0; i < ARRAY_SIZE(crfs_rst_madv); i++) {
		if (!(v->advice & crfs_rst_madv[i].advice))
			continue;
		ret = do_madvise(current->mm, v->start, len, crfs_rst_madv[i].madv);
		if (ret)
			return crfs_rst_child_fail(r, ret, "pid %u: mapping %llx-%llx: madvise %d",
						   p->task.pid, v->start, v->end,
						   crfs_rst_madv[i].madv);
	}
	return 0;
}

/**
 * crfs_rst_build_mm - the process's new address space, in the process
 * @p: the process of the restore (run in it)
 *
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_build_mm(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	const struct crfs_vma *vvar = crfs_rst_vma_kind(p, CRFS_VMA_VVAR);
	const struct crfs_vma *vdso = crfs_rst_vma_kind(p, CRFS_VMA_VDSO);
	struct rlimit stack = {
		.rlim_cur = p->task.rlim[RLIMIT_STACK].cur,
		.rlim_max = p->task.rlim[RLIMIT_STACK].max,
	};
	struct mm_struct *mm;
	struct file *exe;
	unsigned int i;
	int ret;

	/*
	 * Before any mapping: READ_IMPLIES_EXEC, the writer's or the
	 * image's, would add PROT_EXEC to every readable one (do_mmap()).
	 * The image's comes once the mappings are made.
	 */
	current->personality = p->task.personality & ~READ_IMPLIES_EXEC;
	/* the writer's PF_RANDOMIZE, as an exec of that personality has it */
	current->flags &= ~PF_RANDOMIZE;
	if (!(current->personality & ADDR_NO_RANDOMIZE) && READ_ONCE(randomize_va_space))
		current->flags |= PF_RANDOMIZE;
	exe = crfs_rst_open_file(p, crfs_rst_file_by_id(r, p->mm->exe_file_id),
				 "the executable");
	if (IS_ERR(exe))
		return PTR_ERR(exe);
	mm = mm_alloc();
	if (!mm)
		return -ENOMEM;
	ret = set_mm_exe_file(mm, exe);
	if (ret) {
		mmput(mm);
		return crfs_rst_child_fail(r, ret, "pid %u: the executable: being written",
					   p->task.pid);
	}
	mm->task_size = TASK_SIZE;
	arch_pick_mmap_layout(mm, &stack);
	ret = exec_mmap(mm);
	if (ret) {
		mmput(mm);
		return ret;
	}
	up_write(&current->signal->exec_update_lock);
	if (vdso) {
		ret = map_vdso_once(&vdso_image_64, vvar->start);
		if (!ret && (unsigned long)mm->context.vdso != vdso->start)
			ret = -EEXIST;
		if (ret)
			return crfs_rst_child_fail(r, ret, "pid %u: vdso: cannot map it at %llx",
						   p->task.pid, vdso->start);
	}
	for (i = 0; i < p->nr_vmas; i++) {
		if (crfs_rst_vma_special(&p->vmas[i]))
			continue;
		ret = crfs_rst_map(p, &p->vmas[i]);
		if (ret)
			return ret;
	}
	crfs_rst_mm_layout(p, mm);
	current->personality = p->task.personality;
	return 0;
}

/* Is [@addr, @end) covered by mappings that take page data? */
static bool crfs_rst_pages_mapped(struct crfs_rst_proc *p, u64 addr, u64 end)
{
	unsigned int i;

	for (i = 0; i < p->nr_vmas && addr < end; i++) {
		const struct crfs_vma *v = &p->vmas[i];

		if (v->end <= addr)
			continue;
		if (v->start > addr || crfs_rst_vma_special(v))
			return false;
		addr = v->end;
	}
	return addr >= end;
}

/* The verdict of the worker on set @s: 0, or the errno, said. */
static int crfs_rst_pages_verdict(struct crfs_rst *r, struct crfs_pgset *s)
{
	int ret = crfs_pgset_wait(s, false);

	crfs_pgset_put(s);
	if (ret == -EBADMSG)
		return crfs_rst_refuse(r, -EINVAL, "record %llu (type %u): bad crc",
				       s->rec, CRFS_REC_PAGES);
	return ret;
}

/**
 * crfs_rst_pages_begin - check where a PAGES record's data goes, and take
 * the set its pages will be held in
 * @p: the process, waiting with its address space built
 * @pg: the record
 *
 * The set is the one of the record before the one before: its crc is
 * checked by now, or is waited for; a mismatch fails the restore here.
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_pages_begin(struct crfs_rst_proc *p, const struct crfs_pages *pg)
{
	struct crfs_rst *r = p->r;
	u64 len = (u64)pg->nr_pages << PAGE_SHIFT;
	struct crfs_pgset *s = &r->pgs[r->pg_set];
	int ret;

	if (!crfs_rst_pages_mapped(p, pg->addr, pg->addr + len))
		return crfs_rst_refuse(r, -EINVAL,
				       "pid %u: pages at %#llx: not in a mapping that has page data",
				       p->task.pid, pg->addr);
	if (!s->pages) {
		ret = crfs_pgset_init(&r->pgs[0]);
		if (!ret)
			ret = crfs_pgset_init(&r->pgs[1]);
		if (ret)
			return ret;
	}
	ret = crfs_rst_pages_verdict(r, s);
	if (ret)
		return ret;
	s->rec = r->nr_records;
	return 0;
}

/**
 * crfs_rst_pages_copy - write the next bytes of a PAGES record's data
 * straight into the process's page at @r->pg_addr
 * @r: the restore
 * @from: the writer's bytes
 *
 * The page is taken for writing when its first byte comes
 * (get_user_pages_remote(), FOLL_FORCE as ptrace writes: a read-only
 * private page is copied first) and held in the record's set until the
 * worker has read it back for the record's crc (crfs_pgset_check()).
 * Return: the bytes taken (@r->pg_addr and @r->pg_left moved on), -EFAULT
 * when @from gave none, or the errno with the reason in the error file.
 */
ssize_t crfs_rst_pages_copy(struct crfs_rst *r, struct iov_iter *from)
{
	struct crfs_pgset *s = &r->pgs[r->pg_set];
	struct crfs_rst_proc *p = r->pg_proc;
	size_t off = offset_in_page(r->pg_addr), n;
	struct page *page;
	long got;

	n = min_t(u64, r->pg_left, PAGE_SIZE - off);
	if (off) {
		page = s->pages[s->nr - 1];
	} else {
		if (mmap_read_lock_killable(p->task_mm))
			return -EINTR;
		got = get_user_pages_remote(p->task_mm, r->pg_addr, 1,
					    FOLL_WRITE | FOLL_FORCE, &page, NULL);
		mmap_read_unlock(p->task_mm);
		if (got != 1 && fatal_signal_pending(current))
			return crfs_rst_refuse(r, -EINTR, "pid %u: the writer was killed",
					       p->task.pid);
		if (got != 1)
			return crfs_rst_refuse(r, -EIO,
					       "pid %u: pages at %#llx: cannot write (%ld)",
					       p->task.pid, r->pg_addr, got);
	}
	n = copy_page_from_iter(page, off, n, from);
	if (!off) {
		/* held from its first byte on, once: a retry takes it again */
		if (!n) {
			put_page(page);
			return -EFAULT;
		}
		s->pages[s->nr++] = page;
	}
	if (!n)
		return -EFAULT;
	if (off + n == PAGE_SIZE)
		set_page_dirty_lock(page);
	r->pg_addr += n;
	r->pg_left -= n;
	return n;
}

/**
 * crfs_rst_pages_settle - wait for the worker's checks of the last PAGES
 * records (before END)
 * @r: the restore
 *
 * Return: 0, or the errno with the reason in the error file (the earlier
 * record's if both failed).
 */
int crfs_rst_pages_settle(struct crfs_rst *r)
{
	unsigned int first = r->pg_set;	/* the older of the two */
	int ret, ret2;

	if (!r->pgs[0].pages)
		return 0;
	ret = crfs_rst_pages_verdict(r, &r->pgs[first]);
	ret2 = crfs_rst_pages_verdict(r, &r->pgs[first ^ 1]);
	return ret ?: ret2;
}
