"""Assets for the other source kinds: documents -> extracted records -> tables; and linking.

Groups: `documents` (raw and records), `news`, `ngo`, `events`, `strategies`, `linking`.
"""

import dagster as dg
import pandas as pd

from pipelines.code_versions import code_version
from pipelines.io_managers import table_metadata, table_out
from pipelines.link_reuse import stage_links
from pipelines.resources import DocumentSource, Settings
from registry import tables_by_asset
from registry.documents import (
    DOCUMENT_TABLES,
    LINKED_PROJECTS,
    PROJECT_CONFLICTS,
    PROJECT_SOURCES,
)
from sources.documents import DocumentError, html_to_text, read_document
from sources.extract import extract
from sources.raw_archive import newest_per_url
from transforms.extracted_tables import claims_from_extracted, extracted_tables
from transforms.isun_bulk import CLAIM_SOURCE_COLUMNS, claims_from_api, claims_from_export
from transforms.linking import ISUN_CLAIM_COLUMNS, claims_from_isun, key_claims
from warehouse.staging import StagedTable


@dg.asset(
    group_name="documents",
    code_version=code_version("pipelines.resources"),
    description="Municipal news, NGO pages, events and strategies, archived before parsing.",
)
def raw_documents__pages(
    context: dg.AssetExecutionContext, settings: Settings, documents: DocumentSource
) -> list[str]:
    records = documents.fetch_into(settings, context.log)
    context.add_output_metadata({"documents": len(records)})
    return sorted({r.url for r in records})


@dg.asset(
    group_name="documents",
    code_version=code_version("sources.documents", "sources.extract"),
    description="One extracted record per document, with spans, flags and provenance.",
)
def _core_documents__records(
    context: dg.AssetExecutionContext, settings: Settings, raw_documents__pages: list[str]
) -> list[dict]:
    archive = settings.raw_archive
    wanted = set(raw_documents__pages)
    latest = newest_per_url(archive.records(), lambda r: r.url in wanted and r.status in (200, 304))
    out, failed = [], 0
    for url, raw in sorted(latest.items()):
        try:
            text, fmt = read_document(
                url.rsplit("/", 1)[-1], archive.read(raw.sha256), raw.content_type
            )
        except DocumentError as exc:
            failed += 1
            context.log.warning(str(exc))
            continue
        record = extract(html_to_text(text) if fmt == "html" else text, "auto")
        record.update(
            source_url=url,
            fetched_at=pd.Timestamp(raw.fetched_at),
            content_sha256=raw.sha256,
            format=fmt,
        )
        out.append(record)
    context.add_output_metadata(
        {
            "records": len(out),
            "unreadable": failed,
            "by_kind": pd.Series([r["kind"] for r in out]).value_counts().to_dict(),
        }
    )
    return out


EXTRACTED_VERSION = code_version("transforms.extracted_tables")


def _document_table(name: str, group_name: str, description: str):
    """The asset of one table extracted from the documents (`transforms.extracted_tables`),
    named as the table."""
    table = DOCUMENT_TABLES[name]

    @dg.asset(
        name=name,
        group_name=group_name,
        description=description,
        code_version=EXTRACTED_VERSION,
        metadata=table_metadata(table),
    )
    def _asset(_core_documents__records: list[dict]) -> pd.DataFrame:
        return extracted_tables(_core_documents__records)[name]

    return _asset


news_mentions = _document_table(
    "news_mentions", "news", "Projects announced on municipal news pages."
)
ngo_projects = _document_table("ngo_projects", "ngo", "Projects described on NGO project pages.")
events = _document_table("events", "events", "Events under a procedure announced on NGO portals.")
strategies = _document_table(
    "strategies",
    "strategies",
    "Municipal strategies and their adopting decisions.",
)
strategy_measures = _document_table(
    "strategy_measures",
    "strategies",
    "Stages, partnership mechanisms and financing sources of strategies.",
)
document_places = _document_table(
    "document_places",
    "places",
    "Districts and municipalities each document names, resolved to the gazetteer.",
)

# The linking pass's tables, each by the asset that holds it.
LINK_TABLES = {
    asset: table
    for asset, table in tables_by_asset(DOCUMENT_TABLES).items()
    if table in (LINKED_PROJECTS, PROJECT_SOURCES, PROJECT_CONFLICTS)
}
# The link step's store of its previous tables (`pipelines.link_reuse`) is kept per this version.
LINKS_VERSION = code_version(
    "transforms.linking",
    "transforms.isun_bulk",
    "transforms.extracted_tables",
    "pipelines.link_reuse",
)


@dg.multi_asset(
    name="_core_bgfunds__links",
    outs={
        asset: table_out(table, LINKS_VERSION, "linking") for asset, table in LINK_TABLES.items()
    },
    description="ИСУН contracts and other sources' claims joined into one record per project: "
    "linked projects, every source's values and the conflicts.",
)
def _core_bgfunds__links(
    context: dg.AssetExecutionContext,
    settings: Settings,
    _core_isun__project_pages: StagedTable,
    _core_documents__records: list[dict],
    isun_api_projects: StagedTable,
    isun_export_projects: StagedTable,
):
    # Linking compares every project with every other source, so it reads the projects'
    # claim columns whole (narrow: codes, names, amounts, dates), not their free text.
    pages = _core_isun__project_pages.to_pandas(columns=ISUN_CLAIM_COLUMNS)
    # The open-data API and the register export speak of every project by its proposal
    # code; linking reconciles them row by row and joins them to the pages' contracts.
    claims = pd.concat(
        [
            claims_from_isun(pages),
            claims_from_api(
                isun_api_projects.to_pandas(
                    columns=CLAIM_SOURCE_COLUMNS + ["start_date", "end_date"]
                )
            ),
            claims_from_export(isun_export_projects.to_pandas(columns=CLAIM_SOURCE_COLUMNS)),
            claims_from_extracted(_core_documents__records),
        ],
        ignore_index=True,
    )
    del pages
    # Every claim is keyed (the proposal a contract extends, an uncoded claim's best match look
    # at all projects); the tables are made afresh only for the keys whose claims changed.
    staged = stage_links(
        settings.staging_dir,
        {table.name: table for table in LINK_TABLES.values()},
        key_claims(claims),
        LINKS_VERSION,
        force=settings.force_rebuild,
        log=context.log,
    )
    del claims
    for asset, table in LINK_TABLES.items():
        metadata = {}
        if table is LINKED_PROJECTS:
            metadata["multi_source"] = _multi_source(staged[table.name])
        yield dg.Output(staged[table.name], output_name=asset, metadata=metadata)


def _multi_source(linked: StagedTable) -> int:
    import duckdb

    con = duckdb.connect()
    try:
        return int(
            con.execute(f"SELECT count(*) FROM {linked.scan_sql()} WHERE n_sources > 1").fetchone()[
                0
            ]
        )
    finally:
        con.close()
