/* Loading a template file (YAML or JSON) into the document tree, with
 * CloudFormation's short tags turned into their long forms (`!Ref X` becomes
 * {Ref: X}, `!GetAtt A.B` becomes {Fn::GetAtt: [A, B]}), so that nothing
 * after the loader has to know YAML tags exist. */
#ifndef LAMB_TEMPLATE_H
#define LAMB_TEMPLATE_H

#include "template/diag.h"
#include "template/node.h"

/* Parses text (len bytes) named file. Returns the root node allocated in a,
 * or NULL after adding the parse error (with libyaml's position) to diags.
 * Problems that do not stop the load (an unknown tag, a duplicate key) are
 * added to diags too. */
struct lamb_node *lamb_template_parse(struct lamb_arena *a, const char *file, const char *text,
				      size_t len, struct lamb_diags *diags);

#endif
