// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-pipe1: the pipes of one single-threaded process (the shapes the
 * kernel crfs checkpoints, and crfs-fuse too):
 *
 *   A  both ends, data in it, the read end also at a second number (dup)
 *   D  a write end alone (its reader closed): writes fail with EPIPE
 *   E  a read end alone (its writer closed): data, then end of file
 *   F  F_SETPIPE_SZ 256 KiB holding 200000 bytes
 *   G  O_NONBLOCK on both ends, empty: a read fails with EAGAIN
 *
 * After SIGTERM it checks each pipe: its data, its size and flags, its
 * ends (no end left open that the image did not have: E ends, A's write
 * end writes to its read end).
 */
#include "zdtm.h"

#define F_BYTES		200000
#define F_SIZE		(256 * 1024)

static int pa[2], pd[2], pe[2], pf[2], pg[2], a_dup;

int main(int argc, char **argv)
{
	static char fbuf[F_BYTES], fin[F_BYTES];
	ssize_t n;
	char c;

	zdtm_init(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	zdtm_check(pipe(pa) || pipe(pd) || pipe(pe) || pipe(pf) ||
		   pipe2(pg, O_NONBLOCK), "pipe");
	zdtm_check(write(pa[1], "A-data", 6) != 6, "write A");
	a_dup = dup(pa[0]);
	zdtm_check(a_dup < 0, "dup");
	zdtm_check(write(pd[1], "D", 1) != 1, "write D");
	close(pd[0]);
	zdtm_check(write(pe[1], "E-data", 6) != 6, "write E");
	close(pe[1]);
	zdtm_check(fcntl(pf[1], F_SETPIPE_SZ, F_SIZE) < 0, "F_SETPIPE_SZ");
	zdtm_fill(fbuf, sizeof(fbuf), 7);
	zdtm_check(write(pf[1], fbuf, F_BYTES) != F_BYTES, "write F");
	zdtm_ready();
	zdtm_wait();

	zdtm_expect(pa[0], "A-da", 4, "A");
	zdtm_expect(a_dup, "ta", 2, "A through its dup");
	zdtm_check(write(pa[1], "x", 1) != 1, "write A after");
	zdtm_expect(pa[0], "x", 1, "A after");
	n = write(pd[1], "D", 1);
	if (n != -1 || errno != EPIPE)
		zdtm_fail("D: a write end alone wrote %zd (%s)", n,
			  strerror(errno));
	zdtm_expect(pe[0], "E-data", 6, "E");
	n = read(pe[0], &c, 1);
	if (n != 0)
		zdtm_fail("E: %s instead of end of file",
			  n > 0 ? "more data" : strerror(errno));
	if (fcntl(pf[0], F_GETPIPE_SZ) != F_SIZE)
		zdtm_fail("F: size %d, want %d", fcntl(pf[0], F_GETPIPE_SZ),
			  F_SIZE);
	for (size_t got = 0; got < F_BYTES; got += n) {
		n = read(pf[0], fin + got, F_BYTES - got);
		zdtm_check(n <= 0, "read F");
	}
	if (zdtm_cmp(fin, F_BYTES, 7) >= 0)
		zdtm_fail("F: data differ at %ld", zdtm_cmp(fin, F_BYTES, 7));
	if (!(fcntl(pg[0], F_GETFL) & O_NONBLOCK) ||
	    !(fcntl(pg[1], F_GETFL) & O_NONBLOCK) ||
	    (fcntl(pa[0], F_GETFL) & O_NONBLOCK))
		zdtm_fail("G: O_NONBLOCK lost or gained");
	n = read(pg[0], fin, 1);
	if (n != -1 || errno != EAGAIN)
		zdtm_fail("G: read %zd (%s), want EAGAIN", n, strerror(errno));
	zdtm_pass();
}
