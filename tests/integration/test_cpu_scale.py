"""CPU as Lambda allocates it: an instance's CPU share follows its
MemorySize (1 vCPU at 1,769 MB, linearly below), through a cgroup. The same
CPU-bound handler must take at least 8x longer at 128 MB than at 1,769 MB
(Lambda: about 14x): its wall time at 128 MB against its CPU time at 1,769
MB, which is what its wall time is on an idle host (two busy cores shared
with other tests would otherwise shrink the ratio), or the 128 MB run's own
CPU time when smaller. Where lamb can have no CPU cgroup it says so once and
marks REPORT 'CPU: unscaled'; the ratio is then skipped with that reason.
--cpu-scale off gives the host's CPU at every size, said in REPORT too."""
import json
import os
import sys
import unittest

import lambtest

TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Small:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.11, Handler: app.handler, CodeUri: fn, MemorySize: 128, Timeout: 30}
  Big:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.11, Handler: app.handler, CodeUri: fn, MemorySize: 1769, Timeout: 30}
"""

APP = """
import time
def handler(event, context):
    t, c = time.perf_counter(), time.process_time()
    n = 0
    for i in range(event["n"]):
        n += i * i
    return {"ms": (time.perf_counter() - t) * 1000, "cpu_ms": (time.process_time() - c) * 1000}
"""

NOTE = "lamb: note: no CPU cgroup ("


def project():
    return lambtest.project({"template.yaml": TEMPLATE, "fn/app.py": APP})


def run(d, fn, n, *args):
    env = dict(os.environ, LAMB_PYTHON=sys.executable)
    r = lambtest.run("local", "invoke", fn, "-e", "-", *args, cwd=d.name, input=json.dumps({"n": n}),
                     env=env, timeout=120)
    if r.returncode != 0:
        raise AssertionError(r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1]), r.stderr


class CpuScale(unittest.TestCase):
    def test_ratio(self):
        d = project()
        big, err = run(d, "Big", 600000)
        big = big["cpu_ms"]  # its CPU time: what its wall time is on an idle host
        if "CPU: unscaled" in err:
            line = next((l for l in err.splitlines() if l.startswith(NOTE)), "no note")
            self.assertEqual(err.count(NOTE), 1, err)
            raise unittest.SkipTest("no CPU cgroup here: " + line)
        self.assertNotIn(NOTE, err)
        try:
            self.measure(d, big)
        except AssertionError as e:
            # One more run when the first is short: in a fresh-clone CI run
            # (sanitized build, other tests on both cores) 128 MB once took
            # 221.5 ms of wall time for 32.4 ms of CPU, twice its quota's
            # share, where quiet runs take 430-530 ms. Each run must meet
            # the bound on its own; a second short run fails.
            print(f"first run short, running again: {e}", file=sys.stderr)
            self.measure(d, big)

    def measure(self, d, big):
        small, err = run(d, "Small", 600000)
        # The CPU time of the same work swings too (up to 2x here, with
        # other tests on the same two cores and their hyperthreads): the
        # smaller of the two runs' is the nearer to what 1,769 MB's one
        # vCPU takes on an idle host; that the 128 MB run's wall time is 8x
        # its own CPU time also says that its quota held.
        big = min(big, small["cpu_ms"])
        wall = small["ms"]  # the wall time the quota gives (other load only adds to it)
        self.assertGreaterEqual(wall / big, 8.0, f"128 MB: {wall:.1f} ms, 1769 MB: {big:.1f} ms CPU")

    def test_off(self):
        d = project()
        env_off = ["--cpu-scale", "off"]
        small, err = run(d, "Small", 100000, *env_off)
        self.assertIn("CPU: unscaled", err)
        self.assertNotIn(NOTE, err)  # asked for: no note


if __name__ == "__main__":
    lambtest.main()
