// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The process tree of a restore (Documentation/crfs/engine.rst): the
 * restorer makes the root; each new process makes its own children, each
 * with its pid (clone3() set_tid) and exit signal, after it has made the
 * session and process group it leads, which they inherit; a process that
 * joins a group it does not lead joins it once every process exists (an
 * injected setpgid(), cr_rst_tree_groups()).
 *
 * A description several processes share is opened once, by the first of
 * them in the image's order; the restorer takes it from there
 * (pidfd_getfd()) and passes it to the others over their control socket
 * (SCM_RIGHTS): one description, one offset.  A shared memory object is
 * made by the first process that maps it, and the others open the
 * restorer's copy of it (restore-mm.c).
 *
 * A process sharing its parent's descriptor table or fs is made with
 * CLONE_FILES or CLONE_FS (img-check-tree.c said it can be); one sharing
 * the table only after the first process of the table has moved the
 * control sockets of all of them to numbers of their own and closed the
 * restorer's other descriptors (cr_rst_tree_socks()): the others never
 * close anything in it.
 *
 * A child of a thread other than the leader (parent_tid) is made by that
 * thread, for the kernel keeps the thread as its parent (its
 * parent-death signal comes when the thread exits; wait() from every
 * thread reaps it): its process makes the thread with its tid before its
 * first such child (a thread of the restorer's code on a stack its
 * process keeps, cr_rst_tree_makers()), and asks it for each child in
 * turn; the thread then waits with every signal blocked until the
 * restorer takes it as the thread of the image it is
 * (cr_rst_threads_create()).
 *
 * A zombie of the image is a process that restores nothing but its
 * process group, credentials and name, and ends as the image says (an
 * exit code, or its signal with the default action and no core dump)
 * once every other process is in its group; its parent, stopped with
 * every signal blocked, loses the signal of its end (rt_sigtimedwait()):
 * the image's pending signals are queued after that (res-signals.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/ioctl.h>

#include "restore.h"

/* Descriptors per SCM_RIGHTS message (the kernel's SCM_MAX_FD is 253). */
#define CR_PASS_CHUNK		250
/* How long a zombie may take to end. */
#define CR_ZOMBIE_TIMEOUT_MS	5000

/* A thread that makes children: as every thread of a restore. */
#define CR_MAKER_FLAGS		(CLONE_VM | CLONE_FS | CLONE_FILES | \
				 CLONE_SIGHAND | CLONE_THREAD | \
				 CLONE_SYSVSEM)

/* The futex word of struct cr_rst_maker. */
enum cr_rst_maker_state {
	CR_MAKER_NONE,		/* not made yet */
	CR_MAKER_IDLE,
	CR_MAKER_ASKED,		/* kid: make it */
	CR_MAKER_DONE,		/* err: how it went */
};

/* The first FD of each FILE in the image's order: (task, fd), or none. */
struct cr_first_fd {
	int32_t		task;
	int32_t		fd;
};

/* For each FILE, the first process (and its fd) that has it. */
static struct cr_first_fd *cr_tree_first_fds(const struct cr_model *m)
{
	struct cr_first_fd *first = malloc((m->nr_files + 1) * sizeof(*first));

	if (!first)
		return NULL;
	for (uint32_t i = 0; i < m->nr_files; i++)
		first[i].task = -1;
	for (uint32_t i = 0; i < m->nr_tasks; i++) {
		const struct cr_fdtable *t = m->tasks[i].fdt;

		for (uint32_t j = 0; t && j < t->nr_fds; j++) {
			const struct cr_file *f = t->fds[j].file;

			if (f && first[f - m->files].task < 0)
				first[f - m->files] = (struct cr_first_fd){
					(int32_t)i, (int32_t)t->fds[j].d.fd };
		}
	}
	return first;
}

/*
 * The other end of a pair a process makes and only later processes hold
 * (restore-pair.c) is first there, at its CR_RF_PAIR entry's number.
 */
static void cr_tree_first_pairs(const struct cr_rst_tree *t,
				struct cr_first_fd *first)
{
	const struct cr_model *m = t->rst[0].m;

	for (uint32_t i = 0; i < t->nr; i++) {
		const struct cr_rst_files *fs = &t->rst[i].files;

		for (uint32_t j = fs->nr_fd_entries; j < fs->nr; j++)
			if (fs->f[j].kind == CR_RF_PAIR &&
			    first[fs->f[j].pair - m->files].task != (int32_t)i)
				first[fs->f[j].pair - m->files] =
					(struct cr_first_fd){ (int32_t)i,
							      fs->f[j].fd };
	}
}

/* The descriptions @r's process gets from the processes before it. */
static int cr_tree_plan_pass(struct cr_rst *r, const struct cr_first_fd *first,
			     struct cr_err *e)
{
	struct cr_rst_files *fs = &r->files;
	const struct cr_model *m = r->m;
	uint32_t n = 0;

	for (uint32_t j = 0; j < fs->nr_fds; j++) {
		const struct cr_rst_fd *d = &fs->fds[j];
		struct cr_rst_file *rf = &fs->f[d->entry];
		const struct cr_file *f = r->task->fdt->fds[j].file;
		const struct cr_first_fd *o = &first[f - m->files];
		/* A terminal, made by the restorer: from it, to every one. */
		int own = cr_rst_tty_fd(r->tree, f);

		/* An accepted socket handed on later (restore-unix.c). */
		if (rf->pass >= 0 || fs->fdt_shared || rf->xlate ||
		    (own < 0 && (o->task < 0 || (uint32_t)o->task == r->idx)))
			continue;
		if (!fs->pass_src && !(fs->pass_src = calloc(
		    fs->nr_fd_entries, sizeof(*fs->pass_src))))
			return cr_fail(e, ENOMEM, "out of memory");
		fs->pass_src[n] = own >= 0 ?
			(struct cr_rst_pass){ CR_PASS_RESTORER, own } :
			(struct cr_rst_pass){ o->task, o->fd };
		rf->pass = n++;
	}
	fs->nr_pass = n;
	if (!n)
		return 0;
	fs->pass_fd = calloc(n, sizeof(*fs->pass_fd));
	if (!fs->pass_fd)
		return cr_fail(e, ENOMEM, "out of memory");
	/* Received above every number the restore uses (cr_rst_tree_recv()). */
	fs->nofile += n;
	return 0;
}

/*
 * The process groups whose leader has exited: a helper each, of the
 * group's pid, made by a live process of its session (img-check-tree.c
 * made sure there is one).
 */
static int cr_tree_plan_helpers(struct cr_rst_tree *t, struct cr_err *e)
{
	const struct cr_model *m = t->rst[0].m;
	const struct cr_task *root = &m->tasks[0];

	for (uint32_t i = 0; i < m->nr_tasks; i++) {
		const struct cr_task *k = &m->tasks[i];
		uint32_t pgid = cr_task_pgid(root, k), j;
		int64_t maker;

		if (pgid == k->t.pid || cr_model_find(m, CR_K_TASK, pgid) >= 0)
			continue;
		for (j = 0; j < t->nr_helpers && t->helpers[j].pgid != pgid; j++)
			;
		if (j < t->nr_helpers)
			continue;
		maker = cr_tree_helper_maker(m, cr_task_sid(root, k));
		if (maker < 0)
			return cr_fail(e, EOPNOTSUPP, "pid %u: process group %u: no live process of its session to make it",
				       k->t.pid, pgid);
		if (cr_grow(&t->helpers, t->nr_helpers, sizeof(*t->helpers)))
			return cr_fail(e, ENOMEM, "out of memory");
		t->helpers[t->nr_helpers++] = (struct cr_rst_helper){
			pgid, (uint32_t)maker };
	}
	for (uint32_t i = 0; i < t->nr; i++) {
		t->child[i].helpers = t->helpers;
		t->child[i].nr_helpers = t->nr_helpers;
	}
	return 0;
}

/*
 * The threads but the leaders that are parents (parent_tid, checked by
 * img-check-tree.c): one maker each, for its children in image order.
 */
static int cr_tree_plan_makers(struct cr_rst_tree *t, struct cr_err *e)
{
	const struct cr_model *m = t->rst[0].m;

	for (uint32_t i = 1; i < t->nr; i++) {
		const struct crfs_task *k = &m->tasks[i].t;
		int64_t p = cr_model_find(m, CR_K_TASK, k->ppid);
		int32_t j;

		if (!k->parent_tid || p < 0)
			continue;
		/* Its process's makers: CR_TREE_MAX_MAKERS at most. */
		for (j = t->child[p].first_maker; j >= 0; j = t->makers[j].next)
			if (t->makers[j].tid == k->parent_tid)
				break;
		if (j < 0) {
			if (cr_grow(&t->makers, t->nr_makers,
				    sizeof(*t->makers)))
				return cr_fail(e, ENOMEM, "out of memory");
			j = (int32_t)t->nr_makers++;
			t->makers[j] = (struct cr_rst_maker){
				.tid = k->parent_tid, .owner = (uint32_t)p,
				.next = t->child[p].first_maker };
			t->child[p].first_maker = j;
		}
		t->makers[j].nr_kids++;
		t->child[i].maker = j;
	}
	for (uint32_t i = 0; i < t->nr; i++)
		t->child[i].makers = t->makers;
	return 0;
}

bool cr_rst_tree_maker(const struct cr_rst *r, uint32_t tid)
{
	const struct cr_rst_tree *t = r->tree;

	for (int32_t j = t ? t->child[r->idx].first_maker : -1; j >= 0;
	     j = t->makers[j].next)
		if (t->makers[j].tid == tid)
			return true;
	return false;
}

/* Append @k's process and every process under it to @t->later. */
static int cr_tree_plan_subtree(struct cr_rst_tree *t, int32_t k)
{
	if (cr_grow(&t->later, t->nr_later, sizeof(*t->later)))
		return -ENOMEM;
	t->later[t->nr_later++] = (uint32_t)k;
	for (int32_t c = t->child[k].child; c >= 0; c = t->child[c].next)
		if (cr_tree_plan_subtree(t, c))
			return -ENOMEM;
	return 0;
}

/*
 * The processes sharing a descriptor table or fs made with the flag from
 * their parents; a table's numbers for sockets and files that are not its
 * descriptors apart for each process of it.  For the first process of a
 * table: the others (group), and every process made from the table after
 * it closed the restorer's descriptors that does not share it (later: a
 * child of one of the others, with its table of its own, and all under
 * it), whose sockets it keeps for them (cr_rst_tree_socks()).
 */
static int cr_tree_plan_share(struct cr_rst_tree *t, struct cr_err *e)
{
	const struct cr_model *m = t->rst[0].m;
	uint32_t *last = calloc(m->nr_fdts + 1, sizeof(*last));
	uint32_t *at = calloc(m->nr_fdts + 1, sizeof(*at));
	uint32_t *cnt = calloc(m->nr_fdts + 1, sizeof(*cnt));
	uint32_t *later_at = calloc(t->nr + 1, sizeof(*later_at)), n = 0;
	int rc = 0;

	t->groups = calloc(t->nr + 1, sizeof(*t->groups));
	if (!last || !at || !cnt || !later_at || !t->groups) {
		rc = cr_fail(e, ENOMEM, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < t->nr; i++) {
		struct cr_rst *r = &t->rst[i];
		struct cr_rst_child *c = &t->child[i];
		uint32_t k;

		if (cr_rst_zombie(r))
			continue;
		k = (uint32_t)(r->task->fdt - m->fdts);
		c->share = (cr_rst_fdt_follower(r->task) ? CLONE_FILES : 0) |
			   (cr_rst_fs_follower(r->task) ? CLONE_FS : 0);
		if (c->share & CLONE_FILES) {
			cr_rst_files_renumber(&r->files, last[k]);
			c->sock_fd = r->files.sock_fd;
		}
		last[k] = r->files.nofile;
		cnt[k]++;
	}
	/* Each table's processes in image order: the first is its first. */
	for (uint32_t k = 0; k < m->nr_fdts; k++) {
		at[k] = n;
		n += cnt[k];
	}
	for (uint32_t i = 0; i < t->nr; i++)
		if (!cr_rst_zombie(&t->rst[i]))
			t->groups[at[t->rst[i].task->fdt - m->fdts]++] = i;
	for (uint32_t k = 0, start = 0; !rc && k < m->nr_fdts;
	     start += cnt[k++]) {
		uint32_t first = t->groups[start];

		if (cnt[k] < 2)
			continue;
		t->child[first].group = &t->groups[start];
		t->child[first].nr_group = cnt[k];
		later_at[first] = t->nr_later;
		for (uint32_t j = 1; !rc && j < cnt[k]; j++)
			for (int32_t c = t->child[t->groups[start + j]].child;
			     !rc && c >= 0; c = t->child[c].next)
				if (!(t->child[c].share & CLONE_FILES) &&
				    cr_tree_plan_subtree(t, c))
					rc = cr_fail(e, ENOMEM, "out of memory");
		t->child[first].nr_later = t->nr_later - later_at[first];
	}
	for (uint32_t i = 0; !rc && i < t->nr; i++)
		if (t->child[i].nr_later)
			t->child[i].later = &t->later[later_at[i]];
out:
	free(later_at);
	free(cnt);
	free(at);
	free(last);
	return rc;
}

int cr_rst_tree_plan(struct cr_rst_tree *t, struct cr_err *e)
{
	const struct cr_model *m = t->rst[0].m;
	struct cr_first_fd *first;
	uint32_t *mm_of;
	int rc = 0;

	/* Children linked in reverse, so that each list is in image order. */
	for (uint32_t i = 0; i < t->nr; i++) {
		t->child[i].child = t->child[i].next = -1;
		t->child[i].maker = t->child[i].first_maker = -1;
	}
	for (uint32_t i = t->nr; i-- > 1;) {
		int64_t p = cr_model_find(m, CR_K_TASK, m->tasks[i].t.ppid);

		if (p < 0 || p >= i)
			return cr_fail(e, EBADMSG, "pid %u: no parent before it",
				       m->tasks[i].t.pid);
		t->child[i].next = t->child[p].child;
		t->child[p].child = i;
	}
	t->by_mm = calloc(m->nr_mms + 1, sizeof(*t->by_mm));
	t->shm_fd = malloc((m->nr_shmems + 1) * sizeof(*t->shm_fd));
	for (uint32_t i = 0; t->shm_fd && i < m->nr_shmems; i++)
		t->shm_fd[i] = -1;	/* cr_tree_free() closes what is set */
	t->shm_many = calloc(m->nr_shmems + 1, 1);
	mm_of = calloc(m->nr_shmems + 1, sizeof(*mm_of));
	first = cr_tree_first_fds(m);
	if (!t->by_mm || !t->shm_fd || !t->shm_many || !mm_of || !first) {
		rc = cr_fail(e, ENOMEM, "out of memory");
		goto out;
	}
	cr_tree_first_pairs(t, first);
	for (uint32_t i = 0; i < m->nr_mms; i++)
		for (uint32_t j = 0; j < m->mms[i].nr_vmas; j++) {
			const struct cr_shmem *s = m->mms[i].vmas[j].shmem;

			if (!s)
				continue;
			if (mm_of[s - m->shmems] &&
			    mm_of[s - m->shmems] != i + 1)
				t->shm_many[s - m->shmems] = 1;
			mm_of[s - m->shmems] = i + 1;
		}
	/* The terminals before their descriptions are planned. */
	rc = cr_rst_tty_make(t, e);
	for (uint32_t i = 0; !rc && i < t->nr; i++) {
		struct cr_rst *r = &t->rst[i];

		if (cr_rst_zombie(r))
			continue;
		t->by_mm[r->mm - m->mms] = r;
		rc = cr_tree_plan_pass(r, first, e);
	}
	if (!rc)
		rc = cr_tree_plan_helpers(t, e);
	if (!rc)
		rc = cr_tree_plan_share(t, e);
	if (!rc)
		rc = cr_tree_plan_makers(t, e);
out:
	free(mm_of);
	free(first);
	return rc;
}

int cr_rst_tree_ids(const struct cr_rst_child *c, struct cr_rst_res *res)
{
	const struct cr_task *root = &c->m->tasks[0], *t = c->task;

	/*
	 * The root leads a session of its own, as after setsid(): not the
	 * restorer's, whose terminal and process group signals must not
	 * reach it.  A process group with its pid still alive makes it
	 * fail: then the restore does, rather than leave it in the
	 * restorer's session.
	 */
	res->step = CR_RST_SETSID;
	if (cr_task_sid(root, t) == t->t.pid) {
		if (syscall(SYS_setsid) < 0)
			return errno;
		/* Its terminal before its children, which inherit it. */
		res->step = CR_RST_CTTY;
		res->idx = c->ctty_index;
		if (c->ctty_fd >= 0 &&
		    syscall(SYS_ioctl, c->ctty_fd, TIOCSCTTY, 0) < 0)
			return errno;
		return 0;
	}
	res->step = CR_RST_SETPGID;
	if (cr_task_pgid(root, t) == t->t.pid &&
	    syscall(SYS_setpgid, 0, 0) < 0)
		return errno;
	return 0;
}

/*
 * A helper: the leader of a process group whose leader has exited, until
 * its maker kills it (cr_rst_tree_groups()).  Nothing of the restorer's
 * stays open in it.
 */
static void __attribute__((noreturn)) cr_tree_helper(void)
{
	uint64_t all = ~0ULL;

	syscall(SYS_setpgid, 0, 0);
	syscall(SYS_close_range, 0, ~0U, 0);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(all));
	for (;;)
		syscall(SYS_pause);
}

/* The helpers @c's process makes: its children, in their own groups. */
static int cr_tree_make_helpers(const struct cr_rst_child *c,
				struct cr_rst_res *res)
{
	uint32_t self = c - c->all;

	for (uint32_t i = 0; i < c->nr_helpers; i++) {
		pid_t tid = c->helpers[i].pgid;
		struct clone_args args = {
			.set_tid = (uintptr_t)&tid,
			.set_tid_size = 1,
		};
		long ret;

		if (c->helpers[i].maker != self)
			continue;
		ret = syscall(SYS_clone3, &args, sizeof(args));
		if (ret == 0)
			cr_tree_helper();
		/* From both sides, as a shell does: set before we go on. */
		if (ret < 0 || syscall(SYS_setpgid, tid, tid) < 0) {
			res->step = CR_RST_CHILD;
			res->idx = tid;
			return errno;
		}
	}
	return 0;
}

/* The sockets of @k's process and of all under it closed in our table. */
static void cr_tree_close_subtree(const struct cr_rst_child *all, int32_t k)
{
	syscall(SYS_close, all[k].sock);
	for (int32_t c = all[k].child; c >= 0; c = all[c].next)
		cr_tree_close_subtree(all, c);
}

/*
 * Make @kid with its pid, exit signal and what it shares with us; errno
 * left alone (a thread that makes children shares it with its process).
 * Return: 0 or a positive errno.
 */
static int cr_tree_clone(const struct cr_rst_child *kid)
{
	pid_t tid = kid->task->t.pid;
	struct clone_args args = {
		.flags = kid->share,
		.exit_signal = kid->task->t.exit_signal,
		.set_tid = (uintptr_t)&tid,
		.set_tid_size = 1,
	};
	long ret = cr_arch_syscall4(SYS_clone3, (long)&args, sizeof(args), 0,
				    0);

	if (ret == 0)
		cr_rst_task_child(kid);
	return ret < 0 ? (int)-ret : 0;
}

/* Wait on or wake @word (FUTEX_*_PRIVATE @op), errno left alone. */
static void cr_tree_futex(uint32_t *word, int op, uint32_t val)
{
	cr_arch_syscall4(SYS_futex, (long)word, op, val, 0);
}

/* A thread that makes children: each its process asks for, then waits. */
static void cr_tree_maker(void *arg)
{
	struct cr_rst_maker *mk = arg;
	uint32_t s;

	for (uint32_t n = 0; n < mk->nr_kids; n++) {
		while ((s = __atomic_load_n(&mk->state, __ATOMIC_ACQUIRE)) !=
		       CR_MAKER_ASKED)
			cr_tree_futex(&mk->state, FUTEX_WAIT_PRIVATE, s);
		mk->err = cr_tree_clone(mk->kid);
		__atomic_store_n(&mk->state, CR_MAKER_DONE, __ATOMIC_RELEASE);
		cr_tree_futex(&mk->state, FUTEX_WAKE_PRIVATE, 1);
	}
	/* Every signal blocked: until the restorer takes it, in here. */
	for (;;)
		cr_arch_syscall4(SYS_pause, 0, 0, 0, 0);
}

uint32_t cr_rst_tree_makers(const struct cr_rst_child *c, char *stacks)
{
	uint32_t n = 0;

	for (int32_t j = c->first_maker; j >= 0; j = c->makers[j].next) {
		struct cr_rst_maker *mk = &c->makers[j];

		n++;
		if (stacks)
			mk->stack = (char *)(((uintptr_t)stacks +
					      n * CR_MAKER_STACK) &
					     ~(uintptr_t)15);
	}
	return n;
}

/*
 * @kid made by the thread of ours that is its parent, which we make with
 * its tid first, every signal blocked in it, if it is not made yet.
 * Return: 0 or a positive errno with @res set.
 */
static int cr_tree_ask(const struct cr_rst_child *c,
		       const struct cr_rst_child *kid, struct cr_rst_res *res)
{
	struct cr_rst_maker *mk = &c->makers[kid->maker];
	uint64_t all = ~0ULL, old = 0;
	uint32_t s;
	long ret;

	if (mk->state == CR_MAKER_NONE) {
		pid_t tid = mk->tid;
		struct clone_args args = {
			.flags = CR_MAKER_FLAGS,
			.stack = (uintptr_t)mk->stack - CR_MAKER_STACK,
			.stack_size = CR_MAKER_STACK,
			.set_tid = (uintptr_t)&tid,
			.set_tid_size = 1,
		};

		mk->state = CR_MAKER_IDLE;
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old,
			sizeof(all));
		ret = cr_arch_clone3_run(&args, sizeof(args), cr_tree_maker,
					 mk);
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL,
			sizeof(old));
		if (ret < 0) {
			res->step = CR_RST_MAKER;
			res->idx = mk->tid;
			return (int)-ret;
		}
	}
	mk->kid = kid;
	__atomic_store_n(&mk->state, CR_MAKER_ASKED, __ATOMIC_RELEASE);
	cr_tree_futex(&mk->state, FUTEX_WAKE_PRIVATE, 1);
	while ((s = __atomic_load_n(&mk->state, __ATOMIC_ACQUIRE)) !=
	       CR_MAKER_DONE)
		cr_tree_futex(&mk->state, FUTEX_WAIT_PRIVATE, s);
	__atomic_store_n(&mk->state, CR_MAKER_IDLE, __ATOMIC_RELEASE);
	return mk->err;
}

int cr_rst_tree_kids(const struct cr_rst_child *c, struct cr_rst_res *res,
		     bool files)
{
	for (int32_t k = c->child; k >= 0; k = c->all[k].next) {
		const struct cr_rst_child *kid = &c->all[k];
		int err;

		if (!(kid->share & CLONE_FILES) != !files)
			continue;
		res->step = CR_RST_CHILD;
		res->idx = kid->task->t.pid;
		err = kid->maker >= 0 ? cr_tree_ask(c, kid, res) :
		      cr_tree_clone(kid);
		if (err)
			return err;
		/* Made from a shared table: their sockets go from it. */
		if ((c->share & CLONE_FILES) && !files)
			cr_tree_close_subtree(c->all, k);
	}
	return files ? 0 : cr_tree_make_helpers(c, res);
}

/* Close every descriptor but the @n ascending numbers of @keep. */
static int cr_tree_close_but(const int32_t *keep, uint32_t n)
{
	uint32_t from = 0;

	for (uint32_t i = 0; i <= n; i++) {
		uint32_t to = i < n ? (uint32_t)keep[i] : ~0U;

		if (to > from && syscall(SYS_close_range, from, to - 1, 0))
			return errno;
		from = to + 1;
	}
	return 0;
}

int cr_rst_tree_socks(const struct cr_rst_child *c)
{
	uint32_t n = c->nr_group + c->nr_later;
	int32_t keep[n], hi = 0;

	/*
	 * Out of the way of every number first, then each to its place: the
	 * table's processes at their numbers, the later ones above them,
	 * where their parents find them (our copy of the tree says so).
	 */
	for (uint32_t i = 0; i < n; i++) {
		const struct cr_rst_child *g = &c->all[i < c->nr_group ?
			c->group[i] : c->later[i - c->nr_group]];

		hi = g->sock > hi ? g->sock : hi;
	}
	/* Above every number a process of the table will use. */
	for (uint32_t i = 0; i < c->nr_group; i++) {
		const struct cr_rst_files *fs = c->all[c->group[i]].files;

		hi = (int32_t)fs->nofile > hi ? (int32_t)fs->nofile : hi;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t x = i < c->nr_group ? c->group[i] :
			     c->later[i - c->nr_group];

		if (syscall(SYS_dup3, c->all[x].sock, hi + 1 + i,
			    O_CLOEXEC) < 0)
			return errno;
		keep[i] = i < c->nr_group ? c->all[x].sock_fd :
			  hi + 1 + (int32_t)i;
		((struct cr_rst_child *)&c->all[x])->sock = keep[i];
	}
	for (uint32_t i = 0; i < c->nr_group; i++)
		if (syscall(SYS_dup3, hi + 1 + i, keep[i], O_CLOEXEC) < 0)
			return errno;
	return cr_tree_close_but(keep, n);
}


void cr_rst_tree_hello(int sock)
{
	long pidfd = syscall(SYS_pidfd_open, syscall(SYS_getpid), 0);
	char buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { "h", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	int fd = pidfd;

	if (pidfd >= 0) {
		mh.msg_control = buf;
		mh.msg_controllen = sizeof(buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	}
	syscall(SYS_sendmsg, sock, &mh, MSG_NOSIGNAL);
	if (pidfd >= 0)
		syscall(SYS_close, pidfd);
}

/* The pid /proc/self/fdinfo of @pidfd says, as the restorer sees it. */
static pid_t cr_tree_pidfd_pid(int pidfd)
{
	char path[64], *buf, *s;
	pid_t pid = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	buf = cr_read_file(path, NULL);
	s = buf ? strstr(buf, "\nPid:") : NULL;
	if (s)
		pid = strtol(s + 5, NULL, 10);
	free(buf);
	return pid;
}

int cr_rst_tree_whois(struct cr_rst *r, int sock, struct cr_err *e)
{
	char buf[CMSG_SPACE(sizeof(int))], byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cm;
	int pidfd = -1;
	pid_t pid;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
		return cr_fail(e, errno ? errno : EIO, "pid %u: no word from the new process: %m",
			       r->task->t.pid);
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&pidfd, CMSG_DATA(cm), sizeof(pidfd));
	if (pidfd < 0)
		return cr_fail(e, EIO, "pid %u: the new process sent no pidfd of itself",
			       r->task->t.pid);
	pid = cr_tree_pidfd_pid(pidfd);
	if (r->pidfd >= 0) {
		close(pidfd);	/* the root's, from clone3() */
		return 0;
	}
	if (pid <= 0) {
		close(pidfd);
		return cr_fail(e, ESRCH, "pid %u: the new process is gone",
			       r->task->t.pid);
	}
	r->pidfd = pidfd;
	r->pid = pid;
	return 0;
}

int cr_rst_tree_recv(const struct cr_rst_child *c, struct cr_rst_res *res)
{
	const struct cr_rst_files *fs = c->files;
	char buf[CMSG_SPACE(CR_PASS_CHUNK * sizeof(int))];
	uint32_t got = 0, base = fs->nofile - fs->nr_pass;

	res->step = CR_RST_PASS;
	while (got < fs->nr_pass) {
		char byte;
		struct iovec iov = { &byte, 1 };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = buf, .msg_controllen = sizeof(buf),
		};
		struct cmsghdr *cm;
		uint32_t n;
		int *fds;

		if (syscall(SYS_recvmsg, c->sock_fd, &mh, MSG_CMSG_CLOEXEC) < 1)
			return errno ? errno : EPIPE;
		cm = CMSG_FIRSTHDR(&mh);
		if (!cm || cm->cmsg_type != SCM_RIGHTS ||
		    (mh.msg_flags & MSG_CTRUNC))
			return EPROTO;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		fds = (int *)CMSG_DATA(cm);
		for (uint32_t i = 0; i < n; i++) {
			long fd = fds[i];

			if (got == fs->nr_pass)
				return EPROTO;
			/* Out of the way of every number the files take. */
			if (fd < base) {
				fd = syscall(SYS_fcntl, fds[i], F_DUPFD_CLOEXEC,
					     base);
				syscall(SYS_close, fds[i]);
				if (fd < 0)
					return errno;
			}
			fs->pass_fd[got++] = fd;
		}
	}
	return 0;
}

void cr_rst_zombie_child(const struct cr_rst_child *c, int sock,
			 struct cr_rst_res *res)
{
	const struct cr_task *t = c->task;
	const struct crfs_creds *cr = &t->creds;
	uint32_t pgid = cr_task_pgid(&c->m->tasks[0], t);
	int code = t->t.exit_code, sig = code & 0x7f;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	uint64_t none = 0;
	char name[CRFS_COMM_LEN], die;

	memcpy(name, t->t.comm, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	syscall(SYS_prctl, PR_SET_NAME, name, 0, 0, 0);
	res->step = CR_RST_DONE;
	syscall(SYS_write, sock, res, sizeof(*res));
	if (syscall(SYS_read, sock, &die, 1) != 1)
		syscall(SYS_exit_group, 1);
	res->step = CR_RST_ZOMBIE;
	res->idx = pgid;
	if (pgid != t->t.pid && syscall(SYS_setpgid, 0, pgid) < 0)
		goto out_fail;
	res->idx = 0;
	if (t->have_creds &&
	    (syscall(SYS_setgroups, cr->ngroups, t->groups) ||
	     syscall(SYS_setresgid, cr->gid, cr->egid, cr->sgid) ||
	     syscall(SYS_setresuid, cr->uid, cr->euid, cr->suid)))
		goto out_fail;
	syscall(SYS_setfsgid, cr->fsgid);
	syscall(SYS_setfsuid, cr->fsuid);
	/* Not dumpable: a signal that dumps core ends it without a core. */
	syscall(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
	res->step = CR_RST_DONE;
	syscall(SYS_write, sock, res, sizeof(*res));
	syscall(SYS_close, sock);
	if (sig) {
		syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(uint64_t));
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL,
			sizeof(none));
		syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid),
			sig);
	}
	syscall(SYS_exit_group, (code >> 8) & 0xff);
	__builtin_unreachable();

out_fail:
	res->err = errno;
	syscall(SYS_write, sock, res, sizeof(*res));
	syscall(SYS_exit_group, 1);
	__builtin_unreachable();
}

int cr_rst_tree_send(struct cr_rst *r, int sock, struct cr_err *e)
{
	const struct cr_rst_files *fs = &r->files;
	char buf[CMSG_SPACE(CR_PASS_CHUNK * sizeof(int))];
	int fds[CR_PASS_CHUNK];
	uint32_t i = 0;
	int rc = 0;

	while (!rc && i < fs->nr_pass) {
		uint32_t n = 0;
		struct iovec iov = { "f", 1 };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = buf,
		};
		struct cmsghdr *cm;

		for (; !rc && n < CR_PASS_CHUNK && i < fs->nr_pass; i++) {
			const struct cr_rst_pass *p = &fs->pass_src[i];
			const struct cr_rst *o = p->task == CR_PASS_RESTORER ?
				NULL : &r->tree->rst[p->task];

			fds[n] = o ? syscall(SYS_pidfd_getfd, o->pidfd, p->fd,
					     0) :
				 fcntl(p->fd, F_DUPFD_CLOEXEC, 0);
			if (fds[n] < 0)
				rc = cr_fail(e, errno, "pid %d: fd %d: cannot take the description from pid %d: %m",
					     r->pid, p->fd, o ? o->pid : getpid());
			else
				n++;
		}
		if (!rc) {
			memset(buf, 0, sizeof(buf));
			mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(n * sizeof(int));
			memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
			if (sendmsg(sock, &mh, MSG_NOSIGNAL) != 1)
				rc = cr_fail(e, errno, "pid %d: cannot pass it the descriptions of other processes: %m",
					     r->pid);
		}
		while (n)
			close(fds[--n]);
	}
	return rc;
}

/* Milliseconds on the monotonic clock. */
static long cr_tree_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Wait until zombie @r has ended: 'Z' in its stat. */
static int cr_tree_wait_zombie(const struct cr_rst *r, struct cr_err *e)
{
	long deadline = cr_tree_now_ms() + CR_ZOMBIE_TIMEOUT_MS;
	char path[64], *buf, *rp, state = '?';
	struct timespec nap = { 0, 200000 };

	snprintf(path, sizeof(path), "/proc/%d/stat", r->pid);
	while (cr_tree_now_ms() < deadline) {
		buf = cr_read_file(path, NULL);
		rp = buf ? strrchr(buf, ')') : NULL;
		if (rp)
			sscanf(rp + 1, " %c", &state);
		free(buf);
		if (state == 'Z')
			return 0;
		nanosleep(&nap, NULL);
	}
	return cr_fail(e, ETIMEDOUT, "pid %d: a zombie of the image did not end (state %c) after %d ms",
		       r->pid, state, CR_ZOMBIE_TIMEOUT_MS);
}

/* End zombie @r as the image says, after its report of the last steps. */
static int cr_tree_end_zombie(struct cr_rst *r, struct cr_err *e)
{
	struct cr_rst_res res;
	int sock = r->zsock;

	r->zsock = -1;
	if (cr_write_full(sock, "d", 1) != 1 ||
	    cr_read_full(sock, &res, sizeof(res)) != sizeof(res)) {
		close(sock);
		return cr_fail(e, EIO, "pid %d: a zombie of the image died before its end",
			       r->pid);
	}
	close(sock);
	if (res.step != CR_RST_DONE)
		return cr_fail(e, res.err, "pid %d: cannot %s as the image says before it ends: %s",
			       r->pid, res.idx ? "join its process group" :
			       "take its credentials", strerror(res.err));
	return cr_tree_wait_zombie(r, e);
}

/* The signal of a zombie's end, pending in its stopped parent, taken. */
static int cr_tree_drain(struct cr_rst *p, int sig, struct cr_err *e)
{
	uint64_t set = 1ULL << (sig - 1);
	struct timespec zero = { 0, 0 };
	unsigned long aset, ats;
	long ret;
	int rc;

	rc = cr_rst_poke(p, 0, &set, sizeof(set), &aset, e);
	if (!rc)
		rc = cr_rst_poke(p, sizeof(set), &zero, sizeof(zero), &ats, e);
	if (!rc)
		rc = cr_rst_syscall(p, SYS_rt_sigtimedwait,
				    CR_ARGS(aset, 0, ats, sizeof(set)), &ret, e);
	if (!rc && ret != sig && ret != -EAGAIN)
		rc = cr_fail(e, ret < 0 ? (int)-ret : EIO, "pid %d: cannot take the signal %d of a child's end: %s",
			     p->pid, sig, ret < 0 ? strerror((int)-ret) :
			     "another signal came");
	return rc;
}

/* Helper @pid of @maker's process killed and reaped, by @maker. */
static int cr_tree_end_helper(struct cr_rst *maker, uint32_t pid,
			      struct cr_err *e)
{
	long ret;
	int rc;

	rc = cr_rst_call(maker, SYS_kill, CR_ARGS(pid, SIGKILL),
			 "cannot end the helper of a process group", e);
	if (!rc)
		rc = cr_rst_syscall(maker, SYS_wait4, CR_ARGS(pid, 0, __WALL, 0),
				    &ret, e);
	if (!rc && ret != (long)pid)
		rc = cr_fail(e, ret < 0 ? (int)-ret : EIO, "pid %d: cannot reap the helper %u of its process group: %s",
			     maker->pid, pid, ret < 0 ? strerror((int)-ret) :
			     "another child");
	return rc;
}

int cr_rst_tree_groups(struct cr_rst_tree *t, struct cr_err *e)
{
	const struct cr_task *root = &t->rst[0].m->tasks[0];
	int rc = 0;

	for (uint32_t i = 0; !rc && i < t->nr; i++) {
		struct cr_rst *r = &t->rst[i];
		uint32_t pgid = cr_task_pgid(root, r->task);

		if (cr_rst_zombie(r) || pgid == r->task->t.pid)
			continue;
		rc = cr_rst_call(r, SYS_setpgid, CR_ARGS(0, pgid),
				 "cannot join its process group", e);
	}
	for (uint32_t i = 0; !rc && i < t->nr; i++) {
		struct cr_rst *r = &t->rst[i];
		int64_t p;

		if (!cr_rst_zombie(r))
			continue;
		rc = cr_tree_end_zombie(r, e);
		p = cr_model_find(r->m, CR_K_TASK, r->task->t.ppid);
		if (!rc && p >= 0 && r->task->t.exit_signal > 0 &&
		    r->task->t.exit_signal <= 64)
			rc = cr_tree_drain(&t->rst[p], r->task->t.exit_signal,
					   e);
	}
	/* Every member has joined: the helpers go, reaped by their makers. */
	for (uint32_t i = 0; !rc && i < t->nr_helpers; i++)
		rc = cr_tree_end_helper(&t->rst[t->helpers[i].maker],
					t->helpers[i].pgid, e);
	return rc;
}
