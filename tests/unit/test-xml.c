/* The XML reader on the shapes AWS answers with (S3 errors, Query API
 * results with member lists), on entities and CDATA, on malformed input
 * that must be refused with a line number rather than misread, and on the
 * DOCTYPEs (entity bombs, external entities) it refuses outright. */
#include "unit.h"

#include "base/util.h"
#include "aws/xml.h"

#include <stdio.h>

static struct lamb_xml *parse(const char *s)
{
	struct lamb_err err = { 0 };
	struct lamb_xml *x = lamb_xml_parse(s, strlen(s), &err);
	if (!x)
		fprintf(stderr, "parse failed: %s\n", err.msg);
	return x;
}

static void test_s3_error(void **state)
{
	(void)state;
	struct lamb_xml *x = parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				   "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>"
				   "<BucketName>b</BucketName><RequestId>R1</RequestId></Error>\n");
	assert_non_null(x);
	assert_string_equal(x->name, "Error");
	assert_string_equal(lamb_xml_text(x, "Code"), "NoSuchBucket");
	assert_string_equal(lamb_xml_text(x, "Message"), "The specified bucket does not exist");
	assert_null(lamb_xml_text(x, "Nope"));
	lamb_xml_free(x);
}

static void test_query_members(void **state)
{
	(void)state;
	struct lamb_xml *x = parse(
		"<DescribeStacksResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\n"
		"  <DescribeStacksResult>\n    <Stacks>\n"
		"      <member><StackName>a</StackName><StackStatus>CREATE_COMPLETE</StackStatus></member>\n"
		"      <!-- a comment -->\n"
		"      <other/>\n"
		"      <member><StackName>b</StackName><Outputs/></member>\n"
		"    </Stacks>\n  </DescribeStacksResult>\n"
		"  <ResponseMetadata><RequestId>abc</RequestId></ResponseMetadata>\n"
		"</DescribeStacksResponse>");
	assert_non_null(x);
	const struct lamb_xml *m = lamb_xml_find(x, "DescribeStacksResult/Stacks/member");
	assert_non_null(m);
	assert_string_equal(lamb_xml_text(m, "StackName"), "a");
	m = lamb_xml_next(m);
	assert_non_null(m);
	assert_string_equal(lamb_xml_text(m, "StackName"), "b");
	assert_string_equal(lamb_xml_text(m, "Outputs"), "");
	assert_null(lamb_xml_next(m));
	assert_string_equal(lamb_xml_text(x, "ResponseMetadata/RequestId"), "abc");
	assert_null(lamb_xml_find(x, "DescribeStacksResult/Nope/member"));
	assert_null(lamb_xml_find(NULL, "a"));
	lamb_xml_free(x);
}

static void test_entities_cdata_prefix(void **state)
{
	(void)state;
	struct lamb_xml *x = parse("<s:Root xmlns:s='x' a=\"1 > 0\"><s:V>a &lt;b&gt; &amp; &quot;c&quot; &apos;"
				   "&#65;&#x42;&#xe9;&#x1F600;</s:V><C><![CDATA[<raw> & ]]>tail</C></s:Root>");
	assert_non_null(x);
	assert_string_equal(x->name, "Root");
	assert_string_equal(lamb_xml_text(x, "V"), "a <b> & \"c\" 'AB\xc3\xa9\xf0\x9f\x98\x80");
	assert_string_equal(lamb_xml_text(x, "C"), "<raw> & tail");
	lamb_xml_free(x);
}

static void expect_error(const char *s, const char *what)
{
	struct lamb_err err = { 0 };
	struct lamb_xml *x = lamb_xml_parse(s, strlen(s), &err);
	if (x)
		fprintf(stderr, "accepted: %s\n", s);
	assert_null(x);
	if (!strstr(err.msg, what))
		fprintf(stderr, "'%s': got '%s', want '%s'\n", s, err.msg, what);
	assert_non_null(strstr(err.msg, what));
}

/* libxml2's messages, after the line of its first fatal error */
static void test_malformed(void **state)
{
	(void)state;
	expect_error("", "line 1: Document is empty");
	expect_error("text", "Start tag expected");
	expect_error("<a>", "Premature end of data in tag a");
	expect_error("<a>\n<b></a>", "line 2: Opening and ending tag mismatch: b line 2 and a");
	expect_error("<a></ab>", "tag mismatch");
	expect_error("<a></a><b/>", "Extra content at the end of the document");
	expect_error("<a>&bogus;</a>", "Entity 'bogus' not defined");
	expect_error("<a>&#0;</a>", "invalid xmlChar value 0");
	expect_error("<a>&#xD800;</a>", "invalid xmlChar value 55296");
	expect_error("<a>&#x110000;</a>", "character reference out of bounds");
	expect_error("<a>&#12a;</a>", "invalid decimal value");
	expect_error("<a>&amp</a>", "expecting ';'");
	expect_error("<a><!-- x</a>", "Comment not terminated");
	expect_error("<a><![CDATA[x</a>", "CData section not finished");
	expect_error("<a b=\"x></a>", "Unescaped '<' not allowed in attributes values");
	expect_error("<a <b>", "error parsing attribute name");
	expect_error("< a/>", "invalid element name");
}

/* No DTD at all: nothing to declare entities with, so no expansion bomb
 * and no external entity (a file, a URL) is ever read */
static void test_doctype_refused(void **state)
{
	(void)state;
	expect_error("<!DOCTYPE a [<!ENTITY x \"y\">]><a/>", "line 1: DOCTYPE and other declarations are not supported");
	expect_error("<?xml version=\"1.0\"?>\n<!DOCTYPE a SYSTEM \"/etc/passwd\"><a/>", "line 2: DOCTYPE");
	expect_error("<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>", "DOCTYPE");
	expect_error("<!DOCTYPE a [<!ENTITY x SYSTEM \"http://127.0.0.1:9/x\">]><a>&x;</a>", "DOCTYPE");
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_buf_addstr(&b, "<!DOCTYPE l [<!ENTITY l0 \"lol\">");
	for (int i = 1; i < 10; i++)
		lamb_buf_addf(&b, "<!ENTITY l%d \"&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;\">", i, i - 1, i - 1,
			      i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	lamb_buf_addstr(&b, "]><l>&l9;</l>");
	expect_error(b.data, "DOCTYPE");
	lamb_buf_release(&b);
}

static void test_depth_bounded(void **state)
{
	(void)state;
	struct lamb_buf b;
	lamb_buf_init(&b);
	for (int i = 0; i < 100000; i++)
		lamb_buf_addstr(&b, "<a>");
	expect_error(b.data, "line 1: Excessive depth in document: 256");
	lamb_buf_release(&b);
	lamb_buf_init(&b);
	for (int i = 0; i < 60; i++)
		lamb_buf_addstr(&b, "<a>");
	for (int i = 0; i < 60; i++)
		lamb_buf_addstr(&b, "</a>");
	struct lamb_xml *x = parse(b.data);
	assert_non_null(x);
	lamb_xml_free(x);
	lamb_buf_release(&b);
}

/* many siblings: freeing must not recurse along the sibling chain */
static void test_many_siblings(void **state)
{
	(void)state;
	struct lamb_buf b;
	lamb_buf_init(&b);
	lamb_buf_addstr(&b, "<r>");
	for (int i = 0; i < 200000; i++)
		lamb_buf_addstr(&b, "<m>x</m>");
	lamb_buf_addstr(&b, "</r>");
	struct lamb_xml *x = parse(b.data);
	assert_non_null(x);
	size_t n = 0;
	for (const struct lamb_xml *m = lamb_xml_child(x, "m"); m; m = m->next)
		n++;
	assert_int_equal(n, 200000);
	lamb_xml_free(x);
	lamb_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s3_error),
		cmocka_unit_test(test_query_members),
		cmocka_unit_test(test_entities_cdata_prefix),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_doctype_refused),
		cmocka_unit_test(test_depth_bounded),
		cmocka_unit_test(test_many_siblings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
