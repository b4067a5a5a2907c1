"""ИСУН batches staged as Parquet parts, in one process or several, and the cross-batch set-aside.

A batch is `batch_contracts` contracts with all their archived tabs; the caller's
`build_batch` turns one into `BatchTables` (parse, normalise, screen: Arrow tables,
`pipelines.isun_batch_arrow`), and each table of it is written as one Parquet part. Only one batch per process is in
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
import pyarrow.compute as pc

from pipelines.isun_batch_arrow import BatchTables, write_arrow_part
from pipelines.isun_reuse import (
    INDEX,
    PartsIndex,
    ReusePlan,
    by_contract,
    clear_store,
    contract_key,
    link_parts,
    load_index,
    partition_of,
    partition_store,
    plan_reuse,
    prune_parts,
    remove_orphans,
    remove_other_layouts,
    remove_parts,
    save_index,
    signature,
)
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

BuildBatch = Callable[[list[RawResponse]], BatchTables]


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
            write_arrow_part(table, directories[name], batch_no, tables.tables[name], con)
    finally:
        con.close()
    counts = BatchCounts(
        pages=len(records),
        pages_rejected=_count_true(pc.equal(tables.quarantine.column("table_name"), "pages")),
        over_reported=_count_true(tables.activities.column("is_over_reported")),
    )
    del tables
    pa.default_memory_pool().release_unused()
    return counts


def _count_true(column) -> int:
    """Rows where a boolean column is true (a column of missing values counts none)."""
    if pa.types.is_null(column.type) or not len(column):
        return 0
    return int(pc.sum(pc.cast(pc.fill_null(column, False), pa.int64())).as_py() or 0)


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
            if not con.execute(
                f"SELECT count(*) FROM read_parquet({sql_string(str(part))}) WHERE project_code IN "
                "(SELECT project_code FROM _dup_codes)"
            ).fetchone()[0]:
                continue  # nothing to drop: the part (a link into the parts store) stays as it is
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


def _stage_in_pool(
    batches: list, parts: list[int], build_batch: BuildBatch, directories: dict, workers: int, log
):
    counts: list[BatchCounts] = []
    # spawn: a fresh interpreter per worker, never a fork of a threaded Dagster process
    with ProcessPoolExecutor(
        min(workers, len(batches)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
    ) as pool:
        futures = [
            pool.submit(stage_batch, part, batch, build_batch, directories)
            for part, batch in zip(parts, batches, strict=True)
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


def _stage_batches(
    batches: list, parts: list[int], build_batch: BuildBatch, directories: dict, workers: int, log
):
    """Every batch staged as part `parts[i]`, in `workers` processes when there is more than one."""
    if workers > 1 and len(batches) > 1:
        return _stage_in_pool(batches, parts, build_batch, directories, workers, log)
    counts = []
    for i, (part, batch) in enumerate(zip(parts, batches, strict=True)):
        counts.append(stage_batch(part, batch, build_batch, directories))
        if log:
            log.info(f"batch {i + 1}/{len(batches)} staged")
    return counts


def _update_store(
    records: list[RawResponse],
    build_batch: BuildBatch,
    store: Path,
    *,
    code_version: str,
    force: bool,
    batch_contracts: int,
    workers: int,
    log,
) -> tuple[PartsIndex, ReusePlan]:
    """Bring the parts store (`pipelines.isun_reuse`) up to tonight's records: parse only the
    new and changed contracts, prune their old rows from the parts that held them."""
    if force:
        clear_store(store)
    names = list(ISUN_TABLES)
    index = load_index(store, code_version)
    remove_orphans(store, names, index)
    contracts = by_contract(records)
    signatures = {c: signature(rs) for c, rs in contracts.items()}
    plan = plan_reuse(index, signatures)
    urls = {
        c: {r.url for r in contracts[c]} for p in plan.pruned.values() for c in p if c in contracts
    }
    superseded = prune_parts(store, names, index, plan.pruned, urls)
    chunks = [
        plan.to_parse[i : i + batch_contracts]
        for i in range(0, len(plan.to_parse), batch_contracts)
    ]
    parts = [index.new_part() for _ in chunks]
    batches = [[r for c in chunk for r in contracts[c]] for chunk in chunks]
    if log:
        log.info(
            f"{len(signatures) - len(plan.to_parse)} contracts reused from {len(index.parts)} stored "
            f"parts ({len(plan.pruned)} pruned), {len(plan.to_parse)} to parse in {len(batches)} batches"
        )
    _stage_batches(batches, parts, build_batch, {n: str(store / n) for n in names}, workers, log)
    for part, chunk in zip(parts, chunks, strict=True):
        index.parts[part] = {c: signatures[c] for c in chunk}
    if parts or superseded or not (store / INDEX).exists():
        save_index(store, index)
        remove_parts(store, names, superseded)
    return index, plan


def _stored_counts(store: Path) -> tuple[int, int]:
    """Pages refused and activities reported above contracted, over the stored parts."""
    con = duckdb.connect(config={"threads": 1})
    try:
        counts = []
        for table, where in (
            ("quarantine", "table_name = 'pages'"),
            ("activities", "is_over_reported"),
        ):
            parts = _parts(str(store / table))
            counts.append(
                con.execute(
                    f"SELECT count(*) FROM read_parquet({sql_string(str(store / table / '*.parquet'))}) "
                    f"WHERE {where}"
                ).fetchone()[0]
                if parts
                else 0
            )
        return counts[0], counts[1]
    finally:
        con.close()


def stage_partition(
    records: list[RawResponse],
    build_batch: BuildBatch,
    staging_root: Path | str,
    partition: int = 0,
    partitions: int = 1,
    *,
    batch_contracts: int = BATCH_CONTRACTS,
    workers: int = 1,
    log=None,
    code_version: str = "",
    force: bool = False,
) -> PartsIndex:
    """Bring one partition's parts store up to date with its contracts among `records`
    (`pipelines.isun_reuse`): what a run of the partitioned asset does on its own."""
    mine = [r for r in records if partition_of(contract_key(r.url), partitions) == partition]
    index, _ = _update_store(
        mine,
        build_batch,
        partition_store(staging_root, partition, partitions),
        code_version=code_version,
        force=force,
        batch_contracts=batch_contracts,
        workers=workers,
        log=log,
    )
    return index


def stage_isun_tables(
    records: list[RawResponse],
    build_batch: BuildBatch,
    staging_root: Path | str,
    *,
    batch_contracts: int = BATCH_CONTRACTS,
    workers: int = 1,
    log=None,
    extra_quarantine: list[dict] | None = None,
    code_version: str = "",
    force: bool = False,
    partitions: int = 1,
) -> StagedIsunTables:
    """Stage every contract's rows as Parquet parts under `staging_root`, parsing only what
    changed since the parts stores were last brought up to date (`pipelines.isun_reuse`, one
    store per partition of the contracts; a store is kept per `code_version`, `force` empties
    it first). `workers` > 1 runs batches in that many processes (`build_batch` must then
    pickle: a module-level function or a `functools.partial` of one). `extra_quarantine`
    (inputs refused before parsing) joins the quarantine table."""
    remove_other_layouts(staging_root, partitions)
    stores = [partition_store(staging_root, k, partitions) for k in range(partitions)]
    for k in range(partitions):
        stage_partition(
            records,
            build_batch,
            staging_root,
            k,
            partitions,
            batch_contracts=batch_contracts,
            workers=workers,
            log=log,
            code_version=code_version,
            force=force,
        )
    directories = {
        name: str(new_version_dir(staging_root, table)) for name, table in ISUN_TABLES.items()
    }
    for name in ISUN_TABLES:
        for store in stores:
            link_parts(store, name, Path(directories[name]))
    # Parts of the stores are named `<store>-part-N`: these two never collide with them.
    duplicates = set_aside_duplicate_codes(directories, 999_999)
    if duplicates and log:
        log.warning(
            f"{duplicates} project rows share a project code with another contract id: quarantined "
            "(rule duplicate_project_code)"
        )
    if extra_quarantine:
        write_part(
            QUARANTINE,
            directories["quarantine"],
            999_998,
            pd.DataFrame(extra_quarantine, columns=QUARANTINE.columns),
        )
    counts = [_stored_counts(store) for store in stores]
    staged = {
        name: finish(staging_root, table, directories[name]) for name, table in ISUN_TABLES.items()
    }
    return StagedIsunTables(
        **staged,
        pages_read=len(records),
        pages_rejected=sum(c[0] for c in counts),
        over_reported=sum(c[1] for c in counts),
    )
