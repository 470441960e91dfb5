// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The rules of img-check.c for pseudo-terminals (FILE of kind TTY,
 * crfs.h): the path, device and flags of each side, the state the kernel
 * takes again (termios, window size, modes), and the pair: one master per
 * index, a slave for each master and a master for each slave, the pair's
 * state the same in every FILE of the index, a session whose leader is a
 * process of the image, a foreground group of that session.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "rec.h"

/* The status flags a pseudo-terminal is opened with again (0100000:
 * O_LARGEFILE as the kernel shows it). */
#define CR_TTY_FLAGS		(O_ACCMODE | O_NONBLOCK | 0100000 | \
				 O_APPEND)
/* TTY FILEs of one image: each is checked against the others. */
#define CR_TTY_FILES_MAX	256

/* Why the path, device, flags and modes of TTY @fi are wrong, or NULL. */
static const char *cr_tty_side_why(const struct cr_file *fi)
{
	const struct crfs_file *f = &fi->f;
	const struct crfs_file_tty *t = &fi->ev.tty;
	char want[32];

	if (t->type != CRFS_TTY_MASTER && t->type != CRFS_TTY_SLAVE &&
	    t->type != CRFS_TTY_SHELL)
		return "a terminal side that is neither master, slave nor "
		       "the shell's";
	if (t->index >= CRFS_TTY_MAX)
		return "a pseudo-terminal index of CRFS_TTY_MAX or more";
	snprintf(want, sizeof(want), "/dev/pts/%u", t->index);
	/* A shell's terminal: a slave whose master is elsewhere. */
	if (t->type == CRFS_TTY_MASTER ? strcmp(fi->path, "/dev/ptmx") &&
	    strcmp(fi->path, "/dev/pts/ptmx") : strcmp(fi->path, want))
		return "a path that is not /dev/ptmx (a master) or "
		       "/dev/pts/INDEX (a slave)";
	if ((f->mode & S_IFMT) != S_IFCHR ||
	    f->rdev != (t->type == CRFS_TTY_MASTER ? makedev(5, 2) :
			makedev(136, t->index)))
		return "not the character device of its side (5:2, or "
		       "136:INDEX)";
	if ((f->flags & ~CR_TTY_FLAGS) || (f->flags & O_ACCMODE) == O_ACCMODE)
		return "status flags a restore cannot open it with";
	if (f->pos || f->size || f->data_size || f->seals || f->data_id ||
	    f->cflags)
		return "a position, data, seals or flags of a terminal";
	if (f->owner_type > CRFS_OWNER_PGRP ||
	    !f->owner_type != !f->owner_pid || f->signo > CRFS_NSIG)
		return "an owner type, owner or signal (F_SETOWN_EX, F_SETSIG) "
		       "that is none";
	if (t->line)
		return "a line discipline other than N_TTY (0)";
	if (t->excl > 1 || t->locked > 1 || t->pkt > 1 ||
	    (t->pkt && t->type != CRFS_TTY_MASTER))
		return "exclusive, locked or packet mode not 0 or 1, or packet "
		       "mode on a slave";
	if (!t->sid && t->pgrp)
		return "a foreground group without a session";
	return NULL;
}

/* Why SHELL @t has state, or NULL: the restorer's terminal keeps its own. */
static const char *cr_tty_shell_why(const struct crfs_file_tty *t)
{
	struct crfs_file_tty none = { .type = t->type, .index = t->index };

	return memcmp(t, &none, sizeof(none)) ? "state in a terminal outside "
	       "the container (a shell job), which keeps its own" : NULL;
}

/* Why the session @t names is not one of @c's model, or NULL. */
static const char *cr_tty_session_why(const struct cr_chk *c,
				      const struct crfs_file_tty *t)
{
	const struct cr_model *m = c->m;
	const struct cr_task *root = &m->tasks[0];
	int64_t k;

	if (!t->sid)
		return NULL;
	k = cr_model_find(m, CR_K_TASK, t->sid);
	if (k < 0 || cr_task_sid(root, &m->tasks[k]) != t->sid)
		return "its session has no leader among the processes";
	if (m->tasks[k].t.state == CRFS_TASK_ZOMBIE)
		return "its session leader is a zombie (which has no "
		       "controlling terminal)";
	if (!t->pgrp)
		return NULL;
	for (uint32_t i = 0; i < m->nr_tasks; i++)
		if (cr_task_pgid(root, &m->tasks[i]) == t->pgrp &&
		    cr_task_sid(root, &m->tasks[i]) == t->sid)
			return NULL;
	return "its foreground group is no process group of its session";
}

/*
 * Why TTY @fi disagrees with the other TTY FILEs of @c's model, or NULL:
 * one master per index, a pair on both sides, the pair's state the same,
 * a side's termios the same, one terminal per session.
 */
static const char *cr_tty_pair_why(const struct cr_chk *c,
				   const struct cr_file *fi)
{
	const struct crfs_file_tty *t = &fi->ev.tty;
	bool master = false, slave = false;
	uint32_t n = 0;

	for (uint32_t i = 0; i < c->m->nr_files; i++) {
		const struct cr_file *o = &c->m->files[i];
		const struct crfs_file_tty *u = &o->ev.tty;

		if (o->f.kind != CRFS_FILE_TTY || o->f.ext_len < sizeof(*u))
			continue;
		if (++n > CR_TTY_FILES_MAX)
			return "more than 256 terminal files in one image";
		if ((u->type == CRFS_TTY_SHELL) != (t->type == CRFS_TTY_SHELL)) {
			if (u->index == t->index)
				return "a terminal both outside the container "
				       "(a shell job) and a pair of it";
			continue;
		}
		if (t->type == CRFS_TTY_SHELL) {
			if (u->index != t->index)
				return "two terminals outside the container "
				       "(shell jobs)";
			continue;
		}
		if (u->index != t->index) {
			if (t->sid && u->sid == t->sid)
				return "its session is the session of another "
				       "terminal too";
			continue;
		}
		master |= u->type == CRFS_TTY_MASTER;
		slave |= u->type == CRFS_TTY_SLAVE;
		if (o != fi && u->type == CRFS_TTY_MASTER &&
		    t->type == CRFS_TTY_MASTER)
			return "a second master of its index";
		if (u->rows != t->rows || u->cols != t->cols ||
		    u->xpixel != t->xpixel || u->ypixel != t->ypixel ||
		    u->locked != t->locked || u->sid != t->sid ||
		    u->pgrp != t->pgrp)
			return "a window size, lock, session or foreground group "
			       "other than another file of its index has";
		if (u->type == t->type &&
		    (u->iflag != t->iflag || u->oflag != t->oflag ||
		     u->cflag != t->cflag || u->lflag != t->lflag ||
		     u->ispeed != t->ispeed || u->ospeed != t->ospeed ||
		     memcmp(u->cc, t->cc, sizeof(t->cc)) ||
		     u->excl != t->excl))
			return "termios or exclusive mode other than another "
			       "file of its side has";
	}
	if (t->type == CRFS_TTY_SHELL)
		return NULL;
	if (!master)
		return "a slave without its master (/dev/ptmx) in the image";
	if (!slave && !t->sid)
		return "a master without its slave (/dev/pts/INDEX) in the "
		       "image, and no session's terminal";
	return NULL;
}

/*
 * Why the data queued in TTY @fi's pair cannot be put back, or NULL: only
 * a master has it, never in packet mode, input only with a slave in the
 * image (whose termios the restore puts it back with).
 */
static const char *cr_tty_queue_rule(const struct cr_chk *c,
				     const struct cr_file *fi)
{
	const struct crfs_file_tty_queue *q = (const void *)fi->pdata;
	const struct crfs_file_tty *t = &fi->ev.tty;

	if (!q)
		return NULL;
	if (t->type != CRFS_TTY_MASTER)
		return "data queued in a terminal file other than its master";
	if (t->pkt)
		return "data queued in a pair in packet mode";
	for (uint32_t i = 0; q->in_len && i < c->m->nr_files; i++) {
		const struct cr_file *o = &c->m->files[i];

		if (o->f.kind == CRFS_FILE_TTY &&
		    o->f.ext_len >= sizeof(o->ev.tty) &&
		    o->ev.tty.type == CRFS_TTY_SLAVE &&
		    o->ev.tty.index == t->index)
			return NULL;
	}
	return q->in_len ? "input queued in a pair without its slave in the "
	       "image" : NULL;
}

/* Is @f /dev/tty, which names the controlling terminal of its opener? */
static bool cr_tty_dev_tty(const struct crfs_file *f)
{
	return f->kind == CRFS_FILE_CHR && f->rdev == makedev(5, 0);
}

int cr_img_tty_task(const struct cr_chk *c, const struct cr_task *t,
		    struct cr_err *e)
{
	const struct cr_fdtable *fdt = t->fdt;
	uint32_t sid = cr_task_sid(&c->m->tasks[0], t);

	for (uint32_t i = 0; fdt && i < fdt->nr_fds; i++) {
		const struct cr_file *f = fdt->fds[i].file;

		if (!f || !cr_tty_dev_tty(&f->f))
			continue;
		for (uint32_t j = 0; j < c->m->nr_files; j++) {
			const struct cr_file *o = &c->m->files[j];

			if (o->f.kind == CRFS_FILE_TTY &&
			    o->ev.tty.type == CRFS_TTY_SLAVE &&
			    o->f.ext_len >= sizeof(o->ev.tty) &&
			    o->ev.tty.sid == sid)
				return 0;
		}
		return cr_fail(e, EBADMSG, "pid %u: fd %d: /dev/tty, but its "
			       "session %u has no controlling terminal in the "
			       "image", t->t.pid, fdt->fds[i].d.fd, sid);
	}
	return 0;
}

int cr_img_tty_check(const struct cr_chk *c, const struct cr_file *fi,
		     struct cr_err *e)
{
	const struct crfs_file *f = &fi->f;
	const char *why;

	if (f->ext_len != sizeof(struct crfs_file_tty) + cr_tty_queue_len(fi))
		why = "ext_len is not the size of a terminal's state";
	else
		why = cr_tty_side_why(fi) ?: (fi->ev.tty.type == CRFS_TTY_SHELL ?
			cr_tty_shell_why(&fi->ev.tty) : NULL)
			?: cr_tty_session_why(c, &fi->ev.tty)
			?: cr_tty_pair_why(c, fi) ?: cr_tty_queue_rule(c, fi);
	if (!why)
		return 0;
	return cr_fail(e, EBADMSG, "file %u (kind %u): \"%.64s\": %s", f->id,
		       f->kind, fi->path, why);
}
