/* The AWS options, Ctrl-C while following a stack, and the printing of
 * change sets and stack events for lamb deploy and lamb delete. Everything
 * goes to stderr, as SAM CLI's tables do; events are printed one line each
 * as they arrive, so the columns have fixed widths. */
#include "cli-aws.h"
#include "cli.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile sig_atomic_t cli_aws_interrupted;

void cli_aws_opts_init(struct cli_aws_opts *o)
{
	memset(o, 0, sizeof(*o));
	const char *d = getenv("LAMB_POLL_DELAY");
	if (d && *d)
		o->max_poll_s = strtod(d, NULL);
}

int cli_aws_opts_parse(struct cli_aws_opts *o, const char *cmd, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];
	const char **slot = NULL;
	if (cli_opt_is(arg, NULL, "--profile"))
		slot = &o->aws.profile;
	else if (cli_opt_is(arg, NULL, "--endpoint-url"))
		slot = &o->aws.endpoint_url;
	else
		return 0;
	*slot = cli_opt_value(cmd, argc, argv, i);
	return *slot ? 1 : -1;
}

int cli_aws_config_load(struct lamb_aws_config *c, const struct cli_aws_opts *o)
{
	struct lamb_err err;
	if (lamb_aws_config_load(c, &o->aws, &err) < 0)
		return fail("%s", err.msg);
	return EXIT_OK;
}

static void on_interrupt(int sig)
{
	(void)sig;
	cli_aws_interrupted = 1;
}

void cli_aws_catch_interrupt(void)
{
	/* no SA_RESTART: the wait between polls must end at once */
	struct sigaction sa = { .sa_handler = on_interrupt };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

static void on_note(const char *msg, void *data)
{
	(void)data;
	fprintf(stderr, "%s\n", msg);
}

static const char *operation(const char *action)
{
	if (str_eq(action, "Add"))
		return "+ Add";
	if (str_eq(action, "Modify"))
		return "* Modify";
	if (str_eq(action, "Remove"))
		return "- Delete";
	return action ? action : "?";
}

static size_t widest(size_t w, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > w ? n : w;
}

static void rule(size_t width)
{
	for (size_t i = 0; i < width; i++)
		fputc('-', stderr);
	fputc('\n', stderr);
}

static void on_changes(const struct lamb_cfn_change_set *cs, void *data)
{
	(void)data;
	size_t w[3] = { strlen("Operation"), strlen("LogicalResourceId"), strlen("ResourceType") };
	for (size_t i = 0; i < cs->nchanges; i++) {
		w[0] = widest(w[0], operation(cs->changes[i].action));
		w[1] = widest(w[1], cs->changes[i].logical_id);
		w[2] = widest(w[2], cs->changes[i].resource_type);
	}
	size_t total = w[0] + w[1] + w[2] + 6 + strlen("Replacement");
	fprintf(stderr, "\nCloudFormation stack changeset\n");
	rule(total);
	fprintf(stderr, "%-*s  %-*s  %-*s  %s\n", (int)w[0], "Operation", (int)w[1], "LogicalResourceId", (int)w[2],
		"ResourceType", "Replacement");
	rule(total);
	for (size_t i = 0; i < cs->nchanges; i++) {
		const struct lamb_cfn_change *c = &cs->changes[i];
		fprintf(stderr, "%-*s  %-*s  %-*s  %s\n", (int)w[0], operation(c->action), (int)w[1],
			c->logical_id ? c->logical_id : "", (int)w[2], c->resource_type ? c->resource_type : "",
			c->replacement ? c->replacement : "N/A");
	}
	rule(total);
	fprintf(stderr, "\nchange set created: %s\n", cs->id ? cs->id : "");
}

static void print_event(const struct lamb_cfn_event *e)
{
	/* the time of day from "YYYY-MM-DDTHH:MM:SS...": CloudFormation's clock, UTC */
	const char *t = e->timestamp && strlen(e->timestamp) >= 19 ? e->timestamp + 11 : "";
	fprintf(stderr, "%-8.8s  %-44s  %-36s  %-28s  %s\n", t, e->status ? e->status : "",
		e->resource_type ? e->resource_type : "", e->logical_id ? e->logical_id : "",
		e->reason ? e->reason : "-");
}

static void on_event(const struct lamb_cfn_event *e, void *data)
{
	bool *header = data;
	if (!*header) {
		fprintf(stderr, "\nCloudFormation events from stack operations\n");
		fprintf(stderr, "%-8s  %-44s  %-36s  %-28s  %s\n", "Time", "ResourceStatus", "ResourceType",
			"LogicalResourceId", "ResourceStatusReason");
		*header = true;
	}
	print_event(e);
}

struct lamb_deploy_hooks cli_aws_hooks(void)
{
	static bool header;
	return (struct lamb_deploy_hooks){ .note = on_note, .changes = on_changes, .event = on_event, .data = &header };
}

struct lamb_deploy_wait cli_aws_wait(const struct cli_aws_opts *o)
{
	return (struct lamb_deploy_wait){ .max_poll_s = o->max_poll_s, .stop = &cli_aws_interrupted };
}

void cli_aws_print_failures(const struct lamb_deploy_result *r)
{
	if (!r->failures.len)
		return;
	fprintf(stderr, "\nfailed resources:\n");
	for (size_t i = 0; i < r->failures.len; i++)
		print_event(&r->failures.v[i]);
}

int cli_aws_interrupt_exit(const char *stack_name)
{
	fprintf(stderr, "\nlamb: interrupted: no longer following stack '%s'; the stack operation goes on in "
			"CloudFormation (see its events in the console, or 'aws cloudformation describe-stack-events "
			"--stack-name %s')\n", stack_name, stack_name);
	return 128 + SIGINT;
}
