// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-sigmask-eintr: a process in pselect6() whose timeout lies in
 * read-only memory.  Interrupted (by the freezer, or a signal), the call
 * cannot write back the time left, so it does not restart: it returns
 * EINTR with the mask from before it still to be put back, and until
 * then the call's own mask holds.  An image with one mask cannot bring
 * that back exactly: the kernel's checkpoint must refuse it, and the
 * process goes on unharmed when thawed (SIGTERM, which the call's mask
 * lets in, ends it).
 */
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	struct timespec *ts;
	sigset_t mask;
	struct {
		const sigset_t	*set;
		size_t		len;
	} sig = { &mask, 8 };

	zdtm_init(argc, argv);
	sigprocmask(SIG_BLOCK, NULL, &mask);
	sigdelset(&mask, SIGTERM);
	ts = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	zdtm_check(ts == MAP_FAILED, "mmap");
	ts->tv_sec = 100000;
	zdtm_check(mprotect(ts, 4096, PROT_READ), "mprotect");
	zdtm_ready();
	while (!zdtm_stop)
		if (syscall(SYS_pselect6, 0, NULL, NULL, NULL, ts, &sig) < 0 &&
		    errno != EINTR)
			zdtm_fail("pselect6: %s", strerror(errno));
	zdtm_pass();
}
