/* CloudFormation's Query API as aws-cfn.c speaks it: the form bodies it
 * sends (encoding, member lists, UsePreviousValue) and the XML answers it
 * reads (stacks, change sets over pages, events), from canned bodies shaped
 * like AWS's. No ports. */
#include "unit.h"

#include "aws/aws-cfn.h"

#define NS " xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\""

static void test_form_encoding(void **state)
{
	(void)state;
	struct lamb_buf b;
	lamb_cfn_form_init(&b, "DescribeStacks");
	lamb_cfn_form_add(&b, "StackName", "my stack/&=+~é");
	lamb_cfn_form_add(&b, "NextToken", NULL);
	assert_string_equal(b.data, "Action=DescribeStacks&Version=2010-05-15"
				    "&StackName=my%20stack%2F%26%3D%2B~%C3%A9");
	lamb_buf_release(&b);
}

static void test_create_change_set_body(void **state)
{
	(void)state;
	const struct lamb_cfn_param params[] = {
		{ .key = "Stage", .value = "prod one" },
		{ .key = "Memory", .use_previous = true },
	};
	const char *caps[] = { "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND" };
	const struct lamb_cfn_tag tags[] = { { "team", "a&b" } };
	struct lamb_cfn_change_set_input in = {
		.stack_name = "app",
		.change_set_name = "lamb-deploy-1",
		.type = "UPDATE",
		.template_body = "Resources:\n  X: {}\n",
		.params = params,
		.nparams = 2,
		.capabilities = caps,
		.ncapabilities = 2,
		.tags = tags,
		.ntags = 1,
	};
	char *body = lamb_cfn_create_change_set_body(&in);
	assert_string_equal(body, "Action=CreateChangeSet&Version=2010-05-15&StackName=app"
				  "&ChangeSetName=lamb-deploy-1&ChangeSetType=UPDATE"
				  "&TemplateBody=Resources%3A%0A%20%20X%3A%20%7B%7D%0A"
				  "&Parameters.member.1.ParameterKey=Stage&Parameters.member.1.ParameterValue=prod%20one"
				  "&Parameters.member.2.ParameterKey=Memory&Parameters.member.2.UsePreviousValue=true"
				  "&Capabilities.member.1=CAPABILITY_IAM&Capabilities.member.2=CAPABILITY_AUTO_EXPAND"
				  "&Tags.member.1.Key=team&Tags.member.1.Value=a%26b");
	free(body);
	in.template_body = NULL;
	in.template_url = "https://s3.eu-west-1.amazonaws.com/b/k.template";
	in.nparams = in.ncapabilities = in.ntags = 0;
	in.type = "CREATE";
	body = lamb_cfn_create_change_set_body(&in);
	assert_string_equal(body, "Action=CreateChangeSet&Version=2010-05-15&StackName=app"
				  "&ChangeSetName=lamb-deploy-1&ChangeSetType=CREATE"
				  "&TemplateURL=https%3A%2F%2Fs3.eu-west-1.amazonaws.com%2Fb%2Fk.template");
	free(body);
}

static const char stacks_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<DescribeStacksResponse" NS ">\n"
	"  <DescribeStacksResult><Stacks><member>\n"
	"    <StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1</StackId>\n"
	"    <StackName>app</StackName>\n"
	"    <StackStatus>UPDATE_ROLLBACK_COMPLETE</StackStatus>\n"
	"    <StackStatusReason>The following resource(s) failed: [Fn] &amp; more</StackStatusReason>\n"
	"    <Parameters><member><ParameterKey>Stage</ParameterKey><ParameterValue>dev</ParameterValue></member>\n"
	"      <member><ParameterKey>Memory</ParameterKey><ParameterValue>256</ParameterValue></member></Parameters>\n"
	"    <Tags><member><Key>team</Key><Value>x</Value></member></Tags>\n"
	"    <Outputs><member><OutputKey>Url</OutputKey><OutputValue>https://x/</OutputValue>"
	"<Description>the API</Description></member>\n"
	"      <member><OutputKey>Arn</OutputKey><OutputValue>arn:x</OutputValue></member></Outputs>\n"
	"  </member></Stacks></DescribeStacksResult>\n"
	"  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\n"
	"</DescribeStacksResponse>\n";

static void test_parse_stack(void **state)
{
	(void)state;
	struct lamb_cfn_stack s;
	struct lamb_err err;
	lamb_cfn_stack_init(&s);
	assert_int_equal(lamb_cfn_parse_stack(stacks_xml, strlen(stacks_xml), &s, &err), 0);
	assert_string_equal(s.name, "app");
	assert_string_equal(s.status, "UPDATE_ROLLBACK_COMPLETE");
	assert_string_equal(s.status_reason, "The following resource(s) failed: [Fn] & more");
	assert_int_equal(s.nparams, 2);
	assert_string_equal(s.params[1].key, "Memory");
	assert_string_equal(s.params[1].value, "256");
	assert_int_equal(s.ntags, 1);
	assert_string_equal(s.tags[0].value, "x");
	assert_int_equal(s.noutputs, 2);
	assert_string_equal(s.outputs[0].description, "the API");
	assert_string_equal(s.outputs[1].value, "arn:x");
	assert_null(s.outputs[1].description);
	lamb_cfn_stack_release(&s);
	lamb_cfn_stack_release(NULL);
}

static void test_parse_bad_answers(void **state)
{
	(void)state;
	struct lamb_cfn_stack s;
	struct lamb_err err;
	lamb_cfn_stack_init(&s);
	const char *empty = "<DescribeStacksResponse><DescribeStacksResult><Stacks/></DescribeStacksResult>"
			    "</DescribeStacksResponse>";
	assert_int_equal(lamb_cfn_parse_stack(empty, strlen(empty), &s, &err), -1);
	assert_non_null(strstr(err.msg, "no stack"));
	const char *other = "<ErrorResponse><Error><Code>X</Code></Error></ErrorResponse>";
	assert_int_equal(lamb_cfn_parse_stack(other, strlen(other), &s, &err), -1);
	assert_non_null(strstr(err.msg, "expected <DescribeStacksResponse>, not <ErrorResponse>"));
	const char *broken = "<DescribeStacksResponse><DescribeStacksResult>";
	assert_int_equal(lamb_cfn_parse_stack(broken, strlen(broken), &s, &err), -1);
	assert_non_null(strstr(err.msg, "cannot read the DescribeStacks answer"));
	char *id = NULL, *sid = NULL;
	const char *noid = "<CreateChangeSetResponse><CreateChangeSetResult/></CreateChangeSetResponse>";
	assert_int_equal(lamb_cfn_parse_create_change_set(noid, strlen(noid), &id, &sid, &err), -1);
	assert_null(id);
	assert_null(sid);
	lamb_cfn_stack_release(&s);
}

static void test_parse_create_change_set(void **state)
{
	(void)state;
	const char *xml = "<CreateChangeSetResponse" NS "><CreateChangeSetResult>"
			  "<Id>arn:aws:cloudformation:eu-west-1:1:changeSet/lamb-deploy-1/abc</Id>"
			  "<StackId>arn:aws:cloudformation:eu-west-1:1:stack/app/def</StackId>"
			  "</CreateChangeSetResult></CreateChangeSetResponse>";
	char *id, *sid;
	struct lamb_err err;
	assert_int_equal(lamb_cfn_parse_create_change_set(xml, strlen(xml), &id, &sid, &err), 0);
	assert_string_equal(id, "arn:aws:cloudformation:eu-west-1:1:changeSet/lamb-deploy-1/abc");
	assert_string_equal(sid, "arn:aws:cloudformation:eu-west-1:1:stack/app/def");
	free(id);
	free(sid);
}

static const char *change_page(int n)
{
	if (n == 1)
		return "<DescribeChangeSetResponse" NS "><DescribeChangeSetResult>"
		       "<ChangeSetName>lamb-deploy-1</ChangeSetName><ChangeSetId>arn:cs</ChangeSetId>"
		       "<StackId>arn:stack</StackId><Status>CREATE_COMPLETE</Status>"
		       "<ExecutionStatus>AVAILABLE</ExecutionStatus>"
		       "<Changes><member><Type>Resource</Type><ResourceChange><Action>Add</Action>"
		       "<LogicalResourceId>Fn</LogicalResourceId><ResourceType>AWS::Lambda::Function</ResourceType>"
		       "</ResourceChange></member>"
		       "<member><Type>Resource</Type><ResourceChange><Action>Modify</Action>"
		       "<LogicalResourceId>Role</LogicalResourceId><ResourceType>AWS::IAM::Role</ResourceType>"
		       "<Replacement>Conditional</Replacement></ResourceChange></member></Changes>"
		       "<NextToken>page2</NextToken></DescribeChangeSetResult></DescribeChangeSetResponse>";
	return "<DescribeChangeSetResponse" NS "><DescribeChangeSetResult>"
	       "<ChangeSetName>lamb-deploy-1</ChangeSetName><Status>CREATE_COMPLETE</Status>"
	       "<Changes><member><ResourceChange><Action>Remove</Action>"
	       "<LogicalResourceId>Old</LogicalResourceId><ResourceType>AWS::SNS::Topic</ResourceType>"
	       "</ResourceChange></member></Changes>"
	       "</DescribeChangeSetResult></DescribeChangeSetResponse>";
}

static void test_parse_change_set_pages(void **state)
{
	(void)state;
	struct lamb_cfn_change_set cs;
	struct lamb_err err;
	char *next = NULL;
	lamb_cfn_change_set_init(&cs);
	assert_int_equal(lamb_cfn_parse_change_set(change_page(1), strlen(change_page(1)), &cs, &next, &err), 0);
	assert_string_equal(next, "page2");
	free(next);
	assert_int_equal(lamb_cfn_parse_change_set(change_page(2), strlen(change_page(2)), &cs, &next, &err), 0);
	assert_null(next);
	assert_string_equal(cs.id, "arn:cs"); /* kept from the first page */
	assert_string_equal(cs.stack_id, "arn:stack");
	assert_string_equal(cs.status, "CREATE_COMPLETE");
	assert_string_equal(cs.execution_status, "AVAILABLE");
	assert_int_equal(cs.nchanges, 3);
	assert_string_equal(cs.changes[0].action, "Add");
	assert_null(cs.changes[0].replacement);
	assert_string_equal(cs.changes[1].replacement, "Conditional");
	assert_string_equal(cs.changes[2].logical_id, "Old");
	assert_string_equal(cs.changes[2].resource_type, "AWS::SNS::Topic");
	lamb_cfn_change_set_release(&cs);
}

static void test_parse_failed_change_set(void **state)
{
	(void)state;
	const char *xml = "<DescribeChangeSetResponse><DescribeChangeSetResult><Status>FAILED</Status>"
			  "<StatusReason>The submitted information didn&apos;t contain changes. Submit different "
			  "information to create a change set.</StatusReason><Changes/>"
			  "</DescribeChangeSetResult></DescribeChangeSetResponse>";
	struct lamb_cfn_change_set cs;
	struct lamb_err err;
	char *next = NULL;
	lamb_cfn_change_set_init(&cs);
	assert_int_equal(lamb_cfn_parse_change_set(xml, strlen(xml), &cs, &next, &err), 0);
	assert_string_equal(cs.status, "FAILED");
	assert_non_null(strstr(cs.status_reason, "didn't contain changes"));
	assert_int_equal(cs.nchanges, 0);
	lamb_cfn_change_set_release(&cs);
	const char *none = "<DescribeChangeSetResponse><DescribeChangeSetResult/></DescribeChangeSetResponse>";
	assert_int_equal(lamb_cfn_parse_change_set(none, strlen(none), &cs, &next, &err), -1);
	assert_non_null(strstr(err.msg, "no Status"));
	lamb_cfn_change_set_release(&cs);
}

static void test_parse_events(void **state)
{
	(void)state;
	const char *xml =
		"<DescribeStackEventsResponse" NS "><DescribeStackEventsResult><StackEvents>"
		"<member><EventId>e2</EventId><Timestamp>2026-11-26T16:40:01.500Z</Timestamp>"
		"<ResourceStatus>CREATE_FAILED</ResourceStatus><ResourceType>AWS::Lambda::Function</ResourceType>"
		"<LogicalResourceId>Fn</LogicalResourceId>"
		"<ResourceStatusReason>Resource handler returned message: &quot;MemorySize&quot; &lt;= 10240"
		"</ResourceStatusReason></member>"
		"<member><EventId>e1</EventId><Timestamp>2026-11-26T16:40:00Z</Timestamp>"
		"<ResourceStatus>CREATE_IN_PROGRESS</ResourceStatus><ResourceType>AWS::CloudFormation::Stack"
		"</ResourceType><LogicalResourceId>app</LogicalResourceId></member>"
		"</StackEvents><NextToken>more</NextToken></DescribeStackEventsResult></DescribeStackEventsResponse>";
	struct lamb_cfn_events ev;
	struct lamb_err err;
	char *next = NULL;
	lamb_cfn_events_init(&ev);
	assert_int_equal(lamb_cfn_parse_events(xml, strlen(xml), &ev, &next, &err), 0);
	assert_string_equal(next, "more");
	free(next);
	assert_int_equal(ev.len, 2);
	assert_string_equal(ev.v[0].event_id, "e2");
	assert_string_equal(ev.v[0].status, "CREATE_FAILED");
	assert_string_equal(ev.v[0].reason, "Resource handler returned message: \"MemorySize\" <= 10240");
	assert_true(ev.v[0].time - ev.v[1].time > 1.49 && ev.v[0].time - ev.v[1].time < 1.51);
	assert_null(ev.v[1].reason);
	lamb_cfn_events_release(&ev);
}

static void test_time(void **state)
{
	(void)state;
	assert_true(lamb_cfn_time("1970-01-01T00:00:10Z") == 10.0);
	assert_true(lamb_cfn_time("1970-01-01T00:00:10.25Z") == 10.25);
	assert_true(lamb_cfn_time("1970-01-01T01:00:10+01:00") == 10.0);
	assert_true(lamb_cfn_time("1970-01-01T00:00:10-0030") == 1810.0);
	assert_true(lamb_cfn_time("2026-11-26T16:40:00.000Z") == 1795711200.0);
	assert_true(lamb_cfn_time("yesterday") == 0);
	assert_true(lamb_cfn_time("2026-11-26T16:40:00 PST") == 0);
	assert_true(lamb_cfn_time(NULL) == 0);
}

static void test_status(void **state)
{
	(void)state;
	assert_true(lamb_cfn_status_in_progress("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
	assert_true(lamb_cfn_status_in_progress("REVIEW_IN_PROGRESS"));
	assert_false(lamb_cfn_status_in_progress("UPDATE_COMPLETE"));
	assert_false(lamb_cfn_status_in_progress(NULL));
	assert_true(lamb_cfn_status_failed("ROLLBACK_COMPLETE"));
	assert_true(lamb_cfn_status_failed("UPDATE_ROLLBACK_COMPLETE"));
	assert_true(lamb_cfn_status_failed("DELETE_FAILED"));
	assert_false(lamb_cfn_status_failed("CREATE_COMPLETE"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_encoding),
		cmocka_unit_test(test_create_change_set_body),
		cmocka_unit_test(test_parse_stack),
		cmocka_unit_test(test_parse_bad_answers),
		cmocka_unit_test(test_parse_create_change_set),
		cmocka_unit_test(test_parse_change_set_pages),
		cmocka_unit_test(test_parse_failed_change_set),
		cmocka_unit_test(test_parse_events),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
