"""scripts/demo, the README's first command, runs to the end: validate, list,
invoke of the bundled samples and the seed's linear regression (numpy and
scipy linked into its layer). It builds and runs build/, so only the plain
build's pass runs it."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402

DEMO = os.path.join(lambtest.SOURCE_ROOT, "scripts", "demo")
PLAIN = os.path.realpath(os.path.join(lambtest.SOURCE_ROOT, "build"))


@unittest.skipUnless(os.path.realpath(os.environ.get("LAMB_BUILD_ROOT", "")) == PLAIN,
                     "scripts/demo builds and runs build/, not this build directory")
@unittest.skipUnless(os.access(lambtest.SOURCE_ROOT, os.W_OK), "the checkout is not writable by this user")
class Demo(unittest.TestCase):
    def test_runs_to_the_end(self):
        r = subprocess.run([DEMO], capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-4000:])
        self.assertIn('\\"message\\": \\"hello world\\"', r.stdout)
        if "skipping sample-functions/linear-regression" not in r.stderr:  # no numpy/scipy
            self.assertIn('\\"r2\\": ', r.stdout, r.stderr[-4000:])


if __name__ == "__main__":
    lambtest.main()
