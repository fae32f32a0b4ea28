/* lamb package: build, upload what S3 does not have yet, rewrite the
 * template. Keys are the MD5 of the uploaded file, as SAM's are, so an
 * unchanged artifact is found by one HeadObject and not sent again (lamb's
 * zips are reproducible, so an unchanged tree gives the same bytes). Local
 * files named by DefinitionUri and friends are found in the template tree
 * itself: the model does not keep them. Nested stacks
 * (AWS::Serverless::Application, AWS::CloudFormation::Stack) are left as
 * written. */
#include "aws/package.h"

#include "aws/aws-s3.h"
#include "base/util.h"
#include "build/build-template.h"
#include "build/doctor.h"
#include "template/template.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/base16.h>
#include <nettle/md5.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One file to upload and the template value that replaces its path. */
struct item {
	const char *id;    /* resource logical id (the model's or the tree's) */
	const char *prop;  /* the property rewritten */
	const char *bucket_name, *key_name; /* a mapping value: its key names; NULL: an s3:// string */
	char *file;
	char *key;         /* the S3 key */
	char *value;       /* what the template gets */
	uint64_t size;
};

struct items {
	struct item *v;
	size_t len, cap;
};

static void items_release(struct items *s)
{
	for (size_t i = 0; i < s->len; i++) {
		free(s->v[i].file);
		free(s->v[i].key);
		free(s->v[i].value);
	}
	free(s->v);
}

static struct item *items_add(struct items *s, const char *id, const char *prop, char *file)
{
	s->v = xgrow(s->v, &s->cap, s->len + 1, sizeof(*s->v));
	struct item *it = &s->v[s->len++];
	*it = (struct item){ .id = id, .prop = prop, .file = file };
	return it;
}

/* Properties holding a local file that CloudFormation wants in S3; with
 * key names, the packaged value is a {Bucket, Key} mapping. */
static const struct definition {
	const char *type, *prop, *bucket_name, *key_name;
} definitions[] = {
	{ "AWS::Serverless::Api", "DefinitionUri", NULL, NULL },
	{ "AWS::Serverless::HttpApi", "DefinitionUri", NULL, NULL },
	{ "AWS::Serverless::StateMachine", "DefinitionUri", NULL, NULL },
	{ "AWS::ApiGateway::RestApi", "BodyS3Location", "Bucket", "Key" },
	{ "AWS::ApiGatewayV2::Api", "BodyS3Location", "Bucket", "Key" },
	{ "AWS::StepFunctions::StateMachine", "DefinitionS3Location", "Bucket", "Key" },
};

static char *absolute(const char *dir, const char *path)
{
	return path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", dir, path);
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The local file of one definition property, when it names one. */
static int add_definition(struct items *s, const struct lamb_model *m, const char *id,
			  const struct definition *d, const struct lamb_node *v, struct lamb_err *err)
{
	const char *path = lamb_node_str(v);
	if (!path || str_starts(path, "s3://") || str_starts(path, "https://") || str_starts(path, "http://"))
		return 0; /* an S3 mapping, an intrinsic, or already remote */
	char *file = absolute(m->dir, path);
	if (!is_file(file)) {
		lamb_err_set(err, "%s:%u:%u: %s of '%s': '%s' %s", v->mark.file, v->mark.line, v->mark.col,
			     d->prop, id, path, access(file, F_OK) == 0 ? "is not a file" : "does not exist");
		free(file);
		return -1;
	}
	struct item *it = items_add(s, id, d->prop, file);
	it->bucket_name = d->bucket_name;
	it->key_name = d->key_name;
	return 0;
}

static int resource_definitions(struct items *s, const struct lamb_model *m, struct lamb_arena *a,
				const struct lamb_pair *r, struct lamb_err *err)
{
	const char *type = lamb_node_str(lamb_node_get(r->value, "Type"));
	const struct lamb_node *props = lamb_node_get(r->value, "Properties");
	const char *id = lamb_arena_strdup(a, r->key->str);
	for (size_t i = 0; type && props && i < ARRAY_SIZE(definitions); i++) {
		const struct lamb_node *v = lamb_node_get(props, definitions[i].prop);
		if (strcmp(type, definitions[i].type) == 0 && v && add_definition(s, m, id, &definitions[i], v, err) < 0)
			return -1;
	}
	return 0;
}

/* Reads the template again as a tree: the model keeps no DefinitionUri. */
static int find_definitions(struct items *s, const struct lamb_model *m, const char *src, size_t len,
			    struct lamb_arena *a, const struct lamb_node **tree, struct lamb_err *err)
{
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	const struct lamb_node *root = *tree = lamb_template_parse(a, m->path, src, len, &diags);
	lamb_diags_release(&diags);
	if (!root)
		return lamb_err_set(err, "cannot parse '%s' again", m->path);
	const struct lamb_node *res = lamb_node_get(root, "Resources");
	for (size_t i = 0; res && res->kind == LAMB_MAP && i < res->len; i++)
		if (resource_definitions(s, m, a, &res->pairs[i], err) < 0)
			return -1;
	return 0;
}

static bool sam_type(const char *type)
{
	return str_starts(type, "AWS::Serverless::");
}

static const char *code_prop(const char *type, bool layer)
{
	if (layer)
		return sam_type(type) ? "ContentUri" : "Content";
	return sam_type(type) ? "CodeUri" : "Code";
}

/* A local code path that does not exist, named where the template says it
 * (its CodeUri/ContentUri/Code/Content, else the resource: Globals or the
 * default gave it). */
static int missing(const struct lamb_node *root, const char *id, const char *type, bool layer, const char *code,
		   const struct lamb_mark *mark, struct lamb_err *err)
{
	const struct lamb_node *res = lamb_node_get(lamb_node_get(root, "Resources"), id);
	const struct lamb_node *v = lamb_node_get(lamb_node_get(res, "Properties"), code_prop(type, layer));
	if (v)
		mark = &v->mark;
	return lamb_err_set(err, "%s:%u:%u: %s '%s': code '%s' does not exist", mark->file, mark->line, mark->col,
			    layer ? "layer" : "function", id, code);
}

/* Before the build, which would say it less well: every local code path
 * exists. */
static int check_code(const struct lamb_model *m, const struct lamb_node *root, struct lamb_err *err)
{
	for (size_t i = 0; i < m->nlayers; i++) {
		const struct lamb_layer *l = &m->layers[i];
		if (!l->stack && l->code_kind == LAMB_CODE_LOCAL && access(l->content, F_OK) != 0)
			return missing(root, l->logical_id, l->type, true, l->content, &l->mark, err);
	}
	for (size_t i = 0; i < m->nfunctions; i++) {
		const struct lamb_function *f = &m->functions[i];
		if (!f->stack && f->code_kind == LAMB_CODE_LOCAL && str_eq(f->package_type, "Zip") &&
		    access(f->code, F_OK) != 0)
			return missing(root, f->logical_id, f->type, false, f->code, &f->mark, err);
	}
	return 0;
}

/* The file a built function or layer is uploaded from: the zip lamb build
 * made of a directory, or a .zip given as the code itself. */
static int add_code(struct items *s, const char *build_dir, const char *id, const char *type, bool layer,
		    const char *code, const struct lamb_mark *mark, struct lamb_err *err)
{
	struct stat st;
	if (stat(code, &st) != 0)
		return lamb_err_set(err, "%s:%u:%u: %s '%s': code '%s' does not exist", mark->file, mark->line,
				    mark->col, layer ? "layer" : "function", id, code);
	char *file = S_ISDIR(st.st_mode) ? xasprintf("%s/artifacts/%s.zip", build_dir, id) : xstrdup(code);
	struct item *it = items_add(s, id, code_prop(type, layer), file);
	if (!sam_type(type)) {
		it->bucket_name = "S3Bucket";
		it->key_name = "S3Key";
	}
	if (!is_file(file))
		return lamb_err_set(err, "%s '%s': '%s' was not built", layer ? "layer" : "function", id, file);
	return 0;
}

static int find_code(struct items *s, const struct lamb_model *m, const char *build_dir, struct lamb_err *err)
{
	for (size_t i = 0; i < m->nlayers; i++) {
		const struct lamb_layer *l = &m->layers[i];
		if (!l->stack && l->code_kind == LAMB_CODE_LOCAL && /* nested: not packaged */
		    add_code(s, build_dir, l->logical_id, l->type, true, l->content, &l->mark, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < m->nfunctions; i++) {
		const struct lamb_function *f = &m->functions[i];
		if (!f->stack && f->code_kind == LAMB_CODE_LOCAL && str_eq(f->package_type, "Zip") &&
		    add_code(s, build_dir, f->logical_id, f->type, false, f->code, &f->mark, err) < 0)
			return -1;
	}
	return 0;
}

static int md5_file(const char *path, char hex[33], uint64_t *size, struct lamb_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lamb_err_set(err, "cannot read '%s': %s", path, strerror(errno));
	struct md5_ctx c;
	md5_init(&c);
	char buf[65536];
	ssize_t n;
	*size = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		md5_update(&c, (size_t)n, (const uint8_t *)buf);
		*size += (uint64_t)n;
	}
	int saved = errno;
	close(fd);
	if (n < 0)
		return lamb_err_set(err, "cannot read '%s': %s", path, strerror(saved));
	uint8_t d[MD5_DIGEST_SIZE];
	md5_digest(&c, sizeof(d), d);
	base16_encode_update(hex, sizeof(d), d); /* lower case, as S3's ETags */
	hex[BASE16_ENCODE_LENGTH(MD5_DIGEST_SIZE)] = '\0';
	return 0;
}

static void set_value(struct item *it, const char *bucket)
{
	if (!it->bucket_name) {
		it->value = xasprintf("s3://%s/%s", bucket, it->key);
		return;
	}
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_buf_addf(&b, "{\"%s\": ", it->bucket_name);
	lamb_buf_addquoted(&b, bucket);
	lamb_buf_addf(&b, ", \"%s\": ", it->key_name);
	lamb_buf_addquoted(&b, it->key);
	lamb_buf_addch(&b, '}');
	it->value = lamb_buf_steal(&b);
}

static void report(const struct lamb_package_opts *o, const struct item *it, const char *uri,
		   enum lamb_package_state state)
{
	if (!o->progress)
		return;
	struct lamb_package_report r = { .id = it->id, .file = it->file, .uri = uri, .size = it->size, .state = state };
	o->progress(&r, o->data);
}

/* Whether an earlier item of this run already has key. */
static bool done_before(const struct items *s, const struct item *it)
{
	for (const struct item *p = s->v; p < it; p++)
		if (strcmp(p->key, it->key) == 0)
			return true;
	return false;
}

static int upload(const struct items *s, struct item *it, const struct lamb_aws_config *aws,
		  const struct lamb_package_opts *o, struct lamb_err *err)
{
	char hex[33];
	if (md5_file(it->file, hex, &it->size, err) < 0)
		return -1;
	const char *prefix = o->prefix && *o->prefix ? o->prefix : NULL;
	it->key = prefix ? xasprintf("%s%s%s", prefix, str_ends(prefix, "/") ? "" : "/", hex) : xstrdup(hex);
	set_value(it, o->bucket);
	cleanup_free char *uri = xasprintf("s3://%s/%s", o->bucket, it->key);
	int there = done_before(s, it) ? 1 : o->force_upload ? 0 : lamb_aws_s3_head_object(aws, o->bucket, it->key, err);
	if (there < 0)
		return -1;
	if (there) {
		report(o, it, uri, LAMB_PACKAGE_EXISTS);
		return 0;
	}
	report(o, it, uri, LAMB_PACKAGE_UPLOADING);
	if (lamb_aws_s3_put_object(aws, o->bucket, it->key, it->file, err) < 0)
		return -1;
	report(o, it, uri, LAMB_PACKAGE_UPLOADED);
	return 0;
}

static char *rewrite(const struct lamb_model *m, const char *src, size_t len, const struct items *s,
		     struct lamb_err *err)
{
	struct lamb_build_uri *uris = xcalloc(s->len + 1, sizeof(*uris));
	for (size_t i = 0; i < s->len; i++)
		uris[i] = (struct lamb_build_uri){ .id = s->v[i].id, .key = s->v[i].prop, .value = s->v[i].value,
						   .raw = s->v[i].bucket_name != NULL };
	char *out = lamb_build_template_rewrite(m->path, src, len, uris, s->len, err);
	free(uris);
	return out;
}

/* What Lambda could not load is not uploaded: a failure on AWS costs a
 * deploy and a rollback, and says less than the doctor does. */
static int verify(const struct lamb_model *m, const struct lamb_package_opts *o, struct lamb_err *err)
{
	size_t problems, checked;
	if (lamb_doctor_check(m, &o->build, &problems, &checked, err) < 0)
		return -1;
	if (problems)
		return lamb_err_set(err, "not uploaded: %zu problem%s in the artifacts would fail on Lambda (fix them, "
				    "or upload anyway with --no-verify)", problems, problems == 1 ? "" : "s");
	return 0;
}

static int package(const struct lamb_model *m, const struct lamb_aws_config *aws, const struct lamb_package_opts *o,
		   const char *src, size_t len, char **out, struct lamb_err *err)
{
	struct items s = { 0 };
	struct lamb_arena *a = lamb_arena_new();
	cleanup_free char *build_dir = lamb_build_dir(m, &o->build);
	const struct lamb_node *root = NULL;
	int r = find_definitions(&s, m, src, len, a, &root, err);
	if (r == 0)
		r = check_code(m, root, err);
	if (r == 0)
		r = lamb_build(m, &o->build, err);
	if (r == 0 && !o->no_verify)
		r = verify(m, o, err);
	if (r == 0)
		r = find_code(&s, m, build_dir, err);
	for (size_t i = 0; r == 0 && i < s.len; i++)
		r = upload(&s, &s.v[i], aws, o, err);
	if (r == 0 && !(*out = rewrite(m, src, len, &s, err)))
		r = -1;
	items_release(&s);
	lamb_arena_free(a);
	return r;
}

int lamb_package(const struct lamb_model *m, const struct lamb_aws_config *aws,
		 const struct lamb_package_opts *o, char **out, struct lamb_err *err)
{
	*out = NULL;
	if (!o->bucket || !*o->bucket)
		return lamb_err_set(err, "no S3 bucket: give --s3-bucket");
	size_t len;
	cleanup_free char *src = lamb_read_file(m->path, &len);
	if (!src)
		return lamb_err_set(err, "cannot read '%s': %s", m->path, strerror(errno));
	return package(m, aws, o, src, len, out, err);
}
