/* An API's authorizers read once, when the model is built: Auth's
 * DefaultAuthorizer and Authorizers (FunctionArn and the function it names,
 * TOKEN or REQUEST, payload format, simple responses, Identity) into struct
 * lamb_api_authorizer, and which one guards each route, so that start-api
 * looks nothing up in the template per request. */
#include "base/regex.h"
#include "base/util.h"
#include "model/model-build.h"

#include <string.h>
#include <strings.h>

/* The function FunctionArn names: by ARN, logical id or name, else a
 * hand-written ARN by the function name in it. */
static const struct lamb_function *function_of(const struct lamb_model *m, const char *arn)
{
	for (size_t i = 0; i < m->nfunctions; i++) {
		const struct lamb_function *f = &m->functions[i];
		if ((f->arn && strcmp(f->arn, arn) == 0) || strcmp(f->logical_id, arn) == 0 ||
		    (f->name && strcmp(f->name, arn) == 0))
			return f;
	}
	const char *tail = strstr(arn, ":function:");
	if (tail) {
		tail += strlen(":function:");
		size_t n = strcspn(tail, ":");
		for (size_t i = 0; i < m->nfunctions; i++) {
			const char *name = m->functions[i].name;
			if (name && strlen(name) == n && strncmp(name, tail, n) == 0)
				return &m->functions[i];
		}
	}
	return NULL;
}

static void add_source(struct lamb_api_authorizer *a, enum lamb_auth_source_kind kind, const char *name)
{
	a->sources[a->nsources++] = (struct lamb_auth_source){ kind, name };
}

/* The expression compiled once, here, rather than on every request; one
 * PCRE2 cannot read is said at its mark, and tokens then go unchecked, as
 * lamb cannot know what API Gateway's Java reader would make of it. */
const struct lamb_regex *auth_validation(struct builder *b, const struct lamb_mark *mark, const char *expr)
{
	if (!expr || !*expr)
		return NULL;
	struct lamb_err err;
	struct lamb_regex *re = lamb_regex_new(expr, &err);
	if (!re) {
		lamb_warning(b->diags, mark, "ValidationExpression '%s' is not a regular expression lamb can read (%s): "
			     "tokens are not checked against it", expr, err.msg);
		return NULL;
	}
	struct lamb_model *m = b->m;
	m->regexes = xgrow(m->regexes, &m->regexes_cap, m->nregexes + 1, sizeof(*m->regexes));
	m->regexes[m->nregexes++] = re;
	return re;
}

/* TOKEN reads one header; REQUEST every source Identity lists, in the
 * order of enum lamb_auth_source_kind. */
static void read_identity(struct builder *b, struct lamb_api_authorizer *a, const struct lamb_node *def, bool http)
{
	const struct lamb_node *id = prop_kind(b, def, "Identity", LAMB_MAP);
	a->reauthorize_every = prop_long(b, id, "ReauthorizeEvery", -1, 0, 3600);
	if (a->token) {
		const char *h = prop_text(b, id, "Header");
		a->sources = lamb_arena_alloc(b->a, sizeof(*a->sources));
		add_source(a, LAMB_AUTH_HEADER, h ? h : "Authorization");
		a->validation_expression = prop_text(b, id, "ValidationExpression");
		if (a->validation_expression && *a->validation_expression)
			a->validation = auth_validation(b, &lamb_node_get(id, "ValidationExpression")->mark,
							a->validation_expression);
		return;
	}
	struct lamb_strs lists[] = { prop_strs(b, id, "Headers"), prop_strs(b, id, "QueryStrings"),
				     prop_strs(b, id, "StageVariables"), prop_strs(b, id, "Context") };
	size_t n = 1;
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		n += lists[i].len;
	a->sources = lamb_arena_alloc(b->a, n * sizeof(*a->sources));
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		for (size_t j = 0; j < lists[i].len; j++)
			add_source(a, (enum lamb_auth_source_kind)i, lists[i].v[j]);
	/* an HTTP API authorizer without Identity reads Authorization, as SAM sets it up */
	if (!id && http)
		add_source(a, LAMB_AUTH_HEADER, "Authorization");
}

/* key's value when it is one of two; else reported at its mark. */
static const char *one_of(struct builder *b, const struct lamb_node *def, const char *key, const char *x,
			  const char *y, const char *name)
{
	const char *v = prop_text(b, def, key);
	if (v && *v && strcasecmp(v, x) != 0 && strcasecmp(v, y) != 0)
		lamb_error(b->diags, &lamb_node_get(def, key)->mark, "authorizer '%s': %s must be %s or %s, not '%s'",
			   name, key, x, y, v);
	return v;
}

static void read_authorizer(struct builder *b, const struct lamb_api *api, const struct lamb_pair *p,
			    struct lamb_api_authorizer *a)
{
	const struct lamb_node *def = p->value;
	a->name = p->key->str;
	a->mark = def->mark;
	a->function_arn = prop_text(b, def, "FunctionArn");
	a->function = a->function_arn ? function_of(b->m, a->function_arn) : NULL;
	if (api->kind == LAMB_API_REST) {
		const char *type = one_of(b, def, "FunctionPayloadType", "TOKEN", "REQUEST", a->name);
		a->token = !type || strcasecmp(type, "REQUEST") != 0;
		a->payload_format = "1.0";
	} else {
		const char *v = one_of(b, def, "AuthorizerPayloadFormatVersion", "1.0", "2.0", a->name);
		a->payload_format = v && strcmp(v, "1.0") == 0 ? "1.0" : "2.0";
		a->simple_responses = prop_bool(b, def, "EnableSimpleResponses", false) &&
				      strcmp(a->payload_format, "2.0") == 0;
	}
	read_identity(b, a, def, api->kind == LAMB_API_HTTP);
}

static const struct lamb_api_authorizer *find(const struct lamb_api *api, const char *name)
{
	for (size_t i = 0; i < api->nauthorizers; i++)
		if (strcmp(api->authorizers[i].name, name) == 0)
			return &api->authorizers[i];
	return NULL;
}

/* A name that is not NONE, AWS_IAM or an authorizer of api: SAM would
 * refuse it; lamb serves the route open and says so. */
static void check_name(struct builder *b, const struct lamb_api *api, const struct lamb_node *auth,
		       const char *key, const char *name)
{
	if (name && *name && strcmp(name, "NONE") != 0 && strcmp(name, "AWS_IAM") != 0 && !find(api, name))
		lamb_warning(b->diags, &lamb_node_get(auth, key)->mark, "%s '%s' is not among the Auth.Authorizers "
			     "of API '%s'; lamb serves its routes without authorization", key, name, api->logical_id);
}

void api_auth(struct builder *b, struct lamb_api *api, const struct lamb_node *props)
{
	const struct lamb_node *auth = prop_kind(b, props, "Auth", LAMB_MAP);
	const struct lamb_node *list = prop_kind(b, auth, "Authorizers", LAMB_MAP);
	api->authorizers = list ? lamb_arena_alloc(b->a, list->len * sizeof(*api->authorizers)) : NULL;
	for (size_t i = 0; list && i < list->len; i++) {
		const struct lamb_pair *p = &list->pairs[i];
		if (p->value->kind == LAMB_MAP)
			read_authorizer(b, api, p, &api->authorizers[api->nauthorizers++]);
		else if (!p->value->unknown)
			lamb_error(b->diags, &p->value->mark, "authorizer '%s' must be a mapping, not %s",
				   p->key->str, lamb_node_kind_name(p->value));
	}
	api->default_authorizer = prop_text(b, auth, "DefaultAuthorizer");
	check_name(b, api, auth, "DefaultAuthorizer", api->default_authorizer);
}

/* A route of a definition or a CloudFormation Method/Route comes with its
 * auth_name set; an event's is read from its Auth here. */
void route_auth(struct builder *b, struct lamb_route *r)
{
	if (!r->auth_name) {
		const struct lamb_node *auth = r->event ? prop_kind(b, r->event->properties, "Auth", LAMB_MAP) : NULL;
		r->auth_name = prop_text(b, auth, "Authorizer");
		if (r->auth_name)
			check_name(b, r->api, auth, "Authorizer", r->auth_name);
		else
			r->auth_name = r->api->default_authorizer;
	}
	r->authorizer = r->auth_name ? find(r->api, r->auth_name) : NULL;
}
