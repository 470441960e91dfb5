// SPDX-License-Identifier: GPL-2.0
/*
 * hammer: open one control file once and use that one descriptor from many
 * threads at once, for a while: pread() at offset 0 and beyond, poll(),
 * write() and close(dup()) (a FUSE flush), checking every answer.
 *
 *   hammer [-t THREADS] [-s SECONDS] [-k KIND] [-w WORD]... [-p] [-f] [-c] FILE
 *
 *   -t THREADS  reader threads (default 8)
 *   -s SECONDS  how long (default 3)
 *   -k KIND     what an answer must look like: state, procs, events, error
 *               or text (default: the file's name, else text)
 *   -w WORD     also write WORD from a writer thread, several -w in turn;
 *               the file is then opened read-write
 *   -p          also poll() from a thread
 *   -f          also close(dup(fd)) from a thread (a flush per close)
 *   -c          also open, read and close the file in a loop from a thread
 *               (a release right after each read's answer)
 *
 * Exit status 0 when every answer was sane; 1 with the first bad one
 * (a crashed server answers ENOTCONN) on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HAMMER_MAX_THREADS	64
#define HAMMER_MAX_WORDS	8
#define HAMMER_BUF		4096

static const char *const hammer_states[] = {
	"empty", "running", "frozen", "freezing", "checkpointing", "restoring",
};

/* Is @s (NUL-terminated, the whole file) a sane answer of its kind? */
typedef bool (*hammer_check_t)(const char *s);

static bool hammer_printable_lines(const char *s)
{
	for (; *s; s++)
		if (*s != '\n' && (*s < ' ' || *s == 0x7f))
			return false;
	return true;
}

static bool hammer_check_text(const char *s)
{
	size_t n = strlen(s);

	return hammer_printable_lines(s) && (!n || s[n - 1] == '\n');
}

static bool hammer_check_state(const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < sizeof(hammer_states) / sizeof(hammer_states[0]); i++)
		if (n == strlen(hammer_states[i]) + 1 && s[n - 1] == '\n' &&
		    !strncmp(s, hammer_states[i], n - 1))
			return true;
	return false;
}

static bool hammer_check_procs(const char *s)
{
	while (*s) {
		if (*s < '1' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
		if (*s++ != '\n')
			return false;
	}
	return true;
}

static bool hammer_check_events(const char *s)
{
	char a, b;
	int n = -1;

	return sscanf(s, "populated %c\nfrozen %c\n%n", &a, &b, &n) == 2 &&
	       n == (int)strlen(s) && (a == '0' || a == '1') &&
	       (b == '0' || b == '1');
}

/* error: nothing, or one line "OP: REASON (ENAME)". */
static bool hammer_check_error(const char *s)
{
	const char *nl = strchr(s, '\n'), *open;

	if (!*s)
		return true;
	if (!nl || nl[1] || !hammer_printable_lines(s) || !strstr(s, ": "))
		return false;
	open = strrchr(s, '(');
	return open && open[1] == 'E' && nl[-1] == ')';
}

static const struct {
	const char	*name;
	hammer_check_t	check;
} hammer_kinds[] = {
	{ "state",	hammer_check_state },
	{ "procs",	hammer_check_procs },
	{ "events",	hammer_check_events },
	{ "error",	hammer_check_error },
	{ "text",	hammer_check_text },
};

static struct {
	int		fd;
	const char	*file;
	hammer_check_t	check;
	const char	*words[HAMMER_MAX_WORDS];
	int		nr_words;
	struct timespec	end;
	atomic_bool	stop;
	atomic_bool	failed;
	atomic_long	reads, polls, writes, write_errs, flushes, opens;
	pthread_mutex_t	report_lock;
} h = { .report_lock = PTHREAD_MUTEX_INITIALIZER };

static bool hammer_over(void)
{
	struct timespec now;

	if (atomic_load(&h.stop))
		return true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > h.end.tv_sec ||
	       (now.tv_sec == h.end.tv_sec && now.tv_nsec >= h.end.tv_nsec);
}

/* Report the first failure (@what, and the answer if any); stop everyone. */
static void hammer_fail(const char *what, int err, const char *answer, size_t len)
{
	size_t i;

	pthread_mutex_lock(&h.report_lock);
	if (!atomic_exchange(&h.failed, true)) {
		fprintf(stderr, "hammer: %s: %s", h.file, what);
		if (err)
			fprintf(stderr, ": %s", strerror(err));
		if (answer) {
			fputs(": answer \"", stderr);
			for (i = 0; i < len; i++) {
				unsigned char c = answer[i];

				if (c >= ' ' && c < 0x7f && c != '\\')
					fputc(c, stderr);
				else
					fprintf(stderr, "\\%03o", c);
			}
			fputc('"', stderr);
		}
		fputc('\n', stderr);
	}
	atomic_store(&h.stop, true);
	pthread_mutex_unlock(&h.report_lock);
}

/* pread() at offset 0 (whole answer, checked) and beyond (printable). */
static void *hammer_reader(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	char buf[HAMMER_BUF + 1];

	while (!hammer_over()) {
		unsigned int r = rand_r(&seed);
		off_t off = r % 4 ? 0 : r % 9;
		size_t size = r % 3 ? HAMMER_BUF : 1 + r % 16;
		ssize_t n = pread(h.fd, buf, size, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			hammer_fail("pread", errno, NULL, 0);
			break;
		}
		atomic_fetch_add(&h.reads, 1);
		buf[n] = '\0';
		/* From offset 0, less than asked for is the whole answer. */
		if (off == 0 && (size_t)n < size && !h.check(buf)) {
			hammer_fail("bad answer", 0, buf, n);
			break;
		}
		if (memchr(buf, '\0', n) || !hammer_printable_lines(buf)) {
			hammer_fail("bad bytes", 0, buf, n);
			break;
		}
	}
	return NULL;
}

static void *hammer_poller(void *arg)
{
	(void)arg;
	while (!hammer_over()) {
		struct pollfd pfd = { .fd = h.fd, .events = POLLIN | POLLPRI };

		if (poll(&pfd, 1, 5) < 0 && errno != EINTR) {
			hammer_fail("poll", errno, NULL, 0);
			break;
		}
		if (pfd.revents & POLLNVAL) {
			hammer_fail("poll: POLLNVAL", 0, NULL, 0);
			break;
		}
		atomic_fetch_add(&h.polls, 1);
	}
	return NULL;
}

/* The words in turn; a refusal (EBUSY, EINVAL...) is an answer too. */
static void *hammer_writer(void *arg)
{
	int i = 0;

	(void)arg;
	while (!hammer_over()) {
		const char *w = h.words[i++ % h.nr_words];

		if (write(h.fd, w, strlen(w)) < 0) {
			if (errno == ENOTCONN || errno == ECONNABORTED ||
			    errno == EBADF) {
				hammer_fail("write", errno, NULL, 0);
				break;
			}
			atomic_fetch_add(&h.write_errs, 1);
		}
		atomic_fetch_add(&h.writes, 1);
	}
	return NULL;
}

static void *hammer_flusher(void *arg)
{
	(void)arg;
	while (!hammer_over()) {
		int fd = dup(h.fd);

		if (fd < 0 || close(fd)) {
			hammer_fail("close(dup())", errno, NULL, 0);
			break;
		}
		atomic_fetch_add(&h.flushes, 1);
	}
	return NULL;
}

/* Open, read whole, close: the release races the end of the read. */
static void *hammer_churner(void *arg)
{
	char buf[HAMMER_BUF + 1];

	(void)arg;
	while (!hammer_over()) {
		int fd = open(h.file, O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0) {
			hammer_fail("open", errno, NULL, 0);
			break;
		}
		n = read(fd, buf, HAMMER_BUF);
		close(fd);
		if (n < 0) {
			hammer_fail("read", errno, NULL, 0);
			break;
		}
		buf[n] = '\0';
		if (!h.check(buf)) {
			hammer_fail("bad answer", 0, buf, n);
			break;
		}
		atomic_fetch_add(&h.opens, 1);
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: hammer [-t THREADS] [-s SECONDS] [-k KIND] "
		"[-w WORD]... [-p] [-f] [-c] FILE\n");
	exit(2);
}

static hammer_check_t hammer_kind(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(hammer_kinds) / sizeof(hammer_kinds[0]); i++)
		if (!strcmp(hammer_kinds[i].name, name))
			return hammer_kinds[i].check;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tids[HAMMER_MAX_THREADS + 4];
	int nr_readers = 8, secs = 3, nr = 0, opt, i;
	bool poller = false, flusher = false, churner = false;
	const char *kind = NULL, *base;

	close_range(3, ~0U, 0);
	while ((opt = getopt(argc, argv, "t:s:k:w:pfc")) != -1) {
		switch (opt) {
		case 't':
			nr_readers = atoi(optarg);
			break;
		case 's':
			secs = atoi(optarg);
			break;
		case 'k':
			kind = optarg;
			break;
		case 'w':
			if (h.nr_words == HAMMER_MAX_WORDS)
				usage();
			h.words[h.nr_words++] = optarg;
			break;
		case 'p':
			poller = true;
			break;
		case 'f':
			flusher = true;
			break;
		case 'c':
			churner = true;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc || nr_readers < 1 ||
	    nr_readers > HAMMER_MAX_THREADS || secs < 1)
		usage();
	h.file = argv[optind];
	base = strrchr(h.file, '/') ? strrchr(h.file, '/') + 1 : h.file;
	h.check = hammer_kind(kind ? kind : base);
	if (!h.check && kind)
		usage();
	if (!h.check)
		h.check = hammer_check_text;
	h.fd = open(h.file, (h.nr_words ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (h.fd < 0) {
		fprintf(stderr, "hammer: %s: %s\n", h.file, strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &h.end);
	h.end.tv_sec += secs;

	for (i = 0; i < nr_readers; i++)
		if (!pthread_create(&tids[nr], NULL, hammer_reader,
				    (void *)(uintptr_t)(i + 1)))
			nr++;
	if (poller && !pthread_create(&tids[nr], NULL, hammer_poller, NULL))
		nr++;
	if (h.nr_words && !pthread_create(&tids[nr], NULL, hammer_writer, NULL))
		nr++;
	if (flusher && !pthread_create(&tids[nr], NULL, hammer_flusher, NULL))
		nr++;
	if (churner && !pthread_create(&tids[nr], NULL, hammer_churner, NULL))
		nr++;
	for (i = 0; i < nr; i++)
		pthread_join(tids[i], NULL);
	if (close(h.fd) && !atomic_load(&h.failed))
		hammer_fail("close", errno, NULL, 0);
	if (atomic_load(&h.failed))
		return 1;
	if (!atomic_load(&h.reads)) {
		fprintf(stderr, "hammer: %s: no read got through\n", h.file);
		return 1;
	}
	printf("hammer: %s: %ld reads, %ld polls, %ld writes (%ld refused), %ld flushes, %ld opens in %d s: ok\n",
	       h.file, atomic_load(&h.reads), atomic_load(&h.polls),
	       atomic_load(&h.writes), atomic_load(&h.write_errs),
	       atomic_load(&h.flushes), atomic_load(&h.opens), secs);
	return 0;
}
