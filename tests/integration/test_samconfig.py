"""samconfig.toml and samconfig.yaml as SAM CLI reads them: read by every
command, [ENV.COMMAND.parameters] over [ENV.global.parameters], flags over
both, --config-env and --config-file, and errors that name the line. What
the file changes is read back from `lamb list functions --json`."""
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
  Memory:
    Type: Number
    Default: 128
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      MemorySize: !Ref Memory
      Environment:
        Variables:
          REGION: !Ref AWS::Region
"""

CONFIG = """\
version = 0.1
[default.global.parameters]
region = "eu-west-1"
parameter_overrides = "Memory=256"
stack_name = "app"            # no option of lamb list: skipped

[default.list_functions.parameters]
parameter_overrides = "Memory=\\"512\\""
json = true

[prod.global.parameters]
region = 'ap-south-1'
[prod.list_functions.parameters]
json = true
"""


class SamConfig(unittest.TestCase):
    def setUp(self):
        self.dir = project({"template.yaml": TEMPLATE, "src/app.py": "", "samconfig.toml": CONFIG})
        self.cwd = self.dir.name

    def tearDown(self):
        self.dir.cleanup()

    def fn(self, *args):
        r = run("list", "functions", *args, cwd=self.cwd)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)[0]

    def region(self, f):
        return f["environment"]["REGION"]

    def test_command_section_over_global(self):
        f = self.fn()
        self.assertEqual(f["memorySize"], 512)
        self.assertEqual(self.region(f), "eu-west-1")

    def test_flags_over_the_file(self):
        f = self.fn("--region", "us-west-2", "--parameter-overrides", "Memory=1024")
        self.assertEqual(f["memorySize"], 1024)
        self.assertEqual(self.region(f), "us-west-2")

    def test_config_env(self):
        f = self.fn("--config-env", "prod")
        self.assertEqual(self.region(f), "ap-south-1")
        self.assertEqual(f["memorySize"], 128)  # the template's default
        # before the command too
        r = run("--config-env=prod", "list", "functions", cwd=self.cwd)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.region(json.loads(r.stdout)[0]), "ap-south-1")
        r = run("list", "functions", "--config-env", "staging", cwd=self.cwd)
        self.assertEqual(r.returncode, 1)
        self.assertIn("config file 'samconfig.toml' has no environment 'staging'", r.stderr)

    def test_yaml_config_file(self):
        with open(os.path.join(self.cwd, "other.yaml"), "w") as f:
            f.write("version: 0.1\ndefault:\n  list_functions:\n    parameters:\n      json: true\n"
                    "      region: sa-east-1\n      parameter_overrides: [Memory=2048]\n")
        f = self.fn("--config-file", "other.yaml")
        self.assertEqual(self.region(f), "sa-east-1")
        self.assertEqual(f["memorySize"], 2048)

    def test_yaml_found_by_default(self):
        os.unlink(os.path.join(self.cwd, "samconfig.toml"))
        with open(os.path.join(self.cwd, "samconfig.yml"), "w") as f:
            f.write("version: 0.1\ndefault:\n  global:\n    parameters:\n      region: ca-central-1\n")
        r = run("list", "functions", "--json", cwd=self.cwd)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.region(json.loads(r.stdout)[0]), "ca-central-1")

    def test_global_stack_name_keeps_template_listings(self):
        # stack_name in [default.global.parameters] (as sam deploy --guided users have it)
        # reaches lamb list, which takes --stack-name for a deployed stack's endpoints:
        # functions and resources still list the template
        with open(os.path.join(self.cwd, "samconfig.toml"), "w") as f:
            f.write("version = 0.1\n[default.global.parameters]\nstack_name = 'app'\nregion = 'eu-west-1'\n")
        r = run("list", "resources", "--json", cwd=self.cwd)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)[0]["logicalId"], "Fn")
        r = run("list", "functions", "--help", cwd=self.cwd)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_errors_name_file_and_line(self):
        with open(os.path.join(self.cwd, "samconfig.toml"), "a") as f:
            f.write("[prod.deploy.parameters]\ntags = {team = 'x'}\n")
        r = run("list", "functions", cwd=self.cwd)
        self.assertEqual(r.returncode, 1)
        self.assertIn("samconfig.toml:16: inline tables ({...}) are not supported in samconfig files", r.stderr)
        with open(os.path.join(self.cwd, "samconfig.toml"), "w") as f:
            f.write("[default.deploy.parameters]\nstack_name = 'x'\n")
        r = run("validate", cwd=self.cwd)
        self.assertEqual(r.returncode, 1)
        self.assertIn("config file 'samconfig.toml' has no 'version = 0.1'", r.stderr)
        r = run("list", "functions", "--config-file", "missing.toml", cwd=self.cwd)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot read config file 'missing.toml': No such file or directory", r.stderr)


if __name__ == "__main__":
    lambtest.main()
