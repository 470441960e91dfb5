// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-sigsuspend: a process waiting in sigsuspend() with a temporary
 * mask.  SIGUSR1 and SIGUSR2 are blocked; sigsuspend() lets SIGUSR1 in
 * while it waits.  Checkpointed, killed and restored inside it, sent
 * SIGUSR1 while still frozen, then thawed: the handler runs with the
 * temporary mask (SIGUSR2 still blocked), and once sigsuspend() returns
 * the mask is the one from before it, SIGUSR1 blocked again, as the
 * kernel puts back its saved mask; DIR/woken appears.  A checkpoint that
 * took the temporary mask for the process's own leaves SIGUSR1 unblocked
 * after the restore.
 */
#include "zdtm.h"

static volatile sig_atomic_t got;
static sigset_t in_handler;

static void on_usr1(int sig)
{
	(void)sig;
	sigprocmask(SIG_BLOCK, NULL, &in_handler);
	got = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t block, wait, after;

	zdtm_init(argc, argv);
	sigemptyset(&sa.sa_mask);
	zdtm_check(sigaction(SIGUSR1, &sa, NULL), "sigaction SIGUSR1");
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	zdtm_check(sigprocmask(SIG_BLOCK, &block, NULL), "block SIGUSR1, SIGUSR2");
	sigprocmask(SIG_BLOCK, NULL, &wait);
	sigdelset(&wait, SIGUSR1);
	zdtm_ready();
	while (!got)
		if (sigsuspend(&wait) < 0 && errno != EINTR)
			zdtm_fail("sigsuspend: %s", strerror(errno));
	if (!sigismember(&in_handler, SIGUSR2) || !sigismember(&in_handler, SIGUSR1))
		zdtm_fail("the handler ran with SIGUSR1 or SIGUSR2 unblocked");
	sigprocmask(SIG_BLOCK, NULL, &after);
	if (!sigismember(&after, SIGUSR1) || !sigismember(&after, SIGUSR2))
		zdtm_fail("after sigsuspend() SIGUSR1 %s, SIGUSR2 %s: the mask before it is lost",
			  sigismember(&after, SIGUSR1) ? "blocked" : "unblocked",
			  sigismember(&after, SIGUSR2) ? "blocked" : "unblocked");
	zdtm_check(zdtm_put("woken", "1\n"), "create woken");
	zdtm_wait();
	zdtm_pass();
}
