"""lamb local start-api with APIs written as plain CloudFormation, served to
real HTTP requests: a RestApi built of Resource and Method resources (with
its Stage and a TOKEN AWS::ApiGateway::Authorizer), an ApiGatewayV2 Api of
Route and Integration resources (with a REQUEST AWS::ApiGatewayV2::Authorizer),
a quick-create HTTP API, and a RestApi whose Body carries an
x-amazon-apigateway-authorizer and a prepended basePath, and an HTTP API
read from a local BodyS3Location file. Beside them, API
Gateway's own answers: a plain OPTIONS on a REST API with Cors (SAM's, or
CDK's MOCK OPTIONS method), a payload
1.0 result without statusCode on an HTTP API, a payload 2.0 JSON string,
the X-Forwarded-* headers of REST events, a REST method's operationName,
and an HTTP API's 404."""
import json
import shutil
import unittest

import lambtest
from test_start_api import Server

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Echo:
    Type: AWS::Lambda::Function
    Properties: {Code: src/, Handler: app.echo, Runtime: python3.11}
  NoStatus:
    Type: AWS::Lambda::Function
    Properties: {Code: src/, Handler: app.no_status, Runtime: python3.11}
  Text:
    Type: AWS::Lambda::Function
    Properties: {Code: src/, Handler: app.text, Runtime: python3.11}
  Authorizer:
    Type: AWS::Lambda::Function
    Properties: {Code: src/, Handler: app.authorize, Runtime: python3.11}

  # a REST API of Resources and Methods
  Shop:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: shop}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Shop
      ParentId: !GetAtt Shop.RootResourceId
      PathPart: items
  Item:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Shop, ParentId: !Ref Items, PathPart: '{id}'}
  ItemGet:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Shop
      ResourceId: !Ref Item
      HttpMethod: GET
      OperationName: GetItem
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Echo.Arn}/invocations
  ItemsPost:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Shop
      ResourceId: !Ref Items
      HttpMethod: POST
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref TokenAuth
      Integration:
        Type: AWS_PROXY
        Uri: !Join ['', ['arn:', !Ref AWS::Partition, ':apigateway:', !Ref AWS::Region,
                         ':lambda:path/2015-03-31/functions/', !GetAtt Echo.Arn, /invocations]]
  ItemsOptions:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Shop
      ResourceId: !Ref Items
      HttpMethod: OPTIONS
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{ statusCode: 200 }'}
        IntegrationResponses:
          - StatusCode: '204'
            ResponseParameters:
              method.response.header.Access-Control-Allow-Origin: "'https://shop.example'"
              method.response.header.Access-Control-Allow-Methods: "'GET,POST'"
  TokenAuth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Shop
      Name: token
      Type: TOKEN
      IdentitySource: method.request.header.X-Token
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Authorizer.Arn}/invocations
  ShopDeployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [ItemGet, ItemsPost]
    Properties: {RestApiId: !Ref Shop}
  ShopStage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Shop
      DeploymentId: !Ref ShopDeployment
      StageName: live
      Variables: {shop: open}

  # an HTTP API of Routes and Integrations
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: http, ProtocolType: HTTP}
  EchoIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Http
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Echo.Arn}/invocations
      PayloadFormatVersion: '2.0'
  NoStatusIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Http
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt NoStatus.Arn
      PayloadFormatVersion: '1.0'
  UserRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Http
      RouteKey: PUT /users/{name}
      Target: !Join [/, [integrations, !Ref EchoIntegration]]
  GuardedRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Http
      RouteKey: GET /guarded
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref SimpleAuth
      Target: !Sub integrations/${EchoIntegration}
  NoStatusRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Http
      RouteKey: GET /nostatus
      Target: !Sub integrations/${NoStatusIntegration}
  SimpleAuth:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Http
      Name: simple
      AuthorizerType: REQUEST
      AuthorizerPayloadFormatVersion: '2.0'
      EnableSimpleResponses: true
      IdentitySource: [$request.header.X-User]
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Authorizer.Arn}/invocations
  HttpStage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Http, StageName: $default, StageVariables: {kind: http}}

  # a quick-create HTTP API
  Quick:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      ProtocolType: HTTP
      RouteKey: GET /quick
      Target: !GetAtt Text.Arn

  # a REST API from a Body: its own authorizer, and a basePath prepended
  Documented:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Parameters: {basepath: prepend}
      Body:
        swagger: '2.0'
        basePath: /v1
        securityDefinitions:
          Token:
            type: apiKey
            in: header
            name: X-Token
            x-amazon-apigateway-authtype: custom
            x-amazon-apigateway-authorizer:
              type: token
              authorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Authorizer.Arn}/invocations
        paths:
          /doc:
            get:
              operationId: readDoc
              security: [{Token: []}]
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Echo.Arn}/invocations

  # an HTTP API from a local BodyS3Location file
  FromFile:
    Type: AWS::ApiGatewayV2::Api
    Properties: {BodyS3Location: api/openapi.yaml}

  # a SAM REST API with Cors, for the plain OPTIONS
  CorsApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Cors: {AllowOrigin: "'https://example.com'", AllowHeaders: "'X-Custom'"}
  CorsFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.echo
      Runtime: python3.11
      Events:
        Get: {Type: Api, Properties: {RestApiId: !Ref CorsApi, Path: /cors, Method: get}}
"""

OPENAPI_FILE = """\
openapi: '3.0.1'
paths:
  /file/{name}:
    get:
      operationId: notForHttpApis
      x-amazon-apigateway-integration:
        type: aws_proxy
        payloadFormatVersion: '2.0'
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Echo/invocations
"""

APP = """\
import json

def echo(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}

def no_status(event, context):
    return {"body": "no status here"}

def text(event, context):
    return 'a "quoted" text'

def authorize(event, context):
    if event["type"] == "TOKEN":
        tok = event["authorizationToken"]
        return {"principalId": tok,
                "policyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Action": "execute-api:Invoke", "Resource": event["methodArn"],
                     "Effect": "Allow" if tok == "allow" else "Deny"}]},
                "context": {"via": "token"}}
    return {"isAuthorized": event["identitySource"] == ["allow"], "context": {"via": "simple"}}
"""

HTTP_ONLY = """\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Echo:
    Type: AWS::Lambda::Function
    Properties: {Code: src/, Handler: app.echo, Runtime: python3.11}
  Quick:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      ProtocolType: HTTP
      RouteKey: GET /only
      Target: !GetAtt Echo.Arn
"""


@unittest.skipUnless(shutil.which("python3.11") or shutil.which("python3"), "no Python interpreter")
class CloudFormationApis(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server({"template.yaml": TEMPLATE, "src/app.py": APP, "api/openapi.yaml": OPENAPI_FILE})

    @classmethod
    def tearDownClass(cls):
        assert cls.s.stop() == 0

    def call(self, method, path, body=None, headers=None, status=200):
        got, h, _, data = self.s.request(method, path, body, headers)
        self.assertEqual(got, status, data)
        return h, data

    def event(self, method, path, body=None, headers=None):
        return json.loads(self.call(method, path, body, headers)[1])

    def test_routes_printed_and_listed(self):
        err = self.s.stderr()
        self.assertIn("GET /items/{id} -> Echo (REST, payload 1.0)", err)
        self.assertIn("PUT /users/{name} -> Echo (HTTP API, payload 2.0)", err)
        self.assertIn("GET /quick -> Text (HTTP API, payload 2.0)", err)
        r = lambtest.run("list", "endpoints", "--json", cwd=self.s.dir.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = {(e["method"], e["path"]): e for e in json.loads(r.stdout)}
        self.assertEqual(rows[("GET", "/items/{id}")]["api"], "Shop")
        self.assertEqual(rows[("GET", "/items/{id}")]["stage"], "live")
        self.assertEqual(rows[("POST", "/items")]["function"], "Echo")
        self.assertEqual(rows[("GET", "/nostatus")]["payloadFormat"], "1.0")
        self.assertEqual(rows[("GET", "/quick")]["api"], "Quick")
        self.assertEqual(rows[("GET", "/v1/doc")]["api"], "Documented")

    def test_rest_resource_method_tree(self):
        ev = self.event("GET", "/items/42?x=1", headers={"Host": "localhost:8123"})
        self.assertEqual(ev["resource"], "/items/{id}")
        self.assertEqual(ev["pathParameters"], {"id": "42"})
        self.assertEqual(ev["requestContext"]["stage"], "live")
        self.assertEqual(ev["requestContext"]["path"], "/live/items/42")
        self.assertEqual(ev["stageVariables"], {"shop": "open"})
        self.assertEqual(ev["requestContext"]["operationName"], "GetItem")
        # the headers a REST API's front door adds
        self.assertEqual(ev["headers"]["X-Forwarded-Proto"], "http")
        self.assertEqual(ev["headers"]["X-Forwarded-Port"], "8123")
        self.assertEqual(ev["multiValueHeaders"]["X-Forwarded-Proto"], ["http"])
        self.assertEqual(ev["multiValueHeaders"]["X-Forwarded-Port"], ["8123"])

    def test_rest_method_token_authorizer(self):
        status, _, _, _ = self.s.request("POST", "/items", b"{}")
        self.assertEqual(status, 401)
        status, _, _, _ = self.s.request("POST", "/items", b"{}", {"X-Token": "deny"})
        self.assertEqual(status, 403)
        ev = self.event("POST", "/items", b"{}", {"X-Token": "allow"})
        self.assertEqual(ev["requestContext"]["authorizer"]["via"], "token")
        self.assertEqual(ev["requestContext"]["authorizer"]["principalId"], "allow")

    def test_http_route_and_integration(self):
        ev = self.event("PUT", "/users/ann", b"hi")
        self.assertEqual(ev["version"], "2.0")
        self.assertEqual(ev["routeKey"], "PUT /users/{name}")
        self.assertEqual(ev["pathParameters"], {"name": "ann"})
        self.assertEqual(ev["stageVariables"], {"kind": "http"})
        self.assertEqual(ev["requestContext"]["stage"], "$default")
        self.assertNotIn("x-forwarded-proto", ev["headers"])

    def test_http_route_simple_authorizer(self):
        status, _, _, _ = self.s.request("GET", "/guarded")
        self.assertEqual(status, 401)
        status, _, _, _ = self.s.request("GET", "/guarded", headers={"X-User": "mallory"})
        self.assertEqual(status, 403)
        ev = self.event("GET", "/guarded", headers={"X-User": "allow"})
        self.assertEqual(ev["requestContext"]["authorizer"]["lambda"], {"via": "simple"})

    def test_quick_create_and_json_string(self):
        h, data = self.call("GET", "/quick")
        self.assertEqual(data, b'a "quoted" text')

    def test_body_authorizer_and_base_path(self):
        status, _, _, _ = self.s.request("GET", "/doc", headers={"X-Token": "allow"})
        self.assertEqual(status, 403)  # not served without the basePath
        status, _, _, _ = self.s.request("GET", "/v1/doc")
        self.assertEqual(status, 401)
        ev = self.event("GET", "/v1/doc", headers={"X-Token": "allow"})
        self.assertEqual(ev["resource"], "/v1/doc")
        self.assertEqual(ev["requestContext"]["stage"], "Prod")
        self.assertEqual(ev["requestContext"]["authorizer"]["via"], "token")
        self.assertEqual(ev["requestContext"]["operationName"], "readDoc")  # a REST API's operationId

    def test_body_s3_location_file(self):
        ev = self.event("GET", "/file/readme")
        self.assertNotIn("operationName", ev["requestContext"])  # an HTTP API keeps none
        self.assertEqual(ev["routeKey"], "GET /file/{name}")
        self.assertEqual(ev["pathParameters"], {"name": "readme"})

    def test_http_payload_1_without_status_code(self):
        status, _, _, data = self.s.request("GET", "/nostatus")
        self.assertEqual((status, json.loads(data)), (500, {"message": "Internal Server Error"}))

    def test_plain_options_on_rest_cors(self):
        h, data = self.call("OPTIONS", "/cors")
        self.assertEqual(data, b"")
        self.assertEqual(h["access-control-allow-origin"], "https://example.com")
        self.assertEqual(h["access-control-allow-headers"], "X-Custom")
        self.assertIn("GET", h["access-control-allow-methods"])
        # CDK's CORS: a MOCK OPTIONS method setting the headers
        for headers in ({}, {"Access-Control-Request-Method": "POST", "Origin": "https://a.example"}):
            h, data = self.call("OPTIONS", "/items", headers=headers)
            self.assertEqual(h["access-control-allow-origin"], "https://shop.example")
            self.assertEqual(h["access-control-allow-methods"], "GET,POST")
        self.assertNotIn("'ItemsOptions': integration type", self.s.stderr())
        # a path of a REST API without CORS has no mock method: 403
        status, _, _, _ = self.s.request("OPTIONS", "/v1/doc")
        self.assertEqual(status, 403)
        # no such path: still API Gateway's 403
        status, _, _, _ = self.s.request("OPTIONS", "/nowhere")
        self.assertEqual(status, 403)


@unittest.skipUnless(shutil.which("python3.11") or shutil.which("python3"), "no Python interpreter")
class HttpApiOnly(unittest.TestCase):
    def test_unknown_route_is_404(self):
        s = Server({"template.yaml": HTTP_ONLY, "src/app.py": APP})
        try:
            for method, path in (("GET", "/nowhere"), ("POST", "/only")):
                status, _, _, data = s.request(method, path)
                self.assertEqual((status, json.loads(data)), (404, {"message": "Not Found"}), (method, path))
        finally:
            self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    lambtest.main()
