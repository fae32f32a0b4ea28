"""runtime/node/bootstrap.js against a fake Runtime API: async, callback and sync handlers,
CommonJS and ES modules, sub-folders, the context object, error shapes, init failures,
console output, NODE_PATH, and one keep-alive connection. Skipped when node is missing."""
import json
import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from fake_runtime_api import RuntimeProcess  # noqa: E402

BOOTSTRAP = os.path.join(lambtest.SOURCE_ROOT, "runtime", "node", "bootstrap.js")
NODE = shutil.which("node") or shutil.which("nodejs")

APP_JS = r'''
exports.echo = async (event) => ({ event, greeting: process.env.GREETING });

exports.ctx = async (event, context) => ({
  awsRequestId: context.awsRequestId,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  invokedFunctionArn: context.invokedFunctionArn,
  memoryLimitInMB: context.memoryLimitInMB,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  remaining: context.getRemainingTimeInMillis(),
  waits: context.callbackWaitsForEmptyEventLoop,
  identity: context.identity === undefined ? 'undefined' : context.identity,
  clientContext: context.clientContext === undefined ? 'undefined' : context.clientContext,
  trace: process.env._X_AMZN_TRACE_ID,
});

exports.fail = async (event) => { throw new TypeError(`bad input: ${event.x}`); };
exports.failWide = async (event) => { throw new RangeError(`wide: ${event.u}`); };
exports.syncThrow = (event) => { throw new Error('sync boom'); };
exports.rejectString = async () => { throw 'plain string'; };

exports.callback = (event, context, callback) => {
  setTimeout(() => callback(null, { via: 'callback', n: event.n }), 10);
};
exports.callbackError = (event, context, callback) => callback(new RangeError('cb error'));

let timerFired = 0;
exports.waits = (event, context, callback) => {
  setTimeout(() => { timerFired = Date.now(); }, 400);
  callback(null, 'early');
};
exports.firedAt = async () => timerFired;
exports.noWait = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => {}, 1500);
  callback(null, 'no wait');
};
exports.syncReturn = () => 'ignored';
exports.undef = async () => undefined;
exports.circular = async () => { const o = {}; o.o = o; return o; };
exports.legacy = (event, context) => { context.succeed({ legacy: true }); };

exports.logs = async (event) => {
  console.log('logged %d', event.n);
  console.error('an error line');
  process.stdout.write('raw stdout\n');
  return 'ok';
};
exports.pid = async () => process.pid;
exports.layer = async () => require('layermod').value;
exports.uncaught = (event, context, callback) => {
  setTimeout(() => { throw new Error('from a timer'); }, 5);
};
exports.nested = { deeper: { fn: async () => 'nested' } };
exports.rejectLater = async () => {
  Promise.reject(new RangeError('nobody waits'));
  return new Promise((resolve) => setTimeout(() => resolve('late'), 2000));
};
'''

ESM = '''
const started = await Promise.resolve('top-level await works');
export const handler = async (event, context) => ({ esm: true, started, id: context.awsRequestId });
'''


@unittest.skipIf(NODE is None, "node is not installed")
class NodeRuntime(unittest.TestCase):
    def start(self, handler, files=None, env=None, **kw):
        files = files if files is not None else {"app.js": APP_JS}
        self.dir = lambtest.project(files)
        self.addCleanup(self.dir.cleanup)
        rt = RuntimeProcess([NODE, BOOTSTRAP], handler, self.dir.name, env, **kw)
        self.addCleanup(rt.close)
        return rt

    def invoke_ok(self, rt, event=None, **kw):
        out = rt.invoke({} if event is None else event, **kw)
        self.assertEqual(out.kind, "response", (out, rt.stdout(), rt.stderr()))
        return out.json()

    def test_round_trip(self):
        rt = self.start("app.echo", env={"GREETING": "hi"})
        event = {"a": [1, 2, {"b": None}], "u": "\u00e9\u4e2d"}
        self.assertEqual(self.invoke_ok(rt, event), {"event": event, "greeting": "hi"})
        big = {"blob": "y" * (3 * 1024 * 1024)}
        self.assertEqual(self.invoke_ok(rt, big)["event"], big)

    def test_context(self):
        rt = self.start("app.ctx", memory=512, function_name="NodeFn")
        got = self.invoke_ok(rt, timeout_s=5)
        self.assertEqual(got["functionName"], "NodeFn")
        self.assertEqual(got["functionVersion"], "$LATEST")
        self.assertEqual(got["memoryLimitInMB"], "512")
        self.assertEqual(got["logGroupName"], "/aws/lambda/NodeFn")
        self.assertTrue(got["logStreamName"])
        self.assertEqual(got["invokedFunctionArn"], rt.api.arn)
        self.assertRegex(got["awsRequestId"], r"^[0-9a-f-]{36}$")
        self.assertTrue(3000 < got["remaining"] <= 5000, got["remaining"])
        self.assertIs(got["waits"], True)
        self.assertEqual(got["identity"], "undefined")
        self.assertEqual(got["clientContext"], "undefined")
        self.assertTrue(got["trace"].startswith("Root=1-"))
        cc = {"client": {"installation_id": "i"}, "custom": {"k": "v"}, "env": {}}
        got = self.invoke_ok(rt, client_context=cc,
                             identity={"cognitoIdentityId": "id1",
                                       "cognitoIdentityPoolId": "pool1"})
        self.assertEqual(got["identity"], {"cognitoIdentityId": "id1",
                                           "cognitoIdentityPoolId": "pool1"})
        self.assertEqual(got["clientContext"], cc)

    def test_function_errors(self):
        rt = self.start("app.fail")
        err = rt.invoke({"x": 3})
        self.assertEqual(err.kind, "error")
        body = err.json()
        self.assertEqual(body["errorType"], "TypeError")
        self.assertEqual(body["errorMessage"], "bad input: 3")
        self.assertEqual(body["trace"][0], "TypeError: bad input: 3")
        self.assertTrue(any("app.js" in line for line in body["trace"]), body["trace"])
        self.assertIn("Invoke Error", rt.stdout())
        self.assertEqual(rt.invoke({"x": 4}).json()["errorMessage"], "bad input: 4")
        for handler, etype, message in (("app.syncThrow", "Error", "sync boom"),
                                        ("app.rejectString", "string", "plain string"),
                                        ("app.callbackError", "RangeError", "cb error"),
                                        ("app.circular", "Runtime.MarshalError", None)):
            with self.subTest(handler=handler):
                out = self.start(handler).invoke({})
                self.assertEqual(out.kind, "error")
                self.assertEqual(out.json()["errorType"], etype)
                if message:
                    self.assertEqual(out.json()["errorMessage"], message)

    def test_answer_bytes(self):
        # Content-Length counts UTF-8 bytes (an all-ASCII answer goes out as one string, any
        # other with its body encoded apart), and /error carries the error type's header.
        rt = self.start("app.echo")
        for event in ({"u": "plain"}, {"u": "\u00e9\u4e2d\U0001F600"}):
            out = rt.invoke(event)
            self.assertEqual(out.kind, "response", out)
            self.assertEqual(out.body, json.dumps({"event": event}, ensure_ascii=False,
                                                  separators=(",", ":")).encode())
        rt = self.start("app.failWide")
        for u in ("plain", "\u00e9\u4e2d\U0001F600"):
            out = rt.invoke({"u": u})
            self.assertEqual(out.kind, "error", out)
            self.assertEqual(out.headers.get("Lambda-Runtime-Function-Error-Type"), "RangeError")
            self.assertEqual(out.json()["errorMessage"], "wide: " + u)

    def test_callback_handlers(self):
        rt = self.start("app.callback")
        self.assertEqual(self.invoke_ok(rt, {"n": 1}), {"via": "callback", "n": 1})
        self.assertEqual(self.invoke_ok(rt, {"n": 2}), {"via": "callback", "n": 2})
        rt = self.start("app.legacy")
        self.assertEqual(self.invoke_ok(rt), {"legacy": True})

    def test_callback_handlers_by_runtime_version(self):
        rt = self.start("app.callback", env={"AWS_EXECUTION_ENV": "AWS_Lambda_nodejs22.x"})
        self.assertEqual(self.invoke_ok(rt, {"n": 1})["via"], "callback")
        self.assertRegex(rt.stdout(), r"\tundefined\tWARN\tWARN: AWS Lambda has removed support "
                                      r"for callback-based function handlers")
        rt = self.start("app.callback", env={"AWS_EXECUTION_ENV": "AWS_Lambda_nodejs22.x",
                                             "AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING": "1"})
        self.assertEqual(self.invoke_ok(rt, {"n": 1})["via"], "callback")
        self.assertNotIn("WARN", rt.stdout())
        for handler in ("app.callback", "app.legacy3"):
            with self.subTest(handler=handler):
                files = {"app.js": APP_JS + "exports.legacy3 = async (e, c, cb) => 1;\n"}
                rt = self.start(handler, files, env={"AWS_EXECUTION_ENV": "AWS_Lambda_nodejs24.x"})
                out = rt.invoke({})
                self.assertEqual(out.kind, "init_error")
                self.assertEqual(out.json()["errorType"], "Runtime.CallbackHandlerDeprecated")
                self.assertIn("starting with Node.js 24", out.json()["errorMessage"])
        rt = self.start("app.echo", env={"AWS_EXECUTION_ENV": "AWS_Lambda_nodejs24.x"})
        self.assertEqual(self.invoke_ok(rt)["event"], {})

    def test_callback_waits_for_empty_event_loop(self):
        rt = self.start("app.waits")
        t0 = time.monotonic()
        self.assertEqual(self.invoke_ok(rt), "early")
        self.assertGreaterEqual(time.monotonic() - t0, 0.35)
        rt = self.start("app.noWait")
        t0 = time.monotonic()
        self.assertEqual(self.invoke_ok(rt), "no wait")
        self.assertLess(time.monotonic() - t0, 1.2)

    def test_sync_return_and_undefined_are_null(self):
        self.assertEqual(self.start("app.syncReturn").invoke({}).body, b"null")
        self.assertEqual(self.start("app.undef").invoke({}).body, b"null")

    def test_esm_and_cjs_variants(self):
        esm = {"esm": True, "started": "top-level await works"}
        cases = {
            "mjs": ({"app.mjs": ESM}, "app.handler", esm),
            "type-module": ({"package.json": '{"type": "module"}', "app.js": ESM},
                            "app.handler", esm),
            "nested-type-module": ({"package.json": '{"type": "module"}',
                                    "src/fn/index.js": ESM}, "src/fn/index.handler", esm),
            "cjs": ({"app.cjs": "exports.handler = async () => ({esm: false});\n"},
                    "app.handler", {"esm": False}),
            "subfolder": ({"src/handlers/app.js": APP_JS}, "src/handlers/app.echo",
                          {"event": {}}),
            "nested-property": ({"app.js": APP_JS}, "app.nested.deeper.fn", "nested"),
        }
        for name, (files, handler, want) in cases.items():
            with self.subTest(case=name):
                got = self.invoke_ok(self.start(handler, files))
                if isinstance(got, dict):
                    got.pop("id", None)
                self.assertEqual(got, want)

    def assert_init_error(self, handler, files, error_type, message=None):
        rt = self.start(handler, files)
        out = rt.invoke({})
        self.assertEqual(out.kind, "init_error", (out, rt.stdout(), rt.stderr()))
        body = out.json()
        self.assertEqual(body["errorType"], error_type)
        if message is not None:
            self.assertEqual(body["errorMessage"], message)
        self.assertIsInstance(body["trace"], list)
        self.rt_exit = rt.wait_exit()
        self.assertNotEqual(self.rt_exit, 0)
        return body

    def test_init_errors(self):
        body = self.assert_init_error("nope.handler", {"app.js": APP_JS},
                                      "Runtime.ImportModuleError")
        self.assertTrue(body["errorMessage"].startswith("Error: Cannot find module 'nope'"),
                        body["errorMessage"])
        body = self.assert_init_error("app.handler", {"app.js": "require('not-installed');"},
                                      "Runtime.ImportModuleError")
        self.assertIn("Cannot find module 'not-installed'", body["errorMessage"])
        body = self.assert_init_error("app.handler", {"app.mjs": "import 'not-installed';"},
                                      "Runtime.ImportModuleError")
        self.assertIn("not-installed", body["errorMessage"])
        self.assert_init_error("app.nope", {"app.js": APP_JS}, "Runtime.HandlerNotFound",
                               "app.nope is undefined or not exported")
        self.assert_init_error("app.handler", {"app.js": "exports.handler = 42;"},
                               "Runtime.HandlerNotFound", "app.handler is not a function")
        body = self.assert_init_error("app.handler", {"app.js": "exports.handler = () => {;"},
                                      "Runtime.UserCodeSyntaxError")
        self.assertTrue(body["errorMessage"].startswith("SyntaxError: "))
        self.assert_init_error("app.handler", {"app.mjs": "export const handler = ) =>;"},
                               "Runtime.UserCodeSyntaxError")
        self.assert_init_error("app", {"app.js": APP_JS}, "Runtime.MalformedHandlerName")
        self.assert_init_error("app.handler", {"app.js": "throw new RangeError('at load');"},
                               "RangeError", "at load")

    def test_uncaught_exception_fails_invocation(self):
        rt = self.start("app.uncaught")
        out = rt.invoke({})
        self.assertEqual(out.kind, "error")
        self.assertEqual(out.json()["errorMessage"], "from a timer")
        self.assertEqual(rt.wait_exit(), 129)

    def test_unhandled_rejection_fails_invocation_and_init(self):
        """As AWS's client (Errors.js, Runtime.js, index.mjs): its own error
        type, the reason as a string, exit status 128; the same at init."""
        rt = self.start("app.rejectLater")
        out = rt.invoke({})
        self.assertEqual(out.kind, "error", (out, rt.stderr()))
        body = out.json()
        self.assertEqual((body["errorType"], body["errorMessage"]),
                         ("Runtime.UnhandledPromiseRejection", "RangeError: nobody waits"))
        self.assertEqual(rt.wait_exit(), 128)
        body = self.assert_init_error("app.handler", {"app.js": "Promise.reject('at load');\n"
                                                      "exports.handler = async () => 1;"},
                                      "Runtime.UnhandledPromiseRejection", "at load")
        self.assertEqual(self.rt_exit, 128)

    def test_console(self):
        rt = self.start("app.logs")
        inv = rt.api.submit({"n": 5})
        self.assertEqual(rt.api.wait(inv, alive=rt.alive).json(), "ok")
        out = rt.stdout()
        self.assertRegex(out, r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t%s\tINFO\tlogged 5\n"
                         % inv.id)
        self.assertRegex(out, r"\t%s\tERROR\tan error line\n" % inv.id)
        self.assertIn("raw stdout\n", out)

    def test_json_log_format_and_levels(self):
        rt = self.start("app.logs", env={"AWS_LAMBDA_LOG_FORMAT": "JSON"})
        inv = rt.api.submit({"n": 5})
        self.assertEqual(rt.api.wait(inv, alive=rt.alive).json(), "ok")
        records = [json.loads(line) for line in rt.stdout().splitlines() if line.startswith("{")]
        self.assertEqual([(r["level"], r["message"]) for r in records],
                         [("INFO", "logged 5"), ("ERROR", "an error line")])
        self.assertEqual(records[0]["requestId"], inv.id)
        self.assertRegex(records[0]["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        rt = self.start("app.logs", env={"AWS_LAMBDA_LOG_FORMAT": "JSON",
                                         "AWS_LAMBDA_LOG_LEVEL": "ERROR"})
        self.assertEqual(self.invoke_ok(rt, {"n": 1}), "ok")
        self.assertNotIn("logged 1", rt.stdout())
        self.assertIn("an error line", rt.stdout())
        rt = self.start("app.fail", env={"AWS_LAMBDA_LOG_FORMAT": "JSON"})
        self.assertEqual(rt.invoke({"x": 1}).kind, "error")
        record = json.loads(rt.stdout().splitlines()[-1])
        # as AWS's client, console.error(error): the error is the message
        self.assertEqual((record["level"], record["message"]["errorType"]), ("ERROR", "TypeError"))
        self.assertRegex(record["requestId"], r"^[0-9a-f-]{36}$")
        self.assertIsInstance(record["message"]["stackTrace"], list)

    def test_node_path_layer(self):
        layer = lambtest.project({"nodejs/node_modules/layermod/index.js":
                                  "exports.value = 'from layer';\n"})
        self.addCleanup(layer.cleanup)
        rt = self.start("app.layer",
                        env={"NODE_PATH": os.path.join(layer.name, "nodejs", "node_modules")})
        self.assertEqual(self.invoke_ok(rt), "from layer")

    def test_chunked_answers_and_connection_close(self):
        for chunked, close in ((True, False), (False, True), (True, True)):
            with self.subTest(chunked=chunked, close=close):
                rt = self.start("app.echo")
                rt.api.chunked, rt.api.close_connections = chunked, close
                for n in range(3):
                    event = {"n": n, "pad": "z" * 5000}
                    self.assertEqual(self.invoke_ok(rt, event)["event"], event)
                if close:
                    # a connection for each /next and each answer; the /next
                    # after the last answer may or may not have connected yet
                    self.assertIn(rt.api.connections, (6, 7))
                else:
                    self.assertEqual(rt.api.connections, 1)

    def test_answer_and_next_in_one_write(self):
        # Each answer, response or error, goes out with the next GET /next behind it.
        rt = self.start("app.echo")
        for n in range(5):
            self.assertEqual(self.invoke_ok(rt, {"n": n})["event"], {"n": n})
        self.assertEqual(rt.api.pipelined, [True] * 5)
        self.assertEqual(rt.api.connections, 1)
        rt = self.start("app.fail")
        for n in range(3):
            self.assertEqual(rt.invoke({"x": n}).kind, "error")
        self.assertEqual(rt.api.pipelined, [True] * 3)
        rt = self.start("app.waits")  # answered once the event loop drained
        for n in range(2):
            self.invoke_ok(rt)
        self.assertEqual(rt.api.pipelined, [True] * 2)

    def test_server_closing_after_each_answer(self):
        # A server that closes the kept-alive connection after answering a POST, without a
        # Connection: close, drops the pipelined /next: it is asked for again, once.
        rt = self.start("app.echo")
        rt.api.drop_after_post = True
        for n in range(4):
            self.assertEqual(self.invoke_ok(rt, {"n": n})["event"], {"n": n})
        end = time.monotonic() + 5  # the /next after the last answer comes on a 5th connection
        while rt.api.connections < 5 and time.monotonic() < end:
            time.sleep(0.01)
        self.assertEqual(rt.api.connections, 5)
        self.assertEqual([m for m, _ in rt.api.requests].count("POST"), 4)

    def test_oversized_response_then_next_invocation(self):
        # 413 from the Runtime API fails that invocation; the instance carries on.
        rt = self.start("app.echo")
        out = rt.invoke({"blob": "x" * (6 * 1024 * 1024 + 200)})
        self.assertEqual(out.kind, "error")
        self.assertIn(b"ResponseSizeTooLarge", out.body)
        self.assertEqual(self.invoke_ok(rt, {"small": 1})["event"], {"small": 1})
        self.assertEqual(rt.api.connections, 1)

    def test_one_connection_reused(self):
        rt = self.start("app.pid")
        pids = {self.invoke_ok(rt) for _ in range(20)}
        self.assertEqual(len(pids), 1)
        self.assertEqual(rt.api.connections, 1)
        rt = self.start("app.callback")
        for n in range(5):
            self.invoke_ok(rt, {"n": n})
        self.assertEqual(rt.api.connections, 1)

    def test_hello_node_sample(self):
        sample = os.path.join(lambtest.SOURCE_ROOT, "sample-functions", "hello-node")
        with open(os.path.join(sample, "events", "event.json"), "rb") as f:
            event = f.read()
        rt = RuntimeProcess([NODE, BOOTSTRAP], "app.lambdaHandler",
                            os.path.join(sample, "hello-world"), {"GREETING": "hey"})
        self.addCleanup(rt.close)
        got = self.invoke_ok(rt, event)
        self.assertEqual(got["statusCode"], 200)
        self.assertEqual(json.loads(got["body"])["message"], "hey world")
        self.assertIn("INFO\thandling GET /hello", rt.stdout())
        r = lambtest.run("validate", cwd=sample)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    lambtest.main()
