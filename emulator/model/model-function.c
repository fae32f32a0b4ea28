/* Functions and layers: reading their properties (after Globals and
 * intrinsics) into plain model values, with the checks `lamb validate`
 * reports. Events are read here and turned into routes in model-api.c. */
#include "base/util.h"
#include "model/model-build.h"
#include "model/runtimes.h"

#include <string.h>
#include <sys/stat.h>

static bool is_type(const struct lamb_res_entry *e, const char *type)
{
	return strcmp(e->type, type) == 0;
}

static bool is_function(const struct lamb_res_entry *e)
{
	return is_type(e, "AWS::Serverless::Function") || is_type(e, "AWS::Lambda::Function");
}

static bool is_layer(const struct lamb_res_entry *e)
{
	return is_type(e, "AWS::Serverless::LayerVersion") || is_type(e, "AWS::Lambda::LayerVersion");
}

/* An S3 location written as {Bucket, Key[, Version]} or {S3Bucket, S3Key}. */
static const char *s3_location(struct builder *b, const struct lamb_node *loc, const char *bucket_key,
			       const char *key_key, const char *what)
{
	const char *bucket = lamb_node_str(lamb_node_get(loc, bucket_key));
	const char *key = lamb_node_str(lamb_node_get(loc, key_key));
	if (!bucket || !key) {
		lamb_error(b->diags, &loc->mark, "%s needs %s and %s", what, bucket_key, key_key);
		return NULL;
	}
	char *s = xasprintf("s3://%s/%s", bucket, key);
	const char *out = lamb_arena_strdup(b->a, s);
	free(s);
	return out;
}

/* Code outside the template's directory is zipped, mounted and watched
 * all the same: say so, since '../../' or '/etc' is rarely meant. The
 * root itself would put the whole file system in a zip: refused. */
static void check_code_place(struct builder *b, const struct lamb_mark *at, const char *what, const char *id,
			     const char *key, const char *path)
{
	size_t n = strlen(b->m->dir);
	if (strcmp(path, "/") == 0)
		lamb_error(b->diags, at, "%s '%s' is '/', the whole file system: point %s at its own directory",
			   what, id, key);
	else if (strcmp(b->m->dir, "/") != 0 &&
		 (strncmp(path, b->m->dir, n) != 0 || (path[n] != '/' && path[n] != '\0')))
		lamb_warning(b->diags, at, "%s '%s' is outside the project ('%s'): '%s'", what, id, b->m->dir,
			     path);
}

static void set_code_path(struct builder *b, struct lamb_function *f, const struct lamb_node *at,
			  const char *path)
{
	if (str_starts(path, "s3://")) {
		f->code_kind = LAMB_CODE_S3;
		f->code = path;
		return;
	}
	f->code_kind = LAMB_CODE_LOCAL;
	f->code = model_path(b, path);
	check_code_place(b, at ? &at->mark : &f->mark, "code of", f->logical_id,
			 strcmp(f->type, "AWS::Lambda::Function") == 0 ? "Code" : "CodeUri", f->code);
	struct stat st;
	if (stat(f->code, &st) != 0)
		lamb_warning(b->diags, at ? &at->mark : &f->mark, "code of '%s' does not exist (yet): '%s'",
			     f->logical_id, f->code);
}

static void read_sam_code(struct builder *b, struct lamb_function *f, const struct lamb_node *props)
{
	const struct lamb_node *uri = lamb_node_get(props, "CodeUri");
	const char *inline_code = prop_str(b, props, "InlineCode");
	if (uri && inline_code)
		lamb_error(b->diags, &uri->mark, "'%s' has both CodeUri and InlineCode; keep one", f->logical_id);
	if (inline_code) {
		f->code_kind = LAMB_CODE_INLINE;
		f->code = inline_code;
	} else if (uri && uri->kind == LAMB_MAP) {
		f->code_kind = LAMB_CODE_S3;
		f->code = s3_location(b, uri, "Bucket", "Key", "CodeUri");
	} else if (uri && uri->kind == LAMB_SCALAR) {
		set_code_path(b, f, uri, uri->str);
	} else if (uri) {
		lamb_error(b->diags, &uri->mark, "CodeUri must be a path, an s3:// URI or {Bucket, Key}");
	} else {
		set_code_path(b, f, NULL, ".");
	}
}

static void read_lambda_code(struct builder *b, struct lamb_function *f, const struct lamb_node *props)
{
	const struct lamb_node *code = lamb_node_get(props, "Code");
	if (code && code->kind == LAMB_SCALAR) {
		set_code_path(b, f, code, code->str);
	} else if (code && code->kind == LAMB_MAP) {
		if (lamb_node_get(code, "ZipFile")) {
			f->code_kind = LAMB_CODE_INLINE;
			f->code = prop_str(b, code, "ZipFile");
		} else if (lamb_node_get(code, "ImageUri")) {
			f->code_kind = LAMB_CODE_IMAGE;
			f->code = prop_str(b, code, "ImageUri");
		} else {
			f->code_kind = LAMB_CODE_S3;
			f->code = s3_location(b, code, "S3Bucket", "S3Key", "Code");
		}
	} else {
		set_code_path(b, f, NULL, ".");
	}
}

/* CDK: Metadata aws:asset:path names the directory of the property that
 * aws:asset:property names (prop1 or prop2 here; none means the code),
 * relative to the template's (cdk.out/), whatever that property says (S3
 * locations built from asset parameters that have no value locally), as
 * SAM CLI's metadata normalizer puts it in its place. NULL without one. */
static const char *asset_path(struct builder *b, const struct lamb_node *meta, const char *prop1,
			      const char *prop2)
{
	const char *asset = prop_str(b, meta, "aws:asset:path");
	const char *prop = prop_str(b, meta, "aws:asset:property");
	if (!asset || !*asset || (prop && strcmp(prop, prop1) != 0 && strcmp(prop, prop2) != 0))
		return NULL;
	return asset;
}

static bool read_asset(struct builder *b, struct lamb_function *f, const struct lamb_node *meta)
{
	const char *asset = asset_path(b, meta, "Code", "CodeUri");
	if (!asset)
		return false;
	set_code_path(b, f, lamb_node_get(meta, "aws:asset:path"), asset);
	return true;
}

/* The function's code; true when a CDK asset gave it. */
static bool read_code(struct builder *b, struct lamb_function *f, const struct lamb_node *props,
		      const struct lamb_node *meta, bool sam)
{
	if (strcmp(f->package_type, "Image") == 0)
		f->code_kind = LAMB_CODE_IMAGE;
	else if (read_asset(b, f, meta))
		return true;
	else if (sam)
		read_sam_code(b, f, props);
	else
		read_lambda_code(b, f, props);
	return false;
}

/* The id SAM CLI also accepts for a resource: Metadata SamResourceId, else
 * the construct of aws:cdk:path "Stack/Construct/Resource" (the segment
 * before a trailing "Resource", else the last); NULL without either. */
static const char *construct_id(struct builder *b, const struct lamb_node *meta)
{
	const char *id = prop_str(b, meta, "SamResourceId");
	const char *path = prop_str(b, meta, "aws:cdk:path");
	if (id || !path)
		return id;
	const char *end = path + strlen(path);
	if (end - path > 9 && strcmp(end - 9, "/Resource") == 0)
		end -= 9;
	const char *start = end;
	while (start > path && start[-1] != '/')
		start--;
	return start < end ? lamb_arena_strndup(b->a, start, (size_t)(end - start)) : NULL;
}

static void read_runtime(struct builder *b, struct lamb_function *f, const struct lamb_node *props)
{
	f->runtime = prop_str(b, props, "Runtime");
	f->handler = prop_str(b, props, "Handler");
	if (strcmp(f->package_type, "Image") == 0)
		return;
	const struct lamb_node *at = lamb_node_get(props, "Runtime");
	if (!f->runtime) {
		if (!at)
			lamb_error(b->diags, &f->mark, "function '%s' has no Runtime", f->logical_id);
		return;
	}
	const struct lamb_runtime_info *rt = lamb_runtime_find(f->runtime);
	char today[11];
	lamb_runtime_today(today);
	if (!rt)
		lamb_error(b->diags, &at->mark, "unknown Runtime '%s' (for example python3.13, nodejs22.x, "
			   "provided.al2023)", f->runtime);
	else if (lamb_runtime_deprecated(rt, today))
		lamb_warning(b->diags, &at->mark, "Runtime '%s' is deprecated since %s: Lambda no longer "
			     "patches it and refuses new functions on it (lamb still runs it)", f->runtime,
			     rt->deprecation);
	const struct lamb_node *h = lamb_node_get(props, "Handler");
	if (rt && !f->handler && lamb_runtime_needs_handler(rt) && !(h && h->unknown && b->r.lenient))
		lamb_error(b->diags, &f->mark, "function '%s' has no Handler, which runtime '%s' needs",
			   f->logical_id, f->runtime);
}

static const struct lamb_layer *find_layer(const struct lamb_model *m, const char *id)
{
	for (size_t i = 0; id && i < m->nlayers; i++)
		if (strcmp(m->layers[i].logical_id, id) == 0)
			return &m->layers[i];
	return NULL;
}

static void read_layers(struct builder *b, struct lamb_function *f, const struct lamb_node *props)
{
	const struct lamb_node *ls = prop_kind(b, props, "Layers", LAMB_SEQ);
	if (!ls)
		return;
	if (ls->len > 5)
		lamb_error(b->diags, &ls->mark, "function '%s' has %zu layers; Lambda allows at most 5",
			   f->logical_id, ls->len);
	f->layers = lamb_arena_alloc(b->a, ls->len * sizeof(*f->layers));
	for (size_t i = 0; i < ls->len; i++) {
		const struct lamb_node *l = ls->items[i];
		if (l->kind != LAMB_SCALAR) {
			lamb_error(b->diags, &l->mark, "a layer must be an ARN or a !Ref to a LayerVersion");
			continue;
		}
		struct lamb_layer_ref *r = &f->layers[f->nlayers++];
		r->arn = l->str;
		r->layer = find_layer(b->m, l->ref);
	}
}

static const char *const event_types[] = {
	"Api", "HttpApi", "S3", "SNS", "SQS", "Kinesis", "DynamoDB", "Schedule", "ScheduleV2",
	"CloudWatchEvent", "EventBridgeRule", "CloudWatchLogs", "IoTRule", "AlexaSkill", "Cognito",
	"MSK", "MQ", "SelfManagedKafka", "DocumentDB",
};

/* Properties each event type cannot do without (SAM's event source docs). */
static const struct {
	const char *type;
	const char *required[4];
} event_required[] = {
	{ "Api", { "Path", "Method" } },
	{ "S3", { "Bucket", "Events" } },
	{ "SNS", { "Topic" } },
	{ "SQS", { "Queue" } },
	{ "Kinesis", { "Stream", "StartingPosition" } },
	{ "DynamoDB", { "Stream", "StartingPosition" } },
	{ "Schedule", { "Schedule" } },
	{ "ScheduleV2", { "ScheduleExpression" } },
	{ "CloudWatchEvent", { "Pattern" } },
	{ "EventBridgeRule", { "Pattern" } },
	{ "CloudWatchLogs", { "LogGroupName", "FilterPattern" } },
	{ "IoTRule", { "Sql" } },
	{ "Cognito", { "UserPool", "Trigger" } },
	{ "MSK", { "Stream", "Topics" } },
	{ "MQ", { "Broker", "Queues", "SourceAccessConfigurations" } },
	{ "SelfManagedKafka", { "Topics", "SourceAccessConfigurations" } },
	{ "DocumentDB", { "Cluster", "DatabaseName", "SourceAccessConfigurations" } },
};

static void check_event(struct builder *b, const struct lamb_event *ev)
{
	size_t i = 0;
	while (i < ARRAY_SIZE(event_types) && strcmp(event_types[i], ev->type) != 0)
		i++;
	if (i == ARRAY_SIZE(event_types)) {
		lamb_error(b->diags, &ev->mark, "event '%s' has unknown Type '%s'", ev->name, ev->type);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(event_required); i++) {
		if (strcmp(event_required[i].type, ev->type) != 0)
			continue;
		for (const char *const *p = event_required[i].required; *p; p++)
			if (!lamb_node_get(ev->properties, *p))
				lamb_error(b->diags, &ev->mark, "event '%s' (%s) needs the property %s", ev->name,
					   ev->type, *p);
	}
}

static void read_events(struct builder *b, struct lamb_function *f, const struct lamb_node *props)
{
	const struct lamb_node *evs = prop_kind(b, props, "Events", LAMB_MAP);
	if (!evs)
		return;
	f->events = lamb_arena_alloc(b->a, evs->len * sizeof(*f->events));
	for (size_t i = 0; i < evs->len; i++) {
		const struct lamb_pair *p = &evs->pairs[i];
		if (p->value->kind != LAMB_MAP) {
			lamb_error(b->diags, &p->value->mark, "event '%s' must be a mapping with a Type", p->key->str);
			continue;
		}
		const char *type = prop_str(b, p->value, "Type");
		if (!type) {
			lamb_error(b->diags, &p->key->mark, "event '%s' has no Type", p->key->str);
			continue;
		}
		struct lamb_event *ev = &f->events[f->nevents++];
		ev->name = p->key->str;
		ev->type = type;
		ev->mark = p->key->mark;
		ev->properties = prop_kind(b, p->value, "Properties", LAMB_MAP);
		check_event(b, ev);
	}
}

static const char *local_reason(struct builder *b, const struct lamb_function *f)
{
	if (f->code_kind == LAMB_CODE_S3)
		return lamb_arena_strdup(b->a, "its code is in S3; point CodeUri at a local directory to run it");
	if (f->code_kind == LAMB_CODE_IMAGE || strcmp(f->package_type, "Image") == 0)
		return "PackageType Image: lamb runs zip functions (no container images)";
	const struct lamb_runtime_info *rt = lamb_runtime_find(f->runtime);
	if (!rt)
		return "it has no runtime lamb knows";
	if (rt->family == LAMB_RT_OTHER) {
		char *s = xasprintf("lamb has no runtime for '%s' (it runs python, nodejs and provided)", f->runtime);
		const char *out = lamb_arena_strdup(b->a, s);
		free(s);
		return out;
	}
	if (f->code_kind == LAMB_CODE_INLINE && rt->family == LAMB_RT_PROVIDED)
		return "InlineCode needs an interpreted runtime (python or nodejs)";
	return NULL;
}

/* Lenient loading: a property the function cannot run without that stayed
 * unresolved (warned where it is) keeps the function from running. */
static const char *unresolved(struct builder *b, const struct lamb_node *props, bool asset)
{
	static const char *const keys[] = { "Handler", "Runtime", "CodeUri", "InlineCode", "Code" };
	for (size_t i = 0; b->r.lenient && i < (asset ? 2 : ARRAY_SIZE(keys)); i++) {
		const struct lamb_node *v = lamb_node_get(props, keys[i]);
		bool unknown = v && v->unknown;
		for (size_t j = 0; v && v->kind == LAMB_MAP && j < v->len; j++)
			unknown |= v->pairs[j].value->unknown;
		if (unknown) {
			cleanup_free char *s = xasprintf("its %s '%s' is unresolved", keys[i],
							 v->kind == LAMB_SCALAR ? v->str : "...");
			return lamb_arena_strdup(b->a, s);
		}
	}
	return NULL;
}

static void read_architectures(struct builder *b, struct lamb_function *f, const struct lamb_node *props)
{
	f->architectures = prop_strs(b, props, "Architectures");
	const struct lamb_node *at = lamb_node_get(props, "Architectures");
	for (size_t i = 0; i < f->architectures.len; i++)
		if (strcmp(f->architectures.v[i], "x86_64") != 0 && strcmp(f->architectures.v[i], "arm64") != 0)
			lamb_error(b->diags, &at->mark, "unknown architecture '%s' (x86_64 or arm64)",
				   f->architectures.v[i]);
	if (f->architectures.len > 1)
		lamb_error(b->diags, &at->mark, "a function has exactly one architecture");
	if (!f->architectures.len) {
		f->architectures.v = lamb_arena_alloc(b->a, sizeof(*f->architectures.v));
		f->architectures.v[f->architectures.len++] = "x86_64";
	}
}

/* FunctionUrlConfig: AuthType (required), InvokeMode, Cors. */
static const struct lamb_function_url *read_url(struct builder *b, const struct lamb_node *v)
{
	struct lamb_function_url *u = lamb_arena_alloc(b->a, sizeof(*u));
	memset(u, 0, sizeof(*u));
	const char *auth = prop_str(b, v, "AuthType");
	const char *mode = prop_str(b, v, "InvokeMode");
	if (!auth)
		lamb_error(b->diags, &v->mark, "FunctionUrlConfig needs AuthType (AWS_IAM or NONE)");
	else if (strcmp(auth, "AWS_IAM") != 0 && strcmp(auth, "NONE") != 0)
		lamb_error(b->diags, &lamb_node_get(v, "AuthType")->mark,
			   "AuthType must be AWS_IAM or NONE, not '%s'", auth);
	if (mode && strcmp(mode, "BUFFERED") != 0 && strcmp(mode, "RESPONSE_STREAM") != 0)
		lamb_error(b->diags, &lamb_node_get(v, "InvokeMode")->mark,
			   "InvokeMode must be BUFFERED or RESPONSE_STREAM, not '%s'", mode);
	u->iam = auth && strcmp(auth, "AWS_IAM") == 0;
	u->stream = mode && strcmp(mode, "RESPONSE_STREAM") == 0;
	const struct lamb_node *cors = prop_kind(b, v, "Cors", LAMB_MAP);
	if (cors)
		url_cors(b, &u->cors, cors);
	return u;
}

static void read_function(struct builder *b, const struct lamb_res_entry *e, struct lamb_function *f)
{
	bool sam = is_type(e, "AWS::Serverless::Function");
	const struct lamb_node *props = resolved_props(b, e, sam ? "Function" : NULL);
	f->logical_id = e->id;
	f->type = e->type;
	f->name = e->ref;
	f->arn = e->arn;
	f->mark = lamb_node_get(e->node, "Type")->mark;
	f->package_type = prop_str(b, props, "PackageType");
	if (!f->package_type)
		f->package_type = "Zip";
	else if (strcmp(f->package_type, "Zip") != 0 && strcmp(f->package_type, "Image") != 0)
		lamb_error(b->diags, &lamb_node_get(props, "PackageType")->mark,
			   "PackageType must be Zip or Image, not '%s'", f->package_type);
	read_runtime(b, f, props);
	const struct lamb_node *meta = lamb_resolve(&b->r, lamb_node_get(e->node, "Metadata"));
	bool asset = read_code(b, f, props, meta, sam);
	f->construct_id = construct_id(b, meta);
	f->memory_mb = prop_long(b, props, "MemorySize", 128, 128, 10240);
	f->timeout_s = prop_long(b, props, "Timeout", 3, 1, 900);
	f->reserved_concurrency = prop_long(b, props, "ReservedConcurrentExecutions", -1, 0, 100000);
	f->env = prop_kvs(b, prop_kind(b, props, "Environment", LAMB_MAP), "Variables");
	read_layers(b, f, props);
	read_architectures(b, f, props);
	read_events(b, f, props);
	f->url_config = prop_kind(b, props, "FunctionUrlConfig", LAMB_MAP);
	if (f->url_config)
		f->url = read_url(b, f->url_config);
	f->logging_config = prop_kind(b, props, "LoggingConfig", LAMB_MAP);
	read_logging(b, f);
	read_tenancy(b, f, props);
	read_snapstart(b, f, props);
	f->invoke_config = prop_kind(b, props, "EventInvokeConfig", LAMB_MAP);
	f->recursive_loop_allowed = str_eq(prop_str(b, props, "RecursiveLoop"), "Allow");
	f->dead_letter = prop_kind(b, props, "DeadLetterQueue", LAMB_MAP); /* SAM's */
	if (!f->dead_letter)
		f->dead_letter = prop_kind(b, props, "DeadLetterConfig", LAMB_MAP); /* CloudFormation's */
	f->build_method = prop_str(b, meta, "BuildMethod");
	f->local_reason = unresolved(b, props, asset);
	if (!f->local_reason)
		f->local_reason = local_reason(b, f);
	/* a missing or unknown runtime is already an error of its own */
	if (f->local_reason && (lamb_runtime_find(f->runtime) || f->code_kind == LAMB_CODE_S3 ||
				f->code_kind == LAMB_CODE_IMAGE))
		lamb_warning(b->diags, &f->mark, "function '%s' cannot run locally: %s", f->logical_id,
			     f->local_reason);
}

/* Ref of a function is its name; GetAtt .Arn its ARN. Both are needed
 * before any function's properties are resolved, since one function's
 * environment may name another. */
static void name_functions(struct builder *b)
{
	for (size_t i = 0; i < b->r.nresources; i++) {
		struct lamb_res_entry *e = &b->r.resources[i];
		if (!is_function(e))
			continue;
		const struct lamb_node *fname = lamb_node_get(lamb_node_get(e->node, "Properties"), "FunctionName");
		struct lamb_node *v = fname ? lamb_resolve(&b->r, fname) : NULL;
		e->ref = lamb_node_str(v) && *v->str ? v->str : e->id;
		char *arn = xasprintf("arn:%s:lambda:%s:%s:function:%s", b->m->partition, b->m->region,
				      b->m->account_id, e->ref);
		e->arn = lamb_arena_strdup(b->a, arn);
		free(arn);
	}
}

void build_functions(struct builder *b)
{
	name_functions(b);
	size_t n = 0;
	for (size_t i = 0; i < b->r.nresources; i++)
		n += is_function(&b->r.resources[i]) && !b->skip[i];
	b->m->functions = lamb_arena_alloc(b->a, n * sizeof(*b->m->functions));
	for (size_t i = 0; i < b->r.nresources; i++)
		if (is_function(&b->r.resources[i]) && !b->skip[i])
			read_function(b, &b->r.resources[i], &b->m->functions[b->m->nfunctions++]);
}

static void read_layer(struct builder *b, const struct lamb_res_entry *e, struct lamb_layer *l)
{
	bool sam = is_type(e, "AWS::Serverless::LayerVersion");
	const struct lamb_node *props = resolved_props(b, e, sam ? "LayerVersion" : NULL);
	l->logical_id = e->id;
	l->type = e->type;
	l->name = prop_str(b, props, "LayerName");
	if (!l->name || !*l->name)
		l->name = e->id;
	l->arn = e->arn;
	l->mark = lamb_node_get(e->node, "Type")->mark;
	const char *key = sam ? "ContentUri" : "Content";
	const struct lamb_node *meta = lamb_resolve(&b->r, lamb_node_get(e->node, "Metadata"));
	const char *asset = asset_path(b, meta, "Content", "ContentUri");
	const struct lamb_node *c = asset ? lamb_node_get(meta, "aws:asset:path") : lamb_node_get(props, key);
	if (!c) {
		lamb_error(b->diags, &l->mark, "layer '%s' has no %s", e->id, key);
	} else if (c->kind == LAMB_SCALAR && !str_starts(c->str, "s3://")) {
		l->code_kind = LAMB_CODE_LOCAL;
		l->content = model_path(b, c->str);
		check_code_place(b, &c->mark, "content of layer", e->id, key, l->content);
		struct stat st;
		if (stat(l->content, &st) != 0)
			lamb_warning(b->diags, &c->mark, "content of layer '%s' does not exist (yet): '%s'", e->id,
				     l->content);
	} else if (c->kind == LAMB_SCALAR) {
		l->code_kind = LAMB_CODE_S3;
		l->content = c->str;
	} else {
		l->code_kind = LAMB_CODE_S3;
		l->content = sam ? s3_location(b, c, "Bucket", "Key", key) :
				   s3_location(b, c, "S3Bucket", "S3Key", key);
	}
	l->compatible_runtimes = prop_strs(b, props, "CompatibleRuntimes");
	l->compatible_architectures = prop_strs(b, props, "CompatibleArchitectures");
	l->build_method = prop_str(b, meta, "BuildMethod");
}

void build_layers(struct builder *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->r.nresources; i++) {
		struct lamb_res_entry *e = &b->r.resources[i];
		if (!is_layer(e))
			continue;
		n += !b->skip[i];
		const struct lamb_node *lname = lamb_node_get(lamb_node_get(e->node, "Properties"), "LayerName");
		struct lamb_node *v = lname ? lamb_resolve(&b->r, lname) : NULL;
		const char *name = lamb_node_str(v) && *v->str ? v->str : e->id;
		char *arn = xasprintf("arn:%s:lambda:%s:%s:layer:%s:1", b->m->partition, b->m->region,
				      b->m->account_id, name);
		e->ref = e->arn = lamb_arena_strdup(b->a, arn);
		free(arn);
	}
	b->m->layers = lamb_arena_alloc(b->a, n * sizeof(*b->m->layers));
	for (size_t i = 0; i < b->r.nresources; i++) {
		if (!is_layer(&b->r.resources[i]) || b->skip[i])
			continue;
		read_layer(b, &b->r.resources[i], &b->m->layers[b->m->nlayers++]);
	}
}
