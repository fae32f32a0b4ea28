/* The probe runs on a thread of its own because getaddrinfo has no
 * timeout: with no network the resolver can take 5 s and more per
 * attempt. The caller waits for the deadline only; a probe still running
 * after it is left to finish alone (it owns its memory) and counts as no
 * answer. pip.conf is read as the INI pip reads, for the four keys that
 * say where pip looks. */
#include "base/util.h"
#include "build/build-method.h"
#include "build/pip-index.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The keys lamb reads, each as pip spells it in pip.conf (an underscore
 * is taken for a dash, as pip does) and as its PIP_ variable. */
enum key { K_INDEX, K_EXTRA, K_LINKS, K_NOINDEX, NKEYS };
static const char *const keys[NKEYS] = { "index-url", "extra-index-url", "find-links", "no-index" };
static const char *const vars[NKEYS] = { "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX" };

/* One file's values: [global]'s, with [install]'s over them, as pip lets
 * a command's section win whatever the order. NULL: not set here. */
struct ini {
	char *v[2][NKEYS]; /* [0] global, [1] install */
};

static enum key key_of(const char *name, size_t n)
{
	for (int k = 0; k < NKEYS; k++) {
		size_t i = 0;
		for (; i < n && keys[k][i]; i++)
			if (keys[k][i] != (name[i] == '_' ? '-' : name[i]))
				break;
		if (i == n && !keys[k][i])
			return (enum key)k;
	}
	return NKEYS;
}

/* Appends the words of v (to the first '#') to *dst, space-separated. */
static void append_words(char **dst, const char *v)
{
	size_t n = strcspn(v, "#\r");
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	char *old = *dst;
	*dst = old && *old ? (n ? xasprintf("%s %.*s", old, (int)n, v) : xstrdup(old)) : xstrndup(v, n);
	free(old);
}

/* pip.conf is an INI file (configparser): "key = value" or "key: value",
 * and an indented line continues the value before it (extra-index-url
 * and find-links are often given one per line). */
static void ini_parse(char *text, struct ini *out)
{
	int sec = -1;
	char **cur = NULL;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = 0;
		bool indented = *line == ' ' || *line == '\t';
		line += strspn(line, " \t");
		if (!*line || *line == '#' || *line == ';' || *line == '\r')
			continue;
		if (indented && cur) {
			append_words(cur, line);
			continue;
		}
		cur = NULL;
		if (*line == '[') {
			sec = str_starts(line, "[global]") ? 0 : str_starts(line, "[install]") ? 1 : -1;
			continue;
		}
		size_t n = strcspn(line, " \t=:");
		enum key k = key_of(line, n);
		if (sec < 0 || k == NKEYS)
			continue;
		char *v = line + n + strspn(line + n, " \t=:");
		free(out->v[sec][k]);
		out->v[sec][k] = NULL;
		append_words(&out->v[sec][k], v);
		cur = &out->v[sec][k];
	}
}

/* path's values laid over vals. */
static void from_file(char *vals[NKEYS], const char *path)
{
	size_t len;
	cleanup_free char *text = path ? lamb_read_file(path, &len) : NULL;
	if (!text)
		return;
	struct ini ini = { 0 };
	ini_parse(text, &ini);
	for (int sec = 0; sec < 2; sec++)
		for (int k = 0; k < NKEYS; k++)
			if (ini.v[sec][k]) {
				free(vals[k]);
				vals[k] = steal_ptr(ini.v[sec][k]);
			}
}

static bool truthy(const char *v)
{
	return v && *v && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0 && strcasecmp(v, "no") != 0 &&
	       strcasecmp(v, "off") != 0;
}

static void split_words(struct lamb_strlist *out, const char *v)
{
	for (const char *p = v ? v + strspn(v, " \t") : NULL; p && *p; p += strspn(p, " \t")) {
		size_t n = strcspn(p, " \t");
		out->v = xgrow(out->v, &out->cap, out->len + 1, sizeof(*out->v));
		out->v[out->len++] = xstrndup(p, n);
		p += n;
	}
}

/* pip's configuration files in the order pip lays them over each other
 * (global, user, site, then PIP_CONFIG_FILE), then its PIP_ variables. */
void lamb_pip_config_read(struct lamb_pip_config *c)
{
	memset(c, 0, sizeof(*c));
	char *vals[NKEYS] = { 0 };
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME"), *venv = getenv("VIRTUAL_ENV");
	cleanup_free char *user_old = home ? xasprintf("%s/.pip/pip.conf", home) : NULL;
	cleanup_free char *user = xdg && *xdg ? xasprintf("%s/pip/pip.conf", xdg)
				  : home ? xasprintf("%s/.config/pip/pip.conf", home) : NULL;
	cleanup_free char *site = venv && *venv ? xasprintf("%s/pip.conf", venv) : NULL;
	const char *files[] = { "/etc/xdg/pip/pip.conf", "/etc/pip.conf", user_old, user, site,
				getenv("PIP_CONFIG_FILE") };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		from_file(vals, files[i]);
	for (int k = 0; k < NKEYS; k++) {
		const char *env = getenv(vars[k]);
		if (env && *env) {
			free(vals[k]);
			vals[k] = xstrdup(env);
		}
	}
	const char *index = vals[K_INDEX] ? vals[K_INDEX] + strspn(vals[K_INDEX], " \t") : "";
	c->index_url = *index ? xstrndup(index, strcspn(index, " \t")) : xstrdup("https://pypi.org/simple");
	split_words(&c->extra, vals[K_EXTRA]);
	c->find_links = vals[K_LINKS] && vals[K_LINKS][strspn(vals[K_LINKS], " \t")];
	c->no_index = truthy(vals[K_NOINDEX]);
	for (int k = 0; k < NKEYS; k++)
		free(vals[k]);
}

void lamb_pip_config_release(struct lamb_pip_config *c)
{
	free(c->index_url);
	lamb_strlist_release(&c->extra);
	memset(c, 0, sizeof(*c));
}

/* host and port of http(s)://[user@]host[:port]/..., allocated into *host; false when not such a URL. */
static bool split_url(const char *url, char **host, char port[8])
{
	bool https = str_starts(url, "https://");
	if (!https && !str_starts(url, "http://"))
		return false;
	const char *h = url + (https ? 8 : 7);
	const char *end = h + strcspn(h, "/?#");
	const char *at = memchr(h, '@', (size_t)(end - h));
	if (at)
		h = at + 1;
	const char *colon = h < end && *h != '[' ? memchr(h, ':', (size_t)(end - h)) : NULL;
	*host = xstrndup(h, (size_t)((colon ? colon : end) - h));
	snprintf(port, 8, "%.*s", colon ? (int)(end - colon - 1) : 3, colon ? colon + 1 : https ? "443" : "80");
	return **host != 0;
}

struct probe {
	char *host;
	char port[8];
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool done, ok, abandoned;
};

static bool connects(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return false;
	bool ok = false;
	for (struct addrinfo *a = res; a && !ok; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		ok = fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0;
		if (fd >= 0)
			close(fd);
	}
	freeaddrinfo(res);
	return ok;
}

static void probe_free(struct probe *p)
{
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->done_cond);
	free(p->host);
	free(p);
}

static void *run_probe(void *arg)
{
	struct probe *p = arg;
	bool ok = connects(p->host, p->port);
	pthread_mutex_lock(&p->lock);
	p->ok = ok;
	p->done = true;
	bool abandoned = p->abandoned;
	pthread_cond_signal(&p->done_cond);
	pthread_mutex_unlock(&p->lock);
	if (abandoned)
		probe_free(p);
	return NULL;
}

static bool probe(const char *url, int timeout_ms)
{
	struct probe *p = xcalloc(1, sizeof(*p));
	if (!split_url(url, &p->host, p->port)) {
		free(p->host);
		free(p);
		return true; /* file:// or something pip knows better: let pip say */
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->done_cond, NULL);
	pthread_t t;
	if (pthread_create(&t, NULL, run_probe, p) != 0) {
		probe_free(p);
		return true;
	}
	pthread_detach(t);
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->lock);
	while (!p->done && pthread_cond_timedwait(&p->done_cond, &p->lock, &deadline) != ETIMEDOUT)
		;
	bool ok = p->done && p->ok, finished = p->done;
	p->abandoned = !finished;
	pthread_mutex_unlock(&p->lock);
	if (finished)
		probe_free(p);
	return ok;
}

bool lamb_pip_index_reachable(const char *url, int timeout_ms)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct { char *url; bool ok; } known[8];
	static size_t n;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n; i++)
		if (strcmp(known[i].url, url) == 0) {
			bool ok = known[i].ok;
			pthread_mutex_unlock(&lock);
			return ok;
		}
	bool ok = probe(url, timeout_ms);
	if (n < ARRAY_SIZE(known)) {
		known[n].url = xstrdup(url);
		known[n++].ok = ok;
	}
	pthread_mutex_unlock(&lock);
	return ok;
}
