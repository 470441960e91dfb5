// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The page data of a checkpoint (phase 5): for each address space, the
 * pages that hold data, found with /proc/PID/pagemap so that only those
 * are read and nothing gets faulted in, in address order; then for each
 * shared memory object, its pages found with SEEK_DATA and SEEK_HOLE on
 * the object itself (through /proc/PID/map_files), never through a
 * mapping: a page zapped in a mapping by MADV_DONTNEED still holds the
 * object's data.  Each run of pages is read straight into its PAGES
 * record, in the ring when the image goes to one.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "dump.h"

#define PM_PRESENT	(1ULL << 63)
#define PM_SWAP		(1ULL << 62)
#define PM_FILE		(1ULL << 61)	/* file page or shared anon */
#define PM_PFN_MASK	((1ULL << 55) - 1)

/* pagemap entries read per pread: 128 KiB, 64 MiB of address space. */
#define PM_CHUNK	16384

#define HPAGE_PAGES	512		/* 2 MiB / 4 KiB */

/* PFNs of the shared zero page and the huge zero page; 0: unknown. */
static uint64_t zero_pfn, hzero_pfn;
static pthread_once_t zero_once = PTHREAD_ONCE_INIT;

/* The PFN behind @addr of this process, 0 if none or not visible. */
static uint64_t self_pfn(int pm, const void *addr)
{
	uint64_t ent;
	long psz = sysconf(_SC_PAGESIZE);

	if (pread(pm, &ent, sizeof(ent), (uintptr_t)addr / psz * 8) !=
	    sizeof(ent) || !(ent & PM_PRESENT))
		return 0;
	return ent & PM_PFN_MASK;
}

#define KPF_ZERO_PAGE	24	/* /proc/kpageflags: the (huge) zero page */

/* Does the kernel itself say @pfn is the zero page or the huge one? */
static bool kpf_zero(int kpf, uint64_t pfn)
{
	uint64_t flags;

	return kpf >= 0 && pfn &&
	       pread(kpf, &flags, sizeof(flags), pfn * 8) == sizeof(flags) &&
	       (flags >> KPF_ZERO_PAGE & 1);
}

/*
 * Read-fault @at and @at + @stride, two distinct private pages of ours:
 * the PFN both map when /proc/kpageflags says it is a zero page, else 0.
 */
static uint64_t shared_zero_pfn(int pm, int kpf, volatile char *at,
				size_t stride)
{
	uint64_t a, b;

	(void)at[0];
	(void)at[stride];
	a = self_pfn(pm, (const void *)at);
	b = self_pfn(pm, (const void *)(at + stride));
	return a && a == b && kpf_zero(kpf, a) ? a : 0;
}

/*
 * Read-fault anonymous memory of our own and see which PFNs come back.
 * One page is not enough: a kernel may give a read fault a page of its
 * own (not the zero page), freed at munmap() and later holding a
 * checkpointed process's data, which would then be skipped as zero and
 * restored wrong.  A PFN is taken only when two distinct private pages
 * both map it and /proc/kpageflags says KPF_ZERO_PAGE (two could also
 * share a KSM page, which can be freed); else nothing is skipped as zero.
 */
static void find_zero_pfns(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	size_t hsz = HPAGE_PAGES * psz;
	char *p, *h;
	int pm, kpf;

	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		return;
	kpf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	p = mmap(NULL, 2 * psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		zero_pfn = shared_zero_pfn(pm, kpf, p, psz);
		munmap(p, 2 * psz);
	}
	/*
	 * With THP, a read fault may map the huge zero page instead: two
	 * aligned huge pages must map the same one (not the small one).  Our
	 * mm holds it from then on, so its PFN stays the huge zero page.
	 */
	h = mmap(NULL, 3 * hsz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h != MAP_FAILED) {
		char *a = (char *)(((uintptr_t)h + hsz - 1) & ~(hsz - 1));
		uint64_t pfn;

		madvise(a, 2 * hsz, MADV_HUGEPAGE);
		pfn = shared_zero_pfn(pm, kpf, a, hsz);
		if (pfn != zero_pfn && !(pfn % HPAGE_PAGES))
			hzero_pfn = pfn;
		munmap(h, 3 * hsz);
	}
	if (kpf >= 0)
		close(kpf);
	close(pm);
}

/* Does @pfn map the shared zero page or a part of the huge one? */
static int is_zero_pfn(uint64_t pfn)
{
	if (zero_pfn && pfn == zero_pfn)
		return 1;
	return hzero_pfn && pfn >= hzero_pfn && pfn < hzero_pfn + HPAGE_PAGES;
}

bool cr_dump_zero_pfn(uint64_t pfn, uint64_t *zero, uint64_t *hzero)
{
	pthread_once(&zero_once, find_zero_pfns);
	if (zero)
		*zero = zero_pfn;
	if (hzero)
		*hzero = hzero_pfn;
	return is_zero_pfn(pfn);
}

/* A run of contiguous pages to read and write as one record. */
struct page_run {
	pid_t		pid;
	struct cr_img	*img;
	uint32_t	owner, id;	/* CRFS_PAGES_*, and the MM or SHMEM */
	int		shm_fd;		/* SHMEM: the object, else -1 */
	int		mem_fd;		/* /proc/PID/mem, -1 until needed */
	long		psz;
	char		*buf;		/* where the run's pages go */
	uint64_t	start;
	uint64_t	nr;
	int		use_mem;	/* the VMA is not readable */
};

/* Read @len bytes at @addr of the task through /proc/PID/mem. */
static int run_read_mem(struct page_run *r, size_t len, struct cr_err *e)
{
	size_t done = 0;

	if (r->mem_fd < 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/mem", r->pid);
		r->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->mem_fd < 0)
			return cr_fail(e, errno, "pid %d: cannot open %s: %m",
				       r->pid, path);
	}
	while (done < len) {
		ssize_t n = pread(r->mem_fd, r->buf + done, len - done,
				  r->start + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cr_fail(e, n ? errno : EIO,
				       "pid %d: cannot read memory at %llx: %m",
				       r->pid,
				       (unsigned long long)(r->start + done));
		done += n;
	}
	return 0;
}

/*
 * Read the pages of the run straight into their CRFS_REC_PAGES record
 * (in the ring, when the image goes to one) and write it.
 */
static int run_flush(struct page_run *r, struct cr_err *e)
{
	size_t len = r->nr * r->psz, done = 0;
	int ret;

	if (!r->nr)
		return 0;
	r->buf = cr_img_pages_begin(r->img, r->owner, r->id, r->start, r->nr,
				    e);
	if (!r->buf)
		return -e->err;
	while (r->shm_fd >= 0 && done < len) {
		ssize_t n = pread(r->shm_fd, r->buf + done, len - done,
				  r->start + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cr_fail(e, n ? errno : EIO, "pid %d: shmem %u: "
				       "cannot read at %llx: %m", r->pid, r->id,
				       (unsigned long long)(r->start + done));
		done += n;
	}
	while (!r->use_mem && done < len) {
		struct iovec local = { r->buf + done, len - done };
		struct iovec remote = { (void *)(uintptr_t)(r->start + done),
					len - done };
		ssize_t n = process_vm_readv(r->pid, &local, 1, &remote, 1,
					     0);

		if (n <= 0)
			break;
		done += n;
	}
	if (done < len) {
		/* Not readable (PROT_NONE): the ptrace way, FOLL_FORCE. */
		r->start += done;
		r->buf += done;
		ret = run_read_mem(r, len - done, e);
		r->start -= done;
		r->buf -= done;
		if (ret)
			return ret;
	}
	ret = cr_img_pages_end(r->img, e);
	r->nr = 0;
	return ret;
}

/* Does the pagemap entry @pm say the page holds data to dump? */
static int page_wanted(uint64_t pm, uint8_t how)
{
	switch (how) {
	case CR_PAGES_ANON:
		if (pm & PM_SWAP)
			return 1;
		return (pm & PM_PRESENT) && !is_zero_pfn(pm & PM_PFN_MASK);
	case CR_PAGES_COW:
		return (pm & (PM_PRESENT | PM_SWAP)) && !(pm & PM_FILE);
	}
	return 0;
}

/* Add page @addr to the run, writing the run before when it cannot grow. */
static int run_add(struct page_run *r, uint64_t addr, struct cr_err *e)
{
	int ret;

	if (r->nr && (addr != r->start + r->nr * r->psz ||
		      r->nr == CR_PAGES_PER_REC)) {
		ret = run_flush(r, e);
		if (ret)
			return ret;
	}
	if (!r->nr)
		r->start = addr;
	r->nr++;
	return 0;
}

/* Scan the pagemap of one VMA and write its pages that hold data. */
static int dump_vma_pages(struct page_run *r, int pm_fd, uint64_t *pm,
			  const struct cr_vma *vi, struct cr_err *e)
{
	const struct crfs_vma *v = &vi->v;
	uint64_t addr, psz = r->psz;
	int ret;

	r->use_mem = !(v->prot & PROT_READ);
	for (addr = v->start; addr < v->end; ) {
		uint64_t n = (v->end - addr) / psz, i;
		size_t len;

		if (n > PM_CHUNK)
			n = PM_CHUNK;
		len = n * sizeof(*pm);
		if (pread(pm_fd, pm, len, addr / psz * sizeof(*pm)) !=
		    (ssize_t)len)
			return cr_fail(e, errno ? errno : EIO,
				       "pid %d: cannot read pagemap at %llx: %m",
				       r->pid, (unsigned long long)addr);
		for (i = 0; i < n; i++, addr += psz) {
			if (!page_wanted(pm[i], vi->pages))
				continue;
			ret = run_add(r, addr, e);
			if (ret)
				return ret;
		}
	}
	return run_flush(r, e);
}

/* The pages of address space @mm of process @pid, in address order. */
static int dump_mm_pages(struct page_run *r, const struct cr_mm *mm,
			 struct cr_err *e)
{
	uint64_t *pm = NULL;
	char path[64];
	int pm_fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", r->pid);
	pm_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pm_fd < 0)
		return cr_fail(e, errno, "pid %d: cannot open %s: %m", r->pid,
			       path);
	pm = malloc(PM_CHUNK * sizeof(*pm));
	if (!pm)
		ret = cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; !ret && i < mm->nr_vmas; i++)
		if (mm->vmas[i].pages != CR_PAGES_NONE)
			ret = dump_vma_pages(r, pm_fd, pm, &mm->vmas[i], e);
	free(pm);
	close(pm_fd);
	return ret;
}

/*
 * The pages of @s that hold data, window by window (the ranges its
 * mappings reach, apart and ascending): SEEK_DATA, SEEK_HOLE on the
 * object, read with pread().
 */
static int dump_shmem_pages(struct page_run *r, const struct cr_shmem *s,
			    struct cr_err *e)
{
	char path[96];
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", s->pid,
		 (unsigned long long)s->map_start,
		 (unsigned long long)s->map_end);
	r->shm_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->shm_fd < 0)
		return cr_fail(e, errno, "pid %d: shmem %u: cannot open %s: %m",
			       s->pid, s->s.id, path);
	for (uint32_t w = 0; !ret && w < s->nr_win; w++) {
		off_t at = s->win[w].start, end = s->win[w].end, hole;

		while (!ret && at < end) {
			at = lseek(r->shm_fd, at, SEEK_DATA);
			if (at < 0 || at >= end)
				break;
			hole = lseek(r->shm_fd, at, SEEK_HOLE);
			if (hole < 0 || hole > end)
				hole = end;
			for (; !ret && at < hole; at += r->psz)
				ret = run_add(r, at, e);
		}
		if (!ret)
			ret = run_flush(r, e);
	}
	close(r->shm_fd);
	r->shm_fd = -1;
	return ret;
}

int cr_dump_write_pages(struct cr_dump *d, struct cr_img *img,
			struct cr_err *e)
{
	struct page_run r = { .img = img, .shm_fd = -1, .mem_fd = -1 };
	int ret = 0;

	pthread_once(&zero_once, find_zero_pfns);
	r.psz = sysconf(_SC_PAGESIZE);
	/* Each address space read through its first process, as the dumper
	 * knows it (the model's pids may be the container's own). */
	for (uint32_t i = 0; !ret && i < d->nr_tasks; i++) {
		const struct cr_task *t = d->tasks[i].t;

		if (!t->mm || t->mm->pid != t->t.pid)
			continue;
		r.pid = d->tasks[i].pid;
		r.owner = CRFS_PAGES_MM;
		r.id = t->mm->m.id;
		ret = dump_mm_pages(&r, t->mm, e);
		if (r.mem_fd >= 0)
			close(r.mem_fd);
		r.mem_fd = -1;
	}
	for (uint32_t i = 0; !ret && i < d->m.nr_shmems; i++) {
		r.pid = d->m.shmems[i].pid;
		r.owner = CRFS_PAGES_SHMEM;
		r.id = d->m.shmems[i].s.id;
		r.use_mem = 0;
		ret = dump_shmem_pages(&r, &d->m.shmems[i], e);
	}
	return ret;
}
