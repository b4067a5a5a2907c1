"""`bgfunds serve` on loopback: Range, the moving `latest`, confinement, headers; and a
release read by DuckDB 1.x (the file itself, and one Parquet column over HTTP with httpfs).

DuckDB 1.x lives in its own environment, `.venv-duckdb1` (made by `make setup` from
`requirements-duckdb1.lock`, with httpfs from the `duckdb-ext-httpfs` wheel), so nothing is
downloaded while the tests run; the tests call it as a subprocess.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pytest
import requests

from pipelines.serve import ReleaseHandler, make_server, parse_range

REPO = Path(__file__).resolve().parent.parent
DUCKDB1 = Path(os.environ.get("BGFUNDS_DUCKDB1_PYTHON", REPO / ".venv-duckdb1" / "bin" / "python"))
needs_duckdb1 = pytest.mark.skipif(
    not DUCKDB1.exists() and not os.environ.get("CI"),
    reason="no DuckDB 1.x environment: run `make setup`",
)


def _release(root: Path, release_id: str, text: str) -> Path:
    directory = root / "releases" / release_id
    directory.mkdir(parents=True)
    (directory / "index.html").write_text(f"<p>{text}</p>", encoding="utf-8")
    return directory


def _point(root: Path, release_id: str) -> None:
    tmp = root / ".latest-tmp"
    os.symlink(Path("releases") / release_id, tmp)
    os.replace(tmp, root / "latest")


@pytest.fixture
def server(tmp_path):
    """A publish root with one release, served in this process; yields (url, root, bytes sent per path)."""
    root = tmp_path / "publish"
    first = _release(root, "2026-12-01", "first")
    data = bytes(range(256)) * 400  # 102 400 bytes
    (first / "blob.bin").write_bytes(data)
    (tmp_path / "secret.txt").write_text("not for the web")
    _point(root, "2026-12-01")
    srv = make_server(root, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/", root, data
    srv.shutdown()
    srv.server_close()


def test_parse_range():
    assert parse_range("bytes=0-9", 100) == (0, 9)
    assert parse_range("bytes=90-", 100) == (90, 99)
    assert parse_range("bytes=-10", 100) == (90, 99)
    assert parse_range("bytes=95-200", 100) == (95, 99)
    assert parse_range("bytes=100-", 100) == "unsatisfiable"
    assert parse_range("bytes=0-1,5-6", 100) is None  # several ranges: the whole file
    assert parse_range("items=0-1", 100) is None


def test_range_requests_get_only_the_bytes_asked_for(server):
    url, _, data = server
    whole = requests.get(url + "blob.bin", timeout=5)
    assert (
        whole.status_code == 200
        and whole.content == data
        and whole.headers["Accept-Ranges"] == "bytes"
    )
    part = requests.get(url + "blob.bin", headers={"Range": "bytes=1000-1999"}, timeout=5)
    assert part.status_code == 206 and part.content == data[1000:2000]
    assert (
        part.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
        and part.headers["Content-Length"] == "1000"
    )
    tail = requests.get(
        url + "blob.bin", headers={"Range": "bytes=-8"}, timeout=5
    )  # how Parquet readers start
    assert tail.status_code == 206 and tail.content == data[-8:]
    beyond = requests.get(url + "blob.bin", headers={"Range": f"bytes={len(data)}-"}, timeout=5)
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(data)}"
    head = requests.head(url + "blob.bin", timeout=5)
    assert (
        head.status_code == 200
        and head.headers["Content-Length"] == str(len(data))
        and not head.content
    )
    again = requests.get(
        url + "blob.bin", headers={"If-None-Match": whole.headers["ETag"]}, timeout=5
    )
    assert again.status_code == 304


def test_latest_moves_without_a_restart_and_fixed_releases_stay(server):
    url, root, _ = server
    assert "first" in requests.get(url, timeout=5).text
    _release(root, "2026-12-02", "second")
    _point(root, "2026-12-02")
    assert "second" in requests.get(url, timeout=5).text
    assert requests.get(url, timeout=5).headers["Cache-Control"] == "no-cache"
    fixed = requests.get(url + "releases/2026-12-01/index.html", timeout=5)
    assert "first" in fixed.text and "immutable" in fixed.headers["Cache-Control"]


def test_before_the_first_release_it_serves_503_and_health_then_the_release_without_a_restart(
    tmp_path,
):
    """A new install: the service starts before the first night; `/` and `/health` say so
    (503, Retry-After, status "no release"), and the first release is served once `latest` exists."""
    root = tmp_path / "publish"
    root.mkdir()
    srv = make_server(root, "127.0.0.1", 0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/"
    try:
        page = requests.get(url, timeout=5)
        assert page.status_code == 503 and page.headers["Retry-After"] == "3600"
        assert "no release is published yet" in page.text
        state = requests.get(url + "health", timeout=5)
        assert state.status_code == 503 and state.json()["status"] == "no release"
        _release(root, "2026-12-08", "the first night")
        _point(root, "2026-12-08")
        assert requests.get(url, timeout=5).text == "<p>the first night</p>"
        assert requests.get(url + "nothing.html", timeout=5).status_code == 404
    finally:
        srv.shutdown()
        srv.server_close()


def test_only_files_inside_the_publish_root_and_only_reads(server):
    url, _, _ = server
    for path in (
        "../secret.txt",
        "%2e%2e/secret.txt",
        "releases/../../secret.txt",
        ".latest-tmp",
        "releases/",
        "nothing.html",
    ):
        assert requests.get(url + path, timeout=5).status_code == 404, path
    with socket.create_connection(
        (url.split("//")[1].split(":")[0], int(url.rsplit(":", 1)[1].strip("/")))
    ) as s:
        s.sendall(b"GET /../../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b" 404 " in s.recv(200)
    assert requests.post(url, data=b"x", timeout=5).status_code == 405
    headers = requests.get(url, timeout=5).headers
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert (
        "default-src 'self'" in headers["Content-Security-Policy"]
        and headers["Server"] == "bgfunds"
    )


def test_an_idle_connection_is_dropped_after_the_timeout(server, monkeypatch):
    url, _, _ = server
    monkeypatch.setattr(ReleaseHandler, "timeout", 0.5)
    host, port = "127.0.0.1", int(url.rsplit(":", 1)[1].strip("/"))
    with socket.create_connection((host, port)) as s:
        s.sendall(b"GET / HTTP/1.1\r\n")  # and then nothing
        s.settimeout(5)
        started = time.monotonic()
        assert s.recv(100) == b""  # closed by the server
        assert time.monotonic() - started < 4


@needs_duckdb1
def test_the_release_warehouse_opens_in_duckdb_1_and_2(two_releases):
    _, _, second = two_releases
    query = (
        "SELECT municipality_code, contracted_bgn, paid_eur FROM absorption_by_municipality "
        "ORDER BY 1"
    )
    expected = (
        duckdb.connect(str(second / "warehouse.duckdb"), read_only=True).execute(query).fetchall()
    )
    assert duckdb.__version__.startswith("2.")
    script = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        f"print(duckdb.__version__); print(c.execute({query!r}).fetchall()); "
        "print(c.execute('SELECT count(*) FROM totals_over_releases').fetchone()[0])"
    )
    out = subprocess.run(
        [str(DUCKDB1), "-c", script, str(second / "warehouse.duckdb")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.splitlines()
    assert out[0].startswith("1.") and out[1] == repr(expected) and out[2] == "2"


@needs_duckdb1
def test_duckdb_httpfs_reads_one_column_without_fetching_the_whole_file(tmp_path):
    """A Parquet file of several MB with a wide text column: summing the narrow amount column
    over HTTP reads a small part of it, in Range requests; the sum is right."""
    root = tmp_path / "publish"
    release = _release(root, "2026-12-01", "x")
    _point(root, "2026-12-01")
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT i AS row_no, (i % 1000)::DECIMAL(18,2) AS amount_eur,
                                 md5(i::VARCHAR) || repeat(md5((i * 7)::VARCHAR), 6) AS notes
                          FROM range(200000) t(i))
                    TO '{release / "wide.parquet"}' (FORMAT parquet, ROW_GROUP_SIZE 50000)""")
    size = (release / "wide.parquet").stat().st_size
    expected = con.execute(f"SELECT sum(amount_eur) FROM '{release / 'wide.parquet'}'").fetchone()[
        0
    ]
    served: list[tuple[str, str | None, int]] = []

    class Recording(ReleaseHandler):
        publish_root = root

        def send_header(self, keyword, value):
            if keyword == "Content-Length" and self.command == "GET":
                served.append((self.path, self.headers.get("Range"), int(value)))
            super().send_header(keyword, value)

    srv = make_server(root, "127.0.0.1", 0)
    srv.RequestHandlerClass = Recording
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/wide.parquet"
        script = (
            "import duckdb, duckdb_ext, pathlib, sys\n"
            "c = duckdb.connect()\n"
            "c.execute('SET autoinstall_known_extensions = false')\n"
            "c.execute('SET extension_directory = ?', "
            "[str(pathlib.Path(list(duckdb_ext.__path__)[0]) / 'extensions')])\n"
            "c.execute('LOAD httpfs')\n"
            "print(c.execute('SELECT sum(amount_eur) FROM read_parquet(?)', [sys.argv[1]]).fetchone()[0])\n"
        )
        out = subprocess.run(
            [str(DUCKDB1), "-c", script, url], capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
    finally:
        srv.shutdown()
        srv.server_close()
    assert out.stdout.strip() == str(expected)
    fetched = sum(n for path, _, n in served if path.endswith("wide.parquet"))
    assert served and all(r is not None for _, r, _ in served), (
        served
    )  # every GET was a Range request
    assert size > 5_000_000 and fetched < size / 4, (fetched, size, served)
    print(f"httpfs read {fetched} of {size} bytes in {len(served)} range requests")
