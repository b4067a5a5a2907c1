"""A failed bulk source never stops the page crawl (issue 27): a 500 from the open-data API's
programme list, after every retry, is logged as what failed and the night goes on, the
export and every planned contract page fetched; only a refusal (a WAF page, HTML where JSON
is expected) stops the host for the night."""

from __future__ import annotations

import pytest

from pipelines.cli import run_build
from pipelines.resources import LiveIsunCrawler
from sources.isun_opendata import CRITERIA_PATH
from sources.isun_register_export import EXPORT_PATH
from tests.fault_server import FaultServer
from tests.isun_mirror import build_mirror


@pytest.mark.integration
def test_a_500_from_the_programme_list_never_stops_the_page_crawl(tmp_path):
    with FaultServer() as server, FaultServer(host="127.0.0.2") as foreign:
        build_mirror(server, foreign.base_url)
        server.faults[CRITERIA_PATH] = ["500"] * 10
        crawler = LiveIsunCrawler(
            isun_base_url=server.base_url,
            interval_seconds=0.0,
            api_interval_seconds=0.0,
            read_timeout_seconds=2.0,
            backoff_base_seconds=0.01,
            contact="tests@bgfunds.example",
            requests_per_night=40,
        )
        summary = run_build(tmp_path, source=crawler)
        paths = [r.path for r in server.log]
    assert summary.success, summary.failures
    assert paths.count(CRITERIA_PATH) == 5  # the first try and 4 retries, all HTTP 500
    assert EXPORT_PATH in paths
    assert any("PrintProject" in p for p in paths)  # contract pages were fetched
    lines = "\n".join(summary.fetch_summary)
    assert "open-data API: programme list failed (" in lines and "HTTP 500" in lines
    assert "no programme fetched tonight" in lines  # no archived list to fall back on
    assert "the host refused the bulk sources" not in lines
    assert summary.projects > 0
