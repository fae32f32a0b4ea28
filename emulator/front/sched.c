/* The schedules of lamb local start and the clock they follow. Each
 * schedule knows its next fire time; under the real clock one loop timer
 * waits for the earliest, under the manual clock lamb_scheduler_advance
 * walks the due times in order, letting each instant's invocations finish
 * before it moves on, so that a test sees the same firings every run. */
#include "front/sched.h"

#include "base/util.h"
#include "front/async.h"
#include "front/lambda-api.h"
#include "front/sched-expr.h"

#include <stdlib.h>
#include <string.h>

struct schedule {
	char *source;   /* "schedule Fn/Event", "rule Id" */
	const struct lamb_function *fn;
	const char *text;
	struct lamb_sched_expr expr;
	const char *tz;
	int64_t start_ms, end_ms; /* -1: none */
	bool enabled;
	bool scheduler; /* EventBridge Scheduler, not an Events rule */
	const char *input, *input_path;
	const struct lamb_node *transformer;
	char *name, *arn;
	int64_t next_ms; /* -1: never again */
};

struct fire {
	struct lamb_scheduler *s;
	struct schedule *sc;
	size_t rec; /* its token of lamb_scheduler_begin */
	int64_t at;
	struct fire *next, *prev;
};

struct lamb_scheduler {
	struct lamb_loop *loop;
	struct lamb_invoker *iv;
	const struct lamb_model *m;
	FILE *log;
	bool manual;
	int64_t origin_ms, now_ms; /* now_ms: the manual clock */
	struct schedule *v;
	size_t n, cap;
	struct lamb_timer timer;
	struct fire *fires; /* in flight */
	bool advancing;
	int64_t target_ms;
	int inflight;
	struct lamb_fired *fired;
	size_t nfired, fired_cap;
	lamb_advance_fn done;
	void *done_data;
	struct lamb_clocked clocked[4]; /* the async queue, SQS */
	size_t nclocked;
	struct lamb_async *async;
};

int64_t lamb_scheduler_now(const struct lamb_scheduler *s)
{
	return s->manual ? s->now_ms : (int64_t)lamb_loop_wall_ms();
}

bool lamb_scheduler_manual(const struct lamb_scheduler *s)
{
	return s->manual;
}

static int64_t next_after(const struct lamb_scheduler *s, const struct schedule *sc, int64_t t)
{
	if (!sc->enabled)
		return -1;
	if (sc->start_ms >= 0 && t < sc->start_ms - 1)
		t = sc->start_ms - 1;
	int64_t n = lamb_sched_next(&sc->expr, t, s->origin_ms, sc->tz);
	return sc->end_ms >= 0 && n > sc->end_ms ? -1 : n;
}

/* --- reading the template --- */

struct spec {
	const char *source, *name, *text, *tz, *start, *end, *input, *input_path;
	const struct lamb_node *transformer;
	const struct lamb_function *fn;
	bool enabled, scheduler;
};

static void add(struct lamb_scheduler *s, const struct spec *p)
{
	struct lamb_err err;
	struct schedule sc = { .fn = p->fn, .text = p->text, .tz = p->tz, .enabled = p->enabled,
			       .scheduler = p->scheduler, .input = p->input, .input_path = p->input_path,
			       .transformer = p->transformer, .start_ms = -1, .end_ms = -1 };
	if (lamb_sched_parse(p->text, p->scheduler, &sc.expr, &err) < 0) {
		fprintf(s->log, "lamb: warning: %s is not run: %s\n", p->source, err.msg);
		return;
	}
	if (p->start && (sc.start_ms = lamb_sched_parse_iso(p->start, p->tz)) < 0)
		fprintf(s->log, "lamb: warning: %s: StartDate '%s' is not a date; it is ignored\n", p->source, p->start);
	if (p->end && (sc.end_ms = lamb_sched_parse_iso(p->end, p->tz)) < 0)
		fprintf(s->log, "lamb: warning: %s: EndDate '%s' is not a date; it is ignored\n", p->source, p->end);
	sc.source = xstrdup(p->source);
	sc.name = xstrdup(p->name);
	const struct lamb_model *m = s->m;
	sc.arn = p->scheduler ? xasprintf("arn:%s:scheduler:%s:%s:schedule/default/%s", m->partition, m->region,
					  m->account_id, p->name)
			      : xasprintf("arn:%s:events:%s:%s:rule/%s", m->partition, m->region, m->account_id,
					  p->name);
	s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = sc;
}

static bool state_enabled(const struct lamb_node *props)
{
	const char *state = lamb_node_str(lamb_node_get(props, "State"));
	bool enabled = true;
	lamb_node_bool(lamb_node_get(props, "Enabled"), &enabled);
	return enabled && !(state && strcmp(state, "DISABLED") == 0);
}

static void add_event(struct lamb_scheduler *s, const struct lamb_function *f, const struct lamb_event *e)
{
	const struct lamb_node *p = e->properties;
	bool v2 = strcmp(e->type, "ScheduleV2") == 0;
	char *source = xasprintf("schedule %s/%s", f->logical_id, e->name);
	char *fallback = xasprintf("%s%s", f->logical_id, e->name); /* SAM's generated rule's id */
	const char *name = lamb_node_str(lamb_node_get(p, "Name"));
	struct spec sp = {
		.source = source, .name = name ? name : fallback, .fn = f, .scheduler = v2,
		.text = lamb_node_str(lamb_node_get(p, v2 ? "ScheduleExpression" : "Schedule")),
		.tz = v2 ? lamb_node_str(lamb_node_get(p, "ScheduleExpressionTimezone")) : NULL,
		.start = v2 ? lamb_node_str(lamb_node_get(p, "StartDate")) : NULL,
		.end = v2 ? lamb_node_str(lamb_node_get(p, "EndDate")) : NULL,
		.input = lamb_node_str(lamb_node_get(p, "Input")), .enabled = state_enabled(p),
	};
	if (sp.text)
		add(s, &sp);
	free(source);
	free(fallback);
}

/* AWS::Events::Rule with a ScheduleExpression: each target that is a
 * function of the template. */
static void add_rule(struct lamb_scheduler *s, const struct lamb_source *r)
{
	const struct lamb_node *p = r->properties, *targets = lamb_node_get(p, "Targets");
	const char *text = lamb_node_str(lamb_node_get(p, "ScheduleExpression"));
	const char *name = lamb_node_str(lamb_node_get(p, "Name"));
	for (size_t i = 0; text && targets && targets->kind == LAMB_SEQ && i < targets->len; i++) {
		const struct lamb_node *t = targets->items[i];
		const char *arn = lamb_node_str(lamb_node_get(t, "Arn"));
		const struct lamb_function *f = arn ? lamb_lambda_api_find(s->m, arn) : NULL;
		if (!f)
			continue;
		char *source = xasprintf("rule %s", r->logical_id);
		struct spec sp = { .source = source, .name = name ? name : r->logical_id, .fn = f, .text = text,
				   .enabled = state_enabled(p),
				   .input = lamb_node_str(lamb_node_get(t, "Input")),
				   .input_path = lamb_node_str(lamb_node_get(t, "InputPath")),
				   .transformer = lamb_node_get(t, "InputTransformer") };
		add(s, &sp);
		free(source);
	}
}

/* AWS::Scheduler::Schedule whose Target is a function of the template. */
static void add_schedule(struct lamb_scheduler *s, const struct lamb_source *r)
{
	const struct lamb_node *p = r->properties, *t = lamb_node_get(p, "Target");
	const char *arn = lamb_node_str(lamb_node_get(t, "Arn"));
	const struct lamb_function *f = arn ? lamb_lambda_api_find(s->m, arn) : NULL;
	const char *name = lamb_node_str(lamb_node_get(p, "Name"));
	char *source = xasprintf("schedule %s", r->logical_id);
	struct spec sp = { .source = source, .name = name ? name : r->logical_id, .fn = f, .scheduler = true,
			   .text = lamb_node_str(lamb_node_get(p, "ScheduleExpression")),
			   .tz = lamb_node_str(lamb_node_get(p, "ScheduleExpressionTimezone")),
			   .start = lamb_node_str(lamb_node_get(p, "StartDate")),
			   .end = lamb_node_str(lamb_node_get(p, "EndDate")),
			   .input = lamb_node_str(lamb_node_get(t, "Input")), .enabled = state_enabled(p) };
	if (f && sp.text)
		add(s, &sp);
	free(source);
}

static void read_schedules(struct lamb_scheduler *s)
{
	const struct lamb_model *m = s->m;
	for (size_t i = 0; i < m->nfunctions; i++)
		for (size_t j = 0; j < m->functions[i].nevents; j++) {
			const struct lamb_event *e = &m->functions[i].events[j];
			if (strcmp(e->type, "Schedule") == 0 || strcmp(e->type, "ScheduleV2") == 0)
				add_event(s, &m->functions[i], e);
		}
	for (size_t i = 0; i < m->nsources; i++) {
		if (strcmp(m->sources[i].type, "AWS::Events::Rule") == 0)
			add_rule(s, &m->sources[i]);
		else if (strcmp(m->sources[i].type, "AWS::Scheduler::Schedule") == 0)
			add_schedule(s, &m->sources[i]);
	}
}

/* --- firing --- */

const char *lamb_outcome_name(enum lamb_outcome_kind k)
{
	switch (k) {
	case LAMB_OUTCOME_RESPONSE: return "ok";
	case LAMB_OUTCOME_FUNCTION_ERROR: return "function error";
	case LAMB_OUTCOME_TOO_LARGE: return "response too large";
	case LAMB_OUTCOME_TIMEOUT: return "timeout";
	case LAMB_OUTCOME_CRASH: return "crash";
	case LAMB_OUTCOME_INIT_ERROR: return "init error";
	case LAMB_OUTCOME_START_FAILED: return "start failed";
	case LAMB_OUTCOME_THROTTLED: return "throttled";
	}
	return "unknown";
}

static void step(struct lamb_scheduler *s);

size_t lamb_scheduler_begin(struct lamb_scheduler *s, int64_t at, const char *source, const char *function)
{
	s->inflight++;
	if (!s->advancing)
		return SIZE_MAX;
	s->fired = xgrow(s->fired, &s->fired_cap, s->nfired + 1, sizeof(*s->fired));
	s->fired[s->nfired] = (struct lamb_fired){ at, xstrdup(source), function, "pending" };
	return s->nfired++;
}

void lamb_scheduler_end(struct lamb_scheduler *s, size_t token, const char *outcome)
{
	if (token != SIZE_MAX && token < s->nfired)
		s->fired[token].outcome = outcome;
	if (--s->inflight == 0 && s->advancing)
		step(s);
}

void lamb_scheduler_add_clocked(struct lamb_scheduler *s, const struct lamb_clocked *c)
{
	if (s->nclocked < ARRAY_SIZE(s->clocked))
		s->clocked[s->nclocked++] = *c;
}

void lamb_scheduler_use_async(struct lamb_scheduler *s, struct lamb_async *a)
{
	s->async = a;
}

static void finished(struct lamb_scheduler *s, const struct fire *f, const char *outcome)
{
	char when[32];
	lamb_sched_iso(f->at, when);
	fprintf(s->log, "lamb: %s %s -> %s: %s\n", when, f->sc->source, f->sc->fn->logical_id, outcome);
	lamb_loop_wrote(s->loop, s->log);
}

static void on_outcome(void *data, const struct lamb_outcome *o)
{
	struct fire *f = data;
	struct lamb_scheduler *s = f->s;
	finished(s, f, lamb_outcome_name(o->kind));
	if (f->prev)
		f->prev->next = f->next;
	else
		s->fires = f->next;
	if (f->next)
		f->next->prev = f->prev;
	size_t rec = f->rec;
	free(f);
	lamb_scheduler_end(s, rec, lamb_outcome_name(o->kind));
}

static char *scheduled_event(const struct lamb_scheduler *s, const struct schedule *sc, int64_t at)
{
	char id[40], when[32];
	lamb_invoke_request_id(id);
	lamb_sched_iso(at, when);
	return xasprintf("{\"version\":\"0\",\"id\":\"%s\",\"detail-type\":\"Scheduled Event\",\"source\":\"%s\","
			 "\"account\":\"%s\",\"time\":\"%s\",\"region\":\"%s\",\"resources\":[\"%s\"],\"detail\":{}}",
			 id, sc->scheduler ? "aws.scheduler" : "aws.events", s->m->account_id, when, s->m->region,
			 sc->arn);
}

/* Without an asynchronous queue: invoked at once, its outcome logged. */
static void invoke_now(struct lamb_scheduler *s, struct schedule *sc, int64_t at, const char *input)
{
	struct lamb_err err;
	struct fire *f = xcalloc(1, sizeof(*f));
	*f = (struct fire){ s, sc, lamb_scheduler_begin(s, at, sc->source, sc->fn->logical_id), at, s->fires, NULL };
	struct lamb_invoke_req req = { .event = input, .len = strlen(input) };
	if (lamb_invoke(s->iv, sc->fn, &req, on_outcome, f, &err) < 0) {
		fprintf(s->log, "lamb: %s: %s\n", sc->source, err.msg);
		size_t rec = f->rec;
		free(f);
		lamb_scheduler_end(s, rec, "not invoked");
		return;
	}
	if (s->fires)
		s->fires->prev = f;
	s->fires = f;
}

static void fire(struct lamb_scheduler *s, struct schedule *sc, int64_t at)
{
	struct lamb_err err;
	char *event = scheduled_event(s, sc, at);
	char *input = lamb_sched_target_input(event, sc->input, sc->input_path, sc->transformer, sc->arn, sc->name,
					      &err);
	free(event);
	if (!input)
		fprintf(s->log, "lamb: %s is not delivered: %s\n", sc->source, err.msg);
	else if (!s->async)
		invoke_now(s, sc, at, input);
	else if (lamb_async_submit(s->async, sc->fn, input, strlen(input), sc->source, NULL, NULL, &err) < 0)
		fprintf(s->log, "lamb: %s is not delivered: %s\n", sc->source, err.msg);
	free(input);
}

static int64_t earliest(const struct lamb_scheduler *s)
{
	int64_t min = -1;
	for (size_t i = 0; i < s->nclocked; i++) {
		int64_t n = s->clocked[i].next(s->clocked[i].data);
		if (n >= 0 && (min < 0 || n < min))
			min = n;
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].next_ms >= 0 && (min < 0 || s->v[i].next_ms < min))
			min = s->v[i].next_ms;
	return min;
}

static void fire_due(struct lamb_scheduler *s, int64_t now)
{
	for (size_t i = 0; i < s->n; i++) {
		struct schedule *sc = &s->v[i];
		if (sc->next_ms < 0 || sc->next_ms > now)
			continue;
		int64_t at = s->manual ? sc->next_ms : now;
		sc->next_ms = next_after(s, sc, at);
		fire(s, sc, at);
	}
	for (size_t i = 0; i < s->nclocked; i++)
		s->clocked[i].run_due(s->clocked[i].data, now);
}

/* The manual clock's walk: the next due instant, once the last one's
 * invocations are done; the target when nothing else falls before it. */
static void step(struct lamb_scheduler *s)
{
	while (s->inflight == 0) {
		int64_t next = earliest(s);
		if (next < 0 || next > s->target_ms) {
			s->now_ms = s->target_ms;
			s->advancing = false;
			s->done(s->done_data, s->fired, s->nfired, s->now_ms);
			for (size_t i = 0; i < s->nfired; i++)
				free((char *)s->fired[i].source);
			s->nfired = 0;
			return;
		}
		if (next > s->now_ms)
			s->now_ms = next;
		fire_due(s, s->now_ms);
	}
}

int lamb_scheduler_advance(struct lamb_scheduler *s, int64_t by_ms, lamb_advance_fn done, void *data,
			   struct lamb_err *err)
{
	if (!s->manual)
		return lamb_err_set(err, "the clock is real: start lamb local start with --clock manual to move it");
	if (s->advancing)
		return lamb_err_set(err, "the clock is already advancing");
	if (by_ms < 0)
		return lamb_err_set(err, "the clock moves only forward");
	s->advancing = true;
	s->target_ms = s->now_ms + by_ms;
	s->done = done;
	s->done_data = data;
	step(s);
	return 0;
}

static void arm(struct lamb_scheduler *s);

static void on_timer(void *data)
{
	struct lamb_scheduler *s = data;
	fire_due(s, (int64_t)lamb_loop_wall_ms());
	arm(s);
}

void lamb_scheduler_poke(struct lamb_scheduler *s)
{
	if (!s->manual)
		arm(s);
}

static void arm(struct lamb_scheduler *s)
{
	int64_t next = earliest(s), now = (int64_t)lamb_loop_wall_ms();
	if (next < 0)
		return;
	uint64_t wait_ns = next > now ? (uint64_t)(next - now) * 1000000 : 0;
	lamb_loop_timer_set(s->loop, &s->timer, lamb_loop_now_ns() + wait_ns, on_timer, s);
}

struct lamb_scheduler *lamb_scheduler_new(struct lamb_loop *loop, struct lamb_invoker *iv,
					  const struct lamb_model *m, bool manual, FILE *log)
{
	struct lamb_scheduler *s = xcalloc(1, sizeof(*s));
	*s = (struct lamb_scheduler){ .loop = loop, .iv = iv, .m = m, .log = log ? log : stderr, .manual = manual };
	s->origin_ms = s->now_ms = (int64_t)lamb_loop_wall_ms();
	read_schedules(s);
	for (size_t i = 0; i < s->n; i++)
		s->v[i].next_ms = next_after(s, &s->v[i], s->now_ms);
	if (!manual)
		arm(s);
	return s;
}

void lamb_scheduler_describe(const struct lamb_scheduler *s, FILE *out)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct schedule *sc = &s->v[i];
		char when[32] = "never";
		if (sc->next_ms >= 0)
			lamb_sched_iso(sc->next_ms, when);
		fprintf(out, "%s -> %s: %s%s%s, %s %s\n", sc->source, sc->fn->logical_id, sc->text,
			sc->tz ? " " : "", sc->tz ? sc->tz : "", sc->enabled ? "next" : "disabled:",
			sc->enabled ? when : "never fires");
	}
}

void lamb_scheduler_free(struct lamb_scheduler *s)
{
	if (!s)
		return;
	lamb_loop_timer_cancel(s->loop, &s->timer);
	for (struct fire *f = s->fires, *next; f; f = next) {
		next = f->next;
		free(f);
	}
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].source);
		free(s->v[i].name);
		free(s->v[i].arn);
	}
	free(s->v);
	for (size_t i = 0; i < s->nfired; i++)
		free((char *)s->fired[i].source);
	free(s->fired);
	free(s);
}

/* --- recursive loops --- */

int lamb_lineage_hops(const char *trace)
{
	const char *l = trace ? strstr(trace, "Lineage=") : NULL;
	if (!l)
		return 0;
	size_t n = strcspn(l, ";");
	const char *colon = memchr(l, ':', n);
	return colon ? atoi(colon + 1) : 0;
}

void lamb_lineage_trace(char *buf, int hops)
{
	char id[40];
	lamb_invoke_request_id(id); /* 32 random hex digits once the dashes go */
	char hexs[33];
	size_t k = 0;
	for (const char *p = id; *p && k < 32; p++)
		if (*p != '-')
			hexs[k++] = *p;
	hexs[k] = '\0';
	snprintf(buf, 96, "Root=1-%.8s-%.24s;Sampled=0;Lineage=6c616d62:%d", hexs, hexs + 8, hops);
}

bool lamb_lineage_allowed(const struct lamb_function *fn, int hops, const char *source, FILE *log)
{
	if (hops <= LAMB_MAX_HOPS || fn->recursive_loop_allowed)
		return true;
	fprintf(log, "lamb: recursive loop detected: %s -> %s would be invocation %d of one chain; stopped after %d "
		     "(set RecursiveLoop: Allow on %s to let it run)\n", source, fn->logical_id, hops, LAMB_MAX_HOPS,
		fn->logical_id);
	return false;
}
