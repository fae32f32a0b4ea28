/* AuthType AWS_IAM: a request's Signature Version 4 recomputed and
 * compared, as the Function URL service checks it (service "lambda"), from
 * the Authorization header or a presigned query. The canonical request is
 * built as botocore's signer builds it for services other than S3: the path
 * percent-encoded once more, the query pairs re-encoded and sorted, the
 * signed headers trimmed. No clock-skew check: a local signer's clock is the
 * host's. HMAC-SHA256 and SHA-256 from nettle. */
#include "base/url.h"
#include "base/util.h"
#include "front/function-url.h"

#include <ctype.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sig {
	char access_key[128], date[16], region[64], service[64];
	char signed_headers[1024];
	char signature[65];
	char amz_date[32];
	bool query; /* presigned */
};

static void hex(const uint8_t *d, size_t n, char *out)
{
	static const char xd[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = xd[d[i] >> 4];
		out[2 * i + 1] = xd[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&c);
	sha256_update(&c, len, data);
	sha256_digest(&c, sizeof(d), d);
	hex(d, sizeof(d), out);
}

static void hmac(const uint8_t *key, size_t klen, const char *msg, uint8_t out[SHA256_DIGEST_SIZE])
{
	struct hmac_sha256_ctx c;
	hmac_sha256_set_key(&c, klen, key);
	hmac_sha256_update(&c, strlen(msg), (const uint8_t *)msg);
	hmac_sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

/* SigV4's encoding: everything but unreserved characters (and '/' in a path). */
static void encode(struct lamb_buf *b, const char *s, size_t n, bool path)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[4];
		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || (path && ch == '/'))
			lamb_buf_add(b, &s[i], 1);
		else
			lamb_buf_add(b, esc, (size_t)snprintf(esc, sizeof(esc), "%%%02X", ch));
	}
}

/* "Credential=AK/DATE/REGION/SERVICE/aws4_request" into s. */
static bool credential(struct sig *s, const char *v)
{
	char copy[512];
	snprintf(copy, sizeof(copy), "%s", v);
	char *save = NULL, *parts[5];
	for (int i = 0; i < 5; i++)
		if (!(parts[i] = strtok_r(i ? NULL : copy, "/", &save)))
			return false;
	snprintf(s->access_key, sizeof(s->access_key), "%s", parts[0]);
	snprintf(s->date, sizeof(s->date), "%s", parts[1]);
	snprintf(s->region, sizeof(s->region), "%s", parts[2]);
	snprintf(s->service, sizeof(s->service), "%s", parts[3]);
	return strcmp(parts[4], "aws4_request") == 0;
}

/* Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=... */
static bool from_header(struct sig *s, const char *auth)
{
	if (!str_starts(auth, "AWS4-HMAC-SHA256 "))
		return false;
	char copy[2048], *save = NULL;
	snprintf(copy, sizeof(copy), "%s", auth + strlen("AWS4-HMAC-SHA256 "));
	bool cred = false;
	for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		kv += strspn(kv, " ");
		if (str_starts(kv, "Credential="))
			cred = credential(s, kv + strlen("Credential="));
		else if (str_starts(kv, "SignedHeaders="))
			snprintf(s->signed_headers, sizeof(s->signed_headers), "%s", kv + strlen("SignedHeaders="));
		else if (str_starts(kv, "Signature="))
			snprintf(s->signature, sizeof(s->signature), "%s", kv + strlen("Signature="));
	}
	return cred && s->signed_headers[0] && s->signature[0];
}

struct pair {
	char *k, *v; /* encoded as SigV4 wants them */
};

static int by_key(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->k, y->k);
	return c ? c : strcmp(x->v, y->v);
}

static char *reencode(const char *s, size_t n)
{
	char *d = lamb_url_decode(s, n, false);
	struct lamb_buf b;
	lamb_buf_init(&b);
	if (d)
		encode(&b, d, strlen(d), false);
	lamb_buf_add(&b, "", 1);
	free(d);
	return b.data;
}

/* The canonical query; the presign's own fields go into s. */
static void canonical_query(struct lamb_buf *out, const char *query, struct sig *s)
{
	struct pair *p = NULL;
	size_t n = 0, cap = 0;
	char *copy = xstrdup(query ? query : ""), *save = NULL;
	for (char *kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		p = xgrow(p, &cap, n + 1, sizeof(*p));
		p[n].k = reencode(kv, eq ? (size_t)(eq - kv) : strlen(kv));
		p[n].v = reencode(eq ? eq + 1 : "", eq ? strlen(eq + 1) : 0);
		if (strcmp(p[n].k, "X-Amz-Signature") == 0) {
			snprintf(s->signature, sizeof(s->signature), "%s", p[n].v);
			free(p[n].k);
			free(p[n].v);
			continue;
		}
		if (strcmp(p[n].k, "X-Amz-Credential") == 0) {
			char *d = lamb_url_decode(p[n].v, strlen(p[n].v), false);
			s->query = d && credential(s, d);
			free(d);
		} else if (strcmp(p[n].k, "X-Amz-SignedHeaders") == 0) {
			char *d = lamb_url_decode(p[n].v, strlen(p[n].v), false);
			snprintf(s->signed_headers, sizeof(s->signed_headers), "%s", d ? d : "");
			free(d);
		} else if (strcmp(p[n].k, "X-Amz-Date") == 0) {
			snprintf(s->amz_date, sizeof(s->amz_date), "%s", p[n].v);
		}
		n++;
	}
	if (n)
		qsort(p, n, sizeof(*p), by_key);
	for (size_t i = 0; i < n; i++) {
		lamb_buf_addstr(out, i ? "&" : "");
		lamb_buf_addstr(out, p[i].k);
		lamb_buf_add(out, "=", 1);
		lamb_buf_addstr(out, p[i].v);
		free(p[i].k);
		free(p[i].v);
	}
	free(p);
	free(copy);
}

/* name:value for each signed header, values trimmed and inner runs of blanks collapsed. */
static void canonical_headers(struct lamb_buf *out, const struct lamb_http_request *req, const char *signed_headers,
			      const char *host)
{
	char copy[1024], *save = NULL;
	snprintf(copy, sizeof(copy), "%s", signed_headers);
	for (char *name = strtok_r(copy, ";", &save); name; name = strtok_r(NULL, ";", &save)) {
		const char *v = strcmp(name, "host") == 0 && host ? host : lamb_http_request_header(req, name);
		lamb_buf_addstr(out, name);
		lamb_buf_add(out, ":", 1);
		v = v ? v + strspn(v, " \t") : "";
		for (bool blank = false; *v; v++) {
			bool b = *v == ' ' || *v == '\t';
			if (b && !blank)
				lamb_buf_add(out, " ", 1);
			else if (!b)
				lamb_buf_add(out, v, 1);
			blank = b;
		}
		while (out->len && out->data[out->len - 1] == ' ')
			out->len--;
		lamb_buf_add(out, "\n", 1);
	}
}

static void canonical_request(struct lamb_buf *cr, const struct lamb_http_request *req, struct sig *s,
			      const char *host)
{
	struct lamb_buf q;
	lamb_buf_init(&q);
	canonical_query(&q, req->query, s);
	lamb_buf_addstr(cr, req->method);
	lamb_buf_add(cr, "\n", 1);
	encode(cr, req->path, strlen(req->path), true);
	lamb_buf_add(cr, "\n", 1);
	lamb_buf_add(cr, q.data ? q.data : "", q.len);
	lamb_buf_add(cr, "\n", 1);
	canonical_headers(cr, req, s->signed_headers, host);
	lamb_buf_add(cr, "\n", 1);
	lamb_buf_addstr(cr, s->signed_headers);
	lamb_buf_add(cr, "\n", 1);
	const char *payload = lamb_http_request_header(req, "X-Amz-Content-Sha256");
	char h[65];
	/* a presigned URL too hashes its body (empty): UNSIGNED-PAYLOAD is S3's */
	if (!payload)
		sha256_hex(req->body, req->body_len, h);
	lamb_buf_addstr(cr, payload ? payload : h);
	lamb_buf_release(&q);
}

static void signature(const struct sig *s, const char *secret, const char *cr_hash, char out[65])
{
	char *key = xasprintf("AWS4%s", secret);
	char *sts = xasprintf("AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", s->amz_date, s->date, s->region,
			      s->service, cr_hash);
	uint8_t k[SHA256_DIGEST_SIZE];
	hmac((const uint8_t *)key, strlen(key), s->date, k);
	hmac(k, sizeof(k), s->region, k);
	hmac(k, sizeof(k), s->service, k);
	hmac(k, sizeof(k), "aws4_request", k);
	hmac(k, sizeof(k), sts, k);
	hex(k, sizeof(k), out);
	free(key);
	free(sts);
}

/* Compares in time that does not depend on where they differ. */
static bool same(const char *a, const char *b)
{
	size_t n = strlen(a);
	unsigned diff = n != strlen(b);
	for (size_t i = 0; i < n && b[i]; i++)
		diff |= (unsigned)(a[i] ^ b[i]);
	return diff == 0;
}

bool lamb_function_url_signed(const struct lamb_http_request *req, const char *host, const char *access_key,
			      const char *secret_key, const char *account_id, char **iam)
{
	struct sig s = { 0 };
	const char *auth = lamb_http_request_header(req, "Authorization");
	if (auth && !from_header(&s, auth))
		return false;
	struct lamb_buf cr;
	lamb_buf_init(&cr);
	canonical_request(&cr, req, &s, host);
	const char *date = lamb_http_request_header(req, "X-Amz-Date");
	if (auth && date)
		snprintf(s.amz_date, sizeof(s.amz_date), "%s", date);
	char cr_hash[65], want[65];
	sha256_hex(cr.data, cr.len, cr_hash);
	lamb_buf_release(&cr);
	if ((!auth && !s.query) || !s.amz_date[0] || strcmp(s.service, "lambda") != 0 ||
	    strcmp(s.access_key, access_key) != 0)
		return false;
	signature(&s, secret_key, cr_hash, want);
	if (!same(want, s.signature))
		return false;
	*iam = xasprintf("{\"accessKey\":\"%s\",\"accountId\":\"%s\",\"callerId\":\"%s\",\"cognitoIdentity\":null,"
			 "\"principalOrgId\":null,\"userArn\":\"arn:aws:iam::%s:user/lamb\",\"userId\":\"%s\"}",
			 access_key, account_id, access_key, account_id, access_key);
	return true;
}
