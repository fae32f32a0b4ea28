/* libxml2, opened on first use (base/lazy.h): only S3's and CloudFormation's
 * answers are XML, yet linked the usual way libxml2 brings ICU and
 * libstdc++, about 3.7 ms of CPU before main for every lamb command
 * (bench/README). An entry point new to xml.c fails the link until it has
 * its line below. */
#include "base/lazy.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#define XML_ENTRY_POINTS(F, V) \
	F(xmlDocPtr, xmlCtxtReadMemory, \
	  (xmlParserCtxtPtr c, const char *b, int n, const char *url, const char *enc, int o), \
	  (c, b, n, url, enc, o)) \
	F(xmlNodePtr, xmlDocGetRootElement, (const xmlDoc *d), (d)) \
	V(xmlFreeDoc, (xmlDocPtr d), (d)) \
	V(xmlFreeParserCtxt, (xmlParserCtxtPtr c), (c)) \
	V(xmlInitParser, (void), ()) \
	F(xmlParserCtxtPtr, xmlNewParserCtxt, (void), ()) \
	F(int, xmlSAX2GetLineNumber, (void *c), (c)) \
	V(xmlStopParser, (xmlParserCtxtPtr c), (c))

LAMB_LAZY_LIB("libxml2.so.2", XML_ENTRY_POINTS)
