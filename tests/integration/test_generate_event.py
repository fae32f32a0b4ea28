"""lamb local generate-event: every event in the catalogue is JSON with its
key fields, every option's value lands in the event (escaped, or encoded
as the real event carries it), and the listings and errors."""
import base64
import gzip
import hashlib
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from lambtest import run  # noqa: E402

NASTY = 'say "hi"\n\tback\\slash {{region}} caf\u00e9 \u2603 </script>'

# service event -> {path: expected value with the defaults}; a path is dotted,
# numbers index lists.
KEY_FIELDS = {
    ("apigateway", "aws-proxy"): {"httpMethod": "GET", "path": "/hello", "requestContext.stage": "prod",
                                  "isBase64Encoded": False, "requestContext.accountId": "123456789012"},
    ("apigateway", "http-api-proxy"): {"version": "2.0", "rawPath": "/hello", "requestContext.http.method": "GET"},
    ("apigateway", "authorizer"): {"type": "TOKEN", "authorizationToken": "allow",
                                   "methodArn": "arn:aws:execute-api:us-east-1:123456789012:1234567890/prod/GET/hello"},
    ("apigateway", "request-authorizer"): {"type": "REQUEST", "headers.Authorization": "allow"},
    ("apigateway", "request-authorizer-v2"): {"version": "2.0", "type": "REQUEST", "identitySource.0": "allow",
                                              "routeKey": "GET /hello", "requestContext.stage": "$default"},
    ("kinesis", "firehose"): {"records.0.data": "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==",
                              "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/my-delivery-stream"},
    ("alb", "request"): {"httpMethod": "GET", "path": "/hello", "isBase64Encoded": False},
    ("s3", "put"): {"Records.0.eventSource": "aws:s3", "Records.0.eventName": "ObjectCreated:Put",
                    "Records.0.s3.bucket.name": "example-bucket", "Records.0.s3.object.key": "test/key",
                    "Records.0.s3.object.size": 1024, "Records.0.awsRegion": "us-east-1"},
    ("s3", "delete"): {"Records.0.eventName": "ObjectRemoved:Delete", "Records.0.s3.bucket.arn": "arn:aws:s3:::example-bucket"},
    ("sqs", "receive-message"): {"Records.0.eventSource": "aws:sqs", "Records.0.body": "Test message.",
                                 "Records.0.eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:my-queue"},
    ("sns", "notification"): {"Records.0.EventSource": "aws:sns", "Records.0.Sns.Message": "Hello from SNS!",
                              "Records.0.Sns.TopicArn": "arn:aws:sns:us-east-1:123456789012:sns-lambda"},
    ("dynamodb", "update"): {"Records.0.eventName": "INSERT", "Records.1.eventName": "MODIFY",
                             "Records.2.eventName": "REMOVE", "Records.0.eventSource": "aws:dynamodb"},
    ("kinesis", "get-records"): {"Records.0.eventSource": "aws:kinesis", "Records.0.kinesis.partitionKey": "1"},
    ("cloudwatch", "scheduled-event"): {"detail-type": "Scheduled Event", "source": "aws.events",
                                        "resources.0": "arn:aws:events:us-east-1:123456789012:rule/my-schedule"},
    ("cloudwatch", "logs"): {},
    ("eventbridge", "event"): {"source": "com.example.orders", "detail-type": "Order Placed", "detail.orderId": "1234",
                               "detail.amount": 42},
    ("cognito", "pre-signup"): {"triggerSource": "PreSignUp_SignUp", "userName": "johndoe",
                                "request.userAttributes.email": "johndoe@example.com"},
    ("cognito", "post-confirmation"): {"triggerSource": "PostConfirmation_ConfirmSignUp"},
    ("cloudformation", "create-request"): {"RequestType": "Create", "LogicalResourceId": "MyCustomResource",
                                           "ResourceType": "Custom::MyCustomResource"},
    ("stepfunctions", "task-token"): {"input.orderId": "1234", "context.StateMachine.Name": "MyStateMachine"},
    ("stepfunctions", "error"): {"Error": "States.TaskFailed"},
    ("codepipeline", "job"): {("CodePipeline.job", "accountId"): "123456789012",
                              ("CodePipeline.job", "data", "inputArtifacts", "0", "location", "type"): "S3"},
    ("ses", "email-receiving"): {"Records.0.eventSource": "aws:ses", "Records.0.ses.mail.commonHeaders.subject": "Test Subject"},
    ("lex", "fulfillment"): {"messageVersion": "1.0", "sessionState.intent.name": "OrderFlowers"},
    ("alexa", "launch-request"): {"request.type": "LaunchRequest", "session.new": True},
    ("alexa", "intent-request"): {"request.type": "IntentRequest", "request.intent.name": "HelloWorldIntent"},
    ("cloudfront", "viewer-request"): {"Records.0.cf.config.eventType": "viewer-request", "Records.0.cf.request.uri": "/index.html"},
    ("cloudfront", "origin-response"): {"Records.0.cf.config.eventType": "origin-response", "Records.0.cf.response.status": "200"},
    ("config", "item-change-notification"): {"configRuleName": "my-config-rule", "eventLeftScope": False},
    ("config", "periodic-rule"): {"configRuleName": "my-config-rule"},
    ("sagemaker", "pre-annotation"): {"version": "2018-10-16", "dataObject.source-ref": "s3://example-bucket/images/image-0001.jpg"},
    ("sagemaker", "annotation-consolidation"): {"labelAttributeName": "category"},
    ("connect", "contact-flow"): {"Name": "ContactFlowEvent", "Details.ContactData.CustomerEndpoint.Address": "+12065550100"},
    ("batch", "job-state-change"): {"source": "aws.batch", "detail.status": "SUCCEEDED"},
    ("appsync", "resolver"): {"arguments.id": "1", "info.fieldName": "getPost", "info.parentTypeName": "Query"},
    ("rekognition", "video-job-complete"): {"Records.0.EventSource": "aws:sns"},
    ("workmail", "email-flow"): {"summaryVersion": "2018-10-10", "flowDirection": "INBOUND", "sender.address": "sender@example.com"},
}


def get(doc, path):
    for part in path.split(".") if isinstance(path, str) else path:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def generate(*args):
    r = run("local", "generate-event", *args)
    if r.returncode != 0:
        raise AssertionError(f"generate-event {' '.join(args)}: exit {r.returncode}: {r.stderr}")
    return json.loads(r.stdout)


def listing(*args):
    r = run("local", "generate-event", *args)
    assert r.returncode == 0, r.stderr
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def options(service, event):
    """{name: (default, type)} from `SERVICE EVENT -h`."""
    r = run("local", "generate-event", service, event, "-h")
    assert r.returncode == 0, r.stderr
    out = {}
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("--"):
            name = line.split()[0][2:]
            default = line[line.rindex("(default: '") + 11:-2]
            kind = "string"
            for t in ("number", "boolean", "json"):
                if f"; a {t} (default" in line:
                    kind = t
            out[name] = (default, kind)
    return out


def strings(doc):
    """Every string in doc, keys excluded."""
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for v in doc.values():
            yield from strings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from strings(v)


def decoded_strings(doc):
    """Strings, plus what JSON strings, gzip+base64 and base64 in them hold."""
    for s in strings(doc):
        yield s
        yield urllib.parse.unquote_plus(s)
        try:
            inner = json.loads(s)
            yield from decoded_strings(inner)
        except ValueError:
            pass
        try:
            raw = base64.b64decode(s, validate=True)
        except ValueError:
            continue
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
            yield from decoded_strings(json.loads(raw))
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            pass


class Catalogue(unittest.TestCase):
    def test_services_and_events(self):
        services = listing()
        want = {s for s, _ in KEY_FIELDS}
        self.assertEqual(want - set(services), set())
        listed = {(s, e) for s in services for e in listing(s)}
        self.assertEqual(set(KEY_FIELDS) - listed, set())
        # every event in the catalogue has its key fields checked here
        self.assertEqual(listed - set(KEY_FIELDS), set())

    def test_key_fields(self):
        for (service, event), fields in KEY_FIELDS.items():
            ev = generate(service, event)
            for path, want in fields.items():
                with self.subTest(service=service, event=event, path=path):
                    self.assertEqual(get(ev, path), want)

    def test_every_option_lands(self):
        """Each string option, given a value with quotes, newlines and
        non-ASCII text, appears in the event (maybe encoded)."""
        for service, event in KEY_FIELDS:
            for name, (default, kind) in options(service, event).items():
                if kind != "string":
                    continue
                with self.subTest(service=service, event=event, option=name):
                    value = NASTY + name
                    ev = generate(service, event, "--" + name, value)
                    found = list(decoded_strings(ev))
                    upper = "".join(c.upper() if c.isascii() else c for c in value)
                    self.assertTrue(any(value in s or upper in s for s in found),
                                    f"--{name} not in the event")

    def test_typed_options(self):
        ev = generate("s3", "put", "--size", "5")
        self.assertEqual(get(ev, "Records.0.s3.object.size"), 5)
        ev = generate("eventbridge", "event", "--detail", '{"a": [1, "x\\"y"]}')
        self.assertEqual(ev["detail"], {"a": [1, 'x"y']})
        for args in (("s3", "put", "--size", "big"), ("eventbridge", "event", "--detail", "{nope")):
            r = run("local", "generate-event", *args)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(args[2], r.stderr)


class Shapes(unittest.TestCase):
    """Fields checked against AWS's documentation and what API Gateway sends."""

    def test_http_api_paths_carry_a_named_stage(self):
        # $default is served at the root; a named stage begins rawPath and
        # requestContext.http.path, as API Gateway sends them
        for event in ("http-api-proxy", "request-authorizer-v2"):
            with self.subTest(event=event):
                ev = generate("apigateway", event)
                self.assertEqual((ev["rawPath"], ev["requestContext"]["http"]["path"]), ("/hello", "/hello"))
                ev = generate("apigateway", event, "--stage", "prod", "--path", "/a/b")
                self.assertEqual((ev["rawPath"], ev["requestContext"]["http"]["path"]), ("/prod/a/b", "/prod/a/b"))
                self.assertEqual(ev["requestContext"]["stage"], "prod")
        # a REST API's requestContext.path has the stage, its path has not
        ev = generate("apigateway", "aws-proxy", "--stage", "v1")
        self.assertEqual((ev["path"], ev["requestContext"]["path"]), ("/hello", "/v1/hello"))

    def test_arns_follow_the_partition(self):
        cases = {("apigateway", "authorizer"): "methodArn", ("apigateway", "request-authorizer"): "methodArn",
                 ("apigateway", "request-authorizer-v2"): "routeArn",
                 ("alb", "request"): "requestContext.elb.targetGroupArn"}
        for (service, event), path in cases.items():
            with self.subTest(event=event):
                ev = generate(service, event, "--partition", "aws-cn", "--region", "cn-north-1")
                self.assertTrue(get(ev, path).startswith("arn:aws-cn:"), get(ev, path))
                self.assertIn(":cn-north-1:", get(ev, path))


class Encodings(unittest.TestCase):
    def test_sqs_md5_matches_body(self):
        for body in ("Test message.", NASTY, ""):
            ev = generate("sqs", "receive-message", "--body", body)
            rec = ev["Records"][0]
            self.assertEqual(rec["body"], body)
            self.assertEqual(rec["md5OfBody"], hashlib.md5(body.encode()).hexdigest())

    def test_kinesis_data_is_base64(self):
        ev = generate("kinesis", "get-records", "--data", NASTY)
        self.assertEqual(base64.b64decode(ev["Records"][0]["kinesis"]["data"]).decode(), NASTY)

    def test_s3_key_is_url_encoded(self):
        key = "photos/my cat+dog & caf\u00e9.jpg"
        for event in ("put", "delete"):
            ev = generate("s3", event, "--key", key, "--bucket", "my-bucket")
            got = ev["Records"][0]["s3"]["object"]["key"]
            self.assertNotIn(" ", got)
            self.assertEqual(urllib.parse.unquote_plus(got), key)
            self.assertEqual(ev["Records"][0]["s3"]["bucket"]["arn"], "arn:aws:s3:::my-bucket")

    def test_cloudwatch_logs_data(self):
        ev = generate("cloudwatch", "logs", "--message", NASTY, "--log-group", "/aws/lambda/x")
        data = json.loads(gzip.decompress(base64.b64decode(ev["awslogs"]["data"])))
        self.assertEqual(data["logGroup"], "/aws/lambda/x")
        self.assertEqual(data["logEvents"][0]["message"], NASTY)
        self.assertEqual(data["messageType"], "DATA_MESSAGE")

    def test_config_invoking_event_is_a_string(self):
        ev = generate("config", "item-change-notification", "--resource-id", "i-1")
        self.assertIsInstance(ev["invokingEvent"], str)
        inner = json.loads(ev["invokingEvent"])
        self.assertEqual(inner["configurationItem"]["resourceId"], "i-1")
        self.assertEqual(json.loads(ev["ruleParameters"]), {"desiredInstanceType": "t3.micro"})

    def test_rekognition_message_is_a_string(self):
        ev = generate("rekognition", "video-job-complete", "--status", "FAILED")
        self.assertEqual(json.loads(ev["Records"][0]["Sns"]["Message"])["Status"], "FAILED")


class CommandLine(unittest.TestCase):
    def test_values_and_forms(self):
        ev = generate("apigateway", "aws-proxy", "--method", "post", "--path=/a/b", "--body", NASTY,
                      "--account-id", "999999999999", "--region", "eu-west-2")
        self.assertEqual(ev["httpMethod"], "POST")
        self.assertEqual(ev["path"], "/a/b")
        self.assertEqual(ev["pathParameters"]["proxy"], "a/b")
        self.assertEqual(ev["body"], NASTY)
        self.assertEqual(ev["requestContext"]["accountId"], "999999999999")
        self.assertEqual(ev["requestContext"]["path"], "/prod/a/b")
        self.assertIn("eu-west-2", ev["headers"]["Host"])

    def test_help_lists_options_with_defaults(self):
        r = run("local", "generate-event", "sqs", "receive-message", "-h")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"--body .*\(default: 'Test message\.'\)")
        self.assertRegex(r.stdout, r"--queue-name .*\(default: 'my-queue'\)")
        r = run("local", "generate-event", "sqs", "-h")
        self.assertEqual(r.returncode, 0)
        self.assertIn("receive-message", r.stdout)
        r = run("local", "generate-event", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: lamb local generate-event", r.stdout)

    def test_errors(self):
        cases = [
            (("nosuch",), "unknown service 'nosuch'"),
            (("s3", "nosuch"), "service 's3' has no event 'nosuch'"),
            (("s3", "put", "--nosuch", "x"), "has no option '--nosuch'"),
            (("s3", "put", "--bucket"), "needs a value"),
            (("s3", "put", "stray"), "unexpected argument 'stray'"),
        ]
        for args, msg in cases:
            with self.subTest(args=args):
                r = run("local", "generate-event", *args)
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stdout, "")
                self.assertIn(msg, r.stderr)

    def test_pipes_into_local_invoke(self):
        """generate-event | lamb local invoke -e -: the function sees the same event."""
        if run("help", "local", "invoke").returncode != 0:
            self.skipTest("lamb local invoke is not in this lamb yet")
        proj = lambtest.project({
            "template.yaml": "Transform: AWS::Serverless-2016-10-31\nResources:\n  Echo:\n"
                             "    Type: AWS::Serverless::Function\n    Properties:\n"
                             "      CodeUri: src/\n      Handler: app.handler\n      Runtime: python3.11\n",
            "src/app.py": "def handler(event, context):\n    return event\n",
        })
        env = {**os.environ, "LAMB_PYTHON": sys.executable}
        for args in (("s3", "put", "--key", "a b/c.jpg"), ("sqs", "receive-message", "--body", NASTY),
                     ("cloudwatch", "logs")):
            with self.subTest(event=args[:2]):
                gen = run("local", "generate-event", *args)
                self.assertEqual(gen.returncode, 0, gen.stderr)
                r = run("local", "invoke", "-e", "-", cwd=proj.name, input=gen.stdout, env=env, timeout=120)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(json.loads(r.stdout), json.loads(gen.stdout))
        proj.cleanup()

    def test_data_dir_override(self):
        r = run("local", "generate-event", env={**os.environ, "LAMB_DATA_DIR": "/nonexistent"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent/events", r.stderr)


if __name__ == "__main__":
    lambtest.main()
