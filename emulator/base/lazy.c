/* Shared libraries opened on first use (see lazy.h for why). pthread_once
 * has no argument, so the library being opened is handed over in a
 * thread-local: each lamb_lazy has its own once, and a thread is inside
 * at most one of them at a time. */
#include "base/lazy.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static _Thread_local struct lamb_lazy *opening;

static void open_lib(void)
{
	struct lamb_lazy *l = opening;
	void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "lamb: cannot load %s: %s (scripts/install-deps installs it)\n", l->soname,
			dlerror());
		exit(3);
	}
	for (size_t i = 0; i < l->nsyms; i++)
		if (!(*l->syms[i].slot = dlsym(h, l->syms[i].name))) {
			fprintf(stderr, "lamb: %s has no %s: a version lamb was not built for\n", l->soname,
				l->syms[i].name);
			exit(3);
		}
}

void lamb_lazy_load(struct lamb_lazy *l)
{
	opening = l;
	pthread_once(&l->once, open_lib);
}
