// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the rules of an image about a tree of processes
 * (img-check-tree.c): the valid process of fixture.h with a child, a
 * zombie or not, and a grandchild, sharing objects or not, children of
 * its threads; each image read by both readers (check.h), taken or
 * refused with the reason that names the rule.  TAP.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* A second process, a child of the first: a zombie with @code, or not. */
static void tree_child(struct cr_model *m, bool zombie, int32_t code)
{
	struct cr_task *t2;

	second_task(m);
	t2 = &m->tasks[1];
	t2->t.ppid = m->tasks[0].t.pid;
	if (!zombie)
		return;
	t2->t.state = CRFS_TASK_ZOMBIE;
	t2->t.exit_code = code;
	t2->t.mm_id = t2->t.fdtable_id = t2->t.fs_id = t2->t.sighand_id = 0;
	free(t2->threads[0].arch.xstate);
	free(t2->threads);
	t2->threads = NULL;
	t2->nr_threads = 0;
	t2->t.nr_threads = 0;
}

static void tree_orphan(struct cr_model *m) { m->tasks[1].t.ppid = 0; }
static void tree_no_leader(struct cr_model *m) { m->tasks[1].t.pgid = 999; }
static void tree_other_sid(struct cr_model *m) { m->tasks[1].t.sid = 999; }
static void tree_stopped(struct cr_model *m)
{
	m->tasks[1].t.state = CRFS_TASK_STOPPED;
	m->tasks[1].t.stop_signo = SIGSTOP;
}
static void tree_parent_zombie(struct cr_model *m)
{
	m->tasks[0].t.state = CRFS_TASK_ZOMBIE;
}
/* The root with a second thread, 4712, and a parent thread itself. */
static void tree_thread_root(struct cr_model *m)
{
	two_threads(m);
	m->tasks[0].t.parent_tid = 4712;
}

/*
 * Task @i of @m with copies of its own of the mm and signal actions, and
 * of the fd table and fs when asked, with ids from @id on.
 */
static void own_objs(struct cr_model *m, uint32_t i, uint32_t id, bool fdt,
		     bool fs)
{
	struct crfs_task *k = &m->tasks[i].t;
	struct cr_sighand *sh;
	struct cr_mm *mm;
	int err;

	mm = cr_model_new_mm(m, &err);
	*mm = m->mms[0];
	mm->m.id = k->mm_id = id;
	mm->vmas = malloc(mm->nr_vmas * sizeof(*mm->vmas));
	memcpy(mm->vmas, m->mms[0].vmas, mm->nr_vmas * sizeof(*mm->vmas));
	for (uint32_t j = 0; j < mm->nr_vmas; j++) {
		mm->vmas[j].v.mm_id = id;
		if (mm->vmas[j].name)
			mm->vmas[j].name = strdup(mm->vmas[j].name);
	}
	sh = cr_model_new_sighand(m, &err);
	*sh = m->sighands[0];
	sh->s.id = k->sighand_id = id + 1;
	if (fdt) {
		struct cr_fdtable *t = cr_model_new_fdtable(m, &err);

		*t = m->fdts[0];
		t->t.id = k->fdtable_id = id + 2;
		t->fds = malloc(t->nr_fds * sizeof(*t->fds));
		memcpy(t->fds, m->fdts[0].fds, t->nr_fds * sizeof(*t->fds));
	}
	if (fs) {
		struct cr_fs *f = cr_model_new_fs(m, &err);

		*f = m->fss[0];
		f->f.id = k->fs_id = id + 3;
	}
}

/* The child shares its parent's fd table and fs, nothing else. */
static void tree_fdt_fs(struct cr_model *m) { own_objs(m, 1, 900, false, false); }

/* A third process, pid 4801, a child of the second. */
static void tree_grandchild(struct cr_model *m)
{
	struct cr_task *t;

	second_task(m);
	t = &m->tasks[2];
	t->t.pid = t->creds.pid = 4801;
	t->t.ppid = 4800;
	t->threads[0].t.pid = t->threads[0].t.tid = 4801;
	t->threads[0].arch.regs.tid = 4801;
}

/*
 * The image of @m, @n processes in its header, taken, or refused with
 * @err and @want (@err 0: taken): the check @what.  Frees @m.
 */
static void tree_judge(const struct crfs_image_hdr *h0, uint32_t n,
		       struct cr_model *m, int err, const char *want,
		       const char *what)
{
	struct crfs_image_hdr h = *h0;
	struct verdict v;

	h.nr_tasks = n;
	judge(fx_write(&h, m, NULL, false), &v);
	if (err)
		refused(&v, err, want, what);
	else
		accepted(&v, what);
	cr_model_free(m);
}

/*
 * Three processes: the root, its child, a grandchild; @mid_own: the
 * child has its own fd table and the grandchild the root's; else the
 * child shares the root's and the grandchild has its own.  Refused with
 * @want, or taken (NULL).
 */
static void tree_fdt_three(const struct crfs_image_hdr *h0, bool mid_own,
			   const char *want, const char *what)
{
	struct cr_model m;

	fx_model(&m, h0);
	tree_child(&m, false, 0);
	tree_grandchild(&m);
	own_objs(&m, 1, 900, mid_own, true);
	own_objs(&m, 2, 910, !mid_own, true);
	tree_judge(h0, 3, &m, want ? EOPNOTSUPP : 0, want, what);
}

/*
 * The root with @n threads but its leader (4712 on), each the parent of
 * a zombie child (6000 on): refused with @want, or taken (NULL).
 */
static void tree_makers(const struct crfs_image_hdr *h0, uint32_t n,
			const char *want, const char *what)
{
	struct cr_model m;
	int err = 0;

	fx_model(&m, h0);
	two_threads(&m);
	for (uint32_t i = 1; i < n; i++) {
		struct cr_task *t = &m.tasks[0];
		struct cr_thread *th = cr_model_new_thread(t, &err);

		*th = t->threads[1];
		th->t.tid = th->arch.regs.tid = 4712 + i;
		th->arch.xstate = malloc(th->arch.xstate_size);
		memcpy(th->arch.xstate, t->threads[1].arch.xstate,
		       th->arch.xstate_size);
		t->t.nr_threads = t->nr_threads;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct cr_task *t2 = cr_model_new_task(&m, &err);

		*t2 = m.tasks[0];
		t2->t.pid = t2->creds.pid = 6000 + i;
		t2->t.ppid = 4711;
		t2->t.parent_tid = 4712 + i;
		t2->groups = NULL;
		t2->creds.ngroups = 0;
		t2->pending = (struct cr_sigq){ 0 };
		t2->threads = NULL;
		t2->nr_threads = t2->t.nr_threads = 0;
		t2->t.state = CRFS_TASK_ZOMBIE;
		t2->t.exit_code = 0;
		t2->t.mm_id = t2->t.fdtable_id = t2->t.fs_id = 0;
		t2->t.sighand_id = 0;
	}
	tree_judge(h0, n + 1, &m, want ? EOPNOTSUPP : 0, want, what);
}

/* A forgery of a two-process image, and what must be said of it. */
struct tree_case {
	bool		zombie;		/* the child, with exit code @code */
	int32_t		code;
	void		(*forge)(struct cr_model *m);
	uint32_t	parent_tid;	/* the child's; the root has 4712 too */
	int		err;		/* 0: taken */
	const char	*want, *what;
};

static const struct tree_case tree_cases[] = {
	{ true, 7 << 8, .what = "a zombie child, exit 7" },
	{ true, SIGUSR2, .what = "a zombie child killed by SIGUSR2" },
	{ true, SIGSEGV | 0x80, .err = EOPNOTSUPP, .want = "with a core dump",
	  .what = "a zombie that dumped core" },
	{ true, SIGCHLD, .err = EBADMSG, .want = "no signal kills so",
	  .what = "a zombie killed by SIGCHLD" },
	{ true, 1 << 16, .err = EBADMSG, .want = "wait status 0x10000",
	  .what = "a zombie with a wait status beyond 16 bits" },
	{ false, 0, .err = EOPNOTSUPP, .want = "shares its address space with pid",
	  .what = "a child sharing its parent's mm, fd table, fs and actions" },
	{ false, 0, tree_fdt_fs, .what = "a child sharing its parent's fd "
	  "table and fs (CLONE_FILES, CLONE_FS)" },
	{ true, 0, tree_orphan, .err = EBADMSG,
	  .want = "parent 0 is not a process of the image before it",
	  .what = "a second root" },
	{ true, 0, tree_no_leader,
	  .what = "a process group whose leader is gone, made by a helper" },
	{ true, 0, tree_other_sid, .err = EOPNOTSUPP,
	  .want = "session 999 is neither its own nor its parent's",
	  .what = "a session whose leader is not an ancestor" },
	{ false, 0, tree_stopped, .err = EOPNOTSUPP,
	  .want = "stopped by signal 19, its parent 4711 in the container",
	  .what = "a stopped child of a process of the container" },
	{ true, 0, tree_parent_zombie, .err = EBADMSG,
	  .want = "the root is a zombie", .what = "a zombie root with a child" },
	/* A child of a thread other than the leader (parent_tid). */
	{ true, 7 << 8, .parent_tid = 4712,
	  .what = "a zombie child of the root's second thread" },
	{ true, 0, .parent_tid = 4711, .err = EBADMSG,
	  .want = "pid 4800: parent thread 4711 is not a thread of its parent 4711 other than its leader",
	  .what = "a parent thread that is the parent's leader (that is 0)" },
	{ true, 0, .parent_tid = 4713, .err = EBADMSG,
	  .want = "pid 4800: parent thread 4713 is not a thread of its parent",
	  .what = "a parent thread that is no thread of the image" },
	{ true, 0, .parent_tid = 4800, .err = EBADMSG,
	  .want = "pid 4800: parent thread 4800 is not a thread of its parent",
	  .what = "a parent thread of another process (the child itself)" },
	{ true, 0, tree_thread_root, .err = EBADMSG,
	  .want = "pid 4711: the first process has parent 0 (thread 4712)",
	  .what = "a root with a parent thread" },
};
#define NR_TREE_CASES	(sizeof(tree_cases) / sizeof(tree_cases[0]))

/* Case @c: taken or refused as it says. */
static void tree_case(const struct crfs_image_hdr *h0,
		      const struct tree_case *c)
{
	struct cr_model m;

	fx_model(&m, h0);
	tree_child(&m, c->zombie, c->code);
	if (c->forge)
		c->forge(&m);
	if (c->parent_tid) {
		two_threads(&m);
		m.tasks[1].t.parent_tid = c->parent_tid;
	}
	tree_judge(h0, 2, &m, c->err, c->want, c->what);
}

/* The rules of the process tree (img-check-tree.c). */
static void test_tree(const struct crfs_image_hdr *h0)
{
	struct crfs_image_hdr h = *h0;
	struct cr_model m;

	for (size_t i = 0; i < NR_TREE_CASES; i++)
		tree_case(h0, &tree_cases[i]);
	tree_fdt_three(h0, true, "pid 4801: shares its descriptor table with pid 4711, not with its parent 4800",
		       "a grandchild sharing the root's fd table, not its parent's");
	tree_fdt_three(h0, false, NULL,
		       "a child, with its own fd table, of a process sharing its parent's");
	tree_makers(h0, CR_TREE_MAX_MAKERS, NULL,
		    "128 threads of a process, each the parent of a child");
	tree_makers(h0, CR_TREE_MAX_MAKERS + 1,
		    "pid 4711: more than 128 of its threads are parents of processes: not supported",
		    "129 threads of a process, each the parent of a child");
	/* A pid namespace of its own begins at pid 1. */
	fx_model(&m, h0);
	h.features |= CRFS_FEAT_PIDNS;
	tree_judge(&h, 1, &m, EBADMSG, "the first process of a pid namespace "
		   "of its own is pid 1", "a pid namespace of its own whose "
		   "first process is not pid 1");
}

/* The checks of test_tree(): the cases, 2 of three processes, 2 of
 * threads each the parent of a child, 1 of a pid namespace. */
#define TAP_PLAN	((int)NR_TREE_CASES + 2 + 2 + 1)

int main(void)
{
	struct crfs_image_hdr h;

	signal(SIGPIPE, SIG_IGN);
	cr_img_fill_hdr(&h);
	h.nr_tasks = 1;
	printf("1..%d\n", TAP_PLAN);
	test_tree(&h);
	if (tap_nr != TAP_PLAN)
		ok(0, "planned %d tests, ran %d", TAP_PLAN, tap_nr);
	return tap_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
