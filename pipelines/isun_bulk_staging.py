"""ИСУН's bulk sources staged: the archived open-data API answers and register export -> Parquet parts.

Reads only the raw archive (the newest JSON answer per API URL, the newest XLSX export,
`sources.isun_opendata.newest_bulk_responses`), streams each programme's answer and
writes the tables a batch of rows at a time, so the largest programme is never held
whole. Rows come from `transforms.isun_bulk`; a row that cannot be read goes to
quarantine (with the field and value); an export whose header changed fails loudly
(`ExportHeaderError`), stopping the release.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from records.raw import RawResponse
from registry.isun_bulk import (
    ISUN_API_CONTRACTS,
    ISUN_API_PLACES,
    ISUN_API_PROGRAMMES,
    ISUN_API_PROJECTS,
    ISUN_ENTITIES,
    ISUN_EXPORT_PROJECTS,
)
from registry.tables import QUARANTINE
from sources.isun_opendata import (
    newest_bulk_responses,
    parse_criteria,
    programme_of_url,
    stream_header,
    stream_items,
)
from sources.isun_register_export import read_export
from sources.raw_archive import RawArchive
from transforms.isun_bulk import (
    BulkRowError,
    api_contract_row,
    api_currency,
    api_place_rows,
    api_project_row,
    bulk_quarantine_row,
    entity_row,
    export_currency,
    export_row,
    programme_row,
    provenance,
    unfetched_programme_rows,
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

    def tables(self) -> dict[str, StagedTable]:
        """Each staged table by its registry name."""
        staged = (self.projects, self.places, self.contracts, self.entities, self.programmes)
        return {t.table: t for t in (*staged, self.export)}


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


class _ApiWriters:
    """The three tables every programme's answer adds to, and what they have seen so far."""

    def __init__(self, root: Path):
        self.projects = _Writer(root, ISUN_API_PROJECTS)
        self.places = _Writer(root, ISUN_API_PLACES)
        self.contracts = _Writer(root, ISUN_API_CONTRACTS)
        self.seen_places: set[tuple] = set()
        self.contract_keys: set[tuple] = set()
        self.positions: Counter = Counter()
        self.duplicates = 0


def _programme_names(archive: RawArchive, criteria: RawResponse | None) -> dict:
    """{(programme id, period id): name} from the criteria answer, if one was archived."""
    if criteria is None:
        return {}
    return {
        (p.programme_id, p.period_id): p.name
        for p in parse_criteria(archive.read(criteria.sha256), criteria.url)
    }


def _read_entities(archive: RawArchive, answers: dict, quarantine: list[dict]) -> dict[str, dict]:
    """Every programme's entities, first, so each project finds its beneficiary's ЕИК."""
    entities: dict[str, dict] = {}
    for _url, record in sorted(answers.items()):
        for i, entity in enumerate(stream_items(archive.path_for(record.sha256), "entities")):
            try:
                row = entity_row(entity, provenance(record))
            except BulkRowError as exc:
                quarantine.append(
                    bulk_quarantine_row(ISUN_ENTITIES.name, f"entities[{i}]", exc, record)
                )
                continue
            entities.setdefault(row["entity_id"], row)
    return entities


def _stage_projects(path, record, programme, entities, currency, basis, out, quarantine) -> int:
    """One answer's projects and their places; returns how many projects were published."""
    published = 0
    for i, project in enumerate(stream_items(path, "projects")):
        try:
            row = api_project_row(project, programme, entities, currency, basis, provenance(record))
        except BulkRowError as exc:
            quarantine.append(
                bulk_quarantine_row(ISUN_API_PROJECTS.name, f"projects[{i}]", exc, record)
            )
            continue
        out.positions[row["proposal_code"]] += 1
        row["position"] = out.positions[row["proposal_code"]]
        out.projects.add(row)
        published += 1
        for place in api_place_rows(row):
            key = (place["proposal_code"], place["level"], place["text"])
            if key not in out.seen_places:
                out.seen_places.add(key)
                out.places.add(place)
    return published


def _stage_contracts(path, record, entities, currency, out, quarantine) -> None:
    """One answer's contracts, each (contract, contractor) once; a row without a contractor is counted, not kept."""
    for i, contract in enumerate(stream_items(path, "contracts")):
        try:
            row = api_contract_row(contract, entities, currency, provenance(record))
        except BulkRowError as exc:
            quarantine.append(
                bulk_quarantine_row(ISUN_API_CONTRACTS.name, f"contracts[{i}]", exc, record)
            )
            continue
        key = (row["contract_key"], row["contractor_entity_id"])
        if row["contractor_entity_id"] is None or key in out.contract_keys:
            out.duplicates += 1
            continue
        out.contract_keys.add(key)
        out.contracts.add(row)


def _stage_answer(archive, url, record, names, entities, out, quarantine, log) -> dict:
    """One programme's answer staged; returns its `isun_api_programmes` row."""
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
    published = _stage_projects(path, record, programme, entities, currency, basis, out, quarantine)
    _stage_contracts(path, record, entities, currency, out, quarantine)
    row = programme_row(programme, header.get("totalProjects"), published, record)
    if log:
        log.info(
            f"open-data programme {programme_id}/{period_id}: {published} projects "
            f"(announced {row['total_projects']}), currency {currency}"
        )
    return row


def _stage_export(archive, export: RawResponse | None, root: Path, quarantine) -> StagedTable:
    """The newest register export's rows, numbered per proposal code."""
    out = _Writer(root, ISUN_EXPORT_PROJECTS)
    if export is None:
        return out.finish()
    positions: Counter = Counter()
    for raw in read_export(archive.path_for(export.sha256), export.url):
        try:
            row = export_row(raw, export_currency(export.fetched_at), provenance(export))
        except BulkRowError as exc:
            quarantine.append(
                bulk_quarantine_row(
                    ISUN_EXPORT_PROJECTS.name, f"row {raw.get('row_no')}", exc, export
                )
            )
            continue
        positions[row["proposal_code"]] += 1
        row["position"] = positions[row["proposal_code"]]
        out.add(row)
    return out.finish()


def stage_bulk_tables(archive: RawArchive, root: Path | str, log=None) -> StagedBulk:
    """Every bulk table staged under `root`, with the rows that could not be read as quarantine."""
    root = Path(root)
    criteria, answers, export = newest_bulk_responses(archive)
    quarantine: list[dict] = []
    names = _programme_names(archive, criteria)
    entities = _read_entities(archive, answers, quarantine)
    out = _ApiWriters(root)
    programme_rows = [
        _stage_answer(archive, url, record, names, entities, out, quarantine, log)
        for url, record in sorted(answers.items())
    ]
    programme_rows += unfetched_programme_rows(names, programme_rows)
    entities_df = pd.DataFrame(list(entities.values()), columns=ISUN_ENTITIES.columns)
    del entities
    export_staged = _stage_export(archive, export, root, quarantine)
    bulk = StagedBulk(
        projects=out.projects.finish(),
        places=out.places.finish(),
        contracts=out.contracts.finish(),
        entities=stage_frame(root, ISUN_ENTITIES, entities_df),
        programmes=stage_frame(
            root,
            ISUN_API_PROGRAMMES,
            pd.DataFrame(programme_rows, columns=ISUN_API_PROGRAMMES.columns),
        ),
        export=export_staged,
        quarantine=pd.DataFrame(quarantine, columns=QUARANTINE.columns),
    )
    bulk.counts = {
        "api_answers": len(answers),
        "export": int(export is not None),
        "duplicate_contract_rows": out.duplicates,
        "rows_quarantined": len(quarantine),
    }
    return bulk


def append_quarantine(staged: StagedTable, rows: pd.DataFrame) -> StagedTable:
    """The quarantine table with the bulk sources' rejected rows added as one more part."""
    if rows.empty:
        return staged
    write_part(QUARANTINE, staged.path, 900_000, rows)
    return StagedTable(staged.table, staged.path, staged.rows + len(rows))
