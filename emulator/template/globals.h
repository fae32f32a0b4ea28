/* SAM's Globals section: which properties each Globals block may hold, and
 * how a global value merges into a resource's own. Internal to liblamb. */
#ifndef LAMB_GLOBALS_H
#define LAMB_GLOBALS_H

#include "template/diag.h"
#include "template/node.h"

/* The resource type a Globals block applies to ("Function" →
 * AWS::Serverless::Function), or NULL for an unknown block. */
const char *lamb_globals_type(const char *block);
/* The properties a Globals block may hold, NULL-ended; NULL for an unknown
 * block. */
const char *const *lamb_globals_props(const char *block);
/* The i-th block name (Function, Api, ...), NULL past the last. */
const char *lamb_globals_block(size_t i);
/* Reports every property of the Globals section that SAM does not allow. */
void lamb_globals_check(const struct lamb_node *globals, struct lamb_diags *diags);
/* The resource's Properties with the block's globals merged in by SAM's
 * rules: the resource's own scalar wins, lists are concatenated (globals
 * first), mappings merge key by key, an intrinsic counts as a scalar.
 * IgnoreGlobals on the resource ("*" or a list of names) is honoured.
 * Returns props itself when nothing merges. */
const struct lamb_node *lamb_globals_merge(struct lamb_arena *a, const struct lamb_node *block,
					   const struct lamb_node *resource,
					   const struct lamb_node *props);

#endif
