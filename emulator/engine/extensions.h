/* The Lambda Extensions API (2020-01-01) of one instance, served on its
 * Runtime API's address: external extensions (the executables in
 * /opt/extensions, started before the runtime) and internal ones (the
 * runtime's threads) register, long-poll event/next, and get INVOKE and
 * SHUTDOWN; /extension/init/error and /extension/exit/error end the
 * instance. Also the Telemetry API's subscriptions (telemetry.h), which
 * need a registered extension. What the events mean for the instance's life
 * is the pool's: this module says when every extension is registered and
 * when every one waits in event/next. */
#ifndef LAMB_EXTENSIONS_H
#define LAMB_EXTENSIONS_H

#include "base/loop.h"
#include "engine/bootstrap.h"
#include "engine/code.h"
#include "engine/runtime-api.h"
#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lamb_ext_host;

struct lamb_ext_ops {
	/* Every registered extension waits in event/next with no event to
	 * take, or (shutting down) has called it again or exited. */
	void (*ready)(void *owner);
	/* An extension called /extension/init/error (phase "init") or
	 * /extension/exit/error ("exit"), or exited outside the shutdown
	 * phase (type Extension.Crash): name and its error type. */
	void (*failed)(void *owner, const char *phase, const char *name, const char *type);
	/* The init's log event for an extension that registered, as
	 * CloudWatch has it: "EXTENSION\tName: x\tState: Ready\tEvents: [...]". */
	void (*note)(void *owner, const char *line);
};

/* The external extensions of a function, found in its layers' extensions/
 * folders (a later layer's file winning, as in the merged /opt): their file
 * names and host paths. */
struct lamb_ext_list {
	char **names;
	char **paths;
	size_t n;
};
void lamb_ext_list_find(struct lamb_ext_list *l, const struct lamb_code *code);
void lamb_ext_list_release(struct lamb_ext_list *l);

/* With extensions, b runs a small sh launcher instead: it starts each
 * extension (with the environment Lambda gives extensions), reads one line
 * of its stdin, the instance's gate (a socket), and execs the bootstrap;
 * when an extension exits, its subshell writes "exited STATUS PATH" to the
 * gate. Call before lamb_sandbox_apply, which maps the paths. */
void lamb_ext_wrap(struct lamb_bootstrap *b, const struct lamb_ext_list *l);

struct lamb_ext_host *lamb_ext_new(struct lamb_loop *loop, const struct lamb_function *fn,
				   const struct lamb_ext_list *l, const struct lamb_ext_ops *ops, void *owner);
/* The lamb end of the gate (lamb_ext_wrap): the host says go on it once
 * every external extension has registered, and reads their exits from it.
 * Owned from here on. */
void lamb_ext_gate(struct lamb_ext_host *h, int fd);
/* Forgets every call held (the Runtime API closes their connections).
 * Accepts NULL. */
void lamb_ext_free(struct lamb_ext_host *h);

/* The Runtime API's ext and ext_gone operations. */
void lamb_ext_request(struct lamb_ext_host *h, struct lamb_rapi_call *call, const struct lamb_rapi_ext_req *req);
void lamb_ext_gone(struct lamb_ext_host *h, struct lamb_rapi_call *call);

/* Init is over: registering is refused from now on. */
void lamb_ext_init_done(struct lamb_ext_host *h);
/* Every registered extension waits in event/next, no event pending. */
bool lamb_ext_ready(const struct lamb_ext_host *h);
/* INVOKE to every extension registered for it. */
void lamb_ext_invoke(struct lamb_ext_host *h, const char *request_id, uint64_t deadline_ms, const char *arn,
		     const char *trace_id);
/* SHUTDOWN ("spindown", "timeout", "failure") to every extension
 * registered for it; true when there is none to wait for. */
bool lamb_ext_shutdown(struct lamb_ext_host *h, const char *reason, uint64_t deadline_ms);
/* Every extension sent SHUTDOWN has called event/next again. */
bool lamb_ext_shut(const struct lamb_ext_host *h);

/* Telemetry: a platform event (type "platform.start"..., record a JSON
 * object's text) and a line of the instance's output ("function"). */
void lamb_ext_platform(struct lamb_ext_host *h, const char *type, const char *record);
void lamb_ext_log(struct lamb_ext_host *h, const char *line, size_t len);

#endif
