// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-misc: one per-task setting that a checkpoint does not save,
 * away from its default, chosen by $ZDTM_NEG_MISC (the table below).  The
 * checkpoint must refuse it, naming it, and leave the process unharmed:
 * after the thaw the setting is still there.  A kernel (or a CPU) that
 * cannot set it gets DIR/skip.
 */
#include <sched.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "zdtm.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH	59
#define PR_SYS_DISPATCH_ON		1
#endif
#ifndef PR_FUTEX_HASH
#define PR_FUTEX_HASH			78
#endif

/* As struct sched_attr. */
struct attr {
	uint32_t	size, policy;
	uint64_t	flags;
	int32_t		nice;
	uint32_t	prio;
	uint64_t	runtime, deadline, period;
};

static char selector;	/* SYSCALL_DISPATCH_FILTER_ALLOW: 0 */

/* Set it: 0, or -1 with errno. */
static int set_tsc(void)
{
	return prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
}

static int get_tsc(void)
{
	int v = 0;

	return prctl(PR_GET_TSC, &v, 0, 0, 0) ? -1 : v == PR_TSC_SIGSEGV;
}

static int set_mce(void)
{
	return prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0);
}

static int get_mce(void)
{
	return prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) == PR_MCE_KILL_EARLY;
}

static int set_futex(void)
{
	return prctl(PR_FUTEX_HASH, 1 /* SET_SLOTS */, 4, 0, 0);
}

static int get_futex(void)
{
	return prctl(PR_FUTEX_HASH, 2 /* GET_SLOTS */, 0, 0, 0) == 4;
}

static int set_sud(void)
{
	return prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 1,
		     &selector);
}

static int get_sud(void)
{
	return 1;	/* ptrace only tells: its calls still go through */
}

static int set_deadline(void)
{
	struct attr a = { .size = sizeof(a), .policy = 6 /* DEADLINE */,
			  .runtime = 1000000, .deadline = 10000000,
			  .period = 10000000 };

	return syscall(SYS_sched_setattr, 0, &a, 0);
}

static int get_deadline(void)
{
	return sched_getscheduler(0) == 6;
}

static const struct {
	const char	*name;
	int		(*set)(void);
	int		(*get)(void);
} modes[] = {
	{ "tsc",	set_tsc,	get_tsc },
	{ "mce",	set_mce,	get_mce },
	{ "futex",	set_futex,	get_futex },
	{ "sud",	set_sud,	get_sud },
	{ "deadline",	set_deadline,	get_deadline },
};

int main(int argc, char **argv)
{
	const char *mode = getenv("ZDTM_NEG_MISC");
	char why[128];
	size_t i;

	zdtm_init(argc, argv);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (mode && !strcmp(mode, modes[i].name))
			break;
	if (i == sizeof(modes) / sizeof(modes[0]))
		zdtm_fail("ZDTM_NEG_MISC=%s: not a mode", mode ? mode : "");
	if (modes[i].set()) {
		snprintf(why, sizeof(why), "%s: cannot set it here: %s\n", mode,
			 strerror(errno));
		zdtm_put("skip", why);
		return 0;
	}
	zdtm_ready();
	zdtm_wait();
	if (modes[i].get() != 1)
		zdtm_fail("%s: the setting changed", mode);
	zdtm_pass();
}
