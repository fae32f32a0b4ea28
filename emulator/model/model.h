/* The resolved model of a SAM template: what the rest of lamb reads.
 * Globals, parameters, conditions and intrinsic functions are applied once,
 * when the model is built; afterwards everything is plain values. The model
 * owns every string and array in it (one arena); lamb_model_free releases
 * it all. */
#ifndef LAMB_MODEL_H
#define LAMB_MODEL_H

#include "base/err.h"
#include "template/diag.h"
#include "template/node.h"

#include <stdbool.h>
#include <stddef.h>

/* An ordered list of name=value strings (environment, stage variables). */
struct lamb_kv {
	const char *key;
	const char *value;
};

struct lamb_kvs {
	struct lamb_kv *v;
	size_t len;
};

struct lamb_strs {
	const char **v;
	size_t len;
};

enum lamb_code_kind {
	LAMB_CODE_LOCAL,  /* path: a directory or a .zip on this machine */
	LAMB_CODE_S3,     /* path: s3://bucket/key */
	LAMB_CODE_INLINE, /* inline: the source text */
	LAMB_CODE_IMAGE,  /* PackageType Image */
};

struct lamb_layer;

/* One entry of a function's Layers: a layer of the template, or an ARN. */
struct lamb_layer_ref {
	const struct lamb_layer *layer; /* NULL for an ARN */
	const char *arn;                /* the resolved value as written */
};

/* Log levels of LoggingConfig, most detail first (TRACE is application only,
 * as are ERROR and FATAL). */
enum lamb_log_level {
	LAMB_LOG_TRACE,
	LAMB_LOG_DEBUG,
	LAMB_LOG_INFO,
	LAMB_LOG_WARN,
	LAMB_LOG_ERROR,
	LAMB_LOG_FATAL,
};

/* LoggingConfig, Lambda's advanced logging controls. Without it (or with
 * LogFormat: Text) the logs are Lambda's plain text ones. */
struct lamb_logging {
	bool set;                     /* LogFormat was given */
	bool json;                    /* LogFormat: JSON */
	enum lamb_log_level app;      /* ApplicationLogLevel, INFO by default */
	enum lamb_log_level system;   /* SystemLogLevel (DEBUG, INFO, WARN), INFO by default */
	const char *log_group;        /* LogGroup, or NULL: /aws/lambda/NAME */
};

/* A level's name as Lambda spells it ("TRACE" ... "FATAL"). */
const char *lamb_log_level_name(enum lamb_log_level level);

struct lamb_event {
	const char *name; /* the key under Events */
	const char *type; /* Api, HttpApi, S3, SQS, Schedule, ... */
	const struct lamb_node *properties; /* resolved; may be NULL */
	struct lamb_mark mark;
};

struct lamb_function {
	const char *logical_id;
	const char *type;     /* AWS::Serverless::Function or AWS::Lambda::Function */
	const char *name;     /* FunctionName, else the logical id */
	const char *construct_id; /* CDK: the construct of Metadata aws:cdk:path (or
				   * SamResourceId), which names it too; else NULL */
	const char *arn;      /* arn:aws:lambda:REGION:ACCOUNT:function:NAME */
	const char *runtime;  /* NULL when unset (Image) */
	const char *handler;  /* NULL when unset */
	enum lamb_code_kind code_kind;
	const char *code;     /* absolute path, s3:// location, or inline source */
	const char *built_from; /* when code was pointed at a built tree (lamb build for a
				 * run): the source directory; else NULL */
	const char *build_method; /* Metadata.BuildMethod, or NULL */
	const char *package_type; /* "Zip" or "Image" */
	long memory_mb;       /* 128 by default */
	long timeout_s;       /* 3 by default */
	long reserved_concurrency; /* -1 when unset */
	struct lamb_kvs env;  /* Environment.Variables, in template order */
	struct lamb_layer_ref *layers;
	size_t nlayers;
	struct lamb_strs architectures; /* x86_64 by default */
	struct lamb_event *events;
	size_t nevents;
	const struct lamb_node *url_config;     /* FunctionUrlConfig, resolved, or NULL */
	const struct lamb_function_url *url;    /* FunctionUrlConfig read, or NULL */
	const struct lamb_node *logging_config; /* LoggingConfig, resolved, or NULL */
	struct lamb_logging logging;            /* LoggingConfig, read */
	bool per_tenant;      /* TenancyConfig: {TenantIsolationMode: PER_TENANT} */
	bool snapstart;       /* SnapStart: {ApplyOn: PublishedVersions} (engine/snapstart.c) */
	const struct lamb_node *invoke_config;  /* SAM's EventInvokeConfig, resolved, or NULL */
	const struct lamb_node *dead_letter;    /* DeadLetterQueue (SAM) or DeadLetterConfig, or NULL */
	bool recursive_loop_allowed; /* RecursiveLoop: Allow (Terminate by default) */
	const char *local_reason; /* NULL when it can run here; else why not */
	const char *stack;    /* the nested stack it comes from ("Child/Grand"), NULL for the
			       * template's own; lamb build leaves such functions out */
	struct lamb_mark mark;
};

struct lamb_layer {
	const char *logical_id;
	const char *type;
	const char *name;     /* LayerName, else the logical id */
	const char *arn;      /* arn:aws:lambda:REGION:ACCOUNT:layer:NAME:1 */
	enum lamb_code_kind code_kind; /* LOCAL or S3 */
	const char *content;  /* absolute path or s3:// location */
	const char *built_from; /* as lamb_function.built_from */
	const char *build_method;
	struct lamb_strs compatible_runtimes;
	const char *stack;    /* as lamb_function.stack */
	struct lamb_strs compatible_architectures; /* empty when unset */
	struct lamb_mark mark;
};

enum lamb_api_kind {
	LAMB_API_REST, /* AWS::Serverless::Api, Api events, AWS::ApiGateway::RestApi */
	LAMB_API_HTTP, /* AWS::Serverless::HttpApi, HttpApi events, AWS::ApiGatewayV2::Api */
};

/* An API's CORS (REST Cors, HTTP API CorsConfiguration), read at load so
 * that answering a request only copies these strings into headers. REST
 * values are SAM's quoted strings ("'*'") with the quotes gone; HTTP API
 * lists are joined with ','. A NULL or "" value gives no header. */
struct lamb_cors {
	bool enabled;
	const char *allow_origin;       /* REST: the Allow-Origin value, "*" by default */
	struct lamb_strs allow_origins; /* HTTP API: the origins answered */
	bool any_origin;                /* HTTP API: AllowOrigins holds "*" */
	const char *allow_methods;      /* REST: every method by default */
	const char *allow_headers;
	const char *expose_headers;     /* HTTP API only */
	const char *max_age;
	bool allow_credentials;
	struct lamb_mark mark;
};

/* A function's FunctionUrlConfig: what start-api serves at its URL. */
struct lamb_function_url {
	bool iam;              /* AuthType AWS_IAM: SigV4-signed requests only; else NONE */
	bool stream;           /* InvokeMode RESPONSE_STREAM; else BUFFERED */
	struct lamb_cors cors; /* Cors, read as an HTTP API's CorsConfiguration */
};

enum lamb_auth_source_kind {
	LAMB_AUTH_HEADER,
	LAMB_AUTH_QUERY,
	LAMB_AUTH_STAGE_VAR,
	LAMB_AUTH_CONTEXT,
};

/* One identity source of an authorizer: a request must carry it. */
struct lamb_auth_source {
	enum lamb_auth_source_kind kind;
	const char *name;
};

/* One entry of an API's Auth.Authorizers. */
struct lamb_api_authorizer {
	const char *name;         /* its key under Auth.Authorizers, its security scheme's name,
				   * or its AWS::ApiGateway[V2]::Authorizer's logical id */
	const char *function_arn; /* FunctionArn; NULL for Cognito (UserPoolArn) and JWT ones */
	const struct lamb_function *function; /* the function FunctionArn names, or NULL */
	bool token;               /* REST FunctionPayloadType TOKEN (the default), else REQUEST */
	const char *payload_format; /* "1.0" on REST; AuthorizerPayloadFormatVersion, "2.0" by default */
	bool simple_responses;    /* HTTP API EnableSimpleResponses, with payload 2.0 */
	const char *validation_expression; /* TOKEN: Identity.ValidationExpression (API
					    * Gateway's IdentityValidationExpression), or NULL */
	const struct lamb_regex *validation; /* it compiled once at load; NULL when unset or
					      * unreadable (warned at load: tokens go unchecked) */
	long reauthorize_every;   /* Identity.ReauthorizeEvery in seconds, -1 when unset;
				   * lamb caches no answer, so it is only read */
	struct lamb_auth_source *sources; /* Identity: what a request must carry, in order */
	size_t nsources;
	struct lamb_mark mark;
};

struct lamb_api {
	const char *logical_id; /* ServerlessRestApi / ServerlessHttpApi when implicit */
	enum lamb_api_kind kind;
	bool implicit;
	const char *stage;               /* Prod for the implicit REST API, $default for HTTP */
	struct lamb_kvs stage_variables; /* Variables / StageVariables */
	struct lamb_strs binary_media_types; /* "image/png" (~1 decoded) */
	struct lamb_cors cors;           /* Cors / CorsConfiguration */
	const char *default_authorizer;  /* Auth.DefaultAuthorizer, or NULL */
	struct lamb_api_authorizer *authorizers; /* Auth.Authorizers */
	size_t nauthorizers;
	const struct lamb_node *definition; /* DefinitionBody (resolved) or the DefinitionUri file, or NULL;
					     * a CloudFormation API's Body or BodyS3Location file */
	const char *base_path; /* "/v1": prepended to the definition's paths (its basePath, when the
				* API's import mode is prepend or split), or NULL */
	bool cloudformation;   /* an AWS::ApiGateway::RestApi or AWS::ApiGatewayV2::Api */
	struct lamb_mark mark;
};

struct lamb_route {
	const char *method; /* upper case; "ANY" for every method */
	const char *path;   /* as in the template; "$default" for the catch-all */
	bool is_default;    /* the HTTP API $default route */
	const struct lamb_function *function;
	const struct lamb_api *api;
	const char *payload_format; /* "1.0" or "2.0" */
	const struct lamb_event *event; /* NULL for a route of an OpenAPI definition or of
					 * CloudFormation resources */
	const char *auth_name; /* its event's Auth.Authorizer, its operation's security, its
				* Method's or Route's AuthorizerId; else the API's DefaultAuthorizer;
				* NULL when neither names one ("NONE" and "AWS_IAM" kept as written) */
	const struct lamb_api_authorizer *authorizer; /* auth_name among the API's Authorizers, or NULL */
	const char *operation_name; /* REST: a Method's OperationName or an OpenAPI
				     * operationId, requestContext.operationName; else NULL */
	const char *tenant_from; /* REST: what the integration maps to the X-Amz-Tenant-Id header
				  * a tenant-isolated function needs ("method.request.header.x-tenant-id",
				  * "...querystring.t", "...path.t"), or NULL */
};

struct lamb_resource {
	const char *logical_id;
	const char *type;
	bool local;             /* lamb can run or serve it */
	const char *note;       /* what lamb does with it, or why not */
};

/* A resource that feeds or receives events locally (lamb local start):
 * AWS::Events::Rule, AWS::SQS::Queue, AWS::SNS::Topic, AWS::S3::Bucket,
 * AWS::SNS::Subscription, AWS::Lambda::EventSourceMapping,
 * AWS::Lambda::EventInvokeConfig and AWS::Scheduler::Schedule, with its
 * properties resolved. */
struct lamb_source {
	const char *logical_id;
	const char *type;
	const char *ref;  /* the value of its Ref */
	const char *arn;  /* the value of its GetAtt .Arn, or NULL */
	const struct lamb_node *properties; /* resolved; never NULL */
	struct lamb_mark mark;
};

struct lamb_param {
	const char *name;
	const char *type;
	const char *value; /* after overrides; NULL when it has none */
	bool overridden;
};

struct lamb_regex;

struct lamb_model {
	const char *path; /* the template file */
	const char *dir;  /* its directory, absolute */
	const char *region, *account_id, *stack_name, *partition, *url_suffix;
	struct lamb_param *params;
	size_t nparams;
	struct lamb_function *functions;
	size_t nfunctions;
	struct lamb_layer *layers;
	size_t nlayers;
	struct lamb_api *apis;
	size_t napis;
	struct lamb_route *routes;
	size_t nroutes;
	struct lamb_resource *resources;
	size_t nresources;
	struct lamb_source *sources; /* the template's own, not its nested stacks' */
	size_t nsources;
	const struct lamb_node *outputs; /* Outputs resolved: a mapping of name to value */
	const struct lamb_node *root; /* the document as loaded, before Globals and
				       * intrinsics (lamb validate's checks) */
	struct lamb_arena *arena; /* owns everything above */
	struct lamb_regex **regexes; /* owns the compiled expressions the above point to */
	size_t nregexes, regexes_cap;
};

/* --parameter-overrides collected from the command line; any of the forms
 * "K=V", "ParameterKey=K,ParameterValue=V" and "file://params.json". */
struct lamb_overrides {
	struct lamb_kv *v;
	size_t len, cap;
};

void lamb_overrides_init(struct lamb_overrides *o);
void lamb_overrides_release(struct lamb_overrides *o);
/* Adds one command-line word; -1 with err for a malformed word or file. */
int lamb_overrides_add(struct lamb_overrides *o, const char *word, struct lamb_err *err);

struct lamb_model_opts {
	const struct lamb_overrides *overrides; /* may be NULL */
	const char *region;     /* NULL: $AWS_REGION, else us-east-1 */
	const char *account_id; /* NULL: 123456789012 */
	const char *stack_name; /* NULL: local */
	bool lenient; /* local commands: a parameter without a value and a dangling
		       * Ref/GetAtt/Sub are warnings, and only what uses them goes
		       * without (lamb-template(5)); validate and deploy are strict */
};

/* Loads, merges Globals, resolves and checks the template at path. Every
 * problem goes to diags. Returns the model, or NULL when the file could not
 * be parsed into one at all; a model may still come with errors in diags. */
struct lamb_model *lamb_model_load(const char *path, const struct lamb_model_opts *opts,
				   struct lamb_diags *diags);
/* The same from text in memory; file names the text in diagnostics and
 * relative paths resolve against dir (NULL: the current directory). */
struct lamb_model *lamb_model_parse(const char *file, const char *dir, const char *text,
				    size_t len, const struct lamb_model_opts *opts,
				    struct lamb_diags *diags);
void lamb_model_free(struct lamb_model *m);

const struct lamb_function *lamb_model_function(const struct lamb_model *m, const char *id);
/* As SAM CLI finds the function a user names: its logical id (for a nested
 * stack's, the path "Child/Grandchild/Id", Id its logical or CDK construct
 * id), else its CDK construct id, else its FunctionName; NULL when none
 * matches. */
const struct lamb_function *lamb_model_find_function(const struct lamb_model *m, const char *id);

#endif
