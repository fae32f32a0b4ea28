"""lamb validate: every problem reported as FILE:LINE:COLUMN, exit codes."""
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from lambtest import run, project  # noqa: E402


class Validate(unittest.TestCase):
    def test_sample_is_valid(self):
        sample = os.path.join(lambtest.SOURCE_ROOT, "sample-functions", "hello-python")
        r = run("validate", cwd=sample)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("valid", r.stderr)

    def test_deprecated_runtime_warns_and_still_runs(self):
        # AWS's table: python3.9 deprecated on 2025-12-15, nodejs20.x on
        # 2026-04-30; python3.13 not before 2029
        tmpl = ("Transform: AWS::Serverless-2016-10-31\n"
                "Resources:\n"
                "  Old:\n"
                "    Type: AWS::Serverless::Function\n"
                "    Properties: {Runtime: python3.9, Handler: app.handler, CodeUri: src}\n"
                "  Node:\n"
                "    Type: AWS::Serverless::Function\n"
                "    Properties: {Runtime: nodejs20.x, Handler: app.handler, CodeUri: src}\n"
                "  New:\n"
                "    Type: AWS::Serverless::Function\n"
                "    Properties: {Runtime: python3.13, Handler: app.handler, CodeUri: src}\n")
        app = "def handler(event, context):\n    return {'ok': 1}\n"
        with project({"template.yaml": tmpl, "src/app.py": app}) as d:
            r = run("validate", cwd=d)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("template.yaml:5:27: warning: Runtime 'python3.9' is deprecated since 2025-12-15",
                          r.stderr)
            self.assertIn("template.yaml:8:27: warning: Runtime 'nodejs20.x' is deprecated since 2026-04-30",
                          r.stderr)
            self.assertNotIn("python3.13", r.stderr)
            r = run("local", "invoke", "Old", "--no-build", cwd=d, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout), {"ok": 1})
            self.assertIn("Runtime 'python3.9' is deprecated", r.stderr)

    def test_bad_yaml_has_position(self):
        with project({"template.yaml": "Resources:\n  Fn: [1, 2\n"}) as d:
            r = run("validate", cwd=d)
            self.assertEqual(r.returncode, 1)
            self.assertRegex(r.stderr, r"template\.yaml:\d+:\d+: error: invalid YAML")

    def test_no_template(self):
        with project({}) as d:
            r = run("validate", cwd=d)
            self.assertEqual(r.returncode, 1)
            self.assertIn("no template.yaml", r.stderr)

    def test_json_output(self):
        with project({"t.yaml": "a: !Bogus x\n"}) as d:
            r = run("validate", "-t", "t.yaml", "--json", cwd=d)
            self.assertEqual(r.returncode, 1)
            diags = json.loads(r.stdout)
            self.assertEqual(diags[0]["line"], 1)
            self.assertEqual(diags[0]["severity"], "error")

    def test_every_problem_reported_in_order(self):
        tmpl = ("Transform: AWS::Serverless-2016-10-31\n"
                "Resources:\n"
                "  Fn:\n"
                "    Type: AWS::Serverless::Function\n"
                "    Properties:\n"
                "      Runtime: python3.12\n"
                "      Handler: app.handler\n"
                "      Timeout: 0\n"
                "      MemorySize: 99999\n"
                "      Environment: {Variables: {A: !Ref Missing}}\n"
                "  Old:\n"
                "    Type: AWS::Serverless::Function\n"
                "    Properties: {Runtime: nodejs12.x, Handler: a.b}\n")
        with project({"template.yaml": tmpl}) as d:
            r = run("validate", cwd=d)
            self.assertEqual(r.returncode, 1)
            lines = [l for l in r.stderr.splitlines() if ": error: " in l or ": warning: " in l]
            self.assertEqual([l.split(": ")[0] for l in lines if ": error: " in l],
                             ["template.yaml:8:16", "template.yaml:9:19", "template.yaml:10:36"])
            self.assertIn("Timeout 0 is out of range (1 to 900)", r.stderr)
            self.assertIn("Ref to undefined parameter or resource 'Missing'", r.stderr)
            self.assertIn("template.yaml:13:27: warning: Runtime 'nodejs12.x' is deprecated", r.stderr)

    def test_warnings_alone_pass(self):
        tmpl = ("Transform: AWS::Serverless-2016-10-31\n"
                "Resources:\n"
                "  Fn:\n"
                "    Type: AWS::Serverless::Function\n"
                "    Properties: {CodeUri: missing/, Runtime: python3.8, Handler: a.b}\n")
        with project({"template.yaml": tmpl}) as d:
            r = run("validate", cwd=d)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("warning: code of 'Fn' does not exist (yet)", r.stderr)

    def test_allowed_pattern_is_java_regex(self):
        # \d is a digit (glibc's regcomp read a 'd'); the whole value must match
        tmpl = ("Transform: AWS::Serverless-2016-10-31\n"
                "Parameters:\n"
                "  Account:\n"
                "    Type: String\n"
                "    Default: '123456789012'\n"
                "    AllowedPattern: '^\\d{12}$'\n"
                "  Env:\n"
                "    Type: String\n"
                "    Default: ABC\n"
                "    AllowedPattern: '^[a-z]+$'\n"
                "  Bad: {Type: String, Default: x, AllowedPattern: '(x'}\n"
                "Resources: {}\n"
                "Outputs: {All: {Value: !Sub '${Account}${Env}${Bad}'}}\n")
        with project({"template.yaml": tmpl}) as d:
            r = run("validate", cwd=d, timeout=20)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertNotIn("Account", r.stderr)
            self.assertIn("template.yaml:9:14: error: parameter 'Env': value 'ABC' does not match "
                          "AllowedPattern '^[a-z]+$'", r.stderr)
            self.assertIn("template.yaml:11:51: warning: parameter 'Bad': AllowedPattern '(x' is not a "
                          "pattern lamb can check: missing closing parenthesis at offset 2", r.stderr)
            r = run("validate", "--parameter-overrides", "Env=abc", cwd=d, timeout=20)
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_cloudformation_limits_with_their_figures(self):
        """Issue 19: a 50 MB template of 243,755 functions is refused at once
        for its size, in little memory; 501 resources for their count."""
        head = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n"
        fn = ("  F{:06d}:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n"
              "      Handler: app.handler\n      CodeUri: src/\n      Description: {}\n")
        pad = "x" * 91
        with project({"src/app.py": ""}) as d:
            with open(os.path.join(d, "template.yaml"), "w") as f:
                f.write(head)
                f.writelines(fn.format(i, pad) for i in range(243755))
            size = os.path.getsize(os.path.join(d, "template.yaml"))
            self.assertGreater(size, 50 * 1000 * 1000)
            t0 = time.monotonic()
            r = subprocess.run(["/usr/bin/env", "python3", "-c", RSS_OF, lambtest.LAMB, "validate"],
                               cwd=d, capture_output=True, text=True, timeout=60)
            took = time.monotonic() - t0
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(f"template.yaml:1:1: error: template is {size} bytes: CloudFormation takes at most "
                          "1,000,000 (uploaded to S3; 51,200 passed inline)", r.stderr)
            self.assertEqual(r.stderr.count("error:"), 1, r.stderr[:2000])
            rss = int(r.stdout.split()[-1]) * 1024
            self.assertLess(rss, 10 * size, f"max RSS {rss} bytes for a {size}-byte template")
            self.assertLess(took, 5)
            with open(os.path.join(d, "template.yaml"), "w") as f:
                f.write(head)
                f.writelines(fn.format(i, "x") for i in range(501))
            r = run("validate", cwd=d)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("template.yaml:4:3: error: template declares 501 resources: CloudFormation allows "
                          "at most 500 per stack", r.stderr)
            self.assertEqual(r.stderr.count("error:"), 1, r.stderr[:2000])

    def test_code_outside_the_project(self):
        """Issue 19: CodeUri /etc or ../../ warns, / is refused (layers too)."""
        t = ("AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n"
             "  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n"
             "      Handler: a.b\n      CodeUri: {}\n"
             "  L:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      ContentUri: {}\n")
        with project({"a/b/src/a.py": ""}) as d:
            sub = os.path.join(d, "a", "b")
            real = os.path.realpath(sub)
            for code, layer, rc, said in (
                    ("/etc", "src", 0, [f"9:16: warning: code of 'F' is outside the project ('{real}'): '/etc'"]),
                    ("../../", "../x", 0, [f"code of 'F' is outside the project ('{real}'): "
                                           f"'{os.path.dirname(os.path.dirname(real))}'",
                                           "13:19: warning: content of layer 'L' is outside the project"]),
                    ("/", "/", 1, ["9:16: error: code of 'F' is '/', the whole file system: point CodeUri at "
                                   "its own directory",
                                   "13:19: error: content of layer 'L' is '/', the whole file system"]),
                    ("src/", "src", 0, [])):
                with self.subTest(code=code):
                    with open(os.path.join(sub, "template.yaml"), "w") as f:
                        f.write(t.format(code, layer))
                    r = run("validate", cwd=sub)
                    self.assertEqual(r.returncode, rc, r.stderr)
                    for s in said:
                        self.assertIn(s, r.stderr)
                    if not said:
                        self.assertNotIn("outside the project", r.stderr)

    def test_usage(self):
        r = run("validate", "--bogus")
        self.assertEqual(r.returncode, 2)
        r = run("validate", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: lamb validate", r.stdout)


# Runs argv[1:] and prints its maximum RSS in KiB (its stderr passes through).
RSS_OF = """
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(r.returncode)
"""


if __name__ == "__main__":
    lambtest.main()
