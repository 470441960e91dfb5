// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-tree-fdt: a descriptor table and a cwd/umask shared between
 * processes.  The root R forks N (a table of its own), then makes C by
 * clone(CLONE_FILES | CLONE_FS); C makes G by clone(CLONE_FILES): R, C
 * and G have one table, R and C one fs; C also forks X, whose table is
 * a copy of theirs.  Before the checkpoint, after the clones, C opens a
 * file at fd 100 and sets umask 077, G dups it to fd 102, R changes into
 * "d2".  After the restore:
 *  - kcmp says R, C and G still share the table, R and C the fs, and N
 *    and G have their own;
 *  - G finds fd 100 (C's file), its own cwd (not d2), then opens a file
 *    at fd 101 and exits;
 *  - C finds fd 101 (G's, after the restore) and its cwd d2, then changes
 *    into "d3" and closes fd 100;
 *  - R finds fd 100 closed, fd 101 G's file, cwd d3 and umask 077;
 *  - N has none of fds 100-102, X has fd 100 (and no 101) in a table of
 *    its own;
 *  - no table holds a descriptor of the restore (only 0-2 and 100-102).
 */
#include <dirent.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/kcmp.h>

#include "zdtm.h"

static char top[4096], d2[4096], d3[4096];

/* fork() with @flags: clone(2) without a new stack. */
static pid_t fdt_clone(unsigned long flags)
{
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
}

/* Is @fd open on DIR/@name? */
static int fdt_is(int fd, const char *name)
{
	char path[4096];
	struct stat a, b;

	zdtm_path(path, sizeof(path), name);
	return !fstat(fd, &a) && !stat(path, &b) && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

/* Is the cwd @dir? */
static int fdt_cwd_is(const char *dir)
{
	char cwd[4096];

	return getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, dir);
}

/* Open DIR/@name at @fd. */
static int fdt_open_at(const char *name, int fd)
{
	char path[4096];
	int f;

	zdtm_path(path, sizeof(path), name);
	f = open(path, O_RDWR | O_CREAT, 0644);
	if (f < 0)
		return -1;
	if (f != fd && (dup2(f, fd) != fd || close(f)))
		return -1;
	return 0;
}

/* Do @a and @b share kcmp @type? */
static int fdt_same(pid_t a, pid_t b, int type)
{
	return syscall(SYS_kcmp, a, b, type, 0, 0) == 0;
}

/* Does the table hold only 0-2 and 100-102 (its fd of /proc aside)? */
static int fdt_clean(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int ok = d != NULL;

	while (ok && (de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] != '.' && fd != dirfd(d) && fd > 2 &&
		    (fd < 100 || fd > 102))
			ok = 0;
	}
	if (d)
		closedir(d);
	return ok;
}

/* X: a copy of C's table, made after C opened fd 100. */
static void __attribute__((noreturn)) fdt_x(void)
{
	zdtm_wait();
	if (!fdt_is(100, "b") || fcntl(101, F_GETFD) >= 0)
		_exit(2);
	_exit(fdt_clean() ? 0 : 3);
}

/* G: the table shared with C and R, its own fs. */
static void __attribute__((noreturn)) fdt_g(void)
{
	if (dup2(100, 102) != 102)
		_exit(2);
	zdtm_wait();
	if (!fdt_is(100, "b") || !fdt_is(102, "b"))
		_exit(3);
	if (!fdt_cwd_is(top))
		_exit(4);
	_exit(fdt_open_at("g", 101) ? 5 : 0);
}

/* C: the table shared with R and G, the fs with R. */
static void __attribute__((noreturn)) fdt_c(void)
{
	int status;
	pid_t g, x;

	if (fdt_open_at("b", 100))
		_exit(2);
	umask(077);
	g = fdt_clone(CLONE_FILES);
	if (g < 0)
		_exit(3);
	if (!g)
		fdt_g();
	x = fork();
	if (x < 0)
		_exit(3);
	if (!x)
		fdt_x();
	zdtm_wait();
	if (!fdt_same(getpid(), g, KCMP_FILES) ||
	    fdt_same(getpid(), g, KCMP_FS) ||
	    fdt_same(getpid(), x, KCMP_FILES))
		_exit(4);
	kill(x, SIGTERM);
	if (waitpid(x, &status, 0) != x)
		_exit(5);
	if (status)
		_exit(20 + WEXITSTATUS(status));
	kill(g, SIGTERM);
	if (waitpid(g, &status, 0) != g)
		_exit(5);
	if (status)
		_exit(10 + WEXITSTATUS(status));
	if (!fdt_is(101, "g") || !fdt_cwd_is(d2))
		_exit(6);
	if (chdir(d3) || close(100))
		_exit(7);
	_exit(0);
}

/* N: a table and fs of its own. */
static void __attribute__((noreturn)) fdt_n(void)
{
	zdtm_wait();
	_exit(fcntl(100, F_GETFD) >= 0 || fcntl(101, F_GETFD) >= 0 ||
	      fcntl(102, F_GETFD) >= 0 ? 2 : 0);
}

int main(int argc, char **argv)
{
	char pids[64];
	int status;
	mode_t um;
	pid_t n, c;

	zdtm_init(argc, argv);
	snprintf(top, sizeof(top), "%s", zdtm_dir);
	zdtm_path(d2, sizeof(d2), "d2");
	zdtm_path(d3, sizeof(d3), "d3");
	zdtm_check(mkdir(d2, 0755) || mkdir(d3, 0755), "mkdir");
	zdtm_check(chdir(top), "chdir");
	umask(022);
	n = fork();
	zdtm_check(n < 0, "fork");
	if (!n)
		fdt_n();
	c = fdt_clone(CLONE_FILES | CLONE_FS);
	zdtm_check(c < 0, "clone");
	if (!c)
		fdt_c();
	/* G has made fd 102: both clones are done. */
	while (fcntl(102, F_GETFD) < 0)
		usleep(1000);
	zdtm_check(chdir(d2), "chdir d2");
	snprintf(pids, sizeof(pids), "%d\n%d\n", n, c);
	zdtm_check(zdtm_put("pids", pids), "pids");
	zdtm_ready();
	zdtm_wait();
	if (!fdt_same(getpid(), c, KCMP_FILES) ||
	    !fdt_same(getpid(), c, KCMP_FS))
		zdtm_fail("the clone(CLONE_FILES | CLONE_FS) child %d no longer shares the table or fs", c);
	if (fdt_same(getpid(), n, KCMP_FILES) || fdt_same(getpid(), n, KCMP_FS))
		zdtm_fail("the forked child %d shares the table or fs", n);
	if (!fdt_is(100, "b") || !fdt_is(102, "b"))
		zdtm_fail("fds 100 and 102 are not the file the sharers opened");
	kill(c, SIGTERM);
	zdtm_check(waitpid(c, &status, 0) != c, "wait C");
	if (status)
		zdtm_fail("C (or G) failed: status %#x", status);
	if (fcntl(100, F_GETFD) >= 0)
		zdtm_fail("fd 100, closed by C after the restore, is open");
	if (!fdt_is(101, "g"))
		zdtm_fail("fd 101, opened by G after the restore, is not seen");
	if (!fdt_cwd_is(d3))
		zdtm_fail("the cwd C entered after the restore is not seen");
	um = umask(0);
	if (um != 077)
		zdtm_fail("umask %#o, want 077 (set by C)", um);
	if (!fdt_clean())
		zdtm_fail("the shared table holds a descriptor other than 0-2 and 100-102");
	kill(n, SIGTERM);
	zdtm_check(waitpid(n, &status, 0) != n, "wait N");
	if (status)
		zdtm_fail("N failed: status %#x", status);
	zdtm_pass();
}
