"""ИСУН batches staged as Parquet parts, in one process or several, and the cross-batch set-aside.

A batch is `batch_contracts` contracts with all their archived tabs; the caller's
`build_batch` turns one into `IsunTables` (parse, normalise, screen), and each table of it
is written as one Parquet part (`warehouse.staging`). Only one batch per process is in
memory, so memory does not grow with the corpus, and batches are independent, so they run
in a process pool (`workers`) the way Dagster would run partitions. A project code staged
under two contract ids is found here, over the parts, and set aside with its children.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from records.raw import RawResponse
from registry.tables import (
    ACTIVITIES,
    PROJECT_FINANCIAL_CORRECTIONS,
    PROJECT_INDICATORS,
    PROJECT_ORGANISATIONS,
    PROJECT_PAGES,
    PROJECT_PROCUREMENTS,
    QUARANTINE,
)
from shared.atomic import atomic_path
from sources.isun_pages import contract_batches
from transforms.isun import IsunTables
from transforms.isun_screening import duplicate_code_quarantine
from warehouse.staging import StagedTable, finish, new_version_dir, sql_string, write_part

ISUN_TABLES = {
    "projects": PROJECT_PAGES,
    "activities": ACTIVITIES,
    "quarantine": QUARANTINE,
    "project_organisations": PROJECT_ORGANISATIONS,
    "project_indicators": PROJECT_INDICATORS,
    "project_procurements": PROJECT_PROCUREMENTS,
    "project_financial_corrections": PROJECT_FINANCIAL_CORRECTIONS,
}
BATCH_CONTRACTS = 500  # 1 500 pages (3 a contract); about 0.5 GiB per worker at peak (`make bench`)

BuildBatch = Callable[[list[RawResponse]], IsunTables]


@dataclass(frozen=True)
class BatchCounts:
    pages: int
    pages_rejected: int
    over_reported: int


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


def _start_worker() -> None:
    """A batch worker allocates Arrow memory from malloc, which hands it back between batches
    (Arrow's default mimalloc pool keeps it, so a worker's footprint would ratchet up)."""
    pa.set_memory_pool(pa.system_memory_pool())


def stage_batch(
    batch_no: int,
    records: list[RawResponse],
    build_batch: BuildBatch,
    directories: dict[str, str],
) -> BatchCounts:
    """One batch, start to finish, writing part `batch_no` of each table (runs in a worker)."""
    tables = build_batch(records)
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


def _parts(directory: str) -> list[Path]:
    return sorted(Path(directory).glob("*.parquet"))


def _duplicate_projects(con: duckdb.DuckDBPyConnection, projects_dir: str) -> list[tuple]:
    """Staged project rows whose code appears under two or more contract ids, with the ids."""
    scan = f"read_parquet({sql_string(str(Path(projects_dir) / '*.parquet'))})"
    return con.execute(f"""
        SELECT project_code, isun_contract_id, source_url, fetched_at, content_sha256,
               count(*) OVER (PARTITION BY project_code) AS n,
               string_agg(isun_contract_id, ', ') OVER (PARTITION BY project_code) AS ids
        FROM {scan} QUALIFY count(*) OVER (PARTITION BY project_code) > 1
        ORDER BY project_code, isun_contract_id""").fetchall()


def _child_rows_of_codes(con: duckdb.DuckDBPyConnection, directories: dict[str, str]) -> list:
    """(table, code, url, fetched_at, sha256) of every staged child row of a code in `_dup_codes`."""
    children = []
    for name in ("activities", *IsunTables.CHILD_TABLES):
        for part in _parts(directories[name]):
            children += [
                (name, *row)
                for row in con.execute(
                    "SELECT project_code, source_url, fetched_at, content_sha256 FROM read_parquet("
                    f"{sql_string(str(part))}) WHERE project_code IN (SELECT project_code FROM _dup_codes)"
                ).fetchall()
            ]
    return children


def _drop_rows_of_codes(con: duckdb.DuckDBPyConnection, directories: dict[str, str]) -> None:
    """Rewrite every staged part without the rows of the codes in `_dup_codes`."""
    for name in ("projects", "activities", *IsunTables.CHILD_TABLES):
        for part in _parts(directories[name]):
            with atomic_path(part) as tmp:
                con.execute(
                    f"COPY (SELECT * FROM read_parquet({sql_string(str(part))}) WHERE project_code NOT IN "
                    f"(SELECT project_code FROM _dup_codes)) TO {sql_string(str(tmp))} "
                    "(FORMAT parquet, COMPRESSION zstd)"
                )


def set_aside_duplicate_codes(directories: dict[str, str], part_no: int) -> int:
    """Projects whose code appears under two or more contract ids (in any batches) go to
    quarantine (rule `duplicate_project_code`), and every row of theirs in the child tables
    with them (rule `parent_row_quarantined`):
    which contract the code really belongs to is for ИСУН to settle, and the rest of the
    release goes out. Costs one GROUP BY over the staged projects when there are none."""
    if not _parts(directories["projects"]):
        return 0
    con = duckdb.connect(config={"threads": 1})
    try:
        rows = _duplicate_projects(con, directories["projects"])
        if not rows:
            return 0
        codes = sorted({r[0] for r in rows})
        con.execute(
            "CREATE TEMP TABLE _dup_codes AS SELECT unnest(?::VARCHAR[]) AS project_code", [codes]
        )
        children = _child_rows_of_codes(con, directories)
        _drop_rows_of_codes(con, directories)
    finally:
        con.close()
    write_part(
        QUARANTINE, directories["quarantine"], part_no, duplicate_code_quarantine(rows, children)
    )
    return len(rows)


def _stage_in_pool(batches: list, build_batch: BuildBatch, directories: dict, workers: int, log):
    counts: list[BatchCounts] = []
    # spawn: a fresh interpreter per worker, never a fork of a threaded Dagster process
    with ProcessPoolExecutor(
        min(workers, len(batches)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
    ) as pool:
        futures = [
            pool.submit(stage_batch, i, batch, build_batch, directories)
            for i, batch in enumerate(batches)
        ]
        try:
            for i, future in enumerate(futures):
                counts.append(future.result())
                if log:
                    log.info(f"batch {i + 1}/{len(batches)} staged")
        except BaseException:
            # a failed batch fails the step now, not after all the others
            pool.shutdown(cancel_futures=True)
            raise
    return counts


def _stage_batches(batches: list, build_batch: BuildBatch, directories: dict, workers: int, log):
    """Every batch staged, in `workers` processes when there is more than one batch."""
    if workers > 1 and len(batches) > 1:
        return _stage_in_pool(batches, build_batch, directories, workers, log)
    counts = []
    for i, batch in enumerate(batches):
        counts.append(stage_batch(i, batch, build_batch, directories))
        if log:
            log.info(f"batch {i + 1}/{len(batches)} staged")
    return counts


def stage_isun_tables(
    records: list[RawResponse],
    build_batch: BuildBatch,
    staging_root: Path | str,
    *,
    batch_contracts: int = BATCH_CONTRACTS,
    workers: int = 1,
    log=None,
    extra_quarantine: list[dict] | None = None,
) -> StagedIsunTables:
    """Build every batch into Parquet parts under `staging_root`; `workers` > 1 runs batches
    in that many processes (`build_batch` must then pickle: a module-level function or a
    `functools.partial` of one). `extra_quarantine` (inputs refused before parsing) joins
    the quarantine table."""
    directories = {
        name: str(new_version_dir(staging_root, table)) for name, table in ISUN_TABLES.items()
    }
    batches = list(contract_batches(records, batch_contracts))
    counts = _stage_batches(batches, build_batch, directories, workers, log)
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
