"""sample-functions/bash-tutorial: its bash+curl bootstrap against a fake Runtime API
(response, function error, init errors), and its template validates. Skipped without curl."""
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from fake_runtime_api import RuntimeProcess  # noqa: E402

SAMPLE = os.path.join(lambtest.SOURCE_ROOT, "sample-functions", "bash-tutorial")
CODE = os.path.join(SAMPLE, "src")
BOOTSTRAP = os.path.join(CODE, "bootstrap")


@unittest.skipIf(shutil.which("curl") is None or shutil.which("bash") is None,
                 "curl or bash is not installed")
class BashRuntime(unittest.TestCase):
    def start(self, handler="function.handler", code=CODE):
        rt = RuntimeProcess([BOOTSTRAP], handler, code)
        self.addCleanup(rt.close)
        return rt

    def test_sample_event_round_trip(self):
        rt = self.start()
        with open(os.path.join(SAMPLE, "events", "event.json"), "rb") as f:
            event = f.read()
        out = rt.invoke(event)
        self.assertEqual(out.kind, "response", (out, rt.stderr()))
        self.assertEqual(out.json(), {"message": "hello from bash",
                                      "event": {"name": "world", "items": [1, 2, 3]}})
        # Warm: the same process answers again.
        self.assertEqual(rt.invoke({"n": 2}).json()["event"], {"n": 2})
        self.assertTrue(rt.alive())
        self.assertIn("bytes of event", rt.stderr())

    def test_handler_failure_is_function_error(self):
        rt = self.start()
        out = rt.invoke({"fail": True})
        self.assertEqual(out.kind, "error")
        self.assertEqual(out.json()["errorType"], "HandlerError")
        self.assertIn("status 3", out.json()["errorMessage"])
        self.assertEqual(out.headers.get("Lambda-Runtime-Function-Error-Type"), "HandlerError")
        self.assertEqual(rt.invoke({}).kind, "response")

    def test_init_errors(self):
        for handler, error_type in (("function.nope", "Runtime.HandlerNotFound"),
                                    ("missing.handler", "Runtime.ImportModuleError")):
            with self.subTest(handler=handler):
                rt = self.start(handler)
                out = rt.invoke({})
                self.assertEqual(out.kind, "init_error", (out, rt.stderr()))
                self.assertEqual(out.json()["errorType"], error_type)
                self.assertEqual(rt.wait_exit(), 1)

    def test_template_validates(self):
        r = lambtest.run("validate", cwd=SAMPLE)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    lambtest.main()
