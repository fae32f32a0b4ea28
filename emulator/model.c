/* Building the model: temporary first cut that only parses. */
#include "model.h"
#include "template.h"
#include "util.h"

#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct lamb_model *lamb_model_load(const char *path, const struct lamb_model_opts *opts,
				   struct lamb_diags *diags)
{
	(void)opts;
	struct lamb_arena *a = lamb_arena_new();
	struct lamb_node *root = lamb_template_load(a, path, diags);
	if (!root) {
		lamb_arena_free(a);
		return NULL;
	}
	struct lamb_model *m = lamb_arena_alloc(a, sizeof(*m));
	m->arena = a;
	m->path = lamb_arena_strdup(a, path);
	return m;
}

void lamb_model_free(struct lamb_model *m)
{
	if (m)
		lamb_arena_free(m->arena);
}

const struct lamb_function *lamb_model_function(const struct lamb_model *m, const char *id)
{
	for (size_t i = 0; i < m->nfunctions; i++)
		if (strcmp(m->functions[i].logical_id, id) == 0)
			return &m->functions[i];
	return NULL;
}
