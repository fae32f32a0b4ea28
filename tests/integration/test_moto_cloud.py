"""lamb deploy --guided, lamb sync --code and lamb list stack-outputs
against moto's server (`moto_server`), where it is installed: the same
paths test_deploy_guided.py and test_sync.py drive through the bundled
stand-in, answered by an independent implementation. Skipped where moto is
missing.

What moto (5.2) cannot answer, and is so tested against the stand-in only:
a layer's content (its Content.Location is "s3://", and
GetLayerVersionByArn has no Content), Invoke (moto runs functions in
Docker), and the managed stack of --resolve-s3 (moto does not refresh a
stack's Outputs after a change set)."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
import test_moto  # noqa: E402
from lambtest import project  # noqa: E402
from test_moto import APP, BUCKET, CFN_TEMPLATE, MotoCase  # noqa: E402
from test_deploy_guided import Terminal  # noqa: E402

MOTO = None


def setUpModule():
    global MOTO
    if test_moto.MISSING:
        raise unittest.SkipTest(test_moto.MISSING)
    MOTO = test_moto.MOTO = test_moto.MotoServer()
    MOTO.client("s3").create_bucket(Bucket=BUCKET)


def tearDownModule():
    if MOTO:
        MOTO.stop()


class Cloud(MotoCase):
    def setUp(self):
        super().setUp()
        self.dir = self.cfn_project()
        self.env["AWS_ENDPOINT_URL"] = MOTO.url

    def function_name(self, stack):
        fn = self.cfn.describe_stack_resource(StackName=stack, LogicalResourceId="Hello")
        return fn["StackResourceDetail"]["PhysicalResourceId"]

    def test_guided_then_flagless(self):
        t = Terminal(["deploy", "--guided", "--s3-bucket", BUCKET], self.dir, self.env)
        self.addCleanup(lambda: t.p.poll() is None and t.p.kill())
        for prompt, answer in ((r"Stack Name \[sam-app\]: ", "guided"), (r"AWS Region \[us-east-1\]: ", ""),
                               (r"Parameter Stage \[dev\]: ", "prod"),
                               (r"Confirm changes before deploy \[y/N\]: ", ""),
                               (r"Allow SAM CLI IAM role creation \[Y/n\]: ", "y"),
                               (r"Save arguments to configuration file \[Y/n\]: ", ""),
                               (r"SAM configuration file \[samconfig.toml\]: ", ""),
                               (r"SAM configuration environment \[default\]: ", "")):
            t.expect(prompt)
            t.send(answer)
        self.assertEqual(t.finish(), 0, t.text)
        self.assertEqual(self.stack_status("guided"), "CREATE_COMPLETE")
        stack = self.cfn.describe_stacks(StackName="guided")["Stacks"][0]
        self.assertEqual({p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}, {"Stage": "prod"})
        with open(os.path.join(self.dir, "src", "app.py"), "a") as f:
            f.write("# changed\n")
        r = subprocess.run([test_moto.LAMB, "deploy"], cwd=self.dir, env=self.env, capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Successfully created/updated stack - guided in us-east-1", r.stderr)
        self.assertEqual(self.stack_status("guided"), "UPDATE_COMPLETE")

    def test_sync_code_sends_only_what_changed(self):
        self.ok(self.lamb("deploy", "--stack-name", "sync", "--s3-bucket", BUCKET, "--capabilities",
                          "CAPABILITY_IAM", cwd=self.dir))
        name = self.function_name("sync")
        lam = MOTO.client("lambda")
        before = lam.get_function_configuration(FunctionName=name)["CodeSha256"]
        err = self.ok(self.lamb("sync", "--stack-name", "sync", "--code", cwd=self.dir))
        self.assertIn("the code is up to date", err)
        self.assertEqual(MOTO.requests("PUT", f"/2015-03-31/functions/{name}/code"), [])
        with open(os.path.join(self.dir, "src", "app.py"), "a") as f:
            f.write("# synced\n")
        err = self.ok(self.lamb("sync", "--stack-name", "sync", "--code", cwd=self.dir))
        self.assertIn("updated the code of function 'Hello'", err)
        self.assertEqual(len(MOTO.requests("PUT", f"/2015-03-31/functions/{name}/code")), 1)
        self.assertNotEqual(lam.get_function_configuration(FunctionName=name)["CodeSha256"], before)

    def test_list_stack_outputs(self):
        self.ok(self.lamb("deploy", "--stack-name", "outs", "--s3-bucket", BUCKET, "--capabilities",
                          "CAPABILITY_IAM", cwd=self.dir))
        r = self.lamb("list", "stack-outputs", "--stack-name", "outs", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"OutputKey\s+OutputValue\s+Description")


if __name__ == "__main__":
    lambtest.main()
