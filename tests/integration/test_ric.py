"""AWS's own Node runtime interface client (npm aws-lambda-ric), a Runtime
API client nobody here wrote, as the bootstrap of a provided.al2023
function. It is installed once from the npm registry into a cache
(~/.cache/lamb-test/aws-lambda-ric, or $LAMB_RIC_DIR); the test is skipped,
with the reason, when node, npm, the registry or its native build are not
available."""
import json
import os
import shutil
import subprocess
import unittest

import lambtest

CACHE = os.environ.get("LAMB_RIC_DIR") or os.path.expanduser("~/.cache/lamb-test/aws-lambda-ric")
ENTRY = os.path.join(CACHE, "node_modules", "aws-lambda-ric", "bin", "index.mjs")

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Ric:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      Handler: index.handler
      Runtime: provided.al2023
      Timeout: 5
"""

HANDLER = """\
export const handler = async (event, context) => {
  if (event.fail) throw new Error("asked to fail");
  if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
  return { echo: event, requestId: context.awsRequestId, name: context.functionName,
           arn: context.invokedFunctionArn, left: context.getRemainingTimeInMillis() };
};
"""


def install():
    """Returns None when the client is there, else why it cannot be."""
    if os.path.isfile(ENTRY):
        return None
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            return f"'{tool}' is not installed"
    os.makedirs(CACHE, exist_ok=True)
    try:
        p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", CACHE, "aws-lambda-ric"],
                           capture_output=True, text=True, timeout=1500)
    except subprocess.TimeoutExpired:
        return "npm install aws-lambda-ric took more than 25 minutes"
    if p.returncode != 0 or not os.path.isfile(ENTRY):
        tail = (p.stdout + p.stderr).strip().splitlines()[-3:]
        return "npm install aws-lambda-ric failed (registry unreachable, or its native build needs " \
               "autoconf, automake, libtool, cmake, g++): " + " | ".join(tail)
    return None


class AwsLambdaRic(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = install()
        if why:
            raise unittest.SkipTest(why)

    def project(self):
        d = lambtest.project({"template.yaml": TEMPLATE, "fn/index.mjs": HANDLER,
                              "fn/bootstrap": f'#!/bin/sh\nexec node {ENTRY} "$_HANDLER"\n'})
        os.chmod(os.path.join(d.name, "fn", "bootstrap"), 0o755)
        return d

    def test_response_and_context(self):
        d = self.project()
        r = lambtest.run("local", "invoke", "-e", "-", "--repeat", "2", cwd=d.name, input='{"a":1}')
        self.assertEqual(r.returncode, 0, r.stderr)
        outs = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual(len(outs), 2)
        starts = [l.split()[2] for l in r.stderr.splitlines() if l.startswith("START")]
        self.assertEqual([o["requestId"] for o in outs], starts)
        self.assertEqual(outs[0]["echo"], {"a": 1})
        self.assertEqual(outs[0]["name"], "Ric")
        self.assertTrue(outs[0]["arn"].endswith(":function:Ric"))
        self.assertTrue(0 < outs[0]["left"] <= 5000)

    def test_function_error(self):
        d = self.project()
        r = lambtest.run("local", "invoke", "-e", "-", cwd=d.name, input='{"fail":true}')
        self.assertEqual(r.returncode, 1)
        body = json.loads(r.stdout)
        self.assertEqual(body["errorType"], "Error")
        self.assertEqual(body["errorMessage"], "asked to fail")

    def test_timeout(self):
        d = self.project()
        r = lambtest.run("local", "invoke", "-e", "-", cwd=d.name, input='{"sleep":8000}')
        self.assertEqual(r.returncode, 1)
        self.assertEqual(json.loads(r.stdout)["errorType"], "Sandbox.Timedout")


if __name__ == "__main__":
    lambtest.main()
