/* CloudWatch Logs' FilterLogEvents (JSON 1.1 with X-Amz-Target) and the
 * function's physical name from CloudFormation's ListStackResources (the
 * form API of aws-cfn.h). */
#include "aws/aws-logs.h"
#include "aws/aws-cfn.h"
#include "aws/xml.h"
#include "base/util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* The resource's physical id in one page of ListStackResources, or NULL;
 * *next the page's NextToken (allocated) or NULL. */
static char *find_in_page(const struct lamb_aws_response *resp, const char *logical_id, char **next,
			  struct lamb_err *err)
{
	struct lamb_xml *x = lamb_xml_parse(resp->body, resp->body_len, err);
	if (!x)
		return lamb_err_prefix(err, "cannot read the ListStackResources answer"), NULL;
	char *found = NULL;
	const struct lamb_xml *m = lamb_xml_find(x, "ListStackResourcesResult/StackResourceSummaries/member");
	for (; m && !found; m = lamb_xml_next(m)) {
		const char *lid = lamb_xml_text(m, "LogicalResourceId"), *pid = lamb_xml_text(m, "PhysicalResourceId");
		if (lid && pid && strcmp(lid, logical_id) == 0)
			found = xstrdup(pid);
	}
	const char *tok = lamb_xml_text(x, "ListStackResourcesResult/NextToken");
	*next = tok && *tok ? xstrdup(tok) : NULL;
	lamb_xml_free(x);
	return found;
}

static int call(const struct lamb_aws_config *c, const struct lamb_aws_request *r, const char *what,
		struct lamb_aws_response *resp, struct lamb_err *err)
{
	if (lamb_aws_call(c, r, resp, err) < 0)
		return lamb_err_prefix(err, "%s", what);
	if (resp->status < 200 || resp->status > 299)
		return lamb_aws_error(resp, what, err);
	return 0;
}

char *lamb_logs_physical_id(const struct lamb_aws_config *c, const char *stack, const char *logical_id,
			    struct lamb_err *err)
{
	char *token = NULL, *found = NULL;
	int rc = 0;
	do {
		struct lamb_buf b;
		struct lamb_aws_response resp;
		lamb_cfn_form_init(&b, "ListStackResources");
		lamb_cfn_form_add(&b, "StackName", stack);
		lamb_cfn_form_add(&b, "NextToken", token);
		free(token);
		token = NULL;
		struct lamb_aws_request r = { .service = "cloudformation", .method = "POST", .path = "/",
					      .content_type = "application/x-www-form-urlencoded; charset=utf-8",
					      .body = b.data, .body_len = b.len };
		lamb_aws_response_init(&resp);
		rc = call(c, &r, "ListStackResources", &resp, err);
		if (rc == 0)
			found = find_in_page(&resp, logical_id, &token, err);
		lamb_aws_response_release(&resp);
		lamb_buf_release(&b);
	} while (rc == 0 && !found && token);
	free(token);
	if (rc == 0 && !found)
		lamb_err_set(err, "stack '%s' has no resource '%s'", stack, logical_id);
	return found;
}

static char *filter_body(const char *group, uint64_t start_ms, uint64_t end_ms, const char *pattern,
			 const char *token)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "logGroupName", group);
	if (start_ms)
		cJSON_AddNumberToObject(o, "startTime", (double)start_ms);
	if (end_ms)
		cJSON_AddNumberToObject(o, "endTime", (double)end_ms);
	if (pattern && *pattern)
		cJSON_AddStringToObject(o, "filterPattern", pattern);
	if (token)
		cJSON_AddStringToObject(o, "nextToken", token);
	cJSON_AddBoolToObject(o, "interleaved", true);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* Hands the page's events to cb; its nextToken (allocated) or NULL. */
static int read_page(const struct lamb_aws_response *resp, lamb_logs_event_fn cb, void *data, char **next,
		     struct lamb_err *err)
{
	cJSON *o = cJSON_ParseWithLength(resp->body, resp->body_len);
	const cJSON *events = cJSON_GetObjectItemCaseSensitive(o, "events"), *e;
	if (!cJSON_IsObject(o))
		return cJSON_Delete(o), lamb_err_set(err, "cannot read the FilterLogEvents answer");
	cJSON_ArrayForEach(e, events) {
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
		cleanup_free char *m = xstrdup(msg ? msg : "");
		size_t n = strlen(m);
		while (n && (m[n - 1] == '\n' || m[n - 1] == '\r'))
			m[--n] = '\0';
		struct lamb_logs_event ev = {
			.timestamp = (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "timestamp")),
			.stream = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "logStreamName")),
			.message = m,
			.event_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "eventId")),
		};
		cb(data, &ev);
	}
	const char *tok = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "nextToken"));
	*next = tok && *tok ? xstrdup(tok) : NULL;
	cJSON_Delete(o);
	return 0;
}

int lamb_logs_filter(const struct lamb_aws_config *c, const char *group, uint64_t start_ms, uint64_t end_ms,
		     const char *pattern, lamb_logs_event_fn cb, void *data, struct lamb_err *err)
{
	static const char *const headers[] = { "X-Amz-Target: Logs_20140328.FilterLogEvents", NULL };
	char *token = NULL;
	int rc;
	do {
		cleanup_free char *body = filter_body(group, start_ms, end_ms, pattern, token);
		free(token);
		token = NULL;
		struct lamb_aws_request r = { .service = "logs", .method = "POST", .path = "/",
					      .content_type = "application/x-amz-json-1.1", .body = body,
					      .body_len = strlen(body), .headers = headers };
		struct lamb_aws_response resp;
		lamb_aws_response_init(&resp);
		rc = call(c, &r, "FilterLogEvents", &resp, err);
		if (rc == 0)
			rc = read_page(&resp, cb, data, &token, err);
		lamb_aws_response_release(&resp);
	} while (rc == 0 && token);
	free(token);
	return rc;
}
