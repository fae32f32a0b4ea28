/* lamb package: builds what is stale, uploads each function and layer zip
 * (and each local DefinitionUri file) to S3 under a key made of its content
 * hash, and gives back the template text with every local location replaced
 * by its s3:// one; everything else in the template is kept as written.
 * lamb deploy packages through the same call. */
#ifndef LAMB_PACKAGE_H
#define LAMB_PACKAGE_H

#include "aws/aws.h"
#include "base/err.h"
#include "build/build.h"
#include "model/model.h"

#include <stdbool.h>
#include <stdint.h>

enum lamb_package_state {
	LAMB_PACKAGE_UPLOADING, /* about to send: for a live line */
	LAMB_PACKAGE_UPLOADED,
	LAMB_PACKAGE_EXISTS,    /* the same content is already there: not sent */
};

/* One artifact's fate; strings borrowed for the callback only. */
struct lamb_package_report {
	const char *id;   /* resource logical id */
	const char *file; /* what is (or would be) uploaded */
	const char *uri;  /* s3://bucket/key */
	uint64_t size;
	enum lamb_package_state state;
};

typedef void (*lamb_package_progress_fn)(const struct lamb_package_report *r, void *data);

struct lamb_package_opts {
	const char *bucket;       /* --s3-bucket (required) */
	const char *prefix;       /* --s3-prefix, or NULL */
	bool force_upload;        /* upload even what is already there */
	bool no_verify;           /* upload what the native-code doctor finds fault with */
	struct lamb_build_opts build; /* how stale artifacts are built */
	lamb_package_progress_fn progress; /* may be NULL */
	void *data;
};

/* Builds, uploads and rewrites m's template. *out: the packaged template
 * text, allocated, caller frees. Nothing is uploaded when the build fails,
 * nor (unless o->no_verify) when the native-code doctor finds a problem in
 * an artifact: each goes to o->build.problem first. */
int lamb_package(const struct lamb_model *m, const struct lamb_aws_config *aws,
		 const struct lamb_package_opts *o, char **out, struct lamb_err *err);

#endif
