/* Arena and accessors for the document tree. The arena hands out memory in
 * 64 KiB blocks (larger requests get their own block); nothing is freed
 * before the whole template is. */
#include "base/util.h"
#include "template/node.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BLOCK_SIZE 65536

struct block {
	struct block *next;
	size_t used, size;
	max_align_t data[];
};

struct lamb_arena {
	struct block *head;
};

struct lamb_arena *lamb_arena_new(void)
{
	return xcalloc(1, sizeof(struct lamb_arena));
}

void lamb_arena_free(struct lamb_arena *a)
{
	if (!a)
		return;
	struct block *b = a->head;
	while (b) {
		struct block *next = b->next;
		free(b);
		b = next;
	}
	free(a);
}

void *lamb_arena_alloc(struct lamb_arena *a, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	struct block *b = a->head;
	if (!b || b->size - b->used < n) {
		size_t size = n > BLOCK_SIZE ? n : BLOCK_SIZE;
		b = xmalloc(sizeof(*b) + size);
		b->used = 0;
		b->size = size;
		/* A private large block goes behind the current one so the
		 * current one keeps serving small requests. */
		if (a->head && n > BLOCK_SIZE) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *lamb_arena_strndup(struct lamb_arena *a, const char *s, size_t n)
{
	char *p = lamb_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *lamb_arena_strdup(struct lamb_arena *a, const char *s)
{
	return lamb_arena_strndup(a, s, strlen(s));
}

static struct lamb_node *node_new(struct lamb_arena *a, enum lamb_node_kind kind,
				  const struct lamb_mark *m)
{
	struct lamb_node *n = lamb_arena_alloc(a, sizeof(*n));
	n->kind = kind;
	if (m)
		n->mark = *m;
	return n;
}

struct lamb_node *lamb_node_scalar(struct lamb_arena *a, const char *s, const struct lamb_mark *m)
{
	struct lamb_node *n = node_new(a, LAMB_SCALAR, m);
	n->str = lamb_arena_strdup(a, s);
	return n;
}

struct lamb_node *lamb_node_seq(struct lamb_arena *a, size_t len, const struct lamb_mark *m)
{
	struct lamb_node *n = node_new(a, LAMB_SEQ, m);
	n->len = len;
	n->items = lamb_arena_alloc(a, len * sizeof(*n->items));
	return n;
}

struct lamb_node *lamb_node_map(struct lamb_arena *a, size_t len, const struct lamb_mark *m)
{
	struct lamb_node *n = node_new(a, LAMB_MAP, m);
	n->len = len;
	n->pairs = lamb_arena_alloc(a, len * sizeof(*n->pairs));
	return n;
}

struct lamb_pair *lamb_node_find(const struct lamb_node *map, const char *key)
{
	if (!map || map->kind != LAMB_MAP)
		return NULL;
	for (size_t i = 0; i < map->len; i++)
		if (strcmp(map->pairs[i].key->str, key) == 0)
			return &map->pairs[i];
	return NULL;
}

struct lamb_node *lamb_node_get(const struct lamb_node *map, const char *key)
{
	struct lamb_pair *p = lamb_node_find(map, key);
	return p ? p->value : NULL;
}

const char *lamb_node_str(const struct lamb_node *node)
{
	return node && node->kind == LAMB_SCALAR ? node->str : NULL;
}

const char *lamb_node_intrinsic(const struct lamb_node *node)
{
	if (!node || node->kind != LAMB_MAP || node->len != 1)
		return NULL;
	const char *k = node->pairs[0].key->str;
	if (strcmp(k, "Ref") == 0 || strcmp(k, "Condition") == 0 || str_starts(k, "Fn::"))
		return k;
	return NULL;
}

bool lamb_node_bool(const struct lamb_node *node, bool *out)
{
	const char *s = lamb_node_str(node);
	if (!s)
		return false;
	if (strcasecmp(s, "true") == 0) {
		*out = true;
		return true;
	}
	if (strcasecmp(s, "false") == 0) {
		*out = false;
		return true;
	}
	return false;
}

bool lamb_node_long(const struct lamb_node *node, long *out)
{
	const char *s = lamb_node_str(node);
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool lamb_node_is_null(const struct lamb_node *node)
{
	if (!node)
		return true;
	if (node->kind != LAMB_SCALAR || node->quoted)
		return false;
	return !*node->str || strcmp(node->str, "~") == 0 || strcmp(node->str, "null") == 0 ||
	       strcmp(node->str, "Null") == 0 || strcmp(node->str, "NULL") == 0;
}

const char *lamb_node_kind_name(const struct lamb_node *node)
{
	if (!node)
		return "nothing";
	switch (node->kind) {
	case LAMB_SCALAR:
		return "a string";
	case LAMB_SEQ:
		return "a list";
	case LAMB_MAP:
		return "a mapping";
	}
	return "?";
}

static bool bounded(const struct lamb_node *n, unsigned depth, size_t *budget)
{
	if (!n)
		return true;
	if (!depth || !*budget)
		return false;
	--*budget;
	for (size_t i = 0; n->kind == LAMB_SEQ && i < n->len; i++)
		if (!bounded(n->items[i], depth - 1, budget))
			return false;
	for (size_t i = 0; n->kind == LAMB_MAP && i < n->len; i++)
		if (!bounded(n->pairs[i].value, depth - 1, budget))
			return false;
	return true;
}

bool lamb_node_bounded(const struct lamb_node *node, unsigned max_depth, size_t budget)
{
	return bounded(node, max_depth + 1, &budget);
}
