// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench-mem: the patterns.  Every word of every page gets a value
 * that depends on the page, the word and a salt (the process's index in
 * a tree, 0 for a single process), so that a lost, shuffled or swapped
 * page says so; a block of the data segment and one of the heap the
 * same.  And the result files, published whole through a new name.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mem.h"

volatile sig_atomic_t bm_check_asked;
static uint64_t bm_data[BM_BLOCK_WORDS] = { 1 };	/* in .data, not .bss */
static uint64_t *bm_heap;

/**
 * bm_page_seed() - the value every word of page @page starts from
 * @page: the page's index, salted
 *
 * Return: a 64-bit mix of @page.
 */
uint64_t bm_page_seed(uint64_t page)
{
	uint64_t x = page + 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/**
 * bm_salt() - the salt of the process of index @idx in a tree
 * @idx: 0 for the root (and for a single process)
 *
 * Return: what bm_fill() mixes into the page index.
 */
uint64_t bm_salt(unsigned int idx)
{
	return (uint64_t)idx << 40;
}

/**
 * bm_fill() - write the pattern into every word of @pages pages at @mem
 * @mem: the pages
 * @pages: how many
 * @salt: bm_salt() of the process
 */
void bm_fill(uint64_t *mem, size_t pages, uint64_t salt)
{
	for (size_t i = 0; i < pages; i++) {
		uint64_t seed = bm_page_seed(i ^ salt);
		uint64_t *p = mem + i * BM_WORDS;

		for (size_t j = 0; j < BM_WORDS; j++)
			p[j] = seed + j;
	}
}

/**
 * bm_check_pages() - check pages [@first, @end) of what bm_fill() wrote
 * @mem: the pages, from page 0
 * @first: the first page to check
 * @end: past the last
 * @salt: bm_salt() of the process
 * @why: "FAIL page N word N: ..." on a wrong word
 * @len: size of @why
 *
 * Return: 0, or -1 with @why said.
 */
int bm_check_pages(const uint64_t *mem, size_t first, size_t end,
		   uint64_t salt, char *why, size_t len)
{
	for (size_t i = first; i < end; i++) {
		uint64_t seed = bm_page_seed(i ^ salt);
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
	return 0;
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

/**
 * bm_fill_blocks() - fill the block in .data and the one on the heap
 * @salt: bm_salt() of the process (after a fork: the child's own)
 *
 * The heap block is allocated on the first call; exits on failure.
 */
void bm_fill_blocks(uint64_t salt)
{
	if (!bm_heap)
		bm_heap = malloc(BM_BLOCK_WORDS * sizeof(uint64_t));
	if (!bm_heap) {
		perror("crfs-bench-mem: malloc");
		exit(EXIT_FAILURE);
	}
	bm_fill_block(bm_data, BM_BLOCK_WORDS, bm_page_seed(~0ULL ^ salt));
	bm_fill_block(bm_heap, BM_BLOCK_WORDS, bm_page_seed(~1ULL ^ salt));
}

/**
 * bm_check_blocks() - check what bm_fill_blocks() wrote
 * @salt: the same salt
 * @why: "FAIL data|heap word N: ..." on a wrong word
 * @len: size of @why
 *
 * Return: 0, or -1 with @why said.
 */
int bm_check_blocks(uint64_t salt, char *why, size_t len)
{
	if (bm_check_block(bm_data, BM_BLOCK_WORDS, bm_page_seed(~0ULL ^ salt),
			   "data", why, len) ||
	    bm_check_block(bm_heap, BM_BLOCK_WORDS, bm_page_seed(~1ULL ^ salt),
			   "heap", why, len))
		return -1;
	return 0;
}

/**
 * bm_map_fill() - map @pages private anonymous pages and fill them
 * @pages: how many
 * @salt: bm_salt() of the process
 *
 * Return: the pages; exits on failure.
 */
void *bm_map_fill(size_t pages, uint64_t salt)
{
	uint64_t *mem = mmap(NULL, pages * BM_PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED) {
		perror("crfs-bench-mem: mmap");
		exit(EXIT_FAILURE);
	}
	bm_fill(mem, pages, salt);
	return mem;
}

/**
 * bm_publish() - write @text to a new file @path, whole, through a temporary name
 * @path: the file
 * @text: its text
 *
 * Return: 0, or -1 with errno set.
 */
int bm_publish(const char *path, const char *text)
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

/**
 * bm_read_text() - read a small file whole
 * @path: the file
 * @buf: its text, NUL-terminated
 * @len: size of @buf
 *
 * Return: 0, or -1 with errno set.
 */
int bm_read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/**
 * bm_on_usr1() - SIGUSR1: a check is asked for
 * @sig: SIGUSR1
 */
void bm_on_usr1(int sig)
{
	(void)sig;
	bm_check_asked = 1;
}

/**
 * bm_catch_usr1() - block SIGUSR1 and catch it with bm_on_usr1()
 * @old: the mask before, for sigsuspend()
 */
void bm_catch_usr1(sigset_t *old)
{
	struct sigaction sa = { .sa_handler = bm_on_usr1 };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, old);
	sigaction(SIGUSR1, &sa, NULL);
}
