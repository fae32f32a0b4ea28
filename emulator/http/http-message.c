/* HTTP responses built up and released, and a request's header looked up:
 * what every front end needs of an HTTP message whatever API it speaks. */
#include "base/util.h"
#include "http/http-message.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *lamb_header_find(const struct lamb_header *h, size_t n, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			v = h[i].value;
	return v;
}

void lamb_http_response_init(struct lamb_http_response *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
}

static void clear(struct lamb_http_response *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	r->nheaders = 0;
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

void lamb_http_response_release(struct lamb_http_response *r)
{
	if (!r)
		return;
	clear(r);
	free(r->headers);
	memset(r, 0, sizeof(*r));
}

void lamb_http_response_add_header(struct lamb_http_response *r, const char *name, const char *value)
{
	r->headers = xgrow(r->headers, &r->cap, r->nheaders + 1, sizeof(*r->headers));
	r->headers[r->nheaders].name = xstrdup(name);
	r->headers[r->nheaders].value = xstrdup(value);
	r->nheaders++;
}

void lamb_http_response_message(struct lamb_http_response *r, int status, const char *message)
{
	lamb_http_response_explain(r, status, message, NULL);
}

void lamb_http_response_explain(struct lamb_http_response *r, int status, const char *message, const char *why)
{
	clear(r);
	r->status = status;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "message", message);
	if (why)
		cJSON_AddStringToObject(o, "lambError", why);
	r->body = cJSON_PrintUnformatted(o);
	r->body_len = strlen(r->body);
	cJSON_Delete(o);
	lamb_http_response_add_header(r, "Content-Type", "application/json");
}
