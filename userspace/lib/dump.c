// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Checkpoint, in phases (Documentation/crfs/engine.rst):
 *
 *  1. collect: the processes of a frozen cgroup, the zombies among their
 *     children (dump-tree.c), into a model, from /proc;
 *  2. check: every refusal, before any image byte, naming pid, object
 *     and reason;
 *  3. seize every task, then thaw the cgroup (a ptrace-stopped task
 *     stays put);
 *  4. dump in the task's context: what ptrace tells, then what only the
 *     task can tell, asked by injected calls in one batch per task; its
 *     registers and mask put back, the cgroup frozen again;
 *  5. write the stream (cr_dump_stream());
 *  6. release: the tasks go back exactly as they were, frozen
 *     (cr_dump_end()).
 *
 * What each phase does of each kind of state is a row of the resource
 * table (res.h).  All ptrace requests come from the thread that called
 * cr_dump_begin(): a tracee has one tracer thread, so cr_dump_stream()
 * and cr_dump_end() must be called from it too.
 */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "dump.h"
#include "img-walk.h"
#include "proc.h"

/* How long a task may take to stop, and to freeze again. */
#define STOP_TIMEOUT_MS		5000
#define FREEZE_TIMEOUT_MS	5000

/* Phase 1 (@check false) or 2 of every row for task @dt. */
static int dump_rows(struct cr_dump *d, struct cr_dtask *dt, bool check,
		     struct cr_err *e)
{
	int ret = 0;

	/* A zombie has nothing but its ids (dump-tree.c). */
	if (dt->zombie)
		return 0;
	/* The FILEs its rows collect, after those of the tasks before. */
	if (!check)
		dt->first_file = d->m.nr_files;
	for (int i = 0; !ret && i < CR_RES_NR; i++) {
		int (*hook)(struct cr_dump *, struct cr_dtask *,
			    struct cr_err *) = check ? cr_res_table[i]->check :
					       cr_res_table[i]->collect;

		if (hook)
			ret = hook(d, dt, e);
	}
	return ret;
}

/* Microseconds on the monotonic clock. */
static long dump_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/*
 * Sleep *@us microseconds and double it for the next time, up to 1 ms:
 * what is waited for here usually comes within microseconds.
 */
static void dump_nap(long *us)
{
	struct timespec ts = { 0, *us * 1000 };

	nanosleep(&ts, NULL);
	if (*us < 1000)
		*us *= 2;
}

/*
 * Wait for the PTRACE_EVENT_STOP that PTRACE_INTERRUPT asked for; *@sig
 * receives its signal: SIGTRAP, or the signal that stopped a process in
 * a group stop (job control).
 */
static int dump_wait_stop(pid_t pid, int *sig, struct cr_err *e)
{
	long deadline = dump_now_us() + STOP_TIMEOUT_MS * 1000L, nap = 20;
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, __WALL | WNOHANG);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cr_fail(e, errno, "pid %d: wait: %m", pid);
		if (r == 0) {
			if (dump_now_us() > deadline)
				break;
			dump_nap(&nap);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return cr_fail(e, ESRCH, "pid %d: died while seized",
				       pid);
		if (WIFSTOPPED(status) && status >> 16 == PTRACE_EVENT_STOP) {
			*sig = WSTOPSIG(status);
			return 0;
		}
		return cr_fail(e, EIO, "pid %d: unexpected stop (status %#x)",
			       pid, status);
	}
	return cr_fail(e, ETIMEDOUT, "pid %d: did not stop for ptrace", pid);
}

/* Phase 3: seize the frozen task and stop it for ptrace. */
static int dump_seize(struct cr_dtask *dt, struct cr_err *e)
{
	int ret;

	if (ptrace(PTRACE_SEIZE, dt->pid, NULL,
		   (void *)(long)PTRACE_O_TRACESYSGOOD))
		return cr_fail(e, errno, "pid %d: cannot seize: %m", dt->pid);
	dt->seized = 1;
	if (ptrace(PTRACE_INTERRUPT, dt->pid, NULL, NULL))
		return cr_fail(e, errno, "pid %d: cannot interrupt: %m",
			       dt->pid);
	ret = dump_wait_stop(dt->pid, &dt->stop_sig, e);
	return ret ? ret : cr_dump_seize_threads(dt, e);
}

int cr_batch_add(struct cr_batch *b, long nr, const unsigned long a[6])
{
	if (b->n >= (int)CR_BATCH_CALLS)
		return -E2BIG;
	b->calls[b->n] = (struct cr_infect_call){ .nr = nr };
	memcpy(b->calls[b->n].a, a, sizeof(b->calls[b->n].a));
	return b->n++;
}

long cr_batch_data(struct cr_batch *b, size_t len, unsigned long *addr)
{
	size_t off = (b->data_used + 7) & ~7UL;

	if (off + len > CR_SCRATCH_DATA_SIZE)
		return -E2BIG;
	b->data_used = off + len;
	*addr = b->scratch + CR_SCRATCH_DATA + off;
	return off;
}

/* Run one injected call that must succeed; its result goes to @rc. */
static int dump_inject(struct cr_dtask *dt, long nr, const char *name,
		       const unsigned long a[6], long *rc, struct cr_err *e)
{
	int ret = cr_infect_syscall(&dt->inf, nr, a, rc, e);

	if (ret)
		return ret;
	if (*rc < 0 && *rc > -4096)
		return cr_fail(e, (int)-*rc, "pid %d: injected %s failed: %s",
			       dt->pid, name, strerror((int)-*rc));
	return 0;
}

/*
 * Run the calls of @b in the task, in one batch when it can be (the
 * scratch area is executable and the task lets SIGTRAP through), else
 * one by one; up to the first that fails.  Then read the data back.
 */
static int dump_run_batch(struct cr_dtask *dt, struct cr_batch *b, bool exec,
			  struct cr_err *e)
{
	struct iovec local = { (void *)cr_arch_batch_code,
			       cr_arch_batch_code_size };
	struct iovec remote = { (void *)(b->scratch + CR_SCRATCH_CODE),
				cr_arch_batch_code_size };
	int ret = -EAGAIN;

	if (exec && CR_SCRATCH_CODE + cr_arch_batch_code_size <=
	    CR_SCRATCH_CALLS &&
	    process_vm_writev(dt->pid, &local, 1, &remote, 1, 0) ==
	    (ssize_t)cr_arch_batch_code_size)
		ret = cr_infect_batch(&dt->inf, b->scratch + CR_SCRATCH_CODE,
				      b->scratch + CR_SCRATCH_CALLS, b->calls,
				      b->n, e);
	if (ret == -EAGAIN) {
		for (ret = 0; ret < b->n; ret++) {
			long rc;
			int r = cr_infect_syscall(&dt->inf, b->calls[ret].nr,
						  (unsigned long *)
						  b->calls[ret].a, &rc, e);

			if (r)
				return r;
			b->calls[ret].ret = rc;
			if (rc < 0 && rc > -4096)
				break;
		}
	}
	if (ret < 0)
		return ret;
	b->done = ret;
	b->ran = true;
	local = (struct iovec){ b->out, b->data_used };
	remote = (struct iovec){ (void *)(b->scratch + CR_SCRATCH_DATA),
				 b->data_used };
	if (b->data_used &&
	    process_vm_readv(dt->pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)b->data_used)
		return cr_fail(e, errno ? errno : EIO,
			       "pid %d: cannot read the scratch area: %m",
			       dt->pid);
	return 0;
}

/* See dump.h. */
int cr_batch_run_more(struct cr_dtask *dt, struct cr_batch *more,
		      struct cr_err *e)
{
	return dump_run_batch(dt, more, more->exec, e);
}

/* Every row's seized hook, at the stage @b tells (dump.h). */
static int dump_seized_rows(struct cr_dump *d, struct cr_dtask *dt,
			    struct cr_batch *b, struct cr_err *e)
{
	int ret = 0;

	for (int i = 0; !ret && i < CR_RES_NR; i++) {
		if (!cr_res_table[i]->seized)
			continue;
		b->slot = &dt->slot[i];
		if (!b->ran && b->scratch) {
			b->slot->call = b->n;
			/* where its first cr_batch_data() goes: aligned */
			b->slot->data = (b->data_used + 7) & ~7UL;
		}
		ret = cr_res_table[i]->seized(d, dt, b, e);
	}
	/* A row saw a call of its own that did not run: say which failed. */
	if (ret && b->ran && e->err == ECANCELED && b->done >= 0 &&
	    b->done < b->n) {
		const struct cr_infect_call *c = &b->calls[b->done];
		char msg[CR_ERR_MSG_LEN];

		snprintf(msg, sizeof(msg), "%s", e->msg);
		ret = cr_fail(e, (int)-c->ret, "%s: the batch stopped at call "
			      "%d (system call %ld, %#lx): %s", msg, b->done,
			      c->nr, c->a[0], strerror((int)-c->ret));
	}
	return ret;
}

/*
 * The scratch area for the batch.  Executable too, so that the calls run
 * from there in one batch; a task that refuses writable and executable
 * memory (PR_SET_MDWE, a seccomp filter, SELinux execmem) gets a plain
 * writable area and its calls one by one.  Shared: a private writable area
 * counts against RLIMIT_DATA, which a process may have lowered below what
 * it uses.
 */
static int dump_scratch(struct cr_dtask *dt, struct cr_batch *b, bool *exec,
			struct cr_err *e)
{
	struct cr_err ignore;
	long at = 0;
	int ret;

	ret = dump_inject(dt, __NR_mmap, "mmap",
			  (unsigned long[6]){ 0, CR_SCRATCH_SIZE,
					      PROT_READ | PROT_WRITE | PROT_EXEC,
					      MAP_SHARED | MAP_ANONYMOUS, -1UL, 0 },
			  &at, &ignore);
	*exec = !ret;
	if (ret)
		ret = dump_inject(dt, __NR_mmap, "mmap",
				  (unsigned long[6]){ 0, CR_SCRATCH_SIZE,
						      PROT_READ | PROT_WRITE,
						      MAP_SHARED | MAP_ANONYMOUS,
						      -1UL, 0 }, &at, e);
	if (ret == -ENOMEM)
		return cr_fail(e, ENOMEM,
			       "pid %d: no room for the dump's %d-byte scratch area in the process: Cannot allocate memory (an RLIMIT_AS below what it uses leaves none)",
			       dt->pid, CR_SCRATCH_SIZE);
	b->scratch = at;
	return ret;
}

/*
 * The kernel rewrites the rseq area (cpu_id, ...) whenever the task goes
 * back to user space, as it does for every injected call: keep its bytes
 * as they were seized, so that the dump leaves no trace in memory.
 */
static int dump_rseq_save(struct cr_dtask *dt, struct cr_err *e)
{
	const struct crfs_thread *th = &dt->t->threads[0].t;
	struct iovec local, remote;

	if (!th->rseq_addr)
		return 0;
	dt->rseq_len = th->rseq_len < sizeof(dt->rseq_saved) ?
		       th->rseq_len : sizeof(dt->rseq_saved);
	local = (struct iovec){ dt->rseq_saved, dt->rseq_len };
	remote = (struct iovec){ (void *)(uintptr_t)th->rseq_addr,
				 dt->rseq_len };
	if (process_vm_readv(dt->pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)dt->rseq_len)
		return cr_fail(e, errno ? errno : EIO,
			       "pid %d: cannot read the rseq area at %llx: %m",
			       dt->pid, (unsigned long long)th->rseq_addr);
	dt->rseq_addr = th->rseq_addr;
	return 0;
}

/* Put back the rseq bytes saved by dump_rseq_save(). */
static int dump_rseq_restore(struct cr_dtask *dt, struct cr_err *e)
{
	struct iovec local = { dt->rseq_saved, dt->rseq_len };
	struct iovec remote = { (void *)(uintptr_t)dt->rseq_addr,
				dt->rseq_len };

	if (!dt->rseq_addr)
		return 0;
	if (process_vm_writev(dt->pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)dt->rseq_len)
		return cr_fail(e, errno ? errno : EIO,
			       "pid %d: cannot restore the rseq area: %m",
			       dt->pid);
	return 0;
}

/* The [vdso] of the task, where a syscall instruction is found. */
static unsigned long dump_gadget(const struct cr_dtask *dt)
{
	const struct cr_mm *mm = dt->t->mm;

	for (uint32_t i = 0; mm && i < mm->nr_vmas; i++)
		if (mm->vmas[i].v.kind == CRFS_VMA_VDSO)
			return cr_arch_find_syscall(dt->pid,
						    mm->vmas[i].v.start,
						    mm->vmas[i].v.end);
	return 0;
}

/* The batch: scratch area, the rows' calls, their results, no trace. */
static int dump_batch(struct cr_dump *d, struct cr_dtask *dt,
		      struct cr_batch *b, struct cr_err *e)
{
	unsigned long gadget = dump_gadget(dt);
	struct cr_err ignore;
	bool exec;
	long rc;
	int ret;

	if (!gadget)
		return cr_fail(e, ENOEXEC,
			       "pid %d: no [vdso] to inject through", dt->pid);
	ret = cr_infect_init(&dt->inf, dt->pid, gadget, e);
	if (ret)
		return ret;
	dt->infected = 1;
	ret = dump_scratch(dt, b, &exec, e);
	if (ret)
		return ret;
	b->exec = exec;
	ret = dump_seized_rows(d, dt, b, e);		/* the calls */
	if (!ret)
		ret = dump_run_batch(dt, b, exec, e);
	if (!ret)
		ret = dump_seized_rows(d, dt, b, e);	/* their results */
	if (!ret && dt->nr_tids > 1)			/* the other threads */
		ret = cr_dump_threads_ask(dt, b->scratch, exec, e);
	/* Leave no trace, even after a failure. */
	if (dump_inject(dt, __NR_munmap, "munmap",
			(unsigned long[6]){ b->scratch, CR_SCRATCH_SIZE }, &rc,
			ret ? &ignore : e) && !ret)
		ret = -e->err;
	return ret;
}

/*
 * Phase 4: with the task seized and stopped, its signals blocked: what
 * ptrace tells, then the batch; registers and mask back as they were.
 */
static int dump_in_context(struct cr_dump *d, struct cr_dtask *dt,
			   struct cr_err *e)
{
	struct cr_batch *b;
	uint64_t all = ~0ULL;
	int ret;

	if (ptrace(PTRACE_GETSIGMASK, dt->pid, (void *)sizeof(dt->sigmask),
		   &dt->sigmask))
		return cr_fail(e, errno, "pid %d: cannot read signal mask: %m",
			       dt->pid);
	dt->sigmask_saved = 1;
	if (dt->sigmask != dt->st.sigblk) {	/* in a call with its own */
		struct crfs_x86_regs regs;

		ret = cr_arch_get_regs(dt->pid, &regs, NULL, e);
		if (!ret)
			ret = cr_dump_mask_check(dt->pid, &dt->t->threads[0],
						 &regs, dt->sigmask, e);
		if (ret)
			return ret;
	}
	if (ptrace(PTRACE_SETSIGMASK, dt->pid, (void *)sizeof(all), &all))
		return cr_fail(e, errno, "pid %d: cannot block signals: %m",
			       dt->pid);
	b = calloc(1, sizeof(*b));
	if (!b)
		return cr_fail(e, ENOMEM, "out of memory");
	ret = dump_seized_rows(d, dt, b, e);		/* stopped */
	if (!ret)
		ret = dump_rseq_save(dt, e);
	if (!ret) {
		ret = dump_batch(d, dt, b, e);
		if (ret)
			dump_rseq_restore(dt, NULL);
		else
			ret = dump_rseq_restore(dt, e);
	}
	free(b);
	if (!ret)
		ret = cr_infect_fini(&dt->inf, e);
	if (ret)
		return ret;
	if (ptrace(PTRACE_SETSIGMASK, dt->pid, (void *)sizeof(dt->sigmask),
		   &dt->sigmask))
		return cr_fail(e, errno,
			       "pid %d: cannot restore signal mask: %m",
			       dt->pid);
	return 0;
}

/* Wait until the task has left its ptrace stop and the cgroup is frozen. */
static void dump_wait_refrozen(struct cr_dump *d, pid_t pid)
{
	long deadline = dump_now_us() + FREEZE_TIMEOUT_MS * 1000L, nap = 20;
	struct cr_proc_stat st;
	struct cr_err ignore;

	/* "frozen 1" holds during a ptrace stop too: see the task leave it. */
	while (!cr_proc_stat(pid, &st, &ignore) && st.state == 't' &&
	       dump_now_us() < deadline)
		dump_nap(&nap);
	cr_cgroup_wait_frozen(d->cgdir, 1, FREEZE_TIMEOUT_MS);
}

/* Phase 6: let the tasks go as they were, frozen, registers and mask back. */
static void dump_release(struct cr_dump *d)
{
	struct cr_err ignore;
	bool any = false;

	for (uint32_t i = 0; i < d->nr_tasks; i++)
		any |= d->tasks[i].seized;
	if (!any)
		return;
	/* Freeze first: the tasks must not run a single instruction. */
	cr_cgroup_freeze(d->cgdir, true);
	for (uint32_t i = 0; i < d->nr_tasks; i++) {
		struct cr_dtask *dt = &d->tasks[i];

		if (!dt->seized)
			continue;
		if (dt->infected)
			cr_infect_fini(&dt->inf, &ignore);
		if (dt->sigmask_saved)
			ptrace(PTRACE_SETSIGMASK, dt->pid,
			       (void *)sizeof(dt->sigmask), &dt->sigmask);
		cr_dump_release_threads(dt);
		ptrace(PTRACE_DETACH, dt->pid, NULL, NULL);
		dt->seized = 0;
		dump_wait_refrozen(d, dt->pid);
	}
}

/* Free the handle and what it collected. */
static void dump_free(struct cr_dump *d)
{
	for (uint32_t i = 0; i < d->nr_tasks; i++) {
		free(d->tasks[i].st.groups);
		free(d->tasks[i].tids);
	}
	for (uint32_t i = 0; i < d->nr_tasks; i++)
		free(d->tasks[i].lk_seen);
	cr_lk_snap_free(d);
	cr_dump_ipc_free(d);
	cr_dump_tree_free(d);
	cr_model_free(&d->m);
	free(d->locked);
	free(d->tasks);
	free(d);
}

/* The model collected: ids indexed, pointers, what SHMEM mappings reach. */
static int dump_resolve(struct cr_dump *d, struct cr_err *e)
{
	uint32_t dup;

	for (int k = 0; k < CR_K_NR; k++)
		if (cr_model_index(&d->m, k, &dup))
			return cr_fail(e, ENOMEM, "out of memory");
	cr_model_resolve(&d->m);
	if (cr_model_shmem_windows(&d->m))
		return cr_fail(e, ENOMEM, "out of memory");
	return 0;
}

/*
 * What was collected, checked by the rules of a restore (img-check.c):
 * what the kernel let a process do but a restore refuses (an alternate
 * stack beyond user space, SIGSTOP pending, dumpable 2, ...) is refused
 * now, with its reason, not at the restore.
 */
static int dump_check_model(struct cr_dump *d, struct cr_err *e)
{
	struct crfs_image_hdr h;

	cr_img_fill_hdr(&h);
	h.features |= CRFS_FEAT_XSTATE | (d->pidns ? CRFS_FEAT_PIDNS : 0);
	h.nr_tasks = d->nr_tasks;
	return cr_img_check_model(&h, &d->m, e);
}

/* Phases 3 and 4 for every task, then the cgroup frozen again. */
static int dump_seized(struct cr_dump *d, struct cr_err *e)
{
	uint32_t i;
	int ret = 0;

	for (i = 0; !ret && i < d->nr_tasks; i++)
		if (!d->tasks[i].zombie)
			ret = dump_seize(&d->tasks[i], e);
	/* A ptrace-stopped task stays put; injected calls need it thawed. */
	if (!ret && (ret = cr_cgroup_freeze(d->cgdir, false)))
		return cr_fail(e, -ret, "%s: cannot thaw for the dump: %s",
			       d->cgdir, strerror(-ret));
	for (i = 0; !ret && i < d->nr_tasks; i++)
		if (!d->tasks[i].zombie)
			ret = dump_in_context(d, &d->tasks[i], e);
	if (ret)
		return ret;
	/*
	 * Nothing more runs in the tasks: freeze the cgroup again now, so
	 * that if the tracer dies while the image streams, they go back to
	 * the freezer, not to work.
	 */
	ret = cr_cgroup_freeze(d->cgdir, true);
	if (ret)
		return cr_fail(e, -ret, "%s: cannot freeze again: %s",
			       d->cgdir, strerror(-ret));
	return 0;
}

/* Phases 1 to 4; see cr.h. */
struct cr_dump *cr_dump_begin(const char *cgdir, const struct cr_ring *ring,
			      struct cr_err *e)
{
	return cr_dump_begin_opts(cgdir, ring, NULL, e);
}

struct cr_dump *cr_dump_begin_opts(const char *cgdir,
				   const struct cr_ring *ring,
				   const struct cr_opts *opts,
				   struct cr_err *e)
{
	struct cr_dump *d;
	uint32_t i;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d) {
		cr_fail(e, ENOMEM, "out of memory");
		return NULL;
	}
	d->shell_job = opts && opts->shell_job;
	d->peers = opts ? opts->peers : CR_PEERS_REFUSE;
	if (opts)
		snprintf(d->lock_held, sizeof(d->lock_held), "%s", opts->lock);
	if (strlen(cgdir) >= sizeof(d->cgdir)) {
		cr_fail(e, ENAMETOOLONG, "%s: path too long", cgdir);
		goto out_free;
	}
	strcpy(d->cgdir, cgdir);
	d->tracer = gettid();
	d->ring = ring;

	/* Everything /proc can tell, then every refusal: nothing seized. */
	ret = cr_dump_tree(d, e);
	/* peers keep: the lock before anything reads a connection. */
	if (!ret)
		ret = cr_netlock_take(d, e);
	if (!ret)
		ret = cr_dump_share(d, e);
	if (!ret)
		cr_lk_snap_start(d);
	for (i = 0; !ret && i < d->nr_tasks; i++)
		ret = dump_rows(d, &d->tasks[i], false, e);
	if (!ret)
		ret = dump_resolve(d, e);
	for (i = 0; !ret && i < d->nr_tasks; i++)
		ret = dump_rows(d, &d->tasks[i], true, e);
	if (!ret)
		ret = cr_dump_tree_check(d, e);
	if (ret)
		goto out_free;

	ret = dump_seized(d, e);
	if (!ret)
		ret = cr_lk_cross_check(d, e);
	/* Its pids as the container sees them, once nothing asks by them. */
	if (!ret)
		ret = cr_dump_tree_views(d, e);
	/* And by the rules a restore reads it with: the same functions. */
	if (!ret)
		ret = dump_check_model(d, e);
	/* Terminals' queues, read and put back once nothing else refuses. */
	if (!ret)
		ret = cr_tty_tree_queues(d, e);
	if (!ret)
		ret = dump_check_model(d, e);
	if (ret)
		goto out_release;
	return d;

out_release:
	dump_release(d);
out_free:
	cr_netlock_fail(d);
	dump_free(d);
	return NULL;
}

/* Phase 5: header, objects and processes, page data, trailer. */
int cr_dump_stream(struct cr_dump *d, struct cr_ring *ring, struct cr_err *e)
{
	struct crfs_image_hdr h;
	struct cr_img img;
	int ret;

	if (gettid() != d->tracer)
		return cr_fail(e, EPERM,
			       "pid %d: the dump must be streamed by thread %d, the tracer",
			       d->tasks[0].pid, d->tracer);
	cr_img_init_ring(&img, ring);
	memset(&h, 0, sizeof(h));
	cr_img_fill_hdr(&h);
	h.features |= CRFS_FEAT_XSTATE | (d->pidns ? CRFS_FEAT_PIDNS : 0);
	h.nr_tasks = d->nr_tasks;
	ret = cr_img_write_hdr(&img, &h, e);
	if (!ret)
		ret = cr_model_write(&img, &d->m, e);
	if (!ret)
		ret = cr_dump_write_file_data(d, &img, e);
	if (!ret)
		ret = cr_dump_write_ipc_data(d, &img, e);
	if (!ret)
		ret = cr_dump_write_pages(d, &img, e);
	if (!ret)
		ret = cr_img_write_end(&img, e);
	cr_img_fini(&img);
	return ret;
}

/* Phase 6, then free @d. */
void cr_dump_end(struct cr_dump *d)
{
	if (!d)
		return;
	assert(gettid() == d->tracer);
	dump_release(d);
	dump_free(d);
}
