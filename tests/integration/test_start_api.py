"""lamb local start-api end to end: a real server on 127.0.0.1, real HTTP
clients (http.client, curl), Python functions behind REST and HTTP API
routes. Each row of ../shared/reference/apigw.md that start-api answers
itself has a test here."""
import base64
import http.client
import json
import os
import shutil
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
    Timeout: 2
  Api:
    BinaryMediaTypes: ['image~1png']
    Variables: {stagevar: sv1}
    Cors: "'https://example.com'"
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo
      Events:
        Get: {Type: Api, Properties: {Path: '/items/{id}', Method: get}}
        Post: {Type: Api, Properties: {Path: /items, Method: post}}
        Greedy: {Type: Api, Properties: {Path: '/files/{proxy+}', Method: any}}
        Http: {Type: HttpApi, Properties: {Path: '/v2/{name}', Method: post}}
        Default: {Type: HttpApi}
  Shaped:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.shaped
      Events:
        S: {Type: Api, Properties: {Path: /shaped, Method: post}}
        S2: {Type: HttpApi, Properties: {Path: /shaped2, Method: post}}
  Broken:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.broken
      Events:
        B: {Type: Api, Properties: {Path: /broken, Method: get}}
  Slow:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.slow
      Timeout: 5
      Events:
        S: {Type: Api, Properties: {Path: /slow, Method: get}}
  Raises:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.raises
      Events:
        R: {Type: Api, Properties: {Path: /raises, Method: get}}
"""

APP = """\
import base64, json, os, time

def echo(event, context):
    return {"statusCode": 200, "headers": {"X-Pid": """ + lambtest.INSTANCE_ID + """},
            "body": json.dumps(event)}

def shaped(event, context):
    # the request body says what to return
    return json.loads(event["body"])

def broken(event, context):
    return {"statusCode": 200, "headers": {"X-Bad": "a\\r\\nInjected: yes"}, "body": "x"}

def slow(event, context):
    time.sleep(float((event.get("queryStringParameters") or {}).get("s", "1")))
    return {"statusCode": 200, "body": "slept"}

def raises(event, context):
    raise ValueError("nope")
"""


class Server(lambtest.LambServer):
    command = ("local", "start-api")

    def request(self, method, path, body=None, headers=None, timeout=30):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.getheaders(), data


@unittest.skipUnless(shutil.which("python3.11") or shutil.which("python3"), "no Python interpreter")
class StartApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server({"template.yaml": TEMPLATE, "src/app.py": APP, "public/index.html": "<p>static</p>"})

    @classmethod
    def tearDownClass(cls):
        cls.rc = cls.s.stop()

    def event(self, method, path, body=None, headers=None):
        status, h, _, data = self.s.request(method, path, body, headers)
        self.assertEqual(status, 200, data)
        return json.loads(data)

    def test_routes_printed(self):
        err = self.s.stderr()
        self.assertIn("GET /items/{id} -> Echo (REST, payload 1.0)", err)
        self.assertIn("POST /v2/{name} -> Echo (HTTP API, payload 2.0)", err)

    def test_rest_event(self):
        ev = self.event("GET", "/items/42?a=1&a=2&b=x%20y", headers={"X-Custom": "v"})
        self.assertEqual(ev["resource"], "/items/{id}")
        self.assertEqual(ev["path"], "/items/42")
        self.assertEqual(ev["httpMethod"], "GET")
        self.assertEqual(ev["pathParameters"], {"id": "42"})
        self.assertEqual(ev["queryStringParameters"], {"a": "2", "b": "x y"})
        self.assertEqual(ev["multiValueQueryStringParameters"], {"a": ["1", "2"], "b": ["x y"]})
        self.assertEqual(ev["headers"]["X-Custom"], "v")
        self.assertEqual(ev["stageVariables"], {"stagevar": "sv1"})
        self.assertIsNone(ev["body"])
        self.assertEqual(ev["requestContext"]["stage"], "Prod")
        self.assertEqual(ev["requestContext"]["path"], "/Prod/items/42")
        self.assertEqual(ev["requestContext"]["identity"]["sourceIp"], "127.0.0.1")

    def test_greedy_and_trailing_slash(self):
        ev = self.event("DELETE", "/files/a/b/c.txt")
        self.assertEqual(ev["pathParameters"], {"proxy": "a/b/c.txt"})
        ev = self.event("GET", "/items/7/")
        self.assertEqual(ev["pathParameters"], {"id": "7"})

    def test_bodies_text_and_binary(self):
        ev = self.event("POST", "/items", body="héllo".encode(), headers={"Content-Type": "text/plain"})
        self.assertEqual(ev["body"], "héllo")
        self.assertFalse(ev["isBase64Encoded"])
        ev = self.event("POST", "/items", body=b"\x89PNG", headers={"Content-Type": "image/png"})
        self.assertTrue(ev["isBase64Encoded"])
        self.assertEqual(base64.b64decode(ev["body"]), b"\x89PNG")

    def test_http_api_event(self):
        ev = self.event("POST", "/v2/bob?q=1&q=2", body="{}", headers={"Cookie": "a=1; b=2", "X-Two": "x"})
        self.assertEqual(ev["version"], "2.0")
        self.assertEqual(ev["routeKey"], "POST /v2/{name}")
        self.assertEqual(ev["rawQueryString"], "q=1&q=2")
        self.assertEqual(ev["queryStringParameters"], {"q": "1,2"})
        self.assertEqual(ev["cookies"], ["a=1", "b=2"])
        self.assertEqual(ev["headers"]["x-two"], "x")
        self.assertEqual(ev["pathParameters"], {"name": "bob"})
        self.assertEqual(ev["requestContext"]["http"]["method"], "POST")

    def test_default_route_catches_the_rest(self):
        ev = self.event("PATCH", "/anything/at/all")
        self.assertEqual(ev["routeKey"], "$default")

    def test_response_mapping(self):
        result = {"statusCode": 201, "headers": {"X-One": "1"},
                  "multiValueHeaders": {"X-Many": ["a", "b"]},
                  "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
        status, h, raw, data = self.s.request("POST", "/shaped", json.dumps(result))
        self.assertEqual(status, 201)
        self.assertEqual(h["x-one"], "1")
        self.assertEqual([v for k, v in raw if k.lower() == "x-many"], ["a", "b"])
        self.assertEqual(data, b"\x00\x01")
        self.assertEqual(h["content-type"], "application/json")

    def test_v2_shortcuts(self):
        status, h, raw, data = self.s.request("POST", "/shaped2", json.dumps({"hello": "world"}))
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(data), {"hello": "world"})
        status, h, raw, data = self.s.request(
            "POST", "/shaped2", json.dumps({"statusCode": 200, "cookies": ["c=1", "d=2"], "body": "ok"}))
        self.assertEqual([v for k, v in raw if k.lower() == "set-cookie"], ["c=1", "d=2"])

    def test_invalid_response_is_502(self):
        for body in ('{"statusCode": 200, "unexpected": 1}', '"a string"', '{"statusCode": "x"}'):
            status, h, _, data = self.s.request("POST", "/shaped", json.dumps(json.loads(body)))
            self.assertEqual(status, 502, body)
            self.assertEqual(json.loads(data), {"message": "Internal server error"})

    def test_crlf_in_header_never_reaches_the_wire(self):
        status, h, raw, data = self.s.request("GET", "/broken")
        self.assertEqual(status, 502)
        self.assertNotIn("injected", h)

    def test_function_error_is_502(self):
        status, _, _, data = self.s.request("GET", "/raises")
        self.assertEqual(status, 502)
        self.assertEqual(json.loads(data), {"message": "Internal server error"})

    def test_missing_route_is_403(self):
        tmpl = "\n".join(l for l in TEMPLATE.splitlines() if "Default: {Type: HttpApi}" not in l) + "\n"
        s = Server({"template.yaml": tmpl, "src/app.py": APP})
        try:
            for method, path in (("GET", "/nothing-here"), ("POST", "/items/1"), ("GET", "/shaped")):
                status, _, _, data = s.request(method, path)
                self.assertEqual(status, 403, (method, path))
                self.assertEqual(json.loads(data), {"message": "Missing Authentication Token"})
        finally:
            s.stop()

    def test_static_files(self):
        status, h, _, data = self.s.request("GET", "/index.html")
        self.assertEqual(status, 200)
        self.assertEqual(data, b"<p>static</p>")
        self.assertEqual(h["content-type"], "text/html")

    def test_cors(self):
        status, h, _, _ = self.s.request("OPTIONS", "/items/1", headers={
            "Origin": "https://example.com", "Access-Control-Request-Method": "GET"})
        self.assertEqual(status, 200)
        self.assertEqual(h["access-control-allow-origin"], "https://example.com")
        self.assertIn("GET", h["access-control-allow-methods"])
        status, h, _, _ = self.s.request("GET", "/items/1", headers={"Origin": "https://example.com"})
        self.assertEqual(h["access-control-allow-origin"], "https://example.com")

    def test_oversized_body_is_413(self):
        status, _, _, data = self.s.request("POST", "/items", body=b"x" * (6 * 1024 * 1024 + 1))
        self.assertEqual(status, 413)

    def test_concurrent_requests_run_in_parallel(self):
        results = []

        def one():
            results.append(self.s.request("GET", "/slow?s=1"))

        threads = [threading.Thread(target=one) for _ in range(4)]
        start = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - start
        self.assertEqual([r[0] for r in results], [200] * 4)
        # four one-second sleeps in parallel, not one after the other
        self.assertLess(elapsed, 3.5)

    def test_warm_instances_are_reused(self):
        pids = {self.s.request("GET", "/items/1")[1]["x-pid"] for _ in range(5)}
        self.assertEqual(len(pids), 1)

    def test_no_spinning_while_a_handler_works_or_when_idle(self):
        """Where answers come within microseconds, lamb's loop polls for a
        while before it sleeps (base/loop.c); the poll is bounded and dies
        down: a second of a slow handler, then a second idle, after 300 quick
        requests, cost lamb's process (its instances apart) little CPU, where
        polling until something came would cost two seconds."""
        c = http.client.HTTPConnection("127.0.0.1", self.s.port, timeout=30)
        for _ in range(300):
            c.request("GET", "/items/1")
            self.assertEqual(c.getresponse().read()[:1], b"{")
        c.close()

        def cpu():
            with open(f"/proc/{self.s.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        before = cpu()
        status, _, _, data = self.s.request("GET", "/slow?s=1")
        self.assertEqual((status, data), (200, b"slept"))
        time.sleep(1)
        self.assertLess(cpu() - before, 0.2)


class Lifecycle(unittest.TestCase):
    def test_bad_spin_setting_is_a_usage_error(self):
        """LAMB_SPIN_US is the user's setting: a mistyped value is named,
        and the command exits 2 before it starts anything."""
        with lambtest.project({"template.yaml": TEMPLATE, "src/app.py": APP}) as d:
            r = lambtest.run("local", "start-api", "-p", str(lambtest.free_port()), cwd=d,
                             env=dict(os.environ, LAMB_SPIN_US="fast"), timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("LAMB_SPIN_US: 'fast' is not a number of microseconds", r.stderr)

    def test_timeout_then_sigterm_leaves_nothing(self):
        s = Server({"template.yaml": TEMPLATE, "src/app.py": APP})
        try:
            status, _, _, data = s.request("GET", "/slow?s=10")
            self.assertEqual(status, 502)  # Timeout 5 s: a function error to API Gateway
            self.assertIn("Task timed out after 5.00 seconds", s.stderr())
        finally:
            rc = s.stop()
        self.assertEqual(rc, 0)

    def test_integration_timeout_is_504(self):
        s = Server({"template.yaml": TEMPLATE, "src/app.py": APP}, "--integration-timeout", "1")
        try:
            status, _, _, data = s.request("GET", "/slow?s=3")
            self.assertEqual(status, 504)
            self.assertEqual(json.loads(data), {"message": "Endpoint request timed out"})
        finally:
            s.stop()

    def test_throttled_beyond_the_concurrency_limit_is_500(self):
        s = Server({"template.yaml": TEMPLATE, "src/app.py": APP}, "--max-concurrency", "1")
        try:
            s.request("GET", "/slow?s=0")  # warm the one instance
            results = []

            def one():
                results.append(s.request("GET", "/slow?s=1.5")[0])

            threads = [threading.Thread(target=one) for _ in range(2)]
            for t in threads:
                t.start()
                time.sleep(0.3)
            for t in threads:
                t.join()
            self.assertEqual(sorted(results), [200, 500])
            self.assertIn("throttled", s.stderr())
            self.assertNotIn("throttled: throttled", s.stderr())
        finally:
            s.stop()

    def test_reserved_concurrency_zero_always_throttles(self):
        tmpl = TEMPLATE.replace("      Handler: app.raises\n",
                                "      Handler: app.raises\n      ReservedConcurrentExecutions: 0\n")
        s = Server({"template.yaml": tmpl, "src/app.py": APP})
        try:
            status, _, _, data = s.request("GET", "/raises")
            self.assertEqual(status, 500)
            self.assertEqual(json.loads(data), {"message": "Internal server error"})
        finally:
            s.stop()

    def test_no_routes_is_an_error(self):
        d = lambtest.project({"template.yaml": "Transform: AWS::Serverless-2016-10-31\nResources:\n"
                                               "  F: {Type: AWS::Serverless::Function, Properties: "
                                               "{Runtime: python3.11, Handler: a.b}}\n"})
        r = lambtest.run("local", "start-api", "-p", "0", cwd=d.name, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn("nothing to serve", r.stderr)
        d.cleanup()


if __name__ == "__main__":
    lambtest.main()
