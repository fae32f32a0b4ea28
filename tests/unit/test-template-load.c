/* The loader: marks, short tags turned into long forms, aliases, scalars
 * kept as written, and parse errors with libyaml's position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "template/template.h"

struct fixture {
	struct lamb_arena *arena;
	struct lamb_diags diags;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->arena = lamb_arena_new();
	lamb_diags_init(&f->diags);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	lamb_diags_release(&f->diags);
	lamb_arena_free(f->arena);
	free(f);
	return 0;
}

static struct lamb_node *parse(struct fixture *f, const char *text)
{
	return lamb_template_parse(f->arena, "t.yaml", text, strlen(text), &f->diags);
}

static void test_marks(void **state)
{
	struct fixture *f = *state;
	struct lamb_node *root = parse(f, "Resources:\n  Fn:\n    Type: X\n");
	assert_non_null(root);
	struct lamb_node *fn = lamb_node_get(lamb_node_get(root, "Resources"), "Fn");
	assert_non_null(fn);
	struct lamb_node *type = lamb_node_get(fn, "Type");
	assert_string_equal(type->str, "X");
	assert_int_equal(type->mark.line, 3);
	assert_int_equal(type->mark.col, 11);
	assert_string_equal(type->mark.file, "t.yaml");
}

static void test_short_tags(void **state)
{
	struct fixture *f = *state;
	struct lamb_node *root = parse(f, "a: !Ref P\n"
					  "b: !GetAtt Fn.Arn\n"
					  "c: !Sub '${AWS::Region}'\n"
					  "d: !If [C, x, y]\n"
					  "e: !GetAtt [Fn, Arn]\n");
	assert_int_equal(f->diags.len, 0);
	struct lamb_node *a = lamb_node_get(root, "a");
	assert_string_equal(lamb_node_intrinsic(a), "Ref");
	assert_string_equal(lamb_node_get(a, "Ref")->str, "P");
	struct lamb_node *b = lamb_node_get(lamb_node_get(root, "b"), "Fn::GetAtt");
	assert_int_equal(b->kind, LAMB_SEQ);
	assert_string_equal(b->items[0]->str, "Fn");
	assert_string_equal(b->items[1]->str, "Arn");
	assert_string_equal(lamb_node_intrinsic(lamb_node_get(root, "c")), "Fn::Sub");
	struct lamb_node *d = lamb_node_get(lamb_node_get(root, "d"), "Fn::If");
	assert_int_equal(d->len, 3);
	struct lamb_node *e = lamb_node_get(lamb_node_get(root, "e"), "Fn::GetAtt");
	assert_int_equal(e->len, 2);
}

static void test_scalars_stay_strings(void **state)
{
	struct fixture *f = *state;
	struct lamb_node *root = parse(f, "v: 2010-09-09\nb: yes\nq: 'true'\nn: 012\n");
	assert_string_equal(lamb_node_get(root, "v")->str, "2010-09-09");
	assert_string_equal(lamb_node_get(root, "b")->str, "yes");
	assert_true(lamb_node_get(root, "q")->quoted);
	assert_false(lamb_node_get(root, "b")->quoted);
	assert_string_equal(lamb_node_get(root, "n")->str, "012");
}

static void test_aliases(void **state)
{
	struct fixture *f = *state;
	struct lamb_node *root = parse(f, "a: &x {k: v}\nb: *x\nc: &s [*s]\n");
	assert_non_null(root);
	assert_ptr_equal(lamb_node_get(root, "a"), lamb_node_get(root, "b"));
	struct lamb_node *c = lamb_node_get(root, "c");
	assert_int_equal(c->kind, LAMB_SEQ);
	/* the self-alias is refused, so the tree stays a tree */
	assert_int_equal(c->items[0]->kind, LAMB_SCALAR);
	assert_int_equal(f->diags.errors, 1);
	assert_int_equal(f->diags.v[0].line, 3);
	assert_non_null(strstr(f->diags.v[0].msg, "cycle"));
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	assert_null(parse(f, "a: [1, 2\nb: c\n"));
	assert_int_equal(f->diags.errors, 1);
	assert_string_equal(f->diags.v[0].file, "t.yaml");
	assert_true(f->diags.v[0].line >= 2);
	assert_non_null(strstr(f->diags.v[0].msg, "invalid YAML"));
}

static void test_duplicate_and_unknown_tag(void **state)
{
	struct fixture *f = *state;
	struct lamb_node *root = parse(f, "a: 1\nb: !Bogus x\na: 2\n");
	assert_non_null(root);
	assert_int_equal(f->diags.errors, 2);
	assert_int_equal(f->diags.v[0].line, 2);
	assert_non_null(strstr(f->diags.v[0].msg, "unknown tag '!Bogus'"));
	assert_int_equal(f->diags.v[1].line, 3);
	assert_non_null(strstr(f->diags.v[1].msg, "duplicate key 'a'"));
}

static void test_json(void **state)
{
	struct fixture *f = *state;
	struct lamb_node *root = parse(f, "{\"Resources\": {\"F\": {\"Type\": \"AWS::Serverless::Function\","
					  " \"Properties\": {\"Timeout\": 5, \"X\": {\"Ref\": \"P\"}}}}}");
	assert_non_null(root);
	struct lamb_node *p = lamb_node_get(lamb_node_get(lamb_node_get(root, "Resources"), "F"), "Properties");
	assert_string_equal(lamb_node_get(p, "Timeout")->str, "5");
	assert_string_equal(lamb_node_intrinsic(lamb_node_get(p, "X")), "Ref");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scalars_stay_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aliases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_and_unknown_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
