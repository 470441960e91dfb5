// SPDX-License-Identifier: GPL-2.0
/* zdtm-msq-race: a queue of key 0x7e9 with 100 one-byte messages; limits raised. */
#include <sys/ipc.h>
#include <sys/msg.h>
#include "zdtm.h"

static void put(const char *name, const char *v)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	fd = open(path, O_WRONLY);
	zdtm_check(fd < 0 || write(fd, v, strlen(v)) < 0, path);
	close(fd);
}

int main(int argc, char **argv)
{
	struct { long mtype; char text[1]; } m = { 1, "x" };
	struct msqid_ds ds;
	int id, i;

	zdtm_init(argc, argv);
	put("msgmnb", "20000000");
	put("msgmax", "200000");
	id = msgget(0x7e9, IPC_CREAT | 0600);
	zdtm_check(id < 0, "msgget");
	zdtm_check(msgctl(id, IPC_STAT, &ds), "IPC_STAT");
	ds.msg_qbytes = 20000000;
	zdtm_check(msgctl(id, IPC_SET, &ds), "IPC_SET");
	for (i = 0; i < 100; i++)
		zdtm_check(msgsnd(id, &m, 1, 0), "msgsnd");
	zdtm_ready();
	zdtm_wait();
	zdtm_pass();
}
