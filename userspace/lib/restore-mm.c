// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The memory of a restored process.  The process cannot unmap the code it
 * runs, so its tracer does it by syscall injection: a scratch area is
 * mapped where neither the current nor the image layout has anything, the
 * injection gadget moves there, everything else is unmapped, the vdso and
 * the image's mappings are created (writable), the page data is written
 * with process_vm_writev(), protections and the mm layout are set, and
 * the scratch area goes last, by a call from its own syscall instruction.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <linux/prctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "restore.h"
#include "proc.h"

#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE		0x08	/* Linux 6.11 */
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102	/* Linux 6.13 */
#define MADV_GUARD_REMOVE	103
#endif

/* The instructions at the start of the scratch area: syscall; int3. */
static const unsigned char cr_scratch_code[] = { 0x0f, 0x05, 0xcc };

int cr_rst_syscall(struct cr_rst *r, long nr, const unsigned long a[6],
		   long *ret, struct cr_err *e)
{
	/* The calls queued before it run first (restore-queue.c). */
	int rc = cr_rst_flush(r, e);

	return rc ? rc : cr_infect_syscall(&r->inf, nr, a, ret, e);
}

int cr_rst_poke(struct cr_rst *r, size_t off, const void *buf, size_t len,
		unsigned long *addr, struct cr_err *e)
{
	struct iovec local = { (void *)buf, len }, remote;
	unsigned long at = r->scratch + CR_RST_DATA_OFF + off;
	int rc;

	/* A queued call may point at what lies there: it runs first. */
	rc = cr_rst_flush(r, e);
	if (rc)
		return rc;
	if (!r->scratch || CR_RST_DATA_OFF + off + len > r->scratch_size)
		return cr_fail(e, E2BIG, "pid %d: %zu bytes do not fit the scratch area",
			       r->pid, len);
	remote.iov_base = (void *)at;
	remote.iov_len = len;
	if (process_vm_writev(r->pid, &local, 1, &remote, 1, 0) != (ssize_t)len)
		return cr_fail(e, errno, "pid %d: cannot write at %#lx: %m",
			       r->pid, at);
	*addr = at;
	return 0;
}

/* A call that must succeed; @fmt names it on failure. */
static int __attribute__((format(printf, 6, 7)))
cr_mm_call(struct cr_rst *r, long nr, const unsigned long a[6], long *retp,
	   struct cr_err *e, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	long ret;
	int rc;

	rc = cr_rst_syscall(r, nr, a, &ret, e);
	if (rc)
		return rc;
	if (retp)
		*retp = ret;
	if (ret < 0 && ret > -4096) {
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		return cr_fail(e, -ret, "pid %d: %s: %s", r->pid, what,
			       strerror(-ret));
	}
	return 0;
}

/* Is the mapping restored through mmap() (not vdso, vvar, vsyscall)? */
static bool cr_vma_mapped(const struct cr_vma *vi)
{
	return vi->v.kind == CRFS_VMA_ANON || vi->v.kind == CRFS_VMA_FILE ||
	       vi->v.kind == CRFS_VMA_HEAP || vi->v.kind == CRFS_VMA_STACK ||
	       vi->v.kind == CRFS_VMA_SHMEM || vi->v.kind == CRFS_VMA_SYSV;
}

/* Where the scratch area goes when that is free (any free spot will do). */
#define CR_SCRATCH_HINT		0x10000000UL
/* Room kept free on either side of it: a stack guard gap. */
#define CR_SCRATCH_GAP		(256 * 4096UL)

/*
 * Both layouts are sorted: one walk over the two in address order visits
 * every gap once, O(n).
 */
unsigned long cr_rst_scratch_addr(const struct cr_mm *mm,
				  const struct cr_proc_map *cur, int nr_cur,
				  size_t size)
{
	const unsigned long room = CR_SCRATCH_GAP + size + CR_SCRATCH_GAP;
	uint64_t busy = 0, start, end;	/* everything below @busy is taken */
	unsigned long found = 0;
	uint32_t i = 0;
	int j = 0;

	for (;;) {
		bool img = i < mm->nr_vmas &&
			   (j >= nr_cur || mm->vmas[i].v.start < cur[j].start);

		if (img) {
			start = mm->vmas[i].v.start;
			end = mm->vmas[i++].v.end;
		} else if (j < nr_cur) {
			start = cur[j].start;
			end = cur[j++].end;
		} else {
			start = end = CR_TASK_SIZE;	/* the top */
		}
		if (start > busy && start - busy >= room) {
			unsigned long lo = busy + CR_SCRATCH_GAP;

			/* The hint when this gap holds it, else the gap's start. */
			if (CR_SCRATCH_HINT >= lo &&
			    CR_SCRATCH_HINT + size + CR_SCRATCH_GAP <= start)
				return CR_SCRATCH_HINT;
			if (!found && lo >= CR_SCRATCH_HINT / 16)
				found = lo;
		}
		if (start >= CR_TASK_SIZE)
			return found;
		if (end > busy)
			busy = end;
	}
}

/* A syscall instruction to start injecting from: the one that stopped us. */
static unsigned long cr_first_gadget(pid_t pid, const struct cr_proc_map *cur,
				     int nr_cur)
{
	struct user_regs_struct regs;
	unsigned char insn[2];
	struct iovec local = { insn, 2 }, remote;
	int j;

	if (!ptrace(PTRACE_GETREGS, pid, NULL, &regs)) {
		remote.iov_base = (void *)(regs.rip - 2);
		remote.iov_len = 2;
		if (process_vm_readv(pid, &local, 1, &remote, 1, 0) == 2 &&
		    insn[0] == 0x0f && insn[1] == 0x05)
			return regs.rip - 2;
	}
	for (j = 0; j < nr_cur; j++)
		if (!strcmp(cur[j].path, "[vdso]"))
			return cr_arch_find_syscall(pid, cur[j].start,
						    cur[j].end);
	return 0;
}

#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION	0x420f
#endif
#define CR_RSEQ_FLAG_UNREGISTER		1

/* As struct ptrace_rseq_configuration (linux/ptrace.h clashes with libc). */
struct cr_rseq_conf {
	uint64_t	ptr;
	uint32_t	size, sig, flags, pad;
};

/*
 * Unregister the rseq area the restorer's libc registered: once its memory
 * is gone the kernel would fault writing the cpu number there.
 */
static int cr_mm_rseq_off(struct cr_rst *r, struct cr_err *e)
{
	struct cr_rseq_conf rs = { 0 };

	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, r->pid,
		   (void *)sizeof(rs), &rs) < 0)
		return cr_fail(e, errno, "pid %d: cannot read the rseq area: %m",
			       r->pid);
	if (!rs.ptr)
		return 0;
	return cr_mm_call(r, SYS_rseq,
			  CR_ARGS(rs.ptr, rs.size, CR_RSEQ_FLAG_UNREGISTER,
				  rs.sig), NULL, e,
			  "cannot unregister the rseq area");
}

/* Map the scratch area and move the injection gadget into it. */
static int cr_mm_scratch(struct cr_rst *r, struct cr_err *e)
{
	struct cr_proc_map *cur;
	unsigned long at, gadget;
	struct iovec local, remote;
	int nr, rc;
	long ret;

	nr = cr_proc_layout(r->pid, &cur, e);
	if (nr < 0)
		return nr;
	/* Room for the largest poke too: the supplementary groups. */
	r->scratch_size = CR_RST_SCRATCH_PAGES * r->page_size +
			  ((r->task->creds.ngroups * sizeof(uint32_t) +
			    r->page_size - 1) & ~(r->page_size - 1UL));
	at = cr_rst_scratch_addr(r->mm, cur, nr, r->scratch_size);
	gadget = cr_first_gadget(r->pid, cur, nr);
	cr_proc_maps_free(cur, nr);
	if (!at)
		return cr_fail(e, ENOMEM, "pid %d: no room for the scratch area",
			       r->pid);
	rc = cr_infect_init(&r->inf, r->pid, gadget, e);
	if (!rc)
		rc = cr_mm_rseq_off(r, e);
	if (rc)
		return rc;
	rc = cr_rst_syscall(r, SYS_mmap,
			    CR_ARGS(at, r->scratch_size,
				    PROT_READ | PROT_WRITE | PROT_EXEC,
				    MAP_PRIVATE | MAP_ANONYMOUS |
				    MAP_FIXED_NOREPLACE, -1UL, 0), &ret, e);
	if (rc)
		return rc;
	if ((unsigned long)ret != at)
		return cr_fail(e, ret < 0 ? -ret : EEXIST,
			       "pid %d: cannot map the scratch area at %#lx: %s",
			       r->pid, at, strerror(ret < 0 ? -ret : EEXIST));
	local.iov_base = (void *)cr_scratch_code;
	local.iov_len = sizeof(cr_scratch_code);
	remote.iov_base = (void *)at;
	remote.iov_len = sizeof(cr_scratch_code);
	if (process_vm_writev(r->pid, &local, 1, &remote, 1, 0) !=
	    sizeof(cr_scratch_code))
		return cr_fail(e, errno, "pid %d: cannot write the scratch area: %m",
			       r->pid);
	r->scratch = at;
	r->inf.gadget = at;
	/* Nothing runs on it, but keep the stack pointer on mapped memory. */
	r->inf.saved.rsp = at + r->scratch_size - 128;
	return 0;
}

/* Map the vdso where the image had it and check it came out the same. */
static int cr_mm_vdso(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_mm *mm = r->mm;
	unsigned long base = 0;
	struct cr_proc_map *cur;
	uint32_t i, want = 0;
	int j, nr, rc = 0, found = 0;

	for (i = 0; i < mm->nr_vmas; i++) {
		const struct crfs_vma *v = &mm->vmas[i].v;

		if (v->kind != CRFS_VMA_VDSO && v->kind != CRFS_VMA_VVAR)
			continue;
		if (!base || v->start < base)
			base = v->start;	/* the lowest: [vvar] */
		want++;
	}
	if (!want)
		return 0;
	rc = cr_mm_call(r, SYS_arch_prctl, CR_ARGS(ARCH_MAP_VDSO_64, base),
			NULL, e, "cannot map the vdso at %#lx", base);
	if (rc)
		return rc;
	nr = cr_proc_layout(r->pid, &cur, e);
	if (nr < 0)
		return nr;
	for (j = 0; j < nr && !rc; j++) {
		bool vdso = !strcmp(cur[j].path, "[vdso]");

		if (!vdso && strncmp(cur[j].path, "[vvar", 5))
			continue;
		for (i = 0; i < mm->nr_vmas; i++) {
			const struct crfs_vma *v = &mm->vmas[i].v;

			if (v->start == cur[j].start && v->end == cur[j].end &&
			    v->kind == (vdso ? CRFS_VMA_VDSO : CRFS_VMA_VVAR))
				break;
		}
		if (i == mm->nr_vmas)
			rc = cr_fail(e, EOPNOTSUPP,
				     "pid %d: %s came out at %#llx-%#llx, which the image does not have (another kernel?)",
				     r->pid, cur[j].path,
				     (unsigned long long)cur[j].start,
				     (unsigned long long)cur[j].end);
		found++;
	}
	if (!rc && found != (int)want)
		rc = cr_fail(e, EOPNOTSUPP,
			     "pid %d: the vdso has %d mappings, the image %u (another kernel?)",
			     r->pid, found, want);
	cr_proc_maps_free(cur, nr);
	return rc;
}

/*
 * Does SHMEM @s need a file of its own to map (cr_mm_shmem_open())?  One
 * mapping of all of it from its start is just MAP_SHARED | MAP_ANONYMOUS,
 * which makes a new object of its size; others map parts of one object.
 */
static bool cr_shmem_plain(const struct cr_shmem *s, const struct cr_vma *vi)
{
	return s->nr_vmas == 1 && !vi->v.pgoff &&
	       vi->v.end - vi->v.start == s->s.size;
}

/*
 * Make the object of SHMEM @s and open it in the process: a shared
 * anonymous mapping of its size anywhere, its file opened through
 * /proc/self/map_files (the process is still root), the mapping dropped.
 * Its mappings are then made from that descriptor (cr_mm_map()).  The
 * object is charged to the commit limit as the mapping @vi that made it
 * was: not when MAP_NORESERVE (the mappings of one object inherit it).
 */
static int cr_mm_shmem_open(struct cr_rst *r, const struct cr_shmem *s,
			    const struct cr_vma *vi, struct cr_err *e)
{
	int flags = MAP_SHARED | MAP_ANONYMOUS, rc;
	unsigned long path;
	char name[96];
	long at, fd;

	if (vi->v.flags & CRFS_VMA_F_NORESERVE)
		flags |= MAP_NORESERVE;
	rc = cr_mm_call(r, SYS_mmap, CR_ARGS(0, s->s.size,
			PROT_READ | PROT_WRITE, flags, -1UL, 0), &at, e,
			"shmem %u: cannot make it", s->s.id);
	if (rc)
		return rc;
	snprintf(name, sizeof(name), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)at, (unsigned long)(at + s->s.size));
	rc = cr_rst_poke(r, 0, name, strlen(name) + 1, &path, e);
	if (!rc)
		rc = cr_mm_call(r, SYS_openat, CR_ARGS((unsigned long)AT_FDCWD,
				path, O_RDWR | O_CLOEXEC), &fd, e,
				"shmem %u: cannot open %s", s->s.id, name);
	if (!rc)
		r->shmem_fd[s - r->m->shmems] = fd;
	if (!rc)
		rc = cr_mm_call(r, SYS_munmap, CR_ARGS(at, s->s.size), NULL, e,
				"shmem %u: cannot unmap %s", s->s.id, name);
	return rc;
}

/*
 * Open SHMEM @s, made by a process restored before, from the restorer's
 * copy of it (/proc/<restorer>/fd/N: the process is still root).
 */
static int cr_mm_shmem_reopen(struct cr_rst *r, const struct cr_shmem *s,
			      struct cr_err *e)
{
	uint32_t k = s - r->m->shmems;
	unsigned long path;
	char name[64];
	long fd;
	int rc;

	snprintf(name, sizeof(name), "/proc/%d/fd/%d", (int)getpid(),
		 r->tree->shm_fd[k]);
	rc = cr_rst_poke(r, 0, name, strlen(name) + 1, &path, e);
	if (!rc)
		rc = cr_mm_call(r, SYS_openat, CR_ARGS((unsigned long)AT_FDCWD,
				path, O_RDWR | O_CLOEXEC), &fd, e,
				"shmem %u: cannot open %s", s->s.id, name);
	if (!rc)
		r->shmem_fd[k] = fd;
	return rc;
}

/* The objects of the SHMEM mappings that need one made first. */
static int cr_mm_shmems(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_mm *mm = r->mm;
	int rc = 0;

	r->shmem_fd = malloc((r->m->nr_shmems + 1) * sizeof(*r->shmem_fd));
	if (!r->shmem_fd)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < r->m->nr_shmems; i++)
		r->shmem_fd[i] = -1;
	for (uint32_t i = 0; !rc && i < mm->nr_vmas; i++) {
		const struct cr_vma *vi = &mm->vmas[i];
		uint32_t k = vi->shmem ? vi->shmem - r->m->shmems : 0;

		if (!vi->shmem || cr_shmem_plain(vi->shmem, vi) ||
		    r->shmem_fd[k] >= 0)
			continue;
		if (r->tree && r->tree->shm_fd[k] >= 0)
			rc = cr_mm_shmem_reopen(r, vi->shmem, e);
		else
			rc = cr_mm_shmem_open(r, vi->shmem, vi, e);
		/* Mapped by another process too: the restorer keeps it. */
		if (!rc && r->tree && r->tree->shm_many[k] &&
		    r->tree->shm_fd[k] < 0) {
			r->tree->shm_fd[k] = syscall(SYS_pidfd_getfd, r->pidfd,
						     r->shmem_fd[k], 0);
			if (r->tree->shm_fd[k] < 0)
				rc = cr_fail(e, errno, "pid %d: shmem %u: cannot take it for the other processes that map it: %m",
					     r->pid, vi->shmem->s.id);
		}
	}
	return rc;
}

/* Close what cr_mm_shmems() opened, once every mapping is made. */
static int cr_mm_shmems_close(struct cr_rst *r, struct cr_err *e)
{
	int rc = 0;

	for (uint32_t i = 0; !rc && i < r->m->nr_shmems; i++)
		if (r->shmem_fd[i] >= 0) {
			rc = cr_mm_call(r, SYS_close, CR_ARGS(r->shmem_fd[i]),
					NULL, e, "shmem %u: cannot close it",
					r->m->shmems[i].s.id);
			r->shmem_fd[i] = -1;
		}
	return rc;
}

/* What madvise() sets each CRFS_VMA_A_* bit with. */
static const struct {
	uint32_t	advice;
	int		madv;
	const char	*name;
} cr_mm_advice[] = {
	{ CRFS_VMA_A_DONTFORK,	MADV_DONTFORK,		"MADV_DONTFORK" },
	{ CRFS_VMA_A_DONTDUMP,	MADV_DONTDUMP,		"MADV_DONTDUMP" },
	{ CRFS_VMA_A_WIPEONFORK, MADV_WIPEONFORK,	"MADV_WIPEONFORK" },
	{ CRFS_VMA_A_HUGEPAGE,	MADV_HUGEPAGE,		"MADV_HUGEPAGE" },
	{ CRFS_VMA_A_NOHUGEPAGE, MADV_NOHUGEPAGE,	"MADV_NOHUGEPAGE" },
	{ CRFS_VMA_A_MERGEABLE,	MADV_MERGEABLE,		"MADV_MERGEABLE" },
	{ CRFS_VMA_A_SEQ_READ,	MADV_SEQUENTIAL,	"MADV_SEQUENTIAL" },
	{ CRFS_VMA_A_RAND_READ,	MADV_RANDOM,		"MADV_RANDOM" },
};

#define CR_MM_NR_ADVICE		(sizeof(cr_mm_advice) / sizeof(cr_mm_advice[0]))

/* The commit charge is taken by mprotect() in pieces of at most this. */
#define CR_ACCOUNT_CHUNK	(1UL << 30)

/*
 * Is @v a private mapping charged to the commit limit ("ac") but not
 * writable?  It is mapped writable (which charges it) and protected
 * back by cr_rst_mm_finish().
 */
static bool cr_mm_charged_ro(const struct crfs_vma *v)
{
	return (v->flags & CRFS_VMA_F_ACCOUNT) && !(v->prot & PROT_WRITE) &&
	       !(v->flags & CRFS_VMA_F_SHARED);
}

/*
 * Charge @v to the commit limit as it was: mprotect() it writable, piece
 * by piece, so that a large mapping charged bit by bit before the
 * checkpoint (and merged since) passes the heuristic overcommit check,
 * which refuses any one request above RAM and swap.
 */
static int cr_mm_charge(struct cr_rst *r, const struct crfs_vma *v,
			struct cr_err *e)
{
	for (uint64_t at = v->start; at < v->end; at += CR_ACCOUNT_CHUNK) {
		uint64_t len = v->end - at < CR_ACCOUNT_CHUNK ?
			       v->end - at : CR_ACCOUNT_CHUNK;
		int rc = cr_mm_call(r, SYS_mprotect,
				    CR_ARGS(at, len, v->prot | PROT_WRITE),
				    NULL, e,
				    "mapping %#llx-%#llx: cannot charge it to the commit limit",
				    (unsigned long long)v->start,
				    (unsigned long long)v->end);

		if (rc)
			return rc;
	}
	return 0;
}

/*
 * "gu", which a mapping keeps once it had a guard region: install one on
 * its first page and remove it, before the page data and before mlock
 * (a locked mapping takes no guard).
 */
static int cr_mm_maybe_guard(struct cr_rst *r, const struct crfs_vma *v,
			     struct cr_err *e)
{
	int rc;

	rc = cr_mm_call(r, SYS_madvise,
			CR_ARGS(v->start, r->page_size, MADV_GUARD_INSTALL),
			NULL, e, "mapping %#llx-%#llx: MADV_GUARD_INSTALL",
			(unsigned long long)v->start,
			(unsigned long long)v->end);
	if (!rc)
		rc = cr_mm_call(r, SYS_madvise,
				CR_ARGS(v->start, r->page_size,
					MADV_GUARD_REMOVE), NULL, e,
				"mapping %#llx-%#llx: MADV_GUARD_REMOVE",
				(unsigned long long)v->start,
				(unsigned long long)v->end);
	return rc;
}

/*
 * Give a new mapping the VmFlags mmap() does not: "gu", the madvise()
 * flags, mlock (MLOCK_ONFAULT for "lf"; see mm_fits_locked()), the commit
 * charge of a read-only private mapping once writable, and the name of
 * anonymous memory.
 */
static int cr_mm_vmflags(struct cr_rst *r, const struct cr_vma *vi,
			 struct cr_err *e)
{
	const struct crfs_vma *v = &vi->v;
	unsigned long len = v->end - v->start, name;
	int rc = 0;

	if (v->flags & CRFS_VMA_F_MAYBE_GUARD)
		rc = cr_mm_maybe_guard(r, v, e);
	if (!rc && cr_mm_charged_ro(v))
		rc = cr_mm_charge(r, v, e);
	for (size_t i = 0; !rc && i < CR_MM_NR_ADVICE; i++)
		if (v->advice & cr_mm_advice[i].advice)
			rc = cr_mm_call(r, SYS_madvise,
					CR_ARGS(v->start, len,
						cr_mm_advice[i].madv), NULL, e,
					"mapping %#llx-%#llx: %s",
					(unsigned long long)v->start,
					(unsigned long long)v->end,
					cr_mm_advice[i].name);
	if (!rc && (v->flags & CRFS_VMA_F_LOCKED))
		rc = cr_mm_call(r, SYS_mlock2,
				CR_ARGS(v->start, len,
					v->flags & CRFS_VMA_F_LOCKONFAULT ?
					MLOCK_ONFAULT : 0), NULL, e,
				"mapping %#llx-%#llx: cannot lock it",
				(unsigned long long)v->start,
				(unsigned long long)v->end);
	if (!rc && vi->name) {
		rc = cr_rst_poke(r, 0, vi->name, strlen(vi->name) + 1, &name,
				 e);
		if (!rc)
			rc = cr_mm_call(r, SYS_prctl,
					CR_ARGS(PR_SET_VMA,
						PR_SET_VMA_ANON_NAME,
						v->start, len, name), NULL, e,
					"mapping %#llx-%#llx: cannot name it %s",
					(unsigned long long)v->start,
					(unsigned long long)v->end, vi->name);
	}
	return rc;
}

/*
 * Create one mapping of the image with its own protection and VmFlags
 * (cr_mm_vmflags()): only what was MAP_NORESERVE is mapped so; a
 * read-only private mapping is charged as it was, and its page data is
 * written through /proc/PID/mem (cr_mm_poke_pages()); a read-only shared
 * one is made writable only while its pages are written
 * (cr_mm_writable()).  A file is mapped from the descriptor the process
 * opened and checked for itself (restore-files.c), never by path; a
 * shared memory object from its own descriptor, or as a new one.
 */
static int cr_mm_map_args(struct cr_rst *r, const struct cr_vma *vi,
			  unsigned long a[6], struct cr_err *e)
{
	const struct crfs_vma *v = &vi->v;
	bool shared = v->flags & CRFS_VMA_F_SHARED;
	int flags = MAP_FIXED_NOREPLACE;
	long fd = -1;

	if (v->flags & CRFS_VMA_F_DROPPABLE)
		flags |= MAP_DROPPABLE;	/* private anonymous (img-check.c) */
	else
		flags |= shared ? MAP_SHARED : MAP_PRIVATE;
	if (v->flags & CRFS_VMA_F_NORESERVE)
		flags |= MAP_NORESERVE;
	if (v->kind == CRFS_VMA_FILE) {
		int32_t k = r->files.vma_file[vi - r->mm->vmas];

		if (k < 0)
			return cr_fail(e, EINVAL, "pid %d: mapping %#llx-%#llx: no file",
				       r->pid, (unsigned long long)v->start,
				       (unsigned long long)v->end);
		fd = r->files.f[k].fd;
	} else if (vi->shmem && !cr_shmem_plain(vi->shmem, vi)) {
		fd = r->shmem_fd[vi->shmem - r->m->shmems];
	} else {
		flags |= MAP_ANONYMOUS;
		if (v->flags & CRFS_VMA_F_GROWSDOWN)
			flags |= MAP_GROWSDOWN;
	}
	a[0] = v->start;
	a[1] = v->end - v->start;
	a[2] = v->prot;
	a[3] = flags;
	a[4] = fd;
	a[5] = v->pgoff;
	return 0;
}

/* Did the mmap() of @vi give @ret, its start?  Else say why not. */
static int cr_mm_mapped(const struct cr_rst *r, const struct cr_vma *vi,
			long ret, struct cr_err *e)
{
	const struct crfs_vma *v = &vi->v;

	if ((unsigned long)ret == v->start)
		return 0;
	return cr_fail(e, ret < 0 && ret > -4096 ? -ret : EEXIST,
		       "pid %d: cannot map %#llx-%#llx%s%s: %s", r->pid,
		       (unsigned long long)v->start,
		       (unsigned long long)v->end, vi->file ? " " : "",
		       vi->file ? vi->file->path : "",
		       strerror(ret < 0 && ret > -4096 ? -ret : EEXIST));
}

static int cr_mm_map(struct cr_rst *r, const struct cr_vma *vi,
		     struct cr_err *e)
{
	unsigned long a[6];
	long ret;
	int rc = cr_mm_map_args(r, vi, a, e);

	if (!rc)
		rc = cr_rst_syscall(r, SYS_mmap, a, &ret, e);
	if (!rc)
		rc = cr_mm_mapped(r, vi, ret, e);
	return rc ? rc : cr_mm_vmflags(r, vi, e);
}

/*
 * The mappings made by one mmap() and nothing more (no guard, no charge,
 * no advice, no lock, no name: cr_mm_vmflags() has nothing to do), most
 * of them, are made in batches of injected calls: one stop for up to
 * CR_MM_BATCH of them, not two a mapping.  The runner and its table are
 * in the scratch area's last page (restore-threads.c puts its own there
 * later, after these).
 */
#define CR_MM_BATCH	48
#define CR_MM_CODE(r)	((r)->scratch + (r)->scratch_size - 4096)
#define CR_MM_TABLE(r)	(CR_MM_CODE(r) + 256)

struct cr_mm_batch {
	struct cr_infect_call	c[CR_MM_BATCH];
	const struct cr_vma	*vi[CR_MM_BATCH];
	int			n;
	bool			code;	/* the runner is written */
};

/* Is @vi made by its mmap() alone? */
static bool cr_mm_plain(const struct cr_vma *vi)
{
	const struct crfs_vma *v = &vi->v;

	return v->kind != CRFS_VMA_SYSV && !v->advice && !vi->name &&
	       !(v->flags & (CRFS_VMA_F_MAYBE_GUARD | CRFS_VMA_F_LOCKED)) &&
	       !cr_mm_charged_ro(v);
}

/* Run the mmap() calls of @b (one by one if the batch cannot run). */
static int cr_mm_flush(struct cr_rst *r, struct cr_mm_batch *b,
		       struct cr_err *e)
{
	struct iovec local = { (void *)cr_arch_batch_code,
			       cr_arch_batch_code_size };
	struct iovec remote = { (void *)CR_MM_CODE(r),
				cr_arch_batch_code_size };
	int done = -EAGAIN, n = b->n, rc = 0;

	_Static_assert(256 + CR_MM_BATCH * sizeof(struct cr_infect_call) +
		       128 <= 4096, "the batch fits the scratch area's end");
	b->n = 0;
	if (!n)
		return 0;
	if (!b->code && cr_arch_batch_code_size <= 256 &&
	    process_vm_writev(r->pid, &local, 1, &remote, 1, 0) ==
	    (ssize_t)cr_arch_batch_code_size)
		b->code = true;
	if (b->code)
		done = cr_rst_batch(r, CR_MM_CODE(r), CR_MM_TABLE(r), b->c, n,
				    e);
	if (done == -EAGAIN)
		for (done = 0; done < n; done++) {
			rc = cr_rst_syscall(r, b->c[done].nr,
					    (unsigned long *)b->c[done].a,
					    &b->c[done].ret, e);
			if (rc)
				return rc;
			if (b->c[done].ret < 0 && b->c[done].ret > -4096)
				break;
		}
	if (done < 0)
		return done;
	for (int i = 0; !rc && i < n && i <= done; i++)
		rc = cr_mm_mapped(r, b->vi[i], b->c[i].ret, e);
	return rc;
}

/* Add the mmap() of plain @vi to @b, running it when it is full. */
static int cr_mm_map_batched(struct cr_rst *r, struct cr_mm_batch *b,
			     const struct cr_vma *vi, struct cr_err *e)
{
	unsigned long a[6];
	int rc = cr_mm_map_args(r, vi, a, e);

	if (rc)
		return rc;
	b->c[b->n] = (struct cr_infect_call){ .nr = SYS_mmap };
	memcpy(b->c[b->n].a, a, sizeof(a));
	b->vi[b->n++] = vi;
	return b->n == CR_MM_BATCH ? cr_mm_flush(r, b, e) : 0;
}

/*
 * Attach SysV segment mapping @vi as it was, in the container's IPC
 * namespace (the process's): the whole segment at its place, read-only
 * if it was attached so; a part of it (split by mprotect(), or partly
 * unmapped) by attaching the whole elsewhere, its place held meanwhile,
 * moving the part there and detaching the rest (each piece is an
 * attachment of its own to the kernel, as after a split).
 */
static int cr_mm_attach(struct cr_rst *r, const struct cr_vma *vi,
			struct cr_err *e)
{
	const struct crfs_vma *v = &vi->v;
	unsigned long len = v->end - v->start;
	unsigned long span = cr_ipc_shm_span(vi->ipc, r->page_size);
	bool whole = !v->pgoff && len == span;
	int flags = v->flags & CRFS_VMA_F_SHM_RDONLY ? SHM_RDONLY : 0;
	int prot = PROT_READ | (flags ? 0 : PROT_WRITE), id = vi->ipc->i.ipc_id;
	long at;
	int rc = 0;

	if (v->prot & PROT_EXEC) {
		flags |= SHM_EXEC;
		prot |= PROT_EXEC;
	}
	if (!whole)
		rc = cr_mm_call(r, SYS_mmap, CR_ARGS(v->start, len, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				-1, 0), &at, e, "shm %d: cannot hold %#llx-%#llx",
				id, (unsigned long long)v->start,
				(unsigned long long)v->end);
	if (!rc)
		rc = cr_mm_call(r, SYS_shmat, CR_ARGS(id, whole ? v->start : 0,
				flags), &at, e, "shm %d: cannot attach it at "
				"%#llx", id, (unsigned long long)v->start);
	if (!rc && !whole)
		rc = cr_mm_call(r, SYS_mremap, CR_ARGS(at + v->pgoff, len, len,
				MREMAP_MAYMOVE | MREMAP_FIXED, v->start), NULL,
				e, "shm %d: cannot move a part of it to %#llx",
				id, (unsigned long long)v->start);
	if (!rc && !whole)
		rc = cr_mm_call(r, SYS_munmap, CR_ARGS(at, span), NULL, e,
				"shm %d: cannot detach the rest of it", id);
	if (!rc && (unsigned long)prot != v->prot)
		rc = cr_mm_call(r, SYS_mprotect, CR_ARGS(v->start, len, v->prot),
				NULL, e, "shm %d: cannot protect %#llx-%#llx",
				id, (unsigned long long)v->start,
				(unsigned long long)v->end);
	return rc ? rc : cr_mm_vmflags(r, vi, e);
}

int cr_rst_mm_swap(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_mm *mm = r->mm;
	struct cr_mm_batch *b;
	unsigned long top;
	uint32_t i;
	int rc;

	rc = cr_mm_scratch(r, e);
	if (rc)
		return rc;
	b = calloc(1, sizeof(*b));
	if (!b)
		return cr_fail(e, ENOMEM, "out of memory");
	top = r->scratch + r->scratch_size;
	rc = cr_mm_call(r, SYS_munmap, CR_ARGS(0, r->scratch), NULL, e,
			"cannot unmap the old memory");
	if (!rc)
		rc = cr_mm_call(r, SYS_munmap, CR_ARGS(top, CR_TASK_SIZE - top),
				NULL, e, "cannot unmap the old memory");
	if (!rc)
		rc = cr_mm_vdso(r, e);
	if (!rc)
		rc = cr_mm_shmems(r, e);
	for (i = 0; !rc && i < mm->nr_vmas; i++) {
		const struct cr_vma *vi = &mm->vmas[i];

		rc = cr_rst_aborted(r, e);
		if (rc || (vi->v.kind != CRFS_VMA_SYSV && !cr_vma_mapped(vi)))
			continue;
		if (cr_mm_plain(vi)) {
			rc = cr_mm_map_batched(r, b, vi, e);
			continue;
		}
		/* In the order of the image: what is queued first. */
		rc = cr_mm_flush(r, b, e);
		if (!rc && vi->v.kind == CRFS_VMA_SYSV)
			rc = cr_mm_attach(r, vi, e);
		else if (!rc)
			rc = cr_mm_map(r, vi, e);
	}
	if (!rc)
		rc = cr_mm_flush(r, b, e);
	free(b);
	if (!rc)
		rc = cr_mm_shmems_close(r, e);
	return rc;
}

/*
 * Make shared @vi writable for its page data; cr_rst_mm_finish() undoes
 * it.  A private mapping stays as it is: making it writable would charge
 * it to the commit limit ("ac"), which it may not have been.
 */
static int cr_mm_writable(struct cr_rst *r, const struct cr_vma *vi,
			  struct cr_err *e)
{
	const struct crfs_vma *v = &vi->v;
	int rc;

	if ((v->prot & PROT_WRITE) || r->wr_vma == vi ||
	    !(v->flags & CRFS_VMA_F_SHARED))
		return 0;
	rc = cr_mm_call(r, SYS_mprotect,
			CR_ARGS(v->start, v->end - v->start,
				v->prot | PROT_WRITE),
			NULL, e, "mapping %#llx-%#llx: cannot make it writable",
			(unsigned long long)v->start,
			(unsigned long long)v->end);
	if (!rc)
		r->wr_vma = vi;
	return rc;
}

/*
 * Write @len bytes of @data at @addr of the process through
 * /proc/PID/mem: the tracer's write (FOLL_FORCE) reaches a private
 * mapping that is not writable, as a debugger's breakpoint does, without
 * changing its protection or its VmFlags.
 */
static int cr_mm_poke_mem(struct cr_rst *r, uint64_t addr, const char *data,
			  uint64_t len, struct cr_err *e)
{
	char path[64];
	int fd, err = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/mem", r->pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return cr_fail(e, errno, "pid %d: cannot open %s: %m", r->pid,
			       path);
	while (len && !err) {
		n = pwrite(fd, data, len, addr);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EFAULT;
			break;
		}
		data += n;
		addr += n;
		len -= n;
	}
	close(fd);
	if (err)
		return cr_fail(e, err, "pid %d: cannot write pages at %#llx: %s",
			       r->pid, (unsigned long long)addr,
			       strerror(err));
	return 0;
}

/*
 * Write @size bytes of @data at @addr of the process: process_vm_writev()
 * where the memory is writable, /proc/PID/mem from where it is not.
 */
static int cr_mm_poke_pages(struct cr_rst *r, uint64_t addr, void *data,
		       uint64_t size, struct cr_err *e)
{
	struct iovec local = { data, size };
	struct iovec remote = { (void *)(uintptr_t)addr, size };
	ssize_t n;

	while (local.iov_len) {
		n = process_vm_writev(r->pid, &local, 1, &remote, 1, 0);
		if (n <= 0)
			return cr_mm_poke_mem(r, (uintptr_t)remote.iov_base,
					      local.iov_base, local.iov_len,
					      e);
		local.iov_base = (char *)local.iov_base + n;
		local.iov_len -= n;
		remote.iov_base = (char *)remote.iov_base + n;
		remote.iov_len -= n;
	}
	return 0;
}

/*
 * The pages of a SHMEM object, through the mappings its windows name
 * (cr_img_check_pages() made sure they cover the record), each made
 * writable while it is written.
 */
static int cr_mm_shmem_pages(struct cr_rst *r, const struct cr_img_pages *pg,
			     uint64_t size, struct cr_err *e)
{
	const struct cr_shmem *s = pg->shmem;
	uint64_t off = pg->addr, end = pg->addr + size;
	uint32_t w = pg->win;
	int rc = 0;

	for (; off < end && w < s->nr_win; w++) {
		const struct cr_shmem_win *win = &s->win[w];
		uint64_t to = win->end < end ? win->end : end;
		uint64_t addr = win->addr + (off - win->start);
		/* written through the process that maps this window */
		struct cr_rst *o = r->tree ? r->tree->by_mm[win->mm] : r;
		uint32_t i;

		if (!o)
			return cr_fail(e, EINVAL, "shmem %u: no process maps it",
				       s->s.id);
		i = cr_model_vma_find(o->mm, addr);
		for (uint64_t a = addr; !rc && a < addr + (to - off) &&
		     i < o->mm->nr_vmas; i++) {
			rc = cr_mm_writable(o, &o->mm->vmas[i], e);
			a = o->mm->vmas[i].v.end;
		}
		if (!rc)
			rc = cr_mm_poke_pages(o, addr, (char *)pg->data +
					 (off - pg->addr), to - off, e);
		if (rc)
			return rc;
		off = to;
	}
	return 0;
}

int cr_rst_mm_pages(struct cr_rst *r, const struct cr_img_pages *pg,
		    struct cr_err *e)
{
	uint64_t size = pg->nr_pages * r->page_size, addr, end;
	uint32_t i = pg->vma;
	int rc;

	/* The pages of an address space go to its process. */
	if (!pg->shmem && r->tree && r->tree->by_mm[pg->mm - r->m->mms])
		r = r->tree->by_mm[pg->mm - r->m->mms];
	if (pg->shmem)
		rc = cr_mm_shmem_pages(r, pg, size, e);
	else if (pg->mm != r->mm)
		rc = cr_fail(e, EINVAL, "pid %d: pages of mm %u, not its own",
			     r->pid, pg->mm->m.id);
	else
		rc = 0;
	if (rc || pg->shmem)
		goto out;
	/* cr_img_check_pages(): the range lies in filled mappings from i on. */
	end = pg->addr + size;
	for (addr = pg->addr; addr < end && i < r->mm->nr_vmas; i++) {
		rc = cr_mm_writable(r, &r->mm->vmas[i], e);
		if (rc)
			return rc;
		addr = r->mm->vmas[i].v.end;
	}
	rc = cr_mm_poke_pages(r, pg->addr, pg->data, size, e);
out:
	if (!rc)
		r->page_bytes += size;
	return rc;
}

/*
 * Close the descriptors of the mapped files and the executable, which the
 * process opened for the restore at numbers the image does not use: one
 * close_range() per run of consecutive numbers.
 */
static int cr_mm_close_files(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_rst_files *fs = &r->files;
	/* cwd and root come last, and the process closed them itself */
	uint32_t i = fs->nr_fd_entries, j;
	uint32_t end = fs->cwd >= 0 ? (uint32_t)fs->cwd : fs->nr;
	long ret;
	int rc;

	while (i < end) {
		for (j = i; j + 1 < end && fs->f[j + 1].fd == fs->f[j].fd + 1;
		     j++)
			;
		rc = cr_mm_call(r, SYS_close_range,
				CR_ARGS(fs->f[i].fd, fs->f[j].fd, 0), &ret, e,
				"cannot close descriptors %d-%d", fs->f[i].fd,
				fs->f[j].fd);
		if (rc)
			return rc;
		i = j + 1;
	}
	return 0;
}

/*
 * PR_SET_MM_MAP: code, data, brk, stack, args, env, auxv and exe, the
 * executable from the descriptor the process opened and checked itself.
 */
static int cr_mm_layout(struct cr_rst *r, struct cr_err *e)
{
	const struct crfs_mm *mm = &r->mm->m;
	struct prctl_mm_map map = {
		.start_code = mm->start_code, .end_code = mm->end_code,
		.start_data = mm->start_data, .end_data = mm->end_data,
		.start_brk = mm->start_brk, .brk = mm->brk,
		.start_stack = mm->start_stack,
		.arg_start = mm->arg_start, .arg_end = mm->arg_end,
		.env_start = mm->env_start, .env_end = mm->env_end,
		.auxv_size = mm->auxv_words * sizeof(uint64_t),
		.exe_fd = -1,
	};
	unsigned long auxv, addr;
	int rc;

	rc = cr_rst_poke(r, 0, mm->auxv, map.auxv_size, &auxv, e);
	if (rc)
		return rc;
	map.auxv = (__u64 *)auxv;
	if (r->files.exe >= 0)
		map.exe_fd = r->files.f[r->files.exe].fd;
	rc = cr_rst_poke(r, 1024, &map, sizeof(map), &addr, e);
	if (!rc)
		rc = cr_mm_call(r, SYS_prctl,
				CR_ARGS(PR_SET_MM, PR_SET_MM_MAP, addr,
					sizeof(map)), NULL, e,
				"cannot set the mm layout (PR_SET_MM_MAP)");
	if (!rc)
		rc = cr_mm_close_files(r, e);
	return rc;
}

int cr_rst_mm_finish(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_mm *mm = r->mm;
	uint32_t i;
	int rc;

	for (i = 0; i < mm->nr_vmas; i++) {
		const struct crfs_vma *v = &mm->vmas[i].v;

		/* Those cr_mm_writable() or cr_mm_charge() made writable. */
		if ((v->kind != CRFS_VMA_SHMEM && !cr_mm_charged_ro(v)) ||
		    (v->prot & PROT_WRITE))
			continue;
		rc = cr_rst_aborted(r, e);
		if (rc)
			return rc;
		rc = cr_mm_call(r, SYS_mprotect,
				CR_ARGS(v->start, v->end - v->start, v->prot),
				NULL, e, "mapping %#llx-%#llx: cannot protect",
				(unsigned long long)v->start,
				(unsigned long long)v->end);
		if (rc)
			return rc;
	}
	return cr_mm_layout(r, e);
}

int cr_rst_mm_unmap_scratch(struct cr_rst *r, struct cr_err *e)
{
	int rc;

	/*
	 * From the scratch area's own syscall instruction: the call unmaps
	 * the page it runs from, but the tracee stops at the syscall exit
	 * and never returns there (nothing is injected after this).  No
	 * search of the restored memory for another instruction, which a
	 * forged image without a vdso made as long as its largest mapping.
	 */
	rc = cr_mm_call(r, SYS_munmap, CR_ARGS(r->scratch, r->scratch_size),
			NULL, e, "cannot unmap the scratch area");
	if (!rc) {
		r->scratch = 0;
		r->inf.gadget = 0;	/* gone with it */
	}
	return rc;
}
