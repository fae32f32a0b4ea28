"""Every template of the shared corpus loads: lamb validate ends with 0 or 1,
never a crash or a hang, the valid ones give 0, and the ones AWS would
refuse give exactly the errors that say why. The corpus sits beside
the checkout (../shared) in CI; elsewhere this test reports itself skipped."""
import glob
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402

CORPUS = os.path.join(lambtest.SOURCE_ROOT, "..", "shared", "corpus", "sam-templates")
# Templates that are not valid as they stand: cookiecutter markup ({% ... %})
# makes 12 and 13 invalid YAML; 20 names a resource it never defines
# (FunctionExecutionRole), which CloudFormation rejects too; the others have
# parameters without a Default, valid once --parameter-overrides gives them.
INVALID = {"12", "13", "20"}
NEEDS_OVERRIDES = {
    "05": ["ModeEnvVariable=debug"],
    "07": ["MyRuntimeVersion=v1"],
    "10": ["Runtime=python3.12", "CodeUri=src", "Handler=main.handler", "BuildMethod=makefile"],
    "11": ["Runtime=python3.12", "CodeUri=src", "Handler=main.handler", "LayerContentUri=layer",
           "LayerMakeContentUri=layer2", "LayerBuildMethod=python3.12",
           "LayerCompatibleArchitecture=x86_64"],
    "17": ["KMSKeyArn=arn:aws:kms:us-east-1:123456789012:key/k"],
}

# Templates that CloudFormation or the SAM transform would refuse, and that
# lamb validate reports (cfn-lint reports the same on the transformed
# template): test fixtures of SAM CLI and of the SAM translator, written for
# what they test rather than to be deployed. The rules of lamb's errors:
REFUSED = {
    "01": "unknown-ref",       # !Ref SecurityGroupId, SubnetId: no such parameter (cfn-lint E1020)
    "02": "unknown-ref",       # the same
    "07": "missing-property",  # AWS::Lambda::Function without Code or Role (cfn-lint E3003)
    "08": "missing-property unknown-property",  # AWS::Lambda::Function with CodeUri, not Code (E3002, E3003)
    "14": "bad-value",         # RecursiveLoop: TERMINATE, UpdateRuntimeOn: FunctionChange (E3030)
    "17": "bad-value",         # a Schedule event's State: Enabled, not ENABLED (E3030)
}


def rule_errors(stderr):
    """The rule ids of the errors that have one."""
    return {line.rsplit("[", 1)[1].rstrip("]") for line in stderr.splitlines()
            if ": error: " in line and line.endswith("]")}


@unittest.skipUnless(os.path.isdir(CORPUS), f"no corpus at {CORPUS} (it sits beside the checkout in CI)")
class Corpus(unittest.TestCase):
    def test_every_template(self):
        files = sorted(glob.glob(os.path.join(CORPUS, "*.y*ml")))
        self.assertTrue(files)
        for path in files:
            name = os.path.basename(path)
            with self.subTest(template=name):
                r = lambtest.run("validate", "-t", path, timeout=20)
                self.assertIn(r.returncode, (0, 1), r.stderr)
                self.assertNotIn("Sanitizer", r.stderr)
                refused = set(REFUSED.get(name[:2], "").split())
                if name[:2] in INVALID or name[:2] in NEEDS_OVERRIDES or refused:
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertRegex(r.stderr, r":\d+:\d+: error: ")
                else:
                    self.assertEqual(r.returncode, 0, r.stderr)
                if name[:2] not in INVALID:
                    self.assertEqual(rule_errors(r.stderr), refused, r.stderr)
                if name[:2] in NEEDS_OVERRIDES:
                    r = lambtest.run("validate", "-t", path, "--parameter-overrides",
                                     *NEEDS_OVERRIDES[name[:2]], timeout=20)
                    self.assertEqual(r.returncode, 1 if refused else 0, r.stderr)
                    self.assertEqual(rule_errors(r.stderr), refused, r.stderr)

    def test_list_every_valid_template(self):
        for path in sorted(glob.glob(os.path.join(CORPUS, "*.y*ml"))):
            name = os.path.basename(path)
            if name[:2] in INVALID:
                continue
            args = ["--parameter-overrides", *NEEDS_OVERRIDES[name[:2]]] if name[:2] in NEEDS_OVERRIDES else []
            for what in ("functions", "endpoints", "resources"):
                with self.subTest(template=name, what=what):
                    r = lambtest.run("list", what, "--json", "-t", path, *args, timeout=20)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertIsInstance(json.loads(r.stdout), list)


if __name__ == "__main__":
    lambtest.main()
