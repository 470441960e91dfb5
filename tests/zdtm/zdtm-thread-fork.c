// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-thread-fork: a child made by a thread other than the main one, and
 * nothing else shared: thread T forks K, which waits for SIGTERM.  After
 * the restore T is still K's parent: /proc's task/T/children lists K (a
 * restore that made K from the main thread lists it under the main
 * thread), K's parent is the root, and the main thread reaps K's 0.
 * Each process's pipe ends are closed before the program is ready.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "zdtm.h"

static int up[2];
static volatile pid_t t_tid, k_pid;
static volatile int stop;

/* K: up, then waits for SIGTERM; its parent still the root. */
static void thread_fork_k(pid_t root)
{
	close(up[0]);
	if (write(up[1], "k", 1) != 1)
		_exit(2);
	close(up[1]);
	zdtm_wait();
	_exit(getppid() == root ? 0 : 3);
}

/* T: forks K, then waits until told. */
static void *thread_fork_t(void *arg)
{
	pid_t root = (pid_t)(long)arg, k;

	t_tid = syscall(SYS_gettid);
	k = fork();
	if (k == 0)
		thread_fork_k(root);
	k_pid = k;
	while (!stop)
		usleep(10000);
	return (void *)(long)(syscall(SYS_gettid) == t_tid ? 0 : 1);
}

/* Is @pid among /proc/self/task/@tid/children? */
static int thread_fork_lists(pid_t tid, pid_t pid)
{
	char path[64], buf[256], *s, *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (s = buf;; s = end) {
		long v = strtol(s, &end, 10);

		if (end == s)
			return 0;
		if (v == pid)
			return 1;
	}
}

int main(int argc, char **argv)
{
	pthread_t th;
	void *ret;
	int status;
	char c;

	zdtm_init(argc, argv);
	zdtm_check(pipe2(up, O_CLOEXEC), "pipe");
	zdtm_check(pthread_create(&th, NULL, thread_fork_t,
				  (void *)(long)getpid()) != 0, "thread");
	while (!k_pid)
		usleep(1000);
	zdtm_check(k_pid < 0, "fork K");
	close(up[1]);
	zdtm_check(read(up[0], &c, 1) != 1, "K is not up");
	close(up[0]);
	if (!thread_fork_lists(t_tid, k_pid))
		zdtm_fail("before: K (%d) is not a child of thread %d", k_pid, t_tid);
	zdtm_ready();
	zdtm_wait();
	if (!thread_fork_lists(t_tid, k_pid))
		zdtm_fail("K (%d) is not a child of thread %d any more", k_pid, t_tid);
	if (thread_fork_lists(getpid(), k_pid))
		zdtm_fail("K (%d) is a child of the main thread", k_pid);
	kill(k_pid, SIGTERM);
	zdtm_check(waitpid(k_pid, &status, 0) != k_pid, "wait K");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		zdtm_fail("K: status %#x (its parent changed?)", status);
	stop = 1;
	if (pthread_join(th, &ret) || ret)
		zdtm_fail("thread T lost its tid");
	zdtm_pass();
}
