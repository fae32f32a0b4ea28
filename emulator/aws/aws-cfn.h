/* CloudFormation's Query API, the calls lamb deploy and lamb delete make:
 * change sets, stacks and their events. Requests are form-encoded POSTs
 * (Action, Version=2010-05-15, Name.member.N lists) signed by aws.h;
 * answers are read with xml.h. AWS's errors come back in err as
 * "Code: Message". Nothing here waits or polls: deploy.c does. */
#ifndef LAMB_AWS_CFN_H
#define LAMB_AWS_CFN_H

#include "aws/aws.h"
#include "base/err.h"
#include "base/util.h"

#include <stdbool.h>
#include <stddef.h>

/* One parameter of a change set: a value, or the stack's previous one. */
struct lamb_cfn_param {
	const char *key;
	const char *value;  /* ignored when use_previous */
	bool use_previous;
};

struct lamb_cfn_tag {
	const char *key;
	const char *value;
};

/* What CreateChangeSet is given; strings borrowed. */
struct lamb_cfn_change_set_input {
	const char *stack_name;
	const char *change_set_name;
	const char *type;          /* "CREATE" or "UPDATE" */
	const char *template_body; /* or: */
	const char *template_url;  /* exactly one of the two */
	const char *description;   /* may be NULL */
	const struct lamb_cfn_param *params;
	size_t nparams;
	const char *const *capabilities;
	size_t ncapabilities;
	const struct lamb_cfn_tag *tags;
	size_t ntags;
};

struct lamb_cfn_output {
	char *key, *value, *description; /* description may be NULL */
};

/* A stack as DescribeStacks tells it. Embedded: _init/_release; strings owned. */
struct lamb_cfn_stack {
	char *id, *name, *status, *status_reason; /* status_reason may be NULL */
	struct lamb_cfn_param *params;  /* key and value owned (cast away const) */
	size_t nparams;
	struct lamb_cfn_tag *tags;      /* likewise */
	size_t ntags;
	struct lamb_cfn_output *outputs;
	size_t noutputs;
};

struct lamb_cfn_change {
	char *action;      /* Add, Modify, Remove, Import, Dynamic */
	char *logical_id;
	char *resource_type;
	char *replacement; /* True, False, Conditional; NULL for Add and Remove */
};

/* A change set as DescribeChangeSet tells it, every page of Changes
 * gathered. Embedded: _init/_release; strings owned. */
struct lamb_cfn_change_set {
	char *id, *name, *stack_id, *status, *execution_status, *status_reason;
	struct lamb_cfn_change *changes;
	size_t nchanges, cap;
	const char *type; /* "CREATE" or "UPDATE" when the caller knows it; not owned */
};

struct lamb_cfn_event {
	char *event_id, *timestamp, *status, *resource_type, *logical_id, *reason;
	double time; /* timestamp in seconds since the epoch; 0 when unreadable */
};

/* A list of events, in the order given. Embedded: _init/_release. */
struct lamb_cfn_events {
	struct lamb_cfn_event *v;
	size_t len, cap;
};

void lamb_cfn_stack_init(struct lamb_cfn_stack *s);
void lamb_cfn_stack_release(struct lamb_cfn_stack *s);
void lamb_cfn_change_set_init(struct lamb_cfn_change_set *cs);
void lamb_cfn_change_set_release(struct lamb_cfn_change_set *cs);
void lamb_cfn_events_init(struct lamb_cfn_events *e);
void lamb_cfn_events_release(struct lamb_cfn_events *e);
/* Appends a copy of ev. */
void lamb_cfn_events_add(struct lamb_cfn_events *e, const struct lamb_cfn_event *ev);

/* The calls. stack is a name or a stack id (ARN); change_set a name (with
 * stack) or an ARN. */

/* 0 and *s filled when the stack exists; 1 when it does not (AWS's
 * "Stack with id S does not exist"); -1 with err. */
int lamb_cfn_describe_stack(const struct lamb_aws_config *c, const char *stack, struct lamb_cfn_stack *s,
			    struct lamb_err *err);
/* 0 with *id and *stack_id (allocated, caller frees); 1 when the service
 * refuses at once because nothing changed ("No updates are to be
 * performed", as moto's server and UpdateStack answer, where AWS's
 * CreateChangeSet makes a FAILED change set instead), with err saying so;
 * -1 with err. */
int lamb_cfn_create_change_set(const struct lamb_aws_config *c, const struct lamb_cfn_change_set_input *in,
			       char **id, char **stack_id, struct lamb_err *err);
/* Every page of the change set's Changes into cs. */
int lamb_cfn_describe_change_set(const struct lamb_aws_config *c, const char *stack, const char *change_set,
				 struct lamb_cfn_change_set *cs, struct lamb_err *err);
int lamb_cfn_execute_change_set(const struct lamb_aws_config *c, const char *stack, const char *change_set,
				struct lamb_err *err);
int lamb_cfn_delete_change_set(const struct lamb_aws_config *c, const char *stack, const char *change_set,
			       struct lamb_err *err);
int lamb_cfn_delete_stack(const struct lamb_aws_config *c, const char *stack, struct lamb_err *err);
/* The stack's events, newest first as AWS gives them, appended to out;
 * pages are fetched until one reaches an event older than since (seconds
 * since the epoch; 0: one page only, for the newest events). */
int lamb_cfn_describe_stack_events(const struct lamb_aws_config *c, const char *stack, double since,
				   struct lamb_cfn_events *out, struct lamb_err *err);

/* One resource of a stack, as ListStackResources tells it. */
struct lamb_cfn_resource {
	char *logical_id, *physical_id, *type, *status;
};

/* Every page of the stack's resources; *out allocated (n of them), to
 * free with lamb_cfn_resources_free. */
int lamb_cfn_list_stack_resources(const struct lamb_aws_config *c, const char *stack,
				  struct lamb_cfn_resource **out, size_t *n, struct lamb_err *err);
void lamb_cfn_resources_free(struct lamb_cfn_resource *r, size_t n);

/* The pieces, public for the unit tests. */

/* A form body: "Action=A&Version=2010-05-15"; then add key=value pairs,
 * both encoded (a NULL value adds nothing). */
void lamb_cfn_form_init(struct lamb_buf *b, const char *action);
void lamb_cfn_form_add(struct lamb_buf *b, const char *key, const char *value);
/* CreateChangeSet's body. Allocated. */
char *lamb_cfn_create_change_set_body(const struct lamb_cfn_change_set_input *in);

/* Answers. Each returns 0, or -1 with err for a body that is not the
 * expected XML. *next_token: NextToken, allocated, or NULL on the last page. */
int lamb_cfn_parse_stack(const char *body, size_t len, struct lamb_cfn_stack *s, struct lamb_err *err);
int lamb_cfn_parse_create_change_set(const char *body, size_t len, char **id, char **stack_id,
				     struct lamb_err *err);
int lamb_cfn_parse_change_set(const char *body, size_t len, struct lamb_cfn_change_set *cs, char **next_token,
			      struct lamb_err *err);
int lamb_cfn_parse_events(const char *body, size_t len, struct lamb_cfn_events *out, char **next_token,
			  struct lamb_err *err);
/* An ISO 8601 time as AWS writes it ("2026-11-26T16:40:00.123Z", or with
 * "+00:00") in seconds since the epoch; 0 when unreadable. */
double lamb_cfn_time(const char *iso);

/* Stack states. */
bool lamb_cfn_status_in_progress(const char *status); /* *_IN_PROGRESS */
bool lamb_cfn_status_failed(const char *status);      /* *_FAILED, ROLLBACK_COMPLETE, UPDATE_ROLLBACK_COMPLETE */

#endif
