/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A valid model of one process, with every record kind this version
 * writes, for the unit tests that write images (test-check*.c, where
 * each rule breaks it once; test-image.c, where its free fields are
 * random): files of each kind (a description shared by fds 1 and 2, a
 * directory open as fd 9, cwd and root), a shared memory object mapped
 * twice, an address space with each kind of mapping, and one process
 * with one thread.  And writing it as an image, with page data.
 */
#ifndef CRFS_FIXTURE_H
#define CRFS_FIXTURE_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/user.h>

#include "img-walk.h"

#define FX_REG(name)	(offsetof(struct user_regs_struct, name) / 8)
#define FX_PID		4711

/* The files, by index; each has id index + 1. */
enum { F_EXE, F_MAP, F_NULL, F_LOG, F_DATA, F_DIR, F_CWD, F_ROOT, NR_F };

static const struct {
	uint32_t	kind, flags, mode;
	const char	*path;
} fx_files[NR_F] = {
	[F_EXE]  = { CRFS_FILE_REG, O_RDONLY, S_IFREG | 0755, "/usr/bin/prog" },
	[F_MAP]  = { CRFS_FILE_REG, O_RDWR, S_IFREG | 0644, "/var/data" },
	[F_NULL] = { CRFS_FILE_CHR, O_RDWR, S_IFCHR | 0666, "/dev/null" },
	[F_LOG]  = { CRFS_FILE_REG, O_WRONLY | O_APPEND, S_IFREG | 0644,
		     "/tmp/log" },
	[F_DATA] = { CRFS_FILE_REG, O_RDONLY, S_IFREG | 0600, "/tmp/data" },
	[F_DIR]  = { CRFS_FILE_DIR, O_RDONLY | O_DIRECTORY, S_IFDIR | 0755,
		     "/tmp/dir" },
	[F_CWD]  = { CRFS_FILE_DIR, O_PATH | O_DIRECTORY, S_IFDIR | 0755,
		     "/tmp" },
	[F_ROOT] = { CRFS_FILE_DIR, O_PATH | O_DIRECTORY, S_IFDIR | 0755, "/" },
};

/* The mappings of the address space, by index. */
enum { V_EXE, V_HEAP, V_ANON1, V_ANON2, V_SHFILE, V_SHM1, V_SHM2, V_STACK,
       V_VVAR, V_VDSO, V_VSYSCALL, NR_V };

static const struct {
	uint64_t	start, end, pgoff;
	uint32_t	kind, prot, flags, file, shmem;
} fx_vmas[NR_V] = {
	[V_EXE]	     = { 0x400000, 0x410000, 0, CRFS_VMA_FILE,
			 PROT_READ | PROT_EXEC, 0, F_EXE + 1, 0 },
	[V_HEAP]     = { 0x600000, 0x620000, 0, CRFS_VMA_HEAP,
			 PROT_READ | PROT_WRITE, CRFS_VMA_F_ACCOUNT, 0, 0 },
	[V_ANON1]    = { 0x700000, 0x710000, 0, CRFS_VMA_ANON, PROT_READ, 0,
			 0, 0 },
	[V_ANON2]    = { 0x710000, 0x720000, 0, CRFS_VMA_ANON,
			 PROT_READ | PROT_WRITE, CRFS_VMA_F_ACCOUNT, 0, 0 },
	[V_SHFILE]   = { 0x800000, 0x810000, 0, CRFS_VMA_FILE,
			 PROT_READ | PROT_WRITE, CRFS_VMA_F_SHARED, F_MAP + 1,
			 0 },
	[V_SHM1]     = { 0x900000, 0x908000, 0, CRFS_VMA_SHMEM,
			 PROT_READ | PROT_WRITE, CRFS_VMA_F_SHARED, 0, 1 },
	[V_SHM2]     = { 0x910000, 0x918000, 0x8000, CRFS_VMA_SHMEM, PROT_READ,
			 CRFS_VMA_F_SHARED, 0, 1 },
	[V_STACK]    = { 0x7ffff0000000, 0x7ffff0021000, 0, CRFS_VMA_STACK,
			 PROT_READ | PROT_WRITE,
			 CRFS_VMA_F_GROWSDOWN | CRFS_VMA_F_ACCOUNT, 0, 0 },
	[V_VVAR]     = { 0x7ffff7ff0000, 0x7ffff7ff4000, 0, CRFS_VMA_VVAR,
			 PROT_READ, 0, 0, 0 },
	[V_VDSO]     = { 0x7ffff7ff4000, 0x7ffff7ff6000, 0, CRFS_VMA_VDSO,
			 PROT_READ | PROT_EXEC, 0, 0, 0 },
	[V_VSYSCALL] = { 0xffffffffff600000, 0xffffffffff601000, 0,
			 CRFS_VMA_VSYSCALL, PROT_EXEC, 0, 0, 0 },
};

/* The descriptors: fds 1 and 2 share a description, as after 2>&1. */
static const struct { uint32_t fd, file, cloexec; } fx_fds[] = {
	{ 0, F_NULL + 1, 0 }, { 1, F_LOG + 1, 0 }, { 2, F_LOG + 1, 0 },
	{ 7, F_DATA + 1, 1 }, { 9, F_DIR + 1, 1 },
};
#define FX_NR_FDS	(sizeof(fx_fds) / sizeof(fx_fds[0]))

/* The locks: one of each kind, a range, one to the end, a whole file. */
enum { L_POSIX_WR, L_POSIX_RD, L_OFD, L_FLOCK, NR_L };
static const struct crfs_lock fx_locks[NR_L] = {
	[L_POSIX_WR] = { F_LOG + 1, CRFS_LOCK_POSIX, 1, F_WRLCK, 0, 100 },
	[L_POSIX_RD] = { F_DATA + 1, CRFS_LOCK_POSIX, 1, F_RDLCK, 4096, 0 },
	[L_OFD]	     = { F_DATA + 1, CRFS_LOCK_OFD, 0, F_RDLCK, 0, 10 },
	[L_FLOCK]    = { F_DIR + 1, CRFS_LOCK_FLOCK, 0, F_RDLCK, 0, 0 },
};
#define FX_NR_LOCKS	NR_L

/* Index and resolve @m, as reading it would. */
static void fx_resolve(struct cr_model *m)
{
	uint32_t dup;

	for (int k = 0; k < CR_K_NR; k++)
		cr_model_index(m, k, &dup);
	cr_model_resolve(m);
	cr_model_shmem_windows(m);
}

/* The valid process, into @m (zeroed). */
static void fx_model(struct cr_model *m, const struct crfs_image_hdr *h)
{
	struct cr_task *t;
	struct cr_thread *th;
	struct cr_mm *mm;
	struct cr_fdtable *fdt;
	struct crfs_sigpending *sig;
	int err;

	memset(m, 0, sizeof(*m));
	for (int i = 0; i < NR_F; i++) {
		struct cr_file *f = cr_model_new_file(m, &err);

		f->f = (struct crfs_file){ .id = i + 1, .kind = fx_files[i].kind,
			.flags = fx_files[i].flags, .mode = fx_files[i].mode,
			.dev = 0x803, .ino = 1000 + i };
		f->path = strdup(fx_files[i].path);
	}
	m->files[F_NULL].f.rdev = 0x103;
	m->files[F_LOG].f.pos = 4096;
	m->files[F_DIR].f.pos = 0x7fffffffabcdULL;
	cr_model_new_shmem(m, &err)->s = (struct crfs_shmem){ .id = 1,
							      .size = 0x10000 };
	mm = cr_model_new_mm(m, &err);
	mm->m = (struct crfs_mm){ .id = 1, .exe_file_id = F_EXE + 1,
		.start_code = 0x400000, .end_code = 0x401000,
		.start_data = 0x402000, .end_data = 0x403000,
		.start_brk = 0x600000, .brk = 0x620000,
		.start_stack = 0x7ffff0020000, .arg_start = 0x7ffff0020100,
		.arg_end = 0x7ffff0020200, .env_start = 0x7ffff0020200,
		.env_end = 0x7ffff0020300, .auxv_words = 4,
		.auxv = { 6 /* AT_PAGESZ */, 4096, 0, 0 } };
	for (int i = 0; i < NR_V; i++) {
		struct cr_vma *v = cr_model_new_vma(mm, &err);

		v->v = (struct crfs_vma){ .mm_id = 1, .start = fx_vmas[i].start,
			.end = fx_vmas[i].end, .pgoff = fx_vmas[i].pgoff,
			.kind = fx_vmas[i].kind, .prot = fx_vmas[i].prot,
			.flags = fx_vmas[i].flags, .file_id = fx_vmas[i].file,
			.shmem_id = fx_vmas[i].shmem };
	}
	mm->m.nr_vmas = NR_V;
	mm->vmas[V_ANON2].name = strdup("a name");
	fdt = cr_model_new_fdtable(m, &err);
	fdt->t = (struct crfs_fdtable){ .id = 1, .nr_fds = FX_NR_FDS };
	for (size_t i = 0; i < FX_NR_FDS; i++)
		cr_model_new_fd(fdt, &err)->d = (struct crfs_fd){
			.fd = fx_fds[i].fd, .file_id = fx_fds[i].file,
			.cloexec = fx_fds[i].cloexec };
	for (size_t i = 0; i < FX_NR_LOCKS; i++)
		cr_model_new_lock(m, &err)->l = fx_locks[i];
	cr_model_new_fs(m, &err)->f = (struct crfs_fs){ 1, 022, F_CWD + 1,
							F_ROOT + 1 };
	cr_model_new_sighand(m, &err)->s = (struct crfs_sighand){ .id = 1 };
	m->sighands[0].s.act[SIGINT - 1].handler = 0x401000;

	t = cr_model_new_task(m, &err);
	t->t = (struct crfs_task){ .pid = FX_PID, .pgid = FX_PID,
		.sid = FX_PID, .state = CRFS_TASK_ALIVE, .exit_signal = SIGCHLD,
		.mm_id = 1, .fdtable_id = 1, .fs_id = 1, .sighand_id = 1,
		.nr_threads = 1, .dumpable = 1, .comm = "prog" };
	for (int i = 0; i < CRFS_NR_RLIMITS; i++)
		t->t.rlim[i].cur = t->t.rlim[i].max = ~0ULL;
	t->t.rlim[RLIMIT_NOFILE].cur = 1024;
	t->t.rlim[RLIMIT_NOFILE].max = 4096;
	t->creds = (struct crfs_creds){ .pid = FX_PID, .ngroups = 2,
		.uid = 1000, .euid = 1000, .suid = 1000, .fsuid = 1000,
		.gid = 100, .egid = 100, .sgid = 100, .fsgid = 100 };
	t->have_creds = true;
	t->groups = malloc(2 * sizeof(uint32_t));
	t->groups[0] = 100;
	t->groups[1] = 0;
	sig = cr_model_new_sig(&t->pending, &err);
	*sig = (struct crfs_sigpending){ .tid = 0, .signo = 64 };
	th = cr_model_new_thread(t, &err);
	th->t = (struct crfs_thread){ .pid = FX_PID, .tid = FX_PID,
		.altstack_flags = SS_DISABLE, .flags = CRFS_THREAD_F_RSEQ,
		.rseq_addr = 0x600020, .rseq_len = 32, .rseq_sig = 0x53053053,
		.cpus_allowed = { 1 }, .comm = "prog" };
	sig = cr_model_new_sig(&th->pending, &err);
	*sig = (struct crfs_sigpending){ .tid = FX_PID, .signo = 10 };
	/* Some capabilities kept; two seccomp filters, the second logged. */
	t->creds.cap_inh = t->creds.cap_amb = 1ULL << 10;
	t->creds.cap_prm = (1ULL << 10) | 1;
	t->creds.cap_eff = 1;
	t->creds.cap_bnd = (1ULL << 41) - 1;
	t->creds.securebits = 0x10;
	for (uint32_t i = 0; i < 2; i++) {
		struct cr_seccomp *f = cr_model_new_seccomp(th, &err);

		f->s = (struct crfs_seccomp){ .tid = FX_PID, .index = i,
			.flags = i ? 2 : 0, .nr_insns = 2 };
		f->insns = calloc(2, sizeof(uint64_t));
		/* ld [nr]; ret ALLOW */
		f->insns[0] = 0x20;
		f->insns[1] = 0x06 | 0x7fff0000ULL << 32;
	}
	th->arch.have_regs = true;
	th->arch.regs.tid = FX_PID;
	th->arch.regs.r[FX_REG(cs)] = 0x33;
	th->arch.regs.r[FX_REG(ss)] = 0x2b;
	th->arch.regs.r[FX_REG(fs_base)] = 0x7ffff7d8a740;
	th->arch.regs.r[FX_REG(rip)] = 0x401000;
	th->arch.xstate_size = h->xstate_size;
	th->arch.xstate = calloc(1, h->xstate_size);
	memcpy((char *)th->arch.xstate + 24, &(uint32_t){ 0x1f80 }, 4);
	if (h->xfeatures)
		memcpy((char *)th->arch.xstate + 512, &(uint64_t){ 3 }, 8);
	fx_resolve(m);
}

/* A run of page data: @nr pages at @addr of owner (@owner, @id). */
struct fx_run {
	uint32_t	owner, id;
	uint64_t	addr, nr;
};

/* The valid page runs: heap, across the two adjacent anonymous
 * mappings, the stack, then the shared memory through both mappings. */
static const struct fx_run fx_good_runs[] = {
	{ CRFS_PAGES_MM, 1, 0x600000, 2 }, { CRFS_PAGES_MM, 1, 0x60f000, 1 },
	{ CRFS_PAGES_MM, 1, 0x70e000, 4 },
	{ CRFS_PAGES_MM, 1, 0x7ffff0020000, 1 },
	{ CRFS_PAGES_SHMEM, 1, 0x6000, 4 },
	{ 0 },
};

/* The byte of page @pg at @k, for data checks. */
static unsigned char fx_byte(uint64_t pg, size_t k)
{
	return (unsigned char)(pg * 131 + k * 7 + (k >> 12));
}

/*
 * Write header @h, then (@pages_first) the runs, the model @m (or none),
 * the runs, the trailer on @img; each page's bytes fx_byte().
 */
static int fx_write_to(struct cr_img *img, const struct crfs_image_hdr *h0,
		       const struct cr_model *m, const struct fx_run *runs,
		       bool pages_first, struct cr_err *e)
{
	static unsigned char data[CR_PAGES_PER_REC * 4096];
	struct crfs_image_hdr h = *h0;
	uint64_t pg = 0;
	int ret;

	ret = cr_img_write_hdr(img, &h, e);
	for (int pass = 0; pass < 2 && !ret; pass++) {
		if (pass == !pages_first && m)
			ret = cr_model_write(img, m, e);
		if (pass != !pages_first || !runs)
			continue;
		for (int i = 0; !ret && runs[i].nr; i++) {
			for (uint64_t p = 0; p < runs[i].nr; p++)
				for (size_t k = 0; k < 4096; k++)
					data[p * 4096 + k] = fx_byte(pg + p, k);
			ret = cr_img_write_pages(img, runs[i].owner, runs[i].id,
						 runs[i].addr, data, runs[i].nr,
						 e);
			pg += runs[i].nr;
		}
	}
	if (!ret)
		ret = cr_img_write_end(img, e);
	return ret;
}

/* fx_write_to() into a new memfd; exits on failure. */
static int __attribute__((unused)) fx_write(const struct crfs_image_hdr *h, const struct cr_model *m,
		    const struct fx_run *runs, bool pages_first)
{
	int fd = memfd_create("fixture", MFD_CLOEXEC);
	struct cr_err e = { 0 };
	struct cr_img img;

	if (fd < 0 || cr_img_init(&img, fd))
		exit(1);
	if (fx_write_to(&img, h, m, runs, pages_first, &e)) {
		fprintf(stderr, "fixture: cannot write: %s\n", e.msg);
		exit(1);
	}
	cr_img_fini(&img);
	return fd;
}

#endif /* CRFS_FIXTURE_H */
