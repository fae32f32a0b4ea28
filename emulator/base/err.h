/* Error reporting for library code: a caller-owned struct filled by the
 * failing function, prefixed with context on the way up. */
#ifndef LAMB_ERR_H
#define LAMB_ERR_H

struct lamb_err {
	char msg[1024];
};

/* Fills err (if not NULL) and returns -1, so failing fits on one line. */
int lamb_err_set(struct lamb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Puts "context: " in front of the message already in err. */
int lamb_err_prefix(struct lamb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether key is met for the first time in this process (thread-safe): a
 * warning is said once per run, whichever function, command or layer meets
 * its subject first. key names the subject ("python3.13 interpreter"), so
 * that two layers' words about one fact are said once too. */
#include <stdbool.h>
bool lamb_warn_first(const char *key);

#endif
