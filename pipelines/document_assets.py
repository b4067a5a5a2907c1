"""Assets for the other source kinds: documents -> extracted records -> tables; and linking.

Groups: `documents` (raw and records), `news`, `ngo`, `events`, `strategies`, `linking`.
"""

from dataclasses import dataclass

import dagster as dg
import pandas as pd

from pipelines.resources import DocumentSource, Settings
from sources.documents import DocumentError, html_to_text, read_document
from sources.extract import extract
from sources.raw_archive import RawResponse
from transforms.extracted_tables import claims_from_extracted, extracted_tables
from transforms.isun_bulk import CLAIM_SOURCE_COLUMNS, claims_from_api, claims_from_export
from transforms.linking import ISUN_CLAIM_COLUMNS, claims_from_isun, link_claims
from warehouse.metadata_documents import (
    DOCUMENT_TABLES,
    LINKED_PROJECTS,
    PROJECT_CONFLICTS,
    PROJECT_SOURCES,
)
from warehouse.staging import StagedTable, stage_frame


@dg.asset(
    group_name="documents",
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
    deps=["_core_bgfunds__inputs"],
    description="One extracted record per document, with spans, flags and provenance.",
)
def _core_documents__records(
    context: dg.AssetExecutionContext, settings: Settings, raw_documents__pages: list[str]
) -> list[dict]:
    archive = settings.raw_archive
    latest: dict[str, RawResponse] = {}
    wanted = set(raw_documents__pages)
    for record in archive.records():
        if record.url in wanted and record.status in (200, 304):
            latest[record.url] = record
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


def _table(settings: Settings, records: list[dict], name: str) -> dg.Output[StagedTable]:
    df = extracted_tables(records)[name]
    staged = stage_frame(settings.staging_dir, DOCUMENT_TABLES[name], df)
    return dg.Output(staged, metadata={"rows": staged.rows})


@dg.asset(group_name="news", description="Projects announced on municipal news pages.")
def core_news__mentions(
    settings: Settings, _core_documents__records: list[dict]
) -> dg.Output[StagedTable]:
    return _table(settings, _core_documents__records, "news_mentions")


@dg.asset(group_name="ngo", description="Projects described on NGO project pages.")
def core_ngo__projects(
    settings: Settings, _core_documents__records: list[dict]
) -> dg.Output[StagedTable]:
    return _table(settings, _core_documents__records, "ngo_projects")


@dg.asset(group_name="events", description="Events under a procedure announced on NGO portals.")
def core_events__events(
    settings: Settings, _core_documents__records: list[dict]
) -> dg.Output[StagedTable]:
    return _table(settings, _core_documents__records, "events")


@dg.asset(group_name="strategies", description="Municipal strategies and their adopting decisions.")
def core_strategies__strategies(
    settings: Settings, _core_documents__records: list[dict]
) -> dg.Output[StagedTable]:
    return _table(settings, _core_documents__records, "strategies")


@dg.asset(
    group_name="strategies",
    description="Stages, partnership mechanisms and financing sources of strategies.",
)
def core_strategies__measures(
    settings: Settings, _core_documents__records: list[dict]
) -> dg.Output[StagedTable]:
    return _table(settings, _core_documents__records, "strategy_measures")


@dg.asset(
    group_name="places",
    description="Districts and municipalities each document names, resolved to the gazetteer.",
)
def core_documents__places(
    settings: Settings, _core_documents__records: list[dict]
) -> dg.Output[StagedTable]:
    out = _table(settings, _core_documents__records, "document_places")
    out.metadata["unresolved"] = dg.MetadataValue.int(
        int((out.value.to_pandas(["level"])["level"] == "unresolved").sum())
    )
    return out


@dataclass(frozen=True)
class StagedLinks:
    """The three tables of one linking pass, staged, and how many projects have several sources."""

    linked_projects: StagedTable
    project_sources: StagedTable
    project_conflicts: StagedTable
    multi_source: int


@dg.asset(
    group_name="linking",
    description="ИСУН contracts and other sources' claims joined into one record per "
    "project (intermediate): linked projects, every source's values and the conflicts, staged as Parquet.",
)
def _core_bgfunds__links(
    settings: Settings,
    core_isun__projects: StagedTable,
    _core_documents__records: list[dict],
    core_isun__api_projects: StagedTable,
    core_isun__export_projects: StagedTable,
) -> StagedLinks:
    # Linking compares every project with every other source, so it reads the projects'
    # claim columns whole (narrow: codes, names, amounts, dates), not their free text.
    # Its tables are staged here rather than returned: Dagster keeps an in-process run's
    # outputs until the run ends, and at 50 000 contracts these frames are ~300 MB.
    projects = core_isun__projects.to_pandas(columns=ISUN_CLAIM_COLUMNS)
    # The open-data API and the register export speak of every project by its proposal
    # code; linking reconciles them row by row and joins them to the pages' contracts.
    claims = pd.concat(
        [
            claims_from_isun(projects),
            claims_from_api(
                core_isun__api_projects.to_pandas(
                    columns=CLAIM_SOURCE_COLUMNS + ["start_date", "end_date"]
                )
            ),
            claims_from_export(core_isun__export_projects.to_pandas(columns=CLAIM_SOURCE_COLUMNS)),
            claims_from_extracted(_core_documents__records),
        ],
        ignore_index=True,
    )
    del projects
    result = link_claims(claims)
    del claims
    root = settings.staging_dir
    return StagedLinks(
        linked_projects=stage_frame(root, LINKED_PROJECTS, result.linked_projects),
        project_sources=stage_frame(root, PROJECT_SOURCES, result.project_sources),
        project_conflicts=stage_frame(root, PROJECT_CONFLICTS, result.project_conflicts),
        multi_source=int((result.linked_projects["n_sources"] > 1).sum()),
    )


@dg.asset(group_name="linking", description="One record per project across sources.")
def core_bgfunds__linked_projects(_core_bgfunds__links: StagedLinks) -> dg.Output[StagedTable]:
    staged = _core_bgfunds__links.linked_projects
    return dg.Output(
        staged, metadata={"rows": staged.rows, "multi_source": _core_bgfunds__links.multi_source}
    )


@dg.asset(group_name="linking", description="Every source's value of every field, with provenance.")
def core_bgfunds__project_sources(_core_bgfunds__links: StagedLinks) -> dg.Output[StagedTable]:
    staged = _core_bgfunds__links.project_sources
    return dg.Output(staged, metadata={"rows": staged.rows})


@dg.asset(group_name="linking", description="Fields where linked sources disagree.")
def core_bgfunds__project_conflicts(_core_bgfunds__links: StagedLinks) -> dg.Output[StagedTable]:
    staged = _core_bgfunds__links.project_conflicts
    return dg.Output(staged, metadata={"rows": staged.rows})
