"""Export warehouse tables for download: Parquet (zstd) and CSV that Excel opens correctly.

CSV is UTF-8 with a byte-order mark, so Excel shows Cyrillic without an import wizard.
Files are written to a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from warehouse.metadata import Table

UTF8_BOM = b"\xef\xbb\xbf"


def export_tables(warehouse_path: Path | str, out_dir: Path | str, tables: list[Table]) -> list[Path]:
    """Write `<table>.parquet` and `<table>.csv` per table, plus a copy of the DuckDB file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        for table in tables:
            cols = ", ".join(f'"{c}"' for c in table.columns)
            order = ", ".join(table.primary_key) or cols
            arrow = con.sql(f"SELECT {cols} FROM {table.name} ORDER BY {order}").to_arrow_table()
            parquet_path = out_dir / f"{table.name}.parquet"
            _atomic(parquet_path, lambda p: pq.write_table(arrow, p, compression="zstd"))
            csv_path = out_dir / f"{table.name}.csv"
            _atomic(csv_path, lambda p: _write_csv(arrow, p))
            written += [parquet_path, csv_path]
    finally:
        con.close()
    db_copy = out_dir / Path(warehouse_path).name
    _atomic(db_copy, lambda p: shutil.copyfile(warehouse_path, p))
    written.append(db_copy)
    return written


def _write_csv(arrow, path: Path) -> None:
    with open(path, "wb") as fh:
        fh.write(UTF8_BOM)
        pacsv.write_csv(arrow, fh, pacsv.WriteOptions(include_header=True))


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)
