"""The seed's samples under sample-functions/: each validates, and each is
invoked through `lamb local invoke` with its expected answer (the
regression's numbers equal scipy's computed directly). A sample whose
Debian packages are missing is skipped with the package to install."""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from lambtest import run  # noqa: E402

SAMPLES = os.path.join(lambtest.SOURCE_ROOT, "sample-functions")
MINE = ["linear-regression", "pandas-layer", "smart-targets", "smart-alarms"]


def python_with(*modules):
    """A Python interpreter that imports modules, or None."""
    cands = [os.environ.get("LAMB_PYTHON"), shutil.which("python3.11"), "/usr/bin/python3", shutil.which("python3")]
    code = "import " + ", ".join(modules)
    for c in cands:
        if c and os.path.exists(c) and subprocess.run([c, "-c", code], capture_output=True).returncode == 0:
            return c
    return None


def vendored(sample, code_dir, py, modules):
    """A copy of the sample with py's copies of modules linked into the
    function's code (lambtest.link_host_packages)."""
    d = tempfile.TemporaryDirectory(prefix="lamb-sample-")
    dest = os.path.join(d.name, sample)
    shutil.copytree(os.path.join(SAMPLES, sample), dest)
    lambtest.link_host_packages(py, modules, os.path.join(dest, code_dir))
    return d, dest


def has_invoke():
    return run("help", "local", "invoke").returncode == 0


class Samples(unittest.TestCase):
    def invoke(self, sample, event="events/event.json", python=None, vendor=None):
        if not has_invoke():
            self.skipTest("lamb local invoke is not in this lamb yet")
        env = dict(os.environ)
        cwd = os.path.join(SAMPLES, sample)
        if python:
            env["LAMB_PYTHON"] = python
        if vendor:
            # numpy/pandas come from that interpreter (Debian's packages),
            # linked into the code, not from a layer pip would build: run
            # the source as it is
            keep, cwd = vendored(sample, vendor[0], python, vendor[1:])
            self.addCleanup(keep.cleanup)
        args = ["--no-build"] if python else []
        r = run("local", "invoke", "-e", event, *args, cwd=cwd, env=env, timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_validate(self):
        for s in MINE:
            with self.subTest(sample=s):
                r = run("-C", os.path.join(SAMPLES, s), "validate")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertNotIn("error", r.stderr)
                for f in ("README.md", "events/event.json"):
                    self.assertTrue(os.path.isfile(os.path.join(SAMPLES, s, f)), f)

    def test_linear_regression(self):
        py = python_with("numpy", "scipy")
        if not py:
            self.skipTest("numpy and scipy are not installed (apt-get install python3-numpy python3-scipy)")
        direct = subprocess.run([py, "-c", (
            "import json, numpy as np\n"
            "from scipy import stats\n"
            "np.random.seed(12345678)\n"
            "x = np.random.random(10)\n"
            "y = 1.6 * x + np.random.random(10)\n"
            "r = stats.linregress(x, y)\n"
            "print(json.dumps({'m': r.slope, 'c': r.intercept, 'r2': r.rvalue ** 2, 'p': r.pvalue, 'se': r.stderr}))\n"
        )], capture_output=True, text=True, check=True)
        want = json.loads(direct.stdout)
        resp = self.invoke("linear-regression", python=py, vendor=("regression", "numpy", "scipy.stats"))
        self.assertEqual(resp["statusCode"], 200, resp)
        got = json.loads(resp["body"])
        self.assertEqual(set(got), {"m", "c", "r2", "p", "se"})
        for k, v in want.items():
            self.assertTrue(math.isclose(got[k], v, rel_tol=1e-12), f"{k}: {got[k]} != {v}")
        self.assertGreater(got["r2"], 0.5)  # y = 1.6 x + noise: a line fits
        # POST: a line through the user's points
        resp = self.invoke("linear-regression", "events/post.json", python=py,
                           vendor=("regression", "numpy", "scipy.stats"))
        got = json.loads(resp["body"])
        self.assertAlmostEqual(got["m"], 1.99, places=6)
        self.assertGreater(got["r2"], 0.99)

    def test_pandas_layer(self):
        py = python_with("pandas")
        if not py:
            self.skipTest("pandas is not installed (apt-get install python3-pandas)")
        resp = self.invoke("pandas-layer", python=py, vendor=("summary", "pandas"))
        self.assertEqual(resp["rows"], 6)
        self.assertEqual([g["group"] for g in resp["groups"]], ["north", "east", "south"])
        self.assertEqual(resp["groups"][0]["total"], 13.0)

    def test_smart_targets(self):
        py = python_with("pandas")
        if not py:
            self.skipTest("pandas is not installed (apt-get install python3-pandas)")
        resp = self.invoke("smart-targets", python=py, vendor=("targets", "pandas"))
        self.assertEqual(resp["day"], "2024-03-14")
        self.assertEqual(resp["meters"], 3)
        flagged = [(f["meter"], f["time"]) for f in resp["flagged"]]
        self.assertEqual(flagged, [("m-002", "2024-03-14T03:00:00"), ("m-003", "2024-03-14T14:00:00")])

    def test_smart_alarms(self):
        if not shutil.which("Rscript"):
            self.skipTest("Rscript is not installed (apt-get install r-base-core)")
        if not shutil.which("curl"):
            self.skipTest("curl is not installed")
        resp = self.invoke("smart-alarms")
        self.assertEqual(resp["readings"], 144)
        self.assertEqual([a["time"] for a in resp["alarms"]], ["2024-03-14T06:40:00", "2024-03-14T16:50:00"])
        self.assertGreater(resp["alarms"][0]["score"], 5)
        self.assertLess(resp["alarms"][1]["score"], -5)


if __name__ == "__main__":
    lambtest.main()
