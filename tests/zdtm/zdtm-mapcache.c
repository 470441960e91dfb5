// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-mapcache: a shared mapping of a file opened read-only, at a range
 * where a file opened read-write was mapped before (and looked at by a
 * checkpoint: /proc/PID/map_files caches the first file's mode).  It
 * must come back read-only: mprotect(PROT_WRITE) refused, as before.
 *
 *   zdtm-mapcache DIR      DIR/rw: its own file; DIR/ro: a file it can
 *                          only read (root's, 0644)
 *
 * DIR/first appears once the first file is mapped; SIGUSR1 then maps the
 * second in its place, and DIR/ready says so.
 */
#include <sys/mman.h>

#include "zdtm.h"

static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

int main(int argc, char **argv)
{
	char rw[4096], ro[4096], head[8];
	sigset_t mask;
	void *p, *q;
	int fd;

	zdtm_init(argc, argv);
	snprintf(rw, sizeof(rw), "%s/rw", argv[1]);
	snprintf(ro, sizeof(ro), "%s/ro", argv[1]);
	signal(SIGUSR1, on_usr1);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	fd = open(rw, O_RDWR);
	zdtm_check(fd < 0, "open rw");
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	zdtm_check(p == MAP_FAILED, "mmap rw");
	close(fd);
	zdtm_check(zdtm_put("first", "mapped\n"), "create first");
	sigprocmask(SIG_BLOCK, NULL, &mask);
	sigdelset(&mask, SIGUSR1);
	while (!usr1)
		sigsuspend(&mask);
	fd = open(ro, O_RDONLY);
	zdtm_check(fd < 0, "open ro");
	q = mmap(p, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	zdtm_check(q != p, "mmap ro over rw");
	close(fd);
	if (!mprotect(q, 4096, PROT_READ | PROT_WRITE))
		zdtm_fail("before: a read-only file's mapping could be made writable");
	memcpy(head, q, sizeof(head));
	zdtm_ready();
	zdtm_wait();
	if (memcmp(q, head, sizeof(head)))
		zdtm_fail("the mapping shows other bytes after the restore");
	if (!mprotect(q, 4096, PROT_READ | PROT_WRITE))
		zdtm_fail("after the restore a read-only file's shared mapping can be made writable");
	if (errno != EACCES)
		zdtm_fail("mprotect: %s, not EACCES", strerror(errno));
	zdtm_pass();
}
