/* The intrinsic-function resolver: turns a template subtree into a plain
 * tree with every Ref, Fn::* and Condition evaluated against parameters,
 * pseudo parameters, conditions and the template's resources. Internal to
 * liblamb: the model is its only user. */
#ifndef LAMB_RESOLVE_H
#define LAMB_RESOLVE_H

#include "template/diag.h"
#include "template/node.h"

#include <stdbool.h>

/* What Ref and GetAtt need to know about one resource. */
struct lamb_res_entry {
	const char *id;
	const char *type;
	const struct lamb_node *node; /* the resource's mapping */
	const char *ref;              /* value of Ref (function name, layer ARN, or the id) */
	const char *arn;              /* value of GetAtt .Arn, or NULL */
	const struct lamb_node *outputs; /* a nested stack's resolved Outputs
					  * (name: value), for GetAtt Id.Outputs.Name */
};

struct lamb_param_value {
	const char *name;
	struct lamb_node *value; /* scalar, or sequence for list types; NULL: none */
};

struct lamb_resolver {
	struct lamb_arena *arena;
	struct lamb_diags *diags;
	const struct lamb_node *mappings;   /* may be NULL */
	const struct lamb_node *conditions; /* may be NULL */
	struct lamb_param_value *params;
	size_t nparams;
	struct lamb_res_entry *resources;
	size_t nresources;
	const char *region, *account_id, *stack_name, *partition, *url_suffix;
	bool lenient; /* local commands: a dangling Ref, GetAtt or Sub variable, or an
		       * Fn::ImportValue, is a warning and its value stays unresolved
		       * (unknown, its name as text), as SAM CLI serves the rest */
	/* private */
	const struct lamb_res_entry **by_id; /* resources sorted by id (lamb_resolve_index) */
	struct cond_state *conds;
	size_t nconds;
	size_t budget; /* nodes produced; bounds alias bombs */
	unsigned depth;
	bool exhausted;
};

/* Returns the resolved copy of node, or NULL when it resolves to
 * AWS::NoValue. Problems go to r->diags; an unresolvable piece becomes an
 * empty string so that one mistake is reported once. */
struct lamb_node *lamb_resolve(struct lamb_resolver *r, const struct lamb_node *node);
/* Evaluates the named condition; an unknown name is reported at m. */
bool lamb_resolve_condition(struct lamb_resolver *r, const char *name, const struct lamb_mark *m);
/* Whether id names a resource of the template or one SAM generates from it
 * (ServerlessRestApi, <Function>Role, ...). */
bool lamb_resolve_known_id(const struct lamb_resolver *r, const char *id);
const struct lamb_res_entry *lamb_resolve_resource(const struct lamb_resolver *r, const char *id);
/* Indexes the resource table for lookups by id; call once it is complete. */
void lamb_resolve_index(struct lamb_resolver *r);

#endif
