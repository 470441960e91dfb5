// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The threads of a restored process but its leader (restore.c has it).
 *
 * A thread that is the parent of processes of the image is there already:
 * its process made it to make them (restore-tree.c), and it waits in
 * pause() with every signal blocked; it is seized and interrupted there.
 * The leader creates the others by injected clone3() calls (CLONE_VM, _FS,
 * _FILES, _SIGHAND, _THREAD, _SYSVSEM, set_tid the image's tid) once its
 * memory is whole and before its late steps take its privileges away;
 * traced with PTRACE_O_TRACECLONE, each new thread stops before its first
 * instruction and stays stopped.  Then, after the leader's late steps,
 * each thread gets its own state by a batch of calls of its own: rseq
 * area, robust list, alternate stack, personality, clear_child_tid, name,
 * timer slack; its scheduling and I/O priority from the restorer; and
 * the credentials, capabilities and securebits of the rows "caps",
 * "creds" and "secure" (each thread has its own) unless it has the
 * image's already.  Last,
 * its registers, XSAVE area, mask and CPU affinity, and it goes with the
 * leader into the freezer.
 *
 * A thread seized inside an interrupted system call comes back with the
 * registers ptrace showed (orig_rax the call, rax -ERESTART*): on its way
 * out of the freezer the kernel restarts the call or returns EINTR as it
 * would after a signal (cr_arch_get_regs()).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/sched.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "restore.h"
#include "proc.h"

/* How long a tid held by a zombie or a dying thread is waited for. */
#define CR_TID_WAIT_MS		5000

#define CR_THREAD_FLAGS		(CLONE_VM | CLONE_FS | CLONE_FILES | \
				 CLONE_SIGHAND | CLONE_THREAD | \
				 CLONE_SYSVSEM)

#define CR_IOPRIO_WHO_PROCESS	1
#define CR_PR_FUTEX_HASH	78
#define CR_FUTEX_HASH_GET_SLOTS	2

/* What the leader's clone3() reads: its arguments, then the tid. */
struct thr_clone {
	struct clone_args	args;
	uint64_t		tid;
};

/* Milliseconds on the monotonic clock. */
static long thr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Wait for the next stop of @tid; its status into *@status. */
static int thr_wait(pid_t pid, pid_t tid, int *status, struct cr_err *e)
{
	while (waitpid(tid, status, __WALL) < 0)
		if (errno != EINTR)
			return cr_fail(e, errno, "pid %d: thread %d: wait: %m",
				       pid, tid);
	if (WIFEXITED(*status) || WIFSIGNALED(*status))
		return cr_fail(e, ESRCH, "pid %d: thread %d died while "
			       "creating its threads", pid, tid);
	return 0;
}

/* Resume @tid to its next syscall stop, or event stop; status in *@st. */
static int thr_step(pid_t pid, pid_t tid, int *st, struct cr_err *e)
{
	if (ptrace(PTRACE_SYSCALL, tid, NULL, NULL))
		return cr_fail(e, errno, "pid %d: cannot resume: %m", pid);
	return thr_wait(pid, tid, st, e);
}

/*
 * The leader runs clone3() with the arguments at @at, for the thread
 * @want (its tid in the leader's pid namespace): the new thread's tid as
 * the tracer sees it into *@tid (stopped at its PTRACE_EVENT_STOP), or
 * -errno the call's failure into *@err.
 */
static int thr_clone(struct cr_rst *r, unsigned long at, pid_t want,
		     pid_t *tid, long *err, struct cr_err *e)
{
	struct user_regs_struct regs = r->inf.saved;
	unsigned long msg = 0;
	int st, rc;

	regs.rax = SYS_clone3;
	regs.orig_rax = -1;
	regs.rdi = at;
	regs.rsi = sizeof(struct clone_args);
	regs.rip = r->inf.gadget;
	*err = 0;
	if (ptrace(PTRACE_SETREGS, r->pid, NULL, &regs))
		return cr_fail(e, errno, "pid %d: cannot set registers: %m",
			       r->pid);
	rc = thr_step(r->pid, r->pid, &st, e);		/* entry */
	if (!rc && !(WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80)))
		rc = cr_fail(e, EIO, "pid %d: unexpected stop (status %#x) "
			     "at clone3()", r->pid, st);
	if (!rc)
		rc = thr_step(r->pid, r->pid, &st, e);	/* event or exit */
	if (rc)
		return rc;
	if (st >> 8 == (SIGTRAP | PTRACE_EVENT_CLONE << 8)) {
		if (ptrace(PTRACE_GETEVENTMSG, r->pid, NULL, &msg))
			return cr_fail(e, errno, "pid %d: cannot read the new "
				       "thread's tid: %m", r->pid);
		*tid = msg;
		/* Known to cr_rst_threads_undo() from now on: it reaps it. */
		r->tinf[r->nr_tinf++].pid = msg;
		rc = thr_step(r->pid, r->pid, &st, e);	/* exit */
		if (rc)
			return rc;
	}
	if (!(WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80)))
		return cr_fail(e, EIO, "pid %d: unexpected stop (status %#x) "
			       "after clone3()", r->pid, st);
	if (ptrace(PTRACE_GETREGS, r->pid, NULL, &regs))
		return cr_fail(e, errno, "pid %d: cannot read registers: %m",
			       r->pid);
	if ((long)regs.rax < 0) {
		*err = regs.rax;
		return 0;
	}
	if (!msg || (pid_t)regs.rax != want)
		return cr_fail(e, EIO, "pid %d: clone3() made thread %lld "
			       "(%lu here), not %d", r->pid,
			       (long long)regs.rax, msg, want);
	rc = thr_wait(r->pid, *tid, &st, e);
	if (!rc && !(WIFSTOPPED(st) && st >> 16 == PTRACE_EVENT_STOP))
		rc = cr_fail(e, EIO, "pid %d: thread %d: unexpected first "
			     "stop (status %#x)", r->pid, *tid, st);
	return rc;
}

/* Thread @i of the image, made by the leader with its tid. */
static int thr_create(struct cr_rst *r, uint32_t i, struct cr_err *e)
{
	pid_t want = r->task->threads[i].t.tid, tid = 0;
	long deadline = thr_now_ms() + CR_TID_WAIT_MS, err;
	struct timespec nap = { 0, 1000000 };
	struct thr_clone tc = {
		.args = { .flags = CR_THREAD_FLAGS, .set_tid_size = 1 },
		.tid = want,
	};
	char comm[64] = "?";
	unsigned long at;
	int rc;

	rc = cr_rst_poke(r, 0, &tc, sizeof(tc), &at, e);
	if (rc)
		return rc;
	tc.args.set_tid = at + offsetof(struct thr_clone, tid);
	rc = cr_rst_poke(r, 0, &tc, sizeof(tc), &at, e);
	for (;;) {
		if (!rc)
			rc = thr_clone(r, at, want, &tid, &err, e);
		if (rc)
			return rc;
		if (!err)
			break;
		if (err != -EEXIST)
			return cr_fail(e, (int)-err, "pid %d: cannot create "
				       "thread %d: %s", r->pid, want,
				       strerror((int)-err));
		if (!cr_pid_going(want, comm, sizeof(comm)))
			return cr_fail(e, EBUSY, "pid %d: thread %d: the tid "
				       "is in use by another process (%s)",
				       r->pid, want, comm);
		rc = cr_rst_aborted(r, e);
		if (rc)
			return rc;
		if (thr_now_ms() >= deadline)
			return cr_fail(e, EBUSY, "pid %d: thread %d: the tid "
				       "is still held by a zombie or a dying "
				       "process (%s) after %d ms", r->pid,
				       want, comm, CR_TID_WAIT_MS);
		nanosleep(&nap, NULL);
	}
	return cr_infect_init(&r->tinf[r->nr_tinf - 1], tid, r->inf.gadget,
			      e);
}

/* The tid, as the restorer sees it, of thread @want of @r's process. */
static pid_t thr_find(const struct cr_rst *r, pid_t want)
{
	char path[64];
	struct dirent *de;
	pid_t found = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", r->pid);
	dir = opendir(path);
	while (dir && !found && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		/* Its tid in the container's namespace: the last NSpid. */
		if (cr_proc_task_vpid(r->pid, atol(de->d_name)) == want)
			found = atoi(de->d_name);
	}
	if (dir)
		closedir(dir);
	return found;
}

int cr_rst_threads_parked(struct cr_rst *r, struct cr_err *e)
{
	struct timespec nap = { 0, 1000000 };

	for (uint32_t i = 1; i < r->task->nr_threads; i++) {
		pid_t want = r->task->threads[i].t.tid, tid;
		long deadline = thr_now_ms() + CR_TID_WAIT_MS;
		char path[96], *buf = NULL;

		if (!cr_rst_tree_maker(r, want))
			continue;
		tid = thr_find(r, want);
		if (tid <= 0)
			return cr_fail(e, ESRCH, "pid %d: thread %d, made to "
				       "make its children, is not there",
				       r->pid, want);
		/* "34 ...": blocked in pause(), not "running" its last lines. */
		snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall",
			 r->pid, tid);
		for (;;) {
			free(buf);
			buf = cr_read_file(path, NULL);
			if (buf && strtol(buf, NULL, 10) == SYS_pause &&
			    buf[0] != 'r')
				break;
			if (thr_now_ms() >= deadline) {
				free(buf);
				return cr_fail(e, ETIMEDOUT, "pid %d: thread "
					       "%d, made to make its children, "
					       "is not waiting after %d ms",
					       r->pid, want, CR_TID_WAIT_MS);
			}
			nanosleep(&nap, NULL);
		}
		free(buf);
	}
	return 0;
}

/*
 * Thread @i of the image, made by its process to make its children, which
 * waits in pause(): seized and stopped there.
 */
static int thr_adopt(struct cr_rst *r, uint32_t i, struct cr_err *e)
{
	pid_t want = r->task->threads[i].t.tid, tid = thr_find(r, want);
	int st, rc;

	if (tid <= 0)
		return cr_fail(e, ESRCH, "pid %d: thread %d, made to make its "
			       "children, is not there", r->pid, want);
	if (ptrace(PTRACE_SEIZE, tid, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)))
		return cr_fail(e, errno, "pid %d: thread %d: cannot seize: %m",
			       r->pid, tid);
	/* Known to cr_rst_threads_undo() from now on: it reaps it. */
	r->tinf[r->nr_tinf++].pid = tid;
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL))
		return cr_fail(e, errno, "pid %d: thread %d: cannot stop: %m",
			       r->pid, tid);
	rc = thr_wait(r->pid, tid, &st, e);
	if (!rc && !(WIFSTOPPED(st) && st >> 16 == PTRACE_EVENT_STOP))
		rc = cr_fail(e, EIO, "pid %d: thread %d: unexpected stop "
			     "(status %#x)", r->pid, tid, st);
	if (!rc)
		rc = cr_infect_init(&r->tinf[r->nr_tinf - 1], tid,
				    r->inf.gadget, e);
	return rc;
}

/* Queue the signals pending on thread @th, from the leader. */
static int thr_queue(struct cr_rst *r, const struct cr_thread *th,
		     struct cr_err *e)
{
	char what[80];

	for (uint32_t i = 0; i < th->pending.nr; i++) {
		const struct crfs_sigpending *p = &th->pending.sig[i];
		unsigned long addr;
		int rc;

		if (cr_timer_requeues(r->task, p))
			continue;	/* its timer queues it (res-timers.c) */
		rc = cr_rst_poke(r, 0, p->siginfo, sizeof(p->siginfo), &addr,
				 e);

		snprintf(what, sizeof(what), "cannot queue signal %u to "
			 "thread %u", p->signo, th->t.tid);
		if (!rc)
			/* ids as the leader sees them, in its namespace */
			rc = cr_rst_call(r, SYS_rt_tgsigqueueinfo,
					 CR_ARGS(r->task->t.pid, th->t.tid,
						 p->signo, addr), what, e);
		if (rc)
			return rc;
	}
	return 0;
}

uint32_t cr_futex_slots_default(uint32_t nr_threads)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t n = nr_threads - 1, slots = 16;

	if (cpus > 0 && n > (uint32_t)cpus)
		n = cpus;
	while (slots < 4 * n)
		slots *= 2;
	return slots;
}

/* The leader's private futex hash, as the kernel sized it: the image's. */
static int thr_futex_hash(struct cr_rst *r, struct cr_err *e)
{
	uint32_t want = cr_futex_slots_default(r->task->nr_threads);
	long got;
	int rc = cr_rst_syscall(r, SYS_prctl,
				CR_ARGS(CR_PR_FUTEX_HASH,
					CR_FUTEX_HASH_GET_SLOTS), &got, e);

	if (rc || got == -EINVAL)	/* a kernel without it */
		return rc;
	if (got != want)
		return cr_fail(e, EIO, "pid %d: private futex hash of %ld "
			       "slots after its threads were made, not %u",
			       r->pid, got, want);
	return 0;
}

/**
 * cr_rst_threads_create() - the leader of @r, stopped, with its memory
 * whole and its privileges still the restorer's, makes every other
 * thread of the image with its tid, each left stopped, and queues their
 * pending signals
 * Return: 0 or -errno with @e set naming the pid and thread.
 */
int cr_rst_threads_create(struct cr_rst *r, struct cr_err *e)
{
	uint32_t n = r->task->nr_threads;
	int rc = 0;

	if (n < 2)
		return 0;
	r->tinf = calloc(n - 1, sizeof(*r->tinf));
	if (!r->tinf)
		return cr_fail(e, ENOMEM, "out of memory");
	if (ptrace(PTRACE_SETOPTIONS, r->pid, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL |
				  PTRACE_O_TRACECLONE)))
		return cr_fail(e, errno, "pid %d: cannot trace its clones: %m",
			       r->pid);
	for (uint32_t i = 1; !rc && i < n; i++)
		rc = cr_rst_tree_maker(r, r->task->threads[i].t.tid) ?
		     thr_adopt(r, i, e) : thr_create(r, i, e);
	if (ptrace(PTRACE_SETOPTIONS, r->pid, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) &&
	    !rc)
		rc = cr_fail(e, errno, "pid %d: cannot set ptrace options: %m",
			     r->pid);
	if (!rc)
		rc = thr_futex_hash(r, e);
	for (uint32_t i = 1; !rc && i < n; i++)
		rc = thr_queue(r, &r->task->threads[i], e);
	return rc;
}

/* What a thread's batch reads and writes, in the scratch data area. */
struct thr_data {
	stack_t		ss;		/* its alternate stack */
	char		name[CRFS_COMM_LEN];
	uint64_t	tid_addr;	/* PR_GET_TID_ADDRESS: read back */
};

/* The batch runner and its table, at the end of the scratch area. */
#define THR_CODE(r)	((r)->scratch + (r)->scratch_size - 4096)
#define THR_TABLE(r)	(THR_CODE(r) + 256)
#define THR_CALLS	10

/*
 * The calls of @r's thread's own state: alternate stack, name, timer
 * slack, rseq area, robust list, personality, clear_child_tid (read
 * back), and its securebits read for thr_creds_same(); into @c, their
 * names into @what.
 * Return: how many.
 */
static int thr_calls(const struct cr_rst *r, unsigned long d,
		     struct cr_infect_call *c, const char **what)
{
	const struct crfs_thread *t = &r->thread->t;
	int n = 0;

#define THR_ADD(w, nr_, ...) do {					\
		c[n] = (struct cr_infect_call){ .nr = (nr_),		\
			.a = { __VA_ARGS__ } };				\
		what[n++] = (w);					\
	} while (0)

	THR_ADD("cannot set the alternate signal stack", SYS_sigaltstack,
		d + offsetof(struct thr_data, ss));
	THR_ADD("cannot set the thread's name", SYS_prctl, PR_SET_NAME,
		d + offsetof(struct thr_data, name));
	if (r->task->t.timer_slack_ns)
		THR_ADD("cannot set the timer slack", SYS_prctl,
			PR_SET_TIMERSLACK, r->task->t.timer_slack_ns);
	if (t->rseq_addr)
		THR_ADD("cannot register the rseq area", SYS_rseq,
			t->rseq_addr, t->rseq_len, 0, t->rseq_sig);
	if (t->robust_list)
		THR_ADD("cannot set the robust futex list", SYS_set_robust_list,
			t->robust_list, t->robust_list_len);
	THR_ADD("cannot set the personality", SYS_personality,
		r->task->t.personality);
	THR_ADD("cannot set the clear_child_tid address", SYS_set_tid_address,
		t->clear_child_tid);
	THR_ADD("cannot read the clear_child_tid address back", SYS_prctl,
		PR_GET_TID_ADDRESS, d + offsetof(struct thr_data, tid_addr));
	THR_ADD("cannot read its securebits", SYS_prctl, PR_GET_SECUREBITS);
#undef THR_ADD
	return n;
}

/*
 * @r's thread's own state by its batch (one at a time if the batch
 * cannot run), then what the restorer sets: I/O priority, scheduling.
 * Its securebits, as the batch read them, into *@bits.
 */
static int thr_own(struct cr_rst *r, long *bits, struct cr_err *e)
{
	const struct crfs_thread *t = &r->thread->t;
	struct cr_infect_call c[THR_CALLS];
	const char *what[THR_CALLS];
	struct thr_data d = { .ss.ss_flags = SS_DISABLE };
	struct iovec local = { &d, sizeof(d) }, remote;
	unsigned long at;
	int n, done, rc;

	if (!(t->altstack_flags & SS_DISABLE))
		d.ss = (stack_t){ .ss_sp = (void *)(uintptr_t)t->altstack_sp,
				  .ss_size = t->altstack_size,
				  .ss_flags = t->altstack_flags & ~SS_ONSTACK };
	memcpy(d.name, t->comm, sizeof(d.name));
	d.name[sizeof(d.name) - 1] = '\0';
	d.tid_addr = ~t->clear_child_tid;
	rc = cr_rst_poke(r, 0, &d, sizeof(d), &at, e);
	if (rc)
		return rc;
	n = thr_calls(r, at, c, what);
	done = cr_rst_batch(r, THR_CODE(r), THR_TABLE(r), c, n, e);
	if (done == -EAGAIN)
		for (done = 0; done < n; done++) {
			rc = cr_rst_syscall(r, c[done].nr,
					    (unsigned long *)c[done].a,
					    &c[done].ret, e);
			if (rc)
				return rc;
			if (c[done].ret < 0 && c[done].ret > -4096)
				break;
		}
	if (done < 0)
		return done;
	if (done < n)
		return cr_fail(e, (int)-c[done].ret, "pid %d: %s: %s", r->pid,
			       what[done], strerror((int)-c[done].ret));
	*bits = c[n - 1].ret;
	remote = (struct iovec){ (void *)at, sizeof(d) };
	if (process_vm_readv(r->pid, &local, 1, &remote, 1, 0) != sizeof(d))
		return cr_fail(e, errno, "pid %d: cannot read at %#lx: %m",
			       r->pid, at);
	if (d.tid_addr != t->clear_child_tid)
		return cr_fail(e, EIO, "pid %d: read back clear_child_tid "
			       "%#llx: the image has %#llx", r->pid,
			       (unsigned long long)d.tid_addr,
			       (unsigned long long)t->clear_child_tid);
	if (syscall(SYS_ioprio_set, CR_IOPRIO_WHO_PROCESS, r->pid, t->ioprio))
		return cr_fail(e, errno, "pid %d: cannot set its I/O priority "
			       "to %#x: %m", r->pid, t->ioprio);
	return cr_rst_sched(r, e);
}

/*
 * Has @r's thread the image's credentials already: ids, groups, the five
 * capability sets, no_new_privs (/proc/TID/status) and securebits?  Then
 * the rows that set them would change nothing (a process restored as the
 * restorer's own root): 0 and *@same.  No seccomp: refused with threads.
 */
static int thr_creds_same(struct cr_rst *r, long bits, bool *same,
			  struct cr_err *e)
{
	const struct crfs_creds *c = &r->task->creds;
	const uint32_t uid[4] = { c->uid, c->euid, c->suid, c->fsuid };
	const uint32_t gid[4] = { c->gid, c->egid, c->sgid, c->fsgid };
	const uint64_t cap[5] = { c->cap_inh, c->cap_prm, c->cap_eff,
				  c->cap_bnd, c->cap_amb };
	bool nnp = r->task->t.flags & CRFS_TASK_F_NO_NEW_PRIVS;
	struct cr_proc_status st = { 0 };
	int rc;

	*same = false;
	rc = cr_proc_status(r->pid, &st, e);
	if (rc)
		return rc;
	*same = !memcmp(st.uid, uid, sizeof(uid)) &&
		!memcmp(st.gid, gid, sizeof(gid)) &&
		!memcmp(st.cap, cap, sizeof(cap)) &&
		!st.no_new_privs == !nnp && !st.seccomp &&
		st.ngroups == c->ngroups &&
		(!c->ngroups || !memcmp(st.groups, r->task->groups,
					c->ngroups * sizeof(uint32_t)));
	free(st.groups);
	*same = *same && bits == (long)c->securebits;
	return 0;
}

/*
 * The late steps of one thread: its own state, then the credentials'
 * rows unless it has the image's already.
 */
static int thr_late(struct cr_rst *r, struct cr_err *e)
{
	static const struct cr_res_ops *const creds[] = {
		&cr_res_caps, &cr_res_creds, &cr_res_secure,
	};
	bool same = false;
	long bits = 0;
	int rc = thr_own(r, &bits, e);

	if (!rc)
		rc = thr_creds_same(r, bits, &same, e);
	for (size_t i = 0; !rc && !same && i < sizeof(creds) / sizeof(creds[0]);
	     i++)
		rc = cr_rst_late_row(creds[i], r, e);
	return rc;
}

/* @r seen from thread @i: its tid, injection state and model. */
static struct cr_rst thr_view(const struct cr_rst *r, uint32_t i)
{
	struct cr_rst t = *r;

	t.pid = r->tinf[i - 1].pid;
	t.inf = r->tinf[i - 1];
	t.thread = &r->task->threads[i];
	return t;
}

/**
 * cr_rst_threads_late() - after the leader's late steps, each other
 * thread's own state, by calls of its own (see the top of this file)
 * Return: 0 or -errno with @e set.
 */
int cr_rst_threads_late(struct cr_rst *r, struct cr_err *e)
{
	struct iovec local = { (void *)cr_arch_batch_code,
			       cr_arch_batch_code_size };
	struct iovec remote = { (void *)THR_CODE(r), cr_arch_batch_code_size };

	_Static_assert(256 + THR_CALLS * sizeof(struct cr_infect_call) +
		       128 <= 4096, "the batch fits the scratch area's end");
	if (!r->nr_tinf)
		return 0;
	if (cr_arch_batch_code_size > 256 ||
	    process_vm_writev(r->pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)cr_arch_batch_code_size)
		return cr_fail(e, errno ? errno : E2BIG, "pid %d: cannot write "
			       "the batch runner: %m", r->pid);
	for (uint32_t i = 1; i <= r->nr_tinf; i++) {
		struct cr_rst t = thr_view(r, i);
		int rc = cr_rst_aborted(r, e);

		if (!rc)
			rc = thr_late(&t, e);
		if (rc)
			return rc;
	}
	return 0;
}

/**
 * cr_rst_threads_let_go() - each other thread's registers, XSAVE area,
 * mask and CPU affinity; then the cgroup frozen and the threads detached
 * into the freezer, before the leader (cr_let_go()) follows
 * Return: 0 or -errno with @e set.
 */
int cr_rst_threads_let_go(struct cr_rst *r, struct cr_err *e)
{
	int rc;

	for (uint32_t i = 1; i <= r->nr_tinf; i++) {
		struct cr_rst t = thr_view(r, i);
		const struct cr_thread *th = t.thread;
		uint64_t mask = th->t.blocked;

		rc = cr_rst_affinity(&t, e);
		if (!rc)
			rc = cr_arch_set_regs(t.pid, &th->arch.regs,
					      th->arch.xstate,
					      th->arch.xstate_size, e);
		if (rc)
			return rc;
		if (ptrace(PTRACE_SETSIGMASK, t.pid, (void *)sizeof(mask),
			   &mask))
			return cr_fail(e, errno, "pid %d: thread %d: cannot set "
				       "the signal mask: %m", r->pid, t.pid);
	}
	if (!r->nr_tinf)
		return 0;
	/* Frozen before they run: from this stop into the freezer. */
	rc = cr_cgroup_freeze(r->cgdir, true);
	if (rc)
		return cr_fail(e, -rc, "%s: cannot freeze: %s", r->cgdir,
			       strerror(-rc));
	for (uint32_t i = 0; i < r->nr_tinf; i++)
		if (ptrace(PTRACE_DETACH, r->tinf[i].pid, NULL, NULL))
			return cr_fail(e, errno, "pid %d: thread %d: cannot "
				       "detach: %m", r->pid, r->tinf[i].pid);
	return 0;
}

/**
 * cr_rst_threads_undo() - after the process was killed: reap the ptrace
 * side of its threads, and free what cr_rst_threads_create() allocated
 */
void cr_rst_threads_undo(struct cr_rst *r)
{
	for (uint32_t i = 0; i < r->nr_tinf; i++)
		while (waitpid(r->tinf[i].pid, NULL, __WALL) < 0 &&
		       errno == EINTR)
			;
	free(r->tinf);
	r->tinf = NULL;
	r->nr_tinf = 0;
}
