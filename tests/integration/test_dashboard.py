"""The dashboard of start-api, start-lambda and local start: its files under /_lamb/,
the event stream receiving the functions and routes, each invocation
(cold, then warm) and the instances, the link to an invocation's log
lines, --no-dashboard; and, where Chromium is installed, the page loaded
in a headless browser while requests are served (skipped otherwise).
Under local start, its schedules with their next fire time too."""
import json
import os
import re
import shutil
import socket
import subprocess
import time
import unittest
import urllib.request

import lambtest

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src/
      Events:
        Get: {Type: HttpApi, Properties: {Path: /hello, Method: get}}
"""
APP = """\
def handler(event, context):
    who = event["queryStringParameters"]["who"]
    print("serving", who)
    return {"statusCode": 200, "body": "hi " + who}
"""
FILES = {"template.yaml": TEMPLATE, "src/app.py": APP}


class Server(lambtest.ServerIn):
    """A server with its dashboard (unless --no-dashboard)."""

    def __init__(self, d, *args, **kw):
        other = None if "--no-dashboard" in args else r"dashboard on http"
        super().__init__(d, *args, other=other, **kw)
        m = re.search(r"dashboard on (http://127\.0\.0\.1:\d+)/_lamb/", self.stderr())
        self.dash = m.group(1) if m else None


class Events:
    """The event stream, read as it comes."""
    def __init__(self, base):
        host, port = base.rsplit("/", 1)[1].split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=20)
        self.sock.sendall(b"GET /_lamb/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        self.head, self.buf = self.buf.split(b"\r\n\r\n", 1)

    def next(self):
        while b"\n\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("the event stream ended")
            self.buf += data
        block, self.buf = self.buf.split(b"\n\n", 1)
        fields = dict(line.split(": ", 1) for line in block.decode().splitlines())
        return fields["event"], json.loads(fields["data"])

    def until(self, name, pred=lambda d: True):
        while True:
            ev, data = self.next()
            if ev == name and pred(data):
                return data


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


class Dashboard(unittest.TestCase):
    def test_page_stream_and_log_link(self):
        with lambtest.project(FILES) as d:
            srv = Server(d, "--dashboard-port", "0")
            try:
                self.assertIsNotNone(srv.dash, srv.stderr())
                status, ctype, html = get(srv.dash + "/_lamb/")
                # the API's own port leads there too
                self.assertEqual(get(srv.url + "/_lamb/")[2], html)
                self.assertEqual(status, 200)
                self.assertIn("text/html", ctype)
                self.assertIn('<script src="app.js">', html)
                for name in ("app.js", "style.css"):
                    self.assertEqual(get(f"{srv.dash}/_lamb/{name}")[0], 200)
                self.assertNotIn("http", re.sub(r"http://www\.w3\.org/2000/svg", "", get(srv.dash + "/_lamb/app.js")[2]),
                                 "nothing fetched from the network")
                ev = Events(srv.dash)
                self.assertIn(b"text/event-stream", ev.head)
                hello = ev.until("hello")
                self.assertEqual([f["id"] for f in hello["functions"]], ["Hello"])
                self.assertEqual(hello["routes"][0]["url"], srv.url + "/hello")
                t0 = time.monotonic()
                self.assertEqual(get(srv.url + "/hello?who=ann")[2], "hi ann")
                cold = ev.until("invocation")
                self.assertLess(time.monotonic() - t0, 5)
                self.assertEqual((cold["function"], cold["cold"], cold["outcome"]), ("Hello", True, "ok"))
                self.assertGreater(cold["initDuration"], 0)
                self.assertEqual(get(srv.url + "/hello?who=bob")[2], "hi bob")
                warm = ev.until("invocation")
                self.assertFalse(warm["cold"])
                self.assertGreaterEqual(warm["billed"], 1)
                inst = ev.until("instances", lambda a: a and a[0]["invocations"] == 2)
                self.assertEqual(inst[0]["state"], "idle")
                time.sleep(0.1)  # the log store writes every 20 ms
                _, _, lines = get(f"{srv.dash}/_lamb/logs?function=Hello&request={warm['requestId']}")
                self.assertIn(f"START RequestId: {warm['requestId']}", lines)
                self.assertIn("serving bob", lines)
                self.assertNotIn("serving ann", lines)
                # a browser connecting later sees the invocations already served
                again = Events(srv.dash)
                self.assertEqual(again.until("invocation")["requestId"], cold["requestId"])
            finally:
                srv.stop()

    def test_no_dashboard(self):
        with lambtest.project(FILES) as d:
            srv = Server(d, "--no-dashboard")
            try:
                self.assertIsNone(srv.dash)
                self.assertEqual(get(srv.url + "/hello?who=x")[2], "hi x")
            finally:
                srv.stop()

    def test_start_lambda_has_one(self):
        with lambtest.project(FILES) as d:
            srv = Server(d, command=("local", "start-lambda"))
            try:
                self.assertIsNotNone(srv.dash)
                ev = Events(srv.dash)
                self.assertEqual(ev.until("hello")["routes"], [])
                # the Invoke API's own port leads there too
                self.assertEqual(get(srv.url + "/_lamb/")[2], get(srv.dash + "/_lamb/")[2])
            finally:
                srv.stop()

    def test_local_start_has_one_with_its_schedules(self):
        files = dict(FILES, **{"template.yaml": TEMPLATE + "        Hourly: {Type: Schedule, Properties: "
                                                          "{Schedule: rate(1 hour)}}\n"})
        with lambtest.project(files) as d:
            srv = Server(d, "--lambda-port", "0", "--services-port", "0", "--clock", "manual",
                         command=("local", "start"), ready=r"the APIs on http://127\.0\.0\.1:(\d+)\n")
            try:
                self.assertIsNotNone(srv.dash, srv.stderr())
                html = get(srv.dash + "/_lamb/")[2]
                self.assertIn('id="services"', html)
                invoke = re.search(r"Invoke API on (http://127\.0\.0\.1:\d+)", srv.stderr()).group(1)
                for port in (srv.url, invoke):  # the APIs' and the Invoke API's /_lamb/ lead there
                    self.assertEqual(get(port + "/_lamb/")[2], html)
                ev = Events(srv.dash)
                self.assertEqual(ev.until("hello")["routes"][0]["url"], srv.url + "/hello")
                services = ev.until("services")
                self.assertTrue(any(re.search(r"Hello/Hourly -> Hello: rate\(1 hour\), next \d{4}-", l)
                                    for l in services), services)
                self.assertEqual(get(srv.url + "/hello?who=ann")[2], "hi ann")
                inv = ev.until("invocation")
                self.assertEqual((inv["function"], inv["cold"]), ("Hello", True))
                time.sleep(0.1)  # kept for lamb logs too, which the link reads
                lines = get(f"{srv.dash}/_lamb/logs?function=Hello&request={inv['requestId']}")[2]
                self.assertIn("serving ann", lines)
            finally:
                srv.stop()


class InABrowser(unittest.TestCase):
    """Headless Chromium driven through the DevTools protocol (the page's
    event stream never ends, so --dump-dom would wait forever)."""

    def test_headless_chromium_shows_the_rows(self):
        browser = shutil.which("chromium") or shutil.which("chromium-browser")
        if not browser:
            self.skipTest("no chromium installed")
        from inspectorclient import Inspector
        with lambtest.project(FILES) as d:
            srv = Server(d, "--dashboard-port", "0")
            port = lambtest.free_port()
            chrome = subprocess.Popen([browser, "--headless", "--no-sandbox", "--disable-gpu",
                                       f"--remote-debugging-port={port}",
                                       f"--user-data-dir={os.path.join(d, 'chromium')}", "about:blank"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                page = Inspector(port, timeout=60, kind="page")
                page.call("Page.enable")
                page.call("Page.navigate", url=srv.dash + "/_lamb/")
                page.event("Page.loadEventFired", timeout=60)
                for who in ("ann", "bob"):  # served while the page is open
                    get(f"{srv.url}/hello?who={who}")
                count = "document.querySelectorAll('#invocations tr.invocation').length"
                deadline = time.time() + 20
                while time.time() < deadline and self._eval(page, count) < 2:
                    time.sleep(0.1)
                self.assertEqual(self._eval(page, count), 2)
                self.assertEqual(self._eval(page, "document.querySelectorAll('tr.invocation.cold').length"), 1)
                self.assertEqual(self._eval(page, "document.querySelectorAll('#chart circle.cold').length"), 1)
                self.assertIn("/hello", self._eval(page, "document.getElementById('routes').textContent"))
                shot = page.call("Page.captureScreenshot", format="png")["data"]
                out = os.environ.get("LAMB_BUILD_ROOT") or d
                with open(os.path.join(out, "dashboard.png"), "wb") as f:  # the test's artifact
                    f.write(__import__("base64").b64decode(shot))
            finally:
                os.killpg(chrome.pid, 9)
                chrome.wait()
                srv.stop()

    @staticmethod
    def _eval(page, expr):
        return page.call("Runtime.evaluate", expression=expr, returnByValue=True)["result"]["value"]


if __name__ == "__main__":
    lambtest.main()
