/* Building the model: sections, the resource table, and the order in which
 * the rest is resolved. Parameters are read in model-params.c, functions,
 * layers and APIs in model-function.c and model-api.c, all with the property
 * readers of model-prop.c. */
#include "base/regex.h"
#include "base/util.h"
#include "model/model-build.h"
#include "template/globals.h"
#include "template/template.h"
#include "template/transform.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const model_sections[] = {
	"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings",
	"Conditions", "Transform", "Resources", "Outputs", "Globals", "Hooks", NULL,
};

/* CloudFormation's resource attributes, SAM's two, and the two CloudFormation
 * takes without documenting them (Description, the legacy Version). */
const char *const model_resource_keys[] = {
	"Type", "Properties", "Condition", "DependsOn", "Metadata", "DeletionPolicy",
	"UpdateReplacePolicy", "UpdatePolicy", "CreationPolicy", "IgnoreGlobals", "Connectors", "Description",
	"Version", NULL,
};

/* ---- resources ---- */

static void check_resource_keys(struct builder *b, const struct lamb_node *res)
{
	for (size_t i = 0; i < res->len; i++) {
		const char *k = res->pairs[i].key->str;
		size_t j = 0;
		while (model_resource_keys[j] && strcmp(model_resource_keys[j], k) != 0)
			j++;
		if (!model_resource_keys[j])
			lamb_warning(b->diags, &res->pairs[i].key->mark, "unknown resource attribute '%s'", k);
	}
}

static bool has_transform(const struct lamb_node *root, const char *prefix);

/* DeletionPolicy and UpdateReplacePolicy may be intrinsics (a Ref to a
 * parameter, Fn::If) under AWS::LanguageExtensions: evaluated and checked. */
static void check_policies(struct builder *b, const struct lamb_node *res)
{
	static const char *const keys[] = { "DeletionPolicy", "UpdateReplacePolicy" };
	static const char *const values[] = { "Delete", "Retain", "RetainExceptOnCreate", "Snapshot" };
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct lamb_node *v = lamb_node_get(res, keys[i]);
		if (!v || !lamb_node_intrinsic(v))
			continue;
		if (!has_transform(b->root, "AWS::LanguageExtensions")) {
			lamb_warning(b->diags, &v->mark, "%s takes an intrinsic function only with "
				     "'Transform: AWS::LanguageExtensions'", keys[i]);
			continue;
		}
		const struct lamb_node *r = lamb_resolve(&b->r, v);
		const char *s = lamb_node_str(r);
		size_t j = 0;
		while (s && j < ARRAY_SIZE(values) && strcmp(values[j], s) != 0)
			j++;
		if (s && !r->unknown && j == ARRAY_SIZE(values))
			lamb_error(b->diags, &v->mark, "%s must be Delete, Retain, RetainExceptOnCreate or "
				   "Snapshot, not '%s'", keys[i], s);
	}
}

static void build_resource_table(struct builder *b)
{
	const struct lamb_node *rs = lamb_node_get(b->root, "Resources");
	if (!rs) {
		struct lamb_mark m = { b->m->path, 1, 1 };
		lamb_error(b->diags, &m, "template has no Resources section");
		return;
	}
	if (rs->kind != LAMB_MAP) {
		lamb_error(b->diags, &rs->mark, "Resources must be a mapping of logical ids to resources");
		return;
	}
	b->r.resources = lamb_arena_alloc(b->a, rs->len * sizeof(*b->r.resources));
	b->skip = lamb_arena_alloc(b->a, rs->len * sizeof(*b->skip));
	for (size_t i = 0; i < rs->len; i++) {
		const struct lamb_pair *p = &rs->pairs[i];
		const struct lamb_node *res = p->value;
		if (res->kind != LAMB_MAP) {
			lamb_error(b->diags, &res->mark, "resource '%s' must be a mapping with a Type", p->key->str);
			continue;
		}
		const struct lamb_node *type = lamb_node_get(res, "Type");
		if (!type || type->kind != LAMB_SCALAR || !*type->str) {
			lamb_error(b->diags, type ? &type->mark : &p->key->mark, "resource '%s' has no Type",
				   p->key->str);
			continue;
		}
		check_resource_keys(b, res);
		struct lamb_res_entry *e = &b->r.resources[b->r.nresources++];
		e->id = p->key->str;
		e->type = type->str;
		e->node = res;
	}
	lamb_resolve_index(&b->r);
	/* Conditions need the table (a condition may Ref a parameter only, but
	 * the resolver looks everything up the same way). */
	for (size_t i = 0; i < b->r.nresources; i++) {
		const struct lamb_node *c = lamb_node_get(b->r.resources[i].node, "Condition");
		if (c && lamb_node_str(c))
			b->skip[i] = !lamb_resolve_condition(&b->r, c->str, &c->mark);
		else if (c)
			lamb_error(b->diags, &c->mark, "a resource's Condition must name a condition");
		check_policies(b, b->r.resources[i].node);
	}
}

/* Functions and layers were built in resource order, skipping the same
 * resources: walking them with cursors keeps this linear. */
static void build_resource_list(struct builder *b)
{
	struct lamb_model *m = b->m;
	size_t fi = 0, li = 0;
	m->resources = lamb_arena_alloc(b->a, b->r.nresources * sizeof(*m->resources));
	for (size_t i = 0; i < b->r.nresources; i++) {
		if (b->skip[i])
			continue;
		struct lamb_resource *r = &m->resources[m->nresources++];
		const struct lamb_res_entry *e = &b->r.resources[i];
		r->logical_id = e->id;
		r->type = e->type;
		const struct lamb_function *f = fi < m->nfunctions && m->functions[fi].logical_id == e->id ?
							&m->functions[fi++] : NULL;
		const struct lamb_layer *l = li < m->nlayers && m->layers[li].logical_id == e->id ?
						     &m->layers[li++] : NULL;
		if (f) {
			r->local = !f->local_reason;
			r->note = f->local_reason ? f->local_reason : "runs with lamb local invoke";
		} else if (l) {
			r->local = l->code_kind == LAMB_CODE_LOCAL;
			r->note = r->local ? "laid out under /opt for its functions"
					   : "content is in S3; give a local ContentUri to use it";
		} else if (strcmp(e->type, "AWS::Serverless::Api") == 0 ||
			   strcmp(e->type, "AWS::Serverless::HttpApi") == 0) {
			r->local = true;
			r->note = "served by lamb local start-api";
		} else if (stack_note(b, e, &r->local, &r->note)) {
			/* a nested stack: noted */
		} else if ((r->note = cfnapi_note(e->type)) || (r->note = source_note(e->type))) {
			r->local = true;
		} else {
			r->local = false;
			r->note = "not emulated; kept as written";
		}
	}
}

/* Whether the template's Transform (one name or a list) names one starting with prefix. */
static bool has_transform(const struct lamb_node *root, const char *prefix)
{
	const struct lamb_node *tr = lamb_node_get(root, "Transform");
	bool found = lamb_node_str(tr) && str_starts(tr->str, prefix);
	for (size_t i = 0; tr && tr->kind == LAMB_SEQ && i < tr->len; i++)
		found |= lamb_node_str(tr->items[i]) && str_starts(tr->items[i]->str, prefix);
	return found;
}

/* AWS::LanguageExtensions: Fn::ForEach expanded once parameters are known
 * (a collection is often a list parameter), before anything else reads
 * Resources, Conditions or Outputs. */
static void expand_foreach(struct builder *b)
{
	if (!has_transform(b->root, "AWS::LanguageExtensions"))
		return;
	b->root = lamb_transform_foreach(&b->r, (struct lamb_node *)b->root);
	b->r.mappings = lamb_node_get(b->root, "Mappings");
	b->r.conditions = lamb_node_get(b->root, "Conditions");
}

/* CloudFormation's quotas: a template body read from S3 (sam deploy
 * uploads any above the 51,200 bytes of an inline one), and resources per
 * stack. A template past them can never be deployed. */
#define MAX_TEMPLATE_BYTES 1000000
#define MAX_RESOURCES 500

/* Whether a resource is of a SAM type: a plain CloudFormation template
 * needs no transform. */
static bool uses_sam_types(const struct lamb_node *res)
{
	for (size_t i = 0; res && res->kind == LAMB_MAP && i < res->len; i++) {
		const char *type = lamb_node_str(lamb_node_get(res->pairs[i].value, "Type"));
		if (type && str_starts(type, "AWS::Serverless::"))
			return true;
	}
	return false;
}

static void check_sections(struct builder *b)
{
	for (size_t i = 0; i < b->root->len; i++) {
		const char *k = b->root->pairs[i].key->str;
		size_t j = 0;
		while (model_sections[j] && strcmp(model_sections[j], k) != 0)
			j++;
		if (!model_sections[j])
			lamb_error(b->diags, &b->root->pairs[i].key->mark, "unknown top-level section '%s'", k);
	}
	const struct lamb_node *res = lamb_node_get(b->root, "Resources");
	if (res && res->kind == LAMB_MAP && res->len > MAX_RESOURCES)
		lamb_error(b->diags, &res->mark, "template declares %zu resources: CloudFormation allows at most "
			   "%d per stack (and SAM's transform adds more)", res->len, MAX_RESOURCES);
	b->globals = lamb_node_get(b->root, "Globals");
	lamb_globals_check(b->globals, b->diags);
	if (b->globals && b->globals->kind != LAMB_MAP)
		b->globals = NULL;
	const struct lamb_node *tr = lamb_node_get(b->root, "Transform");
	bool sam = has_transform(b->root, "AWS::Serverless");
	if (!sam && (b->globals || uses_sam_types(res)))
		lamb_warning(b->diags, tr ? &tr->mark : &b->root->mark,
			     "no 'Transform: AWS::Serverless-2016-10-31': AWS will not apply SAM's transform");
}

/* Resolved, for GetAtt Child.Outputs.Name of a parent template. */
static void resolve_outputs(struct builder *b)
{
	const struct lamb_node *outs = lamb_node_get(b->root, "Outputs");
	size_t n = outs && outs->kind == LAMB_MAP ? outs->len : 0;
	struct lamb_node *values = lamb_node_map(b->a, n, outs ? &outs->mark : NULL);
	values->len = 0;
	for (size_t i = 0; i < n; i++) {
		const struct lamb_node *o = outs->pairs[i].value;
		const struct lamb_node *c = lamb_node_get(o, "Condition");
		if (lamb_node_str(c) && !lamb_resolve_condition(&b->r, c->str, &c->mark))
			continue;
		struct lamb_node *v = lamb_node_get(o, "Value") ? lamb_resolve(&b->r, o) : NULL;
		if (!v)
			lamb_error(b->diags, &o->mark, "output '%s' has no Value", outs->pairs[i].key->str);
		else if (lamb_node_get(v, "Value"))
			values->pairs[values->len++] = (struct lamb_pair){ outs->pairs[i].key, lamb_node_get(v, "Value") };
	}
	b->m->outputs = values;
}

/* AWS::Partition and AWS::URLSuffix of the region, by its prefix, as AWS
 * names its partitions (the isolated ones included). */
static void set_partition(struct lamb_model *m)
{
	static const struct { const char *prefix, *partition, *suffix; } partitions[] = {
		{ "cn-", "aws-cn", "amazonaws.com.cn" },
		{ "us-gov-", "aws-us-gov", "amazonaws.com" },
		{ "us-iso-", "aws-iso", "c2s.ic.gov" },
		{ "us-isob-", "aws-iso-b", "sc2s.sgov.gov" },
		{ "eu-isoe-", "aws-iso-e", "cloud.adc-e.uk" },
		{ "us-isof-", "aws-iso-f", "csp.hci.ic.gov" },
		{ "eusc-", "aws-eusc", "amazonaws.eu" },
	};
	m->partition = "aws";
	m->url_suffix = "amazonaws.com";
	for (size_t i = 0; i < ARRAY_SIZE(partitions); i++) {
		if (str_starts(m->region, partitions[i].prefix)) {
			m->partition = partitions[i].partition;
			m->url_suffix = partitions[i].suffix;
		}
	}
}

static void setup(struct builder *b, const char *file, const char *dir, const struct lamb_model_opts *o)
{
	struct lamb_model *m = b->m;
	m->path = lamb_arena_strdup(b->a, file);
	char cwd[PATH_MAX], abs[PATH_MAX];
	if (!dir)
		dir = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
	m->dir = lamb_arena_strdup(b->a, realpath(dir, abs) ? abs : dir);
	const char *env_region = getenv("AWS_REGION");
	if (!env_region || !*env_region)
		env_region = getenv("AWS_DEFAULT_REGION");
	m->region = lamb_arena_strdup(b->a, o && o->region ? o->region :
					    env_region && *env_region ? env_region : "us-east-1");
	m->account_id = lamb_arena_strdup(b->a, o && o->account_id ? o->account_id : "123456789012");
	m->stack_name = lamb_arena_strdup(b->a, o && o->stack_name ? o->stack_name : "local");
	set_partition(m);
	b->r = (struct lamb_resolver){
		.arena = b->a,
		.diags = b->diags,
		.mappings = lamb_node_get(b->root, "Mappings"),
		.conditions = lamb_node_get(b->root, "Conditions"),
		.region = m->region,
		.account_id = m->account_id,
		.stack_name = m->stack_name,
		.partition = m->partition,
		.url_suffix = m->url_suffix,
		.lenient = o && o->lenient,
	};
}

static struct lamb_model *build(struct lamb_arena *a, const struct lamb_node *root, const char *file,
				const char *dir, const struct lamb_model_opts *o, unsigned depth,
				struct lamb_diags *diags)
{
	struct lamb_model *m = lamb_arena_alloc(a, sizeof(*m));
	m->arena = a;
	m->root = root;
	struct builder b = { .m = m, .a = a, .diags = diags, .root = root, .opts = o, .depth = depth };
	setup(&b, file, dir, o);
	if (root->kind != LAMB_MAP) {
		lamb_error(diags, &root->mark, "a template must be a mapping of sections, not %s",
			   lamb_node_kind_name(root));
		return m;
	}
	check_sections(&b);
	build_params(&b, o);
	expand_foreach(&b);
	build_resource_table(&b);
	build_stacks(&b);
	build_layers(&b);
	build_functions(&b);
	build_apis(&b);
	build_sources(&b);
	build_resource_list(&b);
	resolve_outputs(&b);
	merge_stacks(&b);
	free(b.r.conds);
	return m;
}

/* The document of text, AWS::Include expanded; NULL when it is past
 * CloudFormation's size (checked before parsing: a 50 MB one would take
 * GBs) or does not parse (reported). */
static struct lamb_node *parse_root(struct lamb_arena *a, const char *file, const char *dir,
				    const char *text, size_t len, struct lamb_diags *diags)
{
	if (len > MAX_TEMPLATE_BYTES) {
		struct lamb_mark m = { file, 1, 1 };
		lamb_error(diags, &m, "template is %zu bytes: CloudFormation takes at most 1,000,000 "
			   "(uploaded to S3; 51,200 passed inline)", len);
		return NULL;
	}
	struct lamb_node *root = lamb_template_parse(a, file, text, len, diags);
	if (root && memmem(text, len, "AWS::Include", 12))
		root = lamb_transform_include(a, root, dir, diags);
	return root;
}

struct lamb_model *lamb_model_parse(const char *file, const char *dir, const char *text, size_t len,
				    const struct lamb_model_opts *opts, struct lamb_diags *diags)
{
	struct lamb_arena *a = lamb_arena_new();
	struct lamb_node *root = parse_root(a, file, dir, text, len, diags);
	if (!root) {
		lamb_arena_free(a);
		return NULL;
	}
	return build(a, root, file, dir, opts, 0, diags);
}

struct lamb_model *model_build_file(struct lamb_arena *a, const char *path, const struct lamb_model_opts *opts,
				    unsigned depth, struct lamb_diags *diags)
{
	size_t len;
	cleanup_free char *text = lamb_read_file(path, &len);
	if (!text) {
		struct lamb_mark m = { path, 0, 0 };
		lamb_error(diags, &m, "cannot read template: %s", strerror(errno));
		return NULL;
	}
	cleanup_free char *copy = xstrdup(path);
	char *slash = strrchr(copy, '/');
	const char *dir = ".";
	if (slash) {
		*slash = '\0';
		dir = slash == copy ? "/" : copy;
	}
	struct lamb_node *root = parse_root(a, path, dir, text, len, diags);
	return root ? build(a, root, path, dir, opts, depth, diags) : NULL;
}

struct lamb_model *lamb_model_load(const char *path, const struct lamb_model_opts *opts,
				   struct lamb_diags *diags)
{
	struct lamb_arena *a = lamb_arena_new();
	struct lamb_model *m = model_build_file(a, path, opts, 0, diags);
	if (!m)
		lamb_arena_free(a);
	return m;
}

void lamb_model_free(struct lamb_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nregexes; i++)
		lamb_regex_free(m->regexes[i]);
	free(m->regexes);
	lamb_arena_free(m->arena);
}

const struct lamb_function *lamb_model_function(const struct lamb_model *m, const char *id)
{
	for (size_t i = 0; i < m->nfunctions; i++)
		if (strcmp(m->functions[i].logical_id, id) == 0)
			return &m->functions[i];
	return NULL;
}

/* id is "Stack/Path/ConstructId" of a nested stack's CDK function: SAM CLI's
 * full path is the stack path and the resource id it gives the function. */
static bool is_construct_path(const struct lamb_function *f, const char *id)
{
	size_t n = f->stack ? strlen(f->stack) : 0;
	return n && f->construct_id && strncmp(id, f->stack, n) == 0 && id[n] == '/' &&
	       strcmp(id + n + 1, f->construct_id) == 0;
}

const struct lamb_function *lamb_model_find_function(const struct lamb_model *m, const char *id)
{
	const struct lamb_function *f = lamb_model_function(m, id);
	for (size_t i = 0; !f && i < m->nfunctions; i++)
		if (is_construct_path(&m->functions[i], id))
			f = &m->functions[i];
	for (size_t i = 0; !f && i < m->nfunctions; i++)
		if (str_eq(m->functions[i].construct_id, id))
			f = &m->functions[i];
	for (size_t i = 0; !f && i < m->nfunctions; i++)
		if (strcmp(m->functions[i].name, id) == 0)
			f = &m->functions[i];
	return f;
}
