/* Driving pip for a target. The rounds of a targeted install: pip install
 * with the target's tags; when it stops at "No matching distribution found
 * for SPEC", SPEC's sdist is built into a wheel here (`pip wheel --no-deps
 * --no-binary :all:`, with build isolation, then without it for a host
 * that has setuptools but no index that serves it), and a pure wheel is
 * offered to the next round through --find-links. Each round names a new
 * requirement or fails, so the rounds end. */
#include "build/build-method.h"
#include "build/build-pip.h"
#include "build/build-run.h"
#include "build/tree.h"

#include "build/pip-index.h"

#include <dirent.h>
#include <stdlib.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAX_ROUNDS 32

static int targeted_in(const struct lamb_pip *p, const char *src, const char *dest, struct lamb_buf *log,
		       struct lamb_err *err);

struct argv {
	const char *v[160];
	size_t n;
	struct { char *v[80]; size_t n; } own; /* what v holds that is allocated */
};

static void add(struct argv *a, const char *s)
{
	if (a->n + 1 < ARRAY_SIZE(a->v))
		a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void addown(struct argv *a, char *s)
{
	if (a->own.n < ARRAY_SIZE(a->own.v) && a->n + 1 < ARRAY_SIZE(a->v)) {
		a->own.v[a->own.n++] = s;
		add(a, s);
	} else {
		free(s);
	}
}

static void argv_release(struct argv *a)
{
	for (size_t i = 0; i < a->own.n; i++)
		free(a->own.v[i]);
}

bool lamb_pip_host_matches(const struct lamb_pip *p)
{
	if (p->on_host || p->target->py_minor < 0)
		return true;
	char want[16];
	snprintf(want, sizeof(want), "3.%d", p->target->py_minor);
	size_t n = strlen(want);
	return strncmp(p->version, want, n) == 0 && (p->version[n] == '.' || p->version[n] == ' ') &&
	       lamb_build_target_native(p->target);
}

/* What every pip call gets: quiet about itself, quick to give up on an
 * index that does not answer, the wheelhouse. */
static void common(struct argv *a, const struct lamb_pip *p, const char *verb)
{
	add(a, p->python);
	add(a, "-m");
	add(a, "pip");
	add(a, verb);
	add(a, "--disable-pip-version-check");
	add(a, "--timeout");
	add(a, "4");
	add(a, "--retries");
	add(a, "1");
	if (p->wheelhouse) {
		add(a, "--find-links");
		add(a, p->wheelhouse);
	}
	if (p->offline)
		add(a, "--no-index");
}

/* The manylinux tags a glibc 2.N system accepts: PEP 600's down to the
 * oldest there is for the architecture, and manylinux2014 (which pip
 * widens to 2010 and 1); linux_ARCH for wheels built by hand, which the
 * doctor checks after. */
static void target_flags(struct argv *a, const struct lamb_build_target *t)
{
	const char *m = lamb_build_target_machine(t);
	for (int minor = t->glibc_minor; minor >= (t->arm64 ? 17 : 5); minor--) {
		add(a, "--platform");
		addown(a, xasprintf("manylinux_2_%d_%s", minor, m));
	}
	add(a, "--platform");
	addown(a, xasprintf("manylinux2014_%s", m));
	add(a, "--platform");
	addown(a, xasprintf("linux_%s", m));
	add(a, "--implementation");
	add(a, "cp");
	add(a, "--python-version");
	addown(a, xasprintf("3.%d", t->py_minor));
	add(a, "--abi");
	addown(a, xasprintf("cp3%d", t->py_minor));
	add(a, "--only-binary=:all:");
}

static char *describe(const struct lamb_build_target *t)
{
	return xasprintf("Python 3.%d on %s (%s, glibc 2.%d)", t->py_minor, lamb_build_target_arch(t),
			 t->runtime ? t->runtime : "python", t->glibc_minor);
}

/* The first "Looking in indexes: URL" of pip's output, or "PyPI". */
static char *index_named(const char *out)
{
	const char *p = strstr(out, "Looking in indexes: ");
	if (!p)
		return xstrdup("https://pypi.org/simple");
	p += strlen("Looking in indexes: ");
	return xstrndup(p, strcspn(p, "\r\n"));
}

static bool unreachable(const char *out)
{
	static const char *const signs[] = {
		"NewConnectionError", "ConnectTimeoutError", "Failed to establish a new connection",
		"Temporary failure in name resolution", "connection broken by", "Max retries exceeded",
		"ReadTimeoutError",
	};
	for (size_t i = 0; i < ARRAY_SIZE(signs); i++)
		if (strstr(out, signs[i]))
			return true;
	return false;
}

static bool set(const char *name);

static int unreachable_err(const struct lamb_pip *p, const char *out, struct lamb_err *err)
{
	cleanup_free char *index = p->offline ? xstrdup(p->offline) : index_named(out);
	if (p->offline && (p->wheelhouse || p->find_links))
		return lamb_err_set(err, "no package index answers ('%s' did not, within seconds), and the wheelhouse "
				    "(--wheelhouse; find-links of PIP_FIND_LINKS or pip.conf) lacks what requirements.txt "
				    "needs: add the wheels "
				    "there (pip download, see lamb-build(1), \"Offline\"), or point pip at an index "
				    "that answers with PIP_INDEX_URL, PIP_EXTRA_INDEX_URL or pip.conf", index);
	return lamb_err_set(err, "no package index answers ('%s' did not, within seconds): give a folder of "
			    "wheels with --wheelhouse DIR, or point pip at one that answers with PIP_INDEX_URL, "
			    "PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS or pip.conf (lamb-build(1), \"Offline\")", index);
}

/* Runs a; 0 when pip succeeded, 1 when it failed (its output in log from mark on), -1 when it did not run. */
static int run_pip(const struct argv *a, const char *cwd, struct lamb_buf *log, struct lamb_err *err)
{
	struct lamb_run r = { .argv = a->v, .cwd = cwd };
	int status;
	if (lamb_build_run(&r, log, &status, err) < 0)
		return -1;
	return status == 0 ? 0 : 1;
}

static const char *since(const struct lamb_buf *log, size_t mark)
{
	return log->data && log->len > mark ? log->data + mark : "";
}

static int plain(const struct lamb_pip *p, const char *src, const char *dest, struct lamb_buf *log,
		 struct lamb_err *err)
{
	struct argv a = { 0 };
	common(&a, p, "install");
	const char *rest[] = { "--no-warn-script-location", "-r", "requirements.txt", "-t", dest };
	for (size_t i = 0; i < ARRAY_SIZE(rest); i++)
		add(&a, rest[i]);
	size_t mark = log->len;
	int r = run_pip(&a, src, log, err);
	argv_release(&a);
	if (r == 1 && (unreachable(since(log, mark)) || p->offline))
		return unreachable_err(p, since(log, mark), err);
	if (r == 1)
		return lamb_err_set(err, "pip install -r '%s/requirements.txt' failed", src);
	return r;
}

/* The requirement pip found nothing for, allocated; NULL when that is not why it failed. */
static char *missing(const char *out)
{
	static const char key[] = "No matching distribution found for ";
	const char *p = strstr(out, key);
	if (!p)
		return NULL;
	p += strlen(key);
	size_t n = strcspn(p, "\r\n");
	while (n && p[n - 1] == ' ')
		n--;
	return n ? xstrndup(p, n) : NULL;
}

/* A .whl in dir that seen does not hold yet: added to seen, returned (borrowed from seen). */
static const char *new_wheel(const char *dir, struct lamb_strlist *seen)
{
	DIR *d = opendir(dir);
	const char *found = NULL;
	struct dirent *de;
	while (d && !found && (de = readdir(d))) {
		if (!str_ends(de->d_name, ".whl"))
			continue;
		bool known = false;
		for (size_t i = 0; i < seen->len && !known; i++)
			known = strcmp(seen->v[i], de->d_name) == 0;
		if (known)
			continue;
		seen->v = xgrow(seen->v, &seen->cap, seen->len + 1, sizeof(*seen->v));
		found = seen->v[seen->len++] = xstrdup(de->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

/* name-version[-build]-py-abi-platform.whl: pure when abi is none and platform any. */
static bool pure_wheel(const char *name)
{
	return str_ends(name, "-none-any.whl");
}

static int wheel_from_sdist(const struct lamb_pip *p, const char *src, const char *spec, const char *scratch,
			    struct lamb_buf *log, struct lamb_err *err)
{
	int r = 1;
	for (int isolated = 1; r == 1 && isolated >= 0; isolated--) {
		struct argv a = { 0 };
		common(&a, p, "wheel");
		const char *rest[] = { "--no-deps", "--no-binary=:all:", "-w", scratch };
		for (size_t i = 0; i < ARRAY_SIZE(rest); i++)
			add(&a, rest[i]);
		if (!isolated)
			add(&a, "--no-build-isolation");
		add(&a, spec);
		size_t mark = log->len;
		r = run_pip(&a, src, log, err);
		argv_release(&a);
		if (r == 1 && unreachable(since(log, mark)))
			return unreachable_err(p, since(log, mark), err);
	}
	if (r == 1) {
		cleanup_free char *t = describe(p->target);
		return lamb_err_set(err, "'%s' has no wheel for %s, and no sdist that builds here: pin a version "
				    "that has such a wheel, or add one to --wheelhouse", spec, t);
	}
	return r;
}

static int refuse_native(const struct lamb_pip *p, const char *spec, const char *wheel, struct lamb_err *err)
{
	cleanup_free char *t = describe(p->target);
	const char *dash = strchr(wheel, '-');
	const char *vend = dash ? strchr(dash + 1, '-') : NULL;
	cleanup_free char *name = dash ? xstrndup(wheel, (size_t)(dash - wheel)) : xstrdup(spec);
	cleanup_free char *version = vend ? xstrndup(dash + 1, (size_t)(vend - dash - 1)) : xstrdup("?");
	return lamb_err_set(err, "'%s' %s has no wheel for %s, and its sdist builds native code (%s, built "
			    "for this machine): pin a version of '%s' that has a wheel for that target, or build "
			    "on a machine that matches it (Python 3.%d, %s) with --build-on-host", name, version, t,
			    wheel, name, p->target->py_minor, lamb_build_target_arch(p->target));
}

static int round_install(const struct lamb_pip *p, const char *src, const char *dest, const char *scratch,
			 struct lamb_buf *log, struct lamb_err *err)
{
	struct argv a = { 0 };
	common(&a, p, "install");
	target_flags(&a, p->target);
	const char *rest[] = { "--find-links", scratch, "--no-warn-script-location", "-r", "requirements.txt", "-t", dest };
	for (size_t i = 0; i < ARRAY_SIZE(rest); i++)
		add(&a, rest[i]);
	int r = run_pip(&a, src, log, err);
	argv_release(&a);
	return r;
}

static int targeted(const struct lamb_pip *p, const char *src, const char *dest, const char *scratch,
		    struct lamb_buf *log, struct lamb_err *err)
{
	struct lamb_strlist seen = { 0 }, specs = { 0 };
	int r = 1;
	for (int round = 0; r == 1 && round < MAX_ROUNDS; round++) {
		size_t mark = log->len;
		r = round_install(p, src, dest, scratch, log, err);
		if (r != 1)
			break;
		char *spec = missing(since(log, mark));
		bool again = false;
		for (size_t i = 0; spec && i < specs.len; i++)
			again |= strcmp(specs.v[i], spec) == 0;
		if (unreachable(since(log, mark)) || p->offline || !spec || again) {
			r = unreachable(since(log, mark)) || p->offline ? unreachable_err(p, since(log, mark), err)
				: lamb_err_set(err, "pip install -r '%s/requirements.txt' failed", src);
			free(spec);
			break;
		}
		specs.v = xgrow(specs.v, &specs.cap, specs.len + 1, sizeof(*specs.v));
		specs.v[specs.len++] = spec;
		if ((r = wheel_from_sdist(p, src, spec, scratch, log, err)) != 0)
			break;
		const char *w = new_wheel(scratch, &seen);
		if (!w)
			r = lamb_err_set(err, "pip wheel '%s' made no wheel", spec);
		else if (!pure_wheel(w))
			r = refuse_native(p, spec, w, err);
		else
			r = 1; /* the next round finds it */
	}
	lamb_strlist_release(&seen);
	lamb_strlist_release(&specs);
	return r == 1 ? lamb_err_set(err, "pip install -r '%s/requirements.txt' failed", src) : r;
}

static bool set(const char *name)
{
	const char *v = getenv(name);
	return v && *v && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0 && strcasecmp(v, "no") != 0;
}

/* Stops at a line that names a package to be found (rather than a local
 * path or an option). */
static bool is_local_line(char *line, void *found)
{
	if (*line && !strchr("#-./", *line) && !str_starts(line, "file:") && !strstr(line, "@ file:"))
		return !(*(bool *)found = true);
	return true;
}

/* Whether src/requirements.txt names a package to be found (rather than
 * only local paths and options). */
static bool names_a_package(const char *src)
{
	bool found = false;
	lamb_build_requirements_each(src, is_local_line, &found);
	return found;
}

/* Whether an index of c answers: the primary, else one of the extras
 * (pip goes on past an index it cannot reach; PyPI may be out of reach
 * from a laptop whose PIP_EXTRA_INDEX_URL is the team's mirror). */
static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The probes share 2.5 s (then 250 ms each), so that with no network the
 * build still fails within the 5 s lamb-build(1) promises. */
static bool any_index_answers(const struct lamb_pip_config *c)
{
	long end = now_ms() + 2500;
	for (size_t i = 0; i <= c->extra.len; i++) {
		long left = end - now_ms();
		if (lamb_pip_index_reachable(i ? c->extra.v[i - 1] : c->index_url, left > 250 ? (int)left : 250))
			return true;
	}
	return false;
}

/* The indexes probed before pip runs: p->offline set when none answers, so
 * that pip keeps to local files and links (--wheelhouse, find-links of
 * PIP_FIND_LINKS or pip.conf); nothing run at all when there is nothing
 * local to keep to. */
static int check_index(struct lamb_pip *p, const char *src, struct lamb_err *err)
{
	static const char *const proxies[] = { "PIP_PROXY", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
					       "http_proxy", "ALL_PROXY", "all_proxy" };
	for (size_t i = 0; i < ARRAY_SIZE(proxies); i++)
		if (set(proxies[i]))
			return 0; /* the index is reached through the proxy, not directly: pip's timeouts only */
	struct lamb_pip_config c;
	lamb_pip_config_read(&c);
	int r = 0;
	if (!c.no_index && !any_index_answers(&c)) {
		p->offline = steal_ptr(c.index_url); /* local paths in requirements.txt need no index */
		p->find_links = c.find_links;
		if (!p->wheelhouse && !c.find_links && names_a_package(src))
			r = unreachable_err(p, "", err);
	}
	lamb_pip_config_release(&c);
	return r;
}

int lamb_pip_install(const struct lamb_pip *opts, const char *src, const char *dest, struct lamb_buf *log,
		     struct lamb_err *err)
{
	struct lamb_pip copy = *opts, *p = &copy;
	copy.offline = NULL;
	int r = check_index(p, src, err);
	if (r == 0)
		r = lamb_pip_host_matches(p) ? plain(p, src, dest, log, err) : targeted_in(p, src, dest, log, err);
	free(copy.offline);
	return r;
}

static int targeted_in(const struct lamb_pip *p, const char *src, const char *dest, struct lamb_buf *log,
		       struct lamb_err *err)
{
	cleanup_free char *scratch = xasprintf("%s/.lamb-wheels", dest);
	if (lamb_tree_mkdirs(scratch, err) < 0)
		return -1;
	int r = targeted(p, src, dest, scratch, log, err);
	lamb_tree_remove(scratch, NULL);
	return r;
}
