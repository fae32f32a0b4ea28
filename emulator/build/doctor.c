/* The doctor's walk: for each function, its built tree and its layers'
 * trees against the function's target; then each layer no function uses,
 * against its own. Only files that can be native code are opened (.so,
 * .so.N, .node, executables), and of those only the ones that start with
 * ELF's magic are parsed, so a no-op build of a large Python tree costs a
 * few opens. Libraries are found by file name anywhere in the artifact or
 * its layers: a lenient reading of Lambda's LD_LIBRARY_PATH and of the
 * RPATHs wheels use ($ORIGIN/../pkg.libs).
 *
 * The findings for a function (or a lone layer) are kept in
 * <build dir>/.doctor-<Id> under a key made of the manifest keys of the
 * trees checked, the target and the base image list: a no-op rebuild of a
 * numpy/scipy layer (2,000 files, 140 .so) replays them rather than
 * opening every .so again, which took 200 ms of a 100 ms budget. */
#include "base/hash.h"
#include "base/util.h"
#include "build/build-method.h"
#include "build/manifest.h"
#include "build/build-target.h"
#include "build/doctor.h"
#include "build/elf.h"
#include "build/tree.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct doctor {
	const struct lamb_model *m;
	const struct lamb_build_opts *o;
	char *build_dir;
	struct lamb_strlist base_sec, base_pat; /* the base image list: section and pattern, pairwise */
	struct lamb_strlist said;  /* lines already reported */
	size_t problems, checked;
	struct lamb_manifest manifest;
	uint64_t base_id;          /* the base image list's content */
};

/* One check: an artifact and its layers against one target. */
struct scope {
	const struct lamb_build_target *t;
	struct lamb_strlist provided; /* file names in the artifact and its layers */
	char *where;                  /* "x86_64" or "arm64 python3.12", for the lines */
	struct lamb_strlist found;    /* every line of this scope, for its cache */
	bool lone;                    /* a layer checked alone, against its own target */
};

static void push(struct lamb_strlist *l, char *s)
{
	l->v = xgrow(l->v, &l->cap, l->len + 1, sizeof(*l->v));
	l->v[l->len++] = s;
}

static bool has(const struct lamb_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->len; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

static void load_base(struct doctor *d)
{
	size_t len;
	cleanup_free char *text = d->o->base_libs ? lamb_read_file(d->o->base_libs, &len) : NULL;
	cleanup_free char *sec = xstrdup("all");
	d->base_id = text ? lamb_hash_bytes(text, len) : 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = 0;
		line += strspn(line, " \t");
		line[strcspn(line, " \t\r#")] = 0;
		if (!*line)
			continue;
		if (line[0] == '[') {
			free(sec);
			sec = xstrndup(line + 1, strcspn(line + 1, "]"));
			continue;
		}
		push(&d->base_sec, xstrdup(sec));
		push(&d->base_pat, xstrdup(line));
	}
}

/* Whether Lambda's base image for t has library name. */
static bool in_base(const struct doctor *d, const struct lamb_build_target *t, const char *name)
{
	for (size_t i = 0; i < d->base_pat.len; i++) {
		const char *s = d->base_sec.v[i];
		bool applies = strcmp(s, "all") == 0 || strcmp(s, t->image) == 0 ||
			       (strcmp(s, "python") == 0 && t->py_minor >= 0);
		if (applies && fnmatch(d->base_pat.v[i], name, 0) == 0)
			return true;
	}
	return false;
}

static void say_line(struct doctor *d, const char *line)
{
	if (has(&d->said, line))
		return;
	push(&d->said, xstrdup(line));
	d->problems++;
	if (d->o->problem)
		d->o->problem(line, d->o->data);
}

static void say(struct doctor *d, struct scope *s, const char *who, const char *file, const char *what)
{
	cleanup_free char *line = xasprintf("%s: '%s' %s", who, file, what);
	push(&s->found, xstrdup(line));
	if (has(&d->said, line))
		return;
	push(&d->said, xstrdup(line));
	d->problems++;
	if (d->o->problem)
		d->o->problem(line, d->o->data);
}

static bool may_be_native(const struct lamb_tree_entry *e)
{
	const char *base = strrchr(e->path, '/') ? strrchr(e->path, '/') + 1 : e->path;
	return S_ISREG(e->mode) && (str_ends(base, ".so") || strstr(base, ".so.") || str_ends(base, ".node") ||
				    (e->mode & 0111));
}

static bool starts_elf(const char *path)
{
	unsigned char magic[SELFMAG];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool r = fd >= 0 && read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
		 lamb_elf_magic(magic, sizeof(magic));
	if (fd >= 0)
		close(fd);
	return r;
}

static void check_machine(struct doctor *d, struct scope *s, const char *who, const char *file,
			  const struct lamb_elf *e)
{
	uint16_t want = s->t->arm64 ? EM_AARCH64 : EM_X86_64;
	if (e->machine == want && e->is64)
		return;
	char buf[32];
	const char *arch = lamb_build_target_arch(s->t);
	cleanup_free char *what = xasprintf("is built for %s%s; Lambda loads it on %s: rebuild it for %s (a Python "
					    "package: list it in requirements.txt, and lamb build fetches the %s "
					    "wheel; copy no native file in by hand)", lamb_elf_machine_name(e->machine, buf),
					    e->is64 ? "" : " (32-bit)", arch, arch, arch);
	say(d, s, who, file, what);
}

static void check_glibc(struct doctor *d, struct scope *s, const char *who, const char *file,
			const struct lamb_elf *e)
{
	if (e->glibc_minor <= s->t->glibc_minor)
		return;
	cleanup_free char *what = xasprintf("is built against glibc 2.%d (it needs GLIBC_2.%d); Lambda's %s has "
					    "glibc 2.%d: rebuild it with glibc 2.%d or older (a manylinux_2_%d wheel, "
					    "or a build on Amazon Linux %s)", e->glibc_minor, e->glibc_minor,
					    s->where, s->t->glibc_minor, s->t->glibc_minor, s->t->glibc_minor,
					    strcmp(s->t->image, "al2023") == 0 ? "2023" : "2");
	say(d, s, who, file, what);
}

/* name.cpython-3NN-ARCH-linux-gnu.so: NN against the runtime's. */
static void check_abi(struct doctor *d, struct scope *s, const char *who, const char *file)
{
	const char *p = strstr(file, ".cpython-3");
	if (!p || s->t->py_minor < 0)
		return;
	int minor = atoi(p + strlen(".cpython-3"));
	if (minor == s->t->py_minor)
		return;
	cleanup_free char *what = xasprintf("is an extension for CPython 3.%d; %s loads only cpython-3%d (and "
					    "abi3) extensions: reinstall its package for Python 3.%d (lamb build does, "
					    "from requirements.txt)", minor, s->where, s->t->py_minor, s->t->py_minor);
	say(d, s, who, file, what);
}

static void check_needed(struct doctor *d, struct scope *s, const char *who, const char *file,
			 const struct lamb_elf *e)
{
	if (!d->base_pat.len)
		return; /* no list: nothing to say that would not be a guess */
	for (size_t i = 0; i < e->nneeded; i++) {
		if (has(&s->provided, e->needed[i]) || in_base(d, s->t, e->needed[i]))
			continue;
		cleanup_free char *what = xasprintf("needs '%s', which neither the artifact, its layers, nor Lambda's "
						    "%s base image (%s) has: put it in the artifact or a layer "
						    "(under lib/), or link it statically", e->needed[i],
						    s->t->runtime ? s->t->runtime : "provided", s->t->image);
		say(d, s, who, file, what);
	}
}

static void check_elf(struct doctor *d, struct scope *s, const char *who, const struct lamb_tree_entry *te);

/* A layer's python/lib/python3.N/site-packages is on sys.path for
 * python3.N alone: skipped for a function of another version, checked
 * against python3.N (its glibc, its ABI) when the layer is checked alone. */
static void check_file(struct doctor *d, struct scope *s, const char *who, const struct lamb_tree_entry *te)
{
	if (!may_be_native(te) || !starts_elf(te->src))
		return;
	int minor = lamb_build_target_version_dir(te->path);
	if (minor < 0 || s->t->py_minor < 0 || minor == s->t->py_minor) {
		check_elf(d, s, who, te);
		return;
	}
	if (!s->lone)
		return;
	char runtime[24];
	snprintf(runtime, sizeof(runtime), "python3.%d", minor);
	struct lamb_build_target t;
	lamb_build_target_init(&t, runtime, lamb_build_target_arch(s->t));
	const struct lamb_build_target *saved = s->t;
	char *saved_where = s->where;
	s->t = &t;
	s->where = xasprintf("%s on %s", runtime, lamb_build_target_arch(&t));
	check_elf(d, s, who, te);
	free(s->where);
	s->t = saved;
	s->where = saved_where;
}

static void check_elf(struct doctor *d, struct scope *s, const char *who, const struct lamb_tree_entry *te)
{
	struct lamb_elf e;
	struct lamb_err err;
	if (lamb_elf_read(te->src, &e, &err) < 0) {
		cleanup_free char *what = xasprintf("is not an ELF file Lambda can load (%s): rebuild it", err.msg);
		say(d, s, who, te->path, what);
	} else {
		check_machine(d, s, who, te->path, &e);
		check_glibc(d, s, who, te->path, &e);
		check_abi(d, s, who, te->path);
		check_needed(d, s, who, te->path, &e);
	}
	lamb_elf_release(&e);
}

static int scan(const char *dir, struct lamb_tree *t, struct lamb_err *err)
{
	struct lamb_tree_filter f = { .no_follow = true };
	lamb_tree_init(t);
	return lamb_tree_scan(t, dir, &f, err);
}

static void add_names(struct scope *s, const struct lamb_tree *t)
{
	for (size_t i = 0; i < t->len; i++) {
		const char *p = t->v[i].path, *base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
		if (!S_ISDIR(t->v[i].mode) && !has(&s->provided, base))
			push(&s->provided, xstrdup(base));
	}
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The cache key of checking ids[0..n) in s: "" when a tree has no manifest entry. */
static void cache_key(const struct doctor *d, const struct scope *s, const char *const *ids, size_t n,
		      char key[17])
{
	struct lamb_hash h;
	lamb_hash_init(&h);
	lamb_hash_str(&h, "lamb-doctor-1");
	lamb_hash_str(&h, s->where);
	lamb_hash_u64(&h, d->base_id);
	key[0] = 0;
	for (size_t i = 0; i < n; i++) {
		const struct lamb_manifest_entry *e = lamb_manifest_get(&d->manifest, ids[i]);
		if (!e)
			return;
		lamb_hash_str(&h, ids[i]);
		lamb_hash_str(&h, e->key);
	}
	lamb_hash_hex(lamb_hash_final(&h), key);
}

/* The findings kept for key in path, said again; false when there are none for it. */
static bool replay(struct doctor *d, const char *path, const char *key)
{
	size_t len;
	cleanup_free char *text = key[0] ? lamb_read_file(path, &len) : NULL;
	if (!text || strncmp(text, key, 16) != 0 || text[16] != '\n')
		return false;
	for (char *line = text + 17, *next; *line; line = next) {
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = 0;
		if (*line)
			say_line(d, line);
	}
	return true;
}

static void keep(const char *path, const char *key, const struct lamb_strlist *found)
{
	if (!key[0])
		return;
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_buf_addf(&b, "%s\n", key);
	for (size_t i = 0; i < found->len; i++)
		lamb_buf_addf(&b, "%s\n", found->v[i]);
	cleanup_free char *tmp = xasprintf("%s.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	bool ok = f && fwrite(b.data, 1, b.len, f) == b.len;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0)
		unlink(tmp); /* only a cache */
	lamb_buf_release(&b);
}

/* The built trees of ids[0..n) checked in scope s; ids[0] is the artifact, the rest its layers. */
static int check_trees(struct doctor *d, struct scope *s, const char *const *ids, const char *const *whos,
		       size_t n, struct lamb_err *err)
{
	char key[17];
	cache_key(d, s, ids, n, key);
	cleanup_free char *cache = xasprintf("%s/.doctor-%s", d->build_dir, ids[0]);
	if (!d->o->doctor_reads_all && replay(d, cache, key))
		return 0;
	struct lamb_tree *trees = xcalloc(n, sizeof(*trees));
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *dir = xasprintf("%s/%s", d->build_dir, ids[i]);
		lamb_tree_init(&trees[i]);
		if (r == 0 && is_dir(dir) && (r = scan(dir, &trees[i], err)) == 0)
			add_names(s, &trees[i]);
	}
	for (size_t i = 0; r == 0 && i < n; i++)
		for (size_t j = 0; j < trees[i].len; j++)
			check_file(d, s, whos[i], &trees[i].v[j]);
	for (size_t i = 0; i < n; i++)
		lamb_tree_release(&trees[i]);
	free(trees);
	if (r == 0)
		keep(cache, key, &s->found);
	return r;
}

static void scope_init(struct scope *s, const struct lamb_build_target *t)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	if (t->runtime)
		s->where = xasprintf("%s on %s", t->runtime, lamb_build_target_arch(t));
	else
		s->where = xasprintf("%s", lamb_build_target_arch(t));
}

static void scope_release(struct scope *s)
{
	lamb_strlist_release(&s->provided);
	lamb_strlist_release(&s->found);
	free(s->where);
}

static int check_function(struct doctor *d, const struct lamb_function *f, struct lamb_err *err)
{
	cleanup_free char *dir = xasprintf("%s/%s", d->build_dir, f->logical_id);
	if (f->code_kind != LAMB_CODE_LOCAL || strcmp(f->package_type, "Zip") != 0 || !is_dir(dir))
		return 0;
	struct lamb_build_target t;
	lamb_build_target_function(&t, f);
	struct scope s;
	scope_init(&s, &t);
	const char *ids[LAMB_BUILD_MAX_LAYERS + 16];
	char *whos[LAMB_BUILD_MAX_LAYERS + 16];
	size_t n = 0;
	ids[n] = f->logical_id;
	whos[n++] = xasprintf("function '%s'", f->logical_id);
	for (size_t i = 0; i < f->nlayers && n < ARRAY_SIZE(ids); i++) {
		const struct lamb_layer *l = f->layers[i].layer;
		if (!l || l->code_kind != LAMB_CODE_LOCAL)
			continue;
		ids[n] = l->logical_id;
		whos[n++] = xasprintf("layer '%s' (for %s)", l->logical_id, s.where);
	}
	int r = check_trees(d, &s, ids, (const char *const *)whos, n, err);
	for (size_t i = 0; i < n; i++)
		free(whos[i]);
	scope_release(&s);
	d->checked++;
	return r;
}

static bool used(const struct lamb_model *m, const struct lamb_layer *l)
{
	for (size_t i = 0; i < m->nfunctions; i++)
		for (size_t j = 0; j < m->functions[i].nlayers; j++)
			if (m->functions[i].layers[j].layer == l)
				return true;
	return false;
}

static int check_layer(struct doctor *d, const struct lamb_layer *l, struct lamb_err *err)
{
	cleanup_free char *dir = xasprintf("%s/%s", d->build_dir, l->logical_id);
	if (l->code_kind != LAMB_CODE_LOCAL || !is_dir(dir))
		return 0;
	struct lamb_build_target t;
	lamb_build_target_layer(&t, d->m, l);
	struct scope s;
	scope_init(&s, &t);
	s.lone = true;
	cleanup_free char *who = xasprintf("layer '%s' (for %s)", l->logical_id, s.where);
	const char *ids[] = { l->logical_id }, *whos[] = { who };
	int r = check_trees(d, &s, ids, whos, 1, err);
	scope_release(&s);
	d->checked++;
	return r;
}

static int check_all(struct doctor *d, struct lamb_err *err)
{
	const char *only = d->o->only;
	for (size_t i = 0; i < d->m->nfunctions; i++)
		if ((!only || strcmp(only, d->m->functions[i].logical_id) == 0) &&
		    check_function(d, &d->m->functions[i], err) < 0)
			return -1;
	for (size_t i = 0; i < d->m->nlayers; i++) {
		const struct lamb_layer *l = &d->m->layers[i];
		bool chosen = only ? strcmp(only, l->logical_id) == 0 : !used(d->m, l);
		if (chosen && check_layer(d, l, err) < 0)
			return -1;
	}
	return 0;
}

int lamb_doctor_check(const struct lamb_model *m, const struct lamb_build_opts *o, size_t *problems,
		      size_t *checked, struct lamb_err *err)
{
	struct doctor d = { .m = m, .o = o, .build_dir = lamb_build_dir(m, o) };
	load_base(&d);
	lamb_manifest_init(&d.manifest);
	cleanup_free char *manifest = xasprintf("%s/manifest.json", d.build_dir);
	if (lamb_manifest_load(&d.manifest, manifest, NULL) < 0)
		lamb_manifest_release(&d.manifest), lamb_manifest_init(&d.manifest); /* no cache then */
	int r = check_all(&d, err);
	*problems = d.problems;
	*checked = d.checked;
	free(d.build_dir);
	lamb_strlist_release(&d.base_sec);
	lamb_strlist_release(&d.base_pat);
	lamb_strlist_release(&d.said);
	lamb_manifest_release(&d.manifest);
	return r;
}
