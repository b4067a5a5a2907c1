"""`bgfunds serve` against malformed requests and signals (issue 27): every malformed request
gets a 4xx and leaves no traceback; SIGTERM and SIGINT end it within 2 s under load, even when
the parent left SIGTERM ignored (an ignored signal is inherited across exec)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def publish(tmp_path):
    release = tmp_path / "publish" / "releases" / "2026-12-07"
    release.mkdir(parents=True)
    (release / "index.html").write_text("<html><body>bgfunds</body></html>", encoding="utf-8")
    (release / "projects.parquet").write_bytes(os.urandom(8 << 20))
    (tmp_path / "publish" / "latest").symlink_to(release)
    return tmp_path


def _start(data_dir: Path, ignore_sigterm: bool = False):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            "0",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=(lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN))
        if ignore_sigterm
        else None,
    )
    line = proc.stdout.readline()
    url = line.split(" on ", 1)[1].split(" ", 1)[0]
    host, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
    return proc, url, (host, int(port))


def _raw(address, request: bytes) -> bytes:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks):
                break
        return b"".join(chunks)


MALFORMED = {
    "a NUL byte in the path": b"GET /index%00.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "a raw NUL byte in the path": b"GET /a\x00b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "a 5 000-digit Range": b"GET /projects.parquet HTTP/1.1\r\nHost: x\r\nRange: bytes="
    + b"9" * 5000
    + b"-\r\nConnection: close\r\n\r\n",
    "a 5 000-digit suffix Range": b"GET /projects.parquet HTTP/1.1\r\nHost: x\r\nRange: bytes=-"
    + b"9" * 5000
    + b"\r\nConnection: close\r\n\r\n",
    "invalid percent-encoding": b"GET /%ff%fe.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "a 4 000-character name": b"GET /"
    + b"a" * 4000
    + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "a garbled request line": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    "an unknown method": b"BREW /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "a path escaping the root": b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "a backslash path": b"GET /..\\..\\etc\\passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
}


@pytest.mark.integration
def test_every_malformed_request_gets_a_4xx_and_no_traceback(publish):
    proc, url, address = _start(publish)
    try:
        statuses = {}
        for name, request in MALFORMED.items():
            head = _raw(address, request)
            statuses[name] = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else None
        assert requests.get(url, timeout=5).status_code == 200  # still serving
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=10)
    bad = {k: s for k, s in statuses.items() if s is None or not 400 <= s < 500}
    assert not bad, bad
    assert statuses["a 5 000-digit Range"] == 416 and statuses["a NUL byte in the path"] == 404
    assert "Traceback" not in stderr, stderr


def _load(url: str, address, stop: threading.Event) -> list[threading.Thread]:
    def download():
        session = requests.Session()
        while not stop.is_set():
            try:
                session.get(url + "projects.parquet", timeout=5, stream=True).raw.read(1 << 20)
            except Exception:  # noqa: BLE001 - the server going away mid-body is the point
                pass

    def idle():  # connections that send half a request and wait
        held = []
        for _ in range(10):
            try:
                sock = socket.create_connection(address, timeout=5)
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
                held.append(sock)
            except OSError:
                pass
        stop.wait()
        for sock in held:
            sock.close()

    threads = [threading.Thread(target=download, daemon=True) for _ in range(16)]
    threads += [threading.Thread(target=idle, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    return threads


@pytest.mark.integration
@pytest.mark.parametrize(
    "signum, ignored", [(signal.SIGTERM, False), (signal.SIGTERM, True), (signal.SIGINT, False)]
)
def test_serve_stops_within_2_s_of_a_signal_under_load(publish, signum, ignored):
    proc, url, address = _start(publish, ignore_sigterm=ignored)
    stop = threading.Event()
    try:
        _load(url, address, stop)
        time.sleep(1.0)
        started = time.monotonic()
        proc.send_signal(signum)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        proc.kill()
        _, stderr = proc.communicate(timeout=10)
    print(f"stopped {elapsed:.2f} s after {signal.Signals(signum).name}")
    assert elapsed < 2.0 and proc.returncode == 0
    assert "Traceback" not in stderr, stderr
