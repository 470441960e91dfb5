// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A user's FUSE server that stalls: one file, /f ("hello"), whose getattr
 * blocks while the file FLAG exists.  Usage: stallfs FLAG MOUNTPOINT
 * [-f] [-o opts].  A checkpoint of a process holding /f open must not
 * ask this server anything (tests/bats/fuse/045-stall.bats).
 */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fuse.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static const char *flag;

/* The root, and /f: blocks while the flag file exists. */
static int sf_getattr(const char *p, struct stat *st,
		      struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (!strcmp(p, "/")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(p, "/f"))
		return -ENOENT;
	while (access(flag, F_OK) == 0)
		usleep(100000);
	st->st_mode = S_IFREG | 0644;
	st->st_nlink = 1;
	st->st_size = 5;
	st->st_ino = 7;
	return 0;
}

static int sf_open(const char *p, struct fuse_file_info *fi)
{
	(void)fi;
	return strcmp(p, "/f") ? -ENOENT : 0;
}

static int sf_read(const char *p, char *b, size_t n, off_t o,
		   struct fuse_file_info *fi)
{
	static const char s[] = "hello";

	(void)p;
	(void)fi;
	if (o >= 5)
		return 0;
	if (n > (size_t)(5 - o))
		n = 5 - o;
	memcpy(b, s + o, n);
	return n;
}

/* No attribute cache time: every stat that may ask, asks. */
static void *sf_init(struct fuse_conn_info *c, struct fuse_config *cfg)
{
	(void)c;
	cfg->attr_timeout = 0;
	cfg->entry_timeout = 0;
	cfg->use_ino = 1;
	return NULL;
}

static const struct fuse_operations sf_ops = {
	.getattr	= sf_getattr,
	.open		= sf_open,
	.read		= sf_read,
	.init		= sf_init,
};

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	flag = argv[1];
	argv[1] = argv[0];
	return fuse_main(argc - 1, argv + 1, &sf_ops, NULL);
}
