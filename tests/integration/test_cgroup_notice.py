"""Without a memory cgroup (LAMB_NO_CGROUP=1, no cgroup v1 memory
controller, or no right to create a group there: not root), lamb says so
once per run, with the reason and what is lost, and never otherwise. The
same file runs in every mode scripts/test tries (root with cgroups,
LAMB_NO_CGROUP=1, an unprivileged user), and checks what that mode must
print."""
import os
import unittest

import lambtest
from test_invoke import fixture_project

NOTICE = "lamb: note: no memory cgroup ("
ROOT = "/sys/fs/cgroup/memory"


def cgroup_available():
    """Whether lamb can have its memory cgroup here: the same test lamb
    makes (a directory created under the v1 memory controller)."""
    if os.environ.get("LAMB_NO_CGROUP"):
        return False
    probe = os.path.join(ROOT, f"lamb-test-probe-{os.getpid()}")
    try:
        os.mkdir(probe)
    except OSError:
        return False
    os.rmdir(probe)
    return True


def invoke_twice(env=None):
    d = fixture_project()
    r = lambtest.run("local", "invoke", "-e", "-", "--repeat", "2", cwd=d.name, input='{"verb":"echo"}',
                     env=dict(os.environ, **(env or {})))
    return r


class Notice(unittest.TestCase):
    def test_this_mode(self):
        r = invoke_twice()
        self.assertEqual(r.returncode, 0, r.stderr)
        if cgroup_available():
            self.assertNotIn(NOTICE, r.stderr)
            return
        self.assertEqual(r.stderr.count(NOTICE), 1, r.stderr)
        line = next(l for l in r.stderr.splitlines() if l.startswith(NOTICE))
        reason = line[len(NOTICE):line.index("):")]
        self.assertTrue(reason, line)
        if os.environ.get("LAMB_NO_CGROUP"):
            self.assertEqual(reason, "LAMB_NO_CGROUP is set")
        self.assertIn("sampling", line)
        self.assertIn("process group", line)

    def test_forced_off(self):
        r = invoke_twice({"LAMB_NO_CGROUP": "1"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.count(NOTICE + "LAMB_NO_CGROUP is set): "), 1, r.stderr)
        self.assertIn("not enforced at allocation", r.stderr)


if __name__ == "__main__":
    unittest.main()
