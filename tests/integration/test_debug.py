"""-d PORT: a debugger attached to a warm instance. Python under debugpy
driven by a real DAP client (dapclient.py): a breakpoint set, hit, a local
variable read, execution continued, a second request stopped at the same
breakpoint on the same instance without reattaching; meanwhile another
request is served by another instance, or, with --debug-function, waits
for the held one and stops there after the first continues (under lamb
local start, whose -d is the same); a paused handler's remaining time does
not run out. Node with --inspect-brk driven by an Inspector-protocol client
over its WebSocket."""
import os
import threading
import time
import unittest
import urllib.request

import lambtest
from dapclient import Dap
from inspectorclient import Inspector

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: {runtime}
      Handler: app.handler
      CodeUri: src/
      Timeout: 1
      Events:
        Get: {{Type: HttpApi, Properties: {{Path: /hello, Method: get}}}}
"""

PY_APP = """\
import os
def handler(event, context):
    who = event["queryStringParameters"]["who"]
    greeting = "hi " + who + " from " + str(os.getpid())
    return {"statusCode": 200, "body": greeting}
"""
PY_LINE = 5  # the return: greeting and who are set

DEBUGPY = "/usr/lib/python3/dist-packages/debugpy/__init__.py"

NODE_APP = """\
exports.handler = async (event) => {
  const who = event.queryStringParameters.who;
  const greeting = 'hi ' + who + ' from ' + process.pid;
  return { statusCode: 200, body: greeting };
};
"""
NODE_LINE = 3  # the return, 0-based as the Inspector counts


class Server(lambtest.ServerIn):
    """A server under a debugger."""

    def get_async(self, who, results):
        def get():
            with urllib.request.urlopen(f"{self.url}/hello?who={who}", timeout=60) as r:
                results[who] = r.read().decode()
        t = threading.Thread(target=get)
        t.start()
        return t


def locals_at_stop(dap):
    st = dap.event("stopped")
    tid = st["body"]["threadId"]
    frame = dap.request("stackTrace", threadId=tid)["body"]["stackFrames"][0]
    scope = dap.request("scopes", frameId=frame["id"])["body"]["scopes"][0]
    vs = dap.request("variables", variablesReference=scope["variablesReference"])["body"]["variables"]
    return tid, frame, {v["name"]: v["value"] for v in vs}


class PythonUnderDebugpy(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(DEBUGPY):
            self.skipTest("no debugpy (apt-get install python3-debugpy)")

    def test_breakpoint_twice_on_one_warm_instance(self):
        port = lambtest.free_port()
        with lambtest.project({"template.yaml": TEMPLATE.format(runtime="python3.11"),
                               "src/app.py": PY_APP}) as d:
            srv = Server(d, "-d", str(port))
            try:
                self._session(d, srv, port)
            except BaseException:
                print(srv.stderr())
                raise
            finally:
                srv.stop()

    def test_debug_function_makes_the_others_wait(self):
        port = lambtest.free_port()
        with lambtest.project({"template.yaml": TEMPLATE.format(runtime="python3.11"),
                               "src/app.py": PY_APP}) as d:
            # under local start: -d there too (it serves the same API)
            srv = Server(d, "-d", str(port), "--debug-function", "Hello", "--lambda-port", "0",
                         "--services-port", "0", command=("local", "start"),
                         ready=r"the APIs on http://127\.0\.0\.1:(\d+)\n")
            try:
                results = {}
                first = srv.get_async("ann", results)
                dap = self._attach(d, port)
                tid, frame, local = locals_at_stop(dap)
                self.assertEqual(local["who"], "'ann'")
                second = srv.get_async("bob", results)
                time.sleep(1)  # no other instance: it waits for the one held
                self.assertNotIn("bob", results)
                # past the Timeout of 1 s at the breakpoint: the remaining time stands still
                left = dap.request("evaluate", expression="context.get_remaining_time_in_millis()",
                                   frameId=frame["id"], context="repl")["body"]["result"]
                self.assertGreater(int(left), 500)
                dap.request("continue", threadId=tid)
                first.join(30)
                tid, _, local = locals_at_stop(dap)  # then runs there, at the same breakpoint
                self.assertEqual(local["who"], "'bob'")
                dap.request("continue", threadId=tid)
                second.join(30)
                pid = results["ann"].rsplit(" ", 1)[1]
                self.assertEqual(results["bob"], f"hi bob from {pid}")
                dap.send("disconnect")
            except BaseException:
                print(srv.stderr())
                raise
            finally:
                srv.stop()

    def _attach(self, d, port):
        """Attaches, sets the breakpoint at PY_LINE and lets the instance run."""
        dap = Dap(port)
        dap.request("initialize", adapterID="lamb-test", clientID="lamb-test", linesStartAt1=True,
                    columnsStartAt1=True, pathFormat="path")
        attach = dap.send("attach", justMyCode=True)
        dap.event("initialized")
        app = os.path.join(d, "src", "app.py")
        bp = dap.request("setBreakpoints", source={"path": app}, breakpoints=[{"line": PY_LINE}])
        self.assertTrue(bp["body"]["breakpoints"][0]["verified"], bp)
        dap.request("configurationDone")
        dap.response(attach)
        return dap

    def _session(self, d, srv, port):
        results = {}
        first = srv.get_async("ann", results)  # the instance waits for the debugger
        dap = self._attach(d, port)
        tid, frame, local = locals_at_stop(dap)
        self.assertEqual(frame["line"], PY_LINE)
        self.assertEqual(local["who"], "'ann'")
        time.sleep(1.5)  # past the function's Timeout of 1 s: suspended while held
        # held at the breakpoint: another request gets another instance
        srv.get_async("bob", results).join(30)
        self.assertTrue(results["bob"].startswith("hi bob"), results)
        dap.request("continue", threadId=tid)
        first.join(30)
        self.assertTrue(results["ann"].startswith("hi ann"), results)
        pid = results["ann"].rsplit(" ", 1)[1]
        self.assertNotEqual(pid, results["bob"].rsplit(" ", 1)[1])
        # the next request stops at the same breakpoint, same instance, no reattaching
        second = srv.get_async("cy", results)
        tid, frame, local = locals_at_stop(dap)
        self.assertEqual(local["who"], "'cy'")
        dap.request("continue", threadId=tid)
        second.join(30)
        self.assertEqual(results["cy"], f"hi cy from {pid}")
        dap.send("disconnect")


EXT_TEMPLATE = TEMPLATE.format(runtime="nodejs20.x") + """\
      Layers: [!Ref ExtLayer]
  ExtLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
"""

# An extension that says what it gets: under -d as without it.
EXT = """\
#!/bin/bash
API="http://${AWS_LAMBDA_RUNTIME_API}/2020-01-01/extension"
ID=$(curl -sS -D - -o /dev/null -XPOST "$API/register" -H "Lambda-Extension-Name: $(basename "$0")" \\
  -d '{"events":["INVOKE","SHUTDOWN"]}' | tr -d '\\r' | sed -n 's/^[Ll]ambda-[Ee]xtension-[Ii]dentifier: //p')
echo "EXT registered $ID"
while true; do
  EV=$(curl -sS "$API/event/next" -H "Lambda-Extension-Identifier: $ID")
  echo "EXT got $EV"
  case "$EV" in *SHUTDOWN*) exit 0;; esac
done
"""


class NodeUnderInspector(unittest.TestCase):
    def setUp(self):
        import shutil
        if not shutil.which("node"):
            self.skipTest("no node")

    def test_extensions_run_under_the_debugger(self):
        """The debugged instance starts its layer's extensions, as sam local
        invoke -d does: registered before the runtime, INVOKE for the
        request the debugger let through, SHUTDOWN when lamb stops."""
        import shutil
        if not shutil.which("curl"):
            self.skipTest("no curl (the extension's client)")
        port = lambtest.free_port()
        with lambtest.project({"template.yaml": EXT_TEMPLATE, "src/app.js": NODE_APP,
                               "layer/extensions/dbg-ext": EXT}) as d:
            os.chmod(os.path.join(d, "layer", "extensions", "dbg-ext"), 0o755)
            srv = Server(d, "-d", str(port))
            try:
                results = {}
                first = srv.get_async("ann", results)
                ins = Inspector(port)
                ins.call("Debugger.enable")
                ins.call("Runtime.runIfWaitingForDebugger")
                ins.event("Debugger.paused")  # --inspect-brk's stop at the shim's first line
                ins.call("Debugger.resume")
                first.join(30)
                self.assertTrue(results.get("ann", "").startswith("hi ann"), results)
                deadline = time.time() + 20  # the answer does not wait for the extension
                while "REPORT" not in srv.stderr() and time.time() < deadline:
                    time.sleep(0.05)
                said = srv.stderr()
                self.assertRegex(said, r"EXT registered [0-9a-f-]{36}")
                self.assertRegex(said, r'EXT got \{"eventType":"INVOKE"')
            except BaseException:
                print(srv.stderr())
                raise
            finally:
                srv.stop()
            with open(os.path.join(d, "stderr.log")) as f:
                self.assertIn('"eventType":"SHUTDOWN"', f.read())

    def test_breakpoint_twice_on_one_warm_instance(self):
        port = lambtest.free_port()
        with lambtest.project({"template.yaml": TEMPLATE.format(runtime="nodejs20.x"),
                               "src/app.js": NODE_APP}) as d:
            srv = Server(d, "-d", str(port))
            try:
                self._session(srv, port)
            except BaseException:
                print(srv.stderr())
                raise
            finally:
                srv.stop()

    def _paused_locals(self, ins):
        while True:
            ev = ins.event("Debugger.paused")
            frame = ev["params"]["callFrames"][0]
            if ev["params"].get("hitBreakpoints"):
                break
            ins.call("Debugger.resume")  # --inspect-brk's stop at the shim's first line
        scope = next(s for s in frame["scopeChain"] if s["type"] == "local")
        props = ins.call("Runtime.getProperties", objectId=scope["object"]["objectId"], ownProperties=True)
        return frame, {p["name"]: p["value"].get("value") for p in props["result"]}

    def _session(self, srv, port):
        results = {}
        first = srv.get_async("ann", results)
        ins = Inspector(port)
        ins.call("Debugger.enable")
        ins.call("Debugger.setBreakpointByUrl", lineNumber=NODE_LINE, urlRegex=r"app\.js$")
        ins.call("Runtime.runIfWaitingForDebugger")
        frame, local = self._paused_locals(ins)
        self.assertEqual(frame["location"]["lineNumber"], NODE_LINE)
        self.assertEqual(local["who"], "ann")
        time.sleep(1.5)  # past the Timeout of 1 s: suspended while held
        srv.get_async("bob", results).join(30)
        self.assertTrue(results["bob"].startswith("hi bob"), results)
        ins.call("Debugger.resume")
        first.join(30)
        self.assertTrue(results["ann"].startswith("hi ann"), results)
        pid = results["ann"].rsplit(" ", 1)[1]
        second = srv.get_async("cy", results)
        frame, local = self._paused_locals(ins)
        self.assertEqual(local["who"], "cy")
        ins.call("Debugger.resume")
        second.join(30)
        self.assertEqual(results["cy"], f"hi cy from {pid}")


if __name__ == "__main__":
    lambtest.main()
