"""lamb validate: every problem reported as FILE:LINE:COLUMN, exit codes."""
import json
import os
import sys
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

    def test_usage(self):
        r = run("validate", "--bogus")
        self.assertEqual(r.returncode, 2)
        r = run("validate", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: lamb validate", r.stdout)


if __name__ == "__main__":
    lambtest.main()
