/* A directory tree as a build sees it: the sorted list of what goes into an
 * artifact, after the built-in exclusions and .lambignore, with symlinks
 * resolved by one policy. The same list is hashed for the manifest, copied
 * into the build folder and zipped, so the three always agree.
 *
 * Symlinks: a relative link whose target stays inside the root is kept as a
 * link (Lambda unpacks those as links, and node_modules/.bin needs them);
 * any other link is followed and its target stored as a file or directory;
 * a link to nothing outside the root is an error. */
#ifndef LAMB_TREE_H
#define LAMB_TREE_H

#include "base/err.h"
#include "base/util.h"
#include "build/ignore.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct lamb_tree_entry {
	char *path;   /* relative, '/'-separated; owned */
	char *src;    /* absolute path to read (links already followed); owned */
	char *link;   /* target of a kept symlink, else NULL; owned */
	mode_t mode;  /* S_IFREG/S_IFDIR/S_IFLNK | 0644 or 0755 */
	uint64_t size; /* bytes of a file, of the target string of a link */
	struct stat st; /* of src (after following a link): for the hash cache */
};

struct lamb_tree_filter {
	const struct lamb_ignore *ignore; /* may be NULL */
	bool builtin;  /* leave out .git, .lamb, .aws-sam, __pycache__, .lambignore */
	const char *const *names; /* NULL-terminated: more names left out at any depth */
	const char *skip_dir;     /* a directory left out wherever it appears (the build folder) */
	bool no_follow; /* every symlink listed as a link, none followed */
};

/* Embedded: _init/_release. */
struct lamb_tree {
	struct lamb_tree_entry *v;
	size_t len, cap;
	uint64_t bytes; /* sum of sizes: the unzipped size */
	size_t files;   /* files and links */
};

void lamb_tree_init(struct lamb_tree *t);
void lamb_tree_release(struct lamb_tree *t);
/* Lists root (a directory) into t, sorted by path. f may be NULL. */
int lamb_tree_scan(struct lamb_tree *t, const char *root, const struct lamb_tree_filter *f,
		   struct lamb_err *err);
/* Recreates t's entries under dest (an existing directory). */
int lamb_tree_copy(const struct lamb_tree *t, const char *dest, struct lamb_err *err);
/* One regular file, created or truncated, with the permission bits of mode. */
int lamb_tree_copy_file(const char *from, const char *to, mode_t mode, struct lamb_err *err);

/* How the _with copies write files. The defaults (all zero, or NULL) are
 * what a build wants: files replaced, modes exactly the entry's, content as
 * it is. lamb init wants a new project: nothing overwritten, the user's
 * umask obeyed, {{name}} filled in. */
struct lamb_tree_copy_opts {
	bool no_clobber; /* a file that exists already is an error, not replaced */
	bool umask;      /* modes go through the umask, as for any file the user makes */
	/* When set, a file's content is not copied but passed through edit,
	 * which appends what to write instead to out; text is NUL-terminated. */
	void (*edit)(const char *text, size_t len, struct lamb_buf *out, void *data);
	void *data;
};

/* lamb_tree_copy and lamb_tree_copy_file, written as o says. */
int lamb_tree_copy_with(const struct lamb_tree *t, const char *dest, const struct lamb_tree_copy_opts *o,
			struct lamb_err *err);
int lamb_tree_copy_file_with(const char *from, const char *to, mode_t mode, const struct lamb_tree_copy_opts *o,
			     struct lamb_err *err);
/* Removes path and everything below it, never following links. A missing
 * path is not an error. */
int lamb_tree_remove(const char *path, struct lamb_err *err);
/* mkdir -p */
int lamb_tree_mkdirs(const char *path, struct lamb_err *err);

#endif
