// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-shmzap: shared anonymous memory is an object, not its mapping.
 *
 * A MAP_SHARED | MAP_ANONYMOUS mapping of 64 pages, all written:
 *  - pages 8-23 are then zapped by MADV_DONTNEED: no longer mapped in
 *    the process (pagemap shows nothing), but their data is still in the
 *    shared memory object and comes back at the next touch;
 *  - pages 40-47 were never touched through the mapping: they were
 *    written into the object through /proc/self/map_files, as another
 *    process sharing it would (a second opener of the same object);
 *  - pages 56-63 hold zeros and were never written at all.
 * After restore: every page holds what the object held, and writes still
 * go to one object (the mapping and map_files agree).
 */
#include <sys/mman.h>

#include "zdtm.h"

#define PAGE		4096UL
#define PAGES		64

static char *map;

/* Open the object behind the mapping through /proc/self/map_files. */
static int shm_open_object(void)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)map, (unsigned long)map + PAGES * PAGE);
	fd = open(path, O_RDWR | O_CLOEXEC);
	zdtm_check(fd < 0, "open map_files");
	return fd;
}

/* Is page @i of the mapping present in our page tables? */
static int shm_present(int i)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	zdtm_check(fd < 0, "open pagemap");
	zdtm_check(pread(fd, &ent, 8, ((unsigned long)map / PAGE + i) * 8) != 8,
		   "read pagemap");
	close(fd);
	return !!(ent >> 63);
}

static void shm_build(void)
{
	int fd, i;

	map = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	zdtm_check(map == MAP_FAILED, "mmap shared anonymous");
	zdtm_fill(map, 40 * PAGE, 71);
	zdtm_fill(map + 48 * PAGE, 8 * PAGE, 73);
	zdtm_check(madvise(map + 8 * PAGE, 16 * PAGE, MADV_DONTNEED),
		   "madvise MADV_DONTNEED");
	fd = shm_open_object();
	{
		static char buf[8 * PAGE];

		zdtm_fill(buf, sizeof(buf), 72);
		zdtm_check(pwrite(fd, buf, sizeof(buf), 40 * PAGE) !=
			   sizeof(buf), "pwrite the object");
	}
	close(fd);
	/* The premise: zapped and foreign pages are not mapped here. */
	for (i = 8; i < 24; i++)
		if (shm_present(i))
			zdtm_fail("page %d still mapped after MADV_DONTNEED", i);
	for (i = 40; i < 48; i++)
		if (shm_present(i))
			zdtm_fail("page %d mapped though never touched", i);
}

static void shm_verify(void)
{
	char buf[8];
	long off;
	int fd, i;

	off = zdtm_cmp(map, 40 * PAGE, 71);
	if (off >= 0)
		zdtm_fail("pages 0-39 differ at byte %ld%s", off,
			  off >= 8 * (long)PAGE && off < 24 * (long)PAGE ?
			  " (a page zapped by MADV_DONTNEED)" : "");
	off = zdtm_cmp(map + 40 * PAGE, 8 * PAGE, 72);
	if (off >= 0)
		zdtm_fail("pages written through the object differ at byte %ld",
			  off + 40 * (long)PAGE);
	off = zdtm_cmp(map + 48 * PAGE, 8 * PAGE, 73);
	if (off >= 0)
		zdtm_fail("pages 48-55 differ at byte %ld",
			  off + 48 * (long)PAGE);
	for (i = 56 * PAGE; i < (int)(PAGES * PAGE); i++)
		if (map[i])
			zdtm_fail("never-written byte %d is not zero", i);
	/* Still one object: a write through it shows in the mapping. */
	fd = shm_open_object();
	zdtm_check(pwrite(fd, "object!", 7, 60 * PAGE + 5) != 7,
		   "pwrite the object after");
	if (memcmp(map + 60 * PAGE + 5, "object!", 7))
		zdtm_fail("a write to the object does not show in the mapping");
	memcpy(map + 3 * PAGE, "mapping", 7);
	zdtm_check(pread(fd, buf, 7, 3 * PAGE) != 7, "pread the object");
	if (memcmp(buf, "mapping", 7))
		zdtm_fail("a write to the mapping does not reach the object");
	close(fd);
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	shm_build();
	zdtm_ready();
	zdtm_wait();
	shm_verify();
	zdtm_pass();
}
