/* lamb validate's driver: the order of the checks, how a finding joins the
 * loader's (one place, one report), "did you mean" by edit distance, and the
 * warnings that look at the template as a whole: deprecated runtimes once
 * per runtime, properties lamb local loads but does not emulate. */
#include "base/util.h"
#include "model/validate-int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- reporting ---- */

static struct lamb_diag *at_same_place(struct lamb_diags *d, enum lamb_severity sev,
				       const struct lamb_mark *m)
{
	for (size_t i = 0; m && m->line && i < d->len; i++) {
		struct lamb_diag *g = &d->v[i];
		if (g->severity == sev && g->line == m->line && g->col == m->col &&
		    str_eq(g->file, m->file))
			return g;
	}
	return NULL;
}

const char *v_hint(const char *suggestion, char *buf, size_t size)
{
	if (!suggestion)
		return "";
	snprintf(buf, size, "; did you mean `%s`?", suggestion);
	return buf;
}

/* A loader's report gains the rule and the suggestion. */
static void adopt(struct lamb_diag *g, const char *rule, const char *suggestion)
{
	g->rule = rule;
	if (suggestion && !g->suggestion) {
		char hint[300];
		char *msg = xasprintf("%s%s", g->msg, v_hint(suggestion, hint, sizeof(hint)));
		free(g->msg);
		g->msg = msg;
		g->suggestion = xstrdup(suggestion);
	}
}

/* A loader's error at the same place says the same thing in its words: it
 * gains the rule and the suggestion, and is not repeated. One place gets one
 * finding, but for the required properties a mapping may lack. */
static bool join_existing(struct vctx *c, enum lamb_severity sev, const struct lamb_mark *m,
			  const char *rule, const char *suggestion)
{
	struct lamb_diag *g = at_same_place(c->diags, sev, m);
	if (!g)
		return false;
	if (g->rule && strcmp(rule, R_REQUIRED) == 0)
		return false;
	if (!g->rule)
		adopt(g, rule, suggestion);
	return true;
}

bool v_join_value(struct vctx *c, const struct lamb_mark *m, const char *value, const char *rule,
		  const char *suggestion)
{
	char *quoted = xasprintf("'%s'", value);
	struct lamb_diag *found = NULL;
	for (size_t i = 0; !c->quiet && m && m->line && i < c->diags->len && !found; i++) {
		struct lamb_diag *g = &c->diags->v[i];
		if (!g->rule && g->severity == LAMB_ERROR && g->line == m->line && str_eq(g->file, m->file) &&
		    strstr(g->msg, quoted))
			found = g;
	}
	free(quoted);
	if (found)
		adopt(found, rule, suggestion);
	return found != NULL;
}

void v_drop_warning(struct vctx *c, const struct lamb_mark *m)
{
	struct lamb_diag *g = at_same_place(c->diags, LAMB_WARNING, m);
	if (c->quiet || !g || g->rule)
		return;
	free(g->file);
	free(g->msg);
	free(g->suggestion);
	size_t i = (size_t)(g - c->diags->v);
	memmove(g, g + 1, (c->diags->len - i - 1) * sizeof(*g));
	c->diags->len--;
}

void v_report(struct vctx *c, enum lamb_severity sev, const struct lamb_mark *m, const char *rule,
	      const char *suggestion, const char *fmt, ...)
{
	if (c->quiet) {
		c->trial_errors += sev == LAMB_ERROR;
		return;
	}
	if (join_existing(c, sev, m, rule, suggestion))
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	char hint[300];
	lamb_diags_add_rule(c->diags, sev, m, rule, suggestion, "%s%s", msg,
			    v_hint(suggestion, hint, sizeof(hint)));
	free(msg);
}

/* ---- did you mean ---- */

/* Optimal string alignment distance (Damerau-Levenshtein with adjacent
 * transpositions) over case-folded letters; a difference of case alone
 * costs nothing, so "memorysize" finds MemorySize first. */
static unsigned distance(const char *a, size_t la, const char *b, size_t lb)
{
	unsigned rows[3][130];
	unsigned *pp = rows[0], *p = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= lb; j++)
		p[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			unsigned v = p[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (p[j - 1] + cost < v)
				v = p[j - 1] + cost;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
		}
		unsigned *t = pp;
		pp = p;
		p = cur;
		cur = t;
	}
	return p[lb];
}

static unsigned max_distance(size_t len)
{
	return len <= 4 ? 1 : len <= 12 ? 2 : 3;
}

void v_best_init(struct v_best *b, const char *word)
{
	memset(b, 0, sizeof(*b));
	b->word = word;
	b->dist = ~0u;
}

void v_consider(struct v_best *b, const char *cand, size_t len)
{
	size_t wl = strlen(b->word);
	unsigned maxd = max_distance(wl);
	if (wl > 128 || len > 128 || (wl > len ? wl - len : len - wl) > maxd)
		return;
	if (len == wl && strncmp(cand, b->word, len) == 0)
		return; /* the word itself is no suggestion */
	unsigned d = distance(b->word, wl, cand, len);
	if (d <= maxd && d < b->dist) {
		b->dist = d;
		b->best = cand;
		b->best_len = len;
	}
}

const char *v_best_get(struct v_best *b)
{
	if (!b->best || b->best_len >= sizeof(b->buf))
		return NULL;
	memcpy(b->buf, b->best, b->best_len);
	b->buf[b->best_len] = '\0';
	return b->buf;
}

const char *lamb_validate_suggest(const char *word, const char *const *cands, size_t n)
{
	static __thread struct v_best b;
	v_best_init(&b, word);
	for (size_t i = 0; i < n; i++)
		v_consider(&b, cands[i], strlen(cands[i]));
	return v_best_get(&b);
}

/* ---- names in use ---- */

void v_use(struct vctx *c, char kind, const char *name)
{
	if (v_used(c, kind, name))
		return;
	c->used = xgrow(c->used, &c->used_cap, c->nused + 1, sizeof(*c->used));
	c->used[c->nused++] = xasprintf("%c:%s", kind, name);
}

bool v_used(const struct vctx *c, char kind, const char *name)
{
	for (size_t i = 0; i < c->nused; i++)
		if (c->used[i][0] == kind && strcmp(c->used[i] + 2, name) == 0)
			return true;
	return false;
}

const struct lamb_node *v_resource(const struct vctx *c, const char *id)
{
	const struct lamb_res_entry *e = lamb_resolve_resource(&c->r, id);
	return e ? e->node : NULL;
}

const char *v_resource_type(const struct vctx *c, const char *id)
{
	const struct lamb_res_entry *e = lamb_resolve_resource(&c->r, id);
	return e ? e->type : NULL;
}

/* ---- whole-template warnings ---- */

/* The loader warns of a deprecated runtime at each function: the first
 * warning per runtime stays, the rest go. */
static void collapse_deprecated(struct lamb_diags *d, size_t from)
{
	const char *seen[64];
	size_t nseen = 0, out = from;
	for (size_t i = from; i < d->len; i++) {
		struct lamb_diag g = d->v[i];
		bool dep = g.severity == LAMB_WARNING && !g.rule && str_starts(g.msg, "Runtime '") &&
			   strstr(g.msg, "' is deprecated");
		size_t k = 0;
		size_t nlen = dep ? strcspn(g.msg + 9, "'") : 0;
		while (dep && k < nseen && !(strncmp(seen[k], g.msg + 9, nlen) == 0 && seen[k][nlen] == '\''))
			k++;
		if (dep && k < nseen) {
			free(g.file);
			free(g.msg);
			free(g.suggestion);
			continue;
		}
		if (dep && nseen < ARRAY_SIZE(seen)) {
			seen[nseen++] = g.msg + 9;
			g.rule = R_DEPRECATED;
		}
		d->v[out++] = g;
	}
	d->len = out;
}

enum { NE_SNAPSTART, NE_DURABLE, NE_IMAGE, NE_COGNITO, NE_JWT, NE_COUNT };

static void not_emulated(struct vctx *c, bool *said, int what, const struct lamb_mark *m, const char *name)
{
	if (said[what])
		return;
	said[what] = true;
	v_report(c, LAMB_WARNING, m, R_NOT_EMULATED, NULL,
		 "%s: deployed as written; not emulated by lamb local", name);
}

/* lamb local runs SnapStart (engine/snapstart.c) for Python runtimes
 * only: on another runtime it is said, as a property lamb does not run. A
 * runtime not known here (from neither the function nor Globals) says
 * nothing. */
static void snapstart_emulated(struct vctx *c, const struct lamb_node *props, const struct lamb_pair *p, bool *said)
{
	const char *rt = lamb_node_str(lamb_node_get(props, "Runtime"));
	if (!rt)
		rt = lamb_node_str(lamb_node_get(lamb_node_get(c->globals, "Function"), "Runtime"));
	if (!rt || said[NE_SNAPSTART])
		return;
	/* Lambda's SnapStart takes python3.12 and later: an older Python is
	 * refused by CreateFunction (lamb local still runs it) */
	int minor = str_starts(rt, "python3.") ? atoi(rt + strlen("python3.")) : 0;
	if (str_starts(rt, "python") && minor >= 12)
		return;
	said[NE_SNAPSTART] = true;
	if (str_starts(rt, "python"))
		v_report(c, LAMB_WARNING, &p->key->mark, R_NOT_EMULATED, NULL,
			 "SnapStart on %s: Lambda has SnapStart for python3.12 and later only; lamb local "
			 "runs it anyway", rt);
	else
		v_report(c, LAMB_WARNING, &p->key->mark, R_NOT_EMULATED, NULL,
			 "SnapStart on %s: deployed as written; lamb local runs SnapStart for Python runtimes "
			 "only", rt);
}

static void function_props_emulated(struct vctx *c, const struct lamb_node *props, bool *said)
{
	static const struct { const char *key; int what; } keys[] = {
		{ "DurableConfig", NE_DURABLE },
	};
	for (size_t i = 0; props && props->kind == LAMB_MAP && i < props->len; i++) {
		const struct lamb_pair *p = &props->pairs[i];
		if (strcmp(p->key->str, "SnapStart") == 0)
			snapstart_emulated(c, props, p, said);
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
			if (strcmp(p->key->str, keys[k].key) == 0)
				not_emulated(c, said, keys[k].what, &p->key->mark, keys[k].key);
		if (strcmp(p->key->str, "PackageType") == 0 && str_eq(lamb_node_str(p->value), "Image"))
			not_emulated(c, said, NE_IMAGE, &p->value->mark, "PackageType: Image");
	}
}

static void api_auth_emulated(struct vctx *c, const struct lamb_node *props, bool *said)
{
	const struct lamb_node *auths = lamb_node_get(lamb_node_get(props, "Auth"), "Authorizers");
	for (size_t i = 0; auths && auths->kind == LAMB_MAP && i < auths->len; i++) {
		const struct lamb_node *a = auths->pairs[i].value;
		if (lamb_node_get(a, "UserPoolArn"))
			not_emulated(c, said, NE_COGNITO, &auths->pairs[i].key->mark, "a Cognito authorizer");
		if (lamb_node_get(a, "JwtConfiguration"))
			not_emulated(c, said, NE_JWT, &auths->pairs[i].key->mark, "a JWT authorizer");
	}
}

/* API Gateway's own spellings: an Authorizer resource, an OpenAPI security
 * scheme's x-amazon-apigateway-authorizer (model-cfnauth.c reads both and
 * serves the routes of a Cognito or JWT one open). */
static void authorizer_type(struct vctx *c, const struct lamb_node *type, bool *said)
{
	const char *t = lamb_node_str(type);
	if (t && strcasecmp(t, "COGNITO_USER_POOLS") == 0)
		not_emulated(c, said, NE_COGNITO, &type->mark, "a Cognito authorizer");
	else if (t && strcasecmp(t, "JWT") == 0)
		not_emulated(c, said, NE_JWT, &type->mark, "a JWT authorizer");
}

static void openapi_auth_emulated(struct vctx *c, const struct lamb_node *body, bool *said)
{
	const struct lamb_node *sets[] = { lamb_node_get(lamb_node_get(body, "components"), "securitySchemes"),
					   lamb_node_get(body, "securityDefinitions") };
	for (size_t k = 0; k < ARRAY_SIZE(sets); k++)
		for (size_t i = 0; sets[k] && sets[k]->kind == LAMB_MAP && i < sets[k]->len; i++)
			authorizer_type(c, lamb_node_get(lamb_node_get(sets[k]->pairs[i].value,
								       "x-amazon-apigateway-authorizer"), "type"),
					said);
}

static void resource_emulated(struct vctx *c, const struct lamb_res_entry *e, bool *said)
{
	const struct lamb_node *props = lamb_node_get(e->node, "Properties");
	if (strcmp(e->type, "AWS::Serverless::Function") == 0 || strcmp(e->type, "AWS::Lambda::Function") == 0)
		function_props_emulated(c, props, said);
	else if (strcmp(e->type, "AWS::Serverless::Api") == 0 || strcmp(e->type, "AWS::Serverless::HttpApi") == 0)
		api_auth_emulated(c, props, said);
	else if (strcmp(e->type, "AWS::ApiGateway::Authorizer") == 0)
		authorizer_type(c, lamb_node_get(props, "Type"), said);
	else if (strcmp(e->type, "AWS::ApiGatewayV2::Authorizer") == 0)
		authorizer_type(c, lamb_node_get(props, "AuthorizerType"), said);
	if (strstr(e->type, "Api")) {
		openapi_auth_emulated(c, lamb_node_get(props, "DefinitionBody"), said);
		openapi_auth_emulated(c, lamb_node_get(props, "Body"), said);
	}
}

static void check_emulated(struct vctx *c)
{
	bool said[NE_COUNT] = { 0 };
	function_props_emulated(c, lamb_node_get(c->globals, "Function"), said);
	api_auth_emulated(c, lamb_node_get(c->globals, "Api"), said);
	api_auth_emulated(c, lamb_node_get(c->globals, "HttpApi"), said);
	for (size_t i = 0; i < c->r.nresources; i++)
		resource_emulated(c, &c->r.resources[i], said);
}

/* ---- the run ---- */

static void index_resources(struct vctx *c)
{
	const struct lamb_node *rs = c->resources;
	if (!rs || rs->kind != LAMB_MAP)
		return;
	c->r.resources = lamb_arena_alloc(c->r.arena, (rs->len + 1) * sizeof(*c->r.resources));
	for (size_t i = 0; i < rs->len; i++) {
		const struct lamb_node *res = rs->pairs[i].value;
		const char *type = lamb_node_str(lamb_node_get(res, "Type"));
		if (res->kind != LAMB_MAP)
			continue;
		struct lamb_res_entry *e = &c->r.resources[c->r.nresources++];
		e->id = rs->pairs[i].key->str;
		e->type = type ? type : "";
		e->node = res;
	}
	lamb_resolve_index(&c->r);
}

void lamb_validate(const struct lamb_model *m, struct lamb_schemas *schemas, struct lamb_diags *diags)
{
	if (!m || !m->root || m->root->kind != LAMB_MAP)
		return;
	/* the checks below walk the document without bounds of their own: a
	 * self-referencing alias would recurse until the stack ends. The
	 * loader's depth limit (256) and a budget far above any 1 MB template's
	 * node count keep every real template; the resolver reports the rest */
	if (!lamb_node_bounded(m->root, 300, 4000000)) {
		if (!diags->errors)
			lamb_error(diags, &m->root->mark, "template nested too deeply (a self-referencing alias?): "
				   "not checked against the schemas");
		return;
	}
	struct vctx c = { .m = m, .root = m->root, .schemas = schemas, .diags = diags };
	c.r.arena = lamb_arena_new();
	c.r.diags = diags;
	c.resources = lamb_node_get(m->root, "Resources");
	c.params = lamb_node_get(m->root, "Parameters");
	c.conditions = lamb_node_get(m->root, "Conditions");
	c.mappings = lamb_node_get(m->root, "Mappings");
	c.globals = lamb_node_get(m->root, "Globals");
	index_resources(&c);
	if (schemas)
		v_check_resources(&c);
	v_check_sections(&c);
	v_check_openapi(&c);
	v_check_methods(&c);
	v_check_schedules(&c);
	v_check_names(&c);
	v_check_unused(&c);
	check_emulated(&c);
	collapse_deprecated(diags, 0);
	for (size_t i = 0; i < c.nused; i++)
		free((void *)c.used[i]);
	free(c.used);
	lamb_arena_free(c.r.arena);
}
