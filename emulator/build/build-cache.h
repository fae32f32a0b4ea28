/* The content-hash cache of one artifact's sources, so that checking an
 * unchanged 100 MB layer costs a stat per file instead of reading it all
 * (local invoke checks before every run). A file's cached hash is used
 * only while its size, inode, mtime and ctime are those recorded and both
 * times are older than the cache itself (a file changed within the same
 * clock tick as the caching is read again, as git does for its index). */
#ifndef LAMB_BUILD_CACHE_H
#define LAMB_BUILD_CACHE_H

#include "base/err.h"
#include "build/tree.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct lamb_build_cache_entry {
	char *path; /* owned */
	uint64_t hash, size, dev, ino;
	struct timespec mtime, ctime;
};

/* Embedded: _init/_release. */
struct lamb_build_cache {
	struct lamb_build_cache_entry *old, *next; /* as loaded (sorted); for saving */
	size_t nold, nnext, capnext;
	time_t written;  /* when the loaded cache was written */
	bool dirty;      /* next differs from old */
};

void lamb_build_cache_init(struct lamb_build_cache *c);
void lamb_build_cache_release(struct lamb_build_cache *c);
/* Reads path; a missing or unreadable cache is an empty one. */
void lamb_build_cache_load(struct lamb_build_cache *c, const char *path);
/* The content hash of regular file e, cached or read now. Call in the
 * tree's order: what is asked is what gets saved. */
int lamb_build_cache_hash(struct lamb_build_cache *c, const struct lamb_tree_entry *e, uint64_t *out,
			  struct lamb_err *err);
/* Writes path (temporary file and rename) when anything changed. */
int lamb_build_cache_save(struct lamb_build_cache *c, const char *path, struct lamb_err *err);

#endif
