/* The AWS options, Ctrl-C while following a stack, and the printing of
 * change sets and stack events for lamb deploy and lamb delete. Everything
 * goes to stderr, as SAM CLI's tables do; events are printed as they
 * arrive, so their columns are sized before the first one comes. */
#include "base/util.h"
#include "cli-aws.h"
#include "cli.h"

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

/* The events' columns: ResourceStatus sized for the longest status the
 * operation can show, ResourceType and LogicalResourceId for the longest of
 * the change set (known before it executes) and of the stack itself. A cell
 * longer than its column (a delete knows no change set) goes on over the
 * next lines of its own column, so the columns stay aligned. */
struct event_table {
	bool header;
	int status_w, type_w, id_w;
};

/* CREATE_IN_PROGRESS ... ROLLBACK_IN_PROGRESS; an update adds
 * UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS; a delete shows DELETE_* only */
enum { STATUS_CREATE_W = 20, STATUS_UPDATE_W = 44, STATUS_DELETE_W = 18 };

static struct event_table table = { .status_w = STATUS_UPDATE_W, .type_w = 36, .id_w = 40 };

static int widest_int(int w, const char *s)
{
	return (int)widest((size_t)w, s);
}

static void on_changes(const struct lamb_cfn_change_set *cs, void *data)
{
	struct event_table *t = data;
	size_t w[3] = { strlen("Operation"), strlen("LogicalResourceId"), strlen("ResourceType") };
	for (size_t i = 0; i < cs->nchanges; i++) {
		w[0] = widest(w[0], operation(cs->changes[i].action));
		w[1] = widest(w[1], cs->changes[i].logical_id);
		w[2] = widest(w[2], cs->changes[i].resource_type);
		t->id_w = widest_int(t->id_w, cs->changes[i].logical_id);
		t->type_w = widest_int(t->type_w, cs->changes[i].resource_type);
	}
	if (str_eq(cs->type, "CREATE"))
		t->status_w = STATUS_CREATE_W;
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

/* Prints up to w bytes of *s padded to w, and moves *s past them. */
static void cell(const char **s, int w)
{
	int n = (int)strnlen(*s, (size_t)w);
	fprintf(stderr, "%-*.*s  ", w, n, *s);
	*s += n;
}

static void print_row(const char *time, const char *status, const char *type, const char *id, const char *reason)
{
	fprintf(stderr, "%-8.8s  ", time);
	cell(&status, table.status_w);
	cell(&type, table.type_w);
	cell(&id, table.id_w);
	fprintf(stderr, "%s\n", reason);
	while (*status || *type || *id) {
		fprintf(stderr, "%-8s  ", "");
		cell(&status, table.status_w);
		cell(&type, table.type_w);
		cell(&id, table.id_w);
		fputc('\n', stderr);
	}
}

static void print_event(const struct lamb_cfn_event *e)
{
	/* the time of day from "YYYY-MM-DDTHH:MM:SS...": CloudFormation's clock, UTC */
	const char *t = e->timestamp && strlen(e->timestamp) >= 19 ? e->timestamp + 11 : "";
	print_row(t, e->status ? e->status : "", e->resource_type ? e->resource_type : "",
		  e->logical_id ? e->logical_id : "", e->reason ? e->reason : "-");
}

static void on_event(const struct lamb_cfn_event *e, void *data)
{
	struct event_table *t = data;
	if (!t->header) {
		fprintf(stderr, "\nCloudFormation events from stack operations\n");
		print_row("Time", "ResourceStatus", "ResourceType", "LogicalResourceId", "ResourceStatusReason");
		t->header = true;
	}
	print_event(e);
}

struct lamb_deploy_hooks cli_aws_hooks(const char *stack_name, bool deleting)
{
	/* a delete knows no change set: room for common ids and types, the rest wraps */
	table = (struct event_table){
		.status_w = deleting ? STATUS_DELETE_W : STATUS_UPDATE_W,
		.type_w = deleting ? 36 : (int)strlen("AWS::CloudFormation::Stack"),
		.id_w = widest_int(deleting ? 40 : (int)strlen("LogicalResourceId"), stack_name),
	};
	return (struct lamb_deploy_hooks){ .note = on_note, .changes = on_changes, .event = on_event, .data = &table };
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
