// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The other threads of a process at a checkpoint (the leader is dump.c's):
 * seized and stopped with it, asked what only a thread can tell about
 * itself by a few injected calls of its own, let go as they were.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "dump.h"

/* How long a thread may take to stop, and to go back to the freezer. */
#define CR_THREAD_STOP_MS	5000

/* personality(0xffffffff) asks instead of setting. */
#define CR_PERS_QUERY		0xffffffffUL

/* Milliseconds on the monotonic clock. */
static long thr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Wait for the PTRACE_EVENT_STOP of thread @tid of @pid. */
static int thr_wait_stop(pid_t pid, pid_t tid, struct cr_err *e)
{
	long deadline = thr_now_ms() + CR_THREAD_STOP_MS;
	struct timespec nap = { 0, 20000 };
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(tid, &status, __WALL | WNOHANG);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cr_fail(e, errno, "pid %d: thread %d: wait: %m",
				       pid, tid);
		if (r == 0) {
			if (thr_now_ms() > deadline)
				return cr_fail(e, ETIMEDOUT, "pid %d: thread %d "
					       "did not stop for ptrace", pid,
					       tid);
			nanosleep(&nap, NULL);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return cr_fail(e, ESRCH, "pid %d: thread %d died "
				       "while seized", pid, tid);
		if (WIFSTOPPED(status) && status >> 16 == PTRACE_EVENT_STOP)
			return 0;
		return cr_fail(e, EIO, "pid %d: thread %d: unexpected stop "
			       "(status %#x)", pid, tid, status);
	}
}

/**
 * cr_dump_seize_threads() - seize and stop every thread of @dt but its
 * leader (seized already), all asked first, then waited for
 * Return: 0 or -errno with @e set; @dt->tids_seized counts those seized.
 */
int cr_dump_seize_threads(struct cr_dtask *dt, struct cr_err *e)
{
	for (int i = 1; i < dt->nr_tids; i++) {
		pid_t tid = dt->tids[i];

		if (ptrace(PTRACE_SEIZE, tid, NULL,
			   (void *)(long)PTRACE_O_TRACESYSGOOD))
			return cr_fail(e, errno, "pid %d: thread %d: cannot "
				       "seize: %m", dt->pid, tid);
		dt->tids_seized = i;
		if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL))
			return cr_fail(e, errno, "pid %d: thread %d: cannot "
				       "interrupt: %m", dt->pid, tid);
	}
	for (int i = 1; i < dt->nr_tids; i++) {
		int ret = thr_wait_stop(dt->pid, dt->tids[i], e);

		if (ret)
			return ret;
	}
	return 0;
}

/**
 * cr_dump_release_threads() - detach the threads cr_dump_seize_threads()
 * seized (the cgroup frozen already) and wait until each has left its
 * ptrace stop
 */
void cr_dump_release_threads(struct cr_dtask *dt)
{
	long deadline = thr_now_ms() + CR_THREAD_STOP_MS;
	struct timespec nap = { 0, 50000 };

	for (int i = 1; i <= dt->tids_seized; i++)
		ptrace(PTRACE_DETACH, dt->tids[i], NULL, NULL);
	for (int i = 1; i <= dt->tids_seized; i++) {
		struct cr_proc_stat st;
		struct cr_err ignore;

		while (!cr_proc_stat(dt->tids[i], &st, &ignore) &&
		       st.state == 't' && thr_now_ms() < deadline)
			nanosleep(&nap, NULL);
	}
	dt->tids_seized = 0;
}

/* The words the calls of cr_dump_thread_ask() write. */
struct thr_out {
	uint64_t	ss_sp;		/* stack_t */
	int32_t		ss_flags;
	int32_t		__pad;
	uint64_t	ss_size;
	uint64_t	tid_addr;	/* PR_GET_TID_ADDRESS */
	int32_t		pdeath;		/* PR_GET_PDEATHSIG */
	int32_t		__pad2;
};

/* The calls, one by one: results into @out, the first failure refused. */
static int thr_calls(struct cr_dtask *dt, struct cr_infect *inf,
		     unsigned long at, long *pers, struct cr_err *e)
{
	static const char *const what[] = {
		"sigaltstack", "prctl(PR_GET_TID_ADDRESS)",
		"prctl(PR_GET_PDEATHSIG)", "personality",
	};
	const unsigned long a[][6] = {
		{ 0, at },
		{ PR_GET_TID_ADDRESS, at + offsetof(struct thr_out, tid_addr) },
		{ PR_GET_PDEATHSIG, at + offsetof(struct thr_out, pdeath) },
		{ CR_PERS_QUERY },
	};
	const long nr[] = { __NR_sigaltstack, __NR_prctl, __NR_prctl,
			    __NR_personality };
	long rc = 0;

	for (int i = 0; i < 4; i++) {
		int ret = cr_infect_syscall(inf, nr[i], a[i], &rc, e);

		if (ret)
			return ret;
		if (rc < 0 && rc > -4096)
			return cr_fail(e, (int)-rc, "pid %d: thread %d: "
				       "injected %s failed: %s", dt->pid,
				       inf->pid, what[i], strerror((int)-rc));
	}
	*pers = rc;
	return 0;
}

/* Copy @len bytes between the tracer and @tid's memory at @addr. */
static int thr_mem(pid_t tid, void *buf, uint64_t addr, size_t len,
		   bool write)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	ssize_t n = write ? process_vm_writev(tid, &local, 1, &remote, 1, 0) :
			    process_vm_readv(tid, &local, 1, &remote, 1, 0);

	return n == (ssize_t)len ? 0 : -1;
}

/*
 * Thread @th, stopped: its alternate stack, clear_child_tid, parent-death
 * signal and personality, by injected calls writing at @at (in the
 * scratch area, @gadget the syscall instruction); signals blocked while
 * they run, its registers, mask and rseq area's bytes put back after.
 */
static int thr_ask(struct cr_dtask *dt, struct cr_thread *th,
		   unsigned long gadget, unsigned long at, struct cr_err *e)
{
	struct crfs_thread *t = &th->t;
	uint8_t rseq[64];
	size_t rlen = t->rseq_addr ? (t->rseq_len < sizeof(rseq) ?
				      t->rseq_len : sizeof(rseq)) : 0;
	uint64_t all = ~0ULL;
	struct cr_infect inf;
	struct thr_out out;
	struct cr_err ignore;
	long pers = 0;
	int ret;

	if (rlen && thr_mem(t->tid, rseq, t->rseq_addr, rlen, false))
		return cr_fail(e, errno ? errno : EIO, "pid %d: thread %u: "
			       "cannot read the rseq area: %m", dt->pid,
			       t->tid);
	ret = cr_infect_init(&inf, t->tid, gadget, e);
	if (ret)
		return ret;
	if (ptrace(PTRACE_SETSIGMASK, t->tid, (void *)sizeof(all), &all))
		return cr_fail(e, errno, "pid %d: thread %u: cannot block "
			       "signals: %m", dt->pid, t->tid);
	ret = thr_calls(dt, &inf, at, &pers, e);
	if (!ret && thr_mem(t->tid, &out, at, sizeof(out), false))
		ret = cr_fail(e, errno ? errno : EIO, "pid %d: thread %u: "
			      "cannot read the scratch area: %m", dt->pid,
			      t->tid);
	/* Leave no trace, even after a failure. */
	if (cr_infect_fini(&inf, ret ? &ignore : e) && !ret)
		ret = -e->err;
	if (ptrace(PTRACE_SETSIGMASK, t->tid, (void *)sizeof(t->blocked),
		   &t->blocked) && !ret)
		ret = cr_fail(e, errno, "pid %d: thread %u: cannot restore "
			      "its signal mask: %m", dt->pid, t->tid);
	if (rlen && thr_mem(t->tid, rseq, t->rseq_addr, rlen, true) && !ret)
		ret = cr_fail(e, errno ? errno : EIO, "pid %d: thread %u: "
			      "cannot restore the rseq area: %m", dt->pid,
			      t->tid);
	if (ret)
		return ret;
	t->altstack_sp = out.ss_sp;
	t->altstack_size = out.ss_size;
	t->altstack_flags = out.ss_flags;
	t->clear_child_tid = out.tid_addr;
	if (out.pdeath)
		return cr_fail(e, EOPNOTSUPP, "pid %d: thread %u: a "
			       "parent-death signal (%d) on a thread other "
			       "than the leader is not supported", dt->pid,
			       t->tid, out.pdeath);
	if ((uint32_t)pers != dt->t->t.personality)
		return cr_fail(e, EOPNOTSUPP, "pid %d: thread %u: "
			       "personality %#x, not the process's %#x: not "
			       "supported", dt->pid, t->tid, (uint32_t)pers,
			       dt->t->t.personality);
	return 0;
}

/**
 * cr_dump_threads_ask() - what only each thread but the leader can tell
 * about itself, by calls of its own (thr_ask()), while the leader's
 * scratch area is mapped
 * @at: sizeof(struct thr_out) bytes of it the calls may write
 *      (CR_DUMP_THREAD_OUT)
 *
 * Return: 0 or -errno with @e set naming the pid and thread.
 */
int cr_dump_threads_ask(struct cr_dtask *dt, unsigned long at,
			struct cr_err *e)
{
	_Static_assert(sizeof(struct thr_out) <= CR_DUMP_THREAD_OUT,
		       "room for a thread's answers");

	for (uint32_t i = 1; i < dt->t->nr_threads; i++) {
		int ret = thr_ask(dt, &dt->t->threads[i], dt->inf.gadget, at,
				  e);

		if (ret)
			return ret;
	}
	return 0;
}
