/* The resource schemas of `lamb validate` (data/schemas.txt, derived by
 * scripts/derive-schemas): the file is mapped, its index read, and a type's
 * block parsed only when a template uses that type. Internal to validate. */
#ifndef LAMB_VALIDATE_SCHEMA_H
#define LAMB_VALIDATE_SCHEMA_H

#include "base/err.h"

#include <stdbool.h>
#include <stddef.h>

struct lamb_vs_prop {
	const char *name;
	const char *spec; /* see scripts/derive-schemas: "s=3", "[o2]", "i|{*}", ... */
	bool required;
};

struct lamb_vs_shape {
	bool open; /* other keys allowed */
	struct lamb_vs_prop *props;
	size_t nprops;
};

struct lamb_vs_event {
	const char *type; /* Api, S3, ... */
	int shape;        /* of its Properties; -1: unchecked */
};

struct lamb_vs_type {
	const char *name;
	const char **attrs; /* GetAtt attributes; "*" any, "X.*" any under X */
	size_t nattrs;
	const char **enums; /* each "A|B|C" */
	size_t nenums;
	struct lamb_vs_shape *shapes; /* [0]: its Properties */
	size_t nshapes;
	struct lamb_vs_event *events;
	size_t nevents;
};

struct lamb_schemas;

/* Maps the file at path and reads its index; NULL with err when it cannot. */
struct lamb_schemas *lamb_schemas_open(const char *path, struct lamb_err *err);
void lamb_schemas_close(struct lamb_schemas *s);
/* The type's schema, parsed on first use; NULL for a type the file lacks. */
const struct lamb_vs_type *lamb_schemas_type(struct lamb_schemas *s, const char *name);
/* Every type name, sorted (for "did you mean"). */
const char *const *lamb_schemas_names(const struct lamb_schemas *s, size_t *n);
/* The header's "# source:" line, without the "# ". */
const char *lamb_schemas_source(const struct lamb_schemas *s);

#endif
