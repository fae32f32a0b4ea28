/* The template rewrite walks libyaml's event stream (not lamb's node tree,
 * which has no end marks) and records byte spans: the value of each code
 * property to replace, or where to insert one. libyaml's marks count
 * characters, so they are turned into byte offsets by walking the UTF-8
 * text. A block collection's end mark lies at the next token, past the line
 * break, so a collection value ends at the end of its last scalar. */
#include "base/util.h"
#include "build/build-template.h"

#include <string.h>
#include <yaml.h>

struct span {
	size_t start, end; /* character indexes; start == end: an insertion */
	const struct lamb_build_uri *uri;
	bool insert;
	bool props;     /* the insertion brings its own Properties mapping */
	bool flow;      /* insertion into a flow mapping */
	size_t col;     /* insertion into a block mapping: the column of its keys */
};

struct walker {
	yaml_parser_t p;
	const struct lamb_build_uri *uris;
	size_t n;
	struct span *spans;
	size_t nspans, cap;
	bool *seen;      /* per uri: its property was found */
	bool *in_props;  /* per uri: its resource has a Properties mapping */
	size_t last_end; /* end of the last scalar, alias or flow collection */
	struct lamb_err *err;
	const char *file;
	bool failed;
};

enum role { OTHER, ROOT, RESOURCES, RESOURCE, PROPS };

static bool next(struct walker *w, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&w->p, ev)) {
		lamb_err_set(w->err, "%s:%zu:%zu: %s", w->file, w->p.problem_mark.line + 1,
			     w->p.problem_mark.column + 1, w->p.problem ? w->p.problem : "cannot parse");
		w->failed = true;
		return false;
	}
	return true;
}

static void add_span(struct walker *w, struct span s)
{
	w->spans = xgrow(w->spans, &w->cap, w->nspans + 1, sizeof(*w->spans));
	w->spans[w->nspans++] = s;
}

static const struct lamb_build_uri *uri_for(struct walker *w, const char *id, const char *key, size_t *idx)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->uris[i].id, id) == 0 && (!key || strcmp(w->uris[i].key, key) == 0)) {
			*idx = i;
			return &w->uris[i];
		}
	return NULL;
}

/* The resource has a Properties key: nothing may add a second one. */
static void mark_props(struct walker *w, const char *id)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->uris[i].id, id) == 0)
			w->in_props[i] = true;
}

/* Walks one node whose first event is ev; returns its start index. */
static size_t walk(struct walker *w, yaml_event_t *ev, enum role role, const char *id);

static void walk_mapping(struct walker *w, yaml_event_t *start, enum role role, const char *id)
{
	bool flow = start->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
	bool first = true;
	for (;;) {
		yaml_event_t k;
		if (!next(w, &k))
			return;
		if (k.type == YAML_MAPPING_END_EVENT) {
			if (flow)
				w->last_end = k.end_mark.index;
			yaml_event_delete(&k);
			return;
		}
		char *key = k.type == YAML_SCALAR_EVENT ? xstrdup((char *)k.data.scalar.value) : NULL;
		size_t key_start = k.start_mark.index, key_col = k.start_mark.column;
		walk(w, &k, OTHER, NULL);
		if ((role == PROPS || role == RESOURCE) && first) {
			/* every code property of this resource is inserted here unless
			 * found later; the spans of found ones win (see below). A
			 * resource without Properties (all from Globals) gets them. */
			for (size_t i = 0; i < w->n; i++)
				if (strcmp(w->uris[i].id, id) == 0) {
					add_span(w, (struct span){ .start = key_start, .end = key_start, .uri = &w->uris[i],
								   .insert = true, .props = role == RESOURCE,
								   .flow = flow, .col = key_col });
				}
		}
		first = false;
		yaml_event_t v;
		if (!next(w, &v)) {
			free(key);
			return;
		}
		enum role child = OTHER;
		const char *child_id = id;
		size_t idx;
		if (role == ROOT && key && strcmp(key, "Resources") == 0)
			child = RESOURCES;
		else if (role == RESOURCES && key)
			child = RESOURCE, child_id = key;
		else if (role == RESOURCE && key && strcmp(key, "Properties") == 0)
			child = PROPS, mark_props(w, id);
		const struct lamb_build_uri *u = role == PROPS && key ? uri_for(w, id, key, &idx) : NULL;
		size_t vstart = walk(w, &v, child, child_id);
		if (u) {
			w->seen[idx] = true;
			add_span(w, (struct span){ .start = vstart, .end = w->last_end, .uri = u });
		}
		free(key);
		if (w->failed)
			return;
	}
}

static void walk_sequence(struct walker *w, yaml_event_t *start)
{
	bool flow = start->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
	for (;;) {
		yaml_event_t e;
		if (!next(w, &e))
			return;
		if (e.type == YAML_SEQUENCE_END_EVENT) {
			if (flow)
				w->last_end = e.end_mark.index;
			yaml_event_delete(&e);
			return;
		}
		walk(w, &e, OTHER, NULL);
		if (w->failed)
			return;
	}
}

static size_t walk(struct walker *w, yaml_event_t *ev, enum role role, const char *id)
{
	size_t start = ev->start_mark.index;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
	case YAML_ALIAS_EVENT:
		w->last_end = ev->end_mark.index;
		break;
	case YAML_MAPPING_START_EVENT:
		walk_mapping(w, ev, role, id);
		break;
	case YAML_SEQUENCE_START_EVENT:
		walk_sequence(w, ev);
		break;
	default:
		break;
	}
	yaml_event_delete(ev);
	return start;
}

static void walk_document(struct walker *w)
{
	yaml_event_t ev;
	while (!w->failed && next(w, &ev)) {
		yaml_event_type_t t = ev.type;
		if (t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT || t == YAML_SCALAR_EVENT) {
			walk(w, &ev, ROOT, NULL);
			continue;
		}
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT || t == YAML_DOCUMENT_END_EVENT)
			break;
	}
}

/* Byte offset of character index idx in text (after a UTF-8 BOM). */
static size_t byte_at(const char *text, size_t len, size_t idx)
{
	size_t b = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	for (size_t c = 0; c < idx && b < len; c++) {
		b++;
		while (b < len && ((unsigned char)text[b] & 0xc0) == 0x80)
			b++;
	}
	return b;
}

static void value(struct lamb_buf *b, const struct lamb_build_uri *u)
{
	if (u->raw)
		lamb_buf_addstr(b, u->value);
	else
		lamb_buf_addquoted(b, u->value);
}

/* One property of a Properties mapping inserted whole (first and last of
 * those inserted at the same place open and close it). */
static void insert_props(struct lamb_buf *b, const struct span *s, bool first, bool last)
{
	if (s->flow) {
		lamb_buf_addf(b, "%s\"%s\": ", first ? "\"Properties\": {" : ", ", s->uri->key);
		value(b, s->uri);
		lamb_buf_addstr(b, last ? "}, " : "");
		return;
	}
	lamb_buf_addf(b, "%s%*s%s: ", first ? "Properties:\n" : "", (int)s->col + 2, "", s->uri->key);
	value(b, s->uri);
	lamb_buf_addf(b, "\n%*s", last ? (int)s->col : 0, "");
}

static int by_start(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static char *apply(struct walker *w, const char *src, size_t len)
{
	/* drop the insertions whose property (or Properties) was found after all */
	size_t k = 0;
	for (size_t i = 0; i < w->nspans; i++) {
		const struct span *s = &w->spans[i];
		size_t u = (size_t)(s->uri - w->uris);
		if (!s->insert || (!w->seen[u] && !(s->props && w->in_props[u])))
			w->spans[k++] = *s;
	}
	w->nspans = k;
	if (w->nspans > 1) /* qsort's array may not be NULL, even when empty */
		qsort(w->spans, w->nspans, sizeof(*w->spans), by_start);
	struct lamb_buf out;
	lamb_buf_init(&out);
	size_t pos = 0;
	for (size_t i = 0; i < w->nspans; i++) {
		const struct span *s = &w->spans[i];
		size_t from = byte_at(src, len, s->start), to = byte_at(src, len, s->end);
		lamb_buf_add(&out, src + pos, from - pos);
		if (s->props) {
			bool first = i == 0 || !w->spans[i - 1].props || w->spans[i - 1].start != s->start;
			bool last = i + 1 == w->nspans || !w->spans[i + 1].props || w->spans[i + 1].start != s->start;
			insert_props(&out, s, first, last);
		} else if (s->insert) {
			lamb_buf_addf(&out, s->flow ? "\"%s\": " : "%s: ", s->uri->key);
			value(&out, s->uri);
			if (s->flow)
				lamb_buf_addstr(&out, ", ");
			else
				lamb_buf_addf(&out, "\n%*s", (int)s->col, "");
		} else {
			value(&out, s->uri);
		}
		pos = to;
	}
	lamb_buf_add(&out, src + pos, len - pos);
	return lamb_buf_steal(&out);
}

char *lamb_build_template_rewrite(const char *file, const char *src, size_t len,
				  const struct lamb_build_uri *uris, size_t n, struct lamb_err *err)
{
	struct walker w = { .uris = uris, .n = n, .err = err, .file = file };
	w.seen = xcalloc(n ? n : 1, sizeof(*w.seen));
	w.in_props = xcalloc(n ? n : 1, sizeof(*w.in_props));
	yaml_parser_initialize(&w.p);
	yaml_parser_set_input_string(&w.p, (const unsigned char *)src, len);
	walk_document(&w);
	yaml_parser_delete(&w.p);
	char *out = NULL;
	for (size_t i = 0; !w.failed && i < n; i++) {
		bool placed = w.seen[i];
		for (size_t j = 0; !placed && j < w.nspans; j++)
			placed = w.spans[j].uri == &uris[i] && !(w.spans[j].props && w.in_props[i]);
		if (!placed) {
			lamb_err_set(err, "%s: cannot set %s of '%s': its Properties are empty or not a mapping", file,
				     uris[i].key, uris[i].id);
			w.failed = true;
		}
	}
	if (!w.failed)
		out = apply(&w, src, len);
	free(w.spans);
	free(w.seen);
	free(w.in_props);
	return out;
}
