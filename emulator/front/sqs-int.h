/* Shared by sqs.c (queues), sqs-ops.c (the operations) and sqs-poll.c (event
 * source mappings). Internal to front/. */
#ifndef LAMB_SQS_INT_H
#define LAMB_SQS_INT_H

#include "base/journal.h"
#include "front/sqs.h"

struct sqs_msg {
	char id[40];
	char *body;
	char md5[33];
	int64_t sent_ms, visible_ms, first_receive_ms;
	int receive_count;
	char receipt[40]; /* of the last receive; "" before */
	char *group, *dedup;
	char *trace; /* the sender's X-Amzn-Trace-Id (its Lineage), or NULL */
	cJSON *attrs; /* MessageAttributes in the JSON protocol's shape, or NULL */
	char attrs_md5[33]; /* "" without attributes */
	uint64_t seq;
	bool taken; /* during one receive: taken by it, so that later messages of its
		     * group may follow in the same receive, in order */
	struct sqs_msg *next;
};

struct sqs_queue {
	char *name, *url, *arn;
	const char *logical_id; /* of the template's resource, or NULL */
	long visibility_s, delay_s, wait_s; /* wait_s: ReceiveMessageWaitTimeSeconds */
	bool fifo;
	char *dlq;            /* RedrivePolicy.deadLetterTargetArn, or NULL */
	long max_receive;     /* RedrivePolicy.maxReceiveCount, 0: none */
	int64_t created_ms;
	struct sqs_msg *head, *tail;
	struct lamb_journal journal; /* sqs-store.c; .f NULL: in memory only */
};

struct sqs_mapping;

struct lamb_sqs {
	struct lamb_loop *loop;
	struct lamb_invoker *iv;
	const struct lamb_model *m;
	struct lamb_scheduler *clock;
	FILE *log;
	char *base_url;
	struct sqs_queue **queues;
	size_t n, cap;
	uint64_t seq;
	struct sqs_mapping *mappings;
	size_t nmappings;
	const char *trace; /* the X-Amzn-Trace-Id of the request being answered, or NULL */
	struct sqs_waiter *waiters; /* long-polling receives (sqs-api.c) */
	bool waiting_clocked;
	struct lamb_timer wake;
};

cJSON *sqs_fail(struct lamb_sqs_error *e, int status, const char *code, const char *query_code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
const char *sqs_str(const cJSON *p, const char *key);
long sqs_long(const cJSON *p, const char *key, long def);
struct sqs_queue *sqs_add_queue(struct lamb_sqs *q, const char *name, const char *logical_id);
struct sqs_queue *sqs_find(const struct lamb_sqs *q, const char *ref);
void sqs_template_queues(struct lamb_sqs *q);
/* Queues a message; the caller polls the queue (sqs_poll_queue) once done
 * with the returned message, which a poll may consume. */
struct sqs_msg *sqs_send(struct lamb_sqs *q, struct sqs_queue *x, const cJSON *p, struct lamb_sqs_error *e);
size_t sqs_receive(struct lamb_sqs *q, struct sqs_queue *x, size_t max, long vis_s, struct sqs_msg **out);
struct sqs_msg *sqs_by_receipt(const struct sqs_queue *x, const char *receipt);
void sqs_remove(struct sqs_queue *x, struct sqs_msg *m);
/* Moves m to x's dead-letter queue; false when x has none. */
bool sqs_redrive(struct lamb_sqs *q, struct sqs_queue *x, struct sqs_msg *m);
void sqs_msg_free(struct sqs_msg *m);
/* Copies attrs (NULL or empty: none) into m, with their MD5. */
void sqs_msg_set_attrs(struct sqs_msg *m, const cJSON *attrs);
cJSON *sqs_create_queue(struct lamb_sqs *q, const cJSON *p, struct lamb_sqs_error *e);
void sqs_free_queues(struct lamb_sqs *q);

/* A new message at the queue's end (no journal line: the caller writes it
 * once the message is whole), and one taken out without a journal line. */
struct sqs_msg *sqs_push(struct lamb_sqs *q, struct sqs_queue *x, const char *body, int64_t visible_ms);
void sqs_unlink(struct sqs_queue *x, struct sqs_msg *m);

/* sqs-attrs.c: message attributes. */
bool sqs_attrs_check(const cJSON *attrs, struct lamb_sqs_error *e);
void sqs_attrs_md5(const cJSON *attrs, char *out);
cJSON *sqs_attrs_select(const cJSON *attrs, const cJSON *names);
cJSON *sqs_attrs_event(const cJSON *attrs);

/* sqs-store.c: the journals under .lamb/sqs/. */
void sqs_store_open(struct lamb_sqs *q, struct sqs_queue *x);
void sqs_store_queues(struct lamb_sqs *q);
void sqs_store_sent(struct sqs_queue *x, const struct sqs_msg *m);
void sqs_store_deleted(struct sqs_queue *x, const struct sqs_msg *m);
/* After a message left x: rewrites a journal that is mostly dead lines. */
void sqs_store_tidy(struct sqs_queue *x);

/* sqs-api.c: answers the receives long-polling x that can take a message
 * now (x NULL: every queue), and those whose wait is over. */
void sqs_wake_waiters(struct lamb_sqs *q, struct sqs_queue *x);
void sqs_free_waiters(struct lamb_sqs *q);

/* sqs-poll.c */
void sqs_read_mappings(struct lamb_sqs *q);
void sqs_free_mappings(struct lamb_sqs *q);
/* Starts what the mappings of x can take now. */
void sqs_poll_queue(struct lamb_sqs *q, struct sqs_queue *x);

#endif
