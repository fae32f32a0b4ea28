/* lamb local generate-event [SERVICE [EVENT [--OPTION VALUE ...]]]: lists
 * the catalogue, or prints one sample event on stdout. The events and
 * their options are data (see emulator/front/events.h); this file only parses
 * the command line and prints. */
#include "base/util.h"
#include "cli.h"
#include "front/events.h"

#include <stdio.h>
#include <string.h>

static const char cmd[] = "local generate-event";

static const char *str_item(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
	return s ? s : "";
}

static int list_services(const char *dir)
{
	struct lamb_err err = { { 0 } };
	cJSON *names = lamb_events_services(dir, &err);
	if (!names)
		return fail("%s", err.msg);
	const cJSON *n;
	cJSON_ArrayForEach(n, names) {
		cJSON *m = lamb_events_manifest(dir, n->valuestring, &err);
		printf("%-16s %s\n", n->valuestring, m ? str_item(m, "description") : err.msg);
		cJSON_Delete(m);
	}
	cJSON_Delete(names);
	return EXIT_OK;
}

static int list_events(const cJSON *manifest)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(manifest, "events"))
		printf("%-28s %s\n", e->string, str_item(e, "description"));
	return EXIT_OK;
}

static int list_options(const cJSON *event, const char *service)
{
	printf("usage: lamb local generate-event %s %s [--OPTION VALUE ...]\n\n%s\n\noptions:\n", service,
	       event->string, str_item(event, "description"));
	const cJSON *o;
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(event, "options")) {
		const char *type = str_item(o, "type");
		printf("  --%-22s %s%s%s (default: '%s')\n", o->string, str_item(o, "help"), *type ? "; a " : "",
		       type, str_item(o, "default"));
	}
	if (!cJSON_GetObjectItemCaseSensitive(event, "options") || !event->child)
		printf("  (none)\n");
	return EXIT_OK;
}

/* The option named name (without dashes) or one of its "aliases". */
static const cJSON *find_option(const cJSON *event, const char *name)
{
	const cJSON *o, *a;
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(event, "options")) {
		if (strcmp(o->string, name) == 0)
			return o;
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(o, "aliases"))
			if (str_eq(cJSON_GetStringValue(a), name))
				return o;
	}
	return NULL;
}

/* cJSON indents with tabs and puts one after each colon; strings never hold
 * a raw tab (it is escaped), so every tab is layout: two spaces read better. */
static void print_indented(const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p != '\t')
			putchar(*p);
		else if (p > text && p[-1] == ':')
			putchar(' ');
		else
			fputs("  ", stdout);
	}
	putchar('\n');
}

static int generate(const char *dir, const cJSON *event, const char *service, int argc, char **argv)
{
	struct lamb_event_value *v = xcalloc((size_t)argc + 1, sizeof(*v));
	size_t n = 0;
	int rc = EXIT_OK;
	for (int i = 0; i < argc && rc == EXIT_OK; i++) {
		const char *arg = argv[i];
		if (!str_starts(arg, "--") || !arg[2]) {
			rc = usage_error(cmd, "unexpected argument '%s'", arg);
			break;
		}
		char *eq = strchr(arg, '=');
		cleanup_free char *name = eq ? xstrndup(arg + 2, (size_t)(eq - arg - 2)) : xstrdup(arg + 2);
		const cJSON *o = find_option(event, name);
		if (!o) {
			rc = usage_error(cmd, "%s %s has no option '--%s' (see 'lamb local generate-event %s %s -h')",
					 service, event->string, name, service, event->string);
			break;
		}
		if (!eq && i + 1 >= argc) {
			rc = usage_error(cmd, "option '--%s' needs a value", name);
			break;
		}
		v[n].name = o->string;
		v[n++].value = eq ? eq + 1 : argv[++i];
	}
	if (rc == EXIT_OK) {
		struct lamb_err err = { { 0 } };
		cJSON *ev = lamb_events_generate(dir, service, event->string, v, n, &err);
		if (!ev && str_starts(err.msg, "--")) {
			rc = usage_error(cmd, "%s", err.msg);
		} else if (!ev) {
			rc = fail("%s", err.msg);
		} else {
			cleanup_free char *text = cJSON_Print(ev);
			print_indented(text);
			cJSON_Delete(ev);
		}
	}
	free(v);
	return rc;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

int cmd_generate_event(int argc, char **argv)
{
	bool help = wants_help(argc, argv);
	const char *service = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
	const char *event = service && argc > 2 && argv[2][0] != '-' ? argv[2] : NULL;
	if (help && !service) {
		print_help(lamb_command_find(cmd), stdout);
		return EXIT_OK;
	}
	if (!service && argc > 1)
		return usage_error(cmd, "unknown option '%s'", argv[1]);
	cleanup_free char *dir = cli_data_path("events");
	if (!service)
		return list_services(dir);
	struct lamb_err err = { { 0 } };
	cJSON *m = lamb_events_manifest(dir, service, &err);
	if (!m)
		return usage_error(cmd, "%s (run 'lamb local generate-event' for the list)", err.msg);
	int rc;
	const cJSON *ev = event ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "events"), event) : NULL;
	if (!event)
		rc = argc > 2 && !help ? usage_error(cmd, "unknown option '%s'", argv[2]) : list_events(m);
	else if (!ev)
		rc = usage_error(cmd, "service '%s' has no event '%s' (run 'lamb local generate-event %s' for the list)",
				 service, event, service);
	else if (help)
		rc = list_options(ev, service);
	else
		rc = generate(dir, ev, service, argc - 3, argv + 3);
	cJSON_Delete(m);
	return rc;
}
