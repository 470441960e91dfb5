// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-ipc: SysV IPC a checkpoint must refuse, as $ZDTM_IPC says:
 *
 *   undo  a semaphore operated on with SEM_UNDO: the process has a
 *         semadj list, which no interface reads or sets;
 *   host  a SysV shm segment of the host's IPC namespace (the program
 *         enters $ZDTM_HOST_NS), attached: not the container's to save;
 *   shm   a segment of id 77 in its own namespace, attached and written,
 *         for a process outside to attach too.
 *
 * After SIGTERM the program checks that what it made is still as it was.
 */
#include <sched.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	const char *mode = getenv("ZDTM_IPC");
	struct sembuf op = { 0, 2, SEM_UNDO };
	int id = -1, fd;
	char *p = NULL;

	zdtm_init(argc, argv);
	if (!mode)
		zdtm_fail("no ZDTM_IPC");
	if (!strcmp(mode, "undo")) {
		id = semget(IPC_PRIVATE, 1, 0600);
		zdtm_check(id < 0, "semget");
		zdtm_check(semop(id, &op, 1), "semop SEM_UNDO");
	} else if (!strcmp(mode, "host")) {
		fd = open(getenv("ZDTM_HOST_NS") ? getenv("ZDTM_HOST_NS") :
			  "/proc/1/ns/ipc", O_RDONLY | O_CLOEXEC);
		zdtm_check(fd < 0 || setns(fd, CLONE_NEWIPC),
			   "enter the host's IPC namespace");
		close(fd);
		id = shmget(IPC_PRIVATE, 4096, 0600);
		zdtm_check(id < 0, "shmget");
		p = shmat(id, NULL, 0);
		zdtm_check(p == (void *)-1, "shmat");
		/* Gone with its last attachment: nothing left behind. */
		zdtm_check(shmctl(id, IPC_RMID, NULL), "IPC_RMID");
		strcpy(p, "host");
	} else if (!strcmp(mode, "shm")) {
		fd = open("/proc/sys/kernel/shm_next_id", O_WRONLY | O_CLOEXEC);
		zdtm_check(fd < 0 || write(fd, "77", 2) != 2, "shm_next_id");
		close(fd);
		id = shmget(IPC_PRIVATE, 4096, 0600);
		zdtm_check(id != 77, "shmget id 77");
		p = shmat(id, NULL, 0);
		zdtm_check(p == (void *)-1, "shmat");
		strcpy(p, "host");
	} else {
		zdtm_fail("unknown ZDTM_IPC %s", mode);
	}
	zdtm_ready();
	zdtm_wait();
	if (!strcmp(mode, "undo")) {
		if (semctl(id, 0, GETVAL) != 2)
			zdtm_fail("semaphore is %d, not 2", semctl(id, 0, GETVAL));
		semctl(id, 0, IPC_RMID);
	} else if (strcmp(p, "host")) {
		zdtm_fail("segment reads %.8s", p);
	}
	zdtm_pass();
}
