/* --env-vars: the file is parsed once into plain lists (JSON through cJSON,
 * or .env lines); which variables reach an instance is decided per
 * function when its bootstrap is built (bootstrap.c). No expansion of
 * $VAR inside values, as SAM does none. */
#include "base/util.h"
#include "engine/env-vars.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void kvs_set(struct lamb_kvs *kv, const char *k, const char *v)
{
	for (size_t i = 0; i < kv->len; i++)
		if (strcmp(kv->v[i].key, k) == 0) {
			free((char *)kv->v[i].value);
			kv->v[i].value = xstrdup(v);
			return;
		}
	kv->v = xrealloc(kv->v, (kv->len + 1) * sizeof(kv->v[0]));
	kv->v[kv->len].key = xstrdup(k);
	kv->v[kv->len++].value = xstrdup(v);
}

static void kvs_release(struct lamb_kvs *kv)
{
	for (size_t i = 0; i < kv->len; i++) {
		free((char *)kv->v[i].key);
		free((char *)kv->v[i].value);
	}
	free(kv->v);
}

void lamb_env_vars_free(struct lamb_env_vars *ev)
{
	if (!ev)
		return;
	kvs_release(&ev->global);
	for (size_t i = 0; i < ev->nblocks; i++) {
		free(ev->blocks[i].name);
		kvs_release(&ev->blocks[i].vars);
	}
	free(ev->blocks);
	free(ev->path);
	free(ev);
}

static int add_json_block(struct lamb_kvs *kv, const cJSON *block, const char *path, struct lamb_err *err)
{
	if (!cJSON_IsObject(block))
		return lamb_err_set(err, "'%s': '%s' must be an object of variables", path, block->string);
	const cJSON *it;
	cJSON_ArrayForEach(it, block) {
		char num[64];
		const char *v = cJSON_IsString(it) ? it->valuestring : NULL;
		if (cJSON_IsNumber(it))
			snprintf(num, sizeof(num), "%.15g", it->valuedouble), v = num;
		else if (cJSON_IsBool(it))
			v = cJSON_IsTrue(it) ? "true" : "false";
		if (!v)
			return lamb_err_set(err, "'%s': '%s' of '%s' must be a string, a number or a boolean",
					    path, it->string, block->string);
		kvs_set(kv, it->string, v);
	}
	return 0;
}

static int load_json(struct lamb_env_vars *ev, const cJSON *j, struct lamb_err *err)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, j) {
		struct lamb_kvs *kv = &ev->global;
		if (strcmp(it->string, "Parameters") != 0) {
			ev->blocks = xrealloc(ev->blocks, (ev->nblocks + 1) * sizeof(ev->blocks[0]));
			ev->blocks[ev->nblocks] = (struct lamb_env_block){ .name = xstrdup(it->string) };
			kv = &ev->blocks[ev->nblocks++].vars;
		}
		if (add_json_block(kv, it, ev->path, err) < 0)
			return -1;
	}
	return 0;
}

/* NAME=VALUE lines; '#' comments, "export ", and one pair of quotes around
 * the value are allowed, as in the .env files other tools read. */
static void load_dotenv(struct lamb_kvs *kv, char *text)
{
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (str_starts(line, "export "))
			line += 7;
		char *eq = strchr(line, '=');
		if (*line == '#' || !eq || eq == line)
			continue;
		*eq = '\0';
		char *v = eq + 1;
		size_t n = strlen(v);
		if (n && v[n - 1] == '\r')
			v[--n] = '\0';
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
			v[n - 1] = '\0', v++;
		kvs_set(kv, line, v);
	}
}

struct lamb_env_vars *lamb_env_vars_load(const char *path, struct lamb_err *err)
{
	size_t len;
	cleanup_free char *text = lamb_read_file(path, &len);
	if (!text)
		return lamb_err_set(err, "cannot read '%s': %s", path, strerror(errno)), NULL;
	struct lamb_env_vars *ev = xcalloc(1, sizeof(*ev));
	ev->path = xstrdup(path);
	cJSON *j = cJSON_ParseWithLength(text, len);
	int r = 0;
	if (j && cJSON_IsObject(j))
		r = load_json(ev, j, err);
	else if (j || text[strspn(text, " \t\r\n")] == '{')
		r = lamb_err_set(err, "'%s' is not a JSON object of variables: write "
				 "{\"Parameters\": {\"NAME\": \"value\"}} or NAME=value lines", path);
	else
		load_dotenv(&ev->global, text);
	cJSON_Delete(j);
	if (r < 0) {
		lamb_env_vars_free(ev);
		return NULL;
	}
	return ev;
}

const struct lamb_kvs *lamb_env_vars_block(const struct lamb_env_vars *ev, const struct lamb_function *fn)
{
	const char *names[] = { fn->logical_id, fn->name };
	for (size_t n = 0; ev && n < 2; n++)
		for (size_t i = 0; names[n] && i < ev->nblocks; i++)
			if (strcmp(ev->blocks[i].name, names[n]) == 0)
				return &ev->blocks[i].vars;
	return NULL;
}

void lamb_env_vars_each(const struct lamb_env_vars *ev, const struct lamb_function *fn,
			void (*set)(void *data, const char *key, const char *value), void *data)
{
	if (!ev)
		return;
	const struct lamb_kvs *b = lamb_env_vars_block(ev, fn);
	for (size_t i = 0; i < ev->global.len; i++)
		set(data, ev->global.v[i].key, ev->global.v[i].value);
	for (size_t i = 0; b && i < b->len; i++)
		set(data, b->v[i].key, b->v[i].value);
}

static bool has(const struct lamb_kvs *kv, const char *key)
{
	for (size_t i = 0; kv && i < kv->len; i++)
		if (strcmp(kv->v[i].key, key) == 0)
			return true;
	return false;
}

char *lamb_env_vars_undeclared(const struct lamb_env_vars *ev, const struct lamb_function *fn)
{
	if (!ev)
		return NULL;
	const struct lamb_kvs *block = lamb_env_vars_block(ev, fn);
	struct lamb_buf b;
	lamb_buf_init(&b);
	for (size_t i = 0; i < ev->global.len; i++)
		if (!has(&fn->env, ev->global.v[i].key) && !has(block, ev->global.v[i].key))
			lamb_buf_addf(&b, "%s'%s'", b.len ? ", " : "", ev->global.v[i].key);
	for (size_t i = 0; block && i < block->len; i++)
		if (!has(&fn->env, block->v[i].key))
			lamb_buf_addf(&b, "%s'%s'", b.len ? ", " : "", block->v[i].key);
	if (!b.len) {
		lamb_buf_release(&b);
		return NULL;
	}
	return lamb_buf_steal(&b);
}

const char *lamb_env_vars_unknown(const struct lamb_env_vars *ev, const struct lamb_model *m)
{
	for (size_t i = 0; ev && i < ev->nblocks; i++) {
		bool found = false;
		for (size_t j = 0; j < m->nfunctions && !found; j++) {
			const struct lamb_function *fn = &m->functions[j];
			found = strcmp(fn->logical_id, ev->blocks[i].name) == 0 ||
				(fn->name && strcmp(fn->name, ev->blocks[i].name) == 0);
		}
		if (!found)
			return ev->blocks[i].name;
	}
	return NULL;
}
