"""Nightly crawls through real Dagster runs against a faulty mirror on 127.0.0.1.

Asserts: nothing lost, nothing corrupted, WAF pages never in the data, the foreign host
never requested, a killed run resumed without duplicates, and a night with nothing
changed making only conditional requests.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest

from pipelines.cli import run_build
from pipelines.resources import LiveIsunCrawler
from sources.isun_crawl import CONTRACT_PAGES
from sources.raw_archive import RawArchive
from tests.fault_server import FaultServer
from tests.isun_mirror import (
    CONTRACT_IDS,
    CP1251_CONTRACT,
    SEARCH_FIRST,
    build_mirror,
    contract_path,
    expected_requests,
    project_code,
)

REPO = Path(__file__).resolve().parent.parent
# The crawler plans new contracts in contract-id order: the order their pages are fetched in.
PLANNED = sorted(CONTRACT_IDS)
WAF_CONTRACT = PLANNED[8]
FAULTS = {
    contract_path(PLANNED[1]): ["500", "503"],
    contract_path(PLANNED[2], "BasicData"): ["429"],
    contract_path(PLANNED[3]): ["slow"],
    contract_path(PLANNED[4], "Participants"): ["reset"],
    contract_path(PLANNED[5]): ["truncate"],
    contract_path(WAF_CONTRACT): ["waf"],
    SEARCH_FIRST: ["500"],
}
LISTING_PAGES = 5  # search page 1 (twice: as the start and as the pager's link), pages 2 and 3, the company page


def requests_for_contract(server: FaultServer, contract_id: str) -> list:
    return server.requests_for("contractId=" + quote(contract_id, safe=""))


def crawler(server: FaultServer, **kw) -> LiveIsunCrawler:
    settings = dict(
        isun_base_url=server.base_url,
        interval_seconds=0.0,
        read_timeout_seconds=0.5,
        backoff_base_seconds=0.01,
        contact="tests@bgfunds.example",
        api_interval_seconds=0.0,
    )
    settings.update(kw)
    return LiveIsunCrawler(**settings)


def warehouse_projects(data_dir: Path) -> dict[str, str]:
    """The contracts whose pages the crawl read (`projects` also has every contract of the open-data API)."""
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        return dict(
            con.execute(
                "SELECT project_code, project_name FROM projects WHERE detail_level = 'pages'"
            ).fetchall()
        )
    finally:
        con.close()


@pytest.fixture
def mirror():
    with FaultServer(slow_seconds=1.0) as server, FaultServer(host="127.0.0.2") as foreign:
        build_mirror(server, foreign.base_url)
        yield server, foreign


def test_faulty_nights_lose_nothing_and_the_quiet_night_is_conditional(tmp_path, mirror):
    server, foreign = mirror
    for path, faults in FAULTS.items():
        server.faults[path] = list(faults)
    faults_injected = sum(len(f) for f in FAULTS.values())

    # Night 1: every fault recovered by retries, until the WAF challenge stops the run.
    night1 = run_build(tmp_path, source=crawler(server))
    assert night1.success
    assert any(
        "STOPPED" in line and "javascript challenge" in line for line in night1.fetch_summary
    )
    assert len(requests_for_contract(server, PLANNED[9])) == 0  # stopped: nothing after the block
    assert set(warehouse_projects(tmp_path)) == {project_code(c) for c in PLANNED[:8]}

    # Night 2: resumes the queue left behind, starting with the blocked contract.
    night2 = run_build(tmp_path, source=crawler(server))
    assert night2.success and "(resumed)" in night2.fetch_summary[0]
    projects = warehouse_projects(tmp_path)
    assert set(projects) == {project_code(c) for c in CONTRACT_IDS}  # nothing lost
    # Every contract, ids with '+', '/' and '=' among them, was fetched by its URL-encoded token.
    assert {"+", "/", "="} <= set("".join(CONTRACT_IDS))
    fetched = {
        r.url.removeprefix(server.base_url)
        for r in RawArchive(tmp_path / "raw").records()
        if r.status == 200
    }
    assert all(
        contract_path(c, tab) in fetched
        for c in CONTRACT_IDS
        for tab in CONTRACT_PAGES
        if c != WAF_CONTRACT or tab != "PrintProject"
    )
    assert (
        projects[project_code(CP1251_CONTRACT)]
        == "Енергийна ефективност на сградата на СУ „Христо Ботев“, гр. Левски"
    )

    # Nothing corrupted: every archived 200 body of a contract page is byte-identical to what was served.
    archive = RawArchive(tmp_path / "raw")
    for record in archive.records():
        path = record.url.removeprefix(server.base_url)
        if (
            record.status == 200
            and path in server.routes
            and b"TSPD" not in archive.read(record.sha256)
        ):
            assert archive.read(record.sha256) == server.routes[path].body, path
    # The WAF page is in the raw archive (as evidence) but in no table.
    waf = [r for r in archive.records() if b"APM_DO_NOT_TOUCH" in archive.read(r.sha256)]
    assert len(waf) == 1 and quote(WAF_CONTRACT, safe="") in waf[0].url
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    assert (
        con.execute(
            "SELECT count(*) FROM projects WHERE content_sha256 = ?", [waf[0].sha256]
        ).fetchone()[0]
        == 0
    )
    con.close()

    # Night 3: the `identity` class reads the Participants tab of the contracts whose PrintProject lists a
    # contractor; the others' PrintProject rotates (unchanged: 304). One request per contract.
    participants = expected_requests(CONTRACT_IDS)["Participants"]
    before = len(server.log)
    night3 = run_build(tmp_path, source=crawler(server))
    assert night3.success
    contract_requests = [r for r in server.log[before:] if "contractId=" in r.path]
    assert sum("/Project/Participants?" in r.path for r in contract_requests) == participants
    assert len(contract_requests) == len(CONTRACT_IDS)
    assert (
        f"{participants} fetched, {len(CONTRACT_IDS) - participants} unchanged (304)"
        in (night3.fetch_summary[1])
    )

    # Night 4: nothing changed -> only conditional requests, all answered 304.
    before = len(server.log)
    night4 = run_build(tmp_path, source=crawler(server))
    assert night4.success
    quiet = [r for r in server.log[before:] if r.path != "/robots.txt"]
    # read once per run by each of the night's two clients (the bulk sources', the pages')
    assert [r.path for r in server.log[before:]].count("/robots.txt") == 2
    # A quiet night: every PrintProject once, nothing else (both procedures' BasicData are fresh, every
    # Participants tab read).
    pages = len(CONTRACT_IDS)
    # Five listing pages, the bulk sources (programme list, two programmes, the export), the
    # procedures export (one request names every procedure), the contract pages.
    assert len(quiet) == LISTING_PAGES + 4 + 1 + pages
    assert all("If-None-Match" in r.headers for r in quiet)
    assert f"0 fetched, {pages} unchanged (304)" in night4.fetch_summary[1]

    assert foreign.log == []  # the link to 127.0.0.2 was never followed
    total_requests = len(server.log)
    print(
        f"\nfault test: {total_requests} requests, {faults_injected} faults injected, "
        f"{len(CONTRACT_IDS) - len(projects)} records lost"
    )


def test_killed_crawl_resumes_without_duplicates(tmp_path, mirror):
    server, _ = mirror
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "crawl",
            "--base-url",
            server.base_url,
            "--interval",
            "0.3",
            "--api-interval",
            "0",
            "--data-dir",
            str(tmp_path),
            "--contact",
            "tests@bgfunds.example",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(server.requests_for("PrintProject")) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    fetched_before_kill = len(server.requests_for("PrintProject"))
    assert 4 <= fetched_before_kill < len(CONTRACT_IDS)

    summary = run_build(tmp_path, source=crawler(server))
    assert summary.success and "(resumed)" in summary.fetch_summary[0]
    assert set(warehouse_projects(tmp_path)) == {project_code(c) for c in CONTRACT_IDS}
    archive = RawArchive(tmp_path / "raw")
    full_fetches = [r.url for r in archive.records() if r.status == 200 and "PrintProject" in r.url]
    assert sorted(full_fetches) == sorted(set(full_fetches))  # each contract page downloaded once
    state = duckdb.connect(str(tmp_path / "crawl_state.duckdb"), read_only=True)
    assert state.execute(
        "SELECT count(*), count(DISTINCT contract_id) FROM crawl_contracts"
    ).fetchone() == (13, 13)
    assert (
        state.execute("SELECT count(*) FROM crawl_queue WHERE done_at IS NULL").fetchone()[0] == 0
    )
    assert state.execute("SELECT count(DISTINCT run_id) FROM crawl_queue").fetchone()[0] == 1
