/* build/tree.c's copies on real files: a build's copy sets modes exactly and
 * replaces what is there; the _with options (what lamb init uses) leave an
 * existing file alone, obey the umask and pass content through an edit. */
#include "unit.h"

#include "build/tree.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static char *at(const char *dir, const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void put(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *path = at(dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	free(path);
}

static mode_t mode_of(const char *dir, const char *name)
{
	char *path = at(dir, name);
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	free(path);
	return st.st_mode;
}

static char *text_of(const char *dir, const char *name)
{
	char *path = at(dir, name);
	char *text = lamb_read_file(path, NULL);
	assert_non_null(text);
	free(path);
	return text;
}

/* src: sub/ with run.sh (executable), note.txt and a link to it; empty. */
static void make_src(char *root, char **src, char **dest)
{
	assert_non_null(mkdtemp(root));
	*src = at(root, "src");
	*dest = at(root, "dest");
	assert_int_equal(mkdir(*src, 0755), 0);
	assert_int_equal(mkdir(*dest, 0755), 0);
	char *sub = at(*src, "sub");
	assert_int_equal(mkdir(sub, 0755), 0);
	free(sub);
	put(*src, "sub/run.sh", "echo {{name}}\n", 0755);
	put(*src, "note.txt", "{{name}} and {{name}}, not {{other}}\n", 0600);
	put(*src, "empty", "", 0644);
	char *link = at(*src, "sub/note");
	assert_int_equal(symlink("../note.txt", link), 0);
	free(link);
}

static void upper_name(const char *text, size_t len, struct lamb_buf *out, void *data)
{
	const char *with = data;
	for (const char *p = text; p < text + len;) {
		if (strncmp(p, "{{name}}", 8) == 0) {
			lamb_buf_addstr(out, with);
			p += 8;
		} else {
			lamb_buf_addch(out, *p++);
		}
	}
}

static void test_build_copy_sets_modes_and_replaces(void **state)
{
	(void)state;
	char root[] = "/tmp/lamb-unit-tree-XXXXXX";
	char *src, *dest;
	make_src(root, &src, &dest);
	struct lamb_tree t;
	lamb_tree_init(&t);
	struct lamb_err err;
	assert_int_equal(lamb_tree_scan(&t, src, NULL, &err), 0);
	put(dest, "note.txt", "was here, longer than the new one\n", 0600);
	mode_t old = umask(077);
	int r = lamb_tree_copy(&t, dest, &err);
	umask(old);
	if (r < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(mode_of(dest, "sub/run.sh"), S_IFREG | 0755);
	assert_int_equal(mode_of(dest, "note.txt"), S_IFREG | 0644);
	assert_true(S_ISLNK(mode_of(dest, "sub/note")));
	char *text = text_of(dest, "note.txt");
	assert_string_equal(text, "{{name}} and {{name}}, not {{other}}\n");
	free(text);
	lamb_tree_release(&t);
	assert_int_equal(lamb_tree_remove(root, &err), 0);
	free(src);
	free(dest);
}

static void test_new_files_edited_under_umask_never_replaced(void **state)
{
	(void)state;
	char root[] = "/tmp/lamb-unit-tree-XXXXXX";
	char *src, *dest;
	make_src(root, &src, &dest);
	struct lamb_tree t;
	lamb_tree_init(&t);
	struct lamb_err err;
	assert_int_equal(lamb_tree_scan(&t, src, NULL, &err), 0);
	struct lamb_tree_copy_opts o = { .no_clobber = true, .umask = true, .edit = upper_name, .data = "app" };
	mode_t old = umask(027);
	int r = lamb_tree_copy_with(&t, dest, &o, &err);
	umask(old);
	if (r < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(mode_of(dest, "sub/run.sh"), S_IFREG | 0750);
	assert_int_equal(mode_of(dest, "note.txt"), S_IFREG | 0640);
	char *text = text_of(dest, "note.txt");
	assert_string_equal(text, "app and app, not {{other}}\n");
	free(text);
	text = text_of(dest, "sub/note"); /* the link, kept, to the edited copy */
	assert_string_equal(text, "app and app, not {{other}}\n");
	free(text);
	text = text_of(dest, "empty");
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(lamb_tree_copy_with(&t, dest, &o, &err), -1);
	char *want = at(dest, "empty");
	char msg[600];
	snprintf(msg, sizeof(msg), "cannot create '%s': File exists", want);
	assert_string_equal(err.msg, msg);
	free(want);
	lamb_tree_release(&t);
	assert_int_equal(lamb_tree_remove(root, &err), 0);
	free(src);
	free(dest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_copy_sets_modes_and_replaces),
		cmocka_unit_test(test_new_files_edited_under_umask_never_replaced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
