/* Manifest reading and writing with cJSON. Sizes are stored as JSON numbers
 * (doubles): exact up to 2^53 bytes, far above any Lambda limit. */
#include "base/util.h"
#include "build/manifest.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_VERSION 1

void lamb_manifest_init(struct lamb_manifest *m)
{
	memset(m, 0, sizeof(*m));
}

static void entry_release(struct lamb_manifest_entry *e)
{
	free(e->id);
	free(e->key);
	free(e->method);
}

void lamb_manifest_release(struct lamb_manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->len; i++)
		entry_release(&m->v[i]);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Index of id, or where it would go (with *found false). */
static size_t find(const struct lamb_manifest *m, const char *id, int *found)
{
	size_t lo = 0, hi = m->len;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->v[mid].id, id);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

const struct lamb_manifest_entry *lamb_manifest_get(const struct lamb_manifest *m, const char *id)
{
	int found;
	size_t i = find(m, id, &found);
	return found ? &m->v[i] : NULL;
}

void lamb_manifest_set(struct lamb_manifest *m, const struct lamb_manifest_entry *e)
{
	int found;
	size_t i = find(m, e->id, &found);
	if (found) {
		entry_release(&m->v[i]);
	} else {
		m->v = xgrow(m->v, &m->cap, m->len + 1, sizeof(*m->v));
		memmove(&m->v[i + 1], &m->v[i], (m->len - i) * sizeof(*m->v));
		m->len++;
	}
	m->v[i] = *e;
	m->v[i].id = xstrdup(e->id);
	m->v[i].key = xstrdup(e->key ? e->key : "");
	m->v[i].method = xstrdup(e->method ? e->method : "");
}

void lamb_manifest_remove(struct lamb_manifest *m, const char *id)
{
	int found;
	size_t i = find(m, id, &found);
	if (!found)
		return;
	entry_release(&m->v[i]);
	memmove(&m->v[i], &m->v[i + 1], (m->len - i - 1) * sizeof(*m->v));
	m->len--;
}

static uint64_t num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? (uint64_t)v->valuedouble : 0;
}

int lamb_manifest_load(struct lamb_manifest *m, const char *path, struct lamb_err *err)
{
	size_t len;
	cleanup_free char *text = lamb_read_file(path, &len);
	if (!text)
		return errno == ENOENT ? 0 : lamb_err_set(err, "cannot read '%s': %s", path, strerror(errno));
	cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
	const cJSON *arts = cJSON_GetObjectItemCaseSensitive(root, "artifacts");
	if (!cJSON_IsNumber(version) || version->valueint != MANIFEST_VERSION || !cJSON_IsObject(arts)) {
		cJSON_Delete(root);
		return 0;
	}
	const cJSON *a;
	cJSON_ArrayForEach(a, arts) {
		const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "key"));
		const char *method = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "method"));
		if (!a->string || !key)
			continue;
		struct lamb_manifest_entry e = {
			.id = a->string, .key = (char *)key, .method = (char *)method,
			.zipped = num(a, "zipSize"), .unzipped = num(a, "unzippedSize"), .files = num(a, "files"),
		};
		lamb_manifest_set(m, &e);
	}
	cJSON_Delete(root);
	return 0;
}

static int write_all(const char *path, const char *text, struct lamb_err *err)
{
	cleanup_free char *tmp = xasprintf("%s.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return lamb_err_set(err, "cannot create '%s': %s", tmp, strerror(errno));
	size_t len = strlen(text);
	int r = write(fd, text, len) == (ssize_t)len && fchmod(fd, 0644) == 0 && fsync(fd) == 0 ? 0 : -1;
	if (r < 0)
		lamb_err_set(err, "cannot write '%s': %s", tmp, strerror(errno));
	if (close(fd) != 0 && r == 0)
		r = lamb_err_set(err, "cannot write '%s': %s", tmp, strerror(errno));
	if (r == 0 && rename(tmp, path) != 0)
		r = lamb_err_set(err, "cannot rename '%s': %s", tmp, strerror(errno));
	if (r < 0)
		unlink(tmp);
	return r;
}

int lamb_manifest_save(const struct lamb_manifest *m, const char *path, struct lamb_err *err)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "version", MANIFEST_VERSION);
	cJSON *arts = cJSON_AddObjectToObject(root, "artifacts");
	for (size_t i = 0; i < m->len; i++) {
		const struct lamb_manifest_entry *e = &m->v[i];
		cJSON *o = cJSON_AddObjectToObject(arts, e->id);
		cJSON_AddStringToObject(o, "key", e->key);
		cJSON_AddStringToObject(o, "method", e->method);
		cJSON_AddNumberToObject(o, "zipSize", (double)e->zipped);
		cJSON_AddNumberToObject(o, "unzippedSize", (double)e->unzipped);
		cJSON_AddNumberToObject(o, "files", (double)e->files);
	}
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	cleanup_free char *line = xasprintf("%s\n", text);
	cJSON_free(text);
	return write_all(path, line, err);
}
