// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-opendir: directories open across a checkpoint, read half-way.
 *
 * DIR/many holds NR_ENTRIES files with long names: more than a getdents
 * buffer holds, so that the kernel's position (f_pos) is in the middle of
 * the directory when the checkpoint comes.  Two readers of it:
 *
 *  - a DIR stream (opendir), which has read half of the names with
 *    readdir(); glibc holds the next ones in its buffer, in memory;
 *  - a bare descriptor (open O_DIRECTORY) read with getdents64() in small
 *    pieces, up to half of the names: its position is the kernel's alone.
 *
 * After SIGTERM each reader goes on to the end: every name of the
 * directory must have been read exactly once by each, across the
 * checkpoint; the descriptors are the same directory (device, inode),
 * with their flags and close-on-exec flag; rewinddir() reads all again.
 */
#include <sys/syscall.h>

#include "zdtm.h"

#define NR_ENTRIES	1500
#define NAME_PAD	180	/* ~200-byte entries: 300 KiB of dirents */

static char dir[4096];
static DIR *stream;
static int rawfd;
static unsigned char seen_stream[NR_ENTRIES], seen_raw[NR_ENTRIES];
static struct stat before;

/* The number of a name "f<NUMBER>-xxxx...", or -1 for another name. */
static int entry_nr(const char *name)
{
	char *end;
	long n;

	if (name[0] != 'f')
		return -1;
	n = strtol(name + 1, &end, 10);
	return *end == '-' && n >= 0 && n < NR_ENTRIES ? (int)n : -1;
}

/* Count one name in @seen; fail on a name read twice. */
static void count(unsigned char *seen, const char *name, const char *who)
{
	int n = entry_nr(name);

	if (n < 0)
		return;
	if (seen[n]++)
		zdtm_fail("%s: %s read twice", who, name);
}

/* Read entries of the bare descriptor, @max at most (0: to the end). */
static int raw_read(int max)
{
	char buf[1024];
	int got = 0;

	for (;;) {
		long n = syscall(SYS_getdents64, rawfd, buf, sizeof(buf));
		long off = 0;

		if (n < 0)
			zdtm_fail("getdents64: %s", strerror(errno));
		if (n == 0)
			return got;
		while (off < n) {
			struct {
				uint64_t	ino;
				int64_t		off;
				unsigned short	reclen;
				unsigned char	type;
				char		name[];
			} *d = (void *)(buf + off);

			count(seen_raw, d->name, "getdents64");
			got++;
			off += d->reclen;
		}
		if (max && got >= max)
			return got;
	}
}

static void opendir_build(void)
{
	char path[4096 + 256], pad[NAME_PAD + 1];
	struct dirent *de;
	int i, fd, got = 0;

	memset(pad, 'x', NAME_PAD);
	pad[NAME_PAD] = 0;
	zdtm_path(dir, sizeof(dir), "many");
	zdtm_check(mkdir(dir, 0755), "mkdir");
	for (i = 0; i < NR_ENTRIES; i++) {
		snprintf(path, sizeof(path), "%s/f%d-%s", dir, i, pad);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		zdtm_check(fd < 0, "create an entry");
		close(fd);
	}
	stream = opendir(dir);
	zdtm_check(!stream, "opendir");
	while (got < NR_ENTRIES / 2 && (de = readdir(stream)))
		if (entry_nr(de->d_name) >= 0) {
			count(seen_stream, de->d_name, "readdir");
			got++;
		}
	rawfd = open(dir, O_RDONLY | O_DIRECTORY);
	zdtm_check(rawfd < 0, "open the directory");
	raw_read(NR_ENTRIES / 2);
	zdtm_check(fstat(rawfd, &before), "fstat");
}

/* Every name once in @seen. */
static void all_once(const unsigned char *seen, const char *who)
{
	for (int i = 0; i < NR_ENTRIES; i++)
		if (seen[i] != 1)
			zdtm_fail("%s: entry %d read %d times", who, i, seen[i]);
}

static void opendir_verify(void)
{
	struct dirent *de;
	struct stat st;
	int fl, n = 0;

	zdtm_check(fstat(dirfd(stream), &st), "fstat stream");
	if (st.st_dev != before.st_dev || st.st_ino != before.st_ino)
		zdtm_fail("the DIR stream reads another directory");
	zdtm_check(fstat(rawfd, &st), "fstat fd");
	if (st.st_dev != before.st_dev || st.st_ino != before.st_ino)
		zdtm_fail("the descriptor is another directory");
	fl = fcntl(rawfd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) != O_RDONLY || !(fl & O_DIRECTORY))
		zdtm_fail("the descriptor's flags are %#o", fl);
	if (fcntl(rawfd, F_GETFD) != 0 ||
	    !(fcntl(dirfd(stream), F_GETFD) & FD_CLOEXEC))
		zdtm_fail("close-on-exec flags changed");
	while ((de = readdir(stream)))
		count(seen_stream, de->d_name, "readdir");
	all_once(seen_stream, "readdir");
	raw_read(0);
	all_once(seen_raw, "getdents64");
	rewinddir(stream);
	while ((de = readdir(stream)))
		n += entry_nr(de->d_name) >= 0;
	if (n != NR_ENTRIES)
		zdtm_fail("rewinddir: %d entries, want %d", n, NR_ENTRIES);
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	opendir_build();
	zdtm_ready();
	zdtm_wait();
	opendir_verify();
	zdtm_pass();
}
