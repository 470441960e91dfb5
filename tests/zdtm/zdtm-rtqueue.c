// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-rtqueue: a process with $ZDTM_RT (default 20000) real-time signals
 * pending (blocked SIGRTMIN, queued to itself with their own values).
 * After the restore all are still pending, in order: sigtimedwait()
 * takes them back with the values 0, 1, 2, ...
 */
#include <time.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	const char *env = getenv("ZDTM_RT");
	struct timespec zero = { 0, 0 };
	long i, n = env ? atol(env) : 20000;
	sigset_t rt;
	siginfo_t si;

	zdtm_init(argc, argv);
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	zdtm_check(sigprocmask(SIG_BLOCK, &rt, NULL), "block SIGRTMIN");
	for (i = 0; i < n; i++)
		zdtm_check(sigqueue(getpid(), SIGRTMIN,
				    (union sigval){ .sival_int = i }),
			   "sigqueue");
	zdtm_ready();
	zdtm_wait();
	for (i = 0; i < n; i++) {
		if (sigtimedwait(&rt, &si, &zero) != SIGRTMIN)
			zdtm_fail("signal %ld of %ld is not pending", i, n);
		if (si.si_value.sival_int != i)
			zdtm_fail("signal %ld has value %d", i,
				  si.si_value.sival_int);
	}
	if (sigtimedwait(&rt, &si, &zero) >= 0)
		zdtm_fail("more than %ld signals pending", n);
	zdtm_pass();
}
