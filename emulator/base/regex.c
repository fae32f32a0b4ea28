/* Java-like regular expressions on PCRE2: compile as a whole-string match,
 * match within limits. AllowedPattern and IdentityValidationExpression are
 * java.util.regex patterns; this is the nearest PCRE2 reading of them. */
#include "base/regex.h"
#include "base/util.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

/* Limits on one match, reached only by patterns that backtrack
 * catastrophically ("(a+)+$" against "aaa...b"): a fraction of a second of
 * matching, backtracking as deep as a 20,000-character value needs, and
 * 64 MB for the backtracking frames (a pattern of many groups has large
 * ones: PCRE2's own default is 20 GB). */
#define MATCH_LIMIT 1000000
#define DEPTH_LIMIT 20000
#define HEAP_LIMIT_KB (64 * 1024)

struct lamb_regex {
	pcre2_code *code;
};

/* The options, chosen to read java.util.regex's syntax and semantics:
 * - ANCHORED|ENDANCHORED: the whole value must match (String.matches),
 *   without wrapping the pattern in "^(...)$", which would renumber its
 *   groups and their backreferences;
 * - UTF: Java matches code points (not MATCH_INVALID_UTF, with which
 *   "[a-z]+" matches the whole of "abc\xff": a value that is not UTF-8
 *   fails the match with PCRE2's message);
 * - no UCP: Java's \d \w \s \b are ASCII unless (?U) says otherwise;
 * - PCRE2's own \xhh and \x{h...} are Java's too; NEVER_BACKSLASH_C: Java
 *   has no \C, which could split a UTF-8 character;
 * - newlines CR, LF and CRLF: what '.' does not match and '$' may precede.
 * Java syntax PCRE2 reads differently or rejects, left as is (a rejected
 * pattern is reported, so that the user knows the value is not checked):
 * - class unions and intersections ("[a-z&&[^aeiou]]", "[[a-f][0-9]]"):
 *   PCRE2 reads "&&" and the inner '[' as literal characters;
 * - \p{Lower}, \p{Alpha}, \p{Punct}... (Java's POSIX classes), \p{IsLatin},
 *   \p{InGreek}, \p{javaLowerCase}: unknown property names to PCRE2;
 * - the flag (?U): Unicode classes in Java, ungreedy in PCRE2; (?d) and
 *   (?u) are unknown to PCRE2; (?i) folds all of Unicode, Java only ASCII;
 * - '.' matches U+0085, U+2028 and U+2029, which Java's does not;
 * - \uhhhh is an error in PCRE2 (its ALT_BSUX option would read it, but
 *   would then read Java's \x{h...} as the letters "x{h...}"); in YAML
 *   write the character, or "\u00e9" double-quoted, which YAML decodes;
 * - bounds above 65535 ("a{1,99999}"), variable-length lookbehind
 *   ("(?<=a+)") and \N{name} are errors in PCRE2;
 * - PCRE2's own syntax (recursion, \K, (?|...)) is accepted. */
#define OPTIONS \
	(PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C)

/* PCRE2 allocates through xmalloc, so that running out of memory aborts as
 * it does everywhere else in lamb, and no call below returns NULL. */
static void *alloc(size_t n, void *data)
{
	(void)data;
	return xmalloc(n);
}

static void release(void *p, void *data)
{
	(void)data;
	free(p);
}

struct lamb_regex *lamb_regex_new(const char *pattern, struct lamb_err *err)
{
	pcre2_general_context *gc = pcre2_general_context_create(alloc, release, NULL);
	pcre2_compile_context *cc = pcre2_compile_context_create(gc);
	pcre2_set_newline(cc, PCRE2_NEWLINE_ANYCRLF);
	int code;
	PCRE2_SIZE offset;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, OPTIONS, &code, &offset, cc);
	pcre2_compile_context_free(cc);
	pcre2_general_context_free(gc);
	if (!c) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof(msg));
		lamb_err_set(err, "%s at offset %zu", (const char *)msg, (size_t)offset);
		return NULL;
	}
	struct lamb_regex *re = xmalloc(sizeof(*re));
	re->code = c;
	return re;
}

void lamb_regex_free(struct lamb_regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	free(re);
}

static int match_failed(int rc, struct lamb_err *err)
{
	PCRE2_UCHAR msg[256];
	pcre2_get_error_message(rc, msg, sizeof(msg));
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
		return lamb_err_set(err, "pattern too complex for this value (%s)", (const char *)msg);
	return lamb_err_set(err, "%s", (const char *)msg);
}

int lamb_regex_match(const struct lamb_regex *re, const char *s, struct lamb_err *err)
{
	pcre2_general_context *gc = pcre2_general_context_create(alloc, release, NULL);
	pcre2_match_context *mc = pcre2_match_context_create(gc);
	pcre2_match_data *md = pcre2_match_data_create(1, gc);
	pcre2_set_match_limit(mc, MATCH_LIMIT);
	pcre2_set_depth_limit(mc, DEPTH_LIMIT);
	pcre2_set_heap_limit(mc, HEAP_LIMIT_KB);
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, strlen(s), 0, 0, md, mc);
	pcre2_match_data_free(md);
	pcre2_match_context_free(mc);
	pcre2_general_context_free(gc);
	if (rc >= 0)
		return 1;
	return rc == PCRE2_ERROR_NOMATCH ? 0 : match_failed(rc, err);
}
