"""The registry test: a table declared once (one `Table(...)` with `asset=` and the asset
function that produces it) appears everywhere, with no edit to any module and no module
global patched: the build is given the registry as data (`build_defs(tables=..., extra_assets=...)`).
"""

import csv
import json
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from pipelines.cli import run_build
from pipelines.definitions import build_defs
from pipelines.io_managers import table_metadata
from registry import all_tables
from registry.tables import Field, ForeignKey, Table
from warehouse.staging import StagedTable

TOY = Table(
    name="toy_grants",
    en="Grants per project (a toy table of the registry test)",
    bg="Безвъзмездни средства по проекти (примерна таблица)",
    primary_key=("grant_id",),
    fields=(
        Field("grant_id", "VARCHAR", "Grant id", "Номер", nullable=False),
        Field("project_code", "VARCHAR", "Project code", "Код на проекта", nullable=False),
        Field("amount_eur", "DECIMAL(18,2)", "Amount", "Сума", unit="EUR"),
    ),
    asset="toy_grants",
    foreign_keys=(ForeignKey("project_code", "projects", "project_code"),),
)


@dg.asset(name="toy_grants", group_name="core", metadata=table_metadata(TOY))
def toy_grants(projects: StagedTable) -> pd.DataFrame:
    """One grant of 100.50 EUR per published project."""
    codes = sorted(projects.to_pandas(columns=["project_code"])["project_code"])
    return pd.DataFrame(
        {
            "grant_id": [f"G{i}" for i in range(1, len(codes) + 1)],
            "project_code": codes,
            "amount_eur": [Decimal("100.50")] * len(codes),
        }
    )


def test_a_table_declared_once_appears_everywhere(tmp_path):
    tables = {**all_tables(), TOY.name: TOY}
    defs = build_defs(tables=tables, extra_assets=[toy_grants])
    # A blocking check guards it, and the warehouse and release take it in.
    graph = defs.resolve_asset_graph()
    toy_checks = [key for key in graph.asset_check_keys if key.asset_key.path == [TOY.asset]]
    assert len(toy_checks) == 1
    spec = graph.get_check_spec(toy_checks[0])
    assert spec.blocking
    for consumer in ("out_bgfunds__warehouse", "_out_bgfunds__quality"):
        assert dg.AssetKey(TOY.asset) in graph.get(dg.AssetKey(consumer)).parent_keys

    data_dir = tmp_path / "data"
    summary = run_build(data_dir, tables=tables, extra_assets=[toy_grants])
    assert summary.success, summary.failures
    assert summary.checks[toy_checks[0].name] is True
    release = data_dir / "publish" / "latest"
    projects = sorted(pd.read_parquet(release / "projects.parquet")["project_code"])
    assert len(projects) == 11  # every contract of the demo: a grant each

    # The warehouse: the DDL's table, typed by the registry.
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    described = con.execute("DESCRIBE toy_grants").fetchall()
    rows = con.execute("SELECT project_code, amount_eur FROM toy_grants ORDER BY 1").fetchall()
    con.close()
    assert [(name, kind, null) for name, kind, null, *_ in described] == [
        ("grant_id", "VARCHAR", "NO"),
        ("project_code", "VARCHAR", "NO"),
        ("amount_eur", "DECIMAL(18,2)", "YES"),
    ]
    assert rows == [(code, Decimal("100.50")) for code in projects]

    # The release: Parquet and CSV, the same rows.
    parquet = pd.read_parquet(release / "toy_grants.parquet")
    assert sorted(parquet["project_code"]) == projects
    with open(release / "toy_grants.csv", encoding="utf-8-sig", newline="") as fh:
        published = list(csv.DictReader(fh))
    assert [r["amount_eur"] for r in published] == ["100.50"] * 11
    assert [r["grant_id"] for r in published] == sorted(f"G{i}" for i in range(1, 12))  # as text

    # The Data Package: a resource with its foreign key, and the package validates.
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in package["resources"] if r["name"] == "toy_grants")
    assert resource["schema"]["primaryKey"] == ["grant_id"]
    assert resource["schema"]["foreignKeys"] == [
        {
            "fields": ["project_code"],
            "reference": {"resource": "projects", "fields": ["project_code"]},
        }
    ]
    report = json.loads((release / "quality_report.json").read_text(encoding="utf-8"))
    assert report["frictionless"]["valid"] and report["row_counts"]["toy_grants"] == 11
    assert "toy_grants" in report["tables"]

    # The dictionary: one row per field, in both languages.
    with open(release / "data_dictionary.csv", encoding="utf-8-sig", newline="") as fh:
        fields = [r for r in csv.DictReader(fh) if r["table"] == "toy_grants"]
    assert [r["field"] for r in fields] == ["grant_id", "project_code", "amount_eur"]
    assert "toy_grants" in (release / "data_dictionary.md").read_text(encoding="utf-8")

    # Declared once: the code's own registry is untouched.
    assert TOY.name not in all_tables()
    assert "toy_grants" not in build_defs().resolve_asset_graph().get_all_asset_keys().__str__()


@dg.asset(name="toy_grants", group_name="core", metadata=table_metadata(TOY))
def toy_grants_with_an_orphan(projects: StagedTable) -> pd.DataFrame:
    """The toy with one grant for a project no release holds: its foreign key fails."""
    frame = toy_grants(projects)
    frame.loc[len(frame)] = ["G99", "BG00XXXX000-0.000-0000-C01", Decimal("1.00")]
    return frame


def test_the_toy_tables_check_blocks_the_release(tmp_path):
    data_dir = tmp_path / "data"
    tables = {**all_tables(), TOY.name: TOY}
    summary = run_build(data_dir, tables=tables, extra_assets=[toy_grants_with_an_orphan])
    toy_checks = {name: passed for name, passed in summary.checks.items() if "toy_grants" in name}
    assert list(toy_checks.values()) == [False]
    assert not summary.success and summary.release is None
    assert not (data_dir / "publish" / "latest").exists()
    assert not (data_dir / "warehouse.duckdb").exists()


UNCHECKED_TOY = Table(
    name=TOY.name,
    en=TOY.en,
    bg=TOY.bg,
    primary_key=TOY.primary_key,
    fields=TOY.fields,
    asset=TOY.asset,
    # Not checked before the release: only the Data Package's validation sees the orphan.
    foreign_keys=(ForeignKey("project_code", "projects", "project_code", checked=False),),
)


def test_a_failed_release_step_leaves_latest_on_the_last_good_release(tmp_path):
    data_dir = tmp_path / "data"
    assert run_build(data_dir).success
    latest = (data_dir / "publish" / "latest").resolve()
    tables = {**all_tables(), TOY.name: UNCHECKED_TOY}
    summary = run_build(
        data_dir, tables=tables, extra_assets=[toy_grants_with_an_orphan], force_rebuild=True
    )
    assert not summary.success and summary.release is None
    assert [line.split(":")[0] for line in summary.failures] == [
        "out_bgfunds__release.release_datapackage"
    ]
    assert "the Data Package does not validate" in summary.failures[0]
    assert (data_dir / "publish" / "latest").resolve() == latest
    assert [p.name for p in (data_dir / "publish" / "releases").iterdir()] == [latest.name]
    assert not [p for p in (data_dir / "publish").iterdir() if p.name.startswith(".staging")]


def _toy_at_version(version: str) -> dg.AssetsDefinition:
    @dg.asset(
        name="toy_grants",
        group_name="core",
        metadata=table_metadata(TOY),
        code_version=version,
    )
    def _toy(projects: StagedTable) -> pd.DataFrame:
        return toy_grants(projects)

    return _toy


def test_only_the_assets_whose_code_changed_are_rebuilt(tmp_path):
    data_dir = tmp_path / "data"
    tables = {**all_tables(), TOY.name: TOY}
    first = run_build(data_dir, tables=tables, extra_assets=[_toy_at_version("1")])
    assert first.success
    quiet = run_build(data_dir, tables=tables, extra_assets=[_toy_at_version("1")])
    assert quiet.unchanged and "code unchanged" in quiet.plan
    changed = run_build(data_dir, tables=tables, extra_assets=[_toy_at_version("2")])
    assert changed.success and Path(changed.release).name.endswith(".2")
    rebuilt = set(changed.steps) - {"raw_isun__contract_pages", "raw_documents__pages"}
    assert "toy_grants" in rebuilt and "out_bgfunds__warehouse" in rebuilt
    assert not rebuilt & {"_core_isun__tables", "_core_isun__bulk", "_core_bgfunds__links"}
    assert not rebuilt & set(all_tables())  # no other table's asset (named as its table)
    # The release is whole: the tables that were not rebuilt come from the stored outputs.
    release = Path(changed.release)
    assert len(pd.read_parquet(release / "projects.parquet")) == 11
    assert len(pd.read_parquet(release / "toy_grants.parquet")) == 11
    report = json.loads((release / "quality_report.json").read_text(encoding="utf-8"))
    assert report["code_versions"]["toy_grants"] == "2"
    # And the night after, nothing is left to rebuild.
    after = run_build(data_dir, tables=tables, extra_assets=[_toy_at_version("2")])
    assert after.unchanged and "code unchanged" in after.plan
