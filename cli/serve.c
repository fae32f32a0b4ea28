/* What the long-running commands (start-api, start-lambda) share: the
 * loopback check for --host, and running the loop until SIGINT/SIGTERM. */
#include "cli.h"
#include "loop.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

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
