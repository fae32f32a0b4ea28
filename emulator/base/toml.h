/* A reader for the part of TOML that samconfig.toml files use: [tables]
 * (dotted too), key = value with bare, quoted and dotted keys, basic and
 * literal one-line strings with their escapes, decimal integers and floats,
 * booleans, arrays (nested, over several lines), comments. Anything else
 * (multi-line strings, inline tables, arrays of tables, dates, hex numbers)
 * is an error naming the line, not a guess. */
#ifndef LAMB_TOML_H
#define LAMB_TOML_H

#include "base/err.h"

#include <stddef.h>

struct cJSON;

/* Parses len bytes of text (NULs refused, no terminator needed) into a
 * cJSON object: tables are objects, arrays arrays, integers and floats
 * numbers (an integer beyond 2^53 is an error), booleans and strings as
 * such. name is the file for messages ("NAME:LINE: ..."). Caller frees the
 * tree with cJSON_Delete; NULL with err on the first problem. */
struct cJSON *lamb_toml_parse(const char *text, size_t len, const char *name, struct lamb_err *err);

#endif
