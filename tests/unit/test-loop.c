/* The event loop: deadlines fire in order and can be moved or cancelled,
 * deferred calls run after the batch, fd watches see data, SIGCHLD arrives
 * through the signalfd, a batched log is written when the loop would wait,
 * the spin before a wait stops when nothing comes. No sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "base/loop.h"

static char order[16];
static size_t norder;

static void mark(void *data)
{
	order[norder++] = *(char *)data;
}

static void test_timers_in_order(void **state)
{
	(void)state;
	struct lamb_loop *l = lamb_loop_new(NULL);
	struct lamb_timer a = { 0 }, b = { 0 }, c = { 0 };
	static char ca = 'a', cb = 'b', cc = 'c';
	uint64_t now = lamb_loop_now_ns();
	norder = 0;
	lamb_loop_timer_set(l, &a, now + 30000000, mark, &ca);
	lamb_loop_timer_set(l, &b, now + 10000000, mark, &cb);
	lamb_loop_timer_set(l, &c, now + 20000000, mark, &cc);
	lamb_loop_timer_set(l, &a, now + 5000000, mark, &ca); /* moved first */
	lamb_loop_timer_cancel(l, &c);
	while (norder < 2)
		assert_int_equal(lamb_loop_run_once(l, 1000, NULL), 0);
	assert_memory_equal(order, "ab", 2);
	assert_true(lamb_loop_now_ns() - now >= 10000000);
	assert_false(a.armed || b.armed || c.armed);
	lamb_loop_free(l);
}

static void test_defer_runs_after_batch(void **state)
{
	(void)state;
	struct lamb_loop *l = lamb_loop_new(NULL);
	static char cx = 'x';
	norder = 0;
	lamb_loop_defer(l, mark, &cx);
	assert_int_equal(norder, 0);
	lamb_loop_run_once(l, 0, NULL);
	assert_int_equal(norder, 1);
	lamb_loop_free(l);
}

static int got_bytes;

static void on_read(void *data, uint32_t ev)
{
	char buf[16];
	(void)ev;
	got_bytes += (int)read(*(int *)data, buf, sizeof(buf));
}

static void test_fd_watch(void **state)
{
	(void)state;
	struct lamb_loop *l = lamb_loop_new(NULL);
	struct lamb_watch w;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(lamb_loop_add_fd(l, &w, fds[0], EPOLLIN, on_read, &fds[0], NULL), 0);
	assert_int_equal(write(fds[1], "hello", 5), 5);
	got_bytes = 0;
	lamb_loop_run_once(l, 1000, NULL);
	assert_int_equal(got_bytes, 5);
	lamb_loop_del_fd(l, &w);
	assert_int_equal(write(fds[1], "x", 1), 1);
	lamb_loop_run_once(l, 0, NULL);
	assert_int_equal(got_bytes, 5);
	close(fds[0]);
	close(fds[1]);
	lamb_loop_free(l);
}

static int reaped;

static void on_chld(void *data)
{
	(void)data;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		reaped++;
}

static void test_sigchld(void **state)
{
	(void)state;
	struct lamb_loop *l = lamb_loop_new(NULL);
	lamb_loop_on_sigchld(l, on_chld, NULL);
	reaped = 0;
	for (int i = 0; i < 3; i++)
		if (fork() == 0)
			_exit(0);
	for (int i = 0; i < 50 && reaped < 3; i++)
		lamb_loop_run_once(l, 100, NULL);
	assert_int_equal(reaped, 3);
	lamb_loop_free(l);
}

/* A batched log holds its lines until the loop finds nothing to do (or is
 * flushed), then writes them at once. */
static void test_batched_output(void **state)
{
	(void)state;
	struct lamb_loop *l = lamb_loop_new(NULL);
	int fds[2];
	char buf[64];
	assert_int_equal(pipe(fds), 0);
	FILE *f = fdopen(fds[1], "w");
	lamb_loop_batch_output(l, f);
	fputs("one\n", f);
	lamb_loop_wrote(l, f);
	fputs("two\n", f);
	lamb_loop_wrote(l, f);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	assert_true(read(fds[0], buf, sizeof(buf)) < 0); /* nothing written yet */
	assert_int_equal(lamb_loop_run_once(l, 0, NULL), 0);
	ssize_t n = read(fds[0], buf, sizeof(buf));
	assert_int_equal(n, 8); /* both lines, in one write */
	assert_memory_equal(buf, "one\ntwo\n", 8);
	fputs("three\n", f);
	lamb_loop_flush(l);
	assert_int_equal(read(fds[0], buf, sizeof(buf)), 6);
	fputs("four\n", f);
	lamb_loop_free(l); /* flushes what is left */
	assert_int_equal(read(fds[0], buf, sizeof(buf)), 5);
	fclose(f);
	close(fds[0]);
}

static void ignore(void *data, uint32_t events)
{
	(void)data;
	(void)events;
}

/* While events keep the loop busy, a batched log waits for more lines, up
 * to 5 ms: a request's START and END lines go out together. */
static void test_batched_output_lingers(void **state)
{
	(void)state;
	struct lamb_loop *l = lamb_loop_new(NULL);
	int out[2], busy[2];
	char buf[64];
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(busy), 0);
	assert_int_equal(write(busy[1], "x", 1), 1); /* readable until read: an event every run */
	struct lamb_watch w;
	assert_int_equal(lamb_loop_add_fd(l, &w, busy[0], EPOLLIN, ignore, NULL, NULL), 0);
	FILE *f = fdopen(out[1], "w");
	lamb_loop_batch_output(l, f);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fputs("START\n", f);
	lamb_loop_wrote(l, f);
	assert_int_equal(lamb_loop_run_once(l, 1000, NULL), 0);
	assert_true(read(out[0], buf, sizeof(buf)) < 0); /* held: an event came */
	fputs("END\n", f);
	lamb_loop_wrote(l, f);
	uint64_t t0 = lamb_loop_now_ns();
	ssize_t n = -1;
	while (n < 0 && lamb_loop_now_ns() - t0 < 1000000000ull) {
		assert_int_equal(lamb_loop_run_once(l, 1000, NULL), 0);
		n = read(out[0], buf, sizeof(buf));
	}
	assert_int_equal(n, 10); /* both lines, in one write, 5 ms on */
	assert_memory_equal(buf, "START\nEND\n", 10);
	assert_true(lamb_loop_now_ns() - t0 >= 4000000ull);
	lamb_loop_del_fd(l, &w);
	lamb_loop_free(l);
	fclose(f);
	close(out[0]);
	close(busy[0]);
	close(busy[1]);
}

static uint64_t cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int ticks;

static void on_tick(void *data, uint32_t events)
{
	uint64_t n;
	(void)events;
	if (read(*(int *)data, &n, sizeof(n)) == sizeof(n))
		ticks++;
}

/* After a run of waits that something ended within microseconds (the loop
 * spins before sleeping for the next), waits that nothing ends stop the
 * spinning within a few: 200 idle waits cost well under a millisecond of
 * CPU each, where a spin kept at its longest would cost ~40 ms. */
static void test_spin_stops_when_nothing_comes(void **state)
{
	(void)state;
	unsetenv("LAMB_SPIN_US");
	struct lamb_loop *l = lamb_loop_new(NULL);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	assert_true(tfd >= 0);
	struct lamb_watch w;
	assert_int_equal(lamb_loop_add_fd(l, &w, tfd, EPOLLIN, on_tick, &tfd, NULL), 0);
	for (int i = 0; i < 50; i++) {
		struct itimerspec its = { .it_value = { .tv_nsec = 30000 } };
		int before = ticks;
		assert_int_equal(timerfd_settime(tfd, 0, &its, NULL), 0);
		while (ticks == before)
			assert_int_equal(lamb_loop_run_once(l, 1000, NULL), 0);
	}
	uint64_t c0 = cpu_ns();
	for (int i = 0; i < 200; i++)
		assert_int_equal(lamb_loop_run_once(l, 2, NULL), 0);
	uint64_t spent = cpu_ns() - c0;
	assert_true(spent < 15000000ull);
	lamb_loop_del_fd(l, &w);
	lamb_loop_free(l);
	close(tfd);
}

/* LAMB_SPIN_US is read once, when the loop is made: a value that is not a
 * number of microseconds up to 100,000 is an error naming the variable. */
static void test_spin_setting_checked(void **state)
{
	(void)state;
	const char *bad[] = { "abc", "-1", "100001", "12x", " 5" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lamb_err err = { { 0 } };
		setenv("LAMB_SPIN_US", bad[i], 1);
		assert_null(lamb_loop_new(&err));
		assert_non_null(strstr(err.msg, "LAMB_SPIN_US"));
	}
	setenv("LAMB_SPIN_US", "0", 1);
	struct lamb_loop *l = lamb_loop_new(NULL);
	assert_non_null(l);
	lamb_loop_free(l);
	unsetenv("LAMB_SPIN_US");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_in_order),
		cmocka_unit_test(test_defer_runs_after_batch),
		cmocka_unit_test(test_fd_watch),
		cmocka_unit_test(test_sigchld),
		cmocka_unit_test(test_batched_output),
		cmocka_unit_test(test_batched_output_lingers),
		cmocka_unit_test(test_spin_stops_when_nothing_comes),
		cmocka_unit_test(test_spin_setting_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
