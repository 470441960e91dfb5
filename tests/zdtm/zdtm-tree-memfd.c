// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-tree-memfd: a file whose contents the image keeps (a memfd), held
 * by the root of a tree and not by its child, which the checkpoint
 * collects after it: the child must not be asked to read it.  After the
 * restore the root's memfd holds its bytes and seal, the child none.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	static const char data[] = "kept by the root alone";
	char got[sizeof(data)], pids[32];
	int fd, status;
	pid_t child;

	zdtm_init(argc, argv);
	child = fork();
	zdtm_check(child < 0, "fork");
	if (!child) {
		zdtm_wait();
		_exit(fcntl(3, F_GETFD) >= 0 ? 2 : 0);
	}
	fd = memfd_create("root-only", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	zdtm_check(fd < 0, "memfd_create");
	zdtm_check(write(fd, data, sizeof(data)) != sizeof(data), "write");
	zdtm_check(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), "F_ADD_SEALS");
	snprintf(pids, sizeof(pids), "%d\n", child);
	zdtm_check(zdtm_put("pids", pids), "pids");
	zdtm_ready();
	zdtm_wait();
	if (pread(fd, got, sizeof(got), 0) != sizeof(got) ||
	    memcmp(got, data, sizeof(data)))
		zdtm_fail("the memfd lost its contents");
	if (fcntl(fd, F_GET_SEALS) != F_SEAL_GROW)
		zdtm_fail("the memfd has seals %#x, want F_SEAL_GROW",
			  fcntl(fd, F_GET_SEALS));
	kill(child, SIGTERM);
	zdtm_check(waitpid(child, &status, 0) != child, "wait");
	if (status)
		zdtm_fail("the child failed: status %#x", status);
	zdtm_pass();
}
