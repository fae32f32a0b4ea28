/* Lambda's REST API (aws-lambda.h). Each call is one signed request with a
 * JSON body or none; names and ARNs go into the path URI-encoded. Zips are
 * sent inline (base64), which Lambda takes up to 50 MB: lamb sync sends one
 * function's code at a time, not a packaged stack. */
#include "aws/aws-lambda.h"
#include "base/url.h"
#include "base/util.h"

#include <cJSON.h>
#include <errno.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *lamb_lambda_arn_region(const char *arn, char *buf, size_t n)
{
	/* arn:aws:lambda:REGION:ACCOUNT:... */
	const char *p = arn;
	for (int i = 0; i < 3 && p; i++)
		p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
	if (!p || !str_starts(arn, "arn:"))
		return NULL;
	size_t len = strcspn(p, ":");
	if (!len || len >= n || !p[len])
		return NULL;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

/* One call: *out the answer's JSON (may be NULL when the caller wants
 * none); an answer other than 2xx is AWS's error, prefixed by what. */
static int call(const struct lamb_aws_config *c, const char *method, const char *path, const char *query,
		const cJSON *body, cJSON **out, const char *what, struct lamb_err *err)
{
	char *text = body ? cJSON_PrintUnformatted(body) : NULL;
	struct lamb_aws_request r = { .service = "lambda", .method = method, .path = path, .query = query,
				      .content_type = text ? "application/json" : NULL,
				      .body = text, .body_len = text ? strlen(text) : 0 };
	struct lamb_aws_response resp;
	lamb_aws_response_init(&resp);
	int rc = lamb_aws_call(c, &r, &resp, err);
	if (rc == 0 && (resp.status < 200 || resp.status > 299))
		rc = lamb_aws_error(&resp, what, err);
	if (rc == 0 && out && !(*out = cJSON_Parse(resp.body)))
		rc = lamb_err_set(err, "%s: the answer is not JSON", what);
	lamb_aws_response_release(&resp);
	free(text);
	return rc;
}

static char *function_path(const char *name, const char *tail)
{
	char *enc = lamb_url_encode(name, 0);
	char *p = xasprintf("/2015-03-31/functions/%s/%s", enc, tail);
	free(enc);
	return p;
}

/* GetLayerVersionByArn, in the ARN's region, into *j. */
static int get_layer(const struct lamb_aws_config *c, const char *arn, cJSON **j, char **what, struct lamb_err *err)
{
	char region[64];
	struct lamb_aws_config in = *c; /* the layer's region: strings borrowed */
	if (lamb_lambda_arn_region(arn, region, sizeof(region)))
		in.region = region;
	char *enc = lamb_url_encode(arn, 0);
	char *query = xasprintf("Arn=%s&find=LayerVersion", enc);
	*what = xasprintf("cannot get layer '%s'", arn);
	*j = NULL;
	int rc = call(&in, "GET", "/2018-10-31/layers", query, NULL, j, *what, err);
	free(query);
	free(enc);
	return rc;
}

/* Content.FIELD of layer arn: allocated. */
static int layer_content(const struct lamb_aws_config *c, const char *arn, const char *field, char **out,
			 struct lamb_err *err)
{
	cJSON *j;
	char *what;
	int rc = get_layer(c, arn, &j, &what, err);
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "Content"), field));
	if (rc == 0 && !v)
		rc = lamb_err_set(err, "%s: the answer has no Content.%s", what, field);
	if (rc == 0)
		*out = xstrdup(v);
	cJSON_Delete(j);
	free(what);
	return rc;
}

int lamb_lambda_layer_location(const struct lamb_aws_config *c, const char *arn, char **url, struct lamb_err *err)
{
	return layer_content(c, arn, "Location", url, err);
}

int lamb_lambda_layer_sha(const struct lamb_aws_config *c, const char *arn, char **sha, struct lamb_err *err)
{
	return layer_content(c, arn, "CodeSha256", sha, err);
}

int lamb_lambda_file_sha(const char *path, char out[48], struct lamb_err *err)
{
	FILE *f = fopen(path, "rbe");
	if (!f)
		return lamb_err_set(err, "cannot read '%s': %s", path, strerror(errno));
	struct sha256_ctx ctx;
	uint8_t buf[65536], digest[SHA256_DIGEST_SIZE];
	size_t n;
	sha256_init(&ctx);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sha256_update(&ctx, n, buf);
	int bad = ferror(f);
	fclose(f);
	if (bad)
		return lamb_err_set(err, "cannot read '%s'", path);
	sha256_digest(&ctx, sizeof(digest), digest);
	char *b64 = lamb_base64_encode(digest, sizeof(digest));
	snprintf(out, 48, "%s", b64);
	free(b64);
	return 0;
}

int lamb_aws_download(const struct lamb_aws_config *c, const char *url, const char *path, struct lamb_err *err)
{
	struct lamb_aws_request r = { .service = "s3", .method = "GET", .path = "", .endpoint = url, .presigned = true };
	struct lamb_aws_response resp;
	lamb_aws_response_init(&resp);
	int rc = lamb_aws_call(c, &r, &resp, err);
	if (rc == 0 && resp.status != 200)
		rc = lamb_aws_error(&resp, "cannot download the layer's content", err);
	FILE *f = rc == 0 ? fopen(path, "wbe") : NULL;
	if (rc == 0 && (!f || fwrite(resp.body, 1, resp.body_len, f) != resp.body_len))
		rc = lamb_err_set(err, "cannot write '%s': %s", path, strerror(errno));
	if (f && fclose(f) != 0 && rc == 0)
		rc = lamb_err_set(err, "cannot write '%s': %s", path, strerror(errno));
	lamb_aws_response_release(&resp);
	return rc;
}

void lamb_lambda_result_init(struct lamb_lambda_result *r)
{
	memset(r, 0, sizeof(*r));
}

void lamb_lambda_result_release(struct lamb_lambda_result *r)
{
	free(r->payload);
	free(r->function_error);
	free(r->log_tail);
	free(r->request_id);
	memset(r, 0, sizeof(*r));
}

static char *steal(char **p)
{
	char *v = *p;
	*p = NULL;
	return v;
}

int lamb_lambda_invoke(const struct lamb_aws_config *c, const char *name, const char *payload, size_t len,
		       struct lamb_lambda_result *res, struct lamb_err *err)
{
	static const char *const headers[] = { "X-Amz-Invocation-Type: RequestResponse", "X-Amz-Log-Type: Tail", NULL };
	char *path = function_path(name, "invocations");
	struct lamb_aws_request r = { .service = "lambda", .method = "POST", .path = path, .body = payload,
				      .body_len = len, .content_type = "application/json", .headers = headers };
	struct lamb_aws_response resp;
	lamb_aws_response_init(&resp);
	int rc = lamb_aws_call(c, &r, &resp, err);
	if (rc == 0 && (resp.status < 200 || resp.status > 299))
		rc = lamb_aws_error(&resp, "cannot invoke", err);
	if (rc == 0) {
		size_t n = 0;
		res->status = resp.status;
		res->payload_len = resp.body_len;
		res->payload = steal(&resp.body);
		res->function_error = steal(&resp.function_error);
		res->request_id = steal(&resp.request_id);
		char *tail = resp.log_result ? lamb_base64_decode(resp.log_result, strlen(resp.log_result), &n) : NULL;
		if (tail) {
			res->log_tail = xstrndup(tail, n);
			free(tail);
		}
	}
	lamb_aws_response_release(&resp);
	free(path);
	return rc;
}

/* {"ZipFile": base64 of the file} into o. */
static int add_zip(cJSON *o, const char *zip_path, struct lamb_err *err)
{
	size_t len;
	char *data = lamb_read_file(zip_path, &len);
	if (!data)
		return lamb_err_set(err, "cannot read '%s': %s", zip_path, strerror(errno));
	char *b64 = lamb_base64_encode(data, len);
	cJSON_AddStringToObject(o, "ZipFile", b64);
	free(b64);
	free(data);
	return 0;
}

int lamb_lambda_update_code(const struct lamb_aws_config *c, const char *name, const char *zip_path,
			    struct lamb_err *err)
{
	cJSON *body = cJSON_CreateObject();
	char *path = function_path(name, "code");
	char *what = xasprintf("cannot update the code of function '%s'", name);
	int rc = add_zip(body, zip_path, err);
	if (rc == 0)
		rc = call(c, "PUT", path, NULL, body, NULL, what, err);
	free(what);
	free(path);
	cJSON_Delete(body);
	return rc;
}

int lamb_lambda_publish_layer(const struct lamb_aws_config *c, const char *layer_name, const char *zip_path,
			      const char *const *runtimes, char **arn, struct lamb_err *err)
{
	cJSON *body = cJSON_CreateObject(), *j = NULL;
	char *enc = lamb_url_encode(layer_name, 0);
	char *path = xasprintf("/2018-10-31/layers/%s/versions", enc);
	char *what = xasprintf("cannot publish a version of layer '%s'", layer_name);
	int rc = add_zip(cJSON_AddObjectToObject(body, "Content"), zip_path, err);
	cJSON *rts = runtimes && *runtimes ? cJSON_AddArrayToObject(body, "CompatibleRuntimes") : NULL;
	for (size_t i = 0; rts && runtimes[i]; i++)
		cJSON_AddItemToArray(rts, cJSON_CreateString(runtimes[i]));
	cJSON_AddStringToObject(body, "Description", "published by lamb sync");
	if (rc == 0)
		rc = call(c, "POST", path, NULL, body, &j, what, err);
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(j, "LayerVersionArn"));
	if (rc == 0 && !v)
		rc = lamb_err_set(err, "%s: the answer has no LayerVersionArn", what);
	if (rc == 0)
		*arn = xstrdup(v);
	cJSON_Delete(j);
	cJSON_Delete(body);
	free(what);
	free(path);
	free(enc);
	return rc;
}

int lamb_lambda_function_config(const struct lamb_aws_config *c, const char *name, char **sha, char ***layers,
				struct lamb_err *err)
{
	cJSON *j = NULL;
	char *path = function_path(name, "configuration");
	char *what = xasprintf("cannot get the configuration of function '%s'", name);
	int rc = call(c, "GET", path, NULL, NULL, &j, what, err);
	const cJSON *ls = cJSON_GetObjectItem(j, "Layers");
	size_t n = 0;
	if (rc == 0) {
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(j, "CodeSha256"));
		*sha = xstrdup(v ? v : "");
		*layers = xcalloc((size_t)cJSON_GetArraySize(ls) + 1, sizeof(**layers));
		for (const cJSON *l = ls ? ls->child : NULL; l; l = l->next) {
			const char *arn = cJSON_IsString(l) ? l->valuestring
							    : cJSON_GetStringValue(cJSON_GetObjectItem(l, "Arn"));
			if (arn)
				(*layers)[n++] = xstrdup(arn);
		}
	}
	cJSON_Delete(j);
	free(what);
	free(path);
	return rc;
}

int lamb_lambda_set_layers(const struct lamb_aws_config *c, const char *name, const char *const *layers,
			   struct lamb_err *err)
{
	cJSON *body = cJSON_CreateObject();
	cJSON *ls = cJSON_AddArrayToObject(body, "Layers");
	for (size_t i = 0; layers[i]; i++)
		cJSON_AddItemToArray(ls, cJSON_CreateString(layers[i]));
	char *path = function_path(name, "configuration");
	char *what = xasprintf("cannot set the layers of function '%s'", name);
	int rc = call(c, "PUT", path, NULL, body, NULL, what, err);
	free(what);
	free(path);
	cJSON_Delete(body);
	return rc;
}
