// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Checkpoint: check a frozen cgroup from /proc, seize its process, make it
 * tell what only it can tell (signal dispositions, altstack, brk), write
 * the image, and let it go exactly as it was: frozen, with its registers
 * and signal mask untouched.
 *
 * All ptrace requests come from the thread that called cr_dump_begin():
 * a tracee has one tracer thread, so cr_dump_stream() and cr_dump_end()
 * must be called from it too.
 */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "dump.h"
#include "proc.h"
#include "restore.h"
#include "task-img.h"

/* The scratch area mapped in the task for injected calls (dump-sig.c). */
#define DUMP_SCRATCH_SIZE	8192

/* How long the process may take to stop, and to freeze again. */
#define STOP_TIMEOUT_MS		5000
#define FREEZE_TIMEOUT_MS	5000

static int dump_pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* Find the one process of the frozen cgroup, or say why there is not one. */
static int dump_find_pid(struct cr_dump *d, struct cr_err *e)
{
	int frozen, n, i, ret;
	pid_t *pids;

	ret = cr_cgroup_events(d->cgdir, NULL, &frozen);
	if (ret)
		return cr_fail(e, -ret, "%s: cannot read cgroup.events: %s",
			       d->cgdir, strerror(-ret));
	/* Freezing, not frozen yet: the freeze was asked for, wait for it. */
	if (!frozen && cr_cgroup_freezing(d->cgdir) == 1 &&
	    !cr_cgroup_wait_frozen(d->cgdir, 1, FREEZE_TIMEOUT_MS))
		frozen = 1;
	if (!frozen)
		return cr_fail(e, EBUSY, "%s: not frozen", d->cgdir);
	n = cr_cgroup_pids(d->cgdir, &pids);
	if (n < 0)
		return cr_fail(e, -n, "%s: cannot read cgroup.procs: %s",
			       d->cgdir, strerror(-n));
	if (n == 0) {
		free(pids);
		return cr_fail(e, EINVAL, "%s: container is empty", d->cgdir);
	}
	d->pid = pids[0];
	if (n == 1)
		goto out;
	/* Name a parent and its child when there is such a pair. */
	ret = cr_fail(e, EOPNOTSUPP,
		      "pid %d: other process %d in the container: process trees are not supported yet",
		      pids[0], pids[1]);
	qsort(pids, n, sizeof(*pids), dump_pid_cmp);
	for (i = 0; i < n; i++) {
		struct cr_proc_stat st;
		struct cr_err ignore;

		if (cr_proc_stat(pids[i], &st, &ignore) ||
		    !bsearch(&st.ppid, pids, n, sizeof(*pids), dump_pid_cmp))
			continue;
		ret = cr_fail(e, EOPNOTSUPP,
			      "pid %d: child process %d: process trees are not supported yet",
			      st.ppid, pids[i]);
		break;
	}
out:
	free(pids);
	return ret;
}

/*
 * A child is part of a process's state, zombies included (they have left
 * the cgroup, so cgroup.procs does not show them): restoring the parent
 * without it would lose the child its wait() expects.  Refuse, naming it.
 */
static int dump_no_children(struct cr_dump *d, struct cr_err *e)
{
	struct cr_proc_stat st;
	struct cr_err ignore;
	char path[64], *buf;
	long child;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", d->pid,
		 d->pid);
	buf = cr_read_file(path, NULL);
	if (!buf)
		return cr_fail(e, errno, "pid %d: cannot read %s: %m", d->pid,
			       path);
	child = atol(buf);
	if (child > 0)
		ret = cr_fail(e, EOPNOTSUPP,
			      "pid %d: child process %ld%s: process trees are not supported yet",
			      d->pid, child,
			      !cr_proc_stat(child, &st, &ignore) && st.state == 'Z' ?
			      " (a zombie, not yet waited for)" :
			      " (outside the container)");
	free(buf);
	return ret;
}

/* The identity of /proc/PID/@name (cwd, root), checked at restore. */
static int dump_dir_id(struct cr_dump *d, const char *name, const char *link,
		       __u64 *dev, __u64 *ino, struct cr_err *e)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/%s", d->pid, name);
	if (stat(path, &st))
		return cr_fail(e, errno, "pid %d: %s %s: cannot stat: %m",
			       d->pid, name, link);
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

/* Collect task, creds, fs and rlimits from /proc. */
static int dump_task(struct cr_dump *d, struct cr_err *e)
{
	struct cr_task_img *t = &d->t;
	struct cr_proc_status st;
	size_t len;
	int ret;

	ret = cr_proc_nr_threads(d->pid, e);
	if (ret < 0)
		return ret;
	if (ret != 1)
		return cr_fail(e, EOPNOTSUPP,
			       "pid %d: %d threads: multi-threaded processes are not supported",
			       d->pid, ret);
	ret = cr_proc_status(d->pid, &st, e);
	if (ret)
		return ret;
	if (st.state == 'Z' || st.state == 'X') {
		free(st.groups);
		return cr_fail(e, ESRCH, "pid %d: the process is exiting",
			       d->pid);
	}
	/* Both would come back running and untraced: refuse, say why. */
	if (st.tracer) {
		free(st.groups);
		return cr_fail(e, EOPNOTSUPP,
			       "pid %d: traced by pid %d (a debugger?): detach it first",
			       d->pid, (int)st.tracer);
	}
	if (st.state == 'T' || st.state == 't') {
		free(st.groups);
		return cr_fail(e, EOPNOTSUPP,
			       "pid %d: stopped (job control): stopped processes are not supported yet: continue it (SIGCONT) first",
			       d->pid);
	}
	t->task.pid = d->pid;
	t->task.ppid = 0;
	t->task.umask = st.umask;
	t->task.dumpable = 1;
	t->creds.uid = st.uid[0];
	t->creds.euid = st.uid[1];
	t->creds.suid = st.uid[2];
	t->creds.fsuid = st.uid[3];
	t->creds.gid = st.gid[0];
	t->creds.egid = st.gid[1];
	t->creds.sgid = st.gid[2];
	t->creds.fsgid = st.gid[3];
	t->creds.ngroups = st.ngroups;
	t->groups = st.groups;

	ret = cr_proc_comm(d->pid, t->task.comm, e);
	if (!ret)
		ret = cr_proc_personality(d->pid, &t->task.personality, e);
	if (!ret)
		ret = cr_proc_link(d->pid, "cwd", &t->cwd, e);
	if (!ret)
		ret = cr_proc_link(d->pid, "root", &t->root, e);
	if (!ret)
		ret = cr_proc_limits(d->pid, &t->rlim, e);
	if (ret)
		return ret;
	len = strlen(t->cwd);
	if (len > 10 && !strcmp(t->cwd + len - 10, " (deleted)"))
		return cr_fail(e, EOPNOTSUPP,
			       "pid %d: cwd %s: deleted directories are not supported",
			       d->pid, t->cwd);
	ret = dump_dir_id(d, "cwd", t->cwd, &t->fs.cwd_dev, &t->fs.cwd_ino, e);
	if (!ret)
		ret = dump_dir_id(d, "root", t->root, &t->fs.root_dev,
				  &t->fs.root_ino, e);
	return ret;
}

/* Microseconds on the monotonic clock. */
static long dump_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/*
 * Sleep *@us microseconds and double it for the next time, up to 1 ms:
 * what is waited for here usually comes within microseconds.
 */
static void dump_nap(long *us)
{
	struct timespec ts = { 0, *us * 1000 };

	nanosleep(&ts, NULL);
	if (*us < 1000)
		*us *= 2;
}

/* Wait for the PTRACE_EVENT_STOP that PTRACE_INTERRUPT asked for. */
static int dump_wait_stop(struct cr_dump *d, struct cr_err *e)
{
	long deadline = dump_now_us() + STOP_TIMEOUT_MS * 1000L, nap = 20;
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(d->pid, &status, __WALL | WNOHANG);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cr_fail(e, errno, "pid %d: wait: %m", d->pid);
		if (r == 0) {
			if (dump_now_us() > deadline)
				break;
			dump_nap(&nap);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return cr_fail(e, ESRCH, "pid %d: died while seized",
				       d->pid);
		if (WIFSTOPPED(status) && status >> 16 == PTRACE_EVENT_STOP)
			return 0;
		return cr_fail(e, EIO, "pid %d: unexpected stop (status %#x)",
			       d->pid, status);
	}
	return cr_fail(e, ETIMEDOUT, "pid %d: did not stop for ptrace",
		       d->pid);
}

/* Seize the frozen task, stop it for ptrace, then thaw its cgroup. */
static int dump_seize(struct cr_dump *d, struct cr_err *e)
{
	int ret;

	if (ptrace(PTRACE_SEIZE, d->pid, NULL,
		   (void *)(long)PTRACE_O_TRACESYSGOOD))
		return cr_fail(e, errno, "pid %d: cannot seize: %m", d->pid);
	d->seized = 1;
	if (ptrace(PTRACE_INTERRUPT, d->pid, NULL, NULL))
		return cr_fail(e, errno, "pid %d: cannot interrupt: %m",
			       d->pid);
	ret = dump_wait_stop(d, e);
	if (ret)
		return ret;
	/* A ptrace-stopped task stays put; injected calls need it thawed. */
	ret = cr_cgroup_freeze(d->cgdir, false);
	if (ret)
		return cr_fail(e, -ret, "%s: cannot thaw for the dump: %s",
			       d->cgdir, strerror(-ret));
	return 0;
}

/* Run one injected call that must succeed; its result goes to @rc. */
static int dump_inject(struct cr_dump *d, long nr, const char *name,
		       unsigned long a0, unsigned long a1, unsigned long a2,
		       unsigned long a3, long *rc, struct cr_err *e)
{
	unsigned long a[6] = { a0, a1, a2, a3, 0, 0 };
	int ret;

	a[4] = nr == __NR_mmap ? (unsigned long)-1 : 0;
	ret = cr_infect_syscall(&d->inf, nr, a, rc, e);
	if (ret)
		return ret;
	if (*rc < 0 && *rc > -4096)
		return cr_fail(e, (int)-*rc, "pid %d: injected %s failed: %s",
			       d->pid, name, strerror((int)-*rc));
	return 0;
}

/*
 * The kernel rewrites the rseq area (cpu_id, ...) whenever the task goes
 * back to user space, as it does for every injected call: keep its bytes
 * as they were seized, so that the dump leaves no trace in memory.
 */
static int rseq_save(struct cr_dump *d, struct cr_err *e)
{
	struct __ptrace_rseq_configuration conf;
	struct iovec local, remote;

	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, d->pid,
		   (void *)sizeof(conf), &conf) != sizeof(conf) ||
	    !conf.rseq_abi_pointer)
		return 0;	/* no rseq, or a kernel without the request */
	d->rseq_len = conf.rseq_abi_size < sizeof(d->rseq_saved) ?
		      conf.rseq_abi_size : sizeof(d->rseq_saved);
	local = (struct iovec){ d->rseq_saved, d->rseq_len };
	remote = (struct iovec){ (void *)(uintptr_t)conf.rseq_abi_pointer,
				 d->rseq_len };
	if (process_vm_readv(d->pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)d->rseq_len)
		return cr_fail(e, errno ? errno : EIO,
			       "pid %d: cannot read the rseq area at %llx: %m",
			       d->pid,
			       (unsigned long long)conf.rseq_abi_pointer);
	d->rseq_addr = conf.rseq_abi_pointer;
	d->t.task.rseq_addr = conf.rseq_abi_pointer;
	d->t.task.rseq_len = conf.rseq_abi_size;
	d->t.task.rseq_sig = conf.signature;
	return 0;
}

/* Put back the rseq bytes saved by rseq_save(). */
static int rseq_restore(struct cr_dump *d, struct cr_err *e)
{
	struct iovec local = { d->rseq_saved, d->rseq_len };
	struct iovec remote = { (void *)(uintptr_t)d->rseq_addr, d->rseq_len };

	if (!d->rseq_addr)
		return 0;
	if (process_vm_writev(d->pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)d->rseq_len)
		return cr_fail(e, errno ? errno : EIO,
			       "pid %d: cannot restore the rseq area: %m",
			       d->pid);
	return 0;
}

/* Ask the stopped task for its dispositions, altstack, brk and dumpable. */
static int dump_by_injection(struct cr_dump *d, struct cr_err *e)
{
	const struct crfs_vma *vdso = cr_dump_vdso(d);
	long scratch = 0, rc;
	struct cr_err ignore;
	bool exec;
	int ret;

	if (!vdso)
		return cr_fail(e, ENOEXEC,
			       "pid %d: no [vdso] to inject through", d->pid);
	ret = cr_infect_init(&d->inf, d->pid,
			     cr_arch_find_syscall(d->pid, vdso->start,
						  vdso->end), e);
	if (ret)
		return ret;
	d->infected = 1;
	/*
	 * Executable too: cr_dump_sigacts() runs its calls from there in one
	 * batch.  A task that refuses writable and executable memory
	 * (PR_SET_MDWE, a seccomp filter, SELinux execmem) gets a plain
	 * writable area and its calls one by one.  Shared: a private writable
	 * area counts against RLIMIT_DATA, which a process may have lowered
	 * below what it uses.
	 */
	ret = dump_inject(d, __NR_mmap, "mmap", 0, DUMP_SCRATCH_SIZE,
			  PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_SHARED | MAP_ANONYMOUS, &scratch, &ignore);
	exec = !ret;
	if (ret)
		ret = dump_inject(d, __NR_mmap, "mmap", 0, DUMP_SCRATCH_SIZE,
				  PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, &scratch, e);
	if (ret == -ENOMEM)
		return cr_fail(e, ENOMEM,
			       "pid %d: no room for the dump's %d-byte scratch area in the process: Cannot allocate memory (an RLIMIT_AS below what it uses leaves none)",
			       d->pid, DUMP_SCRATCH_SIZE);
	if (ret)
		return ret;
	ret = cr_dump_sigacts(d, scratch, exec, e);
	if (!ret)
		ret = dump_inject(d, __NR_brk, "brk", 0, 0, 0, 0, &rc, e);
	if (!ret) {
		d->t.mm.brk = rc;
		ret = dump_inject(d, __NR_prctl, "prctl", PR_GET_DUMPABLE,
				  0, 0, 0, &rc, e);
	}
	if (!ret)
		d->t.task.dumpable = rc;
	/* Leave no trace, even after a failure. */
	if (dump_inject(d, __NR_munmap, "munmap", scratch, DUMP_SCRATCH_SIZE,
			0, 0, &rc, ret ? &ignore : e) && !ret)
		ret = -e->err;
	return ret;
}

/* With the task seized and stopped: collect what needs ptrace. */
static int dump_stopped(struct cr_dump *d, struct cr_err *e)
{
	uint64_t all = ~0ULL;
	int ret;

	if (ptrace(PTRACE_GETSIGMASK, d->pid, (void *)sizeof(d->sigmask),
		   &d->sigmask))
		return cr_fail(e, errno, "pid %d: cannot read signal mask: %m",
			       d->pid);
	d->sigmask_saved = 1;
	d->t.sigstate.blocked = d->sigmask;
	if (ptrace(PTRACE_SETSIGMASK, d->pid, (void *)sizeof(all), &all))
		return cr_fail(e, errno, "pid %d: cannot block signals: %m",
			       d->pid);
	ret = cr_dump_sigpending(d, e);
	if (ret)
		return ret;
	d->t.xstate_size = cr_arch_xstate_size();
	d->t.xstate = calloc(1, d->t.xstate_size);
	if (!d->t.xstate)
		return cr_fail(e, ENOMEM, "out of memory");
	ret = cr_arch_get_regs(d->pid, &d->t.regs, d->t.xstate, e);
	if (ret)
		return ret;
	ret = rseq_save(d, e);
	if (ret)
		return ret;
	ret = dump_by_injection(d, e);
	if (ret) {
		rseq_restore(d, NULL);
		return ret;
	}
	ret = rseq_restore(d, e);
	if (ret)
		return ret;
	ret = cr_infect_fini(&d->inf, e);
	if (ret)
		return ret;
	if (ptrace(PTRACE_SETSIGMASK, d->pid, (void *)sizeof(d->sigmask),
		   &d->sigmask))
		return cr_fail(e, errno,
			       "pid %d: cannot restore signal mask: %m",
			       d->pid);
	/*
	 * Nothing more runs in the task: freeze the cgroup again now, so
	 * that if the tracer dies while the image streams, the task goes
	 * back to the freezer, not to work.
	 */
	ret = cr_cgroup_freeze(d->cgdir, true);
	if (ret)
		return cr_fail(e, -ret, "%s: cannot freeze again: %s",
			       d->cgdir, strerror(-ret));
	return 0;
}

/* Wait until the task has left its ptrace stop and the cgroup is frozen. */
static void dump_wait_refrozen(struct cr_dump *d)
{
	long deadline = dump_now_us() + FREEZE_TIMEOUT_MS * 1000L, nap = 20;
	struct cr_proc_stat st;
	struct cr_err ignore;

	/* "frozen 1" holds during a ptrace stop too: see the task leave it. */
	while (!cr_proc_stat(d->pid, &st, &ignore) && st.state == 't' &&
	       dump_now_us() < deadline)
		dump_nap(&nap);
	cr_cgroup_wait_frozen(d->cgdir, 1, FREEZE_TIMEOUT_MS);
}

/* Let the task go as it was: frozen, registers and mask put back. */
static void dump_release(struct cr_dump *d)
{
	struct cr_err ignore;

	if (!d->seized)
		return;
	/* Freeze first: the task must not run a single instruction. */
	cr_cgroup_freeze(d->cgdir, true);
	if (d->infected)
		cr_infect_fini(&d->inf, &ignore);
	if (d->sigmask_saved)
		ptrace(PTRACE_SETSIGMASK, d->pid, (void *)sizeof(d->sigmask),
		       &d->sigmask);
	ptrace(PTRACE_DETACH, d->pid, NULL, NULL);
	d->seized = 0;
	dump_wait_refrozen(d);
}

/* Free the handle and what it collected. */
static void dump_free(struct cr_dump *d)
{
	cr_task_img_free(&d->t);
	free(d->pages);
	free(d);
}

/*
 * What was collected, checked by the rules of a restore (img-check.c):
 * what the kernel let a process do but a restore refuses (an alternate
 * stack beyond user space, SIGSTOP pending, dumpable 2, ...) is refused
 * now, with its reason, not at the restore.
 */
static int dump_check_image(struct cr_dump *d, struct cr_err *e)
{
	struct crfs_image_hdr h;

	cr_img_fill_hdr(&h);
	h.nr_tasks = 1;
	return cr_img_check_task(&h, &d->t, e);
}

/* Check from /proc, then seize and collect; see cr.h. */
struct cr_dump *cr_dump_begin(const char *cgdir, struct cr_err *e)
{
	struct cr_dump *d;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d) {
		cr_fail(e, ENOMEM, "out of memory");
		return NULL;
	}
	if (strlen(cgdir) >= sizeof(d->cgdir)) {
		cr_fail(e, ENAMETOOLONG, "%s: path too long", cgdir);
		goto out_free;
	}
	strcpy(d->cgdir, cgdir);
	d->tracer = gettid();

	/* Everything /proc can tell, before touching the process. */
	ret = dump_find_pid(d, e);
	if (!ret)
		ret = dump_task(d, e);
	if (!ret)
		ret = dump_no_children(d, e);
	if (!ret)
		ret = cr_dump_mm(d, e);
	if (!ret)
		ret = cr_dump_files(d, e);
	/* Whatever is accepted here must restore. */
	if (!ret)
		ret = cr_rst_task_fits(&d->t, e);
	if (ret)
		goto out_free;

	ret = dump_seize(d, e);
	if (!ret)
		ret = dump_stopped(d, e);
	/* And by the rules a restore reads it with: the same function. */
	if (!ret)
		ret = dump_check_image(d, e);
	if (ret)
		goto out_release;
	return d;

out_release:
	dump_release(d);
out_free:
	dump_free(d);
	return NULL;
}

/* Write header, task records, pages and trailer into @ring. */
int cr_dump_stream(struct cr_dump *d, struct cr_ring *ring, struct cr_err *e)
{
	struct crfs_image_hdr h;
	struct timespec now;
	struct cr_img img;
	int ret;

	if (gettid() != d->tracer)
		return cr_fail(e, EPERM,
			       "pid %d: the dump must be streamed by thread %d, the tracer",
			       d->pid, d->tracer);
	cr_img_init_ring(&img, ring);
	memset(&h, 0, sizeof(h));
	cr_img_fill_hdr(&h);
	clock_gettime(CLOCK_REALTIME, &now);
	h.time_ns = now.tv_sec * 1000000000ULL + now.tv_nsec;
	h.features |= CRFS_FEAT_XSTATE;
	h.nr_tasks = 1;
	ret = cr_img_write_hdr(&img, &h, e);
	if (!ret)
		ret = cr_task_img_write(&img, &d->t, e);
	if (!ret)
		ret = cr_dump_write_pages(d, &img, e);
	if (!ret)
		ret = cr_img_write_end(&img, e);
	cr_img_fini(&img);
	return ret;
}

/* Release the task frozen as it was, then free @d. */
void cr_dump_end(struct cr_dump *d)
{
	if (!d)
		return;
	assert(gettid() == d->tracer);
	dump_release(d);
	dump_free(d);
}
