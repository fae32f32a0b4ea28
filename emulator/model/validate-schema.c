/* Reading data/schemas.txt: the file is mapped privately and split in place
 * (its newlines and spaces become NULs), so that a type costs only the
 * parsing of its own block, and nothing is copied. The format is described
 * in scripts/derive-schemas. */
#include "base/util.h"
#include "model/validate-schema.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct lamb_schemas {
	char *map;
	size_t size;
	const char *source;
	char *body; /* after the "@@" line: offsets count from here */
	const char **names;
	size_t *offsets;
	struct lamb_vs_type **types; /* parsed on first use */
	size_t ntypes;
};

/* Cuts the line at p (NUL for its newline); returns the next line's start. */
static char *cut_line(char *p, char *end)
{
	char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl)
		return end;
	*nl = '\0';
	return nl + 1;
}

static int read_index(struct lamb_schemas *s, struct lamb_err *err)
{
	char *end = s->map + s->size;
	size_t cap = 0;
	for (char *p = s->map; p < end;) {
		char *line = p;
		p = cut_line(p, end);
		if (str_starts(line, "# source: "))
			s->source = line + 2;
		if (strcmp(line, "@@") == 0) {
			s->body = p;
			return 0;
		}
		if (line[0] != '@' || line[1] != ' ')
			continue;
		char *sp = strrchr(line + 2, ' ');
		if (!sp)
			return lamb_err_set(err, "malformed schema index line '%s'", line);
		*sp = '\0';
		s->names = xgrow(s->names, &cap, s->ntypes + 1, sizeof(*s->names));
		s->offsets = xrealloc(s->offsets, cap * sizeof(*s->offsets));
		s->names[s->ntypes] = line + 2;
		s->offsets[s->ntypes++] = strtoul(sp + 1, NULL, 10);
	}
	return lamb_err_set(err, "schema file has no index end ('@@')");
}

struct lamb_schemas *lamb_schemas_open(const char *path, struct lamb_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
		lamb_err_set(err, "cannot read schemas '%s': %s", path, fd < 0 ? strerror(errno) : "empty");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		lamb_err_set(err, "cannot map schemas '%s': %s", path, strerror(errno));
		return NULL;
	}
	struct lamb_schemas *s = xcalloc(1, sizeof(*s));
	s->map = map;
	s->size = (size_t)st.st_size;
	if (read_index(s, err) < 0) {
		lamb_schemas_close(s);
		return NULL;
	}
	s->types = xcalloc(s->ntypes ? s->ntypes : 1, sizeof(*s->types));
	return s;
}

static void free_type(struct lamb_vs_type *t)
{
	if (!t)
		return;
	free(t->attrs);
	free(t->enums);
	if (t->nshapes)
		free(t->shapes[0].props);
	free(t->shapes);
	free(t->events);
	free(t);
}

void lamb_schemas_close(struct lamb_schemas *s)
{
	if (!s)
		return;
	for (size_t i = 0; s->types && i < s->ntypes; i++)
		free_type(s->types[i]);
	free(s->types);
	free(s->names);
	free(s->offsets);
	munmap(s->map, s->size);
	free(s);
}

/* Splits the words of s in place; returns how many (at most max). */
static size_t split_words(char *s, const char **out, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *w = strtok_r(s, " ", &save); w && n < max; w = strtok_r(NULL, " ", &save))
		out[n++] = w;
	return n;
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

static void count_lines(struct lamb_vs_type *t, char *p, char *end, size_t *nprops)
{
	for (; p < end; p += strlen(p) + 1) {
		switch (p[0]) {
		case 'a': t->nattrs = 1 + count_char(p, ' '); break;
		case 'v': t->nevents++; break;
		case 'E': t->nenums++; break;
		case 's': t->nshapes++; break;
		case 'p': (*nprops)++; break;
		}
	}
}

/* "p NAME SPEC [r]" */
static void parse_prop(struct lamb_vs_prop *pr, char *line)
{
	const char *w[4] = { 0 };
	size_t n = split_words(line + 2, w, 3);
	pr->name = w[0] ? w[0] : "";
	pr->spec = n > 1 ? w[1] : "*";
	pr->required = n > 2 && strcmp(w[2], "r") == 0;
}

static void parse_line(struct lamb_vs_type *t, char *p, struct lamb_vs_prop **next_prop)
{
	const char *w[3] = { 0 };
	if (p[0] == 'a') {
		t->nattrs = split_words(p + 2, t->attrs, t->nattrs);
	} else if (p[0] == 'v' && split_words(p + 2, w, 2) == 2) {
		t->events[t->nevents].type = w[0];
		t->events[t->nevents++].shape = atoi(w[1]);
	} else if (p[0] == 'E' && split_words(p + 2, w, 2) == 2) {
		t->enums[t->nenums++] = w[1];
	} else if (p[0] == 's') {
		struct lamb_vs_shape *sh = &t->shapes[t->nshapes++];
		sh->open = strstr(p, " open") != NULL;
		sh->props = *next_prop;
	} else if (p[0] == 'p' && t->nshapes) {
		parse_prop((*next_prop)++, p);
		t->shapes[t->nshapes - 1].nprops++;
	}
}

static struct lamb_vs_type *parse_block(const char *name, char *p, char *end)
{
	for (char *q = p; q < end;)
		q = cut_line(q, end);
	struct lamb_vs_type *t = xcalloc(1, sizeof(*t));
	t->name = name;
	size_t nprops = 0;
	count_lines(t, p, end, &nprops);
	t->attrs = xcalloc(t->nattrs + 1, sizeof(*t->attrs));
	t->enums = xcalloc(t->nenums + 1, sizeof(*t->enums));
	t->shapes = xcalloc(t->nshapes + 1, sizeof(*t->shapes));
	t->events = xcalloc(t->nevents + 1, sizeof(*t->events));
	struct lamb_vs_prop *props = xcalloc(nprops + 1, sizeof(*props));
	struct lamb_vs_prop *next = props;
	t->nenums = t->nshapes = t->nevents = 0;
	while (p < end) { /* the line's end before parse_line splits its words */
		char *line = p;
		p += strlen(p) + 1;
		parse_line(t, line, &next);
	}
	if (!t->nshapes) /* keep the props array owned through shapes[0] */
		t->shapes[t->nshapes++].props = props;
	return t;
}

static long find(const struct lamb_schemas *s, const char *name)
{
	size_t lo = 0, hi = s->ntypes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->names[mid], name);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

const struct lamb_vs_type *lamb_schemas_type(struct lamb_schemas *s, const char *name)
{
	long i = find(s, name);
	if (i < 0)
		return NULL;
	if (!s->types[i]) {
		char *end = s->map + s->size;
		char *start = s->body + s->offsets[i];
		char *stop = (size_t)i + 1 < s->ntypes ? s->body + s->offsets[i + 1] : end;
		if (start >= end || stop > end || start[0] != '=')
			return NULL;
		s->types[i] = parse_block(s->names[i], cut_line(start, stop), stop);
	}
	return s->types[i];
}

const char *const *lamb_schemas_names(const struct lamb_schemas *s, size_t *n)
{
	*n = s->ntypes;
	return s->names;
}

const char *lamb_schemas_source(const struct lamb_schemas *s)
{
	return s->source ? s->source : "unknown";
}
