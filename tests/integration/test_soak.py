"""Soak: lamb local start-api in front of good, slow, crashing and
timing-out functions (the C fixture bootstrap, its verb chosen by the query
string), N requests from 32 keep-alive connections. Every request must get
its own answer (a token in its path comes back in the echoed event), and
once the instances are reaped lamb must be back where it was when idle:
the same file descriptors, no child process, RSS near its idle level.
Meanwhile an attacker function (issue 19) keeps calling /next on, and
posting forged answers to, every other instance's Runtime API: none may
take an event or have an answer accepted.

LAMB_SOAK_REQUESTS sets N (default 2000, for CI); the full run is 10,000:
    LAMB_SOAK_REQUESTS=10000 meson test -C build test_soak.py -v
The figures are printed on stderr."""
import http.client
import json
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest

import lambtest

FIXTURE = os.environ.get("LAMB_FIXTURE")
REQUESTS = int(os.environ.get("LAMB_SOAK_REQUESTS", "2000"))
CONNECTIONS = 32

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: fn
    Handler: unused
    Runtime: provided.al2023
    MemorySize: 128
Resources:
  Good:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Get: {Type: HttpApi, Properties: {Path: "/good/{token}", Method: GET}}
  Slow:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Get: {Type: HttpApi, Properties: {Path: "/slow/{token}", Method: GET}}
  Crash:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Get: {Type: HttpApi, Properties: {Path: "/crash/{token}", Method: GET}}
  Late:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 1
      Events:
        Get: {Type: HttpApi, Properties: {Path: "/late/{token}", Method: GET}}
  Attack:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: attack
      Handler: app.handler
      Runtime: python3.11
      Events:
        Get: {Type: HttpApi, Properties: {Path: "/attack", Method: GET}}
"""

# Takes the events of, and answers for, the instances on the ports it is
# given (the test passes lamb's Runtime API ports: scanning the machine's
# would hit other programs' servers).
ATTACK = r"""
import json, os, socket

def ask(port, request):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=0.5)
        s.sendall(request)
        s.settimeout(0.3)
        data = s.recv(200)
        s.close()
        return data
    except OSError:
        return b""

def handler(event, context):
    own = int(os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")[1])
    ports = [int(p) for p in event["queryStringParameters"]["ports"].split(",") if p and int(p) != own]
    taken = forged = 0
    for port in ports:
        taken += ask(port, b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 200")
        forged += ask(port, b"POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 2\r\n\r\n{}").startswith(b"HTTP/1.1 202")
    return {"statusCode": 200, "body": json.dumps({"tried": len(ports), "taken": taken, "forged": forged})}
"""


def listening_ports(pid):
    """The ports of pid's listening TCP sockets on 127.0.0.1."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = []
    with open(f"/proc/{pid}/net/tcp") as f:
        for line in f.readlines()[1:]:
            x = line.split()
            if x[3] == "0A" and x[9] in inodes and x[1].startswith("0100007F:"):
                ports.append(int(x[1].split(":")[1], 16))
    return ports

# one request in 20 crashes, one times out, four are slow, the rest are quick
QUERY = {"good": "", "slow": "?verb=sleep&n=20", "crash": "?verb=crash", "late": "?verb=sleep&n=1500"}


def kind_of(i):
    k = i % 20
    return "crash" if k == 0 else "late" if k == 1 else "slow" if k < 6 else "good"


def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        m = re.search(rf"^{field}:\s+(\d+)", f.read(), re.M)
    return int(m.group(1))


def children(pid):
    """Processes whose parent is pid (zombies included)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[1]) == pid:
                out.append((int(d), fields[0]))
    return out


def sanitized(pid):
    """ASan keeps freed memory in quarantine: RSS says nothing there (its
    leak check at exit does the job instead)."""
    with open(f"/proc/{pid}/maps") as f:
        return "libasan" in f.read()


def fds(pid):
    """lamb's descriptors, less its per-function log files (.lamb/logs):
    one is opened on a function's first record and kept, by design."""
    d = f"/proc/{pid}/fd"
    count = 0
    for n in os.listdir(d):
        try:
            count += "/.lamb/logs/" not in os.readlink(f"{d}/{n}")
        except FileNotFoundError:  # closed since listed
            pass
    return count


class Client(threading.Thread):
    """One keep-alive connection working through the shared queue."""

    def __init__(self, port, work, results):
        super().__init__(daemon=True)
        self.port, self.work, self.results = port, work, results

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while True:
            try:
                i = self.work.get_nowait()
            except queue.Empty:
                break
            kind = kind_of(i)
            token = f"{i}-{secrets.token_hex(8)}"
            path = f"/{kind}/{token}"
            t0 = time.perf_counter()
            try:
                conn.request("GET", path + QUERY[kind])
                r = conn.getresponse()
                body = r.read()
                self.results.append((i, kind, token, r.status, body, time.perf_counter() - t0))
            except (OSError, http.client.HTTPException) as e:
                self.results.append((i, kind, token, None, repr(e).encode(), time.perf_counter() - t0))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.close()


@unittest.skipUnless(FIXTURE, "LAMB_FIXTURE is not set: run through meson test")
class Soak(unittest.TestCase):
    def setUp(self):
        self.dir = lambtest.project({"template.yaml": TEMPLATE})
        self.addCleanup(self.dir.cleanup)
        os.makedirs(os.path.join(self.dir.name, "fn"))
        shutil.copy(FIXTURE, os.path.join(self.dir.name, "fn", "bootstrap"))
        os.makedirs(os.path.join(self.dir.name, "attack"))
        with open(os.path.join(self.dir.name, "attack", "app.py"), "w") as f:
            f.write(ATTACK)
        self.log = open(os.path.join(self.dir.name, "stderr.log"), "w+")
        self.addCleanup(self.log.close)
        self.proc = subprocess.Popen([lambtest.LAMB, "local", "start-api", "-p", "0", "--idle-timeout", "1",
                                      "--max-concurrency", str(CONNECTIONS)],
                                     cwd=self.dir.name, stdout=subprocess.DEVNULL, stderr=self.log)
        self.addCleanup(self.stop)
        deadline = time.time() + 20
        self.port = None
        while self.port is None:
            m = re.search(r"serving http://127\.0\.0\.1:(\d+)", self.stderr())
            if m:
                self.port = int(m.group(1))
            elif self.proc.poll() is not None or time.time() > deadline:
                self.fail("start-api did not start: " + self.stderr()[-2000:])
            else:
                time.sleep(0.05)

    def stderr(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def run_requests(self, indices):
        work = queue.Queue()
        for i in indices:
            work.put(i)
        results = []
        clients = [Client(self.port, work, results) for _ in range(CONNECTIONS)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        return results

    def check(self, results):
        wrong = []
        for i, kind, token, status, body, _ in results:
            if kind in ("good", "slow"):
                ok = status == 200
                if ok:
                    event = json.loads(body)
                    ok = (event.get("rawPath") == f"/{kind}/{token}" and
                          event.get("pathParameters") == {"token": token})
            else:
                ok = status == 502 and json.loads(body or b"{}") == {"message": "Internal server error"}
            if not ok:
                wrong.append((i, kind, status, body[:200]))
        self.assertEqual(wrong[:5], [], f"{len(wrong)} of {len(results)} requests got a wrong answer")

    def wait_reaped(self, timeout):
        """Waits until lamb has no child left (idle instances reaped)."""
        pid = self.proc.pid
        deadline = time.time() + timeout
        while children(pid) and time.time() < deadline:
            time.sleep(0.1)
        return children(pid)

    def test_soak(self):
        pid = self.proc.pid
        # warm-up: every kind a few times, so that first-use allocations
        # (server threads, each pool) count as idle
        self.check(self.run_requests(range(200)))
        self.assertEqual(self.wait_reaped(15), [], "instances not reaped after the warm-up")
        time.sleep(0.2)
        idle_rss, idle_fds = proc_status(pid, "VmRSS"), fds(pid)

        peak = {"children": 0, "fds": 0}
        done = threading.Event()

        def sample():
            while not done.wait(0.1):
                peak["children"] = max(peak["children"], len(children(pid)))
                peak["fds"] = max(peak["fds"], fds(pid))

        attacks = {"runs": 0, "tried": 0, "taken": 0, "forged": 0, "failed": 0}

        def attack():
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            while not done.is_set():
                ports = [p for p in listening_ports(pid) if p != self.port]
                conn.request("GET", "/attack?ports=" + ",".join(map(str, ports)))
                r = conn.getresponse()
                body = r.read()
                if r.status != 200:
                    attacks["failed"] += 1
                    continue
                got = json.loads(body)
                attacks["runs"] += 1
                for k in ("tried", "taken", "forged"):
                    attacks[k] += got[k]
            conn.close()

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        attacker = threading.Thread(target=attack, daemon=True)
        attacker.start()
        t0 = time.perf_counter()
        results = self.run_requests(range(REQUESTS))
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        attacker.join()
        self.assertEqual(len(results), REQUESTS)
        self.assertEqual(sorted(r[0] for r in results), list(range(REQUESTS)))
        self.check(results)
        busy_rss, peak_rss = proc_status(pid, "VmRSS"), proc_status(pid, "VmHWM")

        left = self.wait_reaped(15)
        time.sleep(0.2)
        after_rss, after_fds = proc_status(pid, "VmRSS"), fds(pid)
        quick = sorted(r[5] for r in results if r[1] == "good")
        by_kind = {k: sum(1 for r in results if r[1] == k) for k in QUERY}
        print(f"\nsoak: {REQUESTS} requests ({by_kind}) over {CONNECTIONS} connections in {wall:.1f} s "
              f"({REQUESTS / wall:.0f} req/s); quick ones p50 {quick[len(quick) // 2] * 1000:.2f} ms, "
              f"p99 {quick[int(len(quick) * 0.99)] * 1000:.2f} ms\n"
              f"  lamb RSS: idle {idle_rss} kB, right after {busy_rss} kB (peak {peak_rss} kB), "
              f"after reaping {after_rss} kB\n"
              f"  fds: idle {idle_fds}, at most {peak['fds']}, after {after_fds}; instances: at most "
              f"{peak['children']}, after reaping {len(left)}\n"
              f"  attacker: {attacks['runs']} runs on {attacks['tried']} Runtime APIs, {attacks['taken']} events "
              f"taken, {attacks['forged']} answers forged", file=sys.stderr)
        self.assertGreater(attacks["tried"], 0, "the attacker found no Runtime API to attack")
        self.assertEqual((attacks["taken"], attacks["forged"]), (0, 0), "an instance's Runtime API was hijacked")
        self.assertEqual(left, [], "instances left behind")
        self.assertEqual(after_fds, idle_fds, "file descriptors leaked")
        # back near idle: glibc keeps some freed memory in its arenas
        if not sanitized(pid):
                self.assertLess(after_rss, idle_rss + max(4096, idle_rss // 2),
                            f"RSS grew from {idle_rss} kB to {after_rss} kB")
        self.assertNotIn("AddressSanitizer", self.stderr())
        self.stop()
        self.assertEqual(self.proc.returncode, 0)


if __name__ == "__main__":
    lambtest.main()
