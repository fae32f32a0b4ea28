/* Lambda's REST API, the calls lamb makes of it: GetLayerVersionByArn (the
 * content of a layer a template names by ARN, for local runs), Invoke
 * (lamb remote invoke), UpdateFunctionCode, PublishLayerVersion and
 * UpdateFunctionConfiguration (lamb sync). JSON bodies, signed by aws.h;
 * AWS's errors come back in err as "Code: Message". */
#ifndef LAMB_AWS_LAMBDA_H
#define LAMB_AWS_LAMBDA_H

#include "aws/aws.h"
#include "base/err.h"

#include <stdbool.h>
#include <stddef.h>

/* The region of an ARN (arn:PARTITION:SERVICE:REGION:...) into buf
 * (size n); NULL when arn has none. */
const char *lamb_lambda_arn_region(const char *arn, char *buf, size_t n);

/* GetLayerVersionByArn, in the ARN's region: the URL of the layer's zip
 * (presigned, valid for minutes). *url allocated. */
int lamb_lambda_layer_location(const struct lamb_aws_config *c, const char *arn, char **url, struct lamb_err *err);

/* GETs a presigned URL (unsigned: its query is the signature) into path. */
int lamb_aws_download(const struct lamb_aws_config *c, const char *url, const char *path, struct lamb_err *err);

/* What Invoke answered. Embedded: _init/_release; strings owned. */
struct lamb_lambda_result {
	long status;          /* 200 for a synchronous invocation */
	char *payload;        /* the function's response (or its error document) */
	size_t payload_len;
	char *function_error; /* "Unhandled", "Handled"; NULL when it succeeded */
	char *log_tail;       /* the last 4 KB of its log, decoded; NULL without one */
	char *request_id;
};

void lamb_lambda_result_init(struct lamb_lambda_result *r);
void lamb_lambda_result_release(struct lamb_lambda_result *r);

/* Invoke, RequestResponse, LogType Tail. name: a function name or ARN. A
 * function error is a result (function_error set), not -1. */
int lamb_lambda_invoke(const struct lamb_aws_config *c, const char *name, const char *payload, size_t len,
		       struct lamb_lambda_result *res, struct lamb_err *err);

/* UpdateFunctionCode with the zip at zip_path (sent inline, base64). */
int lamb_lambda_update_code(const struct lamb_aws_config *c, const char *name, const char *zip_path,
			    struct lamb_err *err);

/* PublishLayerVersion of the zip at zip_path; *arn: the new version's
 * LayerVersionArn, allocated. runtimes: NULL-terminated, may be NULL. */
int lamb_lambda_publish_layer(const struct lamb_aws_config *c, const char *layer_name, const char *zip_path,
			      const char *const *runtimes, char **arn, struct lamb_err *err);

/* The function's CodeSha256 and Layers (ARNs), as GetFunctionConfiguration
 * tells; *sha allocated, *layers NULL-terminated and allocated (free each
 * and the array). */
int lamb_lambda_function_config(const struct lamb_aws_config *c, const char *name, char **sha, char ***layers,
				struct lamb_err *err);

/* GetLayerVersionByArn's Content.CodeSha256 of the layer version. Allocated. */
int lamb_lambda_layer_sha(const struct lamb_aws_config *c, const char *arn, char **sha, struct lamb_err *err);

/* The file's SHA-256 in base64, as Lambda's CodeSha256 says it: into out. */
int lamb_lambda_file_sha(const char *path, char out[48], struct lamb_err *err);

/* UpdateFunctionConfiguration setting Layers to layers (NULL-terminated). */
int lamb_lambda_set_layers(const struct lamb_aws_config *c, const char *name, const char *const *layers,
			   struct lamb_err *err);

#endif
