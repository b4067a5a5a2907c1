"""ИСУН assets: raw pages -> parsed pages -> normalised tables -> warehouse -> published files.

Names follow the layers raw_ / core_ / out_, with a leading `_` for intermediates that
are never published.
"""


from dataclasses import asdict

import dagster as dg
import pandas as pd

from pipelines.resources import IsunPageSource, Settings
from sources.isun import PageStructureError, parse_isun_html, parse_isun_text
from sources.raw_archive import RawResponse
from sources.waf import block_reason
from transforms.isun import IsunTables, build_isun_tables, quarantine_row
from warehouse.duckdb_store import write_warehouse
from warehouse.export import export_tables
from warehouse.metadata import ACTIVITIES, PROJECTS, PUBLISHED_TABLES, QUARANTINE


@dg.asset(group_name="raw", description="ИСУН contract pages, stored in the raw archive before parsing.")
def raw_isun__contract_pages(
    context: dg.AssetExecutionContext, settings: Settings, isun_pages: IsunPageSource
) -> list[dict]:
    records = isun_pages.fetch_into(settings.raw_archive, context.log)
    context.add_output_metadata({
        "responses": len(records),
        "bytes": sum(r.bytes for r in records),
        "archive": str(settings.raw_archive.root.resolve()),
    })
    return [asdict(r) for r in records]


def parse_archived_pages(records: list[RawResponse], read_body) -> tuple[list, list[dict]]:
    """Parse archived responses; WAF pages and unparseable pages go to quarantine, never to data."""
    parsed, rejected = [], []
    for record in records:
        body = read_body(record.sha256)
        reason = block_reason(body)
        if reason:
            rejected.append(quarantine_row(
                "pages", record.url, "blocked_by_waf", None, None,
                f"{record.url}: firewall page instead of content ({reason}); not parsed", record))
            continue
        if record.status != 200:
            rejected.append(quarantine_row(
                "pages", record.url, "http_status", "status", str(record.status),
                f"{record.url}: HTTP status {record.status}; not parsed", record))
            continue
        try:
            if "text/plain" in record.content_type:
                page = parse_isun_text(body.decode("utf-8"), record.url)
            else:
                page = parse_isun_html(body, record.url)
        except PageStructureError as exc:
            rejected.append(quarantine_row("pages", record.url, "page_structure", None, None, str(exc), record))
            continue
        parsed.append((page, record))
    return parsed, rejected


@dg.asset(group_name="core", description="Parsed and normalised ИСУН tables (intermediate).")
def _core_isun__tables(
    context: dg.AssetExecutionContext, settings: Settings, raw_isun__contract_pages: list[dict]
) -> IsunTables:
    archive = settings.raw_archive
    records = [RawResponse(**r) for r in raw_isun__contract_pages]
    parsed, rejected = parse_archived_pages(records, archive.read)
    tables = build_isun_tables(parsed, rejected)
    context.add_output_metadata({
        "pages_parsed": len(parsed),
        "pages_rejected": len(rejected),
        "projects": len(tables.projects),
        "activities": len(tables.activities),
        "rows_quarantined": len(tables.quarantine),
    })
    return tables


@dg.asset(group_name="core", description=PROJECTS.en)
def core_isun__projects(_core_isun__tables: IsunTables) -> dg.Output[pd.DataFrame]:
    df = _core_isun__tables.projects
    return dg.Output(df, metadata={"rows": len(df)})


@dg.asset(group_name="core", description=ACTIVITIES.en)
def core_isun__activities(_core_isun__tables: IsunTables) -> dg.Output[pd.DataFrame]:
    df = _core_isun__tables.activities
    return dg.Output(df, metadata={"rows": len(df), "over_reported": int(df["is_over_reported"].sum())})


@dg.asset(group_name="core", description=QUARANTINE.en)
def core_isun__quarantine(_core_isun__tables: IsunTables) -> dg.Output[pd.DataFrame]:
    df = _core_isun__tables.quarantine
    return dg.Output(df, metadata={"rows": len(df), "by_rule": df["rule"].value_counts().to_dict()})


@dg.asset(group_name="out", description="The DuckDB warehouse (data/warehouse.duckdb), written only after the checks pass.")
def out_bgfunds__warehouse(
    context: dg.AssetExecutionContext,
    settings: Settings,
    core_isun__projects: pd.DataFrame,
    core_isun__activities: pd.DataFrame,
    core_isun__quarantine: pd.DataFrame,
) -> str:
    counts = write_warehouse(settings.warehouse_path, [
        (PROJECTS, core_isun__projects),
        (ACTIVITIES, core_isun__activities),
        (QUARANTINE, core_isun__quarantine),
    ])
    context.add_output_metadata({"path": str(settings.warehouse_path.resolve()), **counts})
    return str(settings.warehouse_path)


@dg.asset(group_name="out", description="Parquet (zstd) and CSV (UTF-8 with BOM) per table, plus the DuckDB file, in data/publish/.")
def out_bgfunds__published(
    context: dg.AssetExecutionContext, settings: Settings, out_bgfunds__warehouse: str
) -> list[str]:
    files = export_tables(out_bgfunds__warehouse, settings.publish_dir, list(PUBLISHED_TABLES.values()))
    context.add_output_metadata({
        "directory": str(settings.publish_dir.resolve()),
        "files": dg.MetadataValue.json({f.name: f.stat().st_size for f in files}),
    })
    return [str(f) for f in files]
