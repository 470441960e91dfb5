// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-pwait-pending: two threads waiting in epoll_pwait() with masks of
 * the call's own.  Both block SIGUSR1 and SIGUSR2; the leader's call lets
 * SIGUSR2 (and SIGTERM) in, the other thread's SIGUSR1.  Frozen, the call
 * returns EINTR to the mask from before it; a signal the call's mask lets
 * in, pending then, is delivered first, under the call's mask.  An image
 * with one mask cannot bring that back (the signal would stay blocked):
 * a checkpoint with SIGUSR2 or SIGUSR1 pending must be refused, naming
 * the leader or the thread.  Without one it restores: the calls return
 * EINTR, are called again, and a signal sent then is handled.
 *
 * Each handler runs with the call's mask (the other signal still blocked)
 * and after it the thread's mask is the one from before the call again;
 * DIR/woken1 and DIR/woken2 appear when the thread and the leader have
 * handled theirs.
 */
#include <pthread.h>
#include <sys/epoll.h>

#include "zdtm.h"

static volatile sig_atomic_t got[2];
static sigset_t in_handler[2];
static const char *fail_why;
static int ep;

static void on_sig(int sig)
{
	int i = sig == SIGUSR2;

	pthread_sigmask(SIG_BLOCK, NULL, &in_handler[i]);
	got[i] = 1;
}

/* Wait in epoll_pwait() letting @sig in, until its handler ran; check. */
static const char *wait_for_sig(int sig, int also_term)
{
	int i = sig == SIGUSR2, other = i ? SIGUSR1 : SIGUSR2;
	struct epoll_event ev;
	sigset_t mask, after;

	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	sigdelset(&mask, sig);
	if (also_term)
		sigdelset(&mask, SIGTERM);
	while (!got[i])
		if (epoll_pwait(ep, &ev, 1, -1, &mask) < 0 && errno != EINTR)
			return "epoll_pwait failed";
	if (!sigismember(&in_handler[i], other))
		return "a handler ran with the other signal unblocked";
	pthread_sigmask(SIG_BLOCK, NULL, &after);
	if (!sigismember(&after, SIGUSR1) || !sigismember(&after, SIGUSR2))
		return "after epoll_pwait() the mask from before it is lost";
	if (zdtm_put(i ? "woken2" : "woken1", "1\n"))
		return "cannot create woken";
	return NULL;
}

static void *thread_main(void *arg)
{
	(void)arg;
	fail_why = wait_for_sig(SIGUSR1, 0);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sig };
	struct epoll_event ev;
	sigset_t block, mask;
	pthread_t th;
	const char *why;
	int pfd[2];

	zdtm_init(argc, argv);
	sigemptyset(&sa.sa_mask);
	zdtm_check(sigaction(SIGUSR1, &sa, NULL), "sigaction SIGUSR1");
	zdtm_check(sigaction(SIGUSR2, &sa, NULL), "sigaction SIGUSR2");
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	zdtm_check(sigprocmask(SIG_BLOCK, &block, NULL), "block SIGUSR1, SIGUSR2");
	zdtm_check(pipe(pfd), "pipe");
	ep = epoll_create1(0);
	zdtm_check(ep < 0, "epoll_create1");
	ev.events = EPOLLIN;
	ev.data.fd = pfd[0];
	zdtm_check(epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev), "epoll_ctl");
	errno = pthread_create(&th, NULL, thread_main, NULL);
	zdtm_check(errno, "pthread_create");
	zdtm_ready();
	why = wait_for_sig(SIGUSR2, 1);
	if (why)
		zdtm_fail("leader: %s", why);
	sigprocmask(SIG_BLOCK, NULL, &mask);
	sigdelset(&mask, SIGTERM);
	while (!zdtm_stop)
		if (epoll_pwait(ep, &ev, 1, -1, &mask) < 0 && errno != EINTR)
			zdtm_fail("epoll_pwait: %s", strerror(errno));
	errno = pthread_join(th, NULL);
	zdtm_check(errno, "pthread_join");
	if (fail_why)
		zdtm_fail("thread: %s", fail_why);
	zdtm_pass();
}
