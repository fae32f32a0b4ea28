/* .lambignore: gitignore-style patterns deciding what stays out of a build.
 * Supported: '#' comments, blank lines, '!' to re-include, a trailing '/'
 * for directories only, a leading or inner '/' to anchor at the root,
 * '*', '?', '[...]' within one path segment and '**' across segments.
 * As in git, a file under an ignored directory cannot be re-included. */
#ifndef LAMB_IGNORE_H
#define LAMB_IGNORE_H

#include "base/err.h"

#include <stdbool.h>
#include <stddef.h>

struct lamb_ignore_rule {
	char *pattern;  /* owned; without '!', leading '/' or trailing '/' */
	bool negate;    /* '!pattern' */
	bool dir_only;  /* 'pattern/' */
	bool anchored;  /* held a '/': matched against the whole relative path */
};

/* Embedded: _init/_release. Rules are tried in order; the last match wins. */
struct lamb_ignore {
	struct lamb_ignore_rule *v;
	size_t len, cap;
};

void lamb_ignore_init(struct lamb_ignore *ig);
void lamb_ignore_release(struct lamb_ignore *ig);
/* One line of a .lambignore file (comments and blanks are skipped). */
void lamb_ignore_add(struct lamb_ignore *ig, const char *line);
/* Every line of text (len bytes). */
void lamb_ignore_parse(struct lamb_ignore *ig, const char *text, size_t len);
/* Reads path; a missing file adds nothing and is not an error. */
int lamb_ignore_load(struct lamb_ignore *ig, const char *path, struct lamb_err *err);

/* Whether path ('/'-separated, relative to the root, no leading '/') is
 * ignored, itself or through one of its parent directories. */
bool lamb_ignore_match(const struct lamb_ignore *ig, const char *path, bool is_dir);

/* One glob against one string, with '*' and '?' not crossing '/' and '**'
 * as a whole segment matching any number of segments. */
bool lamb_ignore_glob(const char *pattern, const char *s);

#endif
