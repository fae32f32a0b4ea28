/* What the long-running commands (start-api, start-lambda) share: the
 * loopback check for --host, and running the loop until SIGINT/SIGTERM. */
#include "cli.h"
#include "loop.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

void serve_opts_init(struct serve_opts *o, long default_port)
{
	*o = (struct serve_opts){ .host = "127.0.0.1", .port = default_port, .max_concurrency = 10,
				  .idle_timeout_s = 600 };
}

int serve_opts_parse(struct serve_opts *o, const char *cmd, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if (cli_opt_is(a, "-p", "--port"))
		return cli_opt_number(cmd, argc, argv, i, 0, 65535, &o->port) < 0 ? -1 : 1;
	if (cli_opt_is(a, NULL, "--max-concurrency"))
		return cli_opt_number(cmd, argc, argv, i, 1, 1000, &o->max_concurrency) < 0 ? -1 : 1;
	if (cli_opt_is(a, NULL, "--idle-timeout"))
		return cli_opt_number(cmd, argc, argv, i, 0, 86400, &o->idle_timeout_s) < 0 ? -1 : 1;
	if (cli_opt_is(a, NULL, "--host"))
		return (o->host = cli_opt_value(cmd, argc, argv, i)) ? 1 : -1;
	if (cli_opt_is(a, "-l", "--log-file"))
		return (o->log_path = cli_opt_value(cmd, argc, argv, i)) ? 1 : -1;
	if (strcmp(a, "--no-build") == 0) {
		o->no_build = true;
		return 1;
	}
	return 0;
}

void cli_warn_host(const char *host)
{
	struct in_addr a;
	struct in6_addr a6;
	bool loopback = strcmp(host, "localhost") == 0 ||
			(inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127) ||
			(inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6));
	if (!loopback)
		fprintf(stderr, "lamb: warning: listening on '%s' exposes your functions beyond this machine\n",
			host);
}

struct stop {
	struct lamb_loop *loop;
	int signo;
};

static void on_terminate(void *data, int signo)
{
	struct stop *s = data;
	s->signo = signo;
	lamb_loop_stop(s->loop);
}

int cli_serve(struct lamb_loop *loop)
{
	struct stop s = { loop, 0 };
	struct lamb_err err;
	lamb_loop_on_terminate(loop, on_terminate, &s);
	if (lamb_loop_run(loop, &err) < 0)
		return fail("%s", err.msg);
	if (s.signo)
		fprintf(stderr, "lamb: %s: stopping\n", strsignal(s.signo));
	return EXIT_OK;
}
