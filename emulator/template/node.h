/* The document tree a template is loaded into: scalars, sequences and
 * mappings, each with the file:line:column it came from. Every node lives in
 * an arena owned by the template, so aliases may share nodes and the resolver
 * may build new ones without tracking ownership. Scalars stay strings: what a
 * value means (number, boolean, date) is decided by whoever reads it, as
 * CloudFormation does. */
#ifndef LAMB_NODE_H
#define LAMB_NODE_H

#include <stdbool.h>
#include <stddef.h>

struct lamb_mark {
	const char *file; /* owned by the arena */
	unsigned line;    /* 1-based; 0 when unknown */
	unsigned col;     /* 1-based */
};

enum lamb_node_kind {
	LAMB_SCALAR,
	LAMB_SEQ,
	LAMB_MAP,
};

struct lamb_pair;

struct lamb_node {
	enum lamb_node_kind kind;
	struct lamb_mark mark;
	bool quoted;              /* scalar written in quotes: never a number or boolean */
	bool plain;               /* scalar written unquoted in the file (not computed):
				   * Fn::ToJsonString writes it as a JSON number or boolean */
	char *str;                /* LAMB_SCALAR */
	size_t len;               /* items (LAMB_SEQ) or pairs (LAMB_MAP) */
	struct lamb_node **items; /* LAMB_SEQ */
	struct lamb_pair *pairs;  /* LAMB_MAP, in document order */
	bool unknown;             /* the resolver could not compute it and has
				   * said so: readers skip their own checks */
	const char *ref;          /* set by the resolver on the value of a Ref to a
				   * resource: that resource's logical id */
};

struct lamb_pair {
	struct lamb_node *key; /* always a scalar */
	struct lamb_node *value;
};

/* A bump allocator; everything is freed at once by lamb_arena_free. */
struct lamb_arena;

struct lamb_arena *lamb_arena_new(void);
void lamb_arena_free(struct lamb_arena *a);
void *lamb_arena_alloc(struct lamb_arena *a, size_t n); /* zeroed */
char *lamb_arena_strdup(struct lamb_arena *a, const char *s);
char *lamb_arena_strndup(struct lamb_arena *a, const char *s, size_t n);

struct lamb_node *lamb_node_scalar(struct lamb_arena *a, const char *s, const struct lamb_mark *m);
struct lamb_node *lamb_node_seq(struct lamb_arena *a, size_t len, const struct lamb_mark *m);
struct lamb_node *lamb_node_map(struct lamb_arena *a, size_t len, const struct lamb_mark *m);

/* Value for key in a mapping, or NULL (also when node is not a mapping). */
struct lamb_node *lamb_node_get(const struct lamb_node *map, const char *key);
struct lamb_pair *lamb_node_find(const struct lamb_node *map, const char *key);
/* The scalar's string, or NULL when node is NULL or not a scalar. */
const char *lamb_node_str(const struct lamb_node *node);
/* A mapping of exactly one key that names an intrinsic function
 * ("Ref", "Condition" or "Fn::..."): that key; else NULL. */
const char *lamb_node_intrinsic(const struct lamb_node *node);
/* A plain YAML scalar that reads as true/false (CloudFormation's spellings). */
bool lamb_node_bool(const struct lamb_node *node, bool *out);
/* A scalar that is a whole decimal number; false otherwise. */
bool lamb_node_long(const struct lamb_node *node, long *out);
bool lamb_node_is_null(const struct lamb_node *node);
const char *lamb_node_kind_name(const struct lamb_node *node);
/* Whether walking node visits at most budget nodes, none deeper than
 * max_depth: false for a self-referencing alias (a cycle, which the
 * loader keeps shared) or an alias bomb. A walker without bounds of its
 * own asks this first. */
bool lamb_node_bounded(const struct lamb_node *node, unsigned max_depth, size_t budget);

#endif
