// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench-mem: the process the benchmark checkpoints.
 *
 *   crfs-bench-mem MIB READY RESULT
 *
 * Maps MIB MiB of private anonymous memory and writes every word of every
 * page with a pattern that depends on the page and the word, fills a
 * block of its data segment and a block of its heap the same way, creates
 * READY (holding its pid), then sleeps.  On each SIGUSR1 it checks the
 * whole pattern, the two blocks and that getpid() is the pid it started
 * with, and writes "PASS <pages> pages pid <pid>" or "FAIL ..." to
 * RESULT.  A restored copy that lost or shuffled one page says so.
 *
 * It closes every descriptor but 0, 1 and 2 at start: a stray descriptor
 * inherited from a shell is not ours to checkpoint.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BM_PAGE		4096UL
#define BM_WORDS	(BM_PAGE / sizeof(uint64_t))

#define BM_BLOCK_WORDS	8192		/* 64 KiB in .data and on the heap */

static volatile sig_atomic_t bm_check_asked;
static uint64_t bm_data[BM_BLOCK_WORDS] = { 1 };	/* in .data, not .bss */
static uint64_t *bm_heap;
static pid_t bm_pid;

/* The value every word of page @page starts from: a 64-bit mix of @page. */
static inline uint64_t bm_page_seed(uint64_t page)
{
	uint64_t x = page + 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Write the pattern into every word of @pages pages at @mem. */
static void bm_fill(uint64_t *mem, size_t pages)
{
	for (size_t i = 0; i < pages; i++) {
		uint64_t seed = bm_page_seed(i);
		uint64_t *p = mem + i * BM_WORDS;

		for (size_t j = 0; j < BM_WORDS; j++)
			p[j] = seed + j;
	}
}

/* Fill a block of @words words at @p from @seed. */
static void bm_fill_block(uint64_t *p, size_t words, uint64_t seed)
{
	for (size_t j = 0; j < words; j++)
		p[j] = seed + j * 3;
}

/* Check a block filled by bm_fill_block(); say where it is wrong. */
static int bm_check_block(const uint64_t *p, size_t words, uint64_t seed,
			  const char *name, char *why, size_t len)
{
	for (size_t j = 0; j < words; j++) {
		if (p[j] == seed + j * 3)
			continue;
		snprintf(why, len, "FAIL %s word %zu: %#" PRIx64 " instead of %#"
			 PRIx64 "\n", name, j, p[j], seed + j * 3);
		return -1;
	}
	return 0;
}

/* Check the pattern, the blocks, the pid; say what is wrong into @why. */
static int bm_check(const uint64_t *mem, size_t pages, char *why, size_t len)
{
	pid_t now = getpid();

	if (now != bm_pid) {
		snprintf(why, len, "FAIL pid %d, started as %d\n", (int)now,
			 (int)bm_pid);
		return -1;
	}
	if (bm_check_block(bm_data, BM_BLOCK_WORDS, bm_page_seed(~0ULL), "data",
			   why, len) ||
	    bm_check_block(bm_heap, BM_BLOCK_WORDS, bm_page_seed(~1ULL), "heap",
			   why, len))
		return -1;
	for (size_t i = 0; i < pages; i++) {
		uint64_t seed = bm_page_seed(i);
		const uint64_t *p = mem + i * BM_WORDS;
		uint64_t bad = 0;

		for (size_t j = 0; j < BM_WORDS; j++)
			bad |= p[j] ^ (seed + j);
		if (!bad)
			continue;
		for (size_t j = 0; j < BM_WORDS; j++) {
			if (p[j] == seed + j)
				continue;
			snprintf(why, len, "FAIL page %zu word %zu: %#" PRIx64
				 " instead of %#" PRIx64 "\n", i, j, p[j],
				 seed + j);
			return -1;
		}
	}
	snprintf(why, len, "PASS %zu pages pid %d\n", pages, (int)now);
	return 0;
}

/* Write @text to a new file @path, whole, through a temporary name. */
static int bm_publish(const char *path, const char *text)
{
	char tmp[4096];
	size_t len = strlen(text);
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return -1;
	return rename(tmp, path);
}

static void bm_on_usr1(int sig)
{
	(void)sig;
	bm_check_asked = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = bm_on_usr1 };
	sigset_t block, old;
	char text[256];
	uint64_t *mem;
	size_t mib, pages;

	if (argc != 4) {
		fprintf(stderr, "usage: %s MIB READY RESULT\n", argv[0]);
		return EXIT_FAILURE;
	}
	syscall(SYS_close_range, 3U, ~0U, 0U);
	mib = strtoul(argv[1], NULL, 0);
	pages = mib * (1024 * 1024 / BM_PAGE);
	if (!pages) {
		fprintf(stderr, "crfs-bench-mem: %s: bad size\n", argv[1]);
		return EXIT_FAILURE;
	}
	mem = mmap(NULL, pages * BM_PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("crfs-bench-mem: mmap");
		return EXIT_FAILURE;
	}
	bm_fill(mem, pages);
	bm_heap = malloc(BM_BLOCK_WORDS * sizeof(uint64_t));
	if (!bm_heap) {
		perror("crfs-bench-mem: malloc");
		return EXIT_FAILURE;
	}
	bm_fill_block(bm_data, BM_BLOCK_WORDS, bm_page_seed(~0ULL));
	bm_fill_block(bm_heap, BM_BLOCK_WORDS, bm_page_seed(~1ULL));
	bm_pid = getpid();

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGUSR1, &sa, NULL);

	snprintf(text, sizeof(text), "%d\n", (int)getpid());
	if (bm_publish(argv[2], text) < 0) {
		perror("crfs-bench-mem: ready file");
		return EXIT_FAILURE;
	}
	for (;;) {
		while (!bm_check_asked)
			sigsuspend(&old);
		bm_check_asked = 0;
		bm_check(mem, pages, text, sizeof(text));
		if (bm_publish(argv[3], text) < 0)
			return EXIT_FAILURE;
	}
}
