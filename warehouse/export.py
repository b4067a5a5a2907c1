"""Export warehouse tables for download: Parquet (zstd) and CSV that Excel opens correctly.

CSV is UTF-8 with a byte-order mark, so Excel shows Cyrillic without an import wizard,
and text cells that start with `=`, `+`, `-`, `@`, tab or CR get a leading apostrophe so
a spreadsheet never runs them as formulas (numeric columns are left as numbers).
Timestamps are written in UTC to the second as `2026-05-24 02:00:00Z`, which Excel
reads as a date-time and ISO 8601 parsers accept; Parquet keeps them to the microsecond.
Files are written to a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import multiprocessing
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from registry.tables import Table
from shared.atomic import atomic_path
from warehouse.duckdb_store import connect
from warehouse.text_safety import safe_arrow

UTF8_BOM = b"\xef\xbb\xbf"
FORMULA_START = r"^[=+\-@\t\r]"
BATCH_ROWS = 10_000
CHUNK_ROWS = 50_000  # rows sorted at once: about 200 MB of activities with their texts


def export_order(table: Table) -> list[str]:
    """Rows are published sorted by the primary key (all columns if none), with a history
    table's `release_id` last so that one project's releases sit together."""
    key = list(table.primary_key) or list(table.columns)
    return [c for c in key if c != "release_id"] + [c for c in key if c == "release_id"]


def key_ranges(con, table: Table, max_rows: int = CHUNK_ROWS) -> list[tuple | None]:
    """Ranges (low, high) of the leading sort column holding about `max_rows` rows each,
    then None for the rows where it is NULL: each range is sorted on its own, in memory."""
    lead = f'"{export_order(table)[0]}"'
    counts = con.execute(
        f"SELECT {lead}, count(*) FROM {table.name} WHERE {lead} IS NOT NULL GROUP BY 1 ORDER BY 1"
    ).fetchall()
    ranges, low, rows, previous = [], None, 0, None
    for value, n in counts:
        if low is not None and rows + n > max_rows:
            ranges.append((low, previous))
            low, rows = None, 0
        low = value if low is None else low
        rows, previous = rows + n, value
    if low is not None:
        ranges.append((low, previous))
    return [*ranges, None]


def sorted_batches(
    con, table: Table, batch_rows: int = BATCH_ROWS, range_rows: int = CHUNK_ROWS
) -> Iterator[pa.RecordBatch]:
    """The table's rows in `export_order`, as Arrow record batches, one key range at a time.

    DuckDB's ORDER BY over a whole wide table (300 000 activities with their texts) ran
    out of a 1 GB buffer pool instead of spilling; sorting ranges of `CHUNK_ROWS` keeps the
    sort small whatever the table's size, at the price of one filtered scan per range.
    """
    cols = ", ".join(f'"{c}"' for c in table.columns)
    order = ", ".join(f'"{c}"' for c in export_order(table))
    lead = f'"{export_order(table)[0]}"'
    for key_range in key_ranges(con, table, range_rows):
        where, params = (
            (f"{lead} IS NULL", [])
            if key_range is None
            else (f"{lead} BETWEEN ? AND ?", list(key_range))
        )
        relation = con.sql(
            f"SELECT {cols} FROM {table.name} WHERE {where} ORDER BY {order}", params=params
        )
        with relation.to_arrow_reader(batch_size=batch_rows) as reader:
            yield from reader


def export_tables(
    warehouse_path: Path | str,
    out_dir: Path | str,
    tables: list[Table],
    copy_db: bool = True,
    unsafe_columns: dict[str, set[str]] | None = None,
    workers: int = 1,
    meanwhile: Callable[[], None] | None = None,
) -> list[Path]:
    """Write `<table>.parquet` and `<table>.csv` per table, plus (if asked) a copy of the DuckDB file.

    Rows stream from DuckDB in record batches (`sorted_batches`) into both writers, so no
    table is ever whole in memory. `unsafe_columns` (table -> the text columns holding a
    character `warehouse.text_safety` removes, as `unsafe_cells` found them) spares the text
    scan of the columns known to hold none: a table missing from it has all its columns scanned.
    With `workers` > 1 the tables are written by that many processes at once, and `meanwhile`
    (other work of the release: the XLSX) runs in this process while they write; else after.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [
        (str(warehouse_path), str(out_dir), t, (unsafe_columns or {}).get(t.name)) for t in tables
    ]
    if workers > 1 and len(jobs) > 1:
        # One table per task, the widest first so the two cores finish together; each file is
        # written by one process from its own read-only connection: the same bytes as one by one.
        # spawn: a fresh interpreter per worker, never a fork of a threaded Dagster process.
        sizes = _table_sizes(warehouse_path)
        ordered = sorted(jobs, key=lambda job: -sizes.get(job[2].name, 0))
        with ProcessPoolExecutor(
            min(workers, len(jobs)), mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            written = pool.map(_export_table_job, ordered)
            if meanwhile is not None:
                meanwhile()  # the last tables' worker alone on its core: this one fills the other
            list(written)
    else:
        con = connect(warehouse_path, read_only=True)
        try:
            for _, _, table, unsafe in jobs:
                _export_table(con, out_dir, table, unsafe)
        finally:
            con.close()
        if meanwhile is not None:
            meanwhile()
    written = [out_dir / f"{t.name}{suffix}" for t in tables for suffix in (".parquet", ".csv")]
    if copy_db:
        db_copy = out_dir / Path(warehouse_path).name
        _atomic(db_copy, lambda p: shutil.copyfile(warehouse_path, p))
        written.append(db_copy)
    return written


def _table_sizes(warehouse_path: Path | str) -> dict[str, int]:
    """DuckDB's estimate of each table's size (rows times columns), to hand out the big ones first."""
    con = connect(warehouse_path, read_only=True)
    try:
        return dict(
            con.execute(
                "SELECT table_name, estimated_size * column_count FROM duckdb_tables()"
            ).fetchall()
        )
    finally:
        con.close()


def _export_table_job(job: tuple[str, str, Table, set[str] | None]) -> None:
    warehouse_path, out_dir, table, unsafe = job
    con = connect(warehouse_path, read_only=True)
    con.execute("SET enable_progress_bar = false")  # a worker's stderr is the build's log
    try:
        _export_table(con, Path(out_dir), table, unsafe)
    finally:
        con.close()


def _export_table(con, out_dir: Path, table: Table, unsafe: set[str] | None) -> None:
    """`<table>.parquet` and `<table>.csv` from one sorted pass over the table."""
    parquet_path, csv_path = out_dir / f"{table.name}.parquet", out_dir / f"{table.name}.csv"
    cols = ", ".join(f'"{c}"' for c in table.columns)
    schema = con.sql(f"SELECT {cols} FROM {table.name} LIMIT 0").to_arrow_table().schema
    with atomic_path(parquet_path) as parquet_tmp, atomic_path(csv_path) as csv_tmp:
        with (
            pq.ParquetWriter(parquet_tmp, schema, compression="zstd") as parquet,
            open(csv_tmp, "wb") as fh,
        ):
            fh.write(UTF8_BOM)
            with pacsv.CSVWriter(fh, csv_ready(schema.empty_table()).schema) as csv_writer:
                for batch in sorted_batches(con, table):
                    parquet.write_batch(batch)
                    csv_writer.write_table(csv_ready(pa.Table.from_batches([batch]), unsafe))


def csv_ready(table: pa.Table, unsafe: set[str] | None = None) -> pa.Table:
    """The table as it goes into CSV: text made safe (`warehouse.text_safety`; the Parquet
    keeps it as read; with `unsafe`, only those columns, the rest being known to hold nothing
    to remove), formulas neutralised, timestamps as UTC text to the second."""
    table = neutralise_formulas(safe_arrow(table, unsafe))
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            utc = pc.cast(table.column(i), pa.timestamp("s", tz="UTC"), safe=False)
            table = table.set_column(i, field.name, pc.strftime(utc, format="%Y-%m-%d %H:%M:%SZ"))
    return table


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """Prefix text cells that a spreadsheet would read as a formula with an apostrophe."""
    columns = []
    for column in table.columns:
        if (
            pa.types.is_string(column.type)
            or pa.types.is_large_string(column.type)
            or pa.types.is_string_view(column.type)
        ):
            risky = pc.fill_null(pc.match_substring_regex(column, FORMULA_START), False)
            if pc.any(risky).as_py():  # else the column is written as it is, never copied
                column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


def _atomic(path: Path, write) -> None:
    with atomic_path(path) as tmp:
        write(tmp)
