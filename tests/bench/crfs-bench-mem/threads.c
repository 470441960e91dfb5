// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench-mem -t THREADS: one process of THREADS threads (the main
 * thread and THREADS - 1 more) sharing MIB MiB of the pattern.  Each
 * thread has state of its own: its tid, a thread-local word (its TLS, by
 * the fs base), a block of its stack, all depending on its index.  The
 * threads other than the main one block SIGUSR1 and wait on a futex.
 *
 * On SIGUSR1 the main thread bumps the futex word and wakes them; each
 * thread, the main one too, checks its pid and tid, its TLS word, its
 * stack block and its share of the pages (together: every page), and
 * says so; the main thread waits for every answer and writes
 * "PASS <threads> threads <pages> pages pid <pid>" or the first FAIL to
 * RESULT.
 */
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"

#define BM_STACK_WORDS	512	/* 4 KiB of each thread's stack */
#define BM_THREAD_WAIT	30	/* s: the threads' answers, at most */

struct bm_thread {
	pthread_t	th;
	unsigned int	idx;
	pid_t		tid;		/* as started */
	char		why[BM_WHY];	/* its last verdict */
};

static struct bm_thread bm_thr[BM_MAX_PROCS];
static unsigned int bm_nthreads;
static size_t bm_pages;
static uint64_t *bm_mem;
static pid_t bm_pid;
static _Atomic uint32_t bm_gen;		/* futex: bumped to ask every thread */
static _Atomic uint32_t bm_done;	/* futex: threads that answered */
static _Atomic uint32_t bm_started;	/* futex: threads filled */
static __thread uint64_t bm_tls;

/* futex(FUTEX_WAIT) on @word while it is @val, at most @ms ms (0: forever). */
static void bm_futex_wait(_Atomic uint32_t *word, uint32_t val, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, ms ? &ts : NULL,
		NULL, 0);
}

/* futex(FUTEX_WAKE) every waiter on @word. */
static void bm_futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* The TLS word of thread @idx. */
static uint64_t bm_tls_value(unsigned int idx)
{
	return bm_page_seed(~2ULL ^ bm_salt(idx));
}

/* The first word of thread @idx's stack block. */
static uint64_t bm_stack_seed(unsigned int idx)
{
	return bm_page_seed(~3ULL ^ bm_salt(idx));
}

/* Give the calling thread @t its state: tid, TLS word, stack block. */
static void bm_thread_init(struct bm_thread *t, volatile uint64_t *stack)
{
	t->tid = gettid();
	bm_tls = bm_tls_value(t->idx);
	for (size_t j = 0; j < BM_STACK_WORDS; j++)
		stack[j] = bm_stack_seed(t->idx) + j * 5;
}

/* Thread @t checks its state and its share of the pages into t->why. */
static int bm_thread_check(struct bm_thread *t, const volatile uint64_t *stack)
{
	size_t first = bm_pages * t->idx / bm_nthreads;
	size_t end = bm_pages * (t->idx + 1) / bm_nthreads;
	uint64_t seed = bm_stack_seed(t->idx);
	char what[128];

	if (getpid() != bm_pid || gettid() != t->tid) {
		snprintf(t->why, BM_WHY, "FAIL thread %u: pid %d tid %d, started as %d %d\n",
			 t->idx, (int)getpid(), (int)gettid(), (int)bm_pid,
			 (int)t->tid);
		return -1;
	}
	if (bm_tls != bm_tls_value(t->idx)) {
		snprintf(t->why, BM_WHY, "FAIL thread %u tid %d: TLS word %#llx instead of %#llx\n",
			 t->idx, (int)t->tid, (unsigned long long)bm_tls,
			 (unsigned long long)bm_tls_value(t->idx));
		return -1;
	}
	for (size_t j = 0; j < BM_STACK_WORDS; j++) {
		if (stack[j] == seed + j * 5)
			continue;
		snprintf(t->why, BM_WHY, "FAIL thread %u tid %d: stack word %zu: %#llx instead of %#llx\n",
			 t->idx, (int)t->tid, j, (unsigned long long)stack[j],
			 (unsigned long long)(seed + j * 5));
		return -1;
	}
	if (bm_check_pages(bm_mem, first, end, 0, what, sizeof(what))) {
		snprintf(t->why, BM_WHY, "FAIL thread %u tid %d: %s", t->idx,
			 (int)t->tid, what + 5);
		return -1;
	}
	snprintf(t->why, BM_WHY, "PASS thread %u tid %d\n", t->idx, (int)t->tid);
	return 0;
}

/* A thread other than the main one: its state, then a check per bump. */
static void *bm_thread_main(void *arg)
{
	volatile uint64_t stack[BM_STACK_WORDS];
	struct bm_thread *t = arg;
	uint32_t seen = 0, gen;

	bm_thread_init(t, stack);
	bm_started++;
	bm_futex_wake(&bm_started);
	for (;;) {
		while ((gen = bm_gen) == seen)
			bm_futex_wait(&bm_gen, seen, 0);
		seen = gen;
		bm_thread_check(t, stack);
		bm_done++;
		bm_futex_wake(&bm_done);
	}
	return NULL;
}

/* The main thread's check: wake the others, check itself, collect. */
static void bm_threads_ask(const volatile uint64_t *stack, char *why,
			   size_t len)
{
	struct timespec ts;
	double end;
	uint32_t done;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec + BM_THREAD_WAIT;
	bm_done = 0;
	bm_gen++;
	bm_futex_wake(&bm_gen);
	bm_thread_check(&bm_thr[0], stack);
	while ((done = bm_done) < bm_nthreads - 1) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec > end) {
			snprintf(why, len, "FAIL %u of %u threads gave no verdict in %d s\n",
				 bm_nthreads - 1 - done, bm_nthreads - 1,
				 BM_THREAD_WAIT);
			return;
		}
		bm_futex_wait(&bm_done, done, 100);
	}
	for (unsigned int i = 0; i < bm_nthreads; i++) {
		if (strncmp(bm_thr[i].why, "PASS ", 5)) {
			snprintf(why, len, "%s", bm_thr[i].why);
			return;
		}
	}
	if (bm_check_blocks(0, why, len))
		return;
	snprintf(why, len, "PASS %u threads %zu pages pid %d\n", bm_nthreads,
		 bm_pages, (int)bm_pid);
}

/**
 * bm_threads() - be a process of @threads threads sharing @pages pages
 * @threads: threads in all, the main one included
 * @pages: pages of the process
 * @ready: READY, made when every thread has its state: the pid
 * @result: RESULT, written on each SIGUSR1
 *
 * Return: an exit status, on failure only.
 */
int bm_threads(int threads, size_t pages, const char *ready,
	       const char *result)
{
	volatile uint64_t stack[BM_STACK_WORDS];
	char text[BM_WHY];
	uint32_t n;
	sigset_t old;

	bm_nthreads = threads;
	bm_pages = pages;
	bm_pid = getpid();
	bm_mem = bm_map_fill(pages, 0);
	bm_fill_blocks(0);
	bm_catch_usr1(&old);		/* the threads inherit the block */
	bm_thread_init(&bm_thr[0], stack);
	for (int i = 1; i < threads; i++) {
		bm_thr[i].idx = i;
		if (pthread_create(&bm_thr[i].th, NULL, bm_thread_main,
				   &bm_thr[i])) {
			fprintf(stderr, "crfs-bench-mem: cannot start thread %d\n", i);
			return EXIT_FAILURE;
		}
	}
	while ((n = bm_started) < (uint32_t)threads - 1)
		bm_futex_wait(&bm_started, n, 0);

	snprintf(text, sizeof(text), "%d\n", (int)bm_pid);
	if (bm_publish(ready, text) < 0) {
		perror("crfs-bench-mem: ready file");
		return EXIT_FAILURE;
	}
	for (;;) {
		while (!bm_check_asked)
			sigsuspend(&old);
		bm_check_asked = 0;
		bm_threads_ask(stack, text, sizeof(text));
		if (bm_publish(result, text) < 0)
			return EXIT_FAILURE;
	}
}
