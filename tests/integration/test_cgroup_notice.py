"""Without a memory cgroup (LAMB_NO_CGROUP=1, no cgroup v1 or v2 memory
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
    makes (a directory created under the v1 memory controller, else
    cgroup v2's memory controller where lamb makes its CPU groups)."""
    if os.environ.get("LAMB_NO_CGROUP"):
        return False
    probe = os.path.join(ROOT, f"lamb-test-probe-{os.getpid()}")
    try:
        os.mkdir(probe)
    except OSError:
        return v2_memory_available()
    os.rmdir(probe)
    return True


def v2_memory_available():
    """engine/cgroup.c's choice: no v1 cpu controller, a v2 hierarchy
    offering cpu and memory, and a group of ours that we may write (the
    highest one), where a child group gets both controllers."""
    fs = "/sys/fs/cgroup"
    if os.path.exists(f"{fs}/cpu/cpu.cfs_quota_us") or os.path.exists(f"{fs}/cpu,cpuacct/cpu.cfs_quota_us"):
        return False
    mount = fs if os.path.exists(f"{fs}/cgroup.controllers") else f"{fs}/unified"
    try:
        with open("/proc/self/cgroup") as f:
            own = next(l[3:].strip() for l in f if l.startswith("0::"))
    except (OSError, StopIteration):
        return False
    top, d = None, mount + ("" if own == "/" else own)
    while len(d) >= len(mount) and os.access(d, os.W_OK) and os.access(f"{d}/cgroup.procs", os.W_OK):
        top, d = d, os.path.dirname(d)
    if not top:
        return False
    with open(f"{top}/cgroup.controllers") as f:
        offered = f.read().split()
    if "cpu" not in offered or "memory" not in offered:
        return False
    probe = os.path.join(top, f"lamb-test-probe-{os.getpid()}")
    try:
        with open(f"{top}/cgroup.subtree_control", "w") as f:
            f.write("+cpu +memory")
        os.mkdir(probe)
        with open(f"{probe}/cgroup.subtree_control", "w") as f:
            f.write("+cpu +memory")
        return True
    except OSError:
        return False
    finally:
        if os.path.isdir(probe):
            os.rmdir(probe)


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
