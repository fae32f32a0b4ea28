/* Names that must lead somewhere: Ref, Fn::Sub's ${...}, Fn::GetAtt and its
 * attribute, DependsOn, Fn::If and Condition, Fn::FindInMap's map. Every
 * resource is walked, a resource whose Condition is false too (CloudFormation
 * checks the whole template before it evaluates a condition). The names seen
 * in use feed the "defined and never used" warnings. */
#include "base/util.h"
#include "model/validate-int.h"

#include <ctype.h>
#include <string.h>

static void walk(struct vctx *c, const struct lamb_node *n);

static bool is_param(const struct vctx *c, const char *name)
{
	return lamb_node_get(c->params, name) != NULL;
}

/* The closest parameter or resource name. */
static const char *near_name(struct vctx *c, const char *name, bool params, struct v_best *best)
{
	v_best_init(best, name);
	for (size_t i = 0; params && c->params && c->params->kind == LAMB_MAP && i < c->params->len; i++)
		v_consider(best, c->params->pairs[i].key->str, strlen(c->params->pairs[i].key->str));
	for (size_t i = 0; i < c->r.nresources; i++)
		v_consider(best, c->r.resources[i].id, strlen(c->r.resources[i].id));
	return v_best_get(best);
}

static bool pseudo(const char *name)
{
	static const char *const names[] = { "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue",
					     "AWS::Partition", "AWS::Region", "AWS::StackId",
					     "AWS::StackName", "AWS::URLSuffix" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* What ends the ids SAM generates from a resource whose next part may be in
 * lower case: MyApi + devStage (the stage name as written). */
static bool sam_suffix(const char *rest)
{
	static const char *const suffixes[] = { "Stage", "Deployment", "Permission", "Role", "Alias" };
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++)
		if (str_ends(rest, suffixes[i]))
			return true;
	return false;
}

/* A resource of the template, one SAM generates from one (MyFunctionRole:
 * the id, then a capital or a digit, or a SAM suffix), one an embedded connector generates
 * (MyQueueMyConnector), or a SAM resource reference (MyFunction.Alias). */
static bool known_id(const struct vctx *c, const char *id)
{
	if (lamb_resolve_resource(&c->r, id))
		return true;
	if (str_starts(id, "ServerlessRestApi") || str_starts(id, "ServerlessHttpApi"))
		return true;
	const char *dot = strchr(id, '.');
	for (size_t i = 0; i < c->r.nresources; i++) {
		const struct lamb_res_entry *e = &c->r.resources[i];
		size_t l = strlen(e->id);
		bool sam = str_starts(e->type, "AWS::Serverless::");
		if (strncmp(id, e->id, l) != 0 || !(sam || lamb_node_get(e->node, "Connectors")))
			continue;
		char next = id[l];
		if ((dot && id + l == dot && sam) ||
		    (!dot && (isupper((unsigned char)next) || isdigit((unsigned char)next) || sam_suffix(id + l))))
			return true;
	}
	return false;
}

static void ref_name(struct vctx *c, const char *name, const struct lamb_mark *at, const char *what)
{
	if (is_param(c, name)) {
		v_use(c, 'P', name);
		return;
	}
	if (pseudo(name) || known_id(c, name))
		return;
	struct v_best best;
	v_error(c, at, R_REF, near_name(c, name, true, &best), "%s to undefined parameter or resource '%s'",
		what, name);
}

static bool attr_ok(const struct lamb_vs_type *t, const char *attr)
{
	for (size_t i = 0; i < t->nattrs; i++) {
		const char *a = t->attrs[i];
		size_t l = strlen(a);
		if (strcmp(a, "*") == 0 || strcmp(a, attr) == 0)
			return true;
		if (l >= 2 && a[l - 1] == '*' && strncmp(a, attr, l - 1) == 0)
			return true;
	}
	return false;
}

/* "; it has Arn, ..." (the first few), for a name with no close one. */
static const char *attr_list(const struct lamb_vs_type *t, char *buf, size_t size)
{
	size_t o = (size_t)snprintf(buf, size, "; it has ");
	size_t shown = 0, left = 0;
	for (size_t i = 0; i < t->nattrs; i++) {
		if (strchr(t->attrs[i], '*'))
			continue; /* a pattern, not a name to write */
		if (shown < 8 && o + strlen(t->attrs[i]) + 8 < size)
			o += (size_t)snprintf(buf + o, size - o, "%s%s", shown++ ? ", " : "", t->attrs[i]);
		else
			left++;
	}
	if (!shown)
		buf[0] = '\0';
	else if (left)
		snprintf(buf + o, size - o, ", ...");
	return buf;
}

static void getatt(struct vctx *c, const char *id, const char *attr, const struct lamb_mark *at)
{
	const char *type = v_resource_type(c, id);
	if (!type) {
		if (!known_id(c, id)) {
			struct v_best best;
			v_error(c, at, R_REF, near_name(c, id, false, &best),
				"GetAtt of undefined resource '%s'", id);
		}
		return;
	}
	const struct lamb_vs_type *t = c->schemas && attr ? lamb_schemas_type(c->schemas, type) : NULL;
	if (!t || attr_ok(t, attr))
		return;
	struct v_best best;
	v_best_init(&best, attr);
	for (size_t i = 0; i < t->nattrs; i++)
		v_consider(&best, t->attrs[i], strlen(t->attrs[i]));
	const char *sugg = v_best_get(&best);
	char list[300];
	v_error(c, at, R_ATTR, sugg, "%s has no attribute '%s' (%s%s)", id, attr, type,
		sugg ? "" : attr_list(t, list, sizeof(list)));
}

static void fn_getatt(struct vctx *c, const struct lamb_node *n, const struct lamb_node *arg)
{
	if (lamb_node_str(arg)) {
		const char *dot = strchr(arg->str, '.');
		if (!dot)
			return; /* the loader says what is wrong with it */
		char *id = xstrndup(arg->str, (size_t)(dot - arg->str));
		getatt(c, id, dot + 1, &n->mark);
		free(id);
	} else if (arg->kind == LAMB_SEQ && arg->len == 2 && lamb_node_str(arg->items[0])) {
		getatt(c, arg->items[0]->str, lamb_node_str(arg->items[1]), &n->mark);
		walk(c, arg->items[1]);
	}
}

/* ${Name}, ${Resource.Attr}; ${!Literal} is text. */
static void sub_vars(struct vctx *c, const char *s, const struct lamb_node *vars, const struct lamb_mark *at)
{
	for (const char *p = strstr(s, "${"); p; p = strstr(p, "${")) {
		const char *end = strchr(p, '}');
		if (!end)
			return;
		if (p[2] == '!') {
			p = end;
			continue;
		}
		char *name = xstrndup(p + 2, (size_t)(end - p - 2));
		char *dot = strchr(name, '.');
		if (lamb_node_get(vars, name))
			; /* the Sub's own variable */
		else if (dot && !pseudo(name)) {
			*dot = '\0';
			getatt(c, name, dot + 1, at);
		} else
			ref_name(c, name, at, "Fn::Sub variable");
		free(name);
		p = end;
	}
}

static void fn_sub(struct vctx *c, const struct lamb_node *n, const struct lamb_node *arg)
{
	if (lamb_node_str(arg)) {
		sub_vars(c, arg->str, NULL, &n->mark);
	} else if (arg->kind == LAMB_SEQ && arg->len >= 1) {
		const struct lamb_node *vars = arg->len > 1 ? arg->items[1] : NULL;
		if (lamb_node_str(arg->items[0]))
			sub_vars(c, arg->items[0]->str, vars, &n->mark);
		if (vars)
			walk(c, vars);
	}
}

static void condition_name(struct vctx *c, const struct lamb_node *name)
{
	const char *s = lamb_node_str(name);
	if (!s)
		return;
	v_use(c, 'C', s);
	if (lamb_node_get(c->conditions, s))
		return;
	struct v_best best;
	v_best_init(&best, s);
	for (size_t i = 0; c->conditions && c->conditions->kind == LAMB_MAP && i < c->conditions->len; i++)
		v_consider(&best, c->conditions->pairs[i].key->str, strlen(c->conditions->pairs[i].key->str));
	v_error(c, &name->mark, R_COND, v_best_get(&best), "undefined condition '%s'", s);
}

static void fn_findinmap(struct vctx *c, const struct lamb_node *arg)
{
	const char *map = arg->kind == LAMB_SEQ && arg->len ? lamb_node_str(arg->items[0]) : NULL;
	if (map) {
		v_use(c, 'M', map);
		if (!lamb_node_get(c->mappings, map)) {
			struct v_best best;
			v_best_init(&best, map);
			for (size_t i = 0; c->mappings && c->mappings->kind == LAMB_MAP && i < c->mappings->len; i++)
				v_consider(&best, c->mappings->pairs[i].key->str,
					   strlen(c->mappings->pairs[i].key->str));
			v_error(c, &arg->items[0]->mark, R_MAPPING, v_best_get(&best),
				"Fn::FindInMap of undefined mapping '%s'", map);
		}
	}
	walk(c, arg);
}

static bool intrinsic(struct vctx *c, const struct lamb_node *n)
{
	const char *fn = lamb_node_intrinsic(n);
	if (!fn)
		return false;
	const struct lamb_node *arg = n->pairs[0].value;
	if (strcmp(fn, "Ref") == 0 && lamb_node_str(arg))
		ref_name(c, arg->str, &n->mark, "Ref");
	else if (strcmp(fn, "Fn::GetAtt") == 0)
		fn_getatt(c, n, arg);
	else if (strcmp(fn, "Fn::Sub") == 0)
		fn_sub(c, n, arg);
	else if (strcmp(fn, "Condition") == 0)
		condition_name(c, arg);
	else if (strcmp(fn, "Fn::FindInMap") == 0)
		fn_findinmap(c, arg);
	else if (strcmp(fn, "Fn::If") == 0 && arg->kind == LAMB_SEQ && arg->len) {
		condition_name(c, arg->items[0]);
		for (size_t i = 1; i < arg->len; i++)
			walk(c, arg->items[i]);
	} else
		walk(c, arg);
	return true;
}

static void walk(struct vctx *c, const struct lamb_node *n)
{
	if (!n || (n->kind == LAMB_MAP && intrinsic(c, n)))
		return;
	for (size_t i = 0; n->kind == LAMB_SEQ && i < n->len; i++)
		walk(c, n->items[i]);
	for (size_t i = 0; n->kind == LAMB_MAP && i < n->len; i++)
		walk(c, n->pairs[i].value);
}

static void depends_on(struct vctx *c, const struct lamb_node *d)
{
	if (!d)
		return;
	if (d->kind == LAMB_SEQ) {
		for (size_t i = 0; i < d->len; i++)
			depends_on(c, d->items[i]);
		return;
	}
	if (d->kind == LAMB_MAP) {
		v_error(c, &d->mark, R_KIND, NULL, "DependsOn takes resource names, not %s",
			lamb_node_intrinsic(d) ? "an intrinsic function" : "a mapping");
		return;
	}
	const char *id = lamb_node_str(d);
	if (!id || known_id(c, id))
		return;
	struct v_best best;
	v_error(c, &d->mark, R_REF, near_name(c, id, false, &best), "DependsOn undefined resource '%s'", id);
}

static void walk_section(struct vctx *c, const char *name)
{
	const struct lamb_node *s = lamb_node_get(c->root, name);
	bool entries = strcmp(name, "Resources") == 0 || strcmp(name, "Outputs") == 0;
	for (size_t i = 0; s && s->kind == LAMB_MAP && i < s->len; i++) {
		const struct lamb_node *v = s->pairs[i].value;
		if (str_starts(s->pairs[i].key->str, "Fn::ForEach::"))
			continue; /* AWS::LanguageExtensions: its names are the loop's */
		if (entries && v->kind == LAMB_MAP && lamb_node_str(lamb_node_get(v, "Condition")))
			condition_name(c, lamb_node_get(v, "Condition"));
		walk(c, v);
		if (strcmp(name, "Resources") == 0)
			depends_on(c, lamb_node_get(v, "DependsOn"));
	}
}

void v_check_names(struct vctx *c)
{
	walk_section(c, "Conditions");
	walk_section(c, "Globals");
	walk_section(c, "Resources");
	walk_section(c, "Outputs");
	walk_section(c, "Rules");
}

static void unused(struct vctx *c, const struct lamb_node *section, char kind, const char *rule,
		   const char *what)
{
	for (size_t i = 0; section && section->kind == LAMB_MAP && i < section->len; i++) {
		const struct lamb_node *k = section->pairs[i].key;
		if (!v_used(c, kind, k->str))
			v_report(c, LAMB_WARNING, &k->mark, rule, NULL, "%s '%s' is defined but never used",
				 what, k->str);
	}
}

void v_check_unused(struct vctx *c)
{
	unused(c, c->params, 'P', R_UNUSED_PARAM, "parameter");
	unused(c, c->conditions, 'C', R_UNUSED_COND, "condition");
	unused(c, c->mappings, 'M', R_UNUSED_MAPPING, "mapping");
}
