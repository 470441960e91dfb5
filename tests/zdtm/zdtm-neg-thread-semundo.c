// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-thread-semundo: a thread made without CLONE_SYSVSEM has a SEM_UNDO list of its own
 * (the leader has none): its semop(+1, SEM_UNDO) is undone when it exits.
 */
#include <sched.h>
#include <time.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <linux/futex.h>
#include "zdtm.h"

static int sem_id;
static volatile int go_exit, done_op;
static volatile int child_tid = 1;
static char stack[65536] __attribute__((aligned(16)));

static int thr(void *arg)
{
	struct sembuf op = { 0, 1, SEM_UNDO };
	struct timespec ts = { 0, 10000000 };

	(void)arg;
	if (syscall(SYS_semop, sem_id, &op, 1))
		syscall(SYS_exit, 3);
	done_op = 1;
	while (!go_exit)
		syscall(SYS_nanosleep, &ts, NULL);
	syscall(SYS_exit, 0);
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 10000000 };
	int v, i;

	zdtm_init(argc, argv);
	sem_id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	zdtm_check(sem_id < 0, "semget");
	zdtm_check(clone(thr, stack + sizeof(stack),
			 CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			 CLONE_THREAD | CLONE_CHILD_CLEARTID,
			 NULL, NULL, NULL, (int *)&child_tid) < 0, "clone");
	for (i = 0; !done_op && i < 500; i++)
		nanosleep(&ts, NULL);
	if (!done_op)
		zdtm_fail("thread did no semop");
	zdtm_ready();
	zdtm_wait();
	v = semctl(sem_id, 0, GETVAL);
	if (v != 1)
		zdtm_fail("value %d before the thread exits, not 1", v);
	go_exit = 1;
	for (i = 0; child_tid && i < 500; i++)
		nanosleep(&ts, NULL);
	if (child_tid)
		zdtm_fail("thread did not exit");
	v = semctl(sem_id, 0, GETVAL);
	if (v != 0)
		zdtm_fail("value %d after the thread exited: its SEM_UNDO "
			  "adjustment (-1) was lost", v);
	zdtm_pass();
}
