// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the reading of an image into a model and of its rules
 * about a process (model-read.c, img-check*.c): a valid process
 * (fixture.h), then one forged image per rule (its task, threads,
 * timers, signals, credentials, registers, address space and pages, IPC,
 * files and their data, descriptors, locks; the header, the order of the
 * records), each read as `crfs-image verify` reads it (the walker on a
 * descriptor) and as the restore reads it (cr_rst_read() and its PAGES
 * on a ring); both must refuse it, with the same reason, which names the
 * rule (check.h).  Also: memory grows with
 * the records that arrive, not with the counts a record declares, and
 * the reading is O(n log n).  The rules of the descriptors of each kind
 * (events, sockets, pipes, terminals, unix sockets) are
 * test-check-fds.c's, those of a tree of processes test-check-tree.c's.
 * TAP.
 *
 *   test-check                   run the tests
 *   test-check --big N FILE      write a valid image with N mappings, N
 *                                descriptors and N / 64 PAGES records
 *                                (FILE - is stdout)
 */
#include <inttypes.h>
#include <signal.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "check.h"

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

#define REG(name)	FX_REG(name)

/* The valid process, made wrong by @body. */
#define F(name, body) \
	static void forge_##name(struct cr_model *m) \
	{ struct cr_task *t = &m->tasks[0]; \
	  struct cr_thread *th = &t->threads[0]; \
	  struct cr_mm *mm = &m->mms[0]; \
	  struct cr_file *fl = m->files; \
	  struct cr_fd *fd = m->fdts[0].fds; \
	  (void)t; (void)th; (void)mm; (void)fl; (void)fd; body; }

F(pid0, set_pid(m, 0))
F(pid_big, set_pid(m, 4 * 1024 * 1024 + 1))
F(ppid, t->t.ppid = 1)
F(task_pad, t->t.__pad = 1)
F(umask, m->fss[0].f.umask = 01022)
F(personality, t->t.personality = 0xffffffff)
F(dumpable, t->t.dumpable = 3)
F(state, t->t.state = CRFS_TASK_STOPPED)
F(state_zombie, t->t.state = CRFS_TASK_ZOMBIE)
F(stop_usr1, t->t.state = CRFS_TASK_STOPPED; t->t.stop_signo = SIGUSR1)
F(stop_alive, t->t.stop_signo = SIGSTOP)
F(itimer_ns, t->t.itimer[ITIMER_PROF].value_ns = 1500)
F(itimer_big, t->t.itimer[ITIMER_REAL].interval_ns = 1ULL << 63)
/* A POSIX timer, made wrong by @body. */
#define FT(name, body) \
	static void forge_##name(struct cr_model *m) \
	{ int err; struct crfs_timer *tm = cr_model_new_timer(&m->tasks[0], &err); \
	  memset(tm, 0, sizeof(*tm)); \
	  tm->pid = FX_PID; tm->timer_id = 7; tm->signo = SIGALRM; body; }
FT(timer_alarm_clock, tm->clock = 8 /* CLOCK_REALTIME_ALARM */)
FT(timer_other_cpu, tm->clock = (int32_t)(~4712U << 3) | 2)
FT(timer_fd_clock, tm->clock = (int32_t)(~3U << 3) | 3)
FT(timer_sigev_thread, tm->notify = 2 /* SIGEV_THREAD */)
FT(timer_tid, tm->notify = 4; tm->notify_tid = 4712)
FT(timer_tid_signal, tm->notify_tid = FX_PID)
FT(timer_signo, tm->signo = 65)
FT(timer_signo0, tm->signo = 0)
FT(timer_value, tm->value_ns = 1ULL << 63)
F(state9, t->t.state = 9)
F(oom, t->t.oom_score_adj = 1001)
F(task_flags, t->t.flags = 8)
F(leader, th->t.tid = th->arch.regs.tid = th->pending.sig[0].tid =
	  th->seccomp[0].s.tid = th->seccomp[1].s.tid = 4712)
/* Two threads and the futex hash of a thread that has gone. */
static void forge_futex_threads(struct cr_model *m)
{
	two_threads(m);
	m->tasks[0].t.flags |= CRFS_TASK_F_FUTEX_HASH;
}
/* Two threads, a timer on "the caller's" thread clock. */
static void forge_thread_cpu_timer(struct cr_model *m)
{
	struct crfs_timer *tm;
	int err = 0;

	two_threads(m);
	tm = cr_model_new_timer(&m->tasks[0], &err);
	memset(tm, 0, sizeof(*tm));
	tm->pid = FX_PID;
	tm->timer_id = 7;
	tm->signo = SIGALRM;
	tm->clock = 3;		/* CLOCK_THREAD_CPUTIME_ID */
}
F(rseq_align, th->t.rseq_addr = 0x600010)
F(rseq_len, th->t.rseq_len = 16)
F(rseq_out, th->t.rseq_addr = 0x500000)
F(rseq_across, th->t.rseq_addr = 0x61ffe0; th->t.rseq_len = 64)
F(rseq_flag, th->t.flags = 0)
F(coredump_filter, mm->m.coredump_filter = 0x200)
F(owner_type, fl[F_LOG].f.owner_type = 4; fl[F_LOG].f.owner_pid = FX_PID)
F(owner_pid_alone, fl[F_LOG].f.owner_pid = FX_PID)
F(owner_signo, fl[F_LOG].f.signo = 65)
F(owner_dir, fl[F_DIR].f.owner_type = CRFS_OWNER_PID;
  fl[F_DIR].f.owner_pid = FX_PID)
F(owner_path, fl[F_CWD].f.signo = SIGIO)
F(owner_other, fl[F_LOG].f.owner_type = CRFS_OWNER_PID;
  fl[F_LOG].f.owner_pid = 4712)
F(ioprio_class, th->t.ioprio = 4 << 13)
F(ioprio_hint, th->t.ioprio = 2 << 13 | 1 << 3)
F(ioprio_none_level, th->t.ioprio = 5)
F(euid, t->creds.euid = 0xffffffff)
F(fsgid, t->creds.fsgid = 0xffffffff)
F(group, t->groups[1] = 0xffffffff)
F(cwd, free(fl[F_CWD].path); fl[F_CWD].path = strdup("tmp"))
F(root, free(fl[F_ROOT].path); fl[F_ROOT].path = strdup("chroot"))
F(cwd_file, m->fss[0].f.cwd_file_id = F_LOG + 1)
F(rlimit, t->t.rlim[RLIMIT_STACK].cur = 8 << 20;
	  t->t.rlim[RLIMIT_STACK].max = 4 << 20)
F(sigkill, m->sighands[0].s.act[SIGKILL - 1].handler = 1)
F(sigstop, m->sighands[0].s.act[SIGSTOP - 1].flags = 4)
F(ss_flags, th->t.altstack_flags = 4)
F(ss_small, th->t.altstack_flags = 0; th->t.altstack_sp = 0x600000;
	    th->t.altstack_size = 1024)
F(ss_wrap, th->t.altstack_flags = SS_AUTODISARM;
	   th->t.altstack_sp = 0x7ffffffff000ULL - 4096;
	   th->t.altstack_size = 8192)
F(signo0, t->pending.sig[0].signo = 0)
F(signo65, th->pending.sig[0].signo = 65)
F(sig_tid, th->pending.sig[0].tid = 4712)
F(sigstop_pending, t->pending.sig[0].signo = SIGSTOP)
F(std_twice, int err; struct crfs_sigpending s = th->pending.sig[0];
	     *cr_model_new_sig(&th->pending, &err) = s)
F(rt_many, int err; struct crfs_sigpending s = th->pending.sig[0];
	   t->t.rlim[RLIMIT_SIGPENDING].cur = 1; s.signo = 40;
	   *cr_model_new_sig(&th->pending, &err) = s;
	   th->pending.sig[0].signo = 41)
F(dumpable2, t->t.dumpable = 2)
F(rseq_ro, th->t.rseq_addr = 0x400000)
F(shm_grows, mm->vmas[V_SHM1].v.flags |= CRFS_VMA_F_GROWSDOWN)
F(heap_grows, mm->vmas[V_HEAP].v.flags |= CRFS_VMA_F_GROWSDOWN)
F(file_async, fl[F_LOG].f.flags |= O_ASYNC)
F(file_tty, fl[F_NULL].f.rdev = makedev(136, 0))
F(sig_shared_tid, t->pending.sig[0].tid = FX_PID)
F(xstate_size, th->arch.xstate_size -= 64)
F(cs0, th->arch.regs.r[REG(cs)] = 0)
F(ss_rpl, th->arch.regs.r[REG(ss)] = 0x28)
F(fs_wide, th->arch.regs.r[REG(fs)] = 0x10003)
F(fs_base, th->arch.regs.r[REG(fs_base)] = 0xffff800000000000ULL)
F(gs_base, th->arch.regs.r[REG(gs_base)] = 0x7ffffffff000ULL)
F(xstate_bv, memset((char *)th->arch.xstate + 512, 0xff, 8))
F(xcomp_bv, memcpy((char *)th->arch.xstate + 520, &(uint64_t){ 1ULL << 63 }, 8))
F(xrsv, ((char *)th->arch.xstate)[540] = 1)
F(mxcsr, memcpy((char *)th->arch.xstate + 24, &(uint32_t){ 0x10000 }, 4))
F(mm_high, mm->m.env_end = 0x800000000000ULL)
F(mm_code, mm->m.end_code = mm->m.start_code)
F(mm_brk, mm->m.brk = mm->m.start_brk - 4096)
F(mm_args, mm->m.arg_end = mm->m.arg_start - 1)
F(mm_flags, mm->m.flags = 8)
F(auxv_odd, mm->m.auxv_words = 3)
F(auxv_end, mm->m.auxv[2] = 7)
F(auxv_early, mm->m.auxv_words = 6; mm->m.auxv[4] = 0; mm->m.auxv[0] = 0)
F(auxv_unused, mm->m.auxv[90] = 1)
F(auxv_none, mm->m.auxv_words = 0)
F(exe, mm->m.exe_file_id = F_CWD + 1)
F(exe0, mm->m.exe_file_id = 0)
F(vma_kind0, mm->vmas[V_ANON1].v.kind = 0)
F(vma_kind10, mm->vmas[V_ANON1].v.kind = 10)
/* SysV IPC: a namespace with a segment, a set of 2 and a queue of 1. */
static void fx_ipc(struct cr_model *m)
{
	static const struct crfs_ipc_msg msg = { 5, 3 };
	struct cr_ipc *c;
	int err;

	m->have_ipcns = true;
	m->ipcns = (struct crfs_ipcns){ .shmmax = 1ULL << 40,
		.shmall = 1ULL << 30, .shmmni = 4096, .msgmax = 8192,
		.msgmnb = 16384, .msgmni = 32000,
		.sem = { 32000, 1024000000, 500, 32000 }, .shm_next_id = -1,
		.msg_next_id = -1, .sem_next_id = -1 };
	c = cr_model_new_ipc(m, &err);
	c->i = (struct crfs_ipc){ .id = 1, .kind = CRFS_IPC_SHM, .key = 0x11,
		.mode = 0600, .size = 0x10000 };
	c = cr_model_new_ipc(m, &err);
	c->i = (struct crfs_ipc){ .id = 2, .kind = CRFS_IPC_SEM, .key = 0x12,
		.mode = 0600, .size = 2, .nr = 2 };
	c->payload = calloc(1, 8);
	c->payload_len = 8;
	memcpy(c->payload, (uint16_t[]){ 1, 32767 }, 4);
	c = cr_model_new_ipc(m, &err);
	c->i = (struct crfs_ipc){ .id = 3, .kind = CRFS_IPC_MSQ, .key = 0x13,
		.mode = 0600, .size = 16384, .nr = 1, .data_size = 24 };
	c->payload = calloc(1, 24);
	c->payload_len = 24;
	memcpy(c->payload, &msg, sizeof(msg));
	memcpy((char *)c->payload + sizeof(msg), "abc", 3);
}

/* V_ANON1 (0x700000-0x710000, r--) as an attachment of segment @ipc. */
static void fx_sysv(struct cr_mm *mm, uint32_t ipc)
{
	mm->vmas[V_ANON1].v.kind = CRFS_VMA_SYSV;
	mm->vmas[V_ANON1].v.flags = CRFS_VMA_F_SHARED;
	mm->vmas[V_ANON1].v.ipc_id = ipc;
}

/* The IPC objects of fx_ipc(), made wrong by @body. */
#define FI(name, body) \
	F(name, fx_ipc(m); struct crfs_ipcns *ns = &m->ipcns; \
	  struct cr_ipc *ip = m->ipcs; (void)ns; (void)ip; body)
FI(ipc_sem_value, memcpy(ip[1].payload, (uint16_t[]){ 32768 }, 2))
FI(ipc_order, int err; struct cr_ipc c = ip[1];
	      c.payload = calloc(1, 8); c.i.id = 4;
	      *cr_model_new_ipc(m, &err) = c)
FI(ipc_dest_key, ip[0].i.flags = CRFS_IPC_F_DEST)
FI(ipc_mode, ip[0].i.mode = 01777)
FI(ipc_flags, ip[1].i.flags = CRFS_IPC_F_LOCKED)
FI(ipc_rmid_forced, ns->shm_rmid_forced = 1)
FI(ipc_next_id, ns->msg_next_id = -2)
FI(ipc_msg_type0, memset(ip[2].payload, 0, 8))
FI(ipc_msg_count, ip[2].i.nr = 2)
FI(ipc_no_ns, m->have_ipcns = false)
FI(ipc_id_order, ip[1].i.id = 7)
FI(ipc_data_missing, ip[0].i.data_size = 4096)
FI(ipc_data_beyond, ip[0].i.data_size = 0x11000)
FI(vma_sysv_sem, fx_sysv(mm, 2))
FI(vma_sysv_none, fx_sysv(mm, 0))
FI(vma_sysv_beyond, fx_sysv(mm, 1); mm->vmas[V_ANON1].v.pgoff = 0x1000)
FI(vma_sysv_private, fx_sysv(mm, 1); mm->vmas[V_ANON1].v.flags = 0)
FI(vma_sysv_rdonly_w, fx_sysv(mm, 1); mm->vmas[V_ANON1].v.prot |= PROT_WRITE;
		      mm->vmas[V_ANON1].v.flags |= CRFS_VMA_F_SHM_RDONLY)
FI(vma_rdonly_anon, mm->vmas[V_ANON1].v.flags |= CRFS_VMA_F_SHM_RDONLY)
FI(vma_anon_ipc, mm->vmas[V_ANON2].v.ipc_id = 1)
F(vma_empty, mm->vmas[V_ANON1].v.end = mm->vmas[V_ANON1].v.start)
F(vma_inside_out, mm->vmas[V_HEAP].v.end = 0x5ff000)
F(vma_align, mm->vmas[V_HEAP].v.end += 16)
F(vma_high, mm->vmas[V_VDSO].v.end = 0x800000001000ULL)
F(vma_overlap, mm->vmas[V_ANON1].v.end = 0x711000)
F(vma_unsorted, struct cr_vma x = mm->vmas[V_HEAP];
		mm->vmas[V_HEAP] = mm->vmas[V_EXE]; mm->vmas[V_EXE] = x)
F(vma_prot, mm->vmas[V_ANON1].v.prot |= 0x10)
F(vma_flags, mm->vmas[V_ANON1].v.flags |= 1U << 20)
F(vma_advice, mm->vmas[V_ANON1].v.advice |= 1U << 20)
F(vma_nofile, mm->vmas[V_EXE].v.file_id = 0)
F(vma_dirfile, mm->vmas[V_EXE].v.file_id = F_DIR + 1)
F(vma_relpath, free(fl[F_EXE].path); fl[F_EXE].path = strdup("bin/prog"))
F(vma_anonfile, mm->vmas[V_HEAP].v.file_id = F_MAP + 1)
F(vma_pgoff, mm->vmas[V_EXE].v.pgoff = 100)
F(vma_pgoff_wrap, mm->vmas[V_EXE].v.pgoff = 0xfffffffffffff000ULL)
F(vma_filegrows, mm->vmas[V_EXE].v.flags |= CRFS_VMA_F_GROWSDOWN)
F(vma_anonshared, mm->vmas[V_ANON1].v.flags |= CRFS_VMA_F_SHARED)
F(vma_heapname, mm->vmas[V_HEAP].name = strdup("x"))
F(vma_shm_private, mm->vmas[V_SHM1].v.flags = 0)
F(vma_lockonfault, mm->vmas[V_ANON1].v.flags |= CRFS_VMA_F_LOCKONFAULT)
F(vma_shm_account, mm->vmas[V_SHM1].v.flags |= CRFS_VMA_F_ACCOUNT)
F(vma_account_noreserve, mm->vmas[V_ANON2].v.flags |= CRFS_VMA_F_NORESERVE)
F(vma_uncharged, mm->vmas[V_ANON2].v.flags &= ~CRFS_VMA_F_ACCOUNT)
F(vma_dontexpand, mm->vmas[V_ANON1].v.advice |= CRFS_VMA_A_DONTEXPAND)
F(vma_wipe_file, mm->vmas[V_EXE].v.advice |= CRFS_VMA_A_WIPEONFORK)
F(vma_droppable, mm->vmas[V_ANON2].v.flags = CRFS_VMA_F_DROPPABLE | CRFS_VMA_F_NORESERVE)
F(vma_shm_beyond, mm->vmas[V_SHM2].v.pgoff = 0xa000)
F(vma_shm_none, mm->vmas[V_SHM1].v.shmem_id = 0)
F(shmem_size, m->shmems[0].s.size = 0x10001)
F(file_kind0, fl[F_DATA].f.kind = 0)
F(file_kind99, fl[F_DATA].f.kind = 99)
F(file_memfd, fl[F_DATA].f.kind = CRFS_FILE_MEMFD)
F(file_mode, fl[F_NULL].f.mode = S_IFREG | 0644)
F(file_pos, fl[F_LOG].f.pos = 1ULL << 63)
F(file_cloexec, fl[F_LOG].f.flags |= O_CLOEXEC)
F(file_path_reg, fl[F_LOG].f.flags |= O_PATH)
F(file_dir_write, fl[F_DIR].f.flags |= O_RDWR)
F(file_data, fl[F_DATA].f.data_size = 8)
F(file_cflags, fl[F_LOG].f.cflags = 2)
F(data_big, fx_memfd(&fl[F_DATA], 4ULL << 30, CRFS_FILE_DATA_MAX + PS))
F(data_past, fx_memfd(&fl[F_DATA], 100, 2 * PS))
F(data_id_later, fx_memfd(&fl[F_DATA], 100, 0);
		 fl[F_DATA].f.data_id = F_DIR + 1)
F(data_id_reg, fl[F_DATA].f.data_id = F_DATA + 1)
F(data_priv, fx_memfd(&fl[F_DATA], 100, 0);
	     fl[F_DATA].f.cflags = CRFS_FILE_F_PRIV)
F(data_seals, fx_memfd(&fl[F_DATA], 100, 0);
	      fl[F_DATA].f.kind = CRFS_FILE_UNLINKED;
	      free(fl[F_DATA].path); fl[F_DATA].path = strdup("/tmp/d");
	      fl[F_DATA].f.seals = 1)
F(data_shm, fx_memfd(&fl[F_DATA], 100, 0);
	    fl[F_DATA].f.kind = CRFS_FILE_ANON_SHMEM)
F(fd_nofile, fd[1].d.file_id = 0)
F(fd_unsorted, fd[3].d.fd = 0)
F(fd_dup, fd[2].d.fd = 1)
F(fd_int, t->t.rlim[RLIMIT_NOFILE].max = ~0ULL; fd[4].d.fd = 0x80000000U)
F(fd_cloexec, fd[3].d.cloexec = 2)
F(fd_opath, fl[F_DIR].f.flags |= O_PATH)
F(ref_file, mm->vmas[V_EXE].v.file_id = 99)
F(ref_shmem, mm->vmas[V_SHM1].v.shmem_id = 7)
F(ref_mm, t->t.mm_id = 5)
F(dup_file, fl[F_DATA].f.id = F_LOG + 1)
F(cap_eff, t->creds.cap_eff = 4)
F(cap_amb, t->creds.cap_amb = 2)
F(securebits, t->creds.securebits = 0x1000)
F(pdeath, t->t.pdeath_signal = 65)
F(thp_advised, mm->m.flags = CRFS_MM_F_THP_EXCEPT_ADVISED)
F(sc_notif, th->seccomp[1].insns[1] = 0x06 | 0x7fc00000ULL << 32)
F(sc_ret_a, th->seccomp[1].insns[1] = 0x16)
F(sc_jump, th->seccomp[0].insns[0] = 0x15 | 1ULL << 24)
F(sc_load, th->seccomp[0].insns[0] = 0x20 | 64ULL << 32)
F(sc_code, th->seccomp[0].insns[0] = 0xffff)
F(sc_noret, th->seccomp[1].insns[1] = 0x20)
F(sc_flags, th->seccomp[0].s.flags = 1)
F(sc_strict, th->t.flags |= CRFS_THREAD_F_SECCOMP_STRICT)
F(sched_deadline, th->t.sched_policy = 6 /* SCHED_DEADLINE */)
F(sched_fifo_prio0, th->t.sched_policy = 1 /* SCHED_FIFO */)
F(sched_other_prio, th->t.sched_priority = 5)
F(sched_nice, th->t.sched_nice = 20)
F(clear_tid, th->t.clear_child_tid = 0xffff800000000000ULL)
F(no_cpus, th->t.cpus_allowed[0] = 0)

/* Eight more filters of 4096 instructions each on @th. */
static void add_big_filters(struct cr_thread *th)
{
	int err;

	for (int i = 0; i < 8; i++) {
		struct cr_seccomp *f = cr_model_new_seccomp(th, &err);

		f->s.tid = th->t.tid;
		f->s.index = th->nr_seccomp - 1;
		f->s.nr_insns = 4096;
		f->insns = calloc(4096, sizeof(uint64_t));
		for (int j = 0; j < 4096; j++)
			f->insns[j] = 0x06 | 0x7fff0000ULL << 32;
	}
}

F(sc_big, add_big_filters(th))
F(lock_nofile, m->locks[L_OFD].l.file_id = 0)
F(lock_kind, m->locks[L_OFD].l.kind = 4)
F(lock_type, m->locks[L_OFD].l.type = F_UNLCK)
F(lock_noowner, m->locks[L_POSIX_WR].l.owner = 0)
F(lock_owner, m->locks[L_FLOCK].l.owner = 1)
F(lock_flock_range, m->locks[L_FLOCK].l.start = 1)
F(lock_start, m->locks[L_POSIX_RD].l.start = 1ULL << 63)
F(lock_len, m->locks[L_POSIX_WR].l.start = INT64_MAX;
	    m->locks[L_POSIX_WR].l.len = 2)
F(lock_read_wronly, m->locks[L_POSIX_WR].l.type = F_RDLCK)
F(lock_write_rdonly, m->locks[L_OFD].l.type = F_WRLCK)
F(lock_unheld, m->locks[L_OFD].l.file_id = F_MAP + 1)
F(lock_device, m->locks[L_FLOCK].l.file_id = F_NULL + 1)
F(ref_lock_owner, m->locks[L_POSIX_RD].l.owner = 5)

static const struct forgery forgeries[] = {
	{ "a futex hash of gone threads with two threads", forge_futex_threads, "a futex hash of past threads" },
	{ "pid 0",			forge_pid0,	"pid 0" },
	{ "pid above 4M",		forge_pid_big,	"not a pid" },
	{ "a parent not in the image",	forge_ppid,	"parent 1" },
	{ "a TASK's __pad not zero",	forge_task_pad,	"pid 4711: __pad not zero" },
	{ "umask beyond 0777",		forge_umask,	"umask" },
	{ "personality 0xffffffff",	forge_personality, "personality" },
	{ "dumpable 3",			forge_dumpable,	"dumpable 3" },
	{ "a stopped process without its stop signal", forge_state,
	  "state 2 with stop signal 0" },
	{ "a zombie root",		forge_state_zombie,
	  "the root is a zombie" },
	{ "a process stopped by SIGUSR1",	forge_stop_usr1, "stop signal 10" },
	{ "a running process with a stop signal", forge_stop_alive,
	  "state 1 with stop signal 19" },
	{ "an interval timer of 1500 ns",	forge_itimer_ns, "interval timer 2" },
	{ "an interval timer of 2^63 ns",	forge_itimer_big, "interval timer 0" },
	{ "a timer on an alarm clock",	forge_timer_alarm_clock, "clock 8",
	  EOPNOTSUPP },
	{ "a timer on another process's CPU clock", forge_timer_other_cpu,
	  "timer 7: clock", EOPNOTSUPP },
	{ "a timer on a descriptor's clock", forge_timer_fd_clock,
	  "timer 7: clock", EOPNOTSUPP },
	{ "a timer that starts threads (SIGEV_THREAD)", forge_timer_sigev_thread,
	  "notification 2", EOPNOTSUPP },
	{ "a timer for a thread not the process's", forge_timer_tid,
	  "to thread 4712" },
	{ "a timer with a thread but no SIGEV_THREAD_ID", forge_timer_tid_signal,
	  "notification 0 with thread 4711" },
	{ "a timer signal 65",		forge_timer_signo, "timer 7: signal 65" },
	{ "a timer signal 0 with SIGEV_SIGNAL", forge_timer_signo0,
	  "timer 7: signal 0" },
	{ "a timer value of 2^63 ns",	forge_timer_value, "beyond what" },
	{ "state 9",			forge_state9,	"state 9" },
	{ "oom_score_adj 1001",		forge_oom,	"oom_score_adj" },
	{ "unknown task flags",		forge_task_flags, "unknown flags" },
	{ "a first thread that is not the leader", forge_leader,
	  "not its leader" },
	{ "seccomp filters in a process of two threads", add_thread,
	  "seccomp filters in a multi-threaded process", EOPNOTSUPP },
	{ "a thread CPU-time timer of the caller in a process of two threads",
	  forge_thread_cpu_timer, "timer 7: on CLOCK_THREAD_CPUTIME_ID in a "
	  "multi-threaded process", EOPNOTSUPP },
	{ "rseq area misaligned",	forge_rseq_align, "rseq area" },
	{ "rseq area too short",	forge_rseq_len,	"rseq area" },
	{ "rseq area outside mappings",	forge_rseq_out,	"rseq area" },
	{ "rseq area across a mapping end", forge_rseq_across, "rseq area" },
	{ "an rseq area without its flag", forge_rseq_flag, "do not match" },
	{ "coredump_filter bit 9",	forge_coredump_filter, "coredump_filter 0x200" },
	{ "owner type 4",		forge_owner_type, "/tmp/log\": an owner type" },
	{ "an owner pid without a type", forge_owner_pid_alone, "/tmp/log\": an owner type" },
	{ "F_SETSIG 65",		forge_owner_signo, "/tmp/log\": an owner type" },
	{ "an owner on a directory (dnotify)", forge_owner_dir, "an owner on a directory" },
	{ "F_SETSIG on an O_PATH descriptor", forge_owner_path, "signal on an O_PATH" },
	{ "an owner other than the process", forge_owner_other, "fd 1: owner 4712 (type 2) is neither the process nor one holding the description" },
	{ "ioprio class 4",		forge_ioprio_class, "ioprio 0x8000" },
	{ "ioprio with a hint",		forge_ioprio_hint, "ioprio 0x4008" },
	{ "ioprio class NONE level 5",	forge_ioprio_none_level, "ioprio 0x5" },
	{ "euid -1",			forge_euid,	"id 4294967295" },
	{ "fsgid -1",			forge_fsgid,	"id 4294967295" },
	{ "supplementary group -1",	forge_group,	"group 4294967295" },
	{ "relative cwd",		forge_cwd,	"absolute" },
	{ "relative root",		forge_root,	"absolute" },
	{ "a cwd that is a regular file", forge_cwd_file, "must be directories" },
	{ "soft limit above hard",	forge_rlimit,	"limit 3: soft" },
	{ "an action for SIGKILL",	forge_sigkill,	"SIGKILL and SIGSTOP" },
	{ "an action for SIGSTOP",	forge_sigstop,	"SIGKILL and SIGSTOP" },
	{ "unknown altstack flags",	forge_ss_flags,	"stack flags" },
	{ "altstack below MINSIGSTKSZ",	forge_ss_small,	"alternate signal stack 0x600000" },
	{ "altstack beyond user space",	forge_ss_wrap,	"alternate signal stack" },
	{ "pending signal 0",		forge_signo0,	"(signal 0, process): no such signal" },
	{ "pending signal 65",		forge_signo65,	"(signal 65, thread): no such signal" },
	{ "SIGSTOP pending",		forge_sigstop_pending, "SIGKILL and SIGSTOP cannot be queued" },
	{ "a standard signal pending twice", forge_std_twice, "pending twice on one queue" },
	{ "more real-time signals than RLIMIT_SIGPENDING", forge_rt_many,
	  "more real-time signals" },
	{ "dumpable 2",			forge_dumpable2, "only 0 and 1" },
	{ "rseq area in read-only memory", forge_rseq_ro, "writable mapping" },
	{ "shared memory growing down",	forge_shm_grows, "only private anonymous memory grows down" },
	{ "a heap growing down",	forge_heap_grows, "only private anonymous memory grows down" },
	{ "O_ASYNC on a regular file",	forge_file_async, "O_ASYNC on a file without a fasync" },
	{ "a terminal",			forge_file_tty,	"a device other than" },
	{ "a signal of another thread",	forge_sig_tid,	"in the records of thread" },
	{ "a thread's signal before its thread", forge_sig_shared_tid,
	  "before its thread" },
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
	{ "unknown mm flags",		forge_mm_flags,	"mm flags" },
	{ "auxv of 3 words",		forge_auxv_odd,	"auxv of 3 words" },
	{ "auxv without AT_NULL",	forge_auxv_end,	"AT_NULL" },
	{ "auxv with AT_NULL first",	forge_auxv_early, "AT_NULL at word 0" },
	{ "auxv unused word set",	forge_auxv_unused, "unused word 90" },
	{ "auxv of no word",		forge_auxv_none, "auxv of 0 words" },
	{ "a directory as executable",	forge_exe,	"executable" },
	{ "no executable",		forge_exe0,	"executable" },
	{ "mapping of kind 0",		forge_vma_kind0, "unknown kind" },
	{ "mapping of kind 10",		forge_vma_kind10, "unknown kind" },
	{ "a semaphore above SEMVMX",	forge_ipc_sem_value, "ipc 2 (sem 0): a semaphore value above SEMVMX" },
	{ "IPC objects out of kind order", forge_ipc_order, "ipc 4 (sem 0): not after the one before by kind and id" },
	{ "a removed segment with a key and no attachment", forge_ipc_dest_key, "ipc 1 (shm 0): removed, but with a key or attached nowhere" },
	{ "IPC mode beyond 0777",	forge_ipc_mode, "ipc 1 (shm 0): mode bits beyond 0777" },
	{ "SHM_LOCK on a semaphore set", forge_ipc_flags, "ipc 2 (sem 0): flags on an object that is no segment" },
	{ "shm_rmid_forced with segments", forge_ipc_rmid_forced, "ipc namespace: kernel.shm_rmid_forced with shared memory segments" },
	{ "a next id of -2",		forge_ipc_next_id, "ipc namespace: a negative next id other than -1" },
	{ "a message of type 0",	forge_ipc_msg_type0, "ipc 3: a message of type <= 0 or too large" },
	{ "a queue counting more messages than it has", forge_ipc_msg_count, "ipc 3: not as many messages as it says" },
	{ "an IPC object without its namespace", forge_ipc_no_ns, "an IPC object without its namespace" },
	{ "IPC ids not ascending",	forge_ipc_id_order, "ipc id 3: 0, or not above the one before" },
	{ "segment data missing",	forge_ipc_data_missing, "ipc data: 0 bytes, the segments have 4096" },
	{ "segment data beyond its size", forge_ipc_data_beyond, "ipc 1 (shm 0): more data than the segment holds" },
	{ "an attachment of a semaphore set", forge_vma_sysv_sem, "ipc 2 (sem 0): mapped, and no segment" },
	{ "an attachment of nothing",	forge_vma_sysv_none, "a SysV attachment without its segment" },
	{ "an attachment beyond its segment", forge_vma_sysv_beyond, "beyond the end of its segment" },
	{ "a private attachment",	forge_vma_sysv_private, "a private SysV attachment" },
	{ "a writable read-only attachment", forge_vma_sysv_rdonly_w, "attached read-only, but writable" },
	{ "SHM_RDONLY on anonymous memory", forge_vma_rdonly_anon, "SHM_RDONLY on a mapping that is no SysV attachment" },
	{ "a segment named by anonymous memory", forge_vma_anon_ipc, "a file or object on a mapping of neither" },
	{ "empty mapping",		forge_vma_empty, "ends before it starts" },
	{ "mapping ending before it starts", forge_vma_inside_out, "ends before" },
	{ "unaligned mapping",		forge_vma_align, "not page-aligned" },
	{ "mapping beyond user space",	forge_vma_high,	"beyond the user address space" },
	{ "overlapping mappings",	forge_vma_overlap, "overlaps" },
	{ "unsorted mappings",		forge_vma_unsorted, "overlaps or is below" },
	{ "unknown protection",		forge_vma_prot,	"protection" },
	{ "unknown mapping flag",	forge_vma_flags, "unknown flags" },
	{ "unknown advice",		forge_vma_advice, "advice" },
	{ "file mapping without a file", forge_vma_nofile, "without a file" },
	{ "a mapped directory",		forge_vma_dirfile, "no regular file" },
	{ "mapped file, relative path",	forge_vma_relpath, "absolute" },
	{ "heap with a file",		forge_vma_anonfile, "a file or object on a mapping of neither" },
	{ "file offset not page-aligned", forge_vma_pgoff, "file offset not page-aligned" },
	{ "file offset overflowing",	forge_vma_pgoff_wrap, "beyond what mmap() takes" },
	{ "file mapping growing down",	forge_vma_filegrows, "only private anonymous memory grows down" },
	{ "shared anonymous of kind anon", forge_vma_anonshared, "shared, of a kind" },
	{ "a name on the heap",		forge_vma_heapname, "a name on a mapping" },
	{ "a private mapping of shmem",	forge_vma_shm_private, "private mapping of shared memory" },
	{ "locked on fault, not locked", forge_vma_lockonfault, "locked on fault but not locked" },
	{ "a shmem mapping charged",	forge_vma_shm_account, "a shared mapping charged" },
	{ "charged and MAP_NORESERVE",	forge_vma_account_noreserve, "charged to the commit limit and MAP_NORESERVE" },
	{ "writable private, not charged", forge_vma_uncharged, "but not charged" },
	{ "anonymous memory that cannot expand", forge_vma_dontexpand, "only the kernel's mappings" },
	{ "a file mapping wiped on fork", forge_vma_wipe_file, "only private anonymous memory is" },
	{ "droppable, not wiped on fork", forge_vma_droppable, "not as MAP_DROPPABLE makes" },
	{ "a shmem mapping beyond its object", forge_vma_shm_beyond, "beyond the end of its object" },
	{ "a shmem mapping without its object", forge_vma_shm_none, "without its object" },
	{ "a shmem of part of a page",	forge_shmem_size, "not a number of pages" },
	{ "file of kind 0",		forge_file_kind0, "unknown kind 0" },
	{ "file of kind 99",		forge_file_kind99, "unknown kind 99" },
	{ "a memfd named like a path",	forge_file_memfd, "not memfd:NAME" },
	{ "character device of a file mode", forge_file_mode, "mode does not match" },
	{ "file position beyond 2^63",	forge_file_pos,	"position lseek() cannot take" },
	{ "O_CLOEXEC on a description",	forge_file_cloexec, "O_CLOEXEC" },
	{ "O_PATH on a regular file",	forge_file_path_reg, "O_PATH on a file" },
	{ "a directory open for writing", forge_file_dir_write, "open for writing" },
	{ "data of a file without data", forge_file_data, "data or seals" },
	{ "unknown file cflags",	forge_file_cflags, "unknown cflags" },
	{ "a memfd's data beyond CRFS_FILE_DATA_MAX", forge_data_big,
	  "CRFS_FILE_DATA_MAX" },
	{ "a memfd's data beyond its size", forge_data_past, "within its size" },
	{ "a data_id naming a later file", forge_data_id_later,
	  "names no earlier file" },
	{ "a data_id on a regular file", forge_data_id_reg, "a data_id on" },
	{ "CRFS_FILE_F_PRIV on a memfd", forge_data_priv, "made by the restore" },
	{ "seals on a deleted file",	forge_data_seals, "seals on a file" },
	{ "anonymous shared memory not at /dev/zero", forge_data_shm,
	  "not /dev/zero" },
	{ "descriptor without a file",	forge_fd_nofile, "fd 1: no file" },
	{ "unsorted descriptors",	forge_fd_unsorted, "not above" },
	{ "duplicate descriptor",	forge_fd_dup,	"not above" },
	{ "descriptor above INT_MAX",	forge_fd_int,	"not a descriptor number" },
	{ "close-on-exec 2",		forge_fd_cloexec, "close-on-exec" },
	{ "an O_PATH descriptor",	forge_fd_opath,	"O_PATH descriptors",
	  EOPNOTSUPP },
	{ "a file that is not in the image", forge_ref_file, "file 99 is not in the image" },
	{ "a shmem that is not in the image", forge_ref_shmem, "shmem 7 is not in the image" },
	{ "an mm that is not in the image", forge_ref_mm, "mm 5 is not in the image" },
	{ "two files with one id",	forge_dup_file,	"file 4: two records with this id" },
	{ "effective outside permitted", forge_cap_eff, "effective capabilities outside" },
	{ "ambient outside inheritable", forge_cap_amb, "ambient capabilities outside" },
	{ "unknown securebits",		forge_securebits, "unknown securebits" },
	{ "parent-death signal 65",	forge_pdeath,	"parent-death signal" },
	{ "THP except advised without THP disabled", forge_thp_advised, "mm flags" },
	{ "a seccomp filter asking for user notification", forge_sc_notif,
	  "user notification", EOPNOTSUPP },
	{ "a seccomp filter returning A", forge_sc_ret_a, "user notification",
	  EOPNOTSUPP },
	{ "a seccomp jump beyond the program", forge_sc_jump, "a jump beyond" },
	{ "a seccomp load beyond seccomp_data", forge_sc_load, "a load outside" },
	{ "a seccomp instruction of no kind", forge_sc_code, "does not take" },
	{ "a seccomp filter without a return", forge_sc_noret, "does not end with a return" },
	{ "seccomp flag TSYNC",		forge_sc_flags,	"flags 0x1" },
	{ "seccomp filters in strict mode", forge_sc_strict, "strict mode" },
	{ "scheduling policy SCHED_DEADLINE", forge_sched_deadline,
	  "scheduling policy 0x6" },
	{ "SCHED_FIFO at priority 0",	forge_sched_fifo_prio0,
	  "priority 0" },
	{ "SCHED_OTHER with a real-time priority", forge_sched_other_prio,
	  "priority 5" },
	{ "nice 20",			forge_sched_nice, "nice 20" },
	{ "clear_child_tid in the kernel's half", forge_clear_tid,
	  "clear_child_tid" },
	{ "a CPU affinity without a CPU", forge_no_cpus, "names no CPU" },
	{ "seccomp filters beyond the kernel's 32768 instructions", forge_sc_big,
	  "more than the kernel takes" },
	{ "a lock without a file",	forge_lock_nofile, "no file" },
	{ "a lock of kind 4",		forge_lock_kind, "unknown kind" },
	{ "an F_UNLCK lock",		forge_lock_type, "neither a read nor a write lock" },
	{ "a POSIX lock without owner",	forge_lock_noowner, "a POSIX lock without an owner" },
	{ "a flock with an owner",	forge_lock_owner, "a POSIX lock without an owner, or another with one" },
	{ "a flock on a byte range",	forge_lock_flock_range, "byte range on a flock" },
	{ "a lock starting at 2^63",	forge_lock_start, "byte range fcntl() does not take" },
	{ "a lock ending beyond 2^63",	forge_lock_len,	"byte range fcntl() does not take" },
	{ "a read lock on a write-only description", forge_lock_read_wronly,
	  "not open for reading" },
	{ "a write lock on a read-only description", forge_lock_write_rdonly,
	  "not open for writing" },
	{ "a lock on a description no descriptor has", forge_lock_unheld,
	  "no descriptor has" },
	{ "a lock on a device",		forge_lock_device, "locks on devices are not restored",
	  EOPNOTSUPP },
	{ "a lock owned by no fd table of the image", forge_ref_lock_owner,
	  "fd table 5 is not in the image" },
};

/* The checks: valid 2, filled 1, ipc 1, forgeries, pages 16, header 8,
 * trailing 1, order 6, declared counts 1, linear 1, file data 7. */
#define TAP_PLAN	(44 + sizeof(forgeries) / sizeof(forgeries[0]))

static void test_valid(const struct crfs_image_hdr *h)
{
	struct cr_model m;
	struct verdict v;
	struct cr_err e = { 0 };
	int ret;

	fx_model(&m, h);
	ret = cr_img_check_model(h, &m, &e);
	ok(!ret, "a valid process passes cr_img_check_model()%s%s",
	   ret ? ": " : "", e.msg);
	cr_model_free(&m);
	judge(good_image(h, fx_good_runs), &v);
	ok(!v.verify && !v.restore, "its image, pages across two adjacent "
	   "mappings and across the two mappings of a shared memory object "
	   "included, passes verify and restore%s%s%s",
	   v.verify || v.restore ? ": " : "", v.ev.msg, v.er.msg);
}

/* The valid process with SysV IPC objects and an attachment. */
static void test_valid_ipc(const struct crfs_image_hdr *h)
{
	struct cr_model m;

	fx_model(&m, h);
	fx_ipc(&m);
	fx_sysv(&m.mms[0], 1);
	image_passes(h, &m, "with an IPC namespace, a segment attached, a "
		     "semaphore set and a queue, it");
	cr_model_free(&m);
}

/* Page runs of the valid process that a rule refuses. */
static void pages_refused(const struct crfs_image_hdr *h,
			  const struct fx_run *runs, const char *want,
			  const char *what)
{
	struct verdict v;

	judge(good_image(h, runs), &v);
	refused(&v, EBADMSG, want, what);
}

#define MM(a, n)	{ CRFS_PAGES_MM, 1, a, n }
#define SHM(a, n)	{ CRFS_PAGES_SHMEM, 1, a, n }

static void test_pages(const struct crfs_image_hdr *h)
{
	struct verdict v;

	pages_refused(h, (struct fx_run[]){ MM(0xfffffffffffff000ULL, 2), { 0 } },
		      "0xfffffffffffff000-0x1000: the range wraps around",
		      "pages whose range wraps around");
	pages_refused(h, (struct fx_run[]){ MM(0xffffffffff600000ULL, 1), { 0 } },
		      "beyond the user address space",
		      "pages in the vsyscall page");
	pages_refused(h, (struct fx_run[]){ MM(0x7ffffffff000ULL - 4096, 4), { 0 } },
		      "beyond the user address space",
		      "pages across the user address limit");
	pages_refused(h, (struct fx_run[]){ MM(0x500000, 1), { 0 } },
		      "outside every mapping", "pages outside the mappings");
	pages_refused(h, (struct fx_run[]){ MM(0x61f000, 2), { 0 } },
		      "0x61f000-0x621000: outside every mapping",
		      "pages running off the end of a mapping");
	pages_refused(h, (struct fx_run[]){ MM(0x7ffff7ff4000ULL, 1), { 0 } },
		      "restored without data", "pages in the vdso");
	pages_refused(h, (struct fx_run[]){ MM(0x800000, 1), { 0 } },
		      "restored without data", "pages in a shared file mapping");
	pages_refused(h, (struct fx_run[]){ MM(0x900000, 1), { 0 } },
		      "restored without data",
		      "pages of a shmem mapping as the address space's");
	pages_refused(h, (struct fx_run[]){ MM(0x600000, 2), MM(0x601000, 1), { 0 } },
		      "below the end of the page data before it",
		      "overlapping page records");
	pages_refused(h, (struct fx_run[]){ MM(0x700000, 1), MM(0x600000, 1), { 0 } },
		      "below the end of the page data before it",
		      "page records out of order");
	pages_refused(h, (struct fx_run[]){ SHM(0xf000, 2), { 0 } },
		      "shmem 1: page data for 0xf000-0x11000: beyond the end",
		      "shmem pages beyond its object");
	pages_refused(h, (struct fx_run[]){ SHM(0x1000, 1), MM(0x600000, 1), { 0 } },
		      "after those of a memory object",
		      "address space pages after a memory object's");
	pages_refused(h, (struct fx_run[]){ MM(0x600000, 1), SHM(0x1000, 1),
					    MM(0x601000, 1), { 0 } },
		      "apart from the others",
		      "pages of one owner in two groups");
	pages_refused(h, (struct fx_run[]){ { CRFS_PAGES_MM, 2, 0x600000, 1 },
					    { 0 } },
		      "which is not in the image", "pages of an unknown mm");
	pages_refused(h, (struct fx_run[]){ { 3, 1, 0x600000, 1 }, { 0 } },
		      "pages of an owner of unknown kind 1", "pages of an unknown kind of owner");

	judge(fx_write(h, NULL, fx_good_runs, true), &v);
	refused(&v, EBADMSG, "the image holds 0 processes, its header says 1",
		"page data before the process");
}

static void test_header(const struct crfs_image_hdr *h0)
{
	struct crfs_image_hdr h;
	struct cr_model m;
	struct verdict v;

	fx_model(&m, h0);
	h = *h0;
	h.features |= 1ULL << 9;
	judge(fx_write(&h, &m, NULL, false), &v);
	refused(&v, EOPNOTSUPP, "features 0x201", "unknown feature bits");
	h = *h0;
	h.features = 0;
	judge(fx_write(&h, &m, NULL, false), &v);
	refused(&v, EBADMSG, "lack XSTATE", "no XSTATE feature");
	h = *h0;
	h.nr_tasks = 2;
	judge(fx_write(&h, &m, NULL, false), &v);
	refused(&v, EBADMSG, "the image holds 1 processes, its header says 2",
		"two processes in the header, one in the image");
	h = *h0;
	h.nr_tasks = 0;
	judge(fx_write(&h, &m, NULL, false), &v);
	refused(&v, EBADMSG, "0 processes", "no process in the header");
	h = *h0;
	h.parent_id[3] = 1;
	judge(fx_write(&h, &m, NULL, false), &v);
	refused(&v, EOPNOTSUPP, "parent image", "a parent image");
	h = *h0;
	h.arch = 0xc00000b7;
	judge(fx_write(&h, &m, NULL, false), &v);
	refused(&v, EOPNOTSUPP, "0xc00000b7", "an image of another architecture");
	judge(fx_write(h0, NULL, NULL, false), &v);
	refused(&v, EBADMSG, "the image holds 0 processes, its header says 1",
		"no process in the image");
	second_task(&m);
	judge(fx_write(h0, &m, NULL, false), &v);
	refused(&v, EBADMSG, "more processes than its header says (1)",
		"a second process");
	cr_model_free(&m);
}

/* Bytes after the trailer, said alike on a descriptor and on a ring. */
static void test_trailing(const struct crfs_image_hdr *h)
{
	struct verdict v;
	char want[96];
	off_t len;
	int fd;

	fd = good_image(h, fx_good_runs);
	len = lseek(fd, 0, SEEK_END);
	if (write(fd, "x", 1) != 1)
		exit(1);
	judge(fd, &v);
	snprintf(want, sizeof(want), "trailing data after the trailer at "
		 "offset %lld", (long long)len);
	refused(&v, EBADMSG, want, "a byte after the trailer");
}

/* The object records of @m, files from @first_file on, into @img. */
static void write_objects(struct cr_img *img, const struct cr_model *m,
			  uint32_t first_file, struct cr_err *e)
{
	for (uint32_t i = first_file; i < m->nr_files; i++)
		cr_file_write(img, &m->files[i], e);
	cr_shmem_write(img, &m->shmems[0], e);
	cr_mm_write(img, &m->mms[0], e);
	for (uint32_t i = 0; i < m->mms[0].nr_vmas; i++)
		cr_vma_write(img, &m->mms[0].vmas[i], e);
	cr_fdtable_write(img, &m->fdts[0], e);
	for (uint32_t i = 0; i < m->fdts[0].nr_fds; i++)
		cr_fd_write(img, &m->fdts[0].fds[i], e);
	cr_fs_write(img, &m->fss[0], e);
	cr_sighand_write(img, &m->sighands[0], e);
}

/* A new image on a memfd, its header written. */
static int order_begin(struct cr_img *img, const struct crfs_image_hdr *h,
		       struct cr_err *e)
{
	struct crfs_image_hdr hh = *h;
	int fd = memfd_create("order", MFD_CLOEXEC);

	cr_img_init(img, fd);
	cr_img_write_hdr(img, &hh, e);
	return fd;
}

/* The trailer; judge the image. */
static void order_end(struct cr_img *img, int fd, struct verdict *v,
		      struct cr_err *e)
{
	cr_img_write_end(img, e);
	cr_img_fini(img);
	judge(fd, v);
}

/* Records of the valid image in another order, or missing, or extra. */
static void test_order(const struct crfs_image_hdr *h)
{
	const struct cr_thread *th;
	struct cr_model m;
	struct cr_img img;
	struct verdict v;
	struct cr_err e;
	int fd;

	fx_model(&m, h);
	th = &m.tasks[0].threads[0];
	/* The last FILE after the MM: the files are over once the MM came. */
	fd = order_begin(&img, h, &e);
	for (uint32_t i = 0; i + 1 < m.nr_files; i++)
		cr_file_write(&img, &m.files[i], &e);
	cr_shmem_write(&img, &m.shmems[0], &e);
	cr_mm_write(&img, &m.mms[0], &e);
	for (uint32_t i = 0; i < m.mms[0].nr_vmas; i++)
		cr_vma_write(&img, &m.mms[0].vmas[i], &e);
	cr_file_write(&img, &m.files[m.nr_files - 1], &e);
	order_end(&img, fd, &v, &e);
	refused(&v, EBADMSG, "(file) at offset", "a file after the address space");
	ok(strstr(v.ev.msg, "out of order") != NULL, "... said to be out of "
	   "order: %s", v.ev.msg);

	/* A process without its credentials. */
	fd = order_begin(&img, h, &e);
	write_objects(&img, &m, 0, &e);
	cr_task_write(&img, &m.tasks[0], &e);
	cr_thread_write(&img, th, &e);
	cr_x86_regs_write(&img, th, &e);
	cr_x86_xstate_write(&img, th, &e);
	order_end(&img, fd, &v, &e);
	refused(&v, EBADMSG, "pid 4711 ended without its creds record",
		"a process without credentials");

	/* A thread without its registers. */
	fd = order_begin(&img, h, &e);
	write_objects(&img, &m, 0, &e);
	cr_task_write(&img, &m.tasks[0], &e);
	cr_creds_write(&img, &m.tasks[0], &e);
	cr_thread_write(&img, th, &e);
	order_end(&img, fd, &v, &e);
	refused(&v, EBADMSG, "thread 4711 ended without its x86_regs record",
		"a thread without registers");

	/* A POSIX timer of another process, after this one's threads. */
	fd = order_begin(&img, h, &e);
	cr_model_write(&img, &m, &e);
	cr_img_write_rec(&img, CRFS_REC_TIMER, &(struct iovec){
			 &(struct crfs_timer){ .pid = FX_PID + 1, .signo = 14 },
			 sizeof(struct crfs_timer) }, 1, &e);
	order_end(&img, fd, &v, &e);
	refused(&v, EBADMSG, "timer 0 of pid 4712 out of place",
		"a POSIX timer of another process");

	/* Two POSIX timers with one id. */
	fd = order_begin(&img, h, &e);
	cr_model_write(&img, &m, &e);
	for (int i = 0; i < 2; i++)
		cr_img_write_rec(&img, CRFS_REC_TIMER, &(struct iovec){
				 &(struct crfs_timer){ .pid = FX_PID,
						       .timer_id = 5,
						       .signo = 14 },
				 sizeof(struct crfs_timer) }, 1, &e);
	order_end(&img, fd, &v, &e);
	refused(&v, EBADMSG, "timer 5 after timer 5: ids must ascend",
		"two POSIX timers with one id");
	cr_model_free(&m);
}

/*
 * An MM claiming CRFS_MAX_OBJECTS mappings with three behind it: what it
 * costs must be what arrived, not what it claims (an array of 4M mappings
 * would be 500 MiB).
 */
static void test_declared_counts(const struct crfs_image_hdr *h)
{
	int fd = memfd_create("claims", MFD_CLOEXEC), status;
	struct crfs_image_hdr hh = *h;
	struct cr_model m;
	struct cr_img img;
	struct cr_err e;
	pid_t pid;

	fx_model(&m, h);
	cr_img_init(&img, fd);
	cr_img_write_hdr(&img, &hh, &e);
	for (uint32_t i = 0; i < m.nr_files; i++)
		cr_file_write(&img, &m.files[i], &e);
	cr_shmem_write(&img, &m.shmems[0], &e);
	m.mms[0].nr_vmas = 3;
	cr_img_write_rec(&img, CRFS_REC_MM, &(struct iovec){ &(struct crfs_mm){
			 .id = 1, .nr_vmas = CRFS_MAX_OBJECTS },
			 sizeof(struct crfs_mm) }, 1, &e);
	for (uint32_t i = 0; i < 3; i++)
		cr_vma_write(&img, &m.mms[0].vmas[i], &e);
	cr_fdtable_write(&img, &m.fdts[0], &e);
	cr_img_write_end(&img, &e);
	cr_img_fini(&img);
	m.mms[0].nr_vmas = NR_V;
	cr_model_free(&m);

	pid = fork();
	if (pid == 0) {
		struct cr_err er = { 0 };
		int ret;

#ifndef UNDER_ASAN
		/* 64 MiB of data: the claimed array cannot fit. */
		setrlimit(RLIMIT_DATA, &(struct rlimit){ 64 << 20, 64 << 20 });
#endif
		ret = read_verify(fd, &er);
		_exit(ret == -EBADMSG && strstr(er.msg, "expected vma record 4 "
						"of 4194304 of mm 1") ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "an mm claiming 4M mappings costs only the records that arrive "
	   "(read under a 64 MiB data limit)");
	close(fd);
}

/* Write a valid image of @n mappings, descriptors and locks to @fd. */
static void write_big(const struct crfs_image_hdr *h, int fd, uint32_t n)
{
	static unsigned char data[4096];
	struct crfs_image_hdr hh = *h;
	struct cr_model m;
	struct cr_img img;
	struct cr_err e;
	struct cr_mm *mm;
	struct cr_fdtable *t;
	int err;

	fx_model(&m, h);
	mm = &m.mms[0];
	t = &m.fdts[0];
	for (uint32_t i = 0; i < mm->nr_vmas; i++)
		free(mm->vmas[i].name);
	mm->nr_vmas = 0;
	t->nr_fds = 0;
	m.nr_locks = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct cr_vma *v = cr_model_new_vma(mm, &err);

		v->v = (struct crfs_vma){ .mm_id = 1,
			.start = 0x10000000 + i * 2 * PS,
			.end = 0x10000000 + i * 2 * PS + PS,
			.kind = CRFS_VMA_ANON, .prot = PROT_READ };
		cr_model_new_fd(t, &err)->d = (struct crfs_fd){
			.fd = i, .file_id = F_DATA + 1 };
		cr_model_new_lock(&m, &err)->l = (struct crfs_lock){
			F_DATA + 1, CRFS_LOCK_POSIX, 1, F_RDLCK, i * 10, 10 };
	}
	m.tasks[0].threads[0].t.flags = 0;
	m.tasks[0].threads[0].t.rseq_addr = 0;
	m.tasks[0].t.rlim[RLIMIT_NOFILE].max = ~0ULL;
	cr_img_init(&img, fd);
	cr_img_write_hdr(&img, &hh, &e);
	cr_model_write(&img, &m, &e);
	for (uint32_t i = 0; i < n; i += 64)
		cr_img_write_pages(&img, CRFS_PAGES_MM, 1, mm->vmas[i].v.start,
				   data, 1, &e);
	if (cr_img_write_end(&img, &e)) {
		fprintf(stderr, "test-check: %s\n", e.msg);
		exit(1);
	}
	cr_img_fini(&img);
	cr_model_free(&m);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Best of 3 readings of an image of @n mappings, in seconds. */
static double time_read(const struct crfs_image_hdr *h, uint32_t n, int *ret,
			struct cr_err *e)
{
	int fd = memfd_create("big", MFD_CLOEXEC);
	double best = 1e9;

	write_big(h, fd, n);
	for (int i = 0; i < 3; i++) {
		double t0 = now();

		*ret = read_verify(fd, e);
		if (now() - t0 < best)
			best = now() - t0;
	}
	close(fd);
	return best;
}

static void test_linear(const struct crfs_image_hdr *h)
{
	struct cr_err e1 = { 0 }, e2 = { 0 };
	int r1, r2;
	double t1 = time_read(h, 1 << 14, &r1, &e1);
	double t2 = time_read(h, 1 << 17, &r2, &e2);

	ok(!r1 && !r2 && t2 / t1 < 8 * 3,
	   "reading and checking 8 times the mappings, descriptors and locks "
	   "takes "
	   "%.1f times as long (%.1f ms for 16384, %.1f ms for 131072)%s%s",
	   t2 / t1, t1 * 1e3, t2 * 1e3, r1 || r2 ? ": " : "",
	   r1 ? e1.msg : e2.msg);
}

/* The rule of page data is the restore's: which mappings get data. */
static void test_filled(void)
{
	static const struct { uint32_t kind, flags; bool filled; } k[] = {
		{ CRFS_VMA_ANON, 0, true }, { CRFS_VMA_SHMEM, CRFS_VMA_F_SHARED, false },
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
	ok(good, "an address space's page data goes to private anonymous, "
	   "heap, stack and private file mappings only");
}

/* One FILE_DATA record to write: file, offset, pages. */
struct fx_fdata {
	uint32_t	id;
	uint64_t	off, pages;
};

/*
 * The valid process with F_DATA a memfd of @size bytes carrying 2 pages
 * of data, and the FILE_DATA records @recs (ending with id 0).
 */
static int fdata_image(const struct crfs_image_hdr *h, uint64_t size,
		       const struct fx_fdata *recs)
{
	static unsigned char page[4 * 4096];	/* the most a test writes: 3 pages */
	int fd = memfd_create("fixture", MFD_CLOEXEC);
	struct crfs_image_hdr hw = *h;
	struct cr_err e = { 0 };
	struct cr_model m;
	struct cr_img img;
	int ret;

	fx_model(&m, h);
	fx_memfd(&m.files[F_DATA], size, 2 * PS);
	if (fd < 0 || cr_img_init(&img, fd))
		exit(1);
	ret = cr_img_write_hdr(&img, &hw, &e);
	if (!ret)
		ret = cr_model_write(&img, &m, &e);
	for (; !ret && recs->id; recs++) {
		struct crfs_file_data d = { .file_id = recs->id,
					    .offset = recs->off,
					    .size = recs->pages * PS };

		memset(page, 'a' + recs->off / PS, sizeof(page));
		ret = cr_rec_put(&img, CRFS_REC_FILE_DATA, &e, 2,
				 (struct iovec[]){ { &d, sizeof(d) },
						   { page, d.size } });
	}
	if (!ret)
		ret = cr_img_write_end(&img, &e);
	if (ret) {
		fprintf(stderr, "fdata_image: %s\n", e.msg);
		exit(1);
	}
	cr_img_fini(&img);
	cr_model_free(&m);
	return fd;
}

/* FILE_DATA records: whole, ordered, within the file's size and data. */
static void test_file_data(const struct crfs_image_hdr *h)
{
	const uint32_t id = F_DATA + 1;
	struct verdict v;

	judge(fdata_image(h, 3 * PS + 5, (const struct fx_fdata[]){
		{ id, 0, 1 }, { id, 3 * PS, 1 }, { 0 } }), &v);
	ok(!v.verify && !v.restore, "a memfd with two pages of data and a "
	   "hole between them passes verify and restore%s%s%s",
	   v.verify || v.restore ? ": " : "", v.ev.msg, v.er.msg);
	judge(fdata_image(h, 3 * PS, (const struct fx_fdata[]){
		{ id, 0, 1 }, { 0 } }), &v);
	refused(&v, EBADMSG, "8192 bytes of data, the image has 4096",
		"a file's data cut short");
	judge(fdata_image(h, 3 * PS, (const struct fx_fdata[]){
		{ id, PS, 1 }, { id, 0, 1 }, { 0 } }), &v);
	refused(&v, EBADMSG, "below the end of the data before it",
		"a file's data descending");
	judge(fdata_image(h, 3 * PS, (const struct fx_fdata[]){
		{ id, 0, 1 }, { id, 3 * PS, 1 }, { 0 } }), &v);
	refused(&v, EBADMSG, "beyond the file's size",
		"a file's data beyond its size");
	judge(fdata_image(h, 3 * PS, (const struct fx_fdata[]){
		{ id, 0, 1 }, { id, PS + 8, 1 }, { 0 } }), &v);
	refused(&v, EBADMSG, "not whole pages", "data at an unaligned offset");
	judge(fdata_image(h, 3 * PS, (const struct fx_fdata[]){
		{ F_LOG + 1, 0, 1 }, { 0 } }), &v);
	refused(&v, EBADMSG, "a file whose contents are not in the image",
		"data of a regular file");
	judge(fdata_image(h, 3 * PS, (const struct fx_fdata[]){
		{ id, 0, 3 }, { 0 } }), &v);
	refused(&v, EBADMSG, "more than its data_size",
		"more data than a file's data_size");
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
	printf("1..%d\n", (int)TAP_PLAN);
	test_valid(&h);
	test_filled();
	test_valid_ipc(&h);
	run_forgeries(&h, forgeries, sizeof(forgeries) / sizeof(forgeries[0]));
	test_pages(&h);
	test_header(&h);
	test_trailing(&h);
	test_order(&h);
	test_declared_counts(&h);
	test_linear(&h);
	test_file_data(&h);
	if (tap_nr != TAP_PLAN)
		ok(0, "planned %d tests, ran %d", (int)TAP_PLAN, tap_nr);
	return tap_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
