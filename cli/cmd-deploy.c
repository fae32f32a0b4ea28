/* lamb deploy: the template packaged and deployed as a CloudFormation stack
 * through a change set, its events followed until the stack settles.
 * Credentials and region are checked before anything is built or sent.
 * Progress, the change set and the events go to stderr. */
#include "aws/deploy.h"
#include "base/util.h"
#include "cli-aws.h"
#include "cli-build.h"
#include "cli-template.h"
#include "cli.h"
#include "cmd-deploy.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>


static void args_init(struct deploy_args *a)
{
	memset(a, 0, sizeof(*a));
	template_opts_init(&a->t);
	cli_aws_opts_init(&a->aws);
	lamb_overrides_init(&a->tags);
	a->fail_on_empty = true;
}

static void args_release(struct deploy_args *a)
{
	template_opts_release(&a->t);
	lamb_overrides_release(&a->tags);
	for (size_t i = 0; i < a->ncaps; i++)
		free((char *)a->caps[i]);
	free(a->caps);
	free((void *)a->d.tags);
	for (size_t i = 0; i < a->nowned; i++)
		free(a->owned[i]);
	free(a->owned);
}

char *deploy_args_keep(struct deploy_args *a, char *s)
{
	a->owned = xgrow(a->owned, &a->owncap, a->nowned + 1, sizeof(*a->owned));
	a->owned[a->nowned++] = s;
	return s;
}

void deploy_args_add_cap(struct deploy_args *a, const char *cap)
{
	a->caps = xgrow(a->caps, &a->capcap, a->ncaps + 1, sizeof(*a->caps));
	a->caps[a->ncaps++] = xstrdup(cap);
}

/* Whether argv[i + 1] continues a list option's values. */
static bool more(int argc, char **argv, int i)
{
	return i + 1 < argc && argv[i + 1][0] != '-';
}

/* --capabilities A B, or "A B", or A,B */
static int parse_caps(struct deploy_args *a, int argc, char **argv, int *i)
{
	const char *v = cli_opt_value("deploy", argc, argv, i);
	if (!v)
		return -1;
	for (; v; v = more(argc, argv, *i) ? argv[++*i] : NULL) {
		char *copy = xstrdup(v), *save = NULL;
		for (char *w = strtok_r(copy, " ,", &save); w; w = strtok_r(NULL, " ,", &save))
			deploy_args_add_cap(a, w);
		free(copy);
	}
	return 1;
}

/* --tags K=V K2=V2, or "K=V K2='with blanks'" */
static int parse_tags(struct deploy_args *a, int argc, char **argv, int *i)
{
	const char *v = cli_opt_value("deploy", argc, argv, i);
	if (!v)
		return -1;
	for (; v; v = more(argc, argv, *i) && strchr(argv[*i + 1], '=') ? argv[++*i] : NULL) {
		struct lamb_err err;
		if (str_starts(v, "file://") || str_starts(v, "ParameterKey=") ||
		    lamb_overrides_add(&a->tags, v, &err) < 0)
			return usage_error("deploy", "malformed tag '%s': expected KEY=VALUE", v), -1;
	}
	return 1;
}

static int parse_flag(struct deploy_args *a, const char *arg)
{
	if (strcmp(arg, "--no-execute-changeset") == 0)
		a->d.no_execute = true;
	else if (strcmp(arg, "--fail-on-empty-changeset") == 0)
		a->fail_on_empty = true;
	else if (strcmp(arg, "--no-fail-on-empty-changeset") == 0)
		a->fail_on_empty = false;
	else if (strcmp(arg, "--force-upload") == 0)
		a->d.package.force_upload = true;
	else if (strcmp(arg, "--no-verify") == 0)
		a->d.package.no_verify = true;
	else if (strcmp(arg, "--guided") == 0 || strcmp(arg, "-g") == 0)
		a->guided = true;
	else if (strcmp(arg, "--resolve-s3") == 0)
		a->resolve_s3 = true;
	else if (strcmp(arg, "--no-resolve-s3") == 0)
		a->resolve_s3 = false;
	else if (strcmp(arg, "--confirm-changeset") == 0)
		a->confirm = true;
	else if (strcmp(arg, "--no-confirm-changeset") == 0)
		a->confirm = false;
	else
		return 0;
	return 1;
}

/* A value option of deploy's own: 1, 0 when not one, -1 after a usage error. */
static int parse_value(struct deploy_args *a, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];
	const char **slot;
	if (cli_opt_is(arg, NULL, "--stack-name"))
		slot = &a->d.stack_name;
	else if (cli_opt_is(arg, NULL, "--s3-bucket"))
		slot = &a->d.package.bucket;
	else if (cli_opt_is(arg, NULL, "--s3-prefix"))
		slot = &a->d.package.prefix;
	else if (cli_opt_is(arg, "-b", "--build-dir"))
		slot = &a->d.package.build.build_dir;
	else if (cli_opt_is(arg, NULL, "--capabilities"))
		return parse_caps(a, argc, argv, i);
	else if (cli_opt_is(arg, NULL, "--tags"))
		return parse_tags(a, argc, argv, i);
	else
		return 0;
	*slot = cli_opt_value("deploy", argc, argv, i);
	return *slot ? 1 : -1;
}

static int parse(struct deploy_args *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int r = template_opts_parse(&a->t, "deploy", argc, argv, &i);
		if (r == 0)
			r = cli_aws_opts_parse(&a->aws, "deploy", argc, argv, &i);
		if (r == 0)
			r = parse_value(a, argc, argv, &i);
		if (r == 0)
			r = parse_flag(a, arg);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			print_help(lamb_command_find("deploy"), stdout);
			return -1;
		}
		return usage_error("deploy", "unknown argument '%s'", arg);
	}
	if (!a->guided && (!a->d.stack_name || !*a->d.stack_name))
		return usage_error("deploy", "--stack-name is required (or answer it with --guided)");
	return EXIT_OK;
}

/* The tags and capabilities as the library wants them. */
static void finish_args(struct deploy_args *a)
{
	struct lamb_cfn_tag *tags = xcalloc(a->tags.len + 1, sizeof(*tags));
	for (size_t i = 0; i < a->tags.len; i++)
		tags[i] = (struct lamb_cfn_tag){ a->tags.v[i].key, a->tags.v[i].value };
	a->d.tags = tags;
	a->d.ntags = a->tags.len;
	a->d.capabilities = a->caps;
	a->d.ncapabilities = a->ncaps;
	a->aws.aws.region = a->t.region;
}

static void on_upload(const struct lamb_package_report *r, void *data)
{
	(void)data;
	if (r->state == LAMB_PACKAGE_UPLOADED)
		fprintf(stderr, "uploaded   '%s': %s (%llu bytes)\n", r->id, r->uri, (unsigned long long)r->size);
	else if (r->state == LAMB_PACKAGE_EXISTS)
		fprintf(stderr, "up to date '%s': %s is there already\n", r->id, r->uri);
}

static void print_outputs(const struct lamb_cfn_stack *s)
{
	if (!s->noutputs)
		return;
	fprintf(stderr, "\nCloudFormation outputs from deployed stack\n");
	for (size_t i = 0; i < s->noutputs; i++) {
		const struct lamb_cfn_output *o = &s->outputs[i];
		fprintf(stderr, "%sKey          %s\nDescription  %s\nValue        %s\n", i ? "\n" : "",
			o->key ? o->key : "", o->description ? o->description : "-", o->value ? o->value : "");
	}
}

static int report(const struct deploy_args *a, const struct lamb_aws_config *aws, const struct lamb_deploy_result *r)
{
	const char *name = a->d.stack_name;
	switch (r->outcome) {
	case LAMB_DEPLOY_DONE:
		print_outputs(&r->stack);
		fprintf(stderr, "\nSuccessfully created/updated stack - %s in %s\n", name, aws->region);
		return EXIT_OK;
	case LAMB_DEPLOY_NO_CHANGES:
		fprintf(stderr, "No changes to deploy. Stack %s is up to date\n", name);
		return a->fail_on_empty ? EXIT_FAIL : EXIT_OK;
	case LAMB_DEPLOY_NOT_EXECUTED:
		fprintf(stderr, "not executed (--no-execute-changeset); execute it with:\n"
				"  aws cloudformation execute-change-set --change-set-name %s\n", r->change_set_id);
		return EXIT_OK;
	case LAMB_DEPLOY_CHANGE_SET_FAILED:
		return fail("cannot deploy stack '%s': the change set failed: %s", name, r->reason);
	case LAMB_DEPLOY_INTERRUPTED:
		return cli_aws_interrupt_exit(name);
	case LAMB_DEPLOY_DECLINED:
		fprintf(stderr, "not executed: change set %s waits in CloudFormation\n", r->change_set_id);
		return EXIT_OK;
	case LAMB_DEPLOY_STACK_FAILED:
	case LAMB_DEPLOY_NO_STACK:
		break;
	}
	cli_aws_print_failures(r);
	return fail("stack '%s' failed to %s: %s%s%s", name, strcmp(r->type, "CREATE") == 0 ? "create" : "update",
		    r->stack.status ? r->stack.status : "unknown state", r->reason ? ": " : "", r->reason ? r->reason : "");
}

/* --confirm-changeset, after the change set's table */
static bool confirm(const struct lamb_cfn_change_set *cs, void *data)
{
	(void)cs;
	(void)data;
	char line[64];
	fprintf(stderr, "\nPreviewing CloudFormation changeset before deployment\n"
			"======================================================\n"
			"Deploy this changeset? [y/N]: ");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

/* --resolve-s3: the managed stack's bucket as --s3-bucket. */
static int resolve_s3(struct deploy_args *a, const struct lamb_aws_config *aws)
{
	struct lamb_deploy_hooks quiet = cli_aws_hooks(LAMB_MANAGED_STACK, false);
	struct lamb_err err;
	char *bucket;
	quiet.changes = NULL;
	quiet.event = NULL;
	if (lamb_deploy_managed_bucket(aws, &a->d.wait, &quiet, &bucket, &err) < 0)
		return fail("%s", err.msg);
	a->d.package.bucket = deploy_args_keep(a, bucket);
	fprintf(stderr, "\n\tManaged S3 bucket: %s\n\tA different default S3 bucket can be set in "
			"samconfig.toml\n\n", bucket);
	return EXIT_OK;
}

static int deploy(struct deploy_args *a, const struct lamb_aws_config *aws)
{
	a->d.wait = cli_aws_wait(&a->aws);
	if (a->resolve_s3 && !a->d.package.bucket && resolve_s3(a, aws) != EXIT_OK)
		return EXIT_FAIL;
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = template_opts_load(&a->t, &diags);
	lamb_diags_sort(&diags);
	lamb_diags_print(&diags, stderr);
	int status = EXIT_FAIL;
	if (m && !diags.errors) {
		struct cli_build_progress pr = { .quiet_cached = true };
		struct lamb_deploy_result res;
		struct lamb_err err;
		a->d.package.build.progress = cli_build_on_progress;
		a->d.package.build.data = &pr;
		cli_build_doctor_opts(&a->d.package.build);
		a->d.package.progress = on_upload;
		a->d.hooks = cli_aws_hooks(a->d.stack_name, false);
		if (a->confirm)
			a->d.hooks.confirm = confirm;
		lamb_deploy_result_init(&res);
		cli_aws_catch_interrupt();
		if (lamb_deploy(m, aws, &a->d, &res, &err) == 0) {
			status = report(a, aws, &res);
		} else {
			status = fail("%s", err.msg);
			if (cli_aws_interrupted)
				status = 128 + SIGINT; /* the message says what was left */
		}
		lamb_deploy_result_release(&res);
	}
	lamb_model_free(m);
	lamb_diags_release(&diags);
	return status;
}

int cmd_deploy(int argc, char **argv)
{
	struct deploy_args a;
	args_init(&a);
	int r = parse(&a, argc, argv);
	if (r == EXIT_OK && a.guided)
		r = deploy_guided(&a);
	if (r == EXIT_OK) {
		struct lamb_aws_config aws;
		finish_args(&a);
		lamb_aws_config_init(&aws);
		r = cli_aws_config_load(&aws, &a.aws);
		if (r == EXIT_OK)
			r = deploy(&a, &aws);
		lamb_aws_config_release(&aws);
	} else if (r < 0) {
		r = EXIT_OK;
	}
	args_release(&a);
	return r;
}
