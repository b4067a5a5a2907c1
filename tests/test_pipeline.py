"""End to end: the Dagster job in-process on the sample corpus, checked in the published files."""

import hashlib
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from pipelines.cli import main, run_build
from registry import tables_by_asset
from sources.recorded import SAMPLE_CORPUS
from tests.conftest import SAMPLE_IDS, SAMPLE_QUERY
from tests.corpus_tools import Corpus
from transforms.amounts import EUR_BGN_RATE
from warehouse.staging import StagedTable

SEED_CODE = "BG05SFOP001-2.009-0042-C01"
CONTRACTED = ["10889.76", "10889.76", "8000.00", "7500.00"]
REPORTED = ["10766.01", "7202.24", "11309.87", "7499.60"]


def _eur(bgn: str) -> Decimal:
    return (Decimal(bgn) / EUR_BGN_RATE).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


def test_summary_counts(sample_build):
    _, summary = sample_build
    assert summary.responses == 14
    assert summary.pages_rejected == 1  # the WAF challenge
    # every contract of the open-data API and the register export; 4 with their pages read
    assert (summary.projects, summary.activities, summary.rows_rejected) == (11, 19, 2)
    assert summary.projects_with_pages == 4
    assert summary.checks["rules_projects"] and summary.checks["rules_activities"]


def test_seed_000_activities_in_the_duckdb_warehouse(sample_build):
    data_dir, _ = sample_build
    con = duckdb.connect(str(data_dir / "publish" / "latest" / "warehouse.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT activity_no, amount_contracted, amount_reported, amount_contracted_bgn, amount_reported_eur,"
        " is_over_reported, execution_rate, currency_original FROM activities WHERE project_code = ?"
        " ORDER BY activity_no",
        [SEED_CODE],
    ).fetchall()
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    assert [r[1] for r in rows] == [Decimal(v) for v in CONTRACTED]
    assert [r[2] for r in rows] == [Decimal(v) for v in REPORTED]
    assert [r[3] for r in rows] == [Decimal(v) for v in CONTRACTED]  # BGN page: _bgn = original
    assert [r[4] for r in rows] == [_eur(v) for v in REPORTED]
    assert [r[4] for r in rows] == [
        Decimal("5504.57"),
        Decimal("3682.45"),
        Decimal("5782.64"),
        Decimal("3834.48"),
    ]
    assert [r[5] for r in rows] == [False, False, True, False]  # third reported above contracted
    assert abs(rows[2][6] - 11309.87 / 8000.00) < 1e-6
    assert {r[7] for r in rows} == {"BGN"}


def test_parquet_and_csv_carry_the_same_values(sample_build):
    data_dir, _ = sample_build
    publish = data_dir / "publish" / "latest"
    parquet = pq.read_table(publish / "activities.parquet")
    assert parquet.schema.field("amount_reported_eur").type.scale == 2
    assert (
        pq.ParquetFile(publish / "activities.parquet").metadata.row_group(0).column(0).compression
        == "ZSTD"
    )
    raw = (publish / "activities.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so Excel shows Cyrillic
    csv = pd.read_csv(publish / "activities.csv", encoding="utf-8-sig", dtype=str)
    seed = csv[csv.project_code == SEED_CODE].sort_values("activity_no")
    assert [Decimal(v) for v in seed.amount_contracted] == [Decimal(v) for v in CONTRACTED]
    assert [Decimal(v) for v in seed.amount_reported_eur] == [_eur(v) for v in REPORTED]
    assert seed.activity_name.iloc[2].startswith("Съвместни дейности между НПО")
    assert list(seed.is_over_reported) == ["false", "false", "true", "false"]


def test_eur_contract_keeps_eur_and_gains_bgn(sample_build):
    data_dir, _ = sample_build
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    total, total_eur, total_bgn, paid_bgn, cur = con.execute(
        "SELECT amount_total, amount_total_eur, amount_total_bgn, amount_paid_bgn, currency_original"
        " FROM projects WHERE project_code = 'BG16FFPR003-1.001-0007-C01'"
    ).fetchone()
    assert (total, total_eur, total_bgn, cur) == (
        Decimal("1113000.00"),
        Decimal("1113000.00"),
        Decimal("2176838.79"),
        "EUR",
    )
    assert paid_bgn == Decimal("435367.76")  # 222 600.00 EUR * 1.95583


def test_projects_carry_codes_dates_and_provenance(sample_build):
    data_dir, _ = sample_build
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    row = con.execute(
        "SELECT programme_code, procedure_code, proposal_no, contract_no, code_flags, project_code_original,"
        " start_date::VARCHAR, duration_months, amount_own_bgn, source_url, content_sha256"
        " FROM projects WHERE isun_contract_id = ?",
        [SAMPLE_IDS["cyrillic"]],
    ).fetchone()
    assert row[:4] == ("BG06RDNP001", "BG06RDNP001-7.007", "0051", "C01")
    assert row[4] == "cyrillic_lookalike" and row[5].endswith("С01")
    assert row[6:9] == ("2019-06-14", 36, Decimal("73578.61"))
    # The code is read from the newest page that prints it: BasicData, fetched after PrintProject.
    body = (SAMPLE_CORPUS / "pages" / "cyrillic_BasicData.html").read_bytes()
    assert row[10] == hashlib.sha256(body).hexdigest() and SAMPLE_QUERY["cyrillic"] in row[9]
    # Every archived body is there, content-addressed, and listed in the manifest table.
    assert (data_dir / "raw" / "objects" / row[10][:2] / row[10]).read_bytes() == body
    manifest = con.execute(
        "SELECT http_status, bytes, content_type, headers->>'Server' FROM raw_responses"
        " WHERE sha256 = ?",
        [row[10]],
    ).fetchall()
    assert manifest == [(200, len(body), "text/html; charset=utf-8", "Microsoft-IIS/10.0")]


def test_bad_rows_are_quarantined_with_reason_not_dropped(sample_build):
    data_dir, _ = sample_build
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT table_name, record_key, rule, field, value, message FROM quarantine ORDER BY rule"
    ).fetchall()
    # The demo's programme that answered with an HTML page: one answer set aside (issue 27).
    assert [(r[0], r[2]) for r in rows] == [
        ("activities", "amount_unparseable"),
        ("pages", "blocked_by_waf"),
        ("isun_api_programmes", "bulk_response_set_aside"),
    ]
    assert rows[0][1] == "BG06RDNP001-7.007-0051-C01#3" and rows[0][3:5] == (
        "amount_contracted",
        "12 3O0.00",
    )
    assert SAMPLE_QUERY["cyrillic"] in rows[0][5] and "'12 3O0.00'" in rows[0][5]
    assert SAMPLE_QUERY["waf"] in rows[1][1]
    # The WAF page's text never reached a data table.
    assert (
        con.execute(
            "SELECT count(*) FROM projects WHERE isun_contract_id = ?", [SAMPLE_IDS["waf"]]
        ).fetchone()[0]
        == 0
    )


def test_row_failing_a_financing_identity_is_quarantined_with_its_activities(tmp_path):
    # The page's total no longer equals БФП + own financing (1 113 000.00 + 0.00).
    corpus = Corpus(tmp_path / "corpus").edit(
        SAMPLE_QUERY["eur"],
        '<td style="width: 65%;"><span class="no-wrap-white-space">1 113 000.00</span> EUR',
        '<td style="width: 65%;"><span class="no-wrap-white-space">1 113 050.00</span> EUR',
    )
    summary = run_build(tmp_path / "data", corpus.dir)
    assert summary.success and summary.projects == 3 and summary.activities == 16
    con = duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT table_name, record_key, rule, value FROM quarantine"
        " WHERE record_key LIKE 'BG16FFPR003%' ORDER BY ALL"
    ).fetchall()
    assert rows[0] == (
        "activities",
        "BG16FFPR003-1.001-0007-C01#1",
        "parent_row_quarantined",
        "BG16FFPR003-1.001-0007-C01",
    )
    # The rule names the total as the page printed it (grant + own = 1 113 000.00).
    assert (
        "projects",
        "BG16FFPR003-1.001-0007-C01",
        "grant_plus_own_equals_total",
        "1113050.00",
    ) in rows
    # Nothing of it is lost: its participants, indicator and procurement follow it into quarantine.
    assert {r[0] for r in rows if r[2] == "parent_row_quarantined"} == {
        "activities",
        "project_organisations",
        "project_indicators",
        "project_procurements",
    }
    assert (
        len(rows) == 3 + 1 + 2 + 1 + 1
    )  # activities, the project, beneficiary + contractor, indicator, lot


def _snapshot(directory):
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in directory.rglob("*")
        if p.is_file()
    }


def test_one_code_under_two_contracts_is_quarantined_and_the_rest_released(tmp_path):
    data_dir = tmp_path / "data"
    # Two contracts claiming one project code: which one owns it is for ИСУН to settle, so
    # both go to quarantine (not a whole-table failure that would stop the night).
    corpus = Corpus(tmp_path / "dup")
    for tab in (
        "PrintProject",
        "BasicData",
    ):  # every page of the contract prints the other contract's code
        corpus.edit(
            f"{tab}?" + SAMPLE_QUERY["cyrillic"],
            "BG06RDNP001-7.007-0051-С01",
            "BG16FFPR003-1.001-0007-C01",
        )
    corpus.edit(
        "BasicData?" + SAMPLE_QUERY["cyrillic"],
        "BG06RDNP001-7.007 Подмярка",
        "BG16FFPR003-1.001 Подмярка",
    )
    summary = run_build(data_dir, corpus.dir)
    assert summary.success and summary.checks["rules_projects"]
    assert (
        summary.projects == 2 and summary.quarantine_by_rule["projects:duplicate_project_code"] == 2
    )
    con = duckdb.connect(str(data_dir / "publish" / "latest" / "warehouse.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT record_key, source_url FROM quarantine WHERE rule = 'duplicate_project_code'"
        " ORDER BY source_url"
    ).fetchall()
    assert [r[0] for r in rows] == ["BG16FFPR003-1.001-0007-C01"] * 2
    assert {
        SAMPLE_QUERY["cyrillic"] in rows[0][1] or SAMPLE_QUERY["cyrillic"] in rows[1][1],
        SAMPLE_QUERY["eur"] in rows[0][1] or SAMPLE_QUERY["eur"] in rows[1][1],
    } == {True}
    assert (
        con.execute(
            "SELECT count(*) FROM activities WHERE project_code = 'BG16FFPR003-1.001-0007-C01'"
        ).fetchone()[0]
        == 0
    )
    # Their activities, participants, indicators and lots follow them into quarantine, not into thin air.
    held = dict(
        con.execute(
            "SELECT table_name, count(*) FROM quarantine WHERE rule = 'parent_row_quarantined'"
            " AND record_key = 'BG16FFPR003-1.001-0007-C01' GROUP BY ALL"
        ).fetchall()
    )
    assert (
        held["activities"] == 3 + 2
        and held["project_indicators"] == 1
        and held["project_procurements"] == 1
    )
    con.close()


def test_row_count_drop_blocks_the_release(tmp_path):
    data_dir = tmp_path / "data"
    assert run_build(data_dir, SAMPLE_CORPUS).success
    latest = (data_dir / "publish" / "latest").resolve()
    corpus = Corpus(tmp_path / "fewer").drop(
        SAMPLE_QUERY["cyrillic"]
    )  # 4 -> 3 projects: a quarter fewer
    summary = run_build(data_dir, corpus.dir)
    # The archive still holds the dropped contract's page from the first build: nothing changed at all.
    assert summary.success and summary.unchanged
    assert (data_dir / "publish" / "latest").resolve() == latest
    fresh = tmp_path / "fresh"
    assert run_build(fresh, SAMPLE_CORPUS).success
    fresh_latest = (fresh / "publish" / "latest").resolve()
    # Now simulate the page and the open-data answer of its programme disappearing from the archive
    # itself: 11 -> 7 contracts (the rural programme's four; a page alone gone leaves its contract
    # in the universe, known from the open-data API).
    manifest = fresh / "raw" / "manifest.jsonl"
    manifest.write_text(
        "".join(
            line
            for line in manifest.read_text().splitlines(True)
            if SAMPLE_QUERY["cyrillic"] not in line and "ProgrammeId=8010510" not in line
        )
    )
    before = _snapshot(fresh_latest)
    warehouse_before = (fresh / "warehouse.duckdb").read_bytes()
    blocked = run_build(fresh, corpus.dir)
    # the open-data answer's projects drop by 4 of 10: its table's row-count rule blocks the release
    failed = {name for name, passed in blocked.checks.items() if passed is False}
    assert not blocked.success and failed & {"rules_isun_api_projects", "rules_projects"}, failed
    assert blocked.release is None and (fresh / "publish" / "latest").resolve() == fresh_latest
    assert (
        _snapshot(fresh_latest) == before
        and (fresh / "warehouse.duckdb").read_bytes() == warehouse_before
    )
    assert sorted(p.name for p in (fresh / "publish" / "releases").iterdir()) == [fresh_latest.name]
    assert not [p for p in (fresh / "publish").iterdir() if p.name.startswith(".staging")]


def test_unchanged_inputs_skip_the_rebuild_and_keep_latest(tmp_path, capsys, caplog):
    data_dir = tmp_path / "data"
    first = run_build(data_dir)
    caplog.clear()
    again = run_build(data_dir)
    assert again.success and again.unchanged and again.release == first.release
    # Told before Dagster: the recordings were replayed into this archive as it is, and the
    # source tree is the one the stamp's code versions were taken from. No run at all.
    assert again.steps == {} and again.dagster_run_id is None
    assert again.plan.startswith(f"inputs unchanged since release {Path(first.release).name}")
    manifest = data_dir / "raw" / "manifest.jsonl"
    lines = manifest.read_text(encoding="utf-8").count("\n")
    # Without the stamp, Dagster's way: only the fetch ran (it replays the recordings again,
    # lines the archive holds already); the plan between the fetch and the build said why
    # not to build, the same reason, and left the stamp again.
    (data_dir / ".night_plan.json").unlink()
    slow = run_build(data_dir)
    assert slow.success and slow.unchanged and slow.plan == again.plan
    assert set(slow.steps) == {"raw_isun__contract_pages", "raw_documents__pages"}
    assert manifest.read_text(encoding="utf-8").count("\n") > lines
    assert not [r for r in caplog.records if "emitted no result" in r.getMessage()]
    assert run_build(data_dir).steps == {}
    assert sorted(p.name for p in (data_dir / "publish" / "releases").iterdir()) == [
        Path(first.release).name
    ]
    forced = run_build(data_dir, force_rebuild=True)
    assert forced.success and not forced.unchanged and Path(forced.release).name.endswith(".2")
    assert main(["demo", "--data-dir", str(data_dir)]) == 0
    assert "nothing changed since the last release" in capsys.readouterr().out


def test_cli_demo_prints_where_the_outputs_are(tmp_path, capsys):
    assert main(["build", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "projects:          11 (4 with page detail)" in out
    assert "rows rejected:     2" in out
    assert str((tmp_path / "publish" / "latest").resolve()) in out


def test_organisations_have_stable_ids_and_roles(sample_build):
    data_dir, _ = sample_build
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    roles = con.execute(
        "SELECT role, organisation_id FROM project_organisations"
        " WHERE project_code = 'BG05SFOP001-2.009-0010-C01' ORDER BY role"
    ).fetchall()
    assert roles == [("beneficiary", "eik:126574932"), ("partner", "eik:000903049")]
    org = con.execute(
        "SELECT name, legal_form, eik, projects, roles FROM organisations"
        " WHERE organisation_id = 'eik:126574932'"
    ).fetchone()
    assert org == ("Съюз за възстановяване и развитие", "сдружение", "126574932", 1, "beneficiary")
    # Every participant's organisation and project exists.
    assert (
        con.execute(
            "SELECT count(*) FROM project_organisations po ANTI JOIN organisations o USING (organisation_id)"
        ).fetchone()[0]
        == 0
    )


def test_documents_become_tables_and_seed_001_links_to_its_isun_contract(sample_build):
    data_dir, summary = sample_build
    assert summary.documents_by_kind == {
        "municipal-news": 1,
        "ngo-project": 1,
        "ngo-event": 1,
        "strategy": 1,
    }
    con = duckdb.connect(str(data_dir / "publish" / "latest" / "warehouse.duckdb"), read_only=True)
    news = con.execute(
        "SELECT project_code, amount_total, amount_eu, amount_national, currency, start_date,"
        " duration_months FROM news_mentions"
    ).fetchall()
    assert news == [
        (
            "BG05SFOP001-2.009-0010-C01",
            Decimal("88840.80"),
            Decimal("75514.68"),
            Decimal("13326.12"),
            "BGN",
            date(2019, 1, 18),
            18,
        )
    ]
    ngo = con.execute(
        "SELECT project_code, amount_total, start_date, end_date, district, flags FROM ngo_projects"
    ).fetchone()
    # The page gives only months ("2019-01"): a DATE column holds the first day, and says so.
    assert ngo == (
        "BG05SFOP001-2.009-0004",
        Decimal("67243.93"),
        date(2019, 1, 1),
        date(2020, 1, 1),
        "Видин",
        "kind_detected;start_date_month_only;end_date_month_only",
    )
    decision = con.execute(
        "SELECT decision_number, decision_date, period_start_year, period_end_year FROM strategies"
    ).fetchone()
    assert decision[0] == "84" and str(decision[1]) == "2016-03-25" and decision[2:] == (2016, 2020)
    assert con.execute("SELECT procedure_code FROM events").fetchone() == ("BG05SFOP001-2.025",)
    # The municipal news page and the ИСУН contract of the same code are one project.
    linked = con.execute(
        "SELECT n_sources, source_kinds, amount_total_bgn, duration_months FROM linked_projects"
        " WHERE project_code = 'BG05SFOP001-2.009-0010-C01'"
    ).fetchone()
    # ... and so are the open-data API's and the register export's rows of its proposal (…-0010).
    assert linked == (4, "isun;isun-api;isun-export;municipal-news", Decimal("88840.80"), 18)
    sources = con.execute(
        "SELECT DISTINCT source_kind, match_method FROM project_sources"
        " WHERE project_key = 'BG05SFOP001-2.009-0010-C01' ORDER BY 1"
    ).fetchall()
    assert sources == [
        ("isun", "project_code"),
        ("isun-api", "project_code_prefix"),
        ("isun-export", "project_code_prefix"),
        ("municipal-news", "project_code"),
    ]
    report = json.loads(
        (data_dir / "publish" / "latest" / "quality_report.json").read_text(encoding="utf-8")
    )
    assert {"news_mentions", "linked_projects", "project_conflicts", "organisations"} <= set(
        report["tables"]
    )
    # One blocking check per table an asset produces, however many the registry holds.
    assert len(summary.checks) == len(tables_by_asset()) and all(summary.checks.values())


def test_an_asset_function_is_a_plain_function(sample_build, tmp_path):
    """Called directly with the staged table the build left, the organisations asset returns the
    frame the release published: no Dagster context, no resources."""
    import pickle

    from pipelines.assets import organisations

    data_dir, _ = sample_build
    stored = data_dir / "staging" / ".outputs" / "project_organisations.pickle"
    participants = pickle.loads(stored.read_bytes())
    assert isinstance(participants, StagedTable) and participants.rows == 8
    frame = organisations(participants)
    published = pd.read_parquet(data_dir / "publish" / "latest" / "organisations.parquet")
    assert len(frame) == len(published) == 8
    assert sorted(frame["eik"].dropna()) == sorted(published["eik"].dropna())
    assert "126574932" in set(frame["eik"]) and "Стамболово" in set(frame["name"])
    assert sorted(frame["name"]) == sorted(published["name"])


def test_the_io_manager_stages_a_returned_frame_by_its_asset_metadata(tmp_path):
    """A DataFrame output is staged as Parquet typed by the table's schema in the asset's
    metadata (`dagster/column_schema`), and comes back as a StagedTable input."""
    import dagster as dg

    from pipelines.io_managers import StagingIOManager, table_metadata
    from pipelines.resources import Settings
    from registry.reference import PROGRAMMES

    @dg.asset(metadata=table_metadata(PROGRAMMES))
    def programmes() -> pd.DataFrame:
        from transforms.programmes import programmes_table

        return programmes_table()[PROGRAMMES.columns]

    @dg.asset
    def programmes_received(programmes: StagedTable) -> StagedTable:
        return programmes

    settings = Settings(data_dir=str(tmp_path))
    result = dg.materialize(
        [programmes, programmes_received],
        resources={"settings": settings, "io_manager": StagingIOManager(settings=settings)},
    )
    staged = result.output_for_node("programmes_received")  # what the downstream asset got
    assert isinstance(staged, StagedTable) and staged.table == "programmes"
    assert staged.rows == 36 and Path(staged.path).parent == tmp_path / "staging"
    typed = duckdb.sql(f"DESCRIBE SELECT * FROM {staged.scan_sql()}").fetchall()
    assert [(name, sql_type) for name, sql_type, *_ in typed] == [
        (f.name, f.type) for f in PROGRAMMES.fields
    ]
    assert result.asset_materializations_for_node("programmes")[0].metadata["rows"].value == 36


def test_the_sensor_skips_with_a_reason_after_a_release_and_requests_a_build_before(
    sample_build, tmp_path
):
    import dagster as dg

    from pipelines.definitions import BUILD_JOB, INPUTS_SENSOR, build_defs
    from pipelines.resources import Settings

    data_dir, summary = sample_build
    released = Path(summary.release).name
    sensor = build_defs({"settings": Settings(data_dir=str(data_dir))}).get_sensor_def(
        INPUTS_SENSOR
    )
    skipped = sensor.evaluate_tick(dg.build_sensor_context())
    assert skipped.run_requests == []
    assert skipped.skip_message.startswith(f"inputs unchanged since release {released}")

    fresh = build_defs({"settings": Settings(data_dir=str(tmp_path))}).get_sensor_def(INPUTS_SENSOR)
    requested = fresh.evaluate_tick(dg.build_sensor_context())
    [request] = requested.run_requests
    assert request.job_name in (None, BUILD_JOB) and request.asset_selection is None
    assert request.tags["bgfunds/inputs_fingerprint"] and request.run_key
