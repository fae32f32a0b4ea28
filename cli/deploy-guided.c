/* lamb deploy --guided: SAM CLI's questions, in its order and words, with
 * the values already known (flags, samconfig) as the defaults, so that
 * pressing Enter keeps them. Questions go to stderr and answers come from
 * stdin, a line each; the answers can be saved to samconfig.toml, which
 * the next lamb deploy reads without flags. */
#include "base/util.h"
#include "cli.h"
#include "cmd-deploy.h"
#include "samconfig.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* One answer, def when the line is empty; NULL at the end of input. */
static char *ask(const char *question, const char *def)
{
	char *line = NULL;
	size_t cap = 0;
	fprintf(stderr, "\t%s [%s]: ", question, def ? def : "");
	fflush(stderr);
	if (getline(&line, &cap, stdin) < 0) {
		free(line);
		fputc('\n', stderr);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	char *s = line + strspn(line, " \t");
	for (size_t n = strlen(s); n && (s[n - 1] == ' ' || s[n - 1] == '\t'); n--)
		s[n - 1] = '\0';
	char *answer = xstrdup(*s ? s : def ? def : "");
	free(line);
	return answer;
}

/* A yes or no; -1 at the end of input. */
static int ask_yes(const char *question, bool def)
{
	for (;;) {
		char *a = ask(question, def ? "Y/n" : "y/N");
		if (!a)
			return -1;
		int r = strcasecmp(a, "Y/n") == 0 || strcasecmp(a, "y/N") == 0 ? def
			: strcasecmp(a, "y") == 0 || strcasecmp(a, "yes") == 0 ? 1
			: strcasecmp(a, "n") == 0 || strcasecmp(a, "no") == 0  ? 0
									     : 2;
		free(a);
		if (r != 2)
			return r;
		fprintf(stderr, "\tError: invalid input: answer y or n\n");
	}
}

static int no_answer(void)
{
	return fail("deploy --guided: no answer on standard input (run it on a terminal)");
}

/* Parameter NAME [current value] for each of the template's parameters;
 * the answers replace the overrides, as K='V' words. */
static int ask_params(struct deploy_args *a, struct lamb_buf *words)
{
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = template_opts_load(&a->t, &diags);
	lamb_diags_print(&diags, stderr);
	int r = m && !diags.errors ? EXIT_OK : EXIT_FAIL;
	for (size_t i = 0; r == EXIT_OK && i < m->nparams; i++) {
		char *q = xasprintf("Parameter %s", m->params[i].name);
		char *v = ask(q, m->params[i].value);
		free(q);
		if (!v) {
			r = no_answer();
			break;
		}
		char quote = strchr(v, '"') ? '\'' : '"'; /* as SAM writes them: Key="Value" */
		if (strchr(v, '\'') && strchr(v, '"'))
			r = fail("deploy --guided: a value with both quotes cannot be passed on: '%s'", v);
		lamb_buf_addf(words, "%s%s=%c%s%c", words->len ? " " : "", m->params[i].name, quote, v, quote);
		free(v);
	}
	lamb_model_free(m);
	lamb_diags_release(&diags);
	return r;
}

static bool has_iam(const struct deploy_args *a)
{
	for (size_t i = 0; i < a->ncaps; i++)
		if (strcmp(a->caps[i], "CAPABILITY_IAM") == 0 || strcmp(a->caps[i], "CAPABILITY_NAMED_IAM") == 0)
			return true;
	return false;
}

/* Allow IAM role creation [Y/n], else the capabilities asked for. */
static int ask_caps(struct deploy_args *a)
{
	fprintf(stderr, "\t#SAM needs permission to be able to create roles to connect to the resources in your "
			"template\n");
	int yes = ask_yes("Allow SAM CLI IAM role creation", a->ncaps == 0 || has_iam(a));
	if (yes < 0)
		return no_answer();
	if (yes && !has_iam(a))
		deploy_args_add_cap(a, "CAPABILITY_IAM");
	if (yes)
		return EXIT_OK;
	struct lamb_buf cur;
	lamb_buf_init(&cur);
	for (size_t i = 0; i < a->ncaps; i++)
		lamb_buf_addf(&cur, "%s%s", i ? " " : "", a->caps[i]);
	char *v = ask("Capabilities", cur.len ? cur.data : "CAPABILITY_NAMED_IAM");
	lamb_buf_release(&cur);
	if (!v)
		return no_answer();
	for (size_t i = 0; i < a->ncaps; i++)
		free((char *)a->caps[i]);
	a->ncaps = 0;
	char *save = NULL;
	for (char *w = strtok_r(v, " ,", &save); w; w = strtok_r(NULL, " ,", &save))
		deploy_args_add_cap(a, w);
	free(v);
	return EXIT_OK;
}

/* The answers as [ENV.deploy.parameters] keys. */
static cJSON *answers_json(const struct deploy_args *a, const char *overrides)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "stack_name", a->d.stack_name);
	if (a->d.package.bucket) {
		cJSON_AddStringToObject(p, "s3_bucket", a->d.package.bucket);
	} else {
		cJSON_AddBoolToObject(p, "resolve_s3", a->resolve_s3);
	}
	cJSON_AddStringToObject(p, "s3_prefix", a->d.package.prefix);
	cJSON_AddStringToObject(p, "region", a->t.region);
	cJSON_AddBoolToObject(p, "confirm_changeset", a->confirm);
	cJSON *caps = cJSON_AddArrayToObject(p, "capabilities");
	for (size_t i = 0; i < a->ncaps; i++)
		cJSON_AddItemToArray(caps, cJSON_CreateString(a->caps[i]));
	if (*overrides)
		cJSON_AddStringToObject(p, "parameter_overrides", overrides);
	return p;
}

/* Save arguments to configuration file [Y/n], and where. */
static int ask_save(const struct deploy_args *a, const char *overrides)
{
	int yes = ask_yes("Save arguments to configuration file", true);
	if (yes <= 0)
		return yes < 0 ? no_answer() : EXIT_OK;
	char *file = ask("SAM configuration file", "samconfig.toml");
	char *env = file ? ask("SAM configuration environment", "default") : NULL;
	int r = env ? EXIT_OK : no_answer();
	if (r == EXIT_OK) {
		cJSON *p = answers_json(a, overrides);
		r = cli_config_save(file, env, "deploy", p);
		cJSON_Delete(p);
	}
	free(file);
	free(env);
	return r;
}

static const char *default_region(const struct deploy_args *a)
{
	const char *env = getenv("AWS_REGION");
	if (a->t.region)
		return a->t.region;
	if (!env || !*env)
		env = getenv("AWS_DEFAULT_REGION");
	return env && *env ? env : "us-east-1";
}

/* Stack Name, AWS Region and the parameters. */
static int ask_stack(struct deploy_args *a, struct lamb_buf *overrides)
{
	char *stack = ask("Stack Name", a->d.stack_name ? a->d.stack_name : "sam-app");
	char *region = stack ? ask("AWS Region", default_region(a)) : NULL;
	if (!region) {
		free(stack);
		return no_answer();
	}
	if (!*stack)
		return free(stack), free(region), fail("deploy --guided: the stack needs a name");
	a->d.stack_name = deploy_args_keep(a, stack);
	a->t.region = deploy_args_keep(a, region);
	int r = ask_params(a, overrides);
	if (r != EXIT_OK)
		return r;
	/* the answers are the parameters now, in place of the earlier overrides */
	struct lamb_err err;
	lamb_overrides_release(&a->t.overrides);
	lamb_overrides_init(&a->t.overrides);
	if (overrides->len && lamb_overrides_add(&a->t.overrides, overrides->data, &err) < 0)
		return fail("deploy --guided: %s", err.msg);
	return EXIT_OK;
}

int deploy_guided(struct deploy_args *a)
{
	struct lamb_buf overrides;
	lamb_buf_init(&overrides);
	lamb_buf_add(&overrides, "", 0);
	fprintf(stderr, "\nConfiguring SAM deploy\n======================\n\n"
			"\tSetting default arguments for 'lamb deploy'\n"
			"\t==========================================\n");
	int r = ask_stack(a, &overrides);
	if (r == EXIT_OK) {
		fprintf(stderr, "\t#Shows you resources changes to be deployed and require a 'Y' to initiate deploy\n");
		int yes = ask_yes("Confirm changes before deploy", a->confirm);
		r = yes < 0 ? no_answer() : EXIT_OK;
		a->confirm = yes > 0;
	}
	if (r == EXIT_OK)
		r = ask_caps(a);
	if (r == EXIT_OK && !a->d.package.bucket)
		a->resolve_s3 = true; /* as SAM's guided deploy: the managed bucket */
	if (r == EXIT_OK && !a->d.package.prefix)
		a->d.package.prefix = a->d.stack_name; /* SAM's s3_prefix: the stack's name, saved as used */
	if (r == EXIT_OK)
		r = ask_save(a, overrides.data);
	lamb_buf_release(&overrides);
	return r;
}
