/* lamb deploy and lamb delete: the template packaged, a change set created
 * (CREATE or UPDATE as the stack's state says), shown, executed, and the
 * stack's events followed until it settles; or the stack deleted and
 * followed likewise. What happens is told through hooks: this library never
 * prints. The calls themselves are in aws-cfn.h. */
#ifndef LAMB_DEPLOY_H
#define LAMB_DEPLOY_H

#include "aws/aws-cfn.h"
#include "aws/aws.h"
#include "aws/package.h"
#include "base/err.h"
#include "model/model.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* CloudFormation's limit for a template given inline (TemplateBody);
 * a larger one is uploaded to the bucket and given as TemplateURL. */
#define LAMB_DEPLOY_MAX_BODY 51200

enum lamb_deploy_outcome {
	LAMB_DEPLOY_DONE,              /* CREATE_COMPLETE, UPDATE_COMPLETE, DELETE_COMPLETE */
	LAMB_DEPLOY_NO_CHANGES,        /* the change set had nothing to do; it was deleted */
	LAMB_DEPLOY_NOT_EXECUTED,      /* no_execute: the change set waits in CloudFormation */
	LAMB_DEPLOY_CHANGE_SET_FAILED, /* reason: its StatusReason */
	LAMB_DEPLOY_STACK_FAILED,      /* rolled back or *_FAILED; failures, reason */
	LAMB_DEPLOY_INTERRUPTED,       /* *stop was set while following; the stack goes on */
	LAMB_DEPLOY_NO_STACK,          /* delete: there is no such stack */
	LAMB_DEPLOY_DECLINED,          /* hooks.confirm said no: the change set waits, unexecuted */
};

/* What the flow tells as it goes; any may be NULL; arguments borrowed for
 * the call only. */
struct lamb_deploy_hooks {
	void (*note)(const char *msg, void *data);  /* a step: "waiting for change set ..." */
	void (*changes)(const struct lamb_cfn_change_set *cs, void *data); /* the change set is ready */
	void (*event)(const struct lamb_cfn_event *ev, void *data);        /* each new event, oldest first */
	/* after changes: whether to execute the change set (--confirm-changeset) */
	bool (*confirm)(const struct lamb_cfn_change_set *cs, void *data);
	void *data;
};

/* How to wait. */
struct lamb_deploy_wait {
	double max_poll_s;  /* polls start at 0.2 s and double up to this; 0: 5 s */
	volatile sig_atomic_t *stop; /* stops following when set (by a signal handler); may be NULL */
};

struct lamb_deploy_opts {
	const char *stack_name;
	/* package.bucket NULL: the template must have no local code; it also
	 * receives a template larger than LAMB_DEPLOY_MAX_BODY. */
	struct lamb_package_opts package;
	const char *const *capabilities;
	size_t ncapabilities;
	const struct lamb_cfn_tag *tags;
	size_t ntags;
	bool no_execute;
	struct lamb_deploy_wait wait;
	struct lamb_deploy_hooks hooks;
};

/* How it ended. Embedded: _init/_release; strings owned. */
struct lamb_deploy_result {
	enum lamb_deploy_outcome outcome;
	const char *type;      /* "CREATE" or "UPDATE" (static) */
	char *change_set_id;
	char *reason;          /* CHANGE_SET_FAILED, NO_CHANGES: the status reason or the
	                        * refusal; STACK_FAILED: the stack's, or NULL */
	struct lamb_cfn_stack stack;     /* as it was last seen: status, outputs */
	struct lamb_cfn_events failures; /* STACK_FAILED: the *_FAILED events, oldest first */
};

void lamb_deploy_result_init(struct lamb_deploy_result *r);
void lamb_deploy_result_release(struct lamb_deploy_result *r);

/* Deploys m's template (packaged through lamb_package when it has local
 * code) as stack o->stack_name; m's parameters that were overridden become
 * the change set's Parameters, the others keep the stack's previous value on
 * an update (or their Default). 0 with the outcome in res; -1 with err when
 * something stopped the flow (a request failed, the stack is busy or in
 * ROLLBACK_COMPLETE, packaging failed). */
int lamb_deploy(const struct lamb_model *m, const struct lamb_aws_config *aws, const struct lamb_deploy_opts *o,
		struct lamb_deploy_result *res, struct lamb_err *err);

/* The same for a template given as text, without parameters and without
 * packaging (the managed stack of --resolve-s3). */
int lamb_deploy_body(const char *body, const struct lamb_aws_config *aws, const struct lamb_deploy_opts *o,
		     struct lamb_deploy_result *res, struct lamb_err *err);

/* The managed stack of --resolve-s3, named as SAM CLI's is but for its
 * prefix (aws-sam-cli-managed-default), and its output. */
#define LAMB_MANAGED_STACK "lamb-managed-default"
#define LAMB_MANAGED_OUTPUT "SourceBucket"

/* The artifacts bucket of the managed stack: read from the stack's
 * outputs, the stack created first (a versioned, encrypted, private bucket,
 * told through hooks) when there is none. *bucket allocated. */
int lamb_deploy_managed_bucket(const struct lamb_aws_config *aws, const struct lamb_deploy_wait *w,
			       const struct lamb_deploy_hooks *hooks, char **bucket, struct lamb_err *err);

/* Deletes the stack and follows it until it is gone: outcome DONE,
 * STACK_FAILED (DELETE_FAILED), INTERRUPTED, or NO_STACK when there was none. */
int lamb_deploy_delete(const struct lamb_aws_config *aws, const char *stack_name, const struct lamb_deploy_wait *w,
		       const struct lamb_deploy_hooks *hooks, struct lamb_deploy_result *res, struct lamb_err *err);

#endif
