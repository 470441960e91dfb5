// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The restore of pseudo-terminal pairs (res-tty.c says what is saved).
 * The restorer makes every pair before the first process
 * (cr_rst_tty_make()): it opens /dev/ptmx until the kernel gives the
 * index of the image (indexes are handed out lowest free first: those
 * below it it gets are held, then closed; an index above it says the one
 * wanted is in use, and the restore fails naming who holds it), opens
 * each slave description, sets termios, window size and modes, and
 * puts the data queued in the pair back (res-ttyq.c), and
 * passes each description to the processes that have it (restore-tree.c,
 * CR_PASS_RESTORER).  A shell job's terminal is the restorer's, reopened.
 * A session leader makes its terminal its session's (TIOCSCTTY) right
 * after setsid(), before it makes its children, which inherit it
 * (through a slave the restorer opens for it, and closes once the tree
 * is made, when no process has one); its late step sets the foreground
 * group (TIOCSPGRP) once every group exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <asm/termbits.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "dump.h"
#include "proc.h"
#include "restore.h"

/* Fail: index @index is in use on this machine; by whom, if found. */
static int cr_tty_taken(uint32_t index, struct cr_err *e)
{
	char comm[CRFS_COMM_LEN] = "?", link[32];
	pid_t found;

	snprintf(link, sizeof(link), "/dev/pts/%u", index);
	found = cr_files_holder(NULL, 0, link, comm, sizeof(comm));
	if (found)
		return cr_fail(e, EBUSY, "/dev/pts/%u: cannot make the "
			       "pseudo-terminal again: the index is in use on "
			       "this machine (pid %d (%s) has it open)", index,
			       found, comm);
	return cr_fail(e, EBUSY, "/dev/pts/%u: cannot make the pseudo-terminal "
		       "again: the index is in use on this machine", index);
}

/* The flags a side is opened with: its status flags, never a ctty. */
static int cr_tty_oflags(const struct cr_file *f)
{
	return (f->f.flags & (O_ACCMODE | O_NONBLOCK | O_APPEND)) |
	       O_NOCTTY | O_CLOEXEC;
}

/* By index, for cr_tty_make_masters(). */
static int cr_tty_index_cmp(const void *pa, const void *pb)
{
	const struct cr_file *a = *(const struct cr_file *const *)pa;
	const struct cr_file *b = *(const struct cr_file *const *)pb;

	return (a->ev.tty.index > b->ev.tty.index) -
	       (a->ev.tty.index < b->ev.tty.index);
}

/*
 * Open /dev/ptmx until it gives @f's index: the lower ones go to @extra
 * (@nr of them), to be closed once every master is made.
 */
static int cr_tty_open_master(const struct cr_file *f, int *fd, int **extra,
			      uint32_t *nr, struct cr_err *e)
{
	uint32_t want = f->ev.tty.index, got;

	for (;;) {
		int m = open("/dev/ptmx", cr_tty_oflags(f));
		int *x;

		if (m < 0)
			return cr_fail(e, errno, "/dev/pts/%u: cannot open "
				       "/dev/ptmx to make it again: %m", want);
		if (ioctl(m, TIOCGPTN, &got)) {
			close(m);
			return cr_fail(e, errno, "/dev/ptmx: TIOCGPTN: %m");
		}
		if (got == want) {
			*fd = m;
			return 0;
		}
		if (got > want) {
			close(m);
			return cr_tty_taken(want, e);
		}
		x = realloc(*extra, (*nr + 1) * sizeof(**extra));
		if (!x) {
			close(m);
			return cr_fail(e, ENOMEM, "out of memory");
		}
		*extra = x;
		x[(*nr)++] = m;
	}
}

/*
 * Restores of one restorer make their pairs one at a time: one's indexes
 * held below its own must not be taken for another's in use.
 */
static pthread_mutex_t cr_tty_ptmx_lock = PTHREAD_MUTEX_INITIALIZER;

/* Every master of @m, by index, into t->tty_fd. */
static int cr_tty_make_masters(struct cr_rst_tree *t, const struct cr_model *m,
			       struct cr_err *e)
{
	const struct cr_file **ms = malloc((m->nr_files + 1) * sizeof(*ms));
	uint32_t n = 0, nr_extra = 0;
	int *extra = NULL, rc = 0;

	if (!ms)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < m->nr_files; i++)
		if (m->files[i].f.kind == CRFS_FILE_TTY &&
		    m->files[i].ev.tty.type == CRFS_TTY_MASTER)
			ms[n++] = &m->files[i];
	qsort(ms, n, sizeof(*ms), cr_tty_index_cmp);
	pthread_mutex_lock(&cr_tty_ptmx_lock);
	for (uint32_t i = 0; !rc && i < n; i++)
		rc = cr_tty_open_master(ms[i], &t->tty_fd[ms[i] - m->files],
					&extra, &nr_extra, e);
	while (nr_extra)
		close(extra[--nr_extra]);
	pthread_mutex_unlock(&cr_tty_ptmx_lock);
	free(extra);
	free(ms);
	return rc;
}

/* termios of @t's side on @fd. */
static int cr_tty_set_termios(int fd, const struct crfs_file_tty *t)
{
	struct termios2 tio = {
		.c_iflag = t->iflag, .c_oflag = t->oflag,
		.c_cflag = t->cflag, .c_lflag = t->lflag,
		.c_line = t->line,
		.c_ispeed = t->ispeed, .c_ospeed = t->ospeed,
	};

	memcpy(tio.c_cc, t->cc, sizeof(tio.c_cc));
	return ioctl(fd, TCSETS2, &tio);
}

/* Open @f's slave description, unlocked by its master, with its termios. */
static int cr_tty_open_slave(const struct cr_file *f, struct cr_err *e)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/pts/%u", f->ev.tty.index);
	fd = open(path, cr_tty_oflags(f));
	if (fd < 0)
		return cr_fail(e, errno, "%s: cannot open the slave again: %m",
			       path);
	return fd;
}

/*
 * A description of the restorer's terminal for SHELL @f: the terminal
 * reopened (/proc/self/fd), with @f's flags.
 */
static int cr_tty_open_shell(const struct cr_rst_tree *t,
			     const struct cr_file *f, struct cr_err *e)
{
	char path[64];
	int fd;

	if (t->shell_tty < 0)
		return cr_fail(e, EOPNOTSUPP, "%s: the image has a terminal "
			       "outside its container (a shell job): echo 1 > "
			       "shell_job of the container restored into, and "
			       "write the image from a terminal, which the "
			       "processes get", f->path);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", t->shell_tty);
	fd = open(path, cr_tty_oflags(f));
	if (fd < 0)
		return cr_fail(e, errno, "%s: cannot reopen the restorer's "
			       "terminal for it: %m", f->path);
	if (!isatty(fd)) {
		close(fd);
		return cr_fail(e, ENOTTY, "%s: the restorer's standard input "
			       "is no terminal: restore a shell job from a "
			       "terminal", f->path);
	}
	return fd;
}

/* Side @f's state on its description @fd, the pair's with its master. */
static int cr_tty_setup(const struct cr_file *f, int fd, struct cr_err *e)
{
	const struct crfs_file_tty *t = &f->ev.tty;
	struct winsize ws = { t->rows, t->cols, t->xpixel, t->ypixel };
	int on = 1;
	const char *what = "termios (TCSETS2)";

	if (cr_tty_set_termios(fd, t))
		goto out_fail;
	if (t->type == CRFS_TTY_MASTER) {
		what = "window size (TIOCSWINSZ)";
		if (ioctl(fd, TIOCSWINSZ, &ws))
			goto out_fail;
		what = "packet mode (TIOCPKT)";
		if (t->pkt && ioctl(fd, TIOCPKT, &on))
			goto out_fail;
	}
	return 0;

out_fail:
	return cr_fail(e, errno, "/dev/pts/%u: %s: cannot set its %s: %m",
		       t->index, t->type == CRFS_TTY_MASTER ? "master" : "slave",
		       what);
}

/* The last of a pair's state: exclusive modes, then the lock. */
static int cr_tty_finish(const struct cr_file *f, int fd, struct cr_err *e)
{
	const struct crfs_file_tty *t = &f->ev.tty;
	int on = 1;

	if (t->excl && ioctl(fd, TIOCEXCL))
		return cr_fail(e, errno, "/dev/pts/%u: cannot make it "
			       "exclusive (TIOCEXCL): %m", t->index);
	if (t->type == CRFS_TTY_MASTER && t->locked &&
	    ioctl(fd, TIOCSPTLCK, &on))
		return cr_fail(e, errno, "/dev/pts/%u: cannot lock it "
			       "(TIOCSPTLCK): %m", t->index);
	return 0;
}

/* A slave description of the restorer of @index, or -1. */
static int cr_tty_slave_fd(const struct cr_rst_tree *t,
			   const struct cr_model *m, uint32_t index)
{
	for (uint32_t i = 0; i < m->nr_files; i++)
		if (m->files[i].f.kind == CRFS_FILE_TTY &&
		    m->files[i].ev.tty.type == CRFS_TTY_SLAVE &&
		    m->files[i].ev.tty.index == index)
			return t->tty_fd[i];
	return -1;
}

/*
 * Each session leader: the restorer's descriptor of its terminal's slave,
 * for its TIOCSCTTY.  A pair whose slave no process has gets one of its
 * own (t->tty_fd[nr_files + k]), closed once the tree is made: the last
 * close of the slave, as the process's was.
 */
static int cr_tty_plan_ctty(struct cr_rst_tree *t, const struct cr_model *m,
			    struct cr_err *e)
{
	for (uint32_t i = 0; i < m->nr_files; i++) {
		const struct cr_file *f = &m->files[i];
		int64_t k;
		int fd;

		if (f->f.kind != CRFS_FILE_TTY ||
		    f->ev.tty.type != CRFS_TTY_MASTER || !f->ev.tty.sid)
			continue;
		k = cr_model_find(m, CR_K_TASK, f->ev.tty.sid);
		if (k < 0)
			continue;
		fd = cr_tty_slave_fd(t, m, f->ev.tty.index);
		if (fd < 0) {
			fd = cr_tty_open_slave(f, e);
			if (fd < 0)
				return fd;
			t->tty_fd[m->nr_files + k] = fd;
		}
		t->child[k].ctty_fd = fd;
		t->child[k].ctty_index = f->ev.tty.index;
	}
	return 0;
}

/* The data queued in each pair of @m back into its new pair. */
static int cr_tty_put_queues(struct cr_rst_tree *t, const struct cr_model *m,
			     struct cr_err *e)
{
	for (uint32_t i = 0; i < m->nr_files; i++) {
		const struct cr_file *f = &m->files[i], *s = NULL;
		int rc;

		if (f->f.kind != CRFS_FILE_TTY ||
		    f->ev.tty.type != CRFS_TTY_MASTER || !f->pdata)
			continue;
		for (uint32_t j = 0; !s && j < m->nr_files; j++)
			if (m->files[j].f.kind == CRFS_FILE_TTY &&
			    m->files[j].ev.tty.type == CRFS_TTY_SLAVE &&
			    m->files[j].ev.tty.index == f->ev.tty.index)
				s = &m->files[j];
		rc = cr_ttyq_restore(f, t->tty_fd[i], s ? &s->ev.tty :
				     &f->ev.tty, s ? t->tty_fd[s - m->files] :
				     -1, e);
		if (rc)
			return rc;
	}
	return 0;
}

int cr_rst_tty_make(struct cr_rst_tree *t, struct cr_err *e)
{
	const struct cr_model *m = t->rst[0].m;
	uint32_t i, n = 0;
	int rc;

	for (i = 0; i < t->nr; i++)
		t->child[i].ctty_fd = -1;
	for (i = 0; i < m->nr_files; i++)
		n += m->files[i].f.kind == CRFS_FILE_TTY;
	if (!n)
		return 0;
	t->tty_fd = malloc((m->nr_files + t->nr) * sizeof(*t->tty_fd));
	if (!t->tty_fd)
		return cr_fail(e, ENOMEM, "out of memory");
	for (i = 0; i < m->nr_files + t->nr; i++)
		t->tty_fd[i] = -1;
	rc = cr_tty_make_masters(t, m, e);
	/* Unlocked to open the slaves; locked again last if it was. */
	for (i = 0; !rc && i < m->nr_files; i++) {
		const struct cr_file *f = &m->files[i];
		int off = 0;

		if (f->f.kind != CRFS_FILE_TTY ||
		    f->ev.tty.type != CRFS_TTY_MASTER)
			continue;
		if (ioctl(t->tty_fd[i], TIOCSPTLCK, &off))
			rc = cr_fail(e, errno, "/dev/pts/%u: cannot unlock it "
				     "(TIOCSPTLCK): %m", f->ev.tty.index);
		else
			rc = cr_tty_setup(f, t->tty_fd[i], e);
	}
	for (i = 0; !rc && i < m->nr_files; i++) {
		const struct cr_file *f = &m->files[i];

		if (f->f.kind == CRFS_FILE_TTY &&
		    f->ev.tty.type == CRFS_TTY_SHELL) {
			t->tty_fd[i] = cr_tty_open_shell(t, f, e);
			rc = t->tty_fd[i] < 0 ? t->tty_fd[i] : 0;
			continue;
		}
		if (f->f.kind != CRFS_FILE_TTY ||
		    f->ev.tty.type != CRFS_TTY_SLAVE)
			continue;
		t->tty_fd[i] = cr_tty_open_slave(f, e);
		rc = t->tty_fd[i] < 0 ? t->tty_fd[i] :
		     cr_tty_setup(f, t->tty_fd[i], e);
	}
	if (!rc)
		rc = cr_tty_put_queues(t, m, e);
	if (!rc)
		rc = cr_tty_plan_ctty(t, m, e);
	for (i = 0; !rc && i < m->nr_files; i++)
		if (m->files[i].f.kind == CRFS_FILE_TTY &&
		    m->files[i].ev.tty.type != CRFS_TTY_SHELL)
			rc = cr_tty_finish(&m->files[i], t->tty_fd[i], e);
	return rc;
}

int cr_rst_tty_fd(const struct cr_rst_tree *t, const struct cr_file *f)
{
	if (!t->tty_fd || f->f.kind != CRFS_FILE_TTY)
		return -1;
	return t->tty_fd[f - t->rst[0].m->files];
}

void cr_rst_tty_close(struct cr_rst_tree *t)
{
	for (uint32_t i = 0; t->tty_fd && i < t->rst[0].m->nr_files + t->nr;
	     i++)
		if (t->tty_fd[i] >= 0)
			close(t->tty_fd[i]);
	free(t->tty_fd);
	t->tty_fd = NULL;
}

/* A descriptor of @r's process on its terminal @index, or -1. */
static int tty_late_fd(const struct cr_rst *r, uint32_t index)
{
	const struct cr_fdtable *fdt = r->task->fdt;

	for (uint32_t i = 0; fdt && i < fdt->nr_fds; i++) {
		const struct cr_file *f = fdt->fds[i].file;

		if (f && f->f.kind == CRFS_FILE_TTY &&
		    f->ev.tty.type != CRFS_TTY_SHELL &&
		    f->ev.tty.index == index)
			return fdt->fds[i].d.fd;
	}
	return -1;
}

/*
 * Restore phase 5: a session leader sets its terminal's foreground group
 * (TIOCSCTTY made its own group the foreground one), through a descriptor
 * it has on the pair, or /dev/tty opened for that.
 */
int cr_rst_tty_late(struct cr_rst *r, struct cr_err *e)
{
	const struct cr_rst_child *c = &r->tree->child[r->idx];
	const struct cr_file *f = NULL;
	unsigned long addr;
	uint32_t pgrp;
	char what[96];
	long fd;
	int rc;

	if (c->ctty_fd < 0)
		return 0;
	for (uint32_t i = 0; !f && i < r->m->nr_files; i++)
		if (r->m->files[i].f.kind == CRFS_FILE_TTY &&
		    r->m->files[i].ev.tty.type == CRFS_TTY_MASTER &&
		    r->m->files[i].ev.tty.index == c->ctty_index)
			f = &r->m->files[i];
	pgrp = f ? f->ev.tty.pgrp : 0;
	if (!pgrp || pgrp == r->task->t.pid)
		return 0;
	fd = tty_late_fd(r, c->ctty_index);
	if (fd < 0) {
		rc = cr_rst_poke(r, 0, "/dev/tty", sizeof("/dev/tty"), &addr,
				 e);
		if (!rc)
			rc = cr_rst_syscall(r, SYS_openat, CR_ARGS(AT_FDCWD,
					    addr, O_RDWR | O_NOCTTY | O_CLOEXEC),
					    &fd, e);
		if (rc)
			return rc;
		if (fd < 0)
			return cr_fail(e, (int)-fd, "pid %u: cannot open "
				       "/dev/tty to set the foreground group of "
				       "/dev/pts/%u: %s", r->task->t.pid,
				       c->ctty_index, strerror((int)-fd));
	}
	snprintf(what, sizeof(what), "cannot make group %u the foreground "
		 "group of /dev/pts/%u (TIOCSPGRP)", pgrp, c->ctty_index);
	rc = cr_rst_poke(r, 0, &pgrp, sizeof(pgrp), &addr, e);
	if (!rc)
		rc = cr_rst_call(r, SYS_ioctl, CR_ARGS(fd, TIOCSPGRP, addr),
				 what, e);
	if (tty_late_fd(r, c->ctty_index) < 0) {
		long ignore;
		struct cr_err ign;

		cr_rst_syscall(r, SYS_close, CR_ARGS(fd), &ignore, &ign);
	}
	return rc;
}
