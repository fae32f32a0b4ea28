"""lamb list functions|endpoints|resources, table and --json, on a project
that exercises Globals, parameters and implicit APIs."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from lambtest import run, project  # noqa: E402

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
Globals:
  Function:
    Runtime: python3.12
    Timeout: 10
    Layers: [!Ref Deps]
    Environment:
      Variables:
        STAGE: !Ref Stage
Resources:
  Deps:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  Items:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.items
      MemorySize: 256
      Layers: [arn:aws:lambda:us-east-1:123456789012:layer:extra:3]
      Environment:
        Variables:
          TABLE: !Sub "items-${Stage}"
      Events:
        Get:
          Type: Api
          Properties: {Path: "/items/{id}", Method: get}
        Catch:
          Type: HttpApi
  Bucket: {Type: AWS::S3::Bucket}
  Table: {Type: AWS::DynamoDB::Table}
"""


class List(unittest.TestCase):
    def setUp(self):
        self.dir = project({"template.yaml": TEMPLATE, "src/app.py": "", "layer/python/x.py": ""})
        self.cwd = self.dir.name

    def tearDown(self):
        self.dir.cleanup()

    def list_json(self, what, *args):
        r = run("list", what, "--json", *args, cwd=self.cwd)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_functions(self):
        [f] = self.list_json("functions")
        self.assertEqual(f["logicalId"], "Items")
        self.assertEqual(f["functionName"], "Items")
        self.assertEqual(f["runtime"], "python3.12")
        self.assertEqual(f["handler"], "app.items")
        self.assertEqual(f["codeUri"], os.path.join(os.path.realpath(self.cwd), "src"))
        self.assertEqual(f["memorySize"], 256)
        self.assertEqual(f["timeout"], 10)
        self.assertEqual(f["environment"], {"STAGE": "dev", "TABLE": "items-dev"})
        self.assertEqual(f["layers"], ["Deps", "arn:aws:lambda:us-east-1:123456789012:layer:extra:3"])
        self.assertEqual(f["architectures"], ["x86_64"])
        self.assertEqual([e["type"] for e in f["events"]], ["Api", "HttpApi"])

    def test_parameter_override_reaches_values(self):
        [f] = self.list_json("functions", "--parameter-overrides", "Stage=prod")
        self.assertEqual(f["environment"]["TABLE"], "items-prod")
        [f] = self.list_json("functions", "--parameter-overrides", "ParameterKey=Stage,ParameterValue=qa")
        self.assertEqual(f["environment"]["STAGE"], "qa")

    def test_region_reaches_every_pseudo_parameter(self):
        t = ("Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
             "    Type: AWS::Serverless::Function\n"
             "    Properties:\n      Runtime: python3.12\n      Handler: a.b\n      Environment:\n"
             "        Variables: {ID: !Ref AWS::StackId, P: !Ref AWS::Partition, U: !Ref AWS::URLSuffix}\n")
        with project({"template.yaml": t}) as d:
            for region, part, suffix in (("eu-central-1", "aws", "amazonaws.com"),
                                         ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
                                         ("us-gov-east-1", "aws-us-gov", "amazonaws.com")):
                r = run("list", "functions", "--json", "--region", region, cwd=d)
                self.assertEqual(r.returncode, 0, r.stderr)
                [f] = json.loads(r.stdout)
                self.assertEqual(f["environment"], {
                    "ID": f"arn:{part}:cloudformation:{region}:123456789012:stack/local/"
                          "00000000-0000-0000-0000-000000000000",
                    "P": part, "U": suffix})
                self.assertEqual(f["arn"], f"arn:{part}:lambda:{region}:123456789012:function:Fn")

    def test_endpoints(self):
        eps = self.list_json("endpoints")
        self.assertEqual(eps, [
            {"method": "GET", "path": "/items/{id}", "function": "Items", "api": "ServerlessRestApi",
             "type": "Api", "payloadFormat": "1.0", "stage": "Prod"},
            {"method": "ANY", "path": "$default", "function": "Items", "api": "ServerlessHttpApi",
             "type": "HttpApi", "payloadFormat": "2.0", "stage": "$default"},
        ])

    def test_resources(self):
        res = {r["logicalId"]: r for r in self.list_json("resources")}
        self.assertTrue(res["Items"]["local"])
        self.assertTrue(res["Deps"]["local"])
        self.assertFalse(res["Table"]["local"])
        self.assertEqual(res["Table"]["type"], "AWS::DynamoDB::Table")
        # lamb local start serves buckets (a directory under .lamb/s3/)
        self.assertTrue(res["Bucket"]["local"])
        self.assertEqual(res["Bucket"]["type"], "AWS::S3::Bucket")
        self.assertIn(".lamb/s3/", res["Bucket"]["note"])

    def test_table(self):
        r = run("list", "endpoints", cwd=self.cwd)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("METHOD"))
        self.assertRegex(lines[1], r"^GET\s+/items/\{id\}\s+Items\s+ServerlessRestApi\s+Api\s+1\.0\s+Prod$")

    def test_invalid_template_fails(self):
        with open(os.path.join(self.cwd, "template.yaml"), "a") as f:
            f.write("  Broken:\n    Properties: {}\n")
        r = run("list", "functions", cwd=self.cwd)
        self.assertEqual(r.returncode, 1)
        self.assertIn("template.yaml:38:3: error: resource 'Broken' has no Type", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_usage(self):
        r = run("list", cwd=self.cwd)
        self.assertEqual(r.returncode, 2)
        r = run("list", "lambdas", cwd=self.cwd)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    lambtest.main()
