// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-vmflags: every mapping comes back with the VmFlags it had.
 *
 * Mappings with what a process can set on them: MAP_NORESERVE (nr),
 * MAP_DROPPABLE (dp), the madvise() flags (dc dd wf hg nh mg sr rr), a
 * guard region installed and removed again (gu, Linux 6.18), mlock (lo)
 * and mlock2(MLOCK_ONFAULT) (lo lf), a private mapping charged to the
 * commit limit though read-only now (ac: writable once), one never
 * charged (PROT_NONE, not ac) holding data, a large PROT_NONE
 * reservation, 64 GiB of shared anonymous memory MAP_NORESERVE in two
 * mappings of one object, and names of anonymous memory
 * (PR_SET_VMA_ANON_NAME, where the kernel has CONFIG_ANON_VMA_NAME).
 * Before the checkpoint the program records its whole /proc/self/smaps
 * (range, protection, name, VmFlags) and after the restore compares
 * every line of it: the same mappings, the same names, the same VmFlags.
 */
#include <sys/mman.h>
#include <sys/prctl.h>

#include "zdtm.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA		0x53564d41
#define PR_SET_VMA_ANON_NAME	0
#endif
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE		0x08
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102
#define MADV_GUARD_REMOVE	103
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT		1
#endif

#define PAGE		4096UL
#define MAX_MAPS	256

/* One mapping as smaps shows it. */
struct vmf {
	unsigned long	start, end;
	char		head[512];	/* the maps line without the inode */
	char		flags[512];	/* VmFlags */
};

static struct vmf before[MAX_MAPS];
static int nr_before;
static char *data_none, *data_ro;

/* Trim @s, a VmFlags value (the kernel prints its mnemonics in one order). */
static void vmf_norm(char *s)
{
	char *p = s + strspn(s, " ");

	memmove(s, p, strlen(p) + 1);
	s[strcspn(s, "\n")] = '\0';
	while (*s && s[strlen(s) - 1] == ' ')
		s[strlen(s) - 1] = '\0';
}

/* Read /proc/self/smaps into @v: range, maps line and VmFlags of each. */
static int vmf_read(struct vmf *v)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/smaps", "re");

	zdtm_check(!f, "open smaps");
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8], name[256] = "";
		unsigned long long off;
		unsigned int maj, min;
		unsigned long ino;

		if (!strncmp(line, "VmFlags:", 8)) {
			if (n) {
				snprintf(v[n - 1].flags, sizeof(v->flags), "%s",
					 line + 8);
				vmf_norm(v[n - 1].flags);
			}
			continue;
		}
		if (sscanf(line, "%lx-%lx %7s %llx %x:%x %lu %255[^\n]", &lo,
			   &hi, perms, &off, &maj, &min, &ino, name) < 7)
			continue;
		if (n == MAX_MAPS)
			zdtm_fail("more than %d mappings", MAX_MAPS);
		v[n].start = lo;
		v[n].end = hi;
		/* Device and inode of a new shmem object may differ. */
		snprintf(v[n].head, sizeof(v->head), "%lx-%lx %s %llx %s", lo,
			 hi, perms, off, name);
		v[n].flags[0] = '\0';
		n++;
	}
	fclose(f);
	return n;
}

/* A private anonymous mapping of @pages pages, written. */
static char *vmf_map(size_t pages, int prot, int flags)
{
	char *p = mmap(NULL, pages * PAGE, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	zdtm_check(p == MAP_FAILED, "mmap");
	if (prot & PROT_WRITE)
		memset(p, 0x5a, pages * PAGE);
	return p;
}

static void vmf_madvise(char *p, size_t pages, int advice, const char *what)
{
	zdtm_check(madvise(p, pages * PAGE, advice), what);
}

/* Name anonymous memory, where the kernel has CONFIG_ANON_VMA_NAME. */
static void vmf_name(char *p, size_t pages, const char *name)
{
	if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, p, pages * PAGE, name) &&
	    errno != EINVAL)
		zdtm_fail("PR_SET_VMA_ANON_NAME: %s", strerror(errno));
}

static void vmf_build(void)
{
	int rw = PROT_READ | PROT_WRITE;
	char *p, *sh;

	/* madvise() flags, one mapping each, kept apart by guard pages. */
	vmf_madvise(vmf_map(4, rw, 0), 4, MADV_DONTFORK, "MADV_DONTFORK");
	vmf_map(1, PROT_NONE, 0);
	vmf_madvise(vmf_map(4, rw, 0), 4, MADV_DONTDUMP, "MADV_DONTDUMP");
	vmf_map(1, PROT_NONE, 0);
	vmf_madvise(vmf_map(4, rw, 0), 4, MADV_WIPEONFORK, "MADV_WIPEONFORK");
	vmf_map(1, PROT_NONE, 0);
	vmf_madvise(vmf_map(4, rw, 0), 4, MADV_HUGEPAGE, "MADV_HUGEPAGE");
	vmf_map(1, PROT_NONE, 0);
	vmf_madvise(vmf_map(4, rw, 0), 4, MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE");
	vmf_map(1, PROT_NONE, 0);
	p = vmf_map(4, rw, 0);
	if (madvise(p, 4 * PAGE, MADV_MERGEABLE) && errno != EINVAL)
		zdtm_fail("MADV_MERGEABLE: %s", strerror(errno));
	vmf_map(1, PROT_NONE, 0);
	vmf_madvise(vmf_map(4, rw, 0), 4, MADV_SEQUENTIAL, "MADV_SEQUENTIAL");
	vmf_map(1, PROT_NONE, 0);
	vmf_madvise(vmf_map(4, rw, 0), 4, MADV_RANDOM, "MADV_RANDOM");
	vmf_map(1, PROT_NONE, 0);
	/* Two flags on one part of a mapping: it splits in three. */
	p = vmf_map(6, rw, 0);
	vmf_madvise(p + 2 * PAGE, 2, MADV_DONTFORK, "MADV_DONTFORK part");
	vmf_madvise(p + 2 * PAGE, 2, MADV_DONTDUMP, "MADV_DONTDUMP part");
	vmf_map(1, PROT_NONE, 0);
	/* MAP_DROPPABLE (nr wf dd dp), where the kernel has it (6.11). */
	p = mmap(NULL, 4 * PAGE, rw, MAP_DROPPABLE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED && errno != EINVAL)
		zdtm_fail("mmap MAP_DROPPABLE: %s", strerror(errno));
	if (p != MAP_FAILED)
		memset(p, 0x44, 2 * PAGE);
	vmf_map(1, PROT_NONE, 0);
	/* A guard region installed and removed leaves "gu" (Linux 6.18). */
	p = vmf_map(4, rw, 0);
	if (!madvise(p + PAGE, PAGE, MADV_GUARD_INSTALL))
		zdtm_check(madvise(p + PAGE, PAGE, MADV_GUARD_REMOVE),
			   "MADV_GUARD_REMOVE");
	else if (errno != EINVAL)
		zdtm_fail("MADV_GUARD_INSTALL: %s", strerror(errno));
	memset(p, 0x66, 4 * PAGE);
	vmf_map(1, PROT_NONE, 0);
	/* MAP_NORESERVE, written and not. */
	vmf_map(4, rw, MAP_NORESERVE);
	vmf_map(1, PROT_NONE, 0);
	/* mlock, and mlock on fault (the restore runs as root). */
	p = vmf_map(4, rw, 0);
	zdtm_check(mlock(p, 4 * PAGE), "mlock");
	vmf_map(1, PROT_NONE, 0);
	p = vmf_map(4, rw, 0);
	zdtm_check(mlock2(p, 4 * PAGE, MLOCK_ONFAULT), "mlock2 MLOCK_ONFAULT");
	vmf_map(1, PROT_NONE, 0);
	/* Read-only now, writable once: charged ("ac"), data kept. */
	data_ro = vmf_map(4, rw, 0);
	zdtm_fill(data_ro, 4 * PAGE, 81);
	zdtm_check(mprotect(data_ro, 4 * PAGE, PROT_READ), "mprotect ro");
	vmf_map(1, PROT_NONE, 0);
	/* Never writable, never charged, and data in it all the same. */
	data_none = vmf_map(4, PROT_NONE, 0);
	{
		char path[64];
		static char buf[4 * PAGE];
		int fd;

		zdtm_fill(buf, sizeof(buf), 82);
		snprintf(path, sizeof(path), "/proc/self/mem");
		fd = open(path, O_RDWR | O_CLOEXEC);
		zdtm_check(fd < 0, "open /proc/self/mem");
		zdtm_check(pwrite(fd, buf, sizeof(buf),
				  (unsigned long)data_none) != sizeof(buf),
			   "pwrite /proc/self/mem");
		close(fd);
	}
	vmf_map(1, PROT_READ, 0);
	/* A large PROT_NONE reservation with a read-write part. */
	p = vmf_map((1UL << 30) / PAGE, PROT_NONE, 0);
	zdtm_check(mprotect(p, 16 * PAGE, rw), "mprotect reservation");
	memset(p, 0x33, 16 * PAGE);
	/* Names of anonymous memory, private and shared. */
	p = vmf_map(2, rw, 0);
	vmf_name(p, 2, "zdtm private");
	vmf_map(1, PROT_NONE, 0);
	sh = mmap(NULL, 2 * PAGE, rw, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	zdtm_check(sh == MAP_FAILED, "mmap shared");
	vmf_name(sh, 2, "zdtm shared");
	vmf_madvise(sh, 2, MADV_DONTFORK, "MADV_DONTFORK shared");
	vmf_map(1, PROT_NONE, 0);
	/*
	 * 64 GiB of shared anonymous memory, MAP_NORESERVE (more than RAM
	 * and swap: an object made without it fails), in two mappings.
	 */
	sh = mmap(NULL, 64UL << 30, rw, MAP_SHARED | MAP_ANONYMOUS |
		  MAP_NORESERVE, -1, 0);
	zdtm_check(sh == MAP_FAILED, "mmap 64 GiB shared");
	memset(sh, 0x77, PAGE);
	zdtm_check(mprotect(sh + (32UL << 30), PAGE, PROT_READ),
		   "mprotect shared");
}

static void vmf_verify(void)
{
	static struct vmf after[MAX_MAPS];
	int n = vmf_read(after), i;

	for (i = 0; i < n && i < nr_before; i++) {
		if (strcmp(before[i].head, after[i].head))
			zdtm_fail("mapping %d was \"%s\", is \"%s\"", i,
				  before[i].head, after[i].head);
		if (strcmp(before[i].flags, after[i].flags))
			zdtm_fail("%s: VmFlags were \"%s\", are \"%s\"",
				  before[i].head, before[i].flags,
				  after[i].flags);
	}
	if (n != nr_before)
		zdtm_fail("%d mappings before, %d after", nr_before, n);
	if (zdtm_cmp(data_ro, 4 * PAGE, 81) >= 0)
		zdtm_fail("the read-only mapping's data changed");
	zdtm_check(mprotect(data_none, 4 * PAGE, PROT_READ), "mprotect none");
	if (zdtm_cmp(data_none, 4 * PAGE, 82) >= 0)
		zdtm_fail("the PROT_NONE mapping's data changed");
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	vmf_build();
	nr_before = vmf_read(before);
	zdtm_ready();
	zdtm_wait();
	vmf_verify();
	zdtm_pass();
}
