"""Tables between assets: Parquet files on disk, written a batch at a time, passed by reference.

A `StagedTable` is a directory of Parquet parts typed by the table's metadata (the
same casts as the warehouse), plus its row count. Assets hand these references to each
other instead of DataFrames, so no step needs a whole table in memory: checks read the
columns they test a batch at a time, DuckDB reads the parts straight into the warehouse,
and a process (or a machine) can write its own parts without touching anyone else's.

Each write goes to a fresh directory `<root>/<table>-<id>/`; the previous version of
the table is removed only once the new one is complete, so a build that fails while
writing a table leaves its previous version. A build whose checks fail has already
replaced the staged versions; what it leaves intact is the warehouse and the releases,
which are separate files written only after the checks pass. Staging is one build's
scratch space: two builds never share a data directory at once (every build holds the
data directory's lock, `warehouse.data_lock`).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset as pads

from registry.tables import Table
from shared.atomic import atomic_path

BATCH_ROWS = 50_000


def quote(name: str) -> str:
    """An SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def sql_string(text: str | Path) -> str:
    """An SQL string literal (a path with an apostrophe in it stays one path)."""
    return "'" + str(text).replace("'", "''") + "'"


def typed_select(table: Table, source: str) -> str:
    """`SELECT` of the table's columns from `source`, each cast to its declared DuckDB type."""
    casts = ", ".join(f"CAST({quote(f.name)} AS {f.type}) AS {quote(f.name)}" for f in table.fields)
    return f"SELECT {casts} FROM {source}"


@dataclass(frozen=True)
class StagedTable:
    """A table on disk: Parquet parts in `path`, `rows` rows in all."""

    table: str
    path: str
    rows: int

    @property
    def parquet_glob(self) -> str:
        return str(Path(self.path) / "*.parquet")

    def scan_sql(self) -> str:
        """A DuckDB table expression reading every part."""
        return f"read_parquet({sql_string(self.parquet_glob)})"

    def to_pandas(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The whole table (or some columns) as a DataFrame: for small tables and narrow reads."""
        return pads.dataset(self.path, format="parquet").to_table(columns=columns).to_pandas()

    def batches(
        self, columns: list[str] | None = None, rows: int = BATCH_ROWS
    ) -> Iterator[pd.DataFrame]:
        """The table as DataFrames of at most `rows` rows, read one at a time."""
        scanner = pads.dataset(self.path, format="parquet").scanner(
            columns=columns, batch_size=rows
        )
        for batch in scanner.to_batches():
            if batch.num_rows:
                yield batch.to_pandas()


def _as_text(value, sql_type: str) -> str | None:
    """One value as the text DuckDB will CAST to `sql_type` (None for missing values)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not hasattr(value, "isoformat"):  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer() and sql_type in ("INTEGER", "BIGINT", "SMALLINT"):
            return str(int(value))
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _texts(values: list, sql_type: str) -> list:
    """`_as_text` of each value, with the common types (text, None, Decimal, int) done inline:
    a call per cell through `Series.map` was most of a bulk part's write."""
    out = []
    append = out.append
    for value in values:
        kind = type(value)
        if kind is str:
            append(value)
        elif value is None:
            append(None)
        elif kind is Decimal or kind is int:
            append(str(value))
        else:
            append(_as_text(value, sql_type))
    return out


def with_explicit_types(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Every object column as text, for DuckDB to CAST to the metadata's type.

    DuckDB types an object column from a sample of its first rows: Decimals read as
    DECIMAL(8,2) fail on a bigger amount further down, dates in a text column fail on a
    month-only "2019-01" further down. Text has one type, and the CAST is the metadata's.
    """
    types = {f.name: f.type for f in table.fields}
    columns = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype != object:
            continue
        if pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
            continue
        columns[name] = pd.Series(
            _texts(column.tolist(), types.get(name, "VARCHAR")), index=column.index, dtype=object
        )
    return frame.assign(**columns) if columns else frame


def register_typed(con: duckdb.DuckDBPyConnection, table: Table, frame: pd.DataFrame) -> str:
    """Register the table's columns of `frame` as `_incoming` and return the typed `SELECT` of them."""
    con.register("_incoming", with_explicit_types(table, frame[table.columns]))
    return typed_select(table, "_incoming")


def _copy(con: duckdb.DuckDBPyConnection, table: Table, frame: pd.DataFrame, path: Path) -> None:
    """`frame` typed by the metadata, written as one Parquet file (via a temporary name)."""
    with atomic_path(path) as tmp:
        con.execute(
            f"COPY ({register_typed(con, table, frame)}) TO {sql_string(tmp)} (FORMAT parquet, COMPRESSION zstd)"
        )
        con.unregister("_incoming")


def write_part(
    table: Table,
    directory: Path | str,
    part_no: int,
    frame: pd.DataFrame,
    con: duckdb.DuckDBPyConnection | None = None,
) -> int:
    """Write `frame` as part `part_no` of a staged table, typed by the metadata; return its rows.

    Empty frames write nothing. Several processes can fill one directory when each
    writes its own part numbers (a batch's index, say).
    """
    if frame.empty:
        return 0
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    own = con is None
    con = con or duckdb.connect(config={"threads": 1})
    try:
        _copy(con, table, frame, directory / f"part-{part_no:06d}.parquet")
    finally:
        if own:
            con.close()
    return len(frame)


def finish(root: Path | str, table: Table, directory: Path | str) -> StagedTable:
    """Close a staged table written part by part: give an empty table a part carrying its
    schema, count the rows (from the Parquet footers) and make it the current version."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if not any(directory.glob("*.parquet")):
        con = duckdb.connect()
        try:
            _copy(
                con,
                table,
                pd.DataFrame({c: pd.Series([], dtype=object) for c in table.columns}),
                directory / "part-000000.parquet",
            )
        finally:
            con.close()
    rows = pads.dataset(directory, format="parquet").count_rows()
    return publish_version(root, table, directory, rows)


def new_version_dir(root: Path | str, table: Table) -> Path:
    return Path(root) / f"{table.name}-{uuid.uuid4().hex[:12]}"


def publish_version(root: Path | str, table: Table, directory: Path, rows: int) -> StagedTable:
    """Make `directory` the table's staged version and remove the older ones."""
    for old in Path(root).glob(f"{table.name}-*"):
        if old != directory and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    return StagedTable(table.name, str(directory), rows)


def stage_frame(root: Path | str, table: Table, frame: pd.DataFrame) -> StagedTable:
    """Stage a table that is already in memory (reference data, document tables)."""
    return stage_batches(
        root, table, (frame.iloc[i : i + BATCH_ROWS] for i in range(0, len(frame), BATCH_ROWS))
    )


def stage_batches(root: Path | str, table: Table, frames) -> StagedTable:
    """Stage a table produced a frame at a time (an iterator of DataFrames)."""
    directory = new_version_dir(root, table)
    con = duckdb.connect(config={"threads": 1})
    try:
        for part_no, frame in enumerate(frames):
            write_part(table, directory, part_no, frame, con)
    finally:
        con.close()
    return finish(root, table, directory)
