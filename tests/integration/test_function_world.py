"""The function's world is Lambda's (issue 13): the whole environment a
function sees (reserved variables, Lambda's PATH, LD_LIBRARY_PATH and
PYTHONPATH/NODE_PATH, the caller's credentials, the template's and
--env-vars' values, nothing else of the host) under invoke and start-api;
Python's sys.path in Lambda's order with no host site-packages, under
every command and with the sandbox on and off, boto3 still importable as
the runtime's; a layer's package imports; marshalling as AWS's runtime
interface clients do it, for Python and Node."""
import importlib.util
import json
import os
import shutil
import sys
import unittest

import lambtest
from test_start_api import Server as ApiServer
from test_start_lambda import Server as LambdaServer

LAYER_ARN = "arn:aws:lambda:us-east-1:123456789012:layer:world:1"
RUNTIME = f"python{sys.version_info[0]}.{sys.version_info[1]}"

TEMPLATE = f"""\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: src/
    Timeout: 10
    MemorySize: 1024
Resources:
  Py:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: {RUNTIME}
      Handler: app.handler
      Layers: [{LAYER_ARN}]
      Environment:
        Variables: {{FROM_TEMPLATE: template, PYTHONPATH_NOT: x}}
      Events:
        Get: {{Type: HttpApi, Properties: {{Path: /py, Method: post}}}}
  PyVendor:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: {RUNTIME}
      Handler: app.handler
      Environment: {{Variables: {{PYTHONPATH: /var/task/vendor}}}}
  Py312:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: python3.12, Handler: app.handler}}
  Node:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: nodejs20.x, Handler: app.handler, Layers: [{LAYER_ARN}]}}
  NodeStream:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: nodejs20.x, Handler: app.stream}}
  Node22:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: nodejs22.x, Handler: app.handler}}
"""

APP_PY = """\
import decimal, importlib, json, os, sys

def handler(event, context):
    if isinstance(event, dict) and "routeKey" in event:  # through start-api
        event = json.loads(event["body"])
    what = event.get("what") if isinstance(event, dict) else None
    if what == "env":
        return dict(os.environ)
    if what == "path":
        return sys.path
    if what == "import":
        try:
            mod = importlib.import_module(event["name"])
            return {"file": getattr(mod, "__file__", None)}
        except ImportError as e:
            return {"error": type(e).__name__, "message": str(e)}
    if what == "boto3":  # the runtime's boto3, with what it imports, makes a client
        try:
            import boto3
        except ImportError as e:
            return {"error": type(e).__name__, "message": str(e)}
        return {"file": boto3.__file__, "client": type(boto3.client("s3", region_name="us-east-1")).__name__}
    if what == "bytes":
        return b"raw, not JSON"
    if what == "decimal":
        return {"d": decimal.Decimal("1.10"), "big": decimal.Decimal("12345678901234567890.5"), "s": "caf\\u00e9"}
    if what == "context":
        return {"memory": context.memory_limit_in_mb, "has_tenant": hasattr(context, "tenant_id")}
    if what == "partial":
        sys.stderr.write("stderr without newline")
        print("stdout without newline", end="")
        return "ok"
    if what == "error":
        sys.stdout.write("last words")
        raise ValueError("broken")
    return event
"""

APP_JS = """\
exports.handler = async (event) => {
  if (event.what === 'never') return new Promise(() => {});
  if (event.what === 'log') { console.log('one\\ntwo'); return 'logged'; }
  if (event.what === 'paths') {
    return { NODE_PATH: process.env.NODE_PATH, global: require('module').globalPaths,
             rt: process.env.LAMBDA_RUNTIME_DIR, task: process.env.LAMBDA_TASK_ROOT,
             layer: require('worldmod').word };
  }
  if (event.what === 'require') {
    try { return { file: require.resolve(event.name) }; } catch (e) { return { error: e.code }; }
  }
  return event;
};
exports.stream = awslambda.streamifyResponse(async (event, responseStream) => {
  const s = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201 });
  s.write('streamed ');
  s.end('body');
});
"""

CREDS = {"AWS_ACCESS_KEY_ID": "AKIDWORLD", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
HOST = {"LAMB_WORLD_HOST_ONLY": "leak", "PYTHONPATH": "/host/pythonpath", "NODE_PATH": "/host/node"}
RESERVED = {"_HANDLER", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
            "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_REGION", "AWS_DEFAULT_REGION",
            "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ", "LANG", "PATH", "LD_LIBRARY_PATH", "PYTHONPATH",
            "_X_AMZN_TRACE_ID"}
# Set by the process itself, not by lamb: Python's C-locale coercion, bubblewrap's --chdir.
SELF_SET = {"LC_CTYPE", "PWD"}


def files():
    return {"template.yaml": TEMPLATE, "src/app.py": APP_PY, "src/app.js": APP_JS,
            "env.json": json.dumps({"Py": {"FROM_ENV_VARS": "env-vars"}}),
            "layer/python/worldlayer.py": "WORD = 'layer'\n", "src/vendor/vendored.py": "",
            "layer/nodejs/node_modules/worldmod/index.js": "exports.word = 'layer';\n"}


def host_only_module():
    """A module the test's Python can import from its site-packages that is
    neither the standard library nor one the runtime includes."""
    for name in ("yaml", "certifi", "idna", "requests", "packaging", "pytest", "moto", "pip"):
        spec = importlib.util.find_spec(name)
        if spec and spec.origin and ("site-packages" in spec.origin or "dist-packages" in spec.origin):
            return name
    return None


def env_of(extra=None):
    return dict(os.environ, **{"LAMB_PYTHON": sys.executable, **CREDS, **HOST, **(extra or {})})


def invoke(d, fn, event, *args, env=None):
    r = lambtest.run("local", "invoke", fn, "-e", "-", "--layer-dir", f"{LAYER_ARN}=layer",
                     "--env-vars", "env.json", *args, cwd=d.name, input=json.dumps(event),
                     env=env or env_of(), timeout=90)
    return r


def invoke_bytes(d, fn, event):
    """(stdout, stderr) as bytes: text mode would turn the \\r of a log
    record into a line break."""
    import subprocess
    r = subprocess.run([lambtest.LAMB, "local", "invoke", fn, "-e", "-", "--layer-dir", f"{LAYER_ARN}=layer"],
                       cwd=d.name,
                       input=json.dumps(event).encode(), capture_output=True, env=env_of(), timeout=90)
    return r.stdout, r.stderr


def result(r):
    if not r.stdout.strip():
        raise AssertionError(r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


class Environment(unittest.TestCase):
    def check_env(self, env, sandboxed):
        self.assertEqual(set(env) - SELF_SET, RESERVED | set(CREDS) | {"FROM_TEMPLATE", "PYTHONPATH_NOT",
                                                                        "FROM_ENV_VARS"})
        for k, v in CREDS.items():
            self.assertEqual(env[k], v)
        self.assertEqual((env["TZ"], env["LANG"], env["AWS_LAMBDA_INITIALIZATION_TYPE"]),
                         (":UTC", "en_US.UTF-8", "on-demand"))
        self.assertEqual(env["AWS_EXECUTION_ENV"], "AWS_Lambda_" + RUNTIME)
        self.assertEqual((env["FROM_TEMPLATE"], env["FROM_ENV_VARS"]), ("template", "env-vars"))
        self.assertEqual(env["PATH"].split(":")[1:], ["/usr/local/bin", "/usr/bin/", "/bin", "/opt/bin"]
                         if sandboxed else env["PATH"].split(":")[1:4] + [env["PATH"].split(":")[-1]])
        self.assertTrue(env["PATH"].split(":")[-1].endswith("/bin"))
        self.assertTrue(env["LD_LIBRARY_PATH"].startswith("/lib64:/usr/lib64:"), env["LD_LIBRARY_PATH"])
        self.assertTrue(env["LD_LIBRARY_PATH"].endswith(":/var/task/lib:/opt/lib") if sandboxed else
                        env["LD_LIBRARY_PATH"].endswith("/layer/lib"), env["LD_LIBRARY_PATH"])
        self.assertNotEqual(env["PYTHONPATH"], HOST["PYTHONPATH"])
        self.assertEqual(env["PYTHONPATH"], os.path.join(env["LAMBDA_RUNTIME_DIR"], "python"))
        self.assertEqual(env.get("LC_CTYPE", "C.UTF-8"), "C.UTF-8")

    def test_invoke(self):
        d = lambtest.project(files())
        r = invoke(d, "Py", {"what": "env"})
        env = result(r)
        self.check_env(env, env["LAMBDA_TASK_ROOT"] == "/var/task")
        r = invoke(d, "Py", {"what": "env"}, "--sandbox", "off")
        env = result(r)
        self.assertEqual(env["LAMBDA_TASK_ROOT"], os.path.realpath(os.path.join(d.name, "src")))
        self.check_env(env, False)

    def test_profile_credentials(self):
        """As SAM CLI: --profile's credentials (a shared credentials file
        here), over none in the shell, and its region."""
        d = lambtest.project(dict(files(), **{"aws/credentials": "[world]\naws_access_key_id = AKIDPROFILE\n"
                                                                "aws_secret_access_key = profile-secret\n"
                                                                "aws_session_token = profile-token\n",
                                              "aws/config": "[profile world]\nregion = eu-north-1\n"}))
        env = {k: v for k, v in env_of().items() if k not in CREDS and not k.startswith("AWS_")}
        env.update(AWS_SHARED_CREDENTIALS_FILE=os.path.join(d.name, "aws", "credentials"),
                   AWS_CONFIG_FILE=os.path.join(d.name, "aws", "config"))
        got = result(invoke(d, "Py", {"what": "env"}, "--profile", "world", env=env))
        self.assertEqual({k: got.get(k) for k in CREDS},
                         {"AWS_ACCESS_KEY_ID": "AKIDPROFILE", "AWS_SECRET_ACCESS_KEY": "profile-secret",
                          "AWS_SESSION_TOKEN": "profile-token"})
        self.assertEqual((got["AWS_REGION"], got["AWS_DEFAULT_REGION"]), ("eu-north-1", "eu-north-1"))

    def test_no_credentials_gives_sams_placeholders(self):
        """No credentials in the shell or a profile: SAM CLI's placeholders
        (defaultkey, defaultsecret, no session token), so that an SDK
        client still builds."""
        d = lambtest.project(files())
        env = {k: v for k, v in env_of().items() if k not in CREDS and not k.startswith("AWS_")}
        env.update(AWS_SHARED_CREDENTIALS_FILE="/nonexistent", AWS_CONFIG_FILE="/nonexistent")
        got = result(invoke(d, "Py", {"what": "env"}, env=env))
        self.assertEqual((got.get("AWS_ACCESS_KEY_ID"), got.get("AWS_SECRET_ACCESS_KEY")),
                         ("defaultkey", "defaultsecret"))
        self.assertNotIn("AWS_SESSION_TOKEN", got)

    def test_start_api(self):
        saved = dict(os.environ)
        os.environ.update(env_of())
        try:
            s = ApiServer(files(), "--env-vars", "env.json", "--layer-dir", f"{LAYER_ARN}=layer")
        finally:
            os.environ.clear()
            os.environ.update(saved)
        try:
            status, _, _, data = s.request("POST", "/py", body=json.dumps({"what": "env"}))
            self.assertEqual(status, 200, data)
            env = json.loads(data)
            self.check_env(env, env["LAMBDA_TASK_ROOT"] == "/var/task")
        finally:
            self.assertEqual(s.stop(), 0)


    def test_start_lambda(self):
        saved = dict(os.environ)
        os.environ.update(env_of())
        try:
            s = LambdaServer(files(), "--env-vars", "env.json", "--layer-dir", f"{LAYER_ARN}=layer")
        finally:
            os.environ.clear()
            os.environ.update(saved)
        try:
            status, _, data = s.invoke("Py", json.dumps({"what": "env"}).encode())
            self.assertEqual(status, 200, data)
            env = json.loads(data)
            self.check_env(env, env["LAMBDA_TASK_ROOT"] == "/var/task")
        finally:
            self.assertEqual(s.stop(), 0)


class Imports(unittest.TestCase):
    def test_sys_path(self):
        d = lambtest.project(files())
        version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        for sandbox in ("on", "off"):
            path = result(invoke(d, "Py", {"what": "path"}, "--sandbox", sandbox))
            task = path[0]
            self.assertEqual(task == "/var/task", sandbox == "on", path)
            opt = "/opt" if task == "/var/task" else os.path.realpath(os.path.join(d.name, "layer"))
            rt = os.path.join(lamb_runtime_dir(d), "python")
            self.assertEqual(path[:4], [task, f"{opt}/python/lib/{version}/site-packages", f"{opt}/python", rt],
                             sandbox)
            stdlib = path[4:]
            self.assertTrue(stdlib, path)
            for p in stdlib:
                self.assertNotIn("-packages", p, path)

    def test_template_pythonpath_applies(self):
        """The shell's PYTHONPATH is dropped, the template's applies: after
        what the runtime puts first (/var/task, /opt's), in the runtime
        directory's place, which follows it (on Lambda the template's
        PYTHONPATH replaces /var/runtime's)."""
        d = lambtest.project(files())
        path = result(invoke(d, "PyVendor", {"what": "path"}, "--sandbox", "on"))
        version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        self.assertEqual(path[:5], ["/var/task", f"/opt/python/lib/{version}/site-packages", "/opt/python",
                                    "/var/task/vendor", os.path.join(lamb_runtime_dir(d), "python")], path)
        self.assertNotIn(HOST["PYTHONPATH"], path)
        got = result(invoke(d, "PyVendor", {"what": "import", "name": "vendored"}, "--sandbox", "on"))
        self.assertEqual(got.get("file"), "/var/task/vendor/vendored.py", got)

    def test_host_package_is_not_importable(self):
        """Under invoke, start-api and start-lambda, with the sandbox on and
        off: the host's package is not there, the layer's is."""
        name = host_only_module()
        if not name:
            self.skipTest("the test's Python has no third-party package to try")
        d = lambtest.project(files())
        for sandbox in ("on", "off"):
            got = result(invoke(d, "Py", {"what": "import", "name": name}, "--sandbox", sandbox))
            self.assertEqual(got.get("error"), "ModuleNotFoundError", (sandbox, got))
            got = result(invoke(d, "Py", {"what": "import", "name": "worldlayer"}, "--sandbox", sandbox))
            self.assertIn("worldlayer.py", got.get("file") or "", (sandbox, got))
            saved = dict(os.environ)
            os.environ.update(env_of())
            try:
                api = ApiServer(files(), "--layer-dir", f"{LAYER_ARN}=layer", "--sandbox", sandbox)
                lam = LambdaServer(files(), "--layer-dir", f"{LAYER_ARN}=layer", "--sandbox", sandbox)
            finally:
                os.environ.clear()
                os.environ.update(saved)
            try:
                status, _, _, data = api.request("POST", "/py", body=json.dumps({"what": "import", "name": name}))
                self.assertEqual(json.loads(data).get("error"), "ModuleNotFoundError", (sandbox, data))
                status, _, _, data = api.request("POST", "/py", body=json.dumps({"what": "path"}))
                self.assertEqual(json.loads(data)[0] == "/var/task", sandbox == "on", (sandbox, data))
                status, _, data = lam.invoke("Py", json.dumps({"what": "import", "name": name}).encode())
                self.assertEqual(json.loads(data).get("error"), "ModuleNotFoundError", (sandbox, data))
                status, _, data = lam.invoke("Py", json.dumps({"what": "import", "name": "worldlayer"}).encode())
                self.assertIn("worldlayer.py", json.loads(data).get("file") or "", (sandbox, data))
            finally:
                self.assertEqual(api.stop(), 0)
                lam.stop()

    def test_boto3_is_the_runtimes(self):
        d = lambtest.project(files())
        for sandbox in ("on", "off"):
            r = invoke(d, "Py", {"what": "boto3"}, "--sandbox", sandbox)
            got = result(r)
            if importlib.util.find_spec("boto3"):
                self.assertIn("boto3", got.get("file") or "", (sandbox, got))
                self.assertEqual(got.get("client"), "S3", (sandbox, got))
                self.assertNotIn("has no boto3", r.stderr)
            else:
                self.assertEqual(got.get("error"), "ModuleNotFoundError", got)

    def test_venv_boto3_or_said_once(self):
        """lamb's interpreter in a virtual environment: the runtime's boto3 is
        the venv's, not its base interpreter's; a venv without one fails the
        import as a runtime without it would, and lamb says why once. The
        venv is under /tmp, which the sandbox replaces with the instance's
        own: lamb binds the interpreter's prefix, the venv, into it."""
        # the test's own Python, and Debian's, whose patched site.py lays out
        # site-packages as dist-packages for any prefix under -S
        pythons = [sys.executable] + [p for p in ("/usr/bin/python3",)
                                      if os.path.exists(p) and os.path.realpath(p) != os.path.realpath(sys.executable)]
        for python in pythons:
            with self.subTest(python=python):
                self.venv_boto3(python)

    def venv_boto3(self, python):
        import subprocess
        import tempfile
        version = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True).stdout.strip()
        with tempfile.TemporaryDirectory(prefix="lamb-test-venv-", dir="/tmp") as venv:
            r = subprocess.run([python, "-m", "venv", "--without-pip", venv], capture_output=True, text=True)
            if r.returncode != 0:
                self.skipTest("no venv here: " + r.stderr.strip()[-200:])
            d = lambtest.project(files())
            env = env_of({"LAMB_PYTHON": os.path.join(venv, "bin", "python")})
            for sandbox in ("on", "off"):
                r = invoke(d, "Py", {"what": "import", "name": "boto3"}, "--repeat", "2", "--sandbox", sandbox,
                           env=env)
                got = [json.loads(l) for l in r.stdout.strip().splitlines()]
                self.assertEqual([g.get("error") for g in got], ["ModuleNotFoundError"] * 2, (sandbox, r.stderr))
                self.assertEqual(r.stderr.count("has no boto3, which Lambda's Python runtimes include"), 1,
                                 (sandbox, r.stderr))
            site = os.path.join(venv, "lib", f"python{version}", "site-packages")
            os.makedirs(os.path.join(site, "boto3"))
            with open(os.path.join(site, "boto3", "__init__.py"), "w") as f:
                f.write("# the venv's\n")
            for sandbox in ("on", "off"):
                got = result(invoke(d, "Py", {"what": "import", "name": "boto3"}, "--sandbox", sandbox, env=env))
                self.assertEqual(got.get("file"), os.path.join(site, "boto3", "__init__.py"), (sandbox, got))


def lamb_runtime_dir(d):
    env = result(invoke(d, "Py", {"what": "env"}))
    return env["LAMBDA_RUNTIME_DIR"]


class PythonMarshalling(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = lambtest.project(files())

    def test_bytes_raw(self):
        r = invoke(self.d, "Py", {"what": "bytes"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "raw, not JSON")

    def test_decimal_digits_and_ascii(self):
        got = invoke(self.d, "Py", {"what": "decimal"}).stdout.strip().splitlines()[-1]
        self.assertIn('"d": 1.10', got)
        self.assertIn('"big": 12345678901234567890.5', got)
        self.assertIn('"s": "caf\\u00e9"', got)  # escaped before 3.12
        if True:  # the runtime decides, not the interpreter lamb found for it
            got = invoke(self.d, "Py312", {"what": "decimal"}).stdout.strip().splitlines()[-1]
            self.assertIn('"s": "caf\u00e9"', got)  # as AWS's client, from python3.12 on

    def test_context(self):
        self.assertEqual(result(invoke(self.d, "Py", {"what": "context"})), {"memory": "1024", "has_tenant": True})

    def test_partial_lines_end_with_the_invocation(self):
        """Issue 20: output without a trailing newline is the invocation's,
        before its END line, not lost or carried to the exit."""
        r = invoke(self.d, "Py", {"what": "partial"})
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stderr.splitlines()
        end = next(i for i, l in enumerate(lines) if l.startswith("END RequestId"))
        self.assertIn("stderr without newline", lines[:end])
        self.assertIn("stdout without newline", lines[:end])

    def test_error_log(self):
        _, err = invoke_bytes(self.d, "Py", {"what": "error"})
        line = next(l for l in err.decode().split("\n") if "[ERROR] ValueError: broken" in l)
        self.assertTrue(line.startswith("last words[ERROR] ValueError: broken\rTraceback (most recent call last):\r"),
                        repr(line))
        self.assertIn("\r\u00a0\u00a0File ", line)


@unittest.skipUnless(shutil.which("node"), "no node")
class NodeMarshalling(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = lambtest.project(files())

    def test_never_settled(self):
        r = invoke(self.d, "Node", {"what": "never"})
        self.assertEqual(result(r)["errorType"], "Runtime.NodeJsExit", r.stderr)

    def test_multi_line_log(self):
        _, err = invoke_bytes(self.d, "Node", {"what": "log"})
        self.assertRegex(err.decode(), r"\tINFO\tone\rtwo\n")

    def test_streaming_handler_loads(self):
        r = invoke(self.d, "NodeStream", {})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("streamed body", r.stdout)

    def test_module_paths(self):
        """NODE_PATH exactly Lambda's, with the sandbox on and off, and Node's
        global folders gone; the layer's module resolves, the host's global
        one (npm, in <prefix>/lib/node_modules) does not."""
        for sandbox in ("on", "off"):
            got = result(invoke(self.d, "Node", {"what": "paths"}, "--sandbox", sandbox))
            opt = "/opt" if sandbox == "on" else os.path.realpath(os.path.join(self.d.name, "layer"))
            rt = os.path.join(got["rt"], "node")
            self.assertEqual(got["task"] == "/var/task", sandbox == "on", got)
            self.assertEqual(got["NODE_PATH"].split(":"),
                             [f"{opt}/nodejs/node20/node_modules", f"{opt}/nodejs/node_modules",
                              f"{rt}/node_modules", rt, got["task"]], sandbox)
            self.assertEqual(got["global"], got["NODE_PATH"].split(":"))
            self.assertEqual(got["layer"], "layer")
            got = result(invoke(self.d, "Node", {"what": "require", "name": "npm"}, "--sandbox", sandbox))
            self.assertEqual(got, {"error": "MODULE_NOT_FOUND"}, sandbox)


    def test_aws_sdk_from_the_host_only(self):
        """The Node.js runtimes include the AWS SDK v3: lamb takes a host's
        global @aws-sdk/* (node's <prefix>/lib/node_modules) as the
        runtime's, and no other global package. A node hard-linked into a
        prefix of the test's own stands for a host with the SDK installed;
        the prefix is under /tmp, which the sandbox replaces with the
        instance's own: lamb binds the interpreter's prefix into it."""
        import tempfile
        node = os.path.realpath(shutil.which("node"))
        with tempfile.TemporaryDirectory(prefix="lamb-test-node-", dir="/tmp") as prefix:
            os.makedirs(os.path.join(prefix, "bin"))
            try:
                os.link(node, os.path.join(prefix, "bin", "node"))
            except OSError as e:
                self.skipTest(f"cannot link {node} into a prefix: {e}")
            for pkg in ("@aws-sdk/client-s3", "leftpad"):
                os.makedirs(os.path.join(prefix, "lib", "node_modules", pkg))
                with open(os.path.join(prefix, "lib", "node_modules", pkg, "index.js"), "w") as f:
                    f.write("exports.from = 'host';\n")
            env = env_of({"LAMB_NODE": os.path.join(prefix, "bin", "node")})
            for sandbox in ("on", "off"):
                got = result(invoke(self.d, "Node", {"what": "require", "name": "@aws-sdk/client-s3"},
                                    "--sandbox", sandbox, env=env))
                self.assertEqual(got.get("file"),
                                 os.path.join(prefix, "lib", "node_modules", "@aws-sdk", "client-s3", "index.js"),
                                 (sandbox, got))
                got = result(invoke(self.d, "Node", {"what": "require", "name": "leftpad"}, "--sandbox", sandbox,
                                    env=env))
                self.assertEqual(got, {"error": "MODULE_NOT_FOUND"}, sandbox)


class RuntimeVersions(unittest.TestCase):
    def test_list_interpreters(self):
        r = lambtest.run("local", "invoke", "--list-interpreters")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = {l.split()[0]: l for l in r.stdout.splitlines()}
        for rt in ("python3.12", "python3.13", "nodejs20.x", "nodejs22.x"):
            self.assertIn(rt, lines)
        node = shutil.which("node")
        if node:
            self.assertIn(os.path.realpath(node), lines["nodejs22.x"])

    @unittest.skipUnless(shutil.which("node"), "no node")
    def test_node_major_mismatch_warns_once(self):
        import subprocess
        major = subprocess.run(["node", "-p", "process.versions.node.split('.')[0]"], capture_output=True,
                               text=True).stdout.strip()
        d = lambtest.project(files())
        r = lambtest.run("local", "invoke", "Node22", "-e", "-", "--repeat", "2", cwd=d.name, input="{}",
                         env=env_of(), timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr)
        if major == "22":
            self.assertNotIn("no Node.js 22 here", r.stderr)
        else:
            self.assertEqual(r.stderr.count("no Node.js 22 here: nodejs22.x functions run with Node.js"), 1,
                             r.stderr)


if __name__ == "__main__":
    lambtest.main()
