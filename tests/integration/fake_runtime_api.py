"""A small threaded Runtime API server for testing runtime shims without lamb's C server:
queues events, hands them to /next with the headers Lambda sends, captures responses, errors
and init errors, checks request ids, counts connections, and notes for each POST whether the
runtime had sent its next request behind it (HTTP/1.1 pipelining; such requests are answered
in order, one by one). Also RuntimeProcess, which starts a bootstrap against it with a
Lambda-like environment. Not a model of timeouts or limits:
that is the emulator's job and is tested through lamb itself."""
import json
import os
import queue
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
MAX_RESPONSE = 6 * 1024 * 1024 + 100


class Outcome:
    """What became of one invocation: kind is 'response', 'error', 'init_error' or 'exit'."""

    def __init__(self, kind, body=b"", headers=None):
        self.kind = kind
        self.body = body
        self.headers = headers or {}

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "Outcome(%s, %r)" % (self.kind, self.body[:500])


class Invocation:
    def __init__(self, event, headers):
        self.id = str(uuid.uuid4())
        self.event = event
        self.headers = headers
        self.outcome = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        BaseHTTPRequestHandler.setup(self)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.api.connection_opened()

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        api = self.server.api
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        if api.close_connections:
            self.send_header("Connection", "close")
            self.close_connection = True
        if api.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(data), 1000):
                piece = data[i:i + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def next_request_sent(self):
        """Whether more bytes from the client wait, buffered or on the socket (not blocking)."""
        self.connection.setblocking(False)
        try:
            return bool(self.rfile.peek(1))
        except BlockingIOError:
            return False
        finally:
            self.connection.setblocking(True)

    def do_GET(self):
        if self.path != PREFIX + "/invocation/next":
            return self.reply(404, {"errorType": "NotFound", "errorMessage": self.path})
        self.server.api.requests.append(("GET", self.path))
        inv = self.server.api.take()
        if inv is None:  # shutting down
            self.close_connection = True
            return self.reply(500, {"errorType": "ShuttingDown", "errorMessage": ""})
        self.reply(200, inv.event, inv.headers)

    def do_POST(self):
        api = self.server.api
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        api.requests.append(("POST", self.path))
        api.pipelined.append(self.next_request_sent())
        if api.drop_after_post:  # as a server closing a kept-alive connection may, unannounced
            self.close_connection = True
        if self.path == PREFIX + "/init/error":
            api.finish_init_error(Outcome("init_error", body, dict(self.headers)))
            return self.reply(202, {"status": "OK"})
        parts = self.path[len(PREFIX):].split("/")  # '', 'invocation', id, kind
        if len(parts) != 4 or parts[1] != "invocation" or parts[3] not in ("response", "error"):
            return self.reply(404, {"errorType": "NotFound", "errorMessage": self.path})
        if len(body) > MAX_RESPONSE:
            api.finish(parts[2], Outcome("error", b'{"errorType":"Function.ResponseSizeTooLarge"}'))
            return self.reply(413, {"errorMessage": "Exceeded maximum allowed payload size "
                                    "(6291556 bytes).", "errorType": "RequestEntityTooLarge"})
        status = api.finish(parts[2], Outcome(parts[3], body, dict(self.headers)))
        if status == 400:
            return self.reply(400, {"errorMessage": "Invalid request ID",
                                    "errorType": "InvalidRequestID"})
        if status == 403:
            return self.reply(403, {"errorMessage": "Invalid state transition",
                                    "errorType": "InvalidStateTransition"})
        self.reply(202, {"status": "OK"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a runtime killed mid-request is routine here


class FakeRuntimeAPI:
    def __init__(self, function_name="test-fn", region="us-east-1"):
        self.arn = "arn:aws:lambda:%s:123456789012:function:%s" % (region, function_name)
        self.events = queue.Queue()
        self.cond = threading.Condition()
        self.invocations = {}
        self.init_error = None
        self.connections = 0
        self.chunked = False  # answer with Transfer-Encoding: chunked
        self.close_connections = False  # answer with Connection: close, then close
        self.drop_after_post = False  # close the connection after answering a POST, unannounced
        self.requests = []
        self.pipelined = []  # per POST: was the next request sent before its answer?
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.api = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return "127.0.0.1:%d" % self.server.server_address[1]

    def connection_opened(self):
        with self.cond:
            self.connections += 1

    def take(self):
        return self.events.get()

    def finish(self, request_id, outcome):
        with self.cond:
            inv = self.invocations.get(request_id)
            if inv is None:
                return 400
            if inv.outcome is not None:
                return 403
            inv.outcome = outcome
            self.cond.notify_all()
            return 202

    def finish_init_error(self, outcome):
        with self.cond:
            self.init_error = outcome
            self.cond.notify_all()

    def submit(self, event=b"{}", timeout_s=3, client_context=None, identity=None):
        """Queues an event (bytes, or any JSON value); returns the Invocation."""
        if not isinstance(event, bytes):
            event = json.dumps(event).encode()
        deadline = int(time.time() * 1000) + int(timeout_s * 1000)
        inv = Invocation(event, [])
        inv.headers = [("Lambda-Runtime-Aws-Request-Id", inv.id),
                       ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                       ("Lambda-Runtime-Invoked-Function-Arn", self.arn),
                       ("Lambda-Runtime-Trace-Id",
                        "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0")]
        if client_context is not None:
            inv.headers.append(("Lambda-Runtime-Client-Context", json.dumps(client_context)))
        if identity is not None:
            inv.headers.append(("Lambda-Runtime-Cognito-Identity", json.dumps(identity)))
        with self.cond:
            self.invocations[inv.id] = inv
        self.events.put(inv)
        return inv

    def wait(self, inv, timeout=15, alive=lambda: True):
        """Waits for inv's outcome, an init error, or alive() turning false ('exit')."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                if inv.outcome is not None:
                    return inv.outcome
                if self.init_error is not None:
                    return self.init_error
                if not alive():
                    return Outcome("exit")
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no outcome for invocation %s" % inv.id)
                self.cond.wait(min(left, 0.05))

    def close(self):
        self.events.put(None)
        self.server.shutdown()
        self.server.server_close()


def lambda_env(api, handler, task_root, extra=None, function_name="test-fn", memory=128):
    """The environment lamb gives a function (runtime-api.md), with this PATH."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "_HANDLER": handler,
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": task_root,
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/" + function_name,
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]0123456789abcdef",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
    }
    if "HOME" in os.environ:  # pyenv shims and npm want it
        env["HOME"] = os.environ["HOME"]
    env.update(extra or {})
    return env


class RuntimeProcess:
    """A bootstrap (argv) running against a FakeRuntimeAPI; stdout and stderr kept in files."""

    def __init__(self, argv, handler, task_root, extra_env=None, api=None, **env_kw):
        self.api = api or FakeRuntimeAPI()
        self.out = tempfile.TemporaryFile()
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, cwd=task_root, stdout=self.out, stderr=self.err,
                                     env=lambda_env(self.api, handler, task_root, extra_env,
                                                    **env_kw))

    def alive(self):
        return self.proc.poll() is None

    def invoke(self, event=b"{}", timeout=15, **kw):
        inv = self.api.submit(event, **kw)
        return self.api.wait(inv, timeout, self.alive)

    def stdout(self):
        self.out.seek(0)
        return self.out.read().decode("utf-8", "replace")

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode("utf-8", "replace")

    def wait_exit(self, timeout=10):
        return self.proc.wait(timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.api.close()
        self.out.close()
        self.err.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
