/* A shared library opened with dlopen on first use rather than by the
 * dynamic loader before main. Why: lamb's libraries and theirs cost every
 * lamb command about 10 ms of CPU to map and relocate (bench/README), while
 * most commands need few of them. A library's entry points are defined by
 * a *-dl.c file with its own prototypes and forwarded through a table that
 * LAMB_LAZY_LIB fills. A library lamb cannot load is fatal: it is one that
 * scripts/install-deps installs, and no caller could go on without it. */
#ifndef LAMB_BASE_LAZY_H
#define LAMB_BASE_LAZY_H

#include <pthread.h>
#include <stddef.h>

struct lamb_lazy_sym {
	const char *name;
	void **slot;
};

struct lamb_lazy {
	const char *soname;
	const struct lamb_lazy_sym *syms;
	size_t nsyms;
	pthread_once_t once;
};

/* Opens l->soname and fills every slot, once; on failure prints why and
 * exits with status 3 (lamb's internal failure). */
void lamb_lazy_load(struct lamb_lazy *l);

/* For a *-dl.c file: LIST(F, V) names each non-void entry point as
 * F(ret, name, params, args) and each void one as V(name, params, args).
 * Defines the pointers, the table, the loader and the forwarders. */
#define LAMB_LAZY_PTR(ret, name, params, args) static ret(*p_##name) params;
#define LAMB_LAZY_VPTR(name, params, args) static void(*p_##name) params;
#define LAMB_LAZY_SYM(ret, name, params, args) { #name, (void **)&p_##name },
#define LAMB_LAZY_VSYM(name, params, args) { #name, (void **)&p_##name },
#define LAMB_LAZY_FWD(ret, name, params, args) \
	ret name params { lamb_lazy_load(&lazy_lib); return p_##name args; }
#define LAMB_LAZY_VFWD(name, params, args) \
	void name params { lamb_lazy_load(&lazy_lib); p_##name args; }
#define LAMB_LAZY_LIB(soname, LIST) \
	LIST(LAMB_LAZY_PTR, LAMB_LAZY_VPTR) \
	static const struct lamb_lazy_sym lazy_syms[] = { LIST(LAMB_LAZY_SYM, LAMB_LAZY_VSYM) }; \
	static struct lamb_lazy lazy_lib = { soname, lazy_syms, sizeof(lazy_syms) / sizeof(lazy_syms[0]), \
					     PTHREAD_ONCE_INIT }; \
	LIST(LAMB_LAZY_FWD, LAMB_LAZY_VFWD)

#endif
