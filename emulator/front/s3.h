/* lamb local start's S3: each AWS::S3::Bucket of the template is a
 * directory, .lamb/s3/BUCKET/ beside the template, served path-style on the
 * services port (PutObject, GetObject, HeadObject, ListObjectsV2,
 * DeleteObject, CopyObject). A file written through it, or dropped into the
 * directory, fires the S3 events of functions whose Events and Filter
 * prefix/suffix rules match (ObjectCreated:*, ObjectRemoved:*),
 * asynchronously. */
#ifndef LAMB_S3_H
#define LAMB_S3_H

#include "front/async.h"
#include "http/http-message.h"
#include "model/model.h"

#include <stdio.h>

struct lamb_s3;

struct lamb_s3 *lamb_s3_new(struct lamb_loop *loop, const struct lamb_model *m, struct lamb_async *async,
			    struct lamb_scheduler *clock, FILE *log);
void lamb_s3_free(struct lamb_s3 *s);
void lamb_s3_describe(const struct lamb_s3 *s, FILE *out);
/* Answers req into r when its path names a bucket; false otherwise. */
bool lamb_s3_handle(struct lamb_s3 *s, const struct lamb_http_request *req, const char *copy_source,
		    const char *trace, struct lamb_http_response *r);

#endif
