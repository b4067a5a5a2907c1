"""Bulk sources contained like pages (issue 27): every hostile API answer, row and export row
of the issue's table staged from a real raw archive; each bad input is one quarantine row (or
one answer set aside, with the older good answer of that programme used), everything else
is staged, and nothing raises."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import duckdb
import pytest

from pipelines.isun_bulk_staging import stage_bulk_tables
from sources.bulk_json import AnswerError, check_answer, load_bounded
from sources.isun_opendata import criteria_url, parse_criteria, programme_url
from sources.isun_register_export import EXPORT_PATH
from sources.raw_archive import RawArchive
from tests.isun_bulk_fixtures import (
    JSON_HEADERS,
    P_CUT,
    P_DEEP,
    P_EMPTY,
    P_NEVER,
    P_ROWS,
    XLSX_TYPE,
    criteria_body,
    export_xlsx,
    owner_entity,
    programme_body,
    project,
    rrp_code,
)
from transforms.isun_bulk import BulkRowError, _amount, _duration, api_row_fingerprint

BASE = "https://2020.eufunds.bg"
JSON = JSON_HEADERS
XLSX = {"Content-Type": XLSX_TYPE}
OLD, NEW = "2026-11-30T02:00:00Z", "2026-12-07T02:00:00Z"
BENEFICIARY = owner_entity()
_code = rrp_code


def _good(procedure: str, count: int) -> bytes:
    return programme_body(
        [
            project(_code(procedure, i), f"Проект {i}", "E1", Decimal("1000.00"))
            for i in range(count)
        ],
        [],
        [BENEFICIARY],
    )


# One row of each bad kind from the table, and two read leniently: (row, field in quarantine).
def _bad_rows() -> list[tuple[object, str | None]]:
    def p(n: int, **changes) -> dict:
        return {**project(_code("1.001", n), f"Проект {n}", "E1", Decimal("10.00")), **changes}

    return [
        (p(101, totalValue="12 3O0,00"), "totalValue"),
        (p(102, totalValue="__RAW__1e999"), "totalValue"),
        (p(103, totalValue="__RAW__12345678901234567890.00"), "totalValue"),
        (p(104, totalValue=Decimal("-5.00")), "amount_total"),
        (p(105, durationInMonths="осемнадесет"), "projects[].durationInMonths"),
        (p(106, placeOfExecution="Стамболово"), "projects[].placeOfExecution"),
        (p(107, actuallyPaidAmounts=7), "projects[].actuallyPaidAmounts"),
        ("проект", "projects[]"),
        (42, "projects[]"),
        (None, "projects[]"),
        (p(108, initialDate="вчера"), "projects[].initialDate"),
        (p(109, id="BG16RFOP002-1.001"), "projects[].id"),
    ]


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    root = tmp_path_factory.mktemp("bulk")
    archive = RawArchive(root / "raw", durable=False)

    def store(url: str, body: bytes, when: str, headers=JSON) -> None:
        archive.store(url, body, status=200, headers=headers, fetched_at=when)

    programmes = [P_ROWS, P_CUT, P_EMPTY, P_DEEP, P_NEVER]
    listed = criteria_body([(p.programme_id, p.period_id, p.name) for p in programmes])
    store(criteria_url(BASE), listed, OLD)
    # A newer programme list with an extra field nested 100 000 deep: set aside, the older one used.
    deep_list = listed[:-1] + b', "extra": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    store(criteria_url(BASE), deep_list, NEW)

    good = [project(_code("1.001", i), f"Проект {i}", "E1", Decimal("1000.00")) for i in range(20)]
    lenient = [
        {**project(_code("1.001", 201), "Проект 201", "E1", 0), "totalValue": "1 000,50"},
        {
            **project(_code("1.001", 202), "Проект 202", "E1", Decimal("5")),
            "durationInMonths": "18 месеца",
        },
    ]
    rows = [*good, *lenient, *(row for row, _ in _bad_rows())]
    body = programme_body(rows, [], [BENEFICIARY])  # numbers beyond a float, written as they came
    body = re.sub(rb'"__RAW__([^"]+)"', rb"\1", body)
    store(programme_url(BASE, P_ROWS), body, NEW)
    # A good answer, then a newer one cut short: the good one stays in use.
    store(programme_url(BASE, P_CUT), _good("2.001", 7), OLD)
    store(programme_url(BASE, P_CUT), _good("2.001", 8)[:300], NEW)
    # A good answer, then a newer `{}`: never replaces it.
    store(programme_url(BASE, P_EMPTY), _good("3.001", 5), OLD)
    store(programme_url(BASE, P_EMPTY), b"{}", NEW)
    # A good answer, then one whose project name is nested 100 000 deep (200 KB).
    store(programme_url(BASE, P_DEEP), _good("4.001", 3), OLD)
    deep = json.loads(_good("4.001", 4))
    deep_body = (
        json.dumps(deep, ensure_ascii=False)
        .replace('"Проект 0"', "[" * 100_000 + "]" * 100_000, 1)
        .encode()
    )
    store(programme_url(BASE, P_DEEP), deep_body, NEW)
    # Only a syntax error ever: reported, not fatal.
    store(programme_url(BASE, P_NEVER), _good("5.001", 2).replace(b'"name"', b'"name" "x"', 1), NEW)
    # The export: good rows and one with a negative amount.
    export_rows = [
        {
            "programme": "Региони в растеж",
            "beneficiary": "000000001 Община Стамболово",
            "proposal_code": _code("9.001", i),
            "project_name": f"Проект {i}",
            "amount_total": 100 if i else -100,
            "amount_grant": 100 if i else -100,
            "amount_own": 0,
            "amount_paid": 0,
            "duration_months": "12" if i != 2 else "18 месеца",
            "status": "Приключен",
        }
        for i in range(4)
    ]
    store(BASE + EXPORT_PATH, export_xlsx(export_rows), NEW, XLSX)
    bulk = stage_bulk_tables(archive, root / "staging")
    return bulk


def _frame(staged_table):
    con = duckdb.connect()
    try:
        return con.execute(f"SELECT * FROM {staged_table.scan_sql()}").df()
    finally:
        con.close()


@pytest.mark.integration
def test_every_bad_row_is_one_quarantine_row_with_its_field_and_value(staged):
    q = staged.quarantine
    rows = q[(q["table_name"] == "isun_api_projects") & (q["rule"] != "bulk_response_set_aside")]
    assert len(rows) == len(_bad_rows())
    assert sorted(rows["field"].fillna("")) == sorted(f for _, f in _bad_rows())
    by_key = dict(zip(rows["record_key"], rows["value"], strict=True))
    assert by_key[f"{_code('1.001', 101)} (projects[22])"] == "12 3O0,00"
    assert by_key[f"{_code('1.001', 102)} (projects[23])"] == "1E+999"
    assert by_key[f"{_code('1.001', 103)} (projects[24])"] == "12345678901234567890.00"
    assert by_key[f"{_code('1.001', 106)} (projects[27])"] == "Стамболово"
    assert by_key["projects[29]"] == "проект" and by_key["projects[30]"] == "42"
    assert by_key["projects[31]"] == "null"
    # Every message names the source (the programme's URL) and the field.
    assert all(
        "ProgrammeId=5" in m or "ProgrammeId=5" in u
        for m, u in zip(rows["message"], rows["source_url"], strict=True)
    )


@pytest.mark.integration
def test_every_good_row_is_staged_and_plain_meanings_are_read_leniently(staged):
    projects = _frame(staged.projects)
    mine = projects[projects["isun_programme_id"] == "5"]
    assert len(mine) == 22  # 20 good, 2 read leniently
    lenient = mine.set_index("proposal_code").loc[[_code("1.001", 201), _code("1.001", 202)]]
    assert lenient["amount_total"].tolist() == [Decimal("1000.50"), Decimal("5.00")]
    assert lenient["duration_months"].tolist() == [18, 18]
    assert lenient["lenient_values"].tolist() == [
        "totalValue '1 000,50' read as 1000.50",
        "projects[].durationInMonths '18 месеца' read as 18",
    ]


@pytest.mark.integration
def test_a_bad_answer_never_replaces_a_good_one(staged):
    projects = _frame(staged.projects)
    counts = projects.groupby("isun_programme_id").size().to_dict()
    # Cut short, `{}` and 100 000 deep: the older good answers (7, 5 and 3 projects) are used.
    assert counts["3"] == 7 and counts["4"] == 5 and counts["6"] == 3
    assert "7" not in counts  # never a good answer: not published, and reported
    q = staged.quarantine
    aside = q[q["rule"] == "bulk_response_set_aside"].set_index("record_key")
    assert sorted(aside.index) == [
        "open-data programme 3/1",
        "open-data programme 4/1",
        "open-data programme 6/1",
        "open-data programme 7/1",
        "open-data programme list",
    ]
    assert aside.loc["open-data programme 3/1", "value"].startswith("cut short")
    assert aside.loc["open-data programme 4/1", "value"].startswith("the API's shape changed")
    assert aside.loc["open-data programme 6/1", "value"].startswith("nested deeper than 32")
    assert aside.loc["open-data programme 7/1", "value"].startswith("not valid JSON")
    assert aside.loc["open-data programme list", "value"].startswith("nested deeper than 32")
    assert aside.loc["open-data programme 3/1", "message"].endswith(
        "using the answer of 2026-11-30 02:00: stale since 2026-11-30 02:00"
    )
    assert aside.loc["open-data programme 7/1", "message"].endswith(
        "no good answer ever: not published"
    )
    # The programme list in use is the older one: every programme has its name.
    programmes = _frame(staged.programmes).set_index("isun_programme_id")
    assert programmes.loc["3", "programme_name"] == P_CUT.name


@pytest.mark.integration
def test_export_rows_are_screened_row_by_row(staged):
    export = _frame(staged.export)
    assert sorted(export["proposal_code"]) == [_code("9.001", i) for i in (1, 2, 3)]
    assert export.set_index("proposal_code").loc[_code("9.001", 2), "duration_months"] == 18
    q = staged.quarantine
    rows = q[q["table_name"] == "isun_export_projects"]
    assert len(rows) == 1
    assert rows.iloc[0]["rule"] == "amount_not_negative"


@pytest.mark.unit
@pytest.mark.parametrize(
    "value, expected",
    [
        ("1 000,50", Decimal("1000.50")),
        (Decimal("12.5"), Decimal("12.5")),
        (3, Decimal("3")),
        ("", None),
        (None, None),
    ],
)
def test_amounts_read_where_the_meaning_is_plain(value, expected):
    assert _amount(value, "totalValue", "src") == expected


@pytest.mark.unit
@pytest.mark.parametrize(
    "value, reason",
    [
        (Decimal("1E+999"), "out of range"),
        (Decimal("99999999999999999999"), "out of range"),
        (float("inf"), "out of range"),
        ("12 3O0,00", "not an amount"),
        ([1], "not an amount"),
        (True, "not an amount"),
    ],
)
def test_amounts_out_of_range_or_unreadable_are_errors_naming_field_and_value(value, reason):
    with pytest.raises(BulkRowError, match=f"src: field totalValue is .*{reason}") as exc:
        _amount(value, "totalValue", "src")
    assert exc.value.field == "totalValue"


@pytest.mark.unit
def test_durations():
    notes: list[str] = []
    assert _duration("18 месеца", "d", "src", notes) == 18 and notes == ["d '18 месеца' read as 18"]
    assert _duration(Decimal("24"), "d", "src") == 24
    for bad in ("осемнадесет", Decimal("18.5"), Decimal("12345678901234567890"), -3):
        with pytest.raises(BulkRowError):
            _duration(bad, "d", "src")


@pytest.mark.unit
def test_the_fingerprint_of_a_hostile_row_never_raises():
    for row in (
        "x",
        None,
        {"totalValue": "1e999x", "actuallyPaidAmounts": 5},
        {"totalValue": Decimal("1E+999")},
    ):
        assert len(api_row_fingerprint(row)) == 16


@pytest.mark.unit
def test_the_check_is_bounded_in_depth_and_never_recursive(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_bytes(
        b'{"projects": [{"id": "A", "name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]}"
    )
    with pytest.raises(AnswerError, match=r"nested deeper than 32 levels at projects\[0\]"):
        check_answer(deep)
    with pytest.raises(AnswerError, match="nested deeper"):
        load_bounded(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "criteria")
    with pytest.raises(AnswerError, match="nested deeper"):
        parse_criteria(b'{"programmes": [], "x": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001)
