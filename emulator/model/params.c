/* --parameter-overrides: three spellings of the same list of K=V pairs. */
#include "base/util.h"
#include "model/model.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void lamb_overrides_init(struct lamb_overrides *o)
{
	memset(o, 0, sizeof(*o));
}

void lamb_overrides_release(struct lamb_overrides *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->len; i++) {
		free((char *)o->v[i].key);
		free((char *)o->v[i].value);
	}
	free(o->v);
	lamb_overrides_init(o);
}

static void put(struct lamb_overrides *o, const char *k, size_t klen, const char *v, size_t vlen)
{
	for (size_t i = 0; i < o->len; i++) {
		if (strlen(o->v[i].key) == klen && memcmp(o->v[i].key, k, klen) == 0) {
			free((char *)o->v[i].value);
			o->v[i].value = xstrndup(v, vlen);
			return;
		}
	}
	o->v = xgrow(o->v, &o->cap, o->len + 1, sizeof(*o->v));
	o->v[o->len].key = xstrndup(k, klen);
	o->v[o->len].value = xstrndup(v, vlen);
	o->len++;
}

/* file://params.json: either {"K": "V"} or CloudFormation's
 * [{"ParameterKey": K, "ParameterValue": V}], or a "Parameters" object. */
static int add_file(struct lamb_overrides *o, const char *path, struct lamb_err *err)
{
	size_t len;
	char *text = lamb_read_file(path, &len);
	if (!text)
		return lamb_err_set(err, "cannot read parameter file '%s': %s", path, strerror(errno));
	cJSON *j = cJSON_ParseWithLength(text, len);
	free(text);
	if (!j)
		return lamb_err_set(err, "parameter file '%s' is not valid JSON", path);
	cJSON *obj = cJSON_IsObject(j) && cJSON_GetObjectItem(j, "Parameters") ?
			     cJSON_GetObjectItem(j, "Parameters") : j;
	int rc = 0;
	cJSON *it;
	cJSON_ArrayForEach(it, obj) {
		const char *k, *v;
		char num[64];
		if (cJSON_IsArray(obj)) {
			k = cJSON_GetStringValue(cJSON_GetObjectItem(it, "ParameterKey"));
			cJSON *val = cJSON_GetObjectItem(it, "ParameterValue");
			v = cJSON_GetStringValue(val);
			if (!v && cJSON_IsNumber(val)) {
				snprintf(num, sizeof(num), "%g", val->valuedouble);
				v = num;
			}
		} else {
			k = it->string;
			v = cJSON_GetStringValue(it);
			if (!v && cJSON_IsNumber(it)) {
				snprintf(num, sizeof(num), "%g", it->valuedouble);
				v = num;
			}
		}
		if (!k || !v) {
			rc = lamb_err_set(err, "parameter file '%s': expected {\"Name\": \"value\"} or "
					       "[{\"ParameterKey\": ..., \"ParameterValue\": ...}]", path);
			break;
		}
		put(o, k, strlen(k), v, strlen(v));
	}
	if (rc == 0 && !cJSON_IsObject(obj) && !cJSON_IsArray(obj))
		rc = lamb_err_set(err, "parameter file '%s' holds no object or list", path);
	cJSON_Delete(j);
	return rc;
}

/* ParameterKey=K,ParameterValue=V — the value may itself contain commas. */
static int add_long_form(struct lamb_overrides *o, const char *word, struct lamb_err *err)
{
	const char *k = word + strlen("ParameterKey=");
	const char *comma = strstr(k, ",ParameterValue=");
	if (!comma)
		return lamb_err_set(err, "malformed parameter override '%s': expected "
					 "ParameterKey=NAME,ParameterValue=VALUE", word);
	const char *v = comma + strlen(",ParameterValue=");
	put(o, k, (size_t)(comma - k), v, strlen(v));
	return 0;
}

static int add_one(struct lamb_overrides *o, const char *word, struct lamb_err *err)
{
	if (str_starts(word, "file://"))
		return add_file(o, word + strlen("file://"), err);
	if (str_starts(word, "ParameterKey="))
		return add_long_form(o, word, err);
	const char *eq = strchr(word, '=');
	if (!eq || eq == word)
		return lamb_err_set(err, "malformed parameter override '%s': expected NAME=VALUE", word);
	put(o, word, (size_t)(eq - word), eq + 1, strlen(eq + 1));
	return 0;
}

/* One command-line word may hold several overrides separated by blanks, as
 * SAM accepts ("A=1 B='two words'"); quotes group and are removed. */
int lamb_overrides_add(struct lamb_overrides *o, const char *word, struct lamb_err *err)
{
	struct lamb_buf tok;
	lamb_buf_init(&tok);
	int rc = 0;
	const char *p = word;
	while (rc == 0 && *p) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		char quote = 0;
		tok.len = 0;
		lamb_buf_add(&tok, "", 0);
		for (; *p && (quote || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
			if (quote && *p == quote)
				quote = 0;
			else if (!quote && (*p == '"' || *p == '\''))
				quote = *p;
			else
				lamb_buf_addch(&tok, *p);
		}
		if (quote)
			rc = lamb_err_set(err, "unbalanced quote in parameter overrides '%s'", word);
		else
			rc = add_one(o, tok.data, err);
	}
	lamb_buf_release(&tok);
	return rc;
}
