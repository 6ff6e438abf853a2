"""A small fault-injecting HTTP proxy in front of the real local server, for the client's retry tests:
for the requests it is told about it drops the connection after forwarding the request, answers a
status of its own (503, 429 with `Retry-After`) without forwarding, or waits before forwarding;
every other request goes through unchanged. One request per connection (`Connection: close`)."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from typing import List, Optional, Tuple
from urllib.parse import urlsplit

# Actions: ("pass",), ("drop",) forward then close without answering, ("status", code[, retry_after])
# answer without forwarding, ("delay", seconds) wait, then forward and answer.
Action = Tuple


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._faults: List[Tuple[str, str, Action]] = []
        self._lock = threading.Lock()
        self.seen: List[Tuple[str, str, str]] = []  # (method, path, action) of every request received
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def fail(self, method: str, path_prefix: str, *actions: Action) -> None:
        """The next requests of `method` on a path starting with `path_prefix` meet `actions`, in order."""
        with self._lock:
            self._faults += [(method, path_prefix, a) for a in actions]

    def count(self, method: str, path_prefix: str) -> int:
        return sum(1 for m, p, _ in self.seen if m == method and p.startswith(path_prefix))

    def close(self) -> None:
        self._closed = True
        self._sock.close()

    def _take(self, method: str, path: str) -> Action:
        with self._lock:
            for i, (m, prefix, action) in enumerate(self._faults):
                if m == method and path.startswith(prefix):
                    del self._faults[i]
                    return action
        return ("pass",)

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = _read_request(conn)
            if request is None:
                return
            method, target, headers, body = request
            action = self._take(method, urlsplit(target).path)
            with self._lock:
                self.seen.append((method, urlsplit(target).path, action[0]))
            if action[0] == "status":
                code = int(action[1])
                extra = f"Retry-After: {action[2]}\r\n" if len(action) > 2 else ""
                payload = json.dumps({"detail": "injected by the test proxy", "code": f"injected_{code}"}).encode()
                head = f"HTTP/1.1 {code} Injected\r\nContent-Type: application/json\r\n{extra}Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
                conn.sendall(head.encode() + payload)
                return
            if action[0] == "delay":
                time.sleep(float(action[1]))
            reply = self._forward(method, target, headers, body)
            if action[0] == "drop":
                return  # the server did the work; the client never hears of it
            conn.sendall(reply)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _forward(self, method: str, target: str, headers: List[Tuple[str, str]], body: bytes) -> bytes:
        upstream = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            sent = {k: v for k, v in headers if k.lower() not in ("host", "connection", "content-length")}
            upstream.request(method, target, body=body or None, headers=sent)
            resp = upstream.getresponse()
            payload = resp.read()
            lines = [f"HTTP/1.1 {resp.status} {resp.reason}"]
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    lines.append(f"{k}: {v}")
            lines += [f"Content-Length: {len(payload)}", "Connection: close"]
            return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
        finally:
            upstream.close()


def _read_request(conn: socket.socket) -> Optional[Tuple[str, str, List[Tuple[str, str]], bytes]]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = [(k.strip(), v.strip()) for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)]
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return method, target, headers, body


class SilentServer:
    """A socket that accepts connections and never answers: every read times out."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def close(self) -> None:
        self._sock.close()


def closed_port_url() -> str:
    """The address of a port nobody listens on."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"
