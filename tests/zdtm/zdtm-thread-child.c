// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-thread-child: children of threads other than the main one.  Thread
 * A forks K1, which asks for SIGKILL when its parent dies; thread B forks
 * K2, which waits, K3, which exits 5 at once (a zombie of B), and K4 by
 * clone(CLONE_FILES), which shares the process's descriptor table.  After
 * the restore each thread is still its children's parent: /proc's
 * task/TID/children lists them under it, the main thread cannot wait for
 * them with __WNOTHREAD but reaps them without (K2 killed, K3's 5); K4
 * still shares the table (kcmp); when A exits, K1 gets its parent-death
 * signal.  DIR/pids lists every pid.
 */
#include <linux/kcmp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "zdtm.h"

static pid_t tid_a, tid_b, k1, k2, k3, k4;
static volatile int done_a, done_b;

/* A forked child that waits (K1 with its parent-death signal). */
static pid_t fork_waiter(int pdeath)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (pdeath)
			prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

static void *thr_a(void *arg)
{
	(void)arg;
	tid_a = syscall(SYS_gettid);
	k1 = fork_waiter(1);
	while (!done_a)
		usleep(10000);
	return NULL;
}

static void *thr_b(void *arg)
{
	(void)arg;
	tid_b = syscall(SYS_gettid);
	k2 = fork_waiter(0);
	k3 = fork();
	if (k3 == 0)
		_exit(5);
	/* fork()'s way, on a copy of this stack, the table shared. */
	k4 = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0);
	if (k4 == 0)
		for (;;)
			pause();
	while (!done_b)
		usleep(10000);
	return NULL;
}

/* Does /proc/self/task/@tid/children list @pid? */
static int lists(pid_t tid, pid_t pid)
{
	char path[64], buf[512], want[16], *s;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf + 1, 1, sizeof(buf) - 2, f);
	fclose(f);
	buf[0] = ' ';
	buf[n + 1] = '\0';
	snprintf(want, sizeof(want), " %d ", pid);
	s = strstr(buf, want);
	return s != NULL;
}

/* Is /proc of our pid namespace (not so as pid 1 of one of our own)? */
static int proc_ours(void)
{
	char buf[32] = "";

	return readlink("/proc/self", buf, sizeof(buf) - 1) > 0 &&
	       atoi(buf) == getpid();
}

/* Has child @pid exited (not reaped)? */
static int ended(pid_t pid)
{
	siginfo_t si = { 0 };

	return !waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) &&
	       si.si_pid == pid;
}

/* Wait up to 5 s for @pid (no __WNOTHREAD): its status, or -1. */
static int reap(pid_t pid)
{
	int status;

	for (int i = 0; i < 500; i++) {
		pid_t got = waitpid(pid, &status, WNOHANG);

		if (got == pid)
			return status;
		if (got < 0)
			return -1;
		usleep(10000);
	}
	return -1;
}

int main(int argc, char **argv)
{
	pid_t main_tid = syscall(SYS_gettid);
	pthread_t a, b;
	char list[96];
	int st;

	zdtm_init(argc, argv);
	zdtm_check(pthread_create(&a, NULL, thr_a, NULL) != 0, "thread A");
	zdtm_check(pthread_create(&b, NULL, thr_b, NULL) != 0, "thread B");
	while (!k1 || !k2 || !k3 || !k4)
		usleep(10000);
	zdtm_check(k1 < 0 || k2 < 0 || k3 < 0 || k4 < 0, "fork");
	while (!ended(k3))
		usleep(10000);
	snprintf(list, sizeof(list), "%d\n%d\n%d\n%d\n%d\n", getpid(), k1, k2,
		 k3, k4);
	zdtm_check(zdtm_put("pids", list), "write pids");
	zdtm_ready();
	zdtm_wait();

	if (proc_ours() &&
	    (!lists(tid_a, k1) || !lists(tid_b, k2) || !lists(tid_b, k3) ||
	     !lists(tid_b, k4)))
		zdtm_fail("task/TID/children: %d not under thread %d, or %d, "
			  "%d not under thread %d", k1, tid_a, k2, k3, tid_b);
	if (proc_ours() &&
	    (lists(main_tid, k1) || lists(main_tid, k2) || lists(main_tid, k3)))
		zdtm_fail("a child of a thread is listed under the main one");
	if (waitpid(k2, &st, WNOHANG | __WNOTHREAD) != -1 || errno != ECHILD)
		zdtm_fail("pid %d: the main thread could wait for it alone "
			  "(__WNOTHREAD): its parent is not thread %d", k2,
			  tid_b);
	if (ended(k1) || kill(k1, 0))
		zdtm_fail("pid %d: dead before its parent thread exited", k1);
	/* From the main thread: every thread's children are the process's. */
	st = reap(k3);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 5)
		zdtm_fail("pid %d: zombie of thread %d: reaped with %#x, not "
			  "exit 5", k3, tid_b, st);
	if (syscall(SYS_kcmp, getpid(), k4, KCMP_FILES, 0, 0) != 0)
		zdtm_fail("pid %d: its descriptor table is not ours any more",
			  k4);
	if (waitpid(k4, &st, WNOHANG | __WNOTHREAD) != -1 || errno != ECHILD)
		zdtm_fail("pid %d: the main thread could wait for it alone",
			  k4);
	kill(k4, SIGKILL);
	st = reap(k4);
	if (st < 0 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		zdtm_fail("pid %d: not reaped from the main thread (%#x)", k4,
			  st);
	kill(k2, SIGKILL);
	st = reap(k2);
	if (st < 0 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		zdtm_fail("pid %d: not reaped from the main thread (%#x)", k2,
			  st);
	done_b = 1;
	pthread_join(b, NULL);
	/* Thread A exits: K1's parent-death signal. */
	done_a = 1;
	pthread_join(a, NULL);
	st = reap(k1);
	if (st < 0 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
		kill(k1, SIGKILL);
		zdtm_fail("pid %d: no parent-death signal when thread %d "
			  "exited (%#x)", k1, tid_a, st);
	}
	zdtm_pass();
}
