/* The diagnostics list and its two printed forms. */
#include "base/util.h"
#include "template/diag.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void lamb_diags_init(struct lamb_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void lamb_diags_release(struct lamb_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->len; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
		free(d->v[i].suggestion);
	}
	free(d->v);
	lamb_diags_init(d);
}

/* Whether d holds a warning with this text at this place already: one
 * Runtime in Globals read for each of ten functions is one warning. Only
 * the last 256 are compared, so that a template with a warning per each of
 * thousands of resources stays linear. */
static bool said(const struct lamb_diags *d, const struct lamb_diag *g)
{
	for (size_t i = d->len; i-- > 0 && d->len - i <= 256;) {
		const struct lamb_diag *o = &d->v[i];
		if (o->severity == g->severity && o->line == g->line && o->col == g->col &&
		    strcmp(o->file ? o->file : "", g->file ? g->file : "") == 0 && strcmp(o->msg, g->msg) == 0)
			return true;
	}
	return false;
}

static void add_v(struct lamb_diags *d, enum lamb_severity sev, const struct lamb_mark *m,
		  const char *rule, const char *suggestion, const char *fmt, va_list ap)
{
	struct lamb_diag g = { .severity = sev, .msg = xvasprintf(fmt, ap), .rule = rule };
	g.file = m && m->file ? xstrdup(m->file) : NULL;
	g.line = m ? m->line : 0;
	g.col = m ? m->col : 0;
	if (sev == LAMB_WARNING && said(d, &g)) {
		free(g.msg);
		free(g.file);
		return;
	}
	g.suggestion = suggestion ? xstrdup(suggestion) : NULL;
	d->v = xgrow(d->v, &d->cap, d->len + 1, sizeof(*d->v));
	d->v[d->len++] = g;
	if (sev == LAMB_ERROR)
		d->errors++;
}

void lamb_diags_add(struct lamb_diags *d, enum lamb_severity sev, const struct lamb_mark *m,
		    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_v(d, sev, m, NULL, NULL, fmt, ap);
	va_end(ap);
}

void lamb_diags_add_rule(struct lamb_diags *d, enum lamb_severity sev, const struct lamb_mark *m,
			 const char *rule, const char *suggestion, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_v(d, sev, m, rule, suggestion, fmt, ap);
	va_end(ap);
}

static int cmp_pos(const struct lamb_diag *a, const struct lamb_diag *b)
{
	int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");
	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

/* Insertion sort: stable, so problems at one position keep their order, and
 * diagnostic lists are short. */
void lamb_diags_sort(struct lamb_diags *d)
{
	for (size_t i = 1; i < d->len; i++) {
		struct lamb_diag x = d->v[i];
		size_t j = i;
		while (j > 0 && cmp_pos(&d->v[j - 1], &x) > 0) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = x;
	}
}

static const char *sev_name(enum lamb_severity s)
{
	return s == LAMB_ERROR ? "error" : "warning";
}

void lamb_diags_print(const struct lamb_diags *d, FILE *out)
{
	for (size_t i = 0; i < d->len; i++) {
		const struct lamb_diag *g = &d->v[i];
		if (g->file && g->line)
			fprintf(out, "%s:%u:%u: %s: %s", g->file, g->line, g->col,
				sev_name(g->severity), g->msg);
		else if (g->file)
			fprintf(out, "%s: %s: %s", g->file, sev_name(g->severity), g->msg);
		else
			fprintf(out, "lamb: %s: %s", sev_name(g->severity), g->msg);
		fprintf(out, g->rule ? " [%s]\n" : "\n", g->rule);
	}
}

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

char *lamb_diags_json(const struct lamb_diags *d)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < d->len; i++) {
		const struct lamb_diag *g = &d->v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "rule", str_or_null(g->rule));
		cJSON_AddStringToObject(o, "severity", sev_name(g->severity));
		cJSON_AddItemToObject(o, "file", str_or_null(g->file));
		cJSON_AddNumberToObject(o, "line", g->line);
		cJSON_AddNumberToObject(o, "column", g->col);
		cJSON_AddStringToObject(o, "message", g->msg);
		cJSON_AddItemToObject(o, "suggestion", str_or_null(g->suggestion));
		cJSON_AddItemToArray(arr, o);
	}
	char *s = cJSON_Print(arr);
	cJSON_Delete(arr);
	return s;
}
