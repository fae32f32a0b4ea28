/* State shared by the model builder's files. model.c drives the order;
 * model-params.c, model-function.c, model-api.c (with model-cors.c and
 * model-auth.c) and model-openapi.c each read one part; model-prop.c holds
 * the property readers they all use and calls back into none of them.
 * Internal to liblamb. */
#ifndef LAMB_MODEL_BUILD_H
#define LAMB_MODEL_BUILD_H

#include "model/model.h"
#include "template/resolve.h"

struct builder {
	struct lamb_model *m;
	struct lamb_arena *a;
	struct lamb_diags *diags;
	struct lamb_resolver r;
	const struct lamb_node *root;
	const struct lamb_node *globals; /* may be NULL */
	bool *skip; /* per resolver resource: its Condition is false */
	const struct lamb_model_opts *opts; /* may be NULL */
	unsigned depth; /* 0 for the template lamb was given, 1 for its nested stacks, ... */
	struct nested_stack *stacks; /* loaded nested stacks (model-stack.c) */
	size_t nstacks;
	const struct lamb_node **cfn_props; /* model-cfnapi.c: API resources' resolved
					     * Properties, per resolver resource */
};

/* The top-level sections and a resource's attributes lamb knows, NULL-ended
 * (lamb validate suggests the closest of them). */
extern const char *const model_sections[];
extern const char *const model_resource_keys[];

struct nested_stack {
	const char *id; /* the stack resource's logical id */
	struct lamb_model *m;
};

/* Property readers: each reports a value of the wrong kind at its mark and
 * then behaves as if the property were absent. */
const char *prop_str(struct builder *b, const struct lamb_node *props, const char *key);
const struct lamb_node *prop_kind(struct builder *b, const struct lamb_node *props,
				  const char *key, enum lamb_node_kind kind);
/* A whole number in [min, max]; def when absent or wrong. */
long prop_long(struct builder *b, const struct lamb_node *props, const char *key, long def,
	       long min, long max);
struct lamb_strs prop_strs(struct builder *b, const struct lamb_node *props, const char *key);
struct lamb_kvs prop_kvs(struct builder *b, const struct lamb_node *props, const char *key);
/* As prop_str, but a value the resolver could not compute reads as "" (not
 * NULL): present, yet giving nothing. */
const char *prop_text(struct builder *b, const struct lamb_node *props, const char *key);
/* The parameter an integration's requestParameters map to X-Amz-Tenant-Id,
 * or NULL (model_tenant_source in model-prop.c). */
const char *model_tenant_source(const struct lamb_node *params);
/* true or false (any case); def when absent or wrong. */
bool prop_bool(struct builder *b, const struct lamb_node *props, const char *key, bool def);
/* path relative to the template's directory, made absolute. */
const char *model_path(struct builder *b, const char *path);

/* The resource's properties after Globals (block may be NULL) and intrinsics. */
const struct lamb_node *resolved_props(struct builder *b, const struct lamb_res_entry *e,
				       const char *globals_block);

/* model-params.c: the Parameters section, checked, into b->m->params and
 * the resolver's values; o carries --parameter-overrides. */
void build_params(struct builder *b, const struct lamb_model_opts *o);
void build_functions(struct builder *b);
/* model-logging.c: a function's LoggingConfig and TenancyConfig, checked. */
void read_logging(struct builder *b, struct lamb_function *f);
void read_tenancy(struct builder *b, struct lamb_function *f, const struct lamb_node *props);
void read_snapstart(struct builder *b, struct lamb_function *f, const struct lamb_node *props);
void build_layers(struct builder *b);
void build_apis(struct builder *b);
/* model-sources.c: the resources lamb local start runs as event sources,
 * and what lamb list resources says of one (NULL for another type). */
void build_sources(struct builder *b);
const char *source_note(const char *type);

/* model.c: the template at path built as a model in arena a (a nested
 * stack's at depth > 0); NULL when it cannot be read or parsed (reported). */
struct lamb_model *model_build_file(struct lamb_arena *a, const char *path, const struct lamb_model_opts *o,
				    unsigned depth, struct lamb_diags *diags);
/* model-stack.c: nested stacks with a local template are built (after the
 * resource table, before anything is resolved against it) and, once the
 * parent is built, their functions, layers, APIs, routes and resources
 * join the parent's as "Child/Id". */
void build_stacks(struct builder *b);
void merge_stacks(struct builder *b);
/* For a nested stack resource: whether lamb loaded it, and the note of
 * lamb list resources; false for any other resource. */
bool stack_note(struct builder *b, const struct lamb_res_entry *e, bool *local, const char **note);

/* model-cors.c: props' Cors (REST) or CorsConfiguration (HTTP API) into api->cors. */
void api_cors(struct builder *b, struct lamb_api *api, const struct lamb_node *props);
/* A MOCK OPTIONS Method's integration ResponseParameters (CDK's CORS) into
 * api->cors (REST), unless it has CORS already; false when they give no
 * Access-Control-Allow-Origin. */
bool api_cors_mock(struct builder *b, struct lamb_api *api, const struct lamb_node *params);
/* A Function URL's Cors (the shape of an HTTP API's CorsConfiguration) into c. */
void url_cors(struct builder *b, struct lamb_cors *c, const struct lamb_node *v);
/* An HTTP API definition's x-amazon-apigateway-cors, when api has no CORS yet. */
void api_cors_openapi(struct builder *b, struct lamb_api *api, const struct lamb_node *x);
/* model-auth.c: props' Auth into api's default authorizer and authorizers
 * (functions must be built); then, once routes are, each route's authorizer. */
void api_auth(struct builder *b, struct lamb_api *api, const struct lamb_node *props);
void route_auth(struct builder *b, struct lamb_route *r);
/* An IdentityValidationExpression compiled once (its regex kept by the
 * model); NULL when expr is empty, or after a warning at mark. */
const struct lamb_regex *auth_validation(struct builder *b, const struct lamb_mark *mark, const char *expr);
/* model-api.c: props' BinaryMediaTypes, "~1" read as '/'. */
struct lamb_strs api_media_types(struct builder *b, const struct lamb_node *props);

/* model-openapi.c: an API's DefinitionBody, or its local DefinitionUri
 * file parsed; NULL when it has neither (or after reporting why not). */
const struct lamb_node *openapi_definition(struct builder *b, const struct lamb_node *props, const char *api_id);
/* The same from a body (resolved) or a location node, uri_key naming the
 * latter in messages (DefinitionUri, BodyS3Location). */
const struct lamb_node *openapi_read(struct builder *b, const struct lamb_node *body, const struct lamb_node *uri,
				     const char *uri_key, const char *api_id);
/* The function of the template an integration uri (".../functions/ARN/
 * invocations", or a bare ARN) names, or NULL. */
const struct lamb_function *uri_function(const struct lamb_model *m, const char *uri);
/* Appends the definition's x-amazon-apigateway-authorizer security schemes
 * to api->authorizers (model-cfnauth.c reads each). */
void openapi_authorizers(struct builder *b, struct lamb_api *api);
/* Operations in api->definition: at most that many routes. */
size_t openapi_count(const struct lamb_api *api);
/* Adds a route (to b->m->routes, sized by openapi_count) per operation
 * whose integration invokes a function of the template. */
void openapi_routes(struct builder *b, struct lamb_api *api);

/* model-cfnapi.c: APIs written as plain CloudFormation (AWS::ApiGateway::
 * RestApi, AWS::ApiGatewayV2::Api) and their Resource/Method, Route/
 * Integration, Stage and Authorizer resources, into the same lamb_api and
 * lamb_route a SAM API gives. cfnapi_count bounds the APIs cfnapi_apis
 * adds; cfnapi_route_count the routes cfnapi_routes adds (besides those of
 * their Body, which openapi_routes reads). */
size_t cfnapi_count(const struct builder *b);
void cfnapi_apis(struct builder *b);
size_t cfnapi_route_count(const struct builder *b);
void cfnapi_routes(struct builder *b);
/* What lamb does with a resource of this type, for lamb list resources;
 * NULL when it is not one of the above. */
const char *cfnapi_note(const char *type);
/* The resolved Properties of resolver resource i, resolved once. */
const struct lamb_node *cfnapi_props(struct builder *b, size_t i);

/* model-cfnauth.c: an authorizer from an AWS::ApiGateway::Authorizer or
 * AWS::ApiGatewayV2::Authorizer's properties, or from an OpenAPI
 * x-amazon-apigateway-authorizer (scheme: its security scheme, for the
 * token header's name). */
void cfnauth_resource(struct builder *b, const struct lamb_api *api, const char *id,
		      const struct lamb_node *props, struct lamb_api_authorizer *a);
void cfnauth_openapi(struct builder *b, const struct lamb_api *api, const char *name,
		     const struct lamb_node *scheme, struct lamb_api_authorizer *a);

#endif
