"""lamb local start end to end: one process serves the template's API, the
Invoke API and its schedules on the same instances; under --clock manual a
nightly ETL fires once per `lamb local clock advance 1d`, with the
scheduled-event payload, a rule's InputTransformer and a ScheduleV2's
Input, and nothing fires between advances."""
import http.client
import json
import os
import re
import subprocess
import time
import unittest

import lambtest

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    CodeUri: src/
    Timeout: 5
Resources:
  Etl:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.etl
      Events:
        Nightly:
          Type: Schedule
          Properties:
            Schedule: cron(0 2 * * ? *)
        Weekly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 9 ? * MON *)
            ScheduleExpressionTimezone: Europe/Paris
            Input: '{"kind": "weekly"}'
        Off:
          Type: Schedule
          Properties:
            Schedule: rate(1 minute)
            Enabled: false
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.hello
      Events:
        Get:
          Type: Api
          Properties: {Path: /hello, Method: get}
  Fails:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.fails
      EventInvokeConfig:
        DestinationConfig:
          OnFailure: {Type: Lambda, Destination: !GetAtt Catcher.Arn}
  FailsOnce:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.fails
  FailsOnceConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref FailsOnce
      Qualifier: $LATEST
      MaximumRetryAttempts: 0
      DestinationConfig:
        OnFailure: {Destination: !GetAtt Catcher.Arn}
  Catcher:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.catcher
  Every6h:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(6 hours)
      Targets:
        - Arn: !GetAtt Fails.Arn
          Id: fails
        - Arn: !GetAtt Hello.Arn
          Id: hello
          InputTransformer:
            InputPathsMap: {t: $.time}
            InputTemplate: '{"at": "<t>", "rule": "<aws.events.rule-name>"}'
"""

APP = """\
import json

def etl(event, context):
    print("ETL " + json.dumps(event, sort_keys=True), flush=True)
    return "done"

def hello(event, context):
    if "rule" in event:
        print("HELLO " + json.dumps(event, sort_keys=True), flush=True)
    return {"statusCode": 200, "body": "hello"}

def fails(event, context):
    raise RuntimeError("scheduled failure")

def catcher(event, context):
    print("CAUGHT " + json.dumps(event, sort_keys=True), flush=True)
"""


class LocalStart:
    def __init__(self, *args, files=None):
        self.dir = lambtest.project(files or {"template.yaml": TEMPLATE, "src/app.py": APP})
        self.launch(*args)

    def launch(self, *args):
        self.log = open(os.path.join(self.dir.name, "stderr.log"), "w+")
        self.proc = subprocess.Popen(
            [lambtest.LAMB, "local", "start", "-p", "0", "--lambda-port", "0", "--services-port", "0", *args],
            cwd=self.dir.name, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 30
        while "lamb: ready" not in self.stderr():
            if self.proc.poll() is not None or time.time() > deadline:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("local start did not get ready: " + self.stderr())
            time.sleep(0.05)
        text = self.stderr()
        port = lambda what: int(re.search(what + r" on http://127\.0\.0\.1:(\d+)", text).group(1))
        self.lambda_, self.services = port("Invoke API"), port(r"clock \(\w+\)")
        self.api = port("the APIs") if "the APIs on" in text else None

    def restart(self, *args, kill=False):
        """Stops the server (SIGKILL: as a crash) and starts it again in the same project."""
        self.proc.kill() if kill else self.proc.terminate()
        self.proc.wait(timeout=15)
        self.log.close()
        self.launch(*args)

    def stderr(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def request(self, port, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def clock(self, *args):
        return lambtest.run("local", "clock", *args, "--endpoint", f"http://127.0.0.1:{self.services}")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.dir.cleanup()
        return self.proc.returncode


class ManualClock(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = LocalStart("--clock", "manual")

    @classmethod
    def tearDownClass(cls):
        rc = cls.s.stop()
        if rc != 0:
            raise AssertionError(f"local start exited {rc}")

    def test_api_and_invoke_api_on_their_ports(self):
        self.assertEqual(self.s.request(self.s.api, "GET", "/hello"), (200, b"hello"))
        status, body = self.s.request(self.s.lambda_, "POST", "/2015-03-31/functions/Etl/invocations", b"{}")
        self.assertEqual((status, body), (200, b'"done"'))

    @staticmethod
    def plus(iso, minutes):
        import datetime
        t = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(minutes=minutes)
        return t.strftime("%M:%S")

    def test_event_invocations_go_through_the_async_queue(self):
        status, _ = self.s.request(self.s.lambda_, "POST", "/2015-03-31/functions/FailsOnce/invocations",
                                   b'{"tag": "once"}', {"X-Amz-Invocation-Type": "Event"})
        self.assertEqual(status, 202)
        deadline = time.time() + 20
        while '"tag": "once"' not in self.s.stderr() and time.time() < deadline:
            time.sleep(0.05)
        caught = [l for l in self.s.stderr().splitlines() if l.startswith("CAUGHT ") and '"tag": "once"' in l]
        self.assertEqual(len(caught), 1, self.s.stderr())
        rec = json.loads(caught[0].split("CAUGHT ", 1)[1])
        self.assertEqual(rec["requestContext"]["approximateInvokeCount"], 1)  # MaximumRetryAttempts 0
        big = b'{"a": "' + b"x" * (1024 * 1024) + b'"}'
        status, body = self.s.request(self.s.lambda_, "POST", "/2015-03-31/functions/Hello/invocations", big,
                                      {"X-Amz-Invocation-Type": "Event"})
        self.assertEqual(status, 413, body)
        self.assertIn(b"asynchronous", body)
        # the synchronous limit stays 6 MB
        status, _ = self.s.request(self.s.lambda_, "POST", "/2015-03-31/functions/Hello/invocations", big)
        self.assertEqual(status, 200)

    def test_schedules_listed_with_their_next_time(self):
        text = self.s.stderr()
        self.assertRegex(text, r"schedule Etl/Nightly -> Etl: cron\(0 2 \* \* \? \*\), next \d{4}-\d\d-\d\dT02:00:00Z")
        self.assertRegex(text, r"schedule Etl/Weekly -> Etl: cron\(0 9 \? \* MON \*\) Europe/Paris, next "
                               r"\d{4}-\d\d-\d\dT0[78]:00:00Z")
        self.assertIn("schedule Etl/Off -> Etl: rate(1 minute), disabled: never fires", text)
        self.assertIn("rule Every6h -> Fails: rate(6 hours), next", text)
        self.assertIn("rule Every6h -> Hello: rate(6 hours), next", text)

    def test_advance(self):
        # one test, in order: the clock is the class's
        r = self.s.clock()
        self.assertEqual(r.returncode, 0, r.stderr)
        start = re.search(r"now (\S+) \(manual clock\)", r.stdout).group(1)
        time.sleep(1.2)
        self.assertIn(f"now {start} ", self.s.clock().stdout, "the manual clock moved by itself")
        before = self.s.stderr().count("ETL ")
        fails = hellos = 0
        for day in range(3):
            r = self.s.clock("advance", "1d")
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # Fails failed
            lines = r.stdout.splitlines()
            nightly = [l for l in lines if "schedule Etl/Nightly" in l]
            self.assertEqual(len(nightly), 1, r.stdout)
            self.assertRegex(nightly[0], r"T02:00:00Z  schedule Etl/Nightly  Etl  ok$")
            self.assertEqual(len([l for l in lines if "rule Every6h  Hello  ok" in l]), 4, r.stdout)
            fails += len([l for l in lines if "rule Every6h  Fails  function error" in l])
            hellos += 4
            times = [l.split()[0] for l in lines[:-1]]
            self.assertEqual(times, sorted(times), "fired out of order")
            if day == 0:
                # an async failure is retried twice, one then two minutes later
                # on the clock, then its record goes to OnFailure
                f = [l.split()[0] for l in lines if "rule Every6h  Fails" in l][:3]
                self.assertEqual([t[14:19] for t in f], [f[0][14:19], self.plus(f[0], 1), self.plus(f[0], 3)], r.stdout)
                self.assertIn(f"{f[2]}  OnFailure of Fails  Catcher  ok", r.stdout)
        # the last firing of each day falls on its end: its retries come the next day
        self.assertEqual(fails, 3 * hellos - 2)
        weekly = self.s.clock("advance", "7d").stdout
        self.assertEqual(len(re.findall(r"T0[78]:00:00Z  schedule Etl/Weekly  Etl  ok", weekly)), 1, weekly)
        self.assertNotIn("Etl/Off", weekly)
        log = self.s.stderr()
        events = [json.loads(l.split("ETL ", 1)[1]) for l in log.splitlines() if l.startswith("ETL ")][before:]
        scheduled = [e for e in events if "detail-type" in e]
        self.assertEqual(len(scheduled), 10)
        self.assertEqual({e["detail-type"] for e in scheduled}, {"Scheduled Event"})
        self.assertEqual(scheduled[0]["source"], "aws.events")
        self.assertEqual(scheduled[0]["resources"], ["arn:aws:events:us-east-1:123456789012:rule/EtlNightly"])
        self.assertEqual(scheduled[0]["detail"], {})
        self.assertTrue(scheduled[0]["time"].endswith("T02:00:00Z"))
        self.assertIn({"kind": "weekly"}, events)
        hello = [json.loads(l.split("HELLO ", 1)[1]) for l in log.splitlines() if l.startswith("HELLO ")]
        self.assertTrue(hello)
        self.assertEqual(hello[0]["rule"], "Every6h")
        self.assertRegex(hello[0]["at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        caught = [json.loads(l.split("CAUGHT ", 1)[1]) for l in log.splitlines() if l.startswith("CAUGHT ")]
        rec = caught[0]
        self.assertEqual(rec["requestContext"]["condition"], "RetriesExhausted")
        self.assertEqual(rec["requestContext"]["approximateInvokeCount"], 3)
        self.assertTrue(rec["requestContext"]["functionArn"].endswith(":function:Fails:$LATEST"))
        self.assertEqual(rec["requestPayload"]["detail-type"], "Scheduled Event")
        self.assertEqual(rec["responseContext"]["functionError"], "Unhandled")
        self.assertEqual(rec["responsePayload"]["errorMessage"], "scheduled failure")
        self.assertIn("lamb: rule Every6h -> Fails: dropped after 3 attempts (RetriesExhausted)", log)
        bad = self.s.clock("advance", "soon")
        self.assertEqual(bad.returncode, 1)
        self.assertIn("advance takes a duration", bad.stderr)


class RealClock(unittest.TestCase):
    def test_real_clock_cannot_be_advanced(self):
        s = LocalStart()
        try:
            self.assertIn("clock (real)", s.stderr())
            r = s.clock("advance", "1h")
            self.assertEqual(r.returncode, 1)
            self.assertIn("the clock is real", r.stderr)
            status, body = s.request(s.services, "GET", "/_lamb/clock")
            self.assertEqual(json.loads(body)["mode"], "real")
        finally:
            self.assertEqual(s.stop(), 0)

    def test_unreachable_and_usage(self):
        r = lambtest.run("local", "clock", "--endpoint", f"http://127.0.0.1:{lambtest.free_port()}")
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot reach lamb local start", r.stderr)
        r = lambtest.run("local", "clock", "advance")
        self.assertEqual(r.returncode, 2)
        r = lambtest.run("local", "start", "--clock", "fast")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--clock takes real or manual", r.stderr)


if __name__ == "__main__":
    lambtest.main()
