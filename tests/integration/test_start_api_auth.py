"""lamb local start-api with Lambda authorizers: real Python functions as
TOKEN and REQUEST authorizers of a REST API and as payload 2.0 (simple
responses) and 1.0 (IAM policy) authorizers of an HTTP API, driven with
http.client. The answers are API Gateway's: 401 without the identity source
or when the authorizer raises "Unauthorized", 403 on a deny, 500 when it
fails, and the authorizer's context in requestContext.authorizer."""
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
    Timeout: 3
Resources:
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: api
      Auth:
        DefaultAuthorizer: Token
        Authorizers:
          Token:
            FunctionArn: !GetAtt Authorizer.Arn
            Identity: {ValidationExpression: '[a-z]+'}
          Request:
            FunctionPayloadType: REQUEST
            FunctionArn: !GetAtt Authorizer.Arn
            Identity: {Headers: [X-User], QueryStrings: [q]}
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Simple
        Authorizers:
          Simple:
            FunctionArn: !GetAtt Simple.Arn
            AuthorizerPayloadFormatVersion: '2.0'
            EnableSimpleResponses: true
            Identity: {Headers: [Authorization]}
          Policy:
            FunctionArn: !GetAtt Authorizer.Arn
            AuthorizerPayloadFormatVersion: '1.0'
            Identity: {Headers: [Authorization]}
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo
      Events:
        Tok: {Type: Api, Properties: {Path: /tok, Method: get, RestApiId: !Ref Rest}}
        Req: {Type: Api, Properties: {Path: /req, Method: get, RestApiId: !Ref Rest,
                                      Auth: {Authorizer: Request}}}
        Open: {Type: Api, Properties: {Path: /open, Method: get, RestApiId: !Ref Rest,
                                       Auth: {Authorizer: NONE}}}
        HSimple: {Type: HttpApi, Properties: {Path: /h/simple, Method: get, ApiId: !Ref Http}}
        HPolicy: {Type: HttpApi, Properties: {Path: /h/policy, Method: get, ApiId: !Ref Http,
                                              Auth: {Authorizer: Policy}}}
  Authorizer:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.policy
  Simple:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.simple
"""

APP = """\
import json

def echo(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}

def _token(event):
    if "authorizationToken" in event:
        return event["authorizationToken"]
    h = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return h.get("x-user") or h.get("authorization")

def policy(event, context):
    tok = _token(event)
    arn = event["methodArn"]
    if tok == "raise":
        raise Exception("Unauthorized")
    if tok == "boom":
        raise ValueError("broken authorizer")
    if tok == "bad":
        return "not a policy"
    if tok == "crash":
        import os
        os._exit(3)
    effect = "Deny" if tok == "deny" else "Allow"
    resource = arn.rsplit("/", 2)[0] + "/*"       # wildcards cover the stage
    if tok == "elsewhere":
        resource = arn + "/not-this-one"
    return {"principalId": "user-" + tok,
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]},
            "context": {"who": tok, "n": 7, "ok": True, "type": event["type"]}}

def simple(event, context):
    tok = event["identitySource"][0]
    return {"isAuthorized": tok == "allow",
            "context": {"who": tok, "routeArn": event["routeArn"], "version": event["version"]}}
"""


@unittest.skipUnless(shutil.which("python3.11") or shutil.which("python3"), "no Python interpreter")
class Authorizers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server({"template.yaml": TEMPLATE, "src/app.py": APP})

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def get(self, path, headers=None):
        status, h, _, data = self.s.request("GET", path, headers=headers)
        return status, h, json.loads(data) if data else None

    def test_routes_name_their_authorizer(self):
        self.assertIn("GET /tok -> Echo (REST, payload 1.0, authorizer Token -> Authorizer)", self.s.stderr())
        self.assertIn("GET /open -> Echo (REST, payload 1.0)\n", self.s.stderr())

    def test_token_allow_passes_the_context(self):
        status, _, ev = self.get("/tok", {"Authorization": "allow"})
        self.assertEqual(status, 200)
        auth = ev["requestContext"]["authorizer"]
        self.assertEqual(auth["principalId"], "user-allow")
        self.assertEqual(auth["who"], "allow")
        self.assertEqual(auth["n"], "7")        # REST hands context values on as strings
        self.assertEqual(auth["ok"], "true")
        self.assertEqual(auth["type"], "TOKEN")

    def test_token_missing_or_invalid_is_401(self):
        for headers in ({}, {"Authorization": ""}, {"Authorization": "NOT-LOWER"}):
            status, h, body = self.get("/tok", headers)
            self.assertEqual(status, 401, headers)
            self.assertEqual(body, {"message": "Unauthorized"})

    def test_token_deny_is_403(self):
        status, _, body = self.get("/tok", {"Authorization": "deny"})
        self.assertEqual(status, 403)
        self.assertEqual(body, {"message": "User is not authorized to access this resource with an explicit deny"})
        status, _, body = self.get("/tok", {"Authorization": "elsewhere"})
        self.assertEqual(status, 403)
        self.assertEqual(body, {"message": "User is not authorized to access this resource"})

    def test_raising_unauthorized_is_401_other_errors_500(self):
        status, _, body = self.get("/tok", {"Authorization": "raise"})
        self.assertEqual(status, 401)
        status, h, body = self.get("/tok", {"Authorization": "boom"})
        self.assertEqual(status, 500)
        self.assertEqual(body, {"message": None})
        self.assertEqual(h["x-amzn-errortype"], "AuthorizerConfigurationException")
        status, _, body = self.get("/tok", {"Authorization": "bad"})
        self.assertEqual(status, 500)
        status, _, body = self.get("/tok", {"Authorization": "crash"})
        self.assertEqual((status, body), (500, {"message": None}))
        self.assertIn("authorizer failed", self.s.stderr())
        # the next request gets a fresh authorizer instance
        self.assertEqual(self.get("/tok", {"Authorization": "allow"})[0], 200)

    def test_request_authorizer_needs_every_identity_source(self):
        status, _, _ = self.get("/req", {"X-User": "allow"})
        self.assertEqual(status, 401)  # no ?q=
        status, _, ev = self.get("/req?q=1", {"X-User": "allow"})
        self.assertEqual(status, 200)
        self.assertEqual(ev["requestContext"]["authorizer"]["type"], "REQUEST")
        status, _, _ = self.get("/req?q=1", {"X-User": "deny"})
        self.assertEqual(status, 403)

    def test_none_route_is_open(self):
        status, _, ev = self.get("/open")
        self.assertEqual(status, 200)
        self.assertNotIn("authorizer", ev["requestContext"])

    def test_http_simple_responses(self):
        status, _, ev = self.get("/h/simple", {"Authorization": "allow"})
        self.assertEqual(status, 200)
        ctx = ev["requestContext"]["authorizer"]["lambda"]
        self.assertEqual(ctx["who"], "allow")
        self.assertEqual(ctx["version"], "2.0")
        self.assertTrue(ctx["routeArn"].startswith("arn:aws:execute-api:"))
        self.assertTrue(ctx["routeArn"].endswith("/$default/GET/h/simple"))
        status, _, body = self.get("/h/simple", {"Authorization": "no"})
        self.assertEqual((status, body), (403, {"message": "Forbidden"}))
        status, _, body = self.get("/h/simple")
        self.assertEqual((status, body), (401, {"message": "Unauthorized"}))

    def test_http_policy_payload_1(self):
        status, _, ev = self.get("/h/policy", {"Authorization": "allow"})
        self.assertEqual(status, 200)
        self.assertEqual(ev["requestContext"]["authorizer"]["lambda"]["n"], 7)
        status, _, body = self.get("/h/policy", {"Authorization": "deny"})
        self.assertEqual((status, body), (403, {"message": "Forbidden"}))
        status, _, body = self.get("/h/policy", {"Authorization": "boom"})
        self.assertEqual((status, body), (500, {"message": "Internal Server Error"}))


@unittest.skipUnless(shutil.which("python3.11") or shutil.which("python3"), "no Python interpreter")
class DisableAuthorizer(unittest.TestCase):
    def test_flag_skips_authorizers(self):
        s = Server({"template.yaml": TEMPLATE, "src/app.py": APP}, "--disable-authorizer")
        try:
            status, _, _, data = s.request("GET", "/tok")
            self.assertEqual(status, 200)
            self.assertNotIn("authorizer", json.loads(data)["requestContext"])
        finally:
            s.stop()


if __name__ == "__main__":
    lambtest.main()
