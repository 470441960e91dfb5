// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-threads: 32 threads, each with its own TLS, mask, name, alternate
 * stack, nice value (one SCHED_RR), CPU affinity, rseq area, a signal of
 * its own pending, and blocked in its own way: in FUTEX_WAIT, in a
 * nanosleep() loop, in sigwaitinfo(), or computing in its registers.
 * After the restore each one checks its own state, and the main thread
 * joins them all (which needs each thread's clear_child_tid back) within
 * a deadline.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/resource.h>
#include <time.h>

#include "zdtm.h"

#define NR_THREADS	32
#define SIG_PEND	(SIGRTMIN + 1)	/* pending on each thread */
#define SIG_WAKE	(SIGRTMIN + 10)	/* wakes the sigwaitinfo() ones */
#define ALT_SIZE	(64 * 1024)
#define RT_THREAD	29	/* SCHED_RR, in nanosleep() */

enum kind { K_FUTEX, K_SLEEP, K_SIGWAIT, K_SPIN, K_NR };

struct slot {
	pthread_t	th;
	pid_t		tid;
	char		why[160];	/* empty: passed */
	atomic_int	done;
	unsigned long	spins;
};

static struct slot slots[NR_THREADS];
static atomic_int nr_ready;
static atomic_int go;		/* also the futex word */
static __thread unsigned long tls_word;
static char altstacks[NR_THREADS][ALT_SIZE];

/* The mask thread @k keeps. */
static void thread_mask(int k, sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIG_PEND);
	sigaddset(set, SIGRTMIN + 2 + k % 8);
	if (k % K_NR == K_SIGWAIT)
		sigaddset(set, SIG_WAKE);
}

/* The CPU thread @k is bound to: one of those online, in turn. */
static cpu_set_t *thread_cpus(int k, cpu_set_t *set)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(set);
	CPU_SET(n > 0 ? k % n : 0, set);
	return set;
}

/* The nice value of thread @k. */
static int thread_nice(int k)
{
	return k % 5;
}

#define BAD(...) do { snprintf(s->why, sizeof(s->why), __VA_ARGS__); \
		      return; } while (0)

/* Thread @k's own state, checked after the restore. */
static void thread_check(int k, struct slot *s)
{
	sigset_t want, got;
	stack_t ss;
	siginfo_t si;
	struct timespec zero = { 0, 0 };
	char name[16], exp[16];
	unsigned long fs = 0;

	if (tls_word != 0x1000u + k)
		BAD("TLS word %#lx, not %#x", tls_word, 0x1000 + k);
	if (syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &fs) ||
	    fs != (unsigned long)pthread_self())
		BAD("fs base %#lx, not %#lx", fs, (unsigned long)pthread_self());
	if (gettid() != s->tid)
		BAD("tid %d, not %d", gettid(), s->tid);
	thread_mask(k, &want);
	pthread_sigmask(SIG_BLOCK, NULL, &got);
	for (int sig = 1; sig < SIGRTMAX; sig++)
		if (sigismember(&want, sig) != sigismember(&got, sig))
			BAD("signal %d %sblocked", sig,
			    sigismember(&got, sig) ? "" : "not ");
	prctl(PR_GET_NAME, name);
	snprintf(exp, sizeof(exp), "zt-%02d", k);
	if (strcmp(name, exp))
		BAD("name %s, not %s", name, exp);
	if (sigaltstack(NULL, &ss) || ss.ss_sp != altstacks[k] ||
	    ss.ss_size != ALT_SIZE || ss.ss_flags)
		BAD("alternate stack %p+%zu flags %d, not %p+%d", ss.ss_sp,
		    ss.ss_size, ss.ss_flags, (void *)altstacks[k], ALT_SIZE);
	errno = 0;
	if (getpriority(PRIO_PROCESS, 0) != thread_nice(k) || errno)
		BAD("nice %d, not %d", getpriority(PRIO_PROCESS, 0),
		    thread_nice(k));
	{
		cpu_set_t got, exp;

		if (pthread_getaffinity_np(pthread_self(), sizeof(got), &got) ||
		    !CPU_EQUAL(&got, thread_cpus(k, &exp)))
			BAD("CPU affinity of %d CPUs, not the one it had",
			    CPU_COUNT(&got));
	}
	/* A registered area is written again when the thread is scheduled. */
	if (__rseq_size) {
		struct rseq *rs = (void *)((char *)__builtin_thread_pointer() +
					   __rseq_offset);
		struct timespec ms = { 0, 1000 * 1000 };
		int tries;

		/*
		 * A sleep whose timer expired before it went to sleep (a
		 * loaded machine, a VM) returns without being scheduled out,
		 * and nothing writes the area: sleep again, up to a second.
		 */
		rs->cpu_id = (uint32_t)-5;
		for (tries = 0; tries < 1000 && (int32_t)rs->cpu_id < 0; tries++)
			nanosleep(&ms, NULL);
		if ((int32_t)rs->cpu_id < 0)
			BAD("rseq area not registered: cpu_id %d",
			    (int32_t)rs->cpu_id);
	}
	if (k == RT_THREAD) {
		struct sched_param sp;
		int pol;

		if (pthread_getschedparam(pthread_self(), &pol, &sp) ||
		    pol != SCHED_RR || sp.sched_priority != 5)
			BAD("policy %d priority %d, not SCHED_RR 5", pol,
			    sp.sched_priority);
	}
	sigemptyset(&want);
	sigaddset(&want, SIG_PEND);
	if (sigtimedwait(&want, &si, &zero) != SIG_PEND)
		BAD("its pending signal is gone: %s", strerror(errno));
	if (si.si_code != SI_QUEUE || si.si_value.sival_int != k)
		BAD("pending signal with code %d value %d, not %d %d",
		    si.si_code, si.si_value.sival_int, SI_QUEUE, k);
	if (sigtimedwait(&want, &si, &zero) >= 0)
		BAD("a second pending signal, value %d", si.si_value.sival_int);
}

/* Wait in the way of thread @k until the main thread says go. */
static void thread_block(int k, struct slot *s)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	sigset_t wake;
	uint64_t x = k + 1, y = k + 1;

	sigemptyset(&wake);
	sigaddset(&wake, SIG_WAKE);
	switch (k % K_NR) {
	case K_FUTEX:
		while (!atomic_load(&go))
			syscall(SYS_futex, &go, FUTEX_WAIT_PRIVATE, 0, NULL,
				NULL, 0);
		break;
	case K_SLEEP:
		while (!atomic_load(&go))
			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
		break;
	case K_SIGWAIT:
		/* The freezer and ptrace stops make it return EINTR. */
		while (sigwaitinfo(&wake, NULL) != SIG_WAKE)
			if (errno != EINTR)
				BAD("sigwaitinfo: %s", strerror(errno));
		break;
	case K_SPIN:
		/* Two copies of one sequence in registers must agree. */
		while (!atomic_load_explicit(&go, memory_order_relaxed)) {
			__asm__ volatile("" : "+r"(x), "+r"(y));
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			y = y * 6364136223846793005ULL + 1442695040888963407ULL;
			if (x != y)
				BAD("registers differ: %#llx %#llx",
				    (unsigned long long)x,
				    (unsigned long long)y);
			s->spins++;
		}
		break;
	}
}

static void *thread_main(void *arg)
{
	int k = (int)(long)arg;
	struct slot *s = &slots[k];
	char name[16];
	sigset_t set;
	stack_t ss = { .ss_sp = altstacks[k], .ss_size = ALT_SIZE };
	union sigval v = { .sival_int = k };
	cpu_set_t cpus;
	int err;

	s->tid = gettid();
	tls_word = 0x1000u + k;
	thread_mask(k, &set);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	snprintf(name, sizeof(name), "zt-%02d", k);
	prctl(PR_SET_NAME, name);
	if (sigaltstack(&ss, NULL) ||
	    setpriority(PRIO_PROCESS, 0, thread_nice(k)) ||
	    pthread_sigqueue(pthread_self(), SIG_PEND, v)) {
		snprintf(s->why, sizeof(s->why), "setup: %s", strerror(errno));
		atomic_fetch_add(&nr_ready, 1);
		return NULL;
	}
	err = pthread_setaffinity_np(pthread_self(), sizeof(cpu_set_t),
				     thread_cpus(k, &cpus));
	if (err)
		snprintf(s->why, sizeof(s->why), "affinity: %s",
			 strerror(err));
	if (k == RT_THREAD) {
		struct sched_param sp = { .sched_priority = 5 };
		err = pthread_setschedparam(pthread_self(), SCHED_RR, &sp);

		if (err)
			snprintf(s->why, sizeof(s->why), "SCHED_RR: %s",
				 strerror(err));
	}
	atomic_fetch_add(&nr_ready, 1);
	thread_block(k, s);
	if (!s->why[0])
		thread_check(k, s);
	atomic_store(&s->done, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 1000 * 1000 }, dl;

	zdtm_init(argc, argv);
	for (long k = 0; k < NR_THREADS; k++)
		zdtm_check(errno = pthread_create(&slots[k].th, NULL,
						  thread_main, (void *)k),
			   "pthread_create");
	while (atomic_load(&nr_ready) < NR_THREADS)
		nanosleep(&ts, NULL);
	for (int k = K_SPIN; k < NR_THREADS; k += K_NR)
		while (!slots[k].spins)
			nanosleep(&ts, NULL);
	zdtm_ready();
	zdtm_wait();

	atomic_store(&go, 1);
	syscall(SYS_futex, &go, FUTEX_WAKE_PRIVATE, NR_THREADS, NULL, NULL, 0);
	for (int k = K_SIGWAIT; k < NR_THREADS; k += K_NR)
		pthread_kill(slots[k].th, SIG_WAKE);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	for (int k = 0; k < NR_THREADS; k++) {
		int err = pthread_timedjoin_np(slots[k].th, NULL, &dl);

		if (err)
			zdtm_fail("thread %d (tid %d, done %d): join: %s", k,
				  slots[k].tid, atomic_load(&slots[k].done),
				  strerror(err));
		if (slots[k].why[0])
			zdtm_fail("thread %d: %s", k, slots[k].why);
	}
	zdtm_pass();
}
