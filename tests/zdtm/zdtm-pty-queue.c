// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-pty-queue: data queued both ways in pseudo-terminal pairs come back
 * byte for byte, once, with the termios they had:
 *   10/11  canonical, echo and ONLCR on (a new pair's defaults): two lines
 *          and a line not ended yet written to the master (ICRNL turns
 *          the '\r' of the second into '\n'), a line with a ^D typed
 *          literally (^V ^D), their echo and the slave's "out\n" (as
 *          "out\r\n") queued for the master
 *   12/13  raw (cfmakeraw): control bytes both ways, ^C ^S ^Q ^D ^V DEL
 *          CR NL NUL 0xff, which processing would turn into something
 *          else
 * After SIGTERM (restored, or thawed after a checkpoint) each side reads
 * exactly what was queued, then nothing; the line not ended yet ends with
 * a '\n' written now; termios are as set.
 */
#include <poll.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "zdtm.h"

static const char canon_in[] = "line one\nline two\rpartial";
static const char lit_in[] = "a\026\004b\n";
static const char raw_in[] = "\003\023\021\004\026\177\r\n\000\377x";
static const char raw_out[] = "\r\n\000\377\023y";

/* A new pair: the master at @mfd, its slave (O_NOCTTY) at @sfd. */
static void pair(int mfd, int sfd)
{
	char pts[64];
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;

	zdtm_check(m < 0 || dup2(m, mfd) != mfd, "posix_openpt");
	close(m);
	zdtm_check(grantpt(mfd) || unlockpt(mfd) ||
		   ptsname_r(mfd, pts, sizeof(pts)), "unlockpt");
	s = open(pts, O_RDWR | O_NOCTTY);
	zdtm_check(s < 0 || dup2(s, sfd) != sfd, pts);
	close(s);
}

/* Write @n bytes at @p to @fd. */
static void put(int fd, const void *p, size_t n)
{
	zdtm_check(write(fd, p, n) != (ssize_t)n, "write");
}

/* Is there something to read on @fd (within 200 ms)? */
static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 200) == 1 && (p.revents & POLLIN);
}

/* One read() of @fd must give exactly the @n bytes at @want. */
static void expect(int fd, const char *what, const void *want, size_t n)
{
	char buf[4096];
	ssize_t r;

	if (!readable(fd))
		zdtm_fail("%s: nothing to read", what);
	r = read(fd, buf, sizeof(buf));
	if (r != (ssize_t)n || memcmp(buf, want, n))
		zdtm_fail("%s: read %zd bytes (\"%.*s\"), want %zu", what, r,
			  (int)(r > 0 ? r : 0), buf, n);
}

/* Everything @fd has, read until 200 ms of quiet, into @buf. */
static size_t drain(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len && readable(fd)) {
		ssize_t r = read(fd, buf + got, len - got);

		if (r <= 0)
			break;
		got += r;
	}
	return got;
}

/* @fd's termios must be @want's. */
static void same_termios(int fd, const struct termios *want, const char *what)
{
	struct termios t;

	zdtm_check(tcgetattr(fd, &t), "tcgetattr");
	if (t.c_iflag != want->c_iflag || t.c_oflag != want->c_oflag ||
	    t.c_cflag != want->c_cflag || t.c_lflag != want->c_lflag ||
	    memcmp(t.c_cc, want->c_cc, sizeof(t.c_cc)))
		zdtm_fail("%s: termios changed (lflag %#x, was %#x)", what,
			  t.c_lflag, want->c_lflag);
}

int main(int argc, char **argv)
{
	struct termios canon, raw;
	const char echo[] = "line one\r\nline two\r\npartial";
	const char echo_lit[] = "a^\b^Db\r\n";
	char want[256], buf[4096];
	size_t n;

	zdtm_init(argc, argv);
	pair(10, 11);
	pair(12, 13);
	zdtm_check(tcgetattr(11, &canon) || tcgetattr(13, &raw), "tcgetattr");
	cfmakeraw(&raw);
	zdtm_check(tcsetattr(13, TCSANOW, &raw), "tcsetattr");
	zdtm_check(tcgetattr(13, &raw), "tcgetattr");
	if (!(canon.c_lflag & ICANON) || !(canon.c_lflag & ECHO) ||
	    !(canon.c_oflag & ONLCR) || !(canon.c_iflag & ICRNL))
		zdtm_fail("a new pair is not canonical with echo, ONLCR, ICRNL");
	put(10, lit_in, sizeof(lit_in) - 1);
	put(10, canon_in, sizeof(canon_in) - 1);
	/* The echo first (the kernel makes it later, from a workqueue). */
	for (int i = 0, n = 0; n < 35 && i < 500; i++) {
		zdtm_check(ioctl(10, FIONREAD, &n), "FIONREAD");
		usleep(2000);
	}
	put(11, "out\n", 4);
	put(12, raw_in, sizeof(raw_in) - 1);
	put(13, raw_out, sizeof(raw_out) - 1);
	zdtm_ready();
	zdtm_wait();

	same_termios(11, &canon, "canonical slave");
	same_termios(13, &raw, "raw slave");
	/* The master of the canonical pair: the echo, then the output. */
	n = snprintf(want, sizeof(want), "%s%sout\r\n", echo_lit, echo);
	if (drain(10, buf, sizeof(buf)) != n || memcmp(buf, want, n))
		zdtm_fail("canonical master: not the echo and output queued");
	expect(11, "canonical slave, line 1", "a\004b\n", 4);
	expect(11, "canonical slave, line 2", "line one\n", 9);
	expect(11, "canonical slave, line 3", "line two\n", 9);
	if (readable(11))
		zdtm_fail("canonical slave: the line not ended yet reads");
	put(10, "\n", 1);
	expect(11, "canonical slave, line 4", "partial\n", 8);
	if (readable(11) || drain(10, buf, sizeof(buf)) != 2 ||
	    memcmp(buf, "\r\n", 2))
		zdtm_fail("canonical pair: more than queued");
	if (drain(13, buf, sizeof(buf)) != sizeof(raw_in) - 1 ||
	    memcmp(buf, raw_in, sizeof(raw_in) - 1))
		zdtm_fail("raw slave: not the bytes queued");
	if (drain(12, buf, sizeof(buf)) != sizeof(raw_out) - 1 ||
	    memcmp(buf, raw_out, sizeof(raw_out) - 1))
		zdtm_fail("raw master: not the bytes queued");
	zdtm_pass();
}
