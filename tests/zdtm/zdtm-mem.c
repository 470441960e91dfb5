// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-mem: memory contents and layout across a checkpoint.
 *
 *  - a 64 MiB private anonymous region: some pages carry a pattern, the
 *    others are never touched (holes: they must read back as zeros and
 *    should not come back resident);
 *  - parts of it made read-only and PROT_NONE after being written;
 *  - a separate region written then mprotect()ed read-only;
 *  - a private mapping of a file, some pages copied-on-write;
 *  - heap memory from malloc().
 * After SIGTERM the contents, the protections (/proc/self/maps) and the
 * file behind the private mapping (untouched) are checked.
 */
#include <sys/mman.h>

#include "zdtm.h"

#define PAGE		4096UL
#define BIG_PAGES	(64UL << 20) / PAGE
#define RO_FIRST	1024		/* pages [1024, 1536) of big: PROT_READ */
#define RO_LAST		1536
#define NONE_FIRST	2048		/* pages [2048, 2304): PROT_NONE */
#define NONE_LAST	2304
#define HOLE_FIRST	8192		/* pages [8192, 10240): never touched */
#define HOLE_LAST	10240
#define FILE_PAGES	16
#define ROREG_PAGES	64
#define HEAP_BYTES	(3UL << 20)

static char *big, *roreg, *fmap, *heap;
static char fpath[4096];
static int hole_baseline = 1;	/* holes were not resident before */

/* Pages with data: not in the hole, and three out of every eight. */
static int mem_touched(unsigned long pg)
{
	if (pg >= HOLE_FIRST && pg < HOLE_LAST)
		return 0;
	return pg % 8 < 3;
}

/* Is @pg of big resident? */
static int mem_resident(unsigned long pg)
{
	unsigned char v = 0;

	if (mincore(big + pg * PAGE, PAGE, &v))
		zdtm_fail("mincore page %lu: %s", pg, strerror(errno));
	return v & 1;
}

/* Find @addr in /proc/self/maps; check its permissions start with @perm. */
static void mem_check_maps(void *addr, const char *perm, const char *what)
{
	unsigned long a = (unsigned long)addr, start, end;
	char line[512], p[8];
	FILE *f = fopen("/proc/self/maps", "re");

	zdtm_check(!f, "open /proc/self/maps");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &start, &end, p) != 3)
			continue;
		if (a < start || a >= end)
			continue;
		fclose(f);
		if (strncmp(p, perm, strlen(perm)))
			zdtm_fail("%s at %#lx is %s, want %s", what, a, p, perm);
		return;
	}
	fclose(f);
	zdtm_fail("%s at %#lx is not mapped", what, a);
}

static void mem_build(void)
{
	unsigned long pg;
	char buf[PAGE];
	int fd, i;

	big = mmap(NULL, BIG_PAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	zdtm_check(big == MAP_FAILED, "mmap 64 MiB");
	/* No transparent huge pages: a hole must stay a hole. */
	madvise(big, BIG_PAGES * PAGE, MADV_NOHUGEPAGE);
	for (pg = 0; pg < BIG_PAGES; pg++)
		if (mem_touched(pg))
			zdtm_fill(big + pg * PAGE, PAGE, pg);
	zdtm_check(mprotect(big + RO_FIRST * PAGE, (RO_LAST - RO_FIRST) * PAGE,
			    PROT_READ), "mprotect RO part");
	zdtm_check(mprotect(big + NONE_FIRST * PAGE,
			    (NONE_LAST - NONE_FIRST) * PAGE, PROT_NONE),
		   "mprotect PROT_NONE part");
	for (pg = HOLE_FIRST; pg < HOLE_LAST; pg++)
		if (mem_resident(pg))
			hole_baseline = 0;

	roreg = mmap(NULL, ROREG_PAGES * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	zdtm_check(roreg == MAP_FAILED, "mmap RO region");
	zdtm_fill(roreg, ROREG_PAGES * PAGE, 777);
	zdtm_check(mprotect(roreg, ROREG_PAGES * PAGE, PROT_READ),
		   "mprotect RO region");

	zdtm_path(fpath, sizeof(fpath), "mem.file");
	fd = open(fpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	zdtm_check(fd < 0, "create mem.file");
	for (i = 0; i < FILE_PAGES; i++) {
		zdtm_fill(buf, PAGE, 5000 + i);
		zdtm_check(write(fd, buf, PAGE) != PAGE, "write mem.file");
	}
	fmap = mmap(NULL, FILE_PAGES * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE, fd, 0);
	zdtm_check(fmap == MAP_FAILED, "mmap mem.file");
	close(fd);
	/* Copy-on-write the odd pages; read the even ones. */
	for (i = 0; i < FILE_PAGES; i++) {
		if (i % 2)
			zdtm_fill(fmap + i * PAGE, PAGE, 6000 + i);
		else if (zdtm_cmp(fmap + i * PAGE, PAGE, 5000 + i) >= 0)
			zdtm_fail("mem.file page %d reads wrong", i);
	}

	heap = malloc(HEAP_BYTES);
	zdtm_check(!heap, "malloc");
	zdtm_fill(heap, HEAP_BYTES, 31337);
}

static void mem_verify(void)
{
	unsigned long pg;
	char buf[PAGE];
	long off;
	int fd, i;

	if (hole_baseline)
		for (pg = HOLE_FIRST; pg < HOLE_LAST; pg++)
			if (mem_resident(pg))
				zdtm_fail("hole page %lu is resident after restore",
					  pg);
	mem_check_maps(big, "rw-p", "RW part");
	mem_check_maps(big + RO_FIRST * PAGE, "r--p", "RO part");
	mem_check_maps(big + NONE_FIRST * PAGE, "---p", "PROT_NONE part");
	mem_check_maps(roreg, "r--p", "RO region");
	mem_check_maps(fmap, "rw-p", "private file mapping");
	zdtm_check(mprotect(big + NONE_FIRST * PAGE,
			    (NONE_LAST - NONE_FIRST) * PAGE, PROT_READ),
		   "mprotect PROT_NONE part back to read");
	for (pg = 0; pg < BIG_PAGES; pg++) {
		const char *p = big + pg * PAGE;

		if (mem_touched(pg)) {
			off = zdtm_cmp(p, PAGE, pg);
			if (off >= 0)
				zdtm_fail("64 MiB region page %lu differs at byte %ld",
					  pg, off);
		} else {
			for (off = 0; off < (long)PAGE; off++)
				if (p[off])
					zdtm_fail("untouched page %lu is not zero at byte %ld",
						  pg, off);
		}
	}
	off = zdtm_cmp(roreg, ROREG_PAGES * PAGE, 777);
	if (off >= 0)
		zdtm_fail("RO region differs at byte %ld", off);
	for (i = 0; i < FILE_PAGES; i++) {
		off = zdtm_cmp(fmap + i * PAGE, PAGE,
			       (i % 2 ? 6000 : 5000) + i);
		if (off >= 0)
			zdtm_fail("private file mapping page %d (%s) differs at byte %ld",
				  i, i % 2 ? "copied" : "file", off);
	}
	/* The copies were private: the file must hold its old bytes. */
	fd = open(fpath, O_RDONLY | O_CLOEXEC);
	zdtm_check(fd < 0, "reopen mem.file");
	for (i = 0; i < FILE_PAGES; i++) {
		zdtm_check(pread(fd, buf, PAGE, i * PAGE) != PAGE,
			   "read mem.file");
		if (zdtm_cmp(buf, PAGE, 5000 + i) >= 0)
			zdtm_fail("mem.file page %d was changed on disk", i);
	}
	close(fd);
	off = zdtm_cmp(heap, HEAP_BYTES, 31337);
	if (off >= 0)
		zdtm_fail("heap differs at byte %ld", off);
	/* Writable parts must still be writable. */
	big[0] = 1;
	fmap[0] = 1;
	heap[0] = 1;
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	mem_build();
	zdtm_ready();
	zdtm_wait();
	mem_verify();
	zdtm_pass();
}
