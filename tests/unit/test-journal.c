/* Journals: lines replayed as written, a torn last line skipped, a rewrite
 * that keeps only what is live, a file that stays its size under steady
 * traffic, and a failed rewrite that keeps the old file in use. */
#include "unit.h"

#include "base/journal.h"
#include "base/util.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/lamb-test-journal-XXXXXX";

static cJSON *line(int id, bool done)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, done ? "done" : "id", id);
	return o;
}

static void count_line(const cJSON *o, void *data)
{
	int *n = data;
	if (cJSON_GetObjectItem(o, "id"))
		n[0]++;
	else
		n[1]++;
}

static size_t file_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	for (int c; f && (c = getc(f)) != EOF;)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

static size_t live_count;
static size_t live(void *data)
{
	(void)data;
	return live_count;
}

static void test_replay_skips_a_torn_line(void **state)
{
	(void)state;
	char *path = xasprintf("%s/torn.jsonl", dir);
	FILE *f = fopen(path, "w");
	fputs("{\"id\":1}\n{\"done\":1}\n{\"id\":2}\n{\"id\":", f);
	fclose(f);
	int n[2] = { 0, 0 };
	assert_int_equal(lamb_journal_replay(path, count_line, n), 3);
	assert_int_equal(n[0], 2);
	assert_int_equal(n[1], 1);
	assert_int_equal(lamb_journal_replay("/nonexistent/x.jsonl", count_line, n), 0);
	free(path);
}

static void test_steady_traffic_keeps_the_file_small(void **state)
{
	(void)state;
	char *path = xasprintf("%s/steady.jsonl", dir);
	struct lamb_journal j = { 0 };
	assert_true(lamb_journal_begin(&j, path));
	assert_true(lamb_journal_commit(&j));
	/* 100,000 messages sent and deleted, at most 10 pending at a time */
	live_count = 0;
	size_t most = 0;
	for (int i = 0; i < 100000; i++) {
		lamb_journal_add(&j, line(i, false));
		if (i >= 10) {
			lamb_journal_add(&j, line(i - 10, true));
			live_count = 10;
			if (lamb_journal_wants_rewrite(&j, live, NULL)) {
				assert_true(lamb_journal_begin(&j, NULL));
				for (int k = i - 9; k <= i; k++)
					lamb_journal_add(&j, line(k, false));
				assert_true(lamb_journal_commit(&j));
				assert_int_equal(file_lines(path), 10);
			}
		}
		if (j.lines > most)
			most = j.lines;
	}
	/* the first look, at 1,025 lines, is short of the 2 x 10 + 1,024 that
	 * makes a rewrite; the next look comes 1,024 lines on */
	assert_true(most <= 2 * (2 * 10 + 1024) + 2);
	assert_int_equal(file_lines(path), j.lines);
	lamb_journal_close(&j);
	free(path);
}

static void test_mostly_live_is_not_rewritten(void **state)
{
	(void)state;
	char *path = xasprintf("%s/live.jsonl", dir);
	struct lamb_journal j = { 0 };
	assert_true(lamb_journal_begin(&j, path));
	assert_true(lamb_journal_commit(&j));
	int asked = 0;
	for (int i = 0; i < 20000; i++) {
		lamb_journal_add(&j, line(i, false));
		live_count = (size_t)i + 1;
		asked += lamb_journal_wants_rewrite(&j, live, NULL);
	}
	assert_int_equal(asked, 0);
	assert_int_equal(file_lines(path), 20000);
	lamb_journal_close(&j);
	free(path);
}

static void test_failed_rewrite_keeps_the_old_file(void **state)
{
	(void)state;
	char *sub = xasprintf("%s/ro", dir), *path = xasprintf("%s/q.jsonl", sub);
	assert_int_equal(mkdir(sub, 0755), 0);
	struct lamb_journal j = { 0 };
	assert_true(lamb_journal_begin(&j, path));
	lamb_journal_add(&j, line(1, false));
	assert_true(lamb_journal_commit(&j));
	/* the fresh file's name is taken by a directory: it cannot be made */
	char *tmp = xasprintf("%s.tmp", path);
	assert_int_equal(mkdir(tmp, 0755), 0);
	assert_true(lamb_journal_begin(&j, NULL) == false);
	lamb_journal_add(&j, line(2, false));
	assert_int_equal(file_lines(path), 2);
	rmdir(tmp);
	lamb_journal_close(&j);
	unlink(path);
	rmdir(sub);
	free(tmp);
	free(path);
	free(sub);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_skips_a_torn_line),
		cmocka_unit_test(test_steady_traffic_keeps_the_file_small),
		cmocka_unit_test(test_mostly_live_is_not_rewritten),
		cmocka_unit_test(test_failed_rewrite_keeps_the_old_file),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		r = 1;
	free(cmd);
	return r;
}
