// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-msq-qbytes: a message queue whose msg_qbytes was lowered (IPC_SET) below the
 * bytes it already holds: legal, and the messages stay queued.
 */
#include <sys/ipc.h>
#include <sys/msg.h>
#include "zdtm.h"

int main(int argc, char **argv)
{
	struct { long mtype; char text[100]; } m = { 1, "" };
	struct msqid_ds ds;
	int id, i;

	zdtm_init(argc, argv);
	id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	zdtm_check(id < 0, "msgget");
	for (i = 0; i < 3; i++) {
		m.text[0] = 'a' + i;
		zdtm_check(msgsnd(id, &m, sizeof(m.text), 0), "msgsnd");
	}
	zdtm_check(msgctl(id, IPC_STAT, &ds), "IPC_STAT");
	ds.msg_qbytes = 50;
	zdtm_check(msgctl(id, IPC_SET, &ds), "IPC_SET");
	zdtm_ready();
	zdtm_wait();
	zdtm_check(msgctl(id, IPC_STAT, &ds), "IPC_STAT after");
	if (ds.msg_qnum != 3 || ds.msg_qbytes != 50)
		zdtm_fail("qnum %lu qbytes %lu", (unsigned long)ds.msg_qnum,
			  (unsigned long)ds.msg_qbytes);
	for (i = 0; i < 3; i++) {
		zdtm_check(msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT) < 0,
			   "msgrcv");
		if (m.text[0] != 'a' + i)
			zdtm_fail("message %d is %c", i, m.text[0]);
	}
	zdtm_pass();
}
