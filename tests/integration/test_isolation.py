"""Attacks from inside a function (issue 19) and Lambda's files in every
command (issue 13): another instance's Runtime API, a remount of /var/task,
/proc across instances and lamb, a detached daemon without a cgroup, each
signal that ends lamb, and /var/task/data.csv under invoke, start-api,
start-lambda, local start and local bench."""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
import lambtest

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    Timeout: 5
    CodeUri: {code}
Resources:
  Data:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.data
      Events:
        Api: {{Type: Api, Properties: {{Path: /data, Method: get}}}}
  Victim:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.probe
  Attacker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.probe
      MemorySize: 128
"""

APP = r'''
import json, os, socket, subprocess, sys, time

def data(event, context):
    return {"statusCode": 200, "body": open("/var/task/data.csv").read()}

def raw(target, request):
    # what another instance's Runtime API says to us: "" when it closes at once
    host, port = target.split(":")
    s = socket.create_connection((host, int(port)), timeout=3)
    try:
        s.sendall(request.encode())
        s.settimeout(2)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except OSError as e:
        got += ("<%s>" % type(e).__name__).encode()
    s.close()
    return got.decode(errors="replace")

def try_write(path):
    try:
        open(path, "w").write("x")
        return "written"
    except OSError as e:
        return e.strerror

def try_sysctl(path):
    """Writes a host setting's own value back: harmless if it gets through."""
    try:
        value = open(path).read()
        open(path, "w").write(value)
        return "written"
    except OSError as e:
        return e.strerror

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return line.split()[1]

def daemon(n, grab_mb=0):
    # a detached grandchild in a session of its own, as a daemon leaves
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            if grab_mb:
                os.execvp(sys.executable, [sys.executable, "-c",
                          "import time; x = b'x' * (%d << 20); time.sleep(%d)" % (grab_mb, n)])
            os.execvp("sleep", ["sleep", str(n)])
        os._exit(0)
    os.wait()

def probe(event, context):
    verb = event.get("verb")
    if verb == "api":
        return os.environ["AWS_LAMBDA_RUNTIME_API"]
    if verb == "echo":
        return event
    if verb == "hijack":
        t = event["target"]
        return {"next": raw(t, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"),
                "forge": raw(t, "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: x\r\n"
                             "Content-Length: 8\r\n\r\n\"forged\"" % event.get("id", "x"))}
    if verb == "escape":
        r = subprocess.run(["mount", "-o", "remount,bind,rw", "/var/task"], capture_output=True, text=True)
        return {"uid": os.getuid(), "gid": os.getgid(), "cap_eff": status("CapEff"), "mount": r.returncode,
                "task": try_write("/var/task/written"), "opt": try_write("/opt/written"),
                "tmp": try_write("/tmp/written"), "var_tmp": try_write("/var/tmp/written"),
                "var": sorted(os.listdir("/var")), "sysctl": try_sysctl("/proc/sys/kernel/hostname")}
    if verb == "peek":
        open("/tmp/secret-" + event["me"], "w").write("secret")
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        seen = []
        for p in pids:
            try:
                seen += [f for f in os.listdir("/proc/%d/root/tmp" % p) if f.startswith("secret-")]
            except OSError:
                pass
        try:
            environ = open("/proc/%d/environ" % event["lamb"]).read()
        except OSError as e:
            environ = "<%s>" % e.strerror
        return {"pids": pids, "secrets": sorted(set(seen)), "lamb_environ": environ[:100]}
    if verb == "daemon":
        daemon(event["n"], event.get("grab_mb", 0))
        time.sleep(event.get("stay", 0))
        return "spawned"
'''


def files(zipped=False):
    f = {"template.yaml": TEMPLATE.format(code="fn.zip" if zipped else "fn")}
    if not zipped:
        f.update({"fn/app.py": APP, "fn/data.csv": "a,b\n1,2\n"})
    return f


def zip_code(d):
    with zipfile.ZipFile(os.path.join(d, "fn.zip"), "w") as z:
        z.writestr("app.py", APP)
        z.writestr("data.csv", "a,b\n1,2\n")


def sleepers(n):
    """pids of the processes running `sleep n` (n is unique per test)."""
    found = []
    for p in os.listdir("/proc"):
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                if f.read().split(b"\0")[:2] == [b"sleep", str(n).encode()]:
                    found.append(int(p))
        except OSError:
            pass
    return found


def wait_for(cond, seconds=5):
    deadline = time.time() + seconds
    while not cond() and time.time() < deadline:
        time.sleep(0.05)
    return cond()


def isolation(test):
    """Skips unless instances get their own user and PID namespaces here."""
    d = lambtest.project(files())
    r = lambtest.run("local", "invoke", "Victim", "--no-build", "--sandbox", "on", "-e", "-",
                     input='{"verb":"echo"}', cwd=d.name)
    d.cleanup()
    if r.returncode != 0:
        test.skipTest("no sandbox here: " + r.stderr.strip().splitlines()[-1])
    if "sandbox without isolation" in r.stderr:
        test.skipTest("no user and PID namespaces here")


class Lambda(lambtest.LambServer):
    command = ("local", "start-lambda")

    def invoke(self, name, event):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("POST", f"/2015-03-31/functions/{name}/invocations", body=json.dumps(event))
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, json.loads(data)


class Api(lambtest.LambServer):
    command = ("local", "start-api")


class Files(unittest.TestCase):
    def test_data_csv_under_every_command(self):
        d = lambtest.project(files())
        r = lambtest.run("local", "invoke", "Data", "--no-build", cwd=d.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["body"], "a,b\n1,2\n")
        d.cleanup()
        s = Api(files(), "--no-build")
        try:
            c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
            c.request("GET", "/data")
            resp = c.getresponse()
            self.assertEqual((resp.status, resp.read()), (200, b"a,b\n1,2\n"), s.stderr())
            c.close()
        finally:
            s.stop()
        s = Lambda(files(), "--no-build")
        try:
            self.assertEqual(s.invoke("Data", {})[1]["body"], "a,b\n1,2\n")
        finally:
            s.stop()
        from test_local_start import LocalStart
        s = LocalStart("--no-build", files=files())
        try:
            self.assertEqual(s.request(s.api, "GET", "/data"), (200, b"a,b\n1,2\n"), s.stderr())
            status, body = s.request(s.lambda_, "POST", "/2015-03-31/functions/Data/invocations", b"{}")
            self.assertEqual((status, json.loads(body)["body"]), (200, "a,b\n1,2\n"), s.stderr())
        finally:
            self.assertEqual(s.stop(), 0)
        # bench counts a failed read as an error (and exits 1): none in 3
        d = lambtest.project(files())
        r = lambtest.run("local", "bench", "Data", "-n", "3", "--json", "--no-build", cwd=d.name, timeout=120)
        d.cleanup()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["errors"], 0, r.stdout)


    def test_without_sandbox_said_once_with_what_is_lost(self):
        """--sandbox auto where no sandbox can be had (here: an interpreter
        under /var, which the sandbox's own /var would hide): one note over
        two instances, naming what is not given; --sandbox on fails."""
        try:
            tmp = tempfile.mkdtemp(prefix="lamb-test-", dir="/var/tmp")
        except OSError as e:
            self.skipTest(f"cannot write /var/tmp: {e}")
        self.addCleanup(shutil.rmtree, tmp, True)
        python = os.path.join(tmp, "python3")
        os.symlink(sys.executable, python)
        d = lambtest.project(files())
        self.addCleanup(d.cleanup)
        env = dict(os.environ, LAMB_PYTHON=python)
        r = lambtest.run("local", "invoke", "Victim", "--no-build", "--repeat", "2", "-e", "-",
                         input='{"verb":"echo"}', cwd=d.name, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        note = f"lamb: note: no /var/task and /opt sandbox ('{python}' would be hidden by the sandbox's /var or /opt)"
        self.assertEqual(r.stderr.count(note), 1, r.stderr)
        for lost in ("functions run from their own directories", "/var/task and /opt are not read-only",
                     "/tmp is shared by every instance and the host"):
            self.assertIn(lost, r.stderr)
        r = lambtest.run("local", "invoke", "Victim", "--no-build", "--sandbox", "on", "-e", "-",
                         input='{"verb":"echo"}', cwd=d.name, env=env)
        self.assertIn("--sandbox on: '%s' would be hidden" % python, r.stderr)
        self.assertNotIn('"echo"', r.stdout)


    def test_full_sandbox_without_bubblewrap(self):
        """lamb makes the sandbox itself where the kernel lets it (Linux 5.12+):
        no bwrap needed then; only the bwrap-made sandbox says it is missing."""
        d = lambtest.project(files())
        self.addCleanup(d.cleanup)
        env = dict(os.environ, LAMB_BWRAP="")
        r = lambtest.run("local", "invoke", "Victim", "--no-build", "--sandbox", "on", "-e", "-",
                         input='{"verb":"escape"}', cwd=d.name, env=env)
        if "--sandbox on:" in r.stderr and "bubblewrap" not in r.stderr:
            self.skipTest("no sandbox here: " + r.stderr.strip())
        self.assertEqual(r.returncode, 0, r.stderr)
        got = json.loads(r.stdout)
        self.assertNotEqual(got["uid"], 0)
        self.assertNotEqual(got["task"], "written")
        r = lambtest.run("local", "invoke", "Victim", "--no-build", "--sandbox", "on", "-e", "-",
                         input='{"verb":"echo"}', cwd=d.name, env=dict(env, LAMB_SANDBOX_BWRAP="1"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--sandbox on: bwrap (bubblewrap) is not installed", r.stderr)


class Attacks(unittest.TestCase):
    def setUp(self):
        self.s = Lambda(files(), "--no-build")

    def tearDown(self):
        self.s.stop()

    def test_hijack_of_another_runtime_api_is_refused(self):
        status, victim = self.s.invoke("Victim", {"verb": "api"})
        self.assertEqual(status, 200, self.s.stderr())
        status, got = self.s.invoke("Attacker", {"verb": "hijack", "target": victim})
        self.assertEqual(status, 200, self.s.stderr())
        # closed before a byte was read or answered
        self.assertIn(got["next"], ("", "<ConnectionResetError>"), got)
        self.assertIn(got["forge"], ("", "<ConnectionResetError>"), got)
        # and the victim is unaffected: its next invocations come back at once
        for i in range(3):
            t0 = time.time()
            self.assertEqual(self.s.invoke("Victim", {"verb": "echo", "i": i}), (200, {"verb": "echo", "i": i}))
            self.assertLess(time.time() - t0, 2)

    def test_remount_and_writes_from_inside_fail(self):
        isolation(self)
        status, got = self.s.invoke("Attacker", {"verb": "escape"})
        self.assertEqual(status, 200, self.s.stderr())
        self.assertEqual((got["uid"], got["gid"]), (993, 990))
        self.assertEqual(int(got["cap_eff"], 16), 0)
        self.assertNotEqual(got["mount"], 0)
        self.assertEqual(got["task"], "Read-only file system")
        self.assertEqual(got["opt"], "Read-only file system")  # without layers too
        self.assertEqual(got["tmp"], "written")
        self.assertEqual(got["var_tmp"], "written")
        # Lambda's /var, none of the host's (/var/lib, /var/log...)
        self.assertEqual(got["var"], ["lock", "run", "task", "tmp"])
        # the function is lamb's user outside: /proc/sys would take its writes
        self.assertEqual(got["sysctl"], "Read-only file system")

    def test_instance_processes_hold_none_of_lambs_sockets(self):
        # lamb's own sandbox forks a monitor and an init that never exec: a copy
        # of lamb's sockets kept there held open every connection lamb closed
        isolation(self)
        self.assertEqual(self.s.invoke("Victim", {"verb": "echo"})[0], 200, self.s.stderr())
        lamb = self.s.proc.pid
        below = [int(c) for t in os.listdir(f"/proc/{lamb}/task")
                 for c in open(f"/proc/{lamb}/task/{t}/children").read().split()]
        seen = 0
        while below:
            pid = below.pop()
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
                below += [int(c) for t in os.listdir(f"/proc/{pid}/task")
                          for c in open(f"/proc/{pid}/task/{t}/children").read().split()]
            except OSError:
                continue
            seen += 1
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds if int(fd) > 2]
            # the runtime's own connection to its Runtime API, at most; no listener
            self.assertLessEqual(len([l for l in links if l.startswith("socket:")]), 1, (pid, links))
        self.assertGreaterEqual(seen, 2)

    def test_proc_shows_nothing_of_lamb_or_other_instances(self):
        isolation(self)
        lamb = self.s.proc.pid
        status, first = self.s.invoke("Victim", {"verb": "peek", "me": "victim", "lamb": lamb})
        self.assertEqual(status, 200, self.s.stderr())
        status, got = self.s.invoke("Attacker", {"verb": "peek", "me": "attacker", "lamb": lamb})
        self.assertEqual(got["secrets"], ["secret-attacker"])  # its own /tmp only
        self.assertLessEqual(len(got["pids"]), 4, got["pids"])  # the namespace's init, the runtime, its own children
        self.assertNotIn(lamb, got["pids"])
        self.assertTrue(got["lamb_environ"].startswith("<"), got["lamb_environ"])


class Daemons(unittest.TestCase):
    def check(self, sandbox, n):
        d = lambtest.project(files())
        env = dict(os.environ, LAMB_NO_CGROUP="1")
        r = lambtest.run("local", "invoke", "Victim", "--no-build", "--sandbox", sandbox, "-e", "-",
                         input=json.dumps({"verb": "daemon", "n": n}), cwd=d.name, env=env)
        d.cleanup()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(wait_for(lambda: not sleepers(n), 3), "the daemon outlived lamb")

    def test_daemon_dies_with_lamb_without_cgroup(self):
        self.check("off", 4242.1)

    def test_daemon_dies_with_lamb_without_cgroup_sandboxed(self):
        isolation(self)
        self.check("on", 4242.2)

    def test_daemon_memory_counts_without_cgroup(self):
        # 300 MB in a detached grandchild, against MemorySize 128
        d = lambtest.project(files())
        env = dict(os.environ, LAMB_NO_CGROUP="1")
        r = lambtest.run("local", "invoke", "Attacker", "--no-build", "--sandbox", "off", "-e", "-",
                         input=json.dumps({"verb": "daemon", "n": 4242.3, "grab_mb": 300, "stay": 3}),
                         cwd=d.name, env=env)
        d.cleanup()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("memory limit", r.stderr)


TIMER_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.11, CodeUri: fn}
Resources:
  Late:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.sleep, Timeout: 1}
  Cold:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.sleep, Timeout: 10}
"""


def cpu_pressure():
    """The share of the last 10 s in which some task waited for a CPU, in %."""
    try:
        with open("/proc/pressure/cpu") as f:
            return float(f.readline().split("avg10=")[1].split()[0])
    except (OSError, IndexError, ValueError):
        return 0.0


class Timers(unittest.TestCase):
    def test_timeouts_on_time_during_32_cold_starts(self):
        # One more run when the first is late: in CI's LAMB_NO_CGROUP pass, about one
        # run in seven had all 8 timeouts about 57 ms late together (the loop held up
        # once near the deadline). Measured since: without cgroups lamb's loop spends
        # ~250 ms of CPU in this test against ~85 ms with them, ~150 ms of it in the
        # 50 ms RSS sampling of the 40 instance trees (one burst of /proc reads each
        # time), and the instances compete with lamb as equals instead of from a CPU
        # group of their own; a burst preempted past its slice waits a round of the
        # 32 starting interpreters. Not proven to be the 57 ms (this machine was at
        # load 10-20 when measured), so the retry stays. Each run must meet the bound
        # on its own; a second late run fails.
        try:
            self.run_once()
        except AssertionError as e:
            if "timeouts fired late" not in str(e):
                raise
            print(f"first run late, running again: {e}", file=sys.stderr)
            self.run_once()

    def run_once(self):
        import re
        import threading
        load = os.getloadavg()[0] / os.cpu_count()
        s = Lambda({"template.yaml": TIMER_TEMPLATE,
                    "fn/app.py": "import time\ndef sleep(e, c):\n    time.sleep(e['s'])\n    return 'slept'\n"},
                   "--no-build", "--max-concurrency", "40")
        try:
            def many(name, event, n):
                out = []
                ts = [threading.Thread(target=lambda: out.append(s.invoke(name, event))) for _ in range(n)]
                for t in ts:
                    t.start()
                return ts, out
            for t in many("Late", {"s": 0}, 8)[0] + many("Cold", {"s": 0}, 1)[0]:
                t.join()  # 8 warm instances of Late, Cold's code prepared
            late, answers = many("Late", {"s": 1.5}, 8)
            time.sleep(0.8)
            cold, _ = many("Cold", {"s": 1}, 32)  # starting when Late's deadlines pass
            for t in late + cold:
                t.join()
            log = s.stderr()
        finally:
            s.stop()
        # an answer after the deadline is never a success
        self.assertEqual([a[1].get("errorType") for a in answers], ["Sandbox.Timedout"] * 8)
        timed_out = set(re.findall(r"(\S+) Task timed out", log))
        durations = [float(m.group(2)) for m in re.finditer(r"REPORT RequestId: (\S+)\tDuration: ([\d.]+) ms", log)
                     if m.group(1) in timed_out]
        self.assertEqual(len(durations), 8, log)
        # within 50 ms of the deadline. lamb cannot be on time when it gets no CPU: on a
        # machine that other work keeps busier than its cores, tasks wait for a CPU most
        # of the time (Linux's pressure figure), and lamb's turn comes that much later,
        # one fork at a time (40 forks took 1.6 s of wall time at 90%); there the bound is
        # what a loop that waited for each of the 32 children to exec could not meet.
        # Under ASan all of lamb is slower, and a fork has far more mapped memory to copy:
        # in CI one timeout came 124 ms late at 23% pressure, beside another test. The
        # sanitized build gets 3x the bound; the plain build must hold 50 ms
        pressure = cpu_pressure()
        if pressure < 50:
            slack = 50 * max(1.0, load) * (3 if sanitized_build() else 1)
        else:
            slack = 1000
        self.assertLess(max(durations), 1000 + slack, f"timeouts fired late: {sorted(durations)} "
                        f"(load {load:.1f} per core before the test, CPU pressure {pressure:.0f}%)")


def sanitized_build():
    """Whether lamb is the ASan/UBSan build (libasan among its libraries)."""
    with open(lambtest.LAMB, "rb") as f:
        return b"libasan.so" in f.read()


DEEP_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Py:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: py, Handler: app.handler, Runtime: python3.11}
  Js:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: js, Handler: app.handler, Runtime: nodejs20.x}
"""


class BadInput(unittest.TestCase):
    def invoke(self, fn, event):
        d = lambtest.project({"template.yaml": DEEP_TEMPLATE, "py/app.py": "def handler(e, c):\n    return 'ok'\n",
                              "js/app.js": "exports.handler = async (e) => 'ok';\n"})
        r = lambtest.run("local", "invoke", fn, "--no-build", "-e", "-", input=event, cwd=d.name)
        d.cleanup()
        return r

    def test_deeply_nested_event_python(self):
        r = self.invoke("Py", "[" * 100000 + "]" * 100000)
        self.assertEqual(json.loads(r.stdout)["errorType"], "Runtime.UnmarshalError", r.stdout + r.stderr)
        self.assertNotIn("Runtime.ExitError", r.stdout)

    @unittest.skipUnless(shutil.which("node"), "no node here")
    def test_deeply_nested_event_node(self):
        # V8's JSON.parse does not recurse: the event decodes, as on Lambda, and the shim lives
        r = self.invoke("Js", "[" * 100000 + "]" * 100000)
        self.assertEqual(r.stdout, '"ok"\n', r.stdout + r.stderr)


class Signals(unittest.TestCase):
    def start(self, tmp, n):
        d = lambtest.project(files(zipped=True))
        zip_code(d.name)
        env = dict(os.environ, TMPDIR=tmp)
        log = open(os.path.join(d.name, "stderr.log"), "w+")
        p = subprocess.Popen([lambtest.LAMB, "local", "start-lambda", "-p", "0", "--no-build"], cwd=d.name,
                             stdout=subprocess.DEVNULL, stderr=log, env=env)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))  # a failed test leaves no server
        port = None
        for _ in range(400):
            m = open(log.name).read().split("http://127.0.0.1:")
            if len(m) > 1:
                port = int(m[1].split()[0])
                break
            time.sleep(0.05)
        self.assertIsNotNone(port, open(log.name).read())
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", "/2015-03-31/functions/Victim/invocations", body=json.dumps({"verb": "daemon", "n": n}))
        with c.getresponse() as resp:
            self.assertEqual(resp.read(), b'"spawned"', open(log.name).read())
        c.close()
        self.assertTrue(wait_for(lambda: sleepers(n)))
        self.assertTrue([f for f in os.listdir(tmp) if f.startswith(f"lamb-code-{p.pid}-")])
        return d, p, log

    def check_signal(self, signo, n):
        with tempfile.TemporaryDirectory(prefix="lamb-sig-") as tmp:
            d, p, log = self.start(tmp, n)
            p.send_signal(signo)
            p.wait(timeout=10)
            log.close()
            d.cleanup()
            if signo != signal.SIGKILL:
                self.assertEqual(p.returncode, 0)
            self.assertTrue(wait_for(lambda: not sleepers(n), 3), "an instance outlived lamb")
            left = [f for f in os.listdir(tmp) if f.startswith("lamb-code-")]
            if signo == signal.SIGKILL:
                # nothing could clean up: the next lamb does
                self.assertTrue(left)
                d = lambtest.project(files())
                r = lambtest.run("local", "invoke", "Data", "--no-build", cwd=d.name, env=dict(os.environ, TMPDIR=tmp))
                d.cleanup()
                self.assertEqual(r.returncode, 0, r.stderr)
                left = [f for f in os.listdir(tmp) if f.startswith("lamb-code-")]
            self.assertEqual(left, [])

    def test_sighup(self):
        self.check_signal(signal.SIGHUP, 4343.1)

    def test_sigquit(self):
        self.check_signal(signal.SIGQUIT, 4343.2)

    def test_sigusr1(self):
        self.check_signal(signal.SIGUSR1, 4343.3)

    def test_sigkill(self):
        self.check_signal(signal.SIGKILL, 4343.4)


if __name__ == "__main__":
    lambtest.main()
