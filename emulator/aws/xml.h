/* The XML reader for AWS's answers (S3 and the Query APIs such as
 * CloudFormation), on libxml2: a document becomes a small tree of elements
 * and their text, which is all the callers walk. Entities and character
 * references decoded, CDATA kept as text, attributes and namespace
 * prefixes dropped; a DOCTYPE is refused, nothing is fetched, and
 * libxml2's default limits bound depth and sizes, so any input is safe to
 * give it. */
#ifndef LAMB_XML_H
#define LAMB_XML_H

#include "base/err.h"

#include <stddef.h>

/* An element: its local name (prefix dropped), its text (the concatenated
 * character data directly inside it, entities decoded, "" when none), and
 * its child elements in document order. */
struct lamb_xml {
	char *name;
	char *text;
	struct lamb_xml *first_child;
	struct lamb_xml *next;      /* next sibling */
};

/* Parses len bytes into a tree: the root element, owned by the caller
 * (lamb_xml_free); NULL with err ("line L: ...") on malformed input. */
struct lamb_xml *lamb_xml_parse(const char *data, size_t len, struct lamb_err *err);
void lamb_xml_free(struct lamb_xml *x);

/* The first child of x named name, or NULL (x may be NULL). */
const struct lamb_xml *lamb_xml_child(const struct lamb_xml *x, const char *name);
/* Follows a '/'-separated path of child names from x ("DescribeStacksResult/
 * Stacks/member"): the first match, or NULL. */
const struct lamb_xml *lamb_xml_find(const struct lamb_xml *x, const char *path);
/* The text of lamb_xml_find(x, path), or NULL when there is no such element.
 * Borrowed from the tree. */
const char *lamb_xml_text(const struct lamb_xml *x, const char *path);
/* The next sibling of x with x's name, or NULL: for (m = first; m; m = lamb_xml_next(m)). */
const struct lamb_xml *lamb_xml_next(const struct lamb_xml *x);

#endif
