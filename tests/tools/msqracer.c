// SPDX-License-Identifier: GPL-2.0
/*
 * msqracer KEY SECONDS: in the IPC namespace it was started in, swap the
 * messages of the queue of KEY (hex) between one byte and 150,000 bytes,
 * over and over, for SECONDS: a process outside a container changing a
 * queue while a checkpoint copies it (tests/bats/067-ipc.bats).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/ipc.h>
#include <sys/msg.h>

static struct { long mtype; char text[200000]; } m;

int main(int argc, char **argv)
{
	time_t end;
	int id, big = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: msqracer KEY SECONDS\n");
		return 2;
	}
	end = time(NULL) + atoi(argv[2]);
	id = msgget((key_t)strtol(argv[1], NULL, 16), 0);
	if (id < 0) {
		perror("msqracer: msgget");
		return 1;
	}
	while (time(NULL) < end) {
		for (int i = 0; i < 100; i++) {
			if (msgrcv(id, &m, sizeof(m.text), 0,
				   IPC_NOWAIT | MSG_NOERROR) < 0)
				continue;
			m.mtype = 1;
			msgsnd(id, &m, big ? 150000 : 1, IPC_NOWAIT);
		}
		big = !big;
	}
	return 0;
}
