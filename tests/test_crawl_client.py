"""The polite client against a real HTTP server on 127.0.0.1 that injects faults."""

import hashlib

import pytest

from sources.charset import decode_body
from sources.http_client import (
    CrawlPolicy,
    FetchError,
    ForeignHostError,
    HostBlockedError,
    PoliteClient,
    ResponseTooLargeError,
)
from sources.raw_archive import RawArchive
from tests.fault_server import FaultServer, Route
from tests.isun_mirror import CONTRACT_IDS, CP1251_CONTRACT, contract_body, contract_path

CONTRACT = CONTRACT_IDS[0]
PAGE = contract_path(CONTRACT)
CONTRACT_QUERY = PAGE.split("?", 1)[1].split("&", 1)[0]  # contractId=<URL-encoded token>


@pytest.fixture
def server():
    with FaultServer(slow_seconds=1.0) as srv:
        body, ctype = contract_body(CONTRACT)
        srv.routes[PAGE] = Route(body, ctype)
        yield srv


def make_client(tmp_path, server, **policy):
    settings = dict(
        allowed_hosts=frozenset({"127.0.0.1"}),
        min_interval_seconds={},
        default_interval_seconds=0.0,
        backoff_base_seconds=0.01,
        backoff_max_seconds=2.0,
        read_timeout=0.5,
        connect_timeout=0.5,
        contact="tests@bgfunds.example",
    )
    settings.update(policy)
    return PoliteClient(CrawlPolicy(**settings), RawArchive(tmp_path / "raw"))


def test_retries_5xx_then_stores_the_exact_body(tmp_path, server):
    server.faults[PAGE] = ["500", "503"]
    client = make_client(tmp_path, server)
    result = client.fetch(server.base_url + PAGE)
    assert result.body == server.routes[PAGE].body
    assert client.stats.retries == 2 and client.stats.requests == 4  # robots.txt, then 3 tries
    assert client.archive.read(result.record.sha256) == server.routes[PAGE].body
    assert [r.status for r in client.archive.records()] == [
        500,
        503,
        200,
    ]  # every response archived


def test_429_waits_at_least_retry_after(tmp_path, server):
    server.faults[PAGE] = ["429"]
    client = make_client(tmp_path, server)
    client.fetch(server.base_url + PAGE)
    first, second = server.requests_for(CONTRACT_QUERY)
    assert second.at - first.at >= 1.0  # Retry-After: 1, though our backoff would be ~0.01 s


@pytest.mark.parametrize("fault", ["slow", "reset", "truncate"])
def test_timeouts_resets_and_truncated_bodies_are_retried_never_stored(tmp_path, server, fault):
    server.faults[PAGE] = [fault]
    client = make_client(tmp_path, server)
    result = client.fetch(server.base_url + PAGE)
    assert (
        hashlib.sha256(result.body).hexdigest()
        == hashlib.sha256(server.routes[PAGE].body).hexdigest()
    )
    assert client.stats.retries == 1
    assert [r.sha256 for r in client.archive.records()] == [
        result.record.sha256
    ]  # no partial body archived


def test_gives_up_after_max_retries_with_a_clear_error(tmp_path, server):
    server.faults[PAGE] = ["500"] * 5
    client = make_client(tmp_path, server, max_retries=2)
    with pytest.raises(FetchError, match="HTTP 500 after 3 attempts"):
        client.fetch(server.base_url + PAGE)
    assert len(server.requests_for(CONTRACT_QUERY)) == 3


def test_404_is_not_retried(tmp_path, server):
    client = make_client(tmp_path, server)
    with pytest.raises(FetchError, match="HTTP 404"):
        client.fetch(server.base_url + "/nothing")
    assert len(server.requests_for("/nothing")) == 1


def test_waf_page_with_200_blocks_the_host_for_the_run(tmp_path, server):
    server.faults[PAGE] = ["waf"]
    client = make_client(tmp_path, server)
    with pytest.raises(HostBlockedError, match="javascript challenge"):
        client.fetch(server.base_url + PAGE)
    with pytest.raises(HostBlockedError):
        client.fetch(server.base_url + PAGE)
    assert len(server.requests_for(CONTRACT_QUERY)) == 1  # the second call never left the client
    assert client.stats.blocks == 1


def test_request_rejected_page_blocks_too(tmp_path, server):
    server.faults[PAGE] = ["rejected"]
    with pytest.raises(HostBlockedError, match="request rejected"):
        make_client(tmp_path, server).fetch(server.base_url + PAGE)


def test_export_without_pk_signature_is_not_data(tmp_path, server):
    server.routes["/bg/0/0/Project/ExportToExcel"] = Route(b"<html><body>Error</body></html>")
    with pytest.raises(HostBlockedError, match="PK signature"):
        make_client(tmp_path, server).fetch(
            server.base_url + "/bg/0/0/Project/ExportToExcel", expect="xlsx"
        )


def test_foreign_host_is_never_requested(tmp_path, server):
    with FaultServer(host="127.0.0.2") as foreign:
        client = make_client(tmp_path, server)
        with pytest.raises(ForeignHostError, match="127.0.0.2"):
            client.fetch(foreign.base_url + PAGE)
        assert foreign.log == []


def test_second_fetch_is_conditional_and_304_points_at_the_archived_body(tmp_path, server):
    client = make_client(tmp_path, server)
    first = client.fetch(server.base_url + PAGE)
    again = make_client(tmp_path, server).fetch(server.base_url + PAGE)  # a new run, same archive
    assert again.not_modified and again.body == first.body
    last = server.requests_for(CONTRACT_QUERY)[-1]
    assert last.headers["If-None-Match"] == server.routes[PAGE].etag
    assert last.headers["If-Modified-Since"] == server.routes[PAGE].last_modified
    assert [(r.status, r.sha256) for r in client.archive.records()] == [
        (200, first.record.sha256),
        (304, first.record.sha256),
    ]


def test_rate_limit_spaces_requests_per_host(tmp_path, server):
    client = make_client(tmp_path, server, default_interval_seconds=0.3)
    for _ in range(3):
        client.fetch(server.base_url + PAGE, conditional=False)
    times = [r.at for r in server.requests_for(CONTRACT_QUERY)]
    assert all(b - a >= 0.29 for a, b in zip(times, times[1:], strict=False))


def test_user_agent_is_honest(tmp_path, server):
    make_client(tmp_path, server).fetch(server.base_url + PAGE)
    assert (
        server.log[0].headers["User-Agent"]
        == "bgfunds/0.1 (open-data crawler; +mailto:tests@bgfunds.example)"
    )


def test_size_cap(tmp_path, server):
    with pytest.raises(ResponseTooLargeError):
        make_client(tmp_path, server, max_response_bytes=1000).fetch(server.base_url + PAGE)


def test_windows_1251_page_decodes_from_the_header_charset(tmp_path, server):
    body, ctype = contract_body(CP1251_CONTRACT)
    server.routes["/cp1251"] = Route(body, ctype)
    result = make_client(tmp_path, server).fetch(server.base_url + "/cp1251")
    assert b"<meta charset" not in result.body
    text = decode_body(result.body, result.record.content_type)
    assert "Енергийна ефективност на сградата на СУ „Христо Ботев“" in text
    assert "Енергийна ефективност на сградата на СУ „Христо Ботев“" in decode_body(
        result.body, None
    )  # no header
