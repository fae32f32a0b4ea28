/* Queues kept on disk, so that a restart of lamb local start (or a crash)
 * loses no accepted message: each queue has a journal,
 * .lamb/sqs/NAME.jsonl beside the template, one JSON line per message sent
 * (written before the send is answered) and per message deleted. Loading
 * replays it and rewrites it with what is left. In-flight messages come
 * back visible; receive counts start again. */
#include "front/sqs-int.h"

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
	char *s = cJSON_PrintUnformatted(line);
	if (x->journal) {
		fprintf(x->journal, "%s\n", s);
		fflush(x->journal); /* in the kernel before the answer: a crash of lamb loses nothing */
	}
	free(s);
	cJSON_Delete(line);
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

static void replay_line(struct lamb_sqs *q, struct sqs_queue *x, const cJSON *o)
{
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

/* Replays x's journal, then rewrites it with the messages left and keeps
 * it open for appending. */
void sqs_store_open(struct lamb_sqs *q, struct sqs_queue *x)
{
	char *dir = xasprintf("%s/.lamb", q->m->dir), *sub = xasprintf("%s/sqs", dir);
	mkdir(dir, 0755);
	mkdir(sub, 0755);
	char *path = journal_path(q, x->name), *tmp = xasprintf("%s.tmp", path);
	FILE *in = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	while (in && getline(&line, &cap, in) > 0) {
		cJSON *o = cJSON_Parse(line);
		replay_line(q, x, o);
		cJSON_Delete(o);
	}
	free(line);
	if (in)
		fclose(in);
	FILE *out = fopen(tmp, "we");
	x->journal = out;
	for (struct sqs_msg *m = x->head; out && m; m = m->next)
		sqs_store_sent(x, m);
	if (out && rename(tmp, path) == 0)
		x->journal = out;
	else if (out)
		fclose(out), x->journal = NULL;
	if (!x->journal)
		fprintf(q->log, "lamb: warning: cannot keep queue '%s' in '%s': its messages live in memory only\n",
			x->name, path);
	free(path);
	free(tmp);
	free(dir);
	free(sub);
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
