// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-threads-creds: a process of uid 0 with the gids and groups of
 * nobody, no capability in any set, no_new_privs, and 6 threads made after
 * all that: every thread must come back with exactly these credentials
 * (a restore sets each thread's own), never the restorer's.
 */
#include <grp.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/prctl.h>

#include "zdtm.h"

#define NR_THREADS	6
#define NOBODY		65534

struct slot {
	pthread_t	th;
	char		why[160];
};

static struct slot slots[NR_THREADS];
static atomic_int nr_ready, go;

/* What is wrong with the calling thread's credentials, or NULL. */
static const char *creds_wrong(char *buf, size_t len)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uid_t r, e, s;
	gid_t gr, ge, gs, groups[8];
	int n;

	if (getresuid(&r, &e, &s) || r || e || s)
		return "uids are not 0";
	if (getresgid(&gr, &ge, &gs) || gr != NOBODY || ge != NOBODY ||
	    gs != NOBODY)
		return "gids are not nobody's";
	n = getgroups(8, groups);
	if (n != 2 || groups[0] != 100 || groups[1] != NOBODY)
		return "groups are not 100 and nobody";
	if (syscall(SYS_capget, &h, d))
		return "capget failed";
	for (int i = 0; i < 2; i++)
		if (d[i].inheritable | d[i].permitted | d[i].effective) {
			snprintf(buf, len, "capabilities %#x %#x %#x",
				 d[i].inheritable, d[i].permitted,
				 d[i].effective);
			return buf;
		}
	for (int c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) {
			snprintf(buf, len, "capability %d in the bounding set",
				 c);
			return buf;
		}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return "no_new_privs is off";
	return NULL;
}

static void *thread_main(void *arg)
{
	struct slot *s = arg;
	const char *why;
	char buf[100];

	atomic_fetch_add(&nr_ready, 1);
	while (!atomic_load(&go))
		syscall(SYS_futex, &go, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	why = creds_wrong(buf, sizeof(buf));
	if (why)
		snprintf(s->why, sizeof(s->why), "%s", why);
	return NULL;
}

int main(int argc, char **argv)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { 0 } };
	struct timespec ts = { 0, 1000 * 1000 };
	gid_t groups[] = { 100, NOBODY };
	const char *why;
	char buf[100];

	zdtm_init(argc, argv);
	zdtm_check(setgroups(2, groups), "setgroups");
	zdtm_check(setresgid(NOBODY, NOBODY, NOBODY), "setresgid");
	zdtm_check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
	for (int c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			zdtm_check(prctl(PR_CAPBSET_DROP, c, 0, 0, 0),
				   "PR_CAPBSET_DROP");
	zdtm_check(syscall(SYS_capset, &h, d), "capset");
	for (int k = 0; k < NR_THREADS; k++)
		zdtm_check(errno = pthread_create(&slots[k].th, NULL,
						  thread_main, &slots[k]),
			   "pthread_create");
	while (atomic_load(&nr_ready) < NR_THREADS)
		nanosleep(&ts, NULL);
	zdtm_ready();
	zdtm_wait();

	atomic_store(&go, 1);
	syscall(SYS_futex, &go, FUTEX_WAKE_PRIVATE, NR_THREADS, NULL, NULL, 0);
	for (int k = 0; k < NR_THREADS; k++) {
		pthread_join(slots[k].th, NULL);
		if (slots[k].why[0])
			zdtm_fail("thread %d: %s", k + 1, slots[k].why);
	}
	why = creds_wrong(buf, sizeof(buf));
	if (why)
		zdtm_fail("the leader: %s", why);
	zdtm_pass();
}
