/* Resources against their schemas: the type is known, every property at any
 * depth is one the type has (SAM events by their Type), each value is of its
 * kind and among the allowed ones, required properties are there (with
 * SAM's Globals counted). An intrinsic function stands for any value, as
 * CloudFormation resolves it before the resource sees it. */
#include "base/util.h"
#include "model/validate-int.h"
#include "template/globals.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* for_required of a Globals block: its required properties may be elsewhere */
static const struct lamb_node no_required;
#define NO_REQUIRED (&no_required)

struct spec {
	const char *s;
	size_t len;
};

struct pctx {
	struct vctx *c;
	const struct lamb_vs_type *t;
	const struct lamb_node *gblock; /* the type's Globals block, or NULL */
	unsigned no_required; /* > 0: under a value Globals may complete */
};

static void check_value(struct pctx *p, const struct lamb_node *v, struct spec sp, const char *name);
static void check_shape(struct pctx *p, const struct lamb_node *map, int shape, const char *name,
			const struct lamb_node *for_required);

/* The alternatives of a spec: split at '|' outside brackets. */
static size_t alternatives(struct spec sp, struct spec *out, size_t max)
{
	size_t n = 0, start = 0;
	int depth = 0;
	for (size_t i = 0; i <= sp.len && n < max; i++) {
		char ch = i < sp.len ? sp.s[i] : '|';
		depth += (ch == '[' || ch == '{') - (ch == ']' || ch == '}');
		if (ch == '|' && depth == 0) {
			out[n++] = (struct spec){ sp.s + start, i - start };
			start = i + 1;
		}
	}
	return n;
}

static bool fits_kind(char a, enum lamb_node_kind k)
{
	if (a == '*')
		return true;
	if (k == LAMB_SCALAR)
		return a == 's' || a == 'i' || a == 'n' || a == 'b';
	if (k == LAMB_SEQ)
		return a == '[';
	return a == 'o' || a == '{' || a == 'e';
}

static const char *kind_word(char a)
{
	switch (a) {
	case 's': return "a string";
	case 'i': return "an integer";
	case 'n': return "a number";
	case 'b': return "a boolean";
	case '[': return "a list";
	default: return "a mapping";
	}
}

static bool is_number(const char *s, bool integer)
{
	char *end;
	errno = 0;
	if (integer)
		(void)strtoll(s, &end, 10);
	else
		(void)strtod(s, &end);
	return *s && !*end && !errno;
}

static bool is_bool(const char *s)
{
	return strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0;
}

/* Whether value is among enum n ("A|B|C"); else the closest in *best. */
static bool in_enum(struct pctx *p, unsigned n, const char *value, struct v_best *best)
{
	if (n >= p->t->nenums)
		return true;
	size_t vl = strlen(value);
	for (const char *e = p->t->enums[n]; *e;) {
		size_t l = strcspn(e, "|");
		if (l == vl && strncmp(e, value, l) == 0)
			return true;
		v_consider(best, e, l);
		e += l + (e[l] == '|');
	}
	return false;
}

/* "A, B or C" when the list is short; else "". */
static const char *enum_list(struct pctx *p, unsigned n, char *buf, size_t size)
{
	const char *e = n < p->t->nenums ? p->t->enums[n] : "";
	size_t bars = 0, l = strlen(e);
	for (const char *q = e; *q; q++)
		bars += *q == '|';
	if (bars > 11 || l + 2 * bars + 16 > size) {
		buf[0] = '\0';
		return buf;
	}
	size_t o = (size_t)snprintf(buf, size, " (one of ");
	for (const char *q = e; *q; q++)
		o += (size_t)snprintf(buf + o, size - o, *q == '|' ? ", " : "%c", *q);
	snprintf(buf + o, size - o, ")");
	return buf;
}

static void check_scalar(struct pctx *p, const struct lamb_node *v, const struct spec *alts, size_t n,
			 const char *name)
{
	struct v_best best;
	v_best_init(&best, v->str);
	int enum_no = -1;
	char want = 0;
	for (size_t i = 0; i < n; i++) {
		char a = alts[i].s[0];
		if (a == '*' || (a == 's' && alts[i].len == 1))
			return;
		if ((a == 'i' || a == 'n') && is_number(v->str, a == 'i'))
			return;
		if (a == 'b' && is_bool(v->str))
			return;
		if (a == 's' && alts[i].s[1] == '=') {
			enum_no = atoi(alts[i].s + 2);
			if (in_enum(p, (unsigned)enum_no, v->str, &best))
				return;
		}
		if (!want && a != 's')
			want = a;
	}
	char buf[512];
	if (enum_no >= 0 && v_join_value(p->c, &v->mark, v->str, R_VALUE, v_best_get(&best)))
		return;
	if (enum_no >= 0)
		v_error(p->c, &v->mark, R_VALUE, v_best_get(&best), "'%s' is not an allowed value of %s%s",
			v->str, name, enum_list(p, (unsigned)enum_no, buf, sizeof(buf)));
	else
		v_error(p->c, &v->mark, R_KIND, NULL, "%s must be %s, not '%s'", name, kind_word(want), v->str);
}

/* CloudFormation's package step turns a local path into these objects. */
static bool packageable(const char *name)
{
	static const char *const names[] = { "Code", "Content", "BodyS3Location", "DefinitionS3Location",
					     "SourceBundle", "Location" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static void wrong_kind(struct pctx *p, const struct lamb_node *v, const struct spec *alts, size_t n,
		       const char *name)
{
	char bare[64];
	snprintf(bare, sizeof(bare), "%.*s", (int)strcspn(name + (name[0] == '\''), "'"),
		 name + (name[0] == '\''));
	if (v->kind == LAMB_SCALAR && packageable(bare))
		return;
	char want[128] = "";
	size_t o = 0;
	for (size_t i = 0; i < n && o < sizeof(want) - 40; i++) {
		const char *w = kind_word(alts[i].s[0]);
		if (!strstr(want, w))
			o += (size_t)snprintf(want + o, sizeof(want) - o, "%s%s", o ? " or " : "", w);
	}
	v_error(p->c, &v->mark, R_KIND, NULL, "%s must be %s, not %s", name, want, lamb_node_kind_name(v));
}

/* A mapping that fits several alternatives: the first one that takes it
 * without a complaint; else the complaints of the first. */
static void check_map_alts(struct pctx *p, const struct lamb_node *v, const struct spec *alts, size_t n,
			   const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (alts[i].s[0] == '{' && alts[i].len == 3 && alts[i].s[1] == '*')
			return; /* any mapping */
	if (n > 1) {
		for (size_t i = 0; i < n; i++) {
			size_t before = p->c->trial_errors;
			p->c->quiet++;
			check_value(p, v, alts[i], name);
			p->c->quiet--;
			bool clean = p->c->trial_errors == before;
			p->c->trial_errors = before;
			if (clean)
				return;
		}
	}
	check_value(p, v, alts[0], name);
}

static void check_events(struct pctx *p, const struct lamb_node *events, const char *name);

static void check_one(struct pctx *p, const struct lamb_node *v, struct spec a, const char *name)
{
	char sub[300];
	switch (a.s[0]) {
	case 'o':
		check_shape(p, v, atoi(a.s + 1), name, v);
		break;
	case 'e':
		check_events(p, v, name);
		break;
	case '[':
		for (size_t i = 0; i < v->len; i++) {
			snprintf(sub, sizeof(sub), "an item of %s", name);
			check_value(p, v->items[i], (struct spec){ a.s + 1, a.len - 2 }, sub);
		}
		break;
	case '{':
		for (size_t i = 0; i < v->len; i++) {
			snprintf(sub, sizeof(sub), "'%s' of %s", v->pairs[i].key->str, name);
			check_value(p, v->pairs[i].value, (struct spec){ a.s + 1, a.len - 2 }, sub);
		}
		break;
	}
}

static void check_value(struct pctx *p, const struct lamb_node *v, struct spec sp, const char *name)
{
	if (!v || v->unknown || lamb_node_intrinsic(v) || lamb_node_is_null(v))
		return;
	struct spec all[16], fit[16];
	size_t n = alternatives(sp, all, ARRAY_SIZE(all)), nfit = 0;
	for (size_t i = 0; i < n; i++)
		if (all[i].len && fits_kind(all[i].s[0], v->kind))
			fit[nfit++] = all[i];
	if (!nfit) {
		wrong_kind(p, v, all, n, name);
		return;
	}
	for (size_t i = 0; i < nfit; i++)
		if (fit[i].s[0] == '*')
			return;
	if (v->kind == LAMB_SCALAR)
		check_scalar(p, v, fit, nfit, name);
	else if (v->kind == LAMB_MAP && nfit > 1)
		check_map_alts(p, v, fit, nfit, name);
	else
		check_one(p, v, fit[0], name);
}

static const struct lamb_vs_prop *find_prop(const struct lamb_vs_shape *sh, const char *key)
{
	for (size_t i = 0; i < sh->nprops; i++)
		if (strcmp(sh->props[i].name, key) == 0)
			return &sh->props[i];
	return NULL;
}

static bool has_fn_key(const struct lamb_node *map)
{
	for (size_t i = 0; i < map->len; i++)
		if (str_starts(map->pairs[i].key->str, "Fn::"))
			return true;
	return false;
}

static void unknown_prop(struct pctx *p, const struct lamb_vs_shape *sh, const struct lamb_node *key,
			 const char *name)
{
	struct v_best best;
	v_best_init(&best, key->str);
	for (size_t i = 0; i < sh->nprops; i++)
		v_consider(&best, sh->props[i].name, strlen(sh->props[i].name));
	v_error(p->c, &key->mark, R_PROP, v_best_get(&best), "unknown property '%s' in %s", key->str, name);
}

static void check_required(struct pctx *p, const struct lamb_vs_shape *sh, const struct lamb_node *map,
			   const struct lamb_mark *at, const char *name)
{
	if (p->no_required || map == NO_REQUIRED || (map && (map->kind != LAMB_MAP || has_fn_key(map))))
		return;
	for (size_t i = 0; i < sh->nprops; i++)
		if (sh->props[i].required && !lamb_node_get(map, sh->props[i].name))
			v_error(p->c, at, R_REQUIRED, NULL, "%s is missing required property '%s'", name,
				sh->props[i].name);
}

static void check_shape(struct pctx *p, const struct lamb_node *map, int shape, const char *name,
			const struct lamb_node *for_required)
{
	if (shape < 0 || (size_t)shape >= p->t->nshapes || map->kind != LAMB_MAP)
		return;
	const struct lamb_vs_shape *sh = &p->t->shapes[shape];
	char sub[300];
	for (size_t i = 0; i < map->len; i++) {
		const struct lamb_node *key = map->pairs[i].key;
		if (str_starts(key->str, "Fn::"))
			continue;
		const struct lamb_vs_prop *pr = find_prop(sh, key->str);
		if (!pr && !sh->open)
			unknown_prop(p, sh, key, name);
		if (!pr)
			continue;
		snprintf(sub, sizeof(sub), "'%s'", key->str);
		/* SAM merges a Globals mapping into the resource's key by key:
		 * what the value requires may come from there */
		bool global = shape == 0 && lamb_node_get(p->gblock, key->str);
		p->no_required += global;
		check_value(p, map->pairs[i].value, (struct spec){ pr->spec, strlen(pr->spec) }, sub);
		p->no_required -= global;
	}
	check_required(p, sh, for_required, &map->mark, name);
}

/* ---- SAM events ---- */

static void check_event(struct pctx *p, const struct lamb_pair *ev)
{
	const struct lamb_node *e = ev->value;
	if (e->kind != LAMB_MAP || lamb_node_intrinsic(e))
		return;
	const struct lamb_node *type = lamb_node_get(e, "Type");
	const char *ts = lamb_node_str(type);
	char name[300];
	snprintf(name, sizeof(name), "event '%s'", ev->key->str);
	for (size_t i = 0; i < e->len; i++) {
		const char *k = e->pairs[i].key->str;
		if (strcmp(k, "Type") != 0 && strcmp(k, "Properties") != 0) {
			const char *const keys[] = { "Type", "Properties" };
			v_error(p->c, &e->pairs[i].key->mark, R_PROP, lamb_validate_suggest(k, keys, 2),
				"unknown key '%s' in %s (an event has Type and Properties)", k, name);
		}
	}
	if (!ts)
		return;
	for (size_t i = 0; i < p->t->nevents; i++) {
		if (strcmp(p->t->events[i].type, ts) != 0)
			continue;
		const struct lamb_node *props = lamb_node_get(e, "Properties");
		snprintf(name, sizeof(name), "the %s event '%s'", ts, ev->key->str);
		int sh = p->t->events[i].shape;
		if (props && (lamb_node_intrinsic(props) || props->kind != LAMB_MAP))
			return;
		if (props)
			check_shape(p, props, sh, name, NO_REQUIRED);
		/* at the event, where the loader says what its type needs */
		if (sh >= 0 && (size_t)sh < p->t->nshapes)
			check_required(p, &p->t->shapes[sh], props, &ev->key->mark, name);
		return;
	}
	struct v_best best;
	v_best_init(&best, ts);
	for (size_t i = 0; i < p->t->nevents; i++)
		v_consider(&best, p->t->events[i].type, strlen(p->t->events[i].type));
	/* at the event, where the loader reports it for a resource it builds */
	v_error(p->c, &ev->key->mark, R_VALUE, v_best_get(&best), "event '%s' has unknown Type '%s'",
		ev->key->str, ts);
}

static void check_events(struct pctx *p, const struct lamb_node *events, const char *name)
{
	(void)name;
	for (size_t i = 0; events->kind == LAMB_MAP && i < events->len; i++)
		check_event(p, &events->pairs[i]);
}

/* ---- resources ---- */

static bool type_unchecked(const char *type)
{
	return str_starts(type, "Custom::") || strstr(type, "::MODULE") || !strchr(type, ':');
}

static void unknown_type(struct vctx *c, const struct lamb_node *type)
{
	size_t n;
	const char *const *names = lamb_schemas_names(c->schemas, &n);
	v_error(c, &type->mark, R_TYPE, lamb_validate_suggest(type->str, names, n),
		"unknown resource type '%s'", type->str);
}

/* SAM's Globals fill properties in: the required ones are looked for in the
 * merged properties. */
static const struct lamb_node *globals_block(struct vctx *c, const char *type)
{
	for (size_t i = 0; c->globals && c->globals->kind == LAMB_MAP && i < c->globals->len; i++) {
		const char *gt = lamb_globals_type(c->globals->pairs[i].key->str);
		if (gt && strcmp(gt, type) == 0 && c->globals->pairs[i].value->kind == LAMB_MAP)
			return c->globals->pairs[i].value;
	}
	return NULL;
}

static const struct lamb_node *with_globals(struct vctx *c, const char *type, const struct lamb_node *res,
					     const struct lamb_node *props)
{
	for (size_t i = 0; c->globals && c->globals->kind == LAMB_MAP && i < c->globals->len; i++) {
		const char *gt = lamb_globals_type(c->globals->pairs[i].key->str);
		if (gt && strcmp(gt, type) == 0 && c->globals->pairs[i].value->kind == LAMB_MAP)
			return lamb_globals_merge(c->r.arena, c->globals->pairs[i].value, res, props);
	}
	return props;
}

/* A requirement the SAM schema does not carry: SAM refuses an enabled
 * DeploymentPreference without a Type ("'DeploymentPreference' is missing
 * required Property 'Type'", samtranslator's deployment_preference.py);
 * Enabled false (or "false", "False") needs none, nor, as lamb does not
 * resolve it here, an Enabled given by an intrinsic. */
static void deployment_preference(struct vctx *c, const struct lamb_node *merged, const char *name)
{
	const struct lamb_node *d = lamb_node_get(merged, "DeploymentPreference");
	if (!d || d->kind != LAMB_MAP || lamb_node_intrinsic(d) || lamb_node_get(d, "Type"))
		return;
	const struct lamb_node *en = lamb_node_get(d, "Enabled");
	const char *enabled = lamb_node_str(en);
	if (en && (!enabled || strcmp(enabled, "false") == 0 || strcmp(enabled, "False") == 0))
		return; /* false, or an intrinsic SAM resolves first (a parameter's 'false') */
	v_error(c, &d->mark, R_REQUIRED, NULL, "%s: 'DeploymentPreference' is missing required property 'Type'",
		name);
}

static void check_resource(struct vctx *c, const struct lamb_pair *rp)
{
	const struct lamb_node *res = rp->value;
	const struct lamb_node *type = lamb_node_get(res, "Type");
	if (res->kind != LAMB_MAP || !lamb_node_str(type) || type_unchecked(type->str))
		return;
	struct pctx p = { .c = c, .t = lamb_schemas_type(c->schemas, type->str),
			  .gblock = globals_block(c, type->str) };
	if (!p.t) {
		unknown_type(c, type);
		return;
	}
	const struct lamb_node *props = lamb_node_get(res, "Properties");
	char name[300];
	snprintf(name, sizeof(name), "resource '%s' (%s)", rp->key->str, type->str);
	if (props && (lamb_node_intrinsic(props) || props->kind != LAMB_MAP))
		return;
	const struct lamb_node *merged = with_globals(c, type->str, res, props);
	if (strcmp(type->str, "AWS::Serverless::Function") == 0)
		deployment_preference(c, merged, name);
	if (props)
		check_shape(&p, props, 0, name, merged);
	else if (p.t->nshapes)
		check_required(&p, &p.t->shapes[0], merged, &rp->key->mark, name);
}

/* Globals values are checked against the schema of the type they apply
 * to; which properties a block may hold the loader says. */
static void check_globals(struct vctx *c)
{
	for (size_t i = 0; c->globals && c->globals->kind == LAMB_MAP && i < c->globals->len; i++) {
		const struct lamb_pair *g = &c->globals->pairs[i];
		const char *type = lamb_globals_type(g->key->str);
		/* a Globals value is a part: what it requires the resource may give */
		struct pctx p = { .c = c, .t = type ? lamb_schemas_type(c->schemas, type) : NULL, .no_required = 1 };
		char name[128];
		snprintf(name, sizeof(name), "Globals.%s", g->key->str);
		if (!p.t || g->value->kind != LAMB_MAP)
			continue;
		struct lamb_vs_shape open = p.t->shapes[0];
		open.open = true;
		for (size_t k = 0; k < g->value->len; k++) {
			const struct lamb_vs_prop *pr = find_prop(&open, g->value->pairs[k].key->str);
			char sub[300];
			snprintf(sub, sizeof(sub), "'%s'", g->value->pairs[k].key->str);
			if (pr)
				check_value(&p, g->value->pairs[k].value, (struct spec){ pr->spec, strlen(pr->spec) }, sub);
		}
	}
}

void v_check_resources(struct vctx *c)
{
	check_globals(c);
	for (size_t i = 0; c->resources && c->resources->kind == LAMB_MAP && i < c->resources->len; i++)
		check_resource(c, &c->resources->pairs[i]);
}
