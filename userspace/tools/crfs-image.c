// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * crfs-image: look inside a crfs checkpoint image, as CRIU's crit does.
 *
 *   crfs-image show   [FILE]   human summary, one line per object
 *   crfs-image json   [FILE]   the whole decode as JSON (page data summarized)
 *   crfs-image verify [FILE]   exit 0 only for a whole, valid image: one a
 *                              restore accepts (this machine aside)
 *
 * FILE "-" or none is stdin, which may be a pipe: the image is read once,
 * in order, one record in memory at a time besides the model of its
 * objects, so multi-GiB images stream.  The reading and every check are
 * the library's walker (model-read.c, img-check.c), the one the restore
 * uses; the printing of each record is its row of the library's table
 * (rec.c): this file only says what the output looks like.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "img-walk.h"

/* A run of contiguous pages of one owner, for the summary. */
struct run {
	uint32_t	owner, id;
	uint64_t	addr, nr_pages;
};

/* The state of one image being walked. */
struct walk {
	const char		*name;
	const struct walk_ops	*ops;
	struct cr_img		img;
	struct cr_img_walk	iw;
	struct cr_err		e;
	struct run		*runs;
	uint32_t		nr_runs;
	uint64_t		pages, page_recs;
};

/* What each command prints, once the whole image is read and checked. */
struct walk_ops {
	const char	*name;
	const char	*help;
	void		(*print)(struct walk *w);
};

/* Add a checked PAGES record to the runs. */
static int walk_pages(struct walk *w, const struct cr_img_pages *p)
{
	uint32_t id = p->mm ? p->mm->m.id : p->shmem->s.id;
	struct run *r = w->nr_runs ? &w->runs[w->nr_runs - 1] : NULL;

	w->pages += p->nr_pages;
	w->page_recs++;
	if (r && r->owner == p->owner && r->id == id &&
	    r->addr + r->nr_pages * w->iw.hdr.page_size == p->addr) {
		r->nr_pages += p->nr_pages;
		return 0;
	}
	if (cr_grow(&w->runs, w->nr_runs, sizeof(*w->runs)))
		return cr_fail(&w->e, ENOMEM, "out of memory");
	w->runs[w->nr_runs++] = (struct run){ p->owner, id, p->addr,
					      p->nr_pages };
	return 0;
}

/* Read the whole image, checking it; print it at its end. */
static int walk_image(struct walk *w)
{
	int ret = cr_img_walk_begin(&w->iw, &w->img, &w->e);

	while (!ret) {
		ret = cr_img_walk_next(&w->iw, &w->e);
		if (ret == CR_WALK_PAGES)
			ret = walk_pages(w, &w->iw.pages);
		else if (ret == CR_WALK_MODEL || ret == CR_WALK_FILE_DATA ||
			 ret == CR_WALK_IPC_DATA)
			ret = 0;
		else if (ret == CR_WALK_END)
			break;
	}
	if (ret < 0)
		return ret;
	w->ops->print(w);
	return 0;
}

/* A string with control characters escaped, so a line stays a line. */
static const char *text_str(const char *s)
{
	static char buf[4 * CRFS_PATH_MAX + 1];
	char *o = buf;

	for (; s && *s && o < buf + sizeof(buf) - 5; s++) {
		unsigned char c = *s;

		if (c < 0x20 || c == 0x7f || c == '\\' || c == ' ')
			o += sprintf(o, c == '\\' ? "\\\\" : "\\x%02x", c);
		else
			*o++ = c;
	}
	*o = 0;
	return buf;
}

/* show: one line per object, "key=value" fields, children indented. */
struct text {
	int	depth;
	bool	line;		/* a line is open */
	bool	first;		/* no field on it yet */
};

static void text_flush(struct text *t)
{
	if (t->line)
		putchar('\n');
	t->line = false;
}

static void text_start(struct text *t, const char *prefix)
{
	text_flush(t);
	printf("%*s%s", 2 * t->depth, "", prefix);
	t->line = true;
	t->first = true;
}

static void text_open(struct cr_emit *o, const char *key, bool list)
{
	struct text *t = o->priv;

	if (list) {
		text_start(t, key);
		putchar(':');
		text_flush(t);
	} else if (key) {
		text_start(t, key);
		putchar(':');
		t->first = false;
	} else {
		text_start(t, "-");
		t->first = false;
	}
	t->depth++;
}

static void text_close(struct cr_emit *o, bool list)
{
	struct text *t = o->priv;

	(void)list;
	text_flush(t);
	t->depth--;
}

/* The start of a field "key=" on the line open (a list's: its value). */
static void text_key(struct text *t, const char *key)
{
	if (!t->line)
		text_start(t, "");
	printf("%s%s%s", t->first ? "" : " ", key ? key : "",
	       key ? "=" : "");
	t->first = false;
}

static void text_u64(struct cr_emit *o, const char *key, uint64_t v)
{
	text_key(o->priv, key);
	printf("%" PRIu64, v);
}

static void text_s64(struct cr_emit *o, const char *key, int64_t v)
{
	text_key(o->priv, key);
	printf("%" PRId64, v);
}

static void text_hex(struct cr_emit *o, const char *key, uint64_t v)
{
	text_key(o->priv, key);
	printf("0x%" PRIx64, v);
}

static void text_oct(struct cr_emit *o, const char *key, uint64_t v)
{
	text_key(o->priv, key);
	printf("0%" PRIo64, v);
}

static void text_string(struct cr_emit *o, const char *key, const char *s)
{
	text_key(o->priv, key);
	printf("%s", s ? text_str(s) : "-");
}

static void text_bytes(struct cr_emit *o, const char *key, const void *p,
		       size_t len)
{
	(void)p;
	text_key(o->priv, key);
	printf("(%zu bytes)", len);
}

static const struct cr_emit_ops text_ops = {
	text_open, text_close, text_u64, text_s64, text_hex, text_oct,
	text_string, text_bytes,
};

/* The header in words. */
static void show_hdr(struct walk *w)
{
	const struct crfs_image_hdr *h = &w->iw.hdr;
	time_t sec = h->time_ns / 1000000000ULL;
	struct cr_err e;
	struct tm tm;
	char when[64] = "?";

	if (gmtime_r(&sec, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("image:       %s\n", w->name);
	printf("version:     %u\n", h->version);
	printf("arch:        %s (0x%x)\n", h->arch == CRFS_ARCH_X86_64 ?
	       "x86_64" : "unknown", h->arch);
	printf("kernel:      %s %s\n", h->release, h->machine);
	printf("page size:   %u\n", h->page_size);
	printf("features:    0x%" PRIx64 "%s%s\n", (uint64_t)h->features,
	       h->features & CRFS_FEAT_XSTATE ? " (xstate)" : "",
	       h->features & CRFS_FEAT_PIDNS ? " (pid namespace)" : "");
	printf("xstate:      %u bytes, xfeatures 0x%" PRIx64 "\n",
	       h->xstate_size, (uint64_t)h->xfeatures);
	printf("dumped:      %s\n", when);
	printf("id:          ");
	for (int i = 0; i < CRFS_ID_LEN; i++)
		printf("%02x", h->image_id[i]);
	printf("\ntasks:       %u\n", h->nr_tasks);
	if (cr_img_check_hdr(h, &e))
		printf("restorable:  no, %s\n", e.msg);
	else
		printf("restorable:  yes, on this machine\n");
}

static void show_print(struct walk *w)
{
	struct text t = { 0 };
	struct cr_emit o = { &text_ops, false, &t };

	show_hdr(w);
	cr_model_print(&w->iw.m, &o);
	text_flush(&t);
	printf("pages:\n");
	for (uint32_t i = 0; i < w->nr_runs; i++)
		printf("  - %s=%u addr=0x%" PRIx64 " nr_pages=%" PRIu64 "\n",
		       w->runs[i].owner == CRFS_PAGES_MM ? "mm" : "shmem",
		       w->runs[i].id, w->runs[i].addr, w->runs[i].nr_pages);
	printf("totals:      %" PRIu64 " records, %" PRIu64 " pages in %"
	       PRIu64 " records, %" PRIu64 " page bytes, %" PRIu64
	       " image bytes\n", (uint64_t)w->iw.end.nr_records + 1,
	       w->pages, w->page_recs, (uint64_t)w->iw.end.page_bytes,
	       w->img.off);
}

/* json: a small streaming writer */

struct json {
	int	depth;
	bool	first[32];
};

static void j_str_body(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	while (*p) {
		int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 :
			(*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
		int k;

		for (k = 1; k < n && (p[k] & 0xc0) == 0x80; k++)
			;
		if (n > 1 && k == n) {		/* valid UTF-8 sequence */
			fwrite(p, 1, n, stdout);
			p += n;
			continue;
		}
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)	/* also stray bytes */
			printf("\\u%04x", *p);
		else
			putchar(*p);
		p++;
	}
	putchar('"');
}

static void j_key(struct json *j, const char *key)
{
	if (j->depth)
		printf("%s\n%*s", j->first[j->depth] ? "" : ",",
		       2 * j->depth, "");
	j->first[j->depth] = false;
	if (key)
		printf("\"%s\": ", key);
}

static void json_open(struct cr_emit *o, const char *key, bool list)
{
	struct json *j = o->priv;

	j_key(j, key);
	putchar(list ? '[' : '{');
	j->first[++j->depth] = true;
}

static void json_close(struct cr_emit *o, bool list)
{
	struct json *j = o->priv;
	bool empty = j->first[j->depth--];

	if (!empty)
		printf("\n%*s", 2 * j->depth, "");
	putchar(list ? ']' : '}');
}

static void json_u64(struct cr_emit *o, const char *key, uint64_t v)
{
	j_key(o->priv, key);
	printf("%" PRIu64, v);
}

static void json_s64(struct cr_emit *o, const char *key, int64_t v)
{
	j_key(o->priv, key);
	printf("%" PRId64, v);
}

static void json_hex(struct cr_emit *o, const char *key, uint64_t v)
{
	j_key(o->priv, key);
	printf("\"0x%" PRIx64 "\"", v);
}

static void json_oct(struct cr_emit *o, const char *key, uint64_t v)
{
	j_key(o->priv, key);
	printf("\"0%" PRIo64 "\"", v);
}

static void json_string(struct cr_emit *o, const char *key, const char *s)
{
	j_key(o->priv, key);
	if (s)
		j_str_body(s);
	else
		printf("null");
}

static void json_bytes(struct cr_emit *o, const char *key, const void *p,
		       size_t len)
{
	const unsigned char *b = p;

	j_key(o->priv, key);
	putchar('"');
	for (size_t i = 0; i < len; i++)
		printf("%02x", b[i]);
	putchar('"');
}

static const struct cr_emit_ops json_ops = {
	json_open, json_close, json_u64, json_s64, json_hex, json_oct,
	json_string, json_bytes,
};

static void json_print(struct walk *w)
{
	const struct crfs_image_hdr *h = &w->iw.hdr;
	struct json j = { 0 };
	struct cr_emit o = { &json_ops, true, &j };
	const struct cr_emit_ops *op = &json_ops;
	struct cr_err e;

	op->open(&o, NULL, false);
	op->open(&o, "header", false);
	op->u64(&o, "version", h->version);
	op->u64(&o, "hdr_size", h->hdr_size);
	op->hex(&o, "arch", h->arch);
	op->u64(&o, "page_size", h->page_size);
	op->hex(&o, "features", h->features);
	op->hex(&o, "xfeatures", h->xfeatures);
	op->u64(&o, "xstate_size", h->xstate_size);
	op->u64(&o, "nr_tasks", h->nr_tasks);
	op->u64(&o, "time_ns", h->time_ns);
	op->bytes(&o, "image_id", h->image_id, sizeof(h->image_id));
	op->bytes(&o, "parent_id", h->parent_id, sizeof(h->parent_id));
	op->str(&o, "release", h->release);
	op->str(&o, "machine", h->machine);
	op->hex(&o, "crc", h->crc);
	op->close(&o, false);
	j_key(&j, "restorable");
	if (cr_img_check_hdr(h, &e))
		j_str_body(e.msg);
	else
		printf("true");
	cr_model_print(&w->iw.m, &o);
	op->open(&o, "pages", true);
	for (uint32_t i = 0; i < w->nr_runs; i++) {
		op->open(&o, NULL, false);
		op->str(&o, "owner", w->runs[i].owner == CRFS_PAGES_MM ?
			"mm" : "shmem");
		op->u64(&o, "id", w->runs[i].id);
		op->hex(&o, "addr", w->runs[i].addr);
		op->u64(&o, "nr_pages", w->runs[i].nr_pages);
		op->close(&o, false);
	}
	op->close(&o, true);
	op->open(&o, "end", false);
	op->u64(&o, "nr_records", w->iw.end.nr_records);
	op->u64(&o, "bytes", w->iw.end.bytes);
	op->u64(&o, "page_bytes", w->iw.end.page_bytes);
	op->close(&o, false);
	op->u64(&o, "image_bytes", w->img.off);
	op->close(&o, false);
	putchar('\n');
}

/* verify */

static void verify_print(struct walk *w)
{
	printf("%s: valid crfs image, version %u, %u task%s, %" PRIu64
	       " records, %" PRIu64 " page bytes, %" PRIu64 " bytes\n",
	       w->name, w->iw.hdr.version, w->iw.m.nr_tasks,
	       w->iw.m.nr_tasks == 1 ? "" : "s",
	       (uint64_t)w->iw.end.nr_records + 1,
	       (uint64_t)w->iw.end.page_bytes, w->img.off);
}

static const struct walk_ops commands[] = {
	{ "show", "print a summary of the image, one line per object",
	  show_print },
	{ "json", "print the whole image as JSON (page data summarized)",
	  json_print },
	{ "verify", "check the whole image as a restore does; exit 0 only if "
	  "it is valid", verify_print },
};

static void __attribute__((noreturn)) usage(FILE *out, int status)
{
	fprintf(out, "Usage:\n"
		" crfs-image <command> [FILE]\n\n"
		"Decode a crfs checkpoint image; FILE - or none reads stdin.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, " %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nOptions:\n -h, --help  display this help\n");
	exit(status);
}

int main(int argc, char **argv)
{
	struct walk w = { 0 };
	const char *path;
	int fd, ret;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		usage(stdout, EXIT_SUCCESS);
	if (argc < 2 || argc > 3)
		usage(stderr, EXIT_FAILURE);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			w.ops = &commands[i];
	if (!w.ops) {
		fprintf(stderr, "crfs-image: unknown command '%s'\n"
			"Try 'crfs-image --help' for more information.\n",
			argv[1]);
		return EXIT_FAILURE;
	}
	path = argc == 3 ? argv[2] : "-";
	w.name = strcmp(path, "-") ? path : "stdin";
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0) {
		fprintf(stderr, "crfs-image: %s: %m\n", path);
		return EXIT_FAILURE;
	}
	if (cr_img_init(&w.img, fd)) {
		fprintf(stderr, "crfs-image: out of memory\n");
		return EXIT_FAILURE;
	}
	ret = walk_image(&w);
	fflush(stdout);
	if (ret)
		fprintf(stderr, "crfs-image: %s: %s\n", w.name, w.e.msg);
	cr_img_walk_fini(&w.iw);
	free(w.runs);
	cr_img_fini(&w.img);
	if (fd)
		close(fd);
	if (!ret && (ferror(stdout) || fclose(stdout))) {
		fprintf(stderr, "crfs-image: write error: %m\n");
		return EXIT_FAILURE;
	}
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}
