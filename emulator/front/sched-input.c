/* What an EventBridge target receives instead of the event itself: a fixed
 * Input, the part InputPath selects, or an InputTransformer's template
 * filled from its InputPathsMap. Paths are the JSONPath EventBridge takes:
 * $, .key and [index] steps. */
#include "base/util.h"
#include "front/sched.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The node path names in root, or NULL. */
static const cJSON *json_path(const cJSON *root, const char *path)
{
	if (!path || path[0] != '$')
		return NULL;
	const cJSON *at = root;
	for (const char *p = path + 1; *p && at;) {
		if (*p == '.') {
			size_t n = strcspn(++p, ".[");
			char *key = xstrndup(p, n);
			at = cJSON_GetObjectItemCaseSensitive(at, key);
			free(key);
			p += n;
		} else if (*p == '[' && isdigit((unsigned char)p[1])) {
			char *end;
			at = cJSON_GetArrayItem(at, (int)strtol(p + 1, &end, 10));
			p = *end == ']' ? end + 1 : end;
		} else {
			return NULL;
		}
	}
	return at;
}

static char *select_path(const char *event, const char *path, struct lamb_err *err)
{
	cJSON *root = cJSON_Parse(event);
	const cJSON *v = json_path(root, path);
	char *out = v ? cJSON_PrintUnformatted(v) : NULL;
	cJSON_Delete(root);
	if (!out)
		lamb_err_set(err, "InputPath '%s' selects nothing in the event", path);
	return out;
}

/* The text a placeholder becomes: a string's characters (escaped for a
 * JSON string, where templates quote them), anything else as JSON. */
static char *placeholder_text(const cJSON *v)
{
	if (!v)
		return xstrdup("null");
	if (!cJSON_IsString(v))
		return cJSON_PrintUnformatted(v);
	char *quoted = cJSON_PrintUnformatted(v);
	size_t n = strlen(quoted);
	char *inner = xstrndup(quoted + 1, n - 2);
	free(quoted);
	return inner;
}

static char *value_for(const cJSON *event, const struct lamb_node *paths, const char *name,
		       const char *rule_arn, const char *rule_name, const char *raw)
{
	if (strcmp(name, "aws.events.rule-arn") == 0)
		return xstrdup(rule_arn);
	if (strcmp(name, "aws.events.rule-name") == 0)
		return xstrdup(rule_name);
	if (strcmp(name, "aws.events.event") == 0 || strcmp(name, "aws.events.event.json") == 0)
		return xstrdup(raw);
	const char *path = lamb_node_str(lamb_node_get(paths, name));
	return path ? placeholder_text(json_path(event, path)) : NULL;
}

static char *transform(const char *event, const struct lamb_node *t, const char *rule_arn, const char *rule_name,
		       struct lamb_err *err)
{
	const struct lamb_node *paths = lamb_node_get(t, "InputPathsMap");
	const char *tpl = lamb_node_str(lamb_node_get(t, "InputTemplate"));
	if (!tpl)
		return lamb_err_set(err, "InputTransformer needs an InputTemplate"), NULL;
	cJSON *root = cJSON_Parse(event);
	struct lamb_buf out;
	lamb_buf_init(&out);
	for (const char *p = tpl; *p;) {
		const char *close = *p == '<' ? strchr(p, '>') : NULL;
		char *name = close ? xstrndup(p + 1, (size_t)(close - p - 1)) : NULL;
		char *v = name ? value_for(root, paths, name, rule_arn, rule_name, event) : NULL;
		free(name);
		if (v) {
			lamb_buf_add(&out, v, strlen(v));
			free(v);
			p = close + 1;
		} else {
			lamb_buf_add(&out, p++, 1);
		}
	}
	cJSON_Delete(root);
	return lamb_buf_steal(&out);
}

char *lamb_sched_target_input(const char *event, const char *input, const char *input_path,
			      const struct lamb_node *transformer, const char *rule_arn, const char *rule_name,
			      struct lamb_err *err)
{
	if (input)
		return xstrdup(input);
	if (input_path)
		return select_path(event, input_path, err);
	if (transformer)
		return transform(event, transformer, rule_arn, rule_name, err);
	return xstrdup(event);
}
