// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the late steps' queue of injected calls (restore-queue.c)
 * on a real traced process, TAP output: the calls run in one stop, in
 * their order, each result where it was asked for; a call that fails is
 * reported as cr_rst_call() reports it (pid, what, reason) and the calls
 * after it do not run; a read-back that fails takes its error and the
 * calls after it still run; a poke flushes the queue before it.  Needs
 * ptrace of a child; skips otherwise.
 *
 * The child is forked with the scratch area already mapped (the parent
 * maps it first: same address in both), the injection gadget at its
 * start, then stops itself and is seized, as a restored process is.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/prctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "restore.h"
#include "tap.h"

#define TAP_PLAN	16
#define PAGE		4096UL

/* A stopped, seized child with a scratch area, in @r; 0 or -1. */
static int child_start(struct cr_rst *r)
{
	static const unsigned char gadget[] = { 0x0f, 0x05, 0xcc };
	struct cr_err e = { 0 };
	size_t size = CR_RST_SCRATCH_PAGES * PAGE;
	int status, sv[2];
	void *area;
	char c;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	area = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return -1;
	memcpy(area, gadget, sizeof(gadget));
	if (pipe(sv))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "q-before");
		close(sv[0]);
		/* Ready: named, nothing more to run but pause(). */
		if (write(sv[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(sv[1]);
	munmap(area, size);
	c = 0;
	if (read(sv[0], &c, 1) != 1 || c != 'r' || ptrace(PTRACE_SEIZE, pid, NULL,
		   (void *)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) ||
	    ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) ||
	    waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
		close(sv[0]);
		return -1;
	}
	close(sv[0]);
	r->pid = pid;
	r->scratch = (unsigned long)area;
	r->scratch_size = size;
	if (cr_infect_init(&r->inf, pid, r->scratch, &e)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
		return -1;
	}
	return 0;
}

/*
 * An image's process with SIGTRAP neither ignored nor pending, and no
 * timer: its batches skip the look at /proc (cr_infect_batch_run()).
 */
static void child_quiet(struct cr_rst *r)
{
	static struct cr_sighand sh;
	static struct cr_task t = { .sighand = &sh };

	r->task = &t;
}

/* Kill and reap the child of @r. */
static void child_end(struct cr_rst *r)
{
	kill(r->pid, SIGKILL);
	while (waitpid(r->pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

/* The name of the child (/proc/PID/comm), "" if unreadable. */
static const char *child_comm(const struct cr_rst *r, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", r->pid);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return buf;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return buf;
}

/* Settings and read-backs in one batch, results where asked. */
static void test_batch(void)
{
	struct cr_err e = { 0 };
	struct cr_rst r;
	long pdeath = -1, slack = -1;
	unsigned long at = 0;
	char comm[32];
	int32_t got = -1;
	struct iovec local = { &got, sizeof(got) }, remote;
	int rc;

	if (child_start(&r)) {
		for (int i = 0; i < 6; i++)
			ok(1, "# SKIP cannot seize a child");
		return;
	}
	rc = cr_rst_queue_poke(&r, "q-after", sizeof("q-after"), &at, &e);
	rc = rc ? rc : cr_rst_queue(&r, SYS_prctl, CR_ARGS(PR_SET_NAME, at),
				    "cannot set the name", NULL, &e);
	rc = rc ? rc : cr_rst_queue(&r, SYS_prctl,
				    CR_ARGS(PR_SET_PDEATHSIG, SIGUSR2),
				    "cannot set the parent-death signal", NULL,
				    &e);
	rc = rc ? rc : cr_rst_queue(&r, SYS_prctl,
				    CR_ARGS(PR_SET_TIMERSLACK, 123456),
				    "cannot set the timer slack", NULL, &e);
	rc = rc ? rc : cr_rst_queue_poke(&r, &got, sizeof(got), &at, &e);
	rc = rc ? rc : cr_rst_queue(&r, SYS_prctl,
				    CR_ARGS(PR_GET_PDEATHSIG, at),
				    "cannot read a prctl value back", NULL, &e);
	rc = rc ? rc : cr_rst_queue(&r, SYS_prctl,
				    CR_ARGS(PR_GET_TIMERSLACK), NULL, &slack,
				    &e);
	ok(!rc && r.q.n == 5 && !r.q.runs, "five calls queued, none run yet");
	ok(!strcmp(child_comm(&r, comm, sizeof(comm)), "q-before"),
	   "a queued call has no effect before the flush (name %s)", comm);
	rc = cr_rst_flush(&r, &e);
	ok(!rc && r.q.n == 0, "the flush runs them (%s)", rc ? e.msg : "");
	ok(r.q.runs == 1, "in one stop of the process (%u batches)", r.q.runs);
	remote = (struct iovec){ (void *)at, sizeof(got) };
	rc = process_vm_readv(r.pid, &local, 1, &remote, 1, 0) != sizeof(got);
	ok(!rc && got == SIGUSR2 && slack == 123456 &&
	   !strcmp(child_comm(&r, comm, sizeof(comm)), "q-after"),
	   "each in its order, each result where asked (pdeath %d, slack %ld, "
	   "name %s)", got, slack, comm);
	/* cr_rst_syscall() flushes first: its call sees the queued ones. */
	rc = cr_rst_queue(&r, SYS_prctl, CR_ARGS(PR_SET_PDEATHSIG, SIGUSR1),
			  "cannot set the parent-death signal", NULL, &e);
	at = 0;
	rc = rc ? rc : cr_rst_poke(&r, 0, &got, sizeof(got), &at, &e);
	rc = rc ? rc : cr_rst_syscall(&r, SYS_prctl,
				      CR_ARGS(PR_GET_PDEATHSIG, at), &pdeath,
				      &e);
	got = -1;
	remote = (struct iovec){ (void *)at, sizeof(got) };
	if (!rc && process_vm_readv(r.pid, &local, 1, &remote, 1, 0) !=
	    sizeof(got))
		rc = -EIO;
	ok(!rc && !pdeath && r.q.n == 0 && got == SIGUSR1,
	   "a poke and a single call run the queue first (pdeath %d)", got);
	child_end(&r);
}

/* A failing call: named, the calls after it not run. */
static void test_fail(void)
{
	struct cr_err e = { 0 };
	struct cr_rst r;
	long slack = -1, bad = 0;
	unsigned long at = 0;
	char want[128], comm[32];
	int rc;

	if (child_start(&r)) {
		for (int i = 0; i < 6; i++)
			ok(1, "# SKIP cannot seize a child");
		return;
	}
	/* A read-back that fails takes its error; the batch goes on. */
	rc = cr_rst_queue(&r, SYS_prctl, CR_ARGS(PR_SET_TIMERSLACK, 222222),
			  "cannot set the timer slack", NULL, &e);
	rc = rc ? rc : cr_rst_queue(&r, SYS_prctl, CR_ARGS(-1UL), NULL, &bad,
				    &e);
	rc = rc ? rc : cr_rst_queue(&r, SYS_prctl, CR_ARGS(PR_GET_TIMERSLACK),
				    NULL, &slack, &e);
	rc = rc ? rc : cr_rst_flush(&r, &e);
	ok(!rc && bad == -EINVAL && slack == 222222,
	   "a failed read-back keeps its error (%ld), the calls after it run "
	   "(slack %ld)", bad, slack);
	/* A call that must succeed fails in the middle of a batch. */
	rc = cr_rst_queue(&r, SYS_prctl, CR_ARGS(PR_SET_TIMERSLACK, 333333),
			  "cannot set the timer slack", NULL, &e);
	rc = rc ? rc : cr_rst_queue(&r, SYS_prctl,
				    CR_ARGS(PR_SET_PDEATHSIG, 1000),
				    "cannot set the parent-death signal", NULL,
				    &e);
	rc = rc ? rc : cr_rst_queue_poke(&r, "q-never", sizeof("q-never"), &at,
					 &e);
	rc = rc ? rc : cr_rst_queue(&r, SYS_prctl, CR_ARGS(PR_SET_NAME, at),
				    "cannot set the name", NULL, &e);
	ok(!rc && r.q.n == 3, "three calls queued, the second bad");
	memset(&e, 0, sizeof(e));
	rc = cr_rst_flush(&r, &e);
	snprintf(want, sizeof(want),
		 "pid %d: cannot set the parent-death signal: %s", r.pid,
		 strerror(EINVAL));
	ok(rc == -EINVAL && e.err == EINVAL, "the flush fails with the call's "
	   "errno (%d, %d)", rc, e.err);
	ok(!strcmp(e.msg, want), "the reason names pid and call, as "
	   "cr_rst_call() does: \"%s\"", e.msg);
	ok(!strcmp(child_comm(&r, comm, sizeof(comm)), "q-before"),
	   "the call after the failed one did not run (name %s)", comm);
	slack = -1;
	rc = cr_rst_syscall(&r, SYS_prctl, CR_ARGS(PR_GET_TIMERSLACK), &slack,
			    &e);
	ok(!rc && slack == 333333 && r.q.n == 0,
	   "the one before it did (slack %ld), the queue is empty", slack);
	child_end(&r);
}

/*
 * Calls with data of their own, more than the queue and its data page
 * hold: each call still finds its own data (a pwrite() of it to a memfd
 * the child shares), whichever of the two filled first.
 */
static void test_data(void)
{
	enum { N = CR_RST_QUEUE * 3 + 5, LEN = 128 };
	struct cr_err e = { 0 };
	unsigned char buf[LEN], back[LEN];
	struct cr_rst r;
	int fd, rc = 0, bad = 0;
	unsigned long at;

	fd = memfd_create("test-queue", 0);
	if (fd < 0 || child_start(&r)) {
		ok(1, "# SKIP no memfd or cannot seize a child");
		ok(1, "# SKIP no memfd or cannot seize a child");
		if (fd >= 0)
			close(fd);
		return;
	}
	/* The first shorter (as an alternate stack before the signals). */
	child_quiet(&r);
	for (int i = 0; !rc && i < N; i++) {
		size_t len = i ? LEN : 24;

		memset(buf, i, sizeof(buf));
		rc = cr_rst_queue_poke(&r, buf, len, &at, &e);
		rc = rc ? rc : cr_rst_queue(&r, SYS_pwrite64,
					    CR_ARGS(fd, at, len, i * LEN),
					    "cannot write", NULL, &e);
	}
	rc = rc ? rc : cr_rst_flush(&r, &e);
	for (int i = 0; !rc && i < N; i++) {
		size_t len = i ? LEN : 24;

		if (pread(fd, back, len, i * LEN) != (ssize_t)len)
			bad++;
		memset(buf, i, sizeof(buf));
		bad += !!memcmp(back, buf, len);
	}
	ok(!rc && !bad, "%d calls each with %d bytes of data, each its own "
	   "(%d wrong) %s", N, LEN, bad, rc ? e.msg : "");
	ok(r.q.quiet == 1 && r.q.runs >= 4, "the batches of a quiet image "
	   "skip /proc (%u batches)", r.q.runs);
	child_end(&r);
	close(fd);
}

/* More calls than the queue holds: run as it fills, none lost. */
static void test_full(void)
{
	struct cr_err e = { 0 };
	struct cr_rst r;
	long got[CR_RST_QUEUE * 2 + 3];
	int n = CR_RST_QUEUE * 2 + 3, rc = 0, bad = 0;

	if (child_start(&r)) {
		for (int i = 0; i < 2; i++)
			ok(1, "# SKIP cannot seize a child");
		return;
	}
	for (int i = 0; !rc && i < n; i++) {
		got[i] = -1;
		rc = cr_rst_queue(&r, SYS_getpid, CR_ARGS(0), NULL, &got[i],
				  &e);
	}
	rc = rc ? rc : cr_rst_flush(&r, &e);
	for (int i = 0; i < n; i++)
		bad += got[i] != r.pid;
	ok(!rc && !bad, "%d calls, every result there (%d wrong)", n, bad);
	ok(r.q.runs == 3, "in %u batches of at most %d", r.q.runs,
	   CR_RST_QUEUE);
	child_end(&r);
}

int main(void)
{
	printf("1..%d\n", TAP_PLAN);
	test_batch();
	test_fail();
	test_data();
	test_full();
	if (tap_nr != TAP_PLAN)
		diag("planned %d, ran %d", TAP_PLAN, tap_nr);
	return tap_failed || tap_nr != TAP_PLAN;
}
