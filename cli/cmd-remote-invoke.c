/* lamb remote invoke: a deployed function run once, as sam remote invoke
 * does: the function is found among the stack's resources (by logical id,
 * or the stack's only function), invoked RequestResponse with LogType
 * Tail; the response goes to stdout, the log tail to stderr, and a
 * function error makes the exit status 1. */
#include "aws/aws-cfn.h"
#include "aws/aws-lambda.h"
#include "base/util.h"
#include "cli-aws.h"
#include "cli-run.h"
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct remote_args {
	struct cli_aws_opts aws;
	const char *stack, *id, *event, *event_file;
};

static int parse(struct remote_args *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], **slot = NULL;
		int r = cli_aws_opts_parse(&a->aws, "remote invoke", argc, argv, &i);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (cli_opt_is(arg, NULL, "--stack-name"))
			slot = &a->stack;
		else if (cli_opt_is(arg, NULL, "--region"))
			slot = &a->aws.aws.region;
		else if (cli_opt_is(arg, "-e", "--event"))
			slot = &a->event;
		else if (cli_opt_is(arg, NULL, "--event-file"))
			slot = &a->event_file;
		if (slot) {
			if (!(*slot = cli_opt_value("remote invoke", argc, argv, &i)))
				return EXIT_USAGE;
		} else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			print_help(lamb_command_find("remote invoke"), stdout);
			return -1;
		} else if (arg[0] != '-' && !a->id) {
			a->id = arg;
		} else {
			return usage_error("remote invoke", "unknown argument '%s'", arg);
		}
	}
	if (!a->stack && !a->id)
		return usage_error("remote invoke", "name the function: --stack-name STACK [LOGICAL_ID], or a "
						    "function name or ARN");
	if (a->event && a->event_file)
		return usage_error("remote invoke", "give the event once: -e or --event-file");
	return EXIT_OK;
}

/* The physical id of the stack's function id (NULL: its only function). */
static char *resolve(const struct lamb_aws_config *aws, const char *stack, const char *id)
{
	struct lamb_cfn_resource *rs;
	size_t n, found = 0, fns = 0;
	struct lamb_err err;
	if (lamb_cfn_list_stack_resources(aws, stack, &rs, &n, &err) < 0)
		return fail("%s", err.msg), NULL;
	for (size_t i = 0; i < n; i++) {
		if (!str_eq(rs[i].type, "AWS::Lambda::Function"))
			continue;
		fns++;
		if (!id || str_eq(rs[i].logical_id, id) || str_eq(rs[i].physical_id, id))
			found = i + 1;
	}
	char *phys = found && (id || fns == 1) ? xstrdup(rs[found - 1].physical_id) : NULL;
	if (!phys && id)
		fail("stack '%s' has no function '%s'", stack, id);
	else if (!phys && fns)
		fail("stack '%s' has %zu functions: name one (its logical id)", stack, fns);
	else if (!phys)
		fail("stack '%s' has no function", stack);
	if (!phys && fns > 1 && !id)
		for (size_t i = 0; i < n; i++)
			if (str_eq(rs[i].type, "AWS::Lambda::Function"))
				fprintf(stderr, "  %s\n", rs[i].logical_id);
	lamb_cfn_resources_free(rs, n);
	return phys;
}

/* -e: "-" is stdin, a file its content, anything else the event itself
 * (sam remote invoke's -e is the event's text); --event-file: a file. */
static char *read_event(const struct remote_args *a, size_t *len)
{
	if (a->event_file)
		return run_read_event(a->event_file, len);
	if (a->event && (strcmp(a->event, "-") == 0 || access(a->event, R_OK) == 0))
		return run_read_event(a->event, len);
	const char *text = a->event ? a->event : "{}";
	*len = strlen(text);
	return xstrdup(text);
}

static int invoke(const struct remote_args *a, const struct lamb_aws_config *aws, const char *name)
{
	size_t len;
	char *event = read_event(a, &len);
	if (!event)
		return EXIT_FAIL;
	struct lamb_lambda_result res;
	struct lamb_err err;
	lamb_lambda_result_init(&res);
	int r = lamb_lambda_invoke(aws, name, event, len, &res, &err) < 0 ? fail("function '%s': %s", name, err.msg)
									 : EXIT_OK;
	if (r == EXIT_OK) {
		if (res.log_tail)
			fputs(res.log_tail, stderr);
		fwrite(res.payload, 1, res.payload_len, stdout);
		if (res.payload_len && res.payload[res.payload_len - 1] != '\n')
			putchar('\n');
		if (res.function_error)
			r = fail("function '%s' failed (%s)", name, res.function_error);
	}
	lamb_lambda_result_release(&res);
	free(event);
	return r;
}

int cmd_remote_invoke(int argc, char **argv)
{
	struct remote_args a = { .stack = NULL };
	cli_aws_opts_init(&a.aws);
	int r = parse(&a, argc, argv);
	if (r != EXIT_OK)
		return r < 0 ? EXIT_OK : r;
	struct lamb_aws_config aws;
	lamb_aws_config_init(&aws);
	r = cli_aws_config_load(&aws, &a.aws);
	char *name = NULL;
	if (r == EXIT_OK)
		name = a.stack ? resolve(&aws, a.stack, a.id) : xstrdup(a.id);
	if (r == EXIT_OK)
		r = name ? invoke(&a, &aws, name) : EXIT_FAIL;
	free(name);
	lamb_aws_config_release(&aws);
	return r;
}
