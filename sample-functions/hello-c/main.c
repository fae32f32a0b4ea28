/* hello-c: a custom-runtime function in C. The bootstrap is the function:
 * it loops on the Runtime API through lamb's small C client and greets the
 * "name" of each event. */
#include "lamb-runtime.h"

#include <stdio.h>
#include <string.h>

/* The string value of "name" in a flat JSON event, or "world". */
static void name_of(const char *event, char *out, size_t n)
{
	const char *p = strstr(event, "\"name\"");
	snprintf(out, n, "world");
	if (!p || !(p = strchr(p + 6, ':')) || !(p = strchr(p, '"')))
		return;
	p++;
	size_t i = 0;
	while (p[i] && p[i] != '"' && p[i] != '\\' && i + 1 < n) {
		out[i] = p[i];
		i++;
	}
	out[i] = '\0';
}

int main(void)
{
	struct lamb_runtime rt;
	struct lamb_runtime_event ev;
	if (lamb_runtime_init(&rt) < 0) {
		fprintf(stderr, "hello-c: AWS_LAMBDA_RUNTIME_API is not set\n");
		return 1;
	}
	/* the answer and the request for the next event go out together */
	int more = lamb_runtime_next(&rt, &ev) == 0;
	while (more) {
		char name[128], body[256];
		name_of(ev.body, name, sizeof(name));
		int n = snprintf(body, sizeof(body), "{\"message\":\"hello, %s\",\"from\":\"C\"}", name);
		fprintf(stderr, "greeting %s\n", name);
		more = lamb_runtime_respond_next(&rt, ev.request_id, body, (size_t)n, &ev) >= 0;
	}
	lamb_runtime_release(&rt);
	return 0;
}
