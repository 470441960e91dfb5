// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The resource "tty": pseudo-terminal pairs of the container (FILEs of
 * kind TTY, crfs.h), its sessions' controlling terminals and their
 * foreground groups, and the refusal of the terminals it cannot bring
 * back exactly.
 *
 * Checkpoint: each side is read through a copy of the descriptor
 * (pidfd_getfd(): the process does not run): the index (TIOCGPTN, or the
 * slave's minor), termios (TCGETS2), window size, packet mode, lock and
 * exclusive mode.  Data queued in either direction cannot be read without
 * consuming it (a terminal has no MSG_PEEK nor tee()): a side with bytes
 * to read (TIOCINQ) is refused.  A line typed into a slave in canonical
 * mode and not yet ended is not counted by TIOCINQ and is not seen
 * (documented).  A slave whose master is not in the container (the
 * terminal of the shell that started it) and a master whose slave no
 * process of the container has are refused, unless the pair is a
 * session's terminal.  The master tells which session the pair is the
 * terminal of and its foreground group (TIOCGSID, TIOCGPGRP), even when
 * no process has its slave open any more; a session of the container
 * keeps it: every process of the session must have it
 * (cr_tty_tree_check()), and the session and foreground group go in the
 * FILEs of the pair.
 *
 * Restore: the restorer makes the pairs before the first process
 * (cr_rst_tty_make()): it opens /dev/ptmx until the kernel gives the
 * index of the image (indexes are handed out lowest free first: those
 * below it it gets are held, then closed; an index above it says the one
 * wanted is in use, and the restore fails naming who holds it), opens
 * each slave description, sets termios, window size and modes, and
 * passes each description to the processes that have it (restore-tree.c,
 * CR_PASS_RESTORER).  A session leader makes its terminal its session's
 * (TIOCSCTTY) right after setsid(), before it makes its children, which
 * inherit it (through a slave the restorer opens for it, and closes once
 * the tree is made, when no process has one); its late step sets the
 * foreground group (TIOCSPGRP) once every group exists.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <asm/termbits.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "dump.h"
#include "proc.h"
#include "restore.h"

#define CR_PTMX_DEV	makedev(5, 2)
#define CR_PTS_MAJOR	136
/* What to do about a terminal the program got from its shell. */
#define CR_TTY_HINT	"start it with </dev/null >log 2>&1 (setsid to " \
			"leave the terminal's session), or run it in a " \
			"pseudo-terminal of the container"
#define CR_SHELL_HINT	CR_TTY_HINT ", or echo 1 > shell_job of the " \
			"container to restore it onto the terminal of whoever " \
			"restores it"

/* Is @link the path of a pseudo-terminal side (or another terminal)? */
bool cr_tty_link(const char *link)
{
	return !strcmp(link, "/dev/ptmx") || !strncmp(link, "/dev/pts/", 9);
}

/* Termios, window size and modes of side @cfd into @t. */
static int cr_tty_read_state(int cfd, struct crfs_file_tty *t)
{
	struct termios2 tio;
	struct winsize ws;
	int v = 0;

	if (ioctl(cfd, TCGETS2, &tio) || ioctl(cfd, TIOCGWINSZ, &ws))
		return -errno;
	t->iflag = tio.c_iflag;
	t->oflag = tio.c_oflag;
	t->cflag = tio.c_cflag;
	t->lflag = tio.c_lflag;
	t->ispeed = tio.c_ispeed;
	t->ospeed = tio.c_ospeed;
	t->line = tio.c_line;
	memcpy(t->cc, tio.c_cc, sizeof(t->cc));
	t->rows = ws.ws_row;
	t->cols = ws.ws_col;
	t->xpixel = ws.ws_xpixel;
	t->ypixel = ws.ws_ypixel;
	if (ioctl(cfd, TIOCGEXCL, &v))
		return -errno;
	t->excl = !!v;
	if (t->type != CRFS_TTY_MASTER)
		return 0;
	if (ioctl(cfd, TIOCGPKT, &v))
		return -errno;
	t->pkt = !!v;
	if (ioctl(cfd, TIOCGPTLCK, &v))
		return -errno;
	t->locked = !!v;
	return 0;
}

int cr_tty_probe(pid_t pid, const char *name, struct cr_file *f,
		 struct cr_err *e)
{
	struct crfs_file_tty *t = &f->ev.tty;
	char path[64];
	struct stat st;
	int fd, cfd, n = 0, ret;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	if (stat(path, &st))
		return cr_fail(e, errno, "pid %d: %s: %s: cannot stat: %m",
			       pid, name, f->path);
	f->f.mode = st.st_mode;
	f->f.dev = st.st_dev;
	f->f.ino = st.st_ino;
	f->f.rdev = st.st_rdev;
	f->f.uid = st.st_uid;
	f->f.gid = st.st_gid;
	/* Not a pseudo-terminal: refused with the other terminals. */
	if (!S_ISCHR(st.st_mode) || (st.st_rdev != CR_PTMX_DEV &&
				     major(st.st_rdev) != CR_PTS_MAJOR))
		return 0;
	t->type = st.st_rdev == CR_PTMX_DEV ? CRFS_TTY_MASTER : CRFS_TTY_SLAVE;
	t->index = minor(st.st_rdev);
	if (sscanf(name, "fd/%d", &fd) != 1) {
		f->why = "a terminal mapped or used other than as a "
			 "descriptor is not supported";
		return 0;
	}
	cfd = cr_evfd_copy(pid, fd);
	if (cfd < 0)
		return cr_fail(e, errno, "pid %d: fd %d: %s: cannot take a copy "
			       "of it to read its state: %m", pid, fd, f->path);
	/* Another line discipline may not take the ioctls below. */
	ret = ioctl(cfd, TIOCGETD, &n) ? -errno : 0;
	if (!ret && n) {
		close(cfd);
		f->why = "a terminal with a line discipline other than N_TTY "
			 "is not supported";
		f->f.kind = CRFS_FILE_TTY;
		f->f.ext_len = sizeof(*t);
		return 0;
	}
	if (!ret)
		ret = cr_tty_read_state(cfd, t);
	if (!ret && t->type == CRFS_TTY_MASTER &&
	    ioctl(cfd, TIOCGPTN, &t->index))
		ret = -errno;
	/*
	 * The session the pair belongs to and its foreground group, as the
	 * slave keeps them (a master may ask, and the slave keeps them when
	 * no process has it as its terminal any more): in this process's
	 * view, until cr_tty_mark().
	 */
	if (!ret && t->type == CRFS_TTY_MASTER &&
	    (ioctl(cfd, TIOCGSID, &t->sid) || ioctl(cfd, TIOCGPGRP, &t->pgrp))) {
		if (errno == ENOTTY)
			t->sid = t->pgrp = 0;
		else
			ret = -errno;
	}
	if (!ret && ioctl(cfd, TIOCINQ, &n))
		ret = -errno;
	close(cfd);
	if (ret)
		return cr_fail(e, -ret, "pid %d: fd %d: %s: cannot read its "
			       "terminal state: %s", pid, fd, f->path,
			       strerror(-ret));
	if (n)
		f->why = t->type == CRFS_TTY_MASTER ?
			"a pseudo-terminal master with output of its slave "
			"not read yet is not supported (it cannot be read "
			"without being consumed): checkpoint once it is read" :
			"a pseudo-terminal slave with input not read yet is "
			"not supported (it cannot be read without being "
			"consumed): checkpoint once it is read";
	f->f.kind = CRFS_FILE_TTY;
	f->f.ext_len = sizeof(*t);
	return 0;
}

/* The master FILE of index @index in @m, or NULL. */
static struct cr_file *cr_tty_master(const struct cr_model *m, uint32_t index)
{
	for (uint32_t i = 0; i < m->nr_files; i++) {
		struct cr_file *f = &m->files[i];

		if (f->f.kind == CRFS_FILE_TTY &&
		    f->ev.tty.type == CRFS_TTY_MASTER &&
		    f->ev.tty.index == index)
			return f;
	}
	return NULL;
}

/* A shell's terminal of @m other than @t's, or NULL. */
static const struct cr_file *cr_tty_shell_other(const struct cr_model *m,
						const struct crfs_file_tty *t)
{
	for (uint32_t i = 0; i < m->nr_files; i++)
		if (cr_tty_shell_file(&m->files[i]) &&
		    m->files[i].ev.tty.index != t->index)
			return &m->files[i];
	return NULL;
}

/* Is there a slave FILE of index @index in @m? */
static bool cr_tty_has_slave(const struct cr_model *m, uint32_t index)
{
	for (uint32_t i = 0; i < m->nr_files; i++) {
		const struct cr_file *f = &m->files[i];

		if (f->f.kind == CRFS_FILE_TTY &&
		    f->ev.tty.type == CRFS_TTY_SLAVE &&
		    f->ev.tty.index == index)
			return true;
	}
	return false;
}

/*
 * With shell_job, each slave whose master is outside: the shell's
 * terminal, kept without its state.  All at once, at the check of the
 * first process, before the "share" row's (which lets them be shared
 * with the shell).
 */
static void cr_tty_shells(struct cr_dump *d)
{
	for (uint32_t i = 0; i < d->m.nr_files; i++) {
		struct crfs_file_tty *t = &d->m.files[i].ev.tty;
		uint32_t index = t->index;

		if (d->m.files[i].f.kind != CRFS_FILE_TTY ||
		    t->type != CRFS_TTY_SLAVE || cr_tty_master(&d->m, index))
			continue;
		memset(t, 0, sizeof(*t));
		t->type = CRFS_TTY_SHELL;
		t->index = index;
	}
}

/* @tty (as /proc/PID/stat's tty_nr) as major:minor text. */
static const char *cr_tty_name(unsigned int tty, char *buf, size_t len)
{
	unsigned int maj = (tty >> 8) & 0xfff;
	unsigned int min = (tty & 0xff) | ((tty >> 12) & 0xfff00);

	if (maj == CR_PTS_MAJOR)
		snprintf(buf, len, "/dev/pts/%u", min);
	else
		snprintf(buf, len, "tty %u:%u", maj, min);
	return buf;
}

/* The process of @d with pid @pid (as the dumper sees it), or NULL. */
static const struct cr_dtask *cr_tty_dtask(const struct cr_dump *d, pid_t pid)
{
	for (uint32_t i = 0; i < d->nr_tasks; i++)
		if (d->tasks[i].pid == pid)
			return &d->tasks[i];
	return NULL;
}

/*
 * /dev/tty @f at @fd of @dt: a restore opens it again by that name in the
 * process, once it has its terminal: it must be the terminal it names
 * (TIOCGDEV of a copy), and that terminal its session's in the container.
 */
static int cr_tty_check_dev_tty(struct cr_dump *d, struct cr_dtask *dt,
				int fd, struct cr_err *e)
{
	unsigned int dev = 0;
	char a[32], b[32];
	int cfd, err = 0;

	cfd = cr_evfd_copy(dt->pid, fd);
	if (cfd < 0 || ioctl(cfd, TIOCGDEV, &dev))
		err = errno;
	if (cfd >= 0)
		close(cfd);
	if (err)
		return cr_fail(e, err == EIO ? EOPNOTSUPP : err, "pid %d: fd %d: "
			       "/dev/tty: cannot tell its terminal (TIOCGDEV: "
			       "%s%s)", dt->pid, fd, strerror(err),
			       err == EIO ? ", hung up: not supported" : "");
	if (dev != dt->tty_nr)
		return cr_fail(e, EOPNOTSUPP, "pid %d: fd %d: /dev/tty of %s, "
			       "which is not its controlling terminal (%s) any "
			       "more: not supported (a restore opens /dev/tty "
			       "again)", dt->pid, fd,
			       cr_tty_name(dev, a, sizeof(a)), dt->tty_nr ?
			       cr_tty_name(dt->tty_nr, b, sizeof(b)) : "none");
	if (!cr_tty_dtask(d, dt->t->t.sid))
		return cr_fail(e, EOPNOTSUPP, "pid %d: fd %d: /dev/tty of %s, "
			       "the terminal of a session led outside the "
			       "container, which a restore does not give it: "
			       CR_TTY_HINT, dt->pid, fd,
			       cr_tty_name(dev, a, sizeof(a)));
	return 0;
}

/* Phase 2: each side of a pair has the other in the container. */
static int tty_check(struct cr_dump *d, struct cr_dtask *dt,
		     struct cr_err *e)
{
	const struct cr_fdtable *fdt = dt->t->fdt;

	if (d->shell_job && dt == &d->tasks[0])
		cr_tty_shells(d);
	for (uint32_t i = 0; fdt && i < fdt->nr_fds; i++) {
		const struct cr_file *f = fdt->fds[i].file, *o;
		const struct crfs_file_tty *t;

		if (f && f->f.kind == CRFS_FILE_CHR &&
		    f->f.rdev == makedev(5, 0)) {
			int ret = cr_tty_check_dev_tty(d, dt, fdt->fds[i].d.fd,
						       e);

			if (ret)
				return ret;
			continue;
		}
		if (!f || f->f.kind != CRFS_FILE_TTY)
			continue;
		t = &f->ev.tty;
		o = t->type == CRFS_TTY_SHELL ? cr_tty_shell_other(&d->m, t) :
		    NULL;
		if (o)
			return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: a "
				       "second terminal outside the container "
				       "(%s is one): a restore has one terminal "
				       "to put them on", dt->pid,
				       fdt->fds[i].d.fd, f->path, o->path);
		if (t->type == CRFS_TTY_SLAVE && !cr_tty_master(&d->m, t->index))
			return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: a "
				       "terminal whose master is not in the "
				       "container (the terminal of the shell "
				       "that started it?) is not supported: "
				       CR_SHELL_HINT, dt->pid, fdt->fds[i].d.fd,
				       f->path);
		if (t->type == CRFS_TTY_MASTER && !t->sid &&
		    !cr_tty_has_slave(&d->m, t->index))
			return cr_fail(e, EOPNOTSUPP, "pid %d: fd %u: %s: "
				       "pseudo-terminal %u: its slave "
				       "/dev/pts/%u is open in no process of "
				       "the container (closed, or held "
				       "outside) and the pair is no session's "
				       "terminal: not supported", dt->pid,
				       fdt->fds[i].d.fd, f->path, t->index,
				       t->index);
	}
	return 0;
}

/* The master of the pair that is session @sid's terminal, or NULL. */
static const struct cr_file *cr_tty_of_session(const struct cr_model *m,
					       uint32_t sid)
{
	for (uint32_t i = 0; sid && i < m->nr_files; i++) {
		const struct cr_file *f = &m->files[i];

		if (f->f.kind == CRFS_FILE_TTY &&
		    f->ev.tty.type == CRFS_TTY_MASTER && f->ev.tty.sid == sid)
			return f;
	}
	return NULL;
}

/*
 * The terminal (tty_nr) a restore gives a process of the session whose
 * terminal is pair @m: the pair, whether a process of the container holds
 * its slave or not (this kernel leaves it to the session when the slave's
 * last descriptor closes, after the restorer's as after the process's,
 * see cr_tty_plan_ctty()); none without a pair.
 */
static unsigned int cr_tty_given(const struct cr_file *master)
{
	uint32_t n = master ? master->ev.tty.index : 0;

	if (!master)
		return 0;
	return (n & 0xff) | (CR_PTS_MAJOR << 8) | ((n & ~0xffU) << 12);
}

/* Does process @dt have the terminal a restore would give it? */
static int cr_tty_task_check(const struct cr_dump *d,
			     const struct cr_dtask *dt, struct cr_err *e)
{
	pid_t sid = dt->t->t.sid;
	const struct cr_file *m = cr_tty_of_session(&d->m, sid);
	unsigned int tty = dt->tty_nr, want = cr_tty_given(m);
	unsigned int maj = (tty >> 8) & 0xfff;
	unsigned int min = (tty & 0xff) | ((tty >> 12) & 0xfff00);
	char a[32], b[32];

	if (tty == want)
		return 0;
	if (tty && (maj != CR_PTS_MAJOR || !cr_tty_master(&d->m, min)))
		return cr_fail(e, EOPNOTSUPP, "pid %d: its session %d has a "
			       "controlling terminal (%s) that is no "
			       "pseudo-terminal of the container (the terminal "
			       "of the shell that started it?): not supported: "
			       CR_TTY_HINT, dt->pid, sid,
			       cr_tty_name(tty, a, sizeof(a)));
	return cr_fail(e, EOPNOTSUPP, "pid %d: its controlling terminal (%s) "
		       "is not its session %d's (%s): a process that left its "
		       "session's terminal (TIOCNOTTY), or was made before the "
		       "session had one, is not supported", dt->pid,
		       tty ? cr_tty_name(tty, a, sizeof(a)) : "none", sid,
		       want ? cr_tty_name(want, b, sizeof(b)) : "none");
}

/*
 * Pair @m is the terminal of its (raw) session: a session of the
 * container, and a foreground group of it; both as the container sees
 * them into every FILE of the pair.
 */
static int cr_tty_mark(struct cr_dump *d, const struct cr_file *m,
		       struct cr_err *e)
{
	const struct crfs_file_tty *t = &m->ev.tty;
	const struct cr_dtask *leader = cr_tty_dtask(d, t->sid);
	uint32_t index = t->index, sid = 0, pgrp = 0;

	if (t->sid && !leader)
		return cr_fail(e, EOPNOTSUPP, "/dev/pts/%u: the controlling "
			       "terminal of session %u, which pid %u leads "
			       "outside the container: not supported", index,
			       t->sid, t->sid);
	for (uint32_t i = 0; t->pgrp && i < d->nr_tasks; i++)
		if (d->tasks[i].t->t.pgid == t->pgrp)
			pgrp = d->tasks[i].vpgid;
	if (t->sid && t->pgrp && !pgrp)
		return cr_fail(e, EOPNOTSUPP, "pid %d: the foreground process "
			       "group %u of its terminal /dev/pts/%u has no "
			       "process in the container: not supported",
			       leader->pid, t->pgrp, index);
	if (t->sid)
		sid = leader->vsid;
	else
		pgrp = 0;
	for (uint32_t i = 0; i < d->m.nr_files; i++) {
		struct cr_file *f = &d->m.files[i];

		if (f->f.kind != CRFS_FILE_TTY || f->ev.tty.index != index ||
		    f->ev.tty.type == CRFS_TTY_SHELL)
			continue;
		f->ev.tty.sid = sid;
		f->ev.tty.pgrp = pgrp;
		f->ev.tty.locked = t->locked;
	}
	return 0;
}

int cr_tty_tree_check(struct cr_dump *d, struct cr_err *e)
{
	int ret = 0;

	/* Sessions led outside: their terminal is dropped (documented). */
	for (uint32_t i = 0; !ret && i < d->nr_tasks; i++)
		if (cr_tty_dtask(d, d->tasks[i].t->t.sid))
			ret = cr_tty_task_check(d, &d->tasks[i], e);
	for (uint32_t i = 0; !ret && i < d->m.nr_files; i++)
		if (d->m.files[i].f.kind == CRFS_FILE_TTY &&
		    d->m.files[i].ev.tty.type == CRFS_TTY_MASTER)
			ret = cr_tty_mark(d, &d->m.files[i], e);
	return ret;
}

/* ------------------------------------------------------------ restore */

/* Who on this machine holds /dev/pts/@arg's index, for the refusal. */
struct cr_tty_holder {
	char	link[32];
	pid_t	found;
};

/* Does @q hold the link @arg looks for? */
static int cr_tty_holder_one(pid_t q, void *arg)
{
	struct cr_tty_holder *h = arg;
	char path[64], target[64];
	struct dirent *fe;
	ssize_t n;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%d/fd", q);
	fds = opendir(path);
	while (fds && !h->found && (fe = readdir(fds))) {
		n = readlinkat(dirfd(fds), fe->d_name, target,
			       sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, h->link))
			h->found = q;
	}
	if (fds)
		closedir(fds);
	return h->found != 0;
}

/* Fail: index @index is in use on this machine; by whom, if found. */
static int cr_tty_taken(uint32_t index, struct cr_err *e)
{
	struct cr_tty_holder h = { .found = 0 };
	char comm[CRFS_COMM_LEN] = "?";
	struct cr_err ignore;

	snprintf(h.link, sizeof(h.link), "/dev/pts/%u", index);
	cr_proc_each_other(getpid(), cr_tty_holder_one, &h);
	if (h.found && cr_proc_comm(h.found, comm, &ignore))
		snprintf(comm, sizeof(comm), "?");
	if (h.found)
		return cr_fail(e, EBUSY, "/dev/pts/%u: cannot make the "
			       "pseudo-terminal again: the index is in use on "
			       "this machine (pid %d (%s) has it open)", index,
			       h.found, comm);
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
	for (uint32_t i = 0; !rc && i < n; i++)
		rc = cr_tty_open_master(ms[i], &t->tty_fd[ms[i] - m->files],
					&extra, &nr_extra, e);
	while (nr_extra)
		close(extra[--nr_extra]);
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
static int tty_late(struct cr_rst *r, struct cr_err *e)
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

const struct cr_res_ops cr_res_tty = {
	.name		= "tty",
	.check		= tty_check,
	.late		= tty_late,
};
