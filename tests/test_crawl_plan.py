"""The crawl plan on the loopback mirror: one request per contract, the same published tables as the
three-page plan, never an /en/ request, and English pages publishing what Bulgarian ones do.

The mirror's pages carry the live site's header (its "English" link to the same page under /en/)
and the mirror serves those English twins too, so a crawler that followed links would drift.
"""

from __future__ import annotations

import random

import pandas as pd
import pytest

from bench.isun_render import contract_url, render_print, render_search, render_tab
from bench.synthetic_corpus import CorpusFacts, _contract
from pipelines.isun_batches import parse_and_build_in_batches
from sources.crawl_state import CrawlState
from sources.isun import parse_isun_html
from sources.isun_crawl import ALL_PAGES, CrawlConfig, run_crawl
from sources.isun_pages import is_page_data
from sources.raw_archive import RawArchive
from tests.fault_server import FaultServer, Route
from tests.isun_mirror import (
    CONTRACT_IDS,
    build_mirror,
    contract_body,
    contract_path,
    expected_requests,
)

pytestmark = pytest.mark.integration

PROVENANCE = ["source_url", "fetched_at", "content_sha256"]
TABLES = (
    "projects",
    "activities",
    "project_organisations",
    "project_indicators",
    "project_procurements",
    "project_financial_corrections",
)


def _crawl(tmp_path, server, **kw):
    settings = dict(
        base_url=server.base_url,
        interval_seconds=0.0,
        read_timeout_seconds=2.0,
        backoff_base_seconds=0.01,
        contact="tests@bgfunds.example",
        requests_per_night=500,
    )
    settings.update(kw)
    archive = RawArchive(tmp_path / "raw")
    state = CrawlState(tmp_path / "state.duckdb")
    try:
        return run_crawl(CrawlConfig(**settings), archive, state), archive
    finally:
        state.close()


def _tables(archive: RawArchive) -> dict[str, pd.DataFrame]:
    records = [r for r in archive.records() if is_page_data(r.url)]
    built = parse_and_build_in_batches(records, archive.read)
    out = {}
    for name in TABLES:
        frame = getattr(built, name).drop(columns=PROVENANCE)
        out[name] = frame.sort_values(list(frame.columns)[:4]).reset_index(drop=True)
    out["quarantine"] = built.quarantine
    return out


def _three_page_archive(tmp_path, pages: dict[str, tuple[bytes, str]], base_url: str) -> RawArchive:
    """What the three-page plan archived: PrintProject, BasicData and Participants of every contract."""
    archive = RawArchive(tmp_path / "three_pages")
    for path, (body, ctype) in pages.items():
        archive.store(
            base_url + path,
            body,
            status=200,
            headers={"Content-Type": ctype},
            fetched_at="2026-03-01T02:00:00Z",
        )
    return archive


def _assert_same_tables(new: dict, old: dict) -> None:
    assert old["quarantine"].empty and new["quarantine"].empty
    for name in TABLES:
        pd.testing.assert_frame_equal(new[name], old[name], check_dtype=False, obj=name)


def test_mirror_one_request_per_contract_no_english_and_the_same_tables(tmp_path):
    with FaultServer() as server, FaultServer(host="127.0.0.2") as foreign:
        build_mirror(server, foreign.base_url)
        night1, archive = _crawl(tmp_path, server)
        first = [r.path for r in server.log]
        night2, archive = _crawl(tmp_path, server)
        paths = [r.path for r in server.log]
    assert night1.stopped is None and night1.contracts_listed == len(CONTRACT_IDS)
    # The header links every page under /en/, and the mirror serves it: never requested.
    assert [p for p in paths if p.startswith("/en/")] == []
    # Night 1: one PrintProject per contract, the project-proposals export (one request, naming one
    # of the two procedures) and one BasicData for the procedure it does not name; night 2 reads the
    # Participants tab where a contractor is listed (the `identity` class, 7) and rotates the other
    # contracts' PrintProject (6, unchanged: 304): one request per contract a night.
    wanted = expected_requests(sorted(CONTRACT_IDS))
    assert wanted == {"PrintProject": 13, "BasicData": 1, "Participants": 7}
    assert night1.requests_by_page == {"PrintProject": 13, "BasicData": 1, "ProjectProposals": 1}
    assert night1.procedures_named == 1
    assert sum("/ProjectProposals/" in p for p in first) == 1
    assert sum(p.count("/Project/PrintProject") for p in first) == 13  # each once
    assert night2.requests_by_page == {"Participants": 7, "PrintProject": 6, "ProjectProposals": 1}
    assert night2.not_modified == 6 and night2.fetched == 7
    old = _three_page_archive(
        tmp_path,
        {
            contract_path(cid, tab): contract_body(cid, tab)
            for cid in CONTRACT_IDS
            for tab in ALL_PAGES
        },
        server.base_url,
    )
    new_tables, old_tables = _tables(archive), _tables(old)
    assert len(new_tables["projects"]) == 13
    assert set(new_tables["projects"]["procedure_name"]) == {
        "Интегрирани градски инвестиции",
        "Устойчиво градско развитие",
    }
    _assert_same_tables(new_tables, old_tables)


def _synthetic_register(n: int) -> list:
    """Contracts of the benchmark's generator; a procedure has one name, as on the site."""
    rng, facts = random.Random(23), CorpusFacts()
    contracts = [_contract(rng, 100000 + i, facts)[0] for i in range(n)]
    names: dict[str, str] = {}
    for c in contracts:
        c.procedure_name = names.setdefault(c.procedure_code, c.procedure_name)
    return contracts


def test_varied_contracts_publish_the_same_tables_with_fewer_requests(tmp_path):
    """Partners (natural persons among them), contractors, EUR and BGN, several procedures."""
    contracts = _synthetic_register(60)
    with FaultServer() as server:
        pages = {}
        for c in contracts:
            for tab in ALL_PAGES:
                html = render_print(c) if tab == "PrintProject" else render_tab(c, tab)
                pages[contract_url(c, tab)] = (html.encode("utf-8"), "text/html; charset=utf-8")
        for path, (body, ctype) in pages.items():
            server.routes[path] = Route(body, ctype)
        search = "/bg/0/0/Project/Search?showRes=True"
        server.routes[search] = Route(render_search(contracts, 1, 1).encode("utf-8"))
        night1, archive = _crawl(tmp_path, server, listings=(search,))
        night2, archive = _crawl(tmp_path, server, listings=(search,))
    listed = sum(bool(c.partners or c.contractors) for c in contracts)
    procedures = len({c.procedure_code for c in contracts})
    assert night1.requests_by_page == {"PrintProject": 60, "BasicData": procedures}
    assert night2.requests_by_page == {"Participants": listed, "PrintProject": 60 - listed}
    assert 60 + procedures + listed < 3 * 60
    old = _three_page_archive(tmp_path, pages, server.base_url)
    new_tables, old_tables = _tables(archive), _tables(old)
    assert len(new_tables["projects"]) == 60
    people = new_tables["project_organisations"]
    assert (
        people["is_natural_person"].fillna(False).astype(bool).any()
    )  # the Participants tab said so
    _assert_same_tables(new_tables, old_tables)


def test_english_and_bulgarian_renderings_publish_the_same_facts(tmp_path):
    """The same contracts rendered by the site in English (Texts.resx's English labels, the post-euro
    English note) and in Bulgarian: every table the same but for the page URLs."""
    contracts = _synthetic_register(25)
    archives = {}
    for lang in ("bg", "en"):
        archive = RawArchive(tmp_path / lang)
        for c in contracts:
            c.lang = lang
            for tab in ALL_PAGES:
                html = render_print(c) if tab == "PrintProject" else render_tab(c, tab)
                archive.store(
                    contract_url(c, tab, "https://2020.eufunds.bg"),
                    html.encode("utf-8"),
                    status=200,
                    headers={"Content-Type": "text/html; charset=utf-8"},
                    fetched_at="2026-03-01T02:00:00Z",
                )
        archives[lang] = archive
    assert any(c.currency == "EUR" for c in contracts) and any(
        c.currency == "BGN" for c in contracts
    )
    euro = next(c for c in contracts if c.currency == "EUR")
    english = render_print(euro)  # lang is "en" after the loop
    assert "UMIS Number" in english and "Номер от ИСУН" not in english
    assert "All amounts are in euro (EUR) / 1 EUR = 1,95583 BGN" in english
    page = parse_isun_html(english, contract_url(euro, "PrintProject", "https://2020.eufunds.bg"))
    assert page.language == "en" and page.currency == "EUR"
    bg, en = _tables(archives["bg"]), _tables(archives["en"])
    assert len(bg["projects"]) == 25 and len(bg["activities"]) > 25
    _assert_same_tables(en, bg)


def test_the_plans_backfill_nights_are_the_nights_a_simulated_crawl_takes(tmp_path):
    """`crawl --plan` on the state a simulated register's first night left (500 contracts over the
    live API's 29 programmes, 100 requests a night, at most 30 listing pages): its arithmetic from
    that state's own figures, and the night it says the backfill ends is the night the simulated
    crawl (same budget, no changes or new contracts) fetched the last contract."""
    from bench.isun_crawl_simulation import PAGE_ROWS, SimRegister, plan_at, simulate

    register = SimRegister(500)
    pages = sum(-(-len(rows) // PAGE_ROWS) for rows in register.by_op.values())
    rows = simulate(
        500, 16, 100, new_per_night=0, changes_per_night=0, workdir=tmp_path,
        max_listing_pages=30, snapshot_nights=(1,),
    )  # fmt: skip
    ended = next(r.night for r in rows if r.backlog == 0)
    plan = plan_at(tmp_path, 1, 100, max_listing_pages=30)
    # Night 1: 30 of the searches' `pages` pages read, 100 - 1 robots.txt - 32 bulk - 1 procedures
    # export - 30 listing pages = 36 PrintProjects fetched (every procedure named by the export).
    assert rows[0].listing_pages == 30 and rows[0].contracts_refreshed == 36
    assert rows[0].by_page == {"ProjectProposals": 1, "PrintProject": 36}
    assert plan.robots_requests + plan.bulk_requests + plan.procedures_export == 34
    assert plan.requests_per_contract == 1.0
    assert plan.backlog["backfill"] + plan.backlog["undiscovered"] == 500 - 36
    assert plan.discovery_pages_left >= pages - 30 > 0
    schedule = plan.backfill_schedule()
    # Night 2 reads what discovery has left, then each night the re-walk cap (30): 36 contracts.
    left = plan.discovery_pages_left
    assert schedule[0][:2] == (left, 100 - 34 - left)
    assert {fetched for _, fetched, _ in schedule[1:-1]} == {36}
    assert sum(fetched for _, fetched, _ in schedule) == 500 - 36 and schedule[-1][2] == 0
    assert 1 + plan.backfill_nights() == ended == 14
    line = next(x for x in plan.lines() if x.startswith("backfill:"))
    assert f"done in {ended - 1} nights at this pace (night {ended} of the crawl)" in line


def test_a_search_growing_after_discovery_keeps_the_re_walk_cap(tmp_path):
    """New contracts every day make searches grow by a page now and then: once discovery has read
    every page the totals need, a night reads at most the re-walk cap (8), never the discovery cap (30)."""
    from bench.isun_crawl_simulation import simulate

    rows = simulate(
        500, 12, 100, new_per_night=6, changes_per_night=2, workdir=tmp_path,
        max_listing_pages=30, max_rewalk_pages=8,
    )  # fmt: skip
    pages = [r.listing_pages for r in rows]
    assert pages[0] == 30  # discovery
    done = next(i for i, n in enumerate(pages) if n <= 8)
    assert done <= 2 and max(pages[done:]) <= 8, pages
    assert sum(r.new_contracts for r in rows) == 66  # the searches did grow
