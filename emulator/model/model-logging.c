/* A function's LoggingConfig (LogFormat, ApplicationLogLevel, SystemLogLevel,
 * LogGroup), TenancyConfig and SnapStart, read and checked against the values Lambda's
 * API accepts. What they change at run time is the engine's business
 * (env-vars.c, invoke.c, pool.c); this file only reads them. */
#include "model/model-build.h"

#include <string.h>
#include <strings.h>

static const char *const level_names[] = { "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL" };

const char *lamb_log_level_name(enum lamb_log_level level)
{
	return level_names[level];
}

/* key's level in [lo, hi], or def when absent or not one of them (reported). */
static enum lamb_log_level level_of(struct builder *b, const struct lamb_node *cfg, const char *key,
				    enum lamb_log_level lo, enum lamb_log_level hi, enum lamb_log_level def)
{
	const char *v = prop_str(b, cfg, key);
	if (!v)
		return def;
	for (int l = (int)lo; l <= (int)hi; l++)
		if (strcasecmp(v, level_names[l]) == 0)
			return (enum lamb_log_level)l;
	lamb_error(b->diags, &lamb_node_get(cfg, key)->mark, "%s must be one of %s ... %s, not '%s'", key,
		   level_names[lo], level_names[hi], v);
	return def;
}

void read_logging(struct builder *b, struct lamb_function *f)
{
	const struct lamb_node *cfg = f->logging_config;
	struct lamb_logging *l = &f->logging;
	l->app = l->system = LAMB_LOG_INFO;
	if (!cfg)
		return;
	const char *format = prop_str(b, cfg, "LogFormat");
	if (format && strcasecmp(format, "JSON") != 0 && strcasecmp(format, "Text") != 0)
		lamb_error(b->diags, &lamb_node_get(cfg, "LogFormat")->mark,
			   "LogFormat must be JSON or Text, not '%s'", format);
	l->set = format != NULL;
	l->json = format && strcasecmp(format, "JSON") == 0;
	l->app = level_of(b, cfg, "ApplicationLogLevel", LAMB_LOG_TRACE, LAMB_LOG_FATAL, LAMB_LOG_INFO);
	l->system = level_of(b, cfg, "SystemLogLevel", LAMB_LOG_DEBUG, LAMB_LOG_WARN, LAMB_LOG_INFO);
	l->log_group = prop_str(b, cfg, "LogGroup");
	/* Lambda's API refuses levels with the Text format (the default) */
	const char *levels[] = { "ApplicationLogLevel", "SystemLogLevel" };
	bool text = !format || strcasecmp(format, "Text") == 0;
	for (size_t i = 0; i < 2 && text; i++)
		if (lamb_node_get(cfg, levels[i]))
			lamb_warning(b->diags, &lamb_node_get(cfg, levels[i])->mark,
				     "%s needs LogFormat: JSON; Lambda refuses it with Text", levels[i]);
}

void read_tenancy(struct builder *b, struct lamb_function *f, const struct lamb_node *props)
{
	const struct lamb_node *cfg = prop_kind(b, props, "TenancyConfig", LAMB_MAP);
	const char *mode = cfg ? prop_str(b, cfg, "TenantIsolationMode") : NULL;
	if (cfg && !lamb_node_get(cfg, "TenantIsolationMode"))
		lamb_error(b->diags, &cfg->mark, "TenancyConfig needs TenantIsolationMode (PER_TENANT)");
	else if (mode && strcmp(mode, "PER_TENANT") != 0)
		lamb_error(b->diags, &lamb_node_get(cfg, "TenantIsolationMode")->mark,
			   "TenantIsolationMode must be PER_TENANT, not '%s'", mode);
	f->per_tenant = mode && strcmp(mode, "PER_TENANT") == 0;
}

/* SnapStart's ApplyOn takes PublishedVersions or None (the CloudFormation
 * schema's enum): lamb runs what it would run for the published version. */
void read_snapstart(struct builder *b, struct lamb_function *f, const struct lamb_node *props)
{
	const struct lamb_node *cfg = prop_kind(b, props, "SnapStart", LAMB_MAP);
	const char *apply = cfg ? prop_str(b, cfg, "ApplyOn") : NULL;
	if (apply && strcmp(apply, "PublishedVersions") != 0 && strcmp(apply, "None") != 0)
		lamb_error(b->diags, &lamb_node_get(cfg, "ApplyOn")->mark,
			   "SnapStart's ApplyOn must be PublishedVersions or None, not '%s'", apply);
	f->snapstart = apply && strcmp(apply, "PublishedVersions") == 0;
}
