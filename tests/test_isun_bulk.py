"""ИСУН's bulk sources: the open-data API and the register export, against a real server on 127.0.0.1.

Fixtures follow the real shapes (`tests/isun_bulk_fixtures.py`): criteria -> one call per
programme spaced apart, an HTML refusal mid-way (stop, resume next night with what is left),
a programme bigger than the pages' body cap read as a stream, a header change in the export,
an entity without ЕИК, amounts in EUR with BGN derived.
"""

import io
import json
from decimal import Decimal

import duckdb
import pytest
from openpyxl import load_workbook

from pipelines.cli import main, run_build
from pipelines.isun_bulk_staging import stage_bulk_tables
from pipelines.resources import LiveIsunCrawler
from sources.http_client import CrawlPolicy, PoliteClient
from sources.isun_opendata import (
    CRITERIA_PATH,
    Programme,
    api_policy,
    fetch_open_data,
    not_json_reason,
    parse_criteria,
    programme_url,
)
from sources.isun_register_export import EXPORT_COLUMNS, EXPORT_PATH, ExportHeaderError, read_export
from sources.raw_archive import RawArchive
from tests.fault_server import FaultServer, Route
from tests.isun_bulk_fixtures import (
    HTML_REFUSAL,
    PROGRAMMES,
    XLSX_TYPE,
    criteria_body,
    demo_answers,
    demo_export,
    export_row,
    export_xlsx,
    write_big_programme,
)
from tests.isun_mirror import CONTRACT_IDS, build_mirror, printed_within, project_code
from transforms.isun_bulk import api_project_row, entity_row

JSON = "application/json; charset=utf-8"
THREE = [
    ("4", "1", "Развитие на човешките ресурси 2014-2020"),
    ("8010510", "1", "Програма за развитие на селските райони (за мерки по чл. 9б, т.2 от ЗПЗП)"),
    ("8010862", "3", 'Програма "Развитие на регионите" 2021-2027'),
]


class Clock:
    """A fake clock for the client: sleeping advances it, so spacing is asserted without waiting."""

    def __init__(self):
        self.now, self.slept = 1000.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


ROBOTS = "/robots.txt"  # every client reads it first (sources.http_client); not a bulk call


def api_client(tmp_path, clock: Clock, interval: float = 240.0) -> PoliteClient:
    base = CrawlPolicy(
        allowed_hosts=frozenset({"127.0.0.1"}),
        backoff_base_seconds=0.01,
        read_timeout=2.0,
        connect_timeout=2.0,
        contact="tests@bgfunds.example",
    )
    return PoliteClient(
        api_policy(base, interval), RawArchive(tmp_path / "raw"), sleep=clock.sleep, clock=clock
    )


@pytest.fixture
def api():
    with FaultServer() as server:
        server.routes[CRITERIA_PATH] = Route(criteria_body(THREE), JSON)
        answers = demo_answers()
        for pid, period, name in THREE:
            server.routes[programme_url("", Programme(pid, period, name))] = Route(
                answers[(pid, period)], JSON
            )
        yield server


def test_criteria_then_one_call_per_programme_spaced_apart(tmp_path, api):
    clock = Clock()
    night = fetch_open_data(api_client(tmp_path, clock), api.base_url)
    assert [r.path for r in api.log if r.path != ROBOTS] == [CRITERIA_PATH] + [
        f"/api/v1.0/opendata?ProgrammeId={pid}&ProgrammePeriodId={period}"
        for pid, period, _ in THREE
    ]
    assert night.programmes_listed == 3 and len(night.fetched) == 3 and night.stopped is None
    # Each call waits for the API's interval after the one before (the fake clock does not move otherwise).
    assert (
        clock.slept == [240.0] * 4
    )  # robots.txt first, then the criteria and each programme, 240 s apart
    # Raw first: every answer is in the archive, byte for byte.
    archive = RawArchive(tmp_path / "raw")
    assert [archive.read(r.sha256) for r in night.records] == [
        api.routes[r.path].body for r in api.log if r.path != ROBOTS
    ]


def test_html_refusal_mid_way_stops_the_night_and_the_next_night_starts_with_what_is_left(
    tmp_path, api
):
    second = programme_url("", Programme("8010510", "1", ""))
    good = api.routes[second]
    api.routes[second] = Route(HTML_REFUSAL, "text/html; charset=utf-8")
    clock = Clock()
    night1 = fetch_open_data(api_client(tmp_path, clock), api.base_url)
    assert "HTML instead of JSON" in night1.stopped
    assert [r.path for r in api.log if r.path != ROBOTS][
        -1
    ] == second  # nothing asked after the refusal
    assert len(night1.fetched) == 1
    assert [u.removeprefix(api.base_url) for u in night1.left_for_next_night] == [
        second,
        programme_url("", Programme("8010862", "3", "")),
    ]
    # The refusal is archived as evidence but never read as data.
    bulk = stage_bulk_tables(RawArchive(tmp_path / "raw"), tmp_path / "staging")
    assert bulk.projects.to_pandas(["isun_programme_id"])[
        "isun_programme_id"
    ].unique().tolist() == ["4"]

    api.routes[second] = good
    before = len(api.log)
    night2 = fetch_open_data(api_client(tmp_path, Clock()), api.base_url)
    assert night2.stopped is None
    # The never-fetched programmes first, the one fetched last night last.
    assert [r.path for r in api.log[before:] if r.path != ROBOTS][1:] == [
        second,
        programme_url("", Programme("8010862", "3", "")),
        programme_url("", Programme("4", "1", "")),
    ]


def test_not_json_reason():
    assert not_json_reason(b'  {"programmes": []}', "application/json") is None
    assert "HTML instead of JSON (text/html" in not_json_reason(
        HTML_REFUSAL, "text/html; charset=utf-8"
    )
    assert not_json_reason(b"", "application/json") == "an empty answer where JSON was expected"
    with pytest.raises(ValueError, match=r"programmes\[0\].programmePeriodId is None"):
        parse_criteria(json.dumps({"programmes": [{"id": 2, "name": "x"}]}).encode())
    assert parse_criteria(criteria_body())[13] == Programme(
        "8010686", "2", "Национален план за възстановяване и устойчивост"
    )
    assert len(parse_criteria(criteria_body())) == len(PROGRAMMES) == 29


def test_a_programme_bigger_than_the_page_cap_is_fetched_and_read_as_a_stream(tmp_path):
    path = tmp_path / "big.json"
    size = write_big_programme(path, 3000)
    body = path.read_bytes()
    with FaultServer() as server:
        server.routes[CRITERIA_PATH] = Route(
            criteria_body([("5", "1", "Иновации и конкурентоспособност 2014-2020")]), JSON
        )
        server.routes[programme_url("", Programme("5", "1", ""))] = Route(body, JSON)
        base = CrawlPolicy(
            allowed_hosts=frozenset({"127.0.0.1"}),
            max_response_bytes=size // 4,
            contact="tests@bgfunds.example",
        )
        client = PoliteClient(
            api_policy(base, 0.0, max_bytes=size + 1), RawArchive(tmp_path / "raw")
        )
        night = fetch_open_data(client, server.base_url)
    assert night.fetched and night.stopped is None and size > base.max_response_bytes
    bulk = stage_bulk_tables(RawArchive(tmp_path / "raw"), tmp_path / "staging")
    assert (bulk.projects.rows, bulk.contracts.rows, bulk.entities.rows) == (3000, 3000, 3000)
    con = duckdb.connect()
    row = con.execute(
        f"SELECT amount_total, amount_total_eur, amount_total_bgn FROM {bulk.projects.scan_sql()}"
        " WHERE proposal_code = 'BG16RFOP002-2.073-02999'"
    ).fetchone()
    assert row == (
        Decimal("7999.99"),
        Decimal("7999.99"),
        Decimal("15646.62"),
    )  # 7999.99 × 1.95583 = 15646.6204…


def test_eur_as_stated_with_bgn_derived_and_an_entity_without_eik():
    provenance = {"source_url": "u", "fetched_at": None, "content_sha256": "s"}
    person = entity_row(
        {
            "entityId": "f771",
            "entityUin": "",
            "entityName": "Георги",
            "entityAddress": "ул. Седма 2",
            "entityCity": "с. Долно поле",
            "entityMunicipality": "Стамболово",
            "entityDistrict": "Хасково",
        },
        provenance,
    )
    assert {
        k: person[k]
        for k in (
            "entity_type",
            "eik",
            "name",
            "address",
            "city",
            "municipality_code",
            "district_code",
        )
    } == {
        "entity_type": "without_eik",
        "eik": None,
        "name": None,
        "address": None,
        "city": None,
        "municipality_code": "HKV30",
        "district_code": "BG422",
    }
    # A 10-digit number is a personal number (ЕГН), never an ЕИК: not published either.
    assert (
        entity_row({"entityId": "x", "entityUin": "7501010010", "entityName": "Иван"}, provenance)[
            "eik"
        ]
        is None
    )
    answers = json.loads(demo_answers()[("8010510", "1")])
    entities = {e["entityId"]: entity_row(e, provenance) for e in answers["entities"]}
    farm = next(p for p in answers["projects"] if p["id"] == "BG06RDNP001-4.001-0812")
    row = api_project_row(
        farm,
        {"programme_id": "8010510", "period_id": "1"},
        entities,
        "EUR",
        "generatedAt",
        provenance,
    )
    assert (row["beneficiary_without_eik"], row["beneficiary_name"], row["project_name"]) == (
        True,
        None,
        None,
    )
    village = next(p for p in answers["projects"] if p["id"] == "BG06RDNP001-7.021-0016")
    row = api_project_row(
        village,
        {"programme_id": "8010510", "period_id": "1"},
        entities,
        "EUR",
        "generatedAt",
        provenance,
    )
    # 1 496 621.81 EUR × 1.95583 = 2 927 137.8326… BGN; 312 000 EUR paid = 610 218.96 BGN.
    assert (row["amount_total"], row["amount_total_eur"], row["amount_total_bgn"]) == (
        Decimal("1496621.81"),
        Decimal("1496621.81"),
        Decimal("2927137.83"),
    )
    assert (row["amount_paid_eur"], row["amount_paid_bgn"]) == (
        Decimal("312000.00"),
        Decimal("610218.96"),
    )
    assert (row["beneficiary_eik"], row["proposal_code"], row["programme_code"]) == (
        "000903985",
        "BG06RDNP001-7.021-0016",
        "BG06RDNP001",
    )


def _export_file(tmp_path, body: bytes):
    path = tmp_path / "export.bin"  # archived objects have no .xlsx suffix
    path.write_bytes(body)
    return path


def test_export_is_read_by_header_name_not_position(tmp_path):
    shuffled = list(reversed(EXPORT_COLUMNS))
    rows = list(
        read_export(
            _export_file(
                tmp_path,
                export_xlsx(
                    [
                        export_row(
                            "2014BG05M9OP001 Развитие на човешките ресурси",
                            "000903985 Община Стамболово",
                            "BG05M9OP001-1.096-0014",
                            "Детски кът Стамболово",
                            29656.25,
                            29656.25,
                            0,
                            29656.25,
                            12,
                            "Приключен (към датата на приключване)",
                        )
                    ],
                    header=shuffled,
                ),
            )
        )
    )
    assert len(rows) == 1
    assert (
        rows[0]["proposal_code"],
        rows[0]["amount_total"],
        rows[0]["duration_months"],
        rows[0]["row_no"],
    ) == ("BG05M9OP001-1.096-0014", 29656.25, 12, 6)
    # The demo export: filter block, header, six rows, then "Забележки" — which is not a row.
    assert [r["proposal_code"] for r in read_export(_export_file(tmp_path, demo_export()))][
        -1
    ] == "BG-RRP-4.028-0017"


def _openpyxl_rows(path) -> list[dict]:
    """The reference reading of an export: openpyxl, cell by cell (the reader used before calamine)."""
    from sources.isun_register_export import find_header

    with open(path, "rb") as fh:
        rows = list(
            load_workbook(fh, read_only=True, data_only=True)
            .worksheets[0]
            .iter_rows(values_only=True)
        )
    at, columns = find_header(rows[:60], str(path))
    out = []
    for offset, row in enumerate(rows[at + 1 :]):
        if not any(str(c or "").strip() for c in row) or str(row[0] or "").startswith("Забележки"):
            break
        out.append({name: row[i] for name, i in columns.items()} | {"row_no": at + 2 + offset})
    return out


def test_the_recorded_export_reads_as_openpyxl_read_it():
    path = "sample/isun_bulk/bodies/ExportToExcel.xlsx"
    rows = list(read_export(path))
    assert rows == _openpyxl_rows(path)
    assert [[type(v) for v in r.values()] for r in rows] == [
        [type(v) for v in r.values()] for r in _openpyxl_rows(path)
    ]
    first = rows[0]
    assert (first["proposal_code"], first["amount_total"], first["amount_own"]) == (
        "BG05SFOP001-2.009-0010",
        45423.58,
        0,
    )
    assert (first["duration_months"], first["row_no"], len(rows)) == (18, 6, 6)
    assert type(first["amount_own"]) is int and type(first["duration_months"]) is int


def test_an_export_below_empty_rows_keeps_its_sheet_row_numbers(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.cell(row=3, column=2, value="Проекти")  # rows 1-2 and column A empty above the data
    for col, name in enumerate(EXPORT_COLUMNS, start=2):
        ws.cell(row=5, column=col, value=name)
    values = {"Номер на проектно предложение": "BG05M9OP001-1.096-0014", "Обща стойност": 10.5}
    for col, name in enumerate(EXPORT_COLUMNS, start=2):
        ws.cell(row=6, column=col, value=values.get(name, "x"))
    out = io.BytesIO()
    wb.save(out)
    rows = list(read_export(_export_file(tmp_path, out.getvalue())))
    assert [(r["proposal_code"], r["amount_total"], r["row_no"]) for r in rows] == [
        ("BG05M9OP001-1.096-0014", 10.5, 6)
    ]


def test_a_changed_export_header_is_a_loud_failure(tmp_path):
    header = list(EXPORT_COLUMNS)
    header[header.index("Реално изплатени суми")] = "Изплатени суми"
    body = export_xlsx([], header=header)
    assert load_workbook(io.BytesIO(body)).active.max_row > 4  # a real workbook, header and all
    with pytest.raises(
        ExportHeaderError,
        match=r"lacks \['Реално изплатени суми'\].*unknown columns "
        r"\['Изплатени суми'\].*columns changed",
    ):
        list(read_export(_export_file(tmp_path, body), "ExportToExcel"))
    with pytest.raises(ExportHeaderError, match="no header row"):
        list(read_export(_export_file(tmp_path, export_xlsx([], header=["Номер", "Бенефициент"]))))


def test_changed_export_header_stops_the_export_not_the_night(tmp_path):
    header = list(EXPORT_COLUMNS)
    header[0] = "Програма / Program"
    with FaultServer() as server:
        server.routes[CRITERIA_PATH] = Route(criteria_body(THREE[:1]), JSON)
        server.routes[programme_url("", Programme("4", "1", ""))] = Route(
            demo_answers()[("4", "1")], JSON
        )
        server.routes[EXPORT_PATH] = Route(export_xlsx([], header=header), XLSX_TYPE)
        summary = run_build(
            tmp_path,
            source=LiveIsunCrawler(
                isun_base_url=server.base_url,
                interval_seconds=0.0,
                api_interval_seconds=0.0,
                contact="t@bgfunds.example",
            ),
        )
    # The export is not read (one quarantine row naming the header); the API's contracts are released.
    assert summary.success and summary.release is not None
    con = duckdb.connect(str(tmp_path / "publish" / "latest" / "warehouse.duckdb"), read_only=True)
    try:
        set_aside = con.execute(
            "SELECT table_name, record_key, value, message FROM quarantine "
            "WHERE rule = 'bulk_response_set_aside'"
        ).fetchall()
        api_projects = con.execute("SELECT count(*) FROM isun_api_projects").fetchone()[0]
        export_rows = con.execute("SELECT count(*) FROM isun_export_projects").fetchone()[0]
    finally:
        con.close()
    assert len(set_aside) == 1 and set_aside[0][:2] == ("isun_export_projects", "export")
    assert "header changed" in set_aside[0][2] and "no header row" in set_aside[0][2]
    assert set_aside[0][3].startswith("export: not read tonight (header changed)")
    assert api_projects == 4 and export_rows == 0
    report = json.loads(
        (tmp_path / "publish" / "latest" / "quality_report.json").read_text(encoding="utf-8")
    )
    assert "export: not read tonight (header changed)" in report["coverage"]["line"]


def test_a_crawl_publishes_every_contract_the_api_lists_joined_to_its_pages(tmp_path, capsys):
    with FaultServer() as server, FaultServer(host="127.0.0.2") as foreign:
        build_mirror(server, foreign.base_url)
        crawler = LiveIsunCrawler(
            isun_base_url=server.base_url,
            interval_seconds=0.0,
            api_interval_seconds=0.0,
            read_timeout_seconds=2.0,
            contact="tests@bgfunds.example",
            requests_per_night=26,
        )
        summary = run_build(tmp_path, source=crawler)
        assert summary.success
        # Within the budget: robots.txt and 4 bulk requests, then robots.txt, 5 listing pages and 15 contract
        # pages (every request counts, each client reads robots.txt once): a PrintProject each and a BasicData
        # per procedure: every contract (the three-page plan reached 5).
        assert len(server.log) == 26 and [r.path for r in server.log].count("/robots.txt") == 2
        printed = printed_within(15, sorted(CONTRACT_IDS))  # planned in contract-id order
        assert len(printed) == 13
        # The mirror's API: 13 projects with pages (one per contract), 2 without.
        assert (
            summary.coverage
            == "15 of 15 contracts in the open-data API published, 13 with page detail"
        )
        con = duckdb.connect(
            str(tmp_path / "publish" / "latest" / "warehouse.duckdb"), read_only=True
        )
        # 13 × 1 113 000.00 + 29 656.25 + 255 557.53 contracted; 13 × 222 600.00 + 29 656.25 paid (EUR, as stated),
        # 1 113 000.00 EUR = 2 176 838.79 BGN.
        assert con.execute(
            "SELECT count(*), sum(amount_total_eur), sum(amount_paid_eur), "
            "count(*) FILTER (WHERE amount_total_bgn = 2176838.79) FROM isun_api_projects"
        ).fetchone() == (15, Decimal("14754213.78"), Decimal("2923456.25"), 13)
        by_programme = con.execute(
            "SELECT projects, projects_with_pages FROM absorption_by_programme"
            " WHERE programme_code = 'BG16FFPR003'"
        ).fetchone()
        assert by_programme == (13, 13)
        report = json.loads(
            (tmp_path / "publish" / "latest" / "quality_report.json").read_text("utf-8")
        )
        assert [
            (p["programme_id"], p["in_api"], p["in_release"], p["with_page_detail"])
            for p in report["coverage"]["programmes"]
        ] == [("8010862", 13, 13, 13), ("4", 2, 2, 0)]
        crawled = {project_code(c) for c in printed}
        linked = dict(
            con.execute("SELECT project_key, source_kinds FROM linked_projects").fetchall()
        )
        assert {k for k, v in linked.items() if v == "isun;isun-api;isun-export"} == crawled

        # The plan for the next night, printed without a single request.
        before = len(server.log)
        assert (
            main(
                [
                    "crawl",
                    "--plan",
                    "--base-url",
                    server.base_url,
                    "--data-dir",
                    str(tmp_path),
                    "--budget",
                    "26",
                ]
            )
            == 0
        )
        assert len(server.log) == before
    out = capsys.readouterr().out
    assert "bulk: 3 open-data API calls, 1 register export; 240 s apart" in out
    # 26 - 2 robots.txt - 4 bulk - 1 procedures export - 5 listing pages = 14 requests; last night's 13
    # contracts took 14 (13 PrintProject and the BasicData of the procedure the export does not name:
    # 1.08 each): 13 contracts tonight, the Participants tab of the 7 listing a contractor, then the
    # rest's PrintProject.
    assert (
        "contract pages: 14 requests for 13 of 13 known contracts "
        "(new 0, changed 0, overdue 0, backfill 0, identity 7, rotation 6); 1.08 requests a contract"
    ) in out
    assert "and the project-proposals export: 1 request" in out
    assert "requests tonight: 26 of a budget of 26" in out
    assert "backfill: 0 contracts never fetched (0 of them not listed yet), done in 0 nights" in out


def test_the_demo_states_its_coverage_and_reconciles_the_export_with_the_api(sample_build):
    data_dir, summary = sample_build
    assert summary.coverage == (
        "10 of 10 contracts in the open-data API published, 4 with page detail "
        "(25 of 29 programmes not fetched yet); open-data programme 8010785/3: not read tonight "
        "(an HTML page, not JSON); not published"
    )
    latest = data_dir / "publish" / "latest"
    assert summary.coverage in (latest / "quality_report.html").read_text("utf-8")
    con = duckdb.connect(str(latest / "warehouse.duckdb"), read_only=True)
    # The export's paid amount for …-0042 differs from the API's and the page's: one conflict, all values kept.
    conflict = con.execute(
        "SELECT project_key, field, max_difference, values FROM project_conflicts"
    ).fetchall()
    assert [(k, f, d) for k, f, d, _ in conflict] == [
        ("BG05SFOP001-2.009-0042-C01", "amount_paid_eur", 100.0)
    ]
    assert [v["source_kind"] for v in json.loads(conflict[0][3])] == [
        "isun",
        "isun-api",
        "isun-export",
    ]
    # The programme answered with HTML is not data (one quarantine row for the answer); the
    # farmer without ЕИК is not named anywhere.
    assert con.execute(
        "SELECT count(*) FROM isun_api_projects WHERE isun_programme_id = '8010785'"
    ).fetchone() == (0,)
    assert con.execute(
        "SELECT table_name, record_key, value FROM quarantine WHERE rule = 'bulk_response_set_aside'"
    ).fetchall() == [
        (
            "isun_api_programmes",
            "open-data programme 8010785/3",
            "an HTML page, not JSON (starts b'<!DOCTYPE html><html><head><title>2020.e')",
        )
    ]
    assert con.execute(
        "SELECT count(*) FROM isun_api_programmes WHERE fetched_at IS NULL"
    ).fetchone() == (25,)
    farm = con.execute(
        "SELECT project_name, beneficiary_name, beneficiary_eik, beneficiary_without_eik"
        " FROM isun_api_projects WHERE proposal_code = 'BG06RDNP001-4.001-0812'"
    ).fetchone()
    assert farm == (None, None, None, True)
    assert con.execute(
        "SELECT count(*) FROM isun_export_projects WHERE project_name LIKE '%Георги%'"
        " OR beneficiary_name = 'Георги'"
    ).fetchone() == (0,)
    assert con.execute(
        "SELECT count(*) FROM isun_entities WHERE entity_type = 'without_eik' AND name IS NULL"
        " AND address IS NULL"
    ).fetchone() == (2,)
    # The contractor contract key as published: <project>(<number>).
    assert con.execute(
        "SELECT proposal_code, contract_number, contractor_eik, amount_eur, amount_bgn"
        " FROM isun_api_contracts WHERE contract_key = 'BG05M9OP001-2.002-0273(ДД-17/15.10.2020)'"
    ).fetchone() == (
        "BG05M9OP001-2.002-0273",
        "ДД-17/15.10.2020",
        "204123456",
        Decimal("12400.00"),
        Decimal("24252.29"),
    )
