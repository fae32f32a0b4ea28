/* Diagnostics: the list of problems `lamb validate` reports. Loading and
 * resolving a template append to it instead of stopping at the first. */
#ifndef LAMB_DIAG_H
#define LAMB_DIAG_H

#include "template/node.h"

#include <stdio.h>

enum lamb_severity {
	LAMB_WARNING,
	LAMB_ERROR,
};

struct lamb_diag {
	enum lamb_severity severity;
	char *file; /* owned */
	unsigned line, col;
	char *msg; /* owned */
	const char *rule;  /* static; NULL for the loader's own checks */
	char *suggestion;  /* owned; the name meant ("did you mean"), or NULL */
};

struct lamb_diags {
	struct lamb_diag *v;
	size_t len, cap;
	size_t errors;
};

void lamb_diags_init(struct lamb_diags *d);
void lamb_diags_release(struct lamb_diags *d);
/* m may be NULL (no position known). */
void lamb_diags_add(struct lamb_diags *d, enum lamb_severity sev, const struct lamb_mark *m,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same with a rule id (static) and a suggestion (may be NULL; copied). */
void lamb_diags_add_rule(struct lamb_diags *d, enum lamb_severity sev, const struct lamb_mark *m,
			 const char *rule, const char *suggestion, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
#define lamb_error(d, m, ...) lamb_diags_add((d), LAMB_ERROR, (m), __VA_ARGS__)
#define lamb_warning(d, m, ...) lamb_diags_add((d), LAMB_WARNING, (m), __VA_ARGS__)
/* Sorts by file, line, column (stable), so reports read top to bottom. */
void lamb_diags_sort(struct lamb_diags *d);
/* "FILE:LINE:COL: error: MSG" lines, " [RULE]" after MSG when there is one. */
void lamb_diags_print(const struct lamb_diags *d, FILE *out);
/* A JSON array of {rule,severity,file,line,column,message,suggestion}
 * (rule and suggestion null when unset); caller frees. */
char *lamb_diags_json(const struct lamb_diags *d);

#endif
