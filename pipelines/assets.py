"""ИСУН assets: raw pages -> parsed pages -> normalised tables -> warehouse -> published files.

Names follow the layers raw_ / core_ / out_, with a leading `_` for intermediates that
are never published.
"""


import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import dagster as dg
import pandas as pd

from pipelines.resources import IsunPageSource, Settings
from sources.charset import decode_body
from sources.isun import (
    CONTRACT_TABS,
    PageStructureError,
    contract_id_and_tab,
    parse_isun_html,
    parse_isun_text,
)
from sources.raw_archive import RawResponse, inputs_fingerprint
from sources.waf import block_reason
from transforms.isun import IsunTables, build_isun_tables, quarantine_row
from quality.suites import screen_isun_tables, validate_table
from warehouse.duckdb_store import write_warehouse
from transforms.isun_location import project_places_table
from transforms.organisations import organisations_table
from warehouse.metadata import (
    ACTIVITIES,
    ORGANISATIONS,
    PROJECT_ORGANISATIONS,
    PROJECT_PLACES,
    PROJECTS,
    QUARANTINE,
    RAW_RESPONSES,
)
from warehouse.metadata_documents import (
    DOCUMENT_PLACES,
    EVENTS,
    LINKED_PROJECTS,
    NEWS_MENTIONS,
    NGO_PROJECTS,
    PROJECT_CONFLICTS,
    PROJECT_SOURCES,
    STRATEGIES,
    STRATEGY_MEASURES,
)
from warehouse.metadata_reference import PLACES, PROGRAMMES
from warehouse.release import build_release
from transforms.gazetteer import places_table
from transforms.programmes import programmes_table


@dg.asset(group_name="raw", description="ИСУН contract pages, stored in the raw archive before parsing.")
def raw_isun__contract_pages(
    context: dg.AssetExecutionContext, settings: Settings, isun_pages: IsunPageSource
) -> dict:
    records, summary = isun_pages.fetch_into(settings, context.log)
    context.add_output_metadata({
        "responses": len(records),
        "bytes": sum(r.bytes for r in records),
        "archive": str(settings.raw_archive.root.resolve()),
        "summary": "\n".join(summary),
    })
    return {"records": [asdict(r) for r in records], "summary": summary}


def _rejection(record: RawResponse, body: bytes) -> dict | None:
    """Why an archived response is not data (WAF page, HTTP error), as a quarantine row."""
    reason = block_reason(body)
    if reason:
        return quarantine_row("pages", record.url, "blocked_by_waf", None, None,
                              f"{record.url}: firewall page instead of content ({reason}); not parsed", record)
    if record.status not in (200, 304):
        return quarantine_row("pages", record.url, "http_status", "status", str(record.status),
                              f"{record.url}: HTTP status {record.status}; not parsed", record)
    return None


def is_contract_page(url: str) -> bool:
    contract_id, tab = contract_id_and_tab(url)
    return contract_id is not None and tab in CONTRACT_TABS


def screen_tables(tables: IsunTables) -> IsunTables:
    """Row-level quality rules: failing rows (and a failing project's activities and participants) to quarantine."""
    tables.projects, tables.activities, tables.quarantine = screen_isun_tables(
        tables.projects, tables.activities, tables.quarantine, PROJECTS, ACTIVITIES)
    tables.keep_projects(set(tables.projects["project_code"]))
    return tables


def parse_and_build_in_batches(records: list[RawResponse], read_body, batch_contracts: int = 2000,
                               screen: bool = True) -> IsunTables:
    """Parse, normalise and screen `batch_contracts` contracts at a time, so the parsed
    pages and intermediate rows of only one batch are in memory; the typed tables of the
    batches are concatenated.

    All tabs of a contract fall in the same batch, so merging tabs, and screening a
    project together with its activities, work as in one pass.
    """
    by_contract: dict[str, list[RawResponse]] = {}
    for record in records:
        by_contract.setdefault(contract_id_and_tab(record.url)[0] or record.url, []).append(record)
    keys = list(by_contract)
    parts: list[IsunTables] = []
    for start in range(0, len(keys), batch_contracts):
        batch = [r for key in keys[start:start + batch_contracts] for r in by_contract[key]]
        parsed, rejected = parse_archived_pages(batch, read_body)
        tables = build_isun_tables(parsed, rejected)
        del parsed
        parts.append(screen_tables(tables) if screen else tables)
    if not parts:
        return build_isun_tables([], [])
    return IsunTables(**{name: pd.concat([getattr(t, name) for t in parts], ignore_index=True)
                         for name in ("projects", "activities", "quarantine", "project_organisations")})


def parse_archived_pages(records: list[RawResponse], read_body) -> tuple[list, list[dict]]:
    """Parse the newest usable response per URL.

    A WAF page or an HTTP error never replaces an older good response; where a URL has
    no good response at all, its newest one goes to quarantine with the reason.
    """
    by_url: dict[str, list[RawResponse]] = {}
    for record in records:
        by_url.setdefault(record.url, []).append(record)
    parsed, rejected = [], []
    for url, versions in by_url.items():
        chosen, first_rejection = None, None
        for record in reversed(versions):
            body = read_body(record.sha256)
            rejection = _rejection(record, body)
            if rejection is None:
                chosen = (record, body)
                break
            first_rejection = first_rejection or rejection
        if chosen is None:
            rejected.append(first_rejection)
            continue
        record, body = chosen
        try:
            text = decode_body(body, record.content_type)
            if "text/plain" in record.content_type:
                page = parse_isun_text(text, record.url)
            else:
                page = parse_isun_html(text, record.url)
        except PageStructureError as exc:
            rejected.append(quarantine_row("pages", record.url, "page_structure", None, None, str(exc), record))
            continue
        parsed.append((page, record))
    return parsed, rejected


CODE_PACKAGES = ("sources", "transforms", "quality", "warehouse")


def code_version() -> str:
    """A digest of the code that turns pages into releases: a change in it forces a rebuild."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for package in CODE_PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".csv", ".json"}:
                digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def build_fingerprint(records: list[RawResponse]) -> str:
    return inputs_fingerprint(records, extra=code_version())


def last_release_fingerprint(settings: Settings) -> str | None:
    report = settings.publish_dir / "latest" / "quality_report.json"
    if not report.exists():
        return None
    return json.loads(report.read_text(encoding="utf-8")).get("inputs_fingerprint")


@dg.asset(group_name="core", deps=[raw_isun__contract_pages], output_required=False,
          description="Parsed and normalised ИСУН tables (intermediate), from every archived contract page.")
def _core_isun__tables(context: dg.AssetExecutionContext, settings: Settings):
    # Everything archived so far, not only this run's fetches: unchanged contracts stay in.
    archive = settings.raw_archive
    records = [r for r in archive.records() if is_contract_page(r.url)]
    fingerprint = build_fingerprint(list(archive.records()))  # documents count too
    previous = last_release_fingerprint(settings)
    if fingerprint == previous and not settings.force_rebuild:
        context.log.info(f"inputs unchanged since the last release ({fingerprint[:12]}): nothing to rebuild")
        return
    tables = parse_and_build_in_batches(records, archive.read)
    context.add_output_metadata({
        "pages_read": len(records),
        "pages_rejected": int((tables.quarantine["table_name"] == "pages").sum()),
        "projects": len(tables.projects),
        "activities": len(tables.activities),
        "rows_quarantined": len(tables.quarantine),
        "inputs_fingerprint": fingerprint,
    })
    yield dg.Output(tables)


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


@dg.asset(group_name="core", description=PROJECT_ORGANISATIONS.en)
def core_isun__project_organisations(_core_isun__tables: IsunTables) -> dg.Output[pd.DataFrame]:
    df = _core_isun__tables.project_organisations
    return dg.Output(df, metadata={"rows": len(df), "by_role": df["role"].value_counts().to_dict()})


@dg.asset(group_name="core", description=ORGANISATIONS.en)
def core_bgfunds__organisations(core_isun__project_organisations: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    df = organisations_table(core_isun__project_organisations)
    return dg.Output(df, metadata={"rows": len(df), "with_eik": int(df["eik"].notna().sum())})


@dg.asset(group_name="core", description=PROJECT_PLACES.en)
def core_isun__project_places(core_isun__projects: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    df = project_places_table(core_isun__projects)
    return dg.Output(df, metadata={"rows": len(df), "by_level": df["level"].value_counts().to_dict()})


# Every published table besides projects and activities, by the asset that builds it.
OTHER_TABLE_ASSETS = {
    "core_reference__programmes": PROGRAMMES,
    "core_reference__places": PLACES,
    "core_documents__places": DOCUMENT_PLACES,
    "core_bgfunds__organisations": ORGANISATIONS,
    "core_isun__project_organisations": PROJECT_ORGANISATIONS,
    "core_isun__project_places": PROJECT_PLACES,
    "core_news__mentions": NEWS_MENTIONS,
    "core_ngo__projects": NGO_PROJECTS,
    "core_events__events": EVENTS,
    "core_strategies__strategies": STRATEGIES,
    "core_strategies__measures": STRATEGY_MEASURES,
    "core_bgfunds__linked_projects": LINKED_PROJECTS,
    "core_bgfunds__project_sources": PROJECT_SOURCES,
    "core_bgfunds__project_conflicts": PROJECT_CONFLICTS,
}
# Every table in the warehouse (besides the archive's manifest), by the asset that builds it.
TABLE_ASSETS = {"core_isun__projects": PROJECTS, "core_isun__activities": ACTIVITIES,
                "core_isun__quarantine": QUARANTINE, **OTHER_TABLE_ASSETS}


@dg.asset(group_name="out", ins={name: dg.AssetIn(name) for name in TABLE_ASSETS},
          description="The DuckDB warehouse (data/warehouse.duckdb), written only after the checks pass.")
def out_bgfunds__warehouse(context: dg.AssetExecutionContext, settings: Settings, **tables: pd.DataFrame) -> str:
    manifest = pd.DataFrame(
        [{**asdict(r), "headers": json.dumps(r.headers, ensure_ascii=False)} for r in settings.raw_archive.records()],
        columns=RAW_RESPONSES.columns)
    counts = write_warehouse(settings.warehouse_path, [
        *((table, tables[name]) for name, table in TABLE_ASSETS.items()), (RAW_RESPONSES, manifest)])
    context.add_output_metadata({"path": str(settings.warehouse_path.resolve()), **counts})
    return str(settings.warehouse_path)


@dg.asset(group_name="reference", description=PROGRAMMES.en)
def core_reference__programmes() -> dg.Output[pd.DataFrame]:
    df = programmes_table()[PROGRAMMES.columns]
    return dg.Output(df, metadata={"rows": len(df), "by_period": df["period"].value_counts().to_dict()})


@dg.asset(group_name="reference", description=PLACES.en)
def core_reference__places() -> dg.Output[pd.DataFrame]:
    df = places_table()[PLACES.columns]
    return dg.Output(df, metadata={"rows": len(df), "by_level": df["level"].value_counts().to_dict()})


@dg.asset(group_name="out", ins={name: dg.AssetIn(name) for name in OTHER_TABLE_ASSETS},
          description="A validated, documented release in data/publish/releases/<date>/, "
          "with data/publish/latest switched to it only when everything passed.")
def out_bgfunds__release(
    context: dg.AssetExecutionContext,
    settings: Settings,
    out_bgfunds__warehouse: str,
    core_isun__projects: pd.DataFrame,
    core_isun__activities: pd.DataFrame,
    **other_tables: pd.DataFrame,
) -> str:
    quality = {"inputs_fingerprint": build_fingerprint(list(settings.raw_archive.records())), "tables": {
        "projects": validate_table(PROJECTS, core_isun__projects).as_dict(),
        "activities": validate_table(ACTIVITIES, core_isun__activities,
                                     {"project_code": core_isun__projects["project_code"].tolist()}).as_dict(),
        **{table.name: validate_table(table, other_tables[name]).as_dict()
           for name, table in OTHER_TABLE_ASSETS.items()},
    }}
    release = build_release(out_bgfunds__warehouse, settings.publish_dir, quality)
    context.add_output_metadata({
        "release": str(release.resolve()),
        "latest": str((settings.publish_dir / "latest").resolve()),
        "files": dg.MetadataValue.json({f.name: f.stat().st_size for f in sorted(release.iterdir())}),
    })
    return str(release)
