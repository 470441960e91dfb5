// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-shmap: shared mappings across a checkpoint.
 *
 *  - a MAP_SHARED mapping of DIR/shared.file, written through the mapping
 *    before the checkpoint; after it, the mapping and the file must agree,
 *    a write through the mapping must reach the file and a write to the
 *    file must show in the mapping (still shared, not a private copy);
 *  - a shared anonymous mapping with a pattern (appears as
 *    "/dev/zero (deleted)" in maps: it is not a deleted file).
 */
#include <sys/mman.h>

#include "zdtm.h"

#define PAGE		4096UL
#define FILE_PAGES	8
#define ANON_PAGES	32

static char *fmap, *amap;
static char fpath[4096];

static void shm_build(void)
{
	int fd;

	zdtm_path(fpath, sizeof(fpath), "shared.file");
	fd = open(fpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	zdtm_check(fd < 0, "create shared.file");
	zdtm_check(ftruncate(fd, FILE_PAGES * PAGE), "ftruncate");
	fmap = mmap(NULL, FILE_PAGES * PAGE, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
	zdtm_check(fmap == MAP_FAILED, "mmap shared.file");
	close(fd);
	/* Pages 0-3 written before; 4-7 stay zero until after. */
	zdtm_fill(fmap, 4 * PAGE, 11);

	amap = mmap(NULL, ANON_PAGES * PAGE, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	zdtm_check(amap == MAP_FAILED, "mmap shared anonymous");
	zdtm_fill(amap, ANON_PAGES * PAGE, 22);
}

static void shm_verify(void)
{
	static char buf[FILE_PAGES * PAGE];
	long off;
	int fd, i;

	off = zdtm_cmp(fmap, 4 * PAGE, 11);
	if (off >= 0)
		zdtm_fail("shared file mapping differs at byte %ld", off);
	for (i = 4 * PAGE; i < (int)(FILE_PAGES * PAGE); i++)
		if (fmap[i])
			zdtm_fail("shared file mapping byte %d is not zero", i);
	fd = open(fpath, O_RDWR | O_CLOEXEC);
	zdtm_check(fd < 0, "reopen shared.file");
	zdtm_check(pread(fd, buf, sizeof(buf), 0) != sizeof(buf),
		   "read shared.file");
	if (memcmp(buf, fmap, sizeof(buf)))
		zdtm_fail("shared.file and its mapping disagree");

	/* After: write through the mapping, read the file. */
	zdtm_fill(fmap + 4 * PAGE, 4 * PAGE, 33);
	zdtm_check(msync(fmap, FILE_PAGES * PAGE, MS_SYNC), "msync");
	zdtm_check(pread(fd, buf, sizeof(buf), 0) != sizeof(buf),
		   "read shared.file");
	if (zdtm_cmp(buf + 4 * PAGE, 4 * PAGE, 33) >= 0)
		zdtm_fail("a write through the mapping did not reach the file: not shared");
	/* And the other way: write the file, read the mapping. */
	zdtm_check(pwrite(fd, "shared!", 7, 100) != 7, "pwrite shared.file");
	if (memcmp(fmap + 100, "shared!", 7))
		zdtm_fail("a write to the file does not show in the mapping: not shared");
	close(fd);

	off = zdtm_cmp(amap, ANON_PAGES * PAGE, 22);
	if (off >= 0)
		zdtm_fail("shared anonymous mapping differs at byte %ld", off);
	amap[0] ^= 1;
}

/* The shared mappings must still be shared ("s" in /proc/self/maps). */
static void shm_check_maps(void)
{
	unsigned long start, end;
	char line[512], perm[8];
	int seen = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	zdtm_check(!f, "open maps");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perm) != 3)
			continue;
		if ((unsigned long)fmap == start || (unsigned long)amap == start) {
			if (perm[3] != 's')
				zdtm_fail("mapping at %#lx is %s, not shared",
					  start, perm);
			if ((unsigned long)fmap == start &&
			    !strstr(line, "shared.file"))
				zdtm_fail("file mapping maps another file: %s",
					  line);
			seen++;
		}
	}
	fclose(f);
	if (seen != 2)
		zdtm_fail("shared mappings not found in maps (%d of 2)", seen);
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	shm_build();
	zdtm_ready();
	zdtm_wait();
	shm_check_maps();
	shm_verify();
	zdtm_pass();
}
