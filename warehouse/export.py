"""Export warehouse tables for download: Parquet (zstd) and CSV that Excel opens correctly.

CSV is UTF-8 with a byte-order mark, so Excel shows Cyrillic without an import wizard,
and text cells that start with `=`, `+`, `-`, `@`, tab or CR get a leading apostrophe so
a spreadsheet never runs them as formulas (numeric columns are left as numbers).
Timestamps are written in UTC to the second as `2026-05-24 02:00:00Z`, which Excel
reads as a date-time and ISO 8601 parsers accept; Parquet keeps them to the microsecond.
Files are written to a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from warehouse.duckdb_store import connect
from warehouse.metadata import Table

UTF8_BOM = b"\xef\xbb\xbf"
FORMULA_START = r"^[=+\-@\t\r]"
BATCH_ROWS = 50_000


def export_tables(warehouse_path: Path | str, out_dir: Path | str, tables: list[Table],
                  copy_db: bool = True) -> list[Path]:
    """Write `<table>.parquet` and `<table>.csv` per table, plus (if asked) a copy of the DuckDB file.

    Rows stream from DuckDB in record batches (sorted by the key, spilling to disk if
    need be) into both writers, so no table is ever whole in memory.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    con = connect(warehouse_path, read_only=True)
    try:
        for table in tables:
            cols = ", ".join(f'"{c}"' for c in table.columns)
            order = ", ".join(table.primary_key) or cols
            parquet_path, csv_path = out_dir / f"{table.name}.parquet", out_dir / f"{table.name}.csv"
            parquet_tmp, csv_tmp = (p.with_name(f".{p.name}.tmp") for p in (parquet_path, csv_path))
            relation = con.sql(f"SELECT {cols} FROM {table.name} ORDER BY {order}")
            with relation.to_arrow_reader(batch_size=BATCH_ROWS) as reader, \
                    pq.ParquetWriter(parquet_tmp, reader.schema, compression="zstd") as parquet, \
                    open(csv_tmp, "wb") as fh:
                fh.write(UTF8_BOM)
                with pacsv.CSVWriter(fh, csv_ready(reader.schema.empty_table()).schema) as csv_writer:
                    for batch in reader:
                        parquet.write_batch(batch)
                        csv_writer.write_table(csv_ready(pa.Table.from_batches([batch])))
            os.replace(parquet_tmp, parquet_path)
            os.replace(csv_tmp, csv_path)
            written += [parquet_path, csv_path]
    finally:
        con.close()
    if copy_db:
        db_copy = out_dir / Path(warehouse_path).name
        _atomic(db_copy, lambda p: shutil.copyfile(warehouse_path, p))
        written.append(db_copy)
    return written


def csv_ready(table: pa.Table) -> pa.Table:
    """The table as it goes into CSV: formulas neutralised, timestamps as UTC text to the second."""
    table = neutralise_formulas(table)
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            utc = pc.cast(table.column(i), pa.timestamp("s", tz="UTC"), safe=False)
            table = table.set_column(i, field.name, pc.strftime(utc, format="%Y-%m-%d %H:%M:%SZ"))
    return table


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """Prefix text cells that a spreadsheet would read as a formula with an apostrophe."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type) or pa.types.is_string_view(column.type):
            risky = pc.fill_null(pc.match_substring_regex(column, FORMULA_START), False)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)
