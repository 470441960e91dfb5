// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-rlimits: limits lowered below what the process already uses.
 *
 * Opens DIR/high.dat at descriptor ZDTM_FD (environment, default 200) at
 * offset 123, writes an 8 MiB private anonymous mapping, then lowers
 * RLIMIT_NOFILE to ZDTM_NOFILE (default 64) for both soft and hard, below
 * that descriptor, and RLIMIT_DATA to 1 MiB, below its use: the kernel
 * keeps both, so must a restore.  After SIGTERM the descriptor is the same
 * file at its offset, the mapping holds its bytes and both limits are
 * exactly as set.
 */
#include <sys/mman.h>
#include <sys/resource.h>

#include "zdtm.h"

#define DATA_BYTES	(8UL << 20)
#define DATA_LIMIT	(1UL << 20)
#define POS		123

static int high_fd = 200;
static rlim_t nofile = 64;
static ino_t high_ino;
static char *data;

/* An integer from the environment, or @def. */
static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : def;
}

static void build(void)
{
	struct rlimit rl;
	char path[4096];
	struct stat st;
	int fd;

	high_fd = env_long("ZDTM_FD", high_fd);
	nofile = env_long("ZDTM_NOFILE", nofile);
	zdtm_path(path, sizeof(path), "high.dat");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	zdtm_check(fd < 0, "create high.dat");
	zdtm_check(ftruncate(fd, 4096), "ftruncate");
	zdtm_check(dup2(fd, high_fd) != high_fd, "dup2 to the high descriptor");
	close(fd);
	zdtm_check(lseek(high_fd, POS, SEEK_SET) != POS, "lseek");
	zdtm_check(fstat(high_fd, &st), "fstat");
	high_ino = st.st_ino;

	data = mmap(NULL, DATA_BYTES, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	zdtm_check(data == MAP_FAILED, "mmap");
	zdtm_fill(data, DATA_BYTES, 5);

	rl.rlim_cur = rl.rlim_max = nofile;
	zdtm_check(setrlimit(RLIMIT_NOFILE, &rl), "lower RLIMIT_NOFILE");
	rl.rlim_cur = rl.rlim_max = DATA_LIMIT;
	zdtm_check(setrlimit(RLIMIT_DATA, &rl), "lower RLIMIT_DATA");
}

static void verify(void)
{
	struct rlimit rl;
	struct stat st;
	off_t pos;

	if (fstat(high_fd, &st))
		zdtm_fail("fd %d is not open after restore", high_fd);
	if (st.st_ino != high_ino)
		zdtm_fail("fd %d is another file", high_fd);
	pos = lseek(high_fd, 0, SEEK_CUR);
	if (pos != POS)
		zdtm_fail("fd %d is at offset %ld, want %d", high_fd,
			  (long)pos, POS);
	if (zdtm_cmp(data, DATA_BYTES, 5) >= 0)
		zdtm_fail("the mapping lost its bytes at offset %ld",
			  zdtm_cmp(data, DATA_BYTES, 5));
	zdtm_check(getrlimit(RLIMIT_NOFILE, &rl), "getrlimit NOFILE");
	if (rl.rlim_cur != nofile || rl.rlim_max != nofile)
		zdtm_fail("RLIMIT_NOFILE is %lu/%lu, want %lu/%lu",
			  (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max,
			  (unsigned long)nofile, (unsigned long)nofile);
	zdtm_check(getrlimit(RLIMIT_DATA, &rl), "getrlimit DATA");
	if (rl.rlim_cur != DATA_LIMIT || rl.rlim_max != DATA_LIMIT)
		zdtm_fail("RLIMIT_DATA is %lu/%lu, want %lu/%lu",
			  (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max,
			  DATA_LIMIT, DATA_LIMIT);
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	build();
	zdtm_ready();
	zdtm_wait();
	verify();
	zdtm_pass();
}
