/* Route matching. Routes are few (tens), so a request is compared with
 * each in turn and the most specific match wins; a trie would buy nothing
 * measurable next to the cost of an invocation. */
#include "base/url.h"
#include "base/util.h"
#include "front/apigw.h"

#include <string.h>
#include <strings.h>

struct segment {
	const char *text; /* literal text, or the parameter name */
	size_t len;
	enum { SEG_LITERAL, SEG_PARAM, SEG_GREEDY } kind;
};

struct compiled {
	const struct lamb_route *route;
	struct segment *segs;
	size_t nsegs;
};

struct lamb_router {
	struct compiled *routes;
	size_t n;
};

static size_t split(const char *path, struct segment *out, size_t max)
{
	size_t n = 0;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *start = p;
		while (*p && *p != '/')
			p++;
		if (n < max) {
			out[n].text = start;
			out[n].len = (size_t)(p - start);
			out[n].kind = SEG_LITERAL;
		}
		n++;
	}
	return n;
}

static void compile(struct compiled *c, const struct lamb_route *route)
{
	c->route = route;
	if (route->is_default)
		return;
	size_t n = split(route->path, NULL, 0);
	c->segs = xcalloc(n, sizeof(*c->segs));
	c->nsegs = split(route->path, c->segs, n);
	for (size_t i = 0; i < c->nsegs; i++) {
		struct segment *s = &c->segs[i];
		if (s->len >= 2 && s->text[0] == '{' && s->text[s->len - 1] == '}') {
			s->text++;
			s->len -= 2;
			s->kind = SEG_PARAM;
			if (s->len && s->text[s->len - 1] == '+') {
				s->len--;
				s->kind = SEG_GREEDY;
			}
		}
	}
}

struct lamb_router *lamb_router_new(const struct lamb_model *m)
{
	struct lamb_router *r = xcalloc(1, sizeof(*r));
	r->routes = xcalloc(m->nroutes, sizeof(*r->routes));
	for (size_t i = 0; i < m->nroutes; i++)
		compile(&r->routes[r->n++], &m->routes[i]);
	return r;
}

void lamb_router_free(struct lamb_router *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->routes[i].segs);
	free(r->routes);
	free(r);
}

/* Specificity, compared lexicographically: not $default, no greedy tail,
 * more literal segments, more segments. -1 when path does not match. */
struct rank {
	int v[4];
};

static bool path_matches(const struct compiled *c, const struct segment *req, size_t nreq, struct rank *rank)
{
	memset(rank, 0, sizeof(*rank));
	if (c->route->is_default)
		return true;
	rank->v[0] = 1;
	rank->v[1] = 1;
	size_t i = 0;
	for (; i < c->nsegs; i++) {
		const struct segment *s = &c->segs[i];
		if (s->kind == SEG_GREEDY) {
			rank->v[1] = 0;
			rank->v[3] = (int)i;
			return i < nreq; /* a greedy parameter takes at least one segment */
		}
		if (i >= nreq)
			return false;
		if (s->kind == SEG_LITERAL) {
			if (s->len != req[i].len || memcmp(s->text, req[i].text, s->len) != 0)
				return false;
			rank->v[2]++;
		}
	}
	rank->v[3] = (int)i;
	return i == nreq;
}

static int rank_cmp(const struct rank *a, const struct rank *b)
{
	for (int i = 0; i < 4; i++)
		if (a->v[i] != b->v[i])
			return a->v[i] < b->v[i] ? -1 : 1;
	return 0;
}

static void add_param(struct lamb_route_match *m, const struct segment *s, const char *value, size_t len)
{
	m->params = xrealloc(m->params, (m->nparams + 1) * sizeof(*m->params));
	m->params[m->nparams].name = xstrndup(s->text, s->len);
	char *v = lamb_url_decode(value, len, false);
	m->params[m->nparams].value = v ? v : xstrndup(value, len);
	m->nparams++;
}

static void fill_params(const struct compiled *c, const struct segment *req, size_t nreq,
			struct lamb_route_match *out)
{
	for (size_t i = 0; i < c->nsegs && i < nreq; i++) {
		const struct segment *s = &c->segs[i];
		if (s->kind == SEG_PARAM) {
			add_param(out, s, req[i].text, req[i].len);
		} else if (s->kind == SEG_GREEDY) {
			/* the rest of the path, slashes included, without a trailing one */
			const char *start = req[i].text;
			size_t len = strlen(start);
			while (len > 1 && start[len - 1] == '/')
				len--;
			add_param(out, s, start, len);
			break;
		}
	}
}

static bool method_matches(const struct lamb_route *r, const char *method, bool *exact)
{
	*exact = strcasecmp(r->method, method) == 0;
	return *exact || strcmp(r->method, "ANY") == 0;
}

enum lamb_route_result lamb_router_match(const struct lamb_router *r, const char *method,
					 const char *path, struct lamb_route_match *out)
{
	memset(out, 0, sizeof(*out));
	size_t nreq = split(path, NULL, 0);
	struct segment *req = xcalloc(nreq, sizeof(*req));
	split(path, req, nreq);
	const struct compiled *best = NULL;
	struct rank best_rank = { { -1, -1, -1, -1 } };
	bool best_exact = false, path_seen = false;
	for (size_t i = 0; i < r->n; i++) {
		struct rank rank;
		bool exact;
		if (!path_matches(&r->routes[i], req, nreq, &rank))
			continue;
		if (!r->routes[i].route->is_default && !path_seen) {
			path_seen = true;
			out->path_api = r->routes[i].route->api;
		}
		if (!method_matches(r->routes[i].route, method, &exact))
			continue;
		int c = rank_cmp(&rank, &best_rank);
		if (!best || c > 0 || (c == 0 && exact && !best_exact)) {
			best = &r->routes[i];
			best_rank = rank;
			best_exact = exact;
		}
	}
	enum lamb_route_result res = LAMB_ROUTE_FOUND;
	if (best) {
		out->route = best->route;
		fill_params(best, req, nreq, out);
	} else {
		res = path_seen ? LAMB_ROUTE_NO_METHOD : LAMB_ROUTE_NO_PATH;
	}
	free(req);
	return res;
}

void lamb_route_match_release(struct lamb_route_match *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nparams; i++) {
		free(m->params[i].name);
		free(m->params[i].value);
	}
	free(m->params);
	memset(m, 0, sizeof(*m));
}
