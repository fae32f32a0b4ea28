/* The build manifest (.lamb/build/manifest.json): for each artifact, the
 * hash of everything its build read (the inputs' paths, sizes and contents,
 * the build method, the tool that ran it) and what came out. An artifact
 * whose inputs hash to the recorded key is not rebuilt. */
#ifndef LAMB_MANIFEST_H
#define LAMB_MANIFEST_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

struct lamb_manifest_entry {
	char *id;     /* logical id; owned */
	char *key;    /* hex hash of the inputs; owned */
	char *method; /* build method as chosen; owned */
	uint64_t zipped, unzipped; /* sizes in bytes */
	uint64_t files;
};

/* Embedded: _init/_release. Entries are kept sorted by id, so the file
 * written is the same for the same contents. */
struct lamb_manifest {
	struct lamb_manifest_entry *v;
	size_t len, cap;
};

void lamb_manifest_init(struct lamb_manifest *m);
void lamb_manifest_release(struct lamb_manifest *m);
/* Reads path. A missing file, or one from another version of lamb or not
 * JSON at all, gives an empty manifest: everything is rebuilt. */
int lamb_manifest_load(struct lamb_manifest *m, const char *path, struct lamb_err *err);
/* Writes path through a temporary file and a rename. */
int lamb_manifest_save(const struct lamb_manifest *m, const char *path, struct lamb_err *err);
/* The entry for id, or NULL. Borrowed: valid until the next set/remove. */
const struct lamb_manifest_entry *lamb_manifest_get(const struct lamb_manifest *m, const char *id);
/* Adds or replaces the entry for e->id (copied). */
void lamb_manifest_set(struct lamb_manifest *m, const struct lamb_manifest_entry *e);
void lamb_manifest_remove(struct lamb_manifest *m, const char *id);

#endif
