"""Assets for ИСУН's bulk sources: the archived open-data API answers and register export -> tables.

Reads only the raw archive (the newest JSON answer per API URL, the newest XLSX export),
streams each programme's answer (`sources.isun_opendata.stream_items`) and writes the
tables a batch of rows at a time, so the largest programme is never held whole. Rows that
cannot be read go to `quarantine` (with the field and value); an export whose header
changed fails the asset loudly (`ExportHeaderError`), stopping the release.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pandas as pd

from pipelines.code_versions import code_version
from pipelines.io_managers import table_metadata
from pipelines.resources import Settings
from sources.isun_opendata import (
    is_criteria_url,
    not_json_reason,
    parse_criteria,
    programme_of_url,
    stream_header,
    stream_items,
)
from sources.isun_register_export import is_export_url, read_export
from sources.raw_archive import RawArchive, RawResponse
from transforms.isun_bulk import (
    BulkRowError,
    api_contract_row,
    api_currency,
    api_place_rows,
    api_project_row,
    entity_row,
    export_row,
)
from warehouse.metadata import QUARANTINE, tables_by_asset
from warehouse.metadata_isun_bulk import (
    BULK_TABLES,
    ISUN_API_CONTRACTS,
    ISUN_API_PLACES,
    ISUN_API_PROGRAMMES,
    ISUN_API_PROJECTS,
    ISUN_ENTITIES,
    ISUN_EXPORT_PROJECTS,
)
from warehouse.staging import StagedTable, finish, new_version_dir, stage_frame, write_part

BATCH_ROWS = 5_000


@dataclass
class StagedBulk:
    projects: StagedTable
    places: StagedTable
    contracts: StagedTable
    entities: StagedTable
    programmes: StagedTable
    export: StagedTable
    quarantine: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


def newest_bulk_responses(
    archive: RawArchive,
) -> tuple[RawResponse | None, dict[str, RawResponse], RawResponse | None]:
    """(criteria, {programme URL: answer}, export): the newest good answer of each.

    An HTML answer (the rate limit) or a WAF page is never data: the previous good answer
    of that URL stays in use.
    """
    criteria, programmes, export = None, {}, None
    for record in archive.records():
        if record.status not in (200, 304):
            continue
        if is_criteria_url(record.url) or programme_of_url(record.url):
            with open(archive.path_for(record.sha256), "rb") as fh:
                if not_json_reason(fh.read(512), record.content_type):
                    continue
            if is_criteria_url(record.url):
                criteria = record
            else:
                programmes[record.url] = record
        elif is_export_url(record.url):
            with open(archive.path_for(record.sha256), "rb") as fh:
                if fh.read(4) != b"PK\x03\x04":
                    continue
            export = record
    return criteria, programmes, export


def _provenance(record: RawResponse) -> dict:
    return {
        "source_url": record.url,
        "fetched_at": pd.Timestamp(record.fetched_at),
        "content_sha256": record.sha256,
    }


def _quarantine_row(table: str, key, exc: Exception, record: RawResponse) -> dict:
    return {
        "table_name": table,
        "record_key": key,
        "rule": "bulk_row_unreadable",
        "field": None,
        "value": None,
        "message": str(exc)[:1000],
        **_provenance(record),
    }


class _Writer:
    """Rows -> Parquet parts of one staged table, BATCH_ROWS at a time."""

    def __init__(self, root: Path, table):
        self.root, self.table = root, table
        self.directory = new_version_dir(root, table)
        self.rows: list[dict] = []
        self.parts = 0

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            write_part(
                self.table,
                self.directory,
                self.parts,
                pd.DataFrame(self.rows, columns=self.table.columns),
            )
            self.parts += 1
            self.rows = []

    def finish(self) -> StagedTable:
        self.flush()
        return finish(self.root, self.table, self.directory)


def stage_bulk_tables(archive: RawArchive, root: Path | str, log=None) -> StagedBulk:
    root = Path(root)
    criteria, answers, export = newest_bulk_responses(archive)
    quarantine: list[dict] = []
    names: dict[tuple[str, str], str] = {}
    if criteria is not None:
        names = {
            (p.programme_id, p.period_id): p.name
            for p in parse_criteria(archive.read(criteria.sha256), criteria.url)
        }
    # Entities first (every programme's), so each project finds its beneficiary's ЕИК.
    entities: dict[str, dict] = {}
    for _url, record in sorted(answers.items()):
        path = archive.path_for(record.sha256)
        for i, entity in enumerate(stream_items(path, "entities")):
            try:
                row = entity_row(entity, _provenance(record))
            except BulkRowError as exc:
                quarantine.append(
                    _quarantine_row(ISUN_ENTITIES.name, f"entities[{i}]", exc, record)
                )
                continue
            entities.setdefault(row["entity_id"], row)
    projects_out, places_out = _Writer(root, ISUN_API_PROJECTS), _Writer(root, ISUN_API_PLACES)
    contracts_out = _Writer(root, ISUN_API_CONTRACTS)
    programme_rows = []
    seen_places: set[tuple] = set()
    contract_keys: set[tuple] = set()
    positions: Counter = Counter()
    duplicates = 0
    for url, record in sorted(answers.items()):
        programme_id, period_id = programme_of_url(url)
        path = archive.path_for(record.sha256)
        header = stream_header(path)
        currency, basis = api_currency(header.get("generatedAt"), record.fetched_at)
        programme = {
            "programme_id": programme_id,
            "period_id": period_id,
            "name": names.get((programme_id, period_id)),
            "generated_at": header.get("generatedAt"),
        }
        published = 0
        for i, project in enumerate(stream_items(path, "projects")):
            try:
                row = api_project_row(
                    project, programme, entities, currency, basis, _provenance(record)
                )
            except BulkRowError as exc:
                quarantine.append(
                    _quarantine_row(ISUN_API_PROJECTS.name, f"projects[{i}]", exc, record)
                )
                continue
            positions[row["proposal_code"]] += 1
            row["position"] = positions[row["proposal_code"]]
            projects_out.add(row)
            published += 1
            for place in api_place_rows(row):
                key = (place["proposal_code"], place["level"], place["text"])
                if key not in seen_places:
                    seen_places.add(key)
                    places_out.add(place)
        for i, contract in enumerate(stream_items(path, "contracts")):
            try:
                row = api_contract_row(contract, entities, currency, _provenance(record))
            except BulkRowError as exc:
                quarantine.append(
                    _quarantine_row(ISUN_API_CONTRACTS.name, f"contracts[{i}]", exc, record)
                )
                continue
            key = (row["contract_key"], row["contractor_entity_id"])
            if row["contractor_entity_id"] is None or key in contract_keys:
                duplicates += 1
                continue
            contract_keys.add(key)
            contracts_out.add(row)
        total = header.get("totalProjects")
        programme_rows.append(
            {
                "isun_programme_id": programme_id,
                "isun_period_id": period_id,
                "programme_name": programme["name"],
                "total_projects": int(total) if total is not None else None,
                "projects_published": published,
                "generated_at": header.get("generatedAt"),
                **_provenance(record),
            }
        )
        if log:
            log.info(
                f"open-data programme {programme_id}/{period_id}: {published} projects "
                f"(announced {total}), currency {currency}"
            )
    # Programmes listed but never fetched yet: rows with no counts, so coverage names them.
    fetched = {(r["isun_programme_id"], r["isun_period_id"]) for r in programme_rows}
    for (programme_id, period_id), name in sorted(names.items()):
        if (programme_id, period_id) not in fetched:
            programme_rows.append(
                {
                    "isun_programme_id": programme_id,
                    "isun_period_id": period_id,
                    "programme_name": name,
                    "total_projects": None,
                    "projects_published": 0,
                    "generated_at": None,
                    "source_url": None,
                    "fetched_at": None,
                    "content_sha256": None,
                }
            )
    entities_df = pd.DataFrame(list(entities.values()), columns=ISUN_ENTITIES.columns)
    del entities
    export_out = _Writer(root, ISUN_EXPORT_PROJECTS)
    if export is not None:
        export_positions: Counter = Counter()
        for raw in read_export(archive.path_for(export.sha256), export.url):
            try:
                row = export_row(
                    raw,
                    "EUR" if export.fetched_at[:10] >= "2026-01-01" else "BGN",
                    _provenance(export),
                )
            except BulkRowError as exc:
                quarantine.append(
                    _quarantine_row(
                        ISUN_EXPORT_PROJECTS.name, f"row {raw.get('row_no')}", exc, export
                    )
                )
                continue
            export_positions[row["proposal_code"]] += 1
            row["position"] = export_positions[row["proposal_code"]]
            export_out.add(row)
    bulk = StagedBulk(
        projects=projects_out.finish(),
        places=places_out.finish(),
        contracts=contracts_out.finish(),
        entities=stage_frame(root, ISUN_ENTITIES, entities_df),
        programmes=stage_frame(
            root,
            ISUN_API_PROGRAMMES,
            pd.DataFrame(programme_rows, columns=ISUN_API_PROGRAMMES.columns),
        ),
        export=export_out.finish(),
        quarantine=pd.DataFrame(quarantine, columns=QUARANTINE.columns),
    )
    bulk.counts = {
        "api_answers": len(answers),
        "export": int(export is not None),
        "duplicate_contract_rows": duplicates,
        "rows_quarantined": len(quarantine),
    }
    return bulk


def append_quarantine(staged: StagedTable, rows: pd.DataFrame) -> StagedTable:
    """The quarantine table with the bulk sources' rejected rows added as one more part."""
    if rows.empty:
        return staged
    write_part(QUARANTINE, staged.path, 900_000, rows)
    return StagedTable(staged.table, staged.path, staged.rows + len(rows))


# The bulk tables of the registry, by the field of `StagedBulk` that holds each.
BULK_FIELDS = {
    ISUN_API_PROJECTS.name: "projects",
    ISUN_API_PLACES.name: "places",
    ISUN_API_CONTRACTS.name: "contracts",
    ISUN_ENTITIES.name: "entities",
    ISUN_API_PROGRAMMES.name: "programmes",
    ISUN_EXPORT_PROJECTS.name: "export",
}
BULK_ASSETS = {
    asset: table
    for asset, table in tables_by_asset(BULK_TABLES).items()
    if table.name in BULK_FIELDS
}
BULK_QUARANTINE = "_core_isun__bulk_quarantine"
BULK_VERSION = code_version("pipelines.isun_bulk_assets")


@dg.multi_asset(
    name="_core_isun__bulk",
    outs={
        **{
            asset: dg.AssetOut(
                group_name="core",
                description=table.en,
                code_version=BULK_VERSION,
                metadata=table_metadata(table),
            )
            for asset, table in BULK_ASSETS.items()
        },
        BULK_QUARANTINE: dg.AssetOut(
            group_name="core",
            code_version=BULK_VERSION,
            description="Rows of the bulk sources that could not be read (intermediate).",
        ),
    },
    description="ИСУН's open-data API answers and register export, streamed from the raw archive into "
    "staged tables.",
)
def _core_isun__bulk(context: dg.AssetExecutionContext, settings: Settings):
    bulk = stage_bulk_tables(settings.raw_archive, settings.staging_dir, context.log)
    for asset, table in BULK_ASSETS.items():
        yield dg.Output(getattr(bulk, BULK_FIELDS[table.name]), output_name=asset)
    yield dg.Output(bulk.quarantine, output_name=BULK_QUARANTINE, metadata=bulk.counts)
