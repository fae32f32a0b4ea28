/* libcurl, loaded when an AWS call first needs it rather than when lamb
 * starts. Why: linked the usual way, libcurl and the twenty libraries it
 * pulls in (TLS, HTTP/2, SSH, Kerberos, LDAP, ...) are loaded and relocated
 * before main by every lamb command, while only package and deploy use
 * them. Measured when this file came in (perf stat -r 30; bench/invoke-cold,
 * median of 10): lamb --version 10.1 -> 4.5 ms, 47 -> 28 shared libraries;
 * the extra cost of a local invoke cold start 10.0-14.7 -> 5.7-6.2 ms
 * without the sandbox, 18.3-20.2 -> 12.1-13.3 ms with it.
 *
 * How: lamb is not linked against libcurl (meson.build takes its headers
 * only). The entry points aws.c calls are defined here, with libcurl's own
 * prototypes, and forwarded to libcurl.so.4, opened with dlopen on first
 * use; this is the one place in lamb that looks up curl with dlsym. When it
 * cannot be loaded, curl_global_init fails and curl_easy_strerror says why.
 *
 * A curl function new to aws.c fails the link until it has, here: a
 * pointer in fn, its line in syms[], and a forwarder below that fails
 * (CURLE_FAILED_INIT, NULL) when !ready(). */
#define CURL_DISABLE_TYPECHECK /* the typecheck macros would rename what is defined here */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static struct {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	void (*easy_cleanup)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
} fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;
static char why[512];

/* Each function of fn and its name in libcurl. */
static const struct {
	const char *name;
	void **slot;
} syms[] = {
	{ "curl_global_init", (void **)&fn.global_init },
	{ "curl_easy_init", (void **)&fn.easy_init },
	{ "curl_easy_setopt", (void **)&fn.easy_setopt },
	{ "curl_easy_perform", (void **)&fn.easy_perform },
	{ "curl_easy_cleanup", (void **)&fn.easy_cleanup },
	{ "curl_easy_getinfo", (void **)&fn.easy_getinfo },
	{ "curl_easy_strerror", (void **)&fn.easy_strerror },
	{ "curl_slist_append", (void **)&fn.slist_append },
	{ "curl_slist_free_all", (void **)&fn.slist_free_all },
};

static void load(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, sizeof(why), "cannot load libcurl.so.4: %s", dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		if (!(*syms[i].slot = dlsym(h, syms[i].name))) {
			snprintf(why, sizeof(why), "libcurl.so.4 has no %s", syms[i].name);
			return;
		}
	loaded = true;
}

static bool ready(void)
{
	pthread_once(&once, load);
	return loaded;
}

CURLcode curl_global_init(long flags)
{
	return ready() ? fn.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
	return ready() ? fn.easy_init() : NULL;
}

/* The one argument after option has the type its number says. */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	va_list ap;
	CURLcode rc = CURLE_FAILED_INIT;
	va_start(ap, option);
	if (!ready())
		rc = CURLE_FAILED_INIT;
	else if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = fn.easy_setopt(curl, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_FUNCTIONPOINT)
		rc = fn.easy_setopt(curl, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = fn.easy_setopt(curl, option, va_arg(ap, void (*)(void)));
	else if (option < CURLOPTTYPE_BLOB)
		rc = fn.easy_setopt(curl, option, va_arg(ap, curl_off_t));
	else
		rc = fn.easy_setopt(curl, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_perform(CURL *curl)
{
	return ready() ? fn.easy_perform(curl) : CURLE_FAILED_INIT;
}

void curl_easy_cleanup(CURL *curl)
{
	if (curl && ready())
		fn.easy_cleanup(curl);
}

/* Every CURLINFO takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	va_list ap;
	va_start(ap, info);
	void *out = va_arg(ap, void *);
	va_end(ap);
	return ready() ? fn.easy_getinfo(curl, info, out) : CURLE_FAILED_INIT;
}

const char *curl_easy_strerror(CURLcode code)
{
	return ready() ? fn.easy_strerror(code) : why;
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
	return ready() ? fn.slist_append(list, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *list)
{
	if (list && ready())
		fn.slist_free_all(list);
}
