"""start-api keeps serving while a function is prepared for its first
instance: a large .zip CodeUri being extracted, or a version manager's
interpreter shim being asked for its real executable, happens off the event
loop, so a warm function's requests are answered promptly meanwhile, and the
slow function's first request then succeeds. Also: a zip that cannot be
extracted fails its requests with the reason, and the server goes on."""
import http.client
import os
import shutil
import signal
import sys
import threading
import time
import unittest
import zipfile

import lambtest

FIXTURE = os.environ.get("LAMB_FIXTURE")

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 30
Resources:
  Warm:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: fixture
      CodeUri: warm/
      Events:
        W: {Type: HttpApi, Properties: {Path: /warm, Method: get}}
  Slow:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: RUNTIME
      Handler: HANDLER
      CodeUri: CODE
      Events:
        S: {Type: HttpApi, Properties: {Path: /slow, Method: get}}
"""


class Server(lambtest.LambServer):
    """start-api in a project directory made beforehand (the fixture
    bootstrap and the zip are binary), with args."""
    command = ("local", "start-api")

    def __init__(self, d, *args, env=None):
        import re
        import subprocess
        self.dir = d
        self.log = open(os.path.join(d.name, "stderr.log"), "w+")
        self.launched = time.monotonic()
        self.proc = subprocess.Popen([lambtest.LAMB, *self.command, "-p", "0", *args], cwd=d.name,
                                     stdout=subprocess.DEVNULL, stderr=self.log, env=env)
        deadline = time.time() + 20
        self.port = None
        while time.time() < deadline and self.port is None and self.proc.poll() is None:
            m = re.search(r"http://127\.0\.0\.1:(\d+) \(Ctrl-C", self.stderr())
            if m:
                self.port = int(m.group(1))
            else:
                time.sleep(0.01)
        if self.port is None:
            self.proc.kill()  # a failed start must not leave a server behind
            self.proc.wait()
            raise AssertionError("start-api never said where it serves: " + self.stderr())

    def get(self, path, timeout=60):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        c.request("GET", path)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data


def big_zip(path):
    """The fixture bootstrap beside 16 MB of random bytes and 6,000 small
    files: about a second of extraction on a 2-core machine (several under
    load), mostly in creating the files."""
    blob = os.urandom(1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        with open(FIXTURE, "rb") as f:
            z.writestr(info, f.read())
        for i in range(16):
            z.writestr(f"data/blob{i}", os.urandom(1 << 20))
        for i in range(6000):
            z.writestr(f"many/d{i // 500}/f{i}", blob[i:i + 512])


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(p * (len(s) - 1) + 0.5))]


@unittest.skipUnless(FIXTURE, "LAMB_FIXTURE is not set: run through 'meson test'")
class Prepare(unittest.TestCase):
    def start(self, files, runtime="provided.al2023", handler="fixture", code="slow.zip", zip_=None, args=(),
              env=None):
        """A project with Warm (the fixture bootstrap) and Slow, served."""
        files = dict(files, **{"warm/.keep": ""})
        files["template.yaml"] = (TEMPLATE.replace("RUNTIME", runtime).replace("HANDLER", handler)
                                  .replace("CODE", code))
        d = lambtest.project(files)
        self.addCleanup(d.cleanup)
        shutil.copy(FIXTURE, os.path.join(d.name, "warm", "bootstrap"))
        if zip_:
            zip_(os.path.join(d.name, "slow.zip"))
        s = Server(d, *args, env=env)
        self.addCleanup(self.stop, s)
        return s

    def stop(self, s):
        """SIGTERM: lamb stops by itself, with status 0 and nothing from the
        sanitizers (in the ASan build)."""
        if s.proc.poll() is None:
            s.proc.send_signal(signal.SIGTERM)
            s.proc.wait(timeout=60)
        err = s.stderr()
        self.assertEqual(s.stop(), 0, err[-3000:])
        self.assertNotIn("Sanitizer", err)
        self.assertNotIn("runtime error", err)

    def while_slow(self, s):
        """Warms Warm, then asks Slow once and Warm again and again (at a
        human pace, not to starve the preparation of CPU) until Slow answers.
        Returns Slow's (status, body, seconds) and Warm's latencies."""
        self.assertEqual(s.get("/warm?verb=echo")[0], 200)
        slow = {}

        def ask():
            t = time.monotonic()
            status, data = s.get("/slow?verb=echo")
            slow["answer"] = (status, data, time.monotonic() - t)

        t = threading.Thread(target=ask)
        t.start()
        warm = []
        while t.is_alive():
            t0 = time.monotonic()
            status, _ = s.get("/warm?verb=echo", timeout=60)
            warm.append(time.monotonic() - t0)
            self.assertEqual(status, 200)
            time.sleep(0.02)
        t.join()
        return slow["answer"], warm

    def assert_prompt(self, slow_s, warm):
        # Before, the loop unzipped (or waited for the shim) inside the
        # first request: one warm request waited the whole time.
        self.assertGreaterEqual(len(warm), 5, f"{len(warm)} warm requests in {slow_s:.2f} s")
        p99 = percentile(warm, 0.99)
        if os.environ.get("LAMB_TEST_VERBOSE"):
            print(f"{len(warm)} warm requests, p99 {p99 * 1000:.1f} ms, max {max(warm) * 1000:.1f} ms, "
                  f"while the slow function took {slow_s:.3f} s", file=sys.stderr)
        self.assertLess(p99, slow_s / 4, f"warm p99 {p99 * 1000:.0f} ms while the slow function took "
                        f"{slow_s:.2f} s (max {max(warm) * 1000:.0f} ms)")

    def test_large_zip_does_not_stall_the_loop(self):
        s = self.start({}, zip_=big_zip)
        (status, data, slow_s), warm = self.while_slow(s)
        self.assertEqual(status, 200, data)
        self.assertIn(b"verb", data)  # the fixture echoes the event
        self.assert_prompt(slow_s, warm)
        # warm now: no second extraction
        t = time.monotonic()
        self.assertEqual(s.get("/slow?verb=echo")[0], 200)
        self.assertLess(time.monotonic() - t, slow_s / 2)

    @unittest.skipUnless(os.path.isabs(sys.executable or ""), "no path to the Python running this")
    def test_slow_interpreter_shim_does_not_stall_the_loop(self):
        # python3.12 on PATH is a shell script that takes 2 s to start, as
        # pyenv's shims can: lamb asks it once for its real executable (not
        # cached: a fresh XDG_CACHE_HOME) and runs that one
        d = lambtest.project({"python3.12": "#!/bin/sh\nsleep 2\nexec %s \"$@\"\n" % os.path.realpath(sys.executable)})
        self.addCleanup(d.cleanup)
        os.chmod(os.path.join(d.name, "python3.12"), 0o755)
        env = dict(os.environ, PATH=d.name + ":" + os.environ.get("PATH", "/usr/bin:/bin"), XDG_CACHE_HOME=d.name)
        app = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'from python'}\n"
        s = self.start({"py/app.py": app}, runtime="python3.12", handler="app.handler", code="py/", env=env)
        (status, data, slow_s), warm = self.while_slow(s)
        self.assertEqual(status, 200, data)
        self.assertEqual(data, b"from python")
        self.assertGreater(slow_s, 2)
        self.assert_prompt(slow_s, warm)
        self.assertTrue(os.path.exists(os.path.join(d.name, "lamb", "interpreters")))

    def test_zip_that_cannot_be_extracted(self):
        s = self.start({"slow.zip": "not a zip at all\n"})
        status, data = s.get("/slow?verb=echo")
        self.assertEqual(status, 502, data)
        self.assertIn("function 'Slow'", s.stderr())
        self.assertEqual(s.get("/warm?verb=echo")[0], 200)
        # it is tried again: a fixed zip serves without a restart
        big = os.path.join(s.dir.name, "slow.zip")
        with zipfile.ZipFile(big + ".new", "w") as z:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            with open(FIXTURE, "rb") as f:
                z.writestr(info, f.read())
        os.replace(big + ".new", big)
        self.assertEqual(s.get("/slow?verb=echo")[0], 200)

    def test_stop_while_preparing(self):
        # SIGTERM in the middle of the extraction: lamb waits for it to end,
        # removes what it extracted, and exits 0
        tmp = lambtest.project({})
        self.addCleanup(tmp.cleanup)
        s = self.start({}, zip_=big_zip, env=dict(os.environ, TMPDIR=tmp.name))
        def ask():
            try:
                s.get("/slow?verb=echo")
            except OSError:
                pass  # lamb went away: whatever it answers, if anything, is not the point

        t = threading.Thread(target=ask)
        t.start()
        deadline = time.monotonic() + 10
        while not os.listdir(tmp.name) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertTrue(os.listdir(tmp.name), "no extraction under way")
        s.proc.send_signal(signal.SIGTERM)
        self.assertEqual(s.proc.wait(timeout=60), 0, s.stderr())
        t.join()
        self.assertEqual(os.listdir(tmp.name), [])

    def test_eager_start_serves_at_once(self):
        # --warm-containers EAGER prepares every function at start-up: the
        # large zip must hold up neither the banner nor the first answer
        s = self.start({}, zip_=big_zip, args=("--warm-containers", "EAGER"))
        status, _ = s.get("/warm?verb=echo")
        warm_s = time.monotonic() - s.launched
        self.assertEqual(status, 200)
        self.assertEqual(s.get("/slow?verb=echo")[0], 200)
        slow_s = time.monotonic() - s.launched
        if os.environ.get("LAMB_TEST_VERBOSE"):
            print(f"eager: first warm answer {warm_s:.3f} s after launch, slow {slow_s:.3f} s", file=sys.stderr)
        self.assertLess(warm_s, slow_s / 4, f"first warm answer {warm_s:.2f} s after launch; "
                        f"the slow function's {slow_s:.2f} s")


if __name__ == "__main__":
    lambtest.main()
