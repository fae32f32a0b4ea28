"""lamb local start-lambda end to end: the Lambda Invoke API on 127.0.0.1,
called with http.client, the AWS CLI and boto3 (Debian's awscli and
python3-boto3; those tests skip with a message where they are missing)."""
import base64
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import lambtest

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    CodeUri: src/
    Timeout: 3
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo
      FunctionName: echo-fn
  Fails:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.fails
  Sleepy:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.sleepy
      ReservedConcurrentExecutions: 1
      Timeout: 1
  Chatty:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.chatty
  Cold:
    Type: AWS::Serverless::Function
    Properties:
      Handler: cold.handler
  InS3:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo
      CodeUri: s3://bucket/key.zip
"""

APP = """\
import json, os, time

def echo(event, context):
    cc = context.client_context
    return {"event": event, "name": context.function_name, "marker": os.environ.get("MARKER"),
            "custom": getattr(cc, "custom", None) if cc else None}

def fails(event, context):
    raise RuntimeError("it broke")

def chatty(event, context):
    for i in range(event.get("lines", 1)):
        print(f"{event.get('tag', 'line')} {i}")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("fail"):
        raise ValueError("chatty failed")
    return event.get("tag")

def sleepy(event, context):
    time.sleep(event.get("s", 0))
    if event.get("touch"):
        print("touched", event["touch"], flush=True)
    return "slept"
"""


COLD = """\
print("init of cold")

def handler(event, context):
    return "cold"
"""


class Server(lambtest.LambServer):
    command = ("local", "start-lambda")

    def invoke(self, name, payload=b"{}", headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("POST", f"/2015-03-31/functions/{name}/invocations", body=payload, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def boto3_python():
    """An interpreter that can import boto3 (Debian's python3-boto3 lives in
    /usr/bin/python3's path, which a pyenv python3 does not see)."""
    for py in ("/usr/bin/python3", shutil.which("python3")):
        if py and subprocess.run([py, "-c", "import boto3"], capture_output=True).returncode == 0:
            return py
    return None


def aws_cli():
    for aws in ("/usr/bin/aws", shutil.which("aws")):
        if aws and os.access(aws, os.X_OK):
            return aws
    return None


class StartLambda(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server({"template.yaml": TEMPLATE, "src/app.py": APP, "src/cold.py": COLD})

    @classmethod
    def tearDownClass(cls):
        cls.rc = cls.s.stop()
        assert cls.rc == 0, cls.rc

    def test_request_response_by_every_name(self):
        for name in ("Echo", "echo-fn", "arn:aws:lambda:us-east-1:123456789012:function:echo-fn",
                     "arn:aws:lambda:us-east-1:123456789012:function:Echo:$LATEST"):
            status, h, data = self.s.invoke(name, b'{"a": 1}')
            self.assertEqual(status, 200, name)
            body = json.loads(data)
            self.assertEqual(body["event"], {"a": 1})
            self.assertEqual(body["name"], "echo-fn")
            self.assertNotIn("x-amz-function-error", h)
            self.assertEqual(h["x-amz-executed-version"], "$LATEST")

    def test_function_error(self):
        status, h, data = self.s.invoke("Fails")
        self.assertEqual(status, 200)
        self.assertEqual(h["x-amz-function-error"], "Unhandled")
        body = json.loads(data)
        self.assertEqual(body["errorType"], "RuntimeError")
        self.assertEqual(body["errorMessage"], "it broke")

    def test_timeout_is_a_function_error(self):
        status, h, data = self.s.invoke("Sleepy", b'{"s": 3}')
        self.assertEqual(status, 200)
        self.assertEqual(h["x-amz-function-error"], "Unhandled")
        self.assertEqual(json.loads(data)["errorType"], "Sandbox.Timedout")

    def test_event_and_dry_run(self):
        marker = os.path.join(self.s.dir.name, "touched")
        status, h, data = self.s.invoke("Sleepy", json.dumps({"s": 0.2, "touch": marker}).encode(),
                                        {"X-Amz-Invocation-Type": "Event"})
        self.assertEqual(status, 202)
        self.assertEqual(data, b"")
        # the function says it ran in the log: sandboxed, it cannot write the host's files
        deadline = time.time() + 10
        while "touched " + marker not in self.s.stderr() and time.time() < deadline:
            time.sleep(0.05)
        self.assertIn("touched " + marker, self.s.stderr(), "the Event invocation never ran")
        status, h, data = self.s.invoke("Echo", b"{}", {"X-Amz-Invocation-Type": "DryRun"})
        self.assertEqual(status, 204)

    def test_errors_of_the_api(self):
        status, h, data = self.s.invoke("Nope")
        self.assertEqual(status, 404)
        self.assertEqual(h["x-amzn-errortype"], "ResourceNotFoundException")
        status, h, data = self.s.invoke("Echo", b"not json")
        self.assertEqual(status, 400)
        self.assertEqual(h["x-amzn-errortype"], "InvalidRequestContentException")
        status, h, data = self.s.invoke("Echo", b"{}", {"X-Amz-Invocation-Type": "Sometimes"})
        self.assertEqual(status, 400)
        status, h, data = self.s.invoke("Echo", b'"' + b"x" * (6 * 1024 * 1024 + 10) + b'"')
        self.assertEqual(status, 413)
        self.assertEqual(h["x-amzn-errortype"], "RequestEntityTooLargeException")
        status, h, data = self.s.invoke("InS3")
        self.assertEqual(status, 400)
        self.assertIn("cannot run locally", json.loads(data)["message"])

    def test_throttled_is_429(self):
        results = []

        def one():
            results.append(self.s.invoke("Sleepy", b'{"s": 0.8}')[0])

        threads = [threading.Thread(target=one) for _ in range(2)]
        for t in threads:
            t.start()
            time.sleep(0.2)
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), [200, 429])

    def tail(self, name, event, headers=None):
        status, h, data = self.s.invoke(name, json.dumps(event).encode(),
                                        dict({"X-Amz-Log-Type": "Tail"}, **(headers or {})))
        self.assertIn("x-amz-log-result", h)
        return status, h, data, base64.b64decode(h["x-amz-log-result"]).decode()

    def test_log_tail(self):
        status, h, data, log = self.tail("Chatty", {"tag": "tail-one", "lines": 2})
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(data), "tail-one")
        rid = h["x-amzn-requestid"]
        lines = log.splitlines()
        self.assertEqual(lines[0], f"START RequestId: {rid} Version: $LATEST")
        self.assertEqual(lines[1:3], ["tail-one 0", "tail-one 1"])
        self.assertEqual(lines[3], f"END RequestId: {rid}")
        self.assertTrue(lines[4].startswith(f"REPORT RequestId: {rid}\tDuration: "), lines[4])
        self.assertEqual(len(lines), 5, log)
        # the tail is this invocation's only, not its neighbours'
        status, h, data, log = self.tail("Chatty", {"tag": "tail-two"})
        self.assertNotIn("tail-one", log)
        self.assertIn("tail-two 0\n", log)

    def test_log_tail_keeps_the_last_4_kb(self):
        status, h, data, log = self.tail("Chatty", {"tag": "many", "lines": 2000})
        self.assertEqual(status, 200)
        self.assertLessEqual(len(log.encode()), 4096)
        self.assertGreater(len(log.encode()), 4000)
        self.assertIn("many 1999\n", log)
        self.assertNotIn("many 0\n", log)
        self.assertIn("REPORT RequestId: " + h["x-amzn-requestid"], log)

    def test_log_tail_of_errors_and_timeouts(self):
        status, h, data, log = self.tail("Chatty", {"tag": "boom", "fail": True})
        self.assertEqual(h["x-amz-function-error"], "Unhandled")
        self.assertIn("boom 0\n", log)
        self.assertIn("END RequestId:", log)
        status, h, data, log = self.tail("Chatty", {"tag": "late", "sleep": 5})
        self.assertEqual(json.loads(data)["errorType"], "Sandbox.Timedout")
        self.assertIn("late 0\n", log)
        self.assertIn("Task timed out after 3.00 seconds", log)
        self.assertIn("REPORT RequestId:", log)

    def test_log_tail_of_a_cold_start_holds_the_init_output(self):
        status, h, data, log = self.tail("Cold", {})
        self.assertEqual(json.loads(data), "cold")
        rid = h["x-amzn-requestid"]
        self.assertTrue(log.startswith(f"init of cold\nSTART RequestId: {rid} "), log)
        self.assertIn("Init Duration: ", log)
        status, h, data, log = self.tail("Cold", {})
        self.assertNotIn("init of cold", log)
        self.assertNotIn("Init Duration: ", log)

    def test_no_tail_unless_asked(self):
        status, h, data = self.s.invoke("Chatty", b'{"tag": "quiet"}')
        self.assertNotIn("x-amz-log-result", h)
        status, h, data = self.s.invoke("Chatty", b'{"tag": "quiet"}', {"X-Amz-Log-Type": "None"})
        self.assertNotIn("x-amz-log-result", h)
        status, h, data = self.s.invoke("Chatty", b'{"tag": "quiet"}',
                                        {"X-Amz-Log-Type": "Tail", "X-Amz-Invocation-Type": "Event"})
        self.assertEqual(status, 202)
        self.assertNotIn("x-amz-log-result", h)

    def test_client_context_reaches_the_function(self):
        ctx = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
        status, h, data = self.s.invoke("Echo", b"{}", {"X-Amz-Client-Context": ctx})
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(data)["custom"], {"k": "v"})

    def test_garbage_after_json_and_bad_client_context(self):
        """Both refused as Lambda does (issue 19): 400 InvalidRequestContentException."""
        for payload in (b'{"a": 1}garbage', b'{"a": 1} {"b": 2}', b'[1]]'):
            with self.subTest(payload=payload):
                status, h, data = self.s.invoke("Echo", payload)
                self.assertEqual(status, 400, data)
                self.assertEqual(h["x-amzn-errortype"], "InvalidRequestContentException")
                self.assertEqual(json.loads(data)["Type"], "User")
        self.assertEqual(self.s.invoke("Echo", b'{"a": 1}\n')[0], 200)  # trailing blanks are fine
        for ctx in ("not base64!", base64.b64encode(b"not json").decode(), base64.b64encode(b"[1]").decode(),
                    base64.b64encode(b'{"a": 1}x').decode()):
            with self.subTest(ctx=ctx):
                status, h, data = self.s.invoke("Echo", b"{}", {"X-Amz-Client-Context": ctx})
                self.assertEqual(status, 400, data)
                self.assertEqual(h["x-amzn-errortype"], "InvalidRequestContentException")
                self.assertEqual(json.loads(data)["message"],
                                 "Client context must be a valid Base64-encoded JSON object.")

    def test_boto3_sees_invalid_request_content(self):
        py = boto3_python()
        if not py:
            self.skipTest("boto3 is not installed (Debian package python3-boto3)")
        script = f"""
import boto3
c = boto3.client("lambda", endpoint_url="{self.s.url}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
for kw in ({{"Payload": b'{{"a": 1}}garbage'}}, {{"ClientContext": "not base64!"}}):
    try:
        c.invoke(FunctionName="Echo", **kw)
        print("accepted")
    except c.exceptions.InvalidRequestContentException as e:
        print("InvalidRequestContentException")
"""
        r = subprocess.run([py, "-c", script], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), ["InvalidRequestContentException"] * 2)

    def test_aws_cli(self):
        aws = aws_cli()
        if not aws:
            self.skipTest("the AWS CLI is not installed (Debian package awscli)")
        out = os.path.join(self.s.dir.name, "out.json")
        env = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1",
                   AWS_PAGER="")
        r = subprocess.run([aws, "lambda", "invoke", "--endpoint-url", self.s.url, "--function-name", "Echo",
                            "--cli-binary-format", "raw-in-base64-out", "--payload", '{"from": "cli"}',
                            "--log-type", "Tail", out],
                           capture_output=True, text=True, env=env, timeout=60)
        if r.returncode != 0 and "cli-binary-format" in r.stderr:  # AWS CLI v1 has no such option
            r = subprocess.run([aws, "lambda", "invoke", "--endpoint-url", self.s.url, "--function-name",
                                "Echo", "--payload", '{"from": "cli"}', "--log-type", "Tail", out],
                               capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["StatusCode"], 200)
        self.assertIn("REPORT RequestId:", base64.b64decode(json.loads(r.stdout)["LogResult"]).decode())
        with open(out) as f:
            self.assertEqual(json.load(f)["event"], {"from": "cli"})

    def test_boto3(self):
        py = boto3_python()
        if not py:
            self.skipTest("boto3 is not installed (Debian package python3-boto3)")
        script = f"""
import boto3, json
c = boto3.client("lambda", endpoint_url="{self.s.url}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
r = c.invoke(FunctionName="echo-fn", Payload=json.dumps({{"from": "boto3"}}))
print(json.dumps({{"status": r["StatusCode"], "body": json.loads(r["Payload"].read()),
                  "error": r.get("FunctionError")}}))
r = c.invoke(FunctionName="Fails")
print(json.dumps({{"status": r["StatusCode"], "error": r.get("FunctionError")}}))
r = c.invoke(FunctionName="Chatty", LogType="Tail", Payload=json.dumps({{"tag": "from-boto3"}}))
print(json.dumps({{"log": r["LogResult"]}}))
try:
    c.invoke(FunctionName="Missing")
    print("no exception")
except c.exceptions.ResourceNotFoundException:
    print("ResourceNotFoundException")
"""
        r = subprocess.run([py, "-c", script], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        first = json.loads(lines[0])
        self.assertEqual(first["status"], 200)
        self.assertEqual(first["body"]["event"], {"from": "boto3"})
        self.assertIsNone(first["error"])
        self.assertEqual(json.loads(lines[1])["error"], "Unhandled")
        log = base64.b64decode(json.loads(lines[2])["log"]).decode()
        self.assertIn("from-boto3 0\n", log)
        self.assertIn("REPORT RequestId:", log)
        self.assertEqual(lines[3], "ResourceNotFoundException")


class Only(unittest.TestCase):
    def test_only_named_functions_are_served(self):
        s = Server({"template.yaml": TEMPLATE, "src/app.py": APP}, "Fails")
        try:
            self.assertEqual(s.invoke("Echo")[0], 404)
            self.assertEqual(s.invoke("Fails")[0], 200)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_unknown_function_named(self):
        d = lambtest.project({"template.yaml": TEMPLATE, "src/app.py": APP})
        r = lambtest.run("local", "start-lambda", "Ghost", "-p", "0", cwd=d.name, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no function 'Ghost'", r.stderr)
        d.cleanup()


if __name__ == "__main__":
    lambtest.main()
