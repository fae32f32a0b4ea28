/* lamb local clock: asks the running lamb local start for its clock, or
 * advances its manual clock and prints what fired (time, source, function,
 * outcome). A plain HTTP/1.0 request to the services port: the answer of
 * an advance comes once everything it fired has finished. */
#include "base/util.h"
#include "cli.h"

#include <cjson/cJSON.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char cmd[] = "local clock";

static int dial(const char *endpoint)
{
	const char *hp = str_starts(endpoint, "http://") ? endpoint + 7 : endpoint;
	char *host = xstrndup(hp, strcspn(hp, "/"));
	char *colon = strrchr(host, ':');
	const char *port = "3002";
	if (colon) {
		*colon = '\0';
		port = colon + 1;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int fd = -1;
	if (getaddrinfo(host, port, &hints, &ai) == 0) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
	}
	free(host);
	return fd;
}

/* The body of the answer (caller frees) and its status; NULL when the
 * server could not be reached (printed). */
static char *request(const char *endpoint, const char *method, const char *path, int *status)
{
	int fd = dial(endpoint);
	if (fd < 0)
		return fail("cannot reach lamb local start at '%s': is it running?", endpoint), NULL;
	char *req = xasprintf("%s %s HTTP/1.0\r\nHost: lamb\r\nContent-Length: 0\r\n\r\n", method, path);
	ssize_t w = write(fd, req, strlen(req));
	free(req);
	struct lamb_buf b;
	lamb_buf_init(&b);
	char chunk[4096];
	ssize_t n;
	while (w > 0 && (n = read(fd, chunk, sizeof(chunk))) > 0)
		lamb_buf_add(&b, chunk, (size_t)n);
	close(fd);
	char *text = lamb_buf_steal(&b), *body = strstr(text, "\r\n\r\n");
	*status = 0;
	if (!body || sscanf(text, "HTTP/%*s %d", status) != 1) {
		free(text);
		return fail("'%s' answered something that is not HTTP", endpoint), NULL;
	}
	char *out = xstrdup(body + 4);
	free(text);
	return out;
}

static int print_answer(const char *body, int status)
{
	cJSON *o = cJSON_Parse(body);
	const cJSON *msg = cJSON_GetObjectItem(o, "message"), *fired = cJSON_GetObjectItem(o, "fired");
	int rc = EXIT_OK;
	if (status != 200) {
		rc = fail("%s", cJSON_IsString(msg) ? msg->valuestring : body);
	} else {
		const cJSON *f;
		cJSON_ArrayForEach(f, fired) {
			const char *outcome = cJSON_GetStringValue(cJSON_GetObjectItem(f, "outcome"));
			printf("%s  %s  %s  %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(f, "time")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(f, "source")),
			       cJSON_GetStringValue(cJSON_GetObjectItem(f, "function")), outcome);
			if (outcome && strcmp(outcome, "ok") != 0)
				rc = EXIT_FAIL;
		}
		printf("now %s (%s clock)\n", cJSON_GetStringValue(cJSON_GetObjectItem(o, "now")),
		       cJSON_GetStringValue(cJSON_GetObjectItem(o, "mode")));
	}
	cJSON_Delete(o);
	return cli_flush_stdout() < 0 ? EXIT_FAIL : rc;
}

int cmd_local_clock(int argc, char **argv)
{
	const char *endpoint = "http://127.0.0.1:3002", *by = NULL;
	bool advance = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return print_help(lamb_command_find(cmd), stdout), EXIT_OK;
		if (cli_opt_is(a, NULL, "--endpoint")) {
			if (!(endpoint = cli_opt_value(cmd, argc, argv, &i)))
				return EXIT_USAGE;
		} else if (!advance && strcmp(a, "advance") == 0) {
			advance = true;
		} else if (advance && !by && a[0] != '-') {
			by = a;
		} else {
			return usage_error(cmd, "unknown argument '%s'", a);
		}
	}
	if (advance && !by)
		return usage_error(cmd, "advance takes a duration: 90s, 15m, 1h30m, 1d");
	char *path = advance ? xasprintf("/_lamb/clock/advance?by=%s", by) : xstrdup("/_lamb/clock");
	int status;
	char *body = request(endpoint, advance ? "POST" : "GET", path, &status);
	free(path);
	int rc = body ? print_answer(body, status) : EXIT_FAIL;
	free(body);
	return rc;
}
