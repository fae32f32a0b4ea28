/* HeadObject and PutObject. A HEAD answer has no body, so when it is
 * neither 200 nor 404 the same object is asked for with GET (one byte) to
 * read AWS's error code: "HTTP 403" alone does not tell a wrong secret
 * from a missing permission. */
#include "aws/aws-s3.h"

#include "aws/xml.h"
#include "base/url.h"
#include "base/util.h"

#include <string.h>

static bool dns_compatible(const char *bucket)
{
	size_t n = strlen(bucket);
	if (n < 3 || n > 63 || bucket[0] == '-' || bucket[n - 1] == '-')
		return false;
	for (const char *p = bucket; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

/* Fills r's endpoint and path for bucket/key; the strings go to *base and
 * *path, which the caller frees. */
static void address(const struct lamb_aws_config *c, const char *bucket, const char *key,
		    struct lamb_aws_request *r, char **base, char **path)
{
	cleanup_free char *ekey = lamb_url_encode(key, LAMB_URL_KEEP_SLASH);
	if (!c->endpoint_url && dns_compatible(bucket)) {
		*base = xasprintf("https://%s.s3.%s.amazonaws.com%s", bucket, c->region,
				  str_starts(c->region, "cn-") ? ".cn" : "");
		*path = xasprintf("/%s", ekey);
	} else {
		cleanup_free char *ebucket = lamb_url_encode(bucket, 0);
		*base = NULL;
		*path = xasprintf("/%s/%s", ebucket, ekey);
	}
	r->service = "s3";
	r->endpoint = *base;
	r->path = *path;
}

/* AWS's error code in an S3 answer, allocated, or NULL. */
static char *error_code(const struct lamb_aws_response *resp)
{
	struct lamb_xml *x = lamb_xml_parse(resp->body, resp->body_len, NULL);
	const char *code = x ? lamb_xml_text(x, "Code") : NULL;
	char *v = code ? xstrdup(code) : NULL;
	lamb_xml_free(x);
	return v;
}

static int failed(const struct lamb_aws_response *resp, const char *bucket, const char *what,
		  struct lamb_err *err)
{
	cleanup_free char *code = error_code(resp);
	if (str_eq(code, "NoSuchBucket"))
		return lamb_err_set(err, "S3 bucket '%s' does not exist", bucket);
	return lamb_aws_error(resp, what, err);
}

/* The GET that tells why a HEAD failed: 1, 0 or -1 as head_object. */
static int explain_head(const struct lamb_aws_config *c, struct lamb_aws_request *r, const char *bucket,
			const char *uri, struct lamb_err *err)
{
	static const char *const range[] = { "Range: bytes=0-0", NULL };
	struct lamb_aws_response resp;
	lamb_aws_response_init(&resp);
	r->method = "GET";
	r->headers = range;
	int ret = lamb_aws_call(c, r, &resp, err);
	cleanup_free char *code = ret == 0 ? error_code(&resp) : NULL;
	if (ret == 0 && (resp.status == 200 || resp.status == 206))
		ret = 1;
	else if (ret == 0 && (resp.status == 404 && !str_eq(code, "NoSuchBucket")))
		ret = 0;
	else if (ret == 0 && str_eq(code, "AccessDenied"))
		ret = 0; /* without s3:ListBucket a missing key is 403: let PutObject say */
	else if (ret == 0)
		ret = failed(&resp, bucket, uri, err);
	lamb_aws_response_release(&resp);
	return ret;
}

int lamb_aws_s3_head_object(const struct lamb_aws_config *c, const char *bucket, const char *key,
			    struct lamb_err *err)
{
	struct lamb_aws_request r = { .method = "HEAD" };
	cleanup_free char *base = NULL, *path = NULL;
	cleanup_free char *uri = xasprintf("cannot check s3://%s/%s", bucket, key);
	address(c, bucket, key, &r, &base, &path);
	struct lamb_aws_response resp;
	lamb_aws_response_init(&resp);
	int ret = lamb_aws_call(c, &r, &resp, err);
	if (ret < 0)
		lamb_err_prefix(err, "%s", uri);
	else if (resp.status >= 200 && resp.status < 300)
		ret = 1;
	else if (resp.status == 404)
		ret = 0; /* a missing bucket too: PutObject says which */
	else
		ret = explain_head(c, &r, bucket, uri, err);
	lamb_aws_response_release(&resp);
	return ret;
}

int lamb_aws_s3_put_object(const struct lamb_aws_config *c, const char *bucket, const char *key,
			   const char *file, struct lamb_err *err)
{
	struct lamb_aws_request r = { .method = "PUT", .upload_file = file };
	cleanup_free char *base = NULL, *path = NULL;
	cleanup_free char *what = xasprintf("cannot upload '%s' to s3://%s/%s", file, bucket, key);
	address(c, bucket, key, &r, &base, &path);
	struct lamb_aws_response resp;
	lamb_aws_response_init(&resp);
	int ret = lamb_aws_call(c, &r, &resp, err);
	if (ret < 0)
		lamb_err_prefix(err, "%s", what);
	else if (resp.status < 200 || resp.status >= 300)
		ret = failed(&resp, bucket, what, err);
	lamb_aws_response_release(&resp);
	return ret;
}
