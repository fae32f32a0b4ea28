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


def free_port():
    """A TCP port on 127.0.0.1 free a moment ago, for a server that cannot
    be told to pick its own (another process may take it first: rare)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A Python expression naming the process it runs in, unique across
# instances: "PID@PIDNS@START". Sandboxed, every instance is pid 2 of its own
# PID namespace, so the pid alone names nothing; the namespace's inode does
# while it lives, but the kernel hands a freed inode to the next namespace,
# so the process's start time (clock ticks since boot, /proc/self/stat's
# 22nd field) tells a retired instance from its successor.
INSTANCE_ID = ('str(os.getpid()) + "@" + str(os.stat("/proc/self/ns/pid").st_ino) + "@" + '
               'open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19]')


def _started(pid):
    """A process's start time, in clock ticks since boot; None once gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def instance_pids(token):
    """The host pids of the processes of the instance named by token (an
    INSTANCE_ID): the pid itself when it shares lamb's PID namespace, else
    every process in its namespace. A namespace whose processes all started
    after the instance did is a later one that was given the same inode."""
    parts = str(token).split("@")
    pid, ns = int(parts[0]), int(parts[1])
    start = int(parts[2]) if len(parts) > 2 else None
    if ns == os.stat("/proc/self/ns/pid").st_ino:
        began = _started(pid)
        return [pid] if began is not None and (start is None or began == start) else []
    found = []
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and os.stat(f"/proc/{p}/ns/pid").st_ino == ns:
                found.append(int(p))
        except OSError:
            pass
    if start is not None:
        began = [b for b in map(_started, found) if b is not None]
        if not began or min(began) > start:
            return []
    return found


def instance_alive(token):
    return bool(instance_pids(token))


def instance_root(token, lamb_pid):
    """The child of lamb that the instance named by token descends from."""
    for pid in instance_pids(token):
        while pid > 1:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid == lamb_pid:
                return pid
            pid = ppid
    return None


def project(files):
    """A temporary directory holding files {relative path: text}."""
    d = tempfile.TemporaryDirectory(prefix="lamb-test-")
    for name, text in files.items():
        path = os.path.join(d.name, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return d


_HOST_MODULES = """
import sys
for m in sys.argv[1:]:
    __import__(m)
for mod in list(sys.modules.values()):
    f = getattr(mod, "__file__", None) or ""
    if "-packages/" in f:
        print(f)
"""


def link_host_packages(python, modules, dest):
    """Links python's copies of modules, and of every package they import
    from its site-packages, into dest, as `pip install -t dest` would put
    them there: a function sees no host site-packages, as on Lambda."""
    out = subprocess.run([python, "-c", _HOST_MODULES, *modules], capture_output=True, text=True,
                         check=True).stdout
    os.makedirs(dest, exist_ok=True)
    for path in out.split():
        site = path.split("-packages/")[0] + "-packages"
        top = path[len(site) + 1:].split("/")[0]
        link = os.path.join(dest, top)
        if not os.path.lexists(link):
            os.symlink(os.path.join(site, top), link)


class LambServer:
    """A lamb server command (local start-api, local start-lambda) running on
    a free port in a temporary project; the port is read from its banner."""
    command = None  # ("local", "start-api")

    def __init__(self, files, *args):
        import re
        import time
        self.dir = project(files)
        self.log = open(os.path.join(self.dir.name, "stderr.log"), "w+")
        self.proc = subprocess.Popen([LAMB, *self.command, "-p", "0", *args], cwd=self.dir.name,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 20
        self.port = None
        while time.time() < deadline and self.port is None:
            m = re.search(r"http://127\.0\.0\.1:(\d+) \(Ctrl-C", self.stderr())
            if m:
                self.port = int(m.group(1))
            elif self.proc.poll() is not None:
                raise AssertionError(f"{' '.join(self.command)} exited: " + self.stderr())
            else:
                time.sleep(0.05)
        if self.port is None:
            said = self.stderr()
            self.proc.kill()  # a failed start must not leave a server behind
            self.proc.wait()
            raise AssertionError(f"{' '.join(self.command)} never said where it serves: " + said)
        self.url = f"http://127.0.0.1:{self.port}"

    def stderr(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def stop(self):
        """SIGTERM, then the exit status (the server must stop by itself)."""
        import signal
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.dir.cleanup()
        return self.proc.returncode


class ServerIn:
    """A lamb server command run in an existing project directory D, ready
    once its stderr matches READY (group 1: the port) and, if given, OTHER.
    stop() sends SIGTERM and fails unless lamb exits 0, so that an exit-time
    sanitizer report (a leak under ASan) fails the test that caused it."""

    def __init__(self, d, *args, command=("local", "start-api"),
                 ready=r"http://127\.0\.0\.1:(\d+) \(Ctrl-C", other=None, timeout=30):
        import re
        import time
        self.err = open(os.path.join(d, "stderr.log"), "w+")
        self.proc = subprocess.Popen([LAMB, *command, "-p", "0", *args], cwd=d,
                                     stdout=subprocess.DEVNULL, stderr=self.err)
        deadline = time.time() + timeout
        while time.time() < deadline:
            said = self.stderr()
            m = re.search(ready, said)
            if m and (other is None or re.search(other, said)):
                self.url = f"http://127.0.0.1:{m.group(1)}"
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        said = self.stderr()
        self._end(kill=True)
        raise AssertionError(f"{' '.join(command)} did not start: " + said)

    def stderr(self):
        self.err.flush()
        with open(self.err.name) as f:
            return f.read()

    def _end(self, kill=False):
        import signal
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.err.closed:
            self.err.close()
        return self.proc.returncode

    def stop(self):
        """SIGTERM; lamb must stop by itself and exit 0."""
        if self.err.closed:
            return self.proc.returncode
        said = self.stderr()
        code = self._end()
        if code != 0:
            raise AssertionError(f"lamb exited {code} after SIGTERM:\n" + said[-3000:])
        return code


def main():
    """unittest.main that exits 77 when every test was skipped."""
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    # everything skipped, or the module itself (setUpModule's SkipTest)
    if r.skipped and len(r.skipped) >= r.testsRun:
        sys.exit(SKIP)
    sys.exit(0)
