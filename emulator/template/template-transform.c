/* The two template-level transforms SAM CLI applies before anything reads
 * the template: AWS::Include (an Fn::Transform whose local Location is
 * parsed and put in its place) and AWS::LanguageExtensions' Fn::ForEach
 * (keys and values repeated over a list). Both walk the tree copying only
 * what changes; a node budget bounds them on alias-heavy documents. */
#include "base/util.h"
#include "template/template.h"
#include "template/transform.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NODES 2000000
#define MAX_INCLUDE_DEPTH 8

/* ---- AWS::Include ---- */

struct includer {
	struct lamb_arena *a;
	const char *dir;
	struct lamb_diags *diags;
	size_t budget;
	unsigned depth;
};

static struct lamb_node *include_walk(struct includer *in, struct lamb_node *n);

/* {Fn::Transform: {Name: AWS::Include, Parameters: {Location: L}}}: L's path, or NULL. */
static const char *include_location(const struct lamb_node *transform)
{
	if (!str_eq(lamb_node_str(lamb_node_get(transform, "Name")), "AWS::Include"))
		return NULL;
	return lamb_node_str(lamb_node_get(lamb_node_get(transform, "Parameters"), "Location"));
}

/* The parsed file, or NULL (said why; a remote one is left to the resolver,
 * which warns that it is not evaluated locally). */
static struct lamb_node *include_file(struct includer *in, const char *loc, const struct lamb_node *at)
{
	if (str_starts(loc, "s3://") || str_starts(loc, "https://") || str_starts(loc, "http://"))
		return NULL;
	if (in->depth >= MAX_INCLUDE_DEPTH) {
		lamb_error(in->diags, &at->mark, "AWS::Include nested more than %d deep", MAX_INCLUDE_DEPTH);
		return NULL;
	}
	cleanup_free char *path = loc[0] == '/' ? xstrdup(loc) : xasprintf("%s/%s", in->dir, loc);
	size_t len;
	cleanup_free char *text = lamb_read_file(path, &len);
	if (!text) {
		lamb_error(in->diags, &at->mark, "AWS::Include: cannot read '%s': %s", path, strerror(errno));
		return NULL;
	}
	struct lamb_node *root = lamb_template_parse(in->a, path, text, len, in->diags);
	if (!root)
		return NULL;
	in->depth++;
	root = include_walk(in, root);
	in->depth--;
	return root;
}

/* A mapping holding Fn::Transform AWS::Include beside other keys gets the
 * included mapping's keys too, as CloudFormation merges them. */
static struct lamb_node *include_in_map(struct includer *in, struct lamb_node *n)
{
	struct lamb_pair *t = lamb_node_find(n, "Fn::Transform");
	const char *loc = t ? include_location(t->value) : NULL;
	struct lamb_node *got = loc ? include_file(in, loc, t->value) : NULL;
	if (!got)
		return n;
	if (n->len == 1)
		return got;
	if (got->kind != LAMB_MAP) {
		lamb_error(in->diags, &t->value->mark, "AWS::Include: '%s' must hold a mapping here", loc);
		return n;
	}
	struct lamb_node *out = lamb_node_map(in->a, n->len - 1 + got->len, &n->mark);
	size_t k = 0;
	for (size_t i = 0; i < n->len; i++)
		if (&n->pairs[i] != t)
			out->pairs[k++] = n->pairs[i];
	for (size_t i = 0; i < got->len; i++)
		out->pairs[k++] = got->pairs[i];
	return out;
}

static struct lamb_node *include_walk(struct includer *in, struct lamb_node *n)
{
	if (!n || n->kind == LAMB_SCALAR || ++in->budget > MAX_NODES)
		return n;
	for (size_t i = 0; n->kind == LAMB_SEQ && i < n->len; i++)
		n->items[i] = include_walk(in, n->items[i]);
	for (size_t i = 0; n->kind == LAMB_MAP && i < n->len; i++)
		n->pairs[i].value = include_walk(in, n->pairs[i].value);
	return n->kind == LAMB_MAP ? include_in_map(in, n) : n;
}

struct lamb_node *lamb_transform_include(struct lamb_arena *a, struct lamb_node *root, const char *dir,
					 struct lamb_diags *diags)
{
	struct includer in = { .a = a, .dir = dir ? dir : ".", .diags = diags };
	return include_walk(&in, root);
}

/* ---- AWS::LanguageExtensions: Fn::ForEach ---- */

struct foreach {
	struct lamb_resolver *r;
	size_t budget;
};

/* s with ${id} replaced by value and &{id} by value without its
 * non-alphanumeric characters (for logical ids). */
static char *substitute(const char *s, const char *id, const char *value)
{
	cleanup_free char *dollar = xasprintf("${%s}", id), *amp = xasprintf("&{%s}", id);
	struct lamb_buf out;
	lamb_buf_init(&out);
	lamb_buf_add(&out, "", 0);
	while (*s) {
		if (str_starts(s, dollar)) {
			lamb_buf_addstr(&out, value);
			s += strlen(dollar);
		} else if (str_starts(s, amp)) {
			for (const char *v = value; *v; v++)
				if (isalnum((unsigned char)*v))
					lamb_buf_add(&out, v, 1);
			s += strlen(amp);
		} else {
			lamb_buf_add(&out, s++, 1);
		}
	}
	return lamb_buf_steal(&out);
}

/* A copy of n with the loop's identifier bound to value: in strings, and
 * {Ref: id} as the value itself. */
static struct lamb_node *bind(struct foreach *fe, const struct lamb_node *n, const char *id, const char *value)
{
	struct lamb_arena *a = fe->r->arena;
	if (++fe->budget > MAX_NODES)
		return (struct lamb_node *)n;
	if (n->kind == LAMB_SCALAR) {
		cleanup_free char *s = substitute(n->str, id, value);
		struct lamb_node *out = lamb_node_scalar(a, s, &n->mark);
		out->quoted = n->quoted;
		out->plain = n->plain && strcmp(s, n->str) == 0;
		return out;
	}
	if (str_eq(lamb_node_intrinsic(n), "Ref") && str_eq(lamb_node_str(n->pairs[0].value), id))
		return lamb_node_scalar(a, value, &n->mark);
	struct lamb_node *out = n->kind == LAMB_SEQ ? lamb_node_seq(a, n->len, &n->mark)
						    : lamb_node_map(a, n->len, &n->mark);
	for (size_t i = 0; i < n->len; i++) {
		if (n->kind == LAMB_SEQ) {
			out->items[i] = bind(fe, n->items[i], id, value);
			continue;
		}
		out->pairs[i].key = bind(fe, n->pairs[i].key, id, value);
		out->pairs[i].value = bind(fe, n->pairs[i].value, id, value);
	}
	return out;
}

static struct lamb_node *expand(struct foreach *fe, struct lamb_node *n);

/* Appends p to map, whose pairs (arena memory) hold *cap. */
static void add_pair(struct lamb_arena *a, struct lamb_node *map, size_t *cap, struct lamb_pair p)
{
	if (map->len == *cap) {
		size_t ncap = *cap ? 2 * *cap : 8;
		struct lamb_pair *np = lamb_arena_alloc(a, ncap * sizeof(*np));
		if (map->len)
			memcpy(np, map->pairs, map->len * sizeof(*np));
		map->pairs = np;
		*cap = ncap;
	}
	map->pairs[map->len++] = p;
}

/* One Fn::ForEach::Name: [Identifier, Collection, {Key: Value}] into out's
 * pairs (grown as needed); its output expanded again for inner loops. */
static void foreach_pairs(struct foreach *fe, const struct lamb_pair *p, struct lamb_node *out, size_t *cap)
{
	const struct lamb_node *v = p->value;
	if (v->kind != LAMB_SEQ || v->len != 3 || !lamb_node_str(v->items[0]) || v->items[2]->kind != LAMB_MAP) {
		lamb_error(fe->r->diags, &v->mark, "%s takes [Identifier, [values...], {OutputKey: OutputValue}]",
			   p->key->str);
		return;
	}
	struct lamb_node *list = lamb_resolve(fe->r, v->items[1]);
	if (!list || list->kind != LAMB_SEQ) {
		if (!(list && list->unknown && fe->r->lenient))
			lamb_error(fe->r->diags, &v->items[1]->mark, "%s's collection must be a list", p->key->str);
		return;
	}
	const char *id = v->items[0]->str;
	for (size_t i = 0; i < list->len; i++) {
		const char *value = lamb_node_str(list->items[i]);
		if (!value) {
			lamb_error(fe->r->diags, &list->items[i]->mark, "%s: collection items must be strings", p->key->str);
			continue;
		}
		struct lamb_node *body = expand(fe, bind(fe, v->items[2], id, value));
		for (size_t j = 0; j < body->len; j++)
			add_pair(fe->r->arena, out, cap, body->pairs[j]);
	}
}

static struct lamb_node *expand_map(struct foreach *fe, struct lamb_node *n)
{
	bool loops = false, changed = false;
	for (size_t i = 0; i < n->len; i++)
		loops |= str_starts(n->pairs[i].key->str, "Fn::ForEach::");
	struct lamb_node *out = lamb_node_map(fe->r->arena, n->len, &n->mark);
	size_t cap = n->len;
	out->len = 0;
	for (size_t i = 0; i < n->len; i++) {
		if (str_starts(n->pairs[i].key->str, "Fn::ForEach::")) {
			foreach_pairs(fe, &n->pairs[i], out, &cap);
			continue;
		}
		struct lamb_node *v = expand(fe, n->pairs[i].value);
		changed |= v != n->pairs[i].value;
		add_pair(fe->r->arena, out, &cap, (struct lamb_pair){ n->pairs[i].key, v });
	}
	return loops || changed ? out : n;
}

static struct lamb_node *expand(struct foreach *fe, struct lamb_node *n)
{
	if (!n || n->kind == LAMB_SCALAR || ++fe->budget > MAX_NODES)
		return n;
	if (n->kind == LAMB_MAP)
		return expand_map(fe, n);
	struct lamb_node *out = NULL;
	for (size_t i = 0; i < n->len; i++) {
		struct lamb_node *v = expand(fe, n->items[i]);
		if (v != n->items[i] && !out) {
			out = lamb_node_seq(fe->r->arena, n->len, &n->mark);
			memcpy(out->items, n->items, n->len * sizeof(*out->items));
		}
		if (out)
			out->items[i] = v;
	}
	return out ? out : n;
}

struct lamb_node *lamb_transform_foreach(struct lamb_resolver *r, struct lamb_node *root)
{
	struct foreach fe = { .r = r };
	return expand(&fe, root);
}
