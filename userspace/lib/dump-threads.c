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

/* Seize every thread but the leader: all interrupted, then waited for. */
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

/* Detach the threads seized, and see each leave its ptrace stop. */
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

/* The words the calls of thr_ask() write, at the start of the area. */
struct thr_out {
	uint64_t	ss_sp;		/* stack_t */
	int32_t		ss_flags;
	int32_t		__pad;
	uint64_t	ss_size;
	uint64_t	tid_addr;	/* PR_GET_TID_ADDRESS */
	int32_t		pdeath;		/* PR_GET_PDEATHSIG */
	int32_t		__pad2;
	uint64_t	__pad3[3];
	uint8_t		misc[8 * CR_MISC_THREAD_CALLS];	/* res-misc.c's */
};

/* The calls before res-misc.c's, by index. */
enum { THR_ALTSTACK, THR_TID_ADDR, THR_PDEATH, THR_PERS, THR_SECBITS,
       THR_NR };

static const char *const thr_what[THR_NR] = {
	"sigaltstack", "prctl(PR_GET_TID_ADDRESS)", "prctl(PR_GET_PDEATHSIG)",
	"personality", "prctl(PR_GET_SECUREBITS)",
};

/*
 * Run @n @calls in @inf's thread: in one go through the batch runner at
 * @scratch when @exec, else one by one; up to the first that fails.
 * Return: the index of the last that ran, or -errno with @e set.
 */
static int thr_run(struct cr_infect *inf, struct cr_infect_call *calls,
		   int n, unsigned long scratch, bool exec, struct cr_err *e)
{
	int ret = -EAGAIN;

	if (exec)
		ret = cr_infect_batch(inf, scratch + CR_SCRATCH_CODE,
				      scratch + CR_SCRATCH_CALLS, calls, n, e);
	if (ret != -EAGAIN)
		return ret;
	for (ret = 0; ret < n; ret++) {
		long rc;
		int r = cr_infect_syscall(inf, calls[ret].nr,
					  (unsigned long *)calls[ret].a, &rc,
					  e);

		if (r)
			return r;
		calls[ret].ret = rc;
		if (rc < 0 && rc > -4096)
			break;
	}
	return ret;
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
 * What the calls of thread @th told, into its model; refuse what a
 * restore would not give back: a parent-death signal, a personality or
 * securebits not the leader's, a setting not the default.
 */
static int thr_results(struct cr_dtask *dt, struct cr_thread *th,
		       const struct cr_infect_call *calls, int done,
		       const struct thr_out *out, struct cr_err *e)
{
	struct crfs_thread *t = &th->t;

	for (int i = 0; i < THR_NR; i++) {
		long rc = i <= done ? calls[i].ret : -ECANCELED;

		if (rc < 0 && rc > -4096)
			return cr_fail(e, (int)-rc, "pid %d: thread %u: "
				       "injected %s failed: %s", dt->pid,
				       t->tid, thr_what[i], strerror((int)-rc));
	}
	t->altstack_sp = out->ss_sp;
	t->altstack_size = out->ss_size;
	t->altstack_flags = out->ss_flags;
	t->clear_child_tid = out->tid_addr;
	if (out->pdeath)
		return cr_fail(e, EOPNOTSUPP, "pid %d: thread %u: a "
			       "parent-death signal (%d) on a thread other "
			       "than the leader is not supported", dt->pid,
			       t->tid, out->pdeath);
	if ((uint32_t)calls[THR_PERS].ret != dt->t->t.personality)
		return cr_fail(e, EOPNOTSUPP, "pid %d: thread %u: "
			       "personality %#x, not the process's %#x: not "
			       "supported", dt->pid, t->tid,
			       (uint32_t)calls[THR_PERS].ret,
			       dt->t->t.personality);
	if ((uint32_t)calls[THR_SECBITS].ret != dt->t->creds.securebits)
		return cr_fail(e, EOPNOTSUPP, "pid %d: thread %u: securebits "
			       "%#x, not the leader's %#x: not supported",
			       dt->pid, t->tid, (uint32_t)calls[THR_SECBITS].ret,
			       dt->t->creds.securebits);
	return cr_misc_thread_check(dt, t->tid, calls + THR_NR, done - THR_NR,
				    out->misc, e);
}

/*
 * Thread @th, stopped: its alternate stack, clear_child_tid, parent-death
 * signal, personality, securebits and res-misc.c's settings, by calls of
 * its own writing into the scratch area at @scratch; signals blocked
 * while they run, its registers, mask and rseq area's bytes put back
 * after.
 */
static int thr_ask(struct cr_dtask *dt, struct cr_thread *th,
		   unsigned long scratch, bool exec, struct cr_err *e)
{
	struct infect_calls {
		struct cr_infect_call c[THR_NR + CR_MISC_THREAD_CALLS];
	} calls = { 0 };
	unsigned long at = scratch + CR_SCRATCH_DATA;
	struct crfs_thread *t = &th->t;
	uint8_t rseq[64];
	size_t rlen = t->rseq_addr ? (t->rseq_len < sizeof(rseq) ?
				      t->rseq_len : sizeof(rseq)) : 0;
	uint64_t all = ~0ULL;
	struct cr_infect inf;
	struct cr_err ignore;
	struct thr_out out;
	int ret, n = THR_NR, done;

	static const long nr[THR_NR] = { __NR_sigaltstack, __NR_prctl,
					 __NR_prctl, __NR_personality,
					 __NR_prctl };
	const unsigned long a[THR_NR][2] = {
		{ 0, at },
		{ PR_GET_TID_ADDRESS, at + offsetof(struct thr_out, tid_addr) },
		{ PR_GET_PDEATHSIG, at + offsetof(struct thr_out, pdeath) },
		{ CR_PERS_QUERY },
		{ PR_GET_SECUREBITS },
	};

	for (int i = 0; i < THR_NR; i++) {
		calls.c[i].nr = nr[i];
		calls.c[i].a[0] = a[i][0];
		calls.c[i].a[1] = a[i][1];
	}
	n += cr_misc_thread_calls(calls.c + THR_NR,
				  at + offsetof(struct thr_out, misc));

	if (rlen && thr_mem(t->tid, rseq, t->rseq_addr, rlen, false))
		return cr_fail(e, errno ? errno : EIO, "pid %d: thread %u: "
			       "cannot read the rseq area: %m", dt->pid,
			       t->tid);
	ret = cr_infect_init(&inf, t->tid, dt->inf.gadget, e);
	if (ret)
		return ret;
	if (ptrace(PTRACE_SETSIGMASK, t->tid, (void *)sizeof(all), &all))
		return cr_fail(e, errno, "pid %d: thread %u: cannot block "
			       "signals: %m", dt->pid, t->tid);
	done = ret = thr_run(&inf, calls.c, n, scratch, exec, e);
	if (ret >= 0) {
		ret = 0;
		if (thr_mem(t->tid, &out, at, sizeof(out), false))
			ret = cr_fail(e, errno ? errno : EIO, "pid %d: thread "
				      "%u: cannot read the scratch area: %m",
				      dt->pid, t->tid);
	}
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
	return ret ? ret : thr_results(dt, th, calls.c, done, &out, e);
}

int cr_dump_threads_ask(struct cr_dtask *dt, unsigned long scratch,
			bool exec, struct cr_err *e)
{
	_Static_assert(sizeof(struct thr_out) <= CR_SCRATCH_DATA_SIZE,
		       "room for a thread's answers");

	for (uint32_t i = 1; i < dt->t->nr_threads; i++) {
		int ret = thr_ask(dt, &dt->t->threads[i], scratch, exec, e);

		if (ret)
			return ret;
	}
	return 0;
}
