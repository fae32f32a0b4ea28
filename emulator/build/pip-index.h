/* Where pip would look for packages, and whether an index answers: read
 * from pip's own settings (the pip.conf files pip reads, [global] and
 * [install], under its PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS
 * and PIP_NO_INDEX) and probed with a TCP connect that gives up after a
 * deadline, so that a build with no network fails in seconds rather than
 * after pip's minutes of retries. The caller skips the probe behind a
 * proxy, where a direct connection says nothing. */
#ifndef LAMB_PIP_INDEX_H
#define LAMB_PIP_INDEX_H

#include <stdbool.h>

#include "build/build-method.h"

struct lamb_pip_config {
	char *index_url;           /* the primary index: PyPI when nothing says otherwise */
	struct lamb_strlist extra; /* the extra indexes */
	bool find_links;           /* some find-links are set (folders or pages of wheels) */
	bool no_index;             /* no-index is set: pip asks no index at all */
};

/* What pip would read; release with lamb_pip_config_release. */
void lamb_pip_config_read(struct lamb_pip_config *c);
void lamb_pip_config_release(struct lamb_pip_config *c);
/* Whether url's host accepts a TCP connection within timeout_ms. Each URL
 * is probed once per process; the answer is kept. */
bool lamb_pip_index_reachable(const char *url, int timeout_ms);

#endif
