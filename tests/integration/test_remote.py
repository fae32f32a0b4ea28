"""After a deploy to the AWS stand-in: lamb remote invoke (the function
found among the stack's resources, the response on stdout, the log tail
on stderr, exit 1 on a function error), lamb list stack-outputs and lamb
list endpoints --stack-name."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from lambtest import LAMB, project  # noqa: E402
from test_deploy import DeployCase, BUCKET  # noqa: E402

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Events:
        Get:
          Type: Api
          Properties: {Path: /hello, Method: get}
  Other:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
Outputs:
  HelloArn:
    Description: the function's ARN
    Value: !GetAtt Hello.Arn
"""


class Remote(DeployCase):
    def setUp(self):
        super().setUp()
        self.proj = project({"template.yaml": TEMPLATE, "src/app.py": "def handler(e, c):\n    return e\n"})
        self.addCleanup(self.proj.cleanup)
        self.dir = self.proj.name
        r = self.deploy()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.hello = self.aws.stack("app").resources["Hello"].physical

    def run_lamb(self, *args, input=None):
        return subprocess.run([LAMB, *args], cwd=self.dir, env=self.env, capture_output=True, text=True,
                              timeout=60, input=input)

    def test_invoke_prints_response_and_tail(self):
        r = self.run_lamb("remote", "invoke", "Hello", "--stack-name", "app", "-e", '{"a": 1}')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {"a": 1})
        self.assertIn(f"echo from {self.hello}", r.stderr)
        self.assertRegex(r.stderr, r"START RequestId: \S+ Version: \$LATEST")
        self.assertEqual(self.aws.invocations[-1], (self.hello, b'{"a": 1}'))
        # the event from stdin, and from a file
        r = self.run_lamb("remote", "invoke", "Hello", "--stack-name", "app", "-e", "-", input='{"b": 2}')
        self.assertEqual(json.loads(r.stdout), {"b": 2}, r.stderr)
        with open(os.path.join(self.dir, "ev.json"), "w") as f:
            f.write('{"c": 3}')
        r = self.run_lamb("remote", "invoke", "Hello", "--stack-name", "app", "--event-file", "ev.json")
        self.assertEqual(json.loads(r.stdout), {"c": 3}, r.stderr)
        # by name, without the stack
        r = self.run_lamb("remote", "invoke", self.hello)
        self.assertEqual(json.loads(r.stdout), {}, r.stderr)

    def test_function_error_exits_1(self):
        self.aws.invoke_handler = lambda name, payload: (
            b'{"errorMessage": "boom", "errorType": "ValueError"}', "Unhandled", "[ERROR] ValueError: boom\n")
        r = self.run_lamb("remote", "invoke", "Hello", "--stack-name", "app")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(json.loads(r.stdout)["errorMessage"], "boom")
        self.assertIn("[ERROR] ValueError: boom", r.stderr)
        self.assertIn(f"function '{self.hello}' failed (Unhandled)", r.stderr)

    def test_which_function(self):
        r = self.run_lamb("remote", "invoke", "--stack-name", "app")
        self.assertEqual(r.returncode, 1)
        self.assertIn("stack 'app' has 2 functions: name one (its logical id)", r.stderr)
        self.assertIn("  Other", r.stderr)
        r = self.run_lamb("remote", "invoke", "Nope", "--stack-name", "app")
        self.assertEqual(r.returncode, 1)
        self.assertIn("stack 'app' has no function 'Nope'", r.stderr)
        r = self.run_lamb("remote", "invoke", "missing-fn")
        self.assertEqual(r.returncode, 1)
        self.assertIn("ResourceNotFoundException: Function not found", r.stderr)

    def test_list_stack_outputs_and_endpoints(self):
        r = self.run_lamb("list", "stack-outputs", "--stack-name", "app")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"OutputKey\s+OutputValue\s+Description")
        self.assertRegex(r.stdout, r"HelloArn\s+arn:aws:lambda:us-east-1:\S+\s+the function's ARN")
        r = self.run_lamb("list", "stack-outputs", "--stack-name", "app", "--json")
        self.assertEqual(json.loads(r.stdout)[0]["OutputKey"], "HelloArn")
        r = self.run_lamb("list", "endpoints", "--stack-name", "app", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = json.loads(r.stdout)
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["ResourceId"], "ServerlessRestApi")
        self.assertRegex(rows[0]["CloudEndpoint"], r"^https://\w+\.execute-api\.us-east-1\.amazonaws\.com/Prod$")
        r = self.run_lamb("list", "stack-outputs", "--stack-name", "gone")
        self.assertEqual(r.returncode, 1)
        self.assertIn("stack 'gone' does not exist", r.stderr)


if __name__ == "__main__":
    lambtest.main()
