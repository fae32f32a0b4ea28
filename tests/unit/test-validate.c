/* lamb validate's module: "did you mean", the schema file's reader (index,
 * blocks parsed on first use), and the checks against a schema written here. */
#include "unit.h"

#include "model/validate.h"

#include <stdio.h>
#include <unistd.h>

static const char *const props[] = { "MemorySize", "Timeout", "Handler", "Runtime" };

static void suggest_typo_transposition_case(void **state)
{
	(void)state;
	assert_string_equal(lamb_validate_suggest("MemorySise", props, 4), "MemorySize");
	assert_string_equal(lamb_validate_suggest("Tiemout", props, 4), "Timeout");
	assert_string_equal(lamb_validate_suggest("handler", props, 4), "Handler");
	assert_string_equal(lamb_validate_suggest("RUNTIME", props, 4), "Runtime");
	assert_null(lamb_validate_suggest("Bogus", props, 4));
	assert_null(lamb_validate_suggest("Runtime", props, 4)); /* itself is no suggestion */
}

static const char block1[] = "=AWS::Test::Other\n"
			     "a *\n"
			     "s 0 open\n";
static const char block2[] = "=AWS::Test::Thing\n"
			     "a Arn Outputs.*\n"
			     "E 0 Fast|Slow\n"
			     "s 0\n"
			     "p Name s r\n"
			     "p Mode s=0\n"
			     "p Count i\n"
			     "p Items [o1]\n"
			     "s 1\n"
			     "p Key s r\n";

static char *write_schemas(void)
{
	static char path[64];
	strcpy(path, "/tmp/lamb-test-schemas-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "# lamb resource schemas\n# source: a test\n@ AWS::Test::Other 0\n@ AWS::Test::Thing %zu\n@@\n%s%s",
		strlen(block1), block1, block2);
	fclose(f);
	return path;
}

static void schema_file_is_read_lazily(void **state)
{
	(void)state;
	char *path = write_schemas();
	struct lamb_err err;
	struct lamb_schemas *s = lamb_schemas_open(path, &err);
	assert_non_null(s);
	assert_string_equal(lamb_schemas_source(s), "source: a test");
	size_t n;
	const char *const *names = lamb_schemas_names(s, &n);
	assert_int_equal(n, 2);
	assert_string_equal(names[1], "AWS::Test::Thing");
	const struct lamb_vs_type *t = lamb_schemas_type(s, "AWS::Test::Thing");
	assert_non_null(t);
	assert_int_equal(t->nshapes, 2);
	assert_int_equal(t->shapes[0].nprops, 4);
	assert_string_equal(t->shapes[0].props[1].spec, "s=0");
	assert_true(t->shapes[0].props[0].required);
	assert_int_equal(t->nattrs, 2);
	assert_string_equal(t->enums[0], "Fast|Slow");
	assert_ptr_equal(lamb_schemas_type(s, "AWS::Test::Thing"), t); /* parsed once */
	assert_true(lamb_schemas_type(s, "AWS::Test::Other")->shapes[0].open);
	assert_null(lamb_schemas_type(s, "AWS::Test::Nothing"));
	lamb_schemas_close(s);
	unlink(path);
	assert_null(lamb_schemas_open("/nonexistent/schemas.txt", &err));
	assert_non_null(strstr(err.msg, "cannot read schemas '/nonexistent/schemas.txt'"));
}

static void checks_against_the_schema(void **state)
{
	(void)state;
	char *path = write_schemas();
	struct lamb_err err;
	struct lamb_schemas *s = lamb_schemas_open(path, &err);
	struct loaded *l = load(HEADER "Resources:\n"
				"  T:\n"
				"    Type: AWS::Test::Thing\n"
				"    Properties:\n"
				"      Nmae: x\n"
				"      Mode: fast\n"
				"      Count: !Ref AWS::AccountId\n"
				"      Items: [{Key: a}, {Kye: b}]\n"
				"  U:\n"
				"    Type: AWS::Test::Thingy\n"
				"Outputs:\n"
				"  A: {Value: !GetAtt T.Outputs.X}\n"
				"  B: {Value: !GetAtt T.Arm}\n");
	lamb_validate(l->m, s, &l->diags);
	assert_true(has_diag(l, LAMB_ERROR, 0, "unknown property 'Nmae' in resource 'T' (AWS::Test::Thing); "
					    "did you mean `Name`?"));
	assert_true(has_diag(l, LAMB_ERROR, 0, "is missing required property 'Name'"));
	assert_true(has_diag(l, LAMB_ERROR, 0, "'fast' is not an allowed value of 'Mode' (one of Fast, Slow); "
					    "did you mean `Fast`?"));
	assert_true(has_diag(l, LAMB_ERROR, 0, "unknown property 'Kye' in an item of 'Items'"));
	assert_true(has_diag(l, LAMB_ERROR, 0, "an item of 'Items' is missing required property 'Key'"));
	assert_true(has_diag(l, LAMB_ERROR, 0, "unknown resource type 'AWS::Test::Thingy'; "
					    "did you mean `AWS::Test::Thing`?"));
	assert_true(has_diag(l, LAMB_ERROR, 0, "T has no attribute 'Arm' (AWS::Test::Thing); did you mean `Arn`?"));
	assert_false(has_diag(l, LAMB_ERROR, 0, "Outputs.X"));
	assert_false(has_diag(l, LAMB_ERROR, 0, "Count"));
	unload(l);
	lamb_schemas_close(s);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(suggest_typo_transposition_case),
		cmocka_unit_test(schema_file_is_read_lazily),
		cmocka_unit_test(checks_against_the_schema),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
