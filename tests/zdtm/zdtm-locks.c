// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-locks: file locks held across a checkpoint, each kind on a file of
 * its own in DIR:
 *
 *   posix:    POSIX (fcntl F_SETLK) write lock on bytes 0-9 through fd 3,
 *             read lock from 100 to the end through fd 3, write lock on
 *             50-59 through fd 4, another description of the same file;
 *             fd 5 is a dup of fd 3.
 *   ofd:      OFD (F_OFD_SETLK) write lock on 10-19, read lock from 30 to
 *             the end, both on fd 6.
 *   flock-ex: flock(LOCK_EX) on fd 7.
 *   flock-sh: flock(LOCK_SH) on fd 8 and on fd 9, two descriptions.
 *   DIR:      flock(LOCK_EX) on fd 10, the directory itself.
 *
 * "posix" is also mapped MAP_SHARED from a description of its own, whose
 * descriptor was closed before the locks were taken (closing it after
 * would drop them): the restore opens that file again to map it and
 * closes that descriptor, which must not drop the locks it takes again.
 *
 * After SIGTERM: a probe (a child: another process, another fd table,
 * descriptions of its own) sees every lock as it was built, with this
 * process as the POSIX owner (F_GETLK l_pid) and nothing more; this
 * process does not conflict with its own locks; then it lets every lock
 * go and the probe finds every file free: the locks were this process's
 * and these descriptions', not someone else's.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "zdtm.h"

static pid_t self;
static char *map;

/* DIR/name opened read-write at descriptor @fd. */
static void open_at(const char *name, int fd)
{
	char path[4096];
	int tmp;

	zdtm_path(path, sizeof(path), name);
	tmp = open(path, O_RDWR | O_CREAT, 0644);
	zdtm_check(tmp < 0, path);
	zdtm_check(dup2(tmp, fd) != fd, "dup2");
	if (tmp != fd)
		close(tmp);
}

/* A fcntl lock command on @fd: type, range; 0 or -1 with errno. */
static int lk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
			    .l_start = start, .l_len = len };

	return fcntl(fd, cmd, &fl);
}

/*
 * F_GETLK (or F_OFD_GETLK) of @fd for @type at [start, start+len): it
 * must tell @want_type, and for a conflict its range and pid.
 */
static void getlk(const char *what, int fd, int cmd, short type, off_t start,
		  off_t len, short want_type, off_t want_start, off_t want_len,
		  pid_t want_pid)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
			    .l_start = start, .l_len = len };

	zdtm_check(fcntl(fd, cmd, &fl), what);
	if (fl.l_type != want_type)
		zdtm_fail("%s: type %d, want %d", what, fl.l_type, want_type);
	if (want_type == F_UNLCK)
		return;
	if (fl.l_start != want_start || fl.l_len != want_len ||
	    fl.l_pid != want_pid)
		zdtm_fail("%s: %lld+%lld pid %d, want %lld+%lld pid %d", what,
			  (long long)fl.l_start, (long long)fl.l_len, fl.l_pid,
			  (long long)want_start, (long long)want_len, want_pid);
}

/*
 * flock(@op | LOCK_NB) on a new description of DIR/name (DIR itself for
 * NULL): 0 or errno.
 */
static int probe_flock(const char *name, int op)
{
	char path[4096];
	int fd, err = 0;

	zdtm_path(path, sizeof(path), name ? name : ".");
	fd = open(path, name ? O_RDWR : O_RDONLY | O_DIRECTORY);
	zdtm_check(fd < 0, path);
	if (flock(fd, op | LOCK_NB))
		err = errno;
	close(fd);
	return err;
}

/* In a child: every lock as built (@held), or none at all. */
static void probe(int held)
{
	char path[4096];
	int fd;

	zdtm_path(path, sizeof(path), "posix");
	fd = open(path, O_RDWR);
	zdtm_check(fd < 0, "probe: open posix");
	if (held) {
		getlk("probe: posix 0", fd, F_GETLK, F_WRLCK, 0, 1, F_WRLCK,
		      0, 10, self);
		getlk("probe: posix 50", fd, F_GETLK, F_RDLCK, 55, 1, F_WRLCK,
		      50, 10, self);
		getlk("probe: posix 1000 write", fd, F_GETLK, F_WRLCK, 1000, 1,
		      F_RDLCK, 100, 0, self);
		getlk("probe: posix 1000 read", fd, F_GETLK, F_RDLCK, 1000, 1,
		      F_UNLCK, 0, 0, 0);
		getlk("probe: posix 20-49", fd, F_GETLK, F_WRLCK, 20, 30,
		      F_UNLCK, 0, 0, 0);
	} else {
		getlk("probe: posix, let go", fd, F_GETLK, F_WRLCK, 0, 0,
		      F_UNLCK, 0, 0, 0);
	}
	close(fd);
	zdtm_path(path, sizeof(path), "ofd");
	fd = open(path, O_RDWR);
	zdtm_check(fd < 0, "probe: open ofd");
	if (held) {
		getlk("probe: ofd 15", fd, F_OFD_GETLK, F_RDLCK, 15, 1,
		      F_WRLCK, 10, 10, -1);
		getlk("probe: ofd 0-9", fd, F_OFD_GETLK, F_WRLCK, 0, 10,
		      F_UNLCK, 0, 0, 0);
		getlk("probe: ofd 5000 write", fd, F_OFD_GETLK, F_WRLCK, 5000,
		      1, F_RDLCK, 30, 0, -1);
		getlk("probe: ofd 5000 read", fd, F_OFD_GETLK, F_RDLCK, 5000, 1,
		      F_UNLCK, 0, 0, 0);
	} else {
		getlk("probe: ofd, let go", fd, F_OFD_GETLK, F_WRLCK, 0, 0,
		      F_UNLCK, 0, 0, 0);
	}
	close(fd);
	if (held && probe_flock("flock-ex", LOCK_SH) != EWOULDBLOCK)
		zdtm_fail("probe: flock-ex: a shared flock got in");
	if (held && probe_flock("flock-sh", LOCK_EX) != EWOULDBLOCK)
		zdtm_fail("probe: flock-sh: an exclusive flock got in");
	if (held && probe_flock("flock-sh", LOCK_SH))
		zdtm_fail("probe: flock-sh: a shared flock was refused");
	if (held && probe_flock(NULL, LOCK_SH) != EWOULDBLOCK)
		zdtm_fail("probe: the directory: a shared flock got in");
	if (!held && (probe_flock("flock-ex", LOCK_EX) ||
		      probe_flock("flock-sh", LOCK_EX) ||
		      probe_flock(NULL, LOCK_EX)))
		zdtm_fail("probe: a flock let go is still held");
}

/* Run probe(@held) in a child; its failure is the result. */
static void probe_child(int held)
{
	int status;
	pid_t pid = fork();

	zdtm_check(pid < 0, "fork");
	if (!pid) {
		probe(held);
		_exit(0);
	}
	zdtm_check(waitpid(pid, &status, 0) != pid, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		exit(1);	/* the child wrote the result */
}

static void locks_build(void)
{
	char path[4096];
	int fd;

	zdtm_path(path, sizeof(path), "posix");
	fd = open(path, O_RDWR | O_CREAT, 0644);
	zdtm_check(fd < 0 || ftruncate(fd, 4096), "create posix");
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	zdtm_check(map == MAP_FAILED, "mmap posix");
	close(fd);
	map[0] = 'L';
	open_at("posix", 3);
	open_at("posix", 4);
	zdtm_check(dup2(3, 5) != 5, "dup2 5");
	zdtm_check(lk(3, F_SETLK, F_WRLCK, 0, 10), "posix write 0-9");
	zdtm_check(lk(3, F_SETLK, F_RDLCK, 100, 0), "posix read 100-");
	zdtm_check(lk(4, F_SETLK, F_WRLCK, 50, 10), "posix write 50-59");
	open_at("ofd", 6);
	zdtm_check(lk(6, F_OFD_SETLK, F_WRLCK, 10, 10), "ofd write 10-19");
	zdtm_check(lk(6, F_OFD_SETLK, F_RDLCK, 30, 0), "ofd read 30-");
	open_at("flock-ex", 7);
	zdtm_check(flock(7, LOCK_EX | LOCK_NB), "flock ex");
	open_at("flock-sh", 8);
	open_at("flock-sh", 9);
	zdtm_check(flock(8, LOCK_SH | LOCK_NB), "flock sh 8");
	zdtm_check(flock(9, LOCK_SH | LOCK_NB), "flock sh 9");
	fd = open(zdtm_dir, O_RDONLY | O_DIRECTORY);
	zdtm_check(fd < 0 || dup2(fd, 10) != 10, "open DIR");
	if (fd != 10)
		close(fd);
	zdtm_check(flock(10, LOCK_EX | LOCK_NB), "flock DIR");
	probe_child(1);
}

static void locks_verify(void)
{
	char path[4096];
	int fd;

	probe_child(1);
	if (map[0] != 'L')
		zdtm_fail("the mapping of posix lost its data");
	/* Its own locks do not conflict with it: they are its own. */
	getlk("own posix", 4, F_GETLK, F_WRLCK, 0, 0, F_UNLCK, 0, 0, 0);
	getlk("own ofd", 6, F_OFD_GETLK, F_WRLCK, 0, 0, F_UNLCK, 0, 0, 0);
	/* Another description of its own does conflict with the OFD lock. */
	zdtm_path(path, sizeof(path), "ofd");
	fd = open(path, O_RDWR);
	zdtm_check(fd < 0, "open ofd");
	getlk("ofd from another description", fd, F_OFD_GETLK, F_WRLCK, 12, 1,
	      F_WRLCK, 10, 10, -1);
	close(fd);
	/* Closing a dup would drop the POSIX locks: fd 5 stays open. */
	zdtm_check(lk(3, F_SETLK, F_UNLCK, 0, 0), "posix unlock");
	zdtm_check(lk(6, F_OFD_SETLK, F_UNLCK, 0, 0), "ofd unlock");
	zdtm_check(flock(7, LOCK_UN) || flock(8, LOCK_UN) || flock(9, LOCK_UN) ||
		   flock(10, LOCK_UN), "flock unlock");
	probe_child(0);
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	self = getpid();
	locks_build();
	zdtm_ready();
	zdtm_wait();
	locks_verify();
	zdtm_pass();
}
