"""lamb's Runtime API server against what HTTP clients do besides the plain
keep-alive exchange: HTTP/1.0, chunked bodies, Expect: 100-continue,
pipelined requests, bodies over the limit, Connection: close. The bootstrap
is a Python script speaking raw HTTP on sockets; it reports what it saw as
the answer to its last invocation."""
import json
import os
import shutil
import unittest

import lambtest

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Raw:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn
      Handler: unused
      Runtime: provided.al2023
      Timeout: 10
"""

BOOTSTRAP = r'''#!/usr/bin/env python3
import json, os, socket
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
P = "/2018-06-01/runtime/invocation/"
seen = []

def connect():
    return socket.create_connection((host, int(port)))

class Reader:
    def __init__(self, s):
        self.s, self.buf = s, b""
    def more(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        self.buf += d
    def answer(self):
        while b"\r\n\r\n" not in self.buf:
            self.more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        hs = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        n = int(hs.get("content-length", 0))
        while len(self.buf) < n:
            self.more()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, hs, body
    def closed(self):
        try:
            self.more()
            return False
        except (EOFError, ConnectionResetError):
            return True

def post(rid, body, extra=""):
    return ("POST %s%s/response HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n"
            % (P, rid, extra, len(body))).encode() + body

NEXT = ("GET %snext HTTP/1.1\r\nHost: x\r\n\r\n" % P).encode()

# 1: /next over HTTP/1.0: answered, then closed
s = connect()
s.sendall(("GET %snext HTTP/1.0\r\n\r\n" % P).encode())
r = Reader(s)
st, hs, ev = r.answer()
rid = hs["lambda-runtime-aws-request-id"]
seen.append(["http/1.0 next", st, r.closed()])

# answered by a chunked body after Expect: 100-continue
s = connect()
r = Reader(s)
s.sendall(("POST %s%s/response HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
           "Transfer-Encoding: chunked\r\n\r\n" % (P, rid)).encode())
while b"\r\n\r\n" not in r.buf:
    r.more()
cont = r.buf.split(b"\r\n", 1)[0].decode()
r.buf = r.buf.split(b"\r\n\r\n", 1)[1]
s.sendall(b"6\r\n\"chunk\r\n8;ext=1\r\ned body\"\r\n0\r\nTrailer: x\r\n\r\n")
seen.append(["100-continue", cont, r.answer()[0]])

# 2: a wrong id and /next, pipelined in one write
s.sendall(post("no-such-id", b"1") + NEXT)
st1 = r.answer()[0]
st2, hs, ev = r.answer()
rid = hs["lambda-runtime-aws-request-id"]
seen.append(["pipelined", st1, st2])

# over the limit: read whole, answered 413, the connection stays usable
big = b"x" * (6 * 1024 * 1024 + 101)
s.sendall(post(rid, big))
st1 = r.answer()[0]
s.sendall(("GET /2018-06-01/nowhere HTTP/1.1\r\nHost: x\r\n\r\n").encode())
st2 = r.answer()[0]
s.sendall(post(rid, b"2"))
st3 = r.answer()[0]
seen.append(["too large", st1, st2, st3])

# 3: answer and /next in one write; the 202 may come with the event
s.sendall(NEXT)
st, hs, ev = r.answer()
rid = hs["lambda-runtime-aws-request-id"]
s.sendall(post(rid, b'"third"') + NEXT)
st1 = r.answer()[0]
st2, hs, ev = r.answer()
rid = hs["lambda-runtime-aws-request-id"]
seen.append(["answer+next", st1, st2])

# a chunk size that is not plain hex ("0x6", " 6", "+6"): 400, closed
bad = []
for size in (b"0x6", b" 6", b"+6", b"6\rx"):
    s3 = connect()
    s3.sendall(("POST %s%s/response HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                % (P, rid)).encode() + size + b"\r\n\"nope\"\r\n0\r\n\r\n")
    r3 = Reader(s3)
    bad.append([r3.answer()[0], r3.closed()])
seen.append(["bad chunk sizes", bad])

# a Content-Length that is not plain digits, or two that disagree: 400, closed
bad = []
for head in (b"Content-Length: +7", b"Content-Length:  -0", b"Content-Length: 7\r\nContent-Length: 8"):
    s3 = connect()
    s3.sendall(("POST %s%s/response HTTP/1.1\r\nHost: x\r\n" % (P, rid)).encode() + head
               + b"\r\n\r\n\"nope\"")
    r3 = Reader(s3)
    bad.append([r3.answer()[0], r3.closed()])
seen.append(["bad lengths", bad])

# 4: Connection: close
s2 = connect()
s2.sendall(post(rid, json.dumps(seen).encode(), "Connection: close\r\n"))
r2 = Reader(s2)
st, hs, _ = r2.answer()
if st != 202 or hs.get("connection") != "close" or not r2.closed():
    raise SystemExit("Connection: close was not honoured: %s %s" % (st, hs))
s.sendall(NEXT)
r.answer()
'''


class RuntimeApi(unittest.TestCase):
    def test_http_clients_beyond_keep_alive(self):
        d = lambtest.project({"template.yaml": TEMPLATE, "fn/bootstrap": BOOTSTRAP})
        os.chmod(os.path.join(d.name, "fn", "bootstrap"), 0o755)
        r = lambtest.run("local", "invoke", "--repeat", "4", "--sandbox", "off", cwd=d.name, timeout=60)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 4, r.stdout + r.stderr)
        self.assertEqual(lines[0], '"chunked body"')
        self.assertEqual(json.loads(lines[1])["errorType"], "Function.ResponseSizeTooLarge")
        self.assertEqual(lines[2], '"third"')
        self.assertEqual(json.loads(lines[3]), [
            ["http/1.0 next", 200, True],
            ["100-continue", "HTTP/1.1 100 Continue", 202],
            ["pipelined", 400, 200],
            ["too large", 413, 404, 403],
            ["answer+next", 202, 200],
            ["bad chunk sizes", [[400, True]] * 4],
            ["bad lengths", [[400, True]] * 3],
        ], r.stderr)

    @unittest.skipUnless(os.environ.get("LAMB_FIXTURE"), "LAMB_FIXTURE is not set: run through 'meson test'")
    def test_events_of_megabytes(self):
        # sent in many writes (the socket fills), each answered on the same
        # kept-alive connection together with the next /next
        t = TEMPLATE.replace("Raw:", "Echo:")
        d = lambtest.project({"template.yaml": t})
        os.makedirs(os.path.join(d.name, "fn"))
        shutil.copy(os.environ["LAMB_FIXTURE"], os.path.join(d.name, "fn", "bootstrap"))
        event = json.dumps({"verb": "echo", "pad": "x" * (5 * 1024 * 1024)})
        r = lambtest.run("local", "invoke", "-e", "-", "--repeat", "3", "--sandbox", "off", cwd=d.name,
                         input=event, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertEqual(r.stdout, (event + "\n") * 3)


if __name__ == "__main__":
    unittest.main()
