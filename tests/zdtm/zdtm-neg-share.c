// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-share: a process sharing something with a process it made that
 * leaves the container for the cgroup $ZDTM_OUT_CG, as $ZDTM_SHARE says
 * (a sibling, by CLONE_PARENT: a child would be refused as such):
 * vm (clone(CLONE_VM)), files (CLONE_FILES), fs (CLONE_FS), shm (a
 * MAP_SHARED | MAP_ANONYMOUS mapping), fd (an open file description of
 * the file "log": one offset).  The child's standard descriptors are a
 * /dev/null of its own (with CLONE_FILES: the table is the parent's).
 * The checkpoint must refuse it, naming the child; after SIGTERM the
 * child must still share it (kcmp).
 */
#include <sched.h>
#include <linux/kcmp.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "zdtm.h"

static char stack[65536] __attribute__((aligned(16)));
static const char *mode, *cg;
static int pfd[2];

/* The child: leave the container, say so on the pipe, wait (raw calls). */
static int child(void *arg)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%ld", syscall(SYS_getpid));
	int fd = syscall(SYS_openat, AT_FDCWD, arg, O_WRONLY);
	char ok = fd >= 0 && syscall(SYS_write, fd, b, n) == n;

	syscall(SYS_close, fd);
	if (strcmp(mode, "files")) {
		fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR);
		for (n = 0; n < 3; n++)
			syscall(SYS_dup3, fd, n, 0);
		syscall(SYS_close, fd);
	}
	syscall(SYS_write, pfd[1], &ok, 1);
	if (strcmp(mode, "files")) {
		syscall(SYS_close, pfd[0]);
		syscall(SYS_close, pfd[1]);
	}
	for (;;)
		syscall(SYS_pause);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct { const char *mode; int flags, kcmp; } m[] = {
		{ "vm", CLONE_VM, KCMP_VM }, { "files", CLONE_FILES, KCMP_FILES },
		{ "fs", CLONE_FS, KCMP_FS }, { "shm", 0, -1 }, { "fd", 0, -1 },
	};
	char path[4096], procs[4200], ok = 0;
	int i, fd = -1;
	volatile char *shm = NULL;
	pid_t c;

	zdtm_init(argc, argv);
	mode = getenv("ZDTM_SHARE");
	cg = getenv("ZDTM_OUT_CG");
	zdtm_check(!mode || !cg, "ZDTM_SHARE and ZDTM_OUT_CG must be set");
	for (i = 0; i < 5 && strcmp(m[i].mode, mode); i++)
		;
	zdtm_check(i == 5, "ZDTM_SHARE: vm, files, fs, shm or fd");
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	if (!strcmp(mode, "shm")) {
		shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		zdtm_check(shm == MAP_FAILED, "mmap");
		shm[0] = 'A';
	}
	if (!strcmp(mode, "fd")) {
		zdtm_path(path, sizeof(path), "log");
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		zdtm_check(fd < 0, "open log");
	}
	zdtm_check(pipe(pfd), "pipe");
	c = clone(child, stack + sizeof(stack),
		  m[i].flags | CLONE_PARENT | SIGCHLD, procs);
	zdtm_check(c < 0, "clone");
	zdtm_check(read(pfd[0], &ok, 1) != 1 || !ok,
		   "the child could not leave for the cgroup");
	close(pfd[0]);
	close(pfd[1]);
	snprintf(path, sizeof(path), "%d\n", c);
	zdtm_put("child", path);
	if (fd >= 0)
		zdtm_check(write(fd, "AB", 2) != 2, "write log");
	zdtm_ready();
	zdtm_wait();
	if (kill(c, 0))
		zdtm_fail("the child %d is gone: %s", c, strerror(errno));
	if (m[i].kcmp >= 0 && syscall(SYS_kcmp, getpid(), c, m[i].kcmp, 0, 0))
		zdtm_fail("%s no longer shared with the child %d", mode, c);
	if (fd >= 0 && syscall(SYS_kcmp, getpid(), c, KCMP_FILE, fd, fd))
		zdtm_fail("the log's description no longer shared with %d", c);
	if (shm && shm[0] != 'A')
		zdtm_fail("the shared memory changed");
	kill(c, SIGKILL);
	zdtm_pass();
}
