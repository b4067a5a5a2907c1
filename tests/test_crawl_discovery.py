"""Discovery on the site as it is today: per-programme searches whose rows shift while they are read.

The simulated register (`bench.isun_crawl_simulation.SimRegister`) serves one programme's search on
`/bg/{op}/0/Project/Search?showRes=True`: 25 rows a page sorted by beneficiary name, a summary table
with the total, a pager of at most 10 numbers. Contracts added while the search is walked shift the
rows: none may be lost or counted twice, and the summary's total is checked.
"""

from __future__ import annotations

import pytest

from bench.isun_crawl_simulation import SimRegister
from sources.crawl_state import CrawlState
from sources.isun_crawl import CrawlConfig, run_crawl
from sources.raw_archive import RawArchive
from tests.fault_server import FaultServer

pytestmark = pytest.mark.integration


def _night(tmp_path, server, register):
    state = CrawlState(tmp_path / "state.duckdb")
    try:
        summary = run_crawl(
            CrawlConfig(
                base_url=server.base_url,
                listings=register.search_paths(),
                requests_per_night=40,  # listing pages and a few contracts
                interval_seconds=0.0,
                contact="tests@bgfunds.example",
            ),
            RawArchive(tmp_path / "raw"),
            state,
        )
        listed = dict(
            state.con.execute("SELECT contract_id, listed_on FROM crawl_contracts").fetchall()
        )
        return summary, listed
    finally:
        state.close()


def test_rows_shifting_under_the_walk_lose_nothing_and_count_nothing_twice(tmp_path):
    register = SimRegister(230, programmes=((5, 1),))  # 10 pages of 25: the pager shows them all
    served = []

    def resolve(path):
        route = register.resolve(path)
        served.append(path)
        if sum("/Project/Search" in p for p in served) == 5 and "/Project/Search" in path:
            # Pages 1-5 read: 12 contracts arrive whose beneficiaries sort right after row 60 (page 3,
            # already read); every row after them moves 12 places on, some onto the next page.
            after = register.by_op[5][60][0]
            register.add(12, name_prefix=after + " ")
        return route

    with FaultServer(resolve=resolve) as server:
        night1, listed1 = _night(tmp_path, server, register)
        night2, listed2 = _night(tmp_path, server, register)
    assert [p for p in served if p.startswith("/en/")] == []  # the header's English link: never
    route = "/bg/5/0/Project/Search"
    # Night 1 walked all 10 pages (and the 11th the shift created), read the rows pushed onto pages it
    # had not read yet twice (counted once) and missed the 12 on page 3: the summary's total (242) says
    # so, and the search is walked again.
    assert night1.listing_pages == 11
    assert len(listed1) == 230 and set(listed1.values()) == {route}
    assert night1.searches_short == [f"{route}: 230 of 242 found, 11 pages to read again"]
    # Night 2 reads it again: every contract once, none lost, nothing short.
    assert set(listed2) == {c.token for c in register.contracts} and len(listed2) == 242
    assert night2.searches_short == []
