// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench-mem: the process (or process tree) the benchmark checkpoints.
 *
 *   crfs-bench-mem [-p PROCS | -t THREADS] MIB READY RESULT
 *
 * Maps MIB MiB of private anonymous memory and writes every word of every
 * page with a pattern that depends on the page and the word, fills a
 * block of its data segment and a block of its heap the same way, creates
 * READY (holding its pid), then sleeps.  On each SIGUSR1 it checks the
 * whole pattern, the two blocks and that getpid() is the pid it started
 * with, and writes "PASS <pages> pages pid <pid>" or "FAIL ..." to
 * RESULT.  A restored copy that lost or shuffled one page says so.
 *
 * -p PROCS: a tree of PROCS processes, the root and its PROCS - 1
 * children, each with MIB MiB of its own pattern (tree.c); READY holds
 * every pid, the root's first.  -t THREADS: one process of THREADS
 * threads sharing the MIB MiB, each with state of its own (threads.c).
 *
 * It closes every descriptor but 0, 1 and 2 at start: a stray descriptor
 * inherited from a shell is not ours to checkpoint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mem.h"

static pid_t bm_pid;

/* Check the pattern, the blocks, the pid; say what is wrong into @why. */
static int bm_check(const uint64_t *mem, size_t pages, char *why, size_t len)
{
	pid_t now = getpid();

	if (now != bm_pid) {
		snprintf(why, len, "FAIL pid %d, started as %d\n", (int)now,
			 (int)bm_pid);
		return -1;
	}
	if (bm_check_blocks(0, why, len) ||
	    bm_check_pages(mem, 0, pages, 0, why, len))
		return -1;
	snprintf(why, len, "PASS %zu pages pid %d\n", pages, (int)now);
	return 0;
}

/* The single process: fill, say ready, check on each SIGUSR1. */
static int bm_single(size_t pages, const char *ready, const char *result)
{
	char text[BM_WHY];
	uint64_t *mem;
	sigset_t old;

	mem = bm_map_fill(pages, 0);
	bm_fill_blocks(0);
	bm_pid = getpid();
	bm_catch_usr1(&old);

	snprintf(text, sizeof(text), "%d\n", (int)getpid());
	if (bm_publish(ready, text) < 0) {
		perror("crfs-bench-mem: ready file");
		return EXIT_FAILURE;
	}
	for (;;) {
		while (!bm_check_asked)
			sigsuspend(&old);
		bm_check_asked = 0;
		bm_check(mem, pages, text, sizeof(text));
		if (bm_publish(result, text) < 0)
			return EXIT_FAILURE;
	}
}

/* Say how to call us and leave. */
static void bm_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-p PROCS | -t THREADS] MIB READY RESULT\n",
		prog);
	exit(EXIT_FAILURE);
}

int main(int argc, char **argv)
{
	int c, procs = 0, threads = 0;
	size_t mib, pages;

	syscall(SYS_close_range, 3U, ~0U, 0U);
	while ((c = getopt(argc, argv, "+p:t:")) != -1) {
		switch (c) {
		case 'p': procs = atoi(optarg); break;
		case 't': threads = atoi(optarg); break;
		default: bm_usage(argv[0]);
		}
	}
	if (argc - optind != 3 || procs < 0 || threads < 0 ||
	    (procs && threads) || procs > BM_MAX_PROCS ||
	    threads > BM_MAX_PROCS)
		bm_usage(argv[0]);
	argv += optind;
	mib = strtoul(argv[0], NULL, 0);
	pages = mib * (1024 * 1024 / BM_PAGE);
	if (!pages) {
		fprintf(stderr, "crfs-bench-mem: %s: bad size\n", argv[0]);
		return EXIT_FAILURE;
	}
	if (procs)
		return bm_tree(procs, pages, argv[1], argv[2]);
	if (threads)
		return bm_threads(threads, pages, argv[1], argv[2]);
	return bm_single(pages, argv[1], argv[2]);
}
