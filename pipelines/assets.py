"""ИСУН assets: raw pages -> parsed pages -> normalised tables -> warehouse -> published files.

Names follow the layers raw_ / core_ / out_, with a leading `_` for intermediates that
are never published.
"""

import hashlib
import importlib.metadata
import json
import re
import shutil
from dataclasses import asdict
from pathlib import Path

import dagster as dg
import pandas as pd

from pipelines.isun_batches import StagedIsunTables, is_contract_page, stage_isun_tables
from pipelines.isun_bulk_assets import StagedBulk, append_quarantine
from pipelines.resources import IsunPageSource, Settings
from quality.rules_sql import last_row_counts
from sources.raw_archive import RawResponse, inputs_fingerprint
from transforms.gazetteer import places_table
from transforms.isun_location import project_places_table
from transforms.organisations import organisations_table
from transforms.programmes import programmes_table
from warehouse.coverage import coverage
from warehouse.duckdb_store import connect, write_warehouse
from warehouse.metadata import (
    ACTIVITIES,
    ORGANISATIONS,
    PROJECT_FINANCIAL_CORRECTIONS,
    PROJECT_INDICATORS,
    PROJECT_ORGANISATIONS,
    PROJECT_PLACES,
    PROJECT_PROCUREMENTS,
    PROJECTS,
    QUARANTINE,
    RAW_RESPONSES,
    parent_assets,
    tables_by_asset,
)
from warehouse.metadata_reference import PLACES, PROGRAMMES
from warehouse.release import build_release, listed_contracts
from warehouse.staging import StagedTable, stage_batches, stage_frame


@dg.asset(
    group_name="raw", description="ИСУН contract pages, stored in the raw archive before parsing."
)
def raw_isun__contract_pages(
    context: dg.AssetExecutionContext, settings: Settings, isun_pages: IsunPageSource
) -> dict:
    records, summary = isun_pages.fetch_into(settings, context.log)
    context.add_output_metadata(
        {
            "responses": len(records),
            "bytes": sum(r.bytes for r in records),
            "archive": str(settings.raw_archive.root.resolve()),
            "summary": "\n".join(summary),
        }
    )
    return {"records": [asdict(r) for r in records], "summary": summary}


CODE_PACKAGES = ("sources", "transforms", "quality", "warehouse", "pipelines")


def library_versions() -> list[str]:
    """`name==version` of each installed direct dependency of bgfunds (from its package metadata)."""
    try:
        requirements = importlib.metadata.requires("bgfunds") or []
    except (
        importlib.metadata.PackageNotFoundError
    ):  # run from a source tree that was never installed
        return []
    names = sorted(
        {re.split(r"[\s;=<>!~\[]", r, maxsplit=1)[0] for r in requirements if "extra ==" not in r}
    )
    versions = []
    for name in names:
        try:
            versions.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} missing")
    return versions


def code_version() -> str:
    """A digest of the code that turns pages into releases and of the libraries it runs on
    (a new DuckDB or Great Expectations can change the output): a change forces a rebuild."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for package in CODE_PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".csv", ".json"}:
                digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    digest.update("\n".join(library_versions()).encode())
    return digest.hexdigest()


def build_fingerprint(records: list[RawResponse]) -> str:
    return inputs_fingerprint(records, extra=code_version())


def last_release_fingerprint(settings: Settings) -> str | None:
    report = settings.publish_dir / "latest" / "quality_report.json"
    if not report.exists():
        return None
    return json.loads(report.read_text(encoding="utf-8")).get("inputs_fingerprint")


def staged_metadata(staged: StagedTable, **extra) -> dict:
    return {"rows": staged.rows, "staged": dg.MetadataValue.path(staged.path), **extra}


def value_counts(staged: StagedTable, column: str) -> dict:
    con = connect()
    try:
        return dict(
            con.execute(
                f'SELECT "{column}", count(*) FROM {staged.scan_sql()} GROUP BY ALL ORDER BY ALL'
            ).fetchall()
        )
    finally:
        con.close()


@dg.asset(
    group_name="core",
    deps=[raw_isun__contract_pages, "raw_documents__pages"],
    output_required=False,
    description="The fingerprint of what a build reads (newest good response per archived URL, and the "
    "code): when it equals the last release's, nothing downstream runs and latest stays.",
)
def _core_bgfunds__inputs(context: dg.AssetExecutionContext, settings: Settings):
    # The gate sits before every parse, extraction and reference table, so a quiet night
    # costs one pass over the archive's manifest, not a run of the checks.
    fingerprint = build_fingerprint(list(settings.raw_archive.records()))
    previous = last_release_fingerprint(settings)
    if fingerprint == previous and not settings.force_rebuild:
        context.log.info(
            f"inputs unchanged since the last release ({fingerprint[:12]}): nothing to rebuild"
        )
        return
    yield dg.Output(
        fingerprint,
        metadata={"inputs_fingerprint": fingerprint, "previous_release": previous or ""},
    )


@dg.asset(
    group_name="core",
    description="Parsed, normalised and screened ИСУН tables (intermediate), staged as Parquet parts, "
    "from every archived contract page, a batch of contracts at a time.",
)
def _core_isun__tables(
    context: dg.AssetExecutionContext, settings: Settings, _core_bgfunds__inputs: str
) -> dg.Output[StagedIsunTables]:
    # Everything archived so far, not only this run's fetches: unchanged contracts stay in.
    archive = settings.raw_archive
    all_records = list(archive.records())
    records = [r for r in all_records if is_contract_page(r.url)]
    del all_records
    context.log.info(
        f"parsing {len(records)} archived contract pages in batches of "
        f"{settings.batch_contracts} contracts, {settings.worker_count} worker(s)"
    )
    staged = stage_isun_tables(
        records,
        archive.read,
        settings.staging_dir,
        batch_contracts=settings.batch_contracts,
        workers=settings.worker_count,
        log=context.log,
        extra_quarantine=settings.rejected_inputs(),
    )
    return dg.Output(
        staged,
        metadata={
            "pages_read": staged.pages_read,
            "pages_rejected": staged.pages_rejected,
            "projects": staged.projects.rows,
            "activities": staged.activities.rows,
            "rows_quarantined": staged.quarantine.rows,
            "workers": settings.worker_count,
        },
    )


@dg.asset(group_name="core", description=PROJECTS.en)
def core_isun__projects(_core_isun__tables: StagedIsunTables) -> dg.Output[StagedTable]:
    staged = _core_isun__tables.projects
    return dg.Output(staged, metadata=staged_metadata(staged))


@dg.asset(group_name="core", description=ACTIVITIES.en)
def core_isun__activities(_core_isun__tables: StagedIsunTables) -> dg.Output[StagedTable]:
    staged = _core_isun__tables.activities
    return dg.Output(
        staged, metadata=staged_metadata(staged, over_reported=_core_isun__tables.over_reported)
    )


@dg.asset(group_name="core", description=QUARANTINE.en)
def core_isun__quarantine(
    _core_isun__tables: StagedIsunTables, _core_isun__bulk: StagedBulk
) -> dg.Output[StagedTable]:
    staged = append_quarantine(_core_isun__tables.quarantine, _core_isun__bulk.quarantine)
    return dg.Output(staged, metadata=staged_metadata(staged, by_rule=value_counts(staged, "rule")))


@dg.asset(group_name="core", description=PROJECT_ORGANISATIONS.en)
def core_isun__project_organisations(
    _core_isun__tables: StagedIsunTables,
) -> dg.Output[StagedTable]:
    staged = _core_isun__tables.project_organisations
    return dg.Output(staged, metadata=staged_metadata(staged, by_role=value_counts(staged, "role")))


@dg.asset(group_name="core", description=PROJECT_INDICATORS.en)
def core_isun__project_indicators(_core_isun__tables: StagedIsunTables) -> dg.Output[StagedTable]:
    staged = _core_isun__tables.project_indicators
    return dg.Output(staged, metadata=staged_metadata(staged))


@dg.asset(group_name="core", description=PROJECT_PROCUREMENTS.en)
def core_isun__project_procurements(_core_isun__tables: StagedIsunTables) -> dg.Output[StagedTable]:
    staged = _core_isun__tables.project_procurements
    return dg.Output(staged, metadata=staged_metadata(staged))


@dg.asset(group_name="core", description=PROJECT_FINANCIAL_CORRECTIONS.en)
def core_isun__project_financial_corrections(
    _core_isun__tables: StagedIsunTables,
) -> dg.Output[StagedTable]:
    staged = _core_isun__tables.project_financial_corrections
    return dg.Output(staged, metadata=staged_metadata(staged))


@dg.asset(group_name="core", description=ORGANISATIONS.en)
def core_bgfunds__organisations(
    settings: Settings, core_isun__project_organisations: StagedTable
) -> dg.Output[StagedTable]:
    # One row per organisation needs every participant row at once, but only these narrow columns.
    participants = core_isun__project_organisations.to_pandas(
        columns=[
            "organisation_id",
            "is_natural_person",
            "name_as_published",
            "eik",
            "project_code",
            "role",
        ]
    )
    df = organisations_table(participants)
    staged = stage_frame(settings.staging_dir, ORGANISATIONS, df)
    return dg.Output(
        staged, metadata=staged_metadata(staged, with_eik=int(df["eik"].notna().sum()))
    )


@dg.asset(group_name="core", description=PROJECT_PLACES.en)
def core_isun__project_places(
    settings: Settings, core_isun__projects: StagedTable
) -> dg.Output[StagedTable]:
    batches = core_isun__projects.batches(
        columns=["project_code", "location", "source_url", "fetched_at", "content_sha256"]
    )
    staged = stage_batches(
        settings.staging_dir, PROJECT_PLACES, (project_places_table(b) for b in batches)
    )
    return dg.Output(
        staged, metadata=staged_metadata(staged, by_level=value_counts(staged, "level"))
    )


# Every table in the warehouse (besides the archive's manifest), by the asset that builds
# it, and the tables each table's foreign keys point at: all from the registry.
TABLE_ASSETS = tables_by_asset()
OTHER_TABLE_ASSETS = {
    name: table
    for name, table in TABLE_ASSETS.items()
    if name not in ("core_isun__projects", "core_isun__activities", "core_isun__quarantine")
}
TABLE_ASSETS_BY_TABLE = {table.name: name for name, table in TABLE_ASSETS.items()}
PARENTS = {
    name: parent_assets(table) for name, table in TABLE_ASSETS.items() if parent_assets(table)
}


def validate_tables(tables: dict[str, StagedTable], settings: Settings, log=None) -> dict:
    """One Great Expectations checkpoint over every table (`quality.checkpoint`): the release's
    quality report per table, and the Data Docs the release publishes in `quality/`."""
    from quality.checkpoint import TableToValidate, run_checkpoint

    previous = last_row_counts(settings.publish_dir)
    items = [
        TableToValidate(
            table,
            tables[name].scan_sql(),
            {
                fk.parent: tables[TABLE_ASSETS_BY_TABLE[fk.parent]].scan_sql()
                for fk in table.foreign_keys
                if fk.checked
            },
            previous.get(table.name),
        )
        for name, table in TABLE_ASSETS.items()
        if name in tables
    ]
    work = Path(settings.staging_dir) / "_great_expectations"
    shutil.rmtree(work, ignore_errors=True)
    result = run_checkpoint(items, work, work / "data_docs", settings.max_row_drop_share)
    if log is not None:
        log.info(
            f"Great Expectations checkpoint: {len(items)} tables, "
            f"{'passed' if result['success'] else 'FAILED'} in {result['seconds']} s "
            f"({result['seconds_by_step']})"
        )
    return {
        "tables": result["tables"],
        "great_expectations": {
            "checkpoint": "bgfunds_build",
            "success": result["success"],
            "seconds": result["seconds"],
            "seconds_by_step": result["seconds_by_step"],
            "data_docs": "quality/index.html",
        },
        "data_docs_dir": str(work / "data_docs"),
    }


@dg.asset(
    group_name="out",
    ins={name: dg.AssetIn(name) for name in TABLE_ASSETS},
    description="The DuckDB warehouse (data/warehouse.duckdb), written only after the checks pass.",
)
def out_bgfunds__warehouse(
    context: dg.AssetExecutionContext, settings: Settings, **tables: StagedTable
) -> str:
    manifest = pd.DataFrame(
        [
            {**asdict(r), "headers": json.dumps(r.headers, ensure_ascii=False)}
            for r in settings.raw_archive.records()
        ],
        columns=RAW_RESPONSES.columns,
    )
    context.log.info(
        f"writing the warehouse {settings.warehouse_path} ({len(TABLE_ASSETS) + 1} tables)"
    )
    counts = write_warehouse(
        settings.warehouse_path,
        [
            *((table, tables[name]) for name, table in TABLE_ASSETS.items()),
            (RAW_RESPONSES, manifest),
        ],
    )
    context.add_output_metadata({"path": str(settings.warehouse_path.resolve()), **counts})
    return str(settings.warehouse_path)


@dg.asset(group_name="reference", deps=[_core_bgfunds__inputs], description=PROGRAMMES.en)
def core_reference__programmes(settings: Settings) -> dg.Output[StagedTable]:
    df = programmes_table()[PROGRAMMES.columns]
    staged = stage_frame(settings.staging_dir, PROGRAMMES, df)
    return dg.Output(
        staged, metadata=staged_metadata(staged, by_period=df["period"].value_counts().to_dict())
    )


@dg.asset(group_name="reference", deps=[_core_bgfunds__inputs], description=PLACES.en)
def core_reference__places(settings: Settings) -> dg.Output[StagedTable]:
    df = places_table()[PLACES.columns]
    staged = stage_frame(settings.staging_dir, PLACES, df)
    return dg.Output(
        staged, metadata=staged_metadata(staged, by_level=df["level"].value_counts().to_dict())
    )


@dg.asset(
    group_name="out",
    ins={
        "_core_bgfunds__inputs": dg.AssetIn("_core_bgfunds__inputs"),
        **{name: dg.AssetIn(name) for name in TABLE_ASSETS if name != "core_isun__quarantine"},
    },
    description="A validated, documented release in data/publish/releases/<date>/, "
    "with data/publish/latest switched to it only when everything passed.",
)
def out_bgfunds__release(
    context: dg.AssetExecutionContext,
    settings: Settings,
    out_bgfunds__warehouse: str,
    _core_bgfunds__inputs: str,
    **tables: StagedTable,
) -> str:
    con = connect(out_bgfunds__warehouse, read_only=True)
    try:
        isun_coverage = coverage(con)
    finally:
        con.close()
    quality = {
        "inputs_fingerprint": _core_bgfunds__inputs,
        **validate_tables(tables, settings, context.log),
        "coverage": isun_coverage,
    }
    context.log.info("assembling the release: history, exports, Data Package validation, checksums")
    release = build_release(
        out_bgfunds__warehouse,
        settings.publish_dir,
        quality,
        listed=listed_contracts(settings.crawl_state_path),
    )
    context.log.info(f"released {release.name}; latest -> releases/{release.name}")
    context.add_output_metadata(
        {
            "release": str(release.resolve()),
            "latest": str((settings.publish_dir / "latest").resolve()),
            "files": dg.MetadataValue.json(
                {f.name: f.stat().st_size for f in sorted(release.iterdir())}
            ),
            "coverage": isun_coverage["line"],
        }
    )
    return str(release)
