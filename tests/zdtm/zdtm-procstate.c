// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-procstate: per-process state that /proc shows little of: a name
 * with a newline in it (PR_SET_NAME), the I/O priority, coredump_filter,
 * membarrier() registrations.  Each must come back as it was.
 */
#include <sys/prctl.h>
#include <linux/membarrier.h>

#include "zdtm.h"

#ifndef MEMBARRIER_CMD_GET_REGISTRATIONS
#define MEMBARRIER_CMD_GET_REGISTRATIONS	(1 << 9)
#endif
/* IOPRIO_CLASS_BE, level 7 */
#define IOPRIO_WANT	(2 << 13 | 7)
#define MB_WANT		(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | \
			 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED | \
			 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ)

static char out[4096];
static int bad;

#define NOTE(...) do {							\
	size_t l = strlen(out);						\
	snprintf(out + l, sizeof(out) - l, __VA_ARGS__);		\
} while (0)

/* Read /proc/self/@name whole into @b. */
static void rd(const char *name, char *b, size_t len)
{
	char p[64];
	int fd, n;

	snprintf(p, sizeof(p), "/proc/self/%s", name);
	fd = open(p, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, b, len - 1);
	b[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

/* Make the state. */
static void build(void)
{
	int fd;

	zdtm_check(prctl(PR_SET_NAME, "ab\ncd"), "PR_SET_NAME");
	zdtm_check(syscall(SYS_ioprio_set, 1, 0, IOPRIO_WANT), "ioprio_set");
	fd = open("/proc/self/coredump_filter", O_WRONLY);
	zdtm_check(fd < 0 || write(fd, "0x7f", 4) != 4, "coredump_filter");
	close(fd);
	for (int cmd = 1; cmd <= MB_WANT; cmd <<= 1)
		if (MB_WANT & cmd)
			zdtm_check(syscall(SYS_membarrier, cmd, 0, 0),
				   "membarrier register");
}

/* Check the state, noting what differs. */
static void verify(void)
{
	char b[64];
	long r;

	rd("comm", b, sizeof(b));
	if (strcmp(b, "ab\ncd\n")) {
		bad++;
		NOTE("comm '%s', want 'ab\\ncd'\n", b);
	}
	r = syscall(SYS_ioprio_get, 1, 0);
	if (r != IOPRIO_WANT) {
		bad++;
		NOTE("ioprio %#lx, want %#x\n", r, IOPRIO_WANT);
	}
	rd("coredump_filter", b, sizeof(b));
	if (strtol(b, NULL, 16) != 0x7f) {
		bad++;
		NOTE("coredump_filter %s, want 0x7f\n", b);
	}
	r = syscall(SYS_membarrier, MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0);
	if (r != MB_WANT) {
		bad++;
		NOTE("membarrier registrations %#lx, want %#x\n", r, MB_WANT);
	}
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0)) {
		bad++;
		NOTE("membarrier private expedited: %s\n", strerror(errno));
	}
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	build();
	verify();
	if (bad)
		zdtm_fail("before the checkpoint: %s", out);
	zdtm_ready();
	zdtm_wait();
	verify();
	if (bad)
		zdtm_fail("%d wrong after restore:\n%s", bad, out);
	zdtm_pass();
}
