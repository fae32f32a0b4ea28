/* libFuzzer target for the samconfig TOML reader (base/toml.c): the input
 * is a samconfig.toml. A crash, a sanitizer report, a leak or a slow input
 * is a finding; an error naming a line is what bad input should give. A
 * parsed tree is printed back, which walks every node. */
#include "base/toml.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: reading past len is a bug ASan should see */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	struct lamb_err err;
	cJSON *t = lamb_toml_parse(text, size, "fuzz.toml", &err);
	if (t) {
		char *s = cJSON_PrintUnformatted(t);
		free(s);
		cJSON_Delete(t);
	} else if (strncmp(err.msg, "fuzz.toml:", 10) != 0) {
		abort(); /* every error names the file and the line */
	}
	free(text);
	return 0;
}
