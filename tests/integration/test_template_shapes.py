"""Templates of the shapes SAM CLI runs and lamb once refused (issue 20):
nested applications two levels deep, a CDK-synthesized template with asset
metadata, a template with an unset parameter and a dangling GetAtt that the
local commands still serve while validate errors, AWS::Include and
Fn::ForEach, SAM_TEMPLATE_FILE, --no-event, --profile, and start-lambda
--warm-containers EAGER; a CDK template nested in an application, its layer
an asset. Written for lamb from the shapes of SAM CLI's test
data; each case runs the real command."""
import http.client
import json
import os
import unittest

import lambtest
from lambtest import run

APP = """\
import json, os

def handler(event, context):
    keys = ["WORD", "FROM_CHILD", "STAGE", "OTHER", "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION"]
    return {"statusCode": 200, "body": json.dumps({
        "fn": context.function_name, "event": event,
        "env": {k: os.environ.get(k) for k in keys}})}
"""

# ---- nested applications, two levels ----

NESTED = {
    "template.yaml": """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting:
    Type: String
    Default: hello
Resources:
  ChildApp:
    Type: AWS::Serverless::Application
    Properties:
      Location: child/template.yaml
      Parameters:
        Word: !Ref Greeting
  FromRepository:
    Type: AWS::Serverless::Application
    Properties:
      Location:
        ApplicationId: arn:aws:serverlessrepo:us-east-1:123456789012:applications/remote
        SemanticVersion: 1.0.0
  Top:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.11
      Environment:
        Variables:
          FROM_CHILD: !GetAtt ChildApp.Outputs.GrandName
      Events:
        Top:
          Type: Api
          Properties: {Path: /top, Method: get}
""",
    "child/template.yaml": """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Word:
    Type: String
Resources:
  GrandStack:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: grand/template.yaml
      Parameters:
        Word: !Sub "${Word}-via-child"
Outputs:
  GrandName:
    Value: !GetAtt GrandStack.Outputs.FnName
""",
    "child/grand/template.yaml": """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Word:
    Type: String
Resources:
  Deep:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: deep-fn
      CodeUri: src
      Handler: app.handler
      Runtime: python3.11
      Environment:
        Variables:
          WORD: !Ref Word
      Events:
        Deep:
          Type: Api
          Properties: {Path: /deep, Method: get}
Outputs:
  FnName:
    Value: !Ref Deep
""",
    "src/app.py": APP,
    "child/grand/src/app.py": APP,
}

# ---- CDK: asset metadata, asset parameters without defaults ----

CDK_TEMPLATE = {
    "Parameters": {
        "AssetParametersabc123S3BucketDEADBEEF": {"Type": "String"},
        "AssetParametersabc123S3VersionKeyFEEDFACE": {"Type": "String"},
    },
    "Resources": {
        "HelloHandlerServiceRole11EF7C63": {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
            "Metadata": {"aws:cdk:path": "CdkStack/HelloHandler/ServiceRole/Resource"},
        },
        "HelloHandler2E4FBA4D": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Code": {
                    "S3Bucket": {"Ref": "AssetParametersabc123S3BucketDEADBEEF"},
                    "S3Key": {"Fn::Join": ["", [
                        {"Fn::Select": [0, {"Fn::Split": ["||", {"Ref": "AssetParametersabc123S3VersionKeyFEEDFACE"}]}]},
                        {"Fn::Select": [1, {"Fn::Split": ["||", {"Ref": "AssetParametersabc123S3VersionKeyFEEDFACE"}]}]},
                    ]]},
                },
                "Role": {"Fn::GetAtt": ["HelloHandlerServiceRole11EF7C63", "Arn"]},
                "Handler": "app.handler",
                "Runtime": "python3.11",
            },
            "DependsOn": ["HelloHandlerServiceRole11EF7C63"],
            "Metadata": {
                "aws:cdk:path": "CdkStack/HelloHandler/Resource",
                "aws:asset:path": "asset.abc123",
                "aws:asset:is-bundled": False,
                "aws:asset:property": "Code",
            },
        },
    },
}

CDK = {
    "cdk.out/CdkStack.template.json": json.dumps(CDK_TEMPLATE, indent=1),
    "cdk.out/asset.abc123/app.py": APP,
}

# ---- CDK nested in an application, its layer an asset too ----

LAYERED = json.loads(json.dumps(CDK_TEMPLATE))
LAYERED["Resources"]["HelloHandler2E4FBA4D"]["Properties"]["Handler"] = "layered.handler"
LAYERED["Resources"]["HelloHandler2E4FBA4D"]["Properties"]["Layers"] = [{"Ref": "SharedLayer5A1B2C3D"}]
LAYERED["Resources"]["SharedLayer5A1B2C3D"] = {
    "Type": "AWS::Lambda::LayerVersion",
    "Properties": {"Content": {"S3Bucket": {"Ref": "AssetParametersabc123S3BucketDEADBEEF"}, "S3Key": "l.zip"}},
    "Metadata": {"aws:cdk:path": "CdkStack/SharedLayer/Resource", "aws:asset:path": "asset.layer1",
                 "aws:asset:property": "Content"},
}

CDK_NESTED = {
    "template.yaml": """\
Transform: AWS::Serverless-2016-10-31
Resources:
  SubApp:
    Type: AWS::Serverless::Application
    Properties:
      Location: cdk.out/CdkStack.template.json
""",
    "cdk.out/CdkStack.template.json": json.dumps(LAYERED, indent=1),
    "cdk.out/asset.abc123/layered.py": "import greeting\n\ndef handler(event, context):\n"
                                       "    return {'statusCode': 200, 'body': greeting.WORD}\n",
    "cdk.out/asset.layer1/python/greeting.py": "WORD = 'from the layer asset'\n",
}

# ---- CDK: a SpecRestApi whose definition is an asset ----

CDK_API_TEMPLATE = json.loads(json.dumps(CDK_TEMPLATE))
CDK_API_TEMPLATE["Resources"]["HelloHandler2E4FBA4D"]["Properties"]["FunctionName"] = "HelloFn"
CDK_API_TEMPLATE["Resources"]["SpecApi1A2B3C4D"] = {
    "Type": "AWS::ApiGateway::RestApi",
    "Properties": {"BodyS3Location": {"Bucket": {"Ref": "AssetParametersabc123S3BucketDEADBEEF"}, "Key": "d.yaml"},
                   "Name": "spec"},
    "Metadata": {"aws:cdk:path": "CdkStack/SpecApi/Resource", "aws:asset:path": "asset.def/openapi.yaml",
                 "aws:asset:property": "BodyS3Location"},
}

CDK_API = dict(CDK)
CDK_API["cdk.out/CdkStack.template.json"] = json.dumps(CDK_API_TEMPLATE, indent=1)
CDK_API["cdk.out/asset.def/openapi.yaml"] = """\
openapi: 3.0.3
paths:
  /by-name:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: {'Fn::Sub': 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${HelloFn.Arn}:live/invocations'}
  /by-id:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: {'Fn::Sub': 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${HelloHandler2E4FBA4D.Arn}/invocations'}
"""

# ---- lenient loading ----

LENIENT = {
    "template.yaml": """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
Resources:
  Good:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.11
      Environment:
        Variables:
          STAGE: !Ref Stage
          OTHER: !GetAtt MissingTable.Arn
      Events:
        Good:
          Type: Api
          Properties: {Path: /good, Method: get}
  Dangling:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.11
      Events:
        Bad:
          Type: Api
          Properties:
            Path: !Sub "/${MissingApi.Path}"
            Method: get
  Imported:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.11
      Events:
        Shared:
          Type: Api
          Properties:
            Path: !ImportValue SharedPath
            Method: get
  Remote:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: https://example-bucket.s3.amazonaws.com/child.yaml
""",
    "src/app.py": APP,
}

# ---- AWS::Include and Fn::ForEach ----

EXTENSIONS = {
    "template.yaml": """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Parameters:
  Names:
    Type: CommaDelimitedList
    Default: alpha,beta
  Policy:
    Type: String
    Default: Retain
Resources:
  Fn::ForEach::Functions:
    - Name
    - !Ref Names
    - 'Fn${Name}':
        Type: AWS::Serverless::Function
        DeletionPolicy: !Ref Policy
        Properties:
          CodeUri: src
          Handler: app.handler
          Runtime: python3.11
          Environment:
            Variables:
              WORD: !Sub "word-${Name}"
              STAGE: !Length [a, b, c]
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      DefinitionBody:
        Fn::Transform:
          Name: AWS::Include
          Parameters:
            Location: api.yaml
""",
    "api.yaml": """\
openapi: 3.0.1
info: {title: included, version: '1'}
paths:
  /included:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fnbeta.Arn}/invocations
""",
    "src/app.py": APP,
}


def body_of(stdout):
    return json.loads(json.loads(stdout)["body"])


class StartApi(lambtest.LambServer):
    command = ("local", "start-api")


class StartLambda(lambtest.LambServer):
    command = ("local", "start-lambda")



def get(port, path, method="GET", body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request(method, path, body=body)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


class Nested(unittest.TestCase):
    def setUp(self):
        self.d = lambtest.project(NESTED)
        self.addCleanup(self.d.cleanup)

    def test_invoked_by_path_two_levels_deep(self):
        r = run("local", "invoke", "ChildApp/GrandStack/Deep", cwd=self.d.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(body_of(r.stdout)["env"]["WORD"], "hello-via-child")
        self.assertIn("Serverless Application Repository", r.stderr)  # the remote one: warned, skipped
        by_name = run("local", "invoke", "deep-fn", cwd=self.d.name)
        self.assertEqual(by_name.returncode, 0, by_name.stderr)
        self.assertEqual(body_of(by_name.stdout)["env"]["WORD"], "hello-via-child")

    def test_child_outputs_reach_the_parent(self):
        r = run("local", "invoke", "Top", cwd=self.d.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(body_of(r.stdout)["env"]["FROM_CHILD"], "deep-fn")

    def test_listed_by_path(self):
        r = run("list", "functions", "--json", cwd=self.d.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([f["logicalId"] for f in json.loads(r.stdout)],
                         ["Top", "ChildApp/GrandStack/Deep"])
        self.assertEqual(run("validate", cwd=self.d.name).returncode, 0)
        built = run("build", cwd=self.d.name)  # the child's functions are left out, not failed
        self.assertEqual(built.returncode, 0, built.stderr)
        self.assertIn("1 built", built.stderr)

    def test_start_api_serves_the_nested_route(self):
        s = StartApi(NESTED)
        try:
            status, data = get(s.port, "/deep")
            self.assertEqual(status, 200, s.stderr())
            self.assertEqual(json.loads(data)["env"]["WORD"], "hello-via-child")
            self.assertEqual(get(s.port, "/top")[0], 200)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_start_lambda_eager_invokes_by_path(self):
        s = StartLambda(NESTED, "--warm-containers", "EAGER")
        try:
            status, data = get(s.port, "/2015-03-31/functions/ChildApp%2FGrandStack%2FDeep/invocations",
                               "POST", b"{}")
            self.assertEqual(status, 200, s.stderr())
            self.assertEqual(json.loads(json.loads(data)["body"])["env"]["WORD"], "hello-via-child")
        finally:
            self.assertEqual(s.stop(), 0)


class Cdk(unittest.TestCase):
    def setUp(self):
        self.d = lambtest.project(CDK)
        self.addCleanup(self.d.cleanup)

    def test_invoked_by_construct_and_logical_id(self):
        for name in ("HelloHandler", "HelloHandler2E4FBA4D"):
            with self.subTest(name=name):
                r = run("local", "invoke", name, "-t", "cdk.out/CdkStack.template.json", "--no-event",
                        cwd=self.d.name)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(body_of(r.stdout)["event"], {})
                self.assertIn("AssetParametersabc123S3VersionKeyFEEDFACE", r.stderr)  # said, not fatal

    def test_code_comes_from_the_asset(self):
        r = run("list", "functions", "--json", "-t", "cdk.out/CdkStack.template.json",
                "--parameter-overrides", "AssetParametersabc123S3BucketDEADBEEF=b",
                "AssetParametersabc123S3VersionKeyFEEDFACE=k||v", cwd=self.d.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        code = json.loads(r.stdout)[0]["codeUri"]
        self.assertEqual(os.path.realpath(code),
                         os.path.realpath(os.path.join(self.d.name, "cdk.out", "asset.abc123")))


class CdkSpecRestApi(unittest.TestCase):
    """SAM CLI serves a SpecRestApi whose definition is a CDK asset
    (aws:asset:property BodyS3Location), reading an Fn::Sub uri in it that
    names the function by FunctionName or logical id."""

    def test_served_from_the_asset(self):
        s = StartApi(CDK_API, "-t", "cdk.out/CdkStack.template.json")
        try:
            for path in ("/by-name", "/by-id"):
                status, data = get(s.port, path)
                self.assertEqual(status, 200, (path, s.stderr()))
                self.assertEqual(json.loads(data)["fn"], "HelloFn")
            self.assertIn("GetAtt of undefined resource 'HelloFn'", s.stderr())  # said, then read as SAM does
        finally:
            self.assertEqual(s.stop(), 0)


class CdkNested(unittest.TestCase):
    """SAM CLI names a nested stack's CDK function by the stack path and its
    construct id too, and puts a layer's asset where its Content was."""

    def test_invoked_by_stack_path_and_construct_id(self):
        with lambtest.project(CDK_NESTED) as d:
            for name in ("SubApp/HelloHandler", "SubApp/HelloHandler2E4FBA4D", "HelloHandler"):
                with self.subTest(name=name):
                    r = run("local", "invoke", name, "--no-event", cwd=d)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertEqual(json.loads(r.stdout)["body"], "from the layer asset")
            r = run("local", "invoke", "Other/HelloHandler", "--no-event", cwd=d)
            self.assertNotEqual(r.returncode, 0)


class Lenient(unittest.TestCase):
    def test_validate_stays_strict(self):
        with lambtest.project(LENIENT) as d:
            r = run("validate", cwd=d)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"template\.yaml:4:3: error: parameter 'Stage' has no value")
        self.assertRegex(r.stderr, r"template\.yaml:16:18: error: GetAtt of undefined resource 'MissingTable'")
        self.assertRegex(r.stderr, r"error: GetAtt of undefined resource 'MissingApi'")

    def test_local_start_and_bench_load_it_too(self):
        from test_local_start import LocalStart
        s = LocalStart(files=LENIENT)
        try:
            status, data = get(s.api, "/good")
            self.assertEqual(status, 200, s.stderr())
            self.assertEqual(json.loads(data)["env"]["STAGE"], "Stage")
            self.assertEqual(s.stderr().count("parameter 'Stage' has no value"), 1)  # said once
        finally:
            self.assertEqual(s.stop(), 0)
        with lambtest.project(LENIENT) as d:
            r = run("local", "bench", "Good", "-n", "2", cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: parameter 'Stage' has no value", r.stderr)
        self.assertIn("2 invocations", r.stdout + r.stderr)

    def test_list_shows_what_the_local_commands_run(self):
        with lambtest.project(LENIENT) as d:
            r = run("list", "endpoints", "--json", cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([(e["path"], e["function"]) for e in json.loads(r.stdout)], [("/good", "Good")])
        with lambtest.project(CDK) as d:  # its asset parameters without values
            r = run("list", "functions", "--json", "-t", "cdk.out/CdkStack.template.json", cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([f["logicalId"] for f in json.loads(r.stdout)], ["HelloHandler2E4FBA4D"])

    def test_deploy_stays_strict(self):
        # refused before any AWS call: the endpoint is a closed port
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDTEST", AWS_SECRET_ACCESS_KEY="secret",
                   AWS_ENDPOINT_URL="http://127.0.0.1:1")
        with lambtest.project(LENIENT) as d:
            r = run("deploy", "--stack-name", "lenient", "--region", "us-east-1", cwd=d, env=env)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"template\.yaml:4:3: error: parameter 'Stage' has no value")
        self.assertRegex(r.stderr, r"template\.yaml:16:18: error: GetAtt of undefined resource 'MissingTable'")

    def test_start_api_serves_the_rest(self):
        s = StartApi(LENIENT)
        try:
            status, data = get(s.port, "/good")
            self.assertEqual(status, 200, s.stderr())
            env = json.loads(data)["env"]
            self.assertEqual((env["STAGE"], env["OTHER"]), ("Stage", "MissingTable.Arn"))
            self.assertNotEqual(get(s.port, "/MissingApi.Path")[0], 200)
            err = s.stderr()
            self.assertIn("warning: parameter 'Stage' has no value", err)
            self.assertRegex(err, r"template\.yaml:16:18: warning: GetAtt of undefined resource 'MissingTable'")
            self.assertIn("lamb does not serve its route", err)
        finally:
            self.assertEqual(s.stop(), 0)


    def test_start_lambda_serves_the_rest(self):
        """start-lambda loads the same template leniently: the function with
        an unset parameter runs, the one whose route is an ImportValue too
        (only its route is left out), and the remote stack is skipped."""
        s = StartLambda(LENIENT)
        try:
            for name in ("Good", "Imported"):
                c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
                c.request("POST", f"/2015-03-31/functions/{name}/invocations", body=b"{}")
                r = c.getresponse()
                data = r.read()
                c.close()
                self.assertEqual(r.status, 200, s.stderr())
                self.assertIsNone(r.getheader("X-Amz-Function-Error"), data)
            err = s.stderr()
            self.assertEqual(err.count("parameter 'Stage' has no value"), 1, err)
            self.assertRegex(err, r"warning: .*Remote.*(remote|skipped|not loaded)", err)
        finally:
            self.assertEqual(s.stop(), 0)


class Extensions(unittest.TestCase):
    def test_foreach_and_include(self):
        with lambtest.project(EXTENSIONS) as d:
            r = run("list", "endpoints", "--json", cwd=d)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual([(e["path"], e["function"]) for e in json.loads(r.stdout)],
                             [("/included", "Fnbeta")])
            r = run("local", "invoke", "Fnalpha", cwd=d)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(body_of(r.stdout)["env"]["WORD"], "word-alpha")
            self.assertEqual(body_of(r.stdout)["env"]["STAGE"], "3")


class Environment(unittest.TestCase):
    def test_sam_template_file(self):
        with lambtest.project(CDK) as d:
            env = dict(os.environ, SAM_TEMPLATE_FILE="cdk.out/CdkStack.template.json")
            r = run("local", "invoke", "HelloHandler", cwd=d, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_profile_reaches_the_function(self):
        files = dict(LENIENT)
        files[".aws/credentials"] = "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s3cr3t\n" \
                                    "aws_session_token = tok\n"
        files[".aws/config"] = "[profile dev]\nregion = eu-west-3\n"
        with lambtest.project(files) as d:
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env.update(AWS_SHARED_CREDENTIALS_FILE=f"{d}/.aws/credentials", AWS_CONFIG_FILE=f"{d}/.aws/config")
            r = run("local", "invoke", "Good", "--profile", "dev", cwd=d, env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            got = body_of(r.stdout)["env"]
            self.assertEqual((got["AWS_ACCESS_KEY_ID"], got["AWS_SECRET_ACCESS_KEY"], got["AWS_SESSION_TOKEN"],
                              got["AWS_REGION"]), ("AKIDDEV", "s3cr3t", "tok", "eu-west-3"))
            missing = run("local", "invoke", "Good", "--profile", "nope", cwd=d, env=env)
            self.assertEqual(missing.returncode, 1)
            self.assertIn("AWS profile 'nope' not found", missing.stderr)

    def test_no_event_with_event_is_a_usage_error(self):
        r = run("local", "invoke", "--no-event", "-e", "x.json")
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    lambtest.main()
