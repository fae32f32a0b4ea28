/* lamb delete: a CloudFormation stack deleted and followed until it is
 * gone. On a terminal it asks first (as sam delete does); without one it
 * wants --no-prompts, so that a script never deletes by accident nor waits
 * for an answer nobody will type. The S3 artifacts are left alone: their
 * keys are content hashes, which other stacks may share. */
#include "aws/deploy.h"
#include "base/util.h"
#include "cli-aws.h"
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct delete_args {
	struct cli_aws_opts aws;
	const char *stack_name;
	bool no_prompts;
};

static int parse(struct delete_args *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int r = cli_aws_opts_parse(&a->aws, "delete", argc, argv, &i);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (cli_opt_is(arg, NULL, "--stack-name") || cli_opt_is(arg, NULL, "--region")) {
			const char *v = cli_opt_value("delete", argc, argv, &i);
			if (!v)
				return EXIT_USAGE;
			*(arg[2] == 's' ? &a->stack_name : &a->aws.aws.region) = v;
		} else if (strcmp(arg, "--no-prompts") == 0) {
			a->no_prompts = true;
		} else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			print_help(lamb_command_find("delete"), stdout);
			return -1;
		} else {
			return usage_error("delete", "unknown argument '%s'", arg);
		}
	}
	if (!a->stack_name || !*a->stack_name)
		return usage_error("delete", "--stack-name is required");
	return EXIT_OK;
}

/* The question on the terminal: true for y or yes. */
static bool confirm(const char *stack, const char *region)
{
	char line[64];
	fprintf(stderr, "Are you sure you want to delete the stack %s in the region %s ? [y/N]: ", stack, region);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

static int report(const char *name, const struct lamb_deploy_result *r)
{
	switch (r->outcome) {
	case LAMB_DEPLOY_DONE:
		fprintf(stderr, "\nDeleted successfully\n");
		return EXIT_OK;
	case LAMB_DEPLOY_NO_STACK:
		fprintf(stderr, "lamb: stack '%s' does not exist: nothing to delete\n", name);
		return EXIT_OK;
	case LAMB_DEPLOY_INTERRUPTED:
		return cli_aws_interrupt_exit(name);
	default:
		break;
	}
	cli_aws_print_failures(r);
	return fail("stack '%s' failed to delete: %s%s%s", name, r->stack.status ? r->stack.status : "unknown state",
		    r->reason ? ": " : "", r->reason ? r->reason : "");
}

static int delete(const struct delete_args *a, const struct lamb_aws_config *aws)
{
	if (!a->no_prompts && !isatty(0))
		return fail("standard input is not a terminal, so lamb delete cannot ask before deleting stack "
			    "'%s': pass --no-prompts to delete it without asking", a->stack_name);
	if (!a->no_prompts && !confirm(a->stack_name, aws->region)) {
		fprintf(stderr, "stack '%s' kept\n", a->stack_name);
		return EXIT_OK;
	}
	struct lamb_deploy_hooks hooks = cli_aws_hooks(a->stack_name, true);
	struct lamb_deploy_wait wait = cli_aws_wait(&a->aws);
	struct lamb_deploy_result res;
	struct lamb_err err;
	lamb_deploy_result_init(&res);
	cli_aws_catch_interrupt();
	int status;
	if (lamb_deploy_delete(aws, a->stack_name, &wait, &hooks, &res, &err) == 0) {
		status = report(a->stack_name, &res);
	} else {
		status = fail("%s", err.msg);
		if (cli_aws_interrupted)
			status = 128 + SIGINT; /* the message says what was left */
	}
	lamb_deploy_result_release(&res);
	return status;
}

int cmd_delete(int argc, char **argv)
{
	struct delete_args a = { 0 };
	cli_aws_opts_init(&a.aws);
	int r = parse(&a, argc, argv);
	if (r == EXIT_OK) {
		struct lamb_aws_config aws;
		lamb_aws_config_init(&aws);
		r = cli_aws_config_load(&aws, &a.aws);
		if (r == EXIT_OK)
			r = delete(&a, &aws);
		lamb_aws_config_release(&aws);
	} else if (r < 0) {
		r = EXIT_OK;
	}
	return r;
}
