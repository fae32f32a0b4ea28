/* The HTTP server's guard. Heads: libmicrohttpd 0.9.75 takes the first of
 * two Content-Length headers (the front ends read the last), keeps a bare
 * CR in the target and in values, and glues an obs-fold continuation onto
 * the header's *name*, copying the name out of the read buffer to grow it;
 * so a header as received has its value right after its name's NUL (the
 * colon) and optional blanks, and any other layout is a fold. Connections:
 * each waits in an idle list (oldest first) until its request head is in;
 * one past the limit evicts the oldest idle one, and a sweep drops those
 * whose head is late or that idled too long. Eviction is shutdown(): the
 * daemon then sees the end of the stream and closes the connection.
 * libmicrohttpd answers an unparsable or huge Content-Length itself with
 * its header block printed twice, before any callback; it logs the error
 * first, so its logger is where lamb answers instead. */
#include "base/util.h"
#include "http/http-guard.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#define HEAD_S 10     /* from connect or request line to the end of the head */
#define IDLE_S 30     /* a kept-alive connection waiting for its next request */
#define LIMIT 1000
#define FD_RESERVE 256 /* kept for instances, pipes and the Runtime API */

struct lamb_http_sock {
	struct lamb_http_guard *g;
	struct MHD_Connection *mc;
	int fd;
	bool idle;
	bool evicted;
	uint64_t deadline_ns;
	struct lamb_http_sock *next, *prev;
};

/* RFC 9110's tchar, as a bitmap of ASCII: one test per byte on the warm
 * path of every request. */
static bool tchar(unsigned char c)
{
	static const uint32_t bits[4] = { 0, 0x03ff6cfa, 0xc7fffffe, 0x57ffffff };
	return c < 128 && (bits[c >> 5] >> (c & 31) & 1);
}

/* The length of a name made of token characters only, else 0. */
static size_t token_len(const char *s)
{
	size_t n = 0;
	while (tchar((unsigned char)s[n]))
		n++;
	return s[n] ? 0 : n;
}

static bool has_ctl(const char *s, bool tab_ok)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && !(tab_ok && *p == '\t')) || *p == 0x7f)
			return true;
	return false;
}

/* See the top of the file: a folded header's name (n bytes) no longer
 * sits in front of its value. */
static bool folded(const char *name, size_t n, const char *value)
{
	const char *e = name + n;
	if (value <= e || value - e > 4096)
		return true;
	for (const char *p = e + 1; p < value; p++)
		if (*p != ' ' && *p != '\t')
			return true;
	return false;
}

static void check_framing(struct lamb_http_head_check *h, const char *name, size_t n, const char *value)
{
	if (n == 14 && strcasecmp(name, "Content-Length") == 0) {
		if (h->length && strcmp(h->length, value) != 0)
			h->why = "conflicting Content-Length headers";
		h->length = value;
	} else if (n == 17 && strcasecmp(name, "Transfer-Encoding") == 0) {
		if (h->chunked || strcasecmp(value, "chunked") != 0)
			h->why = "a Transfer-Encoding other than one 'chunked'"; /* libmicrohttpd reads to EOF */
		h->chunked = true;
	}
}

bool lamb_http_guard_header(struct lamb_http_head_check *h, const char *name, const char *value)
{
	size_t n = token_len(name);
	if (!n || folded(name, n, value))
		h->why = "malformed or folded header";
	else if (has_ctl(value, true))
		h->why = "control character in a header value";
	else
		check_framing(h, name, n, value);
	return !h->why;
}

const char *lamb_http_guard_head_end(struct lamb_http_head_check *h, const char *uri)
{
	if (!h->why && has_ctl(uri, false))
		h->why = "control character in the request target";
	if (!h->why && h->length && h->chunked)
		h->why = "both Content-Length and Transfer-Encoding";
	return h->why;
}

static void unlink_idle(struct lamb_http_sock *k)
{
	struct lamb_http_guard *g = k->g;
	if (!k->idle)
		return;
	if (k->prev)
		k->prev->next = k->next;
	else
		g->idle = k->next;
	if (k->next)
		k->next->prev = k->prev;
	else
		g->idle_tail = k->prev;
	k->next = k->prev = NULL;
	k->idle = false;
}

static void push_idle(struct lamb_http_sock *k, uint64_t deadline_ns)
{
	struct lamb_http_guard *g = k->g;
	unlink_idle(k);
	k->deadline_ns = deadline_ns;
	k->idle = true;
	k->prev = g->idle_tail;
	if (g->idle_tail)
		g->idle_tail->next = k;
	else
		g->idle = k;
	g->idle_tail = k;
}

/* Out of the idle list for good: closing is the daemon's part. */
static void evict(struct lamb_http_sock *k)
{
	unlink_idle(k);
	k->evicted = true;
	shutdown(k->fd, SHUT_RDWR);
}

static void on_sweep(void *data)
{
	struct lamb_http_guard *g = data;
	uint64_t now = lamb_loop_now_ns();
	for (struct lamb_http_sock *k = g->idle, *next; k; k = next) {
		next = k->next;
		if (k->deadline_ns <= now)
			evict(k);
	}
	if (g->nconns)
		lamb_loop_timer_set(g->loop, &g->sweep, now + 1000000000ull, on_sweep, g);
}

static struct lamb_http_sock *sock_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static void started(struct lamb_http_guard *g, struct MHD_Connection *mc, void **socket_context)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct lamb_http_sock *k = xcalloc(1, sizeof(*k));
	k->g = g;
	k->mc = mc;
	k->fd = ci ? ci->connect_fd : -1;
	*socket_context = k;
	if (g->nconns++ == 0)
		lamb_loop_timer_set(g->loop, &g->sweep, lamb_loop_now_ns() + 1000000000ull, on_sweep, g);
	if (g->nconns > g->limit && g->idle)
		evict(g->idle);
	push_idle(k, lamb_loop_now_ns() + HEAD_S * 1000000000ull);
}

void lamb_http_guard_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
			    enum MHD_ConnectionNotificationCode toe)
{
	struct lamb_http_guard *g = cls;
	struct lamb_http_sock *k = *socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		started(g, mc, socket_context);
	} else if (k) {
		unlink_idle(k);
		free(k);
		*socket_context = NULL;
		g->nconns--;
	}
}

void lamb_http_guard_line(struct MHD_Connection *mc)
{
	struct lamb_http_sock *k = sock_of(mc);
	uint64_t due = lamb_loop_now_ns() + HEAD_S * 1000000000ull;
	if (k && k->idle && k->deadline_ns > due)
		k->deadline_ns = due; /* the list stays in arrival order: the sweep reads it all */
}

void lamb_http_guard_busy(struct MHD_Connection *mc)
{
	struct lamb_http_sock *k = sock_of(mc);
	if (k)
		unlink_idle(k);
}

void lamb_http_guard_idle(struct MHD_Connection *mc)
{
	struct lamb_http_sock *k = sock_of(mc);
	if (k && !k->idle && !k->evicted && k->fd >= 0)
		push_idle(k, lamb_loop_now_ns() + IDLE_S * 1000000000ull);
}

/* The connection whose head libmicrohttpd is parsing now: complete (it
 * has a header size) yet never handed to lamb and not answered. One at a
 * time: a head that parses goes on to the handler in the same pass. */
static struct lamb_http_sock *parsing(struct lamb_http_guard *g)
{
	struct lamb_http_sock *found = NULL;
	for (struct lamb_http_sock *k = g->idle; k; k = k->next) {
		if (!MHD_get_connection_info(k->mc, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE) ||
		    MHD_get_connection_info(k->mc, MHD_CONNECTION_INFO_HTTP_STATUS))
			continue;
		if (found)
			return NULL;
		found = k;
	}
	return found;
}

/* Answers in libmicrohttpd's place, then closes our side for writing:
 * its own page fails to send (EPIPE) and it closes the connection. */
static void answer_instead(struct lamb_http_sock *k, int status, const char *message, const char *why)
{
	char body[160], head[320], date[64];
	time_t now = time(NULL);
	struct tm tm;
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &tm));
	int blen = snprintf(body, sizeof(body), "{\"message\":\"%s\",\"lambError\":\"%s\"}", message, why);
	int hlen = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: close\r\n"
			    "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			    status, status == 413 ? "Content Too Large" : "Bad Request", date, blen);
	struct iovec iov[2] = { { head, (size_t)hlen }, { body, (size_t)blen } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	(void)!sendmsg(k->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	unlink_idle(k);
	k->evicted = true;
	shutdown(k->fd, SHUT_WR);
}

void lamb_http_guard_log(void *cls, const char *fmt, va_list ap)
{
	struct lamb_http_guard *g = cls;
	(void)ap;
	if (!strstr(fmt, "Content-Length"))
		return;
	struct lamb_http_sock *k = strstr(fmt, "Too large") || strstr(fmt, "Failed to parse") ? parsing(g) : NULL;
	if (k && strstr(fmt, "Too large"))
		answer_instead(k, 413, "Request Too Long", "Content-Length too large");
	else if (k)
		answer_instead(k, 400, "Bad Request", "malformed Content-Length");
}

void lamb_http_guard_init(struct lamb_http_guard *g, struct lamb_loop *loop, size_t limit)
{
	memset(g, 0, sizeof(*g));
	g->loop = loop;
	g->limit = limit ? limit : LIMIT;
	struct rlimit rl;
	if (!limit && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < g->limit + 2 * FD_RESERVE)
		g->limit = rl.rlim_cur > 2 * FD_RESERVE ? rl.rlim_cur - FD_RESERVE : rl.rlim_cur / 2;
}

void lamb_http_guard_release(struct lamb_http_guard *g)
{
	if (g && g->loop)
		lamb_loop_timer_cancel(g->loop, &g->sweep);
}

unsigned lamb_http_guard_daemon_limit(const struct lamb_http_guard *g)
{
	return (unsigned)g->limit + 16;
}
