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
 * exclusive mode.  Data queued in either direction is read and put back
 * once the tree is checked (res-ttyq.c).  A slave whose master is not in the container (the
 * terminal of the shell that started it) is refused, or with shell_job
 * kept without its state as the shell's terminal (SHELL); a master whose
 * slave no process of the container has is refused, unless the pair is
 * a session's terminal.  The master tells which session the pair is the
 * terminal of and its foreground group (TIOCGSID, TIOCGPGRP), even when
 * no process has its slave open any more; a session of the container
 * keeps it: every process of the session must have it
 * (cr_tty_tree_check()), and the session and foreground group go in the
 * FILEs of the pair.
 *
 * Restore: restore-tty.c.
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
	struct stat st, pts;
	char path[64];
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
	f->f.kind = CRFS_FILE_TTY;
	f->f.ext_len = sizeof(*t);
	/* A restore makes its pairs on the machine's /dev/pts. */
	if (t->type == CRFS_TTY_SLAVE && (stat("/dev/pts/ptmx", &pts) ||
					  pts.st_dev != st.st_dev)) {
		f->why = "a pseudo-terminal of a devpts other than this "
			 "machine's /dev/pts is not supported";
		return 0;
	}
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
	close(cfd);
	if (ret)
		return cr_fail(e, -ret, "pid %d: fd %d: %s: cannot read its "
			       "terminal state: %s", pid, fd, f->path,
			       strerror(-ret));
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

/* What cr_tty_outside_one() looks for, and what it found. */
struct cr_tty_outside {
	const struct cr_model	*m;
	pid_t			pid;		/* found: who */
	int			fd;		/* its descriptor, -1: its
						 * controlling terminal */
	uint32_t		index;
};

/* Does @q, outside, have a slave of one of the container's pairs? */
static int cr_tty_outside_one(pid_t q, void *arg)
{
	struct cr_tty_outside *o = arg;
	char path[64], target[64];
	struct cr_proc_stat st;
	struct cr_err ignore;
	struct dirent *fe;
	unsigned int n;
	ssize_t len;
	DIR *fds;

	if (!cr_proc_stat(q, &st, &ignore) &&
	    ((st.tty_nr >> 8) & 0xfff) == CR_PTS_MAJOR) {
		n = (st.tty_nr & 0xff) | ((st.tty_nr >> 12) & 0xfff00);
		if (cr_tty_master(o->m, n)) {
			*o = (struct cr_tty_outside){ o->m, q, -1, n };
			return 1;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", q);
	fds = opendir(path);
	while (fds && !o->pid && (fe = readdir(fds))) {
		len = readlinkat(dirfd(fds), fe->d_name, target,
				 sizeof(target) - 1);
		if (len <= 9)
			continue;
		target[len] = '\0';
		if (strncmp(target, "/dev/pts/", 9) ||
		    sscanf(target + 9, "%u", &n) != 1 ||
		    !cr_tty_master(o->m, n))
			continue;
		*o = (struct cr_tty_outside){ o->m, q, atoi(fe->d_name), n };
	}
	if (fds)
		closedir(fds);
	return o->pid != 0;
}

/*
 * No process outside the container has a pair of it: a slave open, or it
 * as its terminal (a restore would leave it the old one).  One walk of
 * /proc, only for a container with pairs.
 */
static int cr_tty_outside_check(const struct cr_dump *d, struct cr_err *e)
{
	struct cr_tty_outside o = { .m = &d->m };
	char comm[CRFS_COMM_LEN];
	struct cr_err ignore;
	bool pairs = false;
	int ret;

	for (uint32_t i = 0; !pairs && i < d->m.nr_files; i++)
		pairs = d->m.files[i].f.kind == CRFS_FILE_TTY &&
			d->m.files[i].ev.tty.type == CRFS_TTY_MASTER;
	ret = pairs ? cr_dump_each_outside(d, cr_tty_outside_one, &o) : 0;
	if (ret < 0)
		return cr_fail(e, -ret, "cannot tell whether a process outside "
			       "the container has its pseudo-terminals: /proc: "
			       "%s", strerror(-ret));
	if (!o.pid)
		return 0;
	if (cr_proc_comm(o.pid, comm, &ignore))
		snprintf(comm, sizeof(comm), "?");
	if (o.fd < 0)
		return cr_fail(e, EOPNOTSUPP, "/dev/pts/%u: a pseudo-terminal "
			       "of the container is the controlling terminal "
			       "of pid %d (%s), outside it: not supported",
			       o.index, o.pid, comm);
	return cr_fail(e, EOPNOTSUPP, "/dev/pts/%u: a pseudo-terminal of the "
		       "container is also open in pid %d (%s), outside it "
		       "(fd %d): a restore would part them: not supported",
		       o.index, o.pid, comm, o.fd);
}

/* A process of @d and its descriptor of FILE @f: false if none. */
static bool cr_tty_holder(const struct cr_dump *d, const struct cr_file *f,
			  pid_t *pid, int *fd)
{
	for (uint32_t i = 0; f && i < d->nr_tasks; i++) {
		const struct cr_fdtable *fdt = d->tasks[i].t->fdt;

		for (uint32_t j = 0; fdt && !d->tasks[i].zombie &&
		     j < fdt->nr_fds; j++)
			if (fdt->fds[j].file == f) {
				*pid = d->tasks[i].pid;
				*fd = fdt->fds[j].d.fd;
				return true;
			}
	}
	return false;
}

/* A slave FILE of pair @index held by a process of @d, or NULL. */
static const struct cr_file *cr_tty_held_slave(const struct cr_dump *d,
					       uint32_t index, pid_t *pid,
					       int *fd)
{
	for (uint32_t i = 0; i < d->m.nr_files; i++) {
		const struct cr_file *f = &d->m.files[i];

		if (f->f.kind == CRFS_FILE_TTY &&
		    f->ev.tty.type == CRFS_TTY_SLAVE &&
		    f->ev.tty.index == index && cr_tty_holder(d, f, pid, fd))
			return f;
	}
	return NULL;
}

/* The data queued in pair @m, read and put back (res-ttyq.c). */
static int cr_tty_queues(struct cr_dump *d, struct cr_file *m,
			 struct cr_err *e)
{
	pid_t mpid, spid;
	int mfd, sfd, mc, sc = -1, ret;
	char who[96];
	bool peer;

	if (!cr_tty_holder(d, m, &mpid, &mfd))
		return 0;
	snprintf(who, sizeof(who), "pid %d: fd %d: %s", mpid, mfd, m->path);
	mc = cr_evfd_copy(mpid, mfd);
	if (mc < 0)
		return cr_fail(e, errno, "%s: cannot take a copy of it to read "
			       "its queue: %m", who);
	peer = !cr_tty_held_slave(d, m->ev.tty.index, &spid, &sfd);
	if (!peer) {
		sc = cr_evfd_copy(spid, sfd);
		if (sc < 0) {
			ret = cr_fail(e, errno, "pid %d: fd %d: /dev/pts/%u: "
				      "cannot take a copy of it to read its "
				      "queue: %m", spid, sfd, m->ev.tty.index);
			close(mc);
			return ret;
		}
	} else {
		/* A session's terminal only: its input seen through a peer. */
		sc = ioctl(mc, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK);
		if (sc < 0) {
			ret = cr_fail(e, errno, "%s: cannot open its slave "
				      "/dev/pts/%u (TIOCGPTPEER) to read its "
				      "input: %m", who, m->ev.tty.index);
			close(mc);
			return ret;
		}
	}
	ret = cr_ttyq_save(m, mc, sc, peer, who, e);
	if (sc >= 0)
		close(sc);
	close(mc);
	return ret;
}

/*
 * No terminal of @d with O_ASYNC: refused here, naming its holder, before
 * any queue is read (each byte put back would raise SIGIO to its owner).
 */
static int cr_tty_async_check(const struct cr_dump *d, struct cr_err *e)
{
	for (uint32_t i = 0; i < d->nr_tasks; i++) {
		const struct cr_fdtable *fdt = d->tasks[i].t->fdt;

		for (uint32_t j = 0; fdt && !d->tasks[i].zombie &&
		     j < fdt->nr_fds; j++) {
			const struct cr_file *f = fdt->fds[j].file;

			if (f && f->f.kind == CRFS_FILE_TTY &&
			    (f->f.flags & O_ASYNC))
				return cr_fail(e, EOPNOTSUPP, "pid %d: fd %d: "
					       "%s: O_ASYNC on a terminal is "
					       "not supported",
					       d->tasks[i].pid,
					       fdt->fds[j].d.fd, f->path);
		}
	}
	return 0;
}

int cr_tty_tree_queues(struct cr_dump *d, struct cr_err *e)
{
	int ret = 0;

	for (uint32_t i = 0; !ret && i < d->m.nr_files; i++)
		if (d->m.files[i].f.kind == CRFS_FILE_TTY &&
		    d->m.files[i].ev.tty.type == CRFS_TTY_MASTER)
			ret = cr_tty_queues(d, &d->m.files[i], e);
	return ret;
}

int cr_tty_tree_check(struct cr_dump *d, struct cr_err *e)
{
	int ret = cr_tty_outside_check(d, e) ?: cr_tty_async_check(d, e);

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

const struct cr_res_ops cr_res_tty = {
	.name		= "tty",
	.check		= tty_check,
	.late		= cr_rst_tty_late,
};
