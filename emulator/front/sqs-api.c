/* SQS's two wire protocols over the same operations: the JSON protocol of
 * current SDKs (X-Amz-Target: AmazonSQS.SendMessage, a JSON body) and the
 * query protocol of older ones (Action=SendMessage&... as a form, answered
 * in XML). The form's numbered keys (SendMessageBatchRequestEntry.1.Id,
 * Attribute.1.Name, AttributeName.1) become the JSON shape first. */
#include "front/sqs-api.h"

#include "base/url.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

#define XMLNS "http://queue.amazonaws.com/doc/2012-11-05/"

static bool handle(struct lamb_sqs *q, const struct lamb_http_request *req, const char *target,
		   struct lamb_http_response *r);

static cJSON *entry(cJSON *o, const char *list, long n)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, list);
	if (!arr)
		arr = cJSON_AddArrayToObject(o, list);
	while (cJSON_GetArraySize(arr) < n)
		cJSON_AddItemToArray(arr, cJSON_CreateObject());
	return cJSON_GetArrayItem(arr, (int)n - 1);
}

/* One key=value of the form into o (attrs: the numbered Attribute.N pairs). */
static void form_pair(cJSON *o, cJSON *attrs, const char *key, const char *value)
{
	char *end;
	const char *dot = strchr(key, '.');
	if (!dot) {
		cJSON_AddStringToObject(o, key, value);
		return;
	}
	long n = strtol(dot + 1, &end, 10);
	if (n < 1 || n > 100)
		return;
	if (str_starts(key, "AttributeName.") || str_starts(key, "MessageSystemAttributeName.")) {
		cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "AttributeNames");
		if (!arr)
			arr = cJSON_AddArrayToObject(o, "AttributeNames");
		cJSON_AddItemToArray(arr, cJSON_CreateString(value));
	} else if (str_starts(key, "Attribute.") && *end == '.') {
		cJSON_AddStringToObject(entry(attrs, "v", n), end + 1, value);
	} else if (strstr(key, "BatchRequestEntry.") && *end == '.' && !strchr(end + 1, '.')) {
		cJSON_AddStringToObject(entry(o, "Entries", n), end + 1, value);
	}
}

static cJSON *form_params(const char *form, size_t len, char **action)
{
	cJSON *o = cJSON_CreateObject(), *attrs = cJSON_CreateObject(), *a;
	char *copy = xstrndup(form, len), *save = NULL;
	*action = NULL;
	for (char *kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		char *k = lamb_url_decode(kv, eq ? (size_t)(eq - kv) : strlen(kv), true);
		char *v = eq ? lamb_url_decode(eq + 1, strlen(eq + 1), true) : xstrdup("");
		if (k && v && strcmp(k, "Action") == 0 && !*action)
			*action = xstrdup(v);
		else if (k && v)
			form_pair(o, attrs, k, v);
		free(k);
		free(v);
	}
	free(copy);
	cJSON *map = cJSON_AddObjectToObject(o, "Attributes");
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(attrs, "v"))
		if (sqs_str_of(a, "Name") && sqs_str_of(a, "Value"))
			cJSON_AddStringToObject(map, sqs_str_of(a, "Name"), sqs_str_of(a, "Value"));
	cJSON_Delete(attrs);
	return o;
}

const char *sqs_str_of(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void xml_text(struct lamb_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': lamb_buf_addstr(b, "&amp;"); break;
		case '<': lamb_buf_addstr(b, "&lt;"); break;
		case '>': lamb_buf_addstr(b, "&gt;"); break;
		case '"': lamb_buf_addstr(b, "&quot;"); break;
		case '\r': lamb_buf_addstr(b, "&#13;"); break;
		default: lamb_buf_addch(b, *s);
		}
	}
}

static void xml_value(struct lamb_buf *b, const char *name, const cJSON *v, const char *op);

static void xml_object(struct lamb_buf *b, const cJSON *o, const char *op)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, o) {
		const char *k = v->string;
		if (strcmp(k, "Attributes") == 0 && cJSON_IsObject(v)) {
			const cJSON *a;
			cJSON_ArrayForEach(a, v) {
				lamb_buf_addstr(b, "<Attribute><Name>");
				xml_text(b, a->string);
				lamb_buf_addstr(b, "</Name><Value>");
				xml_text(b, cJSON_IsString(a) ? a->valuestring : "");
				lamb_buf_addstr(b, "</Value></Attribute>");
			}
		} else if (cJSON_IsArray(v)) {
			char *item = strcmp(k, "Messages") == 0	 ? xstrdup("Message")
				     : strcmp(k, "QueueUrls") == 0 ? xstrdup("QueueUrl")
				     : strcmp(k, "Failed") == 0	   ? xstrdup("BatchResultErrorEntry")
								   : xasprintf("%sResultEntry", op);
			const cJSON *it;
			cJSON_ArrayForEach(it, v)
				xml_value(b, item, it, op);
			free(item);
		} else {
			xml_value(b, k, v, op);
		}
	}
}

static void xml_value(struct lamb_buf *b, const char *name, const cJSON *v, const char *op)
{
	lamb_buf_addf(b, "<%s>", name);
	if (cJSON_IsObject(v))
		xml_object(b, v, op);
	else if (cJSON_IsString(v))
		xml_text(b, v->valuestring);
	else if (cJSON_IsBool(v))
		lamb_buf_addstr(b, cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNumber(v))
		lamb_buf_addf(b, "%lld", (long long)v->valuedouble);
	lamb_buf_addf(b, "</%s>", name);
}

static void reply_xml(struct lamb_http_response *r, const char *op, const cJSON *result)
{
	char id[40];
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_invoke_request_id(id);
	lamb_buf_addf(&b, "<?xml version=\"1.0\"?><%sResponse xmlns=\"" XMLNS "\">", op);
	if (cJSON_GetArraySize(result) > 0) {
		lamb_buf_addf(&b, "<%sResult>", op);
		xml_object(&b, result, op);
		lamb_buf_addf(&b, "</%sResult>", op);
	}
	lamb_buf_addf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", id, op);
	r->status = 200;
	r->body_len = b.len;
	r->body = lamb_buf_steal(&b);
	lamb_http_response_add_header(r, "Content-Type", "text/xml");
}

static void error_xml(struct lamb_http_response *r, const struct lamb_sqs_error *e)
{
	char id[40];
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_invoke_request_id(id);
	lamb_buf_addf(&b, "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"" XMLNS "\"><Error><Type>Sender</Type>"
			  "<Code>%s</Code><Message>", e->query_code);
	xml_text(&b, e->message);
	lamb_buf_addf(&b, "</Message><Detail/></Error><RequestId>%s</RequestId></ErrorResponse>", id);
	r->status = e->status;
	r->body_len = b.len;
	r->body = lamb_buf_steal(&b);
	lamb_http_response_add_header(r, "Content-Type", "text/xml");
}

static void reply_json(struct lamb_http_response *r, const cJSON *result, const struct lamb_sqs_error *e)
{
	cJSON *err = NULL;
	if (!result) {
		err = cJSON_CreateObject();
		char *type = xasprintf("com.amazonaws.sqs#%s", e->code);
		cJSON_AddStringToObject(err, "__type", type);
		cJSON_AddStringToObject(err, "message", e->message);
		free(type);
		char *qe = xasprintf("%s;Sender", e->query_code);
		lamb_http_response_add_header(r, "x-amzn-query-error", qe);
		free(qe);
	}
	r->status = result ? 200 : e->status;
	r->body = cJSON_PrintUnformatted(result ? result : err);
	r->body_len = strlen(r->body);
	lamb_http_response_add_header(r, "Content-Type", "application/x-amz-json-1.0");
	cJSON_Delete(err);
}

bool lamb_sqs_api_handle(struct lamb_sqs *q, const struct lamb_http_request *req, const char *target,
			 const char *trace, struct lamb_http_response *r)
{
	q->trace = trace;
	bool handled = handle(q, req, target, r);
	q->trace = NULL;
	return handled;
}

static bool handle(struct lamb_sqs *q, const struct lamb_http_request *req, const char *target,
		   struct lamb_http_response *r)
{
	struct lamb_sqs_error e = { 0 };
	if (target && str_starts(target, "AmazonSQS.")) {
		cJSON *p = req->body_len ? cJSON_ParseWithLength(req->body, req->body_len) : cJSON_CreateObject();
		cJSON *result = p ? lamb_sqs_call(q, target + strlen("AmazonSQS."), p, &e) : NULL;
		if (!p)
			sqs_fail(&e, 400, "InvalidParameterValue", "InvalidParameterValue", "the body is not JSON");
		reply_json(r, result, &e);
		cJSON_Delete(result);
		cJSON_Delete(p);
		return true;
	}
	const char *form = strcmp(req->method, "POST") == 0 ? req->body : req->query;
	size_t len = strcmp(req->method, "POST") == 0 ? req->body_len : (req->query ? strlen(req->query) : 0);
	char *action = NULL;
	cJSON *p = form ? form_params(form, len, &action) : NULL;
	if (!action) {
		cJSON_Delete(p);
		return false;
	}
	if (!sqs_str_of(p, "QueueUrl") && strcmp(req->path, "/") != 0) /* the queue's URL as the path */
		cJSON_AddStringToObject(p, "QueueUrl", req->path);
	cJSON *result = lamb_sqs_call(q, action, p, &e);
	if (result)
		reply_xml(r, action, result);
	else
		error_xml(r, &e);
	cJSON_Delete(result);
	cJSON_Delete(p);
	free(action);
	return true;
}
