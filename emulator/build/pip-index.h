/* Which package index pip would ask, and whether it answers: read from
 * pip's own settings (PIP_INDEX_URL, then the index-url of the pip.conf
 * files pip reads, else PyPI) and probed with a TCP connect that gives up
 * after a deadline, so that a build with no network fails in seconds
 * rather than after pip's minutes of retries. Only the primary index is
 * probed: extra indexes and find-links are pip's to try. The caller skips
 * the probe behind a proxy, where a direct connection says nothing. */
#ifndef LAMB_PIP_INDEX_H
#define LAMB_PIP_INDEX_H

#include <stdbool.h>

/* The index URL pip would use; allocated. */
char *lamb_pip_index_url(void);
/* Whether url's host accepts a TCP connection within timeout_ms. Each URL
 * is probed once per process; the answer is kept. */
bool lamb_pip_index_reachable(const char *url, int timeout_ms);

#endif
