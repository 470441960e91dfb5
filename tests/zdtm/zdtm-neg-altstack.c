// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-altstack: an alternate signal stack beyond the user address
 * space, which sigaltstack() takes (nothing is checked until a signal
 * runs on it) but a restore refuses: the checkpoint must refuse it
 * itself, naming it, and leave the process unharmed.
 */
#include "zdtm.h"

int main(int argc, char **argv)
{
	stack_t ss = {
		.ss_sp = (void *)0xffff800000000000UL,
		.ss_size = 65536,
	};
	stack_t now;

	zdtm_init(argc, argv);
	zdtm_check(sigaltstack(&ss, NULL), "sigaltstack");
	zdtm_ready();
	zdtm_wait();
	zdtm_check(sigaltstack(NULL, &now), "sigaltstack");
	if (now.ss_sp != ss.ss_sp || now.ss_size != ss.ss_size)
		zdtm_fail("the alternate stack changed");
	zdtm_pass();
}
