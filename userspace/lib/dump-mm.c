// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Dump of the address space: the mm layout fields, the VMAs of
 * /proc/PID/smaps sorted into the kinds the image knows, and the page
 * data, found with /proc/PID/pagemap so that only pages holding data are
 * read and nothing gets faulted in.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

#include "dump.h"
#include "proc.h"

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

/* Read-fault anonymous memory of our own and see which PFNs come back. */
static void find_zero_pfns(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	size_t hsz = HPAGE_PAGES * psz;
	volatile char *p;
	char *h;
	int pm;

	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		return;
	p = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		(void)p[0];
		zero_pfn = self_pfn(pm, (const void *)p);
		munmap((void *)p, psz);
	}
	/* With THP, a read fault may map the huge zero page instead. */
	h = mmap(NULL, 2 * hsz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h != MAP_FAILED) {
		volatile char *a;
		uint64_t pfn;

		a = (char *)(((uintptr_t)h + hsz - 1) & ~(hsz - 1));
		madvise((void *)a, hsz, MADV_HUGEPAGE);
		(void)a[0];
		pfn = self_pfn(pm, (const void *)a);
		if (pfn && pfn != zero_pfn && !(pfn % HPAGE_PAGES))
			hzero_pfn = pfn;
		munmap(h, 2 * hsz);
	}
	close(pm);
}

/* Does @pfn map the shared zero page or a part of the huge one? */
static int is_zero_pfn(uint64_t pfn)
{
	if (zero_pfn && pfn == zero_pfn)
		return 1;
	return hzero_pfn && pfn >= hzero_pfn && pfn < hzero_pfn + HPAGE_PAGES;
}

/* A refusal naming the pid, the range and the path of @m. */
static int vma_refuse(pid_t pid, const struct cr_proc_map *m,
		      const char *why, struct cr_err *e)
{
	return cr_fail(e, EOPNOTSUPP, "pid %d: mapping %llx-%llx %s: %s", pid,
		       (unsigned long long)m->start,
		       (unsigned long long)m->end,
		       m->path[0] ? m->path : "(anonymous)", why);
}

/* The special mappings, by their name in maps. */
static const struct {
	const char	*name;
	uint32_t	kind;
	uint32_t	flags;
	uint8_t		pages;
} vma_special[] = {
	{ "[heap]",		CRFS_VMA_HEAP,	0,	CR_PAGES_ANON },
	{ "[stack]",		CRFS_VMA_STACK,	CRFS_VMA_F_GROWSDOWN,
							CR_PAGES_ANON },
	{ "[vdso]",		CRFS_VMA_VDSO,	0,	CR_PAGES_NONE },
	{ "[vvar]",		CRFS_VMA_VVAR,	0,	CR_PAGES_NONE },
	{ "[vvar_vclock]",	CRFS_VMA_VVAR,	0,	CR_PAGES_NONE },
	{ "[vsyscall]",		CRFS_VMA_VSYSCALL, 0,	CR_PAGES_NONE },
};

/* Classify a mapping of a file by what map_files says of it. */
static int vma_file(struct cr_dump *d, const struct cr_proc_map *m,
		    struct cr_vma_img *vi, uint8_t *pages, struct cr_err *e)
{
	char name[64], path[96];
	size_t len = strlen(m->path);
	struct stat st;
	int ret;

	if (len > 10 && !strcmp(m->path + len - 10, " (deleted)"))
		return vma_refuse(d->pid, m, "the file is deleted", e);
	snprintf(name, sizeof(name), "map_files/%llx-%llx",
		 (unsigned long long)m->start, (unsigned long long)m->end);
	snprintf(path, sizeof(path), "/proc/%d/%s", d->pid, name);
	if (stat(path, &st))
		return cr_fail(e, errno, "pid %d: cannot stat %s: %m", d->pid,
			       path);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		return vma_refuse(d->pid, m,
				  "device mappings are not supported", e);
	if (!S_ISREG(st.st_mode))
		return vma_refuse(d->pid, m, "not a regular file", e);
	if (!st.st_nlink)
		return vma_refuse(d->pid, m, "the file is deleted", e);
	ret = cr_proc_link(d->pid, name, &vi->path, e);
	if (ret)
		return ret;
	vi->v.kind = CRFS_VMA_FILE;
	vi->v.path_len = strlen(vi->path) + 1;
	vi->v.ino = st.st_ino;
	vi->v.dev = st.st_dev;
	vi->v.size = st.st_size;
	vi->v.mtime_ns = cr_mtime_ns(&st);
	vi->v.pgoff = m->pgoff;
	*pages = m->shared ? CR_PAGES_NONE : CR_PAGES_COW;
	return 0;
}

/* Sort one line of smaps into @vi, or refuse it. */
static int vma_classify(struct cr_dump *d, const struct cr_proc_map *m,
			struct cr_vma_img *vi, uint8_t *pages,
			struct cr_err *e)
{
	const char *p = m->path;
	size_t i;

	memset(vi, 0, sizeof(*vi));
	vi->v.start = m->start;
	vi->v.end = m->end;
	vi->v.prot = m->prot;
	if (m->shared)
		vi->v.flags |= CRFS_VMA_F_SHARED;
	if (m->vmflags & CR_VMF_GROWSDOWN)
		vi->v.flags |= CRFS_VMA_F_GROWSDOWN;
	if (m->vmflags & CR_VMF_LOCKED)
		vi->v.flags |= CRFS_VMA_F_LOCKED;
	if (m->vmflags & CR_VMF_HUGETLB)
		return vma_refuse(d->pid, m,
				  "hugetlb mappings are not supported", e);
	if (m->vmflags & CR_VMF_UFFD)
		return vma_refuse(d->pid, m,
				  "userfaultfd-registered mappings are not supported",
				  e);

	for (i = 0; i < sizeof(vma_special) / sizeof(vma_special[0]); i++) {
		if (strcmp(p, vma_special[i].name))
			continue;
		vi->v.kind = vma_special[i].kind;
		vi->v.flags |= vma_special[i].flags;
		*pages = vma_special[i].pages;
		return 0;
	}
	if (m->vmflags & (CR_VMF_IO | CR_VMF_PFNMAP | CR_VMF_MIXEDMAP))
		return vma_refuse(d->pid, m,
				  "device mappings are not supported", e);
	if ((!*p || !strncmp(p, "[anon:", 6)) && !m->shared) {
		/* Private anonymous; a name set by PR_SET_VMA is not kept. */
		vi->v.kind = CRFS_VMA_ANON;
		*pages = CR_PAGES_ANON;
		return 0;
	}
	if (m->shared && m->dev_major == 0 && m->dev_minor == 1 &&
	    !strcmp(p, "/dev/zero (deleted)")) {
		vi->v.kind = CRFS_VMA_ANON;
		*pages = CR_PAGES_SHARED;
		return 0;
	}
	if (!strncmp(p, "/SYSV", 5) && m->dev_major == 0)
		return vma_refuse(d->pid, m,
				  "SysV shared memory is not supported", e);
	if (!strncmp(p, "/memfd:", 7))
		return vma_refuse(d->pid, m,
				  "memfd mappings are not supported (deleted file)",
				  e);
	if (!strcmp(p, "anon_inode:[io_uring]"))
		return vma_refuse(d->pid, m, "io_uring is not supported", e);
	if (!strncmp(p, "anon_inode:", 11))
		return vma_refuse(d->pid, m,
				  "anon_inode mappings are not supported", e);
	if (p[0] == '/')
		return vma_file(d, m, vi, pages, e);
	return vma_refuse(d->pid, m, "unknown kind of mapping", e);
}

/* Collect and check the VMAs. */
static int dump_vmas(struct cr_dump *d, struct cr_err *e)
{
	struct cr_proc_map *maps;
	int i, n, ret = 0;

	n = cr_proc_maps(d->pid, &maps, e);
	if (n < 0)
		return n;
	d->t.vmas = calloc(n ? n : 1, sizeof(*d->t.vmas));
	d->pages = calloc(n ? n : 1, 1);
	if (!d->t.vmas || !d->pages) {
		ret = cr_fail(e, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		ret = vma_classify(d, &maps[i], &d->t.vmas[i], &d->pages[i], e);
		if (ret)
			break;
		/* Nothing mapped nor swapped: no need to scan its pagemap. */
		if (!maps[i].rss_kb && !maps[i].swap_kb)
			d->pages[i] = CR_PAGES_NONE;
		d->t.task.nr_vmas++;
	}
out:
	cr_proc_maps_free(maps, n);
	return ret;
}

/* The identity of the executable, checked on its descriptor at restore. */
static int dump_exe(struct cr_dump *d, struct cr_err *e)
{
	struct crfs_mm *mm = &d->t.mm;
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", d->pid);
	if (stat(path, &st))
		return cr_fail(e, errno, "pid %d: executable %s: cannot stat: %m",
			       d->pid, d->t.exe);
	if (!S_ISREG(st.st_mode))
		return cr_fail(e, EOPNOTSUPP,
			       "pid %d: executable %s: not a regular file",
			       d->pid, d->t.exe);
	/* PR_SET_MM_MAP takes only a file that may be executed. */
	if (!(st.st_mode & 0111))
		return cr_fail(e, EACCES,
			       "pid %d: executable %s: no execute permission now (mode %04o): a restore could not make it the executable again",
			       d->pid, d->t.exe, st.st_mode & 07777);
	mm->exe_dev = st.st_dev;
	mm->exe_ino = st.st_ino;
	mm->exe_size = st.st_size;
	mm->exe_mtime_ns = cr_mtime_ns(&st);
	return 0;
}

/* Collect the mm fields, auxv, exe and the VMAs. */
int cr_dump_mm(struct cr_dump *d, struct cr_err *e)
{
	struct crfs_mm *mm = &d->t.mm;
	struct cr_proc_stat st;
	size_t len;
	int ret;

	ret = cr_proc_stat(d->pid, &st, e);
	if (ret)
		return ret;
	mm->start_code = st.start_code;
	mm->end_code = st.end_code;
	mm->start_data = st.start_data;
	mm->end_data = st.end_data;
	mm->start_brk = st.start_brk;
	mm->brk = st.start_brk;		/* the exact brk comes by injection */
	mm->start_stack = st.start_stack;
	mm->arg_start = st.arg_start;
	mm->arg_end = st.arg_end;
	mm->env_start = st.env_start;
	mm->env_end = st.env_end;

	ret = cr_proc_auxv(d->pid, mm->auxv, CRFS_AUXV_WORDS, &mm->auxv_words,
			   e);
	if (ret)
		return ret;
	ret = cr_proc_link(d->pid, "exe", &d->t.exe, e);
	if (ret)
		return ret;
	len = strlen(d->t.exe);
	if (len > 10 && !strcmp(d->t.exe + len - 10, " (deleted)"))
		return cr_fail(e, EOPNOTSUPP,
			       "pid %d: executable %s: deleted executables are not supported",
			       d->pid, d->t.exe);
	mm->exe_len = len + 1;
	ret = dump_exe(d, e);
	if (ret)
		return ret;
	return dump_vmas(d, e);
}

/* The [vdso] of the task, where a syscall instruction is found. */
const struct crfs_vma *cr_dump_vdso(const struct cr_dump *d)
{
	uint32_t i;

	for (i = 0; i < d->t.task.nr_vmas; i++)
		if (d->t.vmas[i].v.kind == CRFS_VMA_VDSO)
			return &d->t.vmas[i].v;
	return NULL;
}

/* A run of contiguous pages to read and write as one record. */
struct page_run {
	struct cr_dump	*d;
	struct cr_img	*img;
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

		snprintf(path, sizeof(path), "/proc/%d/mem", r->d->pid);
		r->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->mem_fd < 0)
			return cr_fail(e, errno, "pid %d: cannot open %s: %m",
				       r->d->pid, path);
	}
	while (done < len) {
		ssize_t n = pread(r->mem_fd, r->buf + done, len - done,
				  r->start + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cr_fail(e, n ? errno : EIO,
				       "pid %d: cannot read memory at %llx: %m",
				       r->d->pid,
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
	r->buf = cr_img_pages_begin(r->img, r->start, r->nr, e);
	if (!r->buf)
		return -e->err;
	while (!r->use_mem && done < len) {
		struct iovec local = { r->buf + done, len - done };
		struct iovec remote = { (void *)(uintptr_t)(r->start + done),
					len - done };
		ssize_t n = process_vm_readv(r->d->pid, &local, 1, &remote, 1,
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
	case CR_PAGES_SHARED:
		return !!(pm & PM_PRESENT);
	}
	return 0;
}

/* Scan the pagemap of one VMA and write its pages that hold data. */
static int dump_vma_pages(struct page_run *r, int pm_fd, uint64_t *pm,
			  const struct crfs_vma *v, uint8_t how,
			  struct cr_err *e)
{
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
				       r->d->pid, (unsigned long long)addr);
		for (i = 0; i < n; i++, addr += psz) {
			if (!page_wanted(pm[i], how))
				continue;
			if (r->nr && (addr != r->start + r->nr * psz ||
				      r->nr == CR_PAGES_PER_REC)) {
				ret = run_flush(r, e);
				if (ret)
					return ret;
			}
			if (!r->nr)
				r->start = addr;
			r->nr++;
		}
	}
	return run_flush(r, e);
}

/* Write the pages that hold data, VMA by VMA, in address order. */
int cr_dump_write_pages(struct cr_dump *d, struct cr_img *img,
			struct cr_err *e)
{
	struct page_run r = { .d = d, .img = img, .mem_fd = -1 };
	uint64_t *pm = NULL;
	char path[64];
	int pm_fd, ret = 0;
	uint32_t i;

	pthread_once(&zero_once, find_zero_pfns);
	r.psz = sysconf(_SC_PAGESIZE);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", d->pid);
	pm_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pm_fd < 0)
		return cr_fail(e, errno, "pid %d: cannot open %s: %m", d->pid,
			       path);
	pm = malloc(PM_CHUNK * sizeof(*pm));
	if (!pm) {
		ret = cr_fail(e, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < d->t.task.nr_vmas && !ret; i++)
		if (d->pages[i] != CR_PAGES_NONE)
			ret = dump_vma_pages(&r, pm_fd, pm, &d->t.vmas[i].v,
					     d->pages[i], e);
out:
	free(pm);
	if (r.mem_fd >= 0)
		close(r.mem_fd);
	close(pm_fd);
	return ret;
}
