"""The language shims end to end through `lamb local invoke`: the hello-python, hello-node and
bash-tutorial samples, warm reuse with --repeat, function errors and init errors as the caller
sees them, and the function's logs on stderr."""
import json
import tempfile
import os
import re
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from lambtest import run, project  # noqa: E402

SAMPLES = os.path.join(lambtest.SOURCE_ROOT, "sample-functions")
NODE = shutil.which("node") or shutil.which("nodejs")


def template(runtime, handler, code_uri="src/", env=None):
    variables = ""
    if env:
        variables = "      Environment:\n        Variables:\n" + "".join(
            "          %s: %s\n" % kv for kv in env.items())
    return ("Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
            "    Type: AWS::Serverless::Function\n    Properties:\n"
            "      CodeUri: %s\n      Handler: %s\n      Runtime: %s\n      Timeout: 5\n%s"
            % (code_uri, handler, runtime, variables))


def reports(stderr):
    return re.findall(r"^REPORT RequestId: \S+\t.*$", stderr, re.M)


class Samples(unittest.TestCase):
    def invoke_sample(self, name, *args):
        d = os.path.join(SAMPLES, name)
        r = run("local", "invoke", "-e", "events/event.json", *args, cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("deprecated", r.stderr)  # the samples are on supported runtimes
        return r

    def test_hello_python(self):
        r = self.invoke_sample("hello-python")
        got = json.loads(r.stdout)
        self.assertEqual(got["statusCode"], 200)
        self.assertEqual(json.loads(got["body"]), {"message": "hello world"})
        self.assertEqual(len(reports(r.stderr)), 1)
        self.assertIn("Init Duration", r.stderr)

    @unittest.skipIf(NODE is None, "node is not installed")
    def test_hello_node(self):
        r = self.invoke_sample("hello-node")
        got = json.loads(r.stdout)
        self.assertEqual(got["statusCode"], 200)
        body = json.loads(got["body"])
        self.assertEqual(body["message"], "hello world")
        # The request id the handler saw is the one of START/END/REPORT.
        self.assertIn("START RequestId: %s " % body["requestId"], r.stderr)
        self.assertRegex(r.stderr, r"\t%s\tINFO\thandling GET /hello\n" % body["requestId"])

    @unittest.skipIf(shutil.which("curl") is None, "curl is not installed")
    def test_bash_tutorial(self):
        r = self.invoke_sample("bash-tutorial")
        self.assertEqual(json.loads(r.stdout)["message"], "hello from bash")
        self.assertIn("handling 37 bytes of event", r.stderr)

    @unittest.skipIf(shutil.which("curl") is None, "curl is not installed")
    def test_bash_tutorial_error(self):
        d = os.path.join(SAMPLES, "bash-tutorial")
        r = run("local", "invoke", "-e", "-", cwd=d, input='{"fail": true}')
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(json.loads(r.stdout)["errorType"], "HandlerError")

    def test_repeat_is_warm(self):
        for name in ("hello-python", "hello-node", "bash-tutorial"):
            if name == "hello-node" and NODE is None:
                continue
            with self.subTest(sample=name):
                r = self.invoke_sample(name, "--repeat", "3")
                self.assertEqual(len(r.stdout.splitlines()), 3, r.stdout)
                lines = reports(r.stderr)
                self.assertEqual(len(lines), 3, r.stderr)
                self.assertEqual(["Init Duration" in line for line in lines],
                                 [True, False, False])


PY_APP = '''
import logging, os
logging.getLogger().setLevel(logging.INFO)

def ok(event, context):
    print("print from", context.function_name)
    logging.info("log from %s", context.aws_request_id)
    return {"remaining_ok": 0 < context.get_remaining_time_in_millis() <= 5000,
            "memory": context.memory_limit_in_mb, "arn": context.invoked_function_arn,
            "env": os.environ.get("FOO")}

def fail(event, context):
    raise KeyError("missing")
'''

NODE_APP = '''
exports.ok = async (event, context) => {
  console.log('log from', context.awsRequestId);
  return { remainingOk: context.getRemainingTimeInMillis() > 0, memory: context.memoryLimitInMB,
           arn: context.invokedFunctionArn };
};
exports.cb = (event, context, callback) => callback(null, { callback: event });
exports.fail = async () => { throw new SyntaxError('not really'); };
'''


class Shims(unittest.TestCase):
    def lamb(self, files, *args, stdin=None):
        with project(files) as d:
            return run("local", "invoke", *args, cwd=d, input=stdin)

    def test_python_context_and_logs(self):
        r = self.lamb({"template.yaml": template("python3.11", "app.ok", env={"FOO": "bar"}),
                       "src/app.py": PY_APP})
        self.assertEqual(r.returncode, 0, r.stderr)
        got = json.loads(r.stdout)
        self.assertEqual(got["remaining_ok"], True)
        self.assertEqual(got["memory"], "128")  # a string, as AWS's client gives it
        self.assertTrue(got["arn"].startswith("arn:aws:lambda:"), got["arn"])
        self.assertTrue(got["arn"].endswith(":function:Fn"), got["arn"])
        self.assertEqual(got["env"], "bar")
        request_id = re.search(r"START RequestId: (\S+)", r.stderr).group(1)
        self.assertIn("print from Fn\n", r.stderr)
        self.assertRegex(r.stderr, r"\[INFO\]\t\S+\t%s\tlog from %s\n" % (request_id, request_id))

    def test_unusable_versioned_interpreter_falls_back(self):
        # pyenv puts a python3.X shim on PATH for every version it knows, and
        # the shim refuses to run one that is not selected: lamb must fall
        # back to python3 with a warning, not fail with exit 127.
        with tempfile.TemporaryDirectory() as bindir:
            shim = os.path.join(bindir, "python3.13")
            with open(shim, "w") as f:
                f.write("#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n")
            os.chmod(shim, 0o755)
            # and no pyenv or asdf with a 3.13 installed behind the shim
            env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""), PYENV_ROOT=bindir,
                       ASDF_DATA_DIR=bindir)
            with project({"template.yaml": template("python3.13", "app.ok"), "src/app.py": PY_APP}) as d:
                r = run("local", "invoke", cwd=d, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("'python3.13' on PATH does not run", r.stderr)
        self.assertEqual(r.stderr.count("lamb: warning:"), 1, r.stderr)
        self.assertNotIn("pyenv: python3.13", r.stderr)

    def test_fallback_warning_once_per_run(self):
        """Two functions of the runtime behind start-api: one warning."""
        import http.client
        import signal
        import subprocess
        import time
        two = ("Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Runtime: python3.13\n"
               "    CodeUri: src/\n    Handler: web.ok\nResources:\n" + "".join(
                   f"  {n}:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n"
                   f"        G: {{Type: Api, Properties: {{Path: /{n}, Method: get}}}}\n" for n in ("a", "b")))
        with tempfile.TemporaryDirectory() as bindir, \
                project({"template.yaml": two, "src/web.py": "def ok(e, c):\n    return {'statusCode': 200}\n"}) as d:
            shim = os.path.join(bindir, "python3.13")
            with open(shim, "w") as f:
                f.write("#!/bin/sh\nexit 127\n")
            os.chmod(shim, 0o755)
            env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""), PYENV_ROOT=bindir,
                       ASDF_DATA_DIR=bindir)
            log = open(os.path.join(d, "err.log"), "w+")
            self.addCleanup(log.close)
            proc = subprocess.Popen([lambtest.LAMB, "local", "start-api", "-p", "0"], cwd=d, env=env,
                                    stdout=subprocess.DEVNULL, stderr=log)
            try:
                port, deadline = None, time.time() + 20
                while port is None and time.time() < deadline and proc.poll() is None:
                    with open(log.name) as f:
                        m = re.search(r"serving http://127\.0\.0\.1:(\d+)", f.read())
                    port = m and int(m.group(1))
                    time.sleep(0.05)
                self.assertIsNotNone(port, open(log.name).read())
                for path in ("/a", "/b", "/a"):
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    c.request("GET", path)
                    self.assertEqual(c.getresponse().status, 200, path)
                    c.close()
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=15)
            with open(log.name) as f:
                text = f.read()
        self.assertEqual(text.count("lamb: warning:"), 1, text)
        self.assertIn("python3.13 functions run with", text)

    def test_python_function_error(self):
        r = self.lamb({"template.yaml": template("python3.11", "app.fail"), "src/app.py": PY_APP})
        self.assertEqual(r.returncode, 1, r.stderr)
        err = json.loads(r.stdout)
        self.assertEqual(err["errorType"], "KeyError")
        self.assertEqual(err["errorMessage"], "'missing'")
        self.assertIn("[ERROR] KeyError: 'missing'", r.stderr)

    def test_python_init_errors(self):
        for handler, files, error_type in (
                ("nope.handler", {}, "Runtime.ImportModuleError"),
                ("app.nope", {"src/app.py": PY_APP}, "Runtime.HandlerNotFound"),
                ("app.ok", {"src/app.py": "def ok(:\n"}, "Runtime.UserCodeSyntaxError")):
            with self.subTest(handler=handler):
                files = dict(files, **{"template.yaml": template("python3.11", handler)})
                files.setdefault("src/.keep", "")
                r = self.lamb(files)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertEqual(json.loads(r.stdout)["errorType"], error_type, r.stdout)

    @unittest.skipIf(NODE is None, "node is not installed")
    def test_node_context_callback_and_errors(self):
        files = {"src/app.js": NODE_APP}
        r = self.lamb(dict(files, **{"template.yaml": template("nodejs20.x", "app.ok")}))
        self.assertEqual(r.returncode, 0, r.stderr)
        got = json.loads(r.stdout)
        self.assertEqual(got["memory"], "128")
        self.assertEqual(got["remainingOk"], True)
        self.assertTrue(got["arn"].endswith(":function:Fn"), got["arn"])
        r = self.lamb(dict(files, **{"template.yaml": template("nodejs20.x", "app.cb")}),
                      "-e", "-", stdin='{"a": 1}')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {"callback": {"a": 1}})
        r = self.lamb(dict(files, **{"template.yaml": template("nodejs20.x", "app.fail")}))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(json.loads(r.stdout)["errorType"], "SyntaxError")
        r = self.lamb(dict(files, **{"template.yaml": template("nodejs20.x", "app.nope")}))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(json.loads(r.stdout)["errorType"], "Runtime.HandlerNotFound")

    def test_layers_reach_python_and_node(self):
        files = {
            "template.yaml": LAYER_TEMPLATE,
            "layer/python/laymod.py": "VALUE = 'py layer'\n",
            "layer/nodejs/node_modules/laymod/index.js": "exports.value = 'node layer';\n",
            "src/app.py": "import laymod\ndef handler(e, c):\n    return laymod.VALUE\n",
            "src/app.js": "exports.handler = async () => require('laymod').value;\n",
        }
        for fn, want in (("Py", "py layer"), ("Node", "node layer")):
            if fn == "Node" and NODE is None:
                continue
            with self.subTest(function=fn):
                r = self.lamb(files, fn)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(json.loads(r.stdout), want)


LAYER_TEMPLATE = """Transform: AWS::Serverless-2016-10-31
Resources:
  Layer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  Py:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Layers: [!Ref Layer]
  Node:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: nodejs20.x
      Layers: [!Ref Layer]
"""


if __name__ == "__main__":
    lambtest.main()
