/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crfs-bench-mem: what its files share (see main.c for the program).
 *
 *   main.c     options, the single process, main()
 *   pattern.c  the patterns of pages and blocks, their checks, result files
 *   tree.c     -p PROCS: a root and its PROCS - 1 children
 *   threads.c  -t THREADS: one process of THREADS threads
 */
#ifndef CRFS_BENCH_MEM_H
#define CRFS_BENCH_MEM_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BM_PAGE		4096UL
#define BM_WORDS	(BM_PAGE / sizeof(uint64_t))
#define BM_BLOCK_WORDS	8192		/* 64 KiB in .data and on the heap */
#define BM_MAX_PROCS	256		/* -p, -t at most */
#define BM_WHY		256		/* a verdict line */

/* SIGUSR1 asked for a check (set by bm_on_usr1()). */
extern volatile sig_atomic_t bm_check_asked;

/* pattern.c */
uint64_t bm_page_seed(uint64_t page);
uint64_t bm_salt(unsigned int idx);
void bm_fill(uint64_t *mem, size_t pages, uint64_t salt);
int bm_check_pages(const uint64_t *mem, size_t first, size_t end,
		   uint64_t salt, char *why, size_t len);
void bm_fill_blocks(uint64_t salt);
int bm_check_blocks(uint64_t salt, char *why, size_t len);
int bm_publish(const char *path, const char *text);
int bm_read_text(const char *path, char *buf, size_t len);
void *bm_map_fill(size_t pages, uint64_t salt);
void bm_on_usr1(int sig);
void bm_catch_usr1(sigset_t *old);

/* tree.c */
int bm_tree(int procs, size_t pages, const char *ready, const char *result);

/* threads.c */
int bm_threads(int threads, size_t pages, const char *ready,
	       const char *result);

#endif /* CRFS_BENCH_MEM_H */
