/* The catalogue behind `lamb local generate-event`: sample events kept as
 * data files, filled in with the user's values.
 *
 * A catalogue is a directory:
 *   DIR/options.json             options shared by many events (region, account, ...)
 *   DIR/SERVICE/manifest.json    {"description", "events": {EVENT: {"description",
 *                                 "options": {NAME: {"default", "help", "type"}},
 *                                 "encode": {"a.b.0.c": ["json", "gzip", "base64"]}}}}
 *   DIR/SERVICE/EVENT.json       the event, with {{name}} or {{name|filter|...}} in strings
 *
 * An option given as {} in a manifest takes its definition from options.json.
 * Values are put into the parsed event (never pasted into JSON text), so any
 * value is escaped correctly. A string that is exactly "{{name}}" becomes a
 * number, boolean or JSON value when the option's "type" says so. Filters:
 * url (S3 key encoding, unquote_plus undoes it), base64, md5 (hex), lower,
 * upper, trim-slash (no leading '/'). "encode" then replaces the value at a
 * path by its JSON text, gzip bytes and/or base64, in that order. */
#ifndef LAMB_EVENTS_H
#define LAMB_EVENTS_H

#include "base/err.h"

#include <cjson/cJSON.h>
#include <stddef.h>

struct lamb_event_value {
	const char *name;  /* option name without dashes: "bucket" */
	const char *value; /* as given on the command line */
};

/* The service names in dir, sorted: a cJSON array of strings. NULL on error.
 * Caller frees with cJSON_Delete. */
cJSON *lamb_events_services(const char *dir, struct lamb_err *err);

/* DIR/SERVICE/manifest.json with every event's options completed from
 * options.json. NULL on error. Caller frees with cJSON_Delete. */
cJSON *lamb_events_manifest(const char *dir, const char *service, struct lamb_err *err);

/* The event, with the defaults of the options not in values. An option not
 * declared for the event, a value of the wrong type, a placeholder naming
 * no option or an unknown filter is an error. Caller frees the result. */
cJSON *lamb_events_generate(const char *dir, const char *service, const char *event,
			    const struct lamb_event_value *values, size_t nvalues, struct lamb_err *err);

/* Filters, exposed for the tests. Each returns a string the caller frees,
 * or NULL for an unknown filter name. */
char *lamb_events_filter(const char *filter, const char *value);

#endif
