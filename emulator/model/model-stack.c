/* Nested stacks: AWS::Serverless::Application and AWS::CloudFormation::Stack
 * whose Location / TemplateURL is a local file are built as models of their
 * own (same arena, same diagnostics, same load options), with their
 * Parameters passed down and their Outputs answering GetAtt Child.Outputs.X.
 * Once the parent is built, their functions, layers, APIs, routes and
 * resources join the parent's with ids "Child/Id", as SAM CLI addresses
 * them. A remote location (SAR, S3, https) is warned about and skipped. */
#include "base/util.h"
#include "model/model-build.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Deeper than SAM's own tests go; a template that includes itself stops here. */
#define MAX_NESTING 8

static bool is_app(const struct lamb_res_entry *e)
{
	return strcmp(e->type, "AWS::Serverless::Application") == 0;
}

static bool is_stack(const struct lamb_res_entry *e)
{
	return is_app(e) || strcmp(e->type, "AWS::CloudFormation::Stack") == 0;
}

static bool is_remote(const char *s)
{
	return str_starts(s, "s3://") || str_starts(s, "https://") || str_starts(s, "http://");
}

/* The child template's absolute path, or NULL (said why, when it matters). */
static const char *stack_location(struct builder *b, const struct lamb_res_entry *e,
				  const struct lamb_node *props)
{
	const char *key = is_app(e) ? "Location" : "TemplateURL";
	const struct lamb_node *loc = lamb_node_get(props, key);
	const struct lamb_mark *at = loc ? &loc->mark : &lamb_node_get(e->node, "Type")->mark;
	if (!loc) {
		lamb_error(b->diags, at, "nested stack '%s' has no %s", e->id, key);
		return NULL;
	}
	if (loc->unknown)
		return NULL; /* warned where it is */
	if (loc->kind == LAMB_MAP) {
		lamb_warning(b->diags, at, "nested application '%s' comes from the Serverless Application "
			     "Repository; lamb skips it (give a local Location to run its functions)", e->id);
		return NULL;
	}
	if (!lamb_node_str(loc)) {
		lamb_error(b->diags, at, "%s of '%s' must be a path or a URL", key, e->id);
		return NULL;
	}
	if (is_remote(loc->str)) {
		lamb_warning(b->diags, at, "nested stack '%s' is remote ('%s'); lamb skips it (give a local "
			     "path to run its functions)", e->id, loc->str);
		return NULL;
	}
	const char *path = model_path(b, loc->str);
	if (access(path, R_OK) != 0) {
		lamb_warning(b->diags, at, "cannot read the template of nested stack '%s': '%s'; lamb skips it",
			     e->id, path);
		return NULL;
	}
	return path;
}

/* Parameters: {Name: value} as the child's overrides; a list joins with ','. */
static struct lamb_overrides *child_params(struct builder *b, const struct lamb_node *props)
{
	const struct lamb_node *ps = prop_kind(b, props, "Parameters", LAMB_MAP);
	struct lamb_overrides *o = lamb_arena_alloc(b->a, sizeof(*o));
	o->v = lamb_arena_alloc(b->a, (ps ? ps->len : 0) * sizeof(*o->v));
	for (size_t i = 0; ps && i < ps->len; i++) {
		const struct lamb_node *v = ps->pairs[i].value;
		if (v->unknown)
			continue; /* lenient: the child's parameter goes without a value too */
		struct lamb_buf joined;
		lamb_buf_init(&joined);
		lamb_buf_add(&joined, "", 0);
		for (size_t j = 0; v->kind == LAMB_SEQ && j < v->len; j++)
			lamb_buf_addf(&joined, "%s%s", j ? "," : "", lamb_node_str(v->items[j]) ? v->items[j]->str : "");
		if (v->kind == LAMB_MAP)
			lamb_error(b->diags, &v->mark, "nested stack parameter '%s' must be a string or a list",
				   ps->pairs[i].key->str);
		else
			o->v[o->len++] = (struct lamb_kv){ ps->pairs[i].key->str,
							   lamb_arena_strdup(b->a, v->kind == LAMB_SEQ ? joined.data : v->str) };
		lamb_buf_release(&joined);
	}
	return o;
}

/* path as the user would type it: relative to the current directory when
 * it is under it, so that a child's diagnostics read like the parent's. */
static const char *display_path(const char *path)
{
	char cwd[PATH_MAX];
	size_t n = getcwd(cwd, sizeof(cwd)) ? strlen(cwd) : 0;
	if (n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

static void load_stack(struct builder *b, struct lamb_res_entry *e)
{
	const struct lamb_node *props = resolved_props(b, e, NULL);
	const char *path = stack_location(b, e, props);
	if (!path)
		return;
	if (b->depth + 1 >= MAX_NESTING) {
		lamb_error(b->diags, &lamb_node_get(e->node, "Type")->mark, "nested stack '%s' is more than %d "
			   "levels deep (does a template include itself?)", e->id, MAX_NESTING);
		return;
	}
	struct lamb_model_opts o = b->opts ? *b->opts : (struct lamb_model_opts){ 0 };
	o.overrides = child_params(b, props);
	o.region = b->m->region;
	struct lamb_model *child = model_build_file(b->a, display_path(path), &o, b->depth + 1, b->diags);
	if (!child)
		return;
	e->outputs = child->outputs;
	b->stacks[b->nstacks++] = (struct nested_stack){ e->id, child };
}

void build_stacks(struct builder *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->r.nresources; i++)
		n += is_stack(&b->r.resources[i]);
	b->stacks = lamb_arena_alloc(b->a, n * sizeof(*b->stacks));
	for (size_t i = 0; i < b->r.nresources; i++)
		if (is_stack(&b->r.resources[i]) && !b->skip[i])
			load_stack(b, &b->r.resources[i]);
}

bool stack_note(struct builder *b, const struct lamb_res_entry *e, bool *local, const char **note)
{
	if (!is_stack(e))
		return false;
	*local = false;
	*note = "nested stack lamb cannot load (remote or unreadable); skipped";
	for (size_t i = 0; i < b->nstacks; i++)
		if (strcmp(b->stacks[i].id, e->id) == 0) {
			*local = true;
			*note = "nested stack: its resources are listed as Id/...";
		}
	return true;
}

/* ---- merging a child into its parent ---- */

/* Two arrays of one element type made one: where a pointer into either
 * old array lands in the new one. */
struct joined {
	uintptr_t parent, child; /* the old arrays */
	size_t np, nc, size;
	char *out;
};

static void *join(struct builder *b, struct joined *j, const void *parent, size_t np, const void *child,
		  size_t nc, size_t size)
{
	*j = (struct joined){ (uintptr_t)parent, (uintptr_t)child, np, nc, size, NULL };
	j->out = lamb_arena_alloc(b->a, (np + nc) * size + 1);
	if (np)
		memcpy(j->out, parent, np * size);
	if (nc)
		memcpy(j->out + np * size, child, nc * size);
	return j->out;
}

static void *moved(const struct joined *j, const void *p)
{
	uintptr_t u = (uintptr_t)p;
	if (p && u >= j->parent && u < j->parent + j->np * j->size)
		return j->out + (u - j->parent);
	if (p && u >= j->child && u < j->child + j->nc * j->size)
		return j->out + j->np * j->size + (u - j->child);
	return (void *)p;
}

static const char *prefixed(struct builder *b, const char *stack, const char *id)
{
	cleanup_free char *s = xasprintf("%s/%s", stack, id);
	return lamb_arena_strdup(b->a, s);
}

/* Every pointer between functions, layers, APIs and routes, re-aimed. */
static void fix_pointers(struct lamb_model *m, const struct joined *fj, const struct joined *lj,
			 const struct joined *aj)
{
	for (size_t i = 0; i < m->nfunctions; i++)
		for (size_t k = 0; k < m->functions[i].nlayers; k++)
			m->functions[i].layers[k].layer = moved(lj, m->functions[i].layers[k].layer);
	for (size_t i = 0; i < m->napis; i++)
		for (size_t k = 0; k < m->apis[i].nauthorizers; k++)
			m->apis[i].authorizers[k].function = moved(fj, m->apis[i].authorizers[k].function);
	for (size_t i = 0; i < m->nroutes; i++) {
		m->routes[i].function = moved(fj, m->routes[i].function);
		m->routes[i].api = moved(aj, m->routes[i].api);
	}
}

static void merge_one(struct builder *b, const struct nested_stack *s)
{
	struct lamb_model *m = b->m, *c = s->m;
	struct joined fj, lj, aj, rj, xj;
	size_t pf = m->nfunctions, pl = m->nlayers, pa = m->napis, px = m->nresources;
	m->functions = join(b, &fj, m->functions, m->nfunctions, c->functions, c->nfunctions, sizeof(*m->functions));
	m->layers = join(b, &lj, m->layers, m->nlayers, c->layers, c->nlayers, sizeof(*m->layers));
	m->apis = join(b, &aj, m->apis, m->napis, c->apis, c->napis, sizeof(*m->apis));
	m->routes = join(b, &rj, m->routes, m->nroutes, c->routes, c->nroutes, sizeof(*m->routes));
	m->resources = join(b, &xj, m->resources, m->nresources, c->resources, c->nresources, sizeof(*m->resources));
	m->nfunctions += c->nfunctions;
	m->nlayers += c->nlayers;
	m->napis += c->napis;
	m->nroutes += c->nroutes;
	m->nresources += c->nresources;
	for (size_t i = pf; i < m->nfunctions; i++) {
		struct lamb_function *f = &m->functions[i];
		f->logical_id = prefixed(b, s->id, f->logical_id);
		f->stack = f->stack ? prefixed(b, s->id, f->stack) : s->id;
	}
	for (size_t i = pl; i < m->nlayers; i++) {
		struct lamb_layer *l = &m->layers[i];
		l->logical_id = prefixed(b, s->id, l->logical_id);
		l->stack = l->stack ? prefixed(b, s->id, l->stack) : s->id;
	}
	for (size_t i = pa; i < m->napis; i++)
		m->apis[i].logical_id = prefixed(b, s->id, m->apis[i].logical_id);
	for (size_t i = px; i < m->nresources; i++)
		m->resources[i].logical_id = prefixed(b, s->id, m->resources[i].logical_id);
	fix_pointers(m, &fj, &lj, &aj);
}

/* The child's compiled expressions now belong to the parent's list. */
static void adopt_regexes(struct lamb_model *m, struct lamb_model *c)
{
	for (size_t i = 0; i < c->nregexes; i++) {
		m->regexes = xgrow(m->regexes, &m->regexes_cap, m->nregexes + 1, sizeof(*m->regexes));
		m->regexes[m->nregexes++] = c->regexes[i];
	}
	free(c->regexes);
	c->regexes = NULL;
	c->nregexes = 0;
}

void merge_stacks(struct builder *b)
{
	for (size_t i = 0; i < b->nstacks; i++) {
		merge_one(b, &b->stacks[i]);
		adopt_regexes(b->m, b->stacks[i].m);
	}
}
