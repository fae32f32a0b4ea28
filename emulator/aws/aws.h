/* Talking to AWS (or an AWS-compatible endpoint): where the credentials and
 * the region come from, and one signed HTTPS request with retries. Requests
 * are signed with Signature Version 4 by libcurl (CURLOPT_AWS_SIGV4). Used
 * by lamb package (S3), lamb deploy and lamb delete (CloudFormation); see
 * aws-s3.h and aws-cfn.h for the calls themselves. */
#ifndef LAMB_AWS_H
#define LAMB_AWS_H

#include "base/err.h"

#include <stdbool.h>
#include <stddef.h>

/* Who is calling, and where. Embedded: _init/_release; every string owned. */
struct lamb_aws_config {
	char *access_key;
	char *secret_key;
	char *session_token; /* NULL when there is none */
	char *region;
	char *profile;       /* the profile the values came from, for messages */
	char *endpoint_url;  /* NULL: https://<service>.<region>.amazonaws.com */
	int max_attempts;    /* retries on throttling and 5xx; default 5 */
};

/* What the user asked for on the command line; NULL fields: not given. */
struct lamb_aws_opts {
	const char *profile;      /* --profile (else AWS_PROFILE, else "default") */
	const char *region;       /* --region (else AWS_REGION, AWS_DEFAULT_REGION, config) */
	const char *endpoint_url; /* --endpoint-url (else AWS_ENDPOINT_URL) */
	bool optional;            /* local commands: no credentials or no region is no
				   * error (the fields stay NULL); a profile named but
				   * absent still is */
};

void lamb_aws_config_init(struct lamb_aws_config *c);
void lamb_aws_config_release(struct lamb_aws_config *c);

/* Fills c as the AWS CLI would: credentials from AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the profile's section of
 * ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE) or ~/.aws/config
 * (AWS_CONFIG_FILE, "[profile NAME]"); region likewise. A missing
 * credential or region is an error that says how to give it, before
 * anything is sent. */
int lamb_aws_config_load(struct lamb_aws_config *c, const struct lamb_aws_opts *o, struct lamb_err *err);
/* For a function run locally, as SAM CLI hands them over: the credentials
 * and region of profile (NULL: AWS_PROFILE, else "default"), the
 * environment's first unless a profile is named; region is the given one,
 * else the environment's, else the profile's. Fills what it finds (fields
 * NULL otherwise); -1 only for a profile named but absent, or an
 * unreadable file. */
int lamb_aws_config_local(struct lamb_aws_config *c, const char *profile, const char *region,
			  struct lamb_err *err);

/* One request. path is already URI-encoded ("/bucket/key"); query is NULL
 * or a canonical query string ("a=1&b=2", sorted, encoded). The body comes
 * from memory (body/body_len) or is streamed from upload_file. */
struct lamb_aws_request {
	const char *service;      /* signing name: "s3", "cloudformation" */
	const char *method;       /* "GET", "PUT", "POST", "HEAD", "DELETE" */
	const char *path;
	const char *query;
	const char *content_type; /* NULL: none */
	const char *body;
	size_t body_len;
	const char *upload_file;  /* NULL: body is used */
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated; may be NULL */
	const char *endpoint;     /* NULL: lamb_aws_endpoint(c, service); else this base URL
				   * (S3's virtual-hosted https://bucket.s3.<region>...) */
	bool presigned;           /* endpoint is a whole presigned URL (path ""): sent
				   * unsigned, as its query carries the signature */
};

/* What came back. Embedded: _init/_release; strings owned. */
struct lamb_aws_response {
	long status;
	char *body;        /* NUL-terminated; "" when empty */
	size_t body_len;
	char *request_id;  /* x-amzn-RequestId / x-amz-request-id, or NULL */
	char *etag;        /* ETag header, or NULL */
	char *error_type;     /* X-Amzn-ErrorType (Lambda's REST errors), or NULL */
	char *function_error; /* X-Amz-Function-Error (Invoke: Unhandled...), or NULL */
	char *log_result;     /* X-Amz-Log-Result (Invoke, LogType Tail: base64), or NULL */
};

void lamb_aws_response_init(struct lamb_aws_response *r);
void lamb_aws_response_release(struct lamb_aws_response *r);

/* Sends the request, retrying with exponential backoff and jitter on
 * connection failures, 5xx and throttling (429, or a 400 whose error code
 * is Throttling/ThrottlingException/SlowDown/RequestLimitExceeded), at most
 * c->max_attempts times. Returns 0 when an answer arrived, whatever its
 * status (the caller reads AWS's error from the body); -1 with err when none
 * did. */
int lamb_aws_call(const struct lamb_aws_config *c, const struct lamb_aws_request *r,
		  struct lamb_aws_response *resp, struct lamb_err *err);

/* The endpoint for service: c->endpoint_url when set, else AWS's
 * (https://s3.<region>.amazonaws.com, https://cloudformation.<region>...).
 * Allocated. */
char *lamb_aws_endpoint(const struct lamb_aws_config *c, const char *service);

/* An AWS error answer (XML <Error><Code>..</Code><Message>..</Message>, or a
 * JSON __type/message) as "Code: Message" into err, prefixed by what.
 * Returns -1. */
int lamb_aws_error(const struct lamb_aws_response *r, const char *what, struct lamb_err *err);

#endif
