/* Queues kept on disk, so that a restart of lamb local start (or a crash)
 * loses no accepted message: each queue has a journal,
 * .lamb/sqs/NAME.jsonl beside the template, one JSON line per message sent
 * (written before the send is answered) and per message deleted. Loading
 * replays it and rewrites it with what is left, and so does a deletion that
 * leaves the file mostly of messages gone (base/journal.c). In-flight
 * messages come back visible; receive counts start again. */
#include "front/sqs-int.h"

#include "base/journal.h"
#include "base/util.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *journal_path(const struct lamb_sqs *q, const char *name)
{
	return xasprintf("%s/.lamb/sqs/%s.jsonl", q->m->dir, name);
}

static void append(struct sqs_queue *x, cJSON *line)
{
	lamb_journal_add(&x->journal, line);
}

static void add_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
}

static cJSON *sent_line(const struct sqs_msg *m)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", m->id);
	cJSON_AddStringToObject(o, "body", m->body);
	add_str(o, "group", m->group);
	add_str(o, "dedup", m->dedup);
	add_str(o, "trace", m->trace);
	if (m->attrs)
		cJSON_AddItemToObject(o, "attrs", cJSON_Duplicate(m->attrs, 1));
	cJSON_AddNumberToObject(o, "sent", (double)m->sent_ms);
	cJSON_AddNumberToObject(o, "visible", (double)m->visible_ms);
	return o;
}

void sqs_store_sent(struct sqs_queue *x, const struct sqs_msg *m)
{
	append(x, sent_line(m));
}

void sqs_store_deleted(struct sqs_queue *x, const struct sqs_msg *m)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "deleted", m->id);
	append(x, o);
}

struct replay {
	struct lamb_sqs *q;
	struct sqs_queue *x;
};

static void replay_line(const cJSON *o, void *data)
{
	struct lamb_sqs *q = ((struct replay *)data)->q;
	struct sqs_queue *x = ((struct replay *)data)->x;
	const char *gone = sqs_str(o, "deleted"), *id = sqs_str(o, "id"), *body = sqs_str(o, "body");
	if (gone) {
		for (struct sqs_msg *m = x->head; m; m = m->next)
			if (strcmp(m->id, gone) == 0) {
				sqs_unlink(x, m);
				break;
			}
		return;
	}
	if (!id || !body)
		return;
	struct sqs_msg *m = sqs_push(q, x, body, sqs_long(o, "visible", 0));
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->sent_ms = sqs_long(o, "sent", m->sent_ms);
	m->group = sqs_str(o, "group") ? xstrdup(sqs_str(o, "group")) : NULL;
	m->dedup = sqs_str(o, "dedup") ? xstrdup(sqs_str(o, "dedup")) : NULL;
	m->trace = sqs_str(o, "trace") ? xstrdup(sqs_str(o, "trace")) : NULL;
	sqs_msg_set_attrs(m, cJSON_GetObjectItemCaseSensitive(o, "attrs"));
}

static size_t live(void *data)
{
	size_t n = 0;
	for (const struct sqs_msg *m = ((struct sqs_queue *)data)->head; m; m = m->next)
		n++;
	return n;
}

/* Writes x's journal afresh with the messages x holds. */
static bool rewrite(struct sqs_queue *x, const char *path)
{
	if (!lamb_journal_begin(&x->journal, path))
		return x->journal.f != NULL;
	for (const struct sqs_msg *m = x->head; m; m = m->next)
		append(x, sent_line(m));
	return lamb_journal_commit(&x->journal);
}

/* Replays x's journal, then rewrites it with the messages left and keeps
 * it open for appending. */
void sqs_store_open(struct lamb_sqs *q, struct sqs_queue *x)
{
	char *dir = xasprintf("%s/.lamb", q->m->dir), *sub = xasprintf("%s/sqs", dir);
	mkdir(dir, 0755);
	mkdir(sub, 0755);
	char *path = journal_path(q, x->name);
	struct replay r = { q, x };
	lamb_journal_replay(path, replay_line, &r);
	if (!rewrite(x, path))
		fprintf(q->log, "lamb: warning: cannot keep queue '%s' in '%s': its messages live in memory only\n",
			x->name, path);
	free(path);
	free(dir);
	free(sub);
}

/* After a message left x: a journal mostly of messages gone is written
 * afresh, so it stays the size of the queue. */
void sqs_store_tidy(struct sqs_queue *x)
{
	if (lamb_journal_wants_rewrite(&x->journal, live, x))
		rewrite(x, NULL);
}

/* Queues created through the API in an earlier run: their journals. */
void sqs_store_queues(struct lamb_sqs *q)
{
	char *path = xasprintf("%s/.lamb/sqs", q->m->dir);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n <= 6 || strcmp(e->d_name + n - 6, ".jsonl") != 0)
			continue;
		char *name = xstrndup(e->d_name, n - 6);
		if (!sqs_find(q, name))
			sqs_add_queue(q, name, NULL);
		free(name);
	}
	if (d)
		closedir(d);
	free(path);
}
