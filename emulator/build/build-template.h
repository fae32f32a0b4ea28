/* Writing the built template: the source text, byte for byte, with only the
 * code locations of the built resources replaced (CodeUri, ContentUri, and
 * the string forms of AWS::Lambda Code/Content). A resource that took its
 * location from Globals or the default '.' gets the property added as the
 * first of its Properties. Values are written as double-quoted strings,
 * which read the same in YAML and in JSON, or as given when raw. */
#ifndef LAMB_BUILD_TEMPLATE_H
#define LAMB_BUILD_TEMPLATE_H

#include "base/err.h"

#include <stdbool.h>
#include <stddef.h>

struct lamb_build_uri {
	const char *id;    /* resource logical id */
	const char *key;   /* "CodeUri", "ContentUri", "Code" or "Content" */
	const char *value; /* the new location */
	bool raw;          /* value is written as it is (a flow mapping such as
			    * {"S3Bucket": "b", "S3Key": "k"}), not quoted */
};

/* The rewritten text of src (len bytes, named file in errors): allocated,
 * caller frees; NULL with err when the text does not parse or a resource
 * cannot be rewritten (a Properties written in a way lamb cannot add to). */
char *lamb_build_template_rewrite(const char *file, const char *src, size_t len,
				  const struct lamb_build_uri *uris, size_t n, struct lamb_err *err);

#endif
