"""Load validated tables into a DuckDB file, atomically.

The warehouse is built in a temporary file next to the target and moved into place
only when every table has loaded, so readers never see a half-written warehouse and a
failed build leaves the previous one untouched.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.metadata import Table, create_table_sql
from warehouse.views import create_views


def write_warehouse(path: Path | str, tables: list[tuple[Table, pd.DataFrame]]) -> dict[str, int]:
    """Create `path` with one table per (metadata, frame); return row counts."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        if stale.exists():
            stale.unlink()
    counts: dict[str, int] = {}
    con = duckdb.connect(str(tmp))
    try:
        for table, frame in tables:
            con.execute(create_table_sql(table))
            select = ", ".join(f"CAST({_q(c)} AS {f.type}) AS {_q(c)}"
                               for c, f in ((f.name, f) for f in table.fields))
            con.register("_incoming", frame[table.columns])
            con.execute(f"INSERT INTO {table.name} SELECT {select} FROM _incoming")
            con.unregister("_incoming")
            counts[table.name] = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
        if {"projects", "activities", "project_places", "programmes"} <= set(counts):
            create_views(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, path)
    return counts


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
