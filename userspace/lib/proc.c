// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * procfs readers of the dump side.  Each parses one file of /proc/PID into
 * a plain struct and names the pid and the file when something is off.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cr-internal.h"
#include "proc.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Read /proc/@pid/@name whole into a malloc'd string. */
static int proc_read(pid_t pid, const char *name, char **buf, size_t *lenp,
		     struct cr_err *e)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	*buf = cr_read_file(path, lenp);
	if (!*buf)
		return cr_fail(e, errno, "pid %d: cannot read %s: %m", pid,
			       path);
	return 0;
}

/* Parse up to @n unsigned numbers after "@key:" in @buf. */
static int status_nums(const char *buf, const char *key, unsigned long *v,
		       int n, int base)
{
	size_t klen = strlen(key);
	const char *p = buf;
	int i;

	while (p && (strncmp(p, key, klen) || p[klen] != ':')) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return -1;
	p += klen + 1;
	for (i = 0; i < n; i++) {
		char *end;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || !*p)
			break;
		v[i] = strtoul(p, &end, base);
		if (end == p)
			break;
		p = end;
	}
	return i;
}

/* Parse the Groups: line, which may be empty or long. */
static int status_groups(pid_t pid, const char *buf,
			 struct cr_proc_status *st, struct cr_err *e)
{
	const char *p = strstr(buf, "\nGroups:");
	uint32_t cap = 0;

	if (!p)
		return cr_fail(e, EINVAL, "pid %d: no Groups in status", pid);
	p += 8;
	for (;;) {
		char *end;
		unsigned long g;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || !*p)
			return 0;
		g = strtoul(p, &end, 10);
		if (end == p)
			return cr_fail(e, EINVAL, "pid %d: bad Groups line",
				       pid);
		if (st->ngroups == cap) {
			uint32_t *ng;

			cap = cap ? 2 * cap : 32;
			ng = realloc(st->groups, cap * sizeof(*ng));
			if (!ng)
				return cr_fail(e, ENOMEM, "out of memory");
			st->groups = ng;
		}
		st->groups[st->ngroups++] = g;
		p = end;
	}
}

/* Parse /proc/PID/task/TID/status: the masks of one thread. */
int cr_proc_sigmasks(pid_t pid, pid_t tid, struct cr_proc_sigmasks *sm,
		     struct cr_err *e)
{
	static const char *const keys[] = { "SigBlk", "SigPnd", "ShdPnd" };
	uint64_t *out[] = { &sm->blocked, &sm->pending, &sm->shared };
	char name[48], *buf;
	unsigned long v;
	int ret;

	snprintf(name, sizeof(name), "task/%d/status", tid);
	ret = proc_read(pid, name, &buf, NULL, e);
	for (size_t i = 0; !ret && i < ARRAY_SIZE(keys); i++) {
		if (status_nums(buf, keys[i], &v, 1, 16) != 1)
			ret = cr_fail(e, EINVAL, "pid %d: thread %d: no %s "
				      "in status", pid, tid, keys[i]);
		else
			*out[i] = v;
	}
	free(buf);
	return ret;
}

/* Parse /proc/PID/status: ids, groups, umask, threads, mask, state. */
int cr_proc_status(pid_t pid, struct cr_proc_status *st, struct cr_err *e)
{
	unsigned long v[4];
	char *buf, *p;
	int i, ret;

	memset(st, 0, sizeof(*st));
	ret = proc_read(pid, "status", &buf, NULL, e);
	if (ret)
		return ret;
	if (status_nums(buf, "Uid", v, 4, 10) != 4)
		goto out_bad;
	for (i = 0; i < 4; i++)
		st->uid[i] = v[i];
	if (status_nums(buf, "Gid", v, 4, 10) != 4)
		goto out_bad;
	for (i = 0; i < 4; i++)
		st->gid[i] = v[i];
	if (status_nums(buf, "Umask", v, 1, 8) != 1)
		goto out_bad;
	st->umask = v[0];
	if (status_nums(buf, "Threads", v, 1, 10) != 1)
		goto out_bad;
	st->threads = v[0];
	if (status_nums(buf, "SigBlk", v, 1, 16) != 1)
		goto out_bad;
	st->sigblk = v[0];
	for (i = 0; i < 5; i++) {
		static const char *const caps[] = {
			"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
		};

		if (status_nums(buf, caps[i], v, 1, 16) == 1)
			st->cap[i] = v[0];
	}
	if (status_nums(buf, "NoNewPrivs", v, 1, 10) == 1)
		st->no_new_privs = v[0];
	if (status_nums(buf, "Seccomp", v, 1, 10) == 1)
		st->seccomp = v[0];
	if (status_nums(buf, "TracerPid", v, 1, 10) != 1)
		goto out_bad;
	st->tracer = v[0];
	p = strstr(buf, "\nState:");
	if (!p)
		goto out_bad;
	p += 7;
	while (*p == ' ' || *p == '\t')
		p++;
	st->state = *p;
	ret = status_groups(pid, buf, st, e);
	if (ret)
		goto out_free;
	free(buf);
	return 0;

out_bad:
	/* A leader gone (pthread_exit() in main) shows a zombie's status. */
	p = strstr(buf, "\nState:");
	if (p && strchr(" \t", p[7]) && p[7 + strspn(p + 7, " \t")] == 'Z')
		ret = cr_fail(e, EOPNOTSUPP, "pid %d: its main thread has "
			      "exited (a zombie leader, pthread_exit() in "
			      "main) while other threads run: not supported",
			      pid);
	else
		ret = cr_fail(e, EINVAL, "pid %d: unexpected /proc/%d/status",
			      pid, pid);
out_free:
	free(st->groups);
	st->groups = NULL;
	st->ngroups = 0;
	free(buf);
	return ret;
}

/* Parse /proc/PID/stat: state, ppid and the mm layout fields. */
int cr_proc_stat(pid_t pid, struct cr_proc_stat *st, struct cr_err *e)
{
	unsigned long long f[52] = { 0 };
	char *buf, *p, *end;
	int i, ret = 0;

	ret = proc_read(pid, "stat", &buf, NULL, e);
	if (ret)
		return ret;
	/* comm may hold anything, even ')': fields start after the last one. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2]) {
		ret = cr_fail(e, EINVAL, "pid %d: unexpected /proc/%d/stat",
			      pid, pid);
		goto out;
	}
	st->state = p[2];
	p += 3;
	for (i = 4; i <= 51; i++) {
		f[i] = strtoull(p, &end, 10);
		if (end == p) {
			ret = cr_fail(e, EINVAL,
				      "pid %d: /proc/%d/stat has %d fields, need 51",
				      pid, pid, i - 1);
			goto out;
		}
		p = end;
	}
	st->ppid = f[4];
	st->pgid = f[5];
	st->sid = f[6];
	st->tty_nr = f[7];
	st->tpgid = (pid_t)(int64_t)f[8];
	st->exit_signal = f[38];
	st->start_code = f[26];
	st->end_code = f[27];
	st->start_stack = f[28];
	st->start_data = f[45];
	st->end_data = f[46];
	st->start_brk = f[47];
	st->arg_start = f[48];
	st->arg_end = f[49];
	st->env_start = f[50];
	st->env_end = f[51];
	/* Field 52 (since 3.5): the wait status of a zombie. */
	st->exit_code = strtoll(p, &end, 10);
	if (end == p)
		st->exit_code = 0;
out:
	free(buf);
	return ret;
}

/* The two-letter VmFlags mnemonics the dump looks at. */
static const struct {
	char		name[3];
	uint32_t	flag;
} vmflag_names[] = {
	{ "gd", CR_VMF_GROWSDOWN },
	{ "lo", CR_VMF_LOCKED },
	{ "io", CR_VMF_IO },
	{ "pf", CR_VMF_PFNMAP },
	{ "ht", CR_VMF_HUGETLB },
	{ "um", CR_VMF_UFFD },
	{ "uw", CR_VMF_UFFD },
	{ "ui", CR_VMF_UFFD },
	{ "mm", CR_VMF_MIXEDMAP },
	{ "nr", CR_VMF_NORESERVE },
	{ "ac", CR_VMF_ACCOUNT },
	{ "lf", CR_VMF_LOCKONFAULT },
	{ "dp", CR_VMF_DROPPABLE },
	{ "gu", CR_VMF_MAYBE_GUARD },
	{ "mw", CR_VMF_MAYWRITE },
	/* What the protection, the sharing and the file imply. */
	{ "rd", 0 }, { "wr", 0 }, { "ex", 0 }, { "sh", 0 },
	{ "mr", 0 }, { "me", 0 }, { "ms", 0 },
	{ "sd", 0 },	/* soft-dirty: every new mapping has it */
};

/* The VmFlags mnemonics of what madvise() set. */
static const struct {
	char		name[3];
	uint32_t	advice;
} vmadvice_names[] = {
	{ "dc", CRFS_VMA_A_DONTFORK }, { "dd", CRFS_VMA_A_DONTDUMP },
	{ "wf", CRFS_VMA_A_WIPEONFORK }, { "hg", CRFS_VMA_A_HUGEPAGE },
	{ "nh", CRFS_VMA_A_NOHUGEPAGE }, { "mg", CRFS_VMA_A_MERGEABLE },
	{ "sr", CRFS_VMA_A_SEQ_READ }, { "rr", CRFS_VMA_A_RAND_READ },
	{ "de", CRFS_VMA_A_DONTEXPAND },
};

/*
 * Turn "VmFlags: rd wr mr ..." into CR_VMF_* and CRFS_VMA_A_* bits; a
 * mnemonic of neither table sets CR_VMF_UNKNOWN, the first kept in @m.
 */
static void parse_vmflags(const char *p, struct cr_proc_map *m)
{
	bool known;
	size_t i;

	m->vmflags = m->advice = 0;
	for (p += 8; *p; p++) {
		if (*p == ' ' || *p == '\n' || !p[1])
			continue;
		known = false;
		for (i = 0; i < ARRAY_SIZE(vmflag_names); i++)
			if (!strncmp(p, vmflag_names[i].name, 2)) {
				m->vmflags |= vmflag_names[i].flag;
				known = true;
			}
		for (i = 0; i < ARRAY_SIZE(vmadvice_names); i++)
			if (!strncmp(p, vmadvice_names[i].name, 2)) {
				m->advice |= vmadvice_names[i].advice;
				known = true;
			}
		if (!known && !(m->vmflags & CR_VMF_UNKNOWN)) {
			m->vmflags |= CR_VMF_UNKNOWN;
			memcpy(m->vmf_other, p, 2);
			m->vmf_other[2] = '\0';
		}
		p++;
	}
}

/* Parse one map header line into @m; 0 if it is not one. */
static int parse_map_line(const char *line, struct cr_proc_map *m)
{
	unsigned long long start, end, pgoff, ino;
	unsigned int maj, min;
	char perms[5];
	int pos = 0;
	size_t len;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end,
		   perms, &pgoff, &maj, &min, &ino, &pos) != 7 || !pos)
		return 0;
	memset(m, 0, sizeof(*m));
	m->start = start;
	m->end = end;
	m->pgoff = pgoff;
	m->dev_major = maj;
	m->dev_minor = min;
	m->ino = ino;
	m->prot = (perms[0] == 'r' ? PROT_READ : 0) |
		  (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	m->shared = perms[3] == 's';
	m->path = strdup(line + pos);
	if (!m->path)
		return -1;
	len = strlen(m->path);
	if (len && m->path[len - 1] == '\n')
		m->path[len - 1] = '\0';
	return 1;
}

/* Parse /proc/PID/@file (smaps or maps): one entry per mapping. */
static int proc_maps_read(pid_t pid, const char *file,
			  struct cr_proc_map **maps, struct cr_err *e)
{
	struct cr_proc_map *v = NULL;
	char path[64], *line = NULL;
	size_t cap = 0;
	int n = 0, vcap = 0, ret;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "re");
	if (!f)
		return cr_fail(e, errno, "pid %d: cannot open %s: %m", pid,
			       path);
	while (getline(&line, &cap, f) > 0) {
		struct cr_proc_map m;

		if (!strncmp(line, "VmFlags:", 8)) {
			if (n)
				parse_vmflags(line, &v[n - 1]);
			continue;
		}
		if (n && !strncmp(line, "Rss:", 4)) {
			v[n - 1].rss_kb = strtoull(line + 4, NULL, 10);
			continue;
		}
		if (n && !strncmp(line, "Swap:", 5)) {
			v[n - 1].swap_kb = strtoull(line + 5, NULL, 10);
			continue;
		}
		if (n && !strncmp(line, "ProtectionKey:", 14)) {
			v[n - 1].pkey = strtoul(line + 14, NULL, 10);
			continue;
		}
		ret = parse_map_line(line, &m);
		if (!ret)
			continue;
		if (ret < 0)
			goto out_nomem;
		if (n == vcap) {
			struct cr_proc_map *nv;

			vcap = vcap ? 2 * vcap : 64;
			nv = realloc(v, vcap * sizeof(*nv));
			if (!nv) {
				free(m.path);
				goto out_nomem;
			}
			v = nv;
		}
		v[n++] = m;
	}
	if (ferror(f)) {
		ret = cr_fail(e, errno, "pid %d: cannot read %s: %m", pid,
			      path);
		goto out_free;
	}
	free(line);
	fclose(f);
	*maps = v;
	return n;

out_nomem:
	ret = cr_fail(e, ENOMEM, "out of memory");
out_free:
	cr_proc_maps_free(v, n);
	free(line);
	fclose(f);
	return ret;
}

/* smaps: one entry per mapping, with its VmFlags, Rss and Swap. */
int cr_proc_maps(pid_t pid, struct cr_proc_map **maps, struct cr_err *e)
{
	return proc_maps_read(pid, "smaps", maps, e);
}

int cr_proc_layout(pid_t pid, struct cr_proc_map **maps, struct cr_err *e)
{
	return proc_maps_read(pid, "maps", maps, e);
}

/* Free the array of cr_proc_maps() and its paths. */
void cr_proc_maps_free(struct cr_proc_map *maps, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		free(maps[i].path);
	free(maps);
}

/* The rows of /proc/PID/limits, in RLIMIT_* order. */
static const char *const limit_names[CRFS_NR_RLIMITS] = {
	"Max cpu time", "Max file size", "Max data size", "Max stack size",
	"Max core file size", "Max resident set", "Max processes",
	"Max open files", "Max locked memory", "Max address space",
	"Max file locks", "Max pending signals", "Max msgqueue size",
	"Max nice priority", "Max realtime priority", "Max realtime timeout",
};

/* Parse one "unlimited" or decimal column value. */
static int limit_value(const char *s, __u64 *v)
{
	char *end;

	if (!strcmp(s, "unlimited")) {
		*v = ~0ULL;
		return 0;
	}
	errno = 0;
	*v = strtoull(s, &end, 10);
	return (errno || *end || end == s) ? -1 : 0;
}

/* Parse /proc/PID/limits into the 16 soft and hard limits. */
int cr_proc_limits(pid_t pid, struct crfs_rlimit rl[CRFS_NR_RLIMITS],
		   struct cr_err *e)
{
	char *buf, *line, *save = NULL;
	unsigned int seen = 0;
	int i, ret = 0;

	ret = proc_read(pid, "limits", &buf, NULL, e);
	if (ret)
		return ret;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char soft[32], hard[32];

		for (i = 0; i < CRFS_NR_RLIMITS; i++) {
			size_t l = strlen(limit_names[i]);

			if (!strncmp(line, limit_names[i], l) && line[l] == ' ')
				break;
		}
		if (i == CRFS_NR_RLIMITS)
			continue;
		/* The name column is 25 characters wide plus a space. */
		if (strlen(line) < 26 ||
		    sscanf(line + 26, "%31s %31s", soft, hard) != 2 ||
		    limit_value(soft, &rl[i].cur) ||
		    limit_value(hard, &rl[i].max)) {
			ret = cr_fail(e, EINVAL, "pid %d: bad limits line '%s'",
				      pid, line);
			goto out;
		}
		seen |= 1U << i;
	}
	if (seen != (1U << CRFS_NR_RLIMITS) - 1)
		ret = cr_fail(e, EINVAL,
			      "pid %d: /proc/%d/limits lacks some limits (%#x)",
			      pid, pid, seen);
out:
	free(buf);
	return ret;
}

/* Copy /proc/PID/auxv up to and including AT_NULL. */
int cr_proc_auxv(pid_t pid, __u64 *auxv, uint32_t max, uint32_t *nr_words,
		 struct cr_err *e)
{
	size_t len, i;
	__u64 *w;
	int ret = 0;

	ret = proc_read(pid, "auxv", (char **)&w, &len, e);
	if (ret)
		return ret;
	for (i = 0; i + 1 < len / 8; i += 2)
		if (w[i] == 0)	/* AT_NULL */
			break;
	if (i + 1 >= len / 8) {
		ret = cr_fail(e, EINVAL, "pid %d: auxv has no AT_NULL", pid);
	} else if (i + 2 > max) {
		ret = cr_fail(e, E2BIG,
			      "pid %d: auxv has %zu words, at most %u", pid,
			      i + 2, max);
	} else {
		memcpy(auxv, w, (i + 2) * 8);
		*nr_words = i + 2;
	}
	free(w);
	return ret;
}

/* readlink() a link of /proc/PID into a malloc'd string. */
int cr_proc_link(pid_t pid, const char *name, char **target, struct cr_err *e)
{
	char path[96], buf[PATH_MAX + 1];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	n = readlink(path, buf, sizeof(buf));
	if (n < 0)
		return cr_fail(e, errno, "pid %d: cannot read link %s: %m",
			       pid, path);
	if (n >= (ssize_t)sizeof(buf) - 1 || n >= CRFS_PATH_MAX)
		return cr_fail(e, ENAMETOOLONG, "pid %d: %s: path too long",
			       pid, path);
	buf[n] = '\0';
	*target = strdup(buf);
	if (!*target)
		return cr_fail(e, ENOMEM, "out of memory");
	return 0;
}

/*
 * Read /proc/PID/comm without the newline the kernel adds: only the last
 * one (PR_SET_NAME takes any bytes but NUL, newlines too).
 */
int cr_proc_comm(pid_t pid, char comm[CRFS_COMM_LEN], struct cr_err *e)
{
	size_t len = 0;
	char *buf;
	int ret;

	ret = proc_read(pid, "comm", &buf, &len, e);
	if (ret)
		return ret;
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	memset(comm, 0, CRFS_COMM_LEN);
	strncpy(comm, buf, CRFS_COMM_LEN - 1);
	free(buf);
	return 0;
}

/* Read /proc/PID/personality (hex). */
int cr_proc_personality(pid_t pid, uint32_t *pers, struct cr_err *e)
{
	char *buf, *end;
	int ret;

	ret = proc_read(pid, "personality", &buf, NULL, e);
	if (ret)
		return ret;
	*pers = strtoul(buf, &end, 16);
	if (end == buf) {
		free(buf);
		return cr_fail(e, EINVAL, "pid %d: bad personality", pid);
	}
	free(buf);
	return 0;
}

/* Order pids (and descriptor numbers) up. */
static int proc_int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The numeric entries of /proc/PID/@dir, sorted. */
static int proc_list(pid_t pid, const char *dir, int **out, struct cr_err *e)
{
	int *v = NULL, n = 0, cap = 0;
	struct dirent *de;
	char path[64];
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, dir);
	d = opendir(path);
	if (!d)
		return cr_fail(e, errno, "pid %d: cannot open %s: %m", pid,
			       path);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			int *nv;

			cap = cap ? 2 * cap : 32;
			nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				free(v);
				closedir(d);
				return cr_fail(e, ENOMEM, "out of memory");
			}
			v = nv;
		}
		v[n++] = atoi(de->d_name);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), proc_int_cmp);
	*out = v;
	return n;
}

int cr_proc_tids(pid_t pid, pid_t **tids, struct cr_err *e)
{
	int n = proc_list(pid, "task", tids, e), i;

	/* The leader first: its tid is the pid, the lowest but after wrap. */
	for (i = 1; i < n; i++)
		if ((*tids)[i] == pid) {
			(*tids)[i] = (*tids)[0];
			(*tids)[0] = pid;
		}
	return n;
}

int cr_proc_fds(pid_t pid, int **fds, struct cr_err *e)
{
	return proc_list(pid, "fd", fds, e);
}

int cr_proc_num(pid_t pid, const char *name, long long *v, struct cr_err *e)
{
	char *buf, *end;
	int ret;

	ret = proc_read(pid, name, &buf, NULL, e);
	if (ret)
		return ret;
	*v = strtoll(buf, &end, 10);
	if (end == buf)
		ret = cr_fail(e, EINVAL, "pid %d: /proc/%d/%s: not a number",
			      pid, pid, name);
	free(buf);
	return ret;
}

/* Read pos and flags of /proc/PID/fdinfo/FD. */
int cr_proc_fdinfo(pid_t pid, int fd, uint64_t *pos, uint32_t *flags,
		   bool *locks, struct cr_err *e)
{
	char name[32], *buf, *p;
	int ret = 0;

	snprintf(name, sizeof(name), "fdinfo/%d", fd);
	ret = proc_read(pid, name, &buf, NULL, e);
	if (ret)
		return ret;
	p = strstr(buf, "pos:");
	if (p)
		*pos = strtoull(p + 4, NULL, 10);
	if (locks)
		*locks = strstr(buf, "\nlock:") != NULL;
	p = strstr(buf, "flags:");
	if (p)
		*flags = strtoul(p + 6, NULL, 8);
	else
		ret = cr_fail(e, EINVAL, "pid %d: fd %d: no flags in fdinfo",
			      pid, fd);
	free(buf);
	return ret;
}

/* statx() from the filesystem's cache, as a struct stat. */
int cr_stat_cached(int dirfd, const char *path, int flags, struct stat *st)
{
	struct statx x;

	if (statx(dirfd, path, flags | AT_STATX_DONT_SYNC, STATX_BASIC_STATS,
		  &x))
		return -1;
	memset(st, 0, sizeof(*st));
	st->st_mode = x.stx_mode;
	st->st_nlink = x.stx_nlink;
	st->st_uid = x.stx_uid;
	st->st_gid = x.stx_gid;
	st->st_ino = x.stx_ino;
	st->st_size = x.stx_size;
	st->st_blocks = x.stx_blocks;
	st->st_blksize = x.stx_blksize;
	st->st_dev = makedev(x.stx_dev_major, x.stx_dev_minor);
	st->st_rdev = makedev(x.stx_rdev_major, x.stx_rdev_minor);
	st->st_atim = (struct timespec){ x.stx_atime.tv_sec, x.stx_atime.tv_nsec };
	st->st_mtim = (struct timespec){ x.stx_mtime.tv_sec, x.stx_mtime.tv_nsec };
	st->st_ctim = (struct timespec){ x.stx_ctime.tv_sec, x.stx_ctime.tv_nsec };
	return 0;
}

int cr_proc_each_other(pid_t pid, int (*fn)(pid_t q, void *arg), void *arg)
{
	struct dirent *de;
	DIR *proc = opendir("/proc");
	int ret = 0;

	if (!proc)
		return -errno;
	while (!ret && (de = readdir(proc))) {
		pid_t q = atoi(de->d_name);

		if (q > 0 && q != pid && q != getpid())
			ret = fn(q, arg);
	}
	closedir(proc);
	return ret;
}

long cr_proc_task_vpid(pid_t pid, long tid)
{
	char path[96], *buf, *s, *end;
	long v = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%ld/status", pid, tid);
	buf = cr_read_file(path, NULL);
	s = buf ? strstr(buf, "\nNSpid:") : NULL;
	for (s = s ? s + 7 : NULL; s && *s && *s != '\n'; s = end) {
		long x = strtol(s, &end, 10);

		if (end == s)
			break;
		v = x;
	}
	free(buf);
	return v > 0 ? v : 0;
}

/* Is @pid in the sorted @in of @nr? */
static bool proc_in(const pid_t *in, uint32_t nr, pid_t pid)
{
	uint32_t lo = 0, hi = nr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (in[mid] < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nr && in[lo] == pid;
}

int cr_proc_each_outside(const pid_t *in, uint32_t nr,
			 int (*fn)(pid_t q, void *arg), void *arg)
{
	struct dirent *de;
	DIR *proc = opendir("/proc");
	int ret = 0;

	if (!proc)
		return -errno;
	while (!ret && (de = readdir(proc))) {
		pid_t q = atoi(de->d_name);

		if (q > 0 && q != getpid() && !proc_in(in, nr, q))
			ret = fn(q, arg);
	}
	closedir(proc);
	return ret;
}
