/* Evaluating CloudFormation's intrinsic functions locally. Every function
 * produces fresh arena nodes; the source tree is never changed, because
 * aliases may share it. Work is bounded twice: recursion depth (a
 * self-referencing alias) and a node budget (an alias bomb: shared nodes
 * make a small file expand exponentially). */
#include "base/util.h"
#include "template/resolve.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 128
#define MAX_NODES 2000000

struct cond_state {
	const char *name;
	int state; /* 0 evaluating, 1 done */
	bool value;
};

static struct lamb_node *resolve(struct lamb_resolver *r, const struct lamb_node *n);

static struct lamb_node *empty(struct lamb_resolver *r, const struct lamb_node *at)
{
	struct lamb_node *n = lamb_node_scalar(r->arena, "", at ? &at->mark : NULL);
	n->unknown = true;
	return n;
}

static struct lamb_node *scalar_at(struct lamb_resolver *r, const char *s, const struct lamb_node *at)
{
	return lamb_node_scalar(r->arena, s, at ? &at->mark : NULL);
}

/* A name that resolves to nothing. Strict (validate, deploy): an error and
 * an empty value. Lenient (local commands): a warning at the place, and an
 * unknown value whose text is the name as written, so that only what reads
 * it goes without (a route is left out, an environment value keeps the
 * name), as SAM CLI serves the rest of the template. */
static struct lamb_node *dangling(struct lamb_resolver *r, const struct lamb_node *at, const char *text,
				  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static struct lamb_node *dangling(struct lamb_resolver *r, const struct lamb_node *at, const char *text,
				  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (!r->lenient) {
		lamb_error(r->diags, &at->mark, "%s", msg);
		return empty(r, at);
	}
	lamb_warning(r->diags, &at->mark, "%s; lamb leaves it unresolved ('%s') and runs the rest", msg, text);
	struct lamb_node *n = lamb_node_scalar(r->arena, text, &at->mark);
	n->unknown = true;
	return n;
}

/* Lenient: an unknown operand makes the result unknown, without the errors
 * a stand-in value would cause (Fn::Select 1 of a split parameter name). */
static bool pass_unknown(const struct lamb_resolver *r, const struct lamb_node *n)
{
	return r->lenient && n && n->unknown;
}

/* Lenient: the result of a function over an unknown operand, unknown too,
 * with that operand's text (already warned about where it comes from). */
static struct lamb_node *unknown_from(struct lamb_resolver *r, const struct lamb_node *operand,
				      const struct lamb_node *at)
{
	struct lamb_node *v = scalar_at(r, operand->kind == LAMB_SCALAR ? operand->str : "", at);
	v->unknown = true;
	return v;
}

/* The argument of an intrinsic: the value under its single key. */
static const struct lamb_node *arg_of(const struct lamb_node *n)
{
	return n->pairs[0].value;
}

static struct lamb_node *fail_at(struct lamb_resolver *r, const struct lamb_node *at, const char *msg)
{
	lamb_error(r->diags, &at->mark, "%s", msg);
	return empty(r, at);
}

/* Resolves n and demands a string. */
static const char *resolve_str(struct lamb_resolver *r, const struct lamb_node *n, const char *what)
{
	struct lamb_node *v = resolve(r, n);
	if (v && v->kind == LAMB_SCALAR)
		return v->str;
	lamb_error(r->diags, &n->mark, "%s must be a string, not %s", what, lamb_node_kind_name(v));
	return NULL;
}

/* Resolves n and demands a list with at least min items (max 0: no bound). */
static struct lamb_node *resolve_list(struct lamb_resolver *r, const struct lamb_node *n,
				      const char *fn, size_t min, size_t max)
{
	struct lamb_node *v = resolve(r, n);
	if (!v || v->kind != LAMB_SEQ || v->len < min || (max && v->len > max)) {
		if (max == min)
			lamb_error(r->diags, &n->mark, "%s takes a list of %zu items", fn, min);
		else
			lamb_error(r->diags, &n->mark, "%s takes a list of %zu or more items", fn, min);
		return NULL;
	}
	return v;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct lamb_res_entry *const *x = a, *const *y = b;
	return strcmp((*x)->id, (*y)->id);
}

static int cmp_key(const void *key, const void *elem)
{
	const struct lamb_res_entry *const *e = elem;
	return strcmp(key, (*e)->id);
}

void lamb_resolve_index(struct lamb_resolver *r)
{
	r->by_id = lamb_arena_alloc(r->arena, r->nresources * sizeof(*r->by_id));
	for (size_t i = 0; i < r->nresources; i++)
		r->by_id[i] = &r->resources[i];
	qsort(r->by_id, r->nresources, sizeof(*r->by_id), cmp_entry);
}

const struct lamb_res_entry *lamb_resolve_resource(const struct lamb_resolver *r, const char *id)
{
	if (!r->by_id) { /* not indexed yet */
		for (size_t i = 0; i < r->nresources; i++)
			if (strcmp(r->resources[i].id, id) == 0)
				return &r->resources[i];
		return NULL;
	}
	const struct lamb_res_entry *const *e = bsearch(id, r->by_id, r->nresources, sizeof(*r->by_id), cmp_key);
	return e ? *e : NULL;
}

static const struct lamb_param_value *param(const struct lamb_resolver *r, const char *name)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].name, name) == 0)
			return &r->params[i];
	return NULL;
}

/* Logical ids SAM's transform creates: implicit APIs, and <Id><Suffix> for
 * roles, stages, aliases, versions, permissions and URLs of a resource. */
bool lamb_resolve_known_id(const struct lamb_resolver *r, const char *id)
{
	if (lamb_resolve_resource(r, id))
		return true;
	if (str_starts(id, "ServerlessRestApi") || str_starts(id, "ServerlessHttpApi"))
		return true;
	if (strchr(id, '.'))
		return false;
	for (size_t i = 0; i < r->nresources; i++) {
		const struct lamb_res_entry *e = &r->resources[i];
		if (str_starts(id, e->id) && str_starts(e->type, "AWS::Serverless::"))
			return true;
	}
	return false;
}

/* The stack's ARN in the partition, region and account of the rest */
static const char *stack_id(struct lamb_resolver *r)
{
	cleanup_free char *s = xasprintf("arn:%s:cloudformation:%s:%s:stack/%s/00000000-0000-0000-0000-000000000000",
					 r->partition, r->region, r->account_id, r->stack_name);
	return lamb_arena_strdup(r->arena, s);
}

static const char *pseudo(struct lamb_resolver *r, const char *name)
{
	if (strcmp(name, "AWS::Region") == 0)
		return r->region;
	if (strcmp(name, "AWS::AccountId") == 0)
		return r->account_id;
	if (strcmp(name, "AWS::StackName") == 0)
		return r->stack_name;
	if (strcmp(name, "AWS::Partition") == 0)
		return r->partition;
	if (strcmp(name, "AWS::URLSuffix") == 0)
		return r->url_suffix;
	if (strcmp(name, "AWS::StackId") == 0)
		return stack_id(r);
	return NULL;
}

/* The value of Ref name, or NULL (reported) when nothing has that name. */
static struct lamb_node *ref_value(struct lamb_resolver *r, const char *name, const struct lamb_node *at)
{
	const struct lamb_param_value *p = param(r, name);
	if (p && p->value) {
		if (p->value->kind != LAMB_SCALAR)
			return p->value;
		struct lamb_node *v = scalar_at(r, p->value->str, at);
		v->quoted = true;
		v->unknown = p->value->unknown; /* lenient: a parameter without a value */
		return v;
	}
	if (p)
		return empty(r, at); /* reported with the parameter */
	const char *ps = pseudo(r, name);
	if (ps)
		return scalar_at(r, ps, at);
	if (strcmp(name, "AWS::NotificationARNs") == 0)
		return lamb_node_seq(r->arena, 0, &at->mark);
	const struct lamb_res_entry *e = lamb_resolve_resource(r, name);
	if (e) {
		struct lamb_node *v = scalar_at(r, e->ref ? e->ref : e->id, at);
		v->ref = e->id;
		return v;
	}
	if (lamb_resolve_known_id(r, name))
		return scalar_at(r, name, at);
	return dangling(r, at, name, "Ref to undefined parameter or resource '%s'", name);
}

static struct lamb_node *fn_ref(struct lamb_resolver *r, const struct lamb_node *n)
{
	const char *name = lamb_node_str(arg_of(n));
	if (!name)
		return fail_at(r, n, "Ref takes the name of a parameter or resource");
	if (strcmp(name, "AWS::NoValue") == 0)
		return NULL;
	return ref_value(r, name, n);
}

static struct lamb_node *getatt(struct lamb_resolver *r, const char *id, const char *attr,
				const struct lamb_node *at)
{
	const struct lamb_res_entry *e = lamb_resolve_resource(r, id);
	cleanup_free char *s = xasprintf("%s.%s", id, attr);
	if (!e && !lamb_resolve_known_id(r, id))
		return dangling(r, at, s, "GetAtt of undefined resource '%s'", id);
	if (e && e->arn && strcmp(attr, "Arn") == 0)
		return scalar_at(r, e->arn, at);
	if (e && e->outputs && str_starts(attr, "Outputs.")) {
		struct lamb_node *v = lamb_node_get(e->outputs, attr + strlen("Outputs."));
		return v ? v : dangling(r, at, s, "nested stack '%s' has no output '%s'", id,
					attr + strlen("Outputs."));
	}
	/* An attribute only a deployed stack knows: a recognisable stand-in. */
	return scalar_at(r, s, at);
}

static struct lamb_node *fn_getatt(struct lamb_resolver *r, const struct lamb_node *n)
{
	const struct lamb_node *a = arg_of(n);
	if (a->kind == LAMB_SCALAR) {
		const char *dot = strchr(a->str, '.');
		if (!dot)
			return fail_at(r, n, "Fn::GetAtt takes 'Resource.Attribute' or [Resource, Attribute]");
		char *id = xstrndup(a->str, (size_t)(dot - a->str));
		struct lamb_node *v = getatt(r, id, dot + 1, n);
		free(id);
		return v;
	}
	struct lamb_node *l = resolve_list(r, a, "Fn::GetAtt", 2, 2);
	if (!l)
		return empty(r, n);
	const char *id = lamb_node_str(l->items[0]), *attr = lamb_node_str(l->items[1]);
	if (!id || !attr)
		return fail_at(r, n, "Fn::GetAtt takes two strings");
	return getatt(r, id, attr, n);
}

/* ${Name} inside Fn::Sub: a variable of the list form, a parameter, a pseudo
 * parameter, a resource, or Resource.Attribute. */
static const char *sub_var(struct lamb_resolver *r, const char *name, const struct lamb_node *vars,
			   const struct lamb_node *at, bool *unknown)
{
	struct lamb_node *v = NULL;
	const struct lamb_node *given = lamb_node_get(vars, name);
	if (given) {
		v = resolve(r, given);
	} else if (!strchr(name, '.') || param(r, name) || pseudo(r, name)) {
		v = ref_value(r, name, at);
	} else {
		const char *dot = strchr(name, '.');
		char *id = xstrndup(name, (size_t)(dot - name));
		v = getatt(r, id, dot + 1, at);
		free(id);
	}
	if (!v || v->kind != LAMB_SCALAR) {
		lamb_error(r->diags, &at->mark, "Fn::Sub variable '%s' is %s, not a string", name,
			   lamb_node_kind_name(v));
		return "";
	}
	*unknown |= pass_unknown(r, v);
	return v->str;
}

static struct lamb_node *sub_string(struct lamb_resolver *r, const char *s, const struct lamb_node *vars,
				    const struct lamb_node *at)
{
	struct lamb_buf out;
	bool unknown = false;
	lamb_buf_init(&out);
	lamb_buf_add(&out, "", 0);
	while (*s) {
		const char *open = strstr(s, "${");
		if (!open) {
			lamb_buf_addstr(&out, s);
			break;
		}
		lamb_buf_add(&out, s, (size_t)(open - s));
		const char *close = strchr(open, '}');
		if (!close) {
			lamb_error(r->diags, &at->mark, "Fn::Sub: '${' without a closing '}'");
			lamb_buf_addstr(&out, open);
			break;
		}
		if (open[2] == '!') { /* ${!Literal} is written as ${Literal} */
			lamb_buf_addstr(&out, "${");
			lamb_buf_add(&out, open + 3, (size_t)(close - open - 2));
		} else {
			char *name = xstrndup(open + 2, (size_t)(close - open - 2));
			char *trimmed = name;
			while (*trimmed == ' ')
				trimmed++;
			for (char *e = trimmed + strlen(trimmed); e > trimmed && e[-1] == ' ';)
				*--e = '\0';
			lamb_buf_addstr(&out, sub_var(r, trimmed, vars, at, &unknown));
			free(name);
		}
		s = close + 1;
	}
	struct lamb_node *v = scalar_at(r, out.data, at);
	v->unknown = unknown;
	lamb_buf_release(&out);
	return v;
}

static struct lamb_node *fn_sub(struct lamb_resolver *r, const struct lamb_node *n)
{
	const struct lamb_node *a = arg_of(n);
	if (a->kind == LAMB_SCALAR)
		return sub_string(r, a->str, NULL, n);
	if (a->kind == LAMB_SEQ && a->len == 2 && a->items[1]->kind == LAMB_MAP) {
		const char *s = resolve_str(r, a->items[0], "Fn::Sub's string");
		return s ? sub_string(r, s, a->items[1], n) : empty(r, n);
	}
	return fail_at(r, n, "Fn::Sub takes a string or [string, {Name: value}]");
}

static struct lamb_node *fn_join(struct lamb_resolver *r, const struct lamb_node *n)
{
	struct lamb_node *a = resolve_list(r, arg_of(n), "Fn::Join", 2, 2);
	if (!a)
		return empty(r, n);
	const char *delim = lamb_node_str(a->items[0]);
	struct lamb_node *list = a->items[1];
	if (pass_unknown(r, list))
		return list;
	if (!delim || !list || list->kind != LAMB_SEQ)
		return fail_at(r, n, "Fn::Join takes [delimiter, [values...]]");
	struct lamb_buf out;
	bool unknown = false;
	lamb_buf_init(&out);
	lamb_buf_add(&out, "", 0);
	for (size_t i = 0; i < list->len; i++) {
		const char *s = lamb_node_str(list->items[i]);
		if (!s) {
			lamb_error(r->diags, &list->items[i]->mark, "Fn::Join can only join strings");
			continue;
		}
		if (i)
			lamb_buf_addstr(&out, delim);
		lamb_buf_addstr(&out, s);
		unknown |= pass_unknown(r, list->items[i]);
	}
	struct lamb_node *v = scalar_at(r, out.data, n);
	v->unknown = unknown; /* a string built from an unresolved part is unresolved */
	lamb_buf_release(&out);
	return v;
}

static struct lamb_node *fn_split(struct lamb_resolver *r, const struct lamb_node *n)
{
	struct lamb_node *a = resolve_list(r, arg_of(n), "Fn::Split", 2, 2);
	if (!a)
		return empty(r, n);
	const char *delim = lamb_node_str(a->items[0]), *s = lamb_node_str(a->items[1]);
	if (pass_unknown(r, a->items[1]))
		return a->items[1];
	if (!delim || !*delim || !s)
		return fail_at(r, n, "Fn::Split takes [delimiter, string]");
	size_t count = 1, dl = strlen(delim);
	for (const char *p = strstr(s, delim); p; p = strstr(p + dl, delim))
		count++;
	struct lamb_node *seq = lamb_node_seq(r->arena, count, &n->mark);
	for (size_t i = 0; i < count; i++) {
		const char *end = strstr(s, delim);
		size_t len = end ? (size_t)(end - s) : strlen(s);
		seq->items[i] = scalar_at(r, "", n);
		seq->items[i]->str = lamb_arena_strndup(r->arena, s, len);
		s += len + (end ? dl : 0);
	}
	return seq;
}

static struct lamb_node *fn_select(struct lamb_resolver *r, const struct lamb_node *n)
{
	struct lamb_node *a = resolve_list(r, arg_of(n), "Fn::Select", 2, 2);
	if (!a)
		return empty(r, n);
	long index;
	if (pass_unknown(r, a->items[1]))
		return a->items[1];
	if (pass_unknown(r, a->items[0]))
		return unknown_from(r, a->items[0], n);
	if (!lamb_node_long(a->items[0], &index) || index < 0)
		return fail_at(r, n, "Fn::Select's index must be a whole number from 0");
	struct lamb_node *list = a->items[1];
	if (!list || list->kind != LAMB_SEQ)
		return fail_at(r, n, "Fn::Select takes [index, [values...]]");
	if ((size_t)index >= list->len) {
		lamb_error(r->diags, &n->mark, "Fn::Select index %ld is out of range (the list has %zu items)",
			   index, list->len);
		return empty(r, n);
	}
	return list->items[index];
}

static struct lamb_node *fn_base64(struct lamb_resolver *r, const struct lamb_node *n)
{
	struct lamb_node *in = resolve(r, arg_of(n));
	if (!in || in->kind != LAMB_SCALAR)
		return fail_at(r, n, "Fn::Base64 takes a string");
	char *enc = lamb_base64_encode(in->str, strlen(in->str));
	struct lamb_node *v = scalar_at(r, enc, n);
	free(enc);
	v->unknown = pass_unknown(r, in);
	return v;
}

static struct lamb_node *fn_findinmap(struct lamb_resolver *r, const struct lamb_node *n)
{
	struct lamb_node *a = resolve_list(r, arg_of(n), "Fn::FindInMap", 3, 4);
	if (!a)
		return empty(r, n);
	const char *map = lamb_node_str(a->items[0]), *top = lamb_node_str(a->items[1]),
		   *key = lamb_node_str(a->items[2]);
	for (size_t i = 0; i < 3; i++)
		if (pass_unknown(r, a->items[i])) /* no key to look up: what reads it goes without */
			return unknown_from(r, a->items[i], n);
	if (!map || !top || !key)
		return fail_at(r, n, "Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]");
	struct lamb_node *fallback = a->len == 4 ? lamb_node_get(a->items[3], "DefaultValue") : NULL;
	const struct lamb_node *m = lamb_node_get(r->mappings, map);
	if (!m) {
		lamb_error(r->diags, &n->mark, "Fn::FindInMap: no mapping '%s' in Mappings", map);
		return empty(r, n);
	}
	const struct lamb_node *v = lamb_node_get(lamb_node_get(m, top), key);
	if (!v) {
		if (fallback)
			return fallback;
		lamb_error(r->diags, &n->mark, "Fn::FindInMap: mapping '%s' has no '%s' > '%s'", map, top, key);
		return empty(r, n);
	}
	return resolve(r, v);
}

static struct lamb_node *fn_getazs(struct lamb_resolver *r, const struct lamb_node *n)
{
	const char *region = resolve_str(r, arg_of(n), "Fn::GetAZs's region");
	if (!region)
		return empty(r, n);
	if (!*region)
		region = r->region;
	struct lamb_node *seq = lamb_node_seq(r->arena, 3, &n->mark);
	for (int i = 0; i < 3; i++) {
		char *s = xasprintf("%s%c", region, 'a' + i);
		seq->items[i] = scalar_at(r, s, n);
		free(s);
	}
	return seq;
}

static bool truth(struct lamb_resolver *r, const struct lamb_node *n);

static struct lamb_node *boolean(struct lamb_resolver *r, bool v, const struct lamb_node *at)
{
	return scalar_at(r, v ? "true" : "false", at);
}

static struct lamb_node *fn_equals(struct lamb_resolver *r, const struct lamb_node *n)
{
	struct lamb_node *a = resolve_list(r, arg_of(n), "Fn::Equals", 2, 2);
	if (!a)
		return boolean(r, false, n);
	const char *x = lamb_node_str(a->items[0]), *y = lamb_node_str(a->items[1]);
	if (!x || !y) /* lists compare by their joined text, which is good enough here */
		return boolean(r, a->items[0] == a->items[1], n);
	return boolean(r, strcmp(x, y) == 0, n);
}

static struct lamb_node *fn_logic(struct lamb_resolver *r, const struct lamb_node *n, const char *fn)
{
	const struct lamb_node *a = arg_of(n);
	bool is_not = strcmp(fn, "Fn::Not") == 0, is_and = strcmp(fn, "Fn::And") == 0;
	if (a->kind != LAMB_SEQ || a->len < 1 || (is_not && a->len != 1))
		return fail_at(r, n, is_not ? "Fn::Not takes a list of one condition"
					    : "Fn::And and Fn::Or take a list of conditions");
	if (is_not)
		return boolean(r, !truth(r, a->items[0]), n);
	bool v = is_and;
	for (size_t i = 0; i < a->len; i++) {
		bool t = truth(r, a->items[i]);
		v = is_and ? v && t : v || t;
	}
	return boolean(r, v, n);
}

bool lamb_resolve_condition(struct lamb_resolver *r, const char *name, const struct lamb_mark *m)
{
	for (size_t i = 0; i < r->nconds; i++) {
		if (strcmp(r->conds[i].name, name) == 0) {
			if (r->conds[i].state == 1)
				return r->conds[i].value;
			lamb_error(r->diags, m, "condition '%s' depends on itself", name);
			return false;
		}
	}
	const struct lamb_node *def = lamb_node_get(r->conditions, name);
	if (!def && r->lenient) { /* what it guards is left out; the rest runs */
		lamb_warning(r->diags, m, "undefined condition '%s'; lamb takes it as false and runs the rest", name);
		return false;
	}
	if (!def) {
		lamb_error(r->diags, m, "undefined condition '%s'", name);
		return false;
	}
	size_t cap = r->nconds;
	r->conds = xgrow(r->conds, &cap, r->nconds + 1, sizeof(*r->conds));
	size_t idx = r->nconds++;
	r->conds[idx] = (struct cond_state){ name, 0, false };
	bool v = truth(r, def);
	r->conds[idx].state = 1;
	r->conds[idx].value = v;
	return v;
}

static bool truth(struct lamb_resolver *r, const struct lamb_node *n)
{
	struct lamb_node *v = resolve(r, n);
	bool b = false;
	if (!lamb_node_bool(v, &b))
		lamb_error(r->diags, &n->mark, "a condition must be true or false, not '%s'",
			   v && v->kind == LAMB_SCALAR ? v->str : lamb_node_kind_name(v));
	return b;
}

static struct lamb_node *fn_condition(struct lamb_resolver *r, const struct lamb_node *n)
{
	const char *name = lamb_node_str(arg_of(n));
	if (!name)
		return fail_at(r, n, "Condition takes the name of a condition");
	return boolean(r, lamb_resolve_condition(r, name, &n->mark), n);
}

static struct lamb_node *fn_if(struct lamb_resolver *r, const struct lamb_node *n)
{
	const struct lamb_node *a = arg_of(n);
	if (a->kind != LAMB_SEQ || a->len != 3 || !lamb_node_str(a->items[0]))
		return fail_at(r, n, "Fn::If takes [ConditionName, value if true, value if false]");
	bool c = lamb_resolve_condition(r, a->items[0]->str, &a->items[0]->mark);
	return resolve(r, a->items[c ? 1 : 2]);
}

static struct lamb_node *fn_import(struct lamb_resolver *r, const struct lamb_node *n)
{
	const char *name = resolve_str(r, arg_of(n), "Fn::ImportValue's name");
	if (!name)
		return empty(r, n);
	lamb_warning(r->diags, &n->mark, "Fn::ImportValue '%s' cannot be resolved locally (it needs "
					 "a deployed stack); lamb uses the export name itself", name);
	struct lamb_node *v = scalar_at(r, name, n);
	v->unknown = r->lenient; /* what reads it goes without, as for a dangling Ref */
	return v;
}

static struct lamb_node *fn_length(struct lamb_resolver *r, const struct lamb_node *n)
{
	struct lamb_node *l = resolve(r, arg_of(n));
	if (pass_unknown(r, l))
		return unknown_from(r, l, n);
	if (!l || l->kind != LAMB_SEQ)
		return fail_at(r, n, "Fn::Length takes a list");
	char num[32];
	snprintf(num, sizeof(num), "%zu", l->len);
	return scalar_at(r, num, n);
}

/* A scalar written unquoted in the template that JSON reads as a number,
 * true or false: CloudFormation reads the YAML into typed JSON before the
 * transform runs, so {n: 1} becomes {"n":1} and {n: '1'} {"n":"1"}. What
 * an intrinsic computed is a string. */
static cJSON *typed_scalar(const struct lamb_node *n)
{
	if (!n->plain || !*n->str)
		return NULL;
	if (strcmp(n->str, "true") == 0 || strcmp(n->str, "false") == 0)
		return cJSON_CreateBool(n->str[0] == 't');
	cJSON *j = cJSON_ParseWithOpts(n->str, NULL, true);
	if (j && cJSON_IsNumber(j))
		return j;
	cJSON_Delete(j);
	return NULL;
}

static cJSON *to_json(const struct lamb_node *n, bool *unknown)
{
	if (!n)
		return cJSON_CreateNull();
	*unknown |= n->unknown;
	if (n->kind == LAMB_SCALAR) {
		cJSON *typed = typed_scalar(n);
		return typed ? typed : cJSON_CreateString(n->str);
	}
	cJSON *j = n->kind == LAMB_SEQ ? cJSON_CreateArray() : cJSON_CreateObject();
	for (size_t i = 0; i < n->len; i++) {
		if (n->kind == LAMB_SEQ)
			cJSON_AddItemToArray(j, to_json(n->items[i], unknown));
		else
			cJSON_AddItemToObject(j, n->pairs[i].key->str, to_json(n->pairs[i].value, unknown));
	}
	return j;
}

static struct lamb_node *fn_tojson(struct lamb_resolver *r, const struct lamb_node *n)
{
	bool unknown = false;
	cJSON *j = to_json(resolve(r, arg_of(n)), &unknown);
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	struct lamb_node *v = scalar_at(r, s, n);
	free(s);
	v->unknown = unknown && r->lenient;
	return v;
}

static struct lamb_node *fn_unsupported(struct lamb_resolver *r, const struct lamb_node *n)
{
	lamb_warning(r->diags, &n->mark, "%s is not evaluated locally; its value is left empty",
		     n->pairs[0].key->str);
	return empty(r, n);
}

static const struct {
	const char *name;
	struct lamb_node *(*fn)(struct lamb_resolver *, const struct lamb_node *);
} intrinsics[] = {
	{ "Ref", fn_ref },
	{ "Condition", fn_condition },
	{ "Fn::GetAtt", fn_getatt },
	{ "Fn::Sub", fn_sub },
	{ "Fn::Join", fn_join },
	{ "Fn::Split", fn_split },
	{ "Fn::Select", fn_select },
	{ "Fn::Base64", fn_base64 },
	{ "Fn::FindInMap", fn_findinmap },
	{ "Fn::GetAZs", fn_getazs },
	{ "Fn::If", fn_if },
	{ "Fn::Equals", fn_equals },
	{ "Fn::ImportValue", fn_import },
	{ "Fn::Length", fn_length },
	{ "Fn::ToJsonString", fn_tojson },
	{ "Fn::Cidr", fn_unsupported },
	{ "Fn::Transform", fn_unsupported },
};

static struct lamb_node *intrinsic(struct lamb_resolver *r, const struct lamb_node *n, const char *fn)
{
	if (strcmp(fn, "Fn::Not") == 0 || strcmp(fn, "Fn::And") == 0 || strcmp(fn, "Fn::Or") == 0)
		return fn_logic(r, n, fn);
	for (size_t i = 0; i < ARRAY_SIZE(intrinsics); i++)
		if (strcmp(fn, intrinsics[i].name) == 0)
			return intrinsics[i].fn(r, n);
	lamb_error(r->diags, &n->mark, "unknown intrinsic function '%s'", fn);
	return empty(r, n);
}

static struct lamb_node *copy_seq(struct lamb_resolver *r, const struct lamb_node *n)
{
	struct lamb_node *out = lamb_node_seq(r->arena, n->len, &n->mark);
	size_t k = 0;
	for (size_t i = 0; i < n->len; i++) {
		struct lamb_node *v = resolve(r, n->items[i]);
		if (v)
			out->items[k++] = v;
	}
	out->len = k;
	return out;
}

static struct lamb_node *copy_map(struct lamb_resolver *r, const struct lamb_node *n)
{
	struct lamb_node *out = lamb_node_map(r->arena, n->len, &n->mark);
	size_t k = 0;
	for (size_t i = 0; i < n->len; i++) {
		struct lamb_node *v = resolve(r, n->pairs[i].value);
		if (!v)
			continue; /* AWS::NoValue removes the key */
		out->pairs[k].key = n->pairs[i].key;
		out->pairs[k].value = v;
		k++;
	}
	out->len = k;
	return out;
}

static struct lamb_node *resolve(struct lamb_resolver *r, const struct lamb_node *n)
{
	if (!n)
		return NULL;
	if (r->exhausted)
		return empty(r, n);
	if (++r->budget > MAX_NODES || r->depth >= MAX_DEPTH) {
		r->exhausted = true;
		lamb_error(r->diags, &n->mark, r->depth >= MAX_DEPTH ?
			   "template nested too deeply (a self-referencing alias?)" :
			   "template expands to too many values (aliases nested too deep?)");
		return empty(r, n);
	}
	r->depth++;
	struct lamb_node *v;
	const char *fn = lamb_node_intrinsic(n);
	if (fn)
		v = intrinsic(r, n, fn);
	else if (n->kind == LAMB_SEQ)
		v = copy_seq(r, n);
	else if (n->kind == LAMB_MAP)
		v = copy_map(r, n);
	else
		v = (struct lamb_node *)n; /* scalars are never changed: share them */
	r->depth--;
	return v;
}

struct lamb_node *lamb_resolve(struct lamb_resolver *r, const struct lamb_node *node)
{
	return resolve(r, node);
}
