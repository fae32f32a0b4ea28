/* Template-level transforms applied before the model reads the template:
 * AWS::Include and AWS::LanguageExtensions' Fn::ForEach. Internal to
 * liblamb: the model is their only user. */
#ifndef LAMB_TRANSFORM_H
#define LAMB_TRANSFORM_H

#include "template/diag.h"
#include "template/node.h"
#include "template/resolve.h"

/* Every {Fn::Transform: {Name: AWS::Include, Parameters: {Location: L}}}
 * with a local L (relative to dir) replaced by L's parsed content, or, in
 * a mapping with other keys, merged into it. Remote locations are left as
 * written. Returns the root (changed in place). */
struct lamb_node *lamb_transform_include(struct lamb_arena *a, struct lamb_node *root, const char *dir,
					 struct lamb_diags *diags);
/* Every Fn::ForEach::Name key expanded over its collection (resolved with
 * r: parameters must be set). Returns root itself when there is none,
 * else a copy sharing what did not change. */
struct lamb_node *lamb_transform_foreach(struct lamb_resolver *r, struct lamb_node *root);

#endif
