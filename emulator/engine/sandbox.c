/* bubblewrap command lines for instances. The host's root is bound
 * read-only as a whole (binding its entries one by one costs bwrap tens of
 * ms: it re-reads the mount table for each), with fresh /dev, /proc and
 * /tmp, a tmpfs /var holding only what Lambda's has (task, tmp, and the
 * run and lock links), and the code and layers at their Lambda places
 * (/opt must exist on the host to be mounted over). Availability is probed
 * by starting a child in a new mount namespace, which costs far less than
 * running bwrap once. */
#include "base/util.h"
#include "engine/sandbox.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct args {
	char **v;
	size_t len, cap;
};

static void add(struct args *a, const char *s)
{
	a->v = xgrow(a->v, &a->cap, a->len + 2, sizeof(char *));
	a->v[a->len++] = xstrdup(s);
	a->v[a->len] = NULL;
}

static void add3(struct args *a, const char *opt, const char *x, const char *y)
{
	add(a, opt);
	add(a, x);
	if (y)
		add(a, y);
}

int lamb_sandbox_parse(const char *s)
{
	if (str_eq(s, "auto"))
		return LAMB_SANDBOX_AUTO;
	if (str_eq(s, "on"))
		return LAMB_SANDBOX_ON;
	if (str_eq(s, "off"))
		return LAMB_SANDBOX_OFF;
	return -1;
}

/* LAMB_BWRAP names bubblewrap's executable (empty: none), else the usual
 * places are searched. */
static const char *bwrap_path(void)
{
	static const char *const cands[] = { "/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap" };
	const char *set = getenv("LAMB_BWRAP");
	if (set)
		return *set && access(set, X_OK) == 0 ? set : NULL;
	for (size_t i = 0; i < ARRAY_SIZE(cands); i++)
		if (access(cands[i], X_OK) == 0)
			return cands[i];
	return NULL;
}

static bool native_ok(void);

static int probe_child(void *data)
{
	(void)data;
	return 0;
}

/* A child born in the namespaces: it shares our memory (no page tables to
 * copy), so a probe costs 0.1 ms, not the 0.5 ms of a fork and an unshare. */
static bool probe(int flags)
{
	static char stack[16384];
	pid_t pid = clone(probe_child, stack + sizeof(stack), flags | CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	int status = 1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* 0: no sandbox; 1: the /var/task and /opt view only; 2: also its own
 * user (no capabilities) and PID namespaces. Probed once per process. */
static int sandbox_level(const char **why)
{
	static int level = -1;
	static const char *reason;
	if (level < 0) {
		level = 0;
		if (probe(CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID))
			level = 2;
		else if (probe(CLONE_NEWNS | (geteuid() == 0 ? 0 : CLONE_NEWUSER)))
			level = 1;
		else
			reason = "this machine allows no new mount namespace";
		if (level == 1)
			reason = "this machine allows no new user and PID namespace";
		/* lamb makes the full sandbox itself (sandbox-ns.c); bwrap is
		 * needed only where it cannot: the half one, an older kernel */
		if (level > 0 && !bwrap_path() && (level < 2 || !native_ok())) {
			level = 0;
			reason = "bwrap (bubblewrap) is not installed";
		}
	}
	*why = reason;
	return level;
}

bool lamb_sandbox_available(char *why, size_t n)
{
	const char *reason;
	bool ok = sandbox_level(&reason) > 0;
	if (!ok && why)
		snprintf(why, n, "%s", reason);
	return ok;
}

/* s with a leading prefix `from` (followed by '/' or the end) replaced by
 * `to`; NULL when it does not start with it. */
static char *replace_prefix(const char *s, size_t len, const char *from, const char *to)
{
	size_t n = strlen(from);
	if (len < n || strncmp(s, from, n) != 0 || (len > n && s[n] != '/'))
		return NULL;
	return xasprintf("%s%.*s", to, (int)(len - n), s + n);
}

/* Maps every colon-separated element of s from host to sandbox paths. */
static char *map_paths(const char *s, const struct lamb_code *code)
{
	struct lamb_buf b;
	lamb_buf_init(&b);
	for (const char *p = s;;) {
		const char *end = strchrnul(p, ':');
		size_t len = (size_t)(end - p);
		char *m = replace_prefix(p, len, code->dir, "/var/task");
		for (size_t i = 0; !m && i < code->nlayers; i++)
			m = replace_prefix(p, len, code->layers[i], "/opt");
		if (m)
			lamb_buf_addstr(&b, m);
		else
			lamb_buf_add(&b, p, len);
		free(m);
		if (!*end)
			break;
		lamb_buf_addch(&b, ':');
		p = end + 1;
	}
	return b.data ? lamb_buf_steal(&b) : xstrdup("");
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Host paths the instance needs outside its code and layers (interpreter,
 * lamb's shims): hidden paths under /var and /opt cannot be had; those
 * under /tmp are bound in (the directory, or for PREFIX/bin/X the prefix).
 * Returns false with the offending path. */
static bool reachable(char *const *argv, const struct lamb_code *code, struct args *extra, const char **bad)
{
	for (char *const *p = argv; *p; p++) {
		if ((*p)[0] != '/' || under(*p, code->dir))
			continue;
		bool in_layer = false;
		for (size_t i = 0; i < code->nlayers; i++)
			in_layer |= under(*p, code->layers[i]);
		if (in_layer)
			continue;
		if (under(*p, "/var") || under(*p, "/opt")) {
			*bad = *p;
			return false;
		}
		if (under(*p, "/tmp")) {
			/* an interpreter in PREFIX/bin needs its prefix: a venv's
			 * pyvenv.cfg and site-packages, Python's lib/pythonX.Y,
			 * node's lib/node_modules (the runtime's AWS SDK) */
			char *dir = xstrdup(*p);
			*strrchr(dir, '/') = '\0';
			char *slash = strrchr(dir, '/');
			if (slash && slash != dir && strcmp(slash, "/bin") == 0 && strcmp(dir, "/tmp/bin") != 0)
				*slash = '\0';
			add3(extra, "--ro-bind", dir, dir);
			free(dir);
		}
	}
	return true;
}

/* Lambda's sbx_user1051: a function runs as uid 993, gid 990, with no
 * capability, so that it cannot remount /var/task or /opt writable; alone
 * in its PID namespace, with its own /proc, it sees neither lamb nor the
 * other instances, and all of it dies with its init (bwrap's). */
static void isolate(struct args *a)
{
	add(a, "--unshare-user");
	add3(a, "--uid", "993", NULL);
	add3(a, "--gid", "990", NULL);
	add(a, "--unshare-pid");
	add(a, "--unshare-ipc");
	add3(a, "--cap-drop", "ALL", NULL);
}

/* Lambda's /var: the host's entries are not bound in (each bind costs
 * bwrap a read of the mount table, 0.3 ms: 2-3 ms a cold start for the
 * eight of a Debian host), and /var/tmp is a directory of the instance's
 * /var tmpfs rather than a tmpfs of its own. */
static void lambda_var(struct args *a, const char *task)
{
	add3(a, "--tmpfs", "/var", NULL);
	add3(a, "--symlink", "/run", "/var/run");
	add3(a, "--symlink", "/run/lock", "/var/lock");
	add3(a, "--perms", "1777", NULL);
	add3(a, "--dir", "/var/tmp", NULL);
	add3(a, "--ro-bind", task, "/var/task");
}

static void build_argv(struct args *a, const struct lamb_bootstrap *b, const struct lamb_code *code,
		       const char *opt, const struct args *extra, bool isolated)
{
	add(a, bwrap_path());
	add(a, "--die-with-parent");
	if (isolated)
		isolate(a);
	add3(a, "--ro-bind", "/", "/");
	add3(a, "--dev", "/dev", NULL);
	add3(a, "--proc", "/proc", NULL);
	/* the function is lamb's user outside, for whom /proc/sys is writable
	 * (the host's hostname, its caches...): read-only, as sandbox-ns.c's */
	add3(a, "--ro-bind", "/proc/sys", "/proc/sys");
	add3(a, "--perms", "1777", NULL); /* writable by the function's uid */
	add3(a, "--tmpfs", "/tmp", NULL);
	for (size_t i = 0; i < extra->len; i++)
		add(a, extra->v[i]);
	lambda_var(a, code->dir);
	if (opt) {
		add3(a, "--ro-bind", opt, "/opt");
	} else { /* read-only without layers too, as on Lambda */
		add3(a, "--tmpfs", "/opt", NULL);
		add3(a, "--remount-ro", "/opt", NULL);
	}
	add3(a, "--chdir", "/var/task", NULL);
	add(a, "--");
	for (char **p = b->argv; *p; p++) {
		char *m = map_paths(*p, code);
		add(a, m);
		free(m);
	}
}

static int unavailable(enum lamb_sandbox_mode mode, const char *why, const char **note, struct lamb_err *err)
{
	static char msg[512];
	if (mode == LAMB_SANDBOX_ON)
		return lamb_err_set(err, "--sandbox on: %s", why);
	snprintf(msg, sizeof(msg), "no /var/task and /opt sandbox (%s): functions run from their own "
		 "directories, /var/task and /opt are not read-only, /tmp is shared by every instance and "
		 "the host, and a function sees lamb and the other instances", why);
	*note = msg;
	return 0;
}

/* The sandbox without its own user and PID namespaces: said once. */
static const char *half_note(const char *why)
{
	static char msg[512];
	snprintf(msg, sizeof(msg), "sandbox without isolation (%s): functions keep lamb's user and "
		 "capabilities and see lamb and the other instances in /proc", why);
	return msg;
}

static void free_args(struct args *a)
{
	for (size_t i = 0; i < a->len; i++)
		free(a->v[i]);
	free(a->v);
}

static void map_env(struct lamb_bootstrap *b, const struct lamb_code *code)
{
	for (size_t i = 0; i < b->nenv; i++) {
		char *eq = strchr(b->envp[i], '=');
		char *m = map_paths(eq + 1, code);
		char *kv = xasprintf("%.*s=%s", (int)(eq - b->envp[i]), b->envp[i], m);
		free(m);
		free(b->envp[i]);
		b->envp[i] = kv;
	}
}

/* lamb's own sandbox needs the new mount API (Linux 5.12): ENOSYS says it
 * is missing, any other error that it is there. LAMB_SANDBOX_BWRAP=1 keeps
 * bwrap (to compare, or to work around a kernel that refuses lamb's). */
static bool native_ok(void)
{
	const char *force = getenv("LAMB_SANDBOX_BWRAP");
	if (force && *force && !str_eq(force, "0"))
		return false;
	return mount_setattr(-1, "", 0, NULL, 0) < 0 && errno != ENOSYS;
}

void lamb_sandbox_plan_free(struct lamb_sandbox_plan *pl)
{
	if (!pl)
		return;
	free(pl->task);
	free(pl->opt);
	for (size_t i = 0; i < pl->nextra; i++)
		free(pl->extra[i]);
	free(pl->exec_path);
	free(pl);
}

/* extra holds reachable()'s "--ro-bind DIR DIR" triples. */
static bool use_native(struct lamb_bootstrap *b, const struct lamb_code *code, const char *opt,
		       const struct args *extra)
{
	if (extra->len / 3 > LAMB_SANDBOX_MAX_EXTRA)
		return false;
	struct lamb_sandbox_plan *pl = xcalloc(1, sizeof(*pl));
	snprintf(pl->uid_map, sizeof(pl->uid_map), "993 %u 1", (unsigned)geteuid());
	snprintf(pl->gid_map, sizeof(pl->gid_map), "990 %u 1", (unsigned)getegid());
	pl->task = xstrdup(code->dir);
	pl->opt = opt ? xstrdup(opt) : NULL;
	for (size_t i = 1; i < extra->len; i += 3)
		pl->extra[pl->nextra++] = xstrdup(extra->v[i]);
	pl->exec_path = map_paths(b->path, code);
	for (char **p = b->argv; *p; p++) {
		char *m = map_paths(*p, code);
		free(*p);
		*p = m;
	}
	/* bwrap's --chdir sets PWD: the same here */
	b->envp = xgrow(b->envp, &b->capenv, b->nenv + 2, sizeof(char *));
	b->envp[b->nenv++] = xstrdup("PWD=/var/task");
	b->envp[b->nenv] = NULL;
	b->sandbox = pl;
	return true;
}

static void use_bwrap(struct lamb_bootstrap *b, const struct lamb_code *code, const char *opt,
		      const struct args *extra, int level)
{
	struct args a = { 0 };
	build_argv(&a, b, code, opt, extra, level == 2);
	for (char **p = b->argv; *p; p++)
		free(*p);
	free(b->argv);
	b->argv = a.v;
	free(b->path);
	b->path = xstrdup(bwrap_path());
}

int lamb_sandbox_apply(struct lamb_bootstrap *b, struct lamb_code *code, enum lamb_sandbox_mode mode,
		       const char **note, struct lamb_err *err)
{
	char why[256];
	const char *bad = NULL, *reason;
	struct args extra = { 0 };
	*note = NULL;
	if (mode == LAMB_SANDBOX_OFF)
		return 0;
	int level = sandbox_level(&reason);
	if (level == 0)
		return unavailable(mode, reason, note, err);
	struct stat st;
	if (stat("/opt", &st) < 0 || !S_ISDIR(st.st_mode) || stat("/var", &st) < 0 || !S_ISDIR(st.st_mode))
		return unavailable(mode, "the host has no /opt or /var directory to mount over", note, err);
	if (access(b->path, X_OK) < 0) /* bwrap would say it less clearly */
		return lamb_err_set(err, "cannot exec '%s': %s", b->name, strerror(errno));
	if (!reachable(b->argv, code, &extra, &bad)) {
		snprintf(why, sizeof(why), "'%s' would be hidden by the sandbox's /var or /opt", bad);
		free_args(&extra);
		return unavailable(mode, why, note, err);
	}
	const char *opt = code->nlayers == 1 ? code->layers[0] : NULL;
	if (code->nlayers > 1 && !(opt = lamb_code_merge_layers(code, err))) {
		free_args(&extra);
		return -1;
	}
	map_env(b, code);
	if (level < 2 || !native_ok() || !use_native(b, code, opt, &extra)) {
		if (!bwrap_path()) {
			free_args(&extra);
			return unavailable(mode, "the function's interpreter needs more directories in the sandbox "
					   "than lamb maps itself, and bwrap (bubblewrap) is not installed", note, err);
		}
		use_bwrap(b, code, opt, &extra, level);
	}
	if (level < 2)
		*note = half_note(reason);
	free_args(&extra);
	return level;
}
