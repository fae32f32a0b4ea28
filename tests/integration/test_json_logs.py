"""LoggingConfig (Lambda's advanced logging controls) end to end through
`lamb local invoke`: with LogFormat JSON every log line is one JSON object,
parsed here line by line: platform.start and platform.report instead of
START/END/REPORT, Python logging and Node console.* records as AWS's runtime
clients write them, levels below ApplicationLogLevel and SystemLogLevel
dropped. Text stays Lambda's plain lines."""
import json
import re
import shutil
import unittest

import lambtest

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: src/
    LoggingConfig:
      LogFormat: JSON
Resources:
  Py:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      LoggingConfig:
        LogGroup: /custom/py
  PyQuiet:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      LoggingConfig:
        ApplicationLogLevel: ERROR
        SystemLogLevel: WARN
  PyDebug:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      LoggingConfig:
        ApplicationLogLevel: DEBUG
        SystemLogLevel: DEBUG
  PyText:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      LoggingConfig:
        LogFormat: Text
  Node:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      LoggingConfig:
        ApplicationLogLevel: WARN
"""

APP = """\
import logging, os
log = logging.getLogger("app")

def handler(event, context):
    log.debug("debug line")
    log.info("info line", extra={"orderId": 42})
    log.error("error line")
    try:
        raise KeyError("k")
    except KeyError:
        log.exception("caught")
    return {k: os.environ.get(k) for k in
            ("AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL", "AWS_LAMBDA_LOG_GROUP_NAME")}
"""

INDEX = """\
exports.handler = async (event, context) => {
  console.log('info line');
  console.warn('warn line', {n: 1});
  console.error({orderId: 42, ok: false});
  console.error('failed:', new TypeError('bad type'));
  return {format: process.env.AWS_LAMBDA_LOG_FORMAT, level: process.env.AWS_LAMBDA_LOG_LEVEL};
};
"""

TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def setUpModule():
    global PROJECT
    PROJECT = lambtest.project({"template.yaml": TEMPLATE, "src/app.py": APP, "src/index.js": INDEX})


def tearDownModule():
    PROJECT.cleanup()


def invoke(fn, *args):
    r = lambtest.run("local", "invoke", fn, "--no-build", *args, cwd=PROJECT.name, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"lamb local invoke {fn}: {r.returncode}\n{r.stderr}")
    return [json.loads(line) for line in r.stdout.splitlines()], r.stderr


def log_lines(stderr):
    """The function's log: lamb's own notes ("lamb: ...", the template's warnings) aside."""
    return [line for line in stderr.splitlines()
            if not line.startswith(("lamb: ", "template.yaml:"))]


def records(stderr):
    """Every line of the function's log, each one JSON object."""
    return [json.loads(line) for line in log_lines(stderr)]


class JsonLogs(unittest.TestCase):
    def test_python_records_and_platform_records(self):
        out, err = invoke("Py", "--repeat", "2")
        self.assertEqual(out[0], {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO",
                                  "AWS_LAMBDA_LOG_GROUP_NAME": "/custom/py"})
        recs = records(err)
        self.assertEqual([r.get("type") or r["level"] for r in recs],
                         ["platform.start", "INFO", "ERROR", "ERROR", "platform.report"] * 2)
        start, info, error, exc, report = recs[:5]
        rid = start["record"]["requestId"]
        self.assertEqual(start["record"], {"requestId": rid, "version": "$LATEST"})
        self.assertRegex(start["time"], TIME)
        self.assertEqual((info["message"], info["logger"], info["requestId"], info["orderId"]),
                         ("info line", "app", rid, 42))
        self.assertRegex(info["timestamp"], TIME)
        self.assertNotIn("stackTrace", info)  # null fields are left out, as AWS's client does
        self.assertEqual((exc["message"], exc["errorType"], exc["errorMessage"]), ("caught", "KeyError", "'k'"))
        self.assertIn("in handler", exc["stackTrace"][0])
        self.assertRegex(exc["location"], r"app\.py:handler:\d+$")
        metrics = report["record"]["metrics"]
        self.assertEqual((report["record"]["requestId"], report["record"]["status"]), (rid, "success"))
        self.assertEqual(set(metrics), {"durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB",
                                        "initDurationMs"})
        self.assertEqual(metrics["memorySizeMB"], 128)
        self.assertNotIn("initDurationMs", recs[9]["record"]["metrics"])  # warm
        self.assertNotRegex(err, r"(?m)^(START|END|REPORT) ")

    def test_levels_filter_application_and_system_records(self):
        out, err = invoke("PyQuiet")
        self.assertEqual(out[0]["AWS_LAMBDA_LOG_LEVEL"], "ERROR")
        self.assertEqual([(r["level"], r["message"]) for r in records(err)],
                         [("ERROR", "error line"), ("ERROR", "caught")])  # no platform records at WARN
        out, err = invoke("PyDebug")
        kinds = [r.get("type") or r["level"] for r in records(err)]
        self.assertEqual(kinds, ["platform.start", "DEBUG", "INFO", "ERROR", "ERROR",
                                 "platform.runtimeDone", "platform.report"])
        done = records(err)[5]["record"]
        self.assertEqual(done["status"], "success")
        self.assertGreater(done["metrics"]["producedBytes"], 0)

    def test_text_is_lambdas_plain_lines(self):
        out, err = invoke("PyText")
        self.assertEqual(out[0]["AWS_LAMBDA_LOG_FORMAT"], "Text")
        self.assertIsNone(out[0]["AWS_LAMBDA_LOG_LEVEL"])
        lines = log_lines(err)
        self.assertRegex(lines[0], r"^START RequestId: [0-9a-f-]{36} Version: \$LATEST$")
        self.assertRegex(lines[1], r"^\[ERROR\]\t\S+Z\t[0-9a-f-]{36}\terror line$")
        self.assertRegex(lines[-2], r"^END RequestId: [0-9a-f-]{36}$")
        self.assertRegex(lines[-1], r"^REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\t")

    def test_node_console_records(self):
        if not shutil.which("node"):
            self.skipTest("node is not installed")
        out, err = invoke("Node")
        self.assertEqual(out[0], {"format": "JSON", "level": "WARN"})
        recs = records(err)
        self.assertEqual([r.get("type") or r["level"] for r in recs],
                         ["platform.start", "WARN", "ERROR", "ERROR", "platform.report"])
        rid = recs[0]["record"]["requestId"]
        warn, obj, failed = recs[1:4]
        self.assertEqual((warn["message"], warn["requestId"]), ("warn line { n: 1 }", rid))
        self.assertRegex(warn["timestamp"], TIME)
        self.assertEqual(obj["message"], {"orderId": 42, "ok": False})  # a lone object stays one
        self.assertEqual((failed["errorType"], failed["errorMessage"]), ("TypeError", "bad type"))
        self.assertTrue(failed["message"].startswith("failed: TypeError: bad type"))
        self.assertTrue(re.match(r"TypeError: bad type", failed["stackTrace"][0]))


if __name__ == "__main__":
    lambtest.main()
