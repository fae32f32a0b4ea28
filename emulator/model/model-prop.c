/* The model builder's property readers: a template value read as the kind
 * the model wants, a wrong kind reported at its mark, paths made absolute,
 * a resource's properties after Globals and intrinsics. Shared by every
 * model-*.c file; it calls none of them. */
#include "base/util.h"
#include "model/model-build.h"
#include "template/globals.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *prop_str(struct builder *b, const struct lamb_node *props, const char *key)
{
	const struct lamb_node *v = lamb_node_get(props, key);
	if (!v || v->unknown)
		return NULL;
	if (v->kind != LAMB_SCALAR) {
		lamb_error(b->diags, &v->mark, "%s must be a string, not %s", key, lamb_node_kind_name(v));
		return NULL;
	}
	return v->str;
}

const struct lamb_node *prop_kind(struct builder *b, const struct lamb_node *props,
				  const char *key, enum lamb_node_kind kind)
{
	const struct lamb_node *v = lamb_node_get(props, key);
	if (!v || v->kind == kind)
		return v;
	if (kind == LAMB_MAP && lamb_node_is_null(v))
		return NULL;
	struct lamb_node want = { .kind = kind };
	lamb_error(b->diags, &v->mark, "%s must be %s, not %s", key, lamb_node_kind_name(&want),
		   lamb_node_kind_name(v));
	return NULL;
}

long prop_long(struct builder *b, const struct lamb_node *props, const char *key, long def,
	       long min, long max)
{
	const struct lamb_node *v = lamb_node_get(props, key);
	long n;
	if (!v || v->unknown)
		return def;
	if (!lamb_node_long(v, &n)) {
		lamb_error(b->diags, &v->mark, "%s must be a whole number, not '%s'", key,
			   v->kind == LAMB_SCALAR ? v->str : lamb_node_kind_name(v));
		return def;
	}
	if ((n < min || n > max) && b->r.lenient) {
		/* as SAM CLI runs SAM's own test templates with Timeout: 0 */
		lamb_warning(b->diags, &v->mark, "%s %ld is out of range (%ld to %ld); lamb takes the default "
			     "here (lamb validate and AWS refuse it)", key, n, min, max);
		return def;
	}
	if (n < min || n > max) {
		lamb_error(b->diags, &v->mark, "%s %ld is out of range (%ld to %ld)", key, n, min, max);
		return def;
	}
	return n;
}

struct lamb_strs prop_strs(struct builder *b, const struct lamb_node *props, const char *key)
{
	struct lamb_strs out = { 0 };
	const struct lamb_node *v = lamb_node_get(props, key);
	if (v && v->kind == LAMB_SCALAR) { /* one value where a list is expected */
		out.v = lamb_arena_alloc(b->a, sizeof(*out.v));
		out.v[out.len++] = v->str;
		return out;
	}
	v = prop_kind(b, props, key, LAMB_SEQ);
	if (!v)
		return out;
	out.v = lamb_arena_alloc(b->a, v->len * sizeof(*out.v));
	for (size_t i = 0; i < v->len; i++) {
		if (v->items[i]->kind != LAMB_SCALAR)
			lamb_error(b->diags, &v->items[i]->mark, "%s must be a list of strings", key);
		else
			out.v[out.len++] = v->items[i]->str;
	}
	return out;
}

struct lamb_kvs prop_kvs(struct builder *b, const struct lamb_node *props, const char *key)
{
	struct lamb_kvs out = { 0 };
	const struct lamb_node *v = prop_kind(b, props, key, LAMB_MAP);
	if (!v)
		return out;
	out.v = lamb_arena_alloc(b->a, v->len * sizeof(*out.v));
	for (size_t i = 0; i < v->len; i++) {
		const struct lamb_pair *p = &v->pairs[i];
		if (p->value->kind != LAMB_SCALAR) {
			lamb_error(b->diags, &p->value->mark, "%s '%s' must be a string, not %s", key,
				   p->key->str, lamb_node_kind_name(p->value));
			continue;
		}
		out.v[out.len].key = p->key->str;
		out.v[out.len].value = p->value->str;
		out.len++;
	}
	return out;
}

/* Lexical normalisation: no "." or empty segments, ".." folded, no trailing
 * slash. Symlinks are kept as the user wrote them. */
static void normalise(char *path)
{
	char *out = path, *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		char *seg = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, len);
		out += len;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

const char *model_path(struct builder *b, const char *path)
{
	char *joined = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", b->m->dir, path);
	normalise(joined);
	const char *out = lamb_arena_strdup(b->a, joined);
	free(joined);
	return out;
}

const struct lamb_node *resolved_props(struct builder *b, const struct lamb_res_entry *e,
				       const char *globals_block)
{
	const struct lamb_node *props = lamb_node_get(e->node, "Properties");
	if (props && props->kind != LAMB_MAP && !lamb_node_is_null(props)) {
		lamb_error(b->diags, &props->mark, "Properties of '%s' must be a mapping", e->id);
		props = NULL;
	}
	if (lamb_node_is_null(props))
		props = NULL;
	if (globals_block && b->globals)
		props = lamb_globals_merge(b->a, lamb_node_get(b->globals, globals_block), e->node, props);
	struct lamb_node *v = props ? lamb_resolve(&b->r, props) : NULL;
	return v && v->kind == LAMB_MAP ? v : lamb_node_map(b->a, 0, &e->node->mark);
}

const char *prop_text(struct builder *b, const struct lamb_node *props, const char *key)
{
	const struct lamb_node *v = lamb_node_get(props, key);
	if (v && v->unknown)
		return "";
	return prop_str(b, props, key);
}

bool prop_bool(struct builder *b, const struct lamb_node *props, const char *key, bool def)
{
	const struct lamb_node *v = lamb_node_get(props, key);
	bool on = def;
	if (v && !v->unknown && !lamb_node_is_null(v) && !lamb_node_bool(v, &on))
		lamb_error(b->diags, &v->mark, "%s must be true or false, not '%s'", key,
			   v->kind == LAMB_SCALAR ? v->str : lamb_node_kind_name(v));
	return on;
}

/* The request parameter an integration's requestParameters map to
 * X-Amz-Tenant-Id, which Lambda's Invoke API takes for a tenant-isolated
 * function (tenant-isolation-invoke.md: API Gateway REST APIs map a client
 * header, query string or path parameter to it); NULL when none. */
const char *model_tenant_source(const struct lamb_node *params)
{
	static const char key[] = "integration.request.header.X-Amz-Tenant-Id";
	for (size_t i = 0; params && params->kind == LAMB_MAP && i < params->len; i++)
		if (strcasecmp(params->pairs[i].key->str, key) == 0)
			return lamb_node_str(params->pairs[i].value);
	return NULL;
}
