"""SnapStart by fork, through start-api with real concurrent requests: the
init runs once (its marker line is counted) while five instances each show
a Restore Duration in REPORT and run the after-restore hook; each forked
instance has its own /tmp (in the sandbox) and is killed at its Timeout;
editing the code makes a new snapshot; init that Lambda would not snapshot
safely (an open connection, a seeded generator) is warned about."""
import json
import os
import re
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
    Runtime: python3.12
    Timeout: 2
    SnapStart:
      ApplyOn: PublishedVersions
Resources:
  Snap:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Events:
        Get: {Type: Api, Properties: {Path: /snap, Method: get}}
  Risky:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: risky/
      Handler: app.handler
      LoggingConfig:
        LogFormat: JSON
      Events:
        Get: {Type: Api, Properties: {Path: /risky, Method: get}}
  Broken:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: broken/
      Handler: app.handler
      Environment:
        Variables: {BREAK: before}
      Events:
        Get: {Type: Api, Properties: {Path: /broken, Method: get}}
  BrokenRestore:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: broken/
      Handler: app.handler
      Events:
        Get: {Type: Api, Properties: {Path: /broken-restore, Method: get}}
"""

BROKEN = """\
import os
from snapshot_restore_py import register_before_snapshot, register_after_restore

@register_before_snapshot
def hook():
    if os.environ.get("BREAK") == "before":
        raise ValueError("no snapshot today")

@register_after_restore
def restore():
    raise KeyError("no restore today")

def handler(event, context):
    return {"statusCode": 200, "body": "never"}
"""


def app(version):
    return f"""\
import json, os, socket, time
from snapshot_restore_py import register_before_snapshot, register_after_restore
print("INIT-MARKER {version}", flush=True)
state = {{"restored": 0, "order": []}}

@register_before_snapshot
def first_before():
    state["order"].append("b1")
    print("BEFORE-HOOK " + ",".join(state["order"]), flush=True)

@register_before_snapshot
def second_before():
    state["order"].append("b2")

def after(word):
    state["restored"] += 1
    state["order"].append(word)
register_after_restore(after, "a1")

def handler(event, context):
    q = event.get("queryStringParameters") or {{}}
    me = str(os.getpid()) + "-" + open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19]
    with open("/tmp/mine-" + me, "w") as f:
        f.write("x")
    print("SLEEPER " + me + " " + str(os.stat("/proc/self/ns/pid").st_ino), flush=True)
    time.sleep(float(q.get("s", "0")))
    mine = os.environ["AWS_LAMBDA_RUNTIME_API"]
    tried = {{}}
    for target in filter(None, q.get("hijack", "").split(",")):
        if target == mine:
            continue
        host, port = target.split(":")
        c = socket.create_connection((host, int(port)), timeout=2)
        try:
            c.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
            tried[target] = c.recv(100).decode()
        except ConnectionResetError:
            tried[target] = "<reset>"
        except socket.timeout:
            tried[target] = "<timeout>"
        c.close()
    body = {{"api": mine, "tried": tried, "version": "{version}", "me": me, "restored": state["restored"], "order": state["order"],
            "type": os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE"),
            "tmp": sorted(n for n in os.listdir("/tmp") if n.startswith("mine-"))}}
    return {{"statusCode": 200, "body": json.dumps(body)}}
"""


RISKY = """\
import random, socket
random.seed(42)
dice = random.Random(7)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
conn = socket.create_connection(listener.getsockname())

def handler(event, context):
    return {"statusCode": 200, "body": "ok"}
"""


def files():
    return {"template.yaml": TEMPLATE, "src/app.py": app("v1"), "risky/app.py": RISKY, "broken/app.py": BROKEN}


def write(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def process_alive(me, ns):
    """Whether a process of PID namespace ns with pid and start time me still runs."""
    pid, start = me.split("-")
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and os.stat(f"/proc/{p}/ns/pid").st_ino == int(ns):
                with open(f"/proc/{p}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{p}/status") as f:
                    nspid = [line.split()[-1] for line in f if line.startswith("NSpid:")]
                if fields[19] == start and nspid and nspid[0] == pid:
                    return True
        except OSError:
            pass
    return False


class SnapStart(unittest.TestCase):
    def setUp(self):
        self.s = Server(files())

    def tearDown(self):
        if self.s:
            self.s.stop()

    def get(self, path):
        status, _, _, data = self.s.request("GET", path)
        return status, data

    def body(self, path):
        status, data = self.get(path)
        self.assertEqual(status, 200, data)
        return json.loads(data)

    def concurrently(self, n, path):
        out = [None] * n

        def one(i):
            out[i] = self.body(path)
        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out

    def eventually(self, fn, what, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if fn():
                return
            time.sleep(0.05)
        self.fail(what)

    def test_init_once_five_restores(self):
        got = self.concurrently(5, "/snap?s=1")
        log = self.s.stderr()
        self.assertEqual(len({b["me"] for b in got}), 5, got)
        self.assertEqual(log.count("INIT-MARKER v1"), 1, log)
        # before-snapshot hooks in the reverse order of registration, once
        self.assertEqual(log.count("BEFORE-HOOK b2,b1"), 1, log)
        for b in got:
            self.assertEqual((b["restored"], b["type"]), (1, "snap-start"))
            self.assertEqual(b["order"], ["b2", "b1", "a1"])
        reports = [line for line in log.splitlines() if line.startswith("REPORT ")]
        self.assertEqual(len(reports), 5, log)
        for r in reports:
            self.assertRegex(r, r"\tRestore Duration: \d+\.\d\d ms\tBilled Restore Duration: \d+ ms")
            self.assertNotIn("Init Duration", r)
        # warm: no restore again
        again = self.body("/snap")
        self.assertIn(again["me"], {b["me"] for b in got})
        last = [line for line in self.s.stderr().splitlines() if line.startswith("REPORT ")][-1]
        self.assertNotIn("Restore Duration", last)
        if "sandbox" not in log:  # each instance saw its own file only: /tmp is its own
            self.assertEqual([b["tmp"] for b in got], [["mine-" + b["me"]] for b in got])

    def test_sibling_runtime_api_is_refused(self):
        a, b = self.concurrently(2, "/snap?s=1")
        self.assertNotEqual(a["api"], b["api"])
        got = self.body(f"/snap?hijack={a['api']},{b['api']}")
        # the instance that served tried its sibling's: closed before a byte was read or answered
        self.assertEqual(len(got["tried"]), 1, got)
        self.assertIn(list(got["tried"].values())[0], ("", "<reset>"), got)
        # and the sibling is unharmed
        self.assertEqual(len({r["me"] for r in self.concurrently(2, "/snap?s=1")}), 2)

    def test_forked_instances_die_with_lamb(self):
        got = self.concurrently(3, "/snap?s=0.5")
        ns = re.findall(r"SLEEPER \S+ (\d+)", self.s.stderr())[0]
        self.assertTrue(all(process_alive(b["me"], ns) for b in got))
        self.assertEqual(self.s.stop(), 0)
        self.s = None
        self.eventually(lambda: not any(process_alive(b["me"], ns) for b in got), "an instance outlived lamb")

    def test_timeout_kills_a_forked_instance(self):
        status, data = self.get("/snap?s=30")
        self.assertEqual(status, 502, data)
        log = self.s.stderr()
        self.assertIn("Task timed out after 2.00 seconds", log)
        me, ns = re.search(r"SLEEPER (\S+) (\d+)", log).groups()
        self.eventually(lambda: not process_alive(me, ns), "the timed-out instance still runs")
        # the snapshot is unharmed: the next instance is restored from it, not re-initialised
        self.assertEqual(self.body("/snap")["restored"], 1)
        self.assertEqual(self.s.stderr().count("INIT-MARKER v1"), 1)

    def test_code_change_makes_a_new_snapshot(self):
        self.assertEqual(self.body("/snap")["version"], "v1")
        write(os.path.join(self.s.dir.name, "src", "app.py"), app("v2"))
        self.eventually(lambda: "changed: Snap gets new instances" in self.s.stderr(),
                        "no change noticed: " + self.s.stderr())
        got = self.concurrently(2, "/snap?s=0.5")
        self.assertEqual({b["version"] for b in got}, {"v2"})
        log = self.s.stderr()
        self.assertEqual((log.count("INIT-MARKER v1"), log.count("INIT-MARKER v2")), (1, 1), log)

    def test_failing_before_snapshot_hook_fails_the_init(self):
        for _ in range(2):  # each request tries a new snapshot, as a cold start would
            status, data = self.get("/broken")
            self.assertEqual(status, 502, data)
        log = self.s.stderr()
        self.assertEqual(log.count("[ERROR] ValueError: no snapshot today"), 2, log)
        self.assertNotIn("never", log)

    def test_failing_after_restore_hook_fails_that_instance(self):
        for _ in range(2):
            status, data = self.get("/broken-restore")
            self.assertEqual(status, 502, data)
        log = self.s.stderr()
        self.assertEqual(log.count("[ERROR] KeyError: 'no restore today'"), 2, log)
        self.assertNotIn("never", log)

    def test_unsafe_init_is_warned(self):
        self.assertEqual(self.get("/risky"), (200, b"ok"))
        log = self.s.stderr()
        self.assertRegex(log, r"SnapStart: a network connection to 127\.0\.0\.1:\d+ is open at snapshot time")
        self.assertIn("SnapStart: init seeded or drew from the random module's generator: on Lambda", log)
        self.assertIn("SnapStart: init made a random.Random object: on Lambda", log)
        report = [json.loads(line) for line in log.splitlines() if '"type":"platform.report"' in line]
        metrics = report[0]["record"]["metrics"]
        self.assertGreater(metrics["restoreDurationMs"], 0)
        self.assertNotIn("initDurationMs", metrics)


if __name__ == "__main__":
    lambtest.main()
