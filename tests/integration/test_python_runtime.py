"""runtime/python/bootstrap.py against a fake Runtime API: round trips, handler lookup, the
context object, error shapes, init failures, logs, one keep-alive connection; then a short
round trip on every python3.8 ... python3.14 interpreter this machine has."""
import glob
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from fake_runtime_api import RuntimeProcess  # noqa: E402

BOOTSTRAP = os.path.join(lambtest.SOURCE_ROOT, "runtime", "python", "bootstrap.py")

APP = '''
import json, logging, os, time
logger = logging.getLogger()
logger.setLevel(logging.INFO)
STARTED = time.time()

def echo(event, context):
    return {"event": event, "greeting": os.environ.get("GREETING")}

def ctx(event, context):
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "identity_id": context.identity.cognito_identity_id,
        "identity_pool": context.identity.cognito_identity_pool_id,
        "client_context": None if context.client_context is None else {
            "installation_id": context.client_context.client.installation_id,
            "custom": context.client_context.custom,
            "env": context.client_context.env},
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
    }

def fail(event, context):
    raise ValueError("bad input: %s" % event.get("x"))

class CustomError(Exception):
    pass

def custom(event, context):
    helper()

def helper():
    raise CustomError("deep")

def none(event, context):
    return None

def text(event, context):
    return "hello \u00e9"

def unserialisable(event, context):
    return {"s": {1, 2}}

def decimal(event, context):
    import decimal
    return {"i": decimal.Decimal("3"), "f": decimal.Decimal("1.5")}

def logs(event, context):
    print("printed line", event["n"])
    print("no newline", end="")
    logger.info("logged info %s", event["n"])
    logging.getLogger("child").warning("child warning")
    return "ok"

def pid(event, context):
    return os.getpid()

def paths(event, context):
    import layer_mod
    return layer_mod.VALUE
'''

SUB = '''
def handler(event, context):
    return {"where": __name__}
'''


class PythonRuntime(unittest.TestCase):
    python = sys.executable

    def start(self, handler, files=None, env=None, **kw):
        files = files if files is not None else {"app.py": APP}
        self.dir = lambtest.project(files)
        self.addCleanup(self.dir.cleanup)
        rt = RuntimeProcess([self.python, BOOTSTRAP], handler, self.dir.name, env, **kw)
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
        self.assertEqual(self.invoke_ok(rt, [1, "x"])["event"], [1, "x"])

    def test_large_event(self):
        rt = self.start("app.echo")
        event = {"blob": "x" * (3 * 1024 * 1024)}
        self.assertEqual(self.invoke_ok(rt, event)["event"], event)

    def test_none_and_string_results(self):
        rt = self.start("app.none")
        self.assertEqual(rt.invoke({}).body, b"null")
        rt = self.start("app.text")
        self.assertEqual(self.invoke_ok(rt), "hello \u00e9")

    def test_decimal_result(self):
        rt = self.start("app.decimal")
        self.assertEqual(self.invoke_ok(rt), {"i": 3, "f": 1.5})

    def test_handler_in_subfolder_and_package(self):
        files = {"app.py": APP, "pkg/sub/mod.py": SUB, "pkg/__init__.py": "",
                 "src/handlers/plain.py": SUB}
        for handler, name in (("pkg/sub/mod.handler", "pkg.sub.mod"),
                              ("pkg.sub.mod.handler", "pkg.sub.mod"),
                              ("src/handlers/plain.handler", "src.handlers.plain")):
            with self.subTest(handler=handler):
                rt = self.start(handler, files)
                self.assertEqual(self.invoke_ok(rt), {"where": name})

    def test_context(self):
        rt = self.start("app.ctx", memory=256, function_name="MyFn")
        got = self.invoke_ok(rt, timeout_s=5)
        self.assertEqual(got["function_name"], "MyFn")
        self.assertEqual(got["function_version"], "$LATEST")
        self.assertEqual(got["memory_limit_in_mb"], "256")  # a string, as AWS's client gives it
        self.assertEqual(got["log_group_name"], "/aws/lambda/MyFn")
        self.assertTrue(got["log_stream_name"])
        self.assertEqual(got["invoked_function_arn"], rt.api.arn)
        self.assertRegex(got["aws_request_id"], r"^[0-9a-f-]{36}$")
        self.assertTrue(3000 < got["remaining"] <= 5000, got["remaining"])
        self.assertIsNone(got["identity_id"])
        self.assertIsNone(got["client_context"])
        self.assertTrue(got["trace"].startswith("Root=1-"))
        got = self.invoke_ok(rt, timeout_s=1,
                             client_context={"client": {"installation_id": "inst"},
                                             "custom": {"k": "v"}, "env": {"platform": "x"}},
                             identity={"cognitoIdentityId": "id1",
                                       "cognitoIdentityPoolId": "pool1"})
        self.assertTrue(0 < got["remaining"] <= 1000, got["remaining"])
        self.assertEqual(got["identity_id"], "id1")
        self.assertEqual(got["identity_pool"], "pool1")
        self.assertEqual(got["client_context"], {"installation_id": "inst",
                                                 "custom": {"k": "v"},
                                                 "env": {"platform": "x"}})

    def test_function_error(self):
        rt = self.start("app.fail")
        inv = rt.api.submit({"x": 42})
        out = rt.api.wait(inv, alive=rt.alive)
        self.assertEqual(out.kind, "error")
        err = out.json()
        self.assertEqual(err["errorType"], "ValueError")
        self.assertEqual(err["errorMessage"], "bad input: 42")
        self.assertEqual(err["requestId"], inv.id)
        self.assertEqual(len(err["stackTrace"]), 1)
        self.assertRegex(err["stackTrace"][0],
                         r'^  File ".*app\.py", line \d+, in fail\n    raise ValueError')
        self.assertIn("[ERROR] ValueError: bad input: 42", rt.stdout())
        # The instance survives an error.
        self.assertEqual(rt.invoke({"x": 1}).json()["errorMessage"], "bad input: 1")

    def test_custom_error_stack(self):
        rt = self.start("app.custom")
        err = rt.invoke({}).json()
        self.assertEqual(err["errorType"], "CustomError")
        self.assertEqual(err["errorMessage"], "deep")
        self.assertEqual([s.split(", in ")[1].split("\n")[0] for s in err["stackTrace"]],
                         ["custom", "helper"])
        self.assertNotIn("bootstrap.py", "".join(err["stackTrace"]))
        self.assertNotIn("lamb_runtime.py", "".join(err["stackTrace"]))

    def test_marshal_error(self):
        rt = self.start("app.unserialisable")
        out = rt.invoke({})
        self.assertEqual(out.kind, "error")
        self.assertEqual(out.json()["errorType"], "Runtime.MarshalError")
        self.assertIn("Unable to marshal response: Object of type set is not JSON serializable",
                      out.json()["errorMessage"])

    def test_unmarshal_error(self):
        rt = self.start("app.echo")
        out = rt.invoke(b"{not json")
        self.assertEqual(out.kind, "error")
        self.assertEqual(out.json()["errorType"], "Runtime.UnmarshalError")

    def assert_init_error(self, handler, files, error_type, message):
        rt = self.start(handler, files)
        out = rt.invoke({})
        self.assertEqual(out.kind, "init_error", (out, rt.stdout(), rt.stderr()))
        err = out.json()
        self.assertEqual(err["errorType"], error_type)
        if message is not None:
            self.assertEqual(err["errorMessage"], message)
        self.assertEqual(err["requestId"], "")
        self.assertIsInstance(err["stackTrace"], list)
        self.assertNotEqual(rt.wait_exit(), 0)
        self.assertIn("[ERROR] " + error_type, rt.stdout())
        return err

    def test_import_module_error(self):
        self.assert_init_error("nope.handler", {"app.py": APP}, "Runtime.ImportModuleError",
                               "Unable to import module 'nope': No module named 'nope'")
        self.assert_init_error("app.handler", {"app.py": "import not_installed_dep\n"},
                               "Runtime.ImportModuleError",
                               "Unable to import module 'app': "
                               "No module named 'not_installed_dep'")

    def test_handler_not_found(self):
        self.assert_init_error("app.nope", {"app.py": APP}, "Runtime.HandlerNotFound",
                               "Handler 'nope' missing on module 'app'")

    def test_syntax_error(self):
        err = self.assert_init_error("app.handler", {"app.py": "def handler(:\n  pass\n"},
                                     "Runtime.UserCodeSyntaxError", None)
        self.assertTrue(err["errorMessage"].startswith("Syntax error in module 'app': "),
                        err["errorMessage"])
        self.assertIn("app.py", err["stackTrace"][0])

    def test_malformed_handler(self):
        self.assert_init_error("app", {"app.py": APP}, "Runtime.MalformedHandlerName",
                               "Bad handler 'app': not enough values to unpack "
                               "(expected 2, got 1)")

    def test_exception_at_import(self):
        err = self.assert_init_error("app.handler", {"app.py": "x = {}['KEY']\n"},
                                     "KeyError", "'KEY'")
        self.assertIn("app.py", "".join(err["stackTrace"]))

    def test_print_and_logging(self):
        rt = self.start("app.logs")
        inv = rt.api.submit({"n": 7})
        self.assertEqual(rt.api.wait(inv, alive=rt.alive).json(), "ok")
        out = rt.stdout()
        self.assertIn("printed line 7\n", out)
        self.assertIn("no newline", out)  # flushed before the response was posted
        self.assertRegex(out, r"\[INFO\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t%s\t"
                         r"logged info 7\n" % inv.id)
        self.assertRegex(out, r"\[WARNING\]\t\S+\t%s\tchild warning\n" % inv.id)

    def test_log_level_env(self):
        rt = self.start("app.logs", files={"app.py": APP.replace("logger.setLevel", "str")},
                        env={"AWS_LAMBDA_LOG_LEVEL": "ERROR"})
        self.assertEqual(self.invoke_ok(rt, {"n": 1}), "ok")
        self.assertNotIn("child warning", rt.stdout())

    def test_logging_not_imported_unless_used(self):
        files = {"app.py": "import sys\ndef handler(e, c):\n"
                           "    return 'logging' in sys.modules\n"}
        rt = self.start("app.handler", files)
        self.assertIs(self.invoke_ok(rt), False)

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
        self.assertEqual(self.invoke_ok(self.start("app.none")), None)

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

    def test_json_log_format(self):
        app = APP + "\ndef exc(event, context):\n    try:\n        1 / 0\n    except ZeroDivisionError:\n" \
                    "        logging.getLogger('mine').exception('caught')\n    return 'ok'\n"
        rt = self.start("app.logs", files={"app.py": app.replace("logger.setLevel", "str")},
                        env={"AWS_LAMBDA_LOG_FORMAT": "JSON"})
        inv = rt.api.submit({"n": 3})
        self.assertEqual(rt.api.wait(inv, alive=rt.alive).json(), "ok")
        records = [json.loads(line[line.index('{"timestamp"'):])  # after "no newline"
                   for line in rt.stdout().splitlines() if '{"timestamp"' in line]
        self.assertEqual([(r["level"], r["message"], r["logger"]) for r in records],
                         [("INFO", "logged info 3", "root"),
                          ("WARNING", "child warning", "child")])  # INFO is the default level
        self.assertEqual(records[0]["requestId"], inv.id)
        self.assertRegex(records[0]["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertIn("printed line 3\n", rt.stdout())  # print stays plain text
        rt = self.start("app.exc", files={"app.py": app}, env={"AWS_LAMBDA_LOG_FORMAT": "JSON"})
        self.assertEqual(self.invoke_ok(rt), "ok")
        record = json.loads(rt.stdout().splitlines()[-1])
        self.assertEqual((record["level"], record["errorType"]), ("ERROR", "ZeroDivisionError"))
        self.assertIn("in exc", record["stackTrace"][0])
        rt = self.start("app.fail", env={"AWS_LAMBDA_LOG_FORMAT": "JSON"})
        self.assertEqual(rt.invoke({"x": 1}).kind, "error")
        record = json.loads(rt.stdout().splitlines()[-1])
        self.assertEqual((record["level"], record["errorType"]), ("ERROR", "ValueError"))
        self.assertRegex(record["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")  # AWS's: seconds

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
        # 20 /next and 20 answers; the /next after the last answer may or
        # may not have arrived when we count
        self.assertIn(len(rt.api.requests), (40, 41))

    def test_pythonpath_layer(self):
        layer = lambtest.project({"python/layer_mod.py": "VALUE = 'from layer'\n"})
        self.addCleanup(layer.cleanup)
        rt = self.start("app.paths",
                        env={"PYTHONPATH": os.path.join(layer.name, "python")})
        self.assertEqual(self.invoke_ok(rt), "from layer")

    def test_task_root_shadows_nothing_of_runtime(self):
        # A module named like the shim in the code dir is the function's, not lamb's.
        files = {"bootstrap.py": "def handler(e, c):\n    return 'mine'\n"}
        rt = self.start("bootstrap.handler", files)
        self.assertEqual(self.invoke_ok(rt), "mine")

    def test_hello_python_sample(self):
        sample = os.path.join(lambtest.SOURCE_ROOT, "sample-functions", "hello-python")
        with open(os.path.join(sample, "events", "event.json"), "rb") as f:
            event = f.read()
        rt = RuntimeProcess([self.python, BOOTSTRAP], "app.lambda_handler",
                            os.path.join(sample, "hello_world"), {"GREETING": "hey"})
        self.addCleanup(rt.close)
        got = self.invoke_ok(rt, event)
        self.assertEqual(got["statusCode"], 200)
        self.assertEqual(json.loads(got["body"]), {"message": "hey world"})


def interpreters():
    """Every python3.8 ... python3.14 found on PATH or under pyenv that actually runs."""
    found = {}
    roots = []
    if shutil.which("pyenv"):
        r = subprocess.run(["pyenv", "root"], capture_output=True, text=True)
        roots.append(r.stdout.strip())
    for minor in range(8, 15):
        name = "python3.%d" % minor
        candidates = [shutil.which(name)]
        for root in roots:
            candidates += sorted(glob.glob(os.path.join(root, "versions", "3.%d*" % minor,
                                                        "bin", name)))
        for c in candidates:
            if c and subprocess.run([c, "-c", "pass"], capture_output=True).returncode == 0:
                found[name] = c
                break
    return found


class Versions(unittest.TestCase):
    def test_every_interpreter(self):
        found = interpreters()
        if not found:
            self.skipTest("no python3.8 ... python3.14 interpreter found")
        print("interpreters: %s" % ", ".join(sorted(found)), file=sys.stderr)
        for name, path in sorted(found.items()):
            with self.subTest(python=name):
                d = lambtest.project({"app.py": APP, "pkg/sub/mod.py": SUB})
                self.addCleanup(d.cleanup)
                with RuntimeProcess([path, BOOTSTRAP], "app.echo", d.name) as rt:
                    out = rt.invoke({"v": name})
                    self.assertEqual(out.kind, "response", (out, rt.stderr()))
                    self.assertEqual(out.json()["event"], {"v": name})
                with RuntimeProcess([path, BOOTSTRAP], "app.fail", d.name) as rt:
                    self.assertEqual(rt.invoke({}).json()["errorType"], "ValueError")
                with RuntimeProcess([path, BOOTSTRAP], "pkg/sub/mod.handler", d.name) as rt:
                    self.assertEqual(rt.invoke({}).json(), {"where": "pkg.sub.mod"})
                with RuntimeProcess([path, BOOTSTRAP], "app.logs", d.name) as rt:
                    self.assertEqual(rt.invoke({"n": 1}).json(), "ok")
                    self.assertRegex(rt.stdout(), r"\[INFO\]\t\S+Z\t[0-9a-f-]{36}\tlogged info 1\n")
                with RuntimeProcess([path, BOOTSTRAP], "app.ctx", d.name) as rt:
                    self.assertEqual(rt.invoke({}, client_context={"client": {}, "custom": {}}).json()
                                     ["client_context"]["custom"], {})
                with RuntimeProcess([path, BOOTSTRAP], "app.missing", d.name) as rt:
                    self.assertEqual(rt.invoke({}).json()["errorType"], "Runtime.HandlerNotFound")


if __name__ == "__main__":
    lambtest.main()
