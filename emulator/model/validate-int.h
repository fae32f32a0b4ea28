/* What the parts of lamb validate share: the context of one run, the
 * reporting, and the "did you mean" search. Internal to validate*.c. */
#ifndef LAMB_VALIDATE_INT_H
#define LAMB_VALIDATE_INT_H

#include "model/validate.h"
#include "template/resolve.h"

#include <stdbool.h>

struct vctx {
	const struct lamb_model *m;
	const struct lamb_node *root, *resources, *params, *conditions, *mappings, *globals;
	struct lamb_schemas *schemas;
	struct lamb_diags *diags;
	struct lamb_resolver r; /* its resource table, for SAM's generated ids */
	unsigned quiet;         /* > 0: a trial; errors are only counted */
	size_t trial_errors;
	const char **used; /* "P:name", "C:name", "M:name" seen in use */
	size_t nused, used_cap;
};

/* Rule ids (lamb-validate(1) lists them). */
#define R_TYPE "unknown-type"
#define R_PROP "unknown-property"
#define R_KIND "wrong-type"
#define R_REQUIRED "missing-property"
#define R_VALUE "bad-value"
#define R_ATTR "unknown-attribute"
#define R_REF "unknown-ref"
#define R_COND "unknown-condition"
#define R_MAPPING "unknown-mapping"
#define R_SCHEDULE "bad-schedule"
#define R_OPENAPI "openapi-function"
#define R_UNUSED_PARAM "unused-parameter"
#define R_UNUSED_COND "unused-condition"
#define R_UNUSED_MAPPING "unused-mapping"
#define R_DEPRECATED "deprecated-runtime"
#define R_NOT_EMULATED "not-emulated"
#define R_SCHEMAS "schemas"

void v_report(struct vctx *c, enum lamb_severity sev, const struct lamb_mark *m, const char *rule,
	      const char *suggestion, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A loader's error on m's line that quotes value (it reports a list item
 * at the list) gains the rule and the suggestion: true, and nothing more is
 * said. */
bool v_join_value(struct vctx *c, const struct lamb_mark *m, const char *value, const char *rule,
		  const char *suggestion);
/* The loader's warning at m (no rule) goes: an error replaces it. */
void v_drop_warning(struct vctx *c, const struct lamb_mark *m);
#define v_error(c, m, rule, sugg, ...) v_report((c), LAMB_ERROR, (m), (rule), (sugg), __VA_ARGS__)

/* The closest candidate seen so far (v_consider), for "did you mean". */
struct v_best {
	const char *word;
	const char *best;
	size_t best_len;
	unsigned dist;
	char buf[256]; /* best, NUL-terminated (when it came from a longer string) */
};
void v_best_init(struct v_best *b, const char *word);
void v_consider(struct v_best *b, const char *cand, size_t len);
const char *v_best_get(struct v_best *b);
/* "; did you mean `X`?" or "" */
const char *v_hint(const char *suggestion, char *buf, size_t size);

void v_use(struct vctx *c, char kind, const char *name);
bool v_used(const struct vctx *c, char kind, const char *name);
const struct lamb_node *v_resource(const struct vctx *c, const char *id);
const char *v_resource_type(const struct vctx *c, const char *id);

void v_check_resources(struct vctx *c);  /* validate-props.c */
void v_check_names(struct vctx *c);      /* validate-refs.c */
void v_check_unused(struct vctx *c);
void v_check_sections(struct vctx *c);   /* validate-sections.c */
void v_check_schedules(struct vctx *c);  /* validate-events.c */
void v_check_openapi(struct vctx *c);
void v_check_methods(struct vctx *c);

#endif
