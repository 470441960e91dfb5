// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "mm": a process's address space (MM), its mappings (VMA)
 * sorted into the kinds the image knows, the files they map (FILE, with
 * the open mode /proc/PID/map_files shows, so that a MAP_SHARED mapping
 * of a file opened read-write comes back from a read-write description)
 * and the shared memory objects behind MAP_SHARED | MAP_ANONYMOUS
 * mappings (SHMEM).  Its page data is dump-pages.c's; its restore is
 * restore-mm.c's, between the new process's own restore and the late
 * phase.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "dump.h"
#include "restore.h"

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

/* VmFlags a restore cannot set again, by mnemonic, and why. */
static const struct {
	char		name[3];
	const char	*why;
} vmflag_refused[] = {
	{ "ss", "shadow stack mappings are not supported" },
	{ "sl", "sealed mappings (mseal) are not supported" },
	{ "sf", "synchronous page faults (MAP_SYNC) are not supported" },
	{ "ar", "architecture-specific mappings are not supported" },
};

/* VmFlags bits kept as they are in CRFS_VMA_F_*. */
static const struct {
	uint32_t	vmf;
	uint32_t	flag;
} vmflag_kept[] = {
	{ CR_VMF_GROWSDOWN,	CRFS_VMA_F_GROWSDOWN },
	{ CR_VMF_LOCKED,	CRFS_VMA_F_LOCKED },
	{ CR_VMF_LOCKONFAULT,	CRFS_VMA_F_LOCKONFAULT },
	{ CR_VMF_NORESERVE,	CRFS_VMA_F_NORESERVE },
	{ CR_VMF_ACCOUNT,	CRFS_VMA_F_ACCOUNT },
	{ CR_VMF_DROPPABLE,	CRFS_VMA_F_DROPPABLE },
	{ CR_VMF_MAYBE_GUARD,	CRFS_VMA_F_MAYBE_GUARD },
};

/* A mapped file (or the executable) being collected: one FILE per key. */
struct mm_file {
	int64_t		vma;		/* its mapping, -1: the executable */
	struct cr_file	f;
};

/* What collecting one address space needs on the way. */
struct mm_collect {
	struct cr_dump		*d;
	struct cr_dtask		*dt;
	struct cr_mm		*mm;
	struct mm_file		*files;
	uint32_t		nr_files;
};

/* Keep the first refusal of @dt's mappings for the check phase. */
static int mm_refuse(struct cr_dtask *dt, const struct cr_proc_map *m,
		     const char *why)
{
	if (!dt->refused_mm.err)
		cr_fail(&dt->refused_mm, EOPNOTSUPP,
			"pid %d: mapping %llx-%llx %s: %s", dt->pid,
			(unsigned long long)m->start,
			(unsigned long long)m->end,
			m->path[0] ? m->path : "(anonymous)", why);
	return 0;
}

/* Refuse a mapping for a VmFlags mnemonic a restore cannot set again. */
static int mm_vmflag_refuse(struct cr_dtask *dt, const struct cr_proc_map *m)
{
	char why[128];

	for (size_t i = 0; i < sizeof(vmflag_refused) / sizeof(vmflag_refused[0]);
	     i++)
		if (!strcmp(m->vmf_other, vmflag_refused[i].name)) {
			snprintf(why, sizeof(why), "VmFlags %s: %s",
				 m->vmf_other, vmflag_refused[i].why);
			return mm_refuse(dt, m, why);
		}
	snprintf(why, sizeof(why),
		 "VmFlags %s: unknown to this version, it could not come back",
		 m->vmf_other);
	return mm_refuse(dt, m, why);
}

/* Note a mapped file to add once per (device, inode, open mode). */
static int mm_add_file(struct mm_collect *c, int64_t vma,
		       const struct cr_file *f, struct cr_err *e)
{
	if (cr_grow(&c->files, c->nr_files, sizeof(*c->files)))
		return cr_fail(e, ENOMEM, "out of memory");
	c->files[c->nr_files++] = (struct mm_file){ vma, *f };
	return 0;
}

/* By device, inode and open mode; the executable first. */
static int mm_file_cmp(const void *pa, const void *pb)
{
	const struct mm_file *a = pa, *b = pb;
	const struct crfs_file *x = &a->f.f, *y = &b->f.f;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	return (a->vma > b->vma) - (a->vma < b->vma);
}

/*
 * The open mode of a mapped file.  For a shared mapping, what it may do:
 * one of a file opened for writing may write ("mw": the kernel takes
 * VM_MAYWRITE away from one of a read-only file).  Not the mode of its
 * map_files link, which the kernel fixes at the first lookup: another
 * file mapped at the same range later shows the first one's, and a
 * read-only file would come back writable.  For a private mapping, which
 * never writes to its file, the link's mode (what /proc shows of it):
 * the most a stale one can do is open the file for writing for a mapping
 * that cannot write to it, the descriptor closed before the process runs.
 */
static uint32_t mm_map_mode(const struct cr_proc_map *m,
			    const struct stat *lst)
{
	bool r = lst->st_mode & S_IRUSR, w = lst->st_mode & S_IWUSR;

	if (m->shared)
		return m->vmflags & CR_VMF_MAYWRITE ? O_RDWR : O_RDONLY;
	return r && w ? O_RDWR : w ? O_WRONLY : O_RDONLY;
}

/* A mapping of a file: the file by map_files, and its open mode. */
static int mm_vma_file(struct mm_collect *c, const struct cr_proc_map *m,
		       struct cr_vma *v, struct cr_err *e)
{
	char name[64], path[96];
	struct cr_file f;
	struct stat lst;
	int ret;

	snprintf(name, sizeof(name), "map_files/%llx-%llx",
		 (unsigned long long)m->start, (unsigned long long)m->end);
	snprintf(path, sizeof(path), "/proc/%d/%s", c->dt->pid, name);
	if (cr_stat_cached(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, &lst))
		return cr_fail(e, errno, "pid %d: cannot stat %s: %m",
			       c->dt->pid, path);
	ret = cr_dump_file_probe(c->dt->pid, name, mm_map_mode(m, &lst), &f,
				 e);
	if (ret)
		return ret;
	if (f.f.kind != CRFS_FILE_REG && f.f.kind != CRFS_FILE_MEMFD &&
	    f.f.kind != CRFS_FILE_UNLINKED) {
		const char *why = f.why && S_ISREG(f.f.mode) ? f.why :
				  S_ISCHR(f.f.mode) || S_ISBLK(f.f.mode) ?
				  "device mappings are not supported" :
				  "not a regular file";

		free(f.path);
		return mm_refuse(c->dt, m, why);
	}
	v->v.kind = CRFS_VMA_FILE;
	v->v.pgoff = m->pgoff;
	v->pages = m->shared ? CR_PAGES_NONE : CR_PAGES_COW;
	return mm_add_file(c, v - c->mm->vmas, &f, e);
}

/* The slot of inode @ino in @ix: its SHMEM's, or the empty one for it. */
static uint32_t *shmem_ix_slot(struct cr_shmem_ix *ix,
			       const struct cr_model *m, uint64_t ino)
{
	uint32_t h = (uint32_t)((ino * 0x9e3779b97f4a7c15ULL) >> 32);

	for (;; h++) {
		uint32_t *s = &ix->slot[h & (ix->size - 1)];

		ix->probes++;
		if (!*s || m->shmems[*s - 1].ino == ino)
			return s;
	}
}

/* Make room in @ix for one more inode: at most half full. */
static int shmem_ix_grow(struct cr_shmem_ix *ix, const struct cr_model *m)
{
	struct cr_shmem_ix n = { .size = ix->size ? 2 * ix->size : 64 };

	if (2 * (ix->used + 1) <= ix->size)
		return 0;
	n.slot = calloc(n.size, sizeof(*n.slot));
	if (!n.slot)
		return -ENOMEM;
	for (uint32_t i = 0; i < ix->size; i++)
		if (ix->slot[i])
			*shmem_ix_slot(&n, m, m->shmems[ix->slot[i] - 1].ino) =
				ix->slot[i];
	n.used = ix->used;
	n.probes += ix->probes;
	free(ix->slot);
	*ix = n;
	return 0;
}

struct cr_shmem *cr_dump_shmem_get(struct cr_dump *d, struct cr_shmem_ix *ix,
				   pid_t pid, uint64_t ino, bool *created,
				   struct cr_err *e)
{
	struct cr_model *m = &d->m;
	struct cr_shmem *s;
	uint32_t *slot;
	int err = 0;

	*created = false;
	if (shmem_ix_grow(ix, m)) {
		cr_fail(e, ENOMEM, "out of memory");
		return NULL;
	}
	slot = shmem_ix_slot(ix, m, ino);
	if (*slot)
		return &m->shmems[*slot - 1];
	s = cr_model_new_shmem(m, &err);
	if (!s) {
		cr_fail(e, ENOMEM, "out of memory");
		return NULL;
	}
	s->s.id = cr_dump_id(d);
	s->ino = ino;
	s->pid = pid;
	*slot = m->nr_shmems;
	ix->used++;
	*created = true;
	return s;
}

void cr_shmem_ix_free(struct cr_shmem_ix *ix)
{
	free(ix->slot);
	*ix = (struct cr_shmem_ix){ 0 };
}

/* A shared anonymous mapping: its SHMEM object, found by inode. */
static int mm_vma_shmem(struct mm_collect *c, const struct cr_proc_map *m,
			struct cr_vma *v, struct cr_err *e)
{
	struct cr_shmem *s;
	bool created;
	char path[96];
	struct stat st;

	s = cr_dump_shmem_get(c->d, &c->d->shmem_ix, c->dt->pid, m->ino,
			      &created, e);
	if (!s)
		return -e->err;
	if (created) {
		snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx",
			 c->dt->pid, (unsigned long long)m->start,
			 (unsigned long long)m->end);
		if (cr_stat_cached(AT_FDCWD, path, 0, &st))
			return cr_fail(e, errno, "pid %d: cannot stat %s: %m",
				       c->dt->pid, path);
		s->s.size = st.st_size;
		s->map_start = m->start;
		s->map_end = m->end;
	}
	v->v.kind = CRFS_VMA_SHMEM;
	v->v.shmem_id = s->s.id;
	v->v.pgoff = m->pgoff;
	v->pages = CR_PAGES_NONE;	/* its object's pages */
	return 0;
}

/* An anonymous mapping's name set by PR_SET_VMA, in "[anon:NAME]". */
static int mm_vma_name(struct cr_vma *v, const char *p, size_t prefix,
		       struct cr_err *e)
{
	size_t len = strlen(p);

	if (len <= prefix + 1)
		return 0;
	v->name = strndup(p + prefix, len - prefix - 1);
	return v->name ? 0 : cr_fail(e, ENOMEM, "out of memory");
}

/* Sort one line of smaps into @v, or keep the reason it is refused. */
static int mm_vma(struct mm_collect *c, const struct cr_proc_map *m,
		  struct cr_vma *v, struct cr_err *e)
{
	const char *p = m->path;
	struct cr_dtask *dt = c->dt;
	size_t i;

	v->v.mm_id = c->mm->m.id;
	v->v.start = m->start;
	v->v.end = m->end;
	v->v.prot = m->prot;
	v->v.advice = m->advice;
	if (m->shared)
		v->v.flags |= CRFS_VMA_F_SHARED;
	for (i = 0; i < sizeof(vmflag_kept) / sizeof(vmflag_kept[0]); i++)
		if (m->vmflags & vmflag_kept[i].vmf)
			v->v.flags |= vmflag_kept[i].flag;
	if (m->vmflags & CR_VMF_HUGETLB)
		return mm_refuse(dt, m, "hugetlb mappings are not supported");
	if (m->vmflags & CR_VMF_UFFD)
		return mm_refuse(dt, m, "userfaultfd-registered mappings are not supported");
	for (i = 0; i < sizeof(vma_special) / sizeof(vma_special[0]); i++) {
		if (strcmp(p, vma_special[i].name))
			continue;
		v->v.kind = vma_special[i].kind;
		v->v.flags |= vma_special[i].flags;
		v->pages = vma_special[i].pages;
		return 0;
	}
	if (m->vmflags & CR_VMF_UNKNOWN)
		return mm_vmflag_refuse(dt, m);
	if (m->pkey)
		return mm_refuse(dt, m, "memory protection keys (pkey_mprotect) are not supported");
	/* Only the kernel's own mappings (the vdso) cannot be expanded. */
	if (m->advice & CRFS_VMA_A_DONTEXPAND)
		return mm_refuse(dt, m, "VmFlags de: mappings that cannot be expanded (a driver's) are not supported");
	if (m->vmflags & (CR_VMF_IO | CR_VMF_PFNMAP | CR_VMF_MIXEDMAP))
		return mm_refuse(dt, m, "device mappings are not supported");
	if ((!*p || !strncmp(p, "[anon:", 6)) && !m->shared) {
		v->v.kind = CRFS_VMA_ANON;
		v->pages = CR_PAGES_ANON;
		return *p ? mm_vma_name(v, p, 6, e) : 0;
	}
	if (m->shared && m->dev_major == 0 && m->dev_minor == 1 &&
	    !strcmp(p, "/dev/zero (deleted)"))
		return mm_vma_shmem(c, m, v, e);
	if (m->shared && !strncmp(p, "[anon_shmem:", 12)) {
		int ret = mm_vma_shmem(c, m, v, e);

		return ret ? ret : mm_vma_name(v, p, 12, e);
	}
	if (!strncmp(p, "/SYSV", 5) && m->dev_major == 0) {
		const char *why = cr_dump_ipc_vma(c->d, m, v);

		return why ? mm_refuse(dt, m, why) : 0;
	}
	if (!strcmp(p, "anon_inode:[io_uring]"))
		return mm_refuse(dt, m, "io_uring is not supported");
	if (!strncmp(p, "anon_inode:", 11))
		return mm_refuse(dt, m, "anon_inode mappings are not supported");
	if (p[0] == '/')
		return mm_vma_file(c, m, v, e);
	return mm_refuse(dt, m, "unknown kind of mapping");
}

/* The executable: refused when deleted, or when no longer executable. */
static int mm_exe(struct mm_collect *c, struct cr_err *e)
{
	struct cr_dtask *dt = c->dt;
	struct cr_file f;
	int ret;

	ret = cr_dump_file_probe(dt->pid, "exe", O_RDONLY, &f, e);
	if (ret)
		return ret;
	if (!dt->refused_mm.err && S_ISREG(f.f.mode) &&
	    f.f.kind != CRFS_FILE_REG)
		cr_fail(&dt->refused_mm, EOPNOTSUPP,
			"pid %d: executable %s: deleted executables are not supported",
			dt->pid, f.path);
	else if (!dt->refused_mm.err && f.f.kind != CRFS_FILE_REG)
		cr_fail(&dt->refused_mm, EOPNOTSUPP,
			"pid %d: executable %s: not a regular file", dt->pid,
			f.path);
	/* PR_SET_MM_MAP takes only a file that may be executed. */
	else if (!dt->refused_mm.err && !(f.f.mode & 0111))
		cr_fail(&dt->refused_mm, EACCES,
			"pid %d: executable %s: no execute permission now (mode %04o): a restore could not make it the executable again",
			dt->pid, f.path, f.f.mode & 07777);
	return mm_add_file(c, -1, &f, e);
}

/* One FILE per (device, inode, mode); the mappings and the exe name it. */
static int mm_files(struct mm_collect *c, struct cr_err *e)
{
	uint32_t i, id = 0;

	if (c->nr_files)
		qsort(c->files, c->nr_files, sizeof(*c->files),
		      mm_file_cmp);
	for (i = 0; i < c->nr_files; i++) {
		struct mm_file *f = &c->files[i];

		if (!i || f[-1].f.f.dev != f->f.f.dev ||
		    f[-1].f.f.ino != f->f.f.ino ||
		    f[-1].f.f.flags != f->f.f.flags) {
			id = cr_dump_file_add(c->d, &f->f, e);
			if (!id)
				return -e->err;
		}
		if (f->vma < 0)
			c->mm->m.exe_file_id = id;
		else
			c->mm->vmas[f->vma].v.file_id = id;
	}
	return 0;
}

/* PAGEMAP_SCAN (Linux 6.7; PAGE_IS_GUARD 6.15), as linux/fs.h has it. */
struct mm_pm_scan_arg {
	uint64_t	size, flags, start, end, walk_end, vec, vec_len;
	uint64_t	max_pages, category_inverted, category_mask;
	uint64_t	category_anyof_mask, return_mask;
};
struct mm_page_region {
	uint64_t	start, end, categories;
};
#define MM_PAGEMAP_SCAN		_IOWR('f', 16, struct mm_pm_scan_arg)
#define MM_PAGE_IS_GUARD	(1ULL << 8)

/*
 * Guard regions (MADV_GUARD_INSTALL) are markers in the page tables,
 * not mappings: smaps does not show them and a restore would lose them.
 * Refuse the mapping holding the first one.  A kernel that cannot scan
 * for them (before 6.15) cannot say; the page dump then fails on them.
 */
static int mm_guards(struct mm_collect *c, const struct cr_proc_map *maps,
		     int n, struct cr_err *e)
{
	struct mm_page_region reg;
	struct mm_pm_scan_arg a = {
		.size = sizeof(a), .end = CR_TASK_SIZE,
		.vec = (uintptr_t)&reg, .vec_len = 1,
		.category_mask = MM_PAGE_IS_GUARD,
		.return_mask = MM_PAGE_IS_GUARD,
	};
	char path[64], why[128];
	int fd, i;
	long ret;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", c->dt->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_fail(e, errno, "pid %d: cannot open %s: %m",
			       c->dt->pid, path);
	ret = ioctl(fd, MM_PAGEMAP_SCAN, &a);
	close(fd);
	if (ret <= 0)
		return 0;
	for (i = 0; i < n && maps[i].end <= reg.start; i++)
		;
	if (i == n)
		return 0;
	snprintf(why, sizeof(why),
		 "guard regions (MADV_GUARD_INSTALL) are not supported (one at %llx-%llx)",
		 (unsigned long long)reg.start, (unsigned long long)reg.end);
	return mm_refuse(c->dt, &maps[i], why);
}

/* Phase 1: the layout of /proc/PID/stat, auxv, exe, smaps. */
static int mm_collect(struct cr_dump *d, struct cr_dtask *dt, struct cr_err *e)
{
	struct mm_collect c = { .d = d, .dt = dt };
	struct cr_proc_map *maps = NULL;
	struct cr_proc_stat st;
	struct crfs_mm *mm;
	int i, n = 0, ret, err = 0;

	c.mm = cr_model_new_mm(&d->m, &err);
	if (!c.mm)
		return cr_fail(e, ENOMEM, "out of memory");
	mm = &c.mm->m;
	mm->id = cr_dump_id(d);
	dt->t->t.mm_id = mm->id;
	ret = cr_proc_stat(dt->pid, &st, e);
	if (ret)
		return ret;
	*mm = (struct crfs_mm){ .id = mm->id,
		.start_code = st.start_code, .end_code = st.end_code,
		.start_data = st.start_data, .end_data = st.end_data,
		.start_brk = st.start_brk,
		.brk = st.start_brk,	/* the exact brk comes by the batch */
		.start_stack = st.start_stack,
		.arg_start = st.arg_start, .arg_end = st.arg_end,
		.env_start = st.env_start, .env_end = st.env_end,
	};
	ret = cr_proc_auxv(dt->pid, mm->auxv, CRFS_AUXV_WORDS,
			   &mm->auxv_words, e);
	if (!ret)
		ret = mm_exe(&c, e);
	if (!ret)
		n = ret = cr_proc_maps(dt->pid, &maps, e);
	for (i = 0; ret >= 0 && i < n; i++) {
		struct cr_vma *v = cr_model_new_vma(c.mm, &err);

		if (!v) {
			ret = cr_fail(e, ENOMEM, "out of memory");
			break;
		}
		ret = mm_vma(&c, &maps[i], v, e);
		/* Nothing mapped nor swapped: no need to scan its pagemap. */
		if (!maps[i].rss_kb && !maps[i].swap_kb)
			v->pages = CR_PAGES_NONE;
	}
	if (ret >= 0)
		ret = mm_guards(&c, maps, n, e);
	if (ret >= 0)
		ret = mm_files(&c, e);
	if (maps)
		cr_proc_maps_free(maps, n);
	for (i = 0; c.files && i < (int)c.nr_files; i++)
		free(c.files[i].f.path);
	free(c.files);
	return ret < 0 ? ret : 0;
}

/*
 * Under strict overcommit (vm.overcommit_memory=2) the kernel ignores
 * MAP_NORESERVE and charges the mapping: it would come back "ac", not
 * "nr".  The checkpoint refuses such a mapping then, and the restore
 * before anything exists.
 */
static int mm_fits_noreserve(const struct cr_mm *mm, uint32_t pid,
			     struct cr_err *e)
{
	char *s = cr_read_file("/proc/sys/vm/overcommit_memory", NULL);
	bool strict = s && atoi(s) == 2;

	free(s);
	for (uint32_t i = 0; strict && i < mm->nr_vmas; i++) {
		const struct crfs_vma *v = &mm->vmas[i].v;

		if (v->flags & CRFS_VMA_F_NORESERVE)
			return cr_fail(e, EOPNOTSUPP,
				       "pid %u: mapping %#llx-%#llx: MAP_NORESERVE, which vm.overcommit_memory=2 ignores: it would come back charged to the commit limit",
				       pid, (unsigned long long)v->start,
				       (unsigned long long)v->end);
	}
	return 0;
}

/*
 * The restore locks the memory that was locked (mlock2()) while the new
 * process still has the restorer's credentials and limits: without
 * CAP_IPC_LOCK, RLIMIT_MEMLOCK bounds it.  The checkpoint refuses what
 * this restorer could not lock, and the restore before anything exists.
 */
static int mm_fits_locked(const struct cr_mm *mm, uint32_t pid,
			  struct cr_err *e)
{
	uint64_t locked = 0;
	struct rlimit rl;

	for (uint32_t i = 0; i < mm->nr_vmas; i++) {
		const struct crfs_vma *v = &mm->vmas[i].v;

		if (v->flags & CRFS_VMA_F_LOCKED)
			locked += v->end - v->start;
	}
	if (!locked || cr_capable(CAP_IPC_LOCK) ||
	    getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    locked <= rl.rlim_cur)
		return 0;
	return cr_fail(e, ENOMEM,
		       "pid %u: %llu bytes of locked memory (mlock): the restorer has no CAP_IPC_LOCK and its RLIMIT_MEMLOCK allows %llu",
		       pid, (unsigned long long)locked,
		       (unsigned long long)rl.rlim_cur);
}

/*
 * Phase 2: the first mapping refused, in address order; then what this
 * restorer could not map or lock as it was.
 */
static int mm_check(struct cr_dump *d, struct cr_dtask *dt, struct cr_err *e)
{
	int ret;

	(void)d;
	if (dt->refused_mm.err) {
		*e = dt->refused_mm;
		return -e->err;
	}
	ret = mm_fits_noreserve(dt->t->mm, dt->pid, e);
	return ret ? ret : mm_fits_locked(dt->t->mm, dt->pid, e);
}

/* Phase 4: the exact brk, which only the task tells. */
static int mm_seized(struct cr_dump *d, struct cr_dtask *dt,
		     struct cr_batch *b, struct cr_err *e)
{
	long rc;

	(void)d;
	if (cr_seized_calls(b))
		return cr_batch_add(b, __NR_brk, (unsigned long[6]){ 0 }) < 0 ?
		       cr_fail(e, E2BIG, "pid %d: the injection batch is full",
			       dt->pid) : 0;
	if (!cr_seized_done(b))
		return 0;
	rc = cr_batch_ret(b, b->slot->call);
	if (rc < 0 && rc > -4096)
		return cr_fail(e, (int)-rc, "pid %d: injected brk failed: %s",
			       dt->pid, strerror((int)-rc));
	dt->t->mm->m.brk = rc;
	return 0;
}

/*
 * Restore phase 1: can this machine give the process as many mappings as
 * the image has?  Past vm.max_map_count the mmap() of one of them would
 * fail, after all the others were made: refuse before anything exists.
 */
static int mm_plan(struct cr_rst *r, struct cr_err *e)
{
	char *s = cr_read_file("/proc/sys/vm/max_map_count", NULL);
	long max = s ? atol(s) : 0;
	int ret;

	free(s);
	/* The scratch area is one more while the memory is rebuilt. */
	if (max > 0 && (long)r->mm->nr_vmas + 1 > max)
		return cr_fail(e, ENOMEM,
			       "pid %u: the image has %u mappings, vm.max_map_count allows %ld",
			       r->task->t.pid, r->mm->nr_vmas, max);
	ret = mm_fits_noreserve(r->mm, r->task->t.pid, e);
	return ret ? ret : mm_fits_locked(r->mm, r->task->t.pid, e);
}

const struct cr_res_ops cr_res_mm = {
	.name		= "mm",
	.collect	= mm_collect,
	.check		= mm_check,
	.seized		= mm_seized,
	.plan		= mm_plan,
};
