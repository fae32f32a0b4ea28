/* libFuzzer target for the XML reader of AWS's answers (aws/xml.c over
 * libxml2): the input is an answer body. A crash, a sanitizer report, a
 * leak or a slow input is a finding; a parse error is what bad input should
 * give. A parsed tree is walked the way the callers walk it. */
#include "aws/xml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const struct lamb_xml *x, int depth)
{
	size_t n = 0;
	for (; x; x = x->next) {
		n += strlen(x->name) + strlen(x->text);
		n += walk(x->first_child, depth + 1);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: reading past len is a bug ASan should see */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	struct lamb_err err;
	struct lamb_xml *x = lamb_xml_parse(text, size, &err);
	if (x) {
		volatile size_t n = walk(x, 0);
		(void)n;
		const struct lamb_xml *m = lamb_xml_find(x, "DescribeStacksResult/Stacks/member");
		for (; m; m = lamb_xml_next(m))
			(void)lamb_xml_text(m, "StackStatus");
		(void)lamb_xml_text(x, "Error/Code");
	}
	lamb_xml_free(x);
	free(text);
	return 0;
}
