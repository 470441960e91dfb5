// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the image rules (img-check.c): a valid process, then one
 * forged image per rule, each read as `crfs-image verify` reads it (the
 * walker on a descriptor) and as the restore reads it (cr_rst_read() and
 * its PAGES on a ring); both must refuse it, with the same reason, which
 * names the rule.  Also: memory grows with the records that arrive, not
 * with the counts a record declares, and the checks are linear.  TAP.
 *
 *   test-check                   run the tests
 *   test-check --big N FILE      write a valid image with N mappings, N
 *                                descriptors and N / 64 PAGES records
 *                                (FILE - is stdout)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "restore.h"
#include "cr-ring.h"
#include "tap.h"

/* Under AddressSanitizer a data limit fails its own mappings. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN	1
#endif
#endif

#ifndef SS_AUTODISARM
#define SS_AUTODISARM	(1U << 31)
#endif

#define TAP_PLAN	98

#define REG(name)	(offsetof(struct user_regs_struct, name) / 8)
#define PS		4096ULL

/* The mappings of the valid process, by index. */
enum { V_EXE, V_HEAP, V_ANON1, V_ANON2, V_SHFILE, V_STACK, V_VVAR, V_VDSO,
       V_VSYSCALL, NR_V };

static const struct { uint64_t start, end; uint32_t kind, prot, flags;
		      const char *path; } vmas[NR_V] = {
	[V_EXE]	     = { 0x400000, 0x410000, CRFS_VMA_FILE, PROT_READ | PROT_EXEC,
			 0, "/usr/bin/prog" },
	[V_HEAP]     = { 0x600000, 0x620000, CRFS_VMA_HEAP, PROT_READ | PROT_WRITE,
			 0, NULL },
	[V_ANON1]    = { 0x700000, 0x710000, CRFS_VMA_ANON, PROT_READ, 0, NULL },
	[V_ANON2]    = { 0x710000, 0x720000, CRFS_VMA_ANON, PROT_READ | PROT_WRITE,
			 0, NULL },
	[V_SHFILE]   = { 0x800000, 0x810000, CRFS_VMA_FILE, PROT_READ,
			 CRFS_VMA_F_SHARED, "/var/data" },
	[V_STACK]    = { 0x7ffff0000000, 0x7ffff0021000, CRFS_VMA_STACK,
			 PROT_READ | PROT_WRITE, CRFS_VMA_F_GROWSDOWN, NULL },
	[V_VVAR]     = { 0x7ffff7ff0000, 0x7ffff7ff4000, CRFS_VMA_VVAR, PROT_READ,
			 0, NULL },
	[V_VDSO]     = { 0x7ffff7ff4000, 0x7ffff7ff6000, CRFS_VMA_VDSO,
			 PROT_READ | PROT_EXEC, 0, NULL },
	[V_VSYSCALL] = { 0xffffffffff600000, 0xffffffffff601000,
			 CRFS_VMA_VSYSCALL, PROT_EXEC, 0, NULL },
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A process every rule accepts. */
static void valid_task(struct cr_task_img *t, const struct crfs_image_hdr *h)
{
	memset(t, 0, sizeof(*t));
	t->task = (struct crfs_task){ .pid = 4711, .umask = 022, .dumpable = 1,
		.nr_vmas = NR_V, .nr_fds = 3, .nr_pending = 2, .comm = "prog",
		.rseq_addr = 0x600020, .rseq_len = 32, .rseq_sig = 0x53053053 };
	t->creds = (struct crfs_creds){ 1000, 1000, 1000, 1000,
					100, 100, 100, 100, 2, 0 };
	t->groups = malloc(2 * sizeof(uint32_t));
	t->groups[0] = 100;
	t->groups[1] = 0;
	t->cwd = strdup("/tmp");
	t->root = strdup("/");
	for (int i = 0; i < CRFS_NR_RLIMITS; i++)
		t->rlim.rlim[i].cur = t->rlim.rlim[i].max = ~0ULL;
	t->rlim.rlim[RLIMIT_NOFILE].cur = 1024;
	t->rlim.rlim[RLIMIT_NOFILE].max = 4096;
	t->sigacts.act[SIGINT - 1].handler = 0x401000;
	t->sigstate.altstack_flags = SS_DISABLE;
	t->pending = calloc(2, sizeof(*t->pending));
	t->pending[0] = (struct crfs_sigpending){ .shared = 0, .signo = 10 };
	t->pending[1] = (struct crfs_sigpending){ .shared = 1, .signo = 64 };
	t->regs.r[REG(cs)] = 0x33;
	t->regs.r[REG(ss)] = 0x2b;
	t->regs.r[REG(fs_base)] = 0x7ffff7d8a740;
	t->regs.r[REG(rip)] = 0x401000;
	t->xstate_size = h->xstate_size;
	t->xstate = calloc(1, t->xstate_size);
	memcpy((char *)t->xstate + 24, &(uint32_t){ 0x1f80 }, 4);
	if (h->xfeatures)
		memcpy((char *)t->xstate + 512, &(uint64_t){ 3 }, 8);
	t->mm = (struct crfs_mm){ .start_code = 0x400000, .end_code = 0x401000,
		.start_data = 0x402000, .end_data = 0x403000,
		.start_brk = 0x600000, .brk = 0x620000,
		.start_stack = 0x7ffff0020000, .arg_start = 0x7ffff0020100,
		.arg_end = 0x7ffff0020200, .env_start = 0x7ffff0020200,
		.env_end = 0x7ffff0020300, .auxv_words = 4,
		.auxv = { 6 /* AT_PAGESZ */, 4096, 0, 0 } };
	t->exe = strdup("/usr/bin/prog");
	t->vmas = calloc(NR_V, sizeof(*t->vmas));
	for (int i = 0; i < NR_V; i++) {
		t->vmas[i].v = (struct crfs_vma){ .start = vmas[i].start,
			.end = vmas[i].end, .kind = vmas[i].kind,
			.prot = vmas[i].prot, .flags = vmas[i].flags };
		t->vmas[i].path = dup_or_null(vmas[i].path);
	}
	t->fds = calloc(3, sizeof(*t->fds));
	t->fds[0] = (struct cr_fd_img){ { .fd = 0, .kind = CRFS_FD_CHR,
		.mode = S_IFCHR | 0666, .rdev = makedev(1, 3) },
		strdup("/dev/null") };
	t->fds[1] = (struct cr_fd_img){ { .fd = 1, .kind = CRFS_FD_REG,
		.flags = O_WRONLY, .mode = S_IFREG | 0644 }, strdup("/tmp/log") };
	t->fds[2] = (struct cr_fd_img){ { .fd = 7, .kind = CRFS_FD_REG,
		.cloexec = 1, .mode = S_IFREG | 0600 }, strdup("/tmp/data") };
}

/* A run of page data: @nr pages at @vaddr. */
struct run {
	uint64_t	vaddr, nr;
};

/* The valid page runs: heap, across the two adjacent anonymous mappings,
 * the stack. */
static const struct run good_runs[] = {
	{ 0x600000, 2 }, { 0x60f000, 1 }, { 0x70e000, 4 }, { 0x7ffff0020000, 1 },
	{ 0 },
};

/* Write an image of @t and @runs (an array ended by nr 0) into a memfd. */
static int write_image(const struct crfs_image_hdr *h0,
		       const struct cr_task_img *t, const struct run *runs,
		       int pages_first)
{
	static unsigned char data[CR_PAGES_PER_REC * 4096];
	struct crfs_image_hdr h = *h0;
	struct cr_img img;
	struct cr_err e;
	int fd = memfd_create("check", MFD_CLOEXEC), ret;

	if (fd < 0 || cr_img_init(&img, fd))
		exit(1);
	ret = cr_img_write_hdr(&img, &h, &e);
	for (int i = 0; !ret && pages_first && runs[i].nr; i++)
		ret = cr_img_write_pages(&img, runs[i].vaddr, data, runs[i].nr, &e);
	if (!ret && t)
		ret = cr_task_img_write(&img, t, &e);
	for (int i = 0; !ret && !pages_first && runs && runs[i].nr; i++)
		ret = cr_img_write_pages(&img, runs[i].vaddr, data, runs[i].nr, &e);
	if (!ret)
		ret = cr_img_write_end(&img, &e);
	cr_img_fini(&img);
	if (ret) {
		fprintf(stderr, "test-check: cannot write: %s\n", e.msg);
		exit(1);
	}
	return fd;
}

/* How the two readers took an image. */
struct verdict {
	int		verify, restore;
	struct cr_err	ev, er;
};

/* Read @fd as `crfs-image verify` does. */
static int read_verify(int fd, struct cr_err *e)
{
	struct cr_img_walk w;
	struct cr_img img;
	int ret;

	lseek(fd, 0, SEEK_SET);
	if (cr_img_init(&img, fd))
		exit(1);
	ret = cr_img_walk_begin(&w, &img, e);
	while (!ret && (ret = cr_img_walk_next(&w, e)) > 0)
		ret = 0;
	cr_img_walk_fini(&w);
	cr_img_fini(&img);
	return ret;
}

/* Read @fd as the restore does, on a ring, up to the end of its pages. */
static int read_restore(int fd, struct cr_err *e)
{
	off_t len = lseek(fd, 0, SEEK_END);
	struct cr_ring *ring = cr_ring_new(len + CR_RING_REC);
	struct cr_img_walk w;
	struct cr_img img;
	void *room;
	int ret;

	if (!ring || !(room = cr_ring_reserve(ring, len)) ||
	    pread(fd, room, len, 0) != len)
		exit(1);
	cr_ring_commit(ring, len);
	cr_ring_close(ring, 0);
	cr_img_init_ring(&img, ring);
	ret = cr_rst_read(&w, &img, e);
	while (!ret && (ret = cr_rst_next_pages(&w, e)) == CR_WALK_PAGES)
		ret = 0;
	cr_img_walk_fini(&w);
	cr_img_fini(&img);
	cr_ring_free(ring);
	return ret;
}

static void judge(int fd, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->verify = read_verify(fd, &v->ev);
	v->restore = read_restore(fd, &v->er);
	close(fd);
}

/* Both readers refuse with @err and a reason holding @want, the same. */
static void refused(const struct verdict *v, int err, const char *want,
		    const char *what)
{
	ok(v->verify == -err && v->restore == -err &&
	   !strcmp(v->ev.msg, v->er.msg) && strstr(v->ev.msg, want),
	   "%s: refused by verify and restore: %s%s%s", what, v->ev.msg,
	   strcmp(v->ev.msg, v->er.msg) ? " / restore: " : "",
	   strcmp(v->ev.msg, v->er.msg) ? v->er.msg : "");
}

/* A forgery of the valid process: what it changes, what must be said. */
struct forgery {
	const char	*what;
	void		(*forge)(struct cr_task_img *t);
	const char	*want;
};

#define F(name, body) \
	static void forge_##name(struct cr_task_img *t) { body; }

F(pid0, t->task.pid = 0)
F(pid_big, t->task.pid = 4 * 1024 * 1024 + 1)
F(ppid, t->task.ppid = 1)
F(umask, t->task.umask = 01022)
F(personality, t->task.personality = 0xffffffff)
F(dumpable, t->task.dumpable = 3)
F(rseq_align, t->task.rseq_addr = 0x600010)
F(rseq_len, t->task.rseq_len = 16)
F(rseq_out, t->task.rseq_addr = 0x500000)
F(rseq_across, t->task.rseq_addr = 0x61ffe0; t->task.rseq_len = 64)
F(euid, t->creds.euid = 0xffffffff)
F(fsgid, t->creds.fsgid = 0xffffffff)
F(group, t->groups[1] = 0xffffffff)
F(cwd, free(t->cwd); t->cwd = strdup("tmp"))
F(root, free(t->root); t->root = strdup("chroot"))
F(rlimit, t->rlim.rlim[RLIMIT_STACK].cur = 8 << 20;
	  t->rlim.rlim[RLIMIT_STACK].max = 4 << 20)
F(sigkill, t->sigacts.act[SIGKILL - 1].handler = 1)
F(sigstop, t->sigacts.act[SIGSTOP - 1].flags = 4)
F(ss_flags, t->sigstate.altstack_flags = 4)
F(ss_small, t->sigstate.altstack_flags = 0; t->sigstate.altstack_sp = 0x600000;
	    t->sigstate.altstack_size = 1024)
F(ss_wrap, t->sigstate.altstack_flags = SS_AUTODISARM;
	   t->sigstate.altstack_sp = 0x7ffffffff000ULL - 4096;
	   t->sigstate.altstack_size = 8192)
F(signo0, t->pending[1].signo = 0)
F(signo65, t->pending[0].signo = 65)
F(shared2, t->pending[0].shared = 2)
F(sigstop_pending, t->pending[0].signo = SIGSTOP)
F(std_twice, t->pending[1].signo = 10; t->pending[1].shared = 0)
F(dumpable2, t->task.dumpable = 2)
F(rseq_ro, t->task.rseq_addr = 0x400000)
F(shm_grows, t->vmas[V_ANON1].v.flags |= CRFS_VMA_F_SHARED |
					  CRFS_VMA_F_GROWSDOWN)
F(fd_async, t->fds[1].f.flags |= O_ASYNC)
F(fd_tty, t->fds[0].f.rdev = makedev(136, 0))
F(xstate_size, t->xstate_size -= 64)
F(cs0, t->regs.r[REG(cs)] = 0)
F(ss_rpl, t->regs.r[REG(ss)] = 0x28)
F(fs_wide, t->regs.r[REG(fs)] = 0x10003)
F(fs_base, t->regs.r[REG(fs_base)] = 0xffff800000000000ULL)
F(gs_base, t->regs.r[REG(gs_base)] = 0x7ffffffff000ULL)
F(xstate_bv, memset((char *)t->xstate + 512, 0xff, 8))
F(xcomp_bv, memcpy((char *)t->xstate + 520, &(uint64_t){ 1ULL << 63 }, 8))
F(xrsv, ((char *)t->xstate)[540] = 1)
F(mxcsr, memcpy((char *)t->xstate + 24, &(uint32_t){ 0x10000 }, 4))
F(mm_high, t->mm.env_end = 0x800000000000ULL)
F(mm_code, t->mm.end_code = t->mm.start_code)
F(mm_brk, t->mm.brk = t->mm.start_brk - 4096)
F(mm_args, t->mm.arg_end = t->mm.arg_start - 1)
F(auxv_odd, t->mm.auxv_words = 3)
F(auxv_end, t->mm.auxv[2] = 7)
F(auxv_early, t->mm.auxv_words = 6; t->mm.auxv[4] = 0; t->mm.auxv[0] = 0)
F(auxv_unused, t->mm.auxv[90] = 1)
F(auxv_none, t->mm.auxv_words = 0)
F(exe, free(t->exe); t->exe = strdup("prog"))
F(vma_kind0, t->vmas[V_ANON1].v.kind = 0)
F(vma_kind8, t->vmas[V_ANON1].v.kind = 8)
F(vma_empty, t->vmas[V_ANON1].v.end = t->vmas[V_ANON1].v.start)
F(vma_inside_out, t->vmas[V_HEAP].v.end = 0x5ff000)
F(vma_align, t->vmas[V_HEAP].v.end += 16)
F(vma_high, t->vmas[V_VDSO].v.end = 0x800000001000ULL)
F(vma_overlap, t->vmas[V_ANON1].v.end = 0x711000)
F(vma_unsorted, struct cr_vma_img x = t->vmas[V_HEAP];
		t->vmas[V_HEAP] = t->vmas[V_EXE]; t->vmas[V_EXE] = x)
F(vma_prot, t->vmas[V_ANON1].v.prot |= 0x10)
F(vma_flags, t->vmas[V_ANON1].v.flags |= 8)
F(vma_nopath, free(t->vmas[V_EXE].path); t->vmas[V_EXE].path = NULL)
F(vma_relpath, free(t->vmas[V_EXE].path);
	       t->vmas[V_EXE].path = strdup("bin/prog"))
F(vma_anonpath, t->vmas[V_HEAP].path = strdup("/dev/zero"))
F(vma_pgoff, t->vmas[V_EXE].v.pgoff = 100)
F(vma_pgoff_wrap, t->vmas[V_EXE].v.pgoff = 0xfffffffffffff000ULL)
F(vma_filegrows, t->vmas[V_EXE].v.flags |= CRFS_VMA_F_GROWSDOWN)
F(fd_kind, t->fds[1].f.kind = 3)
F(fd_nopath, free(t->fds[1].path); t->fds[1].path = NULL)
F(fd_relpath, free(t->fds[1].path); t->fds[1].path = strdup("log"))
F(fd_unsorted, t->fds[2].f.fd = 0)
F(fd_dup, t->fds[1].f.fd = 0)
F(fd_int, t->rlim.rlim[RLIMIT_NOFILE].max = ~0ULL;
	  t->fds[2].f.fd = 0x80000000U)
F(fd_cloexec, t->fds[2].f.cloexec = 2)
F(fd_mode, t->fds[0].f.mode = S_IFREG | 0644)
F(fd_pos, t->fds[1].f.pos = 1ULL << 63)

static const struct forgery forgeries[] = {
	{ "pid 0",			forge_pid0,	"not a pid" },
	{ "pid above 4M",		forge_pid_big,	"not a pid" },
	{ "a parent not in the image",	forge_ppid,	"parent 1" },
	{ "umask beyond 0777",		forge_umask,	"umask" },
	{ "personality 0xffffffff",	forge_personality, "personality" },
	{ "dumpable 3",			forge_dumpable,	"dumpable 3" },
	{ "rseq area misaligned",	forge_rseq_align, "rseq area" },
	{ "rseq area too short",	forge_rseq_len,	"rseq area" },
	{ "rseq area outside mappings",	forge_rseq_out,	"rseq area" },
	{ "rseq area across a mapping end", forge_rseq_across, "rseq area" },
	{ "euid -1",			forge_euid,	"id 4294967295" },
	{ "fsgid -1",			forge_fsgid,	"id 4294967295" },
	{ "supplementary group -1",	forge_group,	"group 4294967295" },
	{ "relative cwd",		forge_cwd,	"absolute" },
	{ "relative root",		forge_root,	"absolute" },
	{ "soft limit above hard",	forge_rlimit,	"limit 3: soft" },
	{ "an action for SIGKILL",	forge_sigkill,	"SIGKILL and SIGSTOP" },
	{ "an action for SIGSTOP",	forge_sigstop,	"SIGKILL and SIGSTOP" },
	{ "unknown altstack flags",	forge_ss_flags,	"stack flags" },
	{ "altstack below MINSIGSTKSZ",	forge_ss_small,	"alternate signal stack 0x600000" },
	{ "altstack beyond user space",	forge_ss_wrap,	"alternate signal stack" },
	{ "pending signal 0",		forge_signo0,	"signal 0" },
	{ "pending signal 65",		forge_signo65,	"signal 65" },
	{ "pending signal shared 2",	forge_shared2,	"no such signal or queue" },
	{ "SIGSTOP pending",		forge_sigstop_pending, "SIGKILL and SIGSTOP cannot be queued" },
	{ "a standard signal pending twice", forge_std_twice, "pending twice on one queue" },
	{ "dumpable 2",			forge_dumpable2, "only 0 and 1" },
	{ "rseq area in read-only memory", forge_rseq_ro, "writable mapping" },
	{ "shared memory growing down",	forge_shm_grows, "grows down" },
	{ "descriptor with O_ASYNC",	forge_fd_async,	"status flags" },
	{ "descriptor of a terminal",	forge_fd_tty,	"a device other than" },
	{ "XSTATE size not the header's", forge_xstate_size, "the header says" },
	{ "null cs",			forge_cs0,	"register cs" },
	{ "ss of ring 0",		forge_ss_rpl,	"register ss" },
	{ "fs selector above 16 bits",	forge_fs_wide,	"register fs" },
	{ "kernel fs_base",		forge_fs_base,	"fs_base" },
	{ "gs_base at the user limit",	forge_gs_base,	"gs_base" },
	{ "xstate_bv beyond xfeatures",	forge_xstate_bv, "XSTATE holds" },
	{ "compacted XSAVE",		forge_xcomp_bv,	"compacted" },
	{ "XSAVE header reserved byte",	forge_xrsv,	"reserved byte 28" },
	{ "MXCSR reserved bits",	forge_mxcsr,	"MXCSR" },
	{ "mm field beyond user space",	forge_mm_high,	"mm field 10" },
	{ "empty code",			forge_mm_code,	"end before" },
	{ "brk below start_brk",	forge_mm_brk,	"end before" },
	{ "arguments ending first",	forge_mm_args,	"end before" },
	{ "auxv of 3 words",		forge_auxv_odd,	"auxv of 3 words" },
	{ "auxv without AT_NULL",	forge_auxv_end,	"AT_NULL" },
	{ "auxv with AT_NULL first",	forge_auxv_early, "AT_NULL at word 0" },
	{ "auxv unused word set",	forge_auxv_unused, "unused word 90" },
	{ "auxv of no word",		forge_auxv_none, "auxv of 0 words" },
	{ "relative executable",	forge_exe,	"executable" },
	{ "mapping of kind 0",		forge_vma_kind0, "unknown kind" },
	{ "mapping of kind 8",		forge_vma_kind8, "unknown kind" },
	{ "empty mapping",		forge_vma_empty, "ends before it starts" },
	{ "mapping ending before it starts", forge_vma_inside_out, "ends before" },
	{ "unaligned mapping",		forge_vma_align, "not page-aligned" },
	{ "mapping beyond user space",	forge_vma_high,	"beyond the user address space" },
	{ "overlapping mappings",	forge_vma_overlap, "overlaps" },
	{ "unsorted mappings",		forge_vma_unsorted, "overlaps or is below" },
	{ "unknown protection",		forge_vma_prot,	"protection" },
	{ "unknown mapping flag",	forge_vma_flags, "unknown flags" },
	{ "file mapping without path",	forge_vma_nopath, "without an absolute path" },
	{ "file mapping, relative path", forge_vma_relpath, "without an absolute path" },
	{ "heap with a path",		forge_vma_anonpath, "a path on a mapping of no file" },
	{ "file offset not page-aligned", forge_vma_pgoff, "file offset not page-aligned" },
	{ "file offset overflowing",	forge_vma_pgoff_wrap, "beyond what mmap() takes" },
	{ "file mapping growing down",	forge_vma_filegrows, "only private anonymous memory grows down" },
	{ "descriptor of kind 3",	forge_fd_kind,	"fd 1 (kind 3): unknown kind" },
	{ "descriptor without path",	forge_fd_nopath, "no absolute path" },
	{ "descriptor, relative path",	forge_fd_relpath, "no absolute path" },
	{ "unsorted descriptors",	forge_fd_unsorted, "not above" },
	{ "duplicate descriptor",	forge_fd_dup,	"not above" },
	{ "descriptor above INT_MAX",	forge_fd_int,	"not a descriptor number" },
	{ "close-on-exec 2",		forge_fd_cloexec, "close-on-exec" },
	{ "character device of a file mode", forge_fd_mode, "mode does not match" },
	{ "file position beyond 2^63",	forge_fd_pos,	"position lseek() cannot take" },
};

static void test_valid(const struct crfs_image_hdr *h)
{
	struct cr_task_img t;
	struct verdict v;
	struct cr_err e = { 0 };
	int ret;

	valid_task(&t, h);
	ret = cr_img_check_task(h, &t, &e);
	ok(!ret, "a valid process passes cr_img_check_task()%s%s",
	   ret ? ": " : "", e.msg);
	judge(write_image(h, &t, good_runs, 0), &v);
	ok(!v.verify && !v.restore, "its image, pages across two adjacent "
	   "mappings included, passes verify and restore%s%s%s",
	   v.verify || v.restore ? ": " : "", v.ev.msg, v.er.msg);
	cr_task_img_free(&t);
}

static void test_forgeries(const struct crfs_image_hdr *h)
{
	for (size_t i = 0; i < sizeof(forgeries) / sizeof(forgeries[0]); i++) {
		struct cr_task_img t;
		struct verdict v;

		valid_task(&t, h);
		forgeries[i].forge(&t);
		judge(write_image(h, &t, NULL, 0), &v);
		refused(&v, EBADMSG, forgeries[i].want, forgeries[i].what);
		cr_task_img_free(&t);
	}
}

/* A PAGES run of the valid process that a rule refuses. */
static void pages_refused(const struct crfs_image_hdr *h,
			  const struct run *runs, const char *want,
			  const char *what)
{
	struct cr_task_img t;
	struct verdict v;

	valid_task(&t, h);
	judge(write_image(h, &t, runs, 0), &v);
	refused(&v, EBADMSG, want, what);
	cr_task_img_free(&t);
}

static void test_pages(const struct crfs_image_hdr *h)
{
	struct cr_task_img t;
	struct verdict v;

	pages_refused(h, (struct run[]){ { 0xfffffffffffff000ULL, 2 }, { 0 } },
		      "0xfffffffffffff000-0x1000: the range wraps around",
		      "pages whose range wraps around");
	pages_refused(h, (struct run[]){ { 0xffffffffff600000ULL, 1 }, { 0 } },
		      "beyond the user address space",
		      "pages in the vsyscall page");
	pages_refused(h, (struct run[]){ { 0x7ffffffff000ULL - 4096, 4 }, { 0 } },
		      "beyond the user address space",
		      "pages across the user address limit");
	pages_refused(h, (struct run[]){ { 0x500000, 1 }, { 0 } },
		      "outside every mapping", "pages outside the mappings");
	pages_refused(h, (struct run[]){ { 0x61f000, 2 }, { 0 } },
		      "0x61f000-0x621000: outside every mapping",
		      "pages running off the end of a mapping");
	pages_refused(h, (struct run[]){ { 0x7ffff7ff4000ULL, 1 }, { 0 } },
		      "restored without data", "pages in the vdso");
	pages_refused(h, (struct run[]){ { 0x800000, 1 }, { 0 } },
		      "restored without data", "pages in a shared file mapping");
	pages_refused(h, (struct run[]){ { 0x600000, 2 }, { 0x601000, 1 }, { 0 } },
		      "below the end of the page data before it",
		      "overlapping page records");
	pages_refused(h, (struct run[]){ { 0x700000, 1 }, { 0x600000, 1 }, { 0 } },
		      "below the end of the page data before it",
		      "page records out of order");

	valid_task(&t, h);
	judge(write_image(h, &t, good_runs, 1), &v);
	refused(&v, EBADMSG, "record 1 (pages) at offset 200: before any process",
		"page data before the process");
	cr_task_img_free(&t);
}

static void test_header(const struct crfs_image_hdr *h0)
{
	struct crfs_image_hdr h;
	struct cr_task_img t;
	struct verdict v;

	valid_task(&t, h0);
	h = *h0;
	h.features |= 1ULL << 9;
	judge(write_image(&h, &t, NULL, 0), &v);
	refused(&v, EOPNOTSUPP, "features 0x201", "unknown feature bits");
	h = *h0;
	h.features = 0;
	judge(write_image(&h, &t, NULL, 0), &v);
	refused(&v, EBADMSG, "lack XSTATE", "no XSTATE feature");
	h = *h0;
	h.nr_tasks = 2;
	judge(write_image(&h, &t, NULL, 0), &v);
	refused(&v, EOPNOTSUPP, "2 processes; only 1", "two processes");
	h = *h0;
	h.nr_tasks = 0;
	judge(write_image(&h, &t, NULL, 0), &v);
	refused(&v, EOPNOTSUPP, "0 processes", "no process in the header");
	judge(write_image(h0, NULL, NULL, 0), &v);
	refused(&v, EBADMSG, "the image holds 0 processes, its header says 1",
		"no process in the image");
	cr_task_img_free(&t);

	/* Two TASK groups in an image whose header says one. */
	{
		int fd = memfd_create("two", MFD_CLOEXEC);
		struct cr_img img;
		struct cr_err e;

		valid_task(&t, h0);
		h = *h0;
		cr_img_init(&img, fd);
		cr_img_write_hdr(&img, &h, &e);
		cr_task_img_write(&img, &t, &e);
		cr_task_img_write(&img, &t, &e);
		cr_img_write_end(&img, &e);
		cr_img_fini(&img);
		judge(fd, &v);
		refused(&v, EBADMSG, "more processes than its header says (1)",
			"a second process");
		cr_task_img_free(&t);
	}
}

/* Bytes after the trailer, said alike on a descriptor and on a ring. */
static void test_trailing(const struct crfs_image_hdr *h)
{
	struct cr_task_img t;
	struct verdict v;
	char want[96];
	off_t len;
	int fd;

	valid_task(&t, h);
	fd = write_image(h, &t, good_runs, 0);
	len = lseek(fd, 0, SEEK_END);
	if (write(fd, "x", 1) != 1)
		exit(1);
	judge(fd, &v);
	snprintf(want, sizeof(want), "trailing data after the trailer at "
		 "offset %lld", (long long)len);
	refused(&v, EBADMSG, want, "a byte after the trailer");
	cr_task_img_free(&t);
}

/*
 * A TASK claiming CR_TASK_NR_MAX mappings, descriptors and signals with
 * nothing behind it: what it costs must be what arrived, not what it
 * claims (one array each of 4M entries would be over 1 GiB).
 */
static void test_declared_counts(const struct crfs_image_hdr *h)
{
	struct crfs_task k = { .pid = 1, .comm = "x", .nr_vmas = 1U << 22,
			       .nr_fds = 1U << 22, .nr_pending = 1U << 22 };
	struct crfs_sigpending sp = { .signo = 1 };
	int fd = memfd_create("claims", MFD_CLOEXEC), status;
	struct crfs_image_hdr hh = *h;
	struct cr_img img;
	struct cr_err e;
	pid_t pid;

	cr_img_init(&img, fd);
	cr_img_write_hdr(&img, &hh, &e);
	cr_img_write_rec(&img, CRFS_REC_TASK, &(struct iovec){ &k, sizeof(k) },
			 1, &e);
	/* the records of a process before SIGPENDING, any content */
	{
		struct crfs_creds c = { 0 };
		struct crfs_fs fs = { .cwd_len = 2, .root_len = 2 };
		static struct crfs_rlimits rl;
		static struct crfs_sigacts sa;
		struct crfs_sigstate ss = { 0 };

		cr_img_write_rec(&img, CRFS_REC_CREDS,
				 &(struct iovec){ &c, sizeof(c) }, 1, &e);
		cr_img_write_rec(&img, CRFS_REC_FS, (struct iovec[]){
				 { &fs, sizeof(fs) }, { "/\0/", 4 } }, 2, &e);
		cr_img_write_rec(&img, CRFS_REC_RLIMITS,
				 &(struct iovec){ &rl, sizeof(rl) }, 1, &e);
		cr_img_write_rec(&img, CRFS_REC_SIGACTS,
				 &(struct iovec){ &sa, sizeof(sa) }, 1, &e);
		cr_img_write_rec(&img, CRFS_REC_SIGSTATE,
				 &(struct iovec){ &ss, sizeof(ss) }, 1, &e);
	}
	for (int i = 0; i < 3; i++)
		cr_img_write_rec(&img, CRFS_REC_SIGPENDING,
				 &(struct iovec){ &sp, sizeof(sp) }, 1, &e);
	cr_img_write_end(&img, &e);
	cr_img_fini(&img);

	pid = fork();
	if (pid == 0) {
		struct cr_err er = { 0 };
		int ret;

#ifndef UNDER_ASAN
		/* 64 MiB of data: the claimed arrays cannot fit. */
		setrlimit(RLIMIT_DATA, &(struct rlimit){ 64 << 20, 64 << 20 });
#endif
		ret = read_verify(fd, &er);
		_exit(ret == -EBADMSG && strstr(er.msg, "expected sigpending "
						"record 4 of 4194304") ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a TASK claiming 4M mappings, descriptors and signals costs only "
	   "the records that arrive (read under a 64 MiB data limit)");
	close(fd);
}

/* Write a valid image of @n mappings and descriptors to @fd. */
static void write_big(const struct crfs_image_hdr *h, int fd, uint32_t n)
{
	static unsigned char data[4096];
	struct crfs_image_hdr hh = *h;
	struct cr_task_img t, b;
	struct cr_img img;
	struct cr_err e;

	valid_task(&t, h);
	b = t;
	b.task.nr_vmas = n;
	b.task.nr_fds = n;
	b.vmas = calloc(n, sizeof(*b.vmas));
	b.fds = calloc(n, sizeof(*b.fds));
	for (uint32_t i = 0; i < n; i++) {
		b.vmas[i].v = (struct crfs_vma){ .start = 0x10000000 + i * 2 * PS,
			.end = 0x10000000 + i * 2 * PS + PS,
			.kind = CRFS_VMA_ANON, .prot = PROT_READ };
		b.fds[i] = (struct cr_fd_img){ { .fd = i, .kind = CRFS_FD_CHR,
			.mode = S_IFCHR | 0666, .rdev = makedev(1, 3) },
			(char *)"/dev/null" };
	}
	b.task.rseq_addr = 0;
	b.rlim.rlim[RLIMIT_NOFILE].max = ~0ULL;
	cr_img_init(&img, fd);
	cr_img_write_hdr(&img, &hh, &e);
	cr_task_img_write(&img, &b, &e);
	for (uint32_t i = 0; i < n; i += 64)
		cr_img_write_pages(&img, b.vmas[i].v.start, data, 1, &e);
	if (cr_img_write_end(&img, &e)) {
		fprintf(stderr, "test-check: %s\n", e.msg);
		exit(1);
	}
	cr_img_fini(&img);
	free(b.vmas);
	free(b.fds);
	cr_task_img_free(&t);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Best of 3 readings of an image of @n mappings, in seconds. */
static double time_read(const struct crfs_image_hdr *h, uint32_t n, int *ret)
{
	int fd = memfd_create("big", MFD_CLOEXEC);
	struct cr_err e;
	double best = 1e9;

	write_big(h, fd, n);
	for (int i = 0; i < 3; i++) {
		double t0 = now();

		*ret = read_verify(fd, &e);
		if (now() - t0 < best)
			best = now() - t0;
	}
	close(fd);
	return best;
}

static void test_linear(const struct crfs_image_hdr *h)
{
	int r1, r2;
	double t1 = time_read(h, 1 << 14, &r1), t2 = time_read(h, 1 << 17, &r2);

	ok(!r1 && !r2 && t2 / t1 < 8 * 3,
	   "reading and checking 8 times the mappings and descriptors takes "
	   "%.1f times as long (%.1f ms for 16384, %.1f ms for 131072)",
	   t2 / t1, t1 * 1e3, t2 * 1e3);
}

/* The rule of page data is the restore's: which mappings get data. */
static void test_filled(void)
{
	static const struct { uint32_t kind, flags; bool filled; } k[] = {
		{ CRFS_VMA_ANON, 0, true }, { CRFS_VMA_ANON, CRFS_VMA_F_SHARED, true },
		{ CRFS_VMA_HEAP, 0, true }, { CRFS_VMA_STACK, 0, true },
		{ CRFS_VMA_FILE, 0, true }, { CRFS_VMA_FILE, CRFS_VMA_F_SHARED, false },
		{ CRFS_VMA_VDSO, 0, false }, { CRFS_VMA_VVAR, 0, false },
		{ CRFS_VMA_VSYSCALL, 0, false },
	};
	bool good = true;

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct crfs_vma v = { .kind = k[i].kind, .flags = k[i].flags };

		good &= cr_img_vma_filled(&v) == k[i].filled;
	}
	ok(good, "page data goes to anonymous, heap, stack and private file "
	   "mappings only");
}

int main(int argc, char **argv)
{
	struct crfs_image_hdr h;

	signal(SIGPIPE, SIG_IGN);
	cr_img_fill_hdr(&h);
	h.nr_tasks = 1;
	if (argc == 4 && !strcmp(argv[1], "--big")) {
		int fd = strcmp(argv[3], "-") ? open(argv[3], O_WRONLY |
				O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : 1;

		if (fd < 0) {
			perror(argv[3]);
			return 1;
		}
		write_big(&h, fd, strtoul(argv[2], NULL, 0));
		close(fd);
		return 0;
	}
	printf("1..%d\n", TAP_PLAN);
	test_valid(&h);
	test_filled();
	test_forgeries(&h);
	test_pages(&h);
	test_header(&h);
	test_trailing(&h);
	test_declared_counts(&h);
	test_linear(&h);
	if (tap_nr != TAP_PLAN)
		ok(0, "planned %d tests, ran %d", TAP_PLAN, tap_nr);
	return tap_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
