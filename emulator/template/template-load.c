/* libyaml's composer builds a node graph (aliases shared); we copy it into
 * lamb's arena tree, keeping marks and normalising CloudFormation tags.
 * Shared nodes stay shared, so an alias costs one pointer; the walkers that
 * follow bound their own work (see template-resolve.c). An alias inside the
 * node it names is refused here: CloudFormation's JSON model cannot hold a
 * cycle, and refusing it once keeps every later walk finite. */
#include "base/hash.h"
#include "base/util.h"
#include "template/template.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <yaml.h>

struct loader {
	struct lamb_arena *arena;
	const char *file; /* arena copy */
	yaml_document_t *doc;
	struct lamb_node **done; /* per libyaml node index: converted node */
	bool *open; /* per libyaml node index: still being converted */
	struct lamb_diags *diags;
	unsigned depth;
};

#define MAX_DEPTH 256

static const char *const short_tags[] = {
	"Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select",
	"Split", "Sub", "Transform", "And", "Equals", "If", "Not", "Or", "ToJsonString",
	"Length",
};

static struct lamb_mark mark_of(struct loader *l, yaml_mark_t m)
{
	struct lamb_mark mk = { l->file, (unsigned)m.line + 1, (unsigned)m.column + 1 };
	return mk;
}

static struct lamb_node *convert(struct loader *l, int index);

static struct lamb_node *wrap(struct loader *l, const char *fn, struct lamb_node *value)
{
	struct lamb_node *map = lamb_node_map(l->arena, 1, &value->mark);
	map->pairs[0].key = lamb_node_scalar(l->arena, fn, &value->mark);
	map->pairs[0].value = value;
	return map;
}

/* `!GetAtt Res.Attr` is a scalar; the long form is a two-element list. */
static struct lamb_node *split_getatt(struct loader *l, struct lamb_node *value)
{
	if (value->kind != LAMB_SCALAR)
		return value;
	const char *dot = strchr(value->str, '.');
	if (!dot)
		return value; /* the resolver reports it */
	struct lamb_node *seq = lamb_node_seq(l->arena, 2, &value->mark);
	seq->items[0] = lamb_node_scalar(l->arena, "", &value->mark);
	seq->items[0]->str = lamb_arena_strndup(l->arena, value->str, (size_t)(dot - value->str));
	seq->items[1] = lamb_node_scalar(l->arena, dot + 1, &value->mark);
	return seq;
}

static struct lamb_node *apply_tag(struct loader *l, const char *tag, struct lamb_node *value)
{
	if (!tag || tag[0] != '!')
		return value; /* tag:yaml.org,2002:... : the default tags */
	const char *name = tag + 1;
	if (strcmp(name, "Ref") == 0 || strcmp(name, "Condition") == 0)
		return wrap(l, name, value);
	for (size_t i = 0; i < ARRAY_SIZE(short_tags); i++) {
		if (strcmp(name, short_tags[i]) == 0) {
			char fn[32];
			snprintf(fn, sizeof(fn), "Fn::%s", name);
			if (strcmp(name, "GetAtt") == 0)
				value = split_getatt(l, value);
			return wrap(l, fn, value);
		}
	}
	lamb_error(l->diags, &value->mark, "unknown tag '%s' (CloudFormation knows !Ref, !Sub, !GetAtt, !Join, ...)", tag);
	return value;
}

static struct lamb_node *convert_scalar(struct loader *l, yaml_node_t *yn)
{
	struct lamb_mark m = mark_of(l, yn->start_mark);
	struct lamb_node *n = lamb_node_scalar(l->arena, "", &m);
	n->str = lamb_arena_strndup(l->arena, (const char *)yn->data.scalar.value,
				    yn->data.scalar.length);
	n->quoted = yn->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	n->plain = !n->quoted;
	return n;
}

static struct lamb_node *convert_seq(struct loader *l, yaml_node_t *yn, int index)
{
	struct lamb_mark m = mark_of(l, yn->start_mark);
	size_t len = (size_t)(yn->data.sequence.items.top - yn->data.sequence.items.start);
	struct lamb_node *n = lamb_node_seq(l->arena, len, &m);
	l->done[index] = n; /* a self-alias resolves to the node being built */
	for (size_t i = 0; i < len; i++)
		n->items[i] = convert(l, yn->data.sequence.items.start[i]);
	return n;
}

/* Duplicate keys are found with a small hash table, so a mapping of
 * thousands of resources costs linear time, not quadratic. */
struct key_set {
	const struct lamb_pair **slots;
	size_t mask;
};

/* The pair already holding p's key, or NULL after adding p. */
static const struct lamb_pair *key_set_add(struct key_set *ks, const struct lamb_pair *p)
{
	for (size_t i = lamb_hash_bytes(p->key->str, strlen(p->key->str)) & ks->mask;; i = (i + 1) & ks->mask) {
		if (!ks->slots[i]) {
			ks->slots[i] = p;
			return NULL;
		}
		if (strcmp(ks->slots[i]->key->str, p->key->str) == 0)
			return ks->slots[i];
	}
}

static struct lamb_node *convert_map(struct loader *l, yaml_node_t *yn, int index)
{
	struct lamb_mark m = mark_of(l, yn->start_mark);
	size_t len = (size_t)(yn->data.mapping.pairs.top - yn->data.mapping.pairs.start);
	struct lamb_node *n = lamb_node_map(l->arena, len, &m);
	l->done[index] = n;
	struct key_set ks = { 0 };
	size_t cap = 8;
	while (cap < 2 * len)
		cap *= 2;
	ks.slots = xcalloc(cap, sizeof(*ks.slots));
	ks.mask = cap - 1;
	size_t out = 0;
	for (size_t i = 0; i < len; i++) {
		yaml_node_pair_t *p = &yn->data.mapping.pairs.start[i];
		struct lamb_node *key = convert(l, p->key);
		if (key->kind != LAMB_SCALAR) {
			lamb_error(l->diags, &key->mark, "mapping key must be a string, not %s",
				   lamb_node_kind_name(key));
			continue;
		}
		n->pairs[out].key = key;
		const struct lamb_pair *dup = key_set_add(&ks, &n->pairs[out]);
		if (dup) {
			lamb_error(l->diags, &key->mark, "duplicate key '%s' (first at line %u)",
				   key->str, dup->key->mark.line);
			continue;
		}
		n->pairs[out].value = convert(l, p->value);
		out++;
	}
	free(ks.slots);
	n->len = out;
	return n;
}

static struct lamb_node *convert(struct loader *l, int index)
{
	yaml_node_t *yn = yaml_document_get_node(l->doc, index);
	struct lamb_node *n;
	if (l->open[index]) {
		struct lamb_mark m = mark_of(l, yn->start_mark);
		lamb_error(l->diags, &m, "a YAML alias refers to this node from inside it (a cycle "
			   "CloudFormation cannot hold); copy the values instead of the alias");
		return lamb_node_scalar(l->arena, "", &m);
	}
	if (l->done[index])
		return l->done[index];
	if (++l->depth > MAX_DEPTH) {
		struct lamb_mark m = mark_of(l, yn->start_mark);
		lamb_error(l->diags, &m, "template nested deeper than %d levels", MAX_DEPTH);
		n = lamb_node_scalar(l->arena, "", &m);
		l->depth--;
		return l->done[index] = n;
	}
	l->open[index] = true;
	switch (yn->type) {
	case YAML_SEQUENCE_NODE:
		n = convert_seq(l, yn, index);
		break;
	case YAML_MAPPING_NODE:
		n = convert_map(l, yn, index);
		break;
	default:
		n = convert_scalar(l, yn);
		break;
	}
	n = apply_tag(l, (const char *)yn->tag, n);
	l->open[index] = false;
	l->depth--;
	return l->done[index] = n;
}

static void parse_error(struct loader *l, yaml_parser_t *p)
{
	yaml_mark_t mk = p->problem_mark;
	if (p->error == YAML_READER_ERROR) {
		mk.line = 0;
		mk.column = 0;
		struct lamb_mark m = { l->file, 1, 1 };
		lamb_error(l->diags, &m, "cannot read YAML: %s at byte %zu", p->problem,
			   p->problem_offset);
		return;
	}
	struct lamb_mark m = mark_of(l, mk);
	if (p->context)
		lamb_error(l->diags, &m, "invalid YAML: %s %s", p->problem ? p->problem : "error",
			   p->context);
	else
		lamb_error(l->diags, &m, "invalid YAML: %s", p->problem ? p->problem : "error");
}

struct lamb_node *lamb_template_parse(struct lamb_arena *a, const char *file, const char *text,
				      size_t len, struct lamb_diags *diags)
{
	struct loader l = { .arena = a, .file = lamb_arena_strdup(a, file), .diags = diags };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	struct lamb_node *root = NULL;
	if (!yaml_parser_load(&parser, &doc)) {
		parse_error(&l, &parser);
		yaml_parser_delete(&parser);
		return NULL;
	}
	l.doc = &doc;
	size_t count = (size_t)(doc.nodes.top - doc.nodes.start);
	if (count == 0) {
		struct lamb_mark m = { l.file, 1, 1 };
		lamb_error(diags, &m, "template is empty");
	} else {
		l.done = xcalloc(count + 1, sizeof(*l.done));
		l.open = xcalloc(count + 1, sizeof(*l.open));
		root = convert(&l, 1);
		free(l.open);
		free(l.done);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return root;
}
