/* --env-vars FILE: environment variables for the functions of a template,
 * as sam local accepts them. A JSON object {"Parameters": {...},
 * "<function>": {...}} (a function's block is found by its logical id,
 * else its FunctionName) or a .env file of NAME=VALUE lines, which applies
 * to every function. Loaded once; each instance's environment takes, in
 * order, the template's Environment.Variables, then Parameters (or the .env
 * lines), then the function's own block, each over what came before. */
#ifndef LAMB_ENV_VARS_H
#define LAMB_ENV_VARS_H

#include "base/err.h"
#include "model/model.h"

#include <stddef.h>

/* One block of the file; everything owned by struct lamb_env_vars. */
struct lamb_env_block {
	char *name;          /* the key: a logical id or a FunctionName */
	struct lamb_kvs vars;
};

struct lamb_env_vars {
	char *path;                    /* the file, as given */
	struct lamb_kvs global;        /* "Parameters", or the lines of a .env file */
	struct lamb_env_block *blocks; /* the other keys of the JSON object, in file order */
	size_t nblocks;
};

/* -1 with err ("cannot read 'env.json': ...", "'env.json' is not a JSON
 * object of variables", "'env.json': 'Hello' must be an object of
 * variables") when the file cannot be used. Numbers and booleans become
 * their text; null and nested values are refused. */
struct lamb_env_vars *lamb_env_vars_load(const char *path, struct lamb_err *err);
/* Accepts NULL. */
void lamb_env_vars_free(struct lamb_env_vars *ev);

/* fn's own block (logical id first, then FunctionName), or NULL. */
const struct lamb_kvs *lamb_env_vars_block(const struct lamb_env_vars *ev, const struct lamb_function *fn);

/* Calls set(data, key, value) for every variable the file gives fn, in
 * precedence order (later calls win): global, then fn's block. ev may be
 * NULL. */
void lamb_env_vars_each(const struct lamb_env_vars *ev, const struct lamb_function *fn,
			void (*set)(void *data, const char *key, const char *value), void *data);

/* The names ev sets for fn that fn's template does not declare, quoted and
 * ", " separated ("'B', 'N'"; allocated), or NULL when there are none. They are set anyway. */
char *lamb_env_vars_undeclared(const struct lamb_env_vars *ev, const struct lamb_function *fn);

/* The first block that names no function of m, or NULL. */
const char *lamb_env_vars_unknown(const struct lamb_env_vars *ev, const struct lamb_model *m);

#endif
