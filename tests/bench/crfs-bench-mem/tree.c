// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench-mem -p PROCS: a tree of PROCS processes, a root (the session
 * and group leader the bench started) and its PROCS - 1 children.  Each
 * maps MIB MiB and fills it, and its blocks, with a pattern salted by its
 * index, so that pages swapped between processes say so.  The children
 * say they are ready through a pipe, which every process closes before
 * READY exists: nothing is open but 0, 1 and 2.  READY holds every pid,
 * the root's first, one a line.
 *
 * On SIGUSR1 the root sends SIGUSR1 to each child; each child checks its
 * pid, its parent (the root), its group and session (the root's), its
 * blocks and its pages, and writes its verdict to RESULT.<index>; the
 * root checks itself the same way, collects the children's verdicts and
 * writes "PASS <procs> procs <pages> pages pid <pid>" or the first FAIL
 * to RESULT.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"

#define BM_TREE_WAIT	30	/* s: the children's verdicts, at most */

static pid_t bm_root;			/* the root's pid, as started */
static pid_t bm_kids[BM_MAX_PROCS];	/* [0]: the root; then the children */

/* Process @idx of the tree checks itself: ids, blocks, pages. */
static int bm_tree_check(unsigned int idx, pid_t self, const uint64_t *mem,
			 size_t pages, char *why, size_t len)
{
	pid_t parent = getppid(), group = getpgrp(), sess = getsid(0);
	uint64_t salt = bm_salt(idx);
	char what[128];

	if (getpid() != self) {
		snprintf(why, len, "FAIL proc %u: pid %d, started as %d\n", idx,
			 (int)getpid(), (int)self);
		return -1;
	}
	if (idx && parent != bm_root) {
		snprintf(why, len, "FAIL proc %u pid %d: parent %d, not %d\n",
			 idx, (int)self, (int)parent, (int)bm_root);
		return -1;
	}
	if (group != bm_root || sess != bm_root) {
		snprintf(why, len, "FAIL proc %u pid %d: group %d session %d, not %d\n",
			 idx, (int)self, (int)group, (int)sess, (int)bm_root);
		return -1;
	}
	if (bm_check_blocks(salt, what, sizeof(what)) ||
	    bm_check_pages(mem, 0, pages, salt, what, sizeof(what))) {
		snprintf(why, len, "FAIL proc %u pid %d: %s", idx, (int)self,
			 what + 5);
		return -1;
	}
	snprintf(why, len, "PASS %zu pages pid %d\n", pages, (int)self);
	return 0;
}

/* A child: fill, say ready on @wfd and close it, check on each SIGUSR1. */
static void bm_tree_child(unsigned int idx, size_t pages, int wfd,
			  const char *result, const sigset_t *old)
{
	char path[4096], text[BM_WHY];
	pid_t self = getpid();
	uint64_t *mem;

	mem = bm_map_fill(pages, bm_salt(idx));
	bm_fill_blocks(bm_salt(idx));
	if (write(wfd, "", 1) != 1)
		_exit(EXIT_FAILURE);
	close(wfd);
	snprintf(path, sizeof(path), "%s.%u", result, idx);
	for (;;) {
		while (!bm_check_asked)
			sigsuspend(old);
		bm_check_asked = 0;
		bm_tree_check(idx, self, mem, pages, text, sizeof(text));
		if (bm_publish(path, text) < 0)
			_exit(EXIT_FAILURE);
	}
}

/* Seconds on the monotonic clock. */
static double bm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The root's check: ask every child, check itself, collect the
 * children's verdicts from RESULT.<index>; the first FAIL, or PASS, in @why.
 */
static void bm_tree_ask(int procs, const uint64_t *mem, size_t pages,
			const char *result, char *why, size_t len)
{
	bool done[BM_MAX_PROCS] = { true };
	double end = bm_now() + BM_TREE_WAIT;
	char path[4096], text[BM_WHY];
	int left = procs - 1, bad;

	for (int i = 1; i < procs; i++) {
		snprintf(path, sizeof(path), "%s.%d", result, i);
		unlink(path);
	}
	for (int i = 1; i < procs; i++) {
		if (kill(bm_kids[i], SIGUSR1) < 0) {
			snprintf(why, len, "FAIL proc %d pid %d: %s\n", i,
				 (int)bm_kids[i], strerror(errno));
			return;
		}
	}
	bad = bm_tree_check(0, bm_root, mem, pages, why, len);
	while (left) {
		for (int i = 1; i < procs; i++) {
			if (done[i])
				continue;
			snprintf(path, sizeof(path), "%s.%d", result, i);
			if (waitpid(bm_kids[i], NULL, WNOHANG) == bm_kids[i]) {
				snprintf(why, len, "FAIL proc %d pid %d: exited\n",
					 i, (int)bm_kids[i]);
				return;
			}
			if (bm_read_text(path, text, sizeof(text)) < 0)
				continue;
			unlink(path);
			done[i] = true;
			left--;
			if (!bad && strncmp(text, "PASS ", 5)) {
				snprintf(why, len, "%s", text);
				bad = -1;
			}
		}
		if (left && bm_now() > end) {
			snprintf(why, len, "FAIL %d of %d children gave no verdict in %d s\n",
				 left, procs - 1, BM_TREE_WAIT);
			return;
		}
		if (left)
			usleep(1000);
	}
	if (!bad)
		snprintf(why, len, "PASS %d procs %zu pages pid %d\n", procs,
			 procs * pages, (int)bm_root);
}

/* Kill the children made so far and wait for them. */
static void bm_tree_abort(int made)
{
	for (int i = 1; i < made; i++)
		kill(bm_kids[i], SIGKILL);
	for (int i = 1; i < made; i++)
		waitpid(bm_kids[i], NULL, 0);
}

/**
 * bm_tree() - be the root of a tree of @procs processes
 * @procs: processes in all, the root included
 * @pages: pages of each
 * @ready: READY, made when every process is filled: every pid, one a line
 * @result: RESULT, written on each SIGUSR1
 *
 * Return: an exit status, on failure only.
 */
int bm_tree(int procs, size_t pages, const char *ready, const char *result)
{
	char text[BM_MAX_PROCS * 12 + BM_WHY], byte;
	int pfd[2], made, got = 0, off = 0;
	uint64_t *mem;
	sigset_t old;

	bm_root = bm_kids[0] = getpid();
	bm_catch_usr1(&old);
	if (pipe(pfd) < 0) {
		perror("crfs-bench-mem: pipe");
		return EXIT_FAILURE;
	}
	for (made = 1; made < procs; made++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("crfs-bench-mem: fork");
			bm_tree_abort(made);
			return EXIT_FAILURE;
		}
		if (!pid) {
			close(pfd[0]);
			bm_tree_child(made, pages, pfd[1], result, &old);
		}
		bm_kids[made] = pid;
	}
	close(pfd[1]);
	mem = bm_map_fill(pages, 0);
	bm_fill_blocks(0);
	while (got < procs - 1 && read(pfd[0], &byte, 1) == 1)
		got++;
	close(pfd[0]);
	if (got < procs - 1) {
		fprintf(stderr, "crfs-bench-mem: %d of %d children not ready\n",
			procs - 1 - got, procs - 1);
		bm_tree_abort(procs);
		return EXIT_FAILURE;
	}
	for (int i = 0; i < procs; i++)
		off += snprintf(text + off, sizeof(text) - off, "%d\n",
				(int)bm_kids[i]);
	if (bm_publish(ready, text) < 0) {
		perror("crfs-bench-mem: ready file");
		bm_tree_abort(procs);
		return EXIT_FAILURE;
	}
	for (;;) {
		while (!bm_check_asked)
			sigsuspend(&old);
		bm_check_asked = 0;
		bm_tree_ask(procs, mem, pages, result, text, sizeof(text));
		if (bm_publish(result, text) < 0)
			return EXIT_FAILURE;
	}
}
