// SPDX-License-Identifier: GPL-2.0
/*
 * crfs-bench-fds PROCS FDS SAME DIR: a tree for scripts/bench-fds.sh, the
 * cost of many processes with many descriptors at a checkpoint.  Waits
 * for DIR/go (so that it is moved into its container first), then the
 * root and its PROCS - 1 children each open FDS descriptors: SAME of them
 * on the same SAME files every process opens for itself (one description
 * each, all alike by device, inode, offset and flags: the worst case of
 * finding which descriptions processes share), the others on files of
 * their own.  Then DIR/ready, and every process sleeps until killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* Open this process's @fds descriptors, @same of them on the common files. */
static void bench_open(const char *dir, int idx, int fds, int same)
{
	char path[4096];

	for (int j = 0; j < fds; j++) {
		if (j < same)
			snprintf(path, sizeof(path), "%s/same-%d", dir, j);
		else
			snprintf(path, sizeof(path), "%s/own-%d-%d", dir, idx,
				 j);
		if (open(path, O_RDWR | O_CREAT, 0644) < 0) {
			perror(path);
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	char path[4096];
	int procs, fds, same, *count;
	const char *dir;

	if (argc != 5) {
		fprintf(stderr, "usage: %s PROCS FDS SAME DIR\n", argv[0]);
		return 2;
	}
	procs = atoi(argv[1]);
	fds = atoi(argv[2]);
	same = atoi(argv[3]);
	dir = argv[4];
	count = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (count == MAP_FAILED)
		return 1;
	snprintf(path, sizeof(path), "%s/go", dir);
	while (access(path, F_OK))
		usleep(10000);
	for (int i = 1; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (!pid) {
			bench_open(dir, i, fds, same);
			__atomic_add_fetch(count, 1, __ATOMIC_SEQ_CST);
			for (;;)
				pause();
		}
	}
	bench_open(dir, 0, fds, same);
	while (__atomic_load_n(count, __ATOMIC_SEQ_CST) < procs - 1)
		usleep(10000);
	snprintf(path, sizeof(path), "%s/ready", dir);
	close(open(path, O_WRONLY | O_CREAT, 0644));
	for (;;)
		pause();
}
