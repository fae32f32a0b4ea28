/* {{name}}: a Lambda function in C. The program is the bootstrap: it asks
 * the Runtime API for each event (lamb-runtime.c, copied from lamb) and
 * answers an API Gateway proxy response. Anything it writes on stderr goes
 * to the function's log. */
#include "lamb-runtime.h"

#include <stdio.h>
#include <string.h>

static const char response[] =
	"{\"statusCode\": 200, \"headers\": {\"Content-Type\": \"application/json\"}, "
	"\"body\": \"{\\\"message\\\": \\\"hello world\\\"}\"}";

int main(void)
{
	struct lamb_runtime rt;
	struct lamb_runtime_event ev;
	if (lamb_runtime_init(&rt) < 0) {
		fprintf(stderr, "AWS_LAMBDA_RUNTIME_API is not set: run me through lamb local invoke\n");
		return 1;
	}
	while (lamb_runtime_next(&rt, &ev) == 0) {
		fprintf(stderr, "request %s: %zu bytes of event\n", ev.request_id, ev.len);
		if (lamb_runtime_respond(&rt, ev.request_id, response, strlen(response)) < 0)
			break;
	}
	lamb_runtime_release(&rt);
	return 1;
}
