/* The Runtime API on libmicrohttpd, one daemon per instance in external
 * epoll mode: the daemon's epoll fd sits in lamb's loop and MHD_run runs
 * when it is readable (libmicrohttpd's suspend_resume_epoll.c pattern).
 * A /next with no event is suspended and resumed by lamb_rapi_deliver; the
 * resumed connection is re-dispatched to on_request, which then answers.
 * The fixed answers (202, 400, 403, 413) are built once and shared. */
#include "runtime-api.h"
#include "mhd-loop.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define PREFIX "/2018-06-01/runtime/"

enum req_kind { REQ_NEXT, REQ_RESPONSE, REQ_ERROR, REQ_INIT_ERROR, REQ_UNKNOWN };

struct req {
	enum req_kind kind;
	char id[64];
	struct lamb_buf body;
	size_t total;
	bool notified; /* the owner was told about this /next */
};

struct lamb_rapi {
	struct lamb_loop *loop;
	const struct lamb_rapi_ops *ops;
	void *owner;
	struct MHD_Daemon *daemon;
	struct lamb_mhd mhd;
	char address[32];
	/* the event to hand over; the strings are ours */
	bool pending;
	struct lamb_rapi_event ev;
	char request_id[64], last_id[64], trace_id[256];
	char *arn, *client_context, *cognito_identity;
	bool answered;
	bool initialized;
	bool closing;
	struct MHD_Connection *waiting; /* a suspended /next */
};

static struct MHD_Response *fixed[5];
enum { R202, R400, R403, R413, R404 };

static struct MHD_Response *fixed_response(int which)
{
	static const char *const bodies[] = {
		[R202] = "{\"status\":\"OK\"}",
		[R400] = "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}",
		[R403] = "{\"errorMessage\":\"Invalid state transition\",\"errorType\":\"InvalidStateTransition\"}",
		[R413] = "{\"errorMessage\":\"Exceeded maximum allowed payload size (6291556 bytes).\","
			 "\"errorType\":\"RequestEntityTooLarge\"}",
		[R404] = "{\"errorMessage\":\"Unknown path\",\"errorType\":\"InvalidRequest\"}",
	};
	if (!fixed[which]) {
		fixed[which] = MHD_create_response_from_buffer(strlen(bodies[which]), (void *)bodies[which],
							       MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(fixed[which], "Content-Type", "application/json");
	}
	return fixed[which];
}

static enum MHD_Result reply(struct MHD_Connection *c, int which)
{
	static const unsigned codes[] = { [R202] = 202, [R400] = 400, [R403] = 403, [R413] = 413, [R404] = 404 };
	return MHD_queue_response(c, codes[which], fixed_response(which));
}

static void parse_url(struct req *q, const char *method, const char *url)
{
	q->kind = REQ_UNKNOWN;
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

static enum MHD_Result send_event(struct lamb_rapi *r, struct MHD_Connection *c)
{
	char deadline[32];
	struct MHD_Response *resp = MHD_create_response_from_buffer(r->ev.len, (void *)r->ev.body,
								    MHD_RESPMEM_MUST_COPY);
	snprintf(deadline, sizeof(deadline), "%llu", (unsigned long long)r->ev.deadline_ms);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Lambda-Runtime-Aws-Request-Id", r->request_id);
	MHD_add_response_header(resp, "Lambda-Runtime-Deadline-Ms", deadline);
	MHD_add_response_header(resp, "Lambda-Runtime-Invoked-Function-Arn", r->arn ? r->arn : "");
	MHD_add_response_header(resp, "Lambda-Runtime-Trace-Id", r->trace_id);
	if (r->client_context)
		MHD_add_response_header(resp, "Lambda-Runtime-Client-Context", r->client_context);
	if (r->cognito_identity)
		MHD_add_response_header(resp, "Lambda-Runtime-Cognito-Identity", r->cognito_identity);
	r->pending = false;
	enum MHD_Result ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_next(struct lamb_rapi *r, struct MHD_Connection *c, struct req *q)
{
	if (r->closing)
		return MHD_NO;
	if (!q->notified && !r->pending) {
		q->notified = true;
		r->initialized = true;
		if (r->ops->next)
			r->ops->next(r->owner);
	}
	if (r->pending) {
		r->waiting = NULL;
		return send_event(r, c);
	}
	r->waiting = c;
	MHD_suspend_connection(c);
	return MHD_YES;
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

static enum MHD_Result on_answer(struct lamb_rapi *r, struct MHD_Connection *c, struct req *q)
{
	const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Lambda-Runtime-Function-Error-Type");
	if (q->kind == REQ_INIT_ERROR) {
		if (r->initialized)
			return reply(c, R403);
		enum MHD_Result ret = reply(c, R202);
		if (r->ops->init_error)
			r->ops->init_error(r->owner, q->body.data ? q->body.data : "", q->body.len, type);
		return ret;
	}
	int bad = check_id(r, q->id);
	if (bad)
		return reply(c, bad);
	r->answered = true;
	bool big = q->total > LAMB_RAPI_MAX_RESPONSE;
	enum MHD_Result ret = reply(c, big ? R413 : R202);
	enum lamb_rapi_answer kind = big ? LAMB_RAPI_TOO_LARGE
				   : q->kind == REQ_RESPONSE ? LAMB_RAPI_RESPONSE : LAMB_RAPI_ERROR;
	if (r->ops->answer)
		r->ops->answer(r->owner, kind, q->body.data ? q->body.data : "", q->body.len, type);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct lamb_rapi *r = cls;
	struct req *q = *con_cls;
	(void)version;
	if (!q) {
		q = xcalloc(1, sizeof(*q));
		parse_url(q, method, url);
		*con_cls = q;
		return MHD_YES;
	}
	if (*upload_size) {
		q->total += *upload_size;
		if (q->total <= LAMB_RAPI_MAX_RESPONSE)
			lamb_buf_add(&q->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	switch (q->kind) {
	case REQ_NEXT:
		return on_next(r, c, q);
	case REQ_RESPONSE:
	case REQ_ERROR:
	case REQ_INIT_ERROR:
		return on_answer(r, c, q);
	default:
		return reply(c, R404);
	}
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct lamb_rapi *r = cls;
	struct req *q = *con_cls;
	(void)code;
	if (r->waiting == c)
		r->waiting = NULL;
	if (!q)
		return;
	lamb_buf_release(&q->body);
	free(q);
	*con_cls = NULL;
}

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
	snprintf(r->address, sizeof(r->address), "127.0.0.1:%d", port);
	r->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO, 0, NULL, NULL,
				     on_request, r, MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, r,
				     MHD_OPTION_CONNECTION_TIMEOUT, 0u, MHD_OPTION_END);
	if (!r->daemon) {
		lamb_err_set(err, "cannot start the runtime API server on %s", r->address);
		close(fd);
		free(r);
		return NULL;
	}
	if (lamb_mhd_attach(&r->mhd, loop, r->daemon, err) < 0) {
		lamb_rapi_free(r);
		return NULL;
	}
	return r;
}

void lamb_rapi_free(struct lamb_rapi *r)
{
	if (!r)
		return;
	lamb_mhd_detach(&r->mhd);
	if (r->daemon) {
		r->closing = true;
		if (r->waiting) {
			/* a suspended connection must be resumed before the daemon stops */
			MHD_resume_connection(r->waiting);
			r->waiting = NULL;
			MHD_run(r->daemon);
		}
		MHD_stop_daemon(r->daemon);
	}
	free(r->arn);
	free(r->client_context);
	free(r->cognito_identity);
	free(r);
}

const char *lamb_rapi_address(const struct lamb_rapi *r)
{
	return r->address;
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
		snprintf(r->last_id, sizeof(r->last_id), "%s", r->request_id);
	snprintf(r->request_id, sizeof(r->request_id), "%s", ev->request_id);
	snprintf(r->trace_id, sizeof(r->trace_id), "%s", ev->trace_id ? ev->trace_id : "");
	set_str(&r->arn, ev->function_arn);
	set_str(&r->client_context, ev->client_context);
	set_str(&r->cognito_identity, ev->cognito_identity);
	r->ev = *ev;
	r->answered = false;
	r->pending = true;
	if (r->waiting) {
		MHD_resume_connection(r->waiting);
		r->waiting = NULL;
		/* A resumed connection is only served by the next MHD_run; the
		 * caller may be another daemon's callback, so run ours soon. */
		lamb_mhd_run_soon(&r->mhd);
	}
}
