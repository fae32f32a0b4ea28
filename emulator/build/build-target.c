/* Build targets: runtime → base image → glibc. AL2023 (python3.12+,
 * nodejs20.x+, provided.al2023, java21+, ruby3.3+, dotnet8+) has glibc
 * 2.34; AL2 (python3.8-3.11, nodejs16-18, provided.al2, java 8.al2-17,
 * ruby3.2, dotnet6) 2.26; older runtimes AL1's 2.17. An unknown runtime
 * is taken as AL2023, the newest. */
#include "base/util.h"
#include "build/build-target.h"

#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

static const char *const al2[] = {
	"python3.8", "python3.9", "python3.10", "python3.11", "nodejs16.x", "nodejs18.x", "provided.al2",
	"java8.al2", "java11", "java17", "ruby3.2", "dotnet6",
};
static const char *const al1[] = {
	"python2.7", "python3.6", "python3.7", "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10",
	"nodejs10.x", "nodejs12.x", "nodejs14.x", "provided", "java8", "go1.x", "ruby2.5", "ruby2.7",
	"dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1",
};

static bool listed(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

void lamb_build_target_init(struct lamb_build_target *t, const char *runtime, const char *arch)
{
	memset(t, 0, sizeof(*t));
	t->runtime = runtime;
	t->arm64 = arch && (strcmp(arch, "arm64") == 0 || strcmp(arch, "aarch64") == 0);
	t->py_minor = -1;
	if (runtime && str_starts(runtime, "python3."))
		t->py_minor = atoi(runtime + strlen("python3."));
	t->image = "al2023";
	t->glibc_minor = 34;
	if (listed(al2, ARRAY_SIZE(al2), runtime)) {
		t->image = "al2";
		t->glibc_minor = 26;
	} else if (listed(al1, ARRAY_SIZE(al1), runtime)) {
		t->image = "al1";
		t->glibc_minor = 17;
	}
}

static const char *method_runtime(const char *build_method, const char *runtime)
{
	if (build_method && (str_starts(build_method, "python") || str_starts(build_method, "nodejs")))
		return build_method;
	return runtime;
}

void lamb_build_target_function(struct lamb_build_target *t, const struct lamb_function *f)
{
	lamb_build_target_init(t, method_runtime(f->build_method, f->runtime),
			       f->architectures.len ? f->architectures.v[0] : NULL);
}

static bool uses(const struct lamb_function *f, const struct lamb_layer *l)
{
	for (size_t i = 0; i < f->nlayers; i++)
		if (f->layers[i].layer == l)
			return true;
	return false;
}

/* The first user's runtime and architecture, for what the layer leaves unsaid. */
static const struct lamb_function *first_user(const struct lamb_model *m, const struct lamb_layer *l)
{
	for (size_t i = 0; i < m->nfunctions; i++)
		if (uses(&m->functions[i], l))
			return &m->functions[i];
	return NULL;
}

static void add_python(struct lamb_build_target *t, const char *rt)
{
	int n = rt && str_starts(rt, "python3.") ? atoi(rt + strlen("python3.")) : -1;
	bool known = n < 0;
	for (size_t j = 0; j < t->npythons && !known; j++)
		known = t->pythons[j] == n;
	if (!known && t->npythons < ARRAY_SIZE(t->pythons))
		t->pythons[t->npythons++] = n;
}

/* The distinct python3.N of the layer's CompatibleRuntimes, else of the
 * functions that use it, when two or more. */
static void layer_pythons(struct lamb_build_target *t, const struct lamb_model *m, const struct lamb_layer *l)
{
	for (size_t i = 0; i < l->compatible_runtimes.len; i++)
		add_python(t, l->compatible_runtimes.v[i]);
	for (size_t i = 0; !l->compatible_runtimes.len && i < m->nfunctions; i++)
		if (uses(&m->functions[i], l))
			add_python(t, m->functions[i].runtime);
	if (t->npythons < 2)
		t->npythons = 0;
}

int lamb_build_target_version_dir(const char *path)
{
	static const char head[] = "python/lib/python3.";
	if (!str_starts(path, head))
		return -1;
	const char *p = path + strlen(head);
	size_t digits = strspn(p, "0123456789");
	return digits && str_starts(p + digits, "/site-packages/") ? atoi(p) : -1;
}

void lamb_build_target_layer(struct lamb_build_target *t, const struct lamb_model *m, const struct lamb_layer *l)
{
	const struct lamb_function *u = first_user(m, l);
	const char *runtime = method_runtime(l->build_method, NULL);
	const char *arch = l->compatible_architectures.len == 1 ? l->compatible_architectures.v[0] : NULL;
	if (!runtime && u)
		runtime = u->runtime;
	if (!runtime && l->compatible_runtimes.len)
		runtime = l->compatible_runtimes.v[0];
	if (!arch && u && u->architectures.len)
		arch = u->architectures.v[0];
	if (!arch && l->compatible_architectures.len)
		arch = l->compatible_architectures.v[0];
	lamb_build_target_init(t, runtime, arch);
	layer_pythons(t, m, l);
}

const char *lamb_build_target_arch(const struct lamb_build_target *t)
{
	return t->arm64 ? "arm64" : "x86_64";
}

const char *lamb_build_target_machine(const struct lamb_build_target *t)
{
	return t->arm64 ? "aarch64" : "x86_64";
}

bool lamb_build_target_native(const struct lamb_build_target *t)
{
	struct utsname u;
	return uname(&u) == 0 && strcmp(u.machine, lamb_build_target_machine(t)) == 0;
}
