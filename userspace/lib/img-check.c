// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What an image must be for a restore to bring it back, judged on the
 * image alone: one list of rules for the restore and for `crfs-image
 * verify`, so that both refuse the same images with the same reason.
 *
 * The codec (image.c) checks the framing: checksums, lengths, alignment.
 * The reading of the model (model-read.c) checks the order of the
 * records, their counts, ids and references, and what memory safety
 * needs.  Here is what the values mean, one function per record kind (the
 * check of the table, rec.c), called in stream order on the whole model:
 * mappings sorted and inside user space, files of kinds this version
 * reopens, page data inside the mappings that get it, locks a restore
 * can take again, ids, signals, limits, the registers and the XSAVE
 * header the kernel would refuse.
 * What depends on this machine (files, pids, CPU features) is checked by
 * the restore where it is used.
 *
 * Every check is linear in the records, or O(log n) per record (a lock's
 * descriptor by bisection in an index made once, O(n log n)).
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

/* The processes a restore brings back, at most, and their threads. */
#define CR_RST_TASKS_MAX	32768
#define CR_RST_THREADS_MAX	4096
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
/* Scheduling policies (SCHED_*), and the flag sched_getscheduler() adds. */
#define CR_SCHED_FIFO		1
#define CR_SCHED_RR		2
#define CR_SCHED_ISO		4	/* reserved, never a policy */
#define CR_SCHED_IDLE		5
#define CR_SCHED_RESET_ON_FORK	0x40000000U
/* PR_SET_DUMPABLE takes 0 or 1; SUID_DUMP_ROOT (2) only the kernel sets. */
#define CR_DUMPABLE_MAX		1
#define CR_RSEQ_MIN_LEN		32
#define CR_OOM_ADJ_MAX		1000
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
/* ioprio: class in bits 13-15 (NONE 0 to IDLE 3), level in bits 0-2. */
#define CR_IOPRIO_CLASS(v)	((v) >> 13)
#define CR_IOPRIO_HINTS		0x1ff8U
#define CR_IOPRIO_CLASS_IDLE	3
#define CR_TASK_FLAGS		(CRFS_TASK_F_CHILD_SUBREAPER | \
				 CRFS_TASK_F_NO_NEW_PRIVS | \
				 CRFS_TASK_F_FUTEX_HASH)
#define CR_AT_NULL		0
/* Times a timer is set again with: a timespec64 the kernel takes. */
#define CR_TIME_NS_MAX		((uint64_t)INT64_MAX)
#define CR_NSEC_PER_USEC	1000
/* The clocks a timer can be created on again (clockid_t). */
#define CR_CLOCK_REALTIME	0
#define CR_CLOCK_MONOTONIC	1
#define CR_CLOCK_PROCESS_CPU	2
#define CR_CLOCK_THREAD_CPU	3
#define CR_CLOCK_BOOTTIME	7
#define CR_CLOCK_TAI		11
/* An encoded CPU clock: ~pid << 3 | per-thread << 2 | PROF, VIRT, SCHED. */
#define CR_CPUCLOCK_PERTHREAD	4
#define CR_CPUCLOCK_WHICH	3
#define CR_CPUCLOCK_FD		3
/* sigev_notify */
#define CR_SIGEV_SIGNAL		0
#define CR_SIGEV_NONE		1
#define CR_SIGEV_THREAD_ID	4
/*
 * The status flags a description is opened with again (fdinfo's flags).
 * O_LARGEFILE as the kernel shows it: glibc defines it 0 on 64 bits.
 */
#define CR_O_LARGEFILE		0100000
#define CR_FILE_FLAGS		(O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | \
				 O_DSYNC | O_DIRECT | O_NOATIME | \
				 CR_O_LARGEFILE | O_DIRECTORY | O_PATH | \
				 O_NOFOLLOW | O_ASYNC)

/* The kinds of file this version reopens, and the type each must have. */
static const uint32_t cr_file_types[CRFS_FILE_NR] = {
	[CRFS_FILE_REG] = S_IFREG, [CRFS_FILE_DIR] = S_IFDIR,
	[CRFS_FILE_CHR] = S_IFCHR, [CRFS_FILE_MEMFD] = S_IFREG,
	[CRFS_FILE_UNLINKED] = S_IFREG, [CRFS_FILE_ANON_SHMEM] = S_IFREG,
};
/* The seals memfd_create() and F_ADD_SEALS know. */
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE	0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC		0x0020
#endif
#define CR_SEALS		(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
				 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | \
				 F_SEAL_EXEC)
/* "memfd:" and a name memfd_create() takes (249 bytes at most). */
#define CR_MEMFD_PREFIX		"memfd:"
#define CR_MEMFD_NAME_MAX	249

/* The others, as a refusal names them. */
static const char *const cr_file_kind_names[CRFS_FILE_NR] = {
	[CRFS_FILE_PIPE] = "pipes", [CRFS_FILE_FIFO] = "FIFOs",
	[CRFS_FILE_UNIX] = "unix sockets", [CRFS_FILE_INET] = "sockets",
	[CRFS_FILE_EVENTFD] = "eventfds", [CRFS_FILE_EPOLL] = "epoll instances",
	[CRFS_FILE_SIGNALFD] = "signalfds", [CRFS_FILE_TIMERFD] = "timerfds",
	[CRFS_FILE_INOTIFY] = "inotify instances", [CRFS_FILE_TTY] = "terminals",
};

/* Is @rdev one of the devices a checkpoint keeps (dump-files.c)? */
static bool cr_chr_ok(uint64_t rdev)
{
	static const struct { unsigned int major, minor; } ok[] = {
		{ 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 }, { 1, 9 }, { 5, 0 },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (major(rdev) == ok[i].major && minor(rdev) == ok[i].minor)
			return true;
	return false;
}

/*
 * Can @f have O_ASYNC?  Only a file whose driver has a fasync method:
 * of those a checkpoint keeps, /dev/random and /dev/urandom.
 */
static bool cr_async_ok(const struct crfs_file *f)
{
	return f->kind == CRFS_FILE_CHR && major(f->rdev) == 1 &&
	       (minor(f->rdev) == 8 || minor(f->rdev) == 9);
}

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

/* Does [addr, addr + len) lie inside one mapping of @mm? */
static bool cr_in_vma(const struct cr_mm *mm, uint64_t addr, uint64_t len)
{
	uint32_t i = cr_model_vma_find(mm, addr);

	return i < mm->nr_vmas && mm->vmas[i].v.start <= addr &&
	       len <= mm->vmas[i].v.end - addr;
}

int cr_img_check_image(const struct crfs_image_hdr *h, struct cr_err *e)
{
	static const uint8_t none[CRFS_ID_LEN];

	if (h->features & ~CRFS_FEAT_KNOWN)
		return cr_fail(e, EOPNOTSUPP, "image uses features 0x%" PRIx64
			       ", this reader knows 0x%llx",
			       (uint64_t)h->features,
			       (unsigned long long)CRFS_FEAT_KNOWN);
	if (!(h->features & CRFS_FEAT_XSTATE))
		return cr_fail(e, EBADMSG, "image header: features 0x%" PRIx64
			       " lack XSTATE, which every process has",
			       (uint64_t)h->features);
	if (h->arch != CRFS_ARCH_X86_64)
		return cr_fail(e, EOPNOTSUPP, "image of architecture 0x%x: "
			       "this reader knows the records of x86-64 "
			       "(0x%x) only", h->arch, CRFS_ARCH_X86_64);
	if (memcmp(h->parent_id, none, sizeof(none)))
		return cr_fail(e, EOPNOTSUPP, "the image has a parent image: "
			       "incremental images are not supported");
	if (!h->nr_tasks || h->nr_tasks > CR_RST_TASKS_MAX)
		return cr_fail(e, h->nr_tasks ? EOPNOTSUPP : EBADMSG,
			       "the image holds %u processes; 1 to %d are "
			       "supported", h->nr_tasks, CR_RST_TASKS_MAX);
	return 0;
}

/*
 * Why a MEMFD or UNLINKED file is wrong, or NULL: its name or path, its
 * data within its size and the limit, seals of a memfd only, and, when
 * another FILE carries its data, the same inode as that one.
 */
static const char *cr_file_kept_why(const struct cr_chk *c,
				    const struct cr_file *fi)
{
	const struct crfs_file *f = &fi->f, *d;
	const struct cr_file *di;
	uint64_t ps = c->h->page_size;

	if (f->kind == CRFS_FILE_MEMFD &&
	    (strncmp(fi->path, CR_MEMFD_PREFIX, strlen(CR_MEMFD_PREFIX)) ||
	     strlen(fi->path) > strlen(CR_MEMFD_PREFIX) + CR_MEMFD_NAME_MAX))
		return "a memfd whose path is not memfd:NAME";
	if (f->kind == CRFS_FILE_UNLINKED && !cr_abs(fi->path))
		return "its path is not absolute";
	if (f->kind == CRFS_FILE_ANON_SHMEM && strcmp(fi->path, "/dev/zero"))
		return "shared anonymous memory whose path is not /dev/zero";
	if (f->kind != CRFS_FILE_MEMFD && f->seals)
		return "seals on a file that is no memfd";
	if (f->seals & ~CR_SEALS)
		return "unknown seals";
	if (f->size > INT64_MAX)
		return "a size ftruncate() cannot take";
	if (f->data_size % ps || f->data_size > CRFS_FILE_DATA_MAX ||
	    f->data_size > (f->size + ps - 1) / ps * ps)
		return "data_size not whole pages within its size and "
		       "CRFS_FILE_DATA_MAX";
	if (f->cflags & CRFS_FILE_F_PRIV)
		return "CRFS_FILE_F_PRIV on a file made by the restore";
	if (f->data_id == f->id)
		return NULL;
	di = cr_model_file(c->m, f->data_id);
	if (!di || f->data_id > f->id || di->f.data_id != di->f.id)
		return "its data_id names no earlier file carrying data";
	d = &di->f;
	if (f->data_size || d->kind != f->kind || d->dev != f->dev ||
	    d->ino != f->ino || d->size != f->size || d->mode != f->mode ||
	    d->uid != f->uid || d->gid != f->gid || d->seals != f->seals ||
	    strcmp(di->path, fi->path))
		return "not the inode of the file its data_id names";
	return NULL;
}

/* FILE: a kind this version reopens, its type, an absolute path. */
int cr_file_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_file *fi = obj;
	const struct crfs_file *f = &fi->f;
	const char *why = NULL;

	if (!f->kind || f->kind >= CRFS_FILE_NR)
		return cr_fail(e, EBADMSG, "file %u: unknown kind %u", f->id,
			       f->kind);
	if (f->kind == CRFS_FILE_UNIX)
		return cr_img_unix_check(c, fi, e);
	if (cr_file_pipe(f))
		return cr_img_pipe_check(c, fi, e);
	if (f->kind == CRFS_FILE_TTY)
		return cr_img_tty_check(c, fi, e);
	if (f->ext_len && !cr_file_has_ext(f))
		return cr_fail(e, EBADMSG, "file %u: state after the path of "
			       "a file that is no event descriptor or socket",
			       f->id);
	if (cr_file_event(f))
		return cr_img_evfd_check(c, fi, e);
	if (f->kind == CRFS_FILE_INET)
		return cr_img_inet_check(c, fi, e);
	if (!cr_file_types[f->kind])
		return cr_fail(e, EOPNOTSUPP, "file %u: %s: %s are not "
			       "supported by this version", f->id, fi->path,
			       cr_file_kind_names[f->kind]);
	if (cr_file_kept(f))
		why = cr_file_kept_why(c, fi);
	else if (!cr_abs(fi->path))
		why = "its path is not absolute";
	else if (f->data_id)
		why = "a data_id on a file whose contents are not in the image";
	if (why)
		;
	else if ((f->mode & S_IFMT) != cr_file_types[f->kind])
		why = "its mode does not match its kind";
	else if (f->pos > INT64_MAX)
		why = "a position lseek() cannot take";
	else if (f->flags & O_CLOEXEC)
		why = "O_CLOEXEC, which belongs to a descriptor";
	else if ((f->flags & ~CR_FILE_FLAGS) ||
		 (f->flags & O_ACCMODE) == O_ACCMODE)
		why = "status flags a restore cannot open it with";
	else if ((f->flags & O_PATH) && f->kind != CRFS_FILE_DIR)
		why = "O_PATH on a file that is no directory";
	else if (f->kind == CRFS_FILE_DIR && (f->flags & O_ACCMODE))
		why = "a directory open for writing";
	else if (f->cflags & ~CRFS_FILE_F_PRIV)
		why = "unknown cflags";
	else if (!cr_file_kept(f) && (f->data_size || f->seals))
		why = "data or seals of a file whose contents are not in "
		      "the image";
	else if (f->kind == CRFS_FILE_CHR && !cr_chr_ok(f->rdev))
		why = "a device other than /dev/null, /dev/zero, /dev/full, "
		      "/dev/random, /dev/urandom, /dev/tty";
	else if (f->owner_type > CRFS_OWNER_PGRP ||
		 !f->owner_type != !f->owner_pid || f->signo > CRFS_NSIG)
		why = "an owner type, owner or signal (F_SETOWN_EX, F_SETSIG) "
		      "that is none";
	else if ((f->owner_type && f->kind == CRFS_FILE_DIR) ||
		 ((f->owner_type || f->signo) && f->flags & O_PATH))
		why = "an owner on a directory (dnotify, which a restore "
		      "does not make), or an owner or signal on an O_PATH "
		      "descriptor";
	else if (f->flags & O_ASYNC && !cr_async_ok(f))
		why = "O_ASYNC on a file without a fasync method (here only "
		      "/dev/random and /dev/urandom have one)";
	if (!why)
		return 0;
	return cr_fail(e, EBADMSG, "file %u (kind %u): \"%.64s\": %s", f->id,
		       f->kind, fi->path, why);
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

/* FDTABLE: used by a process. */
int cr_fdtable_check(const struct cr_chk *c, const void *obj,
		     struct cr_err *e)
{
	const struct cr_fdtable *t = obj;

	((struct cr_chk *)c)->fdt = t;
	((struct cr_chk *)c)->prev_fd = NULL;
	if (!t->pid)
		return cr_fail(e, EBADMSG, "fd table %u is used by no process",
			       t->t.id);
	return 0;
}

/*
 * FD: a file, sorted, numbers a descriptor can have.  Not bounded by the
 * image's own RLIMIT_NOFILE: a process may lower it below a descriptor it
 * holds, and the restore sets the limits last; what this restorer can
 * open is a check of the machine (cr_rst_task_fits()).
 */
int cr_fd_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_fd *fd = obj, *prev = c->prev_fd;
	const struct crfs_fd *d = &fd->d;
	const char *why = NULL;

	((struct cr_chk *)c)->prev_fd = fd;
	if (!fd->file)
		why = "no file";
	else if (prev && prev->d.fd >= d->fd)
		why = "not above the descriptor before it";
	else if (d->fd >= INT32_MAX)
		why = "not a descriptor number";
	else if (d->cloexec > 1)
		why = "close-on-exec neither 0 nor 1";
	if (why)
		return cr_fail(e, EBADMSG, "pid %u: fd %u: %s", c->fdt->pid,
			       d->fd, why);
	if (fd->file->f.flags & O_PATH)
		return cr_fail(e, EOPNOTSUPP, "pid %u: fd %u: %s: O_PATH "
			       "descriptors are not supported", c->fdt->pid,
			       d->fd, fd->file->path);
	return 0;
}

static int cr_u64_cmp(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return (a > b) - (a < b);
}

/* The (file, fd table) of every descriptor, sorted: once, O(n log n). */
static int cr_chk_held_index(struct cr_chk *c, struct cr_err *e)
{
	const struct cr_model *m = c->m;
	uint32_t i, j;

	c->have_held = true;
	for (i = 0; i < m->nr_fdts; i++)
		for (j = 0; j < m->fdts[i].nr_fds; j++) {
			if (cr_grow(&c->held, c->nr_held, sizeof(*c->held)))
				return cr_fail(e, ENOMEM, "out of memory");
			c->held[c->nr_held++] =
				(uint64_t)m->fdts[i].fds[j].d.file_id << 32 |
				m->fdts[i].t.id;
		}
	if (c->nr_held)
		qsort(c->held, c->nr_held, sizeof(*c->held), cr_u64_cmp);
	return 0;
}

/* Has a descriptor of fd table @fdt (0: of any) description @file? */
static bool cr_chk_held(const struct cr_chk *c, uint32_t file, uint32_t fdt)
{
	uint64_t key = (uint64_t)file << 32 | fdt;
	uint32_t lo = 0, hi = c->nr_held;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (c->held[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->nr_held)
		return false;
	return fdt ? c->held[lo] == key : c->held[lo] >> 32 == file;
}

/* Why lock @li cannot be taken again as it is, or NULL. */
static const char *cr_lock_why(const struct cr_chk *c,
			       const struct cr_lock *li)
{
	const struct crfs_lock *l = &li->l;
	uint32_t acc;

	if (!li->file)
		return "no file";
	acc = li->file->f.flags & O_ACCMODE;
	if (l->kind < CRFS_LOCK_POSIX || l->kind > CRFS_LOCK_FLOCK)
		return "unknown kind";
	if (l->type != F_RDLCK && l->type != F_WRLCK)
		return "neither a read nor a write lock";
	if ((l->kind == CRFS_LOCK_POSIX) != !!l->owner)
		return "a POSIX lock without an owner, or another with one";
	if (l->kind == CRFS_LOCK_FLOCK && (l->start || l->len))
		return "a byte range on a flock() lock";
	if (l->start > INT64_MAX || (l->len && l->len - 1 > INT64_MAX -
				     l->start))
		return "a byte range fcntl() does not take";
	if (l->kind != CRFS_LOCK_FLOCK && l->type == F_RDLCK &&
	    acc == O_WRONLY)
		return "a read lock on a description not open for reading";
	if (l->kind != CRFS_LOCK_FLOCK && l->type == F_WRLCK &&
	    acc == O_RDONLY)
		return "a write lock on a description not open for writing";
	if (!cr_chk_held(c, l->file_id, l->owner))
		return l->owner ? "on a description no descriptor of its "
				  "owner has" : "on a description no descriptor "
				  "has";
	return NULL;
}

/*
 * LOCK: a kind and type fcntl() or flock() takes, a range it takes, on a
 * description a descriptor has (a POSIX one: its owner's), open for what
 * the lock needs, of a kind whose locks a restore takes again.
 */
int cr_lock_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_lock *li = obj;
	const struct crfs_lock *l = &li->l;
	const char *why;
	int ret;

	if (!c->have_held) {
		ret = cr_chk_held_index((struct cr_chk *)c, e);
		if (ret)
			return ret;
	}
	why = cr_lock_why(c, li);
	if (why)
		return cr_fail(e, EBADMSG, "lock on file %u (kind %u, type %u, "
			       "%" PRIu64 "+%" PRIu64 "): %s", l->file_id,
			       l->kind, l->type, (uint64_t)l->start,
			       (uint64_t)l->len, why);
	if (!cr_file_lockable(&li->file->f))
		return cr_fail(e, EOPNOTSUPP, "file %u: %s: locks on devices "
			       "are not restored", l->file_id, li->file->path);
	return 0;
}

/* FS: used, umask, cwd and root directories. */
int cr_fs_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_fs *fs = obj;

	(void)c;
	if (!fs->pid)
		return cr_fail(e, EBADMSG, "fs %u is used by no process",
			       fs->f.id);
	if (fs->f.umask & ~0777U)
		return cr_fail(e, EBADMSG, "pid %u: umask %#o", fs->pid,
			       fs->f.umask);
	if (!fs->cwd || !fs->root || fs->cwd->f.kind != CRFS_FILE_DIR ||
	    fs->root->f.kind != CRFS_FILE_DIR)
		return cr_fail(e, EBADMSG, "pid %u: cwd (file %u) and root "
			       "(file %u) must be directories", fs->pid,
			       fs->f.cwd_file_id, fs->f.root_file_id);
	return 0;
}

/* SIGHAND: SIGKILL and SIGSTOP have the default action. */
int cr_sighand_check(const struct cr_chk *c, const void *obj,
		     struct cr_err *e)
{
	const struct cr_sighand *sh = obj;
	static const struct crfs_sigact dfl;

	(void)c;
	if (!sh->pid)
		return cr_fail(e, EBADMSG, "sighand %u is used by no process",
			       sh->s.id);
	/* The restore skips them: anything but the default would be lost. */
	if (memcmp(&sh->s.act[SIGKILL - 1], &dfl, sizeof(dfl)) ||
	    memcmp(&sh->s.act[SIGSTOP - 1], &dfl, sizeof(dfl)))
		return cr_fail(e, EBADMSG, "pid %u: SIGKILL and SIGSTOP have "
			       "an action", sh->pid);
	return 0;
}

/* Why the ids, state and objects of @k are wrong, or NULL. */
static const char *cr_task_why(const struct cr_task *t)
{
	const struct crfs_task *k = &t->t;

	if (k->personality == CR_PERSONALITY_QUERY)
		return "personality 0xffffffff";
	if (k->state == CRFS_TASK_ZOMBIE)
		return NULL;	/* img-check-tree.c */
	if (!t->mm || !t->fdt || !t->fs || !t->sighand)
		return "no mm, fd table, fs or signal handlers";
	if (k->oom_score_adj < -CR_OOM_ADJ_MAX ||
	    k->oom_score_adj > CR_OOM_ADJ_MAX)
		return "oom_score_adj beyond 1000";
	if (k->flags & ~CR_TASK_FLAGS)
		return "unknown flags";
	if (k->pdeath_signal > CRFS_NSIG)
		return "no such parent-death signal";
	if (!t->nr_threads || t->threads[0].t.tid != k->pid)
		return "its first thread is not its leader";
	if ((k->flags & CRFS_TASK_F_FUTEX_HASH) && t->nr_threads != 1)
		return "a futex hash of past threads with threads now";
	return NULL;
}

/*
 * Is the owner (F_SETOWN_EX) of description @f a process of the image
 * holding it too, the first of its descriptor table (the one that sets it
 * at the restore)?
 */
static bool cr_owner_holds(const struct cr_chk *c, const struct crfs_file *f)
{
	int64_t k = cr_model_find(c->m, CR_K_TASK, f->owner_pid);
	const struct cr_task *o = k >= 0 ? &c->m->tasks[k] : NULL;

	return o && o->fdt && o->fdt->pid == o->t.pid && o->t.fdtable_id &&
	       cr_chk_held(c, f->id, o->t.fdtable_id);
}

/*
 * The owner of each description of @t's descriptors (F_SETOWN_EX) is
 * @t itself: its pid, its thread, the process group it leads after the
 * restore; or another process of the image holding the description.
 */
static int cr_task_owners(const struct cr_chk *c, const struct cr_task *t,
			  struct cr_err *e)
{
	int ret;

	if (!c->have_held) {
		ret = cr_chk_held_index((struct cr_chk *)c, e);
		if (ret)
			return ret;
	}
	for (uint32_t i = 0; i < c->m->nr_fdts; i++) {
		const struct cr_fdtable *fdt = &c->m->fdts[i];

		if (fdt->t.id != t->t.fdtable_id)
			continue;
		for (uint32_t j = 0; j < fdt->nr_fds; j++) {
			int64_t k = cr_model_find(c->m, CR_K_FILE,
						  fdt->fds[j].d.file_id);
			const struct crfs_file *f;

			if (k < 0)
				continue;	/* FD rules: not here */
			f = &c->m->files[k].f;
			if (f->owner_type && f->owner_pid != t->t.pid &&
			    !cr_owner_holds(c, f))
				return cr_fail(e, EBADMSG, "pid %u: fd %u: "
					       "owner %u (type %u) is neither "
					       "the process nor one holding "
					       "the description", t->t.pid,
					       fdt->fds[j].d.fd, f->owner_pid,
					       f->owner_type);
		}
	}
	return 0;
}

/* TASK: pid, parent, state, objects, threads, limits. */
int cr_task_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_task *t = obj;
	const struct crfs_task *k = &t->t;
	const char *why;

	((struct cr_chk *)c)->task = t;
	((struct cr_chk *)c)->queue = &t->pending;
	((struct cr_chk *)c)->seen_std = 0;
	((struct cr_chk *)c)->rt = 0;
	if (k->pid < 1 || k->pid > CR_PID_MAX)
		return cr_fail(e, EBADMSG, "pid %u: not a pid (1 to %d)",
			       k->pid, CR_PID_MAX);
	if (k->dumpable > CR_DUMPABLE_MAX)
		return cr_fail(e, EBADMSG, "pid %u: dumpable %u: only 0 and 1 "
			       "can be set again", k->pid, k->dumpable);
	why = cr_task_why(t);
	if (why)
		return cr_fail(e, EBADMSG, "pid %u: %s", k->pid, why);
	if (k->state != CRFS_TASK_ALIVE && k->state != CRFS_TASK_STOPPED &&
	    k->state != CRFS_TASK_ZOMBIE)
		return cr_fail(e, k->state > CRFS_TASK_ZOMBIE || !k->state ?
			       EBADMSG : EOPNOTSUPP, "pid %u: state %u: only "
			       "running, sleeping, stopped or zombie "
			       "processes are supported", k->pid, k->state);
	if ((k->state == CRFS_TASK_STOPPED) != !!k->stop_signo ||
	    (k->stop_signo && k->stop_signo != SIGSTOP &&
	     k->stop_signo != SIGTSTP && k->stop_signo != SIGTTIN &&
	     k->stop_signo != SIGTTOU))
		return cr_fail(e, EBADMSG, "pid %u: state %u with stop "
			       "signal %u: a stopped process has SIGSTOP, "
			       "SIGTSTP, SIGTTIN or SIGTTOU, any other none",
			       k->pid, k->state, k->stop_signo);
	for (int i = 0; i < 3; i++)
		if (k->itimer[i].value_ns % CR_NSEC_PER_USEC ||
		    k->itimer[i].interval_ns % CR_NSEC_PER_USEC ||
		    k->itimer[i].value_ns > CR_TIME_NS_MAX ||
		    k->itimer[i].interval_ns > CR_TIME_NS_MAX)
			return cr_fail(e, EBADMSG, "pid %u: interval timer "
				       "%d: %" PRIu64 " ns every %" PRIu64
				       " ns: not whole microseconds a "
				       "setitimer() takes", k->pid, i,
				       (uint64_t)k->itimer[i].value_ns,
				       (uint64_t)k->itimer[i].interval_ns);
	if (t->nr_threads > CR_RST_THREADS_MAX)
		return cr_fail(e, EOPNOTSUPP, "pid %u: %u threads: "
			       "multi-threaded processes are not supported",
			       k->pid, t->nr_threads);
	for (int i = 0; i < CRFS_NR_RLIMITS; i++)
		if (k->rlim[i].cur > k->rlim[i].max)
			return cr_fail(e, EBADMSG, "pid %u: limit %d: soft "
				       "%" PRIu64 " above hard %" PRIu64,
				       k->pid, i, (uint64_t)k->rlim[i].cur,
				       (uint64_t)k->rlim[i].max);
	return cr_task_owners(c, t, e) ?: cr_img_evfd_task(c, t, e) ?:
	       cr_img_tty_task(c, t, e);
}

/*
 * CREDS: no id is -1, which setresuid() and friends take as "keep";
 * capability sets as the kernel keeps them (cr_creds_caps_why()).
 */
int cr_creds_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct cr_task *t = obj;
	const struct crfs_creds *cr = &t->creds;
	const uint32_t ids[] = { cr->uid, cr->euid, cr->suid, cr->fsuid,
				 cr->gid, cr->egid, cr->sgid, cr->fsgid };
	const char *why = cr_creds_caps_why(cr);

	(void)c;
	if (why)
		return cr_fail(e, EBADMSG, "pid %u: credentials: %s",
			       t->t.pid, why);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (ids[i] == CR_ID_INVALID)
			return cr_fail(e, EBADMSG, "pid %u: credentials: id "
				       "%u is not valid", t->t.pid, ids[i]);
	for (uint32_t i = 0; i < cr->ngroups; i++)
		if (t->groups[i] == CR_ID_INVALID)
			return cr_fail(e, EBADMSG, "pid %u: supplementary "
				       "group %u is not valid", t->t.pid,
				       t->groups[i]);
	return 0;
}

/*
 * SIGPENDING: what the kernel can hold, and the restore can queue again:
 * a standard signal at most once a queue (the process's, the thread's),
 * real-time ones within RLIMIT_SIGPENDING; never SIGKILL or SIGSTOP,
 * which would kill or stop the process in the middle of its restore.
 */
int cr_sigpending_check(const struct cr_chk *c, const void *obj,
			struct cr_err *e)
{
	struct cr_chk *x = (struct cr_chk *)c;
	const struct crfs_sigpending *p = obj;
	uint64_t rt_max = c->task->t.rlim[RLIMIT_SIGPENDING].cur;
	uint64_t bit = p->signo >= 1 && p->signo <= CRFS_NSIG ?
		       1ULL << (p->signo - 1) : 0;
	const char *why = NULL;

	if (rt_max > CR_PENDING_RT_MAX)
		rt_max = CR_PENDING_RT_MAX;
	if (!bit)
		why = "no such signal";
	else if (p->signo == SIGKILL || p->signo == SIGSTOP)
		why = "SIGKILL and SIGSTOP cannot be queued again";
	else if (p->signo < CR_SIGRTMIN && (x->seen_std & bit))
		why = "a standard signal pending twice on one queue";
	else if (p->signo >= CR_SIGRTMIN && ++x->rt > rt_max)
		why = "more real-time signals than RLIMIT_SIGPENDING";
	if (why)
		return cr_fail(e, EBADMSG, "pid %u: pending signal %td "
			       "(signal %u, %s): %s", c->task->t.pid,
			       p - c->queue->sig + 1, p->signo,
			       p->tid ? "thread" : "process", why);
	x->seen_std |= bit;
	return 0;
}

/*
 * A scheduling policy a restore sets (SCHED_DEADLINE is refused), its
 * real-time priority (FIFO, RR: 1 to 99, the others 0), nice value, and
 * a CPU affinity with at least one CPU.
 */
static int cr_sched_check(const struct crfs_thread *t, struct cr_err *e)
{
	uint32_t pol = t->sched_policy & ~CR_SCHED_RESET_ON_FORK;
	bool rt = pol == CR_SCHED_FIFO || pol == CR_SCHED_RR;

	if ((pol > CR_SCHED_IDLE || pol == CR_SCHED_ISO) ||
	    (rt ? t->sched_priority < 1 || t->sched_priority > 99 :
	     t->sched_priority != 0) ||
	    t->sched_nice < -20 || t->sched_nice > 19)
		return cr_fail(e, EBADMSG, "pid %u: scheduling policy %#x, "
			       "priority %u, nice %d", t->tid, t->sched_policy,
			       t->sched_priority, t->sched_nice);
	for (int i = 0; i < CRFS_CPU_WORDS; i++)
		if (t->cpus_allowed[i])
			return 0;
	return cr_fail(e, EBADMSG, "pid %u: CPU affinity names no CPU",
		       t->tid);
}

/* THREAD: its alternate stack, rseq area, clear_child_tid, scheduling. */
int cr_thread_check(const struct cr_chk *c, const void *obj,
		    struct cr_err *e)
{
	const struct cr_thread *th = obj;
	const struct crfs_thread *t = &th->t;
	const struct cr_mm *mm = c->task->mm;

	((struct cr_chk *)c)->queue = &th->pending;
	((struct cr_chk *)c)->seen_std = 0;

	if (t->altstack_flags & ~CR_SS_FLAGS)
		return cr_fail(e, EBADMSG, "pid %u: alternate signal stack "
			       "flags 0x%x", t->tid, t->altstack_flags);
	if (!(t->altstack_flags & SS_DISABLE) &&
	    (t->altstack_size < CR_MINSIGSTKSZ ||
	     t->altstack_sp >= CR_TASK_SIZE ||
	     t->altstack_size > CR_TASK_SIZE - t->altstack_sp))
		return cr_fail(e, EBADMSG, "pid %u: alternate signal stack "
			       "0x%" PRIx64 " of %" PRIu64 " bytes", t->tid,
			       (uint64_t)t->altstack_sp,
			       (uint64_t)t->altstack_size);
	if (t->flags & CRFS_THREAD_F_SECCOMP_STRICT &&
	    (c->task->nr_threads > 1 || c->task->t.nr_threads > 1))
		return cr_fail(e, EOPNOTSUPP, "pid %u: thread %u: seccomp "
			       "strict mode in a multi-threaded process: not "
			       "restored", c->task->t.pid, t->tid);
	if (t->flags & ~(CRFS_THREAD_F_RSEQ | CRFS_THREAD_F_SECCOMP_STRICT) ||
	    !(t->flags & CRFS_THREAD_F_RSEQ) != !t->rseq_addr)
		return cr_fail(e, EBADMSG, "pid %u: thread flags 0x%x do not "
			       "match its rseq area", t->tid, t->flags);
	/* the kernel takes no level with class NONE; hints are not kept */
	if (CR_IOPRIO_CLASS(t->ioprio) > CR_IOPRIO_CLASS_IDLE ||
	    t->ioprio & CR_IOPRIO_HINTS ||
	    (!CR_IOPRIO_CLASS(t->ioprio) && t->ioprio))
		return cr_fail(e, EBADMSG, "pid %u: ioprio 0x%x: not a class "
			       "and level ioprio_set() takes", t->tid,
			       t->ioprio);
	if (t->rseq_addr && (t->rseq_addr % CR_RSEQ_MIN_LEN ||
			     t->rseq_len < CR_RSEQ_MIN_LEN ||
			     !cr_in_vma(mm, t->rseq_addr, t->rseq_len) ||
			     !(mm->vmas[cr_model_vma_find(mm, t->rseq_addr)].v.prot &
			       PROT_WRITE)))
		return cr_fail(e, EBADMSG, "pid %u: rseq area 0x%" PRIx64
			       " of %u bytes is not an aligned area inside a "
			       "writable mapping", t->tid,
			       (uint64_t)t->rseq_addr, t->rseq_len);
	if (t->clear_child_tid >= CR_TASK_SIZE)
		return cr_fail(e, EBADMSG, "pid %u: clear_child_tid 0x%" PRIx64
			       " is not a user address", t->tid,
			       (uint64_t)t->clear_child_tid);
	return cr_sched_check(t, e);
}

/*
 * Is @clock one a timer of @t can be created on again?  The fixed clocks
 * but the alarm ones, or the CPU clock of @t itself or of one of its
 * threads, by id (kept by a restore) or as "the caller" (id 0, what
 * CLOCK_PROCESS_CPUTIME_ID and _THREAD_CPUTIME_ID become); not another
 * process's, nor a clock of a descriptor.
 */
static bool cr_timer_clock_ok(const struct cr_task *t, int32_t clock)
{
	uint32_t id;

	if (clock >= 0)
		return clock == CR_CLOCK_REALTIME ||
		       clock == CR_CLOCK_MONOTONIC ||
		       clock == CR_CLOCK_PROCESS_CPU ||
		       clock == CR_CLOCK_THREAD_CPU ||
		       clock == CR_CLOCK_BOOTTIME || clock == CR_CLOCK_TAI;
	if ((clock & CR_CPUCLOCK_WHICH) == CR_CPUCLOCK_FD)
		return false;
	id = ~(uint32_t)(clock >> 3);	/* 0: the caller */
	if (!id || !(clock & CR_CPUCLOCK_PERTHREAD))
		return !id || id == t->t.pid;
	for (uint32_t i = 0; i < t->nr_threads; i++)
		if (t->threads[i].t.tid == id)
			return true;
	return false;
}

/*
 * TIMER: a clock, a notification and a signal timer_create() takes, for
 * the process or one of its threads; times a timer_settime() takes.
 */
int cr_timer_check(const struct cr_chk *c, const void *obj, struct cr_err *e)
{
	const struct crfs_timer *tm = obj;
	const struct cr_task *t = c->task;
	bool tid_ok = false;

	if (!cr_timer_clock_ok(t, tm->clock))
		return cr_fail(e, EOPNOTSUPP, "pid %u: timer %d: clock %d: "
			       "only CLOCK_REALTIME, _MONOTONIC, _BOOTTIME, "
			       "_TAI and the CPU clocks of the process and of "
			       "its threads can be restored", tm->pid,
			       tm->timer_id, tm->clock);
	/* The caller's: which thread made it, /proc does not tell. */
	if (tm->clock == CR_CLOCK_THREAD_CPU &&
	    (t->nr_threads > 1 || t->t.nr_threads > 1))
		return cr_fail(e, EOPNOTSUPP, "pid %u: timer %d: on "
			       "CLOCK_THREAD_CPUTIME_ID in a multi-threaded "
			       "process: the thread whose clock it is is not "
			       "known", tm->pid, tm->timer_id);
	for (uint32_t i = 0; i < t->nr_threads; i++)
		tid_ok |= t->threads[i].t.tid == tm->notify_tid;
	if (tm->notify != CR_SIGEV_SIGNAL && tm->notify != CR_SIGEV_NONE &&
	    tm->notify != CR_SIGEV_THREAD_ID)
		return cr_fail(e, EOPNOTSUPP, "pid %u: timer %d: notification "
			       "%d: only SIGEV_SIGNAL, SIGEV_NONE and "
			       "SIGEV_THREAD_ID can be restored", tm->pid,
			       tm->timer_id, tm->notify);
	if ((tm->notify == CR_SIGEV_THREAD_ID) != !!tm->notify_tid)
		return cr_fail(e, EBADMSG, "pid %u: timer %d: notification "
			       "%d with thread %u: a thread goes with "
			       "SIGEV_THREAD_ID only", tm->pid, tm->timer_id,
			       tm->notify, tm->notify_tid);
	if (tm->notify_tid && !tid_ok)
		return cr_fail(e, EBADMSG, "pid %u: timer %d: notification "
			       "to thread %u, which is not one of its own",
			       tm->pid, tm->timer_id, tm->notify_tid);
	if (tm->signo < 0 || tm->signo > CRFS_NSIG ||
	    (!tm->signo && tm->notify != CR_SIGEV_NONE))
		return cr_fail(e, EBADMSG, "pid %u: timer %d: signal %d",
			       tm->pid, tm->timer_id, tm->signo);
	if (tm->value_ns > CR_TIME_NS_MAX || tm->interval_ns > CR_TIME_NS_MAX)
		return cr_fail(e, EBADMSG, "pid %u: timer %d: %" PRIu64
			       " ns every %" PRIu64 " ns: beyond what "
			       "timer_settime() takes", tm->pid, tm->timer_id,
			       (uint64_t)tm->value_ns,
			       (uint64_t)tm->interval_ns);
	return 0;
}

/* The checker's walk: each record's check. */
struct cr_check_ctx {
	struct cr_chk	c;
	struct cr_err	*e;
};

static int cr_check_visit(void *ctx, const struct cr_rec_ops *row,
			  const void *obj)
{
	struct cr_check_ctx *x = ctx;

	return row->check(&x->c, obj, x->e);
}

int cr_img_check_model(const struct crfs_image_hdr *h,
		       const struct cr_model *m, struct cr_err *e)
{
	static const struct cr_walk_ops ops = { cr_check_visit, NULL };
	struct cr_check_ctx x = { .c = { .h = h, .m = m }, .e = e };
	int ret = cr_model_walk(m, &ops, &x);

	free(x.c.held);
	return ret ? ret : cr_img_check_tree(h, m, e);
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

int cr_img_check_file_data(struct cr_img_walk *w, const void *payload,
			   uint64_t len, struct cr_err *e)
{
	uint64_t ps = w->hdr.page_size, end, room;
	struct crfs_file_data d;
	const char *why = NULL;
	struct cr_file *f;

	memcpy(&d, payload, sizeof(d));
	f = cr_model_file(&w->m, d.file_id);
	end = d.offset + d.size;
	if (!f)
		return cr_fail(e, EBADMSG, "file data of file %u, which is not "
			       "in the image", d.file_id);
	room = (f->f.size + ps - 1) / ps * ps;
	if (d.__pad)
		why = "padding not zero";
	else if (!cr_file_kept(&f->f) || f->f.data_id != f->f.id ||
		 !f->f.data_size)
		why = "a file whose contents are not in the image";
	else if (w->fd_file && w->fd_file != f &&
		 (w->fd_file->f.id > f->f.id ||
		  w->fd_sum != w->fd_file->f.data_size))
		why = "after the data of another file, or before it was whole";
	else if (d.offset % ps || !d.size || d.size % ps ||
		 d.size > (uint64_t)CRFS_PAGES_PER_REC * ps ||
		 len != sizeof(d) + d.size)
		why = "not whole pages at a page-aligned offset, or a length "
		      "that does not match them";
	else if (end < d.offset || end > room)
		why = "beyond the file's size";
	else if (w->fd_file == f && d.offset < w->fd_next)
		why = "below the end of the data before it";
	else if ((w->fd_file == f ? w->fd_sum : 0) + d.size >
		 f->f.data_size)
		why = "more than its data_size";
	if (why)
		return cr_fail(e, EBADMSG, "file %u: %s: data at %" PRIu64
			       "+%" PRIu64 ": %s", f->f.id, f->path,
			       (uint64_t)d.offset, (uint64_t)d.size, why);
	if (w->fd_file != f)
		w->fd_sum = 0;
	w->fd_file = f;
	w->fd_next = end;
	w->fd_sum += d.size;
	w->fd_total += d.size;
	w->fdata = (struct cr_img_fdata){ f, d.offset, d.size,
					  (const char *)payload + sizeof(d) };
	return 0;
}

int cr_img_check_file_data_end(struct cr_img_walk *w, struct cr_err *e)
{
	uint64_t want = 0;

	w->fd_over = true;
	for (uint32_t i = 0; i < w->m.nr_files; i++)
		if (w->m.files[i].f.data_id == w->m.files[i].f.id)
			want += w->m.files[i].f.data_size;
	if (want == w->fd_total)
		return 0;
	for (uint32_t i = 0; i < w->m.nr_files; i++) {
		const struct cr_file *f = &w->m.files[i];

		if (f->f.data_id == f->f.id && f->f.data_size &&
		    (f->f.id > (w->fd_file ? w->fd_file->f.id : 0) ||
		     (f == w->fd_file && w->fd_sum != f->f.data_size)))
			return cr_fail(e, EBADMSG, "file %u: %s: %" PRIu64
				       " bytes of data, the image has %" PRIu64,
				       f->f.id, f->path,
				       (uint64_t)f->f.data_size,
				       f == w->fd_file ? w->fd_sum : 0);
	}
	return cr_fail(e, EBADMSG, "file data: %" PRIu64 " bytes, the files "
		       "have %" PRIu64, w->fd_total, want);
}
