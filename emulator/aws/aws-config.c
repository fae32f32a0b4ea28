/* Where the credentials and the region come from, in the AWS CLI's order:
 * an explicit --profile wins over the environment's keys, then the
 * environment, then the profile's section of ~/.aws/credentials and of
 * ~/.aws/config. Only static keys are read: no SSO, no credential_process,
 * no instance metadata (lamb runs on a laptop; say so when a profile has
 * only those). */
#include "aws/aws.h"

#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lamb_aws_config_init(struct lamb_aws_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_attempts = 5;
}

void lamb_aws_config_release(struct lamb_aws_config *c)
{
	if (!c)
		return;
	free(c->access_key);
	free(c->secret_key);
	free(c->session_token);
	free(c->region);
	free(c->profile);
	free(c->endpoint_url);
	lamb_aws_config_init(c);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* One INI file, read whole: key = value lines under [section] headers. */
struct ini {
	char *path;
	char *text;   /* NULL: the file does not exist */
};

/* The value of key in section of ini (allocated), or NULL. *found tells
 * whether the section exists at all. Indented lines belong to a nested
 * block ("s3 =\n  addressing_style = path") and are skipped. */
static char *ini_get(const struct ini *ini, const char *section, const char *key, bool *found)
{
	if (!ini->text)
		return NULL;
	cleanup_free char *copy = xstrdup(ini->text);
	bool in = false;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bool indented = *line == ' ' || *line == '\t';
		char *l = trim(line);
		if (!*l || *l == '#' || *l == ';' || indented)
			continue;
		if (*l == '[') {
			char *close = strchr(l, ']');
			if (close)
				*close = '\0';
			in = strcmp(trim(l + 1), section) == 0;
			*found |= in;
			continue;
		}
		char *eq = strchr(l, '=');
		if (!in || !eq)
			continue;
		*eq = '\0';
		if (strcmp(trim(l), key) == 0)
			return xstrdup(trim(eq + 1));
	}
	return NULL;
}

static int ini_load(struct ini *ini, const char *env_name, const char *home_rel, struct lamb_err *err)
{
	const char *path = env(env_name);
	const char *home = env("HOME");
	ini->path = path ? xstrdup(path) : xasprintf("%s/%s", home ? home : "", home_rel);
	ini->text = lamb_read_file(ini->path, NULL);
	if (!ini->text && errno != ENOENT && errno != ENOTDIR)
		return lamb_err_set(err, "cannot read '%s': %s", ini->path, strerror(errno));
	return 0;
}

static void ini_release(struct ini *ini)
{
	free(ini->path);
	free(ini->text);
}

/* In ~/.aws/config a profile's section is "[profile NAME]", except
 * "[default]". */
static char *config_get(const struct ini *cfg, const char *profile, const char *key, bool *found)
{
	if (strcmp(profile, "default") == 0) {
		char *v = ini_get(cfg, "default", key, found);
		if (v)
			return v;
	}
	cleanup_free char *section = xasprintf("profile %s", profile);
	return ini_get(cfg, section, key, found);
}

/* key from the profile's credentials section, else its config section. */
static char *profile_get(const struct ini *creds, const struct ini *cfg, const char *profile,
			 const char *key, bool *found)
{
	char *v = ini_get(creds, profile, key, found);
	return v ? v : config_get(cfg, profile, key, found);
}

static int load_credentials(struct lamb_aws_config *c, const struct lamb_aws_opts *o,
			    const struct ini *creds, const struct ini *cfg, struct lamb_err *err)
{
	bool found = false;
	if (!o->profile && env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
		c->access_key = xstrdup(env("AWS_ACCESS_KEY_ID"));
		c->secret_key = xstrdup(env("AWS_SECRET_ACCESS_KEY"));
		c->session_token = env("AWS_SESSION_TOKEN") ? xstrdup(env("AWS_SESSION_TOKEN")) : NULL;
		return 0;
	}
	c->access_key = profile_get(creds, cfg, c->profile, "aws_access_key_id", &found);
	c->secret_key = profile_get(creds, cfg, c->profile, "aws_secret_access_key", &found);
	c->session_token = profile_get(creds, cfg, c->profile, "aws_session_token", &found);
	if (c->access_key && *c->access_key && c->secret_key && *c->secret_key)
		return 0;
	if (o->optional && (found || !(o->profile || env("AWS_PROFILE"))))
		return 0;
	if (!found && (o->profile || env("AWS_PROFILE")))
		return lamb_err_set(err, "AWS profile '%s' not found in '%s' or '%s'", c->profile,
				    creds->path, cfg->path);
	if (found)
		return lamb_err_set(err, "no AWS credentials: profile '%s' has no aws_access_key_id and "
				    "aws_secret_access_key in '%s' (lamb reads static keys only; "
				    "for SSO or other sources, export them with "
				    "'aws configure export-credentials --format env')",
				    c->profile, creds->path);
	return lamb_err_set(err, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
			    "or add profile '%s' to ~/.aws/credentials (aws configure)", c->profile);
}

static int load_settings(struct lamb_aws_config *c, const struct lamb_aws_opts *o,
			 const struct ini *cfg, struct lamb_err *err)
{
	bool found = false;
	const char *region = o->region ? o->region : env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION");
	c->region = region ? xstrdup(region) : config_get(cfg, c->profile, "region", &found);
	if ((!c->region || !*c->region) && o->optional)
		return 0;
	if (!c->region || !*c->region)
		return lamb_err_set(err, "no AWS region: give --region or set AWS_REGION");
	const char *url = o->endpoint_url ? o->endpoint_url : env("AWS_ENDPOINT_URL");
	c->endpoint_url = url ? xstrdup(url) : config_get(cfg, c->profile, "endpoint_url", &found);
	if (c->endpoint_url) {
		size_t n = strlen(c->endpoint_url);
		while (n > 0 && c->endpoint_url[n - 1] == '/')
			c->endpoint_url[--n] = '\0';
		if (!str_starts(c->endpoint_url, "http://") && !str_starts(c->endpoint_url, "https://"))
			return lamb_err_set(err, "endpoint URL '%s' must start with http:// or https://",
					    c->endpoint_url);
	}
	cleanup_free char *attempts = env("AWS_MAX_ATTEMPTS") ? xstrdup(env("AWS_MAX_ATTEMPTS"))
		: config_get(cfg, c->profile, "max_attempts", &found);
	if (attempts) {
		char *end;
		long n = strtol(attempts, &end, 10);
		if (*end || n < 1 || n > 20)
			return lamb_err_set(err, "max_attempts '%s' is not a number from 1 to 20", attempts);
		c->max_attempts = (int)n;
	}
	return 0;
}

int lamb_aws_config_load(struct lamb_aws_config *c, const struct lamb_aws_opts *o, struct lamb_err *err)
{
	struct ini creds = { 0 }, cfg = { 0 };
	const char *profile = o->profile ? o->profile : env("AWS_PROFILE");
	free(c->profile);
	c->profile = xstrdup(profile ? profile : "default");
	int r = ini_load(&creds, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", err);
	if (r == 0)
		r = ini_load(&cfg, "AWS_CONFIG_FILE", ".aws/config", err);
	if (r == 0)
		r = load_credentials(c, o, &creds, &cfg, err);
	if (r == 0)
		r = load_settings(c, o, &cfg, err);
	ini_release(&creds);
	ini_release(&cfg);
	return r;
}

int lamb_aws_config_local(struct lamb_aws_config *c, const char *profile, const char *region,
			  struct lamb_err *err)
{
	struct lamb_aws_opts o = { .profile = profile, .region = region, .optional = true };
	return lamb_aws_config_load(c, &o, err);
}
