/* samconfig.toml and samconfig.yaml read for every command and turned into
 * options (samconfig.h). The keys are matched against the command's --help
 * text, as SAM CLI matches them against its click options: a key the
 * command has no option for is skipped (said under --debug), not an error,
 * since one [default.global.parameters] serves commands with different
 * options. */
#include "base/toml.h"
#include "base/util.h"
#include "samconfig.h"
#include "template/template.h"

#include <cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* a YAML file's aliases may share nodes: the copy is bounded */
enum { MAX_YAML_NODES = 100000 };

int cli_config_take(const char *cmd, struct cli_config_opts *o, int *argc, char **argv)
{
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		const char **slot = NULL;
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (cli_opt_is(argv[i], NULL, "--config-file"))
			slot = &o->file;
		else if (cli_opt_is(argv[i], NULL, "--config-env"))
			slot = &o->env;
		if (!slot) {
			argv[out++] = argv[i];
			continue;
		}
		*slot = cli_opt_value(cmd, *argc, argv, &i);
		if (!*slot)
			return -1;
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

static cJSON *scalar_json(const struct lamb_node *n)
{
	if (n->quoted)
		return cJSON_CreateString(n->str);
	if (strcmp(n->str, "true") == 0 || strcmp(n->str, "false") == 0)
		return cJSON_CreateBool(n->str[0] == 't');
	char *end;
	errno = 0;
	double d = strtod(n->str, &end);
	if (*n->str && !*end && !errno && !isspace((unsigned char)*n->str) && !strpbrk(n->str, "xXnN"))
		return cJSON_CreateNumber(d);
	return cJSON_CreateString(n->str);
}

static cJSON *node_json(const struct lamb_node *n, size_t *budget)
{
	if (!n || *budget == 0)
		return NULL;
	--*budget;
	if (n->kind == LAMB_SCALAR)
		return scalar_json(n);
	cJSON *j = n->kind == LAMB_SEQ ? cJSON_CreateArray() : cJSON_CreateObject();
	for (size_t i = 0; i < n->len; i++) {
		cJSON *v = node_json(n->kind == LAMB_SEQ ? n->items[i] : n->pairs[i].value, budget);
		if (!v) {
			cJSON_Delete(j);
			return NULL;
		}
		if (n->kind == LAMB_SEQ)
			cJSON_AddItemToArray(j, v);
		else
			cJSON_AddItemToObject(j, n->pairs[i].key->str, v);
	}
	return j;
}

static cJSON *read_yaml(const char *path, const char *text, size_t len)
{
	struct lamb_arena *a = lamb_arena_new();
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_node *root = lamb_template_parse(a, path, text, len, &diags);
	size_t budget = MAX_YAML_NODES;
	cJSON *j = root && !diags.errors ? node_json(root, &budget) : NULL;
	if (root && !diags.errors && !j)
		fail("cannot read '%s': more than %d values (aliases?)", path, MAX_YAML_NODES);
	lamb_diags_print(&diags, stderr);
	lamb_diags_release(&diags);
	lamb_arena_free(a);
	if (j && !cJSON_IsObject(j)) {
		fail("cannot read '%s': not a mapping of environments", path);
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

cJSON *cli_config_read(const char *path)
{
	size_t len;
	char *text = lamb_read_file(path, &len);
	if (!text) {
		fail("cannot read config file '%s': %s", path, strerror(errno));
		return NULL;
	}
	cJSON *j;
	if (str_ends(path, ".yaml") || str_ends(path, ".yml")) {
		j = read_yaml(path, text, len);
	} else {
		struct lamb_err err;
		j = lamb_toml_parse(text, len, path, &err);
		if (!j)
			fail("%s", err.msg);
	}
	free(text);
	return j;
}

char *cli_config_section(const struct lamb_command *c, int argc, char **argv)
{
	char *s = str_eq(c->name, "list") && argc > 1 && argv[1][0] != '-' ? xasprintf("list_%s", argv[1])
									     : xstrdup(c->name);
	for (char *p = s; *p; p++)
		if (*p == ' ' || *p == '-')
			*p = '_';
	return s;
}

/* The option a key stands for: "--stack-name" for stack_name. Allocated. */
static char *flag_of(const char *key)
{
	if (strcmp(key, "template_file") == 0 || strcmp(key, "template") == 0)
		return xstrdup("--template");
	char *f = xasprintf("--%s", key);
	for (char *p = f + 2; *p; p++)
		if (*p == '_')
			*p = '-';
	return f;
}

/* Whether the --help text names the option: "--port" but not "--port-x". */
static bool takes(const struct lamb_command *c, const char *flag)
{
	size_t n = strlen(flag);
	for (const char *p = strstr(c->usage, flag); p; p = strstr(p + 1, flag))
		if (!isalnum((unsigned char)p[n]) && p[n] != '-' && p[n] != '_')
			return true;
	return false;
}

static bool takes_no(const struct lamb_command *c, const char *flag)
{
	char *no = xasprintf("--no-%s", flag + 2);
	bool r = takes(c, no);
	free(no);
	return r;
}

/* Whether the command line has flag, its --no- form, or -t for --template. */
static bool given(const char *flag, int argc, char **argv)
{
	char *no = xasprintf("--no-%s", flag + 2);
	bool found = false;
	for (int i = 1; i < argc && !found; i++)
		found = cli_opt_is(argv[i], NULL, flag) || cli_opt_is(argv[i], NULL, no) ||
			(strcmp(flag, "--template") == 0 &&
			 (strcmp(argv[i], "-t") == 0 || cli_opt_is(argv[i], NULL, "--template-file")));
	free(no);
	return found;
}

struct words {
	char **v;
	size_t len, cap;
};

static void push(struct words *w, char *s)
{
	w->v = xgrow(w->v, &w->cap, w->len + 2, sizeof(*w->v));
	w->v[w->len++] = s;
	w->v[w->len] = NULL;
}

static char *scalar_text(const cJSON *v)
{
	if (cJSON_IsString(v))
		return xstrdup(v->valuestring);
	if (cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble)
		return xasprintf("%lld", (long long)v->valuedouble);
	if (cJSON_IsNumber(v))
		return xasprintf("%g", v->valuedouble);
	return NULL;
}

/* One key's options into w: EXIT_OK, or EXIT_USAGE printed. */
static int add_key(const struct lamb_command *c, const char *where, const cJSON *v, const char *flag,
		   struct words *w)
{
	if (cJSON_IsBool(v)) {
		if (cJSON_IsTrue(v) && takes(c, flag))
			push(w, xstrdup(flag));
		else if (cJSON_IsFalse(v) && takes_no(c, flag))
			push(w, xasprintf("--no-%s", flag + 2));
		return EXIT_OK;
	}
	const cJSON *item = cJSON_IsArray(v) ? v->child : v;
	for (; item; item = cJSON_IsArray(v) ? item->next : NULL) {
		char *text = scalar_text(item);
		if (!text)
			return fail("%s: '%s' must be a string, a number, a boolean or a list of them", where,
				    v->string), EXIT_USAGE;
		push(w, xstrdup(flag));
		push(w, text);
	}
	return EXIT_OK;
}

/* The keys of params that c takes and argv lacks, as options into w;
 * skip: keys handled already (the command's own, for global). */
static int add_params(const struct lamb_command *c, const char *where, const cJSON *params, const cJSON *skip,
		      int argc, char **argv, struct words *w)
{
	int r = EXIT_OK;
	for (const cJSON *v = params ? params->child : NULL; v && r == EXIT_OK; v = v->next) {
		char *flag = flag_of(v->string);
		if (skip && cJSON_GetObjectItemCaseSensitive(skip, v->string))
			;
		else if (!takes(c, flag) && !(cJSON_IsBool(v) && takes_no(c, flag))) {
			if (lamb_global.debug)
				fprintf(stderr, "lamb: %s: '%s' skipped: 'lamb %s' has no %s option\n", where,
					v->string, c->name, flag);
		} else if (!given(flag, argc, argv)) {
			r = add_key(c, where, v, flag, w);
		}
		free(flag);
	}
	return r;
}

static const char *find_default(void)
{
	static const char *const names[] = { "samconfig.toml", "samconfig.yaml", "samconfig.yml" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (access(names[i], F_OK) == 0)
			return names[i];
	return NULL;
}

static int check_version(const char *path, const cJSON *tree)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(tree, "version");
	if (!v)
		return fail("config file '%s' has no 'version = 0.1'", path);
	if (!cJSON_IsNumber(v) || v->valuedouble != 0.1)
		return fail("config file '%s' has a version lamb does not know: 0.1 is the one SAM writes", path);
	return EXIT_OK;
}

static const cJSON *params_of(const cJSON *env, const char *section)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(env, section), "parameters");
}

/* The options of env's section and global ones into w, then argv's. */
static int build(const struct lamb_command *c, const char *path, const cJSON *env, const char *env_name,
		 int argc, char **argv, struct words *w)
{
	char *section = cli_config_section(c, argc, argv);
	const cJSON *own = params_of(env, section), *global = params_of(env, "global");
	char *where = xasprintf("%s [%s.%s.parameters]", path, env_name, section);
	char *gwhere = xasprintf("%s [%s.global.parameters]", path, env_name);
	push(w, xstrdup(argv[0]));
	int r = add_params(c, where, own, NULL, argc, argv, w);
	if (r == EXIT_OK)
		r = add_params(c, gwhere, global, own, argc, argv, w);
	for (int i = 1; i < argc; i++)
		push(w, xstrdup(argv[i]));
	free(where);
	free(gwhere);
	free(section);
	return r;
}

int cli_config_apply(const struct lamb_command *c, const struct cli_config_opts *o, int *argc, char ***argv,
		     char ***owned)
{
	const char *path = o->file ? o->file : find_default();
	const char *env_name = o->env ? o->env : "default";
	*owned = NULL;
	if (!path && o->env)
		return fail("--config-env '%s' given, but there is no samconfig.toml here", o->env);
	if (!path)
		return EXIT_OK;
	cJSON *tree = cli_config_read(path);
	int r = tree ? check_version(path, tree) : EXIT_FAIL;
	const cJSON *env = tree ? cJSON_GetObjectItemCaseSensitive(tree, env_name) : NULL;
	if (r == EXIT_OK && o->env && !cJSON_IsObject(env))
		r = fail("config file '%s' has no environment '%s'", path, env_name);
	struct words w = { 0 };
	if (r == EXIT_OK && cJSON_IsObject(env))
		r = build(c, path, env, env_name, *argc, *argv, &w);
	cJSON_Delete(tree);
	if (r != EXIT_OK || !w.v) {
		cli_config_free(w.v);
		return r;
	}
	if (lamb_global.debug) {
		fprintf(stderr, "lamb: with %s: lamb %s", path, c->name);
		for (size_t i = 1; i < w.len; i++)
			fprintf(stderr, " %s", w.v[i]);
		fputc('\n', stderr);
	}
	*owned = *argv = w.v;
	*argc = (int)w.len;
	return EXIT_OK;
}

void cli_config_free(char **owned)
{
	for (size_t i = 0; owned && owned[i]; i++)
		free(owned[i]);
	free(owned);
}

static bool bare_key(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-')
			return false;
	return true;
}

static void write_key(struct lamb_buf *b, const char *k)
{
	if (bare_key(k))
		lamb_buf_addstr(b, k);
	else
		lamb_buf_addquoted(b, k); /* JSON's escapes are TOML's */
}

static void write_value(struct lamb_buf *b, const cJSON *v)
{
	if (cJSON_IsArray(v)) {
		lamb_buf_addch(b, '[');
		for (const cJSON *i = v->child; i; i = i->next) {
			write_value(b, i);
			if (i->next)
				lamb_buf_addstr(b, ", ");
		}
		lamb_buf_addch(b, ']');
	} else if (cJSON_IsBool(v)) {
		lamb_buf_addstr(b, cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNumber(v)) {
		char *t = scalar_text(v);
		lamb_buf_addstr(b, t);
		free(t);
	} else {
		lamb_buf_addquoted(b, cJSON_IsString(v) ? v->valuestring : "");
	}
}

/* t's keys under [path], then its tables; a table holding only tables
 * gets no header of its own (TOML makes it implicitly). */
static void write_table(struct lamb_buf *b, const cJSON *t, const char *path)
{
	bool scalars = !t->child;
	for (const cJSON *v = t->child; v; v = v->next)
		scalars |= !cJSON_IsObject(v);
	if (path && scalars)
		lamb_buf_addf(b, "\n[%s]\n", path);
	for (const cJSON *v = t->child; v; v = v->next) {
		if (cJSON_IsObject(v))
			continue;
		write_key(b, v->string);
		lamb_buf_addstr(b, " = ");
		write_value(b, v);
		lamb_buf_addch(b, '\n');
	}
	for (const cJSON *v = t->child; v; v = v->next) {
		if (!cJSON_IsObject(v))
			continue;
		struct lamb_buf sub;
		lamb_buf_init(&sub);
		lamb_buf_addf(&sub, "%s%s", path ? path : "", path ? "." : "");
		write_key(&sub, v->string);
		write_table(b, v, sub.data);
		lamb_buf_release(&sub);
	}
}

static cJSON *child(cJSON *t, const char *key)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(t, key);
	if (!cJSON_IsObject(c)) {
		cJSON_DeleteItemFromObjectCaseSensitive(t, key);
		c = cJSON_AddObjectToObject(t, key);
	}
	return c;
}

static int write_file(const char *path, const char *text)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int ok = f && fputs(text, f) >= 0;
	if (f && fclose(f) != 0)
		ok = 0;
	if (ok && rename(tmp, path) != 0)
		ok = 0;
	int r = ok ? EXIT_OK : fail("cannot write config file '%s': %s", path, strerror(errno));
	if (!ok)
		unlink(tmp);
	free(tmp);
	return r;
}

int cli_config_save(const char *path, const char *env, const char *section, const cJSON *params)
{
	if (str_ends(path, ".yaml") || str_ends(path, ".yml"))
		return fail("cannot save to '%s': lamb writes TOML configuration files (samconfig.toml)", path);
	cJSON *tree = access(path, F_OK) == 0 ? cli_config_read(path) : cJSON_CreateObject();
	if (!tree)
		return EXIT_FAIL;
	if (!cJSON_GetObjectItemCaseSensitive(tree, "version"))
		cJSON_AddNumberToObject(tree, "version", 0.1);
	cJSON *p = child(child(child(tree, env), section), "parameters");
	for (const cJSON *v = params->child; v; v = v->next) {
		cJSON_DeleteItemFromObjectCaseSensitive(p, v->string);
		cJSON_AddItemToObject(p, v->string, cJSON_Duplicate(v, true));
	}
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_buf_addstr(&b, "# Written by lamb deploy --guided, in samconfig's layout (SAM CLI reads it too)\n");
	write_table(&b, tree, NULL);
	int r = write_file(path, b.data);
	lamb_buf_release(&b);
	cJSON_Delete(tree);
	return r;
}
