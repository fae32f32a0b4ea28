/* A journal: an append-only file of JSON lines that keeps accepted data
 * across a restart or a crash of lamb (local start's queues and pending
 * asynchronous events). Each line is in the kernel before its caller
 * answers. The owner knows which lines still matter; when most lines no
 * longer do, it writes the live ones into a fresh file that replaces the
 * old one by rename, so the journal stays the size of what is pending, not
 * of everything ever sent. A failed rewrite keeps appending to the old
 * file: nothing accepted is lost either way. */
#ifndef LAMB_JOURNAL_H
#define LAMB_JOURNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

struct lamb_journal {
	char *path;
	FILE *f;          /* NULL: in memory only */
	FILE *next;       /* during a rewrite: the fresh file */
	size_t lines;     /* in the file now */
	size_t floor;     /* half the lines at the last look (the live ones after a rewrite) */
};

/* Calls fn(line, data) for each line of path that parses as JSON (a torn
 * last line from a crash is skipped). Returns the number of lines read. */
size_t lamb_journal_replay(const char *path, void (*fn)(const cJSON *line, void *data), void *data);

/* Starts a rewrite of j (at path, copied, on the first call): the lines
 * added until lamb_journal_commit go to a fresh file. False when it cannot
 * be created (j is unchanged). */
bool lamb_journal_begin(struct lamb_journal *j, const char *path);
/* Replaces the file with the fresh one; true when j is then kept on disk.
 * On failure the old file (if any) stays in use. */
bool lamb_journal_commit(struct lamb_journal *j);

/* Appends o as one line (to the fresh file during a rewrite) and deletes o. */
void lamb_journal_add(struct lamb_journal *j, cJSON *o);

/* Whether the file has grown to mostly lines that no longer matter: the
 * owner then rewrites it with the live ones. live(data) counts those; it is
 * called at most once per 1,024 lines appended. */
bool lamb_journal_wants_rewrite(struct lamb_journal *j, size_t (*live)(void *data), void *data);

void lamb_journal_close(struct lamb_journal *j);

#endif
