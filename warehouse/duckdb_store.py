"""Load validated tables into a DuckDB file, atomically; and DuckDB connections with bounded memory.

The warehouse is built in a temporary file next to the target and moved into place
only when every table has loaded, so readers never see a half-written warehouse and a
failed build leaves the previous one untouched. Tables come from staged Parquet parts
(`warehouse.staging`), read by DuckDB itself, or from small in-memory frames.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from registry.tables import Table, create_table_sql
from shared.atomic import atomic_path
from warehouse.staging import StagedTable, register_typed, typed_select
from warehouse.views import create_views

# DuckDB's own buffers count towards the process's memory; past this it spills to disk.
MEMORY_LIMIT = os.environ.get("BGFUNDS_DUCKDB_MEMORY_LIMIT", "512MB")


def connect(path: Path | str = ":memory:", read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection whose buffer pool stays under `MEMORY_LIMIT`, spilling to a temp directory."""
    return duckdb.connect(
        str(path),
        read_only=read_only,
        config={
            "memory_limit": MEMORY_LIMIT,
            "temp_directory": tempfile.gettempdir(),
            "preserve_insertion_order": False,
        },
    )


def write_warehouse(
    path: Path | str, tables: list[tuple[Table, StagedTable | pd.DataFrame]]
) -> dict[str, int]:
    """Create `path` with one table per (metadata, staged table or frame); return row counts."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
            stale.unlink(missing_ok=True)
        con = connect(tmp)
        try:
            counts = _fill(con, tables)
        finally:
            con.close()
    return counts


def _fill(con, tables: list[tuple[Table, StagedTable | pd.DataFrame]]) -> dict[str, int]:
    """Each table created and filled, the views over them, and a checkpoint; row counts by table."""
    counts: dict[str, int] = {}
    for table, source in tables:
        con.execute(create_table_sql(table))
        if isinstance(source, StagedTable):
            con.execute(f"INSERT INTO {table.name} {typed_select(table, source.scan_sql())}")
        else:
            con.execute(f"INSERT INTO {table.name} {register_typed(con, table, source)}")
            con.unregister("_incoming")
        counts[table.name] = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
    if {"projects", "activities", "project_places", "programmes"} <= set(counts):
        create_views(con)
    con.execute("CHECKPOINT")
    return counts


def read_columns(path: Path | str, table: Table, columns: list[str]) -> list[tuple]:
    """`columns` of `table` from the warehouse file at `path`, rows as tuples; [] where the
    file or the table is not there yet (before the first build). The names come from the
    registry's declaration, so a renamed column fails here, loudly, not in a caller's SQL."""
    unknown = [c for c in columns if c not in table.columns]
    if unknown:
        raise KeyError(f"{table.name} declares no column {', '.join(unknown)}")
    if not Path(path).exists():
        return []
    con = duckdb.connect(str(path), read_only=True)
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if table.name not in present:
            return []
        select = ", ".join(f'"{c}"' for c in columns)
        return con.execute(f'SELECT {select} FROM "{table.name}"').fetchall()
    finally:
        con.close()
