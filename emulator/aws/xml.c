/* The XML reader for AWS's answers, on libxml2: libxml2 parses, and the
 * document is copied into the small tree of xml.h that the callers walk.
 * No network, no entity substitution, no DTD (refused as it starts), and
 * libxml2's own limits (depth, sizes, no XML_PARSE_HUGE) keep any input
 * safe; the fuzz target leans on that. */
#include "aws/xml.h"

#include "base/util.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* xmlReadMemory takes an int; AWS's answers are far smaller anyway */
#define MAX_ANSWER (64u * 1024 * 1024)

/* NONET: never fetch anything. No NOENT: entity references are not
 * substituted. No DTDLOAD, no HUGE: libxml2's default bounds apply.
 * NOERROR/NOWARNING: the error goes to err, not to stderr. */
#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* libxml2 wants its first initialisation on one thread only */
static void init_libxml(void)
{
	xmlInitParser();
}

/* What went wrong, for err: libxml2 goes on after its first fatal error
 * and its last one ("Extra content at the end of the document") is often
 * a consequence, so the first is kept. */
struct problem {
	bool doctype;
	int line;
	char msg[200];
};

static void keep_first_error(void *ctx, xmlErrorPtr e)
{
	struct problem *p = ((xmlParserCtxtPtr)ctx)->_private;
	if (p->line || e->level != XML_ERR_FATAL)
		return;
	p->line = e->line > 0 ? e->line : 1;
	snprintf(p->msg, sizeof(p->msg), "%s", e->message ? e->message : "not an XML document");
	p->msg[strcspn(p->msg, "\n")] = '\0';
}

/* A DOCTYPE is where entity declarations live: AWS never sends one, so
 * stop the parser on it rather than read what it declares. */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *public_id, const xmlChar *system_id)
{
	(void)name, (void)public_id, (void)system_id;
	xmlParserCtxtPtr ctxt = ctx;
	struct problem *p = ctxt->_private;
	p->doctype = true;
	p->line = xmlSAX2GetLineNumber(ctxt);
	snprintf(p->msg, sizeof(p->msg), "DOCTYPE and other declarations are not supported");
	xmlStopParser(ctxt);
}

static const char *local_name(const xmlChar *name)
{
	const char *colon = strrchr((const char *)name, ':');
	return colon ? colon + 1 : (const char *)name;
}

/* An element and its descendants (depth bounded by libxml2's limit). */
static struct lamb_xml *copy_element(const xmlNode *n)
{
	struct lamb_xml *x = xcalloc(1, sizeof(*x));
	x->name = xstrdup(local_name(n->name));
	struct lamb_buf text;
	lamb_buf_init(&text);
	struct lamb_xml **tail = &x->first_child;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			lamb_buf_addstr(&text, (const char *)c->content);
		} else if (c->type == XML_ELEMENT_NODE) {
			*tail = copy_element(c);
			tail = &(*tail)->next;
		}
	}
	x->text = lamb_buf_steal(&text);
	return x;
}

struct lamb_xml *lamb_xml_parse(const char *data, size_t len, struct lamb_err *err)
{
	if (len > MAX_ANSWER)
		return lamb_err_set(err, "XML answer too large (%zu bytes)", len), NULL;
	pthread_once(&init_once, init_libxml);
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt)
		abort(); /* out of memory, as the x* allocators do */
	struct problem p = { 0 };
	ctxt->_private = &p;
	ctxt->sax->internalSubset = refuse_doctype;
	ctxt->sax->serror = keep_first_error;
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, data, (int)len, NULL, NULL, PARSE_OPTIONS);
	const xmlNode *root = doc && !p.doctype ? xmlDocGetRootElement(doc) : NULL;
	struct lamb_xml *x = root ? copy_element(root) : NULL;
	if (!x)
		lamb_err_set(err, "line %d: %s", p.line ? p.line : 1, p.line ? p.msg : "not an XML document");
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return x;
}

void lamb_xml_free(struct lamb_xml *x)
{
	/* siblings iteratively, children recursively: depth is bounded */
	while (x) {
		struct lamb_xml *next = x->next;
		lamb_xml_free(x->first_child);
		free(x->name);
		free(x->text);
		free(x);
		x = next;
	}
}

const struct lamb_xml *lamb_xml_child(const struct lamb_xml *x, const char *name)
{
	for (const struct lamb_xml *c = x ? x->first_child : NULL; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const struct lamb_xml *lamb_xml_find(const struct lamb_xml *x, const char *path)
{
	while (x && *path) {
		const char *slash = strchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : strlen(path);
		cleanup_free char *name = xstrndup(path, n);
		x = lamb_xml_child(x, name);
		path += n + (slash ? 1 : 0);
	}
	return x;
}

const char *lamb_xml_text(const struct lamb_xml *x, const char *path)
{
	const struct lamb_xml *e = lamb_xml_find(x, path);
	return e ? e->text : NULL;
}

const struct lamb_xml *lamb_xml_next(const struct lamb_xml *x)
{
	for (const struct lamb_xml *s = x ? x->next : NULL; s; s = s->next)
		if (strcmp(s->name, x->name) == 0)
			return s;
	return NULL;
}
