/* The probe runs on a thread of its own because getaddrinfo has no
 * timeout: with no network the resolver can take 5 s and more per
 * attempt. The caller waits for the deadline only; a probe still running
 * after it is left to finish alone (it owns its memory) and counts as no
 * answer. pip.conf is read as the INI pip reads, for one key only. */
#include "base/util.h"
#include "build/pip-index.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* index-url (or index_url) of [global] or [install] in the INI text, allocated, or NULL. */
static char *ini_index_url(char *text)
{
	char *found = NULL;
	bool in_section = false;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = 0;
		line += strspn(line, " \t");
		if (*line == '[') {
			in_section = str_starts(line, "[global]") || str_starts(line, "[install]");
			continue;
		}
		size_t k = strcspn(line, " \t=:");
		if (!in_section || (k != 9 || (strncmp(line, "index-url", 9) && strncmp(line, "index_url", 9))))
			continue;
		char *v = line + k + strspn(line + k, " \t=:");
		free(found);
		found = xstrndup(v, strcspn(v, " \t\r#"));
	}
	return found;
}

static void from_file(char **url, const char *path)
{
	size_t len;
	cleanup_free char *text = path ? lamb_read_file(path, &len) : NULL;
	char *u = text ? ini_index_url(text) : NULL;
	if (u) {
		free(*url);
		*url = u;
	}
}

char *lamb_pip_index_url(void)
{
	const char *env = getenv("PIP_INDEX_URL");
	if (env && *env)
		return xstrndup(env, strcspn(env, " \t"));
	char *url = NULL;
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME"), *venv = getenv("VIRTUAL_ENV");
	cleanup_free char *user_old = home ? xasprintf("%s/.pip/pip.conf", home) : NULL;
	cleanup_free char *user = xdg && *xdg ? xasprintf("%s/pip/pip.conf", xdg)
				  : home ? xasprintf("%s/.config/pip/pip.conf", home) : NULL;
	cleanup_free char *site = venv && *venv ? xasprintf("%s/pip.conf", venv) : NULL;
	const char *files[] = { "/etc/xdg/pip/pip.conf", "/etc/pip.conf", user_old, user, site,
				getenv("PIP_CONFIG_FILE") };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		from_file(&url, files[i]);
	return url ? url : xstrdup("https://pypi.org/simple");
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
