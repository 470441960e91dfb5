// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-pause: a process waiting in pause() for SIGUSR1, whose handler
 * sets a flag: `while (!got) pause();`.  Checkpointed, killed and
 * restored inside pause(), it is sent SIGUSR1 while still frozen, then
 * thawed: pause() must return EINTR after the handler, as the kernel
 * does for a call that a handled signal interrupts, and the loop end
 * (DIR/woken appears).  A restore that turned the interrupted call into
 * an unconditional restart sends it back into pause() for ever.
 */
#include "zdtm.h"

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	(void)sig;
	got = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	int err = 0;

	zdtm_init(argc, argv);
	sigemptyset(&sa.sa_mask);
	zdtm_check(sigaction(SIGUSR1, &sa, NULL), "sigaction SIGUSR1");
	zdtm_ready();
	while (!got) {
		if (pause() < 0)
			err = errno;
	}
	if (err != EINTR)
		zdtm_fail("pause() ended with errno %d, not EINTR", err);
	zdtm_check(zdtm_put("woken", "1\n"), "create woken");
	zdtm_wait();
	zdtm_pass();
}
