/* Globals, as SAM's translator applies them (docs: "Globals section of the
 * AWS SAM template"). The allowed lists follow SAM's documentation; a
 * property outside them is an error, because SAM rejects the template. */
#include "base/util.h"
#include "template/globals.h"

#include <string.h>

static const char *const function_props[] = {
	"Handler", "Runtime", "CodeUri", "DeadLetterQueue", "Description", "MemorySize",
	"Timeout", "VpcConfig", "Environment", "Tags", "PropagateTags", "Tracing", "KmsKeyArn",
	"Layers", "AutoPublishAlias", "AutoPublishAliasAllProperties", "DeploymentPreference",
	"PermissionsBoundary", "ReservedConcurrentExecutions", "ProvisionedConcurrencyConfig",
	"AssumeRolePolicyDocument", "EventInvokeConfig", "Architectures", "EphemeralStorage",
	"FunctionUrlConfig", "RuntimeManagementConfig", "SnapStart", "LoggingConfig",
	"RecursiveLoop", "SourceKMSKeyArn", "CapacityProviderConfig", "FunctionScalingConfig",
	"DurableConfig", "TenancyConfig", "PackageType", "ImageConfig", "CodeSigningConfigArn",
	"AutoPublishCodeSha256", "VersionDeletionPolicy",
	NULL,
};

static const char *const api_props[] = {
	"Auth", "Name", "DefinitionUri", "CacheClusterEnabled", "CacheClusterSize",
	"MergeDefinitions", "Variables", "EndpointConfiguration", "MethodSettings",
	"BinaryMediaTypes", "MinimumCompressionSize", "Cors", "GatewayResponses",
	"AccessLogSetting", "CanarySetting", "TracingEnabled", "OpenApiVersion", "Domain",
	"AlwaysDeploy", "PropagateTags", "Tags", "StageName", "Description",
	NULL,
};

static const char *const http_api_props[] = {
	"Auth", "AccessLogSettings", "StageVariables", "Tags", "RouteSettings",
	"DefaultRouteSettings", "Domain", "CorsConfiguration", "DefinitionUri",
	"FailOnWarnings", "PropagateTags", "StageName", "DisableExecuteApiEndpoint",
	NULL,
};

static const char *const table_props[] = { "SSESpecification", "PropagateTags", NULL };
static const char *const layer_props[] = { "PropagateTags", NULL };
static const char *const state_machine_props[] = { "PropagateTags", NULL };
static const char *const capacity_props[] = {
	"VpcConfig", "OperatorRole", "Tags", "PropagateTags", "InstanceRequirements",
	"ScalingConfig", "KmsKeyArn", NULL,
};

static const struct {
	const char *block;
	const char *type;
	const char *const *props;
} blocks[] = {
	{ "Function", "AWS::Serverless::Function", function_props },
	{ "Api", "AWS::Serverless::Api", api_props },
	{ "HttpApi", "AWS::Serverless::HttpApi", http_api_props },
	{ "SimpleTable", "AWS::Serverless::SimpleTable", table_props },
	{ "LayerVersion", "AWS::Serverless::LayerVersion", layer_props },
	{ "StateMachine", "AWS::Serverless::StateMachine", state_machine_props },
	{ "CapacityProvider", "AWS::Serverless::CapacityProvider", capacity_props },
};

const char *lamb_globals_type(const char *block)
{
	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++)
		if (strcmp(blocks[i].block, block) == 0)
			return blocks[i].type;
	return NULL;
}

const char *const *lamb_globals_props(const char *block)
{
	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++)
		if (strcmp(blocks[i].block, block) == 0)
			return blocks[i].props;
	return NULL;
}

const char *lamb_globals_block(size_t i)
{
	return i < ARRAY_SIZE(blocks) ? blocks[i].block : NULL;
}

static bool allowed(const char *const *props, const char *name)
{
	for (; *props; props++)
		if (strcmp(*props, name) == 0)
			return true;
	return false;
}

void lamb_globals_check(const struct lamb_node *globals, struct lamb_diags *diags)
{
	if (!globals)
		return;
	if (globals->kind != LAMB_MAP) {
		lamb_error(diags, &globals->mark, "Globals must be a mapping of Function, Api, HttpApi, ...");
		return;
	}
	for (size_t i = 0; i < globals->len; i++) {
		const struct lamb_pair *p = &globals->pairs[i];
		size_t b = 0;
		while (b < ARRAY_SIZE(blocks) && strcmp(blocks[b].block, p->key->str) != 0)
			b++;
		if (b == ARRAY_SIZE(blocks)) {
			lamb_error(diags, &p->key->mark, "unknown Globals section '%s' (SAM knows Function, Api, "
							 "HttpApi, SimpleTable, LayerVersion, StateMachine)", p->key->str);
			continue;
		}
		if (p->value->kind != LAMB_MAP) {
			if (!lamb_node_is_null(p->value))
				lamb_error(diags, &p->value->mark, "Globals.%s must be a mapping", p->key->str);
			continue;
		}
		for (size_t j = 0; j < p->value->len; j++) {
			const struct lamb_node *k = p->value->pairs[j].key;
			if (!allowed(blocks[b].props, k->str))
				lamb_error(diags, &k->mark, "'%s' is not allowed in Globals.%s (SAM rejects it); "
							    "set it on each resource instead", k->str, p->key->str);
		}
	}
}

static bool is_plain_map(const struct lamb_node *n)
{
	return n && n->kind == LAMB_MAP && !lamb_node_intrinsic(n);
}

static const struct lamb_node *merge(struct lamb_arena *a, const struct lamb_node *global,
				     const struct lamb_node *local);

static const struct lamb_node *merge_maps(struct lamb_arena *a, const struct lamb_node *g,
					  const struct lamb_node *l)
{
	struct lamb_node *out = lamb_node_map(a, g->len + l->len, &l->mark);
	size_t k = 0;
	for (size_t i = 0; i < g->len; i++) {
		const struct lamb_node *mine = lamb_node_get(l, g->pairs[i].key->str);
		out->pairs[k].key = g->pairs[i].key;
		out->pairs[k].value = (struct lamb_node *)merge(a, g->pairs[i].value, mine);
		k++;
	}
	for (size_t i = 0; i < l->len; i++) {
		if (lamb_node_find(g, l->pairs[i].key->str))
			continue;
		out->pairs[k++] = l->pairs[i];
	}
	out->len = k;
	return out;
}

static const struct lamb_node *merge(struct lamb_arena *a, const struct lamb_node *global,
				     const struct lamb_node *local)
{
	if (!local)
		return global;
	if (is_plain_map(global) && is_plain_map(local))
		return merge_maps(a, global, local);
	if (global->kind == LAMB_SEQ && local->kind == LAMB_SEQ) {
		struct lamb_node *out = lamb_node_seq(a, global->len + local->len, &local->mark);
		memcpy(out->items, global->items, global->len * sizeof(*out->items));
		memcpy(out->items + global->len, local->items, local->len * sizeof(*out->items));
		return out;
	}
	return local;
}

static bool ignored(const struct lamb_node *resource, const char *prop)
{
	const struct lamb_node *ig = lamb_node_get(resource, "IgnoreGlobals");
	if (!ig)
		return false;
	if (ig->kind == LAMB_SCALAR)
		return strcmp(ig->str, "*") == 0 || strcmp(ig->str, prop) == 0;
	for (size_t i = 0; ig->kind == LAMB_SEQ && i < ig->len; i++)
		if (str_eq(lamb_node_str(ig->items[i]), prop))
			return true;
	return false;
}

const struct lamb_node *lamb_globals_merge(struct lamb_arena *a, const struct lamb_node *block,
					   const struct lamb_node *resource,
					   const struct lamb_node *props)
{
	if (!block || block->kind != LAMB_MAP || block->len == 0)
		return props;
	struct lamb_node *g = lamb_node_map(a, block->len, &block->mark);
	size_t k = 0;
	for (size_t i = 0; i < block->len; i++)
		if (!ignored(resource, block->pairs[i].key->str))
			g->pairs[k++] = block->pairs[i];
	g->len = k;
	if (!props || props->kind != LAMB_MAP)
		return k ? g : props;
	const struct lamb_node *merged = merge_maps(a, g, props);
	((struct lamb_node *)merged)->mark = props->mark;
	return merged;
}
