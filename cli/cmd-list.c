/* lamb list functions|endpoints|resources: the model as lamb resolved it,
 * as an aligned table or as JSON (--json). */
#include "base/util.h"
#include "cli-template.h"
#include "cli.h"
#include "front/function-url.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct table {
	size_t ncols, nrows, cap;
	const char **cells; /* nrows * ncols, borrowed */
};

static void table_row(struct table *t, const char **cells)
{
	t->cells = xgrow(t->cells, &t->cap, (t->nrows + 1) * t->ncols, sizeof(*t->cells));
	memcpy(t->cells + t->nrows * t->ncols, cells, t->ncols * sizeof(*cells));
	t->nrows++;
}

static void table_print(const struct table *t)
{
	size_t width[16] = { 0 };
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t n = strlen(t->cells[r * t->ncols + c]);
			width[c] = n > width[c] ? n : width[c];
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			if (c + 1 == t->ncols)
				printf("%s\n", s);
			else
				printf("%-*s  ", (int)width[c], s);
		}
	}
}

static const char *layer_name(const struct lamb_layer_ref *l)
{
	return l->layer ? l->layer->logical_id : l->arn;
}

static cJSON *strs_json(const struct lamb_strs *s)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < s->len; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(s->v[i]));
	return a;
}

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *function_json(const struct lamb_function *f)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "logicalId", f->logical_id);
	cJSON_AddStringToObject(o, "type", f->type);
	cJSON_AddStringToObject(o, "functionName", f->name);
	cJSON_AddStringToObject(o, "arn", f->arn);
	cJSON_AddItemToObject(o, "runtime", str_or_null(f->runtime));
	cJSON_AddItemToObject(o, "handler", str_or_null(f->handler));
	cJSON_AddItemToObject(o, "codeUri", f->code_kind == LAMB_CODE_INLINE ? cJSON_CreateNull() : str_or_null(f->code));
	if (f->code_kind == LAMB_CODE_INLINE)
		cJSON_AddStringToObject(o, "inlineCode", f->code);
	cJSON_AddStringToObject(o, "packageType", f->package_type);
	cJSON_AddNumberToObject(o, "memorySize", (double)f->memory_mb);
	cJSON_AddNumberToObject(o, "timeout", (double)f->timeout_s);
	cJSON *env = cJSON_AddObjectToObject(o, "environment");
	for (size_t i = 0; i < f->env.len; i++)
		cJSON_AddStringToObject(env, f->env.v[i].key, f->env.v[i].value);
	cJSON *layers = cJSON_AddArrayToObject(o, "layers");
	for (size_t i = 0; i < f->nlayers; i++)
		cJSON_AddItemToArray(layers, cJSON_CreateString(layer_name(&f->layers[i])));
	cJSON_AddItemToObject(o, "architectures", strs_json(&f->architectures));
	cJSON *events = cJSON_AddArrayToObject(o, "events");
	for (size_t i = 0; i < f->nevents; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", f->events[i].name);
		cJSON_AddStringToObject(e, "type", f->events[i].type);
		cJSON_AddItemToArray(events, e);
	}
	if (f->reserved_concurrency >= 0)
		cJSON_AddNumberToObject(o, "reservedConcurrentExecutions", (double)f->reserved_concurrency);
	cJSON_AddItemToObject(o, "buildMethod", str_or_null(f->build_method));
	cJSON_AddBoolToObject(o, "local", !f->local_reason);
	if (f->local_reason)
		cJSON_AddStringToObject(o, "reason", f->local_reason);
	return o;
}

static cJSON *list_functions(const struct lamb_model *m, struct table *t)
{
	cJSON *a = cJSON_CreateArray();
	const char *head[] = { "LOGICAL ID", "NAME", "RUNTIME", "HANDLER", "MEMORY", "TIMEOUT", "CODE" };
	t->ncols = ARRAY_SIZE(head);
	table_row(t, head);
	for (size_t i = 0; i < m->nfunctions; i++) {
		const struct lamb_function *f = &m->functions[i];
		cJSON_AddItemToArray(a, function_json(f));
		/* table cells point into the JSON, which lives until printing */
		cJSON *o = cJSON_GetArrayItem(a, (int)i);
		char *mem = xasprintf("%ld MB", f->memory_mb), *to = xasprintf("%ld s", f->timeout_s);
		cJSON_AddStringToObject(o, "_mem", mem);
		cJSON_AddStringToObject(o, "_timeout", to);
		free(mem);
		free(to);
		const char *row[] = {
			f->logical_id, f->name, f->runtime ? f->runtime : "-", f->handler ? f->handler : "-",
			cJSON_GetStringValue(cJSON_GetObjectItem(o, "_mem")),
			cJSON_GetStringValue(cJSON_GetObjectItem(o, "_timeout")),
			f->code_kind == LAMB_CODE_INLINE ? "(inline)" : f->code ? f->code : "-",
		};
		table_row(t, row);
	}
	return a;
}

/* A function's URL, as start-api serves it. */
static void url_endpoint(const struct lamb_function *f, cJSON *a, struct table *t)
{
	char host[256], *path = xasprintf("/lambda-url/%s/", f->logical_id);
	const char *auth = f->url->iam ? "AWS_IAM" : "NONE", *mode = f->url->stream ? "RESPONSE_STREAM" : "BUFFERED";
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "method", "ANY");
	cJSON_AddStringToObject(o, "path", path);
	cJSON_AddStringToObject(o, "function", f->logical_id);
	cJSON_AddNullToObject(o, "api");
	cJSON_AddStringToObject(o, "type", "FunctionUrl");
	cJSON_AddStringToObject(o, "payloadFormat", "2.0");
	cJSON_AddNullToObject(o, "stage");
	if (lamb_function_url_host(f, host, sizeof(host)))
		cJSON_AddItemToObject(o, "host", cJSON_CreateString(strcat(host, ".lambda-url.localhost")));
	cJSON_AddStringToObject(o, "authType", auth);
	cJSON_AddStringToObject(o, "invokeMode", mode);
	cJSON_AddItemToArray(a, o);
	/* table cells point into the JSON, which lives until printing */
	const char *row[] = { "ANY", cJSON_GetObjectItem(o, "path")->valuestring, f->logical_id, "-", "FunctionUrl",
			      "2.0", "-" };
	table_row(t, row);
	free(path);
}

static cJSON *list_endpoints(const struct lamb_model *m, struct table *t)
{
	cJSON *a = cJSON_CreateArray();
	const char *head[] = { "METHOD", "PATH", "FUNCTION", "API", "TYPE", "PAYLOAD", "STAGE" };
	t->ncols = ARRAY_SIZE(head);
	table_row(t, head);
	for (size_t i = 0; i < m->nroutes; i++) {
		const struct lamb_route *r = &m->routes[i];
		const char *type = r->api->kind == LAMB_API_REST ? "Api" : "HttpApi";
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "method", r->method);
		cJSON_AddStringToObject(o, "path", r->path);
		cJSON_AddStringToObject(o, "function", r->function->logical_id);
		cJSON_AddStringToObject(o, "api", r->api->logical_id);
		cJSON_AddStringToObject(o, "type", type);
		cJSON_AddStringToObject(o, "payloadFormat", r->payload_format);
		cJSON_AddStringToObject(o, "stage", r->api->stage);
		cJSON_AddItemToArray(a, o);
		const char *row[] = { r->method, r->path, r->function->logical_id, r->api->logical_id, type,
				      r->payload_format, r->api->stage };
		table_row(t, row);
	}
	for (size_t i = 0; i < m->nfunctions; i++)
		if (m->functions[i].url)
			url_endpoint(&m->functions[i], a, t);
	return a;
}

static cJSON *list_resources(const struct lamb_model *m, struct table *t)
{
	cJSON *a = cJSON_CreateArray();
	const char *head[] = { "LOGICAL ID", "TYPE", "LOCAL", "NOTE" };
	t->ncols = ARRAY_SIZE(head);
	table_row(t, head);
	for (size_t i = 0; i < m->nresources; i++) {
		const struct lamb_resource *r = &m->resources[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "logicalId", r->logical_id);
		cJSON_AddStringToObject(o, "type", r->type);
		cJSON_AddBoolToObject(o, "local", r->local);
		cJSON_AddStringToObject(o, "note", r->note);
		cJSON_AddItemToArray(a, o);
		const char *row[] = { r->logical_id, r->type, r->local ? "yes" : "no", r->note };
		table_row(t, row);
	}
	return a;
}

static void strip_private(cJSON *a)
{
	cJSON *o;
	cJSON_ArrayForEach(o, a) {
		cJSON_DeleteItemFromObject(o, "_mem");
		cJSON_DeleteItemFromObject(o, "_timeout");
	}
}

int cmd_list(int argc, char **argv)
{
	struct template_opts o;
	const char *what = NULL;
	bool json = false;
	if (list_stack_wanted(argc, argv)) /* what a deployed stack holds: list-stack.c */
		return cmd_list_stack(argc, argv);
	template_opts_init(&o);
	o.lenient = true; /* it lists what the local commands run, loaded as they load it */
	for (int i = 1; i < argc; i++) {
		int r = template_opts_parse(&o, "list", argc, argv, &i);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (cli_opt_is(argv[i], NULL, "--stack-name") || cli_opt_is(argv[i], NULL, "--profile") ||
			 cli_opt_is(argv[i], NULL, "--endpoint-url")) {
			/* a deployed stack's options, which samconfig's global section
			 * gives every command: the template's listing has no use for them */
			if (!cli_opt_value("list", argc, argv, &i))
				return EXIT_USAGE;
		}
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			print_help(lamb_command_find("list"), stdout);
			return EXIT_OK;
		} else if (argv[i][0] != '-' && !what)
			what = argv[i];
		else
			return usage_error("list", "unknown argument '%s'", argv[i]);
	}
	cJSON *(*lister)(const struct lamb_model *, struct table *) =
		!what ? NULL : strcmp(what, "functions") == 0 ? list_functions :
		strcmp(what, "endpoints") == 0 ? list_endpoints :
		strcmp(what, "resources") == 0 ? list_resources : NULL;
	if (!lister)
		return usage_error("list", "say what to list: functions, endpoints or resources");
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = template_opts_load(&o, &diags);
	int status = EXIT_OK;
	lamb_diags_sort(&diags);
	if (diags.errors || !m) {
		lamb_diags_print(&diags, stderr);
		status = EXIT_FAIL;
	} else {
		struct table t = { 0 };
		cJSON *a = lister(m, &t);
		if (json) {
			strip_private(a);
			char *s = cJSON_Print(a);
			puts(s);
			free(s);
		} else {
			table_print(&t);
		}
		cJSON_Delete(a);
		free(t.cells);
	}
	lamb_model_free(m);
	lamb_diags_release(&diags);
	template_opts_release(&o);
	return status;
}
