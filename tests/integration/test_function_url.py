"""Function URLs served by start-api: the payload 2.0 event as a Function
URL sends it, Cors, BUFFERED and RESPONSE_STREAM (read with curl while the
function still writes), AuthType AWS_IAM with requests signed by botocore's
SigV4 signer, and lamb list endpoints."""
import base64
import glob
import http.client
import json
import os
import shutil
import subprocess
import time
import unittest

import lambtest

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: src/
    Timeout: 10
    Runtime: python3.12
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo
      FunctionUrlConfig:
        AuthType: NONE
        Cors:
          AllowOrigins: ["https://app.example"]
          AllowMethods: ["GET", "POST"]
          AllowHeaders: ["x-custom"]
          ExposeHeaders: ["x-out"]
          MaxAge: 300
  Private:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo
      FunctionUrlConfig:
        AuthType: AWS_IAM
  Streamer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      FunctionUrlConfig:
        AuthType: NONE
        InvokeMode: RESPONSE_STREAM
"""

APP = """\
import json

def echo(event, context):
    return {"statusCode": 201, "headers": {"x-out": "yes"}, "cookies": ["s=1"], "body": json.dumps(event)}
"""

INDEX = """\
exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  stream = awslambda.HttpResponseStream.from(stream, { statusCode: 202, headers: { 'x-kind': 'stream' } });
  for (let i = 0; i < 3; i++) {
    stream.write(`part ${i}\\n`);
    await new Promise((r) => setTimeout(r, 400));
  }
  stream.end();
});
"""

KEY, SECRET = "AKIDLAMBTEST", "lamb-test-secret"


def botocore_python():
    """An interpreter that can import botocore's SigV4 signer."""
    candidates = ["/usr/bin/python3", shutil.which("python3")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/*/bin/python3")))
    for py in candidates:
        if py and subprocess.run([py, "-c", "import botocore.auth"], capture_output=True).returncode == 0:
            return py
    return None


# For each secret of argv[2:], prints the status and body of a request to argv[1] signed by
# botocore (service lambda) with it, one line each, then the status of a GET presigned with the
# first: one process, as botocore takes seconds to import.
SIGNED = """\
import sys, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url, body = sys.argv[1], b'{"a": 1}'
for secret in sys.argv[2:]:
    req = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("%s", secret), "lambda", "us-east-1").add_auth(req)
    r = urllib.request.Request(url, data=body, headers=dict(req.headers), method="POST")
    try:
        with urllib.request.urlopen(r) as resp:
            print(resp.status, resp.read().decode())
    except urllib.error.HTTPError as e:
        print(e.code, e.read().decode())
from botocore.auth import SigV4QueryAuth
req = AWSRequest(method="GET", url=url)
SigV4QueryAuth(Credentials("%s", sys.argv[2]), "lambda", "eu-west-1", expires=300).add_auth(req)
try:
    print("presigned", urllib.request.urlopen(req.url).status)
except urllib.error.HTTPError as e:
    print("presigned", e.code)
""" % (KEY, KEY)


class Server(lambtest.LambServer):
    command = ("local", "start-api")


class FunctionUrls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.environ["AWS_ACCESS_KEY_ID"] = KEY
        os.environ["AWS_SECRET_ACCESS_KEY"] = SECRET
        try:
            cls.s = Server({"template.yaml": TEMPLATE, "src/app.py": APP, "src/index.js": INDEX})
        finally:
            del os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]

    @classmethod
    def tearDownClass(cls):
        assert cls.s.stop() == 0

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.s.port, timeout=30)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.headers, data

    def test_start_prints_the_urls(self):
        self.assertIn(f"URL http://127.0.0.1:{self.s.port}/lambda-url/Echo/ -> Echo (FunctionUrl, NONE, BUFFERED; "
                      "Host: echo.lambda-url.localhost)", self.s.stderr())

    def test_event_as_a_function_url_sends_it(self):
        status, h, data = self.request("POST", "/lambda-url/Echo/a/b?x=1&x=2&y=%20z", b"\x00\x01binary",
                                       {"Cookie": "c1=v1; c2=v2", "Content-Type": "application/octet-stream"})
        self.assertEqual(status, 201, data)
        self.assertEqual(h["x-out"], "yes")
        self.assertEqual(h["Set-Cookie"], "s=1")
        ev = json.loads(data)
        self.assertEqual((ev["version"], ev["routeKey"], ev["rawPath"]), ("2.0", "$default", "/a/b"))
        self.assertEqual(ev["rawQueryString"], "x=1&x=2&y=%20z")
        self.assertEqual(ev["queryStringParameters"], {"x": "1,2", "y": " z"})
        self.assertEqual(ev["cookies"], ["c1=v1", "c2=v2"])
        self.assertNotIn("cookie", ev["headers"])
        self.assertTrue(ev["isBase64Encoded"])
        self.assertEqual(base64.b64decode(ev["body"]), b"\x00\x01binary")
        ctx = ev["requestContext"]
        self.assertEqual(ctx["domainName"], "echo.lambda-url.localhost")
        self.assertEqual(ctx["domainPrefix"], "echo")
        self.assertEqual(ctx["accountId"], "anonymous")
        self.assertEqual(ctx["http"]["sourceIp"], "127.0.0.1")
        self.assertEqual(ctx["http"]["path"], "/a/b")
        self.assertEqual(ctx["stage"], "$default")

    def test_by_host(self):
        status, _, data = self.request("GET", "/some/path", headers={"Host": "echo.lambda-url.localhost:9"})
        self.assertEqual(status, 201, data)
        self.assertEqual(json.loads(data)["rawPath"], "/some/path")
        self.assertNotIn("body", json.loads(data))

    def test_cors(self):
        status, h, _ = self.request("OPTIONS", "/lambda-url/Echo/x", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
        self.assertEqual(status, 200)
        self.assertEqual(h["Access-Control-Allow-Origin"], "https://app.example")
        self.assertEqual(h["Access-Control-Allow-Methods"], "GET,POST")
        self.assertEqual(h["Access-Control-Max-Age"], "300")
        status, h, _ = self.request("GET", "/lambda-url/Echo/", headers={"Origin": "https://app.example"})
        self.assertEqual(h["Access-Control-Expose-Headers"], "x-out")
        status, h, _ = self.request("GET", "/lambda-url/Echo/", headers={"Origin": "https://evil.example"})
        self.assertNotIn("Access-Control-Allow-Origin", h)

    def test_response_stream_reaches_curl_before_the_function_ends(self):
        if not shutil.which("node") or not shutil.which("curl"):
            self.skipTest("node and curl are needed")
        self.request("GET", "/lambda-url/Streamer/")  # the cold start is not what is measured
        start = time.monotonic()
        p = subprocess.Popen(["curl", "-sN", "-D", "-", f"{self.s.url}/lambda-url/Streamer/"],
                             stdout=subprocess.PIPE)
        lines = []
        for line in p.stdout:
            lines.append((time.monotonic() - start, line.decode().rstrip("\r\n")))
        p.wait(timeout=30)
        p.stdout.close()
        text = [l for _, l in lines]
        self.assertEqual(text[0], "HTTP/1.1 202 Accepted")
        self.assertIn("x-kind: stream", text)
        self.assertIn("Transfer-Encoding: chunked", text)
        parts = [(t, l) for t, l in lines if l.startswith("part ")]
        self.assertEqual([l for _, l in parts], ["part 0", "part 1", "part 2"])
        # the function writes for 1.2 s; its first part is read long before that
        self.assertLess(parts[0][0], 0.8, lines)
        self.assertGreater(parts[2][0] - parts[0][0], 0.6, lines)

    def test_aws_iam(self):
        status, _, data = self.request("POST", "/lambda-url/Private/", b"{}")
        self.assertEqual((status, json.loads(data)), (403, {"Message": "Forbidden"}))
        py = botocore_python()
        if not py:
            self.skipTest("botocore is not installed (Debian package python3-botocore)")
        url = f"{self.s.url}/lambda-url/Private/p?q=1"
        r = subprocess.run([py, "-c", SIGNED, url, SECRET, "wrong-secret"], capture_output=True, text=True,
                           timeout=60)
        good, bad, presigned = r.stdout.splitlines()
        status, _, body = good.partition(" ")
        self.assertEqual(status, "201", r.stdout + r.stderr)
        iam = json.loads(body)["requestContext"]["authorizer"]["iam"]
        self.assertEqual(iam["accessKey"], KEY)
        self.assertEqual(bad, '403 {"Message":"Forbidden"}', r.stderr)
        self.assertEqual(presigned, "presigned 201", r.stderr)

    def test_list_endpoints(self):
        r = lambtest.run("list", "endpoints", "--json", cwd=self.s.dir.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        urls = {e["function"]: e for e in json.loads(r.stdout) if e["type"] == "FunctionUrl"}
        self.assertEqual(sorted(urls), ["Echo", "Private", "Streamer"])
        self.assertEqual(urls["Streamer"]["invokeMode"], "RESPONSE_STREAM")
        self.assertEqual(urls["Private"]["authType"], "AWS_IAM")
        self.assertEqual(urls["Echo"]["path"], "/lambda-url/Echo/")
        self.assertEqual(urls["Echo"]["host"], "echo.lambda-url.localhost")


if __name__ == "__main__":
    lambtest.main()
