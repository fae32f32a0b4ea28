/* Shared by the unit tests: cmocka, and building a model from text. */
#ifndef LAMB_TEST_UNIT_H
#define LAMB_TEST_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

struct loaded {
	struct lamb_model *m;
	struct lamb_diags diags;
};

static inline struct loaded *load_with(const char *text, const struct lamb_overrides *ov)
{
	struct loaded *l = calloc(1, sizeof(*l));
	struct lamb_model_opts o = { .overrides = ov, .region = "eu-west-1" };
	lamb_diags_init(&l->diags);
	l->m = lamb_model_parse("t.yaml", "/tmp", text, strlen(text), &o, &l->diags);
	return l;
}

static inline struct loaded *load(const char *text)
{
	return load_with(text, NULL);
}

static inline void unload(struct loaded *l)
{
	lamb_model_free(l->m);
	lamb_diags_release(&l->diags);
	free(l);
}

/* The value of environment variable key of function fn, or NULL. */
static inline const char *env_of(const struct loaded *l, const char *fn, const char *key)
{
	const struct lamb_function *f = lamb_model_function(l->m, fn);
	for (size_t i = 0; f && i < f->env.len; i++)
		if (strcmp(f->env.v[i].key, key) == 0)
			return f->env.v[i].value;
	return NULL;
}

/* Whether some diagnostic of severity sev contains text (and, when line is
 * not 0, sits on that line). */
static inline int has_diag(const struct loaded *l, enum lamb_severity sev, unsigned line, const char *text)
{
	for (size_t i = 0; i < l->diags.len; i++)
		if (l->diags.v[i].severity == sev && strstr(l->diags.v[i].msg, text) &&
		    (!line || l->diags.v[i].line == line))
			return 1;
	return 0;
}

static inline void dump_diags(const struct loaded *l)
{
	lamb_diags_print(&l->diags, stderr);
}

#define HEADER "Transform: AWS::Serverless-2016-10-31\n"

#endif
