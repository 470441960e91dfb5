// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-userfiles: the files of an unprivileged process across a checkpoint.
 *
 * Started as root, it opens DIR/root.log (root's, 0600) for appending at
 * descriptor LOG_FD, as a server opens its log before it drops
 * privileges; it drops to uid and gid 65534 (nobody) without
 * supplementary groups, then creates its own DIR/map.dat and DIR/fd.dat
 * (DIR must belong to 65534), maps map.dat twice (shared and private,
 * read-only, never written), holds fd.dat open read-only at descriptor
 * FD_NUM and writes DIR/info: "<mapping address in hex> <fd>".  After
 * SIGTERM it must still be 65534; both mappings must show map.dat's bytes,
 * the descriptor must be fd.dat (inode and bytes), the log still root.log
 * open for appending, and /proc/self/exe the file it was started from.
 */
#include <grp.h>
#include <sys/mman.h>

#include "zdtm.h"

#define NOBODY		65534
#define MAP_LEN		(2 * 4096)
#define FD_LEN		4096
#define FD_NUM		7
#define LOG_FD		8

static char map_want[MAP_LEN], fd_want[FD_LEN];
static char *shmap, *prmap;
static ino_t map_ino, fd_ino, exe_ino, log_ino;

/* Create DIR/@name holding @len bytes of @data; return its inode. */
static ino_t make_file(const char *name, const char *data, size_t len)
{
	char path[4096];
	struct stat st;
	int fd;

	zdtm_path(path, sizeof(path), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	zdtm_check(fd < 0, "create a file of its own");
	zdtm_check(write(fd, data, len) != (ssize_t)len, "write its file");
	zdtm_check(fstat(fd, &st), "fstat its file");
	close(fd);
	return st.st_ino;
}

static void build(void)
{
	char path[4096], info[64];
	struct stat st;
	int fd;

	zdtm_path(path, sizeof(path), "root.log");
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	zdtm_check(fd < 0, "open root.log as root");
	zdtm_check(dup3(fd, LOG_FD, O_CLOEXEC) != LOG_FD, "dup3 root.log");
	close(fd);
	zdtm_check(fstat(LOG_FD, &st), "fstat root.log");
	log_ino = st.st_ino;

	zdtm_check(setgroups(0, NULL), "setgroups");
	zdtm_check(setresgid(NOBODY, NOBODY, NOBODY), "setresgid");
	zdtm_check(setresuid(NOBODY, NOBODY, NOBODY), "setresuid");
	zdtm_check(stat("/proc/self/exe", &st), "stat /proc/self/exe");
	exe_ino = st.st_ino;

	zdtm_fill(map_want, MAP_LEN, 7);
	memcpy(map_want, "MAP-DAT:", 8);
	zdtm_fill(fd_want, FD_LEN, 8);
	memcpy(fd_want, "FD-DAT:", 7);
	map_ino = make_file("map.dat", map_want, MAP_LEN);
	fd_ino = make_file("fd.dat", fd_want, FD_LEN);

	zdtm_path(path, sizeof(path), "map.dat");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	zdtm_check(fd < 0, "open map.dat");
	shmap = mmap(NULL, MAP_LEN, PROT_READ, MAP_SHARED, fd, 0);
	zdtm_check(shmap == MAP_FAILED, "mmap map.dat shared");
	prmap = mmap(NULL, MAP_LEN, PROT_READ, MAP_PRIVATE, fd, 0);
	zdtm_check(prmap == MAP_FAILED, "mmap map.dat private");
	close(fd);

	zdtm_path(path, sizeof(path), "fd.dat");
	fd = open(path, O_RDONLY);
	zdtm_check(fd < 0, "open fd.dat");
	zdtm_check(dup2(fd, FD_NUM) != FD_NUM, "dup2");
	close(fd);

	snprintf(info, sizeof(info), "%lx %d\n", (unsigned long)shmap, FD_NUM);
	zdtm_check(zdtm_put("info", info), "write info");
}

static void verify(void)
{
	char buf[FD_LEN];
	struct stat st;
	uid_t r, e, s;

	zdtm_check(getresuid(&r, &e, &s), "getresuid");
	if (r != NOBODY || e != NOBODY || s != NOBODY)
		zdtm_fail("uids are %u %u %u, want %u", r, e, s, NOBODY);
	if (memcmp(shmap, map_want, MAP_LEN))
		zdtm_fail("the shared mapping shows other bytes: %.8s", shmap);
	if (memcmp(prmap, map_want, MAP_LEN))
		zdtm_fail("the private mapping shows other bytes: %.8s", prmap);
	zdtm_check(fstat(FD_NUM, &st), "fstat the descriptor");
	if (st.st_ino != fd_ino)
		zdtm_fail("fd %d is inode %lu, want %lu", FD_NUM,
			  (unsigned long)st.st_ino, (unsigned long)fd_ino);
	if (pread(FD_NUM, buf, FD_LEN, 0) != FD_LEN ||
	    memcmp(buf, fd_want, FD_LEN))
		zdtm_fail("fd %d reads other bytes: %.8s", FD_NUM, buf);
	zdtm_check(fstat(LOG_FD, &st), "fstat root.log");
	if (st.st_ino != log_ino || st.st_uid != 0)
		zdtm_fail("fd %d is not root's root.log", LOG_FD);
	/* Not written: a write would change it from what the image has. */
	if ((fcntl(LOG_FD, F_GETFL) & (O_ACCMODE | O_APPEND)) !=
	    (O_WRONLY | O_APPEND))
		zdtm_fail("fd %d has flags %#o", LOG_FD, fcntl(LOG_FD, F_GETFL));
	zdtm_check(stat("/proc/self/exe", &st), "stat /proc/self/exe");
	if (st.st_ino != exe_ino)
		zdtm_fail("/proc/self/exe is inode %lu, want %lu",
			  (unsigned long)st.st_ino, (unsigned long)exe_ino);
	if (map_ino == fd_ino)
		zdtm_fail("map.dat and fd.dat are one inode");
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
