/* EventBridge event patterns, in their full syntax: exact values, prefix,
 * suffix, anything-but, numeric, exists, wildcard, equals-ignore-case,
 * cidr, nested fields, arrays on either side and $or. Used by rules on
 * PutEvents and by event source mappings' FilterCriteria. */
#ifndef LAMB_EVENT_PATTERN_H
#define LAMB_EVENT_PATTERN_H

#include <cjson/cJSON.h>
#include <stdbool.h>

/* Whether event matches pattern (both parsed JSON). */
bool lamb_pattern_match(const cJSON *pattern, const cJSON *event);
/* The same with the pattern as text; false when it does not parse. */
bool lamb_pattern_match_text(const char *pattern, const cJSON *event);

#endif
