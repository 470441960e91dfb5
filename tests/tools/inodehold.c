// SPDX-License-Identifier: GPL-2.0
/*
 * inodehold: hold a file's inode lock for as long as it runs, the way a
 * process can stall every other write() to that file: a write() to it
 * from a page of a userfaultfd that nobody fills faults under the lock.
 *
 *   inodehold FILE READY
 *
 * Creates READY once the write is stuck; exits (letting the write fail
 * and the lock go) when killed.  Needs userfaultfd for kernel faults
 * (root, or vm.unprivileged_userfaultfd=1).
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int out;
static char *page;

/* The write that faults on @page while it holds the inode's lock. */
static void *inodehold_write(void *arg)
{
	(void)arg;
	if (write(out, page, 4096) < 0)
		perror("inodehold: write");
	return NULL;
}

int main(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	pthread_t t;
	int uffd, ready;

	if (argc != 3) {
		fprintf(stderr, "usage: inodehold FILE READY\n");
		return 2;
	}
	out = open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (out < 0)
		return perror(argv[1]), 1;
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		return perror("inodehold: userfaultfd"), 1;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return perror("inodehold: mmap"), 1;
	reg.range.start = (unsigned long)page;
	reg.range.len = 4096;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		return perror("inodehold: UFFDIO_REGISTER"), 1;
	if (pthread_create(&t, NULL, inodehold_write, NULL))
		return perror("inodehold: pthread_create"), 1;
	/* The fault is taken at once; give it a moment to be. */
	usleep(200000);
	ready = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (ready < 0)
		return perror(argv[2]), 1;
	close(ready);
	for (;;)
		pause();
}
