"""Response streaming end to end: a Node function streamified with
awslambda.streamifyResponse, its chunks posted in the Runtime API's
streaming mode, served by start-lambda as InvokeWithResponseStream and read
with boto3's invoke_with_response_stream while the function still runs."""
import glob
import json
import os
import shutil
import subprocess
import unittest

import lambtest

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: src/
    Timeout: 10
Resources:
  Streamer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
  Fixture:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: unused
      CodeUri: fixture/
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
"""

INDEX = """\
exports.handler = awslambda.streamifyResponse(async (event, stream, context) => {
  stream.setContentType('text/plain');
  for (let i = 0; i < (event.n || 3); i++) {
    stream.write(`chunk ${i}\\n`);
    await new Promise((r) => setTimeout(r, event.gap || 0));
  }
  if (event.fail) throw new Error('broke mid-stream');
  if (event.big) stream.write(Buffer.alloc(event.big, 97));
  stream.end();
});
"""

APP = """\
def handler(event, context):
    return {"plain": True}
"""

# boto3 makes the calls of argv[2] (a JSON list of [function, event]) in turn, reading each
# stream, and prints one JSON line per event, with the time it came since its call began. One
# process for all of them: importing boto3 takes seconds on a loaded machine.
READER = """\
import boto3, json, sys, time
c = boto3.client("lambda", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
for i, (name, event) in enumerate(json.loads(sys.argv[2])):
    t0 = time.monotonic()
    r = c.invoke_with_response_stream(FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail")
    print(json.dumps({"call": i, "type": r["ResponseStreamContentType"], "status": r["StatusCode"]}))
    for e in r["EventStream"]:
        if "PayloadChunk" in e:
            p = e["PayloadChunk"]["Payload"]
            print(json.dumps({"call": i, "t": time.monotonic() - t0, "chunk": p.decode()[:40], "len": len(p)}))
        else:
            print(json.dumps({"call": i, "t": time.monotonic() - t0, "complete": e["InvokeComplete"]}))
"""

# What the tests read: every call made once, in setUpClass.
CALLS = [
    ("Streamer", {"n": 1}),  # the cold start is not what is measured
    ("Streamer", {"n": 3, "gap": 500}),
    ("Streamer", {"n": 2, "fail": True}),
    ("Plain", {}),
    ("Fixture", {"verb": "stream", "n": 300}),
    ("Fixture", {"verb": "stream-fail", "n": 0}),
    # 7 MiB: over the buffered limit; past 6 MiB paced at 2 MiB/s (about 0.5 s more)
    ("Streamer", {"n": 1, "big": 7 * 1024 * 1024}),
]


CHECK = ("import boto3; c = boto3.client('lambda', region_name='us-east-1'); "
         "c.invoke_with_response_stream")


def boto3_python():
    """An interpreter whose boto3 has invoke_with_response_stream (botocore
    1.29.70 and later): Debian's python3-boto3, or a pyenv one."""
    candidates = ["/usr/bin/python3", shutil.which("python3")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/*/bin/python3")))
    for py in candidates:
        if py and subprocess.run([py, "-c", CHECK], capture_output=True).returncode == 0:
            return py
    return None


class Server(lambtest.LambServer):
    command = ("local", "start-lambda")


class Streaming(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.py = boto3_python()
        if not cls.py:
            raise unittest.SkipTest("no boto3 with invoke_with_response_stream (botocore >= 1.29.70)")
        if not shutil.which("node"):
            raise unittest.SkipTest("node is not installed")
        fixture = os.environ.get("LAMB_FIXTURE")
        if not fixture:
            raise unittest.SkipTest("LAMB_FIXTURE is not set: run through 'meson test'")
        cls.s = Server({"template.yaml": TEMPLATE, "src/index.js": INDEX, "src/app.py": APP, "fixture/.keep": ""})
        shutil.copy(fixture, os.path.join(cls.s.dir.name, "fixture", "bootstrap"))
        r = subprocess.run([cls.py, "-c", READER, cls.s.url, json.dumps(CALLS)], capture_output=True, text=True,
                           timeout=120)
        cls.reader = r
        cls.results = [[] for _ in CALLS]
        for line in r.stdout.splitlines():
            e = json.loads(line)
            cls.results[e.pop("call")].append(e)

    @classmethod
    def tearDownClass(cls):
        assert cls.s.stop() == 0

    def read(self, name, event):
        """The head and the events of that call of CALLS."""
        self.assertEqual(self.reader.returncode, 0, self.reader.stderr + self.s.stderr())
        lines = self.results[CALLS.index((name, event))]
        return lines[0], lines[1:]

    def test_chunks_come_before_the_function_ends(self):
        head, events = self.read("Streamer", {"n": 3, "gap": 500})
        self.assertEqual(head, {"type": "text/plain", "status": 200})
        chunks = [e for e in events if "chunk" in e]
        self.assertEqual([e["chunk"] for e in chunks], ["chunk 0\n", "chunk 1\n", "chunk 2\n"])
        done = events[-1]
        self.assertIn("complete", done)
        self.assertNotIn("ErrorCode", done["complete"])
        # the function runs 1.5 s; its first chunk is read long before that
        self.assertLess(chunks[0]["t"], 0.9, events)
        self.assertGreater(done["t"], 1.4, events)
        self.assertGreater(chunks[1]["t"] - chunks[0]["t"], 0.35, events)

    def test_error_mid_stream_ends_with_invoke_complete(self):
        head, events = self.read("Streamer", {"n": 2, "fail": True})
        self.assertEqual([e["chunk"] for e in events if "chunk" in e], ["chunk 0\n", "chunk 1\n"])
        complete = events[-1]["complete"]
        self.assertEqual(complete["ErrorCode"], "Error")
        self.assertEqual(complete["ErrorDetails"], "broke mid-stream")
        import base64
        self.assertIn("broke mid-stream", base64.b64decode(complete["LogResult"]).decode())

    def test_buffered_function_through_the_stream_api(self):
        head, events = self.read("Plain", {})
        self.assertEqual(head["type"], "application/json")
        self.assertEqual(json.loads(events[0]["chunk"]), {"plain": True})
        self.assertIn("complete", events[-1])

    def test_c_runtime_client_streams(self):
        head, events = self.read("Fixture", {"verb": "stream", "n": 300})
        self.assertEqual(head["type"], "text/plain")
        chunks = [e for e in events if "chunk" in e]
        self.assertEqual([e["chunk"] for e in chunks], ["part 0\n", "part 1\n", "part 2\n"])
        self.assertLess(chunks[0]["t"] + 0.5, events[-1]["t"], events)
        head, events = self.read("Fixture", {"verb": "stream-fail", "n": 0})
        self.assertEqual(events[-1]["complete"]["ErrorCode"], "FixtureError")
        self.assertEqual(events[-1]["complete"]["ErrorDetails"], "failed mid-stream")
        self.assertIn("stream answered 202", self.s.stderr())

    def test_plain_invoke_of_a_streaming_function_is_buffered(self):
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.s.port, timeout=30)
        c.request("POST", "/2015-03-31/functions/Streamer/invocations", body=b'{"n": 2}')
        r = c.getresponse()
        self.assertEqual((r.status, r.read()), (200, b"chunk 0\nchunk 1\n"))
        c.close()

    def test_a_stream_past_6_mb(self):
        head, events = self.read("Streamer", {"n": 1, "big": 7 * 1024 * 1024})
        total = sum(e["len"] for e in events if "len" in e)
        self.assertEqual(total, len("chunk 0\n") + 7 * 1024 * 1024)
        self.assertNotIn("ErrorCode", events[-1]["complete"])
        self.assertGreater(events[-1]["t"], 0.4)


if __name__ == "__main__":
    lambtest.main()
