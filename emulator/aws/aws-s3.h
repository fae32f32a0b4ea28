/* The few S3 calls lamb needs: whether an object is there, and an upload
 * streamed from a file. Requests go path-style to an endpoint URL
 * (http://host:port/bucket/key), and virtual-hosted to AWS
 * (https://bucket.s3.<region>.amazonaws.com/key) except for bucket names
 * with dots, which a TLS wildcard certificate does not cover and so go
 * path-style (https://s3.<region>.amazonaws.com/bucket/key). */
#ifndef LAMB_AWS_S3_H
#define LAMB_AWS_S3_H

#include "aws/aws.h"
#include "base/err.h"

/* HeadObject: 1 when bucket/key exists, 0 when it does not, -1 with err
 * (AWS's code and message, e.g. SignatureDoesNotMatch) otherwise. */
int lamb_aws_s3_head_object(const struct lamb_aws_config *c, const char *bucket, const char *key,
			    struct lamb_err *err);

/* PutObject of file (streamed; retried uploads reopen it). A missing bucket
 * is "S3 bucket 'x' does not exist". */
int lamb_aws_s3_put_object(const struct lamb_aws_config *c, const char *bucket, const char *key,
			   const char *file, struct lamb_err *err);

#endif
