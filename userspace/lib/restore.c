// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Restore, in phases (Documentation/crfs/engine.rst):
 *
 *  1. read and plan: the image's objects and processes into a model,
 *     checked (img-check.c), then what this machine must give (the plan
 *     hook of every row of the resource table);
 *  2. create the tree with its pids: the root by clone3() as a sibling of
 *     the caller (CLONE_PARENT: the caller's parent reaps it; CLONE_NEWPID
 *     for an image of a pid namespace of its own), in the cgroup, and
 *     each process its children (restore-tree.c);
 *  3. each process restores its own state (the rows' child hooks,
 *     restore-task.c) and stops, woken in the image's order;
 *  4. memory: their tracer (the calling thread) swaps each address space
 *     for the image's, the processes join their groups, the zombies end,
 *     then it writes the pages as they stream in (restore-mm.c);
 *  5. final state: the rows' late hooks of each process, then registers
 *     and mask, the cgroup frozen, and the processes let go straight from
 *     the ptrace stop into the freezer (those stopped by a signal first,
 *     with a SIGSTOP, frozen once stopped).
 *
 * A failure at any point kills what was made; the cgroup is left empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/sched.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "restore.h"
#include "cr-ring.h"

/* How long a pid held by a dying process or a zombie is waited for. */
#define CR_PID_WAIT_MS		5000
/* How long the new process may take to restore its own state. */
#define CR_CHILD_TIMEOUT_MS	10000
#define CR_FREEZE_TIMEOUT_MS	5000
/* How often a wait looks whether the restore was called off. */
#define CR_POLL_MS		10

#ifndef PF_EXITING
#define PF_EXITING	0x00000004
#endif

int cr_rst_aborted(const struct cr_rst *r, struct cr_err *e)
{
	int err = r->ring ? cr_ring_aborted(r->ring) : 0;

	if (!err)
		return 0;
	return cr_fail(e, ECANCELED, "pid %d: restore called off (%s)",
		       r->pid ? r->pid : (int)r->task->t.pid,
		       err == EPIPE ? "the engine's stream was shut down" :
		       strerror(err));
}

/* Milliseconds on the monotonic clock. */
static long cr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Sleep @ms milliseconds. */
static void cr_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Who holds @pid: 1 if it is going away (zombie, exiting, or gone
 * already), 0 if a live process has it (@comm receives its name).
 */
int cr_pid_going(pid_t pid, char *comm, size_t len)
{
	char path[64], *buf, *lp, *rp;
	unsigned long flags = 0;
	char state = '?';
	int going;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	buf = cr_read_file(path, NULL);
	if (!buf)
		return 1;
	lp = strchr(buf, '(');
	rp = strrchr(buf, ')');
	if (!lp || !rp || rp < lp) {
		free(buf);
		return 1;
	}
	snprintf(comm, len, "%.*s", (int)(rp - lp - 1), lp + 1);
	/* ") S ppid pgrp session tty tpgid flags" */
	sscanf(rp + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags);
	going = state == 'Z' || state == 'X' || (flags & PF_EXITING);
	free(buf);
	return going;
}

/*
 * Can a child be cloned straight into the cgroup @cgfd?  Moving it in
 * afterwards through cgroup.procs costs an RCU grace period (10 ms or
 * more); CLONE_INTO_CGROUP does not.  But this kernel (6.18) compares the
 * cgroup.kill count of the target with the one of the caller's cgroup,
 * and SIGKILLs the child at birth when they differ (a container that was
 * killed once, or a daemon in a cgroup that was).  A throwaway child,
 * ours to reap, tells which case this is without risking the image's pid.
 */
static bool cr_clone_into_works(int cgfd)
{
	struct clone_args args = {
		/* no copy of our memory to make and to tear down */
		.flags = CLONE_INTO_CGROUP | CLONE_VM | CLONE_VFORK,
		.cgroup = cgfd,
	};
	int status;
	long ret;

	ret = cr_arch_clone3_exit(&args, sizeof(args));
	if (ret < 0)
		return false;
	while (waitpid(ret, &status, __WALL) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * clone3() with the image's pid, in @cgdir before it makes a child: cloned
 * into it when the kernel allows (see cr_clone_into_works()), else it
 * moves itself in through cgroup.procs first thing (cr_rst_task_child()):
 * moved in from here, after clone3(), it could have made its children
 * already, which would stay outside.  A pid held by a dying process or a
 * zombie is waited for, up to CR_PID_WAIT_MS.
 */
static pid_t cr_spawn(struct cr_rst *r, pid_t pid, const char *cgdir,
		      struct cr_rst_child *c, struct cr_err *e)
{
	pid_t tid = pid;
	struct clone_args args = {
		/* exit_signal must be 0: CLONE_PARENT takes the caller's */
		.flags = CLONE_PARENT | CLONE_PIDFD,
		.pidfd = (uintptr_t)&r->pidfd,
		.set_tid = (uintptr_t)&tid,
		.set_tid_size = 1,
	};

	/* The first process of a new pid namespace: pid 1 there. */
	if (r->tree && r->tree->pidns) {
		args.flags |= CLONE_NEWPID;
		args.set_tid = 0;
		args.set_tid_size = 0;
	}
	long deadline = cr_now_ms() + CR_PID_WAIT_MS, nap = 1, ret;
	char comm[64] = "?";
	int cgfd, rc;

	cgfd = open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return cr_fail(e, errno, "%s: cannot open the container's cgroup: %m",
			       cgdir);
	if (cr_clone_into_works(cgfd)) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = cgfd;
	} else {
		c->cg_procs = openat(cgfd, "cgroup.procs",
				     O_WRONLY | O_CLOEXEC);
		if (c->cg_procs < 0) {
			rc = cr_fail(e, errno, "%s/cgroup.procs: cannot open: %m",
				     cgdir);
			goto out_close;
		}
		c->cg_move = true;
	}
	for (;;) {
		ret = syscall(SYS_clone3, &args, sizeof(args));
		if (ret == 0)
			cr_rst_task_child(c);
		if (ret > 0)
			break;
		if (errno != EEXIST) {
			rc = cr_fail(e, errno, "pid %d: cannot create: %m", pid);
			goto out_close;
		}
		if (!cr_pid_going(pid, comm, sizeof(comm))) {
			rc = cr_fail(e, EBUSY,
				     "pid %d is in use by another process (%s)",
				     pid, comm);
			goto out_close;
		}
		rc = cr_rst_aborted(r, e);
		if (rc)
			goto out_close;
		if (cr_now_ms() >= deadline) {
			rc = cr_fail(e, EBUSY,
				     "pid %d is still held by a dying process (%s) after %d ms",
				     pid, comm, CR_PID_WAIT_MS);
			goto out_close;
		}
		/* Short naps first: a dying process is usually gone at once. */
		cr_sleep_ms(nap);
		nap = nap * 2 < 20 ? nap * 2 : 20;
	}
	rc = ret;
out_close:
	if (c->cg_move) {
		close(c->cg_procs);
		c->cg_move = false;
	}
	close(cgfd);
	return rc;
}

/* Let the child go on, take its report and wait for its SIGSTOP. */
static int cr_child_sync(struct cr_rst *r, int sock, struct cr_err *e)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	bool zombie = cr_rst_zombie(r);
	struct cr_rst_res res;
	int status, rc, waited;
	ssize_t n;

	/* Made by its parent, which said so: it says who it is. */
	for (waited = 0; waited < CR_CHILD_TIMEOUT_MS; waited += CR_POLL_MS) {
		rc = poll(&pfd, 1, CR_POLL_MS);
		if (rc > 0 || (rc < 0 && errno != EINTR))
			break;
		rc = cr_rst_aborted(r, e);
		if (rc)
			return rc;
	}
	if (rc <= 0)
		return cr_fail(e, rc ? errno : ETIMEDOUT,
			       "pid %u: no word from the new process",
			       r->task->t.pid);
	rc = cr_rst_tree_whois(r, sock, e);
	if (rc)
		return rc;
	if (!zombie && ptrace(PTRACE_SEIZE, r->pid, NULL,
			      (void *)(PTRACE_O_TRACESYSGOOD |
				       PTRACE_O_EXITKILL)))
		return cr_fail(e, errno, "pid %d: cannot seize: %m", r->pid);
	r->seized = !zombie;
	if (cr_write_full(sock, "g", 1) != 1)
		return cr_fail(e, errno, "pid %d: cannot wake up: %m", r->pid);
	rc = cr_rst_tree_send(r, sock, e);
	if (rc)
		return rc;
	for (waited = 0; waited < CR_CHILD_TIMEOUT_MS; waited += CR_POLL_MS) {
		rc = poll(&pfd, 1, CR_POLL_MS);
		if (rc < 0 && errno != EINTR)
			return cr_fail(e, errno,
				       "pid %d: no word from the new process: %m",
				       r->pid);
		if (rc > 0)
			break;
		rc = cr_rst_aborted(r, e);
		if (rc)
			return rc;
	}
	if (rc <= 0)
		return cr_fail(e, ETIMEDOUT,
			       "pid %d: no word from the new process after %d ms",
			       r->pid, CR_CHILD_TIMEOUT_MS);
	n = cr_read_full(sock, &res, sizeof(res));
	if (n != sizeof(res)) {
		/* It closed its socket: it is dead, say how. */
		status = 0;
		while (waitpid(r->pid, &status, __WALL) < 0 && errno == EINTR)
			;
		return cr_fail(e, ESRCH,
			       "pid %d: died while restoring its own state (%s %d)",
			       r->pid, WIFSIGNALED(status) ? "signal" : "exit",
			       WIFSIGNALED(status) ? WTERMSIG(status) :
			       WEXITSTATUS(status));
	}
	rc = cr_rst_task_reason(r, &res, e);
	if (rc || zombie)
		return rc;
	while (waitpid(r->pid, &status, __WALL) < 0)
		if (errno != EINTR)
			return cr_fail(e, errno, "pid %d: wait: %m", r->pid);
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP)
		return cr_fail(e, EIO, "pid %d: did not stop (status %#x)",
			       r->pid, status);
	return 0;
}

/* Read the PAGES records up to END and write them into the process. */
static int cr_read_pages(struct cr_rst *r, struct cr_img_walk *w,
			 struct cr_err *e)
{
	int rc;

	while ((rc = cr_rst_next_pages(w, e)) == CR_WALK_PAGES) {
		rc = cr_rst_mm_pages(r, &w->pages, e);
		if (rc)
			return rc;
	}
	return rc;
}

/*
 * Keep the calling thread, and so the process it creates, on the CPU it
 * runs on: each injected call is a stop and a resume of the process, and
 * between two CPUs of a virtual machine each one also wakes an idle CPU
 * (2 to 5 ms more for a restore here).  Best effort: false if not pinned.
 */
static bool cr_pin_begin(cpu_set_t *saved, cpu_set_t *one)
{
	int cpu = sched_getcpu();

	if (cpu < 0 || cpu >= CPU_SETSIZE ||
	    sched_getaffinity(0, sizeof(*saved), saved))
		return false;
	CPU_ZERO(one);
	CPU_SET(cpu, one);
	return !sched_setaffinity(0, sizeof(*one), one);
}

/* Undo cr_pin_begin() for the calling thread. */
static void cr_pin_end(const cpu_set_t *saved)
{
	sched_setaffinity(0, sizeof(*saved), saved);
}

/* Wait until @r's process is stopped by a signal ('T'). */
static int cr_wait_stopped(const struct cr_rst *r, struct cr_err *e)
{
	char path[64], *buf, *rp;
	char state = '?';
	int waited;

	snprintf(path, sizeof(path), "/proc/%d/stat", r->pid);
	for (waited = 0; waited < CR_FREEZE_TIMEOUT_MS; waited++) {
		buf = cr_read_file(path, NULL);
		rp = buf ? strrchr(buf, ')') : NULL;
		if (rp)
			sscanf(rp + 1, " %c", &state);
		free(buf);
		if (state == 'T')
			return 0;
		cr_sleep_ms(1);
	}
	return cr_fail(e, ETIMEDOUT, "pid %d: did not stop again (state %c) after %d ms",
		       r->pid, state, CR_FREEZE_TIMEOUT_MS);
}

/*
 * The stopped process's last state: its CPU affinity (cr_pin_begin()
 * gave it the restorer's CPU), registers, mask.  Stopped by a signal
 * (job control): a SIGSTOP, which it takes as it is let go, before it
 * runs an instruction.  Not SIGTSTP, SIGTTIN or SIGTTOU: the restored
 * root leads a session of its own, an orphaned process group, where the
 * kernel discards those three.  Sent to the thread: it comes before the
 * process's queued signals.
 */
static int cr_last_state(struct cr_rst *r, struct cr_err *e)
{
	struct crfs_x86_regs regs = r->thread->arch.regs;
	uint64_t mask = r->thread->t.blocked;
	int rc;

	rc = cr_rst_affinity(r, e);
	if (rc)
		return rc;
	/* orig_rax as dumped: an interrupted call restarts as the kernel says */
	rc = cr_arch_set_regs(r->pid, &regs, r->thread->arch.xstate,
			      r->thread->arch.xstate_size, e);
	if (rc)
		return rc;
	if (ptrace(PTRACE_SETSIGMASK, r->pid, (void *)sizeof(mask), &mask))
		return cr_fail(e, errno, "pid %d: cannot set the signal mask: %m",
			       r->pid);
	if (r->task->t.state == CRFS_TASK_STOPPED &&
	    syscall(SYS_tgkill, r->pid, r->pid, SIGSTOP))
		return cr_fail(e, errno, "pid %d: cannot stop it again: %m",
			       r->pid);
	return 0;
}

/* Detach @r's process: it goes from its ptrace stop where it must. */
static int cr_detach(struct cr_rst *r, struct cr_err *e)
{
	if (ptrace(PTRACE_DETACH, r->pid, NULL, NULL))
		return cr_fail(e, errno, "pid %d: cannot detach: %m", r->pid);
	r->seized = false;
	return 0;
}

/*
 * Let every live process go: first those stopped by a signal, each
 * stopped again ('T') before the freeze, so that it stays stopped in the
 * freezer and after a thaw; then the cgroup frozen, and the others let
 * go straight from the ptrace stop into the freezer, before they run.
 */
static int cr_let_go(struct cr_rst_tree *t, struct cr_err *e)
{
	const char *cgdir = t->rst[0].cgdir;
	int rc = 0;

	/* Each process's other threads first, into the freezer. */
	for (uint32_t i = 0; !rc && i < t->nr; i++) {
		if (cr_rst_zombie(&t->rst[i]))
			continue;
		rc = cr_rst_threads_let_go(&t->rst[i], e);
		if (!rc)
			rc = cr_last_state(&t->rst[i], e);
	}
	for (uint32_t i = 0; !rc && i < t->nr; i++) {
		struct cr_rst *r = &t->rst[i];

		if (cr_rst_zombie(r) || r->task->t.state != CRFS_TASK_STOPPED)
			continue;
		rc = cr_detach(r, e);
		if (!rc)
			rc = cr_wait_stopped(r, e);
	}
	if (!rc && (rc = cr_cgroup_freeze(cgdir, true)))
		return cr_fail(e, -rc, "%s: cannot freeze: %s", cgdir,
			       strerror(-rc));
	for (uint32_t i = 0; !rc && i < t->nr; i++)
		if (t->rst[i].seized)
			rc = cr_detach(&t->rst[i], e);
	if (rc)
		return rc;
	rc = cr_cgroup_wait_frozen(cgdir, 1, CR_FREEZE_TIMEOUT_MS);
	if (rc)
		return cr_fail(e, -rc, "%s: did not freeze: %s", cgdir,
			       strerror(-rc));
	return 0;
}

/*
 * Wait, up to CR_PID_WAIT_MS, until every process of @t it has a pidfd of
 * is dead (its pidfd readable).  A process killed before it moved itself
 * into the cgroup (cr_rst_task_child()) may still be inside that write to
 * cgroup.procs: "populated 0" said then does not last.
 */
static void cr_undo_wait_dead(struct cr_rst_tree *t)
{
	long deadline = cr_now_ms() + CR_PID_WAIT_MS;
	struct pollfd *pfd = calloc(t->nr, sizeof(*pfd));
	nfds_t n = 0;

	if (!pfd)
		return;
	for (uint32_t i = 0; i < t->nr; i++)
		if (t->rst[i].pidfd >= 0)
			pfd[n++] = (struct pollfd){ .fd = t->rst[i].pidfd,
						    .events = POLLIN };
	while (n) {
		long left = deadline - cr_now_ms();
		nfds_t k = 0;
		int rc;

		if (left <= 0)
			break;
		rc = poll(pfd, n, (int)left);
		if (rc < 0 && errno != EINTR)
			break;
		if (rc <= 0)
			continue;
		for (nfds_t j = 0; j < n; j++)
			if (!pfd[j].revents)
				pfd[k++] = pfd[j];
		n = k;
	}
	free(pfd);
}

/* Kill what was created and leave the cgroup empty and thawed. */
static void cr_undo(struct cr_rst_tree *t)
{
	const char *cgdir = t->rst[0].cgdir;
	int populated = 1, waited;

	for (uint32_t i = 0; i < t->nr; i++) {
		struct cr_rst *r = &t->rst[i];

		if (r->pid <= 0)
			continue;
		/* By pidfd: the pid may be another process's once reaped. */
		if (r->pidfd >= 0)
			syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL,
				0);
		else if (!i)
			kill(r->pid, SIGKILL);
	}
	/* The threads first (they die at once): a leader is reaped after. */
	for (uint32_t i = 0; i < t->nr; i++)
		cr_rst_threads_undo(&t->rst[i]);
	/*
	 * Reap the ptrace side, in any order: a process does not finish
	 * dying before its traced children are reaped by their tracer (pid
	 * 1 of a namespace waits for every process of it), so no wait may
	 * block; the parents reap the rest.
	 */
	for (waited = 0; waited < CR_PID_WAIT_MS; waited++) {
		bool left = false;

		for (uint32_t i = 0; i < t->nr; i++) {
			struct cr_rst *r = &t->rst[i];
			pid_t got;

			if (!r->seized && (i || r->pid <= 0))
				continue;
			got = waitpid(r->pid, NULL, __WALL | WNOHANG);
			if (got == r->pid || (got < 0 && errno == ECHILD)) {
				r->seized = false;
				if (!i)
					r->pid = 0;
			} else {
				left = true;
			}
		}
		if (!left)
			break;
		cr_sleep_ms(1);
	}
	cr_undo_wait_dead(t);
	/*
	 * cgroup.kill only if something else is there (a process made by
	 * its parent that the restore did not reach): once written, it
	 * makes the kernel kill children cloned into the cgroup later.
	 */
	for (waited = 0; waited < CR_PID_WAIT_MS; waited += 10) {
		if (cr_cgroup_events(cgdir, &populated, NULL) || !populated)
			break;
		if (waited == 20 || waited == 1000)
			cr_cgroup_kill(cgdir);
		cr_sleep_ms(10);
	}
	cr_cgroup_freeze(cgdir, false);
}

/* Phase 5 of every row: injected calls into the stopped process. */
static int cr_late(struct cr_rst *r, struct cr_err *e)
{
	int rc = 0;

	for (int i = 0; !rc && i < CR_RES_NR; i++)
		if (cr_res_table[i]->late)
			rc = cr_rst_late_row(cr_res_table[i], r, e);
	return rc;
}

/*
 * Every pid of the image (and of the helpers of its process groups) must
 * be free before the tree is made: a parent cannot wait for its child's.  Held by a live process: the
 * restore fails naming it; by a zombie or an exiting process: waited
 * for, up to CR_PID_WAIT_MS.
 */
static int cr_pids_free(const struct cr_rst_tree *t, struct cr_err *e)
{
	long deadline = cr_now_ms() + CR_PID_WAIT_MS, nap = 1;
	char comm[64] = "?";
	uint32_t i = 0;

	while (i < t->nr + t->nr_helpers) {
		pid_t pid = i < t->nr ? (pid_t)t->rst[i].task->t.pid :
			    (pid_t)t->helpers[i - t->nr].pgid;
		char path[64];
		int rc;

		snprintf(path, sizeof(path), "/proc/%d", pid);
		if (access(path, F_OK)) {
			i++;
			continue;
		}
		if (!cr_pid_going(pid, comm, sizeof(comm)))
			return cr_fail(e, EBUSY,
				       "pid %d is in use by another process (%s)",
				       pid, comm);
		rc = cr_rst_aborted(&t->rst[0], e);
		if (rc)
			return rc;
		if (cr_now_ms() >= deadline)
			return cr_fail(e, EBUSY,
				       "pid %d is still held by a dying process (%s) after %d ms",
				       pid, comm, CR_PID_WAIT_MS);
		cr_sleep_ms(nap);
		nap = nap * 2 < 20 ? nap * 2 : 20;
	}
	return 0;
}

/*
 * Phases 2 and 3: the root made by the restorer, the others by their
 * parents (restore-tree.c), each woken in the image's order (a process
 * after its parent, which made it, and after every process it gets a
 * description from) to restore its own state.
 */
static int cr_make_tree(struct cr_rst_tree *t, int (*sv)[2],
			struct cr_err *e)
{
	int rc = 0;

	for (uint32_t i = 0; i < t->nr; i++)
		t->child[i].sock = sv[i][1];
	t->rst[0].pid = cr_spawn(&t->rst[0], t->rst[0].task->t.pid,
				 t->rst[0].cgdir, &t->child[0], e);
	for (uint32_t i = 0; i < t->nr; i++) {
		close(sv[i][1]);
		sv[i][1] = -1;
	}
	if (t->rst[0].pid < 0) {
		rc = t->rst[0].pid;
		t->rst[0].pid = 0;
		return rc;
	}
	for (uint32_t i = 0; !rc && i < t->nr; i++) {
		struct cr_rst *r = &t->rst[i];

		rc = cr_child_sync(r, sv[i][0], e);
		if (cr_rst_zombie(r)) {
			r->zsock = sv[i][0];	/* until it ends */
			sv[i][0] = -1;
		}
	}
	return rc;
}

/* Phases 2 to 5: make the tree and restore it, pages from @w. */
static int cr_restore_tree(struct cr_rst_tree *t, struct cr_img_walk *w,
			   struct cr_err *e)
{
	struct cr_rst *r0 = &t->rst[0];
	int (*sv)[2] = calloc(t->nr, sizeof(*sv));
	cpu_set_t cpus, one;
	uint32_t i;
	bool pinned;
	int rc = 0;

	if (!sv)
		return cr_fail(e, ENOMEM, "out of memory");
	for (i = 0; i < t->nr; i++)
		sv[i][0] = sv[i][1] = -1;
	for (i = 0; !rc && i < t->nr; i++)
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
			       sv[i]))
			rc = cr_fail(e, errno, "socketpair: %m");
	pinned = cr_pin_begin(&cpus, &one);	/* the processes inherit it */
	if (!rc)
		rc = cr_make_tree(t, sv, e);
	for (i = 0; i < t->nr; i++) {
		if (sv[i][0] >= 0)
			close(sv[i][0]);
		if (sv[i][1] >= 0)
			close(sv[i][1]);
	}
	free(sv);
	for (i = 0; !rc && i < t->nr; i++)
		if (!cr_rst_zombie(&t->rst[i]))
			rc = cr_rst_threads_parked(&t->rst[i], e);
	for (i = 0; !rc && i < t->nr; i++)
		if (!cr_rst_zombie(&t->rst[i]))
			rc = cr_rst_mm_swap(&t->rst[i], e);
	if (!rc)
		rc = cr_rst_tree_groups(t, e);
	/*
	 * No injection while the pages stream in: the engine may run on any
	 * CPU, not on the one the writer feeding the ring may be using.
	 */
	if (pinned)
		cr_pin_end(&cpus);
	if (!rc)
		rc = cr_read_pages(r0, w, e);
	if (pinned)
		sched_setaffinity(0, sizeof(one), &one);
	if (!rc)
		rc = cr_rst_unix_xconns(t, e);
	for (i = 0; !rc && i < t->nr; i++) {
		struct cr_rst *r = &t->rst[i];

		if (cr_rst_zombie(r))
			continue;
		rc = cr_rst_mm_finish(r, e);
		if (!rc)
			rc = cr_rst_threads_create(r, e);
		if (!rc)
			rc = cr_late(r, e);
		if (!rc)
			rc = cr_rst_threads_late(r, e);
		if (!rc)
			rc = cr_rst_mm_unmap_scratch(r, e);
		if (!rc)
			rc = cr_rst_aborted(r, e);
	}
	if (!rc)
		rc = cr_let_go(t, e);
	/* Called off while they were let go: they must not stay (cr_undo()). */
	if (!rc)
		rc = cr_rst_aborted(r0, e);
	if (pinned)
		cr_pin_end(&cpus);
	return rc;
}

int cr_rst_plan(struct cr_rst *r, struct cr_err *e)
{
	int rc = 0;

	for (int i = 0; !rc && i < CR_RES_NR; i++)
		if (cr_res_table[i]->plan)
			rc = cr_res_table[i]->plan(r, e);
	return rc;
}

/* Is @cgdir a cgroup with nothing in it?  Make sure it is not frozen. */
static int cr_cgroup_ready(const char *cgdir, struct cr_err *e)
{
	pid_t *pids;
	int n, rc;

	n = cr_cgroup_pids(cgdir, &pids);
	if (n < 0)
		return cr_fail(e, -n, "%s: not a cgroup: %s", cgdir,
			       strerror(-n));
	free(pids);
	if (n)
		return cr_fail(e, EBUSY, "%s: not empty (%d processes)", cgdir,
			       n);
	rc = cr_cgroup_freeze(cgdir, false);
	if (rc)
		return cr_fail(e, -rc, "%s: cannot thaw: %s", cgdir,
			       strerror(-rc));
	return 0;
}

/* The processes of @m, each planned (restore phase 1). */
static int cr_tree_init(struct cr_rst_tree *t, const struct cr_img_walk *w,
			struct cr_ring *ring, const char *cgdir,
			struct cr_err *e)
{
	const struct cr_model *m = &w->m;
	int rc = 0;

	t->nr = m->nr_tasks;
	t->pidns = w->hdr.features & CRFS_FEAT_PIDNS;
	t->rst = calloc(t->nr, sizeof(*t->rst));
	t->child = calloc(t->nr, sizeof(*t->child));
	if (!t->rst || !t->child)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < t->nr; i++) {
		struct cr_rst *r = &t->rst[i];

		r->pidfd = r->zsock = r->ipc_old_fd = -1;
		r->idx = i;
		r->tree = t;
		r->cgdir = cgdir;
		r->ring = ring;
		r->m = m;
		r->task = &m->tasks[i];
		r->page_size = w->hdr.page_size;
	}
	for (uint32_t i = 0; !rc && i < t->nr; i++) {
		struct cr_rst *r = &t->rst[i];

		t->child[i] = (struct cr_rst_child){
			.m = m, .task = r->task, .files = &r->files,
			.all = t->child,
		};
		if (cr_rst_zombie(r))
			continue;
		r->thread = &r->task->threads[0];
		r->mm = r->task->mm;
		rc = cr_rst_plan(r, e);
		t->child[i].sock_fd = r->files.sock_fd;
	}
	return rc ? rc : cr_rst_tree_plan(t, e);
}

/* Free what cr_tree_init() and the restore of @t hold. */
static void cr_tree_free(struct cr_rst_tree *t)
{
	for (uint32_t i = 0; t->rst && i < t->nr; i++) {
		struct cr_rst *r = &t->rst[i];

		if (r->pidfd >= 0)
			close(r->pidfd);
		if (r->zsock >= 0)
			close(r->zsock);
		cr_rst_threads_undo(r);
		cr_rst_files_free(&r->files);
		free(r->shmem_fd);
	}
	if (t->rst)
		cr_rst_fdata_close(&t->rst[0]);
	cr_rst_tty_close(t);
	for (uint32_t i = 0; t->shm_fd && t->rst && i < t->rst[0].m->nr_shmems;
	     i++)
		if (t->shm_fd[i] >= 0)
			close(t->shm_fd[i]);
	free(t->shm_fd);
	free(t->shm_many);
	free(t->by_mm);
	free(t->helpers);
	free(t->groups);
	free(t->later);
	free(t->makers);
	cr_rst_pair_free(t);
	free(t->child);
	free(t->rst);
}

/* The copies of kept files the root made, for every other process. */
static int cr_tree_fdata(struct cr_rst_tree *t, struct cr_err *e)
{
	int rc = 0;

	for (uint32_t i = 1; !rc && i < t->nr; i++) {
		if (cr_rst_zombie(&t->rst[i]))
			continue;
		t->rst[i].fdata_fd = t->rst[0].fdata_fd;
		rc = cr_rst_fdata_point(&t->rst[i], e);
	}
	return rc;
}

int cr_restore(struct cr_ring *ring, const char *cgdir, struct cr_err *e)
{
	return cr_restore_opts(ring, cgdir, NULL, e);
}

int cr_restore_opts(struct cr_ring *ring, const char *cgdir,
		    const struct cr_opts *opts, struct cr_err *e)
{
	struct cr_rst_tree t = { .shell_tty = opts ? opts->tty_fd : -1 };
	struct cr_img_walk w;
	struct cr_img img;
	int rc;

	cr_img_init_ring(&img, ring);
	rc = cr_rst_read(&w, &img, e);
	if (rc)
		goto out_img;
	rc = cr_tree_init(&t, &w, ring, cgdir, e);
	/* A kept connection whose network lock is gone: refused here. */
	if (!rc)
		rc = cr_netlock_check(&w.m, e);
	if (!rc)
		rc = cr_cgroup_ready(cgdir, e);
	if (!rc && !t.pidns)
		rc = cr_pids_free(&t, e);
	if (!rc)
		rc = cr_rst_fdata_read(&t.rst[0], &w, e);
	if (!rc)
		rc = cr_tree_fdata(&t, e);
	/* The objects: the IPC namespace the processes are created in. */
	if (!rc)
		rc = cr_rst_ipc_create(&t.rst[0], &w, e);
	if (!rc) {
		rc = cr_restore_tree(&t, &w, e);
		if (!rc)
			rc = cr_rst_ipc_finish(&t.rst[0], e);
		/* A lock that stays: back in repair mode, all undone. */
		if (!rc) {
			rc = cr_netlock_restored(&w.m, e);
			if (rc)
				cr_inet_quiet(cgdir);
		}
		if (rc)
			cr_undo(&t);
	}
	if (t.rst)
		cr_rst_ipc_leave(&t.rst[0]);
	for (uint32_t i = 1; t.rst && i < t.nr; i++)
		t.rst[i].fdata_fd = NULL;	/* the root's */
	cr_tree_free(&t);
out_img:
	cr_img_walk_fini(&w);
	cr_img_fini(&img);
	return rc;
}
