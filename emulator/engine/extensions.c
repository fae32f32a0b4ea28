/* The Extensions API of one instance, as runtimes-extensions-api.md
 * describes it: Register (POST /2020-01-01/extension/register with
 * Lambda-Extension-Name, answered with a Lambda-Extension-Identifier and the
 * function's name, version and handler), Next (GET .../event/next, held
 * until an INVOKE or SHUTDOWN event), Init error and Exit error (202, and
 * no call succeeds after them). An external extension registers with the
 * file name it was started from; any other name is an internal extension
 * (a runtime's thread), which may not register for SHUTDOWN. The Telemetry
 * API's subscribe also comes here: it needs a registered extension. */
#include "base/json.h"
#include "base/util.h"
#include "engine/extensions.h"
#include "engine/invoke.h"
#include "engine/telemetry.h"

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "You can register up to 10 extensions for a function." */
#define MAX_EXTENSIONS 10

struct ext {
	char name[256];
	char id[40];
	bool external;
	bool want_invoke, want_shutdown;
	struct lamb_rapi_call *next; /* its event/next, held */
	struct lamb_buf pending;     /* an event it has not taken yet */
	bool shut;                   /* sent SHUTDOWN */
	bool back;                   /* ... and called event/next after it, or exited */
};

struct lamb_ext_host {
	struct lamb_loop *loop;
	const struct lamb_function *fn;
	const struct lamb_ext_ops *ops;
	void *owner;
	char **expected; /* the external extensions' file names */
	size_t nexpected;
	struct ext ext[MAX_EXTENSIONS];
	size_t n;
	bool init_done;
	bool failed;     /* an init/error or exit/error came: no call succeeds */
	bool said_registered;
	bool shutting;
	struct lamb_telemetry *tele;
	int gate;                    /* the launcher's gate; -1 */
	struct lamb_watch gate_watch;
	struct lamb_buf reports;     /* what came on it, up to a whole line */
};

/* --- finding and starting external extensions --- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_add(struct lamb_ext_list *l, const char *name, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0) { /* a later layer's wins, as in /opt */
			free(l->paths[i]);
			l->paths[i] = xstrdup(path);
			return;
		}
	l->names = xrealloc(l->names, (l->n + 1) * sizeof(char *));
	l->paths = xrealloc(l->paths, (l->n + 1) * sizeof(char *));
	l->names[l->n] = xstrdup(name);
	l->paths[l->n++] = xstrdup(path);
}

void lamb_ext_list_find(struct lamb_ext_list *l, const struct lamb_code *code)
{
	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < code->nlayers; i++) {
		char *dir = xasprintf("%s/extensions", code->layers[i]);
		DIR *d = opendir(dir);
		for (struct dirent *e; d && (e = readdir(d));) {
			char *path = xasprintf("%s/%s", dir, e->d_name);
			struct stat st;
			/* Lambda starts the executable files there, not folders */
			if (e->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
				list_add(l, e->d_name, path);
			free(path);
		}
		if (d)
			closedir(d);
		free(dir);
	}
	/* sorted, both together: the launcher starts them in this order */
	for (size_t i = 1; i < l->n; i++)
		for (size_t j = i; j > 0 && name_cmp(&l->names[j - 1], &l->names[j]) > 0; j--) {
			char *t = l->names[j];
			l->names[j] = l->names[j - 1];
			l->names[j - 1] = t;
			t = l->paths[j];
			l->paths[j] = l->paths[j - 1];
			l->paths[j - 1] = t;
		}
}

void lamb_ext_list_release(struct lamb_ext_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->names[i]);
		free(l->paths[i]);
	}
	free(l->names);
	free(l->paths);
	memset(l, 0, sizeof(*l));
}

/* $1 is the number of extensions, then their paths, then the bootstrap's
 * argv. Extensions do not get the variables that are the runtime's own
 * (runtimes-extensions-api.md, "Environment variables"). The gate comes as
 * stdin and moves to fd 3 (a background list's stdin is /dev/null): the
 * launcher's and the extensions' subshells', which say there when one
 * exits; neither the extensions nor the runtime get it. */
static const char launcher[] =
	"exec 3<&0 </dev/null; n=$1; shift; i=0\n"
	"while [ \"$i\" -lt \"$n\" ]; do\n"
	"  (unset AWS_EXECUTION_ENV AWS_LAMBDA_LOG_GROUP_NAME AWS_LAMBDA_LOG_STREAM_NAME AWS_XRAY_CONTEXT_MISSING"
	" AWS_XRAY_DAEMON_ADDRESS LAMBDA_RUNTIME_DIR LAMBDA_TASK_ROOT _AWS_XRAY_DAEMON_ADDRESS"
	" _AWS_XRAY_DAEMON_PORT _HANDLER; \"$1\" 3<&-; echo \"exited $? $1\" >&3) &\n"
	"  shift; i=$((i + 1))\n"
	"done\n"
	"read -r go <&3 || exit 0\n"
	"exec \"$@\" 3<&-\n";

/* path and argv become the launcher's, running the extensions, then argv. */
static void wrap(char **path, char ***argvp, const struct lamb_ext_list *l)
{
	char **old = *argvp;
	size_t argc = 0;
	while (old[argc])
		argc++;
	char **argv = xcalloc(argc + l->n + 6, sizeof(char *));
	size_t k = 0;
	argv[k++] = xstrdup("/bin/sh");
	argv[k++] = xstrdup("-c");
	argv[k++] = xstrdup(launcher);
	argv[k++] = xstrdup("lamb-extensions");
	argv[k++] = xasprintf("%zu", l->n);
	for (size_t i = 0; i < l->n; i++)
		argv[k++] = xstrdup(l->paths[i]);
	/* the bootstrap's own argv[0] is its path: exec "$@" runs it */
	argv[k++] = xstrdup(*path);
	for (size_t i = 1; i < argc; i++)
		argv[k++] = old[i];
	free(old[0]);
	free(old);
	*argvp = argv;
	free(*path);
	*path = xstrdup("/bin/sh");
}

void lamb_ext_wrap(struct lamb_bootstrap *b, const struct lamb_ext_list *l)
{
	if (!l->n)
		return;
	wrap(&b->path, &b->argv, l);
	/* the debugged instance runs them too, as sam local invoke -d does: the
	 * launcher execs the runtime, so the debugger's process is the same */
	if (b->debug_argv)
		wrap(&b->debug_path, &b->debug_argv, l);
}

/* --- the host --- */

struct lamb_ext_host *lamb_ext_new(struct lamb_loop *loop, const struct lamb_function *fn,
				   const struct lamb_ext_list *l, const struct lamb_ext_ops *ops, void *owner)
{
	struct lamb_ext_host *h = xcalloc(1, sizeof(*h));
	h->loop = loop;
	h->fn = fn;
	h->ops = ops;
	h->owner = owner;
	h->expected = xcalloc(l->n + 1, sizeof(char *));
	for (size_t i = 0; i < l->n; i++)
		h->expected[i] = xstrdup(l->names[i]);
	h->nexpected = l->n;
	h->tele = lamb_telemetry_new(loop);
	h->gate = -1;
	return h;
}

void lamb_ext_free(struct lamb_ext_host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		lamb_buf_release(&h->ext[i].pending);
	for (size_t i = 0; i < h->nexpected; i++)
		free(h->expected[i]);
	free(h->expected);
	lamb_telemetry_free(h->tele);
	if (h->gate >= 0) {
		lamb_loop_del_fd(h->loop, &h->gate_watch);
		close(h->gate);
	}
	lamb_buf_release(&h->reports);
	free(h);
}

static void reply_error(struct lamb_rapi_call *call, int status, const char *type, const char *msg)
{
	char *doc = lamb_json_error(type, msg);
	lamb_rapi_reply(call, status, NULL, doc, strlen(doc));
	free(doc);
}

static struct ext *by_id(struct lamb_ext_host *h, const char *id)
{
	for (size_t i = 0; i < h->n; i++)
		if (id[0] && strcmp(h->ext[i].id, id) == 0)
			return &h->ext[i];
	return NULL;
}

static bool is_expected(const struct lamb_ext_host *h, const char *name)
{
	for (size_t i = 0; i < h->nexpected; i++)
		if (strcmp(h->expected[i], name) == 0)
			return true;
	return false;
}

static size_t externals(const struct lamb_ext_host *h)
{
	size_t n = 0;
	for (size_t i = 0; i < h->n; i++)
		n += h->ext[i].external;
	return n;
}

bool lamb_ext_ready(const struct lamb_ext_host *h)
{
	if (externals(h) < h->nexpected)
		return false;
	for (size_t i = 0; i < h->n; i++)
		if (!h->ext[i].next || h->ext[i].pending.len)
			return false;
	return true;
}

/* The events a register body asks for; -1 for one that is not one. */
static int parse_events(struct ext *e, const char *body, size_t len)
{
	cJSON *doc = len ? cJSON_ParseWithLength(body, len) : NULL;
	const cJSON *events = doc ? cJSON_GetObjectItemCaseSensitive(doc, "events") : NULL;
	int rc = len && !doc ? -1 : 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, events) {
		if (cJSON_IsString(it) && strcmp(it->valuestring, "INVOKE") == 0)
			e->want_invoke = true;
		else if (cJSON_IsString(it) && strcmp(it->valuestring, "SHUTDOWN") == 0)
			e->want_shutdown = true;
		else
			rc = -1;
	}
	cJSON_Delete(doc);
	return rc;
}

/* platform.extension: an extension registered (telemetry-schema-reference.md) */
static void tell_registered(struct lamb_ext_host *h, const struct ext *e)
{
	struct lamb_buf r;
	lamb_buf_init(&r);
	lamb_buf_addstr(&r, "{\"name\":");
	lamb_buf_addquoted(&r, e->name);
	lamb_buf_addf(&r, ",\"state\":\"Ready\",\"events\":[%s%s%s]}", e->want_invoke ? "\"INVOKE\"" : "",
		      e->want_invoke && e->want_shutdown ? "," : "", e->want_shutdown ? "\"SHUTDOWN\"" : "");
	lamb_telemetry_add(h->tele, LAMB_TELE_PLATFORM, "platform.extension", r.data);
	lamb_buf_release(&r);
	/* "Lambda also generates an additional log event for each extension
	 * during Init": its name and the events it registered for */
	char line[400];
	snprintf(line, sizeof(line), "EXTENSION\tName: %s\tState: Ready\tEvents: [%s%s%s]", e->name,
		 e->want_invoke ? "INVOKE" : "", e->want_invoke && e->want_shutdown ? ", " : "",
		 e->want_shutdown ? "SHUTDOWN" : "");
	h->ops->note(h->owner, line);
}

static void do_register(struct lamb_ext_host *h, struct lamb_rapi_call *call, const struct lamb_rapi_ext_req *req)
{
	if (!req->name[0])
		return reply_error(call, 400, "InvalidRequest", "Lambda-Extension-Name header is missing");
	if (h->init_done)
		return reply_error(call, 403, "Extension.InvalidState", "extensions register during init only");
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->ext[i].name, req->name) == 0)
			return reply_error(call, 403, "Extension.AlreadyRegistered", "extension already registered");
	if (h->n == MAX_EXTENSIONS)
		return reply_error(call, 403, "Extension.TooManyExtensions", "at most 10 extensions may register");
	struct ext *e = &h->ext[h->n];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", req->name);
	e->external = is_expected(h, req->name);
	if (parse_events(e, req->body, req->len) < 0)
		return reply_error(call, 400, "InvalidRequest", "events must be a list of INVOKE and SHUTDOWN");
	if (!e->external && e->want_shutdown)
		return reply_error(call, 400, "ShutdownEventNotSupportedForInternalExtension",
				   "an internal extension cannot register for SHUTDOWN");
	lamb_invoke_request_id(e->id);
	h->n++;
	char head[96];
	snprintf(head, sizeof(head), "Lambda-Extension-Identifier: %s\r\n", e->id);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "functionName", h->fn->name ? h->fn->name : h->fn->logical_id);
	cJSON_AddStringToObject(o, "functionVersion", "$LATEST");
	cJSON_AddStringToObject(o, "handler", h->fn->handler ? h->fn->handler : "");
	char *body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	lamb_rapi_reply(call, 200, head, body, strlen(body));
	free(body);
	tell_registered(h, e);
	if (!h->said_registered && externals(h) == h->nexpected) {
		h->said_registered = true;
		/* the launcher execs the runtime (runtimes-extensions-api.md:
		 * "After each extension registers with Lambda, Lambda starts the
		 * Runtime init phase") */
		if (h->gate >= 0 && send(h->gate, "\n", 1, MSG_NOSIGNAL) != 1) {
			/* a launcher gone already: the instance's exit says it */
		}
	}
}

static void give(struct ext *e)
{
	char head[96];
	snprintf(head, sizeof(head), "Lambda-Extension-Identifier: %s\r\n", e->id);
	struct lamb_rapi_call *call = e->next;
	e->next = NULL;
	struct lamb_buf ev = e->pending;
	lamb_buf_init(&e->pending);
	lamb_rapi_reply(call, 200, head, ev.data, ev.len);
	lamb_buf_release(&ev);
}

static void do_next(struct lamb_ext_host *h, struct ext *e, struct lamb_rapi_call *call)
{
	if (e->next) /* a second event/next: the first is answered by the second's */
		reply_error(e->next, 403, "Extension.InvalidState", "a newer event/next replaced this one");
	e->next = call;
	if (e->shut)
		e->back = true;
	if (e->pending.len) {
		give(e);
		return;
	}
	if (lamb_ext_ready(h))
		h->ops->ready(h->owner);
}

static void do_error(struct lamb_ext_host *h, struct ext *e, struct lamb_rapi_call *call,
		     const struct lamb_rapi_ext_req *req, const char *phase)
{
	if (!req->error_type[0])
		return reply_error(call, 400, "InvalidRequest", "Lambda-Extension-Function-Error-Type header is missing");
	char head[96];
	snprintf(head, sizeof(head), "Lambda-Extension-Identifier: %s\r\n", e->id);
	static const char ok[] = "{\"status\":\"OK\"}";
	lamb_rapi_reply(call, 202, head, ok, sizeof(ok) - 1);
	h->failed = true;
	h->ops->failed(h->owner, phase, e->name, req->error_type);
}

static void do_subscribe(struct lamb_ext_host *h, struct ext *e, struct lamb_rapi_call *call,
			 const struct lamb_rapi_ext_req *req)
{
	char msg[256];
	if (lamb_telemetry_subscribe(h->tele, e->name, req->body, req->len, msg, sizeof(msg)) < 0)
		return reply_error(call, 400, "ValidationError", msg);
	lamb_rapi_reply(call, 200, NULL, "\"OK\"", 4);
}

void lamb_ext_request(struct lamb_ext_host *h, struct lamb_rapi_call *call, const struct lamb_rapi_ext_req *req)
{
	bool post = strcmp(req->method, "POST") == 0;
	if (h->failed)
		return reply_error(call, 403, "Extension.Failed", "an extension reported an error: no call succeeds");
	if (strcmp(req->path, "/2020-01-01/extension/register") == 0 && post)
		return do_register(h, call, req);
	struct ext *e = by_id(h, req->id);
	bool known = strcmp(req->path, "/2020-01-01/extension/event/next") == 0 ||
		     strcmp(req->path, "/2020-01-01/extension/init/error") == 0 ||
		     strcmp(req->path, "/2020-01-01/extension/exit/error") == 0 ||
		     strncmp(req->path, "/2022-07-01/telemetry", 21) == 0;
	if (!known)
		return reply_error(call, 404, "InvalidRequest", "Unknown path");
	if (!e)
		return reply_error(call, 403, "Extension.UnknownExtensionIdentifier",
				   "Lambda-Extension-Identifier is missing or not a registered extension's");
	if (strcmp(req->path, "/2020-01-01/extension/event/next") == 0 && strcmp(req->method, "GET") == 0)
		return do_next(h, e, call);
	if (strcmp(req->path, "/2020-01-01/extension/init/error") == 0 && post)
		return do_error(h, e, call, req, "init");
	if (strcmp(req->path, "/2020-01-01/extension/exit/error") == 0 && post)
		return do_error(h, e, call, req, "exit");
	if (strncmp(req->path, "/2022-07-01/telemetry", 21) == 0 && strcmp(req->method, "PUT") == 0)
		return do_subscribe(h, e, call, req);
	reply_error(call, 405, "InvalidRequest", "method not allowed on this path");
}

void lamb_ext_gone(struct lamb_ext_host *h, struct lamb_rapi_call *call)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->ext[i].next == call)
			h->ext[i].next = NULL;
}

void lamb_ext_init_done(struct lamb_ext_host *h)
{
	h->init_done = true;
	lamb_telemetry_seal(h->tele); /* subscriptions come during init only */
}

/* Hands ev to e now if it waits, else at its next event/next. */
static void post(struct ext *e, const char *ev, size_t len)
{
	e->pending.len = 0;
	lamb_buf_add(&e->pending, ev, len);
	if (e->next)
		give(e);
}

void lamb_ext_invoke(struct lamb_ext_host *h, const char *request_id, uint64_t deadline_ms, const char *arn,
		     const char *trace_id)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "eventType", "INVOKE");
	cJSON_AddNumberToObject(o, "deadlineMs", (double)deadline_ms);
	cJSON_AddStringToObject(o, "requestId", request_id);
	cJSON_AddStringToObject(o, "invokedFunctionArn", arn ? arn : "");
	cJSON *tr = cJSON_AddObjectToObject(o, "tracing");
	cJSON_AddStringToObject(tr, "type", "X-Amzn-Trace-Id");
	cJSON_AddStringToObject(tr, "value", trace_id ? trace_id : "");
	char *ev = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	for (size_t i = 0; i < h->n; i++)
		if (h->ext[i].want_invoke)
			post(&h->ext[i], ev, strlen(ev));
	free(ev);
}

/* An external extension exited (its subshell said so on the gate). */
static void exited(struct lamb_ext_host *h, const char *path)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct ext *e = NULL;
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->ext[i].name, name) == 0)
			e = &h->ext[i];
	if (h->shutting) { /* done with its shutdown, as if it called next again */
		if (e)
			e->back = true;
		if (lamb_ext_shut(h))
			h->ops->ready(h->owner);
		return;
	}
	/* "If an extension fails, Lambda restarts the execution environment" */
	if (!h->failed) {
		h->failed = true;
		h->ops->failed(h->owner, e ? "exit" : "init", name, "Extension.Crash");
	}
}

static void on_gate(void *data, uint32_t events)
{
	struct lamb_ext_host *h = data;
	char buf[1024];
	(void)events;
	ssize_t n = recv(h->gate, buf, sizeof(buf), MSG_DONTWAIT);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			lamb_loop_del_fd(h->loop, &h->gate_watch);
			close(h->gate);
			h->gate = -1;
		}
		return;
	}
	lamb_buf_add(&h->reports, buf, (size_t)n);
	char *nl;
	while (h->reports.len && (nl = memchr(h->reports.data, '\n', h->reports.len))) {
		*nl = '\0';
		char *path = NULL;
		if (str_starts(h->reports.data, "exited ") && (path = strchr(h->reports.data + 7, ' ')))
			exited(h, path + 1);
		size_t used = (size_t)(nl + 1 - h->reports.data);
		memmove(h->reports.data, nl + 1, h->reports.len - used);
		h->reports.len -= used;
		if (h->gate < 0)
			return;
	}
	if (h->reports.len > 8192) /* not the launcher's: no line */
		h->reports.len = 0;
}

void lamb_ext_gate(struct lamb_ext_host *h, int fd)
{
	h->gate = fd;
	if (lamb_loop_add_fd(h->loop, &h->gate_watch, fd, EPOLLIN, on_gate, h, NULL) < 0) {
		/* unwatched: the runtime still gets its go, exits go unseen */
	}
}

bool lamb_ext_shutdown(struct lamb_ext_host *h, const char *reason, uint64_t deadline_ms)
{
	char ev[160];
	int len = snprintf(ev, sizeof(ev), "{\"eventType\":\"SHUTDOWN\",\"shutdownReason\":\"%s\",\"deadlineMs\":%llu}",
			   reason, (unsigned long long)deadline_ms);
	lamb_telemetry_flush(h->tele);
	h->shutting = true;
	bool none = true;
	for (size_t i = 0; i < h->n; i++)
		if (h->ext[i].want_shutdown && !h->failed) {
			h->ext[i].shut = true;
			h->ext[i].back = false;
			post(&h->ext[i], ev, (size_t)len);
			none = false;
		}
	return none;
}

bool lamb_ext_shut(const struct lamb_ext_host *h)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->ext[i].shut && !h->ext[i].back)
			return false;
	return true;
}

void lamb_ext_platform(struct lamb_ext_host *h, const char *type, const char *record)
{
	lamb_telemetry_add(h->tele, LAMB_TELE_PLATFORM, type, record);
}

void lamb_ext_log(struct lamb_ext_host *h, const char *line, size_t len)
{
	struct lamb_buf r;
	lamb_buf_init(&r);
	lamb_buf_addquotedn(&r, line, len);
	lamb_telemetry_add(h->tele, LAMB_TELE_FUNCTION, "function", r.data);
	lamb_buf_release(&r);
}
