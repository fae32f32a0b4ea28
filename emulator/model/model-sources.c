/* The resources lamb local start runs as event sources or targets (rules,
 * queues, topics, buckets, mappings, invoke configs), kept as their
 * resolved Properties: the front end that runs each reads the few keys it
 * needs, and a resource it cannot run is still listed. */
#include "base/util.h"
#include "model/model-build.h"

#include <string.h>

static const char *const source_types[] = {
	"AWS::Events::Rule", "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::S3::Bucket",
	"AWS::Lambda::EventSourceMapping", "AWS::Lambda::EventInvokeConfig", "AWS::Scheduler::Schedule",
	"AWS::SNS::Subscription",
};

static bool is_source(const char *type)
{
	for (size_t i = 0; i < ARRAY_SIZE(source_types); i++)
		if (strcmp(source_types[i], type) == 0)
			return true;
	return false;
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
