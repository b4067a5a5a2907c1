"""ИСУН assets: raw pages -> parsed pages -> normalised tables -> warehouse -> published files.

Names follow the layers raw_ / core_ / out_, with a leading `_` for intermediates that
are never published. Asset functions return tables (DataFrames or `StagedTable`s) and
receive them as arguments; the IO manager stores them (`pipelines.io_managers`). The
assets that take every table in (the warehouse, the quality report, the release) are made
by factories over a table registry (`warehouse_asset`, `quality_asset`, `release_asset`),
so `pipelines.definitions.build_defs(tables=...)` builds over any registry.
"""

import dataclasses
import json
import shutil
from dataclasses import asdict
from pathlib import Path

import dagster as dg
import pandas as pd

from pipelines.code_versions import code_version
from pipelines.io_managers import table_metadata, table_out
from pipelines.isun_batches import (
    StagedIsunTables,
    is_page_data,
    stage_isun_partition,
    stage_isun_tables,
)
from pipelines.isun_bulk_assets import append_quarantine
from pipelines.isun_reuse import partition_key
from pipelines.quiet_night import (
    FINGERPRINT_TAG,
    archive_fingerprint,
    code_versions,
    last_release_report,
)
from pipelines.resources import IsunPageSource, Settings
from quality.last_release import last_row_counts
from registry import tables_by_asset
from registry.reference import PLACES, PROGRAMMES
from registry.tables import (
    ACTIVITIES,
    HISTORY_TABLES,
    ORGANISATIONS,
    PROJECT_ORGANISATIONS,
    PROJECT_PAGES,
    PROJECT_PLACES,
    PROJECTS,
    QUARANTINE,
    RAW_RESPONSES,
    Table,
)
from sources.isun_bulk_crawl import is_bulk_url
from transforms.gazetteer import places_table
from transforms.isun_location import universe_places_table
from transforms.organisations import organisations_table
from transforms.programmes import programmes_table
from warehouse.coverage import coverage
from warehouse.duckdb_store import connect, write_warehouse
from warehouse.project_universe import stage_project_universe
from warehouse.release import (
    ReleaseDraft,
    add_history,
    catalogue_release,
    document_release,
    export_files,
    listed_contracts,
    publish_release,
    site_files,
    start_release,
)
from warehouse.staging import StagedTable, stage_batches


@dg.asset(
    group_name="raw",
    code_version=code_version("pipelines.resources"),
    description="ИСУН contract pages, stored in the raw archive before parsing.",
)
def raw_isun__contract_pages(
    context: dg.AssetExecutionContext, settings: Settings, isun_pages: IsunPageSource
) -> None:
    records, summary = isun_pages.fetch_into(settings, context.log)
    context.add_output_metadata(
        {
            "responses": len(records),
            "contract_page_responses": sum(1 for r in records if not is_bulk_url(r.url)),
            "bytes": sum(r.bytes for r in records),
            "archive": str(settings.raw_archive.root.resolve()),
            "summary": "\n".join(summary),
        }
    )


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


# The ИСУН page tables: the fields of `StagedIsunTables` that are tables of the registry, each by
# its asset as (field of StagedIsunTables, table). The pages' projects are `project_pages`, an
# intermediate that `projects` joins with the bulk sources into every contract.
PAGE_TABLES = {
    PROJECT_PAGES.asset: ("projects", PROJECT_PAGES),
    **{
        asset: (table.name, table)
        for asset, table in tables_by_asset().items()
        if table.name in {f.name for f in dataclasses.fields(StagedIsunTables)}
        and table not in (QUARANTINE, PROJECTS)
    },
}
PAGE_QUARANTINE = "_core_isun__page_quarantine"
PAGE_TABLES_VERSION = code_version("pipelines.isun_batches")


@dg.multi_asset(
    name="_core_isun__tables",
    outs={
        **{
            asset: table_out(table, PAGE_TABLES_VERSION)
            for asset, (_, table) in PAGE_TABLES.items()
        },
        PAGE_QUARANTINE: dg.AssetOut(
            group_name="core",
            code_version=PAGE_TABLES_VERSION,
            description="Rows and pages the page parser refused (intermediate; "
            "quarantine adds the bulk sources' rows).",
        ),
    },
    description="Parsed, normalised and screened ИСУН tables, staged as Parquet parts, "
    "from every archived contract page, a batch of contracts at a time.",
)
def _core_isun__tables(context: dg.AssetExecutionContext, settings: Settings):
    # Everything archived so far, not only this run's fetches: unchanged contracts stay in.
    archive = settings.raw_archive
    records = [r for r in archive.records() if is_page_data(r.url)]
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
        code_version=PAGE_TABLES_VERSION,
        force=settings.force_rebuild,
        partitions=settings.isun_partitions,
    )
    extra = {
        PROJECT_PAGES.name: {
            "pages_read": staged.pages_read,
            "pages_rejected": staged.pages_rejected,
            "workers": settings.worker_count,
        },
        ACTIVITIES.name: {"over_reported": staged.over_reported},
        PROJECT_ORGANISATIONS.name: {"by_role": value_counts(staged.project_organisations, "role")},
    }
    for asset, (attribute, table) in PAGE_TABLES.items():
        yield dg.Output(
            getattr(staged, attribute), output_name=asset, metadata=extra.get(table.name, {})
        )
    yield dg.Output(
        staged.quarantine,
        output_name=PAGE_QUARANTINE,
        metadata={
            "by_table_rule": dg.MetadataValue.json(
                {f"{t}:{r}": n for (t, r), n in table_rule_counts(staged.quarantine).items()}
            )
        },
    )


PARTITION_ASSET = "_core_isun__partition"


def partition_asset(partitions: int) -> dg.AssetsDefinition:
    """`_core_isun__partition`: the contracts split into `partitions` by a hash of their key, a
    Dagster partition each; a run parses its partition's new and changed contracts into the
    partition's parts store (`pipelines.isun_reuse`). Runs of different partitions are
    independent (any executor, any machine sharing the data directory); `_core_isun__tables`
    then finds every contract parsed and only assembles the tables."""

    @dg.asset(
        name=PARTITION_ASSET,
        group_name="core",
        partitions_def=dg.StaticPartitionsDefinition(
            [partition_key(k, partitions) for k in range(partitions)]
        ),
        code_version=PAGE_TABLES_VERSION,
        description="One partition of the ИСУН contracts parsed into its parts store (intermediate).",
    )
    def _partition(context: dg.AssetExecutionContext, settings: Settings) -> None:
        k = int(context.partition_key.split("-of-")[0]) - 1
        archive = settings.raw_archive
        records = [r for r in archive.records() if is_page_data(r.url)]
        index = stage_isun_partition(
            records,
            archive.read,
            settings.staging_dir,
            k,
            partitions,
            batch_contracts=settings.batch_contracts,
            workers=settings.worker_count,
            log=context.log,
            code_version=PAGE_TABLES_VERSION,
        )
        context.add_output_metadata(
            {"contracts": sum(len(c) for c in index.parts.values()), "parts": len(index.parts)}
        )

    return _partition


def table_rule_counts(staged: StagedTable) -> dict[tuple[str, str], int]:
    con = connect()
    try:
        rows = con.execute(
            f"SELECT table_name, rule, count(*) FROM {staged.scan_sql()} GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    return {(t, r): n for t, r, n in rows}


@dg.asset(
    group_name="core",
    description=PROJECTS.en,
    code_version=code_version("warehouse.project_universe", "warehouse.staging"),
    metadata=table_metadata(PROJECTS),
)
def projects(
    settings: Settings,
    _core_isun__project_pages: StagedTable,
    isun_api_projects: StagedTable,
    isun_export_projects: StagedTable,
) -> dg.Output[StagedTable]:
    staged = stage_project_universe(
        settings.staging_dir,
        PROJECTS,
        _core_isun__project_pages,
        isun_api_projects,
        isun_export_projects,
        PROJECT_PAGES.columns,
    )
    return dg.Output(staged, metadata={"by_detail_level": value_counts(staged, "detail_level")})


@dg.asset(
    group_name="core",
    description=QUARANTINE.en,
    code_version=code_version("pipelines.isun_bulk_assets"),
    metadata=table_metadata(QUARANTINE),
)
def quarantine(
    _core_isun__page_quarantine: StagedTable, _core_isun__bulk_quarantine: pd.DataFrame
) -> dg.Output[StagedTable]:
    staged = append_quarantine(_core_isun__page_quarantine, _core_isun__bulk_quarantine)
    return dg.Output(staged, metadata={"by_rule": value_counts(staged, "rule")})


@dg.asset(
    group_name="core",
    description=ORGANISATIONS.en,
    code_version=code_version("transforms.organisations"),
    metadata=table_metadata(ORGANISATIONS),
)
def organisations(project_organisations: StagedTable) -> pd.DataFrame:
    # One row per organisation needs every participant row at once, but only these narrow columns.
    participants = project_organisations.to_pandas(
        columns=[
            "organisation_id",
            "is_natural_person",
            "name_as_published",
            "eik",
            "project_code",
            "role",
        ]
    )
    return organisations_table(participants)


@dg.asset(
    group_name="core",
    description=PROJECT_PLACES.en,
    code_version=code_version("transforms.isun_location", "warehouse.staging"),
    metadata=table_metadata(PROJECT_PLACES),
)
def project_places(
    settings: Settings, projects: StagedTable, isun_api_places: StagedTable
) -> dg.Output[StagedTable]:
    # A contract known from the open-data API has its places resolved already (isun_api_places,
    # by proposal code); the others' location text is resolved here. Each batch reads only its
    # proposals' API places (in file order, so the merge gives the same rows), not all of them.
    import pyarrow.compute as pc
    import pyarrow.dataset as pads

    api_dataset = pads.dataset(isun_api_places.path, format="parquet")

    def api_places_of(batch: pd.DataFrame) -> pd.DataFrame:
        codes = batch["proposal_code"].dropna().unique().tolist()
        wanted = pc.field("proposal_code").isin(codes)
        return api_dataset.to_table(filter=wanted).to_pandas()

    batches = projects.batches(
        columns=[
            "project_code",
            "proposal_code",
            "detail_level",
            "bulk_source",
            "location",
            "source_url",
            "fetched_at",
            "content_sha256",
        ]
    )
    staged = stage_batches(
        settings.staging_dir,
        PROJECT_PLACES,
        (universe_places_table(b, api_places_of(b)) for b in batches),
    )
    return dg.Output(staged, metadata={"by_level": value_counts(staged, "level")})


def validate_tables(
    tables: dict[str, StagedTable], registry: dict[str, Table], settings: Settings, log=None
) -> dict:
    """One Great Expectations checkpoint over every table (`quality.checkpoint`): the release's
    quality report per table, and the Data Docs the release publishes in `quality/`.

    A failed expectation blocks the release (`dg.Failure`, naming each rule that failed); an
    error in the checkpoint's process reaches the log whole (`CheckpointError`)."""
    from quality.checkpoint import TableToValidate, run_checkpoint_apart

    by_asset = tables_by_asset(registry)
    asset_of = {table.name: name for name, table in by_asset.items()}
    previous = last_row_counts(settings.publish_dir)
    items = [
        TableToValidate(
            table,
            tables[name].scan_sql(),
            {
                fk.parent: tables[asset_of[fk.parent]].scan_sql()
                for fk in table.foreign_keys
                if fk.checked
            },
            previous.get(table.name),
        )
        for name, table in by_asset.items()
        if name in tables
    ]
    work = Path(settings.staging_dir) / "_great_expectations"
    shutil.rmtree(work, ignore_errors=True)
    result = run_checkpoint_apart(items, work, work / "data_docs", settings.max_row_drop_share)
    if log is not None:
        log.info(
            f"Great Expectations checkpoint: {len(items)} tables, "
            f"{'passed' if result['success'] else 'FAILED'} in {result['seconds']} s "
            f"({result['seconds_by_step']})"
        )
    if not result["success"]:
        # The blocking SQL checks ran the same rules and passed: the engines disagree, and the
        # release waits (`latest` keeps the last good one) rather than publish either reading.
        failed = [
            f"{name}: {f['rule']}({f['column']}) {f['unexpected_count']} rows, e.g. {f['examples'][:3]}"
            for name, report in result["tables"].items()
            for f in report["expectations_failed"]
        ]
        raise dg.Failure(
            description="Great Expectations checkpoint FAILED, release blocked: "
            + "; ".join(failed),
            metadata={"failed": dg.MetadataValue.json(failed)},
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


def warehouse_asset(registry: dict[str, Table]) -> dg.AssetsDefinition:
    """`out_bgfunds__warehouse` over the tables of `registry` (name -> table): each table's asset in."""
    table_assets = tables_by_asset(registry)

    @dg.asset(
        name="out_bgfunds__warehouse",
        group_name="out",
        ins={name: dg.AssetIn(name) for name in table_assets},
        code_version=code_version("warehouse.duckdb_store", "registry.tables"),
        description="The DuckDB warehouse (data/warehouse.duckdb), written only after the checks pass.",
    )
    def _warehouse(
        context: dg.AssetExecutionContext, settings: Settings, **tables: StagedTable
    ) -> str:
        manifest = pd.DataFrame(
            [
                {
                    **asdict(r),
                    "http_status": r.status,
                    "headers": json.dumps(r.headers, ensure_ascii=False),
                }
                for r in settings.raw_archive.records()
            ],
            columns=RAW_RESPONSES.columns,
        )
        context.log.info(
            f"writing the warehouse {settings.warehouse_path} ({len(table_assets) + 1} tables)"
        )
        counts = write_warehouse(
            settings.warehouse_path,
            [
                *((table, tables[name]) for name, table in table_assets.items()),
                (RAW_RESPONSES, manifest),
            ],
        )
        context.add_output_metadata({"path": str(settings.warehouse_path.resolve()), **counts})
        return str(settings.warehouse_path)

    return _warehouse


@dg.asset(
    group_name="reference",
    description=PROGRAMMES.en,
    code_version=code_version("transforms.programmes"),
    metadata=table_metadata(PROGRAMMES),
)
def programmes() -> pd.DataFrame:
    return programmes_table()[PROGRAMMES.columns]


@dg.asset(
    group_name="reference",
    description=PLACES.en,
    code_version=code_version("transforms.gazetteer"),
    metadata=table_metadata(PLACES),
)
def places() -> pd.DataFrame:
    return places_table()[PLACES.columns]


RELEASE_VERSION = code_version(
    "warehouse.release", "warehouse.coverage", "quality.checkpoint", "quality.rules_sql"
)


def quality_asset(registry: dict[str, Table]) -> dg.AssetsDefinition:
    """`_out_bgfunds__quality`: every table's suite, the coverage and what the build was made
    from, for the release's quality report."""
    table_assets = tables_by_asset(registry)

    @dg.asset(
        name="_out_bgfunds__quality",
        group_name="out",
        ins={name: dg.AssetIn(name) for name in table_assets if name != "quarantine"},
        code_version=RELEASE_VERSION,
        description="The release's quality report before the release: each table's suite, "
        "ИСУН coverage, the inputs fingerprint and code versions (intermediate).",
    )
    def _quality(
        context: dg.AssetExecutionContext,
        settings: Settings,
        out_bgfunds__warehouse: str,
        **tables: StagedTable,
    ) -> dict:
        con = connect(out_bgfunds__warehouse, read_only=True)
        try:
            isun_coverage = coverage(con)
        finally:
            con.close()
        return {
            **built_from(context, settings),
            **validate_tables(tables, registry, settings, context.log),
            "coverage": isun_coverage,
        }

    return _quality


@dg.op(description="A staging directory for the release and a copy of the warehouse.")
def release_start(
    context: dg.OpExecutionContext, settings: Settings, warehouse: str, quality: dict, tables: list
) -> ReleaseDraft:
    draft = start_release(
        warehouse,
        settings.publish_dir,
        quality,
        listed=listed_contracts(settings.crawl_state_path),
        base_url=settings.public_url,
        tables=tables,
        reuse=not settings.force_rebuild,
    )
    context.log.info(
        f"release {draft.release_id}: "
        + (
            f"incremental: files whose rows did not change are linked from {draft.previous.name}"
            if draft.reuse_before
            else f"full: every file written ({draft.reuse_reason})"
        )
    )
    return draft


@dg.op(description="History tables, views, counts and charts in the release's DuckDB file.")
def release_history(draft: ReleaseDraft) -> ReleaseDraft:
    return add_history(draft)


@dg.op(description="Parquet, CSV and XLSX of every table.")
def release_exports(context: dg.OpExecutionContext, draft: ReleaseDraft) -> ReleaseDraft:
    draft = export_files(draft)
    reused = draft.reused.get("tables", [])
    if draft.reuse_before:  # a full release said so when it started (`release_start`)
        context.log.info(f"exports: {len(reused)} tables linked unchanged ({', '.join(reused)})")
    return draft


@dg.op(description="The static site of the release.")
def release_site(context: dg.OpExecutionContext, draft: ReleaseDraft) -> ReleaseDraft:
    draft = site_files(draft)
    if draft.reuse_before:
        context.log.info(
            f"site: {draft.reused.get('site_downloads', 0)} downloads linked unchanged"
        )
    return draft


@dg.op(
    description="Changelog, dictionary, the Data Package validated (frictionless, DuckDB), quality report."
)
def release_datapackage(draft: ReleaseDraft) -> ReleaseDraft:
    return document_release(draft)


@dg.op(description="DCAT-AP catalogue, the catalogue page and SHA256SUMS.")
def release_catalogue(draft: ReleaseDraft) -> ReleaseDraft:
    return catalogue_release(draft)


@dg.op(description="Rename into releases/ and switch latest: only when every step before passed.")
def release_publish(context: dg.OpExecutionContext, draft: ReleaseDraft) -> str:
    release = publish_release(draft)
    context.log.info(f"released {release.name}; latest -> releases/{release.name}")
    context.add_output_metadata(
        {
            "release": str(release.resolve()),
            "latest": str((draft.publish_root / "latest").resolve()),
            "files": dg.MetadataValue.json(
                {f.name: f.stat().st_size for f in sorted(release.iterdir())}
            ),
            "coverage": (draft.quality.get("coverage") or {}).get("line", ""),
        }
    )
    return str(release)


def release_asset(registry: dict[str, Table]) -> dg.AssetsDefinition:
    """`out_bgfunds__release`, a graph-backed asset: one op per step of `warehouse.release`
    (history -> exports -> site -> Data Package -> catalogue -> publish), so each step shows in
    Dagster, and `latest` is switched by the last op only when every step before passed."""
    tables = [*registry.values(), *HISTORY_TABLES.values()]

    @dg.op(name="release_tables", description="The tables the release publishes (the registry's).")
    def release_tables() -> list:
        return tables

    @dg.graph_asset(
        name="out_bgfunds__release",
        group_name="out",
        code_version=RELEASE_VERSION,
        description="A validated, documented release in data/publish/releases/<date>/, "
        "with data/publish/latest switched to it only when everything passed.",
    )
    def _release(out_bgfunds__warehouse: str, _out_bgfunds__quality: dict) -> str:
        draft = release_start(out_bgfunds__warehouse, _out_bgfunds__quality, release_tables())
        for step in (
            release_history,
            release_exports,
            release_site,
            release_datapackage,
            release_catalogue,
        ):
            draft = step(draft)
        return release_publish(draft)

    return _release


def built_from(context: dg.AssetExecutionContext, settings: Settings) -> dict:
    """What a release was built from, for the next night's plan (`pipelines.quiet_night`): the
    fingerprint the run was launched for, and the code version of every asset of the build.

    A partial rebuild's job knows only the assets it ran; the others' outputs are the last
    release's, and so are their code versions."""
    raw = {"raw_isun__contract_pages", "raw_documents__pages"}
    versions = {
        **(last_release_report(settings).get("code_versions") or {}),
        **code_versions(context.job_def.asset_layer.asset_graph.assets_defs),
    }
    return {
        "inputs_fingerprint": context.run.tags.get(FINGERPRINT_TAG)
        or archive_fingerprint(settings),
        "code_versions": {name: v for name, v in sorted(versions.items()) if name not in raw},
    }
