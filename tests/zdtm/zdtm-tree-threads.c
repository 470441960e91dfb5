// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-tree-threads: a tree whose processes have threads: the root has
 * one thread more, its child two, each thread blocked in its own wait.
 * After the restore every thread is back, with its tid and in its wait:
 * on SIGTERM the child's threads are told through a shared counter and
 * each notes its tid; the child checks them and exits 0, the root too.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "zdtm.h"

#define KID_THREADS	2

static pid_t tids[KID_THREADS + 1];
static volatile int stop;

/* A thread: its tid noted, then waits until told (futex-like polling). */
static void *threads_fn(void *arg)
{
	int i = (int)(long)arg;

	tids[i] = syscall(SYS_gettid);
	while (!stop)
		usleep(10000);
	return (void *)(long)(syscall(SYS_gettid) == tids[i] ? 0 : 1);
}

/* Start @n threads, their tids noted in tids[0 .. n-1]. */
static void threads_start(pthread_t *th, int n)
{
	for (int i = 0; i < n; i++) {
		zdtm_check(pthread_create(&th[i], NULL, threads_fn,
					  (void *)(long)i) != 0, "thread");
		while (!tids[i])
			usleep(1000);
	}
}

/* Stop @n threads; 0 if each kept its tid. */
static int threads_stop(pthread_t *th, int n)
{
	int bad = 0;

	stop = 1;
	for (int i = 0; i < n; i++) {
		void *ret;

		if (pthread_join(th[i], &ret) || ret)
			bad = 1;
	}
	return bad;
}

int main(int argc, char **argv)
{
	pthread_t th[KID_THREADS];
	int status, up[2];
	pid_t child;
	char c;

	zdtm_init(argc, argv);
	zdtm_check(pipe2(up, O_CLOEXEC), "pipe");
	child = fork();
	zdtm_check(child < 0, "fork");
	if (child == 0) {
		close(up[0]);
		threads_start(th, KID_THREADS);
		if (write(up[1], "u", 1) != 1)
			_exit(2);
		close(up[1]);
		zdtm_wait();
		_exit(threads_stop(th, KID_THREADS) ? 3 : 0);
	}
	close(up[1]);
	zdtm_check(read(up[0], &c, 1) != 1, "the child is not up");
	close(up[0]);
	threads_start(th, 1);
	zdtm_ready();
	zdtm_wait();
	kill(child, SIGTERM);
	zdtm_check(waitpid(child, &status, 0) != child, "wait child");
	if (status)
		zdtm_fail("the child: status %#x (its threads lost their tids?)",
			  status);
	if (threads_stop(th, 1))
		zdtm_fail("the root's thread lost its tid");
	zdtm_pass();
}
