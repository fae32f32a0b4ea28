/* The code and layers of a function as directories an instance can use:
 * a local directory as it is, a .zip extracted (libarchive) into a private
 * temporary directory, InlineCode written to index.py / index.js there.
 * Layers given as an ARN cannot be fetched offline: a map ARN -> local
 * directory (--layer-dir) supplies them, else it is an error saying so.
 * lamb_code_init may run on a worker thread (pool.c prepares there): it
 * touches nothing shared but the merge below, which takes a lock. */
#ifndef LAMB_CODE_H
#define LAMB_CODE_H

#include "base/err.h"
#include "model/model.h"

#include <stddef.h>

/* Everything owned; _init/_release (which removes the temporary files). */
struct lamb_code {
	char *dir;          /* the code directory */
	char **layers;      /* layer directories in the function's order */
	size_t nlayers;
	char *tmp;          /* temporary directory to remove, or NULL */
	char *merged;       /* the merged layers, under tmp, or NULL */
};

/* The errors of lamb_code_init that need no disk work beyond a stat (no
 * local code, a layer in S3 or by ARN without --layer-dir, a path that is
 * neither a directory nor a .zip), for callers that must answer at once. */
int lamb_code_check(const struct lamb_function *fn, const struct lamb_kvs *layer_dirs, struct lamb_err *err);
/* layer_dirs: ARN=PATH pairs for layers given by ARN (may be NULL). */
int lamb_code_init(struct lamb_code *c, const struct lamb_function *fn, const struct lamb_kvs *layer_dirs,
		   struct lamb_err *err);
void lamb_code_release(struct lamb_code *c);

/* Extracts the zip at path into the existing directory dir. */
int lamb_code_unzip(const char *path, const char *dir, struct lamb_err *err);

/* Removes the temporary directories of lambs that are gone (killed by
 * SIGKILL: any other end removes its own). */
void lamb_code_sweep_stale(void);

/* The temporary directory of c, made on first use; NULL with err. */
const char *lamb_code_tmpdir(struct lamb_code *c, struct lamb_err *err);
/* Merges the layers into one directory under the temporary directory,
 * in order, later ones replacing files of earlier ones (hard links where
 * possible, else copies). Returns its path (owned by c) or NULL with err. */
const char *lamb_code_merge_layers(struct lamb_code *c, struct lamb_err *err);

#endif
