/* lamb init: a new project copied from a bundled template, with {{name}}
 * and {{runtime}} filled in. Templates are data (templates/TEMPLATE/
 * manifest.json plus one directory of files per runtime family); nothing
 * is fetched from the network. */
#include "base/spawn.h"
#include "base/util.h"
#include "build/tree.h"
#include "cli.h"
#include "model/runtimes.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char cmd[] = "init";

struct init_opts {
	const char *name, *runtime, *tmpl, *outdir;
	bool no_interactive, list;
};

static cJSON *read_manifest(const char *dir, const char *tmpl)
{
	cleanup_free char *path = xasprintf("%s/%s/manifest.json", dir, tmpl);
	size_t len;
	cleanup_free char *text = lamb_read_file(path, &len);
	return text ? cJSON_ParseWithLength(text, len) : NULL;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Template names, sorted, hello-world first; NULL-terminated, caller frees. */
static char **template_names(const char *dir)
{
	DIR *d = opendir(dir);
	char **v = NULL;
	size_t n = 0, cap = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		cleanup_free char *m = xasprintf("%s/%s/manifest.json", dir, e->d_name);
		if (e->d_name[0] == '.' || access(m, R_OK) != 0)
			continue;
		v = xgrow(v, &cap, n + 2, sizeof(*v));
		v[n++] = xstrdup(e->d_name);
	}
	if (d)
		closedir(d);
	v = xgrow(v, &cap, n + 1, sizeof(*v));
	v[n] = NULL;
	qsort(v, n, sizeof(*v), by_name);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], "hello-world") == 0) {
			char *hello = v[i];
			memmove(v + 1, v, i * sizeof(*v));
			v[0] = hello;
		}
	return v;
}

static void free_names(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* The variant (files directory) offering runtime, or NULL. */
static const cJSON *variant_for(const cJSON *m, const char *runtime)
{
	const cJSON *v, *r;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(m, "variants"))
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(v, "runtimes"))
			if (str_eq(cJSON_GetStringValue(r), runtime))
				return v;
	return NULL;
}

/* Whether lamb offers runtime: Lambda still takes new functions on it. A
 * runtime the table does not know is the manifest's business. */
static bool supported(const char *runtime)
{
	char today[11];
	lamb_runtime_today(today);
	return !lamb_runtime_deprecated(lamb_runtime_find(runtime), today);
}

/* The template's supported runtimes (of like's family unless like is
 * NULL), in its order, joined by sep. */
static void runtimes_line(const cJSON *m, const struct lamb_runtime_info *like, struct lamb_buf *b,
			  const char *sep)
{
	const cJSON *v, *r;
	size_t start = b->len;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(m, "variants"))
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(v, "runtimes")) {
			const struct lamb_runtime_info *rt = lamb_runtime_find(cJSON_GetStringValue(r));
			if (cJSON_GetStringValue(r) && supported(r->valuestring) && (!like || (rt && rt->family == like->family)))
				lamb_buf_addf(b, "%s%s", b->len > start ? sep : "", r->valuestring);
		}
}

/* Runs argv (found on PATH) without its output but for up to len-1 bytes
 * of stdout into out; whether it exited 0. */
static bool runs(const char *const *argv, char *out, size_t len)
{
	struct lamb_spawn s = { .argv = argv, .capture_out = true };
	struct lamb_buf b;
	lamb_buf_init(&b);
	int status = -1;
	bool ok = lamb_spawn_run(&s, &b, &status, NULL) == 0 && status == 0;
	snprintf(out, len, "%.*s", (int)b.len, b.data ? b.data : "");
	lamb_buf_release(&b);
	return ok;
}

/* Whether runtime's own interpreter runs here: pythonX.Y from PATH (a pyenv
 * shim for a version not selected does not), or a node of major version N
 * for nodejsN.x. */
static bool runs_here(const char *runtime)
{
	const struct lamb_runtime_info *rt = lamb_runtime_find(runtime);
	char out[64];
	if (rt && rt->family == LAMB_RT_PYTHON) {
		const char *const argv[] = { runtime, "-c", "", NULL };
		return runs(argv, out, sizeof(out));
	}
	if (rt && rt->family == LAMB_RT_NODE) {
		const char *const argv[] = { "node", "-e", "process.stdout.write(process.versions.node)", NULL };
		cleanup_free char *want = xasprintf("nodejs%s", runs(argv, out, sizeof(out)) ? out : "");
		return out[0] && strncmp(runtime, want, strcspn(want, ".")) == 0 &&
		       strcmp(runtime + strcspn(want, "."), ".x") == 0;
	}
	return false;
}

/* The default: of the family of the manifest's "default-runtime", the
 * newest supported runtime whose interpreter runs here, else the newest
 * supported (the manifests list each family oldest first), else the
 * manifest's word. */
static const char *default_runtime(const cJSON *m)
{
	const char *d = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "default-runtime"));
	const struct lamb_runtime_info *want = lamb_runtime_find(d);
	const char *newest = NULL, *local = NULL;
	const cJSON *v, *r;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(m, "variants"))
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(v, "runtimes")) {
			const struct lamb_runtime_info *rt = lamb_runtime_find(cJSON_GetStringValue(r));
			if (!rt || !want || rt->family != want->family || !supported(rt->name))
				continue;
			newest = rt->name;
			if (runs_here(rt->name))
				local = rt->name;
		}
	return local ? local : newest ? newest : d;
}

static int list_templates(const char *dir)
{
	char **names = template_names(dir);
	if (!names[0]) {
		free_names(names);
		return fail("no templates in '%s'", dir);
	}
	for (size_t i = 0; names[i]; i++) {
		cJSON *m = read_manifest(dir, names[i]);
		struct lamb_buf b;
		lamb_buf_init(&b);
		runtimes_line(m, NULL, &b, ",");
		printf("%-14s %-40s %s\n", names[i], b.data ? b.data : "-",
		       m ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "description")) : "(unreadable manifest)");
		lamb_buf_release(&b);
		cJSON_Delete(m);
	}
	free_names(names);
	return EXIT_OK;
}

/* Asks on stderr, reads a line from stdin; the default on an empty line or
 * end of input. Caller frees. */
static char *ask(const char *question, const char *def)
{
	fprintf(stderr, "%s [%s]: ", question, def);
	fflush(stderr);
	char line[256];
	if (!fgets(line, sizeof(line), stdin)) {
		fputc('\n', stderr);
		return xstrdup(def);
	}
	line[strcspn(line, "\r\n")] = '\0';
	char *s = line + strspn(line, " \t");
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return xstrdup(*s ? s : def);
}

static bool valid_name(const char *s)
{
	if (!*s || *s == '-' || *s == '.' || strlen(s) > 100)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

/* lamb_tree_copy_opts.edit: each of the NULL-terminated pairs of data
 * ("{{name}}", the name, ...) replaced in text. */
static void substitute(const char *text, size_t len, struct lamb_buf *b, void *data)
{
	const char *const *vars = data;
	for (const char *p = text; p < text + len;) {
		bool done = false;
		for (size_t i = 0; !done && vars[i]; i += 2) {
			size_t n = strlen(vars[i]);
			if (strncmp(p, vars[i], n) == 0) {
				lamb_buf_addstr(b, vars[i + 1]);
				p += n;
				done = true;
			}
		}
		if (!done)
			lamb_buf_addch(b, *p++);
	}
}

/* The files of a new project: the user's own (their umask, not lamb's
 * modes) and never written over one that is there. */
static const struct lamb_tree_copy_opts new_files = { .no_clobber = true, .umask = true };

/* The template directory src copied to dst (created), vars filled in. */
static int copy_template(const char *src, const char *dst, const char *const *vars)
{
	struct lamb_tree_copy_opts o = new_files;
	o.edit = substitute;
	o.data = (void *)vars;
	struct lamb_tree t;
	lamb_tree_init(&t);
	struct lamb_err err;
	int r = lamb_tree_scan(&t, src, NULL, &err);
	if (r == 0 && mkdir(dst, 0755) != 0 && errno != EEXIST)
		r = lamb_err_set(&err, "cannot create '%s': %s", dst, strerror(errno));
	if (r == 0)
		r = lamb_tree_copy_with(&t, dst, &o, &err);
	lamb_tree_release(&t);
	return r == 0 ? EXIT_OK : fail("%s", err.msg);
}

static int parse(int argc, char **argv, struct init_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **target = NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_help(lamb_command_find(cmd), stdout);
			return -1;
		} else if (strcmp(a, "--no-interactive") == 0) {
			o->no_interactive = true;
		} else if (strcmp(a, "--list") == 0) {
			o->list = true;
		} else if (cli_opt_is(a, NULL, "--name")) {
			target = &o->name;
		} else if (cli_opt_is(a, NULL, "--runtime")) {
			target = &o->runtime;
		} else if (cli_opt_is(a, NULL, "--app-template")) {
			target = &o->tmpl;
		} else if (cli_opt_is(a, "-o", "--output-dir")) {
			target = &o->outdir;
		} else {
			return usage_error(cmd, "unknown option '%s'", a);
		}
		if (target && !(*target = cli_opt_value(cmd, argc, argv, &i)))
			return EXIT_USAGE;
	}
	return 0;
}

/* A deprecated runtime is made only when asked for by name, with a word. */
static void warn_deprecated(const char *runtime, const cJSON *manifest)
{
	const struct lamb_runtime_info *rt = lamb_runtime_find(runtime);
	if (supported(runtime))
		return;
	struct lamb_buf b;
	lamb_buf_init(&b);
	runtimes_line(manifest, rt, &b, ", ");
	fprintf(stderr, "lamb: warning: runtime '%s' is deprecated since %s: Lambda no longer patches it and "
		"refuses new functions on it (supported: %s)\n", runtime, rt->deprecation, b.data ? b.data : "none");
	lamb_buf_release(&b);
}

/* Fills in what the options left open: asks on a terminal, else defaults. */
static int choose(const char *dir, struct init_opts *o, bool interactive, char **owned, cJSON **manifest)
{
	if (!o->name)
		o->name = owned[0] = interactive ? ask("Project name", "lamb-app") : xstrdup("lamb-app");
	if (!valid_name(o->name))
		return usage_error(cmd, "bad project name '%s' (letters, digits, '-' and '_')", o->name);
	char **names = template_names(dir);
	if (!o->tmpl && interactive && names[0]) {
		fputs("Templates:\n", stderr);
		for (size_t i = 0; names[i]; i++)
			fprintf(stderr, "  %zu) %s\n", i + 1, names[i]);
		char *t = ask("Template (number or name)", names[0]);
		char *end;
		long k = strtol(t, &end, 10);
		size_t count = 0;
		while (names[count])
			count++;
		if (!*end && k >= 1 && (size_t)k <= count) {
			free(t);
			t = xstrdup(names[k - 1]);
		}
		o->tmpl = owned[1] = t;
	}
	free_names(names);
	if (!o->tmpl)
		o->tmpl = "hello-world";
	if (!valid_name(o->tmpl) || !(*manifest = read_manifest(dir, o->tmpl)))
		return usage_error(cmd, "unknown template '%s' (see 'lamb init --list')", o->tmpl);
	if (!o->runtime) {
		const char *def = default_runtime(*manifest);
		if (interactive) {
			struct lamb_buf b;
			lamb_buf_init(&b);
			runtimes_line(*manifest, NULL, &b, ", ");
			fprintf(stderr, "Runtimes: %s\n", b.data ? b.data : "");
			lamb_buf_release(&b);
		}
		o->runtime = owned[2] = interactive ? ask("Runtime", def) : xstrdup(def ? def : "");
	}
	if (!variant_for(*manifest, o->runtime))
		return usage_error(cmd, "template '%s' has no runtime '%s' (see 'lamb init --list')", o->tmpl, o->runtime);
	warn_deprecated(o->runtime, *manifest);
	return 0;
}

static int create(const char *dir, const struct init_opts *o, const cJSON *manifest)
{
	const cJSON *variant = variant_for(manifest, o->runtime);
	const char *handler = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(variant, "handler"));
	const char *outdir = o->outdir ? o->outdir : ".";
	cleanup_free char *dst = xasprintf("%s/%s", outdir, o->name);
	cleanup_free char *src = xasprintf("%s/%s/%s", dir, o->tmpl, variant->string);
	if (access(dst, F_OK) == 0)
		return fail("cannot create project '%s': it already exists", dst);
	if (o->outdir && mkdir(o->outdir, 0755) != 0 && errno != EEXIST)
		return fail("cannot create '%s': %s", o->outdir, strerror(errno));
	const char *vars[] = { "{{name}}", o->name, "{{runtime}}", o->runtime, "{{handler}}", handler ? handler : "",
			       NULL };
	int rc = copy_template(src, dst, vars);
	if (rc != EXIT_OK)
		return rc;
	/* files shared with the rest of lamb (the C runtime client), taken
	 * from lamb's data directory as they are */
	const cJSON *c;
	struct lamb_err err;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(variant, "copy")) {
		if (!cJSON_IsString(c) || strstr(c->string, ".."))
			return fail("template '%s': bad \"copy\" entry '%s'", o->tmpl, c->string);
		cleanup_free char *from = cli_data_path(c->valuestring);
		cleanup_free char *to = xasprintf("%s/%s", dst, c->string);
		if (lamb_tree_copy_file_with(from, to, 0644, &new_files, &err) < 0)
			return fail("%s", err.msg);
	}
	printf("created %s (template %s, runtime %s)\n\n", dst, o->tmpl, o->runtime);
	const char *prepare = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(variant, "prepare"));
	printf("next:\n  cd %s\n%s%s%s  lamb validate\n  lamb local invoke -e events/event.json\n"
	       "  lamb local start-api\n\nsee %s/README.md\n", dst, prepare ? "  " : "", prepare ? prepare : "",
	       prepare ? "\n" : "", dst);
	return EXIT_OK;
}

int cmd_init(int argc, char **argv)
{
	struct init_opts o = { 0 };
	int rc = parse(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? EXIT_OK : rc;
	cleanup_free char *dir = cli_data_path("templates");
	if (o.list)
		return list_templates(dir);
	bool interactive = !o.no_interactive && isatty(0) && isatty(2);
	char *owned[3] = { NULL, NULL, NULL };
	cJSON *manifest = NULL;
	rc = choose(dir, &o, interactive, owned, &manifest);
	if (rc == 0)
		rc = create(dir, &o, manifest);
	cJSON_Delete(manifest);
	for (size_t i = 0; i < 3; i++)
		free(owned[i]);
	return rc;
}
