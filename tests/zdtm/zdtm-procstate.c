// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-procstate: per-process state that /proc shows little of: a name
 * with a newline in it (PR_SET_NAME).  Each must come back as it was.
 */
#include <sys/prctl.h>

#include "zdtm.h"

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
	zdtm_check(prctl(PR_SET_NAME, "ab\ncd"), "PR_SET_NAME");
}

/* Check the state, noting what differs. */
static void verify(void)
{
	char b[64];

	rd("comm", b, sizeof(b));
	if (strcmp(b, "ab\ncd\n")) {
		bad++;
		NOTE("comm '%s', want 'ab\\ncd'\n", b);
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
