"""lamb local start-api hot reload: editing a function's code (or its layer)
on disk retires its instances; the next request runs the new code in a new
process, an invocation in flight finishes on the old one, and --no-watch
keeps the old code. Also --warm-containers EAGER and --debug."""
import json
import os
import re
import shutil
import threading
import time
import unittest

import lambtest
from test_start_api import Server

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    Timeout: 5
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.hello
      Layers: [!Ref Shared]
      Events:
        Get: {Type: Api, Properties: {Path: /hello, Method: get}}
  Other:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: other/
      Handler: app.hello
      Events:
        Get: {Type: HttpApi, Properties: {Path: /other, Method: get}}
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
"""


def app(version):
    return f"""\
import os, time
import shared

def hello(event, context):
    time.sleep(float((event.get("queryStringParameters") or {{}}).get("s", "0")))
    return {{"statusCode": 200, "body": "{version} " + shared.WORD + " " + {lambtest.INSTANCE_ID}}}
"""


OTHER = """\
import os

def hello(event, context):
    return {"statusCode": 200, "body": "other " + """ + lambtest.INSTANCE_ID + """}
"""


def files():
    return {"template.yaml": TEMPLATE, "src/app.py": app("v1"), "other/app.py": OTHER,
            "layer/python/shared.py": "WORD = 'one'\n"}


def alive(token):
    return lambtest.instance_alive(token)


def write(path, text):
    # as an editor does: write a new file, rename it over the old one
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


@unittest.skipUnless(shutil.which("python3.11") or shutil.which("python3"), "no Python interpreter")
class HotReload(unittest.TestCase):
    def setUp(self):
        self.s = None

    def tearDown(self):
        if self.s:
            self.s.stop()

    def body(self, path="/hello"):
        status, _, _, data = self.s.request("GET", path)
        self.assertEqual(status, 200, data)
        return data.decode().split()

    def eventually(self, fn, what, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if fn():
                return
            time.sleep(0.05)
        self.fail(what)

    def test_edit_runs_new_code_in_a_new_process(self):
        self.s = Server(files())
        version, word, pid = self.body()
        _, other_pid = self.body("/other")
        self.assertEqual((version, word), ("v1", "one"))
        write(os.path.join(self.s.dir.name, "src", "app.py"), app("v2.0"))
        self.eventually(lambda: "changed: Hello gets new instances" in self.s.stderr(),
                        "no change noticed: " + self.s.stderr())
        version2, _, pid2 = self.body()
        self.assertEqual(version2, "v2.0")
        self.assertNotEqual(pid2, pid)
        self.eventually(lambda: not alive(pid), "the old instance still runs")
        # another function's instance stays warm
        self.assertEqual(self.body("/other")[1], other_pid)

    def test_layer_edit_reloads(self):
        self.s = Server(files())
        self.assertEqual(self.body()[1], "one")
        write(os.path.join(self.s.dir.name, "layer", "python", "shared.py"), "WORD = 'two' # a new size: Python's .pyc check is mtime (seconds) and size\n")
        self.eventually(lambda: self.body()[1] == "two", "layer change not picked up")

    def test_same_size_edits_within_one_second(self):
        # Python's .pyc check is the source's size and mtime in whole seconds: the shim must
        # not run the code compiled before an edit of the same size in the same second.
        # Sandboxed, /var/task is read-only and Python writes no __pycache__ (as on
        # Lambda): the .pyc files this is about exist only with the sandbox off
        self.s = Server(files(), "--sandbox", "off")
        path = os.path.join(self.s.dir.name, "src", "app.py")
        second = (int(time.time()) - 10) * 10**9
        write(path, app("v1.1"))
        os.utime(path, ns=(second + 100_000_000,) * 2)
        self.assertEqual(self.body()[0], "v1.1")
        self.assertTrue(os.listdir(os.path.join(self.s.dir.name, "src", "__pycache__")))
        for n, (version, ms) in enumerate((("v1.2", 500), ("v1.3", 900)), start=1):
            write(path, app(version))
            os.utime(path, ns=(second + ms * 1_000_000,) * 2)
            self.eventually(lambda: self.s.stderr().count("changed: Hello gets new instances") >= n,
                            "no change noticed: " + self.s.stderr())
            self.assertEqual(self.body()[0], version)

    def test_busy_instance_finishes_its_request_first(self):
        self.s = Server(files())
        self.body()  # warm
        result = []
        t = threading.Thread(target=lambda: result.append(self.s.request("GET", "/hello?s=1.5")))
        t.start()
        time.sleep(0.5)
        write(os.path.join(self.s.dir.name, "src", "app.py"), app("v3.00"))
        time.sleep(0.4)
        self.assertEqual(self.body()[0], "v3.00")  # a new instance; the busy one still runs
        t.join()
        status, _, _, data = result[0]
        self.assertEqual(status, 200)
        old = data.decode().split()
        self.assertEqual(old[0], "v1")
        self.eventually(lambda: not alive(old[2]), "the retired busy instance was kept")
        self.assertEqual(self.body()[0], "v3.00")

    def test_new_subdirectory_is_watched(self):
        self.s = Server(files())
        self.body()
        pkg = os.path.join(self.s.dir.name, "src", "pkg")
        os.mkdir(pkg)
        time.sleep(0.3)
        self.body()  # settle: the mkdir itself was a change
        pid = self.body()[2]
        write(os.path.join(pkg, "x.py"), "X = 1\n")
        self.eventually(lambda: self.body()[2] != pid, "change in a new subdirectory not seen")

    def test_no_watch_keeps_the_old_code(self):
        self.s = Server(files(), "--no-watch")
        self.assertEqual(self.body()[0], "v1")
        write(os.path.join(self.s.dir.name, "src", "app.py"), app("v2.0"))
        time.sleep(0.5)
        self.assertEqual(self.body()[0], "v1")


def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


@unittest.skipUnless(shutil.which("python3.11") or shutil.which("python3"), "no Python interpreter")
class WarmAndDebug(unittest.TestCase):
    def test_lazy_starts_nothing_before_a_request(self):
        s = Server(files())
        try:
            time.sleep(0.5)
            self.assertEqual(children(s.proc.pid), [])
        finally:
            s.stop()

    def test_eager_starts_one_instance_per_function(self):
        s = Server(files(), "--warm-containers", "EAGER")
        try:
            deadline = time.time() + 5
            while time.time() < deadline and len(children(s.proc.pid)) < 2:
                time.sleep(0.05)
            before = set(children(s.proc.pid))
            self.assertEqual(len(before), 2)
            status, _, _, data = s.request("GET", "/hello")
            self.assertEqual(status, 200)
            # the request took the instance started at launch
            self.assertIn(lambtest.instance_root(data.decode().split()[2], s.proc.pid), before)
            self.assertEqual(set(children(s.proc.pid)), before)
        finally:
            s.stop()

    def test_bad_warm_containers_value(self):
        d = lambtest.project(files())
        r = lambtest.run("local", "start-api", "--warm-containers", "SOMETIMES", cwd=d.name)
        self.assertEqual(r.returncode, 2)
        self.assertIn("EAGER or LAZY", r.stderr)
        d.cleanup()

    def test_debug_shows_runtime_api_traffic(self):
        s = Server(files(), "--debug")
        try:
            status, h, _, data = s.request("GET", "/hello")
            self.assertEqual(status, 200)
            err = s.stderr()
            m = re.search(r"lamb: debug: Hello GET /next -> ([0-9a-f-]{36}) \((\d+) bytes\)", err)
            self.assertTrue(m, err)
            self.assertRegex(err, r"lamb: debug: Hello POST /response %s \(\d+ bytes\)" % m.group(1))
        finally:
            s.stop()


if __name__ == "__main__":
    lambtest.main()
