// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-signals: signal state across a checkpoint.
 *
 *  - SIGUSR1: SA_SIGINFO | SA_RESTART handler, sa_mask {SIGUSR2, SIGHUP};
 *  - SIGUSR2: SA_ONSTACK handler, run on an alternate signal stack;
 *  - SIGHUP ignored, SIGALRM: SA_NODEFER | SA_RESETHAND handler;
 *  - blocked: SIGUSR1, SIGRTMIN+2, SIGWINCH (and SIGTERM, zdtm.h's);
 *  - pending and blocked: SIGUSR1 from sigqueue() with a value, and
 *    SIGRTMIN+2 queued twice with two values.
 * After SIGTERM: the dispositions, the mask, the pending set and the
 * alternate stack are checked, then the signals are unblocked and each
 * must arrive exactly once, with its value, in queue order.
 */
#include <sys/mman.h>

#include "zdtm.h"

#define USR1_VALUE	0x12345678
#define RT_VALUE1	101
#define RT_VALUE2	102
#define ALT_SIZE	(64 * 1024)

static volatile int usr1_count, usr1_value, usr1_code, usr1_pid;
static volatile int usr1_masked_ok;
static volatile int rt_count, rt_values[4];
static volatile int usr2_count, usr2_on_altstack;
static volatile int alrm_count;
static char *altstack;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	sigset_t cur;

	(void)sig;
	(void)uc;
	usr1_count++;
	usr1_value = si->si_value.sival_int;
	usr1_code = si->si_code;
	usr1_pid = si->si_pid;
	/* sa_mask must be in force inside the handler. */
	sigprocmask(SIG_BLOCK, NULL, &cur);
	usr1_masked_ok = sigismember(&cur, SIGUSR2) &&
			 sigismember(&cur, SIGHUP);
}

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (rt_count < 4)
		rt_values[rt_count] = si->si_value.sival_int;
	rt_count++;
}

static void on_usr2(int sig)
{
	char here;

	(void)sig;
	usr2_count++;
	usr2_on_altstack = &here >= altstack && &here < altstack + ALT_SIZE;
}

static void on_alrm(int sig)
{
	(void)sig;
	alrm_count++;
}

/* The table of dispositions this test sets and checks. */
static struct sig_case {
	int		signo;
	void		*handler;	/* SIG_IGN or a function */
	int		flags;
	int		mask[3];	/* signals in sa_mask, 0-terminated */
} sig_cases[] = {
	{ SIGUSR1, on_usr1, SA_SIGINFO | SA_RESTART, { SIGUSR2, SIGHUP } },
	{ SIGUSR2, on_usr2, SA_ONSTACK, { 0 } },
	{ SIGHUP, SIG_IGN, 0, { 0 } },
	{ SIGALRM, on_alrm, SA_NODEFER | SA_RESETHAND, { 0 } },
	{ 0, on_rt, SA_SIGINFO, { SIGINT } },	/* SIGRTMIN + 2 */
};

#define NR_CASES	(sizeof(sig_cases) / sizeof(sig_cases[0]))
#define SIG_FLAGS_CMP	(SA_SIGINFO | SA_RESTART | SA_ONSTACK | SA_NODEFER | \
			 SA_RESETHAND | SA_NOCLDSTOP)

static void sig_build(void)
{
	struct sigaction sa;
	union sigval v;
	sigset_t set;
	stack_t ss;
	unsigned int i;
	int j;

	sig_cases[NR_CASES - 1].signo = SIGRTMIN + 2;
	for (i = 0; i < NR_CASES; i++) {
		struct sig_case *c = &sig_cases[i];

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = c->handler;
		sa.sa_flags = c->flags;
		sigemptyset(&sa.sa_mask);
		for (j = 0; j < 3 && c->mask[j]; j++)
			sigaddset(&sa.sa_mask, c->mask[j]);
		if (sigaction(c->signo, &sa, NULL))
			zdtm_fail("sigaction %d: %s", c->signo, strerror(errno));
	}

	altstack = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	zdtm_check(altstack == MAP_FAILED, "mmap altstack");
	ss.ss_sp = altstack;
	ss.ss_size = ALT_SIZE;
	ss.ss_flags = 0;
	zdtm_check(sigaltstack(&ss, NULL), "sigaltstack");

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN + 2);
	sigaddset(&set, SIGWINCH);
	zdtm_check(sigprocmask(SIG_BLOCK, &set, NULL), "sigprocmask");

	v.sival_int = USR1_VALUE;
	zdtm_check(sigqueue(getpid(), SIGUSR1, v), "sigqueue SIGUSR1");
	v.sival_int = RT_VALUE1;
	zdtm_check(sigqueue(getpid(), SIGRTMIN + 2, v), "sigqueue RT 1");
	v.sival_int = RT_VALUE2;
	zdtm_check(sigqueue(getpid(), SIGRTMIN + 2, v), "sigqueue RT 2");
}

static void sig_verify_state(void)
{
	struct sigaction sa;
	sigset_t set;
	stack_t ss;
	unsigned int i;
	int j, s;

	for (i = 0; i < NR_CASES; i++) {
		struct sig_case *c = &sig_cases[i];

		zdtm_check(sigaction(c->signo, NULL, &sa), "sigaction query");
		if ((void *)sa.sa_handler != c->handler)
			zdtm_fail("signal %d: handler %p, want %p", c->signo,
				  (void *)sa.sa_handler, c->handler);
		if ((int)(sa.sa_flags & SIG_FLAGS_CMP) != c->flags)
			zdtm_fail("signal %d: flags %#x, want %#x", c->signo,
				  sa.sa_flags & SIG_FLAGS_CMP, c->flags);
		for (s = 1; s < NSIG; s++) {
			int want = 0;

			for (j = 0; j < 3 && c->mask[j]; j++)
				want |= c->mask[j] == s;
			if (sigismember(&sa.sa_mask, s) != want)
				zdtm_fail("signal %d: sa_mask has %d %s", c->signo,
					  s, want ? "missing" : "extra");
		}
	}

	zdtm_check(sigprocmask(SIG_BLOCK, NULL, &set), "sigprocmask query");
	for (s = 1; s < NSIG; s++) {
		int want = s == SIGUSR1 || s == SIGRTMIN + 2 ||
			   s == SIGWINCH || s == SIGTERM;

		if (sigismember(&set, s) != want)
			zdtm_fail("blocked mask: signal %d %s", s,
				  want ? "not blocked" : "blocked");
	}

	zdtm_check(sigpending(&set), "sigpending");
	for (s = 1; s < NSIG; s++) {
		int want = s == SIGUSR1 || s == SIGRTMIN + 2;

		if (sigismember(&set, s) != want)
			zdtm_fail("pending set: signal %d %s", s,
				  want ? "not pending" : "pending");
	}

	zdtm_check(sigaltstack(NULL, &ss), "sigaltstack query");
	if (ss.ss_sp != altstack || ss.ss_size != ALT_SIZE || ss.ss_flags)
		zdtm_fail("altstack is %p/%zu/%#x, want %p/%d/0", ss.ss_sp,
			  ss.ss_size, ss.ss_flags, altstack, ALT_SIZE);
}

static void sig_verify_delivery(void)
{
	sigset_t set;

	if (usr1_count || rt_count || usr2_count || alrm_count)
		zdtm_fail("a handler ran before unblocking (usr1 %d rt %d usr2 %d alrm %d)",
			  usr1_count, rt_count, usr2_count, alrm_count);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN + 2);
	zdtm_check(sigprocmask(SIG_UNBLOCK, &set, NULL), "unblock");

	if (usr1_count != 1)
		zdtm_fail("SIGUSR1 delivered %d times, want once", usr1_count);
	if (usr1_value != USR1_VALUE || usr1_code != SI_QUEUE ||
	    usr1_pid != getpid())
		zdtm_fail("SIGUSR1 siginfo: value %#x code %d pid %d, want %#x %d %d",
			  usr1_value, usr1_code, usr1_pid, USR1_VALUE, SI_QUEUE,
			  getpid());
	if (!usr1_masked_ok)
		zdtm_fail("SIGUSR1 handler ran without its sa_mask");
	if (rt_count != 2)
		zdtm_fail("SIGRTMIN+2 delivered %d times, want 2", rt_count);
	if (rt_values[0] != RT_VALUE1 || rt_values[1] != RT_VALUE2)
		zdtm_fail("SIGRTMIN+2 values %d, %d, want %d, %d",
			  rt_values[0], rt_values[1], RT_VALUE1, RT_VALUE2);

	raise(SIGUSR2);
	if (usr2_count != 1 || !usr2_on_altstack)
		zdtm_fail("SIGUSR2: ran %d times, on altstack %d", usr2_count,
			  usr2_on_altstack);
	raise(SIGALRM);
	if (alrm_count != 1)
		zdtm_fail("SIGALRM ran %d times", alrm_count);
	/* SA_RESETHAND: the disposition is back to default. */
	{
		struct sigaction sa;

		sigaction(SIGALRM, NULL, &sa);
		if (sa.sa_handler != SIG_DFL)
			zdtm_fail("SIGALRM not reset after SA_RESETHAND");
	}
	/* Nothing else may come later. */
	zdtm_check(sigpending(&set), "sigpending");
	if (sigismember(&set, SIGUSR1) || sigismember(&set, SIGRTMIN + 2))
		zdtm_fail("a signal is still pending after delivery");
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	sig_build();
	zdtm_ready();
	zdtm_wait();
	sig_verify_state();
	sig_verify_delivery();
	zdtm_pass();
}
