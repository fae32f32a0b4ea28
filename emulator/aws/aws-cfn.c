/* CloudFormation's Query API: form bodies out, XML answers in. Each call is
 * one signed POST to the endpoint's root (paged calls loop on NextToken);
 * retries on throttling and 5xx are aws.c's. Waiting for a change set or a
 * stack to settle is deploy.c's business, not this file's. */
#include "aws/aws-cfn.h"
#include "aws/xml.h"
#include "base/url.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define CFN_VERSION "2010-05-15"
#define MAX_PAGES 1000 /* a bound, so a server that always answers a NextToken cannot loop us */

static void free_change(struct lamb_cfn_change *c)
{
	free(c->action);
	free(c->logical_id);
	free(c->resource_type);
	free(c->replacement);
}

static void free_event(struct lamb_cfn_event *e)
{
	free(e->event_id);
	free(e->timestamp);
	free(e->status);
	free(e->resource_type);
	free(e->logical_id);
	free(e->reason);
}

void lamb_cfn_stack_init(struct lamb_cfn_stack *s)
{
	memset(s, 0, sizeof(*s));
}

void lamb_cfn_stack_release(struct lamb_cfn_stack *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->name);
	free(s->status);
	free(s->status_reason);
	for (size_t i = 0; i < s->nparams; i++) {
		free((char *)s->params[i].key);
		free((char *)s->params[i].value);
	}
	free(s->params);
	for (size_t i = 0; i < s->ntags; i++) {
		free((char *)s->tags[i].key);
		free((char *)s->tags[i].value);
	}
	free(s->tags);
	for (size_t i = 0; i < s->noutputs; i++) {
		free(s->outputs[i].key);
		free(s->outputs[i].value);
		free(s->outputs[i].description);
	}
	free(s->outputs);
	lamb_cfn_stack_init(s);
}

void lamb_cfn_change_set_init(struct lamb_cfn_change_set *cs)
{
	memset(cs, 0, sizeof(*cs));
}

void lamb_cfn_change_set_release(struct lamb_cfn_change_set *cs)
{
	if (!cs)
		return;
	free(cs->id);
	free(cs->name);
	free(cs->stack_id);
	free(cs->status);
	free(cs->execution_status);
	free(cs->status_reason);
	for (size_t i = 0; i < cs->nchanges; i++)
		free_change(&cs->changes[i]);
	free(cs->changes);
	lamb_cfn_change_set_init(cs);
}

void lamb_cfn_events_init(struct lamb_cfn_events *e)
{
	memset(e, 0, sizeof(*e));
}

void lamb_cfn_events_release(struct lamb_cfn_events *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->len; i++)
		free_event(&e->v[i]);
	free(e->v);
	lamb_cfn_events_init(e);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void lamb_cfn_events_add(struct lamb_cfn_events *e, const struct lamb_cfn_event *ev)
{
	e->v = xgrow(e->v, &e->cap, e->len + 1, sizeof(*e->v));
	struct lamb_cfn_event *n = &e->v[e->len++];
	n->event_id = dup_or_null(ev->event_id);
	n->timestamp = dup_or_null(ev->timestamp);
	n->status = dup_or_null(ev->status);
	n->resource_type = dup_or_null(ev->resource_type);
	n->logical_id = dup_or_null(ev->logical_id);
	n->reason = dup_or_null(ev->reason);
	n->time = ev->time;
}

/* --- request bodies --- */

void lamb_cfn_form_init(struct lamb_buf *b, const char *action)
{
	lamb_buf_init(b);
	lamb_buf_addf(b, "Action=%s&Version=%s", action, CFN_VERSION);
}

void lamb_cfn_form_add(struct lamb_buf *b, const char *key, const char *value)
{
	if (!value)
		return;
	lamb_buf_addch(b, '&');
	lamb_url_encode_into(b, key, 0);
	lamb_buf_addch(b, '=');
	lamb_url_encode_into(b, value, 0);
}

/* list.member.N.field=value, N from 1 */
static void add_member(struct lamb_buf *b, const char *list, size_t n, const char *field, const char *value)
{
	char key[128];
	if (field)
		snprintf(key, sizeof(key), "%s.member.%zu.%s", list, n + 1, field);
	else
		snprintf(key, sizeof(key), "%s.member.%zu", list, n + 1);
	lamb_cfn_form_add(b, key, value);
}

char *lamb_cfn_create_change_set_body(const struct lamb_cfn_change_set_input *in)
{
	struct lamb_buf b;
	lamb_cfn_form_init(&b, "CreateChangeSet");
	lamb_cfn_form_add(&b, "StackName", in->stack_name);
	lamb_cfn_form_add(&b, "ChangeSetName", in->change_set_name);
	lamb_cfn_form_add(&b, "ChangeSetType", in->type);
	lamb_cfn_form_add(&b, "TemplateBody", in->template_body);
	lamb_cfn_form_add(&b, "TemplateURL", in->template_url);
	lamb_cfn_form_add(&b, "Description", in->description);
	for (size_t i = 0; i < in->nparams; i++) {
		const struct lamb_cfn_param *p = &in->params[i];
		add_member(&b, "Parameters", i, "ParameterKey", p->key);
		if (p->use_previous)
			add_member(&b, "Parameters", i, "UsePreviousValue", "true");
		else
			add_member(&b, "Parameters", i, "ParameterValue", p->value);
	}
	for (size_t i = 0; i < in->ncapabilities; i++)
		add_member(&b, "Capabilities", i, NULL, in->capabilities[i]);
	for (size_t i = 0; i < in->ntags; i++) {
		add_member(&b, "Tags", i, "Key", in->tags[i].key);
		add_member(&b, "Tags", i, "Value", in->tags[i].value);
	}
	return lamb_buf_steal(&b);
}

/* --- answers --- */

/* The XML of body, whose root must be <ACTIONResponse>; NULL with err. */
static struct lamb_xml *parse_answer(const char *body, size_t len, const char *action, struct lamb_err *err)
{
	struct lamb_xml *x = lamb_xml_parse(body, len, err);
	if (!x)
		return lamb_err_prefix(err, "cannot read the %s answer", action), NULL;
	char want[64];
	snprintf(want, sizeof(want), "%sResponse", action);
	if (strcmp(x->name, want) != 0) {
		lamb_err_set(err, "cannot read the %s answer: expected <%s>, not <%s>", action, want, x->name);
		lamb_xml_free(x);
		return NULL;
	}
	return x;
}

static char *text_dup(const struct lamb_xml *x, const char *path)
{
	const char *t = lamb_xml_text(x, path);
	return t ? xstrdup(t) : NULL;
}

/* The members of x's child list (<list><member>...), or NULL. */
static const struct lamb_xml *members(const struct lamb_xml *x, const char *list)
{
	return lamb_xml_child(lamb_xml_child(x, list), "member");
}

static void read_stack_lists(const struct lamb_xml *st, struct lamb_cfn_stack *s)
{
	size_t cap = 0;
	for (const struct lamb_xml *m = members(st, "Parameters"); m; m = lamb_xml_next(m)) {
		s->params = xgrow(s->params, &cap, s->nparams + 1, sizeof(*s->params));
		s->params[s->nparams++] = (struct lamb_cfn_param){ .key = text_dup(m, "ParameterKey"),
								   .value = text_dup(m, "ParameterValue") };
	}
	cap = 0;
	for (const struct lamb_xml *m = members(st, "Tags"); m; m = lamb_xml_next(m)) {
		s->tags = xgrow(s->tags, &cap, s->ntags + 1, sizeof(*s->tags));
		s->tags[s->ntags++] = (struct lamb_cfn_tag){ .key = text_dup(m, "Key"), .value = text_dup(m, "Value") };
	}
	cap = 0;
	for (const struct lamb_xml *m = members(st, "Outputs"); m; m = lamb_xml_next(m)) {
		s->outputs = xgrow(s->outputs, &cap, s->noutputs + 1, sizeof(*s->outputs));
		s->outputs[s->noutputs++] = (struct lamb_cfn_output){ .key = text_dup(m, "OutputKey"),
								      .value = text_dup(m, "OutputValue"),
								      .description = text_dup(m, "Description") };
	}
}

int lamb_cfn_parse_stack(const char *body, size_t len, struct lamb_cfn_stack *s, struct lamb_err *err)
{
	struct lamb_xml *x = parse_answer(body, len, "DescribeStacks", err);
	if (!x)
		return -1;
	const struct lamb_xml *st = lamb_xml_find(x, "DescribeStacksResult/Stacks/member");
	int rc = 0;
	if (!st || !lamb_xml_text(st, "StackStatus")) {
		rc = lamb_err_set(err, "cannot read the DescribeStacks answer: no stack with a StackStatus in it");
	} else {
		s->id = text_dup(st, "StackId");
		s->name = text_dup(st, "StackName");
		s->status = text_dup(st, "StackStatus");
		s->status_reason = text_dup(st, "StackStatusReason");
		read_stack_lists(st, s);
	}
	lamb_xml_free(x);
	return rc;
}

int lamb_cfn_parse_create_change_set(const char *body, size_t len, char **id, char **stack_id,
				     struct lamb_err *err)
{
	struct lamb_xml *x = parse_answer(body, len, "CreateChangeSet", err);
	if (!x)
		return -1;
	*id = text_dup(x, "CreateChangeSetResult/Id");
	*stack_id = text_dup(x, "CreateChangeSetResult/StackId");
	lamb_xml_free(x);
	if (!*id) {
		free(*stack_id);
		*stack_id = NULL;
		return lamb_err_set(err, "cannot read the CreateChangeSet answer: no change set Id in it");
	}
	return 0;
}

static void read_change(struct lamb_cfn_change_set *cs, const struct lamb_xml *m)
{
	const struct lamb_xml *rc = lamb_xml_child(m, "ResourceChange");
	if (!rc)
		return;
	cs->changes = xgrow(cs->changes, &cs->cap, cs->nchanges + 1, sizeof(*cs->changes));
	cs->changes[cs->nchanges++] = (struct lamb_cfn_change){
		.action = text_dup(rc, "Action"),
		.logical_id = text_dup(rc, "LogicalResourceId"),
		.resource_type = text_dup(rc, "ResourceType"),
		.replacement = text_dup(rc, "Replacement"),
	};
}

static void replace(char **field, const struct lamb_xml *x, const char *path)
{
	char *v = text_dup(x, path);
	if (!v)
		return;
	free(*field);
	*field = v;
}

int lamb_cfn_parse_change_set(const char *body, size_t len, struct lamb_cfn_change_set *cs, char **next_token,
			      struct lamb_err *err)
{
	struct lamb_xml *x = parse_answer(body, len, "DescribeChangeSet", err);
	if (!x)
		return -1;
	const struct lamb_xml *r = lamb_xml_child(x, "DescribeChangeSetResult");
	if (!r || !lamb_xml_text(r, "Status")) {
		lamb_xml_free(x);
		return lamb_err_set(err, "cannot read the DescribeChangeSet answer: no Status in it");
	}
	replace(&cs->id, r, "ChangeSetId");
	replace(&cs->name, r, "ChangeSetName");
	replace(&cs->stack_id, r, "StackId");
	replace(&cs->status, r, "Status");
	replace(&cs->execution_status, r, "ExecutionStatus");
	replace(&cs->status_reason, r, "StatusReason");
	for (const struct lamb_xml *m = members(r, "Changes"); m; m = lamb_xml_next(m))
		read_change(cs, m);
	*next_token = text_dup(r, "NextToken");
	lamb_xml_free(x);
	return 0;
}

int lamb_cfn_parse_events(const char *body, size_t len, struct lamb_cfn_events *out, char **next_token,
			  struct lamb_err *err)
{
	struct lamb_xml *x = parse_answer(body, len, "DescribeStackEvents", err);
	if (!x)
		return -1;
	const struct lamb_xml *r = lamb_xml_child(x, "DescribeStackEventsResult");
	for (const struct lamb_xml *m = members(r, "StackEvents"); m; m = lamb_xml_next(m)) {
		struct lamb_cfn_event ev = {
			.event_id = (char *)lamb_xml_text(m, "EventId"),
			.timestamp = (char *)lamb_xml_text(m, "Timestamp"),
			.status = (char *)lamb_xml_text(m, "ResourceStatus"),
			.resource_type = (char *)lamb_xml_text(m, "ResourceType"),
			.logical_id = (char *)lamb_xml_text(m, "LogicalResourceId"),
			.reason = (char *)lamb_xml_text(m, "ResourceStatusReason"),
		};
		ev.time = lamb_cfn_time(ev.timestamp);
		lamb_cfn_events_add(out, &ev);
	}
	*next_token = text_dup(r, "NextToken");
	lamb_xml_free(x);
	return 0;
}

/* --- the calls --- */

/* POSTs the form in b; 0 with a 2xx answer in resp, else -1 with AWS's
 * error ("ACTION: Code: Message") in err. */
static int post(const struct lamb_aws_config *c, const char *action, struct lamb_buf *b,
		struct lamb_aws_response *resp, struct lamb_err *err)
{
	struct lamb_aws_request r = {
		.service = "cloudformation",
		.method = "POST",
		.path = "/",
		.content_type = "application/x-www-form-urlencoded; charset=utf-8",
		.body = b->data,
		.body_len = b->len,
	};
	if (lamb_aws_call(c, &r, resp, err) < 0)
		return lamb_err_prefix(err, "%s", action);
	if (resp->status < 200 || resp->status > 299)
		return lamb_aws_error(resp, action, err);
	return 0;
}

/* The Message of an error answer, or NULL: allocated. */
static char *error_message(const struct lamb_aws_response *resp)
{
	struct lamb_err ignored;
	struct lamb_xml *x = lamb_xml_parse(resp->body, resp->body_len, &ignored);
	char *msg = x ? text_dup(x, "Error/Message") : NULL;
	lamb_xml_free(x);
	return msg;
}

int lamb_cfn_describe_stack(const struct lamb_aws_config *c, const char *stack, struct lamb_cfn_stack *s,
			    struct lamb_err *err)
{
	struct lamb_buf b;
	struct lamb_aws_response resp;
	lamb_cfn_form_init(&b, "DescribeStacks");
	lamb_cfn_form_add(&b, "StackName", stack);
	lamb_aws_response_init(&resp);
	int rc = post(c, "DescribeStacks", &b, &resp, err);
	if (rc < 0 && resp.status == 400) {
		char *msg = error_message(&resp);
		if (msg && strstr(msg, "does not exist"))
			rc = 1;
		free(msg);
	}
	if (rc == 0)
		rc = lamb_cfn_parse_stack(resp.body, resp.body_len, s, err);
	lamb_aws_response_release(&resp);
	lamb_buf_release(&b);
	return rc;
}

int lamb_cfn_create_change_set(const struct lamb_aws_config *c, const struct lamb_cfn_change_set_input *in,
			       char **id, char **stack_id, struct lamb_err *err)
{
	struct lamb_buf b = { 0 };
	struct lamb_aws_response resp;
	b.data = lamb_cfn_create_change_set_body(in);
	b.len = strlen(b.data);
	lamb_aws_response_init(&resp);
	int rc = post(c, "CreateChangeSet", &b, &resp, err);
	if (rc < 0 && resp.status == 400) {
		char *msg = error_message(&resp);
		if (msg && strstr(msg, "No updates are to be performed"))
			rc = 1;
		free(msg);
	}
	if (rc == 0)
		rc = lamb_cfn_parse_create_change_set(resp.body, resp.body_len, id, stack_id, err);
	lamb_aws_response_release(&resp);
	free(b.data);
	return rc;
}

/* A call whose answer only matters when it is an error. */
static int simple_call(const struct lamb_aws_config *c, const char *action, const char *stack,
		       const char *change_set, struct lamb_err *err)
{
	struct lamb_buf b;
	struct lamb_aws_response resp;
	lamb_cfn_form_init(&b, action);
	lamb_cfn_form_add(&b, "StackName", stack);
	lamb_cfn_form_add(&b, "ChangeSetName", change_set);
	lamb_aws_response_init(&resp);
	int rc = post(c, action, &b, &resp, err);
	lamb_aws_response_release(&resp);
	lamb_buf_release(&b);
	return rc;
}

int lamb_cfn_execute_change_set(const struct lamb_aws_config *c, const char *stack, const char *change_set,
				struct lamb_err *err)
{
	return simple_call(c, "ExecuteChangeSet", stack, change_set, err);
}

int lamb_cfn_delete_change_set(const struct lamb_aws_config *c, const char *stack, const char *change_set,
			       struct lamb_err *err)
{
	return simple_call(c, "DeleteChangeSet", stack, change_set, err);
}

int lamb_cfn_delete_stack(const struct lamb_aws_config *c, const char *stack, struct lamb_err *err)
{
	return simple_call(c, "DeleteStack", stack, NULL, err);
}

/* One page of a paged call: its body in resp. */
static int page(const struct lamb_aws_config *c, const char *action, const char *stack, const char *change_set,
		const char *token, struct lamb_aws_response *resp, struct lamb_err *err)
{
	struct lamb_buf b;
	lamb_cfn_form_init(&b, action);
	lamb_cfn_form_add(&b, "StackName", stack);
	lamb_cfn_form_add(&b, "ChangeSetName", change_set);
	lamb_cfn_form_add(&b, "NextToken", token);
	int rc = post(c, action, &b, resp, err);
	lamb_buf_release(&b);
	return rc;
}

int lamb_cfn_describe_change_set(const struct lamb_aws_config *c, const char *stack, const char *change_set,
				 struct lamb_cfn_change_set *cs, struct lamb_err *err)
{
	char *token = NULL;
	int rc = 0;
	for (int n = 0; rc == 0 && (n == 0 || token); n++) {
		struct lamb_aws_response resp;
		char *next = NULL;
		lamb_aws_response_init(&resp);
		if (n == MAX_PAGES)
			rc = lamb_err_set(err, "DescribeChangeSet: more than %d pages of changes", MAX_PAGES);
		else
			rc = page(c, "DescribeChangeSet", stack, change_set, token, &resp, err);
		if (rc == 0)
			rc = lamb_cfn_parse_change_set(resp.body, resp.body_len, cs, &next, err);
		lamb_aws_response_release(&resp);
		free(token);
		token = next;
	}
	free(token);
	return rc;
}

/* Whether the page's events reach back before since. */
static bool reached(const struct lamb_cfn_events *e, size_t from, double since)
{
	for (size_t i = from; i < e->len; i++)
		if (e->v[i].time != 0 && e->v[i].time < since)
			return true;
	return false;
}

int lamb_cfn_describe_stack_events(const struct lamb_aws_config *c, const char *stack, double since,
				   struct lamb_cfn_events *out, struct lamb_err *err)
{
	char *token = NULL;
	int rc = 0;
	for (int n = 0; rc == 0 && (n == 0 || token); n++) {
		struct lamb_aws_response resp;
		char *next = NULL;
		size_t from = out->len;
		lamb_aws_response_init(&resp);
		if (n == MAX_PAGES)
			rc = lamb_err_set(err, "DescribeStackEvents: more than %d pages of events", MAX_PAGES);
		else
			rc = page(c, "DescribeStackEvents", stack, NULL, token, &resp, err);
		if (rc == 0)
			rc = lamb_cfn_parse_events(resp.body, resp.body_len, out, &next, err);
		lamb_aws_response_release(&resp);
		free(token);
		token = next;
		if (rc == 0 && (since == 0 || reached(out, from, since)))
			break;
	}
	free(token);
	return rc;
}

void lamb_cfn_resources_free(struct lamb_cfn_resource *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++) {
		free(r[i].logical_id);
		free(r[i].physical_id);
		free(r[i].type);
		free(r[i].status);
	}
	free(r);
}

static int parse_resources(const struct lamb_aws_response *resp, struct lamb_cfn_resource **out, size_t *n,
			   size_t *cap, char **next, struct lamb_err *err)
{
	struct lamb_xml *x = parse_answer(resp->body, resp->body_len, "ListStackResources", err);
	if (!x)
		return -1;
	const struct lamb_xml *r = lamb_xml_child(x, "ListStackResourcesResult");
	for (const struct lamb_xml *m = members(r, "StackResourceSummaries"); m; m = lamb_xml_next(m)) {
		*out = xgrow(*out, cap, *n + 1, sizeof(**out));
		(*out)[(*n)++] = (struct lamb_cfn_resource){
			.logical_id = text_dup(m, "LogicalResourceId"), .physical_id = text_dup(m, "PhysicalResourceId"),
			.type = text_dup(m, "ResourceType"), .status = text_dup(m, "ResourceStatus"),
		};
	}
	*next = text_dup(r, "NextToken");
	lamb_xml_free(x);
	return 0;
}

int lamb_cfn_list_stack_resources(const struct lamb_aws_config *c, const char *stack,
				  struct lamb_cfn_resource **out, size_t *n, struct lamb_err *err)
{
	char *token = NULL;
	size_t cap = 0;
	int rc = 0;
	*out = NULL;
	*n = 0;
	for (int pg = 0; rc == 0 && (pg == 0 || token); pg++) {
		struct lamb_aws_response resp;
		char *next = NULL;
		lamb_aws_response_init(&resp);
		if (pg == MAX_PAGES)
			rc = lamb_err_set(err, "ListStackResources: more than %d pages of resources", MAX_PAGES);
		else
			rc = page(c, "ListStackResources", stack, NULL, token, &resp, err);
		if (rc == 0)
			rc = parse_resources(&resp, out, n, &cap, &next, err);
		lamb_aws_response_release(&resp);
		free(token);
		token = next;
	}
	free(token);
	return rc;
}

static bool digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "+hh:mm" / "-hhmm" / "Z" / "": the zone's offset east of UTC in seconds. */
static int zone_offset(const char *z, long *off)
{
	*off = 0;
	if (*z == '\0' || strcmp(z, "Z") == 0)
		return 0;
	if ((*z != '+' && *z != '-') || !digits(z + 1, 2))
		return -1;
	const char *m = z[3] == ':' ? z + 4 : z + 3;
	if (!digits(m, 2) || m[2] != '\0')
		return -1;
	*off = ((z[1] - '0') * 10 + (z[2] - '0')) * 3600L + ((m[0] - '0') * 10 + (m[1] - '0')) * 60L;
	if (*z == '-')
		*off = -*off;
	return 0;
}

double lamb_cfn_time(const char *iso)
{
	struct tm tm = { 0 };
	int n = 0;
	if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			   &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return 0;
	const char *p = iso + n;
	double frac = 0, scale = 0.1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	long off;
	if (zone_offset(p, &off) < 0)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	return t == (time_t)-1 ? 0 : (double)t - (double)off + frac;
}

bool lamb_cfn_status_in_progress(const char *status)
{
	return status && str_ends(status, "_IN_PROGRESS");
}

bool lamb_cfn_status_failed(const char *status)
{
	return status && (str_ends(status, "_FAILED") || strcmp(status, "ROLLBACK_COMPLETE") == 0 ||
			  strcmp(status, "UPDATE_ROLLBACK_COMPLETE") == 0 ||
			  strcmp(status, "IMPORT_ROLLBACK_COMPLETE") == 0);
}
