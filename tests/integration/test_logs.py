"""lamb logs: what local invoke and start-api keep under .lamb/logs, read
back with each filter form and time form, interleaved across functions,
rotated at --log-retention, and --tail receiving a record within 100 ms
of its invocation."""
import json
import os
import subprocess
import time
import unittest
import urllib.request

import lambtest
from lambtest import LAMB, run

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src/
      Events:
        Get: {Type: HttpApi, Properties: {Path: /hello, Method: get}}
  Other:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.other
      CodeUri: src/
"""

APP = """\
import json
print("cold init here")
def handler(event, context):
    who = (event.get("queryStringParameters") or {}).get("who") or event.get("who", "nobody")
    print("hello from", who)
    print(json.dumps({"level": event.get("level", "INFO"), "ms": event.get("ms", 5), "who": who}))
    return {"statusCode": 200, "body": "hi " + who}
def other(event, context):
    print("the other one says", event.get("word", "nothing"))
    return {}
"""

FILES = {"template.yaml": TEMPLATE, "src/app.py": APP}


def invoke(d, fn, event, *extra):
    with open(os.path.join(d, "ev.json"), "w") as f:
        json.dump(event, f)
    r = run("local", "invoke", fn, "-e", "ev.json", *extra, cwd=d)
    assert r.returncode == 0, r.stderr
    return r


def logs(d, *args, env=None):
    r = run("logs", *args, cwd=d, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


class LocalLogs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proj = lambtest.project(FILES)
        cls.d = cls.proj.name
        invoke(cls.d, "Hello", {"who": "alice", "level": "ERROR", "ms": 700})
        invoke(cls.d, "Other", {"word": "quux"})
        invoke(cls.d, "Hello", {"who": "bob", "level": "WARN", "ms": 20})

    @classmethod
    def tearDownClass(cls):
        cls.proj.cleanup()

    def test_records_of_one_function(self):
        lines = logs(self.d, "-n", "Hello")
        text = "\n".join(lines)
        for want in ("INIT_START Runtime: python3.11", "cold init here", "START RequestId:",
                     "END RequestId:", "REPORT RequestId:", "Billed Duration:", "hello from alice",
                     "hello from bob"):
            self.assertIn(want, text)
        self.assertNotIn("the other one", text)
        self.assertRegex(lines[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")
        # two runs of local invoke, both kept
        self.assertEqual(text.count("START RequestId:"), 2)

    def test_all_functions_interleaved_in_time(self):
        lines = logs(self.d)
        fns = [l.split(" ", 1)[0] for l in lines]
        self.assertEqual(set(fns), {"Hello", "Other"})
        times = [l.split(" ", 2)[1] for l in lines]
        self.assertEqual(times, sorted(times))
        alice = next(i for i, l in enumerate(lines) if "alice" in l)
        quux = next(i for i, l in enumerate(lines) if "quux" in l)
        bob = next(i for i, l in enumerate(lines) if "hello from bob" in l)
        self.assertLess(alice, quux)
        self.assertLess(quux, bob)

    def test_json_output_has_request_ids(self):
        recs = [json.loads(l) for l in logs(self.d, "-n", "Hello", "--json")]
        start = [r for r in recs if r["message"].startswith("START RequestId: ")]
        self.assertEqual(len(start), 2)
        rid = start[0]["requestId"]
        self.assertIn(rid, start[0]["message"])
        mine = [r["message"] for r in recs if r["requestId"] == rid]
        self.assertIn("hello from alice", mine)
        init = [r for r in recs if r["message"] == "cold init here"]
        self.assertEqual(init[0]["requestId"], "")

    def messages(self, *args):
        return [l.split(" ", 1)[1] for l in logs(self.d, "-n", "Hello", *args)]

    def test_filter_term_and_phrase(self):
        self.assertEqual(self.messages("--filter", "hello alice"), ["hello from alice"])
        self.assertEqual(self.messages("--filter", '"from bob"'), ["hello from bob"])
        self.assertEqual(self.messages("--filter", '"from  bob"'), [])

    def test_filter_either_or_and_exclusion(self):
        got = self.messages("--filter", "?alice ?bob")
        self.assertEqual(len(got), 4)  # each name's two lines
        got = self.messages("--filter", "hello -alice")
        self.assertEqual(got, ["hello from bob"])

    def test_filter_json(self):
        got = self.messages("--filter", '{ $.level = "ERROR" }')
        self.assertEqual([json.loads(m)["who"] for m in got], ["alice"])
        got = self.messages("--filter", "{ $.ms > 100 || $.who = b* }")
        self.assertEqual(sorted(json.loads(m)["who"] for m in got), ["alice", "bob"])
        got = self.messages("--filter", '{ ($.ms < 100) && ($.level != "ERROR") }')
        self.assertEqual([json.loads(m)["who"] for m in got], ["bob"])
        self.assertEqual(self.messages("--filter", "{ $.missing EXISTS }"), [])

    def test_bad_filter_is_a_usage_error(self):
        r = run("logs", "--filter", '"unbalanced', cwd=self.d)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unbalanced quote", r.stderr)
        r = run("logs", "--filter", "{ $.a = }", cwd=self.d)
        self.assertEqual(r.returncode, 2)

    def test_time_forms(self):
        every = logs(self.d)
        self.assertEqual(logs(self.d, "-s", "5mins ago"), every)
        self.assertEqual(logs(self.d, "-e", "5mins ago"), [])
        # the first record's own second and the next, as ISO 8601 and as local time
        first = every[0].split(" ")[1]
        iso = first[:19] + "Z"
        self.assertEqual(logs(self.d, "-s", iso)[0], every[0])
        self.assertEqual(logs(self.d, "-e", first[:10] + "T00:00:00+00:00"), [])
        env = dict(os.environ, TZ="UTC")
        local = first[:10] + " " + first[11:16]
        self.assertEqual(logs(self.d, "-s", local, env=env), every)
        self.assertEqual(logs(self.d, "-s", "2000-01-01", "-e", "2000-01-02 10:00", env=env), [])
        r = run("logs", "-s", "yesterday-ish", cwd=self.d)
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot read time 'yesterday-ish'", r.stderr)


class Rotation(unittest.TestCase):
    def test_rotated_at_log_retention_and_still_read(self):
        with lambtest.project(FILES) as d:
            invoke(d, "Hello", {"who": "carol"}, "--repeat", "30", "--log-retention", "2K")
            names = sorted(os.listdir(os.path.join(d, ".lamb", "logs")))
            self.assertEqual(names, ["Hello.log", "Hello.log.1"])
            for n in names:
                self.assertLessEqual(os.path.getsize(os.path.join(d, ".lamb", "logs", n)), 2048 + 1024)
            lines = logs(d, "-n", "Hello")
            self.assertIn("REPORT RequestId:", lines[-1])
            r = run("local", "invoke", "Hello", "--log-retention", "lots", cwd=d)
            self.assertEqual(r.returncode, 2)


class StartApiAndTail(unittest.TestCase):
    def test_start_api_records_and_tail_within_100ms(self):
        with lambtest.project(FILES) as d:
            tail = subprocess.Popen([LAMB, "logs", "--tail", "--json"], cwd=d, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, bufsize=1)
            server, err = None, open(os.path.join(d, "stderr.log"), "w+")
            try:
                # in the same project as the tail, so that both see its .lamb/logs
                server = subprocess.Popen([LAMB, "local", "start-api", "-p", "0"], cwd=d,
                                          stdout=subprocess.DEVNULL, stderr=err)
                url = self._url(server, err)
                for who in ("dan", "erin"):
                    with urllib.request.urlopen(f"{url}/hello?who={who}", timeout=30) as r:
                        answered = time.monotonic()
                        self.assertEqual(r.read(), f"hi {who}".encode())
                    seen = self._wait_for(tail, f"hello from {who}", "REPORT RequestId")
                    self.assertLess(seen - answered, 0.1, f"tail saw {who}'s REPORT {seen - answered:.3f} s late")
            finally:
                if server is not None:
                    server.terminate()
                    server.wait(timeout=15)
                err.close()
                tail.kill()
                tail.wait()
            lines = logs(d, "-n", "Hello", "--filter", "hello")
            self.assertEqual([l.split(" ", 1)[1] for l in lines], ["hello from dan", "hello from erin"])

    def _url(self, server, err):
        import re
        deadline = time.time() + 20
        while time.time() < deadline:
            err.flush()
            with open(err.name) as f:
                said = f.read()
            m = re.search(r"http://127\.0\.0\.1:(\d+) \(Ctrl-C", said)
            if m:
                return f"http://127.0.0.1:{m.group(1)}"
            self.assertIsNone(server.poll(), said)
            time.sleep(0.05)
        self.fail("start-api never said where it serves")

    def _wait_for(self, tail, first, then):
        """Reads tail's records (through a thread: each stamped as it
        arrives) until one holds first and a later one then; the time the
        later arrived."""
        import queue
        import threading
        if not hasattr(self, "_lines"):
            self._lines = queue.Queue()

            def pump():
                for line in tail.stdout:
                    self._lines.put((time.monotonic(), line))
                self._lines.put((time.monotonic(), None))
            threading.Thread(target=pump, daemon=True).start()
        got_first = False
        while True:
            try:
                when, line = self._lines.get(timeout=20)
            except queue.Empty:
                self.fail(f"--tail never showed {first!r} then {then!r}")
            if line is None:
                tail.wait(timeout=5)
                self.fail(f"lamb logs --tail ended ({tail.returncode}): {tail.stderr.read()}")
            msg = json.loads(line)["message"]
            if first in msg:
                got_first = True
            elif got_first and then in msg:
                return when


class CloudWatch(unittest.TestCase):
    """--stack-name: the deployed function's CloudWatch Logs, through the
    stand-in (ListStackResources for its physical name, FilterLogEvents)."""

    def setUp(self):
        import types
        from aws_standin import AwsStandin
        import aws_standin_cfn
        self.aws = AwsStandin().start()
        self.aws.page_size = 2  # the events come in several pages
        stack = aws_standin_cfn.Stack(self.aws, "app", self.aws.region)
        stack.status = "CREATE_COMPLETE"
        for lid, physical in (("Other", "app-Other-XYZ"), ("Hello", "app-Hello-ABC123")):
            stack.resources[lid] = types.SimpleNamespace(lid=lid, physical=physical, type="AWS::Lambda::Function",
                                                         updated=time.time(), status="CREATE_COMPLETE")
        self.aws.stacks.append(stack)
        now = int(time.time() * 1000)
        self.now = now
        g = "/aws/lambda/app-Hello-ABC123"
        for i, m in enumerate(["START RequestId: r1 Version: $LATEST", "hello from alice\n",
                               "[ERROR] something broke", "END RequestId: r1", "hello from bob"]):
            self.aws.put_log_event(g, m, timestamp=now - 60000 + i * 1000)
        self.aws.put_log_event(g, "an old one", timestamp=now - 3600 * 1000)
        self.env = dict(os.environ, **self.aws.env(), LAMB_POLL_DELAY="0.2")

    def tearDown(self):
        self.aws.stop()

    def logs(self, *args):
        r = run("logs", "--stack-name", "app", "-n", "Hello", *args, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [l.split(" ", 1)[1] for l in r.stdout.splitlines()]

    def test_events_filters_and_times(self):
        got = self.logs("-s", "10mins ago")
        self.assertEqual(got, ["START RequestId: r1 Version: $LATEST", "hello from alice",
                               "[ERROR] something broke", "END RequestId: r1", "hello from bob"])
        self.assertEqual(len(self.logs()), 6)
        self.assertEqual(self.logs("-s", "10mins ago", "--filter", "?ERROR ?bob"),
                         ["[ERROR] something broke", "hello from bob"])
        self.assertEqual(self.logs("-s", "10mins ago", "--filter", 'hello -bob'), ["hello from alice"])
        self.assertEqual(self.logs("-e", "30mins ago"), ["an old one"])
        pages = [c for c in self.aws.calls if c[0] == "logs"]
        self.assertTrue(pages and all(c[1] == "FilterLogEvents" for c in pages), self.aws.calls)

    def test_json_and_unknown_function(self):
        r = run("logs", "--stack-name", "app", "-n", "Hello", "--json", "-s", "10mins ago", env=self.env)
        recs = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual(recs[1]["message"], "hello from alice")
        self.assertEqual(recs[1]["timestamp"], self.now - 59000)
        r = run("logs", "--stack-name", "app", "-n", "Nope", env=self.env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("stack 'app' has no resource 'Nope'", r.stderr)

    def test_tail_polls(self):
        p = subprocess.Popen([LAMB, "logs", "--stack-name", "app", "-n", "Hello", "--tail", "-s", "10mins ago"],
                             env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            lines = [p.stdout.readline() for _ in range(5)]
            self.assertIn("hello from bob", lines[-1])
            self.aws.put_log_event("/aws/lambda/app-Hello-ABC123", "a new one")
            t0 = time.monotonic()
            line = p.stdout.readline()
            self.assertIn("a new one", line)
            self.assertLess(time.monotonic() - t0, 5)
        finally:
            p.kill()
            p.wait()


if __name__ == "__main__":
    lambtest.main()
