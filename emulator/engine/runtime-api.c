/* The Runtime API on a small HTTP/1.1 server of its own, on lamb's loop:
 * the listening socket and each connection are plain watches of the loop,
 * so a call costs a recv, the answer's send and no more (libmicrohttpd,
 * used here before, cost a nested epoll_wait per run, an epoll_ctl pair to
 * suspend and resume each /next and a 32 KB memset per request).
 *
 * What a client may send: keep-alive or not, HTTP/1.0 or 1.1, bodies by
 * Content-Length or chunked, "Expect: 100-continue" (curl sends it), and
 * pipelined requests, answered in order. A /next with no event waits with
 * its connection simply left readable: nothing to suspend. Answers made
 * while a pipelined /next waits behind them (the 202 of the /response
 * before it) are sent with that /next's event, in one write. Bodies over
 * the 6 MiB limit are read and dropped, then answered 413, as Lambda does.
 * A /response in streaming mode is not collected: its chunks are decoded
 * and handed on as each read brings them (stream_data), its trailers carry
 * a mid-stream error, and past the first 6 MiB its reads are paced to
 * Lambda's 2 MiB/s by taking the socket off the loop for a while. */
#include "base/util.h"
#include "engine/runtime-api.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PREFIX "/2018-06-01/runtime/"
#define MAX_HEAD (64 * 1024)
#define READ_CHUNK (64 * 1024)
#define MAX_CHUNKED (2 * LAMB_RAPI_MAX_RESPONSE) /* buffered whole before decoding */
#define BIG_BUFFER (1024 * 1024) /* buffers grown past this are freed once empty */

enum req_kind { REQ_NEXT, REQ_RESPONSE, REQ_ERROR, REQ_INIT_ERROR, REQ_EXT, REQ_UNKNOWN };

/* One parsed request head. */
struct req {
	enum req_kind kind;
	char id[64];
	char error_type[128]; /* Lambda-Runtime-Function-Error-Type */
	bool has_error_type;
	size_t length;        /* Content-Length */
	bool has_length;
	bool chunked;
	bool expect_continue;
	bool close;           /* the client wants the connection closed after this */
	bool streaming;       /* Lambda-Runtime-Function-Response-Mode: streaming */
	char content_type[128];
	bool has_content_type;
	struct ext_head *ext; /* where a REQ_EXT's head goes */
};

/* The head of an Extensions or Telemetry API request (the owner's
 * business): kept beside struct req, which every Runtime API request
 * zeroes and copies, so that theirs stay as small as before. */
struct ext_head {
	char method[8];
	char path[64];
	char name[256];   /* Lambda-Extension-Name */
	char id[64];      /* Lambda-Extension-Identifier */
	char error[128];  /* Lambda-Extension-Function-Error-Type */
};

enum stream_state { S_SIZE, S_DATA, S_DATA_END, S_TRAILER };

/* A streamed /response being read. */
struct stream {
	bool on;
	bool chunked;
	enum stream_state state;
	size_t left;            /* of the current chunk, or of a Content-Length body */
	char error_type[128];   /* trailer Lambda-Runtime-Function-Error-Type */
	struct lamb_buf error;  /* trailer Lambda-Runtime-Function-Error-Body, base64 */
	size_t trailer_bytes;
	size_t total;
	uint64_t burst_end_ns;  /* when the first LAMB_RAPI_STREAM_BURST bytes were read */
	bool paused;            /* the socket is off the loop for pacing */
	struct lamb_timer pace;
};

struct conn {
	struct lamb_rapi *r;
	struct conn *next;
	struct lamb_watch watch;
	int fd;
	struct lamb_buf in; /* received; in_off of it parsed */
	size_t in_off;
	struct lamb_buf out; /* to send; out_off of it sent */
	size_t out_off;
	struct req cur;     /* the head at in_off, once parsed (has_head) */
	size_t head_len;
	bool has_head;
	struct req big;     /* a request whose body is being dropped */
	size_t drop;        /* body bytes of it still to come */
	bool continued;     /* 100 Continue sent for the request at in_off */
	bool waiting;       /* a /next waits for an event */
	bool held;          /* an Extensions API request waits for the owner's reply */
	bool close_after;   /* close once out is sent */
	struct stream st;
	struct ext_head ext;
	bool eof;
	bool processing;
	bool writing;       /* EPOLLOUT armed */
	bool dead;
};

struct lamb_rapi {
	struct lamb_loop *loop;
	const struct lamb_rapi_ops *ops;
	void *owner;
	int listen_fd;
	struct lamb_watch listen_watch;
	struct conn *conns;
	char address[32];
	/* the event to hand over; the strings are ours */
	bool pending;
	struct lamb_rapi_event ev;
	char request_id[64], last_id[64], trace_id[256];
	char *arn, *client_context, *cognito_identity, *tenant_id;
	bool answered;
	bool initialized;
	bool unshaped;        /* --no-stream-limits */
	struct conn *waiting; /* the connection whose /next waits */
};

enum { R202, R400, R403, R413, R404 };

/* --- answers --- */

static const char *reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 413: return "Payload Too Large";
	case 500: return "Internal Server Error";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

/* The Date header's value, formatted once a second. */
static const char *http_date(void)
{
	static char buf[40];
	static time_t last;
	time_t now = time(NULL);
	if (now != last) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		last = now;
	}
	return buf;
}

static char *put_text(char *o, const char *s)
{
	size_t n = strlen(s);
	memcpy(o, s, n);
	return o + n;
}

static char *put_number(char *o, unsigned long long v)
{
	char num[24], *p = num + sizeof(num);
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	memcpy(o, p, (size_t)(num + sizeof(num) - p));
	return o + (num + sizeof(num) - p);
}

/* Appends an answer's status line and common headers to c->out; more
 * header lines may follow, then the empty line. Put together by hand:
 * snprintf cost 1,900 instructions an answer, two answers an invocation. */
static void put_head(struct conn *c, int status, size_t len)
{
	char head[256], *o = head; /* the reasons and the date are short */
	o = put_number(put_text(o, "HTTP/1.1 "), (unsigned long long)status);
	o = put_text(put_text(put_text(o, " "), reason(status)), "\r\nDate: ");
	o = put_text(put_text(o, http_date()), "\r\nContent-Type: application/json\r\nContent-Length: ");
	o = put_text(put_number(o, len), "\r\n");
	if (c->close_after)
		o = put_text(o, "Connection: close\r\n");
	lamb_buf_add(&c->out, head, (size_t)(o - head));
}

/* Appends a whole answer to c->out. extra: more header lines, each ending
 * in CRLF. */
static void put_answer(struct conn *c, int status, const char *extra, const char *body, size_t len)
{
	put_head(c, status, len);
	if (extra)
		lamb_buf_addstr(&c->out, extra);
	lamb_buf_add(&c->out, "\r\n", 2);
	lamb_buf_add(&c->out, body, len);
}

static void put_fixed(struct conn *c, int which)
{
	static const int codes[] = { [R202] = 202, [R400] = 400, [R403] = 403, [R413] = 413, [R404] = 404 };
	static const char *const bodies[] = {
		[R202] = "{\"status\":\"OK\"}",
		[R400] = "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}",
		[R403] = "{\"errorMessage\":\"Invalid state transition\",\"errorType\":\"InvalidStateTransition\"}",
		[R413] = "{\"errorMessage\":\"Exceeded maximum allowed payload size (6291556 bytes).\","
			 "\"errorType\":\"RequestEntityTooLarge\"}",
		[R404] = "{\"errorMessage\":\"Unknown path\",\"errorType\":\"InvalidRequest\"}",
	};
	put_answer(c, codes[which], NULL, bodies[which], strlen(bodies[which]));
}

/* A protocol error: answered, then the connection is closed. */
static void put_fatal(struct conn *c, int status)
{
	c->close_after = true;
	put_answer(c, status, NULL, "", 0);
}

/* A header line, unless the value could break the head (CR or LF). */
static void add_header(struct lamb_buf *b, const char *name, const char *value)
{
	if (!value || value[strcspn(value, "\r\n")])
		return;
	lamb_buf_addstr(b, name);
	lamb_buf_add(b, ": ", 2);
	lamb_buf_addstr(b, value);
	lamb_buf_add(b, "\r\n", 2);
}

/* The event's headers go straight into c->out, which keeps its room from
 * one answer to the next: a buffer of their own grew from nothing each
 * time (four reallocs, 2,350 instructions an invocation). */
static void put_event(struct lamb_rapi *r, struct conn *c)
{
	char deadline[32];
	*put_number(deadline, (unsigned long long)r->ev.deadline_ms) = '\0';
	put_head(c, 200, r->ev.len);
	add_header(&c->out, "Lambda-Runtime-Aws-Request-Id", r->request_id);
	add_header(&c->out, "Lambda-Runtime-Deadline-Ms", deadline);
	add_header(&c->out, "Lambda-Runtime-Invoked-Function-Arn", r->arn ? r->arn : "");
	add_header(&c->out, "Lambda-Runtime-Trace-Id", r->trace_id);
	add_header(&c->out, "Lambda-Runtime-Client-Context", r->client_context);
	add_header(&c->out, "Lambda-Runtime-Cognito-Identity", r->cognito_identity);
	add_header(&c->out, "Lambda-Runtime-Aws-Tenant-Id", r->tenant_id);
	lamb_buf_add(&c->out, "\r\n", 2);
	lamb_buf_add(&c->out, r->ev.body, r->ev.len);
	r->pending = false;
}

/* --- connections --- */

static void conn_free(void *data)
{
	struct conn *c = data;
	lamb_buf_release(&c->st.error);
	lamb_buf_release(&c->in);
	lamb_buf_release(&c->out);
	free(c);
}

/* Closes now; frees after the current batch of events (which may still
 * hold one for this watch). */
static void conn_close(struct conn *c)
{
	struct lamb_rapi *r = c->r;
	if (c->dead)
		return;
	c->dead = true;
	if (c->held && r->ops->ext_gone) {
		c->held = false;
		r->ops->ext_gone(r->owner, (struct lamb_rapi_call *)c);
	}
	lamb_loop_timer_cancel(r->loop, &c->st.pace);
	lamb_loop_del_fd(r->loop, &c->watch);
	close(c->fd);
	if (r->waiting == c)
		r->waiting = NULL;
	for (struct conn **pp = &r->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	lamb_loop_defer(r->loop, conn_free, c);
}

/* Sends what is queued, unless a pipelined /next waits behind it: then it
 * goes out with that /next's answer. */
static void flush(struct conn *c)
{
	if (c->dead)
		return;
	if (c->waiting || c->held) {
		/* held: no EPOLLOUT meanwhile, it would fire for nothing */
		if (c->writing && lamb_loop_mod_fd(c->r->loop, &c->watch, EPOLLIN) == 0)
			c->writing = false;
		return;
	}
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			if (!c->writing && lamb_loop_mod_fd(c->r->loop, &c->watch, EPOLLIN | EPOLLOUT) == 0)
				c->writing = true;
			return;
		} else {
			conn_close(c);
			return;
		}
	}
	c->out.len = c->out_off = 0;
	if (c->out.cap > BIG_BUFFER) /* an event of megabytes is not kept for the next */
		lamb_buf_release(&c->out);
	if (c->writing && lamb_loop_mod_fd(c->r->loop, &c->watch, EPOLLIN) == 0)
		c->writing = false;
	if ((c->close_after && !c->st.on) || (c->eof && c->in_off == c->in.len))
		conn_close(c);
}

/* --- requests --- */

static void parse_target(struct req *q, const char *method, const char *url)
{
	q->kind = REQ_UNKNOWN;
	if (str_starts(url, "/2020-01-01/extension/") || str_starts(url, "/2022-07-01/telemetry")) {
		q->kind = REQ_EXT;
		memset(q->ext, 0, sizeof(*q->ext));
		snprintf(q->ext->method, sizeof(q->ext->method), "%s", method);
		snprintf(q->ext->path, sizeof(q->ext->path), "%s", url);
		return;
	}
	if (!str_starts(url, PREFIX))
		return;
	url += strlen(PREFIX);
	bool post = strcmp(method, "POST") == 0;
	if (strcmp(url, "invocation/next") == 0 && strcmp(method, "GET") == 0) {
		q->kind = REQ_NEXT;
	} else if (strcmp(url, "init/error") == 0 && post) {
		q->kind = REQ_INIT_ERROR;
	} else if (str_starts(url, "invocation/") && post) {
		const char *id = url + strlen("invocation/");
		const char *slash = strchr(id, '/');
		if (!slash || (size_t)(slash - id) >= sizeof(q->id))
			return;
		memcpy(q->id, id, (size_t)(slash - id));
		q->id[slash - id] = '\0';
		if (strcmp(slash, "/response") == 0)
			q->kind = REQ_RESPONSE;
		else if (strcmp(slash, "/error") == 0)
			q->kind = REQ_ERROR;
	}
}

/* snprintf(dst, n, "%s", src) without the formatting machinery */
static void copy(char *dst, size_t n, const char *src)
{
	size_t len = strnlen(src, n - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static bool token_in(const char *list, const char *token)
{
	size_t n = strlen(token);
	for (const char *p = list; (p = strcasestr(p, token)); p += n)
		if ((p == list || p[-1] == ' ' || p[-1] == ',') && (!p[n] || p[n] == ',' || p[n] == ' '))
			return true;
	return false;
}

/* The Extensions API's headers, after their "Lambda-Extension-". */
static void ext_header(struct ext_head *x, const char *name, const char *v)
{
	if (strcasecmp(name, "Name") == 0)
		snprintf(x->name, sizeof(x->name), "%s", v);
	else if (strcasecmp(name, "Identifier") == 0)
		snprintf(x->id, sizeof(x->id), "%s", v);
	else if (strcasecmp(name, "Function-Error-Type") == 0)
		snprintf(x->error, sizeof(x->error), "%s", v);
}

/* Whether the header's name (line, nl bytes) is name: its length first
 * (a request's five headers went through 15 strcasecmp calls). */
#define NAMED(name) (nl == sizeof(name) - 1 && strcasecmp(line, name) == 0)

/* One header line (NUL-terminated, no CRLF); -1 on a malformed one. */
static int parse_header(struct req *q, char *line)
{
	char *colon = strchr(line, ':');
	if (!colon || colon == line)
		return -1;
	*colon = '\0';
	size_t nl = (size_t)(colon - line);
	char *v = colon + 1;
	v += strspn(v, " \t");
	for (size_t n = strlen(v); n && (v[n - 1] == ' ' || v[n - 1] == '\t'); n--)
		v[n - 1] = '\0';
	if (NAMED("Content-Length")) {
		/* digits only (strtoull would take "+5" and " 5"); a second,
		 * different Content-Length makes the framing ambiguous (RFC 9112 6.3) */
		char *end;
		errno = 0;
		unsigned long long n = strtoull(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end || errno)
			return -1;
		if (q->has_length && q->length != (size_t)n)
			return -1;
		q->length = (size_t)n;
		q->has_length = true;
	} else if (NAMED("Transfer-Encoding")) {
		if (strcasecmp(v, "chunked") != 0)
			return -1;
		q->chunked = true;
	} else if (NAMED("Expect")) {
		q->expect_continue = strcasecmp(v, "100-continue") == 0;
	} else if (NAMED("Connection")) {
		if (token_in(v, "close"))
			q->close = true;
		else if (token_in(v, "keep-alive"))
			q->close = false;
	} else if (NAMED("Lambda-Runtime-Function-Error-Type")) {
		copy(q->error_type, sizeof(q->error_type), v);
		q->has_error_type = true;
	} else if (NAMED("Lambda-Runtime-Function-Response-Mode")) {
		q->streaming = strcasecmp(v, "streaming") == 0;
	} else if (NAMED("Content-Type")) {
		copy(q->content_type, sizeof(q->content_type), v);
		q->has_content_type = true;
	} else if (q->kind == REQ_EXT && strncasecmp(line, "Lambda-Extension-", 17) == 0) {
		ext_header(q->ext, line + 17, v);
	}
#undef NAMED
	return 0;
}

/* Parses the head at head (NUL-terminated, without the final blank line).
 * Returns 0, or the status of the error to answer. */
static int parse_head(struct req *q, char *head, struct ext_head *ext)
{
	memset(q, 0, sizeof(*q));
	q->ext = ext;
	char *save = NULL;
	char *line = strtok_r(head, "\r\n", &save);
	char *sp1 = line ? strchr(line, ' ') : NULL;
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp2)
		return 400;
	*sp1 = *sp2 = '\0';
	const char *version = sp2 + 1;
	if (strcmp(version, "HTTP/1.1") == 0)
		q->close = false;
	else if (strcmp(version, "HTTP/1.0") == 0)
		q->close = true;
	else
		return str_starts(version, "HTTP/") ? 505 : 400;
	parse_target(q, line, sp1 + 1);
	while ((line = strtok_r(NULL, "\r\n", &save)))
		if (parse_header(q, line) < 0)
			return 400;
	if (q->chunked)
		q->length = 0;
	return 0;
}

/* The chunk size at p + *j: hex digits only (no sign, space or "0x", which
 * strtoull would take), then ';' or CR. The digits stop at the CRLF that
 * the caller found, or at the NUL after the buffer. */
static int chunk_size(const char *p, size_t *j, size_t *n)
{
	size_t start = *j;
	for (; isxdigit((unsigned char)p[*j]); (*j)++) {
		if (*n > MAX_CHUNKED)
			return -1;
		char ch = p[*j];
		*n = *n * 16 + (size_t)(isdigit((unsigned char)ch) ? ch - '0' : (ch | 0x20) - 'a' + 10);
	}
	return *j == start || (p[*j] != '\r' && p[*j] != ';') ? -1 : 0;
}

/* Decodes a chunked body that starts at p (avail bytes). Returns the bytes
 * it took (body and trailer), 0 when it is not all there yet, -1 when it is
 * malformed. */
static ssize_t dechunk(const char *p, size_t avail, struct lamb_buf *body)
{
	size_t i = 0;
	for (;;) {
		const char *eol = memmem(p + i, avail - i, "\r\n", 2);
		if (!eol)
			return 0;
		size_t n = 0, j = i;
		if (chunk_size(p, &j, &n) < 0 || (p[j] == '\r' && p + j != eol))
			return -1;
		i = (size_t)(eol - p) + 2;
		if (n == 0)
			break;
		if (n > MAX_CHUNKED || avail - i < n + 2)
			return n > MAX_CHUNKED ? -1 : 0;
		if (p[i + n] != '\r' || p[i + n + 1] != '\n')
			return -1;
		lamb_buf_add(body, p + i, (size_t)n);
		i += (size_t)n + 2;
	}
	/* trailer lines, up to the blank one */
	for (;;) {
		const char *eol = memmem(p + i, avail - i, "\r\n", 2);
		if (!eol)
			return 0;
		size_t len = (size_t)(eol - (p + i));
		i += len + 2;
		if (!len)
			return (ssize_t)i;
	}
}

/* 0 when id may be answered now, else the fixed answer to give. */
static int check_id(struct lamb_rapi *r, const char *id)
{
	if (r->request_id[0] && strcmp(id, r->request_id) == 0)
		return r->answered ? R403 : 0;
	if (r->last_id[0] && strcmp(id, r->last_id) == 0)
		return R403;
	return R400;
}

static void on_next_req(struct conn *c)
{
	struct lamb_rapi *r = c->r;
	if (!r->pending) {
		r->initialized = true;
		if (r->ops->next)
			r->ops->next(r->owner);
	}
	if (c->dead)
		return;
	if (r->pending) {
		put_event(r, c);
		return;
	}
	c->waiting = true; /* an earlier /next on another connection waits on, unanswered */
	r->waiting = c;
}

static void on_answer_req(struct conn *c, const struct req *q, const char *body, size_t len, size_t total)
{
	struct lamb_rapi *r = c->r;
	const char *type = q->has_error_type ? q->error_type : NULL;
	if (q->kind == REQ_INIT_ERROR) {
		if (r->initialized) {
			put_fixed(c, R403);
			return;
		}
		put_fixed(c, R202);
		if (r->ops->init_error)
			r->ops->init_error(r->owner, body, len, type);
		return;
	}
	int bad = check_id(r, q->id);
	if (bad) {
		put_fixed(c, bad);
		return;
	}
	r->answered = true;
	bool big = total > LAMB_RAPI_MAX_RESPONSE;
	put_fixed(c, big ? R413 : R202);
	enum lamb_rapi_answer kind = big ? LAMB_RAPI_TOO_LARGE
				   : q->kind == REQ_RESPONSE ? LAMB_RAPI_RESPONSE : LAMB_RAPI_ERROR;
	if (r->ops->answer)
		r->ops->answer(r->owner, kind, big ? "" : body, big ? 0 : len, type);
}

static void process(struct conn *c);

/* An Extensions or Telemetry API request: the owner replies, now or (a
 * long-polled event/next) later, through lamb_rapi_reply; meanwhile the
 * connection reads nothing more, as behind a waiting /next. */
static void on_ext_req(struct conn *c, const struct req *q, const char *body, size_t len, size_t total)
{
	struct lamb_rapi *r = c->r;
	if (!r->ops->ext) {
		put_fixed(c, R404);
		return;
	}
	if (total > LAMB_RAPI_MAX_RESPONSE) {
		put_fixed(c, R413);
		return;
	}
	struct lamb_rapi_ext_req er = {
		.method = q->ext->method, .path = q->ext->path, .name = q->ext->name, .id = q->ext->id,
		.error_type = q->ext->error, .body = body, .len = len,
	};
	c->held = true;
	r->ops->ext(r->owner, (struct lamb_rapi_call *)c, &er);
}

void lamb_rapi_reply(struct lamb_rapi_call *call, int status, const char *headers, const char *body, size_t len)
{
	struct conn *c = (struct conn *)call;
	if (!c->held)
		return;
	c->held = false;
	put_answer(c, status, headers, body, len);
	if (!c->processing) {
		process(c); /* requests pipelined behind it */
		flush(c);
	}
}

static void dispatch(struct conn *c, const struct req *q, const char *body, size_t len, size_t total)
{
	if (q->close)
		c->close_after = true;
	switch (q->kind) {
	case REQ_NEXT:
		on_next_req(c);
		break;
	case REQ_RESPONSE:
	case REQ_ERROR:
	case REQ_INIT_ERROR:
		on_answer_req(c, q, body, len, total);
		break;
	case REQ_EXT:
		on_ext_req(c, q, body, len, total);
		break;
	default:
		put_fixed(c, R404);
	}
}

/* A body over the limit with a known length: dropped as it comes. */
static void start_drop(struct conn *c, const struct req *q, size_t have)
{
	c->big = *q;
	c->drop = q->length - have;
	c->in_off += have;
	if (!c->drop)
		dispatch(c, &c->big, "", 0, c->big.length);
}

/* Parses the head at in_off once it is all there: 1 when it is (c->cur),
 * 0 when more bytes are needed, -1 when the connection is to close. */
static int take_head(struct conn *c)
{
	char *start = c->in.data + c->in_off;
	size_t avail = c->in.len - c->in_off;
	char *end = avail ? memmem(start, avail, "\r\n\r\n", 4) : NULL;
	if (!end) {
		if (avail > MAX_HEAD)
			put_fatal(c, 431);
		return avail > MAX_HEAD ? -1 : 0;
	}
	/* parsed in place, once: the head is left cut up */
	*end = '\0';
	int status = parse_head(&c->cur, start, &c->ext);
	if (status) {
		put_fatal(c, status);
		return -1;
	}
	c->head_len = (size_t)(end - start) + 4;
	c->has_head = true;
	return 1;
}

/* The client waits to be told to send its body: once per request. */
static void want_body(struct conn *c, const struct req *q)
{
	if (q->expect_continue && !c->continued) {
		lamb_buf_addstr(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
		c->continued = true;
	}
}

/* --- streamed responses --- */

#define MAX_TRAILERS (64 * 1024)

static void resume_stream(void *data);

/* The stream ended: the runtime gets its 202, the owner the error trailers. */
static void stream_end(struct conn *c)
{
	struct lamb_rapi *r = c->r;
	struct stream *st = &c->st;
	size_t len = 0;
	char *body = st->error.len ? lamb_base64_decode(st->error.data, st->error.len, &len) : NULL;
	if (!body && st->error.len) { /* not base64: taken as sent */
		body = xstrndup(st->error.data, st->error.len);
		len = st->error.len;
	}
	st->on = false;
	if (st->paused) {
		lamb_loop_timer_cancel(r->loop, &st->pace);
		resume_stream(c);
	}
	put_fixed(c, R202);
	if (r->ops->answer)
		r->ops->answer(r->owner, LAMB_RAPI_STREAMED, body ? body : "", len,
			       st->error_type[0] ? st->error_type : NULL);
	free(body);
	lamb_buf_release(&st->error);
}

static void trailer(struct stream *st, char *line)
{
	char *colon = strchr(line, ':');
	if (!colon)
		return;
	*colon = '\0';
	char *v = colon + 1 + strspn(colon + 1, " \t");
	if (strcasecmp(line, "Lambda-Runtime-Function-Error-Type") == 0)
		snprintf(st->error_type, sizeof(st->error_type), "%s", v);
	else if (strcasecmp(line, "Lambda-Runtime-Function-Error-Body") == 0)
		lamb_buf_addstr(&st->error, v);
}

/* Past the burst, reads keep to the rate: the socket leaves the loop until
 * the bytes read so far are due, so the runtime's writes block as on Lambda. */
static void pace(struct conn *c)
{
	struct stream *st = &c->st;
	if (c->r->unshaped || st->total <= LAMB_RAPI_STREAM_BURST)
		return;
	uint64_t now = lamb_loop_now_ns();
	if (!st->burst_end_ns)
		st->burst_end_ns = now;
	uint64_t due = st->burst_end_ns +
		       (uint64_t)((double)(st->total - LAMB_RAPI_STREAM_BURST) * 1e9 / LAMB_RAPI_STREAM_RATE);
	if (due <= now + 1000000 || st->paused)
		return;
	if (lamb_loop_mod_fd(c->r->loop, &c->watch, c->writing ? EPOLLOUT : 0) < 0)
		return;
	st->paused = true;
	lamb_loop_timer_set(c->r->loop, &st->pace, due, resume_stream, c);
}

/* Hands on len body bytes at in_off. */
static void stream_take(struct conn *c, size_t len)
{
	struct lamb_rapi *r = c->r;
	c->st.total += len;
	if (r->ops->stream_data && len)
		r->ops->stream_data(r->owner, c->in.data + c->in_off, len);
	c->in_off += len;
	c->st.left -= len;
}

/* The line at in_off without its CRLF (NUL-terminated in place), or NULL
 * when it is not all there. */
static char *take_line(struct conn *c)
{
	char *p = c->in.data + c->in_off;
	char *eol = memmem(p, c->in.len - c->in_off, "\r\n", 2);
	if (!eol)
		return NULL;
	*eol = '\0';
	c->in_off += (size_t)(eol - p) + 2;
	return p;
}

/* One step of the streamed body at in_off: 1 when it moved on, 0 when
 * more bytes are needed, -1 when the connection is to close. */
static int stream_step(struct conn *c)
{
	struct stream *st = &c->st;
	size_t avail = c->in.len - c->in_off;
	char *line;
	switch (st->state) {
	case S_DATA:
		stream_take(c, avail < st->left ? avail : st->left);
		if (!st->left)
			st->state = st->chunked ? S_DATA_END : S_TRAILER;
		if (!st->left && !st->chunked)
			stream_end(c);
		return st->left ? 0 : 1;
	case S_DATA_END:
		if (avail < 2)
			return 0;
		if (memcmp(c->in.data + c->in_off, "\r\n", 2) != 0)
			return -1;
		c->in_off += 2;
		st->state = S_SIZE;
		return 1;
	case S_SIZE: {
		if (!(line = take_line(c)))
			return avail > 1024 ? -1 : 0;
		size_t j = 0, n = 0;
		line[strlen(line)] = '\r'; /* chunk_size stops at CR or ';' */
		int bad = chunk_size(line, &j, &n);
		if (bad < 0)
			return -1;
		st->left = n;
		st->state = n ? S_DATA : S_TRAILER;
		return 1;
	}
	case S_TRAILER:
		if (!(line = take_line(c)))
			return avail > MAX_TRAILERS ? -1 : 0;
		if (!*line) {
			stream_end(c);
			return 1;
		}
		st->trailer_bytes += strlen(line);
		if (st->trailer_bytes > MAX_TRAILERS)
			return -1;
		trailer(st, line);
		return 1;
	}
	return -1;
}

/* Feeds the streamed body: 1 when it ended, 0 when more is to come, -1
 * when the connection is to close. */
static int stream_feed(struct conn *c)
{
	int rc = 1;
	while (c->st.on && !c->dead && (rc = stream_step(c)) > 0)
		;
	if (rc < 0) {
		c->st.on = false;
		put_fatal(c, 400);
		return -1;
	}
	if (c->st.on)
		pace(c);
	return c->st.on ? 0 : 1;
}

static void resume_stream(void *data)
{
	struct conn *c = data;
	c->st.paused = false;
	if (c->dead)
		return;
	lamb_loop_mod_fd(c->r->loop, &c->watch, EPOLLIN | (c->writing ? EPOLLOUT : 0));
}

/* A valid streamed /response: read from here on by stream_feed. */
static void stream_begin(struct conn *c, const struct req *q)
{
	struct lamb_rapi *r = c->r;
	struct stream *st = &c->st;
	r->answered = true;
	lamb_buf_release(&st->error);
	*st = (struct stream){ .on = true, .chunked = q->chunked, .left = q->length,
			       .state = q->chunked ? S_SIZE : S_DATA, .pace = st->pace };
	want_body(c, q);
	c->in_off += c->head_len;
	c->has_head = c->continued = false;
	if (q->close)
		c->close_after = true;
	r->ops->stream_begin(r->owner, q->has_content_type ? q->content_type : NULL);
	if (!q->chunked && !q->length) {
		st->on = false;
		put_fixed(c, R202);
		if (r->ops->answer)
			r->ops->answer(r->owner, LAMB_RAPI_STREAMED, "", 0, NULL);
	}
}

/* Handles one request at in_off if it is all there: 1 when it did, 0 when
 * more bytes are needed, -1 when the connection is to close. */
static int handle_one(struct conn *c)
{
	int rc = c->has_head ? 1 : take_head(c);
	if (rc <= 0)
		return rc;
	struct req q = c->cur;
	if (q.kind == REQ_RESPONSE && q.streaming && c->r->ops->stream_begin && !check_id(c->r, q.id)) {
		stream_begin(c, &q);
		return 1;
	}
	char *body_start = c->in.data + c->in_off + c->head_len;
	size_t body_avail = c->in.len - c->in_off - c->head_len;
	if (!q.chunked && q.length > LAMB_RAPI_MAX_RESPONSE) {
		want_body(c, &q);
		c->in_off += c->head_len;
		c->has_head = c->continued = false;
		start_drop(c, &q, body_avail < q.length ? body_avail : q.length);
		return 1;
	}
	struct lamb_buf chunks;
	lamb_buf_init(&chunks);
	ssize_t took = (ssize_t)q.length;
	if (q.chunked)
		took = dechunk(body_start, body_avail, &chunks);
	else if (body_avail < q.length)
		took = 0;
	if (took < 0 || (took == 0 && q.chunked && body_avail > MAX_CHUNKED)) {
		lamb_buf_release(&chunks);
		put_fatal(c, took < 0 ? 400 : 413);
		return -1;
	}
	if (took == 0 && (q.chunked || q.length)) {
		lamb_buf_release(&chunks);
		want_body(c, &q);
		return 0;
	}
	c->in_off += c->head_len + (size_t)took;
	c->has_head = c->continued = false;
	/* the body stays where it is during the call (only c->out changes);
	 * whoever keeps it copies it */
	if (q.chunked)
		dispatch(c, &q, chunks.data ? chunks.data : "", chunks.len, chunks.len);
	else
		dispatch(c, &q, body_start, q.length, q.length);
	lamb_buf_release(&chunks);
	return 1;
}

/* Handles every complete request in the buffer, in order, stopping at a
 * /next that waits. */
static void process(struct conn *c)
{
	c->processing = true;
	while (!c->dead && !c->waiting && !c->held && !c->drop && (!c->close_after || c->st.on) && c->in_off < c->in.len) {
		int rc = c->st.on ? stream_feed(c) : handle_one(c);
		if (rc <= 0)
			break;
	}
	c->processing = false;
	if (c->in_off == c->in.len) {
		c->in.len = c->in_off = 0;
		if (c->in.cap > BIG_BUFFER && !c->has_head)
			lamb_buf_release(&c->in);
	} else if (c->in_off > READ_CHUNK) {
		memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
		c->in.len -= c->in_off;
		c->in_off = 0;
	}
}

/* Drops what belongs to an over-limit body; answers it when it is all in. */
static void drop_body(struct conn *c)
{
	size_t avail = c->in.len - c->in_off;
	size_t n = avail < c->drop ? avail : c->drop;
	c->in_off += n;
	c->drop -= n;
	if (!c->drop)
		dispatch(c, &c->big, "", 0, c->big.length);
}

/* Reads what is there; false at EOF or on an error. */
static bool read_in(struct conn *c)
{
	for (;;) {
		c->in.data = xgrow(c->in.data, &c->in.cap, c->in.len + READ_CHUNK + 1, 1);
		size_t room = c->in.cap - c->in.len - 1;
		ssize_t n = recv(c->fd, c->in.data + c->in.len, room, 0);
		if (n > 0) {
			c->in.len += (size_t)n;
			c->in.data[c->in.len] = '\0';
			if ((size_t)n < room || (c->drop && c->in.len - c->in_off >= c->drop) || c->st.on)
				return true; /* a stream's bytes go on as they come */
			if (c->drop) { /* do not pile up a body that is dropped anyway */
				drop_body(c);
				process(c);
				if (c->dead)
					return false;
			} else if (c->in.len - c->in_off > MAX_CHUNKED + MAX_HEAD) {
				return true; /* process() refuses it */
			}
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			return n < 0 && errno == EAGAIN;
		}
	}
}

static void on_conn(void *data, uint32_t events)
{
	struct conn *c = data;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (!read_in(c))
			c->eof = true;
		if (c->drop)
			drop_body(c);
		process(c);
		if (c->eof && !c->waiting && !c->held && c->out_off == c->out.len) {
			conn_close(c);
			return;
		}
		if (c->eof && (c->waiting || c->held)) {
			/* the runtime gave up on its /next, an extension on its event/next */
			conn_close(c);
			return;
		}
	}
	flush(c);
}

static void on_accept(void *data, uint32_t events)
{
	struct lamb_rapi *r = data;
	(void)events;
	for (;;) {
		int fd = accept4(r->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		/* another instance's process must not take this one's events
		 * or answer for it: the owner checks the peer, on a new
		 * connection only (runtimes keep theirs across invocations) */
		if (r->ops->peer && !r->ops->peer(r->owner, fd)) {
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = xcalloc(1, sizeof(*c));
		c->r = r;
		c->fd = fd;
		if (lamb_loop_add_fd(r->loop, &c->watch, fd, EPOLLIN, on_conn, c, NULL) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = r->conns;
		r->conns = c;
	}
}

/* --- the server --- */

static int listen_socket(int *port, struct lamb_err *err)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	if (fd < 0)
		return lamb_err_set(err, "cannot create socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		lamb_err_set(err, "cannot listen on 127.0.0.1: %s", strerror(errno));
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

struct lamb_rapi *lamb_rapi_new(struct lamb_loop *loop, const struct lamb_rapi_ops *ops, void *owner,
				struct lamb_err *err)
{
	int port = 0;
	int fd = listen_socket(&port, err);
	if (fd < 0)
		return NULL;
	struct lamb_rapi *r = xcalloc(1, sizeof(*r));
	r->loop = loop;
	r->ops = ops;
	r->owner = owner;
	r->listen_fd = fd;
	snprintf(r->address, sizeof(r->address), "127.0.0.1:%d", port);
	if (lamb_loop_add_fd(loop, &r->listen_watch, fd, EPOLLIN, on_accept, r, err) < 0) {
		close(fd);
		free(r);
		return NULL;
	}
	return r;
}

void lamb_rapi_free(struct lamb_rapi *r)
{
	if (!r)
		return;
	while (r->conns)
		conn_close(r->conns);
	lamb_loop_del_fd(r->loop, &r->listen_watch);
	close(r->listen_fd);
	free(r->arn);
	free(r->client_context);
	free(r->cognito_identity);
	free(r->tenant_id);
	free(r);
}

const char *lamb_rapi_address(const struct lamb_rapi *r)
{
	return r->address;
}

void lamb_rapi_unshaped(struct lamb_rapi *r)
{
	r->unshaped = true;
}

int lamb_rapi_initialized(const struct lamb_rapi *r)
{
	return r->initialized;
}

static void set_str(char **dst, const char *src)
{
	if (str_eq(*dst, src))
		return;
	free(*dst);
	*dst = src ? xstrdup(src) : NULL;
}

void lamb_rapi_deliver(struct lamb_rapi *r, const struct lamb_rapi_event *ev)
{
	if (r->request_id[0] && r->answered)
		copy(r->last_id, sizeof(r->last_id), r->request_id);
	copy(r->request_id, sizeof(r->request_id), ev->request_id);
	copy(r->trace_id, sizeof(r->trace_id), ev->trace_id ? ev->trace_id : "");
	set_str(&r->arn, ev->function_arn);
	set_str(&r->client_context, ev->client_context);
	set_str(&r->cognito_identity, ev->cognito_identity);
	set_str(&r->tenant_id, ev->tenant_id);
	r->ev = *ev;
	r->answered = false;
	r->pending = true;
	struct conn *c = r->waiting;
	if (!c)
		return;
	r->waiting = NULL;
	c->waiting = false;
	put_event(r, c);
	if (!c->processing) {
		process(c); /* requests pipelined behind the /next */
		flush(c);
	}
}
