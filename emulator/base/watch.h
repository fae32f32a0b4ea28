/* Directory trees watched for changes, for hot reload: one inotify fd on
 * lamb's loop, a watch on every directory of each tree (new subdirectories
 * are added as they appear), and a debounce so that an editor's burst of
 * writes, or a `git checkout`, is reported once. What is reported is
 * "something under this root changed", not which file: the caller replaces
 * whole instances anyway. Writes that do not end in a close or rename (a
 * log file kept open) are not changes; __pycache__, .git, .aws-sam and .lamb
 * (build output) are not looked into. */
#ifndef LAMB_WATCH_H
#define LAMB_WATCH_H

#include "base/err.h"
#include "base/loop.h"

#include <stdint.h>

struct lamb_watcher;

/* Called from the loop once a burst of changes under root has settled. */
typedef void (*lamb_watch_fn)(void *data, const char *root);

/* debounce_ms: quiet time after the last change before fn runs (0: 100). */
struct lamb_watcher *lamb_watch_new(struct lamb_loop *loop, uint64_t debounce_ms, struct lamb_err *err);
/* Stops watching and closes the fd. Accepts NULL. */
void lamb_watch_free(struct lamb_watcher *w);

/* Watches the tree at dir (copied) for fn(data, dir). The same directory
 * may be added by several callers; each is told. -1 with err when dir, or
 * some directory under it, cannot be watched (inotify's limit): whatever
 * could be watched still is, unless dir itself failed. */
int lamb_watch_add(struct lamb_watcher *w, const char *dir, lamb_watch_fn fn, void *data, struct lamb_err *err);

#endif
