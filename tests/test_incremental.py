"""A night costs what changed: only contracts with new raw responses are parsed again, and what
is staged and published is the same, table by table, as a rebuild from nothing."""

import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from bench.synthetic_corpus import change_night, generate
from pipelines import isun_staging
from pipelines.isun_batches import build_batch_arrow
from pipelines.isun_reuse import PartsIndex, plan_reuse
from sources.isun_pages import is_contract_page
from sources.raw_archive import RawArchive


def _frame(staged) -> pd.DataFrame:
    df = staged.to_pandas()
    return df.sort_values(list(df.columns)).reset_index(drop=True).astype(str)


def test_plan_reuses_clean_parts_and_prunes_the_changed_contracts():
    index = PartsIndex("v1", 3, {0: {"a": "1", "b": "1"}, 1: {"c": "1"}, 2: {"d": "1"}})
    plan = plan_reuse(index, {"a": "1", "b": "2", "c": "1", "e": "1"})
    assert plan.reused == [1] and plan.pruned == {0: {"b"}, 2: {"d"}}
    assert plan.to_parse == ["b", "e"]


def test_a_night_parses_only_changed_contracts_and_stages_what_a_rebuild_stages(tmp_path):
    generate(120, tmp_path / "raw", seed=11)
    archive = RawArchive(tmp_path / "raw")
    parsed: list[int] = []

    def counting(records):
        parsed.append(len(records))
        return build_batch_arrow(records, archive.read)

    def stage_counting(root: Path, force: bool = False):
        records = [r for r in archive.records() if is_contract_page(r.url)]
        return isun_staging.stage_isun_tables(
            records, counting, root, batch_contracts=40, code_version="t", force=force
        )

    first = stage_counting(tmp_path / "night")
    pages = sum(parsed)
    assert first.projects.rows == 120 and pages == first.pages_read
    parsed.clear()
    changed = change_night(120, tmp_path / "raw", seed=11, pages_share=0.05)
    again = stage_counting(tmp_path / "night")
    # Each changed contract's pages (old and new responses of its URLs), nothing else.
    assert changed["contracts_with_new_pages"] == 6 and 6 <= sum(parsed) <= 6 * 4
    parsed.clear()
    rebuilt = stage_counting(tmp_path / "rebuild", force=True)
    assert sum(parsed) == rebuilt.pages_read > pages  # the rebuild parsed everything
    for name in ("projects", "activities", "quarantine", "project_organisations"):
        a, b = _frame(getattr(again, name)), _frame(getattr(rebuilt, name))
        assert len(a) == len(b) and a.equals(b), name
    assert (again.over_reported, again.pages_read) == (rebuilt.over_reported, rebuilt.pages_read)
    # A quiet night parses nothing.
    parsed.clear()
    stage_counting(tmp_path / "night")
    assert parsed == []


# Tables whose rows depend on the releases before (history) or on the day: not comparable
# between a data directory with two releases and one with a single one.
RELEASE_DEPENDENT = {"history_projects", "history_activities", "totals_over_releases"}


def _build(data: Path, force: bool, progress: bool = False) -> Path:
    """One offline build of `data`'s archive (pages and documents as archived); its release."""
    from pipelines.cli import run_build
    from pipelines.resources import ArchivedDocumentsOnly, ArchivedPagesOnly

    summary = run_build(
        data,
        source=ArchivedPagesOnly(),
        documents=ArchivedDocumentsOnly(),
        force_rebuild=force,
        workers=1,
        progress=progress,
    )
    assert summary.success, summary
    return Path(summary.release)


def _staged(data: Path, asset: str) -> pd.DataFrame:
    """An asset's staged table as the build left it (`pipelines.io_managers`)."""
    import pickle

    return pickle.loads(
        (data / "staging" / ".outputs" / f"{asset}.pickle").read_bytes()
    ).to_pandas()


def test_a_night_publishes_the_same_tables_as_a_full_rebuild_of_the_same_inputs(tmp_path, capfd):
    import re

    build = _build
    night = tmp_path / "night"
    generate(80, night / "raw", seed=5)
    build(night, force=True)
    change_night(80, night / "raw", seed=5, pages_share=0.05, bulk_share=0.1)
    capfd.readouterr()
    incremental = build(night, force=False, progress=True)
    # The link step made afresh only the project keys whose claims changed (every bulk answer
    # was fetched again: their rows took the new answers' time and digest).
    linked = re.search(r"linking: (\d+) of (\d+) project keys changed", capfd.readouterr().err)
    assert linked and 0 < int(linked[1]) < int(linked[2]) / 2, linked
    full = tmp_path / "full"
    shutil.copytree(night / "raw", full / "raw")
    rebuilt = build(full, force=True)
    # The staged link tables themselves are those of linking everything, row for row, in order.
    for asset in ("linked_projects", "project_sources", "project_conflicts"):
        pd.testing.assert_frame_equal(_staged(night, asset), _staged(full, asset), check_exact=True)
    names = sorted(p.stem for p in rebuilt.glob("*.parquet"))
    assert names == sorted(p.stem for p in incremental.glob("*.parquet")) and "projects" in names
    for name in names:
        if name in RELEASE_DEPENDENT:
            continue
        a = pq.read_table(incremental / f"{name}.parquet").to_pandas().astype(str)
        b = pq.read_table(rebuilt / f"{name}.parquet").to_pandas().astype(str)
        assert a.equals(b), f"{name}: the night's table differs from a full rebuild's"


def _site_files(release: Path) -> dict[str, bytes]:
    site = release / "site"
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def test_a_night_reuses_unchanged_files_and_publishes_what_a_forced_rebuild_publishes(tmp_path):
    """The same night twice, from copies of one data directory (so the same releases before
    it): incrementally, linking what did not change from the previous release, and forced
    (`--force`: every file written). Every published table and every site file is the same."""
    import json

    build = _build
    night = tmp_path / "night"
    generate(80, night / "raw", seed=5)
    first = build(night, force=True)
    change_night(80, night / "raw", seed=5, pages_share=0.05, bulk_share=0.1)
    forced = tmp_path / "forced"
    shutil.copytree(night, forced, symlinks=True)
    incremental, rebuilt = build(night, force=False), build(forced, force=True)
    assert incremental.name == rebuilt.name != first.name

    report = json.loads((incremental / "quality_report.json").read_text(encoding="utf-8"))
    reuse = report["reuse"]
    assert reuse["path"] == "incremental" and reuse["why_full"] is None
    # The reference tables did not change; the contracts did.
    assert {"programmes", "places"} <= set(reuse["tables"]) and "projects" not in reuse["tables"]
    assert reuse["site_downloads"] > 0
    assert (incremental / "programmes.csv").stat().st_ino == (
        first / "programmes.csv"
    ).stat().st_ino
    forced_report = json.loads((rebuilt / "quality_report.json").read_text(encoding="utf-8"))
    assert forced_report["reuse"] == {
        "path": "full",
        "why_full": "rebuild forced",
        "tables": [],
        "site_downloads": 0,
    }

    names = sorted(p.name for p in rebuilt.iterdir() if p.suffix in (".parquet", ".csv", ".xlsx"))
    assert names == sorted(
        p.name for p in incremental.iterdir() if p.suffix in (".parquet", ".csv", ".xlsx")
    )
    for name in names:
        if name.endswith(".parquet"):
            a = pq.read_table(incremental / name).to_pandas().astype(str)
            b = pq.read_table(rebuilt / name).to_pandas().astype(str)
            assert a.equals(b), f"{name}: the night's table differs from a forced rebuild's"
        else:
            assert (incremental / name).read_bytes() == (rebuilt / name).read_bytes(), name
    ours, theirs = _site_files(incremental), _site_files(rebuilt)
    assert sorted(ours) == sorted(theirs) and any(n.startswith("downloads/") for n in ours)
    different = [name for name in ours if ours[name] != theirs[name]]
    assert different == [], different[:10]


def test_the_archive_memo_is_computed_again_once_the_manifest_grows(tmp_path):
    archive = RawArchive(tmp_path / "raw", durable=False)
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        return sum(1 for _ in archive.records())

    assert archive.memo("n", count) == 0 and calls == [1]  # no manifest yet: nothing kept
    archive.store(
        "https://example.org/a", b"a", status=200, headers={}, fetched_at="2026-01-01T00:00:00Z"
    )
    assert archive.memo("n", count) == 1 and archive.memo("n", count) == 1 and len(calls) == 2
    archive.store(
        "https://example.org/b", b"b", status=200, headers={}, fetched_at="2026-01-01T00:00:01Z"
    )
    assert archive.memo("n", count) == 2 and len(calls) == 3
    (tmp_path / "raw" / ".memo" / "n.json").write_text("{not json")
    assert archive.memo("n", count) == 2 and len(calls) == 4  # unreadable: computed again


def test_a_table_digest_ignores_row_order_and_sees_every_value():
    import duckdb

    from registry.reference import PROGRAMMES
    from warehouse.release_reuse import table_digest

    con = duckdb.connect()
    cols = ", ".join(
        f"NULL::{f.type} AS {f.name}" for f in PROGRAMMES.fields if f.name != "programme_code"
    )
    con.execute(
        f"CREATE TABLE programmes AS SELECT code AS programme_code, {cols} FROM (VALUES ('a'), ('b')) v(code)"
    )
    before = table_digest(con, PROGRAMMES)
    con.execute("CREATE TABLE reordered AS SELECT * FROM programmes ORDER BY programme_code DESC")
    con.execute("DROP TABLE programmes")
    con.execute("ALTER TABLE reordered RENAME TO programmes")
    assert table_digest(con, PROGRAMMES) == before
    con.execute("UPDATE programmes SET programme_code = 'c' WHERE programme_code = 'b'")
    assert table_digest(con, PROGRAMMES) != before
