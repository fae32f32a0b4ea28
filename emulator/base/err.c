/* lamb_err: fixed-size messages, so setting an error never allocates. */
#include "base/err.h"

#include "base/util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int lamb_err_set(struct lamb_err *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int lamb_err_prefix(struct lamb_err *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	char prefix[512];
	char old[sizeof(err->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	size_t n = strlen(prefix);
	if (n + 2 >= sizeof(err->msg))
		return -1;
	memcpy(err->msg, prefix, n);
	memcpy(err->msg + n, ": ", 2);
	/* what does not fit is cut */
	memcpy(err->msg + n + 2, old, sizeof(err->msg) - n - 3);
	err->msg[sizeof(err->msg) - 1] = '\0';
	return -1;
}

bool lamb_warn_first(const char *key)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char **said;
	static size_t n, cap;
	pthread_mutex_lock(&lock);
	bool first = true;
	for (size_t i = 0; first && i < n; i++)
		first = strcmp(said[i], key) != 0;
	if (first) {
		said = xgrow(said, &cap, n + 1, sizeof(*said));
		said[n++] = xstrdup(key);
	}
	pthread_mutex_unlock(&lock);
	return first;
}
