/* The local log store, as CloudWatch Logs keeps a deployed function's: every
 * invocation's records (START, END, REPORT, each line the function wrote,
 * lamb's platform events) per function under DIR/<Function>.log, kept across
 * runs of any command. Records are buffered and written from the loop
 * LAMB_LOGSTORE_FLUSH_MS after the first of them (one write per function
 * per period), so the warm path pays a copy, not a system call. A file above the size limit becomes
 * <Function>.log.1 (the one before it is dropped). Readers (lamb logs) read
 * the files as they grow. */
#ifndef LAMB_LOGSTORE_H
#define LAMB_LOGSTORE_H

#include "base/err.h"
#include "base/loop.h"

#include <stddef.h>
#include <stdint.h>

/* Per function, before rotation: 10 MiB. */
#define LAMB_LOGSTORE_DEFAULT_MAX (10u * 1024 * 1024)
/* How long a record may wait in memory: well inside what `lamb logs
 * --tail` promises (100 ms from the invocation). */
#define LAMB_LOGSTORE_FLUSH_MS 20

struct lamb_logstore;

/* dir is created (with its parents) when missing; max_bytes 0: the
 * default. NULL with err when dir cannot be made. */
struct lamb_logstore *lamb_logstore_new(struct lamb_loop *loop, const char *dir, uint64_t max_bytes,
					struct lamb_err *err);
/* Writes what is buffered and closes the files. Call it before
 * lamb_loop_free (its timer is on the loop), after whatever logs into it
 * (lamb_invoke_free). Accepts NULL. */
void lamb_logstore_free(struct lamb_logstore *s);
/* Records text (one record per line; a last line may lack its newline)
 * for function fn, now; request_id NULL for lines outside any invocation.
 * A failure to write later is reported once on stderr, never to the
 * caller: logs must not fail an invocation. */
void lamb_logstore_add(struct lamb_logstore *s, const char *fn, const char *request_id, const char *text,
		       size_t len);
/* Writes what is buffered now. */
void lamb_logstore_flush(struct lamb_logstore *s);

/* --- reading --- */

struct lamb_log_record {
	uint64_t ms;            /* wall clock, ms since the epoch */
	const char *function;   /* logical id */
	const char *request_id; /* "" outside an invocation */
	const char *message;
};

typedef void (*lamb_log_record_fn)(void *data, const struct lamb_log_record *r);

struct lamb_log_reader;

/* Reads DIR's logs of function fn (NULL: of every function). */
struct lamb_log_reader *lamb_log_reader_new(const char *dir, const char *fn);
void lamb_log_reader_free(struct lamb_log_reader *r);
/* Calls cb for every complete record written since the last call (the
 * first: all that is kept, the rotated file first), in time order across
 * functions. Returns how many; -1 with err when the directory cannot be
 * read. */
int lamb_log_reader_poll(struct lamb_log_reader *r, lamb_log_record_fn cb, void *data, struct lamb_err *err);

#endif
