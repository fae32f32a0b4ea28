"""lamb deploy and lamb delete against the AWS stand-in (aws_standin.py):
real SigV4-signed requests to a CloudFormation and S3 look-alike on
127.0.0.1 that runs change sets, stack events and rollbacks as AWS does.
Each test has its own stand-in, HOME and AWS_* environment."""
import hashlib
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from lambtest import LAMB, SOURCE_ROOT, project  # noqa: E402
from aws_standin import AwsStandin  # noqa: E402

BUCKET = "lamb-artifacts"

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
  Owner:
    Type: String
    Default: nobody
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          STAGE: !Ref Stage
Outputs:
  HelloArn:
    Description: the function's ARN
    Value: !GetAtt Hello.Arn
  StageName:
    Value: !Ref Stage
"""

APP = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hello'}\n"


class DeployCase(unittest.TestCase):
    def setUp(self):
        self.aws = AwsStandin().start()
        self.addCleanup(self.aws.stop)
        self.aws.create_bucket(BUCKET)
        home = tempfile.TemporaryDirectory(prefix="lamb-home-")
        self.addCleanup(home.cleanup)
        self.home = home.name
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
                    "LAMB_POLL_DELAY": "0.2", **self.aws.env()}
        self.proj = project({"template.yaml": TEMPLATE, "src/app.py": APP})
        self.addCleanup(self.proj.cleanup)
        self.dir = self.proj.name

    def lamb(self, *args, env=None, cwd=None, timeout=120):
        return subprocess.run([LAMB, *args], cwd=cwd or self.dir, env=env or self.env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def deploy(self, *args, stack="app", caps=True, **kw):
        extra = ["--capabilities", "CAPABILITY_IAM"] if caps else []
        return self.lamb("deploy", "--stack-name", stack, "--s3-bucket", BUCKET, *extra, *args, **kw)

    def ok(self, r):
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stderr

    def change_set_types(self):
        """The ChangeSetType of every change set the stand-in holds, oldest first."""
        with self.aws.lock:
            sets = [cs for s in self.aws.stacks for cs in s.change_sets.values()]
        return [cs.type for cs in sorted(sets, key=lambda cs: cs.created)]


class Deploy(DeployCase):
    def test_create_then_update_then_nothing(self):
        err = self.ok(self.deploy())
        self.assertEqual(self.change_set_types(), ["CREATE"])
        stack = self.aws.stack("app")
        self.assertEqual(stack.status, "CREATE_COMPLETE")
        # the change set's table, the events as they came, the outputs
        self.assertRegex(err, r"Operation\s+LogicalResourceId\s+ResourceType\s+Replacement")
        self.assertRegex(err, r"\+ Add\s+Hello\s+AWS::Lambda::Function")
        self.assertRegex(err, r"CREATE_IN_PROGRESS\s+AWS::Lambda::Function\s+Hello")
        self.assertRegex(err, r"CREATE_COMPLETE\s+AWS::CloudFormation::Stack\s+app")
        self.assertLess(err.index("CREATE_IN_PROGRESS"), err.index("CREATE_COMPLETE"))
        self.assertRegex(err, r"Key\s+HelloArn\nDescription\s+the function's ARN\nValue\s+arn:aws:lambda:")
        self.assertIn("Successfully created/updated stack - app in us-east-1", err)
        # each event once
        lines = [ln for ln in err.splitlines() if re.match(r"\d\d:\d\d:\d\d\s", ln)]
        self.assertEqual(len(lines), len(set(lines)), err)
        # the code went to the bucket
        self.assertTrue(any(b == BUCKET for b, _ in self.aws.objects))

        with open(os.path.join(self.dir, "src", "app.py"), "a") as f:
            f.write("# changed\n")
        err = self.ok(self.deploy())
        self.assertEqual(self.change_set_types(), ["CREATE", "UPDATE"])
        self.assertEqual(self.aws.stack("app").status, "UPDATE_COMPLETE")
        self.assertRegex(err, r"\* Modify\s+Hello\s+AWS::Lambda::Function")
        self.assertRegex(err, r"UPDATE_COMPLETE\s+AWS::CloudFormation::Stack\s+app")
        self.assertNotRegex(err, r"CREATE_COMPLETE\s+AWS::CloudFormation::Stack", "old events told again")

        r = self.deploy()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("No changes to deploy. Stack app is up to date", r.stderr)
        r = self.deploy("--no-fail-on-empty-changeset")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("No changes to deploy. Stack app is up to date", r.stderr)
        self.assertIn("DeleteChangeSet", self.aws.actions("cloudformation"))
        self.assertEqual(self.aws.stack("app").status, "UPDATE_COMPLETE")

    def test_doctor_refuses_and_no_verify_lets_through(self):
        """deploy runs the native-code doctor before any upload or change
        set, as package does; --no-verify deploys anyway."""
        import wheelkit
        with open(os.path.join(self.dir, "src", "fast.so"), "wb") as f:
            f.write(wheelkit.minimal_elf(wheelkit.EM_AARCH64))
        r = self.deploy()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("function 'Hello': 'fast.so' is built for arm64; Lambda loads it on x86_64", r.stderr)
        self.assertIn("not uploaded: 1 problem", r.stderr)
        self.assertEqual(self.change_set_types(), [])
        self.assertNotIn("PutObject", self.aws.actions("s3"))
        self.ok(self.deploy("--no-verify"))
        self.assertEqual(self.aws.stack("app").status, "CREATE_COMPLETE")

    def test_nothing_to_update_refused_at_once(self):
        """moto's server refuses such a change set instead of failing it
        (test_moto.py shows it there too): still "no changes"."""
        self.ok(self.deploy())
        self.aws.refuse_empty_updates = True
        r = self.deploy()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("No changes to deploy. Stack app is up to date", r.stderr)
        self.assertNotIn("cannot create a change set", r.stderr)
        r = self.deploy("--no-fail-on-empty-changeset")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("DeleteChangeSet", self.aws.actions("cloudformation"))
        self.assertEqual(self.change_set_types(), ["CREATE"])
        # a real change still goes through
        with open(os.path.join(self.dir, "src", "app.py"), "a") as f:
            f.write("# changed\n")
        self.ok(self.deploy())
        self.assertEqual(self.change_set_types(), ["CREATE", "UPDATE"])

    def test_no_execute_changeset(self):
        err = self.ok(self.deploy("--no-execute-changeset"))
        self.assertIn("execute-change-set --change-set-name arn:", err)
        self.assertNotIn("ExecuteChangeSet", self.aws.actions("cloudformation"))
        stack = self.aws.stack("app")
        self.assertEqual(stack.status, "REVIEW_IN_PROGRESS")
        sets = list(stack.change_sets.values())
        self.assertEqual([(cs.type, cs.exec_status) for cs in sets], [("CREATE", "AVAILABLE")])
        # a later deploy creates it for real: the stack was never created
        self.ok(self.deploy())
        self.assertEqual(self.change_set_types(), ["CREATE", "CREATE"])
        self.assertEqual(self.aws.stack("app").status, "CREATE_COMPLETE")

    def test_missing_capability(self):
        r = self.deploy(caps=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("CAPABILITY_IAM", r.stderr)
        self.assertRegex(r.stderr, r"lamb: cannot (deploy|create a change set for) stack 'app': .*Requires capabilities")
        self.assertNotIn("ExecuteChangeSet", self.aws.actions("cloudformation"))

    def test_failing_stack_rolls_back(self):
        with open(os.path.join(self.dir, "template.yaml"), "w") as f:
            f.write(TEMPLATE.replace("CodeUri: src/", f"CodeUri: s3://{BUCKET}/no-such-code.zip"))
        r = self.deploy()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(self.aws.stack("app").status, "ROLLBACK_COMPLETE")
        self.assertRegex(r.stderr, r"ROLLBACK_COMPLETE\s+AWS::CloudFormation::Stack")
        tail = r.stderr[r.stderr.index("failed resources:"):]
        self.assertRegex(tail, r"CREATE_FAILED\s+AWS::Lambda::Function\s+Hello\s+\S")
        self.assertIn("lamb: stack 'app' failed to create: ROLLBACK_COMPLETE", r.stderr)
        # and it cannot be updated: say how to get out
        r = self.deploy()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("ROLLBACK_COMPLETE", r.stderr)
        self.assertIn("lamb delete --stack-name app", r.stderr)
        self.assertNotIn("CreateChangeSet", self.aws.actions("cloudformation")[-2:])

    def test_failed_update_rolls_back_and_can_be_fixed(self):
        self.ok(self.deploy())
        path = os.path.join(self.dir, "template.yaml")
        with open(path, "w") as f:
            f.write(TEMPLATE.replace("CodeUri: src/", f"CodeUri: s3://{BUCKET}/no-such-code.zip"))
        r = self.deploy()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(self.aws.stack("app").status, "UPDATE_ROLLBACK_COMPLETE")
        self.assertIn("lamb: stack 'app' failed to update: UPDATE_ROLLBACK_COMPLETE", r.stderr)
        self.assertRegex(r.stderr[r.stderr.index("failed resources:"):], r"UPDATE_FAILED\s+AWS::Lambda::Function")
        # unlike ROLLBACK_COMPLETE, this state takes the next update
        with open(path, "w") as f:
            f.write(TEMPLATE.replace("Default: dev", "Default: staging"))
        self.ok(self.deploy())
        self.assertEqual(self.aws.stack("app").status, "UPDATE_COMPLETE")

    def test_busy_stack(self):
        self.aws.delay = 2.0
        first = subprocess.Popen([LAMB, "deploy", "--stack-name", "app", "--s3-bucket", BUCKET, "--capabilities",
                                  "CAPABILITY_IAM"], cwd=self.dir, env=self.env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: first.poll() is None and first.kill())
        deadline = time.time() + 60
        while time.time() < deadline and "ExecuteChangeSet" not in self.aws.actions("cloudformation"):
            time.sleep(0.05)
        r = self.deploy()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertRegex(r.stderr, r"stack 'app' is busy \(CREATE_IN_PROGRESS\): wait")
        err = first.communicate(timeout=120)[1]
        self.assertEqual(first.returncode, 0, err)

    def test_parameters_and_tags_reach_the_stack(self):
        self.ok(self.deploy("--parameter-overrides", "Stage=prod", "Owner='Jane Doe'",
                            "--tags", "team=core", "cost-center=42"))
        stack = self.aws.stack("app")
        self.assertEqual(stack.params["Stage"], "prod")
        self.assertEqual(stack.params["Owner"], "Jane Doe")
        self.assertEqual(dict(stack.tags), {"team": "core", "cost-center": "42"})
        # an update without overrides keeps the previous values (UsePreviousValue)
        self.ok(self.deploy("--parameter-overrides", "Owner=Max", "--tags", "team=core", "cost-center=42"))
        stack = self.aws.stack("app")
        self.assertEqual(stack.params["Stage"], "prod")
        self.assertEqual(stack.params["Owner"], "Max")
        # a parameter new in the template has no previous value: its Default
        with open(os.path.join(self.dir, "template.yaml"), "w") as f:
            f.write(TEMPLATE.replace("Parameters:\n", "Parameters:\n  Color:\n    Type: String\n"
                                                     "    Default: blue\n"))
        self.ok(self.deploy())
        self.assertEqual(self.aws.stack("app").params, {"Stage": "prod", "Owner": "Max", "Color": "blue"})

    def test_transform_failure_shows_its_reason(self):
        # lamb accepts an S3 location without a key; AWS's SAM transform does not
        with open(os.path.join(self.dir, "template.yaml"), "w") as f:
            f.write(TEMPLATE.replace("CodeUri: src/", "CodeUri: s3://only-a-bucket"))
        r = self.deploy()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertRegex(r.stderr, r"lamb: cannot deploy stack 'app': the change set failed: Transform "
                                   r"AWS::Serverless-2016-10-31 failed with: .*'CodeUri' is not a valid S3 Uri")
        self.assertNotIn("ExecuteChangeSet", self.aws.actions("cloudformation"))

    def event_rows(self, err):
        """The event table's lines: from its header to the first blank line."""
        lines = err[err.index("CloudFormation events from stack operations"):].splitlines()[1:]
        return lines[:lines.index("")] if "" in lines else lines

    def assert_aligned(self, rows):
        """Every line's cells start at the header's columns; the reason
        column starts at the same place on every line that has one."""
        head = rows[0]
        cols = [head.index(h) for h in ("ResourceStatus", "ResourceType", "LogicalResourceId",
                                         "ResourceStatusReason")]
        for row in rows[1:]:
            for c in cols[:3]:
                self.assertEqual(row[c - 2:c], "  ", f"not aligned at {c}:\n{head}\n{row}")
            if re.match(r"\d\d:\d\d:\d\d ", row):
                self.assertEqual(row[cols[3] - 2:cols[3]], "  ", f"reason not aligned:\n{head}\n{row}")
                self.assertNotEqual(row[cols[3]], " ", f"reason not aligned:\n{head}\n{row}")
        return cols

    def test_long_logical_ids_keep_the_columns(self):
        long_id = "HelloFunctionWithAVeryLongLogicalIdThatGoesOnAndOnForSixtyChars"
        with open(os.path.join(self.dir, "template.yaml"), "w") as f:
            f.write(TEMPLATE.replace("  Hello:\n", f"  {long_id}:\n").replace("Hello.Arn", f"{long_id}.Arn"))
        err = self.ok(self.deploy())
        rows = self.event_rows(err)
        cols = self.assert_aligned(rows)
        # the id column was sized from the change set: no id wraps, and the
        # status column fits CREATE statuses, not the 44 of an update's
        self.assertTrue(any(long_id in r for r in rows), err)
        self.assertTrue(any(long_id + "Role" in r for r in rows), err)
        self.assertEqual(cols[1] - cols[0], len("ROLLBACK_IN_PROGRESS") + 2)
        self.assertEqual(cols[3] - cols[2], len(long_id + "Role") + 2)
        self.assertTrue(all(re.match(r"\d\d:\d\d:\d\d ", r) for r in rows[1:]), "\n".join(rows))
        # an update can end in UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: room for it
        with open(os.path.join(self.dir, "src", "app.py"), "a") as f:
            f.write("# changed\n")
        err = self.ok(self.deploy())
        cols = self.assert_aligned(self.event_rows(err))
        self.assertEqual(cols[1] - cols[0], len("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS") + 2)
        # a delete knows no change set: the id longer than its column goes
        # on over the next line, in its own column
        err = self.ok(self.lamb("delete", "--stack-name", "app", "--no-prompts"))
        rows = self.event_rows(err)
        cols = self.assert_aligned(rows)
        self.assertEqual(cols[1] - cols[0], len("DELETE_IN_PROGRESS") + 2)
        i = next(i for i, r in enumerate(rows) if long_id[:30] in r and "AWS::Lambda::Function" in r)
        width = cols[3] - cols[2] - 2
        self.assertEqual(rows[i][cols[2]:cols[2] + width], long_id[:width])
        self.assertEqual(rows[i + 1].strip(), long_id[width:])
        self.assertEqual(rows[i + 1].index(long_id[width:]), cols[2])

    def test_pages_and_throttling(self):
        """Every page of changes and events is read, each event told once, and
        throttled calls are retried."""
        self.aws.page_size = 1
        self.aws.fail_next(2, "Throttling", "cloudformation")
        err = self.ok(self.deploy())
        self.assertRegex(err, r"\+ Add\s+Hello\s+AWS::Lambda::Function")
        self.assertRegex(err, r"\+ Add\s+HelloRole\s+AWS::IAM::Role")
        events = [ln.split()[1:4] for ln in err.splitlines() if re.match(r"\d\d:\d\d:\d\d\s", ln)]
        stack = self.aws.stack("app")
        want = [[e["ResourceStatus"], e["ResourceType"], e["LogicalResourceId"]] for e in stack.events
                if e["ResourceStatus"] != "REVIEW_IN_PROGRESS"]
        self.assertEqual(events, want)

    def test_large_template_goes_through_s3(self):
        big = TEMPLATE.replace("Resources:\n", "Metadata:\n  Notes:\n" + "".join(
            f"    - note {i} {'x' * 100}\n" for i in range(600)) + "Resources:\n")
        self.assertGreater(len(big), 51200)
        with open(os.path.join(self.dir, "template.yaml"), "w") as f:
            f.write(big)
        self.ok(self.deploy("--s3-prefix", "big"))
        self.assertEqual(self.aws.stack("app").status, "CREATE_COMPLETE")
        keys = [k for b, k in self.aws.objects if b == BUCKET and k.startswith("big/") and k.endswith(".template")]
        self.assertTrue(keys, list(self.aws.objects))
        for k in keys:  # named by the MD5 of what was uploaded
            self.assertEqual(k[len("big/"):-len(".template")], hashlib.md5(self.aws.objects[(BUCKET, k)]).hexdigest())
        # without a bucket to put it in: said before any change set
        with open(os.path.join(self.dir, "template.yaml"), "w") as f:
            f.write(big.replace("CodeUri: src/", "InlineCode: 'def handler(e, c): pass'"))
        r = self.lamb("deploy", "--stack-name", "other", "--capabilities", "CAPABILITY_IAM")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("more than the 51200 CloudFormation takes inline: give --s3-bucket", r.stderr)
        self.assertIsNone(self.aws.stack("other"))

    def test_parameter_file(self):
        with open(os.path.join(self.dir, "params.json"), "w") as f:
            f.write('[{"ParameterKey": "Stage", "ParameterValue": "qa"}]')
        self.ok(self.deploy("--parameter-overrides", "file://params.json",
                            "ParameterKey=Owner,ParameterValue=a,b"))
        self.assertEqual(self.aws.stack("app").params, {"Stage": "qa", "Owner": "a,b"})

    def test_interrupt_leaves_the_stack_going(self):
        self.aws.delay = 3.0
        p = subprocess.Popen([LAMB, "deploy", "--stack-name", "app", "--s3-bucket", BUCKET, "--capabilities",
                              "CAPABILITY_IAM"], cwd=self.dir, env=self.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while time.time() < deadline and "ExecuteChangeSet" not in self.aws.actions("cloudformation"):
            time.sleep(0.05)
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        err = p.communicate(timeout=30)[1]
        self.assertEqual(p.returncode, 130, err)
        self.assertIn("the stack operation goes on in CloudFormation", err)
        self.assertTrue(self.aws.stack("app").status.startswith("CREATE_"))


class Credentials(DeployCase):
    def test_missing_region(self):
        env = {k: v for k, v in self.env.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
        r = self.deploy(env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("region", r.stderr)
        self.assertEqual(self.aws.calls, [])
        self.assertFalse(os.path.exists(os.path.join(self.dir, ".lamb")), "built before checking")

    def test_missing_credentials(self):
        env = {k: v for k, v in self.env.items() if not k.startswith("AWS_ACCESS") and not k.startswith("AWS_SECRET")}
        r = self.deploy(env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("credentials", r.stderr)
        self.assertEqual(self.aws.calls, [])
        r = self.lamb("delete", "--stack-name", "app", "--no-prompts", env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(self.aws.calls, [])

    def test_local_code_needs_a_bucket(self):
        r = self.lamb("deploy", "--stack-name", "app", "--capabilities", "CAPABILITY_IAM")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("--s3-bucket", r.stderr)
        self.assertNotIn("CreateChangeSet", self.aws.actions())

    def test_usage(self):
        r = self.lamb("deploy", "--s3-bucket", BUCKET)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--stack-name is required", r.stderr)
        r = self.lamb("delete")
        self.assertEqual(r.returncode, 2, r.stderr)


class Delete(DeployCase):
    def setUp(self):
        super().setUp()
        self.ok(self.deploy())

    def test_no_prompts(self):
        err = self.ok(self.lamb("delete", "--stack-name", "app", "--no-prompts"))
        self.assertIsNone(self.aws.stack("app"))
        self.assertRegex(err, r"DELETE_IN_PROGRESS\s+AWS::CloudFormation::Stack\s+app")
        self.assertIn("Deleted successfully", err)
        # again: nothing to delete, as sam delete says, exit 0
        err = self.ok(self.lamb("delete", "--stack-name", "app", "--no-prompts"))
        self.assertIn("stack 'app' does not exist", err)

    def test_no_terminal_needs_no_prompts(self):
        r = self.lamb("delete", "--stack-name", "app")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("--no-prompts", r.stderr)
        self.assertNotIn("DeleteStack", self.aws.actions())
        self.assertEqual(self.aws.stack("app").status, "CREATE_COMPLETE")

    def on_pty(self, answer):
        """lamb delete with a terminal as stdin, answering the question."""
        master, slave = pty.openpty()
        p = subprocess.Popen([LAMB, "delete", "--stack-name", "app"], cwd=self.dir, env=self.env,
                             stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        out = b""
        deadline = time.time() + 60
        asked = False
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            if not asked and b"[y/N]" in out:
                os.write(master, answer + b"\n")
                asked = True
            if p.poll() is not None and not ready:
                break
        p.wait(timeout=30)
        os.close(master)
        text = out.decode(errors="replace")
        self.assertIn("Are you sure you want to delete the stack app in the region us-east-1 ? [y/N]", text)
        return p.returncode, text

    def test_prompt_no_keeps_it(self):
        rc, text = self.on_pty(b"n")
        self.assertEqual(rc, 0, text)
        self.assertNotIn("DeleteStack", self.aws.actions())
        self.assertEqual(self.aws.stack("app").status, "CREATE_COMPLETE")

    def test_prompt_yes_deletes_it(self):
        rc, text = self.on_pty(b"y")
        self.assertEqual(rc, 0, text)
        self.assertIn("DeleteStack", self.aws.actions())
        self.assertIsNone(self.aws.stack("app"))


class Sample(DeployCase):
    def test_hello_python(self):
        src = os.path.join(SOURCE_ROOT, "sample-functions", "hello-python")
        dst = os.path.join(self.dir, "hello-python")
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".lamb", ".aws-sam"))
        err = self.ok(self.deploy("--s3-prefix", "hello", stack="hello", cwd=dst))
        self.assertEqual(self.aws.stack("hello").status, "CREATE_COMPLETE")
        self.assertTrue(any(b == BUCKET and k.startswith("hello/") for b, k in self.aws.objects))
        self.assertRegex(err, r"Key\s+HelloWorldApi\n")
        self.assertIn("Successfully created/updated stack - hello in us-east-1", err)


if __name__ == "__main__":
    lambtest.main()
