/* lamb logs: the records of local invocations (engine/logstore.h) read back
 * as `sam logs` prints a deployed function's, with its -n, -s, -e, --filter,
 * --tail and --json; --tail follows the files through inotify. */
#include "cli.h"

#include "base/util.h"
#include "engine/log-filter.h"
#include "engine/logstore.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

struct logs_cli {
	const char *fn;        /* -n */
	const char *filter;    /* --filter */
	const char *start;     /* -s */
	const char *end;       /* -e */
	const char *template;  /* -t: the logs are beside it */
	const char *stack;     /* --stack-name: CloudWatch Logs */
	bool tail, json;
	/* resolved */
	struct lamb_log_filter *f;
	uint64_t from_ms, to_ms;
	bool any_fn;           /* no -n: each line says its function */
};

static int parse(struct logs_cli *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = cli_opt_is(a, "-n", "--name")		 ? &c->fn :
				    cli_opt_is(a, NULL, "--filter")		 ? &c->filter :
				    cli_opt_is(a, "-s", "--start-time")	 ? &c->start :
				    cli_opt_is(a, "-e", "--end-time")		 ? &c->end :
				    cli_opt_is(a, "-t", "--template")		 ? &c->template :
										   NULL;
		if (slot) {
			if (!(*slot = cli_opt_value("logs", argc, argv, &i)))
				return EXIT_USAGE;
		} else if (strcmp(a, "--tail") == 0) {
			c->tail = true;
		} else if (strcmp(a, "--json") == 0 || strcmp(a, "--output=json") == 0) {
			c->json = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_help(lamb_command_find("logs"), stdout);
			return -1;
		} else {
			return usage_error("logs", "unknown argument '%s'", a);
		}
	}
	return EXIT_OK;
}

static void iso_time(uint64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + k, n - k, ".%03uZ", (unsigned)(ms % 1000));
}

static void print_json(const struct lamb_log_record *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "functionName", r->function);
	cJSON_AddNumberToObject(o, "timestamp", (double)r->ms);
	cJSON_AddStringToObject(o, "requestId", r->request_id);
	cJSON_AddStringToObject(o, "message", r->message);
	char *s = cJSON_PrintUnformatted(o);
	puts(s);
	free(s);
	cJSON_Delete(o);
}

static void on_record(void *data, const struct lamb_log_record *r)
{
	const struct logs_cli *c = data;
	if (r->ms < c->from_ms || (c->to_ms && r->ms > c->to_ms) || (c->f && !lamb_log_filter_match(c->f, r->message)))
		return;
	if (c->json)
		return print_json(r);
	char t[40];
	iso_time(r->ms, t, sizeof(t));
	if (c->any_fn)
		printf("%s ", r->function);
	printf("%s %s\n", t, r->message);
}

/* The logs directory: beside -t's template, else here. */
static char *logs_dir(const struct logs_cli *c)
{
	if (!c->template)
		return xstrdup(".lamb/logs");
	const char *slash = strrchr(c->template, '/');
	if (!slash)
		return xstrdup(".lamb/logs");
	return xasprintf("%.*s/.lamb/logs", (int)(slash - c->template), c->template);
}

/* Waits for a change in dir: inotify, with a poll now and then in case the
 * directory did not exist when the watch was set. */
static int follow(struct lamb_log_reader *r, struct logs_cli *c, const char *dir)
{
	struct lamb_err err;
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	int wd = fd >= 0 ? inotify_add_watch(fd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) : -1;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, wd >= 0 ? 1 : 0, wd >= 0 ? 1000 : 50);
		if (n < 0 && errno != EINTR)
			break;
		char buf[4096];
		while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
			;
		if (wd < 0 && fd >= 0)
			wd = inotify_add_watch(fd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO);
		if (lamb_log_reader_poll(r, on_record, c, &err) < 0) {
			fail("%s", err.msg);
			break;
		}
		if (cli_flush_stdout() < 0)
			break;
	}
	if (fd >= 0)
		close(fd);
	return EXIT_FAIL;
}

static int local_logs(struct logs_cli *c)
{
	struct lamb_err err;
	cleanup_free char *dir = logs_dir(c);
	struct lamb_log_reader *r = lamb_log_reader_new(dir, c->fn);
	int status = EXIT_OK;
	if (lamb_log_reader_poll(r, on_record, c, &err) < 0)
		status = fail("%s", err.msg);
	else if (c->tail && cli_flush_stdout() == 0)
		status = follow(r, c, dir);
	lamb_log_reader_free(r);
	return status;
}

static int resolve(struct logs_cli *c)
{
	struct lamb_err err;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (c->filter && !(c->f = lamb_log_filter_new(c->filter, &err)))
		return usage_error("logs", "%s", err.msg);
	if (c->start && lamb_log_time_parse(c->start, now, &c->from_ms, &err) < 0)
		return usage_error("logs", "%s", err.msg);
	if (c->end && lamb_log_time_parse(c->end, now, &c->to_ms, &err) < 0)
		return usage_error("logs", "%s", err.msg);
	if (c->stack && !c->fn)
		return usage_error("logs", "--stack-name needs -n FUNCTION");
	c->any_fn = !c->fn;
	return EXIT_OK;
}

int cmd_logs(int argc, char **argv)
{
	struct logs_cli c = { 0 };
	int status = parse(&c, argc, argv);
	if (status < 0)
		return EXIT_OK;
	if (status == EXIT_OK)
		status = resolve(&c);
	if (status == EXIT_OK && c.stack)
		status = fail("--stack-name: not yet");
	else if (status == EXIT_OK)
		status = local_logs(&c);
	lamb_log_filter_free(c.f);
	return status;
}
