/* libFuzzer target for the template loader and resolver, and lamb
 * validate's checks: the input is the text of a template, given to
 * lamb_model_parse as a file named fuzz.yaml would be, with
 * --parameter-overrides from its first line when that reads
 * "# overrides: ...", then checked against data/schemas.txt. A crash, a sanitizer report, a leak or an input that takes longer
 * than libFuzzer's -timeout is a finding; diagnostics about the template are
 * not, they are what bad input should produce. */
#include "template/diag.h"
#include "model/model.h"
#include "model/validate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A first line "# overrides: WORDS" (a YAML comment, so the template is
 * unchanged) gives --parameter-overrides, as the command line would. The
 * file:// form is left out: it would have the fuzzer read files. */
static void add_overrides(struct lamb_overrides *o, const char *text, size_t size)
{
	static const char tag[] = "# overrides: ";
	if (size < sizeof(tag) - 1 || memcmp(text, tag, sizeof(tag) - 1) != 0)
		return;
	const char *start = text + sizeof(tag) - 1;
	const char *end = memchr(start, '\n', size - (size_t)(start - text));
	size_t len = end ? (size_t)(end - start) : size - (size_t)(start - text);
	char *words = strndup(start, len);
	if (!words)
		return;
	struct lamb_err err;
	if (strlen(words) == len && !strstr(words, "file://"))
		lamb_overrides_add(o, words, &err); /* a malformed word is a usage error, not a finding */
	free(words);
}

/* The schemas, opened once for every input (NULL when they cannot be: the
 * checks that need none still run). */
static struct lamb_schemas *schemas(void)
{
	static struct lamb_schemas *s;
	static int tried;
	if (!tried) {
		struct lamb_err err;
		tried = 1;
		s = lamb_schemas_open(LAMB_SCHEMAS, &err);
	}
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, no terminating NUL: reading past len is a bug
	 * that ASan should see, not something the fuzzer's buffer hides. */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);

	/* Fixed pseudo parameters, so that a finding reproduces anywhere. */
	struct lamb_model_opts opts = {
		.region = "us-east-1",
		.account_id = "123456789012",
		.stack_name = "local",
	};
	struct lamb_overrides overrides;
	lamb_overrides_init(&overrides);
	add_overrides(&overrides, text, size);
	opts.overrides = &overrides;
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = lamb_model_parse("fuzz.yaml", "/nonexistent/lamb-fuzz", text, size,
						&opts, &diags);
	lamb_validate(m, schemas(), &diags);
	lamb_diags_sort(&diags);
	lamb_model_free(m);
	lamb_diags_release(&diags);
	lamb_overrides_release(&overrides);
	free(text);
	return 0;
}
