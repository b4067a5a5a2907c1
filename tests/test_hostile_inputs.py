"""Hostile inputs in a recording: each one goes to quarantine with its reason and the rest is released.

One build of the sample corpus plus every bad input the nightly run has met (issue 15):
an empty HTTP 200 page (new, and as the newest version of a good page), an XHTML page
with `<?xml … encoding=…?>`, a 17-digit amount, an ambiguous `1.234`, one project code
under two contract ids, an old recording replayed after a newer one, and manifest
entries without a url, with a wrong sha256, without their body file, or pointing
outside the recording (`../`, absolute). Nothing foreign is read, nothing good is lost.
"""

from __future__ import annotations

import hashlib
import json

import duckdb
import pytest

from pipelines.cli import run_build
from tests.conftest import SAMPLE_IDS, SAMPLE_QUERY
from tests.corpus_tools import Corpus

TEMPLATE = SAMPLE_QUERY["eur"]  # the EUR contract's PrintProject
TEMPLATE_CODE = "BG16FFPR003-1.001-0007-C01"
CURRENT_TITLE_7283 = "PrintProject?" + SAMPLE_QUERY["seed001"]


def _code(n: int) -> str:
    return f"BG16FFPR003-1.001-{n}-C01"


def _add_entry(corpus: Corpus, entry: dict, body: bytes | None) -> None:
    manifest = corpus._manifest()
    if body is not None:
        (corpus.dir / entry["file"]).write_bytes(body)
    manifest["responses"].append(entry)
    corpus._save(manifest)


def _isun(contract_id: str, **extra) -> dict:
    return {
        "url": f"https://2020.eufunds.bg/bg/0/0/Project/PrintProject?contractId={contract_id}&isHistoric=False",
        "file": f"pages/hostile_{contract_id}.html",
        "status": 200,
        "fetched_at": "2025-03-15T10:00:00Z",
        "headers": {"Content-Type": "text/html; charset=utf-8"},
        **extra,
    }


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    secret = root / "secret.txt"
    secret.write_text("SECRET-OUTSIDE-THE-RECORDING", encoding="utf-8")
    corpus = Corpus(root / "corpus")
    template = corpus.page(TEMPLATE).read_text(encoding="utf-8")
    tried = 0

    def page(contract_id: str, html: str, **extra) -> None:
        nonlocal tried
        body = html.encode("utf-8")
        _add_entry(
            corpus, _isun(contract_id, sha256=hashlib.sha256(body).hexdigest(), **extra), body
        )
        tried += 1

    # An XHTML page with an XML declaration naming its encoding: parsed and released.
    page(
        "60001",
        '<?xml version="1.0" encoding="utf-8"?>\n' + template.replace(TEMPLATE_CODE, _code(6001)),
    )
    # A 17-digit amount: the activity goes to quarantine, the contract's other rows stay.
    page(
        "60002",
        template.replace(TEMPLATE_CODE, _code(6002)).replace(
            ">38 600.00<", ">12 345 678 901 234 567.00<"
        ),
    )
    # `1.234`: a thousands separator or a decimal point? Quarantined, never published as 1.23.
    page("60003", template.replace(TEMPLATE_CODE, _code(6003)).replace(">12 000.00<", ">1.234<"))
    # One project code under two contract ids: both quarantined.
    page("60005", template.replace(TEMPLATE_CODE, _code(6005)))
    page("60006", template.replace(TEMPLATE_CODE, _code(6005)))
    # An empty HTTP 200 page for a new contract, and as the newest version of a good page.
    page("60007", "")
    seven = corpus._manifest()["responses"]
    good_7283 = next(e for e in seven if CURRENT_TITLE_7283 in e["url"])
    _add_entry(
        corpus,
        {
            **good_7283,
            "file": "pages/empty_7283.html",
            "fetched_at": "2026-01-01T00:00:00Z",
            "sha256": hashlib.sha256(b"").hexdigest(),
        },
        b"",
    )
    tried += 1
    # An old recording of 90210 replayed after the current one, with another title: never wins.
    old = template.replace("Енергийна ефективност", "СТАРО ЗАГЛАВИЕ")
    assert old != template
    good_90210 = next(e for e in seven if TEMPLATE in e["url"])
    _add_entry(
        corpus,
        {
            **good_90210,
            "file": "pages/old_90210.html",
            "fetched_at": "2020-01-01T00:00:00Z",
            "sha256": hashlib.sha256(old.encode()).hexdigest(),
        },
        old.encode(),
    )
    tried += 1
    # Manifest entries that cannot be trusted.
    body = template.replace(TEMPLATE_CODE, _code(6008)).encode()
    no_url = _isun("60008", sha256=hashlib.sha256(body).hexdigest())
    del no_url["url"]
    _add_entry(corpus, no_url, body)
    _add_entry(corpus, _isun("60009", sha256="0" * 64), body)  # wrong sha256
    _add_entry(corpus, {**_isun("60010"), "file": "pages/missing.html"}, None)  # no body file
    _add_entry(corpus, {**_isun("60011"), "file": "../secret.txt"}, None)  # outside the recording
    _add_entry(corpus, {**_isun("60012"), "file": str(secret)}, None)  # absolute
    tried += 5

    summary = run_build(root / "data", corpus.dir)
    con = duckdb.connect(
        str(root / "data" / "publish" / "latest" / "warehouse.duckdb"), read_only=True
    )
    yield summary, con, root, tried
    con.close()


def _quarantine(con, rule: str) -> list[tuple]:
    return con.execute(
        "SELECT record_key, field, value, message FROM quarantine WHERE rule = ? ORDER BY record_key",
        [rule],
    ).fetchall()


def test_the_night_is_released_with_everything_valid(hostile_build):
    summary, con, _, tried = hostile_build
    assert summary.success and summary.release, summary
    codes = {r[0] for r in con.execute("SELECT project_code FROM projects").fetchall()}
    # The sample's four projects, the XHTML page and the one whose bad activity was set aside.
    assert {"BG05SFOP001-2.009-0010-C01", TEMPLATE_CODE, _code(6001), _code(6002)} <= codes
    assert not codes & {_code(6005), _code(6008)}, codes
    total = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    print(f"\nhostile recording: {tried} inputs tried, {total} quarantine rows, 1 release")


def test_xml_declaration_page_is_parsed(hostile_build):
    _, con, _, _ = hostile_build
    assert (
        con.execute(
            "SELECT count(*) FROM activities WHERE project_code = ?", [_code(6001)]
        ).fetchone()[0]
        == 3
    )


def test_seventeen_digit_amount_is_quarantined_not_a_crash(hostile_build):
    _, con, _, _ = hostile_build
    rows = _quarantine(con, "amount_out_of_range")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (f"{_code(6002)}#2", "amount_contracted", "12 345 678 901 234 567.00")
    ]
    assert (
        con.execute(
            "SELECT count(*) FROM activities WHERE project_code = ?", [_code(6002)]
        ).fetchone()[0]
        == 2
    )


def test_ambiguous_amount_is_quarantined(hostile_build):
    _, con, _, _ = hostile_build
    rows = con.execute(
        "SELECT record_key, rule, value FROM quarantine WHERE record_key LIKE ?",
        [f"{_code(6003)}%"],
    ).fetchall()
    assert rows == [(f"{_code(6003)}#3", "amount_unparseable", "1.234")]
    amounts = con.execute(
        "SELECT amount_contracted FROM activities WHERE project_code = ?", [_code(6003)]
    ).fetchall()
    assert len(amounts) == 2 and all(str(a[0]) != "1.23" for a in amounts)


def test_one_code_under_two_contract_ids_is_quarantined(hostile_build):
    _, con, _, _ = hostile_build
    rows = _quarantine(con, "duplicate_project_code")
    assert [r[0] for r in rows] == [_code(6005), _code(6005)]
    assert "60005, 60006" in rows[0][3]


def test_empty_pages_are_quarantined_and_never_replace_a_good_one(hostile_build):
    _, con, _, _ = hostile_build
    rows = con.execute(
        "SELECT record_key, value FROM quarantine WHERE rule = 'empty_body'"
    ).fetchall()
    assert rows == [
        (
            "https://2020.eufunds.bg/bg/0/0/Project/PrintProject?contractId=60007&isHistoric=False",
            "0 bytes",
        )
    ]
    assert (
        con.execute(
            "SELECT count(*) FROM projects WHERE isun_contract_id = ?", [SAMPLE_IDS["seed001"]]
        ).fetchone()[0]
        == 1
    )


def test_newest_fetched_at_wins_not_the_last_stored(hostile_build):
    _, con, _, _ = hostile_build
    name = con.execute(
        "SELECT project_name FROM projects WHERE project_code = ?", [TEMPLATE_CODE]
    ).fetchone()[0]
    assert "СТАРО ЗАГЛАВИЕ" not in name and "Енергийна ефективност" in name


def test_untrusted_manifest_entries_are_quarantined_and_nothing_outside_is_read(hostile_build):
    _, con, root, _ = hostile_build
    rows = con.execute(
        "SELECT rule, field, value FROM quarantine WHERE table_name = 'inputs' ORDER BY record_key"
    ).fetchall()
    assert sorted(rows) == sorted(
        [
            ("manifest_entry", "url", None),
            ("sha256_mismatch", "sha256", "0" * 64),
            ("missing_body", "file", "pages/missing.html"),
            ("path_outside_recording", "file", "../secret.txt"),
            ("path_outside_recording", "file", str(root / "secret.txt")),
        ]
    )
    archive = root / "data" / "raw"
    assert not any(
        b"SECRET-OUTSIDE" in p.read_bytes() for p in (archive / "objects").rglob("*") if p.is_file()
    )
    release = root / "data" / "publish" / "latest"
    assert not any("SECRET-OUTSIDE" in p.read_text(errors="replace") for p in release.glob("*.csv"))
    manifest = [json.loads(line) for line in (archive / "manifest.jsonl").read_text().splitlines()]
    assert not any("60009" in m["url"] or "60010" in m["url"] for m in manifest)


def test_staged_columns_are_typed_by_the_metadata_not_by_the_first_rows(tmp_path):
    """ИСУН dates (date objects) first, then a document's month-only date as linking gives it
    (text, "2019-01-01": `transforms.dates.month_start`) and an amount far larger than the
    first rows': all load, typed as the metadata says (the object columns reach DuckDB as
    text and are CAST, so nothing depends on what it would infer)."""
    from datetime import date
    from decimal import Decimal

    import pandas as pd

    from registry.documents import LINKED_PROJECTS
    from warehouse.staging import stage_frame

    rows = [
        {
            "project_key": f"BG05SFOP001-2.009-{i:04d}-C01",
            "project_code": f"BG05SFOP001-2.009-{i:04d}-C01",
            "start_date": date(2019, 1, 18),
            "end_date": date(2020, 1, 17),
            "amount_total_bgn": Decimal("10.50"),
            "duration_months": 12,
            "source_kinds": "isun",
            "n_sources": 1,
            "n_conflicting_fields": 0,
        }
        for i in range(3000)
    ]
    rows.append(
        {
            **rows[0],
            "project_key": "BG05SFOP001-2.009-0004",
            "project_code": "BG05SFOP001-2.009-0004",
            "start_date": "2019-01-01",
            "end_date": "2020-01-01",
            "amount_total_bgn": Decimal("1234567890123.45"),
            "source_kinds": "ngo",
        }
    )
    frame = pd.DataFrame(rows).reindex(columns=LINKED_PROJECTS.columns)
    staged = stage_frame(tmp_path, LINKED_PROJECTS, frame)
    con = duckdb.connect()
    got = con.execute(
        f"SELECT start_date, end_date, amount_total_bgn, typeof(amount_total_bgn) FROM "
        f"{staged.scan_sql()} WHERE project_key IN ('BG05SFOP001-2.009-0004', "
        "'BG05SFOP001-2.009-0000-C01') ORDER BY project_key"
    ).fetchall()
    assert got == [
        (date(2019, 1, 18), date(2020, 1, 17), Decimal("10.50"), "DECIMAL(18,2)"),
        (date(2019, 1, 1), date(2020, 1, 1), Decimal("1234567890123.45"), "DECIMAL(18,2)"),
    ]
