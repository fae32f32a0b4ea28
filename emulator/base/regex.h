/* Regular expressions as AWS's Java services read them (CloudFormation's
 * AllowedPattern, API Gateway's IdentityValidationExpression): PCRE2 with
 * options close to java.util.regex, matched against the whole string, and
 * with match limits so that a catastrophic pattern fails instead of hanging. */
#ifndef LAMB_REGEX_H
#define LAMB_REGEX_H

#include "base/err.h"

struct lamb_regex;

/* Compiles pattern to match whole strings only, as Java's String.matches
 * does. NULL with err ("<PCRE2's message> at offset N") on a bad pattern.
 * Caller frees with lamb_regex_free. */
struct lamb_regex *lamb_regex_new(const char *pattern, struct lamb_err *err);
void lamb_regex_free(struct lamb_regex *re);

/* 1 when the whole of s matches, 0 when not, -1 with err when lamb could
 * not decide: the pattern is too complex for this value (PCRE2's match,
 * depth or heap limit), or the value is not UTF-8. */
int lamb_regex_match(const struct lamb_regex *re, const char *s, struct lamb_err *err);

#endif
