"""lamb deploy --guided through a pseudo-terminal, then a deploy without
flags that reads the saved samconfig.toml; --resolve-s3 making the
managed stack once and reusing it; --confirm-changeset asking before the
change set runs. Against the AWS stand-in (aws_standin.py), as
test_deploy.py."""
import os
import pty
import re
import select
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from lambtest import LAMB  # noqa: E402
from test_deploy import DeployCase  # noqa: E402

MANAGED = "lamb-managed-default"


class Terminal:
    """lamb on a pseudo-terminal: expect() what it prints, send() lines."""

    def __init__(self, args, cwd, env):
        self.master, slave = pty.openpty()
        self.p = subprocess.Popen([LAMB, *args], cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        self.text = ""
        self.pos = 0

    def read(self, timeout):
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: lamb is gone
            return None
        self.text += chunk.decode(errors="replace")
        return bool(chunk)

    def expect(self, pattern, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            m = re.compile(pattern).search(self.text, self.pos)
            if m:
                self.pos = m.end()
                return m
            if time.monotonic() > deadline or self.read(0.2) is None:
                raise AssertionError(f"no {pattern!r} in:\n{self.text}")

    def send(self, line):
        os.write(self.master, line.encode() + b"\n")

    def finish(self, timeout=120):
        deadline = time.monotonic() + timeout
        while self.read(0.2) is not None and time.monotonic() < deadline:
            pass
        rc = self.p.wait(timeout=max(1, deadline - time.monotonic()))
        os.close(self.master)
        return rc


class Guided(DeployCase):
    def terminal(self, *args):
        t = Terminal(args, self.dir, self.env)
        self.addCleanup(lambda: t.p.poll() is None and t.p.kill())
        return t

    def test_guided_then_flagless(self):
        t = self.terminal("deploy", "--guided")
        t.expect(r"Stack Name \[sam-app\]: ")
        t.send("guided-app")
        t.expect(r"AWS Region \[us-east-1\]: ")
        t.send("")
        t.expect(r"Parameter Stage \[dev\]: ")
        t.send("prod")
        t.expect(r"Parameter Owner \[nobody\]: ")
        t.send("")
        t.expect(r"Confirm changes before deploy \[y/N\]: ")
        t.send("n")
        t.expect(r"Allow SAM CLI IAM role creation \[Y/n\]: ")
        t.send("")
        t.expect(r"Save arguments to configuration file \[Y/n\]: ")
        t.send("y")
        t.expect(r"SAM configuration file \[samconfig.toml\]: ")
        t.send("")
        t.expect(r"SAM configuration environment \[default\]: ")
        t.send("")
        t.expect(r"Managed S3 bucket: lamb-managed-default-samclisourcebucket-")
        self.assertEqual(t.finish(), 0, t.text)
        self.assertIn("Successfully created/updated stack - guided-app in us-east-1", t.text)
        stack = self.aws.stack("guided-app")
        self.assertEqual(stack.params.get("Stage"), "prod")

        with open(os.path.join(self.dir, "samconfig.toml")) as f:
            saved = f.read()
        self.assertIn("version = 0.1", saved)
        self.assertIn("[default.deploy.parameters]", saved)
        self.assertIn('stack_name = "guided-app"', saved)
        self.assertIn("resolve_s3 = true", saved)
        self.assertIn('capabilities = ["CAPABILITY_IAM"]', saved)
        self.assertIn('parameter_overrides = "Stage=\\"prod\\" Owner=\\"nobody\\""', saved)
        self.assertIn('s3_prefix = "guided-app"', saved)
        self.assertTrue(any(b.startswith("lamb-managed-default-") and k.startswith("guided-app/")
                            for b, k in self.aws.objects), self.aws.objects.keys())

        # no flags: everything from samconfig.toml, the managed stack reused
        with open(os.path.join(self.dir, "src", "app.py"), "a") as f:
            f.write("# changed\n")
        r = self.lamb("deploy")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Successfully created/updated stack - guided-app in us-east-1", r.stderr)
        self.assertEqual(self.aws.stack("guided-app").params.get("Stage"), "prod")
        sets = [cs for s in self.aws.stacks if s.name == MANAGED for cs in s.change_sets.values()]
        self.assertEqual(len(sets), 1)

    def test_guided_without_answers_fails(self):
        r = self.lamb("deploy", "--guided")  # stdin is /dev/null
        self.assertEqual(r.returncode, 1)
        self.assertIn("deploy --guided: no answer on standard input", r.stderr)


class ResolveS3(DeployCase):
    def test_managed_stack_made_once(self):
        r = self.lamb("deploy", "--stack-name", "one", "--resolve-s3", "--capabilities", "CAPABILITY_IAM")
        self.assertEqual(r.returncode, 0, r.stderr)
        managed = self.aws.stack(MANAGED)
        self.assertEqual(managed.status, "CREATE_COMPLETE")
        body = managed.template_body
        for prop in ("VersioningConfiguration", "BucketEncryption", "PublicAccessBlockConfiguration",
                     "aws:SecureTransport"):
            self.assertIn(prop, body)
        bucket = {o[0]: o[1] for o in managed.outputs}["SourceBucket"]
        m = re.search(r"Managed S3 bucket: (\S+)", r.stderr)
        self.assertTrue(m, r.stderr)
        self.assertTrue(m.group(1).startswith("lamb-managed-default-samclisourcebucket-"), m.group(1))
        self.assertEqual(bucket, m.group(1))
        self.assertTrue(any(b == m.group(1) for b, _ in self.aws.objects))

        r = self.lamb("deploy", "--stack-name", "two", "--resolve-s3", "--capabilities", "CAPABILITY_IAM")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"Managed S3 bucket: {m.group(1)}", r.stderr)
        sets = [cs for s in self.aws.stacks if s.name == MANAGED for cs in s.change_sets.values()]
        self.assertEqual(len(sets), 1)


class ConfirmChangeset(DeployCase):
    def test_declined_then_accepted(self):
        args = ("deploy", "--stack-name", "app", "--s3-bucket", "lamb-artifacts", "--capabilities",
                "CAPABILITY_IAM", "--confirm-changeset")
        t = Terminal(args, self.dir, self.env)
        t.expect(r"\+ Add\s+Hello")
        t.expect(r"Deploy this changeset\? \[y/N\]: ")
        t.send("n")
        self.assertEqual(t.finish(), 0, t.text)
        self.assertNotIn("ExecuteChangeSet", self.aws.actions("cloudformation"))
        t = Terminal(args, self.dir, self.env)
        t.expect(r"Deploy this changeset\? \[y/N\]: ")
        t.send("y")
        self.assertEqual(t.finish(), 0, t.text)
        self.assertIn("ExecuteChangeSet", self.aws.actions("cloudformation"))
        self.assertEqual(self.aws.stack("app").status, "CREATE_COMPLETE")


if __name__ == "__main__":
    lambtest.main()
