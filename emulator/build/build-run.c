/* Build tools run through base/spawn.c; what is theirs here is finding the
 * tool in PATH first (so that a missing npm says so) and the environment:
 * lamb's own with the build's variables laid over it. The tool stays in
 * lamb's process group: ^C on lamb build, or a rebuild child's group being
 * killed (rebuild.c), stops it with lamb. */
#include "base/spawn.h"
#include "build/build-run.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

char *lamb_build_which(const char *name)
{
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;;) {
		const char *end = strchrnul(p, ':');
		char *cand = end == p ? xasprintf("./%s", name) : xasprintf("%.*s/%s", (int)(end - p), p, name);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (!*end)
			return NULL;
		p = end + 1;
	}
}

/* environ with the "K=V" strings of add replacing their keys. */
static char **make_envp(const char *const *add)
{
	size_t n = 0, nadd = 0;
	while (environ[n])
		n++;
	while (add && add[nadd])
		nadd++;
	char **envp = xcalloc(n + nadd + 1, sizeof(*envp));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;
		for (size_t j = 0; j < nadd && !replaced; j++) {
			size_t klen = strcspn(add[j], "=") + 1;
			replaced = strncmp(environ[i], add[j], klen) == 0;
		}
		if (!replaced)
			envp[k++] = environ[i];
	}
	for (size_t j = 0; j < nadd; j++)
		envp[k++] = (char *)add[j];
	return envp;
}

int lamb_build_run(const struct lamb_run *r, struct lamb_buf *out, int *status, struct lamb_err *err)
{
	cleanup_free char *prog = lamb_build_which(r->argv[0]);
	if (!prog)
		return lamb_err_set(err, "cannot exec '%s': not found in PATH", r->argv[0]);
	cleanup_free char **envp = make_envp(r->setenv);
	struct lamb_spawn s = {
		.file = prog, .argv = r->argv, .envp = (const char *const *)envp, .cwd = r->cwd,
		.capture_out = true, .capture_err = true,
	};
	return lamb_spawn_run(&s, out, status, err);
}
