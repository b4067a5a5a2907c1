"""ИСУН pages to staged tables, a batch of contracts at a time, in one process or several.

A batch is `batch_contracts` contracts with all their archived tabs: it is parsed,
normalised and screened (row-level Great Expectations rules) on its own, and written as
one Parquet part of each table (`warehouse.staging`). Only one batch per process is in
memory, so memory does not grow with the corpus, and batches are independent, so they
run in a process pool (`workers`) the way Dagster would run partitions.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from quality.suites import screen_isun_tables
from sources.charset import decode_body
from sources.isun import (
    CONTRACT_TABS,
    PageStructureError,
    contract_id_and_tab,
    parse_isun_html,
    parse_isun_text,
)
from sources.raw_archive import RawResponse
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

ISUN_TABLES = {"projects": PROJECTS, "activities": ACTIVITIES, "quarantine": QUARANTINE,
               "project_organisations": PROJECT_ORGANISATIONS, "project_indicators": PROJECT_INDICATORS,
               "project_procurements": PROJECT_PROCUREMENTS,
               "project_financial_corrections": PROJECT_FINANCIAL_CORRECTIONS}
BATCH_CONTRACTS = 1000  # about 0.5 GiB per worker at peak (`make bench`)


def is_contract_page(url: str) -> bool:
    contract_id, tab = contract_id_and_tab(url)
    return contract_id is not None and tab in CONTRACT_TABS


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


def parse_archived_pages(records: list[RawResponse], read_body) -> tuple[list, list[dict]]:
    """Parse the newest usable response per URL.

    A WAF page or an HTTP error never replaces an older good response; where a URL has
    no good response at all, its newest one goes to quarantine with the reason.
    """
    by_url: dict[str, list[RawResponse]] = {}
    for record in records:
        by_url.setdefault(record.url, []).append(record)
    parsed, rejected = [], []
    for _url, versions in by_url.items():
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


def screen_tables(tables: IsunTables) -> IsunTables:
    """Row-level quality rules: failing rows (and a failing project's activities and participants) to quarantine."""
    tables.projects, tables.activities, tables.quarantine = screen_isun_tables(
        tables.projects, tables.activities, tables.quarantine, PROJECTS, ACTIVITIES)
    dropped = tables.keep_projects(set(tables.projects["project_code"]))
    if not dropped.empty:
        tables.quarantine = pd.concat([tables.quarantine, dropped], ignore_index=True)
    return tables


def contract_batches(records: list[RawResponse], batch_contracts: int = BATCH_CONTRACTS
                     ) -> Iterator[list[RawResponse]]:
    """The records in batches of whole contracts (every tab of a contract in the same batch)."""
    by_contract: dict[str, list[RawResponse]] = {}
    for record in records:
        by_contract.setdefault(contract_id_and_tab(record.url)[0] or record.url, []).append(record)
    keys = list(by_contract)
    for start in range(0, len(keys), batch_contracts):
        yield [r for key in keys[start:start + batch_contracts] for r in by_contract[key]]


def build_batch(records: list[RawResponse], read_body: Callable[[str], bytes], screen: bool = True) -> IsunTables:
    """Parse, normalise and (unless `screen=False`) screen one batch of contracts."""
    parsed, rejected = parse_archived_pages(records, read_body)
    tables = build_isun_tables(parsed, rejected)
    del parsed
    return screen_tables(tables) if screen else tables


def parse_and_build_in_batches(records: list[RawResponse], read_body, batch_contracts: int = BATCH_CONTRACTS,
                               screen: bool = True) -> IsunTables:
    """All batches, concatenated in memory: for tests and small corpora (the pipeline stages them)."""
    parts = [build_batch(batch, read_body, screen) for batch in contract_batches(records, batch_contracts)]
    if not parts:
        return build_isun_tables([], [])
    return IsunTables(**{name: pd.concat([getattr(t, name) for t in parts], ignore_index=True)
                         for name in ISUN_TABLES})


@dataclass(frozen=True)
class BatchCounts:
    pages: int
    pages_rejected: int
    over_reported: int


def _start_worker() -> None:
    """A batch worker allocates Arrow memory from malloc, which hands it back between batches
    (Arrow's default mimalloc pool keeps it, so a worker's footprint would ratchet up)."""
    pa.set_memory_pool(pa.system_memory_pool())


def _stage_batch(batch_no: int, records: list[RawResponse], read_body, directories: dict[str, str]) -> BatchCounts:
    """One batch, start to finish, writing part `batch_no` of each table (runs in a worker)."""
    tables = build_batch(records, read_body)
    con = duckdb.connect(config={"threads": 1})
    try:
        for name, table in ISUN_TABLES.items():
            write_part(table, directories[name], batch_no, getattr(tables, name), con)
    finally:
        con.close()
    counts = BatchCounts(pages=len(records), pages_rejected=int((tables.quarantine["table_name"] == "pages").sum()),
                         over_reported=int(tables.activities["is_over_reported"].sum()))
    del tables
    pa.default_memory_pool().release_unused()
    return counts


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


def stage_isun_tables(records: list[RawResponse], read_body, staging_root: Path | str, *,
                      batch_contracts: int = BATCH_CONTRACTS, workers: int = 1, log=None) -> StagedIsunTables:
    """Build every batch into Parquet parts under `staging_root`; `workers` > 1 runs batches
    in that many processes (`read_body` must then pickle, e.g. `RawArchive.read`)."""
    directories = {name: str(new_version_dir(staging_root, table)) for name, table in ISUN_TABLES.items()}
    batches = list(contract_batches(records, batch_contracts))
    counts: list[BatchCounts] = []
    if workers > 1 and len(batches) > 1:
        # spawn: a fresh interpreter per worker, never a fork of a threaded Dagster process
        with ProcessPoolExecutor(min(workers, len(batches)), mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_start_worker) as pool:
            futures = [pool.submit(_stage_batch, i, batch, read_body, directories) for i, batch in enumerate(batches)]
            try:
                for i, future in enumerate(futures):
                    counts.append(future.result())
                    if log:
                        log.info(f"batch {i + 1}/{len(batches)} staged")
            except BaseException:
                pool.shutdown(cancel_futures=True)  # a failed batch fails the step now, not after all the others
                raise
    else:
        for i, batch in enumerate(batches):
            counts.append(_stage_batch(i, batch, read_body, directories))
            if log:
                log.info(f"batch {i + 1}/{len(batches)} staged")
    staged = {name: finish(staging_root, table, directories[name]) for name, table in ISUN_TABLES.items()}
    return StagedIsunTables(**staged, pages_read=sum(c.pages for c in counts),
                            pages_rejected=sum(c.pages_rejected for c in counts),
                            over_reported=sum(c.over_reported for c in counts))
