// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-tree: a tree of three levels, with sessions and process groups:
 *
 *   root
 *   +- A       setsid(): leads a session
 *   |  +- A1   leads a group in A's session
 *   |  +- A2   joins A1's group
 *   +- B       leads a group in the root's session
 *   |  +- B1   in B's group
 *   |     +- B11  in B's group, three levels down
 *   +- C       in the root's group
 *   +- E       in the group of D, a child that led it and has exited
 *
 * Every process keeps its pid, parent, group and session as they were
 * when the tree was ready.  After SIGTERM each passes it to its children,
 * waits for them (they exit 0 when all is well), checks its own ids and
 * exits.  The root's group and session are outside the container before
 * a checkpoint (the restored root leads its own): whoever was in them
 * must be in the root's after.  (Run as pid 1 of a pid namespace, the
 * ids of what is outside read 0; the original, not restored, passes too.)
 */
#include <sys/wait.h>

#include "zdtm.h"

/* What a process was, and the root's group and session then. */
struct tree_ids {
	pid_t	pid, ppid, pgid, sid;
};

static struct tree_ids root_ids;
static pid_t root_pid;
static int up_pipe[2];
static pid_t kids[5];
static int nr_kids;

/* The ids of this process now. */
static struct tree_ids tree_now(void)
{
	return (struct tree_ids){ getpid(), getppid(), getpgid(0), getsid(0) };
}

/* What @was says, the root's outside ids turned into the root's now. */
static int tree_same(const struct tree_ids *was, char *why, size_t len)
{
	struct tree_ids now = tree_now();
	pid_t pgid = was->pgid == root_ids.pgid ? getpgid(root_pid) : was->pgid;
	pid_t sid = was->sid == root_ids.sid ? getsid(root_pid) : was->sid;

	if (now.pid == was->pid && now.ppid == was->ppid &&
	    now.pgid == pgid && now.sid == sid)
		return 1;
	snprintf(why, len, "pid %d: ppid %d pgid %d sid %d, want pid %d "
		 "ppid %d pgid %d sid %d", now.pid, now.ppid, now.pgid,
		 now.sid, was->pid, was->ppid, pgid, sid);
	return 0;
}

/* Pass SIGTERM on, and 0 if every child exited 0 (else its status). */
static int tree_reap(void)
{
	int bad = 0, status;

	for (int i = 0; i < nr_kids; i++)
		kill(kids[i], SIGTERM);
	for (int i = 0; i < nr_kids; i++) {
		if (waitpid(kids[i], &status, 0) != kids[i])
			return -1;
		if (!bad && status)
			bad = kids[i];
	}
	return bad;
}

/* A process of the tree below the root: ready, then wait and check. */
static void __attribute__((noreturn)) tree_node(const char *name)
{
	struct tree_ids was = tree_now();
	char why[256];
	int bad;

	close(up_pipe[0]);
	if (write(up_pipe[1], "u", 1) != 1)
		_exit(3);
	close(up_pipe[1]);
	zdtm_wait();
	bad = tree_reap();
	if (bad) {
		fprintf(stderr, "%s: child %d failed\n", name, bad);
		_exit(1);
	}
	if (!tree_same(&was, why, sizeof(why))) {
		fprintf(stderr, "%s: %s\n", name, why);
		_exit(2);
	}
	_exit(0);
}

/* Fork a child that runs @fn; the parent keeps its pid. */
static pid_t tree_fork(void (*fn)(void))
{
	pid_t pid = fork();

	zdtm_check(pid < 0, "fork");
	if (pid == 0) {
		nr_kids = 0;
		fn();
	}
	kids[nr_kids++] = pid;
	return pid;
}

/* The group a child joins itself, before it notes its ids. */
static pid_t join_group;

/* A child that joins join_group (0: its own) from its side too. */
static void tree_joiner(const char *name)
{
	if (setpgid(0, join_group) ||
	    getpgid(0) != (join_group ? join_group : getpid()))
		_exit(6);
	tree_node(name);
}

static void tree_leaf_a1(void) { tree_joiner("A1"); }
static void tree_leaf_a2(void) { tree_joiner("A2"); }
static void tree_leaf_c(void) { tree_node("C"); }
static void tree_leaf_e(void) { tree_joiner("E"); }

/* D leads a group, E joins it, D exits and is reaped: E stays in it. */
static void tree_lost_leader(void)
{
	pid_t d = fork(), e;
	int status;

	zdtm_check(d < 0, "fork");
	if (d == 0) {
		pause();
		_exit(0);
	}
	zdtm_check(setpgid(d, d), "setpgid D");
	join_group = d;
	e = tree_fork(tree_leaf_e);
	zdtm_check(setpgid(e, d), "setpgid E into D's group");
	/* E up (its byte read by main) once it is in D's group: wait here. */
	while (getpgid(e) != d)
		usleep(1000);
	kill(d, SIGKILL);
	zdtm_check(waitpid(d, &status, 0) != d, "wait D");
}

static void tree_b11(void) { tree_node("B11"); }

static void tree_b1(void)
{
	tree_fork(tree_b11);
	tree_node("B1");
}

static void tree_b(void)
{
	if (setpgid(0, 0))
		_exit(4);
	tree_fork(tree_b1);
	tree_node("B");
}

static void tree_a(void)
{
	pid_t a1, a2;

	if (setsid() < 0)
		_exit(4);
	join_group = 0;
	a1 = tree_fork(tree_leaf_a1);
	/* From both sides, as a shell does: no race with the child. */
	setpgid(a1, a1);
	join_group = a1;
	a2 = tree_fork(tree_leaf_a2);
	if (setpgid(a2, a1))
		_exit(5);
	tree_node("A");
}

int main(int argc, char **argv)
{
	struct tree_ids was;
	char c;
	int bad;

	zdtm_init(argc, argv);
	root_pid = getpid();
	root_ids = was = tree_now();
	zdtm_check(pipe2(up_pipe, O_CLOEXEC), "pipe");
	tree_fork(tree_a);
	tree_fork(tree_b);
	tree_fork(tree_leaf_c);
	tree_lost_leader();
	close(up_pipe[1]);
	/* A, A1, A2, B, B1, B11, C, E: each once its ids are set. */
	for (int i = 0; i < 8; i++)
		zdtm_check(read(up_pipe[0], &c, 1) != 1, "a child is not up");
	close(up_pipe[0]);
	zdtm_ready();
	zdtm_wait();
	bad = tree_reap();
	if (bad)
		zdtm_fail("child %d (or one of its children) failed: see stderr",
			  bad);
	if (getpid() != was.pid)
		zdtm_fail("root: pid %d, want %d", getpid(), was.pid);
	/* As it was (not restored), or restored: its own session and group. */
	if ((getpgid(0) != was.pgid || getsid(0) != was.sid) &&
	    (getpgid(0) != getpid() || getsid(0) != getpid()))
		zdtm_fail("root: pgid %d sid %d, want its own session and group",
			  getpgid(0), getsid(0));
	zdtm_pass();
}
