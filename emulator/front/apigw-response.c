/* From a function's result to the HTTP response API Gateway would send.
 * Anything API Gateway would call a malformed response becomes its 502,
 * with the reason returned for the log; a header value carrying CR or LF
 * never reaches the wire. */
#include "base/util.h"
#include "front/apigw.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>
#include <strings.h>

static bool has_header(const struct lamb_http_response *r, const char *name, const char *value)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0 && (!value || strcmp(r->headers[i].value, value) == 0))
			return true;
	return false;
}

static bool valid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 127 || strchr("()<>@,;:\\\"/[]?={}", *s))
			return false;
	return true;
}

/* A header value as API Gateway accepts it: a string, number or boolean. */
static char *scalar_text(const cJSON *v)
{
	if (cJSON_IsString(v))
		return xstrdup(v->valuestring);
	if (cJSON_IsBool(v))
		return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d == floor(d) && fabs(d) < 1e15)
			return xasprintf("%.0f", d);
		return xasprintf("%g", d);
	}
	return NULL;
}

static int add_checked(struct lamb_http_response *r, const char *name, const cJSON *v, struct lamb_err *err)
{
	if (!valid_name(name))
		return lamb_err_set(err, "header name '%s' is not a valid HTTP token", name);
	char *text = scalar_text(v);
	if (!text)
		return lamb_err_set(err, "header '%s' must be a string, number or boolean", name);
	if (strpbrk(text, "\r\n")) {
		free(text);
		return lamb_err_set(err, "header '%s' has a CR or LF in its value", name);
	}
	if (!has_header(r, name, text))
		lamb_http_response_add_header(r, name, text);
	free(text);
	return 0;
}

static int read_status(const cJSON *o, struct lamb_http_response *out, struct lamb_err *err)
{
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "statusCode");
	double d;
	if (!sc) {
		out->status = 200;
		return 0;
	}
	if (cJSON_IsNumber(sc))
		d = sc->valuedouble;
	else if (cJSON_IsString(sc) && *sc->valuestring && strspn(sc->valuestring, "0123456789") == strlen(sc->valuestring))
		d = atof(sc->valuestring);
	else
		return lamb_err_set(err, "statusCode must be an integer");
	if (d != floor(d) || d < 100 || d > 599)
		return lamb_err_set(err, "statusCode %g is not an HTTP status", d);
	out->status = (int)d;
	return 0;
}

static int read_headers(const cJSON *o, struct lamb_http_response *out, struct lamb_err *err)
{
	const cJSON *multi = cJSON_GetObjectItemCaseSensitive(o, "multiValueHeaders");
	const cJSON *single = cJSON_GetObjectItemCaseSensitive(o, "headers");
	const cJSON *h, *v;
	if (multi && !cJSON_IsNull(multi) && !cJSON_IsObject(multi))
		return lamb_err_set(err, "multiValueHeaders must be an object");
	if (single && !cJSON_IsNull(single) && !cJSON_IsObject(single))
		return lamb_err_set(err, "headers must be an object");
	const cJSON *mlist = cJSON_IsObject(multi) ? multi : NULL;
	const cJSON *slist = cJSON_IsObject(single) ? single : NULL;
	cJSON_ArrayForEach(h, mlist) {
		if (!cJSON_IsArray(h))
			return lamb_err_set(err, "multiValueHeaders '%s' must be a list", h->string);
		cJSON_ArrayForEach(v, h)
			if (add_checked(out, h->string, v, err) < 0)
				return -1;
	}
	cJSON_ArrayForEach(h, slist)
		if (!cJSON_IsNull(h) && add_checked(out, h->string, h, err) < 0)
			return -1;
	return 0;
}

static int read_cookies(const cJSON *o, struct lamb_http_response *out, struct lamb_err *err)
{
	const cJSON *cookies = cJSON_GetObjectItemCaseSensitive(o, "cookies"), *c;
	if (!cookies || cJSON_IsNull(cookies))
		return 0;
	if (!cJSON_IsArray(cookies))
		return lamb_err_set(err, "cookies must be a list of strings");
	cJSON_ArrayForEach(c, cookies) {
		if (!cJSON_IsString(c))
			return lamb_err_set(err, "cookies must be a list of strings");
		if (strpbrk(c->valuestring, "\r\n"))
			return lamb_err_set(err, "a cookie has a CR or LF in it");
		lamb_http_response_add_header(out, "Set-Cookie", c->valuestring);
	}
	return 0;
}

static int read_body(const cJSON *o, struct lamb_http_response *out, struct lamb_err *err)
{
	const cJSON *body = cJSON_GetObjectItemCaseSensitive(o, "body");
	const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(o, "isBase64Encoded");
	if (b64 && !cJSON_IsBool(b64) && !cJSON_IsNull(b64))
		return lamb_err_set(err, "isBase64Encoded must be true or false");
	if (!body || cJSON_IsNull(body))
		return 0;
	if (!cJSON_IsString(body))
		return lamb_err_set(err, "body must be a string (JSON-encode objects first)");
	size_t len = strlen(body->valuestring);
	if (cJSON_IsTrue(b64)) {
		out->body = lamb_base64_decode(body->valuestring, len, &out->body_len);
		if (!out->body)
			return lamb_err_set(err, "isBase64Encoded is true but body is not base64");
	} else {
		out->body = xstrndup(body->valuestring, len);
		out->body_len = len;
	}
	return 0;
}

/* REST APIs reject a result with keys API Gateway does not know. */
static int check_keys(const cJSON *o, struct lamb_err *err)
{
	static const char *const known[] = { "statusCode", "body", "headers", "multiValueHeaders",
					     "isBase64Encoded", "cookies" };
	const cJSON *k;
	cJSON_ArrayForEach(k, o) {
		size_t i = 0;
		while (i < ARRAY_SIZE(known) && strcmp(known[i], k->string) != 0)
			i++;
		if (i == ARRAY_SIZE(known))
			return lamb_err_set(err, "unexpected key '%s' in the result (REST APIs allow statusCode, "
						 "body, headers, multiValueHeaders, isBase64Encoded)", k->string);
	}
	return 0;
}

static int map_object(const struct lamb_route *route, const cJSON *o, struct lamb_http_response *out,
		      struct lamb_err *err)
{
	bool v2 = strcmp(route->payload_format, "2.0") == 0;
	if (route->api->kind == LAMB_API_REST && check_keys(o, err) < 0)
		return -1;
	if (read_status(o, out, err) < 0 || read_headers(o, out, err) < 0 || read_body(o, out, err) < 0)
		return -1;
	if (v2 && read_cookies(o, out, err) < 0)
		return -1;
	return 0;
}

/* --- a strict JSON scanner that builds nothing ---
 * For 2.0 the common result is a value to send as it is (anything but an
 * object with a statusCode; a string goes without its quotes): parsing it into a cJSON tree only to free it
 * cost 35,000 instructions a request (measured again with callgrind when
 * the scanner was briefly replaced by cJSON: 132,000 instructions a
 * start-api request with it, 164,000 without, the C fixture's echo behind
 * an HTTP API). The scanner takes RFC 8259 JSON and
 * gives up (the caller then parses for real) on anything cJSON might read
 * otherwise: \u escapes, control characters, deep nesting, a BOM, bytes
 * after the value. */

struct scan {
	const char *p, *end;
	int depth;
	bool status_code; /* the top-level object has "statusCode" */
};

static bool scan_value(struct scan *s);

static void scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* Plain bytes go a word a step (lamb_json_plain8 also stops at DEL, which
 * the byte loop then takes): the byte loop alone cost 12 instructions a
 * byte, a third of mapping a result. */
static void skip_plain(struct scan *s)
{
	size_t k = 8;
	while (k == 8 && s->end - s->p >= 8) {
		k = lamb_json_plain8(s->p);
		s->p += k;
	}
}

static bool scan_string(struct scan *s, bool *is_status)
{
	const char *start = ++s->p;
	bool escaped = false;
	skip_plain(s);
	for (; s->p < s->end && *s->p != '"'; s->p++) {
		unsigned char c = (unsigned char)*s->p;
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (++s->p == s->end || !strchr("\"\\/bfnrt", *s->p) || !*s->p)
				return false;
			escaped = true;
		}
	}
	if (s->p == s->end)
		return false;
	if (is_status)
		*is_status = !escaped && s->p - start == 10 && memcmp(start, "statusCode", 10) == 0;
	s->p++;
	return true;
}

static bool scan_digits(struct scan *s)
{
	const char *start = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start;
}

static bool scan_number(struct scan *s)
{
	const char *start = s->p;
	bool ok = true;
	if (*s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!scan_digits(s))
		return false;
	if (s->p < s->end && *s->p == '.' && (++s->p, !scan_digits(s)))
		return false;
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		ok = scan_digits(s);
	}
	return ok && s->p - start < 64; /* cJSON reads 63 characters of a number */
}

static bool scan_word(struct scan *s, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return false;
	s->p += n;
	return true;
}

/* An array (close ']') or object (close '}') after its opening bracket. */
static bool scan_members(struct scan *s, char close)
{
	bool top = s->depth == 1;
	scan_ws(s);
	if (s->p < s->end && *s->p == close)
		return s->p++, true;
	for (;;) {
		if (close == '}') {
			bool status = false;
			if (s->p == s->end || *s->p != '"' || !scan_string(s, &status))
				return false;
			s->status_code |= top && status;
			scan_ws(s);
			if (s->p == s->end || *s->p++ != ':')
				return false;
		}
		if (!scan_value(s))
			return false;
		if (s->p == s->end)
			return false;
		if (*s->p == close)
			return s->p++, true;
		if (*s->p++ != ',')
			return false;
		scan_ws(s);
	}
}

/* A value and the whitespace after it. */
static bool scan_value(struct scan *s)
{
	bool ok;
	scan_ws(s);
	if (s->p == s->end)
		return false;
	switch (*s->p) {
	case '{':
	case '[':
		if (++s->depth > 200)
			return false;
		s->p++;
		ok = scan_members(s, s->p[-1] == '{' ? '}' : ']');
		s->depth--;
		break;
	case '"': ok = scan_string(s, NULL); break;
	case 't': ok = scan_word(s, "true"); break;
	case 'f': ok = scan_word(s, "false"); break;
	case 'n': ok = scan_word(s, "null"); break;
	default: ok = scan_number(s);
	}
	scan_ws(s);
	return ok;
}

/* True when result is JSON that 2.0 sends as it is: anything but an
 * object with a statusCode. False also when unsure. */
static bool plain_v2_result(const char *result, size_t len)
{
	struct scan s = { .p = result, .end = result + len };
	return scan_value(&s) && s.p == s.end && !s.status_code;
}

/* A JSON string result of 2.0 is sent as its text, without its quotes.
 * With no escape in it the text is copied as it is; else false (cJSON
 * then decodes it). */
static bool plain_string(const char *result, size_t len, struct lamb_http_response *out)
{
	const char *p = result, *end = result + len;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if (end - p < 2 || *p != '"' || memchr(p + 1, '\\', (size_t)(end - p - 2)))
		return false;
	out->body = xstrndup(p + 1, (size_t)(end - p - 2));
	out->body_len = (size_t)(end - p - 2);
	return true;
}

/* 2.0: any JSON value but an object with a statusCode is a 200 of that
 * value, a string's text without its quotes. */
static void v2_value(const cJSON *j, const char *result, size_t len, struct lamb_http_response *out)
{
	out->status = 200;
	if (cJSON_IsString(j)) {
		out->body = xstrdup(j->valuestring);
		out->body_len = strlen(j->valuestring);
	} else {
		out->body = xstrndup(result, len);
		out->body_len = len;
	}
}

/* The common 2.0 result, sent without building a tree: any value the
 * scanner takes but an object with a statusCode or a string with escapes
 * (cJSON decodes those). */
static bool v2_quick(const char *result, size_t len, struct lamb_http_response *out)
{
	if (!plain_v2_result(result, len))
		return false;
	const char *p = result;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p != '"') {
		out->body = xstrndup(result, len);
		out->body_len = len;
	} else if (!plain_string(result, len, out)) {
		return false;
	}
	lamb_http_response_add_header(out, "Content-Type", "application/json");
	return true;
}

static int fail(struct lamb_http_response *out, bool http_api_500)
{
	if (http_api_500) /* HTTP API's own answer, in its spelling */
		lamb_http_response_message(out, 500, "Internal Server Error");
	else
		lamb_http_response_message(out, 502, "Internal server error");
	return -1;
}

int lamb_apigw_response(const struct lamb_route *route, const char *result, size_t len,
			struct lamb_http_response *out, struct lamb_err *err)
{
	lamb_http_response_init(out);
	bool v2 = strcmp(route->payload_format, "2.0") == 0;
	if (v2 && v2_quick(result, len, out))
		return 0;
	cJSON *j = cJSON_ParseWithLength(result, len);
	bool has_status = cJSON_IsObject(j) && cJSON_GetObjectItemCaseSensitive(j, "statusCode");
	/* HTTP API's payload 1.0 has no default statusCode: API Gateway answers 500 */
	bool no_status = !v2 && route->api->kind == LAMB_API_HTTP && cJSON_IsObject(j) && !has_status;
	int rc = 0;
	if (!j)
		rc = lamb_err_set(err, "the function's result is not JSON");
	else if (no_status)
		rc = lamb_err_set(err, "the result has no statusCode, which an HTTP API's payload 1.0 needs");
	else if (cJSON_IsObject(j) && (!v2 || has_status))
		rc = map_object(route, j, out, err);
	else if (v2)
		v2_value(j, result, len, out);
	else
		rc = lamb_err_set(err, "the function's result is not a JSON object with a statusCode");
	cJSON_Delete(j);
	if (rc < 0)
		return fail(out, no_status);
	if (!has_header(out, "Content-Type", NULL))
		lamb_http_response_add_header(out, "Content-Type", "application/json");
	return 0;
}
