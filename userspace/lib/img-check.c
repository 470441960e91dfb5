// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What an image must be for a restore to bring it back, judged on the
 * image alone: one list of rules for the restore and for `crfs-image
 * verify`, so that both refuse the same images with the same reason.
 *
 * The codec (image.c) checks the framing: checksums, lengths, record
 * order.  The decoder (task-img.c) checks what memory safety needs:
 * string terminators, counts and array bounds.  Here is what the values
 * mean: mappings sorted and inside user space, page data inside the
 * mappings that get it, ids, signals, limits, the registers and the XSAVE
 * header the kernel would refuse.  What depends on this machine (files,
 * pids, CPU features) is checked by the restore where it is used.
 *
 * Every check is linear in the records, or O(log n) per record.
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

#include "task-img.h"
#include "arch.h"

/* The processes a restore brings back, at most. */
#define CR_RST_TASKS_MAX	1
/* Highest pid a kernel hands out (PID_MAX_LIMIT on 64-bit). */
#define CR_PID_MAX		(4 * 1024 * 1024)
/* A user or group id: all but (u32)-1, which the set*id calls skip. */
#define CR_ID_INVALID		0xffffffffU
/* personality(0xffffffff) queries instead of setting. */
#define CR_PERSONALITY_QUERY	0xffffffffU
/* The smallest alternate signal stack sigaltstack() takes. */
#define CR_MINSIGSTKSZ		2048
/* The first real-time signal; and at most so many of them pending. */
#define CR_SIGRTMIN		32
#define CR_PENDING_RT_MAX	(1U << 20)
#ifndef SS_AUTODISARM
#define SS_AUTODISARM		(1U << 31)
#endif
#define CR_SS_FLAGS		(SS_ONSTACK | SS_DISABLE | SS_AUTODISARM)
/* The kernel's SUID_DUMP_ROOT, the largest dumpable value. */
/* PR_SET_DUMPABLE takes 0 or 1; SUID_DUMP_ROOT (2) only the kernel sets. */
#define CR_DUMPABLE_MAX		1
#define CR_RSEQ_MIN_LEN		32
#define CR_VMA_PROTS		(PROT_READ | PROT_WRITE | PROT_EXEC)
#define CR_VMA_FLAGS		(CRFS_VMA_F_SHARED | CRFS_VMA_F_GROWSDOWN | \
				 CRFS_VMA_F_LOCKED)
#define CR_AT_NULL		0

/* One process being checked, and the image header it came with. */
struct cr_chk {
	const struct crfs_image_hdr	*h;
	const struct cr_task_img	*t;
	uint32_t			pid;
};

/* Is @s an absolute path (decoded strings are NUL-terminated)? */
static bool cr_abs(const char *s)
{
	return s && s[0] == '/';
}

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

/* The mapping of @t holding @addr, or the first one above it: an index. */
static uint32_t cr_vma_lookup(const struct cr_task_img *t, uint64_t addr)
{
	uint32_t lo = 0, hi = t->task.nr_vmas;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (t->vmas[mid].v.end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Does [addr, addr + len) lie inside one mapping of @t? */
static bool cr_in_vma(const struct cr_task_img *t, uint64_t addr,
		      uint64_t len)
{
	uint32_t i = cr_vma_lookup(t, addr);

	return i < t->task.nr_vmas && t->vmas[i].v.start <= addr &&
	       len <= t->vmas[i].v.end - addr;
}

int cr_img_check_image(const struct crfs_image_hdr *h, struct cr_err *e)
{
	if (h->features & ~CRFS_FEAT_KNOWN)
		return cr_fail(e, EOPNOTSUPP, "image uses features 0x%" PRIx64
			       ", this reader knows 0x%llx",
			       (uint64_t)h->features,
			       (unsigned long long)CRFS_FEAT_KNOWN);
	if (!(h->features & CRFS_FEAT_XSTATE))
		return cr_fail(e, EBADMSG, "image header: features 0x%" PRIx64
			       " lack XSTATE, which every process has",
			       (uint64_t)h->features);
	if (h->nr_tasks != CR_RST_TASKS_MAX)
		return cr_fail(e, EOPNOTSUPP, "the image holds %u processes; "
			       "only %d is supported", h->nr_tasks,
			       CR_RST_TASKS_MAX);
	return 0;
}

/* TASK: pid, parent, umask, personality, dumpable, rseq area. */
static int cr_chk_task(const struct cr_chk *c, struct cr_err *e)
{
	const struct crfs_task *k = &c->t->task;

	if (k->pid < 1 || k->pid > CR_PID_MAX)
		return cr_fail(e, EBADMSG, "pid %u: not a pid (1 to %d)",
			       k->pid, CR_PID_MAX);
	if (k->ppid)
		return cr_fail(e, EBADMSG, "pid %u: parent %u is not in the "
			       "image (the only process has parent 0)",
			       k->pid, k->ppid);
	if (k->umask & ~0777U)
		return cr_fail(e, EBADMSG, "pid %u: umask %#o", k->pid,
			       k->umask);
	if (k->personality == CR_PERSONALITY_QUERY)
		return cr_fail(e, EBADMSG, "pid %u: personality 0x%x",
			       k->pid, k->personality);
	if (k->dumpable > CR_DUMPABLE_MAX)
		return cr_fail(e, EBADMSG, "pid %u: dumpable %u: only 0 and 1 "
			       "can be set again", k->pid, k->dumpable);
	if (!k->rseq_addr)
		return 0;
	if (k->rseq_addr % CR_RSEQ_MIN_LEN || k->rseq_len < CR_RSEQ_MIN_LEN ||
	    !cr_in_vma(c->t, k->rseq_addr, k->rseq_len) ||
	    !(c->t->vmas[cr_vma_lookup(c->t, k->rseq_addr)].v.prot &
	      PROT_WRITE))
		return cr_fail(e, EBADMSG, "pid %u: rseq area 0x%" PRIx64
			       " of %u bytes is not an aligned area inside a "
			       "writable mapping", k->pid,
			       (uint64_t)k->rseq_addr, k->rseq_len);
	return 0;
}

/* CREDS: no id is -1, which setresuid() and friends take as "keep". */
static int cr_chk_creds(const struct cr_chk *c, struct cr_err *e)
{
	const struct crfs_creds *cr = &c->t->creds;
	const uint32_t ids[] = { cr->uid, cr->euid, cr->suid, cr->fsuid,
				 cr->gid, cr->egid, cr->sgid, cr->fsgid };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (ids[i] == CR_ID_INVALID)
			return cr_fail(e, EBADMSG, "pid %u: credentials: id "
				       "%u is not valid", c->pid, ids[i]);
	for (uint32_t i = 0; i < cr->ngroups; i++)
		if (c->t->groups[i] == CR_ID_INVALID)
			return cr_fail(e, EBADMSG, "pid %u: supplementary "
				       "group %u is not valid", c->pid,
				       c->t->groups[i]);
	return 0;
}

/* FS: absolute cwd and root. */
static int cr_chk_fs(const struct cr_chk *c, struct cr_err *e)
{
	if (!cr_abs(c->t->cwd) || !cr_abs(c->t->root))
		return cr_fail(e, EBADMSG, "pid %u: cwd \"%.64s\" and root "
			       "\"%.64s\" must be absolute paths", c->pid,
			       c->t->cwd ? c->t->cwd : "",
			       c->t->root ? c->t->root : "");
	return 0;
}

/* RLIMITS: soft at most hard, as setrlimit() wants. */
static int cr_chk_rlimits(const struct cr_chk *c, struct cr_err *e)
{
	for (int i = 0; i < CRFS_NR_RLIMITS; i++)
		if (c->t->rlim.rlim[i].cur > c->t->rlim.rlim[i].max)
			return cr_fail(e, EBADMSG, "pid %u: limit %d: soft "
				       "%" PRIu64 " above hard %" PRIu64,
				       c->pid, i,
				       (uint64_t)c->t->rlim.rlim[i].cur,
				       (uint64_t)c->t->rlim.rlim[i].max);
	return 0;
}

/*
 * SIGPENDING: what the kernel can hold, and the restore can queue again:
 * a standard signal at most once a queue (the process's, the thread's),
 * real-time ones within RLIMIT_SIGPENDING; never SIGKILL or SIGSTOP,
 * which would kill or stop the process in the middle of its restore.
 */
static int cr_chk_pending(const struct cr_chk *c, struct cr_err *e)
{
	uint64_t rt_max = c->t->rlim.rlim[RLIMIT_SIGPENDING].cur;
	uint64_t seen[2] = { 0, 0 }, rt = 0;

	if (rt_max > CR_PENDING_RT_MAX)
		rt_max = CR_PENDING_RT_MAX;
	for (uint32_t i = 0; i < c->t->task.nr_pending; i++) {
		const struct crfs_sigpending *p = &c->t->pending[i];
		uint64_t bit = p->signo >= 1 && p->signo <= CRFS_NSIG ?
			       1ULL << (p->signo - 1) : 0;
		const char *why = NULL;

		if (p->signo < 1 || p->signo > CRFS_NSIG || p->shared > 1)
			why = "no such signal or queue";
		else if (p->signo == SIGKILL || p->signo == SIGSTOP)
			why = "SIGKILL and SIGSTOP cannot be queued again";
		else if (p->signo < CR_SIGRTMIN && (seen[p->shared] & bit))
			why = "a standard signal pending twice on one queue";
		else if (p->signo >= CR_SIGRTMIN && ++rt > rt_max)
			why = "more real-time signals than RLIMIT_SIGPENDING";
		if (why)
			return cr_fail(e, EBADMSG, "pid %u: pending signal %u "
				       "(signal %u, %s): %s", c->pid, i + 1,
				       p->signo, p->shared ? "process" :
				       "thread", why);
		seen[p->shared] |= bit;
	}
	return 0;
}

/* SIGACTS, SIGSTATE, SIGPENDING. */
static int cr_chk_signals(const struct cr_chk *c, struct cr_err *e)
{
	const struct crfs_sigstate *ss = &c->t->sigstate;
	static const struct crfs_sigact dfl;

	/* The restore skips them: anything but the default would be lost. */
	if (memcmp(&c->t->sigacts.act[SIGKILL - 1], &dfl, sizeof(dfl)) ||
	    memcmp(&c->t->sigacts.act[SIGSTOP - 1], &dfl, sizeof(dfl)))
		return cr_fail(e, EBADMSG, "pid %u: SIGKILL and SIGSTOP have "
			       "an action", c->pid);
	if (ss->altstack_flags & ~CR_SS_FLAGS)
		return cr_fail(e, EBADMSG, "pid %u: alternate signal stack "
			       "flags 0x%x", c->pid, ss->altstack_flags);
	if (!(ss->altstack_flags & SS_DISABLE) &&
	    (ss->altstack_size < CR_MINSIGSTKSZ ||
	     ss->altstack_sp >= CR_TASK_SIZE ||
	     ss->altstack_size > CR_TASK_SIZE - ss->altstack_sp))
		return cr_fail(e, EBADMSG, "pid %u: alternate signal stack "
			       "0x%" PRIx64 " of %" PRIu64 " bytes", c->pid,
			       (uint64_t)ss->altstack_sp,
			       (uint64_t)ss->altstack_size);
	return cr_chk_pending(c, e);
}

/* REGS and XSTATE: what ptrace would refuse to load. */
static int cr_chk_regs(const struct cr_chk *c, struct cr_err *e)
{
	if (c->t->xstate_size != c->h->xstate_size)
		return cr_fail(e, EBADMSG, "pid %u: XSTATE is %u bytes, the "
			       "header says %u", c->pid, c->t->xstate_size,
			       c->h->xstate_size);
	return cr_arch_check_regs(c->pid, &c->t->regs, c->t->xstate,
				  c->t->xstate_size, c->h->xfeatures, e);
}

/* MM: the PR_SET_MM_MAP rules, auxv up to AT_NULL, the executable. */
static int cr_chk_mm(const struct cr_chk *c, struct cr_err *e)
{
	const struct crfs_mm *mm = &c->t->mm;
	const uint64_t f[] = { mm->start_code, mm->end_code, mm->start_data,
			       mm->end_data, mm->start_brk, mm->brk,
			       mm->start_stack, mm->arg_start, mm->arg_end,
			       mm->env_start, mm->env_end };
	uint32_t n = mm->auxv_words;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i] >= CR_TASK_SIZE)
			return cr_fail(e, EBADMSG, "pid %u: mm field %zu: "
				       "0x%" PRIx64 " is not a user address",
				       c->pid, i, f[i]);
	if (mm->start_code >= mm->end_code || mm->start_data > mm->end_data ||
	    mm->start_brk > mm->brk || mm->arg_start > mm->arg_end ||
	    mm->env_start > mm->env_end)
		return cr_fail(e, EBADMSG, "pid %u: mm: code, data, brk, "
			       "arguments or environment end before they "
			       "start", c->pid);
	if (n < 2 || n % 2 || mm->auxv[n - 2] != CR_AT_NULL)
		return cr_fail(e, EBADMSG, "pid %u: auxv of %u words does not "
			       "end with AT_NULL", c->pid, n);
	for (uint32_t i = 0; i + 2 < n; i += 2)
		if (mm->auxv[i] == CR_AT_NULL)
			return cr_fail(e, EBADMSG, "pid %u: auxv: AT_NULL at "
				       "word %u of %u", c->pid, i, n);
	for (uint32_t i = n; i < CRFS_AUXV_WORDS; i++)
		if (mm->auxv[i])
			return cr_fail(e, EBADMSG, "pid %u: auxv: unused word "
				       "%u is not zero", c->pid, i);
	if (!cr_abs(c->t->exe))
		return cr_fail(e, EBADMSG, "pid %u: executable \"%.64s\" is "
			       "not an absolute path", c->pid,
			       c->t->exe ? c->t->exe : "");
	return 0;
}

/* One mapping, and its place after the one before (@prev, or NULL). */
static int cr_chk_vma(const struct cr_chk *c, const struct cr_vma_img *vi,
		      const struct cr_vma_img *prev, struct cr_err *e)
{
	const struct crfs_vma *v = &vi->v;
	uint64_t ps = c->h->page_size, start = v->start, end = v->end;
	const char *why = NULL;

	if (v->kind < CRFS_VMA_ANON || v->kind > CRFS_VMA_VSYSCALL)
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
	else if (v->kind == CRFS_VMA_FILE && !cr_abs(vi->path))
		why = "a file mapping without an absolute path";
	else if (v->kind != CRFS_VMA_FILE && vi->path)
		why = "a path on a mapping of no file";
	else if (v->kind == CRFS_VMA_FILE && (v->pgoff & (ps - 1)))
		why = "file offset not page-aligned";
	else if (v->kind == CRFS_VMA_FILE &&
		 (v->pgoff > INT64_MAX || end - start > INT64_MAX - v->pgoff))
		why = "file offset beyond what mmap() takes";
	else if ((v->flags & CRFS_VMA_F_GROWSDOWN) &&
		 ((v->kind != CRFS_VMA_ANON && v->kind != CRFS_VMA_STACK) ||
		  (v->flags & CRFS_VMA_F_SHARED)))
		why = "only private anonymous memory grows down";
	if (!why)
		return 0;
	return cr_fail(e, EBADMSG, "pid %u: mapping 0x%" PRIx64 "-0x%" PRIx64
		       " (kind %u): %s", c->pid, start, end, v->kind, why);
}

/* VMA: each mapping, sorted and apart. */
static int cr_chk_vmas(const struct cr_chk *c, struct cr_err *e)
{
	for (uint32_t i = 0; i < c->t->task.nr_vmas; i++) {
		int ret = cr_chk_vma(c, &c->t->vmas[i],
				     i ? &c->t->vmas[i - 1] : NULL, e);

		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The status flags a descriptor is opened with again (fdinfo's flags).
 * O_LARGEFILE as the kernel shows it: glibc defines it 0 on 64 bits.
 */
#define CR_O_LARGEFILE	0100000
#define CR_FD_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | \
			 O_DSYNC | O_DIRECT | O_NOATIME | CR_O_LARGEFILE | \
			 O_CLOEXEC)

/* Is @rdev one of the devices a checkpoint keeps (dump-files.c)? */
static bool cr_chr_ok(uint64_t rdev)
{
	static const struct { unsigned int major, minor; } ok[] = {
		{ 1, 3 }, { 1, 5 }, { 1, 8 }, { 1, 9 },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (major(rdev) == ok[i].major && minor(rdev) == ok[i].minor)
			return true;
	return false;
}

/*
 * FD: known kinds with absolute paths, sorted, numbers a descriptor can
 * have.  Not bounded by the image's own RLIMIT_NOFILE: a process may lower
 * it below a descriptor it holds, and the restore sets the limits last;
 * what this restorer can open is a check of the machine
 * (cr_rst_task_fits()).
 */
static int cr_chk_fds(const struct cr_chk *c, struct cr_err *e)
{
	for (uint32_t i = 0; i < c->t->task.nr_fds; i++) {
		const struct cr_fd_img *fi = &c->t->fds[i];
		const struct crfs_fd *f = &fi->f;
		const char *why = NULL;

		if (f->kind != CRFS_FD_REG && f->kind != CRFS_FD_CHR)
			why = "unknown kind";
		else if (!cr_abs(fi->path))
			why = "no absolute path";
		else if (i && c->t->fds[i - 1].f.fd >= f->fd)
			why = "not above the descriptor before it";
		else if (f->fd >= INT32_MAX)
			why = "not a descriptor number";
		else if (f->cloexec > 1)
			why = "close-on-exec neither 0 nor 1";
		else if (f->kind == CRFS_FD_REG && f->pos > INT64_MAX)
			why = "a position lseek() cannot take";
		else if ((f->kind == CRFS_FD_REG && !S_ISREG(f->mode)) ||
			 (f->kind == CRFS_FD_CHR && !S_ISCHR(f->mode)))
			why = "its mode does not match its kind";
		else if (f->flags & ~CR_FD_FLAGS || (f->flags & O_ACCMODE) ==
			 O_ACCMODE)
			why = "status flags a restore cannot open it with";
		else if (f->kind == CRFS_FD_CHR && !cr_chr_ok(f->rdev))
			why = "a device other than /dev/null, /dev/zero, "
			      "/dev/random, /dev/urandom";
		if (why)
			return cr_fail(e, EBADMSG, "pid %u: fd %u (kind %u): "
				       "%s", c->pid, f->fd, f->kind, why);
	}
	return 0;
}

/*
 * The rules about one process: the mappings before TASK, which looks up
 * its rseq area in them, and RLIMITS before FD.
 */
static int (*const cr_task_rules[])(const struct cr_chk *c,
				    struct cr_err *e) = {
	cr_chk_vmas, cr_chk_task, cr_chk_creds, cr_chk_fs, cr_chk_rlimits,
	cr_chk_signals, cr_chk_regs, cr_chk_mm, cr_chk_fds,
};

int cr_img_check_task(const struct crfs_image_hdr *h,
		      const struct cr_task_img *t, struct cr_err *e)
{
	struct cr_chk c = { h, t, t->task.pid };
	int ret = 0;

	for (size_t i = 0; !ret && i < sizeof(cr_task_rules) /
	     sizeof(cr_task_rules[0]); i++)
		ret = cr_task_rules[i](&c, e);
	return ret;
}

int cr_img_check_pages(struct cr_img_walk *w, const void *payload,
		       struct cr_err *e)
{
	const struct cr_task_img *t = &w->t;
	uint64_t ps = w->hdr.page_size, addr, end;
	struct crfs_pages p;
	uint32_t i = w->vma_cur;
	const char *why = NULL;

	cr_img_pages_get(payload, &p);
	addr = p.vaddr;
	/* The codec checked: 1 to CR_PAGES_PER_REC pages, page-aligned. */
	end = addr + p.nr_pages * ps;
	if (end < addr)
		why = "the range wraps around";
	else if (end > CR_TASK_SIZE)
		why = "beyond the user address space";
	else if (addr < w->next)
		why = "below the end of the page data before it";
	while (!why && addr < end) {
		/* Records ascend: the mapping index only moves forward. */
		while (i < t->task.nr_vmas && t->vmas[i].v.end <= addr)
			i++;
		if (i == t->task.nr_vmas || t->vmas[i].v.start > addr)
			why = "outside every mapping of the image";
		else if (!cr_img_vma_filled(&t->vmas[i].v))
			why = "in a mapping restored without data";
		else if (addr == p.vaddr)
			w->pages.vma = i;
		addr = i < t->task.nr_vmas ? t->vmas[i].v.end : end;
	}
	if (why)
		return cr_fail(e, EBADMSG, "pid %u: page data for 0x%" PRIx64
			       "-0x%" PRIx64 ": %s", t->task.pid,
			       (uint64_t)p.vaddr, end, why);
	w->pages.vaddr = p.vaddr;
	w->pages.nr_pages = p.nr_pages;
	w->pages.data = cr_img_pages_data((void *)payload);
	w->next = end;
	w->vma_cur = i;
	return 0;
}

/* The record @rh, just read (not END), in a message. */
static int cr_walk_fail(struct cr_img_walk *w, const struct crfs_rec_hdr *rh,
			const char *why, struct cr_err *e)
{
	return cr_fail(e, EBADMSG, "record %" PRIu64 " (%s) at offset %"
		       PRIu64 ": %s", w->img->nr_records,
		       cr_img_rec_name(rh->type),
		       w->img->off - (uint64_t)rh->len - sizeof(*rh), why);
}

int cr_img_walk_begin(struct cr_img_walk *w, struct cr_img *img,
		      struct cr_err *e)
{
	int ret;

	memset(w, 0, sizeof(*w));
	w->img = img;
	ret = cr_img_read_hdr(img, &w->hdr, e);
	if (!ret)
		ret = cr_img_check_image(&w->hdr, e);
	return ret;
}

/* Decode and check the process whose TASK payload is @p. */
static int cr_walk_task(struct cr_img_walk *w, const void *p, uint64_t len,
			struct cr_err *e)
{
	int ret;

	if (w->have_task) {
		cr_task_img_free(&w->t);
		w->have_task = false;
	}
	if (++w->nr_tasks > w->hdr.nr_tasks)
		return cr_fail(e, EBADMSG, "the image holds more processes "
			       "than its header says (%u)", w->hdr.nr_tasks);
	ret = cr_task_img_read(w->img, p, len, &w->t, e);
	if (ret)
		return ret;
	w->have_task = true;
	memset(&w->pages, 0, sizeof(w->pages));
	w->next = 0;
	w->vma_cur = 0;
	ret = cr_img_check_task(&w->hdr, &w->t, e);
	return ret ? ret : CR_WALK_TASK;
}

int cr_img_walk_next(struct cr_img_walk *w, struct cr_err *e)
{
	struct crfs_rec_hdr rh;
	void *p;
	int ret;

	if (w->held) {		/* the TASK after a CR_WALK_TASK_END */
		p = w->held;
		w->held = NULL;
		return cr_walk_task(w, p, w->held_len, e);
	}
	if (w->ended) {		/* the END after a CR_WALK_TASK_END */
		w->have_task = false;
		goto out_end;
	}
	ret = cr_img_read_rec(w->img, &rh, &p, e);
	if (ret)
		return ret;
	switch (rh.type) {
	case CRFS_REC_TASK:
		if (!w->have_task)
			return cr_walk_task(w, p, rh.len, e);
		w->held = p;	/* valid until the next read */
		w->held_len = rh.len;
		return CR_WALK_TASK_END;
	case CRFS_REC_PAGES:
		if (!w->have_task)
			return cr_walk_fail(w, &rh, "before any process", e);
		ret = cr_img_check_pages(w, p, e);
		return ret ? ret : CR_WALK_PAGES;
	case CRFS_REC_END:
		memcpy(&w->end, p, sizeof(w->end));
		w->ended = true;
		if (w->have_task)
			return CR_WALK_TASK_END;
		goto out_end;
	}
	return cr_walk_fail(w, &rh, w->have_task ? "out of order" :
			    "before any process", e);

out_end:
	if (w->nr_tasks != w->hdr.nr_tasks)
		return cr_fail(e, EBADMSG, "the image holds %u processes, its "
			       "header says %u", w->nr_tasks,
			       w->hdr.nr_tasks);
	return CR_WALK_END;
}

void cr_img_walk_fini(struct cr_img_walk *w)
{
	cr_task_img_free(&w->t);
	w->have_task = false;
	w->held = NULL;
}
