"""The crawler against a hostile server on 127.0.0.1, with a foreign host on 127.0.0.2.

Every case ends with nothing foreign contacted (127.0.0.2's log stays empty), nothing
bad archived as good, and the crawl carrying on or stopping cleanly. Bounded: each test
takes at most a few seconds.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest

from bench.isun_render import encrypted_id
from sources.crawl_state import CrawlState
from sources.http_client import (
    BudgetExhaustedError,
    CrawlPolicy,
    DeadlineError,
    FetchError,
    ForeignHostError,
    HostBlockedError,
    HostDeferredError,
    PoliteClient,
    RedirectError,
    RobotsDisallowedError,
)
from sources.isun_crawl import CrawlConfig, run_crawl
from sources.raw_archive import RawArchive
from tests.fault_server import FaultServer, Route
from tests.isun_mirror import SEARCH_FIRST, SEARCH_PAGES, build_mirror, contract_body, contract_path

PAGE = contract_path("1001")


@pytest.fixture
def servers():
    with FaultServer(slow_seconds=1.0) as server, FaultServer(host="127.0.0.2") as foreign:
        body, ctype = contract_body("1001")
        server.routes[PAGE] = Route(body, ctype)
        foreign.routes[PAGE] = Route(b"<html>foreign</html>")
        yield server, foreign


def client_for(tmp_path, **policy) -> PoliteClient:
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


def test_redirect_to_a_foreign_host_is_never_requested(tmp_path, servers):
    server, foreign = servers
    server.faults[PAGE] = [f"redirect:{foreign.base_url}{PAGE}"]
    client = client_for(tmp_path)
    with pytest.raises(ForeignHostError, match="127.0.0.2"):
        client.fetch(server.base_url + PAGE)
    assert foreign.log == []
    assert client.stats.refused_foreign == 1 and client.stats.redirects == 1
    assert list(client.archive.records()) == []


def test_redirect_within_the_allow_list_is_followed_and_counted(tmp_path, servers):
    server, _ = servers
    server.redirects["/old"] = PAGE
    client = client_for(tmp_path, request_budget=10)
    result = client.fetch(server.base_url + "/old")
    assert result.body == server.routes[PAGE].body
    assert client.stats.requests == 3  # robots.txt, the redirect, the page


def test_redirect_loop_is_detected_and_rate_limited(tmp_path, servers):
    server, foreign = servers
    server.redirects["/a"] = "/b"
    server.redirects["/b"] = "/a"
    client = client_for(tmp_path, default_interval_seconds=0.05)
    started = time.monotonic()
    with pytest.raises(RedirectError, match="loop"):
        client.fetch(server.base_url + "/a")
    hops = server.requests_for("/a") + server.requests_for("/b")
    assert len(hops) == 2  # a -> b -> a: stopped before asking /a again
    assert time.monotonic() - started >= 0.1  # every hop waited its turn (robots, /a, /b)


def test_redirect_chain_longer_than_the_maximum_fails(tmp_path, servers):
    server, _ = servers
    for i in range(10):
        server.redirects[f"/r{i}"] = f"/r{i + 1}"
    with pytest.raises(RedirectError, match="more than 3 redirects"):
        client_for(tmp_path, max_redirects=3).fetch(server.base_url + "/r0")
    assert [r.path for r in server.log if r.path != "/robots.txt"] == ["/r0", "/r1", "/r2", "/r3"]


def test_robots_txt_is_obeyed(tmp_path, servers):
    server, _ = servers
    server.routes["/robots.txt"] = Route(
        b"User-agent: *\nDisallow: /bg/0/0/Project/PrintProject\n", "text/plain"
    )
    client = client_for(tmp_path)
    with pytest.raises(RobotsDisallowedError):
        client.fetch(server.base_url + PAGE)
    assert server.requests_for("PrintProject") == []
    assert len(server.requests_for("/robots.txt")) == 1


def test_robots_txt_5xx_means_nothing_is_allowed(tmp_path, servers):
    server, _ = servers
    server.routes["/robots.txt"] = Route(b"")
    server.faults["/robots.txt"] = ["503"]
    with pytest.raises(RobotsDisallowedError, match="could not be read"):
        client_for(tmp_path).fetch(server.base_url + PAGE)
    assert server.requests_for("PrintProject") == []


@pytest.mark.parametrize("fault", ["overlong", "truncate"])
def test_body_longer_or_shorter_than_content_length_is_never_archived(tmp_path, servers, fault):
    server, _ = servers
    server.faults[PAGE] = [fault] * 5
    client = client_for(tmp_path, max_retries=1)
    with pytest.raises(FetchError):
        client.fetch(server.base_url + PAGE)
    assert list(client.archive.records()) == []


def test_trickling_body_hits_the_overall_deadline(tmp_path, servers):
    server, _ = servers
    server.trickle_seconds = (
        0.05  # each byte well inside the read timeout, the whole far beyond the deadline
    )
    server.faults[PAGE] = ["trickle"]
    client = client_for(tmp_path, response_deadline_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(DeadlineError):
        client.fetch(server.base_url + PAGE)
    assert time.monotonic() - started < 3
    assert list(client.archive.records()) == []


def test_retry_after_beyond_the_maximum_stops_the_host_for_the_night(tmp_path, servers):
    server, _ = servers
    server.faults[PAGE] = ["429-long"]
    client = client_for(tmp_path, max_retry_after_seconds=60)
    started = time.monotonic()
    with pytest.raises(HostDeferredError, match="3600"):
        client.fetch(server.base_url + PAGE)
    with pytest.raises(HostBlockedError):
        client.fetch(server.base_url + PAGE)
    assert time.monotonic() - started < 2 and len(server.requests_for("contractId")) == 1


def test_budget_counts_every_request(tmp_path, servers):
    server, _ = servers
    client = client_for(tmp_path, request_budget=2)
    client.fetch(server.base_url + PAGE, conditional=False)  # robots.txt + page
    with pytest.raises(BudgetExhaustedError):
        client.fetch(server.base_url + PAGE, conditional=False)
    assert len(server.log) == 2


def _crawl(tmp_path, server, **config):
    settings = dict(
        base_url=server.base_url,
        interval_seconds=0.0,
        read_timeout_seconds=0.5,
        backoff_base_seconds=0.01,
        contact="tests@bgfunds.example",
    )
    settings.update(config)
    state = CrawlState(tmp_path / "crawl_state.duckdb")
    try:
        return run_crawl(
            CrawlConfig(**settings), RawArchive(tmp_path / "raw"), state
        ), state.counts()
    finally:
        state.close()


def test_budget_applies_to_listings_too(tmp_path, servers):
    server, foreign = servers
    build_mirror(server, foreign.base_url)
    summary, _ = _crawl(tmp_path, server, requests_per_night=5)
    assert len(server.log) == 5 and summary.http["requests"] == 5
    assert foreign.log == []


def test_listing_redirected_off_the_allow_list_is_skipped_not_a_crash(tmp_path, servers):
    server, foreign = servers
    build_mirror(server, foreign.base_url)
    server.faults[SEARCH_FIRST] = [f"redirect:{foreign.base_url}{SEARCH_FIRST}"]
    summary, counts = _crawl(
        tmp_path, server, listings=(SEARCH_FIRST, SEARCH_PAGES[1])
    )  # e.g. two programmes
    assert foreign.log == [] and summary.stopped is None
    assert counts["contracts"] >= 3  # the other listings still count
    assert summary.requests_by_page["PrintProject"] == counts["contracts"]  # one each
    # every contract page fetched is counted by its page (the procedures export is no contract page)
    assert summary.requests_by_page.pop("ProjectProposals") == 1
    assert summary.fetched == sum(summary.requests_by_page.values())


def test_every_listing_failing_means_nothing_new_not_a_crash(tmp_path, servers):
    server, foreign = servers
    server.routes.pop(PAGE)  # a site that answers 404 to everything
    summary, counts = _crawl(tmp_path, server)
    assert summary.stopped is None and summary.contracts_listed == 0 and summary.planned == 0
    assert counts == {"contracts": 0, "fetched": 0}
    garbage = FaultServer()
    with garbage:
        garbage.routes["/api/v1.0/opendata"] = Route(b"{not json", "application/json")
        garbage.routes["/bg/0/0/Project/Search"] = Route(b"\x00\x01binary", "text/html")
        summary, _ = _crawl(tmp_path / "garbage", garbage)
        assert summary.stopped is None and summary.contracts_listed == 0


def test_80000_listed_ids_are_recorded_in_seconds(tmp_path, servers):
    server, _ = servers
    # One search page listing 80 000 contracts (the whole register is ~80 700), as the site links them.
    rows = "".join(
        f'<tr><td><a class="wait" href="/bg/0/0/Project/BasicData?contractId='
        f'{quote(encrypted_id(f"big:{i}"), safe="")}&amp;isHistoric=False">{i}</a></td></tr>'
        for i in range(80_000)
    )
    server.routes["/bg/0/0/Project/Search?showRes=True"] = Route(
        f'<html><body><table class="chart-info"><tbody>{rows}</tbody></table></body></html>'.encode(),
        "text/html; charset=utf-8",
    )
    started = time.monotonic()
    summary, counts = _crawl(
        tmp_path, server, requests_per_night=8, listings=("/bg/0/0/Project/Search?showRes=True",)
    )
    elapsed = time.monotonic() - started
    assert summary.contracts_listed == 80_000 and counts["contracts"] == 80_000
    # the 5 requests left after robots.txt, the listing and the procedures export: 5 contracts, one
    # PrintProject each
    assert summary.planned == 5
    print(f"\n80 000 listed ids recorded and planned in {elapsed:.1f} s")
    assert elapsed < 60  # a bound against hanging, not a benchmark (was ~7 min)


def test_discovery_goes_on_over_nights_when_the_listings_exceed_a_nights_cap(tmp_path, servers):
    """At most 2 listing pages a night: the pages found but not fetched wait in the crawl state,
    so over three nights every search page and the company page are read and all 13 contracts listed;
    a page read on an earlier night is not read again because a pager links to it while discovery
    lasts; night 3, with fewer pages left than the re-walk cap, reads like a re-walk night: the
    search's first page (its total) and the page left."""
    server, foreign = servers
    build_mirror(server, foreign.base_url)
    listed_by_night, listing_pages = [], []
    for _night in range(3):
        summary, counts = _crawl(tmp_path, server, max_listing_pages=2, requests_per_night=3 + 2)
        listed_by_night.append(counts["contracts"])
        listing_pages.append(summary.listing_pages)
    assert listing_pages == [2, 2, 2]
    # The configured search is not read again while pages are left unread: all 13 by night 2.
    assert listed_by_night[0] < listed_by_night[1] <= listed_by_night[2] == 13
    assert foreign.log == []
