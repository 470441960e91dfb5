// SPDX-License-Identifier: GPL-2.0
/*
 * swapper: swap pairs of names for as long as it runs, the way an attacker
 * races a privileged program that checks a path and then opens it.
 *
 *   swapper READY A1 B1 [A2 B2 ...]
 *
 * Each round exchanges every pair with renameat2(RENAME_EXCHANGE), then
 * exchanges it back, so that each name is the other file about half of
 * the time.  After the first round it creates READY.  On SIGTERM or SIGINT
 * it stops between two rounds, so the names are as it found them, and
 * exits 0; any failed exchange is reported and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/fs.h>

static volatile sig_atomic_t stop;

/* Ask the loop to stop after its current round. */
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Exchange @a and @b atomically; exit on failure. */
static void exchange(const char *a, const char *b)
{
	if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b,
		    RENAME_EXCHANGE)) {
		fprintf(stderr, "swapper: exchange %s and %s: %s\n", a, b,
			strerror(errno));
		exit(1);
	}
}

/* Spin a little so that each state of the names lasts a while. */
static void linger(void)
{
	for (volatile int i = 0; i < 2000; i++)
		;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned long rounds = 0;
	int i, fd;

	if (argc < 4 || (argc - 2) % 2) {
		fprintf(stderr, "usage: swapper READY A1 B1 [A2 B2 ...]\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		for (i = 2; i < argc; i += 2)
			exchange(argv[i], argv[i + 1]);
		linger();
		for (i = 2; i < argc; i += 2)
			exchange(argv[i], argv[i + 1]);
		linger();
		if (!rounds++) {
			fd = open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			if (fd < 0) {
				fprintf(stderr, "swapper: %s: %s\n", argv[1],
					strerror(errno));
				return 1;
			}
			close(fd);
		}
	}
	printf("%lu rounds\n", rounds);
	return 0;
}
