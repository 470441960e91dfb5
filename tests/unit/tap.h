/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TAP output for the unit tests: one "ok N - what" or "not ok N - what"
 * a check, "# ..." for a note.  Each test program says its plan first.
 */
#ifndef CRFS_TAP_H
#define CRFS_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_nr, tap_failed;

/* One check: @cond true passes; @fmt says what was checked. */
static void __attribute__((format(printf, 2, 3), unused))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_nr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!cond)
		tap_failed++;
}

/* A note between the checks. */
static void __attribute__((format(printf, 1, 2), unused))
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

#endif /* CRFS_TAP_H */
