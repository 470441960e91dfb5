// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench-mem: the process the benchmark checkpoints.
 *
 *   crfs-bench-mem MIB READY RESULT
 *
 * Maps MIB MiB of private anonymous memory and writes every word of every
 * page with a pattern that depends on the page and the word, creates READY
 * (holding its pid), then sleeps.  On each SIGUSR1 it checks the whole
 * pattern and writes "PASS <pages>" or "FAIL page <n> word <n> ..." to
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

static volatile sig_atomic_t bm_check_asked;

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

/* Check the pattern; on the first bad word say where into @why. */
static int bm_check(const uint64_t *mem, size_t pages, char *why, size_t len)
{
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
	snprintf(why, len, "PASS %zu\n", pages);
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
