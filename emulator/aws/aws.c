/* One signed request to AWS through a libcurl easy handle, retried with
 * capped exponential backoff and full jitter. libcurl signs (SigV4) and
 * speaks TLS; this file decides what is retried and how a body travels.
 * libcurl 7.88's signer hashes only an in-memory body (POSTFIELDS), so S3
 * requests carry their own x-amz-content-sha256: the empty-body hash, or
 * UNSIGNED-PAYLOAD for a body (S3 accepts it; TLS protects the bytes). */
#include "aws/aws.h"

#include "aws/xml.h"
#include "base/util.h"

#include <cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS 5000

void lamb_aws_response_init(struct lamb_aws_response *r)
{
	memset(r, 0, sizeof(*r));
	r->body = xstrdup("");
}

void lamb_aws_response_release(struct lamb_aws_response *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->request_id);
	free(r->etag);
	free(r->error_type);
	free(r->function_error);
	free(r->log_result);
	memset(r, 0, sizeof(*r));
}

char *lamb_aws_endpoint(const struct lamb_aws_config *c, const char *service)
{
	if (c->endpoint_url)
		return xstrdup(c->endpoint_url);
	return xasprintf("https://%s.%s.amazonaws.com%s", service, c->region,
			 str_starts(c->region, "cn-") ? ".cn" : "");
}

/* AWS's error code and message from an XML or JSON body; borrowed from
 * the parsed tree, which the caller frees. */
static void error_fields(const struct lamb_aws_response *r, struct lamb_xml **x, cJSON **j,
			 const char **code, const char **msg)
{
	*code = *msg = NULL;
	const char *b = r->body + strspn(r->body, " \t\r\n");
	if (*b == '<' && (*x = lamb_xml_parse(r->body, r->body_len, NULL))) {
		const struct lamb_xml *e = strcmp((*x)->name, "Error") == 0 ? *x : lamb_xml_find(*x, "Error");
		*code = lamb_xml_text(e, "Code");
		*msg = lamb_xml_text(e, "Message");
	} else if (*b == '{' && (*j = cJSON_Parse(b))) {
		const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(*j, "__type"));
		if (!t)
			t = cJSON_GetStringValue(cJSON_GetObjectItem(*j, "code"));
		*code = t && strchr(t, '#') ? strchr(t, '#') + 1 : t;
		*msg = cJSON_GetStringValue(cJSON_GetObjectItem(*j, "message"));
		if (!*msg)
			*msg = cJSON_GetStringValue(cJSON_GetObjectItem(*j, "Message"));
	}
	/* Lambda's REST API names the error in a header ("Type": "User" in the body) */
	if (!*code)
		*code = r->error_type;
}

int lamb_aws_error(const struct lamb_aws_response *r, const char *what, struct lamb_err *err)
{
	struct lamb_xml *x = NULL;
	cJSON *j = NULL;
	const char *code, *msg;
	error_fields(r, &x, &j, &code, &msg);
	if (code && msg && *msg)
		lamb_err_set(err, "%s: %s: %s", what, code, msg);
	else if (code)
		lamb_err_set(err, "%s: %s (HTTP %ld)", what, code, r->status);
	else
		lamb_err_set(err, "%s: HTTP %ld%s%s", what, r->status, r->request_id ? ", request id " : "",
			     r->request_id ? r->request_id : "");
	lamb_xml_free(x);
	cJSON_Delete(j);
	return -1;
}

static bool retryable(const struct lamb_aws_response *r)
{
	if (r->status >= 500 || r->status == 429)
		return true;
	if (r->status != 400)
		return false;
	static const char *codes[] = {
		"Throttling", "ThrottlingException", "SlowDown", "RequestLimitExceeded",
		"TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestThrottled",
	};
	struct lamb_xml *x = NULL;
	cJSON *j = NULL;
	const char *code, *msg;
	error_fields(r, &x, &j, &code, &msg);
	bool yes = false;
	for (size_t i = 0; code && i < ARRAY_SIZE(codes); i++)
		yes |= strcmp(code, codes[i]) == 0;
	lamb_xml_free(x);
	cJSON_Delete(j);
	return yes;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;

static void curl_init(void)
{
	curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
	lamb_buf_add(data, p, size * n);
	return size * n;
}

static char *header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	const char *v = line + n + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return xstrndup(v, (size_t)(end - v));
}

static void keep(char **slot, char *v)
{
	if (v) {
		free(*slot);
		*slot = v;
	}
}

static size_t on_header(char *p, size_t size, size_t n, void *data)
{
	struct lamb_aws_response *r = data;
	keep(&r->request_id, header_value(p, size * n, "x-amzn-RequestId"));
	keep(&r->request_id, header_value(p, size * n, "x-amz-request-id"));
	keep(&r->etag, header_value(p, size * n, "ETag"));
	keep(&r->error_type, header_value(p, size * n, "X-Amzn-ErrorType"));
	if (r->error_type) /* "Code:http://internal.amazon.com/..." */
		r->error_type[strcspn(r->error_type, ":")] = '\0';
	keep(&r->function_error, header_value(p, size * n, "X-Amz-Function-Error"));
	keep(&r->log_result, header_value(p, size * n, "X-Amz-Log-Result"));
	return size * n;
}

/* Everything about one attempt that has to be undone after it. */
struct attempt {
	CURL *curl;
	struct curl_slist *headers;
	FILE *upload;
	struct lamb_buf body;
	char errbuf[CURL_ERROR_SIZE];
};

static void attempt_release(struct attempt *a)
{
	curl_easy_cleanup(a->curl);
	curl_slist_free_all(a->headers);
	if (a->upload)
		fclose(a->upload);
	lamb_buf_release(&a->body);
}

static void add_header(struct attempt *a, const char *fmt, const char *v)
{
	cleanup_free char *h = xasprintf(fmt, v);
	a->headers = curl_slist_append(a->headers, h);
}

static int set_body(struct attempt *a, const struct lamb_aws_request *r, struct lamb_err *err)
{
	CURL *c = a->curl;
	if (r->upload_file) {
		struct stat st;
		a->upload = fopen(r->upload_file, "rb");
		if (!a->upload || fstat(fileno(a->upload), &st) < 0)
			return lamb_err_set(err, "cannot read '%s': %s", r->upload_file, strerror(errno));
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READDATA, a->upload);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
		if (strcmp(r->method, "PUT") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	} else if (strcmp(r->method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (r->body || strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		if (strcmp(r->method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	} else if (strcmp(r->method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	}
	return 0;
}

static void set_headers(struct attempt *a, const struct lamb_aws_config *cfg, const struct lamb_aws_request *r)
{
	bool has_body = r->upload_file || r->body_len > 0;
	/* no "Name:" lines to drop curl's own headers: 7.88 would sign them
	 * empty and the server would not see them */
	if (r->content_type)
		add_header(a, "Content-Type: %s", r->content_type);
	if (r->presigned)
		return;
	if (strcmp(r->service, "s3") == 0)
		add_header(a, "x-amz-content-sha256: %s", has_body ? "UNSIGNED-PAYLOAD" : EMPTY_SHA256);
	if (cfg->session_token)
		add_header(a, "X-Amz-Security-Token: %s", cfg->session_token);
	for (size_t i = 0; r->headers && r->headers[i]; i++)
		a->headers = curl_slist_append(a->headers, r->headers[i]);
}

static int setup(struct attempt *a, const struct lamb_aws_config *cfg, const struct lamb_aws_request *r,
		 struct lamb_aws_response *resp, struct lamb_err *err)
{
	cleanup_free char *base = r->endpoint ? xstrdup(r->endpoint) : lamb_aws_endpoint(cfg, r->service);
	cleanup_free char *url = xasprintf("%s%s%s%s", base, r->path, r->query ? "?" : "", r->query ? r->query : "");
	cleanup_free char *sigv4 = xasprintf("aws:amz:%s:%s", cfg->region, r->service);
	CURL *c = a->curl = curl_easy_init();
	if (!c)
		return lamb_err_set(err, "cannot start an HTTP request (curl_easy_init failed)");
	curl_easy_setopt(c, CURLOPT_URL, url);
	/* the path is signed as given: curl must not squash "/../" in a key */
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	if (!r->presigned) {
		curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->access_key);
		curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->secret_key);
	}
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, a->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	/* less than a byte a second for a minute: the peer is gone */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "lamb/" LAMB_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	if (set_body(a, r, err) < 0)
		return -1;
	set_headers(a, cfg, r);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, a->headers);
	return 0;
}

/* One attempt: 0 with resp filled when an answer came, 1 when the
 * connection failed in a way worth retrying, -1 otherwise. */
static int attempt(const struct lamb_aws_config *cfg, const struct lamb_aws_request *r,
		   struct lamb_aws_response *resp, struct lamb_err *err)
{
	struct attempt a = { 0 };
	lamb_buf_init(&a.body);
	lamb_aws_response_release(resp);
	lamb_aws_response_init(resp);
	int ret = setup(&a, cfg, r, resp, err);
	if (ret == 0) {
		CURLcode rc = curl_easy_perform(a.curl);
		if (rc != CURLE_OK) {
			cleanup_free char *url = r->endpoint ? xstrdup(r->endpoint) : lamb_aws_endpoint(cfg, r->service);
			lamb_err_set(err, "%s %s%s: %s", r->method, url, r->path, a.errbuf[0] ? a.errbuf : curl_easy_strerror(rc));
			ret = rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT || rc == CURLE_READ_ERROR ? -1 : 1;
		} else {
			curl_easy_getinfo(a.curl, CURLINFO_RESPONSE_CODE, &resp->status);
			free(resp->body);
			resp->body_len = a.body.len;
			resp->body = a.body.len ? lamb_buf_steal(&a.body) : xstrdup("");
		}
	}
	attempt_release(&a);
	return ret;
}

static void backoff(int n)
{
	long cap = BACKOFF_BASE_MS << (n < 10 ? n : 10);
	if (cap > BACKOFF_CAP_MS)
		cap = BACKOFF_CAP_MS;
	static _Thread_local unsigned seed;
	if (!seed)
		seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&n;
	long ms = cap / 2 + rand_r(&seed) % (cap / 2 + 1); /* half fixed, half jitter */
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int lamb_aws_call(const struct lamb_aws_config *c, const struct lamb_aws_request *r,
		  struct lamb_aws_response *resp, struct lamb_err *err)
{
	pthread_once(&curl_once, curl_init);
	if (curl_init_code != CURLE_OK)
		return lamb_err_set(err, "cannot initialise libcurl: %s", curl_easy_strerror(curl_init_code));
	int max = c->max_attempts > 0 ? c->max_attempts : 1;
	for (int n = 0;; n++) {
		int ret = attempt(c, r, resp, err);
		if (ret < 0)
			return -1;
		bool again = ret > 0 || retryable(resp);
		if (!again)
			return 0;
		if (n + 1 >= max)
			return ret > 0 ? lamb_err_prefix(err, "after %d attempts", max) : 0;
		backoff(n);
	}
}
