"""lamb local start-api with routes from OpenAPI definitions: an inline
DefinitionBody on an AWS::Serverless::Api (Fn::Sub and Fn::GetAtt uris) and
a local DefinitionUri file on an AWS::Serverless::HttpApi, served to real
HTTP requests; integrations lamb cannot serve are warnings."""
import json
import shutil
import unittest

import lambtest
from test_start_api import Server

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    CodeUri: src/
    Handler: app.echo
Resources:
  Hello:
    Type: AWS::Serverless::Function
  Other:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: other-fn
  RestApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      DefinitionBody:
        openapi: '3.0.1'
        paths:
          /hello/{name}:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Hello.Arn}/invocations
          /any:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: !GetAtt Other.Arn
          /mock:
            get:
              x-amazon-apigateway-integration: {type: mock}
  HttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionUri: openapi.yaml
"""

OPENAPI = """\
openapi: '3.0.1'
paths:
  /v2/items/{id}:
    post:
      x-amazon-apigateway-integration:
        type: aws_proxy
        payloadFormatVersion: '2.0'
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:other-fn/invocations
"""

APP = """\
import json, os

def echo(event, context):
    return {"statusCode": 200, "body": json.dumps({"fn": context.function_name, "event": event})}
"""


@unittest.skipUnless(shutil.which("python3.11") or shutil.which("python3"), "no Python interpreter")
class OpenApiRoutes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server({"template.yaml": TEMPLATE, "openapi.yaml": OPENAPI, "src/app.py": APP})

    @classmethod
    def tearDownClass(cls):
        assert cls.s.stop() == 0

    def call(self, method, path, body=None):
        status, _, _, data = self.s.request(method, path, body)
        self.assertEqual(status, 200, data)
        return json.loads(data)

    def test_routes_printed_and_warning(self):
        err = self.s.stderr()
        self.assertIn("GET /hello/{name} -> Hello (REST, payload 1.0)", err)
        self.assertIn("ANY /any -> Other (REST, payload 1.0)", err)
        self.assertIn("POST /v2/items/{id} -> Other (HTTP API, payload 2.0)", err)
        self.assertIn("integration type 'mock' is not served", err)

    def test_definition_body_sub_uri(self):
        r = self.call("GET", "/hello/ann?x=1")
        self.assertEqual(r["fn"], "Hello")
        e = r["event"]
        self.assertEqual(e["resource"], "/hello/{name}")
        self.assertEqual(e["pathParameters"], {"name": "ann"})
        self.assertEqual(e["queryStringParameters"], {"x": "1"})
        self.assertEqual(e["requestContext"]["stage"], "dev")

    def test_definition_body_getatt_uri_any_method(self):
        for method in ("GET", "DELETE", "PUT"):
            r = self.call(method, "/any")
            self.assertEqual((r["fn"], r["event"]["httpMethod"]), ("other-fn", method))

    def test_definition_uri_file(self):
        r = self.call("POST", "/v2/items/7", b'{"a": 1}')
        self.assertEqual(r["fn"], "other-fn")
        e = r["event"]
        self.assertEqual(e["version"], "2.0")
        self.assertEqual(e["routeKey"], "POST /v2/items/{id}")
        self.assertEqual(e["pathParameters"], {"id": "7"})

    def test_unserved_integration_is_403(self):
        status, _, _, _ = self.s.request("GET", "/mock")
        self.assertEqual(status, 403)


class BadDefinition(unittest.TestCase):
    def test_missing_definition_uri_file(self):
        d = lambtest.project({"template.yaml": TEMPLATE, "src/app.py": APP})
        r = lambtest.run("local", "start-api", "-p", "0", cwd=d.name, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("API 'HttpApi': cannot read DefinitionUri 'openapi.yaml': No such file or directory", r.stderr)
        d.cleanup()


if __name__ == "__main__":
    lambtest.main()
