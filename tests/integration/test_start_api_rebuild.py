"""Hot reload of a function that needs a build (BuildMethod: makefile, as
sample-functions/hello-c): an edit of its source is rebuilt in the
background and the next request runs the new program; requests during the
build wait for it; a build that fails answers 502 with the compiler's error
and shows its output in the log, and the next edit that builds recovers.
The same through start-lambda."""
import json
import os
import shutil
import subprocess
import threading
import time
import unittest

import lambtest
from test_start_api import Server as ApiServer
from test_start_lambda import Server as LambdaServer

RUNTIME = os.path.join(os.environ.get("LAMB_SOURCE_ROOT", "."), "runtime", "c")

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  HelloC:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: bootstrap
      Runtime: provided.al2023
      Events:
        Get: {Type: HttpApi, Properties: {Path: /hello, Method: get}}
    Metadata:
      BuildMethod: makefile
"""

MAKEFILE = f"""\
build-HelloC: main.c version.h
\tsleep $$(cat delay 2>/dev/null || echo 0)
\t$(CC) -O0 -I{RUNTIME} -o $(ARTIFACTS_DIR)/bootstrap main.c {RUNTIME}/lamb-runtime.c
.PHONY: build-HelloC
"""

MAIN = """\
#include "lamb-runtime.h"
#include "version.h"
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	struct lamb_runtime rt;
	struct lamb_runtime_event ev;
	if (lamb_runtime_init(&rt) < 0)
		return 1;
	while (lamb_runtime_next(&rt, &ev) == 0) {
		char body[128];
		/* the pid and its PID namespace: sandboxed, every instance is pid 2 */
		struct stat ns;
		stat("/proc/self/ns/pid", &ns);
		int n = snprintf(body, sizeof(body), "{\\"version\\":\\"%s\\",\\"pid\\":\\"%d@%lu\\"}", VERSION,
				 (int)getpid(), (unsigned long)ns.st_ino);
		lamb_runtime_respond(&rt, ev.request_id, body, (size_t)n);
	}
	return 0;
}
"""


def files():
    return {"template.yaml": TEMPLATE, "fn/Makefile": MAKEFILE, "fn/main.c": MAIN,
            "fn/version.h": '#define VERSION "v1"\n'}


def write(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def eventually(fn, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return True
        time.sleep(0.05)
    return False


@unittest.skipUnless(shutil.which("make") and shutil.which("cc"), "no make or cc")
class Rebuild(unittest.TestCase):
    def setUp(self):
        self.s = ApiServer(files())

    def get(self):
        status, _, _, data = self.s.request("GET", "/hello")
        return status, json.loads(data)

    def fn(self, name):
        return os.path.join(self.s.dir.name, "fn", name)

    def test_edit_rebuilds_before_the_next_request(self):
        status, body = self.get()
        self.assertEqual((status, body["version"]), (200, "v1"))
        # a slow build: the request made meanwhile waits for it and gets the new program
        write(self.fn("delay"), "1\n")
        write(self.fn("version.h"), '#define VERSION "v2"\n')
        self.assertTrue(eventually(lambda: "rebuilding HelloC" in self.s.stderr()), self.s.stderr())
        t0 = time.time()
        status, body2 = self.get()
        self.assertEqual((status, body2["version"]), (200, "v2"), self.s.stderr())
        self.assertGreater(time.time() - t0, 0.3, "the request did not wait for the build")
        self.assertNotEqual(body2["pid"], body["pid"])
        self.assertIn("rebuilt HelloC in", self.s.stderr())
        # the source is what is watched: the built tree under .lamb is not the code that runs by accident
        self.assertTrue(os.path.exists(os.path.join(self.s.dir.name, ".lamb", "build", "HelloC", "bootstrap")))

    def test_requests_during_a_build_all_wait(self):
        write(self.fn("delay"), "1\n")
        write(self.fn("version.h"), '#define VERSION "v3"\n')
        self.assertTrue(eventually(lambda: "rebuilding HelloC" in self.s.stderr()), self.s.stderr())
        results = []
        threads = [threading.Thread(target=lambda: results.append(self.get())) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([(s, b["version"]) for s, b in results], [(200, "v3")] * 4)

    def test_failed_build_is_a_502_with_the_error_until_an_edit_builds(self):
        self.assertEqual(self.get()[0], 200)
        write(self.fn("version.h"), '#define VERSION v4 this does not compile\n')
        self.assertTrue(eventually(lambda: "cannot build function 'HelloC'" in self.s.stderr()), self.s.stderr())
        status, body = self.get()
        self.assertEqual(status, 502)
        self.assertEqual(body["message"], "Internal server error")
        self.assertIn("cannot build function 'HelloC'", body["lambError"])
        err = self.s.stderr()
        self.assertIn("main.c", err)  # the compiler's own output, in the log
        self.assertIn("requests to HelloC fail until an edit builds", err)
        self.assertEqual(self.get()[0], 502)  # still failing: the source is still broken
        write(self.fn("version.h"), '#define VERSION "v5"\n')
        self.assertTrue(eventually(lambda: self.get() == (200, self.get()[1]) and self.get()[1]["version"] == "v5"),
                        self.s.stderr())

    def test_sigterm_during_a_build_leaves_nothing(self):
        write(self.fn("delay"), "30\n")
        write(self.fn("version.h"), '#define VERSION "v6"\n')
        self.assertTrue(eventually(lambda: "rebuilding HelloC" in self.s.stderr()), self.s.stderr())
        time.sleep(0.3)
        self.assertEqual(self.s.stop(), 0)
        self.s = None
        # the build's own 'sleep 30' (exactly that command line, still alive;
        # a zombie already reparented to init is gone for our purpose)
        out = subprocess.run(["ps", "-eo", "stat=,args="], capture_output=True, text=True).stdout
        alive = [l for l in out.splitlines() if l.split(None, 1)[1:] == ["sleep 30"] and not l.startswith("Z")]
        self.assertEqual(alive, [], out)

    def tearDown(self):  # test_sigterm_during_a_build stops the server itself
        if self.s:
            self.assertEqual(self.s.stop(), 0)


@unittest.skipUnless(shutil.which("make") and shutil.which("cc"), "no make or cc")
class RebuildStartLambda(unittest.TestCase):
    def test_edit_rebuilds(self):
        s = LambdaServer(files())
        try:
            status, _, data = s.invoke("HelloC")
            self.assertEqual((status, json.loads(data)["version"]), (200, "v1"))
            write(os.path.join(s.dir.name, "fn", "version.h"), '#define VERSION "v2"\n')
            self.assertTrue(eventually(lambda: "rebuilt HelloC" in s.stderr()), s.stderr())
            status, _, data = s.invoke("HelloC")
            self.assertEqual((status, json.loads(data)["version"]), (200, "v2"))
            write(os.path.join(s.dir.name, "fn", "version.h"), '#define VERSION broken(\n')
            self.assertTrue(eventually(lambda: "cannot build function" in s.stderr()), s.stderr())
            status, h, data = s.invoke("HelloC")
            self.assertEqual(status, 200)
            self.assertEqual(h.get("x-amz-function-error"), "Unhandled")
            self.assertEqual(json.loads(data)["errorType"], "Lamb.BuildFailed")
        finally:
            self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    lambtest.main()
