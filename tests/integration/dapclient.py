"""A minimal Debug Adapter Protocol client (the protocol debugpy speaks) over
a TCP socket, for test_debug: requests, their responses, events."""
import json
import socket
import time


class Dap:
    """A minimal Debug Adapter Protocol client over a socket."""
    def __init__(self, port, timeout=30):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.buf = b""
        self.seq = 0
        self.pending = []

    def send(self, command, **arguments):
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command, "arguments": arguments}).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self.seq

    def _read(self):
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
        while len(self.buf) < n:
            self._more()
        msg, self.buf = self.buf[:n], self.buf[n:]
        return json.loads(msg)

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the debug adapter closed the connection")
        self.buf += data

    def wait(self, pred, what, timeout=30):
        for i, m in enumerate(self.pending):
            if pred(m):
                return self.pending.pop(i)
        self.sock.settimeout(timeout)
        while True:
            m = self._read()
            if pred(m):
                return m
            self.pending.append(m)

    def response(self, seq, timeout=30):
        m = self.wait(lambda m: m.get("type") == "response" and m.get("request_seq") == seq, f"response {seq}", timeout)
        assert m["success"], m
        return m

    def event(self, name, timeout=30):
        return self.wait(lambda m: m.get("type") == "event" and m.get("event") == name, name, timeout)

    def request(self, command, **arguments):
        return self.response(self.send(command, **arguments))
