"""lamb package, lamb deploy and lamb delete against moto's server
(`moto_server`, from the Python package moto), where it is installed: the
same calls test_package.py and test_deploy.py make to the bundled stand-in
(aws_standin.py), answered by a second, independent implementation of S3
and CloudFormation. Skipped, with a message, where moto is missing.

What moto (5.2) does differently, and so what is checked here:
- it does not run the SAM transform: AWS::Serverless::* resources are kept
  in the template and create nothing. The deploy tests use plain
  AWS::Lambda::Function templates, whose Code lamb package also rewrites,
  so that moto creates, updates and deletes a real (moto) function.
- it refuses an UPDATE change set that changes nothing at once, with
  CreateChangeSet's "ValidationError: No updates are to be performed.",
  where AWS creates a FAILED change set: lamb takes both as "no changes".
- it executes a change set inside ExecuteChangeSet and has no rollback: a
  resource that cannot be created makes ExecuteChangeSet answer its error
  (the stack stays REVIEW_IN_PROGRESS), and no *_FAILED event or
  ROLLBACK_COMPLETE state ever appears. The rollback path is tested against
  the stand-in (test_deploy.py); here, the error lamb sees instead.
- it does not refresh a stack's Outputs after a change set, so no outputs
  are printed.
- a CREATE change set for a stack in REVIEW_IN_PROGRESS (left by
  --no-execute-changeset) makes a second stack of the same name rather
  than reusing it, so that path is tested against the stand-in only."""
import hashlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from lambtest import LAMB, SOURCE_ROOT, project  # noqa: E402

BUCKET = "lamb-moto"
REGION = "us-east-1"
MISSING = None
if not shutil.which("moto_server"):
    MISSING = "moto is not installed: no 'moto_server' on PATH (pip install 'moto[server]')"
else:
    try:
        import boto3  # noqa: E402 (comes with moto)
    except ImportError:
        MISSING = f"boto3 cannot be imported by {sys.executable}, which runs this test"

SAM_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Alpha:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: alpha/
      Handler: app.handler
      Runtime: python3.12
      Layers: [!Ref Shared]
  Beta:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: beta
      Handler: app.handler
      Runtime: python3.12
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer
"""

# Plain CloudFormation: moto creates these (it does not expand SAM).
CFN_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Stage:
    Type: String
    Default: dev
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
  Hello:
    Type: AWS::Lambda::Function
    Properties:
      Code: src
      Handler: app.handler
      Runtime: python3.12
      Role: ROLE
      Environment:
        Variables:
          STAGE: !Ref Stage
"""

APP = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hello'}\n"


class MotoServer:
    """moto_server on 127.0.0.1, a free port; its request log in a file."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="lamb-moto-")
        self.log = open(os.path.join(self.dir.name, "moto.log"), "w+")
        self.port = lambtest.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    # on PATH but not runnable (a pyenv shim for a Python without moto)
                    text = self.text()
                    self.stop()
                    raise unittest.SkipTest("moto_server cannot run: " + text.strip()[-300:])
                if time.time() > deadline:
                    self.stop()
                    raise AssertionError("moto_server did not answer within 60 s")
                time.sleep(0.2)

    def text(self):
        """All moto_server wrote: its banner, then one line per request."""
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def requests(self, method, path_prefix):
        """The paths of the requests moto logged for method under path_prefix."""
        found = re.findall(r'"([A-Z]+) (\S+) HTTP/1\.1" \d+', self.text())
        return [p for m, p in found if m == method and p.startswith(path_prefix)]

    def client(self, service):
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.dir.cleanup()


MOTO = None


def setUpModule():
    global MOTO
    MOTO = MotoServer()
    MOTO.client("s3").create_bucket(Bucket=BUCKET)


def tearDownModule():
    if MOTO:
        MOTO.stop()


class MotoCase(unittest.TestCase):
    def setUp(self):
        home = tempfile.TemporaryDirectory(prefix="lamb-home-")
        self.addCleanup(home.cleanup)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home.name,
                    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": REGION, "LAMB_POLL_DELAY": "0.2"}
        self.cfn = MOTO.client("cloudformation")

    def lamb(self, *args, cwd, endpoint=None, timeout=120):
        return subprocess.run([LAMB, *args, "--endpoint-url", endpoint or MOTO.url], cwd=cwd, env=self.env,
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def ok(self, r):
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stderr

    def stack_status(self, name):
        return self.cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]

    def cfn_project(self, role="!GetAtt Role.Arn"):
        p = project({"template.yaml": CFN_TEMPLATE.replace("ROLE", role), "src/app.py": APP})
        self.addCleanup(p.cleanup)
        return p.name


class Package(MotoCase):
    def test_artifacts_go_up_once(self):
        p = project({"template.yaml": SAM_TEMPLATE, "alpha/app.py": APP, "beta/app.py": APP + "# beta\n",
                     "layer/python/shared.py": "X = 1\n"})
        self.addCleanup(p.cleanup)
        prefix = f"/{BUCKET}/pkg/"
        self.ok(self.lamb("package", "--s3-bucket", BUCKET, "--s3-prefix", "pkg", "--output-template-file",
                          "packaged.yaml", cwd=p.name))
        puts = MOTO.requests("PUT", prefix)
        self.assertEqual(len(puts), 3, MOTO.text())
        s3 = MOTO.client("s3")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="pkg/").get("Contents", [])]
        self.assertEqual(sorted(keys), sorted(p[len(f"/{BUCKET}/"):] for p in puts))
        with open(os.path.join(p.name, "packaged.yaml")) as f:
            packaged = f.read()
        names = set()
        for key in keys:
            body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            # content-addressed, and what arrived is the zip lamb built
            self.assertEqual(key, "pkg/" + hashlib.md5(body).hexdigest())
            names |= {n for n in zipfile.ZipFile(io.BytesIO(body)).namelist() if not n.endswith("/")}
            self.assertIn(f"s3://{BUCKET}/{key}", packaged)
        self.assertEqual(names, {"app.py", "python/shared.py"})

        # nothing changed: HEADs only, nothing sent again
        err = self.ok(self.lamb("package", "--s3-bucket", BUCKET, "--s3-prefix", "pkg", "--output-template-file",
                                "again.yaml", cwd=p.name))
        self.assertEqual(MOTO.requests("PUT", prefix), puts, err)
        with open(os.path.join(p.name, "again.yaml")) as f:
            self.assertEqual(f.read(), packaged)

        # one function edited: that one alone
        with open(os.path.join(p.name, "beta", "app.py"), "a") as f:
            f.write("# edited\n")
        self.ok(self.lamb("package", "--s3-bucket", BUCKET, "--s3-prefix", "pkg", "--output-template-file",
                          "edited.yaml", cwd=p.name))
        self.assertEqual(len(MOTO.requests("PUT", prefix)), 4)
        self.ok(self.lamb("package", "--s3-bucket", BUCKET, "--s3-prefix", "pkg", "--output-template-file",
                          "forced.yaml", "--force-upload", cwd=p.name))
        self.assertEqual(len(MOTO.requests("PUT", prefix)), 7)


class Deploy(MotoCase):
    def test_create_update_nothing_delete(self):
        d = self.cfn_project()
        err = self.ok(self.lamb("deploy", "--stack-name", "app", "--s3-bucket", BUCKET, "--capabilities",
                                "CAPABILITY_IAM", "--parameter-overrides", "Stage=prod", "--tags", "team=core",
                                cwd=d))
        self.assertRegex(err, r"\+ Add\s+Hello\s+AWS::Lambda::Function")
        self.assertRegex(err, r"CREATE_COMPLETE\s+AWS::CloudFormation::Stack\s+app")
        self.assertIn("Successfully created/updated stack - app in us-east-1", err)
        events = [ln for ln in err.splitlines() if re.match(r"\d\d:\d\d:\d\d\s", ln)]
        self.assertEqual(len(events), len(set(events)), err)
        stack = self.cfn.describe_stacks(StackName="app")["Stacks"][0]
        self.assertEqual(stack["StackStatus"], "CREATE_COMPLETE")
        self.assertEqual({p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}, {"Stage": "prod"})
        self.assertEqual({t["Key"]: t["Value"] for t in stack["Tags"]}, {"team": "core"})
        fn = self.cfn.describe_stack_resource(StackName="app", LogicalResourceId="Hello")
        name = fn["StackResourceDetail"]["PhysicalResourceId"]
        lam = MOTO.client("lambda")
        first = lam.get_function(FunctionName=name)["Code"]["Location"]
        changes = [c["ExecutionStatus"] for c in self.cfn.list_change_sets(StackName="app")["Summaries"]]
        self.assertEqual(changes, ["EXECUTE_COMPLETE"])

        # an edit: an UPDATE change set, executed, the function's code moved
        with open(os.path.join(d, "src", "app.py"), "a") as f:
            f.write("# changed\n")
        err = self.ok(self.lamb("deploy", "--stack-name", "app", "--s3-bucket", BUCKET, "--capabilities",
                                "CAPABILITY_IAM", cwd=d))
        self.assertRegex(err, r"\* Modify\s+Hello\s+AWS::Lambda::Function")
        self.assertRegex(err, r"UPDATE_COMPLETE\s+AWS::CloudFormation::Stack\s+app")
        self.assertNotRegex(err, r"CREATE_COMPLETE\s+AWS::CloudFormation::Stack", "old events told again")
        self.assertEqual(self.stack_status("app"), "UPDATE_COMPLETE")
        second = lam.get_function(FunctionName=name)["Code"]["Location"]
        self.assertNotEqual(first, second)
        self.assertIn("STAGE", lam.get_function(FunctionName=name)["Configuration"]["Environment"]["Variables"])
        changes = [c["ExecutionStatus"] for c in self.cfn.list_change_sets(StackName="app")["Summaries"]]
        self.assertEqual(changes, ["EXECUTE_COMPLETE", "EXECUTE_COMPLETE"])

        # nothing changed: moto refuses the change set at once
        r = self.lamb("deploy", "--stack-name", "app", "--s3-bucket", BUCKET, cwd=d)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("No changes to deploy. Stack app is up to date", r.stderr)
        r = self.lamb("deploy", "--stack-name", "app", "--s3-bucket", BUCKET, "--no-fail-on-empty-changeset",
                      cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("No changes to deploy. Stack app is up to date", r.stderr)
        self.assertEqual(self.stack_status("app"), "UPDATE_COMPLETE")

        err = self.ok(self.lamb("delete", "--stack-name", "app", "--no-prompts", cwd=d))
        self.assertRegex(err, r"DELETE_COMPLETE\s+AWS::CloudFormation::Stack\s+app")
        self.assertIn("Deleted successfully", err)
        self.assertNotIn("app", [s["StackName"] for s in self.cfn.describe_stacks()["Stacks"]])
        self.assertNotIn(name, [f["FunctionName"] for f in lam.list_functions()["Functions"]])
        err = self.ok(self.lamb("delete", "--stack-name", "app", "--no-prompts", cwd=d))
        self.assertIn("stack 'app' does not exist", err)

    def test_failing_stack(self):
        # a role that does not exist: moto's Lambda refuses the function
        d = self.cfn_project(role="arn:aws:iam::123456789012:role/no-such-role")
        r = self.lamb("deploy", "--stack-name", "bad", "--s3-bucket", BUCKET, "--capabilities", "CAPABILITY_IAM",
                      cwd=d)
        self.assertEqual(r.returncode, 1, r.stderr)
        status = self.stack_status("bad")
        if status == "REVIEW_IN_PROGRESS":
            # moto 5.2: ExecuteChangeSet itself fails, nothing rolls back
            self.assertIn("lamb: cannot execute the change set of stack 'bad': ExecuteChangeSet: "
                          "InvalidParameterValueException: The role defined for the function cannot be "
                          "assumed by Lambda", r.stderr)
        else:
            # a moto that rolls back as AWS does
            self.assertEqual(status, "ROLLBACK_COMPLETE", r.stderr)
            self.assertIn("lamb: stack 'bad' failed to create: ROLLBACK_COMPLETE", r.stderr)
            self.assertRegex(r.stderr[r.stderr.index("failed resources:"):], r"CREATE_FAILED\s+AWS::Lambda::Function")
        self.assertNotIn("Successfully created", r.stderr)
        self.ok(self.lamb("delete", "--stack-name", "bad", "--no-prompts", cwd=d))
        self.assertNotIn("bad", [s["StackName"] for s in self.cfn.describe_stacks()["Stacks"]])

    def test_large_template_goes_through_s3(self):
        """Over 51,200 bytes: uploaded, given as TemplateURL. moto reads a
        path-style TemplateURL only when its host is "localhost" (for
        127.0.0.1 it takes "127" for the bucket), so lamb is pointed there."""
        d = self.cfn_project()
        path = os.path.join(d, "template.yaml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("Resources:\n", "Metadata:\n  Notes:\n" + "".join(
                f"    - note {i} {'x' * 100}\n" for i in range(600)) + "Resources:\n"))
        self.assertGreater(os.path.getsize(path), 51200)
        err = self.ok(self.lamb("deploy", "--stack-name", "big", "--s3-bucket", BUCKET, "--s3-prefix", "big",
                                "--capabilities", "CAPABILITY_IAM", cwd=d,
                                endpoint=f"http://localhost:{MOTO.port}"))
        self.assertIn("Successfully created/updated stack - big in us-east-1", err)
        self.assertEqual(self.stack_status("big"), "CREATE_COMPLETE")
        self.assertEqual(len([p for p in MOTO.requests("PUT", f"/{BUCKET}/big/") if p.endswith(".template")]), 1)
        self.assertIn("note 599", self.cfn.get_template(StackName="big")["TemplateBody"])
        self.ok(self.lamb("delete", "--stack-name", "big", "--no-prompts", cwd=d))

    def test_sample_hello_python(self):
        """A SAM sample: packaged, its template (with S3 locations) given to
        the stack; moto keeps the Serverless resources unexpanded."""
        tmp = tempfile.TemporaryDirectory(prefix="lamb-test-")
        self.addCleanup(tmp.cleanup)
        dst = os.path.join(tmp.name, "hello-python")
        shutil.copytree(os.path.join(SOURCE_ROOT, "sample-functions", "hello-python"), dst,
                        ignore=shutil.ignore_patterns(".lamb", ".aws-sam"))
        err = self.ok(self.lamb("deploy", "--stack-name", "hello", "--s3-bucket", BUCKET, "--s3-prefix", "hello",
                                "--capabilities", "CAPABILITY_IAM", cwd=dst))
        self.assertIn("Successfully created/updated stack - hello in us-east-1", err)
        self.assertEqual(self.stack_status("hello"), "CREATE_COMPLETE")
        body = self.cfn.get_template(StackName="hello")["TemplateBody"]
        m = re.search(r'CodeUri: "?s3://' + BUCKET + r'/(hello/[0-9a-f]{32})"?', body)
        self.assertTrue(m, body)
        MOTO.client("s3").head_object(Bucket=BUCKET, Key=m.group(1))
        self.ok(self.lamb("delete", "--stack-name", "hello", "--no-prompts", cwd=dst))


class Logs(MotoCase):
    """lamb logs --stack-name: the function's physical name from moto's
    ListStackResources, its events from moto's FilterLogEvents. (The
    resource is a LogGroup named like a function: its physical id is the
    name, and moto needs no code for it.)"""

    def test_filtered_events_of_a_stack_resource(self):
        import json as json_
        self.cfn.create_stack(StackName="logs-app", TemplateBody=json_.dumps({"Resources": {"Hello": {
            "Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "logs-app-Hello-ABC"}}}}))
        logs = MOTO.client("logs")
        group = "/aws/lambda/logs-app-Hello-ABC"
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="s1")
        now = int(time.time() * 1000)
        logs.put_log_events(logGroupName=group, logStreamName="s1", logEvents=[
            {"timestamp": now - 3000 + i, "message": m} for i, m in
            enumerate(["START RequestId: r1", "hello from alice", "[ERROR] broke", "END RequestId: r1"])])
        with tempfile.TemporaryDirectory() as d:
            r = self.lamb("logs", "--stack-name", "logs-app", "-n", "Hello", "-s", "5mins ago", cwd=d)
            self.ok(r)
            self.assertEqual([l.split(" ", 1)[1] for l in r.stdout.splitlines()],
                             ["START RequestId: r1", "hello from alice", "[ERROR] broke", "END RequestId: r1"])
            r = self.lamb("logs", "--stack-name", "logs-app", "-n", "Hello", "--filter", "ERROR", cwd=d)
            self.ok(r)
            self.assertEqual([l.split(" ", 1)[1] for l in r.stdout.splitlines()], ["[ERROR] broke"])


if __name__ == "__main__":
    if MISSING:
        print(f"skipped: {MISSING}", file=sys.stderr)
        sys.exit(lambtest.SKIP)
    lambtest.main()
