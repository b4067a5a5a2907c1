"""ИСУН's bulk sources staged: the archived open-data API answers and register export -> Parquet parts.

Reads only the raw archive, streams each programme's answer and writes the tables a batch
of rows at a time, so the largest programme is never held whole. Contained like pages:

- An answer is used only once it has been checked whole (`sources.bulk_json.check_answer`:
  parsed to its last byte, bounded depth, the API's shape). One that is cut short, not
  JSON, an HTML page or of a changed shape is quarantined as a response (rule
  `bulk_response_set_aside`) and the newest good answer of that programme is used
  instead; the quarantine message says which answer and since when the programme is
  stale. A programme with no good answer ever is named, not fatal. The same for the
  programme list and for the register export (a changed header: "export: not read
  tonight (header changed)", the older good export used).
- Rows come from `transforms.isun_bulk`; a row that cannot be typed (amount, date,
  duration, container shape, not an object) goes to quarantine with the field and the
  raw value (rule `bulk_row_unreadable`); each batch is then screened with the
  registry's row rules (`quality.rules_sql.screen_frame`: negative totals, codes,
  rates), so no single row can fail a whole-table check.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import duckdb
import pandas as pd

from quality.rules_sql import rules_connection, screen_frame
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
from sources.bulk_json import AnswerError, check_answer
from sources.isun_opendata_read import (
    bulk_candidates,
    parse_criteria,
    programme_of_url,
    stream_items,
)
from sources.isun_register_export import ExportHeaderError, read_export
from sources.raw_archive import RawArchive
from transforms.isun_bulk import (
    BulkRowError,
    api_contract_row,
    api_currency,
    api_place_rows,
    api_project_row,
    bulk_quarantine_row,
    bulk_response_row,
    entity_row,
    export_currency,
    export_row,
    place_keys,
    programme_row,
    provenance,
    unfetched_programme_rows,
)
from warehouse.staging import StagedTable, finish, new_version_dir, stage_frame, write_part

BATCH_ROWS = 2_000  # rows per screened Parquet part: 5 000 peaked at 370 MiB for 80 700 projects, 2 000 at 320


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


# Errors a row's typing may raise besides BulkRowError: caught per row, so that no value
# the transforms did not foresee can stop the night (the message names the row and the error).
# What projects and contracts read of their beneficiary's or contractor's entity.
ENTITY_LOOKUP = ("entity_type", "eik", "name")
ROW_ERRORS = (BulkRowError, TypeError, ValueError, ArithmeticError, AttributeError, KeyError)


def _row_problem(exc: Exception, source: str) -> Exception:
    """A row error as one that names the source (BulkRowError does already)."""
    if isinstance(exc, BulkRowError):
        return exc
    return BulkRowError(f"{source}: row not readable: {type(exc).__name__}: {exc}")


class _Connections:
    """The screening connection (`rules_connection`, ~20 ms to open) all writers of one
    staging share, instead of one a batch. Parts are still written on a connection of their
    own each (`write_part`): a shared one kept ~15 MiB more at 80 700 projects
    (`bench.isun_bulk_memory`), for ~5 s."""

    def __init__(self):
        self._rules: duckdb.DuckDBPyConnection | None = None

    def rules(self) -> duckdb.DuckDBPyConnection:
        if self._rules is None:
            self._rules = rules_connection()
        return self._rules

    def close(self) -> None:
        if self._rules is not None:
            self._rules.close()
        self._rules = None


class _Entity:
    """What projects and contracts read of an entity (`ENTITY_LOOKUP`), read as `entity[key]`:
    three slots instead of a dict (~130 bytes less for each of every answer's entities)."""

    __slots__ = ENTITY_LOOKUP

    def __init__(self, row: dict):
        for key in ENTITY_LOOKUP:
            setattr(self, key, row[key])

    def __getitem__(self, key: str):
        return getattr(self, key)


class _Writer:
    """Rows -> Parquet parts of one staged table, BATCH_ROWS at a time, each batch screened
    with the registry's row rules first (rows that break one go to `quarantine`)."""

    def __init__(self, root: Path, table, quarantine: list[dict], on_flush=None, cons=None):
        self.root, self.table, self.quarantine = root, table, quarantine
        self.directory = new_version_dir(root, table)
        self.rows: list[dict] = []
        self.parts = 0
        self.written = 0
        self.on_flush = on_flush  # called with the kept frame after each screened batch
        self.own = cons is None  # else the staging's, closed by it
        self.cons = cons or _Connections()

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        frame = pd.DataFrame(self.rows, columns=self.table.columns)
        self.rows = []
        kept, rejected = screen_frame(self.table, frame, self.cons.rules())
        if not rejected.empty:
            self.quarantine.extend(rejected.to_dict("records"))
        if self.on_flush is not None:
            self.on_flush(kept)
        if not kept.empty:
            write_part(self.table, self.directory, self.parts, kept)
            self.parts += 1
            self.written += len(kept)

    def finish(self) -> StagedTable:
        self.flush()
        if self.own:
            self.cons.close()
        return finish(self.root, self.table, self.directory)


class _ApiWriters:
    """The three tables every programme's answer adds to, and what they have seen so far.

    A project's places wait for its batch to be screened: a project set aside takes its
    places with it (unless another row of the same code stays)."""

    def __init__(self, root: Path, quarantine: list[dict], cons=None):
        self.places = _Writer(root, ISUN_API_PLACES, quarantine, cons=cons)
        self.projects = _Writer(
            root, ISUN_API_PROJECTS, quarantine, on_flush=self._release_places, cons=cons
        )
        self.contracts = _Writer(root, ISUN_API_CONTRACTS, quarantine, cons=cons)
        # (code, location, place rows) of each project row waiting for its batch's screening
        self.pending_places: list[tuple[str, str | None, list[dict]]] = []
        # The locations whose places were written, per published code (every code a screened
        # batch kept is in it, so it is also the set of codes published so far, with the
        # batch being released): a place is written once per code,
        # and the places of a location are `place_keys(location)` again (cached), so this holds
        # one reference a code instead of a tuple per place (~400 000 at 80 700 projects).
        self.released: dict[str, tuple] = {}
        self.locations: dict[str, str] = {}  # one string per distinct location
        self.contract_keys: set[tuple] = set()
        self.positions: Counter = Counter()
        self.duplicates = 0

    def add_project(self, row: dict) -> None:
        code = row["proposal_code"] = sys.intern(row["proposal_code"])
        self.positions[code] += 1
        row["position"] = self.positions[code]
        location = row["location"]
        if location is not None:
            location = self.locations.setdefault(location, location)
        self.pending_places.append((code, location, api_place_rows(row)))
        self.projects.add(row)

    def _release_places(self, kept: pd.DataFrame) -> None:
        kept_codes = set(kept["proposal_code"])
        for code, location, places in self.pending_places:
            if code not in self.released and code not in kept_codes:
                continue  # no row of this code published (yet): its places go with it
            earlier = self.released.get(code, ())
            seen = set().union(*(place_keys(loc) for loc in earlier))
            for place in places:  # distinct already within one row (`api_place_rows`)
                key = (place["level"], place["text"])
                if key not in seen:
                    seen.add(key)
                    self.places.add(place)
            if location not in earlier:
                self.released[code] = (*earlier, location)
        self.pending_places = []

    def finish(self) -> tuple[StagedTable, StagedTable, StagedTable]:
        projects = self.projects.finish()  # flushes the last places first
        return projects, self.places.finish(), self.contracts.finish()


@dataclass
class _Answer:
    """The answer of one programme the staging uses (None: no good answer ever)."""

    url: str
    record: RawResponse | None
    header: dict = field(default_factory=dict)
    stale_since: str | None = None


def _when(record: RawResponse) -> str:
    return str(record.fetched_at)[:16].replace("T", " ")


def _kind(reason: str) -> str:
    """The short name of why an answer was set aside: `cut short`, `header changed`, ..."""
    return reason.split(":", 1)[0].split(" (", 1)[0].split(" at ", 1)[0].strip()[:60]


def _set_aside(table, label, bad, reason, instead, quarantine, log) -> None:
    """One quarantine row for an answer set aside. Its message: `<label>: not read tonight
    (<kind>); answer of <when> set aside: <reason>; <what is used instead>`."""
    message = (
        f"{label}: not read tonight ({_kind(reason)}); the answer of {_when(bad)} set aside: "
        f"{reason}; {instead}"
    )
    quarantine.append(bulk_response_row(table, label, reason, message, bad))
    if log:
        log.warning(message)


def _choose(archive, candidates, table, label, check, quarantine, log):
    """The newest candidate `check` accepts; every newer one is quarantined as a response.

    `check(record)` returns what was read (a header, a parsed list) or raises (AnswerError,
    ValueError, OSError). Returns (record, checked value) or (None, None)."""
    rejected: list[tuple[RawResponse, str]] = []
    for record in candidates:  # newest first
        try:
            value = check(record)
        except (AnswerError, ValueError, OSError) as exc:
            rejected.append((record, getattr(exc, "reason", None) or str(exc)))
            continue
        instead = f"using the answer of {_when(record)}: stale since {_when(record)}"
        for bad, reason in rejected:
            _set_aside(table, label, bad, reason, instead, quarantine, log)
        return record, value
    for bad, reason in rejected:
        _set_aside(table, label, bad, reason, "no good answer ever: not published", quarantine, log)
    return None, None


def _check_api(archive: RawArchive):
    def check(record: RawResponse):
        return check_answer(archive.path_for(record.sha256), record.url)

    return check


def _programme_names(archive: RawArchive, criteria: list[RawResponse], quarantine, log) -> dict:
    """{(programme id, period id): name} from the newest good programme list, if any."""

    def check(record: RawResponse):
        return parse_criteria(archive.read(record.sha256), record.url)

    record, programmes = _choose(
        archive,
        criteria,
        ISUN_API_PROGRAMMES.name,
        "open-data programme list",
        check,
        quarantine,
        log,
    )
    if record is None:
        return {}
    return {(p.programme_id, p.period_id): p.name for p in programmes}


def _read_entities(
    archive: RawArchive, answers: list[_Answer], writer: _Writer, quarantine: list[dict]
) -> dict[str, _Entity]:
    """Every programme's entities, first, so each project finds its beneficiary's ЕИК: each
    row is written as it is read; only what projects and contracts look up stays in memory."""
    entities: dict[str, dict] = {}
    for answer in answers:
        record = answer.record
        for i, entity in enumerate(stream_items(archive.path_for(record.sha256), "entities")):
            try:
                row = entity_row(entity, provenance(record))
            except ROW_ERRORS as exc:
                problem = _row_problem(exc, record.url)
                quarantine.append(
                    bulk_quarantine_row(ISUN_ENTITIES.name, f"entities[{i}]", problem, record)
                )
                continue
            if row["entity_id"] in entities:
                continue
            entities[row["entity_id"]] = _Entity(row)
            writer.add(row)
    return entities


def _row_key(item, array: str, i: int) -> str:
    """The quarantine key of an API row: its code when it has one, and where it stands."""
    key = "id" if array == "projects" else "contractId"
    code = item.get(key) if isinstance(item, dict) else None
    where = f"{array}[{i}]"
    return f"{code} ({where})" if isinstance(code, str | int) and str(code).strip() else where


def _stage_projects(path, record, programme, entities, currency, basis, out, quarantine) -> int:
    """One answer's projects and their places; returns how many rows were read."""
    read = 0
    label = f"programme {programme['programme_id']}/{programme['period_id']}"
    for i, project in enumerate(stream_items(path, "projects")):
        try:
            row = api_project_row(project, programme, entities, currency, basis, provenance(record))
        except ROW_ERRORS as exc:
            problem = _row_problem(exc, f"{record.url} ({label})")
            quarantine.append(
                bulk_quarantine_row(
                    ISUN_API_PROJECTS.name, _row_key(project, "projects", i), problem, record
                )
            )
            continue
        out.add_project(row)
        read += 1
    return read


def _stage_contracts(path, record, entities, currency, out, quarantine) -> None:
    """One answer's contracts, each (contract, contractor) once; a row without a contractor is counted, not kept."""
    for i, contract in enumerate(stream_items(path, "contracts")):
        try:
            row = api_contract_row(contract, entities, currency, provenance(record))
        except ROW_ERRORS as exc:
            problem = _row_problem(exc, record.url)
            quarantine.append(
                bulk_quarantine_row(
                    ISUN_API_CONTRACTS.name, _row_key(contract, "contracts", i), problem, record
                )
            )
            continue
        key = (row["contract_key"], row["contractor_entity_id"])
        if row["contractor_entity_id"] is None or key in out.contract_keys:
            out.duplicates += 1
            continue
        out.contract_keys.add(key)
        out.contracts.add(row)


def _stage_answer(archive, answer: _Answer, names, entities, out, quarantine, log) -> dict:
    """One programme's answer staged; returns its `isun_api_programmes` row."""
    programme_id, period_id = programme_of_url(answer.url)
    record = answer.record
    path = archive.path_for(record.sha256)
    header = answer.header
    generated = header.get("generatedAt")
    generated = generated if isinstance(generated, str) else None
    currency, basis = api_currency(generated, record.fetched_at)
    programme = {
        "programme_id": programme_id,
        "period_id": period_id,
        "name": names.get((programme_id, period_id)),
        "generated_at": generated,
    }
    before = out.projects.written + len(out.projects.rows)
    _stage_projects(path, record, programme, entities, currency, basis, out, quarantine)
    out.projects.flush()  # screened now, so the programme's count is what is published
    published = out.projects.written - before
    _stage_contracts(path, record, entities, currency, out, quarantine)
    total = header.get("totalProjects")
    try:
        total = int(total) if total is not None and 0 <= int(total) < 2**31 else None
    except (TypeError, ValueError, ArithmeticError):
        total = None
    row = programme_row(programme, total, published, record)
    if log:
        log.info(
            f"open-data programme {programme_id}/{period_id}: {published} projects "
            f"(announced {row['total_projects']}), currency {currency}"
            + (f"; STALE since {answer.stale_since}" if answer.stale_since else "")
        )
    return row


def _check_export(archive: RawArchive):
    """The check of an export: its header read and its first row typed by `read_export`; returns
    the rows, first one included, so the export that passes is read once, not again."""

    def check(record: RawResponse):
        path = archive.path_for(record.sha256)
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                raise AnswerError(record.url, "not an XLSX file (no PK signature)")
        rows = read_export(path, record.url)
        try:
            first = next(rows, None)
        except ExportHeaderError as exc:
            raise AnswerError(record.url, f"header changed: {exc}") from None
        except Exception as exc:  # a broken zip or sheet: the reader raises many kinds
            raise AnswerError(
                record.url, f"not a readable XLSX: {type(exc).__name__}: {exc}"
            ) from None
        if first is None:
            return iter(())
        return chain((first,), rows)

    return check


def _stage_export(
    archive, candidates: list[RawResponse], root: Path, quarantine, log, cons=None
) -> StagedTable:
    """The newest readable register export's rows, numbered per proposal code."""
    out = _Writer(root, ISUN_EXPORT_PROJECTS, quarantine, cons=cons)
    export, rows = _choose(
        archive,
        candidates,
        ISUN_EXPORT_PROJECTS.name,
        "export",
        _check_export(archive),
        quarantine,
        log,
    )
    if export is None:
        return out.finish()
    positions: Counter = Counter()
    currency = export_currency(export.fetched_at)
    for raw in rows:
        try:
            row = export_row(raw, currency, provenance(export))
        except ROW_ERRORS as exc:
            problem = _row_problem(exc, f"{export.url} row {raw.get('row_no')}")
            code = raw.get("proposal_code")
            key = f"{code} (row {raw.get('row_no')})" if code else f"row {raw.get('row_no')}"
            quarantine.append(bulk_quarantine_row(ISUN_EXPORT_PROJECTS.name, key, problem, export))
            continue
        positions[row["proposal_code"]] += 1
        row["position"] = positions[row["proposal_code"]]
        out.add(row)
    return out.finish()


def _choose_answers(archive, programmes: dict, quarantine, log) -> list[_Answer]:
    """Per programme URL, the newest answer that passed the whole check (oldest URL first)."""
    answers = []
    for url, candidates in sorted(programmes.items()):
        programme_id, period_id = programme_of_url(url)
        label = f"open-data programme {programme_id}/{period_id}"
        record, shape = _choose(
            archive,
            candidates,
            ISUN_API_PROGRAMMES.name,
            label,
            _check_api(archive),
            quarantine,
            log,
        )
        if record is None:
            continue
        stale = _when(record) if record is not candidates[0] else None
        answers.append(_Answer(url, record, shape.header, stale))
    return answers


def stage_bulk_tables(archive: RawArchive, root: Path | str, log=None) -> StagedBulk:
    """Every bulk table staged under `root`, with the rows and answers set aside as quarantine."""
    root = Path(root)
    criteria, programmes, exports = bulk_candidates(archive)
    quarantine: list[dict] = []
    names = _programme_names(archive, criteria, quarantine, log)
    answers = _choose_answers(archive, programmes, quarantine, log)
    cons = _Connections()
    try:
        # The export first: its reader holds the sheet's cells (~160 MiB at 80 700 rows) until
        # the last row, and after the answers it added that to what their lookups still hold.
        # Its quarantine rows go after the answers', where they were.
        export_quarantine: list[dict] = []
        export_staged = _stage_export(archive, exports, root, export_quarantine, log, cons)
        entity_writer = _Writer(root, ISUN_ENTITIES, quarantine, cons=cons)
        entities = _read_entities(archive, answers, entity_writer, quarantine)
        out = _ApiWriters(root, quarantine, cons)
        programme_rows = [
            _stage_answer(archive, answer, names, entities, out, quarantine, log)
            for answer in answers
        ]
        programme_rows += unfetched_programme_rows(names, programme_rows)
        del entities
        quarantine.extend(export_quarantine)
        projects, places, contracts = out.finish()
        entities_staged = entity_writer.finish()
    finally:
        cons.close()
    bulk = StagedBulk(
        projects=projects,
        places=places,
        contracts=contracts,
        entities=entities_staged,
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
        "api_answers_stale": sum(1 for a in answers if a.stale_since),
        "export": int(export_staged.rows > 0),
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
