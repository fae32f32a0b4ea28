/* Telemetry API subscriptions and their delivery (telemetry-api.md):
 * buffering's maxItems (1,000 to 10,000, default 10,000), maxBytes (256 KiB
 * to 1 MiB, default 256 KiB) and timeoutMs (25 to 30,000, default 1,000) as
 * its table gives them; a batch goes when one of them is reached. Each POST
 * is a plain HTTP/1.1 request on a non-blocking socket of the loop, with
 * Connection: close; a failed one is tried again with a backoff (Lambda
 * retries too), five times, then dropped. The queue holds at most twice a
 * batch; beyond, records are dropped and counted, and the next batch starts
 * with the platform.logsDropped that says so. */
#include "base/util.h"
#include "engine/platform-log.h"
#include "engine/telemetry.h"

#include <arpa/inet.h>
#include <cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BACKLOG_MAX_ITEMS 1000          /* kept for subscribers still to come */
#define BACKLOG_MAX_BYTES (1024 * 1024)
#define POST_TIMEOUT_MS 5000
#define MAX_TRIES 5

struct rec {
	char *text; /* {"time":...,"type":...,"record":...} */
	size_t len;
	int kind;
};

struct queue {
	struct rec *v;
	size_t n, cap, bytes;
};

struct sub {
	struct lamb_telemetry *t;
	struct sub *next;
	char name[256];
	int kinds;
	int port;
	char path[256];
	size_t max_items, max_bytes;
	uint64_t timeout_ms;
	struct queue q;
	size_t dropped, dropped_bytes;
	struct lamb_timer batch;  /* timeoutMs after the first record queued */
	/* the POST under way */
	int fd;
	struct lamb_watch w;
	struct lamb_buf out, in;
	size_t out_off, sent_n;   /* records of q it carries */
	int tries;
	struct lamb_timer io;     /* its timeout, or the retry's backoff */
};

struct lamb_telemetry {
	struct lamb_loop *loop;
	struct queue backlog;
	bool backlog_full;
	struct sub *subs;
};

static void q_push(struct queue *q, const struct rec *r)
{
	q->v = xgrow(q->v, &q->cap, q->n + 1, sizeof(*q->v));
	q->v[q->n] = *r;
	q->v[q->n].text = xstrndup(r->text, r->len);
	q->n++;
	q->bytes += r->len;
}

/* Drops the first n records. */
static void q_shift(struct queue *q, size_t n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		q->bytes -= q->v[i].len;
		free(q->v[i].text);
	}
	memmove(q->v, q->v + n, (q->n - n) * sizeof(*q->v));
	q->n -= n;
}

static void q_release(struct queue *q)
{
	q_shift(q, q->n);
	free(q->v);
	memset(q, 0, sizeof(*q));
}

/* The record's text: {"time":"2022-10-12T00:00:15.064Z","type":T,"record":R} */
static char *record_text(const char *type, const char *record, size_t *len)
{
	char t[LAMB_PLATFORM_TIME_LEN];
	lamb_platform_time(t);
	char *s = xasprintf("{\"time\":\"%s\",\"type\":\"%s\",\"record\":%s}", t, type, record);
	*len = strlen(s);
	return s;
}

struct lamb_telemetry *lamb_telemetry_new(struct lamb_loop *loop)
{
	struct lamb_telemetry *t = xcalloc(1, sizeof(*t));
	t->loop = loop;
	return t;
}

static void post_close(struct sub *s)
{
	if (s->fd >= 0) {
		lamb_loop_del_fd(s->t->loop, &s->w);
		close(s->fd);
		s->fd = -1;
	}
	lamb_buf_release(&s->out);
	lamb_buf_release(&s->in);
	lamb_buf_init(&s->out);
	lamb_buf_init(&s->in);
}

void lamb_telemetry_free(struct lamb_telemetry *t)
{
	if (!t)
		return;
	while (t->subs) {
		struct sub *s = t->subs;
		t->subs = s->next;
		post_close(s);
		lamb_loop_timer_cancel(t->loop, &s->batch);
		lamb_loop_timer_cancel(t->loop, &s->io);
		q_release(&s->q);
		free(s);
	}
	q_release(&t->backlog);
	free(t);
}

/* --- delivery --- */

static void send_batch(struct sub *s);

static void on_batch_due(void *data)
{
	send_batch(data);
}

/* A batch goes when it is full, else timeoutMs after its first record. */
static void consider(struct sub *s)
{
	if (s->fd >= 0 || s->io.armed || (!s->q.n && !s->dropped))
		return;
	if (s->q.n >= s->max_items || s->q.bytes >= s->max_bytes)
		send_batch(s);
	else if (!s->batch.armed)
		lamb_loop_timer_set(s->t->loop, &s->batch, lamb_loop_now_ns() + s->timeout_ms * 1000000ull,
				    on_batch_due, s);
}

static void post_done(struct sub *s, bool ok)
{
	post_close(s);
	lamb_loop_timer_cancel(s->t->loop, &s->io);
	if (ok || ++s->tries >= MAX_TRIES) {
		if (!ok) { /* given up: said in the next batch */
			for (size_t i = 0; i < s->sent_n; i++)
				s->dropped_bytes += s->q.v[i].len;
			s->dropped += s->sent_n;
		}
		q_shift(&s->q, s->sent_n);
		s->sent_n = 0;
		s->tries = 0;
		consider(s);
		return;
	}
	/* no listener yet, or it failed: again after a backoff */
	lamb_loop_timer_set(s->t->loop, &s->io, lamb_loop_now_ns() + 100000000ull * (uint64_t)s->tries,
			    on_batch_due, s);
}

static void on_io_timeout(void *data)
{
	post_done(data, false);
}

static void on_post(void *data, uint32_t events)
{
	struct sub *s = data;
	if (s->out_off < s->out.len) {
		int err = 0;
		socklen_t n = sizeof(err);
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &n) < 0 || err)
			return post_done(s, false);
		ssize_t w = send(s->fd, s->out.data + s->out_off, s->out.len - s->out_off, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return post_done(s, false);
		if (w > 0)
			s->out_off += (size_t)w;
		if (s->out_off == s->out.len)
			lamb_loop_mod_fd(s->t->loop, &s->w, EPOLLIN);
		return;
	}
	(void)events;
	char buf[4096];
	ssize_t r = recv(s->fd, buf, sizeof(buf), 0);
	if (r > 0 && s->in.len < 4096)
		lamb_buf_add(&s->in, buf, (size_t)r);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* the status line is what matters; the listener closes, as asked */
	const char *sp = s->in.data ? memchr(s->in.data, ' ', s->in.len) : NULL;
	bool ok = sp && s->in.len > (size_t)(sp - s->in.data) + 1 && sp[1] == '2';
	if (r > 0 && !ok && s->in.len < 16)
		return;
	post_done(s, ok);
}

/* The body: the dropped records' notice first, then up to maxItems records
 * (and about maxBytes). */
static void build_body(struct sub *s, struct lamb_buf *body)
{
	lamb_buf_addch(body, '[');
	if (s->dropped) {
		char rec[256];
		size_t len;
		snprintf(rec, sizeof(rec), "{\"droppedBytes\":%zu,\"droppedRecords\":%zu,\"reason\":\"Consumer seems "
			 "to have fallen behind as it has not acknowledged receipt of logs.\"}",
			 s->dropped_bytes, s->dropped);
		char *text = record_text("platform.logsDropped", rec, &len);
		lamb_buf_add(body, text, len);
		free(text);
		s->dropped = s->dropped_bytes = 0;
	}
	size_t i = 0, bytes = 0;
	for (; i < s->q.n && i < s->max_items && (i == 0 || bytes + s->q.v[i].len <= s->max_bytes); i++) {
		if (body->len > 1)
			lamb_buf_addch(body, ',');
		lamb_buf_add(body, s->q.v[i].text, s->q.v[i].len);
		bytes += s->q.v[i].len;
	}
	lamb_buf_addch(body, ']');
	s->sent_n = i;
}

static void send_batch(struct sub *s)
{
	lamb_loop_timer_cancel(s->t->loop, &s->batch);
	if (s->fd >= 0)
		return;
	struct lamb_buf body;
	lamb_buf_init(&body);
	build_body(s, &body); /* a retry's records are still the queue's first */
	lamb_buf_init(&s->out);
	lamb_buf_addf(&s->out, "POST %s HTTP/1.1\r\nHost: sandbox.localdomain:%d\r\nContent-Type: application/json\r\n"
		      "Content-Length: %zu\r\nConnection: close\r\n\r\n", s->path, s->port, body.len);
	lamb_buf_add(&s->out, body.data, body.len);
	lamb_buf_release(&body);
	s->out_off = 0;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || (connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) ||
	    lamb_loop_add_fd(s->t->loop, &s->w, s->fd, EPOLLOUT, on_post, s, NULL) < 0) {
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		post_done(s, false);
		return;
	}
	lamb_loop_timer_set(s->t->loop, &s->io, lamb_loop_now_ns() + POST_TIMEOUT_MS * 1000000ull, on_io_timeout, s);
}

static void enqueue(struct sub *s, const struct rec *r)
{
	if (!(s->kinds & r->kind))
		return;
	if (s->q.n >= 2 * s->max_items || s->q.bytes + r->len > 2 * s->max_bytes) {
		s->dropped++;
		s->dropped_bytes += r->len;
		return;
	}
	q_push(&s->q, r);
	consider(s);
}

void lamb_telemetry_add(struct lamb_telemetry *t, enum lamb_tele_kind kind, const char *type, const char *record)
{
	struct rec r = { .kind = (int)kind };
	r.text = record_text(type, record, &r.len);
	if (!t->backlog_full && t->backlog.n < BACKLOG_MAX_ITEMS && t->backlog.bytes + r.len <= BACKLOG_MAX_BYTES)
		q_push(&t->backlog, &r);
	else
		t->backlog_full = true;
	for (struct sub *s = t->subs; s; s = s->next)
		enqueue(s, &r);
	free(r.text);
}

void lamb_telemetry_seal(struct lamb_telemetry *t)
{
	q_release(&t->backlog);
	t->backlog_full = true;
}

void lamb_telemetry_flush(struct lamb_telemetry *t)
{
	for (struct sub *s = t->subs; s; s = s->next)
		if (s->fd < 0 && !s->io.armed && (s->q.n || s->dropped))
			send_batch(s);
}

/* --- subscribing --- */

/* http://sandbox.localdomain:PORT/PATH (or sandbox, localhost, 127.0.0.1):
 * inside the execution environment, as Lambda requires. */
static int parse_uri(struct sub *s, const char *uri, char *msg, size_t n)
{
	static const char *const hosts[] = { "sandbox.localdomain:", "sandbox:", "localhost:", "127.0.0.1:" };
	if (strncasecmp(uri, "http://", 7) != 0) {
		snprintf(msg, n, "destination URI must be http://sandbox.localdomain:PORT/PATH");
		return -1;
	}
	const char *p = uri + 7;
	size_t i = 0;
	while (i < ARRAY_SIZE(hosts) && strncasecmp(p, hosts[i], strlen(hosts[i])) != 0)
		i++;
	if (i == ARRAY_SIZE(hosts)) {
		snprintf(msg, n, "destination URI's host must be sandbox.localdomain (with a port): "
			 "telemetry goes to listeners inside the execution environment only");
		return -1;
	}
	p += strlen(hosts[i]);
	char *end;
	long port = strtol(p, &end, 10);
	if (end == p || port < 1 || port > 65535 || port == 9001 || (*end && *end != '/')) {
		snprintf(msg, n, "URI port is not provided or not valid (9001 is Lambda's own)");
		return -1;
	}
	s->port = (int)port;
	snprintf(s->path, sizeof(s->path), "%s", *end ? end : "/");
	return 0;
}

static int parse_types(struct sub *s, const cJSON *types, char *msg, size_t n)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, types) {
		const char *v = cJSON_IsString(it) ? it->valuestring : "";
		s->kinds |= strcmp(v, "platform") == 0 ? LAMB_TELE_PLATFORM : strcmp(v, "function") == 0 ? LAMB_TELE_FUNCTION
			  : strcmp(v, "extension") == 0 ? LAMB_TELE_EXTENSION : 0;
		if (strcmp(v, "platform") && strcmp(v, "function") && strcmp(v, "extension")) {
			snprintf(msg, n, "types must be platform, function or extension, not '%s'", v);
			return -1;
		}
	}
	if (!s->kinds) {
		snprintf(msg, n, "types should not be empty");
		return -1;
	}
	return 0;
}

static int buffering(const cJSON *b, const char *key, double lo, double hi, double def, double *out, char *msg,
		     size_t n)
{
	const cJSON *v = b ? cJSON_GetObjectItemCaseSensitive(b, key) : NULL;
	*out = def;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi) {
		snprintf(msg, n, "buffering.%s must be a number from %.0f to %.0f", key, lo, hi);
		return -1;
	}
	*out = v->valuedouble;
	return 0;
}

static int parse_sub(struct sub *s, const cJSON *doc, char *msg, size_t n)
{
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(doc, "schemaVersion");
	const cJSON *dest = cJSON_GetObjectItemCaseSensitive(doc, "destination");
	const cJSON *proto = dest ? cJSON_GetObjectItemCaseSensitive(dest, "protocol") : NULL;
	const cJSON *uri = dest ? cJSON_GetObjectItemCaseSensitive(dest, "URI") : NULL;
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(doc, "buffering");
	double items, bytes, ms;
	if (!cJSON_IsString(ver) || (strcmp(ver->valuestring, "2022-07-01") && strcmp(ver->valuestring, "2022-12-13"))) {
		snprintf(msg, n, "schemaVersion must be \"2022-07-01\"");
		return -1;
	}
	if (!cJSON_IsString(proto) || strcmp(proto->valuestring, "HTTP") != 0) {
		snprintf(msg, n, "destination.protocol must be \"HTTP\" (lamb delivers no TCP telemetry)");
		return -1;
	}
	if (!cJSON_IsString(uri) || parse_uri(s, uri->valuestring, msg, n) < 0)
		return cJSON_IsString(uri) ? -1 : (snprintf(msg, n, "destination.URI is missing"), -1);
	if (parse_types(s, cJSON_GetObjectItemCaseSensitive(doc, "types"), msg, n) < 0 ||
	    buffering(b, "maxItems", 1000, 10000, 10000, &items, msg, n) < 0 ||
	    buffering(b, "maxBytes", 262144, 1048576, 262144, &bytes, msg, n) < 0 ||
	    buffering(b, "timeoutMs", 25, 30000, 1000, &ms, msg, n) < 0)
		return -1;
	s->max_items = (size_t)items;
	s->max_bytes = (size_t)bytes;
	s->timeout_ms = (uint64_t)ms;
	return 0;
}

int lamb_telemetry_subscribe(struct lamb_telemetry *t, const char *name, const char *body, size_t len,
			     char *msg, size_t n)
{
	cJSON *doc = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		snprintf(msg, n, "the subscription is not a JSON object");
		return -1;
	}
	struct sub *s = xcalloc(1, sizeof(*s));
	s->t = t;
	s->fd = -1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	int rc = parse_sub(s, doc, msg, n);
	cJSON_Delete(doc);
	if (rc < 0) {
		free(s);
		return -1;
	}
	for (struct sub **pp = &t->subs; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0) { /* a new subscription replaces the extension's last */
			struct sub *old = *pp;
			*pp = old->next;
			post_close(old);
			lamb_loop_timer_cancel(t->loop, &old->batch);
			lamb_loop_timer_cancel(t->loop, &old->io);
			q_release(&old->q);
			lamb_loop_defer(t->loop, free, old); /* its watch may have an event in this turn */
			break;
		}
	s->next = t->subs;
	t->subs = s;
	for (size_t i = 0; i < t->backlog.n; i++) /* what happened since the instance started */
		enqueue(s, &t->backlog.v[i]);
	struct lamb_buf r;
	lamb_buf_init(&r);
	lamb_buf_addstr(&r, "{\"name\":");
	lamb_buf_addquoted(&r, name);
	lamb_buf_addf(&r, ",\"state\":\"Subscribed\",\"types\":[%s%s%s%s%s]}",
		      s->kinds & LAMB_TELE_PLATFORM ? "\"platform\"" : "",
		      (s->kinds & LAMB_TELE_PLATFORM) && (s->kinds & 6) ? "," : "",
		      s->kinds & LAMB_TELE_FUNCTION ? "\"function\"" : "",
		      (s->kinds & LAMB_TELE_FUNCTION) && (s->kinds & LAMB_TELE_EXTENSION) ? "," : "",
		      s->kinds & LAMB_TELE_EXTENSION ? "\"extension\"" : "");
	lamb_telemetry_add(t, LAMB_TELE_PLATFORM, "platform.telemetrySubscription", r.data);
	lamb_buf_release(&r);
	return 0;
}
