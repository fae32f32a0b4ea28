/* Reading the local log store (engine/logstore.h) as it grows: an offset
 * per function's file, the rotated file finished when the current one was
 * renamed under us (its inode changed), and the new records of every
 * function merged in time order. */
#include "base/util.h"
#include "engine/logstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct followed {
	char *fn;
	ino_t ino;   /* 0: not opened yet */
	off_t off;
	struct followed *next;
};

struct lamb_log_reader {
	char *dir;
	char *only;
	struct followed *files;
};

struct batch {
	struct lamb_buf text;      /* the complete lines read this poll, each with its function */
	size_t *starts;            /* offsets of records in text */
	size_t n, cap;
};

struct lamb_log_reader *lamb_log_reader_new(const char *dir, const char *fn)
{
	struct lamb_log_reader *r = xcalloc(1, sizeof(*r));
	r->dir = xstrdup(dir);
	r->only = fn ? xstrdup(fn) : NULL;
	return r;
}

void lamb_log_reader_free(struct lamb_log_reader *r)
{
	if (!r)
		return;
	while (r->files) {
		struct followed *f = r->files;
		r->files = f->next;
		free(f->fn);
		free(f);
	}
	free(r->dir);
	free(r->only);
	free(r);
}

static char *path_of(const struct lamb_log_reader *r, const char *fn, const char *suffix)
{
	char *path = xasprintf("%s/%s.log%s", r->dir, fn, suffix);
	for (char *c = path + strlen(r->dir) + 1; *c; c++)
		if (*c == '/')
			*c = '+';
	return path;
}

/* Appends the complete lines of path from *off on, each as
 * "<fn>\t<line>"; *off moves past them. */
static void read_from(const char *path, const char *fn, off_t *off, struct batch *b)
{
	size_t len;
	cleanup_free char *data = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0)
		return;
	if (fstat(fd, &sb) < 0 || sb.st_size <= *off) {
		close(fd);
		return;
	}
	len = (size_t)(sb.st_size - *off);
	data = xmalloc(len);
	ssize_t n = pread(fd, data, len, *off);
	close(fd);
	if (n <= 0)
		return;
	char *last = memrchr(data, '\n', (size_t)n);
	if (!last)
		return;
	*off += last - data + 1;
	for (char *p = data, *nl; p <= last; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(last - p + 1));
		if (b->n == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 256;
			b->starts = xrealloc(b->starts, b->cap * sizeof(*b->starts));
		}
		b->starts[b->n++] = b->text.len;
		lamb_buf_addf(&b->text, "%s\t", fn);
		lamb_buf_add(&b->text, p, (size_t)(nl - p));
		lamb_buf_addch(&b->text, '\0');
	}
}

static void poll_file(struct lamb_log_reader *r, struct followed *f, struct batch *b)
{
	cleanup_free char *cur = path_of(r, f->fn, "");
	cleanup_free char *old = path_of(r, f->fn, ".1");
	struct stat sb, ob;
	if (stat(cur, &sb) < 0)
		return;
	if (f->ino != sb.st_ino) {
		/* first look, or rotated since: finish (or read) the old one */
		off_t o = f->ino && stat(old, &ob) == 0 && ob.st_ino == f->ino ? f->off : 0;
		if (f->ino == 0 || o)
			read_from(old, f->fn, &o, b);
		f->ino = sb.st_ino;
		f->off = 0;
	}
	read_from(cur, f->fn, &f->off, b);
}

static struct followed *follow(struct lamb_log_reader *r, const char *fn)
{
	for (struct followed *f = r->files; f; f = f->next)
		if (strcmp(f->fn, fn) == 0)
			return f;
	struct followed *f = xcalloc(1, sizeof(*f));
	f->fn = xstrdup(fn);
	f->next = r->files;
	r->files = f;
	return f;
}

/* Finds the functions that have logs now (new ones appear while tailing). */
static int scan(struct lamb_log_reader *r, struct lamb_err *err)
{
	if (r->only) {
		follow(r, r->only);
		return 0;
	}
	DIR *d = opendir(r->dir);
	if (!d)
		return errno == ENOENT ? 0 : lamb_err_set(err, "cannot read '%s': %s", r->dir, strerror(errno));
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (n <= 4 || strcmp(e->d_name + n - 4, ".log") != 0 || e->d_name[0] == '.')
			continue;
		char *fn = xstrndup(e->d_name, n - 4);
		for (char *c = fn; *c; c++)
			if (*c == '+')
				*c = '/';
		follow(r, fn);
		free(fn);
	}
	closedir(d);
	return 0;
}

static const char *g_text; /* for the comparison: qsort passes no context */

static int by_time(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const char *sx = strchr(g_text + x, '\t') + 1, *sy = strchr(g_text + y, '\t') + 1;
	unsigned long long mx = strtoull(sx, NULL, 10), my = strtoull(sy, NULL, 10);
	if (mx != my)
		return mx < my ? -1 : 1;
	return x < y ? -1 : x > y; /* stable: a function's own order */
}

static bool parse(char *rec, struct lamb_log_record *out)
{
	char *tab = strchr(rec, '\t');
	char *sp1 = tab ? strchr(tab + 1, ' ') : NULL;
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp2)
		return false;
	*tab = *sp1 = *sp2 = '\0';
	out->function = rec;
	out->ms = strtoull(tab + 1, NULL, 10);
	out->request_id = strcmp(sp1 + 1, "-") == 0 ? "" : sp1 + 1;
	out->message = sp2 + 1;
	return true;
}

int lamb_log_reader_poll(struct lamb_log_reader *r, lamb_log_record_fn cb, void *data, struct lamb_err *err)
{
	struct batch b = { 0 };
	lamb_buf_init(&b.text);
	if (scan(r, err) < 0)
		return -1;
	for (struct followed *f = r->files; f; f = f->next)
		poll_file(r, f, &b);
	g_text = b.text.data;
	if (b.n > 1)
		qsort(b.starts, b.n, sizeof(*b.starts), by_time);
	int count = 0;
	for (size_t i = 0; i < b.n; i++) {
		struct lamb_log_record rec;
		if (parse(b.text.data + b.starts[i], &rec) && ++count)
			cb(data, &rec);
	}
	free(b.starts);
	lamb_buf_release(&b.text);
	return count;
}
