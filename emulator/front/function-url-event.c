/* The event a Function URL sends its function: payload format 2.0 (written
 * by apigw-event.c, as an HTTP API's) with the Function URL service's
 * sentinels: routeKey and stage "$default", account "anonymous" without
 * IAM, the URL's host as domainName, and a body in base64 unless its
 * Content-Type says text. */
#include "base/util.h"
#include "front/apigw.h"
#include "front/function-url.h"

#include <string.h>
#include <strings.h>

/* Text as the Function URL service tells it from the Content-Type; any
 * other body goes base64. */
static bool is_text(const char *type)
{
	static const char *const kinds[] = { "json", "xml", "javascript", "x-www-form-urlencoded", "yaml", NULL };
	if (!type)
		return false;
	if (strncasecmp(type, "text/", 5) == 0)
		return true;
	for (const char *const *k = kinds; *k; k++)
		if (strcasestr(type, *k))
			return true;
	return false;
}

char *lamb_function_url_event(const struct lamb_model *m, const struct lamb_function *fn,
			      const struct lamb_http_request *req, const char *path, const char *request_id,
			      const char *iam)
{
	char prefix[256], domain[320];
	if (!lamb_function_url_host(fn, prefix, sizeof(prefix)))
		snprintf(prefix, sizeof(prefix), "%s", fn->name);
	snprintf(domain, sizeof(domain), "%s.lambda-url.localhost", prefix);
	char *authorizer = iam ? xasprintf("{\"iam\":%s}", iam) : NULL;
	struct lamb_apigw_v2 v = {
		.route_key = "$default", .stage = "$default", .account_id = iam ? m->account_id : "anonymous",
		.api_id = prefix, .domain = domain, .prefix_len = strlen(prefix), .path = path,
		.authorizer = authorizer, .binary = req->body_len && !is_text(lamb_http_request_header(req, "Content-Type")),
	};
	char *event = lamb_apigw_event_v2(req, request_id, &v);
	free(authorizer);
	return event;
}
