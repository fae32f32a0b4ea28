/* Reproducible zips of a lamb_tree through libarchive: entries in the
 * tree's (sorted) order, owner 0:0, modes 0644/0755 (0777 for links), and
 * one fixed time for every entry, so the same tree gives the same bytes
 * whatever the files' mtimes. Deflated, except files whose name says they
 * are compressed already (.whl, .jar, .gz, .png, ...), which are stored. */
#ifndef LAMB_ZIP_H
#define LAMB_ZIP_H

#include "base/err.h"
#include "build/tree.h"

#include <stdint.h>

struct lamb_zip_opts {
	/* Seconds since the epoch stamped on every entry; -1: no time at all,
	 * which zip readers show as 1980-01-01 00:00 in every time zone. A time
	 * is written as local DOS time as well, so only -1 gives the same bytes
	 * in every TZ. */
	int64_t mtime;
};

/* The time of $SOURCE_DATE_EPOCH, else -1. */
int64_t lamb_zip_default_mtime(void);

/* Writes the zip of t to fd (at its current offset). *zipped gets the
 * number of bytes written (may be NULL). */
int lamb_zip_write_fd(const struct lamb_tree *t, int fd, const struct lamb_zip_opts *o,
		      uint64_t *zipped, struct lamb_err *err);

/* Writes and fsyncs the zip into a new temporary file beside dest
 * (".NAME.PID.XXXXXX", so a cleaner can tell whether its writer lives); the
 * caller renames *tmp (allocated, caller frees) over dest, or unlinks it. */
int lamb_zip_write_temp(const struct lamb_tree *t, const char *dest, const struct lamb_zip_opts *o,
			char **tmp, uint64_t *zipped, struct lamb_err *err);

/* Both steps: dest is replaced whole or not at all. */
int lamb_zip_write(const struct lamb_tree *t, const char *dest, const struct lamb_zip_opts *o,
		   uint64_t *zipped, struct lamb_err *err);

#endif
