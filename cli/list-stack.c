/* lamb list stack-outputs and lamb list endpoints --stack-name: what a
 * deployed stack holds, as sam list shows it: its outputs, and the URLs of
 * its APIs (API Gateway REST APIs with each of the stack's stages, HTTP
 * APIs at their default endpoint). A table, or JSON with --json. */
#include "aws/aws-cfn.h"
#include "base/util.h"
#include "cli-aws.h"
#include "cli.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stack_args {
	struct cli_aws_opts aws;
	const char *stack, *what;
	bool json;
};

bool list_stack_wanted(int argc, char **argv)
{
	bool outputs = false, endpoints = false, stack = false;
	for (int i = 1; i < argc; i++) {
		outputs |= strcmp(argv[i], "stack-outputs") == 0;
		endpoints |= strcmp(argv[i], "endpoints") == 0;
		stack |= cli_opt_is(argv[i], NULL, "--stack-name");
	}
	/* functions and resources are the template's even with a stack name
	 * (one samconfig's global section gives every command) */
	return outputs || (endpoints && stack);
}

static int parse(struct stack_args *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], **slot = NULL;
		int r = cli_aws_opts_parse(&a->aws, "list", argc, argv, &i);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (cli_opt_is(arg, NULL, "--stack-name"))
			slot = &a->stack;
		else if (cli_opt_is(arg, NULL, "--region"))
			slot = &a->aws.aws.region;
		if (slot && !(*slot = cli_opt_value("list", argc, argv, &i)))
			return EXIT_USAGE;
		if (slot)
			continue;
		if (strcmp(arg, "--json") == 0 || strcmp(arg, "--output=json") == 0)
			a->json = true;
		else if (arg[0] != '-' && !a->what)
			a->what = arg;
		else
			return usage_error("list", "unknown argument '%s'", arg);
	}
	if (!str_eq(a->what, "stack-outputs") && !str_eq(a->what, "endpoints"))
		return usage_error("list", "with --stack-name, list stack-outputs or endpoints");
	if (!a->stack)
		return usage_error("list", "%s needs --stack-name", a->what);
	return EXIT_OK;
}

/* Rows of cells as an aligned table (ncols per row), or a JSON array of
 * objects keyed by the header's names. */
static void print_rows(const char *const *head, size_t ncols, char **cells, size_t nrows, bool json)
{
	if (json) {
		cJSON *a = cJSON_CreateArray();
		for (size_t r = 0; r < nrows; r++) {
			cJSON *o = cJSON_CreateObject();
			for (size_t c = 0; c < ncols; c++)
				cJSON_AddStringToObject(o, head[c], cells[r * ncols + c] ? cells[r * ncols + c] : "");
			cJSON_AddItemToArray(a, o);
		}
		char *s = cJSON_Print(a);
		puts(s);
		free(s);
		cJSON_Delete(a);
		return;
	}
	size_t w[8] = { 0 };
	for (size_t c = 0; c < ncols; c++) {
		w[c] = strlen(head[c]);
		for (size_t r = 0; r < nrows; r++)
			if (cells[r * ncols + c] && strlen(cells[r * ncols + c]) > w[c])
				w[c] = strlen(cells[r * ncols + c]);
	}
	for (size_t r = 0; r <= nrows; r++)
		for (size_t c = 0; c < ncols; c++) {
			const char *v = r ? cells[(r - 1) * ncols + c] : head[c];
			if (c + 1 < ncols)
				printf("%-*s  ", (int)w[c], v ? v : "-");
			else
				printf("%s\n", v ? v : "-");
		}
}

static int outputs(const struct stack_args *a, const struct lamb_aws_config *aws)
{
	static const char *const head[] = { "OutputKey", "OutputValue", "Description" };
	struct lamb_cfn_stack s;
	struct lamb_err err;
	lamb_cfn_stack_init(&s);
	int rc = lamb_cfn_describe_stack(aws, a->stack, &s, &err);
	int r = rc < 0 ? fail("%s", err.msg) : rc > 0 ? fail("stack '%s' does not exist", a->stack) : EXIT_OK;
	if (r == EXIT_OK) {
		char **cells = xcalloc(s.noutputs * 3 + 1, sizeof(*cells));
		for (size_t i = 0; i < s.noutputs; i++) {
			cells[i * 3] = s.outputs[i].key;
			cells[i * 3 + 1] = s.outputs[i].value;
			cells[i * 3 + 2] = s.outputs[i].description;
		}
		print_rows(head, 3, cells, s.noutputs, a->json);
		free(cells);
	}
	lamb_cfn_stack_release(&s);
	return r;
}

/* The URL rows of one API resource: a REST API with each stage, an HTTP API once. */
static void api_rows(const struct lamb_cfn_resource *api, const struct lamb_cfn_resource *rs, size_t n,
		     const char *region, struct lamb_buf *keep, char ***cells, size_t *rows)
{
	bool rest = str_eq(api->type, "AWS::ApiGateway::RestApi");
	for (size_t i = 0; i <= n; i++) {
		bool stage = i < n && str_eq(rs[i].type, "AWS::ApiGateway::Stage");
		if ((rest && !stage) || (!rest && i < n))
			continue;
		char *url = xasprintf("https://%s.execute-api.%s.amazonaws.com%s%s", api->physical_id, region,
				      rest ? "/" : "", rest ? rs[i].physical_id : "");
		lamb_buf_add(keep, &url, sizeof(url));
		*cells = xrealloc(*cells, (*rows + 1) * 3 * sizeof(**cells));
		(*cells)[*rows * 3] = api->logical_id;
		(*cells)[*rows * 3 + 1] = api->physical_id;
		(*cells)[*rows * 3 + 2] = url;
		++*rows;
	}
}

static int endpoints(const struct stack_args *a, const struct lamb_aws_config *aws)
{
	static const char *const head[] = { "ResourceId", "PhysicalId", "CloudEndpoint" };
	struct lamb_cfn_resource *rs;
	size_t n, rows = 0;
	struct lamb_err err;
	if (lamb_cfn_list_stack_resources(aws, a->stack, &rs, &n, &err) < 0)
		return fail("%s", err.msg);
	char **cells = NULL;
	struct lamb_buf keep; /* the URLs' pointers, to free */
	lamb_buf_init(&keep);
	for (size_t i = 0; i < n; i++)
		if (str_eq(rs[i].type, "AWS::ApiGateway::RestApi") || str_eq(rs[i].type, "AWS::ApiGatewayV2::Api"))
			api_rows(&rs[i], rs, n, aws->region, &keep, &cells, &rows);
	print_rows(head, 3, cells, rows, a->json);
	for (size_t i = 0; i < keep.len / sizeof(char *); i++)
		free(((char **)(void *)keep.data)[i]);
	lamb_buf_release(&keep);
	free(cells);
	lamb_cfn_resources_free(rs, n);
	return EXIT_OK;
}

int cmd_list_stack(int argc, char **argv)
{
	struct stack_args a = { .stack = NULL };
	cli_aws_opts_init(&a.aws);
	int r = parse(&a, argc, argv);
	if (r != EXIT_OK)
		return r;
	struct lamb_aws_config aws;
	lamb_aws_config_init(&aws);
	r = cli_aws_config_load(&aws, &a.aws);
	if (r == EXIT_OK)
		r = str_eq(a.what, "stack-outputs") ? outputs(&a, &aws) : endpoints(&a, &aws);
	lamb_aws_config_release(&aws);
	return r;
}
