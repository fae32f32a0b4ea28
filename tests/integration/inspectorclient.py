"""A minimal client of Node's Inspector protocol (Chrome DevTools Protocol
over a WebSocket, as node --inspect-brk and Chromium serve it), for
test_debug and test_dashboard: the
WebSocket handshake and frames by hand, commands and their results,
events."""
import base64
import json
import os
import socket
import struct
import time
import urllib.request


class Inspector:
    def __init__(self, port, timeout=30, kind=None):
        """kind: the target's type to attach to (Chromium's "page"); None: the first."""
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                    targets = [t for t in json.loads(r.read()) if kind is None or t.get("type") == kind]
                if targets:
                    target = targets[0]
                    break
                time.sleep(0.1)
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        path = target["webSocketDebuggerUrl"].split(f":{port}", 1)[1]
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        assert b" 101 " in head.split(b"\r\n")[0], head
        self.id = 0
        self.pending = []

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the inspector closed the connection")
        self.buf += data

    def _need(self, n):
        while len(self.buf) < n:
            self._more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _frame(self):
        b0, b1 = self._need(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._need(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._need(8))[0]
        return b0 & 0x0F, self._need(n)

    def _read(self):
        text = b""
        while True:
            op, data = self._frame()
            if op in (1, 0):
                text += data
                return json.loads(text)
            if op == 8:
                raise EOFError("the inspector closed the WebSocket")

    def send(self, method, **params):
        self.id += 1
        body = json.dumps({"id": self.id, "method": method, "params": params}).encode()
        mask = os.urandom(4)
        n = len(body)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
        self.sock.sendall(head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(body)))
        return self.id

    def wait(self, pred, timeout=30):
        for i, m in enumerate(self.pending):
            if pred(m):
                return self.pending.pop(i)
        self.sock.settimeout(timeout)
        while True:
            m = self._read()
            if pred(m):
                return m
            self.pending.append(m)

    def call(self, method, **params):
        i = self.send(method, **params)
        m = self.wait(lambda m: m.get("id") == i)
        assert "error" not in m, m
        return m["result"]

    def event(self, method, timeout=30):
        return self.wait(lambda m: m.get("method") == method, timeout)
