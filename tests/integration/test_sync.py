"""lamb sync against the AWS stand-in: a stack never synced is deployed
through a change set (to the managed bucket); then --code sends only the
function whose zip changed (UpdateFunctionCode), a changed layer becomes a
new version its functions point at; a template change goes through a
change set again; --watch syncs on save."""
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from lambtest import LAMB, project  # noqa: E402
from test_deploy import DeployCase  # noqa: E402

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Deps:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
      CompatibleRuntimes: [python3.12]
  First:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: first/
      Handler: app.handler
      Runtime: python3.12
      Layers: [!Ref Deps]
  Second:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: second/
      Handler: app.handler
      Runtime: python3.12
"""

APP = "def handler(event, context):\n    return {'n': 1}\n"


class Sync(DeployCase):
    def setUp(self):
        super().setUp()
        self.proj = project({"template.yaml": TEMPLATE, "first/app.py": APP, "second/app.py": APP,
                             "layer/python/dep.py": "X = 1\n"})
        self.addCleanup(self.proj.cleanup)
        self.dir = self.proj.name

    def sync(self, *args):
        r = self.lamb("sync", "--stack-name", "app", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stderr

    def edit(self, path, text):
        with open(os.path.join(self.dir, path), "a") as f:
            f.write(text)

    def phys(self, lid):
        return self.aws.stack("app").resources[lid].physical

    def test_first_sync_deploys_then_code_only(self):
        err = self.sync()
        self.assertIn("deploying stack 'app' through a change set", err)
        self.assertEqual(self.aws.stack("app").status, "CREATE_COMPLETE")
        self.assertEqual(self.aws.stack("lamb-managed-default").status, "CREATE_COMPLETE")

        err = self.sync("--code")
        self.assertIn("the code is up to date", err)
        self.assertEqual(self.aws.code_updates, [])

        self.edit("second/app.py", "# changed\n")
        err = self.sync("--code")
        self.assertEqual(self.aws.code_updates, [self.phys("Second")])
        self.assertRegex(err, r"\[\d\d:\d\d:\d\d\] updated the code of function 'Second' \(\S+\) in [\d.]+ s")
        self.assertNotIn("'First'", err)
        self.assertNotIn("CreateChangeSet", self.aws.actions("cloudformation")[-3:])

        # a layer: a new version, its function pointed at it, the other left alone
        self.edit("layer/python/dep.py", "Y = 2\n")
        err = self.sync("--code")
        self.assertIn("PublishLayerVersion", self.aws.actions("lambda"))
        new = re.search(r"published layer 'Deps' as (\S+) and pointed", err).group(1)
        self.assertTrue(new.endswith(":2"), new)
        self.assertEqual(self.aws.function_layers, {self.phys("First"): [new]})
        self.assertEqual(self.aws.code_updates, [self.phys("Second")])
        # nothing more to send
        err = self.sync("--code")
        self.assertIn("the code is up to date", err)
        self.assertEqual(self.aws.actions("lambda").count("PublishLayerVersion"), 1)

    def test_template_change_goes_through_a_change_set(self):
        self.sync()
        creates = self.aws.actions("cloudformation").count("CreateChangeSet")
        self.sync()  # unchanged template: code only
        self.assertEqual(self.aws.actions("cloudformation").count("CreateChangeSet"), creates)
        self.edit("template.yaml", "Outputs:\n  Fn:\n    Value: !Ref First\n")
        err = self.sync()
        self.assertIn("the template changed", err)
        self.assertEqual(self.aws.actions("cloudformation").count("CreateChangeSet"), creates + 1)
        self.assertEqual(self.aws.stack("app").status, "UPDATE_COMPLETE")

    def test_watch(self):
        self.sync()
        p = subprocess.Popen([LAMB, "sync", "--stack-name", "app", "--code", "--watch"], cwd=self.dir,
                             env=self.env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = p.stderr.readline()
            lines.append(line)
            if "watching for changes" in line:
                self.edit("first/app.py", "# saved\n")
            if "updated the code of function 'First'" in line:
                break
        p.send_signal(signal.SIGINT)
        p.wait(timeout=30)
        p.stderr.close()
        self.assertIn(self.phys("First"), self.aws.code_updates, "".join(lines))


if __name__ == "__main__":
    lambtest.main()
