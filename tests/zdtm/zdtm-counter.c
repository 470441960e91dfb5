// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-counter: the demo's counting program.  Every 100 ms it increments a
 * counter and appends "count N" to DIR/log, opened O_APPEND once.  After
 * SIGTERM it checks that the log holds exactly "count 1" .. "count N", in
 * order, one per tick: a restore that went back or restarted from zero
 * leaves a gap or a repeat.
 */
#include <time.h>

#include "zdtm.h"

/* Append one line; a short write is a failure. */
static void counter_log(int fd, unsigned long n)
{
	char line[64];
	int len = snprintf(line, sizeof(line), "count %lu\n", n);

	zdtm_check(write(fd, line, len) != len, "write log");
}

/* Check the log holds count 1 .. @last, one line each. */
static void counter_verify(const char *path, unsigned long last)
{
	unsigned long want = 1, got;
	char line[128];
	FILE *f;

	f = fopen(path, "re");
	zdtm_check(!f, "open log for checking");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "count %lu", &got) != 1)
			zdtm_fail("log line %lu is not a count: %s", want, line);
		if (got != want)
			zdtm_fail("log line %lu says count %lu", want, got);
		want++;
	}
	fclose(f);
	if (want - 1 != last)
		zdtm_fail("log ends at %lu but the counter is %lu", want - 1,
			  last);
}

int main(int argc, char **argv)
{
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	unsigned long count = 0;
	char path[4096];
	sigset_t term;
	int fd;

	zdtm_init(argc, argv);
	zdtm_path(path, sizeof(path), "log");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		  0644);
	zdtm_check(fd < 0, "open log");
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);

	counter_log(fd, ++count);
	zdtm_ready();
	for (;;) {
		/* The tick: SIGTERM ends it early, a freeze may interrupt it. */
		int sig = sigtimedwait(&term, NULL, &tick);

		if (sig == SIGTERM)
			break;
		if (sig < 0 && errno == EINTR)
			continue;
		zdtm_check(sig < 0 && errno != EAGAIN, "sigtimedwait");
		counter_log(fd, ++count);
	}
	zdtm_check(fcntl(fd, F_GETFL) < 0, "log descriptor lost");
	if (!(fcntl(fd, F_GETFL) & O_APPEND))
		zdtm_fail("log descriptor lost O_APPEND");
	close(fd);
	counter_verify(path, count);
	zdtm_pass();
}
