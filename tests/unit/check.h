/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the tests of the rules of an image share (test-check.c, the rules
 * of a process; test-check-fds.c, those of its descriptors of each kind;
 * test-check-tree.c, those of a tree of processes): the two readers of
 * an image (`crfs-image verify`'s walker on a descriptor, the restore's
 * cr_rst_read() on a ring), the verdicts on what they read, a table of
 * forgeries of the valid process of fixture.h, each read by both, and
 * the few changes of that process more than one file makes (a memfd, a
 * second thread, a second process).
 */
#ifndef CRFS_CHECK_H
#define CRFS_CHECK_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "restore.h"
#include "cr-ring.h"
#include "fixture.h"
#include "tap.h"

/* The tables leave the error of a forgery out when it is EBADMSG. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define PS		4096ULL

/* How the two readers took an image. */
struct verdict {
	int		verify, restore;
	struct cr_err	ev, er;
};

/* Read @fd as `crfs-image verify` does. */
static inline int read_verify(int fd, struct cr_err *e)
{
	struct cr_img_walk w;
	struct cr_img img;
	int ret;

	lseek(fd, 0, SEEK_SET);
	if (cr_img_init(&img, fd))
		exit(1);
	ret = cr_img_walk_begin(&w, &img, e);
	while (!ret && (ret = cr_img_walk_next(&w, e)) > 0)
		ret = 0;
	cr_img_walk_fini(&w);
	cr_img_fini(&img);
	return ret;
}

/* Read @fd as the restore does, on a ring, up to the end of its pages. */
static inline int read_restore(int fd, struct cr_err *e)
{
	off_t len = lseek(fd, 0, SEEK_END);
	struct cr_ring *ring = cr_ring_new(len + CR_RING_REC);
	struct cr_img_walk w;
	struct cr_img img;
	void *room;
	int ret;

	if (!ring || !(room = cr_ring_reserve(ring, len)) ||
	    pread(fd, room, len, 0) != len)
		exit(1);
	cr_ring_commit(ring, len);
	cr_ring_close(ring, 0);
	cr_img_init_ring(&img, ring);
	ret = cr_rst_read(&w, &img, e);
	while (!ret && (ret = cr_rst_next_pages(&w, e)) == CR_WALK_PAGES)
		ret = 0;
	cr_img_walk_fini(&w);
	cr_img_fini(&img);
	cr_ring_free(ring);
	return ret;
}

/* Read the image on @fd with both readers into @v; close @fd. */
static inline void judge(int fd, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->verify = read_verify(fd, &v->ev);
	v->restore = read_restore(fd, &v->er);
	close(fd);
}

/* Both readers refuse with @err and a reason holding @want, the same. */
static inline void refused(const struct verdict *v, int err, const char *want,
			   const char *what)
{
	ok(v->verify == -err && v->restore == -err &&
	   !strcmp(v->ev.msg, v->er.msg) && strstr(v->ev.msg, want),
	   "%s: refused by verify and restore: %s%s%s", what, v->ev.msg,
	   strcmp(v->ev.msg, v->er.msg) ? " / restore: " : "",
	   strcmp(v->ev.msg, v->er.msg) ? v->er.msg : "");
}

/* Both readers take it. */
static inline void accepted(const struct verdict *v, const char *what)
{
	ok(!v->verify && !v->restore, "%s: taken by verify and restore%s%s",
	   what, v->verify ? ": " : "", v->verify ? v->ev.msg : v->er.msg);
}

/* Every record of the process with pid @pid, as a forgery needs it. */
static inline void set_pid(struct cr_model *m, uint32_t pid)
{
	struct cr_task *t = &m->tasks[0];

	t->t.pid = t->creds.pid = pid;
	t->threads[0].t.pid = t->threads[0].t.tid = pid;
	t->threads[0].arch.regs.tid = pid;
	t->threads[0].pending.sig[0].tid = pid;
	for (uint32_t i = 0; i < t->threads[0].nr_seccomp; i++)
		t->threads[0].seccomp[i].s.tid = pid;
}

/* F_DATA as a memfd that carries its data. */
static inline void fx_memfd(struct cr_file *f, uint64_t size, uint64_t data)
{
	f->f.kind = CRFS_FILE_MEMFD;
	f->f.data_id = f->f.id;
	f->f.size = size;
	f->f.data_size = data;
	free(f->path);
	f->path = strdup("memfd:x");
}

/*
 * A second thread, 4712, a copy of the leader without its seccomp filters
 * (which stay on the leader) or signals.
 */
static inline void add_thread(struct cr_model *m)
{
	struct cr_task *t = &m->tasks[0];
	struct cr_thread *t2;
	int err = 0;

	t2 = cr_model_new_thread(t, &err);
	*t2 = t->threads[0];
	t2->t.tid = t2->arch.regs.tid = 4712;
	t2->seccomp = NULL;
	t2->nr_seccomp = 0;
	t2->pending = (struct cr_sigq){ 0 };
	t2->arch.xstate = malloc(t2->arch.xstate_size);
	memcpy(t2->arch.xstate, t->threads[0].arch.xstate,
	       t2->arch.xstate_size);
	t->t.nr_threads = t->nr_threads;
}

/* Two threads, neither with seccomp filters. */
static inline void two_threads(struct cr_model *m)
{
	struct cr_thread *th = &m->tasks[0].threads[0];

	for (uint32_t i = 0; i < th->nr_seccomp; i++)
		free(th->seccomp[i].insns);
	free(th->seccomp);
	th->seccomp = NULL;
	th->nr_seccomp = 0;
	add_thread(m);
}

/* A second process, 4800, its own objects by the same ids as the first's. */
static inline void second_task(struct cr_model *m)
{
	struct cr_task *t2;
	int err;

	t2 = cr_model_new_task(m, &err);
	*t2 = m->tasks[0];
	t2->t.pid = t2->creds.pid = 4800;
	t2->groups = NULL;
	t2->creds.ngroups = 0;
	t2->pending = (struct cr_sigq){ 0 };
	t2->threads = NULL;
	t2->nr_threads = 0;
	cr_model_new_thread(t2, &err)->t = (struct crfs_thread){
		.pid = 4800, .tid = 4800, .altstack_flags = SS_DISABLE,
		.cpus_allowed = { 1 } };
	t2->threads[0].arch = m->tasks[0].threads[0].arch;
	t2->threads[0].arch.regs.tid = 4800;
	t2->threads[0].arch.xstate = malloc(t2->threads[0].arch.xstate_size);
	memcpy(t2->threads[0].arch.xstate, m->tasks[0].threads[0].arch.xstate,
	       t2->threads[0].arch.xstate_size);
}

/* The image of the valid process, with @runs of page data. */
static inline int good_image(const struct crfs_image_hdr *h,
			     const struct fx_run *runs)
{
	struct cr_model m;
	int fd;

	fx_model(&m, h);
	fd = fx_write(h, &m, runs, false);
	cr_model_free(&m);
	return fd;
}

/* The image of @m passes both readers: one check, "@what passes ...". */
static inline void image_passes(const struct crfs_image_hdr *h,
				const struct cr_model *m, const char *what)
{
	struct verdict v;

	judge(fx_write(h, m, NULL, false), &v);
	ok(!v.verify && !v.restore, "%s passes verify and restore%s%s%s", what,
	   v.verify || v.restore ? ": " : "", v.ev.msg, v.er.msg);
}

/* A forgery of the valid process: what it changes, what must be said. */
struct forgery {
	const char	*what;
	void		(*forge)(struct cr_model *m);
	const char	*want;
	int		err;		/* 0: EBADMSG */
};

/* Each of the @n forgeries @f of the valid process, refused by both readers. */
static inline void run_forgeries(const struct crfs_image_hdr *h,
				 const struct forgery *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cr_model m;
		struct verdict v;

		fx_model(&m, h);
		f[i].forge(&m);
		judge(fx_write(h, &m, NULL, false), &v);
		refused(&v, f[i].err ? f[i].err : EBADMSG, f[i].want,
			f[i].what);
		cr_model_free(&m);
	}
}

#endif /* CRFS_CHECK_H */
