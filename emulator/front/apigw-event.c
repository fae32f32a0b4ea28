/* The proxy integration event, payload formats 1.0 and 2.0, field by field
 * as ../shared/reference/apigw.md lists them, written as JSON text straight
 * into one buffer: this runs once per request. */
#include "base/url.h"
#include "base/util.h"
#include "front/apigw.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct query_pair {
	char *key, *value;
};

static size_t parse_query(const char *q, struct query_pair **out)
{
	size_t n = 0, cap = 0;
	*out = NULL;
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		if (len) {
			const char *eq = memchr(q, '=', len);
			size_t klen = eq ? (size_t)(eq - q) : len;
			*out = xgrow(*out, &cap, n + 1, sizeof(**out));
			char *k = lamb_url_decode(q, klen, true);
			char *v = eq ? lamb_url_decode(eq + 1, len - klen - 1, true) : xstrdup("");
			(*out)[n].key = k ? k : xstrndup(q, klen);
			(*out)[n].value = v ? v : xstrndup(eq + 1, len - klen - 1);
			n++;
		}
		q += len + (amp ? 1 : 0);
	}
	return n;
}

static void free_query(struct query_pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].key);
		free(p[i].value);
	}
	free(p);
}

/* A stable ten-character id for an API, like API Gateway's. Users see it
 * (requestContext.apiId, an authorizer's methodArn) and may have written
 * it down, so it is not lamb_hash (base/hash.h), whose values may change:
 * this FNV-1a, with the offset basis it has always had (FNV's 64-bit basis
 * missing its last digit), is part of the id's definition. */
void lamb_apigw_api_id(const char *logical_id, char out[11])
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = logical_id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	for (int i = 0; i < 10; i++, h /= 36)
		out[i] = alnum[h % 36];
	out[10] = '\0';
}

/* The request time as API Gateway writes it, formatted once a second:
 * gmtime_r and strftime cost 1,500 instructions a request. Per thread, as
 * events may be written on any. */
static void format_time(int64_t ms, char *buf, size_t len)
{
	static _Thread_local time_t last = -1;
	static _Thread_local char text[64];
	time_t t = (time_t)(ms / 1000);
	if (t != last) {
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(text, sizeof(text), "%d/%b/%Y:%H:%M:%S +0000", &tm);
		last = t;
	}
	size_t n = strlen(text) < len ? strlen(text) : len - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
}

static bool is_binary(const struct lamb_route *route, const struct lamb_http_request *req)
{
	if (!lamb_utf8_valid(req->body, req->body_len))
		return true;
	const struct lamb_strs *types = &route->api->binary_media_types;
	if (!types->len)
		return false;
	const char *ct = lamb_http_request_header(req, "Content-Type");
	size_t ctlen = ct ? strcspn(ct, ";") : 0;
	while (ctlen && ct[ctlen - 1] == ' ')
		ctlen--;
	for (size_t i = 0; i < types->len; i++) {
		const char *t = types->v[i];
		if (strcmp(t, "*/*") == 0)
			return true;
		if (!ct)
			continue;
		size_t tl = strlen(t);
		if (tl == ctlen && strncasecmp(t, ct, ctlen) == 0)
			return true;
		/* a type ending in slash-star matches its whole family */
		if (tl >= 2 && strcmp(t + tl - 2, "/*") == 0 && ctlen > tl - 1 &&
		    strncasecmp(t, ct, tl - 1) == 0)
			return true;
	}
	return false;
}

/* --- a JSON writer: the event is written straight into one buffer (a tree
 * of cJSON nodes cost 30,000 instructions and 60 allocations a request) ---
 * Strings are escaped by lamb_buf_addquoted, as cJSON prints them: quote,
 * backslash and control characters; other bytes as they are. */

static void j_sep(struct lamb_buf *b)
{
	char last = b->len ? b->data[b->len - 1] : '{';
	if (last != '{' && last != '[' && last != ':')
		lamb_buf_addch(b, ',');
}

/* "key": (after a comma when needed) */
static void j_key(struct lamb_buf *b, const char *k)
{
	j_sep(b);
	lamb_buf_addquoted(b, k);
	lamb_buf_addch(b, ':');
}

/* A string member; none when s is NULL, as cJSON_AddStringToObject does. */
static void j_kstr(struct lamb_buf *b, const char *k, const char *s)
{
	if (!s)
		return;
	j_key(b, k);
	lamb_buf_addquoted(b, s);
}

/* A constant member name, written as the ready bytes "name": that the
 * compiler joins (pre-serialised: quoting the names of an event's ~40
 * members cost 4,000 instructions a request). */
static void j_lit(struct lamb_buf *b, const char *lit, size_t len)
{
	j_sep(b);
	lamb_buf_add(b, lit, len);
}

#define J_NAME(k) "\"" k "\":"
#define J_KEY(b, k) j_lit(b, J_NAME(k), sizeof(J_NAME(k)) - 1)
#define J_KSTR(b, k, s) j_kstr_lit(b, J_NAME(k), sizeof(J_NAME(k)) - 1, s)
#define J_KRAW(b, k, raw) (J_KEY(b, k), lamb_buf_addstr(b, raw))
#define J_OPEN(b, k, c) (J_KEY(b, k), lamb_buf_addch(b, c))

static void j_kstr_lit(struct lamb_buf *b, const char *lit, size_t len, const char *s)
{
	if (!s)
		return;
	j_lit(b, lit, len);
	lamb_buf_addquoted(b, s);
}

static void j_open(struct lamb_buf *b, const char *k, char c)
{
	if (k)
		j_key(b, k);
	else
		j_sep(b);
	lamb_buf_addch(b, c);
}

/* A whole number, written without snprintf (700 instructions a call). */
#define J_KNUM(b, k, v) j_knum(b, J_NAME(k), sizeof(J_NAME(k)) - 1, v)
static void j_knum(struct lamb_buf *b, const char *lit, size_t len, int64_t v)
{
	char num[24], *p = num + sizeof(num);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	j_lit(b, lit, len);
	lamb_buf_add(b, p, (size_t)(num + sizeof(num) - p));
}

/* Room for the usual event at once, not grown from 8 bytes by doubling. */
static void event_buf(struct lamb_buf *b, const struct lamb_http_request *req)
{
	lamb_buf_init(b);
	b->cap = 1536 + req->body_len + req->body_len / 3;
	b->data = xmalloc(b->cap);
}

/* binary: the body goes in base64 (decided by the caller: an API by its
 * BinaryMediaTypes, a Function URL by the Content-Type). */
static void add_body(struct lamb_buf *b, const struct lamb_http_request *req, bool v2, bool binary)
{
	if (!req->body_len) {
		if (!v2)
			J_KRAW(b, "body", "null");
		J_KRAW(b, "isBase64Encoded", "false");
		return;
	}
	if (binary) {
		char *enc = lamb_base64_encode(req->body, req->body_len);
		J_KSTR(b, "body", enc);
		free(enc);
		J_KRAW(b, "isBase64Encoded", "true");
	} else {
		/* as a C string: the text up to a NUL byte, as cJSON took it */
		J_KEY(b, "body");
		lamb_buf_addquotedn(b, req->body, strnlen(req->body, req->body_len));
		J_KRAW(b, "isBase64Encoded", "false");
	}
}

static void path_params(struct lamb_buf *b, const struct lamb_route_match *m, bool v2)
{
	if (!m->nparams) {
		if (!v2)
			J_KRAW(b, "pathParameters", "null");
		return;
	}
	J_OPEN(b, "pathParameters", '{');
	for (size_t i = 0; i < m->nparams; i++)
		j_kstr(b, m->params[i].name, m->params[i].value);
	lamb_buf_addch(b, '}');
}

static void stage_vars(struct lamb_buf *b, const struct lamb_api *api, bool v2)
{
	if (!api->stage_variables.len) {
		if (!v2)
			J_KRAW(b, "stageVariables", "null");
		return;
	}
	J_OPEN(b, "stageVariables", '{');
	for (size_t i = 0; i < api->stage_variables.len; i++)
		j_kstr(b, api->stage_variables.v[i].key, api->stage_variables.v[i].value);
	lamb_buf_addch(b, '}');
}

/* name/value pairs as 1.0 has them: "single" keeps the last value of each
 * name (in the place of its last occurrence), "multi" every value, in the
 * place of the name's first occurrence. */
struct pairs {
	struct pair {
		const char *name, *value;
	} *v; /* owned */
	size_t n;
};

#define PAIR_NAME(p, i) ((p)->v[i].name)
#define PAIR_VALUE(p, i) ((p)->v[i].value)

static void v1_single(struct lamb_buf *b, const char *key, const struct pairs *p)
{
	j_open(b, key, '{');
	for (size_t i = 0; i < p->n; i++) {
		bool later = false;
		for (size_t k = i + 1; k < p->n && !later; k++)
			later = strcmp(PAIR_NAME(p, i), PAIR_NAME(p, k)) == 0;
		if (!later)
			j_kstr(b, PAIR_NAME(p, i), PAIR_VALUE(p, i));
	}
	lamb_buf_addch(b, '}');
}

static void v1_multi(struct lamb_buf *b, const char *key, const struct pairs *p)
{
	j_open(b, key, '{');
	for (size_t i = 0; i < p->n; i++) {
		bool earlier = false;
		for (size_t k = 0; k < i && !earlier; k++)
			earlier = strcmp(PAIR_NAME(p, i), PAIR_NAME(p, k)) == 0;
		if (earlier)
			continue;
		j_open(b, PAIR_NAME(p, i), '[');
		for (size_t k = i; k < p->n; k++)
			if (strcmp(PAIR_NAME(p, i), PAIR_NAME(p, k)) == 0) {
				j_sep(b);
				lamb_buf_addquoted(b, PAIR_VALUE(p, k));
			}
		lamb_buf_addch(b, ']');
	}
	lamb_buf_addch(b, '}');
}

static struct pairs header_pairs(const struct lamb_http_request *req)
{
	struct pairs p = { .v = xmalloc((req->nheaders + 1) * sizeof(*p.v)), .n = req->nheaders };
	for (size_t i = 0; i < p.n; i++)
		p.v[i] = (struct pair){ req->headers[i].name, req->headers[i].value };
	return p;
}

static struct pairs query_pairs(const struct query_pair *q, size_t n)
{
	struct pairs p = { .v = xmalloc((n + 1) * sizeof(*p.v)), .n = n };
	for (size_t i = 0; i < n; i++)
		p.v[i] = (struct pair){ q[i].key, q[i].value };
	return p;
}

/* The port a client reached: the Host header's, else HTTP's 80. */
static const char *host_port(const struct lamb_http_request *req, size_t *len)
{
	const char *host = lamb_http_request_header(req, "Host");
	const char *colon = host ? strrchr(host, ':') : NULL;
	*len = colon ? strlen(colon + 1) : 0;
	if (!*len || strspn(colon + 1, "0123456789") != *len)
		return *len = 2, "80";
	return colon + 1;
}

/* REST APIs add the X-Forwarded-Proto and X-Forwarded-Port headers of
 * their front door (https and 443 there; lamb's plain HTTP here) unless
 * the client sent them. Written as ready JSON members (digits and fixed
 * names need no escaping), apart from the client's headers, which then
 * need no check against them: two headers more cost 6,500 instructions a
 * request through the pairs, 1,000 this way. */
struct forwarded {
	bool proto;
	const char *port; /* NULL when the client sent one */
	size_t port_len;
};

static void forwarded_members(struct lamb_buf *b, const struct forwarded *f, bool multi)
{
	if (f->proto) {
		j_sep(b);
		lamb_buf_addstr(b, multi ? "\"X-Forwarded-Proto\":[\"http\"]" : "\"X-Forwarded-Proto\":\"http\"");
	}
	if (f->port) {
		j_sep(b);
		lamb_buf_addstr(b, multi ? "\"X-Forwarded-Port\":[\"" : "\"X-Forwarded-Port\":\"");
		lamb_buf_add(b, f->port, f->port_len);
		lamb_buf_addstr(b, multi ? "\"]" : "\"");
	}
}

static void v1_headers(struct lamb_buf *b, const struct lamb_http_request *req, bool rest)
{
	struct pairs p = header_pairs(req);
	struct forwarded f = { 0 };
	if (rest) {
		f.proto = !lamb_http_request_header(req, "X-Forwarded-Proto");
		f.port = lamb_http_request_header(req, "X-Forwarded-Port") ? NULL : host_port(req, &f.port_len);
	}
	v1_single(b, "headers", &p);
	b->len--; /* reopened for the forwarded headers */
	forwarded_members(b, &f, false);
	lamb_buf_addch(b, '}');
	v1_multi(b, "multiValueHeaders", &p);
	b->len--;
	forwarded_members(b, &f, true);
	lamb_buf_addch(b, '}');
	free(p.v);
}

static void v1_query(struct lamb_buf *b, const struct lamb_http_request *req)
{
	struct query_pair *q;
	size_t n = parse_query(req->query, &q);
	if (!n) {
		J_KRAW(b, "queryStringParameters", "null");
		J_KRAW(b, "multiValueQueryStringParameters", "null");
		return;
	}
	struct pairs p = query_pairs(q, n);
	v1_single(b, "queryStringParameters", &p);
	v1_multi(b, "multiValueQueryStringParameters", &p);
	free(p.v);
	free_query(q, n);
}

/* "/stage/path", quoted; through the stack for the usual short one (a
 * formatted copy on the heap cost 1,000 instructions a request). */
static void stage_path(struct lamb_buf *b, const struct lamb_api *api, const char *path)
{
	J_KEY(b, "path");
	if (strcmp(api->stage, "$default") == 0) {
		lamb_buf_addquoted(b, path);
		return;
	}
	size_t sl = strlen(api->stage), pl = strlen(path);
	char small[512];
	char *sp = 1 + sl + pl <= sizeof(small) ? small : xmalloc(1 + sl + pl);
	sp[0] = '/';
	memcpy(sp + 1, api->stage, sl);
	memcpy(sp + 1 + sl, path, pl);
	lamb_buf_addquotedn(b, sp, 1 + sl + pl);
	if (sp != small)
		free(sp);
}

static void add_authorizer(struct lamb_buf *b, const char *authorizer)
{
	cJSON *a = authorizer ? cJSON_Parse(authorizer) : NULL;
	char *text = a ? cJSON_PrintUnformatted(a) : NULL;
	if (text)
		J_KRAW(b, "authorizer", text);
	free(text);
	cJSON_Delete(a);
}

static void v1_context(struct lamb_buf *b, const struct lamb_model *m, const struct lamb_route *route,
		       const struct lamb_http_request *req, const char *request_id, const char *authorizer)
{
	char id[11], when[64];
	lamb_apigw_api_id(route->api->logical_id, id);
	format_time(req->time_ms, when, sizeof(when));
	const char *host = lamb_http_request_header(req, "Host");
	J_OPEN(b, "requestContext", '{');
	J_KSTR(b, "accountId", m->account_id);
	J_KSTR(b, "apiId", id);
	J_KSTR(b, "resourceId", id + 4);
	J_KSTR(b, "resourcePath", route->path);
	J_KSTR(b, "httpMethod", req->method);
	stage_path(b, route->api, req->path);
	J_KSTR(b, "stage", route->api->stage);
	if (route->operation_name)
		J_KSTR(b, "operationName", route->operation_name);
	J_KSTR(b, "protocol", req->protocol ? req->protocol : "HTTP/1.1");
	J_KSTR(b, "requestId", request_id);
	J_KSTR(b, "extendedRequestId", request_id);
	J_KSTR(b, "requestTime", when);
	J_KNUM(b, "requestTimeEpoch", req->time_ms);
	J_KSTR(b, "domainName", host ? host : "localhost");
	J_OPEN(b, "identity", '{');
	J_KSTR(b, "sourceIp", req->source_ip ? req->source_ip : "127.0.0.1");
	const char *ua = lamb_http_request_header(req, "User-Agent");
	if (ua)
		J_KSTR(b, "userAgent", ua);
	else
		J_KRAW(b, "userAgent", "null");
	lamb_buf_addch(b, '}');
	add_authorizer(b, authorizer);
	lamb_buf_addch(b, '}');
}

static char *event_v1(const struct lamb_model *m, const struct lamb_route_match *match,
		      const struct lamb_http_request *req, const char *request_id, const char *authorizer)
{
	const struct lamb_route *route = match->route;
	struct lamb_buf b;
	event_buf(&b, req);
	lamb_buf_addch(&b, '{');
	if (route->api->kind == LAMB_API_HTTP)
		J_KSTR(&b, "version", "1.0");
	J_KSTR(&b, "resource", route->path);
	J_KSTR(&b, "path", req->path);
	J_KSTR(&b, "httpMethod", req->method);
	v1_headers(&b, req, route->api->kind == LAMB_API_REST);
	v1_query(&b, req);
	path_params(&b, match, false);
	stage_vars(&b, route->api, false);
	v1_context(&b, m, route, req, request_id, authorizer);
	add_body(&b, req, false, req->body_len && is_binary(route, req));
	lamb_buf_addch(&b, '}');
	return lamb_buf_steal(&b);
}

/* The values of every pair named like pair i (case-insensitively when
 * fold), joined with commas. */
static void joined(struct lamb_buf *b, const struct pairs *p, size_t i, bool fold)
{
	size_t more = i + 1;
	while (more < p->n && (fold ? strcasecmp(PAIR_NAME(p, more), PAIR_NAME(p, i))
				    : strcmp(PAIR_NAME(p, more), PAIR_NAME(p, i))) != 0)
		more++;
	if (more == p->n) { /* the usual case: one value, quoted in place */
		lamb_buf_addquoted(b, PAIR_VALUE(p, i));
		return;
	}
	struct lamb_buf v;
	lamb_buf_init(&v);
	for (size_t k = i; k < p->n; k++) {
		const char *name = PAIR_NAME(p, k);
		if ((fold ? strcasecmp(name, PAIR_NAME(p, i)) : strcmp(name, PAIR_NAME(p, i))) != 0)
			continue;
		if (v.len)
			lamb_buf_addch(&v, ',');
		lamb_buf_addstr(&v, PAIR_VALUE(p, k));
	}
	lamb_buf_addquotedn(b, v.data ? v.data : "", v.len);
	lamb_buf_release(&v);
}

/* "name": lower-cased, through the stack for the usual short name. */
static void lower_key(struct lamb_buf *b, const char *name)
{
	size_t n = strlen(name);
	char small[128];
	char *low = n < sizeof(small) ? small : xmalloc(n + 1);
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	j_key(b, low);
	if (low != small)
		free(low);
}

/* Headers of 2.0: names lower-cased, repeats joined with commas, and the
 * Cookie header moved to "cookies". */
static void v2_headers(struct lamb_buf *b, const struct lamb_http_request *req)
{
	struct pairs p = header_pairs(req);
	bool cookies = false;
	J_OPEN(b, "headers", '{');
	for (size_t i = 0; i < p.n; i++) {
		if (strcasecmp(PAIR_NAME(&p, i), "Cookie") == 0) {
			cookies = true;
			continue;
		}
		bool earlier = false;
		for (size_t k = 0; k < i && !earlier; k++)
			earlier = strcasecmp(PAIR_NAME(&p, i), PAIR_NAME(&p, k)) == 0;
		if (earlier)
			continue;
		lower_key(b, PAIR_NAME(&p, i));
		joined(b, &p, i, true);
	}
	lamb_buf_addch(b, '}');
	if (!cookies) {
		free(p.v);
		return;
	}
	J_OPEN(b, "cookies", '[');
	for (size_t i = 0; i < p.n; i++) {
		if (strcasecmp(PAIR_NAME(&p, i), "Cookie") != 0)
			continue;
		char *copy = xstrdup(PAIR_VALUE(&p, i)), *save = NULL;
		for (char *c = strtok_r(copy, ";", &save); c; c = strtok_r(NULL, ";", &save)) {
			while (*c == ' ')
				c++;
			if (*c) {
				j_sep(b);
				lamb_buf_addquoted(b, c);
			}
		}
		free(copy);
	}
	lamb_buf_addch(b, ']');
	free(p.v);
}

static void v2_query(struct lamb_buf *b, const struct lamb_http_request *req)
{
	struct query_pair *q;
	size_t n = parse_query(req->query, &q);
	if (!n)
		return;
	struct pairs p = query_pairs(q, n);
	J_OPEN(b, "queryStringParameters", '{');
	for (size_t i = 0; i < n; i++) {
		bool earlier = false;
		for (size_t k = 0; k < i && !earlier; k++)
			earlier = strcmp(q[i].key, q[k].key) == 0;
		if (earlier)
			continue;
		j_key(b, q[i].key);
		joined(b, &p, i, false);
	}
	lamb_buf_addch(b, '}');
	free(p.v);
	free_query(q, n);
}

static void v2_context(struct lamb_buf *b, const struct lamb_http_request *req, const char *request_id,
		       const struct lamb_apigw_v2 *v)
{
	char when[64];
	format_time(req->time_ms, when, sizeof(when));
	J_OPEN(b, "requestContext", '{');
	J_KSTR(b, "accountId", v->account_id);
	J_KSTR(b, "apiId", v->api_id);
	J_KSTR(b, "domainName", v->domain);
	J_KEY(b, "domainPrefix");
	lamb_buf_addquotedn(b, v->domain, v->prefix_len);
	J_OPEN(b, "http", '{');
	J_KSTR(b, "method", req->method);
	J_KSTR(b, "path", v->path);
	J_KSTR(b, "protocol", req->protocol ? req->protocol : "HTTP/1.1");
	J_KSTR(b, "sourceIp", req->source_ip ? req->source_ip : "127.0.0.1");
	const char *ua = lamb_http_request_header(req, "User-Agent");
	J_KSTR(b, "userAgent", ua ? ua : "");
	lamb_buf_addch(b, '}');
	J_KSTR(b, "requestId", request_id);
	J_KSTR(b, "routeKey", v->route_key);
	J_KSTR(b, "stage", v->stage);
	J_KSTR(b, "time", when);
	J_KNUM(b, "timeEpoch", req->time_ms);
	add_authorizer(b, v->authorizer);
	lamb_buf_addch(b, '}');
}

/* A 2.0 event's members before pathParameters and stageVariables. */
static void v2_open(struct lamb_buf *b, const struct lamb_http_request *req, const struct lamb_apigw_v2 *v)
{
	event_buf(b, req);
	lamb_buf_addch(b, '{');
	J_KSTR(b, "version", "2.0");
	J_KSTR(b, "routeKey", v->route_key);
	J_KSTR(b, "rawPath", v->path);
	J_KSTR(b, "rawQueryString", req->query ? req->query : "");
	v2_headers(b, req);
	v2_query(b, req);
}

/* ... and after them. */
static char *v2_close(struct lamb_buf *b, const struct lamb_http_request *req, const char *request_id,
		      const struct lamb_apigw_v2 *v)
{
	v2_context(b, req, request_id, v);
	add_body(b, req, true, v->binary);
	lamb_buf_addch(b, '}');
	return lamb_buf_steal(b);
}

char *lamb_apigw_event_v2(const struct lamb_http_request *req, const char *request_id,
			  const struct lamb_apigw_v2 *v)
{
	struct lamb_buf b;
	v2_open(&b, req, v);
	return v2_close(&b, req, request_id, v);
}

static char *route_key(const struct lamb_route *route)
{
	if (route->is_default)
		return xstrdup("$default");
	size_t ml = strlen(route->method), pl = strlen(route->path);
	char *key = xmalloc(ml + 1 + pl + 1); /* not xasprintf: 1,000 instructions */
	memcpy(key, route->method, ml);
	key[ml] = ' ';
	memcpy(key + ml + 1, route->path, pl + 1);
	return key;
}

static char *event_v2(const struct lamb_model *m, const struct lamb_route_match *match,
		      const struct lamb_http_request *req, const char *request_id, const char *authorizer)
{
	const struct lamb_route *route = match->route;
	char id[11];
	lamb_apigw_api_id(route->api->logical_id, id);
	const char *host = lamb_http_request_header(req, "Host");
	host = host ? host : "localhost";
	char *key = route_key(route);
	struct lamb_apigw_v2 v = {
		.route_key = key, .stage = route->api->stage, .account_id = m->account_id,
		.api_id = id, .domain = host, .prefix_len = strcspn(host, ".:"), .path = req->path,
		.authorizer = authorizer, .binary = req->body_len && is_binary(route, req),
	};
	struct lamb_buf b;
	v2_open(&b, req, &v);
	path_params(&b, match, true);
	stage_vars(&b, route->api, true);
	char *event = v2_close(&b, req, request_id, &v);
	free(key);
	return event;
}

char *lamb_apigw_event_auth(const struct lamb_model *m, const struct lamb_route_match *match,
			    const struct lamb_http_request *req, const char *request_id,
			    const char *authorizer)
{
	if (strcmp(match->route->payload_format, "2.0") == 0)
		return event_v2(m, match, req, request_id, authorizer);
	return event_v1(m, match, req, request_id, authorizer);
}

char *lamb_apigw_event(const struct lamb_model *m, const struct lamb_route_match *match,
		       const struct lamb_http_request *req, const char *request_id)
{
	return lamb_apigw_event_auth(m, match, req, request_id, NULL);
}
