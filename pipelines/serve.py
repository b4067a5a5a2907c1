"""`bgfunds serve`: the published releases over HTTP, read-only, on a threaded server.

`/` is whatever `data/publish/latest` points at *when the request arrives* (a new release
is served as soon as `latest` moves, without a restart); `/releases/<id>/…` is one fixed
release. Files only, from inside the publish root: no directory listings, no symlinks
out, no uploads. `Range: bytes=…` is answered with 206 and only the bytes asked for, so
DuckDB's httpfs (or any HTTP client) reads one Parquet column without the whole file.
Every response carries security headers; each connection has an idle timeout so a slow or
silent client holds one thread for at most `TIMEOUT_SECONDS`.

`/health` answers JSON about the data's freshness (`pipelines.health`): the latest release,
its age, the last night's outcome, the coverage line; 200 when fresh, 503 when older than
`max_age_hours`. Before the first release (a new install, the service started before the first
night), the server starts anyway: `/` answers 503 with `Retry-After` and a one-line page saying
no release is published yet, and `/health` says "no release", so a reverse proxy and a
monitor see the state instead of a refused connection. With a `notify_url`, a watcher thread
POSTs to it when the data turns stale (and when it is fresh again), checking every
`WATCH_SECONDS`.
"""

from __future__ import annotations

import email.utils
import json
import mimetypes
import os
import posixpath
import re
import signal
import socket
import sys
import threading
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

TIMEOUT_SECONDS = 15
WATCH_SECONDS = 300.0  # how often the staleness watcher looks (with a notify URL)
HEALTH_PATH = "/health"
BLOCK = 1 << 16
MEDIA_TYPES = {
    ".parquet": "application/vnd.apache.parquet",
    ".csv": "text/csv; charset=utf-8",
    ".duckdb": "application/octet-stream",
    ".jsonld": "application/ld+json",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".atom": "application/atom+xml",
    ".svg": "image/svg+xml",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ttl": "text/turtle; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # The site is static: its own scripts, styles and images only; nothing loaded from elsewhere.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "Cross-Origin-Resource-Policy": "cross-origin",  # data files may be read by notebooks on other origins
    "Access-Control-Allow-Origin": "*",
}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
MAX_RANGE_DIGITS = (
    19  # a byte offset beyond 10^19 cannot be satisfied (and int() of 5 000 digits raises)
)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def resolve(publish_root: Path, url_path: str) -> Path | None:
    """The file a URL path names, or None if it is outside the publish root or not a file."""
    try:
        path = unquote(urlsplit(url_path).path, errors="strict")
    except (UnicodeDecodeError, ValueError):  # %ff…: not a name any release has
        return None
    if "\x00" in path or "\\" in path:
        return None
    parts = [p for p in posixpath.normpath(path).split("/") if p not in ("", ".")]
    if ".." in parts or any(p.startswith(".") for p in parts):
        return None
    if parts[:1] == ["releases"]:
        base = publish_root / "releases"
        parts = parts[1:]
    else:
        base = publish_root / "latest"
    try:
        base = base.resolve(strict=True)  # `latest` is read now, per request: it may have moved
    except (OSError, ValueError):
        return None
    target = base.joinpath(*parts) if parts else base
    if target.is_dir():
        target = target / "index.html"
    try:
        real = target.resolve(strict=True)
    except (OSError, ValueError):  # ValueError: a name too long or otherwise unusable
        return None
    root = publish_root.resolve()
    if not real.is_relative_to(root) or not real.is_file():
        return None
    return real


def parse_range(header: str, size: int) -> tuple[int, int] | None | str:
    """(first, last) byte of a single `bytes=` range; None to send the whole file (no or
    unsupported header, e.g. several ranges); "unsatisfiable" for a range past the end."""
    m = _RANGE.match(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None
    first, last = m.group(1), m.group(2)
    if len(first) > MAX_RANGE_DIGITS or len(last) > MAX_RANGE_DIGITS:
        return "unsatisfiable"
    if not first:  # the last N bytes
        n = int(last)
        return (max(0, size - n), size - 1) if n and size else "unsatisfiable"
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return "unsatisfiable"
    return start, end


class ReleaseHandler(BaseHTTPRequestHandler):
    server_version = "bgfunds"
    protocol_version = "HTTP/1.1"  # keep-alive: DuckDB makes many small range requests
    default_request_version = "HTTP/1.0"  # a garbled request line still gets a status line
    timeout = TIMEOUT_SECONDS
    publish_root: Path
    max_age_hours: float = 48.0

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        if os.environ.get("BGFUNDS_SERVE_LOG"):
            super().log_message(format, *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals, all 4xx: an unknown method is 405, not 501."""
        if code == HTTPStatus.NOT_IMPLEMENTED:
            self._refuse()
            return
        super().send_error(code, message, explain)

    def _headers(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**SECURITY_HEADERS, **headers}.items():
            self.send_header(name, value)
        self.end_headers()

    def _error(self, status: HTTPStatus, extra: dict[str, str] | None = None) -> None:
        body = f"{status.value} {status.phrase}\n".encode()
        self._headers(
            status,
            {
                "Content-Type": "text/plain; charset=utf-8",
                "Content-Length": str(len(body)),
                **(extra or {}),
            },
        )
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        try:
            self._get()
        except (ConnectionError, TimeoutError):
            raise
        except Exception as exc:  # noqa: BLE001 - a request we did not foresee: 400, one line, no traceback
            print(f"serve: {self.path[:200]!r}: {type(exc).__name__}: {exc}", file=sys.stderr)
            if not self.wfile.closed:
                try:
                    self._error(HTTPStatus.BAD_REQUEST)
                except OSError:
                    pass
            self.close_connection = True

    def _get(self) -> None:
        if urlsplit(self.path).path == HEALTH_PATH:
            self._health()
            return
        path = resolve(self.publish_root, self.path)
        if path is None:
            if not (self.publish_root / "latest").exists():
                self._no_release_yet()
                return
            self._error(HTTPStatus.NOT_FOUND)
            return
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError:
            self._error(HTTPStatus.NOT_FOUND)
            return
        with fh:
            stat = os.fstat(fh.fileno())
            headers = self._file_headers(path, stat)
            if self.headers.get("If-None-Match") == headers["ETag"]:
                self._headers(
                    HTTPStatus.NOT_MODIFIED,
                    {k: v for k, v in headers.items() if k != "Content-Type"},
                )
                return
            self._send_range(fh, stat.st_size, headers)

    def _no_release_yet(self) -> None:
        """503 with Retry-After before the first release: the state, not a 404 or a refusal."""
        body = (
            b"503 Service Unavailable: no release is published yet; the first night will publish one "
            b"(see /health)\n"
        )
        self._headers(
            HTTPStatus.SERVICE_UNAVAILABLE,
            {
                "Content-Type": "text/plain; charset=utf-8",
                "Content-Length": str(len(body)),
                "Retry-After": "3600",
                "Cache-Control": "no-store",
            },
        )
        if self.command != "HEAD":
            self.wfile.write(body)

    def _health(self) -> None:
        """The data's freshness as JSON: 200 fresh, 503 stale or no release (`pipelines.health`)."""
        from pipelines.health import health

        state = health(self.publish_root.parent, self.max_age_hours)
        body = (json.dumps(state, ensure_ascii=False, indent=1) + "\n").encode()
        status = HTTPStatus.OK if state["fresh"] else HTTPStatus.SERVICE_UNAVAILABLE
        self._headers(
            status,
            {
                "Content-Type": "application/json",
                "Content-Length": str(len(body)),
                "Cache-Control": "no-store",
            },
        )
        if self.command != "HEAD":
            self.wfile.write(body)

    def _file_headers(self, path: Path, stat: os.stat_result) -> dict[str, str]:
        """Type, validators and caching of a file: `/` follows `latest`, so a cache must ask
        again; fixed releases never change."""
        return {
            "Content-Type": MEDIA_TYPES.get(
                path.suffix, mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            ),
            "Accept-Ranges": "bytes",
            "ETag": f'"{stat.st_ino:x}-{stat.st_size:x}-{stat.st_mtime_ns:x}"',
            "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
            "Cache-Control": "public, max-age=31536000, immutable"
            if self.path.startswith("/releases/")
            else "no-cache",
        }

    def _send_range(self, fh, size: int, headers: dict[str, str]) -> None:
        """The whole file, or the byte range the request asks for (206), or 416."""
        wanted = (
            parse_range(self.headers.get("Range", ""), size) if self.headers.get("Range") else None
        )
        if wanted == "unsatisfiable":
            self._error(
                HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, {"Content-Range": f"bytes */{size}"}
            )
            return
        if wanted is None:
            first, last, status = 0, size - 1, HTTPStatus.OK
        else:
            first, last = wanted
            status = HTTPStatus.PARTIAL_CONTENT
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        length = max(0, last - first + 1)
        self._headers(status, {**headers, "Content-Length": str(length)})
        if self.command == "HEAD":
            return
        fh.seek(first)
        try:
            while length > 0:
                block = fh.read(min(BLOCK, length))
                if not block:
                    break
                self.wfile.write(block)
                length -= len(block)
        except (BrokenPipeError, ConnectionResetError):  # the client went away (done early)
            self.close_connection = True

    def _refuse(self) -> None:
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse  # noqa: N815


class ReleaseServer(ThreadingHTTPServer):
    """One thread per connection (daemon threads), a deep accept queue, address reuse."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up or times out is routine; anything else is one line on stderr,
        never a traceback (the request that caused it has had its answer, or none)."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        print(
            f"serve: request from {client_address[0]} failed: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )


def make_server(
    publish_root: Path | str,
    host: str = "127.0.0.1",
    port: int = 8000,
    max_age_hours: float = 48.0,
) -> ReleaseServer:
    handler = type(
        "Handler",
        (ReleaseHandler,),
        {"publish_root": Path(publish_root), "max_age_hours": max_age_hours},
    )
    server_class = (
        type("ReleaseServer6", (ReleaseServer,), {"address_family": socket.AF_INET6})
        if ":" in host
        else ReleaseServer
    )
    return server_class((host, port), handler)


def watch_staleness(
    data_dir: Path, max_age_hours: float, notify_url: str, every_seconds: float = WATCH_SECONDS
) -> threading.Event:
    """Start the staleness watcher (a daemon thread); set the returned event to stop it."""
    from pipelines.health import StalenessWatch

    stop = threading.Event()
    watch = StalenessWatch(data_dir, max_age_hours, notify_url)

    def loop() -> None:
        while not stop.is_set():
            try:
                watch.check()
            except Exception as exc:  # noqa: BLE001 - the watcher outlives one bad look
                print(f"staleness watch: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            stop.wait(every_seconds)

    threading.Thread(target=loop, name="staleness-watch", daemon=True).start()
    return stop


def serve(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    max_age_hours: float = 48.0,
    notify_url: str = "",
) -> int:
    """Serve `data_dir/publish` until interrupted; `/` follows `latest`, `/health` says whether
    it is fresh; with `notify_url`, staleness is POSTed there."""
    publish_root = Path(data_dir) / "publish"
    if not (publish_root / "latest" / "index.html").exists():
        print(
            f"no release yet: {publish_root / 'latest'} has no index.html; serving 503 until the first "
            "night (or 'bgfunds demo' / 'bgfunds publish') publishes one",
            file=sys.stderr,
        )
    stop_watch = watch_staleness(Path(data_dir), max_age_hours, notify_url) if notify_url else None
    with make_server(publish_root, host, port, max_age_hours) as httpd:
        bound_host, bound_port = httpd.server_address[:2]
        print(
            f"serving {publish_root / 'latest'} on http://{bound_host}:{bound_port}/ (follows 'latest'; "
            "Ctrl-C to stop)",
            flush=True,
        )
        with _stopping_on_signals():
            try:
                httpd.serve_forever()
            except (_Stop, KeyboardInterrupt):
                pass
            finally:
                if stop_watch is not None:
                    stop_watch.set()
    return 0


class _Stop(BaseException):
    """SIGTERM or SIGINT: leave `serve_forever` at once (connection threads are daemons)."""


@contextmanager
def _stopping_on_signals():
    """Handlers for SIGTERM and SIGINT for the time of serving, whatever the parent left
    (an ignored SIGTERM is inherited across exec and kept a server alive under load)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, _frame):
        raise _Stop(signal.Signals(signum).name)

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
