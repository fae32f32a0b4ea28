"""TenancyConfig PER_TENANT end to end: start-lambda keeps instances per
tenant (a module-global counter and the instance's process prove that two
tenants never share one), refuses an Invoke without X-Amz-Tenant-Id as
Lambda does (curl and boto3), and one with it to a function without
isolation; the function sees context.tenant_id (Python) and
context.tenantId (Node); JSON platform records carry the tenant;
`lamb local invoke --tenant-id` and `lamb local bench --tenants`; under
`lamb local start` an Event invocation keeps its tenant through the
asynchronous queue, its retries and a crash."""
import http.client
import json
import os
import shutil
import subprocess
import time
import unittest

import lambtest
from test_local_start import LocalStart

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: src/
    Runtime: python3.12
Resources:
  Tenanted:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      TenancyConfig:
        TenantIsolationMode: PER_TENANT
      LoggingConfig:
        LogFormat: JSON
  NodeTenanted:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      TenancyConfig:
        TenantIsolationMode: PER_TENANT
  Shared:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
"""

APP = """\
import logging, os
count = 0

def handler(event, context):
    global count
    count += 1
    logging.getLogger().info("for %s", context.tenant_id)
    return {"instance": INSTANCE, "count": count, "tenant": context.tenant_id}

def api(event, context):
    import json
    return {"statusCode": 200, "body": json.dumps(handler(event, context))}
""".replace("INSTANCE", lambtest.INSTANCE_ID)

INDEX = """\
exports.handler = async (event, context) => ({tenant: context.tenantId});
"""

FILES = {"template.yaml": TEMPLATE, "src/app.py": APP, "src/index.js": INDEX}


class Server(lambtest.LambServer):
    command = ("local", "start-lambda")

    def invoke(self, name, tenant=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.request("POST", f"/2015-03-31/functions/{name}/invocations", body=b"{}",
                  headers={"X-Amz-Tenant-Id": tenant} if tenant else {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.getheader("X-Amzn-ErrorType"), json.loads(data) if data else None


def boto3_python():
    for py in ("/usr/bin/python3", shutil.which("python3")):
        if py and subprocess.run([py, "-c", "import boto3"], capture_output=True).returncode == 0:
            return py
    return None


class StartLambda(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(FILES)

    @classmethod
    def tearDownClass(cls):
        assert cls.s.stop() == 0

    def test_tenants_never_share_an_instance(self):
        got = {}
        for tenant in ("blue", "green", "blue", "green", "blue"):
            status, _, body = self.s.invoke("Tenanted", tenant)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["tenant"], tenant)
            got.setdefault(tenant, []).append(body)
        # each tenant's counter runs on alone: its instance saw no other tenant's invocations
        self.assertEqual([b["count"] for b in got["blue"]], [1, 2, 3])
        self.assertEqual([b["count"] for b in got["green"]], [1, 2])
        blue = {b["instance"] for b in got["blue"]}
        green = {b["instance"] for b in got["green"]}
        self.assertEqual((len(blue), len(green)), (1, 1))
        self.assertNotEqual(blue, green)
        # the JSON platform records name the tenant
        reports = [json.loads(line) for line in self.s.stderr().splitlines()
                   if '"type":"platform.report"' in line]
        self.assertEqual(sorted({r["record"]["tenantId"] for r in reports} & {"blue", "green"}),
                         ["blue", "green"])
        logs = [json.loads(line) for line in self.s.stderr().splitlines() if '"for ' in line]
        self.assertTrue(all(r["tenantId"] == r["message"][4:] for r in logs), logs)

    def test_node_context_tenant_id(self):
        if not shutil.which("node"):
            self.skipTest("node is not installed")
        self.assertEqual(self.s.invoke("NodeTenanted", "red"), (200, None, {"tenant": "red"}))

    def test_missing_tenant_refused_by_curl(self):
        if not shutil.which("curl"):
            self.skipTest("curl is not installed")
        r = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", "POST", "-d", "{}",
                            f"{self.s.url}/2015-03-31/functions/Tenanted/invocations"],
                           capture_output=True, text=True, timeout=30)
        body, status = r.stdout.rsplit("\n", 1)
        self.assertEqual(status, "400")
        self.assertEqual(json.loads(body)["Type"], "User")
        self.assertIn("Add a valid tenant ID", json.loads(body)["message"])
        status, kind, body = self.s.invoke("Tenanted")
        self.assertEqual((status, kind), (400, "InvalidParameterValueException"))
        status, kind, body = self.s.invoke("Shared", "blue")  # not isolated: a tenant is refused
        self.assertEqual((status, kind), (400, "InvalidParameterValueException"))
        self.assertEqual(self.s.invoke("Shared")[0], 200)
        self.assertEqual(self.s.invoke("Tenanted", "x" * 257)[:2], (400, "InvalidParameterValueException"))

    def test_boto3(self):
        py = boto3_python()
        if not py:
            self.skipTest("boto3 is not installed (Debian package python3-boto3)")
        script = f"""
import json, boto3
c = boto3.client("lambda", endpoint_url="{self.s.url}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
try:
    c.invoke(FunctionName="Tenanted")
    print("accepted")
except c.exceptions.InvalidParameterValueException as e:
    print("InvalidParameterValueException")
# this botocore's Invoke has no TenantId yet: the header as newer ones send it
c.meta.events.register("before-sign.lambda.Invoke",
                       lambda request, **kw: request.headers.__setitem__("X-Amz-Tenant-Id", "boto"))
print(json.loads(c.invoke(FunctionName="Tenanted")["Payload"].read())["tenant"])
"""
        r = subprocess.run([py, "-c", script], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), ["InvalidParameterValueException", "boto"])


class LocalCommands(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = lambtest.project(FILES)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def lamb(self, *args):
        return lambtest.run(*args, "--no-build", cwd=self.dir.name, timeout=120)

    def test_local_invoke_tenant_id(self):
        r = self.lamb("local", "invoke", "Tenanted", "--tenant-id", "acme", "--repeat", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        first, second = (json.loads(line) for line in r.stdout.splitlines())
        self.assertEqual((first["tenant"], second["count"]), ("acme", 2))
        r = self.lamb("local", "invoke", "Tenanted")
        self.assertEqual(r.returncode, 1)
        self.assertIn("needs a tenant id (InvalidParameterValueException)", r.stderr)

    def test_bench_counts_per_tenant(self):
        r = self.lamb("local", "bench", "Tenanted", "-n", "6", "--tenants", "2", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        tenants = json.loads(r.stdout)["tenants"]
        self.assertEqual(tenants, {"tenant-1": {"invocations": 3, "cold_starts": 1, "errors": 0},
                                   "tenant-2": {"invocations": 3, "cold_starts": 1, "errors": 0}})
        r = self.lamb("local", "bench", "Tenanted", "-n", "2", "--tenants", "2")
        self.assertRegex(r.stdout, r"per tenant\s+tenant-1\s+1 invocation, 1 cold start, 0 errors")


API_TEMPLATE = TEMPLATE + """\
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        openapi: '3.0.1'
        info: {title: tenants, version: '1'}
        paths:
          /by-header:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ApiTenanted.Arn}/invocations
                requestParameters:
                  integration.request.header.X-Amz-Tenant-Id: method.request.header.x-tenant-id
          /by-query:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ApiTenanted.Arn}/invocations
                requestParameters:
                  integration.request.header.X-Amz-Tenant-Id: method.request.querystring.tenant
          /unmapped:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ApiTenanted.Arn}/invocations
  ApiTenanted:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.api
      TenancyConfig:
        TenantIsolationMode: PER_TENANT
  Http:
    Type: AWS::Serverless::HttpApi
  Direct:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.api
      TenancyConfig:
        TenantIsolationMode: PER_TENANT
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref Http, Path: /http, Method: get}}
"""


class StartApi(unittest.TestCase):
    """A REST API reaches a tenant-isolated function only through an
    integration that maps a request parameter to X-Amz-Tenant-Id
    (tenant-isolation-invoke.md); an HTTP API cannot set it at all."""

    def get(self, s, path, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, json.loads(data) if data else None

    def test_tenant_from_the_request(self):
        class Api(lambtest.LambServer):
            command = ("local", "start-api")
        s = Api(dict(FILES, **{"template.yaml": API_TEMPLATE}))
        try:
            status, blue = self.get(s, "/by-header", {"x-tenant-id": "blue"})
            self.assertEqual(status, 200, s.stderr())
            status, again = self.get(s, "/by-query?tenant=blue")
            self.assertEqual(status, 200, s.stderr())
            status, red = self.get(s, "/by-header", {"x-tenant-id": "red"})
            self.assertEqual(status, 200, s.stderr())
            self.assertEqual((blue["tenant"], again["tenant"], red["tenant"]), ("blue", "blue", "red"))
            self.assertEqual(again["instance"], blue["instance"])  # blue's own instance, warm
            self.assertNotEqual(red["instance"], blue["instance"])
            self.assertEqual(self.get(s, "/by-header"), (500, {"message": "Internal server error"}))
            self.assertEqual(self.get(s, "/unmapped", {"x-tenant-id": "blue"}),
                             (500, {"message": "Internal server error"}))
            self.assertEqual(self.get(s, "/http", {"x-tenant-id": "blue"}),
                             (500, {"message": "Internal Server Error"}))
            self.assertIn("maps nothing to X-Amz-Tenant-Id", s.stderr())
        finally:
            self.assertEqual(s.stop(), 0)


ASYNC_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Tenanted:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Runtime: python3.12
      Handler: app.tried
      TenancyConfig:
        TenantIsolationMode: PER_TENANT
      EventInvokeConfig:
        MaximumRetryAttempts: 1
"""

ASYNC_APP = """\
def tried(event, context):
    print("TRIED", context.tenant_id, event["n"], flush=True)
    raise RuntimeError("async failure")
"""


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


class LocalStartEvent(unittest.TestCase):
    def test_event_keeps_its_tenant_through_a_retry_and_a_crash(self):
        s = LocalStart("--clock", "manual", files={"template.yaml": ASYNC_TEMPLATE, "src/app.py": ASYNC_APP})
        journal = os.path.join(s.dir.name, ".lamb", "async", "events.jsonl")
        url = "/2015-03-31/functions/Tenanted/invocations"
        try:
            event = {"X-Amz-Invocation-Type": "Event"}
            status, body = s.request(s.lambda_, "POST", url, b'{"n": 1}', event)
            self.assertEqual(status, 400, body)  # no tenant: refused before it is queued
            self.assertIn(b"tenant ID", body)
            status, _ = s.request(s.lambda_, "POST", url, b'{"n": 1}', dict(event, **{"X-Amz-Tenant-Id": "blue"}))
            self.assertEqual(status, 202)
            deadline = time.time() + 30
            while '"attempts":1' not in read(journal) and time.time() < deadline:
                time.sleep(0.05)  # the first attempt failed: its retry waits a minute on the clock
            self.assertIn("TRIED blue 1", s.stderr())
            s.restart("--clock", "manual", kill=True)  # SIGKILL before the retry
            self.assertIn("lamb: 1 pending asynchronous event reloaded", s.stderr())
            r = s.clock("advance", "5m")
            self.assertIn("invoke  Tenanted  function error", r.stdout, r.stdout + r.stderr)
            self.assertIn("TRIED blue 1", s.stderr())  # the retry, in blue's instance
            self.assertNotIn("TRIED None", s.stderr())
        finally:
            self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    lambtest.main()
