/* The dashboard's server: plain sockets on lamb's loop (as the Runtime
 * API's), GET only, one request a connection except the event stream,
 * which stays open and gets a line per invocation and a snapshot of the
 * instances each second while anyone listens. */
#include "front/dashboard.h"
#include "base/util.h"
#include "engine/logstore.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define RING 200
#define MAX_OUT (4 * 1024 * 1024) /* a browser this far behind is dropped */

struct client {
	struct lamb_dashboard *d;
	int fd;
	struct lamb_watch watch;
	struct lamb_buf in, out;
	bool sse, closing, dropped;
	struct client *next;
};

/* An invocation, kept as plain fields: formatted only for a listener. */
struct rec {
	uint64_t ms;
	const struct lamb_function *fn;
	char rid[40];
	int kind;
	bool cold;
	double duration, init;
	long billed, memory, max_memory;
};

struct lamb_dashboard {
	struct lamb_loop *loop;
	struct lamb_invoker *iv;
	const struct lamb_model *m;
	char *files, *logs, *api_url;
	void (*describe)(void *data, FILE *out);
	void *describe_data;
	int lfd, port;
	struct lamb_watch lwatch;
	struct client *clients;
	int listeners;
	struct lamb_timer tick;
	struct rec ring[RING];
	size_t nrec;
};

static void client_free(struct client *c)
{
	struct lamb_dashboard *d = c->d;
	for (struct client **pp = &d->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	d->listeners -= c->sse;
	if (!c->dropped)
		lamb_loop_del_fd(d->loop, &c->watch);
	close(c->fd);
	lamb_buf_release(&c->in);
	lamb_buf_release(&c->out);
	free(c);
}

static void client_drop(void *data)
{
	client_free(data);
}

/* Closed at the end of this batch: events may still name it. */
static void drop_later(struct client *c)
{
	if (c->dropped)
		return;
	c->dropped = true;
	lamb_loop_del_fd(c->d->loop, &c->watch);
	lamb_loop_defer(c->d->loop, client_drop, c);
}

/* Sends what it can; the rest when the socket is writable again. */
static void flush_out(struct client *c)
{
	while (c->out.len) {
		ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			c->out.len = 0;
			c->closing = true;
			break;
		}
		memmove(c->out.data, c->out.data + n, c->out.len - (size_t)n);
		c->out.len -= (size_t)n;
	}
	if (c->out.len > MAX_OUT)
		c->closing = true, c->out.len = 0;
	if (c->dropped)
		return;
	if (!c->out.len && c->closing)
		return drop_later(c);
	lamb_loop_mod_fd(c->d->loop, &c->watch, EPOLLIN | (c->out.len ? EPOLLOUT : 0));
}

static void reply(struct client *c, const char *status, const char *type, const char *body, size_t len)
{
	lamb_buf_addf(&c->out, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		      "Cache-Control: no-store\r\nConnection: close\r\n\r\n", status, type, len);
	lamb_buf_add(&c->out, body, len);
	c->closing = true;
}

static void send_event(struct client *c, const char *name, cJSON *data)
{
	char *s = cJSON_PrintUnformatted(data);
	lamb_buf_addf(&c->out, "event: %s\ndata: %s\n\n", name, s);
	free(s);
}

static const char *outcome_name(int kind)
{
	static const char *const names[] = { "ok", "function error", "response too large", "timeout",
					     "crash", "init error", "start failed", "throttled" };
	return kind >= 0 && kind < (int)ARRAY_SIZE(names) ? names[kind] : "?";
}

static cJSON *rec_json(const struct rec *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "time", (double)r->ms);
	cJSON_AddStringToObject(o, "function", r->fn->logical_id);
	cJSON_AddStringToObject(o, "requestId", r->rid);
	cJSON_AddBoolToObject(o, "cold", r->cold);
	cJSON_AddNumberToObject(o, "duration", r->duration);
	cJSON_AddNumberToObject(o, "billed", (double)r->billed);
	if (r->cold)
		cJSON_AddNumberToObject(o, "initDuration", r->init);
	cJSON_AddNumberToObject(o, "memory", (double)r->memory);
	cJSON_AddNumberToObject(o, "maxMemory", (double)r->max_memory);
	cJSON_AddStringToObject(o, "outcome", outcome_name(r->kind));
	return o;
}

static void add_instance(void *data, const struct lamb_function *fn, const struct lamb_instance_info *i)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "function", fn->logical_id);
	cJSON_AddStringToObject(o, "state", i->state);
	cJSON_AddNumberToObject(o, "pid", i->pid);
	cJSON_AddNumberToObject(o, "age", i->age_s);
	cJSON_AddNumberToObject(o, "invocations", (double)i->invocations);
	cJSON_AddNumberToObject(o, "maxMemory", (double)i->max_memory_mb);
	cJSON_AddBoolToObject(o, "debug", i->debug);
	cJSON_AddItemToArray(data, o);
}

/* The describe callback's lines (queues, buckets, schedules), or NULL. */
static cJSON *services_json(const struct lamb_dashboard *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = d->describe ? open_memstream(&text, &len) : NULL;
	if (!f)
		return NULL;
	d->describe(d->describe_data, f);
	fclose(f);
	cJSON *a = cJSON_CreateArray();
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		cJSON_AddItemToArray(a, cJSON_CreateString(line));
	free(text);
	return a;
}

static void send_instances(struct lamb_dashboard *d, struct client *only)
{
	cJSON *a = cJSON_CreateArray(), *sv = services_json(d);
	lamb_invoke_each_instance(d->iv, add_instance, a);
	for (struct client *c = d->clients; c; c = c->next)
		if (c->sse && !c->dropped && (!only || c == only)) {
			send_event(c, "instances", a);
			if (sv)
				send_event(c, "services", sv);
			flush_out(c);
		}
	cJSON_Delete(a);
	cJSON_Delete(sv);
}

static void on_tick(void *data)
{
	struct lamb_dashboard *d = data;
	if (!d->listeners)
		return; /* nobody looks: no timer either */
	send_instances(d, NULL);
	lamb_loop_timer_set(d->loop, &d->tick, lamb_loop_now_ns() + 1000000000ull, on_tick, d);
}

/* What the page needs once: the functions and the routes. */
static cJSON *hello_json(const struct lamb_dashboard *d)
{
	cJSON *o = cJSON_CreateObject(), *fns = cJSON_AddArrayToObject(o, "functions");
	cJSON *routes = cJSON_AddArrayToObject(o, "routes");
	for (size_t i = 0; i < d->m->nfunctions; i++) {
		const struct lamb_function *f = &d->m->functions[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "id", f->logical_id);
		cJSON_AddStringToObject(j, "runtime", f->runtime ? f->runtime : "image");
		cJSON_AddNumberToObject(j, "memory", (double)f->memory_mb);
		cJSON_AddItemToArray(fns, j);
	}
	for (size_t i = 0; d->api_url && i < d->m->nroutes; i++) {
		const struct lamb_route *r = &d->m->routes[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "method", r->method);
		cJSON_AddStringToObject(j, "path", r->path);
		cJSON_AddStringToObject(j, "function", r->function ? r->function->logical_id : "");
		char *url = xasprintf("%s%s", d->api_url, r->is_default ? "/" : r->path);
		cJSON_AddStringToObject(j, "url", url);
		free(url);
		cJSON_AddItemToArray(routes, j);
	}
	return o;
}

static void start_stream(struct client *c)
{
	struct lamb_dashboard *d = c->d;
	lamb_buf_addstr(&c->out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			"Cache-Control: no-store\r\nConnection: keep-alive\r\n\r\n");
	c->sse = true;
	cJSON *h = hello_json(d);
	send_event(c, "hello", h);
	cJSON_Delete(h);
	size_t n = d->nrec < RING ? d->nrec : RING;
	for (size_t i = d->nrec - n; i < d->nrec; i++) {
		cJSON *r = rec_json(&d->ring[i % RING]);
		send_event(c, "invocation", r);
		cJSON_Delete(r);
	}
	if (d->listeners++ == 0)
		lamb_loop_timer_set(d->loop, &d->tick, lamb_loop_now_ns() + 1000000000ull, on_tick, d);
	send_instances(d, c);
}

struct log_query {
	const char *rid;
	struct lamb_buf *out;
};

static void add_log_line(void *data, const struct lamb_log_record *r)
{
	struct log_query *q = data;
	if (strcmp(r->request_id, q->rid) == 0)
		lamb_buf_addf(q->out, "%s\n", r->message);
}

/* /_lamb/logs?function=F&request=RID: that invocation's lines, as kept. */
static void serve_logs(struct client *c, const char *query)
{
	char fn[256] = "", rid[64] = "";
	const char *f = strstr(query, "function="), *r = strstr(query, "request=");
	if (f)
		sscanf(f + 9, "%255[A-Za-z0-9/+_-]", fn);
	if (r)
		sscanf(r + 8, "%63[A-Za-z0-9-]", rid);
	if (!*fn || !*rid || !c->d->logs)
		return reply(c, "400 Bad Request", "text/plain", "function= and request= please\n", 30);
	for (char *p = fn; *p; p++)
		if (*p == '+')
			*p = '/';
	struct lamb_buf out;
	lamb_buf_init(&out);
	struct log_query q = { rid, &out };
	struct lamb_log_reader *lr = lamb_log_reader_new(c->d->logs, fn);
	lamb_log_reader_poll(lr, add_log_line, &q, NULL);
	lamb_log_reader_free(lr);
	reply(c, "200 OK", "text/plain; charset=utf-8", out.data ? out.data : "", out.len);
	lamb_buf_release(&out);
}

static void serve_file(struct client *c, const char *name)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" }, { ".svg", "image/svg+xml" },
	};
	const char *type = NULL, *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < ARRAY_SIZE(types); i++)
		if (strcmp(dot, types[i].ext) == 0)
			type = types[i].type;
	size_t len;
	cleanup_free char *path = xasprintf("%s/%s", c->d->files, name);
	cleanup_free char *body = type && !strstr(name, "..") && !strchr(name, '/') ? lamb_read_file(path, &len) : NULL;
	if (!body)
		return reply(c, "404 Not Found", "text/plain", "not found\n", 10);
	reply(c, "200 OK", type, body, len);
}

static void dispatch(struct client *c, char *target)
{
	char *query = strchr(target, '?');
	if (query)
		*query++ = '\0';
	if (strcmp(target, "/_lamb") == 0 || strcmp(target, "/") == 0) {
		const char *to = "Location: /_lamb/\r\n";
		lamb_buf_addf(&c->out, "HTTP/1.1 302 Found\r\n%sContent-Length: 0\r\nConnection: close\r\n\r\n", to);
		c->closing = true;
	} else if (strcmp(target, "/_lamb/events") == 0) {
		start_stream(c);
	} else if (strcmp(target, "/_lamb/logs") == 0) {
		serve_logs(c, query ? query : "");
	} else if (strncmp(target, "/_lamb/", 7) == 0) {
		serve_file(c, target[7] ? target + 7 : "index.html");
	} else {
		reply(c, "404 Not Found", "text/plain", "not found\n", 10);
	}
}

static void on_client(void *data, uint32_t events)
{
	struct client *c = data;
	if (c->dropped)
		return;
	if (events & EPOLLOUT)
		return flush_out(c);
	char buf[4096];
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
	if (n <= 0 || c->sse) { /* a listener says nothing more: reading is its end */
		if (n < 0 && errno == EAGAIN)
			return;
		return drop_later(c);
	}
	lamb_buf_add(&c->in, buf, (size_t)n);
	if (!memmem(c->in.data, c->in.len, "\r\n\r\n", 4))
		return c->in.len > 16384 ? reply(c, "431 Request Header Fields Too Large", "text/plain", "", 0),
		       flush_out(c) : (void)0;
	char method[8], target[2048];
	if (sscanf(c->in.data, "%7s %2047s", method, target) != 2 || strcmp(method, "GET") != 0)
		reply(c, "405 Method Not Allowed", "text/plain", "GET only\n", 9);
	else
		dispatch(c, target);
	flush_out(c);
}

static void on_accept(void *data, uint32_t events)
{
	struct lamb_dashboard *d = data;
	(void)events;
	for (int fd; (fd = accept4(d->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
		struct client *c = xcalloc(1, sizeof(*c));
		c->d = d;
		c->fd = fd;
		lamb_buf_init(&c->in);
		lamb_buf_init(&c->out);
		if (lamb_loop_add_fd(d->loop, &c->watch, fd, EPOLLIN, on_client, c, NULL) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = d->clients;
		d->clients = c;
	}
}

static int listen_on(struct lamb_dashboard *d, const char *host, int port, struct lamb_err *err)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return lamb_err_set(err, "dashboard: cannot read address '%s'", host);
	int one = 1;
	d->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof(a);
	if (d->lfd < 0 || setsockopt(d->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(d->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(d->lfd, 64) < 0 ||
	    getsockname(d->lfd, (struct sockaddr *)&a, &len) < 0)
		return lamb_err_set(err, "dashboard: cannot listen on %s:%d: %s", host, port, strerror(errno));
	d->port = ntohs(a.sin_port);
	return lamb_loop_add_fd(d->loop, &d->lwatch, d->lfd, EPOLLIN, on_accept, d, err);
}

struct lamb_dashboard *lamb_dashboard_new(struct lamb_loop *loop, struct lamb_invoker *iv,
					  const struct lamb_model *m, const struct lamb_dashboard_opts *o,
					  struct lamb_err *err)
{
	struct lamb_dashboard *d = xcalloc(1, sizeof(*d));
	d->loop = loop;
	d->iv = iv;
	d->m = m;
	d->lfd = -1;
	d->files = xstrdup(o->files_dir);
	d->logs = o->logs_dir ? xstrdup(o->logs_dir) : NULL;
	d->api_url = o->api_url ? xstrdup(o->api_url) : NULL;
	d->describe = o->describe;
	d->describe_data = o->describe_data;
	if (listen_on(d, o->host ? o->host : "127.0.0.1", o->port, err) < 0) {
		lamb_dashboard_free(d);
		return NULL;
	}
	return d;
}

void lamb_dashboard_free(struct lamb_dashboard *d)
{
	if (!d)
		return;
	while (d->clients)
		client_free(d->clients);
	lamb_loop_timer_cancel(d->loop, &d->tick);
	if (d->lfd >= 0) {
		lamb_loop_del_fd(d->loop, &d->lwatch);
		close(d->lfd);
	}
	free(d->files);
	free(d->logs);
	free(d->api_url);
	free(d);
}

int lamb_dashboard_port(const struct lamb_dashboard *d)
{
	return d->port;
}

void lamb_dashboard_observe(void *data, const struct lamb_function *fn, const struct lamb_outcome *o)
{
	struct lamb_dashboard *d = *(struct lamb_dashboard **)data;
	if (!d)
		return;
	struct rec *r = &d->ring[d->nrec++ % RING];
	r->ms = lamb_loop_wall_ms();
	r->fn = fn;
	size_t rl = strnlen(o->request_id, sizeof(r->rid) - 1); /* snprintf: 550 instructions */
	memcpy(r->rid, o->request_id, rl);
	r->rid[rl] = '\0';
	r->kind = (int)o->kind;
	r->cold = o->init_ms >= 0;
	r->duration = o->duration_ms;
	r->init = o->init_ms;
	r->billed = o->billed_ms;
	r->memory = o->memory_mb;
	r->max_memory = o->max_memory_used_mb;
	if (!d->listeners)
		return;
	cJSON *j = rec_json(r);
	for (struct client *c = d->clients; c; c = c->next)
		if (c->sse && !c->dropped) {
			send_event(c, "invocation", j);
			flush_out(c);
		}
	cJSON_Delete(j);
}
