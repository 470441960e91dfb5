// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-ctty: a child leads a session of its own with a controlling
 * terminal (a pseudo-terminal slave it opened, then closed; the master
 * stays open in it).  Terminals are not restored: the checkpoint must
 * refuse, naming the session, not drop the terminal.
 */
#include <sys/wait.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	int m, s, p[2];
	pid_t c;
	char ok;

	zdtm_init(argc, argv);
	zdtm_check(pipe(p), "pipe");
	c = fork();
	zdtm_check(c < 0, "fork");
	if (!c) {
		close(p[0]);
		m = posix_openpt(O_RDWR | O_NOCTTY);
		if (m < 0 || grantpt(m) || unlockpt(m) || setsid() < 0)
			_exit(1);
		s = open(ptsname(m), O_RDWR);	/* the session's terminal */
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
