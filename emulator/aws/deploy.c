/* The deploy and delete flows over aws-cfn.c: decide CREATE or UPDATE,
 * create the change set and wait for it, execute it, and follow the stack's
 * events until the stack settles. Waiting polls, starting fast (a small
 * stack settles in seconds) and slowing to a few seconds; a stop flag set by
 * the CLI's signal handler ends following without touching the stack.
 * Events are told once each: a stack operation's events are newer than the
 * newest one seen before it started, by CloudFormation's own clock, so the
 * local clock's skew does not matter. */
#include "aws/deploy.h"
#include "base/url.h"
#include "base/util.h"

#include <errno.h>
#include <nettle/base16.h>
#include <nettle/md5.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define CHANGE_SET_TIMEOUT_S (30 * 60)

void lamb_deploy_result_init(struct lamb_deploy_result *r)
{
	memset(r, 0, sizeof(*r));
	lamb_cfn_stack_init(&r->stack);
	lamb_cfn_events_init(&r->failures);
}

void lamb_deploy_result_release(struct lamb_deploy_result *r)
{
	if (!r)
		return;
	free(r->change_set_id);
	free(r->reason);
	lamb_cfn_stack_release(&r->stack);
	lamb_cfn_events_release(&r->failures);
	lamb_deploy_result_init(r);
}

static void note(const struct lamb_deploy_hooks *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const struct lamb_deploy_hooks *h, const char *fmt, ...)
{
	if (!h->note)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	h->note(msg, h->data);
	free(msg);
}

static bool stopped(const struct lamb_deploy_wait *w)
{
	return w->stop && *w->stop;
}

/* Sleeps s seconds, or less when the stop flag is set (the signal that
 * sets it interrupts nanosleep). */
static void pause_s(const struct lamb_deploy_wait *w, double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (!stopped(w) && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static double next_poll(const struct lamb_deploy_wait *w, double cur)
{
	double max = w->max_poll_s > 0 ? w->max_poll_s : 5.0;
	return cur * 2 > max ? max : cur * 2;
}

static double first_poll(const struct lamb_deploy_wait *w)
{
	double max = w->max_poll_s > 0 ? w->max_poll_s : 5.0;
	return max < 0.2 ? max : 0.2;
}

/* --- the template --- */

static bool has_local_code(const struct lamb_model *m)
{
	for (size_t i = 0; i < m->nfunctions; i++)
		if (!m->functions[i].stack && m->functions[i].code_kind == LAMB_CODE_LOCAL)
			return true;
	for (size_t i = 0; i < m->nlayers; i++)
		if (!m->layers[i].stack && m->layers[i].code_kind == LAMB_CODE_LOCAL)
			return true;
	return false;
}

/* The template text to deploy: packaged when it has local code. */
static char *template_text(const struct lamb_model *m, const struct lamb_aws_config *aws,
			   const struct lamb_deploy_opts *o, struct lamb_err *err)
{
	char *text = NULL;
	if (has_local_code(m)) {
		if (!o->package.bucket)
			return lamb_err_set(err, "template '%s' has local code to upload: give --s3-bucket "
					    "BUCKET to put it in", m->path), NULL;
		if (lamb_package(m, aws, &o->package, &text, err) < 0)
			return NULL;
		return text;
	}
	size_t len;
	text = lamb_read_file(m->path, &len);
	if (!text)
		lamb_err_set(err, "cannot read template '%s': %s", m->path, strerror(errno));
	return text;
}

/* Puts a template too large to give inline into the bucket; *url: where
 * CloudFormation reads it. */
static int upload_template(const struct lamb_aws_config *aws, const struct lamb_package_opts *p,
			   const char *text, char **url, struct lamb_err *err)
{
	if (!p->bucket)
		return lamb_err_set(err, "the template is %zu bytes, more than the %d CloudFormation takes "
				    "inline: give --s3-bucket BUCKET to upload it", strlen(text), LAMB_DEPLOY_MAX_BODY);
	/* the MD5 of the content, as lamb package names artifacts */
	struct md5_ctx md5;
	uint8_t digest[MD5_DIGEST_SIZE];
	char hex[BASE16_ENCODE_LENGTH(MD5_DIGEST_SIZE) + 1] = "";
	md5_init(&md5);
	md5_update(&md5, strlen(text), (const uint8_t *)text);
	md5_digest(&md5, sizeof(digest), digest);
	base16_encode_update(hex, sizeof(digest), digest);
	char *key = p->prefix && *p->prefix ? xasprintf("%s/%s.template", p->prefix, hex) : xasprintf("%s.template", hex);
	char *raw = xasprintf("%s/%s", p->bucket, key);
	char *path_enc = lamb_url_encode(raw, LAMB_URL_KEEP_SLASH);
	char *path = xasprintf("/%s", path_enc);
	struct lamb_aws_request r = { .service = "s3", .method = "PUT", .path = path,
				      .content_type = "text/plain", .body = text, .body_len = strlen(text) };
	struct lamb_aws_response resp;
	lamb_aws_response_init(&resp);
	int rc = lamb_aws_call(aws, &r, &resp, err);
	if (rc == 0 && (resp.status < 200 || resp.status > 299))
		rc = lamb_aws_error(&resp, "cannot upload the template", err);
	if (rc == 0) {
		char *endpoint = lamb_aws_endpoint(aws, "s3");
		*url = xasprintf("%s%s", endpoint, path);
		free(endpoint);
	}
	lamb_aws_response_release(&resp);
	free(path);
	free(path_enc);
	free(raw);
	free(key);
	return rc;
}

/* --- the stack's state --- */

/* "CREATE" or "UPDATE" for the stack as it is (described into s). */
static const char *change_set_type(const struct lamb_aws_config *aws, const char *name, struct lamb_cfn_stack *s,
				   struct lamb_err *err)
{
	int rc = lamb_cfn_describe_stack(aws, name, s, err);
	if (rc < 0)
		return NULL;
	if (rc == 1 || strcmp(s->status, "REVIEW_IN_PROGRESS") == 0)
		return "CREATE";
	if (strcmp(s->status, "ROLLBACK_COMPLETE") == 0 || strcmp(s->status, "ROLLBACK_FAILED") == 0 ||
	    strcmp(s->status, "CREATE_FAILED") == 0)
		return lamb_err_set(err, "stack '%s' is in %s state and cannot be updated: its creation failed; "
				    "delete it with 'lamb delete --stack-name %s' and deploy again", name, s->status,
				    name), NULL;
	if (strcmp(s->status, "DELETE_FAILED") == 0)
		return lamb_err_set(err, "stack '%s' is in DELETE_FAILED state and cannot be updated: delete it "
				    "with 'lamb delete --stack-name %s' once what kept it is fixed (see its events)",
				    name, name), NULL;
	if (lamb_cfn_status_in_progress(s->status))
		return lamb_err_set(err, "stack '%s' is busy (%s): wait until the operation in progress ends, "
				    "then deploy again", name, s->status), NULL;
	return "UPDATE";
}

static bool stack_has_param(const struct lamb_cfn_stack *s, const char *name)
{
	for (size_t i = 0; i < s->nparams; i++)
		if (str_eq(s->params[i].key, name))
			return true;
	return false;
}

/* The template's parameters: the overridden ones with their value, the
 * others with the stack's previous value on an update, when the stack has
 * one (a parameter new in this template takes its Default, as SAM CLI
 * does; AWS refuses UsePreviousValue for it). */
static struct lamb_cfn_param *change_set_params(const struct lamb_model *m, const struct lamb_cfn_stack *s,
						bool update, size_t *n)
{
	struct lamb_cfn_param *ps = xcalloc((m ? m->nparams : 0) + 1, sizeof(*ps));
	*n = 0;
	for (size_t i = 0; m && i < m->nparams; i++) {
		const struct lamb_param *p = &m->params[i];
		if (p->overridden)
			ps[(*n)++] = (struct lamb_cfn_param){ .key = p->name, .value = p->value };
		else if (update && stack_has_param(s, p->name))
			ps[(*n)++] = (struct lamb_cfn_param){ .key = p->name, .use_previous = true };
	}
	return ps;
}

/* --- the change set --- */

static bool no_changes(const char *reason)
{
	return reason && (strstr(reason, "didn't contain changes") || strstr(reason, "No updates are to be performed"));
}

/* Polls until the change set is CREATE_COMPLETE or FAILED. */
static int wait_change_set(const struct lamb_aws_config *aws, const char *stack, const char *id,
			   const struct lamb_deploy_wait *w, struct lamb_cfn_change_set *cs, struct lamb_err *err)
{
	double poll = first_poll(w), waited = 0;
	for (;;) {
		lamb_cfn_change_set_release(cs);
		if (lamb_cfn_describe_change_set(aws, stack, id, cs, err) < 0)
			return -1;
		if (strcmp(cs->status, "CREATE_COMPLETE") == 0 || strcmp(cs->status, "FAILED") == 0)
			return 0;
		if (stopped(w))
			return lamb_err_set(err, "interrupted while change set '%s' was being created (%s)", id,
					    cs->status);
		if (waited > CHANGE_SET_TIMEOUT_S)
			return lamb_err_set(err, "change set '%s' is still %s after %d minutes", id, cs->status,
					    CHANGE_SET_TIMEOUT_S / 60);
		pause_s(w, poll);
		waited += poll;
		poll = next_poll(w, poll);
	}
}

/* The change set's fate when it FAILED: nothing to do, or a real failure. */
static int change_set_failed(const struct lamb_aws_config *aws, const char *stack, struct lamb_cfn_change_set *cs,
			     struct lamb_deploy_result *res, struct lamb_err *err)
{
	res->reason = cs->status_reason ? xstrdup(cs->status_reason) : xstrdup("no reason given");
	if (!no_changes(cs->status_reason)) {
		res->outcome = LAMB_DEPLOY_CHANGE_SET_FAILED;
		return 0;
	}
	res->outcome = LAMB_DEPLOY_NO_CHANGES;
	return lamb_cfn_delete_change_set(aws, stack, cs->id, err);
}

/* --- following the stack --- */

struct follower {
	const struct lamb_aws_config *aws;
	const char *stack;     /* the stack id, which still names it once deleted */
	double since;          /* the newest event before the operation */
	char **seen;           /* event ids told already (or older than since) */
	size_t nseen, cap;
	const struct lamb_deploy_hooks *hooks;
};

static void follower_release(struct follower *f)
{
	for (size_t i = 0; i < f->nseen; i++)
		free(f->seen[i]);
	free(f->seen);
}

/* A linear search: a stack operation has hundreds of events at most. */
static bool seen(const struct follower *f, const char *id)
{
	for (size_t i = 0; i < f->nseen; i++)
		if (str_eq(f->seen[i], id))
			return true;
	return false;
}

static void mark_seen(struct follower *f, const char *id)
{
	f->seen = xgrow(f->seen, &f->cap, f->nseen + 1, sizeof(*f->seen));
	f->seen[f->nseen++] = xstrdup(id ? id : "");
}

/* The marker: the newest event there is now, and its peers of the same time. */
static int follower_start(struct follower *f, struct lamb_err *err)
{
	struct lamb_cfn_events ev;
	lamb_cfn_events_init(&ev);
	int rc = lamb_cfn_describe_stack_events(f->aws, f->stack, 0, &ev, err);
	f->since = 0;
	for (size_t i = 0; rc == 0 && i < ev.len; i++)
		if (ev.v[i].time > f->since)
			f->since = ev.v[i].time;
	for (size_t i = 0; rc == 0 && i < ev.len; i++)
		mark_seen(f, ev.v[i].event_id);
	lamb_cfn_events_release(&ev);
	return rc;
}

/* Tells the events not told yet, oldest first; *_FAILED ones also go to failures. */
static int follower_poll(struct follower *f, struct lamb_cfn_events *failures, struct lamb_err *err)
{
	struct lamb_cfn_events ev;
	lamb_cfn_events_init(&ev);
	/* since 0 would mean "the newest page only"; a stack without events yet wants them all */
	int rc = lamb_cfn_describe_stack_events(f->aws, f->stack, f->since > 0 ? f->since : 1, &ev, err);
	for (size_t i = ev.len; rc == 0 && i-- > 0;) {
		const struct lamb_cfn_event *e = &ev.v[i];
		if ((e->time != 0 && e->time <= f->since) || seen(f, e->event_id))
			continue;
		mark_seen(f, e->event_id);
		if (f->hooks->event)
			f->hooks->event(e, f->hooks->data);
		if (e->status && str_ends(e->status, "_FAILED"))
			lamb_cfn_events_add(failures, e);
	}
	lamb_cfn_events_release(&ev);
	return rc;
}

/* Follows until the stack leaves *_IN_PROGRESS; res->stack is its last state.
 * deleting: a stack that no longer exists is DELETE_COMPLETE. */
static int follow(struct follower *f, const struct lamb_deploy_wait *w, bool deleting, struct lamb_deploy_result *res,
		  struct lamb_err *err)
{
	for (double poll = first_poll(w);; poll = next_poll(w, poll)) {
		lamb_cfn_stack_release(&res->stack);
		int rc = lamb_cfn_describe_stack(f->aws, f->stack, &res->stack, err);
		if (rc < 0)
			return -1;
		if (rc == 1 && !deleting)
			return lamb_err_set(err, "stack '%s' has disappeared", f->stack);
		if (rc == 1)
			res->stack.status = xstrdup("DELETE_COMPLETE");
		/* events after the status, so that the last poll tells them all */
		if (rc == 0 && follower_poll(f, &res->failures, err) < 0)
			return -1;
		if (!lamb_cfn_status_in_progress(res->stack.status))
			break;
		if (stopped(w)) {
			res->outcome = LAMB_DEPLOY_INTERRUPTED;
			return 0;
		}
		pause_s(w, poll);
	}
	const char *s = res->stack.status;
	bool ok = deleting ? strcmp(s, "DELETE_COMPLETE") == 0 :
			     strcmp(s, "CREATE_COMPLETE") == 0 || strcmp(s, "UPDATE_COMPLETE") == 0;
	res->outcome = ok ? LAMB_DEPLOY_DONE : LAMB_DEPLOY_STACK_FAILED;
	if (!ok && res->stack.status_reason)
		res->reason = xstrdup(res->stack.status_reason);
	return 0;
}

/* --- the flows --- */

static int execute(const struct lamb_aws_config *aws, const struct lamb_deploy_opts *o, const char *stack_id,
		   struct lamb_deploy_result *res, struct lamb_err *err)
{
	struct follower f = { .aws = aws, .stack = stack_id, .hooks = &o->hooks };
	int rc = follower_start(&f, err);
	if (rc == 0 && lamb_cfn_execute_change_set(aws, stack_id, res->change_set_id, err) < 0)
		rc = lamb_err_prefix(err, "cannot execute the change set of stack '%s'", o->stack_name);
	if (rc == 0) {
		note(&o->hooks, "executing change set %s", res->change_set_id);
		rc = follow(&f, &o->wait, false, res, err);
	}
	follower_release(&f);
	return rc;
}

/* Creates the change set and waits for it; *stack_id: allocated. 1 when
 * the service said at once that nothing changed (res tells so). */
static int create_change_set(const struct lamb_aws_config *aws, const struct lamb_deploy_opts *o,
			     struct lamb_cfn_change_set_input *in, struct lamb_cfn_change_set *cs, char **stack_id,
			     struct lamb_deploy_result *res, struct lamb_err *err)
{
	/* the epoch in milliseconds: two deploys within a second (a script, a
	 * test) must not ask for the same name, which AWS refuses */
	char name[64];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(name, sizeof(name), "lamb-deploy-%lld%03ld", (long long)now.tv_sec, now.tv_nsec / 1000000);
	in->change_set_name = name;
	in->description = "Created by lamb deploy";
	int rc = lamb_cfn_create_change_set(aws, in, &res->change_set_id, stack_id, err);
	if (rc < 0)
		return lamb_err_prefix(err, "cannot create a change set for stack '%s'", o->stack_name);
	if (rc == 1) {
		res->outcome = LAMB_DEPLOY_NO_CHANGES;
		res->reason = xstrdup(err->msg);
		return 1;
	}
	note(&o->hooks, "waiting for change set %s to be created", name);
	return wait_change_set(aws, o->stack_name, res->change_set_id, &o->wait, cs, err);
}

static int deploy_text(const struct lamb_model *m, const struct lamb_aws_config *aws, const struct lamb_deploy_opts *o,
		       struct lamb_cfn_change_set_input *in, struct lamb_deploy_result *res, struct lamb_err *err)
{
	struct lamb_cfn_change_set cs;
	char *stack_id = NULL;
	size_t nparams;
	in->type = res->type = change_set_type(aws, o->stack_name, &res->stack, err);
	if (!in->type)
		return -1;
	in->params = change_set_params(m, &res->stack, strcmp(in->type, "UPDATE") == 0, &nparams);
	in->nparams = nparams;
	lamb_cfn_change_set_init(&cs);
	int rc = create_change_set(aws, o, in, &cs, &stack_id, res, err);
	if (rc == 1) {
		rc = 0;
	} else if (rc == 0 && strcmp(cs.status, "FAILED") == 0) {
		rc = change_set_failed(aws, o->stack_name, &cs, res, err);
	} else if (rc == 0) {
		cs.type = in->type;
		if (o->hooks.changes)
			o->hooks.changes(&cs, o->hooks.data);
		if (o->no_execute)
			res->outcome = LAMB_DEPLOY_NOT_EXECUTED;
		else if (o->hooks.confirm && !o->hooks.confirm(&cs, o->hooks.data))
			res->outcome = LAMB_DEPLOY_DECLINED;
		else
			rc = execute(aws, o, stack_id ? stack_id : cs.stack_id, res, err);
	}
	lamb_cfn_change_set_release(&cs);
	free((void *)in->params);
	free(stack_id);
	return rc;
}

int lamb_deploy(const struct lamb_model *m, const struct lamb_aws_config *aws, const struct lamb_deploy_opts *o,
		struct lamb_deploy_result *res, struct lamb_err *err)
{
	char *text = template_text(m, aws, o, err);
	if (!text)
		return -1;
	if (stopped(&o->wait)) {
		free(text);
		return lamb_err_set(err, "interrupted before a change set was created: stack '%s' is unchanged",
				    o->stack_name);
	}
	char *url = NULL;
	struct lamb_cfn_change_set_input in = {
		.stack_name = o->stack_name,
		.capabilities = o->capabilities,
		.ncapabilities = o->ncapabilities,
		.tags = o->tags,
		.ntags = o->ntags,
	};
	int rc = 0;
	if (strlen(text) > LAMB_DEPLOY_MAX_BODY)
		rc = upload_template(aws, &o->package, text, &url, err);
	in.template_body = url ? NULL : text;
	in.template_url = url;
	if (rc == 0)
		rc = deploy_text(m, aws, o, &in, res, err);
	free(url);
	free(text);
	return rc;
}

int lamb_deploy_body(const char *body, const struct lamb_aws_config *aws, const struct lamb_deploy_opts *o,
		     struct lamb_deploy_result *res, struct lamb_err *err)
{
	struct lamb_cfn_change_set_input in = {
		.stack_name = o->stack_name,
		.capabilities = o->capabilities,
		.ncapabilities = o->ncapabilities,
		.tags = o->tags,
		.ntags = o->ntags,
		.template_body = body,
	};
	return deploy_text(NULL, aws, o, &in, res, err);
}

int lamb_deploy_delete(const struct lamb_aws_config *aws, const char *stack_name, const struct lamb_deploy_wait *w,
		       const struct lamb_deploy_hooks *hooks, struct lamb_deploy_result *res, struct lamb_err *err)
{
	int rc = lamb_cfn_describe_stack(aws, stack_name, &res->stack, err);
	if (rc != 0) {
		res->outcome = LAMB_DEPLOY_NO_STACK;
		return rc < 0 ? -1 : 0;
	}
	char *id = xstrdup(res->stack.id ? res->stack.id : stack_name);
	struct follower f = { .aws = aws, .stack = id, .hooks = hooks };
	rc = follower_start(&f, err);
	if (rc == 0)
		rc = lamb_cfn_delete_stack(aws, id, err);
	if (rc == 0) {
		note(hooks, "deleting stack %s", stack_name);
		rc = follow(&f, w, true, res, err);
	}
	follower_release(&f);
	free(id);
	return rc;
}
