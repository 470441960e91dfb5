// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-pipe: pipes with data in them, held every way a restore makes them:
 *
 *   A  both ends in this process, data in it, the read end also at a
 *      second number (dup)
 *   B  parent reads, child writes: data in it
 *   C  both ends in the parent and two children, data in it
 *   D  a write end alone (its reader closed): writes fail with EPIPE
 *   E  a read end alone (its writer closed): data, then end of file
 *   F  F_SETPIPE_SZ 256 KiB holding 200000 bytes
 *   G  O_NONBLOCK on both ends, empty: a read fails with EAGAIN
 *   H  a read end opened again through /proc/self/fd for reading and
 *      writing, data written through it (not with ZDTM_PIPE_NO_REOPEN
 *      set: the kernel crfs refuses it yet)
 *
 * After SIGTERM each child writes its mark into B or C and exits; the
 * parent checks every pipe, then reads B and C to their end: their data,
 * then the children's marks, then end of file (no end left open that the
 * image did not have).
 */
#include <stdbool.h>
#include <sys/wait.h>

#include "zdtm.h"

#define F_BYTES		200000
#define F_SIZE		(256 * 1024)

static int pa[2], pb[2], pc[2], pd[2], pe[2], pf[2], pg[2], ph[2], a_dup,
	h_rw;

/* The end of file on @fd, or fail: an end left open somewhere. */
static void expect_eof(int fd, const char *what)
{
	char c;
	ssize_t n = read(fd, &c, 1);

	if (n != 0)
		zdtm_fail("%s: %s instead of end of file", what,
			  n > 0 ? "more data" : strerror(errno));
}

/* A child: keeps its ends, writes @mark into @fd after SIGTERM. */
static pid_t child(int fd, const char *mark, int keep)
{
	pid_t pid = fork();

	zdtm_check(pid < 0, "fork");
	if (pid)
		return pid;
	for (int i = 3; i < 64; i++)
		if (i != fd && i != keep && i != pc[0] && i != pc[1])
			close(i);
	zdtm_wait();
	if (write(fd, mark, strlen(mark)) != (ssize_t)strlen(mark))
		_exit(1);
	_exit(0);
}

/* Wait for @pid after SIGTERM; fail unless it exited 0. */
static void reap(pid_t pid, const char *what)
{
	int st;

	kill(pid, SIGTERM);
	zdtm_check(waitpid(pid, &st, 0) != pid, "waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		zdtm_fail("%s: child status %#x", what, st);
}

int main(int argc, char **argv)
{
	static char fbuf[F_BYTES], fin[F_BYTES];
	bool h = !getenv("ZDTM_PIPE_NO_REOPEN");
	pid_t kb, kc1, kc2;
	ssize_t n;

	zdtm_init(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	zdtm_check(pipe(pa) || pipe(pb) || pipe(pc) || pipe(pd) || pipe(pe) ||
		   pipe(pf) || pipe2(pg, O_NONBLOCK) || (h && pipe(ph)), "pipe");
	if (h) {
		snprintf(fin, sizeof(fin), "/proc/self/fd/%d", ph[0]);
		h_rw = open(fin, O_RDWR);
		zdtm_check(h_rw < 0, "reopen H");
		zdtm_check(write(h_rw, "H-data", 6) != 6, "write H");
	}
	zdtm_check(write(pa[1], "A-data", 6) != 6, "write A");
	a_dup = dup(pa[0]);
	zdtm_check(a_dup < 0, "dup");
	zdtm_check(write(pc[1], "C-data", 6) != 6, "write C");
	zdtm_check(write(pd[1], "D", 1) != 1, "write D");
	close(pd[0]);
	zdtm_check(write(pe[1], "E-data", 6) != 6, "write E");
	close(pe[1]);
	zdtm_check(fcntl(pf[1], F_SETPIPE_SZ, F_SIZE) < 0, "F_SETPIPE_SZ");
	zdtm_fill(fbuf, sizeof(fbuf), 7);
	zdtm_check(write(pf[1], fbuf, F_BYTES) != F_BYTES, "write F");
	kb = child(pb[1], "B-more", -1);
	kc1 = child(pc[1], "c1", pc[0]);
	kc2 = child(pc[1], "c2", pc[0]);
	zdtm_check(write(pb[1], "B-data", 6) != 6, "write B");
	close(pb[1]);
	snprintf(fin, sizeof(fin), "%d\n%d\n%d\n", kb, kc1, kc2);
	zdtm_check(zdtm_put("pids", fin), "write pids");
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
	expect_eof(pe[0], "E");
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
	if (h && (fcntl(h_rw, F_GETFL) & O_ACCMODE) != O_RDWR)
		zdtm_fail("H: not open for reading and writing");
	if (h) {
		zdtm_expect(ph[0], "H-d", 3, "H");
		zdtm_check(write(ph[1], "+", 1) != 1, "write H after");
		zdtm_expect(h_rw, "ata+", 4, "H through its reopening");
	}
	reap(kb, "B");
	zdtm_expect(pb[0], "B-dataB-more", 12, "B");
	expect_eof(pb[0], "B");
	reap(kc1, "C1");
	reap(kc2, "C2");
	close(pc[1]);
	zdtm_expect(pc[0], "C-datac1c2", 10, "C");
	expect_eof(pc[0], "C");
	zdtm_pass();
}
