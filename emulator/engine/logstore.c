/* The local log store: buffered per function, written from the loop after
 * each batch of events, rotated at a size; and its reader, which follows the
 * files as they grow and across a rotation. One record a line:
 * "<ms since the epoch> <request id or -> <message>". */
#include "engine/logstore.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct stream {
	char *fn;
	int fd;
	uint64_t size;
	struct lamb_buf pending;
	struct stream *next;
};

struct lamb_logstore {
	struct lamb_loop *loop;
	char *dir;
	uint64_t max_bytes;
	struct stream *streams;
	struct lamb_timer timer; /* armed while records wait: the next flush */
	bool warned;
};

/* Nested stacks' functions are Child/Id: a file name has no slash. */
static char *file_of(const char *dir, const char *fn, const char *suffix)
{
	char *path = xasprintf("%s/%s.log%s", dir, fn, suffix);
	for (char *c = path + strlen(dir) + 1; *c; c++)
		if (*c == '/')
			*c = '+';
	return path;
}

static int mkdirs(char *path, struct lamb_err *err)
{
	for (char *c = path + 1;; c++) {
		if (*c != '/' && *c)
			continue;
		char save = *c;
		*c = '\0';
		int r = mkdir(path, 0777);
		*c = save;
		if (r < 0 && errno != EEXIST)
			return lamb_err_set(err, "cannot create '%s': %s", path, strerror(errno));
		if (!save)
			return 0;
	}
}

struct lamb_logstore *lamb_logstore_new(struct lamb_loop *loop, const char *dir, uint64_t max_bytes,
					struct lamb_err *err)
{
	char *d = xstrdup(dir);
	if (mkdirs(d, err) < 0) {
		free(d);
		return NULL;
	}
	struct lamb_logstore *s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->dir = d;
	s->max_bytes = max_bytes ? max_bytes : LAMB_LOGSTORE_DEFAULT_MAX;
	return s;
}

static struct stream *stream_of(struct lamb_logstore *s, const char *fn)
{
	for (struct stream *st = s->streams; st; st = st->next)
		if (strcmp(st->fn, fn) == 0)
			return st;
	struct stream *st = xcalloc(1, sizeof(*st));
	st->fn = xstrdup(fn);
	st->fd = -1;
	lamb_buf_init(&st->pending);
	st->next = s->streams;
	s->streams = st;
	return st;
}

static void warn(struct lamb_logstore *s, const char *what, const char *path)
{
	if (!s->warned)
		fprintf(stderr, "lamb: warning: cannot %s '%s': %s; local logs are incomplete\n", what, path,
			strerror(errno));
	s->warned = true;
}

static int open_stream(struct lamb_logstore *s, struct stream *st)
{
	cleanup_free char *path = file_of(s->dir, st->fn, "");
	st->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	struct stat sb;
	if (st->fd < 0 || fstat(st->fd, &sb) < 0)
		return warn(s, "open", path), -1;
	st->size = (uint64_t)sb.st_size;
	return 0;
}

/* The file is full: it becomes .log.1, and a new one starts. */
static void rotate(struct lamb_logstore *s, struct stream *st)
{
	cleanup_free char *path = file_of(s->dir, st->fn, "");
	cleanup_free char *old = file_of(s->dir, st->fn, ".1");
	close(st->fd);
	st->fd = -1;
	if (rename(path, old) < 0)
		warn(s, "rotate", path);
}

/* How much of data (whole records) fits in the file before it is full;
 * at least one record when the file is empty. */
static size_t fits(const struct lamb_logstore *s, const struct stream *st, const char *data, size_t len)
{
	uint64_t room = st->size < s->max_bytes ? s->max_bytes - st->size : 0;
	if (len <= room)
		return len;
	const char *nl = room ? memrchr(data, '\n', (size_t)room) : NULL;
	if (nl)
		return (size_t)(nl - data + 1);
	if (st->size)
		return 0;
	nl = memchr(data, '\n', len);
	return nl ? (size_t)(nl - data + 1) : len;
}

static void flush_stream(struct lamb_logstore *s, struct stream *st)
{
	size_t done = 0;
	while (done < st->pending.len) {
		if (st->fd < 0 && open_stream(s, st) < 0)
			break;
		size_t n = fits(s, st, st->pending.data + done, st->pending.len - done);
		if (!n) {
			rotate(s, st);
			continue;
		}
		/* a regular file on the page cache: this does not wait for the disk */
		ssize_t w = write(st->fd, st->pending.data + done, n);
		if (w < 0) {
			warn(s, "write", st->fn);
			break;
		}
		st->size += (uint64_t)w;
		done += (size_t)w;
	}
	st->pending.len = 0;
}

void lamb_logstore_flush(struct lamb_logstore *s)
{
	if (s->loop)
		lamb_loop_timer_cancel(s->loop, &s->timer);
	for (struct stream *st = s->streams; st; st = st->next)
		flush_stream(s, st);
}

static void on_flush(void *data)
{
	lamb_logstore_flush(data);
}

/* "<ms> <request id or -> " without printf: this runs thrice per warm
 * invocation. */
static size_t prefix(char *head, uint64_t ms, const char *request_id)
{
	char digits[24];
	size_t n = 0, k = 0;
	do
		digits[k++] = (char)('0' + ms % 10);
	while ((ms /= 10));
	while (k)
		head[n++] = digits[--k];
	head[n++] = ' ';
	size_t rl = request_id && *request_id ? strnlen(request_id, 48) : 0;
	memcpy(head + n, rl ? request_id : "-", rl ? rl : 1);
	n += rl ? rl : 1;
	head[n++] = ' ';
	return n;
}

void lamb_logstore_add(struct lamb_logstore *s, const char *fn, const char *request_id, const char *text,
		       size_t len)
{
	if (!s || !len)
		return;
	struct stream *st = stream_of(s, fn);
	char head[80];
	size_t hn = prefix(head, lamb_loop_wall_ms(), request_id);
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		lamb_buf_add(&st->pending, head, hn);
		lamb_buf_add(&st->pending, p, (size_t)(stop - p));
		lamb_buf_addch(&st->pending, '\n');
		p = nl ? nl + 1 : end;
	}
	/* a busy server's many invocations go out in one write a period */
	if (s->loop && !s->timer.armed)
		lamb_loop_timer_set(s->loop, &s->timer, lamb_loop_now_ns() + LAMB_LOGSTORE_FLUSH_MS * 1000000ull,
				    on_flush, s);
}

void lamb_logstore_free(struct lamb_logstore *s)
{
	if (!s)
		return;
	lamb_logstore_flush(s);
	while (s->streams) {
		struct stream *st = s->streams;
		s->streams = st->next;
		if (st->fd >= 0)
			close(st->fd);
		lamb_buf_release(&st->pending);
		free(st->fn);
		free(st);
	}
	free(s->dir);
	free(s);
}
