/* Sample events from the catalogue of data files (see events.h): reading
 * manifests, putting option values into the parsed event, and the few
 * encodings real events carry. Listing and printing belong to the CLI. */
#include "base/url.h"
#include "base/util.h"
#include "front/events.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <nettle/base16.h>
#include <nettle/md5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* next_in is const: the input is the caller's */
#define ZLIB_CONST
#include <zlib.h>

static cJSON *read_json(const char *path, struct lamb_err *err)
{
	size_t len;
	cleanup_free char *text = lamb_read_file(path, &len);
	if (!text)
		return lamb_err_set(err, "cannot read '%s': %s", path, strerror(errno)), NULL;
	cJSON *j = cJSON_ParseWithLength(text, len);
	if (!j)
		lamb_err_set(err, "'%s' is not valid JSON", path);
	return j;
}

static bool is_name(const char *s)
{
	if (!*s || *s == '.')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

cJSON *lamb_events_services(const char *dir, struct lamb_err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return lamb_err_set(err, "cannot open event catalogue '%s': %s", dir, strerror(errno)), NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (!is_name(e->d_name))
			continue;
		cleanup_free char *m = xasprintf("%s/%s/manifest.json", dir, e->d_name);
		struct stat st;
		if (stat(m, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		names = xgrow(names, &cap, n + 1, sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_string);
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON_AddItemToArray(a, cJSON_CreateString(names[i]));
		free(names[i]);
	}
	free(names);
	return a;
}

/* Fills the options given as {} from the shared definitions. */
static int complete_options(cJSON *event, const cJSON *common, const char *name, struct lamb_err *err)
{
	cJSON *opts = cJSON_GetObjectItemCaseSensitive(event, "options");
	cJSON *o;
	cJSON_ArrayForEach(o, opts) {
		if (!cJSON_IsObject(o))
			return lamb_err_set(err, "event '%s': option '%s' is not an object", name, o->string);
		if (o->child)
			continue;
		const cJSON *def = cJSON_GetObjectItemCaseSensitive(common, o->string);
		if (!def)
			return lamb_err_set(err, "event '%s': option '%s' has no definition", name, o->string);
		for (const cJSON *f = def->child; f; f = f->next)
			cJSON_AddItemToObject(o, f->string, cJSON_Duplicate(f, true));
	}
	return 0;
}

cJSON *lamb_events_manifest(const char *dir, const char *service, struct lamb_err *err)
{
	if (!is_name(service))
		return lamb_err_set(err, "unknown service '%s'", service), NULL;
	cleanup_free char *path = xasprintf("%s/%s/manifest.json", dir, service);
	struct stat st;
	if (stat(path, &st) != 0)
		return lamb_err_set(err, "unknown service '%s'", service), NULL;
	cleanup_free char *cpath = xasprintf("%s/options.json", dir);
	cJSON *common = read_json(cpath, err);
	if (!common)
		return NULL;
	cJSON *m = read_json(path, err);
	cJSON *ev = m ? cJSON_GetObjectItemCaseSensitive(m, "events") : NULL;
	if (m && !cJSON_IsObject(ev))
		lamb_err_set(err, "'%s' has no \"events\" object", path);
	cJSON *e = NULL;
	if (cJSON_IsObject(ev))
		cJSON_ArrayForEach(e, ev) if (complete_options(e, common, e->string, err) < 0) break;
	cJSON_Delete(common);
	if (!cJSON_IsObject(ev) || e) {
		cJSON_Delete(m);
		return NULL;
	}
	return m;
}

char *lamb_events_filter(const char *filter, const char *value)
{
	struct lamb_buf b;
	lamb_buf_init(&b);
	if (strcmp(filter, "url") == 0) {
		/* as S3 writes keys into events: form encoding, '/' kept */
		lamb_url_encode_into(&b, value, LAMB_URL_KEEP_SLASH | LAMB_URL_PLUS_SPACE);
	} else if (strcmp(filter, "base64") == 0) {
		lamb_buf_release(&b);
		return lamb_base64_encode(value, strlen(value));
	} else if (strcmp(filter, "md5") == 0) {
		struct md5_ctx md5;
		uint8_t d[MD5_DIGEST_SIZE];
		char hex[BASE16_ENCODE_LENGTH(MD5_DIGEST_SIZE)];
		md5_init(&md5);
		md5_update(&md5, strlen(value), (const uint8_t *)value);
		md5_digest(&md5, sizeof(d), d);
		base16_encode_update(hex, sizeof(d), d);
		lamb_buf_add(&b, hex, sizeof(hex));
	} else if (strcmp(filter, "lower") == 0 || strcmp(filter, "upper") == 0) {
		for (const char *p = value; *p; p++)
			lamb_buf_addch(&b, (char)(filter[0] == 'l' ? tolower((unsigned char)*p) : toupper((unsigned char)*p)));
	} else if (strcmp(filter, "trim-slash") == 0) {
		lamb_buf_addstr(&b, value + strspn(value, "/"));
	} else if (strcmp(filter, "stage-path") == 0) {
		/* an HTTP API's paths start with a named stage; $default has none */
		if (*value && strcmp(value, "$default") != 0)
			lamb_buf_addf(&b, "/%s", value);
	} else {
		lamb_buf_release(&b);
		return NULL;
	}
	return lamb_buf_steal(&b);
}

struct fill {
	const cJSON *options; /* the event's options, completed */
	const char **values;  /* per option, in manifest order */
	size_t n;
	const char *event;    /* for messages */
};

static const char *value_of(const struct fill *f, const char *name, const cJSON **opt)
{
	size_t i = 0;
	for (const cJSON *o = f->options->child; o; o = o->next, i++)
		if (strcmp(o->string, name) == 0) {
			*opt = o;
			return f->values[i];
		}
	return NULL;
}

static const char *type_of(const cJSON *opt)
{
	const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(opt, "type"));
	return t ? t : "string";
}

/* Expands one "{{name|filter...}}" (inner text between the braces) into b. */
static int expand(const struct fill *f, const char *inner, size_t len, struct lamb_buf *b, struct lamb_err *err)
{
	cleanup_free char *spec = xstrndup(inner, len);
	char *save = NULL, *name = strtok_r(spec, "|", &save);
	const cJSON *opt = NULL;
	const char *v = name ? value_of(f, name, &opt) : NULL;
	if (!v)
		return lamb_err_set(err, "event '%s': placeholder '{{%s}}' names no option", f->event, name ? name : "");
	cleanup_free char *cur = xstrdup(v);
	for (char *fl; (fl = strtok_r(NULL, "|", &save));) {
		char *next = lamb_events_filter(fl, cur);
		if (!next)
			return lamb_err_set(err, "event '%s': unknown filter '%s'", f->event, fl);
		free(cur);
		cur = next;
	}
	lamb_buf_addstr(b, cur);
	return 0;
}

static cJSON *typed_value(const cJSON *opt, const char *v)
{
	const char *t = type_of(opt);
	if (strcmp(t, "number") == 0) {
		char *end;
		errno = 0;
		double d = strtod(v, &end);
		return *v && !*end && !errno && isfinite(d) ? cJSON_CreateNumber(d) : NULL;
	}
	if (strcmp(t, "boolean") == 0)
		return strcmp(v, "true") == 0 ? cJSON_CreateTrue() : strcmp(v, "false") == 0 ? cJSON_CreateFalse() : NULL;
	if (strcmp(t, "json") == 0)
		return cJSON_Parse(v);
	return cJSON_CreateString(v);
}

/* The new value for a string node, or NULL with err set. */
static cJSON *fill_string(const struct fill *f, const char *s, struct lamb_err *err)
{
	size_t n = strlen(s);
	if (n > 4 && str_starts(s, "{{") && str_ends(s, "}}") && !strstr(s + 2, "{{") && !strchr(s, '|')) {
		cleanup_free char *name = xstrndup(s + 2, n - 4);
		const cJSON *opt = NULL;
		const char *v = value_of(f, name, &opt);
		if (v && strcmp(type_of(opt), "string") != 0)
			return typed_value(opt, v); /* values were checked up front */
	}
	struct lamb_buf b;
	lamb_buf_init(&b);
	for (const char *p = s, *open; *p;) {
		open = strstr(p, "{{");
		const char *close = open ? strstr(open + 2, "}}") : NULL;
		if (!close) {
			lamb_buf_addstr(&b, p);
			break;
		}
		lamb_buf_add(&b, p, (size_t)(open - p));
		if (expand(f, open + 2, (size_t)(close - open - 2), &b, err) < 0) {
			lamb_buf_release(&b);
			return NULL;
		}
		p = close + 2;
	}
	cJSON *r = cJSON_CreateString(b.data ? b.data : "");
	lamb_buf_release(&b);
	return r;
}

/* cJSON_ReplaceItemViaPointer leaves the key behind: carry it over. */
static void replace(cJSON *parent, cJSON *old, cJSON *with)
{
	if (old->string && !(old->type & cJSON_StringIsConst)) {
		with->string = old->string;
		old->string = NULL;
	}
	cJSON_ReplaceItemViaPointer(parent, old, with);
}

static int fill_tree(const struct fill *f, cJSON *node, struct lamb_err *err)
{
	for (cJSON *c = node->child, *next; c; c = next) {
		next = c->next;
		if (cJSON_IsString(c) && strstr(c->valuestring, "{{")) {
			cJSON *r = fill_string(f, c->valuestring, err);
			if (!r)
				return -1;
			replace(node, c, r);
		} else if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && fill_tree(f, c, err) < 0) {
			return -1;
		}
	}
	return 0;
}

/* gzip (RFC 1952), as CloudWatch Logs sends awslogs.data: zlib's deflate
 * with its gzip wrapper (windowBits 15 + 16). zlib fails only when out of
 * memory, which aborts, as the x* allocators do. */
static void gzip(struct lamb_buf *out, const unsigned char *p, size_t n)
{
	z_stream z = { 0 };
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = p;
	int rc = Z_OK;
	while (rc == Z_OK) {
		if (z.avail_in == 0) { /* avail_in is an unsigned int */
			z.avail_in = n < UINT_MAX ? (uInt)n : UINT_MAX;
			n -= z.avail_in;
		}
		unsigned char chunk[16384];
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = deflate(&z, n == 0 ? Z_FINISH : Z_NO_FLUSH);
		lamb_buf_add(out, chunk, sizeof(chunk) - z.avail_out);
	}
	deflateEnd(&z);
	if (rc != Z_STREAM_END)
		abort();
}

static cJSON *find_path(cJSON *root, const char *path, cJSON **parent)
{
	cleanup_free char *copy = xstrdup(path);
	char *save = NULL;
	cJSON *cur = root;
	*parent = NULL;
	for (char *k = strtok_r(copy, ".", &save); k && cur; k = strtok_r(NULL, ".", &save)) {
		*parent = cur;
		cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, atoi(k)) : cJSON_GetObjectItemCaseSensitive(cur, k);
	}
	return cur;
}

static int encode_path(const struct fill *f, cJSON *root, const char *path, const cJSON *steps, struct lamb_err *err)
{
	cJSON *parent, *node = find_path(root, path, &parent);
	if (!node || !parent)
		return lamb_err_set(err, "event '%s': nothing at '%s' to encode", f->event, path);
	struct lamb_buf b;
	lamb_buf_init(&b);
	if (cJSON_IsString(node))
		lamb_buf_addstr(&b, node->valuestring);
	const cJSON *s;
	cJSON_ArrayForEach(s, steps) {
		const char *step = cJSON_GetStringValue(s);
		struct lamb_buf next;
		lamb_buf_init(&next);
		if (str_eq(step, "json")) {
			cleanup_free char *text = cJSON_PrintUnformatted(node);
			lamb_buf_addstr(&next, text);
		} else if (str_eq(step, "gzip")) {
			gzip(&next, (const unsigned char *)b.data, b.len);
		} else if (str_eq(step, "base64")) {
			cleanup_free char *text = lamb_base64_encode(b.data ? b.data : "", b.len);
			lamb_buf_addstr(&next, text);
		} else {
			lamb_buf_release(&next), lamb_buf_release(&b);
			return lamb_err_set(err, "event '%s': unknown encoding '%s'", f->event, step ? step : "?");
		}
		lamb_buf_release(&b);
		b = next;
	}
	if (!lamb_utf8_valid(b.data ? b.data : "", b.len) || memchr(b.data ? b.data : "", 0, b.len)) {
		lamb_buf_release(&b);
		return lamb_err_set(err, "event '%s': encoding '%s' gives bytes, not text", f->event, path);
	}
	replace(parent, node, cJSON_CreateString(b.data ? b.data : ""));
	lamb_buf_release(&b);
	return 0;
}

/* Every value (given or default) is checked against its type up front. */
static int check_values(const struct fill *f, struct lamb_err *err)
{
	size_t i = 0;
	for (const cJSON *o = f->options->child; o; o = o->next, i++) {
		const char *v = f->values[i];
		if (!v)
			return lamb_err_set(err, "event '%s': option '%s' has no default", f->event, o->string);
		if (!lamb_utf8_valid(v, strlen(v)))
			return lamb_err_set(err, "--%s: the value is not UTF-8", o->string);
		cJSON *t = typed_value(o, v);
		if (!t)
			return lamb_err_set(err, "--%s: '%s' is not a %s", o->string, v, type_of(o));
		cJSON_Delete(t);
	}
	return 0;
}

static int set_values(struct fill *f, const struct lamb_event_value *values, size_t nvalues, struct lamb_err *err)
{
	f->n = (size_t)cJSON_GetArraySize(f->options);
	f->values = xcalloc(f->n + 1, sizeof(*f->values));
	size_t i = 0;
	for (const cJSON *o = f->options->child; o; o = o->next, i++)
		f->values[i] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "default"));
	for (size_t k = 0; k < nvalues; k++) {
		i = 0;
		const cJSON *o = f->options->child;
		for (; o && strcmp(o->string, values[k].name) != 0; o = o->next)
			i++;
		if (!o)
			return lamb_err_set(err, "event '%s' has no option '--%s'", f->event, values[k].name);
		f->values[i] = values[k].value;
	}
	return check_values(f, err);
}

static cJSON *generate(cJSON *manifest, const char *dir, const char *service, const char *event,
		       const struct lamb_event_value *values, size_t nvalues, struct lamb_err *err)
{
	cJSON *def = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(manifest, "events"), event);
	if (!def || !is_name(event))
		return lamb_err_set(err, "service '%s' has no event '%s'", service, event), NULL;
	cleanup_free char *name = xasprintf("%s %s", service, event);
	struct fill f = { .options = cJSON_GetObjectItemCaseSensitive(def, "options"), .event = name };
	cJSON *empty = NULL;
	if (!f.options)
		f.options = empty = cJSON_CreateObject();
	cleanup_free char *path = xasprintf("%s/%s/%s.json", dir, service, event);
	cJSON *ev = NULL;
	if (set_values(&f, values, nvalues, err) == 0 && (ev = read_json(path, err))) {
		int rc = fill_tree(&f, ev, err);
		const cJSON *enc;
		cJSON_ArrayForEach(enc, cJSON_GetObjectItemCaseSensitive(def, "encode")) {
			if (rc == 0)
				rc = encode_path(&f, ev, enc->string, enc, err);
		}
		if (rc < 0)
			cJSON_Delete(ev), ev = NULL;
	}
	free(f.values);
	cJSON_Delete(empty);
	return ev;
}

cJSON *lamb_events_generate(const char *dir, const char *service, const char *event,
			    const struct lamb_event_value *values, size_t nvalues, struct lamb_err *err)
{
	cJSON *m = lamb_events_manifest(dir, service, err);
	if (!m)
		return NULL;
	cJSON *ev = generate(m, dir, service, event, values, nvalues, err);
	cJSON_Delete(m);
	return ev;
}
