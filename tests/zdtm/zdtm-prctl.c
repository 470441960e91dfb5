// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-prctl: what a process sets with prctl() or in /proc and keeps:
 * child subreaper, parent-death signal (SIGURG: ignored by default),
 * timer slack, oom_score_adj, THP disabled but for MADV_HUGEPAGE areas
 * (PR_THP_DISABLE_EXCEPT_ADVISED, 6.18; plain disable on older kernels).
 * After the restore each reads back the same.
 */
#include <sys/prctl.h>

#include "zdtm.h"

#ifndef PR_THP_DISABLE_EXCEPT_ADVISED
#define PR_THP_DISABLE_EXCEPT_ADVISED	(1 << 1)
#endif
#define SLACK_NS	123457
#define OOM_ADJ		321

struct prctl_state {
	int	reaper, pdeath;
	long	slack, thp, oom;
};

/* Read the whole state. */
static void state_read(struct prctl_state *s)
{
	char buf[32];
	int fd;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	zdtm_check(prctl(PR_GET_CHILD_SUBREAPER, &s->reaper, 0, 0, 0),
		   "PR_GET_CHILD_SUBREAPER");
	zdtm_check(prctl(PR_GET_PDEATHSIG, &s->pdeath, 0, 0, 0),
		   "PR_GET_PDEATHSIG");
	s->slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	s->thp = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
	fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
	zdtm_check(fd < 0, "open oom_score_adj");
	n = read(fd, buf, sizeof(buf) - 1);
	zdtm_check(n <= 0, "read oom_score_adj");
	buf[n] = 0;
	s->oom = atol(buf);
	close(fd);
}

int main(int argc, char **argv)
{
	struct prctl_state want, got;
	char val[16];
	int fd, len;

	zdtm_init(argc, argv);
	zdtm_check(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "subreaper");
	zdtm_check(prctl(PR_SET_PDEATHSIG, SIGURG, 0, 0, 0), "pdeathsig");
	zdtm_check(prctl(PR_SET_TIMERSLACK, SLACK_NS, 0, 0, 0), "timerslack");
	if (prctl(PR_SET_THP_DISABLE, 1, PR_THP_DISABLE_EXCEPT_ADVISED, 0, 0))
		zdtm_check(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0), "THP");
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	zdtm_check(fd < 0, "open oom_score_adj");
	len = snprintf(val, sizeof(val), "%d", OOM_ADJ);
	zdtm_check(write(fd, val, len) != len, "write oom_score_adj");
	close(fd);
	state_read(&want);
	if (!want.reaper || want.pdeath != SIGURG || want.slack != SLACK_NS ||
	    !want.thp || want.oom != OOM_ADJ)
		zdtm_fail("the state is not built");
	zdtm_ready();
	zdtm_wait();
	state_read(&got);
	if (memcmp(&got, &want, sizeof(got)))
		zdtm_fail("subreaper %d pdeath %d slack %ld thp %ld oom %ld; "
			  "want %d %d %ld %ld %ld", got.reaper, got.pdeath,
			  got.slack, got.thp, got.oom, want.reaper,
			  want.pdeath, want.slack, want.thp, want.oom);
	zdtm_pass();
}
