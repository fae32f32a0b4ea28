/* The resources lamb local start runs as event sources or targets (rules,
 * queues, topics, buckets, mappings, invoke configs), kept as their
 * resolved Properties: the front end that runs each reads the few keys it
 * needs, and a resource it cannot run is still listed. */
#include "base/util.h"
#include "model/model-build.h"

#include <string.h>

static const struct {
	const char *type, *note;
} source_types[] = {
	{ "AWS::Events::Rule", "fired by lamb local start (schedules, event patterns)" },
	{ "AWS::SQS::Queue", "a queue of lamb local start's SQS" },
	{ "AWS::SNS::Topic", "a topic of lamb local start's SNS" },
	{ "AWS::SNS::Subscription", "delivered by lamb local start (lambda, sqs)" },
	{ "AWS::S3::Bucket", "a directory under .lamb/s3/ with lamb local start" },
	{ "AWS::Lambda::EventSourceMapping", "polled by lamb local start (SQS)" },
	{ "AWS::Lambda::EventInvokeConfig", "applied by lamb local start" },
	{ "AWS::Scheduler::Schedule", "fired by lamb local start" },
};

const char *source_note(const char *type)
{
	for (size_t i = 0; i < ARRAY_SIZE(source_types); i++)
		if (strcmp(source_types[i].type, type) == 0)
			return source_types[i].note;
	return NULL;
}

static bool is_source(const char *type)
{
	return source_note(type) != NULL;
}

void build_sources(struct builder *b)
{
	struct lamb_model *m = b->m;
	m->sources = lamb_arena_alloc(b->a, (b->r.nresources + 1) * sizeof(*m->sources));
	for (size_t i = 0; i < b->r.nresources; i++) {
		const struct lamb_res_entry *e = &b->r.resources[i];
		if (b->skip[i] || !is_source(e->type))
			continue;
		struct lamb_source *s = &m->sources[m->nsources++];
		s->logical_id = e->id;
		s->type = e->type;
		s->ref = e->ref ? e->ref : e->id;
		s->arn = e->arn;
		s->properties = resolved_props(b, e, NULL);
		s->mark = e->node->mark;
	}
}
