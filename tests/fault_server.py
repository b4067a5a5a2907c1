"""A real HTTP server on 127.0.0.1 that serves recorded pages and injects faults.

Routes map a path-with-query to a body; faults are queued per route and consumed one per
request: `500`, `503`, `429` (with Retry-After), `slow` (answers after the client's
timeout), `reset` (TCP reset, no answer), `truncate` (Content-Length larger than what is
sent), `waf` (F5 challenge with HTTP 200), `rejected` ("Request Rejected" with HTTP 200),
`overlong` (more bytes than Content-Length says), `trickle` (the body one byte every
`trickle_seconds`), `429-long` (Retry-After: 3600), `redirect:<location>` (a 302).
`redirects` maps a path to a Location answered with 302 on every request (loops, chains).
`resolve` renders a path not in `routes` on request (a large simulated register).
Every route has an ETag and Last-Modified and answers 304 to a matching conditional GET.
Every request is logged with its headers, so tests can assert what was asked and when.
"""

from __future__ import annotations

import hashlib
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WAF_BODY = (
    b'<html><head><script>window.TSPD_101="x";</script><script src="/TSPD/08a2?type=9"></script>'
    b'</head><body><input type="hidden" name="APM_DO_NOT_TOUCH" value="1"></body></html>'
)
REJECTED_BODY = (
    b"<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. "
    b"Please consult with your administrator.<br>Your support ID is: 123</body></html>"
)


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    last_modified: str = "Fri, 14 Mar 2025 09:12:05 GMT"

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'


@dataclass
class LoggedRequest:
    at: float
    path: str
    headers: dict[str, str]
    fault: str | None


@dataclass
class FaultServer:
    host: str = "127.0.0.1"
    slow_seconds: float = 1.5
    retry_after: str = "1"
    trickle_seconds: float = 0.2
    routes: dict[str, Route] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    faults: dict[str, list[str]] = field(default_factory=dict)
    log: list[LoggedRequest] = field(default_factory=list)
    # Pages rendered on request (a simulated register too large to hold rendered): path -> Route or None.
    resolve: Callable[[str], Route | None] | None = None

    def __post_init__(self):
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                with server._lock:
                    queue = server.faults.get(self.path, [])
                    fault = queue.pop(0) if queue else None
                    server.log.append(
                        LoggedRequest(time.monotonic(), self.path, dict(self.headers), fault)
                    )
                route = server.routes.get(self.path)
                if route is None and server.resolve is not None:
                    route = server.resolve(self.path)
                if fault == "reset":
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.connection.close()
                    self.close_connection = True
                    return
                if fault == "slow":
                    time.sleep(server.slow_seconds)
                if fault and fault.startswith("redirect:"):
                    return self._send(
                        302, b"", "text/html", {"Location": fault.removeprefix("redirect:")}
                    )
                if self.path in server.redirects:
                    return self._send(
                        302, b"", "text/html", {"Location": server.redirects[self.path]}
                    )
                if fault == "429-long":
                    return self._send(
                        429, b"Too Many Requests", "text/plain", {"Retry-After": "3600"}
                    )
                if fault in {"500", "503"}:
                    return self._send(
                        int(fault), b"<html><body>Server Error</body></html>", "text/html"
                    )
                if fault == "429":
                    return self._send(
                        429, b"Too Many Requests", "text/plain", {"Retry-After": server.retry_after}
                    )
                if fault == "waf":
                    return self._send(200, WAF_BODY, "text/html")
                if fault == "rejected":
                    return self._send(200, REJECTED_BODY, "text/html")
                if route is None:
                    return self._send(404, b"Not Found", "text/plain")
                if self.headers.get("If-None-Match") == route.etag:
                    return self._send(304, b"", None, {"ETag": route.etag})
                extra = {"ETag": route.etag, "Last-Modified": route.last_modified}
                if fault in {"overlong", "trickle"}:
                    self.send_response(200)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header(
                        "Content-Length",
                        str(len(route.body) // 2 if fault == "overlong" else len(route.body)),
                    )
                    self.end_headers()
                    try:
                        if fault == "overlong":
                            self.wfile.write(route.body)
                        else:
                            for i in range(len(route.body)):
                                self.wfile.write(route.body[i : i + 1])
                                self.wfile.flush()
                                time.sleep(server.trickle_seconds)
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                if fault == "truncate":
                    self.send_response(200)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    self.wfile.write(route.body[: len(route.body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                return self._send(200, route.body, route.content_type, extra)

            def _send(self, status, body, content_type, headers=None):
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # The client hung up (its timeout, or a fault we injected): expected here.
                if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                    super().handle_error(request, client_address)

        self.httpd = QuietServer((self.host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def requests_for(self, path_fragment: str) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.log if path_fragment in r.path]
