"""Bulk answers streamed into the raw archive (issue 24, item 5): a spooled fetch archives
exactly the bytes a whole-body fetch would (same sha256), decodes gzip on the way within the
size cap, and leaves nothing behind when the body is cut short or too large. The peak memory
this saves is measured by `bench/isun_bulk_memory.py`, not here."""

from __future__ import annotations

import gzip
import http.server
import threading

import pytest

from sources.http_client import CrawlPolicy, FetchError, PoliteClient, ResponseTooLargeError
from sources.isun_opendata import CRITERIA_PATH, Programme, fetch_open_data, programme_url
from sources.raw_archive import RawArchive
from tests.fault_server import FaultServer, Route
from tests.isun_bulk_fixtures import criteria_body, write_big_programme

JSON = "application/json; charset=utf-8"


def _client(root, cap: int = 64 * 2**20, retries: int = 0) -> PoliteClient:
    policy = CrawlPolicy(
        allowed_hosts=frozenset({"127.0.0.1"}),
        min_interval_seconds={},
        default_interval_seconds=0.0,
        max_retries=retries,
        backoff_base_seconds=0.0,
        max_response_bytes=cap,
        obey_robots=False,
    )
    return PoliteClient(policy, RawArchive(root, durable=False), sleep=lambda s: None)


def _incoming(root) -> list:
    return sorted((root / "incoming").glob("*")) if (root / "incoming").exists() else []


@pytest.fixture(scope="module")
def big_answer(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "programme.json"
    write_big_programme(path, 2_000)
    return path.read_bytes()


@pytest.mark.integration
def test_a_spooled_answer_is_archived_byte_for_byte(tmp_path, big_answer):
    url = programme_url("", Programme("5", "1", ""))
    with FaultServer() as server:
        server.routes[CRITERIA_PATH] = Route(criteria_body([("5", "1", "Иновации")]), JSON)
        server.routes[url] = Route(big_answer, JSON)
        whole = _client(tmp_path / "whole").fetch(server.base_url + url)
        night = fetch_open_data(_client(tmp_path / "spooled"), server.base_url)
    assert night.fetched == [server.base_url + url] and not night.stopped
    spooled = night.records[-1]
    assert spooled.sha256 == whole.record.sha256 and spooled.bytes == len(big_answer)
    assert RawArchive(tmp_path / "spooled").read(spooled.sha256) == big_answer
    assert _incoming(tmp_path / "spooled") == []


@pytest.mark.integration
def test_a_cut_spooled_answer_is_never_archived(tmp_path, big_answer):
    with FaultServer() as server:
        server.routes["/api"] = Route(big_answer, JSON)
        server.faults["/api"] = ["truncate"]
        client = _client(tmp_path)
        with pytest.raises(FetchError, match="cut off|Content-Length"):
            client.fetch(server.base_url + "/api", spool=True)
    objects = tmp_path / "objects"
    assert (list(objects.rglob("*")) if objects.exists() else []) == []
    assert _incoming(tmp_path) == []


class _Gzip(http.server.BaseHTTPRequestHandler):
    body = b""

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        packed = gzip.compress(self.body)
        self.send_response(200)
        self.send_header("Content-Type", JSON)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(packed)))
        self.end_headers()
        self.wfile.write(packed)


@pytest.mark.integration
@pytest.mark.parametrize("cap_mib, fits", [(64, True), (1, False)])
def test_gzip_is_decoded_on_the_way_within_the_cap(tmp_path, big_answer, cap_mib, fits):
    handler = type("H", (_Gzip,), {"body": big_answer})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api"
    try:
        client = _client(tmp_path, cap=cap_mib * 2**20)
        if fits:
            result = client.fetch(url, spool=True)
            assert RawArchive(tmp_path).read(result.record.sha256) == big_answer
            assert result.body == big_answer[: len(result.body)] and len(result.body) == 64 * 1024
        else:
            with pytest.raises(ResponseTooLargeError, match="decompressed body exceeds cap"):
                client.fetch(url, spool=True)
    finally:
        server.shutdown()
        server.server_close()
    assert _incoming(tmp_path) == []
