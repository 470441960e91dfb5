// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-tree-share: what a parent shares with its child and grandchild
 * after fork(): one open file description (one offset, no O_APPEND) and
 * one shared anonymous mapping.  Before the checkpoint each writes its
 * line through the description and its page of the mapping; after the
 * restore each writes again, in turn (the child after the grandchild,
 * the root after the child): the file must hold every line in order,
 * each where the shared offset put it, and each must see the pages the
 * others wrote after the restore: still one description, one object.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "zdtm.h"

#define SHARE_PAGES	3

static char *shm;
static long page;
static int fd;

/* Write @line at the shared offset. */
static int share_line(const char *line)
{
	return write(fd, line, strlen(line)) == (ssize_t)strlen(line);
}

/* Page @i filled with @c? */
static int share_page_is(int i, char c)
{
	for (long j = 0; j < page; j++)
		if (shm[i * page + j] != c)
			return 0;
	return 1;
}

/* Fork a process that writes @before, waits, checks, writes @after. */
static pid_t share_fork(int i, const char *before, const char *after,
			pid_t (*more)(void))
{
	pid_t pid = fork(), kid = 0;
	int status = 0;

	zdtm_check(pid < 0, "fork");
	if (pid)
		return pid;
	if (!share_line(before))
		_exit(2);
	memset(shm + i * page, 'a' + i, page);
	if (more)
		kid = more();
	zdtm_wait();
	if (kid) {
		kill(kid, SIGTERM);
		if (waitpid(kid, &status, 0) != kid || status)
			_exit(3);
		/* The grandchild wrote its page again after the restore. */
		if (!share_page_is(2, 'C'))
			_exit(4);
	}
	if (!share_page_is(i, 'a' + i) || !share_page_is(0, 'r'))
		_exit(5);
	memset(shm + i * page, 'A' + i, page);
	_exit(share_line(after) ? 0 : 6);
}

/* The grandchild. */
static pid_t share_grandchild(void)
{
	return share_fork(2, "grandchild 1\n", "grandchild 2\n", NULL);
}

int main(int argc, char **argv)
{
	static const char want[] = "root 1\nchild 1\ngrandchild 1\n"
				   "grandchild 2\nchild 2\nroot 2\n";
	char path[4096], got[256];
	int status, ready = 0;
	pid_t child;
	ssize_t n;

	zdtm_init(argc, argv);
	page = sysconf(_SC_PAGESIZE);
	shm = mmap(NULL, SHARE_PAGES * page, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	zdtm_check(shm == MAP_FAILED, "mmap");
	zdtm_path(path, sizeof(path), "log");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	zdtm_check(fd < 0, "open log");
	zdtm_check(!share_line("root 1\n"), "write");
	memset(shm, 'r', page);
	/* Each line is written before the next process starts. */
	child = share_fork(1, "child 1\n", "child 2\n", share_grandchild);
	while (!ready) {
		usleep(1000);
		ready = share_page_is(1, 'b') && share_page_is(2, 'c');
	}
	zdtm_ready();
	zdtm_wait();
	kill(child, SIGTERM);
	zdtm_check(waitpid(child, &status, 0) != child, "wait child");
	if (status)
		zdtm_fail("the child (or grandchild) failed: status %#x", status);
	if (!share_page_is(1, 'B') || !share_page_is(2, 'C'))
		zdtm_fail("the pages the child and grandchild wrote after the restore are not seen: not one object");
	zdtm_check(!share_line("root 2\n"), "write");
	if (lseek(fd, 0, SEEK_CUR) != (off_t)strlen(want))
		zdtm_fail("offset %lld, want %zu: not one description",
			  (long long)lseek(fd, 0, SEEK_CUR), strlen(want));
	n = pread(fd, got, sizeof(got) - 1, 0);
	zdtm_check(n < 0, "pread");
	got[n] = '\0';
	if (strcmp(got, want))
		zdtm_fail("the log holds \"%s\"", got);
	zdtm_pass();
}
