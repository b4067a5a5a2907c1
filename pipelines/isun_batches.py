"""ИСУН pages to staged tables, a batch of contracts at a time, in one process or several.

A batch is `batch_contracts` contracts with all their archived tabs: it is parsed,
normalised and screened (row-level Great Expectations rules) on its own, and written as
one Parquet part of each table (`warehouse.staging`). Only one batch per process is in
memory, so memory does not grow with the corpus, and batches are independent, so they
run in a process pool (`workers`) the way Dagster would run partitions.
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from quality.rules_sql import screen_isun_tables
from sources.charset import decode_body
from sources.isun import (
    CONTRACT_TABS,
    PageStructureError,
    contract_id_and_tab,
    parse_isun_html,
    parse_isun_text,
)
from sources.raw_archive import RawResponse, by_fetched_at
from sources.waf import block_reason
from transforms.isun import IsunTables, build_isun_tables, quarantine_row
from warehouse.metadata import (
    ACTIVITIES,
    PROJECT_FINANCIAL_CORRECTIONS,
    PROJECT_INDICATORS,
    PROJECT_ORGANISATIONS,
    PROJECT_PROCUREMENTS,
    PROJECTS,
    QUARANTINE,
)
from warehouse.staging import StagedTable, finish, new_version_dir, write_part

ISUN_TABLES = {
    "projects": PROJECTS,
    "activities": ACTIVITIES,
    "quarantine": QUARANTINE,
    "project_organisations": PROJECT_ORGANISATIONS,
    "project_indicators": PROJECT_INDICATORS,
    "project_procurements": PROJECT_PROCUREMENTS,
    "project_financial_corrections": PROJECT_FINANCIAL_CORRECTIONS,
}
BATCH_CONTRACTS = 500  # 1 500 pages (3 a contract); about 0.5 GiB per worker at peak (`make bench`)
# `<?xml version="1.0" encoding="..."?>` before an XHTML page: the bytes are decoded already,
# and lxml refuses a str that still declares an encoding.
_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>", re.I)


def is_contract_page(url: str) -> bool:
    contract_id, tab = contract_id_and_tab(url)
    return contract_id is not None and tab in CONTRACT_TABS


def _rejection(record: RawResponse, body: bytes) -> dict | None:
    """Why an archived response is not data (WAF page, HTTP error), as a quarantine row."""
    reason = block_reason(body)
    if reason:
        return quarantine_row(
            "pages",
            record.url,
            "blocked_by_waf",
            None,
            None,
            f"{record.url}: firewall page instead of content ({reason}); not parsed",
            record,
        )
    if record.status not in (200, 304):
        return quarantine_row(
            "pages",
            record.url,
            "http_status",
            "status",
            str(record.status),
            f"{record.url}: HTTP status {record.status}; not parsed",
            record,
        )
    if not body.strip():
        return quarantine_row(
            "pages",
            record.url,
            "empty_body",
            "body",
            f"{len(body)} bytes",
            f"{record.url}: HTTP {record.status} with an empty body; not parsed",
            record,
        )
    return None


def parse_archived_pages(records: list[RawResponse], read_body) -> tuple[list, list[dict]]:
    """Parse the newest usable response per URL (newest by `fetched_at`, not by storage order).

    A WAF page, an HTTP error or an empty body never replaces an older good response; where
    a URL has no good response at all, its newest one goes to quarantine with the reason.
    A page that fails to parse for any reason goes to quarantine; the batch goes on.
    """
    by_url: dict[str, list[RawResponse]] = {}
    for record in records:
        by_url.setdefault(record.url, []).append(record)
    parsed, rejected = [], []
    for _url, versions in by_url.items():
        chosen, first_rejection = None, None
        for record in reversed(by_fetched_at(versions)):
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
            text = _XML_DECLARATION.sub("", decode_body(body, record.content_type), count=1)
            if "text/plain" in record.content_type:
                page = parse_isun_text(text, record.url)
            else:
                page = parse_isun_html(text, record.url)
        except PageStructureError as exc:
            rejected.append(
                quarantine_row("pages", record.url, "page_structure", None, None, str(exc), record)
            )
            continue
        except Exception as exc:  # noqa: BLE001 - one unreadable page must not stop the night
            rejected.append(
                quarantine_row(
                    "pages",
                    record.url,
                    "unparseable",
                    "body",
                    type(exc).__name__,
                    f"{record.url}: not parsed: {type(exc).__name__}: {exc}"[:1000],
                    record,
                )
            )
            continue
        parsed.append((page, record))
    return parsed, rejected


def _fits(value, sql_type: str) -> bool:
    """Whether a value fits a DECIMAL(p,s) column (a 17-digit amount does not fit DECIMAL(18,2))."""
    m = re.match(r"DECIMAL\((\d+),\s*(\d+)\)", sql_type)
    if not m or value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return True
    try:
        return abs(Decimal(str(value))) < Decimal(10) ** (int(m.group(1)) - int(m.group(2)))
    except (InvalidOperation, ValueError):
        return False


def set_aside_oversized(
    table, frame: pd.DataFrame, key: Callable[[object], str]
) -> tuple[pd.DataFrame, list[dict]]:
    """Rows with an amount too large for its column's type, as quarantine rows (rule
    `amount_out_of_range`), and the rest: one absurd number never stops a build."""
    decimals = [f for f in table.fields if f.type.startswith("DECIMAL") and f.name in frame.columns]
    if frame.empty or not decimals:
        return frame, []
    bad = pd.Series(False, index=frame.index)
    rows = []
    for f in decimals:
        misfits = ~frame[f.name].map(lambda v, t=f.type: _fits(v, t)).astype(bool) & ~bad
        for _, row in frame[misfits].iterrows():
            text = row.get(f"{f.name}_text") if f"{f.name}_text" in frame.columns else None
            value = str(text if isinstance(text, str) else row[f.name])
            rows.append(
                {
                    "table_name": table.name,
                    "record_key": key(row),
                    "rule": "amount_out_of_range",
                    "field": f.name,
                    "value": value[:200],
                    "message": f"{row.get('source_url')}: field {f.name} has value {value[:60]!r}, "
                    f"too large for {f.type}",
                    "source_url": row.get("source_url"),
                    "fetched_at": row.get("fetched_at"),
                    "content_sha256": row.get("content_sha256"),
                }
            )
        bad |= misfits
    return frame[~bad].reset_index(drop=True), rows


def screen_tables(tables: IsunTables) -> IsunTables:
    """Row-level quality rules: failing rows (and a failing project's activities and participants) to quarantine."""
    tables.projects, oversized = set_aside_oversized(
        PROJECTS, tables.projects, lambda r: r["project_code"]
    )
    tables.activities, oversized_activities = set_aside_oversized(
        ACTIVITIES, tables.activities, lambda r: f"{r['project_code']}#{r['activity_no']}"
    )
    if oversized or oversized_activities:
        tables.quarantine = pd.concat(
            [
                tables.quarantine,
                pd.DataFrame(oversized + oversized_activities, columns=QUARANTINE.columns),
            ],
            ignore_index=True,
        )
    tables.projects, tables.activities, tables.quarantine = screen_isun_tables(
        tables.projects, tables.activities, tables.quarantine, PROJECTS, ACTIVITIES
    )
    dropped = tables.keep_projects(set(tables.projects["project_code"]))
    if not dropped.empty:
        tables.quarantine = pd.concat([tables.quarantine, dropped], ignore_index=True)
    return tables


def contract_batches(
    records: list[RawResponse], batch_contracts: int = BATCH_CONTRACTS
) -> Iterator[list[RawResponse]]:
    """The records in batches of whole contracts (every tab of a contract in the same batch)."""
    by_contract: dict[str, list[RawResponse]] = {}
    for record in records:
        by_contract.setdefault(contract_id_and_tab(record.url)[0] or record.url, []).append(record)
    keys = list(by_contract)
    for start in range(0, len(keys), batch_contracts):
        yield [r for key in keys[start : start + batch_contracts] for r in by_contract[key]]


def build_batch(
    records: list[RawResponse], read_body: Callable[[str], bytes], screen: bool = True
) -> IsunTables:
    """Parse, normalise and (unless `screen=False`) screen one batch of contracts."""
    parsed, rejected = parse_archived_pages(records, read_body)
    tables = build_isun_tables(parsed, rejected)
    del parsed
    return screen_tables(tables) if screen else tables


def parse_and_build_in_batches(
    records: list[RawResponse],
    read_body,
    batch_contracts: int = BATCH_CONTRACTS,
    screen: bool = True,
) -> IsunTables:
    """All batches, concatenated in memory: for tests and small corpora (the pipeline stages them)."""
    parts = [
        build_batch(batch, read_body, screen)
        for batch in contract_batches(records, batch_contracts)
    ]
    if not parts:
        return build_isun_tables([], [])
    return IsunTables(
        **{
            name: pd.concat([getattr(t, name) for t in parts], ignore_index=True)
            for name in ISUN_TABLES
        }
    )


@dataclass(frozen=True)
class BatchCounts:
    pages: int
    pages_rejected: int
    over_reported: int


def _start_worker() -> None:
    """A batch worker allocates Arrow memory from malloc, which hands it back between batches
    (Arrow's default mimalloc pool keeps it, so a worker's footprint would ratchet up)."""
    pa.set_memory_pool(pa.system_memory_pool())


def _stage_batch(
    batch_no: int, records: list[RawResponse], read_body, directories: dict[str, str]
) -> BatchCounts:
    """One batch, start to finish, writing part `batch_no` of each table (runs in a worker)."""
    tables = build_batch(records, read_body)
    con = duckdb.connect(config={"threads": 1})
    try:
        for name, table in ISUN_TABLES.items():
            write_part(table, directories[name], batch_no, getattr(tables, name), con)
    finally:
        con.close()
    counts = BatchCounts(
        pages=len(records),
        pages_rejected=int((tables.quarantine["table_name"] == "pages").sum()),
        over_reported=int(tables.activities["is_over_reported"].sum()),
    )
    del tables
    pa.default_memory_pool().release_unused()
    return counts


def set_aside_duplicate_codes(directories: dict[str, str], part_no: int) -> int:
    """Projects whose code appears under two or more contract ids (in any batches) go to
    quarantine (rule `duplicate_project_code`), and every row of theirs in the child tables
    with them (rule `parent_row_quarantined`):
    which contract the code really belongs to is for ИСУН to settle, and the rest of the
    release goes out. Costs one GROUP BY over the staged projects when there are none."""
    projects = Path(directories["projects"])
    if not any(projects.glob("*.parquet")):
        return 0
    con = duckdb.connect(config={"threads": 1})
    try:
        scan = f"read_parquet({_sql_text(str(projects / '*.parquet'))})"
        rows = con.execute(f"""
            SELECT project_code, isun_contract_id, source_url, fetched_at, content_sha256,
                   count(*) OVER (PARTITION BY project_code) AS n,
                   string_agg(isun_contract_id, ', ') OVER (PARTITION BY project_code) AS ids
            FROM {scan} QUALIFY count(*) OVER (PARTITION BY project_code) > 1
            ORDER BY project_code, isun_contract_id""").fetchall()
        if not rows:
            return 0
        codes = sorted({r[0] for r in rows})
        con.execute(
            "CREATE TEMP TABLE _dup_codes AS SELECT unnest(?::VARCHAR[]) AS project_code", [codes]
        )
        children = []
        for name in ("activities", *IsunTables.CHILD_TABLES):
            for part in sorted(Path(directories[name]).glob("*.parquet")):
                children += [
                    (name, *row)
                    for row in con.execute(
                        f"SELECT project_code, source_url, fetched_at, content_sha256 FROM read_parquet("
                        f"{_sql_text(str(part))}) WHERE project_code IN (SELECT project_code FROM _dup_codes)"
                    ).fetchall()
                ]
        for name in ("projects", "activities", *IsunTables.CHILD_TABLES):
            for part in sorted(Path(directories[name]).glob("*.parquet")):
                tmp = part.with_name(f".{part.name}.tmp")
                con.execute(
                    f"COPY (SELECT * FROM read_parquet({_sql_text(str(part))}) WHERE project_code NOT IN "
                    f"(SELECT project_code FROM _dup_codes)) TO {_sql_text(str(tmp))} "
                    "(FORMAT parquet, COMPRESSION zstd)"
                )
                tmp.replace(part)
    finally:
        con.close()
    write_part(
        QUARANTINE,
        directories["quarantine"],
        part_no,
        pd.DataFrame(
            [
                {
                    "table_name": "projects",
                    "record_key": code,
                    "rule": "duplicate_project_code",
                    "field": "project_code",
                    "value": code,
                    "message": f"{url}: project code {code} is published under {n} contract ids ({ids}); "
                    "none released until the source settles it",
                    "source_url": url,
                    "fetched_at": fetched_at,
                    "content_sha256": sha,
                }
                for code, _cid, url, fetched_at, sha, n, ids in rows
            ]
            + [
                {
                    "table_name": name,
                    "record_key": code,
                    "rule": "parent_row_quarantined",
                    "field": "project_code",
                    "value": code,
                    "message": f"{url}: its project {code} is in quarantine (duplicate_project_code)",
                    "source_url": url,
                    "fetched_at": fetched_at,
                    "content_sha256": sha,
                }
                for name, code, url, fetched_at, sha in children
            ],
            columns=QUARANTINE.columns,
        ),
    )
    return len(rows)


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class StagedIsunTables:
    """The ИСУН tables of one build, staged, with what the build counted on the way."""

    projects: StagedTable
    activities: StagedTable
    quarantine: StagedTable
    project_organisations: StagedTable
    project_indicators: StagedTable
    project_procurements: StagedTable
    project_financial_corrections: StagedTable
    pages_read: int
    pages_rejected: int
    over_reported: int


def stage_isun_tables(
    records: list[RawResponse],
    read_body,
    staging_root: Path | str,
    *,
    batch_contracts: int = BATCH_CONTRACTS,
    workers: int = 1,
    log=None,
    extra_quarantine: list[dict] | None = None,
) -> StagedIsunTables:
    """Build every batch into Parquet parts under `staging_root`; `workers` > 1 runs batches
    in that many processes (`read_body` must then pickle, e.g. `RawArchive.read`).
    `extra_quarantine` (inputs refused before parsing) joins the quarantine table."""
    directories = {
        name: str(new_version_dir(staging_root, table)) for name, table in ISUN_TABLES.items()
    }
    batches = list(contract_batches(records, batch_contracts))
    counts: list[BatchCounts] = []
    if workers > 1 and len(batches) > 1:
        # spawn: a fresh interpreter per worker, never a fork of a threaded Dagster process
        with ProcessPoolExecutor(
            min(workers, len(batches)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
        ) as pool:
            futures = [
                pool.submit(_stage_batch, i, batch, read_body, directories)
                for i, batch in enumerate(batches)
            ]
            try:
                for i, future in enumerate(futures):
                    counts.append(future.result())
                    if log:
                        log.info(f"batch {i + 1}/{len(batches)} staged")
            except BaseException:
                pool.shutdown(
                    cancel_futures=True
                )  # a failed batch fails the step now, not after all the others
                raise
    else:
        for i, batch in enumerate(batches):
            counts.append(_stage_batch(i, batch, read_body, directories))
            if log:
                log.info(f"batch {i + 1}/{len(batches)} staged")
    duplicates = set_aside_duplicate_codes(directories, len(batches) + 1)
    if duplicates and log:
        log.warning(
            f"{duplicates} project rows share a project code with another contract id: quarantined "
            "(rule duplicate_project_code)"
        )
    if extra_quarantine:
        write_part(
            QUARANTINE,
            directories["quarantine"],
            len(batches),
            pd.DataFrame(extra_quarantine, columns=QUARANTINE.columns),
        )
    staged = {
        name: finish(staging_root, table, directories[name]) for name, table in ISUN_TABLES.items()
    }
    return StagedIsunTables(
        **staged,
        pages_read=sum(c.pages for c in counts),
        pages_rejected=sum(c.pages_rejected for c in counts),
        over_reported=sum(c.over_reported for c in counts),
    )
