// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-ctty: a child leads a session of its own whose controlling
 * terminal is the pseudo-terminal slave named by $ZDTM_PTS (its master
 * held by a process outside the container), opened once and closed: no
 * descriptor of it is left, the terminal stays the session's.
 * A terminal outside the container is not restored: the checkpoint must
 * refuse, naming the session, not drop the terminal.
 */
#include <sys/wait.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	const char *pts = getenv("ZDTM_PTS");
	int s, p[2];
	pid_t c;
	char ok;

	zdtm_init(argc, argv);
	zdtm_check(!pts, "ZDTM_PTS");
	zdtm_check(pipe(p), "pipe");
	c = fork();
	zdtm_check(c < 0, "fork");
	if (!c) {
		close(p[0]);
		if (setsid() < 0)
			_exit(1);
		s = open(pts, O_RDWR);	/* the session's terminal */
		if (s < 0)
			_exit(1);
		close(s);
		if (write(p[1], "y", 1) != 1)
			_exit(1);
		close(p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	zdtm_check(read(p[0], &ok, 1) != 1, "the child's terminal");
	close(p[0]);
	zdtm_ready();
	zdtm_wait();
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	zdtm_pass();
}
