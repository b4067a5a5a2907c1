"""One bad contract never stops a build, at scale (issue 27): a 1 000-contract synthetic corpus
(`bench.synthetic_corpus`, pages rendered from the site's templates) with one of each known bad
shape injected — a contract whose places are "Няма", one without its code, a garbled activity
amount with a decimal comma, an HTML error page as the newest version of a good page — and an
open-data API and register export carrying each bad bulk row and answer of the issue's table.
The build releases every other contract, and each bad input is one quarantine row."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import duckdb
import pytest

from bench.synthetic_corpus import generate
from pipelines.cli import run_build
from pipelines.resources import ArchivedDocumentsOnly, ArchivedPagesOnly
from sources.isun_opendata import criteria_url, programme_url
from sources.isun_register_export import EXPORT_PATH
from sources.raw_archive import RawArchive
from tests.isun_bulk_fixtures import (
    JSON_HEADERS,
    P_CUT,
    P_DEEP,
    P_EMPTY,
    P_ROWS,
    XLSX_TYPE,
    criteria_body,
    export_xlsx,
    owner_entity,
    programme_body,
    project,
    rrp_code,
)

BASE = "https://2020.eufunds.bg"
JSON = JSON_HEADERS
HTML = {"Content-Type": "text/html; charset=utf-8"}
XLSX = {"Content-Type": XLSX_TYPE}
LATER, EARLIER = "2026-12-01T02:00:00Z", "2026-11-20T02:00:00Z"
CONTRACTS = 1_000
ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>Runtime Error</title></head><body>"
    "<h1>Server Error in '/' Application.</h1><p>Object reference not set to an instance of an "
    "object.</p></body></html>"
)
OWNER = owner_entity()
_code = rrp_code


def _answer(procedure: str, n: int) -> bytes:
    rows = [project(_code(procedure, i), f"Проект {i}", "E1", Decimal("1000.00")) for i in range(n)]
    return programme_body(rows, [], [OWNER])


def _bad_rows() -> list[object]:
    def p(n: int, **changes) -> dict:
        return {**project(_code("1.001", n), f"Проект {n}", "E1", Decimal("10.00")), **changes}

    return [
        p(101, totalValue="12 3O0,00"),
        p(102, totalValue="__RAW__1e999"),
        p(103, totalValue="__RAW__12345678901234567890.00"),
        p(104, totalValue=Decimal("-5.00")),
        p(105, durationInMonths="осемнадесет месеца"),
        p(106, placeOfExecution="Стамболово"),
        p(107, actuallyPaidAmounts=7),
        "проект",
        42,
        None,
    ]


def _store_bulk(archive: RawArchive) -> None:
    def store(url, body, when, headers=JSON):
        archive.store(url, body, status=200, headers=headers, fetched_at=when)

    listed = [(p.programme_id, p.period_id, p.name) for p in (P_ROWS, P_CUT, P_EMPTY, P_DEEP)]
    store(criteria_url(BASE), criteria_body(listed), EARLIER)
    good = [project(_code("1.001", i), f"Проект {i}", "E1", Decimal("1000.00")) for i in range(50)]
    lenient = [
        {**project(_code("1.001", 201), "Проект 201", "E1", 0), "totalValue": "1 000,50"},
        {
            **project(_code("1.001", 202), "Проект 202", "E1", Decimal(5)),
            "durationInMonths": "18 месеца",
        },
    ]
    twice = [  # one code listed twice, 1 000 € and 9 000 €: one project, the conflict listed
        project(_code("1.001", 300), "Проект 300", "E1", Decimal("1000.00")),
        project(_code("1.001", 300), "Проект 300", "E1", Decimal("9000.00")),
    ]
    body = programme_body([*good, *lenient, *twice, *_bad_rows()], [], [OWNER])
    store(programme_url(BASE, P_ROWS), re.sub(rb'"__RAW__([^"]+)"', rb"\1", body), LATER)
    store(programme_url(BASE, P_CUT), _answer("2.001", 7), EARLIER)
    store(programme_url(BASE, P_CUT), _answer("2.001", 8)[:500], LATER)
    store(programme_url(BASE, P_EMPTY), _answer("3.001", 5), EARLIER)
    store(programme_url(BASE, P_EMPTY), b"{}", LATER)
    store(programme_url(BASE, P_DEEP), _answer("4.001", 3), EARLIER)
    deep = json.dumps(json.loads(_answer("4.001", 4)), ensure_ascii=False)
    store(
        programme_url(BASE, P_DEEP),
        deep.replace('"Проект 0"', "[" * 100_000 + "]" * 100_000, 1).encode(),
        LATER,
    )
    rows = [
        {
            "programme": "Региони в растеж",
            "beneficiary": "000000001 Община Стамболово",
            "proposal_code": _code("9.001", i),
            "project_name": f"Проект {i}",
            "amount_total": 100 if i else -100,
            "amount_grant": 100 if i else -100,
            "amount_own": 0,
            "amount_paid": 0,
            "duration_months": 12,
            "status": "Приключен",
        }
        for i in range(20)
    ]
    store(BASE + EXPORT_PATH, export_xlsx(rows), LATER, XLSX)


def _print_pages(archive: RawArchive) -> list:
    return sorted((r for r in archive.records() if "PrintProject" in r.url), key=lambda r: r.url)


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    data = tmp_path_factory.mktemp("one_bad") / "data"
    archive = RawArchive(data / "raw", durable=False)
    generate(CONTRACTS, data / "raw", with_bulk=False)  # the bulk answers are this test's own
    prints = _print_pages(archive)
    bad = {}

    def newer(record, html: str) -> None:
        archive.store(record.url, html.encode("utf-8"), status=200, headers=HTML, fetched_at=LATER)

    # Places "Няма": published, with no places.
    text = archive.read(prints[0].sha256).decode("utf-8")
    no_places = re.sub(
        r"(<strong>Местонахождение</strong></td>\s*<td>).*?(</td>)", r"\1Няма\2", text, flags=re.S
    )
    assert no_places != text
    newer(prints[0], no_places)
    bad["no_places"] = prints[0]
    # No code: the page is set aside.
    text = archive.read(prints[1].sha256).decode("utf-8")
    code = re.search(r"(BG[0-9A-Z]+-[\d.]+-\d+-C\d+)", text).group(1)
    newer(prints[1], text.replace(code, ""))
    bad["no_code"] = prints[1]
    # A garbled activity amount with a decimal comma: the activity is set aside, not the page.
    text = archive.read(prints[2].sha256).decode("utf-8")
    garbled = re.sub(
        r'(Договорена стойност: <span class="no-wrap-white-space">)[^<]+',
        r"\g<1>12 3O0,00",
        text,
        count=1,
    )
    assert garbled != text
    newer(prints[2], garbled)
    bad["garbled"] = prints[2]
    # An HTML error page as the newest answer of a good page: the page is set aside (with one
    # request per contract, PrintProject is the contract's only page, so the contract waits
    # for the next good answer; no other contract is touched).
    error_code = re.search(
        r"(BG[0-9A-Z]+-[\d.]+-\d+-C\d+)", archive.read(prints[3].sha256).decode()
    ).group(1)
    newer(prints[3], ERROR_PAGE)
    bad["error_page"] = prints[3]
    _store_bulk(archive)
    summary = run_build(data, source=ArchivedPagesOnly(), documents=ArchivedDocumentsOnly())
    return data, summary, bad, (code, error_code)


def _query(data, sql: str, params=()):
    con = duckdb.connect(str(data / "publish" / "latest" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


@pytest.mark.integration
def test_the_release_goes_out_with_every_other_contract(build):
    data, summary, bad, (missing_code, error_code) = build
    assert summary.success and summary.release is not None, summary.failures
    codes = {
        r[0] for r in _query(data, "SELECT project_code FROM projects WHERE detail_level = 'pages'")
    }
    # The page without its code and the error page are set aside; the garbled and the
    # placeless contracts are published with their page detail, and every other one (the
    # bulk sources still list the two set aside, by proposal code, without page detail).
    assert len(codes) == CONTRACTS - 2 and missing_code not in codes and error_code not in codes
    placeless = _query(
        data,
        "SELECT p.project_code, count(pl.project_code) FROM projects p "
        "LEFT JOIN project_places pl USING (project_code) WHERE p.source_url = ? GROUP BY 1",
        [bad["no_places"].url],
    )
    assert len(placeless) == 1 and placeless[0][1] == 0


@pytest.mark.integration
def test_each_bad_input_is_one_quarantine_row(build):
    data, _, bad, _ = build

    def of(name: str) -> str:  # any of the contract's pages (a project row cites its BasicData)
        return "%contractId=" + bad[name].url.split("contractId=", 1)[1]

    rows = {
        name: _query(
            data, "SELECT table_name, rule FROM quarantine WHERE source_url LIKE ?", [of(name)]
        )
        for name in ("no_code", "garbled", "error_page", "no_places")
    }
    assert rows == {
        "no_code": [("projects", "project_code_invalid")],
        "garbled": [("activities", "amount_unparseable")],
        # The error page is set aside; the contract's Participants page, read, then names a
        # contract without a code-bearing page.
        "error_page": [("pages", "page_structure"), ("projects", "project_code_missing")],
        "no_places": [],
    }
    garbled = _query(
        data, "SELECT value FROM quarantine WHERE source_url = ?", [bad["garbled"].url]
    )
    assert garbled == [("12 3O0,00",)]
    # The API: one row per bad project, one per bad answer (older good ones used), one export row.
    api_rows = _query(
        data,
        "SELECT count(*) FROM quarantine WHERE table_name = 'isun_api_projects' AND source_url LIKE '%ProgrammeId=5&%'",
    )
    assert api_rows == [(len(_bad_rows()),)]
    aside = _query(
        data, "SELECT record_key FROM quarantine WHERE rule = 'bulk_response_set_aside' ORDER BY 1"
    )
    assert aside == [
        ("open-data programme 3/1",),
        ("open-data programme 4/1",),
        ("open-data programme 6/1",),
    ]
    assert _query(
        data, "SELECT rule, value FROM quarantine WHERE table_name = 'isun_export_projects'"
    ) == [("amount_not_negative", "-100.00")]
    published = dict(
        _query(data, "SELECT isun_programme_id, count(*) FROM isun_api_projects GROUP BY 1")
    )
    assert published == {"5": 54, "3": 7, "4": 5, "6": 3}
    assert _query(data, "SELECT count(*) FROM isun_export_projects") == [(19,)]


@pytest.mark.integration
def test_a_code_listed_twice_is_one_project_never_summed(build):
    data = build[0]
    code = _code("1.001", 300)
    assert _query(
        data, "SELECT contracted_eur FROM absorption_base WHERE project_key = ?", [code]
    ) == [(Decimal("1000.00"),)]
    conflict = _query(
        data,
        "SELECT field, max_difference FROM project_conflicts WHERE project_key = ? "
        "AND field = 'amount_total_eur'",
        [code],
    )
    assert conflict == [("amount_total_eur", 8000.0)]
