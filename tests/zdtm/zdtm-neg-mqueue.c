// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-mqueue: holds a POSIX message queue with a message in it,
 * which the checkpoint must refuse (its descriptor reads as the path
 * "/NAME", which is no file of the root).  After SIGTERM the message must
 * still be there; the queue is removed at the end.
 */
#include <mqueue.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	char name[64], buf[16];
	mqd_t q;

	zdtm_init(argc, argv);
	snprintf(name, sizeof(name), "/crfs-zdtm-%d", (int)getpid());
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
	zdtm_check(q == (mqd_t)-1, "mq_open");
	zdtm_check(mq_send(q, "data", 4, 1), "mq_send");
	zdtm_ready();
	zdtm_wait();
	zdtm_check(mq_receive(q, buf, sizeof(buf), NULL) != 4, "mq_receive");
	mq_unlink(name);
	if (memcmp(buf, "data", 4))
		zdtm_fail("the queue lost its message");
	zdtm_pass();
}
