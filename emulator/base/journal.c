/* Journals of JSON lines, rewritten with what is live once mostly dead (see
 * journal.h). */
#include "base/journal.h"

#include "base/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A rewrite costs one line per live entry; waiting until the file holds
 * 1,024 lines more than twice the live ones keeps that under one line
 * written per line appended, and a small journal is never rewritten. */
#define SLACK 1024

size_t lamb_journal_replay(const char *path, void (*fn)(const cJSON *line, void *data), void *data)
{
	FILE *in = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, n = 0;
	while (in && getline(&line, &cap, in) > 0) {
		cJSON *o = cJSON_Parse(line);
		if (o) {
			fn(o, data);
			n++;
		}
		cJSON_Delete(o);
	}
	free(line);
	if (in)
		fclose(in);
	return n;
}

static char *tmp_path(const struct lamb_journal *j)
{
	return xasprintf("%s.tmp", j->path);
}

bool lamb_journal_begin(struct lamb_journal *j, const char *path)
{
	if (!j->path)
		j->path = xstrdup(path);
	char *tmp = tmp_path(j);
	j->next = fopen(tmp, "we");
	free(tmp);
	if (j->next)
		j->floor = 0;
	return j->next != NULL;
}

bool lamb_journal_commit(struct lamb_journal *j)
{
	if (!j->next)
		return j->f != NULL;
	char *tmp = tmp_path(j);
	bool ok = fflush(j->next) == 0 && !ferror(j->next) && rename(tmp, j->path) == 0;
	if (ok) {
		if (j->f)
			fclose(j->f);
		j->f = j->next;
		j->lines = j->floor;
	} else {
		fclose(j->next);
		unlink(tmp);
	}
	free(tmp);
	j->next = NULL;
	return j->f != NULL;
}

void lamb_journal_add(struct lamb_journal *j, cJSON *o)
{
	FILE *f = j->next ? j->next : j->f;
	char *s = cJSON_PrintUnformatted(o);
	if (f && s) {
		fprintf(f, "%s\n", s);
		if (j->next)
			j->floor++;
		else {
			fflush(f); /* in the kernel before the answer: a crash of lamb loses nothing */
			j->lines++;
		}
	}
	free(s);
	cJSON_Delete(o);
}

bool lamb_journal_wants_rewrite(struct lamb_journal *j, size_t (*live)(void *data), void *data)
{
	if (!j->f || j->next || j->lines <= 2 * j->floor + SLACK)
		return false;
	if (j->lines > 2 * live(data) + SLACK)
		return true;
	j->floor = j->lines / 2; /* mostly live: look again SLACK lines on */
	return false;
}

void lamb_journal_close(struct lamb_journal *j)
{
	if (j->next) {
		char *tmp = tmp_path(j);
		fclose(j->next);
		unlink(tmp);
		free(tmp);
	}
	if (j->f)
		fclose(j->f);
	free(j->path);
	*j = (struct lamb_journal){ 0 };
}
