/* What an event's value means, beyond its kind: schedule expressions as
 * EventBridge reads them (rate() with its singular and plural units, cron()
 * with six fields, each within its range, and a '?' in day-of-month or
 * day-of-week), HTTP methods of
 * API events, and the functions an OpenAPI DefinitionBody integrates. */
#include "base/util.h"
#include "model/validate-int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- rate() and cron() ---- */

/* NULL when rate(...) is well formed (inner: what the parentheses hold);
 * else what is wrong. EventBridge rules want the singular for 1 and the
 * plural above; EventBridge Scheduler takes either (scheduler). */
static const char *rate_problem(const char *inner, bool scheduler, char *buf, size_t size)
{
	char *end;
	long n = strtol(inner, &end, 10);
	if (end == inner || !isdigit((unsigned char)inner[0]) || *end != ' ' || n <= 0)
		return "rate() takes a positive whole number and a unit: rate(5 minutes)";
	const char *unit = end + 1;
	static const char *const units[] = { "minute", "hour", "day" };
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		size_t l = strlen(units[i]);
		if (strncmp(unit, units[i], l) != 0 || (unit[l] && strcmp(unit + l, "s") != 0))
			continue;
		bool plural = unit[l] == 's';
		if (scheduler)
			return NULL;
		if (n == 1 && plural)
			snprintf(buf, size, "rate(1 %ss) must be singular: rate(1 %s)", units[i], units[i]);
		else if (n > 1 && !plural)
			snprintf(buf, size, "rate(%ld %s) must be plural: rate(%ld %ss)", n, units[i], n, units[i]);
		else
			return NULL;
		return buf;
	}
	return "rate()'s unit must be minute(s), hour(s) or day(s)";
}

static bool field_chars(const char *f, const char *extra)
{
	for (; *f; f++)
		if (!isdigit((unsigned char)*f) && !strchr(",-*/", *f) && !strchr(extra, *f))
			return false;
	return true;
}

/* A field's numbers within its range (a step after '/' at least 1, a
 * week after '#' 1-5), its words among names (L and W as EventBridge's
 * "last" and "weekday"): cron(60 ...) and cron(0 12 ? * FUN *) are refused. */
static bool field_range(const char *f, const char *what, long lo, long hi, const char *const *names,
			char *buf, size_t size)
{
	for (const char *p = f; *p;) {
		char prev = p > f ? p[-1] : ' ';
		if (isdigit((unsigned char)*p)) {
			char *end;
			long n = strtol(p, &end, 10);
			long min = prev == '/' ? 1 : prev == '#' ? 1 : lo;
			long max = prev == '/' ? hi : prev == '#' ? 5 : hi;
			if (n < min || n > max) {
				int o = snprintf(buf, size, "cron()'s %s takes %ld-%ld%s, not %ld", what, min, max,
						 prev == '/' ? " as a step" : prev == '#' ? " after '#'" : "", n);
				if ((size_t)(end - p) != strlen(f) && o > 0 && (size_t)o < size)
					snprintf(buf + o, size - (size_t)o, " (in '%s')", f);
				return false;
			}
			p = end;
			continue;
		}
		if (!isalpha((unsigned char)*p)) {
			p++;
			continue;
		}
		size_t l = 0;
		while (isalpha((unsigned char)p[l]))
			l++;
		bool ok = (l == 1 && (*p == 'L' || *p == 'W')) || (l == 2 && strncmp(p, "LW", 2) == 0);
		for (size_t i = 0; names && !ok && names[i]; i++)
			ok = l == strlen(names[i]) && strncasecmp(p, names[i], l) == 0;
		if (!ok) {
			snprintf(buf, size, "cron()'s %s has '%.*s', which is no %s name", what, (int)l, p,
				 names && names[0][0] == 'J' ? "month" : "day");
			return false;
		}
		p += l;
	}
	return true;
}

static bool cron_ranges(const char *const *f, char *buf, size_t size)
{
	static const char *const months[] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL",
					      "AUG", "SEP", "OCT", "NOV", "DEC", NULL };
	static const char *const days[] = { "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL };
	return field_range(f[0], "minutes field", 0, 59, NULL, buf, size) &&
	       field_range(f[1], "hours field", 0, 23, NULL, buf, size) &&
	       field_range(f[2], "day-of-month field", 1, 31, NULL, buf, size) &&
	       field_range(f[3], "month field", 1, 12, months, buf, size) &&
	       field_range(f[4], "day-of-week field", 1, 7, days, buf, size) &&
	       field_range(f[5], "year field", 1970, 2199, NULL, buf, size);
}

static const char *cron_problem(const char *inner, char *buf, size_t size)
{
	char *copy = xstrdup(inner), *save = NULL;
	const char *f[7];
	size_t n = 0;
	for (char *w = strtok_r(copy, " ", &save); w && n < 7; w = strtok_r(NULL, " ", &save))
		f[n++] = w;
	const char *problem = NULL;
	if (n != 6) {
		snprintf(buf, size, "cron() takes six fields (minutes hours day-of-month month day-of-week "
				    "year), not %zu", n);
		problem = buf;
	} else if ((strcmp(f[2], "?") == 0) == (strcmp(f[4], "?") == 0)) {
		problem = "cron() needs '?' in exactly one of day-of-month and day-of-week";
	} else if (!field_chars(f[0], "") || !field_chars(f[1], "") || !field_chars(f[5], "")) {
		problem = "cron()'s minutes, hours and year take digits and , - * /";
	} else if (!field_chars(f[2], "?LW") ||
		   !field_chars(f[3], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") ||
		   !field_chars(f[4], "?L#ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")) {
		problem = "cron() has a character its field does not take";
	} else if (!cron_ranges(f, buf, size)) {
		problem = buf;
	}
	free(copy);
	return problem;
}

/* at_ok: EventBridge Scheduler's expression (at() too, rate() lenient). */
static const char *schedule_problem(const char *s, bool at_ok, char *buf, size_t size)
{
	size_t l = strlen(s);
	bool known = l > 1 && s[l - 1] == ')' &&
		     (str_starts(s, "rate(") || str_starts(s, "cron(") || (at_ok && str_starts(s, "at(")));
	if (!known) {
		snprintf(buf, size, "a schedule expression is rate(...) or cron(...)%s, not '%s'",
			 at_ok ? " or at(...)" : "", s);
		return buf;
	}
	char *inner = xstrndup(s, l - 1);
	const char *p = NULL;
	if (str_starts(inner, "rate("))
		p = rate_problem(inner + 5, at_ok, buf, size);
	else if (str_starts(inner, "cron("))
		p = cron_problem(inner + 5, buf, size);
	free(inner);
	return p;
}

static void check_expression(struct vctx *c, const struct lamb_node *v, bool at_ok)
{
	const char *s = lamb_node_str(v);
	char buf[256];
	const char *p = s ? schedule_problem(s, at_ok, buf, sizeof(buf)) : NULL;
	if (p)
		v_error(c, &v->mark, R_SCHEDULE, NULL, "%s", p);
}

/* Each event of a SAM function or state machine whose Type is type. */
#define FOR_EVENTS(c, res, type, ev)                                                           \
	for (const struct lamb_node *evs_ = lamb_node_get(lamb_node_get(res, "Properties"), "Events"); \
	     evs_; evs_ = NULL)                                                                \
		for (size_t k_ = 0; evs_->kind == LAMB_MAP && k_ < evs_->len; k_++)                  \
			if ((ev = evs_->pairs[k_].value) &&                                            \
			    str_eq(lamb_node_str(lamb_node_get(ev, "Type")), type))

void v_check_schedules(struct vctx *c)
{
	for (size_t i = 0; i < c->r.nresources; i++) {
		const struct lamb_res_entry *e = &c->r.resources[i];
		const struct lamb_node *props = lamb_node_get(e->node, "Properties");
		const struct lamb_node *ev;
		FOR_EVENTS(c, e->node, "Schedule", ev)
			check_expression(c, lamb_node_get(lamb_node_get(ev, "Properties"), "Schedule"), false);
		FOR_EVENTS(c, e->node, "ScheduleV2", ev)
			check_expression(c, lamb_node_get(lamb_node_get(ev, "Properties"), "ScheduleExpression"), true);
		if (strcmp(e->type, "AWS::Events::Rule") == 0)
			check_expression(c, lamb_node_get(props, "ScheduleExpression"), false);
		if (strcmp(e->type, "AWS::Scheduler::Schedule") == 0)
			check_expression(c, lamb_node_get(props, "ScheduleExpression"), true);
	}
}

/* ---- HTTP methods ---- */

static const char *const methods[] = { "get", "post", "put", "delete", "patch", "head", "options", "any" };

static void check_method(struct vctx *c, const struct lamb_node *m)
{
	const char *s = lamb_node_str(m);
	if (!s || strcmp(s, "x-amazon-apigateway-any-method") == 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (strcasecmp(s, methods[i]) == 0)
			return;
	v_error(c, &m->mark, R_VALUE, lamb_validate_suggest(s, methods, ARRAY_SIZE(methods)),
		"Method '%s' is not an HTTP method (get, post, put, delete, patch, head, options or any)", s);
}

void v_check_methods(struct vctx *c)
{
	for (size_t i = 0; i < c->r.nresources; i++) {
		const struct lamb_node *ev;
		FOR_EVENTS(c, c->r.resources[i].node, "Api", ev)
			check_method(c, lamb_node_get(lamb_node_get(ev, "Properties"), "Method"));
		FOR_EVENTS(c, c->r.resources[i].node, "HttpApi", ev)
			check_method(c, lamb_node_get(lamb_node_get(ev, "Properties"), "Method"));
	}
}

/* ---- OpenAPI integrations ---- */

static bool is_function(const char *type)
{
	return type && (strcmp(type, "AWS::Serverless::Function") == 0 ||
			strcmp(type, "AWS::Lambda::Function") == 0 || strcmp(type, "AWS::Lambda::Alias") == 0);
}

/* In an integration uri's Sub string: ${Name.Arn} or ${Name} right after
 * "functions/" names the function. */
static void integration_uri(struct vctx *c, const struct lamb_node *uri)
{
	const char *fn = lamb_node_intrinsic(uri);
	const struct lamb_node *arg = fn && strcmp(fn, "Fn::Sub") == 0 ? uri->pairs[0].value : NULL;
	if (arg && arg->kind == LAMB_SEQ && arg->len)
		arg = arg->items[0];
	const char *s = lamb_node_str(arg);
	const char *p = s ? strstr(s, "functions/${") : NULL;
	if (!p)
		return;
	p += strlen("functions/${");
	size_t l = strcspn(p, ".}");
	char *name = xstrndup(p, l);
	if (!strchr(name, ':') && !is_function(v_resource_type(c, name))) {
		struct v_best best;
		v_best_init(&best, name);
		for (size_t i = 0; i < c->r.nresources; i++)
			if (is_function(c->r.resources[i].type))
				v_consider(&best, c->r.resources[i].id, strlen(c->r.resources[i].id));
		v_error(c, &uri->mark, R_OPENAPI, v_best_get(&best),
			"DefinitionBody integrates function '%s', which the template does not define", name);
	}
	free(name);
}

static void definition(struct vctx *c, const struct lamb_node *body)
{
	const struct lamb_node *paths = lamb_node_get(body, "paths");
	for (size_t i = 0; paths && paths->kind == LAMB_MAP && i < paths->len; i++) {
		const struct lamb_node *ops = paths->pairs[i].value;
		for (size_t j = 0; ops->kind == LAMB_MAP && j < ops->len; j++) {
			const struct lamb_node *in = lamb_node_get(ops->pairs[j].value, "x-amazon-apigateway-integration");
			const struct lamb_node *uri = lamb_node_get(in, "uri");
			if (uri)
				integration_uri(c, uri);
		}
	}
}

void v_check_openapi(struct vctx *c)
{
	for (size_t i = 0; i < c->r.nresources; i++) {
		const struct lamb_res_entry *e = &c->r.resources[i];
		if (strcmp(e->type, "AWS::Serverless::Api") != 0 && strcmp(e->type, "AWS::Serverless::HttpApi") != 0 &&
		    strcmp(e->type, "AWS::ApiGateway::RestApi") != 0 && strcmp(e->type, "AWS::ApiGatewayV2::Api") != 0)
			continue;
		const struct lamb_node *props = lamb_node_get(e->node, "Properties");
		definition(c, lamb_node_get(props, "DefinitionBody"));
		definition(c, lamb_node_get(props, "Body"));
	}
}
