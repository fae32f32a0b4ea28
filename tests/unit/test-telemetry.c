/* The Telemetry API's subscriptions (engine/telemetry.h): what a subscribe
 * request may say, and delivery to a listener of the test's own on lamb's
 * loop: a batch POSTed as a JSON array, and, when the listener sits on a
 * batch while records keep coming, a queue bounded at twice a batch whose
 * overflow the next batch reports first as platform.logsDropped. */
#include "unit.h"
#include "base/loop.h"
#include "base/util.h"
#include "engine/telemetry.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static int refused(const char *body, const char *says)
{
	struct lamb_err err;
	struct lamb_loop *loop = lamb_loop_new(&err);
	struct lamb_telemetry *t = lamb_telemetry_new(loop);
	char msg[256] = "";
	int rc = lamb_telemetry_subscribe(t, "ext", body, strlen(body), msg, sizeof(msg));
	if (rc == 0 || !strstr(msg, says))
		fprintf(stderr, "subscribe %s: rc %d, '%s' (wanted '%s')\n", body, rc, msg, says);
	lamb_telemetry_free(t);
	lamb_loop_free(loop);
	return rc < 0 && strstr(msg, says) != NULL;
}

#define SUB(types, uri, buffering)                                                                 \
	"{\"schemaVersion\":\"2022-07-01\",\"types\":" types ",\"destination\":{\"protocol\":\"HTTP\"," \
	"\"URI\":\"" uri "\"}" buffering "}"

static void test_validation(void **state)
{
	(void)state;
	assert_true(refused("[]", "not a JSON object"));
	assert_true(refused("{\"schemaVersion\":\"2020-08-15\"}", "schemaVersion"));
	assert_true(refused("{\"schemaVersion\":\"2022-07-01\",\"types\":[\"platform\"],\"destination\":"
			    "{\"protocol\":\"TCP\",\"URI\":\"sandbox.localdomain:4243\"}}", "HTTP"));
	assert_true(refused(SUB("[\"platform\"]", "http://example.com:8080", ""), "sandbox.localdomain"));
	assert_true(refused(SUB("[\"platform\"]", "http://sandbox.localdomain", ""), "port"));
	assert_true(refused(SUB("[\"platform\"]", "http://sandbox.localdomain:9001", ""), "port"));
	assert_true(refused(SUB("[]", "http://sandbox.localdomain:8080", ""), "types should not be empty"));
	assert_true(refused(SUB("[\"logs\"]", "http://sandbox.localdomain:8080", ""), "'logs'"));
	assert_true(refused(SUB("[\"function\"]", "http://sandbox.localdomain:8080", ",\"buffering\":{\"maxItems\":10}"),
			    "buffering.maxItems"));
	assert_true(refused(SUB("[\"function\"]", "http://127.0.0.1:8080", ",\"buffering\":{\"timeoutMs\":5}"),
			    "buffering.timeoutMs"));
}

/* A listener on 127.0.0.1; its port in *port. */
static int listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Turns the loop until a POST comes to lfd; its whole body, the
 * connection in *conn. */
static char *next_post(struct lamb_loop *loop, int lfd, int *conn)
{
	struct lamb_err err;
	struct lamb_buf in;
	lamb_buf_init(&in);
	*conn = -1;
	for (int turns = 0; turns < 2000; turns++) {
		lamb_loop_run_once(loop, 5, &err);
		struct pollfd p = { .fd = *conn < 0 ? lfd : *conn, .events = POLLIN };
		if (poll(&p, 1, 0) != 1)
			continue;
		if (*conn < 0) {
			*conn = accept(lfd, NULL, NULL);
			continue;
		}
		char buf[65536];
		ssize_t n = recv(*conn, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		lamb_buf_add(&in, buf, (size_t)n);
		lamb_buf_addch(&in, '\0');
		in.len--;
		const char *body = strstr(in.data, "\r\n\r\n");
		const char *cl = strstr(in.data, "Content-Length: ");
		if (body && cl && in.len - (size_t)(body + 4 - in.data) >= strtoul(cl + 16, NULL, 10)) {
			char *out = xstrdup(body + 4);
			lamb_buf_release(&in);
			return out;
		}
	}
	lamb_buf_release(&in);
	fail_msg("no POST came");
	return NULL;
}

static void answer(int conn)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(send(conn, ok, sizeof(ok) - 1, 0), (ssize_t)sizeof(ok) - 1);
	close(conn);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;
	for (; (s = strstr(s, what)); s++)
		n++;
	return n;
}

static void test_batches_and_drops(void **state)
{
	(void)state;
	struct lamb_err err;
	struct lamb_loop *loop = lamb_loop_new(&err);
	struct lamb_telemetry *t = lamb_telemetry_new(loop);
	int port, conn;
	int lfd = listener(&port);
	char sub[512], msg[256];
	snprintf(sub, sizeof(sub), SUB("[\"function\"]", "http://sandbox.localdomain:%d/in",
				       ",\"buffering\":{\"maxItems\":1000,\"maxBytes\":1048576,\"timeoutMs\":25}"), port);
	lamb_telemetry_add(t, LAMB_TELE_FUNCTION, "function", "\"before the subscription\"");
	assert_int_equal(lamb_telemetry_subscribe(t, "ext", sub, strlen(sub), msg, sizeof(msg)), 0);
	/* the first batch: what came before it subscribed, within timeoutMs */
	char *body = next_post(loop, lfd, &conn);
	assert_true(body[0] == '[' && strstr(body, "\"type\":\"function\",\"record\":\"before the subscription\"}]"));
	free(body);
	answer(conn);
	/* a full batch goes at once, and the listener sits on it */
	for (int i = 0; i < 1000; i++)
		lamb_telemetry_add(t, LAMB_TELE_FUNCTION, "function", "\"line\"");
	body = next_post(loop, lfd, &conn);
	assert_int_equal(count(body, "\"type\":\"function\""), 1000);
	free(body);
	/* meanwhile the queue fills to twice a batch: 50 of these are dropped */
	for (int i = 0; i < 1050; i++)
		lamb_telemetry_add(t, LAMB_TELE_FUNCTION, "function", "\"more\"");
	answer(conn);
	body = next_post(loop, lfd, &conn);
	assert_non_null(strstr(body, "\"type\":\"platform.logsDropped\",\"record\":{\"droppedBytes\":"));
	assert_non_null(strstr(body, "\"droppedRecords\":50,"));
	assert_int_equal(count(body, "\"record\":\"more\""), 1000);
	free(body);
	answer(conn);
	close(lfd);
	lamb_telemetry_free(t);
	lamb_loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_batches_and_drops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
