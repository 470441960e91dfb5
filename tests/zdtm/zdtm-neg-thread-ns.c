// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-thread-ns: a thread (not the leader) in an IPC and UTS namespace of its own
 * (unshare() is per thread), with a semaphore set of value 5 there and
 * the host name "rev9-thread".
 */
#include <pthread.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include "zdtm.h"

static volatile int state;	/* 1: set up, 2: checked OK, 3: failed */
static char why[256];

static unsigned long ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

static void *thr(void *arg)
{
	char host[64] = "";
	int id, v;

	(void)arg;
	if (unshare(CLONE_NEWIPC | CLONE_NEWUTS) ||
	    sethostname("rev9-thread", 11)) {
		snprintf(why, sizeof(why), "unshare: %s", strerror(errno));
		state = 3;
		return NULL;
	}
	id = semget(0x7ea, 1, IPC_CREAT | 0600);
	if (id < 0 || semctl(id, 0, SETVAL, 5)) {
		snprintf(why, sizeof(why), "sem: %s", strerror(errno));
		state = 3;
		return NULL;
	}
	state = 1;
	while (state == 1)
		usleep(10000);
	gethostname(host, sizeof(host));
	id = semget(0x7ea, 1, 0);
	v = id < 0 ? -1 : semctl(id, 0, GETVAL);
	if (ino("/proc/thread-self/ns/ipc") == ino("/proc/self/ns/ipc") ||
	    strcmp(host, "rev9-thread") || v != 5) {
		snprintf(why, sizeof(why), "after: thread ipc ns %s the "
			 "leader's, host name \"%s\", its semaphore %d",
			 ino("/proc/thread-self/ns/ipc") ==
			 ino("/proc/self/ns/ipc") ? "is" : "is not", host, v);
		state = 3;
		return NULL;
	}
	state = 2;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	zdtm_init(argc, argv);
	zdtm_check(pthread_create(&t, NULL, thr, NULL) != 0, "pthread_create");
	while (!state)
		usleep(10000);
	if (state == 3)
		zdtm_fail("%s", why);
	zdtm_ready();
	zdtm_wait();
	state = 4;
	pthread_join(t, NULL);
	if (state != 2)
		zdtm_fail("%s", why);
	zdtm_pass();
}
