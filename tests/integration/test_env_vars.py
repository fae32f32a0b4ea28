"""--env-vars and --layer-dir on the server commands and bench: one file
gives each function of the template its own variables (Parameters for all,
a block per logical id or FunctionName over them, both over the template's
Environment), seen by real functions that echo their environment through
start-api, start-lambda and bench. local invoke's own tests are in
test_invoke.py."""
import http.client
import json
import os
import shutil
import unittest

import lambtest
from test_start_api import Server as ApiServer
from test_start_lambda import Server as LambdaServer

LAYER_ARN = "arn:aws:lambda:us-east-1:123456789012:layer:shared:7"

TEMPLATE = f"""\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    CodeUri: src/
    Handler: app.handler
    Timeout: 5
    Environment:
      Variables:
        FROM_TEMPLATE: template
        SHARED: template
        MINE: template
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Layers: [{LAYER_ARN}]
      Events:
        Get: {{Type: HttpApi, Properties: {{Path: /hello, Method: get}}}}
  Other:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: other-fn
      Events:
        Get: {{Type: HttpApi, Properties: {{Path: /other, Method: get}}}}
"""

APP = """\
import json, os

try:
    import shared
    LAYER = shared.WORD
except ImportError:
    LAYER = None

def handler(event, context):
    env = {k: os.environ.get(k) for k in ("FROM_TEMPLATE", "SHARED", "MINE", "EXTRA")}
    env["LAYER"] = LAYER
    print("ENV " + json.dumps(env, sort_keys=True))
    return env
"""

ENV = {
    "Parameters": {"SHARED": "parameters", "MINE": "parameters", "EXTRA": 42},
    "Hello": {"MINE": "hello"},
    "other-fn": {"MINE": "other"},  # by FunctionName
}


def files(env=None):
    return {"template.yaml": TEMPLATE, "src/app.py": APP, "env.json": json.dumps(env or ENV),
            "layer/python/shared.py": "WORD = 'from the layer dir'\n"}


def want(mine, layer=None):
    return {"FROM_TEMPLATE": "template", "SHARED": "parameters", "MINE": mine, "EXTRA": "42", "LAYER": layer}


@unittest.skipUnless(shutil.which("python3.11") or shutil.which("python3"), "no Python interpreter")
class EnvVars(unittest.TestCase):
    def test_start_api(self):
        s = ApiServer(files(), "--env-vars", "env.json", "--layer-dir", f"{LAYER_ARN}=layer")
        try:
            status, _, _, data = s.request("GET", "/hello")
            self.assertEqual(status, 200, data)
            self.assertEqual(json.loads(data), want("hello", "from the layer dir"))
            status, _, _, data = s.request("GET", "/other")
            self.assertEqual(status, 200, data)
            self.assertEqual(json.loads(data), want("other"))
            err = s.stderr()
            self.assertIn("'EXTRA' from 'env.json' is not declared by function 'Hello'", err)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_start_lambda(self):
        s = LambdaServer(files(), "-n", "env.json", "--layer-dir", f"{LAYER_ARN}=layer")
        try:
            for name, mine, layer in (("Hello", "hello", "from the layer dir"), ("other-fn", "other", None)):
                status, _, data = s.invoke(name)
                self.assertEqual(status, 200, data)
                self.assertEqual(json.loads(data), want(mine, layer), name)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_bench(self):
        d = lambtest.project(files())
        for fn, mine in (("Other", "other"), ("Hello", "hello")):
            log = os.path.join(d.name, f"{fn}.log")
            r = lambtest.run("local", "bench", fn, "-n", "3", "--env-vars", "env.json", "--layer-dir",
                             f"{LAYER_ARN}=layer", "-l", log, "--json", cwd=d.name, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["errors"], 0)
            with open(log) as f:
                lines = [line for line in f.read().splitlines() if line.startswith("ENV ")]
            self.assertEqual(len(lines), 3)
            layer = "from the layer dir" if fn == "Hello" else None
            self.assertEqual(json.loads(lines[0][4:]), want(mine, layer))
        d.cleanup()

    def test_dotenv_applies_to_every_function(self):
        d = files()
        d["local.env"] = "# for all\nMINE=dotenv\nexport SHARED='quoted'\n"
        s = LambdaServer(d, "--env-vars", "local.env", "--layer-dir", f"{LAYER_ARN}=layer")
        try:
            for name in ("Hello", "Other"):
                status, _, data = s.invoke(name)
                self.assertEqual(status, 200, data)
                env = json.loads(data)
                self.assertEqual((env["MINE"], env["SHARED"], env["FROM_TEMPLATE"]), ("dotenv", "quoted", "template"))
        finally:
            s.stop()

    def test_bad_file_stops_every_command(self):
        d = lambtest.project(files({"Hello": "not an object"}))
        for cmd in (("local", "start-api", "-p", "0"), ("local", "start-lambda", "-p", "0"),
                    ("local", "bench", "Hello", "-n", "1"), ("local", "invoke", "Hello")):
            r = lambtest.run(*cmd, "--env-vars", "env.json", cwd=d.name, timeout=60)
            self.assertEqual(r.returncode, 1, cmd)
            self.assertIn("'env.json': 'Hello' must be an object of variables", r.stderr, cmd)
            r = lambtest.run(*cmd, "--env-vars", "missing.json", cwd=d.name, timeout=60)
            self.assertEqual(r.returncode, 1, cmd)
            self.assertIn("cannot read 'missing.json': No such file or directory", r.stderr, cmd)
        d.cleanup()

    def test_unknown_block_is_a_warning(self):
        env = dict(ENV, Nobody={"X": "1"})
        s = LambdaServer(files(env), "--env-vars", "env.json")
        try:
            self.assertIn("'Nobody' in 'env.json' names no function", s.stderr())
        finally:
            s.stop()


if __name__ == "__main__":
    lambtest.main()
