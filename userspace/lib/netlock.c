// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The network lock: with the container's peers file "keep", a checkpoint
 * keeps a TCP connection whose peer is outside the container.  Before
 * anything reads the connections (the container is frozen), each such
 * connection gets two rules in an nftables table, crfs_lock_ID (ID 8
 * random hex digits, in the image as each locked connection's lock_id;
 * the table's comment names the container's cgroup): the peer's packets
 * to it dropped at the input hook, its packets to the peer at the output
 * hook.  The kernel then answers nothing to the peer's retransmits while
 * the container is frozen, killed (its connections put in repair mode
 * first: no FIN, no reset) and restored; the restore removes the table
 * once every connection is back and out of repair mode, and refuses a
 * connection whose table is gone (the peer may have moved on).
 *
 * A second checkpoint before a thaw reuses the lock in force (cr_opts),
 * so every image names the table that really holds its connections.  A
 * thaw instead of a kill, or a checkpoint that fails with a lock of its
 * own, removes it at once; a lock whose image is never restored stays
 * until removed by hand (nft delete table inet crfs_lock_ID).
 *
 * nft(8) does the work: one script per lock, one transaction.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "dump.h"
#include "inet.h"
#include "restore.h"

extern char **environ;

/* Where nft(8) is looked for (a daemon's PATH may lack sbin). */
static const char *const cr_nft_paths[] = {
	"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft",
};

/* The bytes of an nft script and of what nft says, at most. */
#define CR_NFT_OUT		8192

/* Run nft(8) on @script (its stdin); what it printed into @out. */
static int cr_nft(const char *script, char *out, size_t len)
{
	int in[2] = { -1, -1 }, res[2] = { -1, -1 }, status = 0, err = 0;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	const char *path = NULL;
	char *argv[] = { "nft", "-f", "-", NULL };
	size_t got = 0, n = strlen(script);
	sigset_t none;
	pid_t pid, w;

	out[0] = 0;
	for (size_t i = 0; !path && i < sizeof(cr_nft_paths) /
				     sizeof(cr_nft_paths[0]); i++)
		if (!access(cr_nft_paths[i], X_OK))
			path = cr_nft_paths[i];
	if (!path) {
		snprintf(out, len, "nft(8) not found (Debian package nftables)");
		return -ENOENT;
	}
	/* Its stdin a socket: send(MSG_NOSIGNAL), no SIGPIPE if it quits. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) ||
	    pipe2(res, O_CLOEXEC)) {
		err = -errno;
		goto out_close;
	}
	sigemptyset(&none);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, res[1], 1);
	posix_spawn_file_actions_adddup2(&fa, res[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	err = -posix_spawn(&pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(in[0]);
	close(res[1]);
	in[0] = res[1] = -1;
	if (err)
		goto out_close;
	while (n) {
		ssize_t w = send(in[1], script, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		script += w;
		n -= w;
	}
	close(in[1]);
	in[1] = -1;
	/* To its end, what does not fit discarded: nft never blocks. */
	for (;;) {
		char sink[512];
		bool room = got < len - 1;
		ssize_t r = room ? read(res[0], out + got, len - 1 - got) :
				   read(res[0], sink, sizeof(sink));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (room)
			got += r;
	}
	out[got] = 0;
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (w < 0)
		err = -errno;
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		err = -EIO;
	/* One line for a reason. */
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = p[1] ? ' ' : 0;
out_close:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (res[i] >= 0)
			close(res[i]);
	}
	return err;
}

/* The address of @sa into @a (16 bytes), its port into *@port. */
static void cr_tuple_take(const struct sockaddr_storage *sa, uint8_t *a,
			  uint16_t *port)
{
	memset(a, 0, 16);
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		memcpy(a, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
	} else {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		memcpy(a, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
	}
}

/*
 * Call @fn on each TCP socket of @pid that is neither listening nor
 * closed: @nr its descriptor's number in @pid, @fd a copy of it.
 */
static void cr_tcp_each(pid_t pid,
			void (*fn)(pid_t pid, int nr, int fd, int state,
				   const struct cr_tcp_tuple *t, void *arg),
			void *arg)
{
	char path[64], link[64];
	struct dirent *de;
	int pfd;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	pfd = syscall(SYS_pidfd_open, pid, 0);
	while (dir && pfd >= 0 && (de = readdir(dir))) {
		struct sockaddr_storage a, b;
		socklen_t al = sizeof(a), bl = sizeof(b);
		struct cr_tcp_tuple t = { 0 };
		struct tcp_info ti;
		int fd, proto = 0;
		ssize_t n;

		n = readlinkat(dirfd(dir), de->d_name, link, sizeof(link) - 1);
		if (n <= 0 || strncmp(link, "socket:[", 8))
			continue;
		fd = syscall(SYS_pidfd_getfd, pfd, atoi(de->d_name), 0);
		if (fd < 0)
			continue;
		if (!getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto,
				&(socklen_t){ sizeof(proto) }) &&
		    proto == IPPROTO_TCP &&
		    !getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti,
				&(socklen_t){ sizeof(ti) }) &&
		    ti.tcpi_state != CR_TCP_LISTEN &&
		    ti.tcpi_state != CR_TCP_CLOSE) {
			if (!getsockname(fd, (struct sockaddr *)&a, &al) &&
			    !getpeername(fd, (struct sockaddr *)&b, &bl) &&
			    (a.ss_family == AF_INET ||
			     a.ss_family == AF_INET6)) {
				t.family = a.ss_family;
				cr_tuple_take(&a, t.src, &t.sport);
				cr_tuple_take(&b, t.dst, &t.dport);
			}
			fn(pid, atoi(de->d_name), fd, ti.tcpi_state, &t,
			   arg);
		}
		close(fd);
	}
	if (pfd >= 0)
		close(pfd);
	if (dir)
		closedir(dir);
}

/* A growing set of tuples. */
struct cr_tuples {
	struct cr_tcp_tuple	*t;
	uint32_t		nr, cap;
	bool			oom;
};

/* Is @t in @s; crossed: as its peer sees it? */
static bool cr_tuples_has(const struct cr_tuples *s,
			  const struct cr_tcp_tuple *t, bool crossed)
{
	for (uint32_t i = 0; i < s->nr; i++) {
		const struct cr_tcp_tuple *u = &s->t[i];

		if (u->family != t->family)
			continue;
		if (!crossed && u->sport == t->sport &&
		    u->dport == t->dport && !memcmp(u->src, t->src, 16) &&
		    !memcmp(u->dst, t->dst, 16))
			return true;
		if (crossed && u->sport == t->dport &&
		    u->dport == t->sport && !memcmp(u->src, t->dst, 16) &&
		    !memcmp(u->dst, t->src, 16))
			return true;
	}
	return false;
}

/* cr_tcp_each(): add each established connection to the set @arg. */
static void cr_tuples_add(pid_t pid, int nr, int fd, int state,
			  const struct cr_tcp_tuple *t, void *arg)
{
	struct cr_tuples *s = arg;

	(void)pid;
	(void)nr;
	(void)fd;
	if (state != CR_TCP_ESTABLISHED || !t->family ||
	    cr_tuples_has(s, t, false))
		return;
	if (s->nr == s->cap) {
		uint32_t cap = s->cap ? 2 * s->cap : 16;
		void *p = realloc(s->t, cap * sizeof(*s->t));

		if (!p) {
			s->oom = true;
			return;
		}
		s->t = p;
		s->cap = cap;
	}
	s->t[s->nr++] = *t;
}

/* The connections of @pids whose peer is not one of them, into @out. */
static int cr_tuples_outside(const pid_t *pids, uint32_t n,
			     struct cr_tuples *out)
{
	struct cr_tuples all = { 0 };

	for (uint32_t i = 0; i < n; i++)
		cr_tcp_each(pids[i], cr_tuples_add, &all);
	for (uint32_t i = 0; !all.oom && i < all.nr; i++)
		if (!cr_tuples_has(&all, &all.t[i], true))
			cr_tuples_add(0, -1, -1, CR_TCP_ESTABLISHED, &all.t[i],
				      out);
	free(all.t);
	return all.oom || out->oom ? -ENOMEM : 0;
}

/* "ip" or "ip6", and the address @a of @t for nft, into @buf. */
static const char *cr_nft_addr(const struct cr_tcp_tuple *t,
			       const uint8_t *a, char *buf, size_t len)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (t->family == AF_INET6 && memcmp(a, mapped, 12)) {
		inet_ntop(AF_INET6, a, buf, len);
		return "ip6";
	}
	inet_ntop(AF_INET, t->family == AF_INET ? a : a + 12, buf, len);
	return "ip";
}

/* The two rules of @t in table @name, appended to @p (@end its end). */
static char *cr_nft_rules(char *p, const char *end, const char *name,
			  const struct cr_tcp_tuple *t)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const char *fam = cr_nft_addr(t, t->src, s, sizeof(s));

	cr_nft_addr(t, t->dst, d, sizeof(d));
	p += snprintf(p, end - p, "add rule inet %s in %s saddr %s %s daddr "
		      "%s tcp sport %u tcp dport %u drop\n", name, fam, d, fam,
		      s, t->dport, t->sport);
	if (p < end)
		p += snprintf(p, end - p, "add rule inet %s out %s saddr %s %s "
			      "daddr %s tcp sport %u tcp dport %u drop\n",
			      name, fam, s, fam, d, t->sport, t->dport);
	return p < end ? p : (char *)end;
}

/* The name of the lock table of id @id (crfs_lock_ID), into @buf. */
static void cr_netlock_name(char *buf, uint32_t id)
{
	snprintf(buf, CR_NETLOCK_NAME, "crfs_lock_%08x", id);
}

/* The id of lock table @name, 0 if it is not one. */
static uint32_t cr_netlock_id(const char *name)
{
	unsigned int id = 0;
	int end = 0;

	if (sscanf(name, "crfs_lock_%8x%n", &id, &end) != 1 ||
	    end != 18 || name[end])
		return 0;
	return id;
}

/* A connection looked for, and the pid and fd found holding it. */
struct cr_netlock_at {
	const struct cr_tcp_tuple	*t;
	pid_t				pid;
	int				nr;
};

/* cr_tcp_each(): is this the connection @arg looks for? */
static void cr_netlock_find(pid_t pid, int nr, int fd, int state,
			    const struct cr_tcp_tuple *t, void *arg)
{
	struct cr_netlock_at *at = arg;
	struct cr_tuples one = { (struct cr_tcp_tuple *)at->t, 1, 1, false };

	(void)fd;
	(void)state;
	if (!at->pid && t->family && cr_tuples_has(&one, t, false)) {
		at->pid = pid;
		at->nr = nr;
	}
}

/* "pid P: fd N: A:p -> B:q" of connection @t of @d, into @buf. */
static void cr_netlock_where(const struct cr_dump *d,
			     const struct cr_tcp_tuple *t, char *buf,
			     size_t len)
{
	struct cr_netlock_at at = { .t = t };
	char s[INET6_ADDRSTRLEN], p[INET6_ADDRSTRLEN];

	for (uint32_t i = 0; !at.pid && i < d->nr_tasks; i++)
		cr_tcp_each(d->tasks[i].pid, cr_netlock_find, &at);
	cr_nft_addr(t, t->src, s, sizeof(s));
	cr_nft_addr(t, t->dst, p, sizeof(p));
	snprintf(buf, len, "pid %d: fd %d: TCP %s:%u -> %s:%u", (int)at.pid,
		 at.nr, s, t->sport, p, t->dport);
}

int cr_netlock_take(struct cr_dump *d, struct cr_err *e)
{
	struct cr_tuples out = { 0 };
	char msg[CR_NFT_OUT], where[160], *script, *p, *end;
	const char *cg = d->cgdir;
	size_t len;
	uint32_t id;
	pid_t *pids;
	int ret;

	if (d->peers != CR_PEERS_KEEP)
		return 0;
	pids = calloc(d->nr_tasks ? d->nr_tasks : 1, sizeof(*pids));
	if (!pids)
		return cr_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < d->nr_tasks; i++)
		pids[i] = d->tasks[i].pid;
	ret = cr_tuples_outside(pids, d->nr_tasks, &out);
	free(pids);
	if (ret || !out.nr) {
		free(out.t);
		return ret ? cr_fail(e, -ret, "out of memory") : 0;
	}
	/* Its comment: the cgroup's path, its end if too long for nft. */
	if (strlen(cg) > 100)
		cg += strlen(cg) - 100;
	/* Not thawed since the last checkpoint: its lock, still in force. */
	id = cr_netlock_id(d->lock_held);
	d->lock_reused = id != 0;
	while (!id)
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			id = (uint32_t)getpid() ^ (uint32_t)time(NULL);
	cr_netlock_name(d->lock, id);
	len = 1024 + (size_t)out.nr * 512;
	script = malloc(len);
	if (!script) {
		free(out.t);
		d->lock[0] = 0;
		return cr_fail(e, ENOMEM, "out of memory");
	}
	end = script + len;
	/*
	 * One transaction: a lock in force is emptied and filled again, its
	 * connections held all along; a new one must not exist yet.
	 */
	p = script + snprintf(script, len,
			      "%s table inet %s { comment \"crfs %s\" ; }\n"
			      "add chain inet %s in { type filter hook input "
			      "priority -150 ; policy accept ; }\n"
			      "add chain inet %s out { type filter hook output "
			      "priority -150 ; policy accept ; }\n"
			      "flush chain inet %s in\n"
			      "flush chain inet %s out\n",
			      d->lock_reused ? "add" : "create", d->lock,
			      cg, d->lock, d->lock, d->lock, d->lock);
	for (uint32_t i = 0; i < out.nr; i++)
		p = cr_nft_rules(p, end, d->lock, &out.t[i]);
	ret = cr_nft(script, msg, sizeof(msg));
	free(script);
	if (ret) {
		cr_netlock_where(d, &out.t[0], where, sizeof(where));
		free(out.t);
		ret = cr_fail(e, EOPNOTSUPP, "%s: %s: cannot lock the network "
			      "for its %u TCP connection(s) to peers outside "
			      "(peers keep): nftables table %s: %s",
			      d->cgdir, where, out.nr, d->lock, msg[0] ? msg :
			      strerror(-ret));
		if (!d->lock_reused)
			d->lock[0] = 0;
		return ret;
	}
	d->lock_id = id;
	d->locked = out.t;
	d->nr_locked = out.nr;
	return 0;
}

void cr_netlock_fail(struct cr_dump *d)
{
	if (!d->lock_reused)
		cr_netlock_drop(d->lock);
}

const char *cr_dump_lock(const struct cr_dump *d)
{
	return d->lock;
}

bool cr_netlock_holds(const struct cr_dump *d, const struct crfs_file_inet *s)
{
	struct cr_tcp_tuple t = { .family = s->family, .sport = s->sport,
				  .dport = s->dport };
	struct cr_tuples set = { d->locked, d->nr_locked, d->nr_locked,
				 false };

	memcpy(t.src, s->src, 16);
	memcpy(t.dst, s->dst, 16);
	return d->lock_id && cr_tuples_has(&set, &t, false);
}

int cr_netlock_drop(const char *name)
{
	char script[3 * CR_NETLOCK_NAME + 64], msg[CR_NFT_OUT];

	if (!name || !name[0])
		return 0;
	/* Added first: a table already gone is no error. */
	snprintf(script, sizeof(script), "add table inet %s\n"
		 "delete table inet %s\n", name, name);
	return cr_nft(script, msg, sizeof(msg));
}

/* Does lock table @name exist?  1, 0, or -errno with nft's reason in @msg. */
static int cr_netlock_exists(const char *name, char *msg, size_t len)
{
	char script[CR_NETLOCK_NAME + 32];
	int ret;

	snprintf(script, sizeof(script), "list table inet %s\n", name);
	ret = cr_nft(script, msg, len);
	if (!ret)
		return 1;
	if (ret == -EIO && strstr(msg, "No such file or directory"))
		return 0;
	return ret;
}

/* "TCP A:p -> B:q" of connection @s, into @buf. */
static const char *cr_netlock_conn(const struct crfs_file_inet *s, char *buf,
				   size_t len)
{
	struct cr_tcp_tuple t = { .family = s->family };
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	cr_nft_addr(&t, s->src, a, sizeof(a));
	cr_nft_addr(&t, s->dst, b, sizeof(b));
	snprintf(buf, len, "TCP %s:%u -> %s:%u", a, s->sport, b, s->dport);
	return buf;
}

int cr_netlock_check(const struct cr_model *m, struct cr_err *e)
{
	char msg[CR_NFT_OUT], name[CR_NETLOCK_NAME], conn[128];
	uint32_t ok[8], nr_ok = 0;

	for (uint32_t i = 0; i < m->nr_fdts; i++) {
		const struct cr_fdtable *fdt = &m->fdts[i];

		for (uint32_t j = 0; j < fdt->nr_fds; j++) {
			const struct cr_file *fi = fdt->fds[j].file;
			const struct crfs_file_inet *s;
			bool seen = false;
			int ret;

			if (!fi || fi->f.kind != CRFS_FILE_INET || !fi->inet ||
			    !fi->inet->lock_id)
				continue;
			s = fi->inet;
			for (uint32_t k = 0; k < nr_ok; k++)
				seen |= ok[k] == s->lock_id;
			if (seen)
				continue;
			cr_netlock_name(name, s->lock_id);
			ret = cr_netlock_exists(name, msg, sizeof(msg));
			if (ret < 0)
				return cr_fail(e, -ret, "pid %u: fd %u: %s: "
					       "cannot check its network lock "
					       "(nftables table inet %s): %s",
					       fdt->pid, fdt->fds[j].d.fd,
					       cr_netlock_conn(s, conn,
							       sizeof(conn)),
					       name, msg[0] ? msg :
					       strerror(-ret));
			if (!ret)
				return cr_fail(e, ESTALE, "pid %u: fd %u: %s: "
					       "its network lock is gone: the "
					       "peer may have moved on "
					       "(nftables table inet %s: the "
					       "container was thawed, restored "
					       "or the lock removed since this "
					       "checkpoint)", fdt->pid,
					       fdt->fds[j].d.fd,
					       cr_netlock_conn(s, conn,
							       sizeof(conn)),
					       name);
			if (nr_ok < sizeof(ok) / sizeof(ok[0]))
				ok[nr_ok++] = s->lock_id;
		}
	}
	return 0;
}

int cr_netlock_restored(const struct cr_model *m, struct cr_err *e)
{
	char name[CR_NETLOCK_NAME];
	uint32_t done[8], nr_done = 0;
	int rc = 0;

	for (uint32_t i = 0; i < m->nr_files; i++) {
		const struct crfs_file_inet *s = m->files[i].inet;
		bool seen = false;
		int ret;

		if (m->files[i].f.kind != CRFS_FILE_INET || !s ||
		    !s->lock_id)
			continue;
		for (uint32_t j = 0; j < nr_done; j++)
			seen |= done[j] == s->lock_id;
		if (seen)
			continue;
		if (nr_done < sizeof(done) / sizeof(done[0]))
			done[nr_done++] = s->lock_id;
		cr_netlock_name(name, s->lock_id);
		ret = cr_netlock_drop(name);
		if (ret && !rc)
			rc = cr_fail(e, -ret, "%s: restored, but its network "
				     "lock stays: its connection hangs until "
				     "nft delete table inet %s", m->files[i].path,
				     name);
	}
	return rc;
}

/* The inode of the other end of connection @s on this host, or 0. */
static uint64_t cr_tcp_peer_ino(const struct crfs_file_inet *s)
{
	struct {
		struct nlmsghdr		nh;
		struct inet_diag_req_v2	r;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_family = s->family,
		       .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = ~0U,
		       .id.idiag_cookie = { INET_DIAG_NOCOOKIE,
					    INET_DIAG_NOCOOKIE } },
	};
	union {
		struct nlmsghdr	h;
		char		buf[4096];
	} rsp;
	uint64_t ino = 0;
	ssize_t n;
	int nl;

	req.r.id.idiag_sport = htons(s->dport);
	req.r.id.idiag_dport = htons(s->sport);
	memcpy(req.r.id.idiag_src, s->dst, 16);
	memcpy(req.r.id.idiag_dst, s->src, 16);
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return 0;
	if (send(nl, &req, sizeof(req), 0) == sizeof(req) &&
	    (n = recv(nl, &rsp, sizeof(rsp), 0)) > 0 &&
	    NLMSG_OK(&rsp.h, n) && rsp.h.nlmsg_type == SOCK_DIAG_BY_FAMILY)
		ino = ((struct inet_diag_msg *)NLMSG_DATA(&rsp.h))->idiag_inode;
	close(nl);
	return ino;
}

pid_t cr_tcp_peer_holder(const struct cr_dump *d,
			 const struct crfs_file_inet *s, char *comm,
			 size_t len)
{
	uint64_t ino = cr_tcp_peer_ino(s);
	char link[48];

	if (!ino)
		return 0;
	snprintf(link, sizeof(link), "socket:[%llu]", (unsigned long long)ino);
	return cr_files_holder(d->pids, d->nr_tasks, link, comm, len);
}

/* What the quiet kill with peers close knows: the container's connections. */
struct cr_quiet_ctx {
	struct cr_tuples	all;
};

/* cr_tcp_each(): repair mode for @fd, unless its peer is outside. */
static void cr_quiet_one(pid_t pid, int nr, int fd, int state,
			 const struct cr_tcp_tuple *t, void *arg)
{
	struct cr_quiet_ctx *q = arg;
	int on = TCP_REPAIR_ON;

	(void)pid;
	(void)nr;
	if (state == CR_TCP_ESTABLISHED && t->family &&
	    !cr_tuples_has(&q->all, t, true))
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on));
}

void cr_inet_quiet_peers(const char *cgdir, bool close)
{
	struct cr_quiet_ctx q = { { 0 } };
	pid_t *pids;
	int n;

	if (!close) {
		cr_inet_quiet(cgdir);
		return;
	}
	n = cr_cgroup_pids(cgdir, &pids);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++)
		cr_tcp_each(pids[i], cr_tuples_add, &q.all);
	/* Without the whole set, all quiet: no reset to a peer inside. */
	if (q.all.oom) {
		free(q.all.t);
		free(pids);
		cr_inet_quiet(cgdir);
		return;
	}
	for (int i = 0; i < n; i++)
		cr_tcp_each(pids[i], cr_quiet_one, &q);
	free(q.all.t);
	free(pids);
}
