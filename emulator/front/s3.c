/* Buckets as directories. The bucket keeps what it last saw of its files
 * (key, size, mtime); a write through the endpoint updates that at once and
 * fires, and a change the watcher reports is rescanned and the difference
 * fired, so that a file dropped in by hand fires once and a write through
 * the endpoint does not fire twice. */
#include "front/s3.h"

#include "base/url.h"
#include "base/util.h"
#include "base/watch.h"
#include "front/sched-expr.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/base16.h>
#include <nettle/md5.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct seen {
	char *key;
	long long size, mtime_ns;
};

struct bucket {
	struct lamb_s3 *s;
	char *name, *dir;
	const char *logical_id;
	struct seen *files;
	size_t nfiles, cap;
};

struct notif {
	struct bucket *b;
	const struct lamb_function *fn;
	char *source;
	bool created, removed;
	const char *prefix, *suffix;
};

struct lamb_s3 {
	struct lamb_loop *loop;
	const struct lamb_model *m;
	struct lamb_async *async;
	struct lamb_scheduler *clock;
	FILE *log;
	struct lamb_watcher *watcher;
	struct bucket *buckets;
	size_t nbuckets;
	struct notif *notifs;
	size_t nnotifs, ncap;
	uint64_t seq;
};

static void mkdirs(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
	free(p);
}

/* --- the snapshot --- */

static void scan_dir(const char *root, const char *rel, struct seen **v, size_t *n, size_t *cap)
{
	char *path = rel[0] ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		char *r = rel[0] ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		char *full = xasprintf("%s/%s", root, r);
		struct stat st;
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			scan_dir(root, r, v, n, cap);
			free(r);
		} else if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
			*v = xgrow(*v, cap, *n + 1, sizeof(**v));
			(*v)[(*n)++] = (struct seen){ r, (long long)st.st_size,
						      (long long)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec };
		} else {
			free(r);
		}
		free(full);
	}
	if (d)
		closedir(d);
	free(path);
}

static struct seen *find_seen(struct bucket *b, const char *key)
{
	for (size_t i = 0; i < b->nfiles; i++)
		if (strcmp(b->files[i].key, key) == 0)
			return &b->files[i];
	return NULL;
}

static void free_seen(struct seen *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].key);
	free(v);
}

/* --- events --- */

static bool wants(const struct notif *n, const char *key, bool created)
{
	return (created ? n->created : n->removed) && (!n->prefix || str_starts(key, n->prefix)) &&
	       (!n->suffix || str_ends(key, n->suffix));
}

static char *record(struct lamb_s3 *s, const struct bucket *b, const char *key, long long size, const char *how,
		    const char *etag)
{
	char when[32], *ekey = lamb_url_encode(key, LAMB_URL_KEEP_SLASH | LAMB_URL_PLUS_SPACE);
	lamb_sched_iso(lamb_scheduler_now(s->clock), when);
	char *r = xasprintf(
		"{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"awsRegion\":\"%s\","
		"\"eventTime\":\"%s\",\"eventName\":\"%s\",\"userIdentity\":{\"principalId\":\"EXAMPLE\"},"
		"\"requestParameters\":{\"sourceIPAddress\":\"127.0.0.1\"},\"responseElements\":{},"
		"\"s3\":{\"s3SchemaVersion\":\"1.0\",\"configurationId\":\"lamb\",\"bucket\":{\"name\":\"%s\","
		"\"ownerIdentity\":{\"principalId\":\"EXAMPLE\"},\"arn\":\"arn:%s:s3:::%s\"},\"object\":{\"key\":\"%s\","
		"\"size\":%lld,\"eTag\":\"%s\",\"sequencer\":\"%016llX\"}}}]}",
		s->m->region, when, how, b->name, s->m->partition, b->name, ekey, size, etag, (unsigned long long)++s->seq);
	free(ekey);
	return r;
}

static void file_md5(const char *path, char *hex)
{
	struct md5_ctx c;
	uint8_t d[MD5_DIGEST_SIZE], buf[65536];
	md5_init(&c);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		md5_update(&c, (size_t)n, buf);
	if (fd >= 0)
		close(fd);
	md5_digest(&c, sizeof(d), d);
	base16_encode_update(hex, sizeof(d), d);
	hex[2 * MD5_DIGEST_SIZE] = '\0';
}

static void fire(struct lamb_s3 *s, struct bucket *b, const char *key, long long size, const char *how,
		 const char *trace)
{
	bool created = str_starts(how, "ObjectCreated");
	char etag[33] = "d41d8cd98f00b204e9800998ecf8427e";
	char *path = xasprintf("%s/%s", b->dir, key);
	if (created)
		file_md5(path, etag);
	free(path);
	for (size_t i = 0; i < s->nnotifs; i++) {
		const struct notif *n = &s->notifs[i];
		if (n->b != b || !wants(n, key, created))
			continue;
		struct lamb_err err;
		char *ev = record(s, b, key, size, how, etag);
		if (lamb_async_submit(s->async, n->fn, ev, strlen(ev), n->source, trace, NULL, &err) < 0)
			fprintf(s->log, "lamb: %s is not delivered: %s\n", n->source, err.msg);
		free(ev);
	}
}

/* The watcher saw a change: what differs from the snapshot fires. */
static void on_changed(void *data, const char *root)
{
	(void)root;
	struct bucket *b = data;
	struct seen *now = NULL;
	size_t n = 0, cap = 0;
	scan_dir(b->dir, "", &now, &n, &cap);
	for (size_t i = 0; i < n; i++) {
		struct seen *old = find_seen(b, now[i].key);
		if (!old || old->size != now[i].size || old->mtime_ns != now[i].mtime_ns)
			fire(b->s, b, now[i].key, now[i].size, "ObjectCreated:Put", NULL);
	}
	for (size_t i = 0; i < b->nfiles; i++) {
		bool still = false;
		for (size_t j = 0; j < n && !still; j++)
			still = strcmp(now[j].key, b->files[i].key) == 0;
		if (!still)
			fire(b->s, b, b->files[i].key, 0, "ObjectRemoved:Delete", NULL);
	}
	free_seen(b->files, b->nfiles);
	b->files = now;
	b->nfiles = n;
	b->cap = cap;
}

static void resnap(struct bucket *b)
{
	free_seen(b->files, b->nfiles);
	b->files = NULL;
	b->nfiles = b->cap = 0;
	scan_dir(b->dir, "", &b->files, &b->nfiles, &b->cap);
}

/* --- the template --- */

static struct bucket *find_bucket(const struct lamb_s3 *s, const char *ref)
{
	const char *tail = ref && str_starts(ref, "arn:") ? strrchr(ref, ':') + 1 : ref;
	for (size_t i = 0; tail && i < s->nbuckets; i++)
		if (strcmp(s->buckets[i].name, tail) == 0 || str_eq(s->buckets[i].logical_id, tail))
			return &s->buckets[i];
	return NULL;
}

static void read_filter(struct notif *n, const struct lamb_node *props)
{
	const struct lamb_node *rules = lamb_node_get(lamb_node_get(lamb_node_get(props, "Filter"), "S3Key"), "Rules");
	for (size_t i = 0; rules && rules->kind == LAMB_SEQ && i < rules->len; i++) {
		const char *name = lamb_node_str(lamb_node_get(rules->items[i], "Name"));
		const char *value = lamb_node_str(lamb_node_get(rules->items[i], "Value"));
		if (name && strcasecmp(name, "prefix") == 0)
			n->prefix = value;
		else if (name && strcasecmp(name, "suffix") == 0)
			n->suffix = value;
	}
}

static void add_notif(struct lamb_s3 *s, const struct lamb_function *fn, const struct lamb_event *e)
{
	const struct lamb_node *p = e->properties, *evs = lamb_node_get(p, "Events");
	struct notif n = { .b = find_bucket(s, lamb_node_str(lamb_node_get(p, "Bucket"))), .fn = fn,
			   .source = xasprintf("s3 %s/%s", fn->logical_id, e->name) };
	for (size_t i = 0; evs && i < (evs->kind == LAMB_SEQ ? evs->len : 1); i++) {
		const char *what = lamb_node_str(evs->kind == LAMB_SEQ ? evs->items[i] : evs);
		n.created |= what && str_starts(what, "s3:ObjectCreated:");
		n.removed |= what && str_starts(what, "s3:ObjectRemoved:");
	}
	read_filter(&n, p);
	if (!n.b) {
		fprintf(s->log, "lamb: warning: %s is not run: its bucket is not one of the template's\n", n.source);
		free(n.source);
		return;
	}
	s->notifs = xgrow(s->notifs, &s->ncap, s->nnotifs + 1, sizeof(*s->notifs));
	s->notifs[s->nnotifs++] = n;
}

static void read_template(struct lamb_s3 *s)
{
	const struct lamb_model *m = s->m;
	s->buckets = xcalloc(m->nsources + 1, sizeof(*s->buckets));
	for (size_t i = 0; i < m->nsources; i++) {
		if (strcmp(m->sources[i].type, "AWS::S3::Bucket") != 0)
			continue;
		const char *name = lamb_node_str(lamb_node_get(m->sources[i].properties, "BucketName"));
		struct bucket *b = &s->buckets[s->nbuckets++];
		b->s = s;
		b->logical_id = m->sources[i].logical_id;
		b->name = xstrdup(name && *name ? name : m->sources[i].logical_id);
		for (char *c = b->name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		b->dir = xasprintf("%s/.lamb/s3/%s", m->dir, b->name);
		mkdirs(b->dir);
		resnap(b);
	}
	for (size_t i = 0; i < m->nfunctions; i++)
		for (size_t j = 0; j < m->functions[i].nevents; j++)
			if (strcmp(m->functions[i].events[j].type, "S3") == 0)
				add_notif(s, &m->functions[i], &m->functions[i].events[j]);
}

struct lamb_s3 *lamb_s3_new(struct lamb_loop *loop, const struct lamb_model *m, struct lamb_async *async,
			    struct lamb_scheduler *clock, FILE *log)
{
	struct lamb_s3 *s = xcalloc(1, sizeof(*s));
	struct lamb_err err;
	*s = (struct lamb_s3){ .loop = loop, .m = m, .async = async, .clock = clock, .log = log ? log : stderr };
	read_template(s);
	if (s->nbuckets && !(s->watcher = lamb_watch_new(loop, 50, &err)))
		fprintf(s->log, "lamb: warning: %s; files dropped into buckets fire nothing\n", err.msg);
	for (size_t i = 0; s->watcher && i < s->nbuckets; i++)
		if (lamb_watch_add(s->watcher, s->buckets[i].dir, on_changed, &s->buckets[i], &err) < 0)
			fprintf(s->log, "lamb: warning: %s\n", err.msg);
	return s;
}

void lamb_s3_free(struct lamb_s3 *s)
{
	if (!s)
		return;
	lamb_watch_free(s->watcher);
	for (size_t i = 0; i < s->nbuckets; i++) {
		free(s->buckets[i].name);
		free(s->buckets[i].dir);
		free_seen(s->buckets[i].files, s->buckets[i].nfiles);
	}
	for (size_t i = 0; i < s->nnotifs; i++)
		free(s->notifs[i].source);
	free(s->buckets);
	free(s->notifs);
	free(s);
}

void lamb_s3_describe(const struct lamb_s3 *s, FILE *out)
{
	for (size_t i = 0; i < s->nbuckets; i++)
		fprintf(out, "bucket %s: %s\n", s->buckets[i].name, s->buckets[i].dir);
	for (size_t i = 0; i < s->nnotifs; i++)
		fprintf(out, "%s -> %s: bucket %s%s%s%s%s\n", s->notifs[i].source, s->notifs[i].fn->logical_id,
			s->notifs[i].b->name, s->notifs[i].prefix ? ", prefix " : "",
			s->notifs[i].prefix ? s->notifs[i].prefix : "", s->notifs[i].suffix ? ", suffix " : "",
			s->notifs[i].suffix ? s->notifs[i].suffix : "");
}

/* --- the endpoint --- */

static void xml_reply(struct lamb_http_response *r, int status, char *body)
{
	r->status = status;
	r->body = body;
	r->body_len = strlen(body);
	lamb_http_response_add_header(r, "Content-Type", "application/xml");
}

static void no_such(struct lamb_http_response *r, const char *code, const char *what)
{
	xml_reply(r, 404, xasprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code>"
				    "<Message>The specified %s does not exist.</Message></Error>", code, what));
}

static bool safe_key(const char *key)
{
	return *key && !str_starts(key, "../") && !strstr(key, "/../") && strcmp(key, "..") != 0 &&
	       !str_ends(key, "/..") && key[0] != '/';
}

static char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct lamb_buf b;
	char chunk[65536];
	ssize_t n;
	if (fd < 0)
		return NULL;
	lamb_buf_init(&b);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		lamb_buf_add(&b, chunk, (size_t)n);
	close(fd);
	*len = b.len;
	return lamb_buf_steal(&b);
}

static bool write_file(const char *path, const void *data, size_t len)
{
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	free(dir);
	char *tmp = xasprintf("%s.lamb-tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok = fd >= 0 && write(fd, data, len) == (ssize_t)len;
	if (fd >= 0)
		close(fd);
	ok = ok && rename(tmp, path) == 0;
	if (!ok)
		unlink(tmp);
	free(tmp);
	return ok;
}

static void put(struct lamb_s3 *s, struct bucket *b, const char *key, const void *data, size_t len, bool copy,
		const char *trace, struct lamb_http_response *r)
{
	char *path = xasprintf("%s/%s", b->dir, key), etag[33];
	if (!write_file(path, data, len)) {
		free(path);
		return xml_reply(r, 500, xasprintf("<Error><Code>InternalError</Code><Message>cannot write '%s': %s"
						   "</Message></Error>", key, strerror(errno)));
	}
	file_md5(path, etag);
	free(path);
	resnap(b); /* the watcher finds nothing new: this fires once */
	fire(s, b, key, (long long)len, copy ? "ObjectCreated:Copy" : "ObjectCreated:Put", trace);
	char *quoted = xasprintf("\"%s\"", etag);
	lamb_http_response_add_header(r, "ETag", quoted);
	if (copy)
		xml_reply(r, 200, xasprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?><CopyObjectResult><ETag>%s</ETag>"
					    "<LastModified>2026-01-01T00:00:00.000Z</LastModified></CopyObjectResult>",
					    quoted));
	else
		r->status = 200;
	free(quoted);
}

static void list(struct bucket *b, const char *query, struct lamb_http_response *r)
{
	const char *p = query ? strstr(query, "prefix=") : NULL;
	char *prefix = p && (p == query || p[-1] == '&') ? lamb_url_decode(p + 7, strcspn(p + 7, "&"), true) : xstrdup("");
	struct lamb_buf x;
	lamb_buf_init(&x);
	resnap(b);
	size_t count = 0;
	for (size_t i = 0; i < b->nfiles; i++) {
		if (!str_starts(b->files[i].key, prefix ? prefix : ""))
			continue;
		char etag[33], *path = xasprintf("%s/%s", b->dir, b->files[i].key);
		file_md5(path, etag);
		free(path);
		lamb_buf_addstr(&x, "<Contents><Key>");
		lamb_buf_addstr(&x, b->files[i].key);
		lamb_buf_addf(&x, "</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>\"%s\"</ETag>"
				  "<Size>%lld</Size><StorageClass>STANDARD</StorageClass></Contents>", etag, b->files[i].size);
		count++;
	}
	xml_reply(r, 200, xasprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
				    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>%s</Name><Prefix>%s</Prefix>"
				    "<KeyCount>%zu</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>%s"
				    "</ListBucketResult>", b->name, prefix ? prefix : "", count, x.data ? x.data : ""));
	lamb_buf_release(&x);
	free(prefix);
}

static void object(struct lamb_s3 *s, struct bucket *b, const char *key, const struct lamb_http_request *req,
		   const char *copy_source, const char *trace, struct lamb_http_response *r)
{
	char *path = xasprintf("%s/%s", b->dir, key);
	size_t len = 0;
	if (strcmp(req->method, "PUT") == 0 && copy_source) {
		const char *src = copy_source[0] == '/' ? copy_source + 1 : copy_source;
		char *dec = lamb_url_decode(src, strcspn(src, "?"), false), *slash = dec ? strchr(dec, '/') : NULL;
		struct bucket *from = slash ? (*slash = '\0', find_bucket(s, dec)) : NULL;
		char *spath = from && safe_key(slash + 1) ? xasprintf("%s/%s", from->dir, slash + 1) : NULL;
		char *data = spath ? read_file(spath, &len) : NULL;
		if (data)
			put(s, b, key, data, len, true, trace, r);
		else
			no_such(r, "NoSuchKey", "key");
		free(data);
		free(spath);
		free(dec);
	} else if (strcmp(req->method, "PUT") == 0) {
		put(s, b, key, req->body, req->body_len, false, trace, r);
	} else if (strcmp(req->method, "DELETE") == 0) {
		struct stat st;
		if (stat(path, &st) == 0 && unlink(path) == 0) {
			resnap(b);
			fire(s, b, key, 0, "ObjectRemoved:Delete", trace);
		}
		r->status = 204;
	} else if ((r->body = read_file(path, &len))) {
		char etag[33], *quoted;
		file_md5(path, etag);
		quoted = xasprintf("\"%s\"", etag);
		r->status = 200;
		r->body_len = len;
		lamb_http_response_add_header(r, "ETag", quoted);
		lamb_http_response_add_header(r, "Content-Type", "binary/octet-stream");
		lamb_http_response_add_header(r, "Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT");
		free(quoted);
	} else {
		no_such(r, "NoSuchKey", "key");
	}
	free(path);
}

bool lamb_s3_handle(struct lamb_s3 *s, const struct lamb_http_request *req, const char *copy_source,
		    const char *trace, struct lamb_http_response *r)
{
	char *path = lamb_url_decode(req->path, strlen(req->path), false);
	char *name = path && path[0] == '/' ? path + 1 : NULL, *slash = name ? strchr(name, '/') : NULL;
	if (slash)
		*slash = '\0';
	struct bucket *b = name ? find_bucket(s, name) : NULL;
	bool mine = b && name && strcmp(b->name, name) == 0 && strcmp(req->method, "POST") != 0;
	const char *key = slash ? slash + 1 : "";
	if (mine && !*key && strcmp(req->method, "GET") == 0)
		list(b, req->query, r);
	else if (mine && !*key)
		r->status = 200; /* HeadBucket, CreateBucket of a bucket that exists */
	else if (mine && !safe_key(key))
		xml_reply(r, 400, xasprintf("<Error><Code>InvalidArgument</Code><Message>bad key</Message></Error>"));
	else if (mine)
		object(s, b, key, req, copy_source, trace, r);
	free(path);
	return mine;
}
