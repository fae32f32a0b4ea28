/* Building the model: sections, parameters, the resource table, and the
 * order in which the rest is resolved. Functions, layers and APIs are read
 * in model-function.c and model-api.c. */
#include "globals.h"
#include "model-build.h"
#include "template.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const sections[] = {
	"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings",
	"Conditions", "Transform", "Resources", "Outputs", "Globals", "Hooks",
};

static const char *const resource_keys[] = {
	"Type", "Properties", "Condition", "DependsOn", "Metadata", "DeletionPolicy",
	"UpdateReplacePolicy", "UpdatePolicy", "CreationPolicy", "IgnoreGlobals", "Connectors", "Description",
};

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

/* ---- parameters ---- */

static bool is_number(const char *s)
{
	char *end;
	if (!*s)
		return false;
	errno = 0;
	strtod(s, &end);
	return !errno && !*end;
}

static bool valid_type(const char *t)
{
	static const char *const plain[] = { "String", "Number", "CommaDelimitedList", "List<Number>" };
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
		if (strcmp(t, plain[i]) == 0)
			return true;
	return str_starts(t, "AWS::") || str_starts(t, "List<AWS::");
}

static bool is_list_type(const char *t)
{
	return strcmp(t, "CommaDelimitedList") == 0 || str_starts(t, "List<") ||
	       (str_starts(t, "AWS::SSM::Parameter::Value<List<"));
}

static struct lamb_node *split_list(struct builder *b, const char *value, const struct lamb_mark *m)
{
	size_t count = 1;
	for (const char *p = value; *p; p++)
		count += *p == ',';
	if (!*value)
		count = 0;
	struct lamb_node *seq = lamb_node_seq(b->a, count, m);
	const char *s = value;
	for (size_t i = 0; i < count; i++) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		while (len && *s == ' ')
			s++, len--;
		while (len && s[len - 1] == ' ')
			len--;
		seq->items[i] = lamb_node_scalar(b->a, "", m);
		seq->items[i]->str = lamb_arena_strndup(b->a, s, len);
		s = end ? end + 1 : s + len;
	}
	return seq;
}

static void check_allowed_values(struct builder *b, const struct lamb_node *def, const char *name,
				 const char *value, const struct lamb_mark *m)
{
	const struct lamb_node *av = lamb_node_get(def, "AllowedValues");
	if (!av || av->kind != LAMB_SEQ)
		return;
	for (size_t i = 0; i < av->len; i++)
		if (str_eq(lamb_node_str(av->items[i]), value))
			return;
	lamb_error(b->diags, m, "parameter '%s': value '%s' is not one of its AllowedValues", name, value);
}

/* The repetition factor of the quantifier at p (advancing p past it): a
 * bound {m,n} makes glibc's regcomp copy its operand n times (m when there
 * is no n); '+' copies it once more; '*' and '?' loop without copying. */
static double quantifier_factor(const char **p)
{
	char q = **p;
	if (q != '{') {
		(*p)++;
		return q == '+' ? 2 : 1;
	}
	char *end;
	double lo = strtod(*p + 1, &end), hi = lo;
	if (*end == ',')
		hi = end[1] == '}' ? lo + 1 : strtod(end + 1, &end);
	while (*end && *end != '}')
		end++;
	*p = *end ? end + 1 : end;
	return hi > lo ? hi : lo > 1 ? lo : 1;
}

/* Past one character, escape or bracket expression ("[]a-z]", "[^]]"). */
static const char *skip_atom(const char *p)
{
	if (*p == '\\')
		return p[1] ? p + 2 : p + 1;
	if (*p != '[')
		return p + 1;
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p && *p != ']')
		p++;
	return *p ? p + 1 : p;
}

/* glibc's regcomp expands bounded repetitions into copies, so nested or
 * stacked ones ("((a{1,200}){1,200})", "a++++...") take time and memory
 * that multiply: a 100-byte template could make lamb validate grow past
 * 5 GB. This estimates the expanded size of the pattern as compiled and
 * refuses patterns above a few thousand nodes. Repetitions of repetitions
 * ("a+*+", "((a+)*)+") cost more than their size: the epsilon closures of
 * the loops they copy grow exponentially with each level, so more than
 * three levels of them are refused too (no real AllowedPattern needs as
 * many: "((\d{1,3})\.){3}" has two). */
static bool pattern_is_tame(const char *pat)
{
	double size[64] = { 0 }; /* per open group: its expanded size so far */
	double last = 0;         /* size of the last atom or group: what a quantifier copies */
	int nest[64] = { 0 };    /* per open group: the deepest repetition of repetitions in it */
	int last_nest = 0;       /* the same for the last atom or group */
	int depth = 0;
	if (strlen(pat) > 1024)
		return false;
	for (const char *p = pat; *p;) {
		if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
			double f = quantifier_factor(&p);
			size[depth] += last * (f - 1);
			last *= f;
			if (++last_nest > 3)
				return false;
			if (last_nest > nest[depth])
				nest[depth] = last_nest;
		} else if (*p == '(') {
			if (++depth == (int)ARRAY_SIZE(size))
				return false;
			size[depth] = 0;
			nest[depth] = 0;
			p++;
			continue;
		} else if (*p == ')' && depth > 0) {
			last = size[depth];
			last_nest = nest[depth--];
			size[depth] += last;
			if (last_nest > nest[depth])
				nest[depth] = last_nest;
			p++;
		} else {
			p = skip_atom(p);
			last = 1;
			last_nest = 0;
			size[depth] += 1;
		}
		if (size[depth] > 4000 || last > 4000)
			return false;
	}
	return true;
}

static void check_pattern(struct builder *b, const struct lamb_node *def, const char *name,
			  const char *value, const struct lamb_mark *m)
{
	const char *pat = lamb_node_str(lamb_node_get(def, "AllowedPattern"));
	if (!pat)
		return;
	char *anchored = xasprintf("^(%s)$", pat);
	if (!pattern_is_tame(anchored)) {
		free(anchored);
		lamb_warning(b->diags, &lamb_node_get(def, "AllowedPattern")->mark,
			     "parameter '%s': AllowedPattern nests or stacks repetitions too deeply for lamb "
			     "to check; the value is not checked", name);
		return;
	}
	regex_t re;
	if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB) != 0) {
		lamb_warning(b->diags, &lamb_node_get(def, "AllowedPattern")->mark,
			     "parameter '%s': AllowedPattern is not a pattern lamb can check", name);
	} else {
		if (regexec(&re, value, 0, NULL, 0) != 0)
			lamb_error(b->diags, m, "parameter '%s': value '%s' does not match AllowedPattern '%s'",
				   name, value, pat);
		regfree(&re);
	}
	free(anchored);
}

static void check_bounds(struct builder *b, const struct lamb_node *def, const char *name,
			 const char *value, const char *type, const struct lamb_mark *m)
{
	const char *lo = lamb_node_str(lamb_node_get(def, "MinValue"));
	const char *hi = lamb_node_str(lamb_node_get(def, "MaxValue"));
	if (strcmp(type, "Number") == 0) {
		if (!is_number(value)) {
			lamb_error(b->diags, m, "parameter '%s' is a Number but its value is '%s'", name, value);
			return;
		}
		double v = strtod(value, NULL);
		if ((lo && is_number(lo) && v < strtod(lo, NULL)) || (hi && is_number(hi) && v > strtod(hi, NULL)))
			lamb_error(b->diags, m, "parameter '%s': %s is outside MinValue %s / MaxValue %s", name,
				   value, lo ? lo : "-", hi ? hi : "-");
	}
	long n;
	size_t len = strlen(value);
	if (lamb_node_long(lamb_node_get(def, "MinLength"), &n) && len < (size_t)n)
		lamb_error(b->diags, m, "parameter '%s' is shorter than its MinLength %ld", name, n);
	if (lamb_node_long(lamb_node_get(def, "MaxLength"), &n) && len > (size_t)n)
		lamb_error(b->diags, m, "parameter '%s' is longer than its MaxLength %ld", name, n);
}

static const char *override_of(const struct lamb_model_opts *o, const char *name)
{
	for (size_t i = 0; o && o->overrides && i < o->overrides->len; i++)
		if (strcmp(o->overrides->v[i].key, name) == 0)
			return o->overrides->v[i].value;
	return NULL;
}

static void build_param(struct builder *b, const struct lamb_pair *p, const struct lamb_model_opts *o,
			struct lamb_param *out, struct lamb_param_value *pv)
{
	const char *name = p->key->str;
	const struct lamb_node *def = p->value;
	out->name = pv->name = name;
	if (def->kind != LAMB_MAP) {
		lamb_error(b->diags, &def->mark, "parameter '%s' must be a mapping with a Type", name);
		return;
	}
	const char *type = lamb_node_str(lamb_node_get(def, "Type"));
	if (!type) {
		lamb_error(b->diags, &p->key->mark, "parameter '%s' has no Type", name);
		type = "String";
	} else if (!valid_type(type)) {
		lamb_error(b->diags, &lamb_node_get(def, "Type")->mark, "parameter '%s' has unknown Type '%s' "
			   "(String, Number, CommaDelimitedList, List<Number>, AWS::...)", name, type);
	}
	out->type = type;
	const struct lamb_node *dflt = lamb_node_get(def, "Default");
	const char *value = override_of(o, name);
	struct lamb_mark m = p->key->mark;
	out->overridden = value != NULL;
	if (!value && dflt) {
		value = lamb_node_str(dflt);
		m = dflt->mark;
		if (!value)
			lamb_error(b->diags, &dflt->mark, "parameter '%s': Default must be a string", name);
	}
	if (!value) {
		lamb_error(b->diags, &p->key->mark, "parameter '%s' has no value: give it a Default or pass "
			   "--parameter-overrides %s=VALUE", name, name);
		return;
	}
	out->value = lamb_arena_strdup(b->a, value);
	if (str_starts(type, "AWS::SSM::Parameter::"))
		lamb_warning(b->diags, &m, "parameter '%s' names an SSM parameter, which cannot be read "
			     "locally; lamb uses '%s' as its value", name, value);
	check_allowed_values(b, def, name, value, &m);
	check_pattern(b, def, name, value, &m);
	if (is_list_type(type)) {
		pv->value = split_list(b, value, &m);
		for (size_t i = 0; strcmp(type, "List<Number>") == 0 && i < pv->value->len; i++)
			if (!is_number(pv->value->items[i]->str))
				lamb_error(b->diags, &m, "parameter '%s' is a List<Number> but holds '%s'", name,
					   pv->value->items[i]->str);
	} else {
		check_bounds(b, def, name, value, type, &m);
		pv->value = lamb_node_scalar(b->a, value, &m);
	}
}

static void build_params(struct builder *b, const struct lamb_model_opts *o)
{
	const struct lamb_node *ps = lamb_node_get(b->root, "Parameters");
	if (ps && ps->kind != LAMB_MAP) {
		if (!lamb_node_is_null(ps))
			lamb_error(b->diags, &ps->mark, "Parameters must be a mapping");
		ps = NULL;
	}
	size_t n = ps ? ps->len : 0;
	b->m->params = lamb_arena_alloc(b->a, n * sizeof(*b->m->params));
	b->r.params = lamb_arena_alloc(b->a, n * sizeof(*b->r.params));
	for (size_t i = 0; i < n; i++)
		build_param(b, &ps->pairs[i], o, &b->m->params[i], &b->r.params[i]);
	b->m->nparams = b->r.nparams = n;
	for (size_t i = 0; o && o->overrides && i < o->overrides->len; i++)
		if (!lamb_node_get(ps, o->overrides->v[i].key))
			lamb_warning(b->diags, NULL, "--parameter-overrides names '%s', which the template "
				     "does not declare", o->overrides->v[i].key);
}

/* ---- resources ---- */

static void check_resource_keys(struct builder *b, const struct lamb_node *res)
{
	for (size_t i = 0; i < res->len; i++) {
		const char *k = res->pairs[i].key->str;
		size_t j = 0;
		while (j < ARRAY_SIZE(resource_keys) && strcmp(resource_keys[j], k) != 0)
			j++;
		if (j == ARRAY_SIZE(resource_keys))
			lamb_warning(b->diags, &res->pairs[i].key->mark, "unknown resource attribute '%s'", k);
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
		} else {
			r->local = false;
			r->note = "not emulated; kept as written";
		}
	}
}

static void check_sections(struct builder *b)
{
	for (size_t i = 0; i < b->root->len; i++) {
		const char *k = b->root->pairs[i].key->str;
		size_t j = 0;
		while (j < ARRAY_SIZE(sections) && strcmp(sections[j], k) != 0)
			j++;
		if (j == ARRAY_SIZE(sections))
			lamb_error(b->diags, &b->root->pairs[i].key->mark, "unknown top-level section '%s'", k);
	}
	b->globals = lamb_node_get(b->root, "Globals");
	lamb_globals_check(b->globals, b->diags);
	if (b->globals && b->globals->kind != LAMB_MAP)
		b->globals = NULL;
	const struct lamb_node *tr = lamb_node_get(b->root, "Transform");
	bool sam = false;
	if (lamb_node_str(tr))
		sam = str_starts(tr->str, "AWS::Serverless");
	for (size_t i = 0; tr && tr->kind == LAMB_SEQ && i < tr->len; i++)
		sam |= lamb_node_str(tr->items[i]) && str_starts(tr->items[i]->str, "AWS::Serverless");
	if (!sam && (b->globals || lamb_node_get(b->root, "Resources")))
		lamb_warning(b->diags, tr ? &tr->mark : &b->root->mark,
			     "no 'Transform: AWS::Serverless-2016-10-31': AWS will not apply SAM's transform");
}

static void resolve_outputs(struct builder *b)
{
	const struct lamb_node *outs = lamb_node_get(b->root, "Outputs");
	for (size_t i = 0; outs && outs->kind == LAMB_MAP && i < outs->len; i++) {
		const struct lamb_node *o = outs->pairs[i].value;
		const struct lamb_node *c = lamb_node_get(o, "Condition");
		if (lamb_node_str(c) && !lamb_resolve_condition(&b->r, c->str, &c->mark))
			continue;
		if (!lamb_node_get(o, "Value"))
			lamb_error(b->diags, &o->mark, "output '%s' has no Value", outs->pairs[i].key->str);
		else
			lamb_resolve(&b->r, o);
	}
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
	};
}

static struct lamb_model *build(struct lamb_arena *a, const struct lamb_node *root, const char *file,
				const char *dir, const struct lamb_model_opts *o, struct lamb_diags *diags)
{
	struct lamb_model *m = lamb_arena_alloc(a, sizeof(*m));
	m->arena = a;
	struct builder b = { .m = m, .a = a, .diags = diags, .root = root };
	setup(&b, file, dir, o);
	if (root->kind != LAMB_MAP) {
		lamb_error(diags, &root->mark, "a template must be a mapping of sections, not %s",
			   lamb_node_kind_name(root));
		return m;
	}
	check_sections(&b);
	build_params(&b, o);
	build_resource_table(&b);
	build_layers(&b);
	build_functions(&b);
	build_apis(&b);
	build_resource_list(&b);
	resolve_outputs(&b);
	free(b.r.conds);
	return m;
}

struct lamb_model *lamb_model_parse(const char *file, const char *dir, const char *text, size_t len,
				    const struct lamb_model_opts *opts, struct lamb_diags *diags)
{
	struct lamb_arena *a = lamb_arena_new();
	struct lamb_node *root = lamb_template_parse(a, file, text, len, diags);
	if (!root) {
		lamb_arena_free(a);
		return NULL;
	}
	return build(a, root, file, dir, opts, diags);
}

struct lamb_model *lamb_model_load(const char *path, const struct lamb_model_opts *opts,
				   struct lamb_diags *diags)
{
	size_t len;
	char *text = lamb_read_file(path, &len);
	if (!text) {
		struct lamb_mark m = { path, 0, 0 };
		lamb_error(diags, &m, "cannot read template: %s", strerror(errno));
		return NULL;
	}
	char *copy = xstrdup(path);
	char *slash = strrchr(copy, '/');
	const char *dir = ".";
	if (slash) {
		*slash = '\0';
		dir = slash == copy ? "/" : copy;
	}
	struct lamb_model *m = lamb_model_parse(path, dir, text, len, opts, diags);
	free(copy);
	free(text);
	return m;
}

void lamb_model_free(struct lamb_model *m)
{
	if (m)
		lamb_arena_free(m->arena);
}

const struct lamb_function *lamb_model_function(const struct lamb_model *m, const char *id)
{
	for (size_t i = 0; i < m->nfunctions; i++)
		if (strcmp(m->functions[i].logical_id, id) == 0)
			return &m->functions[i];
	return NULL;
}
