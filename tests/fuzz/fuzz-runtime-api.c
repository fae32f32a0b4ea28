/* libFuzzer target for the Runtime API's own HTTP/1.1 server
 * (runtime-api.c): the input is what a function process sends on its
 * connection. A Runtime API is made on 127.0.0.1 with its own loop, a
 * client connects over loopback and writes the input in up to three pieces,
 * reading the answers and running the loop until it is idle after each: the
 * real accept, recv, parsing, framing and sends, no stand-in. A crash, a
 * sanitizer report, a leak or a slow input is a finding.
 *
 * The first byte is not sent; it chooses: bit 0, a /next is given its
 * event (ids "id-1", "id-2", ...) at once, from the callback, as when one is
 * queued, rather than after the next piece, as when an invocation comes
 * later; bit 1, the client shuts down its sending side with the last piece;
 * bits 2-4 and 5-7, where the input is split, in eighths of it. */
#include "base/loop.h"
#include "engine/runtime-api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_DELIVERED 3

struct owner {
	struct lamb_rapi *rapi;
	bool at_once;
	bool asked; /* a /next waits for its event */
	int events;
	char id[16];
};

static void deliver(struct owner *o)
{
	o->asked = false;
	if (o->events == MAX_DELIVERED)
		return;
	o->events++;
	snprintf(o->id, sizeof(o->id), "id-%d", o->events);
	struct lamb_rapi_event ev = {
		.request_id = o->id, .deadline_ms = 1, .function_arn = "arn:aws:lambda:us-east-1:1:function:f",
		.trace_id = "Root=1-2-3", .client_context = o->events == 2 ? "{}" : NULL,
		.body = "{\"k\":1}", .len = 7,
	};
	lamb_rapi_deliver(o->rapi, &ev);
}

static void on_next(void *data)
{
	struct owner *o = data;
	o->asked = true;
	if (o->at_once)
		deliver(o);
}

static volatile unsigned sink;

/* Reads every byte of the answer the way whoever keeps it would. */
static void touch(const char *body, size_t len, const char *type)
{
	unsigned sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += (unsigned char)body[i];
	if (type)
		sum += (unsigned)strlen(type);
	sink = sum;
}

static void on_answer(void *data, enum lamb_rapi_answer kind, const char *body, size_t len,
		      const char *error_type)
{
	(void)data;
	(void)kind;
	touch(body, len, error_type);
}

static void on_init_error(void *data, const char *body, size_t len, const char *error_type)
{
	(void)data;
	touch(body, len, error_type);
}

static void on_stream_begin(void *data, const char *content_type)
{
	(void)data;
	touch("", 0, content_type);
}

static void on_stream_data(void *data, const char *bytes, size_t len)
{
	(void)data;
	touch(bytes, len, NULL);
}

/* streaming mode on: inputs with Lambda-Runtime-Function-Response-Mode reach its reader */
static const struct lamb_rapi_ops ops = { on_next, on_answer, on_init_error, NULL, on_stream_begin, on_stream_data, NULL, NULL };

/* A client socket on 127.0.0.1:port (0: any), connected to address; -1
 * when that fails. */
static int try_connect(const char *address, uint16_t port)
{
	const char *colon = strrchr(address, ':');
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons((uint16_t)atoi(colon + 1)) };
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				    .sin_port = htons(port) };
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Every input connects from the same port: a client that shuts down first
 * leaves a TIME_WAIT per input, and a new port each time would use up the
 * ports (the next Runtime API could not listen) within seconds. */
static int connect_to(const char *address)
{
	static uint16_t port;
	int fd = port ? try_connect(address, port) : -1;
	if (fd < 0) {
		struct sockaddr_in sa;
		socklen_t len = sizeof(sa);
		fd = try_connect(address, 0);
		if (fd < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
			abort(); /* the machine, not the input: stop rather than fuzz nothing */
		port = ntohs(sa.sin_port);
	}
	/* closed with a reset where it can be: nothing left behind */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	/* every piece sent at once: Nagle would hold a small one back until the
	 * server's delayed ACK of the one before, after the loop went idle */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Runs the loop and reads the answers until neither moves. */
static void run_idle(struct lamb_loop *l, int fd)
{
	char buf[4096];
	struct lamb_err err;
	for (int idle = 0; idle < 3;) {
		lamb_loop_run_once(l, 0, &err);
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		idle = n > 0 ? 0 : idle + 1;
	}
}

/* Runs until idle; then an event comes for a /next that waits for one. */
static void settle(struct owner *o, struct lamb_loop *l, int fd)
{
	run_idle(l, fd);
	while (o->asked) {
		deliver(o);
		run_idle(l, fd);
	}
}

static void send_piece(struct owner *o, struct lamb_loop *l, int fd, const uint8_t *p, size_t len)
{
	for (int full = 0; len && full < 100;) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0) { /* full, or closed by the server: let it read, or stop */
			if (errno != EAGAIN)
				return;
			full++;
			settle(o, l, fd);
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t how = data[0];
	data++;
	size--;
	struct lamb_err err;
	struct lamb_loop *l = lamb_loop_new(&err);
	if (!l)
		abort();
	struct owner o = { .at_once = how & 1 };
	o.rapi = lamb_rapi_new(l, &ops, &o, &err);
	if (!o.rapi)
		abort();
	int fd = connect_to(lamb_rapi_address(o.rapi));
	settle(&o, l, fd); /* accepted */
	size_t a = size * ((how >> 2) & 7) / 8, b = size * (how >> 5) / 8;
	if (a > b) {
		size_t t = a;
		a = b;
		b = t;
	}
	send_piece(&o, l, fd, data, a);
	settle(&o, l, fd);
	send_piece(&o, l, fd, data + a, b - a);
	settle(&o, l, fd);
	send_piece(&o, l, fd, data + b, size - b);
	if (how & 2) /* the end of the stream with the last piece */
		shutdown(fd, SHUT_WR);
	settle(&o, l, fd);
	close(fd);
	lamb_rapi_free(o.rapi);
	lamb_loop_free(l);
	return 0;
}
