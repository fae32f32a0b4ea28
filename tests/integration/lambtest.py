"""Helpers shared by the integration tests: run lamb, write temporary
projects, skip honestly (exit 77 is meson's "skipped")."""
import os
import subprocess
import sys
import tempfile
import unittest

LAMB = os.environ.get("LAMB") or sys.exit("LAMB is not set: run through 'meson test'")
SOURCE_ROOT = os.environ.get("LAMB_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
SKIP = 77


def run(*args, cwd=None, input=None, timeout=60, env=None):
    """Runs lamb with args; returns the CompletedProcess (text mode)."""
    return subprocess.run([LAMB, *args], cwd=cwd, input=input, capture_output=True,
                          text=True, timeout=timeout, env=env)


def project(files):
    """A temporary directory holding files {relative path: text}."""
    d = tempfile.TemporaryDirectory(prefix="lamb-test-")
    for name, text in files.items():
        path = os.path.join(d.name, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return d


def main():
    """unittest.main that exits 77 when every test was skipped."""
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    if r.testsRun and len(r.skipped) == r.testsRun:
        sys.exit(SKIP)
    sys.exit(0)
