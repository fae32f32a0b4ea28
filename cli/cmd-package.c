/* lamb package: builds what is stale, uploads the artifacts S3 does not
 * have yet and prints the packaged template (stdout, or a file written
 * through a temporary file and a rename, so a failure leaves no half a
 * template). The AWS settings are checked before anything is built, so a
 * missing credential costs no build and sends no request. */
#include "aws/aws.h"
#include "aws/package.h"
#include "base/util.h"
#include "cli-build.h"
#include "cli-template.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct package_cli {
	struct template_opts t;
	struct lamb_aws_opts aws;
	struct lamb_package_opts o;
	struct cli_build_progress build;
	const char *output;
	bool quiet;
};

/* 1 when argv[*i] was one of package's own options, 0 when not, -1 after
 * a usage error. */
static int parse_own(struct package_cli *c, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const char **slot = cli_opt_is(a, NULL, "--s3-bucket") ? &c->o.bucket
		: cli_opt_is(a, NULL, "--s3-prefix") ? &c->o.prefix
		: cli_opt_is(a, NULL, "--output-template-file") ? &c->output
		: cli_opt_is(a, NULL, "--profile") ? &c->aws.profile
		: cli_opt_is(a, NULL, "--endpoint-url") ? &c->aws.endpoint_url
		: cli_opt_is(a, "-b", "--build-dir") ? &c->o.build.build_dir : NULL;
	if (slot) {
		*slot = cli_opt_value("package", argc, argv, i);
		return *slot ? 1 : -1;
	}
	if (strcmp(a, "--force-upload") == 0)
		c->o.force_upload = true;
	else if (strcmp(a, "--no-verify") == 0)
		c->o.no_verify = true;
	else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
		c->quiet = c->build.quiet = true;
	else
		return 0;
	return 1;
}

static int parse(struct package_cli *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = template_opts_parse(&c->t, "package", argc, argv, &i);
		if (r == 0)
			r = parse_own(c, argc, argv, &i);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_help(lamb_command_find("package"), stdout);
			return -1;
		}
		return usage_error("package", "unknown argument '%s'", a);
	}
	return EXIT_OK;
}

static void on_progress(const struct lamb_package_report *r, void *data)
{
	const struct package_cli *c = data;
	const char *key = r->uri + strlen("s3://") + strlen(c->o.bucket) + 1;
	char size[32];
	cli_size_str(size, sizeof(size), r->size);
	if (c->quiet || r->state == LAMB_PACKAGE_UPLOADED)
		return;
	if (r->state == LAMB_PACKAGE_UPLOADING)
		fprintf(stderr, "Uploading to %s  %s  (%s)\n", key, size, r->id);
	else
		fprintf(stderr, "%s exists, not uploaded  (%s)\n", key, r->id);
}

/* text to path through a temporary file beside it and a rename */
static int write_output(const char *path, const char *text)
{
	cleanup_free char *tmp = xasprintf("%s.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return fail("cannot create '%s': %s", tmp, strerror(errno));
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	int saved = errno;
	bool ok = off == len && fchmod(fd, 0644) == 0;
	if (close(fd) != 0 || !ok || rename(tmp, path) != 0) {
		saved = ok ? errno : saved;
		unlink(tmp);
		return fail("cannot write '%s': %s", path, strerror(saved));
	}
	return EXIT_OK;
}

static int emit(const struct package_cli *c, const char *text)
{
	if (!c->output) {
		fputs(text, stdout);
		return EXIT_OK;
	}
	int r = write_output(c->output, text);
	if (r == EXIT_OK && !c->quiet)
		fprintf(stderr, "lamb: packaged template written to '%s'\n", c->output);
	return r;
}

static int package(struct package_cli *c, const struct lamb_aws_config *aws)
{
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = template_opts_load(&c->t, &diags);
	lamb_diags_sort(&diags);
	int status = EXIT_OK;
	if (diags.errors || !m) {
		lamb_diags_print(&diags, stderr);
		status = EXIT_FAIL;
	} else {
		struct lamb_err err;
		cleanup_free char *out = NULL;
		if (lamb_package(m, aws, &c->o, &out, &err) < 0)
			status = fail("%s%s", c->build.failed ? "build failed: " : "", err.msg);
		else
			status = emit(c, out);
	}
	lamb_model_free(m);
	lamb_diags_release(&diags);
	return status;
}

static int run(struct package_cli *c)
{
	if (!c->o.bucket || !*c->o.bucket)
		return fail("no S3 bucket: give --s3-bucket BUCKET");
	struct lamb_aws_config aws;
	struct lamb_err err;
	lamb_aws_config_init(&aws);
	c->aws.region = c->t.region;
	int status = EXIT_OK;
	if (lamb_aws_config_load(&aws, &c->aws, &err) < 0)
		status = fail("%s", err.msg);
	if (status == EXIT_OK) {
		if (!c->t.region)
			c->t.region = aws.region; /* the model's AWS::Region */
		status = package(c, &aws);
	}
	lamb_aws_config_release(&aws);
	return status;
}

int cmd_package(int argc, char **argv)
{
	struct package_cli c = { 0 };
	template_opts_init(&c.t);
	c.build.quiet_cached = true;
	c.build.live = isatty(2) && !getenv("NO_COLOR") && getenv("TERM") && strcmp(getenv("TERM"), "dumb") != 0;
	c.o.build.progress = cli_build_on_progress;
	c.o.build.data = &c.build;
	cli_build_doctor_opts(&c.o.build);
	c.o.progress = on_progress;
	c.o.data = &c;
	int r = parse(&c, argc, argv);
	if (r == EXIT_OK)
		r = run(&c);
	else if (r < 0)
		r = EXIT_OK;
	template_opts_release(&c.t);
	return r;
}
