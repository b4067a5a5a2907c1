"""Staged tables: Parquet parts per batch, validated without loading them whole,
built alike by one process or several."""

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from pipelines.isun_batches import PROJECTS_AS_READ as PROJECTS  # the pages' rows, as read
from pipelines.isun_batches import parse_and_build_in_batches, stage_isun_tables
from quality.rules_sql import check_table
from registry.tables import ACTIVITIES
from sources.isun_pages import is_contract_page
from sources.raw_archive import RawArchive
from sources.recorded import SAMPLE_CORPUS, replay_recording
from warehouse.staging import stage_batches, stage_frame


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    archive = RawArchive(tmp_path_factory.mktemp("sample"))
    replay_recording(SAMPLE_CORPUS, archive)
    records = [r for r in archive.records() if is_contract_page(r.url)]
    return archive, records, parse_and_build_in_batches(records, archive.read)


def _sorted(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    return df.sort_values(key).reset_index(drop=True)


def test_a_staged_table_round_trips_with_the_metadata_types(sample, tmp_path):
    _, _, tables = sample
    staged = stage_batches(
        tmp_path,
        ACTIVITIES,
        [tables.activities.iloc[:3], tables.activities.iloc[3:0], tables.activities.iloc[3:]],
    )
    assert (
        staged.rows == len(tables.activities)
        and len(list(Path(staged.path).glob("*.parquet"))) == 2
    )
    back = _sorted(staged.to_pandas(), ["project_code", "activity_no"]).set_index(
        ["project_code", "activity_no"]
    )
    assert float(back.loc[("BG05SFOP001-2.009-0042-C01", 1), "amount_contracted_bgn"]) == 10889.76
    assert sum(len(b) for b in staged.batches(columns=["project_code"], rows=2)) == staged.rows
    again = stage_frame(
        tmp_path, ACTIVITIES, tables.activities
    )  # a new version replaces the old one
    assert not Path(staged.path).exists() and again.rows == staged.rows


def test_amounts_held_as_decimals_stage_exactly_however_late_a_big_one_comes(sample, tmp_path):
    _, _, tables = sample
    row = tables.activities[tables.activities.project_code == "BG05SFOP001-2.009-0042-C01"].head(1)
    rows = pd.concat([row] * 3000, ignore_index=True).assign(activity_no=range(1, 3001))
    big = Decimal(
        "1410522.18"
    )  # BG06RDNP001-7.007-0051-C01 activity 1, far past DuckDB's type-sniffing sample
    rows["amount_contracted_bgn"] = [Decimal("10889.76")] * 2999 + [big]
    staged = stage_frame(tmp_path, ACTIVITIES, rows)
    back = staged.to_pandas(columns=["activity_no", "amount_contracted_bgn"]).set_index(
        "activity_no"
    )
    assert back.loc[3000, "amount_contracted_bgn"] == big and back.loc[
        1, "amount_contracted_bgn"
    ] == Decimal("10889.76")


def test_staged_validation_passes_the_sample_and_names_duplicate_keys_and_orphans(sample, tmp_path):
    _, _, tables = sample
    projects = stage_frame(tmp_path / "good", PROJECTS, tables.projects)
    activities = stage_frame(tmp_path / "good", ACTIVITIES, tables.activities)
    good = check_table(ACTIVITIES, activities.scan_sql(), {"projects": projects.scan_sql()})
    assert good.success and good.rows == len(tables.activities)

    # A project parsed twice and an activity whose project was never published.
    doubled = pd.concat(
        [
            tables.projects,
            tables.projects[tables.projects.project_code == "BG05SFOP001-2.009-0010-C01"],
        ]
    )
    orphan = (
        tables.activities[tables.activities.project_code == "BG06RDNP001-7.007-0051-C01"]
        .head(1)
        .assign(project_code="BG06RDNP001-7.007-0099-C01")
    )
    bad_projects = stage_frame(tmp_path / "bad", PROJECTS, doubled)
    bad_activities = stage_frame(
        tmp_path / "bad", ACTIVITIES, pd.concat([tables.activities, orphan])
    )
    failures = {f.rule.name: f for f in check_table(PROJECTS, bad_projects.scan_sql()).failures}
    assert failures["unique_key"].examples == ["BG05SFOP001-2.009-0010-C01"]
    outcome = check_table(ACTIVITIES, bad_activities.scan_sql(), {"projects": projects.scan_sql()})
    assert not outcome.success
    assert [(f.rule.name, f.rule.field, f.failed, f.examples) for f in outcome.failures] == [
        ("parent_row_exists", "project_code", 1, ["BG06RDNP001-7.007-0099-C01"])
    ]


def test_places_and_participants_must_point_at_published_projects_on_every_row(sample, tmp_path):
    from registry import parent_assets, tables_by_asset
    from transforms.isun_location import project_places_table

    _, _, tables = sample
    projects = stage_frame(tmp_path, PROJECTS, tables.projects)
    places = project_places_table(tables.projects)
    lost = places.head(1).assign(
        project_code="BG05SFOP001-2.009-0099-C01"
    )  # a project that was never published
    for asset, frame in (
        ("project_places", places),
        ("project_organisations", tables.project_organisations),
    ):
        table = tables_by_asset()[asset]
        assert parent_assets(table) == {"project_code": "projects"}
        staged = stage_frame(tmp_path, table, frame)
        assert check_table(table, staged.scan_sql(), {"projects": projects.scan_sql()}).success
    table = tables_by_asset()["project_places"]
    bad = stage_frame(tmp_path, table, pd.concat([places, lost]))
    outcome = check_table(table, bad.scan_sql(), {"projects": projects.scan_sql()})
    assert [(f.rule.name, f.examples) for f in outcome.failures] == [
        ("parent_row_exists", ["BG05SFOP001-2.009-0099-C01"])
    ]


def test_a_process_pool_stages_the_same_rows_as_one_process(sample, tmp_path):
    archive, records, tables = sample
    inline = stage_isun_tables(
        records, archive.read, tmp_path / "inline", batch_contracts=1000, workers=1
    )
    pooled = stage_isun_tables(
        records, archive.read, tmp_path / "pooled", batch_contracts=1, workers=2
    )
    assert len(list(Path(pooled.projects.path).glob("*.parquet"))) == 4  # one part per contract
    assert (
        (pooled.pages_read, pooled.pages_rejected)
        == (inline.pages_read, inline.pages_rejected)
        == (len(records), 1)
    )
    for name, key in (
        ("projects", ["project_code"]),
        ("activities", ["project_code", "activity_no"]),
        ("project_organisations", ["project_code", "role", "organisation_id"]),
    ):
        a, b = getattr(inline, name).to_pandas(), getattr(pooled, name).to_pandas()
        pd.testing.assert_frame_equal(_sorted(a, key), _sorted(b, key))
        assert len(a) == len(getattr(tables, name))
    assert sorted(pooled.quarantine.to_pandas()["rule"]) == ["amount_unparseable", "blocked_by_waf"]


def test_a_data_directory_with_an_apostrophe_in_its_name_still_works(sample, tmp_path):
    from warehouse.changelog import compute_changelog
    from warehouse.duckdb_store import write_warehouse
    from warehouse.export import export_tables

    _, _, tables = sample
    root = tmp_path / "O'Neill's data"
    projects = stage_frame(root, PROJECTS, tables.projects)
    assert check_table(PROJECTS, projects.scan_sql()).success
    write_warehouse(root / "warehouse.duckdb", [(PROJECTS, projects)])
    export_tables(root / "warehouse.duckdb", root / "out", [PROJECTS], copy_db=False)
    changes = compute_changelog(None, root / "out" / "projects.parquet")
    assert (
        changes["summary"]["added"] == 4
        and "BG05SFOP001-2.009-0010-C01" in changes["projects_added"]
    )


@pytest.mark.integration
def test_exports_from_two_processes_are_the_bytes_of_one(sample, tmp_path):
    """`export_tables` with a pool of two (one table per task) writes the same bytes as one
    process; naming the columns that hold unsafe text (here: none) changes no byte either."""
    from warehouse.duckdb_store import write_warehouse
    from warehouse.export import export_tables

    _, _, tables = sample
    db = tmp_path / "warehouse.duckdb"
    write_warehouse(
        db,
        [
            (PROJECTS, stage_frame(tmp_path / "p", PROJECTS, tables.projects)),
            (ACTIVITIES, stage_frame(tmp_path / "a", ACTIVITIES, tables.activities)),
        ],
    )
    one = export_tables(db, tmp_path / "one", [PROJECTS, ACTIVITIES], copy_db=False)
    two = export_tables(
        db,
        tmp_path / "two",
        [PROJECTS, ACTIVITIES],
        copy_db=False,
        unsafe_columns={"projects": set(), "activities": set()},
        workers=2,
    )
    assert (
        [p.name for p in one]
        == [p.name for p in two]
        == [
            "projects.parquet",
            "projects.csv",
            "activities.parquet",
            "activities.csv",
        ]
    )
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(one, two, strict=True))
    assert "BG05SFOP001-2.009-0010-C01" in (tmp_path / "two" / "projects.csv").read_text(
        "utf-8-sig"
    )
