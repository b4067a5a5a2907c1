"""The workers' Arrow path (`pipelines.isun_batch_arrow`) stages the same Parquet parts as the
DataFrame path (`screen_tables` + `write_part`): same rows, same types, same quarantine rows,
on the sample corpus, a synthetic one, and rows with planted faults for every set-aside."""

import copy

import duckdb
import pandas as pd
import pytest

from bench.synthetic_corpus import generate
from pipelines.isun_batch_arrow import arrow_table, screen_rows, write_arrow_part
from pipelines.isun_batches import screen_tables
from pipelines.isun_staging import ISUN_TABLES
from quality.rules_sql import rules_connection
from registry.tables import PROJECT_PAGES
from sources.isun_pages import is_contract_page, parse_archived_pages, procedure_names
from sources.raw_archive import RawArchive
from sources.recorded import SAMPLE_CORPUS, replay_recording
from transforms.isun import IsunTables, build_isun_rows
from warehouse.staging import write_part

RDNP = "BG06RDNP001-7.007-0051-C01"
STAMBOLOVO = "BG05SFOP001-2.009-0010-C01"


def _rows(archive: RawArchive) -> dict[str, list[dict]]:
    records = [r for r in archive.records() if is_contract_page(r.url)]
    names = procedure_names(records, archive.read)
    return build_isun_rows(*parse_archived_pages(records, archive.read), names)


@pytest.fixture(scope="module")
def sample_rows(tmp_path_factory):
    archive = RawArchive(tmp_path_factory.mktemp("sample"))
    replay_recording(SAMPLE_CORPUS, archive)
    return _rows(archive)


@pytest.fixture(scope="module")
def synthetic_rows(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    generate(30, root, seed=3)
    return _rows(RawArchive(root))


def _stage_both(rows: dict[str, list[dict]], tmp_path) -> tuple[dict, dict]:
    """Each table staged by both paths: {table: (rows sorted, column types)} per path."""
    frames = IsunTables(
        **{name: pd.DataFrame(rows[name], columns=t.columns) for name, t in ISUN_TABLES.items()}
    )
    screened = screen_tables(frames)
    con = rules_connection()
    try:
        batch = screen_rows(copy.deepcopy(rows), con, ISUN_TABLES)
        for name, table in ISUN_TABLES.items():
            write_part(table, tmp_path / "frames" / name, 0, getattr(screened, name), con)
            write_arrow_part(table, tmp_path / "arrow" / name, 0, batch.tables[name], con)
        out = []
        for path in ("frames", "arrow"):
            staged = {}
            for name in ISUN_TABLES:
                part = tmp_path / path / name / "part-000000.parquet"
                if not part.exists():
                    staged[name] = ([], None)
                    continue
                scan = f"read_parquet('{part}')"
                staged[name] = (
                    con.execute(f"SELECT * FROM {scan} ORDER BY ALL").fetchall(),
                    con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall(),
                )
            out.append(staged)
    finally:
        con.close()
    return out[0], out[1]


def _assert_same(frames: dict, arrow: dict) -> None:
    for name in ISUN_TABLES:
        assert frames[name][1] == arrow[name][1], name  # the column types
        assert frames[name][0] == arrow[name][0], name


def _quarantined(staged: dict) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for row in staged["quarantine"][0]:
        counts[(row[0], row[2])] = counts.get((row[0], row[2]), 0) + 1
    return counts


def test_the_sample_and_a_synthetic_corpus_stage_the_same_parts(
    sample_rows, synthetic_rows, tmp_path
):
    for i, rows in enumerate((sample_rows, synthetic_rows)):
        frames, arrow = _stage_both(rows, tmp_path / str(i))
        _assert_same(frames, arrow)
        assert len(arrow["projects"][0]) == len(rows["projects"]) > 0
    # the sample's WAF page and garbled activity amount, quarantined by the normaliser
    assert len(_stage_both(sample_rows, tmp_path / "again")[1]["quarantine"][0]) == 2


def test_planted_faults_are_set_aside_the_same_way(sample_rows, tmp_path):
    rows = copy.deepcopy(sample_rows)
    for project in rows["projects"]:
        if project["project_code"] == RDNP:
            project["currency_original"] = "USD"  # a row rule: takes its activities and children
    activities = [a for a in rows["activities"] if a["project_code"] == STAMBOLOVO]
    activities[1]["amount_reported"] = -1.0  # a row rule on one activity
    activities[2]["amount_contracted"] = 1.2e17  # too large for DECIMAL(18,2)
    others = [p for p in rows["projects"] if p["project_code"] not in (RDNP, STAMBOLOVO)]
    others[0]["amount_total"] = 3.4e18  # the project and all its rows go
    frames, arrow = _stage_both(rows, tmp_path)
    _assert_same(frames, arrow)
    counts = _quarantined(arrow)
    assert counts[("projects", "value_in_allowed_set")] == 1
    assert counts[("projects", "amount_out_of_range")] == 1
    assert counts[("activities", "amount_out_of_range")] == 1
    assert counts[("activities", "amount_not_negative")] == 1
    assert counts[("activities", "parent_row_quarantined")] > 0
    assert counts[("project_organisations", "parent_row_quarantined")] >= 2
    assert len(arrow["projects"][0]) == len(rows["projects"]) - 2


def test_a_column_is_typed_as_a_dataframe_would_carry_it():
    rows = [
        {"project_code": "A", "duration_months": 3, "is_historic": None, "amount_total": 1.5},
        {"project_code": "B", "duration_months": None, "is_historic": True, "amount_total": 2},
    ]
    data = arrow_table(PROJECT_PAGES, rows)
    assert str(data.column("duration_months").type) == "double"  # int with a gap, as pandas
    assert str(data.column("amount_total").type) == "double"
    assert data.column("is_historic").to_pylist() == [None, True]
    mixed = arrow_table(PROJECT_PAGES, [{"project_code": "A", "status": 1}, {"status": "x"}])
    assert mixed.column("status").to_pylist() == ["1", "x"]  # a mix is text, cast by DuckDB
    assert duckdb.sql("SELECT 1").fetchall() == [(1,)]
