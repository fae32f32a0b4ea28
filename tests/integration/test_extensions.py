"""Lambda extensions and the Telemetry API end to end, with real processes:
a bash extension (curl) and a Python extension, each in a layer's
extensions/ folder, register, receive INVOKE (requestId, deadlineMs,
invokedFunctionArn, tracing) and SHUTDOWN (when start-lambda reaps an idle
instance, and when it exits); an extension slow to call event/next again
holds the invocation's end, and REPORT's Duration counts its time; the
Python extension's Telemetry subscriber (an HTTP server inside it) receives
platform.report and the function's log lines, and a slow one never holds
lamb; a timeout resets the instance with SHUTDOWN (timeout); init/error
fails the invocation; an internal extension (a thread of the runtime)
gets INVOKE; nothing is left running."""
import http.client
import json
import os
import re
import time
import unittest
import uuid

import lambtest

TAG = "ext" + uuid.uuid4().hex[:8]  # in the extensions' file names: found in /proc

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: src/
    Runtime: python3.12
    Handler: app.handler
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Layers: [!Ref BashLayer, !Ref PyLayer]
  Slow:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 10
      Layers: [!Ref BashLayer]
      Environment:
        Variables:
          EXT_SLOW: "1.2"
  Chatty:
    Type: AWS::Serverless::Function
    Properties:
      Layers: [!Ref PyLayer]
      Environment:
        Variables:
          SLOW_SUBSCRIBER: "2"
  Sleepy:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 1
      Layers: [!Ref BashLayer]
  Broken:
    Type: AWS::Serverless::Function
    Properties:
      Layers: [!Ref BadLayer]
  Internal:
    Type: AWS::Serverless::Function
    Properties:
      Handler: internal.handler
  Snappy:
    Type: AWS::Serverless::Function
    Properties:
      SnapStart: {ApplyOn: PublishedVersions}
      Layers: [!Ref BashLayer]
  Crashy:
    Type: AWS::Serverless::Function
    Properties:
      Layers: [!Ref CrashLayer]
  CrashLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: crash-layer
  BadLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: bad-layer
  BashLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: bash-layer
  PyLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: py-layer
"""

APP = """\
import time

def handler(event, context):
    time.sleep(event.get("sleep", 0))
    for i in range(event.get("lines", 0)):
        print("chatter", i)
    print("FN hello", context.aws_request_id, flush=True)
    return {"ok": True}
"""

# Prints every event it gets; sleeps EXT_SLOW seconds after an INVOKE.
BASH_EXT = """\
#!/bin/bash
API="http://${AWS_LAMBDA_RUNTIME_API}/2020-01-01/extension"
ID=$(curl -sS -D - -o /dev/null -XPOST "$API/register" -H "Lambda-Extension-Name: $(basename "$0")" \\
  -d '{"events":["INVOKE","SHUTDOWN"]}' | tr -d '\\r' | sed -n 's/^[Ll]ambda-[Ee]xtension-[Ii]dentifier: //p')
echo "EXT bash registered $ID handler=${_HANDLER:-unset} api=$AWS_LAMBDA_RUNTIME_API"
echo "EXT bash badsub $(curl -sS -w ' %{http_code}' -XPUT "http://${AWS_LAMBDA_RUNTIME_API}/2022-07-01/telemetry" \
  -H "Lambda-Extension-Identifier: $ID" \
  -d '{"schemaVersion":"2022-07-01","types":["platform"],"destination":{"protocol":"HTTP","URI":"http://example.com:8080"}}')"
echo "EXT bash badid $(curl -sS -o /dev/null -w '%{http_code}' "$API/event/next" -H 'Lambda-Extension-Identifier: nobody')"
while true; do
  EV=$(curl -sS "$API/event/next" -H "Lambda-Extension-Identifier: $ID")
  echo "EXT bash $EV"
  case "$EV" in *SHUTDOWN*) exit 0;; esac
  [ -n "$EXT_SLOW" ] && sleep "$EXT_SLOW"
done
"""

# An internal extension: a thread of the runtime, registered during init.
INTERNAL = """\
import json, os, threading, urllib.error, urllib.request

api = os.environ["AWS_LAMBDA_RUNTIME_API"]

def call(method, path, body=None, headers=None):
    req = urllib.request.Request(f"http://{api}{path}", method=method, headers=headers or {},
                                 data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()

# an internal extension may not ask for SHUTDOWN
refused = call("POST", "/2020-01-01/extension/register", {"events": ["INVOKE", "SHUTDOWN"]},
               {"Lambda-Extension-Name": "in-process"})
print("INTERNAL refused", refused[0], json.loads(refused[2])["errorType"], flush=True)
status, h, _ = call("POST", "/2020-01-01/extension/register", {"events": ["INVOKE"]},
                    {"Lambda-Extension-Name": "in-process"})
ext_id = h["Lambda-Extension-Identifier"]

def loop():
    while True:
        _, _, ev = call("GET", "/2020-01-01/extension/event/next", headers={"Lambda-Extension-Identifier": ext_id})
        print("INTERNAL", json.loads(ev)["eventType"], json.loads(ev)["requestId"], flush=True)

threading.Thread(target=loop, daemon=True).start()

def handler(event, context):
    return {"id": context.aws_request_id}
"""

# Registers, then finds its configuration wanting.
BAD_EXT = """\
#!/bin/bash
API="http://${AWS_LAMBDA_RUNTIME_API}/2020-01-01/extension"
ID=$(curl -sS -D - -o /dev/null -XPOST "$API/register" -H "Lambda-Extension-Name: $(basename "$0")" \\
  -d '{"events":["SHUTDOWN"]}' | tr -d '\\r' | sed -n 's/^[Ll]ambda-[Ee]xtension-[Ii]dentifier: //p')
curl -sS -XPOST "$API/init/error" -H "Lambda-Extension-Identifier: $ID" \\
  -H "Lambda-Extension-Function-Error-Type: Extension.ConfigInvalid" -d '{"errorMessage":"no key"}'
sleep 30  # lamb resets the instance: killed long before
"""

PY_EXT = """\
#!/usr/bin/python3
import json, os, sys, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

api = os.environ["AWS_LAMBDA_RUNTIME_API"]

def call(method, path, body=None, headers=None):
    req = urllib.request.Request(f"http://{api}{path}", method=method, headers=headers or {},
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req) as r:
        return r.headers, r.read()

slow = [float(os.environ.get("SLOW_SUBSCRIBER") or 0)]

class Listener(BaseHTTPRequestHandler):
    def do_POST(self):
        batch = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(slow[0])  # a subscriber that falls behind, once
        slow[0] = 0
        for e in batch:
            # never print a line it would be sent again (Lambda's warning)
            if e["type"] == "platform.report":
                print("TELEMETRY-REPORT", e["record"]["requestId"], json.dumps(e["record"]["metrics"]), flush=True)
            elif e["type"] == "function" and e["record"].startswith("FN "):
                print("TELEMETRY-FN", e["record"], flush=True)
            elif e["type"] == "platform.logsDropped":
                print("TELEMETRY-DROPPED", json.dumps(e["record"]), flush=True)
            elif e["type"] in ("platform.initStart", "platform.start", "platform.runtimeDone"):
                print("TELEMETRY-PLATFORM", e["type"], flush=True)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass

h, _ = call("POST", "/2020-01-01/extension/register", {"events": ["INVOKE", "SHUTDOWN"]},
            {"Lambda-Extension-Name": os.path.basename(__file__)})
ext_id = h["Lambda-Extension-Identifier"]
server = ThreadingHTTPServer(("127.0.0.1", 0), Listener)
threading.Thread(target=server.serve_forever, daemon=True).start()
call("PUT", "/2022-07-01/telemetry", {
    "schemaVersion": "2022-07-01", "types": ["platform", "function"],
    "buffering": {"maxItems": 1000, "maxBytes": 262144, "timeoutMs": 25},
    "destination": {"protocol": "HTTP", "URI": f"http://sandbox.localdomain:{server.server_address[1]}/tele"}},
    {"Lambda-Extension-Identifier": ext_id, "Content-Type": "application/json"})
print("EXT py registered", ext_id, flush=True)
while True:
    _, ev = call("GET", "/2020-01-01/extension/event/next", headers={"Lambda-Extension-Identifier": ext_id})
    print("EXT py", ev.decode(), flush=True)
    if json.loads(ev)["eventType"] == "SHUTDOWN":
        sys.exit(0)
"""


def files():
    return {"template.yaml": TEMPLATE, "src/app.py": APP, "src/internal.py": INTERNAL,
            f"bash-layer/extensions/{TAG}-bash": BASH_EXT, f"bad-layer/extensions/{TAG}-bad": BAD_EXT,
            f"crash-layer/extensions/{TAG}-crash": "#!/bin/sh\nexit 3\n", f"py-layer/extensions/{TAG}-py": PY_EXT}


def outsider(target, request):
    """What an instance's API answers a process outside it: b"" when it
    closes the connection at once, unanswered."""
    import socket
    host, port = target.split(":")
    with socket.create_connection((host, int(port)), timeout=3) as c:
        c.sendall(request.encode())
        c.settimeout(3)
        got = b""
        try:
            while chunk := c.recv(65536):
                got += chunk
        except ConnectionResetError:
            pass
        return got


def extension_pids():
    """Processes of this test's extensions still running (not zombies)."""
    found = []
    for p in os.listdir("/proc"):
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                if TAG.encode() in f.read():
                    found.append(int(p))
        except (OSError, ValueError):
            pass
    return found


class Server(lambtest.LambServer):
    command = ("local", "start-lambda")

    def __init__(self, *args):
        super().__init__(files(), *args)
        # executable before the first invocation prepares the layers
        for sub in (f"bash-layer/extensions/{TAG}-bash", f"py-layer/extensions/{TAG}-py",
                    f"bad-layer/extensions/{TAG}-bad", f"crash-layer/extensions/{TAG}-crash"):
            os.chmod(os.path.join(self.dir.name, sub), 0o755)

    def stop_and_read(self):
        """SIGTERM; the exit status and what it logged."""
        import signal
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        out = self.stderr()
        self.log.close()
        self.dir.cleanup()
        # under ASan/UBSan, what they said is a failure too
        said = re.findall(r".*(?:runtime error|Sanitizer).*", out)
        return (self.proc.returncode if not said else "\n".join(said)), out

    def stop(self):
        return self.stop_and_read()[0]

    def invoke(self, name, event=b"{}"):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        t0 = time.monotonic()
        c.request("POST", f"/2015-03-31/functions/{name}/invocations", body=event)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, json.loads(data), r.getheader("X-Amz-Request-Id") or r.getheader("x-amzn-RequestId"), \
            time.monotonic() - t0

    def wait_for(self, pattern, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.stderr())
            if m:
                return m
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in:\n{self.stderr()}")


class Extensions(unittest.TestCase):
    def test_invoke_telemetry_and_shutdown_at_exit(self):
        s = Server()
        try:
            status, body, _, _ = s.invoke("Fn")
            self.assertEqual((status, body), (200, {"ok": True}), s.stderr())
            rid = s.wait_for(r"FN hello (\S+)").group(1)
            out = s.stderr()
            # both registered before the runtime's init; the runtime's own
            # variables are not theirs
            self.assertIn("EXT bash registered", out)
            self.assertIn("handler=unset", out)
            # a subscription to a listener outside the instance is refused
            # as Lambda refuses it; event/next needs a registered identifier
            bad = re.search(r"EXT bash badsub (\{.*\}) (\d+)", out)
            self.assertEqual(bad.group(2), "400")
            self.assertEqual(json.loads(bad.group(1))["errorType"], "ValidationError")
            self.assertIn("EXT bash badid 403", out)
            self.assertIn("EXT py registered", out)
            for who in ("bash", "py"):
                ev = json.loads(s.wait_for(rf"EXT {who} (\{{.*\"INVOKE\".*\}})").group(1))
                self.assertEqual(ev["requestId"], rid)
                self.assertTrue(ev["invokedFunctionArn"].endswith(":function:Fn"), ev)
                self.assertEqual(ev["tracing"]["type"], "X-Amzn-Trace-Id")
                self.assertGreater(ev["deadlineMs"], time.time() * 1000)
            # REPORT, once the extensions called event/next again (after the
            # response), counts their init in Init Duration
            s.wait_for(rf"REPORT RequestId: {rid}.*Init Duration")
            # the subscriber got the function's line and platform events
            s.wait_for(rf"TELEMETRY-FN FN hello {rid}")
            m = s.wait_for(rf"TELEMETRY-REPORT {rid} (\{{.*\}})")
            metrics = json.loads(m.group(1))
            self.assertIn("initDurationMs", metrics)
            self.assertEqual(metrics["memorySizeMB"], 128)
            s.wait_for(r"TELEMETRY-PLATFORM platform.initStart")
            s.wait_for(r"TELEMETRY-PLATFORM platform.runtimeDone")
            self.assertTrue(extension_pids(), "the extensions are not running")
            # the init's log event of each, as CloudWatch has it
            logs = lambtest.run("logs", cwd=s.dir.name).stdout
            for who in ("bash", "py"):
                self.assertIn(f"EXTENSION\tName: {TAG}-{who}\tState: Ready\tEvents: [INVOKE, SHUTDOWN]", logs)
            # only the instance's own processes may use its Extensions API
            api = re.search(r"api=(127\.0\.0\.1:\d+)", out).group(1)
            self.assertEqual(outsider(api, "POST /2020-01-01/extension/register HTTP/1.1\r\nHost: x\r\n"
                                      "Lambda-Extension-Name: intruder\r\nContent-Length: 2\r\n\r\n{}"), b"")
        finally:
            t0 = time.monotonic()
            rc, out = s.stop_and_read()
        # lamb exits: SHUTDOWN (spindown) to both, then nothing left
        self.assertEqual(rc, 0, out)
        for who in ("bash", "py"):
            ev = re.search(rf"EXT {who} (\{{.*\"SHUTDOWN\".*\}})", out)
            self.assertTrue(ev, out)
            ev = json.loads(ev.group(1))
            self.assertEqual(ev["shutdownReason"], "spindown")
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(extension_pids(), [], "extensions left running")

    def test_shutdown_when_reaped(self):
        s = Server("--idle-timeout", "1")
        try:
            status, _, _, _ = s.invoke("Fn")
            self.assertEqual(status, 200, s.stderr())
            for who in ("bash", "py"):
                m = s.wait_for(rf"EXT {who} (\{{.*\"SHUTDOWN\".*\}})", timeout=15)
                self.assertEqual(json.loads(m.group(1))["shutdownReason"], "spindown")
            deadline = time.time() + 5
            while extension_pids() and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual(extension_pids(), [], "extensions left running after the reaping")
        finally:
            self.assertEqual(s.stop(), 0)

    def test_slow_subscriber_never_holds_lamb(self):
        s = Server()
        try:
            # 5,000 lines while the subscriber sits on its first batch: the
            # queue (twice maxItems) overflows, lamb goes on
            status, body, _, took = s.invoke("Chatty", b'{"lines": 5000}')
            self.assertEqual((status, body), (200, {"ok": True}), s.stderr())
            self.assertLess(took, 2)
            dropped = json.loads(s.wait_for(r"TELEMETRY-DROPPED (\{.*\})").group(1))
            self.assertGreater(dropped["droppedRecords"], 0)
            self.assertGreater(dropped["droppedBytes"], 0)
            # and delivery goes on after it: this invocation's report comes
            status, _, _, _ = s.invoke("Chatty")
            rid = re.findall(r"FN hello (\S+)", s.stderr())[-1]
            s.wait_for(rf"TELEMETRY-REPORT {rid}")
        finally:
            self.assertEqual(s.stop(), 0)

    def test_timeout_resets_with_shutdown(self):
        s = Server()
        try:
            status, body, _, _ = s.invoke("Sleepy", b'{"sleep": 3}')
            self.assertEqual(status, 200, s.stderr())
            self.assertEqual(body["errorType"], "Sandbox.Timedout")
            m = s.wait_for(r"EXT bash (\{.*\"SHUTDOWN\".*\})")
            self.assertEqual(json.loads(m.group(1))["shutdownReason"], "timeout")
        finally:
            self.assertEqual(s.stop(), 0)

    def test_init_error_fails_the_invocation(self):
        s = Server()
        try:
            status, body, _, _ = s.invoke("Broken")
            self.assertEqual(status, 200, s.stderr())
            self.assertEqual(body["errorType"], "Extension.ConfigInvalid", body)
            self.assertIn("extension '" + TAG + "-bad' called init/error", s.stderr())
        finally:
            self.assertEqual(s.stop(), 0)
        deadline = time.time() + 5
        while extension_pids() and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(extension_pids(), [])

    def test_extension_that_exits_before_registering(self):
        s = Server()
        try:
            status, body, _, took = s.invoke("Crashy")
            self.assertEqual(status, 200, s.stderr())
            self.assertEqual(body["errorType"], "Extension.Crash", body)
            self.assertLess(took, 5)  # said at once, not at the init's 10 s timeout
        finally:
            self.assertEqual(s.stop(), 0)

    def test_internal_extension(self):
        s = Server()
        try:
            status, body, _, _ = s.invoke("Internal")
            self.assertEqual(status, 200, s.stderr())
            s.wait_for(r"INTERNAL INVOKE " + body["id"])
            self.assertIn("INTERNAL refused 400 ShutdownEventNotSupportedForInternalExtension", s.stderr())
        finally:
            self.assertEqual(s.stop(), 0)

    def test_snapstart_with_extensions_runs_init(self):
        """lamb does not snapshot a function whose layers bring extensions: it
        says so once, and the extension still gets its INVOKE."""
        s = Server()
        try:
            for _ in range(2):
                status, _, rid, _ = s.invoke("Snappy")
                self.assertEqual(status, 200, s.stderr())
                s.wait_for(r"EXT bash \{.*\"INVOKE\".*" + rid)
            said = s.stderr()
            self.assertEqual(said.count("SnapStart: not applied to Snappy: its layers have extensions"), 1, said)
            self.assertNotIn("Restore Duration", said)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_slow_extension_holds_the_invoke(self):
        s = Server()
        try:
            status, body, _, took = s.invoke("Slow")
            self.assertEqual((status, body), (200, {"ok": True}), s.stderr())
            # the caller has the response when the runtime answers, as from
            # Lambda; the invoke phase, and REPORT, end with the extension's
            # event/next after its 1.2 s sleep
            self.assertLess(took, 1.0, s.stderr())
            self.assertNotIn("REPORT", s.stderr())
            m = s.wait_for(r"REPORT RequestId: \S+\tDuration: ([\d.]+) ms")
            self.assertGreaterEqual(float(m.group(1)), 1200)
            # a second invocation finds the instance free again, warm
            status, body, _, took = s.invoke("Slow")
            self.assertEqual(status, 200, s.stderr())
            self.assertEqual(len(re.findall("EXT bash registered", s.stderr())), 1)
        finally:
            self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    lambtest.main()
