/* lamb logs: the records of local invocations (engine/logstore.h) read back
 * as `sam logs` prints a deployed function's, with its -n, -s, -e, --filter,
 * --tail and --json; --tail follows the files through inotify. */
#include "cli-aws.h"
#include "cli.h"

#include "aws/aws-logs.h"
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
	struct cli_aws_opts aws; /* --profile, --endpoint-url; --region below */
	const char *region;
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
				    cli_opt_is(a, NULL, "--stack-name")	 ? &c->stack :
				    cli_opt_is(a, NULL, "--region")		 ? &c->region :
										   NULL;
		int r = slot ? 0 : cli_aws_opts_parse(&c->aws, "logs", argc, argv, &i);
		if (r < 0)
			return EXIT_USAGE;
		if (slot) {
			if (!(*slot = cli_opt_value("logs", argc, argv, &i)))
				return EXIT_USAGE;
		} else if (r > 0) {
			continue;
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

static void print_record(const struct logs_cli *c, const struct lamb_log_record *r)
{
	if (c->json)
		return print_json(r);
	char t[40];
	iso_time(r->ms, t, sizeof(t));
	if (c->any_fn)
		printf("%s ", r->function);
	printf("%s %s\n", t, r->message);
}

static void on_record(void *data, const struct lamb_log_record *r)
{
	const struct logs_cli *c = data;
	if (r->ms < c->from_ms || (c->to_ms && r->ms > c->to_ms) || (c->f && !lamb_log_filter_match(c->f, r->message)))
		return;
	print_record(c, r);
}

/* --- a deployed function's CloudWatch Logs --- */

struct remote {
	const struct logs_cli *c;
	uint64_t last_ms;   /* the newest event's time: where --tail asks from */
	char **ids;         /* the events seen at last_ms, not to print twice */
	size_t nids;
};

static void forget(struct remote *r)
{
	for (size_t i = 0; i < r->nids; i++)
		free(r->ids[i]);
	free(r->ids);
	r->ids = NULL;
	r->nids = 0;
}

static bool seen(struct remote *r, const struct lamb_logs_event *e)
{
	if (e->timestamp < r->last_ms)
		return true;
	if (e->timestamp > r->last_ms) {
		forget(r);
		r->last_ms = e->timestamp;
	}
	for (size_t i = 0; e->event_id && i < r->nids; i++)
		if (strcmp(r->ids[i], e->event_id) == 0)
			return true;
	if (e->event_id) {
		r->ids = xrealloc(r->ids, (r->nids + 1) * sizeof(*r->ids));
		r->ids[r->nids++] = xstrdup(e->event_id);
	}
	return false;
}

static void on_event(void *data, const struct lamb_logs_event *e)
{
	struct remote *r = data;
	if (seen(r, e))
		return;
	/* the server filtered by pattern and time already */
	struct lamb_log_record rec = { .ms = e->timestamp, .function = r->c->fn, .request_id = "",
				       .message = e->message };
	print_record(r->c, &rec);
}

static int remote_logs(struct logs_cli *c)
{
	struct lamb_aws_config cfg;
	struct lamb_err err;
	struct remote r = { .c = c };
	lamb_aws_config_init(&cfg);
	c->aws.aws.region = c->region;
	int status = cli_aws_config_load(&cfg, &c->aws);
	char *phys = status == EXIT_OK ? lamb_logs_physical_id(&cfg, c->stack, c->fn, &err) : NULL;
	if (status == EXIT_OK && !phys)
		status = fail("%s", err.msg);
	cleanup_free char *group = phys ? xasprintf("/aws/lambda/%s", phys) : NULL;
	uint64_t from = c->from_ms;
	/* --tail polls as sam logs does, from the newest event seen */
	for (bool first = true; status == EXIT_OK && (first || c->tail); first = false) {
		if (!first)
			usleep((useconds_t)((c->aws.max_poll_s > 0 ? c->aws.max_poll_s : 1.0) * 1e6));
		if (lamb_logs_filter(&cfg, group, r.last_ms ? r.last_ms : from, c->tail ? 0 : c->to_ms, c->filter,
				     on_event, &r, &err) < 0)
			status = fail("%s", err.msg);
		else if (cli_flush_stdout() < 0)
			status = EXIT_FAIL;
	}
	forget(&r);
	free(phys);
	lamb_aws_config_release(&cfg);
	return status;
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
	cli_aws_opts_init(&c.aws);
	int status = parse(&c, argc, argv);
	if (status < 0)
		return EXIT_OK;
	if (status == EXIT_OK)
		status = resolve(&c);
	if (status == EXIT_OK && c.stack)
		status = remote_logs(&c);
	else if (status == EXIT_OK)
		status = local_logs(&c);
	lamb_log_filter_free(c.f);
	return status;
}
