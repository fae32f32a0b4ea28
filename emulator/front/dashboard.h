/* The dashboard of a running start-api or start-lambda: a page under
 * /_lamb/ on a small HTTP server of its own, live through server-sent
 * events: functions and their instances, the last invocations (cold or
 * warm, durations, memory, outcome, a link to their log lines), routes,
 * the local services (lamb local start) and a latency chart. Plain files from data/dashboard/. Costs a copy of a
 * small record per invocation when no browser is connected. */
#ifndef LAMB_DASHBOARD_H
#define LAMB_DASHBOARD_H

#include "base/err.h"
#include "base/loop.h"
#include "engine/invoke.h"
#include "model/model.h"

#include <stdio.h>

struct lamb_dashboard_opts {
	const char *host;       /* NULL: 127.0.0.1 */
	int port;               /* 0: any free port */
	const char *files_dir;  /* data/dashboard */
	const char *logs_dir;   /* .lamb/logs, for an invocation's log lines */
	const char *api_url;    /* where the routes are served, or NULL (start-lambda) */
	/* lamb local start's queues, buckets and schedules with their next
	 * fire times, as lines: asked each second while a browser listens. */
	void (*describe)(void *data, FILE *out);
	void *describe_data;
};

struct lamb_dashboard;

/* Listens; NULL with err when the port cannot be had. Not owned: loop,
 * iv, m, which must outlive it. */
struct lamb_dashboard *lamb_dashboard_new(struct lamb_loop *loop, struct lamb_invoker *iv,
					  const struct lamb_model *m, const struct lamb_dashboard_opts *o,
					  struct lamb_err *err);
/* Closes every connection. Accepts NULL. */
void lamb_dashboard_free(struct lamb_dashboard *d);
int lamb_dashboard_port(const struct lamb_dashboard *d);
/* For lamb_invoke_opts.observe: data points at a struct lamb_dashboard *
 * (the invoker is made first; NULL until then, or without a dashboard). */
void lamb_dashboard_observe(void *data, const struct lamb_function *fn, const struct lamb_outcome *o);

#endif
