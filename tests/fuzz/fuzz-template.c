/* libFuzzer target for the template loader and resolver: the input is the
 * text of a template, given to lamb_model_parse as a file named fuzz.yaml
 * would be. A crash, a sanitizer report, a leak or an input that takes longer
 * than libFuzzer's -timeout is a finding; diagnostics about the template are
 * not, they are what bad input should produce. */
#include "diag.h"
#include "model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = lamb_model_parse("fuzz.yaml", "/nonexistent/lamb-fuzz", text, size,
						&opts, &diags);
	lamb_diags_sort(&diags);
	lamb_model_free(m);
	lamb_diags_release(&diags);
	free(text);
	return 0;
}
